// SigV4 against PUBLISHED vectors only. Every expected hash and signature
// below is quoted from:
//   - Amazon S3 API Reference, "Signature Calculations for the Authorization
//     Header: Transferring Payload in a Single Chunk", section "Examples"
//     (credentials AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY,
//     bucket examplebucket, us-east-1, 20130524T000000Z);
//   - the AWS SigV4 test suite (aws-sig-v4-test-suite): get-vanilla,
//     get-vanilla-query-order-key-case, get-utf8 (AKIDEXAMPLE,
//     wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, service "service", us-east-1,
//     20150830T123600Z).
// None of them was produced by this code.
#include "edgestream/s3/sigv4.h"

#include <gtest/gtest.h>

#include "crypto_internal.h"

namespace edgestream::s3 {
namespace {

constexpr std::string_view kS3KeyId = "AKIAIOSFODNN7EXAMPLE";
constexpr std::string_view kS3Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kS3Host = "examplebucket.s3.amazonaws.com";
constexpr std::string_view kS3Date = "20130524T000000Z";
constexpr std::string_view kEmptyHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SignatureV4 sign_s3_example(std::string_view method, std::string_view uri, std::string_view query,
                            HeaderList extra, std::string_view payload_hash) {
  HeaderList headers = {{"Host", std::string(kS3Host)},
                        {"x-amz-date", std::string(kS3Date)},
                        {"x-amz-content-sha256", std::string(payload_hash)}};
  for (auto& header : extra) headers.push_back(std::move(header));
  return sign_v4(SigningInput{method, uri, query, headers, payload_hash, kS3Date, "us-east-1", "s3"},
                 SigningKeys{kS3KeyId, kS3Secret});
}

TEST(SigV4S3Examples, GetObjectWithRange) {
  const SignatureV4 sig =
      sign_s3_example("GET", "/test.txt", "", {{"Range", "bytes=0-9"}}, kEmptyHash);
  EXPECT_EQ(sig.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sig.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(sig.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(sig.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4S3Examples, PutObjectWithEncodedKeyAndPayloadHash) {
  // The published payload hash of "Welcome to Amazon S3.".
  const std::string payload_hash = crypto::sha256_hex("Welcome to Amazon S3.");
  ASSERT_EQ(payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  // The key "test$file.text" encodes to the published canonical URI.
  const std::string uri = "/" + uri_encode("test$file.text", false);
  ASSERT_EQ(uri, "/test%24file.text");
  const SignatureV4 sig = sign_s3_example(
      "PUT", uri, "",
      {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
      payload_hash);
  EXPECT_EQ(sig.signed_headers, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  EXPECT_EQ(crypto::sha256_hex(sig.canonical_request),
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(sig.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4S3Examples, GetBucketLifecycleValuelessQuery) {
  const std::string query = canonical_query_string({{"lifecycle", ""}});
  ASSERT_EQ(query, "lifecycle=");
  const SignatureV4 sig = sign_s3_example("GET", "/", query, {}, kEmptyHash);
  EXPECT_EQ(crypto::sha256_hex(sig.canonical_request),
            "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
  EXPECT_EQ(sig.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4S3Examples, ListObjectsSortsQuery) {
  // Given out of order on purpose: the canonical form sorts.
  const std::string query = canonical_query_string({{"prefix", "J"}, {"max-keys", "2"}});
  ASSERT_EQ(query, "max-keys=2&prefix=J");
  const SignatureV4 sig = sign_s3_example("GET", "/", query, {}, kEmptyHash);
  EXPECT_EQ(sig.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
  EXPECT_EQ(crypto::hex(derive_signing_key(kS3Secret, "20130524", "us-east-1", "s3")),
            "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378");
  EXPECT_EQ(sig.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

// aws-sig-v4-test-suite: no x-amz-content-sha256 header, service "service".
SignatureV4 sign_suite(std::string_view method, std::string_view uri, std::string_view query) {
  const HeaderList headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  return sign_v4(SigningInput{method, uri, query, headers, kEmptyHash, "20150830T123600Z",
                              "us-east-1", "service"},
                 SigningKeys{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"});
}

TEST(SigV4TestSuite, GetVanilla) {
  const SignatureV4 sig = sign_suite("GET", "/", "");
  EXPECT_EQ(sig.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sig.string_to_sign,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(crypto::hex(derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830",
                                           "us-east-1", "service")),
            "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75");
  EXPECT_EQ(sig.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4TestSuite, GetVanillaQueryOrderKeyCase) {
  const std::string query = canonical_query_string({{"Param2", "value2"}, {"Param1", "value1"}});
  ASSERT_EQ(query, "Param1=value1&Param2=value2");
  EXPECT_EQ(sign_suite("GET", "/", query).signature,
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4TestSuite, GetUtf8Path) {
  // The path is the single character U+1234 (UTF-8 e1 88 b4).
  const std::string uri = "/" + uri_encode("\xe1\x88\xb4", false);
  ASSERT_EQ(uri, "/%E1%88%B4");
  EXPECT_EQ(sign_suite("GET", uri, "").signature,
            "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
}

TEST(SigV4, SessionTokenIsSignedWhenPresent) {
  HeaderList headers = {{"Host", "h"}, {"x-amz-date", "20150830T123600Z"}};
  const SigningInput base{"GET", "/", "", headers, kEmptyHash, "20150830T123600Z", "us-east-1", "s3"};
  SigningInput with_token = base;
  with_token.headers.emplace_back("x-amz-security-token", "token");
  const SigningKeys keys{"AK", "SK"};
  EXPECT_EQ(sign_v4(with_token, keys).signed_headers, "host;x-amz-date;x-amz-security-token");
  EXPECT_NE(sign_v4(with_token, keys).signature, sign_v4(base, keys).signature);
}

TEST(SigV4, HeaderValuesAreTrimmedAndSpacesCollapsed) {
  SigningInput input{"GET", "/", "", {{"Host", "h"}, {"X-Custom", "  a   b  c "}},
                     kEmptyHash, "20150830T123600Z", "us-east-1", "s3"};
  const SignatureV4 sig = sign_v4(input, SigningKeys{"AK", "SK"});
  EXPECT_NE(sig.canonical_request.find("\nx-custom:a b c\n"), std::string::npos)
      << sig.canonical_request;
}

TEST(UriEncode, KeepsUnreservedAndEncodesEverythingElse) {
  EXPECT_EQ(uri_encode("AZaz09-._~", true), "AZaz09-._~");
  EXPECT_EQ(uri_encode("a b+c", false), "a%20b%2Bc");
  EXPECT_EQ(uri_encode("100%", false), "100%25");
  EXPECT_EQ(uri_encode("=&?#", true), "%3D%26%3F%23");
  EXPECT_EQ(uri_encode("!'()*", true), "%21%27%28%29%2A");
  EXPECT_EQ(uri_encode("caf\xc3\xa9", true), "caf%C3%A9");
}

TEST(UriEncode, SlashKeptInPathsEncodedInQueries) {
  EXPECT_EQ(uri_encode("year=2024/month=12/part 0.parquet", false),
            "year%3D2024/month%3D12/part%200.parquet");
  EXPECT_EQ(uri_encode("a/b", true), "a%2Fb");
}

TEST(CanonicalQuery, SortsByEncodedNameThenValueAndEncodesValues) {
  EXPECT_EQ(canonical_query_string({{"b", "2"}, {"a", "x y"}, {"a", "+"}, {"c", ""}}),
            "a=%2B&a=x%20y&b=2&c=");
  EXPECT_EQ(canonical_query_string({{"prefix", "raw/2024/"}, {"list-type", "2"}}),
            "list-type=2&prefix=raw%2F2024%2F");
  EXPECT_EQ(canonical_query_string({}), "");
}

TEST(FormatAmzDate, UtcBasicFormat) {
  using namespace std::chrono;
  const auto time = sys_days{2013y / May / 24} + 0h;
  EXPECT_EQ(format_amz_date(time), "20130524T000000Z");
  EXPECT_EQ(format_amz_date(sys_days{2015y / August / 30} + 12h + 36min), "20150830T123600Z");
}

TEST(Crypto, KnownDigestsAndBase64) {
  // RFC 1321 and FIPS 180-2 test values; RFC 4648 base64 examples.
  EXPECT_EQ(crypto::hex(crypto::md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(crypto::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(crypto::base64(""), "");
  EXPECT_EQ(crypto::base64("f"), "Zg==");
  EXPECT_EQ(crypto::base64("fo"), "Zm8=");
  EXPECT_EQ(crypto::base64("foobar"), "Zm9vYmFy");
  // RFC 4231 test case 2 for HMAC-SHA-256.
  EXPECT_EQ(crypto::hex(crypto::hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace edgestream::s3
