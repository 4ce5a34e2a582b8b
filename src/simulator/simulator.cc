#include "edgestream/simulator/simulator.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <atomic>
#include <thread>

#include "edgestream/common/log.h"
#include "edgestream/common/metrics.h"
#include "edgestream/common/shutdown.h"
#include "edgestream/common/tracing.h"
#include "edgestream/contract/reading.h"
#include "edgestream/simulator/rate_pacer.h"

namespace edgestream::simulator {
namespace {

const Logger kLog("simulator");

// Messages produced per pacing step at most: large enough that an unlimited
// run amortises the loop, small enough that a paced run stays smooth.
constexpr int64_t kMaxBatch = 1000;

// The simulator's metrics holder: every family registered in one place.
class SimulatorMetrics {
 public:
  SimulatorMetrics(prometheus::Registry& registry, const std::string& topic)
      : sent_(prometheus::BuildCounter()
                  .Name("edgestream_simulator_messages_sent_total")
                  .Help("Messages acknowledged by the broker")
                  .Register(registry)
                  .Add({{"topic", topic}})),
        bytes_(prometheus::BuildCounter()
                   .Name("edgestream_simulator_bytes_sent_total")
                   .Help("Payload bytes acknowledged by the broker")
                   .Register(registry)
                   .Add({{"topic", topic}})),
        errors_(prometheus::BuildCounter()
                    .Name("edgestream_simulator_delivery_errors_total")
                    .Help("Messages the producer could not deliver, by librdkafka error")
                    .Register(registry)),
        latency_(prometheus::BuildHistogram()
                     .Name("edgestream_simulator_delivery_latency_seconds")
                     .Help("Time from produce call to broker acknowledgement")
                     .Register(registry)
                     .Add({}, latency_buckets_seconds())),
        target_rate_(prometheus::BuildGauge()
                         .Name("edgestream_simulator_target_rate_messages_per_second")
                         .Help("Configured aggregate send rate (0: unlimited)")
                         .Register(registry)
                         .Add({})) {
    // The usual failure (the broker unreachable until messages time out)
    // exists from the start, at 0, so its rate reads 0 rather than no data.
    errors_.Add({{"reason", rd_kafka_err2name(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT)}});
  }

  void delivered(size_t bytes, int64_t latency_us) {
    sent_.Increment();
    bytes_.Increment(static_cast<double>(bytes));
    latency_.Observe(static_cast<double>(latency_us) / 1e6);
    delivered_count.fetch_add(1, std::memory_order_relaxed);
  }
  void failed(const char* reason) {
    errors_.Add({{"reason", reason}}).Increment();
    failed_count.fetch_add(1, std::memory_order_relaxed);
  }
  void set_target_rate(double rate) { target_rate_.Set(rate); }

  std::atomic<int64_t> delivered_count{0};
  std::atomic<int64_t> failed_count{0};

