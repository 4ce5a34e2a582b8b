#include "edgestream/processor/reading.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string>

#include "edgestream/common/json_text.h"
#include "edgestream/common/json_read.h"

namespace edgestream::processor {

namespace od = simdjson::ondemand;


namespace {

// Room for typical readings (~120 bytes) from the first record on.
constexpr size_t kInitialBufferBytes = 1024;

const char* type_name(od::json_type type) {
  switch (type) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "an unknown JSON type";
}

enum class Field : unsigned {
  kDeviceId = 1U << 0,
  kTimestamp = 1U << 1,
  kTemperature = 1U << 2,
  kHumidity = 1U << 3,
  kStatus = 1U << 4,
  kUnknown = 0,
};
constexpr unsigned kAllFields = 0x1F;

// Keys are compared by length first: one integer compare rejects most
// mismatches before any byte compare.
Field identify(std::string_view key) {
  switch (key.size()) {
    case 6:
      return key == "status" ? Field::kStatus : Field::kUnknown;
    case 8:
      return key == "humidity" ? Field::kHumidity : Field::kUnknown;
    case 9:
      if (key == "device_id") return Field::kDeviceId;
      if (key == "timestamp") return Field::kTimestamp;
      return Field::kUnknown;
    case 11:
      return key == "temperature" ? Field::kTemperature : Field::kUnknown;
    default:
      return Field::kUnknown;
  }
}

ParseResult failure(InvalidReason reason, std::string detail) {
  ParseResult result;
  result.ok = false;
  result.reason = reason;
  result.detail = std::move(detail);
  return result;
}

// The first problem found in a syntactically valid document. Parsing goes on
// after it so that broken JSON later in the payload still wins: a payload that
// is not JSON is reported as such, whatever else is wrong with it.
struct Problem {
  bool found = false;
  InvalidReason reason = InvalidReason::kInvalidJson;
  std::string detail;

