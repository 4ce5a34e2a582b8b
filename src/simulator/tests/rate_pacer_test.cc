#include "edgestream/simulator/rate_pacer.h"

#include <gtest/gtest.h>

namespace edgestream::simulator {
namespace {

using namespace std::chrono_literals;
using Clock = RatePacer::Clock;

TEST(RatePacer, FirstMessageIsDueAtStart) {
  Clock::time_point start{};
  RatePacer pacer(100, start);
  EXPECT_EQ(pacer.due(start, 1000), 1);
}

TEST(RatePacer, DueCountFollowsElapsedTime) {
  Clock::time_point start{};
  RatePacer pacer(1000, start);
  EXPECT_EQ(pacer.due(start + 50ms, 1000), 51);  // messages 0..50 are due by t = 50 ms
  pacer.sent(51);
  EXPECT_EQ(pacer.due(start + 50ms, 1000), 0);
  EXPECT_EQ(pacer.due(start + 60ms, 1000), 10);
}

TEST(RatePacer, SteadyOverManySmallSteps) {
  // Sending exactly what is due at every 1 ms tick for 10 s sends rate * 10 s
  // (+1 for the message due at start): no drift from rounding.
  Clock::time_point start{};
  RatePacer pacer(333, start);
  for (int ms = 0; ms <= 10'000; ++ms) pacer.sent(pacer.due(start + std::chrono::milliseconds(ms), 1000));
  EXPECT_EQ(pacer.total_sent(), 3331);
}

TEST(RatePacer, BatchCapLimitsOneStep) {
  Clock::time_point start{};
  RatePacer pacer(1'000'000, start, 10s);
  EXPECT_EQ(pacer.due(start + 1s, 500), 500);
}

TEST(RatePacer, StallIsNotMadeUpWithABurst) {
  Clock::time_point start{};
  RatePacer pacer(1000, start, 200ms);
  pacer.sent(pacer.due(start, 1'000'000));
  // Nothing sent for 5 s: only max_debt's worth (200 ms * 1000/s) is allowed now.
  EXPECT_EQ(pacer.due(start + 5s, 1'000'000), 200);
  pacer.sent(200);
  // And the schedule continues steadily from there.
  EXPECT_EQ(pacer.due(start + 5s + 10ms, 1'000'000), 10);
}

TEST(RatePacer, NextDueIsOnePeriodAfterTheLastSent) {
  Clock::time_point start{};
  RatePacer pacer(100, start);
  pacer.sent(pacer.due(start, 1000));
  EXPECT_EQ(pacer.next_due(), start + 10ms);
}

TEST(RatePacer, UnlimitedAlwaysAllowsAFullBatch) {
  Clock::time_point start{};
  RatePacer pacer(0, start);
  EXPECT_TRUE(pacer.unlimited());
  EXPECT_EQ(pacer.due(start, 777), 777);
}

}  // namespace
}  // namespace edgestream::simulator
