#include "fetch_wakeup.h"

#include <utility>

namespace edgestream::archiver {

namespace {

// A wake-up's requests must not hold up shutdown for long; a lost wake-up
// only costs the idle timer's second.
constexpr int kRequestTimeoutMs = 1000;

}  // namespace

FetchWakeup::FetchWakeup(rd_kafka_t* consumer, std::string topic, std::size_t queue_bound_bytes)
    : consumer_(consumer),
      topic_(std::move(topic)),
      trigger_(queue_bound_bytes),
      thread_([this] { loop(); }) {}

FetchWakeup::~FetchWakeup() { stop(); }

void FetchWakeup::set_partitions(std::vector<std::int32_t> partitions) {
  std::lock_guard lock(mutex_);
  partitions_ = std::move(partitions);
}

void FetchWakeup::observe(std::size_t queued_messages, double mean_message_bytes) {
  if (!trigger_.observe(queued_messages, mean_message_bytes)) return;
  {
    std::lock_guard lock(mutex_);
    requested_ = true;
    ++wakeups_;
  }
  wake_.notify_one();
}

std::uint64_t FetchWakeup::wakeups() const {
  std::lock_guard lock(mutex_);
  return wakeups_;
}

void FetchWakeup::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void FetchWakeup::loop() {
  std::vector<std::int32_t> partitions;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || requested_; });
      if (stopping_) return;
      requested_ = false;
      partitions = partitions_;
    }
    for (std::int32_t partition : partitions) {
      // Only the request matters (it wakes the leader's broker thread); its
      // answer and any error are of no use here: at worst the fetcher waits
      // for its idle timer, as without this.
      std::int64_t low = 0, high = 0;
      (void)rd_kafka_query_watermark_offsets(consumer_, topic_.c_str(), partition, &low, &high,
                                             kRequestTimeoutMs);
    }
  }
}

}  // namespace edgestream::archiver
