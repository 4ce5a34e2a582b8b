// libFuzzer target for every decoder of untrusted text in the processor:
// raw-data records (RecordParser), partition and merger checkpoints (offset
// commit metadata) and partial batches (the internal topic).
//
// Beyond "no crash, no sanitizer report", it checks properties:
// - a record the parser accepts is JSON by simdjson's DOM parser (which
//   validates everything), and its re-encoding parses back to the same reading;
// - a timestamp parse_rfc3339 accepts (the whole input, or a reading's) lies in
//   years 0001–9999 after normalisation and formats to text that parses back
//   to the same time (parse -> format -> parse);
// - every decoded checkpoint or batch survives encode + decode unchanged.
#include <simdjson.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "edgestream/common/timestamp.h"
#include "edgestream/processor/reading.h"
#include "edgestream/contract/partial_batch.h"
#include "edgestream/contract/reading.h"
#include "edgestream/processor/windows.h"

namespace {

using namespace edgestream;
using namespace edgestream::processor;
using contract::decode_partial_batch;
using contract::encode_partial_batch;

[[noreturn]] void fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "property violated: %s\ninput: %.*s\n", what, static_cast<int>(input.size()),
               input.data());
  std::abort();
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

void check_timestamp(std::string_view input, std::optional<EventTime> time) {
  if (!time) return;
  if (*time < kMinRfc3339Time || *time > kMaxRfc3339Time) fail("timestamp outside years 0001-9999", input);
  const std::string formatted = format_rfc3339(*time);
  if (parse_rfc3339(formatted) != time) fail("timestamp does not round-trip through format", formatted);
}

void check_record(std::string_view input) {
  static RecordParser parser;  // reused across inputs, as in production
  static RecordParser second;
  static simdjson::dom::parser dom;
  ParseResult result = parser.parse(input);
  if (!result.ok) {
    if (result.detail.empty() || to_string(result.reason) == nullptr) fail("failure without detail", input);
    return;
  }
  simdjson::padded_string padded(input);
  simdjson::dom::element root;
  auto error = dom.parse(padded).get(root);
  // The DOM parser rejects numbers beyond double range in fields we skip
  // (RFC 8259 allows that limit); anything else it rejects must not pass.
  if (error != simdjson::SUCCESS && error != simdjson::NUMBER_ERROR &&
      error != simdjson::DEPTH_ERROR) {
    fail("accepted a record that is not JSON", input);
  }
  (void)filter(result.reading);
  check_timestamp(input, result.reading.timestamp);

  std::string encoded;
  contract::encode_reading(encoded, result.reading, contract::ReadingTopic::kProcessedData);
  ParseResult again = second.parse(encoded);
  if (!again.ok) fail("re-encoded reading does not parse", encoded);
  const Reading& a = result.reading;
  const Reading& b = again.reading;
  if (a.device_id != b.device_id || a.timestamp != b.timestamp || a.status != b.status ||
      !same_bits(a.temperature, b.temperature) || !same_bits(a.humidity, b.humidity)) {
    fail("re-encoded reading differs", encoded);
  }

  // Windows must take any valid reading.
  static PartitionWindows* windows = new PartitionWindows(WindowConfig{});
  static int added = 0;
  (void)windows->add(a, added);
  (void)windows->close_ready();
  (void)decode_checkpoint(encode_checkpoint(windows->checkpoint(added + 1)));
  if (++added == 10'000) {  // bound memory across a long run
    delete windows;
    windows = new PartitionWindows(WindowConfig{});
    added = 0;
  }
}

void check_checkpoints(std::string_view input) {
  if (auto checkpoint = decode_checkpoint(input)) {
    auto again = decode_checkpoint(encode_checkpoint(*checkpoint));
    if (!again || again->replay_from != checkpoint->replay_from ||
        again->closed_before != checkpoint->closed_before ||
        again->has_watermark != checkpoint->has_watermark ||
        (checkpoint->has_watermark && again->watermark != checkpoint->watermark)) {
      fail("partition checkpoint does not round-trip", input);
    }
    // A restored instance must cope with whatever the checkpoint says.
    PartitionWindows restored(WindowConfig{}, *checkpoint);
    (void)restored.close_ready();
  }
  if (auto checkpoint = decode_merger_checkpoint(input)) {
    auto again = decode_merger_checkpoint(encode_merger_checkpoint(*checkpoint));
    if (!again || again->replay_from != checkpoint->replay_from ||
        again->finalized_before != checkpoint->finalized_before) {
      fail("merger checkpoint does not round-trip", input);
    }
  }
}

void check_batch(std::string_view input) {
  auto batch = decode_partial_batch(input);
  if (!batch) return;
  const std::string encoded = encode_partial_batch(*batch);
  auto again = decode_partial_batch(encoded);
  if (!again || again->partition != batch->partition || again->watermark != batch->watermark ||
      again->covered_offset != batch->covered_offset || again->windows.size() != batch->windows.size()) {
    fail("partial batch does not round-trip", encoded);
  }
  for (size_t i = 0; i < batch->windows.size(); ++i) {
    const Aggregate& x = batch->windows[i];
    const Aggregate& y = again->windows[i];
    if (x.window_start != y.window_start || x.count != y.count || !same_bits(x.sum, y.sum) ||
        !same_bits(x.min, y.min) || !same_bits(x.max, y.max)) {
      fail("partial batch window does not round-trip", encoded);
    }
  }
  // The merger must take any decodable batch.
  PartialMerger merger(WindowConfig{}, 4);
  merger.add(*batch, 0, SteadyTime{});
  (void)merger.take_final(SteadyTime{} + std::chrono::hours{1});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_timestamp(input, parse_rfc3339(input));
  check_record(input);
  check_checkpoints(input);
  check_batch(input);
  return 0;
}
