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

// --- reader -------------------------------------------------------------------

std::uint8_t CompactReader::read_byte() {
  if (!ok_ || pos_ >= in_.size()) {
    ok_ = false;
    return 0;
  }
  return static_cast<std::uint8_t>(in_[pos_++]);
}

std::uint64_t CompactReader::read_varint() {
  std::uint64_t value = 0;
  // A 64-bit value needs at most 10 bytes of 7 bits.
  for (int shift = 0; shift < 70; shift += 7) {
    const std::uint8_t byte = read_byte();
    if (!ok_) return 0;
    value |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  ok_ = false;
  return 0;
}

std::int64_t CompactReader::read_i64() {
  const std::uint64_t raw = read_varint();
  return static_cast<std::int64_t>(raw >> 1) ^ -static_cast<std::int64_t>(raw & 1);
}

std::string_view CompactReader::read_binary() {
  const std::uint64_t size = read_varint();
  if (!ok_ || size > in_.size() - pos_) {
    ok_ = false;
    return {};
  }
  std::string_view out = in_.substr(pos_, static_cast<std::size_t>(size));
  pos_ += static_cast<std::size_t>(size);
  return out;
}

bool CompactReader::next_field(std::int16_t& id, CompactType& type) {
  const std::uint8_t header = read_byte();
  if (!ok_ || header == 0) return false;  // STOP
  const int type_bits = header & 0x0F;
  const int delta = header >> 4;
  if (type_bits < static_cast<int>(CompactType::kBoolTrue) ||
      type_bits > static_cast<int>(CompactType::kStruct)) {
    ok_ = false;
    return false;
  }
  type = static_cast<CompactType>(type_bits);
  if (delta != 0) {
    id = static_cast<std::int16_t>(last_id_ + delta);
  } else {
    id = static_cast<std::int16_t>(read_i64());
  }
  last_id_ = id;
  last_bool_ = type == CompactType::kBoolTrue;
  return ok_;
}

void CompactReader::begin_struct() {
  if (enclosing_last_ids_.size() >= kMaxDepth) {
    ok_ = false;
    return;
  }
  enclosing_last_ids_.push_back(last_id_);
  last_id_ = 0;
}

void CompactReader::end_struct() {
  if (enclosing_last_ids_.empty()) {
    ok_ = false;
    return;
  }
  last_id_ = enclosing_last_ids_.back();
  enclosing_last_ids_.pop_back();
}

void CompactReader::skip(CompactType type) { skip_at_depth(type, 0); }

void CompactReader::skip_at_depth(CompactType type, int depth) {
  if (!ok_) return;
  if (depth > kMaxDepth) {
    ok_ = false;
    return;
  }
  switch (type) {
    case CompactType::kBoolTrue:
    case CompactType::kBoolFalse:
      return;  // a bool field's value is in its header
    case CompactType::kByte:
      (void)read_byte();
      return;
    case CompactType::kI16:
    case CompactType::kI32:
    case CompactType::kI64:
      (void)read_varint();
      return;
    case CompactType::kDouble:
      for (int i = 0; i < 8; ++i) (void)read_byte();
      return;
    case CompactType::kBinary:
      (void)read_binary();
      return;
    case CompactType::kList:
    case CompactType::kSet: {
      const std::uint8_t header = read_byte();
      std::uint64_t size = header >> 4;
      if (size == 15) size = read_varint();
      const int element_bits = header & 0x0F;
      if (!ok_ || element_bits < 1 || element_bits > static_cast<int>(CompactType::kStruct)) {
        ok_ = false;
        return;
      }
      // Every element takes at least one byte (bool elements too: in a list
      // they are one byte each), so a size beyond the input is damage.
      if (size > in_.size() - pos_) {
        ok_ = false;
        return;
      }
      const auto element = static_cast<CompactType>(element_bits);
      for (std::uint64_t i = 0; i < size && ok_; ++i) {
        if (element == CompactType::kBoolTrue || element == CompactType::kBoolFalse) {
          (void)read_byte();
        } else {
          skip_at_depth(element, depth + 1);
        }
      }
      return;
    }
    case CompactType::kMap: {
      const std::uint64_t size = read_varint();
      if (size == 0) return;
      const std::uint8_t types = read_byte();
      if (!ok_ || size > in_.size() - pos_) {
        ok_ = false;
        return;
      }
      const int key_bits = types >> 4;
      const int value_bits = types & 0x0F;
      if (key_bits < 1 || key_bits > 12 || value_bits < 1 || value_bits > 12) {
        ok_ = false;
        return;
      }
      // Bool keys and values of a map are one byte each, like list elements.
      auto skip_element = [&](int bits) {
        if (bits == static_cast<int>(CompactType::kBoolTrue) ||
            bits == static_cast<int>(CompactType::kBoolFalse)) {
          (void)read_byte();
        } else {
          skip_at_depth(static_cast<CompactType>(bits), depth + 1);
        }
      };
      for (std::uint64_t i = 0; i < size && ok_; ++i) {
        skip_element(key_bits);
        skip_element(value_bits);
      }
      return;
    }
    case CompactType::kStruct: {
      begin_struct();
      std::int16_t id = 0;
      CompactType field_type{};
      while (ok_ && next_field(id, field_type)) skip_at_depth(field_type, depth + 1);
      end_struct();
      return;
    }
  }
  ok_ = false;  // a type value outside the enum: damaged input
}

}  // namespace edgestream::parquet::thrift
