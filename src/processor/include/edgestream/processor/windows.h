// Event-time tumbling windows (one minute, aligned to UTC minutes) for one
// input partition, and the merge of per-partition partials into the one final
// fleet-wide aggregate per window. Pure logic; the Kafka loop (processor.cc)
// feeds it and decides what to produce and commit.
//
// Semantics (docs/processing-semantics.md explains them to operators):
// - A partition's watermark is the largest event time it has seen minus the
//   allowed lateness. A window [start, start + size) closes in a partition
//   when that partition's watermark reaches its end.
// - A kept reading that arrives when its partition's watermark has already
//   reached its window's end is late: it is counted, still published as a
//   reading, and not aggregated. (Whether close_ready() ran in between does
//   not matter, so outcomes do not depend on commit timing.)
// - The fleet-wide aggregate of a window is final when every active input
//   partition's watermark has reached the window's end. A partition is idle
//   (holds nothing) only when the broker says nothing unprocessed waits for
//   it (the input offset its latest batch covers has reached the partition's
//   log-end offset) and it has made no progress for `idle_timeout`. A
//   partition with input waiting that makes no progress for
//   `max_partition_wait` is stalled: windows are then finalised without it,
//   counted as forced, and its partials that come later are returned by add()
//   as late so the caller can publish them as corrections.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "edgestream/common/kafka_types.h"
#include "edgestream/common/timestamp.h"
#include "edgestream/contract/aggregate.h"
#include "edgestream/contract/partial_batch.h"
#include "edgestream/processor/reading.h"

namespace edgestream::processor {

struct WindowConfig {
  Millis size = std::chrono::minutes(1);
  Millis allowed_lateness = std::chrono::seconds(5);
  // Event time more than this ahead of the processing clock is a clock error
  // (check_event_time); also the bound a restored checkpoint is checked against.
  Millis max_future_skew = kDefaultMaxFutureSkew;
  // Wall time without progress after which a partition that has nothing
  // waiting in the broker stops holding windows (a quiet partition). With
  // steady traffic every partition progresses many times a second, so this
  // keeps a partition that happens to be caught up at one instant holding.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);
  // Wall time a partition with unprocessed input may hold fleet windows
  // without progress before they are finalised without it. Longer than a
  // consumer-group session timeout (45 s) plus a transaction timeout (30 s)
  // plus a replay, so that a crashed instance's partitions can move to a new
  // owner and catch up before anything is forced.
  std::chrono::milliseconds max_partition_wait = std::chrono::seconds(120);
};

// The window summary and the partial batch are the data contract's
// (edgestream/contract): the processor names them as it always has.
using contract::Aggregate;
using contract::kNoWatermarkYet;
using contract::PartialBatch;

// Start of the window holding `time` (floor to a multiple of size since the epoch).
EventTime window_start_of(EventTime time, Millis size);

// What is saved with a partition's committed offset (Kafka offset-commit
// metadata, committed atomically inside the transaction), so that a restarted
// or newly assigned instance rebuilds the open windows by replaying from
// `replay_from` without publishing anything twice.
struct PartitionCheckpoint {
  int64_t replay_from = 0;      // earliest offset of a record in an open window
  // Every window starting before this was emitted; EventTime::min() when none was.
  EventTime closed_before = EventTime::min();
  EventTime watermark;          // the partition's watermark at commit time
  bool has_watermark = false;   // false until the partition saw a kept reading
};
std::string encode_checkpoint(const PartitionCheckpoint& checkpoint);
// nullopt for empty or foreign metadata: the caller then starts fresh at the
// committed offset (nothing to replay).
std::optional<PartitionCheckpoint> decode_checkpoint(std::string_view text);

// Checkpoints written before event time was bounded can hold a watermark
// from a device clock far ahead (a reading stamped 9999-12-31 made every
// later reading late, for good). A checkpoint whose watermark is beyond what
// any reading accepted at `now` could make (now + max_future_skew -
// allowed_lateness) is repaired: the watermark becomes now - allowed_lateness
// and closed_before at most the window holding it. Records replayed after it
// are then judged again (the poisoning reading goes to the dead letters, the
// readings after it that were late are aggregated in their still-open
// windows). Returns whether it changed anything. Pure; `now` is injected.
bool repair_checkpoint(PartitionCheckpoint& checkpoint, EventTime now, const WindowConfig& config);

// Windows closed by a watermark advance, to be produced in the same transaction.
struct ClosedWindows {
  std::vector<Aggregate> fleet_partials;  // one per closed window with data, ascending start
  struct DeviceAggregate {
    std::string device_id;
    Aggregate aggregate;
  };
  std::vector<DeviceAggregate> device_aggregates;  // ascending (start, device_id)
};

// Window state of one input partition. Single-threaded.
class PartitionWindows {
 public:
  explicit PartitionWindows(WindowConfig config);
  // Restores from a checkpoint before replaying records from replay_from.
  // Until the first close_ready() (call it once the replay reached the
  // committed offset), checkpoint() never replays from later than the
  // restored replay_from, so a commit in the middle of the replay is safe.
  PartitionWindows(WindowConfig config, const PartitionCheckpoint& checkpoint);

