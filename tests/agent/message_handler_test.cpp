// Every rejection code of docs/protocol.md, and that accepted messages reach the Player.
#include "core/agent/message_handler.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "adapters/crypto/sodium_crypto.h"
#include "tests/agent/agent_fakes.h"

namespace nguon::agent {
namespace {

using testing::EventLog;
using testing::FakeMedia;
using testing::FakeSink;

constexpr UnixTime kNow = 1'790'000'000;
const std::string kDevice = "d0123456789abcdef";

class MessageHandlerTest : public ::testing::Test {
 protected:
  MessageHandlerTest() { media_.present = {sha('a')}; }
  static protocol::SigningKey make_key(Crypto& crypto) {
    auto pair = crypto.signing_keypair();
    return {protocol::key_id(crypto, pair.public_key), pair.public_key, pair.secret_key};
  }
  static std::string sha(char c) { return std::string(64, c); }
  std::string cmd_topic() const {
    return protocol::device_topic(kDevice, protocol::DeviceLeaf::kCmd);
  }

  protocol::Message play(std::int64_t seq, std::string to = "") {
    protocol::PlayOrder o;
    o.order = "o" + std::to_string(seq);
    o.priority = Priority::kEmergency;
    protocol::PlayItem item;
    item.sha256 = sha('a');
    item.bytes = 10;
    item.duration_ms = 1000;
    o.items = {item};
    protocol::Message m;
    m.seq = seq;
    m.iat = kNow;
    m.exp = kNow + protocol::kOrderLifetimeSeconds;
    m.to = to.empty() ? std::string(protocol::address_of(cmd_topic())) : to;
    m.data = o;
    return m;
  }
  MessageHandler::Handled handle(const std::string& payload, UnixTime now = kNow) {
    return handler_.handle(cmd_topic(), payload, now);
  }
  std::string rejection() const {
    if (events_.events.empty()) return "(no event)";
    const auto& e = events_.events.back();
    if (e.type != protocol::EventType::kRejected) return "(not rejected)";
    return e.reason.value_or("");
  }

