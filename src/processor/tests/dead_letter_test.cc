// Sizing of dead letters against the record size limit.
#include <gtest/gtest.h>

#include "edgestream/common/kafka_framing.h"
#include "edgestream/processor/dead_letter.h"

namespace edgestream::processor {
namespace {

// Bytes librdkafka counts for a record, written out from its documented
// framing bound rather than taken from plan_dead_letter.
size_t counted(size_t key, size_t value, size_t headers) { return 36 + key + value + headers; }

TEST(PlanDeadLetter, ACopyThatFitsExactlyIsUnchanged) {
  const size_t limit = 1'048'588 - 61;
  const size_t headers = 300, extra = 120, key = 9;
  size_t value = limit - counted(key, 0, headers);
  auto plan = plan_dead_letter(limit, key, value, headers, extra);
  ASSERT_TRUE(plan);
  EXPECT_FALSE(plan->truncated);
  EXPECT_EQ(plan->key_bytes, key);
  EXPECT_EQ(plan->value_bytes, value);
}

TEST(PlanDeadLetter, OneByteOverIsCutToExactlyTheLimitWithTheTruncationHeaders) {
  const size_t limit = 1'048'588 - 61;
  const size_t headers = 300, extra = 120, key = 9;
  size_t value = limit - counted(key, 0, headers) + 1;
  auto plan = plan_dead_letter(limit, key, value, headers, extra);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->truncated);
  EXPECT_EQ(plan->key_bytes, key);
  EXPECT_EQ(counted(plan->key_bytes, plan->value_bytes, headers + extra), limit);
  EXPECT_LT(plan->value_bytes, value);
}

TEST(PlanDeadLetter, ARecordAtTheBrokerLimitIsCutBelowIt) {
  // A raw record that just fit the broker (one record in its batch) plus
  // the dead-letter headers cannot fit the same limit.
  const size_t broker_limit = 1'048'588;
  const size_t limit = broker_limit - kafka::kRecordBatchOverheadBytes;
  const size_t key = 3;
  const size_t value = broker_limit - 61 - 36 - key;
  auto plan = plan_dead_letter(limit, key, value, 250, 110);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->truncated);
  EXPECT_EQ(plan->value_bytes, value - 360);
  EXPECT_LE(61 + counted(plan->key_bytes, plan->value_bytes, 360), broker_limit);
}

TEST(PlanDeadLetter, AKeyLargerThanTheRoomIsCutAndTheValueDropped) {
  const size_t limit = 20'000;
  auto plan = plan_dead_letter(limit, 50'000, 10, 200, 100);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->truncated);
  EXPECT_EQ(plan->key_bytes, limit - 36 - 300);
  EXPECT_EQ(plan->value_bytes, 0u);
}

TEST(PlanDeadLetter, HeadersThatDoNotFitHaveNoPlan) {
  EXPECT_FALSE(plan_dead_letter(400, 0, 1000, 300, 100));
  EXPECT_FALSE(plan_dead_letter(436, 0, 1000, 300, 100));  // no byte left for any content
}

TEST(HeaderWireBytes, BoundsBothVarintLengths) {
  EXPECT_EQ(kafka::header_wire_bytes(17, 9), 5u + 17 + 5 + 9);
}

}  // namespace
}  // namespace edgestream::processor
