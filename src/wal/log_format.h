// Constants of the log file format: the record framing shared by the WAL and
// the MANIFEST. The format is specified byte by byte in docs/format/log.md;
// change both together, and bump kLogFormatVersion for any change an older
// reader would misread.
#ifndef FERRISDB_WAL_LOG_FORMAT_H_
#define FERRISDB_WAL_LOG_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ferrisdb {

// A log file is a sequence of blocks of kLogBlockSize bytes (the last one may
// be short). Fragments never cross a block boundary. (log.md "Blocks")
inline constexpr size_t kLogBlockSize = 32 * 1024;

// Fragment header: checksum (fixed32) | length (fixed16) | type (uint8).
// (log.md "Fragment header")
inline constexpr size_t kFragmentChecksumOffset = 0;
inline constexpr size_t kFragmentLengthOffset = 4;
inline constexpr size_t kFragmentTypeOffset = 6;
inline constexpr size_t kFragmentHeaderSize = 7;
// The checksum covers the length and type bytes followed by the payload.
inline constexpr size_t kFragmentChecksummedHeaderBytes =
    kFragmentHeaderSize - kFragmentLengthOffset;
// The largest payload a single fragment can carry (a fragment alone in a
// block).
inline constexpr size_t kMaxFragmentPayload =
    kLogBlockSize - kFragmentHeaderSize;

static_assert(kFragmentLengthOffset == kFragmentChecksumOffset + 4);
static_assert(kFragmentTypeOffset == kFragmentLengthOffset + 2);
static_assert(kFragmentHeaderSize == kFragmentTypeOffset + 1);
static_assert(kFragmentChecksummedHeaderBytes == 3);
// The length field (16 bits) must be able to describe any fragment.
static_assert(kMaxFragmentPayload <= UINT16_MAX);

// Fragment types. Values are on disk: never renumber; a retired value keeps a
// comment. (log.md "Fragment types")
enum class FragmentType : uint8_t {
  // Zero-filled (preallocated or torn) space. Never written as a header; a
  // reader that meets it treats it as a bad fragment.
  kZero = 0,
  kFull = 1,    // a whole record
  kFirst = 2,   // the first fragment of a record split across blocks
  kMiddle = 3,  // an interior fragment
  kLast = 4,    // the final fragment
  // The first fragment of every log file; payload described below.
  kFileHeader = 5,
};
// The highest type this version understands.
inline constexpr uint8_t kMaxKnownFragmentType =
    static_cast<uint8_t>(FragmentType::kFileHeader);
// A type with this bit set that a reader does not know is skipped ("safe to
// ignore if unknown"); an unknown type without it is an error.
inline constexpr uint8_t kFragmentTypeIgnorableBit = 0x80;

// The kind of log a file holds, stored in its file header. On disk: never
// renumber. 0 is invalid.
enum class LogFileKind : uint8_t {
  kWal = 1,
  kManifest = 2,
};

// "WAL", "MANIFEST" or "unknown kind", for messages.
std::string_view LogFileKindName(LogFileKind kind);

// File header payload: magic (fixed64) | format version (fixed32) |
// file kind (uint8) | file number (fixed64). (log.md "File header")
// The magic's little-endian bytes spell "FerrisLG".
inline constexpr uint64_t kLogFileMagic = 0x474c736972726546ULL;
inline constexpr uint32_t kLogFormatVersion = 1;
inline constexpr size_t kFileHeaderMagicOffset = 0;
inline constexpr size_t kFileHeaderVersionOffset = 8;
inline constexpr size_t kFileHeaderKindOffset = 12;
inline constexpr size_t kFileHeaderFileNumberOffset = 13;
inline constexpr size_t kFileHeaderPayloadSize = 21;
// The whole header fragment; the first record of a file starts here.
inline constexpr size_t kFileHeaderRecordSize =
    kFragmentHeaderSize + kFileHeaderPayloadSize;

static_assert(kFileHeaderVersionOffset == kFileHeaderMagicOffset + 8);
static_assert(kFileHeaderKindOffset == kFileHeaderVersionOffset + 4);
static_assert(kFileHeaderFileNumberOffset == kFileHeaderKindOffset + 1);
static_assert(kFileHeaderPayloadSize == kFileHeaderFileNumberOffset + 8);
static_assert(kFileHeaderRecordSize == 28);
static_assert(kFileHeaderRecordSize <= kLogBlockSize);

// The checksum stored in a fragment header: the low 32 bits of XXH3-64 over
// the length and type bytes of `header` followed by `payload`.
// REQUIRES: header points to kFragmentHeaderSize bytes.
uint32_t FragmentChecksum(const char* header, std::string_view payload);

// Fills the kFragmentHeaderSize bytes at dst with the header of a fragment of
// `type` carrying `payload`. REQUIRES: payload.size() <= kMaxFragmentPayload.
void EncodeFragmentHeader(FragmentType type, std::string_view payload,
                          char* dst);

// Fills the kFileHeaderPayloadSize bytes at dst with the file header payload
// of the current format version.
void EncodeFileHeaderPayload(LogFileKind kind, uint64_t file_number, char* dst);

}  // namespace ferrisdb

#endif  // FERRISDB_WAL_LOG_FORMAT_H_
