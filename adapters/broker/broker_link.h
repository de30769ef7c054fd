// The server's MQTT connection to the broker (docs/protocol.md):
// - publishes signed device messages (the DeviceBus port of core/devices);
// - receives device reports (`nguon/v1/d/+/state`, `…/events`) through the shared subscription
//   `$share/<group>/…`, so several server instances split the device traffic;
// - carries request/response exchanges on Mosquitto's `$CONTROL` API (used by DynsecAccounts).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "adapters/mqtt/client.h"
#include "core/devices/ports.h"
#include "core/result.h"

namespace nguon::broker {

struct LinkOptions {
  mqtt::ClientOptions client;
  std::string shared_group = "nguon";
  // Subscribe to device reports. Off for links that only publish (the admin CLI, tests).
  bool receive_reports = true;
};

class BrokerLink final : public DeviceBus {
 public:
  // Called on the network thread for every device report; must not block for long.
  using ReportFn = std::function<void(std::string_view topic, std::string_view payload)>;

  // Connects in the background; `wait_connected` tells when the broker accepted us.
  static Result<std::unique_ptr<BrokerLink>> start(LinkOptions options, ReportFn on_report);
  ~BrokerLink() override;

  bool wait_connected(std::chrono::milliseconds timeout);
  bool connected() const;

  // QoS 1. Fails with kUnavailable while the broker is unreachable: the caller decides whether
  // to retry (retained desired state is re-published when the link comes back, see
  // set_on_reconnect).
  Status publish(const std::string& topic, std::string_view payload, bool retain) override;

  // Runs after every (re)connection, on the network thread (e.g. to re-publish manifests).
  void set_on_reconnect(std::function<void()> fn);

  // Sends `request` to `$CONTROL/<api>` and waits for the one response on
  // `$CONTROL/<api>/response`. Requests are serialised (one in flight).
  Result<std::string> control(const std::string& api, const std::string& request,
                              std::chrono::milliseconds timeout);

 private:
  BrokerLink() = default;
  void on_message(std::string_view topic, std::string_view payload);
  void on_connect(bool connected);

  LinkOptions options_;
  ReportFn on_report_;
  std::unique_ptr<mqtt::Client> client_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool connected_ = false;
  std::function<void()> on_reconnect_;

  std::mutex control_mu_;                     // one control request in flight
  std::set<std::string> control_subscribed_;  // response topics subscribed so far
  std::string control_topic_;                 // response topic awaited; empty when none
  std::optional<std::string> control_response_;
};

}  // namespace nguon::broker
