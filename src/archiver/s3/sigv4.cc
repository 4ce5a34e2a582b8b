#include "edgestream/s3/sigv4.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "crypto_internal.h"

namespace edgestream::s3 {
namespace {

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Canonical header values: leading/trailing whitespace trimmed, inner runs of
// spaces collapsed to one (SigV4 "Trimall").
std::string trim_all(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string uri_encode(std::string_view text, bool encode_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || (c == '/' && !encode_slash)) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0f];
    }
  }
  return out;
}

std::string canonical_query_string(const QueryParams& params) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& [name, value] : params) {
    encoded.emplace_back(uri_encode(name, true), uri_encode(value, true));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string format_amz_date(std::chrono::system_clock::time_point time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[17];
  const std::size_t written = std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &utc);
  return std::string(buffer, written);
}

std::string derive_signing_key(std::string_view secret_access_key, std::string_view date,
                               std::string_view region, std::string_view service) {
  std::string secret = "AWS4";
  secret += secret_access_key;
  const std::string k_date = crypto::hmac_sha256(secret, date);
  const std::string k_region = crypto::hmac_sha256(k_date, region);
  const std::string k_service = crypto::hmac_sha256(k_region, service);
  return crypto::hmac_sha256(k_service, "aws4_request");
}

SignatureV4 sign_v4(const SigningInput& input, const SigningKeys& keys) {
  // Canonical headers: lower-case names, sorted; repeated names joined by ','.
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(input.headers.size());
  for (const auto& [name, value] : input.headers) {
    headers.emplace_back(lower(name), trim_all(value));
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical_headers;
  std::string signed_headers;
  for (std::size_t i = 0; i < headers.size(); ++i) {
    if (i > 0 && headers[i].first == headers[i - 1].first) {
      canonical_headers.pop_back();  // the '\n' of the previous value
      canonical_headers += ',' + headers[i].second + '\n';
      continue;
    }
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += headers[i].first;
    canonical_headers += headers[i].first + ':' + headers[i].second + '\n';
  }

  SignatureV4 out;
  out.signed_headers = signed_headers;
  out.canonical_request.reserve(256 + canonical_headers.size());
  out.canonical_request.append(input.method).append("\n");
  out.canonical_request.append(input.canonical_uri).append("\n");
  out.canonical_request.append(input.canonical_query).append("\n");
  out.canonical_request.append(canonical_headers).append("\n");
  out.canonical_request.append(signed_headers).append("\n");
  out.canonical_request.append(input.payload_hash);

  const std::string_view date = input.amz_date.substr(0, 8);
  out.credential_scope = std::string(date) + '/' + std::string(input.region) + '/' +
                         std::string(input.service) + "/aws4_request";
  out.string_to_sign = "AWS4-HMAC-SHA256\n" + std::string(input.amz_date) + '\n' +
                       out.credential_scope + '\n' + crypto::sha256_hex(out.canonical_request);

  const std::string key =
      derive_signing_key(keys.secret_access_key, date, input.region, input.service);
  out.signature = crypto::hex(crypto::hmac_sha256(key, out.string_to_sign));
  out.authorization = "AWS4-HMAC-SHA256 Credential=" + std::string(keys.access_key_id) + '/' +
                      out.credential_scope + ", SignedHeaders=" + signed_headers +
                      ", Signature=" + out.signature;
  return out;
}

}  // namespace edgestream::s3
