// FileWriter behaviour that needs no Parquet reader: the file lifecycle
// (in-progress name, rename on close, cleanup on abort or failure), input
// validation and option checks. Reading the files back is the job of
// test_parquet_roundtrip.py (pyarrow and DuckDB).
#include "edgestream/parquet/file_writer.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <array>
#include <fstream>
#include <string>

#include "edgestream/parquet/schemas.h"

namespace edgestream::parquet {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class FileWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "parquet_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static WriterOptions fast_options() {
    WriterOptions options;
    options.sync_on_close = false;
    return options;
  }

  std::unique_ptr<FileWriter> open(const fs::path& path, WriterOptions options = fast_options()) {
    auto writer = FileWriter::open(path, readings_schema(), options);
    EXPECT_TRUE(writer.ok()) << (writer.ok() ? "" : writer.error().message());
    return writer.ok() ? std::move(writer).value() : nullptr;
  }

  static std::array<Value, 5> reading(std::string_view device, std::int64_t millis) {
    return {Value(device), Value(EventTime(Millis(millis))), Value(21.5), Value(40.0), Value(std::string_view("ok"))};
  }

  fs::path dir_;
};

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(fs::file_size(path), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

TEST_F(FileWriterTest, WritesUnderTemporaryNameAndRenamesOnClose) {
  const fs::path path = dir_ / "readings.parquet";
  auto writer = open(path);
  ASSERT_TRUE(writer);
  EXPECT_TRUE(fs::exists(dir_ / "readings.parquet.inprogress"));
  EXPECT_FALSE(fs::exists(path));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(writer->append_row(reading("dev-1", 1000 + i)).ok());
  Result<FileStats> stats = writer->close();
  ASSERT_TRUE(stats.ok()) << stats.error().message();
  EXPECT_FALSE(fs::exists(dir_ / "readings.parquet.inprogress"));
  ASSERT_TRUE(fs::exists(path));
  EXPECT_EQ(stats.value().rows, 10);
  EXPECT_EQ(stats.value().row_groups, 1);
  EXPECT_EQ(stats.value().bytes, static_cast<std::int64_t>(fs::file_size(path)));
  EXPECT_EQ(stats.value().path, path);

  // Both magics, and a footer length that points inside the file.
  const std::string bytes = read_all(path);
  ASSERT_GE(bytes.size(), 12u);
  EXPECT_EQ(bytes.substr(0, 4), "PAR1");
  EXPECT_EQ(bytes.substr(bytes.size() - 4), "PAR1");
  std::uint32_t footer_length = 0;
  for (int i = 0; i < 4; ++i) {
    footer_length |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[bytes.size() - 8 + i])) << (8 * i);
  }
  EXPECT_GT(footer_length, 0u);
  EXPECT_LT(footer_length, bytes.size() - 12);
}

TEST_F(FileWriterTest, RowGroupCountFollowsRowGroupRows) {
  WriterOptions options = fast_options();
  options.row_group_rows = 3;
  auto writer = open(dir_ / "groups.parquet", options);
  ASSERT_TRUE(writer);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(writer->append_row(reading("d", i)).ok());
  Result<FileStats> stats = writer->close();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats.value().row_groups, 4);  // 3 + 3 + 3 + 1
}

TEST_F(FileWriterTest, EmptyFileIsValidAndComplete) {
  auto writer = open(dir_ / "empty.parquet");
  ASSERT_TRUE(writer);
  Result<FileStats> stats = writer->close();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats.value().rows, 0);
  EXPECT_EQ(stats.value().row_groups, 0);
  EXPECT_TRUE(fs::exists(dir_ / "empty.parquet"));
}

TEST_F(FileWriterTest, AbortAndDestructionDeleteTheInProgressFile) {
  {
    auto writer = open(dir_ / "aborted.parquet");
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->append_row(reading("d", 1)).ok());
    writer->abort();
    EXPECT_FALSE(fs::exists(dir_ / "aborted.parquet.inprogress"));
    EXPECT_FALSE(writer->append_row(reading("d", 2)).ok());
  }
  {
    auto writer = open(dir_ / "dropped.parquet");
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->append_row(reading("d", 1)).ok());
  }
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(FileWriterTest, RejectsRowsThatDoNotFitAndStaysUsable) {
  auto writer = open(dir_ / "invalid.parquet");
  ASSERT_TRUE(writer);

  const std::array<Value, 2> short_row = {Value(std::string_view("d")), Value(EventTime(Millis(1)))};
  Status status = writer->append_row(short_row);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind(), ErrorKind::kInvalidInput);

  auto wrong_type = reading("d", 1);
  wrong_type[2] = Value(std::int64_t{21});
  status = writer->append_row(wrong_type);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(status.error().message().find("'Temperature'"), std::string::npos) << status.error().message();

  status = writer->append_row(reading("bad\xC3(utf8", 1));
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind(), ErrorKind::kInvalidInput);
  EXPECT_NE(status.error().message().find("UTF-8"), std::string::npos);

  EXPECT_EQ(writer->rows(), 0);
  ASSERT_TRUE(writer->append_row(reading("good", 1)).ok());
  Result<FileStats> stats = writer->close();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats.value().rows, 1);
}

