#include "db/table_iterator.h"

#include <utility>

namespace ferrisdb {
namespace {

class PinnedTableIterator final : public InternalIterator {
 public:
  PinnedTableIterator(std::shared_ptr<const TableReader> reader,
                      bool verify_checksums, bool fill_cache)
      : reader_(std::move(reader)),
        iter_(reader_->NewIterator(verify_checksums, fill_cache)) {}

  bool Valid() const override { return iter_->Valid(); }
  void SeekToFirst() override { iter_->SeekToFirst(); }
  void SeekToLast() override { iter_->SeekToLast(); }
  void Seek(std::string_view t) override { iter_->Seek(t); }
  void SeekForPrev(std::string_view t) override { iter_->SeekForPrev(t); }
  void Next() override { iter_->Next(); }
  void Prev() override { iter_->Prev(); }
  std::string_view key() const override { return iter_->key(); }
  std::string_view value() const override { return iter_->value(); }
  absl::Status status() const override { return iter_->status(); }

 private:
  // Declared first: destroyed after iter_, which reads from it.
  const std::shared_ptr<const TableReader> reader_;
  const std::unique_ptr<InternalIterator> iter_;
};

}  // namespace

std::unique_ptr<InternalIterator> NewPinnedTableIterator(
    std::shared_ptr<const TableReader> reader, bool verify_checksums,
    bool fill_cache) {
  return std::make_unique<PinnedTableIterator>(std::move(reader),
                                               verify_checksums, fill_cache);
}

}  // namespace ferrisdb
