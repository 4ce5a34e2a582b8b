#include "edgestream/s3/endpoint.h"

#include <algorithm>
#include <cctype>

namespace edgestream::s3 {
namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}
bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool is_ip_literal(std::string_view host) {
  if (!host.empty() && host.front() == '[') return true;  // IPv6
  return !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isdigit(c) || c == '.';
  });
}

// Host without port.
std::string_view host_name(std::string_view authority) {
  if (!authority.empty() && authority.front() == '[') {
    return authority.substr(0, authority.find(']') + 1);
  }
  return authority.substr(0, authority.find(':'));
}

Error config_error(std::string text) { return Error(ErrorKind::kInvalidConfig, std::move(text)); }

}  // namespace

const char* to_string(AddressingStyle style) {
  switch (style) {
    case AddressingStyle::kAuto: return "auto";
    case AddressingStyle::kPath: return "path";
    case AddressingStyle::kVirtual: return "virtual";
  }
  return "auto";
}

bool parse_addressing_style(std::string_view text, AddressingStyle& out) {
  if (text == "auto") out = AddressingStyle::kAuto;
  else if (text == "path") out = AddressingStyle::kPath;
  else if (text == "virtual") out = AddressingStyle::kVirtual;
  else return false;
  return true;
}

bool is_dns_compatible_bucket(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  auto alnum = [](unsigned char c) { return std::islower(c) || std::isdigit(c); };
  if (!alnum(static_cast<unsigned char>(bucket.front())) ||
      !alnum(static_cast<unsigned char>(bucket.back()))) {
    return false;
  }
  return std::all_of(bucket.begin(), bucket.end(), [&](unsigned char c) {
    return alnum(c) || c == '-' || c == '.';
  });
}

Result<Endpoint> Endpoint::resolve(const EndpointConfig& config) {
  if (config.bucket.empty()) return config_error("s3.bucket is empty; set the archive bucket name");
  if (config.region.empty()) {
    return config_error("s3.region is empty; set it (or AWS_REGION) to the bucket's region");
  }
  if (!is_dns_compatible_bucket(config.bucket) &&
      config.addressing == AddressingStyle::kVirtual) {
    return config_error("s3.bucket '" + config.bucket +
                        "' is not a valid DNS label, so virtual-hosted addressing cannot "
                        "work; use s3.addressing=path");
  }

  Endpoint endpoint;
  endpoint.bucket_ = config.bucket;
  endpoint.region_ = config.region;

  std::string url = config.endpoint_url;
  if (url.empty()) url = "https://s3." + config.region + ".amazonaws.com";
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return config_error("s3.endpoint_url '" + url + "' has no scheme; write http://… or https://…");
  }
  endpoint.scheme_ = url.substr(0, scheme_end);
  std::transform(endpoint.scheme_.begin(), endpoint.scheme_.end(), endpoint.scheme_.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (endpoint.scheme_ != "http" && endpoint.scheme_ != "https") {
    return config_error("s3.endpoint_url '" + url + "': scheme must be http or https");
  }
  std::string authority = url.substr(scheme_end + 3);
  while (!authority.empty() && authority.back() == '/') authority.pop_back();
  if (authority.empty() || authority.find_first_of("/?#@") != std::string::npos) {
    return config_error("s3.endpoint_url '" + url +
                        "' must be scheme://host[:port] with no path, query or user info");
  }
  std::transform(authority.begin(), authority.end(), authority.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string_view name = host_name(authority);

  // A VPC interface endpoint (or an AWS virtual-hosted URL) may already carry
  // the bucket as its first label; then the host is used as given.
  const bool bucket_in_host = starts_with(name, config.bucket + ".vpce-") ||
                              starts_with(name, config.bucket + ".s3.") ||
                              starts_with(name, config.bucket + ".s3-");
  if (bucket_in_host) {
    if (config.addressing == AddressingStyle::kPath) {
      return config_error("s3.endpoint_url '" + url + "' already names bucket '" +
                          config.bucket +
                          "' in its host; use s3.addressing=auto or virtual, or the endpoint "
                          "URL without the bucket");
    }
    endpoint.host_ = authority;
    endpoint.path_style_ = false;
    return endpoint;
  }

  const bool aws = ends_with(name, ".amazonaws.com") || ends_with(name, ".amazonaws.com.cn");
  bool path_style = true;
  switch (config.addressing) {
    case AddressingStyle::kPath: path_style = true; break;
    case AddressingStyle::kVirtual: path_style = false; break;
    case AddressingStyle::kAuto:
      // Virtual-hosted only where DNS and the TLS wildcard certificate can work:
      // AWS hosts, not a bare interface endpoint, and no dots in the bucket
      // (a dotted bucket breaks the *.s3… certificate match).
      path_style = !aws || starts_with(name, "vpce-") ||
                   !is_dns_compatible_bucket(config.bucket) ||
                   config.bucket.find('.') != std::string::npos;
      break;
  }
  if (!path_style && (is_ip_literal(name) || name == "localhost")) {
    return config_error("s3.endpoint_url '" + url +
                        "' is an IP address or localhost, which cannot carry the bucket as a "
                        "host name; use s3.addressing=path");
  }
  endpoint.path_style_ = path_style;
  endpoint.host_ = path_style ? authority : config.bucket + "." + authority;
  return endpoint;
}

RequestTarget Endpoint::target(std::string_view key, const QueryParams& query) const {
  RequestTarget target;
  target.host = host_;
  if (path_style_) {
    target.canonical_uri = "/" + uri_encode(bucket_, true);
    if (!key.empty()) target.canonical_uri += "/" + uri_encode(key, false);
  } else {
    target.canonical_uri = "/" + uri_encode(key, false);
  }
  target.canonical_query = canonical_query_string(query);
  target.url = scheme_ + "://" + host_ + target.canonical_uri;
  if (!target.canonical_query.empty()) target.url += "?" + target.canonical_query;
  return target;
}

}  // namespace edgestream::s3
