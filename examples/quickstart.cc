// quickstart: the FerrisDB API in one page. Opens a database in a temporary
// directory, writes, reads, deletes, applies a WriteBatch, reads through a
// snapshot and an iterator, closes, reopens and shows that the data survived.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "ferrisdb/db.h"
#include "ferrisdb/version.h"

namespace {

// Stops the example with a message if status is not OK.
void Check(const absl::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "%s failed: %s\n", what, status.ToString().c_str());
    std::exit(1);
  }
}

std::string MakeTempDir() {
  char pattern[] = "/tmp/ferrisdb_quickstart_XXXXXX";
  if (mkdtemp(pattern) == nullptr) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  return pattern;
}

void PrintAll(ferrisdb::DB& db, const ferrisdb::ReadOptions& options) {
  std::unique_ptr<ferrisdb::Iterator> it = db.NewIterator(options);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::printf("    %.*s = %.*s\n", static_cast<int>(it->key().size()),
                it->key().data(), static_cast<int>(it->value().size()),
                it->value().data());
  }
  Check(it->status(), "iteration");
}

}  // namespace

int main() {
  const std::string temp_dir = MakeTempDir();
  const std::string path = temp_dir + "/db";
  std::printf("FerrisDB %s quickstart, database in %s\n",
              FERRISDB_VERSION_STRING, path.c_str());

  ferrisdb::Options options;  // create_if_missing is on by default
  {
    absl::StatusOr<std::unique_ptr<ferrisdb::DB>> opened =
        ferrisdb::DB::Open(options, path);
    Check(opened.status(), "DB::Open");
    ferrisdb::DB& db = **opened;

    Check(db.Put({}, "apple", "red"), "Put");
    Check(db.Put({}, "banana", "yellow"), "Put");
    Check(db.Put({}, "cherry", "dark red"), "Put");
    std::printf("put apple, banana, cherry\n");

    absl::StatusOr<std::string> value = db.Get({}, "banana");
    Check(value.status(), "Get");
    std::printf("get banana -> %s\n", value->c_str());

    Check(db.Delete({}, "cherry"), "Delete");
    std::printf("deleted cherry; get cherry -> %s\n",
                db.Get({}, "cherry").status().ToString().c_str());

    // A snapshot keeps seeing the state of the moment it was taken.
    const ferrisdb::Snapshot* snapshot = db.GetSnapshot();

    // A batch is applied atomically; sync=true makes it durable on return.
    ferrisdb::WriteBatch batch;
    batch.Delete("apple");
    batch.Put("date", "brown");
    batch.Put("elderberry", "purple");
    ferrisdb::WriteOptions sync_write;
    sync_write.sync = true;
    Check(db.Write(sync_write, &batch), "Write");
    std::printf(
        "wrote a batch of %zu updates (delete apple, put date, put "
        "elderberry) with sync\n",
        batch.Count());

    std::printf("  now:\n");
    PrintAll(db, {});
    ferrisdb::ReadOptions at_snapshot;
    at_snapshot.snapshot = snapshot;
    std::printf("  as of the snapshot taken before the batch:\n");
    PrintAll(db, at_snapshot);
    db.ReleaseSnapshot(snapshot);
  }
  std::printf("closed the database\n");

  absl::StatusOr<std::unique_ptr<ferrisdb::DB>> reopened =
      ferrisdb::DB::Open(options, path);
  Check(reopened.status(), "DB::Open (reopen)");
  std::printf("reopened; the data survived:\n");
  PrintAll(**reopened, {});
  reopened->reset();

  Check(ferrisdb::DestroyDB(path, options), "DestroyDB");
  std::printf("destroyed %s\n", path.c_str());
  rmdir(temp_dir.c_str());
  return 0;
}