  enum class AddOutcome { kAggregated, kLate };
  // Adds a kept reading at `offset`, advancing the watermark. Does not close windows.
  AddOutcome add(const Reading& reading, Offset offset);
  // Closes (and forgets) every window whose end <= watermark.
  ClosedWindows close_ready();

  std::optional<EventTime> watermark() const;
  size_t open_windows() const;
  // Checkpoint to commit with `next_offset` (the offset after the last record
  // consumed): replay_from is the smallest offset still needed. Call it after
  // close_ready() (and commit it with what close_ready returned): a window
  // ready but not closed would lose its replayed records to lateness.
  PartitionCheckpoint checkpoint(int64_t next_offset) const;

 private:
  // Heterogeneous lookup: find a device by string_view without building a string.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  struct OpenWindow {
    Aggregate fleet;
    std::unordered_map<std::string, Aggregate, StringHash, std::equal_to<>> devices;
    int64_t min_offset = std::numeric_limits<int64_t>::max();
  };
  OpenWindow& window_for(EventTime start);

  WindowConfig config_;
  std::map<EventTime, OpenWindow> open_;  // by window start
  std::optional<EventTime> watermark_;
  std::optional<EventTime> closed_before_;
  // Set when restored from a checkpoint, cleared by the first close_ready():
  // until then the replay may be incomplete, and a checkpoint taken meanwhile
  // must still replay from where the restored one said.
  std::optional<int64_t> restored_replay_from_;
  // Readings arrive mostly in the newest window: remember it (map nodes are stable).
  EventTime cached_start_;
  OpenWindow* cached_window_ = nullptr;
};

// Checkpoint committed with the offset of the `processor-partials` partition.
struct MergerCheckpoint {
  int64_t replay_from = 0;     // earliest offset of a batch holding an unfinalised window
  // Every window starting before this was published; EventTime::min() when none was.
  EventTime finalized_before = EventTime::min();
};
std::string encode_merger_checkpoint(const MergerCheckpoint& checkpoint);
std::optional<MergerCheckpoint> decode_merger_checkpoint(std::string_view text);
// Same for the merger: finalized_before beyond the window holding now +
// max_future_skew - allowed_lateness becomes the start of the window after
// the one holding now - allowed_lateness. (That minute may already have been
// published when the poisoned watermark finalised everything: it stays final,
// and its partials that arrive later become corrections, so no window is
// published twice.) Returns whether it changed anything.
bool repair_merger_checkpoint(MergerCheckpoint& checkpoint, EventTime now, const WindowConfig& config);

// Merges partial batches from all input partitions into final aggregates.
// Single-threaded; `now` is wall-clock time (steady), injected so tests
// control it. The caller feeds each input partition's log-end offset from the
// broker (set_log_end_offset) so idleness is decided by what is waiting, not
// by elapsed time.
class PartialMerger {
 public:
  PartialMerger(WindowConfig config, int32_t input_partitions);
  PartialMerger(WindowConfig config, int32_t input_partitions, const MergerCheckpoint& checkpoint);

  // Adds a batch read at `offset`. Returns the partials of windows already
  // final (late partials, also counted in late_partials()): each is one
  // partition's contribution that the published aggregate lacks, for the
  // caller to publish as a correction.
  std::vector<Aggregate> add(const PartialBatch& batch, Offset offset, SteadyTime now);
  // The input partition's log-end offset as the broker reported it (for a
  // read_committed reader), or -1 when the broker could not be asked. A
  // partition is idle when the offset its latest batch covers reaches it.
  void set_log_end_offset(Partition partition, Offset log_end_offset, SteadyTime now);
  // Final aggregates now complete, ascending by window start; each is returned once.
  std::vector<Aggregate> take_final(SteadyTime now);

  int64_t late_partials() const;
  // Windows finalised while a stalled partition (input waiting, no progress
  // for max_partition_wait) had not reached their end: published without
  // that partition's data, which comes later as late partials. Cumulative.
  int64_t forced_windows() const;
  size_t open_windows() const;
  MergerCheckpoint checkpoint(int64_t next_offset) const;

 private:
  struct PartitionState {
    std::optional<EventTime> watermark;
    Offset covered_offset = kUnknownOffset;  // from its latest batch
    Offset log_end_offset = kUnknownOffset;  // from the broker
    SteadyTime last_progress;  // when its watermark or covered offset last advanced (or the clock started)
  };
  struct PendingWindow {
    Aggregate aggregate;
    int64_t min_offset = std::numeric_limits<int64_t>::max();
  };
  void start_clock(SteadyTime now);

  WindowConfig config_;
  int32_t input_partitions_;
  // Partitions 0..input_partitions-1 once the clock starts, plus any other
  // partition a batch names (a map: a corrupt partition number costs one entry).
  std::map<int32_t, PartitionState> partitions_;
  bool clock_started_ = false;
  std::map<EventTime, PendingWindow> pending_;  // by window start
  std::optional<EventTime> finalized_before_;
  int64_t late_partials_ = 0;
  int64_t forced_windows_ = 0;
};

}  // namespace edgestream::processor
