#include "edgestream/common/status.h"

namespace edgestream {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kRetriable: return "retriable";
    case ErrorKind::kAbort: return "abort";
    case ErrorKind::kFatal: return "fatal";
    case ErrorKind::kInvalidInput: return "invalid_input";
    case ErrorKind::kInvalidConfig: return "invalid_config";
  }
  return "unknown";
}

}  // namespace edgestream
