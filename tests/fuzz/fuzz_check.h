// FERRISDB_FUZZ_CHECK: the assertion of the fuzz targets. A violated property
// prints what and where, then aborts, which libFuzzer reports as a crash and
// the replay executable (replay_main.cc) as a failed test. Unlike assert() it
// is never compiled out.
#ifndef FERRISDB_TESTS_FUZZ_FUZZ_CHECK_H_
#define FERRISDB_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FERRISDB_FUZZ_CHECK(cond, ...)                                        \
  do {                                                                        \
    if (!(cond)) {                                                            \
      std::fprintf(stderr, "%s:%d: fuzz property violated: %s\n  ", __FILE__, \
                   __LINE__, #cond);                                          \
      std::fprintf(stderr, __VA_ARGS__);                                      \
      std::fprintf(stderr, "\n");                                             \
      std::abort();                                                           \
    }                                                                         \
  } while (false)

#endif  // FERRISDB_TESTS_FUZZ_FUZZ_CHECK_H_
