#include "edgestream/common/timestamp.h"

#include <gtest/gtest.h>

namespace edgestream {
namespace {

using std::chrono::sys_days;
using namespace std::chrono_literals;

EventTime utc(int y, unsigned m, unsigned d, int h, int min, int s, int ms = 0) {
  return std::chrono::time_point_cast<Millis>(
      sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}} +
      std::chrono::hours{h} + std::chrono::minutes{min} + std::chrono::seconds{s} + Millis{ms});
}

TEST(ParseRfc3339, UtcWithZ) {
  EXPECT_EQ(parse_rfc3339("2024-12-26T10:00:00Z"), utc(2024, 12, 26, 10, 0, 0));
  EXPECT_EQ(parse_rfc3339("2024-12-26t10:00:00z"), utc(2024, 12, 26, 10, 0, 0));
}

TEST(ParseRfc3339, OffsetsNormaliseToUtc) {
  EXPECT_EQ(parse_rfc3339("2024-12-26T12:30:00+02:30"), utc(2024, 12, 26, 10, 0, 0));
  EXPECT_EQ(parse_rfc3339("2024-12-25T23:00:00-11:00"), utc(2024, 12, 26, 10, 0, 0));
  EXPECT_EQ(parse_rfc3339("2024-01-01T00:30:00+01:00"), utc(2023, 12, 31, 23, 30, 0));
}

TEST(ParseRfc3339, FractionalSecondsTruncateToMillis) {
  EXPECT_EQ(parse_rfc3339("2024-12-26T10:00:00.5Z"), utc(2024, 12, 26, 10, 0, 0, 500));
  EXPECT_EQ(parse_rfc3339("2024-12-26T10:00:00.123456789Z"), utc(2024, 12, 26, 10, 0, 0, 123));
}

TEST(ParseRfc3339, LeapSecondLandsOnNextSecond) {
  EXPECT_EQ(parse_rfc3339("2016-12-31T23:59:60Z"), utc(2017, 1, 1, 0, 0, 0));
}

TEST(ParseRfc3339, RejectsMalformed) {
  for (const char* bad :
       {"", "2024-12-26", "2024-12-26T10:00:00", "2024-12-26 10:00:00Z", "2024-02-30T10:00:00Z",
        "2023-02-29T00:00:00Z", "2024-12-26T24:00:00Z", "2024-12-26T10:60:00Z",
        "2024-13-01T00:00:00Z", "2024-12-26T10:00:00.Z", "2024-12-26T10:00:00.1234567890Z",
        "2024-12-26T10:00:00+0200", "2024-12-26T10:00:00+24:00", "2024-12-26T10:00:00Zjunk",
        "2024-12-26T10:00:0aZ", "+024-12-26T10:00:00Z"}) {
    EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
  }
}

TEST(ParseRfc3339, AcceptsLeapDay) {
  EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), utc(2024, 2, 29, 0, 0, 0));
}

TEST(FormatRfc3339, WholeSecondsHaveNoFraction) {
  EXPECT_EQ(format_rfc3339(utc(2024, 12, 26, 10, 0, 0)), "2024-12-26T10:00:00Z");
}

TEST(FormatRfc3339, MillisecondsAreThreeDigits) {
  EXPECT_EQ(format_rfc3339(utc(2024, 12, 26, 10, 0, 0, 50)), "2024-12-26T10:00:00.050Z");
}

TEST(FormatRfc3339, RoundTripsThroughParse) {
  for (int64_t ms : {0LL, 1LL, 999LL, 86'399'999LL, 1'735'207'200'123LL, 4'102'444'799'999LL}) {
    EventTime t{Millis{ms}};
    EXPECT_EQ(parse_rfc3339(format_rfc3339(t)), t) << ms;
  }
}

// A device stamped "9999-12-31T23:30:00-01:00" (year 10000 in UTC) used to
// stop the pipeline: the time was accepted, and its watermark could not be
// written back as a four-digit year.
TEST(ParseRfc3339, RejectsTimesThatNormaliseOutsideYears0001To9999) {
  for (const char* outside :
       {"9999-12-31T23:30:00-01:00", "9999-12-31T23:59:60Z", "9999-12-31T23:59:59.999-00:01",
        "0001-01-01T00:00:00+01:00", "0001-01-01T00:59:59.999+01:00", "0000-06-15T12:00:00Z",
        "0000-12-31T23:59:59Z"}) {
    EXPECT_FALSE(parse_rfc3339(outside).has_value()) << outside;
  }
}

TEST(ParseRfc3339, AcceptsTheEdgesOfYears0001To9999) {
  EXPECT_EQ(parse_rfc3339("0001-01-01T00:00:00Z"), kMinRfc3339Time);
  EXPECT_EQ(parse_rfc3339("0001-01-01T01:00:00+01:00"), kMinRfc3339Time);
  EXPECT_EQ(parse_rfc3339("0000-12-31T23:00:00-01:00"), kMinRfc3339Time);  // year 1 once in UTC
  EXPECT_EQ(parse_rfc3339("9999-12-31T23:59:59.999Z"), kMaxRfc3339Time);
  EXPECT_EQ(parse_rfc3339("9999-12-31T22:59:59.999-01:00"), kMaxRfc3339Time);
  EXPECT_EQ(parse_rfc3339("9999-12-31T23:59:60+00:01"), utc(9999, 12, 31, 23, 59, 0));
}

TEST(FormatRfc3339, EveryAcceptedEdgeRoundTrips) {
  for (const char* text : {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00+00:00",
                           "0000-12-31T23:00:00-01:00", "9999-12-31T23:59:59.999Z",
                           "9999-12-31T23:59:60+00:01", "2016-12-31T23:59:60Z"}) {
    auto time = parse_rfc3339(text);
    ASSERT_TRUE(time.has_value()) << text;
    const std::string formatted = format_rfc3339(*time);
    EXPECT_EQ(parse_rfc3339(formatted), time) << text << " -> " << formatted;
    EXPECT_NE(formatted.substr(0, 4), "0000") << text;
  }
  EXPECT_EQ(format_rfc3339(kMinRfc3339Time), "0001-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339(kMaxRfc3339Time), "9999-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace edgestream
