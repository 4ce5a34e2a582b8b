// Page compression. One Compressor per file (zstd keeps a reusable context);
// the codecs are the ones Parquet readers universally support and Debian ships.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "edgestream/common/status.h"
#include "edgestream/parquet/file_writer.h"

namespace edgestream::parquet {

class Compressor {
 public:
  virtual ~Compressor() = default;
  // Compresses input into scratch (reusing its capacity) and returns a view of
  // the compressed bytes; the uncompressed codec returns input itself.
  virtual Result<std::string_view> compress(std::string_view input, std::string& scratch) = 0;
};

// level is used by zstd only; options were validated by the caller.
Result<std::unique_ptr<Compressor>> make_compressor(Codec codec, int level);

}  // namespace edgestream::parquet