 private:
  prometheus::Counter& sent_;
  prometheus::Counter& bytes_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Histogram& latency_;
  prometheus::Gauge& target_rate_;
};

// What the delivery report callback reaches through the producer's opaque.
struct DeliveryContext {
  SimulatorMetrics* metrics;
  tracing::Tracer* tracer;
};

// A sampled record's "produce" span ends when the broker acknowledges it (or
// the producer gives up), so it shows the delivery latency and the offset.
// Its ids travel in the record's traceparent header, which the delivery
// report still carries; unsampled records have no header and stop here.
void record_produce_span(tracing::Tracer& tracer, const rd_kafka_message_t& message) {
  auto context = tracing::extract(message);
  if (!context) return;
  tracing::SpanData span;
  span.context = *context;
  span.name = std::string("produce ") + rd_kafka_topic_name(message.rkt);
  span.kind = tracing::SpanKind::kProducer;
  span.end = std::chrono::system_clock::now();
  span.start = span.end - std::chrono::microseconds(std::max<int64_t>(0, rd_kafka_message_latency(&message)));
  span.attributes = {{"messaging.system", std::string("kafka")},
                     {"messaging.operation.type", std::string("send")},
                     {"messaging.destination.name", std::string(rd_kafka_topic_name(message.rkt))},
                     {"messaging.destination.partition.id", std::to_string(message.partition)}};
  if (message.key != nullptr) {
    span.attributes.push_back(
        {"messaging.kafka.message.key", std::string(static_cast<const char*>(message.key), message.key_len)});
  }
  if (message.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    span.attributes.push_back({"messaging.kafka.offset", int64_t{message.offset}});
  } else {
    span.status = tracing::SpanStatus::kError;
    span.status_message = rd_kafka_err2str(message.err);
  }
  tracer.record(std::move(span));
}

// Delivery reports arrive on the thread that calls rd_kafka_poll/flush: ours.
void on_delivery(rd_kafka_t* /*producer*/, const rd_kafka_message_t* message, void* opaque) {
  auto* context = static_cast<DeliveryContext*>(opaque);
  auto* metrics = context->metrics;
  if (context->tracer->enabled()) record_produce_span(*context->tracer, *message);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    metrics->delivered(message->len, rd_kafka_message_latency(message));
    return;
  }
  metrics->failed(rd_kafka_err2name(message->err));
  // Log the first failures and then every 10,000th, so an outage is visible
  // without flooding the log at full rate.
  int64_t failures = metrics->failed_count.load(std::memory_order_relaxed);
  if (failures <= 5 || failures % 10'000 == 0) {
    kLog.error("delivery to ", rd_kafka_topic_name(message->rkt), " failed (", failures,
               " so far): ", rd_kafka_err2str(message->err));
  }
}

Result<kafka::Handle> create_producer(const SimulatorConfig& config, DeliveryContext& delivery) {
  kafka::Properties properties{
      {"bootstrap.servers", config.bootstrap_servers},
      {"client.id", "edgestream-simulator"},
      // Idempotence gives acks=all and per-partition ordering without
      // duplicates on retry: a device's readings arrive once, in order.
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"compression.type", config.compression},
      // A few milliseconds of batching multiply throughput at high rates and
      // cost nothing visible at 100 msg/s.
      {"linger.ms", "5"},
      {"batch.size", "1000000"},
      {"queue.buffering.max.messages", "1000000"},
  };
  properties.insert(properties.end(), config.kafka_overrides.begin(), config.kafka_overrides.end());
  auto conf = kafka::make_conf(properties);
  if (!conf) return conf.error();
  rd_kafka_conf_set_dr_msg_cb(conf.value().get(), on_delivery);
  rd_kafka_conf_set_opaque(conf.value().get(), &delivery);
  return kafka::make_client(RD_KAFKA_PRODUCER, std::move(conf).value());
}

}  // namespace

Status validate(const SimulatorConfig& config) {
  auto invalid = [](const std::string& message) {
    return Error(ErrorKind::kInvalidConfig, message);
  };
  if (config.bootstrap_servers.empty()) return invalid("bootstrap servers are empty; set --bootstrap-servers or KAFKA_BOOTSTRAP_SERVERS");
  if (config.topic.empty()) return invalid("topic is empty; set --topic");
  if (config.generator.devices < 1) return invalid("--devices must be at least 1");
  auto share_ok = [](double share) { return share >= 0 && share <= 1; };
  if (!share_ok(config.generator.bad_status_share) || !share_ok(config.generator.over_limit_share) ||
      config.generator.bad_status_share + config.generator.over_limit_share > 1) {
    return invalid("--bad-status-share and --over-limit-share must be within 0..1 and sum to at most 1");
  }
  if (config.count < 0) return invalid("--count must not be negative");
  if (config.duration.count() < 0) return invalid("--duration must not be negative");
  return Status::success();
}

