#include "edgestream/parquet/schemas.h"

#include <cstdlib>
#include <iostream>

namespace edgestream::parquet {
namespace {

// The schemas are compile-time constants: a failure here is a bug in this
// file, caught by the first unit test that touches it.
Schema make(std::vector<Column> columns) {
  Result<Schema> schema = Schema::create(std::move(columns));
  if (!schema.ok()) {
    std::cerr << "edgestream: built-in Parquet schema is invalid: " << schema.error().message() << '\n';
    std::abort();
  }
  return std::move(schema).value();
}

}  // namespace

const Schema& aggregates_schema() {
  static const Schema schema = make({
      {"Timestamp", ColumnType::kTimestampMillis},
      {"Temperature", ColumnType::kDouble},
      {"Count", ColumnType::kInt64},
      {"Min", ColumnType::kDouble},
      {"Max", ColumnType::kDouble},
  });
  return schema;
}

const Schema& readings_schema() {
  static const Schema schema = make({
      {"DeviceId", ColumnType::kString},
      {"Timestamp", ColumnType::kTimestampMillis},
      {"Temperature", ColumnType::kDouble},
      {"Humidity", ColumnType::kDouble},
      {"Status", ColumnType::kString},
  });
  return schema;
}

const Schema& device_aggregates_schema() {
  static const Schema schema = make({
      {"DeviceId", ColumnType::kString},
      {"Timestamp", ColumnType::kTimestampMillis},
      {"Temperature", ColumnType::kDouble},
      {"Count", ColumnType::kInt64},
      {"Min", ColumnType::kDouble},
      {"Max", ColumnType::kDouble},
  });
  return schema;
}

const Schema& aggregate_corrections_schema() {
  static const Schema schema = make({
      {"Timestamp", ColumnType::kTimestampMillis},
      {"TemperatureSum", ColumnType::kDouble},
      {"Count", ColumnType::kInt64},
      {"Min", ColumnType::kDouble},
      {"Max", ColumnType::kDouble},
  });
  return schema;
}

}  // namespace edgestream::parquet
