#include "adapters/http/server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>
#include <boost/beast/websocket.hpp>
#include <cctype>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace nguon::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace bws = beast::websocket;
using tcp = asio::ip::tcp;

constexpr std::size_t kHeaderLimit = 16 * 1024;

std::string error_json(std::string_view code, std::string_view message) {
  return std::string(R"({"error":{"code":")") + std::string(code) + R"(","message":")" +
         std::string(message) + "\"}}";
}

// One accepted connection; `busy` is true from the first byte of a request to its last byte
// written, so shutdown knows which connections it may close at once.
// `wake` is what a streamed response waits on between chunks (cancelled to wake it up).
// `ended`, when set, runs once when the connection is done with a long-lived response (a
// streamed body, a WebSocket): at its normal end, or, when shutdown destroys a suspended
// coroutine, from the destructor.
struct Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  ~Connection() { finish(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  void finish() {
    if (auto f = std::exchange(ended, nullptr)) f();
  }
  beast::tcp_stream stream;
  asio::steady_timer wake{stream.get_executor()};
  std::atomic<bool> busy{false};
  std::function<void()> ended;
};

std::string stream_head(const HttpResponse& r, unsigned version) {
  std::string head = version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head += std::to_string(r.status) + " " +
          std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(r.status))) + "\r\n";
  head += "Server: nguon\r\n";
  if (!r.content_type.empty()) head += "Content-Type: " + r.content_type + "\r\n";
  for (const auto& [k, v] : r.headers) head += k + ": " + v + "\r\n";
  return head + "Connection: close\r\n\r\n";
}

HttpRequest to_request(const bhttp::request<bhttp::string_body>& req, const std::string& ip) {
  HttpRequest out;
  out.method = std::string(req.method_string());
  out.target = std::string(req.target());
  out.body = req.body();
  out.remote_ip = ip;
  for (const auto& field : req) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  return out;
}

bhttp::response<bhttp::string_body> to_beast(HttpResponse&& r, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
  res.set(bhttp::field::server, "nguon");
  if (!r.content_type.empty()) res.set(bhttp::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers) res.insert(k, v);
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive && !r.close);
  res.prepare_payload();
  return res;
}

}  // namespace

struct HttpServer::Impl {
  Impl(ServerOptions o, Handler h, ServerObserver obs)
      : options(std::move(o)),
        handler(std::move(h)),
        observer(std::move(obs)),
        ioc(std::max(1, options.threads)),
        acceptor(asio::make_strand(ioc)),
        drain_timer(acceptor.get_executor()) {}

  ServerOptions options;
  Handler handler;
  ServerObserver observer;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::steady_timer drain_timer;
  std::atomic<bool> draining{false};
  mutable std::mutex mu;
  std::set<std::shared_ptr<Connection>> connections;

  void respond_error(HttpResponse& r, int status, std::string_view code, std::string_view msg) {
    r.status = status;
    r.body = error_json(code, msg);
    r.close = true;
  }

