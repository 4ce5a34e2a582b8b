#include "edgestream/contract/processed_record.h"

#include <array>
#include <cmath>
#include <optional>
#include <utility>

#include "edgestream/common/json_text.h"
#include "edgestream/contract/fields.h"
#include "json_document.h"
#include "json_read.h"

namespace edgestream::contract {

namespace od = simdjson::ondemand;

namespace {

// Unknown fields are walked to check their syntax; deeper nesting than this is
// not a processed-data record and is rejected rather than recursed into.
constexpr int kMaxDepth = 32;

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
constexpr std::array<std::string_view, kFieldCount> kFieldNames{
    field::kType,           field::kDeviceId,    field::kTimestamp,      field::kWindowStart,
    field::kWindowEnd,      field::kTemperature, field::kHumidity,       field::kStatus,
    field::kTemperatureAvg, field::kCount,       field::kTemperatureMin, field::kTemperatureMax,
    field::kTemperatureSum};

enum class Expect : std::uint8_t { kString, kNumber, kInteger };
constexpr std::array<Expect, kFieldCount> kExpected{
    Expect::kString, Expect::kString, Expect::kString, Expect::kString, Expect::kString,
    Expect::kNumber, Expect::kNumber, Expect::kString, Expect::kNumber, Expect::kInteger,
    Expect::kNumber, Expect::kNumber, Expect::kNumber};

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
  const std::string_view name = kFieldNames[static_cast<std::size_t>(id)];
  od::json_type type{};
  if (value.type().get(type) != simdjson::SUCCESS) return Read::kMalformed;
  const Expect expect = kExpected[static_cast<std::size_t>(id)];
  const bool want_string = expect == Expect::kString;
  if ((want_string && type != od::json_type::string) || (!want_string && type != od::json_type::number)) {
    slot.state = Slot::State::kProblem;
    slot.reason = InvalidReason::kWrongType;
    slot.detail = std::string(name) + " is " + detail::json_type_name(type) + ", expected " +
                  (want_string                  ? "a string"
                   : expect == Expect::kInteger ? "an integer"
                                                : "a number");
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
    slot.detail =
        std::string(name) + " " + std::string(token.substr(0, 32)) + " is outside the range of a double";
    return Read::kDone;
  }
  slot.state = Slot::State::kValue;
  return Read::kDone;
}

ProcessedRecordParseResult failure(InvalidReason reason, std::string detail) {
  ProcessedRecordParseResult result;
  result.reason = reason;
  result.detail = std::move(detail);
  return result;
}

void append_aggregate_fields(std::string& out, const Aggregate& aggregate, Millis window_size) {
  out += R"("window_start":")";
  append_rfc3339(out, aggregate.window_start);
  out += R"(","window_end":")";
  append_rfc3339(out, aggregate.window_start + window_size);
  out += R"(","temperature_avg":)";
  append_json_number(out, aggregate.average());
  out += R"(,"count":)";
  append_json_int(out, aggregate.count);
  out += R"(,"temperature_min":)";
  append_json_number(out, aggregate.min);
  out += R"(,"temperature_max":)";
  append_json_number(out, aggregate.max);
  out += '}';
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

ProcessedRecordParser::ProcessedRecordParser() : reader_(std::make_unique<detail::JsonObjectReader>()) {}
ProcessedRecordParser::~ProcessedRecordParser() = default;
ProcessedRecordParser::ProcessedRecordParser(ProcessedRecordParser&&) noexcept = default;
ProcessedRecordParser& ProcessedRecordParser::operator=(ProcessedRecordParser&&) noexcept = default;

