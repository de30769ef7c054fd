// Issue 6, end to end: a CAP 1.2 alert pushed by a provincial weather station (a file with a
// geocode for one commune) becomes a signed emergency broadcast on exactly that commune's
// agents, and the station's Cancel stops it there. Every component is real and on loopback:
// Mosquitto, nguon-server (SQLite, espeak-ng), three nguon-agent processes with file sinks.
#include "tests/broadcast/e2e_fixture.h"

namespace nguon {
namespace {
using namespace e2e;

const std::string kCommuneA = "14797";  // Hạc Thành: the alert's area
const std::string kCommuneB = "16597";
const std::string kCommuneC = "14812";

std::string fixture(const std::string& name) {
  return read_file(fs::path(NGUON_CAP_FIXTURES) / name);
}

class CapEndToEnd : public BroadcastEndToEnd {
 protected:
  // A trusted source for the province, broadcasting severe alerts without approval; its token.
  std::string add_source() {
    Reply r = admin_.post("/api/v1/alert-sources",
                          R"({"sender":"canhbao@kttv-thanhhoa.gov.vn",)"
                          R"("name":"Đài KTTV Thanh Hóa","unit_code":"38","auto_broadcast":true})");
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(json::parse(r.body).at("token").as_string());
  }
  Reply push(const std::string& token, const std::string& xml) {
    return request(port_, "POST", "/api/v1/cap", xml, "", "",
                   "Authorization: Bearer " + token + "\r\n", "application/cap+xml");
  }
  json::object alert(std::int64_t id) {
    Reply r = admin_.get("/api/v1/alerts/" + std::to_string(id));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? json::parse(r.body).as_object() : json::object{};
  }
};

TEST_F(CapEndToEnd, AnAlertForOneCommunePlaysOnlyThereAndItsCancelStopsIt) {
  const std::string a = add_agent(kCommuneA, "SN-A");
  const std::string b = add_agent(kCommuneB, "SN-B");
  const std::string c = add_agent(kCommuneC, "SN-C");
  for (const auto& id : {a, b, c}) {
    ASSERT_TRUE(eventually([&] { return online(id); }, 20s)) << id << " never came online";
  }
  const std::string token = add_source();

  // Refused before anything plays: no token, a wrong token, a document failing the schema.
  EXPECT_EQ(request(port_, "POST", "/api/v1/cap", fixture("bao-so-3-hac-thanh.cap"), "", "", "",
                    "application/cap+xml")
                .status,
            401);
  EXPECT_EQ(push(std::string(64, 'f'), fixture("bao-so-3-hac-thanh.cap")).status, 401);
  Reply invalid = push(token, "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"/>");
  EXPECT_EQ(invalid.status, 422) << invalid.body;

  Reply pushed = push(token, fixture("bao-so-3-hac-thanh.cap"));
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  const json::object created = json::parse(pushed.body).as_object();
  EXPECT_EQ(created.at("state").as_string(), "broadcast") << pushed.body;
  EXPECT_EQ(created.at("devices").as_int64(), 1);
  const std::int64_t id = created.at("id").as_int64();
  const std::string sha(alert(id).at("media_id").as_string());
  ASSERT_EQ(sha.size(), 64u);

  // The same document again is a duplicate: refused, nothing new plays.
  EXPECT_EQ(push(token, fixture("bao-so-3-hac-thanh.cap")).status, 409);

  // Commune A's agent plays the synthesized Vietnamese bulletin: the exact stored Opus bytes.
  ASSERT_TRUE(eventually([&] { return fs::exists(played_file(a, sha)); }, 30s))
      << "the alert never started on commune A's agent";
  EXPECT_EQ(read_file(played_file(a, sha)), stored_bytes(sha));

  // The Cancel stops it on the agent (reported interrupted: stopped) and ends the alert.
  Reply cancel = push(token, fixture("bao-so-3-hac-thanh-huy.cap"));
  ASSERT_EQ(cancel.status, 201) << cancel.body;
  ASSERT_TRUE(eventually([&] { return has_play_with_reason(a, "interrupted", "stopped"); }, 30s))
      << "the agent never reported the alert stopped";
  EXPECT_EQ(alert(id).at("state").as_string(), "cancelled");

  // Nothing ever reached the other communes.
  EXPECT_FALSE(fs::exists(played_file(b, sha)));
  EXPECT_FALSE(fs::exists(played_file(c, sha)));
  EXPECT_TRUE(plays_of(b).empty());
  EXPECT_TRUE(plays_of(c).empty());
}

}  // namespace
}  // namespace nguon

namespace nguon {
namespace {
using namespace e2e;

// Issue 6, item 5: an emergency order from the console preempts a bulletin that is playing on
// the agent (reported interrupted: preempted), plays at once, and is published as CAP 1.2 in
// the public Atom feed; cancelling it stops it on the agent and publishes the Cancel.
TEST_F(CapEndToEnd, AConsoleEmergencyPreemptsABulletinAndIsPublishedAsCap) {
  // Nothing issued yet: an empty feed, dated now (not 1970).
  Reply empty = request(port_, "GET", "/cap/alerts.atom");
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(empty.body.find("<entry>"), std::string::npos);
  EXPECT_EQ(empty.body.find("1970-"), std::string::npos) << empty.body;

  const std::int64_t bulletin = published_bulletin();
  const std::string sha = audio_of(bulletin);
  const std::string a = add_agent(kCommuneA, "SN-A");
  ASSERT_TRUE(eventually([&] { return online(a); }, 20s));

  // A normal bulletin, repeated so that it is still playing when the emergency comes.
  Reply normal =
      admin_.post("/api/v1/broadcasts", R"({"areas":[")" + kCommuneA +
                                            R"("],"priority":"normal","repeat":20,"items":[)"
                                            R"({"kind":"bulletin","bulletin_id":)" +
                                            std::to_string(bulletin) + R"(}]})");
  ASSERT_EQ(normal.status, 201) << normal.body;
  ASSERT_TRUE(eventually([&] { return fs::exists(played_file(a, sha)); }, 30s));

