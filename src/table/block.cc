#include "table/block.h"

#include <cassert>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "memtable/internal_key.h"
#include "util/coding.h"
#include "util/strings.h"

namespace ferrisdb {

absl::StatusOr<Block> Block::Create(BlockContents contents) {
  const std::string_view d = contents.data;
  if (d.size() < kRestartCountSize || d.size() > kMaxBlockContentsSize) {
    return absl::DataLossError(
        absl::StrCat("block contents of ", d.size(), " bytes"));
  }
  const uint32_t num = DecodeFixed32(d.data() + d.size() - kRestartCountSize);
  const size_t max_num = (d.size() - kRestartCountSize) / kRestartEntrySize;
  if (num == 0 || num > max_num) {
    return absl::DataLossError(absl::StrCat("bad restart count ", num));
  }
  const auto restarts_offset = static_cast<uint32_t>(
      d.size() - kRestartCountSize - size_t{num} * kRestartEntrySize);
  // sstable.md "Block contents": restart 0 is offset 0; the offsets strictly
  // increase and point inside the entries. Checked once here so that
  // iterators can trust them.
  uint32_t prev = 0;
  for (uint32_t i = 0; i < num; ++i) {
    const uint32_t r =
        DecodeFixed32(d.data() + restarts_offset + i * kRestartEntrySize);
    const bool ok = i == 0 ? r == 0 && (num == 1 || restarts_offset > 0)
                           : r > prev && r < restarts_offset;
    if (!ok) {
      return absl::DataLossError(
          absl::StrCat("bad restart offset ", r, " (restart ", i, ")"));
    }
    prev = r;
  }
  Block block;
  block.contents_ = std::move(contents);
  block.restarts_offset_ = restarts_offset;
  block.num_restarts_ = num;
  return block;
}

void BlockIter::Init(const Block* block, BlockKeyOrder order) {
  data_ = block->contents_.data.data();
  restarts_offset_ = block->restarts_offset_;
  num_restarts_ = block->num_restarts_;
  order_ = order;
  valid_ = false;
  current_ = next_ = restart_index_ = 0;
  key_ = value_ = {};
  key_in_buf_ = false;
  status_ = absl::OkStatus();
}

int BlockIter::Compare(std::string_view a, std::string_view b) const {
  if (order_ == BlockKeyOrder::kInternal) return CompareInternalKeys(a, b);
  return a.compare(b);
}

uint32_t BlockIter::RestartOffset(uint32_t index) const {
  assert(index < num_restarts_);
  return DecodeFixed32(data_ + restarts_offset_ + index * kRestartEntrySize);
}

void BlockIter::Corrupt(std::string_view what, uint32_t offset) {
  valid_ = false;
  key_ = value_ = {};
  if (status_.ok()) {
    status_ = absl::DataLossError(
        absl::StrCat(ToAbsl(what), " at block offset ", offset));
  }
}

namespace {

// Decodes the three varint32 lengths of an entry header from [p, limit);
// nullptr if malformed.
inline const char* DecodeEntryHeader(const char* p, const char* limit,
                                     uint32_t* shared, uint32_t* non_shared,
                                     uint32_t* value_len) {
  if (limit - p >= 3) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    if ((u[0] | u[1] | u[2]) < 128) {  // fast path: three one-byte varints
      *shared = u[0];
      *non_shared = u[1];
      *value_len = u[2];
      return p + 3;
    }
  }
  p = DecodeVarint32(p, limit, shared);
  if (p == nullptr) return nullptr;
  p = DecodeVarint32(p, limit, non_shared);
  if (p == nullptr) return nullptr;
  return DecodeVarint32(p, limit, value_len);
}

}  // namespace

bool BlockIter::DecodeEntry(uint32_t offset, bool restart) {
  const char* limit = data_ + restarts_offset_;
  uint32_t shared, non_shared, value_len;
  const char* p = DecodeEntryHeader(data_ + offset, limit, &shared, &non_shared,
                                    &value_len);
  if (p == nullptr ||
      uint64_t{non_shared} + value_len > static_cast<uint64_t>(limit - p)) {
    Corrupt("truncated block entry", offset);
    return false;
  }
  if (restart ? shared != 0 : shared > key_.size()) {
    Corrupt("bad shared key length", offset);
    return false;
  }
  if (shared == 0) {
    key_ = std::string_view(p, non_shared);
    key_in_buf_ = false;
  } else {
    if (key_in_buf_) {
      key_buf_.resize(shared);
    } else {
      key_buf_.assign(key_.data(), shared);
    }
    key_buf_.append(p, non_shared);
    key_ = key_buf_;
    key_in_buf_ = true;
  }
  if (order_ == BlockKeyOrder::kInternal &&
      key_.size() < kInternalKeyTrailerSize) {
    Corrupt("internal key too short", offset);
    return false;
  }
  value_ = std::string_view(p + non_shared, value_len);
  current_ = offset;
  next_ = static_cast<uint32_t>(p + non_shared + value_len - data_);
  valid_ = true;
  return true;
}

