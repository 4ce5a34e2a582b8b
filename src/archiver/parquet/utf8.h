// UTF-8 validation for STRING columns: Parquet's STRING logical type promises
// UTF-8, and readers such as DuckDB reject a file that breaks the promise, so
// the writer refuses such a value instead of producing an unreadable file.
#pragma once

#include <string_view>

namespace edgestream::parquet {

// True when text is well-formed UTF-8 per RFC 3629: no overlong forms, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequence.
bool is_valid_utf8(std::string_view text);

}  // namespace edgestream::parquet
