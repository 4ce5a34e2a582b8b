#include "edgestream/contract/partial_batch.h"

#include <simdjson.h>

#include <cmath>
#include <limits>
#include <utility>

#include "edgestream/common/json_text.h"
#include "json_read.h"

namespace edgestream::contract {

namespace od = simdjson::ondemand;

namespace {

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

bool read_int(od::value& value, std::int64_t& out) { return value.get_int64().get(out) == simdjson::SUCCESS; }

bool read_time(od::value& value, EventTime& out) {
  std::int64_t ms = 0;
  if (!read_int(value, ms) || !in_epoch_millis_range(ms)) return false;
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

std::string encode_partial_batch(const PartialBatch& batch) {
  std::string out = R"({"partition":)";
  append_json_int(out, batch.partition);
  out += R"(,"watermark":)";
  append_json_int(out, batch.watermark.time_since_epoch().count());
  out += R"(,"windows":[)";
  bool first = true;
  for (const Aggregate& window : batch.windows) {
    if (!first) out += ',';
    first = false;
    out += R"({"start":)";
    append_json_int(out, window.window_start.time_since_epoch().count());
    out += R"(,"count":)";
    append_json_int(out, window.count);
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
    append_json_int(out, batch.covered_offset);
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
      std::int64_t partition = 0;
      ok = read_int(value, partition) && partition >= 0 &&
           partition <= std::numeric_limits<std::int32_t>::max();
      batch.partition = static_cast<std::int32_t>(partition);
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
          if (std::move(element_result).get(element) != simdjson::SUCCESS || !read_window(element, window)) {
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

}  // namespace edgestream::contract
