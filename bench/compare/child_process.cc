#include "child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ferrisdb::bench {
namespace {

// This abseil's string_view is not std::string_view (STYLE.md, Errors).
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

// Threads of this process (entries of /proc/self/task), or -1 if unreadable.
int ThreadCount() {
  std::error_code error;
  int threads = 0;
  for (std::filesystem::directory_iterator it("/proc/self/task", error), end;
       !error && it != end; it.increment(error)) {
    ++threads;
  }
  return error ? -1 : threads;
}

std::string ErrnoText(int error) { return std::strerror(error); }

// In the child: writes all of data to fd, or ends the child with status 1.
void WriteAllOrExit(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::fprintf(stderr,
                   "ferrisdb_compare: child: cannot write its results to the "
                   "pipe: %s\n",
                   ErrnoText(errno).c_str());
      _exit(1);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) {
    return absl::StrCat("exited with status ", WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    const char* name = strsignal(signal);
    return absl::StrCat("was killed by signal ", signal, " (",
                        name != nullptr ? name : "unknown",
                        signal == SIGKILL ? "; out of memory?" : "", ")");
  }
  return absl::StrCat("ended with wait status ", status);
}

}  // namespace

absl::StatusOr<std::string> RunInChildProcess(
    std::string_view what, absl::FunctionRef<std::string()> body) {
  const int threads = ThreadCount();
  if (threads != 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        Absl(what), ": the driver has ", threads,
        " threads (/proc/self/task) before fork; it must have exactly one"));
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(
        absl::StrCat(Absl(what), ": pipe2: ", ErrnoText(errno)));
  }
  // Whatever stdio holds now would otherwise be written twice, once by each
  // process.
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    close(fds[0]);
    close(fds[1]);
    return absl::InternalError(
        absl::StrCat(Absl(what), ": fork: ", ErrnoText(error)));
  }
  if (pid == 0) {
    close(fds[0]);
    const std::string result = body();
    WriteAllOrExit(fds[1], result);
    close(fds[1]);
    std::fflush(stderr);
    // _exit, not exit: the static destructors and atexit handlers belong to
    // the parent's copy of the process.
    _exit(0);
  }
  close(fds[1]);
  std::string result;
  absl::Status read_status;
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fds[0], buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      read_status = absl::InternalError(absl::StrCat(
          Absl(what), ": reading the child's results: ", ErrnoText(errno)));
      break;
    }
    if (n == 0) break;
    result.append(buffer, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  pid_t waited;
  do {
    waited = waitpid(pid, &status, 0);
  } while (waited < 0 && errno == EINTR);
  if (waited < 0) {
    return absl::InternalError(
        absl::StrCat(Absl(what), ": waitpid(", pid, "): ", ErrnoText(errno)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat(Absl(what), ": the child process (pid ", pid, ") ",
                     DescribeWaitStatus(status),
                     "; its own messages, if any, are above on stderr"));
  }
  if (!read_status.ok()) return read_status;
  return result;
}

}  // namespace ferrisdb::bench
