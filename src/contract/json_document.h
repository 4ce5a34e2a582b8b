// The prelude every record parser of the contract shares: size and UTF-8
// checks, the padded copy simdjson needs, and the top-level object. Private
// to the contract library.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "edgestream/contract/invalid_reason.h"

namespace edgestream::contract::detail {

// Why a payload was refused, for the dead letter.
struct Rejection {
  InvalidReason reason = InvalidReason::kInvalidJson;
  std::string detail;  // which field and why
};

// "an array", "a string", …: for details such as "count is a string, expected an integer".
const char* json_type_name(simdjson::ondemand::json_type type);

// Owns simdjson's parser and one padded buffer, grown only, so that steady
// state allocates nothing. Not thread-safe: one per parser object.
class JsonObjectReader {
 public:
  // Checks `payload` (size, UTF-8, JSON, an object) and sets `object` to its
  // top-level object, valid until the next open(). Nesting deeper than
  // `max_depth` in a non-object payload counts as invalid JSON.
  std::optional<Rejection> open(std::string_view payload, simdjson::ondemand::object& object, int max_depth);
  // True when nothing but whitespace follows the object read so far; call
  // after the last field.
  bool at_end();

 private:
  simdjson::ondemand::parser parser_;
  simdjson::padded_string buffer_;
  simdjson::ondemand::document document_;
};

}  // namespace edgestream::contract::detail
