// Helpers shared by the API's route files (app/api.cpp, app/api_bulletins.cpp): responses,
// errors, the per-request context. Not a public interface.
#pragma once

#include <sodium.h>

#include <boost/json.hpp>
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/http/message.h"
#include "app/api.h"
#include "app/log.h"
#include "core/accounts.h"
#include "core/bulletin_media.h"
#include "core/bulletins.h"
#include "core/devices/device_service.h"
#include "core/unit_service.h"

namespace nguon::app::api {
namespace json = boost::json;
using http::HttpRequest;
using http::HttpResponse;

inline constexpr std::string_view kSessionCookie = "nguon_session";

struct Auth {
  access::Principal principal;
  std::string csrf_token;
};

inline std::string iso8601(UnixTime t) {
  std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

inline int status_for(const Error& e) {
  switch (e.kind) {
    case ErrorKind::kInvalid:
      if (e.code == "unsupported_media_type") return 415;
      if (e.code == "invalid_json" || e.code == "invalid_utf8" || e.code == "unknown_field" ||
          e.code == "not_an_object" || e.code == "invalid_query" || e.code == "invalid_path") {
        return 400;
      }
      return 422;
    case ErrorKind::kUnauthenticated:
      return 401;
    case ErrorKind::kForbidden:
      return 403;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kConflict:
      return 409;
    case ErrorKind::kTooLarge:
      return 413;
    case ErrorKind::kThrottled:
      return 429;
    case ErrorKind::kUnavailable:
      return 503;
    case ErrorKind::kInternal:
      return 500;
  }
  return 500;
}

inline HttpResponse json_response(int status, const json::value& v) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(v);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

inline HttpResponse error_response(const Error& e) {
  json::object err{{"code", e.code}, {"message", e.message}};
  HttpResponse r = json_response(status_for(e), json::object{{"error", std::move(err)}});
  if (e.kind == ErrorKind::kInternal) {
    log::error("internal error", {{"message", e.message}});
    r.body = R"({"error":{"code":"internal","message":"internal error"}})";
  }
  return r;
}

inline HttpResponse no_content() {
  HttpResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

inline HttpResponse method_not_allowed(std::string allow) {
  HttpResponse r = error_response(
      {ErrorKind::kInvalid, "method_not_allowed", "method not allowed; use " + allow});
  r.status = 405;
  r.headers.emplace_back("Allow", std::move(allow));
  return r;
}

template <typename T>
HttpResponse result_or_error(const Result<T>& r, int status,
                             const std::function<json::value(const T&)>& render) {
  if (!r) return error_response(r.error());
  return json_response(status, render(r.value()));
}

inline bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

inline std::optional<std::string> cookie_value(const HttpRequest& req, std::string_view name) {
  for (const auto& [k, v] : req.headers) {
    if (k != "cookie") continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      const size_t semi = rest.find(';');
      std::string_view part = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
      const size_t eq = part.find('=');
      if (eq != std::string_view::npos && part.substr(0, eq) == name) {
        return std::string(part.substr(eq + 1));
      }
    }
  }
  return std::nullopt;
}

inline std::string session_cookie(const std::string& value, std::int64_t max_age, bool secure) {
  return std::string(kSessionCookie) + "=" + value +
         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age) +
         (secure ? "; Secure" : "");
}

// Per-request state: the parsed target, the caller and the services.
struct Ctx {
  const HttpRequest& req;
  std::vector<std::string> segs;  // decoded path segments after /api/v1/
  std::map<std::string, std::string> query;
  std::optional<Auth> auth;
  AccountService& accounts;
  UnitService& units;
  BulletinService& bulletins;
  BulletinMediaService* audio;  // null when no speech/audio stack is configured
  ReadCache& cache;
  ApiDeps& deps;
  RateLimiter& limiter;
  const std::string& scope_root;

  RequestOrigin origin() const {
    return {auth ? auth->principal.username : std::string("anonymous"), req.remote_ip};
  }
  const access::Principal& who() const { return auth->principal; }
};

// The query parameter `key`, or `fallback` when it is absent or empty.
inline std::string query_or(const Ctx& c, const std::string& key, const std::string& fallback) {
  auto it = c.query.find(key);
  return it == c.query.end() || it->second.empty() ? fallback : it->second;
}

inline std::optional<std::int64_t> parse_id(const std::string& s) {
  if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), ::isdigit))
    return std::nullopt;
  return std::stoll(s);
}

// "2026-11-26T09:00:00Z", "2026-11-26T16:00:00+07:00" or "2026-11-26T16:00+07:00" → Unix
// time; nullopt when malformed or without a zone.
std::optional<UnixTime> parse_iso8601(std::string_view s);

// Routes under /api/v1/ owned by app/api_bulletins.cpp (bulletins, library, media,
// notifications, unit settings); nullopt when the path is not theirs.
std::optional<HttpResponse> bulletin_routes(Ctx& c);
// Routes owned by app/api_devices.cpp (devices, groups, broadcasts, play logs); nullopt when
// the path is not theirs. device_facing_routes runs before user authentication: devices
// authenticate with their own credentials (GET /api/v1/device-media/{sha256}).
std::optional<HttpResponse> device_routes(Ctx& c);
std::optional<HttpResponse> device_facing_routes(Ctx& c);
// Routes owned by app/api_schedules.cpp (programmes, the schedule calendar).
std::optional<HttpResponse> schedule_routes(Ctx& c);
// Routes owned by app/api_feedback.cpp (feedback inbox and actions, statistics, categories,
// agencies, routing rules).
std::optional<HttpResponse> feedback_routes(Ctx& c);
// Routes owned by app/api_alerts.cpp (alerts and their sources, issue 6).
std::optional<HttpResponse> alert_routes(Ctx& c);
// An order's acknowledgement board (alerts and live broadcasts share it): JSON, or server-sent
// events (`event: board`, at once and on every change) when the request accepts
// text/event-stream.
HttpResponse board_response(const Ctx& c, const Result<OrderBoard>& board);
// Routes owned by app/api_live.cpp: /api/v1/live… (sessions, the microphone WebSocket).
std::optional<HttpResponse> live_routes(Ctx& c);
// GET /live/<mount>.ogg: a live broadcast's public Ogg Opus stream (Icecast-style), no login;
// nullopt when the path is not a mount.
std::optional<HttpResponse> live_mount_route(const HttpRequest& req, std::string_view path,
                                             live::LiveDesk* desk);
// POST /api/v1/cap: a CAP source pushes an alert (bearer token of the source, CAP XML body).
HttpResponse cap_push(const HttpRequest& req, alerts::AlertDesk* desk,
                      const cap::CapSchema* schema);
// GET /cap/alerts.atom and /cap/alerts/{id}.cap: the alerts issued here, public (no login), as
// an Atom feed of CAP 1.2 documents; nullopt when the path is neither. `now` dates an empty feed.
std::optional<HttpResponse> cap_feed_routes(const HttpRequest& req, std::string_view path,
                                            alerts::AlertDesk* desk, const std::string& base_url,
                                            UnixTime now);
// `limit` (1..500, default 100) and `offset` (default 0) from the query (app/api_devices.cpp).
Status read_page(const Ctx& c, size_t& limit, size_t& offset);
// Serves a stored media file with ETag and Range support.
HttpResponse serve_media(Ctx& c, const std::string& sha256);

}  // namespace nguon::app::api
