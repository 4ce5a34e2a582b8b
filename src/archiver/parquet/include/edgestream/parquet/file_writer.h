// FileWriter: writes one Parquet file, row by row, with bounded memory.
//
// Contract
//  - Who calls: one owner thread (the archiver's spool writer). A FileWriter
//    is not thread-safe; distinct FileWriters are independent and may be used
//    from different threads concurrently.
//  - Blocking: open() creates the file. append_row() only buffers, except for
//    the row that completes a row group: that call encodes, compresses and
//    writes the row group to disk before returning. close() writes the footer,
//    optionally fsyncs, and renames. All disk I/O is blocking POSIX I/O.
//  - Memory: at most one row group of values is buffered (24 to 32 bytes a
//    row for the readings schema: 4 per dictionary-encoded value, 8 per PLAIN
//    number, 4 + length per PLAIN string), plus the dictionaries and one page
//    of scratch. docs/parquet.md has the details.
//  - Crash safety: rows go to "<path>.inprogress"; close() renames it to
//    <path> only after the footer is written (and fsynced when
//    WriterOptions::sync_on_close). A file at <path> is therefore always
//    complete; a "*.inprogress" file is garbage from a crash and may be
//    deleted. abort() and the destructor of an unclosed writer delete it.
//  - Errors: append_row() returns kInvalidInput for a row that does not fit
//    the schema (wrong arity, wrong type, invalid UTF-8); the row is not
//    written and the writer stays usable. Any I/O or compression failure
//    leaves the writer failed: the partial file is deleted, every later call
//    returns the same error, and the caller must write the rows again into a
//    new file (kRetriable for conditions that can clear, such as a full disk;
//    kInvalidConfig for a missing or read-only directory; kFatal otherwise).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

#include "edgestream/common/status.h"
#include "edgestream/parquet/schema.h"

namespace edgestream::parquet {

enum class Codec : std::uint8_t { kUncompressed, kSnappy, kZstd };

const char* to_string(Codec codec);

struct WriterOptions {
  Codec codec = Codec::kZstd;
  // zstd's own default level; 1 is faster with slightly larger files, up to
  // 19 is useful (above that, memory use grows steeply).
  int zstd_level = 3;
  // Rows per row group. Bounds the writer's memory (see above) and sets the
  // granularity at which readers can skip data using statistics.
  std::int64_t row_group_rows = 262'144;
  // Target uncompressed size of a data page. 1 MiB is the size most readers
  // are tuned for; smaller pages give finer page statistics, worse compression.
  std::size_t page_bytes = std::size_t{1} << 20;
  // A column chunk whose dictionary page would exceed this many bytes is
  // written PLAIN instead: a huge dictionary means the values barely repeat,
  // so the dictionary would cost more than it saves. 1 MiB, as pyarrow.
  std::size_t dictionary_page_limit = std::size_t{1} << 20;
  // Try dictionary encoding for DOUBLE/INT64/TIMESTAMP columns too (always
  // tried for strings). Sensor readings with few distinct values shrink a
  // lot; a chunk whose first 16,384 numbers are mostly distinct, or whose
  // dictionary would not make it smaller, is written PLAIN instead.
  bool dictionary_for_numbers = true;
  // fsync the file and its directory before close() returns, so a file that
  // close() reported survives a power loss.
  bool sync_on_close = true;

  // Checks ranges; errors are kInvalidConfig and name the field.
  Status validate() const;
};

struct FileStats {
  std::filesystem::path path;  // final path of the complete file
  std::int64_t rows = 0;
  std::int64_t row_groups = 0;
  std::int64_t bytes = 0;  // size of the file on disk
};

class FileWriter {
 public:
  // Creates "<path>.inprogress" (truncating a leftover from a crash). The
  // directory must exist.
  static Result<std::unique_ptr<FileWriter>> open(std::filesystem::path path, Schema schema,
                                                  WriterOptions options = {});

  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;
  // Deletes the in-progress file unless close() succeeded.
  ~FileWriter();

  // Appends one row: row[i] is the value of column i and must hold the
  // alternative matching its ColumnType.
  Status append_row(std::span<const Value> row);

  // Writes the remaining rows and the footer, then publishes the file under
  // its final name. A file with zero rows is valid (schema only). After
  // close(), whatever it returned, the writer accepts no more calls.
  Result<FileStats> close();

  // Gives up on the file: deletes it. Idempotent.
  void abort();

  std::int64_t rows() const;
  const Schema& schema() const;

 private:
  class Impl;
  explicit FileWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgestream::parquet
