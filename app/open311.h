// Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) over the FeedbackDesk: citizen
// feedback categories are Open311 services, a feedback is a service request (its public id is
// the service_request_id; the secret tracking code is returned only to the submitter, as the
// spec's `token` while the request waits in moderation). Every resource comes in XML (required
// by the spec) and JSON; errors are the spec's list of {code, description}. Client contract and
// examples: docs/open311.md.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/http/message.h"
#include "app/api.h"
#include "core/accounts.h"
#include "core/feedback/feedback_service.h"
#include "core/speech.h"

namespace nguon::app {

struct Open311Deps {
  FeedbackDesk& desk;
  // api_key = a Nguồn API token created in the console; its owner becomes Feedback::client.
  AccountService& accounts;
  MediaStore* media;            // null → attachments refused
  RateLimiter& ip_limiter;      // POST requests per client IP (allow() false → 429)
  std::string jurisdiction_id;  // e.g. "nguon.vn"; another jurisdiction_id → 404
  size_t max_attachment_bytes = 5 << 20;
  Clock* clock = nullptr;  // the default date windows; null: the system clock
};

// Handles every path under /open311/v2/ (`path` is the decoded request path without the query
// string; `query_string` the raw text after '?'); nullopt for other paths.
std::optional<http::HttpResponse> open311_routes(const http::HttpRequest& req,
                                                 std::string_view path,
                                                 std::string_view query_string, Open311Deps& deps);

}  // namespace nguon::app
