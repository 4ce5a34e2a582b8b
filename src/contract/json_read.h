// Reading JSON with simdjson's On Demand API, strictly: the helpers the
// contract's parsers and decoders share. Private to the contract library.
#pragma once

#include <simdjson.h>

#include <string_view>

namespace edgestream::json_read {

// True iff `text` is exactly one RFC 8259 number:
//   -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
// simdjson reports an out-of-range number (1e400) and a malformed one (01,
// 1., -) with the same error; this grammar check tells them apart.
bool is_json_number(std::string_view text);

// The raw token of a scalar without the whitespace simdjson keeps after it.
std::string_view trim_json_whitespace(std::string_view text);

// Walks `value` to its end, checking the JSON grammar of everything inside it
// (On Demand otherwise skips unread values without validating them). Returns
// false on malformed JSON or nesting deeper than kMaxSkipDepth.
inline constexpr int kMaxSkipDepth = 64;
bool skip_value(simdjson::ondemand::value& value, int depth, int max_depth = kMaxSkipDepth);

// Same for a whole document that is not read field by field (a top-level
// array or scalar); also rejects content after the value. `input_end` is the
// end of the document's text.
bool skip_document(simdjson::ondemand::document& document, const char* input_end,
                   int max_depth = kMaxSkipDepth);

// True when nothing but whitespace follows the part of `document` read so far.
bool at_document_end(simdjson::ondemand::document& document);

}  // namespace edgestream::json_read
