// The footer reader against files this library writes (pyarrow-written files
// are checked by test_parquet_roundtrip.py through parquet_footer_tool).
#include "edgestream/parquet/footer.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <array>
#include <filesystem>
#include <fstream>

#include "edgestream/parquet/file_writer.h"
#include "edgestream/parquet/schemas.h"

namespace edgestream::parquet {
namespace {

namespace fs = std::filesystem;

std::string write_readings(const fs::path& dir, int rows, std::int64_t row_group_rows) {
  WriterOptions options;
  options.sync_on_close = false;
  options.row_group_rows = row_group_rows;
  const fs::path path = dir / "f.parquet";
  auto writer = FileWriter::open(path, readings_schema(), options);
  EXPECT_TRUE(writer.ok());
  for (int i = 0; i < rows; ++i) {
    const std::array<Value, 5> row = {Value(std::string_view("dev")), Value(EventTime(Millis(i))),
                                      Value(1.0), Value(2.0), Value(std::string_view("OK"))};
    EXPECT_TRUE(writer.value()->append_row(row).ok());
  }
  EXPECT_TRUE(writer.value()->close().ok());
  std::ifstream in(path, std::ios::binary);
  std::string bytes(fs::file_size(path), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

class FooterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "footer_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FooterTest, ReadsTheRowCountFromTheTailAlone) {
  for (const auto& [rows, group] : {std::pair{0, 10}, std::pair{1, 10}, std::pair{2500, 1000}}) {
    const std::string file = write_readings(dir_, rows, group);
    auto needed = footer_bytes_needed(std::string_view(file).substr(file.size() - 8), file.size());
    ASSERT_TRUE(needed.ok()) << needed.error().message();
    ASSERT_LT(needed.value(), file.size());
    const std::string_view tail = std::string_view(file).substr(file.size() - needed.value());
    auto summary = read_footer_summary(tail);
    ASSERT_TRUE(summary.ok()) << summary.error().message();
    EXPECT_EQ(summary.value().num_rows, rows);
  }
}

TEST_F(FooterTest, ATailShorterThanTheFooterOrNotParquetIsAnError) {
  const std::string file = write_readings(dir_, 5, 10);
  EXPECT_FALSE(read_footer_summary(std::string_view(file).substr(file.size() - 20)).ok());
  std::string not_parquet = file;
  not_parquet.back() = 'X';
  EXPECT_FALSE(footer_bytes_needed(not_parquet, not_parquet.size()).ok());
  std::string too_long = file;
  too_long[too_long.size() - 5] = static_cast<char>(0x7F);  // length's top byte: beyond the file
  EXPECT_FALSE(footer_bytes_needed(too_long, too_long.size()).ok());
  std::string damaged = file;
  damaged[damaged.size() - 9] = static_cast<char>(0xFF);  // last metadata byte (the STOP)
  EXPECT_FALSE(read_footer_summary(damaged).ok());
}

}  // namespace
}  // namespace edgestream::parquet
