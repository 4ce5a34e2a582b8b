#include "edgestream/archiver/record.h"

namespace edgestream::archiver {

const char* object_kind_name(RecordKind kind) {
  switch (kind) {
    case RecordKind::kReading: return "readings";
    case RecordKind::kAggregate: return "aggregates";
    case RecordKind::kDeviceAggregate: return "device-aggregates";
    case RecordKind::kAggregateCorrection: return "aggregate-corrections";
  }
  return "unknown";
}

}  // namespace edgestream::archiver