  SodiumCrypto crypto_{Argon2Profile::kMin};
  protocol::SigningKey key_ = make_key(crypto_);
  protocol::SigningKey stranger_ = make_key(crypto_);
  FakeSink sink_;
  FakeMedia media_;
  EventLog events_;
  ReplayGuard guard_;
  Player player_{sink_, media_, events_};
  MessageHandler handler_{crypto_, {{key_.kid, key_.public_key}}, guard_, player_, events_};
};

TEST_F(MessageHandlerTest, AcceptedPlayOrderPlays) {
  auto h = handle(protocol::seal(crypto_, key_, play(1)));
  EXPECT_EQ(h.outcome, MessageHandler::Outcome::kApplied);
  ASSERT_EQ(sink_.started.size(), 1u);
  EXPECT_EQ(events_.events.back().type, protocol::EventType::kPlaying);
}

TEST_F(MessageHandlerTest, Unsigned) {
  auto m = play(1);
  boost::json::object env{{"v", 1}, {"body", protocol::encode_body(m)}};
  EXPECT_EQ(handle(boost::json::serialize(env)).outcome, MessageHandler::Outcome::kRejected);
  EXPECT_EQ(rejection(), "bad_signature");
  EXPECT_TRUE(sink_.started.empty());
}

TEST_F(MessageHandlerTest, Tampered) {
  // The signature of the emergency order, on a body changed to another priority.
  auto env = boost::json::parse(protocol::seal(crypto_, key_, play(1))).as_object();
  auto tampered = protocol::encode_body(play(1));
  tampered.replace(tampered.find("emergency"), 9, "normal");
  env["body"] = tampered;
  handle(boost::json::serialize(env));
  EXPECT_EQ(rejection(), "bad_signature");
  EXPECT_TRUE(sink_.started.empty());
}

TEST_F(MessageHandlerTest, Expired) {
  handle(protocol::seal(crypto_, key_, play(1)), kNow + protocol::kOrderLifetimeSeconds);
  EXPECT_EQ(rejection(), "expired");
  auto future = play(2);
  future.iat = kNow + 3600;
  future.exp = kNow + 4200;
  handle(protocol::seal(crypto_, key_, future));
  EXPECT_EQ(rejection(), "expired");
  EXPECT_TRUE(sink_.started.empty());
}

TEST_F(MessageHandlerTest, Replayed) {
  std::string sealed = protocol::seal(crypto_, key_, play(1));
  EXPECT_EQ(handle(sealed).outcome, MessageHandler::Outcome::kApplied);
  EXPECT_EQ(handle(sealed, kNow + 1).outcome, MessageHandler::Outcome::kRejected);
  EXPECT_EQ(rejection(), "replayed");
  EXPECT_EQ(sink_.started.size(), 1u);
}

TEST_F(MessageHandlerTest, UnknownKey) {
  handle(protocol::seal(crypto_, stranger_, play(1)));
  EXPECT_EQ(rejection(), "unknown_key");
  EXPECT_TRUE(sink_.started.empty());
}

TEST_F(MessageHandlerTest, Misaddressed) {
  handle(protocol::seal(crypto_, key_, play(1, "d/dffffffffffffffff/cmd")));
  EXPECT_EQ(rejection(), "misaddressed");
  EXPECT_TRUE(sink_.started.empty());
}

TEST_F(MessageHandlerTest, Oversized) {
  std::string big(protocol::kMaxPayloadBytes + 1, ' ');
  EXPECT_EQ(handle(big).outcome, MessageHandler::Outcome::kRejected);
  EXPECT_EQ(rejection(), "malformed");
}

TEST_F(MessageHandlerTest, Malformed) {
  handle("not json");
  EXPECT_EQ(rejection(), "malformed");
}

TEST_F(MessageHandlerTest, UnsupportedVersion) {
  auto env = boost::json::parse(protocol::seal(crypto_, key_, play(1))).as_object();
  env["v"] = 2;
  handle(boost::json::serialize(env));
  EXPECT_EQ(rejection(), "unsupported_version");
}

TEST_F(MessageHandlerTest, UnknownType) {
  auto body = boost::json::parse(protocol::encode_body(play(1))).as_object();
  body["type"] = "dance";
  std::string text = boost::json::serialize(body);
  boost::json::object env{
      {"v", 1},
      {"kid", key_.kid},
      {"sig", protocol::base64_encode(crypto_.sign_detached(key_.secret_key, text))},
      {"body", text}};
  handle(boost::json::serialize(env));
  EXPECT_EQ(rejection(), "unknown_type");
}

TEST_F(MessageHandlerTest, RetainedManifestRedeliveredIsSilentlyIgnored) {
  protocol::Message m;
  m.seq = 7;
  m.iat = kNow;
  m.exp = kNow + 86400;
  std::string topic = protocol::device_topic(kDevice, protocol::DeviceLeaf::kManifest);
  m.to = std::string(protocol::address_of(topic));
  m.data = protocol::Manifest{};
  std::string sealed = protocol::seal(crypto_, key_, m);
  EXPECT_EQ(handler_.handle(topic, sealed, kNow).outcome, MessageHandler::Outcome::kApplied);
  EXPECT_EQ(handler_.handle(topic, sealed, kNow + 5).outcome, MessageHandler::Outcome::kDuplicate);
  EXPECT_TRUE(events_.events.empty());
  m.seq = 6;
  EXPECT_EQ(handler_.handle(topic, protocol::seal(crypto_, key_, m), kNow + 5).outcome,
            MessageHandler::Outcome::kRejected);
  EXPECT_EQ(rejection(), "replayed");
}

TEST_F(MessageHandlerTest, RebootIsReportedToTheRuntime) {
  auto m = play(3);
  m.data = protocol::RebootOrder{};
  EXPECT_EQ(handle(protocol::seal(crypto_, key_, m)).outcome, MessageHandler::Outcome::kReboot);
}

}  // namespace
}  // namespace nguon::agent
