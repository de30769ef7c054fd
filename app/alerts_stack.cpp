#include "app/alerts_stack.h"

#include <chrono>
#include <filesystem>

#include "adapters/fetch/http_get.h"
#include "app/log.h"
#include "core/alerts/alert_voice.h"

namespace nguon::app {

namespace {

// Entries read per feed and pass: a feed is a window on recent alerts, not an archive.
constexpr size_t kMaxEntriesPerPass = 50;
constexpr size_t kMaxSeenPerSource = 5000;

Result<VoiceSettings> voice_of(const std::string& name) {
  VoiceSettings v;
  if (name == "north") {
    v.variant = VoiceVariant::kNorthern;
  } else if (name == "central") {
    v.variant = VoiceVariant::kCentral;
  } else if (name == "south") {
    v.variant = VoiceVariant::kSouthern;
  } else {
    return invalid("invalid_config", "alerts.voice: north, central or south");
  }
  return v;
}

// alerts.sender, else "nguon@" + the host of server.public_url.
std::string own_sender(const Config& cfg) {
  if (!cfg.alerts.sender.empty()) return cfg.alerts.sender;
  std::string host = cfg.server.public_url;
  if (const size_t scheme = host.find("://"); scheme != std::string::npos) {
    host = host.substr(scheme + 3);
  }
  host = host.substr(0, host.find_first_of(":/"));
  return "nguon@" + (host.empty() ? std::string("localhost") : host);
}

}  // namespace

Result<int> FeedPoller::run_once() {
  auto sources = desk_.polled_sources();
  if (!sources) return sources.error();
  int ingested = 0;
  for (const AlertSource& s : sources.value()) {
    Status polled = poll(s, ingested);
    if (!polled) {
      log::warn("CAP feed poll failed",
                {{"sender", s.sender}, {"url", s.feed_url}, {"error", polled.error().message}});
    }
    Status noted = desk_.record_poll(s.id, polled ? "" : polled.error().message);
    if (!noted) log::warn("cannot record a feed poll", {{"error", noted.error().message}});
  }
  return ingested;
}

Status FeedPoller::poll(const AlertSource& source, int& ingested) {
  auto feed = fetch::http_get(source.feed_url);
  if (!feed) return feed.error();
  auto entries = cap::parse_atom_feed(feed.value());
  if (!entries) return entries.error();
  std::set<std::string>& seen = seen_[source.id];
  if (seen.size() > kMaxSeenPerSource) seen.clear();  // the store still refuses duplicates
  size_t read = 0;
  for (const cap::FeedEntry& entry : entries.value()) {
    if (read++ >= kMaxEntriesPerPass) break;
    const std::string key = entry.id + "|" + entry.updated + "|" + entry.cap_url;
    if (seen.count(key) != 0) continue;
    const std::string url = fetch::resolve_url(source.feed_url, entry.cap_url);
    if (url.empty()) {
      seen.insert(key);
      continue;
    }
    auto doc = fetch::http_get(url, {std::size_t{1} << 20, 5000, 20000});
    if (!doc) {
      log::warn("CAP document unreachable", {{"url", url}, {"error", doc.error().message}});
      continue;  // tried again next pass
    }
    seen.insert(key);
    auto alert = cap::parse_cap(doc.value(), schema_);
    if (!alert) {
      log::warn("CAP document refused",
                {{"url", url}, {"code", alert.error().code}, {"error", alert.error().message}});
      continue;
    }
    auto stored = desk_.ingest(source, alert.value(), std::move(doc.value()), "feed");
    if (stored) {
      ++ingested;
      log::info("CAP alert received",
                {{"sender", source.sender},
                 {"identifier", stored->identifier},
                 {"state", std::string(alert_names::state_name(stored->state))}});
    } else if (stored.error().code != "alert_exists") {
      log::warn("CAP alert refused",
                {{"url", url}, {"code", stored.error().code}, {"error", stored.error().message}});
    }
  }
  return {};
}

Result<std::unique_ptr<AlertsStack>> AlertsStack::make(
    const Config& cfg, Store& store, Clock& clock, Crypto& crypto, DeviceService& devices,
    SpeechSynthesizer& synthesizer, AudioPipeline& pipeline, MediaStore& media,
    const vi::AbbreviationDictionary& dictionary) {
  auto voice = voice_of(cfg.alerts.voice);
  if (!voice) return voice.error();
  const std::string sender = own_sender(cfg);
  if (sender.find_first_of(" \t\r\n,<>&\"'") != std::string::npos) {
    return invalid("invalid_config", "alerts.sender: no spaces, commas or markup (CAP <sender>)");
  }
  const std::string xsd =
      (std::filesystem::path(cfg.deployment.data_dir) / "cap" / "cap12.xsd").string();
  auto schema = cap::CapSchema::from_file(xsd);
  if (!schema) {
    return invalid("invalid_config",
                   "deployment.data_dir: cannot load " + xsd + ": " + schema.error().message);
  }
  std::unique_ptr<AlertsStack> stack(new AlertsStack());
  stack->schema_ = std::move(schema.value());
  stack->codec_ = std::make_unique<cap::SchemaCapCodec>(stack->schema_);
  stack->voice_ = std::make_unique<alerts::SpeechAlertVoice>(synthesizer, pipeline, media,
                                                             dictionary, voice.value());
  stack->desk_ = std::make_unique<alerts::AlertDesk>(
      store, clock, crypto, devices, *stack->voice_, *stack->codec_,
      alerts::AlertDeskOptions{cfg.alerts.repeat, cfg.alerts.volume, cfg.alerts.second_approver,
                               sender});
  stack->poller_ = std::make_unique<FeedPoller>(*stack->desk_, *stack->schema_);
  stack->worker_ = std::make_unique<PeriodicWorker>(
      std::chrono::seconds(cfg.alerts.poll_seconds), [poller = stack->poller_.get()] {
        if (auto r = poller->run_once(); !r) {
          log::warn("CAP feed pass failed", {{"error", r.error().message}});
        }
      });
  return stack;
}

AlertsStack::~AlertsStack() { stop(); }

void AlertsStack::start() { worker_->start(); }

void AlertsStack::stop() { worker_->stop(); }

}  // namespace nguon::app
