#include "core/protocol.h"

#include <gtest/gtest.h>

#include "adapters/crypto/sodium_crypto.h"

namespace nguon::protocol {
namespace {

class ProtocolTest : public ::testing::Test {
 protected:
  ProtocolTest() {
    auto kp = crypto_.signing_keypair();
    key_ = {key_id(crypto_, kp.public_key), kp.public_key, kp.secret_key};
    pinned_ = {{key_.kid, key_.public_key}};
  }

  Message play_for(std::string_view topic) {
    PlayOrder order{"o7", Priority::kEmergency, 2, 90, {media_item()}};
    return Message{41, kNow, kNow + kOrderLifetimeSeconds, std::string(address_of(topic)), order};
  }
  static PlayItem media_item() {
    return {ItemKind::kMedia, std::string(64, 'a'), 1234, 61000, "", 0, "Tin bão số 3"};
  }
  Result<Message> open_at(std::string_view topic, std::string_view payload, UnixTime now = kNow) {
    return open(crypto_, pinned_, topic, payload, now);
  }

  static constexpr UnixTime kNow = 1'790'000'000;
  SodiumCrypto crypto_{Argon2Profile::kMin};
  SigningKey key_;
  std::vector<PinnedKey> pinned_;
};

TEST_F(ProtocolTest, SealedOrderOpensToTheSameMessage) {
  const std::string topic = area_topic("14797");
  const Message m = play_for(topic);
  auto opened = open_at(topic, seal(crypto_, key_, m));
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(*opened, m);
  EXPECT_EQ(opened->type(), MessageType::kPlay);
}

TEST_F(ProtocolTest, ManifestRoundTrips) {
  const std::string topic = device_topic("d0123456789abcdef", DeviceLeaf::kManifest);
  Manifest manifest{
      60,
      {Slot{
          "p3@1790001000",
          1'790'001'000,
          1'790'002'800,
          Priority::kNormal,
          {media_item(), {ItemKind::kStream, "", 0, 0, "https://vov.vn/vov1.ogg", 900, "VOV1"}}}}};
  Message m{42, kNow, kNow + 86400 * 3, std::string(address_of(topic)), manifest};
  auto opened = open_at(topic, seal(crypto_, key_, m));
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(*opened, m);
}

TEST_F(ProtocolTest, RefusesEveryForgery) {
  const std::string topic = area_topic("14797");
  const std::string sealed = seal(crypto_, key_, play_for(topic));

  // Unsigned: a bare body.
  EXPECT_EQ(open_at(topic, encode_body(play_for(topic))).error().code, "malformed");
  std::string unsigned_env = sealed;
  unsigned_env.replace(unsigned_env.find("\"sig\""), 5, "\"xig\"");
  EXPECT_EQ(open_at(topic, unsigned_env).error().code, "bad_signature");

  // Tampered: one character of the body changed (priority lowered to normal).
  std::string tampered = sealed;
  tampered.replace(tampered.find("emergency"), 9, "normal\\u0020\\u0020");
  EXPECT_EQ(open_at(topic, tampered).error().code, "bad_signature");
  std::string repeat_changed = sealed;
  repeat_changed.replace(repeat_changed.find("\\\"repeat\\\":2"), 12, "\\\"repeat\\\":9");
  EXPECT_EQ(open_at(topic, repeat_changed).error().code, "bad_signature");

  // Signed by a key the device does not pin.
  auto other = crypto_.signing_keypair();
  SigningKey stranger{key_id(crypto_, other.public_key), other.public_key, other.secret_key};
  EXPECT_EQ(open_at(topic, seal(crypto_, stranger, play_for(topic))).error().code, "unknown_key");
  // A known kid with a stranger's signature.
  SigningKey impostor{key_.kid, other.public_key, other.secret_key};
  EXPECT_EQ(open_at(topic, seal(crypto_, impostor, play_for(topic))).error().code, "bad_signature");

  // Replayed onto another commune's topic.
  EXPECT_EQ(open_at(area_topic("16597"), sealed).error().code, "misaddressed");

  // Expired, and issued too far in the future.
  EXPECT_EQ(open_at(topic, sealed, kNow + kOrderLifetimeSeconds).error().code, "expired");
  EXPECT_EQ(open_at(topic, sealed, kNow - kMaxClockSkewSeconds - 1).error().code, "expired");
}

TEST_F(ProtocolTest, RefusesMalformedInputWithoutCrashing) {
  const std::string topic = area_topic("14797");
  for (std::string_view junk :
       {"", "{", "[]", "null", "{\"v\":1}", "{\"v\":2,\"kid\":\"a\",\"sig\":\"a\",\"body\":\"{}\"}",
        "{\"v\":\"1\"}", "\xff\xfe", "{\"v\":1,\"kid\":1,\"sig\":[],\"body\":{}}"}) {
    auto r = open_at(topic, junk);
    ASSERT_FALSE(r) << junk;
  }
  EXPECT_EQ(open_at(topic, std::string(kMaxPayloadBytes + 1, ' ')).error().code, "malformed");
  EXPECT_EQ(open_at(topic, R"({"v":2,"kid":"a","sig":"a","body":"{}"})").error().code,
            "unsupported_version");
}

TEST_F(ProtocolTest, UnknownTypeIsNamed) {
  const std::string topic = area_topic("14797");
  std::string body = encode_body(play_for(topic));
  body.replace(body.find("\"play\""), 6, "\"dance\"");
  auto sig = crypto_.sign_detached(key_.secret_key, body);
  std::string env =
      R"({"v":1,"kid":")" + key_.kid + R"(","sig":")" + base64_encode(sig) + R"(","body":)" + "\"";
  for (char c : body) {
    if (c == '"' || c == '\\') env += '\\';
    env += c;
  }
  env += "\"}";
  EXPECT_EQ(open_at(topic, env).error().code, "unknown_type");
}

TEST(ProtocolTopics, ParseAndValidate) {
  EXPECT_TRUE(valid_device_id("d0123456789abcdef"));
  EXPECT_FALSE(valid_device_id("d0123456789ABCDEF"));
  EXPECT_FALSE(valid_device_id("x0123456789abcdef"));
  for (auto a : {"VN", "38", "14797", "14797-003", "g1", "g12", "g12345"})
    EXPECT_TRUE(valid_area(a)) << a;
  for (auto a : {"", "V", "123", "14797-3", "g", "gx", "../x", "+", "#"}) {
    EXPECT_FALSE(valid_area(a)) << a;
  }
  auto t = parse_device_topic("nguon/v1/d/d0123456789abcdef/events");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->device_id, "d0123456789abcdef");
  EXPECT_EQ(t->leaf, DeviceLeaf::kEvents);
  EXPECT_FALSE(parse_device_topic("nguon/v1/d/d0123456789abcdef/other"));
  EXPECT_FALSE(parse_device_topic("nguon/v1/a/14797/cmd"));
  EXPECT_EQ(area_topic("14797"), "nguon/v1/a/14797/cmd");
}

TEST(ProtocolReports, EventAndStateRoundTrip) {
  Event e{"42",          EventType::kPlayed,   1'790'000'100, "p3@1790000000",
          std::nullopt,  std::string(64, 'b'), std::nullopt,  1'790'000'000,
          1'790'000'061, std::nullopt};
  auto back = decode_event(encode_event(e));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, e);
  EXPECT_FALSE(decode_event(R"({"id":"1","type":"exploded","ts":1})"));

  DeviceState s;
  s.online = true;
  s.ts = 1'790'000'000;
  s.agent = "nguon-agent/0.1";
  s.playing = NowPlaying{ItemKind::kMedia,    std::string(64, 'c'), "",
                         Priority::kPriority, std::string("p3@1"),  std::nullopt};
  s.volume = 70;
  s.power = true;
  s.temperature_c = 41.5;
  s.free_bytes = 1000;
  auto sb = decode_state(encode_state(s));
  ASSERT_TRUE(sb) << sb.error().message;
  EXPECT_EQ(*sb, s);
  auto off = decode_state(offline_state());
  ASSERT_TRUE(off);
  EXPECT_FALSE(off->online);
}

TEST(ProtocolBundle, RoundTripAndValidation) {
  Bundle b{"d0123456789abcdef",
           "127.0.0.1",
           1883,
           false,
           "secret",
           "http://127.0.0.1:8080/api/v1/device-media",
           {"VN", "38", "14797"},
           {{"0123456789abcdef", std::string(32, '\x01')}}};
  auto back = decode_bundle(encode_bundle(b));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, b);
  b.areas.push_back("../etc");
  EXPECT_FALSE(decode_bundle(encode_bundle(b)));
}

TEST(ProtocolBase64, KnownVectorsAndRejections) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_FALSE(base64_decode("Zg="));
  EXPECT_FALSE(base64_decode("Z=g="));
  EXPECT_FALSE(base64_decode("Zm9v!A=="));
}

}  // namespace
}  // namespace nguon::protocol
