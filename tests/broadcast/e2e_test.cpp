// Issue 4, end to end with every real component on loopback: Mosquitto with the
// dynamic-security plugin, nguon-server (SQLite, espeak-ng), and three nguon-agent processes in
// three communes of Thanh Hóa with file sinks. Orders go from the HTTP API through the broker,
// signed; the agents fetch the audio over HTTP by SHA-256, play it, and report back.
#include <chrono>
#include <ctime>

#include "tests/broadcast/e2e_fixture.h"

namespace nguon {
namespace {
using namespace e2e;

// Three communes of Thanh Hóa (38) from the official list.
const std::string kCommuneA = "14797";
const std::string kCommuneB = "16597";
const std::string kCommuneC = "14812";

TEST_F(BroadcastEndToEnd, AnOrderForOneCommunePlaysTheStoredBytesOnlyThere) {
  const std::string sha = make_media();
  const std::string a = add_agent(kCommuneA, "SN-A");
  const std::string b = add_agent(kCommuneB, "SN-B");
  const std::string c = add_agent(kCommuneC, "SN-C");
  for (const auto& id : {a, b, c}) {
    ASSERT_TRUE(eventually([&] { return online(id); }, 20s)) << id << " never came online";
  }

  Reply order = admin_.post("/api/v1/broadcasts", R"({"areas":[")" + kCommuneA +
                                                      R"("],"priority":"normal","items":[)"
                                                      R"({"kind":"media","sha256":")" +
                                                      sha + R"("}],"repeat":1})");
  ASSERT_EQ(order.status, 201) << order.body;
  EXPECT_EQ(json::parse(order.body).at("devices").as_int64(), 1);

  ASSERT_TRUE(eventually([&] { return fs::exists(played_file(a, sha)); }, 20s));
  ASSERT_TRUE(eventually([&] { return has_play(a, "played"); }, 30s));
  EXPECT_EQ(read_file(played_file(a, sha)), stored_bytes(sha))
      << "the sink must hold exactly the stored Opus bytes";
  EXPECT_FALSE(fs::exists(played_file(b, sha)));
  EXPECT_FALSE(fs::exists(played_file(c, sha)));
  EXPECT_TRUE(plays_of(b).empty());
  EXPECT_TRUE(plays_of(c).empty());
}

TEST_F(BroadcastEndToEnd, AnOperatorCannotReachAnotherCommunesDevices) {
  const std::string sha = make_media();
  const std::string a = add_agent(kCommuneA, "SN-A");
  ASSERT_TRUE(eventually([&] { return online(a); }, 20s));
  Session op = user_with_role("vanhanh.b", kCommuneB, "station_operator");

  // Commune A's devices are invisible to commune B's operator: every route answers 404.
  EXPECT_EQ(op.get("/api/v1/devices/" + a).status, 404);
  EXPECT_EQ(op.post("/api/v1/devices/" + a + "/commands", R"({"action":"reboot"})").status, 404);
  EXPECT_EQ(op.post("/api/v1/devices/" + a + "/provision", "{}").status, 404);
  Reply order = op.post("/api/v1/broadcasts", R"({"areas":[")" + kCommuneA +
                                                  R"("],"priority":"emergency","items":[)"
                                                  R"({"kind":"media","sha256":")" +
                                                  sha + R"("}]})");
  EXPECT_EQ(order.status, 404) << order.body;
  Reply province =
      op.post("/api/v1/broadcasts", R"({"areas":["38"],"priority":"emergency","items":[)"
                                    R"({"kind":"media","sha256":")" +
                                        sha + R"("}]})");
  EXPECT_EQ(province.status, 404) << province.body;
  std::this_thread::sleep_for(1500ms);
  EXPECT_FALSE(fs::exists(played_file(a, sha)));
}

// The "done when" of issue 4: a programme for one commune plays at its time (the agents' clocks
// are set just before it, so nothing sleeps for hours), only on that commune's agent; the
// broker stops during the slot and playback goes on; the play reports arrive once it is back.
TEST_F(BroadcastEndToEnd, AScheduledSlotPlaysThroughABrokerOutageAndIsReportedAfter) {
  const std::int64_t bulletin = published_bulletin();
  const std::string sha = audio_of(bulletin);
  // Tomorrow, 06:00 in Asia/Ho_Chi_Minh (UTC+7).
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  const std::int64_t local_midnight = (now + 7 * 3600) / 86400 * 86400 - 7 * 3600;
  const std::int64_t slot = local_midnight + 86400 + 6 * 3600;
  const std::time_t slot_local = static_cast<std::time_t>(slot + 7 * 3600);
  std::tm tm{};
  gmtime_r(&slot_local, &tm);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", &tm);

  Reply prog = admin_.post(
      "/api/v1/programmes",
      json::serialize(json::object{
          {"name", "Bản tin sáng"},
          {"owner_unit", kCommuneA},
          {"priority", "normal"},
          {"target_units", json::array{json::string(kCommuneA)}},
          {"rrule", ""},
          {"first_date", date},
          {"start_time", "06:00"},
          {"duration_minutes", 30},
          {"items", json::array{json::object{{"kind", "bulletin"}, {"bulletin_id", bulletin}}}}}));
  ASSERT_EQ(prog.status, 201) << prog.body;
  const std::string slot_id =
      "p" + std::to_string(json::parse(prog.body).at("id").as_int64()) + "@" + std::to_string(slot);

  // The agents' clocks read 06:00 minus 12 s: time to connect, take the manifest, fetch audio.
  const std::int64_t offset = slot - 12 - now;
  const std::string a = add_agent(kCommuneA, "SN-A", offset);
  const std::string b = add_agent(kCommuneB, "SN-B", offset);
  const std::string c = add_agent(kCommuneC, "SN-C", offset);

  ASSERT_TRUE(eventually([&] { return fs::exists(played_file(a, sha)); }, 40s))
      << "the slot never started on commune A's agent";
  broker_.stop();  // mid-slot: the bulletin is playing
  // Playback goes on without the broker: the sink holds the whole stored file, and the report
  // waits in the agent's queue.
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(read_file(played_file(a, sha)), stored_bytes(sha));
  EXPECT_FALSE(has_play(a, "played"));
  broker_.start();
  ASSERT_TRUE(eventually([&] { return has_play(a, "played"); }, 60s))
      << "the play report never arrived after the broker came back";
  bool slot_reported = false;
  for (const auto& p : plays_of(a)) {
    if (p.at("type").as_string() == "played" && p.at("slot").as_string() == slot_id) {
      slot_reported = true;
    }
  }
  EXPECT_TRUE(slot_reported) << "no played report for " << slot_id;
  EXPECT_FALSE(fs::exists(played_file(b, sha)));
  EXPECT_FALSE(fs::exists(played_file(c, sha)));
}

}  // namespace
}  // namespace nguon
