#include "edgestream/s3/retry.h"

#include <gtest/gtest.h>

#include <vector>

namespace edgestream::s3 {
namespace {

using namespace std::chrono_literals;

class FakeClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() override { return now_; }
  void sleep_for(std::chrono::milliseconds duration) override {
    sleeps.push_back(duration);
    now_ += duration;
  }
  void advance(std::chrono::milliseconds duration) { now_ += duration; }
  std::vector<std::chrono::milliseconds> sleeps;

 private:
  std::chrono::steady_clock::time_point now_{};
};

S3Error retriable() { return S3Error(ErrorKind::kRetriable, RetryCause::kNetwork, "refused"); }

TEST(Backoff, CeilingDoublesUpToTheCap) {
  const RetryPolicy policy{100ms, 1000ms, 60s};
  EXPECT_EQ(backoff_ceiling(policy, 1), 100ms);
  EXPECT_EQ(backoff_ceiling(policy, 2), 200ms);
  EXPECT_EQ(backoff_ceiling(policy, 3), 400ms);
  EXPECT_EQ(backoff_ceiling(policy, 4), 800ms);
  EXPECT_EQ(backoff_ceiling(policy, 5), 1000ms);
  EXPECT_EQ(backoff_ceiling(policy, 1000), 1000ms);  // no overflow at large attempts
}

TEST(Backoff, FullJitterStaysWithinZeroAndCeiling) {
  EXPECT_EQ(full_jitter(800ms, 0.0), 0ms);
  EXPECT_EQ(full_jitter(800ms, 0.5), 400ms);
  EXPECT_LT(full_jitter(800ms, 0.999999), 800ms);
  const JitterSource random = make_random_jitter();
  for (int i = 0; i < 1000; ++i) {
    const double u = random();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    const auto sleep = full_jitter(backoff_ceiling(RetryPolicy{}, 1 + i % 12), u);
    ASSERT_GE(sleep, 0ms);
    ASSERT_LE(sleep, RetryPolicy{}.max_backoff);
  }
}

TEST(Retry, SucceedsAfterRetriableFailuresSleepingJitteredBackoff) {
  FakeClock clock;
  const JitterSource half = [] { return 0.5; };
  int calls = 0;
  S3Result<int> result = retry_with_deadline(
      "PutObject s3://b/k", RetryPolicy{100ms, 10s, 60s}, clock, half, Logger("test"),
      [&](const RetryContext& context) -> S3Result<int> {
        EXPECT_EQ(context.attempt, calls + 1);
        if (++calls < 4) return retriable();
        return 42;
      });
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value(), 42);
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(clock.sleeps, (std::vector<std::chrono::milliseconds>{50ms, 100ms, 200ms}));
}

TEST(Retry, NonRetriableErrorsReturnAtOnce) {
  FakeClock clock;
  int calls = 0;
  S3Status result = retry_with_deadline(
      "op", RetryPolicy{}, clock, [] { return 0.5; }, Logger("test"),
      [&](const RetryContext&) -> S3Status {
        ++calls;
        return S3Error(ErrorKind::kFatal, RetryCause::kNone, "403 AccessDenied");
      });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind(), ErrorKind::kFatal);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(clock.sleeps.empty());
}

TEST(Retry, AllAttemptsShareOneDeadline) {
  FakeClock clock;
  int calls = 0;
  const RetryPolicy policy{100ms, 2s, 10s};
  S3Status result = retry_with_deadline(
      "PutObject s3://b/k", policy, clock, [] { return 0.999; }, Logger("test"),
      [&](const RetryContext& context) -> S3Status {
        ++calls;
        EXPECT_EQ(context.deadline, std::chrono::steady_clock::time_point{} + 10s);
        clock.advance(500ms);  // each attempt itself takes time
        return retriable();
      });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().kind(), ErrorKind::kRetriable);  // the caller decides what next
  EXPECT_EQ(result.error().cause(), RetryCause::kNetwork);
  EXPECT_NE(result.error().message().find("gave up after " + std::to_string(calls) + " attempts"),
            std::string::npos)
      << result.error().message();
  // Never slept past the deadline, and the last attempt started before it.
  std::chrono::milliseconds slept{0};
  for (auto s : clock.sleeps) slept += s;
  EXPECT_LE(slept + calls * 500ms, 10s + 500ms);
  EXPECT_LE(clock.now(), std::chrono::steady_clock::time_point{} + 10s);
  EXPECT_GE(calls, 4);  // the deadline, not an attempt count, stopped it
}

TEST(Retry, ZeroDeadlineMeansOneAttempt) {
  FakeClock clock;
  int calls = 0;
  S3Status result = retry_with_deadline(
      "op", RetryPolicy{100ms, 1s, 0ms}, clock, [] { return 0.0; }, Logger("test"),
      [&](const RetryContext&) -> S3Status {
        ++calls;
        return retriable();
      });
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace edgestream::s3
