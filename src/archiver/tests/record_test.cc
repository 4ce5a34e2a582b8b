// The record parser: a table of valid and invalid records of each type, with
// the reason each invalid one must be dead-lettered for.
#include "edgestream/archiver/record.h"

#include <gtest/gtest.h>

#include <string>

namespace edgestream::archiver {
namespace {

EventTime at(const char* text) { return parse_rfc3339(text).value(); }

TEST(RecordParser, Reading) {
  RecordParser parser;
  auto result = parser.parse(
      R"({"type":"reading","device_id":"device123","timestamp":"2024-12-26T10:00:00Z","temperature":72.5,"humidity":55.2,"status":"OK"})");
  ASSERT_TRUE(result.ok) << result.detail;
  EXPECT_EQ(result.record.kind, RecordKind::kReading);
  EXPECT_EQ(result.record.device_id, "device123");
  EXPECT_EQ(result.record.event_time, at("2024-12-26T10:00:00Z"));
  EXPECT_EQ(result.record.temperature, 72.5);
  EXPECT_EQ(result.record.humidity, 55.2);
  EXPECT_EQ(result.record.status, "OK");
}

TEST(RecordParser, Aggregate) {
  RecordParser parser;
  auto result = parser.parse(
      R"({"type":"aggregate","window_start":"2024-12-26T10:00:00Z","window_end":"2024-12-26T10:01:00Z","temperature_avg":71.9,"count":6000,"temperature_min":60.1,"temperature_max":99.7})");
  ASSERT_TRUE(result.ok) << result.detail;
  EXPECT_EQ(result.record.kind, RecordKind::kAggregate);
  EXPECT_EQ(result.record.event_time, at("2024-12-26T10:00:00Z"));
  EXPECT_EQ(result.record.temperature, 71.9);
  EXPECT_EQ(result.record.count, 6000);
  EXPECT_EQ(result.record.min, 60.1);
  EXPECT_EQ(result.record.max, 99.7);
}

TEST(RecordParser, DeviceAggregate) {
  RecordParser parser;
  auto result = parser.parse(
      R"({"type":"device_aggregate","device_id":"d-7","window_start":"2024-12-26T10:01:00Z","window_end":"2024-12-26T10:02:00Z","temperature_avg":-3.5,"count":1,"temperature_min":-4,"temperature_max":-3})");
  ASSERT_TRUE(result.ok) << result.detail;
  EXPECT_EQ(result.record.kind, RecordKind::kDeviceAggregate);
  EXPECT_EQ(result.record.device_id, "d-7");
  EXPECT_EQ(result.record.event_time, at("2024-12-26T10:01:00Z"));
  EXPECT_EQ(result.record.temperature, -3.5);
  EXPECT_EQ(result.record.count, 1);
  EXPECT_EQ(result.record.min, -4.0);
  EXPECT_EQ(result.record.max, -3.0);
}

TEST(RecordParser, AggregateCorrection) {
  // The processor's encoding (src/processor/windows.cc): a sum, not an average.
  RecordParser parser;
  auto result = parser.parse(
      R"({"type":"aggregate_correction","window_start":"2024-12-26T10:00:00Z","window_end":"2024-12-26T10:01:00Z","count":1900,"temperature_sum":136648.2,"temperature_min":60.4,"temperature_max":99.1})");
  ASSERT_TRUE(result.ok) << result.detail;
  EXPECT_EQ(result.record.kind, RecordKind::kAggregateCorrection);
  EXPECT_EQ(result.record.event_time, at("2024-12-26T10:00:00Z"));
  EXPECT_EQ(result.record.temperature_sum, 136648.2);
  EXPECT_EQ(result.record.count, 1900);
  EXPECT_EQ(result.record.min, 60.4);
  EXPECT_EQ(result.record.max, 99.1);
  EXPECT_TRUE(result.record.device_id.empty());
}

TEST(RecordParser, AggregateCorrectionIgnoresAnAverageAndADeviceId) {
  // Fields of other types do not matter, as for the other kinds: a
  // temperature_avg of the wrong type is neither required nor read.
  RecordParser parser;
  auto result = parser.parse(
      R"({"type":"aggregate_correction","device_id":7,"temperature_avg":"x","window_start":"2024-12-26T10:00:00Z","window_end":"2024-12-26T10:01:00Z","count":1,"temperature_sum":-3.5,"temperature_min":-3.5,"temperature_max":-3.5})");
  ASSERT_TRUE(result.ok) << result.detail;
  EXPECT_EQ(result.record.temperature_sum, -3.5);
  EXPECT_EQ(result.record.count, 1);
}

TEST(RecordParser, FieldOrderExtraFieldsEscapesAndOffsetsAreAccepted) {
  RecordParser parser;
  auto result = parser.parse(
      R"( {"status":"OK","humidity":0,"extra":{"nested":[1,2,{"x":null}]},"temperature":1e2,)"
      R"("timestamp":"2024-12-26T12:00:00.250+02:00","device_id":"dev\u00e9\"q","type":"reading"} )");
  ASSERT_TRUE(result.ok) << result.detail;
  EXPECT_EQ(result.record.device_id, "dev\xc3\xa9\"q");
  EXPECT_EQ(result.record.event_time, at("2024-12-26T10:00:00.250Z"));
  EXPECT_EQ(result.record.temperature, 100.0);
}

TEST(RecordParser, FirstOccurrenceOfARepeatedFieldWins) {
  RecordParser parser;
  auto result = parser.parse(
      R"({"type":"reading","device_id":"a","device_id":"b","timestamp":"2024-12-26T10:00:00Z","temperature":1,"humidity":2,"status":"OK"})");
  ASSERT_TRUE(result.ok) << result.detail;
  EXPECT_EQ(result.record.device_id, "a");
}

TEST(RecordParser, ParserIsReusableAcrossRecordsOfDifferentSizes) {
  RecordParser parser;
  const std::string big_extra(5000, 'x');
  auto first = parser.parse(R"({"type":"aggregate","window_start":"2024-12-26T10:00:00Z","window_end":"2024-12-26T10:01:00Z","temperature_avg":1,"count":2,"temperature_min":0,"temperature_max":2,"pad":")" + big_extra + R"("})");
  ASSERT_TRUE(first.ok) << first.detail;
  auto second = parser.parse(R"({"type":"reading","device_id":"z","timestamp":"2024-12-26T10:00:00Z","temperature":5,"humidity":6,"status":"OK"})");
  ASSERT_TRUE(second.ok) << second.detail;
  EXPECT_EQ(second.record.device_id, "z");
}

struct InvalidCase {
  const char* name;
  std::string payload;
  InvalidReason reason;
};

class InvalidRecord : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidRecord, IsRejectedWithItsReason) {
  RecordParser parser;
  auto result = parser.parse(GetParam().payload);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(to_string(result.reason), std::string(to_string(GetParam().reason))) << result.detail;
  EXPECT_FALSE(result.detail.empty());
}

