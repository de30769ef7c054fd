// The device agent's runtime: everything around the pure logic of core/agent/ that touches the
// outside world — the state directory, the media cache, the report queue and the MQTT
// connection (docs/protocol.md). One Runtime is one device; the simulator runs thousands.
//
// Threading: the Runtime is not thread-safe. The caller serialises on_connect, on_message,
// on_published and tick (the agent binary holds a mutex; the simulator runs one thread). Only
// the media cache's completion callbacks arrive on other threads; they are queued internally
// and handled by the next tick() (`wake`, if set, is called to hurry that tick).
//
// Files in the state directory (empty state_dir: nothing is persisted, as in the simulator):
//   manifest.json, settings.json  the signed bodies in force (already verified)
//   replay_guard.txt              ReplayGuard::serialize()
//   finished_slots.txt            ids of slots played to their end, one per line
//   reports.log                   the report queue (DiskReportQueue)
//   media/<sha256>                the media cache (MediaCache)
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/mqtt/client.h"
#include "agent/log.h"
#include "agent/media_cache.h"
#include "agent/relay_hook.h"
#include "agent/report_queue.h"
#include "core/agent/message_handler.h"
#include "core/agent/player.h"
#include "core/agent/ports.h"
#include "core/agent/replay_guard.h"
#include "core/ports.h"
#include "core/protocol.h"

namespace nguon::agent {

// Exit status that asks the supervisor (systemd) to restart the agent: the `reboot` order.
inline constexpr int kRebootExitCode = 75;

// The connection a Runtime publishes through.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual Status subscribe(const std::string& pattern, int qos) = 0;
  virtual Result<int> publish(const std::string& topic, std::string_view payload, int qos,
                              bool retain) = 0;
  virtual bool connected() const = 0;
};

// Adapts mqtt::Client or mqtt::Poller::Connection (same member functions) to Transport.
template <typename Connection>
class TransportOf final : public Transport {
 public:
  explicit TransportOf(Connection& c) : c_(c) {}
  Status subscribe(const std::string& pattern, int qos) override {
    return c_.subscribe(pattern, qos);
  }
  Result<int> publish(const std::string& topic, std::string_view payload, int qos,
                      bool retain) override {
    return c_.publish(topic, payload, qos, retain);
  }
  bool connected() const override { return c_.connected(); }

 private:
  Connection& c_;
};

struct RuntimeOptions {
  std::string state_dir;  // empty: persist nothing
  int heartbeat_s = 60;
  // A change of what is playing is published in the state only once it has held this many
  // seconds (on the clock's whole seconds: between settle - 1 and settle), because the
  // `playing`/`played` events report it at once: during a fan-out to thousands of devices the
  // broker carries the events first, and a burst of changes costs one state. 0: at once.
  // Volume, power and manifest changes are published at once.
  int state_settle_s = 3;
  std::string agent_name = "nguon-agent/0.1";
  std::string firmware;
};

// Events reported since start, by type (the simulator's counts).
struct RuntimeCounters {
  std::int64_t playing = 0;
  std::int64_t played = 0;
  std::int64_t rejected = 0;
  std::int64_t failed = 0;
  std::int64_t faults = 0;
};

class Runtime final : private EventSink, private MediaLookup {
 public:
  Runtime(protocol::Bundle bundle, RuntimeOptions options, const Clock& clock, Crypto& crypto,
          AudioSink& sink, MediaCache& cache, std::unique_ptr<ReportQueue> queue, RelayHook& relay,
          const Logger& log);
  ~Runtime() override;

  // Restores the persisted manifest, settings, replay guard and finished slots. Unreadable
  // files are logged and ignored: the retained manifest and settings bring the state back.
  void load_state();

  // How to connect: client id and username = device id, clean_session=false, the offline
  // state as retained last will.
  mqtt::ClientOptions mqtt_options() const;
  // The device's manifest, settings and cmd topics, and every area's cmd topic.
  std::vector<std::string> subscriptions() const;
  // Publishing goes through `transport` (may be null until connected). Not owned.
  void attach(Transport* transport) { transport_ = transport; }
  void set_wake(std::function<void()> wake) { wake_ = std::move(wake); }

  void on_connect(bool connected);
  void on_message(std::string_view topic, std::string_view payload);
  void on_published(int mid);
  // Call about once a second (and soon after `wake`).
  void tick();

  // Reports a full disk (fault `disk_full`, at most every 5 minutes) and deletes media the
  // schedule no longer needs. `what` names what could not be written, for the log.
  void handle_disk_full(std::string_view what);

  std::optional<int> exit_code() const { return exit_code_; }
  bool playing() const { return player_.now_playing().has_value(); }
  const RuntimeCounters& counters() const { return counters_; }
  size_t queued_reports() const { return queue_->size(); }
  const protocol::Bundle& bundle() const { return bundle_; }
  protocol::DeviceState state() const;

 private:
  void emit(protocol::Event event) override;
  // The Player's view of the cache: a miss starts the download, so an order whose audio is
  // new waits for it (Player::kMaxMediaWait) instead of failing at once.
  std::optional<std::string> path_of(const protocol::PlayItem& item) override;
  bool fetching(const protocol::PlayItem& item) override { return cache_.fetching(item); }
  void count(const protocol::Event& e);
  void silence_failed_relay();
  void publish_report(const QueuedReport& r);
  void flush_reports();
  void publish_state();
  void maybe_publish_state();
  std::string playing_key() const;
  std::string settings_key() const;
  void persist_accepted(const protocol::Message& m);
  void persist(const std::string& name, std::string_view content);
  void persist_finished_slots();
  void prefetch(UnixTime now);
  void fetch(const protocol::PlayItem& item);
  void handle_downloads();
  void fault(std::string reason, std::optional<std::string> sha256 = std::nullopt);
  std::set<std::string> needed_media() const;
  std::string path(const std::string& name) const { return options_.state_dir + "/" + name; }

  protocol::Bundle bundle_;
  RuntimeOptions options_;
  const Clock& clock_;
  MediaCache& cache_;
  std::unique_ptr<ReportQueue> queue_;
  RelayHook& relay_;
  const Logger& log_;
  MediaSource media_source_;
  std::string state_topic_;
  std::string events_topic_;

  ReplayGuard guard_;
  Player player_;
  MessageHandler handler_;
  Transport* transport_ = nullptr;
  std::function<void()> wake_;

  std::map<int, std::uint64_t> in_flight_;  // publish mid → report id
  std::vector<std::string> unstored_;       // reports the disk could not hold (disk full)
  std::uint64_t unstored_serial_ = 0;
  std::string last_playing_key_;
  std::string last_settings_key_;
  UnixTime playing_changed_at_ = 0;  // when playing_key() first differed from the published one
  UnixTime last_state_at_ = 0;
  UnixTime last_prefetch_at_ = 0;
  UnixTime last_disk_full_at_ = 0;
  std::set<std::string> persisted_finished_;
  std::map<std::string, std::pair<protocol::PlayItem, UnixTime>> order_media_;  // until when
  std::optional<int> exit_code_;
  bool relay_silenced_ = false;  // the amplifier is off for a failed relay (stream item)
  RuntimeCounters counters_;

  // Download results from the media cache's worker threads, handled by tick().
  struct DownloadResult {
    std::string sha256;
    Status result;
  };
  std::shared_ptr<std::mutex> downloads_mu_ = std::make_shared<std::mutex>();
  std::shared_ptr<std::vector<DownloadResult>> downloads_ =
      std::make_shared<std::vector<DownloadResult>>();
};

}  // namespace nguon::agent
