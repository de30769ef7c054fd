// The HTTP adapter's long-lived connections over real sockets: streamed bodies (live mounts,
// server-sent events) and WebSocket endpoints (the live microphone): delivery as bytes arrive,
// the end of a stream, a client too slow to read, refusals and closes from either side, the
// message size limit, and a shutdown that does not wait for them.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <mutex>
#include <thread>

#include "adapters/http/server.h"
#include "tests/support/live.h"

namespace nguon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bws = beast::websocket;
using namespace std::chrono_literals;

// A body the test feeds by hand.
class HandFedBody final : public http::BodyStream {
 public:
  bool read(std::string& out) override {
    std::lock_guard lock(mu);
    out += pending;
    pending.clear();
    return !ended;
  }
  void set_waker(std::function<void()> w) override {
    std::lock_guard lock(mu);
    wake = std::move(w);
  }
  void close() override {
    std::lock_guard lock(mu);
    closed = true;
    wake = nullptr;
  }
  void feed(const std::string& bytes, bool end = false) {
    std::lock_guard lock(mu);
    pending += bytes;
    ended = ended || end;
    if (wake) wake();
  }
  bool is_closed() {
    std::lock_guard lock(mu);
    return closed;
  }

  std::mutex mu;
  std::string pending;
  bool ended = false;
  bool closed = false;
  std::function<void()> wake;
};

// Records messages, refuses "bad", and can close itself.
class RecordingSocket final : public http::WebSocketSession {
 public:
  void opened(std::function<void(int, std::string)> c) override {
    std::lock_guard lock(mu);
    close = std::move(c);
  }
  bool on_message(bool binary, std::string_view data, std::string& refusal) override {
    std::lock_guard lock(mu);
    if (data == "bad") {
      refusal = "no bad words";
      return false;
    }
    messages.emplace_back((binary ? "b:" : "t:") + std::string(data));
    return true;
  }
  void closed(int code) override { closed_with = code; }

  std::mutex mu;
  std::vector<std::string> messages;
  std::function<void(int, std::string)> close;
  std::atomic<int> closed_with{0};
};

class Streaming : public ::testing::Test {
 protected:
  void SetUp() override {
    http::ServerOptions o;
    o.port = 0;
    o.threads = 2;
    o.stream_write_timeout = 1s;
    o.websocket_message_limit = 1024;
    server_ = std::make_unique<http::HttpServer>(o, [this](const http::HttpRequest& r) {
      http::HttpResponse res;
      if (r.target == "/stream") {
        res.content_type = "audio/ogg";
        res.headers = {{"icy-name", "test"}};
        res.stream = body_;
      } else if (r.target == "/ws") {
        res.websocket = socket_;
      }
      return res;
    });
    ASSERT_EQ(server_->bind(), "");
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->shutdown(1s);
    thread_.join();
  }
  bool eventually(const std::function<bool()>& pred) {
    for (int i = 0; i < 100 && !pred(); ++i) std::this_thread::sleep_for(20ms);
    return pred();
  }
  // A raw client socket with `request` sent.
  asio::ip::tcp::socket client(const std::string& request) {
    asio::ip::tcp::socket s(ioc_);
    s.connect({asio::ip::make_address("127.0.0.1"), server_->port()});
    asio::write(s, asio::buffer(request));
    return s;
  }
  // Reads until `needle` has arrived (or 2 s pass); everything read.
  static std::string read_until_has(asio::ip::tcp::socket& s, const std::string& needle) {
    std::string got;
    char buf[4096];
    s.non_blocking(true);
    const auto end = std::chrono::steady_clock::now() + 2s;
    while (got.find(needle) == std::string::npos && std::chrono::steady_clock::now() < end) {
      beast::error_code ec;
      const std::size_t n = s.read_some(asio::buffer(buf), ec);
      if (ec == asio::error::would_block) {
        std::this_thread::sleep_for(5ms);
        continue;
      }
      if (ec) break;
      got.append(buf, n);
    }
    return got;
  }

  asio::io_context ioc_;
  std::shared_ptr<HandFedBody> body_ = std::make_shared<HandFedBody>();
  std::shared_ptr<RecordingSocket> socket_ = std::make_shared<RecordingSocket>();
  std::unique_ptr<http::HttpServer> server_;
  std::thread thread_;
};

