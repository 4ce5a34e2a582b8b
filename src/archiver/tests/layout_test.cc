// Key layout and period assignment. Expected keys are written out by hand
// from the documented layout, not computed with the code under test.
#include "edgestream/archiver/layout.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace edgestream::archiver {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

EventTime at(const char* text) {
  auto time = parse_rfc3339(text);
  EXPECT_TRUE(time.has_value()) << text;
  return time.value_or(EventTime{});
}

TEST(ObjectKey, ReadingsWithPrefix) {
  FileIdentity file{RecordKind::kReading, 2, 1500, at("2024-12-26T10:00:00Z")};
  EXPECT_EQ(object_key("archive", file),
            "archive/2024/12/26/readings-p2-o1500_20241226T100000Z.parquet");
}

TEST(ObjectKey, EveryKindHasItsName) {
  const EventTime start = at("2024-12-26T10:00:00Z");
  EXPECT_EQ(object_key("p", {RecordKind::kAggregate, 0, 0, start}),
            "p/2024/12/26/aggregates-p0-o0_20241226T100000Z.parquet");
  EXPECT_EQ(object_key("p", {RecordKind::kDeviceAggregate, 11, 9876543210, start}),
            "p/2024/12/26/device-aggregates-p11-o9876543210_20241226T100000Z.parquet");
  EXPECT_EQ(object_key("p", {RecordKind::kAggregateCorrection, 2, 17, start}),
            "p/2024/12/26/aggregate-corrections-p2-o17_20241226T100000Z.parquet");
}

TEST(ObjectFileName, CorrectionsAndAggregatesParseAsTheirOwnKinds) {
  // "aggregates-p…" and "aggregate-corrections-p…" share a stem: each name
  // must come back as the kind that wrote it, or a restart would adopt or
  // delete the other kind's files.
  const EventTime start = at("2024-12-26T10:00:00Z");
  EXPECT_EQ(parse_object_file_name("aggregate-corrections-p2-o17_20241226T100000Z.parquet"),
            std::optional<FileIdentity>(FileIdentity{RecordKind::kAggregateCorrection, 2, 17, start}));
  EXPECT_EQ(parse_object_file_name("aggregates-p2-o17_20241226T100000Z.parquet"),
            std::optional<FileIdentity>(FileIdentity{RecordKind::kAggregate, 2, 17, start}));
  EXPECT_FALSE(parse_object_file_name("aggregate_corrections-p2-o17_20241226T100000Z.parquet"));
}

TEST(ObjectKey, NoPrefixStartsWithTheYear) {
  FileIdentity file{RecordKind::kReading, 0, 7, at("2025-01-01T00:00:00Z")};
  EXPECT_EQ(object_key("", file), "2025/01/01/readings-p0-o7_20250101T000000Z.parquet");
}

TEST(ObjectKey, SlashesAroundThePrefixAreIgnored) {
  FileIdentity file{RecordKind::kReading, 1, 3, at("2024-02-29T23:00:00Z")};
  const std::string expected = "a/b/2024/02/29/readings-p1-o3_20240229T230000Z.parquet";
  EXPECT_EQ(object_key("a/b", file), expected);
  EXPECT_EQ(object_key("a/b/", file), expected);
  EXPECT_EQ(object_key("/a/b/", file), expected);
  EXPECT_EQ(object_key("/", file), "2024/02/29/readings-p1-o3_20240229T230000Z.parquet");
}

TEST(ObjectKey, PeriodsOfSecondsKeepTheirSeconds) {
  FileIdentity file{RecordKind::kAggregate, 3, 42, at("2024-12-26T10:15:50Z")};
  EXPECT_EQ(object_key("t", file), "t/2024/12/26/aggregates-p3-o42_20241226T101550Z.parquet");
}

TEST(ObjectKey, DatePathComesFromThePeriodStart) {
  // Two-day periods count from the epoch: 2024-12-26 is day 20083 (odd), so
  // its period began on day 20082, 2024-12-25. A record of the 26th goes to
  // a folder and a name of the 25th.
  const EventTime record = at("2024-12-26T00:30:00Z");
  const EventTime start = period_start_of(record, hours(48));
  EXPECT_EQ(start, at("2024-12-25T00:00:00Z"));
  EXPECT_EQ(object_key("x", {RecordKind::kReading, 0, 1, start}),
            "x/2024/12/25/readings-p0-o1_20241225T000000Z.parquet");
  // A 10 s period that starts at 23:59:50 keeps the date of its start.
  const EventTime late = period_start_of(at("2024-12-31T23:59:59.5Z"), seconds(10));
  EXPECT_EQ(object_key("", {RecordKind::kAggregate, 1, 2, late}),
            "2024/12/31/aggregates-p1-o2_20241231T235950Z.parquet");
}

