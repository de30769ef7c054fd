// The alert desk (core/alerts/alert_desk.h) over a real SQLite store, the real DeviceService with
// a recording bus (orders are opened and verified as a device would), and the real CAP parser:
// sources and tokens, refusals, auto-broadcast vs approval, targets, Cancel and Update. Plus the
// pure rules (alert_rules.h).
#include "core/alerts/alert_desk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include "adapters/cap/cap_parser.h"
#include "adapters/http/server.h"
#include "app/alerts_stack.h"
#include "core/alerts/alert_rules.h"
#include "tests/alerts/cap_documents.h"
#include "tests/devices/device_fakes.h"

namespace nguon::alerts {
namespace {

using testing::cap_xml;
using testing::CapDoc;
using testing::principal;

const RequestOrigin kOrigin{"tester", "127.0.0.1"};

// Speech stand-in: the text's bytes become the "audio" in the media store, so the order refers
// to real stored media and the test can read back what would have been spoken.
class TextVoice final : public AlertVoice {
 public:
  explicit TextVoice(MediaStore& media) : media_(media) {}
  Result<SpokenAudio> speak(const std::string& text) override {
    if (fail) return Error{ErrorKind::kUnavailable, "tts_unavailable", "speech engine down"};
    spoken.push_back(text);
    auto info = media_.put(text, "audio/ogg");
    if (!info) return info.error();
    return SpokenAudio{info->sha256, 1000};
  }
  bool fail = false;
  std::vector<std::string> spoken;

 private:
  MediaStore& media_;
};

class AlertDeskTest : public ::testing::Test {
 protected:
  AlertDeskTest()
      : schema_(cap::CapSchema::from_file(NGUON_CAP_XSD).value()),
        codec_(schema_),
        voice_(w_.media),
        desk_(w_.db.store(), w_.clock, w_.crypto, *w_.service, voice_, codec_, {3, 100}) {}

  // A device in `commune` at (lat, lon), registered by the national admin.
  std::string device(const std::string& serial, const std::string& commune, double lat,
                     double lon) {
    return w_.add_cluster(admin_, serial, commune, lat, lon);
  }

  AlertSource source(bool auto_broadcast, const std::string& unit = "38",
                     const std::string& sender = "canhbao@kttv.gov.vn") {
    SourceDraft d;
    d.sender = sender;
    d.name = "Đài KTTV " + unit;
    d.unit_code = unit;
    d.auto_broadcast = auto_broadcast;
    auto created = desk_.create_source(admin_, d, kOrigin);
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
    token_ = created.ok() ? created->token : "";
    return created.ok() ? created->source : AlertSource{};
  }

  Result<AlertRecord> push(const AlertSource& s, const CapDoc& doc) {
    const std::string xml = cap_xml(doc);
    auto alert = cap::parse_cap(xml, *schema_);
    EXPECT_TRUE(alert.ok()) << (alert.ok() ? "" : alert.error().message) << "\n" << xml;
    if (!alert) return alert.error();
    return desk_.ingest(s, alert.value(), xml, "push");
  }

  AlertRecord must_push(const AlertSource& s, const CapDoc& doc) {
    auto r = push(s, doc);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().code + ": " + r.error().message);
    return r.ok() ? r.value() : AlertRecord{};
  }

  // The messages published so far, opened as a device would (signature, expiry, key).
  std::vector<std::pair<std::string, protocol::Message>> published() {
    return w_.opened_messages();
  }

  std::set<std::string> topics() {
    std::set<std::string> out;
    for (const auto& m : w_.bus.sent) out.insert(m.topic);
    return out;
  }

