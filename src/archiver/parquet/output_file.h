// OutputFile: the in-progress file a FileWriter appends to, published under
// its final name only by commit(). Owns the file descriptor (RAII); buffers
// small writes (page headers) and passes large ones straight through.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "edgestream/common/status.h"

namespace edgestream::parquet {

class OutputFile {
 public:
  // Creates (or truncates) "<final_path>.inprogress".
  static Result<OutputFile> create(std::filesystem::path final_path);

  OutputFile(OutputFile&& other) noexcept;
  OutputFile& operator=(OutputFile&& other) noexcept;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  // Deletes the in-progress file unless commit() succeeded.
  ~OutputFile();

  Status append(std::string_view bytes);
  // Bytes appended so far: the file offset of the next append.
  std::int64_t offset() const { return offset_; }

  // Flushes, optionally fsyncs the file, closes it, renames it to the final
  // path and (with sync) fsyncs the directory so the rename is durable.
  Status commit(bool sync);
  // Closes and deletes the in-progress file. Idempotent.
  void discard();

  const std::filesystem::path& final_path() const { return final_path_; }
  const std::filesystem::path& temp_path() const { return temp_path_; }

 private:
  OutputFile(int fd, std::filesystem::path final_path, std::filesystem::path temp_path);
  Status flush();
  Status write_all(std::string_view bytes);
  void close_fd();

  // Small writes are gathered up to this size; larger ones go directly.
  static constexpr std::size_t kBufferBytes = 256 * 1024;

  int fd_ = -1;
  std::filesystem::path final_path_;
  std::filesystem::path temp_path_;
  std::string buffer_;
  std::int64_t offset_ = 0;
  bool committed_ = false;
};

// Error for a failed system call on path, classified by errno (see
// file_writer.h for what each kind asks of the caller).
Error io_error(std::string_view operation, const std::filesystem::path& path, int error_number);

}  // namespace edgestream::parquet
