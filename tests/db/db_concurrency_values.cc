// The key and value scheme of the concurrency test, and the check of what
// one consistent read shows (see db_concurrency_fixture.h).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "db_concurrency_fixture.h"

namespace ferrisdb::db_concurrency {

std::string OwnKey(int writer, int i) {
  return absl::StrFormat("own-w%d-%04d", writer, i);
}
std::string SharedKey(int j) { return absl::StrFormat("shared-%03d", j); }
std::string ProgressKey(int writer) {
  return absl::StrFormat("progress-w%d", writer);
}
std::string GroupKey(int writer, int g) {
  return absl::StrFormat("group-w%d-%d", writer, g);
}

std::string MakeValue(int writer, uint64_t counter) {
  return absl::StrFormat("%d:%d:%s", writer, counter,
                         std::string(counter % 100 + 20, 'a' + writer));
}

std::optional<ParsedValue> ParseValue(std::string_view v) {
  std::vector<std::string> parts = absl::StrSplit(std::string(v), ':');
  if (parts.size() != 3) return std::nullopt;
  ParsedValue p;
  if (!absl::SimpleAtoi(parts[0], &p.writer) ||
      !absl::SimpleAtoi(parts[1], &p.counter) || p.writer < 0 ||
      p.writer >= kWriters) {
    return std::nullopt;
  }
  if (parts[2] != std::string(p.counter % 100 + 20, 'a' + p.writer)) {
    return std::nullopt;
  }
  return p;
}

std::string CheckConsistentState(const Model& state) {
  std::map<int, uint64_t> progress;
  for (int w = 0; w < kWriters; ++w) {
    auto it = state.find(ProgressKey(w));
    if (it == state.end()) continue;
    std::optional<ParsedValue> p = ParseValue(it->second);
    if (!p || p->writer != w)
      return "malformed progress value of writer " + std::to_string(w);
    progress[w] = p->counter;
  }
  for (const auto& [key, value] : state) {
    std::optional<ParsedValue> p = ParseValue(value);
    if (!p) return "malformed value at " + key + ": " + value.substr(0, 30);
    if (key.rfind("shared-", 0) == 0) {
      // The write of a shared key also set its writer's progress key.
      auto pr = progress.find(p->writer);
      if (pr == progress.end() || p->counter > pr->second) {
        return absl::StrFormat(
            "%s holds writer %d's counter %d, newer than its progress %s", key,
            p->writer, p->counter,
            pr == progress.end() ? "(absent)" : std::to_string(pr->second));
      }
    }
  }
  for (int w = 0; w < kWriters; ++w) {
    std::optional<std::string> first;
    int present = 0;
    for (int g = 0; g < kGroupKeys; ++g) {
      auto it = state.find(GroupKey(w, g));
      if (it == state.end()) continue;
      ++present;
      if (first && *first != it->second) {
        return absl::StrFormat("group of writer %d seen in part: %s vs %s", w,
                               first->substr(0, 20), it->second.substr(0, 20));
      }
      first = it->second;
    }
    if (present != 0 && present != kGroupKeys) {
      return absl::StrFormat("group of writer %d has %d of %d keys", w, present,
                             kGroupKeys);
    }
  }
  return "";
}

}  // namespace ferrisdb::db_concurrency
