// The operation encoding of db_differential_fuzz, shared with the seed
// generator (make_seed_corpus.cc). An input is a sequence of operations,
// each an opcode byte (taken modulo kNumDbOps) and its arguments:
//
//   kPut          key, value length/8 (byte)
//   kDelete       key
//   kWriteBatch   count-1 (byte, mod 8), then per update: put? (byte bit 0),
//                 key [, value length/8]
//   kGet          key, view (byte: 0 = latest, n = held snapshot n-1 mod count)
//   kScan         view, bounds (byte: bit 0 lower, bit 1 upper), [lower key],
//                 [upper key]
//   kSeek         view, key, steps (byte: bit i = Next, else Prev; bit 7 =
//                 SeekForPrev instead of Seek)
//   kSnapshot     (none): hold a snapshot
//   kRelease      which (byte)
//   kFlush        (none)
//   kCompactRange bounds (byte: bit 0 begin, bit 1 end), [begin key], [end key]
//   kReopen       (none): close and open the DB again
//   kVerify       (none): DB::VerifyChecksums
//
// A key is one byte: below kBinaryKeyByte it picks one of kKeySpace text
// keys, otherwise a key with NUL and 0xff bytes. Values are generated (unique
// per write) with the given length, so the input stays small.
#ifndef FERRISDB_TESTS_FUZZ_DB_OPS_H_
#define FERRISDB_TESTS_FUZZ_DB_OPS_H_

#include <cstdint>

namespace ferrisdb::fuzz {

enum class DbOp : uint8_t {
  kPut = 0,
  kDelete = 1,
  kWriteBatch = 2,
  kGet = 3,
  kScan = 4,
  kSeek = 5,
  kSnapshot = 6,
  kRelease = 7,
  kFlush = 8,
  kCompactRange = 9,
  kReopen = 10,
  kVerify = 11,
};
inline constexpr uint8_t kNumDbOps = 12;

inline constexpr uint8_t kKeySpace = 40;
inline constexpr uint8_t kBinaryKeyByte = 240;

}  // namespace ferrisdb::fuzz

#endif  // FERRISDB_TESTS_FUZZ_DB_OPS_H_
