// TableBuilder + TableReader round trips: many table shapes, iterators
// against a std::map in both directions, Get with versions and deletions,
// compression, properties and the footer.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "ferrisdb/cache.h"
#include "gtest/gtest.h"
#include "memtable/internal_key.h"
#include "table/table_builder.h"
#include "table/table_format.h"
#include "table/table_reader.h"
#include "table/table_test_util.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"
#include "util/coding.h"
#include "util/hash.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::BuildTable;
using ::ferrisdb::testing::IKey;
using ::ferrisdb::testing::OpenTable;
using ::ferrisdb::testing::StatusIs;
using ::ferrisdb::testing::StatusIsWithMessage;
using ::ferrisdb::testing::StringSink;
using ::ferrisdb::testing::TestSeed;

using Model = std::map<std::string, std::string, InternalKeyComparator::Less>;
using Entries = std::vector<std::pair<std::string, std::string>>;

Entries ToEntries(const Model& m) { return Entries(m.begin(), m.end()); }

TableBuildOptions SmallBlocks(int restart_interval = 16,
                              CompressionType c = CompressionType::kNone) {
  TableBuildOptions o;
  o.block_size = 256;
  o.block_restart_interval = restart_interval;
  o.compression = c;
  o.creation_time = 1700000000;
  return o;
}

std::unique_ptr<TableReader> MustOpen(std::string contents) {
  absl::StatusOr<std::unique_ptr<TableReader>> t =
      OpenTable(std::move(contents));
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? std::move(*t) : nullptr;
}

void ExpectScanEquals(const TableReader& table, const Model& model) {
  std::unique_ptr<InternalIterator> it = table.NewIterator(true);
  auto m = model.begin();
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
    ASSERT_NE(m, model.end());
    ASSERT_EQ(it->key(), m->first) << InternalKeyDebugString(it->key());
    ASSERT_EQ(it->value(), m->second);
  }
  FERRISDB_ASSERT_OK(it->status());
  ASSERT_EQ(m, model.end());
  auto r = model.rbegin();
  for (it->SeekToLast(); it->Valid(); it->Prev(), ++r) {
    ASSERT_NE(r, model.rend());
    ASSERT_EQ(it->key(), r->first);
    ASSERT_EQ(it->value(), r->second);
  }
  FERRISDB_ASSERT_OK(it->status());
  ASSERT_EQ(r, model.rend());
}

// The newest version of user_key visible at seq, per the model.
GetResult ModelGet(const Model& model, std::string_view user_key,
                   SequenceNumber seq) {
  GetResult r;
  auto it = model.lower_bound(IKey(user_key, seq, kValueTypeForSeek));
  if (it == model.end() || ExtractUserKey(it->first) != user_key) return r;
  ParsedInternalKey p;
  EXPECT_TRUE(ParseInternalKey(it->first, &p));
  r.sequence = p.sequence;
  r.state = p.type == ValueType::kValue ? GetResult::State::kFound
                                        : GetResult::State::kDeleted;
  if (p.type == ValueType::kValue) r.value = it->second;
  return r;
}

void ExpectGet(const TableReader& table, const Model& model,
               std::string_view user_key, SequenceNumber seq) {
  LookupKey lk(user_key, seq);
  GetResult got;
  FERRISDB_ASSERT_OK(table.Get(lk, true, &got));
  const GetResult want = ModelGet(model, user_key, seq);
  ASSERT_EQ(static_cast<int>(got.state), static_cast<int>(want.state))
      << "key '" << user_key << "' @" << seq;
  if (want.state != GetResult::State::kNotPresent) {
    EXPECT_EQ(got.sequence, want.sequence);
  }
  if (want.state == GetResult::State::kFound) {
    ASSERT_EQ(got.value, want.value);
  }
}

TEST(TableTest, EmptyTable) {
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::string file,
                                BuildTable(SmallBlocks(), {}));
  std::unique_ptr<TableReader> table = MustOpen(file);
  ASSERT_NE(table, nullptr);
  ExpectScanEquals(*table, {});
  std::unique_ptr<InternalIterator> it = table->NewIterator(true);
  it->Seek(IKey("a", 1));
  EXPECT_FALSE(it->Valid());
  it->SeekForPrev(IKey("a", 1));
  EXPECT_FALSE(it->Valid());
  ExpectGet(*table, {}, "a", 10);
  EXPECT_EQ(table->properties().num_entries, 0u);
  EXPECT_EQ(table->properties().num_data_blocks, 0u);
}

TEST(TableTest, OneKey) {
  Model model{{IKey("k", 7), "v"}};
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::string file,
                                BuildTable(SmallBlocks(), ToEntries(model)));
  std::unique_ptr<TableReader> table = MustOpen(file);
  ExpectScanEquals(*table, model);
  for (SequenceNumber s : {0, 6, 7, 8, 100}) ExpectGet(*table, model, "k", s);
  ExpectGet(*table, model, "", 100);
  ExpectGet(*table, model, "kk", 100);
  ExpectGet(*table, model, "k", kMaxSequenceNumber);
}

