#include "version/version_set.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_format.h"
#include "db/filename.h"
#include "util/coding.h"
#include "util/hash.h"
#include "util/kill_point.h"
#include "util/status_macros.h"
#include "wal/log_reader.h"

namespace ferrisdb {
namespace {

// CURRENT: "MANIFEST-<number> v<version> <checksum>\n", the checksum being
// Checksum32 of everything before the space that precedes it, in 8 hex
// digits (docs/format/manifest.md, "CURRENT").
constexpr std::string_view kCurrentPrefix = "MANIFEST-";

}  // namespace

std::string EncodeCurrentFile(uint64_t manifest_number) {
  const std::string body = absl::StrFormat("MANIFEST-%06d v%d", manifest_number,
                                           kManifestFormatVersion);
  return absl::StrFormat("%s %08x\n", body, Checksum32(body));
}

absl::StatusOr<uint64_t> DecodeCurrentFile(std::string_view content) {
  auto bad = [&](std::string_view why) {
    return absl::DataLossError(absl::StrFormat("CURRENT: %s", why));
  };
  if (content.size() < 2 || content.back() != '\n') {
    return bad("truncated (no final newline)");
  }
  content.remove_suffix(1);
  const size_t space = content.rfind(' ');
  if (space == std::string_view::npos || content.size() - space != 9) {
    return bad("malformed checksum");
  }
  const std::string_view body = content.substr(0, space);
  uint32_t stored = 0;
  for (char c : content.substr(space + 1)) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return bad("malformed checksum");
    }
    stored = stored << 4 | static_cast<uint32_t>(digit);
  }
  if (stored != Checksum32(body)) return bad("checksum mismatch");
  if (body.substr(0, kCurrentPrefix.size()) != kCurrentPrefix) {
    return bad("does not name a manifest");
  }
  std::string_view rest = body.substr(kCurrentPrefix.size());
  uint64_t number = 0;
  size_t digits = 0;
  while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9' &&
         digits < 19) {
    number = number * 10 + (rest[digits] - '0');
    ++digits;
  }
  if (digits == 0 || rest.substr(digits, 2) != " v") {
    return bad("does not name a manifest");
  }
  rest.remove_prefix(digits + 2);
  uint32_t version = 0;
  if (rest.empty() || rest.size() > 9) return bad("malformed version");
  for (char c : rest) {
    if (c < '0' || c > '9') return bad("malformed version");
    version = version * 10 + static_cast<uint32_t>(c - '0');
  }
  if (version > kManifestFormatVersion) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "CURRENT: manifest format version %d needs a newer FerrisDB (this one "
        "reads up to %d)",
        version, kManifestFormatVersion));
  }
  return number;
}

size_t Version::NumFiles() const {
  size_t n = 0;
  for (const FileList& level : files_) n += level.size();
  return n;
}

uint64_t Version::NumLevelBytes(int level) const {
  uint64_t bytes = 0;
  for (const auto& f : files_[level]) bytes += f->file_size;
  return bytes;
}

size_t Version::FindFile(int level, std::string_view internal_key) const {
  const FileList& files = files_[level];
  auto it = std::partition_point(
      files.begin(), files.end(), [internal_key](const auto& f) {
        return CompareInternalKeys(f->largest, internal_key) < 0;
      });
  return static_cast<size_t>(it - files.begin());
}

Version::FileList Version::GetOverlappingFiles(
    int level, std::optional<std::string_view> smallest_user_key,
    std::optional<std::string_view> largest_user_key) const {
  // Owned copies: the range may grow past the caller's keys (level 0).
  std::optional<std::string> lo, hi;
  if (smallest_user_key) lo.emplace(*smallest_user_key);
  if (largest_user_key) hi.emplace(*largest_user_key);
  FileList result;
  const FileList& files = files_[level];
  for (size_t i = 0; i < files.size();) {
    const FileMetaData& f = *files[i++];
    const std::string_view f_lo = ExtractUserKey(f.smallest);
    const std::string_view f_hi = ExtractUserKey(f.largest);
    if ((lo && f_hi < *lo) || (hi && f_lo > *hi)) continue;
    result.push_back(files[i - 1]);
    if (level == 0) {
      // Grow the range to the file's and start over if it grew.
      const bool grow_lo = lo && f_lo < *lo;
      const bool grow_hi = hi && f_hi > *hi;
      if (grow_lo) lo.emplace(f_lo);
      if (grow_hi) hi.emplace(f_hi);
      if (grow_lo || grow_hi) {
        result.clear();
        i = 0;
      }
    }
  }
  return result;
}

std::string Version::DebugString() const {
  std::string out;
  for (int level = 0; level < kNumLevels; ++level) {
    if (files_[level].empty()) continue;
    absl::StrAppendFormat(&out, "L%d:", level);
    for (const auto& f : files_[level]) {
      absl::StrAppendFormat(&out, " %06d[%s..%s]", f->number,
                            InternalKeyDebugString(f->smallest),
                            InternalKeyDebugString(f->largest));
    }
    out += "\n";
  }
  return out;
}

