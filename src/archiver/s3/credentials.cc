#include "edgestream/s3/credentials.h"

#include <simdjson.h>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "edgestream/common/log.h"
#include "edgestream/common/timestamp.h"
#include "edgestream/s3/sigv4.h"
#include "xml_internal.h"

namespace edgestream::s3 {
namespace {

S3Error config_error(std::string text) {
  return S3Error(ErrorKind::kInvalidConfig, RetryCause::kNone, std::move(text));
}

std::string trim(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  const std::size_t end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

std::optional<std::string> non_empty(const EnvLookup& env, const std::string& name) {
  std::optional<std::string> value = env(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

S3Result<std::string> read_small_file(const std::filesystem::path& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return config_error(std::string("cannot read ") + what + " " + path.string() +
                        ": the file is missing or unreadable");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class StaticProvider final : public CredentialsProvider {
 public:
  StaticProvider(Credentials credentials, std::string description)
      : credentials_(std::move(credentials)), description_(std::move(description)) {}
  S3Result<Credentials> credentials() override { return credentials_; }
  std::string describe() const override { return description_; }

 private:
  Credentials credentials_;
  std::string description_;
};

// Shared by the providers that fetch temporary credentials over HTTP: caches
// them, refreshes `refresh_ahead` before expiry, serialises refreshes.
class RefreshingProvider : public CredentialsProvider {
 public:
  explicit RefreshingProvider(const CredentialsChainOptions& options)
      : transport_(options.transport),
        wall_clock_(options.wall_clock),
        refresh_ahead_(options.refresh_ahead) {}

  S3Result<Credentials> credentials() final {
    std::lock_guard lock(mutex_);
    const auto now = wall_clock_();
    if (cached_ && cached_->expiration && now + refresh_ahead_ < *cached_->expiration) {
      return *cached_;
    }
    if (!transport_) transport_ = make_curl_transport(TransportConfig{});
    S3Result<Credentials> fresh = fetch(*transport_);
    if (!fresh.ok()) {
      // Credentials that are still valid keep working while the refresh fails.
      if (cached_ && cached_->expiration && now < *cached_->expiration) {
        Logger("s3").warn("refreshing credentials from ", describe(), " failed (",
                          fresh.error().message(), "); using the current ones until they expire");
        return *cached_;
      }
      return fresh;
    }
    cached_ = fresh.value();
    return fresh;
  }
  void invalidate() final {
    std::lock_guard lock(mutex_);
    cached_.reset();
  }
  bool refreshable() const final { return true; }

 protected:
  virtual S3Result<Credentials> fetch(HttpTransport& transport) = 0;

 private:
  std::mutex mutex_;
  std::shared_ptr<HttpTransport> transport_;
  WallClock wall_clock_;
  std::chrono::seconds refresh_ahead_;
  std::optional<Credentials> cached_;
};

S3Error http_failure(const std::string& what, const HttpResponse& response,
                     const std::string& advice) {
  if (response.transport != TransportError::kNone) {
    const RetryCause cause = response.transport == TransportError::kTimeout
                                 ? RetryCause::kTimeout
                                 : RetryCause::kNetwork;
    const ErrorKind kind = response.transport == TransportError::kTls ||
                                   response.transport == TransportError::kConfig
                               ? ErrorKind::kFatal
                               : ErrorKind::kRetriable;
    return S3Error(kind, kind == ErrorKind::kRetriable ? cause : RetryCause::kNone,
                   what + ": " + to_string(response.transport) + " error (" +
                       response.transport_message + ")");
  }
  std::string text = what + ": HTTP " + std::to_string(response.status);
  if (response.status >= 500 || response.status == 429) {
    return S3Error(ErrorKind::kRetriable,
                   response.status == 429 ? RetryCause::kThrottled : RetryCause::kServerError,
                   text);
  }
  return S3Error(ErrorKind::kFatal, RetryCause::kNone, text + "; " + advice);
}

class WebIdentityProvider final : public RefreshingProvider {
 public:
  WebIdentityProvider(const CredentialsChainOptions& options, std::string token_file,
                      std::string role_arn, std::string session_name, std::string sts_url)
      : RefreshingProvider(options),
        token_file_(std::move(token_file)),
        role_arn_(std::move(role_arn)),
        session_name_(std::move(session_name)),
        sts_url_(std::move(sts_url)) {}

  std::string describe() const override {
    return "web identity (role " + role_arn_ + ", token file " + token_file_ + ")";
  }

 protected:
  S3Result<Credentials> fetch(HttpTransport& transport) override {
    // The token file is re-read on every refresh: the kubelet rotates it.
    S3Result<std::string> token = read_small_file(token_file_, "AWS_WEB_IDENTITY_TOKEN_FILE");
    if (!token.ok()) return token.error();
    const std::string body =
        canonical_query_string({{"Action", "AssumeRoleWithWebIdentity"},
                                {"Version", "2011-06-15"},
                                {"RoleArn", role_arn_},
                                {"RoleSessionName", session_name_},
                                {"WebIdentityToken", trim(token.value())}});
    HttpRequest request;
    request.method = "POST";  // the token travels in the body, never in a logged URL
    request.url = sts_url_;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                       {"Accept", "application/xml"}};
    request.body = std::string_view(body);
    const HttpResponse response = transport.perform(request);
    const std::string what = "AssumeRoleWithWebIdentity " + role_arn_ + " at " + sts_url_;
    if (response.transport != TransportError::kNone || response.status != 200) {
      std::string advice =
          "check that the role's trust policy allows sts:AssumeRoleWithWebIdentity for this "
          "service account (the cluster's OIDC provider, subject "
          "system:serviceaccount:<namespace>:<name>)";
      if (const std::optional<xml::Element> root = xml::parse(response.body, nullptr)) {
        if (const xml::Element* error = root->child("Error")) {
          advice = error->child_text("Code") + ": " + error->child_text("Message") + "; " + advice;
        }
      }
      return http_failure(what, response, advice);
    }
    std::string error;
    std::optional<Credentials> credentials =
        xml::parse_assume_role_with_web_identity(response.body, &error);
    if (!credentials) {
      return S3Error(ErrorKind::kRetriable, RetryCause::kServerError,
                     what + ": unreadable response: " + error);
    }
    Logger("s3").info("assumed role ", role_arn_, " with web identity; credentials expire at ",
                      format_rfc3339(std::chrono::time_point_cast<Millis>(*credentials->expiration)));
    return *credentials;
  }

 private:
  std::string token_file_;
  std::string role_arn_;
  std::string session_name_;
  std::string sts_url_;
};

class ContainerProvider final : public RefreshingProvider {
 public:
  ContainerProvider(const CredentialsChainOptions& options, std::string url,
                    std::string token_file, std::string token)
      : RefreshingProvider(options),
        url_(std::move(url)),
        token_file_(std::move(token_file)),
        token_(std::move(token)) {}

  std::string describe() const override { return "container credentials endpoint " + url_; }

 protected:
  S3Result<Credentials> fetch(HttpTransport& transport) override {
    std::string token = token_;
    if (!token_file_.empty()) {
      S3Result<std::string> text =
          read_small_file(token_file_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
      if (!text.ok()) return text.error();
      token = trim(text.value());
    }
    HttpRequest request;
    request.method = "GET";
    request.url = url_;
    if (!token.empty()) request.headers.emplace_back("Authorization", token);
    request.headers.emplace_back("Accept", "application/json");
    const HttpResponse response = transport.perform(request);
    const std::string what = "container credentials from " + url_;
    if (response.transport != TransportError::kNone || response.status != 200) {
      return http_failure(what, response,
                          "check the EKS Pod Identity association of this service account and "
                          "that the eks-pod-identity-agent runs on the node");
    }
    return parse(what, response.body);
  }

 private:
  static S3Result<Credentials> parse(const std::string& what, const std::string& body) {
    simdjson::ondemand::parser parser;
    const simdjson::padded_string json(body);
    simdjson::ondemand::document doc;
    Credentials out;
    std::string_view access_key, secret, token, expiration;
    const bool ok = !parser.iterate(json).get(doc) &&
                    !doc["AccessKeyId"].get_string().get(access_key) &&
                    !doc["SecretAccessKey"].get_string().get(secret) &&
                    !doc["Token"].get_string().get(token) &&
                    !doc["Expiration"].get_string().get(expiration);
    const std::optional<EventTime> expires = ok ? parse_rfc3339(expiration) : std::nullopt;
    if (!ok || !expires || access_key.empty() || secret.empty()) {
      return S3Error(ErrorKind::kRetriable, RetryCause::kServerError,
                     what + ": response lacks AccessKeyId, SecretAccessKey, Token or a valid "
                            "Expiration");
    }
    out.access_key_id = std::string(access_key);
    out.secret_access_key = std::string(secret);
    out.session_token = std::string(token);
    out.expiration = std::chrono::time_point_cast<std::chrono::system_clock::duration>(*expires);
    return out;
  }

  std::string url_;
  std::string token_file_;
  std::string token_;
};

// Pod Identity and ECS agents listen on link-local or loopback addresses over
// plain HTTP; anything else must be HTTPS so the token is not sent in clear.
bool container_url_allowed(std::string_view url) {
  if (url.substr(0, 8) == "https://") return true;
  for (std::string_view host : {"http://127.", "http://localhost", "http://[::1]",
                                "http://169.254.170.2/", "http://169.254.170.2:",
                                "http://169.254.170.23/", "http://169.254.170.23:",
                                "http://[fd00:ec2::23]"}) {
    if (url.substr(0, host.size()) == host) return true;
  }
  return false;
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::unique_ptr<CredentialsProvider> make_static_credentials(Credentials credentials,
                                                             std::string description) {
  return std::make_unique<StaticProvider>(std::move(credentials), std::move(description));
}

namespace {

struct Profile {
  bool found = false;
  Credentials credentials;
};

Profile find_profile(const std::string& text, const std::string& profile) {
  std::istringstream lines(text);
  std::string line;
  std::string section;
  Profile out;
  while (std::getline(lines, line)) {
    const std::string trimmed = trim(line);
    if (trimmed.empty() || trimmed.front() == '#' || trimmed.front() == ';') continue;
    if (trimmed.front() == '[') {
      const std::size_t close = trimmed.find(']');
      section = trim(trimmed.substr(1, close == std::string::npos ? std::string::npos : close - 1));
      if (section == profile) out.found = true;
      continue;
    }
    if (section != profile) continue;
    const std::size_t equals = trimmed.find('=');
    if (equals == std::string::npos) continue;
    const std::string name = trim(trimmed.substr(0, equals));
    const std::string value = trim(trimmed.substr(equals + 1));
    if (name == "aws_access_key_id") out.credentials.access_key_id = value;
    else if (name == "aws_secret_access_key") out.credentials.secret_access_key = value;
    else if (name == "aws_session_token") out.credentials.session_token = value;
  }
  return out;
}

S3Result<Credentials> check_profile(const Profile& found, const std::filesystem::path& file,
                                    const std::string& profile) {
  if (!found.found) {
    return config_error("the shared credentials file " + file.string() + " has no profile [" +
                        profile + "]; add it or set AWS_PROFILE to an existing profile");
  }
  if (found.credentials.access_key_id.empty() || found.credentials.secret_access_key.empty()) {
    return config_error("the shared credentials file " + file.string() + " (profile " + profile +
                        ") lacks aws_access_key_id or aws_secret_access_key; only static keys "
                        "are read from this file");
  }
  return found.credentials;
}

}  // namespace

S3Result<Credentials> read_shared_credentials_file(const std::filesystem::path& file,
                                                   const std::string& profile) {
  S3Result<std::string> text = read_small_file(file, "the shared credentials file");
  if (!text.ok()) return text.error();
  return check_profile(find_profile(text.value(), profile), file, profile);
}

S3Result<std::unique_ptr<CredentialsProvider>> make_default_credentials_chain(
    const CredentialsChainOptions& options) {
  const EnvLookup& env = options.env;

  // 1. Environment.
  const auto key_id = non_empty(env, "AWS_ACCESS_KEY_ID");
  const auto secret = non_empty(env, "AWS_SECRET_ACCESS_KEY");
  if (key_id || secret) {
    if (!key_id || !secret) {
      return config_error(std::string(key_id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY") +
                          " is set but " + (key_id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID") +
                          " is not; set both (and AWS_SESSION_TOKEN for temporary keys)");
    }
    Credentials credentials{*key_id, *secret, non_empty(env, "AWS_SESSION_TOKEN").value_or(""),
                            std::nullopt};
    return std::unique_ptr<CredentialsProvider>(
        std::make_unique<StaticProvider>(std::move(credentials), "environment"));
  }

  // 2. Shared credentials file.
  const auto explicit_file = non_empty(env, "AWS_SHARED_CREDENTIALS_FILE");
  const auto explicit_profile = non_empty(env, "AWS_PROFILE");
  std::filesystem::path file;
  if (explicit_file) {
    file = *explicit_file;
  } else if (const auto home = non_empty(env, "HOME")) {
    file = std::filesystem::path(*home) / ".aws" / "credentials";
  }
  std::error_code ignored;
  if (explicit_file || (!file.empty() && std::filesystem::exists(file, ignored))) {
    const std::string profile = explicit_profile.value_or("default");
    S3Result<std::string> text = read_small_file(file, "the shared credentials file");
    if (!text.ok()) return text.error();
    const Profile found = find_profile(text.value(), profile);
    // A default file without a [default] profile, with no profile asked for,
    // is not this node's identity: look further down the chain.
    const bool skip = !found.found && !explicit_file && !explicit_profile;
    if (!skip) {
      S3Result<Credentials> credentials = check_profile(found, file, profile);
      if (!credentials.ok()) return credentials.error();
      return std::unique_ptr<CredentialsProvider>(std::make_unique<StaticProvider>(
          std::move(credentials).value(),
          "shared credentials file " + file.string() + " (profile " + profile + ")"));
    }
  }

  // 3. Web identity (EKS IRSA).
  const auto token_file = non_empty(env, "AWS_WEB_IDENTITY_TOKEN_FILE");
  const auto role_arn = non_empty(env, "AWS_ROLE_ARN");
  if (token_file || role_arn) {
    if (!token_file || !role_arn) {
      return config_error(std::string(token_file ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN") +
                          " is set but " + (token_file ? "AWS_ROLE_ARN" : "AWS_WEB_IDENTITY_TOKEN_FILE") +
                          " is not; on EKS, annotate the service account with "
                          "eks.amazonaws.com/role-arn so both are injected");
    }
    std::string region = options.region;
    if (region.empty()) region = non_empty(env, "AWS_REGION").value_or("");
    if (region.empty()) region = non_empty(env, "AWS_DEFAULT_REGION").value_or("");
    std::string sts_url = non_empty(env, "AWS_ENDPOINT_URL_STS").value_or("");
    if (sts_url.empty()) {
      sts_url = region.empty() ? "https://sts.amazonaws.com/"
                               : "https://sts." + region + ".amazonaws.com/";
    }
    const std::string session = non_empty(env, "AWS_ROLE_SESSION_NAME")
                                    .value_or("edgestream-" + std::to_string(::getpid()));
    return std::unique_ptr<CredentialsProvider>(
        std::make_unique<WebIdentityProvider>(options, *token_file, *role_arn, session, sts_url));
  }

  // 4. Container credentials (EKS Pod Identity).
  if (const auto url = non_empty(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    if (!container_url_allowed(*url)) {
      return config_error("AWS_CONTAINER_CREDENTIALS_FULL_URI " + *url +
                          " must be https, or http to a loopback or the EKS Pod Identity "
                          "link-local address");
    }
    return std::unique_ptr<CredentialsProvider>(std::make_unique<ContainerProvider>(
        options, *url, non_empty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").value_or(""),
        non_empty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN").value_or("")));
  }

  return config_error(
      "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; or a profile "
      "in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials; "
      "AWS_PROFILE); or on EKS, IRSA (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN) or Pod "
      "Identity (AWS_CONTAINER_CREDENTIALS_FULL_URI)");
}

}  // namespace edgestream::s3
