#include "adapters/broker/dynsec_accounts.h"

#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "core/protocol.h"

namespace nguon::broker {
namespace json = boost::json;
namespace {

constexpr std::string_view kApi = "dynamic-security/v1";
constexpr auto kTimeout = std::chrono::seconds(10);
const std::string kServerRole = "nguon-server";

std::string role_of(const std::string& device_id) { return "nguon-dev-" + device_id; }

json::object acl(std::string_view type, const std::string& topic) {
  return {{"acltype", type}, {"topic", topic}, {"allow", true}, {"priority", 0}};
}

json::array device_acls(const std::string& id, const std::vector<std::string>& areas) {
  using protocol::DeviceLeaf;
  json::array acls;
  for (auto leaf : {DeviceLeaf::kManifest, DeviceLeaf::kSettings, DeviceLeaf::kCmd}) {
    const std::string topic = protocol::device_topic(id, leaf);
    acls.push_back(acl("subscribeLiteral", topic));
    acls.push_back(acl("publishClientReceive", topic));
  }
  for (const auto& area : areas) {
    const std::string topic = protocol::area_topic(area);
    acls.push_back(acl("subscribeLiteral", topic));
    acls.push_back(acl("publishClientReceive", topic));
  }
  for (auto leaf : {DeviceLeaf::kState, DeviceLeaf::kEvents}) {
    acls.push_back(acl("publishClientSend", protocol::device_topic(id, leaf)));
  }
  return acls;
}

const std::vector<std::string> kMissingIsFine = {"Client not found", "Role not found"};

}  // namespace

std::string DynsecAccounts::device_commands(const std::string& device_id,
                                            const std::string& password,
                                            const std::vector<std::string>& areas) {
  json::array commands;
  commands.push_back(json::object{{"command", "deleteClient"}, {"username", device_id}});
  commands.push_back(json::object{{"command", "deleteRole"}, {"rolename", role_of(device_id)}});
  commands.push_back(json::object{{"command", "createRole"},
                                  {"rolename", role_of(device_id)},
                                  {"acls", device_acls(device_id, areas)}});
  commands.push_back(
      json::object{{"command", "createClient"},
                   {"username", device_id},
                   {"password", password},
                   {"clientid", device_id},
                   {"roles", json::array{json::object{{"rolename", role_of(device_id)}}}}});
  return json::serialize(json::object{{"commands", std::move(commands)}});
}

Status DynsecAccounts::run(const std::string& commands_json,
                           const std::vector<std::string>& tolerated) {
  NGUON_TRY_ASSIGN(auto text, link_.control(std::string(kApi), commands_json, kTimeout));
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  const json::object* root = ec ? nullptr : v.if_object();
  const json::value* responses = root ? root->if_contains("responses") : nullptr;
  if (responses == nullptr || !responses->is_array()) {
    return internal("dynamic-security: unreadable response: " + text.substr(0, 200));
  }
  for (const auto& r : responses->as_array()) {
    const json::object* o = r.if_object();
    const json::value* err = o ? o->if_contains("error") : nullptr;
    if (err == nullptr || !err->is_string()) continue;
    const std::string message(err->as_string());
    if (std::find(tolerated.begin(), tolerated.end(), message) != tolerated.end()) continue;
    const json::value* cmd = o->if_contains("command");
    return internal("dynamic-security " +
                    (cmd && cmd->is_string() ? std::string(cmd->as_string()) : "command") + ": " +
                    message);
  }
  return {};
}

Result<bool> DynsecAccounts::client_has_role(const std::string& username, const std::string& role) {
  const std::string request = json::serialize(json::object{
      {"commands", json::array{json::object{{"command", "getClient"}, {"username", username}}}}});
  NGUON_TRY_ASSIGN(auto text, link_.control(std::string(kApi), request, kTimeout));
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return internal("dynamic-security getClient: unreadable response");
  const json::value* roles = nullptr;
  if (const auto* responses = v.as_object().if_contains("responses");
      responses && responses->is_array() && !responses->as_array().empty()) {
    const json::value& r = responses->as_array()[0];
    if (const auto* data = r.as_object().if_contains("data"); data && data->is_object()) {
      if (const auto* client = data->as_object().if_contains("client");
          client && client->is_object()) {
        roles = client->as_object().if_contains("roles");
      }
    }
  }
  if (roles == nullptr || !roles->is_array()) {
    return internal("dynamic-security: no client " + username);
  }
  for (const auto& r : roles->as_array()) {
    const auto* name = r.is_object() ? r.as_object().if_contains("rolename") : nullptr;
    if (name && name->is_string() && name->as_string() == role) return true;
  }
  return false;
}

Status DynsecAccounts::ensure_server_role(const std::string& server_username) {
  NGUON_TRY_ASSIGN(bool present, client_has_role(server_username, kServerRole));
  if (present) return {};
  json::array acls{acl("publishClientSend", "nguon/v1/#"), acl("subscribePattern", "nguon/v1/#"),
                   acl("publishClientReceive", "nguon/v1/#")};
  json::array commands;
  commands.push_back(
      json::object{{"command", "createRole"}, {"rolename", kServerRole}, {"acls", acls}});
  commands.push_back(json::object{
      {"command", "addClientRole"}, {"username", server_username}, {"rolename", kServerRole}});
  // Changing our own roles makes the broker disconnect us (so the new ACL applies), which may
  // swallow the answer: send, then check the outcome once the link has reconnected.
  (void)link_.control(std::string(kApi),
                      json::serialize(json::object{{"commands", std::move(commands)}}),
                      std::chrono::seconds(2));
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (link_.wait_connected(std::chrono::seconds(1))) {
      auto has = client_has_role(server_username, kServerRole);
      if (has && *has) return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Error{ErrorKind::kUnavailable, "broker_unavailable",
               "could not give " + server_username + " the role " + kServerRole};
}

Status DynsecAccounts::upsert_device(const std::string& device_id, const std::string& password,
                                     const std::vector<std::string>& areas) {
  return run(device_commands(device_id, password, areas), kMissingIsFine);
}

Status DynsecAccounts::remove_device(const std::string& device_id) {
  json::array commands;
  commands.push_back(json::object{{"command", "deleteClient"}, {"username", device_id}});
  commands.push_back(json::object{{"command", "deleteRole"}, {"rolename", role_of(device_id)}});
  return run(json::serialize(json::object{{"commands", std::move(commands)}}), kMissingIsFine);
}

}  // namespace nguon::broker
