#include "xml_internal.h"

#include <expat.h>

#include <charconv>
#include <memory>

#include "edgestream/common/timestamp.h"

namespace edgestream::s3::xml {
namespace {

constexpr std::size_t kMaxDepth = 64;

struct ParserDeleter {
  void operator()(XML_Parser parser) const { XML_ParserFree(parser); }
};
using ParserPtr = std::unique_ptr<std::remove_pointer_t<XML_Parser>, ParserDeleter>;

struct BuildState {
  Element root;
  std::vector<Element*> stack;  // open elements; pointers stay valid: only the top grows
  bool too_deep = false;
  XML_Parser parser = nullptr;
};

void on_start(void* user, const XML_Char* name, const XML_Char** /*attributes*/) {
  auto* state = static_cast<BuildState*>(user);
  std::string_view local(name);
  if (const std::size_t colon = local.find(':'); colon != std::string_view::npos) {
    local.remove_prefix(colon + 1);
  }
  if (state->stack.empty()) {
    state->root.name = std::string(local);
    state->stack.push_back(&state->root);
    return;
  }
  if (state->stack.size() >= kMaxDepth) {
    state->too_deep = true;
    XML_StopParser(state->parser, XML_FALSE);
    return;
  }
  Element& parent = *state->stack.back();
  parent.children.push_back(Element{std::string(local), {}, {}});
  state->stack.push_back(&parent.children.back());
}

void on_end(void* user, const XML_Char* /*name*/) {
  auto* state = static_cast<BuildState*>(user);
  if (!state->stack.empty()) state->stack.pop_back();
}

void on_text(void* user, const XML_Char* text, int length) {
  auto* state = static_cast<BuildState*>(user);
  if (state->stack.empty()) return;
  state->stack.back()->text.append(text, static_cast<std::size_t>(length));
}

std::uint64_t to_u64(std::string_view text, bool& ok) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  ok = ec == std::errc() && end == text.data() + text.size() && !text.empty();
  return value;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const Element* Element::child(std::string_view child_name) const {
  for (const Element& element : children) {
    if (element.name == child_name) return &element;
  }
  return nullptr;
}

std::string Element::child_text(std::string_view child_name) const {
  const Element* element = child(child_name);
  return element ? element->text : std::string();
}

std::optional<Element> parse(std::string_view document, std::string* error) {
  ParserPtr parser(XML_ParserCreate("UTF-8"));
  if (!parser) {
    if (error) *error = "out of memory creating the XML parser";
    return std::nullopt;
  }
  BuildState state;
  state.parser = parser.get();
  XML_SetUserData(parser.get(), &state);
  XML_SetElementHandler(parser.get(), &on_start, &on_end);
  XML_SetCharacterDataHandler(parser.get(), &on_text);
  const XML_Status status = XML_Parse(parser.get(), document.data(),
                                      static_cast<int>(document.size()), XML_TRUE);
  if (state.too_deep) {
    if (error) *error = "XML nested deeper than 64 elements";
    return std::nullopt;
  }
  if (status != XML_STATUS_OK) {
    if (error) {
      *error = std::string("malformed XML at line ") +
               std::to_string(XML_GetCurrentLineNumber(parser.get())) + ": " +
               XML_ErrorString(XML_GetErrorCode(parser.get()));
    }
    return std::nullopt;
  }
  if (state.root.name.empty()) {
    if (error) *error = "empty XML document";
    return std::nullopt;
  }
  return std::move(state.root);
}

std::optional<ErrorBody> parse_error(std::string_view document) {
  const std::optional<Element> root = parse(document, nullptr);
  if (!root || root->name != "Error") return std::nullopt;
  return ErrorBody{root->child_text("Code"), root->child_text("Message"),
                   root->child_text("RequestId")};
}

std::string url_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out += static_cast<char>(high * 16 + low);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::string unquote(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  // Some servers escape the quotes as &quot; — expat has decoded those already.
  return std::string(etag);
}

std::optional<ListPage> parse_list_objects_v2(std::string_view document, std::string* error) {
  std::optional<Element> root = parse(document, error);
  if (!root) return std::nullopt;
  if (root->name != "ListBucketResult") {
    if (error) *error = "expected <ListBucketResult>, got <" + root->name + ">";
    return std::nullopt;
  }
  const bool url_encoded = root->child_text("EncodingType") == "url";
  ListPage page;
  page.truncated = root->child_text("IsTruncated") == "true";
  page.next_continuation_token = root->child_text("NextContinuationToken");
  for (const Element& element : root->children) {
    if (element.name != "Contents") continue;
    ObjectInfo info;
    info.key = element.child_text("Key");
    if (url_encoded) info.key = url_decode(info.key);
    bool ok = false;
    info.size = to_u64(element.child_text("Size"), ok);
    if (!ok || info.key.empty()) {
      if (error) *error = "a <Contents> entry lacks a valid <Key> or <Size>";
      return std::nullopt;
    }
    info.etag = unquote(element.child_text("ETag"));
    info.last_modified = element.child_text("LastModified");
    page.objects.push_back(std::move(info));
  }
  if (page.truncated && page.next_continuation_token.empty()) {
    if (error) *error = "IsTruncated is true but NextContinuationToken is missing";
    return std::nullopt;
  }
  return page;
}

std::optional<std::string> parse_initiate_multipart_upload(std::string_view document) {
  const std::optional<Element> root = parse(document, nullptr);
  if (!root || root->name != "InitiateMultipartUploadResult") return std::nullopt;
  std::string upload_id = root->child_text("UploadId");
  if (upload_id.empty()) return std::nullopt;
  return upload_id;
}

std::optional<std::string> parse_complete_multipart_upload(std::string_view document) {
  const std::optional<Element> root = parse(document, nullptr);
  if (!root || root->name != "CompleteMultipartUploadResult") return std::nullopt;
  return unquote(root->child_text("ETag"));
}

std::optional<Credentials> parse_assume_role_with_web_identity(std::string_view document,
                                                               std::string* error) {
  const std::optional<Element> root = parse(document, error);
  if (!root) return std::nullopt;
  const Element* result = root->child("AssumeRoleWithWebIdentityResult");
  const Element* credentials = result ? result->child("Credentials") : nullptr;
  if (root->name != "AssumeRoleWithWebIdentityResponse" || credentials == nullptr) {
    if (error) *error = "expected AssumeRoleWithWebIdentityResponse/…/Credentials";
    return std::nullopt;
  }
  Credentials out;
  out.access_key_id = credentials->child_text("AccessKeyId");
  out.secret_access_key = credentials->child_text("SecretAccessKey");
  out.session_token = credentials->child_text("SessionToken");
  const std::string expiration = credentials->child_text("Expiration");
  const std::optional<EventTime> expires = parse_rfc3339(expiration);
  if (out.access_key_id.empty() || out.secret_access_key.empty() || out.session_token.empty() ||
      !expires) {
    if (error) *error = "STS credentials lack AccessKeyId, SecretAccessKey, SessionToken or a "
                        "valid Expiration";
    return std::nullopt;
  }
  out.expiration = std::chrono::time_point_cast<std::chrono::system_clock::duration>(*expires);
  return out;
}

}  // namespace edgestream::s3::xml
