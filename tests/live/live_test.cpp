// Live broadcast's core (core/live/): Ogg Opus framing checked by decoding real libopus packets
// back with libopusfile; the mount's fan-out, lag cut-off and end; the live desk over a real
// SQLite store and the real DeviceService with a recording bus (orders opened and verified as a
// device would): levels, conflicts and preemption, scope, the one-time microphone token, packet
// validation, timeouts on a manual clock, stop rights and visibility.
#include <gtest/gtest.h>
#include <opus/opus.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/live/live_desk.h"
#include "core/live/live_mount.h"
#include "core/live/ogg_opus.h"
#include "tests/devices/device_fakes.h"
#include "tests/support/ogg_opus_decode.h"

namespace nguon::live {
namespace {

using testing::principal;

const RequestOrigin kOrigin{"tester", "127.0.0.1"};

// `count` real Opus packets (20 ms, 48 kHz mono) of a 440 Hz tone.
std::vector<std::string> tone_packets(int count) {
  int err = 0;
  OpusEncoder* enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_AUDIO, &err);
  EXPECT_EQ(err, OPUS_OK);
  std::vector<std::string> out;
  std::vector<opus_int16> pcm(960);
  unsigned char buf[1500];
  for (int p = 0; p < count; ++p) {
    for (int i = 0; i < 960; ++i) {
      pcm[i] = static_cast<opus_int16>(8000 * std::sin(2 * M_PI * 440 * (p * 960 + i) / 48000.0));
    }
    const int n = opus_encode(enc, pcm.data(), 960, buf, sizeof buf);
    EXPECT_GT(n, 0);
    out.emplace_back(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
  }
  opus_encoder_destroy(enc);
  return out;
}

using testing::decoded_opus_samples;

TEST(OggOpus, PacketDurationsFollowTheTableOfContents) {
  EXPECT_EQ(opus_packet_samples(std::string(1, static_cast<char>(0xf8))), 960);   // CELT FB 20 ms
  EXPECT_EQ(opus_packet_samples(std::string(1, static_cast<char>(0x08))), 960);   // SILK NB 20 ms
  EXPECT_EQ(opus_packet_samples(std::string(1, static_cast<char>(0x18))), 2880);  // SILK 60 ms
  EXPECT_EQ(opus_packet_samples(std::string(1, static_cast<char>(0xf9))), 1920);  // two frames
  EXPECT_EQ(opus_packet_samples(std::string{static_cast<char>(0xfb), 3}), 2880);  // code 3, 3
  EXPECT_EQ(opus_packet_samples(std::string{static_cast<char>(0xfb), 0}), 0);     // no frame
  EXPECT_EQ(opus_packet_samples(std::string{static_cast<char>(0x1b), 3}), 0);     // 180 ms > 120
  EXPECT_EQ(opus_packet_samples(std::string(1, static_cast<char>(0xfb))), 0);     // count missing
  EXPECT_EQ(opus_packet_samples(""), 0);
  EXPECT_EQ(opus_packet_samples(std::string(kMaxOpusPacket + 1, '\xf8')), 0);
}

TEST(OggOpus, RealPacketsFramedHereDecodeWithLibopusfile) {
  OggOpusWriter w(0x1234, {1, 48000, 312, "nguon", "Thông báo khẩn"});
  std::string ogg = w.header_pages();
  ASSERT_EQ(ogg.substr(0, 4), "OggS");
  EXPECT_NE(ogg.find("OpusHead"), std::string::npos);
  EXPECT_NE(ogg.find("TITLE=Thông báo khẩn"), std::string::npos);
  for (const std::string& p : tone_packets(50)) {  // one second
    auto page = w.page_for(p);
    ASSERT_TRUE(page.ok());
    ogg += page.value();
  }
  EXPECT_EQ(w.granule(), 50 * 960);
  ogg += w.end_page();
  EXPECT_EQ(decoded_opus_samples(ogg), 50 * 960 - 312);  // pre-skip trimmed by the decoder
  // A flipped byte breaks the page's CRC: libopusfile skips that page.
  std::string damaged = ogg;
  damaged[damaged.size() / 2] ^= 0x55;
  EXPECT_LT(decoded_opus_samples(damaged), 50 * 960 - 312);
}

TEST(OggOpus, LargePacketsUseSeveralLacingValues) {
  OggOpusWriter w(7, {});
  std::string packet(510, '\x01');
  packet[0] = static_cast<char>(0xf8);
  auto page = w.page_for(packet);
  ASSERT_TRUE(page.ok());
  // 27-byte header, 3 lacing values (255, 255, 0), the packet.
  EXPECT_EQ(static_cast<unsigned char>(page.value()[26]), 3);
  EXPECT_EQ(page.value().size(), 27 + 3 + 510);
  EXPECT_FALSE(w.page_for("").ok());
}

TEST(LiveMountTest, ListenersGetTheHeadersThenWhatFollowsTheirJoining) {
  LiveMount mount("HEAD", 100);
  mount.publish("before");
  auto a = mount.listen();
  int wakes = 0;
  a->set_waker([&wakes] { ++wakes; });
  mount.publish("one");
  auto b = mount.listen();
  mount.publish("two");
  std::string got;
  EXPECT_TRUE(a->read(got));
  EXPECT_EQ(got, "HEADonetwo");
  EXPECT_EQ(wakes, 2);
  got.clear();
  EXPECT_TRUE(b->read(got));
  EXPECT_EQ(got, "HEADtwo");
  EXPECT_EQ(mount.listeners(), 2U);
  b->close();
  EXPECT_EQ(mount.listeners(), 1U);
  mount.end("END");
  got.clear();
  EXPECT_FALSE(a->read(got));
  EXPECT_EQ(got, "END");
  EXPECT_EQ(mount.listen(), nullptr);
}

TEST(LiveMountTest, ASlowListenerIsCutOffNotBuffered) {
  LiveMount mount("H", 10);
  auto slow = mount.listen();
  auto fast = mount.listen();
  std::string got;
  for (int i = 0; i < 5; ++i) {
    mount.publish("abc");
    got.clear();
    EXPECT_TRUE(fast->read(got));
  }
  got.clear();
  EXPECT_FALSE(slow->read(got));  // 15 bytes queued > 10: ended
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(mount.listeners(), 1U);
}

class LiveDeskTest : public ::testing::Test {
 protected:
  LiveDeskTest() : desk_(w_.db.store(), w_.clock, w_.crypto, *w_.service, options()) {
    for (access::Principal* p :
         {&commune_op_, &other_commune_op_, &province_op_, &viewer_, &nation_admin_}) {
      p->user_id = stored_user(*p);
    }
  }
  // Orders record who gave them: the principals are real users of the store.
  std::int64_t stored_user(const access::Principal& p) {
    std::int64_t id = 0;
    Status s = w_.db.store().write([&](Tx& tx) -> Status {
      User u;
      u.username = p.username;
      u.display_name = p.username;
      u.unit_code = p.unit_code;
      u.password_hash = "x";
      auto inserted = tx.insert_user(u);
      if (!inserted) return inserted.error();
      id = inserted.value();
      return {};
    });
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
    return id;
  }
  static LiveOptions options() {
    LiveOptions o;
    o.stream_base_url = "http://nguon.test";
    o.max_seconds = 3600;
    o.connect_seconds = 30;
    o.silence_seconds = 20;
    return o;
  }
  std::string device(const std::string& serial, const std::string& commune) {
    return w_.add_cluster(nation_admin_, serial, commune);
  }
  StartedLive must_start(const access::Principal& p, std::vector<std::string> areas) {
    auto r = desk_.start(p, {std::move(areas), "Thông báo"}, kOrigin);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().code + ": " + r.error().message);
    return r.ok() ? r.value() : StartedLive{};
  }
  bool stop_sent_for(const std::string& order) {
    for (const auto& [topic, m] : w_.opened_messages()) {
      if (const auto* s = std::get_if<protocol::StopOrder>(&m.data); s && s->order == order) {
        return true;
      }
    }
    return false;
  }

