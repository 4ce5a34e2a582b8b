#include "edgestream/parquet/footer.h"

#include <cstring>
#include <string>

#include "thrift_compact.h"

namespace edgestream::parquet {
namespace {

constexpr std::string_view kMagic = "PAR1";
// FileMetaData field ids (parquet.thrift).
constexpr std::int16_t kFieldNumRows = 3;

Error damaged(const std::string& what) {
  return Error(ErrorKind::kInvalidInput, "not a readable Parquet footer: " + what);
}

std::uint32_t little_endian_u32(std::string_view bytes) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<std::uint8_t>(bytes[static_cast<std::size_t>(i)]);
  return value;
}

}  // namespace

Result<std::uint64_t> footer_bytes_needed(std::string_view file_tail, std::uint64_t file_size) {
  if (file_tail.size() < kFooterTrailerBytes || file_size < kFooterTrailerBytes + kMagic.size()) {
    return damaged("the file is shorter than a Parquet header and trailer");
  }
  const std::string_view trailer = file_tail.substr(file_tail.size() - kFooterTrailerBytes);
  if (trailer.substr(4) != kMagic) return damaged("the file does not end with PAR1");
  const std::uint64_t needed = std::uint64_t{little_endian_u32(trailer.substr(0, 4))} + kFooterTrailerBytes;
  // The leading "PAR1" comes before the footer.
  if (needed > file_size - kMagic.size()) {
    return damaged("footer length " + std::to_string(needed) + " exceeds the file size " +
                   std::to_string(file_size));
  }
  return needed;
}

Result<FooterSummary> read_footer_summary(std::string_view file_tail) {
  auto needed = footer_bytes_needed(file_tail, file_tail.size() + kMagic.size());
  if (!needed) return needed.error();
  if (needed.value() > file_tail.size()) {
    return damaged("needs the last " + std::to_string(needed.value()) + " bytes, got " +
                   std::to_string(file_tail.size()));
  }
  const std::string_view metadata =
      file_tail.substr(file_tail.size() - static_cast<std::size_t>(needed.value()),
                       static_cast<std::size_t>(needed.value()) - kFooterTrailerBytes);
  thrift::CompactReader reader(metadata);
  FooterSummary summary;
  bool has_num_rows = false;
  reader.begin_struct();
  std::int16_t id = 0;
  thrift::CompactType type{};
  while (reader.next_field(id, type)) {
    if (id == kFieldNumRows && type == thrift::CompactType::kI64) {
      summary.num_rows = reader.read_i64();
      has_num_rows = true;
    } else {
      reader.skip(type);
    }
  }
  if (!reader.ok()) return damaged("FileMetaData is truncated or malformed");
  if (!has_num_rows) return damaged("FileMetaData has no num_rows");
  if (summary.num_rows < 0) return damaged("FileMetaData.num_rows is negative");
  return summary;
}

}  // namespace edgestream::parquet
