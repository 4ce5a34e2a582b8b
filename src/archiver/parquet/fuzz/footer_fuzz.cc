// Fuzzes the footer reader (footer.h) and with it the Thrift compact reader:
// any bytes must come back as a row count or an error with a message — never
// a crash, a read past the input, a hang or undefined behaviour. The audit
// feeds it the last bytes of whatever object sits under the archive's prefix.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "edgestream/parquet/footer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace edgestream::parquet;
  const std::string_view tail(reinterpret_cast<const char*>(data), size);
  auto needed = footer_bytes_needed(tail, size);
  if (!needed.ok() && needed.error().message().empty()) std::abort();
  auto summary = read_footer_summary(tail);
  if (!summary.ok() && summary.error().message().empty()) std::abort();
  if (summary.ok() && summary.value().num_rows < 0) std::abort();  // refused as damage
  return 0;
}