const std::string kReadingTail =
    R"("timestamp":"2024-12-26T10:00:00Z","temperature":72.5,"humidity":55.2,"status":"OK"})";
const std::string kWindow =
    R"("window_start":"2024-12-26T10:00:00Z","window_end":"2024-12-26T10:01:00Z",)";

INSTANTIATE_TEST_SUITE_P(
    Table, InvalidRecord,
    ::testing::Values(
        InvalidCase{"too_large", std::string(kMaxRecordBytes + 1, ' '), InvalidReason::kTooLarge},
        InvalidCase{"bad_utf8", "{\"type\":\"reading\xff\"}", InvalidReason::kInvalidUtf8},
        InvalidCase{"empty", "", InvalidReason::kInvalidJson},
        InvalidCase{"truncated", R"({"type":"reading","device_id":"d")", InvalidReason::kInvalidJson},
        InvalidCase{"garbage", "not json at all", InvalidReason::kInvalidJson},
        InvalidCase{"trailing", R"({"type":"reading"} x)", InvalidReason::kInvalidJson},
        InvalidCase{"bad_unknown_value", R"({"type":"reading","junk":[1,,2]})", InvalidReason::kInvalidJson},
        InvalidCase{"bad_number", R"({"type":"reading","device_id":"d",)"
                                  R"("timestamp":"2024-12-26T10:00:00Z","temperature":01,"humidity":5,"status":"OK"})",
                    InvalidReason::kInvalidJson},
        InvalidCase{"array", "[1,2]", InvalidReason::kNotAnObject},
        InvalidCase{"string", R"("reading")", InvalidReason::kNotAnObject},
        InvalidCase{"null", "null", InvalidReason::kNotAnObject},
        InvalidCase{"no_type", R"({"device_id":"d",)" + kReadingTail, InvalidReason::kMissingField},
        InvalidCase{"type_not_string", R"({"type":1,"device_id":"d",)" + kReadingTail, InvalidReason::kWrongType},
        InvalidCase{"unknown_type", R"({"type":"raw","device_id":"d",)" + kReadingTail, InvalidReason::kUnknownType},
        InvalidCase{"reading_no_device", R"({"type":"reading",)" + kReadingTail, InvalidReason::kMissingField},
        InvalidCase{"reading_no_status", R"({"type":"reading","device_id":"d","timestamp":"2024-12-26T10:00:00Z","temperature":1,"humidity":2})",
                    InvalidReason::kMissingField},
        InvalidCase{"reading_temp_string", R"({"type":"reading","device_id":"d","timestamp":"2024-12-26T10:00:00Z","temperature":"72","humidity":2,"status":"OK"})",
                    InvalidReason::kWrongType},
        InvalidCase{"reading_status_null", R"({"type":"reading","device_id":"d","timestamp":"2024-12-26T10:00:00Z","temperature":1,"humidity":2,"status":null})",
                    InvalidReason::kWrongType},
        InvalidCase{"reading_empty_device", R"({"type":"reading","device_id":"",)" + kReadingTail, InvalidReason::kInvalidDeviceId},
        InvalidCase{"reading_long_device", R"({"type":"reading","device_id":")" + std::string(kMaxDeviceIdBytes + 1, 'd') + "\"," + kReadingTail,
                    InvalidReason::kInvalidDeviceId},
        InvalidCase{"reading_bad_timestamp", R"({"type":"reading","device_id":"d","timestamp":"2024-12-26 10:00","temperature":1,"humidity":2,"status":"OK"})",
                    InvalidReason::kInvalidTimestamp},
        InvalidCase{"reading_feb30", R"({"type":"reading","device_id":"d","timestamp":"2024-02-30T10:00:00Z","temperature":1,"humidity":2,"status":"OK"})",
                    InvalidReason::kInvalidTimestamp},
        InvalidCase{"reading_huge_number", R"({"type":"reading","device_id":"d","timestamp":"2024-12-26T10:00:00Z","temperature":1e999,"humidity":2,"status":"OK"})",
                    InvalidReason::kNonFiniteNumber},
        InvalidCase{"aggregate_no_count", R"({"type":"aggregate",)" + kWindow + R"("temperature_avg":1,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kMissingField},
        InvalidCase{"aggregate_no_window_end", R"({"type":"aggregate","window_start":"2024-12-26T10:00:00Z","temperature_avg":1,"count":1,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kMissingField},
        InvalidCase{"aggregate_count_fraction", R"({"type":"aggregate",)" + kWindow + R"("temperature_avg":1,"count":2.5,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kWrongType},
        InvalidCase{"aggregate_count_huge", R"({"type":"aggregate",)" + kWindow + R"("temperature_avg":1,"count":99999999999999999999,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kWrongType},
        InvalidCase{"aggregate_count_zero", R"({"type":"aggregate",)" + kWindow + R"("temperature_avg":1,"count":0,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kInvalidCount},
        InvalidCase{"aggregate_window_backwards", R"({"type":"aggregate","window_start":"2024-12-26T10:01:00Z","window_end":"2024-12-26T10:00:00Z","temperature_avg":1,"count":1,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kInvalidWindow},
        InvalidCase{"aggregate_bad_start", R"({"type":"aggregate","window_start":"yesterday","window_end":"2024-12-26T10:00:00Z","temperature_avg":1,"count":1,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kInvalidTimestamp},
        InvalidCase{"device_aggregate_no_device", R"({"type":"device_aggregate",)" + kWindow + R"("temperature_avg":1,"count":1,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kMissingField},
        InvalidCase{"device_aggregate_device_number", R"({"type":"device_aggregate","device_id":5,)" + kWindow + R"("temperature_avg":1,"count":1,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kWrongType},
        InvalidCase{"device_aggregate_max_huge", R"({"type":"device_aggregate","device_id":"d",)" + kWindow + R"("temperature_avg":1,"count":1,"temperature_min":0,"temperature_max":-1e400})",
                    InvalidReason::kNonFiniteNumber},
        // aggregate_correction: the aggregate's rules with temperature_sum for temperature_avg.
        InvalidCase{"correction_avg_instead_of_sum", R"({"type":"aggregate_correction",)" + kWindow + R"("temperature_avg":1,"count":1,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kMissingField},
        InvalidCase{"correction_no_count", R"({"type":"aggregate_correction",)" + kWindow + R"("temperature_sum":1,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kMissingField},
        InvalidCase{"correction_no_min", R"({"type":"aggregate_correction",)" + kWindow + R"("temperature_sum":1,"count":1,"temperature_max":2})",
                    InvalidReason::kMissingField},
        InvalidCase{"correction_no_window_start", R"({"type":"aggregate_correction","window_end":"2024-12-26T10:01:00Z","temperature_sum":1,"count":1,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kMissingField},
        InvalidCase{"correction_sum_string", R"({"type":"aggregate_correction",)" + kWindow + R"("temperature_sum":"1","count":1,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kWrongType},
        InvalidCase{"correction_count_fraction", R"({"type":"aggregate_correction",)" + kWindow + R"("temperature_sum":1,"count":1.5,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kWrongType},
        InvalidCase{"correction_sum_huge", R"({"type":"aggregate_correction",)" + kWindow + R"("temperature_sum":1e400,"count":1,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kNonFiniteNumber},
        InvalidCase{"correction_count_zero", R"({"type":"aggregate_correction",)" + kWindow + R"("temperature_sum":0,"count":0,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kInvalidCount},
        InvalidCase{"correction_window_empty", R"({"type":"aggregate_correction","window_start":"2024-12-26T10:00:00Z","window_end":"2024-12-26T10:00:00Z","temperature_sum":1,"count":1,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kInvalidWindow},
        InvalidCase{"correction_bad_end", R"({"type":"aggregate_correction","window_start":"2024-12-26T10:00:00Z","window_end":"2024-12-26T10:01:00","temperature_sum":1,"count":1,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kInvalidTimestamp},
        InvalidCase{"correction_type_misspelt", R"({"type":"aggregate_corrections",)" + kWindow + R"("temperature_sum":1,"count":1,"temperature_min":0,"temperature_max":2})",
                    InvalidReason::kUnknownType}),
    [](const ::testing::TestParamInfo<InvalidCase>& param_info) { return std::string(param_info.param.name); });

TEST(RecordParser, FieldsOfOtherTypesDoNotMatter) {
  // A reading with a malformed-typed "count" (an aggregate field) is still a
  // valid reading: only the fields of its own type are checked.
  RecordParser parser;
  auto result = parser.parse(R"({"type":"reading","count":"many","device_id":"d",)" + kReadingTail);
  EXPECT_TRUE(result.ok) << result.detail;
}

TEST(RecordKindNames, ForMetricsAndKeys) {
  EXPECT_STREQ(to_string(RecordKind::kReading), "reading");
  EXPECT_STREQ(to_string(RecordKind::kDeviceAggregate), "device_aggregate");
  EXPECT_STREQ(object_kind_name(RecordKind::kReading), "readings");
  EXPECT_STREQ(object_kind_name(RecordKind::kAggregate), "aggregates");
  EXPECT_STREQ(object_kind_name(RecordKind::kDeviceAggregate), "device-aggregates");
  EXPECT_STREQ(to_string(RecordKind::kAggregateCorrection), "aggregate_correction");
  EXPECT_STREQ(object_kind_name(RecordKind::kAggregateCorrection), "aggregate-corrections");
}

}  // namespace
}  // namespace edgestream::archiver
