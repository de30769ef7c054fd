// The HTTP API: a plain function from request to response (no sockets), so every route is
// tested directly (tests/app/api_test.cpp) and through a real server (tests/integration/).
// Contract: docs/openapi.yaml.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "adapters/http/message.h"
#include "app/config.h"
#include "app/metrics.h"
#include "app/static_files.h"
#include "core/accounts.h"
#include "core/ports.h"
#include "core/store.h"
#include "core/unit_service.h"

namespace nguon::app {

// Sliding one-minute window of attempts per key (client IP). Thread-safe.
class RateLimiter {
 public:
  RateLimiter(Clock& clock, int per_minute) : clock_(clock), per_minute_(per_minute) {}
  // Records an attempt; false when the key is over its limit (the attempt is not recorded).
  bool allow(const std::string& key);

 private:
  Clock& clock_;
  int per_minute_;
  std::mutex mu_;
  std::map<std::string, std::deque<UnixTime>> attempts_;
};

struct ApiDeps {
  const Config& config;
  Store& store;
  Clock& clock;
  Crypto& crypto;
  Metrics& metrics;
  std::function<bool()> draining = [] { return false; };
};

class Api {
 public:
  explicit Api(ApiDeps deps);
  http::HttpResponse handle(const http::HttpRequest& req);

  AccountService& accounts() { return accounts_; }
  UnitService& units() { return units_; }

 private:
  struct Call;  // per-request context, defined in api.cpp
  http::HttpResponse route(Call& call);

  ApiDeps deps_;
  AccountService accounts_;
  UnitService units_;
  StaticFiles static_files_;
  RateLimiter login_limiter_;
  std::string scope_root_;  // "VN" or the province code
};

}  // namespace nguon::app