  testing::DeviceWorld w_;
  LiveDesk desk_;
  access::Principal commune_op_ = principal("xa", Role::kStationOperator, "14797", "VN/38/14797/");
  access::Principal other_commune_op_ =
      principal("xa2", Role::kStationOperator, "16597", "VN/38/16597/");
  access::Principal province_op_ = principal("tinh", Role::kStationOperator, "38", "VN/38/");
  access::Principal viewer_ = principal("xem", Role::kViewer, "14797", "VN/38/14797/");
  access::Principal nation_admin_ = principal("admin", Role::kAdmin, "VN", "VN/");
};

TEST_F(LiveDeskTest, ACommuneLiveOrdersItsDevicesToRelayTheMount) {
  device("SN-A", "14797");
  device("SN-B", "16597");
  const StartedLive s = must_start(commune_op_, {"14797"});
  EXPECT_EQ(s.session.level, LiveLevel::kCommune);
  EXPECT_EQ(s.session.state, LiveState::kWaiting);
  EXPECT_EQ(s.session.devices, 1U);
  EXPECT_EQ(s.audio_token.size(), 32U);
  ASSERT_TRUE(s.session.stream_url.starts_with("http://nguon.test/live/"));
  const auto msgs = w_.opened_messages();
  ASSERT_EQ(msgs.size(), 1U);
  EXPECT_EQ(msgs[0].first, "nguon/v1/a/14797/cmd");
  const auto* play = std::get_if<protocol::PlayOrder>(&msgs[0].second.data);
  ASSERT_NE(play, nullptr);
  EXPECT_EQ(play->order, s.session.order);
  EXPECT_EQ(play->priority, Priority::kPriority);
  ASSERT_EQ(play->items.size(), 1U);
  EXPECT_EQ(play->items[0].kind, protocol::ItemKind::kStream);
  EXPECT_EQ(play->items[0].url, s.session.stream_url);
  EXPECT_EQ(play->items[0].duration_s, 3600);
  // The mount serves the headers at once, then the packets as Ogg pages.
  const std::string mount =
      s.session.stream_url.substr(std::string("http://nguon.test/live/").size(), 32);
  auto listener = desk_.listen(mount);
  ASSERT_NE(listener, nullptr);
  EXPECT_EQ(desk_.listen("0123"), nullptr);
  auto feed = desk_.connect(commune_op_, s.session.id, s.audio_token);
  ASSERT_TRUE(feed.ok()) << feed.error().message;
  for (const std::string& p : tone_packets(25)) ASSERT_TRUE(feed.value()->push(p).ok());
  auto view = desk_.get(commune_op_, s.session.id);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->state, LiveState::kOnAir);
  EXPECT_EQ(view->packets, 25);
  EXPECT_EQ(view->listeners, 1U);
  std::string heard;
  EXPECT_TRUE(listener->read(heard));
  // The console closes the socket normally: the session ends as stopped, devices are told.
  feed.value()->closed(true);
  EXPECT_FALSE(listener->read(heard));
  EXPECT_EQ(decoded_opus_samples(heard), 25 * 960 - 312);
  view = desk_.get(commune_op_, s.session.id);
  EXPECT_EQ(view->state, LiveState::kEnded);
  EXPECT_EQ(view->end_reason, "stopped");
  EXPECT_TRUE(stop_sent_for(s.session.order));
  EXPECT_EQ(desk_.listen(mount), nullptr);
}

