// When the archiver wakes librdkafka's fetcher: once per fill of the bounded
// consumer queue, after it drained below half, never while it stays low.
#include "fetch_wakeup.h"

#include <gtest/gtest.h>

namespace edgestream::archiver {
namespace {

constexpr std::size_t kBound = 4096 * 1024;  // the archiver's 4 MiB
constexpr double kRecordBytes = 200;
// Messages of kRecordBytes that make `share` of the bound.
std::size_t messages(double share) {
  return static_cast<std::size_t>(share * static_cast<double>(kBound) / kRecordBytes);
}

TEST(QueueDrainTrigger, NeverFiresWhileTheQueueStaysLowAsInSteadyState) {
  QueueDrainTrigger trigger(kBound);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(trigger.observe(messages(0.1 * (i % 5)), kRecordBytes));
  }
}

TEST(QueueDrainTrigger, FiresOnceWhenAFullQueueHasDrainedBelowHalf) {
  QueueDrainTrigger trigger(kBound);
  EXPECT_FALSE(trigger.observe(messages(1.0), kRecordBytes)) << "full: the fetcher may not fetch yet";
  EXPECT_FALSE(trigger.observe(messages(0.6), kRecordBytes)) << "still above half";
  EXPECT_TRUE(trigger.observe(messages(0.4), kRecordBytes));
  EXPECT_FALSE(trigger.observe(messages(0.2), kRecordBytes)) << "one wake-up per fill";
  EXPECT_FALSE(trigger.observe(0, kRecordBytes));
}

TEST(QueueDrainTrigger, FiresAgainAfterTheNextFill) {
  QueueDrainTrigger trigger(kBound);
  EXPECT_FALSE(trigger.observe(messages(0.8), kRecordBytes));
  EXPECT_TRUE(trigger.observe(messages(0.3), kRecordBytes));
  EXPECT_FALSE(trigger.observe(messages(0.9), kRecordBytes));
  EXPECT_TRUE(trigger.observe(messages(0.1), kRecordBytes));
}

TEST(QueueDrainTrigger, CountsBytesNotMessages) {
  QueueDrainTrigger trigger(kBound);
  const std::size_t count = messages(0.5);
  EXPECT_FALSE(trigger.observe(count, kRecordBytes)) << "half full: not near the bound";
  EXPECT_FALSE(trigger.observe(count, 2 * kRecordBytes)) << "same count of records twice the size: full";
  EXPECT_TRUE(trigger.observe(count / 4, 2 * kRecordBytes));
}

}  // namespace
}  // namespace edgestream::archiver
