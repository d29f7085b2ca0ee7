#include "table/table_properties.h"

#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "table/block.h"
#include "table/block_builder.h"
#include "util/coding.h"

namespace ferrisdb {
namespace {

// sstable.md "Properties block": names and value encodings. Sorted by name,
// which is the order the block stores them in.
enum class Kind { kVarint, kString };
struct Field {
  const char* name;
  Kind kind;
  uint64_t TableProperties::*number;
  std::string TableProperties::*text;
};

constexpr Field kFields[] = {
    {"ferrisdb.compression", Kind::kVarint, nullptr, nullptr},
    {"ferrisdb.creation_time", Kind::kVarint, &TableProperties::creation_time,
     nullptr},
    {"ferrisdb.data_size", Kind::kVarint, &TableProperties::data_size, nullptr},
    {"ferrisdb.filter_size", Kind::kVarint, &TableProperties::filter_size,
     nullptr},
    {"ferrisdb.format_version", Kind::kVarint, nullptr, nullptr},
    {"ferrisdb.index_size", Kind::kVarint, &TableProperties::index_size,
     nullptr},
    {"ferrisdb.largest_sequence", Kind::kVarint,
     &TableProperties::largest_sequence, nullptr},
    {"ferrisdb.largest_user_key", Kind::kString, nullptr,
     &TableProperties::largest_user_key},
    {"ferrisdb.num_data_blocks", Kind::kVarint,
     &TableProperties::num_data_blocks, nullptr},
    {"ferrisdb.num_deletions", Kind::kVarint, &TableProperties::num_deletions,
     nullptr},
    {"ferrisdb.num_entries", Kind::kVarint, &TableProperties::num_entries,
     nullptr},
    {"ferrisdb.raw_key_size", Kind::kVarint, &TableProperties::raw_key_size,
     nullptr},
    {"ferrisdb.raw_value_size", Kind::kVarint, &TableProperties::raw_value_size,
     nullptr},
    {"ferrisdb.smallest_sequence", Kind::kVarint,
     &TableProperties::smallest_sequence, nullptr},
    {"ferrisdb.smallest_user_key", Kind::kString, nullptr,
     &TableProperties::smallest_user_key},
};

bool IsName(const Field& f, std::string_view name) { return name == f.name; }

uint64_t GetNumber(const TableProperties& p, const Field& f) {
  if (f.number != nullptr) return p.*(f.number);
  if (IsName(f, "ferrisdb.compression")) {
    return static_cast<uint8_t>(p.compression);
  }
  return p.format_version;
}

}  // namespace

std::string EncodePropertiesBlock(const TableProperties& props) {
  BlockBuilder builder(/*restart_interval=*/1);
  std::string value;
  for (const Field& f : kFields) {
    value.clear();
    if (f.kind == Kind::kVarint) {
      PutVarint64(&value, GetNumber(props, f));
    } else {
      value = props.*(f.text);
    }
    builder.Add(f.name, value);
  }
  return std::string(builder.Finish());
}

absl::StatusOr<TableProperties> DecodePropertiesBlock(std::string_view data) {
  BlockContents contents;
  contents.owned = std::make_unique_for_overwrite<char[]>(data.size() + 1);
  if (!data.empty())
    std::memcpy(contents.owned.get(), data.data(), data.size());
  contents.data = std::string_view(contents.owned.get(), data.size());
  absl::StatusOr<Block> block = Block::Create(std::move(contents));
  if (!block.ok()) return block.status();
  TableProperties props;
  BlockIter it(&*block, BlockKeyOrder::kBytewise);
  for (it.SeekToFirst(); it.Valid(); it.Next()) {
    for (const Field& f : kFields) {
      if (!IsName(f, it.key())) continue;
      if (f.kind == Kind::kString) {
        props.*(f.text) = std::string(it.value());
        break;
      }
      std::string_view in = it.value();
      uint64_t v = 0;
      if (!GetVarint64(&in, &v) || !in.empty()) {
        return absl::DataLossError(
            absl::StrCat("malformed table property ", f.name));
      }
      if (f.number != nullptr) {
        props.*(f.number) = v;
      } else if (IsName(f, "ferrisdb.compression")) {
        if (v > static_cast<uint8_t>(CompressionType::kZstd)) {
          return absl::DataLossError("unknown compression in properties");
        }
        props.compression = static_cast<CompressionType>(v);
      } else {
        if (v > UINT32_MAX) {
          return absl::DataLossError("format version out of range");
        }
        props.format_version = static_cast<uint32_t>(v);
      }
      break;
    }
  }
  if (!it.status().ok()) return it.status();
  return props;
}

}  // namespace ferrisdb
