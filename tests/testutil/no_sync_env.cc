#include "testutil/no_sync_env.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ferrisdb::testing {
namespace {

class NoSyncWritableFile final : public WritableFile {
 public:
  explicit NoSyncWritableFile(std::unique_ptr<WritableFile> base)
      : base_(std::move(base)) {}
  absl::Status Append(std::string_view data) override {
    return base_->Append(data);
  }
  absl::Status Flush() override { return base_->Flush(); }
  absl::Status Sync() override { return base_->Flush(); }
  absl::Status StartWriteback() override { return base_->Flush(); }
  absl::Status Close() override { return base_->Close(); }

 private:
  const std::unique_ptr<WritableFile> base_;
};

class NoSyncEnvImpl final : public Env {
 public:
  absl::StatusOr<std::unique_ptr<SequentialFile>> NewSequentialFile(
      const std::string& path) override {
    return base_->NewSequentialFile(path);
  }
  absl::StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    return base_->NewRandomAccessFile(path);
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    return Wrap(base_->NewWritableFile(path));
  }
  absl::StatusOr<std::unique_ptr<WritableFile>> NewAppendableFile(
      const std::string& path) override {
    return Wrap(base_->NewAppendableFile(path));
  }
  bool FileExists(const std::string& path) override {
    return base_->FileExists(path);
  }
  absl::StatusOr<std::vector<std::string>> GetChildren(
      const std::string& dir) override {
    return base_->GetChildren(dir);
  }
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    return base_->GetFileSize(path);
  }
  absl::Status RemoveFile(const std::string& path) override {
    return base_->RemoveFile(path);
  }
  absl::Status RenameFile(const std::string& from,
                          const std::string& to) override {
    return base_->RenameFile(from, to);
  }
  absl::Status TruncateFile(const std::string& path, uint64_t size) override {
    return base_->TruncateFile(path, size);
  }
  absl::Status CreateDirIfMissing(const std::string& dir) override {
    return base_->CreateDirIfMissing(dir);
  }
  absl::Status RemoveDir(const std::string& dir) override {
    return base_->RemoveDir(dir);
  }
  bool IsDirectory(const std::string& path) override {
    return base_->IsDirectory(path);
  }
  absl::Status SyncDir(const std::string& /*dir*/) override {
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) override {
    return base_->LockFile(path);
  }
  uint64_t NowMicros() override { return base_->NowMicros(); }

 private:
  static absl::StatusOr<std::unique_ptr<WritableFile>> Wrap(
      absl::StatusOr<std::unique_ptr<WritableFile>> file) {
    if (!file.ok()) return file.status();
    return std::unique_ptr<WritableFile>(
        new NoSyncWritableFile(*std::move(file)));
  }

  Env* const base_ = Env::Default();
};

}  // namespace

Env* NoSyncEnv() {
  static NoSyncEnvImpl* const env = new NoSyncEnvImpl();
  return env;
}

}  // namespace ferrisdb::testing
