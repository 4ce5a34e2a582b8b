#include "edgestream/simulator/rate_pacer.h"

#include <algorithm>
#include <cmath>

namespace edgestream::simulator {

RatePacer::RatePacer(double rate_per_second, Clock::time_point start,
                     std::chrono::milliseconds max_debt)
    : rate_(rate_per_second), start_(start), max_debt_(max_debt) {}

int64_t RatePacer::due(Clock::time_point now, int64_t max_batch) {
  if (unlimited()) return max_batch;
  double elapsed = std::chrono::duration<double>(now - start_).count();
  auto scheduled = static_cast<int64_t>(std::floor(elapsed * rate_)) + 1;  // the first is due at start
  int64_t owed = scheduled - forgiven_ - sent_;
  auto max_owed = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(std::chrono::duration<double>(max_debt_).count() * rate_)));
  if (owed > max_owed) {
    forgiven_ += owed - max_owed;
    owed = max_owed;
  }
  return std::clamp<int64_t>(owed, 0, max_batch);
}

RatePacer::Clock::time_point RatePacer::next_due() const {
  if (unlimited()) return start_;
  // Message number n (0-based, counting forgiven ones) is due at start + n / rate.
  double seconds = static_cast<double>(sent_ + forgiven_) / rate_;
  return start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace edgestream::simulator
