// HTTP/1.1 server on Boost.Beast with C++20 coroutines (after Beast's advanced server example).
// Every read has a timeout, every request a body limit; shutdown is two-phase: stop accepting
// and close idle connections, let in-flight requests finish within a grace period, then force.
// Streamed responses and WebSocket connections count as idle: shutdown closes them at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "adapters/http/message.h"

namespace nguon::http {

struct ServerOptions {
  std::string listen = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (see HttpServer::port())
  int threads = 4;
  std::size_t body_limit = 1 << 20;
  // Larger limit for requests whose target `is_upload` accepts (audio uploads); the header is
  // read first, so the limit is chosen before any body byte is buffered.
  std::size_t upload_body_limit = 50 << 20;
  std::function<bool(std::string_view target)> is_upload;
  std::chrono::seconds request_timeout{30};
  // Streamed responses (HttpResponse::stream): a client that takes longer than this to accept
  // one write is dropped.
  std::chrono::seconds stream_write_timeout{20};
  // WebSocket connections: the largest message accepted (larger: closed with 1009).
  std::size_t websocket_message_limit = 64 << 10;
};

// What the server reports for metrics; called from I/O threads, must be thread-safe.
struct ServerObserver {
  std::function<void(int status, double seconds)> on_response;
  std::function<void(const std::string& what)> on_connection_error;
};

class HttpServer {
 public:
  HttpServer(ServerOptions options, Handler handler, ServerObserver observer = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. Returns an error message on failure (empty on success).
  std::string bind();
  // The bound port (after bind()).
  std::uint16_t port() const;
  // Serves on `threads` threads until shutdown completes. REQUIRES: bind() succeeded.
  void run();
  // Thread-safe, idempotent: starts the graceful shutdown; run() returns once in-flight
  // requests are done or `grace` has passed.
  void shutdown(std::chrono::milliseconds grace);
  // True once shutdown() has been called (new requests get 503 + Connection: close).
  bool draining() const;
  // Connections currently open.
  std::size_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nguon::http