TEST_F(LiveDeskTest, TheMicrophoneTokenWorksOnceForItsOperatorOnly) {
  const StartedLive s = must_start(commune_op_, {"14797"});
  EXPECT_EQ(desk_.connect(province_op_, s.session.id, s.audio_token).error().code, "invalid_token");
  EXPECT_EQ(desk_.connect(commune_op_, s.session.id, std::string(32, '0')).error().code,
            "invalid_token");
  auto feed = desk_.connect(commune_op_, s.session.id, s.audio_token);
  ASSERT_TRUE(feed.ok());
  EXPECT_EQ(desk_.connect(commune_op_, s.session.id, s.audio_token).error().code, "invalid_token");
  EXPECT_EQ(desk_.connect(commune_op_, "nope", s.audio_token).error().code, "not_found");
  // Not Opus: refused, the session goes on.
  EXPECT_EQ(feed.value()->push("").error().code, "invalid_field");
  EXPECT_EQ(feed.value()->push(std::string{static_cast<char>(0xfb), 0}).error().code,
            "invalid_field");
  EXPECT_TRUE(feed.value()->push(tone_packets(1)[0]).ok());
  // A broken connection ends it as disconnected; later packets are refused.
  feed.value()->closed(false);
  EXPECT_EQ(desk_.get(commune_op_, s.session.id)->end_reason, "disconnected");
  EXPECT_EQ(feed.value()->push(tone_packets(1)[0]).error().code, "live_ended");
}

