// Device accounts in Mosquitto's dynamic-security plugin, managed over MQTT through the
// server's BrokerLink (the server's broker account must hold the plugin's admin role, as the
// one made by `mosquitto_ctrl dynsec init`).
//
// Each device gets a client (username = client id = device id, its own password) and a role
// "nguon-dev-<id>" that lets it subscribe to exactly its own manifest, settings and cmd topics
// and its areas' order topics, and publish only its own state and events. With the plugin's
// default ACL access (publish: deny, subscribe: deny), nothing else is allowed.
#pragma once

#include <string>
#include <vector>

#include "adapters/broker/broker_link.h"
#include "core/devices/ports.h"

namespace nguon::broker {

class DynsecAccounts final : public BrokerAccounts {
 public:
  explicit DynsecAccounts(BrokerLink& link) : link_(link) {}

  // Gives the server's own client (`server_username`) a role to publish device messages and
  // receive device reports. Idempotent; the first time, the broker reconnects us (see .cpp).
  Status ensure_server_role(const std::string& server_username);

  Status upsert_device(const std::string& device_id, const std::string& password,
                       const std::vector<std::string>& areas) override;
  Status remove_device(const std::string& device_id) override;

  // The commands of upsert_device, as JSON (exposed for tests of the ACL content).
  static std::string device_commands(const std::string& device_id, const std::string& password,
                                     const std::vector<std::string>& areas);

 private:
  Result<bool> client_has_role(const std::string& username, const std::string& role);
  // Sends {"commands":[…]} and checks every response; errors named in `tolerated` (e.g.
  // "Client not found" when deleting) are not failures.
  Status run(const std::string& commands_json, const std::vector<std::string>& tolerated);
  BrokerLink& link_;
};

}  // namespace nguon::broker
