// Builds the live-broadcast capability of a server (issue 6): the live desk over the broadcast
// capability's DeviceService, and the thread that applies its timeouts every second.
#pragma once

#include <memory>

#include "app/config.h"
#include "app/periodic_worker.h"
#include "core/devices/device_service.h"
#include "core/live/live_desk.h"

namespace nguon::app {

class LiveStack {
 public:
  LiveStack(const Config& cfg, Store& store, Clock& clock, Crypto& crypto, DeviceService& devices);
  ~LiveStack();
  live::LiveDesk& desk() { return desk_; }
  void start() { ticker_.start(); }
  // Stops the ticker and ends every session (devices are told to stop). Call once the HTTP
  // server has stopped serving, before it is destroyed.
  void stop();

 private:
  live::LiveDesk desk_;
  PeriodicWorker ticker_;  // declared last: stops first
};

}  // namespace nguon::app
