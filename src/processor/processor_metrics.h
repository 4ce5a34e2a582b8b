// The processor's metrics holder. Counts of a transaction's work are staged
// and published only when the transaction commits, so the counters describe
// what readers of processed-data can see, not attempts that were rolled back.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <map>
#include <string>
#include <vector>

#include "edgestream/processor/reading.h"

namespace edgestream::processor {

// Latency observations collected locally (no lock per record) and added to a
// prometheus histogram in one call.
class LatencyBatch {
 public:
  explicit LatencyBatch(const std::vector<double>& buckets) : buckets_(buckets), counts_(buckets.size() + 1) {}
  void observe(double seconds);
  void flush_into(prometheus::Histogram& histogram);
  void clear();

 private:
  const std::vector<double>& buckets_;
  std::vector<double> counts_;
  double sum_ = 0;
  bool empty_ = true;
};

struct StagedCounts {
  int64_t records_in_raw = 0;
  int64_t records_in_partials = 0;
  int64_t readings_out = 0;
  int64_t aggregates_out = 0;
  int64_t device_aggregates_out = 0;
  int64_t late = 0;
  int64_t late_partials = 0;    // partials of minutes already final (merger)
  int64_t corrections_out = 0;  // aggregate_correction records published for them
  int64_t forced_windows = 0;   // minutes finalised without a stalled partition
  std::array<int64_t, 2> rejected{};  // by FilterVerdict - 1
  std::map<InvalidReason, int64_t> dead_lettered;
  int64_t dead_letters_truncated = 0;
};

class ProcessorMetrics {
 public:
  ProcessorMetrics(prometheus::Registry& registry, const std::string& input_topic,
                   const std::string& partials_topic);

  StagedCounts& staged() { return staged_; }
  LatencyBatch& event_latency() { return event_latency_batch_; }
  LatencyBatch& processing_latency() { return processing_latency_batch_; }

  void transaction_committed();  // publishes and clears the staged counts
  void transaction_aborted();    // discards them
  // A restored checkpoint was beyond the event-time bound and repaired (not
  // transactional: it describes what this process did at start-up).
  void checkpoint_repaired() { checkpoints_repaired_.Increment(); }
  void set_open_windows(size_t count) { open_windows_.Set(static_cast<double>(count)); }
  void set_lag(const std::string& topic, int32_t partition, int64_t lag);
  // How long one refresh of the input partitions' log-end offsets held the
  // processing loop (not transactional: it describes this process).
  void log_end_refreshed(double seconds) { log_end_refresh_.Observe(seconds); }
  void forget_lag(const std::string& topic, int32_t partition);

 private:
  StagedCounts staged_;
  LatencyBatch event_latency_batch_;
  LatencyBatch processing_latency_batch_;

  // Families first: the children below are initialised from them.
  prometheus::Family<prometheus::Counter>& in_family_;
  prometheus::Family<prometheus::Counter>& out_family_;
  prometheus::Family<prometheus::Counter>& rejected_family_;
  prometheus::Family<prometheus::Counter>& transactions_family_;

  prometheus::Counter& in_raw_;
  prometheus::Counter& in_partials_;
  prometheus::Counter& out_reading_;
  prometheus::Counter& out_aggregate_;
  prometheus::Counter& out_device_aggregate_;
  prometheus::Counter& rejected_status_;
  prometheus::Counter& rejected_temperature_;
  prometheus::Family<prometheus::Counter>& dead_lettered_;
  prometheus::Counter& dead_letters_truncated_;
  prometheus::Counter& late_;
  prometheus::Counter& out_correction_;
  prometheus::Counter& late_partials_;
  prometheus::Counter& forced_windows_;
  prometheus::Counter& checkpoints_repaired_;
  prometheus::Histogram& event_latency_;
  prometheus::Histogram& processing_latency_;
  prometheus::Histogram& log_end_refresh_;
  prometheus::Family<prometheus::Gauge>& lag_;
  prometheus::Counter& committed_;
  prometheus::Counter& aborted_;
  prometheus::Gauge& open_windows_;
};

}  // namespace edgestream::processor
