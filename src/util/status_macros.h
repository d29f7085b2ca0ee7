// RETURN_IF_ERROR and ASSIGN_OR_RETURN, which Debian's abseil 20220623 lacks.
#ifndef FERRISDB_UTIL_STATUS_MACROS_H_
#define FERRISDB_UTIL_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Evaluates expr (an absl::Status) and returns it from the enclosing function
// if it is not OK.
#define FERRISDB_RETURN_IF_ERROR(expr)              \
  do {                                              \
    ::absl::Status ferrisdb_status_ = (expr);       \
    if (!ferrisdb_status_.ok()) return ferrisdb_status_; \
  } while (false)

#define FERRISDB_STATUS_CONCAT_INNER_(a, b) a##b
#define FERRISDB_STATUS_CONCAT_(a, b) FERRISDB_STATUS_CONCAT_INNER_(a, b)

// Evaluates rexpr (an absl::StatusOr<T>); on error returns its status from the
// enclosing function, otherwise moves the value into lhs, which may be a
// declaration: FERRISDB_ASSIGN_OR_RETURN(auto file, env->NewWritableFile(p));
#define FERRISDB_ASSIGN_OR_RETURN(lhs, rexpr) \
  FERRISDB_ASSIGN_OR_RETURN_IMPL_(            \
      FERRISDB_STATUS_CONCAT_(ferrisdb_statusor_, __LINE__), lhs, rexpr)

#define FERRISDB_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                    \
  if (!statusor.ok()) return std::move(statusor).status();    \
  lhs = std::move(statusor).value()

#endif  // FERRISDB_UTIL_STATUS_MACROS_H_
