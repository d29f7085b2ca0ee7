// The final check of the concurrency test: the DB equals the writers'
// models, by a scan and by Gets (see db_concurrency_fixture.h).
#include <memory>
#include <optional>
#include <string>

#include "db_concurrency_fixture.h"
#include "ferrisdb/db.h"
#include "ferrisdb/iterator.h"
#include "gtest/gtest.h"

namespace ferrisdb::db_concurrency {

void ConcurrencyTest::VerifyFinalState(const char* when) {
  Model actual;
  std::unique_ptr<Iterator> it = db_->NewIterator({});
  it->SeekToFirst();
  ASSERT_TRUE(Walk(it.get(), true, 1 << 30, &actual, when)) << failures_.Text();
  it.reset();
  ASSERT_EQ(CheckConsistentState(actual), "") << when;
  Model expected;
  for (int w = 0; w < kWriters; ++w) {
    const WriterModel& m = writer_models_[w];
    expected.insert(m.own.begin(), m.own.end());
    if (m.progress) expected[ProgressKey(w)] = MakeValue(w, *m.progress);
    if (m.group) {
      for (int g = 0; g < kGroupKeys; ++g) {
        expected[GroupKey(w, g)] = MakeValue(w, *m.group);
      }
    }
  }
  // A shared key ends with the last value some writer gave it: the last
  // one that writer wrote there.
  for (int j = 0; j < kSharedKeys; ++j) {
    const std::string key = SharedKey(j);
    auto a = actual.find(key);
    bool written = false;
    for (const WriterModel& m : writer_models_) {
      written = written || m.last_shared.count(key) > 0;
    }
    if (a == actual.end()) {
      EXPECT_FALSE(written) << when << ": " << key << " lost";
      continue;
    }
    std::optional<ParsedValue> p = ParseValue(a->second);
    ASSERT_TRUE(p.has_value()) << when << ": " << key;
    auto last = writer_models_[p->writer].last_shared.find(key);
    ASSERT_NE(last, writer_models_[p->writer].last_shared.end())
        << when << ": " << key;
    EXPECT_EQ(p->counter, last->second)
        << when << ": " << key << " holds an overwritten value of writer "
        << p->writer;
    expected[key] = a->second;
  }
  EXPECT_EQ(actual.size(), expected.size()) << when;
  int shown = 0;
  for (const auto& [key, value] : expected) {
    auto a = actual.find(key);
    if (a == actual.end() || a->second != value) {
      if (shown++ < 10) {
        ADD_FAILURE() << when << ": " << key << " is "
                      << (a == actual.end() ? "<absent>"
                                            : a->second.substr(0, 20))
                      << ", expected " << value.substr(0, 20);
      }
    }
  }
  for (const auto& [key, value] : actual) {
    if (expected.count(key) == 0 && shown++ < 10) {
      ADD_FAILURE() << when << ": " << key << " should be absent";
    }
  }
  // Get agrees for every key, deleted ones included.
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 0; i < kOwnKeys; ++i) {
      const std::string key = OwnKey(w, i);
      absl::StatusOr<std::string> got = db_->Get({}, key);
      auto e = expected.find(key);
      if (e == expected.end()) {
        EXPECT_TRUE(absl::IsNotFound(got.status()))
            << when << ": deleted " << key << " is back";
      } else {
        EXPECT_TRUE(got.ok() && *got == e->second) << when << ": " << key;
      }
    }
  }
}

}  // namespace ferrisdb::db_concurrency
