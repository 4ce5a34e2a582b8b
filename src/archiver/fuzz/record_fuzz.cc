// Fuzzes the archiver's record parser: any bytes must come back as a valid
// record or a rejection with a reason and a detail — never a crash, a hang or
// undefined behaviour — and an accepted record must satisfy what the Parquet
// rows and keys rely on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "edgestream/archiver/layout.h"
#include "edgestream/archiver/record.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace edgestream::archiver;
  static RecordParser parser;  // reused, as in the service: buffers must not leak between records
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  const ParseResult result = parser.parse(payload);
  if (!result.ok) {
    check(!result.detail.empty());
    check(std::string_view(to_string(result.reason)) != "unknown");
    return 0;
  }
  const ArchiveRecord& record = result.record;
  if (record.kind == RecordKind::kReading || record.kind == RecordKind::kDeviceAggregate) {
    check(!record.device_id.empty() && record.device_id.size() <= kMaxDeviceIdBytes);
  }
  if (record.kind != RecordKind::kReading) check(record.count >= 1);
  // Every accepted event time has a period and a key.
  const auto start = period_start_of(record.event_time, std::chrono::hours(1));
  check(start <= record.event_time && record.event_time < start + std::chrono::hours(1));
  check(!object_key("p", FileIdentity{record.kind, 0, 0, start}).empty());
  return 0;
}
