#include "testutil/test_dir.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace ferrisdb::testing {

TestDir::TestDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string base = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  std::string name = "ferrisdb_test";
  if (const auto* info =
          ::testing::UnitTest::GetInstance()->current_test_info()) {
    name += std::string("_") + info->test_suite_name() + "_" + info->name();
  }
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  std::string pattern = base + "/" + name + "_XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed for " + pattern);
  }
  path_ = pattern;
}

TestDir::~TestDir() {
  if (std::getenv("FERRISDB_KEEP_TEST_DIRS") != nullptr) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

uint32_t TestSeed(uint32_t default_seed) {
  const char* env = std::getenv("FERRISDB_TEST_SEED");
  if (env == nullptr || *env == '\0') return default_seed;
  return static_cast<uint32_t>(std::strtoul(env, nullptr, 10));
}

bool LongTestsEnabled() {
  const char* v = std::getenv("FERRISDB_LONG_TESTS");
  return v != nullptr && *v != '\0' && std::string_view(v) != "0";
}

}  // namespace ferrisdb::testing
