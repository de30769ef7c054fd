// Keeps every device's retained, signed manifest equal to what the schedules say
// (docs/protocol.md "manifest"). Work is done by one background thread:
// - after a schedule change, for the devices under the changed owner's unit;
// - every `period` (default a minute) for all devices: the horizon rolls forward, newly
//   provisioned devices and newly published priority bulletins (Circular 39) are picked up;
// - after the broker connection comes back, for all devices, re-publishing even unchanged
//   manifests (a broker restarted without persistence forgets retained messages).
// A manifest is published only when it differs from the one last published by this process,
// so a fleet of thousands is not re-signed every minute.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

#include "core/devices/device_service.h"
#include "core/ports.h"
#include "core/schedule/schedule_service.h"
#include "core/store.h"

namespace nguon::app {

struct PublishCounts {
  size_t devices = 0;    // compiled
  size_t published = 0;  // changed (or forced) and sent
  size_t failed = 0;     // publish refused (broker down): retried at the next pass
};

class ManifestPublisher {
 public:
  ManifestPublisher(Store& store, Clock& clock, ScheduleService& schedules, DeviceService& devices,
                    int horizon_days, std::chrono::seconds period = std::chrono::seconds(60));
  ~ManifestPublisher();

  // Asynchronous requests to the worker thread.
  void refresh(const std::string& unit_path);  // "" = every device
  void republish_all();                        // forced, after a reconnection
  void start();
  void stop();

  // Synchronous (the worker's body; also for tests and the admin CLI).
  Result<PublishCounts> refresh_now(const std::string& unit_path, bool force);

 private:
  void run();
  Store& store_;
  Clock& clock_;
  ScheduleService& schedules_;
  DeviceService& devices_;
  int horizon_days_;
  std::chrono::seconds period_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> pending_;  // unit paths to refresh; "" = all
  bool force_all_ = false;
  bool stopping_ = false;
  std::thread worker_;

  std::mutex published_mu_;  // refresh_now may run on the worker and a caller at once
  std::unordered_map<std::string, protocol::Manifest> published_;
};

}  // namespace nguon::app
