// Keeps librdkafka's prefetch going while its queue is bounded tightly in
// bytes, so that a consumer that drains its queue quickly (the archiver
// catching up on a backlog) is not held to one queue-full per second.
//
// Why: librdkafka 2.0.2 stops fetching a partition once the consumer queue
// holds queued.max.messages.kbytes (or queued.min.messages), and decides
// again only when its broker thread next wakes up: an I/O event, an op on its
// queue, or its idle timer of one second (rd_kafka_max_block_ms; librdkafka
// issue 2879, made configurable as fetch.queue.backoff.ms in 2.2.0). Draining
// the queue does not wake it. With the archiver's 4 MiB bound that capped
// consumption at about one queue (~24,000 readings) per second. Any request
// to the leader wakes its broker thread; a ListOffsets for the partition
// (rd_kafka_query_watermark_offsets) is the cheapest one the API offers.
//
// Contract
//  - observe() and set_partitions() are called by the consumer's thread only
//    (the archiver's main thread); they never block on the network.
//  - The requests are sent from this object's own thread, one per assigned
//    partition per wake-up, so the main thread never waits for them. At most
//    one wake-up is under way; they happen only after the queue was seen
//    near its bound (the fetcher may have stopped) and then drained below
//    half of it, so a consumer that keeps up (steady state, queue near empty)
//    sends none.
//  - The consumer handle must outlive this object; stop() (or the
//    destructor) joins the thread and must run before the consumer closes.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace edgestream::archiver {

// When to wake the fetcher, from samples of the consumer queue (pure logic,
// no Kafka). The fetcher can only have stopped after the queue reached its
// bound; it may fetch again only below it. So: arm once the queue is seen
// near the bound, fire once it has drained below half of it, then disarm —
// one wake-up per fill, none while the queue stays low.
class QueueDrainTrigger {
 public:
  // The fetcher stops once the queue reaches its bound; the queue is sampled
  // only between turns of polling, so "near" leaves room for what one turn
  // consumes.
  static constexpr double kArmShare = 0.75;
  // Fire below this share: early enough that the next fetch arrives before
  // the queue runs dry, and the fetcher is allowed to fetch (below the bound).
  static constexpr double kFireShare = 0.5;

  explicit QueueDrainTrigger(std::size_t queue_bound_bytes)
      : queue_bound_bytes_(static_cast<double>(queue_bound_bytes)) {}
  // True when the fetcher should be woken now.
  bool observe(std::size_t queued_messages, double mean_message_bytes) {
    const double queued_bytes = static_cast<double>(queued_messages) * mean_message_bytes;
    if (queued_bytes >= kArmShare * queue_bound_bytes_) {
      armed_ = true;
      return false;
    }
    if (!armed_ || queued_bytes >= kFireShare * queue_bound_bytes_) return false;
    armed_ = false;
    return true;
  }

 private:
  double queue_bound_bytes_;
  bool armed_ = false;
};

class FetchWakeup {
 public:
  // `queue_bound_bytes`: the consumer's queued.max.messages.kbytes in bytes.
  FetchWakeup(rd_kafka_t* consumer, std::string topic, std::size_t queue_bound_bytes);
  FetchWakeup(const FetchWakeup&) = delete;
  FetchWakeup& operator=(const FetchWakeup&) = delete;
  ~FetchWakeup();  // stop()

  // The partitions to wake (the current assignment).
  void set_partitions(std::vector<std::int32_t> partitions);
  // After a turn of polling: `queued_messages` is the consumer queue's
  // length now, `mean_message_bytes` the mean payload of recent messages
  // (librdkafka counts payload bytes against its bound).
  void observe(std::size_t queued_messages, double mean_message_bytes);
  // Wake-ups requested so far (for the debug log).
  std::uint64_t wakeups() const;
  void stop();

 private:
  void loop();

  rd_kafka_t* consumer_;
  const std::string topic_;
  QueueDrainTrigger trigger_;  // main thread only

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::int32_t> partitions_;
  bool requested_ = false;
  bool stopping_ = false;
  std::uint64_t wakeups_ = 0;
  std::thread thread_;  // last: started after everything above exists
};

}  // namespace edgestream::archiver
