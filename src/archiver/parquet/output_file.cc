#include "output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace edgestream::parquet {

Error io_error(std::string_view operation, const std::filesystem::path& path, int error_number) {
  ErrorKind kind = ErrorKind::kFatal;
  std::string advice = "write the file again; if it persists, check the spool volume";
  switch (error_number) {
    case ENOSPC:
    case EDQUOT:
      kind = ErrorKind::kRetriable;
      advice = "free space on the spool volume (or raise its quota), then write the file again";
      break;
    case EIO:
    case EAGAIN:
    case EINTR:
      kind = ErrorKind::kRetriable;
      advice = "write the file again; if it persists, check the disk";
      break;
    case EACCES:
    case EPERM:
    case ENOENT:
    case ENOTDIR:
    case EROFS:
    case EISDIR:
    case ENAMETOOLONG:
      kind = ErrorKind::kInvalidConfig;
      advice = "make sure the spool directory exists and is writable by this process";
      break;
    default:
      break;
  }
  return Error(kind, std::string(operation) + " " + path.string() + ": " + std::strerror(error_number) + "; " +
                         advice);
}

Result<OutputFile> OutputFile::create(std::filesystem::path final_path) {
  std::filesystem::path temp_path = final_path;
  temp_path += ".inprogress";
  const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error("creating Parquet file", temp_path, errno);
  return OutputFile(fd, std::move(final_path), std::move(temp_path));
}

OutputFile::OutputFile(int fd, std::filesystem::path final_path, std::filesystem::path temp_path)
    : fd_(fd), final_path_(std::move(final_path)), temp_path_(std::move(temp_path)) {
  buffer_.reserve(kBufferBytes);
}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      final_path_(std::move(other.final_path_)),
      temp_path_(std::move(other.temp_path_)),
      buffer_(std::move(other.buffer_)),
      offset_(other.offset_),
      committed_(std::exchange(other.committed_, true)) {}

OutputFile& OutputFile::operator=(OutputFile&& other) noexcept {
  if (this != &other) {
    discard();
    fd_ = std::exchange(other.fd_, -1);
    final_path_ = std::move(other.final_path_);
    temp_path_ = std::move(other.temp_path_);
    buffer_ = std::move(other.buffer_);
    offset_ = other.offset_;
    committed_ = std::exchange(other.committed_, true);
  }
  return *this;
}

OutputFile::~OutputFile() { discard(); }

Status OutputFile::append(std::string_view bytes) {
  offset_ += static_cast<std::int64_t>(bytes.size());
  if (buffer_.size() + bytes.size() <= kBufferBytes) {
    buffer_.append(bytes);
    return Status::success();
  }
  if (Status flushed = flush(); !flushed.ok()) return flushed;
  if (bytes.size() >= kBufferBytes) return write_all(bytes);
  buffer_.append(bytes);
  return Status::success();
}

Status OutputFile::flush() {
  if (buffer_.empty()) return Status::success();
  Status written = write_all(buffer_);
  buffer_.clear();
  return written;
}

Status OutputFile::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd_, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return io_error("writing Parquet file", temp_path_, errno);
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return Status::success();
}

Status OutputFile::commit(bool sync) {
  if (Status flushed = flush(); !flushed.ok()) return flushed;
  if (sync && ::fsync(fd_) != 0) return io_error("fsync of Parquet file", temp_path_, errno);
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) return io_error("closing Parquet file", temp_path_, errno);
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    return io_error("renaming Parquet file to " + final_path_.string() + " from", temp_path_, errno);
  }
  committed_ = true;
  if (sync) {
    std::filesystem::path directory = final_path_.parent_path();
    if (directory.empty()) directory = ".";
    const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return io_error("opening directory to fsync", directory, errno);
    const int synced = ::fsync(dir_fd);
    const int sync_errno = errno;
    ::close(dir_fd);
    if (synced != 0) {
      // The rename may not survive a crash: withdraw the file so that an
      // error from close() always means "no file".
      ::unlink(final_path_.c_str());
      return io_error("fsync of directory", directory, sync_errno);
    }
  }
  return Status::success();
}

void OutputFile::close_fd() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void OutputFile::discard() {
  close_fd();
  if (!committed_) {
    ::unlink(temp_path_.c_str());
    committed_ = true;  // nothing left to clean up
  }
}

}  // namespace edgestream::parquet
