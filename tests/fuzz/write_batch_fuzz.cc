// Fuzz target: WriteBatch decoding (docs/format/wal.md "Batch payload").
// The input is an encoded batch as the WAL replay hands it to
// WriteBatchInternal::SetContents.
//
// Properties:
// * A rejected batch is DataLoss and leaves the batch empty.
// * An accepted batch keeps the input's bytes; Iterate succeeds and reports
//   exactly Count() updates; ValidateForWrite agrees with the entry sizes.
// * Re-encoding the updates with Put/Delete decodes to the same updates and
//   is never longer than the input; it is byte-identical unless the input
//   spent more bytes than needed on a length varint (the format accepts
//   overlong varints), i.e. whenever it has the same size.
// * Inserting into a memtable stores every update with consecutive sequence
//   numbers, visible to Get and to the memtable iterator.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "db/write_batch_internal.h"
#include "ferrisdb/options.h"
#include "ferrisdb/write_batch.h"
#include "fuzz/fuzz_check.h"
#include "memtable/internal_key.h"
#include "memtable/memtable.h"
#include "util/coding.h"

namespace ferrisdb {
namespace {

using internal::kBatchHeaderSize;
using internal::WriteBatchInternal;

struct Update {
  ValueType type;
  std::string key;
  std::string value;
  bool operator==(const Update&) const = default;
};

class Recorder final : public WriteBatch::Handler {
 public:
  absl::Status Put(std::string_view key, std::string_view value) override {
    updates.push_back(
        {ValueType::kValue, std::string(key), std::string(value)});
    return absl::OkStatus();
  }
  absl::Status Delete(std::string_view key) override {
    updates.push_back({ValueType::kDeletion, std::string(key), {}});
    return absl::OkStatus();
  }
  std::vector<Update> updates;
};

std::vector<Update> Decode(const WriteBatch& batch) {
  Recorder recorder;
  absl::Status s = batch.Iterate(&recorder);
  FERRISDB_FUZZ_CHECK(s.ok(), "Iterate of an accepted batch: %s",
                      s.ToString().c_str());
  return std::move(recorder.updates);
}

void CheckMemTable(const WriteBatch& batch,
                   const std::vector<Update>& updates) {
  const SequenceNumber first = WriteBatchInternal::Sequence(batch);
  // MemTable::Add REQUIRES sequences within range (the WAL replay checks
  // the batch's range before InsertInto); written so as not to overflow.
  if (updates.empty() || first == 0 || first > kMaxSequenceNumber ||
      updates.size() - 1 > kMaxSequenceNumber - first) {
    return;
  }
  auto* mem = new MemTable();
  mem->Ref();
  absl::Status s = WriteBatchInternal::InsertInto(batch, mem);
  FERRISDB_FUZZ_CHECK(s.ok(), "InsertInto: %s", s.ToString().c_str());
  FERRISDB_FUZZ_CHECK(mem->num_entries() == updates.size(), "%zu entries",
                      static_cast<size_t>(mem->num_entries()));
  for (size_t i = 0; i < updates.size(); ++i) {
    const Update& u = updates[i];
    std::string value;
    LookupKey lookup(u.key, first + i);
    const MemTable::GetResult r = mem->Get(lookup, &value);
    // At the update's own sequence it is the newest visible version.
    if (u.type == ValueType::kValue) {
      FERRISDB_FUZZ_CHECK(r == MemTable::GetResult::kFound && value == u.value,
                          "update %zu not found as written", i);
    } else {
      FERRISDB_FUZZ_CHECK(r == MemTable::GetResult::kDeleted,
                          "deletion %zu not found", i);
    }
  }
  size_t n = 0;
  std::unique_ptr<InternalIterator> it = mem->NewIterator();
  std::string prev;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++n) {
    if (n > 0) {
      FERRISDB_FUZZ_CHECK(CompareInternalKeys(prev, it->key()) < 0,
                          "memtable keys not ascending");
    }
    prev.assign(it->key());
  }
  FERRISDB_FUZZ_CHECK(n == updates.size(), "memtable iterator saw %zu", n);
  it.reset();
  mem->Unref();
}

}  // namespace
}  // namespace ferrisdb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferrisdb;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  WriteBatch batch;
  batch.Put("stale", "entry");  // must vanish whatever the outcome
  absl::Status s = WriteBatchInternal::SetContents(&batch, input);
  if (!s.ok()) {
    FERRISDB_FUZZ_CHECK(absl::IsDataLoss(s), "rejection is not DataLoss: %s",
                        s.ToString().c_str());
    FERRISDB_FUZZ_CHECK(batch.Count() == 0 && WriteBatchInternal::ByteSize(
                                                  batch) == kBatchHeaderSize,
                        "rejected batch not left empty");
    return 0;
  }
  FERRISDB_FUZZ_CHECK(WriteBatchInternal::Contents(batch) == input,
                      "accepted batch does not hold the input");
  const std::vector<Update> updates = Decode(batch);
  FERRISDB_FUZZ_CHECK(updates.size() == batch.Count(), "%zu updates, Count %zu",
                      updates.size(), batch.Count());

  bool within_limits = true;
  for (const Update& u : updates) {
    within_limits &=
        u.key.size() <= kMaxKeySize && u.value.size() <= kMaxValueSize;
  }
  absl::Status v = WriteBatchInternal::ValidateForWrite(batch);
  FERRISDB_FUZZ_CHECK(v.ok() == within_limits, "ValidateForWrite: %s",
                      v.ToString().c_str());

  WriteBatch again;
  for (const Update& u : updates) {
    if (u.type == ValueType::kValue) {
      again.Put(u.key, u.value);
    } else {
      again.Delete(u.key);
    }
  }
  WriteBatchInternal::SetSequence(&again, WriteBatchInternal::Sequence(batch));
  const std::string_view encoded = WriteBatchInternal::Contents(again);
  FERRISDB_FUZZ_CHECK(encoded.size() <= input.size(),
                      "re-encoding longer than the input");
  if (encoded.size() == input.size()) {
    FERRISDB_FUZZ_CHECK(encoded == input, "re-encoding differs from the input");
  }
  FERRISDB_FUZZ_CHECK(Decode(again) == updates,
                      "re-encoding decodes differently");

  WriteBatch appended;
  appended.Put("first", "x");
  WriteBatchInternal::Append(&appended, batch);
  std::vector<Update> expected{{ValueType::kValue, "first", "x"}};
  expected.insert(expected.end(), updates.begin(), updates.end());
  FERRISDB_FUZZ_CHECK(Decode(appended) == expected, "Append lost updates");

  CheckMemTable(batch, updates);
  return 0;
}
