#include "child_message.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ferrisdb::bench {
namespace {

constexpr std::string_view kEngineInfoKind = "engine_info 1";
constexpr std::string_view kEngineRunKind = "engine_run 2";

// This abseil's string_view is not std::string_view (STYLE.md, Errors).
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

void AppendRecord(std::string* out, std::string_view name,
                  std::string_view value) {
  absl::StrAppend(out, Absl(name), " ", value.size(), "\n", Absl(value), "\n");
}

std::string Number(double value) { return absl::StrFormat("%.17g", value); }

absl::Status Malformed(std::string_view what) {
  return absl::DataLossError(
      absl::StrCat("child message: ", Absl(what),
                   " (the child and the driver disagree, or the child "
                   "died while writing)"));
}

// The records of message, which must start with "kind" = kind and end with
// "end"; neither is in the map.
absl::StatusOr<std::map<std::string, std::string, std::less<>>> Parse(
    std::string_view message, std::string_view kind) {
  std::map<std::string, std::string, std::less<>> records;
  bool first = true;
  while (!message.empty()) {
    // A name may hold spaces ("readrandom p99"); a length never does.
    const size_t newline = message.find('\n');
    const size_t space = newline == std::string_view::npos
                             ? std::string_view::npos
                             : message.rfind(' ', newline);
    if (space == 0 || space == std::string_view::npos) {
      return Malformed("a record header is not \"<name> <length>\\n\"");
    }
    const std::string_view name = message.substr(0, space);
    uint64_t length = 0;
    if (!absl::SimpleAtoi(
            std::string(message.substr(space + 1, newline - space - 1)),
            &length)) {
      return Malformed(
          absl::StrCat("record ", Absl(name), " has a bad length"));
    }
    message.remove_prefix(newline + 1);
    if (message.size() < length + 1 || message[length] != '\n') {
      return Malformed(absl::StrCat("record ", Absl(name), " is truncated"));
    }
    const std::string_view value = message.substr(0, length);
    message.remove_prefix(length + 1);
    if (first) {
      if (name != "kind" || value != kind) {
        return Malformed(absl::StrCat("expected kind \"", Absl(kind),
                                      "\", got ", Absl(name), " \"",
                                      Absl(value), "\""));
      }
      first = false;
      continue;
    }
    if (name == "end") {
      if (!value.empty() || !message.empty()) {
        return Malformed("bytes after the \"end\" record");
      }
      return records;
    }
    if (!records.emplace(name, value).second) {
      return Malformed(absl::StrCat("record ", Absl(name), " appears twice"));
    }
  }
  return Malformed("no \"end\" record");
}

absl::StatusOr<std::string> Field(
    const std::map<std::string, std::string, std::less<>>& records,
    std::string_view name) {
  const auto it = records.find(name);
  if (it == records.end()) {
    return Malformed(absl::StrCat("record ", Absl(name), " is missing"));
  }
  return it->second;
}

absl::StatusOr<double> DoubleField(
    const std::map<std::string, std::string, std::less<>>& records,
    std::string_view name) {
  absl::StatusOr<std::string> text = Field(records, name);
  if (!text.ok()) return text.status();
  double value = 0;
  if (!absl::SimpleAtod(*text, &value)) {
    return Malformed(absl::StrCat("record ", Absl(name), " is not a number: \"",
                                  *text, "\""));
  }
  return value;
}

}  // namespace

std::string EncodeEngineInfo(const EngineInfo& info) {
  std::string out;
  AppendRecord(&out, "kind", kEngineInfoKind);
  AppendRecord(&out, "name", info.name);
  AppendRecord(&out, "version", info.version);
  AppendRecord(&out, "compression", info.compression);
  AppendRecord(&out, "describe", info.describe);
  AppendRecord(&out, "end", "");
  return out;
}

absl::StatusOr<EngineInfo> DecodeEngineInfo(std::string_view message) {
  auto records = Parse(message, kEngineInfoKind);
  if (!records.ok()) return records.status();
  EngineInfo info;
  for (auto [field, name] :
       {std::pair{&info.name, "name"}, std::pair{&info.version, "version"},
        std::pair{&info.compression, "compression"},
        std::pair{&info.describe, "describe"}}) {
    absl::StatusOr<std::string> value = Field(*records, name);
    if (!value.ok()) return value.status();
    *field = *std::move(value);
  }
  if (records->size() != 4) return Malformed("unknown engine_info records");
  return info;
}

std::string EncodeEngineRun(const EngineRun& run) {
  std::string out;
  AppendRecord(&out, "kind", kEngineRunKind);
  for (const auto& [bench, ops] : run.ops_per_second) {
    AppendRecord(&out, absl::StrCat("ops/", bench), Number(ops));
  }
  for (const auto& [key, micros] : run.latency_us) {
    AppendRecord(&out, absl::StrCat("latency/", key), Number(micros));
  }
  for (const auto& [bench, found] : run.found) {
    AppendRecord(&out, absl::StrCat("found/", bench), absl::StrCat(found));
  }
  AppendRecord(&out, "db_bytes", Number(run.db_bytes));
  AppendRecord(&out, "db_files", Number(run.db_files));
  AppendRecord(&out, "write_amp", Number(run.write_amp));
  AppendRecord(&out, "wchar_amp", Number(run.wchar_amp));
  AppendRecord(&out, "peak_rss", Number(run.peak_rss));
  AppendRecord(&out, "peak_anon_rss", Number(run.peak_anon_rss));
  AppendRecord(&out, "start_rss", Number(run.start_rss));
  AppendRecord(&out, "end", "");
  return out;
}

absl::StatusOr<EngineRun> DecodeEngineRun(std::string_view message) {
  auto records = Parse(message, kEngineRunKind);
  if (!records.ok()) return records.status();
  EngineRun run;
  size_t used = 0;
  for (auto [field, name] : {std::pair{&run.db_bytes, "db_bytes"},
                             std::pair{&run.db_files, "db_files"},
                             std::pair{&run.write_amp, "write_amp"},
                             std::pair{&run.wchar_amp, "wchar_amp"},
                             std::pair{&run.peak_rss, "peak_rss"},
                             std::pair{&run.peak_anon_rss, "peak_anon_rss"},
                             std::pair{&run.start_rss, "start_rss"}}) {
    absl::StatusOr<double> value = DoubleField(*records, name);
    if (!value.ok()) return value.status();
    *field = *value;
    ++used;
  }
  for (const auto& [name, text] : *records) {
    const std::string_view n = name;
    if (n.starts_with("ops/")) {
      absl::StatusOr<double> ops = DoubleField(*records, name);
      if (!ops.ok()) return ops.status();
      run.ops_per_second[std::string(n.substr(4))] = *ops;
      ++used;
    } else if (n.starts_with("latency/")) {
      absl::StatusOr<double> micros = DoubleField(*records, name);
      if (!micros.ok()) return micros.status();
      run.latency_us[std::string(n.substr(8))] = *micros;
      ++used;
    } else if (n.starts_with("found/")) {
      uint64_t found = 0;
      if (!absl::SimpleAtoi(text, &found)) {
        return Malformed(absl::StrCat("record ", name, " is not a count"));
      }
      run.found[std::string(n.substr(6))] = found;
      ++used;
    }
  }
  if (used != records->size()) return Malformed("unknown engine_run records");
  return run;
}

}  // namespace ferrisdb::bench