ProcessedRecordParseResult ProcessedRecordParser::parse(std::string_view payload) {
  od::object object;
  if (auto rejection = reader_->open(payload, object, kMaxDepth)) {
    return failure(rejection->reason, std::move(rejection->detail));
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
  if (!reader_->at_end()) {
    return failure(InvalidReason::kInvalidJson, "payload is not JSON: content after the object");
  }

  auto slot = [&slots](FieldId id) -> Slot& { return slots[static_cast<std::size_t>(id)]; };
  const Slot& type = slot(FieldId::kType);
  if (type.state == Slot::State::kAbsent) return failure(InvalidReason::kMissingField, "type is missing");
  if (type.state == Slot::State::kProblem) return failure(type.reason, type.detail);

  ProcessedRecordParseResult result;
  ProcessedRecord& record = result.record;
  if (type.text == type::kReading) {
    record.kind = RecordKind::kReading;
  } else if (type.text == type::kAggregate) {
    record.kind = RecordKind::kAggregate;
  } else if (type.text == type::kDeviceAggregate) {
    record.kind = RecordKind::kDeviceAggregate;
  } else if (type.text == type::kAggregateCorrection) {
    record.kind = RecordKind::kAggregateCorrection;
  } else {
    return failure(InvalidReason::kUnknownType,
                   "type \"" + std::string(type.text.substr(0, 64)) +
                       "\" is not reading, aggregate, device_aggregate or aggregate_correction");
  }

  static constexpr std::array kReadingFields{FieldId::kDeviceId, FieldId::kTimestamp, FieldId::kTemperature,
                                             FieldId::kHumidity, FieldId::kStatus};
  static constexpr std::array kAggregateFields{FieldId::kWindowStart,    FieldId::kWindowEnd,
                                               FieldId::kTemperatureAvg, FieldId::kCount,
                                               FieldId::kTemperatureMin, FieldId::kTemperatureMax};
  // A correction carries the sum of its share instead of an average.
  static constexpr std::array kCorrectionFields{FieldId::kWindowStart,    FieldId::kWindowEnd,
                                                FieldId::kTemperatureSum, FieldId::kCount,
                                                FieldId::kTemperatureMin, FieldId::kTemperatureMax};
  auto check = [&](const auto& fields) -> std::optional<ProcessedRecordParseResult> {
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
  auto timestamp = [&](FieldId id, EventTime& out) -> std::optional<ProcessedRecordParseResult> {
    const std::string_view text = slot(id).text;
    if (auto time = parse_rfc3339(text)) {
      out = *time;
      return std::nullopt;
    }
    return failure(InvalidReason::kInvalidTimestamp, std::string(kFieldNames[static_cast<std::size_t>(id)]) +
                                                         " \"" + std::string(text.substr(0, 64)) +
                                                         "\" is not RFC 3339");
  };
  auto device_id = [&]() -> std::optional<ProcessedRecordParseResult> {
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
    if (auto bad =
            check(record.kind == RecordKind::kAggregateCorrection ? kCorrectionFields : kAggregateFields)) {
      return std::move(*bad);
    }
    if (record.kind == RecordKind::kDeviceAggregate) {
      if (auto bad = device_id()) return std::move(*bad);
    }
    EventTime window_end;
    if (auto bad = timestamp(FieldId::kWindowStart, record.event_time)) return std::move(*bad);
    if (auto bad = timestamp(FieldId::kWindowEnd, window_end)) return std::move(*bad);
    if (window_end <= record.event_time) {
      return failure(InvalidReason::kInvalidWindow, "window_end " + format_rfc3339(window_end) +
                                                        " is not after window_start " +
                                                        format_rfc3339(record.event_time));
    }
    if (record.kind == RecordKind::kAggregateCorrection) {
      record.temperature_sum = slot(FieldId::kTemperatureSum).number;
    } else {
      record.temperature = slot(FieldId::kTemperatureAvg).number;
    }
    record.count = slot(FieldId::kCount).integer;
    if (record.count < 1) {
      return failure(InvalidReason::kInvalidCount, "count " + std::to_string(record.count) + " is below 1");
    }
    record.min = slot(FieldId::kTemperatureMin).number;
    record.max = slot(FieldId::kTemperatureMax).number;
  }
  result.ok = true;
  return result;
}

void encode_aggregate(std::string& out, const Aggregate& aggregate, Millis window_size) {
  out += R"({"type":"aggregate",)";
  append_aggregate_fields(out, aggregate, window_size);
}

void encode_device_aggregate(std::string& out, std::string_view device_id, const Aggregate& aggregate,
                             Millis window_size) {
  out += R"({"type":"device_aggregate","device_id":)";
  append_json_string(out, device_id);
  out += ',';
  append_aggregate_fields(out, aggregate, window_size);
}

void encode_aggregate_correction(std::string& out, const Aggregate& late_partial, Millis window_size) {
  out += R"({"type":"aggregate_correction","window_start":")";
  append_rfc3339(out, late_partial.window_start);
  out += R"(","window_end":")";
  append_rfc3339(out, late_partial.window_start + window_size);
  out += R"(","count":)";
  append_json_int(out, late_partial.count);
  out += R"(,"temperature_sum":)";
  append_json_number(out, late_partial.sum);
  out += R"(,"temperature_min":)";
  append_json_number(out, late_partial.min);
  out += R"(,"temperature_max":)";
  append_json_number(out, late_partial.max);
  out += '}';
}

}  // namespace edgestream::contract
