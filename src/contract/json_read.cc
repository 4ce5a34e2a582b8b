#include "json_read.h"

namespace edgestream::json_read {

namespace od = simdjson::ondemand;

bool is_json_number(std::string_view text) {
  size_t pos = 0;
  const size_t size = text.size();
  auto digit = [&](size_t at) { return at < size && text[at] >= '0' && text[at] <= '9'; };
  if (pos < size && text[pos] == '-') ++pos;
  if (!digit(pos)) return false;
  if (text[pos] == '0') {
    ++pos;
  } else {
    while (digit(pos)) ++pos;
  }
  if (pos < size && text[pos] == '.') {
    ++pos;
    if (!digit(pos)) return false;
    while (digit(pos)) ++pos;
  }
  if (pos < size && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    if (pos < size && (text[pos] == '+' || text[pos] == '-')) ++pos;
    if (!digit(pos)) return false;
    while (digit(pos)) ++pos;
  }
  return pos == size;
}

std::string_view trim_json_whitespace(std::string_view text) {
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\n' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

bool skip_value(od::value& value, int depth, int max_depth) {
  if (depth > max_depth) return false;
  od::json_type type{};
  if (value.type().get(type) != simdjson::SUCCESS) return false;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (value.get_object().get(object) != simdjson::SUCCESS) return false;
      for (auto field_result : object) {
        od::field field;
        if (std::move(field_result).get(field) != simdjson::SUCCESS) return false;
        std::string_view key;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
        if (!skip_value(field.value(), depth + 1, max_depth)) return false;
      }
      return true;
    }
    case od::json_type::array: {
      od::array array;
      if (value.get_array().get(array) != simdjson::SUCCESS) return false;
      for (auto element_result : array) {
        od::value element;
        if (std::move(element_result).get(element) != simdjson::SUCCESS) return false;
        if (!skip_value(element, depth + 1, max_depth)) return false;
      }
      return true;
    }
    case od::json_type::number:
      return is_json_number(trim_json_whitespace(value.raw_json_token()));
    case od::json_type::string: {
      std::string_view text;
      return value.get_string().get(text) == simdjson::SUCCESS;
    }
    case od::json_type::boolean: {
      bool flag = false;
      return value.get_bool().get(flag) == simdjson::SUCCESS;
    }
    case od::json_type::null: {
      bool is_null = false;
      return value.is_null().get(is_null) == simdjson::SUCCESS && is_null;
    }
  }
  return false;
}

bool at_document_end(od::document& document) {
  // current_location() fails with OUT_OF_BOUNDS once every token was read;
  // any other answer means a token follows the value: trailing garbage.
  const char* location = nullptr;
  return document.current_location().get(location) == simdjson::OUT_OF_BOUNDS;
}

bool skip_document(od::document& document, const char* input_end, int max_depth) {
  od::json_type type{};
  if (document.type().get(type) != simdjson::SUCCESS) return false;
  // Root scalar getters fail with TRAILING_CONTENT when a token follows the
  // value; objects and arrays are followed by at_document_end().
  switch (type) {
    case od::json_type::object:
    case od::json_type::array: {
      od::value value;
      return document.get_value().get(value) == simdjson::SUCCESS && skip_value(value, 0, max_depth) &&
             at_document_end(document);
    }
    case od::json_type::number: {
      std::string_view token;
      if (document.raw_json_token().get(token) != simdjson::SUCCESS) return false;
      double number = 0;
      if (document.get_double().get(number) == simdjson::SUCCESS) return true;
      // Out of range (1e999) or malformed; the raw token runs to the next
      // token, so it ends at the input's end only when nothing follows.
      return token.data() + token.size() == input_end &&
             is_json_number(trim_json_whitespace(token));
    }
    case od::json_type::string: {
      // The root string getter does not check for trailing content.
      std::string_view text;
      return document.get_string().get(text) == simdjson::SUCCESS && at_document_end(document);
    }
    case od::json_type::boolean: {
      bool flag = false;
      return document.get_bool().get(flag) == simdjson::SUCCESS;
    }
    case od::json_type::null: {
      bool is_null = false;
      return document.is_null().get(is_null) == simdjson::SUCCESS && is_null;
    }
  }
  return false;
}


}  // namespace edgestream::json_read
