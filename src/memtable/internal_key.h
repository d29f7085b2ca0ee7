// The internal key: a user key tagged with the sequence number and type of the
// write that produced it. Every internal component (memtable, WAL replay,
// sstables, iterators) orders entries by internal key. The byte layout is
// specified in docs/format/internal_key.md (format version 1):
//
//   internal key := user_key (N bytes) | trailer (fixed64, little-endian)
//   trailer      := (sequence << 8) | type
//
// Order (CompareInternalKeys): user key ascending (bytewise, as unsigned
// bytes), then sequence descending, then type descending, so the newest
// version of a user key comes first.
//
// Thread-safety: everything here is a pure function or an immutable object.
#ifndef FERRISDB_MEMTABLE_INTERNAL_KEY_H_
#define FERRISDB_MEMTABLE_INTERNAL_KEY_H_

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "util/coding.h"

namespace ferrisdb {

// Version of the layout in docs/format/internal_key.md. Persisted formats that
// embed internal keys (sstables, WAL) carry their own version; bump those when
// this changes.
inline constexpr uint32_t kInternalKeyFormatVersion = 1;

using SequenceNumber = uint64_t;

// Sequence numbers use the top 56 bits of the trailer.
inline constexpr SequenceNumber kMaxSequenceNumber = (uint64_t{1} << 56) - 1;

// The kind of write an internal key records. Stored in the low byte of the
// trailer: never renumber; a retired value keeps a comment.
enum class ValueType : uint8_t {
  kDeletion = 0,
  kValue = 1,
};

// The largest ValueType. Types sort descending, so (user_key, seq,
// kValueTypeForSeek) sorts before every entry of user_key with sequence <= seq.
inline constexpr ValueType kValueTypeForSeek = ValueType::kValue;

inline constexpr size_t kInternalKeyTrailerSize = 8;

// True for the ValueType values this build understands.
inline bool IsKnownValueType(uint8_t type) {
  return type <= static_cast<uint8_t>(ValueType::kValue);
}

// REQUIRES: seq <= kMaxSequenceNumber.
inline uint64_t PackSequenceAndType(SequenceNumber seq, ValueType t) {
  assert(seq <= kMaxSequenceNumber);
  return (seq << 8) | static_cast<uint8_t>(t);
}

// Appends the internal key (user_key, seq, t) to *dst.
// REQUIRES: seq <= kMaxSequenceNumber.
void AppendInternalKey(std::string* dst, std::string_view user_key,
                       SequenceNumber seq, ValueType t);

// The parts of an internal key. user_key views the parsed key's bytes.
struct ParsedInternalKey {
  std::string_view user_key;
  SequenceNumber sequence = 0;
  ValueType type = ValueType::kDeletion;
};

// Splits internal_key into *result. Returns false (and leaves *result
// unspecified) if internal_key is shorter than the trailer or its type is
// unknown. result->user_key views internal_key's bytes.
bool ParseInternalKey(std::string_view internal_key, ParsedInternalKey* result);

// The user key part. REQUIRES: internal_key.size() >= kInternalKeyTrailerSize.
inline std::string_view ExtractUserKey(std::string_view internal_key) {
  assert(internal_key.size() >= kInternalKeyTrailerSize);
  return internal_key.substr(0, internal_key.size() - kInternalKeyTrailerSize);
}

// The packed (sequence << 8 | type) trailer.
// REQUIRES: internal_key.size() >= kInternalKeyTrailerSize.
inline uint64_t ExtractTrailer(std::string_view internal_key) {
  assert(internal_key.size() >= kInternalKeyTrailerSize);
  return DecodeFixed64(internal_key.data() + internal_key.size() -
                       kInternalKeyTrailerSize);
}

// REQUIRES: internal_key.size() >= kInternalKeyTrailerSize.
inline SequenceNumber ExtractSequence(std::string_view internal_key) {
  return ExtractTrailer(internal_key) >> 8;
}

// <0, 0, >0 as a sorts before, equal to, or after b (order in the file
// comment). REQUIRES: both at least kInternalKeyTrailerSize bytes.
inline int CompareInternalKeys(std::string_view a, std::string_view b) {
  assert(a.size() >= kInternalKeyTrailerSize);
  assert(b.size() >= kInternalKeyTrailerSize);
  const size_t a_len = a.size() - kInternalKeyTrailerSize;
  const size_t b_len = b.size() - kInternalKeyTrailerSize;
  const size_t min_len = a_len < b_len ? a_len : b_len;
  // memcmp compares as unsigned char, which is the documented user key order.
  // Guarded: memcmp with a null pointer is undefined even for length 0.
  const int r = min_len == 0 ? 0 : std::memcmp(a.data(), b.data(), min_len);
  if (r != 0) return r;
  if (a_len != b_len) return a_len < b_len ? -1 : 1;
  // Same user key: the larger trailer (newer sequence, then larger type)
  // sorts first.
  const uint64_t a_trailer = DecodeFixed64(a.data() + a_len);
  const uint64_t b_trailer = DecodeFixed64(b.data() + b_len);
  if (a_trailer == b_trailer) return 0;
  return a_trailer > b_trailer ? -1 : 1;
}

// Function object form of CompareInternalKeys, for templates (SkipList,
// merging iterators, sorted containers via Less()).
struct InternalKeyComparator {
  int operator()(std::string_view a, std::string_view b) const {
    return CompareInternalKeys(a, b);
  }
  // Strict weak order adapter: std::set<std::string, ...::Less>.
  struct Less {
    bool operator()(std::string_view a, std::string_view b) const {
      return CompareInternalKeys(a, b) < 0;
    }
  };
};

// Printable form for logs and error messages: 'user_key' @ seq : type, with
// non-printable bytes escaped. Reports a malformed key as such.
std::string InternalKeyDebugString(std::string_view internal_key);

// The key that looks up user_key as of snapshot `sequence`: the internal key
// (user_key, sequence, kValueTypeForSeek), which sorts just before every
// version of user_key visible at `sequence`. Also available prefixed with its
// varint32 length, the memtable entry key form (see memtable.h).
//
// Keys up to kInlineSize bytes in total are built in an inline buffer with no
// heap allocation. Views returned by the accessors live as long as *this.
//
// REQUIRES: sequence <= kMaxSequenceNumber;
//           user_key.size() + 8 < 2^32.
class LookupKey {
 public:
  LookupKey(std::string_view user_key, SequenceNumber sequence);
  ~LookupKey();
  LookupKey(const LookupKey&) = delete;
  LookupKey& operator=(const LookupKey&) = delete;

  // varint32(internal key length) | internal key.
  std::string_view memtable_key() const {
    return std::string_view(start_, static_cast<size_t>(end_ - start_));
  }
  // user key | trailer.
  std::string_view internal_key() const {
    return std::string_view(kstart_, static_cast<size_t>(end_ - kstart_));
  }
  std::string_view user_key() const {
    return std::string_view(
        kstart_, static_cast<size_t>(end_ - kstart_) - kInternalKeyTrailerSize);
  }
  SequenceNumber sequence() const {
    return DecodeFixed64(end_ - kInternalKeyTrailerSize) >> 8;
  }

 private:
  // Fits a varint32 prefix, a ~190-byte user key and the trailer.
  static constexpr size_t kInlineSize = 200;

  const char* start_;     // memtable key: the varint32 length prefix
  const char* kstart_;    // internal key
  const char* end_;       // one past the trailer
  char* heap_ = nullptr;  // owned; non-null when the key did not fit space_
  char space_[kInlineSize];
};

}  // namespace ferrisdb

#endif  // FERRISDB_MEMTABLE_INTERNAL_KEY_H_
