// nguon-agent against a real mosquitto broker and a loopback HTTP media server: a signed order
// plays the exact stored bytes, and play reports made while the broker is down are delivered
// after it restarts. Also: the reboot order ends the agent with status 75.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "adapters/crypto/sodium_crypto.h"
#include "adapters/mqtt/client.h"
#include "agent/files.h"
#include "core/protocol.h"
#include "tests/agent/test_broker.h"
#include "tests/agent/test_http_server.h"

namespace nguon::agent {
namespace {

using namespace std::chrono_literals;
using testing::TestBroker;
using testing::TestHttpServer;

const std::string kDevice = "d0123456789abcdef";
const std::string kPassword = "device-secret";

UnixTime now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool wait_until(const std::function<bool()>& pred, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

// Watches the device's events and state through the broker, like the server does.
class Observer {
 public:
  explicit Observer(int port) {
    mqtt::ClientOptions o;
    o.port = port;
    o.client_id = "observer";
    o.reconnect_min_s = 1;
    o.reconnect_max_s = 1;  // back before the agent after a broker restart
    auto c = mqtt::Client::create(o, [this](std::string_view topic, std::string_view payload,
                                            bool) { on_message(topic, payload); });
    client_ = std::move(c.value());
    (void)client_->subscribe("nguon/v1/d/+/events", 1);
    (void)client_->subscribe("nguon/v1/d/+/state", 1);
    (void)client_->start();
  }
  bool saw_event(const std::function<bool(const protocol::Event&)>& pred) {
    std::lock_guard lock(mu_);
    for (const auto& e : events_) {
      if (pred(e)) return true;
    }
    return false;
  }
  std::optional<protocol::DeviceState> state() {
    std::lock_guard lock(mu_);
    return state_;
  }
  mqtt::Client& client() { return *client_; }

 private:
  void on_message(std::string_view topic, std::string_view payload) {
    std::lock_guard lock(mu_);
    if (topic.ends_with("/events")) {
      if (auto e = protocol::decode_event(payload)) events_.push_back(*e);
    } else if (auto s = protocol::decode_state(payload)) {
      state_ = *s;
    }
  }
  std::unique_ptr<mqtt::Client> client_;
  std::mutex mu_;
  std::vector<protocol::Event> events_;
  std::optional<protocol::DeviceState> state_;
};

class AgentIntegrationTest : public ::testing::Test {
 protected:
  AgentIntegrationTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("nguon-agent-it-" + std::to_string(::getpid()))),
        broker_(dir_ / "broker") {
    auto pair = crypto_.signing_keypair();
    key_ = {protocol::key_id(crypto_, pair.public_key), pair.public_key, pair.secret_key};
    media_ = "OggS" + crypto_.random_hex(30'000);  // the sink copies bytes; no decoding
    sha_ = crypto_.sha256_hex(media_);
    http_.set("/media/" + sha_, {media_});
    http_.require_basic(protocol::base64_encode(kDevice + ":" + kPassword));
  }
  ~AgentIntegrationTest() override {
    stop_agent();
    broker_.stop();
    if (HasFailure()) {  // the agent's log explains most failures
      std::fprintf(stderr, "---- agent log ----\n%s\n",
                   read_file((dir_ / "agent.log").string()).value_or("(none)").c_str());
    }
    std::filesystem::remove_all(dir_);
  }

  void write_bundle() {
    protocol::Bundle b;
    b.device = kDevice;
    b.broker_host = "127.0.0.1";
    b.broker_port = broker_.port();
    b.password = kPassword;
    b.media_base_url = http_.url("/media");
    b.areas = {"VN", "38", "14797"};
    b.keys = {{key_.kid, key_.public_key}};
    std::ofstream(dir_ / "bundle.json") << protocol::encode_bundle(b);
  }

  void start_agent() {
    agent_ = ::fork();
    if (agent_ == 0) {
      int log = ::open((dir_ / "agent.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(log, 2);
      std::string bundle = (dir_ / "bundle.json").string();
      std::string state = (dir_ / "state").string();
      std::string sink = "file:" + (dir_ / "sink").string();
      ::execl(NGUON_AGENT_BIN, "nguon-agent", "--bundle", bundle.c_str(), "--state", state.c_str(),
              "--sink", sink.c_str(), "--heartbeat", "5", "--log-level", "debug", nullptr);
      ::_exit(127);
    }
  }
  // Waits for the agent to exit; its exit status, or -1 on timeout.
  int wait_agent(std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(agent_, &status, WNOHANG) == agent_) {
        agent_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(50ms);
    }
    return -1;
  }
  void stop_agent() {
    if (agent_ <= 0) return;
    ::kill(agent_, SIGTERM);
    if (wait_agent(10s) < 0) {
      ::kill(agent_, SIGKILL);
      ::waitpid(agent_, nullptr, 0);
      agent_ = -1;
    }
  }

  std::string sealed(const std::string& topic, std::int64_t seq, UnixTime lifetime,
                     protocol::Payload data) {
    protocol::Message m;
    m.seq = seq;
    m.iat = now_s();
    m.exp = m.iat + lifetime;
    m.to = std::string(protocol::address_of(topic));
    m.data = std::move(data);
    return protocol::seal(crypto_, key_, m);
  }
  protocol::PlayItem item() const {
    protocol::PlayItem it;
    it.sha256 = sha_;
    it.bytes = static_cast<std::int64_t>(media_.size());
    it.duration_ms = 1000;
    it.title = "Thông báo";
    return it;
  }
  std::string played_bytes() const {
    return read_file((dir_ / "sink" / (sha_ + ".played")).string()).value_or("");
  }

  SodiumCrypto crypto_{Argon2Profile::kMin};
  std::filesystem::path dir_;
  TestBroker broker_;
  TestHttpServer http_;
  protocol::SigningKey key_;
  std::string media_;
  std::string sha_;
  pid_t agent_ = -1;
};

TEST_F(AgentIntegrationTest, PlaysASignedOrderAndDeliversReportsQueuedWhileTheBrokerWasDown) {
  ASSERT_TRUE(broker_.start());
  write_bundle();
  Observer observer(broker_.port());
  start_agent();
  ASSERT_TRUE(wait_until([&] { return observer.state() && observer.state()->online; }, 15s))
      << "the agent never published its state";

  // 1. A signed emergency order to the whole commune plays the exact stored bytes.
  protocol::PlayOrder order;
  order.order = "o1";
  order.priority = Priority::kEmergency;
  order.items = {item()};
  std::string area = protocol::area_topic("14797");
  ASSERT_TRUE(observer.client().publish(area, sealed(area, 1, 600, order), 1, false));
  ASSERT_TRUE(wait_until([&] { return played_bytes() == media_; }, 15s));
  ASSERT_TRUE(wait_until(
      [&] {
        return observer.saw_event([](const protocol::Event& e) {
          return e.type == protocol::EventType::kPlayed && e.order == "o1";
        });
      },
      15s));

  // 2. A forged copy (same body, another key) is refused and plays nothing.
  auto stranger = crypto_.signing_keypair();
  protocol::SigningKey forged{key_.kid, stranger.public_key, stranger.secret_key};
  protocol::Message m;
  m.seq = 9;
  m.iat = now_s();
  m.exp = m.iat + 600;
  m.to = std::string(protocol::address_of(area));
  order.order = "o-forged";
  m.data = order;
  ASSERT_TRUE(observer.client().publish(area, protocol::seal(crypto_, forged, m), 1, false));
  ASSERT_TRUE(wait_until(
      [&] {
        return observer.saw_event([](const protocol::Event& e) {
          return e.type == protocol::EventType::kRejected && e.reason == "bad_signature";
        });
      },
      15s));

  // 3. A schedule whose slot starts while the broker is down.
  UnixTime start = now_s() + 6;
  protocol::Slot slot;
  slot.id = "p1@" + std::to_string(start);
  slot.start = start;
  slot.end = start + 120;
  slot.items = {item()};
  protocol::Manifest manifest;
  manifest.slots = {slot};
  std::string manifest_topic = protocol::device_topic(kDevice, protocol::DeviceLeaf::kManifest);
  ASSERT_TRUE(observer.client().publish(manifest_topic, sealed(manifest_topic, 2, 3600, manifest),
                                        1, true));
  ASSERT_TRUE(wait_until(
      [&] { return observer.state() && observer.state()->manifest_seq == std::int64_t{2}; }, 15s));

  broker_.stop();
  ASSERT_TRUE(wait_until([&] { return played_bytes() == media_ + media_; }, 20s))
      << "the slot did not play while the broker was down";
  std::string log_path = (dir_ / "state" / "reports.log").string();
  ASSERT_TRUE(wait_until(
      [&] {
        auto log = read_file(log_path);
        return log && log->find("\"played\"") != std::string::npos &&
               log->find(slot.id) != std::string::npos;
      },
      10s))
      << "the play report was not queued on disk";

  // 4. The broker returns: the queued reports are delivered and then leave the queue.
  ASSERT_TRUE(broker_.start());
  ASSERT_TRUE(wait_until(
      [&] {
        return observer.saw_event([&](const protocol::Event& e) {
          return e.type == protocol::EventType::kPlayed && e.slot == slot.id;
        });
      },
      45s))
      << "the queued play report never arrived";
  ASSERT_TRUE(wait_until(
      [&] { return observer.state() && observer.state()->queued_reports == std::int64_t{0}; },
      20s));

  // 5. The reboot order ends the agent with status 75 for its supervisor.
  std::string cmd = protocol::device_topic(kDevice, protocol::DeviceLeaf::kCmd);
  ASSERT_TRUE(
      observer.client().publish(cmd, sealed(cmd, 3, 600, protocol::RebootOrder{}), 1, false));
  EXPECT_EQ(wait_agent(15s), 75);
}

// A device often boots before the network or the broker is up: it must keep trying.
TEST_F(AgentIntegrationTest, ConnectsWhenTheBrokerComesUpAfterIt) {
  write_bundle();
  start_agent();
  std::this_thread::sleep_for(2s);  // refused at least once
  ASSERT_TRUE(broker_.start());
  Observer observer(broker_.port());
  ASSERT_TRUE(wait_until([&] { return observer.state() && observer.state()->online; }, 30s));
  ::kill(agent_, SIGTERM);
  EXPECT_EQ(wait_agent(15s), 0);
  // A clean stop says "offline" itself (the last will is only for unclean ones).
  EXPECT_TRUE(wait_until([&] { return observer.state() && !observer.state()->online; }, 10s));
}

// nguon-simulator: many virtual devices on one connection thread, one shared download.
TEST_F(AgentIntegrationTest, SimulatorDevicesAllPlayOneAreaOrder) {
  constexpr int kDevices = 30;
  ASSERT_TRUE(broker_.start());
  http_.require_basic("");  // devices have their own passwords; any may fetch first
  std::string bundles = "[";
  for (int i = 0; i < kDevices; ++i) {
    protocol::Bundle b;
    char id[32];
    std::snprintf(id, sizeof id, "d%016x", i + 1);
    b.device = id;
    b.broker_host = "127.0.0.1";
    b.broker_port = broker_.port();
    b.password = "pw";
    b.media_base_url = http_.url("/media");
    b.areas = {"VN", "14797"};
    b.keys = {{key_.kid, key_.public_key}};
    bundles += (i ? "," : "") + protocol::encode_bundle(b);
  }
  std::ofstream(dir_ / "bundles.json") << bundles << "]";
  std::filesystem::create_directories(dir_ / "sim");

  pid_t sim = ::fork();
  if (sim == 0) {
    int out = ::open((dir_ / "sim.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    std::string b = (dir_ / "bundles.json").string();
    std::string sink = "file:" + (dir_ / "sim").string();
    std::string cache = (dir_ / "sim-cache").string();
    std::string arrivals = (dir_ / "arrivals.txt").string();
    ::execl(NGUON_SIMULATOR_BIN, "nguon-simulator", "--bundles", b.c_str(), "--sink", sink.c_str(),
            "--media-cache", cache.c_str(), "--record-arrivals", arrivals.c_str(), nullptr);
    ::_exit(127);
  }
  agent_ = sim;  // stopped by the fixture if the test fails half-way
  auto last_counts = [&]() -> boost::json::object {
    auto text = read_file((dir_ / "sim.out").string()).value_or("");
    auto end = text.rfind('\n');
    if (end == std::string::npos) return {};
    auto start = text.rfind('\n', end - 1);
    auto line = text.substr(start == std::string::npos ? 0 : start + 1,
                            end - (start == std::string::npos ? 0 : start + 1));
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    return !ec && v.is_object() ? v.as_object() : boost::json::object{};
  };
  auto count = [&](const char* key) {
    auto o = last_counts();
    return o.contains(key) ? o[key].to_number<std::int64_t>() : -1;
  };
  ASSERT_TRUE(wait_until([&] { return count("connected") == kDevices; }, 30s));

  protocol::PlayOrder order;
  order.order = "o-sim";
  order.priority = Priority::kEmergency;
  order.items = {item()};
  std::string area = protocol::area_topic("14797");
  Observer observer(broker_.port());
  ASSERT_TRUE(wait_until([&] { return observer.client().connected(); }, 10s));
  ASSERT_TRUE(observer.client().publish(area, sealed(area, 1, 600, order), 1, false));
  ASSERT_TRUE(wait_until([&] { return count("played") == kDevices; }, 30s));
  EXPECT_EQ(count("rejected"), 0);
  EXPECT_EQ(http_.requests(), 1);  // one shared, single-flight download
  for (int i = 0; i < kDevices; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "d%016x", i + 1);
    EXPECT_EQ(read_file((dir_ / "sim" / id / (sha_ + ".played")).string()), media_) << id;
  }
  ::kill(sim, SIGTERM);
  EXPECT_EQ(wait_agent(15s), 0);
  auto arrivals = read_file((dir_ / "arrivals.txt").string()).value_or("");
  EXPECT_EQ(std::count(arrivals.begin(), arrivals.end(), '\n'), kDevices);
}

}  // namespace
}  // namespace nguon::agent
