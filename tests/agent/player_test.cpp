// The play scheduler: priorities, preemption and resume, slot ends, clock jumps, missing media,
// no double plays. Time is manual; the sink is scripted.
#include "core/agent/player.h"

#include <gtest/gtest.h>

#include "tests/agent/agent_fakes.h"

namespace nguon::agent {
namespace {

using testing::EventLog;
using testing::FakeMedia;
using testing::FakeSink;
using testing::media;
using testing::stream;
using Strings = std::vector<std::string>;

constexpr UnixTime kT0 = 1'790'000'000;

protocol::Slot slot(const std::string& id, UnixTime start, UnixTime end,
                    std::vector<protocol::PlayItem> items, Priority p = Priority::kNormal) {
  protocol::Slot s;
  s.id = id;
  s.start = start;
  s.end = end;
  s.priority = p;
  s.items = std::move(items);
  return s;
}

protocol::PlayOrder order(const std::string& id, Priority p, std::vector<protocol::PlayItem> items,
                          int repeat = 1) {
  protocol::PlayOrder o;
  o.order = id;
  o.priority = p;
  o.items = std::move(items);
  o.repeat = repeat;
  return o;
}

class PlayerTest : public ::testing::Test {
 protected:
  PlayerTest() { media_.present = {"a1", "a2", "a3", "e1", "e2", "p1", "n1", "n2"}; }
  void manifest(std::vector<protocol::Slot> slots) {
    protocol::Manifest m;
    m.volume = 60;
    m.slots = std::move(slots);
    player_.set_manifest(m, now_);
  }
  void at(UnixTime t) {
    now_ = t;
    player_.tick(now_);
  }
  // The sha256 of every item the sink started, in order.
  Strings started() const {
    Strings out;
    for (const auto& i : sink_.started) out.push_back(i.sha256);
    return out;
  }

