#include "tests/support/mosquitto_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace nguon::testing {
namespace fs = std::filesystem;
namespace {

std::string random_token() {
  std::random_device rd;
  std::string s;
  constexpr std::string_view kAlphabet = "abcdefghijkmnpqrstuvwxyz23456789";
  for (int i = 0; i < 24; ++i) s += kAlphabet[rd() % kAlphabet.size()];
  return s;
}

pid_t spawn(std::vector<std::string> argv, const std::string& log_path) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (log_fd >= 0) {
      ::dup2(log_fd, STDOUT_FILENO);
      ::dup2(log_fd, STDERR_FILENO);
    }
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  if (log_fd >= 0) ::close(log_fd);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool accepts_connections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string current_user() {
  const passwd* pw = ::getpwuid(::geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

}  // namespace

std::string mosquitto_dynsec_plugin() {
  for (const char* dir : {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                          "/usr/lib/arm-linux-gnueabihf", "/usr/lib", "/usr/local/lib"}) {
    const std::string path = std::string(dir) + "/mosquitto_dynamic_security.so";
    if (fs::exists(path)) return path;
  }
  return "";
}

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

MosquittoServer::MosquittoServer(bool dynsec) {
  std::string tmpl = (fs::temp_directory_path() / "nguon-mqtt-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  port_ = free_loopback_port();
  std::ofstream conf(dir_ + "/mosquitto.conf");
  conf << "listener " << port_ << " 127.0.0.1\n"
       << "user " << current_user() << "\n"
       << "persistence true\npersistence_location " << dir_ << "/\n"
       << "autosave_interval 1\n"
       << "max_queued_messages 100000\n"
       << "log_dest stderr\nlog_type error\nlog_type warning\n";
  if (dynsec) {
    const std::string plugin = mosquitto_dynsec_plugin();
    if (plugin.empty()) throw std::runtime_error("mosquitto_dynamic_security.so not found");
    admin_password_ = random_token();
    const int rc = wait_exit(spawn(
        {"mosquitto_ctrl", "dynsec", "init", dir_ + "/dynsec.json", admin_user_, admin_password_},
        dir_ + "/ctrl.log"));
    if (rc != 0) {
      throw std::runtime_error("mosquitto_ctrl dynsec init failed: " +
                               read_all(dir_ + "/ctrl.log"));
    }
    conf << "allow_anonymous false\nplugin " << plugin << "\nplugin_opt_config_file " << dir_
         << "/dynsec.json\n";
  } else {
    conf << "allow_anonymous true\n";
  }
  conf.close();
  start();
}

MosquittoServer::~MosquittoServer() {
  stop();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void MosquittoServer::start() {
  if (pid_ > 0) return;
  pid_ = spawn({"mosquitto", "-c", dir_ + "/mosquitto.conf"}, dir_ + "/broker.log");
  if (pid_ < 0) throw std::runtime_error("cannot start mosquitto");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!accepts_connections(port_)) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("mosquitto exited: " + read_all(dir_ + "/broker.log"));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      throw std::runtime_error("mosquitto did not listen: " + read_all(dir_ + "/broker.log"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void MosquittoServer::stop() noexcept {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 250; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  wait_exit(pid_);
  pid_ = -1;
}

}  // namespace nguon::testing