  testing::DeviceWorld w_;
  std::shared_ptr<const cap::CapSchema> schema_;
  cap::SchemaCapCodec codec_;
  TextVoice voice_;
  AlertDesk desk_;
  access::Principal admin_ = principal("admin", Role::kAdmin, "VN", "VN/");
  std::string token_;
};

TEST_F(AlertDeskTest, AnAutoSourcesSevereAlertForOneCommuneIsBroadcastThereAtOnce) {
  device("SN-A", "14797", 19.80, 105.78);
  device("SN-B", "16597", 19.70, 105.90);
  const AlertSource s = source(true);
  CapDoc doc;
  doc.geocodes = {"14797"};
  const AlertRecord a = must_push(s, doc);

  EXPECT_EQ(a.state, AlertState::kBroadcast) << a.reason;
  EXPECT_EQ(a.devices, 1);
  EXPECT_EQ(a.priority, Priority::kEmergency);
  EXPECT_EQ(a.owner_unit, "38");
  EXPECT_FALSE(a.order_id.empty());
  EXPECT_EQ(topics(), (std::set<std::string>{"nguon/v1/a/14797/cmd"}));
  const auto messages = published();
  ASSERT_EQ(messages.size(), 1u);
  const auto& order = std::get<protocol::PlayOrder>(messages[0].second.data);
  EXPECT_EQ(order.order, a.order_id);
  EXPECT_EQ(order.priority, Priority::kEmergency);
  EXPECT_EQ(order.repeat, 3);
  EXPECT_EQ(order.volume, 100);
  ASSERT_EQ(order.items.size(), 1u);
  EXPECT_EQ(order.items[0].sha256, a.media_id);
  // What was spoken: the Vietnamese bulletin built from the alert.
  ASSERT_EQ(voice_.spoken.size(), 1u);
  EXPECT_EQ(voice_.spoken[0],
            "Cảnh báo khẩn cấp của Đài Khí tượng Thủy văn Thanh Hóa. Bão số 3 đổ bộ vào Thanh "
            "Hóa. Bão mạnh cấp 12, giật cấp 14, đổ bộ trong đêm nay. Người dân ở trong nhà, "
            "tránh xa bờ biển và sông suối.");
  EXPECT_EQ(a.text, voice_.spoken[0]);
}

TEST_F(AlertDeskTest, WhatMustNeverPlayIsRefused) {
  device("SN-A", "14797", 19.80, 105.78);
  const AlertSource s = source(true);
  CapDoc doc;
  doc.geocodes = {"14797"};

  CapDoc impostor = doc;
  impostor.sender = "gia-mao@example.com";
  auto wrong_sender = push(s, impostor);
  ASSERT_FALSE(wrong_sender.ok());
  EXPECT_EQ(wrong_sender.error().code, "sender_mismatch");

  CapDoc old = doc;
  old.identifier = "cu";
  old.sent = "2025-12-31T08:00:00+07:00";
  old.expires = "2026-01-01T00:00:00+07:00";
  auto expired = push(s, old);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, "cap_expired");

  must_push(s, doc);
  auto again = push(s, doc);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "alert_exists");
  EXPECT_EQ(w_.bus.sent.size(), 1u) << "only the first, valid alert may reach the devices";

  AlertSource disabled = s;
  disabled.enabled = false;
  CapDoc later = doc;
  later.identifier = "sau";
  auto off = push(disabled, later);
  ASSERT_FALSE(off.ok());
  EXPECT_EQ(off.error().kind, ErrorKind::kForbidden);
}

TEST_F(AlertDeskTest, TestExerciseAndRestrictedAlertsAreOnlyRecorded) {
  device("SN-A", "14797", 19.80, 105.78);
  const AlertSource s = source(true);
  int n = 0;
  for (const auto& [status, scope] : {std::pair{"Test", "Public"}, std::pair{"Exercise", "Public"},
                                      std::pair{"Actual", "Restricted"}}) {
    CapDoc doc;
    doc.identifier = "R" + std::to_string(++n);
    doc.status = status;
    doc.scope = scope;
    doc.geocodes = {"14797"};
    const AlertRecord a = must_push(s, doc);
    EXPECT_EQ(a.state, AlertState::kRecorded) << status << " " << scope;
    EXPECT_FALSE(a.reason.empty());
  }
  EXPECT_TRUE(w_.bus.sent.empty());
}

TEST_F(AlertDeskTest, AnAreaOutsideTheSourcesUnitReachesNoDevice) {
  device("SN-A", "14797", 19.80, 105.78);
  device("SN-H", "00004", 21.03, 105.83);  // Hà Nội
  const AlertSource s = source(true);      // Thanh Hóa's weather service
  CapDoc doc;
  doc.geocodes = {"00004"};
  const AlertRecord a = must_push(s, doc);
  EXPECT_EQ(a.state, AlertState::kRecorded);
  EXPECT_NE(a.reason.find("no device"), std::string::npos) << a.reason;
  EXPECT_TRUE(w_.bus.sent.empty());
}

