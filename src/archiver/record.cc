#include "edgestream/archiver/record.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <optional>

#include "edgestream/common/json_read.h"

namespace edgestream::archiver {

namespace od = simdjson::ondemand;

namespace {

// Room for typical records (~200 bytes) from the first record on.
constexpr std::size_t kInitialBufferBytes = 1024;
// Unknown fields are walked to check their syntax; deeper nesting than this is
// not a processed-data record and is rejected rather than recursed into.
constexpr int kMaxDepth = 32;

const char* type_name(od::json_type type) {
  switch (type) {
    case od::json_type::array: return "an array";
    case od::json_type::object: return "an object";
    case od::json_type::number: return "a number";
    case od::json_type::string: return "a string";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
  }
  return "an unknown JSON type";
}


// The fields processed-data records have, across the four types.
enum class FieldId : std::uint8_t {
  kType,
  kDeviceId,
  kTimestamp,
  kWindowStart,
  kWindowEnd,
  kTemperature,
  kHumidity,
  kStatus,
  kTemperatureAvg,
  kCount,
  kTemperatureMin,
  kTemperatureMax,
  kTemperatureSum,
  kUnknown,
};
constexpr std::size_t kFieldCount = static_cast<std::size_t>(FieldId::kUnknown);
constexpr std::array<const char*, kFieldCount> kFieldNames{
    "type",     "device_id", "timestamp",       "window_start", "window_end",      "temperature",
    "humidity", "status",    "temperature_avg", "count",        "temperature_min", "temperature_max",
    "temperature_sum"};

enum class Expect : std::uint8_t { kString, kNumber, kInteger };
constexpr std::array<Expect, kFieldCount> kExpected{
    Expect::kString, Expect::kString, Expect::kString, Expect::kString,
    Expect::kString, Expect::kNumber, Expect::kNumber, Expect::kString,
    Expect::kNumber, Expect::kInteger, Expect::kNumber, Expect::kNumber,
    Expect::kNumber};

FieldId identify(std::string_view key) {
  for (std::size_t i = 0; i < kFieldCount; ++i) {
    if (key == kFieldNames[i]) return static_cast<FieldId>(i);
  }
  return FieldId::kUnknown;
}

// One field as read: absent, a value, or a problem that matters only if the
// record's type requires the field.
struct Slot {
  enum class State : std::uint8_t { kAbsent, kValue, kProblem } state = State::kAbsent;
  InvalidReason reason = InvalidReason::kWrongType;
  std::string detail;
  std::string_view text;
  double number = 0;
  std::int64_t integer = 0;
};

enum class Read : std::uint8_t { kDone, kMalformed };

Read read_slot(od::value& value, FieldId id, Slot& slot) {
  const char* name = kFieldNames[static_cast<std::size_t>(id)];
  od::json_type type{};
  if (value.type().get(type) != simdjson::SUCCESS) return Read::kMalformed;
  const Expect expect = kExpected[static_cast<std::size_t>(id)];
  const bool want_string = expect == Expect::kString;
  if ((want_string && type != od::json_type::string) ||
      (!want_string && type != od::json_type::number)) {
    slot.state = Slot::State::kProblem;
    slot.reason = InvalidReason::kWrongType;
    slot.detail = std::string(name) + " is " + type_name(type) + ", expected " +
                  (want_string ? "a string" : expect == Expect::kInteger ? "an integer" : "a number");
    return json_read::skip_value(value, 0, kMaxDepth) ? Read::kDone : Read::kMalformed;
  }
  if (want_string) {
    if (value.get_string().get(slot.text) != simdjson::SUCCESS) return Read::kMalformed;
    slot.state = Slot::State::kValue;
    return Read::kDone;
  }
  const std::string_view token = json_read::trim_json_whitespace(value.raw_json_token());
  if (!json_read::is_json_number(token)) return Read::kMalformed;
  if (expect == Expect::kInteger) {
    if (value.get_int64().get(slot.integer) != simdjson::SUCCESS) {
      slot.state = Slot::State::kProblem;
      slot.reason = InvalidReason::kWrongType;
      slot.detail = std::string(name) + " " + std::string(token.substr(0, 32)) +
                    " is not an integer in the range of int64";
      return Read::kDone;
    }
    slot.state = Slot::State::kValue;
    return Read::kDone;
  }
  if (value.get_double().get(slot.number) != simdjson::SUCCESS || !std::isfinite(slot.number)) {
    slot.state = Slot::State::kProblem;
    slot.reason = InvalidReason::kNonFiniteNumber;
    slot.detail = std::string(name) + " " + std::string(token.substr(0, 32)) +
                  " is outside the range of a double";
    return Read::kDone;
  }
  slot.state = Slot::State::kValue;
  return Read::kDone;
}

ParseResult failure(InvalidReason reason, std::string detail) {
  ParseResult result;
  result.reason = reason;
  result.detail = std::move(detail);
  return result;
}

}  // namespace

const char* to_string(RecordKind kind) {
  switch (kind) {
    case RecordKind::kReading: return "reading";
    case RecordKind::kAggregate: return "aggregate";
    case RecordKind::kDeviceAggregate: return "device_aggregate";
    case RecordKind::kAggregateCorrection: return "aggregate_correction";
  }
  return "unknown";
}

const char* object_kind_name(RecordKind kind) {
  switch (kind) {
    case RecordKind::kReading: return "readings";
    case RecordKind::kAggregate: return "aggregates";
    case RecordKind::kDeviceAggregate: return "device-aggregates";
    case RecordKind::kAggregateCorrection: return "aggregate-corrections";
  }
  return "unknown";
}

const char* to_string(InvalidReason reason) {
  switch (reason) {
    case InvalidReason::kTooLarge: return "too_large";
    case InvalidReason::kInvalidUtf8: return "invalid_utf8";
    case InvalidReason::kInvalidJson: return "invalid_json";
    case InvalidReason::kNotAnObject: return "not_an_object";
    case InvalidReason::kUnknownType: return "unknown_type";
    case InvalidReason::kMissingField: return "missing_field";
    case InvalidReason::kWrongType: return "wrong_type";
    case InvalidReason::kInvalidDeviceId: return "invalid_device_id";
    case InvalidReason::kInvalidTimestamp: return "invalid_timestamp";
    case InvalidReason::kNonFiniteNumber: return "non_finite_number";
    case InvalidReason::kInvalidCount: return "invalid_count";
    case InvalidReason::kInvalidWindow: return "invalid_window";
    case InvalidReason::kRejectedByWriter: return "rejected_by_writer";
    case InvalidReason::kTimestampInFuture: return "timestamp_in_future";
    case InvalidReason::kDeadLetterRejected: return "dead_letter_rejected";
  }
  return "unknown";
}

ParseResult RecordParser::parse(std::string_view payload) {
  if (payload.size() > kMaxRecordBytes) {
    return failure(InvalidReason::kTooLarge, "payload is " + std::to_string(payload.size()) +
                                                 " bytes, above the limit of " +
                                                 std::to_string(kMaxRecordBytes));
  }
  // Checked up front so the reason does not depend on which problem
  // simdjson's first pass happens to report first.
  if (!simdjson::validate_utf8(payload.data(), payload.size())) {
    return failure(InvalidReason::kInvalidUtf8, "payload is not valid UTF-8");
  }
  // One padded buffer, grown only: steady state allocates nothing.
  if (buffer_.data() == nullptr || buffer_.size() < payload.size()) {
    buffer_ = simdjson::padded_string(
        std::max({payload.size(), 2 * buffer_.size(), kInitialBufferBytes}));
  }
  if (!payload.empty()) std::memcpy(buffer_.data(), payload.data(), payload.size());
  // Bytes of an earlier, longer payload must not sit in the padding: the
  // number parser may read past the end of the input.
  std::memset(buffer_.data() + payload.size(), 0, simdjson::SIMDJSON_PADDING);
  simdjson::padded_string_view input(buffer_.data(), payload.size(),
                                     buffer_.size() + simdjson::SIMDJSON_PADDING);

  od::document document;
  if (auto error = parser_.iterate(input).get(document); error != simdjson::SUCCESS) {
    return failure(InvalidReason::kInvalidJson,
                   std::string("payload is not JSON: ") + simdjson::error_message(error));
  }
  od::json_type top{};
  if (document.type().get(top) != simdjson::SUCCESS) {
    return failure(InvalidReason::kInvalidJson, "payload is not JSON");
  }
  if (top != od::json_type::object) {
    // Whether the non-object is at least valid JSON decides the reason.
    const bool valid =
        json_read::skip_document(document, buffer_.data() + payload.size(), kMaxDepth);
    if (!valid) return failure(InvalidReason::kInvalidJson, "payload is not JSON");
    return failure(InvalidReason::kNotAnObject,
                   std::string("payload is ") + type_name(top) + ", expected an object");
  }
  od::object object;
  if (document.get_object().get(object) != simdjson::SUCCESS) {
    return failure(InvalidReason::kInvalidJson, "payload is not JSON: malformed object");
  }

  std::array<Slot, kFieldCount> slots;
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
    const FieldId id = identify(key);
    if (id == FieldId::kUnknown || slots[static_cast<std::size_t>(id)].state != Slot::State::kAbsent) {
      if (!json_read::skip_value(value, 0, kMaxDepth)) {
        return failure(InvalidReason::kInvalidJson,
                       "payload is not JSON: malformed or too deeply nested value of field " +
                           std::string(key.substr(0, 64)));
      }
      continue;
    }
    if (read_slot(value, id, slots[static_cast<std::size_t>(id)]) == Read::kMalformed) {
      return failure(InvalidReason::kInvalidJson,
                     "payload is not JSON: malformed value of field " + std::string(key));
    }
  }
  if (!json_read::at_document_end(document)) {
    return failure(InvalidReason::kInvalidJson, "payload is not JSON: content after the object");
  }

