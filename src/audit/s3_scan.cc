#include "edgestream/audit/s3_scan.h"

#include <set>

#include "edgestream/common/log.h"
#include "edgestream/parquet/footer.h"
#include "edgestream/archiver/layout.h"

namespace edgestream::audit {
namespace {

using namespace std::chrono_literals;

// One request usually gets the whole footer: edgestream's footers are a few
// KiB (flat schemas, row groups of 262,144 rows); a bigger one costs a second GET.
constexpr std::uint64_t kFooterGuessBytes = 64 * 1024;

std::string folder_of(const std::string& key) { return key.substr(0, key.rfind('/') + 1); }

}  // namespace

std::vector<std::string> day_prefixes(std::string_view prefix, EventTime from, EventTime to,
                                      std::chrono::seconds period) {
  std::set<std::string> folders;
  // One key per day suffices: the date path is the period start's UTC date.
  for (EventTime day = archiver::period_start_of(from, 24h); day < to; day += 24h) {
    archiver::FileIdentity probe;
    probe.period_start = std::max(day, archiver::period_start_of(from, period));
    folders.insert(folder_of(archiver::object_key(prefix, probe)));
  }
  return {folders.begin(), folders.end()};
}

std::variant<archiver::FileIdentity, StrayObject> classify_key(std::string_view prefix, std::string_view key,
                                                               std::chrono::seconds period) {
  const std::size_t slash = key.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  const std::optional<archiver::FileIdentity> identity = archiver::parse_object_file_name(name);
  if (!identity) return StrayObject{std::string(key), "not a file name the archiver writes"};
  if (archiver::period_start_of(identity->period_start, period) != identity->period_start) {
    return StrayObject{std::string(key), "period start " + format_rfc3339(identity->period_start) +
                                             " is not a boundary of " + std::to_string(period.count()) +
                                             "-second periods"};
  }
  const std::string expected_key = archiver::object_key(prefix, *identity);
  if (expected_key != key) {
    return StrayObject{std::string(key), "the layout puts this file at " + expected_key};
  }
  return *identity;
}

s3::S3Result<ArchiveScan> scan_archive(s3::S3Client& client, std::string_view prefix, EventTime from, EventTime to,
                                       std::chrono::seconds period, const s3::RetryPolicy& retry) {
  const Logger log("audit");
  s3::SteadyClock clock;
  const s3::JitterSource jitter = s3::make_random_jitter();
  auto with_retries = [&](std::string_view what, auto&& call) {
    return s3::retry_with_deadline(what, retry, clock, jitter, log,
                                   [&](const s3::RetryContext&) { return call(); });
  };

  ArchiveScan scan;
  for (const std::string& folder : day_prefixes(prefix, from, to, period)) {
    auto listed = with_retries("ListObjectsV2 " + folder, [&] { return s3::list_all(client, folder); });
    if (!listed.ok()) return listed.error();
    for (const s3::ObjectInfo& info : listed.value()) {
      ++scan.listed;
      auto classified = classify_key(prefix, info.key, period);
      if (auto* stray = std::get_if<StrayObject>(&classified)) {
        scan.strays.push_back(std::move(*stray));
        continue;
      }
      FoundObject object;
      object.key = info.key;
      object.identity = std::get<archiver::FileIdentity>(classified);
      if (object.identity.period_start < from || object.identity.period_start >= to) continue;

      auto head = with_retries("HeadObject " + info.key, [&] { return client.head_object(info.key); });
      if (!head.ok()) return head.error();
      if (!head.value()) {
        // Listed, then gone: deleted while the audit ran. Not an object any more.
        log.warn(info.key, ": listed but gone when read; left out");
        continue;
      }
      const s3::ObjectInfo& meta = *head.value();
      object.first_offset = archiver::parse_offset_metadata(meta.metadata_value(archiver::kFirstOffsetMetadata));
      object.end_offset = archiver::parse_offset_metadata(meta.metadata_value(archiver::kEndOffsetMetadata));

      const std::uint64_t size = meta.size;
      auto tail = with_retries("GetObject (footer) " + info.key,
                               [&] { return client.get_object_tail(info.key, std::min(size, kFooterGuessBytes)); });
      if (!tail.ok()) return tail.error();
      auto needed = parquet::footer_bytes_needed(tail.value().body, size);
      if (needed.ok() && needed.value() > tail.value().body.size()) {
        tail = with_retries("GetObject (footer) " + info.key,
                            [&] { return client.get_object_tail(info.key, needed.value()); });
        if (!tail.ok()) return tail.error();
      }
      auto summary = needed.ok() ? parquet::read_footer_summary(tail.value().body) : Result<parquet::FooterSummary>(needed.error());
      if (summary.ok()) {
        object.rows = summary.value().num_rows;
      } else {
        object.read_error = summary.error().message();
      }
      scan.objects.push_back(std::move(object));
    }
  }
  return scan;
}

}  // namespace edgestream::audit
