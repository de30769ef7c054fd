#include "core/live/live_desk.h"

#include <algorithm>
#include <boost/json.hpp>
#include <utility>

#include "core/audit.h"
#include "core/live/ogg_opus.h"
#include "core/text.h"

namespace nguon::live {

namespace json = boost::json;

struct LiveDesk::Session {
  mutable std::mutex mu;  // everything below but the constants
  LiveSession view;
  std::vector<std::string> paths;  // of view.areas, constant
  std::string mount;               // constant
  std::string token_hash;          // empty once used
  bool feed_connected = false;
  UnixTime last_packet = 0;
  UnixTime first_packet = 0;
  OggOpusWriter writer;
  std::shared_ptr<LiveMount> stream;
  std::function<void(int, std::string)> close_feed;

  Session(std::uint32_t serial, const OpusStreamInfo& info, std::size_t lag_limit)
      : writer(serial, info),
        stream(std::make_shared<LiveMount>(writer.header_pages(), lag_limit)) {}

  LiveSession snapshot() const {
    std::lock_guard lock(mu);
    LiveSession out = view;
    out.listeners = view.state == LiveState::kEnded ? 0 : stream->listeners();
    return out;
  }
  bool active() const {
    std::lock_guard lock(mu);
    return view.state != LiveState::kEnded;
  }
};

namespace {

Error invalid(const std::string& message) {
  return {ErrorKind::kInvalid, "invalid_field", message};
}

bool overlaps(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const std::string& x : a) {
    for (const std::string& y : b) {
      if (x.starts_with(y) || y.starts_with(x)) return true;
    }
  }
  return false;
}

bool may_order(const access::ScopedGrant& g) {
  return g.role == Role::kStationOperator || g.role == Role::kAdmin;
}

LiveLevel level_of_path(std::string_view grant_path) {
  const auto depth = std::count(grant_path.begin(), grant_path.end(), '/');
  if (depth <= 1) return LiveLevel::kNation;
  return depth == 2 ? LiveLevel::kProvince : LiveLevel::kCommune;
}

// The level the operator speaks at: for each area, the highest grant reaching it; the highest
// over all areas. forbidden for an area no grant reaches.
Result<LiveLevel> level_for(const access::Principal& p, const std::vector<std::string>& codes,
                            const std::vector<std::string>& paths) {
  LiveLevel level = LiveLevel::kCommune;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    std::optional<LiveLevel> best;
    for (const access::ScopedGrant& g : p.grants) {
      if (!may_order(g) || !paths[i].starts_with(g.unit_path)) continue;
      const LiveLevel l = level_of_path(g.unit_path);
      if (!best || l > *best) best = l;
    }
    if (!best) {
      return Error{ErrorKind::kForbidden, "forbidden",
                   "you are not a station operator of area " + codes[i]};
    }
    level = std::max(level, *best);
  }
  return level;
}

bool may_manage_all(const access::Principal& p, const std::vector<std::string>& paths) {
  return std::all_of(paths.begin(), paths.end(), [&p](const std::string& path) {
    return access::has_role(p, Role::kStationOperator, path) ||
           access::has_role(p, Role::kAdmin, path);
  });
}

bool may_see(const access::Principal& p, const LiveSession& s,
             const std::vector<std::string>& paths) {
  return s.user_id == p.user_id ||
         std::any_of(paths.begin(), paths.end(),
                     [&p](const std::string& path) { return access::can_read(p, path); });
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

class Feed final : public LiveFeed {
 public:
  Feed(std::shared_ptr<LiveDesk::Session> session, Clock& clock,
       std::function<void(bool)> on_closed)
      : session_(std::move(session)), clock_(clock), on_closed_(std::move(on_closed)) {}

  Status push(std::string_view packet) override;
  void closed(bool normal) override { on_closed_(normal); }
  void on_end(std::function<void(int, std::string)> close) override;

 private:
  std::shared_ptr<LiveDesk::Session> session_;
  Clock& clock_;
  std::function<void(bool)> on_closed_;
};

}  // namespace

std::string_view level_name(LiveLevel level) {
  switch (level) {
    case LiveLevel::kNation:
      return "nation";
    case LiveLevel::kProvince:
      return "province";
    case LiveLevel::kCommune:
      return "commune";
  }
  return "commune";
}

