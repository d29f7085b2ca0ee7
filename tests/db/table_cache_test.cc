// TableCache: readers pinned in FileMetaData up to half of max_open_files,
// the rest through the LRU cache; the bound on open readers; the pin given
// back when the metadata goes; racing first reads; open errors.
#include "db/table_cache.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "db/filename.h"
#include "ferrisdb/env.h"
#include "gtest/gtest.h"
#include "memtable/internal_key.h"
#include "table/table_builder.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"
#include "version/version_edit.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;
using ::ferrisdb::testing::TestDir;

std::string IKey(std::string_view user_key) {
  std::string k;
  AppendInternalKey(&k, user_key, 1, ValueType::kValue);
  return k;
}

class TableCacheTest : public ::testing::Test {
 protected:
  std::unique_ptr<TableCache> NewCache(int max_open_files) {
    return std::make_unique<TableCache>(dir_.path(), Env::Default(),
                                        max_open_files, /*block_cache=*/nullptr,
                                        /*cache_index_and_filter_blocks=*/false,
                                        /*use_mmap_reads=*/true);
  }

  // Writes table `number` holding the single key "t<number>" -> "v<number>".
  std::shared_ptr<const FileMetaData> WriteTable(uint64_t number) {
    const std::string path = TableFileName(dir_.path(), number);
    absl::StatusOr<std::unique_ptr<WritableFile>> file =
        Env::Default()->NewWritableFile(path);
    EXPECT_THAT(file, IsOk());
    if (!file.ok()) return nullptr;
    TableBuildOptions options;
    options.compression = CompressionType::kNone;
    TableBuilder builder(options, file->get(), path);
    const std::string key = IKey(absl::StrFormat("t%d", number));
    EXPECT_THAT(builder.Add(key, absl::StrFormat("v%d", number)), IsOk());
    EXPECT_THAT(builder.Finish(), IsOk());
    EXPECT_THAT((*file)->Close(), IsOk());
    auto meta = std::make_shared<FileMetaData>();
    meta->number = number;
    meta->file_size = builder.FileSize();
    meta->smallest = key;
    meta->largest = key;
    return meta;
  }

  // The value the table of f holds for its key, read through reader.
  static std::string ValueOf(const TableReader* reader, const FileMetaData& f) {
    const LookupKey lookup(ExtractUserKey(f.smallest), 10);
    GetResult result;
    EXPECT_THAT(reader->Get(lookup, /*verify_checksums=*/true, &result,
                            /*fill_cache=*/true),
                IsOk());
    return result.state == GetResult::State::kFound ? result.value
                                                    : "<not found>";
  }

  TestDir dir_;
};

TEST_F(TableCacheTest, FirstTablesArePinnedAndFoundAgainWithoutTheCache) {
  std::unique_ptr<TableCache> cache = NewCache(/*max_open_files=*/10);
  ASSERT_EQ(cache->pin_budget(), 5);
  std::shared_ptr<const FileMetaData> f = WriteTable(1);
  std::shared_ptr<const TableReader> holder;
  absl::StatusOr<const TableReader*> first = cache->GetForRead(*f, &holder);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(holder, nullptr);  // pinned: the metadata keeps it
  EXPECT_EQ(f->reader.Get(), *first);
  EXPECT_EQ(cache->pinned_readers(), 1);
  EXPECT_EQ(cache->cached_readers(), 0u);
  absl::StatusOr<const TableReader*> again = cache->GetForRead(*f, &holder);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(ValueOf(*again, *f), "v1");
}

TEST_F(TableCacheTest, BeyondThePinBudgetReadersGoThroughTheLruCache) {
  // Budget 2 pinned, LRU capacity 3: never more than 5 open.
  std::unique_ptr<TableCache> cache = NewCache(/*max_open_files=*/5);
  ASSERT_EQ(cache->pin_budget(), 2);
  std::vector<std::shared_ptr<const FileMetaData>> files;
  for (uint64_t n = 1; n <= 8; ++n) files.push_back(WriteTable(n));
  for (int round = 0; round < 2; ++round) {
    for (const auto& f : files) {
      std::shared_ptr<const TableReader> holder;
      absl::StatusOr<const TableReader*> reader =
          cache->GetForRead(*f, &holder);
      ASSERT_THAT(reader, IsOk());
      EXPECT_EQ(ValueOf(*reader, *f), absl::StrFormat("v%d", f->number));
      // Pinned exactly when the metadata holds it.
      EXPECT_EQ(holder == nullptr, f->reader.Get() == *reader) << f->number;
      EXPECT_LE(cache->pinned_readers(), 2);
      EXPECT_LE(cache->cached_readers(), 3u);
    }
  }
  EXPECT_EQ(cache->pinned_readers(), 2);
  EXPECT_NE(files[0]->reader.Get(), nullptr);
  EXPECT_NE(files[1]->reader.Get(), nullptr);
  for (size_t i = 2; i < files.size(); ++i) {
    EXPECT_EQ(files[i]->reader.Get(), nullptr) << i;
  }
}

