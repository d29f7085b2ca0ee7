#include "testutil/crash_state_builder.h"

#include <algorithm>
#include <functional>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace ferrisdb::testing {
namespace {

// Inode numbers of files present before recording; recorded ids start at 1.
constexpr uint64_t kFirstInitialInode = uint64_t{1} << 48;

// The directory part of a relative path ("" for an entry of the root).
std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

// True if every directory above path exists in dirs.
bool ParentsExist(const std::string& path, const std::set<std::string>& dirs) {
  for (std::string dir = Parent(path); !dir.empty(); dir = Parent(dir)) {
    if (!dirs.count(dir)) return false;
  }
  return true;
}

// a names b or a directory above b, or the other way round.
bool NamesOverlap(const std::string& a, const std::string& b) {
  auto above = [](const std::string& dir, const std::string& path) {
    return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
           path[dir.size()] == '/';
  };
  return a == b || above(a, b) || above(b, a);
}

}  // namespace

absl::StatusOr<FsImage> FsImage::Load(Env* env, const std::string& root) {
  FsImage image;
  std::function<absl::Status(const std::string&)> walk =
      [&](const std::string& rel) -> absl::Status {
    const std::string dir = rel.empty() ? root : root + "/" + rel;
    FERRISDB_ASSIGN_OR_RETURN(std::vector<std::string> children,
                              env->GetChildren(dir));
    for (const std::string& name : children) {
      const std::string child = rel.empty() ? name : rel + "/" + name;
      if (env->IsDirectory(root + "/" + child)) {
        image.dirs.insert(child);
        FERRISDB_RETURN_IF_ERROR(walk(child));
      } else {
        FERRISDB_ASSIGN_OR_RETURN(image.files[child],
                                  ReadFileToString(env, root + "/" + child));
      }
    }
    return absl::OkStatus();
  };
  FERRISDB_RETURN_IF_ERROR(walk(""));
  return image;
}

absl::Status FsImage::Materialize(Env* env, const std::string& root) const {
  FERRISDB_RETURN_IF_ERROR(env->CreateDirIfMissing(root));
  for (const std::string& dir : dirs) {  // sorted: parents first
    FERRISDB_RETURN_IF_ERROR(env->CreateDirIfMissing(root + "/" + dir));
  }
  for (const auto& [path, content] : files) {
    FERRISDB_RETURN_IF_ERROR(
        WriteStringToFile(env, content, root + "/" + path, /*sync=*/false));
  }
  return absl::OkStatus();
}

uint64_t FsImage::Digest() const {
  std::string all;
  for (const std::string& dir : dirs) absl::StrAppend(&all, "D", dir, "\n");
  for (const auto& [path, content] : files) {
    absl::StrAppend(&all, "F", path, "\n", content.size(), "\n", content);
  }
  return std::hash<std::string>{}(all);
}

std::string FsImage::Describe() const {
  std::string out;
  for (const std::string& dir : dirs) absl::StrAppend(&out, dir, "/ ");
  for (const auto& [path, content] : files) {
    absl::StrAppend(&out, path, "(", content.size(), ") ");
  }
  return out;
}

CrashStateBuilder::CrashStateBuilder(std::vector<FsOp> trace, std::string root,
                                     FsImage initial)
    : trace_(std::move(trace)),
      root_(NormalizeFsPath(root)),
      initial_(std::move(initial)) {}

std::string CrashStateBuilder::Relative(const std::string& path) const {
  if (path.size() > root_.size() && path.compare(0, root_.size(), root_) == 0 &&
      path[root_.size()] == '/') {
    return path.substr(root_.size() + 1);
  }
  // The root itself is ""; anything outside it is rejected by Replay.
  return path == root_ ? "" : "/";
}

