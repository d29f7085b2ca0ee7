#include "env/io_error.h"

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "util/strings.h"

namespace ferrisdb::internal {
namespace {

// strerror_r has two signatures: XSI returns int and fills buf, GNU returns
// the text (which may or may not be buf). Overloading picks the right one
// without preprocessor tests; the other overload is unused by design.
[[maybe_unused]] const char* StrerrorResult(int ret, const char* buf) {
  return ret == 0 ? buf : "Unknown error";
}
[[maybe_unused]] const char* StrerrorResult(const char* ret,
                                            const char* /*buf*/) {
  return ret;
}

}  // namespace

std::string ErrnoText(int err) {
  char buf[256];
  buf[0] = '\0';
  return StrerrorResult(strerror_r(err, buf, sizeof(buf)), buf);
}

absl::Status IOError(std::string_view operation, std::string_view subject,
                     int err) {
  std::string message = absl::StrCat(ToAbsl(operation), " ", ToAbsl(subject),
                                     ": ", ErrnoText(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    case ENOSPC:
    case EDQUOT:
      return absl::ResourceExhaustedError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace ferrisdb::internal
