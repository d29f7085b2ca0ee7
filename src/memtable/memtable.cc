#include "memtable/memtable.h"

#include <cassert>
#include <cstring>

#include "absl/status/status.h"
#include "util/coding.h"

namespace ferrisdb {
namespace {

// Reads a varint32 length at p (well-formed: written by Add), returns the
// bytes after it. The one-byte case (keys under 120 bytes) is inlined.
inline const char* DecodeLength(const char* p, uint32_t* len) {
  const auto first = static_cast<unsigned char>(*p);
  if (first < 0x80) {
    *len = first;
    return p + 1;
  }
  return DecodeVarint32(p, p + kMaxVarint32Bytes, len);
}

// The internal key of an entry (the layout in memtable.h).
inline std::string_view EntryInternalKey(const char* entry) {
  uint32_t len;
  const char* p = DecodeLength(entry, &len);
  return std::string_view(p, len);
}

// The value of an entry, given its internal key.
inline std::string_view EntryValue(std::string_view internal_key) {
  uint32_t len;
  const char* p = DecodeLength(internal_key.data() + internal_key.size(), &len);
  return std::string_view(p, len);
}

}  // namespace

int MemTable::KeyComparator::operator()(const char* a, const char* b) const {
  return CompareInternalKeys(EntryInternalKey(a), EntryInternalKey(b));
}

int MemTable::KeyComparator::operator()(const char* entry,
                                        std::string_view internal_key) const {
  return CompareInternalKeys(EntryInternalKey(entry), internal_key);
}

MemTable::MemTable() : table_(KeyComparator(), &arena_) {}

MemTable::~MemTable() { assert(refs_.load(std::memory_order_relaxed) == 0); }

void MemTable::Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }

void MemTable::Unref() {
  const int previous = refs_.fetch_sub(1, std::memory_order_acq_rel);
  assert(previous > 0);
  if (previous == 1) delete this;
}

void MemTable::Add(SequenceNumber seq, ValueType type,
                   std::string_view user_key, std::string_view value) {
  assert(seq <= kMaxSequenceNumber);
  assert(user_key.size() + kInternalKeyTrailerSize <= UINT32_MAX);
  assert(value.size() <= UINT32_MAX);
  const auto internal_key_size =
      static_cast<uint32_t>(user_key.size() + kInternalKeyTrailerSize);
  const auto value_size = static_cast<uint32_t>(value.size());
  const size_t entry_size =
      static_cast<size_t>(VarintLength(internal_key_size)) + internal_key_size +
      static_cast<size_t>(VarintLength(value_size)) + value_size;
  table_.InsertWithPayload(entry_size, [&](char* entry) {
    // The entry layout in memtable.h.
    char* p = EncodeVarint32(entry, internal_key_size);
    if (!user_key.empty()) std::memcpy(p, user_key.data(), user_key.size());
    p += user_key.size();
    EncodeFixed64(p, PackSequenceAndType(seq, type));
    p += kInternalKeyTrailerSize;
    p = EncodeVarint32(p, value_size);
    if (!value.empty()) std::memcpy(p, value.data(), value.size());
    assert(p + value.size() == entry + entry_size);
    return static_cast<const char*>(entry);
  });

  // Only this (single) writer stores these, so load-then-store is not racy.
  const uint64_t n = num_entries_.load(std::memory_order_relaxed);
  if (n == 0 || seq < first_sequence_.load(std::memory_order_relaxed)) {
    first_sequence_.store(seq, std::memory_order_relaxed);
  }
  if (n == 0 || seq > last_sequence_.load(std::memory_order_relaxed)) {
    last_sequence_.store(seq, std::memory_order_relaxed);
  }
  if (type == ValueType::kDeletion) {
    num_deletions_.fetch_add(1, std::memory_order_relaxed);
  }
  num_entries_.store(n + 1, std::memory_order_relaxed);
}

MemTable::GetResult MemTable::Get(const LookupKey& key,
                                  std::string* value) const {
  // The lookup key sorts just before the newest version of the user key
  // visible at its sequence, so the first entry at or after it is that
  // version if the user key has one.
  Table::Iterator iter(&table_);
  iter.Seek(key.internal_key());
  if (!iter.Valid()) return GetResult::kNotPresent;
  const std::string_view internal_key = EntryInternalKey(iter.key());
  if (ExtractUserKey(internal_key) != key.user_key()) {
    return GetResult::kNotPresent;
  }
  switch (static_cast<ValueType>(ExtractTrailer(internal_key) & 0xff)) {
    case ValueType::kValue: {
      const std::string_view v = EntryValue(internal_key);
      value->assign(v.data(), v.size());
      return GetResult::kFound;
    }
    case ValueType::kDeletion:
      return GetResult::kDeleted;
  }
  // Add only stores known types.
  assert(false);
  return GetResult::kNotPresent;
}

// InternalIterator over the skiplist; decodes entries on access.
class MemTable::Iter final : public InternalIterator {
 public:
  explicit Iter(const Table* table) : iter_(table) {}

  bool Valid() const override { return iter_.Valid(); }
  void SeekToFirst() override { iter_.SeekToFirst(); }
  void SeekToLast() override { iter_.SeekToLast(); }
  void Seek(std::string_view target) override { iter_.Seek(target); }
  void SeekForPrev(std::string_view target) override {
    iter_.SeekForPrev(target);
  }
  void Next() override { iter_.Next(); }
  void Prev() override { iter_.Prev(); }
  std::string_view key() const override {
    return EntryInternalKey(iter_.key());
  }
  std::string_view value() const override {
    return EntryValue(EntryInternalKey(iter_.key()));
  }
  absl::Status status() const override { return absl::OkStatus(); }

 private:
  Table::Iterator iter_;
};

std::unique_ptr<InternalIterator> MemTable::NewIterator() const {
  return std::make_unique<Iter>(&table_);
}

size_t MemTable::ApproximateMemoryUsage() const { return arena_.MemoryUsage(); }

uint64_t MemTable::num_entries() const {
  return num_entries_.load(std::memory_order_relaxed);
}

uint64_t MemTable::num_deletions() const {
  return num_deletions_.load(std::memory_order_relaxed);
}

SequenceNumber MemTable::first_sequence() const {
  return first_sequence_.load(std::memory_order_relaxed);
}

SequenceNumber MemTable::last_sequence() const {
  return last_sequence_.load(std::memory_order_relaxed);
}

}  // namespace ferrisdb
