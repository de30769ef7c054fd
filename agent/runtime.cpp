#include "agent/runtime.h"

#include <sstream>

#include "agent/files.h"

namespace nguon::agent {

namespace {

// Orders' media stays wanted (prefetch retries, kept when pruning) this long after arrival.
constexpr UnixTime kOrderMediaWindow = kMaxMediaWait;
// Missing media is requested again this often (MediaCache backs off failures itself).
constexpr UnixTime kPrefetchEvery = 30;
// At most one disk_full fault per this period.
constexpr UnixTime kDiskFullEvery = 300;
// Reports kept in memory when the disk is full.
constexpr size_t kMaxUnstored = 1000;

std::string join_lines(const std::set<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += id + "\n";
  return out;
}

std::set<std::string> split_lines(std::string_view text) {
  std::set<std::string> out;
  std::istringstream in{std::string(text)};
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.insert(line);
  }
  return out;
}

}  // namespace

Runtime::Runtime(protocol::Bundle bundle, RuntimeOptions options, const Clock& clock,
                 Crypto& crypto, AudioSink& sink, MediaCache& cache,
                 std::unique_ptr<ReportQueue> queue, RelayHook& relay, const Logger& log)
    : bundle_(std::move(bundle)),
      options_(std::move(options)),
      clock_(clock),
      cache_(cache),
      queue_(std::move(queue)),
      relay_(relay),
      log_(log),
      media_source_{bundle_.media_base_url, bundle_.device, bundle_.password},
      state_topic_(protocol::device_topic(bundle_.device, protocol::DeviceLeaf::kState)),
      events_topic_(protocol::device_topic(bundle_.device, protocol::DeviceLeaf::kEvents)),
      player_(sink, *this, *this),
      handler_(crypto, bundle_.keys, guard_, player_, *this) {}

Runtime::~Runtime() = default;

// ---- configuration -------------------------------------------------------------------------

mqtt::ClientOptions Runtime::mqtt_options() const {
  mqtt::ClientOptions o;
  o.host = bundle_.broker_host;
  o.port = bundle_.broker_port;
  o.client_id = bundle_.device;
  o.username = bundle_.device;
  o.password = bundle_.password;
  o.clean_session = false;  // QoS 1 orders sent while briefly offline are kept by the broker
  o.will = mqtt::Will{state_topic_, protocol::offline_state(), 1, true};
  return o;
}

std::vector<std::string> Runtime::subscriptions() const {
  using protocol::DeviceLeaf;
  std::vector<std::string> topics = {
      protocol::device_topic(bundle_.device, DeviceLeaf::kManifest),
      protocol::device_topic(bundle_.device, DeviceLeaf::kSettings),
      protocol::device_topic(bundle_.device, DeviceLeaf::kCmd),
  };
  for (const auto& area : bundle_.areas) topics.push_back(protocol::area_topic(area));
  return topics;
}

// ---- persisted state -----------------------------------------------------------------------

void Runtime::load_state() {
  if (options_.state_dir.empty()) return;
  UnixTime now = clock_.now();
  if (auto text = read_file(path("replay_guard.txt"))) {
    if (auto g = ReplayGuard::parse(*text)) {
      guard_ = std::move(g.value());
    } else {
      log_.warn("replay guard unreadable, starting empty", {{"error", g.error().message}});
    }
  }
  if (auto text = read_file(path("finished_slots.txt"))) {
    persisted_finished_ = split_lines(*text);
    player_.restore_finished_slots(persisted_finished_);
  }
  for (const char* name : {"settings.json", "manifest.json"}) {
    auto text = read_file(path(name));
    if (!text) continue;
    auto m = protocol::decode_body(*text);
    if (!m) {
      log_.warn("persisted state unreadable", {{"file", name}, {"error", m.error().message}});
      continue;
    }
    if (auto* s = std::get_if<protocol::Settings>(&m->data)) {
      relay_.set(s->power && !relay_silenced_);
      player_.set_settings(*s, now);
    } else if (auto* manifest = std::get_if<protocol::Manifest>(&m->data)) {
      player_.set_manifest(*manifest, now);
    }
  }
  prefetch(now);
}

