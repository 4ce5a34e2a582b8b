#include "edgestream/processor/dead_letter.h"

#include <algorithm>

#include "edgestream/common/kafka_framing.h"

namespace edgestream::processor {

std::optional<DeadLetterPlan> plan_dead_letter(size_t record_limit_bytes, size_t key_bytes,
                                               size_t value_bytes, size_t header_bytes,
                                               size_t truncation_header_bytes) {
  if (kafka::kRecordOverheadBytes + header_bytes + key_bytes + value_bytes <= record_limit_bytes) {
    return DeadLetterPlan{false, key_bytes, value_bytes};
  }
  size_t fixed = kafka::kRecordOverheadBytes + header_bytes + truncation_header_bytes;
  if (fixed >= record_limit_bytes) return std::nullopt;
  size_t room = record_limit_bytes - fixed;
  DeadLetterPlan plan{true, std::min(key_bytes, room), 0};
  plan.value_bytes = std::min(value_bytes, room - plan.key_bytes);
  return plan;
}

}  // namespace edgestream::processor