std::string_view state_name(LiveState state) {
  switch (state) {
    case LiveState::kWaiting:
      return "waiting";
    case LiveState::kOnAir:
      return "on_air";
    case LiveState::kEnded:
      return "ended";
  }
  return "ended";
}

Status Feed::push(std::string_view packet) {
  auto& s = *session_;
  std::lock_guard lock(s.mu);
  if (s.view.state == LiveState::kEnded) {
    return Error{ErrorKind::kConflict, "live_ended", "the live broadcast has ended"};
  }
  const UnixTime now = clock_.now();
  if (s.view.packets == 0) s.first_packet = now;
  // A microphone cannot speak faster than time passes: audio may run a little ahead of the
  // clock (the browser's buffering, a burst after a stall), not more.
  const std::int64_t spoken_s = (s.writer.granule() + opus_packet_samples(packet)) / 48000;
  if (spoken_s > now - s.first_packet + kMaxAheadSeconds) {
    return Error{ErrorKind::kThrottled, "faster_than_real_time",
                 "more audio than time has passed since the first packet"};
  }
  auto page = s.writer.page_for(packet);
  if (!page) return page.error();
  s.stream->publish(page.value());
  s.view.state = LiveState::kOnAir;
  ++s.view.packets;
  s.view.bytes += static_cast<std::int64_t>(packet.size());
  s.last_packet = now;
  return {};
}

void Feed::on_end(std::function<void(int, std::string)> close) {
  auto& s = *session_;
  std::unique_lock lock(s.mu);
  if (s.view.state == LiveState::kEnded) {
    lock.unlock();
    close(1000, "live broadcast ended: " + s.view.end_reason);
    return;
  }
  s.close_feed = std::move(close);
}

LiveDesk::LiveDesk(Store& store, Clock& clock, Crypto& crypto, DeviceService& devices,
                   LiveOptions options)
    : store_(store),
      clock_(clock),
      crypto_(crypto),
      devices_(devices),
      options_(std::move(options)) {}

LiveDesk::~LiveDesk() { end_all("shutdown"); }

Result<std::vector<std::string>> LiveDesk::area_paths(const std::vector<std::string>& codes) {
  std::vector<std::string> paths;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    for (const std::string& code : codes) {
      auto u = tx.find_unit(code);
      if (!u) return u.error();
      if (!u.value()) return Error{ErrorKind::kInvalid, "invalid_reference", "no unit " + code};
      paths.push_back(u.value()->path);
    }
    return {};
  }));
  return paths;
}

