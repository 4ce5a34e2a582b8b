// Where the signing keys come from. The default chain, in order:
//   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
//   2. shared credentials file: AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials,
//      profile AWS_PROFILE (default "default")
//   3. web identity (EKS IRSA): AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN →
//      STS AssumeRoleWithWebIdentity, refreshed before expiry
//   4. container credentials (EKS Pod Identity): AWS_CONTAINER_CREDENTIALS_FULL_URI
//      + AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, refreshed before expiry
// The first source that is configured is used; a source that is configured but
// broken is an error (never a silent fall-through to another identity).
//
// Secrets never reach a log line: Credentials has no stream operator, and
// describe() names the source only.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "edgestream/s3/error.h"
#include "edgestream/s3/http.h"

namespace edgestream::s3 {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
  std::optional<std::chrono::system_clock::time_point> expiration;
};

// Reads an environment variable; injectable so tests never touch the process env.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup process_environment();

using WallClock = std::function<std::chrono::system_clock::time_point()>;

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Current credentials; may block on an HTTP call when refreshing. Errors are
  // kInvalidConfig (what to set), kFatal, or kRetriable (network, STS 5xx).
  virtual S3Result<Credentials> credentials() = 0;
  // After ExpiredToken: forget the cached credentials so the next call refreshes.
  virtual void invalidate() {}
  // Whether invalidate() + credentials() can yield new credentials.
  virtual bool refreshable() const { return false; }
  // "environment", "shared credentials file /root/.aws/credentials (profile p)", …
  virtual std::string describe() const = 0;
};

// Fixed keys (tests, or a caller that read them elsewhere).
std::unique_ptr<CredentialsProvider> make_static_credentials(Credentials credentials,
                                                             std::string description);

// Parses an AWS shared credentials file (INI). Returns kInvalidConfig errors that
// name the file and the profile.
S3Result<Credentials> read_shared_credentials_file(const std::filesystem::path& file,
                                                   const std::string& profile);

struct CredentialsChainOptions {
  EnvLookup env = process_environment();
  std::string region;  // STS region for web identity; AWS_REGION when empty
  // HTTP for STS / the container endpoint; created lazily with default TLS when null.
  std::shared_ptr<HttpTransport> transport;
  WallClock wall_clock = [] { return std::chrono::system_clock::now(); };
  // Refresh this long before the credentials expire (STS sessions last ≥ 15 min).
  std::chrono::seconds refresh_ahead{std::chrono::minutes(5)};
};

// Picks the first configured source (see the top of this file). Fails with
// kInvalidConfig, listing what to set, when none is configured.
S3Result<std::unique_ptr<CredentialsProvider>> make_default_credentials_chain(
    const CredentialsChainOptions& options);

}  // namespace edgestream::s3
