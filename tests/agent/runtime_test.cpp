// The runtime with fakes around it (manual clock, scripted transport and sink): reports are
// published, re-sent in order on reconnect and dropped only when acknowledged; a full disk is
// a fault, not a crash; oversized payloads are rejected; state is published on changes.
#include "agent/runtime.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "adapters/crypto/sodium_crypto.h"
#include "tests/agent/agent_fakes.h"

namespace nguon::agent {
namespace {

using testing::FakeSink;
using testing::ManualClock;

const std::string kDevice = "d0123456789abcdef";

class FakeTransport final : public Transport {
 public:
  struct Sent {
    std::string topic;
    std::string payload;
    bool retain;
    int mid;
  };
  Status subscribe(const std::string&, int) override { return {}; }
  Result<int> publish(const std::string& topic, std::string_view payload, int,
                      bool retain) override {
    sent.push_back({topic, std::string(payload), retain, ++last_mid});
    return last_mid;
  }
  bool connected() const override { return up; }

  std::vector<Sent> on(const std::string& leaf) const {
    std::vector<Sent> out;
    for (const auto& s : sent) {
      if (s.topic.ends_with("/" + leaf)) out.push_back(s);
    }
    return out;
  }
  std::vector<Sent> sent;
  int last_mid = 0;
  bool up = true;
};

// A queue whose disk is full.
class FullDiskQueue final : public ReportQueue {
 public:
  Result<QueuedReport> append(protocol::Event&) override {
    return Error{ErrorKind::kUnavailable, "disk_full", "no space left on device"};
  }
  void remove(std::uint64_t) override {}
  std::vector<QueuedReport> pending() const override { return {}; }
  size_t size() const override { return 0; }
};

class RuntimeTest : public ::testing::Test {
 protected:
  RuntimeTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("nguon-runtime-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    bundle_.device = kDevice;
    bundle_.password = "pw";
    bundle_.media_base_url = "http://127.0.0.1:9/media";  // nothing listens: downloads fail
    bundle_.areas = {"VN", "14797"};
  }
  ~RuntimeTest() override {
    std::filesystem::remove_all(dir_);
    std::filesystem::remove_all(cache_.dir());
  }

  std::unique_ptr<Runtime> make(std::unique_ptr<ReportQueue> queue) {
    RuntimeOptions o;
    o.state_dir = dir_.string();
    o.heartbeat_s = 60;
    auto rt = std::make_unique<Runtime>(bundle_, o, clock_, crypto_, sink_, cache_,
                                        std::move(queue), relay_, log_);
    rt->attach(&transport_);
    return rt;
  }
  std::string cmd_topic() const {
    return protocol::device_topic(kDevice, protocol::DeviceLeaf::kCmd);
  }
  static std::string type_of(const std::string& json) {
    auto e = protocol::decode_event(json);
    return e ? std::string(protocol::event_type_name(e->type)) + ":" + e->reason.value_or("")
             : "(bad)";
  }

