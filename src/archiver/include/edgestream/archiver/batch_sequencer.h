// Per-partition serialisation of batches: the rule that makes the archiver
// exactly-once (docs/archiver.md, "Exactly once").
//
// For each Kafka partition at most one batch is *in flight* — handed to the
// uploader, or uploaded but its end offset not yet committed. Later batches
// of the same partition wait, in order, until that commit. Partitions are
// independent. Pure bookkeeping of batch ids; the caller owns the batches.
// Not thread-safe: the archiver's main thread is its only user.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

namespace edgestream::archiver {

using BatchId = std::uint64_t;

class BatchSequencer {
 public:
  enum class Stage : std::uint8_t {
    kUploading,         // handed to the uploader
    kAwaitingCommit,    // every file acknowledged by S3; offset not committed yet
  };
  struct InFlight {
    BatchId id = 0;
    Stage stage = Stage::kUploading;
  };
  struct Dispatch {
    std::int32_t partition = 0;
    BatchId id = 0;
  };

  // Appends a batch to its partition's queue (batches of one partition must
  // be enqueued in offset order, which cuts are).
  void enqueue(std::int32_t partition, BatchId id);

  // The oldest waiting batch of every partition that has nothing in flight;
  // they become in flight (kUploading).
  std::vector<Dispatch> take_dispatchable();

  // The in-flight batch `id` of `partition` is in S3: it awaits its commit.
  // Returns false (and changes nothing) when that is not the in-flight batch,
  // e.g. the partition was dropped meanwhile: the caller must not commit.
  bool uploaded(std::int32_t partition, BatchId id);

  // Its offset is committed: the partition's next batch may go.
  bool committed(std::int32_t partition, BatchId id);

  // Forgets the partition (revoked, lost, or rewound after a disk error):
  // returns the in-flight batch (if any) followed by the waiting ones.
  std::vector<BatchId> drop(std::int32_t partition);

  std::optional<InFlight> in_flight(std::int32_t partition) const;
  std::size_t waiting(std::int32_t partition) const;
  // Nothing in flight and nothing waiting.
  bool idle(std::int32_t partition) const;
  // Batches awaiting their commit, in partition order.
  std::vector<Dispatch> awaiting_commit() const;

 private:
  struct Lane {
    std::optional<InFlight> in_flight;
    std::deque<BatchId> waiting;
  };
  std::map<std::int32_t, Lane> lanes_;
};

}  // namespace edgestream::archiver
