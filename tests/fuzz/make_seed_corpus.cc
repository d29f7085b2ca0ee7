// Writes the seed corpus of every fuzz target, using the real writers
// (LogWriter, WriteBatch, BlockBuilder, TableBuilder, VersionEdit::EncodeTo)
// so that the seeds stay valid when a format changes. Run after a format
// change and commit the result:
//
//   build/tests/fuzz/make_seed_corpus tests/fuzz/corpus
//
// Each seed is <corpus dir>/<target>/<name>; names have no dot (the replay
// executables skip files with one, such as README.md). Input layouts are
// described at the top of each target's source.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/write_batch_internal.h"
#include "ferrisdb/write_batch.h"
#include "fuzz/db_ops.h"
#include "fuzz/fuzz_input.h"
#include "fuzz/memory_files.h"
#include "memtable/internal_key.h"
#include "table/block_builder.h"
#include "table/table_builder.h"
#include "util/coding.h"
#include "version/version_edit.h"
#include "version/version_edit_format.h"
#include "wal/log_format.h"
#include "wal/log_writer.h"

namespace ferrisdb {
namespace {

using fuzz::FuzzInputWriter;

class SeedWriter {
 public:
  explicit SeedWriter(std::filesystem::path root) : root_(std::move(root)) {}

  void Write(const std::string& target, const std::string& name,
             std::string_view bytes) {
    const std::filesystem::path dir = root_ / target;
    std::filesystem::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s/%s\n", dir.c_str(), name.c_str());
      std::exit(1);
    }
    ++count_;
    total_bytes_ += bytes.size();
  }
  int count() const { return count_; }
  size_t total_bytes() const { return total_bytes_; }

 private:
  const std::filesystem::path root_;
  int count_ = 0;
  size_t total_bytes_ = 0;
};

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

std::string IKey(std::string_view user_key, SequenceNumber seq,
                 ValueType type = ValueType::kValue) {
  std::string k;
  AppendInternalKey(&k, user_key, seq, type);
  return k;
}

std::string Filled(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i % 23);
  return s;
}

// ---- wal_reader_fuzz: flags | cut (U16) | file ----

std::string Log(LogFileKind kind, const std::vector<std::string>& records) {
  std::string file;
  LogWriter writer(std::make_unique<fuzz::MemoryWritableFile>(&file), 7, kind);
  Check(writer.WriteHeader(), "WriteHeader");
  for (const std::string& r : records) Check(writer.AddRecord(r), "AddRecord");
  Check(writer.Close(), "Close");
  return file;
}

std::string WalInput(uint8_t flags, uint16_t cut, const std::string& file) {
  return FuzzInputWriter().Byte(flags).U16(cut).Bytes(file).data();
}

std::string SmallBatch() {
  WriteBatch b;
  b.Put("key1", "value1");
  b.Delete("key2");
  internal::WriteBatchInternal::SetSequence(&b, 42);
  return std::string(internal::WriteBatchInternal::Contents(b));
}

std::string SmallEdit(uint64_t number) {
  VersionEdit e;
  e.SetFormatVersion(kManifestFormatVersion);
  e.SetLogNumber(number);
  e.SetNextFileNumber(number + 1);
  e.SetLastSequence(number * 10);
  FileMetaData f;
  f.number = number;
  f.file_size = 1000;
  f.smallest = IKey("a", 1);
  f.largest = IKey("m", 9);
  f.smallest_sequence = 1;
  f.largest_sequence = 9;
  e.AddFile(0, f);
  std::string out;
  e.EncodeTo(&out);
  return out;
}

