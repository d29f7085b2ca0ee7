#include "memtable/internal_key.h"

#include "absl/strings/str_cat.h"
#include "util/strings.h"

namespace ferrisdb {

void AppendInternalKey(std::string* dst, std::string_view user_key,
                       SequenceNumber seq, ValueType t) {
  // docs/format/internal_key.md, "Layout".
  dst->append(user_key.data(), user_key.size());
  PutFixed64(dst, PackSequenceAndType(seq, t));
}

bool ParseInternalKey(std::string_view internal_key,
                      ParsedInternalKey* result) {
  if (internal_key.size() < kInternalKeyTrailerSize) return false;
  const uint64_t trailer = ExtractTrailer(internal_key);
  const auto type = static_cast<uint8_t>(trailer & 0xff);
  if (!IsKnownValueType(type)) return false;
  result->user_key = ExtractUserKey(internal_key);
  result->sequence = trailer >> 8;
  result->type = static_cast<ValueType>(type);
  return true;
}

std::string InternalKeyDebugString(std::string_view internal_key) {
  ParsedInternalKey parsed;
  if (!ParseInternalKey(internal_key, &parsed)) {
    return absl::StrCat("(malformed internal key: '", EscapeBytes(internal_key),
                        "')");
  }
  return absl::StrCat("'", EscapeBytes(parsed.user_key), "' @ ",
                      parsed.sequence, " : ",
                      parsed.type == ValueType::kValue ? "value" : "deletion");
}

LookupKey::LookupKey(std::string_view user_key, SequenceNumber sequence) {
  assert(user_key.size() + kInternalKeyTrailerSize <= UINT32_MAX);
  const auto internal_size =
      static_cast<uint32_t>(user_key.size() + kInternalKeyTrailerSize);
  const size_t needed =
      static_cast<size_t>(VarintLength(internal_size)) + internal_size;
  char* dst = space_;
  if (needed > kInlineSize) {
    heap_ = new char[needed];
    dst = heap_;
  }
  start_ = dst;
  dst = EncodeVarint32(dst, internal_size);
  kstart_ = dst;
  if (!user_key.empty()) std::memcpy(dst, user_key.data(), user_key.size());
  dst += user_key.size();
  EncodeFixed64(dst, PackSequenceAndType(sequence, kValueTypeForSeek));
  end_ = dst + kInternalKeyTrailerSize;
}

LookupKey::~LookupKey() { delete[] heap_; }

}  // namespace ferrisdb
