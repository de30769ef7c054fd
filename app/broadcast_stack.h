// Builds the broadcast capability of a server from its configuration (issue 4): the signing
// key, the MQTT link to the broker, device accounts (Mosquitto dynamic security, or none when
// the broker authenticates devices itself), the DeviceService, and the background work that
// turns device reports into play logs and schedules into signed manifests.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "adapters/broker/broker_link.h"
#include "adapters/calendar/ical_recurrence.h"
#include "app/config.h"
#include "app/manifest_publisher.h"
#include "core/devices/device_service.h"
#include "core/ports.h"
#include "core/speech.h"
#include "core/store.h"

namespace nguon::app {

// Device reports arrive on the MQTT network thread; they are queued and written by one worker
// so a slow database never stalls the broker connection. Bounded: past `capacity` queued
// reports, new ones are dropped, counted and logged as an error (the broker has already
// acknowledged them to the device, so a drop is a real loss: size the queue for the fleet).
// The worker runs `nice` steps below the process's priority (Config::Devices::ingest_nice).
class ReportIngestor {
 public:
  ReportIngestor(DeviceService& devices, size_t capacity, int nice = 0);
  ~ReportIngestor();
  void push(std::string_view topic, std::string_view payload);
  // Blocks until everything queued so far is written (tests, shutdown).
  void drain();
  void stop();
  std::uint64_t dropped() const { return dropped_; }

 private:
  void run();
  static constexpr size_t kBatch = 500;
  DeviceService& devices_;
  size_t capacity_;
  int nice_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::pair<std::string, std::string>> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::atomic<std::uint64_t> dropped_{0};
  std::thread worker_;
};

// Always-on accounts of a broker that authenticates devices itself (broker.accounts =
// "external", e.g. EMQX or VerneMQ with an HTTP auth hook against this server): provisioning
// only issues the password the hook checks (docs/operations.md).
class ExternalBrokerAccounts final : public BrokerAccounts {
 public:
  Status upsert_device(const std::string&, const std::string&,
                       const std::vector<std::string>&) override {
    return {};
  }
  Status remove_device(const std::string&) override { return {}; }
};

struct BroadcastStack {
  protocol::SigningKey key;
  std::unique_ptr<broker::BrokerLink> link;
  std::unique_ptr<BrokerAccounts> accounts;
  std::unique_ptr<DeviceService> devices;
  std::unique_ptr<calendar::IcalRecurrenceExpander> expander;
  std::unique_ptr<ScheduleService> schedules;
  std::unique_ptr<ManifestPublisher> manifests;
  std::unique_ptr<ReportIngestor> ingestor;
  // Set once the ingestor exists; read on the MQTT network thread.
  std::atomic<ReportIngestor*> ingest_to{nullptr};

  ~BroadcastStack();
  void stop();
};

// Errors name the configuration key at fault. Waits up to `connect_timeout` for the broker:
// a server that starts before its broker still starts (the link keeps retrying), logging it.
Result<std::unique_ptr<BroadcastStack>> make_broadcast_stack(const Config& config, Store& store,
                                                             Clock& clock, Crypto& crypto,
                                                             MediaStore* media);

}  // namespace nguon::app
