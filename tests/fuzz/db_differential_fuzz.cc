// Fuzz target: the whole DB against a std::map model. The input is a
// sequence of operations (encoding in db_ops.h) applied to a DB in a fresh
// directory (under /dev/shm when it exists) with a tiny write buffer and
// tiny levels, so that flushes, compactions and trivial moves happen within
// a few operations. Every read (Get, full scans both ways within optional
// bounds, seeks with steps, at the latest state or a held snapshot) must
// match the model; every write, flush, compaction, reopen and checksum
// verification must succeed. Work per input is bounded: at most kMaxOps
// operations, kMaxHeavyOps flushes/compactions/reopens.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_format.h"
#include "ferrisdb/db.h"
#include "ferrisdb/options.h"
#include "ferrisdb/write_batch.h"
#include "fuzz/db_ops.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/fuzz_input.h"

namespace ferrisdb {
namespace {

using fuzz::DbOp;
using Model = std::map<std::string, std::string>;

constexpr int kMaxOps = 64;
constexpr int kMaxHeavyOps = 8;
constexpr size_t kMaxSnapshots = 4;

#define CHECK_OK(expr)                                         \
  do {                                                         \
    const absl::Status check_ok_status = (expr);               \
    FERRISDB_FUZZ_CHECK(check_ok_status.ok(), "%s: %s", #expr, \
                        check_ok_status.ToString().c_str());   \
  } while (false)

std::string DbDirectory() {
  const char* base =
      std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
  return absl::StrFormat("%s/ferrisdb-fuzz-%d", base, getpid());
}

Options DbOptions() {
  Options o;
  o.write_buffer_size = 2048;
  o.block_size = 256;
  o.block_restart_interval = 4;
  o.target_file_size = 2048;
  o.level0_file_num_compaction_trigger = 2;
  o.level0_slowdown_writes_trigger = 8;
  o.level0_stop_writes_trigger = 12;
  o.max_bytes_for_level_base = 8 << 10;
  o.max_bytes_for_level_multiplier = 2;
  o.block_cache_capacity = 64 << 10;
  o.max_open_files = 16;
  return o;
}

class Differential {
 public:
  explicit Differential(fuzz::FuzzInput* in) : in_(in), path_(DbDirectory()) {
    std::filesystem::remove_all(path_);
    Open();
  }
  ~Differential() {
    ReleaseAll();
    db_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  void Run() {
    int ops = 0;
    for (; ops < kMaxOps && !in_->exhausted(); ++ops) Step();
    Scan(nullptr, model_, std::nullopt, std::nullopt);
    // FERRISDB_FUZZ_VERBOSE=1: what an input did, to check that seeds reach
    // flushes and compactions.
    if (std::getenv("FERRISDB_FUZZ_VERBOSE") != nullptr) {
      std::string files;
      for (int level = 0; level < 7; ++level) {
        absl::StatusOr<std::string> n = db_->GetProperty(
            absl::StrFormat("ferrisdb.num-files-at-level%d", level));
        absl::StrAppendFormat(&files, " %s", n.ok() ? *n : "?");
      }
      std::fprintf(stderr, "%d ops, %d writes, %zu keys; files per level:%s\n",
                   ops, writes_, model_.size(), files.c_str());
    }
  }

 private:
  struct Held {
    const Snapshot* snapshot;
    Model model;
  };

  void Open() {
    absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(DbOptions(), path_);
    FERRISDB_FUZZ_CHECK(db.ok(), "DB::Open: %s",
                        db.status().ToString().c_str());
    db_ = *std::move(db);
  }

  void ReleaseAll() {
    for (Held& h : held_) db_->ReleaseSnapshot(h.snapshot);
    held_.clear();
  }

  std::string Key() {
    const uint8_t b = in_->Byte();
    if (b >= fuzz::kBinaryKeyByte) {
      return std::string("\0k\xff", 3) + static_cast<char>(b);
    }
    return absl::StrFormat("key%02d", b % fuzz::kKeySpace);
  }

  // A value unique to this write, of 8 * (length byte) bytes.
  std::string Value() {
    const size_t len = size_t{in_->Byte()} * 8;
    const std::string stamp = absl::StrFormat("<%d>", ++writes_);
    std::string v;
    while (v.size() < len) v += stamp;
    v.resize(len);
    return v;
  }

  // The view a read uses: nullptr and the model, or a held snapshot.
  std::pair<const Snapshot*, const Model*> View() {
    const uint8_t b = in_->Byte();
    if (b == 0 || held_.empty()) return {nullptr, &model_};
    const Held& h = held_[(b - 1) % held_.size()];
    return {h.snapshot, &h.model};
  }

  bool Heavy() { return heavy_ops_++ < kMaxHeavyOps; }

  void Step() {
    const WriteOptions wo;
    switch (static_cast<DbOp>(in_->Byte() % fuzz::kNumDbOps)) {
      case DbOp::kPut: {
        const std::string k = Key(), v = Value();
        CHECK_OK(db_->Put(wo, k, v));
        model_[k] = v;
        break;
      }
      case DbOp::kDelete: {
        const std::string k = Key();
        CHECK_OK(db_->Delete(wo, k));
        model_.erase(k);
        break;
      }
      case DbOp::kWriteBatch: {
        WriteBatch batch;
        Model after = model_;
        const int n = 1 + in_->Below(8);
        for (int i = 0; i < n; ++i) {
          const bool put = in_->Bool();
          const std::string k = Key();
          if (put) {
            const std::string v = Value();
            batch.Put(k, v);
            after[k] = v;
          } else {
            batch.Delete(k);
            after.erase(k);
          }
        }
        CHECK_OK(db_->Write(wo, &batch));
        model_ = std::move(after);
        break;
      }
      case DbOp::kGet: {
        const auto [snapshot, model] = View();
        Get(snapshot, *model, Key());
        break;
      }
      case DbOp::kScan: {
        const auto [snapshot, model] = View();
        const uint8_t bounds = in_->Byte();
        std::optional<std::string> lower, upper;
        if ((bounds & 1) != 0) lower = Key();
        if ((bounds & 2) != 0) upper = Key();
        Scan(snapshot, *model, lower, upper);
        break;
      }
      case DbOp::kSeek: {
        const auto [snapshot, model] = View();
        const std::string k = Key();
        Seek(snapshot, *model, k, in_->Byte());
        break;
      }
      case DbOp::kSnapshot:
        if (held_.size() < kMaxSnapshots) {
          held_.push_back({db_->GetSnapshot(), model_});
        }
        break;
      case DbOp::kRelease:
        if (!held_.empty()) {
          const size_t i = in_->Byte() % held_.size();
          db_->ReleaseSnapshot(held_[i].snapshot);
          held_.erase(held_.begin() + static_cast<long>(i));
        }
        break;
      case DbOp::kFlush:
        if (Heavy()) CHECK_OK(db_->Flush());
        break;
      case DbOp::kCompactRange: {
        const uint8_t bounds = in_->Byte();
        std::optional<std::string> begin, end;
        if ((bounds & 1) != 0) begin = Key();
        if ((bounds & 2) != 0) end = Key();
        if (Heavy()) {
          CHECK_OK(db_->CompactRange(
              begin ? std::optional<std::string_view>(*begin) : std::nullopt,
              end ? std::optional<std::string_view>(*end) : std::nullopt));
        }
        break;
      }
      case DbOp::kReopen:
        if (Heavy()) {
          ReleaseAll();
          db_.reset();
          Open();
        }
        break;
      case DbOp::kVerify:
        CHECK_OK(db_->VerifyChecksums());
        break;
    }
  }

  void Get(const Snapshot* snapshot, const Model& model, const std::string& k) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    absl::StatusOr<std::string> got = db_->Get(ro, k);
    auto it = model.find(k);
    if (it == model.end()) {
      FERRISDB_FUZZ_CHECK(
          absl::IsNotFound(got.status()), "Get(%s): expected NotFound, got %s",
          k.c_str(), got.ok() ? got->c_str() : got.status().ToString().c_str());
    } else {
      FERRISDB_FUZZ_CHECK(
          got.ok() && *got == it->second, "Get(%s): expected %s, got %s",
          k.c_str(), it->second.c_str(),
          got.ok() ? got->c_str() : got.status().ToString().c_str());
    }
  }

