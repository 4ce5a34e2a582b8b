#include "edgestream/common/tracing.h"

#include <curl/curl.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <random>
#include <sstream>

#include "edgestream/common/json_text.h"
#include "edgestream/common/log.h"

namespace edgestream::tracing {
namespace {

const Logger kLog("tracing");

// Export failures are logged at most this often (plus the first one), with
// the number of failed batches in between, so a receiver that is down for an
// hour costs a few log lines, not thousands.
constexpr std::chrono::seconds kFailureLogInterval{60};

constexpr char kHexDigits[] = "0123456789abcdef";

void append_hex(std::string& out, uint64_t value) {
  for (int shift = 60; shift >= 0; shift -= 4) out += kHexDigits[(value >> shift) & 0xF];
}

// Lower-case hex only: W3C Trace Context forbids upper case in traceparent.
bool parse_hex(std::string_view text, uint64_t& out) {
  uint64_t value = 0;
  for (char c : text) {
    uint64_t digit = 0;
    if (c >= '0' && c <= '9') digit = static_cast<uint64_t>(c - '0');
    else if (c >= 'a' && c <= 'f') digit = static_cast<uint64_t>(c - 'a' + 10);
    else return false;
    value = (value << 4) | digit;
  }
  out = value;
  return true;
}

// xoshiro256** (public-domain algorithm by Blackman and Vigna): fast, good
// enough for identifiers that need to be unique, not secret. One per thread,
// seeded from the OS, so id generation takes no lock.
class IdGenerator {
 public:
  IdGenerator() {
    std::random_device device;
    for (auto& word : state_) {
      word = (static_cast<uint64_t>(device()) << 32) ^ device();
    }
    if ((state_[0] | state_[1] | state_[2] | state_[3]) == 0) state_[0] = 1;  // all-zero never advances
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  uint64_t next_nonzero() {
    uint64_t value = 0;
    while (value == 0) value = next();
    return value;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> state_{};
};

IdGenerator& ids() {
  thread_local IdGenerator generator;
  return generator;
}

uint64_t unix_nanos(std::chrono::system_clock::time_point time) {
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
  return nanos > 0 ? static_cast<uint64_t>(nanos) : 0;
}

void append_attribute(std::string& out, const Attribute& attribute) {
  out += "{\"key\":";
  append_json_string(out, attribute.key);
  out += ",\"value\":{";
  std::visit(
      [&out](const auto& value) {
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::string>) {
          out += "\"stringValue\":";
          append_json_string(out, value);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          // int64 is a string in proto3 JSON: JavaScript numbers lose precision past 2^53.
          out += "\"intValue\":\"";
          out += std::to_string(value);
          out += '"';
        } else if constexpr (std::is_same_v<T, double>) {
          out += "\"doubleValue\":";
          append_json_number(out, value);
        } else {
          out += "\"boolValue\":";
          out += value ? "true" : "false";
        }
      },
      attribute.value);
  out += "}}";
}

// --- environment parsing ----------------------------------------------------

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trim(std::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

// W3C Baggage-style percent-decoding, as OTEL_EXPORTER_OTLP_HEADERS and
// OTEL_RESOURCE_ATTRIBUTES use it.
std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;  // '%' needs two hex digits after it
    unsigned value = 0;
    auto [end, error] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (error != std::errc() || end != text.data() + i + 3) return std::nullopt;
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

// "k1=v1,k2=v2" into pairs (values percent-decoded); an entry without '='
// or with an empty key is an error naming the variable (not its value: a
// headers variable may hold a credential).
Result<std::vector<std::pair<std::string, std::string>>> parse_pairs(const char* variable,
                                                                     std::string_view text) {
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view entry = text.substr(start, comma - start);
    start = comma + 1;
    if (trim(entry).empty()) continue;
    size_t equals = entry.find('=');
    std::string key = equals == std::string_view::npos ? std::string() : trim(entry.substr(0, equals));
    auto value = equals == std::string_view::npos ? std::nullopt
                                                  : percent_decode(trim(entry.substr(equals + 1)));
    if (key.empty() || !value) {
      return Error(ErrorKind::kInvalidConfig,
                   std::string(variable) + " has an entry that is not key=value (values percent-encoded); "
                                           "fix the variable or unset it");
    }
    pairs.emplace_back(std::move(key), std::move(*value));
  }
  return pairs;
}

template <typename T>
Result<T> parse_number(const char* variable, const std::string& text, T min, T max) {
  T value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !(value >= min && value <= max)) {
    return Error(ErrorKind::kInvalidConfig, std::string(variable) + "='" + text +
                                                "' is not a number within " + std::to_string(min) +
                                                ".." + std::to_string(max));
  }
  return value;
}

// The traces-specific variable wins over the generic one.
std::optional<std::string> either(const EnvLookup& lookup, const char* specific, const char* generic,
                                  const char** used) {
  if (auto value = lookup(specific); value && !trim(*value).empty()) {
    *used = specific;
    return trim(*value);
  }
  if (auto value = lookup(generic); value && !trim(*value).empty()) {
    *used = generic;
    return trim(*value);
  }
  return std::nullopt;
}

std::string redact_userinfo(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t host = scheme + 3;
  size_t slash = url.find('/', host);
  size_t at = url.rfind('@', slash == std::string::npos ? url.size() : slash);
  if (at == std::string::npos || at < host) return url;
  return url.substr(0, host) + "***@" + url.substr(at + 1);
}

// --- HTTP transport ----------------------------------------------------------

struct CurlDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;
using CurlList = std::unique_ptr<curl_slist, SlistDeleter>;

size_t keep_start_of_body(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  // The start of an error body is enough for a log line.
  constexpr size_t kKeep = 512;
  size_t bytes = size * count;
  if (body->size() < kKeep) body->append(data, std::min(bytes, kKeep - body->size()));
  return bytes;
}

class HttpTransport final : public Transport {
 public:
  HttpTransport(std::string endpoint, CurlHandle handle, CurlList headers, std::string ca_file)
      : endpoint_(std::move(endpoint)), handle_(std::move(handle)), headers_(std::move(headers)),
        ca_file_(std::move(ca_file)) {}