  FakeSink sink_;
  FakeMedia media_;
  EventLog events_;
  Player player_{sink_, media_, events_};
  UnixTime now_ = kT0;
};

TEST_F(PlayerTest, SlotPlaysItsItemsInOrderFromItsStart) {
  manifest({slot("s@1", kT0 + 10, kT0 + 100, {media("a1"), media("a2")})});
  EXPECT_TRUE(sink_.started.empty());
  at(kT0 + 9);
  EXPECT_TRUE(sink_.started.empty());
  at(kT0 + 10);
  EXPECT_EQ(started(), Strings({"a1"}));
  EXPECT_EQ(sink_.paths[0], "/cache/a1");
  EXPECT_EQ(sink_.volume, 60);
  ASSERT_TRUE(player_.now_playing());
  EXPECT_EQ(player_.now_playing()->slot, "s@1");
  sink_.finish();
  at(kT0 + 20);
  EXPECT_EQ(started(), Strings({"a1", "a2"}));
  sink_.finish();
  at(kT0 + 30);
  EXPECT_FALSE(player_.now_playing());
  EXPECT_EQ(events_.summary(), Strings({"playing", "played", "playing", "played"}));
  EXPECT_EQ(events_.events[1].slot, "s@1");
  EXPECT_EQ(events_.events[1].started, kT0 + 10);
  EXPECT_EQ(events_.events[1].ended, kT0 + 20);
  EXPECT_TRUE(player_.finished_slots().contains("s@1"));
  at(kT0 + 40);
  EXPECT_EQ(sink_.started.size(), 2u);  // never again
}

TEST_F(PlayerTest, SlotEndStopsPlayback) {
  manifest({slot("s@1", kT0, kT0 + 60, {media("a1"), media("a2")})});
  EXPECT_EQ(started(), Strings({"a1"}));
  at(kT0 + 60);
  EXPECT_FALSE(player_.now_playing());
  EXPECT_FALSE(sink_.playing);
  EXPECT_EQ(events_.summary(), Strings({"playing", "interrupted:slot_end"}));
  at(kT0 + 61);
  EXPECT_EQ(sink_.started.size(), 1u);
}

TEST_F(PlayerTest, HigherPriorityPreemptsAndTheSlotResumesFromItsNextItem) {
  manifest({slot("s@1", kT0, kT0 + 600, {media("a1"), media("a2"), media("a3")})});
  EXPECT_EQ(started(), Strings({"a1"}));
  player_.add_order(order("o1", Priority::kEmergency, {media("e1")}), kT0 + 5);
  EXPECT_EQ(started(), Strings({"a1", "e1"}));
  EXPECT_EQ(player_.now_playing()->order, "o1");
  EXPECT_EQ(player_.now_playing()->priority, Priority::kEmergency);
  sink_.finish();
  at(kT0 + 20);
  // a1 was interrupted: the slot resumes from a2.
  EXPECT_EQ(started(), Strings({"a1", "e1", "a2"}));
  EXPECT_EQ(events_.summary(),
            Strings({"playing", "interrupted:preempted", "playing", "played", "playing"}));
  EXPECT_EQ(events_.events[1].slot, "s@1");
  EXPECT_EQ(events_.events[3].order, "o1");
}

TEST_F(PlayerTest, InterruptedSlotDoesNotResumeAfterItsEnd) {
  manifest({slot("s@1", kT0, kT0 + 30, {media("a1"), media("a2")})});
  player_.add_order(order("o1", Priority::kPriority, {media("p1")}), kT0 + 1);
  at(kT0 + 40);
  sink_.finish();
  at(kT0 + 41);
  EXPECT_EQ(started(), Strings({"a1", "p1"}));
}

TEST_F(PlayerTest, EqualPriorityWaitsForTheCurrentOne) {
  manifest({slot("s@1", kT0, kT0 + 600, {media("a1"), media("a2")})});
  player_.add_order(order("o1", Priority::kNormal, {media("n1")}), kT0 + 1);
  EXPECT_EQ(started(), Strings({"a1"}));
  sink_.finish();
  at(kT0 + 10);
  EXPECT_EQ(started(), Strings({"a1", "a2"}));  // the slot's own playlist continues
  sink_.finish();
  at(kT0 + 20);
  EXPECT_EQ(started(), Strings({"a1", "a2", "n1"}));
  EXPECT_EQ(player_.now_playing()->order, "o1");
}

TEST_F(PlayerTest, LowerPriorityNeverInterrupts) {
  player_.add_order(order("o1", Priority::kEmergency, {media("e1")}), kT0);
  player_.add_order(order("o2", Priority::kNormal, {media("n1")}), kT0 + 1);
  EXPECT_EQ(started(), Strings({"e1"}));
  sink_.finish();
  at(kT0 + 5);
  EXPECT_EQ(started(), Strings({"e1", "n1"}));
}

TEST_F(PlayerTest, EmergencyPreemptsPriorityWhichPreemptsNormal) {
  player_.add_order(order("n", Priority::kNormal, {media("n1"), media("n2")}), kT0);
  player_.add_order(order("p", Priority::kPriority, {media("p1")}), kT0 + 1);
  player_.add_order(order("e", Priority::kEmergency, {media("e1")}), kT0 + 2);
  EXPECT_EQ(started(), Strings({"n1", "p1", "e1"}));
  sink_.finish();
  at(kT0 + 3);
  EXPECT_EQ(started(), Strings({"n1", "p1", "e1", "n2"}));
  EXPECT_EQ(events_.summary(), Strings({"playing", "interrupted:preempted", "playing",
                                        "interrupted:preempted", "playing", "played", "playing"}));
}

TEST_F(PlayerTest, OrderRepeatsAndUsesItsVolume) {
  auto o = order("o1", Priority::kNormal, {media("n1")}, 3);
  o.volume = 100;
  player_.add_order(o, kT0);
  EXPECT_EQ(sink_.volume, 100);
  for (int i = 0; i < 3; ++i) {
    sink_.finish();
    at(kT0 + 1 + i);
  }
  EXPECT_EQ(started(), Strings({"n1", "n1", "n1"}));
  EXPECT_EQ(player_.pending_orders(), 0u);
}

TEST_F(PlayerTest, EmptyOrderIsNotKept) {
  player_.add_order(order("o1", Priority::kEmergency, {}), kT0);
  EXPECT_EQ(player_.pending_orders(), 0u);
  EXPECT_TRUE(events_.events.empty());
}

TEST_F(PlayerTest, MissingMediaIsReportedAndNeverPlayed) {
  manifest({slot("s@1", kT0, kT0 + 600, {media("zz"), media("a2")})});
  EXPECT_EQ(started(), Strings({"a2"}));
  EXPECT_EQ(events_.summary(), Strings({"failed:media_missing", "playing"}));
  EXPECT_EQ(events_.events[0].sha256, "zz");
  EXPECT_EQ(events_.events[0].slot, "s@1");
}

TEST_F(PlayerTest, OrderWaitsForMediaStillDownloading) {
  media_.downloading = {"new"};
  player_.add_order(order("o1", Priority::kEmergency, {media("new")}), kT0);
  EXPECT_TRUE(sink_.started.empty());
  EXPECT_TRUE(events_.events.empty());
  media_.downloading.clear();
  media_.present.insert("new");
  at(kT0 + 3);
  EXPECT_EQ(started(), Strings({"new"}));
}

TEST_F(PlayerTest, OrderGivesUpOnMediaAfterTheWait) {
  media_.downloading = {"slow"};
  player_.add_order(order("o1", Priority::kEmergency, {media("slow")}), kT0);
  at(kT0 + 60);
  EXPECT_TRUE(events_.events.empty());
  at(kT0 + kMaxMediaWait);
  EXPECT_EQ(events_.summary(), Strings({"failed:media_missing"}));
  EXPECT_TRUE(sink_.started.empty());
  EXPECT_EQ(player_.pending_orders(), 0u);
}

TEST_F(PlayerTest, SinkErrorIsReported) {
  sink_.fail_next = true;
  player_.add_order(order("o1", Priority::kNormal, {media("n1"), media("n2")}), kT0);
  EXPECT_EQ(started(), Strings({"n2"}));
  EXPECT_EQ(events_.summary(), Strings({"failed:sink_error", "playing"}));
}

TEST_F(PlayerTest, StopOrderStopsThatOrderOnly) {
  manifest({slot("s@1", kT0, kT0 + 600, {media("a1"), media("a2")})});
  player_.add_order(order("o1", Priority::kEmergency, {media("e1")}), kT0 + 1);
  player_.add_order(order("o2", Priority::kEmergency, {media("e2")}), kT0 + 2);
  protocol::StopOrder stop;
  stop.order = "o1";
  player_.stop_orders(stop, kT0 + 3);
  EXPECT_EQ(started(), Strings({"a1", "e1", "e2"}));
  player_.stop_orders(protocol::StopOrder{}, kT0 + 4);  // every order, not the schedule
  EXPECT_EQ(started(), Strings({"a1", "e1", "e2", "a2"}));
  EXPECT_EQ(events_.summary(),
            Strings({"playing", "interrupted:preempted", "playing", "interrupted:stopped",
                     "playing", "interrupted:stopped", "playing"}));
}

TEST_F(PlayerTest, PowerOffStopsAndPowerOnResumes) {
  manifest({slot("s@1", kT0, kT0 + 600, {media("a1"), media("a2")})});
  player_.set_settings({.volume = 40, .power = false}, kT0 + 1);
  EXPECT_FALSE(player_.now_playing());
  EXPECT_EQ(events_.summary(), Strings({"playing", "interrupted:power_off"}));
  at(kT0 + 2);
  EXPECT_EQ(sink_.started.size(), 1u);
  player_.set_settings({.volume = 40, .power = true}, kT0 + 3);
  EXPECT_EQ(started(), Strings({"a1", "a2"}));
  EXPECT_EQ(sink_.volume, 40);
}

TEST_F(PlayerTest, VolumeChangeReachesThePlayingSink) {
  manifest({slot("s@1", kT0, kT0 + 600, {media("a1")})});
  EXPECT_EQ(sink_.volume, 60);
  player_.set_settings({.volume = 25, .power = true}, kT0 + 1);
  EXPECT_EQ(sink_.volume, 25);
}

TEST_F(PlayerTest, ClockJumpForwardIsReportedAndSkipsToTheNewTime) {
  manifest({slot("s@1", kT0, kT0 + 60, {media("a1"), media("a2")}),
            slot("s@2", kT0 + 3600, kT0 + 3700, {media("n1")})});
  at(kT0 + 3601);
  EXPECT_EQ(events_.summary(),
            Strings({"playing", "fault:clock_jump", "interrupted:slot_end", "playing"}));
  EXPECT_EQ(started(), Strings({"a1", "n1"}));
}

TEST_F(PlayerTest, ClockJumpBackwardsNeverReplaysAPlayedSlot) {
  manifest({slot("s@1", kT0, kT0 + 60, {media("a1")})});
  sink_.finish();
  at(kT0 + 30);
  EXPECT_TRUE(player_.finished_slots().contains("s@1"));
  at(kT0 + 5);  // the clock went back into the slot
  EXPECT_EQ(events_.summary(), Strings({"playing", "played", "fault:clock_jump"}));
  EXPECT_EQ(started(), Strings({"a1"}));
}

TEST_F(PlayerTest, ClockJumpBackBeforeASlotResumesItLaterWithoutRepeatingItems) {
  manifest({slot("s@1", kT0, kT0 + 600, {media("a1"), media("a2")})});
  at(kT0 - 1000);  // back before the slot: it stops
  EXPECT_EQ(events_.summary(), Strings({"playing", "fault:clock_jump", "interrupted:slot_end"}));
  at(kT0 - 900);
  at(kT0 - 800);
  at(kT0 - 700);
  at(kT0 - 600);
  at(kT0 - 500);
  at(kT0 - 400);
  at(kT0 - 300);
  at(kT0 - 200);
  at(kT0 - 100);
  at(kT0);
  EXPECT_EQ(started(), Strings({"a1", "a2"}));
}

TEST_F(PlayerTest, RestoredFinishedSlotsAreNotReplayed) {
  player_.restore_finished_slots({"s@1"});
  manifest({slot("s@1", kT0, kT0 + 600, {media("a1")})});
  EXPECT_TRUE(sink_.started.empty());
}

TEST_F(PlayerTest, NewManifestWithoutTheCurrentSlotStopsIt) {
  manifest({slot("s@1", kT0, kT0 + 600, {media("a1")})});
  manifest({slot("s@9", kT0 + 900, kT0 + 1000, {media("a2")})});
  EXPECT_EQ(events_.summary(), Strings({"playing", "interrupted:stopped"}));
  EXPECT_FALSE(player_.now_playing());
}

TEST_F(PlayerTest, StreamItemsGoToTheSinkWithoutACachedFile) {
  protocol::PlayItem stream;
  stream.kind = protocol::ItemKind::kStream;
  stream.url = "http://relay.example/vov1.ogg";
  stream.duration_s = 900;
  manifest({slot("s@1", kT0, kT0 + 600, {stream})});
  ASSERT_EQ(sink_.started.size(), 1u);
  EXPECT_EQ(sink_.paths[0], "");
  EXPECT_EQ(events_.events[0].url, stream.url);
}

// ---- relays (stream items) -----------------------------------------------------------------

TEST_F(PlayerTest, RelayPlaysForItsDurationAndReportsTheSecondsRelayed) {
  sink_.progress = StreamProgress{};
  manifest({slot("s@1", kT0, kT0 + 600, {stream("http://vov/1.ogg", 100), media("a1")})});
  ASSERT_EQ(sink_.started.size(), 1u);
  for (UnixTime t = 1; t <= 99; ++t) {
    sink_.progress->audio += 1000;
    at(kT0 + t);
  }
  EXPECT_FALSE(player_.stream_silent());
  sink_.progress->audio += 1000;
  sink_.finish();
  at(kT0 + 100);
  EXPECT_EQ(events_.summary(), Strings({"playing", "played:relayed_s:100", "playing"}));
  EXPECT_EQ(events_.events[1].url, "http://vov/1.ogg");
  EXPECT_EQ(events_.events[1].started, kT0);
  EXPECT_EQ(events_.events[1].ended, kT0 + 100);
  EXPECT_EQ(started(), Strings({"", "a1"}));
}

TEST_F(PlayerTest, SilentRelayFailsWithTheSourceReasonAndResumesWhenAudioReturns) {
  sink_.progress = StreamProgress{};
  manifest({slot("s@1", kT0, kT0 + 600, {stream("http://vov/1.ogg", 900)})});
  sink_.progress->audio = 500;
  at(kT0 + 1);
  at(kT0 + 10);  // 9 s without audio: not yet
  EXPECT_FALSE(player_.stream_silent());
  sink_.progress->error = "stream_http_503";
  at(kT0 + 11);
  EXPECT_TRUE(player_.stream_silent());
  EXPECT_EQ(events_.summary(), Strings({"playing", "failed:stream_http_503"}));
  at(kT0 + 30);  // reported once
  EXPECT_EQ(events_.events.size(), 2u);
  sink_.progress->audio = 900;
  sink_.progress->error.clear();
  at(kT0 + 41);
  EXPECT_FALSE(player_.stream_silent());
  EXPECT_EQ(events_.summary(),
            Strings({"playing", "failed:stream_http_503", "playing:stream_resumed"}));
  // The slot ends before duration_s: the relay played; the 40 s gap is not counted.
  for (UnixTime t = 42; t < 600; ++t) {
    sink_.progress->audio += 10;
    at(kT0 + t);
  }
  at(kT0 + 600);
  EXPECT_EQ(events_.summary().back(), "played:relayed_s:560");
  EXPECT_TRUE(player_.finished_slots().contains("s@1"));
  EXPECT_FALSE(sink_.playing);
}

TEST_F(PlayerTest, RelayThatNeverBringsAudioIsFailedOnlyAndPlaysNothingMore) {
  sink_.progress = StreamProgress{};
  manifest({slot("s@1", kT0, kT0 + 60, {stream("http://vov/1.ogg", 900)})});
  at(kT0 + 5);
  at(kT0 + 10);
  EXPECT_EQ(events_.summary(), Strings({"playing", "failed:stream_unreachable"}));
  at(kT0 + 60);
  EXPECT_EQ(events_.summary(), Strings({"playing", "failed:stream_unreachable"}));
  EXPECT_FALSE(player_.now_playing());
  EXPECT_EQ(sink_.stops, 1);
}

TEST_F(PlayerTest, AnEmergencyPreemptsARelayWhichThenComesBackForItsRemainingTime) {
  sink_.progress = StreamProgress{};
  manifest({slot("s@1", kT0, kT0 + 600, {stream("http://vov/1.ogg", 100), media("a1")})});
  sink_.progress->audio = 100;
  at(kT0 + 1);
  player_.add_order(order("o1", Priority::kEmergency, {media("e1")}), kT0 + 5);
  EXPECT_EQ(started(), Strings({"", "e1"}));
  EXPECT_EQ(events_.summary(), Strings({"playing", "interrupted:preempted", "playing"}));
  sink_.finish();
  at(kT0 + 20);
  // The relay again (it is live), until it was to end (it started at kT0: 80 s left), then the
  // playlist goes on.
  EXPECT_EQ(started(), Strings({"", "e1", ""}));
  ASSERT_EQ(sink_.started.size(), 3U);
  EXPECT_EQ(sink_.started.back().duration_s, 80);
  EXPECT_EQ(events_.summary(),
            Strings({"playing", "interrupted:preempted", "playing", "played", "playing"}));
  sink_.finish();
  at(kT0 + 100);
  EXPECT_EQ(started(), Strings({"", "e1", "", "a1"}));
}

TEST_F(PlayerTest, ARelayPreemptedNearItsEndIsNotResumed) {
  sink_.progress = StreamProgress{};
  manifest({slot("s@1", kT0, kT0 + 600, {stream("http://vov/1.ogg", 10), media("a1")})});
  sink_.progress->audio = 100;
  at(kT0 + 1);
  player_.add_order(order("o1", Priority::kEmergency, {media("e1")}), kT0 + 8);  // 3 s left
  sink_.finish();
  at(kT0 + 20);
  EXPECT_EQ(started(), Strings({"", "e1", "a1"}));
}

TEST_F(PlayerTest, UntrackedRelayCountsAsLiveForItsWholeDuration) {
  manifest({slot("s@1", kT0, kT0 + 600, {stream("http://vov/1.ogg", 30)})});
  at(kT0 + 20);
  sink_.finish();
  at(kT0 + 30);
  EXPECT_EQ(events_.summary(), Strings({"playing", "played:relayed_s:30"}));
}

}  // namespace
}  // namespace nguon::agent
