#include "testutil/recording_env.h"

#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace ferrisdb::testing {

std::string NormalizeFsPath(const std::string& path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string DescribeFsOp(const FsOp& op, const std::string& root) {
  auto rel = [&root](const std::string& path) {
    if (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
        path[root.size()] == '/') {
      return path.substr(root.size() + 1);
    }
    return path == root ? std::string(".") : path;
  };
  switch (op.kind) {
    case FsOp::Kind::kCreateFile:
      return absl::StrCat("create ", rel(op.path));
    case FsOp::Kind::kAppend:
      return absl::StrCat("append ", rel(op.path), " +", op.data.size(), " B");
    case FsOp::Kind::kSyncFile:
      return absl::StrCat("fsync ", rel(op.path));
    case FsOp::Kind::kRename:
      return absl::StrCat("rename ", rel(op.path), " -> ", rel(op.target));
    case FsOp::Kind::kRemove:
      return absl::StrCat("unlink ", rel(op.path));
    case FsOp::Kind::kTruncate:
      return absl::StrCat("truncate ", rel(op.path), " to ", op.size);
    case FsOp::Kind::kCreateDir:
      return absl::StrCat("mkdir ", rel(op.path));
    case FsOp::Kind::kRemoveDir:
      return absl::StrCat("rmdir ", rel(op.path));
    case FsOp::Kind::kSyncDir:
      return absl::StrCat("fsync dir ", rel(op.path));
  }
  return "unknown op";
}

// Appends go through to the operating system at once (base Append + base
// Flush) and are recorded under the env's mutex, in the order they happen.
class RecordingEnv::RecordingWritableFile final : public WritableFile {
 public:
  RecordingWritableFile(RecordingEnv* env, uint64_t id,
                        std::unique_ptr<WritableFile> base)
      : env_(env), id_(id), base_(std::move(base)) {}

  absl::Status Append(std::string_view data) override {
    absl::MutexLock lock(&env_->mu_);
    FERRISDB_RETURN_IF_ERROR(base_->Append(data));
    FERRISDB_RETURN_IF_ERROR(base_->Flush());
    env_->trace_.push_back({.kind = FsOp::Kind::kAppend,
                            .path = env_->NameOfLocked(id_),
                            .file_id = id_,
                            .data = std::string(data)});
    return absl::OkStatus();
  }

  absl::Status Flush() override { return base_->Flush(); }

  absl::Status Sync() override {
    absl::MutexLock lock(&env_->mu_);
    FERRISDB_RETURN_IF_ERROR(base_->Sync());
    env_->trace_.push_back({.kind = FsOp::Kind::kSyncFile,
                            .path = env_->NameOfLocked(id_),
                            .file_id = id_});
    return absl::OkStatus();
  }

  absl::Status StartWriteback() override { return base_->StartWriteback(); }

  absl::Status Close() override { return base_->Close(); }

 private:
  RecordingEnv* const env_;
  const uint64_t id_;
  const std::unique_ptr<WritableFile> base_;
};

RecordingEnv::RecordingEnv(Env* base) : base_(base) {}

std::vector<FsOp> RecordingEnv::Trace() const {
  absl::MutexLock lock(&mu_);
  return trace_;
}

uint64_t RecordingEnv::op_count() const {
  absl::MutexLock lock(&mu_);
  return trace_.size();
}

uint64_t RecordingEnv::FileIdLocked(const std::string& path) {
  auto [it, inserted] = ids_.try_emplace(path, next_id_);
  if (inserted) ++next_id_;
  return it->second;
}

std::string RecordingEnv::NameOfLocked(uint64_t id) const {
  for (const auto& [path, file] : ids_) {
    if (file == id) return path;
  }
  return "";
}

absl::StatusOr<std::unique_ptr<SequentialFile>> RecordingEnv::NewSequentialFile(
    const std::string& path) {
  return base_->NewSequentialFile(path);
}

absl::StatusOr<std::unique_ptr<RandomAccessFile>>
RecordingEnv::NewRandomAccessFile(const std::string& path) {
  return base_->NewRandomAccessFile(path);
}

absl::StatusOr<std::unique_ptr<RandomAccessFile>>
RecordingEnv::NewMappedRandomAccessFile(const std::string& path) {
  return base_->NewMappedRandomAccessFile(path);
}

absl::StatusOr<std::unique_ptr<WritableFile>> RecordingEnv::OpenWritable(
    const std::string& path, bool append) {
  const std::string name = NormalizeFsPath(path);
  absl::MutexLock lock(&mu_);
  const bool existed = base_->FileExists(path);
  absl::StatusOr<std::unique_ptr<WritableFile>> file =
      append ? base_->NewAppendableFile(path) : base_->NewWritableFile(path);
  if (!file.ok()) return file.status();
  uint64_t id;
  if (existed && append) {
    id = FileIdLocked(name);
  } else {
    // A new file, or an existing one truncated: a new file of the model.
    id = next_id_++;
    ids_[name] = id;
    trace_.push_back(
        {.kind = FsOp::Kind::kCreateFile, .path = name, .file_id = id});
  }
  return std::unique_ptr<WritableFile>(
      new RecordingWritableFile(this, id, *std::move(file)));
}

absl::StatusOr<std::unique_ptr<WritableFile>> RecordingEnv::NewWritableFile(
    const std::string& path) {
  return OpenWritable(path, /*append=*/false);
}

absl::StatusOr<std::unique_ptr<WritableFile>> RecordingEnv::NewAppendableFile(
    const std::string& path) {
  return OpenWritable(path, /*append=*/true);
}

bool RecordingEnv::FileExists(const std::string& path) {
  return base_->FileExists(path);
}

absl::StatusOr<std::vector<std::string>> RecordingEnv::GetChildren(
    const std::string& dir) {
  return base_->GetChildren(dir);
}

absl::StatusOr<uint64_t> RecordingEnv::GetFileSize(const std::string& path) {
  return base_->GetFileSize(path);
}

absl::Status RecordingEnv::RemoveFile(const std::string& path) {
  const std::string name = NormalizeFsPath(path);
  absl::MutexLock lock(&mu_);
  FERRISDB_RETURN_IF_ERROR(base_->RemoveFile(path));
  const uint64_t id = FileIdLocked(name);
  ids_.erase(name);
  trace_.push_back({.kind = FsOp::Kind::kRemove, .path = name, .file_id = id});
  return absl::OkStatus();
}

absl::Status RecordingEnv::RenameFile(const std::string& from,
                                      const std::string& to) {
  const std::string source = NormalizeFsPath(from);
  const std::string target = NormalizeFsPath(to);
  absl::MutexLock lock(&mu_);
  FERRISDB_RETURN_IF_ERROR(base_->RenameFile(from, to));
  const uint64_t id = FileIdLocked(source);
  ids_.erase(source);
  ids_[target] = id;
  trace_.push_back({.kind = FsOp::Kind::kRename,
                    .path = source,
                    .target = target,
                    .file_id = id});
  return absl::OkStatus();
}

absl::Status RecordingEnv::TruncateFile(const std::string& path,
                                        uint64_t size) {
  const std::string name = NormalizeFsPath(path);
  absl::MutexLock lock(&mu_);
  FERRISDB_RETURN_IF_ERROR(base_->TruncateFile(path, size));
  trace_.push_back({.kind = FsOp::Kind::kTruncate,
                    .path = name,
                    .file_id = FileIdLocked(name),
                    .size = size});
  return absl::OkStatus();
}

absl::Status RecordingEnv::CreateDirIfMissing(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  const bool existed = base_->IsDirectory(dir);
  FERRISDB_RETURN_IF_ERROR(base_->CreateDirIfMissing(dir));
  if (!existed) {
    trace_.push_back(
        {.kind = FsOp::Kind::kCreateDir, .path = NormalizeFsPath(dir)});
  }
  return absl::OkStatus();
}

absl::Status RecordingEnv::RemoveDir(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  FERRISDB_RETURN_IF_ERROR(base_->RemoveDir(dir));
  trace_.push_back(
      {.kind = FsOp::Kind::kRemoveDir, .path = NormalizeFsPath(dir)});
  return absl::OkStatus();
}

bool RecordingEnv::IsDirectory(const std::string& path) {
  return base_->IsDirectory(path);
}

absl::Status RecordingEnv::SyncDir(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  FERRISDB_RETURN_IF_ERROR(base_->SyncDir(dir));
  trace_.push_back({.kind = FsOp::Kind::kSyncDir, .path = NormalizeFsPath(dir)});
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FileLock>> RecordingEnv::LockFile(
    const std::string& path) {
  const std::string name = NormalizeFsPath(path);
  absl::MutexLock lock(&mu_);
  const bool existed = base_->FileExists(path);
  absl::StatusOr<std::unique_ptr<FileLock>> file_lock = base_->LockFile(path);
  if (file_lock.ok() && !existed) {
    const uint64_t id = next_id_++;
    ids_[name] = id;
    trace_.push_back(
        {.kind = FsOp::Kind::kCreateFile, .path = name, .file_id = id});
  }
  return file_lock;
}

uint64_t RecordingEnv::NowMicros() { return base_->NowMicros(); }

}  // namespace ferrisdb::testing
