// Expected bytes are worked out by hand from the Thrift compact protocol spec.
#include "thrift_compact.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace edgestream::parquet::thrift {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

std::string varint(std::uint64_t value) {
  std::string out;
  append_varint(out, value);
  return out;
}

TEST(ThriftVarint, EncodesSevenBitsPerByteLeastSignificantFirst) {
  EXPECT_EQ(varint(0), bytes({0x00}));
  EXPECT_EQ(varint(1), bytes({0x01}));
  EXPECT_EQ(varint(127), bytes({0x7F}));
  EXPECT_EQ(varint(128), bytes({0x80, 0x01}));
  EXPECT_EQ(varint(300), bytes({0xAC, 0x02}));
  EXPECT_EQ(varint(std::uint64_t{1} << 32), bytes({0x80, 0x80, 0x80, 0x80, 0x10}));
  EXPECT_EQ(varint(std::numeric_limits<std::uint64_t>::max()),
            bytes({0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
}

TEST(ThriftZigzag, MapsSignedToUnsignedAlternating) {
  EXPECT_EQ(zigzag32(0), 0u);
  EXPECT_EQ(zigzag32(-1), 1u);
  EXPECT_EQ(zigzag32(1), 2u);
  EXPECT_EQ(zigzag32(-2), 3u);
  EXPECT_EQ(zigzag32(std::numeric_limits<std::int32_t>::max()), 0xFFFFFFFEu);
  EXPECT_EQ(zigzag32(std::numeric_limits<std::int32_t>::min()), 0xFFFFFFFFu);
  EXPECT_EQ(zigzag64(-3), 5u);
  EXPECT_EQ(zigzag64(std::numeric_limits<std::int64_t>::max()), 0xFFFFFFFFFFFFFFFEull);
  EXPECT_EQ(zigzag64(std::numeric_limits<std::int64_t>::min()), 0xFFFFFFFFFFFFFFFFull);
}

TEST(ThriftCompactWriter, ShortAndLongFieldHeaders) {
  std::string out;
  CompactWriter w(out);
  w.begin_struct();
  w.field_i32(1, 5);         // delta 1, type i32 (5): 0x15, zigzag(5) = 10
  w.field_binary(4, "ab");   // delta 3, type binary (8): 0x38, length 2, "ab"
  w.field_bool(20, true);    // delta 16 > 15: type byte 0x01 (true), zigzag(20) = 40
  w.field_i64(21, -1);       // delta 1, type i64 (6): 0x16, zigzag(-1) = 1
  w.field_i16(22, 300);      // delta 1, type i16 (4): 0x14, zigzag(300) = 600 = 0xD8 0x04
  w.field_bool(23, false);   // delta 1, type false (2): 0x12
  w.end_struct();            // STOP
  EXPECT_EQ(out, bytes({0x15, 0x0A, 0x38, 0x02, 'a', 'b', 0x01, 0x28, 0x16, 0x01, 0x14, 0xD8, 0x04, 0x12, 0x00}));
}

TEST(ThriftCompactWriter, NestedStructRestartsFieldIdsAndRestoresOuter) {
  std::string out;
  CompactWriter w(out);
  w.begin_struct();
  w.begin_field_struct(1);  // 0x1C
  w.field_i32(1, 1);        // inner ids start from 0 again: 0x15 0x02
  w.end_struct();           // 0x00
  w.field_i32(2, 2);        // outer delta 2 - 1 = 1: 0x15 0x04
  w.end_struct();
  EXPECT_EQ(out, bytes({0x1C, 0x15, 0x02, 0x00, 0x15, 0x04, 0x00}));
}

TEST(ThriftCompactWriter, FieldIdGoingBackwardsUsesLongForm) {
  std::string out;
  CompactWriter w(out);
  w.begin_struct();
  w.field_i32(5, 0);  // 0x55 0x00
  w.field_i32(3, 0);  // negative delta: type byte 0x05, zigzag(3) = 6, value 0x00
  w.end_struct();
  EXPECT_EQ(out, bytes({0x55, 0x00, 0x05, 0x06, 0x00, 0x00}));
}

TEST(ThriftCompactWriter, ShortAndLongListHeaders) {
  std::string out;
  CompactWriter w(out);
  w.begin_struct();
  w.begin_field_list(2, CompactType::kI32, 3);  // 0x29, (3 << 4) | 5 = 0x35
  w.element_i32(1);
  w.element_i32(2);
  w.element_i32(-3);
  w.begin_field_list(3, CompactType::kBinary, 15);  // 0x19, 0xF8, varint 15
  for (int i = 0; i < 15; ++i) w.element_binary("x");
  w.end_struct();
  std::string expected = bytes({0x29, 0x35, 0x02, 0x04, 0x05, 0x19, 0xF8, 0x0F});
  for (int i = 0; i < 15; ++i) expected += bytes({0x01, 'x'});
  expected += bytes({0x00});
  EXPECT_EQ(out, expected);
}

TEST(ThriftCompactWriter, ListOfStructs) {
  std::string out;
  CompactWriter w(out);
  w.begin_struct();
  w.begin_field_list(1, CompactType::kStruct, 2);  // 0x19, 0x2C
  w.begin_struct();
  w.field_i32(1, 7);  // 0x15 0x0E
  w.end_struct();
  w.begin_struct();   // ids restart for each element
  w.field_i32(1, 8);  // 0x15 0x10
  w.end_struct();
  w.field_i32(2, 0);  // outer continues from field 1: delta 1, 0x15 0x00
  w.end_struct();
  EXPECT_EQ(out, bytes({0x19, 0x2C, 0x15, 0x0E, 0x00, 0x15, 0x10, 0x00, 0x15, 0x00, 0x00}));
}

// --- reader: decodes what the writer encodes, skips what it is not asked for ---

TEST(ThriftReader, ReadsBackEveryFieldTheWriterWrote) {
  std::string out;
  CompactWriter w(out);
  w.begin_struct();
  w.field_i32(1, -7);
  w.field_i64(3, std::numeric_limits<std::int64_t>::max());
  w.field_bool(4, true);
  w.field_binary(5, "hello");
  w.field_i64(40, std::numeric_limits<std::int64_t>::min());  // long id delta: id in a varint
  w.end_struct();

  CompactReader r(out);
  r.begin_struct();
  std::int16_t id = 0;
  CompactType type{};
  ASSERT_TRUE(r.next_field(id, type));
  EXPECT_EQ(id, 1);
  EXPECT_EQ(type, CompactType::kI32);
  EXPECT_EQ(r.read_i64(), -7);
  ASSERT_TRUE(r.next_field(id, type));
  EXPECT_EQ(id, 3);
  EXPECT_EQ(r.read_i64(), std::numeric_limits<std::int64_t>::max());
  ASSERT_TRUE(r.next_field(id, type));
  EXPECT_EQ(id, 4);
  EXPECT_TRUE(r.bool_value());
  ASSERT_TRUE(r.next_field(id, type));
  EXPECT_EQ(id, 5);
  EXPECT_EQ(r.read_binary(), "hello");
  ASSERT_TRUE(r.next_field(id, type));
  EXPECT_EQ(id, 40);
  EXPECT_EQ(r.read_i64(), std::numeric_limits<std::int64_t>::min());
  EXPECT_FALSE(r.next_field(id, type));  // STOP
  r.end_struct();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.position(), out.size());
}

TEST(ThriftReader, SkipsNestedStructsAndListsToTheNextField) {
  std::string out;
  CompactWriter w(out);
  w.begin_struct();
  w.begin_field_struct(1);
  w.field_i32(1, 5);
  w.begin_field_list(2, CompactType::kStruct, 20);  // long list: size in a varint
  for (int i = 0; i < 20; ++i) {
    w.begin_struct();
    w.field_binary(1, "x");
    w.end_struct();
  }
  w.end_struct();
  w.begin_field_list(2, CompactType::kI32, 3);
  for (int i = 0; i < 3; ++i) w.element_i32(i);
  w.field_i64(3, 1'800'000);
  w.end_struct();

  CompactReader r(out);
  r.begin_struct();
  std::int16_t id = 0;
  CompactType type{};
  ASSERT_TRUE(r.next_field(id, type));
  r.skip(type);
  ASSERT_TRUE(r.next_field(id, type));
  r.skip(type);
  ASSERT_TRUE(r.next_field(id, type));
  EXPECT_EQ(id, 3);
  EXPECT_EQ(r.read_i64(), 1'800'000);
  EXPECT_FALSE(r.next_field(id, type));
  EXPECT_TRUE(r.ok());
}

TEST(ThriftReader, TruncatedOrHostileInputFailsWithoutReadingPastTheEnd) {
  std::string out;
  CompactWriter w(out);
  w.begin_struct();
  w.field_binary(1, "a long enough value");
  w.field_i64(2, 123456789);
  w.end_struct();
  for (std::size_t cut = 0; cut + 1 < out.size(); ++cut) {
    CompactReader r(std::string_view(out).substr(0, cut));
    r.begin_struct();
    std::int16_t id = 0;
    CompactType type{};
    while (r.next_field(id, type)) r.skip(type);
    EXPECT_FALSE(r.ok()) << "cut at " << cut;
  }
  // A list claiming more elements than there are bytes, and structs nested
  // beyond kMaxDepth.
  const std::string huge = bytes({0x19, 0xF5, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F});
  CompactReader huge_list(huge);
  huge_list.skip(CompactType::kStruct);
  EXPECT_FALSE(huge_list.ok());
  std::string deep(1000, static_cast<char>(0x1C));  // field 1 of type struct, nested
  CompactReader deep_reader(deep);
  deep_reader.skip(CompactType::kStruct);
  EXPECT_FALSE(deep_reader.ok());
}

}  // namespace
}  // namespace edgestream::parquet::thrift