  // Full scans forward and backward within [lower, upper).
  void Scan(const Snapshot* snapshot, const Model& full,
            const std::optional<std::string>& lower,
            const std::optional<std::string>& upper) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    ro.iterate_lower_bound = lower;
    ro.iterate_upper_bound = upper;
    auto lo = lower ? full.lower_bound(*lower) : full.begin();
    auto hi = upper ? full.lower_bound(*upper) : full.end();
    if (lower && upper && *upper <= *lower) hi = lo;
    const Model model(lo, hi);
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    auto m = model.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
      FERRISDB_FUZZ_CHECK(m != model.end(), "forward scan: extra key %s",
                          std::string(it->key()).c_str());
      FERRISDB_FUZZ_CHECK(it->key() == m->first && it->value() == m->second,
                          "forward scan: %s where %s expected",
                          std::string(it->key()).c_str(), m->first.c_str());
    }
    CHECK_OK(it->status());
    FERRISDB_FUZZ_CHECK(m == model.end(), "forward scan: missing %s",
                        m->first.c_str());
    auto r = model.rbegin();
    for (it->SeekToLast(); it->Valid(); it->Prev(), ++r) {
      FERRISDB_FUZZ_CHECK(r != model.rend(), "backward scan: extra key %s",
                          std::string(it->key()).c_str());
      FERRISDB_FUZZ_CHECK(it->key() == r->first && it->value() == r->second,
                          "backward scan: %s where %s expected",
                          std::string(it->key()).c_str(), r->first.c_str());
    }
    CHECK_OK(it->status());
    FERRISDB_FUZZ_CHECK(r == model.rend(), "backward scan: missing %s",
                        r->first.c_str());
  }

