#include "crash/crash_oracle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ferrisdb::crash {
namespace {

enum class RecordType : uint8_t {
  kIntent = 1,
  kAck = 2,
  kBase = 3,
};

constexpr size_t kHeaderSize = 4 + 8;
// A payload longer than this is garbage (a base record of 1M keys is ~16 MB).
constexpr uint32_t kMaxPayload = 64u << 20;

uint64_t Fnv1a64(const char* data, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<uint8_t>(data[i]);
    h *= 0x100000001b3ull;
  }
  return h;
}

// A 64-bit mix, for the deterministic value filler.
uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

void PutFixed(std::string* dst, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    dst->push_back(static_cast<char>(v >> (8 * i)));
}

// Little-endian reader over a payload; every Get fails once past the end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool Get(uint64_t* v, int bytes) {
    if (data_.size() < static_cast<size_t>(bytes)) return false;
    *v = 0;
    for (int i = 0; i < bytes; ++i) {
      *v |= uint64_t{static_cast<uint8_t>(data_[i])} << (8 * i);
    }
    data_.remove_prefix(bytes);
    return true;
  }
  bool done() const { return data_.empty(); }

 private:
  std::string_view data_;
};

std::string Frame(const std::string& payload) {
  std::string record;
  PutFixed(&record, payload.size(), 4);
  PutFixed(&record, Fnv1a64(payload.data(), payload.size()), 8);
  record += payload;
  return record;
}

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, const std::string& data,
                      const std::string& path) {
  // One write(2) for the whole record: a regular file takes it whole unless
  // the disk is full, which is reported as an error.
  const ssize_t n = ::write(fd, data.data(), data.size());
  if (n < 0) return Errno("write", path);
  if (static_cast<size_t>(n) != data.size()) {
    return absl::InternalError(
        absl::StrFormat("short write to %s: %d of %d", path, n, data.size()));
  }
  return absl::OkStatus();
}

}  // namespace

void ApplyIntent(const Intent& intent, Model* model) {
  for (size_t i = 0; i < intent.updates.size(); ++i) {
    const Update& u = intent.updates[i];
    if (u.put) {
      (*model)[u.key_index] =
          ValueId{intent.write_id, static_cast<uint32_t>(i)};
    } else {
      model->erase(u.key_index);
    }
  }
}

std::string KeyName(uint32_t key_index) {
  return absl::StrFormat("k%06d", key_index);
}

std::string MakeValue(uint32_t key_index, const ValueId& id) {
  std::string value = absl::StrFormat("%s|w%d.%d|", KeyName(key_index),
                                      id.write_id, id.update_index);
  uint64_t h = Mix(id.write_id * 1000003 + id.update_index * 7919 + key_index);
  const size_t filler = h % 180;
  for (size_t i = 0; i < filler; ++i) {
    if (i % 8 == 0) h = Mix(h + i);
    value.push_back(static_cast<char>('a' + (h >> (8 * (i % 8))) % 26));
  }
  return value;
}

std::string DescribeValue(uint32_t key_index, const std::string& value) {
  const std::string prefix = KeyName(key_index) + "|w";
  unsigned long long write_id = 0;
  unsigned update_index = 0;
  if (value.compare(0, prefix.size(), prefix) == 0 &&
      std::sscanf(value.c_str() + prefix.size(), "%llu.%u|", &write_id,
                  &update_index) == 2) {
    const ValueId id{write_id, update_index};
    const bool intact = MakeValue(key_index, id) == value;
    return absl::StrFormat("value of write %d (update %d)%s", write_id,
                           update_index, intact ? "" : " with damaged bytes");
  }
  return absl::StrFormat("foreign value of %d bytes \"%s\"", value.size(),
                         absl::CHexEscape(value.substr(0, 40)));
}

absl::StatusOr<OracleWriter> OracleWriter::Open(const std::string& path) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("open", path);
  return OracleWriter(fd, path);
}

