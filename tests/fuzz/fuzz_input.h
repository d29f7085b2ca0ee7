// FuzzInput: reads typed values from the front of a fuzz input. Running out of
// bytes is not an error: every read then returns zeros or empty strings, so a
// target decodes any input into some valid sequence of actions and simply
// stops when exhausted() (the same idea as LLVM's FuzzedDataProvider, which
// gcc does not ship, and the replay executables build with gcc too).
//
// The byte layout each target reads is part of its seed corpus contract:
// tests/fuzz/make_seed_corpus.cc writes seeds with FuzzInputWriter, the
// mirror image of this class, so that both sides change together.
#ifndef FERRISDB_TESTS_FUZZ_FUZZ_INPUT_H_
#define FERRISDB_TESTS_FUZZ_FUZZ_INPUT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ferrisdb::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size)
      : rest_(reinterpret_cast<const char*>(data), size) {}
  explicit FuzzInput(std::string_view data) : rest_(data) {}

  bool exhausted() const { return rest_.empty(); }
  size_t remaining() const { return rest_.size(); }

  uint8_t Byte() {
    if (rest_.empty()) return 0;
    const auto b = static_cast<uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  // Two bytes, little-endian.
  uint16_t U16() {
    const uint16_t lo = Byte();
    return static_cast<uint16_t>(lo | (uint16_t{Byte()} << 8));
  }
  // Four bytes, little-endian.
  uint32_t U32() {
    const uint32_t lo = U16();
    return lo | (uint32_t{U16()} << 16);
  }
  // A value in [0, n) from one byte. REQUIRES: 0 < n <= 256.
  uint32_t Below(uint32_t n) { return Byte() % n; }
  bool Bool() { return (Byte() & 1) != 0; }

  // A string of one length byte (capped at max_len) and that many bytes.
  std::string String(size_t max_len) {
    return Bytes(std::min<size_t>(Byte(), max_len));
  }
  // The next n bytes (fewer at the end of the input).
  std::string Bytes(size_t n) {
    n = std::min(n, rest_.size());
    std::string s(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return s;
  }
  // Everything left.
  std::string Rest() { return Bytes(rest_.size()); }

 private:
  std::string_view rest_;
};

// Writes what FuzzInput reads, for the seed generator.
class FuzzInputWriter {
 public:
  FuzzInputWriter& Byte(uint8_t b) {
    out_.push_back(static_cast<char>(b));
    return *this;
  }
  FuzzInputWriter& U16(uint16_t v) {
    return Byte(static_cast<uint8_t>(v)).Byte(static_cast<uint8_t>(v >> 8));
  }
  FuzzInputWriter& U32(uint32_t v) {
    return U16(static_cast<uint16_t>(v)).U16(static_cast<uint16_t>(v >> 16));
  }
  // REQUIRES: s.size() < 256 (and within the reader's max_len).
  FuzzInputWriter& String(std::string_view s) {
    Byte(static_cast<uint8_t>(s.size()));
    return Bytes(s);
  }
  FuzzInputWriter& Bytes(std::string_view s) {
    out_.append(s);
    return *this;
  }
  const std::string& data() const { return out_; }

 private:
  std::string out_;
};

}  // namespace ferrisdb::fuzz

#endif  // FERRISDB_TESTS_FUZZ_FUZZ_INPUT_H_
