#include "edgestream/contract/invalid_reason.h"

namespace edgestream::contract {

const char* to_string(InvalidReason reason) {
  switch (reason) {
    case InvalidReason::kTooLarge: return "too_large";
    case InvalidReason::kInvalidUtf8: return "invalid_utf8";
    case InvalidReason::kInvalidJson: return "invalid_json";
    case InvalidReason::kNotAnObject: return "not_an_object";
    case InvalidReason::kMissingField: return "missing_field";
    case InvalidReason::kWrongType: return "wrong_type";
    case InvalidReason::kInvalidDeviceId: return "invalid_device_id";
    case InvalidReason::kInvalidTimestamp: return "invalid_timestamp";
    case InvalidReason::kNonFiniteNumber: return "non_finite_number";
    case InvalidReason::kHumidityOutOfRange: return "humidity_out_of_range";
    case InvalidReason::kTemperatureBelowAbsoluteZero: return "temperature_below_absolute_zero";
    case InvalidReason::kPartialBatchUndecodable: return "partial_batch_undecodable";
    case InvalidReason::kUnknownType: return "unknown_type";
    case InvalidReason::kInvalidCount: return "invalid_count";
    case InvalidReason::kInvalidWindow: return "invalid_window";
    case InvalidReason::kTimestampInFuture: return "timestamp_in_future";
    case InvalidReason::kRejectedByWriter: return "rejected_by_writer";
    case InvalidReason::kDeadLetterRejected: return "dead_letter_rejected";
  }
  return "unknown";
}

}  // namespace edgestream::contract
