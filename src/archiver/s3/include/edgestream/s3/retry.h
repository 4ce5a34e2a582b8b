// Retries of one operation under one deadline: capped exponential backoff with
// full jitter (sleep uniformly in [0, min(cap, base·2^(attempt-1))]), so many
// archivers that failed together do not retry in lock-step.
//
// All attempts share the deadline: an operation is never retried past it, and a
// backoff that would end after it is not slept. Only kRetriable errors are
// retried; any other error returns at once. Clock and jitter are injected so
// tests run without sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>

#include "edgestream/common/log.h"
#include "edgestream/common/status.h"
#include "edgestream/s3/error.h"

namespace edgestream::s3 {

// Monotonic time and sleeping; the real one is SteadyClock, tests use a fake.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::steady_clock::time_point now() = 0;
  virtual void sleep_for(std::chrono::milliseconds duration) = 0;
};

class SteadyClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point now() override { return std::chrono::steady_clock::now(); }
  void sleep_for(std::chrono::milliseconds duration) override;
};

// Uniform in [0, 1); the real one wraps a seeded std::mt19937_64.
using JitterSource = std::function<double()>;
JitterSource make_random_jitter();

struct RetryPolicy {
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{std::chrono::seconds(20)};  // the cap
  std::chrono::milliseconds deadline{std::chrono::minutes(5)};      // for all attempts together
};

// The backoff ceiling before attempt `attempt + 1` (attempt ≥ 1): min(cap, base·2^(attempt-1)).
std::chrono::milliseconds backoff_ceiling(const RetryPolicy& policy, int attempt);
// Full jitter: ceiling · u, u in [0, 1).
std::chrono::milliseconds full_jitter(std::chrono::milliseconds ceiling, double u);

struct RetryContext {
  int attempt = 1;                                  // 1-based
  std::chrono::steady_clock::time_point deadline;   // shared by all attempts
};

// Calls fn(context) until it succeeds, fails with a non-retriable error, or the
// deadline leaves no room for another backoff. Works with S3Result<T>. The
// last error comes back with "gave up after N attempts" prepended, kind kept.
template <typename Fn>
auto retry_with_deadline(std::string_view what, const RetryPolicy& policy, Clock& clock,
                         const JitterSource& jitter, const Logger& log, Fn&& fn)
    -> decltype(fn(std::declval<const RetryContext&>())) {
  RetryContext context;
  const auto start = clock.now();
  context.deadline = start + policy.deadline;
  for (;;) {
    auto result = fn(static_cast<const RetryContext&>(context));
    if (result.ok() || result.error().kind() != ErrorKind::kRetriable) return result;

    const auto now = clock.now();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(context.deadline - now);
    const auto sleep = full_jitter(backoff_ceiling(policy, context.attempt), jitter());
    if (left.count() <= 0 || sleep >= left) {
      log.error(what, ": attempt ", context.attempt, " failed (", to_string(result.error().cause()),
                "): ", result.error().message(), "; giving up, deadline of ",
                policy.deadline.count(), " ms reached");
      return result.error().with_context(std::string(what) + ": gave up after " +
                                         std::to_string(context.attempt) + " attempts in " +
                                         std::to_string(std::chrono::duration_cast<
                                             std::chrono::milliseconds>(now - start).count()) +
                                         " ms");
    }
    log.warn(what, ": attempt ", context.attempt, " failed (", to_string(result.error().cause()),
             "): ", result.error().message(), "; retrying in ", sleep.count(), " ms, ",
             left.count(), " ms left");
    clock.sleep_for(sleep);
    ++context.attempt;
  }
}

}  // namespace edgestream::s3
