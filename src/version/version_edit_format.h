// Constants of the MANIFEST record format: docs/format/manifest.md.
#ifndef FERRISDB_VERSION_VERSION_EDIT_FORMAT_H_
#define FERRISDB_VERSION_VERSION_EDIT_FORMAT_H_

#include <cstdint>

namespace ferrisdb {

// Format version of the version-edit encoding, stored in the first edit of
// every manifest (kFormatVersion field).
inline constexpr uint32_t kManifestFormatVersion = 1;

// Number of LSM levels a version describes.
inline constexpr int kNumLevels = 7;

// Field tags of a version edit (varint32). Never renumber; a retired tag
// keeps a comment. Tags with kEditTagSafeToIgnoreBit set carry a
// length-prefixed payload, so a reader that does not know them skips them;
// any other unknown tag makes the edit unreadable (DataLoss).
enum class EditTag : uint32_t {
  kFormatVersion = 1,   // varint32
  kLogNumber = 2,       // varint64: WALs numbered below hold only flushed data
  kNextFileNumber = 3,  // varint64
  kLastSequence = 4,    // varint64
  kDeletedFile = 5,     // varint32 level, varint64 file number
  kNewFile = 6,         // see docs/format/manifest.md
};
inline constexpr uint32_t kEditTagSafeToIgnoreBit = 1u << 13;

}  // namespace ferrisdb

#endif  // FERRISDB_VERSION_VERSION_EDIT_FORMAT_H_