absl::StatusOr<CutState> CrashStateBuilder::Replay(size_t cut) const {
  CutState s;
  s.cut_ = cut;
  std::map<std::string, uint64_t> live;  // the page cache's namespace
  uint64_t next_initial = kFirstInitialInode;
  for (const auto& [path, content] : initial_.files) {
    const uint64_t inode = next_initial++;
    s.inodes_[inode] = {content, content.size(), {}};
    s.durable_files_[path] = inode;
    live[path] = inode;
  }
  s.durable_dirs_ = initial_.dirs;
  std::map<uint64_t, uint64_t> alias;  // recorded id -> initial inode
  // Pending directory ops: trace index and the inode they act on.
  struct Pending {
    size_t index;
    uint64_t inode;
  };
  std::vector<Pending> pending;

  auto apply = [this](const FsOp& op, uint64_t inode,
                      std::map<std::string, uint64_t>* files,
                      std::set<std::string>* dirs) {
    const std::string path = Relative(op.path);
    switch (op.kind) {
      case FsOp::Kind::kCreateFile:
        (*files)[path] = inode;
        break;
      case FsOp::Kind::kRemove:
        files->erase(path);
        break;
      case FsOp::Kind::kRename:
        files->erase(path);
        (*files)[Relative(op.target)] = inode;
        break;
      case FsOp::Kind::kCreateDir:
        dirs->insert(path);
        break;
      case FsOp::Kind::kRemoveDir:
        dirs->erase(path);
        break;
      default:
        break;
    }
  };

  std::set<std::string> live_dirs = initial_.dirs;
  for (size_t i = 0; i < cut && i < trace_.size(); ++i) {
    const FsOp& op = trace_[i];
    const std::string path = Relative(op.path);
    const bool root_allowed = op.kind == FsOp::Kind::kSyncDir;
    auto outside = [&](const std::string& rel) {
      return rel == "/" || (rel.empty() && !root_allowed);
    };
    if (outside(path) ||
        (op.kind == FsOp::Kind::kRename && outside(Relative(op.target)))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "op #", i, " (", DescribeFsOp(op, root_), ") is not under ", root_));
    }
    if (op.kind == FsOp::Kind::kRename &&
        Parent(path) != Parent(Relative(op.target))) {
      return absl::UnimplementedError(absl::StrCat(
          "op #", i, ": renames across directories are not modeled"));
    }
    uint64_t inode = 0;
    if (op.kind == FsOp::Kind::kCreateFile) {
      inode = op.file_id;
      s.inodes_[inode] = {};
    } else if (op.file_id != 0) {
      inode = op.file_id;
      if (!s.inodes_.count(inode)) {
        auto a = alias.find(op.file_id);
        if (a == alias.end()) {
          auto l = live.find(path);
          if (l == live.end()) {
            return absl::InvalidArgumentError(
                absl::StrCat("op #", i, " (", DescribeFsOp(op, root_),
                             ") names a file the model does not know"));
          }
          a = alias.emplace(op.file_id, l->second).first;
        }
        inode = a->second;
      }
    }
    CutState::Inode* file = inode != 0 ? &s.inodes_[inode] : nullptr;
    switch (op.kind) {
      case FsOp::Kind::kAppend:
        file->content += op.data;
        file->append_ends.push_back(file->content.size());
        break;
      case FsOp::Kind::kSyncFile:
        file->synced = file->content.size();
        file->append_ends.clear();
        break;
      case FsOp::Kind::kTruncate:
        file->content.resize(op.size, '\0');
        file->synced = std::min<uint64_t>(file->synced, op.size);
        std::erase_if(file->append_ends,
                      [&op](uint64_t end) { return end >= op.size; });
        if (op.size > file->synced) file->append_ends.push_back(op.size);
        break;
      case FsOp::Kind::kSyncDir: {
        std::vector<Pending> still;
        for (const Pending& p : pending) {
          if (Parent(Relative(trace_[p.index].path)) == path) {
            apply(trace_[p.index], p.inode, &s.durable_files_,
                  &s.durable_dirs_);
          } else {
            still.push_back(p);
          }
        }
        pending = std::move(still);
        break;
      }
      default:
        apply(op, inode, &live, &live_dirs);
        pending.push_back({i, inode});
        break;
    }
  }

  // Pending directory ops and their dependencies.
  for (size_t j = 0; j < pending.size(); ++j) {
    CutState::PendingMeta meta{pending[j].index, {}};
    const FsOp& b = trace_[pending[j].index];
    for (size_t i = 0; i < j; ++i) {
      const FsOp& a = trace_[pending[i].index];
      bool overlap = false;
      for (const std::string* x : {&a.path, &a.target}) {
        for (const std::string* y : {&b.path, &b.target}) {
          if (!x->empty() && !y->empty() && NamesOverlap(*x, *y)) {
            overlap = true;
          }
        }
      }
      if (overlap) meta.depends_on.push_back(i);
    }
    s.meta_.push_back(std::move(meta));
    s.meta_inode_.push_back(pending[j].inode);
  }
  // Files with an unsynced tail that could be on disk after the crash.
  std::set<uint64_t> reachable;
  for (const auto& [path, inode] : s.durable_files_) reachable.insert(inode);
  for (const Pending& p : pending) {
    if (p.inode != 0) reachable.insert(p.inode);
  }
  for (uint64_t inode : reachable) {
    const CutState::Inode& f = s.inodes_[inode];
    if (f.content.size() <= f.synced) continue;
    std::string name;
    for (const auto& [path, id] : live) {
      if (id == inode) name = path;
    }
    for (const auto& [path, id] : s.durable_files_) {
      if (id == inode && name.empty()) name = path;
    }
    s.data_.push_back({inode, name, f.synced, f.append_ends, {}});
  }
  return s;
}

