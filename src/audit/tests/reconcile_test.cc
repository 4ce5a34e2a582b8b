// Reconciliation rules, on hand-made inputs whose verdicts are worked out in
// the comments (not taken from the code).
#include "edgestream/audit/reconcile.h"

#include <gtest/gtest.h>

#include <numeric>

namespace edgestream::audit {
namespace {

using archiver::RecordKind;
using namespace std::chrono_literals;

const EventTime kHour = EventTime(Millis(1'735'207'200'000));  // 2024-12-26T10:00:00Z

std::vector<std::int64_t> range(std::int64_t first, std::int64_t end, std::int64_t step = 1) {
  std::vector<std::int64_t> out;
  for (std::int64_t o = first; o < end; o += step) out.push_back(o);
  return out;
}

FoundObject object(std::int32_t partition, std::int64_t first, std::int64_t end, std::int64_t rows,
                   RecordKind kind = RecordKind::kReading, EventTime period = kHour) {
  FoundObject o;
  o.identity = {kind, partition, first, period};
  o.key = archiver::object_key("archive", o.identity);
  o.first_offset = first;
  o.end_offset = end;
  o.rows = rows;
  return o;
}

AuditReport run(const ExpectedOffsets& expected, const std::vector<FoundObject>& objects,
                std::vector<StrayObject> strays = {}) {
  return reconcile(expected, objects, std::move(strays), kHour, kHour + 1h);
}

TEST(Reconcile, TwoAdjacentObjectsHoldingEveryRecordAreExact) {
  // Readings at even offsets 0..198 (odd ones are other kinds): 100 records,
  // 50 below 100 and 50 in [100, 200).
  const ExpectedOffsets expected{{{RecordKind::kReading, 0, kHour}, range(0, 200, 2)}};
  const AuditReport report = run(expected, {object(0, 0, 100, 50), object(0, 100, 200, 50)});
  ASSERT_EQ(report.streams.size(), 1u);
  EXPECT_EQ(report.streams[0].expected, 100);
  EXPECT_EQ(report.streams[0].found_rows, 100);
  EXPECT_EQ(report.streams[0].objects, 2);
  EXPECT_TRUE(report.exact());
}

TEST(Reconcile, ADeletedObjectMakesItsRecordsMissingWithTheirOffsets) {
  const ExpectedOffsets expected{{{RecordKind::kReading, 1, kHour}, range(0, 200, 2)}};
  const AuditReport report = run(expected, {object(1, 0, 100, 50)});
  ASSERT_EQ(report.streams.size(), 1u);
  EXPECT_EQ(report.streams[0].missing, 50);
  EXPECT_EQ(report.streams[0].first_missing_offsets, (std::vector<std::int64_t>{100, 102, 104, 106, 108}));
  EXPECT_EQ(report.streams[0].duplicated, 0);
  EXPECT_FALSE(report.exact());
  EXPECT_NE(format_table(report).find("100,102,104,106,108,…"), std::string::npos);
}

TEST(Reconcile, ACopiedObjectOverlapsAndDuplicatesEveryRecordOfItsRange) {
  const ExpectedOffsets expected{{{RecordKind::kReading, 0, kHour}, range(0, 100)}};
  FoundObject copy = object(0, 0, 100, 100);
  copy.key = "archive/2024/12/26/readings-p0-o1_20241226T100000Z.parquet";
  copy.identity.first_offset = 1;  // a name whose offset differs from its metadata
  const AuditReport report = run(expected, {object(0, 0, 100, 100), copy});
  const StreamReport& s = report.streams.at(0);
  EXPECT_EQ(s.duplicated, 100);
  EXPECT_EQ(s.missing, 0);
  EXPECT_EQ(s.first_duplicated_offsets, (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  ASSERT_EQ(s.overlaps.size(), 1u);
  EXPECT_NE(s.overlaps[0].find("[0,100)"), std::string::npos);
  ASSERT_EQ(s.problems.size(), 1u);  // the key's first offset against the metadata's
  EXPECT_NE(s.problems[0].find("key says first offset 1"), std::string::npos);
}

TEST(Reconcile, RowCountAgainstTheRangeFindsShortAndLongObjects) {
  // 10 expected in [0,10) and 10 in [10,20); the first object lacks 3 rows,
  // the second has 2 rows too many.
  const ExpectedOffsets expected{{{RecordKind::kAggregate, 2, kHour}, range(0, 20)}};
  const AuditReport report =
      run(expected, {object(2, 0, 10, 7, RecordKind::kAggregate), object(2, 10, 20, 12, RecordKind::kAggregate)});
  const StreamReport& s = report.streams.at(0);
  EXPECT_EQ(s.missing, 3);
  EXPECT_EQ(s.duplicated, 2);
  EXPECT_EQ(s.problems.size(), 2u);
  EXPECT_TRUE(s.overlaps.empty());
}

TEST(Reconcile, ObjectsWithoutRangeOrFooterAndStraysAreNotExact) {
  const ExpectedOffsets expected{{{RecordKind::kReading, 0, kHour}, range(0, 10)}};
  FoundObject no_range = object(0, 0, 10, 10);
  no_range.first_offset.reset();
  AuditReport report = run(expected, {no_range});
  EXPECT_EQ(report.streams.at(0).missing, 10);  // cannot be placed
  EXPECT_FALSE(report.exact());

  FoundObject no_footer = object(0, 0, 10, 10);
  no_footer.rows.reset();
  no_footer.read_error = "not a readable Parquet footer";
  report = run(expected, {no_footer});
  EXPECT_FALSE(report.exact());

  report = run(expected, {object(0, 0, 10, 10)}, {{"archive/2024/12/26/notes.txt", "not a file name"}});
  EXPECT_TRUE(report.streams.at(0).exact());
  EXPECT_FALSE(report.exact());
  EXPECT_NE(format_json(report).find("\"outside_layout\":[{\"key\":\"archive/2024/12/26/notes.txt\""),
            std::string::npos);
}

TEST(Reconcile, OnlyStreamsOfTheAuditedPeriodsAreReportedInPeriodPartitionKindOrder) {
  const ExpectedOffsets expected{
      {{RecordKind::kReading, 1, kHour}, {5}},
      {{RecordKind::kAggregate, 0, kHour}, {3}},
      {{RecordKind::kReading, 0, kHour + 1h}, {9}},  // next period: not audited
      {{RecordKind::kReading, 0, kHour}, {1}},
  };
  const AuditReport report = run(expected, {object(0, 0, 10, 1, RecordKind::kReading, kHour - 1h)});
  ASSERT_EQ(report.streams.size(), 3u);
  EXPECT_EQ(report.streams[0].stream, (StreamKey{RecordKind::kReading, 0, kHour}));
  EXPECT_EQ(report.streams[1].stream, (StreamKey{RecordKind::kAggregate, 0, kHour}));
  EXPECT_EQ(report.streams[2].stream, (StreamKey{RecordKind::kReading, 1, kHour}));
  EXPECT_EQ(report.streams[0].missing, 1);  // the object of the previous hour does not count
}

TEST(Reconcile, AnObjectWithNoExpectedRecordsIsAllDuplicates) {
  // E.g. an object copied from another partition's records under this stream's name.
  const AuditReport report = run({}, {object(3, 0, 10, 4)});
  ASSERT_EQ(report.streams.size(), 1u);
  EXPECT_EQ(report.streams[0].expected, 0);
  EXPECT_EQ(report.streams[0].duplicated, 4);
  EXPECT_FALSE(report.exact());
}

}  // namespace
}  // namespace edgestream::audit
