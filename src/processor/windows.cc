#include "edgestream/processor/windows.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <utility>

#include "edgestream/common/json_text.h"
#include "edgestream/common/json_read.h"

namespace edgestream::processor {

namespace od = simdjson::ondemand;

namespace {

using std::chrono::days;
using std::chrono::sys_days;

// The span of times RFC 3339 can write (years 0000–9999). Decoders reject
// times outside it, so window arithmetic on decoded values cannot overflow.
constexpr int64_t kMinTimeMs =
    std::chrono::duration_cast<Millis>(
        sys_days{std::chrono::year{0} / std::chrono::January / 1}.time_since_epoch())
        .count();
constexpr int64_t kMaxTimeMs =
    std::chrono::duration_cast<Millis>(
        (sys_days{std::chrono::year{9999} / std::chrono::December / 31} + days{1})
            .time_since_epoch())
        .count() -
    1;

bool in_time_range(int64_t ms) { return ms >= kMinTimeMs && ms <= kMaxTimeMs; }

void append_int(std::string& out, int64_t value) { append_json_int(out, value); }

// Doubles in partial batches must survive the trip exactly, including a sum
// that overflowed to ±infinity (two readings of -1e308 do that). 1e999 is
// valid JSON that every parser reads as infinity, so it stands in for it.
void append_batch_number(std::string& out, double value) {
  if (std::isinf(value)) {
    out += value > 0 ? "1e999" : "-1e999";
    return;
  }
  append_json_number(out, value);  // NaN becomes null, which decoding rejects
}

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
  if (!parse_int(text, ms) || !in_time_range(ms)) return false;
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

bool read_int(od::value& value, int64_t& out) {
  return value.get_int64().get(out) == simdjson::SUCCESS;
}

bool read_time(od::value& value, EventTime& out) {
  int64_t ms = 0;
  if (!read_int(value, ms) || !in_time_range(ms)) return false;
  out = EventTime{Millis{ms}};
  return true;
}

// Reads a double written by append_batch_number: beyond-range numbers (1e999)
// are the infinities it wrote.
bool read_batch_double(od::value& value, double& out) {
  od::json_type type{};
  if (value.type().get(type) != simdjson::SUCCESS || type != od::json_type::number) return false;
  std::string_view token = json_read::trim_json_whitespace(value.raw_json_token());
  if (value.get_double().get(out) == simdjson::SUCCESS) return true;
  if (!json_read::is_json_number(token)) return false;
  out = token.front() == '-' ? -std::numeric_limits<double>::infinity()
                             : std::numeric_limits<double>::infinity();
  return true;
}

bool read_window(od::value& value, Aggregate& out) {
  od::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) return false;
  unsigned seen = 0;
  for (auto field_result : object) {
    od::field field;
    if (std::move(field_result).get(field) != simdjson::SUCCESS) return false;
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
    od::value& field_value = field.value();
    unsigned bit = 0;
    bool ok = true;
    if (key == "start") {
      bit = 1;
      ok = read_time(field_value, out.window_start);
    } else if (key == "count") {
      bit = 2;
      ok = read_int(field_value, out.count);
    } else if (key == "sum") {
      bit = 4;
      ok = read_batch_double(field_value, out.sum);
    } else if (key == "min") {
      bit = 8;
      ok = read_batch_double(field_value, out.min);
    } else if (key == "max") {
      bit = 16;
      ok = read_batch_double(field_value, out.max);
    } else {
      ok = json_read::skip_value(field_value, 0);  // a newer writer's field
    }
    if (!ok || (seen & bit) != 0) return false;
    seen |= bit;
  }
  // A partial exists only for a window with data, whose min and max are finite.
  return seen == 31 && out.count > 0 && std::isfinite(out.min) && std::isfinite(out.max) &&
         out.min <= out.max && !std::isnan(out.sum);
}

}  // namespace

// --- Aggregate ---------------------------------------------------------------

void Aggregate::add(double temperature) {
  ++count;
  sum += temperature;
  min = std::min(min, temperature);
  max = std::max(max, temperature);
}

void Aggregate::merge(const Aggregate& other) {
  count += other.count;
  sum += other.sum;
  min = std::min(min, other.min);
  max = std::max(max, other.max);
}

EventTime window_start_of(EventTime time, Millis size) {
  assert(size.count() > 0 && "window size must be positive; config validation guarantees it");
  const int64_t ms = time.time_since_epoch().count();
  const int64_t width = size.count();
  int64_t quotient = ms / width;
  // Integer division truncates towards zero; windows floor, also before 1970.
  if (ms % width < 0) --quotient;
  return EventTime{Millis{quotient * width}};
}

namespace {
void append_aggregate_fields(std::string& out, const Aggregate& aggregate, Millis window_size) {
  out += R"("window_start":")";
  append_rfc3339(out, aggregate.window_start);
  out += R"(","window_end":")";
  append_rfc3339(out, aggregate.window_start + window_size);
  out += R"(","temperature_avg":)";
  append_json_number(out, aggregate.average());
  out += R"(,"count":)";
  append_int(out, aggregate.count);
  out += R"(,"temperature_min":)";
  append_json_number(out, aggregate.min);
  out += R"(,"temperature_max":)";
  append_json_number(out, aggregate.max);
  out += '}';
}
}  // namespace

void encode_aggregate(std::string& out, const Aggregate& aggregate, Millis window_size) {
  out += R"({"type":"aggregate",)";
  append_aggregate_fields(out, aggregate, window_size);
}

