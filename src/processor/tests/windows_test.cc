#include "edgestream/processor/windows.h"

#include "edgestream/contract/processed_record.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace edgestream::processor {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;
using contract::encode_aggregate;
using contract::encode_device_aggregate;

EventTime utc(int y, unsigned mo, unsigned d, int h, int mi, int s, int ms = 0) {
  return EventTime{sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s} +
                   milliseconds{ms}};
}

EventTime at(int64_t ms) { return EventTime{Millis{ms}}; }

Reading reading(std::string_view device, EventTime time, double temperature) {
  Reading r;
  r.device_id = device;
  r.timestamp = time;
  r.temperature = temperature;
  r.humidity = 50;
  r.status = "OK";
  return r;
}

WindowConfig config(Millis lateness = 5s) {
  WindowConfig c;
  c.size = 1min;
  c.allowed_lateness = lateness;
  return c;
}

// --- window assignment ---------------------------------------------------------

TEST(WindowStartOf, MinuteBoundaries) {
  EXPECT_EQ(window_start_of(utc(2024, 12, 26, 10, 0, 59, 999), 1min), utc(2024, 12, 26, 10, 0, 0));
  EXPECT_EQ(window_start_of(utc(2024, 12, 26, 10, 1, 0, 0), 1min), utc(2024, 12, 26, 10, 1, 0));
  EXPECT_EQ(window_start_of(utc(2024, 12, 26, 10, 0, 0, 0), 1min), utc(2024, 12, 26, 10, 0, 0));
  EXPECT_EQ(window_start_of(utc(2024, 12, 26, 23, 59, 59, 999), 1min), utc(2024, 12, 26, 23, 59, 0));
}