namespace {

std::vector<TailOutcome> TailOutcomes(const CutState::PendingData& data,
                                      const EnumerationLimits& limits) {
  std::vector<TailOutcome> out;
  std::set<uint64_t> kept;  // tail lengths already listed
  auto add_prefix = [&](uint64_t offset, std::string label) {
    const uint64_t keep = offset - data.synced_size;
    if (kept.insert(keep).second) {
      out.push_back({TailOutcome::Kind::kPrefix, keep, std::move(label)});
    }
  };
  add_prefix(data.synced_size, "drop");
  const std::vector<uint64_t>& ends = data.append_ends;
  const size_t n = ends.size();
  const size_t k = static_cast<size_t>(std::max(limits.appends_per_tail, 1));
  // All appends kept comes second: "everything survives" for a baseline.
  add_prefix(ends.back(), "all");
  for (size_t i = 0; i < n; ++i) {
    if (n > 2 * k && i >= k && i + k < n) continue;
    const uint64_t start = i == 0 ? data.synced_size : ends[i - 1];
    const uint64_t end = ends[i];
    add_prefix(end, absl::StrCat(i + 1, " of ", n, " appends"));
    if (end - start < 2) continue;
    std::vector<uint64_t> bytes;
    if (end - start <= limits.every_byte_tear_up_to) {
      for (uint64_t b = start + 1; b < end; ++b) bytes.push_back(b);
    } else if (limits.byte_tears_per_append >= 3) {
      bytes = {start + 1, start + (end - start) / 2, end - 1};
    } else if (limits.byte_tears_per_append >= 1) {
      bytes = {start + (end - start) / 2};
    }
    for (uint64_t b : bytes) {
      add_prefix(b, absl::StrCat("append ", i + 1, " torn at byte ", b));
    }
    int aligned = 0;
    for (uint64_t b = (start / 512 + 1) * 512;
         b < end && aligned < limits.aligned_tears_per_append; b += 512) {
      add_prefix(b, absl::StrCat("append ", i + 1, " torn at ",
                                 b % 4096 == 0 ? "page " : "sector ", b));
      ++aligned;
    }
  }
  if (limits.zero_tail) {
    out.push_back({TailOutcome::Kind::kZeroTail, 0, "size kept, data zeros"});
  }
  if (limits.garbage_tail) {
    // The seed varies with the file, so two files get different garbage.
    out.push_back({TailOutcome::Kind::kGarbageTail, data.file_id * 7919 + 1,
                   "size kept, data garbage"});
  }
  if (limits.holes) {
    for (size_t i = 0; i + 1 < n; ++i) {
      if (n > 2 * k && i >= k && i + k < n) continue;
      out.push_back({TailOutcome::Kind::kHole, i,
                     absl::StrCat("append ", i + 1, " of ", n,
                                  " zeros, "
                                  "later ones kept")});
    }
  }
  return out;
}

// Dependency-closed subsets of pending directory ops, as persisted flags:
// the empty set first and the full set last.
std::vector<std::vector<bool>> ClosedSubsets(
    const std::vector<CutState::PendingMeta>& meta, size_t limit) {
  const size_t n = meta.size();
  std::vector<std::vector<bool>> all;
  auto closed = [&](const std::vector<bool>& s) {
    for (size_t j = 0; j < n; ++j) {
      if (!s[j]) continue;
      for (size_t d : meta[j].depends_on) {
        if (!s[d]) return false;
      }
    }
    return true;
  };
  if (n <= 16) {
    for (uint32_t mask = 0; mask < (uint32_t{1} << n); ++mask) {
      std::vector<bool> s(n);
      for (size_t j = 0; j < n; ++j) s[j] = (mask >> j) & 1;
      if (closed(s)) all.push_back(std::move(s));
    }
  } else {
    // Too many to list: prefixes of the issue order, and each single op left
    // out of the full set when that stays closed.
    for (size_t p = 0; p <= n; ++p) {
      std::vector<bool> s(n);
      for (size_t j = 0; j < p; ++j) s[j] = true;
      all.push_back(std::move(s));
    }
    for (size_t j = 0; j + 1 < n; ++j) {
      std::vector<bool> s(n, true);
      s[j] = false;
      if (closed(s)) all.push_back(std::move(s));
    }
    std::swap(all[n], all.back());  // the full set last
  }
  if (all.size() <= limit || limit < 2) return all;
  std::vector<std::vector<bool>> sampled;
  for (size_t i = 0; i < limit; ++i) {
    sampled.push_back(all[i * (all.size() - 1) / (limit - 1)]);
  }
  return sampled;
}

}  // namespace