void Runtime::persist(const std::string& name, std::string_view content) {
  if (options_.state_dir.empty()) return;
  if (Status st = write_file_atomic(path(name), content); !st) {
    log_.error("cannot persist state", {{"file", name}, {"error", st.error().message}});
    if (is_disk_full(st.error())) handle_disk_full(name);
  }
}

void Runtime::persist_accepted(const protocol::Message& m) {
  if (m.type() == protocol::MessageType::kManifest)
    persist("manifest.json", protocol::encode_body(m));
  if (m.type() == protocol::MessageType::kSettings)
    persist("settings.json", protocol::encode_body(m));
  persist("replay_guard.txt", guard_.serialize());
}

void Runtime::persist_finished_slots() {
  const auto& finished = player_.finished_slots();
  if (finished == persisted_finished_) return;
  persisted_finished_ = finished;
  persist("finished_slots.txt", join_lines(finished));
}

// ---- network events ------------------------------------------------------------------------

void Runtime::on_connect(bool connected) {
  // Mids of the previous connection are meaningless now: every pending report is re-sent.
  in_flight_.clear();
  if (!connected) {
    log_.info("disconnected", {{"device", bundle_.device}});
    return;
  }
  log_.info("connected", {{"device", bundle_.device}});
  publish_state();
  flush_reports();
}

void Runtime::on_message(std::string_view topic, std::string_view payload) {
  UnixTime now = clock_.now();
  auto handled = handler_.handle(topic, payload, now);
  switch (handled.outcome) {
    case MessageHandler::Outcome::kRejected:
      log_.warn("message rejected", {{"topic", topic}, {"reason", handled.reason}});
      break;
    case MessageHandler::Outcome::kDuplicate:
      break;
    case MessageHandler::Outcome::kReboot:
      persist_accepted(*handled.message);  // never obey the same reboot twice
      log_.info("reboot ordered", {{"device", bundle_.device}});
      exit_code_ = kRebootExitCode;
      break;
    case MessageHandler::Outcome::kApplied: {
      const protocol::Message& m = *handled.message;
      persist_accepted(m);
      if (auto* s = std::get_if<protocol::Settings>(&m.data)) {
        relay_.set(s->power && !relay_silenced_);
      }
      if (auto* order = std::get_if<protocol::PlayOrder>(&m.data)) {
        for (const auto& item : order->items) {
          order_media_[item.sha256] = {item, now + kOrderMediaWindow};
          fetch(item);
        }
      }
      if (m.type() == protocol::MessageType::kManifest) prefetch(now);
      log_.debug("message applied",
                 {{"topic", topic}, {"type", protocol::message_type_name(m.type())}});
      break;
    }
  }
  maybe_publish_state();
}

void Runtime::on_published(int mid) {
  auto it = in_flight_.find(mid);
  if (it == in_flight_.end()) return;  // a state publish, or a previous connection's
  queue_->remove(it->second);
  in_flight_.erase(it);
}

void Runtime::tick() {
  UnixTime now = clock_.now();
  handle_downloads();
  player_.tick(now);
  silence_failed_relay();
  persist_finished_slots();
  if (now - last_prefetch_at_ >= kPrefetchEvery || now < last_prefetch_at_) prefetch(now);
  maybe_publish_state();
}

// A relay whose source failed is silent: the amplifier is switched off until it recovers or
// ends (only while the settings want power; they switch it themselves otherwise).
void Runtime::silence_failed_relay() {
  bool silent = player_.stream_silent();
  if (silent == relay_silenced_) return;
  relay_silenced_ = silent;
  if (player_.power()) relay_.set(!silent);
}

// ---- reports -------------------------------------------------------------------------------

