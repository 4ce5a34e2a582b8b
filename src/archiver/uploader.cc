#include "uploader.h"

#include <algorithm>
#include <string>

namespace edgestream::archiver {

namespace {

std::string cause_label(const s3::S3Error& error) {
  if (error.kind() == ErrorKind::kRetriable) return s3::to_string(error.cause());
  // Not retriable by the S3 library's rules. Authentication and permission
  // problems get their own label: they are the ones operators fix in IAM.
  if (error.http_status() == 401 || error.http_status() == 403) return "auth";
  return "fatal";
}

}  // namespace

void Uploader::InterruptibleClock::sleep_for(std::chrono::milliseconds duration) {
  std::unique_lock lock(owner_.mutex_);
  owner_.wake_.wait_for(lock, duration, [this] { return owner_.cancelled_locked(); });
}

Uploader::Uploader(std::unique_ptr<s3::S3Client> client, UploadPolicy policy,
                   ArchiverMetrics& metrics)
    : client_(std::move(client)),
      policy_(policy),
      metrics_(metrics),
      jitter_(s3::make_random_jitter()),
      thread_([this] { loop(); }) {}

Uploader::~Uploader() { stop(); }

void Uploader::submit(UploadJob job) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
  }
  wake_.notify_all();
}

void Uploader::cancel(std::int32_t partition) {
  {
    std::lock_guard lock(mutex_);
    for (auto it = queue_.begin(); it != queue_.end();) {
      if (it->partition == partition) {
        done_.push_back(UploadDone{it->partition, it->id, UploadDone::Outcome::kCancelled});
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
    if (running_partition_ == partition) running_cancelled_ = true;
  }
  wake_.notify_all();
  finished_.notify_all();
}

std::vector<UploadDone> Uploader::take_done() {
  std::lock_guard lock(mutex_);
  std::vector<UploadDone> out;
  out.swap(done_);
  return out;
}

bool Uploader::wait_idle(std::int32_t partition, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  auto idle = [&] {
    return running_partition_ != partition &&
           std::none_of(queue_.begin(), queue_.end(),
                        [&](const UploadJob& job) { return job.partition == partition; });
  };
  return finished_.wait_for(lock, timeout, idle);
}

void Uploader::wait_any_done(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  finished_.wait_for(lock, timeout, [&] { return !done_.empty() || stopping_; });
}

void Uploader::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    running_cancelled_ = true;
    for (const UploadJob& job : queue_) {
      done_.push_back(UploadDone{job.partition, job.id, UploadDone::Outcome::kCancelled});
    }
    queue_.clear();
  }
  wake_.notify_all();
  finished_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Uploader::cancelled_locked() const { return stopping_ || running_cancelled_; }

bool Uploader::cancelled() {
  std::lock_guard lock(mutex_);
  return cancelled_locked();
}

void Uploader::loop() {
  for (;;) {
    UploadJob job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
      running_partition_ = job.partition;
      running_cancelled_ = false;
    }
    UploadDone done = upload(job);
    {
      std::lock_guard lock(mutex_);
      done_.push_back(std::move(done));
      running_partition_.reset();
      running_cancelled_ = false;
    }
    finished_.notify_all();
  }
}

UploadDone Uploader::upload(const UploadJob& job) {
  UploadDone done{job.partition, job.id, UploadDone::Outcome::kUploaded};
  for (const UploadFile& file : job.files) {
    switch (upload_file(file, done.existing)) {
      case FileOutcome::kUploaded: continue;
      case FileOutcome::kCancelled: done.outcome = UploadDone::Outcome::kCancelled; return done;
      case FileOutcome::kAdopt: done.outcome = UploadDone::Outcome::kAdopt; return done;
    }
  }
  return done;
}

