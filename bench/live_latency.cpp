// Live broadcast latency (issue 6): from the moment the console's microphone sends an Opus
// packet over the WebSocket to the moment that packet's bytes are in a loudspeaker agent's sink,
// on loopback; side by side with the same packets read straight from the server's mount by a
// plain HTTP listener in this process (the baseline: the server hop alone). Also the join time:
// from POST /api/v1/live to a device's first live audio (order over MQTT, agent connects).
//
// Run by bench/live_latency.sh, which starts Mosquitto and nguon-server. This program registers
// and provisions the devices, starts one nguon-agent per device (file sinks), goes live as the
// admin on their communes, speaks for --seconds (a packet every 20 ms, on an absolute schedule)
// and prints the figures. Packets carry a sequence number after a valid Opus TOC byte (CELT
// fullband 20 ms) so arrivals can be matched; the file sink records bytes as they arrive.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/live.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bws = beast::websocket;
namespace fs = std::filesystem;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using nguon::testing::ConsoleSession;
using nguon::testing::Reply;

[[noreturn]] void die(const std::string& why) {
  std::cerr << "live_latency: " << why << "\n";
  std::exit(1);
}

constexpr char kMagic[] = "NGLV";
constexpr std::size_t kPacketBytes = 60;  // about 24 kb/s, what a voice encoder sends

std::string packet(std::uint32_t seq) {
  std::string p(kPacketBytes, '\x55');
  p[0] = static_cast<char>(0xf8);  // TOC: CELT fullband, 20 ms, one frame
  std::memcpy(p.data() + 1, kMagic, 4);
  std::memcpy(p.data() + 5, &seq, 4);
  return p;
}

// Finds the packets in a byte stream that arrives in pieces and records when each was first
// seen. Thread-compatible.
class Arrivals {
 public:
  explicit Arrivals(std::size_t packets) : seen_(packets) {}
  void feed(std::string_view bytes, Clock::time_point now) {
    tail_.append(bytes);
    std::size_t pos = 0;
    while ((pos = tail_.find(kMagic, pos)) != std::string::npos && pos + 8 <= tail_.size()) {
      std::uint32_t seq = 0;
      std::memcpy(&seq, tail_.data() + pos + 4, 4);
      if (seq < seen_.size() && !seen_[seq]) seen_[seq] = now;
      pos += 8;
    }
    if (tail_.size() > 8) tail_.erase(0, tail_.size() - 8);  // a marker cut in two
  }
  const std::vector<std::optional<Clock::time_point>>& seen() const { return seen_; }

 private:
  std::string tail_;
  std::vector<std::optional<Clock::time_point>> seen_;
};

struct Stats {
  std::vector<double> ms;
  std::size_t missing = 0;
  double pct(double q) const {
    if (ms.empty()) return -1;
    std::vector<double> v = ms;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
  }
};

void add(Stats& s, const Arrivals& a, const std::vector<Clock::time_point>& sent) {
  for (std::size_t k = 0; k < sent.size(); ++k) {
    if (!a.seen()[k]) {
      ++s.missing;
      continue;
    }
    s.ms.push_back(std::chrono::duration<double, std::milli>(*a.seen()[k] - sent[k]).count());
  }
}

// Reads the mount over plain HTTP until `stop`.
void listen_direct(std::uint16_t port, const std::string& path, Arrivals& out,
                   const std::atomic<bool>& stop) {
  asio::io_context ioc;
  asio::ip::tcp::socket s(ioc);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  asio::write(s, asio::buffer(req));
  s.non_blocking(true);
  char buf[16384];
  while (!stop) {
    beast::error_code ec;
    const std::size_t n = s.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      continue;
    }
    if (ec) break;
    out.feed(std::string_view(buf, n), Clock::now());
  }
}

