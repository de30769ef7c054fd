// Live broadcast routes (issue 6, docs/openapi.yaml tag "live"): sessions under /api/v1/live,
// the microphone's WebSocket (/api/v1/live/{id}/audio, binary messages = Opus packets) and the
// public Icecast-style mounts /live/<mount>.ogg the loudspeakers relay.
#include <memory>

#include "app/api_support.h"
#include "app/json_body.h"
#include "core/live/live_desk.h"
#include "core/text.h"

namespace nguon::app::api {

namespace {

using live::LiveDesk;
using live::LiveSession;

json::value time_or_null(UnixTime t) {
  return t == 0 ? json::value(nullptr) : json::value(iso8601(t));
}

json::object session_json(const LiveSession& s) {
  json::array areas;
  for (const std::string& a : s.areas) areas.emplace_back(a);
  return json::object{
      {"id", s.id},
      {"state", live::state_name(s.state)},
      {"level", live::level_name(s.level)},
      {"areas", std::move(areas)},
      {"title", s.title},
      {"operator", s.operator_name},
      {"devices", s.devices},
      {"order", s.order},
      {"stream_url", s.stream_url},
      {"started_at", iso8601(s.started_at)},
      {"ended_at", time_or_null(s.ended_at)},
      {"end_reason", s.end_reason.empty() ? json::value(nullptr) : json::value(s.end_reason)},
      {"packets", s.packets},
      {"bytes", s.bytes},
      {"listeners", s.listeners}};
}

HttpResponse session_or_error(const Result<LiveSession>& r) {
  if (!r) return error_response(r.error());
  return json_response(200, session_json(r.value()));
}

HttpResponse start_live(Ctx& c, LiveDesk& desk) {
  auto body = parse_object(c.req.body, {"areas", "title"});
  if (!body) return error_response(body.error());
  Fields f(body.value());
  live::LiveDraft draft;
  auto areas = f.optional_strings("areas", live::kMaxLiveAreas);
  if (!areas) return error_response(areas.error());
  if (areas.value()) draft.areas = std::move(*areas.value());
  auto title = f.optional_string("title");
  if (!title) return error_response(title.error());
  if (title.value()) {
    draft.title = text::is_valid_utf8(*title.value()) ? text::to_nfc(*title.value())
                                                      : *title.value();  // refused by the desk
  }
  auto started = desk.start(c.who(), draft, c.origin());
  if (!started) return error_response(started.error());
  json::object out = session_json(started->session);
  out["audio_url"] = "/api/v1/live/" + started->session.id + "/audio?token=" + started->audio_token;
  return json_response(201, out);
}

// The WebSocket side of a live session: each binary message is one Opus packet.
class MicrophoneSocket final : public http::WebSocketSession {
 public:
  explicit MicrophoneSocket(std::shared_ptr<live::LiveFeed> feed) : feed_(std::move(feed)) {}
  void opened(std::function<void(int, std::string)> close) override {
    feed_->on_end(std::move(close));
  }
  bool on_message(bool binary, std::string_view data, std::string& refusal) override {
    if (!binary) {
      refusal = "send each Opus packet as one binary message";
      return false;
    }
    if (Status s = feed_->push(data); !s) {
      refusal = s.error().message;
      return false;
    }
    return true;
  }
  void closed(int code) override { feed_->closed(code == 1000); }

 private:
  std::shared_ptr<live::LiveFeed> feed_;
};

HttpResponse microphone(Ctx& c, LiveDesk& desk, const std::string& id) {
  if (c.req.method != "GET") return method_not_allowed("GET");
  if (!http::is_websocket_upgrade(c.req)) {
    HttpResponse r = error_response(
        {ErrorKind::kInvalid, "upgrade_required", "this address is a WebSocket endpoint"});
    r.status = 426;
    r.headers.emplace_back("Upgrade", "websocket");
    return r;
  }
  auto feed = desk.connect(c.who(), id, query_or(c, "token", ""));
  if (!feed) return error_response(feed.error());
  HttpResponse r;
  r.websocket = std::make_shared<MicrophoneSocket>(std::move(feed.value()));
  return r;
}

// A mount's listener as the HTTP server's streamed body.
class MountBody final : public http::BodyStream {
 public:
  explicit MountBody(std::shared_ptr<live::LiveListener> l) : listener_(std::move(l)) {}
  bool read(std::string& out) override { return listener_->read(out); }
  void set_waker(std::function<void()> wake) override { listener_->set_waker(std::move(wake)); }
  void close() override { listener_->close(); }

 private:
  std::shared_ptr<live::LiveListener> listener_;
};

}  // namespace

std::optional<HttpResponse> live_routes(Ctx& c) {
  const auto& s = c.segs;
  if (s.empty() || s[0] != "live") return std::nullopt;
  if (c.deps.live == nullptr) {
    return error_response({ErrorKind::kUnavailable, "live_unavailable",
                           "live broadcast needs the broadcast capability (broker.enabled)"});
  }
  LiveDesk& desk = *c.deps.live;
  if (s.size() == 1) {
    if (c.req.method == "POST") return start_live(c, desk);
    if (c.req.method != "GET") return method_not_allowed("GET, POST");
    json::array sessions;
    for (const LiveSession& session : desk.list(c.who())) {
      sessions.push_back(session_json(session));
    }
    return json_response(200, json::object{{"sessions", std::move(sessions)}});
  }
  const std::string& id = s[1];
  if (s.size() == 2) {
    return c.req.method == "GET" ? session_or_error(desk.get(c.who(), id))
                                 : method_not_allowed("GET");
  }
  if (s.size() == 3 && s[2] == "stop") {
    return c.req.method == "POST" ? session_or_error(desk.stop(c.who(), id, c.origin()))
                                  : method_not_allowed("POST");
  }
  if (s.size() == 3 && s[2] == "devices") {
    return c.req.method == "GET" ? board_response(c, desk.board(c.who(), id))
                                 : method_not_allowed("GET");
  }
  if (s.size() == 3 && s[2] == "audio") return microphone(c, desk, id);
  return error_response(not_found("no such API endpoint"));
}

std::optional<HttpResponse> live_mount_route(const HttpRequest& req, std::string_view path,
                                             LiveDesk* desk) {
  constexpr std::string_view kPrefix = "/live/";
  constexpr std::string_view kSuffix = ".ogg";
  if (!path.starts_with(kPrefix) || !path.ends_with(kSuffix)) return std::nullopt;
  if (req.method != "GET") return method_not_allowed("GET");
  const std::string_view mount =
      path.substr(kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size());
  auto listener = desk == nullptr ? nullptr : desk->listen(mount);
  if (!listener) return error_response(not_found("no live broadcast on this mount"));
  HttpResponse r;
  r.content_type = "audio/ogg";
  r.headers = {{"Cache-Control", "no-cache, no-store"},
               {"X-Content-Type-Options", "nosniff"},
               {"icy-name", "Nguon live"},
               {"icy-pub", "0"}};
  r.stream = std::make_shared<MountBody>(std::move(listener));
  return r;
}

}  // namespace nguon::app::api