TEST_F(AlertDeskTest, APolygonReachesOnlyTheDevicesInsideIt) {
  const std::string inside = device("SN-IN", "16597", 19.70, 105.90);
  device("SN-OUT", "16597", 19.95, 105.50);
  device("SN-A", "14797", 19.80, 105.78);
  const AlertSource s = source(true);
  CapDoc doc;
  doc.polygon = "19.6,105.8 19.6,106.0 19.75,106.0 19.75,105.8 19.6,105.8";
  const AlertRecord a = must_push(s, doc);
  EXPECT_EQ(a.state, AlertState::kBroadcast) << a.reason;
  EXPECT_EQ(a.devices, 1);
  EXPECT_EQ(topics(), (std::set<std::string>{"nguon/v1/d/" + inside + "/cmd"}));
}

TEST_F(AlertDeskTest, BelowTheThresholdsAnAlertWaitsForAnOperator) {
  device("SN-A", "14797", 19.80, 105.78);
  const AlertSource s = source(true);
  CapDoc doc;
  doc.severity = "Moderate";
  doc.geocodes = {"14797"};
  const AlertRecord a = must_push(s, doc);
  EXPECT_EQ(a.state, AlertState::kPending);
  EXPECT_TRUE(w_.bus.sent.empty());

  // Another commune's operator cannot see it; an editor of the province cannot approve it.
  const auto other = principal("vh.hn", Role::kStationOperator, "00004", "VN/01/00004/");
  EXPECT_EQ(desk_.approve(other, a.id, kOrigin).error().kind, ErrorKind::kNotFound);
  const auto editor = principal("bt.38", Role::kEditor, "38", "VN/38/");
  EXPECT_EQ(desk_.approve(editor, a.id, kOrigin).error().kind, ErrorKind::kForbidden);

  const auto op = principal("vh.38", Role::kStationOperator, "38", "VN/38/");
  auto approved = desk_.approve(op, a.id, kOrigin);
  ASSERT_TRUE(approved.ok()) << approved.error().message;
  EXPECT_EQ(approved->state, AlertState::kBroadcast);
  EXPECT_EQ(approved->priority, Priority::kPriority);  // Moderate: priority, not emergency
  EXPECT_EQ(topics(), (std::set<std::string>{"nguon/v1/a/14797/cmd"}));
  EXPECT_EQ(desk_.approve(op, a.id, kOrigin).error().code, "not_pending");

  auto stopped = desk_.stop(op, a.id, kOrigin);
  ASSERT_TRUE(stopped.ok()) << stopped.error().message;
  EXPECT_EQ(stopped->state, AlertState::kStopped);
  const auto messages = published();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(std::get<protocol::StopOrder>(messages[1].second.data).order, approved->order_id);
}

TEST_F(AlertDeskTest, ARejectionNeedsAReasonAndNeverPlays) {
  device("SN-A", "14797", 19.80, 105.78);
  const AlertSource s = source(false);
  CapDoc doc;
  doc.geocodes = {"14797"};
  const AlertRecord a = must_push(s, doc);
  EXPECT_EQ(a.state, AlertState::kPending);
  EXPECT_EQ(a.reason, "the source requires approval");
  const auto op = principal("vh.38", Role::kStationOperator, "38", "VN/38/");
  EXPECT_EQ(desk_.reject(op, a.id, "  ", kOrigin).error().code, "invalid_field");
  auto rejected = desk_.reject(op, a.id, "Trùng với tin đã phát", kOrigin);
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ(rejected->state, AlertState::kRejected);
  EXPECT_EQ(desk_.approve(op, a.id, kOrigin).error().code, "not_pending");
  EXPECT_TRUE(w_.bus.sent.empty());
}