TEST(TableTest, RejectsOutOfOrderAndMalformedKeys) {
  StringSink sink;
  TableBuilder b(SmallBlocks(), &sink, "000001.sst");
  FERRISDB_ASSERT_OK(b.Add(IKey("b", 5), "v"));
  EXPECT_THAT(b.Add(IKey("a", 5), "v"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(b.Add(IKey("b", 5), "v"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(b.Add("short", "v"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  FERRISDB_ASSERT_OK(b.Add(IKey("b", 4), "v"));
  EXPECT_EQ(b.NumEntries(), 2u);
  b.Abandon();
}

TEST(TableTest, PropertiesRoundTrip) {
  Model model;
  model[IKey("apple", 10)] = "red";
  model[IKey("apple", 3, ValueType::kDeletion)] = "";
  model[IKey("banana", 12)] = "yellow";
  model[IKey("cherry", 2, ValueType::kDeletion)] = "";
  TableBuildOptions o = SmallBlocks();
  o.block_size = 1;  // one entry per block
  StringSink sink;
  TableBuilder b(o, &sink, "x.sst");
  for (const auto& [k, v] : model) FERRISDB_ASSERT_OK(b.Add(k, v));
  FERRISDB_ASSERT_OK(b.Finish());
  std::unique_ptr<TableReader> table = MustOpen(sink.contents());
  const TableProperties& p = table->properties();
  EXPECT_EQ(p, b.properties());
  EXPECT_EQ(p.num_entries, 4u);
  EXPECT_EQ(p.num_deletions, 2u);
  EXPECT_EQ(p.num_data_blocks, 4u);
  EXPECT_EQ(p.smallest_sequence, 2u);
  EXPECT_EQ(p.largest_sequence, 12u);
  EXPECT_EQ(p.smallest_user_key, "apple");
  EXPECT_EQ(p.largest_user_key, "cherry");
  EXPECT_EQ(p.raw_key_size, 5u + 8 + 5 + 8 + 6 + 8 + 6 + 8);
  EXPECT_EQ(p.raw_value_size, 9u);
  EXPECT_EQ(p.creation_time, 1700000000u);
  EXPECT_EQ(p.format_version, kTableFormatVersion);
  EXPECT_EQ(p.compression, CompressionType::kNone);
  EXPECT_GT(p.data_size, 0u);
  EXPECT_GT(p.index_size, 0u);
  EXPECT_GT(p.filter_size, 0u);
  EXPECT_TRUE(table->has_filter());
  ExpectScanEquals(*table, model);
}

TEST(TableTest, KeysAndValuesOfExtremeSizes) {
  Model model;
  model[IKey("", 5)] = "empty key";
  model[IKey("", 4)] = "";
  model[IKey(std::string(64 << 10, 'k'), 3)] = std::string(16 << 20, 'v');
  model[IKey(std::string(64 << 10, 'k') + "\xff", 3)] = "after";
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  model[IKey(binary, 1)] = binary;
  model[IKey(std::string(10, '\xff'), 1)] = "ff";
  model[IKey(std::string(3, '\0'), 1)] = "zeros";
  for (CompressionType c : {CompressionType::kNone, CompressionType::kZstd}) {
    FERRISDB_ASSERT_OK_AND_ASSIGN(
        std::string file, BuildTable(SmallBlocks(16, c), ToEntries(model)));
    std::unique_ptr<TableReader> table = MustOpen(file);
    ExpectScanEquals(*table, model);
    for (const auto& [k, v] : model) {
      ExpectGet(*table, model, ExtractUserKey(k), kMaxSequenceNumber);
    }
    ExpectGet(*table, model, std::string(64 << 10, 'k'), 2);
  }
}

Model RandomVersionedModel(std::mt19937& rng, int user_keys, int max_versions) {
  Model model;
  for (int i = 0; i < user_keys; ++i) {
    std::string uk = "user" + std::to_string(rng() % (user_keys * 4));
    if (rng() % 8 == 0) uk += std::string(1, '\xff');
    if (rng() % 8 == 0) uk = uk.substr(0, 3 + rng() % 3);  // prefixes
    const int versions = 1 + static_cast<int>(rng() % max_versions);
    for (int v = 0; v < versions; ++v) {
      const SequenceNumber seq = 1 + rng() % 1000;
      const ValueType t =
          rng() % 3 == 0 ? ValueType::kDeletion : ValueType::kValue;
      model[IKey(uk, seq, t)] =
          t == ValueType::kValue ? uk + "@" + std::to_string(seq) : "";
    }
  }
  return model;
}

void RandomWalk(const TableReader& table, const Model& model, std::mt19937& rng,
                int walks) {
  std::unique_ptr<InternalIterator> it = table.NewIterator(true);
  std::vector<std::string> keys;
  for (const auto& [k, v] : model) keys.push_back(k);
  for (int w = 0; w < walks; ++w) {
    std::string target;
    if (!keys.empty() && rng() % 2 == 0) {
      target = keys[rng() % keys.size()];
      if (rng() % 2 == 0) {  // same user key, another sequence
        target = IKey(ExtractUserKey(target), rng() % 1001);
      }
    } else {
      target = IKey("user" + std::to_string(rng() % 500), rng() % 1001);
    }
    auto pos = model.end();
    switch (rng() % 4) {
      case 0:
        it->Seek(target);
        pos = model.lower_bound(target);
        break;
      case 1: {
        it->SeekForPrev(target);
        auto ub = model.upper_bound(target);
        pos = ub == model.begin() ? model.end() : std::prev(ub);
        break;
      }
      case 2:
        it->SeekToFirst();
        pos = model.begin();
        break;
      default:
        it->SeekToLast();
        pos = model.empty() ? model.end() : std::prev(model.end());
    }
    for (int step = 0; step < 30; ++step) {
      ASSERT_EQ(it->Valid(), pos != model.end()) << "walk " << w;
      if (!it->Valid()) break;
      ASSERT_EQ(it->key(), pos->first);
      ASSERT_EQ(it->value(), pos->second);
      if (rng() % 3 != 0) {
        it->Next();
        ++pos;
      } else {
        it->Prev();
        pos = pos == model.begin() ? model.end() : std::prev(pos);
      }
    }
  }
  FERRISDB_ASSERT_OK(it->status());
}

TEST(TableTest, RandomTablesMatchModel) {
  const uint32_t seed = TestSeed(4242);
  SCOPED_TRACE(::testing::Message()
               << "seed " << seed << " (set FERRISDB_TEST_SEED to repeat)");
  std::mt19937 rng(seed);
  for (int interval = 1; interval <= 32; ++interval) {
    SCOPED_TRACE(::testing::Message() << "restart interval " << interval);
    const CompressionType c =
        interval % 2 == 0 ? CompressionType::kZstd : CompressionType::kNone;
    Model model = RandomVersionedModel(rng, 60, 4);
    TableBuildOptions o = SmallBlocks(interval, c);
    o.block_size = 64 + rng() % 512;
    o.bloom_bits_per_key = interval % 3 == 0 ? 0 : 10;
    FERRISDB_ASSERT_OK_AND_ASSIGN(std::string file,
                                  BuildTable(o, ToEntries(model)));
    std::unique_ptr<TableReader> table = MustOpen(file);
    ASSERT_NE(table, nullptr);
    EXPECT_EQ(table->has_filter(), o.bloom_bits_per_key > 0);
    ExpectScanEquals(*table, model);
    RandomWalk(*table, model, rng, 100);
    for (const auto& [k, v] : model) {
      const std::string_view uk = ExtractUserKey(k);
      const SequenceNumber s = ExtractSequence(k);
      ExpectGet(*table, model, uk, s);
      ExpectGet(*table, model, uk, s - 1);
      ExpectGet(*table, model, uk, s + 1);
      ExpectGet(*table, model, uk, kMaxSequenceNumber);
      ExpectGet(*table, model, std::string(uk) + "\x01", kMaxSequenceNumber);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(TableTest, LookupsAtAShortenedSeparator) {
  // Block 1 ends with "abc1xxxxxxxx", block 2 starts with "abc3": the index
  // separator is ("abc2", kMaxSequenceNumber). Seeks equal to the separator
  // land in block 1, find nothing there and must continue in block 2.
  Model model;
  model[IKey("abc1xxxxxxxx", 5)] = "first";
  model[IKey("abc3", 9)] = "second";
  model[IKey("abc3", 3)] = "second-old";
  TableBuildOptions o = SmallBlocks();
  o.block_size = 1;
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::string file,
                                BuildTable(o, ToEntries(model)));
  const std::string sep = IKey("abc2", kMaxSequenceNumber, kValueTypeForSeek);
  ASSERT_NE(file.find(sep), std::string::npos) << "separator not shortened";
  std::unique_ptr<TableReader> table = MustOpen(file);
  ExpectGet(*table, model, "abc2", kMaxSequenceNumber);
  ExpectGet(*table, model, "abc3", kMaxSequenceNumber);
  ExpectGet(*table, model, "abc3", 4);
  ExpectGet(*table, model, "abc1xxxxxxxx", kMaxSequenceNumber);
  std::unique_ptr<InternalIterator> it = table->NewIterator(true);
  it->Seek(sep);
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "second");
  it->SeekForPrev(sep);
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "first");
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->value(), "second");
}

TEST(TableTest, GetWithVersionsAndDeletions) {
  Model model;
  model[IKey("k", 30)] = "v30";
  model[IKey("k", 20, ValueType::kDeletion)] = "";
  model[IKey("k", 10)] = "v10";
  model[IKey("k", 5, ValueType::kDeletion)] = "";
  model[IKey("l", 1)] = "l1";
  TableBuildOptions o = SmallBlocks();
  for (size_t block_size : {size_t{1}, size_t{4096}}) {
    o.block_size = block_size;
    FERRISDB_ASSERT_OK_AND_ASSIGN(std::string file,
                                  BuildTable(o, ToEntries(model)));
    std::unique_ptr<TableReader> table = MustOpen(file);
    LookupKey lk31("k", 31), lk25("k", 25), lk10("k", 12), lk7("k", 5),
        lk4("k", 4);
    GetResult r;
    FERRISDB_ASSERT_OK(table->Get(lk31, true, &r));
    EXPECT_EQ(r.state, GetResult::State::kFound);
    EXPECT_EQ(r.value, "v30");
    FERRISDB_ASSERT_OK(table->Get(lk25, true, &r));
    EXPECT_EQ(r.state, GetResult::State::kDeleted);
    EXPECT_EQ(r.sequence, 20u);
    FERRISDB_ASSERT_OK(table->Get(lk10, true, &r));
    EXPECT_EQ(r.state, GetResult::State::kFound);
    EXPECT_EQ(r.value, "v10");
    FERRISDB_ASSERT_OK(table->Get(lk7, true, &r));
    EXPECT_EQ(r.state, GetResult::State::kDeleted);
    FERRISDB_ASSERT_OK(table->Get(lk4, true, &r));
    EXPECT_EQ(r.state, GetResult::State::kNotPresent);
  }
}

TEST(TableTest, BloomFilterSkipsDataBlockReads) {
  Model model;
  for (int i = 0; i < 1000; ++i)
    model[IKey("key" + std::to_string(i), 1)] = "v";
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::string file,
                                BuildTable(SmallBlocks(), ToEntries(model)));
  auto source = std::make_unique<testing::StringSource>(file);
  const testing::StringSource* src = source.get();
  FERRISDB_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<TableReader> table,
      TableReader::Open({}, std::move(source), file.size(), "f.sst"));
  const int reads_after_open = src->reads();
  GetResult r;
  int misses_read = 0;
  for (int i = 0; i < 1000; ++i) {
    const int before = src->reads();
    FERRISDB_ASSERT_OK(
        table->Get(LookupKey("absent" + std::to_string(i), 5), true, &r));
    EXPECT_EQ(r.state, GetResult::State::kNotPresent);
    misses_read += src->reads() - before;
  }
  EXPECT_LT(misses_read, 50);  // ~1% false positives
  FERRISDB_ASSERT_OK(table->Get(LookupKey("key7", 5), true, &r));
  EXPECT_EQ(r.state, GetResult::State::kFound);
  EXPECT_EQ(src->reads(), reads_after_open + misses_read + 1);
}

TEST(TableTest, CompressionShrinksAndIncompressibleStaysRaw) {
  Model compressible, random;
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "key%06d", i);
    compressible[IKey(buf, 1)] = std::string(100, 'a' + i % 3);
    std::string v(100, 0);
    for (char& ch : v) ch = static_cast<char>(rng());
    random[IKey(buf, 1)] = v;
  }
  TableBuildOptions none = SmallBlocks();
  none.block_size = 4096;
  TableBuildOptions zstd = none;
  zstd.compression = CompressionType::kZstd;
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::string a,
                                BuildTable(none, ToEntries(compressible)));
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::string b,
                                BuildTable(zstd, ToEntries(compressible)));
  EXPECT_LT(b.size() * 4, a.size());
  ExpectScanEquals(*MustOpen(b), compressible);
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::string c,
                                BuildTable(none, ToEntries(random)));
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::string d,
                                BuildTable(zstd, ToEntries(random)));
  // Random values save less than 1/8: every data block is stored raw, so the
  // files differ only in the compression recorded in the properties.
  EXPECT_EQ(c.size(), d.size());
  ExpectScanEquals(*MustOpen(d), random);
  // Raw blocks with kNone trailers: the data regions are byte-identical.
  const size_t data_size = MustOpen(d)->properties().data_size;
  EXPECT_EQ(c.substr(0, data_size), d.substr(0, data_size));
}

