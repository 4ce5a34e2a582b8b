// Schema and cell values of the Parquet files edgestream writes.
//
// The writer supports exactly the four column types the archiver needs; every
// column is REQUIRED (no nulls), which is what the archiver's schemas are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "edgestream/common/status.h"
#include "edgestream/common/timestamp.h"

namespace edgestream::parquet {

// The enumerator order matches the alternative order of Value below, so a
// value's variant index is its column type (checked by a static_assert).
enum class ColumnType : std::uint8_t {
  kString,           // BYTE_ARRAY, logical STRING (converted UTF8); must be valid UTF-8
  kTimestampMillis,  // INT64, logical TIMESTAMP(isAdjustedToUTC=true, unit=MILLIS)
  kDouble,           // DOUBLE
  kInt64,            // INT64
};

const char* to_string(ColumnType type);

// One cell. A string_view must stay valid only until append_row() returns:
// the writer copies what it keeps.
using Value = std::variant<std::string_view, EventTime, double, std::int64_t>;

struct Column {
  std::string name;
  ColumnType type;
};

// An ordered, validated list of columns. Immutable once created.
class Schema {
 public:
  // Rejects an empty column list, empty or duplicate names, names that are
  // not valid UTF-8, and more than kMaxColumns columns.
  static Result<Schema> create(std::vector<Column> columns);

  const std::vector<Column>& columns() const { return columns_; }
  std::size_t size() const { return columns_.size(); }
  const Column& operator[](std::size_t index) const { return columns_[index]; }

  // Generous for telemetry schemas, and keeps per-row work and the footer small.
  static constexpr std::size_t kMaxColumns = 1024;

 private:
  explicit Schema(std::vector<Column> columns) : columns_(std::move(columns)) {}
  std::vector<Column> columns_;
};

}  // namespace edgestream::parquet
