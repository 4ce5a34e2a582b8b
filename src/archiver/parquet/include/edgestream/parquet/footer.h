// Reading what a Parquet file's footer says about it, without reading its
// data: the auditor (src/audit) checks each archived object's row count this
// way, fetching only the end of the object.
//
// A Parquet file ends with <FileMetaData (Thrift compact)> <u32 LE length>
// "PAR1". Pure functions on bytes; no I/O, never throw; damaged input is an
// kInvalidInput error that says what is wrong.
#pragma once

#include <cstdint>
#include <string_view>

#include "edgestream/common/status.h"

namespace edgestream::parquet {

// The 4-byte length and the "PAR1" magic that end every Parquet file.
inline constexpr std::size_t kFooterTrailerBytes = 8;

// How many bytes from the end of the file hold the footer (metadata plus
// trailer), read from the file's last kFooterTrailerBytes (or more) bytes.
// `file_size` bounds the answer: a length beyond the file is damage.
Result<std::uint64_t> footer_bytes_needed(std::string_view file_tail, std::uint64_t file_size);

struct FooterSummary {
  std::int64_t num_rows = 0;  // FileMetaData.num_rows
};

// Decodes the footer from the end of a file: `file_tail` must hold at least
// footer_bytes_needed() bytes (more is fine, the front is ignored).
Result<FooterSummary> read_footer_summary(std::string_view file_tail);

}  // namespace edgestream::parquet