namespace {

// A random outcome for a tail (see CrashStateBuilder::Sample).
TailOutcome SampleTail(const CutState::PendingData& data,
                       const std::function<uint64_t()>& random) {
  const std::vector<uint64_t>& ends = data.append_ends;
  const size_t n = ends.size();
  const uint64_t roll = random() % 100;
  if (roll < 30) {
    const size_t k = static_cast<size_t>(random() % (n + 1));
    const uint64_t keep =
        (k == 0 ? data.synced_size : ends[k - 1]) - data.synced_size;
    return {TailOutcome::Kind::kPrefix, keep,
            absl::StrCat(k, " of ", n, " appends")};
  }
  if (roll < 60) {
    const size_t i = static_cast<size_t>(random() % n);
    const uint64_t start = i == 0 ? data.synced_size : ends[i - 1];
    const uint64_t end = ends[i];
    uint64_t at = start + (end - start) / 2;
    std::string how = "byte";
    const uint64_t unit = (random() & 1) != 0 ? 512 : 4096;
    const uint64_t first = (start / unit + 1) * unit;  // first boundary > start
    if (end - start >= 2 && (random() % 3) == 0) {
      at = start + 1 + random() % (end - start - 1);
    } else if (first < end) {
      at = first + (random() % ((end - 1 - first) / unit + 1)) * unit;
      how = unit == 512 ? "sector" : "page";
    } else if (end - start >= 2) {
      at = start + 1 + random() % (end - start - 1);
    }
    return {
        TailOutcome::Kind::kPrefix, at - data.synced_size,
        absl::StrCat("append ", i + 1, " of ", n, " torn at ", how, " ", at)};
  }
  if (roll < 75) {
    return {TailOutcome::Kind::kZeroTail, 0, "size kept, data zeros"};
  }
  if (roll < 90 || n < 2) {
    return {TailOutcome::Kind::kGarbageTail, random() | 1,
            "size kept, data garbage"};
  }
  const size_t i = static_cast<size_t>(random() % (n - 1));
  return {TailOutcome::Kind::kHole, i,
          absl::StrCat("append ", i + 1, " of ", n, " zeros, later ones kept")};
}

}  // namespace