Result<StartedLive> LiveDesk::start(const access::Principal& p, const LiveDraft& draft,
                                    const RequestOrigin& origin) {
  if (draft.areas.empty() || draft.areas.size() > kMaxLiveAreas) {
    return invalid("areas: 1 to " + std::to_string(kMaxLiveAreas) + " units");
  }
  std::vector<std::string> codes;
  for (const std::string& a : draft.areas) {
    if (std::find(codes.begin(), codes.end(), a) == codes.end()) codes.push_back(a);
  }
  if (draft.title.size() > kMaxLiveTitleBytes || !text::is_valid_utf8(draft.title)) {
    return invalid("title: at most " + std::to_string(kMaxLiveTitleBytes) + " bytes of UTF-8");
  }
  auto paths = area_paths(codes);
  if (!paths) return paths.error();
  auto level = level_for(p, codes, paths.value());
  if (!level) return level.error();

  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<Session>> lower;
  std::size_t active = 0;
  for (const auto& s : sessions_) {
    if (!s->active()) continue;
    ++active;
    if (!overlaps(s->paths, paths.value())) continue;
    const LiveSession other = s->snapshot();
    if (other.level >= level.value()) {
      return Error{ErrorKind::kConflict, "live_conflict",
                   std::string(level_name(other.level)) + " level live broadcast by " +
                       other.operator_name + " is on air in " + join(other.areas) +
                       "; it must end first"};
    }
    lower.push_back(s);
  }
  if (active >= options_.max_active) {
    return Error{ErrorKind::kUnavailable, "too_many_live",
                 "too many live broadcasts on air; try again later"};
  }

  const std::string serial_hex = crypto_.random_hex(4);
  OpusStreamInfo info;
  info.title = draft.title;
  auto session = std::make_shared<Session>(
      static_cast<std::uint32_t>(std::stoul(serial_hex, nullptr, 16)), info, options_.lag_limit);
  session->paths = paths.value();
  session->mount = crypto_.random_hex(16);
  const std::string token = crypto_.random_hex(16);
  session->token_hash = crypto_.sha256_hex(token);
  LiveSession& v = session->view;
  v.id = crypto_.random_hex(8);
  v.level = level.value();
  v.areas = codes;
  v.title = draft.title;
  v.operator_name = p.username;
  v.user_id = p.user_id;
  v.stream_url = options_.stream_base_url + "/live/" + session->mount + ".ogg";
  v.started_at = clock_.now();

  BroadcastRequest order;
  order.areas = codes;
  order.priority = Priority::kPriority;
  ProgrammeItem item;
  item.kind = ProgrammeItemKind::kStream;
  item.url = v.stream_url;
  item.duration_s = options_.max_seconds;
  item.title = draft.title.empty() ? "Phát trực tiếp" : draft.title;
  order.items.push_back(std::move(item));
  auto sent = devices_.broadcast(p, order, origin);
  if (!sent) return sent.error();
  v.order = sent->order;
  v.devices = sent->devices;

  // The lower levels end after the new order is out: on a device the new order (same
  // priority) waits for the old one to stop, so the area never falls silent in between.
  for (const auto& s : lower) end(s, "preempted", origin.actor, origin.ip);
  sessions_.insert(sessions_.begin(), session);
  audit(origin.actor, "live.start", v, origin.ip);
  // Keep the active sessions and the last few ended ones.
  std::size_t ended = 0;
  std::erase_if(sessions_, [&ended](const std::shared_ptr<Session>& s) {
    return !s->active() && ++ended > kKeptEndedSessions;
  });
  return StartedLive{session->snapshot(), token};
}

std::shared_ptr<LiveDesk::Session> LiveDesk::find(const std::string& id) {
  std::lock_guard lock(mu_);
  for (const auto& s : sessions_) {
    if (s->view.id == id) return s;  // id is constant after start
  }
  return nullptr;
}

Result<LiveSession> LiveDesk::get(const access::Principal& p, const std::string& id) {
  auto s = find(id);
  if (!s) return Error{ErrorKind::kNotFound, "not_found", "no live broadcast " + id};
  LiveSession view = s->snapshot();
  if (!may_see(p, view, s->paths)) {
    return Error{ErrorKind::kNotFound, "not_found", "no live broadcast " + id};
  }
  return view;
}

Result<LiveSession> LiveDesk::stop(const access::Principal& p, const std::string& id,
                                   const RequestOrigin& origin) {
  auto view = get(p, id);
  if (!view) return view.error();
  auto s = find(id);
  if (!s) return Error{ErrorKind::kNotFound, "not_found", "no live broadcast " + id};
  if (view->user_id != p.user_id && !may_manage_all(p, s->paths)) {
    return Error{ErrorKind::kForbidden, "forbidden",
                 "only its operator or a station operator of all its areas may stop it"};
  }
  {
    std::lock_guard lock(mu_);
    end(s, "stopped", origin.actor, origin.ip);
  }
  return s->snapshot();
}

std::vector<LiveSession> LiveDesk::list(const access::Principal& p) {
  std::vector<std::shared_ptr<Session>> all;
  {
    std::lock_guard lock(mu_);
    all = sessions_;
  }
  std::vector<LiveSession> out;
  for (const auto& s : all) {
    LiveSession view = s->snapshot();
    if (may_see(p, view, s->paths)) out.push_back(std::move(view));
  }
  std::stable_sort(out.begin(), out.end(), [](const LiveSession& a, const LiveSession& b) {
    const bool a_on = a.state != LiveState::kEnded;
    const bool b_on = b.state != LiveState::kEnded;
    if (a_on != b_on) return a_on;
    return a.started_at > b.started_at;
  });
  return out;
}

Result<OrderBoard> LiveDesk::board(const access::Principal& p, const std::string& id) {
  auto view = get(p, id);
  if (!view) return view.error();
  return devices_.order_board(view->order);
}