TEST_F(TableCacheTest, ThePinIsGivenBackWhenTheMetadataGoes) {
  std::unique_ptr<TableCache> cache = NewCache(/*max_open_files=*/2);
  ASSERT_EQ(cache->pin_budget(), 1);
  std::shared_ptr<const FileMetaData> a = WriteTable(1);
  std::shared_ptr<const FileMetaData> b = WriteTable(2);
  std::shared_ptr<const TableReader> holder;
  ASSERT_THAT(cache->GetForRead(*a, &holder), IsOk());
  ASSERT_THAT(cache->GetForRead(*b, &holder), IsOk());
  EXPECT_NE(holder, nullptr);  // budget spent: b came from the LRU cache
  EXPECT_EQ(b->reader.Get(), nullptr);
  a.reset();  // the last version listing table 1 is gone
  EXPECT_EQ(cache->pinned_readers(), 0);
  holder.reset();
  absl::StatusOr<const TableReader*> reader = cache->GetForRead(*b, &holder);
  ASSERT_THAT(reader, IsOk());
  EXPECT_EQ(holder, nullptr);
  EXPECT_EQ(b->reader.Get(), *reader);
  EXPECT_EQ(cache->pinned_readers(), 1);
  // Its copy in the LRU cache was dropped: one open reader, not two.
  EXPECT_EQ(cache->cached_readers(), 0u);
}

TEST_F(TableCacheTest, PinnedReaderOutlivesTheCache) {
  std::shared_ptr<const FileMetaData> f = WriteTable(1);
  std::shared_ptr<const TableReader> shared;
  {
    std::unique_ptr<TableCache> cache = NewCache(/*max_open_files=*/10);
    absl::StatusOr<std::shared_ptr<const TableReader>> reader = cache->Get(f);
    ASSERT_THAT(reader, IsOk());
    shared = *std::move(reader);
  }
  // The shared reader is an alias of f: dropping f here must not close it.
  const FileMetaData* raw = f.get();
  f.reset();
  EXPECT_EQ(raw->reader.Get(), shared.get());
  EXPECT_EQ(ValueOf(shared.get(), *raw), "v1");
}

TEST_F(TableCacheTest, CopiedMetadataSharesTheReader) {
  std::unique_ptr<TableCache> cache = NewCache(/*max_open_files=*/10);
  std::shared_ptr<const FileMetaData> f = WriteTable(1);
  std::shared_ptr<const TableReader> holder;
  ASSERT_THAT(cache->GetForRead(*f, &holder), IsOk());
  ASSERT_NE(f->reader.Get(), nullptr);
  // A trivial move copies the metadata into the next version: the copy
  // must not open the table again.
  auto moved = std::make_shared<const FileMetaData>(*f);
  EXPECT_EQ(moved->reader.Get(), f->reader.Get());
  absl::StatusOr<const TableReader*> r = cache->GetForRead(*moved, &holder);
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(*r, f->reader.Get());
  EXPECT_EQ(cache->pinned_readers(), 1);
  f.reset();  // the old version goes; the reader stays with the copy
  EXPECT_EQ(cache->pinned_readers(), 1);
  EXPECT_EQ(ValueOf(moved->reader.Get(), *moved), "v1");

  FileMetaData assigned = *WriteTable(2);
  ASSERT_THAT(cache->GetForRead(assigned, &holder), IsOk());
  EXPECT_EQ(cache->pinned_readers(), 2);
  assigned = *moved;  // now describes table 1: table 2's reader must go
  EXPECT_EQ(assigned.number, 1u);
  EXPECT_EQ(assigned.reader.Get(), moved->reader.Get());
  EXPECT_EQ(cache->pinned_readers(), 1);
  moved.reset();
  EXPECT_EQ(cache->pinned_readers(), 1);  // `assigned` still holds it
  assigned = FileMetaData();
  EXPECT_EQ(cache->pinned_readers(), 0);
}

TEST_F(TableCacheTest, RacingFirstReadsPinOneReader) {
  std::unique_ptr<TableCache> cache = NewCache(/*max_open_files=*/10);
  for (uint64_t n = 1; n <= 20; ++n) {
    std::shared_ptr<const FileMetaData> f = WriteTable(n);
    const TableReader* seen[2] = {nullptr, nullptr};
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        std::shared_ptr<const TableReader> holder;
        absl::StatusOr<const TableReader*> r = cache->GetForRead(*f, &holder);
        if (r.ok() && holder == nullptr) seen[t] = *r;
      });
    }
    for (std::thread& t : threads) t.join();
    ASSERT_NE(seen[0], nullptr);
    EXPECT_EQ(seen[0], seen[1]);
    EXPECT_EQ(f->reader.Get(), seen[0]);
    EXPECT_EQ(cache->pinned_readers(), 1);  // the loser's unit came back
    f.reset();
    EXPECT_EQ(cache->pinned_readers(), 0);
  }
}

TEST_F(TableCacheTest, FailedOpenGivesThePinBackAndReportsTheFile) {
  std::unique_ptr<TableCache> cache = NewCache(/*max_open_files=*/2);
  auto missing = std::make_shared<FileMetaData>();
  missing->number = 77;
  missing->file_size = 1000;
  std::shared_ptr<const TableReader> holder;
  absl::StatusOr<const TableReader*> r = cache->GetForRead(*missing, &holder);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("000077"), std::string::npos)
      << r.status();
  EXPECT_EQ(cache->pinned_readers(), 0);
  std::shared_ptr<const FileMetaData> f = WriteTable(1);
  ASSERT_THAT(cache->GetForRead(*f, &holder), IsOk());
  EXPECT_EQ(f->reader.Get(), *cache->GetForRead(*f, &holder));
}

}  // namespace
}  // namespace ferrisdb
