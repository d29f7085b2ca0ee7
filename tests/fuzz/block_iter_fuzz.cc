// Fuzz target: Block::Create and BlockIter (docs/format/sstable.md "Block
// contents").
//
// Input: flags (1 byte) | body.
//   flags bit 0: keys in internal-key order (data and index blocks) instead
//                of bytewise (properties block).
//   flags bit 1: "built" mode: the body describes entries (restart interval
//                byte, then key and value strings, see BuildBlock) that a
//                BlockBuilder turns into a block, which must then read back
//                exactly. Otherwise the body is the block contents.
//
// Properties of any block that Block::Create accepts:
// * A full scan forward and a full scan backward either both succeed and
//   see the same entries in opposite orders, or both stop with DataLoss.
// * Keys of the internal order are at least a trailer long.
// * When the keys are strictly ascending in the block's order (the format
//   requires it, but the iterator does not check it: see README.md), Seek
//   and SeekForPrev to any target, and Next/Prev from there, land exactly
//   where a binary search of the scanned entries says. Targets are the
//   scanned keys, their neighbours, and strings from the input.
// * Otherwise, seeks do not crash and land on scanned entries or invalid.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"
#include "memtable/internal_key.h"
#include "table/block.h"
#include "table/block_builder.h"

namespace ferrisdb {
namespace {

using Entry = std::pair<std::string, std::string>;

int Compare(BlockKeyOrder order, std::string_view a, std::string_view b) {
  return order == BlockKeyOrder::kInternal ? CompareInternalKeys(a, b)
                                           : a.compare(b);
}

// A target the order can compare: internal keys need a trailer.
std::string AsTarget(BlockKeyOrder order, std::string s) {
  if (order == BlockKeyOrder::kInternal && s.size() < kInternalKeyTrailerSize) {
    s.resize(kInternalKeyTrailerSize, '\0');
  }
  return s;
}

std::vector<Entry> ScanForward(BlockIter* it) {
  std::vector<Entry> out;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace_back(it->key(), it->value());
  }
  return out;
}

std::vector<Entry> ScanBackward(BlockIter* it) {
  std::vector<Entry> out;
  for (it->SeekToLast(); it->Valid(); it->Prev()) {
    out.emplace_back(it->key(), it->value());
  }
  std::reverse(out.begin(), out.end());
  return out;
}

// Where the iterator is: an index into entries, or -1 if invalid.
long Position(const BlockIter& it, const std::vector<Entry>& entries) {
  if (!it.Valid()) return -1;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].first == it.key() && entries[i].second == it.value()) {
      return static_cast<long>(i);
    }
  }
  FERRISDB_FUZZ_CHECK(false, "iterator at an entry the scan did not see");
  return -1;
}

void CheckSeeks(const Block& block, BlockKeyOrder order,
                const std::vector<Entry>& entries, bool sorted,
                const std::vector<std::string>& targets) {
  const long n = static_cast<long>(entries.size());
  BlockIter it(&block, order);
  for (size_t t = 0; t < targets.size(); ++t) {
    const std::string& target = targets[t];
    const bool for_prev = t % 2 == 1;
    long expected = 0;
    if (for_prev) {
      it.SeekForPrev(target);
      while (expected < n &&
             Compare(order, entries[expected].first, target) <= 0) {
        ++expected;
      }
      --expected;  // last entry <= target
    } else {
      it.Seek(target);
      while (expected < n &&
             Compare(order, entries[expected].first, target) < 0) {
        ++expected;
      }
      if (expected == n) expected = -1;  // first entry >= target
    }
    FERRISDB_FUZZ_CHECK(it.status().ok(),
                        "seek failed on a block that scans: %s",
                        it.status().ToString().c_str());
    long pos = Position(it, entries);
    if (!sorted) continue;
    FERRISDB_FUZZ_CHECK(pos == expected,
                        "%s to target %zu: at %ld, expected %ld",
                        for_prev ? "SeekForPrev" : "Seek", t, pos, expected);
    // A few steps in the direction the target's index says.
    for (int step = 0; step < 3 && it.Valid(); ++step) {
      if (((t >> 1) + step) % 2 == 0) {
        it.Next();
        ++pos;
        if (pos == n) pos = -1;
      } else {
        it.Prev();
        --pos;
      }
      FERRISDB_FUZZ_CHECK(it.status().ok(), "step failed");
      FERRISDB_FUZZ_CHECK(Position(it, entries) == pos,
                          "step %d from target %zu", step, t);
    }
  }
}

