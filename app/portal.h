// The citizen portal (issue 5): small server-rendered HTML pages under /portal for sending
// feedback (phản ánh, kiến nghị, Decree 49/2024) and following its answer. Built for a cheap
// phone on slow 3G: no JavaScript, no images, no web fonts, one tiny inline style sheet, pages of
// a few kilobytes. Vietnamese first; every page links to its English version (`?lang=en`,
// carried through forms in a hidden field).
//
// Pages: GET /portal (home), GET|POST /portal/new (the form, step by step: province when the
// deployment is central, then commune and category, then the details), GET /portal/track
// (by tracking code), POST /portal/track/rate and /portal/track/reopen, GET /portal/requests/{id}
// (the public, redacted page of one feedback).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/http/message.h"
#include "app/api.h"
#include "core/feedback/feedback_service.h"
#include "core/speech.h"
#include "core/store.h"

namespace nguon::app {

// Names the portal shows on hot pages (category and commune names), kept for a minute so the
// public page of a feedback costs one store read. Thread-safe; defined in portal.cpp.
class PortalCache;
std::shared_ptr<PortalCache> make_portal_cache();

struct PortalDeps {
  FeedbackDesk& desk;
  Store& store;             // read-only: units for the commune and village pickers
  MediaStore* media;        // null: the file fields are hidden and files refused
  RateLimiter& ip_limiter;  // submissions per client IP; false → 429 page
  std::string scope_root;   // "VN" (central deployment) or a province code: the communes offered
  std::string site_name = "Nguồn";
  size_t max_attachment_bytes = 5 << 20;
  // Not part of the configuration: shared by the copies of these deps.
  std::shared_ptr<PortalCache> cache = make_portal_cache();
};

// Every path under /portal (and "/portal" itself); nullopt for other paths. `path` is the
// request target before '?', `query_string` what follows it (without the '?').
std::optional<http::HttpResponse> portal_routes(const http::HttpRequest& req, std::string_view path,
                                                std::string_view query_string, PortalDeps& deps);

}  // namespace nguon::app
