#include "processor_metrics.h"

#include <algorithm>

#include "edgestream/common/metrics.h"

namespace edgestream::processor {

void LatencyBatch::observe(double seconds) {
  auto bucket = std::lower_bound(buckets_.begin(), buckets_.end(), seconds) - buckets_.begin();
  counts_[static_cast<size_t>(bucket)] += 1;
  sum_ += seconds;
  empty_ = false;
}

void LatencyBatch::flush_into(prometheus::Histogram& histogram) {
  if (empty_) return;
  histogram.ObserveMultiple(counts_, sum_);
  clear();
}

void LatencyBatch::clear() {
  std::fill(counts_.begin(), counts_.end(), 0.0);
  sum_ = 0;
  empty_ = true;
}

ProcessorMetrics::ProcessorMetrics(prometheus::Registry& registry, const std::string& input_topic,
                                   const std::string& partials_topic)
    : event_latency_batch_(latency_buckets_seconds()),
      processing_latency_batch_(latency_buckets_seconds()),
      in_family_(prometheus::BuildCounter()
                     .Name("edgestream_processor_records_in_total")
                     .Help("Records consumed, by topic")
                     .Register(registry)),
      out_family_(prometheus::BuildCounter()
                      .Name("edgestream_processor_records_out_total")
                      .Help("Records produced to processed-data in committed transactions, by type")
                      .Register(registry)),
      rejected_family_(prometheus::BuildCounter()
                           .Name("edgestream_processor_records_rejected_total")
                           .Help("Valid readings dropped by the filter, by reason")
                           .Register(registry)),
      transactions_family_(prometheus::BuildCounter()
                               .Name("edgestream_processor_transactions_total")
                               .Help("Kafka transactions, by outcome")
                               .Register(registry)),
      in_raw_(in_family_.Add({{"topic", input_topic}})),
      in_partials_(in_family_.Add({{"topic", partials_topic}})),
      out_reading_(out_family_.Add({{"type", "reading"}})),
      out_aggregate_(out_family_.Add({{"type", "aggregate"}})),
      out_device_aggregate_(out_family_.Add({{"type", "device_aggregate"}})),
      rejected_status_(rejected_family_.Add({{"reason", to_string(FilterVerdict::kStatusNotOk)}})),
      rejected_temperature_(
          rejected_family_.Add({{"reason", to_string(FilterVerdict::kTemperatureAboveLimit)}})),
      dead_lettered_(prometheus::BuildCounter()
                         .Name("edgestream_processor_records_dead_lettered_total")
                         .Help("Invalid records sent to the dead-letter topic, by reason")
                         .Register(registry)),
      dead_letters_truncated_(prometheus::BuildCounter()
                                  .Name("edgestream_processor_dead_letters_truncated_total")
                                  .Help("Dead letters cut to fit the dead-letter topic's record size limit "
                                        "(the original sizes are in their headers)")
                                  .Register(registry)
                                  .Add({})),
      late_(prometheus::BuildCounter()
                .Name("edgestream_processor_records_late_total")
                .Help("Kept readings whose window had already closed (published, not aggregated)")
                .Register(registry)
                .Add({})),
      out_correction_(out_family_.Add({{"type", "aggregate_correction"}})),
      late_partials_(prometheus::BuildCounter()
                         .Name("edgestream_processor_partials_late_total")
                         .Help("Per-partition partials of minutes whose fleet aggregate was already "
                               "published; each is published as an aggregate_correction")
                         .Register(registry)
                         .Add({})),
      forced_windows_(prometheus::BuildCounter()
                          .Name("edgestream_processor_aggregates_forced_total")
                          .Help("Fleet aggregates finalised without a partition that had input waiting "
                                "and made no progress for the maximum partition wait")
                          .Register(registry)
                          .Add({})),
      checkpoints_repaired_(prometheus::BuildCounter()
                                .Name("edgestream_processor_checkpoints_repaired_total")
                                .Help("Restored checkpoints whose event time was beyond the future-skew "
                                      "bound (written before event time was bounded) and were repaired")
                                .Register(registry)
                                .Add({})),
      event_latency_(prometheus::BuildHistogram()
                         .Name("edgestream_processor_event_latency_seconds")
                         .Help("Reading event time to output")
                         .Register(registry)
                         .Add({}, latency_buckets_seconds())),
      processing_latency_(prometheus::BuildHistogram()
                              .Name("edgestream_processor_processing_latency_seconds")
                              .Help("Broker append time of the input record to output")
                              .Register(registry)
                              .Add({}, latency_buckets_seconds())),
      log_end_refresh_(prometheus::BuildHistogram()
                           .Name("edgestream_processor_log_end_refresh_seconds")
                           .Help("Time one refresh of the input partitions' log-end offsets (for the "
                                 "merger) held the processing loop")
                           .Register(registry)
                           .Add({}, latency_buckets_seconds())),
      lag_(prometheus::BuildGauge()
               .Name("edgestream_processor_consumer_lag_records")
               .Help("High watermark minus position, per assigned partition")
               .Register(registry)),
      committed_(transactions_family_.Add({{"outcome", "committed"}})),
      aborted_(transactions_family_.Add({{"outcome", "aborted"}})),
      open_windows_(prometheus::BuildGauge()
                        .Name("edgestream_processor_open_windows")
                        .Help("Event-time windows held in memory")
                        .Register(registry)
                        .Add({})) {
  // Series whose labels are known up front exist from the start, at 0, so
  // rates and dashboards show 0 rather than no data before the first event.
  for (InvalidReason reason : contract::kRawDataInvalidReasons) {
    dead_lettered_.Add({{"reason", to_string(reason)}});
  }
}

void ProcessorMetrics::transaction_committed() {
  auto add = [](prometheus::Counter& counter, int64_t value) {
    if (value != 0) counter.Increment(static_cast<double>(value));
  };
  add(in_raw_, staged_.records_in_raw);
  add(in_partials_, staged_.records_in_partials);
  add(out_reading_, staged_.readings_out);
  add(out_aggregate_, staged_.aggregates_out);
  add(out_device_aggregate_, staged_.device_aggregates_out);
  add(late_, staged_.late);
  add(dead_letters_truncated_, staged_.dead_letters_truncated);
  add(out_correction_, staged_.corrections_out);
  add(late_partials_, staged_.late_partials);
  add(forced_windows_, staged_.forced_windows);
  add(rejected_status_, staged_.rejected[0]);
  add(rejected_temperature_, staged_.rejected[1]);
  for (const auto& [reason, count] : staged_.dead_lettered) {
    dead_lettered_.Add({{"reason", to_string(reason)}}).Increment(static_cast<double>(count));
  }
  event_latency_batch_.flush_into(event_latency_);
  processing_latency_batch_.flush_into(processing_latency_);
  committed_.Increment();
  staged_ = StagedCounts{};
}

void ProcessorMetrics::transaction_aborted() {
  staged_ = StagedCounts{};
  event_latency_batch_.clear();
  processing_latency_batch_.clear();
  aborted_.Increment();
}

void ProcessorMetrics::set_lag(const std::string& topic, int32_t partition, int64_t lag) {
  lag_.Add({{"topic", topic}, {"partition", std::to_string(partition)}}).Set(static_cast<double>(lag));
}

void ProcessorMetrics::forget_lag(const std::string& topic, int32_t partition) {
  auto& gauge = lag_.Add({{"topic", topic}, {"partition", std::to_string(partition)}});
  lag_.Remove(&gauge);
}

}  // namespace edgestream::processor
