// The broker wall of docs/protocol.md, on a real Mosquitto with the dynamic-security plugin:
// per-device credentials, and ACLs that let a device read only its own and its areas' topics
// and publish only its own state and events.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "adapters/broker/broker_link.h"
#include "adapters/broker/dynsec_accounts.h"
#include "adapters/mqtt/client.h"
#include "core/protocol.h"
#include "tests/support/mosquitto_server.h"

namespace nguon::broker {
namespace {
using namespace std::chrono_literals;
using protocol::DeviceLeaf;

const std::string kDevA = "d00000000000000a1";
const std::string kDevB = "d00000000000000b2";

// A device-side connection that records what it receives.
class DeviceConn {
 public:
  DeviceConn(int port, const std::string& id, const std::string& password) {
    mqtt::ClientOptions o;
    o.port = port;
    o.client_id = id;
    o.username = id;
    o.password = password;
    o.reconnect_max_s = 1;
    client_ = mqtt::Client::create(
                  o,
                  [this](std::string_view t, std::string_view p, bool) {
                    std::lock_guard lock(mu_);
                    got_.emplace_back(std::string(t), std::string(p));
                  },
                  [this](bool up, int rc) {
                    std::lock_guard lock(mu_);
                    if (up)
                      connected_ = true;
                    else
                      last_rc_ = rc;
                  })
                  .value();
    EXPECT_TRUE(client_->start());
  }
  bool wait_connected(std::chrono::milliseconds t = 15s) {
    return poll(t, [&] { return connected_; });
  }
  // Publishes through `link` every 200 ms until the message arrives: the subscription is sent
  // asynchronously, so the first publish may come before the broker has it.
  bool receive_through(BrokerLink& link, const std::string& topic,
                       std::chrono::milliseconds t = 10s) {
    const auto end = std::chrono::steady_clock::now() + t;
    while (std::chrono::steady_clock::now() < end) {
      if (!link.publish(topic, "probe", false)) return false;
      if (wait_message(topic, 200ms)) return true;
    }
    return false;
  }
  bool wait_payload(const std::string& topic, const std::string& payload,
                    std::chrono::milliseconds t) {
    return poll(t, [&] {
      for (auto& m : got_) {
        if (m.first == topic && m.second == payload) return true;
      }
      return false;
    });
  }
  bool wait_message(const std::string& topic, std::chrono::milliseconds t = 10s) {
    return poll(t, [&] {
      for (auto& m : got_) {
        if (m.first == topic) return true;
      }
      return false;
    });
  }
  mqtt::Client& client() { return *client_; }

 private:
  template <typename F>
  bool poll(std::chrono::milliseconds t, F f) {
    const auto end = std::chrono::steady_clock::now() + t;
    while (std::chrono::steady_clock::now() < end) {
      {
        std::lock_guard lock(mu_);
        if (f()) return true;
      }
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> got_;
  bool connected_ = false;
  int last_rc_ = 0;
  std::unique_ptr<mqtt::Client> client_;
};

class BrokerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LinkOptions o;
    o.client.port = broker_.port();
    o.client.client_id = "nguon-server-test";
    o.client.username = broker_.admin_user();
    o.client.password = broker_.admin_password();
    link_ = BrokerLink::start(o, [this](std::string_view t, std::string_view p) {
              std::lock_guard lock(mu_);
              reports_.emplace_back(std::string(t), std::string(p));
            }).value();
    ASSERT_TRUE(link_->wait_connected(5s));
    accounts_ = std::make_unique<DynsecAccounts>(*link_);
    auto first = accounts_->ensure_server_role(broker_.admin_user());
    ASSERT_TRUE(first) << first.error().message;
    auto again = accounts_->ensure_server_role(broker_.admin_user());
    ASSERT_TRUE(again) << "idempotent: " << again.error().message;
    ASSERT_TRUE(accounts_->upsert_device(kDevA, "password-a", {"VN", "38", "14797"}));
    ASSERT_TRUE(accounts_->upsert_device(kDevB, "password-b", {"VN", "38", "16597"}));
  }
  size_t reports_on(const std::string& topic) {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (auto& r : reports_) n += r.first == topic ? 1 : 0;
    return n;
  }