void WalSeeds(SeedWriter* w) {
  const std::string t = "wal_reader_fuzz";
  w->Write(t, "header_only", WalInput(0, 40000, Log(LogFileKind::kWal, {})));
  const std::string small =
      Log(LogFileKind::kWal, {"hello", "", SmallBatch(), SmallBatch()});
  w->Write(t, "small_records", WalInput(0, 50000, small));
  w->Write(t, "small_records_fixed", WalInput(1, 30000, small));
  w->Write(t, "small_records_torn",
           WalInput(0, 65535, small.substr(0, small.size() - 3)));
  // A record crossing the first block boundary (First/Last), then one whose
  // end leaves 3 bytes in the second block (a zero trailer follows): the
  // second record's Last ends at 32768 + 7 + 274 = 33049, the third's Full
  // at 33049 + 7 + 32477 = 65533.
  const std::string boundary =
      Log(LogFileKind::kWal, {Filled(30000, 'a'), Filled(3000, 'b'),
                              Filled(32477, 'c'), "after trailer"});
  if (boundary.size() != 2 * kLogBlockSize + kFragmentHeaderSize + 13 ||
      boundary.substr(2 * kLogBlockSize - 3, 3) != std::string(3, '\0')) {
    std::fprintf(stderr, "block_boundary seed lost its trailer\n");
    std::exit(1);
  }
  w->Write(t, "block_boundary", WalInput(1, 60000, boundary));
  // A record spanning three blocks: First, Middle, Last.
  w->Write(t, "first_middle_last",
           WalInput(0, 20000, Log(LogFileKind::kWal, {Filled(66000, 'x')})));
  w->Write(t, "manifest",
           WalInput(2 | 1, 45000,
                    Log(LogFileKind::kManifest,
                        {SmallEdit(3), SmallEdit(5), SmallEdit(9)})));
  // The same manifest read as a WAL: the kind check rejects it.
  w->Write(t, "manifest_as_wal",
           WalInput(0, 45000, Log(LogFileKind::kManifest, {SmallEdit(3)})));
  // Damage in the middle: valid data follows, so DataLoss.
  std::string damaged = small;
  damaged[kFileHeaderRecordSize + 9] ^= 0x40;
  w->Write(t, "middle_damage", WalInput(0, 50000, damaged));
}

// ---- write_batch_fuzz: the encoded batch ----

void WriteBatchSeeds(SeedWriter* w) {
  const std::string t = "write_batch_fuzz";
  WriteBatch empty;
  w->Write(t, "empty", internal::WriteBatchInternal::Contents(empty));
  w->Write(t, "put_delete", SmallBatch());
  WriteBatch b;
  b.Put(std::string("\0bin\xff", 5), std::string(300, 'v'));
  b.Put("", "empty key");
  b.Delete("gone");
  b.Put("k", "");
  internal::WriteBatchInternal::SetSequence(&b, 1000);
  w->Write(t, "mixed", internal::WriteBatchInternal::Contents(b));
}

// ---- block_iter_fuzz: flags | contents, or flags | built description ----

std::string BlockOf(int restart_interval,
                    const std::vector<std::pair<std::string, std::string>>& e) {
  BlockBuilder builder(restart_interval);
  for (const auto& [k, v] : e) builder.Add(k, v);
  return std::string(builder.Finish());
}

void BlockSeeds(SeedWriter* w) {
  const std::string t = "block_iter_fuzz";
  std::vector<std::pair<std::string, std::string>> data;
  for (int i = 0; i < 40; ++i) {
    const std::string user = "user" + std::to_string(1000 + i * 7);
    data.emplace_back(IKey(user, 500 - i, ValueType::kValue), "v" + user);
    if (i % 5 == 0)
      data.emplace_back(IKey(user, 100, ValueType::kDeletion), "");
  }
  w->Write(t, "data_restart16",
           FuzzInputWriter().Byte(1).Bytes(BlockOf(16, data)).data());
  w->Write(t, "data_restart3",
           FuzzInputWriter().Byte(1).Bytes(BlockOf(3, data)).data());
  // An index block: separators -> handles, restart interval 1.
  std::vector<std::pair<std::string, std::string>> index;
  for (int i = 0; i < 8; ++i) {
    std::string handle;
    PutVarint64(&handle, i * 4096);
    PutVarint64(&handle, 4000);
    index.emplace_back(IKey("sep" + std::to_string(i), kMaxSequenceNumber),
                       handle);
  }
  w->Write(t, "index_block",
           FuzzInputWriter().Byte(1).Bytes(BlockOf(1, index)).data());
  std::vector<std::pair<std::string, std::string>> props = {
      {"ferrisdb.creation-time", "1"},
      {"ferrisdb.num-entries", "40"},
      {"ferrisdb.raw-key-size", "400"}};
  w->Write(t, "bytewise_block",
           FuzzInputWriter().Byte(0).Bytes(BlockOf(1, props)).data());
  w->Write(t, "empty_block",
           FuzzInputWriter().Byte(0).Bytes(BlockOf(16, {})).data());
  FuzzInputWriter built;
  built.Byte(2 | 1).Byte(4);
  for (int i = 0; i < 12; ++i) {
    built.String(IKey("k" + std::to_string(i % 5), i)).String("val");
  }
  w->Write(t, "built_internal", built.data());
  FuzzInputWriter built_bytewise;
  built_bytewise.Byte(2).Byte(2);
  for (const char* k : {"", "a", "ab", "abc", "b", "ba", "\xff"}) {
    built_bytewise.String(k).String(k);
  }
  w->Write(t, "built_bytewise", built_bytewise.data());
}

