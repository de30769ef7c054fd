// A bounded HTTP(S) GET (libcurl): the alert poller reads CAP sources' Atom feeds and the CAP
// documents they list. Untrusted servers: only http and https (also after redirects, at most 5),
// a connect and a total timeout, and a size cap enforced while reading.
#pragma once

#include <cstddef>
#include <string>

#include "core/result.h"

namespace nguon::fetch {

struct GetLimits {
  std::size_t max_bytes = std::size_t{4} << 20;
  long connect_timeout_ms = 5000;
  long total_timeout_ms = 20000;
};

// The body of a 2xx answer. Errors: {kTooLarge, "too_large"} past max_bytes;
// {kUnavailable, "fetch_failed", why} for anything else (DNS, connect, TLS, timeout, HTTP status
// >= 400 as "http <status>").
Result<std::string> http_get(const std::string& url, const GetLimits& limits = {});

// `reference` resolved against `base` (RFC 3986): absolute URLs stay, "/x" keeps base's scheme
// and authority, "x" replaces base's last path segment. Only http and https results are kept;
// "" otherwise.
std::string resolve_url(const std::string& base, const std::string& reference);

}  // namespace nguon::fetch
