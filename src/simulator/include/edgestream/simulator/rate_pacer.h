// Paces sending at a steady aggregate rate. The caller asks how many messages
// are due now, sends them, and sleeps until next_due(). Due counts derive from
// the elapsed time since start, so rounding never accumulates into drift, and
// a stall (broker back-pressure, a slow poll) is not made up for with a burst:
// debt older than max_debt is forgiven.
#pragma once

#include <chrono>
#include <cstdint>

namespace edgestream::simulator {

class RatePacer {
 public:
  using Clock = std::chrono::steady_clock;

  // rate_per_second <= 0 means unlimited: due() always allows a full batch.
  RatePacer(double rate_per_second, Clock::time_point start,
            std::chrono::milliseconds max_debt = std::chrono::milliseconds(200));

  // Messages that should have been sent by `now` and were not, at most max_batch.
  int64_t due(Clock::time_point now, int64_t max_batch);
  // Records that `count` messages were sent.
  void sent(int64_t count) { sent_ += count; }
  // When the next message becomes due.
  Clock::time_point next_due() const;

  bool unlimited() const { return rate_ <= 0; }
  int64_t total_sent() const { return sent_; }

 private:
  double rate_;
  Clock::time_point start_;
  std::chrono::milliseconds max_debt_;
  int64_t sent_ = 0;
  int64_t forgiven_ = 0;  // messages skipped after stalls, so the schedule stays steady
};

}  // namespace edgestream::simulator