bool BlockIter::RestartKey(uint32_t index, std::string_view* key) {
  const uint32_t offset = RestartOffset(index);
  const char* limit = data_ + restarts_offset_;
  uint32_t shared, non_shared, value_len;
  const char* p = DecodeEntryHeader(data_ + offset, limit, &shared, &non_shared,
                                    &value_len);
  if (p == nullptr ||
      uint64_t{non_shared} + value_len > static_cast<uint64_t>(limit - p)) {
    Corrupt("truncated block entry", offset);
    return false;
  }
  if (shared != 0) {
    Corrupt("bad shared key length", offset);
    return false;
  }
  if (order_ == BlockKeyOrder::kInternal &&
      non_shared < kInternalKeyTrailerSize) {
    Corrupt("internal key too short", offset);
    return false;
  }
  *key = std::string_view(p, non_shared);
  return true;
}

void BlockIter::SeekToRestart(uint32_t index) {
  restart_index_ = index;
  key_in_buf_ = false;
  key_ = {};
  const uint32_t offset = RestartOffset(index);
  if (offset >= restarts_offset_) {  // an empty block
    valid_ = false;
    return;
  }
  DecodeEntry(offset, /*restart=*/true);
}

void BlockIter::Advance() {
  if (next_ >= restarts_offset_) {
    // The entries end here, so every restart point must have been passed:
    // one after the current entry means the last entry straddles it (a
    // backward scan or a seek, starting there, would decode garbage).
    if (restart_index_ + 1 < num_restarts_) {
      Corrupt("entry overlaps a restart point", current_);
      return;
    }
    valid_ = false;
    return;
  }
  bool restart = false;
  if (restart_index_ + 1 < num_restarts_ &&
      RestartOffset(restart_index_ + 1) <= next_) {
    ++restart_index_;
    // Block::Create checked that restarts increase, so an entry boundary
    // that skips over a restart point means the entries are malformed.
    if (RestartOffset(restart_index_) != next_) {
      Corrupt("entry overlaps a restart point", next_);
      return;
    }
    restart = true;
  }
  DecodeEntry(next_, restart);
}

void BlockIter::SeekToFirst() {
  if (!status_.ok()) return;
  SeekToRestart(0);
}

void BlockIter::SeekToLast() {
  if (!status_.ok()) return;
  SeekToRestart(num_restarts_ - 1);
  while (valid_ && next_ < restarts_offset_) Advance();
}

void BlockIter::Next() {
  assert(valid_);
  Advance();
}

void BlockIter::Prev() {
  assert(valid_);
  const uint32_t original = current_;
  // Back up to the last restart point before the current entry, then scan
  // forward to the entry just before it.
  while (RestartOffset(restart_index_) >= original) {
    if (restart_index_ == 0) {
      valid_ = false;
      return;
    }
    --restart_index_;
  }
  SeekToRestart(restart_index_);
  while (valid_ && next_ < original) Advance();
  if (valid_ && next_ != original) Corrupt("entry overlaps another", current_);
}

void BlockIter::Seek(std::string_view target) {
  if (!status_.ok()) return;
  // Find the last restart point whose key is < target.
  uint32_t left = 0;
  uint32_t right = num_restarts_ - 1;
  if (restarts_offset_ == 0) {  // no entries
    valid_ = false;
    return;
  }
  while (left < right) {
    const uint32_t mid = left + (right - left + 1) / 2;
    std::string_view mid_key;
    if (!RestartKey(mid, &mid_key)) return;
    if (Compare(mid_key, target) < 0) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  SeekToRestart(left);
  while (valid_ && Compare(key_, target) < 0) Advance();
}

void BlockIter::SeekForPrev(std::string_view target) {
  if (!status_.ok()) return;
  Seek(target);
  if (!valid_) {
    if (status_.ok()) SeekToLast();
    return;
  }
  while (valid_ && Compare(key_, target) > 0) Prev();
}

}  // namespace ferrisdb
