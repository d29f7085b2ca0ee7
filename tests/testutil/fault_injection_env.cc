#include "testutil/fault_injection_env.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "ferrisdb/env.h"
#include "util/status_macros.h"
#include "util/strings.h"

namespace ferrisdb::testing {
namespace {

// Collapses repeated '/' and drops a trailing '/' (but keeps "/").
std::string NormalizePath(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// The directory of a normalized path: everything before the last '/'.
std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// splitmix64: tiny, and unlike std distributions its output is fixed by the
// seed on every platform.
uint64_t NextRandom(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

absl::Status DeadHandleError(std::string_view path) {
  return absl::UnavailableError(
      absl::StrCat("simulated crash: ", ToAbsl(path),
                   " was opened before a simulated power loss"));
}

}  // namespace

bool IsMutatingOp(FaultOp op) {
  switch (op) {
    case FaultOp::kNewSequentialFile:
    case FaultOp::kNewRandomAccessFile:
    case FaultOp::kRead:
    case FaultOp::kSkip:
    case FaultOp::kGetChildren:
    case FaultOp::kGetFileSize:
      return false;
    default:
      return true;
  }
}

std::string_view FaultOpName(FaultOp op) {
  switch (op) {
    case FaultOp::kNewSequentialFile:
      return "open sequential";
    case FaultOp::kNewRandomAccessFile:
      return "open random access";
    case FaultOp::kNewWritableFile:
      return "open writable";
    case FaultOp::kNewAppendableFile:
      return "open appendable";
    case FaultOp::kRead:
      return "read";
    case FaultOp::kSkip:
      return "skip";
    case FaultOp::kAppend:
      return "append";
    case FaultOp::kFlush:
      return "flush";
    case FaultOp::kSync:
      return "sync";
    case FaultOp::kClose:
      return "close";
    case FaultOp::kGetChildren:
      return "get children";
    case FaultOp::kGetFileSize:
      return "get file size";
    case FaultOp::kRemoveFile:
      return "remove";
    case FaultOp::kRenameFile:
      return "rename";
    case FaultOp::kTruncateFile:
      return "truncate";
    case FaultOp::kCreateDir:
      return "create dir";
    case FaultOp::kRemoveDir:
      return "remove dir";
    case FaultOp::kSyncDir:
      return "sync dir";
    case FaultOp::kLockFile:
      return "lock";
  }
  return "unknown op";
}

// Fields are protected by FaultInjectionEnv::mu_.
struct FaultInjectionEnv::FileState {
  std::string path;  // Current normalized name.
  uint64_t size = 0;
  uint64_t synced_size = 0;
  int open_writers = 0;
};

struct FaultInjectionEnv::DirEntryOp {
  enum class Kind { kCreate, kRename };
  Kind kind;
  std::string dir;   // Whose SyncDir makes the entry durable.
  std::string path;  // kCreate: the new file; kRename: the destination.
  std::string from;  // kRename: the source.
  // kRename: what the destination held before, if it existed.
  std::optional<std::string> replaced_contents;
};

struct FaultInjectionEnv::Fault {
  std::function<bool(const FaultContext&)> predicate;
  absl::Status error;
  bool persistent;
};

class FaultInjectionEnv::SequentialFileWrapper final : public SequentialFile {
 public:
  SequentialFileWrapper(FaultInjectionEnv* env, std::string path,
                        std::unique_ptr<SequentialFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  absl::Status Read(size_t n, std::string_view* result,
                    char* scratch) override {
    {
      absl::MutexLock lock(&env_->mu_);
      FERRISDB_RETURN_IF_ERROR(env_->BeginCallLocked(FaultOp::kRead, path_));
    }
    return base_->Read(n, result, scratch);
  }

  absl::Status Skip(uint64_t n) override {
    {
      absl::MutexLock lock(&env_->mu_);
      FERRISDB_RETURN_IF_ERROR(env_->BeginCallLocked(FaultOp::kSkip, path_));
    }
    return base_->Skip(n);
  }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  const std::unique_ptr<SequentialFile> base_;
};

class FaultInjectionEnv::RandomAccessFileWrapper final
    : public RandomAccessFile {
 public:
  RandomAccessFileWrapper(FaultInjectionEnv* env, std::string path,
                          std::unique_ptr<RandomAccessFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                    char* scratch) const override {
    {
      absl::MutexLock lock(&env_->mu_);
      FERRISDB_RETURN_IF_ERROR(env_->BeginCallLocked(FaultOp::kRead, path_));
    }
    return base_->Read(offset, n, result, scratch);
  }

 private:
  FaultInjectionEnv* const env_;
  const std::string path_;
  const std::unique_ptr<RandomAccessFile> base_;
};

// Every call holds env_->mu_ across the base call, so that nothing reaches
// the disk once SetFilesystemActive(false) has returned.
class FaultInjectionEnv::WritableFileWrapper final : public WritableFile {
 public:
  // REQUIRES: env->mu_ held; state->open_writers already counts this file.
  WritableFileWrapper(FaultInjectionEnv* env, std::shared_ptr<FileState> state,
                      uint64_t epoch, std::unique_ptr<WritableFile> base)
      : env_(env),
        state_(std::move(state)),
        epoch_(epoch),
        base_(std::move(base)) {}

  ~WritableFileWrapper() override {
    absl::MutexLock lock(&env_->mu_);
    if (!closed_) --state_->open_writers;
    // The base file closes itself when destroyed. Its buffer is empty (see
    // Append), so that writes nothing even while the file system is
    // inactive.
    base_.reset();
  }

  absl::Status Append(std::string_view data) override {
    absl::MutexLock lock(&env_->mu_);
    bool injected = false;
    absl::Status status =
        env_->BeginCallLocked(FaultOp::kAppend, state_->path, {}, &injected);
    if (!status.ok()) {
      if (injected && env_->short_write_on_fault_ && CheckEpochLocked().ok()) {
        AppendToBaseLocked(data.substr(0, data.size() / 2)).IgnoreError();
      }
      return status;
    }
    FERRISDB_RETURN_IF_ERROR(CheckEpochLocked());
    return AppendToBaseLocked(data);
  }

  absl::Status Flush() override {
    absl::MutexLock lock(&env_->mu_);
    FERRISDB_RETURN_IF_ERROR(
        env_->BeginCallLocked(FaultOp::kFlush, state_->path));
    FERRISDB_RETURN_IF_ERROR(CheckEpochLocked());
    return base_->Flush();
  }

  absl::Status Sync() override {
    absl::MutexLock lock(&env_->mu_);
    FERRISDB_RETURN_IF_ERROR(
        env_->BeginCallLocked(FaultOp::kSync, state_->path));
    FERRISDB_RETURN_IF_ERROR(CheckEpochLocked());
    FERRISDB_RETURN_IF_ERROR(base_->Sync());
    state_->synced_size = state_->size;
    return absl::OkStatus();
  }

  absl::Status Close() override {
    absl::MutexLock lock(&env_->mu_);
    FERRISDB_RETURN_IF_ERROR(
        env_->BeginCallLocked(FaultOp::kClose, state_->path));
    FERRISDB_RETURN_IF_ERROR(CheckEpochLocked());
    absl::Status status = base_->Close();
    if (!closed_) {
      // The base closes its descriptor even when Close fails.
      closed_ = true;
      --state_->open_writers;
    }
    return status;
  }

 private:
  absl::Status CheckEpochLocked() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(env_->mu_) {
    if (epoch_ == env_->epoch_) return absl::OkStatus();
    return DeadHandleError(state_->path);
  }

  // Base Append + base Flush, so no accepted byte stays buffered in the base.
  absl::Status AppendToBaseLocked(std::string_view data)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(env_->mu_) {
    FERRISDB_RETURN_IF_ERROR(base_->Append(data));
    FERRISDB_RETURN_IF_ERROR(base_->Flush());
    state_->size += data.size();
    return absl::OkStatus();
  }

  FaultInjectionEnv* const env_;
  const std::shared_ptr<FileState> state_;
  const uint64_t epoch_;
  std::unique_ptr<WritableFile> base_;
  bool closed_ = false;
};

FaultInjectionEnv::FaultInjectionEnv(Env* base) : base_(base) {}

FaultInjectionEnv::~FaultInjectionEnv() = default;

absl::Status FaultInjectionEnv::BeginCallLocked(FaultOp op,
                                                std::string_view path,
                                                std::string_view target,
                                                bool* injected) {
  ++call_count_;
  if (!active_ && IsMutatingOp(op)) {
    return absl::UnavailableError(absl::StrCat(
        "simulated crash: file system inactive: ", ToAbsl(FaultOpName(op)), " ",
        ToAbsl(path)));
  }
  FaultContext context{op, path, target, call_count_};
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (!it->predicate(context)) continue;
    absl::Status error = it->error;
    if (!it->persistent) faults_.erase(it);
    ++injected_failure_count_;
    if (injected != nullptr) *injected = true;
    return error;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SequentialFile>>
FaultInjectionEnv::NewSequentialFile(const std::string& path) {
  {
    absl::MutexLock lock(&mu_);
    FERRISDB_RETURN_IF_ERROR(
        BeginCallLocked(FaultOp::kNewSequentialFile, NormalizePath(path)));
  }
  FERRISDB_ASSIGN_OR_RETURN(std::unique_ptr<SequentialFile> file,
                            base_->NewSequentialFile(path));
  return std::unique_ptr<SequentialFile>(
      new SequentialFileWrapper(this, NormalizePath(path), std::move(file)));
}

absl::StatusOr<std::unique_ptr<RandomAccessFile>>
FaultInjectionEnv::NewRandomAccessFile(const std::string& path) {
  {
    absl::MutexLock lock(&mu_);
    FERRISDB_RETURN_IF_ERROR(
        BeginCallLocked(FaultOp::kNewRandomAccessFile, NormalizePath(path)));
  }
  FERRISDB_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file,
                            base_->NewRandomAccessFile(path));
  return std::unique_ptr<RandomAccessFile>(
      new RandomAccessFileWrapper(this, NormalizePath(path), std::move(file)));
}

absl::StatusOr<std::unique_ptr<WritableFile>>
FaultInjectionEnv::NewWritableFile(const std::string& path) {
  return OpenWritable(path, /*append=*/false);
}

absl::StatusOr<std::unique_ptr<WritableFile>>
FaultInjectionEnv::NewAppendableFile(const std::string& path) {
  return OpenWritable(path, /*append=*/true);
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultInjectionEnv::OpenWritable(
    const std::string& path, bool append) {
  absl::MutexLock lock(&mu_);
  std::string name = NormalizePath(path);
  FERRISDB_RETURN_IF_ERROR(BeginCallLocked(
      append ? FaultOp::kNewAppendableFile : FaultOp::kNewWritableFile, name));
  const bool existed = base_->FileExists(path);
  uint64_t existing_size = 0;
  if (append && existed) {
    FERRISDB_ASSIGN_OR_RETURN(existing_size, base_->GetFileSize(path));
  }
  FERRISDB_ASSIGN_OR_RETURN(
      std::unique_ptr<WritableFile> file,
      append ? base_->NewAppendableFile(path) : base_->NewWritableFile(path));

  std::shared_ptr<FileState>& state = files_[name];
  if (append && state != nullptr) {
    // Written through this env before: what was unsynced still is.
    state->size = existing_size;
    state->synced_size = std::min(state->synced_size, existing_size);
  } else {
    // A truncated file's old bytes are not restored by a power loss.
    state = std::make_shared<FileState>();
    state->path = name;
    state->size = state->synced_size = existing_size;
  }
  ++state->open_writers;
  if (!existed) {
    dir_ops_.push_back(
        DirEntryOp{DirEntryOp::Kind::kCreate, DirName(name), name, "", {}});
  }
  return std::unique_ptr<WritableFile>(
      new WritableFileWrapper(this, state, epoch_, std::move(file)));
}

bool FaultInjectionEnv::FileExists(const std::string& path) {
  return base_->FileExists(path);
}

absl::StatusOr<std::vector<std::string>> FaultInjectionEnv::GetChildren(
    const std::string& dir) {
  {
    absl::MutexLock lock(&mu_);
    FERRISDB_RETURN_IF_ERROR(
        BeginCallLocked(FaultOp::kGetChildren, NormalizePath(dir)));
  }
  return base_->GetChildren(dir);
}

absl::StatusOr<uint64_t> FaultInjectionEnv::GetFileSize(
    const std::string& path) {
  {
    absl::MutexLock lock(&mu_);
    FERRISDB_RETURN_IF_ERROR(
        BeginCallLocked(FaultOp::kGetFileSize, NormalizePath(path)));
  }
  return base_->GetFileSize(path);
}

absl::Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  absl::MutexLock lock(&mu_);
  std::string name = NormalizePath(path);
  FERRISDB_RETURN_IF_ERROR(BeginCallLocked(FaultOp::kRemoveFile, name));
  FERRISDB_RETURN_IF_ERROR(base_->RemoveFile(path));
  files_.erase(name);
  // Removal is durable at once (see PowerLossOptions), so nothing pending
  // may bring the name back.
  std::erase_if(dir_ops_,
                [&](const DirEntryOp& op) { return op.path == name; });
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::RenameFile(const std::string& from,
                                           const std::string& to) {
  absl::MutexLock lock(&mu_);
  std::string source = NormalizePath(from);
  std::string target = NormalizePath(to);
  FERRISDB_RETURN_IF_ERROR(
      BeginCallLocked(FaultOp::kRenameFile, source, target));
  if (source == target) return base_->RenameFile(from, to);

  std::optional<std::string> replaced;
  if (base_->FileExists(to)) {
    FERRISDB_ASSIGN_OR_RETURN(replaced, ReadFileToString(base_, to));
    auto it = files_.find(target);
    if (it != files_.end() && it->second->synced_size < replaced->size()) {
      replaced->resize(it->second->synced_size);
    }
  }
  FERRISDB_RETURN_IF_ERROR(base_->RenameFile(from, to));

  files_.erase(target);
  auto it = files_.find(source);
  if (it != files_.end()) {
    std::shared_ptr<FileState> state = std::move(it->second);
    files_.erase(it);
    state->path = target;
    files_[target] = std::move(state);
  }
  dir_ops_.push_back(DirEntryOp{DirEntryOp::Kind::kRename, DirName(target),
                                target, source, std::move(replaced)});
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::TruncateFile(const std::string& path,
                                             uint64_t size) {
  absl::MutexLock lock(&mu_);
  std::string name = NormalizePath(path);
  FERRISDB_RETURN_IF_ERROR(BeginCallLocked(FaultOp::kTruncateFile, name));
  FERRISDB_RETURN_IF_ERROR(base_->TruncateFile(path, size));
  // An untracked file stays untracked: its new size counts as durable.
  auto it = files_.find(name);
  if (it != files_.end()) {
    it->second->size = size;
    it->second->synced_size = std::min(it->second->synced_size, size);
  }
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::CreateDirIfMissing(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  FERRISDB_RETURN_IF_ERROR(
      BeginCallLocked(FaultOp::kCreateDir, NormalizePath(dir)));
  return base_->CreateDirIfMissing(dir);
}

absl::Status FaultInjectionEnv::RemoveDir(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  FERRISDB_RETURN_IF_ERROR(
      BeginCallLocked(FaultOp::kRemoveDir, NormalizePath(dir)));
  return base_->RemoveDir(dir);
}

bool FaultInjectionEnv::IsDirectory(const std::string& path) {
  return base_->IsDirectory(path);
}

absl::Status FaultInjectionEnv::SyncDir(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  std::string name = NormalizePath(dir);
  FERRISDB_RETURN_IF_ERROR(BeginCallLocked(FaultOp::kSyncDir, name));
  FERRISDB_RETURN_IF_ERROR(base_->SyncDir(dir));
  std::erase_if(dir_ops_, [&](const DirEntryOp& op) { return op.dir == name; });
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FileLock>> FaultInjectionEnv::LockFile(
    const std::string& path) {
  absl::MutexLock lock(&mu_);
  FERRISDB_RETURN_IF_ERROR(
      BeginCallLocked(FaultOp::kLockFile, NormalizePath(path)));
  return base_->LockFile(path);
}

uint64_t FaultInjectionEnv::NowMicros() { return base_->NowMicros(); }

void FaultInjectionEnv::SetFilesystemActive(bool active) {
  absl::MutexLock lock(&mu_);
  active_ = active;
}

bool FaultInjectionEnv::IsFilesystemActive() const {
  absl::MutexLock lock(&mu_);
  return active_;
}

absl::Status FaultInjectionEnv::SimulatePowerLoss(
    const PowerLossOptions& options) {
  absl::MutexLock lock(&mu_);
  uint64_t rng_state = options.seed;
  // Data first, by current name (files_ is sorted, so the random choices
  // are reproducible); renames are undone afterwards and carry the damaged
  // content back with them.
  for (const auto& [path, state] : files_) {
    FERRISDB_RETURN_IF_ERROR(DamageUnsyncedDataLocked(path, state->synced_size,
                                                      options, &rng_state));
  }
  if (options.undo_unsynced_dir_entries) {
    for (auto it = dir_ops_.rbegin(); it != dir_ops_.rend(); ++it) {
      FERRISDB_RETURN_IF_ERROR(UndoDirEntryLocked(*it));
    }
  }
  files_.clear();
  dir_ops_.clear();
  ++epoch_;
  return absl::OkStatus();
}

absl::Status FaultInjectionEnv::DamageUnsyncedDataLocked(
    const std::string& path, uint64_t synced_size,
    const PowerLossOptions& options, uint64_t* rng_state) {
  absl::StatusOr<uint64_t> size_or = base_->GetFileSize(path);
  if (absl::IsNotFound(size_or.status())) return absl::OkStatus();
  FERRISDB_RETURN_IF_ERROR(size_or.status());
  const uint64_t size = *size_or;
  if (size <= synced_size) return absl::OkStatus();

  switch (options.unsynced_data) {
    case UnsyncedDataMode::kDrop:
      return base_->TruncateFile(path, synced_size);
    case UnsyncedDataMode::kKeepPrefix: {
      // Cut points: synced_size, the multiples of `align` strictly between,
      // and size.
      const uint64_t align =
          std::max<uint64_t>(options.keep_prefix_alignment, 1);
      const uint64_t first = (synced_size / align + 1) * align;
      const uint64_t last = ((size - 1) / align) * align;
      const uint64_t inner = last >= first ? (last - first) / align + 1 : 0;
      const uint64_t pick = NextRandom(rng_state) % (inner + 2);
      const uint64_t cut = pick == 0           ? synced_size
                           : pick == inner + 1 ? size
                                               : first + (pick - 1) * align;
      if (cut == size) return absl::OkStatus();
      return base_->TruncateFile(path, cut);
    }
    case UnsyncedDataMode::kZeroFill:
    case UnsyncedDataMode::kGarbageFill: {
      FERRISDB_ASSIGN_OR_RETURN(std::string contents,
                                ReadFileToString(base_, path));
      contents.resize(size);
      for (uint64_t i = synced_size; i < size; ++i) {
        contents[i] = options.unsynced_data == UnsyncedDataMode::kZeroFill
                          ? '\0'
                          : static_cast<char>(NextRandom(rng_state));
      }
      return WriteStringToFile(base_, contents, path, /*sync=*/true);
    }
  }
  return absl::InvalidArgumentError("SimulatePowerLoss: unknown data mode");
}

absl::Status FaultInjectionEnv::UndoDirEntryLocked(const DirEntryOp& op) {
  switch (op.kind) {
    case DirEntryOp::Kind::kCreate:
      if (!base_->FileExists(op.path)) return absl::OkStatus();
      return base_->RemoveFile(op.path);
    case DirEntryOp::Kind::kRename:
      if (base_->FileExists(op.path) && !base_->FileExists(op.from)) {
        FERRISDB_RETURN_IF_ERROR(base_->RenameFile(op.path, op.from));
      }
      if (op.replaced_contents.has_value()) {
        return WriteStringToFile(base_, *op.replaced_contents, op.path,
                                 /*sync=*/true);
      }
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError("SimulatePowerLoss: unknown entry kind");
}

void FaultInjectionEnv::ResetState() {
  absl::MutexLock lock(&mu_);
  for (auto it = files_.begin(); it != files_.end();) {
    if (it->second->open_writers > 0) {
      it->second->synced_size = it->second->size;
      ++it;
    } else {
      it = files_.erase(it);
    }
  }
  dir_ops_.clear();
}

std::vector<std::string> FaultInjectionEnv::FilesWithUnsyncedData() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> paths;
  for (const auto& [path, state] : files_) {
    if (state->size > state->synced_size) paths.push_back(path);
  }
  return paths;
}

std::vector<std::string> FaultInjectionEnv::UnsyncedDirEntries() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> paths;
  for (const DirEntryOp& op : dir_ops_) paths.push_back(op.path);
  return paths;
}

std::optional<FaultInjectionEnv::TrackedSize> FaultInjectionEnv::GetTrackedSize(
    const std::string& path) const {
  absl::MutexLock lock(&mu_);
  auto it = files_.find(NormalizePath(path));
  if (it == files_.end()) return std::nullopt;
  return TrackedSize{it->second->size, it->second->synced_size};
}

uint64_t FaultInjectionEnv::call_count() const {
  absl::MutexLock lock(&mu_);
  return call_count_;
}

uint64_t FaultInjectionEnv::injected_failure_count() const {
  absl::MutexLock lock(&mu_);
  return injected_failure_count_;
}

void FaultInjectionEnv::FailCall(uint64_t n, absl::Status error,
                                 bool persistent) {
  absl::MutexLock lock(&mu_);
  const uint64_t target = call_count_ + std::max<uint64_t>(n, 1);
  auto predicate = [target, persistent](const FaultContext& context) {
    return persistent ? context.call_number >= target
                      : context.call_number == target;
  };
  faults_.push_back(Fault{std::move(predicate), std::move(error), persistent});
}

void FaultInjectionEnv::FailWhen(
    std::function<bool(const FaultContext&)> predicate, absl::Status error,
    bool persistent) {
  absl::MutexLock lock(&mu_);
  faults_.push_back(Fault{std::move(predicate), std::move(error), persistent});
}

void FaultInjectionEnv::ClearFaults() {
  absl::MutexLock lock(&mu_);
  faults_.clear();
}

void FaultInjectionEnv::SetShortWriteOnFault(bool enabled) {
  absl::MutexLock lock(&mu_);
  short_write_on_fault_ = enabled;
}

}  // namespace ferrisdb::testing