// ---- table_reader_fuzz: flags | file, or flags | built description ----

std::string Table(size_t block_size, int bloom_bits, CompressionType c) {
  TableBuildOptions o;
  o.block_size = block_size;
  o.block_restart_interval = 4;
  o.bloom_bits_per_key = bloom_bits;
  o.compression = c;
  o.creation_time = 1;
  std::string file;
  fuzz::MemoryWritableFile sink(&file);
  TableBuilder builder(o, &sink, "seed.sst");
  for (int i = 0; i < 60; ++i) {
    const std::string user = "key" + std::to_string(1000 + i * 3);
    Check(builder.Add(IKey(user, 200 + i), Filled(20 + i % 7, 'a')), "Add");
    if (i % 4 == 0) {
      Check(builder.Add(IKey(user, 100 + i, ValueType::kDeletion), ""), "Add");
    }
  }
  Check(builder.Finish(), "Finish");
  return file;
}

void TableSeeds(SeedWriter* w) {
  const std::string t = "table_reader_fuzz";
  const std::string plain = Table(256, 0, CompressionType::kNone);
  const std::string bloom = Table(256, 10, CompressionType::kNone);
  const std::string zstd = Table(512, 10, CompressionType::kZstd);
  w->Write(t, "plain", FuzzInputWriter().Byte(0).Bytes(plain).data());
  w->Write(t, "plain_fix_checksums_mapped",
           FuzzInputWriter().Byte(16 | 8).Bytes(plain).data());
  w->Write(t, "bloom_cached_fix_checksums",
           FuzzInputWriter().Byte(16 | 4 | 2).Bytes(bloom).data());
  w->Write(t, "zstd_fix_checksums_no_filter",
           FuzzInputWriter().Byte(32 | 16).Bytes(zstd).data());
  // Built: block size 64, restart 2, bloom + zstd; no damage / one flip.
  for (int damage = 0; damage < 2; ++damage) {
    FuzzInputWriter built;
    built.Byte(1 | (damage ? 8 : 2)).Byte(3).Byte(1).Byte(1 | 2);
    built.Byte(static_cast<uint8_t>(damage));
    if (damage) built.U32(150).Byte(0x10);
    for (int i = 0; i < 30; ++i) {
      built.String("user" + std::to_string(i % 11))
          .Byte(static_cast<uint8_t>(i * 7))
          .Byte(i % 3 != 0)
          .Byte(static_cast<uint8_t>(i))
          .Byte(static_cast<uint8_t>('a' + i % 26));
    }
    w->Write(t, damage ? "built_one_flip" : "built_intact", built.data());
  }
}

// ---- version_edit_fuzz: one encoded edit ----

