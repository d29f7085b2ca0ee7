// Fuzz target: TableReader::Open and reads of a table (docs/format/
// sstable.md) from an in-memory file.
//
// Input: flags (1 byte) | body.
//   flags bit 0: "built" mode: the body describes a table (BuildSpec below)
//                that a TableBuilder writes, then up to 3 byte flips or a
//                truncation damage it. Otherwise the body is the file.
//   flags bit 1: read through a block cache; bit 2: with the index and
//                filter in it (cache_index_and_filter_blocks).
//   flags bit 3: the file offers MappedContents (as an mmap'ed file does).
//   flags bit 4: raw mode only: first recompute the footer checksum and the
//                block checksums of the index, filter, properties and data
//                blocks, so mutations get past the checksums.
//   flags bit 5: Get does not consult the bloom filter.
//   flags bit 6: raw mode only: data block reads skip checksums.
//
// Properties, built mode (every byte of a table is covered by a checksum):
// * Undamaged: Open succeeds, scans in both directions, Get at several
//   sequences and Seek/SeekForPrev agree exactly with the entries written;
//   VerifyBlocks finds nothing; the properties count the entries.
// * Damaged: Open fails with DataLoss, or every answer is either exactly
//   right or an error: a forward scan yields a prefix of the entries, a
//   backward scan a suffix, Get the right answer or an error.
// Properties, raw mode: no crash; both scans agree when both succeed; when
// VerifyBlocks finds nothing, the keys are strictly ascending and Get finds
// every scanned entry (a bloom filter may only answer "not present" for it
// since its bits are not verified beyond their checksum).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferrisdb/cache.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"
#include "fuzz/memory_files.h"
#include "memtable/internal_key.h"
#include "table/block.h"
#include "table/table_builder.h"
#include "table/table_format.h"
#include "table/table_reader.h"
#include "util/coding.h"
#include "util/hash.h"

