// CompactionJob: runs one Compaction (version/compaction.h): merges its input
// tables in key order, drops what no reader can see any more, and writes the
// rest as new tables of the output level, synced and announced (directory
// synced) before Run returns. It holds no DB lock; installing the result in
// the manifest is the caller's job.
//
// What is dropped: an entry older than a newer entry of the same user key
// when that newer entry is visible to every read that can still happen (its
// sequence is <= smallest_snapshot); a deletion visible to every such read
// when no deeper level can hold the key.
//
// REQUIRES: external synchronization (one thread runs a job).
#ifndef FERRISDB_DB_COMPACTION_JOB_H_
#define FERRISDB_DB_COMPACTION_JOB_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "db/table_cache.h"
#include "ferrisdb/env.h"
#include "memtable/internal_key.h"
#include "table/table_builder.h"
#include "version/compaction.h"
#include "version/version_edit.h"

namespace ferrisdb {

struct CompactionJobContext {
  Env* env = nullptr;
  std::string dbname;
  TableBuildOptions table_options;
  TableCache* table_cache = nullptr;
  // Reads at sequence numbers below this never happen again (the oldest
  // snapshot, the history horizon or the last sequence, whichever is least).
  SequenceNumber smallest_snapshot = 0;
  // Hands out the number of a new output file and protects it from
  // obsolete-file deletion until the caller's install is done. Thread-safe.
  std::function<uint64_t()> new_file_number;
  // Set when the DB shuts down: the job stops with kAborted.
  const std::atomic<bool>* shutting_down = nullptr;
};

class CompactionJob {
 public:
  // REQUIRES: c and everything in context outlive the job.
  CompactionJob(Compaction* c, CompactionJobContext context);
  ~CompactionJob();
  CompactionJob(const CompactionJob&) = delete;
  CompactionJob& operator=(const CompactionJob&) = delete;

  // Writes the output tables. On error the outputs written so far are
  // removed and the error names the file involved.
  absl::Status Run();

  // Adds the input deletions and the outputs to edit. REQUIRES: Run() OK.
  void AddToEdit(VersionEdit* edit) const;

  // The tables written (removed again if Run failed).
  const std::vector<FileMetaData>& outputs() const { return outputs_; }
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  struct Output;

  absl::Status MergeInputs();
  absl::Status OpenOutput();
  // Finishes, syncs and closes the open output (if any).
  absl::Status FinishOutput();
  // Adds an entry to the open output, opening one if needed.
  absl::Status AddToOutput(std::string_view key, std::string_view value);
  void RemoveOutputs();

  Compaction* const c_;
  const CompactionJobContext context_;
  std::unique_ptr<Output> current_;
  std::vector<FileMetaData> outputs_;
  uint64_t bytes_read_ = 0;
  uint64_t bytes_written_ = 0;
  // Scratch for an entry written with sequence number 0 (MergeInputs).
  std::string zeroed_key_;
};

}  // namespace ferrisdb

#endif  // FERRISDB_DB_COMPACTION_JOB_H_
