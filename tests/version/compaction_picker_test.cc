// CompactionPicker: which level and which file it compacts. A deeper level
// gives up the file with the fewest next-level bytes per byte of its own;
// equal ratios go round-robin through the key space.
#include "version/compaction_picker.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "testutil/status_matchers.h"
#include "testutil/test_dir.h"
#include "version/version_set.h"

namespace ferrisdb {
namespace {

using ::ferrisdb::testing::IsOk;

struct FileSpec {
  int level;
  std::string lo, hi;
  uint64_t size;
};

class CompactionPickerTest : public ::testing::Test {
 protected:
  CompactionPickerTest() : versions_(dir_.path(), Env::Default()) {
    // Level 1 over target with two 1,000-byte files: compact it.
    options_.max_bytes_for_level_base = 1000;
    options_.target_file_size = 1000;
  }

  // The current version after adding files.
  std::shared_ptr<const Version> Build(const std::vector<FileSpec>& specs) {
    VersionEdit edit;
    for (const FileSpec& spec : specs) {
      FileMetaData f;
      f.number = versions_.NewFileNumber();
      f.file_size = spec.size;
      AppendInternalKey(&f.smallest, spec.lo, 5, ValueType::kValue);
      AppendInternalKey(&f.largest, spec.hi, 5, ValueType::kValue);
      f.smallest_sequence = f.largest_sequence = 5;
      edit.AddFile(spec.level, std::move(f));
    }
    edit.SetLogNumber(1);
    edit.SetLastSequence(5);
    EXPECT_THAT(versions_.LogAndApply(&edit), IsOk());
    return versions_.current();
  }

  // The user-key range of the picked compaction's level-L input.
  static std::string Picked(const Compaction& c) {
    const FileMetaData& f = *c.inputs(0).front();
    return std::string(ExtractUserKey(f.smallest)) + ".." +
           std::string(ExtractUserKey(f.largest));
  }

  testing::TestDir dir_;
  Options options_;
  VersionSet versions_;
};

TEST_F(CompactionPickerTest, PicksTheFileOverlappingTheFewestBytesPerByte) {
  // L1: three files; L2 below them: [a..c] overlaps 3,000 bytes, [d..f]
  // 500 bytes, [g..i] 2,000 bytes.
  std::shared_ptr<const Version> v = Build({
      {1, "a", "c", 1000},
      {1, "d", "f", 1000},
      {1, "g", "i", 1000},
      {2, "a", "b", 1500},
      {2, "c", "c", 1500},  // both under [a..c]
      {2, "e", "e", 500},   // under [d..f]
      {2, "h", "z", 2000},  // under [g..i]
  });
  CompactionPicker picker(options_);
  std::unique_ptr<Compaction> c = picker.PickCompaction(v);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->level(), 1);
  ASSERT_EQ(c->inputs(0).size(), 1u);
  EXPECT_EQ(Picked(*c), "d..f");
  ASSERT_EQ(c->inputs(1).size(), 1u);
  EXPECT_EQ(c->inputs(1).front()->file_size, 500u);
}

TEST_F(CompactionPickerTest, RatioIsPerByteOfTheFile) {
  // [a..b] overlaps 1,000 bytes with 100 of its own (ratio 10); [m..n]
  // overlaps 3,000 bytes with 3,000 of its own (ratio 1).
  std::shared_ptr<const Version> v = Build({
      {1, "a", "b", 100},
      {1, "m", "n", 3000},
      {2, "a", "a", 1000},
      {2, "m", "m", 3000},
  });
  CompactionPicker picker(options_);
  std::unique_ptr<Compaction> c = picker.PickCompaction(v);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Picked(*c), "m..n");
}

TEST_F(CompactionPickerTest, ANextLevelFileUnderTwoNeighboursCountsForBoth) {
  // L2's [c..h] lies under both L1 files; [h..k] also has [i..i] below it.
  std::shared_ptr<const Version> v = Build({
      {1, "a", "c", 1000},
      {1, "h", "k", 1000},
      {2, "c", "h", 1000},
      {2, "i", "i", 200},
  });
  CompactionPicker picker(options_);
  std::unique_ptr<Compaction> c = picker.PickCompaction(v);
  ASSERT_NE(c, nullptr);
  // [a..c]: 1,000 bytes below; [h..k]: 1,200 (200 if [c..h] were counted
  // for its first neighbour only).
  EXPECT_EQ(Picked(*c), "a..c");
  EXPECT_EQ(c->inputs(1).size(), 1u);
}

TEST_F(CompactionPickerTest, EqualRatiosGoRoundRobin) {
  // Nothing below level 1: every ratio is 0, so successive picks walk the
  // key space and wrap around.
  std::shared_ptr<const Version> v = Build({
      {1, "a", "b", 1000},
      {1, "c", "d", 1000},
      {1, "e", "f", 1000},
  });
  CompactionPicker picker(options_);
  std::vector<std::string> picked;
  for (int i = 0; i < 4; ++i) {
    std::unique_ptr<Compaction> c = picker.PickCompaction(v);
    ASSERT_NE(c, nullptr);
    picked.push_back(Picked(*c));
  }
  EXPECT_EQ(picked, (std::vector<std::string>{"a..b", "c..d", "e..f", "a..b"}));
}

}  // namespace
}  // namespace ferrisdb