TEST(ObjectKey, SameIdentitySameKeyDifferentIdentityDifferentKey) {
  const EventTime start = at("2024-12-26T10:00:00Z");
  FileIdentity a{RecordKind::kReading, 1, 100, start};
  FileIdentity b = a;
  EXPECT_EQ(object_key("p", a), object_key("p", b));
  b.first_offset = 101;
  EXPECT_NE(object_key("p", a), object_key("p", b));
  b = a;
  b.partition = 2;
  EXPECT_NE(object_key("p", a), object_key("p", b));
  b = a;
  b.kind = RecordKind::kDeviceAggregate;
  EXPECT_NE(object_key("p", a), object_key("p", b));
  b = a;
  b.period_start = at("2024-12-26T11:00:00Z");
  EXPECT_NE(object_key("p", a), object_key("p", b));
}

TEST(PeriodStart, HourBoundaries) {
  EXPECT_EQ(period_start_of(at("2024-12-26T10:00:00Z"), hours(1)), at("2024-12-26T10:00:00Z"));
  EXPECT_EQ(period_start_of(at("2024-12-26T10:59:59.999Z"), hours(1)), at("2024-12-26T10:00:00Z"));
  EXPECT_EQ(period_start_of(at("2024-12-26T11:00:00Z"), hours(1)), at("2024-12-26T11:00:00Z"));
  EXPECT_EQ(period_start_of(at("2024-12-26T10:00:00.001Z"), hours(1)), at("2024-12-26T10:00:00Z"));
  // Offsets in the input are converted to UTC first.
  EXPECT_EQ(period_start_of(at("2024-12-26T12:30:00+02:00"), hours(1)), at("2024-12-26T10:00:00Z"));
}

TEST(PeriodStart, TenSecondPeriods) {
  EXPECT_EQ(period_start_of(at("2024-12-26T10:00:09.999Z"), seconds(10)), at("2024-12-26T10:00:00Z"));
  EXPECT_EQ(period_start_of(at("2024-12-26T10:00:10Z"), seconds(10)), at("2024-12-26T10:00:10Z"));
  EXPECT_EQ(period_start_of(at("2024-12-26T10:00:19.5Z"), seconds(10)), at("2024-12-26T10:00:10Z"));
}

TEST(PeriodStart, DayAndYearBoundaries) {
  EXPECT_EQ(period_start_of(at("2024-12-31T23:59:59.999Z"), hours(1)), at("2024-12-31T23:00:00Z"));
  EXPECT_EQ(period_start_of(at("2025-01-01T00:00:00Z"), hours(1)), at("2025-01-01T00:00:00Z"));
  EXPECT_EQ(period_start_of(at("2024-12-26T10:00:00Z"), hours(24)), at("2024-12-26T00:00:00Z"));
}

TEST(PeriodStart, BeforeTheEpochFloors) {
  EXPECT_EQ(period_start_of(at("1969-12-31T23:59:59.999Z"), hours(1)), at("1969-12-31T23:00:00Z"));
  EXPECT_EQ(period_start_of(at("1969-12-31T23:00:00Z"), hours(1)), at("1969-12-31T23:00:00Z"));
}

TEST(ObjectFileName, ParsesBackWhatItWritesAndNothingElse) {
  // A restart reads the identity of a leftover spool file from its name.
  const FileIdentity identity{RecordKind::kDeviceAggregate, 7, 123456789012, at("2024-12-26T10:00:10Z")};
  EXPECT_EQ(parse_object_file_name("device-aggregates-p7-o123456789012_20241226T100010Z.parquet"),
            std::optional<FileIdentity>(identity));
  EXPECT_EQ(parse_object_file_name(object_file_name(identity)), std::optional<FileIdentity>(identity));
  EXPECT_FALSE(parse_object_file_name("readings-p2-o1500_20241226T100000Z.parquet.inprogress"));
  EXPECT_FALSE(parse_object_file_name("readings-p2-o1500_20241332T100000Z.parquet"));  // month 13
  EXPECT_FALSE(parse_object_file_name("weather-p2-o1500_20241226T100000Z.parquet"));
  EXPECT_FALSE(parse_object_file_name("readings-p2-o01500_20241226T100000Z.parquet"));  // not as written
}

}  // namespace
}  // namespace edgestream::archiver

TEST(OffsetMetadata, ReadsANonNegativeDecimalAndNothingElse) {
  EXPECT_EQ(edgestream::archiver::parse_offset_metadata(std::string("0")), 0);
  EXPECT_EQ(edgestream::archiver::parse_offset_metadata(std::string("9223372036854775807")), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(edgestream::archiver::parse_offset_metadata(std::nullopt), std::nullopt);
  for (const char* bad : {"", "-1", "12abc", " 12", "12 ", "+5", "1e3", "9223372036854775808"}) {
    EXPECT_EQ(edgestream::archiver::parse_offset_metadata(std::string(bad)), std::nullopt) << bad;
  }
}
