// Many MQTT connections on ONE thread (the simulator runs 10,000 virtual devices in a process;
// a network thread per connection would not fit). Each connection is a non-threaded libmosquitto
// handle whose socket is watched with epoll; reads, writes, keepalives and reconnects (with
// exponential backoff) all happen inside run_once(), and so do the callbacks.
//
// Not thread-safe: create connections, publish, subscribe and run_once() from one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/mqtt/client.h"
#include "core/result.h"

struct mosquitto;

namespace nguon::mqtt {

class Poller {
 public:
  class Connection;

  struct Options {
    // New connection attempts per second, so thousands of devices do not overflow the
    // broker's listen backlog at start (and after a broker restart).
    int connects_per_second = 2000;
  };

  static Result<std::unique_ptr<Poller>> create(Options options);
  static Result<std::unique_ptr<Poller>> create() { return create(Options{}); }
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // A new connection, connected asynchronously by run_once(). The Poller owns it; the pointer
  // stays valid until the Poller dies.
  Result<Connection*> add(ClientOptions opts, Client::MessageFn on_message,
                          Client::ConnectFn on_connect = {}, Client::PublishedFn on_published = {});
  // Waits up to `timeout_ms` for network activity and processes it; runs due keepalives and
  // reconnects. Callbacks run inside. Returns the number of sockets that had activity.
  int run_once(int timeout_ms);
  // Sends DISCONNECT on every connection and stops reconnecting.
  void disconnect_all();

  size_t size() const { return connections_.size(); }
  size_t connected_count() const { return connected_; }

 private:
  Poller(int epoll_fd, Options options);
  void start_due_connects();
  void service(Connection& c, std::uint32_t events);
  void sync(Connection& c);
  void schedule_reconnect(Connection& c);
  void run_keepalives();

  int epoll_fd_;
  Options options_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::deque<Connection*> connect_queue_;  // waiting for their (re)connect attempt
  size_t connected_ = 0;
  std::chrono::steady_clock::time_point connect_window_start_;
  int connects_in_window_ = 0;
  std::chrono::steady_clock::time_point last_misc_;
  bool stopping_ = false;

  friend class Connection;
};

class Poller::Connection {
 public:
  ~Connection();
  // Remembered and re-sent after every reconnect.
  Status subscribe(const std::string& pattern, int qos);
  Result<int> publish(const std::string& topic, std::string_view payload, int qos, bool retain);
  bool connected() const { return connected_; }

 private:
  friend class Poller;
  Connection() = default;
  static void handle_connect(mosquitto*, void* userdata, int rc);
  static void handle_disconnect(mosquitto*, void* userdata, int rc);

  Poller* poller_ = nullptr;
  mosquitto* mosq_ = nullptr;
  ClientOptions opts_;
  Client::MessageFn on_message_;
  Client::ConnectFn on_connect_;
  Client::PublishedFn on_published_;
  std::vector<std::pair<std::string, int>> subscriptions_;
  int fd_ = -1;              // socket registered with epoll, -1 when none
  bool want_write_ = false;  // EPOLLOUT registered
  bool connected_ = false;
  bool queued_ = false;        // in the connect queue
  bool ever_started_ = false;  // first attempt uses connect, later ones reconnect
  int backoff_s_ = 0;
  std::chrono::steady_clock::time_point not_before_;
};

}  // namespace nguon::mqtt
