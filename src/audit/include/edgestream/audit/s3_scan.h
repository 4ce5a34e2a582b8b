// The found side of the audit: what S3 holds under the layout's prefixes.
//
// Called from the audit's main thread only; blocks on S3 requests, each
// retried (retriable errors) within the policy's deadline. Per object: one
// HEAD (the offset range, x-amz-meta-edgestream-{first,end}-offset, as the
// uploader writes it) and one suffix-range GET of its footer (the row count),
// so memory stays at one footer whatever the object size.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "edgestream/audit/reconcile.h"
#include "edgestream/s3/client.h"
#include "edgestream/s3/retry.h"

namespace edgestream::audit {

// The date folders ("[<prefix>/]yyyy/mm/dd/") of every UTC day that a period
// starting in [from, to) falls on, from the archiver's own object_key().
std::vector<std::string> day_prefixes(std::string_view prefix, EventTime from, EventTime to,
                                      std::chrono::seconds period);

// Whether the layout could have written `key`: its identity when yes, the
// reason when not (a name the layout never writes, a date path other than
// its period start's, a period start that is not a multiple of `period`).
std::variant<archiver::FileIdentity, StrayObject> classify_key(std::string_view prefix, std::string_view key,
                                                               std::chrono::seconds period);

struct ArchiveScan {
  std::vector<FoundObject> objects;  // objects of periods in [from, to)
  std::vector<StrayObject> strays;   // anything under the day folders the layout does not write
  std::int64_t listed = 0;           // keys listed
};

// Lists the day folders and reads every object of a period in [from, to).
// An error (S3 unreachable, access denied) is returned as it came, after the
// retries: the caller exits 3.
s3::S3Result<ArchiveScan> scan_archive(s3::S3Client& client, std::string_view prefix, EventTime from, EventTime to,
                                       std::chrono::seconds period, const s3::RetryPolicy& retry);

}  // namespace edgestream::audit
