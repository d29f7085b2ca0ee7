#include "wal/log_format.h"

#include <cassert>
#include <cstring>

#include "util/coding.h"
#include "util/hash.h"

namespace ferrisdb {

std::string_view LogFileKindName(LogFileKind kind) {
  switch (kind) {
    case LogFileKind::kWal:
      return "WAL";
    case LogFileKind::kManifest:
      return "MANIFEST";
  }
  return "unknown kind";
}

uint32_t FragmentChecksum(const char* header, std::string_view payload) {
  // One-shot XXH3 over a stack copy is much cheaper for small payloads than
  // the streaming state Checksum32(a, b) needs; both give the same value.
  constexpr size_t kSmallPayload = 512;
  if (payload.size() <= kSmallPayload) {
    char buf[kFragmentChecksummedHeaderBytes + kSmallPayload];
    std::memcpy(buf, header + kFragmentLengthOffset,
                kFragmentChecksummedHeaderBytes);
    if (!payload.empty()) {
      std::memcpy(buf + kFragmentChecksummedHeaderBytes, payload.data(),
                  payload.size());
    }
    return Checksum32(std::string_view(
        buf, kFragmentChecksummedHeaderBytes + payload.size()));
  }
  return Checksum32(std::string_view(header + kFragmentLengthOffset,
                                     kFragmentChecksummedHeaderBytes),
                    payload);
}

void EncodeFragmentHeader(FragmentType type, std::string_view payload,
                          char* dst) {
  assert(payload.size() <= kMaxFragmentPayload);
  EncodeFixed16(dst + kFragmentLengthOffset,
                static_cast<uint16_t>(payload.size()));
  dst[kFragmentTypeOffset] = static_cast<char>(type);
  EncodeFixed32(dst + kFragmentChecksumOffset, FragmentChecksum(dst, payload));
}

void EncodeFileHeaderPayload(LogFileKind kind, uint64_t file_number,
                             char* dst) {
  EncodeFixed64(dst + kFileHeaderMagicOffset, kLogFileMagic);
  EncodeFixed32(dst + kFileHeaderVersionOffset, kLogFormatVersion);
  dst[kFileHeaderKindOffset] = static_cast<char>(kind);
  EncodeFixed64(dst + kFileHeaderFileNumberOffset, file_number);
}

}  // namespace ferrisdb
