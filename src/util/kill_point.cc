#include "util/kill_point.h"

namespace ferrisdb::internal {

namespace kill_point_detail {
std::atomic<KillPointHook> hook{nullptr};
}  // namespace kill_point_detail

void SetKillPointHook(KillPointHook hook) {
  kill_point_detail::hook.store(hook, std::memory_order_relaxed);
}

}  // namespace ferrisdb::internal