CrashChoice CrashStateBuilder::Sample(
    CutState* state, const std::function<uint64_t()>& random) const {
  CrashChoice c;
  for (CutState::PendingData& d : state->data_) {
    d.outcomes = {SampleTail(d, random)};
    c.outcome.push_back(0);
    if (d.outcomes[0].kind == TailOutcome::Kind::kHole) {
      c.beyond_ordered_fs = true;
    }
  }
  // Dependencies point to earlier ops, so one pass in issue order decides
  // each op after everything it depends on.
  c.persisted.assign(state->meta_.size(), false);
  for (size_t j = 0; j < state->meta_.size(); ++j) {
    bool possible = true;
    for (size_t d : state->meta_[j].depends_on) {
      possible = possible && c.persisted[d];
    }
    c.persisted[j] = possible && (random() & 1) != 0;
  }
  return c;
}

std::vector<CrashChoice> CrashStateBuilder::Enumerate(
    CutState* state, const EnumerationLimits& limits) const {
  for (CutState::PendingData& d : state->data_) {
    d.outcomes = TailOutcomes(d, limits);
  }
  const std::vector<std::vector<bool>> subsets =
      ClosedSubsets(state->meta_, limits.metadata_subsets);
  // Dimensions: the metadata subset, then one per pending file.
  std::vector<size_t> radix{subsets.size()};
  for (const CutState::PendingData& d : state->data_) {
    radix.push_back(d.outcomes.size());
  }
  const std::vector<size_t> low(radix.size(), 0);
  std::vector<size_t> high(radix.size(), 1);  // "all" is outcome 1
  high[0] = subsets.size() - 1;
  for (size_t i = 1; i < radix.size(); ++i) {
    high[i] = std::min<size_t>(1, radix[i] - 1);
  }

  std::set<std::vector<size_t>> picked;
  std::vector<std::vector<size_t>> order;
  auto pick = [&](const std::vector<size_t>& v) {
    if (picked.insert(v).second) order.push_back(v);
  };
  double total = 1;
  for (size_t r : radix) total *= static_cast<double>(r);
  if (total <= static_cast<double>(limits.states_per_cut)) {
    std::vector<size_t> v(radix.size(), 0);
    while (true) {
      pick(v);
      size_t d = 0;
      while (d < v.size() && ++v[d] == radix[d]) v[d++] = 0;
      if (d == v.size()) break;
    }
  } else {
    for (const std::vector<size_t>* base : {&low, &std::as_const(high)}) {
      pick(*base);
      for (size_t d = 0; d < radix.size(); ++d) {
        for (size_t o = 0; o < radix[d]; ++o) {
          std::vector<size_t> v = *base;
          v[d] = o;
          pick(v);
        }
      }
    }
    // Evenly spaced points of the whole product, decoded in mixed radix.
    const size_t samples = limits.states_per_cut > order.size()
                               ? limits.states_per_cut - order.size()
                               : 0;
    for (size_t s = 0; s < samples; ++s) {
      double index =
          total * static_cast<double>(s) / static_cast<double>(samples);
      std::vector<size_t> v(radix.size());
      for (size_t d = 0; d < radix.size(); ++d) {
        const double r = static_cast<double>(radix[d]);
        const double q = static_cast<double>(static_cast<uint64_t>(index / r));
        v[d] = std::min(radix[d] - 1, static_cast<size_t>(index - q * r));
        index = q;
      }
      pick(v);
    }
  }

  std::vector<CrashChoice> choices;
  for (const std::vector<size_t>& v : order) {
    CrashChoice c;
    c.persisted = subsets[v[0]];
    for (size_t i = 0; i < state->data_.size(); ++i) {
      c.outcome.push_back(v[i + 1]);
      if (state->data_[i].outcomes[v[i + 1]].kind == TailOutcome::Kind::kHole) {
        c.beyond_ordered_fs = true;
      }
    }
    choices.push_back(std::move(c));
  }
  return choices;
}