  void note(InvalidReason problem_reason, std::string problem_detail) {
    if (found) return;
    found = true;
    reason = problem_reason;
    detail = std::move(problem_detail);
  }
};

enum class Read { kValue, kProblem, kMalformed };

// Reads a string field; kProblem after noting a wrong type.
Read read_string(od::value& value, const char* name, std::string_view& out, Problem& problem) {
  od::json_type type{};
  if (value.type().get(type) != simdjson::SUCCESS) return Read::kMalformed;
  if (type != od::json_type::string) {
    problem.note(InvalidReason::kWrongType,
                 std::string(name) + " is " + type_name(type) + ", expected a string");
    return json_read::skip_value(value, 0) ? Read::kProblem : Read::kMalformed;
  }
  return value.get_string().get(out) == simdjson::SUCCESS ? Read::kValue : Read::kMalformed;
}

// Reads a number field (JSON integers included); kProblem after noting a
// wrong type or a number beyond the double range.
Read read_number(od::value& value, const char* name, double& out, Problem& problem) {
  od::json_type type{};
  if (value.type().get(type) != simdjson::SUCCESS) return Read::kMalformed;
  if (type != od::json_type::number) {
    problem.note(InvalidReason::kWrongType,
                 std::string(name) + " is " + type_name(type) + ", expected a number");
    return json_read::skip_value(value, 0) ? Read::kProblem : Read::kMalformed;
  }
  std::string_view token = json_read::trim_json_whitespace(value.raw_json_token());
  if (value.get_double().get(out) != simdjson::SUCCESS) {
    // simdjson rejects both malformed numbers and numbers beyond the double
    // range with this error; only the latter is well-formed JSON.
    if (!json_read::is_json_number(token)) return Read::kMalformed;
    problem.note(InvalidReason::kNonFiniteNumber,
                 std::string(name) + " " + std::string(token.substr(0, 32)) +
                     " is outside the range of a double");
    return Read::kProblem;
  }
  if (!std::isfinite(out)) {  // simdjson reports overflow as an error; belt and braces
    problem.note(InvalidReason::kNonFiniteNumber, std::string(name) + " is not finite");
    return Read::kProblem;
  }
  return Read::kValue;
}

}  // namespace

const char* to_string(InvalidReason reason) {
  switch (reason) {
    case InvalidReason::kTooLarge:
      return "too_large";
    case InvalidReason::kInvalidUtf8:
      return "invalid_utf8";
    case InvalidReason::kInvalidJson:
      return "invalid_json";
    case InvalidReason::kNotAnObject:
      return "not_an_object";
    case InvalidReason::kMissingField:
      return "missing_field";
    case InvalidReason::kWrongType:
      return "wrong_type";
    case InvalidReason::kInvalidDeviceId:
      return "invalid_device_id";
    case InvalidReason::kInvalidTimestamp:
      return "invalid_timestamp";
    case InvalidReason::kNonFiniteNumber:
      return "non_finite_number";
    case InvalidReason::kHumidityOutOfRange:
      return "humidity_out_of_range";
    case InvalidReason::kTemperatureBelowAbsoluteZero:
      return "temperature_below_absolute_zero";
    case InvalidReason::kPartialBatchUndecodable:
      return "partial_batch_undecodable";
    case InvalidReason::kTimestampInFuture:
      return "timestamp_in_future";
  }
  return "unknown";
}

ParseResult RecordParser::parse(std::string_view payload) {
  if (payload.size() > kMaxRecordBytes) {
    return failure(InvalidReason::kTooLarge,
                   "payload is " + std::to_string(payload.size()) + " bytes, above the limit of " +
                       std::to_string(kMaxRecordBytes));
  }
  // simdjson's stage 1 also checks UTF-8, but reports other problems it finds
  // in the same pass first; checking up front makes the reason deterministic.
  if (!simdjson::validate_utf8(payload.data(), payload.size())) {
    return failure(InvalidReason::kInvalidUtf8, "payload is not valid UTF-8");
  }

  // Reuse one padded buffer (grow only) so steady state allocates nothing.
  // A default padded_string owns no memory at all: allocate even for an empty
  // payload, whose padding is still written below.
  if (buffer_.data() == nullptr || buffer_.size() < payload.size()) {
    buffer_ = simdjson::padded_string(
        std::max({payload.size(), 2 * buffer_.size(), kInitialBufferBytes}));
  }
  if (!payload.empty()) std::memcpy(buffer_.data(), payload.data(), payload.size());
  // The padding must not hold bytes of an earlier, longer payload: the number
  // parser may look past the end of the input.
  std::memset(buffer_.data() + payload.size(), 0, simdjson::SIMDJSON_PADDING);
  simdjson::padded_string_view input(buffer_.data(), payload.size(),
                                     buffer_.size() + simdjson::SIMDJSON_PADDING);

  od::document document;
  if (auto error = parser_.iterate(input).get(document); error != simdjson::SUCCESS) {
    if (error == simdjson::UTF8_ERROR) {
      return failure(InvalidReason::kInvalidUtf8, "payload is not valid UTF-8");
    }
    return failure(InvalidReason::kInvalidJson,
                   std::string("payload is not JSON: ") + simdjson::error_message(error));
  }
  od::json_type top_type{};
  if (document.type().get(top_type) != simdjson::SUCCESS) {
    return failure(InvalidReason::kInvalidJson, "payload is not JSON: unexpected first token");
  }
  if (top_type != od::json_type::object) {
    if (!json_read::skip_document(document, buffer_.data() + payload.size())) {
      return failure(InvalidReason::kInvalidJson, "payload is not JSON");
    }
    return failure(InvalidReason::kNotAnObject,
                   std::string("payload is ") + type_name(top_type) + ", expected an object");
  }
  od::object object;
  if (auto error = document.get_object().get(object); error != simdjson::SUCCESS) {
    return failure(InvalidReason::kInvalidJson,
                   std::string("payload is not JSON: ") + simdjson::error_message(error));
  }

  ParseResult result;
  Reading& reading = result.reading;
  Problem problem;
  unsigned seen = 0;
  for (auto field_result : object) {
    od::field field;
    if (std::move(field_result).get(field) != simdjson::SUCCESS) {
      return failure(InvalidReason::kInvalidJson, "payload is not JSON: malformed object");
    }
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return failure(InvalidReason::kInvalidJson, "payload is not JSON: malformed key");
    }
    od::value& value = field.value();
    const Field id = identify(key);
    const auto bit = static_cast<unsigned>(id);
    // Unknown fields, and repeats of a known field (the first one wins), are
    // walked only to check that they are well-formed JSON.
    if (id == Field::kUnknown || (seen & bit) != 0) {
      if (!json_read::skip_value(value, 0)) {
        return failure(InvalidReason::kInvalidJson,
                       "payload is not JSON: malformed or too deeply nested value of field " +
                           std::string(key.substr(0, 64)));
      }
      continue;
    }
    seen |= bit;
    Read read = Read::kValue;
    switch (id) {
      case Field::kDeviceId:
        read = read_string(value, "device_id", reading.device_id, problem);
        if (read == Read::kValue && reading.device_id.empty()) {
          problem.note(InvalidReason::kInvalidDeviceId, "device_id is empty");
        } else if (read == Read::kValue && reading.device_id.size() > kMaxDeviceIdBytes) {
          problem.note(InvalidReason::kInvalidDeviceId,
                       "device_id is " + std::to_string(reading.device_id.size()) +
                           " bytes, above the limit of " + std::to_string(kMaxDeviceIdBytes));
        }
        break;
      case Field::kTimestamp: {
        std::string_view text;
        read = read_string(value, "timestamp", text, problem);
        if (read != Read::kValue) break;
        if (auto time = parse_rfc3339(text)) {
          reading.timestamp = *time;
        } else {
          problem.note(InvalidReason::kInvalidTimestamp,
                       "timestamp \"" + std::string(text.substr(0, 64)) + "\" is not RFC 3339");
        }
        break;
      }
      case Field::kTemperature:
        read = read_number(value, "temperature", reading.temperature, problem);
        if (read == Read::kValue && reading.temperature < kAbsoluteZeroCelsius) {
          std::string detail = "temperature ";
          append_json_number(detail, reading.temperature);
          detail += " is below absolute zero (-273.15)";
          problem.note(InvalidReason::kTemperatureBelowAbsoluteZero, std::move(detail));
        }
        break;
      case Field::kHumidity:
        read = read_number(value, "humidity", reading.humidity, problem);
        if (read == Read::kValue && !(reading.humidity >= 0.0 && reading.humidity <= 100.0)) {
          std::string detail = "humidity ";
          append_json_number(detail, reading.humidity);
          detail += " is outside [0, 100]";
          problem.note(InvalidReason::kHumidityOutOfRange, std::move(detail));
        }
        break;
      case Field::kStatus:
        read = read_string(value, "status", reading.status, problem);
        break;
      case Field::kUnknown:
        break;
    }
    if (read == Read::kMalformed) {
      return failure(InvalidReason::kInvalidJson,
                     "payload is not JSON: malformed value of field " + std::string(key));
    }
  }
  if (!json_read::at_document_end(document)) {
    return failure(InvalidReason::kInvalidJson, "payload is not JSON: content after the object");
  }
  if (problem.found) return failure(problem.reason, std::move(problem.detail));
  if (seen != kAllFields) {
    static constexpr std::array<std::pair<Field, const char*>, 5> kNames{{
        {Field::kDeviceId, "device_id"},
        {Field::kTimestamp, "timestamp"},
        {Field::kTemperature, "temperature"},
        {Field::kHumidity, "humidity"},
        {Field::kStatus, "status"},
    }};
    std::string missing;
    for (const auto& [field, name] : kNames) {
      if ((seen & static_cast<unsigned>(field)) != 0) continue;
      if (!missing.empty()) missing += ", ";
      missing += name;
    }
    return failure(InvalidReason::kMissingField, "missing field(s): " + missing);
  }
  result.ok = true;
  return result;
}