void encode_aggregate_correction(std::string& out, const Aggregate& late_partial, Millis window_size) {
  out += R"({"type":"aggregate_correction","window_start":")";
  append_rfc3339(out, late_partial.window_start);
  out += R"(","window_end":")";
  append_rfc3339(out, late_partial.window_start + window_size);
  out += R"(","count":)";
  append_int(out, late_partial.count);
  out += R"(,"temperature_sum":)";
  append_json_number(out, late_partial.sum);
  out += R"(,"temperature_min":)";
  append_json_number(out, late_partial.min);
  out += R"(,"temperature_max":)";
  append_json_number(out, late_partial.max);
  out += '}';
}

void encode_device_aggregate(std::string& out, std::string_view device_id,
                             const Aggregate& aggregate, Millis window_size) {
  out += R"({"type":"device_aggregate","device_id":)";
  append_json_string(out, device_id);
  out += ',';
  append_aggregate_fields(out, aggregate, window_size);
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

PartitionWindows::AddOutcome PartitionWindows::add(const Reading& reading, int64_t offset) {
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

std::string encode_partial_batch(const PartialBatch& batch) {
  std::string out = R"({"partition":)";
  append_int(out, batch.partition);
  out += R"(,"watermark":)";
  append_int(out, batch.watermark.time_since_epoch().count());
  out += R"(,"windows":[)";
  bool first = true;
  for (const Aggregate& window : batch.windows) {
    if (!first) out += ',';
    first = false;
    out += R"({"start":)";
    append_int(out, window.window_start.time_since_epoch().count());
    out += R"(,"count":)";
    append_int(out, window.count);
    out += R"(,"sum":)";
    append_batch_number(out, window.sum);
    out += R"(,"min":)";
    append_batch_number(out, window.min);
    out += R"(,"max":)";
    append_batch_number(out, window.max);
    out += '}';
  }
  out += ']';
  if (batch.covered_offset >= 0) {
    out += R"(,"offset":)";
    append_int(out, batch.covered_offset);
  }
  out += '}';
  return out;
}

std::optional<PartialBatch> decode_partial_batch(std::string_view text) {
  // One parser per thread: batches are decoded once per transaction, so the
  // copy into a padded string is not worth optimising away.
  thread_local od::parser parser;
  simdjson::padded_string padded(text);
  od::document document;
  if (parser.iterate(padded).get(document) != simdjson::SUCCESS) return std::nullopt;
  od::object object;
  if (document.get_object().get(object) != simdjson::SUCCESS) return std::nullopt;

  PartialBatch batch;
  unsigned seen = 0;
  for (auto field_result : object) {
    od::field field;
    if (std::move(field_result).get(field) != simdjson::SUCCESS) return std::nullopt;
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return std::nullopt;
    od::value& value = field.value();
    unsigned bit = 0;
    bool ok = true;
    if (key == "partition") {
      bit = 1;
      int64_t partition = 0;
      ok = read_int(value, partition) && partition >= 0 &&
           partition <= std::numeric_limits<int32_t>::max();
      batch.partition = static_cast<int32_t>(partition);
    } else if (key == "watermark") {
      bit = 2;
      ok = read_time(value, batch.watermark);
    } else if (key == "windows") {
      bit = 4;
      od::array array;
      ok = value.get_array().get(array) == simdjson::SUCCESS;
      if (ok) {
        for (auto element_result : array) {
          od::value element;
          Aggregate window;
          if (std::move(element_result).get(element) != simdjson::SUCCESS ||
              !read_window(element, window)) {
            return std::nullopt;
          }
          batch.windows.push_back(window);
        }
      }
    } else if (key == "offset") {
      bit = 8;  // optional: older writers do not send it
      ok = read_int(value, batch.covered_offset) && batch.covered_offset >= 0;
    } else {
      ok = json_read::skip_value(value, 0);  // a newer writer's field
    }
    if (!ok || (seen & bit) != 0) return std::nullopt;
    seen |= bit;
  }
  if ((seen & 7) != 7 || !json_read::at_document_end(document)) return std::nullopt;
  return batch;
}

// --- PartialMerger ---------------------------------------------------------------

PartialMerger::PartialMerger(WindowConfig config, int32_t input_partitions)
    : config_(config), input_partitions_(std::max(input_partitions, 0)) {}

PartialMerger::PartialMerger(WindowConfig config, int32_t input_partitions,
                             const MergerCheckpoint& checkpoint)
    : config_(config),
      input_partitions_(std::max(input_partitions, 0)),
      finalized_before_(from_sentinel(checkpoint.finalized_before)) {}

void PartialMerger::start_clock(WallTime now) {
  if (clock_started_) return;
  clock_started_ = true;
  for (int32_t partition = 0; partition < input_partitions_; ++partition) {
    partitions_.emplace(partition, PartitionState{std::nullopt, -1, -1, now});
  }
}

std::vector<Aggregate> PartialMerger::add(const PartialBatch& batch, int64_t offset, WallTime now) {
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

void PartialMerger::set_log_end_offset(int32_t partition, int64_t log_end_offset, WallTime now) {
  start_clock(now);
  if (partition < 0) return;
  partitions_.try_emplace(partition, PartitionState{std::nullopt, -1, -1, now})
      .first->second.log_end_offset = log_end_offset;
}

std::vector<Aggregate> PartialMerger::take_final(WallTime now) {
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
