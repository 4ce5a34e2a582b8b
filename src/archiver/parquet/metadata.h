// Parquet metadata as edgestream writes it, and its Thrift compact
// serialisation: page headers and the footer (FileMetaData). Enum values and
// field ids are those of parquet-format's parquet.thrift.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "edgestream/parquet/file_writer.h"
#include "edgestream/parquet/schema.h"

namespace edgestream::parquet {

enum class PhysicalType : std::int32_t { kInt64 = 2, kDouble = 5, kByteArray = 6 };
enum class Encoding : std::int32_t { kPlain = 0, kRle = 3, kRleDictionary = 8 };
enum class PageType : std::int32_t { kDataPage = 0, kDictionaryPage = 2 };
enum class CompressionCodec : std::int32_t { kUncompressed = 0, kSnappy = 1, kZstd = 6 };

PhysicalType physical_type_of(ColumnType type);
CompressionCodec compression_codec_of(Codec codec);

// Statistics with min/max already in their on-disk byte form.
struct EncodedStatistics {
  std::optional<std::string> min_value;  // present together with max_value
  std::optional<std::string> max_value;
  std::int64_t null_count = 0;
  std::optional<std::int64_t> nan_count;  // floating-point columns only
};

struct DataPageHeaderInfo {
  std::int32_t num_values = 0;
  Encoding encoding = Encoding::kPlain;
  EncodedStatistics statistics;
};

struct PageEncodingCount {
  PageType page_type;
  Encoding encoding;
  std::int32_t count;
};

struct ColumnChunkMeta {
  PhysicalType type = PhysicalType::kInt64;
  std::vector<Encoding> encodings;  // each encoding used, once
  std::string name;                 // path_in_schema (flat schema: one element)
  CompressionCodec codec = CompressionCodec::kUncompressed;
  std::int64_t num_values = 0;
  std::int64_t total_uncompressed_size = 0;  // pages including their headers
  std::int64_t total_compressed_size = 0;
  std::int64_t data_page_offset = 0;
  std::optional<std::int64_t> dictionary_page_offset;
  EncodedStatistics statistics;
  std::vector<PageEncodingCount> encoding_stats;
};

struct RowGroupMeta {
  std::vector<ColumnChunkMeta> columns;
  std::int64_t num_rows = 0;
  std::int64_t file_offset = 0;  // first page of the first column chunk
  std::int64_t total_byte_size = 0;
  std::int64_t total_compressed_size = 0;
};

// PageHeader with a DataPageHeader (v1).
void serialize_data_page_header(std::int32_t uncompressed_size, std::int32_t compressed_size,
                                const DataPageHeaderInfo& info, std::string& out);
// PageHeader with a DictionaryPageHeader (PLAIN dictionary).
void serialize_dictionary_page_header(std::int32_t uncompressed_size, std::int32_t compressed_size,
                                      std::int32_t num_values, std::string& out);
// FileMetaData: schema, row groups, created_by and a TYPE_ORDER column order
// per column, which tells readers the min/max statistics are trustworthy.
void serialize_file_metadata(const Schema& schema, std::int64_t num_rows,
                             const std::vector<RowGroupMeta>& row_groups, std::string& out);

// "edgestream version <x.y.z>", the created_by format readers parse.
const char* created_by();

}  // namespace edgestream::parquet