namespace ferrisdb {
namespace {

using Entry = std::pair<std::string, std::string>;  // internal key, value

// The expected answer of Get(user_key, sequence) over entries sorted by
// internal key: the first entry of user_key with a sequence <= sequence.
GetResult ModelGet(const std::vector<Entry>& entries, std::string_view user_key,
                   SequenceNumber sequence) {
  GetResult r;
  LookupKey lookup(user_key, sequence);
  auto it =
      std::lower_bound(entries.begin(), entries.end(), lookup.internal_key(),
                       [](const Entry& e, std::string_view k) {
                         return CompareInternalKeys(e.first, k) < 0;
                       });
  if (it == entries.end() || ExtractUserKey(it->first) != user_key) return r;
  ParsedInternalKey parsed;
  if (!ParseInternalKey(it->first, &parsed)) return r;
  r.sequence = parsed.sequence;
  if (parsed.type == ValueType::kDeletion) {
    r.state = GetResult::State::kDeleted;
  } else {
    r.state = GetResult::State::kFound;
    r.value = it->second;
  }
  return r;
}

bool SameResult(const GetResult& a, const GetResult& b) {
  if (a.state != b.state) return false;
  if (a.state == GetResult::State::kNotPresent) return true;
  return a.sequence == b.sequence &&
         (a.state != GetResult::State::kFound || a.value == b.value);
}

struct Scan {
  std::vector<Entry> entries;
  absl::Status status;
};

Scan ScanTable(const TableReader& table, bool verify, bool backward) {
  Scan scan;
  std::unique_ptr<InternalIterator> it = table.NewIterator(verify);
  if (backward) {
    for (it->SeekToLast(); it->Valid(); it->Prev()) {
      scan.entries.emplace_back(it->key(), it->value());
    }
    std::reverse(scan.entries.begin(), scan.entries.end());
  } else {
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      scan.entries.emplace_back(it->key(), it->value());
    }
  }
  scan.status = it->status();
  return scan;
}

bool IsSorted(const std::vector<Entry>& entries) {
  for (size_t i = 1; i < entries.size(); ++i) {
    if (CompareInternalKeys(entries[i - 1].first, entries[i].first) >= 0) {
      return false;
    }
  }
  return true;
}

// What CheckGets accepts from Get.
enum class Expect {
  kAnything,       // no crash is all (garbage that VerifyBlocks flags)
  kRightOrError,   // a damaged table
  kRightOrAbsent,  // a table whose filter bits may be garbage
  kRight,
};

// Gets the user keys of entries (and keys just after them) at their own
// sequences and a few others, and compares with ModelGet.
void CheckGets(const TableReader& table, const std::vector<Entry>& entries,
               Expect expect) {
  std::vector<std::pair<std::string, SequenceNumber>> probes;
  for (size_t i = 0; i < entries.size() && probes.size() < 64; ++i) {
    const std::string u(ExtractUserKey(entries[i].first));
    probes.emplace_back(u, ExtractSequence(entries[i].first));
    probes.emplace_back(u, kMaxSequenceNumber);
    probes.emplace_back(u, 0);
    probes.emplace_back(u + '\0', kMaxSequenceNumber);
  }
  probes.emplace_back("", kMaxSequenceNumber);
  for (const auto& [u, seq] : probes) {
    GetResult got;
    got.value = "stale";
    absl::Status s = table.Get(LookupKey(u, seq), true, &got);
    if (expect == Expect::kAnything) continue;
    if (!s.ok()) {
      FERRISDB_FUZZ_CHECK(expect == Expect::kRightOrError,
                          "Get of an intact table: %s", s.ToString().c_str());
      continue;
    }
    if (expect == Expect::kRightOrAbsent &&
        got.state == GetResult::State::kNotPresent) {
      continue;
    }
    const GetResult expected = ModelGet(entries, u, seq);
    FERRISDB_FUZZ_CHECK(SameResult(got, expected),
                        "Get(user key of %zu bytes, seq %llu): state %d seq "
                        "%llu, expected state %d seq %llu",
                        u.size(), static_cast<unsigned long long>(seq),
                        static_cast<int>(got.state),
                        static_cast<unsigned long long>(got.sequence),
                        static_cast<int>(expected.state),
                        static_cast<unsigned long long>(expected.sequence));
  }
}

// Seek and SeekForPrev to every entry's key and to lookup keys between
// them; an error is acceptable unless `exact`.
void CheckSeeks(const TableReader& table, const std::vector<Entry>& entries,
                bool exact) {
  std::unique_ptr<InternalIterator> it = table.NewIterator(true);
  std::vector<std::string> targets;
  for (size_t i = 0; i < entries.size() && targets.size() < 64; ++i) {
    targets.push_back(entries[i].first);
    LookupKey after(std::string(ExtractUserKey(entries[i].first)) + '\0',
                    kMaxSequenceNumber);
    targets.emplace_back(after.internal_key());
  }
  targets.emplace_back(LookupKey("", kMaxSequenceNumber).internal_key());
  auto less = [](const Entry& e, std::string_view k) {
    return CompareInternalKeys(e.first, k) < 0;
  };
  for (const std::string& t : targets) {
    const auto lb = std::lower_bound(entries.begin(), entries.end(), t, less);
    it->Seek(t);
    if (it->status().ok() || exact) {
      FERRISDB_FUZZ_CHECK(it->status().ok(), "Seek: %s",
                          it->status().ToString().c_str());
      FERRISDB_FUZZ_CHECK(lb == entries.end()
                              ? !it->Valid()
                              : it->Valid() && it->key() == lb->first &&
                                    it->value() == lb->second,
                          "Seek lands on the wrong entry");
    }
    // Last entry <= t.
    auto ub = std::upper_bound(entries.begin(), entries.end(), t,
                               [](std::string_view k, const Entry& e) {
                                 return CompareInternalKeys(k, e.first) < 0;
                               });
    it->SeekForPrev(t);
    if (it->status().ok() || exact) {
      FERRISDB_FUZZ_CHECK(it->status().ok(), "SeekForPrev: %s",
                          it->status().ToString().c_str());
      FERRISDB_FUZZ_CHECK(ub == entries.begin()
                              ? !it->Valid()
                              : it->Valid() && it->key() == (ub - 1)->first &&
                                    it->value() == (ub - 1)->second,
                          "SeekForPrev lands on the wrong entry");
    }
    if (!it->status().ok()) it = table.NewIterator(true);
  }
}

// Raw mode: makes the checksums of the footer and of the blocks it and the
// index name match their bytes (sstable.md "Blocks", "Footer").
void FixBlockChecksum(std::string* file, uint64_t footer_offset,
                      const BlockHandle& h) {
  if (h.offset > footer_offset || h.size > footer_offset - h.offset ||
      footer_offset - h.offset - h.size < kBlockTrailerSize) {
    return;
  }
  char* block = file->data() + h.offset;
  EncodeFixed32(block + h.size + kBlockTrailerChecksumOffset,
                BlockChecksum(block, h.size));
}

void FixChecksums(std::string* file) {
  if (file->size() < kFooterSize) return;
  const uint64_t footer_offset = file->size() - kFooterSize;
  char* footer = file->data() + footer_offset;
  EncodeFixed32(footer + kFooterChecksumOffset,
                Checksum32(std::string_view(footer, kFooterChecksumOffset)));
  auto handle_at = [footer](size_t offset) {
    return BlockHandle{DecodeFixed64(footer + offset),
                       DecodeFixed64(footer + offset + 8)};
  };
  const BlockHandle index = handle_at(kFooterIndexHandleOffset);
  FixBlockChecksum(file, footer_offset, handle_at(kFooterFilterHandleOffset));
  FixBlockChecksum(file, footer_offset,
                   handle_at(kFooterPropertiesHandleOffset));
  FixBlockChecksum(file, footer_offset, index);
  // Data blocks, through an uncompressed index.
  if (index.offset > footer_offset ||
      index.size > footer_offset - index.offset ||
      footer_offset - index.offset - index.size < kBlockTrailerSize ||
      (*file)[index.offset + index.size] != 0) {
    return;
  }
  BlockContents contents;
  contents.owned = std::make_unique<char[]>(index.size);
  std::copy_n(file->data() + index.offset, index.size, contents.owned.get());
  contents.data = std::string_view(contents.owned.get(), index.size);
  absl::StatusOr<Block> block = Block::Create(std::move(contents));
  if (!block.ok()) return;
  BlockIter it(&*block, BlockKeyOrder::kInternal);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    BlockHandle h;
    if (DecodeBlockHandle(it.value(), &h))
      FixBlockChecksum(file, footer_offset, h);
  }
}

