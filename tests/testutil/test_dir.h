// A fresh temporary directory per test, removed (with its contents) when the
// object is destroyed unless FERRISDB_KEEP_TEST_DIRS is set in the environment.
#ifndef FERRISDB_TESTS_TESTUTIL_TEST_DIR_H_
#define FERRISDB_TESTS_TESTUTIL_TEST_DIR_H_

#include <cstdint>
#include <string>

namespace ferrisdb::testing {

class TestDir {
 public:
  TestDir();
  ~TestDir();
  TestDir(const TestDir&) = delete;
  TestDir& operator=(const TestDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Seed for randomized tests: FERRISDB_TEST_SEED from the environment if set,
// otherwise default_seed. Tests print the seed they use on failure.
uint32_t TestSeed(uint32_t default_seed);

// True if FERRISDB_LONG_TESTS is set to something other than "" or "0": tests
// then run their long form (every crash point, bigger workloads).
bool LongTestsEnabled();

}  // namespace ferrisdb::testing

#endif  // FERRISDB_TESTS_TESTUTIL_TEST_DIR_H_