  Status send(const std::string& body, std::chrono::milliseconds timeout) override {
    CURL* curl = handle_.get();
    // The handle is reused (its connection stays open between batches);
    // options are set again each time because reset clears them.
    curl_easy_reset(curl);
    std::string response;
    curl_easy_setopt(curl, CURLOPT_URL, endpoint_.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM from a worker thread
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers_.get());
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(1, timeout.count())));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::max<int64_t>(1, std::min<int64_t>(timeout.count(), 5'000))));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_start_of_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!ca_file_.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file_.c_str());
    std::array<char, CURL_ERROR_SIZE> error_text{};
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text.data());

    CURLcode code = curl_easy_perform(curl);
    if (code != CURLE_OK) {
      std::string detail = error_text[0] != '\0' ? error_text.data() : curl_easy_strerror(code);
      return Error(ErrorKind::kRetriable, "POST " + redact_userinfo(endpoint_) + ": " + detail +
                                              "; is the OTLP receiver running and reachable?");
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
      return Error(status == 429 || status >= 500 ? ErrorKind::kRetriable : ErrorKind::kInvalidInput,
                   "POST " + redact_userinfo(endpoint_) + ": HTTP " + std::to_string(status) + " " +
                       response + "; check the endpoint path (…/v1/traces) and the receiver's log");
    }
    return Status::success();
  }

 private:
  std::string endpoint_;
  CurlHandle handle_;
  CurlList headers_;
  std::string ca_file_;
};

}  // namespace

// --- identities ------------------------------------------------------------------

std::string to_hex(TraceId id) {
  std::string out;
  out.reserve(32);
  append_hex(out, id.high);
  append_hex(out, id.low);
  return out;
}