  Reply issued = admin_.post("/api/v1/alerts", R"({"owner_unit":"38","category":"Met",)"
                                               R"("event":"Lũ quét","headline":"Lũ quét trên )"
                                               R"(sông Mã","instruction":"Di chuyển lên vùng )"
                                               R"(cao ngay.","areas":[")" +
                                                   kCommuneA + R"("]})");
  ASSERT_EQ(issued.status, 201) << issued.body;
  const json::object alert = json::parse(issued.body).as_object();
  EXPECT_EQ(alert.at("state").as_string(), "broadcast") << issued.body;
  EXPECT_EQ(alert.at("priority").as_string(), "emergency");
  const std::string alert_sha(alert.at("media_id").as_string());
  ASSERT_TRUE(eventually([&] { return has_play_with_reason(a, "interrupted", "preempted"); }, 30s))
      << "the bulletin was not preempted: " << json::serialize(plays_of(a));
  ASSERT_TRUE(eventually([&] { return fs::exists(played_file(a, alert_sha)); }, 30s))
      << "the emergency never played";
  EXPECT_EQ(read_file(played_file(a, alert_sha)), stored_bytes(alert_sha));

  // Public, without a login: the feed lists it and links its CAP document.
  const std::int64_t id = alert.at("id").as_int64();
  Reply feed = request(port_, "GET", "/cap/alerts.atom");
  ASSERT_EQ(feed.status, 200) << feed.body;
  EXPECT_NE(feed.body.find("/cap/alerts/" + std::to_string(id) + ".cap"), std::string::npos);
  Reply doc = request(port_, "GET", "/cap/alerts/" + std::to_string(id) + ".cap");
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.content_type, "application/cap+xml; charset=utf-8");
  EXPECT_NE(doc.body.find("<valueName>VN-ADM</valueName>"), std::string::npos) << doc.body;

  // Stopping it cancels it: the agent stops, the feed carries the Cancel.
  Reply stopped = admin_.post("/api/v1/alerts/" + std::to_string(id) + "/stop", "{}");
  ASSERT_EQ(stopped.status, 200) << stopped.body;
  EXPECT_EQ(json::parse(stopped.body).at("state").as_string(), "cancelled");
  ASSERT_TRUE(eventually([&] { return has_play_with_reason(a, "interrupted", "stopped"); }, 30s));
  EXPECT_NE(request(port_, "GET", "/cap/alerts.atom").body.find("Hủy cảnh báo"), std::string::npos);
}

}  // namespace
}  // namespace nguon