std::optional<Uploader::FileOutcome> Uploader::inspect_existing(
    const std::string& what, const UploadFile& file, std::optional<ExistingRange>& existing) {
  auto head = s3::retry_with_deadline(
      "reading " + s3::s3_uri(client_->bucket(), file.key), policy_.round, clock_, jitter_, log_,
      [&](const s3::RetryContext&) -> s3::S3Result<std::optional<s3::ObjectInfo>> {
        if (cancelled()) return s3::S3Error(ErrorKind::kFatal, s3::RetryCause::kNone, "cancelled");
        return client_->head_object(file.key);
      });
  if (!head.ok() || !head.value()) return std::nullopt;  // gone again or unreadable: upload again
  const std::int64_t end = parse_offset_metadata(head.value()->metadata_value(kEndOffsetMetadata)).value_or(-1);
  if (end < 0) {
    // Without the range, nobody can tell which records the object holds;
    // replacing it could lose committed records. An operator decides.
    log_.error(what, ": the key exists but the object has no valid x-amz-meta-", kEndOffsetMetadata,
               " (written by an older archiver or by hand). It is not replaced: check which "
               "records it holds, then delete it or move it away. Retrying every ",
               policy_.round.max_backoff.count() / 1000, " s; the data waits in the spool and in Kafka");
    metrics_.upload_error("fatal");
    clock_.sleep_for(policy_.round.max_backoff);
    return std::nullopt;
  }
  if (end == file.end_offset) {
    metrics_.existing_object("identical");
    log_.info(what, ": already in S3 with the same offset range [", file.identity.first_offset, ", ",
              end, ") (an earlier attempt, or another owner cut the same way); counted as uploaded");
    return FileOutcome::kUploaded;
  }
  metrics_.existing_object("adopted");
  log_.warn(what, ": the key is taken by an object holding offsets [", file.identity.first_offset,
            ", ", end, ") where this file holds [", file.identity.first_offset, ", ",
            file.end_offset, "); the partition is rebuilt to continue after the existing object");
  existing = ExistingRange{file.identity, end};
  return FileOutcome::kAdopt;
}

Uploader::FileOutcome Uploader::upload_file(const UploadFile& file,
                                            std::optional<ExistingRange>& existing) {
  const std::string what = "upload of " + s3::s3_uri(client_->bucket(), file.key) + " (partition " +
                           std::to_string(file.identity.partition) + ")";
  const auto started = std::chrono::steady_clock::now();
  std::optional<std::string> previous_cause;
  s3::PutOptions options;
  options.content_type = "application/vnd.apache.parquet";
  options.if_none_match = true;
  options.metadata = {{kFirstOffsetMetadata, std::to_string(file.identity.first_offset)},
                      {kEndOffsetMetadata, std::to_string(file.end_offset)}};
  options.cancelled = [this] { return cancelled(); };
  for (int round = 1;; ++round) {
    auto result = s3::retry_with_deadline(
        what, policy_.round, clock_, jitter_, log_,
        [&](const s3::RetryContext&) -> s3::S3Result<s3::PutResult> {
          if (cancelled()) {
            return s3::S3Error(ErrorKind::kFatal, s3::RetryCause::kNone, "cancelled");
          }
          if (previous_cause) metrics_.upload_retry(*previous_cause);
          auto put = client_->upload_file(file.key, file.path, options);
          if (!put.ok() && !put.error().key_exists()) {
            previous_cause = cause_label(put.error());
            metrics_.upload_error(*previous_cause);
          }
          return put;
        });
    if (result.ok()) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      metrics_.file_uploaded(file.kind, file.bytes, seconds);
      log_.debug("uploaded ", s3::s3_uri(client_->bucket(), file.key), " (", file.bytes,
                 " bytes, ", seconds, " s)");
      return FileOutcome::kUploaded;
    }
    if (cancelled()) {
      log_.info(what, ": cancelled; it is not committed, so it is redone from Kafka");
      return FileOutcome::kCancelled;
    }
    if (result.error().key_exists()) {
      if (auto outcome = inspect_existing(what, file, existing)) return *outcome;
      if (cancelled()) return FileOutcome::kCancelled;
      continue;
    }
    if (result.error().kind() == ErrorKind::kRetriable) {
      log_.warn(what, ": still failing after round ", round, " (",
                s3::to_string(result.error().cause()), "); retrying, nothing is committed past "
                "it and the data waits in the spool");
      continue;
    }
    log_.error(what, ": ", result.error().message(),
               "; no retry can fix this by itself. Fix the setting or permission named above; "
               "the archiver keeps retrying every ",
               policy_.round.max_backoff.count() / 1000,
               " s and loses nothing meanwhile (the data waits in the spool and in Kafka)");
    clock_.sleep_for(policy_.round.max_backoff);
    if (cancelled()) return FileOutcome::kCancelled;
  }
}

}  // namespace edgestream::archiver