TEST_F(AlertDeskTest, ACancelFromTheSenderStopsTheAlertEverywhere) {
  device("SN-A", "14797", 19.80, 105.78);
  device("SN-B", "16597", 19.70, 105.90);
  const AlertSource s = source(true);
  CapDoc doc;
  doc.geocodes = {"14797", "16597"};
  const AlertRecord a = must_push(s, doc);
  ASSERT_EQ(a.state, AlertState::kBroadcast);
  EXPECT_EQ(a.devices, 2);

  // A Cancel naming it from another source does nothing to it.
  const AlertSource other = source(true, "38", "khac@kttv.gov.vn");
  CapDoc forged;
  forged.sender = "khac@kttv.gov.vn";
  forged.identifier = "HUY-GIA";
  forged.msg_type = "Cancel";
  forged.references = doc.sender + "," + doc.identifier + "," + doc.sent;
  must_push(other, forged);
  EXPECT_EQ(desk_.get(admin_, a.id)->state, AlertState::kBroadcast);

  CapDoc cancel;
  cancel.identifier = "HUY-1";
  cancel.msg_type = "Cancel";
  cancel.references = doc.sender + "," + doc.identifier + "," + doc.sent;
  const AlertRecord c = must_push(s, cancel);
  EXPECT_EQ(c.state, AlertState::kRecorded);
  const AlertRecord after = desk_.get(admin_, a.id).value();
  EXPECT_EQ(after.state, AlertState::kCancelled);
  EXPECT_EQ(after.reason, "cancelled by HUY-1");

  std::set<std::string> stopped_on;
  for (const auto& [topic, message] : published()) {
    if (const auto* stop = std::get_if<protocol::StopOrder>(&message.data)) {
      EXPECT_EQ(stop->order, a.order_id);
      stopped_on.insert(topic);
    }
  }
  EXPECT_EQ(stopped_on, (std::set<std::string>{"nguon/v1/a/14797/cmd", "nguon/v1/a/16597/cmd"}));
}

TEST_F(AlertDeskTest, AnUpdateSupersedesTheAlertAndIsBroadcastInItsPlace) {
  device("SN-A", "14797", 19.80, 105.78);
  const AlertSource s = source(true);
  CapDoc doc;
  doc.geocodes = {"14797"};
  const AlertRecord a = must_push(s, doc);
  CapDoc update = doc;
  update.identifier = "KTTV-TH-2026-0002";
  update.msg_type = "Update";
  update.references = doc.sender + "," + doc.identifier + "," + doc.sent;
  update.headline = "Bão số 3 đã vào đất liền";
  const AlertRecord u = must_push(s, update);
  EXPECT_EQ(u.state, AlertState::kBroadcast);
  EXPECT_NE(u.order_id, a.order_id);
  EXPECT_EQ(desk_.get(admin_, a.id)->state, AlertState::kSuperseded);
  EXPECT_EQ(voice_.spoken.back().rfind("Cập nhật cảnh báo khẩn cấp", 0), 0u)
      << voice_.spoken.back();
}

TEST_F(AlertDeskTest, AFailedSynthesisLeavesThePendingAlertToRetry) {
  device("SN-A", "14797", 19.80, 105.78);
  const AlertSource s = source(true);
  voice_.fail = true;
  CapDoc doc;
  doc.geocodes = {"14797"};
  const AlertRecord a = must_push(s, doc);
  EXPECT_EQ(a.state, AlertState::kPending);
  EXPECT_NE(a.reason.find("speech"), std::string::npos);
  voice_.fail = false;
  const auto op = principal("vh.38", Role::kStationOperator, "38", "VN/38/");
  EXPECT_EQ(desk_.approve(op, a.id, kOrigin)->state, AlertState::kBroadcast);
}

TEST_F(AlertDeskTest, TokensIdentifySourcesAndCanBeReplaced) {
  const AlertSource s = source(true);
  const std::string first = token_;
  EXPECT_EQ(desk_.source_for_token(first)->id, s.id);
  EXPECT_EQ(desk_.source_for_token("not-a-token-but-long-enough").error().kind,
            ErrorKind::kUnauthenticated);
  auto second = desk_.new_token(admin_, s.id, kOrigin);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(desk_.source_for_token(first).error().kind, ErrorKind::kUnauthenticated);
  EXPECT_EQ(desk_.source_for_token(second.value())->id, s.id);
  SourcePatch off;
  off.enabled = false;
  ASSERT_TRUE(desk_.update_source(admin_, s.id, off, kOrigin).ok());
  EXPECT_EQ(desk_.source_for_token(second.value()).error().kind, ErrorKind::kUnauthenticated);

  // Only an administrator over the unit manages sources; thresholds are CAP's words.
  const auto op = principal("vh.38", Role::kStationOperator, "38", "VN/38/");
  SourceDraft d;
  d.sender = "x@y.vn";
  d.name = "X";
  d.unit_code = "38";
  EXPECT_EQ(desk_.create_source(op, d, kOrigin).error().kind, ErrorKind::kForbidden);
  d.min_severity = "Dangerous";
  EXPECT_EQ(desk_.create_source(admin_, d, kOrigin).error().code, "invalid_field");
  d.min_severity = "Severe";
  d.sender = "has space@y.vn";
  EXPECT_EQ(desk_.create_source(admin_, d, kOrigin).error().code, "invalid_field");
}