OracleWriter::OracleWriter(OracleWriter&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

OracleWriter::~OracleWriter() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status OracleWriter::AppendRecord(const std::string& payload) {
  return WriteAll(fd_, Frame(payload), path_);
}

absl::Status OracleWriter::AppendIntent(const Intent& intent) {
  std::string payload;
  payload.push_back(static_cast<char>(RecordType::kIntent));
  PutFixed(&payload, intent.write_id, 8);
  PutFixed(&payload, intent.updates.size(), 4);
  for (const Update& u : intent.updates) {
    payload.push_back(u.put ? 1 : 0);
    PutFixed(&payload, u.key_index, 4);
  }
  return AppendRecord(payload);
}

absl::Status OracleWriter::AppendAck(uint64_t write_id) {
  std::string payload;
  payload.push_back(static_cast<char>(RecordType::kAck));
  PutFixed(&payload, write_id, 8);
  return AppendRecord(payload);
}

absl::StatusOr<OracleState> ReadOracle(const std::string& path) {
  OracleState state;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return state;
    return Errno("open", path);
  }
  const std::string data((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  size_t pos = 0;
  int records = 0;
  while (pos < data.size()) {
    const size_t record_offset = pos;
    const auto corrupt = [&](const std::string& why) {
      return absl::DataLossError(
          absl::StrFormat("oracle %s: %s in record %d at offset %d", path, why,
                          records, record_offset));
    };
    Reader header(std::string_view(data).substr(pos));
    uint64_t length = 0;
    uint64_t checksum = 0;
    const bool whole = header.Get(&length, 4) && header.Get(&checksum, 8) &&
                       length <= kMaxPayload &&
                       data.size() - pos - kHeaderSize >= length;
    if (!whole ||
        Fnv1a64(data.data() + pos + kHeaderSize, length) != checksum) {
      // Only the last record can be torn; a bad record followed by more bytes
      // than its own length means damage in the middle.
      if (!whole || pos + kHeaderSize + length == data.size()) {
        state.torn_tail = true;
        break;
      }
      return corrupt("checksum mismatch");
    }
    Reader payload(std::string_view(data).substr(pos + kHeaderSize, length));
    pos += kHeaderSize + length;
    ++records;
    uint64_t type = 0;
    uint64_t write_id = 0;
    if (!payload.Get(&type, 1) || !payload.Get(&write_id, 8)) {
      return corrupt("short payload");
    }
    switch (static_cast<RecordType>(type)) {
      case RecordType::kBase: {
        if (records != 1) return corrupt("base record not first");
        state.next_write_id = write_id;
        uint64_t n = 0;
        if (!payload.Get(&n, 4)) return corrupt("short base record");
        for (uint64_t i = 0; i < n; ++i) {
          uint64_t key = 0, id = 0, index = 0;
          if (!payload.Get(&key, 4) || !payload.Get(&id, 8) ||
              !payload.Get(&index, 4)) {
            return corrupt("short base record");
          }
          state.base[static_cast<uint32_t>(key)] =
              ValueId{id, static_cast<uint32_t>(index)};
        }
        break;
      }
      case RecordType::kIntent: {
        state.compacted = false;
        if (state.in_flight.has_value()) {
          return corrupt(absl::StrFormat(
              "intent of write %d while write %d has no ack (the child "
              "continued after a failed write?)",
              write_id, state.in_flight->write_id));
        }
        Intent intent;
        intent.write_id = write_id;
        uint64_t n = 0;
        if (!payload.Get(&n, 4)) return corrupt("short intent");
        for (uint64_t i = 0; i < n; ++i) {
          uint64_t op = 0, key = 0;
          if (!payload.Get(&op, 1) || !payload.Get(&key, 4)) {
            return corrupt("short intent");
          }
          intent.updates.push_back(Update{op == 1, static_cast<uint32_t>(key)});
        }
        state.in_flight = std::move(intent);
        break;
      }
      case RecordType::kAck: {
        state.compacted = false;
        if (!state.in_flight.has_value() ||
            state.in_flight->write_id != write_id) {
          return corrupt(
              absl::StrFormat("ack of write %d without its intent", write_id));
        }
        state.acked_intents.push_back(*std::move(state.in_flight));
        state.in_flight.reset();
        ++state.acked_writes;
        break;
      }
      default:
        return corrupt(absl::StrFormat("unknown record type %d", type));
    }
    if (!payload.done()) return corrupt("trailing bytes in payload");
    if (write_id >= state.next_write_id &&
        static_cast<RecordType>(type) != RecordType::kBase) {
      state.next_write_id = write_id + 1;
    }
  }
  state.acked = state.base;
  for (const Intent& intent : state.acked_intents) {
    ApplyIntent(intent, &state.acked);
  }
  return state;
}

absl::Status WriteBaseOracle(const std::string& path, const Model& model,
                             uint64_t next_write_id) {
  std::string payload;
  payload.push_back(static_cast<char>(RecordType::kBase));
  PutFixed(&payload, next_write_id, 8);
  PutFixed(&payload, model.size(), 4);
  for (const auto& [key, id] : model) {
    PutFixed(&payload, key, 4);
    PutFixed(&payload, id.write_id, 8);
    PutFixed(&payload, id.update_index, 4);
  }
  const std::string tmp = path + ".tmp";
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("open", tmp);
  absl::Status s = WriteAll(fd, Frame(payload), tmp);
  if (s.ok() && ::fsync(fd) != 0) s = Errno("fsync", tmp);
  ::close(fd);
  if (!s.ok()) return s;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename", tmp);
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return Errno("open", dir);
  const bool synced = ::fsync(dir_fd) == 0;
  ::close(dir_fd);
  if (!synced) return Errno("fsync", dir);
  return absl::OkStatus();
}

}  // namespace ferrisdb::crash
