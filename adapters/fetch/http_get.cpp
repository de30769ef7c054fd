#include "adapters/fetch/http_get.h"

#include <curl/curl.h>

#include <memory>

namespace nguon::fetch {

namespace {

struct Sink {
  std::string body;
  std::size_t max = 0;
  bool overflow = false;
};

size_t on_data(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * count;
  if (sink->body.size() + n > sink->max) {
    sink->overflow = true;
    return 0;  // aborts the transfer
  }
  sink->body.append(data, n);
  return n;
}

bool is_http(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

}  // namespace

Result<std::string> http_get(const std::string& url, const GetLimits& limits) {
  const auto failed = [](std::string why) {
    return Error{ErrorKind::kUnavailable, "fetch_failed", std::move(why)};
  };
  if (!is_http(url)) return failed("only http and https URLs are fetched");
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return failed("libcurl could not start");
  Sink sink;
  sink.max = limits.max_bytes;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "nguon-server");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, limits.connect_timeout_ms);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, limits.total_timeout_ms);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  const CURLcode rc = curl_easy_perform(c);
  if (sink.overflow) {
    return Error{ErrorKind::kTooLarge, "too_large",
                 "the answer is over " + std::to_string(limits.max_bytes) + " bytes"};
  }
  if (rc != CURLE_OK) return failed(curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) return failed("http " + std::to_string(status));
  return std::move(sink.body);
}

std::string resolve_url(const std::string& base, const std::string& reference) {
  if (reference.empty()) return "";
  if (is_http(reference)) return reference;
  if (reference.find("://") != std::string::npos || !is_http(base)) return "";
  const size_t authority_end = base.find('/', base.find("://") + 3);
  const std::string origin = base.substr(0, authority_end);
  if (reference.rfind("//", 0) == 0) return base.substr(0, base.find("://") + 1) + reference;
  if (reference[0] == '/') return origin + reference;
  if (authority_end == std::string::npos) return origin + "/" + reference;
  const std::string path = base.substr(0, base.find_first_of("?#", authority_end));
  return path.substr(0, path.rfind('/') + 1) + reference;
}

}  // namespace nguon::fetch
