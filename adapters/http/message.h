// Plain HTTP request/response values. Handlers are functions from HttpRequest to HttpResponse,
// testable without sockets; only adapters/http/server.cpp knows Beast.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nguon::http {

struct HttpRequest {
  std::string method;  // "GET", "POST"…
  std::string target;  // raw request-target, e.g. "/api/v1/units?q=hoa"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_ip;

  // First header named `name` (lower case), if any.
  std::optional<std::string_view> header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return std::string_view(v);
    }
    return std::nullopt;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  // ask the server to close the connection after sending
};

using Handler = std::function<HttpResponse(const HttpRequest&)>;

}  // namespace nguon::http
