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

// Reader for the same protocol, for footers written by any Parquet writer
// (this one, pyarrow, Spark): it reads the fields a caller asks for and skips
// every other value, whatever its type, so fields added by newer writers are
// ignored. Never reads past the input and never recurses deeper than
// kMaxDepth: a damaged or hostile footer makes ok() false, nothing worse.
class CompactReader {
 public:
  // Nested structs and lists deeper than this are refused (Parquet's own
  // footers nest about six levels; the bound keeps skip() off the stack limit).
  static constexpr int kMaxDepth = 64;

  explicit CompactReader(std::string_view in) : in_(in) {}

  // Reads the next field header of the current struct. Returns false at its
  // STOP byte (or on damaged input: check ok()). Bool fields carry their value
  // in the header: bool_value() returns it.
  bool next_field(std::int16_t& id, CompactType& type);
  bool bool_value() const { return last_bool_; }

  std::int64_t read_i64();  // also reads i32/i16 fields: all are zigzag varints
  std::string_view read_binary();
  // Skips one value of `type` (a whole struct, list, set or map included).
  void skip(CompactType type);
  // Enters a struct-typed field (or a struct element): next_field() then reads its fields.
  void begin_struct();
  void end_struct();  // after next_field() returned false for the struct

  bool ok() const { return ok_; }
  std::size_t position() const { return pos_; }

 private:
  std::uint64_t read_varint();
  std::uint8_t read_byte();
  void skip_at_depth(CompactType type, int depth);

  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
  bool last_bool_ = false;
  std::vector<std::int16_t> enclosing_last_ids_;
  std::int16_t last_id_ = 0;
};

}  // namespace edgestream::parquet::thrift