const char* to_string(FilterVerdict verdict) {
  switch (verdict) {
    case FilterVerdict::kKeep:
      return "keep";
    case FilterVerdict::kStatusNotOk:
      return "status_not_ok";
    case FilterVerdict::kTemperatureAboveLimit:
      return "temperature_above_limit";
  }
  return "unknown";
}

FilterVerdict filter(const Reading& reading) {
  if (reading.status != "OK") return FilterVerdict::kStatusNotOk;
  if (!(reading.temperature <= kMaxTemperatureCelsius)) {
    return FilterVerdict::kTemperatureAboveLimit;
  }
  return FilterVerdict::kKeep;
}

std::optional<std::string> check_event_time(const Reading& reading, EventTime received,
                                            Millis max_future_skew) {
  // Compared as a difference: `received + max_future_skew` could leave the
  // range of EventTime for a configured skew of centuries.
  if (reading.timestamp <= received || reading.timestamp - received <= max_future_skew) {
    return std::nullopt;
  }
  return "timestamp " + format_rfc3339(reading.timestamp) + " is " +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(reading.timestamp - received).count()) +
         " s after the record reached Kafka (" + format_rfc3339(received) + "); more than " +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(max_future_skew).count()) +
         " s ahead is a clock error: fix the device's clock and replay the record";
}

void encode_reading(std::string& out, const Reading& reading) {
  out += R"({"type":"reading","device_id":)";
  append_json_string(out, reading.device_id);
  out += R"(,"timestamp":")";
  append_rfc3339(out, reading.timestamp);
  out += R"(","temperature":)";
  append_json_number(out, reading.temperature);
  out += R"(,"humidity":)";
  append_json_number(out, reading.humidity);
  out += R"(,"status":)";
  append_json_string(out, reading.status);
  out += '}';
}

}  // namespace edgestream::processor