TEST_F(AlertDeskTest, TheBoardShowsWhoHasNotConfirmed) {
  const std::string a = device("SN-A", "14797", 19.80, 105.78);
  const std::string b = device("SN-B", "14797", 19.81, 105.79);
  device("SN-C", "16597", 19.70, 105.90);  // outside the alert's area
  const AlertSource s = source(true);
  CapDoc doc;
  doc.geocodes = {"14797"};
  const AlertRecord alert = must_push(s, doc);
  auto before = desk_.board(admin_, alert.id);
  ASSERT_TRUE(before.ok()) << before.error().message;
  EXPECT_EQ(before->order, alert.order_id);
  EXPECT_EQ(before->counts.at("total"), 2);
  EXPECT_EQ(before->counts.at("waiting"), 2);

  // Device A reports playing, then played; B reports nothing.
  ASSERT_TRUE(w_.db.store()
                  .write([&](Tx& tx) -> Status {
                    for (const char* type : {"playing", "played"}) {
                      PlayLog l;
                      l.device_id = a;
                      l.event_id = std::string("e-") + type;
                      l.type = type;
                      l.ts = w_.clock.now() + (std::string(type) == "played" ? 5 : 0);
                      l.order = alert.order_id;
                      l.sha256 = alert.media_id;
                      l.commune_code = "14797";
                      l.unit_path = "VN/38/14797/";
                      l.received_at = l.ts;
                      auto r = tx.insert_play_log(l);
                      if (!r) return r.error();
                    }
                    return {};
                  })
                  .ok());
  auto after = desk_.board(admin_, alert.id).value();
  EXPECT_EQ(after.counts.at("waiting"), 1);
  EXPECT_EQ(after.counts.at("played"), 1);
  ASSERT_EQ(after.rows.size(), 2u);
  EXPECT_EQ(after.rows[0].device_id, b) << "who has not confirmed comes first";
  EXPECT_EQ(after.rows[0].state, "waiting");
  EXPECT_EQ(after.rows[1].state, "played");

  // Out of scope: not found.
  const auto other = principal("vh.hn", Role::kStationOperator, "00004", "VN/01/00004/");
  EXPECT_EQ(desk_.board(other, alert.id).error().kind, ErrorKind::kNotFound);
}

// ---- alerts issued from the console
// --------------------------------------------------------------

LocalAlertDraft flood_order(std::vector<std::string> areas) {
  LocalAlertDraft d;
  d.owner_unit = "38";
  d.category = "Met";
  d.event = "Lũ quét";
  d.headline = "Lũ quét trên sông Mã";
  d.description = "Nước sông Mã lên nhanh.";
  d.instruction = "Di chuyển lên vùng cao ngay.";
  d.areas = std::move(areas);
  return d;
}

TEST_F(AlertDeskTest, AnOperatorsOrderBecomesAValidCapAlertAndABroadcast) {
  device("SN-A", "14797", 19.80, 105.78);
  device("SN-B", "16597", 19.70, 105.90);
  const auto op = principal("vh.38", Role::kStationOperator, "38", "VN/38/");
  auto issued = desk_.issue(op, flood_order({"16597"}), kOrigin);
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  EXPECT_EQ(issued->origin, "console");
  EXPECT_EQ(issued->state, AlertState::kBroadcast) << issued->reason;
  EXPECT_EQ(issued->devices, 1);
  EXPECT_EQ(topics(), (std::set<std::string>{"nguon/v1/a/16597/cmd"}));

  // The published document passes the CAP 1.2 schema and says what the operator ordered.
  auto doc = cap::parse_cap(issued->xml, *schema_);
  ASSERT_TRUE(doc.ok()) << doc.error().message << "\n" << issued->xml;
  EXPECT_EQ(doc->sender, "nguon@localhost");
  EXPECT_EQ(doc->infos[0].language, "vi-VN");
  EXPECT_EQ(doc->infos[0].sender_name, "UBND Tỉnh Thanh Hóa");
  EXPECT_EQ(admin_geocodes(doc->infos[0].areas[0]), std::vector<std::string>{"16597"});
  EXPECT_EQ(doc->infos[0].expires, w_.clock.now() + 360 * 60);
  EXPECT_EQ(desk_.published(10)->size(), 1u);

  // Stopping our own alert cancels it: a CAP Cancel referencing it is published too.
  auto stopped = desk_.stop(op, issued->id, kOrigin);
  ASSERT_TRUE(stopped.ok()) << stopped.error().message;
  EXPECT_EQ(stopped->state, AlertState::kCancelled);
  auto feed = desk_.published(10).value();
  ASSERT_EQ(feed.size(), 2u);
  EXPECT_EQ(feed[0].msg_type, "Cancel");
  auto cancel = cap::parse_cap(feed[0].xml, *schema_);
  ASSERT_TRUE(cancel.ok()) << cancel.error().message;
  ASSERT_EQ(cancel->references.size(), 1u);
  EXPECT_EQ(cancel->references[0].identifier, doc->identifier);
  EXPECT_EQ(std::get<protocol::StopOrder>(published().back().second.data).order, issued->order_id);
}

