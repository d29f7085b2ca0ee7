// ChildProcess: runs one piece of ferrisdb_compare's work (one engine run, or
// asking an engine to describe itself) in a forked child process, so that
// each engine runs in a process of its own: its peak RSS (VmHWM) and its
// /proc/self/io counters are its own, not inherited from an engine that ran
// before it in the same process.
//
// Why fork() and not posix_spawn()+exec of the same binary with a hidden
// flag: fork() is safe here because the driver never starts a thread and
// never creates an engine (engines and the progress thread exist only in the
// children), and RunInChildProcess checks that the process has one thread
// before it forks. A fork keeps the parsed flags, the Workload and the
// EngineSettings as they are, with no second command line to build and parse
// and no way for the two to disagree.
//
// The child's stdout must stay unused (it is the report); its stderr is the
// parent's, so progress lines, --ferrisdb_stats and any error message appear
// as they happen.
#ifndef FERRISDB_BENCH_COMPARE_CHILD_PROCESS_H_
#define FERRISDB_BENCH_COMPARE_CHILD_PROCESS_H_

#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"

namespace ferrisdb::bench {

// Forks; the child calls body(), writes the string it returns to a pipe and
// ends with _exit(0) (body may also end the process itself, e.g. with
// exit(1) after printing a message to stderr). The parent reads the pipe to
// its end, waits for the child and returns what the child wrote.
//
// Errors (a message naming `what`, e.g. "rocksdb run, repeat 2/3"):
// FailedPrecondition if this process has more than one thread (fork would be
// unsafe); Internal if pipe/fork/read/waitpid fail, or if the child exited
// with a non-zero status or was killed by a signal (its own message, if any,
// is on stderr above).
// REQUIRES: called from a single-threaded process.
absl::StatusOr<std::string> RunInChildProcess(
    std::string_view what, absl::FunctionRef<std::string()> body);

}  // namespace ferrisdb::bench

#endif  // FERRISDB_BENCH_COMPARE_CHILD_PROCESS_H_
