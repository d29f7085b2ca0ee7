// Tests of the driver/child plumbing of ferrisdb_compare: the message format
// (child_message.h) and the fork/pipe/wait of child_process.h. No engine is
// involved; BenchSmoke.FerrisdbCompare* run the whole tool.
#include "child_process.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "child_message.h"
#include "gtest/gtest.h"

namespace ferrisdb::bench {
namespace {

EngineRun SampleRun() {
  EngineRun run;
  run.ops_per_second["fillseq"] = 123456.789;
  run.ops_per_second["readrandom"] = 0.1;
  run.ops_per_second["readwhilewriting (writes)"] = 98765.4321;  // spaces
  run.latency_us["readrandom p99"] = 3.25;
  run.latency_us["readrandom p99.9"] = 1e-3;
  run.found["readrandom"] = 63212;
  run.found["readmissing"] = 0;
  run.db_bytes = 22876543;
  run.db_files = 5;
  run.write_amp = 1.8571428571428572;
  run.wchar_amp = -1;
  run.peak_rss = 38010880;
  run.peak_anon_rss = 20971520;
  run.start_rss = 2723840;
  return run;
}

void ExpectSameRun(const EngineRun& a, const EngineRun& b) {
  EXPECT_EQ(a.ops_per_second, b.ops_per_second);
  EXPECT_EQ(a.latency_us, b.latency_us);
  EXPECT_EQ(a.found, b.found);
  EXPECT_EQ(a.db_bytes, b.db_bytes);
  EXPECT_EQ(a.db_files, b.db_files);
  EXPECT_EQ(a.write_amp, b.write_amp);
  EXPECT_EQ(a.wchar_amp, b.wchar_amp);
  EXPECT_EQ(a.peak_rss, b.peak_rss);
  EXPECT_EQ(a.peak_anon_rss, b.peak_anon_rss);
  EXPECT_EQ(a.start_rss, b.start_rss);
}

TEST(ChildMessageTest, EngineRunRoundTripsExactly) {
  absl::StatusOr<EngineRun> run = DecodeEngineRun(EncodeEngineRun(SampleRun()));
  ASSERT_TRUE(run.ok()) << run.status();
  ExpectSameRun(*run, SampleRun());
}

TEST(ChildMessageTest, EngineInfoKeepsSpacesAndNewlines) {
  const EngineInfo info = {"rocksdb", "7.8.3", "none",
                           "a=1 b=2\nsecond line | third\n"};
  absl::StatusOr<EngineInfo> decoded = DecodeEngineInfo(EncodeEngineInfo(info));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->name, info.name);
  EXPECT_EQ(decoded->version, info.version);
  EXPECT_EQ(decoded->compression, info.compression);
  EXPECT_EQ(decoded->describe, info.describe);
}

TEST(ChildMessageTest, EveryTruncationIsRejected) {
  const std::string message = EncodeEngineRun(SampleRun());
  for (size_t n = 0; n < message.size(); ++n) {
    EXPECT_FALSE(DecodeEngineRun(message.substr(0, n)).ok()) << n;
  }
}

TEST(ChildMessageTest, WrongKindIsRejected) {
  const EngineInfo info = {"ferrisdb", "0.1.0", "none", "x"};
  EXPECT_FALSE(DecodeEngineRun(EncodeEngineInfo(info)).ok());
  EXPECT_FALSE(DecodeEngineInfo(EncodeEngineRun(SampleRun())).ok());
}

TEST(ChildMessageTest, BadNumberIsRejected) {
  std::string message = EncodeEngineRun(SampleRun());
  const size_t at = message.find("db_files 1\n5");
  ASSERT_NE(at, std::string::npos);
  message[at + 11] = 'x';
  EXPECT_FALSE(DecodeEngineRun(message).ok());
}

TEST(ChildProcessTest, ReturnsWhatTheChildWrote) {
  const pid_t parent = getpid();
  absl::StatusOr<std::string> result = RunInChildProcess("test", [&] {
    // Runs in another process.
    return std::string(getpid() != parent ? "child" : "parent");
  });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, "child");
}

TEST(ChildProcessTest, LargeResultIsReadWhole) {
  const std::string big(1 << 20, 'k');  // more than a pipe buffer
  absl::StatusOr<std::string> result =
      RunInChildProcess("test", [&] { return big; });
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, big);
}

TEST(ChildProcessTest, ExitStatusIsAnError) {
  absl::StatusOr<std::string> result =
      RunInChildProcess("exit test", []() -> std::string { _exit(3); });
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("exit test"),
            absl::string_view::npos);
  EXPECT_NE(result.status().message().find("exited with status 3"),
            absl::string_view::npos)
      << result.status();
}

TEST(ChildProcessTest, SignalIsAnError) {
  absl::StatusOr<std::string> result =
      RunInChildProcess("signal test", []() -> std::string {
        kill(getpid(), SIGKILL);
        return "unreachable";
      });
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("killed by signal 9"),
            absl::string_view::npos)
      << result.status();
}

TEST(ChildProcessTest, RefusesToForkWithASecondThread) {
  std::atomic<bool> stop{false};
  std::thread waiter([&] {
    while (!stop.load(std::memory_order_relaxed)) std::this_thread::yield();
  });
  absl::StatusOr<std::string> result =
      RunInChildProcess("thread test", [] { return std::string("forked"); });
  stop.store(true, std::memory_order_relaxed);
  waiter.join();
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(result.status())) << result.status();
}

}  // namespace
}  // namespace ferrisdb::bench