Result<RunSummary> run(const SimulatorConfig& config) {
  if (auto status = validate(config); !status) return status.error();
  auto metrics_server = MetricsServer::start(config.metrics_address);
  if (!metrics_server) return metrics_server.error();
  SimulatorMetrics metrics(metrics_server.value()->registry(), config.topic);
  metrics.set_target_rate(std::max(config.rate_per_second, 0.0));
  auto tracer_config = tracing::config_from_env("simulator");
  if (!tracer_config) return tracer_config.error();
  auto tracer_result = tracing::Tracer::create(std::move(tracer_config).value(), "simulator",
                                               &metrics_server.value()->registry());
  if (!tracer_result) return tracer_result.error();
  // Declared before the producer: delivery reports use it until the producer is gone.
  std::unique_ptr<tracing::Tracer> tracer = std::move(tracer_result).value();
  DeliveryContext delivery{&metrics, tracer.get()};

  auto producer_result = create_producer(config, delivery);
  if (!producer_result) return producer_result.error();
  kafka::Handle producer = std::move(producer_result).value();

  // Fail fast with a clear message instead of queueing into the void.
  auto partitions = kafka::wait_for_topic(producer.get(), config.topic,
                                           static_cast<int>(config.startup_timeout.count()));
  if (!partitions) {
    return partitions.error().with_context("cannot start producing to Kafka at " +
                                           config.bootstrap_servers);
  }
  kLog.info("producing to ", config.topic, " (", partitions.value(), " partitions) at ",
            config.bootstrap_servers, ": ", config.generator.devices, " devices, ",
            config.rate_per_second > 0 ? std::to_string(config.rate_per_second) + " msg/s"
                                       : std::string("unlimited rate"));

  TelemetryGenerator generator(config.generator);
  const auto start = RatePacer::Clock::now();
  RatePacer pacer(config.rate_per_second, start);
  const auto deadline = config.duration.count() > 0 ? start + config.duration
                                                    : RatePacer::Clock::time_point::max();
  std::string payload;
  payload.reserve(256);
  int64_t produced = 0;
  auto next_report = start + config.report_interval;
  int64_t delivered_at_last_report = 0;

  while (!shutdown_requested()) {
    auto now = RatePacer::Clock::now();
    if (now >= deadline || (config.count > 0 && produced >= config.count)) break;
    int64_t batch = pacer.due(now, kMaxBatch);
    if (config.count > 0) batch = std::min(batch, config.count - produced);
    if (batch == 0) {
      rd_kafka_poll(producer.get(), 0);
      std::this_thread::sleep_until(std::min(pacer.next_due(), now + std::chrono::milliseconds(100)));
      continue;
    }
    auto wall_now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
    for (int64_t i = 0; i < batch && !shutdown_requested(); ++i) {
      Telemetry telemetry = generator.next(wall_now);
      payload.clear();
      contract::encode_reading(payload, telemetry, contract::ReadingTopic::kRawData);
      // A sampled reading starts a trace; its context rides in the record.
      std::optional<tracing::SpanContext> trace = tracer->sample();
      while (true) {
        kafka::Headers headers;
        if (trace) {
          headers.reset(rd_kafka_headers_new(1));
          tracing::inject(headers.get(), *trace);
        }
        rd_kafka_resp_err_t err = kafka::produce_copy(producer.get(), config.topic, RD_KAFKA_PARTITION_UA,
                                                      telemetry.device_id, payload, headers.get());
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          (void)headers.release();  // librdkafka owns them now
          ++produced;
          pacer.sent(1);
          break;
        }
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
          // Back-pressure: serve delivery reports until there is room.
          rd_kafka_poll(producer.get(), 10);
          if (shutdown_requested()) break;
          continue;
        }
        // Anything else (message too large, unknown topic) will not succeed on retry.
        return Error(ErrorKind::kFatal, std::string("produce to ") + config.topic + " failed: " +
                                            rd_kafka_err2str(err));
      }
    }
    rd_kafka_poll(producer.get(), 0);
    if (now >= next_report) {
      int64_t delivered = metrics.delivered_count.load();
      double interval = std::chrono::duration<double>(config.report_interval).count();
      kLog.info("achieved ", static_cast<int64_t>(static_cast<double>(delivered - delivered_at_last_report) / interval),
                " msg/s delivered (", delivered, " total, ", metrics.failed_count.load(), " failed)");
      delivered_at_last_report = delivered;
      next_report += config.report_interval;
    }
  }

  kLog.info("flushing ", rd_kafka_outq_len(producer.get()), " messages in flight");
  rd_kafka_flush(producer.get(), static_cast<int>(config.flush_timeout.count()));
  tracer->shutdown();  // exports the last spans (bounded) before the summary is printed
  RunSummary summary;
  summary.seconds = std::chrono::duration<double>(RatePacer::Clock::now() - start).count();
  summary.produced = produced;
  summary.delivered = metrics.delivered_count.load();
  summary.failed = metrics.failed_count.load();
  return summary;
}

}  // namespace edgestream::simulator