TEST(TableTest, MillionKeys) {
  TableBuildOptions o;
  o.compression = CompressionType::kZstd;
  StringSink sink;
  TableBuilder b(o, &sink, "big.sst");
  char buf[32];
  constexpr int kN = 1000000;
  for (int i = 0; i < kN; ++i) {
    std::snprintf(buf, sizeof(buf), "%010d", i * 7);
    FERRISDB_ASSERT_OK(b.Add(IKey(buf, static_cast<SequenceNumber>(i)),
                             std::string_view(buf, 6)));
  }
  FERRISDB_ASSERT_OK(b.Finish());
  std::unique_ptr<TableReader> table = MustOpen(std::move(sink.contents()));
  EXPECT_EQ(table->properties().num_entries, static_cast<uint64_t>(kN));
  std::unique_ptr<InternalIterator> it = table->NewIterator(true);
  int n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::snprintf(buf, sizeof(buf), "%010d", n * 7);
    ASSERT_EQ(ExtractUserKey(it->key()), buf);
    ++n;
  }
  FERRISDB_ASSERT_OK(it->status());
  EXPECT_EQ(n, kN);
  std::mt19937 rng(TestSeed(5));
  GetResult r;
  for (int i = 0; i < 20000; ++i) {
    const int k = static_cast<int>(rng() % (kN * 7));
    std::snprintf(buf, sizeof(buf), "%010d", k);
    FERRISDB_ASSERT_OK(
        table->Get(LookupKey(buf, kMaxSequenceNumber), true, &r));
    ASSERT_EQ(r.state == GetResult::State::kFound, k % 7 == 0) << buf;
  }
}

