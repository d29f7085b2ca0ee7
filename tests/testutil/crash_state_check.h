// Checking one crash state (a disk built by CrashStateBuilder and written to
// a directory): open the DB on it with the plain Env and paranoid checks,
// verify it against the Oracle of the recorded run as of the crash point,
// and optionally drive the recovered DB further (a snapshot, new writes, a
// compaction, a clean reopen) and verify again. Shared by the crash-state
// enumeration (db/crash_state_test.cc) and the random power-loss sampler
// (crash/power_loss_sampler.cc).
#ifndef FERRISDB_TESTS_TESTUTIL_CRASH_STATE_CHECK_H_
#define FERRISDB_TESTS_TESTUTIL_CRASH_STATE_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "ferrisdb/options.h"
#include "testutil/oracle.h"
#include "testutil/test_dir.h"

namespace ferrisdb::testing {

// A scratch directory for crash states, on tmpfs when there is one (each
// state is opened, which syncs; tmpfs makes that free), removed at the end
// unless FERRISDB_KEEP_TEST_DIRS is set. path() is empty if it could not be
// created.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  TestDir fallback_;
  std::string path_;
};

struct StateCheckCounts {
  size_t checked = 0;
  size_t open_failures_accepted = 0;  // on beyond-ordered-fs states
  size_t driven_further = 0;
};

// Opens dbname (a crash state of the run `oracle` recorded, after the first
// `cut` file-system ops) with base_options (env replaced by Env::Default(),
// paranoid_checks on) and checks promises (1)-(5). DB::Open must succeed
// unless beyond_ordered_fs (a state with a hole, which no ordered-data file
// system leaves). With drive_further, the recovered DB also takes a
// snapshot, a synced write of "z", a delete of "a" and a CompactRange, is
// verified, reopened cleanly and verified again. Returns "" or what went
// wrong.
std::string CheckCrashState(const Options& base_options, const Oracle& oracle,
                            const std::string& dbname, uint64_t cut,
                            bool beyond_ordered_fs, bool drive_further,
                            StateCheckCounts* counts);

}  // namespace ferrisdb::testing

#endif  // FERRISDB_TESTS_TESTUTIL_CRASH_STATE_CHECK_H_