absl::StatusOr<std::unique_ptr<TableReader>> OpenTable(
    std::string_view file, uint8_t flags, std::shared_ptr<Cache>* cache) {
  TableReadOptions options;
  if ((flags & 2) != 0) {
    *cache = NewLRUCache(64 << 10);
    options.block_cache = cache->get();
    options.cache_index_and_filter_blocks = (flags & 4) != 0;
  }
  options.use_filter = (flags & 32) == 0;
  return TableReader::Open(
      options,
      std::make_unique<fuzz::MemoryRandomAccessFile>(file, (flags & 8) != 0),
      file.size(), "fuzz.sst");
}

void CheckRaw(std::string file, uint8_t flags) {
  if ((flags & 16) != 0) FixChecksums(&file);
  std::shared_ptr<Cache> cache;
  absl::StatusOr<std::unique_ptr<TableReader>> table =
      OpenTable(file, flags, &cache);
  if (!table.ok()) return;
  const bool verify = (flags & 64) == 0;
  const Scan forward = ScanTable(**table, verify, false);
  const Scan backward = ScanTable(**table, verify, true);
  if (forward.status.ok() && backward.status.ok()) {
    FERRISDB_FUZZ_CHECK(forward.entries == backward.entries,
                        "forward and backward scans differ");
  }
  const std::vector<absl::Status> problems = (*table)->VerifyBlocks();
  (void)(*table)->ApproximateOffsetOf(
      LookupKey("k", kMaxSequenceNumber).internal_key());
  if (!problems.empty() || !forward.status.ok()) {
    CheckGets(**table, forward.entries, Expect::kAnything);
    return;
  }
  FERRISDB_FUZZ_CHECK(IsSorted(forward.entries),
                      "VerifyBlocks found nothing but the keys of %zu entries "
                      "are not strictly ascending",
                      forward.entries.size());
  FERRISDB_FUZZ_CHECK(backward.status.ok(), "backward scan failed: %s",
                      backward.status.ToString().c_str());
  const bool filter_may_miss = (flags & 32) == 0 && (*table)->has_filter();
  CheckGets(**table, forward.entries,
            filter_may_miss ? Expect::kRightOrAbsent : Expect::kRight);
  CheckSeeks(**table, forward.entries, /*exact=*/true);
}