TEST(TableTest, FooterChecks) {
  FERRISDB_ASSERT_OK_AND_ASSIGN(
      std::string file, BuildTable(SmallBlocks(), {{IKey("a", 1), "b"}}));
  EXPECT_THAT(OpenTable(file.substr(0, 10), "000009.sst").status(),
              StatusIsWithMessage(absl::StatusCode::kDataLoss, "000009.sst"));
  std::string bad_magic = file;
  bad_magic.back() ^= 1;
  EXPECT_THAT(OpenTable(bad_magic).status(),
              StatusIsWithMessage(absl::StatusCode::kDataLoss, "bad magic"));
  // A newer version with a valid checksum: FailedPrecondition.
  std::string newer = file;
  const size_t footer = newer.size() - kFooterSize;
  EncodeFixed32(&newer[footer + kFooterVersionOffset], kTableFormatVersion + 1);
  EXPECT_THAT(OpenTable(newer).status(),
              StatusIs(absl::StatusCode::kDataLoss));  // checksum now wrong
  EncodeFixed32(
      &newer[footer + kFooterChecksumOffset],
      Checksum32(std::string_view(&newer[footer], kFooterChecksumOffset)));
  EXPECT_THAT(OpenTable(newer).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(TableTest, DataBlockChecksumMismatchNamesFileAndOffset) {
  Model model;
  for (int i = 0; i < 100; ++i) model[IKey("key" + std::to_string(i), 1)] = "v";
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::string file,
                                BuildTable(SmallBlocks(), ToEntries(model)));
  file[0] ^= 0x01;  // first data block, at offset 0
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::unique_ptr<TableReader> table,
                                OpenTable(file, "000123.sst"));
  std::unique_ptr<InternalIterator> it = table->NewIterator(true);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_THAT(it->status(),
              StatusIsWithMessage(absl::StatusCode::kDataLoss,
                                  "sstable 000123.sst: block checksum "
                                  "mismatch at offset 0"));
  it->SeekToLast();  // the error stays
  EXPECT_FALSE(it->Valid());
  GetResult r;
  EXPECT_THAT(table->Get(LookupKey("key0", 5), true, &r),
              StatusIs(absl::StatusCode::kDataLoss));
}

