#include "db/compaction_job.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_format.h"
#include "db/filename.h"
#include "db/merging_iterator.h"
#include "db/shadowed_entries.h"
#include "util/kill_point.h"
#include "util/status_macros.h"

namespace ferrisdb {

// The table being written.
struct CompactionJob::Output {
  FileMetaData meta;
  std::string path;
  std::unique_ptr<WritableFile> file;
  std::unique_ptr<TableBuilder> builder;
};

CompactionJob::CompactionJob(Compaction* c, CompactionJobContext context)
    : c_(c), context_(std::move(context)) {}

CompactionJob::~CompactionJob() = default;

absl::Status CompactionJob::Run() {
  absl::Status s = MergeInputs();
  if (s.ok()) s = FinishOutput();
  // The new tables' directory entries must be durable before the manifest
  // names them and the input tables are deleted.
  if (s.ok() && !outputs_.empty()) s = context_.env->SyncDir(context_.dbname);
  if (s.ok()) internal::KillPoint("compaction.outputs.synced");
  if (!s.ok()) RemoveOutputs();
  return s;
}

absl::Status CompactionJob::MergeInputs() {
  std::vector<std::unique_ptr<TableReader>> readers;  // outlive iters
  std::vector<std::unique_ptr<InternalIterator>> children;
  for (int which = 0; which < 2; ++which) {
    for (const auto& f : c_->inputs(which)) {
      // Compaction reads each block once, in order: through a reader of its
      // own that neither maps the file (the input's pages would stay
      // resident, counted in the process's memory, until the table closes)
      // nor uses the block cache (keep the working set of reads).
      FERRISDB_ASSIGN_OR_RETURN(
          std::unique_ptr<TableReader> reader,
          context_.table_cache->OpenUncached(f->number, f->file_size));
      children.push_back(reader->NewIterator(/*verify_checksums=*/true,
                                             /*fill_cache=*/false));
      readers.push_back(std::move(reader));
      bytes_read_ += f->file_size;
    }
  }
  std::unique_ptr<InternalIterator> input =
      NewMergingIterator(std::move(children));

  ShadowedEntries shadowed(context_.smallest_snapshot);
  for (input->SeekToFirst(); input->Valid(); input->Next()) {
    if (context_.shutting_down->load(std::memory_order_relaxed)) {
      return absl::AbortedError("compaction stopped: the DB is closing");
    }
    const std::string_view key = input->key();
    ParsedInternalKey parsed;
    if (!ParseInternalKey(key, &parsed)) {
      return absl::DataLossError(absl::StrFormat(
          "compaction of level %d: an input table holds a malformed key %s",
          c_->level(), InternalKeyDebugString(key)));
    }
    bool new_user_key = false;
    const bool hidden =
        shadowed.Hidden(parsed.user_key, parsed.sequence, &new_user_key);
    if (new_user_key) {
      // Outputs may only end between user keys, so that no user key spans
      // two files of a level >= 1.
      if (current_ != nullptr &&
          (current_->builder->FileSize() >= c_->max_output_file_size() ||
           c_->ShouldStopBefore(key))) {
        FERRISDB_RETURN_IF_ERROR(FinishOutput());
      }
    }

    bool drop = false;
    if (hidden) {
      // A newer entry of the key is visible to every read still possible.
      drop = true;
    } else if (parsed.type == ValueType::kDeletion &&
               parsed.sequence <= context_.smallest_snapshot &&
               c_->IsBaseLevelForKey(parsed.user_key)) {
      // Nothing older is left to hide: older entries in this compaction are
      // dropped by the rule above, and no deeper level holds the key.
      drop = true;
    }
    if (drop) continue;
    if (parsed.type == ValueType::kValue && parsed.sequence != 0 &&
        parsed.sequence <= context_.smallest_snapshot &&
        c_->IsBaseLevelForKey(parsed.user_key)) {
      // The key's only entry from here down, visible to every read still
      // possible: its sequence number tells no read anything, so it is
      // written as 0, which zstd then stores in almost nothing
      // (docs/format/sstable.md, "Sequence numbers at the bottom").
      zeroed_key_.clear();
      AppendInternalKey(&zeroed_key_, parsed.user_key, 0, ValueType::kValue);
      FERRISDB_RETURN_IF_ERROR(AddToOutput(zeroed_key_, input->value()));
      continue;
    }
    FERRISDB_RETURN_IF_ERROR(AddToOutput(key, input->value()));
  }
  return input->status();
}

absl::Status CompactionJob::AddToOutput(std::string_view key,
                                        std::string_view value) {
  if (current_ == nullptr) FERRISDB_RETURN_IF_ERROR(OpenOutput());
  FileMetaData& meta = current_->meta;
  if (current_->builder->NumEntries() == 0) meta.smallest.assign(key);
  meta.largest.assign(key);
  const SequenceNumber seq = ExtractSequence(key);
  meta.smallest_sequence = std::min(meta.smallest_sequence, seq);
  meta.largest_sequence = std::max(meta.largest_sequence, seq);
  return current_->builder->Add(key, value);
}

absl::Status CompactionJob::OpenOutput() {
  auto out = std::make_unique<Output>();
  out->meta.number = context_.new_file_number();
  out->meta.smallest_sequence = std::numeric_limits<SequenceNumber>::max();
  out->path = TableFileName(context_.dbname, out->meta.number);
  // Registered before the file exists, so RemoveOutputs sees it.
  outputs_.push_back(out->meta);
  absl::StatusOr<std::unique_ptr<WritableFile>> file =
      context_.env->NewWritableFile(out->path);
  if (!file.ok()) return file.status();
  out->file = *std::move(file);
  out->builder = std::make_unique<TableBuilder>(
      context_.table_options, out->file.get(),
      out->path.substr(context_.dbname.size() + 1));
  c_->StartNewOutput();
  current_ = std::move(out);
  return absl::OkStatus();
}

absl::Status CompactionJob::FinishOutput() {
  if (current_ == nullptr) return absl::OkStatus();
  std::unique_ptr<Output> out = std::move(current_);
  absl::Status s = out->builder->Finish();
  if (s.ok()) {
    internal::KillPoint("table.sync.before");
    s = out->file->Sync();
  }
  if (s.ok()) internal::KillPoint("table.sync.after");
  if (s.ok()) s = out->file->Close();
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrFormat("writing table %s: %s",
                                                  out->path, s.message()));
  }
  out->meta.file_size = out->builder->FileSize();
  bytes_written_ += out->meta.file_size;
  outputs_.back() = out->meta;
  return absl::OkStatus();
}

void CompactionJob::AddToEdit(VersionEdit* edit) const {
  c_->AddInputDeletions(edit);
  for (const FileMetaData& f : outputs_) edit->AddFile(c_->output_level(), f);
}

void CompactionJob::RemoveOutputs() {
  if (current_ != nullptr) {
    current_->builder->Abandon();
    current_.reset();
  }
  for (const FileMetaData& f : outputs_) {
    context_.env->RemoveFile(TableFileName(context_.dbname, f.number))
        .IgnoreError();
  }
}

}  // namespace ferrisdb