TEST(WindowStartOf, NegativeEpochTimesFloor) {
  EXPECT_EQ(window_start_of(at(-1), 1min), at(-60'000));
  EXPECT_EQ(window_start_of(at(-60'000), 1min), at(-60'000));
  EXPECT_EQ(window_start_of(at(-60'001), 1min), at(-120'000));
  EXPECT_EQ(window_start_of(at(0), 1min), at(0));
  EXPECT_EQ(window_start_of(utc(1969, 12, 31, 23, 59, 30), 1min), utc(1969, 12, 31, 23, 59, 0));
}

TEST(WindowStartOf, OffsetTimestampsLandInTheirUtcMinute) {
  auto time = parse_rfc3339("2024-12-26T12:00:59.999+02:00");
  ASSERT_TRUE(time);
  EXPECT_EQ(window_start_of(*time, 1min), utc(2024, 12, 26, 10, 0, 0));
  auto india = parse_rfc3339("2024-12-26T15:31:10+05:30");
  ASSERT_TRUE(india);
  EXPECT_EQ(window_start_of(*india, 1min), utc(2024, 12, 26, 10, 1, 0));
}

TEST(WindowStartOf, PropertyStartIsAlignedAndContainsTheTime) {
  std::mt19937_64 random(7);
  std::uniform_int_distribution<int64_t> times(-5'000'000'000'000, 5'000'000'000'000);
  for (Millis size : {Millis{1000}, Millis{60'000}, Millis{3'600'000}, Millis{7}}) {
    for (int i = 0; i < 2000; ++i) {
      EventTime time = at(times(random));
      EventTime start = window_start_of(time, size);
      EXPECT_LE(start, time);
      EXPECT_LT(time, start + size);
      EXPECT_EQ(start.time_since_epoch().count() % size.count(), 0);
    }
  }
}

// --- aggregates and encoders ------------------------------------------------------

TEST(Aggregate, AddAndMerge) {
  Aggregate a;
  a.add(10);
  a.add(-5);
  Aggregate b;
  b.add(40);
  a.merge(b);
  EXPECT_EQ(a.count, 3);
  EXPECT_EQ(a.sum, 45);
  EXPECT_EQ(a.min, -5);
  EXPECT_EQ(a.max, 40);
  EXPECT_EQ(a.average(), 15);
  Aggregate empty;
  a.merge(empty);
  EXPECT_EQ(a.count, 3);
  EXPECT_EQ(a.min, -5);
  EXPECT_EQ(empty.average(), 0);
}

TEST(EncodeAggregate, ReferenceText) {
  Aggregate aggregate;
  aggregate.window_start = utc(2024, 12, 26, 10, 0, 0);
  aggregate.count = 8;
  aggregate.sum = 71.9 * 8;  // exact: scaling by a power of two
  aggregate.min = 60.1;
  aggregate.max = 99.7;
  std::string out;
  encode_aggregate(out, aggregate, 1min);
  EXPECT_EQ(out,
            R"({"type":"aggregate","window_start":"2024-12-26T10:00:00Z","window_end":"2024-12-26T10:01:00Z","temperature_avg":71.9,"count":8,"temperature_min":60.1,"temperature_max":99.7})");
  out.clear();
  encode_device_aggregate(out, "device\"7", aggregate, 1min);
  EXPECT_EQ(out,
            R"({"type":"device_aggregate","device_id":"device\"7","window_start":"2024-12-26T10:00:00Z","window_end":"2024-12-26T10:01:00Z","temperature_avg":71.9,"count":8,"temperature_min":60.1,"temperature_max":99.7})");
}

TEST(EncodeAggregate, ParsesBack) {
  Aggregate aggregate;
  aggregate.window_start = utc(2024, 12, 31, 23, 59, 0);
  aggregate.add(-3.25);
  aggregate.add(17.125);
  aggregate.add(0.1);
  std::string out;
  encode_aggregate(out, aggregate, 1min);
  simdjson::dom::parser dom;
  simdjson::dom::element root;
  ASSERT_EQ(dom.parse(out).get(root), simdjson::SUCCESS) << out;
  std::string_view text;
  ASSERT_EQ(root["window_end"].get(text), simdjson::SUCCESS);
  EXPECT_EQ(text, "2025-01-01T00:00:00Z");
  int64_t count = 0;
  ASSERT_EQ(root["count"].get(count), simdjson::SUCCESS);
  EXPECT_EQ(count, 3);
  double value = 0;
  ASSERT_EQ(root["temperature_avg"].get(value), simdjson::SUCCESS);
  EXPECT_EQ(value, (-3.25 + 17.125 + 0.1) / 3);
  ASSERT_EQ(root["temperature_min"].get(value), simdjson::SUCCESS);
  EXPECT_EQ(value, -3.25);
  ASSERT_EQ(root["temperature_max"].get(value), simdjson::SUCCESS);
  EXPECT_EQ(value, 17.125);
}

// --- PartitionWindows ---------------------------------------------------------

TEST(PartitionWindows, WindowClosesWhenTheWatermarkReachesItsEnd) {
  PartitionWindows windows(config(5s));
  EXPECT_FALSE(windows.watermark());
  EXPECT_EQ(windows.add(reading("a", utc(2024, 12, 26, 10, 0, 10), 20), 0),
            PartitionWindows::AddOutcome::kAggregated);
  EXPECT_EQ(windows.watermark(), utc(2024, 12, 26, 10, 0, 5));
  EXPECT_TRUE(windows.close_ready().fleet_partials.empty());

  // 10:01:04.999 - 5 s = 10:00:59.999: the 10:00 window is not ready yet.
  windows.add(reading("b", utc(2024, 12, 26, 10, 1, 4, 999), 30), 1);
  EXPECT_TRUE(windows.close_ready().fleet_partials.empty());
  EXPECT_EQ(windows.open_windows(), 2U);

  // Within the allowed lateness: still aggregated into 10:00.
  EXPECT_EQ(windows.add(reading("c", utc(2024, 12, 26, 10, 0, 59, 999), 40), 2),
            PartitionWindows::AddOutcome::kAggregated);

  windows.add(reading("a", utc(2024, 12, 26, 10, 1, 5), 50), 3);  // watermark 10:01:00
  EXPECT_EQ(windows.watermark(), utc(2024, 12, 26, 10, 1, 0));
  ClosedWindows closed = windows.close_ready();
  ASSERT_EQ(closed.fleet_partials.size(), 1U);
  const Aggregate& fleet = closed.fleet_partials[0];
  EXPECT_EQ(fleet.window_start, utc(2024, 12, 26, 10, 0, 0));
  EXPECT_EQ(fleet.count, 2);
  EXPECT_EQ(fleet.sum, 60);
  EXPECT_EQ(fleet.min, 20);
  EXPECT_EQ(fleet.max, 40);
  ASSERT_EQ(closed.device_aggregates.size(), 2U);
  EXPECT_EQ(closed.device_aggregates[0].device_id, "a");
  EXPECT_EQ(closed.device_aggregates[0].aggregate.count, 1);
  EXPECT_EQ(closed.device_aggregates[0].aggregate.sum, 20);
  EXPECT_EQ(closed.device_aggregates[1].device_id, "c");
  EXPECT_EQ(closed.device_aggregates[1].aggregate.sum, 40);
  EXPECT_EQ(windows.open_windows(), 1U);

  // Closing twice emits nothing new.
  closed = windows.close_ready();
  EXPECT_TRUE(closed.fleet_partials.empty());
  EXPECT_TRUE(closed.device_aggregates.empty());
}

TEST(PartitionWindows, ReadingForAClosedWindowIsLateAndNotAggregated) {
  PartitionWindows windows(config(5s));
  windows.add(reading("a", utc(2024, 12, 26, 10, 0, 30), 20), 0);
  windows.add(reading("a", utc(2024, 12, 26, 10, 1, 10), 20), 1);
  ASSERT_EQ(windows.close_ready().fleet_partials.size(), 1U);
  EXPECT_EQ(windows.add(reading("a", utc(2024, 12, 26, 10, 0, 59, 999), 99), 2),
            PartitionWindows::AddOutcome::kLate);
  EXPECT_EQ(windows.add(reading("a", utc(2024, 12, 26, 9, 0, 0), 99), 3),
            PartitionWindows::AddOutcome::kLate);
  EXPECT_EQ(windows.add(reading("a", utc(2024, 12, 26, 10, 1, 0), 99), 4),
            PartitionWindows::AddOutcome::kAggregated);
  windows.add(reading("a", utc(2024, 12, 26, 10, 3, 0), 1), 5);
  ClosedWindows closed = windows.close_ready();
  ASSERT_EQ(closed.fleet_partials.size(), 1U);  // 10:01 only; 10:00 never again
  EXPECT_EQ(closed.fleet_partials[0].window_start, utc(2024, 12, 26, 10, 1, 0));
  EXPECT_EQ(closed.fleet_partials[0].count, 2);
  EXPECT_EQ(closed.fleet_partials[0].max, 99);
}

TEST(PartitionWindows, EmptyMinutesAreSkippedAndClosedInOrder) {
  PartitionWindows windows(config(0s));
  windows.add(reading("y", utc(2024, 12, 26, 10, 0, 1), 1), 10);
  windows.add(reading("z", utc(2024, 12, 26, 10, 2, 1), 3), 11);
  windows.add(reading("x", utc(2024, 12, 26, 10, 2, 2), 4), 12);
  windows.add(reading("x", utc(2024, 12, 26, 10, 9, 0), 5), 13);
  ClosedWindows closed = windows.close_ready();
  ASSERT_EQ(closed.fleet_partials.size(), 2U);
  EXPECT_EQ(closed.fleet_partials[0].window_start, utc(2024, 12, 26, 10, 0, 0));
  EXPECT_EQ(closed.fleet_partials[1].window_start, utc(2024, 12, 26, 10, 2, 0));
  ASSERT_EQ(closed.device_aggregates.size(), 3U);
  EXPECT_EQ(closed.device_aggregates[0].device_id, "y");
  EXPECT_EQ(closed.device_aggregates[1].device_id, "x");
  EXPECT_EQ(closed.device_aggregates[1].aggregate.window_start, utc(2024, 12, 26, 10, 2, 0));
  EXPECT_EQ(closed.device_aggregates[2].device_id, "z");
  // An empty minute between data is closed too: a reading for it is late.
  EXPECT_EQ(windows.add(reading("x", utc(2024, 12, 26, 10, 5, 0), 5), 14),
            PartitionWindows::AddOutcome::kLate);
}

TEST(PartitionWindows, WatermarkNeverGoesBack) {
  PartitionWindows windows(config(5s));
  windows.add(reading("a", utc(2024, 12, 26, 10, 5, 0), 1), 0);
  windows.add(reading("a", utc(2024, 12, 26, 10, 4, 58), 1), 1);
  EXPECT_EQ(windows.watermark(), utc(2024, 12, 26, 10, 4, 55));
}

TEST(PartitionWindows, CheckpointReplayFromIsTheOldestOffsetInAnOpenWindow) {
  PartitionWindows windows(config(5s));
  EXPECT_EQ(windows.checkpoint(0).replay_from, 0);
  EXPECT_FALSE(windows.checkpoint(0).has_watermark);
  EXPECT_EQ(windows.checkpoint(0).closed_before, EventTime::min());
  windows.add(reading("a", utc(2024, 12, 26, 10, 0, 1), 1), 100);
  windows.add(reading("a", utc(2024, 12, 26, 10, 1, 1), 1), 101);
  windows.add(reading("a", utc(2024, 12, 26, 10, 0, 2), 1), 102);
  EXPECT_EQ(windows.checkpoint(103).replay_from, 100);
  windows.add(reading("a", utc(2024, 12, 26, 10, 1, 6), 1), 103);
  (void)windows.close_ready();  // closes 10:00 (offsets 100, 102)
  PartitionCheckpoint checkpoint = windows.checkpoint(104);
  EXPECT_EQ(checkpoint.replay_from, 101);
  EXPECT_EQ(checkpoint.closed_before, utc(2024, 12, 26, 10, 1, 0));
  EXPECT_TRUE(checkpoint.has_watermark);
  EXPECT_EQ(checkpoint.watermark, utc(2024, 12, 26, 10, 1, 1));
  windows.add(reading("a", utc(2024, 12, 26, 10, 5, 0), 1), 104);
  (void)windows.close_ready();  // closes 10:01, opens 10:05
  EXPECT_EQ(windows.checkpoint(105).replay_from, 104);
  windows.add(reading("a", utc(2024, 12, 26, 10, 9, 0), 1), 105);
  (void)windows.close_ready();
  windows.add(reading("a", utc(2024, 12, 26, 10, 20, 0), 1), 106);
  (void)windows.close_ready();
  EXPECT_EQ(windows.checkpoint(107).replay_from, 106);
}

TEST(PartitionWindows, RestoredInstanceIgnoresReplayedRecordsOfClosedWindows) {
  PartitionWindows first(config(5s));
  first.add(reading("a", utc(2024, 12, 26, 10, 0, 1), 1), 0);
  first.add(reading("a", utc(2024, 12, 26, 10, 1, 1), 2), 1);
  first.add(reading("a", utc(2024, 12, 26, 10, 1, 7), 3), 2);
  ASSERT_EQ(first.close_ready().fleet_partials.size(), 1U);
  auto decoded = decode_checkpoint(encode_checkpoint(first.checkpoint(3)));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->replay_from, 1);

  PartitionWindows second(config(5s), *decoded);
  EXPECT_EQ(second.watermark(), first.watermark());
  // Replaying offset 0 by mistake (replay_from is 1) still cannot reopen 10:00.
  EXPECT_EQ(second.add(reading("a", utc(2024, 12, 26, 10, 0, 1), 1), 0),
            PartitionWindows::AddOutcome::kLate);
  second.add(reading("a", utc(2024, 12, 26, 10, 1, 1), 2), 1);
  second.add(reading("a", utc(2024, 12, 26, 10, 1, 7), 3), 2);
  EXPECT_TRUE(second.close_ready().fleet_partials.empty());
  second.add(reading("a", utc(2024, 12, 26, 10, 2, 5), 4), 3);
  ClosedWindows closed = second.close_ready();
  ASSERT_EQ(closed.fleet_partials.size(), 1U);
  EXPECT_EQ(closed.fleet_partials[0].window_start, utc(2024, 12, 26, 10, 1, 0));
  EXPECT_EQ(closed.fleet_partials[0].count, 2);
  EXPECT_EQ(closed.fleet_partials[0].sum, 5);
}

TEST(PartitionWindows, CheckpointInTheMiddleOfAReplayKeepsTheRestoredReplayFrom) {
  // Records 0–1 are in 10:00 (closed), 2–3 in 10:01 (open at the commit).
  PartitionWindows first(config(5s));
  first.add(reading("a", utc(2024, 12, 26, 10, 0, 1), 1), 0);
  first.add(reading("a", utc(2024, 12, 26, 10, 1, 6), 2), 1);
  ASSERT_EQ(first.close_ready().fleet_partials.size(), 1U);
  first.add(reading("a", utc(2024, 12, 26, 10, 1, 7), 3), 2);
  first.add(reading("a", utc(2024, 12, 26, 10, 1, 8), 4), 3);
  (void)first.close_ready();
  PartitionCheckpoint committed = first.checkpoint(4);
  ASSERT_EQ(committed.replay_from, 1);

  PartitionWindows restored(config(5s), committed);
  // Nothing replayed yet, or only part of it: a commit now must not skip
  // offsets 1–3, although no open window holds them yet.
  EXPECT_EQ(restored.checkpoint(4).replay_from, 1);
  restored.add(reading("a", utc(2024, 12, 26, 10, 1, 6), 2), 1);
  EXPECT_EQ(restored.checkpoint(4).replay_from, 1);
  restored.add(reading("a", utc(2024, 12, 26, 10, 1, 7), 3), 2);
  restored.add(reading("a", utc(2024, 12, 26, 10, 1, 8), 4), 3);
  // Replay complete, windows closed once: the state speaks for itself again.
  EXPECT_TRUE(restored.close_ready().fleet_partials.empty());
  EXPECT_EQ(restored.checkpoint(4).replay_from, 1);
  restored.add(reading("a", utc(2024, 12, 26, 10, 3, 0), 5), 4);
  (void)restored.close_ready();
  EXPECT_EQ(restored.checkpoint(5).replay_from, 4);
}

// --- Property: checkpoint + replay equals one uninterrupted run ----------------

struct Record {
  std::string device;
  EventTime time;
  double temperature;
};

std::vector<Record> random_stream(std::mt19937_64& random, size_t count) {
  std::vector<Record> records;
  std::uniform_int_distribution<int> device(0, 9);
  std::uniform_int_distribution<int64_t> step(0, 2'000);      // mostly forward
  std::uniform_int_distribution<int64_t> jitter(-20'000, 1'000);  // some beyond lateness
  std::uniform_int_distribution<int> quarter(-160, 400);
  std::bernoulli_distribution jump(0.01);
  int64_t clock = utc(2024, 12, 26, 10, 0, 0).time_since_epoch().count();
  for (size_t i = 0; i < count; ++i) {
    clock += step(random);
    if (jump(random)) clock += 300'000;  // a quiet gap of several minutes
    records.push_back({"device" + std::to_string(device(random)), at(clock + jitter(random)),
                       quarter(random) / 4.0});
  }
  return records;
}

// A closed window as emitted: fleet partial plus its device aggregates.
using Emitted = std::map<std::tuple<int64_t, std::string>, std::tuple<int64_t, double, double, double>>;

void collect(const ClosedWindows& closed, Emitted& emitted, bool& duplicate) {
  auto put = [&](int64_t start, const std::string& key, const Aggregate& a) {
    auto [it, inserted] = emitted.try_emplace({start, key}, a.count, a.sum, a.min, a.max);
    if (!inserted) duplicate = true;
  };
  for (const Aggregate& fleet : closed.fleet_partials) {
    put(fleet.window_start.time_since_epoch().count(), "*fleet*", fleet);
  }
  for (const auto& device : closed.device_aggregates) {
    put(device.aggregate.window_start.time_since_epoch().count(), device.device_id, device.aggregate);
  }
}

TEST(PartitionWindows, PropertyCheckpointAndReplayMatchAnUninterruptedRun) {
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 random(seed);
    const std::vector<Record> records = random_stream(random, 600);
    // Batch boundaries: the caller closes windows after each batch.
    std::vector<size_t> batch_ends;
    std::uniform_int_distribution<size_t> batch_size(1, 40);
    for (size_t end = 0; end < records.size();) {
      end = std::min(records.size(), end + batch_size(random));
      batch_ends.push_back(end);
    }
    auto add = [&](PartitionWindows& windows, size_t i) {
      const Record& r = records[i];
      return windows.add(reading(r.device, r.time, r.temperature), static_cast<int64_t>(i));
    };

    // One uninterrupted run.
    Emitted expected;
    bool duplicate = false;
    int64_t expected_late = 0;
    {
      PartitionWindows windows(config(5s));
      size_t next = 0;
      for (size_t end : batch_ends) {
        for (; next < end; ++next) {
          if (add(windows, next) == PartitionWindows::AddOutcome::kLate) ++expected_late;
        }
        collect(windows.close_ready(), expected, duplicate);
      }
    }
    ASSERT_FALSE(duplicate);
    ASSERT_FALSE(expected.empty());

    // The same stream, restarted from a checkpoint at a random batch boundary
    // (the checkpoint commits with the batch), possibly several times.
    Emitted actual;
    int64_t late = 0;
    std::uniform_int_distribution<size_t> pick(0, batch_ends.size() - 1);
    std::vector<size_t> restarts = {pick(random), pick(random), pick(random)};
    std::sort(restarts.begin(), restarts.end());
    auto windows = std::make_unique<PartitionWindows>(config(5s));
    size_t next = 0;
    for (size_t b = 0; b < batch_ends.size(); ++b) {
      for (; next < batch_ends[b]; ++next) {
        if (add(*windows, next) == PartitionWindows::AddOutcome::kLate) ++late;
      }
      collect(windows->close_ready(), actual, duplicate);
      if (std::find(restarts.begin(), restarts.end(), b) == restarts.end()) continue;
      // Crash after the commit: the new instance gets only the checkpoint text.
      auto checkpoint = decode_checkpoint(encode_checkpoint(windows->checkpoint(static_cast<int64_t>(next))));
      ASSERT_TRUE(checkpoint);
      windows = std::make_unique<PartitionWindows>(config(5s), *checkpoint);
      // Replay [replay_from, next): outputs and metrics are suppressed by the
      // caller, so nothing from this phase is collected — and nothing may
      // close. Sometimes the replay itself is interrupted by a commit (of the
      // committed position, as the loop does) and a crash.
      std::bernoulli_distribution crash_mid_replay(0.05);
      for (auto i = static_cast<size_t>(checkpoint->replay_from); i < next;) {
        if (crash_mid_replay(random)) {  // possibly before the first replayed record
          checkpoint = decode_checkpoint(encode_checkpoint(windows->checkpoint(static_cast<int64_t>(next))));
          ASSERT_TRUE(checkpoint);
          windows = std::make_unique<PartitionWindows>(config(5s), *checkpoint);
          i = static_cast<size_t>(checkpoint->replay_from);
          continue;
        }
        (void)add(*windows, i++);  // late here = a record of a closed window: ignored
      }
      ClosedWindows during_replay = windows->close_ready();
      EXPECT_TRUE(during_replay.fleet_partials.empty());
      EXPECT_TRUE(during_replay.device_aggregates.empty());
    }
    EXPECT_FALSE(duplicate) << "a window was emitted twice";
    EXPECT_EQ(actual, expected);
    EXPECT_EQ(late, expected_late);  // records after each checkpoint are counted once
  }
}

TEST(PartitionWindows, ReadingBehindTheWatermarkIsLateEvenBeforeItsWindowIsClosed) {
  PartitionWindows windows(config(5s));
  windows.add(reading("a", utc(2024, 12, 26, 10, 0, 30), 1), 0);
  windows.add(reading("a", utc(2024, 12, 26, 10, 1, 10), 2), 1);  // watermark 10:01:05
  // 10:00 is ready but not closed yet: a reading for it is late all the same.
  EXPECT_EQ(windows.add(reading("a", utc(2024, 12, 26, 10, 0, 59), 3), 2),
            PartitionWindows::AddOutcome::kLate);
  ClosedWindows closed = windows.close_ready();
  ASSERT_EQ(closed.fleet_partials.size(), 1U);
  EXPECT_EQ(closed.fleet_partials[0].count, 1);
}

TEST(PartitionWindows, PropertyOutcomesDoNotDependOnWhenWindowsAreClosed) {
  // Same stream, windows closed after every record in one instance and only
  // at the end in the other: same late records, same windows.
  for (uint64_t seed = 200; seed < 230; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 random(seed);
    const std::vector<Record> records = random_stream(random, 400);
    PartitionWindows eager(config(5s)), lazy(config(5s));
    Emitted eager_out, lazy_out;
    bool duplicate = false;
    for (size_t i = 0; i < records.size(); ++i) {
      const Record& r = records[i];
      auto a = eager.add(reading(r.device, r.time, r.temperature), static_cast<int64_t>(i));
      auto b = lazy.add(reading(r.device, r.time, r.temperature), static_cast<int64_t>(i));
      EXPECT_EQ(a, b) << "record " << i;
      collect(eager.close_ready(), eager_out, duplicate);
    }
    collect(eager.close_ready(), eager_out, duplicate);
    collect(lazy.close_ready(), lazy_out, duplicate);
    EXPECT_FALSE(duplicate);
    EXPECT_EQ(eager_out, lazy_out);
  }
}

TEST(PartitionWindows, CheckpointAfterCloseReadyHasNothingReadyLeftOpen) {
  // The replay argument needs it: after close_ready, every open window ends
  // after the watermark, so restoring the watermark late-marks no record of
  // an open window.
  std::mt19937_64 random(5);
  const std::vector<Record> records = random_stream(random, 500);
  PartitionWindows windows(config(5s));
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    windows.add(reading(r.device, r.time, r.temperature), static_cast<int64_t>(i));
    (void)windows.close_ready();
    PartitionCheckpoint checkpoint = windows.checkpoint(static_cast<int64_t>(i + 1));
    ASSERT_TRUE(checkpoint.has_watermark);
    EXPECT_EQ(checkpoint.closed_before, window_start_of(checkpoint.watermark, 1min));
  }
}

}  // namespace
}  // namespace edgestream::processor