VersionSet::VersionSet(std::string dbname, Env* env,
                       uint64_t max_manifest_file_size)
    : dbname_(std::move(dbname)),
      env_(env),
      max_manifest_file_size_(max_manifest_file_size),
      current_(std::make_shared<const Version>()) {}

bool VersionSet::DatabaseExists() const {
  return env_->FileExists(CurrentFileName(dbname_));
}

absl::Status VersionSet::Apply(const Version& base, const VersionEdit& edit,
                               Version* result) {
  for (int level = 0; level < kNumLevels; ++level) {
    for (const auto& f : base.files_[level]) {
      if (edit.deleted_files().count({level, f->number}) == 0) {
        result->files_[level].push_back(f);
      }
    }
  }
  for (const auto& [level, number] : edit.deleted_files()) {
    const auto& files = base.files_[level];
    if (std::none_of(files.begin(), files.end(),
                     [n = number](const auto& f) { return f->number == n; })) {
      return absl::DataLossError(absl::StrFormat(
          "version edit deletes file %06d from level %d, where it is not",
          number, level));
    }
  }
  for (const auto& [level, f] : edit.new_files()) {
    for (const auto& files : result->files_) {
      for (const auto& existing : files) {
        if (existing->number == f.number) {
          return absl::DataLossError(absl::StrFormat(
              "version edit adds file %06d, which is already live", f.number));
        }
      }
    }
    result->files_[level].push_back(std::make_shared<const FileMetaData>(f));
  }
  std::sort(result->files_[0].begin(), result->files_[0].end(),
            [](const auto& a, const auto& b) { return a->number < b->number; });
  for (int level = 1; level < kNumLevels; ++level) {
    std::sort(result->files_[level].begin(), result->files_[level].end(),
              [](const auto& a, const auto& b) {
                return CompareInternalKeys(a->smallest, b->smallest) < 0;
              });
  }
  return absl::OkStatus();
}

absl::Status VersionSet::Recover() {
  FERRISDB_ASSIGN_OR_RETURN(std::string current,
                            ReadFileToString(env_, CurrentFileName(dbname_)));
  absl::StatusOr<uint64_t> manifest_number = DecodeCurrentFile(current);
  if (!manifest_number.ok()) {
    return absl::Status(
        manifest_number.status().code(),
        absl::StrFormat("%s/%s", dbname_, manifest_number.status().message()));
  }
  const std::string path = ManifestFileName(dbname_, *manifest_number);
  const std::string name = path.substr(dbname_.size() + 1);
  absl::StatusOr<std::unique_ptr<SequentialFile>> file =
      env_->NewSequentialFile(path);
  if (absl::IsNotFound(file.status())) {
    return absl::DataLossError(absl::StrFormat(
        "%s: CURRENT names %s, which does not exist", dbname_, name));
  }
  if (!file.ok()) return file.status();
  LogReader reader(*std::move(file), name, *manifest_number,
                   LogFileKind::kManifest);

  Version version;
  std::optional<uint64_t> log_number, next_file, last_sequence;
  std::string scratch;
  std::string_view record;
  bool first = true;
  while (true) {
    absl::StatusOr<bool> more = reader.ReadRecord(&record, &scratch);
    if (!more.ok()) return more.status();
    if (!*more) break;
    VersionEdit edit;
    absl::Status s = edit.DecodeFrom(record);
    if (s.ok() && first) {
      if (!edit.format_version().has_value()) {
        s = absl::DataLossError("the first edit has no format version");
      } else if (*edit.format_version() > kManifestFormatVersion) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "manifest %s has format version %d and needs a newer FerrisDB",
            name, *edit.format_version()));
      }
    }
    Version next;
    if (s.ok()) s = Apply(version, edit, &next);
    if (!s.ok()) {
      return absl::DataLossError(
          absl::StrFormat("manifest %s: record at offset %d: %s", name,
                          reader.last_record_offset(), s.message()));
    }
    version = std::move(next);
    if (edit.log_number()) log_number = edit.log_number();
    if (edit.next_file_number()) next_file = edit.next_file_number();
    if (edit.last_sequence()) last_sequence = edit.last_sequence();
    first = false;
  }
  if (first || !log_number || !next_file || !last_sequence) {
    return absl::DataLossError(absl::StrFormat(
        "manifest %s is incomplete: it lacks the log number, next file "
        "number or last sequence",
        name));
  }
  InstallVersion(std::move(version));
  log_number_ = *log_number;
  next_file_number_ = *next_file;
  last_sequence_ = *last_sequence;
  recovered_manifest_number_ = *manifest_number;
  MarkFileNumberUsed(*manifest_number);
  for (const auto& files : current_->files_) {
    for (const auto& f : files) MarkFileNumberUsed(f->number);
  }
  return absl::OkStatus();
}

void VersionSet::InstallVersion(Version version) {
  current_ = std::make_shared<const Version>(std::move(version));
  versions_in_use_.push_back(current_);
}

