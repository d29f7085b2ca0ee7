// TableProperties: facts about one SSTable, stored in its properties block
// (docs/format/sstable.md "Properties block") and returned by
// TableReader::properties().
#ifndef FERRISDB_TABLE_TABLE_PROPERTIES_H_
#define FERRISDB_TABLE_TABLE_PROPERTIES_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ferrisdb/options.h"

namespace ferrisdb {

struct TableProperties {
  uint64_t num_entries = 0;
  uint64_t num_deletions = 0;
  uint64_t raw_key_size = 0;    // sum of internal key sizes
  uint64_t raw_value_size = 0;  // sum of value sizes
  uint64_t data_size = 0;       // bytes of data blocks, trailers included
  uint64_t index_size = 0;      // bytes of the index block, trailer included
  uint64_t filter_size = 0;     // bytes of the filter block; 0 if none
  uint64_t num_data_blocks = 0;
  // Sequence number range of the entries; both 0 for an empty table.
  uint64_t smallest_sequence = 0;
  uint64_t largest_sequence = 0;
  // User key range of the entries; both empty for an empty table.
  std::string smallest_user_key;
  std::string largest_user_key;
  CompressionType compression = CompressionType::kNone;  // of data blocks
  uint64_t creation_time = 0;                            // unix seconds
  uint32_t format_version = 0;

  friend bool operator==(const TableProperties&,
                         const TableProperties&) = default;
};

// The properties block contents: a bytewise-ordered block of name -> value
// entries (names in sstable.md).
std::string EncodePropertiesBlock(const TableProperties& props);

// Parses the properties block contents. Unknown names are ignored (they come
// from newer writers); a malformed value or block is DataLoss (the caller
// adds the file and offset).
absl::StatusOr<TableProperties> DecodePropertiesBlock(std::string_view data);

}  // namespace ferrisdb

#endif  // FERRISDB_TABLE_TABLE_PROPERTIES_H_