TEST_F(FileWriterTest, CallsAfterCloseFail) {
  auto writer = open(dir_ / "closed.parquet");
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->close().ok());
  EXPECT_FALSE(writer->append_row(reading("d", 1)).ok());
  EXPECT_FALSE(writer->close().ok());
  EXPECT_TRUE(fs::exists(dir_ / "closed.parquet"));  // a late call does not undo the file
}

TEST_F(FileWriterTest, MissingDirectoryIsAConfigurationError) {
  auto writer = FileWriter::open(dir_ / "no-such-dir" / "x.parquet", readings_schema(), fast_options());
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_NE(writer.error().message().find("no-such-dir"), std::string::npos) << writer.error().message();
}

TEST_F(FileWriterTest, SyncOnCloseProducesTheSameFile) {
  WriterOptions options;  // sync_on_close defaults to true
  auto writer = open(dir_ / "synced.parquet", options);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->append_row(reading("d", 1)).ok());
  ASSERT_TRUE(writer->close().ok());
  EXPECT_TRUE(fs::exists(dir_ / "synced.parquet"));
}

TEST(WriterOptions, ValidateNamesTheBadField) {
  WriterOptions options;
  EXPECT_TRUE(options.validate().ok());
  options.zstd_level = 0;
  Status status = options.validate();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_NE(status.error().message().find("zstd_level"), std::string::npos);

  options = WriterOptions{};
  options.row_group_rows = 0;
  ASSERT_FALSE(options.validate().ok());
  EXPECT_NE(options.validate().error().message().find("row_group_rows"), std::string::npos);

  options = WriterOptions{};
  options.page_bytes = 0;
  EXPECT_FALSE(options.validate().ok());
}

TEST(Schema, RejectsEmptyDuplicateAndUnnamedColumns) {
  EXPECT_FALSE(Schema::create({}).ok());
  EXPECT_FALSE(Schema::create({{"", ColumnType::kInt64}}).ok());
  auto duplicate = Schema::create({{"A", ColumnType::kInt64}, {"A", ColumnType::kDouble}});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.error().message().find("'A'"), std::string::npos);
}

TEST(Schemas, ArchiverSchemasHaveTheContractedColumns) {
  auto names_and_types = [](const Schema& schema) {
    std::vector<std::pair<std::string, ColumnType>> out;
    for (const Column& c : schema.columns()) out.emplace_back(c.name, c.type);
    return out;
  };
  using P = std::pair<std::string, ColumnType>;
  EXPECT_EQ(names_and_types(aggregates_schema()),
            (std::vector<P>{{"Timestamp", ColumnType::kTimestampMillis},
                            {"Temperature", ColumnType::kDouble},
                            {"Count", ColumnType::kInt64},
                            {"Min", ColumnType::kDouble},
                            {"Max", ColumnType::kDouble}}));
  EXPECT_EQ(names_and_types(readings_schema()),
            (std::vector<P>{{"DeviceId", ColumnType::kString},
                            {"Timestamp", ColumnType::kTimestampMillis},
                            {"Temperature", ColumnType::kDouble},
                            {"Humidity", ColumnType::kDouble},
                            {"Status", ColumnType::kString}}));
  EXPECT_EQ(names_and_types(device_aggregates_schema()),
            (std::vector<P>{{"DeviceId", ColumnType::kString},
                            {"Timestamp", ColumnType::kTimestampMillis},
                            {"Temperature", ColumnType::kDouble},
                            {"Count", ColumnType::kInt64},
                            {"Min", ColumnType::kDouble},
                            {"Max", ColumnType::kDouble}}));
}

}  // namespace
}  // namespace edgestream::parquet
