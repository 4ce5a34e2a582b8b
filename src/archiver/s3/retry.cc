#include "edgestream/s3/retry.h"

#include <algorithm>
#include <memory>
#include <thread>

namespace edgestream::s3 {

void SteadyClock::sleep_for(std::chrono::milliseconds duration) {
  std::this_thread::sleep_for(duration);
}

JitterSource make_random_jitter() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] {
    return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
  };
}

std::chrono::milliseconds backoff_ceiling(const RetryPolicy& policy, int attempt) {
  // Doubling stops at the cap; the shift is bounded so it cannot overflow.
  const int exponent = std::clamp(attempt - 1, 0, 30);
  const std::int64_t base = policy.initial_backoff.count();
  const std::int64_t cap = policy.max_backoff.count();
  if (base <= 0) return std::chrono::milliseconds(0);
  if (base > (cap >> exponent)) return policy.max_backoff;
  return std::chrono::milliseconds(std::min(cap, base << exponent));
}

std::chrono::milliseconds full_jitter(std::chrono::milliseconds ceiling, double u) {
  u = std::clamp(u, 0.0, 1.0);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(static_cast<double>(ceiling.count()) * u));
}

}  // namespace edgestream::s3
