// Micro-benchmark of the processor's per-record work without Kafka:
//   BM_ParseFilterAggregate  parse + validate + filter + window aggregation
//   BM_ParseFilterAggregateEncode  the same plus encoding the output reading
//   BM_ParseOnly             parse + validate alone
// over a generated batch shaped like the simulator's output: 100 devices,
// ~2 % readings with a bad status, ~1 % above 100 °C, event times one second
// apart per device. Each iteration processes the whole batch with fresh
// window state (so no reading is late because of an earlier iteration).
// items_per_second is records per second on one core.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "edgestream/processor/reading.h"
#include "edgestream/processor/windows.h"

namespace {

using namespace edgestream;
using namespace edgestream::processor;

constexpr int kDevices = 100;
constexpr int kRecords = 20'000;
// The processor closes windows once per consumed batch; librdkafka hands out
// a few hundred records per poll at this size.
constexpr int kRecordsPerBatch = 500;

std::vector<std::string> generate_records() {
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> temperature(15.0, 95.0);
  std::uniform_real_distribution<double> humidity(20.0, 80.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_int_distribution<int> millis(0, 999);
  const EventTime start = *parse_rfc3339("2024-12-26T10:00:00Z");
  std::vector<std::string> records;
  records.reserve(kRecords);
  for (int i = 0; i < kRecords; ++i) {
    const int device = i % kDevices;
    const EventTime time = start + std::chrono::seconds{i / kDevices} + Millis{millis(random)};
    const double u = unit(random);
    const char* status = u < 0.02 ? "ERROR" : "OK";
    double t = temperature(random);
    if (u >= 0.02 && u < 0.03) t = 100.5 + (t - 15.0) / 80.0 * 14.0;  // the 1 % in 100.5–114.5 °C
    // Rounded like a sensor would report, written by hand (not by the code
    // under test) in the simulator's field order.
    char text[256];
    std::snprintf(text, sizeof text,
                  R"({"device_id":"device%03d","timestamp":"%s","temperature":%.1f,"humidity":%.1f,"status":"%s"})",
                  device, format_rfc3339(time).c_str(), t, humidity(random), status);
    records.emplace_back(text);
  }
  return records;
}

const std::vector<std::string>& records() {
  static const std::vector<std::string> generated = generate_records();
  return generated;
}

template <bool kEncode>
void run(benchmark::State& state) {
  const auto& input = records();
  RecordParser parser;
  std::string out;
  int64_t kept = 0, dropped = 0, invalid = 0, closed = 0;
  for (auto _ : state) {
    PartitionWindows windows(WindowConfig{});
    for (size_t i = 0; i < input.size(); ++i) {
      ParseResult result = parser.parse(input[i]);
      if (!result.ok) {
        ++invalid;
        continue;
      }
      if (filter(result.reading) != FilterVerdict::kKeep) {
        ++dropped;
        continue;
      }
      ++kept;
      (void)windows.add(result.reading, static_cast<int64_t>(i));
      if constexpr (kEncode) {
        out.clear();
        contract::encode_reading(out, result.reading, contract::ReadingTopic::kProcessedData);
        benchmark::DoNotOptimize(out.data());
      }
      if ((i + 1) % kRecordsPerBatch == 0) closed += static_cast<int64_t>(windows.close_ready().fleet_partials.size());
    }
    benchmark::DoNotOptimize(closed);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(input.size()));
  const double per_iteration = static_cast<double>(state.iterations());
  state.counters["kept_pct"] = 100.0 * static_cast<double>(kept) / per_iteration / kRecords;
  state.counters["dropped_pct"] = 100.0 * static_cast<double>(dropped) / per_iteration / kRecords;
  state.counters["invalid"] = static_cast<double>(invalid);
  state.counters["ns_per_record"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kRecords,
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_ParseFilterAggregate(benchmark::State& state) { run<false>(state); }
void BM_ParseFilterAggregateEncode(benchmark::State& state) { run<true>(state); }

void BM_ParseOnly(benchmark::State& state) {
  const auto& input = records();
  RecordParser parser;
  for (auto _ : state) {
    for (const std::string& record : input) {
      ParseResult result = parser.parse(record);
      benchmark::DoNotOptimize(result.ok);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(input.size()));
}

BENCHMARK(BM_ParseFilterAggregate)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseFilterAggregateEncode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ParseOnly)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
