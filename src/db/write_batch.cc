// WriteBatch encoding (docs/format/wal.md, "Batch payload"):
//   sequence: fixed64 | count: fixed32 | entry*
//   entry := tag: uint8 (ValueType) | key: varint32 length + bytes
//            [| value: varint32 length + bytes]   (kValue only)
#include "ferrisdb/write_batch.h"

#include "absl/strings/str_format.h"
#include "db/write_batch_internal.h"
#include "ferrisdb/options.h"
#include "memtable/memtable.h"
#include "util/coding.h"

namespace ferrisdb {

using internal::kBatchHeaderSize;
using internal::WriteBatchInternal;

namespace {

// Decodes the entry at the front of *input. False if it is malformed.
bool DecodeEntry(std::string_view* input, ValueType* type,
                 std::string_view* key, std::string_view* value) {
  if (input->empty()) return false;
  const uint8_t tag = static_cast<uint8_t>(input->front());
  input->remove_prefix(1);
  switch (tag) {
    case static_cast<uint8_t>(ValueType::kValue):
      *type = ValueType::kValue;
      return GetLengthPrefixed(input, key) && GetLengthPrefixed(input, value);
    case static_cast<uint8_t>(ValueType::kDeletion):
      *type = ValueType::kDeletion;
      *value = std::string_view();
      return GetLengthPrefixed(input, key);
    default:
      return false;
  }
}

// Calls fn(type, key, value) for each entry; DataLoss if the encoding is
// damaged or the entry count does not match the header.
template <typename Fn>
absl::Status ForEachEntry(std::string_view rep, Fn&& fn) {
  if (rep.size() < kBatchHeaderSize) {
    return absl::DataLossError("write batch: shorter than its header");
  }
  const uint32_t expected = DecodeFixed32(rep.data() + 8);
  std::string_view input = rep.substr(kBatchHeaderSize);
  uint32_t found = 0;
  while (!input.empty()) {
    const size_t entry_offset = rep.size() - input.size();
    ValueType type;
    std::string_view key, value;
    if (!DecodeEntry(&input, &type, &key, &value)) {
      return absl::DataLossError(absl::StrFormat(
          "write batch: malformed entry at offset %d", entry_offset));
    }
    ++found;
    absl::Status s = fn(type, key, value);
    if (!s.ok()) return s;
  }
  if (found != expected) {
    return absl::DataLossError(absl::StrFormat(
        "write batch: header says %d entries, found %d", expected, found));
  }
  return absl::OkStatus();
}

}  // namespace

WriteBatch::WriteBatch() { Clear(); }

void WriteBatch::Clear() {
  rep_.clear();
  rep_.resize(kBatchHeaderSize);
}

size_t WriteBatch::Count() const { return WriteBatchInternal::Count(*this); }

void WriteBatch::Put(std::string_view key, std::string_view value) {
  WriteBatchInternal::SetCount(this, WriteBatchInternal::Count(*this) + 1);
  rep_.push_back(static_cast<char>(ValueType::kValue));
  PutLengthPrefixed(&rep_, key);
  PutLengthPrefixed(&rep_, value);
}

void WriteBatch::Delete(std::string_view key) {
  WriteBatchInternal::SetCount(this, WriteBatchInternal::Count(*this) + 1);
  rep_.push_back(static_cast<char>(ValueType::kDeletion));
  PutLengthPrefixed(&rep_, key);
}

void WriteBatch::Append(const WriteBatch& other) {
  WriteBatchInternal::Append(this, other);
}

absl::Status WriteBatch::Iterate(Handler* handler) const {
  return ForEachEntry(rep_, [handler](ValueType type, std::string_view key,
                                      std::string_view value) {
    return type == ValueType::kValue ? handler->Put(key, value)
                                     : handler->Delete(key);
  });
}

namespace internal {

uint32_t WriteBatchInternal::Count(const WriteBatch& batch) {
  return DecodeFixed32(batch.rep_.data() + 8);
}

void WriteBatchInternal::SetCount(WriteBatch* batch, uint32_t count) {
  EncodeFixed32(batch->rep_.data() + 8, count);
}

SequenceNumber WriteBatchInternal::Sequence(const WriteBatch& batch) {
  return DecodeFixed64(batch.rep_.data());
}

void WriteBatchInternal::SetSequence(WriteBatch* batch,
                                     SequenceNumber sequence) {
  EncodeFixed64(batch->rep_.data(), sequence);
}

absl::Status WriteBatchInternal::SetContents(WriteBatch* batch,
                                             std::string_view contents) {
  absl::Status s =
      ForEachEntry(contents, [](ValueType, std::string_view, std::string_view) {
        return absl::OkStatus();
      });
  if (!s.ok()) {
    batch->Clear();
    return s;
  }
  batch->rep_.assign(contents.data(), contents.size());
  return absl::OkStatus();
}

absl::Status WriteBatchInternal::ValidateForWrite(const WriteBatch& batch) {
  if (batch.rep_.size() > kMaxBatchSize) {
    return absl::InvalidArgumentError(
        absl::StrFormat("write batch of %d bytes exceeds the limit of %d bytes",
                        batch.rep_.size(), kMaxBatchSize));
  }
  uint32_t index = 0;
  return ForEachEntry(batch.rep_, [&index](ValueType, std::string_view key,
                                           std::string_view value) {
    if (key.size() > kMaxKeySize) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "key of %d bytes (entry %d of the batch) exceeds the limit of %d "
          "bytes",
          key.size(), index, kMaxKeySize));
    }
    if (value.size() > kMaxValueSize) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "value of %d bytes (entry %d of the batch) exceeds the limit of %d "
          "bytes",
          value.size(), index, kMaxValueSize));
    }
    ++index;
    return absl::OkStatus();
  });
}

absl::Status WriteBatchInternal::InsertInto(const WriteBatch& batch,
                                            MemTable* memtable) {
  SequenceNumber sequence = Sequence(batch);
  return ForEachEntry(batch.rep_, [&](ValueType type, std::string_view key,
                                      std::string_view value) {
    memtable->Add(sequence++, type, key, value);
    return absl::OkStatus();
  });
}

void WriteBatchInternal::Append(WriteBatch* dst, const WriteBatch& src) {
  SetCount(dst, Count(*dst) + Count(src));
  dst->rep_.append(src.rep_.data() + kBatchHeaderSize,
                   src.rep_.size() - kBatchHeaderSize);
}

}  // namespace internal
}  // namespace ferrisdb