Result<std::shared_ptr<LiveFeed>> LiveDesk::connect(const access::Principal& p,
                                                    const std::string& id, std::string_view token) {
  auto s = find(id);
  const Error refused{ErrorKind::kForbidden, "invalid_token",
                      "this microphone token is wrong, used or for another session"};
  if (!s) return Error{ErrorKind::kNotFound, "not_found", "no live broadcast " + id};
  {
    std::lock_guard lock(s->mu);
    if (s->view.state == LiveState::kEnded) {
      return Error{ErrorKind::kConflict, "live_ended", "the live broadcast has ended"};
    }
    if (s->view.user_id != p.user_id || s->token_hash.empty() || s->feed_connected ||
        crypto_.sha256_hex(token) != s->token_hash) {
      return refused;
    }
    s->token_hash.clear();  // one use
    s->feed_connected = true;
    s->last_packet = clock_.now();  // the silence timeout counts from the connection
  }
  const std::string actor = p.username;
  std::weak_ptr<Session> weak = s;
  return std::shared_ptr<LiveFeed>(
      std::make_shared<Feed>(s, clock_, [this, weak, actor](bool normal) {
        if (auto session = weak.lock())
          end(session, normal ? "stopped" : "disconnected", actor, "");
      }));
}

std::shared_ptr<LiveListener> LiveDesk::listen(std::string_view mount) {
  std::lock_guard lock(mu_);
  for (const auto& s : sessions_) {
    if (s->mount == mount) return s->active() ? s->stream->listen() : nullptr;
  }
  return nullptr;
}

void LiveDesk::tick() {
  const UnixTime now = clock_.now();
  std::lock_guard lock(mu_);
  for (const auto& s : sessions_) {
    std::string reason;
    {
      std::lock_guard inner(s->mu);
      if (s->view.state == LiveState::kEnded) continue;
      const bool no_microphone =
          !s->feed_connected && now - s->view.started_at >= options_.connect_seconds;
      const bool silent = s->feed_connected && now - s->last_packet >= options_.silence_seconds;
      if (now - s->view.started_at >= options_.max_seconds) {
        reason = "max_duration";
      } else if (no_microphone || silent) {
        reason = "no_audio";
      }
    }
    if (!reason.empty()) end(s, reason, "system:live", "");
  }
}

void LiveDesk::end_all(const std::string& reason) {
  std::lock_guard lock(mu_);
  for (const auto& s : sessions_) end(s, reason, "system:live", "");
}

void LiveDesk::end(const std::shared_ptr<Session>& s, const std::string& reason,
                   const std::string& actor, const std::string& ip) {
  std::function<void(int, std::string)> close_feed;
  std::string last_page;
  LiveSession view;
  {
    std::lock_guard lock(s->mu);
    if (s->view.state == LiveState::kEnded) return;
    s->view.state = LiveState::kEnded;
    s->view.ended_at = clock_.now();
    s->view.end_reason = reason;
    s->token_hash.clear();
    close_feed = std::move(s->close_feed);
    last_page = s->writer.end_page();
    view = s->view;
  }
  s->stream->end(last_page);
  if (close_feed) close_feed(1000, "live broadcast ended: " + reason);
  if (!view.order.empty()) {
    // A failure here (store or broker down) leaves the devices on the relay until its duration
    // ends or the mount's end makes them fall silent; the audit entry records the attempt.
    (void)devices_.stop_order_system(view.order, actor);
  }
  audit(actor, "live.end", view, ip);
}

void LiveDesk::audit(const std::string& actor, const std::string& action, const LiveSession& s,
                     const std::string& ip) {
  json::array areas;
  for (const std::string& a : s.areas) areas.emplace_back(a);
  json::object after{{"level", level_name(s.level)},
                     {"areas", std::move(areas)},
                     {"order", s.order},
                     {"devices", s.devices},
                     {"title", s.title}};
  if (s.state == LiveState::kEnded) {
    after["end_reason"] = s.end_reason;
    after["packets"] = s.packets;
    after["seconds"] = s.ended_at - s.started_at;
  }
  (void)store_.write([&](Tx& tx) -> Status {
    return audit::append(
        tx, crypto_,
        {0, clock_.now(), actor, action, "live:" + s.id, "", json::serialize(after), ip, "", ""});
  });
}

}  // namespace nguon::live