// Fails every Append after the first `ok_appends`.
class FailingSink final : public WritableFile {
 public:
  explicit FailingSink(int ok_appends) : left_(ok_appends) {}
  absl::Status Append(std::string_view) override {
    if (left_-- <= 0) return absl::ResourceExhaustedError("disk full");
    return absl::OkStatus();
  }
  absl::Status Flush() override { return absl::OkStatus(); }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status Close() override { return absl::OkStatus(); }

 private:
  int left_;
};

TEST(TableTest, WriteErrorsAreReturnedAndSticky) {
  for (int ok_appends = 0; ok_appends < 12; ++ok_appends) {
    FailingSink sink(ok_appends);
    TableBuilder b(SmallBlocks(), &sink, "w.sst");
    absl::Status s;
    for (int i = 0; i < 100 && s.ok(); ++i) {
      s = b.Add(IKey("key" + std::to_string(1000 + i), 1), "value");
    }
    if (s.ok()) s = b.Finish();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kResourceExhausted));
    EXPECT_THAT(b.status(), StatusIs(absl::StatusCode::kResourceExhausted));
  }
}

// Fails every Read after the first `ok_reads`.
class FailingSource final : public RandomAccessFile {
 public:
  FailingSource(std::string contents, int ok_reads)
      : inner_(std::move(contents)), left_(ok_reads) {}
  absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                    char* scratch) const override {
    if (left_-- <= 0) return absl::InternalError("read failed");
    return inner_.Read(offset, n, result, scratch);
  }

 private:
  testing::StringSource inner_;
  mutable int left_;
};

