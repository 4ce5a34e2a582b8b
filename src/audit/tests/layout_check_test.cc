// Which keys the layout could have written, and which day folders are listed.
#include <gtest/gtest.h>

#include "edgestream/audit/s3_scan.h"

namespace edgestream::audit {
namespace {

using namespace std::chrono_literals;

const EventTime kHour = EventTime(Millis(1'735'207'200'000));  // 2024-12-26T10:00:00Z

TEST(ClassifyKey, KeysTheArchiverWritesAreFiles) {
  auto got = classify_key("archive", "archive/2024/12/26/readings-p2-o1500_20241226T100000Z.parquet", 3600s);
  ASSERT_TRUE(std::holds_alternative<archiver::FileIdentity>(got));
  const auto& identity = std::get<archiver::FileIdentity>(got);
  EXPECT_EQ(identity.partition, 2);
  EXPECT_EQ(identity.first_offset, 1500);
  EXPECT_EQ(identity.period_start, kHour);
}

TEST(ClassifyKey, OtherKeysAreStraysWithAReason) {
  for (const char* key : {"archive/2024/12/26/notes.txt",
                          "archive/2024/12/26/readings-p2-o1500_20241226T100000Z.parquet.bak",
                          "archive/2024/12/27/readings-p2-o1500_20241226T100000Z.parquet",  // wrong date path
                          "archive/2024/12/26/readings-p2-o1500_20241226T103000Z.parquet"}) {  // not an hour
    auto got = classify_key("archive", key, 3600s);
    ASSERT_TRUE(std::holds_alternative<StrayObject>(got)) << key;
    EXPECT_FALSE(std::get<StrayObject>(got).reason.empty());
  }
}

TEST(DayPrefixes, OneFolderPerUtcDayTheRangeTouches) {
  EXPECT_EQ(day_prefixes("archive", kHour, kHour + 1h, 3600s),
            (std::vector<std::string>{"archive/2024/12/26/"}));
  EXPECT_EQ(day_prefixes("", kHour, kHour + 24h, 3600s),
            (std::vector<std::string>{"2024/12/26/", "2024/12/27/"}));
}

}  // namespace
}  // namespace edgestream::audit
