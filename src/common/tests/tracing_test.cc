#include "edgestream/common/tracing.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <simdjson.h>

#include <atomic>
#include <map>
#include <random>
#include <set>

#include "edgestream/common/kafka.h"

namespace edgestream::tracing {
namespace {

using namespace std::chrono_literals;

// The example of the W3C Trace Context specification, section 3.2.
constexpr std::string_view kExample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(Traceparent, ParsesTheSpecificationExample) {
  auto context = parse_traceparent(kExample);
  ASSERT_TRUE(context);
  EXPECT_EQ(context->trace_id.high, 0x4bf92f3577b34da6ULL);
  EXPECT_EQ(context->trace_id.low, 0xa3ce929d0e0e4736ULL);
  EXPECT_EQ(context->span_id.value, 0x00f067aa0ba902b7ULL);
  EXPECT_EQ(context->flags, 0x01);
  EXPECT_TRUE(context->sampled());
  EXPECT_EQ(format_traceparent(*context), kExample);
}

TEST(Traceparent, FormatsLowerCaseWithLeadingZeros) {
  SpanContext context{TraceId{0x1, 0xABCDEF}, SpanId{0x2A}, 0x00};
  EXPECT_EQ(format_traceparent(context),
            "00-00000000000000010000000000abcdef-000000000000002a-00");
  EXPECT_EQ(to_hex(context.trace_id), "00000000000000010000000000abcdef");
  EXPECT_EQ(to_hex(context.span_id), "000000000000002a");
  EXPECT_FALSE(context.sampled());
}

TEST(Traceparent, RejectsWhatTheSpecificationSaysToIgnore) {
  const std::vector<std::string> invalid = {
      "",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",       // no flags
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",    // upper-case trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01",    // upper-case span id
      "0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // upper-case version
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",    // all-zero trace id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",    // all-zero span id
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // version ff is forbidden
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x",  // extra field on version 00
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-011",   // longer flags
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",    // wrong separator
      "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",    // not hex
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",    // flags not hex
      "00-4bf92f3577b34da6a3ce929d0e0e47-3600f067aa0ba902b7-01",    // misplaced separator
      "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",   // later version, no '-' after flags
  };
  for (const auto& text : invalid) EXPECT_FALSE(parse_traceparent(text)) << text;
}

TEST(Traceparent, ReadsTheKnownFieldsOfALaterVersion) {
  auto context = parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds");
  ASSERT_TRUE(context);
  EXPECT_EQ(context->span_id.value, 0x00f067aa0ba902b7ULL);
  EXPECT_TRUE(context->sampled());
}

TEST(Traceparent, TravelsInKafkaHeaders) {
  kafka::Headers headers(rd_kafka_headers_new(2));
  rd_kafka_header_add(headers.get(), "other", -1, "x", 1);
  SpanContext context{TraceId{0x0102030405060708ULL, 0x090a0b0c0d0e0f10ULL}, SpanId{0x1112131415161718ULL},
                      kSampledFlag};
  inject(headers.get(), context);
  const void* value = nullptr;
  size_t size = 0;
  ASSERT_EQ(rd_kafka_header_get_last(headers.get(), "traceparent", &value, &size), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::string_view text(static_cast<const char*>(value), size);
  EXPECT_EQ(text, "00-0102030405060708090a0b0c0d0e0f10-1112131415161718-01");
  EXPECT_EQ(parse_traceparent(text), context);
}

TEST(Sampler, RatioBoundsAreExact) {
  Sampler none(SamplerKind::kTraceIdRatio, 0.0);
  Sampler all(SamplerKind::kTraceIdRatio, 1.0);
  Sampler quarter(SamplerKind::kTraceIdRatio, 0.25);
  for (uint64_t bits : {uint64_t{0}, uint64_t{1}, uint64_t{1} << 62, ~uint64_t{0}}) {
    EXPECT_FALSE(none.sample_root(bits)) << bits;
    EXPECT_TRUE(all.sample_root(bits)) << bits;
  }
  // 0.25 x 2^64 = 2^62: below it is sampled, from it on is not.
  EXPECT_TRUE(quarter.sample_root((uint64_t{1} << 62) - 1));
  EXPECT_FALSE(quarter.sample_root(uint64_t{1} << 62));
  // Values outside 0..1 are clamped, never undefined.
  EXPECT_TRUE(Sampler(SamplerKind::kTraceIdRatio, 7.0).sample_root(~uint64_t{0}));
  EXPECT_FALSE(Sampler(SamplerKind::kTraceIdRatio, -1.0).sample_root(0));
}

TEST(Sampler, RatioHoldsOverManyRandomTraceIds) {
  Sampler sampler(SamplerKind::kTraceIdRatio, 0.01);
  std::mt19937_64 random(42);
  int sampled = 0;
  constexpr int kDraws = 100'000;
  for (int i = 0; i < kDraws; ++i) sampled += sampler.sample_root(random()) ? 1 : 0;
  // Expected 1000, standard deviation ~31.5: +-200 is more than 6 sigma.
  EXPECT_GT(sampled, 800);
  EXPECT_LT(sampled, 1200);
}

TEST(Sampler, ParentBasedFollowsTheParentAndOthersDoNot) {
  SpanContext sampled_parent{TraceId{1, ~uint64_t{0}}, SpanId{1}, kSampledFlag};
  SpanContext unsampled_parent{TraceId{1, 0}, SpanId{1}, 0};
  Sampler parent_based(SamplerKind::kParentBasedTraceIdRatio, 0.0);
  EXPECT_TRUE(parent_based.should_sample(sampled_parent.trace_id, sampled_parent));
  EXPECT_FALSE(Sampler(SamplerKind::kParentBasedAlwaysOn, 1.0).should_sample(unsampled_parent.trace_id, unsampled_parent));
  EXPECT_FALSE(parent_based.should_sample(TraceId{1, 0}, std::nullopt));
  EXPECT_TRUE(Sampler(SamplerKind::kParentBasedTraceIdRatio, 1.0).should_sample(TraceId{1, 0}, std::nullopt));
  // Not parent-based: the ratio decides on the trace id, whatever the parent said.
  Sampler ratio(SamplerKind::kTraceIdRatio, 0.5);
  EXPECT_FALSE(ratio.should_sample(sampled_parent.trace_id, sampled_parent));  // low bits all ones
  EXPECT_TRUE(ratio.should_sample(unsampled_parent.trace_id, unsampled_parent));  // low bits zero
  EXPECT_FALSE(Sampler(SamplerKind::kAlwaysOff, 1.0).should_sample(sampled_parent.trace_id, sampled_parent));
}

// --- configuration from the environment ----------------------------------------

EnvLookup env(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const char* name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST(Config, OffWithoutAnEndpoint) {
  auto config = config_from_env("simulator", env({{"OTEL_SERVICE_NAME", "x"}, {"OTEL_TRACES_SAMPLER", "always_on"}}));
  ASSERT_TRUE(config);
  EXPECT_FALSE(config.value().enabled());
  auto empty = config_from_env("simulator", env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "  "}}));
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty.value().enabled());
}