  auto slot = [&slots](FieldId id) -> Slot& { return slots[static_cast<std::size_t>(id)]; };
  const Slot& type = slot(FieldId::kType);
  if (type.state == Slot::State::kAbsent) return failure(InvalidReason::kMissingField, "type is missing");
  if (type.state == Slot::State::kProblem) return failure(type.reason, type.detail);

  ParseResult result;
  ArchiveRecord& record = result.record;
  if (type.text == "reading") {
    record.kind = RecordKind::kReading;
  } else if (type.text == "aggregate") {
    record.kind = RecordKind::kAggregate;
  } else if (type.text == "device_aggregate") {
    record.kind = RecordKind::kDeviceAggregate;
  } else if (type.text == "aggregate_correction") {
    record.kind = RecordKind::kAggregateCorrection;
  } else {
    return failure(InvalidReason::kUnknownType,
                   "type \"" + std::string(type.text.substr(0, 64)) +
                       "\" is not reading, aggregate, device_aggregate or aggregate_correction");
  }

  static constexpr std::array kReadingFields{FieldId::kDeviceId, FieldId::kTimestamp,
                                             FieldId::kTemperature, FieldId::kHumidity,
                                             FieldId::kStatus};
  static constexpr std::array kAggregateFields{FieldId::kWindowStart, FieldId::kWindowEnd,
                                               FieldId::kTemperatureAvg, FieldId::kCount,
                                               FieldId::kTemperatureMin, FieldId::kTemperatureMax};
  // A correction carries the sum of its share instead of an average.
  static constexpr std::array kCorrectionFields{FieldId::kWindowStart, FieldId::kWindowEnd,
                                                FieldId::kTemperatureSum, FieldId::kCount,
                                                FieldId::kTemperatureMin, FieldId::kTemperatureMax};
  auto check = [&](const auto& fields) -> std::optional<ParseResult> {
    for (FieldId id : fields) {  // every missing field before any bad value
      if (slot(id).state == Slot::State::kAbsent) {
        return failure(InvalidReason::kMissingField,
                       std::string(kFieldNames[static_cast<std::size_t>(id)]) + " is missing");
      }
    }
    for (FieldId id : fields) {
      if (slot(id).state == Slot::State::kProblem) return failure(slot(id).reason, slot(id).detail);
    }
    return std::nullopt;
  };
  auto timestamp = [&](FieldId id, EventTime& out) -> std::optional<ParseResult> {
    const std::string_view text = slot(id).text;
    if (auto time = parse_rfc3339(text)) {
      out = *time;
      return std::nullopt;
    }
    return failure(InvalidReason::kInvalidTimestamp,
                   std::string(kFieldNames[static_cast<std::size_t>(id)]) + " \"" +
                       std::string(text.substr(0, 64)) + "\" is not RFC 3339");
  };
  auto device_id = [&]() -> std::optional<ParseResult> {
    record.device_id = slot(FieldId::kDeviceId).text;
    if (record.device_id.empty()) return failure(InvalidReason::kInvalidDeviceId, "device_id is empty");
    if (record.device_id.size() > kMaxDeviceIdBytes) {
      return failure(InvalidReason::kInvalidDeviceId,
                     "device_id is " + std::to_string(record.device_id.size()) +
                         " bytes, above the limit of " + std::to_string(kMaxDeviceIdBytes));
    }
    return std::nullopt;
  };

