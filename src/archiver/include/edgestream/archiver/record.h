// processed-data records as the archiver sees them. The record kinds, the
// parser, the limits and the dead-letter reasons are the data contract's
// (edgestream/contract/processed_record.h): the archiver names them as it
// always has. What is the archiver's own is where a kind's objects go.
#pragma once

#include "edgestream/contract/fields.h"
#include "edgestream/contract/invalid_reason.h"
#include "edgestream/contract/processed_record.h"

namespace edgestream::archiver {

using contract::InvalidReason;
using contract::kAllKinds;
using contract::kMaxDeviceIdBytes;
using contract::kMaxRecordBytes;
using contract::RecordKind;
using contract::to_string;
using ArchiveRecord = contract::ProcessedRecord;
using ParseResult = contract::ProcessedRecordParseResult;
using RecordParser = contract::ProcessedRecordParser;
// The reasons the archiver dead-letters with; its counters exist for each.
inline constexpr const auto& kAllInvalidReasons = contract::kProcessedDataInvalidReasons;

// The kind part of S3 object names: "readings", "aggregates", "device-aggregates",
// "aggregate-corrections".
const char* object_kind_name(RecordKind kind);

}  // namespace edgestream::archiver
