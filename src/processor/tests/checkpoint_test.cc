// Text formats carried through Kafka: partition and merger checkpoints (offset
// commit metadata) and partial batches (the internal topic).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "edgestream/contract/processed_record.h"
#include "edgestream/processor/windows.h"

namespace edgestream::processor {
namespace {

using namespace std::chrono;
using contract::decode_partial_batch;
using contract::encode_partial_batch;
using contract::encode_aggregate_correction;

EventTime at(int64_t ms) { return EventTime{Millis{ms}}; }

TEST(PartitionCheckpointText, DocumentedFormat) {
  PartitionCheckpoint checkpoint;
  checkpoint.replay_from = 123;
  checkpoint.closed_before = at(1735207200000);
  checkpoint.watermark = at(1735207265000);
  checkpoint.has_watermark = true;
  EXPECT_EQ(encode_checkpoint(checkpoint),
            "v1 replay_from=123 closed_before=1735207200000 watermark=1735207265000");
  PartitionCheckpoint fresh;
  EXPECT_EQ(encode_checkpoint(fresh), "v1 replay_from=0 closed_before=none watermark=none");
}

TEST(PartitionCheckpointText, RoundTrip) {
  std::mt19937_64 random(3);
  std::uniform_int_distribution<int64_t> offsets(0, std::numeric_limits<int64_t>::max());
  std::uniform_int_distribution<int64_t> times(-62167219200000, 253402300799999);
  for (int i = 0; i < 1000; ++i) {
    PartitionCheckpoint in;
    in.replay_from = offsets(random);
    in.closed_before = i % 7 == 0 ? EventTime::min() : at(times(random));
    in.has_watermark = i % 5 != 0;
    in.watermark = in.has_watermark ? at(times(random)) : EventTime{};
    auto out = decode_checkpoint(encode_checkpoint(in));
    ASSERT_TRUE(out) << encode_checkpoint(in);
    EXPECT_EQ(out->replay_from, in.replay_from);
    EXPECT_EQ(out->closed_before, in.closed_before);
    EXPECT_EQ(out->has_watermark, in.has_watermark);
    if (in.has_watermark) {
      EXPECT_EQ(out->watermark, in.watermark);
    }
  }
}

TEST(PartitionCheckpointText, RejectsAnythingElse) {
  for (const char* text : {
           "",
           "v1",
           "v2 replay_from=1 closed_before=2 watermark=3",
           "v1 replay_from=1 closed_before=2",
           "v1 replay_from=1 closed_before=2 watermark=3 extra=4",
           "v1 replay_from=1 closed_before=2 watermark=3 ",
           " v1 replay_from=1 closed_before=2 watermark=3",
           "v1  replay_from=1 closed_before=2 watermark=3",
           "v1 replay_from=-1 closed_before=2 watermark=3",
           "v1 replay_from=x closed_before=2 watermark=3",
           "v1 replay_from= closed_before=2 watermark=3",
           "v1 replay_from=1 closed_before=2x watermark=3",
           "v1 replay_from=1 closed_before=+2 watermark=3",
           "v1 replay_from=1 closed_before=2 watermark=nan",
           "v1 replay_from=1 closed_before=2 watermark=None",
           "v1 replay_from=99999999999999999999 closed_before=2 watermark=3",
           "v1 replay_from=1 closed_before=9223372036854775807 watermark=3",   // beyond year 9999
           "v1 replay_from=1 closed_before=2 watermark=-9223372036854775808",  // before year 0
           "v1 watermark=3 closed_before=2 replay_from=1",
           "v1 replay_from=1 finalized_before=2",  // a merger checkpoint
           "{\"replay_from\":1}",
       }) {
    EXPECT_FALSE(decode_checkpoint(text)) << text;
  }
}

TEST(MergerCheckpointText, FormatAndRoundTrip) {
  MergerCheckpoint checkpoint;
  EXPECT_EQ(encode_merger_checkpoint(checkpoint), "v1 replay_from=0 finalized_before=none");
  checkpoint.replay_from = 42;
  checkpoint.finalized_before = at(1735207260000);
  EXPECT_EQ(encode_merger_checkpoint(checkpoint), "v1 replay_from=42 finalized_before=1735207260000");
  auto decoded = decode_merger_checkpoint(encode_merger_checkpoint(checkpoint));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->replay_from, 42);
  EXPECT_EQ(decoded->finalized_before, at(1735207260000));
  auto none = decode_merger_checkpoint("v1 replay_from=7 finalized_before=none");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->finalized_before, EventTime::min());
  for (const char* text : {"", "v1 replay_from=7", "v1 replay_from=7 finalized_before=",
                           "v1 replay_from=7 finalized_before=1 x",
                           "v1 replay_from=1 closed_before=2 watermark=3"}) {
    EXPECT_FALSE(decode_merger_checkpoint(text)) << text;
  }
}

