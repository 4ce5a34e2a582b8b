// The dead-letter contract of the processor: header names, and how a dead
// letter is cut to fit the dead-letter topic's record size limit. Pure logic,
// no Kafka calls; the processor produces what this plans.
//
// A dead letter is the original key and value with headers naming why and
// where it came from. When that copy would be larger than the broker accepts
// (a raw record near the broker's limit plus the headers), the copy holds a
// prefix of the value (and, only if the key alone does not fit, of the key)
// and headers naming the original sizes: a record that can never be forwarded
// whole still ends in the dead-letter topic, in the same transaction as its
// offset, instead of failing the transaction on every retry.
#pragma once

#include <cstddef>
#include <optional>

namespace edgestream::processor {

// Headers of every dead letter (docs/data-contract.md).
inline constexpr const char* kHeaderReason = "edgestream.reason";
inline constexpr const char* kHeaderDetail = "edgestream.detail";
inline constexpr const char* kHeaderSourceTopic = "edgestream.source.topic";
inline constexpr const char* kHeaderSourcePartition = "edgestream.source.partition";
inline constexpr const char* kHeaderSourceOffset = "edgestream.source.offset";
// Headers only of a cut copy.
inline constexpr const char* kHeaderTruncated = "edgestream.truncated";  // value "true"
inline constexpr const char* kHeaderOriginalKeyBytes = "edgestream.original.key.bytes";
inline constexpr const char* kHeaderOriginalValueBytes = "edgestream.original.value.bytes";

// The smallest record size limit the processor starts with: dead-letter
// headers take well under 2 KiB (details are bounded), so 16 KiB leaves a cut
// copy room for a useful prefix of the record.
inline constexpr size_t kMinRecordLimitBytes = 16 * 1024;

struct DeadLetterPlan {
  bool truncated = false;  // carry the truncation headers
  size_t key_bytes = 0;    // leading bytes of the key to send
  size_t value_bytes = 0;  // leading bytes of the value to send
};

// Plans one dead letter against `record_limit_bytes`, the most librdkafka and
// the broker accept for one record (the producer's message.max.bytes, at most
// the topic's max.message.bytes minus the batch header). `header_bytes` is
// the wire size of the headers every copy carries, `truncation_header_bytes`
// that of the headers only a cut copy carries (kafka::header_wire_bytes).
// Unchanged when the whole copy fits; otherwise the key is kept whole if it
// fits and the value is cut to what is left. nullopt when not even the
// headers fit (a limit below kMinRecordLimitBytes; start-up refuses those).
std::optional<DeadLetterPlan> plan_dead_letter(size_t record_limit_bytes, size_t key_bytes,
                                               size_t value_bytes, size_t header_bytes,
                                               size_t truncation_header_bytes);

}  // namespace edgestream::processor
