// Looking after a FerrisDB database: statistics, properties, approximate
// sizes, a bounded range scan, reclaiming space after a bulk delete with
// CompactRange, and a full checksum verification.
//
//   maintenance [directory]   (default: a temporary directory, removed at
//                              the end)
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "ferrisdb/db.h"
#include "ferrisdb/statistics.h"

namespace {

// Ends the program with the error's text if s is not OK.
void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

std::string Key(int i) { return absl::StrFormat("user%07d", i); }

uint64_t TableBytes(ferrisdb::DB* db) {
  const std::string first = Key(0), past_last = Key(10000000);
  const std::vector<ferrisdb::DB::Range> all = {{first, past_last}};
  absl::StatusOr<std::vector<uint64_t>> sizes = db->GetApproximateSizes(all);
  Check(sizes.status(), "GetApproximateSizes");
  return (*sizes)[0];
}

}  // namespace

int main(int argc, char** argv) {
  std::string path = argc > 1 ? argv[1] : "";
  std::string temporary_dir;
  if (path.empty()) {
    char pattern[] = "/tmp/ferrisdb_maintenance.XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    temporary_dir = pattern;
    path = temporary_dir + "/db";
  }

  ferrisdb::Options options;
  options.write_buffer_size = 4 << 20;  // small, so tables appear quickly
  options.target_file_size = 2 << 20;
  options.statistics = std::make_shared<ferrisdb::Statistics>();
  absl::StatusOr<std::unique_ptr<ferrisdb::DB>> opened =
      ferrisdb::DB::Open(options, path);
  Check(opened.status(), "DB::Open");
  ferrisdb::DB* db = opened->get();

  // 200,000 users of about 200 bytes each, in batches of 1,000.
  const std::string profile(200, 'p');
  for (int i = 0; i < 200000; i += 1000) {
    ferrisdb::WriteBatch batch;
    for (int j = i; j < i + 1000; ++j) batch.Put(Key(j), profile);
    Check(db->Write(ferrisdb::WriteOptions(), &batch), "Write");
  }
  Check(db->Flush(), "Flush");
  std::printf("after loading: about %.1f MiB of tables\n",
              static_cast<double>(TableBytes(db)) / 1048576.0);

  // A range scan limited by bounds: users 1000..1004.
  ferrisdb::ReadOptions range;
  range.iterate_lower_bound = Key(1000);
  range.iterate_upper_bound = Key(1005);
  std::unique_ptr<ferrisdb::Iterator> it = db->NewIterator(range);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::printf("  %.*s\n", static_cast<int>(it->key().size()),
                it->key().data());
  }
  Check(it->status(), "iterator");
  it.reset();

  // Remove the first half. Deletions are tombstones until compaction meets
  // the data they hide at the bottom of the tree; CompactRange makes that
  // happen now for the range, and the space comes back.
  for (int i = 0; i < 100000; ++i) {
    Check(db->Delete(ferrisdb::WriteOptions(), Key(i)), "Delete");
  }
  std::printf("after deleting half: about %.1f MiB of tables\n",
              static_cast<double>(TableBytes(db)) / 1048576.0);
  Check(db->CompactRange(std::nullopt, Key(100000)), "CompactRange");
  std::printf("after CompactRange: about %.1f MiB of tables\n",
              static_cast<double>(TableBytes(db)) / 1048576.0);

  // Re-read every block of every table and check its checksum.
  Check(db->VerifyChecksums(), "VerifyChecksums");
  std::printf("VerifyChecksums: every table block is intact\n");

  absl::StatusOr<std::string> files =
      db->GetProperty("ferrisdb.num-files-at-level1");
  Check(files.status(), "GetProperty");
  std::printf("tables at level 1: %s\n", files->c_str());
  absl::StatusOr<std::string> stats = db->GetProperty("ferrisdb.stats");
  Check(stats.status(), "GetProperty");
  std::printf("%s", stats->c_str());

  opened->reset();  // close before removing
  if (!temporary_dir.empty()) {
    Check(ferrisdb::DestroyDB(path, options), "DestroyDB");
    rmdir(temporary_dir.c_str());
  } else {
    std::printf("database left in %s\n", path.c_str());
  }
  return 0;
}