  if (record.kind == RecordKind::kReading) {
    if (auto bad = check(kReadingFields)) return std::move(*bad);
    if (auto bad = device_id()) return std::move(*bad);
    if (auto bad = timestamp(FieldId::kTimestamp, record.event_time)) return std::move(*bad);
    record.temperature = slot(FieldId::kTemperature).number;
    record.humidity = slot(FieldId::kHumidity).number;
    record.status = slot(FieldId::kStatus).text;
  } else {
    if (record.kind == RecordKind::kDeviceAggregate) {
      if (slot(FieldId::kDeviceId).state == Slot::State::kAbsent) {
        return failure(InvalidReason::kMissingField, "device_id is missing");
      }
      if (slot(FieldId::kDeviceId).state == Slot::State::kProblem) {
        return failure(slot(FieldId::kDeviceId).reason, slot(FieldId::kDeviceId).detail);
      }
    }
    if (auto bad = check(record.kind == RecordKind::kAggregateCorrection ? kCorrectionFields
                                                                          : kAggregateFields)) {
      return std::move(*bad);
    }
    if (record.kind == RecordKind::kDeviceAggregate) {
      if (auto bad = device_id()) return std::move(*bad);
    }
    EventTime window_end;
    if (auto bad = timestamp(FieldId::kWindowStart, record.event_time)) return std::move(*bad);
    if (auto bad = timestamp(FieldId::kWindowEnd, window_end)) return std::move(*bad);
    if (window_end <= record.event_time) {
      return failure(InvalidReason::kInvalidWindow,
                     "window_end " + format_rfc3339(window_end) + " is not after window_start " +
                         format_rfc3339(record.event_time));
    }
    if (record.kind == RecordKind::kAggregateCorrection) {
      record.temperature_sum = slot(FieldId::kTemperatureSum).number;
    } else {
      record.temperature = slot(FieldId::kTemperatureAvg).number;
    }
    record.count = slot(FieldId::kCount).integer;
    if (record.count < 1) {
      return failure(InvalidReason::kInvalidCount,
                     "count " + std::to_string(record.count) + " is below 1");
    }
    record.min = slot(FieldId::kTemperatureMin).number;
    record.max = slot(FieldId::kTemperatureMax).number;
  }
  result.ok = true;
  return result;
}

}  // namespace edgestream::archiver
