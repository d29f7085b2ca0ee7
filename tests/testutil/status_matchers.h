// gtest helpers for absl::Status / absl::StatusOr, which Debian's abseil
// 20220623 does not provide. A failing assertion prints the status.
#ifndef FERRISDB_TESTS_TESTUTIL_STATUS_MATCHERS_H_
#define FERRISDB_TESTS_TESTUTIL_STATUS_MATCHERS_H_

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ferrisdb::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

// EXPECT_THAT(db->Put(...), IsOk());
MATCHER(IsOk, "is OK") {
  const absl::Status& s = ::ferrisdb::testing::GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s.ToString();
  return s.ok();
}

// EXPECT_THAT(db->Get(...), StatusIs(absl::StatusCode::kNotFound));
MATCHER_P(StatusIs, code,
          "has status code " + absl::StatusCodeToString(code)) {
  const absl::Status& s = ::ferrisdb::testing::GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code;
}

// StatusIs plus a substring of the message.
MATCHER_P2(StatusIsWithMessage, code, substring,
           "has status code " + absl::StatusCodeToString(code) +
               " and a message containing \"" + std::string(substring) + "\"") {
  const absl::Status& s = ::ferrisdb::testing::GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code &&
         std::string(s.message()).find(substring) != std::string::npos;
}

}  // namespace ferrisdb::testing

#define FERRISDB_ASSERT_OK(expr) \
  ASSERT_THAT((expr), ::ferrisdb::testing::IsOk())
#define FERRISDB_EXPECT_OK(expr) \
  EXPECT_THAT((expr), ::ferrisdb::testing::IsOk())

// Declares lhs from a StatusOr, failing the test (with the status) on error.
#define FERRISDB_ASSERT_OK_AND_ASSIGN(lhs, rexpr)                         \
  FERRISDB_ASSERT_OK_AND_ASSIGN_IMPL_(                                    \
      FERRISDB_TEST_CONCAT_(ferrisdb_test_statusor_, __LINE__), lhs, rexpr)
#define FERRISDB_TEST_CONCAT_INNER_(a, b) a##b
#define FERRISDB_TEST_CONCAT_(a, b) FERRISDB_TEST_CONCAT_INNER_(a, b)
#define FERRISDB_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                        \
  ASSERT_TRUE(statusor.ok()) << statusor.status().ToString();     \
  lhs = std::move(statusor).value()

#endif  // FERRISDB_TESTS_TESTUTIL_STATUS_MATCHERS_H_