FsImage CrashStateBuilder::Build(const CutState& state,
                                 const CrashChoice& choice) const {
  std::map<std::string, uint64_t> files = state.durable_files_;
  std::set<std::string> dirs = state.durable_dirs_;
  for (size_t j = 0; j < state.meta_.size(); ++j) {
    if (!choice.persisted[j]) continue;
    const FsOp& op = trace_[state.meta_[j].trace_index];
    const std::string path = Relative(op.path);
    const uint64_t inode = state.meta_inode_[j];
    switch (op.kind) {
      case FsOp::Kind::kCreateFile:
        files[path] = inode;
        break;
      case FsOp::Kind::kRemove:
        files.erase(path);
        break;
      case FsOp::Kind::kRename:
        files.erase(path);
        files[Relative(op.target)] = inode;
        break;
      case FsOp::Kind::kCreateDir:
        dirs.insert(path);
        break;
      case FsOp::Kind::kRemoveDir:
        dirs.erase(path);
        break;
      default:
        break;
    }
  }
  std::map<uint64_t, const TailOutcome*> tails;
  for (size_t i = 0; i < state.data_.size(); ++i) {
    tails[state.data_[i].file_id] = &state.data_[i].outcomes[choice.outcome[i]];
  }
  FsImage image;
  for (const std::string& dir : dirs) {
    if (ParentsExist(dir, dirs)) image.dirs.insert(dir);
  }
  for (const auto& [path, inode] : files) {
    if (!ParentsExist(path, image.dirs)) continue;
    const CutState::Inode& f = state.inodes_.at(inode);
    auto t = tails.find(inode);
    std::string content = f.content.substr(0, f.synced);
    if (t != tails.end()) {
      const TailOutcome& outcome = *t->second;
      switch (outcome.kind) {
        case TailOutcome::Kind::kPrefix:
          content = f.content.substr(0, f.synced + outcome.value);
          break;
        case TailOutcome::Kind::kZeroTail:
          content.resize(f.content.size(), '\0');
          break;
        case TailOutcome::Kind::kGarbageTail: {
          uint64_t x = outcome.value;
          while (content.size() < f.content.size()) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;  // LCG
            content.push_back(static_cast<char>(x >> 56));
          }
          break;
        }
        case TailOutcome::Kind::kHole: {
          content = f.content;
          const uint64_t start =
              outcome.value == 0 ? f.synced : f.append_ends[outcome.value - 1];
          const uint64_t end = f.append_ends[outcome.value];
          std::fill(content.begin() + static_cast<ptrdiff_t>(start),
                    content.begin() + static_cast<ptrdiff_t>(end), '\0');
          break;
        }
      }
    }
    image.files[path] = std::move(content);
  }
  return image;
}

std::string CrashStateBuilder::Describe(const CutState& state,
                                        const CrashChoice& choice) const {
  std::string out = absl::StrCat("crash after ", state.cut_, " of ",
                                 trace_.size(), " file-system ops");
  if (state.cut_ > 0) {
    absl::StrAppend(&out, " (last: #", state.cut_ - 1, " ",
                    DescribeFsOp(trace_[state.cut_ - 1], root_), ")");
  }
  absl::StrAppend(&out, "\n");
  for (size_t i = 0; i < state.data_.size(); ++i) {
    const CutState::PendingData& d = state.data_[i];
    absl::StrAppend(&out, "  unsynced data of ", d.name, ": synced ",
                    d.synced_size, " B, tail of ", d.append_ends.size(),
                    " append(s) to ", d.append_ends.back(), " B -> ",
                    d.outcomes[choice.outcome[i]].label, "\n");
  }
  for (size_t j = 0; j < state.meta_.size(); ++j) {
    absl::StrAppend(&out, "  unsynced dir op #", state.meta_[j].trace_index,
                    " ",
                    DescribeFsOp(trace_[state.meta_[j].trace_index], root_),
                    choice.persisted[j] ? " -> persisted" : " -> lost", "\n");
  }
  return out;
}

}  // namespace ferrisdb::testing
