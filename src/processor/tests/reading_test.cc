#include "edgestream/processor/reading.h"

#include "edgestream/common/json_text.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace edgestream::processor {
namespace {

using namespace std::chrono;

// Builds a record from the five field texts (already JSON), plus extra text
// spliced in before the closing brace.
struct Fields {
  std::string device_id = R"("device123")";
  std::string timestamp = R"("2024-12-26T10:00:00Z")";
  std::string temperature = "72.5";
  std::string humidity = "55.2";
  std::string status = R"("OK")";
  std::string extra;

  std::string json() const {
    std::string out = "{";
    auto add = [&](const char* name, const std::string& value) {
      if (value.empty()) return;  // empty text: leave the field out
      if (out.size() > 1) out += ',';
      out += '"';
      out += name;
      out += "\":";
      out += value;
    };
    add("device_id", device_id);
    add("timestamp", timestamp);
    add("temperature", temperature);
    add("humidity", humidity);
    add("status", status);
    out += extra;
    out += '}';
    return out;
  }
};

std::string make(void (*edit)(Fields&)) {
  Fields fields;
  edit(fields);
  return fields.json();
}

EventTime utc(int y, unsigned mo, unsigned d, int h, int mi, int s, int ms = 0) {
  return EventTime{sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s} +
                   milliseconds{ms}};
}

TEST(RecordParser, ParsesTheReferenceRecord) {
  RecordParser parser;
  auto result = parser.parse(
      R"({"device_id":"device123","timestamp":"2024-12-26T10:00:00Z","temperature":72.5,"humidity":55.2,"status":"OK"})");
  ASSERT_TRUE(result.ok) << result.detail;
  EXPECT_EQ(result.reading.device_id, "device123");
  EXPECT_EQ(result.reading.timestamp, utc(2024, 12, 26, 10, 0, 0));
  EXPECT_EQ(result.reading.temperature, 72.5);
  EXPECT_EQ(result.reading.humidity, 55.2);
  EXPECT_EQ(result.reading.status, "OK");
}

struct Case {
  const char* name;
  std::string payload;
  bool ok;
  InvalidReason reason = InvalidReason::kInvalidJson;
};

