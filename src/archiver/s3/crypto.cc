#include "crypto_internal.h"

#include <openssl/hmac.h>

#include <cassert>
#include <cstdlib>
#include <stdexcept>

namespace edgestream::s3::crypto {
namespace {

// libcrypto fails these calls only on allocation failure or a programming error
// (wrong digest type); neither is an expected failure the caller can act on.
void check(int ok, const char* what) {
  if (ok != 1) throw std::runtime_error(std::string("libcrypto: ") + what + " failed");
}

}  // namespace

Digest::Digest(const EVP_MD* md) : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) throw std::bad_alloc();
  check(EVP_DigestInit_ex(ctx_.get(), md, nullptr), "EVP_DigestInit_ex");
}

Digest Digest::sha256() { return Digest(EVP_sha256()); }
Digest Digest::md5() { return Digest(EVP_md5()); }

void Digest::update(const void* data, std::size_t size) {
  check(EVP_DigestUpdate(ctx_.get(), data, size), "EVP_DigestUpdate");
}

std::string Digest::finish() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  check(EVP_DigestFinal_ex(ctx_.get(), out.data(), &size), "EVP_DigestFinal_ex");
  return std::string(reinterpret_cast<const char*>(out.data()), size);
}

std::string sha256(std::string_view data) {
  Digest digest = Digest::sha256();
  digest.update(data);
  return digest.finish();
}

std::string md5(std::string_view data) {
  Digest digest = Digest::md5();
  digest.update(data);
  return digest.finish();
}

std::string sha256_hex(std::string_view data) { return hex(sha256(data)); }

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int size = 0;
  const unsigned char* result =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &size);
  if (result == nullptr) throw std::runtime_error("libcrypto: HMAC failed");
  return std::string(reinterpret_cast<const char*>(out.data()), size);
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0x0f];
  }
  return out;
}

std::string base64(std::string_view bytes) {
  // EVP_EncodeBlock writes 4 characters per 3 input bytes plus a NUL.
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  assert(written >= 0 && "EVP_EncodeBlock cannot fail on a correctly sized buffer");
  out.resize(static_cast<std::size_t>(written));
  return out;
}

}  // namespace edgestream::s3::crypto