  asio::awaitable<void> serve(std::shared_ptr<Connection> conn) {
    beast::flat_buffer buffer;
    std::string ip;
    beast::error_code ec;
    auto endpoint = conn->stream.socket().remote_endpoint(ec);
    if (!ec) ip = endpoint.address().to_string();

    // A response that keeps the connection (WebSocket, streamed body): served after the loop.
    HttpResponse long_lived;
    bhttp::request<bhttp::string_body> upgrade;
    unsigned long_lived_version = 11;
    for (;;) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(kHeaderLimit);
      // Beast checks Content-Length against the limit while parsing the header, before the
      // target is known: start with the larger limit, then narrow it for non-upload targets.
      const std::size_t largest = std::max(options.body_limit, options.upload_body_limit);
      parser.body_limit(largest);
      conn->stream.expires_after(options.request_timeout);
      co_await bhttp::async_read_header(conn->stream, buffer, parser,
                                        asio::redirect_error(asio::use_awaitable, ec));
      std::size_t limit = options.body_limit;
      if (!ec) {
        if (options.is_upload && options.is_upload(parser.get().target())) {
          limit = options.upload_body_limit;
        }
        const auto declared = parser.content_length();
        if (declared && *declared > limit) {
          ec = bhttp::error::body_limit;
        } else {
          parser.body_limit(limit);  // also bounds chunked bodies
          co_await bhttp::async_read(conn->stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
        }
      }
      conn->busy = true;
      const auto started = std::chrono::steady_clock::now();
      HttpResponse response;
      unsigned version = 11;
      bool keep_alive = false;
      if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
          ec == beast::error::timeout || ec == asio::error::eof ||
          ec == asio::error::connection_reset) {
        break;  // peer closed, idle timeout, or shutdown closed an idle connection
      }
      if (ec == bhttp::error::body_limit) {
        if (options.is_upload && parser.is_header_done() &&
            options.is_upload(parser.get().target())) {
          limit = options.upload_body_limit;  // the header said more than even uploads allow
        }
        respond_error(response, 413, "body_too_large",
                      "request body exceeds " + std::to_string(limit) + " bytes");
      } else if (ec == bhttp::error::header_limit) {
        respond_error(response, 431, "headers_too_large", "request headers are too large");
      } else if (ec) {
        if (buffer.size() == 0 && !parser.got_some()) break;
        respond_error(response, 400, "bad_request", "malformed HTTP request");
      } else if (draining) {
        respond_error(response, 503, "shutting_down", "server is shutting down");
        version = parser.get().version();
      } else {
        auto& req = parser.get();
        version = req.version();
        keep_alive = req.keep_alive();
        try {
          response = handler(to_request(req, ip));
        } catch (const std::exception& e) {
          respond_error(response, 500, "internal", "internal error");
          if (observer.on_connection_error) observer.on_connection_error(e.what());
        }
      }
      if (response.websocket && bws::is_upgrade(parser.get())) {
        if (observer.on_response) observer.on_response(101, 0);
        upgrade = parser.release();
        long_lived = std::move(response);
        break;
      }
      if (response.websocket) {
        response = HttpResponse{};
        respond_error(response, 426, "upgrade_required", "this address is a WebSocket endpoint");
      }
      if (response.stream) {
        if (observer.on_response) observer.on_response(response.status, 0);
        long_lived = std::move(response);
        long_lived_version = version;
        break;
      }
      const int status = response.status;
      auto res = to_beast(std::move(response), version, keep_alive && !draining);
      const bool close = !res.keep_alive();
      conn->stream.expires_after(options.request_timeout);
      co_await bhttp::async_write(conn->stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (observer.on_response) {
        observer.on_response(
            status,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      }
      conn->busy = false;
      if (ec || close) break;
    }
    // A long-lived response continues in a coroutine of its own, which ends the connection.
    auto ex = conn->stream.get_executor();
    if (long_lived.websocket) {
      asio::co_spawn(ex, serve_websocket(conn, std::move(upgrade), std::move(long_lived.websocket)),
                     asio::detached);
    } else if (long_lived.stream) {
      asio::co_spawn(ex, serve_stream(conn, long_lived_version, std::move(long_lived)),
                     asio::detached);
    } else {
      end_connection(conn);
    }
  }

  void end_connection(const std::shared_ptr<Connection>& conn) {
    conn->finish();
    beast::error_code ec;
    conn->stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    conn->stream.close();
    std::lock_guard lock(mu);
    connections.erase(conn);
  }

  // Writes the header, then the stream's bytes as they come, until it ends, the client goes, a
  // write times out or the server shuts down.
  asio::awaitable<void> serve_stream(std::shared_ptr<Connection> conn, unsigned version,
                                     HttpResponse response) {
    const std::shared_ptr<BodyStream> body = response.stream;
    conn->ended = [body] { body->close(); };
    std::weak_ptr<Connection> weak = conn;
    body->set_waker([weak, ex = conn->stream.get_executor()] {
      asio::post(ex, [weak] {
        if (auto c = weak.lock()) c->wake.cancel();
      });
    });
    beast::error_code ec;
    std::string chunk = stream_head(response, version);
    conn->stream.expires_after(options.stream_write_timeout);
    co_await asio::async_write(conn->stream, asio::buffer(chunk),
                               asio::redirect_error(asio::use_awaitable, ec));
    conn->busy = false;  // from now on shutdown closes it like an idle connection
    bool more = true;
    while (!ec && more && !draining) {
      chunk.clear();
      more = body->read(chunk);
      if (!chunk.empty()) {
        conn->stream.expires_after(options.stream_write_timeout);
        co_await asio::async_write(conn->stream, asio::buffer(chunk),
                                   asio::redirect_error(asio::use_awaitable, ec));
      } else if (more) {
        // Woken by the stream (cancel), by shutdown, or every few seconds to look again.
        conn->wake.expires_after(std::chrono::seconds(5));
        co_await conn->wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        ec = {};
        if (!conn->stream.socket().is_open()) break;
      }
    }
    end_connection(conn);
  }

  // Completes the handshake, then hands every message to `session` until either side closes.
  asio::awaitable<void> serve_websocket(std::shared_ptr<Connection> conn,
                                        bhttp::request<bhttp::string_body> req,
                                        std::shared_ptr<WebSocketSession> session) {
    beast::error_code ec;
    conn->stream.expires_never();  // the WebSocket stream keeps its own timeouts
    auto socket = std::make_shared<bws::stream<beast::tcp_stream&>>(conn->stream);
    socket->set_option(bws::stream_base::timeout::suggested(beast::role_type::server));
    socket->set_option(bws::stream_base::decorator(
        [](bws::response_type& res) { res.set(bhttp::field::server, "nguon"); }));
    socket->read_message_max(options.websocket_message_limit);
    auto close_code = std::make_shared<int>(1006);
    conn->ended = [session, close_code] { session->closed(*close_code); };
    co_await socket->async_accept(req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      end_connection(conn);
      co_return;
    }
    conn->busy = false;  // shutdown closes it like an idle connection
    std::weak_ptr<bws::stream<beast::tcp_stream&>> weak_socket = socket;
    std::weak_ptr<Connection> weak_conn = conn;
    session->opened([weak_socket, weak_conn, ex = conn->stream.get_executor()](int code,
                                                                               std::string why) {
      asio::post(ex, [weak_socket, weak_conn, code, why = std::move(why)] {
        auto s = weak_socket.lock();
        auto c = weak_conn.lock();
        if (!s || !c || !s->is_open()) return;
        s->async_close(bws::close_reason(static_cast<bws::close_code>(code), why.substr(0, 120)),
                       [s, c](beast::error_code) {});
      });
    });
    beast::flat_buffer buffer;
    for (;;) {
      buffer.clear();
      co_await socket->async_read(buffer, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        // A close frame received counts even when the connection then ended untidily (a
        // client that sent it and hung up without waiting for the server's answer).
        if (socket->reason().code != bws::close_code::none) *close_code = socket->reason().code;
        break;
      }
      const auto bytes = buffer.data();
      const std::string_view message(static_cast<const char*>(bytes.data()), bytes.size());
      std::string refusal;
      if (!session->on_message(socket->got_binary(), message, refusal)) {
        *close_code = bws::close_code::policy_error;
        co_await socket->async_close(
            bws::close_reason(bws::close_code::policy_error, refusal.substr(0, 120)),
            asio::redirect_error(asio::use_awaitable, ec));
        break;
      }
    }
    end_connection(conn);
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(
          asio::make_strand(ioc), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (!acceptor.is_open() || draining) co_return;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      auto conn = std::make_shared<Connection>(std::move(socket));
      {
        std::lock_guard lock(mu);
        connections.insert(conn);
      }
      auto ex = conn->stream.get_executor();
      asio::co_spawn(ex, serve(std::move(conn)), asio::detached);
    }
  }

  // Stops accepting, closes idle connections, waits for busy ones up to `grace`, then stops.
  asio::awaitable<void> drain(std::chrono::milliseconds grace) {
    beast::error_code ec;
    acceptor.close(ec);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    for (;;) {
      close_idle();
      {
        std::lock_guard lock(mu);
        if (connections.empty()) break;
      }
      if (std::chrono::steady_clock::now() >= deadline) break;
      drain_timer.expires_after(std::chrono::milliseconds(50));
      co_await drain_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    ioc.stop();
  }

  void close_idle() {
    std::lock_guard lock(mu);
    for (const auto& c : connections) {
      if (c->busy) continue;
      asio::post(c->stream.get_executor(), [c] {
        if (c->busy) return;
        c->stream.socket().close();
        c->wake.cancel();  // a streamed response waiting for its next bytes
      });
    }
  }
};

HttpServer::HttpServer(ServerOptions options, Handler handler, ServerObserver observer)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(observer))) {}

HttpServer::~HttpServer() = default;

std::string HttpServer::bind() {
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->options.listen, ec);
  if (ec) return "server.listen: not an IP address: " + impl_->options.listen;
  tcp::endpoint ep(address, impl_->options.port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return "cannot listen on " + impl_->options.listen + ":" + std::to_string(impl_->options.port) +
           ": " + ec.message();
  }
  return {};
}

std::uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::run() {
  asio::co_spawn(impl_->acceptor.get_executor(), impl_->accept_loop(), asio::detached);
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->options.threads; ++i) {
    threads.emplace_back([this] { impl_->ioc.run(); });
  }
  impl_->ioc.run();
  for (auto& t : threads) t.join();
}

void HttpServer::shutdown(std::chrono::milliseconds grace) {
  if (impl_->draining.exchange(true)) return;
  asio::co_spawn(impl_->acceptor.get_executor(), impl_->drain(grace), asio::detached);
}

bool HttpServer::draining() const { return impl_->draining; }

std::size_t HttpServer::open_connections() const {
  std::lock_guard lock(impl_->mu);
  return impl_->connections.size();
}

}  // namespace nguon::http