// Built mode body: block_size/16 (1 byte), restart interval, bloom and
// compression flags, then the damage (count byte; per damage: offset U32,
// xor byte; xor 0 truncates the file at offset), then entries (user key
// string, sequence byte, type bit, value length byte, value fill byte).
void CheckBuilt(fuzz::FuzzInput* in, uint8_t flags) {
  TableBuildOptions options;
  options.block_size = 16 + 16 * size_t{in->Byte()};
  options.block_restart_interval = 1 + static_cast<int>(in->Below(16));
  const uint8_t build_flags = in->Byte();
  options.bloom_bits_per_key = (build_flags & 1) != 0 ? 10 : 0;
  options.compression =
      (build_flags & 2) != 0 ? CompressionType::kZstd : CompressionType::kNone;
  options.creation_time = 1;
  struct Damage {
    uint32_t offset;
    uint8_t xor_mask;
  };
  std::vector<Damage> damage(in->Below(4));
  for (Damage& d : damage) d = {in->U32(), in->Byte()};

  std::vector<Entry> entries;
  while (!in->exhausted() && entries.size() < 400) {
    const std::string user_key = in->String(32);
    const SequenceNumber seq = in->Byte();
    const ValueType type =
        in->Bool() ? ValueType::kValue : ValueType::kDeletion;
    const size_t value_len = in->Byte() * size_t{4};
    const char fill = static_cast<char>(in->Byte());
    std::string key;
    AppendInternalKey(&key, user_key, seq, type);
    entries.emplace_back(std::move(key), type == ValueType::kValue
                                             ? std::string(value_len, fill)
                                             : std::string());
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return CompareInternalKeys(a.first, b.first) < 0;
  });
  entries.erase(std::unique(entries.begin(), entries.end(),
                            [](const Entry& a, const Entry& b) {
                              return a.first == b.first;
                            }),
                entries.end());

  std::string file;
  fuzz::MemoryWritableFile sink(&file);
  TableBuilder builder(options, &sink, "fuzz.sst");
  for (const auto& [k, v] : entries) {
    absl::Status s = builder.Add(k, v);
    FERRISDB_FUZZ_CHECK(s.ok(), "TableBuilder::Add: %s", s.ToString().c_str());
  }
  absl::Status s = builder.Finish();
  FERRISDB_FUZZ_CHECK(s.ok(), "TableBuilder::Finish: %s", s.ToString().c_str());
  FERRISDB_FUZZ_CHECK(builder.FileSize() == file.size(), "FileSize");

  const std::string original = file;
  for (const Damage& d : damage) {
    if (file.empty()) break;
    const size_t offset = d.offset % file.size();
    if (d.xor_mask == 0) {
      file.resize(offset);
    } else {
      file[offset] = static_cast<char>(file[offset] ^ d.xor_mask);
    }
  }
  const bool damaged = file != original;

  std::shared_ptr<Cache> cache;
  absl::StatusOr<std::unique_ptr<TableReader>> table =
      OpenTable(file, flags, &cache);
  if (!table.ok()) {
    FERRISDB_FUZZ_CHECK(damaged, "intact table rejected: %s",
                        table.status().ToString().c_str());
    FERRISDB_FUZZ_CHECK(absl::IsDataLoss(table.status()) ||
                            absl::IsFailedPrecondition(table.status()),
                        "%s", table.status().ToString().c_str());
    return;
  }
  const Scan forward = ScanTable(**table, true, false);
  const Scan backward = ScanTable(**table, true, true);
  const bool forward_prefix =
      forward.entries.size() <= entries.size() &&
      std::equal(forward.entries.begin(), forward.entries.end(),
                 entries.begin());
  const bool backward_suffix =
      backward.entries.size() <= entries.size() &&
      std::equal(backward.entries.begin(), backward.entries.end(),
                 entries.end() - static_cast<long>(backward.entries.size()));
  FERRISDB_FUZZ_CHECK(forward_prefix && backward_suffix,
                      "scans show entries that were not written (damaged %d)",
                      damaged);
  if (forward.status.ok()) {
    FERRISDB_FUZZ_CHECK(forward.entries.size() == entries.size(),
                        "forward scan ended early without an error");
  }
  if (backward.status.ok()) {
    FERRISDB_FUZZ_CHECK(backward.entries.size() == entries.size(),
                        "backward scan ended early without an error");
  }
  if (!damaged) {
    FERRISDB_FUZZ_CHECK(forward.status.ok() && backward.status.ok(),
                        "scan of an intact table: %s / %s",
                        forward.status.ToString().c_str(),
                        backward.status.ToString().c_str());
    FERRISDB_FUZZ_CHECK((*table)->VerifyBlocks().empty(),
                        "VerifyBlocks finds damage in an intact table");
    FERRISDB_FUZZ_CHECK(
        (*table)->properties().num_entries == entries.size(),
        "properties count %llu entries",
        static_cast<unsigned long long>((*table)->properties().num_entries));
  }
  CheckGets(**table, entries, damaged ? Expect::kRightOrError : Expect::kRight);
  CheckSeeks(**table, entries, /*exact=*/!damaged);
}

}  // namespace
}  // namespace ferrisdb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferrisdb;
  fuzz::FuzzInput in(data, size);
  const uint8_t flags = in.Byte();
  if ((flags & 1) != 0) {
    CheckBuilt(&in, flags);
  } else {
    CheckRaw(in.Rest(), flags);
  }
  return 0;
}