TEST(TableTest, ReadErrorsSurfaceThroughStatus) {
  Model model;
  for (int i = 0; i < 200; ++i) model[IKey("key" + std::to_string(i), 1)] = "v";
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::string file,
                                BuildTable(SmallBlocks(), ToEntries(model)));
  for (int ok_reads = 0; ok_reads < 8; ++ok_reads) {
    absl::StatusOr<std::unique_ptr<TableReader>> t =
        TableReader::Open({}, std::make_unique<FailingSource>(file, ok_reads),
                          file.size(), "r.sst");
    if (!t.ok()) {
      EXPECT_THAT(t.status(), StatusIs(absl::StatusCode::kInternal));
      continue;
    }
    std::unique_ptr<InternalIterator> it = (*t)->NewIterator(true);
    auto m = model.begin();
    for (it->SeekToFirst(); it->Valid(); it->Next(), ++m) {
      ASSERT_EQ(it->key(), m->first);
    }
    EXPECT_THAT(it->status(), StatusIs(absl::StatusCode::kInternal));
    GetResult r;
    EXPECT_THAT((*t)->Get(LookupKey("key5", 9), true, &r),
                StatusIs(absl::StatusCode::kInternal));
  }
}

TEST(TableTest, BuildOptionsFromOptions) {
  Options options;
  options.block_size = 1234;
  options.block_restart_interval = 3;
  options.bloom_bits_per_key = 0;
  options.compression = CompressionType::kNone;
  options.compression_level = 7;
  const TableBuildOptions t = TableBuildOptions::FromOptions(options);
  EXPECT_EQ(t.block_size, 1234u);
  EXPECT_EQ(t.block_restart_interval, 3);
  EXPECT_EQ(t.bloom_bits_per_key, 0);
  EXPECT_EQ(t.compression, CompressionType::kNone);
  EXPECT_EQ(t.compression_level, 7);
}

// Reads a string the test owns, so the test can damage it after Open.
class BorrowedStringSource final : public RandomAccessFile {
 public:
  explicit BorrowedStringSource(const std::string* contents)
      : contents_(contents) {}
  absl::Status Read(uint64_t offset, size_t n, std::string_view* result,
                    char* scratch) const override {
    ++reads_;
    const size_t size = contents_->size();
    const size_t start = static_cast<size_t>(std::min<uint64_t>(offset, size));
    n = std::min(n, size - start);
    if (n > 0) std::memcpy(scratch, contents_->data() + start, n);
    *result = std::string_view(scratch, n);
    return absl::OkStatus();
  }
  int reads() const { return reads_; }

 private:
  const std::string* const contents_;
  mutable int reads_ = 0;
};

// Several versions of 500 keys, in blocks of 256 bytes, with a bloom filter.
Model CachedIndexModel() {
  Model model;
  for (int i = 0; i < 500; ++i) {
    const std::string k = "key" + std::to_string(i);
    model[IKey(k, 10)] = "new" + std::to_string(i);
    if (i % 3 == 0) model[IKey(k, 5, ValueType::kDeletion)] = "";
    if (i % 2 == 0) model[IKey(k, 1)] = "old" + std::to_string(i);
  }
  return model;
}

// Opens file (which must outlive the table) with index and filter blocks in
// cache.
std::unique_ptr<TableReader> OpenCached(
    const std::string* file, Cache* cache, bool cache_index_and_filter = true,
    BorrowedStringSource** source = nullptr) {
  TableReadOptions o;
  o.block_cache = cache;
  o.cache_index_and_filter_blocks = cache_index_and_filter;
  auto src = std::make_unique<BorrowedStringSource>(file);
  if (source != nullptr) *source = src.get();
  absl::StatusOr<std::unique_ptr<TableReader>> t =
      TableReader::Open(o, std::move(src), file->size(), "idx.sst");
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? std::move(*t) : nullptr;
}

void ExpectSameGet(const TableReader& a, const TableReader& b,
                   std::string_view user_key, SequenceNumber seq) {
  GetResult ra, rb;
  FERRISDB_ASSERT_OK(a.Get(LookupKey(user_key, seq), true, &ra));
  FERRISDB_ASSERT_OK(b.Get(LookupKey(user_key, seq), true, &rb));
  ASSERT_EQ(static_cast<int>(ra.state), static_cast<int>(rb.state))
      << "key '" << user_key << "' @" << seq;
  EXPECT_EQ(ra.sequence, rb.sequence);
  EXPECT_EQ(ra.value, rb.value);
}

