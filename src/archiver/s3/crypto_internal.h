// Hashes, HMAC and encodings for SigV4 and upload checksums, over OpenSSL's
// libcrypto. Private to edgestream::s3.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <openssl/evp.h>

namespace edgestream::s3::crypto {

struct EvpMdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, EvpMdCtxDeleter>;

// One incremental digest (SHA-256 or MD5). Move-only.
class Digest {
 public:
  static Digest sha256();
  static Digest md5();

  void update(const void* data, std::size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // Raw digest bytes; the object must not be updated afterwards.
  std::string finish();

 private:
  explicit Digest(const EVP_MD* md);
  EvpMdCtxPtr ctx_;
};

std::string sha256(std::string_view data);      // raw 32 bytes
std::string md5(std::string_view data);         // raw 16 bytes
std::string sha256_hex(std::string_view data);  // 64 lowercase hex digits
std::string hmac_sha256(std::string_view key, std::string_view data);  // raw 32 bytes

std::string hex(std::string_view bytes);     // lowercase
std::string base64(std::string_view bytes);  // standard alphabet, padded

// Hex SHA-256 of the empty string: the payload hash of body-less requests.
inline constexpr std::string_view kEmptySha256Hex =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

}  // namespace edgestream::s3::crypto