void VersionEditSeeds(SeedWriter* w) {
  const std::string t = "version_edit_fuzz";
  w->Write(t, "empty", "");
  w->Write(t, "small", SmallEdit(12));
  VersionEdit e;
  e.SetLogNumber(4);
  e.SetNextFileNumber(30);
  e.SetLastSequence(kMaxSequenceNumber);
  e.DeleteFile(0, 7);
  e.DeleteFile(6, 8);
  for (int level = 0; level < kNumLevels; ++level) {
    FileMetaData f;
    f.number = 20 + level;
    f.file_size = uint64_t{1} << (level * 8);
    f.smallest = IKey(std::string("a\0", 2), 5, ValueType::kDeletion);
    f.largest = IKey("z\xff", 77);
    f.smallest_sequence = 5;
    f.largest_sequence = 77;
    e.AddFile(level, f);
  }
  std::string full;
  e.EncodeTo(&full);
  w->Write(t, "all_levels", full);
  // A field a newer writer may add: tag with the safe-to-ignore bit.
  std::string ignorable = full;
  PutVarint32(&ignorable, kEditTagSafeToIgnoreBit | 9);
  PutLengthPrefixed(&ignorable, "future field");
  w->Write(t, "ignorable_field", ignorable);
}

// ---- db_differential_fuzz: operations (db_ops.h) ----

void DbSeeds(SeedWriter* w) {
  using fuzz::DbOp;
  const std::string t = "db_differential_fuzz";
  auto op = [](FuzzInputWriter& f, DbOp o) -> FuzzInputWriter& {
    return f.Byte(static_cast<uint8_t>(o));
  };
  FuzzInputWriter basic;
  for (uint8_t k = 0; k < 12; ++k) op(basic, DbOp::kPut).Byte(k).Byte(k * 20);
  op(basic, DbOp::kGet).Byte(3).Byte(0);
  op(basic, DbOp::kDelete).Byte(4);
  op(basic, DbOp::kScan).Byte(0).Byte(0);
  op(basic, DbOp::kSeek).Byte(0).Byte(5).Byte(0x55);
  w->Write(t, "puts_get_scan", basic.data());

  FuzzInputWriter snapshots;
  for (uint8_t k = 0; k < 6; ++k) op(snapshots, DbOp::kPut).Byte(k).Byte(40);
  op(snapshots, DbOp::kSnapshot);
  op(snapshots, DbOp::kWriteBatch)
      .Byte(3)
      .Byte(1)
      .Byte(2)
      .Byte(60)
      .Byte(0)
      .Byte(3)
      .Byte(1)
      .Byte(250)
      .Byte(10)
      .Byte(0)
      .Byte(5);
  op(snapshots, DbOp::kFlush);
  op(snapshots, DbOp::kGet).Byte(3).Byte(1);
  op(snapshots, DbOp::kScan).Byte(1).Byte(3).Byte(1).Byte(5);
  op(snapshots, DbOp::kSeek).Byte(1).Byte(2).Byte(0x80 | 0x0f);
  op(snapshots, DbOp::kRelease).Byte(0);
  op(snapshots, DbOp::kScan).Byte(0).Byte(0);
  w->Write(t, "snapshot_batch_flush", snapshots.data());

  FuzzInputWriter compaction;
  for (int round = 0; round < 3; ++round) {
    for (uint8_t k = 0; k < 10; ++k) {
      op(compaction, DbOp::kPut).Byte(k * 3 + round).Byte(100);
    }
    op(compaction, DbOp::kDelete).Byte(round * 3);
    op(compaction, DbOp::kFlush);
  }
  op(compaction, DbOp::kCompactRange).Byte(3).Byte(2).Byte(20);
  op(compaction, DbOp::kReopen);
  op(compaction, DbOp::kVerify);
  op(compaction, DbOp::kScan).Byte(0).Byte(0);
  op(compaction, DbOp::kCompactRange).Byte(0);
  op(compaction, DbOp::kSeek).Byte(0).Byte(7).Byte(0xf0);
  w->Write(t, "flush_compact_reopen", compaction.data());
}

}  // namespace
}  // namespace ferrisdb

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <corpus dir, e.g. tests/fuzz/corpus>\n",
                 argv[0]);
    return 2;
  }
  ferrisdb::SeedWriter w{std::filesystem::path(argv[1])};
  ferrisdb::WalSeeds(&w);
  ferrisdb::WriteBatchSeeds(&w);
  ferrisdb::BlockSeeds(&w);
  ferrisdb::TableSeeds(&w);
  ferrisdb::VersionEditSeeds(&w);
  ferrisdb::DbSeeds(&w);
  std::printf("wrote %d seeds, %zu bytes, under %s\n", w.count(),
              w.total_bytes(), argv[1]);
  return 0;
}