void ExpectAllGets(const TableReader& table, const TableReader& pinned,
                   const Model& model) {
  for (int i = 0; i < 520; i += 7) {
    const std::string k = "key" + std::to_string(i);
    for (SequenceNumber seq : {0, 1, 4, 5, 9, 10, 20}) {
      ExpectGet(table, model, k, seq);
      ExpectSameGet(table, pinned, k, seq);
    }
    ExpectSameGet(table, pinned, "absent" + std::to_string(i), 20);
  }
}

TEST(TableTest, CachedIndexAndFilterMatchPinned) {
  const Model model = CachedIndexModel();
  FERRISDB_ASSERT_OK_AND_ASSIGN(const std::string file,
                                BuildTable(SmallBlocks(), ToEntries(model)));
  std::shared_ptr<Cache> cache = NewLRUCache(64 << 10, 0);
  std::unique_ptr<TableReader> pinned = OpenCached(&file, nullptr, false);
  std::unique_ptr<TableReader> table = OpenCached(&file, cache.get());
  ASSERT_NE(pinned, nullptr);
  ASSERT_NE(table, nullptr);
  ASSERT_GT(table->properties().num_data_blocks, 10u);
  EXPECT_TRUE(table->has_filter());
  ExpectScanEquals(*table, model);
  ExpectAllGets(*table, *pinned, model);
}

TEST(TableTest, CachedIndexAndFilterCountInCacheStatistics) {
  const Model model = CachedIndexModel();
  FERRISDB_ASSERT_OK_AND_ASSIGN(const std::string file,
                                BuildTable(SmallBlocks(), ToEntries(model)));
  std::shared_ptr<Cache> cache = NewLRUCache(1 << 20, 0);
  std::unique_ptr<TableReader> table = OpenCached(&file, cache.get());
  ASSERT_NE(table, nullptr);
  // Open inserted the index and the filter, and holds neither.
  CacheStatistics s = cache->GetStatistics();
  EXPECT_EQ(s.inserts, 2u);
  EXPECT_EQ(s.hits + s.misses, 0u);
  EXPECT_GT(s.usage, file.size() / 20);
  EXPECT_EQ(s.pinned_usage, 0u);

  // A present key: filter and index hit, the data block misses once.
  GetResult r;
  FERRISDB_ASSERT_OK(table->Get(LookupKey("key7", 20), true, &r));
  EXPECT_EQ(r.state, GetResult::State::kFound);
  s = cache->GetStatistics();
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.inserts, 3u);
  FERRISDB_ASSERT_OK(table->Get(LookupKey("key7", 20), true, &r));
  s = cache->GetStatistics();
  EXPECT_EQ(s.hits, 5u);
  EXPECT_EQ(s.misses, 1u);

  // An iterator looks the index up once.
  std::unique_ptr<InternalIterator> it = table->NewIterator(true);
  EXPECT_EQ(cache->GetStatistics().hits, 6u);

  // Off: the index and filter stay out of the cache; one lookup per Get.
  std::shared_ptr<Cache> data_only = NewLRUCache(1 << 20, 0);
  std::unique_ptr<TableReader> pinned =
      OpenCached(&file, data_only.get(), false);
  ASSERT_NE(pinned, nullptr);
  EXPECT_EQ(data_only->GetStatistics().inserts, 0u);
  FERRISDB_ASSERT_OK(pinned->Get(LookupKey("key7", 20), true, &r));
  FERRISDB_ASSERT_OK(pinned->Get(LookupKey("key7", 20), true, &r));
  s = data_only->GetStatistics();
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.inserts, 1u);
}

// The cache holds a data block decompressed, so it must be charged for
// that, not for its (compressed) stored size: otherwise a cache of N bytes
// holds several times N of zstd blocks (found by ferrisdb_compare's peak
// anonymous RSS with zstd).
TEST(TableTest, CachedCompressedBlocksAreChargedTheirDecompressedSize) {
  Entries entries;
  for (int i = 0; i < 400; ++i) {
    // Highly compressible values: each block shrinks several times.
    entries.emplace_back(IKey(absl::StrFormat("key%04d", i), 1),
                         std::string(200, static_cast<char>('a' + i % 26)));
  }
  TableBuildOptions o = SmallBlocks(16, CompressionType::kZstd);
  o.block_size = 4096;
  FERRISDB_ASSERT_OK_AND_ASSIGN(const std::string file, BuildTable(o, entries));
  std::shared_ptr<Cache> cache = NewLRUCache(64 << 20, 0);
  std::unique_ptr<TableReader> table = OpenCached(&file, cache.get(), false);
  ASSERT_NE(table, nullptr);
  // Reading every entry puts every data block in the cache.
  std::unique_ptr<InternalIterator> it = table->NewIterator(true);
  size_t raw_bytes = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    raw_bytes += it->key().size() + it->value().size();
  }
  FERRISDB_ASSERT_OK(it->status());
  ASSERT_LT(file.size() * 4, raw_bytes) << "the values should compress well";
  // Each block's contents hold every entry's bytes (less shared key
  // prefixes), so the charge is at least the raw values' size.
  EXPECT_GE(cache->GetStatistics().usage, 400u * 200u);
}

