// The I/O error loop's workload (io_error_loop_test.cc): the fixed sequence
// of operations every run replays, the options it runs with, and the kinds of
// error injected into it.
#ifndef FERRISDB_TESTS_DB_IO_ERROR_LOOP_WORKLOAD_H_
#define FERRISDB_TESTS_DB_IO_ERROR_LOOP_WORKLOAD_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ferrisdb/env.h"
#include "ferrisdb/options.h"
#include "testutil/oracle.h"

namespace ferrisdb::io_error_loop {

// Every injected status carries this text, so a reported error can be
// traced to the fault.
inline constexpr char kMarker[] = "injected I/O fault";

// The workload writes keys Key(0) .. Key(kNumKeys - 1).
inline constexpr int kNumKeys = 60;
std::string Key(int i);

// A put, or (value nullopt) a delete.
using Update = ::ferrisdb::testing::Oracle::Update;

struct Step {
  enum class Kind { kOpen, kWrite, kFlush, kCompactRange, kRead, kClose };
  Kind kind = Kind::kWrite;
  std::vector<Update> updates;  // kWrite
  bool sync = false;            // kWrite
};

const char* StepName(Step::Kind kind);

// Tiny buffers and levels: a few dozen writes flush several memtables, and
// two level-0 files already start a compaction.
Options LoopOptions(Env* env);

// Open a fresh DB, writes (one in five a batch, one in eight synced), a
// Flush, reads, a CompactRange, a close and reopen, more writes, a close.
// scale multiplies the number of writes.
std::vector<Step> MakeSequence(uint32_t seed, int scale);

struct ErrorKind {
  const char* name;
  int err;  // the errno whose status the failed calls return
  // Fail the N-th Append (not the N-th call), after it wrote half its data.
  bool short_write;
};

// The status every failed call returns (what posix_env makes of kind.err).
absl::Status InjectedError(const ErrorKind& kind);

// For gtest's parameter names.
inline void PrintTo(const ErrorKind& kind, std::ostream* os) {
  *os << kind.name;
}

}  // namespace ferrisdb::io_error_loop

#endif  // FERRISDB_TESTS_DB_IO_ERROR_LOOP_WORKLOAD_H_