std::string to_hex(SpanId id) {
  std::string out;
  out.reserve(16);
  append_hex(out, id.value);
  return out;
}

std::optional<SpanContext> parse_traceparent(std::string_view text) {
  // version "-" trace-id "-" parent-id "-" flags: 2+1+32+1+16+1+2 characters.
  constexpr size_t kLength = 55;
  if (text.size() < kLength) return std::nullopt;
  uint64_t version = 0;
  if (!parse_hex(text.substr(0, 2), version) || version == 0xff) return std::nullopt;
  // Version 00 has exactly four fields; a later version may append more after
  // a '-', and a receiver reads the four it knows.
  if (version == 0 ? text.size() != kLength : (text.size() > kLength && text[kLength] != '-')) {
    return std::nullopt;
  }
  if (text[2] != '-' || text[35] != '-' || text[52] != '-') return std::nullopt;
  SpanContext context;
  uint64_t flags = 0;
  if (!parse_hex(text.substr(3, 16), context.trace_id.high) ||
      !parse_hex(text.substr(19, 16), context.trace_id.low) ||
      !parse_hex(text.substr(36, 16), context.span_id.value) || !parse_hex(text.substr(53, 2), flags)) {
    return std::nullopt;
  }
  if (!context.trace_id.valid() || !context.span_id.valid()) return std::nullopt;
  context.flags = static_cast<uint8_t>(flags);
  return context;
}

std::string format_traceparent(const SpanContext& context) {
  std::string out;
  out.reserve(55);
  out += "00-";
  append_hex(out, context.trace_id.high);
  append_hex(out, context.trace_id.low);
  out += '-';
  append_hex(out, context.span_id.value);
  out += '-';
  out += kHexDigits[(context.flags >> 4) & 0xF];
  out += kHexDigits[context.flags & 0xF];
  return out;
}

