// parquet_write_tool: writes stdin's rows into a Parquet file with
// edgestream's writer. Used by the round-trip tests (which read the file back
// with pyarrow and DuckDB) and handy for producing sample files by hand.
//
// Input: JSON lines, one JSON array per row, values in column order:
//   string       -> JSON string
//   timestamp_ms -> integer milliseconds since the Unix epoch (UTC)
//   double       -> JSON number, or "NaN", "Infinity", "-Infinity"
//   int64        -> JSON integer
// Output (stdout, on success): {"rows":N,"row_groups":N,"bytes":N}
// Exit status: 0 written, 1 bad input or write failure, 2 bad usage.
#include <CLI/CLI.hpp>
#include <simdjson.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "edgestream/parquet/file_writer.h"
#include "edgestream/parquet/schemas.h"

namespace {

using edgestream::EventTime;
using edgestream::Millis;
using edgestream::Result;
using namespace edgestream::parquet;

Result<Schema> schema_from_flags(const std::string& name, const std::string& columns) {
  if (!columns.empty()) {
    std::vector<Column> list;
    std::size_t start = 0;
    while (start <= columns.size()) {
      std::size_t comma = columns.find(',', start);
      if (comma == std::string::npos) comma = columns.size();
      const std::string item = columns.substr(start, comma - start);
      const std::size_t colon = item.rfind(':');
      if (colon == std::string::npos) {
        return edgestream::Error(edgestream::ErrorKind::kInvalidConfig,
                                 "--columns item '" + item + "' is not NAME:TYPE");
      }
      const std::string type = item.substr(colon + 1);
      ColumnType column_type;
      if (type == "string") {
        column_type = ColumnType::kString;
      } else if (type == "timestamp_ms") {
        column_type = ColumnType::kTimestampMillis;
      } else if (type == "double") {
        column_type = ColumnType::kDouble;
      } else if (type == "int64") {
        column_type = ColumnType::kInt64;
      } else {
        return edgestream::Error(edgestream::ErrorKind::kInvalidConfig,
                                 "--columns type '" + type + "' is not string|timestamp_ms|double|int64");
      }
      list.push_back({item.substr(0, colon), column_type});
      start = comma + 1;
    }
    return Schema::create(std::move(list));
  }
  if (name == "aggregates") return aggregates_schema();
  if (name == "readings") return readings_schema();
  if (name == "device_aggregates") return device_aggregates_schema();
  if (name == "aggregate_corrections") return aggregate_corrections_schema();
  return edgestream::Error(edgestream::ErrorKind::kInvalidConfig,
                           "--schema '" + name +
                               "' is not aggregates|readings|device_aggregates|aggregate_corrections");
}

// Parses one element into value; returns an error text or "".
std::string parse_value(simdjson::ondemand::value element, ColumnType type, Value& value) {
  switch (type) {
    case ColumnType::kString: {
      std::string_view text;
      if (element.get_string().get(text) != simdjson::SUCCESS) return "expected a string";
      value = text;
      return "";
    }
    case ColumnType::kTimestampMillis: {
      std::int64_t millis;
      if (element.get_int64().get(millis) != simdjson::SUCCESS) return "expected integer milliseconds";
      value = EventTime(Millis(millis));
      return "";
    }
    case ColumnType::kDouble: {
      simdjson::ondemand::json_type json_type;
      if (element.type().get(json_type) != simdjson::SUCCESS) return "unreadable value";
      if (json_type == simdjson::ondemand::json_type::string) {
        std::string_view text;
        if (element.get_string().get(text) != simdjson::SUCCESS) return "unreadable string";
        if (text == "NaN") {
          value = std::numeric_limits<double>::quiet_NaN();
        } else if (text == "Infinity") {
          value = std::numeric_limits<double>::infinity();
        } else if (text == "-Infinity") {
          value = -std::numeric_limits<double>::infinity();
        } else {
          return "expected a number, NaN, Infinity or -Infinity";
        }
        return "";
      }
      double number;
      if (element.get_double().get(number) != simdjson::SUCCESS) return "expected a number";
      value = number;
      return "";
    }
    case ColumnType::kInt64: {
      std::int64_t number;
      if (element.get_int64().get(number) != simdjson::SUCCESS) return "expected a 64-bit integer";
      value = number;
      return "";
    }
  }
  return "unknown column type";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Write JSON-lines rows from stdin into a Parquet file"};
  std::string output;
  std::string schema_name = "readings";
  std::string columns;
  std::string codec = "zstd";
  WriterOptions options;
  bool no_sync = false;
  bool plain_numbers = false;
  app.add_option("-o,--output", output, "Parquet file to write")->required();
  app.add_option("--schema", schema_name, "aggregates|readings|device_aggregates|aggregate_corrections");
  app.add_option("--columns", columns, "custom schema: NAME:TYPE,... (overrides --schema)");
  app.add_option("--codec", codec, "zstd|snappy|none");
  app.add_option("--zstd-level", options.zstd_level, "zstd level (1..22)");
  app.add_option("--row-group-rows", options.row_group_rows, "rows per row group");
  app.add_option("--page-bytes", options.page_bytes, "target data page size");
  app.add_option("--dictionary-limit", options.dictionary_page_limit, "dictionary page byte limit");
  app.add_flag("--plain-numbers", plain_numbers, "do not dictionary-encode numeric columns");
  app.add_flag("--no-sync", no_sync, "skip fsync on close");
  CLI11_PARSE(app, argc, argv);
  options.sync_on_close = !no_sync;
  options.dictionary_for_numbers = !plain_numbers;
  if (codec == "zstd") {
    options.codec = Codec::kZstd;
  } else if (codec == "snappy") {
    options.codec = Codec::kSnappy;
  } else if (codec == "none") {
    options.codec = Codec::kUncompressed;
  } else {
    std::cerr << "parquet_write_tool: --codec '" << codec << "' is not zstd|snappy|none\n";
    return 2;
  }

  Result<Schema> schema = schema_from_flags(schema_name, columns);
  if (!schema.ok()) {
    std::cerr << "parquet_write_tool: " << schema.error().message() << '\n';
    return 2;
  }
  const Schema resolved = schema.value();

  // Read stdin with fread: GCC 12 at -O3 reports a false null dereference
  // inside istreambuf_iterator, and warnings are errors.
  std::string input;
  {
    char chunk[1 << 16];
    std::size_t got = 0;
    while ((got = std::fread(chunk, 1, sizeof chunk, stdin)) > 0) input.append(chunk, got);
    if (std::ferror(stdin)) {
      std::cerr << "parquet_write_tool: reading stdin failed\n";
      return 1;
    }
  }
  const std::size_t input_size = input.size();
  input.resize(input_size + simdjson::SIMDJSON_PADDING);  // simdjson reads past the end

  auto writer = FileWriter::open(output, resolved, options);
  if (!writer.ok()) {
    std::cerr << "parquet_write_tool: " << writer.error().message() << '\n';
    return 1;
  }
  simdjson::ondemand::parser parser;
  std::vector<Value> row(resolved.size());
  std::size_t line_number = 0;
  std::size_t start = 0;
  while (start < input_size) {
    std::size_t end = input.find('\n', start);
    if (end == std::string::npos || end > input_size) end = input_size;
    ++line_number;
    const std::string_view line(input.data() + start, end - start);
    const std::size_t capacity = input.size() - start;
    start = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;

    auto fail = [&](const std::string& why) {
      std::cerr << "parquet_write_tool: line " << line_number << ": " << why << '\n';
      return 1;
    };
    simdjson::ondemand::document document;
    if (parser.iterate(line.data(), line.size(), capacity).get(document) != simdjson::SUCCESS) {
      return fail("not JSON");
    }
    simdjson::ondemand::array array;
    if (document.get_array().get(array) != simdjson::SUCCESS) return fail("expected a JSON array");
    std::size_t column = 0;
    for (auto element : array) {
      simdjson::ondemand::value value;
      if (element.get(value) != simdjson::SUCCESS) return fail("malformed array");
      if (column >= resolved.size()) return fail("more values than columns");
      if (std::string why = parse_value(value, resolved[column].type, row[column]); !why.empty()) {
        return fail("column '" + resolved[column].name + "': " + why);
      }
      ++column;
    }
    if (column != resolved.size()) return fail("fewer values than columns");
    if (auto appended = writer.value()->append_row(row); !appended.ok()) {
      return fail(appended.error().message());
    }
  }
  Result<FileStats> stats = writer.value()->close();
  if (!stats.ok()) {
    std::cerr << "parquet_write_tool: " << stats.error().message() << '\n';
    return 1;
  }
  std::printf("{\"rows\":%lld,\"row_groups\":%lld,\"bytes\":%lld}\n", static_cast<long long>(stats.value().rows),
              static_cast<long long>(stats.value().row_groups), static_cast<long long>(stats.value().bytes));
  return 0;
}
