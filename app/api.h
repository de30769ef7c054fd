// The HTTP API: a plain function from request to response (no sockets), so every route is
// tested directly (tests/app/api_test.cpp) and through a real server (tests/integration/).
// Contract: docs/openapi.yaml.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "adapters/http/message.h"
#include "app/config.h"
#include "app/metrics.h"
#include "app/static_files.h"
#include "core/accounts.h"
#include "core/bulletin_media.h"
#include "core/bulletins.h"
#include "core/ports.h"
#include "core/speech.h"
#include "core/store.h"
#include "core/unit_service.h"
#include "core/vi_normalizer.h"

namespace nguon {
class DeviceService;  // core/devices/device_service.h
class FeedbackDesk;   // core/feedback/feedback_service.h
namespace alerts {
class AlertDesk;  // core/alerts/alert_desk.h
}
namespace cap {
class CapSchema;  // adapters/cap/cap_parser.h
}
namespace live {
class LiveDesk;  // core/live/live_desk.h
}
class ScheduleService;  // core/schedule/schedule_service.h
struct OrderBoard;      // core/devices/device_service.h
}  // namespace nguon

namespace nguon::app {

struct PortalDeps;   // app/portal.h
class EventStreams;  // app/event_streams.h
struct Open311Deps;  // app/open311.h

// Sliding window of attempts per key (client IP), one minute unless told. Thread-safe.
class RateLimiter {
 public:
  RateLimiter(Clock& clock, int per_window, UnixTime window_seconds = 60)
      : clock_(clock), per_minute_(per_window), window_(window_seconds) {}
  // Records an attempt; false when the key is over its limit (the attempt is not recorded).
  bool allow(const std::string& key);

 private:
  Clock& clock_;
  int per_minute_;  // attempts allowed per window
  UnixTime window_;
  std::mutex mu_;
  std::map<std::string, std::deque<UnixTime>> attempts_;
};

// True for request targets that may carry large bodies (audio.max_upload_bytes, not
// server.body_limit_bytes): raw audio and images, and the devices CSV import (as JSON).
bool is_upload_target(std::string_view target);

// Rendered bodies of hot, rarely changing reads (the unit tree) per caller scope. An entry is
// served while the tree version it was rendered at is current, and for at most `ttl_seconds`
// (which bounds staleness when another server instance or the CLI changes units). Thread-safe.
class ReadCache {
 public:
  ReadCache(Clock& clock, UnixTime ttl_seconds) : clock_(clock), ttl_(ttl_seconds) {}
  std::optional<std::string> get(const std::string& key, std::uint64_t version);
  void put(const std::string& key, std::uint64_t version, std::string body);

 private:
  struct Entry {
    std::string body;
    std::uint64_t version = 0;
    UnixTime stored_at = 0;
  };
  Clock& clock_;
  UnixTime ttl_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

struct ApiDeps {
  const Config& config;
  Store& store;
  Clock& clock;
  Crypto& crypto;
  Metrics& metrics;
  std::function<bool()> draining = [] { return false; };
  // The speech and audio stack; when any is null, audio endpoints answer 503.
  SpeechSynthesizer* synthesizer = nullptr;
  AudioPipeline* pipeline = nullptr;
  MediaStore* media = nullptr;
  const vi::AbbreviationDictionary* dictionary = nullptr;
  // The broadcast capability (issue 4); when null, its endpoints answer 503.
  DeviceService* devices = nullptr;
  ScheduleService* schedules = nullptr;
  // The two-way capability (issue 5); when null, its endpoints answer 503.
  FeedbackDesk* feedback = nullptr;
  // Emergency alerts (issue 6); when null, their endpoints answer 503.
  alerts::AlertDesk* alerts = nullptr;
  const cap::CapSchema* cap_schema = nullptr;
  // Live broadcast (issue 6); when null, its endpoints answer 503.
  live::LiveDesk* live = nullptr;
  // Acknowledgement boards as server-sent events (keys: order ids); when null, boards are only
  // served as plain JSON.
  EventStreams* board_events = nullptr;
};

// An order's acknowledgement board as one line of JSON (what GET …/devices answers).
std::string order_board_json(const OrderBoard& board);

class Api {
 public:
  explicit Api(ApiDeps deps);
  ~Api();
  http::HttpResponse handle(const http::HttpRequest& req);

  AccountService& accounts() { return accounts_; }
  UnitService& units() { return units_; }
  BulletinService& bulletins() { return bulletins_; }

 private:
  struct Call;  // per-request context, defined in api.cpp
  http::HttpResponse route(Call& call);

  ApiDeps deps_;
  AccountService accounts_;
  UnitService units_;
  BulletinService bulletins_;
  std::unique_ptr<BulletinMediaService> audio_;
  StaticFiles static_files_;
  RateLimiter login_limiter_;
  ReadCache read_cache_;
  std::string scope_root_;  // "VN" or the province code
  // Citizens' edges (issue 5), when the feedback desk is configured.
  std::unique_ptr<RateLimiter> submit_limiter_;
  std::unique_ptr<PortalDeps> portal_;
  std::unique_ptr<Open311Deps> open311_;
};

}  // namespace nguon::app
