// NoSyncEnv: the default Env, except that Sync, StartWriteback and SyncDir
// only hand data to the operating system. For tests that check what survives
// a process restart, for which syncs make no difference: an fsync per call
// made the I/O error loop's sequence take ~120 ms a run instead of a few.
// Never use it where a power loss is simulated.
//
// Thread-safe.
#ifndef FERRISDB_TESTS_TESTUTIL_NO_SYNC_ENV_H_
#define FERRISDB_TESTS_TESTUTIL_NO_SYNC_ENV_H_

#include "ferrisdb/env.h"

namespace ferrisdb::testing {

// The process-wide instance (never destroyed).
Env* NoSyncEnv();

}  // namespace ferrisdb::testing

#endif  // FERRISDB_TESTS_TESTUTIL_NO_SYNC_ENV_H_
