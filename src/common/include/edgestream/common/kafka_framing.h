// The framing Kafka adds around records, which the size limits count. Plain
// numbers, no librdkafka: pure code (the processor's dead-letter sizing) uses
// them without linking the Kafka client.
#pragma once

#include <cstddef>

namespace edgestream::kafka {

// The broker checks each record batch against the topic's max.message.bytes:
// the whole batch, including its 61-byte header (base offset, length, leader
// epoch, magic, CRC, attributes, last offset delta, two timestamps, producer
// id, epoch, base sequence, record count).
inline constexpr std::size_t kRecordBatchOverheadBytes = 61;
// librdkafka checks each record against the producer's message.max.bytes as
// key + value + headers + this bound on the v2 record framing (varint length,
// attributes, timestamp and offset deltas, key and value lengths, header
// count), and fills a batch with records up to that total.
inline constexpr std::size_t kRecordOverheadBytes = 36;
// Wire bytes of one record header: two varint lengths (at most 5 bytes each
// for the sizes a record can have), the name and the value.
inline constexpr std::size_t header_wire_bytes(std::size_t name_bytes, std::size_t value_bytes) {
  return 5 + name_bytes + 5 + value_bytes;
}

}  // namespace edgestream::kafka