TEST_F(LiveDeskTest, AudioFasterThanRealTimeIsRefused) {
  const StartedLive s = must_start(commune_op_, {"14797"});
  auto feed = desk_.connect(commune_op_, s.session.id, s.audio_token);
  ASSERT_TRUE(feed.ok());
  const std::string packet = tone_packets(1)[0];  // 20 ms
  int accepted = 0;
  while (accepted < 1000 && feed.value()->push(packet).ok()) ++accepted;
  EXPECT_EQ(accepted, 549);  // just under 11 s within one second: 10 s ahead at most
  EXPECT_EQ(feed.value()->push(packet).error().code, "faster_than_real_time");
  w_.clock.advance(5);  // time passes: 5 s more may come
  for (int i = 0; i < 250; ++i) ASSERT_TRUE(feed.value()->push(packet).ok()) << i;
  EXPECT_FALSE(feed.value()->push(packet).ok());
}

TEST_F(LiveDeskTest, OnlyStationOperatorsOfTheAreaGoLive) {
  EXPECT_EQ(desk_.start(other_commune_op_, {{"14797"}, ""}, kOrigin).error().code, "forbidden");
  EXPECT_EQ(desk_.start(viewer_, {{"14797"}, ""}, kOrigin).error().code, "forbidden");
  EXPECT_EQ(desk_.start(commune_op_, {{}, ""}, kOrigin).error().code, "invalid_field");
  EXPECT_EQ(desk_.start(commune_op_, {{"99999"}, ""}, kOrigin).error().code, "invalid_reference");
  EXPECT_EQ(desk_.start(commune_op_, {{"14797"}, std::string(201, 'x')}, kOrigin).error().code,
            "invalid_field");
  EXPECT_EQ(desk_.start(commune_op_, {{"14797"}, "\xff"}, kOrigin).error().code, "invalid_field");
  EXPECT_TRUE(w_.bus.sent.empty());
}

TEST_F(LiveDeskTest, AHigherLevelPreemptsALowerOneAndTheSameLevelIsRefused) {
  device("SN-A", "14797");
  const StartedLive commune = must_start(commune_op_, {"14797"});
  // The same level on an overlapping area: refused, naming who is on air.
  auto again = desk_.start(commune_op_, {{"14797"}, ""}, kOrigin);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "live_conflict");
  EXPECT_NE(again.error().message.find("xa"), std::string::npos);
  // Another commune does not overlap.
  const StartedLive elsewhere = must_start(other_commune_op_, {"16597"});
  // The province takes 14797 (and its whole province): both commune lives end as preempted,
  // and their orders are stopped after the province's order went out.
  const StartedLive province = must_start(province_op_, {"38"});
  EXPECT_EQ(province.session.level, LiveLevel::kProvince);
  EXPECT_EQ(desk_.get(commune_op_, commune.session.id)->end_reason, "preempted");
  EXPECT_EQ(desk_.get(other_commune_op_, elsewhere.session.id)->end_reason, "preempted");
  EXPECT_TRUE(stop_sent_for(commune.session.order));
  EXPECT_TRUE(stop_sent_for(elsewhere.session.order));
  EXPECT_FALSE(stop_sent_for(province.session.order));
  // A commune cannot go over the province.
  EXPECT_EQ(desk_.start(commune_op_, {{"14797"}, ""}, kOrigin).error().code, "live_conflict");
  // The nation can.
  const StartedLive nation = must_start(nation_admin_, {"14797"});
  EXPECT_EQ(nation.session.level, LiveLevel::kNation);
  EXPECT_EQ(desk_.get(province_op_, province.session.id)->end_reason, "preempted");
}

