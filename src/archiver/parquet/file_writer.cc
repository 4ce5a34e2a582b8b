#include "edgestream/parquet/file_writer.h"

#include <cstring>
#include <optional>
#include <vector>

#include "column_writer.h"
#include "compression.h"
#include "metadata.h"
#include "output_file.h"
#include "utf8.h"

namespace edgestream::parquet {
namespace {

// "PAR1": the magic at both ends of every Parquet file.
constexpr std::string_view kMagic = "PAR1";
// Largest string value accepted. Page sizes are i32 in the format; this keeps
// any page (one value plus up to page_bytes of others) far below 2 GiB.
constexpr std::size_t kMaxStringBytes = std::size_t{64} << 20;
// Upper bounds for options that end up in i32 page sizes.
constexpr std::size_t kMaxPageBytes = std::size_t{256} << 20;
constexpr std::size_t kMaxDictionaryPageBytes = std::size_t{256} << 20;
// Memory sanity: a row group is buffered whole.
constexpr std::int64_t kMaxRowGroupRows = 64'000'000;

Error invalid_config(const std::string& message) { return Error(ErrorKind::kInvalidConfig, message); }

}  // namespace

const char* to_string(Codec codec) {
  switch (codec) {
    case Codec::kUncompressed: return "uncompressed";
    case Codec::kSnappy: return "snappy";
    case Codec::kZstd: return "zstd";
  }
  return "unknown";
}

Status WriterOptions::validate() const {
  if (codec == Codec::kZstd && (zstd_level < 1 || zstd_level > 22)) {
    return invalid_config("parquet zstd_level " + std::to_string(zstd_level) + " is outside 1..22");
  }
  if (row_group_rows < 1 || row_group_rows > kMaxRowGroupRows) {
    return invalid_config("parquet row_group_rows " + std::to_string(row_group_rows) + " is outside 1.." +
                          std::to_string(kMaxRowGroupRows));
  }
  if (page_bytes < 1 || page_bytes > kMaxPageBytes) {
    return invalid_config("parquet page_bytes " + std::to_string(page_bytes) + " is outside 1.." +
                          std::to_string(kMaxPageBytes));
  }
  if (dictionary_page_limit > kMaxDictionaryPageBytes) {
    return invalid_config("parquet dictionary_page_limit " + std::to_string(dictionary_page_limit) +
                          " is above " + std::to_string(kMaxDictionaryPageBytes));
  }
  return Status::success();
}

class FileWriter::Impl {
 public:
  Impl(Schema schema, WriterOptions options, OutputFile file, std::unique_ptr<Compressor> compressor)
      : schema_(std::move(schema)),
        options_(options),
        file_(std::move(file)),
        compressor_(std::move(compressor)),
        sink_(file_, *compressor_, compression_codec_of(options_.codec)) {
    columns_.reserve(schema_.size());
    for (const Column& column : schema_.columns()) {
      columns_.push_back(make_column_writer(column, options_));
      columns_.back()->prepare();
    }
  }

  Status start() {
    if (Status s = file_.append(kMagic); !s.ok()) return fail(s.error());
    return Status::success();
  }

  Status append_row(std::span<const Value> row) {
    if (Status usable = check_usable("append_row"); !usable.ok()) return usable;
    if (row.size() != schema_.size()) {
      return Error(ErrorKind::kInvalidInput, "row for " + file_.final_path().string() + " has " +
                                                 std::to_string(row.size()) + " values, the schema has " +
                                                 std::to_string(schema_.size()) + " columns");
    }
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (Status valid = validate(schema_[i], row[i]); !valid.ok()) return valid;
    }
    for (std::size_t i = 0; i < row.size(); ++i) columns_[i]->write(row[i]);
    ++rows_in_group_;
    ++rows_;
    if (rows_in_group_ == options_.row_group_rows) return flush_row_group();
    return Status::success();
  }

  Result<FileStats> close() {
    if (Status usable = check_usable("close"); !usable.ok()) return usable.error();
    closed_ = true;
    if (rows_in_group_ > 0) {
      if (Status s = flush_row_group(); !s.ok()) return s.error();
    }
    std::string footer;
    serialize_file_metadata(schema_, rows_, row_groups_, footer);
    const auto footer_length = static_cast<std::uint32_t>(footer.size());
    char length_bytes[4];
    std::memcpy(length_bytes, &footer_length, 4);  // little-endian (value_traits.h asserts the host is)
    footer.append(length_bytes, 4);
    footer.append(kMagic);
    if (Status s = file_.append(footer); !s.ok()) return fail(s.error()).error();
    FileStats stats;
    stats.path = file_.final_path();
    stats.rows = rows_;
    stats.row_groups = static_cast<std::int64_t>(row_groups_.size());
    stats.bytes = file_.offset();
    if (Status s = file_.commit(options_.sync_on_close); !s.ok()) return fail(s.error()).error();
    return stats;
  }

