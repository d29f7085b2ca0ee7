// Opens a database through the installed headers and library, writes, reads
// back and checks the version macros. Exits non-zero on any failure.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ferrisdb/db.h"
#include "ferrisdb/version.h"

static_assert(FERRISDB_VERSION_NUMBER > 0);

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: app <db dir>\n");
    return 2;
  }
  auto db = ferrisdb::DB::Open(ferrisdb::Options{}, argv[1]);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 1;
  }
  if (!(*db)->Put({}, "hello", "world").ok()) return 1;
  absl::StatusOr<std::string> v = (*db)->Get({}, "hello");
  if (!v.ok() || *v != "world") return 1;
  std::printf("consumer OK with FerrisDB %s\n", FERRISDB_VERSION_STRING);
  return 0;
}
