// Writer for the Thrift compact protocol, the encoding of every Parquet
// footer and page header. Only what Parquet metadata needs: structs, i32, i64,
// bool, binary and lists. Written from the Thrift compact protocol spec:
//  - integers are zigzag-encoded, then written as ULEB128 varints;
//  - a field header is one byte (id delta << 4 | type) when the id grows by
//    1..15 since the previous field of the same struct, else the type byte
//    followed by the zigzag varint of the id;
//  - bools live in the field header's type nibble (1 true, 2 false);
//  - a struct ends with a STOP byte (0); lists start with (size << 4 | type)
//    when size < 15, else (0xF0 | type) followed by the varint size.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgestream::parquet::thrift {

enum class CompactType : std::uint8_t {
  kBoolTrue = 1,
  kBoolFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

void append_varint(std::string& out, std::uint64_t value);
constexpr std::uint32_t zigzag32(std::int32_t value) {
  return (static_cast<std::uint32_t>(value) << 1) ^ static_cast<std::uint32_t>(value >> 31);
}
constexpr std::uint64_t zigzag64(std::int64_t value) {
  return (static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63);
}

// Appends to a caller-owned buffer. Calls must nest like the data: every
// begin_struct/begin_field_struct is closed by end_struct; a list declared
// with n elements is followed by exactly n element writes. Misnesting is a
// bug in the caller (asserted in debug builds).
class CompactWriter {
 public:
  explicit CompactWriter(std::string& out) : out_(out) {}

  // Starts a top-level struct or a struct element of a list.
  void begin_struct();
  void end_struct();

  void field_i16(std::int16_t id, std::int16_t value);
  void field_i32(std::int16_t id, std::int32_t value);
  void field_i64(std::int16_t id, std::int64_t value);
  void field_bool(std::int16_t id, bool value);
  void field_binary(std::int16_t id, std::string_view value);
  // Starts a struct-typed field; close it with end_struct().
  void begin_field_struct(std::int16_t id);
  // Starts a list-typed field; write exactly `size` elements next.
  void begin_field_list(std::int16_t id, CompactType element_type, std::size_t size);

  void element_i32(std::int32_t value);
  void element_binary(std::string_view value);

 private:
  void field_header(std::int16_t id, CompactType type);

  std::string& out_;
  std::vector<std::int16_t> enclosing_last_ids_;
  std::int16_t last_id_ = 0;
};

}  // namespace edgestream::parquet::thrift