TEST_F(Streaming, AStreamedBodyArrivesAsItIsFedAndEndsWithTheConnection) {
  auto s = client("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  body_->feed("OggS-one");
  std::string got = read_until_has(s, "OggS-one");
  EXPECT_NE(got.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Content-Type: audio/ogg\r\n"), std::string::npos);
  EXPECT_NE(got.find("icy-name: test\r\n"), std::string::npos);
  EXPECT_NE(got.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(got.find("Content-Length"), std::string::npos);
  body_->feed("-two", true);
  got = read_until_has(s, "-two");
  EXPECT_NE(got.find("-two"), std::string::npos);
  // The end: the server closes the connection and tells the body.
  char c;
  beast::error_code ec;
  s.non_blocking(false);
  s.read_some(asio::buffer(&c, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_TRUE(eventually([&] { return body_->is_closed(); }));
}

TEST_F(Streaming, AClientThatStopsReadingIsDroppedAfterTheWriteTimeout) {
  auto s = client("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string chunk(1 << 20, 'x');
  for (int i = 0; i < 64 && !body_->is_closed(); ++i) {
    body_->feed(chunk);
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(eventually([&] { return body_->is_closed(); }));
}

TEST_F(Streaming, ShutdownClosesOpenStreamsAndSocketsAtOnce) {
  auto s = client("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  body_->feed("a");
  read_until_has(s, "a");
  bws::stream<asio::ip::tcp::socket> ws(ioc_);
  ws.next_layer().connect({asio::ip::make_address("127.0.0.1"), server_->port()});
  ws.handshake("127.0.0.1", "/ws");
  const auto started = std::chrono::steady_clock::now();
  server_->shutdown(10s);
  thread_.join();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_TRUE(body_->is_closed());
  EXPECT_EQ(socket_->closed_with, 1006);
  thread_ = std::thread([] {});  // for TearDown
}

TEST_F(Streaming, WebSocketMessagesRefusalsAndClosesFromEitherSide) {
  // A WebSocket endpoint asked without the upgrade: 426.
  EXPECT_EQ(testing::request(server_->port(), "GET", "/ws").status, 426);

  bws::stream<asio::ip::tcp::socket> ws(ioc_);
  ws.next_layer().connect({asio::ip::make_address("127.0.0.1"), server_->port()});
  ws.handshake("127.0.0.1", "/ws");
  ws.binary(true);
  ws.write(asio::buffer(std::string("\x01\x02", 2)));
  ws.text(true);
  ws.write(asio::buffer(std::string("hello")));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(socket_->mu);
    return socket_->messages.size() == 2;
  }));
  EXPECT_EQ(socket_->messages[0], std::string("b:\x01\x02", 4));
  EXPECT_EQ(socket_->messages[1], "t:hello");
  // Refused: closed with 1008 and the reason.
  ws.write(asio::buffer(std::string("bad")));
  beast::flat_buffer b;
  beast::error_code ec;
  ws.read(b, ec);
  EXPECT_EQ(ec, bws::error::closed);
  EXPECT_EQ(ws.reason().code, bws::close_code::policy_error);
  EXPECT_EQ(std::string(ws.reason().reason.c_str()), "no bad words");
  EXPECT_TRUE(eventually([&] { return socket_->closed_with == 1008; }));
}

// A client that sends its close frame and hangs up at once (not waiting for the server's close
// answer) still closed normally.
TEST_F(Streaming, ACloseFrameCountsEvenWhenTheClientHangsUpRightAfter) {
  auto s = client(
      "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  EXPECT_NE(read_until_has(s, "\r\n\r\n").find("101 Switching Protocols"), std::string::npos);
  // FIN + close, masked, 2 bytes: code 1000; mask 0 so the payload is as is.
  const std::string close_frame("\x88\x82\x00\x00\x00\x00\x03\xe8", 8);
  asio::write(s, asio::buffer(close_frame));
  s.close();
  EXPECT_TRUE(eventually([&] { return socket_->closed_with == 1000; })) << socket_->closed_with;
}

TEST_F(Streaming, TheSessionClosesItselfAndOversizedMessagesAreRefused) {
  {
    bws::stream<asio::ip::tcp::socket> ws(ioc_);
    ws.next_layer().connect({asio::ip::make_address("127.0.0.1"), server_->port()});
    ws.handshake("127.0.0.1", "/ws");
    ASSERT_TRUE(eventually([&] {
      std::lock_guard lock(socket_->mu);
      return static_cast<bool>(socket_->close);
    }));
    socket_->close(1000, "live broadcast ended: preempted");
    beast::flat_buffer b;
    beast::error_code ec;
    ws.read(b, ec);
    EXPECT_EQ(ec, bws::error::closed);
    EXPECT_EQ(ws.reason().code, bws::close_code::normal);
    EXPECT_EQ(std::string(ws.reason().reason.c_str()), "live broadcast ended: preempted");
  }
  socket_ = std::make_shared<RecordingSocket>();
  bws::stream<asio::ip::tcp::socket> ws(ioc_);
  ws.next_layer().connect({asio::ip::make_address("127.0.0.1"), server_->port()});
  ws.handshake("127.0.0.1", "/ws");
  beast::error_code ec;
  ws.write(asio::buffer(std::string(2048, 'x')), ec);  // over the 1 KiB limit
  beast::flat_buffer b;
  ws.read(b, ec);
  EXPECT_TRUE(ec) << "the server kept an oversized message";
  EXPECT_TRUE(eventually([&] { return socket_->closed_with != 0; }));
  std::lock_guard lock(socket_->mu);
  EXPECT_TRUE(socket_->messages.empty());
}

}  // namespace
}  // namespace nguon