  void abort() {
    closed_ = true;
    file_.discard();
  }

  std::int64_t rows() const { return rows_; }
  const Schema& schema() const { return schema_; }

 private:
  Status check_usable(const char* call) const {
    if (failure_) return *failure_;
    if (closed_) {
      return Error(ErrorKind::kFatal, std::string(call) + " on Parquet file " + file_.final_path().string() +
                                          " after close() or abort(); open a new FileWriter");
    }
    return Status::success();
  }

  static Status validate(const Column& column, const Value& value) {
    if (value.index() != static_cast<std::size_t>(column.type)) {
      static constexpr const char* kAlternativeNames[] = {"string", "timestamp", "double", "int64"};
      return Error(ErrorKind::kInvalidInput, "column '" + column.name + "' is " + to_string(column.type) +
                                                 " but the row holds a " + kAlternativeNames[value.index()]);
    }
    if (column.type == ColumnType::kString) {
      const std::string_view text = std::get<std::string_view>(value);
      if (text.size() > kMaxStringBytes) {
        return Error(ErrorKind::kInvalidInput, "column '" + column.name + "' value of " +
                                                   std::to_string(text.size()) + " bytes exceeds the " +
                                                   std::to_string(kMaxStringBytes) + "-byte limit");
      }
      if (!is_valid_utf8(text)) {
        return Error(ErrorKind::kInvalidInput,
                     "column '" + column.name + "' value is not valid UTF-8 (STRING columns must be)");
      }
    }
    return Status::success();
  }

  Status flush_row_group() {
    RowGroupMeta group;
    group.num_rows = rows_in_group_;
    group.file_offset = file_.offset();
    group.columns.reserve(columns_.size());
    for (auto& column : columns_) {
      Result<ColumnChunkMeta> chunk = column->finalize(sink_);
      if (!chunk.ok()) return fail(chunk.error());
      group.total_byte_size += chunk.value().total_uncompressed_size;
      group.total_compressed_size += chunk.value().total_compressed_size;
      group.columns.push_back(std::move(chunk).value());
      column->prepare();
    }
    row_groups_.push_back(std::move(group));
    rows_in_group_ = 0;
    return Status::success();
  }

  // Any failure after open leaves a file we cannot trust: delete it and make
  // the writer refuse further calls with the same error.
  Status fail(const Error& error) {
    failure_ = error.with_context("writing Parquet file " + file_.final_path().string());
    file_.discard();
    return *failure_;
  }

  const Schema schema_;
  const WriterOptions options_;
  // sink_ refers to file_ and compressor_, so it is declared (and built) after
  // them and destroyed before them.
  OutputFile file_;
  std::unique_ptr<Compressor> compressor_;
  ChunkSink sink_;
  std::vector<std::unique_ptr<ColumnWriter>> columns_;
  std::vector<RowGroupMeta> row_groups_;
  std::int64_t rows_ = 0;
  std::int64_t rows_in_group_ = 0;
  std::optional<Error> failure_;
  bool closed_ = false;
};

Result<std::unique_ptr<FileWriter>> FileWriter::open(std::filesystem::path path, Schema schema,
                                                     WriterOptions options) {
  if (Status valid = options.validate(); !valid.ok()) return valid.error();
  Result<std::unique_ptr<Compressor>> compressor = make_compressor(options.codec, options.zstd_level);
  if (!compressor.ok()) return compressor.error();
  Result<OutputFile> file = OutputFile::create(std::move(path));
  if (!file.ok()) return file.error();
  auto impl = std::make_unique<Impl>(std::move(schema), options, std::move(file).value(),
                                     std::move(compressor).value());
  if (Status started = impl->start(); !started.ok()) return started.error();
  return std::unique_ptr<FileWriter>(new FileWriter(std::move(impl)));
}

FileWriter::FileWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FileWriter::~FileWriter() = default;  // Impl's OutputFile deletes an unfinished file

Status FileWriter::append_row(std::span<const Value> row) { return impl_->append_row(row); }
Result<FileStats> FileWriter::close() { return impl_->close(); }
void FileWriter::abort() { impl_->abort(); }
std::int64_t FileWriter::rows() const { return impl_->rows(); }
const Schema& FileWriter::schema() const { return impl_->schema(); }

}  // namespace edgestream::parquet