// Polls the devices' sink directories for stream files and what is appended to them.
void watch_sinks(const std::vector<fs::path>& dirs, std::vector<Arrivals>& out,
                 std::vector<std::optional<Clock::time_point>>& first_audio,
                 std::atomic<std::size_t>& joined, const std::atomic<bool>& stop) {
  std::vector<int> fds(dirs.size(), -1);
  char buf[65536];
  while (!stop) {
    for (std::size_t i = 0; i < dirs.size(); ++i) {
      if (fds[i] < 0) {
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(dirs[i], ec)) {
          if (e.path().filename().string().starts_with("stream-")) {
            fds[i] = ::open(e.path().c_str(), O_RDONLY);
          }
        }
        if (fds[i] < 0) continue;
      }
      for (ssize_t n; (n = ::read(fds[i], buf, sizeof buf)) > 0;) {
        const auto now = Clock::now();
        if (!first_audio[i]) {
          first_audio[i] = now;
          ++joined;
        }
        out[i].feed(std::string_view(buf, static_cast<std::size_t>(n)), now);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
}

// The JSON object of a reply, or exit naming what failed.
json::object object_of(const Reply& r, const std::string& what) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (ec || !v.is_object()) die(what + ": " + std::to_string(r.status) + " " + r.body);
  return v.as_object();
}

std::map<std::string, std::string> args(int argc, char** argv) {
  std::map<std::string, std::string> out{{"--devices", "3"}, {"--seconds", "20"}};
  for (int i = 1; i + 1 < argc; i += 2) out[argv[i]] = argv[i + 1];
  for (const char* k : {"--port", "--password", "--agent", "--work"}) {
    if (out.find(k) == out.end()) {
      die("usage: bench_live_latency --port P --password PW --agent BIN --work DIR "
          "[--devices 3] [--seconds 20]");
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  auto a = args(argc, argv);
  const auto port = static_cast<std::uint16_t>(std::stoi(a["--port"]));
  const int devices = std::stoi(a["--devices"]);
  const int seconds = std::stoi(a["--seconds"]);
  const fs::path work = a["--work"];
  std::string password = a["--password"];
  std::string error;
  auto admin = nguon::testing::login_console(port, "admin", password, &error);
  if (!admin) die(error);

  // Devices in the first communes of province 38, each with its own agent and file sink.
  Reply units = admin->get("/api/v1/units/38/children");
  if (units.status != 200) die("units: " + units.body);
  std::vector<std::string> communes;
  const json::object unit_list = object_of(units, "units");
  for (const auto& u : unit_list.at("items").as_array()) {
    if (static_cast<int>(communes.size()) < devices) {
      communes.emplace_back(u.at("code").as_string());
    }
  }
  std::vector<std::string> ids;
  std::vector<fs::path> sinks;
  std::vector<nguon::testing::Proc> agents;
  for (std::size_t i = 0; i < communes.size(); ++i) {
    const std::string serial = "LIVE-" + std::to_string(i);
    Reply r = admin->post("/api/v1/devices",
                          json::serialize(json::object{{"kind", "cluster"},
                                                       {"name", "Cụm loa " + serial},
                                                       {"serial", serial},
                                                       {"commune_code", communes[i]}}));
    if (r.status != 201) die("register: " + r.body);
    const std::string id(object_of(r, "register").at("id").as_string());
    Reply prov = admin->post("/api/v1/devices/" + id + "/provision", "{}");
    if (prov.status != 200) die("provision: " + prov.body);
    const fs::path home = work / id;
    fs::create_directories(home / "sink");
    std::ofstream(home / "bundle.json")
        << object_of(prov, "provision").at("bundle_json").as_string().c_str();
    agents.push_back(
        nguon::testing::spawn({a["--agent"], "--bundle", (home / "bundle.json").string(), "--state",
                               (home / "state").string(), "--sink",
                               "file:" + (home / "sink").string(), "--log-level", "error"}));
    ids.push_back(id);
    sinks.push_back(home / "sink");
  }
  const auto online_deadline = Clock::now() + std::chrono::seconds(30);
  for (const std::string& id : ids) {
    while (true) {
      Reply d = admin->get("/api/v1/devices/" + id);
      if (d.status == 200 && object_of(d, "device").at("online").as_bool()) break;
      if (Clock::now() > online_deadline) die("device " + id + " never came online");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // Live on their communes.
  json::array areas;
  for (const std::string& c : communes) areas.emplace_back(c);
  const auto started = Clock::now();
  Reply live = admin->post("/api/v1/live", json::serialize(json::object{{"areas", areas}}));
  if (live.status != 201) die("live: " + live.body);
  const json::object session = object_of(live, "live");
  const std::string stream_url(session.at("stream_url").as_string());
  const std::string mount = stream_url.substr(stream_url.find("/live/"));

  const std::size_t packets = static_cast<std::size_t>(seconds) * 50;
  std::atomic<bool> stop{false};
  Arrivals direct(packets);
  std::vector<Arrivals> at_devices(ids.size(), Arrivals(packets));
  std::vector<std::optional<Clock::time_point>> first_audio(ids.size());
  std::thread listener([&] { listen_direct(port, mount, direct, stop); });
  std::atomic<std::size_t> joined{0};
  std::thread watcher([&] { watch_sinks(sinks, at_devices, first_audio, joined, stop); });

  asio::io_context ioc;
  bws::stream<asio::ip::tcp::socket> ws(ioc);
  ws.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
  ws.set_option(bws::stream_base::decorator([cookie = admin->cookie](bws::request_type& r) {
    r.set(beast::http::field::cookie, "nguon_session=" + cookie);
  }));
  ws.handshake("127.0.0.1", std::string(session.at("audio_url").as_string()));
  ws.binary(true);
  ws.next_layer().set_option(asio::ip::tcp::no_delay(true));
  // Speak once every device listens (they get the stream's header pages on joining): what is
  // said before a device joins is not for it, as on any live radio.
  const auto join_deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < join_deadline && joined < ids.size()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::vector<Clock::time_point> sent(packets);
  const auto t0 = Clock::now();
  for (std::size_t k = 0; k < packets; ++k) {
    std::this_thread::sleep_until(t0 + std::chrono::milliseconds(20 * k));
    const std::string p = packet(static_cast<std::uint32_t>(k));
    sent[k] = Clock::now();
    ws.write(asio::buffer(p));
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));  // stragglers
  ws.close(bws::close_code::normal);
  stop = true;
  listener.join();
  watcher.join();
  for (auto& p : agents) kill(p.pid, SIGTERM);
  for (auto& p : agents) nguon::testing::wait_exit(p.pid);

  Stats base;
  add(base, direct, sent);
  Stats dev;
  for (const Arrivals& d : at_devices) add(dev, d, sent);
  Stats join;
  for (const auto& f : first_audio) {
    if (f) {
      join.ms.push_back(std::chrono::duration<double, std::milli>(*f - started).count());
    } else {
      ++join.missing;
    }
  }
  std::printf("live_latency: devices=%zu packets=%zu (%d s of 20 ms packets)\n", ids.size(),
              packets, seconds);
  std::printf("direct listener (baseline): p50=%.1f p99=%.1f max=%.1f ms, missing %zu of %zu\n",
              base.pct(0.5), base.pct(0.99), base.pct(1.0), base.missing, packets);
  std::printf("devices (agent sinks):      p50=%.1f p99=%.1f max=%.1f ms, missing %zu of %zu\n",
              dev.pct(0.5), dev.pct(0.99), dev.pct(1.0), dev.missing, packets * ids.size());
  std::printf("join (POST /api/v1/live -> first audio at a device): p50=%.0f max=%.0f ms\n",
              join.pct(0.5), join.pct(1.0));
  std::printf("ratio devices/direct p99=%.2f\n", dev.pct(0.99) / std::max(base.pct(0.99), 0.001));
  const bool pass = dev.missing == 0 && dev.pct(0.99) <= 3000 && join.missing == 0;
  std::printf("target packet -> device p99 <= 3000 ms, nothing lost: %s\n", pass ? "PASS" : "FAIL");
  return pass ? 0 : 3;
}
