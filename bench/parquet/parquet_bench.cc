// parquet_bench: times edgestream's Parquet writer on synthetic readings.
//
// The rows are a pure function of the row index (generator below, mirrored
// exactly by bench/parquet/run.py), so pyarrow can write the very same rows.
// Generation happens before timing; each run times open + append_row for
// every row + close (without fsync, as pyarrow does not fsync either).
// Prints one JSON object: {"rows":N,"bytes":B,"seconds":[...],"cpu_seconds":[...]}
// (wall-clock and process CPU time of each run).
#include <CLI/CLI.hpp>

#include <array>
#include <chrono>
#include <ctime>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "edgestream/parquet/file_writer.h"
#include "edgestream/parquet/schemas.h"

namespace {

using namespace edgestream::parquet;

// splitmix64 (Steele, Lea, Flood 2014) of the row index: a stateless
// pseudo-random stream that Python reproduces bit for bit.
std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

struct Reading {
  std::uint32_t device;
  std::int64_t timestamp_ms;
  double temperature;
  double humidity;
  std::uint8_t status;
};

constexpr std::int64_t kBaseMillis = 1'735'207'200'000;  // 2024-12-26T10:00:00Z
constexpr std::uint64_t kDevices = 500;
const std::array<std::string_view, 3> kStatuses = {"ok", "warn", "error"};

Reading reading(std::uint64_t i) {
  const std::uint64_t x = splitmix64(i);
  Reading r;
  r.device = static_cast<std::uint32_t>(x % kDevices);
  r.timestamp_ms = kBaseMillis + static_cast<std::int64_t>(i) * 3;
  // Two decimals, -10.00 .. 50.00 °C; one division, so both languages round alike.
  r.temperature = static_cast<double>(static_cast<std::int64_t>((x >> 16) % 6001) - 1000) / 100.0;
  r.humidity = static_cast<double>((x >> 32) % 1001) / 10.0;
  const std::uint64_t s = (x >> 48) % 100;
  r.status = s < 90 ? 0 : (s < 98 ? 1 : 2);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Time edgestream's Parquet writer on synthetic readings"};
  std::int64_t rows = 1'000'000;
  int runs = 5;
  std::string output = "parquet_bench.parquet";
  WriterOptions options;
  options.sync_on_close = false;
  bool plain_numbers = false;
  app.add_option("--rows", rows);
  app.add_option("--runs", runs);
  app.add_option("-o,--output", output, "file to write (overwritten each run, kept after the last)");
  app.add_option("--row-group-rows", options.row_group_rows);
  app.add_option("--zstd-level", options.zstd_level);
  app.add_option("--page-bytes", options.page_bytes);
  app.add_flag("--plain-numbers", plain_numbers, "PLAIN instead of dictionary for numeric columns");
  CLI11_PARSE(app, argc, argv);
  options.dictionary_for_numbers = !plain_numbers;

  std::vector<std::string> device_ids;
  for (std::uint64_t d = 0; d < kDevices; ++d) {
    char id[32];
    std::snprintf(id, sizeof id, "device-%04u", static_cast<unsigned>(d));
    device_ids.emplace_back(id);
  }
  std::vector<Reading> data;
  data.reserve(static_cast<std::size_t>(rows));
  for (std::int64_t i = 0; i < rows; ++i) data.push_back(reading(static_cast<std::uint64_t>(i)));

  auto cpu_now = [] {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
  };
  std::vector<double> seconds;
  std::vector<double> cpu_seconds;
  std::int64_t bytes = 0;
  for (int run = 0; run < runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = cpu_now();
    auto writer = FileWriter::open(output, readings_schema(), options);
    if (!writer.ok()) {
      std::fprintf(stderr, "parquet_bench: %s\n", writer.error().message().c_str());
      return 1;
    }
    std::array<Value, 5> row;
    for (const Reading& r : data) {
      row[0] = std::string_view(device_ids[r.device]);
      row[1] = edgestream::EventTime(edgestream::Millis(r.timestamp_ms));
      row[2] = r.temperature;
      row[3] = r.humidity;
      row[4] = kStatuses[r.status];
      if (auto s = writer.value()->append_row(row); !s.ok()) {
        std::fprintf(stderr, "parquet_bench: %s\n", s.error().message().c_str());
        return 1;
      }
    }
    auto stats = writer.value()->close();
    if (!stats.ok()) {
      std::fprintf(stderr, "parquet_bench: %s\n", stats.error().message().c_str());
      return 1;
    }
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    cpu_seconds.push_back(cpu_now() - cpu_start);
    bytes = stats.value().bytes;
  }
  std::printf("{\"rows\":%lld,\"bytes\":%lld,\"seconds\":[", static_cast<long long>(rows),
              static_cast<long long>(bytes));
  for (std::size_t i = 0; i < seconds.size(); ++i) std::printf("%s%.6f", i ? "," : "", seconds[i]);
  std::printf("],\"cpu_seconds\":[");
  for (std::size_t i = 0; i < cpu_seconds.size(); ++i) std::printf("%s%.6f", i ? "," : "", cpu_seconds[i]);
  std::printf("]}\n");
  return 0;
}
