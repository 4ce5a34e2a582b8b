// Distributed tracing: W3C Trace Context in Kafka record headers, and a small
// OTLP/HTTP JSON span exporter over libcurl (Debian 12 packages no
// OpenTelemetry C++ SDK). docs/tracing.md describes the spans and how to
// follow a reading from the simulator to its S3 object.
//
// Contract:
// - Off unless OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
//   is set; a disabled Tracer answers every call at the cost of one branch.
// - The data path never waits for tracing: Tracer::record() takes a short
//   lock to append to a bounded queue and drops (and counts) the span when
//   the queue is full. One background thread per Tracer batches and POSTs.
// - Sampling bounds the cost at full throughput: an unsampled record gets no
//   span, no allocation and no header.
// - Export failures are logged (rate-limited) and counted, never fatal.
//
// Threads: every Tracer method may be called from any thread. A Span is used
// by one thread at a time.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "edgestream/common/status.h"

namespace prometheus {
class Registry;
class Counter;
}  // namespace prometheus

namespace edgestream::tracing {

// --- identities and W3C Trace Context ---------------------------------------

// 16 bytes, big-endian halves, as in the traceparent text. All zero is invalid.
struct TraceId {
  uint64_t high = 0;
  uint64_t low = 0;
  bool valid() const { return (high | low) != 0; }
  bool operator==(const TraceId&) const = default;
};

// 8 bytes. Zero is invalid (and means "no parent" in SpanData).
struct SpanId {
  uint64_t value = 0;
  bool valid() const { return value != 0; }
  bool operator==(const SpanId&) const = default;
};

inline constexpr uint8_t kSampledFlag = 0x01;

struct SpanContext {
  TraceId trace_id;
  SpanId span_id;
  uint8_t flags = 0;
  bool sampled() const { return (flags & kSampledFlag) != 0; }
  bool operator==(const SpanContext&) const = default;
};

// Lower-case hex, 32 and 16 characters, as OTLP/JSON and traceparent write them.
std::string to_hex(TraceId id);
std::string to_hex(SpanId id);

// The Kafka record header (and HTTP header) that carries the context.
inline constexpr const char* kTraceparentHeader = "traceparent";

// Parses "00-<32 hex>-<16 hex>-<2 hex>" (W3C Trace Context level 1). Returns
// nothing for anything a receiver must ignore: upper-case hex, all-zero ids,
// version ff, a wrong length, or extra fields on version 00. Later versions
// are read by their first four fields, as the specification asks.
std::optional<SpanContext> parse_traceparent(std::string_view text);
std::string format_traceparent(const SpanContext& context);

// The context in a consumed record's `traceparent` header (the last one, if
// repeated), or nothing when absent or invalid.
std::optional<SpanContext> extract(const rd_kafka_message_t& message);
// Adds a `traceparent` header for `context` to `headers`.
void inject(rd_kafka_headers_t* headers, const SpanContext& context);

// --- configuration -------------------------------------------------------

enum class SamplerKind : uint8_t {
  kAlwaysOn,
  kAlwaysOff,
  kTraceIdRatio,
  kParentBasedAlwaysOn,
  kParentBasedAlwaysOff,
  kParentBasedTraceIdRatio,
};
const char* to_string(SamplerKind kind);

// The OpenTelemetry samplers that OTEL_TRACES_SAMPLER names. A trace-id ratio
// decision is a pure function of the trace id (its low 64 bits below
// ratio x 2^64), so every component that applies the same ratio to the same
// trace agrees.
class Sampler {
 public:
  Sampler(SamplerKind kind, double ratio);

  // Whether a span of `trace_id` is sampled, given its parent (if any).
  bool should_sample(TraceId trace_id, const std::optional<SpanContext>& parent) const;
  // The root decision alone, from 64 random bits that become the trace id's
  // low half: lets the caller skip making ids for unsampled records.
  bool sample_root(uint64_t low_bits) const;

