// The cut rules, decided on a fixed clock: no Kafka, no files, no sleeping.
#include "edgestream/archiver/segment_planner.h"

#include <gtest/gtest.h>

#include <vector>

namespace edgestream::archiver {
namespace {

using std::chrono::seconds;

EventTime at(const char* text) { return parse_rfc3339(text).value(); }

class SegmentPlannerTest : public ::testing::Test {
 protected:
  SegmentPlannerTest() {
    config_.period = seconds(3600);
    config_.grace = seconds(60);
    config_.max_file_rows = 1000;
    config_.max_file_bytes = 1 << 20;
  }
  CutReason decide(const std::vector<OpenFileView>& files, std::optional<EventTime> max_event,
                   seconds since_last_record) {
    SegmentPlanner planner(config_);
    return planner.decide(SegmentView{files, max_event, t0_}, t0_ + since_last_record);
  }

  PlannerConfig config_;
  const SteadyTime t0_ = SteadyTime{} + std::chrono::hours(100);
  const EventTime ten_ = at("2024-12-26T10:00:00Z");
};

TEST_F(SegmentPlannerTest, NoFilesNothingToCut) {
  EXPECT_EQ(decide({}, at("2030-01-01T00:00:00Z"), seconds(100'000)), CutReason::kNone);
}

TEST_F(SegmentPlannerTest, FreshSegmentStaysOpen) {
  EXPECT_EQ(decide({{ten_, 10, 1000}}, at("2024-12-26T10:30:00Z"), seconds(0)), CutReason::kNone);
}

TEST_F(SegmentPlannerTest, RowLimitCutsAtTheLimitNotBefore) {
  EXPECT_EQ(decide({{ten_, 999, 0}}, std::nullopt, seconds(0)), CutReason::kNone);
  EXPECT_EQ(decide({{ten_, 1000, 0}}, std::nullopt, seconds(0)), CutReason::kRowLimit);
  // Any one file of the segment reaching it is enough.
  EXPECT_EQ(decide({{ten_, 1, 0}, {ten_ + seconds(3600), 1000, 0}}, std::nullopt, seconds(0)),
            CutReason::kRowLimit);
}

TEST_F(SegmentPlannerTest, ByteLimitCutsAtTheLimitNotBefore) {
  EXPECT_EQ(decide({{ten_, 1, (1 << 20) - 1}}, std::nullopt, seconds(0)), CutReason::kNone);
  EXPECT_EQ(decide({{ten_, 1, 1 << 20}}, std::nullopt, seconds(0)), CutReason::kByteLimit);
}

TEST_F(SegmentPlannerTest, PeriodOverAfterEndPlusGraceInEventTime) {
  // The 10:00 period ends at 11:00; with 60 s grace it is over at 11:01:00.
  EXPECT_EQ(decide({{ten_, 5, 0}}, at("2024-12-26T11:00:59.999Z"), seconds(0)), CutReason::kNone);
  EXPECT_EQ(decide({{ten_, 5, 0}}, at("2024-12-26T11:01:00Z"), seconds(0)), CutReason::kPeriodOver);
}

TEST_F(SegmentPlannerTest, PeriodOverOfAnyOpenFileCutsTheWholeSegment) {
  // Files of 10:00 and 11:00 open; event time 11:01 ends 10:00 only, which
  // is enough to cut the segment (both files).
  EXPECT_EQ(decide({{ten_ + seconds(3600), 5, 0}, {ten_, 5, 0}}, at("2024-12-26T11:01:00Z"), seconds(0)),
            CutReason::kPeriodOver);
}

TEST_F(SegmentPlannerTest, LateFileGathersLateRecordsForGraceOfEventTime) {
  // At 12:00 a record of 10:00 arrives: its file is opened late (max event
  // time 12:00 then). It is not cut at once; it is cut once event time
  // reaches 12:01 (open-time max + grace), or when the partition is quiet.
  const std::optional<EventTime> opened_at = at("2024-12-26T12:00:00Z");
  const std::vector<OpenFileView> late{{ten_, 1, 0, opened_at}};
  EXPECT_EQ(decide(late, at("2024-12-26T12:00:00Z"), seconds(0)), CutReason::kNone);
  EXPECT_EQ(decide(late, at("2024-12-26T12:00:59.999Z"), seconds(0)), CutReason::kNone);
  EXPECT_EQ(decide(late, at("2024-12-26T12:01:00Z"), seconds(0)), CutReason::kPeriodOver);
  EXPECT_EQ(decide(late, at("2024-12-26T12:00:00Z"), seconds(60)), CutReason::kQuiet);
  // A file opened before its period ended keeps the plain rule.
  const std::vector<OpenFileView> on_time{{ten_, 1, 0, at("2024-12-26T10:30:00Z")}};
  EXPECT_EQ(decide(on_time, at("2024-12-26T11:01:00Z"), seconds(0)), CutReason::kPeriodOver);
  EXPECT_EQ(decide(on_time, at("2024-12-26T11:00:59Z"), seconds(0)), CutReason::kNone);
}

TEST_F(SegmentPlannerTest, ShortPeriods) {
  config_.period = seconds(10);
  config_.grace = seconds(2);
  EXPECT_EQ(decide({{ten_, 5, 0}}, at("2024-12-26T10:00:11.999Z"), seconds(0)), CutReason::kNone);
  EXPECT_EQ(decide({{ten_, 5, 0}}, at("2024-12-26T10:00:12Z"), seconds(0)), CutReason::kPeriodOver);
}

TEST_F(SegmentPlannerTest, QuietPartitionCutsAfterGraceOfWallTime) {
  EXPECT_EQ(decide({{ten_, 5, 0}}, at("2024-12-26T10:10:00Z"), seconds(59)), CutReason::kNone);
  EXPECT_EQ(decide({{ten_, 5, 0}}, at("2024-12-26T10:10:00Z"), seconds(60)), CutReason::kQuiet);
  // Without any event time (cannot happen with files, but the rule does not need it).
  EXPECT_EQ(decide({{ten_, 5, 0}}, std::nullopt, seconds(61)), CutReason::kQuiet);
}

TEST_F(SegmentPlannerTest, ZeroGraceCutsAtThePeriodEnd) {
  config_.grace = seconds(0);
  EXPECT_EQ(decide({{ten_, 5, 0}}, at("2024-12-26T10:59:59.999Z"), seconds(0)), CutReason::kQuiet);
  config_.grace = seconds(0);
  SegmentPlanner planner(config_);
  const std::vector<OpenFileView> files{{ten_, 5, 0}};
  // Quiet fires at once with zero grace; the event-time rule fires at 11:00 exactly.
  EXPECT_EQ(planner.decide(SegmentView{files, at("2024-12-26T11:00:00Z"), t0_}, t0_),
            CutReason::kPeriodOver);
}

TEST_F(SegmentPlannerTest, RulesAreCheckedInOrder) {
  // Every rule holds: rows first, then bytes, then event time, then quiet.
  const std::vector<OpenFileView> all{{ten_, 1000, 1 << 20}};
  EXPECT_EQ(decide(all, at("2024-12-27T00:00:00Z"), seconds(1000)), CutReason::kRowLimit);
  EXPECT_EQ(decide({{ten_, 1, 1 << 20}}, at("2024-12-27T00:00:00Z"), seconds(1000)), CutReason::kByteLimit);
  EXPECT_EQ(decide({{ten_, 1, 1}}, at("2024-12-27T00:00:00Z"), seconds(1000)), CutReason::kPeriodOver);
}

TEST(CutReason, Names) {
  EXPECT_STREQ(to_string(CutReason::kRowLimit), "row_limit");
  EXPECT_STREQ(to_string(CutReason::kQuiet), "quiet");
}

TEST_F(SegmentPlannerTest, AdoptedRangeIsCutExactlyAtItsEndAndByNoOtherRule) {
  SegmentPlanner planner(config_);
  // Over every limit, period over, quiet: still open until the adopted end.
  const std::vector<OpenFileView> files{{ten_, 5000, 2 << 20}};
  SegmentView segment{files, at("2024-12-26T12:00:00Z"), t0_, 99, 100};
  EXPECT_EQ(planner.decide(segment, t0_ + seconds(10'000)), CutReason::kNone);
  segment.next_offset = 100;
  EXPECT_EQ(planner.decide(segment, t0_), CutReason::kAdopted);
}

TEST_F(SegmentPlannerTest, EventTimeMoreThanTheSkewAheadOfTheClockIsRefused) {
  config_.max_future_skew = seconds(300);
  SegmentPlanner planner(config_);
  EXPECT_FALSE(planner.too_far_in_future(ten_ + seconds(300), ten_));
  EXPECT_TRUE(planner.too_far_in_future(ten_ + seconds(301), ten_));
  EXPECT_FALSE(planner.too_far_in_future(ten_ - std::chrono::hours(24 * 365), ten_));
}

}  // namespace
}  // namespace edgestream::archiver
