// Tests of the errno -> absl::Status mapping in src/env/io_error.h.
#include "env/io_error.h"

#include <cerrno>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testutil/status_matchers.h"

namespace ferrisdb::internal {
namespace {

using ::ferrisdb::testing::StatusIs;

TEST(EnvIOErrorTest, MessageIsOperationSubjectAndErrnoText) {
  absl::Status status = IOError("open", "/x/000005.log", ENOENT);
  EXPECT_EQ(status.message(), "open /x/000005.log: No such file or directory");
}

TEST(EnvIOErrorTest, MapsErrnoToCode) {
  EXPECT_THAT(IOError("op", "p", ENOENT),
              StatusIs(absl::StatusCode::kNotFound));
  for (int err : {EACCES, EPERM, EROFS}) {
    EXPECT_THAT(IOError("op", "p", err),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
  for (int err : {ENOSPC, EDQUOT}) {
    EXPECT_THAT(IOError("op", "p", err),
                StatusIs(absl::StatusCode::kResourceExhausted));
  }
  for (int err : {EIO, EISDIR, EBADF, EINVAL}) {
    EXPECT_THAT(IOError("op", "p", err), StatusIs(absl::StatusCode::kInternal));
  }
}

TEST(EnvIOErrorTest, UnknownErrnoStillHasText) {
  EXPECT_FALSE(ErrnoText(123456).empty());
}

}  // namespace
}  // namespace ferrisdb::internal
