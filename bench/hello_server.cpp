// Baseline for bench/api_throughput.sh: the smallest HTTP/1.1 keep-alive server built the same
// way as adapters/http/server.cpp (Beast, C++20 coroutines, one strand per connection, a read
// timeout per request), answering every request with a fixed JSON body. The difference between
// its throughput and nguon-server's is the cost of the application itself.
//
// Usage: bench_hello_server [threads=2] [port=0] [body_bytes=0]
// body_bytes 0 answers a 33-byte JSON object; a larger value pads the body to that many bytes,
// to separate the cost of moving a large response from the cost of computing it.
// Prints "port=N" on stdout once listening; stops on SIGINT/SIGTERM.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

constexpr std::string_view kSmallBody = R"({"status":"ok","service":"hello"})";
constexpr auto kRequestTimeout = std::chrono::seconds(30);

// Returns `fallback` when `arg` is not entirely a number in [lo, hi].
int parse_int(const char* arg, int fallback, int lo, int hi) {
  const std::string_view s(arg);
  int value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || value < lo || value > hi) return fallback;
  return value;
}

// A JSON object of exactly max(`bytes`, 13) bytes: {"pad":"xxx..."}.
std::string padded_body(size_t bytes) {
  constexpr std::string_view kOpen = R"({"pad":")";
  constexpr std::string_view kClose = R"("})";
  const size_t fixed = kOpen.size() + kClose.size();
  std::string body(kOpen);
  body.append(bytes > fixed ? bytes - fixed : 0, 'x');
  body.append(kClose);
  return body;
}

// REQUIRES: `body` outlives the connection.
asio::awaitable<void> serve(beast::tcp_stream stream, const std::string& body) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    bhttp::request<bhttp::string_body> req;
    stream.expires_after(kRequestTimeout);
    co_await bhttp::async_read(stream, buffer, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;  // peer closed, timeout or malformed request: nothing to answer
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::server, "hello");
    res.set(bhttp::field::content_type, "application/json");
    res.body() = body;
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    stream.expires_after(kRequestTimeout);
    co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

asio::awaitable<void> accept_loop(asio::io_context& ioc, tcp::acceptor& acceptor,
                                  const std::string& body) {
  for (;;) {
    beast::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(
        asio::make_strand(ioc), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!acceptor.is_open()) co_return;
      continue;
    }
    auto ex = socket.get_executor();
    asio::co_spawn(ex, serve(beast::tcp_stream(std::move(socket)), body), asio::detached);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? parse_int(argv[1], -1, 1, 256) : 2;
  const int port = argc > 2 ? parse_int(argv[2], -1, 0, 65535) : 0;
  const int body_bytes = argc > 3 ? parse_int(argv[3], -1, 0, 64 << 20) : 0;
  if (threads < 0 || port < 0 || body_bytes < 0) {
    std::fprintf(stderr,
                 "usage: %s [threads=2 (1..256)] [port=0 (0..65535)] [body_bytes=0 (0..64Mi)]\n",
                 argv[0]);
    return 2;
  }
  const std::string body =
      body_bytes == 0 ? std::string(kSmallBody) : padded_body(static_cast<size_t>(body_bytes));

  asio::io_context ioc(threads);
  tcp::acceptor acceptor(asio::make_strand(ioc));
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(port));
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::fprintf(stderr, "cannot listen: %s\n", ec.message().c_str());
    return 1;
  }
  std::printf("port=%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
  std::fflush(stdout);

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&ioc](const beast::error_code&, int) { ioc.stop(); });
  asio::co_spawn(acceptor.get_executor(), accept_loop(ioc, acceptor, body), asio::detached);

  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  return 0;
}
