// MQTT 3.1.1 client on libmosquitto, for the device agent, the simulator and the server.
//
// The Client owns one connection and its network thread (running mosquitto_loop_forever): it
// connects asynchronously and reconnects forever with exponential backoff between
// reconnect_min_s and reconnect_max_s — also when the broker is down or its name does not
// resolve at start. Callbacks run on that network thread; never call stop() from one.
// Subscriptions are remembered and re-sent after every (re)connect.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace nguon::mqtt {

// The last will: published by the broker when the connection drops without a DISCONNECT.
struct Will {
  std::string topic;
  std::string payload;
  int qos = 1;
  bool retain = true;
};

struct ClientOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id, username, password;  // empty username: no authentication
  int keepalive_s = 30;
  bool clean_session = true;
  std::optional<Will> will;
  int reconnect_min_s = 1, reconnect_max_s = 30;
};

class Client {
 public:
  using MessageFn =
      std::function<void(std::string_view topic, std::string_view payload, bool retained)>;
  // `connected` false: the connection was lost or refused (reason_code: the CONNACK code or
  // libmosquitto's disconnect reason).
  using ConnectFn = std::function<void(bool connected, int reason_code)>;
  // The broker acknowledged the QoS 1/2 publish `mid` (for QoS 0: it was written).
  using PublishedFn = std::function<void(int mid)>;

  static Result<std::unique_ptr<Client>> create(ClientOptions opts, MessageFn on_message,
                                                ConnectFn on_connect = {},
                                                PublishedFn on_published = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts connecting in the background; errors only when the network thread cannot start.
  // Call once; a stopped Client is not restarted.
  Status start();
  // Disconnects and joins the network thread. Idempotent; the destructor calls it.
  void stop();
  // Remembered and re-sent after every reconnect; sent at once when connected.
  Status subscribe(const std::string& pattern, int qos);
  // Returns the message id (matched by PublishedFn). Errors: "mqtt_publish" with the reason.
  Result<int> publish(const std::string& topic, std::string_view payload, int qos, bool retain);
  bool connected() const;

  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nguon::mqtt