  // Seek or SeekForPrev, then up to 7 steps; positions are indexes into the
  // model's entries (-1 or size: invalid).
  void Seek(const Snapshot* snapshot, const Model& model,
            const std::string& target, uint8_t steps) {
    ReadOptions ro;
    ro.snapshot = snapshot;
    std::unique_ptr<Iterator> it = db_->NewIterator(ro);
    const std::vector<std::pair<std::string, std::string>> entries(
        model.begin(), model.end());
    const auto n = static_cast<long>(entries.size());
    long pos;
    if ((steps & 0x80) != 0) {
      it->SeekForPrev(target);
      pos = std::distance(model.begin(), model.upper_bound(target)) - 1;
    } else {
      it->Seek(target);
      pos = std::distance(model.begin(), model.lower_bound(target));
    }
    for (int step = 0;; ++step) {
      const bool expect_valid = pos >= 0 && pos < n;
      FERRISDB_FUZZ_CHECK(it->Valid() == expect_valid,
                          "seek to %s, step %d: valid %d, expected %d",
                          target.c_str(), step, it->Valid(), expect_valid);
      if (!expect_valid) break;
      FERRISDB_FUZZ_CHECK(
          it->key() == entries[pos].first && it->value() == entries[pos].second,
          "seek to %s, step %d: at %s, expected %s", target.c_str(), step,
          std::string(it->key()).c_str(), entries[pos].first.c_str());
      if (step == 7) break;
      if ((steps >> step & 1) != 0) {
        it->Next();
        ++pos;
      } else {
        it->Prev();
        --pos;
      }
    }
    CHECK_OK(it->status());
  }

  fuzz::FuzzInput* const in_;
  const std::string path_;
  std::unique_ptr<DB> db_;
  Model model_;
  std::vector<Held> held_;
  int writes_ = 0;
  int heavy_ops_ = 0;
};

}  // namespace
}  // namespace ferrisdb

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ferrisdb::fuzz::FuzzInput in(data, size);
  ferrisdb::Differential(&in).Run();
  return 0;
}