  std::filesystem::path dir_;
  protocol::Bundle bundle_;
  ManualClock clock_;
  SodiumCrypto crypto_{Argon2Profile::kMin};
  FakeSink sink_;
  MediaCache cache_{(std::filesystem::temp_directory_path() /
                     ("nguon-runtime-media-" + std::to_string(::getpid())))
                        .string(),
                    crypto_, 1};
  NoRelayHook relay_;
  Logger log_{LogLevel::kOff};
  FakeTransport transport_;
};

TEST_F(RuntimeTest, ConnectionSettings) {
  auto rt = make(std::make_unique<MemoryReportQueue>());
  auto o = rt->mqtt_options();
  EXPECT_EQ(o.client_id, kDevice);
  EXPECT_EQ(o.username, kDevice);
  EXPECT_EQ(o.password, "pw");
  EXPECT_FALSE(o.clean_session);
  ASSERT_TRUE(o.will);
  EXPECT_EQ(o.will->topic, protocol::device_topic(kDevice, protocol::DeviceLeaf::kState));
  EXPECT_EQ(o.will->payload, protocol::offline_state());
  EXPECT_TRUE(o.will->retain);
  auto subs = rt->subscriptions();
  EXPECT_EQ(subs.size(), 5u);
  EXPECT_EQ(subs.back(), protocol::area_topic("14797"));
}

TEST_F(RuntimeTest, OversizedPayloadIsRejectedAsMalformedAndReported) {
  auto rt = make(std::make_unique<MemoryReportQueue>());
  rt->on_message(cmd_topic(), std::string(protocol::kMaxPayloadBytes + 1, '{'));
  auto events = transport_.on("events");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(type_of(events[0].payload), "rejected:malformed");
  EXPECT_EQ(rt->counters().rejected, 1);
}

TEST_F(RuntimeTest, ReportsLeaveTheQueueOnlyWhenAcknowledgedAndAreResentInOrder) {
  auto rt = make(std::make_unique<MemoryReportQueue>());
  rt->on_message(cmd_topic(), "junk 1");
  rt->on_message(cmd_topic(), "junk 2");
  EXPECT_EQ(rt->queued_reports(), 2u);
  auto first = transport_.on("events");
  ASSERT_EQ(first.size(), 2u);
  rt->on_published(first[1].mid);  // the second is acknowledged, the first is not
  EXPECT_EQ(rt->queued_reports(), 1u);

  transport_.up = false;
  rt->on_connect(false);
  rt->on_message(cmd_topic(), "junk 3");  // queued while offline, not published
  EXPECT_EQ(transport_.on("events").size(), 2u);
  transport_.up = true;
  transport_.sent.clear();
  rt->on_connect(true);
  auto resent = transport_.on("events");
  ASSERT_EQ(resent.size(), 2u);
  EXPECT_EQ(protocol::decode_event(resent[0].payload)->id, "1");
  EXPECT_EQ(protocol::decode_event(resent[1].payload)->id, "3");
  // The state goes out first on connect, retained.
  ASSERT_FALSE(transport_.sent.empty());
  EXPECT_TRUE(transport_.sent[0].topic.ends_with("/state"));
  EXPECT_TRUE(transport_.sent[0].retain);
  rt->on_published(resent[0].mid);
  rt->on_published(resent[1].mid);
  EXPECT_EQ(rt->queued_reports(), 0u);
}

TEST_F(RuntimeTest, FullDiskIsAFaultNotACrash) {
  auto rt = make(std::make_unique<FullDiskQueue>());
  rt->on_message(cmd_topic(), "junk");
  std::vector<std::string> types;
  for (const auto& s : transport_.on("events")) types.push_back(type_of(s.payload));
  EXPECT_EQ(types, std::vector<std::string>({"rejected:malformed", "fault:disk_full"}));
  // Rate limited: the next failure within the period adds no second fault.
  rt->on_message(cmd_topic(), "junk");
  EXPECT_EQ(transport_.on("events").size(), 3u);
}

TEST_F(RuntimeTest, StateIsPublishedOnChangeAndOnHeartbeat) {
  auto rt = make(std::make_unique<MemoryReportQueue>());
  rt->on_connect(true);
  size_t after_connect = transport_.on("state").size();
  rt->tick();
  EXPECT_EQ(transport_.on("state").size(), after_connect);  // nothing changed
  clock_.advance(60);
  rt->tick();
  EXPECT_EQ(transport_.on("state").size(), after_connect + 1);  // heartbeat
  auto state = protocol::decode_state(transport_.on("state").back().payload);
  ASSERT_TRUE(state);
  EXPECT_TRUE(state->online);
  EXPECT_EQ(state->queued_reports, std::int64_t{0});
}

// What plays reaches the state once it held state_settle_s (the events said it at once);
// volume and power at once.
TEST_F(RuntimeTest, WhatPlaysReachesTheStateOnceSettledSettingsAtOnce) {
  auto pair = crypto_.signing_keypair();
  const protocol::SigningKey key{protocol::key_id(crypto_, pair.public_key), pair.public_key,
                                 pair.secret_key};
  bundle_.keys = {{key.kid, key.public_key}};
  const std::string audio(4000, 'x');
  const std::string sha = crypto_.sha256_hex(audio);
  std::filesystem::create_directories(cache_.dir());
  std::FILE* f = std::fopen((cache_.dir() + "/" + sha).c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(audio.data(), 1, audio.size(), f), audio.size());
  std::fclose(f);
  auto rt = make(std::make_unique<MemoryReportQueue>());
  rt->on_connect(true);
  const size_t states = transport_.on("state").size();
  auto sealed = [&](std::int64_t seq, protocol::Payload data, const std::string& topic) {
    protocol::Message m;
    m.seq = seq;
    m.iat = clock_.now();
    m.exp = clock_.now() + protocol::kOrderLifetimeSeconds;
    m.to = std::string(protocol::address_of(topic));
    m.data = std::move(data);
    return protocol::seal(crypto_, key, m);
  };
  protocol::PlayOrder order;
  order.order = "o1";
  order.priority = Priority::kEmergency;
  protocol::PlayItem item;
  item.sha256 = sha;
  item.bytes = static_cast<std::int64_t>(audio.size());
  item.duration_ms = 600'000;
  order.items = {item};
  rt->on_message(cmd_topic(), sealed(1, order, cmd_topic()));
  ASSERT_EQ(transport_.on("events").size(), 1u);
  EXPECT_EQ(type_of(transport_.on("events")[0].payload), "playing:");
  EXPECT_EQ(transport_.on("state").size(), states);  // not yet: the event told it
  clock_.advance(2);
  rt->tick();
  EXPECT_EQ(transport_.on("state").size(), states);
  clock_.advance(1);
  rt->tick();
  ASSERT_EQ(transport_.on("state").size(), states + 1);
  auto state = protocol::decode_state(transport_.on("state").back().payload);
  ASSERT_TRUE(state && state->playing);
  EXPECT_EQ(state->playing->order.value_or(""), "o1");
  rt->tick();
  EXPECT_EQ(transport_.on("state").size(), states + 1);  // said once

  protocol::Settings quieter;
  quieter.volume = 35;
  const std::string settings_topic =
      protocol::device_topic(kDevice, protocol::DeviceLeaf::kSettings);
  rt->on_message(settings_topic, sealed(2, quieter, settings_topic));
  ASSERT_EQ(transport_.on("state").size(), states + 2);  // at once
  EXPECT_EQ(protocol::decode_state(transport_.on("state").back().payload)->volume, 35);
}

TEST_F(RuntimeTest, ReportQueueOnDiskSurvivesARestartOfTheRuntime) {
  {
    auto queue = DiskReportQueue::open((dir_ / "reports.log").string());
    ASSERT_TRUE(queue);
    transport_.up = false;
    auto rt = make(std::move(queue.value()));
    rt->on_message(cmd_topic(), "junk");
    EXPECT_EQ(rt->queued_reports(), 1u);
  }
  auto queue = DiskReportQueue::open((dir_ / "reports.log").string());
  ASSERT_TRUE(queue);
  transport_.up = true;
  auto rt = make(std::move(queue.value()));
  rt->on_connect(true);
  auto events = transport_.on("events");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(type_of(events[0].payload), "rejected:malformed");
}

}  // namespace
}  // namespace nguon::agent
