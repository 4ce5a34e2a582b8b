#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "edgestream/processor/windows.h"

namespace edgestream::processor {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using contract::decode_partial_batch;

const SteadyTime kT0 = SteadyTime{} + hours{1000};  // fake wall clock

EventTime minute(int m, int s = 0) {
  return EventTime{sys_days{year{2024} / December / 26} + hours{10} + minutes{m} + seconds{s}};
}

WindowConfig config() {
  WindowConfig c;
  c.size = 1min;
  c.allowed_lateness = 5s;
  c.idle_timeout = 30s;
  c.max_partition_wait = 120s;
  return c;
}

Aggregate partial(EventTime start, int64_t count, double sum, double min, double max) {
  Aggregate a;
  a.window_start = start;
  a.count = count;
  a.sum = sum;
  a.min = min;
  a.max = max;
  return a;
}

PartialBatch batch(int32_t partition, EventTime watermark, std::vector<Aggregate> windows = {}) {
  return PartialBatch{partition, watermark, std::move(windows)};
}

TEST(PartialMerger, FinalWhenEveryPartitionPassedTheWindowEnd) {
  PartialMerger merger(config(), 2);
  merger.add(batch(0, minute(1), {partial(minute(0), 2, 30, 10, 20)}), 0, kT0);
  EXPECT_TRUE(merger.take_final(kT0).empty());  // partition 1 not heard from yet
  merger.add(batch(1, minute(0, 30)), 1, kT0 + 1s);
  EXPECT_TRUE(merger.take_final(kT0 + 1s).empty());  // partition 1 is at 10:00:30
  merger.add(batch(1, minute(1, 2), {partial(minute(0), 1, 5, 5, 5)}), 2, kT0 + 2s);
  EXPECT_EQ(merger.open_windows(), 1U);
  auto final_windows = merger.take_final(kT0 + 2s);
  ASSERT_EQ(final_windows.size(), 1U);
  EXPECT_EQ(final_windows[0].window_start, minute(0));
  EXPECT_EQ(final_windows[0].count, 3);
  EXPECT_EQ(final_windows[0].sum, 35);
  EXPECT_EQ(final_windows[0].min, 5);
  EXPECT_EQ(final_windows[0].max, 20);
  EXPECT_TRUE(merger.take_final(kT0 + 3s).empty());  // each window once
  EXPECT_EQ(merger.open_windows(), 0U);
}

TEST(PartialMerger, FinalWindowsComeInAscendingOrder) {
  PartialMerger merger(config(), 1);
  merger.add(batch(0, minute(1), {partial(minute(0), 1, 1, 1, 1)}), 0, kT0);
  merger.add(batch(0, minute(9), {partial(minute(5), 1, 5, 5, 5), partial(minute(2), 1, 2, 2, 2)}), 1, kT0);
  auto final_windows = merger.take_final(kT0);
  ASSERT_EQ(final_windows.size(), 3U);
  EXPECT_EQ(final_windows[0].window_start, minute(0));
  EXPECT_EQ(final_windows[1].window_start, minute(2));
  EXPECT_EQ(final_windows[2].window_start, minute(5));
}

PartialBatch covering(int32_t partition, EventTime watermark, int64_t covered_offset,
                      std::vector<Aggregate> windows = {}) {
  return PartialBatch{partition, watermark, std::move(windows), covered_offset};
}

// The incident behind offset-based idleness: an instance killed with -9 stops
// reporting its partition while readings keep arriving in it. The merger used
// to call the partition idle after 30 s of wall time, publish the minute
// without it, and drop its partials as late when the new owner caught up.
TEST(PartialMerger, PartitionWithInputWaitingHoldsTheMinuteUntilItsNewOwnerCatchesUp) {
  PartialMerger merger(config(), 2);
  merger.add(covering(0, minute(0, 50), 10), 0, kT0);
  merger.add(covering(1, minute(0, 20), 40), 1, kT0);
  merger.set_log_end_offset(0, 10, kT0);
  merger.set_log_end_offset(1, 40, kT0);
  // Partition 1's owner dies; its input keeps growing (log end 90 > covered 40).
  merger.add(covering(0, minute(1, 30), 20, {partial(minute(0), 4, 40, 1, 19)}), 2, kT0 + 10s);
  for (auto wait : {10s, 31s, 60s, 100s}) {
    merger.set_log_end_offset(0, 20, kT0 + wait);
    merger.set_log_end_offset(1, 90, kT0 + wait);
    EXPECT_TRUE(merger.take_final(kT0 + wait).empty()) << wait.count();
  }
  // The new owner replays and reports partition 1's share of 10:00.
  auto late = merger.add(covering(1, minute(1, 6), 90, {partial(minute(0), 2, 2, 1, 1)}), 3, kT0 + 110s);
  EXPECT_TRUE(late.empty());
  auto final_windows = merger.take_final(kT0 + 110s);
  ASSERT_EQ(final_windows.size(), 1U);
  EXPECT_EQ(final_windows[0].window_start, minute(0));
  EXPECT_EQ(final_windows[0].count, 6);  // both partitions' readings
  EXPECT_EQ(final_windows[0].sum, 42);
  EXPECT_EQ(merger.late_partials(), 0);
  EXPECT_EQ(merger.forced_windows(), 0);
}

TEST(PartialMerger, PartitionIsIdleOnlyWhenQuietAndItsCoveredOffsetReachesTheLogEnd) {
  PartialMerger merger(config(), 2);
  merger.add(covering(0, minute(2, 5), 50, {partial(minute(0), 1, 7, 7, 7), partial(minute(1), 1, 8, 8, 8)}),
             0, kT0);
  merger.add(covering(1, minute(0, 20), 30), 1, kT0);
  merger.set_log_end_offset(0, 51, kT0);  // 0 has input waiting: active
  merger.set_log_end_offset(1, 30, kT0);
  // Caught up at this instant is not idle: with traffic, the next record is due.
  EXPECT_TRUE(merger.take_final(kT0 + 5s).empty());
  merger.set_log_end_offset(1, 31, kT0 + 35s);  // quiet, but a record waits: not idle
  EXPECT_TRUE(merger.take_final(kT0 + 35s).empty());
  merger.set_log_end_offset(1, -1, kT0 + 36s);  // the broker did not answer: not idle
  EXPECT_TRUE(merger.take_final(kT0 + 36s).empty());
  merger.set_log_end_offset(1, 30, kT0 + 37s);  // quiet and nothing waits: idle
  auto final_windows = merger.take_final(kT0 + 37s);
  ASSERT_EQ(final_windows.size(), 2U);
  EXPECT_EQ(final_windows[0].sum, 7);
  EXPECT_EQ(final_windows[1].sum, 8);
  EXPECT_EQ(merger.forced_windows(), 0);
}

TEST(PartialMerger, EmptyPartitionNeverHeardFromDoesNotHoldOnceQuiet) {
  PartialMerger merger(config(), 3);
  merger.add(covering(0, minute(2), 5, {partial(minute(0), 1, 7, 7, 7)}), 0, kT0);
  merger.add(covering(1, minute(2), 9, {partial(minute(1), 1, 8, 8, 8)}), 1, kT0);
  merger.set_log_end_offset(0, 9, kT0);   // 0 is behind: it holds at 10:02
  merger.set_log_end_offset(1, 9, kT0);
  EXPECT_TRUE(merger.take_final(kT0 + 30s).empty());  // partition 2: log end unknown
  merger.set_log_end_offset(2, 0, kT0 + 30s);         // empty, and silent since the start
  EXPECT_EQ(merger.take_final(kT0 + 30s).size(), 2U);
}

TEST(PartialMerger, PartitionWithOnlyInvalidRecordsReportsNoWatermarkAndIsIdleWhenCaughtUp) {
  PartialMerger merger(config(), 2);
  merger.add(covering(0, minute(1, 0), 3, {partial(minute(0), 1, 1, 1, 1)}), 0, kT0);
  merger.add(covering(1, kNoWatermarkYet, 12), 1, kT0);
  merger.set_log_end_offset(0, 4, kT0);  // 0 active at 10:01
  merger.set_log_end_offset(1, 13, kT0);
  EXPECT_TRUE(merger.take_final(kT0).empty());  // 1 has input waiting and no watermark
  merger.add(covering(1, kNoWatermarkYet, 13), 2, kT0 + 1s);
  EXPECT_TRUE(merger.take_final(kT0 + 30s).empty());
  EXPECT_EQ(merger.take_final(kT0 + 31s).size(), 1U);
}

TEST(PartialMerger, StalledPartitionIsForcedAfterTheMaxWaitAndItsLatePartialIsReturned) {
  PartialMerger merger(config(), 2);
  merger.add(covering(0, minute(0, 50), 10), 0, kT0);
  merger.add(covering(1, minute(0, 20), 40), 1, kT0);
  merger.add(covering(0, minute(2, 5), 30, {partial(minute(0), 4, 40, 1, 19), partial(minute(1), 1, 3, 3, 3)}),
             2, kT0 + 10s);
  merger.set_log_end_offset(0, 30, kT0 + 10s);  // 0 is caught up (idle once quiet)
  merger.set_log_end_offset(1, 90, kT0 + 10s);  // 1 is stuck with input waiting
  // Progress (a new covered offset) restarts the wait; a repeated batch does not.
  merger.add(covering(1, minute(0, 20), 41), 3, kT0 + 60s);
  merger.add(covering(1, minute(0, 20), 41), 4, kT0 + 70s);
  EXPECT_TRUE(merger.take_final(kT0 + 179s).empty());
  auto final_windows = merger.take_final(kT0 + 180s);  // 120 s without progress
  ASSERT_EQ(final_windows.size(), 2U);
  EXPECT_EQ(final_windows[0].count, 4);
  EXPECT_EQ(merger.forced_windows(), 2);
  EXPECT_EQ(merger.late_partials(), 0);

  // Partition 1 catches up: its share of the forced minute comes back to the
  // caller (to publish as a correction), and counts as a late partial.
  auto late = merger.add(covering(1, minute(3, 0), 90, {partial(minute(0), 2, 2, 1, 1),
                                                        partial(minute(2), 1, 9, 9, 9)}),
                         5, kT0 + 200s);
  ASSERT_EQ(late.size(), 1U);
  EXPECT_EQ(late[0].window_start, minute(0));
  EXPECT_EQ(late[0].count, 2);
  EXPECT_EQ(merger.late_partials(), 1);
  // New input for 0: 10:02 waits for it to pass 10:03.
  merger.add(covering(0, minute(2, 5), 31), 6, kT0 + 200s);
  merger.set_log_end_offset(0, 32, kT0 + 200s);
  EXPECT_TRUE(merger.take_final(kT0 + 200s).empty());
  merger.add(covering(0, minute(3, 1), 32, {partial(minute(2), 1, 1, 1, 1)}), 7, kT0 + 201s);
  final_windows = merger.take_final(kT0 + 201s);
  ASSERT_EQ(final_windows.size(), 1U);
  EXPECT_EQ(final_windows[0].count, 2);
  EXPECT_EQ(merger.forced_windows(), 2);  // not forced: nobody was stalled
}

TEST(PartialMerger, PartitionsBehindHoldAtTheSlowestWatermark) {
  PartialMerger merger(config(), 2);
  merger.add(covering(0, minute(3, 0), 7, {partial(minute(2), 1, 2, 2, 2)}), 0, kT0);
  merger.add(covering(1, minute(1, 10), 9, {partial(minute(0), 1, 1, 1, 1)}), 1, kT0);
  merger.set_log_end_offset(0, 8, kT0);
  merger.set_log_end_offset(1, 10, kT0);
  auto final_windows = merger.take_final(kT0 + 100s);  // min(10:03, 10:01:10): 10:00 only
  ASSERT_EQ(final_windows.size(), 1U);
  EXPECT_EQ(final_windows[0].window_start, minute(0));
  EXPECT_EQ(merger.forced_windows(), 0);
}

TEST(PartialMerger, WhenEveryPartitionIsCaughtUpAndQuietTheMostAdvancedWatermarkCloses) {
  // A quiet period on every partition must not hold the last windows forever.
  PartialMerger merger(config(), 2);
  merger.add(covering(0, minute(3, 0), 7, {partial(minute(2), 1, 2, 2, 2)}), 0, kT0);
  merger.add(covering(1, minute(1, 10), 9, {partial(minute(0), 1, 1, 1, 1)}), 1, kT0);
  merger.set_log_end_offset(0, 7, kT0);
  merger.set_log_end_offset(1, 9, kT0);
  auto final_windows = merger.take_final(kT0 + 1s);  // min(10:03, 10:01:10): 10:00 only
  ASSERT_EQ(final_windows.size(), 1U);
  EXPECT_EQ(final_windows[0].window_start, minute(0));
  final_windows = merger.take_final(kT0 + 30s);  // both idle: up to 10:03
  ASSERT_EQ(final_windows.size(), 1U);
  EXPECT_EQ(final_windows[0].window_start, minute(2));
  EXPECT_EQ(merger.forced_windows(), 0);
}

TEST(PartialMerger, SinglePartitionClosesWithoutWaiting) {
  PartialMerger merger(config(), 1);
  merger.add(batch(0, minute(1, 0), {partial(minute(0), 1, 1, 1, 1)}), 0, kT0);
  EXPECT_EQ(merger.take_final(kT0).size(), 1U);
}

TEST(PartialMerger, NothingIsFinalWhenNoPartitionReported) {
  PartialMerger merger(config(), 2);
  EXPECT_TRUE(merger.take_final(kT0).empty());
  EXPECT_TRUE(merger.take_final(kT0 + 1h).empty());
}

TEST(PartialMerger, NewInputPartitionIsTracked) {
  PartialMerger merger(config(), 1);
  merger.add(batch(0, minute(0, 30)), 0, kT0);
  merger.add(batch(3, minute(2, 0), {partial(minute(1), 1, 1, 1, 1)}), 1, kT0);
  EXPECT_TRUE(merger.take_final(kT0).empty());  // partition 0 holds 10:01
  merger.add(batch(0, minute(2, 0)), 2, kT0 + 1s);
  EXPECT_EQ(merger.take_final(kT0 + 1s).size(), 1U);
}

TEST(PartialMerger, BatchWithAHugePartitionNumberCostsOneEntry) {
  // Found by the fuzzer: partition 1735207262 used to size a vector.
  PartialMerger merger(config(), 1);
  merger.add(batch(1735207262, minute(2, 0), {partial(minute(1), 1, 1, 1, 1)}), 0, kT0);
  merger.add(batch(0, minute(2, 0)), 1, kT0);
  EXPECT_EQ(merger.take_final(kT0).size(), 1U);
}

TEST(PartialMerger, FinalizedBeforeOnlyMovesForward) {
  PartialMerger merger(config(), 2);
  merger.add(batch(0, minute(5)), 0, kT0);
  merger.add(batch(1, minute(5)), 1, kT0);
  EXPECT_TRUE(merger.take_final(kT0).empty());
  EXPECT_EQ(merger.checkpoint(2).finalized_before, minute(5));
  // A partition restarting with a lower watermark (a new partition) cannot move it back.
  merger.add(batch(2, minute(1)), 2, kT0 + 1s);
  EXPECT_TRUE(merger.take_final(kT0 + 1s).empty());
  EXPECT_EQ(merger.checkpoint(3).finalized_before, minute(5));
  merger.add(batch(2, minute(6), {partial(minute(4), 1, 1, 1, 1)}), 3, kT0 + 2s);
  EXPECT_EQ(merger.late_partials(), 1);
}

TEST(PartialMerger, CheckpointReplayFromIsTheOldestBatchOfAnOpenWindow) {
  PartialMerger merger(config(), 2);
  EXPECT_EQ(merger.checkpoint(0).replay_from, 0);
  EXPECT_EQ(merger.checkpoint(0).finalized_before, EventTime::min());
  merger.add(batch(0, minute(1), {partial(minute(0), 1, 1, 1, 1)}), 10, kT0);
  merger.add(batch(0, minute(2), {partial(minute(1), 1, 1, 1, 1)}), 11, kT0);
  merger.add(batch(1, minute(0, 30)), 12, kT0);
  EXPECT_EQ(merger.checkpoint(13).replay_from, 10);
  merger.add(batch(1, minute(1, 30), {partial(minute(0), 1, 1, 1, 1)}), 13, kT0);
  ASSERT_EQ(merger.take_final(kT0).size(), 1U);
  MergerCheckpoint checkpoint = merger.checkpoint(14);
  EXPECT_EQ(checkpoint.replay_from, 11);
  EXPECT_EQ(checkpoint.finalized_before, minute(1));
  merger.add(batch(1, minute(3), {partial(minute(1), 1, 1, 1, 1)}), 14, kT0);
  ASSERT_EQ(merger.take_final(kT0).size(), 1U);
  EXPECT_EQ(merger.checkpoint(15).replay_from, 15);
}

// --- Property: partitions + merge equal one pass over all readings ---------------

struct Sample {
  EventTime time;
  double temperature;
};

TEST(PartialMerger, PropertyMergedPartialsEqualASinglePass) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 random(seed);
    std::uniform_int_distribution<int> partition_count_dist(1, 6);
    const int partitions = partition_count_dist(random);
    // Readings over ~20 minutes; temperatures are multiples of 1/4 so every
    // sum is exact and the comparison can be exact in any merge order.
    std::uniform_int_distribution<int64_t> offset_ms(0, 20 * 60'000);
    std::uniform_int_distribution<int> quarter(-160, 400);
    std::uniform_int_distribution<int> which(0, partitions - 1);
    const EventTime base = minute(0);
    std::vector<std::vector<Sample>> per_partition(static_cast<size_t>(partitions));
    std::vector<Sample> all;
    for (int i = 0; i < 3000; ++i) {
      Sample s{base + Millis{offset_ms(random)}, quarter(random) / 4.0};
      all.push_back(s);
      per_partition[static_cast<size_t>(which(random))].push_back(s);
    }

    // Independent single pass: floor each time to its minute by calendar arithmetic.
    std::map<int64_t, std::tuple<int64_t, double, double, double>> expected;
    for (const Sample& s : all) {
      const auto minute_start = floor<minutes>(s.time);
      auto [it, inserted] = expected.try_emplace(
          duration_cast<Millis>(minute_start.time_since_epoch()).count(), 0, 0.0, s.temperature,
          s.temperature);
      auto& [count, sum, min, max] = it->second;
      ++count;
      sum += s.temperature;
      min = std::min(min, s.temperature);
      max = std::max(max, s.temperature);
    }

    // Each partition: its readings in event-time order (so none is late),
    // windows closed at random batch boundaries; a final far-future reading
    // closes everything (its own window is left out of the comparison).
    WindowConfig window_config = config();
    std::vector<std::vector<std::string>> encoded(static_cast<size_t>(partitions));
    std::uniform_int_distribution<int> batch_size(1, 200);
    for (int p = 0; p < partitions; ++p) {
      auto& samples = per_partition[static_cast<size_t>(p)];
      std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.time < b.time; });
      samples.push_back({base + 24h, 0.0});
      PartitionWindows windows(window_config);
      int until_batch = batch_size(random);
      for (size_t i = 0; i < samples.size(); ++i) {
        Reading r;
        r.device_id = "d";
        r.status = "OK";
        r.timestamp = samples[i].time;
        r.temperature = samples[i].temperature;
        EXPECT_EQ(windows.add(r, static_cast<int64_t>(i)), PartitionWindows::AddOutcome::kAggregated);
        if (--until_batch == 0 || i + 1 == samples.size()) {
          until_batch = batch_size(random);
          ClosedWindows closed = windows.close_ready();
          encoded[static_cast<size_t>(p)].push_back(
              encode_partial_batch(PartialBatch{p, *windows.watermark(), closed.fleet_partials}));
        }
      }
    }

    // Merge: random interleaving of the partitions, each in its own order, as
    // the batches arrive through the internal topic.
    PartialMerger merger(window_config, partitions);
    std::vector<size_t> next(static_cast<size_t>(partitions), 0);
    std::map<int64_t, std::tuple<int64_t, double, double, double>> actual;
    bool duplicate = false;
    int64_t offset = 0;
    for (;;) {
      std::vector<int> ready;
      for (int p = 0; p < partitions; ++p) {
        if (next[static_cast<size_t>(p)] < encoded[static_cast<size_t>(p)].size()) ready.push_back(p);
      }
      if (ready.empty()) break;
      const int p = ready[std::uniform_int_distribution<size_t>(0, ready.size() - 1)(random)];
      auto decoded = decode_partial_batch(encoded[static_cast<size_t>(p)][next[static_cast<size_t>(p)]++]);
      ASSERT_TRUE(decoded);
      merger.add(*decoded, offset++, kT0);  // one wall instant: no partition is idle
      for (const Aggregate& a : merger.take_final(kT0)) {
        auto [it, inserted] = actual.try_emplace(a.window_start.time_since_epoch().count(), a.count,
                                                 a.sum, a.min, a.max);
        if (!inserted) duplicate = true;
      }
    }
    EXPECT_FALSE(duplicate);
    EXPECT_EQ(merger.late_partials(), 0);
    EXPECT_EQ(actual, expected);
  }
}

