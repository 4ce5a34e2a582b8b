// scan_archive() against an in-memory S3Client: what it reads from each
// object (range from metadata, rows from the footer) and what it sets aside.
#include "edgestream/audit/s3_scan.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>

#include "edgestream/parquet/file_writer.h"
#include "edgestream/parquet/schemas.h"

namespace edgestream::audit {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const EventTime kHour = EventTime(Millis(1'735'207'200'000));  // 2024-12-26T10:00:00Z

class MemoryS3 final : public s3::S3Client {
 public:
  struct Object {
    std::string body;
    std::vector<std::pair<std::string, std::string>> metadata;
  };
  std::map<std::string, Object> objects;
  int tail_reads = 0;
  bool unreachable = false;

  const std::string& bucket() const override { return bucket_; }
  s3::S3Result<s3::PutResult> put_object(std::string_view, std::string_view, const s3::PutOptions&) override {
    return s3::PutResult{};
  }
  s3::S3Result<s3::PutResult> upload_file(std::string_view, const fs::path&, const s3::PutOptions&) override {
    return s3::PutResult{};
  }
  s3::S3Result<s3::GetResult> get_object(std::string_view key) override {
    return s3::GetResult{objects.at(std::string(key)).body, ""};
  }
  s3::S3Result<s3::GetResult> get_object_tail(std::string_view key, std::uint64_t bytes) override {
    ++tail_reads;
    return S3Client::get_object_tail(key, bytes);
  }
  s3::S3Result<std::optional<s3::ObjectInfo>> head_object(std::string_view key) override {
    const auto it = objects.find(std::string(key));
    if (it == objects.end()) return std::optional<s3::ObjectInfo>();
    s3::ObjectInfo info;
    info.key = it->first;
    info.size = it->second.body.size();
    info.metadata = it->second.metadata;
    return std::optional<s3::ObjectInfo>(info);
  }
  s3::S3Result<s3::ListPage> list_objects_v2(const s3::ListRequest& request) override {
    if (unreachable) {
      return s3::S3Error(ErrorKind::kFatal, s3::RetryCause::kNone, "ListObjectsV2: 403 AccessDenied");
    }
    s3::ListPage page;
    for (const auto& [key, object] : objects) {
      if (key.starts_with(request.prefix)) page.objects.push_back({key, object.body.size(), "", "", {}});
    }
    return page;
  }
  s3::S3Status delete_object(std::string_view) override { return s3::Done{}; }

 private:
  std::string bucket_ = "archive-bucket";
};

std::string parquet_with_rows(int rows) {
  std::string pattern = (fs::temp_directory_path() / "s3_scan_test.XXXXXX").string();
  EXPECT_NE(::mkdtemp(pattern.data()), nullptr);
  const fs::path path = fs::path(pattern) / "f.parquet";
  parquet::WriterOptions options;
  options.sync_on_close = false;
  auto writer = parquet::FileWriter::open(path, parquet::readings_schema(), options);
  EXPECT_TRUE(writer.ok());
  for (int i = 0; i < rows; ++i) {
    const std::array<parquet::Value, 5> row = {
        parquet::Value(std::string_view("dev")), parquet::Value(EventTime(Millis(i))), parquet::Value(1.0),
        parquet::Value(2.0), parquet::Value(std::string_view("OK"))};
    EXPECT_TRUE(writer.value()->append_row(row).ok());
  }
  EXPECT_TRUE(writer.value()->close().ok());
  std::ifstream in(path, std::ios::binary);
  std::string bytes(fs::file_size(path), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  fs::remove_all(pattern);
  return bytes;
}

s3::RetryPolicy quick() {
  s3::RetryPolicy policy;
  policy.deadline = 100ms;
  return policy;
}

TEST(ScanArchive, ReadsRangeFromMetadataAndRowsFromTheFooterAndSetsStraysAside) {
  MemoryS3 s3;
  const std::string in_hour = "archive/2024/12/26/readings-p1-o100_20241226T100000Z.parquet";
  const std::string next_hour = "archive/2024/12/26/readings-p1-o900_20241226T110000Z.parquet";
  const std::string no_metadata = "archive/2024/12/26/aggregates-p0-o5_20241226T100000Z.parquet";
  const std::string not_parquet = "archive/2024/12/26/device-aggregates-p2-o7_20241226T100000Z.parquet";
  const std::string stray = "archive/2024/12/26/readme.txt";
  s3.objects[in_hour] = {parquet_with_rows(123), {{"edgestream-first-offset", "100"}, {"edgestream-end-offset", "400"}}};
  s3.objects[next_hour] = {parquet_with_rows(1), {{"edgestream-first-offset", "900"}, {"edgestream-end-offset", "901"}}};
  s3.objects[no_metadata] = {parquet_with_rows(2), {}};
  s3.objects[not_parquet] = {"just text", {{"edgestream-first-offset", "7"}, {"edgestream-end-offset", "x"}}};
  s3.objects[stray] = {"notes", {}};

  auto scan = scan_archive(s3, "archive/", kHour, kHour + 1h, 3600s, quick());
  ASSERT_TRUE(scan.ok()) << scan.error().message();
  EXPECT_EQ(scan.value().listed, 5);
  ASSERT_EQ(scan.value().strays.size(), 1u);
  EXPECT_EQ(scan.value().strays[0].key, stray);
  std::map<std::string, FoundObject> by_key;
  for (const FoundObject& object : scan.value().objects) by_key[object.key] = object;
  ASSERT_EQ(by_key.size(), 3u);  // the next hour's object is not audited
  EXPECT_EQ(by_key[in_hour].first_offset, 100);
  EXPECT_EQ(by_key[in_hour].end_offset, 400);
  EXPECT_EQ(by_key[in_hour].rows, 123);
  EXPECT_EQ(by_key[in_hour].identity.partition, 1);
  EXPECT_FALSE(by_key[no_metadata].first_offset.has_value());
  EXPECT_EQ(by_key[no_metadata].rows, 2);
  EXPECT_EQ(by_key[not_parquet].first_offset, 7);
  EXPECT_FALSE(by_key[not_parquet].end_offset.has_value());  // "x" is not an offset
  EXPECT_FALSE(by_key[not_parquet].rows.has_value());
  EXPECT_NE(by_key[not_parquet].read_error.find("Parquet"), std::string::npos);
  EXPECT_EQ(s3.tail_reads, 3);  // one ranged read per audited object: small footers fit in the first
}

TEST(ScanArchive, AnS3ErrorIsReturnedNotTurnedIntoAFinding) {
  MemoryS3 s3;
  s3.unreachable = true;
  auto scan = scan_archive(s3, "archive", kHour, kHour + 1h, 3600s, quick());
  ASSERT_FALSE(scan.ok());
  EXPECT_NE(scan.error().message().find("AccessDenied"), std::string::npos);
}

}  // namespace
}  // namespace edgestream::audit
