#include "thrift_compact.h"

#include <cassert>

namespace edgestream::parquet::thrift {

void append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void CompactWriter::begin_struct() {
  enclosing_last_ids_.push_back(last_id_);
  last_id_ = 0;
}

void CompactWriter::end_struct() {
  assert(!enclosing_last_ids_.empty() && "end_struct without begin_struct is a caller bug");
  out_.push_back('\0');  // STOP
  last_id_ = enclosing_last_ids_.back();
  enclosing_last_ids_.pop_back();
}

void CompactWriter::field_header(std::int16_t id, CompactType type) {
  const int delta = id - last_id_;
  if (delta > 0 && delta <= 15) {
    out_.push_back(static_cast<char>((delta << 4) | static_cast<int>(type)));
  } else {
    out_.push_back(static_cast<char>(type));
    append_varint(out_, zigzag32(id));
  }
  last_id_ = id;
}

void CompactWriter::field_i16(std::int16_t id, std::int16_t value) {
  field_header(id, CompactType::kI16);
  append_varint(out_, zigzag32(value));
}

void CompactWriter::field_i32(std::int16_t id, std::int32_t value) {
  field_header(id, CompactType::kI32);
  append_varint(out_, zigzag32(value));
}

void CompactWriter::field_i64(std::int16_t id, std::int64_t value) {
  field_header(id, CompactType::kI64);
  append_varint(out_, zigzag64(value));
}

void CompactWriter::field_bool(std::int16_t id, bool value) {
  field_header(id, value ? CompactType::kBoolTrue : CompactType::kBoolFalse);
}

void CompactWriter::field_binary(std::int16_t id, std::string_view value) {
  field_header(id, CompactType::kBinary);
  element_binary(value);
}

void CompactWriter::begin_field_struct(std::int16_t id) {
  field_header(id, CompactType::kStruct);
  begin_struct();
}

void CompactWriter::begin_field_list(std::int16_t id, CompactType element_type, std::size_t size) {
  field_header(id, CompactType::kList);
  const int type = static_cast<int>(element_type);
  if (size < 15) {
    out_.push_back(static_cast<char>((static_cast<int>(size) << 4) | type));
  } else {
    out_.push_back(static_cast<char>(0xF0 | type));
    append_varint(out_, size);
  }
}

void CompactWriter::element_i32(std::int32_t value) { append_varint(out_, zigzag32(value)); }

void CompactWriter::element_binary(std::string_view value) {
  append_varint(out_, value.size());
  out_.append(value);
}

}  // namespace edgestream::parquet::thrift
