// Serialisation of batches per partition: at most one batch of a partition is
// uploading or awaiting its commit; the next one waits for that commit.
#include "edgestream/archiver/batch_sequencer.h"

#include <gtest/gtest.h>

namespace edgestream::archiver {
namespace {

using Dispatch = BatchSequencer::Dispatch;

std::vector<BatchId> ids(const std::vector<Dispatch>& dispatches) {
  std::vector<BatchId> out;
  for (const auto& d : dispatches) out.push_back(d.id);
  return out;
}

TEST(BatchSequencer, SecondBatchWaitsUntilTheFirstIsCommitted) {
  BatchSequencer sequencer;
  sequencer.enqueue(0, 1);
  sequencer.enqueue(0, 2);
  EXPECT_EQ(ids(sequencer.take_dispatchable()), std::vector<BatchId>{1});
  EXPECT_TRUE(sequencer.take_dispatchable().empty()) << "batch 2 must wait while 1 uploads";
  ASSERT_TRUE(sequencer.uploaded(0, 1));
  EXPECT_TRUE(sequencer.take_dispatchable().empty()) << "uploaded but not committed still blocks";
  ASSERT_EQ(sequencer.awaiting_commit().size(), 1u);
  EXPECT_EQ(sequencer.awaiting_commit()[0].id, 1u);
  ASSERT_TRUE(sequencer.committed(0, 1));
  EXPECT_EQ(ids(sequencer.take_dispatchable()), std::vector<BatchId>{2});
  ASSERT_TRUE(sequencer.uploaded(0, 2));
  ASSERT_TRUE(sequencer.committed(0, 2));
  EXPECT_TRUE(sequencer.idle(0));
}

TEST(BatchSequencer, PartitionsAreIndependent) {
  BatchSequencer sequencer;
  sequencer.enqueue(0, 1);
  sequencer.enqueue(0, 2);
  sequencer.enqueue(1, 3);
  sequencer.enqueue(2, 4);
  EXPECT_EQ(ids(sequencer.take_dispatchable()), (std::vector<BatchId>{1, 3, 4}));
  ASSERT_TRUE(sequencer.uploaded(1, 3));
  ASSERT_TRUE(sequencer.committed(1, 3));
  sequencer.enqueue(1, 5);
  // Partition 1 is free again; partition 0 is still blocked by batch 1.
  EXPECT_EQ(ids(sequencer.take_dispatchable()), std::vector<BatchId>{5});
}

TEST(BatchSequencer, BatchesGoInEnqueueOrder) {
  BatchSequencer sequencer;
  for (BatchId id = 1; id <= 5; ++id) sequencer.enqueue(7, id);
  for (BatchId id = 1; id <= 5; ++id) {
    auto ready = sequencer.take_dispatchable();
    ASSERT_EQ(ready.size(), 1u);
    EXPECT_EQ(ready[0].partition, 7);
    EXPECT_EQ(ready[0].id, id);
    ASSERT_TRUE(sequencer.uploaded(7, id));
    ASSERT_TRUE(sequencer.committed(7, id));
  }
}

TEST(BatchSequencer, OutOfOrderReportsAreRefused) {
  BatchSequencer sequencer;
  sequencer.enqueue(0, 1);
  sequencer.enqueue(0, 2);
  (void)sequencer.take_dispatchable();
  EXPECT_FALSE(sequencer.committed(0, 1)) << "not uploaded yet";
  EXPECT_FALSE(sequencer.uploaded(0, 2)) << "batch 2 is not in flight";
  EXPECT_FALSE(sequencer.uploaded(1, 1)) << "wrong partition";
  ASSERT_TRUE(sequencer.uploaded(0, 1));
  EXPECT_FALSE(sequencer.uploaded(0, 1)) << "reported twice";
}

TEST(BatchSequencer, DropForgetsInFlightAndWaiting) {
  BatchSequencer sequencer;
  sequencer.enqueue(0, 1);
  sequencer.enqueue(0, 2);
  sequencer.enqueue(1, 3);
  (void)sequencer.take_dispatchable();
  EXPECT_EQ(sequencer.drop(0), (std::vector<BatchId>{1, 2}));
  EXPECT_TRUE(sequencer.idle(0));
  // A late completion of a dropped batch must not lead to a commit.
  EXPECT_FALSE(sequencer.uploaded(0, 1));
  EXPECT_FALSE(sequencer.idle(1));
  EXPECT_TRUE(sequencer.drop(5).empty());
}

TEST(BatchSequencer, InFlightStages) {
  BatchSequencer sequencer;
  EXPECT_FALSE(sequencer.in_flight(0).has_value());
  sequencer.enqueue(0, 9);
  EXPECT_FALSE(sequencer.in_flight(0).has_value());
  EXPECT_EQ(sequencer.waiting(0), 1u);
  (void)sequencer.take_dispatchable();
  ASSERT_TRUE(sequencer.in_flight(0).has_value());
  EXPECT_EQ(sequencer.in_flight(0)->stage, BatchSequencer::Stage::kUploading);
  ASSERT_TRUE(sequencer.uploaded(0, 9));
  EXPECT_EQ(sequencer.in_flight(0)->stage, BatchSequencer::Stage::kAwaitingCommit);
}

}  // namespace
}  // namespace edgestream::archiver
