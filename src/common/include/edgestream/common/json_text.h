// Writing JSON text by hand, fast: the hot paths (simulator, processor) build
// small fixed-shape objects and a general JSON library would cost more than
// the work itself.
#pragma once

#include <string>
#include <string_view>

namespace edgestream {

// Appends a JSON string literal (quotes included) with RFC 8259 escaping:
// quote, backslash and control characters; other bytes are copied as they are
// (callers pass UTF-8).
void append_json_string(std::string& out, std::string_view text);

// Appends the shortest decimal text that parses back to exactly `value`
// (std::to_chars' round-trip guarantee). Non-finite values have no JSON
// form; callers validate first, and this writes null for them.
void append_json_number(std::string& out, double value);

// Appends an integer.
void append_json_int(std::string& out, long long value);

}  // namespace edgestream
