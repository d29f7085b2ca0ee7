// One run of the I/O error loop (io_error_loop_test.cc): the workload with
// Env call N failing, then a reopen with the fault cleared, and every check
// of the test's file comment.
#ifndef FERRISDB_TESTS_DB_IO_ERROR_LOOP_RUN_H_
#define FERRISDB_TESTS_DB_IO_ERROR_LOOP_RUN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "io_error_loop_workload.h"

namespace ferrisdb::io_error_loop {

// How the runs of a loop went, for the summary line.
struct LoopOutcomes {
  int op_errors = 0;          // runs where an operation failed with it
  int background_errors = 0;  // runs where the DB then refused writes
  int ignored_cleanup = 0;    // runs where only best-effort clean-up failed
  int failed_write_kept = 0;  // runs where a failed write was replayed
};

struct RunResult {
  // False if call N was never reached: the sequence completed unharmed.
  bool injected = false;
  // Env calls the sequence made (meaningful when nothing was injected).
  uint64_t calls = 0;
  // What went wrong, one line each; empty if the run passed.
  std::vector<std::string> problems;
};

// Runs steps with Env call n failing (for short writes, the n-th Append)
// and, if persistent, every later one too; then reopens with the fault
// cleared and checks everything. Adds the run's outcome to *outcomes.
RunResult RunWithFault(const std::vector<Step>& steps, const ErrorKind& kind,
                       bool persistent, uint64_t n, LoopOutcomes* outcomes);

}  // namespace ferrisdb::io_error_loop

#endif  // FERRISDB_TESTS_DB_IO_ERROR_LOOP_RUN_H_
