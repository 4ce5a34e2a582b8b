#include "metadata.h"

#include "thrift_compact.h"

namespace edgestream::parquet {
namespace {

using thrift::CompactType;
using thrift::CompactWriter;

// parquet.thrift enums used only here.
constexpr std::int32_t kRequired = 0;          // FieldRepetitionType.REQUIRED
constexpr std::int32_t kConvertedUtf8 = 0;     // ConvertedType.UTF8
constexpr std::int32_t kConvertedTimestampMillis = 9;  // ConvertedType.TIMESTAMP_MILLIS
// FileMetaData.version: the spec asks writers for 1, the value every reader accepts.
constexpr std::int32_t kFormatVersion = 1;

void write_statistics(CompactWriter& w, std::int16_t field_id, const EncodedStatistics& stats) {
  w.begin_field_struct(field_id);
  w.field_i64(3, stats.null_count);
  if (stats.min_value && stats.max_value) {
    w.field_binary(5, *stats.max_value);
    w.field_binary(6, *stats.min_value);
    // Our min/max are the exact extremes, never truncated.
    w.field_bool(7, true);
    w.field_bool(8, true);
  }
  if (stats.nan_count) w.field_i64(9, *stats.nan_count);
  w.end_struct();
}

void write_page_header_start(CompactWriter& w, PageType type, std::int32_t uncompressed_size,
                             std::int32_t compressed_size) {
  w.begin_struct();
  w.field_i32(1, static_cast<std::int32_t>(type));
  w.field_i32(2, uncompressed_size);
  w.field_i32(3, compressed_size);
}

void write_schema_element(CompactWriter& w, const Column& column) {
  w.begin_struct();
  w.field_i32(1, static_cast<std::int32_t>(physical_type_of(column.type)));
  w.field_i32(3, kRequired);
  w.field_binary(4, column.name);
  switch (column.type) {
    case ColumnType::kString:
      w.field_i32(6, kConvertedUtf8);
      w.begin_field_struct(10);  // LogicalType
      w.begin_field_struct(1);   // STRING: StringType {}
      w.end_struct();
      w.end_struct();
      break;
    case ColumnType::kTimestampMillis:
      // The legacy converted type means "UTC-adjusted millis", which matches.
      w.field_i32(6, kConvertedTimestampMillis);
      w.begin_field_struct(10);  // LogicalType
      w.begin_field_struct(8);   // TIMESTAMP: TimestampType
      w.field_bool(1, true);     // isAdjustedToUTC
      w.begin_field_struct(2);   // unit: TimeUnit
      w.begin_field_struct(1);   // MILLIS: MilliSeconds {}
      w.end_struct();
      w.end_struct();
      w.end_struct();
      w.end_struct();
      break;
    case ColumnType::kDouble:
    case ColumnType::kInt64:
      break;  // the physical type says it all
  }
  w.end_struct();
}

void write_column_chunk(CompactWriter& w, const ColumnChunkMeta& chunk) {
  w.begin_struct();                   // ColumnChunk
  w.field_i64(2, 0);                  // file_offset: deprecated, 0 when no external metadata
  w.begin_field_struct(3);            // meta_data: ColumnMetaData
  w.field_i32(1, static_cast<std::int32_t>(chunk.type));
  w.begin_field_list(2, CompactType::kI32, chunk.encodings.size());
  for (Encoding encoding : chunk.encodings) w.element_i32(static_cast<std::int32_t>(encoding));
  w.begin_field_list(3, CompactType::kBinary, 1);
  w.element_binary(chunk.name);
  w.field_i32(4, static_cast<std::int32_t>(chunk.codec));
  w.field_i64(5, chunk.num_values);
  w.field_i64(6, chunk.total_uncompressed_size);
  w.field_i64(7, chunk.total_compressed_size);
  w.field_i64(9, chunk.data_page_offset);
  if (chunk.dictionary_page_offset) w.field_i64(11, *chunk.dictionary_page_offset);
  write_statistics(w, 12, chunk.statistics);
  w.begin_field_list(13, CompactType::kStruct, chunk.encoding_stats.size());
  for (const PageEncodingCount& count : chunk.encoding_stats) {
    w.begin_struct();
    w.field_i32(1, static_cast<std::int32_t>(count.page_type));
    w.field_i32(2, static_cast<std::int32_t>(count.encoding));
    w.field_i32(3, count.count);
    w.end_struct();
  }
  w.end_struct();  // ColumnMetaData
  w.end_struct();  // ColumnChunk
}

}  // namespace

PhysicalType physical_type_of(ColumnType type) {
  switch (type) {
    case ColumnType::kString: return PhysicalType::kByteArray;
    case ColumnType::kTimestampMillis: return PhysicalType::kInt64;
    case ColumnType::kDouble: return PhysicalType::kDouble;
    case ColumnType::kInt64: return PhysicalType::kInt64;
  }
  return PhysicalType::kInt64;
}

CompressionCodec compression_codec_of(Codec codec) {
  switch (codec) {
    case Codec::kUncompressed: return CompressionCodec::kUncompressed;
    case Codec::kSnappy: return CompressionCodec::kSnappy;
    case Codec::kZstd: return CompressionCodec::kZstd;
  }
  return CompressionCodec::kUncompressed;
}

const char* created_by() { return "edgestream version " EDGESTREAM_VERSION; }

void serialize_data_page_header(std::int32_t uncompressed_size, std::int32_t compressed_size,
                                const DataPageHeaderInfo& info, std::string& out) {
  CompactWriter w(out);
  write_page_header_start(w, PageType::kDataPage, uncompressed_size, compressed_size);
  w.begin_field_struct(5);  // data_page_header
  w.field_i32(1, info.num_values);
  w.field_i32(2, static_cast<std::int32_t>(info.encoding));
  // Levels are absent for REQUIRED flat columns; the encodings are still
  // required fields, and RLE is what they would use.
  w.field_i32(3, static_cast<std::int32_t>(Encoding::kRle));
  w.field_i32(4, static_cast<std::int32_t>(Encoding::kRle));
  write_statistics(w, 5, info.statistics);
  w.end_struct();
  w.end_struct();
}

void serialize_dictionary_page_header(std::int32_t uncompressed_size, std::int32_t compressed_size,
                                      std::int32_t num_values, std::string& out) {
  CompactWriter w(out);
  write_page_header_start(w, PageType::kDictionaryPage, uncompressed_size, compressed_size);
  w.begin_field_struct(7);  // dictionary_page_header
  w.field_i32(1, num_values);
  w.field_i32(2, static_cast<std::int32_t>(Encoding::kPlain));
  w.end_struct();
  w.end_struct();
}

void serialize_file_metadata(const Schema& schema, std::int64_t num_rows,
                             const std::vector<RowGroupMeta>& row_groups, std::string& out) {
  CompactWriter w(out);
  w.begin_struct();  // FileMetaData
  w.field_i32(1, kFormatVersion);
  w.begin_field_list(2, CompactType::kStruct, schema.size() + 1);
  w.begin_struct();  // root: a group named "schema" holding every column
  w.field_binary(4, "schema");
  w.field_i32(5, static_cast<std::int32_t>(schema.size()));
  w.end_struct();
  for (const Column& column : schema.columns()) write_schema_element(w, column);
  w.field_i64(3, num_rows);
  w.begin_field_list(4, CompactType::kStruct, row_groups.size());
  for (std::size_t i = 0; i < row_groups.size(); ++i) {
    const RowGroupMeta& group = row_groups[i];
    w.begin_struct();
    w.begin_field_list(1, CompactType::kStruct, group.columns.size());
    for (const ColumnChunkMeta& chunk : group.columns) write_column_chunk(w, chunk);
    w.field_i64(2, group.total_byte_size);
    w.field_i64(3, group.num_rows);
    w.field_i64(5, group.file_offset);
    w.field_i64(6, group.total_compressed_size);
    // ordinal is an i16 in the format; larger files simply omit it.
    if (i <= 0x7FFF) {
      w.field_i16(7, static_cast<std::int16_t>(i));
    }
    w.end_struct();
  }
  w.field_binary(6, created_by());
  w.begin_field_list(7, CompactType::kStruct, schema.size());
  for (std::size_t i = 0; i < schema.size(); ++i) {
    w.begin_struct();          // ColumnOrder
    w.begin_field_struct(1);   // TYPE_ORDER: TypeDefinedOrder {}
    w.end_struct();
    w.end_struct();
  }
  w.end_struct();
}

}  // namespace edgestream::parquet
