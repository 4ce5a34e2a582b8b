#include "edgestream/contract/reading.h"

#include <array>
#include <cmath>
#include <string>
#include <utility>

#include "edgestream/common/json_text.h"
#include "edgestream/contract/fields.h"
#include "json_document.h"
#include "json_read.h"

namespace edgestream::contract {

namespace od = simdjson::ondemand;

namespace {

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
  static_assert(field::kStatus.size() == 6 && field::kHumidity.size() == 8 && field::kDeviceId.size() == 9 &&
                field::kTimestamp.size() == 9 && field::kTemperature.size() == 11);
  switch (key.size()) {
    case 6: return key == field::kStatus ? Field::kStatus : Field::kUnknown;
    case 8: return key == field::kHumidity ? Field::kHumidity : Field::kUnknown;
    case 9:
      if (key == field::kDeviceId) return Field::kDeviceId;
      if (key == field::kTimestamp) return Field::kTimestamp;
      return Field::kUnknown;
    case 11: return key == field::kTemperature ? Field::kTemperature : Field::kUnknown;
    default: return Field::kUnknown;
  }
}

ReadingParseResult failure(InvalidReason reason, std::string detail) {
  ReadingParseResult result;
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
Read read_string(od::value& value, std::string_view name, std::string_view& out, Problem& problem) {
  od::json_type type{};
  if (value.type().get(type) != simdjson::SUCCESS) return Read::kMalformed;
  if (type != od::json_type::string) {
    problem.note(InvalidReason::kWrongType,
                 std::string(name) + " is " + detail::json_type_name(type) + ", expected a string");
    return json_read::skip_value(value, 0) ? Read::kProblem : Read::kMalformed;
  }
  return value.get_string().get(out) == simdjson::SUCCESS ? Read::kValue : Read::kMalformed;
}

// Reads a number field (JSON integers included); kProblem after noting a
// wrong type or a number beyond the double range.
Read read_number(od::value& value, std::string_view name, double& out, Problem& problem) {
  od::json_type type{};
  if (value.type().get(type) != simdjson::SUCCESS) return Read::kMalformed;
  if (type != od::json_type::number) {
    problem.note(InvalidReason::kWrongType,
                 std::string(name) + " is " + detail::json_type_name(type) + ", expected a number");
    return json_read::skip_value(value, 0) ? Read::kProblem : Read::kMalformed;
  }
  std::string_view token = json_read::trim_json_whitespace(value.raw_json_token());
  if (value.get_double().get(out) != simdjson::SUCCESS) {
    // simdjson rejects both malformed numbers and numbers beyond the double
    // range with this error; only the latter is well-formed JSON.
    if (!json_read::is_json_number(token)) return Read::kMalformed;
    problem.note(InvalidReason::kNonFiniteNumber, std::string(name) + " " + std::string(token.substr(0, 32)) +
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

ReadingParser::ReadingParser() : reader_(std::make_unique<detail::JsonObjectReader>()) {}
ReadingParser::~ReadingParser() = default;
ReadingParser::ReadingParser(ReadingParser&&) noexcept = default;
ReadingParser& ReadingParser::operator=(ReadingParser&&) noexcept = default;

ReadingParseResult ReadingParser::parse(std::string_view payload) {
  od::object object;
  if (auto rejection = reader_->open(payload, object, json_read::kMaxSkipDepth)) {
    return failure(rejection->reason, std::move(rejection->detail));
  }

  ReadingParseResult result;
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
        read = read_string(value, field::kDeviceId, reading.device_id, problem);
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
        read = read_string(value, field::kTimestamp, text, problem);
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
        read = read_number(value, field::kTemperature, reading.temperature, problem);
        if (read == Read::kValue && reading.temperature < kAbsoluteZeroCelsius) {
          std::string detail = "temperature ";
          append_json_number(detail, reading.temperature);
          detail += " is below absolute zero (-273.15)";
          problem.note(InvalidReason::kTemperatureBelowAbsoluteZero, std::move(detail));
        }
        break;
      case Field::kHumidity:
        read = read_number(value, field::kHumidity, reading.humidity, problem);
        if (read == Read::kValue && !(reading.humidity >= kMinHumidity && reading.humidity <= kMaxHumidity)) {
          std::string detail = "humidity ";
          append_json_number(detail, reading.humidity);
          detail += " is outside [0, 100]";
          problem.note(InvalidReason::kHumidityOutOfRange, std::move(detail));
        }
        break;
      case Field::kStatus: read = read_string(value, field::kStatus, reading.status, problem); break;
      case Field::kUnknown: break;
    }
    if (read == Read::kMalformed) {
      return failure(InvalidReason::kInvalidJson,
                     "payload is not JSON: malformed value of field " + std::string(key));
    }
  }
  if (!reader_->at_end()) {
    return failure(InvalidReason::kInvalidJson, "payload is not JSON: content after the object");
  }
  if (problem.found) return failure(problem.reason, std::move(problem.detail));
  if (seen != kAllFields) {
    static constexpr std::array<std::pair<Field, std::string_view>, 5> kNames{{
        {Field::kDeviceId, field::kDeviceId},
        {Field::kTimestamp, field::kTimestamp},
        {Field::kTemperature, field::kTemperature},
        {Field::kHumidity, field::kHumidity},
        {Field::kStatus, field::kStatus},
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

void encode_reading(std::string& out, const Reading& reading, ReadingTopic topic) {
  out += topic == ReadingTopic::kProcessedData ? R"({"type":"reading","device_id":)" : R"({"device_id":)";
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

}  // namespace edgestream::contract