// --- partial batches ---------------------------------------------------------

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(PartialBatchText, DocumentedFormat) {
  Aggregate window;
  window.window_start = at(1735207200000);
  window.count = 3;
  window.sum = 150.5;
  window.min = 20;
  window.max = 80.25;
  PartialBatch batch{2, at(1735207265000), {window}};
  EXPECT_EQ(encode_partial_batch(batch),
            R"({"partition":2,"watermark":1735207265000,"windows":[{"start":1735207200000,"count":3,"sum":150.5,"min":20,"max":80.25}]})");
  EXPECT_EQ(encode_partial_batch(PartialBatch{0, at(0), {}}), R"({"partition":0,"watermark":0,"windows":[]})");
}

TEST(PartialBatchText, DoublesRoundTripExactly) {
  std::mt19937_64 random(11);
  std::uniform_int_distribution<uint64_t> bits;
  std::uniform_real_distribution<double> temperatures(-100, 100);
  for (int i = 0; i < 500; ++i) {
    PartialBatch in{i % 13, at(1735207265000 + i), {}};
    for (int w = 0; w < 4; ++w) {
      Aggregate a;
      a.window_start = at(1735207200000 + 60'000LL * w);
      a.count = 1 + w;
      double values[3];
      for (double& v : values) {
        if (w % 2 == 0) {
          v = temperatures(random);
        } else {
          do {
            uint64_t pattern = bits(random);
            std::memcpy(&v, &pattern, sizeof v);
          } while (!std::isfinite(v));
        }
      }
      a.sum = values[0];
      a.min = std::min(values[1], values[2]);
      a.max = std::max(values[1], values[2]);
      in.windows.push_back(a);
    }
    const std::string text = encode_partial_batch(in);
    auto out = decode_partial_batch(text);
    ASSERT_TRUE(out) << text;
    EXPECT_EQ(out->partition, in.partition);
    EXPECT_EQ(out->watermark, in.watermark);
    ASSERT_EQ(out->windows.size(), in.windows.size());
    for (size_t w = 0; w < in.windows.size(); ++w) {
      EXPECT_EQ(out->windows[w].window_start, in.windows[w].window_start);
      EXPECT_EQ(out->windows[w].count, in.windows[w].count);
      EXPECT_TRUE(same_bits(out->windows[w].sum, in.windows[w].sum)) << text;
      EXPECT_TRUE(same_bits(out->windows[w].min, in.windows[w].min)) << text;
      EXPECT_TRUE(same_bits(out->windows[w].max, in.windows[w].max)) << text;
    }
  }
}

TEST(PartialBatchText, OverflowedSumSurvives) {
  Aggregate a;
  a.window_start = at(0);
  a.add(-1e308);
  a.add(-1e308);
  ASSERT_TRUE(std::isinf(a.sum));
  auto out = decode_partial_batch(encode_partial_batch(PartialBatch{0, at(60'000), {a}}));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->windows[0].sum, -std::numeric_limits<double>::infinity());
  EXPECT_EQ(out->windows[0].min, -1e308);
}

TEST(PartialBatchText, AcceptsOtherFieldOrderAndUnknownFields) {
  auto out = decode_partial_batch(
      R"( {"windows":[{"max":2,"min":1,"sum":3,"count":2,"start":60000,"new":[1]}],"watermark":120000,"partition":5,"version":2} )");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->partition, 5);
  EXPECT_EQ(out->watermark, at(120000));
  ASSERT_EQ(out->windows.size(), 1U);
  EXPECT_EQ(out->windows[0].count, 2);
  EXPECT_EQ(out->windows[0].sum, 3);
}

TEST(PartialBatchText, RejectsMalformedBatches) {
  for (const char* text : {
           "",
           "null",
           "[]",
           R"({"partition":0,"watermark":0})",
           R"({"partition":0,"windows":[]})",
           R"({"watermark":0,"windows":[]})",
           R"({"partition":-1,"watermark":0,"windows":[]})",
           R"({"partition":2147483648,"watermark":0,"windows":[]})",
           R"({"partition":1.5,"watermark":0,"windows":[]})",
           R"({"partition":"1","watermark":0,"windows":[]})",
           R"({"partition":0,"watermark":1e3,"windows":[]})",
           R"({"partition":0,"watermark":9223372036854775807,"windows":[]})",
           R"({"partition":0,"watermark":0,"windows":{}})",
           R"({"partition":0,"partition":1,"watermark":0,"windows":[]})",
           R"({"partition":0,"watermark":0,"windows":[]} x)",
           R"({"partition":0,"watermark":0,"windows":[],})",
           R"({"partition":0,"watermark":0,"windows":[{"start":0,"count":1,"sum":1,"min":1}]})",
           R"({"partition":0,"watermark":0,"windows":[{"start":0,"count":0,"sum":0,"min":1,"max":1}]})",
           R"({"partition":0,"watermark":0,"windows":[{"start":0,"count":1,"sum":1,"min":2,"max":1}]})",
           R"({"partition":0,"watermark":0,"windows":[{"start":0,"count":1,"sum":null,"min":1,"max":1}]})",
           R"({"partition":0,"watermark":0,"windows":[{"start":0,"count":1,"sum":1,"min":1e999,"max":1e999}]})",
           R"({"partition":0,"watermark":0,"windows":[{"start":0,"count":1,"sum":01,"min":1,"max":1}]})",
           R"({"partition":0,"watermark":0,"windows":[{"start":0,"count":1,"sum":1,"min":1,"max":1,"max":1}]})",
           R"({"partition":0,"watermark":0,"windows":[1]})",
           R"({"partition":0,"watermark":0,"windows":[],"x":tru})",
           R"({"partition":0,"watermark":0,"windows":[],"offset":-1})",
           R"({"partition":0,"watermark":0,"windows":[],"offset":1.5})",
           R"({"partition":0,"watermark":0,"windows":[],"offset":1,"offset":2})",
       }) {
    EXPECT_FALSE(decode_partial_batch(text)) << text;
  }
}

TEST(PartialBatchText, CoveredOffsetIsCarriedAndOptional) {
  PartialBatch batch{1, at(120000), {}, 4711};
  EXPECT_EQ(encode_partial_batch(batch), R"({"partition":1,"watermark":120000,"windows":[],"offset":4711})");
  auto out = decode_partial_batch(encode_partial_batch(batch));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->covered_offset, 4711);
  // A batch from an older writer has no offset: unknown, not zero.
  out = decode_partial_batch(R"({"partition":1,"watermark":120000,"windows":[]})");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->covered_offset, -1);
  // A partition without a kept reading reports the smallest decodable time.
  out = decode_partial_batch(encode_partial_batch(PartialBatch{0, kNoWatermarkYet, {}, 3}));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->watermark, kNoWatermarkYet);
}

// --- checkpoints poisoned before event time was bounded -------------------------

// What an older version committed after one reading stamped
// 9999-12-31T23:00:00Z: watermark 5 s before it, every earlier minute closed.
constexpr int64_t kPoisonedWatermarkMs = 253402297195000;  // 9999-12-31T22:59:55Z
constexpr int64_t kPoisonedClosedBeforeMs = 253402297140000;  // 9999-12-31T22:59:00Z
const EventTime kNow = at(1735207230000);  // 2024-12-26T10:00:30Z

TEST(CheckpointRepair, PoisonedWatermarkIsBroughtBackToTheProcessingClock) {
  auto checkpoint = decode_checkpoint("v1 replay_from=40 closed_before=" + std::to_string(kPoisonedClosedBeforeMs) +
                                      " watermark=" + std::to_string(kPoisonedWatermarkMs));
  ASSERT_TRUE(checkpoint);
  ASSERT_TRUE(repair_checkpoint(*checkpoint, kNow, WindowConfig{}));
  EXPECT_EQ(checkpoint->replay_from, 40);                   // replay is unchanged
  EXPECT_EQ(checkpoint->watermark, at(1735207225000));     // 10:00:25 = now - lateness
  EXPECT_EQ(checkpoint->closed_before, at(1735207200000));  // 10:00 is open again
  EXPECT_TRUE(checkpoint->has_watermark);
  EXPECT_FALSE(repair_checkpoint(*checkpoint, kNow, WindowConfig{}));  // repaired once

  // The restored windows aggregate current readings again instead of calling
  // every one of them late.
  PartitionWindows windows(WindowConfig{}, *checkpoint);
  Reading reading;
  reading.device_id = "d";
  reading.status = "OK";
  reading.temperature = 20;
  reading.timestamp = at(1735207231000);
  EXPECT_EQ(windows.add(reading, 41), PartitionWindows::AddOutcome::kAggregated);
  reading.timestamp = at(1735207199000);  // 09:59:59: late, as it was before
  EXPECT_EQ(windows.add(reading, 42), PartitionWindows::AddOutcome::kLate);
}

TEST(CheckpointRepair, CheckpointsWithinTheBoundAreLeftAlone) {
  PartitionCheckpoint checkpoint;
  checkpoint.replay_from = 7;
  checkpoint.closed_before = at(1735207440000);
  checkpoint.has_watermark = true;
  // 10:04:55: a reading at now + 4:30 (inside the 5-minute skew) made it.
  checkpoint.watermark = at(1735207495000);
  const PartitionCheckpoint before = checkpoint;
  EXPECT_FALSE(repair_checkpoint(checkpoint, kNow, WindowConfig{}));
  EXPECT_EQ(checkpoint.watermark, before.watermark);
  EXPECT_EQ(checkpoint.closed_before, before.closed_before);
  PartitionCheckpoint fresh;
  EXPECT_FALSE(repair_checkpoint(fresh, kNow, WindowConfig{}));
}

TEST(CheckpointRepair, PoisonedMergerResumesWithTheNextMinuteOpen) {
  auto checkpoint = decode_merger_checkpoint("v1 replay_from=9 finalized_before=" +
                                             std::to_string(kPoisonedClosedBeforeMs));
  ASSERT_TRUE(checkpoint);
  ASSERT_TRUE(repair_merger_checkpoint(*checkpoint, kNow, WindowConfig{}));
  // 10:00 may have been published when the poison finalised everything: it
  // stays final (late partials become corrections); 10:01 on is open.
  EXPECT_EQ(checkpoint->finalized_before, at(1735207260000));
  EXPECT_EQ(checkpoint->replay_from, 9);
  EXPECT_FALSE(repair_merger_checkpoint(*checkpoint, kNow, WindowConfig{}));
  MergerCheckpoint honest{3, at(1735207200000)};
  EXPECT_FALSE(repair_merger_checkpoint(honest, kNow, WindowConfig{}));
  MergerCheckpoint fresh;
  EXPECT_FALSE(repair_merger_checkpoint(fresh, kNow, WindowConfig{}));

  PartialMerger merger(WindowConfig{}, 1, *checkpoint);
  auto late = merger.add(PartialBatch{0, at(1735207330000), {[] {
                                        Aggregate a;
                                        a.window_start = at(1735207260000);  // 10:01
                                        a.add(20);
                                        return a;
                                      }()}},
                         10, SteadyTime{});
  EXPECT_TRUE(late.empty());
  EXPECT_EQ(merger.take_final(SteadyTime{}).size(), 1U);
}

TEST(EncodeAggregateCorrection, ReferenceText) {
  Aggregate late;
  late.window_start = at(1735207200000);
  late.add(20.5);
  late.add(30);
  std::string out;
  encode_aggregate_correction(out, late, minutes{1});
  EXPECT_EQ(out, R"({"type":"aggregate_correction","window_start":"2024-12-26T10:00:00Z",)"
                 R"("window_end":"2024-12-26T10:01:00Z","count":2,"temperature_sum":50.5,)"
                 R"("temperature_min":20.5,"temperature_max":30})");
}

}  // namespace
}  // namespace edgestream::processor
