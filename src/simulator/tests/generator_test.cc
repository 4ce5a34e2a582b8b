#include "edgestream/simulator/generator.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <map>
#include <set>

namespace edgestream::simulator {
namespace {

EventTime at_seconds(int64_t seconds) { return EventTime{std::chrono::seconds{seconds}}; }

TEST(DeviceId, ZeroPaddedToTheLargestIndex) {
  EXPECT_EQ(device_id(7, 100), "device007");
  EXPECT_EQ(device_id(123, 1000), "device123");
  EXPECT_EQ(device_id(42, 5000), "device0042");
}

TEST(TelemetryGenerator, DevicesReportRoundRobin) {
  TelemetryGenerator generator({.devices = 5, .seed = 1});
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.emplace_back(generator.next(at_seconds(0)).device_id);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(ids[static_cast<size_t>(i)], ids[static_cast<size_t>(i + 5)]);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 5u);
}

TEST(TelemetryGenerator, ValuesArePlausibleAndSharesMatchConfig) {
  GeneratorConfig config{.devices = 100, .bad_status_share = 0.05, .over_limit_share = 0.02, .seed = 7};
  TelemetryGenerator generator(config);
  constexpr int kReadings = 200'000;
  int bad_status = 0, over_limit = 0;
  for (int i = 0; i < kReadings; ++i) {
    Telemetry t = generator.next(at_seconds(1'735'207'200 + i / 100));
    ASSERT_GE(t.humidity, 0.0);
    ASSERT_LE(t.humidity, 100.0);
    ASSERT_TRUE(std::isfinite(t.temperature));
    if (t.status != "OK") {
      ++bad_status;
    } else if (t.temperature > 100.0) {
      ++over_limit;
    } else {
      // The random walk stays in a plausible band around its baseline (55–85 °C).
      ASSERT_GT(t.temperature, 20.0);
    }
  }
  // Binomial standard deviation at these sizes is ~0.05 percentage points;
  // the tolerance is ten of them.
  EXPECT_NEAR(bad_status / double(kReadings), 0.05, 0.005);
  EXPECT_NEAR(over_limit / double(kReadings), 0.02 * 0.95, 0.005);
}

TEST(TelemetryGenerator, TimestampsAreWholeSeconds) {
  TelemetryGenerator generator({.devices = 3, .seed = 3});
  EventTime now{Millis{1'735'207'200'789}};
  EXPECT_EQ(generator.next(now).timestamp, EventTime{Millis{1'735'207'200'000}});
}

TEST(TelemetryGenerator, SameSeedSameSequence) {
  TelemetryGenerator a({.devices = 10, .seed = 99});
  TelemetryGenerator b({.devices = 10, .seed = 99});
  for (int i = 0; i < 1000; ++i) {
    auto x = a.next(at_seconds(i));
    auto y = b.next(at_seconds(i));
    ASSERT_EQ(x.temperature, y.temperature);
    ASSERT_EQ(x.status, y.status);
  }
}

TEST(EncodeTelemetry, MatchesTheWireSchemaExactly) {
  Telemetry t{.device_id = "device123",
              .timestamp = EventTime{std::chrono::seconds{1'735'207'200}},
              .temperature = 72.5,
              .humidity = 55.2,
              .status = "OK"};
  std::string out;
  contract::encode_reading(out, t, contract::ReadingTopic::kRawData);
  EXPECT_EQ(out,
            R"({"device_id":"device123","timestamp":"2024-12-26T10:00:00Z","temperature":72.5,"humidity":55.2,"status":"OK"})");
}

TEST(EncodeTelemetry, GeneratedRecordsParseBackToTheSameValues) {
  TelemetryGenerator generator({.devices = 50, .bad_status_share = 0.1, .over_limit_share = 0.1, .seed = 5});
  simdjson::dom::parser parser;
  for (int i = 0; i < 5000; ++i) {
    Telemetry t = generator.next(at_seconds(1'735'207'200 + i));
    std::string out;
    contract::encode_reading(out, t, contract::ReadingTopic::kRawData);
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(out).get(doc), simdjson::SUCCESS) << out;
    EXPECT_EQ(std::string_view(doc["device_id"]), t.device_id);
    EXPECT_EQ(double(doc["temperature"]), t.temperature);
    EXPECT_EQ(double(doc["humidity"]), t.humidity);
    EXPECT_EQ(std::string_view(doc["status"]), t.status);
    EXPECT_EQ(doc.get_object().size(), 5u);
  }
}

}  // namespace
}  // namespace edgestream::simulator