// Built mode: restart interval (1 byte), then key/value string pairs. The
// keys are sorted and deduplicated in the block's order first.
std::string BuildBlock(fuzz::FuzzInput* in, BlockKeyOrder order,
                       std::vector<Entry>* entries) {
  const int restart_interval = 1 + in->Below(32);
  while (!in->exhausted() && entries->size() < 200) {
    std::string key = AsTarget(order, in->String(64));
    std::string value = in->String(64);
    entries->emplace_back(std::move(key), std::move(value));
  }
  std::stable_sort(entries->begin(), entries->end(),
                   [order](const Entry& a, const Entry& b) {
                     return Compare(order, a.first, b.first) < 0;
                   });
  entries->erase(std::unique(entries->begin(), entries->end(),
                             [order](const Entry& a, const Entry& b) {
                               return Compare(order, a.first, b.first) == 0;
                             }),
                 entries->end());
  BlockBuilder builder(restart_interval);
  for (const auto& [k, v] : *entries) builder.Add(k, v);
  return std::string(builder.Finish());
}

}  // namespace
}  // namespace ferrisdb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferrisdb;
  fuzz::FuzzInput in(data, size);
  const uint8_t flags = in.Byte();
  const BlockKeyOrder order =
      (flags & 1) != 0 ? BlockKeyOrder::kInternal : BlockKeyOrder::kBytewise;
  const bool built = (flags & 2) != 0;

  std::vector<Entry> built_entries;
  const std::string bytes =
      built ? BuildBlock(&in, order, &built_entries) : in.Rest();
  // Owned, in a heap block of exactly the contents' size, so that any read
  // past the end is an AddressSanitizer error.
  BlockContents contents;
  contents.owned = std::make_unique<char[]>(bytes.size());
  if (!bytes.empty())
    std::memcpy(contents.owned.get(), bytes.data(), bytes.size());
  contents.data = std::string_view(contents.owned.get(), bytes.size());
  absl::StatusOr<Block> block = Block::Create(std::move(contents));
  if (!block.ok()) {
    FERRISDB_FUZZ_CHECK(!built, "built block rejected: %s",
                        block.status().ToString().c_str());
    FERRISDB_FUZZ_CHECK(absl::IsDataLoss(block.status()), "%s",
                        block.status().ToString().c_str());
    return 0;
  }

  BlockIter it(&*block, order);
  const std::vector<Entry> forward = ScanForward(&it);
  const absl::Status forward_status = it.status();
  const std::vector<Entry> backward = ScanBackward(&it);
  const absl::Status backward_status = it.status();
  // An error stays: a second scan must not clear it.
  if (!forward_status.ok()) {
    FERRISDB_FUZZ_CHECK(absl::IsDataLoss(forward_status), "%s",
                        forward_status.ToString().c_str());
    FERRISDB_FUZZ_CHECK(!backward_status.ok(), "error did not stay");
  }
  BlockIter backward_it(&*block, order);
  const std::vector<Entry> backward_fresh = ScanBackward(&backward_it);
  FERRISDB_FUZZ_CHECK(forward_status.ok() == backward_it.status().ok(),
                      "forward scan: %s; backward scan: %s",
                      forward_status.ToString().c_str(),
                      backward_it.status().ToString().c_str());
  if (built) {
    FERRISDB_FUZZ_CHECK(forward_status.ok() && forward == built_entries,
                        "built block reads back differently");
  }
  if (!forward_status.ok()) return 0;
  FERRISDB_FUZZ_CHECK(backward_fresh == forward,
                      "backward scan differs from the forward scan");

  bool sorted = true;
  for (size_t i = 0; i < forward.size(); ++i) {
    if (order == BlockKeyOrder::kInternal) {
      FERRISDB_FUZZ_CHECK(forward[i].first.size() >= kInternalKeyTrailerSize,
                          "internal key shorter than a trailer");
    }
    if (i > 0 && Compare(order, forward[i - 1].first, forward[i].first) >= 0) {
      sorted = false;
    }
  }

  std::vector<std::string> targets;
  for (size_t i = 0; i < forward.size() && targets.size() < 64; ++i) {
    const std::string& k = forward[i].first;
    if (k.empty()) continue;
    targets.push_back(k);
    targets.push_back(k);
    std::string after = k;
    after.back() = static_cast<char>(after.back() + 1);
    targets.push_back(AsTarget(order, after));
    targets.push_back(AsTarget(order, k.substr(0, k.size() - 1)));
  }
  for (int i = 0; i < 8; ++i) {
    targets.push_back(AsTarget(
        order,
        std::string(bytes.substr((i * 131) % (bytes.size() + 1), i + 3))));
  }
  targets.push_back(AsTarget(order, ""));
  targets.push_back(AsTarget(order, std::string(80, '\xff')));
  CheckSeeks(*block, order, forward, sorted, targets);
  return 0;
}
