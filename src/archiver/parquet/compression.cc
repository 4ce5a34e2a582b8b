#include "compression.h"

#include <snappy.h>
#include <zstd.h>

namespace edgestream::parquet {
namespace {

class Uncompressed final : public Compressor {
 public:
  Result<std::string_view> compress(std::string_view input, std::string&) override { return input; }
};

class Snappy final : public Compressor {
 public:
  Result<std::string_view> compress(std::string_view input, std::string& scratch) override {
    scratch.resize(snappy::MaxCompressedLength(input.size()));
    std::size_t length = 0;
    snappy::RawCompress(input.data(), input.size(), scratch.data(), &length);
    return std::string_view(scratch.data(), length);
  }
};

struct ZstdContextDeleter {
  void operator()(ZSTD_CCtx* context) const { ZSTD_freeCCtx(context); }
};
using ZstdContext = std::unique_ptr<ZSTD_CCtx, ZstdContextDeleter>;

class Zstd final : public Compressor {
 public:
  Zstd(ZstdContext context, int level) : context_(std::move(context)), level_(level) {}

  Result<std::string_view> compress(std::string_view input, std::string& scratch) override {
    scratch.resize(ZSTD_compressBound(input.size()));
    const std::size_t length =
        ZSTD_compressCCtx(context_.get(), scratch.data(), scratch.size(), input.data(), input.size(), level_);
    if (ZSTD_isError(length)) {
      return Error(ErrorKind::kFatal, std::string("zstd compression of a ") + std::to_string(input.size()) +
                                          "-byte page failed: " + ZSTD_getErrorName(length));
    }
    return std::string_view(scratch.data(), length);
  }

 private:
  ZstdContext context_;
  int level_;
};

}  // namespace

Result<std::unique_ptr<Compressor>> make_compressor(Codec codec, int level) {
  switch (codec) {
    case Codec::kUncompressed: return std::unique_ptr<Compressor>(std::make_unique<Uncompressed>());
    case Codec::kSnappy: return std::unique_ptr<Compressor>(std::make_unique<Snappy>());
    case Codec::kZstd: {
      ZstdContext context(ZSTD_createCCtx());
      if (!context) {
        return Error(ErrorKind::kFatal, "creating a zstd compression context failed (out of memory)");
      }
      return std::unique_ptr<Compressor>(std::make_unique<Zstd>(std::move(context), level));
    }
  }
  return Error(ErrorKind::kInvalidConfig, "unknown Parquet codec");
}

}  // namespace edgestream::parquet
