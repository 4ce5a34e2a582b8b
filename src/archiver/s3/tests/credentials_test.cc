#include "edgestream/s3/credentials.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <deque>
#include <fstream>
#include <map>

namespace edgestream::s3 {
namespace {

using namespace std::chrono_literals;

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("edgestream-cred-test-" + std::to_string(::getpid()) + "-" + std::to_string(next_++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::filesystem::path write(const std::string& name, const std::string& text) const {
    const auto file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << text;
    return file;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  static inline int next_ = 0;
  std::filesystem::path path_;
};

class FakeTransport final : public HttpTransport {
 public:
  HttpResponse perform(const HttpRequest& request) override {
    HttpRequest copy = request;
    if (const auto* body = std::get_if<std::string_view>(&request.body)) {
      bodies.emplace_back(*body);
    } else {
      bodies.emplace_back();
    }
    copy.body = std::monostate{};
    requests.push_back(copy);
    if (responses.empty()) {
      ADD_FAILURE() << "unexpected request " << request.url;
      return HttpResponse{};
    }
    HttpResponse response = responses.front();
    responses.pop_front();
    return response;
  }
  std::deque<HttpResponse> responses;
  std::vector<HttpRequest> requests;
  std::vector<std::string> bodies;
};

HttpResponse ok(std::string body) {
  HttpResponse response;
  response.status = 200;
  response.body = std::move(body);
  return response;
}

std::string sts_body(const std::string& key_id, const std::string& expiration) {
  return "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
         "<AccessKeyId>" + key_id + "</AccessKeyId><SecretAccessKey>secret-" + key_id +
         "</SecretAccessKey><SessionToken>token-" + key_id + "</SessionToken><Expiration>" +
         expiration + "</Expiration></Credentials></AssumeRoleWithWebIdentityResult>"
         "</AssumeRoleWithWebIdentityResponse>";
}

std::string header(const HttpRequest& request, std::string_view name) {
  for (const auto& [n, v] : request.headers) {
    if (n == name) return v;
  }
  return {};
}

std::chrono::system_clock::time_point utc(int hour, int minute) {
  using namespace std::chrono;
  return sys_days{2024y / December / 26} + hours(hour) + minutes(minute);
}

TEST(CredentialsChain, EnvironmentFirst) {
  TempDir dir;
  const auto file = dir.write("credentials", "[default]\naws_access_key_id=FILE\naws_secret_access_key=F\n");
  CredentialsChainOptions options;
  options.env = env_of({{"AWS_ACCESS_KEY_ID", "ENVKEY"},
                        {"AWS_SECRET_ACCESS_KEY", "envsecret"},
                        {"AWS_SESSION_TOKEN", "envtoken"},
                        {"AWS_SHARED_CREDENTIALS_FILE", file.string()}});
  auto provider = make_default_credentials_chain(options);
  ASSERT_TRUE(provider.ok()) << provider.error().message();
  EXPECT_EQ(provider.value()->describe(), "environment");
  EXPECT_FALSE(provider.value()->refreshable());
  auto credentials = provider.value()->credentials();
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials.value().access_key_id, "ENVKEY");
  EXPECT_EQ(credentials.value().secret_access_key, "envsecret");
  EXPECT_EQ(credentials.value().session_token, "envtoken");
}

TEST(CredentialsChain, HalfSetEnvironmentIsAnErrorNamingTheMissingVariable) {
  CredentialsChainOptions options;
  options.env = env_of({{"AWS_ACCESS_KEY_ID", "ENVKEY"}});
  auto provider = make_default_credentials_chain(options);
  ASSERT_FALSE(provider.ok());
  EXPECT_EQ(provider.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_NE(provider.error().message().find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos)
      << provider.error().message();
}

constexpr std::string_view kCredentialsFile = R"(# comment
[default]
aws_access_key_id = DEFAULTKEY
aws_secret_access_key = default/secret+key

; another comment
[archiver]
aws_access_key_id=ARCHIVERKEY
aws_secret_access_key=archiver-secret
aws_session_token = archiver-token
[broken]
region = eu-west-1
)";

TEST(CredentialsChain, SharedFileDefaultAndNamedProfiles) {
  TempDir dir;
  const auto file = dir.write("credentials", std::string(kCredentialsFile));
  CredentialsChainOptions options;
  options.env = env_of({{"AWS_SHARED_CREDENTIALS_FILE", file.string()}});
  auto provider = make_default_credentials_chain(options);
  ASSERT_TRUE(provider.ok()) << provider.error().message();
  EXPECT_EQ(provider.value()->describe(),
            "shared credentials file " + file.string() + " (profile default)");
  EXPECT_EQ(provider.value()->credentials().value().access_key_id, "DEFAULTKEY");
  EXPECT_EQ(provider.value()->credentials().value().secret_access_key, "default/secret+key");

  options.env = env_of({{"AWS_SHARED_CREDENTIALS_FILE", file.string()}, {"AWS_PROFILE", "archiver"}});
  provider = make_default_credentials_chain(options);
  ASSERT_TRUE(provider.ok()) << provider.error().message();
  const Credentials credentials = provider.value()->credentials().value();
  EXPECT_EQ(credentials.access_key_id, "ARCHIVERKEY");
  EXPECT_EQ(credentials.secret_access_key, "archiver-secret");
  EXPECT_EQ(credentials.session_token, "archiver-token");
}

TEST(CredentialsChain, SharedFileFromHomeDirectory) {
  TempDir dir;
  dir.write(".aws/credentials", std::string(kCredentialsFile));
  CredentialsChainOptions options;
  options.env = env_of({{"HOME", dir.path().string()}, {"AWS_PROFILE", "archiver"}});
  auto provider = make_default_credentials_chain(options);
  ASSERT_TRUE(provider.ok()) << provider.error().message();
  EXPECT_EQ(provider.value()->credentials().value().access_key_id, "ARCHIVERKEY");
}

TEST(CredentialsChain, SharedFileErrorsSayWhatToFix) {
  TempDir dir;
  const auto file = dir.write("credentials", std::string(kCredentialsFile));
  struct Case {
    std::map<std::string, std::string> env;
    std::string expected;
  };
  const Case cases[] = {
      {{{"AWS_SHARED_CREDENTIALS_FILE", file.string()}, {"AWS_PROFILE", "nope"}},
       "has no profile [nope]"},
      {{{"AWS_SHARED_CREDENTIALS_FILE", file.string()}, {"AWS_PROFILE", "broken"}},
       "lacks aws_access_key_id or aws_secret_access_key"},
      {{{"AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "missing").string()}},
       "missing or unreadable"},
  };
  for (const Case& c : cases) {
    CredentialsChainOptions options;
    options.env = env_of(c.env);
    auto provider = make_default_credentials_chain(options);
    ASSERT_FALSE(provider.ok()) << c.expected;
    EXPECT_EQ(provider.error().kind(), ErrorKind::kInvalidConfig);
    EXPECT_NE(provider.error().message().find(c.expected), std::string::npos)
        << provider.error().message();
  }
}

TEST(CredentialsChain, NothingConfiguredListsEverySource) {
  TempDir dir;  // a HOME without .aws
  CredentialsChainOptions options;
  options.env = env_of({{"HOME", dir.path().string()}});
  auto provider = make_default_credentials_chain(options);
  ASSERT_FALSE(provider.ok());
  EXPECT_EQ(provider.error().kind(), ErrorKind::kInvalidConfig);
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE",
                           "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
                           "AWS_CONTAINER_CREDENTIALS_FULL_URI"}) {
    EXPECT_NE(provider.error().message().find(name), std::string::npos) << name;
  }
}

TEST(CredentialsChain, DefaultFileWithoutDefaultProfileFallsThrough) {
  TempDir dir;
  dir.write(".aws/credentials", "[other]\naws_access_key_id=A\naws_secret_access_key=B\n");
  const auto token = dir.write("token", "jwt");
  CredentialsChainOptions options;
  options.env = env_of({{"HOME", dir.path().string()},
                        {"AWS_WEB_IDENTITY_TOKEN_FILE", token.string()},
                        {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/archiver"}});
  auto provider = make_default_credentials_chain(options);
  ASSERT_TRUE(provider.ok()) << provider.error().message();
  EXPECT_NE(provider.value()->describe().find("web identity"), std::string::npos);
}

TEST(WebIdentity, AssumesRoleRefreshesBeforeExpiryAndRereadsTheToken) {
  TempDir dir;
  const auto token = dir.write("token", "jwt-one\n");
  auto transport = std::make_shared<FakeTransport>();
  transport->responses = {ok(sts_body("ASIAONE", "2024-12-26T11:00:00Z")),
                          ok(sts_body("ASIATWO", "2024-12-26T12:00:00Z")),
                          ok(sts_body("ASIATHREE", "2024-12-26T13:00:00Z"))};
  auto now = utc(10, 0);
  CredentialsChainOptions options;
  options.env = env_of({{"AWS_WEB_IDENTITY_TOKEN_FILE", token.string()},
                        {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/edge archiver"},
                        {"AWS_ROLE_SESSION_NAME", "node-1"},
                        {"AWS_REGION", "eu-west-1"}});
  options.transport = transport;
  options.wall_clock = [&now] { return now; };
  auto made = make_default_credentials_chain(options);
  ASSERT_TRUE(made.ok()) << made.error().message();
  CredentialsProvider& provider = *made.value();
  EXPECT_TRUE(provider.refreshable());

  auto first = provider.credentials();
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ(first.value().access_key_id, "ASIAONE");
  EXPECT_EQ(first.value().session_token, "token-ASIAONE");
  ASSERT_EQ(transport->requests.size(), 1u);
  EXPECT_EQ(transport->requests[0].method, "POST");
  EXPECT_EQ(transport->requests[0].url, "https://sts.eu-west-1.amazonaws.com/");
  EXPECT_EQ(transport->bodies[0],
            "Action=AssumeRoleWithWebIdentity&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2F"
            "edge%20archiver&RoleSessionName=node-1&Version=2011-06-15&WebIdentityToken=jwt-one");
  EXPECT_EQ(transport->requests[0].url.find("jwt"), std::string::npos);  // never in the URL

  // Cached while more than 5 minutes remain.
  now = utc(10, 54);
  EXPECT_EQ(provider.credentials().value().access_key_id, "ASIAONE");
  EXPECT_EQ(transport->requests.size(), 1u);

  // Within 5 minutes of expiry: refreshed, with the rotated token.
  dir.write("token", "jwt-two");
  now = utc(10, 56);
  EXPECT_EQ(provider.credentials().value().access_key_id, "ASIATWO");
  ASSERT_EQ(transport->requests.size(), 2u);
  EXPECT_NE(transport->bodies[1].find("WebIdentityToken=jwt-two"), std::string::npos);

  // After ExpiredToken the client invalidates: the next call fetches anew.
  provider.invalidate();
  EXPECT_EQ(provider.credentials().value().access_key_id, "ASIATHREE");
  EXPECT_EQ(transport->requests.size(), 3u);
}

TEST(WebIdentity, StsRejectionIsFatalWithTrustPolicyAdvice) {
  TempDir dir;
  const auto token = dir.write("token", "jwt");
  auto transport = std::make_shared<FakeTransport>();
  HttpResponse denied;
  denied.status = 403;
  denied.body =
      "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized "
      "to perform sts:AssumeRoleWithWebIdentity</Message></Error></ErrorResponse>";
  transport->responses = {denied};
  CredentialsChainOptions options;
  options.env = env_of({{"AWS_WEB_IDENTITY_TOKEN_FILE", token.string()},
                        {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}});
  options.transport = transport;
  auto provider = make_default_credentials_chain(options);
  ASSERT_TRUE(provider.ok());
  auto credentials = provider.value()->credentials();
  ASSERT_FALSE(credentials.ok());
  EXPECT_EQ(credentials.error().kind(), ErrorKind::kFatal);
  EXPECT_NE(credentials.error().message().find("HTTP 403"), std::string::npos);
  EXPECT_NE(credentials.error().message().find("AccessDenied: Not authorized"), std::string::npos);
  EXPECT_NE(credentials.error().message().find("trust policy"), std::string::npos);
  EXPECT_EQ(transport->requests[0].url, "https://sts.amazonaws.com/");  // no region given
}

TEST(WebIdentity, NetworkFailureIsRetriableAndValidCredentialsKeepWorking) {
  TempDir dir;
  const auto token = dir.write("token", "jwt");
  auto transport = std::make_shared<FakeTransport>();
  HttpResponse refused;
  refused.transport = TransportError::kConnect;
  refused.transport_message = "Couldn't connect";
  transport->responses = {ok(sts_body("ASIAONE", "2024-12-26T11:00:00Z")), refused, refused};
  auto now = utc(10, 0);
  CredentialsChainOptions options;
  options.env = env_of({{"AWS_WEB_IDENTITY_TOKEN_FILE", token.string()},
                        {"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}});
  options.transport = transport;
  options.wall_clock = [&now] { return now; };
  auto provider = make_default_credentials_chain(options);
  ASSERT_TRUE(provider.ok());
  ASSERT_TRUE(provider.value()->credentials().ok());
  now = utc(10, 58);  // refresh due, STS unreachable, old credentials still valid
  auto still = provider.value()->credentials();
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(still.value().access_key_id, "ASIAONE");
  now = utc(11, 1);  // expired and STS still unreachable
  auto expired = provider.value()->credentials();
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().kind(), ErrorKind::kRetriable);
  EXPECT_EQ(expired.error().cause(), RetryCause::kNetwork);
}

TEST(WebIdentity, HalfConfiguredIsAnError) {
  CredentialsChainOptions options;
  options.env = env_of({{"AWS_ROLE_ARN", "arn:aws:iam::1:role/r"}});
  auto provider = make_default_credentials_chain(options);
  ASSERT_FALSE(provider.ok());
  EXPECT_NE(provider.error().message().find("AWS_WEB_IDENTITY_TOKEN_FILE is not"),
            std::string::npos);
}

TEST(PodIdentity, FetchesWithTheTokenFromItsFile) {
  TempDir dir;
  const auto token = dir.write("eks-pod-identity-token", "pod-token\n");
  auto transport = std::make_shared<FakeTransport>();
  transport->responses = {ok(R"({"AccessKeyId":"ASIAPOD","SecretAccessKey":"pod-secret",
      "Token":"pod-session","AccountId":"123456789012","Expiration":"2024-12-26T16:00:00Z"})")};
  CredentialsChainOptions options;
  options.env = env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials"},
                        {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", token.string()}});
  options.transport = transport;
  options.wall_clock = [] { return utc(10, 0); };
  auto provider = make_default_credentials_chain(options);
  ASSERT_TRUE(provider.ok()) << provider.error().message();
  auto credentials = provider.value()->credentials();
  ASSERT_TRUE(credentials.ok()) << credentials.error().message();
  EXPECT_EQ(credentials.value().access_key_id, "ASIAPOD");
  EXPECT_EQ(credentials.value().secret_access_key, "pod-secret");
  EXPECT_EQ(credentials.value().session_token, "pod-session");
  EXPECT_EQ(credentials.value().expiration, utc(16, 0));
  ASSERT_EQ(transport->requests.size(), 1u);
  EXPECT_EQ(transport->requests[0].url, "http://169.254.170.23/v1/credentials");
  EXPECT_EQ(header(transport->requests[0], "Authorization"), "pod-token");
}

TEST(PodIdentity, PlainHttpOnlyToLinkLocalOrLoopback) {
  CredentialsChainOptions options;
  options.env = env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.1.2.3/creds"}});
  auto provider = make_default_credentials_chain(options);
  ASSERT_FALSE(provider.ok());
  EXPECT_EQ(provider.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_NE(provider.error().message().find("must be https"), std::string::npos);
}

}  // namespace
}  // namespace edgestream::s3
