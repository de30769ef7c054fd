// Live broadcast (phát trực tiếp): an operator's microphone, sent from the console as Opus
// packets, played by the loudspeakers of the chosen areas. The desk keeps the sessions (in
// memory: a live broadcast does not outlive the process that carries its audio), frames the
// packets as Ogg Opus (ogg_opus.h), serves them on a mount (live_mount.h) that the devices fetch
// as a relay item, and orders the devices through DeviceService.
//
// Levels: a live broadcast is commune, province or nation level after the unit of the grant
// that lets the operator reach its areas. On overlapping areas a higher level ends a lower one
// (`preempted`); the same or a lower level is refused (`live_conflict`). Emergency alerts go
// over every live broadcast on the devices (emergency priority; live orders are `priority`).
//
// Thread-safe. Time comes from the injected Clock; tick() does the timeouts.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/access.h"
#include "core/accounts.h"
#include "core/devices/device_service.h"
#include "core/live/live_mount.h"
#include "core/ports.h"
#include "core/result.h"
#include "core/store.h"

namespace nguon::live {

enum class LiveLevel { kCommune = 1, kProvince = 2, kNation = 3 };
enum class LiveState { kWaiting, kOnAir, kEnded };
std::string_view level_name(LiveLevel level);
std::string_view state_name(LiveState state);

struct LiveOptions {
  // Where devices fetch the mounts: "<stream_base_url>/live/<mount>.ogg" (the server's public
  // URL, or an Icecast relay in front of it).
  std::string stream_base_url;
  int max_seconds = 7200;              // longest live broadcast
  int connect_seconds = 30;            // no microphone connected by then: ended "no_audio"
  int silence_seconds = 20;            // no packet for this long: ended "no_audio"
  std::size_t lag_limit = 512 * 1024;  // a listener this many bytes behind is cut off
  std::size_t max_active = 200;        // sessions on air at once
};

struct LiveDraft {
  std::vector<std::string> areas;  // unit codes (nation, province, commune, village)
  std::string title;
};

// A session as callers see it (a copy).
struct LiveSession {
  std::string id;
  LiveState state = LiveState::kWaiting;
  LiveLevel level = LiveLevel::kCommune;
  std::vector<std::string> areas;
  std::string title;
  std::string operator_name;
  std::int64_t user_id = 0;
  std::size_t devices = 0;
  std::string order;
  std::string stream_url;
  UnixTime started_at = 0;
  UnixTime ended_at = 0;  // 0 while active
  // "stopped" (by a person), "disconnected" (the microphone's connection broke), "preempted"
  // (a higher level took the area), "no_audio", "max_duration", "shutdown".
  std::string end_reason;
  std::int64_t packets = 0;
  std::int64_t bytes = 0;
  std::size_t listeners = 0;
};

struct StartedLive {
  LiveSession session;
  std::string audio_token;  // one use: connects the microphone (connect())
};

// The microphone side of a session. push() is called for every packet, closed() once.
class LiveFeed {
 public:
  virtual ~LiveFeed() = default;
  // invalid_field for something that is no Opus packet; throttled (faster_than_real_time) for
  // audio more than kMaxAheadSeconds ahead of the clock; conflict once the session has ended.
  virtual Status push(std::string_view packet) = 0;
  // The connection ended; `normal` when the console closed it on purpose (ends as "stopped").
  virtual void closed(bool normal) = 0;
  // How the desk closes the connection when the session ends elsewhere (code, reason).
  virtual void on_end(std::function<void(int, std::string)> close) = 0;
};

inline constexpr std::size_t kMaxLiveAreas = 20;
inline constexpr std::size_t kMaxLiveTitleBytes = 200;
inline constexpr std::size_t kKeptEndedSessions = 50;
// How far the audio received may run ahead of the time since its first packet (then refused:
// faster_than_real_time, which closes the microphone's connection).
inline constexpr std::int64_t kMaxAheadSeconds = 10;

class LiveDesk {
 public:
  LiveDesk(Store& store, Clock& clock, Crypto& crypto, DeviceService& devices, LiveOptions options);
  ~LiveDesk();
  LiveDesk(const LiveDesk&) = delete;
  LiveDesk& operator=(const LiveDesk&) = delete;

  // A station operator or admin of every area. Errors: invalid_field, forbidden,
  // live_conflict (409: a live broadcast of the same or a higher level on an overlapping area),
  // too many sessions (unavailable), and DeviceService::broadcast's.
  Result<StartedLive> start(const access::Principal& p, const LiveDraft& draft,
                            const RequestOrigin& origin);
  // The session's operator, or a station operator / admin of all its areas.
  Result<LiveSession> stop(const access::Principal& p, const std::string& id,
                           const RequestOrigin& origin);
  // Visible to whoever may read one of its areas.
  Result<LiveSession> get(const access::Principal& p, const std::string& id);
  // Active sessions first (newest first), then the recently ended ones.
  std::vector<LiveSession> list(const access::Principal& p);
  Result<OrderBoard> board(const access::Principal& p, const std::string& id);
  // The microphone connection, for the session's operator holding its one-time token.
  Result<std::shared_ptr<LiveFeed>> connect(const access::Principal& p, const std::string& id,
                                            std::string_view token);
  // A listener of an active mount, or null.
  std::shared_ptr<LiveListener> listen(std::string_view mount);
  // Ends sessions without microphone, silent, or over max_seconds. Call about once a second.
  void tick();
  // Ends every active session (server shutdown): devices are told to stop.
  void end_all(const std::string& reason);

  struct Session;

 private:
  std::shared_ptr<Session> find(const std::string& id);
  Result<std::vector<std::string>> area_paths(const std::vector<std::string>& codes);
  // Ends `s` unless already ended: closes its mount and microphone, stops its order, audits.
  void end(const std::shared_ptr<Session>& s, const std::string& reason, const std::string& actor,
           const std::string& ip);
  void audit(const std::string& actor, const std::string& action, const LiveSession& s,
             const std::string& ip);

  Store& store_;
  Clock& clock_;
  Crypto& crypto_;
  DeviceService& devices_;
  LiveOptions options_;
  std::mutex mu_;                                   // sessions_ and the start/stop decisions
  std::vector<std::shared_ptr<Session>> sessions_;  // active and the last ended ones
};

}  // namespace nguon::live