std::optional<SpanContext> extract(const rd_kafka_message_t& message) {
  rd_kafka_headers_t* headers = nullptr;
  // Records without headers (every unsampled one) end here.
  if (rd_kafka_message_headers(&message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, kTraceparentHeader, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      value == nullptr) {
    return std::nullopt;
  }
  return parse_traceparent(std::string_view(static_cast<const char*>(value), size));
}

void inject(rd_kafka_headers_t* headers, const SpanContext& context) {
  std::string text = format_traceparent(context);
  rd_kafka_header_add(headers, kTraceparentHeader, -1, text.data(), static_cast<ssize_t>(text.size()));
}

// --- sampling ----------------------------------------------------------------

const char* to_string(SamplerKind kind) {
  switch (kind) {
    case SamplerKind::kAlwaysOn: return "always_on";
    case SamplerKind::kAlwaysOff: return "always_off";
    case SamplerKind::kTraceIdRatio: return "traceidratio";
    case SamplerKind::kParentBasedAlwaysOn: return "parentbased_always_on";
    case SamplerKind::kParentBasedAlwaysOff: return "parentbased_always_off";
    case SamplerKind::kParentBasedTraceIdRatio: return "parentbased_traceidratio";
  }
  return "?";
}

Sampler::Sampler(SamplerKind kind, double ratio) : kind_(kind), ratio_(std::clamp(ratio, 0.0, 1.0)) {
  // 2^64 as a double is exact; ratio x 2^64 below it fits in 64 bits.
  constexpr double kTwoTo64 = 18446744073709551616.0;
  double scaled = ratio_ * kTwoTo64;
  if (ratio_ >= 1.0 || scaled >= kTwoTo64) {
    all_ = true;
  } else {
    threshold_ = static_cast<uint64_t>(scaled);
  }
}

bool Sampler::ratio_says_yes(uint64_t low_bits) const { return all_ || low_bits < threshold_; }

bool Sampler::sample_root(uint64_t low_bits) const {
  switch (kind_) {
    case SamplerKind::kAlwaysOn:
    case SamplerKind::kParentBasedAlwaysOn:
      return true;
    case SamplerKind::kAlwaysOff:
    case SamplerKind::kParentBasedAlwaysOff:
      return false;
    case SamplerKind::kTraceIdRatio:
    case SamplerKind::kParentBasedTraceIdRatio:
      return ratio_says_yes(low_bits);
  }
  return false;
}

bool Sampler::should_sample(TraceId trace_id, const std::optional<SpanContext>& parent) const {
  switch (kind_) {
    case SamplerKind::kParentBasedAlwaysOn:
    case SamplerKind::kParentBasedAlwaysOff:
    case SamplerKind::kParentBasedTraceIdRatio:
      if (parent) return parent->sampled();
      return sample_root(trace_id.low);
    case SamplerKind::kAlwaysOn:
    case SamplerKind::kAlwaysOff:
    case SamplerKind::kTraceIdRatio:
      return sample_root(trace_id.low);
  }
  return false;
}

// --- configuration -----------------------------------------------------------

std::optional<std::string> process_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

Result<TracerConfig> config_from_env(std::string_view component, const EnvLookup& lookup) {
  TracerConfig config;
  auto invalid = [](std::string message) { return Error(ErrorKind::kInvalidConfig, std::move(message)); };
  auto get = [&lookup](const char* name) -> std::optional<std::string> {
    auto value = lookup(name);
    if (!value) return std::nullopt;
    std::string trimmed = trim(*value);
    if (trimmed.empty()) return std::nullopt;  // set but empty counts as unset, as the specification says
    return trimmed;
  };

  if (auto disabled = get("OTEL_SDK_DISABLED"); disabled && lower(*disabled) == "true") return config;
  if (auto exporter = get("OTEL_TRACES_EXPORTER")) {
    std::string name = lower(*exporter);
    if (name == "none") return config;
    if (name != "otlp") {
      return invalid("OTEL_TRACES_EXPORTER='" + *exporter + "' is not supported; use otlp or none");
    }
  }

  const char* used = nullptr;
  if (auto endpoint = get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
    config.endpoint = *endpoint;  // used as it is
    used = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
  } else if (auto base = get("OTEL_EXPORTER_OTLP_ENDPOINT")) {
    config.endpoint = *base + (base->back() == '/' ? "v1/traces" : "/v1/traces");
    used = "OTEL_EXPORTER_OTLP_ENDPOINT";
  } else {
    return config;  // no endpoint: tracing stays off
  }
  std::string scheme = lower(config.endpoint.substr(0, config.endpoint.find("://") + 3));
  if (scheme != "http://" && scheme != "https://") {
    return invalid(std::string(used) + " must be an http:// or https:// URL of an OTLP/HTTP receiver");
  }

  if (auto protocol = either(lookup, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL", &used)) {
    // OTLP/HTTP receivers take both encodings on the same path; this
    // exporter writes JSON. gRPC is a different transport it does not speak.
    if (*protocol != "http/json" && *protocol != "http/protobuf") {
      return invalid(std::string(used) + "='" + *protocol +
                     "' is not supported; this exporter speaks OTLP/HTTP (http/json), usually port 4318");
    }
  }

  std::string default_name = "edgestream-" + std::string(component);
  if (auto attributes = get("OTEL_RESOURCE_ATTRIBUTES")) {
    auto pairs = parse_pairs("OTEL_RESOURCE_ATTRIBUTES", *attributes);
    if (!pairs) return pairs.error();
    for (auto& [key, value] : pairs.value()) {
      if (key == "service.name") default_name = value;  // OTEL_SERVICE_NAME still wins
      else config.resource_attributes.emplace_back(key, value);
    }
  }
  config.service_name = get("OTEL_SERVICE_NAME").value_or(default_name);

  if (auto sampler = get("OTEL_TRACES_SAMPLER")) {
    static constexpr std::array kKinds{SamplerKind::kAlwaysOn,           SamplerKind::kAlwaysOff,
                                       SamplerKind::kTraceIdRatio,       SamplerKind::kParentBasedAlwaysOn,
                                       SamplerKind::kParentBasedAlwaysOff, SamplerKind::kParentBasedTraceIdRatio};
    auto found = std::find_if(kKinds.begin(), kKinds.end(),
                              [&](SamplerKind kind) { return lower(*sampler) == to_string(kind); });
    if (found == kKinds.end()) {
      return invalid("OTEL_TRACES_SAMPLER='" + *sampler +
                     "' is not one of always_on, always_off, traceidratio, parentbased_always_on, "
                     "parentbased_always_off, parentbased_traceidratio");
    }
    config.sampler = *found;
  }
  if (auto ratio = get("OTEL_TRACES_SAMPLER_ARG")) {
    auto value = parse_number<double>("OTEL_TRACES_SAMPLER_ARG", *ratio, 0.0, 1.0);
    if (!value) return value.error();
    config.sampler_ratio = value.value();
  }

  if (auto headers = get("OTEL_EXPORTER_OTLP_HEADERS")) {
    auto pairs = parse_pairs("OTEL_EXPORTER_OTLP_HEADERS", *headers);
    if (!pairs) return pairs.error();
    config.headers = std::move(pairs).value();
  }
  if (auto headers = get("OTEL_EXPORTER_OTLP_TRACES_HEADERS")) {
    auto pairs = parse_pairs("OTEL_EXPORTER_OTLP_TRACES_HEADERS", *headers);
    if (!pairs) return pairs.error();
    for (auto& [key, value] : pairs.value()) {
      // A named copy: clang 14 cannot capture a structured binding.
      const std::string wanted = lower(key);
      auto same = [&wanted](const auto& entry) { return lower(entry.first) == wanted; };
      config.headers.erase(std::remove_if(config.headers.begin(), config.headers.end(), same),
                           config.headers.end());
      config.headers.emplace_back(std::move(key), std::move(value));
    }
  }
  if (auto ca = either(lookup, "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "OTEL_EXPORTER_OTLP_CERTIFICATE", &used)) {
    config.ca_file = *ca;
  }
  // Milliseconds, 1 ms .. 1 hour: anything longer is a mistake, not a setting.
  constexpr int64_t kMaxMillis = 3'600'000;
  if (auto timeout = either(lookup, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT", &used)) {
    auto value = parse_number<int64_t>(used, *timeout, 1, kMaxMillis);
    if (!value) return value.error();
    config.export_timeout = std::chrono::milliseconds(value.value());
  }
  if (auto delay = get("OTEL_BSP_SCHEDULE_DELAY")) {
    auto value = parse_number<int64_t>("OTEL_BSP_SCHEDULE_DELAY", *delay, 1, kMaxMillis);
    if (!value) return value.error();
    config.schedule_delay = std::chrono::milliseconds(value.value());
  }
  if (auto timeout = get("OTEL_BSP_EXPORT_TIMEOUT")) {
    auto value = parse_number<int64_t>("OTEL_BSP_EXPORT_TIMEOUT", *timeout, 1, kMaxMillis);
    if (!value) return value.error();
    config.export_timeout = std::chrono::milliseconds(value.value());
  }
  // A million queued spans is far beyond any sane setting (and ~1 GB).
  constexpr size_t kMaxQueue = 1'000'000;
  if (auto size = get("OTEL_BSP_MAX_QUEUE_SIZE")) {
    auto value = parse_number<size_t>("OTEL_BSP_MAX_QUEUE_SIZE", *size, 1, kMaxQueue);
    if (!value) return value.error();
    config.max_queue_size = value.value();
  }
  if (auto size = get("OTEL_BSP_MAX_EXPORT_BATCH_SIZE")) {
    auto value = parse_number<size_t>("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", *size, 1, kMaxQueue);
    if (!value) return value.error();
    config.max_export_batch_size = value.value();
  }
  if (config.max_export_batch_size > config.max_queue_size) {
    return invalid("OTEL_BSP_MAX_EXPORT_BATCH_SIZE (" + std::to_string(config.max_export_batch_size) +
                   ") must not exceed OTEL_BSP_MAX_QUEUE_SIZE (" + std::to_string(config.max_queue_size) + ")");
  }
  return config;
}

// --- encoding --------------------------------------------------------------------

std::string encode_otlp_json(std::string_view service_name,
                             const std::vector<std::pair<std::string, std::string>>& resource_attributes,
                             const std::vector<SpanData>& spans) {
  std::string out;
  out.reserve(256 + spans.size() * 512);
  out += "{\"resourceSpans\":[{\"resource\":{\"attributes\":[";
  append_attribute(out, Attribute{"service.name", std::string(service_name)});
  for (const auto& [key, value] : resource_attributes) {
    out += ',';
    append_attribute(out, Attribute{key, value});
  }
  out += "]},\"scopeSpans\":[{\"scope\":{\"name\":\"edgestream\"},\"spans\":[";
  bool first = true;
  for (const SpanData& span : spans) {
    if (!first) out += ',';
    first = false;
    out += "{\"traceId\":\"";
    append_hex(out, span.context.trace_id.high);
    append_hex(out, span.context.trace_id.low);
    out += "\",\"spanId\":\"";
    append_hex(out, span.context.span_id.value);
    out += '"';
    if (span.parent.valid()) {
      out += ",\"parentSpanId\":\"";
      append_hex(out, span.parent.value);
      out += '"';
    }
    out += ",\"name\":";
    append_json_string(out, span.name);
    out += ",\"kind\":";
    out += std::to_string(static_cast<int>(span.kind));
    out += ",\"startTimeUnixNano\":\"";
    out += std::to_string(unix_nanos(span.start));
    out += "\",\"endTimeUnixNano\":\"";
    out += std::to_string(unix_nanos(span.end));
    out += "\",\"attributes\":[";
    for (size_t i = 0; i < span.attributes.size(); ++i) {
      if (i > 0) out += ',';
      append_attribute(out, span.attributes[i]);
    }
    out += ']';
    if (span.status != SpanStatus::kUnset) {
      out += ",\"status\":{\"code\":";
      out += std::to_string(static_cast<int>(span.status));
      if (!span.status_message.empty()) {
        out += ",\"message\":";
        append_json_string(out, span.status_message);
      }
      out += '}';
    }
    out += '}';
  }
  out += "]}]}]}";
  return out;
}

Result<std::unique_ptr<Transport>> make_http_transport(const TracerConfig& config) {
  // Thread-safe in libcurl >= 7.84 (Debian 12 ships 7.88); later calls are
  // reference-counted no-ops, so sharing the process with the S3 client is fine.
  if (CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
    return Error(ErrorKind::kFatal, std::string("initialising libcurl: ") + curl_easy_strerror(code));
  }
  CurlHandle handle(curl_easy_init());
  if (!handle) return Error(ErrorKind::kFatal, "curl_easy_init failed (out of memory?)");
  CurlList headers;
  auto append = [&headers](const std::string& line) -> bool {
    curl_slist* extended = curl_slist_append(headers.get(), line.c_str());
    if (extended == nullptr) return false;
    (void)headers.release();  // now owned by `extended`, the list's head
    headers.reset(extended);
    return true;
  };
  bool ok = append("Content-Type: application/json") && append("Expect:");  // no 100-continue round trip
  for (const auto& [key, value] : config.headers) ok = ok && append(key + ": " + value);
  if (!ok) return Error(ErrorKind::kFatal, "building the OTLP request headers failed (out of memory?)");
  return std::unique_ptr<Transport>(
      std::make_unique<HttpTransport>(config.endpoint, std::move(handle), std::move(headers), config.ca_file));
}

// --- Span --------------------------------------------------------------------------

Span::Span(Tracer* tracer, std::unique_ptr<SpanData> data) : tracer_(tracer), data_(std::move(data)) {}

Span& Span::operator=(Span&& other) noexcept {
  if (this != &other) {
    end();
    tracer_ = other.tracer_;
    data_ = std::move(other.data_);
  }
  return *this;
}

Span& Span::set(std::string key, AttributeValue value) {
  if (data_) data_->attributes.push_back(Attribute{std::move(key), std::move(value)});
  return *this;
}

Span& Span::set_error(std::string message) {
  if (data_) {
    data_->status = SpanStatus::kError;
    data_->status_message = std::move(message);
  }
  return *this;
}

void Span::end() {
  if (!data_) return;
  data_->end = std::chrono::system_clock::now();
  tracer_->record(std::move(*data_));
  data_.reset();
}

// --- Tracer ---------------------------------------------------------------------------

std::unique_ptr<Tracer> Tracer::disabled() {
  return std::unique_ptr<Tracer>(new Tracer(TracerConfig{}, "", nullptr, nullptr));
}

Result<std::unique_ptr<Tracer>> Tracer::create(TracerConfig config, std::string_view component,
                                               prometheus::Registry* registry) {
  std::unique_ptr<Transport> transport;
  if (config.enabled()) {
    auto made = make_http_transport(config);
    if (!made) return made.error();
    transport = std::move(made).value();
    std::ostringstream sampler;
    sampler << to_string(config.sampler);
    if (config.sampler == SamplerKind::kTraceIdRatio || config.sampler == SamplerKind::kParentBasedTraceIdRatio) {
      sampler << ' ' << config.sampler_ratio;
    }
    kLog.info("exporting spans as '", config.service_name, "' to ", redact_userinfo(config.endpoint),
              " (OTLP/HTTP JSON, sampler ", sampler.str(), ", ", config.headers.size(),
              " extra headers, values not logged)");
  }
  return create(std::move(config), component, registry, std::move(transport));
}

std::unique_ptr<Tracer> Tracer::create(TracerConfig config, std::string_view component,
                                       prometheus::Registry* registry, std::unique_ptr<Transport> transport) {
  return std::unique_ptr<Tracer>(new Tracer(std::move(config), component, registry, std::move(transport)));
}

Tracer::Tracer(TracerConfig config, std::string_view component, prometheus::Registry* registry,
               std::unique_ptr<Transport> transport)
    : config_(std::move(config)),
      enabled_(config_.enabled() && transport != nullptr),
      sampler_(config_.sampler, config_.sampler_ratio),
      transport_(std::move(transport)) {
  if (registry != nullptr && !component.empty()) {
    auto& family = prometheus::BuildCounter()
                       .Name("edgestream_" + std::string(component) + "_spans_total")
                       .Help("Trace spans by outcome: exported to the OTLP receiver, dropped "
                             "(export queue full), failed (receiver unreachable or refused)")
                       .Register(*registry);
    exported_counter_ = &family.Add({{"outcome", "exported"}});
    dropped_counter_ = &family.Add({{"outcome", "dropped"}});
    failed_counter_ = &family.Add({{"outcome", "failed"}});
  }
  if (enabled_) {
    queue_.reserve(config_.max_export_batch_size);
    exporter_ = std::thread([this] { run_exporter(); });
  }
}

Tracer::~Tracer() { shutdown(); }

std::optional<SpanContext> Tracer::sample(const std::optional<SpanContext>& parent) {
  if (!enabled_) return std::nullopt;
  if (parent) {
    if (!sampler_.should_sample(parent->trace_id, parent)) return std::nullopt;
    return SpanContext{parent->trace_id, SpanId{ids().next_nonzero()}, kSampledFlag};
  }
  uint64_t low = ids().next();
  if (!sampler_.sample_root(low)) return std::nullopt;  // the common case: no more work
  SpanContext context;
  context.trace_id = TraceId{ids().next(), low};
  if (!context.trace_id.valid()) context.trace_id.high = ids().next_nonzero();
  context.span_id = SpanId{ids().next_nonzero()};
  context.flags = kSampledFlag;
  return context;
}

Span Tracer::start_span(std::string_view name, SpanKind kind, const std::optional<SpanContext>& parent) {
  auto context = sample(parent);
  if (!context) return Span();
  auto data = std::make_unique<SpanData>();
  data->context = *context;
  if (parent) data->parent = parent->span_id;
  data->name = std::string(name);
  data->kind = kind;
  data->start = std::chrono::system_clock::now();
  return Span(this, std::move(data));
}

void Tracer::count(uint64_t TracerCounts::*field, prometheus::Counter* counter, uint64_t n) {
  // Called with mutex_ held.
  counts_.*field += n;
  if (counter != nullptr) counter->Increment(static_cast<double>(n));
}

void Tracer::record(SpanData span) {
  if (!enabled_) return;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= config_.max_queue_size) {
      count(&TracerCounts::dropped, dropped_counter_, 1);
      return;
    }
    queue_.push_back(std::move(span));
    wake = queue_.size() >= config_.max_export_batch_size;
  }
  if (wake) wake_.notify_one();
}

void Tracer::export_batch(std::vector<SpanData>& batch, std::chrono::milliseconds timeout) {
  std::string body = encode_otlp_json(config_.service_name, config_.resource_attributes, batch);
  Status status = transport_->send(body, timeout);
  std::lock_guard lock(mutex_);
  if (status) {
    count(&TracerCounts::exported, exported_counter_, batch.size());
    return;
  }
  count(&TracerCounts::failed, failed_counter_, batch.size());
  ++failures_since_log_;
  auto now = std::chrono::steady_clock::now();
  if (last_failure_log_ == std::chrono::steady_clock::time_point{} ||
      now - last_failure_log_ >= kFailureLogInterval) {
    kLog.warn("exporting ", batch.size(), " spans failed (", failures_since_log_,
              " failed batches since the last report): ", status.error().message(),
              "; tracing goes on, the data path is not affected");
    last_failure_log_ = now;
    failures_since_log_ = 0;
  }
}

void Tracer::run_exporter() {
  std::unique_lock lock(mutex_);
  std::chrono::steady_clock::time_point flush_deadline{};
  while (true) {
    if (!stopping_) {
      wake_.wait_for(lock, config_.schedule_delay,
                     [this] { return stopping_ || queue_.size() >= config_.max_export_batch_size; });
    }
    if (stopping_ && flush_deadline == std::chrono::steady_clock::time_point{}) {
      flush_deadline = std::chrono::steady_clock::now() + config_.shutdown_timeout;
    }
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    auto timeout = config_.export_timeout;
    if (stopping_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(flush_deadline -
                                                                        std::chrono::steady_clock::now());
      if (left <= std::chrono::milliseconds(0)) {
        count(&TracerCounts::dropped, dropped_counter_, queue_.size());
        queue_.clear();
        return;
      }
      timeout = std::min(timeout, left);
    }
    std::vector<SpanData> batch;
    size_t take = std::min(queue_.size(), config_.max_export_batch_size);
    if (take == queue_.size()) {
      batch.swap(queue_);
      queue_.reserve(config_.max_export_batch_size);
    } else {
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(take)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
    }
    lock.unlock();
    export_batch(batch, timeout);
    lock.lock();
  }
}

void Tracer::shutdown() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (exporter_.joinable()) exporter_.join();
  if (enabled_) {
    TracerCounts totals = counts();
    kLog.info("tracing stopped: ", totals.exported, " spans exported, ", totals.dropped, " dropped, ",
              totals.failed, " failed");
  }
}

TracerCounts Tracer::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

}  // namespace edgestream::tracing