TEST_F(LiveDeskTest, TimeoutsEndSessionsWithoutMicrophoneOrAudioAndTooLongOnes) {
  const StartedLive never = must_start(commune_op_, {"14797"});
  w_.clock.advance(29);
  desk_.tick();
  EXPECT_EQ(desk_.get(commune_op_, never.session.id)->state, LiveState::kWaiting);
  w_.clock.advance(1);
  desk_.tick();
  EXPECT_EQ(desk_.get(commune_op_, never.session.id)->end_reason, "no_audio");

  const StartedLive silent = must_start(commune_op_, {"14797"});
  auto feed = desk_.connect(commune_op_, silent.session.id, silent.audio_token);
  ASSERT_TRUE(feed.ok());
  const auto packets = tone_packets(1);
  for (int i = 0; i < 3; ++i) {
    w_.clock.advance(10);
    ASSERT_TRUE(feed.value()->push(packets[0]).ok());
    desk_.tick();
  }
  EXPECT_EQ(desk_.get(commune_op_, silent.session.id)->state, LiveState::kOnAir);
  w_.clock.advance(20);
  desk_.tick();
  EXPECT_EQ(desk_.get(commune_op_, silent.session.id)->end_reason, "no_audio");

  const StartedLive longest = must_start(commune_op_, {"14797"});
  auto feed2 = desk_.connect(commune_op_, longest.session.id, longest.audio_token);
  ASSERT_TRUE(feed2.ok());
  for (int t = 0; t < 3600; t += 10) {
    w_.clock.advance(10);
    ASSERT_TRUE(feed2.value()->push(packets[0]).ok());
    desk_.tick();
  }
  EXPECT_EQ(desk_.get(commune_op_, longest.session.id)->end_reason, "max_duration");
  // A session ended elsewhere closes the microphone's connection.
  int closed_with = 0;
  feed2.value()->on_end([&closed_with](int code, const std::string&) { closed_with = code; });
  EXPECT_EQ(closed_with, 1000);
}

TEST_F(LiveDeskTest, StopRightsVisibilityAndShutdown) {
  const StartedLive s = must_start(commune_op_, {"14797"});
  EXPECT_EQ(desk_.get(other_commune_op_, s.session.id).error().code, "not_found");
  EXPECT_TRUE(desk_.get(viewer_, s.session.id).ok());
  EXPECT_TRUE(desk_.list(other_commune_op_).empty());
  ASSERT_EQ(desk_.list(province_op_).size(), 1U);
  EXPECT_EQ(desk_.stop(viewer_, s.session.id, kOrigin).error().code, "forbidden");
  int closed_with = 0;
  auto feed = desk_.connect(commune_op_, s.session.id, s.audio_token);
  ASSERT_TRUE(feed.ok());
  feed.value()->on_end([&closed_with](int code, const std::string&) { closed_with = code; });
  auto stopped = desk_.stop(province_op_, s.session.id, kOrigin);  // above it: may stop it
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->state, LiveState::kEnded);
  EXPECT_EQ(stopped->end_reason, "stopped");
  EXPECT_EQ(closed_with, 1000);
  EXPECT_TRUE(stop_sent_for(s.session.order));
  // Stopping again changes nothing; shutdown ends what is left.
  EXPECT_TRUE(desk_.stop(commune_op_, s.session.id, kOrigin).ok());
  const StartedLive other = must_start(commune_op_, {"14797"});
  desk_.end_all("shutdown");
  EXPECT_EQ(desk_.get(commune_op_, other.session.id)->end_reason, "shutdown");
  // The list: ended ones after active ones, newest first.
  const auto all = desk_.list(commune_op_);
  ASSERT_EQ(all.size(), 2U);
}

}  // namespace
}  // namespace nguon::live