  testing::MosquittoServer broker_;
  std::unique_ptr<BrokerLink> link_;
  std::unique_ptr<DynsecAccounts> accounts_;
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> reports_;
};

TEST_F(BrokerTest, DeviceReceivesItsOwnAndItsAreasOrdersOnly) {
  DeviceConn a(broker_.port(), kDevA, "password-a");
  ASSERT_TRUE(a.wait_connected());
  const std::string own = protocol::device_topic(kDevA, DeviceLeaf::kCmd);
  ASSERT_TRUE(a.client().subscribe(own, 1));
  ASSERT_TRUE(a.client().subscribe(protocol::area_topic("14797"), 1));
  // Not its commune, not another device: the broker refuses these subscriptions.
  ASSERT_TRUE(a.client().subscribe(protocol::area_topic("16597"), 1));
  ASSERT_TRUE(a.client().subscribe(protocol::device_topic(kDevB, DeviceLeaf::kCmd), 1));
  ASSERT_TRUE(a.client().subscribe("nguon/v1/#", 1));
  ASSERT_TRUE(a.client().subscribe(protocol::area_topic("14797"), 1));  // last: see below

  // Once the last subscription delivers, the broker has handled all of them (in order).
  EXPECT_TRUE(a.receive_through(*link_, protocol::area_topic("14797")));
  EXPECT_TRUE(a.receive_through(*link_, own));
  ASSERT_TRUE(link_->publish(protocol::area_topic("16597"), "other commune", false));
  ASSERT_TRUE(link_->publish(protocol::device_topic(kDevB, DeviceLeaf::kCmd), "b", false));
  EXPECT_FALSE(a.wait_message(protocol::area_topic("16597"), 500ms));
  EXPECT_FALSE(a.wait_message(protocol::device_topic(kDevB, DeviceLeaf::kCmd), 300ms));
}

TEST_F(BrokerTest, AnotherDevicesCredentialsCannotOrderADevice) {
  DeviceConn a(broker_.port(), kDevA, "password-a");
  DeviceConn b(broker_.port(), kDevB, "password-b");
  ASSERT_TRUE(a.wait_connected());
  ASSERT_TRUE(b.wait_connected());
  const std::string a_cmd = protocol::device_topic(kDevA, DeviceLeaf::kCmd);
  ASSERT_TRUE(a.client().subscribe(a_cmd, 1));
  ASSERT_TRUE(a.client().subscribe(protocol::area_topic("38"), 1));
  ASSERT_TRUE(a.receive_through(*link_, protocol::area_topic("38")));  // subscriptions active
  // B publishes to A's order topic and to their shared province topic: the broker drops both.
  ASSERT_TRUE(b.client().publish(a_cmd, "forged", 1, false));
  ASSERT_TRUE(b.client().publish(protocol::area_topic("38"), "forged", 1, false));
  EXPECT_FALSE(a.wait_message(a_cmd, 500ms));
  EXPECT_FALSE(a.wait_payload(protocol::area_topic("38"), "forged", 100ms));
  // B cannot pretend to be A on the server side either: its publish to A's events is dropped,
  // its own events arrive.
  ASSERT_TRUE(
      b.client().publish(protocol::device_topic(kDevA, DeviceLeaf::kEvents), "x", 1, false));
  ASSERT_TRUE(
      b.client().publish(protocol::device_topic(kDevB, DeviceLeaf::kEvents), "y", 1, false));
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (reports_on(protocol::device_topic(kDevB, DeviceLeaf::kEvents)) == 0 &&
         std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(reports_on(protocol::device_topic(kDevB, DeviceLeaf::kEvents)), 1u);
  EXPECT_EQ(reports_on(protocol::device_topic(kDevA, DeviceLeaf::kEvents)), 0u);
}

TEST_F(BrokerTest, WrongPasswordAndRemovedDevicesAreRefused) {
  DeviceConn wrong(broker_.port(), kDevA, "not-the-password");
  EXPECT_FALSE(wrong.wait_connected(1500ms));
  DeviceConn anonymous(broker_.port(), "", "");
  EXPECT_FALSE(anonymous.wait_connected(500ms));

  ASSERT_TRUE(accounts_->remove_device(kDevB));
  ASSERT_TRUE(accounts_->remove_device(kDevB)) << "removing twice is fine";
  DeviceConn removed(broker_.port(), kDevB, "password-b");
  EXPECT_FALSE(removed.wait_connected(1500ms));

  // Re-provisioning replaces the password: the old one stops working.
  ASSERT_TRUE(accounts_->upsert_device(kDevA, "rotated", {"VN"}));
  DeviceConn old(broker_.port(), kDevA, "password-a");
  EXPECT_FALSE(old.wait_connected(1500ms));
  DeviceConn rotated(broker_.port(), kDevA, "rotated");
  EXPECT_TRUE(rotated.wait_connected());
}

TEST_F(BrokerTest, ReportsSurviveABrokerRestart) {
  broker_.stop();
  EXPECT_FALSE(link_->publish("nguon/v1/d/" + kDevA + "/cmd", "x", false));
  broker_.start();
  ASSERT_TRUE(link_->wait_connected(10s));
  // The link reconnected and resubscribed: a device report arrives again.
  DeviceConn a(broker_.port(), kDevA, "password-a");
  ASSERT_TRUE(a.wait_connected());
  const std::string events = protocol::device_topic(kDevA, DeviceLeaf::kEvents);
  const auto end = std::chrono::steady_clock::now() + 5s;
  while (reports_on(events) == 0 && std::chrono::steady_clock::now() < end) {
    ASSERT_TRUE(a.client().publish(events, "{}", 1, false));
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_GE(reports_on(events), 1u);
}

}  // namespace
}  // namespace nguon::broker
