// Names for Kafka positions, without librdkafka: pure code (the contract's
// partial batches, the processor's windows and merger) uses them without
// linking the Kafka client. Aliases, not wrappers: they say what an integer
// is, and the "unknown" sentinel is written once, here.
#pragma once

#include <cstdint>

namespace edgestream {

// A partition number of a topic (librdkafka's int32_t).
using Partition = std::int32_t;
// An offset in a partition (librdkafka's int64_t): the position of a record,
// or of the next record to read.
using Offset = std::int64_t;
// An offset that is not known (not reported, not asked for yet). Compare
// with `< 0`: librdkafka's own special offsets are negative too.
inline constexpr Offset kUnknownOffset = -1;

}  // namespace edgestream
