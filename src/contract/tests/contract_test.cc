// The contract's writers and readers agree: what each encoder writes, the
// matching parser reads back field for field, and the dead-letter reason
// strings are the ones on the wire (docs/data-contract.md). The parsers' edge
// cases are tested where they have always been: src/processor/tests/
// reading_test.cc (raw-data) and src/archiver/tests/record_test.cc (processed-data).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "edgestream/contract/fields.h"
#include "edgestream/contract/invalid_reason.h"
#include "edgestream/contract/partial_batch.h"
#include "edgestream/contract/processed_record.h"
#include "edgestream/contract/reading.h"

namespace edgestream::contract {
namespace {

const EventTime kMinute = EventTime{Millis{1'735'207'200'000}};  // 2024-12-26T10:00:00Z

TEST(InvalidReason, WireStringsAreTheDocumentedOnes) {
  // The strings dashboards, alerts and the dead-letter header use.
  const std::set<std::string> raw_data{"too_large",
                                       "invalid_utf8",
                                       "invalid_json",
                                       "not_an_object",
                                       "missing_field",
                                       "wrong_type",
                                       "invalid_device_id",
                                       "invalid_timestamp",
                                       "non_finite_number",
                                       "humidity_out_of_range",
                                       "temperature_below_absolute_zero",
                                       "partial_batch_undecodable",
                                       "timestamp_in_future"};
  const std::set<std::string> processed_data{
      "too_large",     "invalid_utf8",   "invalid_json",       "not_an_object",       "unknown_type",
      "missing_field", "wrong_type",     "invalid_device_id",  "invalid_timestamp",   "non_finite_number",
      "invalid_count", "invalid_window", "rejected_by_writer", "timestamp_in_future", "dead_letter_rejected"};
  std::set<std::string> seen;
  for (InvalidReason reason : kRawDataInvalidReasons) seen.insert(to_string(reason));
  EXPECT_EQ(seen, raw_data);
  EXPECT_EQ(seen.size(), std::size(kRawDataInvalidReasons)) << "a reason is listed twice";
  seen.clear();
  for (InvalidReason reason : kProcessedDataInvalidReasons) seen.insert(to_string(reason));
  EXPECT_EQ(seen, processed_data);
  EXPECT_EQ(seen.size(), std::size(kProcessedDataInvalidReasons)) << "a reason is listed twice";
  for (std::size_t i = 0; i < kInvalidReasonCount; ++i) {
    EXPECT_STRNE(to_string(static_cast<InvalidReason>(i)), "unknown") << i;
  }
}

TEST(Reading, RawDataEncodingParsesBackAndHasNoType) {
  const Reading in{"device\"7", kMinute, 72.5, 55.25, "OK"};
  std::string raw;
  encode_reading(raw, in, ReadingTopic::kRawData);
  EXPECT_EQ(raw, R"({"device_id":"device\"7","timestamp":"2024-12-26T10:00:00Z","temperature":72.5,)"
                 R"("humidity":55.25,"status":"OK"})");
  ReadingParser parser;
  const auto parsed = parser.parse(raw);
  ASSERT_TRUE(parsed.ok) << parsed.detail;
  EXPECT_EQ(parsed.reading.device_id, "device\"7");
  EXPECT_EQ(parsed.reading.timestamp, kMinute);
  EXPECT_EQ(parsed.reading.temperature, 72.5);
  EXPECT_EQ(parsed.reading.humidity, 55.25);
  EXPECT_EQ(parsed.reading.status, "OK");
}

TEST(Reading, ProcessedDataEncodingIsReadByTheProcessedRecordParser) {
  const Reading in{"device001", kMinute + Millis{250}, -3.5, 0, "OK"};
  std::string text;
  encode_reading(text, in, ReadingTopic::kProcessedData);
  ProcessedRecordParser parser;
  const auto parsed = parser.parse(text);
  ASSERT_TRUE(parsed.ok) << parsed.detail;
  EXPECT_EQ(parsed.record.kind, RecordKind::kReading);
  EXPECT_EQ(parsed.record.device_id, "device001");
  EXPECT_EQ(parsed.record.event_time, kMinute + Millis{250});
  EXPECT_EQ(parsed.record.temperature, -3.5);
  EXPECT_EQ(parsed.record.humidity, 0);
  EXPECT_EQ(parsed.record.status, "OK");
}

TEST(ProcessedRecord, EveryAggregateKindParsesBack) {
  Aggregate aggregate;
  aggregate.window_start = kMinute;
  aggregate.add(10);
  aggregate.add(20);
  aggregate.add(33);
  ProcessedRecordParser parser;

  std::string text;
  encode_aggregate(text, aggregate, std::chrono::minutes(1));
  auto parsed = parser.parse(text);
  ASSERT_TRUE(parsed.ok) << parsed.detail;
  EXPECT_EQ(parsed.record.kind, RecordKind::kAggregate);
  EXPECT_EQ(parsed.record.event_time, kMinute);
  EXPECT_EQ(parsed.record.count, 3);
  EXPECT_EQ(parsed.record.temperature, 21.0);  // (10 + 20 + 33) / 3
  EXPECT_EQ(parsed.record.min, 10);
  EXPECT_EQ(parsed.record.max, 33);

  text.clear();
  encode_device_aggregate(text, "device042", aggregate, std::chrono::minutes(1));
  parsed = parser.parse(text);
  ASSERT_TRUE(parsed.ok) << parsed.detail;
  EXPECT_EQ(parsed.record.kind, RecordKind::kDeviceAggregate);
  EXPECT_EQ(parsed.record.device_id, "device042");
  EXPECT_EQ(parsed.record.count, 3);

  text.clear();
  encode_aggregate_correction(text, aggregate, std::chrono::minutes(1));
  parsed = parser.parse(text);
  ASSERT_TRUE(parsed.ok) << parsed.detail;
  EXPECT_EQ(parsed.record.kind, RecordKind::kAggregateCorrection);
  EXPECT_EQ(parsed.record.temperature_sum, 63);
  EXPECT_EQ(parsed.record.count, 3);
  EXPECT_EQ(parsed.record.min, 10);
  EXPECT_EQ(parsed.record.max, 33);
}

TEST(ProcessedRecord, KindNamesAreTheTypeFieldValues) {
  EXPECT_EQ(to_string(RecordKind::kReading), type::kReading);
  EXPECT_EQ(to_string(RecordKind::kAggregate), type::kAggregate);
  EXPECT_EQ(to_string(RecordKind::kDeviceAggregate), type::kDeviceAggregate);
  EXPECT_EQ(to_string(RecordKind::kAggregateCorrection), type::kAggregateCorrection);
}

TEST(Limits, BothParsersRefuseTheSameOversizedPayload) {
  const std::string payload(kMaxRecordBytes + 1, ' ');
  ReadingParser readings;
  ProcessedRecordParser records;
  EXPECT_EQ(readings.parse(payload).reason, InvalidReason::kTooLarge);
  EXPECT_EQ(records.parse(payload).reason, InvalidReason::kTooLarge);
}

TEST(PartialBatch, RoundTripsWithTheCoveredOffset) {
  Aggregate window;
  window.window_start = kMinute;
  window.add(1.5);
  const PartialBatch in{3, kMinute + Millis{5'000}, {window}, 4711};
  const auto out = decode_partial_batch(encode_partial_batch(in));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->partition, 3);
  EXPECT_EQ(out->watermark, kMinute + Millis{5'000});
  ASSERT_EQ(out->windows.size(), 1U);
  EXPECT_EQ(out->windows[0].sum, 1.5);
  EXPECT_EQ(out->covered_offset, 4711);
}

}  // namespace
}  // namespace edgestream::contract