TEST_F(AlertDeskTest, AnOrderIsRefusedOutsideTheOperatorsUnitAndWithBadFields) {
  device("SN-A", "14797", 19.80, 105.78);
  const auto commune_op = principal("vh.b", Role::kStationOperator, "16597", "VN/38/16597/");
  EXPECT_EQ(desk_.issue(commune_op, flood_order({"14797"}), kOrigin).error().kind,
            ErrorKind::kInvalid);  // owner 38 is not readable for a commune operator
  LocalAlertDraft own = flood_order({"14797"});
  own.owner_unit = "16597";
  EXPECT_EQ(desk_.issue(commune_op, own, kOrigin).error().code, "invalid_reference");
  const auto op = principal("vh.38", Role::kStationOperator, "38", "VN/38/");
  const auto editor = principal("bt.38", Role::kEditor, "38", "VN/38/");
  EXPECT_EQ(desk_.issue(editor, flood_order({"14797"}), kOrigin).error().kind,
            ErrorKind::kForbidden);
  LocalAlertDraft bad = flood_order({});
  EXPECT_EQ(desk_.issue(op, bad, kOrigin).error().code, "invalid_field");  // no area
  bad = flood_order({"14797"});
  bad.headline = "   ";
  EXPECT_EQ(desk_.issue(op, bad, kOrigin).error().code, "invalid_field");
  bad = flood_order({"14797"});
  bad.polygon = {{19.6, 105.8}, {19.8, 106.0}, {19.6, 106.0}, {19.8, 105.8}};  // a bow tie
  EXPECT_EQ(desk_.issue(op, bad, kOrigin).error().code, "invalid_field");
  bad = flood_order({"14797"});
  bad.severity = "Catastrophic";
  EXPECT_EQ(desk_.issue(op, bad, kOrigin).error().code, "invalid_field");
  EXPECT_TRUE(w_.bus.sent.empty());
  EXPECT_TRUE(desk_.published(10)->empty());
}

TEST_F(AlertDeskTest, ADrawnPolygonReachesTheDevicesInsideIt) {
  const std::string inside = device("SN-IN", "16597", 19.70, 105.90);
  device("SN-OUT", "14797", 19.95, 105.50);
  const auto op = principal("vh.38", Role::kStationOperator, "38", "VN/38/");
  LocalAlertDraft d = flood_order({});
  d.polygon = {{19.6, 105.8}, {19.6, 106.0}, {19.75, 106.0}, {19.75, 105.8}};  // closed here
  auto issued = desk_.issue(op, d, kOrigin);
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  EXPECT_EQ(topics(), (std::set<std::string>{"nguon/v1/d/" + inside + "/cmd"}));
}

TEST_F(AlertDeskTest, TestOrdersArePublishedButNeverPlayed) {
  device("SN-A", "14797", 19.80, 105.78);
  const auto op = principal("vh.38", Role::kStationOperator, "38", "VN/38/");
  LocalAlertDraft d = flood_order({"14797"});
  d.status = "Test";
  auto issued = desk_.issue(op, d, kOrigin);
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(issued->state, AlertState::kRecorded);
  EXPECT_EQ(cap::parse_cap(issued->xml, *schema_)->status, CapStatus::kTest);
  EXPECT_TRUE(w_.bus.sent.empty());
  EXPECT_EQ(desk_.published(10)->size(), 1u);
}

