// The oracle of the kill -9 crash test: an append-only file per writer thread
// in which ferrisdb_crash_child records what it asked the DB to do, so that a
// separate process can decide, after a SIGKILL, what the DB must contain.
//
// File format: a sequence of records, each
//   fixed32 payload_length | fixed64 FNV-1a-64(payload) | payload
// written with ONE write(2) on a descriptor opened O_APPEND, so a SIGKILL can
// only tear the last record; a record whose length or checksum does not match
// at the end of the file is a torn tail and is ignored (anywhere else it is
// corruption). Payloads (integers little-endian):
//   kIntent: u8 1 | u64 write_id | u32 n | n x (u8 op | u32 key_index)
//            written BEFORE DB::Write; op 1 = put, 0 = delete.
//   kAck:    u8 2 | u64 write_id   written after DB::Write returned OK.
//   kBase:   u8 3 | u64 next_write_id | u32 n | n x (u32 key_index |
//            u64 write_id | u32 update_index)
//            the verified state (first record of a compacted oracle).
// Values are not stored: the value a put writes is a pure function of (key,
// write id, index of the update in its batch), see MakeValue, so an old or
// foreign value read back names the write it came from.
#ifndef FERRISDB_TESTS_CRASH_CRASH_ORACLE_H_
#define FERRISDB_TESTS_CRASH_CRASH_ORACLE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ferrisdb::crash {

// The write that last set a key: its id and the update's index in the batch.
struct ValueId {
  uint64_t write_id = 0;
  uint32_t update_index = 0;
  bool operator==(const ValueId&) const = default;
};

// Key index -> the write whose put is the key's current value. Absent keys
// are not in the map.
using Model = std::map<uint32_t, ValueId>;

struct Update {
  bool put = false;
  uint32_t key_index = 0;
};

struct Intent {
  uint64_t write_id = 0;
  std::vector<Update> updates;
};

// Applies the updates of `intent` to `model`, in order.
void ApplyIntent(const Intent& intent, Model* model);

// "k%06d".
std::string KeyName(uint32_t key_index);
// The value a put of update `update_index` of write `write_id` stores under
// key_index. Lengths vary from a few bytes to ~200.
std::string MakeValue(uint32_t key_index, const ValueId& id);
// Human-readable description of a value read from the DB: which write it
// claims to come from and whether its bytes are intact.
std::string DescribeValue(uint32_t key_index, const std::string& value);

// Appends records to an oracle file. Not thread-safe; one writer per file.
class OracleWriter {
 public:
  // Opens (creating) path for appending.
  static absl::StatusOr<OracleWriter> Open(const std::string& path);
  OracleWriter(OracleWriter&& other) noexcept;
  OracleWriter& operator=(OracleWriter&&) = delete;
  ~OracleWriter();

  absl::Status AppendIntent(const Intent& intent);
  absl::Status AppendAck(uint64_t write_id);

 private:
  OracleWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  absl::Status AppendRecord(const std::string& payload);

  int fd_;
  std::string path_;
};

// The content of one oracle file, interpreted.
struct OracleState {
  Model base;                         // the base record's state
  std::vector<Intent> acked_intents;  // acknowledged since the base, in order
  Model acked;                      // base + every acknowledged write, in order
  std::optional<Intent> in_flight;  // an intent with no ack (at most one)
  uint64_t next_write_id = 1;       // larger than any id in the file
  uint64_t acked_writes = 0;        // acks since the base record
  bool compacted = true;            // the file holds at most a base record
  bool torn_tail = false;           // a torn last record was ignored
};

// Reads and interprets the oracle at path; a missing file is an empty state.
// Corruption before the tail, an ack without its intent or two intents
// without an ack between them are errors.
absl::StatusOr<OracleState> ReadOracle(const std::string& path);

// Atomically replaces the oracle at path with a single base record (written
// to path.tmp, fsynced, renamed, directory fsynced).
absl::Status WriteBaseOracle(const std::string& path, const Model& model,
                             uint64_t next_write_id);

}  // namespace ferrisdb::crash

#endif  // FERRISDB_TESTS_CRASH_CRASH_ORACLE_H_