void Runtime::emit(protocol::Event event) {
  if (event.ts == 0) event.ts = clock_.now();
  count(event);
  auto stored = queue_->append(event);
  if (stored) {
    publish_report(*stored);
    return;
  }
  log_.error("cannot queue report", {{"error", stored.error().message}});
  // Not storable: keep it in memory (bounded) and still try to deliver it.
  event.id = "u" + std::to_string(clock_.now()) + "-" + std::to_string(++unstored_serial_);
  std::string json = protocol::encode_event(event);
  if (unstored_.size() < kMaxUnstored) unstored_.push_back(json);
  if (transport_ && transport_->connected())
    (void)transport_->publish(events_topic_, json, 1, false);
  if (is_disk_full(stored.error())) handle_disk_full("reports.log");
}

void Runtime::count(const protocol::Event& e) {
  switch (e.type) {
    case protocol::EventType::kPlaying:
      ++counters_.playing;
      break;
    case protocol::EventType::kPlayed:
      ++counters_.played;
      break;
    case protocol::EventType::kRejected:
      ++counters_.rejected;
      break;
    case protocol::EventType::kFailed:
      ++counters_.failed;
      break;
    case protocol::EventType::kFault:
      ++counters_.faults;
      break;
    case protocol::EventType::kInterrupted:
      break;
  }
}

void Runtime::publish_report(const QueuedReport& r) {
  if (!transport_ || !transport_->connected()) return;  // flushed on connect
  auto mid = transport_->publish(events_topic_, r.json, 1, false);
  if (mid) in_flight_[*mid] = r.id;
}

// Re-sends every unacknowledged report, oldest first.
void Runtime::flush_reports() {
  for (const auto& r : queue_->pending()) publish_report(r);
  if (!unstored_.empty() && transport_ && transport_->connected()) {
    for (const auto& json : unstored_) (void)transport_->publish(events_topic_, json, 1, false);
    unstored_.clear();
  }
}

// ---- state ---------------------------------------------------------------------------------

protocol::DeviceState Runtime::state() const {
  protocol::DeviceState s;
  s.online = true;
  s.ts = clock_.now();
  s.agent = options_.agent_name;
  s.firmware = options_.firmware;
  s.playing = player_.now_playing();
  s.volume = player_.volume();
  s.power = player_.power();
  if (guard_.manifest_seq()) s.manifest_seq = *guard_.manifest_seq();
  if (!options_.state_dir.empty()) {
    if (auto free = free_bytes(options_.state_dir)) s.free_bytes = *free;
  }
  s.queued_reports = static_cast<std::int64_t>(queue_->size());
  return s;
}

// What is playing and what the device is set to, compared with what was last published (see
// maybe_publish_state). Built by hand, not as JSON: the simulator computes them for 10,000
// devices every second.
std::string Runtime::playing_key() const {
  auto np = player_.now_playing();
  if (!np) return {};
  return np->sha256 + "|" + np->url + "|" + np->slot.value_or("") + "|" + np->order.value_or("");
}

std::string Runtime::settings_key() const {
  std::string key = std::to_string(player_.volume()) + (player_.power() ? "|on|" : "|off|");
  if (guard_.manifest_seq()) key += std::to_string(*guard_.manifest_seq());
  return key;
}

void Runtime::publish_state() {
  if (!transport_ || !transport_->connected()) return;
  protocol::DeviceState s = state();
  (void)transport_->publish(state_topic_, protocol::encode_state(s), 1, true);
  last_state_at_ = s.ts;
  last_playing_key_ = playing_key();
  last_settings_key_ = settings_key();
  playing_changed_at_ = 0;
}

// Published at every heartbeat, at once when volume, power or the manifest in force changed,
// and when what is playing changed and held for options_.state_settle_s.
void Runtime::maybe_publish_state() {
  UnixTime now = clock_.now();
  bool heartbeat_due = now - last_state_at_ >= options_.heartbeat_s || now < last_state_at_;
  if (heartbeat_due || settings_key() != last_settings_key_) {
    publish_state();  // when offline: published on connect
    return;
  }
  if (playing_key() == last_playing_key_) {
    playing_changed_at_ = 0;  // changed and changed back: nothing to say
    return;
  }
  if (playing_changed_at_ == 0 || now < playing_changed_at_) playing_changed_at_ = now;
  if (now - playing_changed_at_ >= options_.state_settle_s) publish_state();
}