TEST_F(AlertDeskTest, WithASecondApproverTheIssuerCannotApproveTheirOwnOrder) {
  device("SN-A", "14797", 19.80, 105.78);
  AlertDesk guarded(w_.db.store(), w_.clock, w_.crypto, *w_.service, voice_, codec_,
                    {3, 100, true, "nguon@tinh38.example.vn"});
  auto op = principal("vh.38", Role::kStationOperator, "38", "VN/38/");
  op.user_id = 7;
  auto issued = guarded.issue(op, flood_order({"14797"}), kOrigin);
  ASSERT_TRUE(issued.ok());
  EXPECT_EQ(issued->state, AlertState::kPending);
  EXPECT_EQ(issued->devices, 1);
  EXPECT_TRUE(w_.bus.sent.empty());
  EXPECT_EQ(guarded.approve(op, issued->id, kOrigin).error().code, "second_approver_required");
  auto second = principal("vh2.38", Role::kStationOperator, "38", "VN/38/");
  second.user_id = 8;
  auto approved = guarded.approve(second, issued->id, kOrigin);
  ASSERT_TRUE(approved.ok()) << approved.error().message;
  EXPECT_EQ(approved->state, AlertState::kBroadcast);
  EXPECT_EQ(topics(), (std::set<std::string>{"nguon/v1/a/14797/cmd"}));
}

// ---- the Atom feed poller (app/alerts_stack.h) over a loopback HTTP server ----

// Serves fixed bodies by path; anything else is 404.
class LoopbackSite {
 public:
  explicit LoopbackSite(std::map<std::string, std::string> pages)
      : pages_(std::move(pages)),
        server_({"127.0.0.1", 0, 1, 1 << 20, 1 << 20, nullptr, std::chrono::seconds(5)},
                [this](const http::HttpRequest& r) { return answer(r); }) {
    EXPECT_EQ(server_.bind(), "");
    thread_ = std::thread([this] { server_.run(); });
  }
  ~LoopbackSite() {
    server_.shutdown(std::chrono::milliseconds(100));
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + path;
  }
  int hits(const std::string& path) {
    std::lock_guard lock(mu_);
    return hits_[path];
  }

 private:
  http::HttpResponse answer(const http::HttpRequest& r) {
    std::lock_guard lock(mu_);
    ++hits_[r.target];
    http::HttpResponse out;
    auto page = pages_.find(r.target);
    if (page == pages_.end()) {
      out.status = 404;
      out.body = "not found";
      return out;
    }
    out.content_type = "application/xml";
    out.body = page->second;
    return out;
  }

  std::map<std::string, std::string> pages_;
  std::mutex mu_;
  std::map<std::string, int> hits_;
  http::HttpServer server_;
  std::thread thread_;
};

std::string atom_feed(const std::vector<std::string>& cap_links) {
  std::string x =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><id>urn:kttv:th</id><title>KTTV</title>"
      "<updated>2026-11-26T08:00:00+07:00</updated>";
  int n = 0;
  for (const std::string& link : cap_links) {
    x += "<entry><id>urn:kttv:" + std::to_string(++n) +
         "</id><title>Cảnh báo</title><updated>2026-11-26T08:00:00+07:00</updated>"
         "<link rel=\"alternate\" type=\"application/cap+xml\" href=\"" +
         link + "\"/></entry>";
  }
  return x + "</feed>";
}

