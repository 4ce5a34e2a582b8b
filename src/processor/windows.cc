#include "edgestream/processor/windows.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <utility>

#include "edgestream/common/json_text.h"

namespace edgestream::processor {

namespace {

void append_int(std::string& out, int64_t value) { append_json_int(out, value); }

// Strict "<integer>" parse: optional '-', digits, nothing else.
bool parse_int(std::string_view text, int64_t& out) {
  if (text.empty()) return false;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

// Splits "key=value" tokens of a checkpoint text, in a fixed order.
class CheckpointReader {
 public:
  explicit CheckpointReader(std::string_view text) : rest_(text) {}

  bool expect(std::string_view literal) {
    if (rest_.substr(0, literal.size()) != literal) return false;
    rest_.remove_prefix(literal.size());
    return true;
  }
  // Reads " key=<value>" up to the next space or the end.
  bool field(std::string_view key, std::string_view& value) {
    if (!expect(" ") || !expect(key) || !expect("=")) return false;
    size_t end = rest_.find(' ');
    if (end == std::string_view::npos) end = rest_.size();
    value = rest_.substr(0, end);
    rest_.remove_prefix(end);
    return !value.empty();
  }
  bool at_end() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

bool parse_offset(std::string_view text, int64_t& out) { return parse_int(text, out) && out >= 0; }

// "none" or milliseconds since the epoch within the RFC 3339 range.
bool parse_optional_time(std::string_view text, std::optional<EventTime>& out) {
  if (text == "none") {
    out.reset();
    return true;
  }
  int64_t ms = 0;
  if (!parse_int(text, ms) || !contract::in_epoch_millis_range(ms)) return false;
  out = EventTime{Millis{ms}};
  return true;
}

void append_optional_time(std::string& out, std::optional<EventTime> time) {
  if (time) {
    append_int(out, time->time_since_epoch().count());
  } else {
    out += "none";
  }
}

// "Nothing closed yet" is EventTime::min() in the public checkpoint structs.
std::optional<EventTime> from_sentinel(EventTime time) {
  if (time == EventTime::min()) return std::nullopt;
  return time;
}
EventTime to_sentinel(std::optional<EventTime> time) { return time.value_or(EventTime::min()); }

}  // namespace

EventTime window_start_of(EventTime time, Millis size) {
  assert(size.count() > 0 && "window size must be positive; config validation guarantees it");
  const int64_t ms = time.time_since_epoch().count();
  const int64_t width = size.count();
  int64_t quotient = ms / width;
  // Integer division truncates towards zero; windows floor, also before 1970.
  if (ms % width < 0) --quotient;
  return EventTime{Millis{quotient * width}};
}

// --- Checkpoints ---------------------------------------------------------------

std::string encode_checkpoint(const PartitionCheckpoint& checkpoint) {
  std::string out = "v1 replay_from=";
  append_int(out, checkpoint.replay_from);
  out += " closed_before=";
  append_optional_time(out, from_sentinel(checkpoint.closed_before));
  out += " watermark=";
  append_optional_time(out, checkpoint.has_watermark
                                ? std::optional<EventTime>(checkpoint.watermark)
                                : std::nullopt);
  return out;
}

std::optional<PartitionCheckpoint> decode_checkpoint(std::string_view text) {
  CheckpointReader reader(text);
  std::string_view replay_from, closed_before, watermark;
  if (!reader.expect("v1") || !reader.field("replay_from", replay_from) ||
      !reader.field("closed_before", closed_before) || !reader.field("watermark", watermark) ||
      !reader.at_end()) {
    return std::nullopt;
  }
  PartitionCheckpoint checkpoint;
  std::optional<EventTime> closed, mark;
  if (!parse_offset(replay_from, checkpoint.replay_from) ||
      !parse_optional_time(closed_before, closed) || !parse_optional_time(watermark, mark)) {
    return std::nullopt;
  }
  checkpoint.closed_before = to_sentinel(closed);
  checkpoint.has_watermark = mark.has_value();
  checkpoint.watermark = mark.value_or(EventTime{});
  return checkpoint;
}

std::string encode_merger_checkpoint(const MergerCheckpoint& checkpoint) {
  std::string out = "v1 replay_from=";
  append_int(out, checkpoint.replay_from);
  out += " finalized_before=";
  append_optional_time(out, from_sentinel(checkpoint.finalized_before));
  return out;
}

std::optional<MergerCheckpoint> decode_merger_checkpoint(std::string_view text) {
  CheckpointReader reader(text);
  std::string_view replay_from, finalized_before;
  if (!reader.expect("v1") || !reader.field("replay_from", replay_from) ||
      !reader.field("finalized_before", finalized_before) || !reader.at_end()) {
    return std::nullopt;
  }
  MergerCheckpoint checkpoint;
  std::optional<EventTime> finalized;
  if (!parse_offset(replay_from, checkpoint.replay_from) ||
      !parse_optional_time(finalized_before, finalized)) {
    return std::nullopt;
  }
  checkpoint.finalized_before = to_sentinel(finalized);
  return checkpoint;
}

bool repair_checkpoint(PartitionCheckpoint& checkpoint, EventTime now, const WindowConfig& config) {
  if (!checkpoint.has_watermark) return false;
  // Compared as differences: the checkpointed watermark may be near the end
  // of the representable range, and now + skew must not be computed there.
  const Millis ahead = config.max_future_skew - config.allowed_lateness;
  if (checkpoint.watermark <= now || checkpoint.watermark - now <= ahead) return false;
  checkpoint.watermark = now - config.allowed_lateness;
  const EventTime holding = window_start_of(checkpoint.watermark, config.size);
  if (checkpoint.closed_before > holding) checkpoint.closed_before = holding;
  return true;
}

bool repair_merger_checkpoint(MergerCheckpoint& checkpoint, EventTime now, const WindowConfig& config) {
  if (checkpoint.finalized_before == EventTime::min()) return false;
  const Millis ahead = config.max_future_skew - config.allowed_lateness;
  // The furthest any honest watermark can be: the window holding it may be final.
  if (checkpoint.finalized_before <= now || checkpoint.finalized_before - now <= ahead) return false;
  checkpoint.finalized_before =
      window_start_of(now - config.allowed_lateness, config.size) + config.size;
  return true;
}

// --- PartitionWindows ------------------------------------------------------------

PartitionWindows::PartitionWindows(WindowConfig config) : config_(config) {}

PartitionWindows::PartitionWindows(WindowConfig config, const PartitionCheckpoint& checkpoint)
    : config_(config),
      closed_before_(from_sentinel(checkpoint.closed_before)),
      restored_replay_from_(checkpoint.replay_from) {
  if (checkpoint.has_watermark) watermark_ = checkpoint.watermark;
}

PartitionWindows::OpenWindow& PartitionWindows::window_for(EventTime start) {
  if (cached_window_ != nullptr && cached_start_ == start) return *cached_window_;
  auto [it, inserted] = open_.try_emplace(start);
  if (inserted) it->second.fleet.window_start = start;
  cached_start_ = start;
  cached_window_ = &it->second;
  return it->second;
}

PartitionWindows::AddOutcome PartitionWindows::add(const Reading& reading, Offset offset) {
  const EventTime start = window_start_of(reading.timestamp, config_.size);
  // Late means: the partition's watermark had already passed the window's
  // end when the reading arrived. That depends only on the records before it
  // in the partition, never on when the caller happens to close windows, so
  // the outcome is the same whatever the commit timing. A replay from a
  // checkpoint agrees too: the restored watermark is the one at the commit,
  // and every window still open then ends after it. (closed_before_ is
  // implied: a closed window's end is at or before the watermark.)
  if (watermark_ && start + config_.size <= *watermark_) return AddOutcome::kLate;

  OpenWindow& window = window_for(start);
  window.fleet.add(reading.temperature);
  window.min_offset = std::min(window.min_offset, offset);
  auto device = window.devices.find(reading.device_id);
  if (device == window.devices.end()) {
    device = window.devices.emplace(std::string(reading.device_id), Aggregate{}).first;
    device->second.window_start = start;
  }
  device->second.add(reading.temperature);

  const EventTime candidate = reading.timestamp - config_.allowed_lateness;
  if (!watermark_ || candidate > *watermark_) watermark_ = candidate;
  return AddOutcome::kAggregated;
}

ClosedWindows PartitionWindows::close_ready() {
  restored_replay_from_.reset();  // the replay is complete: open_ is whole again
  ClosedWindows closed;
  if (!watermark_) return closed;
  // Window [s, s + size) is ready iff s + size <= watermark, i.e. iff s starts
  // before the window holding the watermark.
  const EventTime ready_before = window_start_of(*watermark_, config_.size);
  if (!closed_before_ || ready_before > *closed_before_) closed_before_ = ready_before;

  auto end = open_.lower_bound(*closed_before_);
  for (auto it = open_.begin(); it != end; ++it) {
    OpenWindow& window = it->second;
    closed.fleet_partials.push_back(window.fleet);
    const size_t first = closed.device_aggregates.size();
    for (auto& [device_id, aggregate] : window.devices) {
      closed.device_aggregates.push_back({device_id, aggregate});
    }
    std::sort(closed.device_aggregates.begin() + static_cast<std::ptrdiff_t>(first),
              closed.device_aggregates.end(),
              [](const auto& a, const auto& b) { return a.device_id < b.device_id; });
  }
  if (end != open_.begin()) {
    open_.erase(open_.begin(), end);
    cached_window_ = nullptr;
  }
  return closed;
}

std::optional<EventTime> PartitionWindows::watermark() const { return watermark_; }

size_t PartitionWindows::open_windows() const { return open_.size(); }

PartitionCheckpoint PartitionWindows::checkpoint(int64_t next_offset) const {
  // A window ready but not yet closed would have its replayed records marked
  // late by the restored watermark: checkpoints are taken after close_ready().
  assert((open_.empty() || !watermark_ || open_.begin()->first + config_.size > *watermark_) &&
         "checkpoint() with windows ready to close: call close_ready() first");
  PartitionCheckpoint checkpoint;
  checkpoint.replay_from = std::min(next_offset, restored_replay_from_.value_or(next_offset));
  for (const auto& [start, window] : open_) {
    checkpoint.replay_from = std::min(checkpoint.replay_from, window.min_offset);
  }
  checkpoint.closed_before = to_sentinel(closed_before_);
  checkpoint.has_watermark = watermark_.has_value();
  checkpoint.watermark = watermark_.value_or(EventTime{});
  return checkpoint;
}

// --- Partial batches -------------------------------------------------------------

// --- PartialMerger ---------------------------------------------------------------

PartialMerger::PartialMerger(WindowConfig config, int32_t input_partitions)
    : config_(config), input_partitions_(std::max(input_partitions, 0)) {}

PartialMerger::PartialMerger(WindowConfig config, int32_t input_partitions,
                             const MergerCheckpoint& checkpoint)
    : config_(config),
      input_partitions_(std::max(input_partitions, 0)),
      finalized_before_(from_sentinel(checkpoint.finalized_before)) {}

void PartialMerger::start_clock(SteadyTime now) {
  if (clock_started_) return;
  clock_started_ = true;
  for (int32_t partition = 0; partition < input_partitions_; ++partition) {
    partitions_.emplace(partition, PartitionState{std::nullopt, -1, -1, now});
  }
}

std::vector<Aggregate> PartialMerger::add(const PartialBatch& batch, Offset offset, SteadyTime now) {
  start_clock(now);
  std::vector<Aggregate> late;
  if (batch.partition < 0) return late;  // decode_partial_batch never yields one
  // A partition beyond input_partitions (the input topic grew since start-up)
  // is tracked from its first batch on.
  PartitionState& partition =
      partitions_.try_emplace(batch.partition, PartitionState{std::nullopt, -1, -1, now}).first->second;
  if (!partition.watermark || batch.watermark > *partition.watermark) {
    partition.watermark = batch.watermark;
    partition.last_progress = now;
  }
  if (batch.covered_offset > partition.covered_offset) {
    partition.covered_offset = batch.covered_offset;
    partition.last_progress = now;
  }
  for (const Aggregate& window : batch.windows) {
    if (window.count <= 0) continue;  // nothing to merge; close_ready never sends one
    if (finalized_before_ && window.window_start < *finalized_before_) {
      ++late_partials_;
      late.push_back(window);
      continue;
    }
    auto [it, inserted] = pending_.try_emplace(window.window_start);
    PendingWindow& pending = it->second;
    if (inserted) pending.aggregate.window_start = window.window_start;
    pending.aggregate.merge(window);
    pending.min_offset = std::min(pending.min_offset, offset);
  }
  return late;
}

void PartialMerger::set_log_end_offset(Partition partition, Offset log_end_offset, SteadyTime now) {
  start_clock(now);
  if (partition < 0) return;
  partitions_.try_emplace(partition, PartitionState{std::nullopt, -1, -1, now})
      .first->second.log_end_offset = log_end_offset;
}

std::vector<Aggregate> PartialMerger::take_final(SteadyTime now) {
  start_clock(now);
  std::vector<Aggregate> final_windows;
  std::optional<EventTime> min_active, max_known;
  bool any_active = false;
  bool active_without_watermark = false;
  // The lowest point a stalled partition had reached (min() when it never
  // reported): windows ending after it are forced if finalised now.
  std::optional<EventTime> stalled_at;
  for (const auto& [id, partition] : partitions_) {
    if (partition.watermark && (!max_known || *partition.watermark > *max_known)) {
      max_known = partition.watermark;
    }
    // Nothing waiting: the broker's log end is covered (an empty partition
    // has log end 0, whatever was reported). Idle needs that and quiet.
    const bool nothing_waiting = partition.log_end_offset >= 0 &&
                                 std::max<int64_t>(partition.covered_offset, 0) >= partition.log_end_offset;
    const auto without_progress = now - partition.last_progress;
    if (nothing_waiting && without_progress >= config_.idle_timeout) continue;  // idle
    if (!nothing_waiting && without_progress >= config_.max_partition_wait) {
      const EventTime reached = partition.watermark.value_or(EventTime::min());
      if (!stalled_at || reached < *stalled_at) stalled_at = reached;
      continue;
    }
    any_active = true;
    if (!partition.watermark) {
      active_without_watermark = true;
    } else if (!min_active || *partition.watermark < *min_active) {
      min_active = partition.watermark;
    }
  }
  std::optional<EventTime> global;
  if (any_active) {
    // An active partition that has not reported yet may still hold data for
    // any window: wait for it (until it is idle or stalled).
    if (!active_without_watermark) global = min_active;
  } else {
    // Nobody with progress to make is going to move the watermark: close
    // what the most advanced partition has passed rather than hold forever.
    global = max_known;
  }
  if (!global) return final_windows;

  const EventTime ready_before = window_start_of(*global, config_.size);
  if (!finalized_before_ || ready_before > *finalized_before_) finalized_before_ = ready_before;
  auto end = pending_.lower_bound(*finalized_before_);
  for (auto it = pending_.begin(); it != end; ++it) {
    const Aggregate& aggregate = it->second.aggregate;
    // Forced when a stalled partition had not passed the window's end (a
    // window ending after the stalled watermark may lack its data).
    if (stalled_at && aggregate.window_start + config_.size > *stalled_at) {
      ++forced_windows_;
    }
    final_windows.push_back(aggregate);
  }
  pending_.erase(pending_.begin(), end);
  return final_windows;
}

int64_t PartialMerger::forced_windows() const { return forced_windows_; }

int64_t PartialMerger::late_partials() const { return late_partials_; }

size_t PartialMerger::open_windows() const { return pending_.size(); }

MergerCheckpoint PartialMerger::checkpoint(int64_t next_offset) const {
  MergerCheckpoint checkpoint;
  checkpoint.replay_from = next_offset;
  for (const auto& [start, pending] : pending_) {
    checkpoint.replay_from = std::min(checkpoint.replay_from, pending.min_offset);
  }
  checkpoint.finalized_before = to_sentinel(finalized_before_);
  return checkpoint;
}

}  // namespace edgestream::processor
