// Column writers: one per column, reused across row groups. The call order is
// fixed and driven by FileWriter:
//
//   prepare()            once before the first row of every row group
//   write(value) * n     one call per row, value already type-checked
//   finalize(sink)       once at the end of the row group: encodes, compresses
//                        and writes the column chunk's pages, returns its metadata
//
// ChunkSink holds the per-file state (output file, compressor, scratch
// buffers, the chunk's running offsets and sizes); column writers hold only
// their column's buffered values. Encoders are stateless policies
// (value_traits.h, rle_hybrid.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "compression.h"
#include "edgestream/common/status.h"
#include "edgestream/parquet/file_writer.h"
#include "metadata.h"
#include "output_file.h"

namespace edgestream::parquet {

class ChunkSink {
 public:
  ChunkSink(OutputFile& file, Compressor& compressor, CompressionCodec codec)
      : file_(file), compressor_(compressor), codec_(codec) {}

  void begin_chunk();
  // At most one, before any data page (the format requires it first).
  Status write_dictionary_page(std::string_view body, std::int32_t num_values);
  Status write_data_page(std::string_view body, const DataPageHeaderInfo& info);
  // Fills codec, offsets, sizes, encodings and encoding_stats.
  void end_chunk(ColumnChunkMeta& meta) const;

 private:
  Status write_page(std::string_view body, PageType type, Encoding encoding,
                    const DataPageHeaderInfo* data_info, std::int32_t dictionary_values);

  OutputFile& file_;
  Compressor& compressor_;
  CompressionCodec codec_;
  std::string compressed_;
  std::string header_;

  std::int64_t uncompressed_ = 0;
  std::int64_t compressed_total_ = 0;
  std::int64_t data_page_offset_ = -1;
  std::int64_t dictionary_page_offset_ = -1;
  std::vector<PageEncodingCount> counts_;
};

class ColumnWriter {
 public:
  virtual ~ColumnWriter() = default;
  virtual void prepare() = 0;
  virtual void write(const Value& value) = 0;
  virtual Result<ColumnChunkMeta> finalize(ChunkSink& sink) = 0;
  // Memory held by buffered values (for observability and tests).
  virtual std::size_t buffered_bytes() const = 0;
};

std::unique_ptr<ColumnWriter> make_column_writer(const Column& column, const WriterOptions& options);

}  // namespace edgestream::parquet
