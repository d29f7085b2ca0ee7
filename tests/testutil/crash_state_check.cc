#include "testutil/crash_state_check.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <system_error>

#include "ferrisdb/db.h"
#include "ferrisdb/env.h"

namespace ferrisdb::testing {

ScratchDir::ScratchDir() {
  std::string pattern = std::filesystem::is_directory("/dev/shm")
                            ? "/dev/shm/ferrisdb_crash_state_XXXXXX"
                            : fallback_.path() + "/crash_state_XXXXXX";
  if (mkdtemp(pattern.data()) != nullptr) path_ = pattern;
}

ScratchDir::~ScratchDir() {
  if (path_.empty() || std::getenv("FERRISDB_KEEP_TEST_DIRS") != nullptr) {
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string CheckCrashState(const Options& base_options, const Oracle& oracle,
                            const std::string& dbname, uint64_t cut,
                            bool beyond_ordered_fs, bool drive_further,
                            StateCheckCounts* counts) {
  ++counts->checked;
  Options options = base_options;
  options.env = Env::Default();
  options.paranoid_checks = true;
  absl::StatusOr<std::unique_ptr<DB>> db = DB::Open(options, dbname);
  if (!db.ok()) {
    if (beyond_ordered_fs) {
      ++counts->open_failures_accepted;
      return "";
    }
    return "DB::Open failed: " + db.status().ToString();
  }
  absl::StatusOr<Oracle::Recovered> recovered =
      oracle.Verify(db->get(), {.crash_mark = cut});
  if (!recovered.ok()) return std::string(recovered.status().message());
  if (!drive_further) return "";

  // The recovered DB must go on working: new writes, a compaction that may
  // drop tombstones under a snapshot, a clean reopen.
  ++counts->driven_further;
  Oracle after = oracle;
  after.Resolve(*recovered);
  const Snapshot* snapshot = after.GetSnapshot(db->get());
  absl::Status s =
      after.Put(db->get(), {.sync = true}, "z", "z-after-recovery");
  if (s.ok()) s = after.Delete(db->get(), {.sync = false}, "a");
  if (s.ok()) s = after.CompactRange(db->get());
  if (!s.ok()) return "writing after recovery: " + s.ToString();
  absl::StatusOr<Oracle::Recovered> again = after.Verify(db->get());
  if (!again.ok()) {
    return "after recovery, writes and CompactRange: " +
           std::string(again.status().message());
  }
  after.ReleaseSnapshot(db->get(), snapshot);
  db->reset();
  db = DB::Open(options, dbname);
  if (!db.ok()) return "clean reopen after recovery: " + db.status().ToString();
  again = after.Verify(db->get());
  if (!again.ok()) {
    return "after a clean reopen of the recovered DB: " +
           std::string(again.status().message());
  }
  return "";
}

}  // namespace ferrisdb::testing
