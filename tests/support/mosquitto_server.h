// A throwaway Mosquitto broker for tests: a temporary directory with a config, started on a
// free loopback port, stopped (SIGTERM, then SIGKILL) and deleted on destruction.
//
// With `dynsec` (the default) the broker runs Mosquitto's dynamic-security plugin, initialised
// by `mosquitto_ctrl dynsec init` with an admin account (admin_user()/admin_password()), and
// anonymous clients are refused: the configuration Nguồn runs in production. Without it,
// anonymous clients may do anything (for tests of the MQTT client alone).
// Persistence is on, so stop() + start() keeps retained messages and sessions, like a real
// broker restart.
#pragma once

#include <sys/types.h>

#include <string>

namespace nguon::testing {

class MosquittoServer {
 public:
  explicit MosquittoServer(bool dynsec = true);  // throws std::runtime_error when it cannot
  ~MosquittoServer();
  MosquittoServer(const MosquittoServer&) = delete;
  MosquittoServer& operator=(const MosquittoServer&) = delete;

  int port() const { return port_; }
  const std::string& admin_user() const { return admin_user_; }
  const std::string& admin_password() const { return admin_password_; }
  const std::string& dir() const { return dir_; }

  // Stops the broker (SIGTERM, waits for exit) and starts it again on the same port.
  void stop() noexcept;
  void start();
  bool running() const { return pid_ > 0; }

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::string admin_user_ = "nguon-admin";
  std::string admin_password_;
};

// The plugin file of this machine's Mosquitto ("" when not installed).
std::string mosquitto_dynsec_plugin();
// A loopback TCP port that was free a moment ago.
int free_loopback_port();

}  // namespace nguon::testing
