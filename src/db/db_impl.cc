#include "db/db_impl.h"

#include <optional>
#include <utility>

#include "absl/strings/str_format.h"
#include "db/db_iter.h"
#include "db/merging_iterator.h"
#include "db/write_batch_internal.h"
#include "util/status_macros.h"

namespace ferrisdb {

DB::~DB() = default;

absl::StatusOr<std::unique_ptr<DB>> DB::Open(const Options& options,
                                             const std::string& path) {
  if (path.empty()) {
    return absl::InvalidArgumentError("DB::Open: the path is empty");
  }
  if (options.write_buffer_size < 1024) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "DB::Open %s: write_buffer_size %d is below the minimum of 1024 bytes",
        path, options.write_buffer_size));
  }
  Options resolved = options;
  if (resolved.env == nullptr) resolved.env = Env::Default();
  auto impl = std::make_unique<DBImpl>(resolved, path);
  FERRISDB_RETURN_IF_ERROR(impl->Open());
  return std::unique_ptr<DB>(std::move(impl));
}

DBImpl::DBImpl(const Options& options, std::string dbname)
    : options_(options), env_(options.env), dbname_(std::move(dbname)) {}

DBImpl::~DBImpl() {
  absl::MutexLock lock(&mu_);
  if (log_ != nullptr) {
    // Hands acknowledged data to the OS. An error cannot be reported from a
    // destructor; the data is still in the log up to the failed write.
    log_->Close().IgnoreError();
  }
}

std::shared_ptr<const ReadView> DBImpl::GetReadView(const ReadOptions& options,
                                                    SequenceNumber* sequence) {
  absl::MutexLock lock(&mu_);
  *sequence = options.snapshot != nullptr
                  ? options.snapshot->sequence_number()
                  : last_sequence_;
  return view_;
}

absl::StatusOr<std::string> DBImpl::Get(const ReadOptions& options,
                                        std::string_view key) {
  if (key.size() > kMaxKeySize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "Get: key of %d bytes exceeds the limit of %d bytes", key.size(),
        kMaxKeySize));
  }
  SequenceNumber sequence;
  std::shared_ptr<const ReadView> view = GetReadView(options, &sequence);
  const LookupKey lookup(key, sequence);
  std::string value;
  auto search = [&](const MemTable* mem) -> std::optional<absl::Status> {
    switch (mem->Get(lookup, &value)) {
      case MemTable::GetResult::kFound:
        return absl::OkStatus();
      case MemTable::GetResult::kDeleted:
        return absl::NotFoundError("key not found");
      case MemTable::GetResult::kNotPresent:
        break;
    }
    return std::nullopt;
  };
  std::optional<absl::Status> result = search(view->mem());
  for (size_t i = 0; !result.has_value() && i < view->imm().size(); ++i) {
    result = search(view->imm()[i]);
  }
  if (!result.has_value()) return absl::NotFoundError("key not found");
  if (!result->ok()) return *std::move(result);
  return value;
}

std::unique_ptr<Iterator> DBImpl::NewIterator(const ReadOptions& options) {
  SequenceNumber sequence;
  std::shared_ptr<const ReadView> view = GetReadView(options, &sequence);
  std::vector<std::unique_ptr<InternalIterator>> children;
  children.reserve(1 + view->imm().size());
  children.push_back(view->mem()->NewIterator());
  for (MemTable* imm : view->imm()) children.push_back(imm->NewIterator());
  return NewDBIterator(NewMergingIterator(std::move(children)), sequence,
                       std::move(view));
}

const Snapshot* DBImpl::GetSnapshot() {
  absl::MutexLock lock(&mu_);
  return snapshots_.New(last_sequence_);
}

void DBImpl::ReleaseSnapshot(const Snapshot* snapshot) {
  if (snapshot == nullptr) return;
  absl::MutexLock lock(&mu_);
  snapshots_.Delete(static_cast<const SnapshotImpl*>(snapshot));
}

SequenceNumber DBImpl::TEST_LastSequence() {
  absl::MutexLock lock(&mu_);
  return last_sequence_;
}

size_t DBImpl::TEST_NumImmutableMemtables() {
  absl::MutexLock lock(&mu_);
  return view_->imm().size();
}

}  // namespace ferrisdb
