// A tiny HTTP/1.1 server on a loopback port, in a thread of the test: serves registered bodies
// at their paths, checks an optional Basic authorization, and can be told to cut a response
// short (a half download). One request per connection. Header-only, for the agent's tests.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace nguon::agent::testing {

class TestHttpServer {
 public:
  struct Route {
    std::string body;
    size_t cut_after = std::string::npos;  // send only this many body bytes, then close
  };

  TestHttpServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 64);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~TestHttpServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }

  int port() const { return port_; }
  std::string url(const std::string& path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void set(const std::string& path, Route route) {
    std::lock_guard lock(mu_);
    routes_[path] = std::move(route);
  }
  // Requests must carry "Authorization: Basic <value>" (value already base64).
  void require_basic(std::string value) {
    std::lock_guard lock(mu_);
    basic_ = std::move(value);
  }
  int requests() const { return requests_; }

 private:
  void serve() {
    while (!stop_) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) {
        if (stop_) return;
        continue;
      }
      handle(c);
      ::close(c);
    }
  }

  void handle(int c) {
    std::string req;
    char buf[4096];
    while (req.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) return;
      req.append(buf, static_cast<size_t>(n));
    }
    ++requests_;
    size_t sp1 = req.find(' ');
    size_t sp2 = req.find(' ', sp1 + 1);
    std::string path = req.substr(sp1 + 1, sp2 - sp1 - 1);
    Route route;
    bool found = false;
    bool authorized = true;
    {
      std::lock_guard lock(mu_);
      if (!basic_.empty()) {
        authorized = req.find("Authorization: Basic " + basic_ + "\r\n") != std::string::npos;
      }
      if (auto it = routes_.find(path); it != routes_.end()) {
        route = it->second;
        found = true;
      }
    }
    if (!authorized) return send_all(c, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
    if (!found) return send_all(c, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    std::string head = "HTTP/1.1 200 OK\r\nContent-Type: audio/ogg\r\nContent-Length: " +
                       std::to_string(route.body.size()) + "\r\nConnection: close\r\n\r\n";
    send_all(c, head);
    send_all(c, route.body.substr(0, route.cut_after));
  }

  static void send_all(int c, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(c, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::map<std::string, Route> routes_;
  std::string basic_;
  std::thread thread_;
};

}  // namespace nguon::agent::testing