TEST(PartialMerger, PropertyRestartFromCheckpointMatchesAnUninterruptedRun) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 random(seed);
    // A random batch log from 3 partitions, each advancing its watermark.
    std::vector<PartialBatch> log;
    std::vector<int64_t> watermark_ms(3, minute(0).time_since_epoch().count());
    std::uniform_int_distribution<int> which(0, 2);
    std::uniform_int_distribution<int64_t> advance(0, 40'000);
    std::uniform_int_distribution<int> quarter(-40, 400);
    std::vector<int64_t> last_closed(3, watermark_ms[0]);
    for (int i = 0; i < 300; ++i) {
      const int p = which(random);
      auto& mark = watermark_ms[static_cast<size_t>(p)];
      mark += advance(random);
      PartialBatch b{p, EventTime{Millis{mark}}, {}};
      const int64_t ready_before = window_start_of(b.watermark, 1min).time_since_epoch().count();
      for (int64_t start = last_closed[static_cast<size_t>(p)]; start < ready_before; start += 60'000) {
        double v = quarter(random) / 4.0;
        b.windows.push_back(partial(EventTime{Millis{start}}, 1, v, v, v));
      }
      last_closed[static_cast<size_t>(p)] = std::max(last_closed[static_cast<size_t>(p)], ready_before);
      log.push_back(b);
    }
    // Every partition finally passes the same far watermark, closing all its
    // windows, so both runs end with everything final.
    const int64_t end_ms = *std::max_element(watermark_ms.begin(), watermark_ms.end()) + 600'000;
    for (int p = 0; p < 3; ++p) {
      PartialBatch b{p, EventTime{Millis{end_ms}}, {}};
      const int64_t ready_before = window_start_of(b.watermark, 1min).time_since_epoch().count();
      for (int64_t start = last_closed[static_cast<size_t>(p)]; start < ready_before; start += 60'000) {
        b.windows.push_back(partial(EventTime{Millis{start}}, 1, 1, 1, 1));
      }
      log.push_back(b);
    }
    auto run = [&](std::vector<size_t> restarts) {
      std::map<int64_t, std::tuple<int64_t, double, double, double>> out;
      bool duplicate = false;
      auto merger = std::make_unique<PartialMerger>(config(), 3);
      for (size_t i = 0; i < log.size(); ++i) {
        merger->add(log[i], static_cast<int64_t>(i), kT0);
        for (const Aggregate& a : merger->take_final(kT0)) {
          if (!out.try_emplace(a.window_start.time_since_epoch().count(), a.count, a.sum, a.min, a.max).second) {
            duplicate = true;
          }
        }
        if (std::find(restarts.begin(), restarts.end(), i) == restarts.end()) continue;
        auto checkpoint = decode_merger_checkpoint(encode_merger_checkpoint(merger->checkpoint(static_cast<int64_t>(i + 1))));
        EXPECT_TRUE(checkpoint);
        merger = std::make_unique<PartialMerger>(config(), 3, *checkpoint);
        // Replay up to the commit point with outputs suppressed; windows the
        // replay completes are the ones the first instance had not finalised.
        std::vector<Aggregate> replayed;
        for (auto j = static_cast<size_t>(checkpoint->replay_from); j <= i; ++j) {
          merger->add(log[j], static_cast<int64_t>(j), kT0);
        }
        for (const Aggregate& a : merger->take_final(kT0)) {
          if (!out.try_emplace(a.window_start.time_since_epoch().count(), a.count, a.sum, a.min, a.max).second) {
            duplicate = true;
          }
        }
      }
      EXPECT_FALSE(duplicate);
      return out;
    };
    auto expected = run({});
    std::uniform_int_distribution<size_t> pick(0, log.size() - 1);
    auto actual = run({pick(random), pick(random)});
    EXPECT_FALSE(expected.empty());
    EXPECT_EQ(actual, expected);
  }
}

}  // namespace
}  // namespace edgestream::processor