std::vector<Case> validation_table() {
  std::vector<Case> cases;
  auto valid = [&](const char* name, std::string payload) {
    cases.push_back({name, std::move(payload), true});
  };
  auto invalid = [&](const char* name, std::string payload, InvalidReason reason) {
    cases.push_back({name, std::move(payload), false, reason});
  };
  using R = InvalidReason;
  const std::string base = Fields{}.json();

  valid("base", base);
  valid("trailing whitespace", base + " \n\t\r");
  valid("leading whitespace", "\n  " + base);
  valid("integer temperature", make([](Fields& f) { f.temperature = "72"; }));
  valid("negative temperature", make([](Fields& f) { f.temperature = "-40.25"; }));
  valid("exponent temperature", make([](Fields& f) { f.temperature = "7.25E1"; }));
  valid("huge finite temperature", make([](Fields& f) { f.temperature = "1e308"; }));
  valid("tiny temperature underflows to zero", make([](Fields& f) { f.temperature = "1e-400"; }));
  valid("humidity 0", make([](Fields& f) { f.humidity = "0"; }));
  valid("humidity 100", make([](Fields& f) { f.humidity = "100"; }));
  valid("humidity -0", make([](Fields& f) { f.humidity = "-0"; }));
  valid("timestamp with offset", make([](Fields& f) { f.timestamp = R"("2024-12-26T12:00:00+02:00")"; }));
  valid("timestamp with fraction", make([](Fields& f) { f.timestamp = R"("2024-12-26T10:00:00.123456789Z")"; }));
  valid("status not OK is still valid", make([](Fields& f) { f.status = R"("ERROR")"; }));
  valid("empty status is valid", make([](Fields& f) { f.status = R"("")"; }));
  valid("extra scalar field", make([](Fields& f) { f.extra = R"(,"firmware":"1.2.3","seq":42)"; }));
  valid("extra nested object",
        make([](Fields& f) { f.extra = R"(,"meta":{"a":[1,{"b":null,"c":[true,false]}],"d":{}})"; }));
  valid("extra array", make([](Fields& f) { f.extra = R"(,"tags":["x","y",[]])"; }));
  valid("extra big integer", make([](Fields& f) { f.extra = R"(,"n":123456789012345678901234567890)"; }));
  valid("extra out-of-range number", make([](Fields& f) { f.extra = R"(,"n":1e999)"; }));
  valid("device_id of 256 bytes", make([](Fields& f) { f.device_id = '"' + std::string(256, 'd') + '"'; }));
  valid("unicode device_id", make([](Fields& f) { f.device_id = "\"capteur-\xc3\xa9t\xc3\xa9-\xe2\x82\xac\""; }));
  valid("escaped device_id", make([](Fields& f) { f.device_id = R"("dev\"ice\\\u00e9\n")"; }));
  valid("escaped key", R"({"device\u005fid":"d","timestamp":"2024-12-26T10:00:00Z","temperature":1,"humidity":2,"status":"OK"})");
  valid("fields in another order",
        R"({"status":"OK","humidity":2,"temperature":1,"timestamp":"2024-12-26T10:00:00Z","device_id":"d"})");

  invalid("empty payload", "", R::kInvalidJson);
  invalid("whitespace only", "  \n", R::kInvalidJson);
  invalid("truncated", base.substr(0, base.size() - 1), R::kInvalidJson);
  invalid("truncated in a string", base.substr(0, 20), R::kInvalidJson);
  invalid("trailing garbage", base + " x", R::kInvalidJson);
  invalid("trailing brace", base + "}", R::kInvalidJson);
  invalid("two objects", base + base, R::kInvalidJson);
  invalid("trailing comma", make([](Fields& f) { f.extra = ","; }), R::kInvalidJson);
  invalid("missing colon", R"({"device_id" "d"})", R::kInvalidJson);
  invalid("missing comma", R"({"device_id":"d" "status":"OK"})", R::kInvalidJson);
  invalid("non-string key", R"({1:2})", R::kInvalidJson);
  invalid("single quotes", R"({'device_id':'d'})", R::kInvalidJson);
  invalid("NaN literal", make([](Fields& f) { f.temperature = "NaN"; }), R::kInvalidJson);
  invalid("Infinity literal", make([](Fields& f) { f.temperature = "Infinity"; }), R::kInvalidJson);
  invalid("-Infinity literal", make([](Fields& f) { f.humidity = "-Infinity"; }), R::kInvalidJson);
  invalid("leading zero", make([](Fields& f) { f.temperature = "072.5"; }), R::kInvalidJson);
  invalid("bare minus", make([](Fields& f) { f.temperature = "-"; }), R::kInvalidJson);
  invalid("dot without digits", make([](Fields& f) { f.temperature = "1."; }), R::kInvalidJson);
  invalid("plus sign", make([](Fields& f) { f.temperature = "+1"; }), R::kInvalidJson);
  invalid("hex number", make([](Fields& f) { f.temperature = "0x10"; }), R::kInvalidJson);
  invalid("bad literal in extra field", make([](Fields& f) { f.extra = R"(,"x":tru)"; }), R::kInvalidJson);
  invalid("bad number in extra field", make([](Fields& f) { f.extra = R"(,"x":01)"; }), R::kInvalidJson);
  invalid("broken array in extra field", make([](Fields& f) { f.extra = R"(,"x":[1,})"; }), R::kInvalidJson);
  invalid("bad escape", make([](Fields& f) { f.status = R"("\x")"; }), R::kInvalidJson);
  invalid("lone surrogate escape", make([](Fields& f) { f.device_id = R"("\ud800")"; }), R::kInvalidJson);
  invalid("raw control character in string", make([](Fields& f) { f.device_id = "\"a\tb\""; }), R::kInvalidJson);
  invalid("wrong type and trailing garbage: garbage wins",
          make([](Fields& f) { f.temperature = R"("hot")"; }) + "x", R::kInvalidJson);
  invalid("extra value nested too deeply",
          make([](Fields& f) { f.extra = ",\"x\":" + std::string(100, '[') + std::string(100, ']'); }),
          R::kInvalidJson);

  invalid("top-level array", "[1,2]", R::kNotAnObject);
  invalid("top-level array of records", "[" + base + "]", R::kNotAnObject);
  invalid("top-level string", R"("hello")", R::kNotAnObject);
  invalid("top-level number", "42", R::kNotAnObject);
  invalid("top-level null", "null", R::kNotAnObject);
  invalid("top-level true", "true", R::kNotAnObject);
  invalid("broken top-level array", "[1,", R::kInvalidJson);
  invalid("top-level number with garbage", "42 x", R::kInvalidJson);
  invalid("top-level huge number", "1e999 ", R::kNotAnObject);
  invalid("top-level huge number with garbage", "1e999 x", R::kInvalidJson);
  invalid("top-level malformed number", "01", R::kInvalidJson);
  invalid("top-level string with garbage", R"("a" x)", R::kInvalidJson);
  invalid("top-level true with garbage", "true false", R::kInvalidJson);
  invalid("top-level null with garbage", "null 1", R::kInvalidJson);
  invalid("top-level array with garbage", "[] []", R::kInvalidJson);

  invalid("missing device_id", make([](Fields& f) { f.device_id.clear(); }), R::kMissingField);
  invalid("missing timestamp", make([](Fields& f) { f.timestamp.clear(); }), R::kMissingField);
  invalid("missing temperature", make([](Fields& f) { f.temperature.clear(); }), R::kMissingField);
  invalid("missing humidity", make([](Fields& f) { f.humidity.clear(); }), R::kMissingField);
  invalid("missing status", make([](Fields& f) { f.status.clear(); }), R::kMissingField);
  invalid("empty object", "{}", R::kMissingField);

  invalid("numeric device_id", make([](Fields& f) { f.device_id = "123"; }), R::kWrongType);
  invalid("null device_id", make([](Fields& f) { f.device_id = "null"; }), R::kWrongType);
  invalid("numeric timestamp", make([](Fields& f) { f.timestamp = "1735207200"; }), R::kWrongType);
  invalid("string temperature", make([](Fields& f) { f.temperature = R"("72.5")"; }), R::kWrongType);
  invalid("boolean temperature", make([](Fields& f) { f.temperature = "true"; }), R::kWrongType);
  invalid("array temperature", make([](Fields& f) { f.temperature = "[72.5]"; }), R::kWrongType);
  invalid("object temperature", make([](Fields& f) { f.temperature = R"({"v":72.5})"; }), R::kWrongType);
  invalid("null humidity", make([](Fields& f) { f.humidity = "null"; }), R::kWrongType);
  invalid("numeric status", make([](Fields& f) { f.status = "0"; }), R::kWrongType);
  invalid("object status", make([](Fields& f) { f.status = R"({"code":"OK"})"; }), R::kWrongType);

  invalid("empty device_id", make([](Fields& f) { f.device_id = R"("")"; }), R::kInvalidDeviceId);
  invalid("device_id of 257 bytes",
          make([](Fields& f) { f.device_id = '"' + std::string(257, 'd') + '"'; }), R::kInvalidDeviceId);
  invalid("device_id of 300 bytes",
          make([](Fields& f) { f.device_id = '"' + std::string(300, 'd') + '"'; }), R::kInvalidDeviceId);

  invalid("timestamp without zone", make([](Fields& f) { f.timestamp = R"("2024-12-26T10:00:00")"; }), R::kInvalidTimestamp);
  invalid("timestamp with space", make([](Fields& f) { f.timestamp = R"("2024-12-26 10:00:00Z")"; }), R::kInvalidTimestamp);
  invalid("timestamp Feb 30", make([](Fields& f) { f.timestamp = R"("2024-02-30T10:00:00Z")"; }), R::kInvalidTimestamp);
  invalid("timestamp epoch text", make([](Fields& f) { f.timestamp = R"("1735207200")"; }), R::kInvalidTimestamp);
  invalid("empty timestamp", make([](Fields& f) { f.timestamp = R"("")"; }), R::kInvalidTimestamp);

  invalid("temperature 1e400", make([](Fields& f) { f.temperature = "1e400"; }), R::kNonFiniteNumber);
  invalid("temperature -1e400", make([](Fields& f) { f.temperature = "-1e400"; }), R::kNonFiniteNumber);
  invalid("humidity 1e999", make([](Fields& f) { f.humidity = "1e999"; }), R::kNonFiniteNumber);
  invalid("temperature with 400 digits",
          make([](Fields& f) { f.temperature = "1" + std::string(400, '0'); }), R::kNonFiniteNumber);

  invalid("humidity -0.1", make([](Fields& f) { f.humidity = "-0.1"; }), R::kHumidityOutOfRange);
  invalid("temperature -273.16", make([](Fields& f) { f.temperature = "-273.16"; }),
          R::kTemperatureBelowAbsoluteZero);
  invalid("temperature -1e308", make([](Fields& f) { f.temperature = "-1e308"; }),
          R::kTemperatureBelowAbsoluteZero);
  invalid("humidity 100.1", make([](Fields& f) { f.humidity = "100.1"; }), R::kHumidityOutOfRange);
  invalid("humidity just above 100",
          make([](Fields& f) { f.humidity = "100.00000000000001"; }), R::kHumidityOutOfRange);

  invalid("invalid UTF-8 byte 0xff", make([](Fields& f) { f.device_id = "\"dev\xff\""; }), R::kInvalidUtf8);
  invalid("overlong UTF-8", make([](Fields& f) { f.status = "\"\xc0\xaf\""; }), R::kInvalidUtf8);
  invalid("UTF-8 surrogate", make([](Fields& f) { f.device_id = "\"\xed\xa0\x80\""; }), R::kInvalidUtf8);
  invalid("truncated UTF-8", make([](Fields& f) { f.device_id = "\"\xe2\x82\""; }), R::kInvalidUtf8);
  invalid("invalid UTF-8 in an extra field",
          make([](Fields& f) { f.extra = ",\"x\":\"\x80\""; }), R::kInvalidUtf8);
  invalid("invalid UTF-8 outside strings", base + "\xfe", R::kInvalidUtf8);

  invalid("one byte over the size limit", base + std::string(kMaxRecordBytes + 1 - base.size(), ' '),
          R::kTooLarge);
  valid("exactly the size limit", base + std::string(kMaxRecordBytes - base.size(), ' '));
  return cases;
}

TEST(RecordParser, ValidationTable) {
  RecordParser parser;
  for (const Case& c : validation_table()) {
    SCOPED_TRACE(c.name);
    ParseResult result = parser.parse(c.payload);
    EXPECT_EQ(result.ok, c.ok) << c.name << ": " << result.detail;
    if (!c.ok && !result.ok) {
      EXPECT_EQ(to_string(result.reason), std::string(to_string(c.reason)))
          << c.name << ": " << result.detail;
      EXPECT_FALSE(result.detail.empty()) << c.name;
    }
  }
}

TEST(RecordParser, InvalidRecordsDoNotDisturbTheNextOne) {
  // Same cases again, each followed by a valid record on the same parser.
  RecordParser parser;
  const std::string base = Fields{}.json();
  for (const Case& c : validation_table()) {
    SCOPED_TRACE(c.name);
    (void)parser.parse(c.payload);
    ParseResult next = parser.parse(base);
    ASSERT_TRUE(next.ok) << next.detail;
    EXPECT_EQ(next.reading.device_id, "device123");
    EXPECT_EQ(next.reading.temperature, 72.5);
  }
}

TEST(RecordParser, EmptyPayloadAsTheFirstRecordOfAFreshParser) {
  // Found by the fuzzer: the padded buffer was not allocated yet.
  RecordParser parser;
  auto result = parser.parse("");
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.reason, InvalidReason::kInvalidJson);
}

TEST(RecordParser, TimestampsAreNormalisedToUtc) {
  RecordParser parser;
  auto offset = parser.parse(make([](Fields& f) { f.timestamp = R"("2024-12-26T12:00:00.250+02:00")"; }));
  ASSERT_TRUE(offset.ok) << offset.detail;
  EXPECT_EQ(offset.reading.timestamp, utc(2024, 12, 26, 10, 0, 0, 250));
  auto negative = parser.parse(make([](Fields& f) { f.timestamp = R"("2024-12-26T05:30:00-04:30")"; }));
  ASSERT_TRUE(negative.ok) << negative.detail;
  EXPECT_EQ(negative.reading.timestamp, utc(2024, 12, 26, 10, 0, 0));
  auto fraction = parser.parse(make([](Fields& f) { f.timestamp = R"("2024-12-26T10:00:59.9999Z")"; }));
  ASSERT_TRUE(fraction.ok) << fraction.detail;
  EXPECT_EQ(fraction.reading.timestamp, utc(2024, 12, 26, 10, 0, 59, 999));  // truncated, not rounded
}

TEST(RecordParser, IntegerTemperatureIsANumber) {
  RecordParser parser;
  auto result = parser.parse(make([](Fields& f) { f.temperature = "-7"; }));
  ASSERT_TRUE(result.ok) << result.detail;
  EXPECT_EQ(result.reading.temperature, -7.0);
}

TEST(RecordParser, FirstOccurrenceOfADuplicateFieldWins) {
  RecordParser parser;
  auto result = parser.parse(make([](Fields& f) {
    f.extra = R"(,"temperature":500,"status":"BAD","device_id":7)";
  }));
  ASSERT_TRUE(result.ok) << result.detail;
  EXPECT_EQ(result.reading.temperature, 72.5);
  EXPECT_EQ(result.reading.status, "OK");
  EXPECT_EQ(result.reading.device_id, "device123");
}

TEST(RecordParser, EscapedStringsAreUnescaped) {
  RecordParser parser;
  auto result = parser.parse(make([](Fields& f) { f.device_id = R"("a\"b\\c\u00e9\ud83d\ude00\n")"; }));
  ASSERT_TRUE(result.ok) << result.detail;
  EXPECT_EQ(result.reading.device_id, "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80\n");
}

TEST(RecordParser, ShortRecordAfterLongRecordIsParsedAlone) {
  // The padded buffer is reused: bytes of the long record must not leak into
  // the short one.
  RecordParser parser;
  auto long_record = make([](Fields& f) {
    f.extra = ",\"pad\":\"" + std::string(5000, 'x') + "\",\"n\":12345678";
  });
  ASSERT_TRUE(parser.parse(long_record).ok);
  auto short_record = parser.parse(R"({"device_id":"d","timestamp":"2024-12-26T10:00:00Z","temperature":1,"humidity":2,"status":"OK"})");
  ASSERT_TRUE(short_record.ok) << short_record.detail;
  EXPECT_EQ(short_record.reading.temperature, 1.0);
  EXPECT_EQ(short_record.reading.humidity, 2.0);
  EXPECT_FALSE(parser.parse("4").ok);
  auto truncated = parser.parse(R"({"device_id":"d","timestamp":"2024-12-26T10:00:00Z","temperature":1)");
  EXPECT_FALSE(truncated.ok);
  EXPECT_EQ(truncated.reason, InvalidReason::kInvalidJson);
}

TEST(RecordParser, EveryReasonHasADistinctLabel) {
  std::vector<std::string> labels;
  for (auto reason : {InvalidReason::kTooLarge, InvalidReason::kInvalidUtf8, InvalidReason::kInvalidJson,
                      InvalidReason::kNotAnObject, InvalidReason::kMissingField, InvalidReason::kWrongType,
                      InvalidReason::kInvalidDeviceId, InvalidReason::kInvalidTimestamp,
                      InvalidReason::kNonFiniteNumber, InvalidReason::kHumidityOutOfRange,
                      InvalidReason::kTemperatureBelowAbsoluteZero, InvalidReason::kPartialBatchUndecodable,
                      InvalidReason::kTimestampInFuture}) {
    labels.emplace_back(to_string(reason));
  }
  std::sort(labels.begin(), labels.end());
  EXPECT_EQ(std::unique(labels.begin(), labels.end()), labels.end());
  EXPECT_EQ(std::string(to_string(InvalidReason::kInvalidUtf8)), "invalid_utf8");
}

// --- timestamps at the edges of years 0001 and 9999 ---------------------------

// Found by trying the pipeline with one misbehaving device: these were
// accepted and came out as year 0000, or made a year-10000 watermark.
TEST(RecordParser, TimestampsOutsideYears0001To9999AfterNormalisationAreInvalid) {
  RecordParser parser;
  for (const char* text : {R"("9999-12-31T23:30:00-01:00")", R"("9999-12-31T23:59:60Z")",
                           R"("0001-01-01T00:00:00+01:00")", R"("0000-12-31T12:00:00Z")"}) {
    SCOPED_TRACE(text);
    Fields fields;
    fields.timestamp = text;
    auto result = parser.parse(fields.json());
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.reason, InvalidReason::kInvalidTimestamp) << result.detail;
  }
}

TEST(RecordParser, TimestampsAtTheEdgesOfYears0001And9999RoundTrip) {
  RecordParser parser;
  RecordParser again;
  for (const char* text : {R"("0001-01-01T00:00:00Z")", R"("0000-12-31T23:30:00-00:30")",
                           R"("9999-12-31T23:59:59.999Z")", R"("9999-12-31T23:59:60+00:01")"}) {
    SCOPED_TRACE(text);
    Fields fields;
    fields.timestamp = text;
    auto result = parser.parse(fields.json());
    ASSERT_TRUE(result.ok) << result.detail;
    std::string encoded;
    contract::encode_reading(encoded, result.reading, contract::ReadingTopic::kProcessedData);
    EXPECT_EQ(encoded.find(R"("timestamp":"0000)"), std::string::npos) << encoded;
    auto back = again.parse(encoded);
    ASSERT_TRUE(back.ok) << back.detail;
    EXPECT_EQ(back.reading.timestamp, result.reading.timestamp);
  }
}

// --- event time against the processing clock -----------------------------------

TEST(CheckEventTime, ReadingMoreThanTheSkewAheadOfItsRecordIsInTheFuture) {
  Reading reading = Reading{};
  const EventTime received = utc(2024, 12, 26, 10, 0, 0);
  reading.timestamp = received + minutes{5};
  EXPECT_FALSE(check_event_time(reading, received, kDefaultMaxFutureSkew).has_value());  // at the bound
  reading.timestamp = received + minutes{5} + milliseconds{1};
  auto detail = check_event_time(reading, received, kDefaultMaxFutureSkew);
  ASSERT_TRUE(detail.has_value());
  EXPECT_NE(detail->find("2024-12-26T10:05:00.001Z"), std::string::npos) << *detail;
  reading.timestamp = received - hours{24 * 365};  // old readings are lateness's business
  EXPECT_FALSE(check_event_time(reading, received, kDefaultMaxFutureSkew).has_value());
  reading.timestamp = kMaxRfc3339Time;  // the issue's device: 9999-12-31
  EXPECT_TRUE(check_event_time(reading, received, kDefaultMaxFutureSkew).has_value());
  EXPECT_EQ(std::string(to_string(InvalidReason::kTimestampInFuture)), "timestamp_in_future");
}

TEST(CheckEventTime, HugeSkewDoesNotOverflow) {
  Reading reading = Reading{};
  reading.timestamp = kMaxRfc3339Time;
  EXPECT_FALSE(check_event_time(reading, kMinRfc3339Time, hours{24 * 366 * 10'000}).has_value());
  EXPECT_TRUE(check_event_time(reading, kMinRfc3339Time, hours{1}).has_value());
}

// --- filter ------------------------------------------------------------------

Reading reading_with(std::string_view status, double temperature) {
  Reading reading;
  reading.device_id = "d";
  reading.status = status;
  reading.temperature = temperature;
  reading.humidity = 50;
  return reading;
}

TEST(Filter, Boundaries) {
  EXPECT_EQ(filter(reading_with("OK", 100.0)), FilterVerdict::kKeep);
  EXPECT_EQ(filter(reading_with("OK", 72.5)), FilterVerdict::kKeep);
  EXPECT_EQ(filter(reading_with("OK", -273.15)), FilterVerdict::kKeep);
  EXPECT_EQ(filter(reading_with("OK", 100.0001)), FilterVerdict::kTemperatureAboveLimit);
  EXPECT_EQ(filter(reading_with("OK", std::nextafter(100.0, 200.0))),
            FilterVerdict::kTemperatureAboveLimit);
  EXPECT_EQ(filter(reading_with("ok", 20)), FilterVerdict::kStatusNotOk);
  EXPECT_EQ(filter(reading_with("OK ", 20)), FilterVerdict::kStatusNotOk);
  EXPECT_EQ(filter(reading_with(" OK", 20)), FilterVerdict::kStatusNotOk);
  EXPECT_EQ(filter(reading_with("", 20)), FilterVerdict::kStatusNotOk);
  EXPECT_EQ(filter(reading_with(std::string_view("OK\0", 3), 20)), FilterVerdict::kStatusNotOk);
  // Status is checked first.
  EXPECT_EQ(filter(reading_with("ERROR", 150)), FilterVerdict::kStatusNotOk);
  EXPECT_EQ(std::string(to_string(FilterVerdict::kStatusNotOk)), "status_not_ok");
  EXPECT_EQ(std::string(to_string(FilterVerdict::kTemperatureAboveLimit)), "temperature_above_limit");
}

TEST(Filter, ParsedRecordsAtTheBoundary) {
  RecordParser parser;
  auto at_limit = parser.parse(make([](Fields& f) { f.temperature = "100"; }));
  ASSERT_TRUE(at_limit.ok);
  EXPECT_EQ(filter(at_limit.reading), FilterVerdict::kKeep);
  auto above = parser.parse(make([](Fields& f) { f.temperature = "100.0001"; }));
  ASSERT_TRUE(above.ok);
  EXPECT_EQ(filter(above.reading), FilterVerdict::kTemperatureAboveLimit);
}

// --- encoders ----------------------------------------------------------------

TEST(EncodeReading, ReferenceText) {
  Reading reading;
  reading.device_id = "device123";
  reading.timestamp = utc(2024, 12, 26, 10, 0, 0);
  reading.temperature = 72.5;
  reading.humidity = 55.2;
  reading.status = "OK";
  std::string out;
  contract::encode_reading(out, reading, contract::ReadingTopic::kProcessedData);
  EXPECT_EQ(out,
            R"({"type":"reading","device_id":"device123","timestamp":"2024-12-26T10:00:00Z","temperature":72.5,"humidity":55.2,"status":"OK"})");
}

TEST(EncodeReading, AppendsToExistingText) {
  Reading reading;
  reading.device_id = "d";
  reading.status = "OK";
  std::string out = "prefix";
  contract::encode_reading(out, reading, contract::ReadingTopic::kProcessedData);
  EXPECT_EQ(out.rfind("prefix{", 0), 0U);
}

TEST(EncodeReading, OutputParsesBackToTheSameFields) {
  // Device ids with every escaping hazard, read back by simdjson's DOM parser
  // (an independent reader from the On Demand parser under test).
  const std::vector<std::string> device_ids = {
      "plain",
      "quote\"inside",
      "back\\slash",
      std::string("nul\0byte", 8),
      "controls\x01\x08\x09\x0a\x0c\x0d\x1f",
      "del\x7f",
      "unicode \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
      "line\xe2\x80\xa8separator",
  };
  RecordParser parser;
  simdjson::dom::parser dom;
  for (const std::string& device_id : device_ids) {
    Reading reading;
    reading.device_id = device_id;
    reading.timestamp = utc(2024, 12, 26, 10, 0, 1, 5);
    reading.temperature = -12.345;
    reading.humidity = 99.99;
    reading.status = "OK";
    std::string out;
    contract::encode_reading(out, reading, contract::ReadingTopic::kProcessedData);
    SCOPED_TRACE(out);

    simdjson::dom::element root;
    ASSERT_EQ(dom.parse(out).get(root), simdjson::SUCCESS);
    std::string_view text;
    ASSERT_EQ(root["type"].get(text), simdjson::SUCCESS);
    EXPECT_EQ(text, "reading");
    ASSERT_EQ(root["device_id"].get(text), simdjson::SUCCESS);
    EXPECT_EQ(text, device_id);
    ASSERT_EQ(root["timestamp"].get(text), simdjson::SUCCESS);
    EXPECT_EQ(text, "2024-12-26T10:00:01.005Z");
    double number = 0;
    ASSERT_EQ(root["temperature"].get(number), simdjson::SUCCESS);
    EXPECT_EQ(number, -12.345);
    ASSERT_EQ(root["humidity"].get(number), simdjson::SUCCESS);
    EXPECT_EQ(number, 99.99);
    ASSERT_EQ(root["status"].get(text), simdjson::SUCCESS);
    EXPECT_EQ(text, "OK");
    simdjson::dom::object object;
    ASSERT_EQ(root.get(object), simdjson::SUCCESS);
    EXPECT_EQ(object.size(), 6U);

    // And our own parser accepts what we write (device ids without NUL only
    // fail nothing: NUL is a valid escaped character).
    auto reparsed = parser.parse(out);
    ASSERT_TRUE(reparsed.ok) << reparsed.detail;
    EXPECT_EQ(reparsed.reading.device_id, device_id);
  }
}

TEST(EncodeReading, OffsetTimestampIsWrittenInUtc) {
  RecordParser parser;
  auto result = parser.parse(make([](Fields& f) { f.timestamp = R"("2024-12-27T01:30:00.5+09:00")"; }));
  ASSERT_TRUE(result.ok);
  std::string out;
  contract::encode_reading(out, result.reading, contract::ReadingTopic::kProcessedData);
  EXPECT_NE(out.find(R"("timestamp":"2024-12-26T16:30:00.500Z")"), std::string::npos) << out;
}

TEST(EncodeReading, NumbersRoundTripExactly) {
  std::mt19937_64 random(20241226);
  std::uniform_real_distribution<double> temperatures(-100.0, 100.0);
  std::uniform_int_distribution<uint64_t> bits;
  RecordParser parser;
  for (int i = 0; i < 5000; ++i) {
    double value = temperatures(random);
    if (i % 2 == 1) {
      // Arbitrary finite bit patterns: subnormals, huge and tiny magnitudes.
      uint64_t pattern = bits(random);
      std::memcpy(&value, &pattern, sizeof value);
      // Only values the parser accepts (finite, at or above absolute zero).
      if (!std::isfinite(value)) continue;
      value = std::fabs(value);
    }
    Reading reading;
    reading.device_id = "d";
    reading.status = "OK";
    reading.temperature = value;
    reading.humidity = 50;
    std::string out;
    contract::encode_reading(out, reading, contract::ReadingTopic::kProcessedData);
    auto result = parser.parse(out);
    ASSERT_TRUE(result.ok) << out << ": " << result.detail;
    EXPECT_EQ(std::memcmp(&result.reading.temperature, &value, sizeof value), 0) << out;
  }
}

TEST(EncodeReading, NumberTextIsShortest) {
  auto number = [](double value) {
    std::string out;
    edgestream::append_json_number(out, value);
    return out;
  };
  EXPECT_EQ(number(72.0), "72");
  EXPECT_EQ(number(72.5), "72.5");
  EXPECT_EQ(number(0.1), "0.1");
  EXPECT_EQ(number(-0.0), "-0");
  EXPECT_EQ(number(100.0001), "100.0001");
  EXPECT_EQ(number(std::numeric_limits<double>::infinity()), "null");
}

}  // namespace
}  // namespace edgestream::processor
