// Ports of the broadcast capability: how the core reaches devices (the MQTT broker) and the
// broker's account registry. The composition root implements them (MQTT client, Mosquitto's
// dynamic-security plugin); tests use recording fakes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace nguon {

// Thread-safe. Publishes to devices with QoS 1.
class DeviceBus {
 public:
  virtual ~DeviceBus() = default;
  // `retain`: the broker keeps the payload as the topic's last value (manifest, settings).
  // Errors: unavailable when the broker cannot be reached or does not acknowledge.
  virtual Status publish(const std::string& topic, std::string_view payload, bool retain) = 0;
};

// Thread-safe. The broker's per-device credentials and ACL.
class BrokerAccounts {
 public:
  virtual ~BrokerAccounts() = default;
  // Creates or replaces the device's broker client: username = device id, this password, and
  // an ACL that lets it read its own topics and the order topics of `areas`, and publish only
  // its own state and events.
  virtual Status upsert_device(const std::string& device_id, const std::string& password,
                               const std::vector<std::string>& areas) = 0;
  // Deletes the device's broker client (and so ends its sessions). Absent is not an error.
  virtual Status remove_device(const std::string& device_id) = 0;
};

}  // namespace nguon
