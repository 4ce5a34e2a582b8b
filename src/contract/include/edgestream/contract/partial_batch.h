// Partial batches: the processor's internal topic `processor-partials`. Each
// record carries the partials of one input partition as one JSON message:
// {"partition":p,"watermark":ms,"windows":[{"start":ms,"count":n,"sum":s,"min":a,"max":b},…],"offset":o}
// (sum is carried, not the average, so merging is exact; doubles printed
// round-trip exactly.) "offset" is left out when unknown (and absent in
// batches of older writers, which decode with covered_offset -1).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgestream/common/kafka_types.h"
#include "edgestream/common/timestamp.h"
#include "edgestream/contract/aggregate.h"

namespace edgestream::contract {

// Times written as milliseconds since the epoch (partial batches, the
// processor's checkpoints) span the years 0000–9999, the span RFC 3339 can
// write. Decoders reject times outside it, so window arithmetic on decoded
// values cannot overflow.
inline constexpr std::int64_t kMinEpochMillis =
    std::chrono::duration_cast<Millis>(
        std::chrono::sys_days{std::chrono::year{0} / std::chrono::January / 1}.time_since_epoch())
        .count();
inline constexpr std::int64_t kMaxEpochMillis =
    std::chrono::duration_cast<Millis>(
        (std::chrono::sys_days{std::chrono::year{9999} / std::chrono::December / 31} + std::chrono::days{1})
            .time_since_epoch())
        .count() -
    1;
inline constexpr bool in_epoch_millis_range(std::int64_t ms) {
  return ms >= kMinEpochMillis && ms <= kMaxEpochMillis;
}

struct PartialBatch {
  Partition partition = 0;
  EventTime watermark;
  std::vector<Aggregate> windows;
  // Every input record of the partition below this offset is reflected in
  // the watermark and the partials sent so far: the merger compares it with
  // the partition's log-end offset to tell "idle" from "behind". -1: unknown.
  Offset covered_offset = kUnknownOffset;
};
// The watermark of a batch from a partition that has no kept reading yet (it
// still reports its covered offset): the smallest time a batch can carry, so
// that it holds every window, as "no watermark yet" does, in any merger.
inline constexpr EventTime kNoWatermarkYet{Millis{kMinEpochMillis}};

std::string encode_partial_batch(const PartialBatch& batch);
// nullopt for anything encode_partial_batch cannot have written: the caller
// dead-letters it as partial_batch_undecodable.
std::optional<PartialBatch> decode_partial_batch(std::string_view text);

}  // namespace edgestream::contract
