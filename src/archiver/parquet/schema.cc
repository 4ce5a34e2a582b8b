#include "edgestream/parquet/schema.h"

#include <unordered_set>

#include "utf8.h"

namespace edgestream::parquet {

static_assert(std::variant_size_v<Value> == 4);
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(ColumnType::kString), Value>,
                             std::string_view>);
static_assert(std::is_same_v<
              std::variant_alternative_t<static_cast<std::size_t>(ColumnType::kTimestampMillis), Value>,
              EventTime>);
static_assert(
    std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(ColumnType::kDouble), Value>, double>);
static_assert(std::is_same_v<std::variant_alternative_t<static_cast<std::size_t>(ColumnType::kInt64), Value>,
                             std::int64_t>);

const char* to_string(ColumnType type) {
  switch (type) {
    case ColumnType::kString: return "string";
    case ColumnType::kTimestampMillis: return "timestamp_ms";
    case ColumnType::kDouble: return "double";
    case ColumnType::kInt64: return "int64";
  }
  return "unknown";
}

Result<Schema> Schema::create(std::vector<Column> columns) {
  if (columns.empty()) {
    return Error(ErrorKind::kInvalidConfig, "Parquet schema has no columns; give it at least one");
  }
  if (columns.size() > kMaxColumns) {
    return Error(ErrorKind::kInvalidConfig, "Parquet schema has " + std::to_string(columns.size()) +
                                                " columns, more than the supported " +
                                                std::to_string(kMaxColumns));
  }
  std::unordered_set<std::string_view> names;
  for (const Column& column : columns) {
    if (column.name.empty()) {
      return Error(ErrorKind::kInvalidConfig, "Parquet schema has a column with an empty name");
    }
    if (!is_valid_utf8(column.name)) {
      return Error(ErrorKind::kInvalidConfig, "Parquet column name is not valid UTF-8");
    }
    if (!names.insert(column.name).second) {
      return Error(ErrorKind::kInvalidConfig,
                   "Parquet schema names column '" + column.name + "' twice; names must be unique");
    }
  }
  return Schema(std::move(columns));
}

}  // namespace edgestream::parquet
