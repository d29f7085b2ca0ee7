#include "db/filename.h"

#include "absl/strings/str_format.h"

namespace ferrisdb {
namespace {

// Consumes a run of decimal digits from the front of *input.
bool ConsumeDecimal(std::string_view* input, uint64_t* value) {
  constexpr uint64_t kMax = ~uint64_t{0};
  uint64_t v = 0;
  size_t digits = 0;
  while (digits < input->size() && (*input)[digits] >= '0' &&
         (*input)[digits] <= '9') {
    const uint64_t d = (*input)[digits] - '0';
    if (v > (kMax - d) / 10) return false;  // overflow
    v = v * 10 + d;
    ++digits;
  }
  if (digits == 0) return false;
  input->remove_prefix(digits);
  *value = v;
  return true;
}

}  // namespace

std::string LockFileName(const std::string& dbname) { return dbname + "/LOCK"; }

std::string WalFileBaseName(uint64_t number, uint64_t first_sequence) {
  return absl::StrFormat("%06d-%020d.log", number, first_sequence);
}

std::string WalFileName(const std::string& dbname, uint64_t number,
                        uint64_t first_sequence) {
  return dbname + "/" + WalFileBaseName(number, first_sequence);
}

std::optional<ParsedFileName> ParseFileName(std::string_view name) {
  if (name == "LOCK") return ParsedFileName{FileType::kLock};
  ParsedFileName parsed{FileType::kWal};
  std::string_view rest = name;
  if (!ConsumeDecimal(&rest, &parsed.number)) return std::nullopt;
  if (rest.empty() || rest.front() != '-') return std::nullopt;
  rest.remove_prefix(1);
  if (!ConsumeDecimal(&rest, &parsed.first_sequence)) return std::nullopt;
  if (rest != ".log") return std::nullopt;
  // Only names this code writes: reject "1-2.log" spelled differently, so
  // that a file we did not create is never mistaken for ours.
  if (WalFileBaseName(parsed.number, parsed.first_sequence) != name) {
    return std::nullopt;
  }
  return parsed;
}

}  // namespace ferrisdb