  SamplerKind kind() const { return kind_; }
  double ratio() const { return ratio_; }

 private:
  bool ratio_says_yes(uint64_t low_bits) const;

  SamplerKind kind_;
  double ratio_;
  bool all_ = false;       // ratio >= 1
  uint64_t threshold_ = 0;  // sampled iff low bits < threshold (when !all_)
};

struct TracerConfig {
  // Full URL spans are POSTed to (".../v1/traces"); empty: tracing is off.
  std::string endpoint;
  std::string service_name;
  std::vector<std::pair<std::string, std::string>> resource_attributes;  // besides service.name
  SamplerKind sampler = SamplerKind::kParentBasedTraceIdRatio;
  // 1 in 1000 by default, not the specification's 1.0: at the simulator's
  // full rate (~10^5 records/s) every record traced would cost more than
  // the work itself, and one trace a few times a second is enough to follow.
  double sampler_ratio = 0.001;
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every export (may hold credentials)
  std::string ca_file;  // extra CA bundle for an https endpoint; verification is always on
  std::chrono::milliseconds export_timeout{10'000};
  // Batch span processor settings (OTEL_BSP_*), with the specification's defaults.
  std::chrono::milliseconds schedule_delay{5'000};
  size_t max_queue_size = 2048;
  size_t max_export_batch_size = 512;
  // How long shutdown() may spend exporting what is queued.
  std::chrono::milliseconds shutdown_timeout{5'000};

  bool enabled() const { return !endpoint.empty(); }
};

// Looks an environment variable up; the default reads the process environment.
using EnvLookup = std::function<std::optional<std::string>(const char* name)>;
std::optional<std::string> process_env(const char* name);

// Reads the standard OTEL_* variables (docs/tracing.md lists them). A value
// that cannot be honoured (an unknown sampler, a ratio outside 0..1, the gRPC
// protocol, an endpoint that is not http(s)) is an kInvalidConfig error that
// names the variable. `component` gives the default service name
// "edgestream-<component>".
Result<TracerConfig> config_from_env(std::string_view component,
                                     const EnvLookup& lookup = process_env);

// --- spans ------------------------------------------------------------------

// OTLP's SpanKind numbers.
enum class SpanKind : uint8_t { kInternal = 1, kServer = 2, kClient = 3, kProducer = 4, kConsumer = 5 };
// OTLP's Status.code numbers.
enum class SpanStatus : uint8_t { kUnset = 0, kOk = 1, kError = 2 };

using AttributeValue = std::variant<std::string, int64_t, double, bool>;
struct Attribute {
  std::string key;
  AttributeValue value;
};

struct SpanData {
  SpanContext context;
  SpanId parent;  // invalid: a root span
  std::string name;
  SpanKind kind = SpanKind::kInternal;
  std::chrono::system_clock::time_point start;
  std::chrono::system_clock::time_point end;
  std::vector<Attribute> attributes;
  SpanStatus status = SpanStatus::kUnset;
  std::string status_message;
};

// An ExportTraceServiceRequest in OTLP/JSON: one resource (service.name and
// `resource_attributes`), one scope, the spans. Ids are hex, times are
// decimal strings of Unix nanoseconds, enums are numbers, as OTLP/JSON asks.
std::string encode_otlp_json(
    std::string_view service_name,
    const std::vector<std::pair<std::string, std::string>>& resource_attributes,
    const std::vector<SpanData>& spans);

// Where batches go. The production one POSTs over HTTP; tests substitute one.
// Called from the Tracer's export thread only.
class Transport {
 public:
  virtual ~Transport() = default;
  // Sends one encoded request within `timeout`; an error says why.
  virtual Status send(const std::string& body, std::chrono::milliseconds timeout) = 0;
};

// POSTs application/json to the config's endpoint with its headers, TLS
// verification on (plus ca_file when given).
Result<std::unique_ptr<Transport>> make_http_transport(const TracerConfig& config);

class Tracer;

// A span being recorded. A default-constructed (or moved-from) Span records
// nothing, so call sites need no branch on whether tracing is on. end()
// hands the span to the Tracer once; the destructor ends it if needed.
class Span {
 public:
  Span() = default;
  Span(Tracer* tracer, std::unique_ptr<SpanData> data);
  Span(Span&& other) noexcept = default;
  Span& operator=(Span&& other) noexcept;
  Span(const Span&) = delete;
  Span& operator=(const Span&) = delete;
  ~Span() { end(); }

  bool recording() const { return data_ != nullptr; }
  // The context to propagate to children; call only when recording().
  const SpanContext& context() const { return data_->context; }
  Span& set(std::string key, AttributeValue value);
  Span& set_error(std::string message);
  void end();

 private:
  Tracer* tracer_ = nullptr;
  std::unique_ptr<SpanData> data_;
};

// Counts kept by every Tracer, also exported as
// edgestream_<component>_spans_total{outcome="exported|dropped|failed"}.
struct TracerCounts {
  uint64_t exported = 0;  // accepted by the receiver
  uint64_t dropped = 0;   // the queue was full (or shutdown ran out of time)
  uint64_t failed = 0;    // the receiver could not be reached or refused the batch
};

class Tracer {
 public:
  // A tracer that records nothing.
  static std::unique_ptr<Tracer> disabled();
  // From config (disabled when config.enabled() is false). When `registry`
  // is given, registers edgestream_<component>_spans_total on it.
  static Result<std::unique_ptr<Tracer>> create(TracerConfig config, std::string_view component,
                                                prometheus::Registry* registry);
  // With a given transport (tests).
  static std::unique_ptr<Tracer> create(TracerConfig config, std::string_view component,
                                        prometheus::Registry* registry,
                                        std::unique_ptr<Transport> transport);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  bool enabled() const { return enabled_; }
  const TracerConfig& config() const { return config_; }

  // Starts a span, now, when the sampler says so: a child of `parent` (same
  // trace) or the root of a new trace. Otherwise returns a Span that records
  // nothing; deciding costs one random draw, no allocation, no clock read.
  Span start_span(std::string_view name, SpanKind kind, const std::optional<SpanContext>& parent);

  // The context of a new span — a child of `parent` (same trace, new span
  // id) or the root of a new trace — when the sampler samples it, else
  // nothing (same cost as above). For a span whose start and end are known
  // only later (in a delivery report, after an upload): build its SpanData
  // then, with `parent`'s span id as its parent, and record() it.
  std::optional<SpanContext> sample(const std::optional<SpanContext>& parent = std::nullopt);

  // Queues a finished span for export; never blocks on the exporter. Drops
  // and counts the span when the queue holds max_queue_size spans.
  void record(SpanData span);

  // Exports what is queued, for at most config.shutdown_timeout, and stops
  // the export thread; spans still queued after that are counted dropped.
  // Idempotent; the destructor calls it.
  void shutdown();

  TracerCounts counts() const;

 private:
  Tracer(TracerConfig config, std::string_view component, prometheus::Registry* registry,
         std::unique_ptr<Transport> transport);
  void run_exporter();
  void export_batch(std::vector<SpanData>& batch, std::chrono::milliseconds timeout);
  void count(uint64_t TracerCounts::*field, prometheus::Counter* counter, uint64_t n);

  TracerConfig config_;
  bool enabled_ = false;
  Sampler sampler_;
  std::unique_ptr<Transport> transport_;
  prometheus::Counter* exported_counter_ = nullptr;
  prometheus::Counter* dropped_counter_ = nullptr;
  prometheus::Counter* failed_counter_ = nullptr;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<SpanData> queue_;
  bool stopping_ = false;
  TracerCounts counts_;
  std::chrono::steady_clock::time_point last_failure_log_{};
  uint64_t failures_since_log_ = 0;
  std::thread exporter_;  // last: started after everything it uses exists
};

}  // namespace edgestream::tracing
