// S3's XML responses, parsed with expat into a small element tree and then read
// by name. Private to edgestream::s3.
//
// Why expat rather than a hand-written scanner: keys may contain '&', '<' and
// non-ASCII text, which arrive as entity and character references; a real
// parser decodes them correctly and rejects malformed input. expat is small,
// MIT-licensed, a Debian package, does not fetch external entities, and since
// 2.4 bounds entity expansion (billion laughs).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgestream/s3/client.h"
#include "edgestream/s3/credentials.h"

namespace edgestream::s3::xml {

struct Element {
  std::string name;  // local name: a namespace prefix, if any, is dropped
  std::string text;  // character data directly inside this element
  std::vector<Element> children;

  const Element* child(std::string_view child_name) const;
  // Text of the first child with this name; empty when absent.
  std::string child_text(std::string_view child_name) const;
};

// nullopt and *error set on malformed XML or nesting deeper than 64.
std::optional<Element> parse(std::string_view document, std::string* error);

struct ErrorBody {
  std::string code;
  std::string message;
  std::string request_id;
};
// <Error><Code/><Message/><RequestId/></Error>; nullopt unless the root is Error.
std::optional<ErrorBody> parse_error(std::string_view document);

// <ListBucketResult> of ListObjectsV2; decodes keys when EncodingType is url.
std::optional<ListPage> parse_list_objects_v2(std::string_view document, std::string* error);

// <InitiateMultipartUploadResult><UploadId/>; nullopt when missing.
std::optional<std::string> parse_initiate_multipart_upload(std::string_view document);

// <CompleteMultipartUploadResult><ETag/>; nullopt when the root is something else
// (S3 can answer 200 with an <Error> body after a long complete).
std::optional<std::string> parse_complete_multipart_upload(std::string_view document);

// <AssumeRoleWithWebIdentityResponse>…<Credentials>; nullopt and *error when incomplete.
std::optional<Credentials> parse_assume_role_with_web_identity(std::string_view document,
                                                               std::string* error);

// Percent-decoding of EncodingType=url values ('+' is a literal plus, as S3 encodes spaces as %20).
std::string url_decode(std::string_view text);

// ETag without the surrounding quotes.
std::string unquote(std::string_view etag);

}  // namespace edgestream::s3::xml
