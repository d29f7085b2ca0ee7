// Kill points: named places on the durability path (before and after every
// write, sync, rename, unlink, directory sync and manifest append) where a
// crash test can make the process die, to prove recovery from exactly that
// state. A test installs a hook; the library calls KillPoint(name) at each
// place, which costs one relaxed atomic load when no hook is installed.
//
// The names are listed in kKillPointNames so a driver can enumerate them;
// every KillPoint call must use one of them.
//
// Thread-safe.
#ifndef FERRISDB_UTIL_KILL_POINT_H_
#define FERRISDB_UTIL_KILL_POINT_H_

#include <array>
#include <atomic>
#include <string_view>

namespace ferrisdb::internal {

inline constexpr std::array<std::string_view, 20> kKillPointNames = {
    "wal.append.before",     "wal.append.after",
    "wal.sync.before",       "wal.sync.after",
    "wal.create.after",      "wal.switch.old_synced",
    "table.sync.before",     "table.sync.after",
    "table.syncdir.after",   "manifest.append.before",
    "manifest.append.after", "manifest.sync.after",
    "manifest.new.synced",   "current.temp.synced",
    "current.rename.after",  "current.syncdir.after",
    "flush.installed",       "compaction.outputs.synced",
    "compaction.installed",  "obsolete.unlink.after",
};

// Called with the point's name each time a KillPoint is passed.
using KillPointHook = void (*)(std::string_view name);

// Installs hook (nullptr removes it). Meant for test binaries.
void SetKillPointHook(KillPointHook hook);

namespace kill_point_detail {
extern std::atomic<KillPointHook> hook;
}  // namespace kill_point_detail

// REQUIRES: name is one of kKillPointNames.
inline void KillPoint(std::string_view name) {
  KillPointHook hook = kill_point_detail::hook.load(std::memory_order_relaxed);
  if (hook != nullptr) hook(name);
}

}  // namespace ferrisdb::internal

#endif  // FERRISDB_UTIL_KILL_POINT_H_