TEST(Config, BaseEndpointGetsTheTracesPathAndDefaultsApply) {
  auto config = config_from_env("processor", env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"}}));
  ASSERT_TRUE(config);
  EXPECT_EQ(config.value().endpoint, "http://127.0.0.1:4318/v1/traces");
  EXPECT_EQ(config.value().service_name, "edgestream-processor");
  EXPECT_EQ(config.value().sampler, SamplerKind::kParentBasedTraceIdRatio);
  EXPECT_DOUBLE_EQ(config.value().sampler_ratio, 0.001);
  EXPECT_EQ(config.value().schedule_delay, 5000ms);
  EXPECT_EQ(config.value().max_queue_size, 2048U);
  EXPECT_EQ(config.value().max_export_batch_size, 512U);

  auto slash = config_from_env("processor", env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector/base/"}}));
  ASSERT_TRUE(slash);
  EXPECT_EQ(slash.value().endpoint, "https://collector/base/v1/traces");
}

TEST(Config, TracesEndpointIsUsedAsItIsAndWins) {
  auto config = config_from_env("archiver", env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318"},
                                                 {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://b:9999/custom"}}));
  ASSERT_TRUE(config);
  EXPECT_EQ(config.value().endpoint, "http://b:9999/custom");
}

TEST(Config, ReadsNameSamplerHeadersAndBatchSettings) {
  auto config = config_from_env(
      "simulator", env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"},
                        {"OTEL_SERVICE_NAME", "sim-a"},
                        {"OTEL_RESOURCE_ATTRIBUTES", "service.name=ignored, k8s.pod.name=sim%2D0"},
                        {"OTEL_TRACES_SAMPLER", "TraceIdRatio"},
                        {"OTEL_TRACES_SAMPLER_ARG", "0.25"},
                        {"OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20abc,x-a=1"},
                        {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "X-A=2"},
                        {"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
                        {"OTEL_BSP_SCHEDULE_DELAY", "200"},
                        {"OTEL_BSP_MAX_QUEUE_SIZE", "100"},
                        {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10"}}));
  ASSERT_TRUE(config) << config.error().message();
  const auto& c = config.value();
  EXPECT_EQ(c.service_name, "sim-a");
  ASSERT_EQ(c.resource_attributes.size(), 1U);
  EXPECT_EQ(c.resource_attributes[0], (std::pair<std::string, std::string>{"k8s.pod.name", "sim-0"}));
  EXPECT_EQ(c.sampler, SamplerKind::kTraceIdRatio);
  EXPECT_DOUBLE_EQ(c.sampler_ratio, 0.25);
  ASSERT_EQ(c.headers.size(), 2U);
  EXPECT_EQ(c.headers[0], (std::pair<std::string, std::string>{"Authorization", "Bearer abc"}));
  EXPECT_EQ(c.headers[1], (std::pair<std::string, std::string>{"X-A", "2"}));  // the traces-specific one wins
  EXPECT_EQ(c.export_timeout, 2500ms);
  EXPECT_EQ(c.schedule_delay, 200ms);
  EXPECT_EQ(c.max_queue_size, 100U);
  EXPECT_EQ(c.max_export_batch_size, 10U);
}

TEST(Config, ServiceNameFromResourceAttributesWhenNotSetAlone) {
  auto config = config_from_env("simulator", env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://h:1"},
                                                  {"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs"}}));
  ASSERT_TRUE(config);
  EXPECT_EQ(config.value().service_name, "from-attrs");
}

TEST(Config, DisabledBySdkSwitchOrNoneExporter) {
  auto sdk = config_from_env("simulator", env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://h:1"}, {"OTEL_SDK_DISABLED", "TRUE"}}));
  ASSERT_TRUE(sdk);
  EXPECT_FALSE(sdk.value().enabled());
  auto none = config_from_env("simulator", env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://h:1"}, {"OTEL_TRACES_EXPORTER", "none"}}));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none.value().enabled());
}

TEST(Config, RejectsWhatItCannotHonourAndNamesTheVariable) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
      {{{"OTEL_TRACES_SAMPLER", "sometimes"}}, "OTEL_TRACES_SAMPLER"},
      {{{"OTEL_TRACES_SAMPLER_ARG", "1.5"}}, "OTEL_TRACES_SAMPLER_ARG"},
      {{{"OTEL_TRACES_SAMPLER_ARG", "-0.1"}}, "OTEL_TRACES_SAMPLER_ARG"},
      {{{"OTEL_TRACES_SAMPLER_ARG", "half"}}, "OTEL_TRACES_SAMPLER_ARG"},
      {{{"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}}, "OTEL_EXPORTER_OTLP_PROTOCOL"},
      {{{"OTEL_TRACES_EXPORTER", "zipkin"}}, "OTEL_TRACES_EXPORTER"},
      {{{"OTEL_EXPORTER_OTLP_HEADERS", "novalue"}}, "OTEL_EXPORTER_OTLP_HEADERS"},
      {{{"OTEL_EXPORTER_OTLP_HEADERS", "a=%4"}}, "OTEL_EXPORTER_OTLP_HEADERS"},
      {{{"OTEL_BSP_MAX_QUEUE_SIZE", "10"}, {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "11"}}, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"},
      {{{"OTEL_EXPORTER_OTLP_TIMEOUT", "0"}}, "OTEL_EXPORTER_OTLP_TIMEOUT"},
  };
  for (auto [values, variable] : cases) {
    values.emplace("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318");
    auto config = config_from_env("simulator", env(values));
    ASSERT_FALSE(config) << variable;
    EXPECT_EQ(config.error().kind(), ErrorKind::kInvalidConfig);
    EXPECT_NE(config.error().message().find(variable), std::string::npos) << config.error().message();
  }
  auto scheme = config_from_env("simulator", env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "127.0.0.1:4318"}}));
  ASSERT_FALSE(scheme);
  EXPECT_NE(scheme.error().message().find("OTEL_EXPORTER_OTLP_ENDPOINT"), std::string::npos);
}

TEST(Config, HeaderValuesNeverAppearInErrors) {
  auto config = config_from_env("simulator", env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://h:1"},
                                                  {"OTEL_EXPORTER_OTLP_HEADERS", "a=ok,secret-token-123"}}));
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().message().find("secret-token-123"), std::string::npos);
}

// --- OTLP/JSON ------------------------------------------------------------------------

TEST(OtlpJson, EncodesAnExportTraceServiceRequest) {
  SpanData root;
  root.context = SpanContext{TraceId{0x4bf92f3577b34da6ULL, 0xa3ce929d0e0e4736ULL}, SpanId{0x00f067aa0ba902b7ULL}, 1};
  root.name = "produce raw-data";
  root.kind = SpanKind::kProducer;
  root.start = std::chrono::system_clock::time_point(std::chrono::nanoseconds(1'735'207'200'123'456'789LL));
  root.end = root.start + 1500us;
  root.attributes = {{"messaging.destination.name", std::string("raw \"data\"\n")},
                     {"messaging.kafka.offset", int64_t{9'007'199'254'740'993LL}},  // 2^53 + 1
                     {"reading.temperature", 72.5},
                     {"edgestream.kept", true}};
  SpanData child;
  child.context = SpanContext{root.context.trace_id, SpanId{0x2A}, 1};
  child.parent = root.context.span_id;
  child.name = "process raw-data";
  child.kind = SpanKind::kConsumer;
  child.start = root.end;
  child.end = root.end + 1ms;
  child.status = SpanStatus::kError;
  child.status_message = "dead-lettered";

  std::string json = encode_otlp_json("edgestream-test", {{"k8s.pod.name", "p-0"}}, {root, child});
  simdjson::dom::parser parser;
  simdjson::dom::element doc = parser.parse(json);
  auto resource_spans = doc["resourceSpans"].get_array();
  ASSERT_EQ(resource_spans.size(), 1U);
  auto resource = resource_spans.at(0);
  auto attributes = resource["resource"]["attributes"].get_array();
  ASSERT_EQ(attributes.size(), 2U);
  EXPECT_EQ(std::string_view(attributes.at(0)["key"]), "service.name");
  EXPECT_EQ(std::string_view(attributes.at(0)["value"]["stringValue"]), "edgestream-test");
  EXPECT_EQ(std::string_view(attributes.at(1)["key"]), "k8s.pod.name");
  EXPECT_EQ(std::string_view(attributes.at(1)["value"]["stringValue"]), "p-0");

  auto spans = resource["scopeSpans"].at(0)["spans"].get_array();
  ASSERT_EQ(spans.size(), 2U);
  auto first = spans.at(0);
  EXPECT_EQ(std::string_view(first["traceId"]), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(std::string_view(first["spanId"]), "00f067aa0ba902b7");
  EXPECT_TRUE(first["parentSpanId"].error() == simdjson::NO_SUCH_FIELD);  // a root has none
  EXPECT_EQ(std::string_view(first["name"]), "produce raw-data");
  EXPECT_EQ(int64_t(first["kind"]), 4);  // SPAN_KIND_PRODUCER
  EXPECT_EQ(std::string_view(first["startTimeUnixNano"]), "1735207200123456789");
  EXPECT_EQ(std::string_view(first["endTimeUnixNano"]), "1735207200124956789");
  auto span_attributes = first["attributes"].get_array();
  ASSERT_EQ(span_attributes.size(), 4U);
  EXPECT_EQ(std::string_view(span_attributes.at(0)["value"]["stringValue"]), "raw \"data\"\n");
  EXPECT_EQ(std::string_view(span_attributes.at(1)["value"]["intValue"]), "9007199254740993");
  EXPECT_EQ(double(span_attributes.at(2)["value"]["doubleValue"]), 72.5);
  EXPECT_EQ(bool(span_attributes.at(3)["value"]["boolValue"]), true);
  EXPECT_TRUE(first["status"].error() == simdjson::NO_SUCH_FIELD);

  auto second = spans.at(1);
  EXPECT_EQ(std::string_view(second["traceId"]), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(std::string_view(second["spanId"]), "000000000000002a");
  EXPECT_EQ(std::string_view(second["parentSpanId"]), "00f067aa0ba902b7");
  EXPECT_EQ(int64_t(second["kind"]), 5);  // SPAN_KIND_CONSUMER
  EXPECT_EQ(int64_t(second["status"]["code"]), 2);  // STATUS_CODE_ERROR
  EXPECT_EQ(std::string_view(second["status"]["message"]), "dead-lettered");
}

// --- the Tracer ---------------------------------------------------------------------

// Records what it is sent; can hold the export thread inside send() until
// released, and can fail.
class FakeTransport final : public Transport {
 public:
  struct State {
    std::mutex mutex;
    std::condition_variable changed;
    bool hold = false;
    bool inside = false;
    bool fail = false;
    std::vector<std::string> bodies;
  };
  explicit FakeTransport(std::shared_ptr<State> state) : state_(std::move(state)) {}

  Status send(const std::string& body, std::chrono::milliseconds timeout) override {
    std::unique_lock lock(state_->mutex);
    state_->inside = true;
    state_->changed.notify_all();
    // Like a real request, gives up when the timeout passes.
    state_->changed.wait_for(lock, timeout, [this] { return !state_->hold; });
    state_->inside = false;
    state_->bodies.push_back(body);
    if (state_->fail || state_->hold) return Error(ErrorKind::kRetriable, "fake receiver down");
    return Status::success();
  }

 private:
  std::shared_ptr<State> state_;
};

size_t spans_in(const std::vector<std::string>& bodies) {
  simdjson::dom::parser parser;
  size_t total = 0;
  for (const auto& body : bodies) {
    simdjson::dom::element doc = parser.parse(body);
    total += simdjson::dom::array(doc["resourceSpans"].at(0)["scopeSpans"].at(0)["spans"]).size();
  }
  return total;
}

TracerConfig test_config() {
  TracerConfig config;
  config.endpoint = "http://127.0.0.1:1/v1/traces";  // unused: the fake transport sends nowhere
  config.service_name = "edgestream-test";
  config.sampler = SamplerKind::kAlwaysOn;
  config.schedule_delay = 1h;  // exports happen only when a batch fills or at shutdown
  return config;
}

SpanData some_span() {
  SpanData span;
  span.context = SpanContext{TraceId{1, 2}, SpanId{3}, kSampledFlag};
  span.name = "s";
  return span;
}

TEST(Tracer, DropsAndCountsWhenTheQueueIsFullAndNeverBlocks) {
  auto state = std::make_shared<FakeTransport::State>();
  state->hold = true;
  TracerConfig config = test_config();
  config.max_queue_size = 4;
  config.max_export_batch_size = 2;
  prometheus::Registry registry;
  auto tracer = Tracer::create(config, "test", &registry, std::make_unique<FakeTransport>(state));

  // A full batch wakes the exporter, which takes both spans and is held in send().
  tracer->record(some_span());
  tracer->record(some_span());
  {
    std::unique_lock lock(state->mutex);
    ASSERT_TRUE(state->changed.wait_for(lock, 10s, [&] { return state->inside; }));
  }
  // The queue is empty again: four fit, the next three are dropped at once.
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 7; ++i) tracer->record(some_span());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);  // no waiting on the held exporter
  EXPECT_EQ(tracer->counts().dropped, 3U);

  {
    std::lock_guard lock(state->mutex);
    state->hold = false;
  }
  state->changed.notify_all();
  tracer->shutdown();
  TracerCounts counts = tracer->counts();
  EXPECT_EQ(counts.exported, 6U);
  EXPECT_EQ(counts.dropped, 3U);
  EXPECT_EQ(counts.failed, 0U);
  EXPECT_EQ(spans_in(state->bodies), 6U);

  auto value = [&](const std::string& outcome) {
    for (const auto& family : registry.Collect()) {
      if (family.name != "edgestream_test_spans_total") continue;
      for (const auto& metric : family.metric) {
        for (const auto& label : metric.label) {
          if (label.name == "outcome" && label.value == outcome) return metric.counter.value;
        }
      }
    }
    return -1.0;
  };
  EXPECT_EQ(value("exported"), 6.0);
  EXPECT_EQ(value("dropped"), 3.0);
  EXPECT_EQ(value("failed"), 0.0);
}

TEST(Tracer, ShutdownIsBoundedWhenTheReceiverHangs) {
  auto state = std::make_shared<FakeTransport::State>();
  state->hold = true;  // every send waits for its whole timeout, then fails
  TracerConfig config = test_config();
  config.max_export_batch_size = 1;
  config.shutdown_timeout = 300ms;
  config.export_timeout = 1s;
  auto tracer = Tracer::create(config, "", nullptr, std::make_unique<FakeTransport>(state));
  for (int i = 0; i < 5; ++i) tracer->record(some_span());
  auto start = std::chrono::steady_clock::now();
  tracer->shutdown();
  auto took = std::chrono::steady_clock::now() - start;
  // A send already running keeps its own timeout (1 s); what follows shares
  // the 300 ms shutdown deadline.
  EXPECT_LT(took, 3s);
  TracerCounts counts = tracer->counts();
  EXPECT_EQ(counts.exported, 0U);
  EXPECT_EQ(counts.failed + counts.dropped, 5U);  // every span accounted for
}

TEST(Tracer, CountsFailedExports) {
  auto state = std::make_shared<FakeTransport::State>();
  state->fail = true;
  auto tracer = Tracer::create(test_config(), "", nullptr, std::make_unique<FakeTransport>(state));
  for (int i = 0; i < 3; ++i) tracer->record(some_span());
  tracer->shutdown();
  EXPECT_EQ(tracer->counts().failed, 3U);
  EXPECT_EQ(tracer->counts().exported, 0U);
}

TEST(Tracer, SpansLinkToTheirParentAndIdsAreFreshAndNonZero) {
  auto state = std::make_shared<FakeTransport::State>();
  auto tracer = Tracer::create(test_config(), "", nullptr, std::make_unique<FakeTransport>(state));
  std::set<uint64_t> span_ids;
  std::set<std::pair<uint64_t, uint64_t>> trace_ids;
  for (int i = 0; i < 1000; ++i) {
    Span root = tracer->start_span("root", SpanKind::kProducer, std::nullopt);
    ASSERT_TRUE(root.recording());
    const SpanContext parent = root.context();
    EXPECT_TRUE(parent.trace_id.valid());
    EXPECT_TRUE(parent.span_id.valid());
    EXPECT_TRUE(parent.sampled());
    Span child = tracer->start_span("child", SpanKind::kConsumer, parent);
    ASSERT_TRUE(child.recording());
    EXPECT_EQ(child.context().trace_id, parent.trace_id);
    EXPECT_NE(child.context().span_id, parent.span_id);
    span_ids.insert(parent.span_id.value);
    span_ids.insert(child.context().span_id.value);
    trace_ids.insert({parent.trace_id.high, parent.trace_id.low});
  }
  EXPECT_EQ(span_ids.size(), 2000U);
  EXPECT_EQ(trace_ids.size(), 1000U);
  tracer->shutdown();
  EXPECT_EQ(tracer->counts().exported, 2000U);

  // The exported child names its parent.
  simdjson::dom::parser parser;
  bool found_child = false;
  for (const auto& body : state->bodies) {
    for (simdjson::dom::element span : parser.parse(body)["resourceSpans"].at(0)["scopeSpans"].at(0)["spans"]) {
      if (std::string_view(span["name"]) == "child") {
        found_child = true;
        EXPECT_EQ(std::string_view(span["parentSpanId"]).size(), 16U);
      }
    }
  }
  EXPECT_TRUE(found_child);
}

TEST(Tracer, UnsampledParentsAndDisabledTracersRecordNothing) {
  auto disabled = Tracer::disabled();
  EXPECT_FALSE(disabled->enabled());
  EXPECT_FALSE(disabled->start_span("x", SpanKind::kInternal, std::nullopt).recording());
  disabled->record(some_span());
  EXPECT_EQ(disabled->counts().dropped, 0U);

  auto state = std::make_shared<FakeTransport::State>();
  TracerConfig config = test_config();
  config.sampler = SamplerKind::kParentBasedTraceIdRatio;
  config.sampler_ratio = 0.0;
  auto tracer = Tracer::create(config, "", nullptr, std::make_unique<FakeTransport>(state));
  EXPECT_FALSE(tracer->start_span("root", SpanKind::kProducer, std::nullopt).recording());
  SpanContext unsampled{TraceId{1, 2}, SpanId{3}, 0};
  EXPECT_FALSE(tracer->start_span("child", SpanKind::kConsumer, unsampled).recording());
  SpanContext sampled{TraceId{1, 2}, SpanId{3}, kSampledFlag};
  EXPECT_TRUE(tracer->start_span("child", SpanKind::kConsumer, sampled).recording());

  // The same decisions without a Span, for spans built later.
  EXPECT_FALSE(tracer->sample());
  EXPECT_FALSE(tracer->sample(unsampled));
  auto child = tracer->sample(sampled);
  ASSERT_TRUE(child);
  EXPECT_EQ(child->trace_id, sampled.trace_id);
  EXPECT_TRUE(child->span_id.valid());
  EXPECT_NE(child->span_id, sampled.span_id);
  EXPECT_TRUE(child->sampled());
}

TEST(Tracer, DisabledWhenConfiguredWithoutEndpoint) {
  auto tracer = Tracer::create(TracerConfig{}, "test", nullptr);
  ASSERT_TRUE(tracer);
  EXPECT_FALSE(tracer.value()->enabled());
}

}  // namespace
}  // namespace edgestream::tracing
