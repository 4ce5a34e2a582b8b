// Move-only owners of libcurl handles. Private to edgestream::s3.
#pragma once

#include <curl/curl.h>

#include <memory>

namespace edgestream::s3 {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlEasyPtr = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlistPtr = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// curl_global_init is not thread-safe and must run once before any handle
// exists; every transport calls this first (std::call_once inside).
void ensure_curl_global_init();

}  // namespace edgestream::s3