// ---- media ---------------------------------------------------------------------------------

std::optional<std::string> Runtime::path_of(const protocol::PlayItem& item) {
  auto path = cache_.path_of(item);
  if (!path && item.kind == protocol::ItemKind::kMedia) fetch(item);
  return path;
}

void Runtime::fetch(const protocol::PlayItem& item) {
  if (item.kind != protocol::ItemKind::kMedia) return;
  std::weak_ptr<std::mutex> mu = downloads_mu_;
  std::weak_ptr<std::vector<DownloadResult>> results = downloads_;
  auto wake = wake_;
  cache_.fetch(item, media_source_,
               [mu, results, wake](const std::string& sha256, const Status& result) {
                 auto m = mu.lock();
                 auto r = results.lock();
                 if (!m || !r) return;  // the runtime is gone
                 {
                   std::lock_guard lock(*m);
                   r->push_back({sha256, result});
                 }
                 if (wake) wake();
               });
}

// Every media of the manifest's current and future slots, and of recent orders.
std::set<std::string> Runtime::needed_media() const {
  std::set<std::string> keep;
  UnixTime now = clock_.now();
  for (const auto& slot : player_.manifest().slots) {
    if (slot.end <= now) continue;
    for (const auto& item : slot.items) {
      if (item.kind == protocol::ItemKind::kMedia) keep.insert(item.sha256);
    }
  }
  for (const auto& [sha, entry] : order_media_) keep.insert(sha);
  return keep;
}

void Runtime::prefetch(UnixTime now) {
  last_prefetch_at_ = now;
  std::erase_if(order_media_, [now](const auto& e) { return e.second.second <= now; });
  std::map<std::string, const protocol::PlayItem*> wanted;  // each media once
  for (const auto& slot : player_.manifest().slots) {
    if (slot.end <= now) continue;
    for (const auto& item : slot.items) {
      if (item.kind == protocol::ItemKind::kMedia) wanted.emplace(item.sha256, &item);
    }
  }
  for (const auto& [sha, entry] : order_media_) wanted.emplace(sha, &entry.first);
  for (const auto& [sha, item] : wanted) fetch(*item);
}

void Runtime::handle_downloads() {
  std::vector<DownloadResult> results;
  {
    std::lock_guard lock(*downloads_mu_);
    results.swap(*downloads_);
  }
  std::set<std::string> seen;  // one download may answer several requests of this device
  for (const auto& r : results) {
    if (!seen.insert(r.sha256).second) continue;
    if (r.result) {
      log_.debug("media cached", {{"sha256", r.sha256}});
      continue;
    }
    log_.warn("media download failed", {{"sha256", r.sha256}, {"error", r.result.error().message}});
    if (is_disk_full(r.result.error())) {
      handle_disk_full("media");
    } else {
      fault("download_failed", r.sha256);
    }
  }
}

// Frees what can be freed (media no longer needed) and reports it, at most every
// kDiskFullEvery seconds. Never throws, never exits.
void Runtime::handle_disk_full(std::string_view what) {
  UnixTime now = clock_.now();
  if (last_disk_full_at_ != 0 && now - last_disk_full_at_ < kDiskFullEvery) return;
  last_disk_full_at_ = now;
  size_t deleted = cache_.prune(needed_media());
  log_.error("disk full", {{"while", what}, {"deleted_media", std::to_string(deleted)}});
  fault("disk_full");
}

void Runtime::fault(std::string reason, std::optional<std::string> sha256) {
  protocol::Event e;
  e.type = protocol::EventType::kFault;
  e.ts = clock_.now();
  e.reason = std::move(reason);
  e.sha256 = std::move(sha256);
  emit(std::move(e));
}

}  // namespace nguon::agent