TEST(TableTest, CachedIndexAndFilterSurviveEviction) {
  const Model model = CachedIndexModel();
  FERRISDB_ASSERT_OK_AND_ASSIGN(const std::string file,
                                BuildTable(SmallBlocks(), ToEntries(model)));
  // One byte: every block is evicted as soon as it is inserted.
  std::shared_ptr<Cache> cache = NewLRUCache(1, 0);
  BorrowedStringSource* source = nullptr;
  std::unique_ptr<TableReader> pinned = OpenCached(&file, nullptr, false);
  std::unique_ptr<TableReader> table =
      OpenCached(&file, cache.get(), true, &source);
  ASSERT_NE(pinned, nullptr);
  ASSERT_NE(table, nullptr);
  const int reads_after_open = source->reads();
  ExpectAllGets(*table, *pinned, model);
  ExpectScanEquals(*table, model);
  const CacheStatistics s = cache->GetStatistics();
  EXPECT_EQ(s.hits, 0u);
  EXPECT_GT(s.evictions, 100u);
  EXPECT_EQ(s.usage, 0u);
  // Every Get re-read the filter and (unless it ruled the key out) the index.
  EXPECT_GT(source->reads() - reads_after_open, 2 * 75 * 7);
}

TEST(TableTest, IteratorHoldsIndexEvictedFromCache) {
  const Model model = CachedIndexModel();
  FERRISDB_ASSERT_OK_AND_ASSIGN(const std::string file,
                                BuildTable(SmallBlocks(), ToEntries(model)));
  std::shared_ptr<Cache> cache = NewLRUCache(1 << 20, 0);
  std::unique_ptr<TableReader> table = OpenCached(&file, cache.get());
  ASSERT_NE(table, nullptr);
  std::unique_ptr<InternalIterator> it = table->NewIterator(true);
  auto m = model.begin();
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++m, ++n) {
    ASSERT_NE(m, model.end());
    ASSERT_EQ(it->key(), m->first);
    ASSERT_EQ(it->value(), m->second);
    if (n == model.size() / 2) {
      cache->SetCapacity(0);  // evicts the index (nothing is pinned)
      ASSERT_EQ(cache->GetStatistics().usage, 0u);
    }
  }
  FERRISDB_ASSERT_OK(it->status());
  EXPECT_EQ(m, model.end());
  EXPECT_GT(cache->GetStatistics().evictions, 2u);
  // Backwards and seeks still work on the evicted index.
  it->Seek(IKey("key250", 20));
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), IKey("key250", 10));
  it->SeekToLast();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), model.rbegin()->first);
}

TEST(TableTest, CachedIndexDamagedAfterOpenIsDataLoss) {
  const Model model = CachedIndexModel();
  FERRISDB_ASSERT_OK_AND_ASSIGN(std::string file,
                                BuildTable(SmallBlocks(), ToEntries(model)));
  std::shared_ptr<Cache> cache = NewLRUCache(1 << 20, 0);
  std::unique_ptr<TableReader> table = OpenCached(&file, cache.get());
  ASSERT_NE(table, nullptr);
  GetResult r;
  FERRISDB_ASSERT_OK(table->Get(LookupKey("key8", 20), true, &r));
  EXPECT_EQ(r.value, "new8");

  const uint64_t index_offset = table->index_offset();
  file[index_offset] ^= 0x01;
  // Still served from the cache.
  FERRISDB_ASSERT_OK(table->Get(LookupKey("key8", 20), true, &r));
  EXPECT_EQ(r.value, "new8");
  // A miss re-reads the index, and its checksum no longer matches.
  cache->SetCapacity(0);
  cache->SetCapacity(1 << 20);
  const std::string want =
      "sstable idx.sst: block checksum mismatch at offset " +
      std::to_string(index_offset);
  EXPECT_THAT(table->Get(LookupKey("key8", 20), true, &r),
              StatusIsWithMessage(absl::StatusCode::kDataLoss, want));
  std::unique_ptr<InternalIterator> it = table->NewIterator(true);
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_THAT(it->status(),
              StatusIsWithMessage(absl::StatusCode::kDataLoss, want));

  // With the option on, a damaged index still fails Open.
  TableReadOptions o;
  o.block_cache = cache.get();
  o.cache_index_and_filter_blocks = true;
  EXPECT_THAT(OpenTable(file, "idx.sst", o),
              StatusIsWithMessage(absl::StatusCode::kDataLoss, want));
}

}  // namespace
}  // namespace ferrisdb
