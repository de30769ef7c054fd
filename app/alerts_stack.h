// Builds the emergency-alert capability of a server (issue 6): the CAP 1.2 schema (loaded from
// <deployment.data_dir>/cap/cap12.xsd), the alert desk with its voice (the speech stack) and the
// broadcast capability's DeviceService, and the Atom feed poller's thread.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include "adapters/cap/cap_parser.h"
#include "app/config.h"
#include "app/periodic_worker.h"
#include "core/alerts/alert_desk.h"
#include "core/devices/device_service.h"
#include "core/speech.h"
#include "core/vi_normalizer.h"

namespace nguon::app {

// One pass over the enabled sources with a feed URL: fetches each feed, then every CAP
// document it lists that this process has not read yet, and ingests it. Duplicates (already
// stored) are skipped quietly; every other refusal is logged with its reason. A source's last
// poll time and error are recorded on it. Thread-compatible: the stack runs it on its thread.
class FeedPoller {
 public:
  FeedPoller(alerts::AlertDesk& desk, const cap::CapSchema& schema)
      : desk_(desk), schema_(schema) {}
  // How many alerts were ingested.
  Result<int> run_once();

 private:
  Status poll(const AlertSource& source, int& ingested);

  alerts::AlertDesk& desk_;
  const cap::CapSchema& schema_;
  std::map<std::int64_t, std::set<std::string>> seen_;  // source → entry id + updated
};

class AlertsStack {
 public:
  // `devices` may be null (no broker): alerts are then recorded but never broadcast, and the
  // desk is absent (the API answers 503).
  static Result<std::unique_ptr<AlertsStack>> make(const Config& cfg, Store& store, Clock& clock,
                                                   Crypto& crypto, DeviceService& devices,
                                                   SpeechSynthesizer& synthesizer,
                                                   AudioPipeline& pipeline, MediaStore& media,
                                                   const vi::AbbreviationDictionary& dictionary);
  ~AlertsStack();
  alerts::AlertDesk& desk() { return *desk_; }
  const cap::CapSchema& schema() const { return *schema_; }
  // Starts the poller thread (every alerts.poll_seconds).
  void start();
  void stop();

 private:
  AlertsStack() = default;
  std::shared_ptr<const cap::CapSchema> schema_;
  std::unique_ptr<cap::SchemaCapCodec> codec_;
  std::unique_ptr<alerts::AlertVoice> voice_;
  std::unique_ptr<alerts::AlertDesk> desk_;
  std::unique_ptr<FeedPoller> poller_;
  std::unique_ptr<PeriodicWorker> worker_;  // runs the poller; declared last: stops first
};

}  // namespace nguon::app