TEST_F(AlertDeskTest, ThePollerIngestsEachNewDocumentOfAFeedOnce) {
  device("SN-A", "14797", 19.80, 105.78);
  CapDoc good;
  good.geocodes = {"14797"};
  CapDoc other_sender = good;
  other_sender.identifier = "KHAC-1";
  other_sender.sender = "khac@example.vn";
  LoopbackSite site(
      {{"/feed.atom", atom_feed({"/cap/1.xml", "cap/2.xml", "/cap/missing.xml", "/cap/3.xml"})},
       {"/cap/1.xml", cap_xml(good)},
       {"/cap/2.xml", "<alert>không hợp lệ</alert>"},
       {"/cap/3.xml", cap_xml(other_sender)}});
  AlertSource s = source(true);
  SourcePatch polled;
  polled.feed_url = site.url("/feed.atom");
  s = desk_.update_source(admin_, s.id, polled, kOrigin).value();

  app::FeedPoller poller(desk_, *schema_);
  auto first = poller.run_once();
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first.value(), 1) << "only the valid document from the source's own sender";
  EXPECT_EQ(site.hits("/cap/2.xml"), 1) << "a relative link resolves against the feed URL";
  auto alerts = desk_.list(admin_, {});
  ASSERT_EQ(alerts->size(), 1u);
  EXPECT_EQ(alerts->front().origin, "feed");
  EXPECT_EQ(alerts->front().state, AlertState::kBroadcast);
  auto after = desk_.sources(admin_).value().front();
  EXPECT_EQ(after.last_poll_error, "");
  EXPECT_EQ(after.last_polled_at, w_.clock.now());

  // Read documents are not fetched again; a missing one is retried.
  EXPECT_EQ(poller.run_once().value(), 0);
  EXPECT_EQ(site.hits("/cap/1.xml"), 1);
  EXPECT_EQ(site.hits("/cap/missing.xml"), 2);
  // After a restart (a fresh poller) the store still refuses the duplicate, quietly.
  app::FeedPoller restarted(desk_, *schema_);
  EXPECT_EQ(restarted.run_once().value(), 0);
  EXPECT_EQ(desk_.list(admin_, {})->size(), 1u);
  EXPECT_EQ(w_.bus.sent.size(), 1u);

  // An unreachable feed is noted on the source.
  polled.feed_url = site.url("/no-feed.atom");
  ASSERT_TRUE(desk_.update_source(admin_, s.id, polled, kOrigin).ok());
  EXPECT_EQ(poller.run_once().value(), 0);
  EXPECT_EQ(desk_.sources(admin_).value().front().last_poll_error, "http 404");
}

// ---- pure rules ----

TEST(AlertRules, ThresholdsCompareCapsOrderedValues) {
  AlertSource s;  // Severe / Expected / Likely
  CapInfo info;
  info.severity = "Extreme";
  info.urgency = "Expected";
  info.certainty = "Observed";
  EXPECT_TRUE(meets_auto_thresholds(s, info));
  info.certainty = "Possible";
  EXPECT_FALSE(meets_auto_thresholds(s, info));
  info.certainty = "Likely";
  info.urgency = "Unknown";
  EXPECT_FALSE(meets_auto_thresholds(s, info));
  info.urgency = "Soon";  // not CAP
  EXPECT_FALSE(meets_auto_thresholds(s, info));
}

TEST(AlertRules, TheVietnameseInfoIsSpokenAndLongTextsAreCutAtASentence) {
  CapAlert alert;
  CapInfo en;
  en.language = "en-US";
  en.headline = "Typhoon";
  CapInfo vi;
  vi.language = "VI";
  vi.severity = "Minor";
  vi.headline = "Triều cường";
  vi.description = std::string(3000, 'a') + ". " + std::string(3000, 'b') + ".";
  alert.infos = {en, vi};
  alert.status = CapStatus::kTest;
  EXPECT_EQ(spoken_info(alert), &alert.infos[1]);
  const std::string text = bulletin_text(alert);
  EXPECT_EQ(text.rfind("Tin thử nghiệm. Thông báo. Triều cường. aaa", 0), 0u) << text.substr(0, 60);
  EXPECT_LE(text.size(), kMaxSpokenBytes);
  EXPECT_EQ(text.back(), '.');
  EXPECT_EQ(text.find("bbb"), std::string::npos);
}

TEST(AlertRules, NestedUnitsArePublishedOnceOnTheOuterOne) {
  Unit scope;
  scope.code = "38";
  scope.path = "VN/38/";
  CapAlert alert;
  CapInfo info;
  CapArea area;
  area.geocodes = {{"VN-ADM", "16597"}, {"vn-adm", "16597-001"}, {"VN-ADM", "VN"}};
  info.areas = {area};
  alert.infos = {info};
  Device d;
  d.id = "d1";
  d.unit_path = "VN/38/16597/16597-001/";
  const UnitPathLookup path_of = [](std::string_view code) -> std::optional<std::string> {
    if (code == "16597") return "VN/38/16597/";
    if (code == "16597-001") return "VN/38/16597/16597-001/";
    if (code == "VN") return "VN/";
    return std::nullopt;
  };
  const TargetPlan plan = plan_targets(alert, scope, {d}, path_of);
  // "VN" contains the source's unit: it becomes 38, which holds 16597.
  EXPECT_EQ(plan.areas, (std::vector<std::string>{"38"}));
  EXPECT_TRUE(plan.device_ids.empty());
  EXPECT_EQ(plan.devices, 1u);
}

}  // namespace
}  // namespace nguon::alerts