void VersionSet::AddLiveFiles(std::set<uint64_t>* live) {
  std::erase_if(versions_in_use_,
                [](const auto& weak) { return weak.expired(); });
  for (const auto& weak : versions_in_use_) {
    std::shared_ptr<const Version> version = weak.lock();
    if (version == nullptr) continue;  // let go of since the erase
    for (const auto& files : version->files_) {
      for (const auto& f : files) live->insert(f->number);
    }
  }
}

absl::Status VersionSet::WriteSnapshot(LogWriter* writer) const {
  VersionEdit snapshot;
  snapshot.SetFormatVersion(kManifestFormatVersion);
  for (int level = 0; level < kNumLevels; ++level) {
    for (const auto& f : current_->files_[level]) snapshot.AddFile(level, *f);
  }
  snapshot.SetLogNumber(log_number_);
  snapshot.SetNextFileNumber(next_file_number_);
  snapshot.SetLastSequence(last_sequence_);
  std::string record;
  snapshot.EncodeTo(&record);
  return writer->AddRecord(record);
}

absl::Status VersionSet::SetCurrentFile(uint64_t manifest_number,
                                        bool* renamed) {
  // Write a temporary file, sync it, rename it over CURRENT, sync the
  // directory: CURRENT is always either the old or the new content.
  *renamed = false;
  const uint64_t temp_number = NewFileNumber();
  const std::string temp = TempFileName(dbname_, temp_number);
  absl::Status s =
      WriteStringToFile(env_, EncodeCurrentFile(manifest_number), temp, true);
  if (s.ok()) internal::KillPoint("current.temp.synced");
  if (s.ok()) {
    s = env_->RenameFile(temp, CurrentFileName(dbname_));
    if (s.ok()) internal::KillPoint("current.rename.after");
    *renamed = s.ok();
  }
  if (s.ok()) s = env_->SyncDir(dbname_);
  if (s.ok()) internal::KillPoint("current.syncdir.after");
  if (!*renamed) env_->RemoveFile(temp).IgnoreError();
  return s;
}

absl::Status VersionSet::StartNewManifest() {
  const uint64_t number = NewFileNumber();
  const std::string path = ManifestFileName(dbname_, number);
  FERRISDB_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file,
                            env_->NewWritableFile(path));
  auto writer = std::make_unique<LogWriter>(std::move(file), number,
                                            LogFileKind::kManifest);
  absl::Status s = WriteSnapshot(writer.get());
  if (s.ok()) s = writer->Sync();
  if (s.ok()) internal::KillPoint("manifest.new.synced");
  // The manifest's directory entry must be durable before CURRENT can name
  // it: a file system may persist the rename of CURRENT without the create
  // (found by crash-state enumeration, tests/db/crash_state_test.cc).
  if (s.ok()) s = env_->SyncDir(dbname_);
  bool renamed = false;
  if (s.ok()) s = SetCurrentFile(number, &renamed);
  if (!s.ok()) {
    writer.reset();
    // Once CURRENT names the new manifest (even if the directory sync
    // failed) the manifest must stay: it may be the one a restart reads.
    if (!renamed) env_->RemoveFile(path).IgnoreError();
    return s;
  }
  manifest_ = std::move(writer);
  manifest_number_ = number;
  return absl::OkStatus();
}

absl::Status VersionSet::LogAndApply(VersionEdit* edit) {
  if (!edit->log_number()) edit->SetLogNumber(log_number_);
  if (!edit->last_sequence()) edit->SetLastSequence(last_sequence_);
  for (const auto& [level, f] : edit->new_files()) MarkFileNumberUsed(f.number);

  Version next;
  FERRISDB_RETURN_IF_ERROR(Apply(*current_, *edit, &next));

  if (manifest_ != nullptr &&
      manifest_->file_size() >= max_manifest_file_size_) {
    // Roll: every edit so far is synced in the old manifest, which stays
    // CURRENT's target until the new one is durably in place.
    manifest_.reset();
  }
  if (manifest_ == nullptr) {
    // The snapshot must describe the state before the edit: the edit is
    // appended right after it.
    FERRISDB_RETURN_IF_ERROR(StartNewManifest());
  }
  edit->SetNextFileNumber(next_file_number_);
  std::string record;
  edit->EncodeTo(&record);
  internal::KillPoint("manifest.append.before");
  absl::Status s = manifest_->AddRecord(record);
  if (s.ok()) internal::KillPoint("manifest.append.after");
  if (s.ok()) s = manifest_->Sync();
  if (s.ok()) internal::KillPoint("manifest.sync.after");
  if (!s.ok()) {
    // The manifest may end in a partial record: never append to it again.
    // The next LogAndApply starts a new one.
    manifest_.reset();
    return s;
  }
  InstallVersion(std::move(next));
  log_number_ = *edit->log_number();
  last_sequence_ = *edit->last_sequence();
  return absl::OkStatus();
}

}  // namespace ferrisdb
