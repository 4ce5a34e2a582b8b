#include "json_document.h"

#include <algorithm>
#include <cstring>

#include "edgestream/contract/fields.h"
#include "json_read.h"

namespace edgestream::contract::detail {

namespace od = simdjson::ondemand;

namespace {
// Room for typical records (~120 to ~200 bytes) from the first record on.
constexpr std::size_t kInitialBufferBytes = 1024;

Rejection reject(InvalidReason reason, std::string detail) { return {reason, std::move(detail)}; }
}  // namespace

const char* json_type_name(od::json_type type) {
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

std::optional<Rejection> JsonObjectReader::open(std::string_view payload, od::object& object, int max_depth) {
  if (payload.size() > kMaxRecordBytes) {
    return reject(InvalidReason::kTooLarge, "payload is " + std::to_string(payload.size()) +
                                                " bytes, above the limit of " +
                                                std::to_string(kMaxRecordBytes));
  }
  // simdjson's first pass also checks UTF-8, but reports other problems it
  // finds in the same pass first; checking up front makes the reason
  // deterministic.
  if (!simdjson::validate_utf8(payload.data(), payload.size())) {
    return reject(InvalidReason::kInvalidUtf8, "payload is not valid UTF-8");
  }
  // A default padded_string owns no memory at all: allocate even for an empty
  // payload, whose padding is still written below.
  if (buffer_.data() == nullptr || buffer_.size() < payload.size()) {
    buffer_ = simdjson::padded_string(std::max({payload.size(), 2 * buffer_.size(), kInitialBufferBytes}));
  }
  if (!payload.empty()) std::memcpy(buffer_.data(), payload.data(), payload.size());
  // The padding must not hold bytes of an earlier, longer payload: the number
  // parser may look past the end of the input.
  std::memset(buffer_.data() + payload.size(), 0, simdjson::SIMDJSON_PADDING);
  simdjson::padded_string_view input(buffer_.data(), payload.size(),
                                     buffer_.size() + simdjson::SIMDJSON_PADDING);

  if (auto error = parser_.iterate(input).get(document_); error != simdjson::SUCCESS) {
    if (error == simdjson::UTF8_ERROR) {
      return reject(InvalidReason::kInvalidUtf8, "payload is not valid UTF-8");
    }
    return reject(InvalidReason::kInvalidJson,
                  std::string("payload is not JSON: ") + simdjson::error_message(error));
  }
  od::json_type top_type{};
  if (document_.type().get(top_type) != simdjson::SUCCESS) {
    return reject(InvalidReason::kInvalidJson, "payload is not JSON: unexpected first token");
  }
  if (top_type != od::json_type::object) {
    // Whether the non-object is at least valid JSON decides the reason.
    if (!json_read::skip_document(document_, buffer_.data() + payload.size(), max_depth)) {
      return reject(InvalidReason::kInvalidJson, "payload is not JSON");
    }
    return reject(InvalidReason::kNotAnObject,
                  std::string("payload is ") + json_type_name(top_type) + ", expected an object");
  }
  if (auto error = document_.get_object().get(object); error != simdjson::SUCCESS) {
    return reject(InvalidReason::kInvalidJson,
                  std::string("payload is not JSON: ") + simdjson::error_message(error));
  }
  return std::nullopt;
}

bool JsonObjectReader::at_end() { return json_read::at_document_end(document_); }

}  // namespace edgestream::contract::detail
