// Plain HTTP request/response values. Handlers are functions from HttpRequest to HttpResponse,
// testable without sockets; only adapters/http/server.cpp knows Beast.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nguon::http {

struct HttpRequest {
  std::string method;  // "GET", "POST"…
  std::string target;  // raw request-target, e.g. "/api/v1/units?q=hoa"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_ip;

  // First header named `name` (lower case), if any.
  std::optional<std::string_view> header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return std::string_view(v);
    }
    return std::nullopt;
  }
};

// A response body produced over time (a live audio mount): the server sends the header with
// `Connection: close` and no length, then whatever `read` yields until it returns false.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Non-blocking, called on the connection's I/O thread: appends the bytes available now to
  // `out` (possibly none); returns false once the stream has ended and `out` holds its last
  // bytes.
  virtual bool read(std::string& out) = 0;
  // Called once, before the first read: `wake` may then be called from any thread, any number of
  // times, when bytes arrive or the stream ends. It must not be called after close().
  virtual void set_waker(std::function<void()> wake) = 0;
  // The connection is gone (client left, write timeout, server shutdown); called once.
  virtual void close() = 0;
};

// One accepted WebSocket connection's handler (a live microphone feed).
class WebSocketSession {
 public:
  virtual ~WebSocketSession() = default;
  // Called once after the handshake: `close` ends the connection from any thread with a close
  // code (RFC 6455: 1000 normal, 1008 policy) and reason; no effect once it is closed.
  virtual void opened(std::function<void(int code, std::string reason)> close) = 0;
  // One complete message. Returning false closes the connection with code 1008 and `refusal`.
  virtual bool on_message(bool binary, std::string_view data, std::string& refusal) = 0;
  // The connection is closed, called exactly once: `code` is the peer's close code (1000 normal,
  // 1001 going away…), 1008 when on_message refused, 1006 when it ended without a close frame
  // (network error, handshake failure, server shutdown).
  virtual void closed(int code) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  // ask the server to close the connection after sending
  // Set: the body is streamed from here (`body` is ignored).
  std::shared_ptr<BodyStream> stream;
  // Set on a response to a WebSocket upgrade request: the server completes the handshake and
  // hands the connection's messages to this session (status and body are ignored). Set on any
  // other request: answered 426 Upgrade Required.
  std::shared_ptr<WebSocketSession> websocket;
};

// True when `r` asks to become a WebSocket (GET with Upgrade: websocket).
inline bool is_websocket_upgrade(const HttpRequest& r) {
  auto up = r.header("upgrade");
  if (r.method != "GET" || !up || up->size() != 9) return false;
  for (std::size_t i = 0; i < 9; ++i) {
    char c = (*up)[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != "websocket"[i]) return false;
  }
  return true;
}

using Handler = std::function<HttpResponse(const HttpRequest&)>;

}  // namespace nguon::http
