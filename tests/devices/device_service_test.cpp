// DeviceService: registry validation, scope, provisioning, signed orders (verified with the
// public key a device pins), ingestion, reports and CSV import.
#include "core/devices/device_service.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/devices/record_json.h"
#include "tests/devices/device_fakes.h"

namespace nguon {
namespace {

using testing::DeviceWorld;
using testing::principal;

const RequestOrigin kOrigin{"tester", "127.0.0.1"};
constexpr const char* kValidImei = "490154203237518";

DeviceDraft draft(const std::string& serial, const std::string& commune = "14797") {
  DeviceDraft d;
  d.name = "Cụm loa " + serial;
  d.serial = serial;
  d.imei = kValidImei;
  d.vendor = "Hanet";
  d.model = "IP-4G";
  d.firmware = "1.0";
  d.commune_code = commune;
  d.lat = 19.8;
  d.lon = 105.78;
  d.horns = 4;
  d.watts = 100;
  return d;
}

class DeviceServiceTest : public ::testing::Test {
 protected:
  DeviceService& svc() { return *w_.service; }

  Device must_register(const DeviceDraft& d) {
    auto r = svc().register_device(admin_, d, kOrigin);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().code + ": " + r.error().message);
    return r.ok() ? r.value() : Device{};
  }

  // Opens a published message as the device would, at the service's current time.
  Result<protocol::Message> open(const testing::RecordingBus::Published& m) {
    auto keys = w_.pinned();
    return protocol::open(w_.crypto, keys, m.topic, m.payload, w_.clock.now());
  }

  std::int64_t audit_count() {
    std::int64_t n = 0;
    (void)w_.db.store().read([&](Tx& tx) -> Status {
      auto r = tx.scan_audit(0, 100000);
      if (!r) return r.error();
      n = static_cast<std::int64_t>(r->size());
      return {};
    });
    return n;
  }

  DeviceWorld w_;
  access::Principal admin_ = principal("admin", Role::kAdmin, "VN", "VN/");
  access::Principal op14797_ = principal("op", Role::kStationOperator, "14797", "VN/38/14797/");
  access::Principal viewer38_ = principal("xem", Role::kViewer, "38", "VN/38/");
};

TEST(DeviceValidation, ImeiNeedsFifteenDigitsAndTheLuhnCheckDigit) {
  EXPECT_TRUE(valid_imei("490154203237518"));
  EXPECT_TRUE(valid_imei("356938035643809"));
  EXPECT_FALSE(valid_imei("490154203237519"));
  EXPECT_FALSE(valid_imei("49015420323751"));
  EXPECT_FALSE(valid_imei("49015420323751a"));
}

TEST(DeviceValidation, ReportsEveryBadField) {
  DeviceDraft d = draft("");
  d.imei = "490154203237519";
  d.lat = 25.0;
  d.lon = 101.0;
  d.horns = 65;
  d.watts = 10001;
  d.commune_code = "1479";
  d.name = std::string("bad\x01name");
  std::vector<std::string> fields;
  for (const FieldError& e : validate_device_fields(d)) fields.push_back(e.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"serial", "imei", "name", "commune_code", "lat",
                                              "lon", "horns", "watts"}));
  DeviceDraft half = draft("SN");
  half.lon.reset();
  ASSERT_EQ(validate_device_fields(half).size(), 1u);
  DeviceDraft village = draft("SN", "16597");
  village.village_code = "14797-001";
  ASSERT_EQ(validate_device_fields(village).size(), 1u);
  EXPECT_EQ(validate_device_fields(village)[0].field, "village_code");
  EXPECT_TRUE(validate_device_fields(draft("SN-ok")).empty());
}

TEST_F(DeviceServiceTest, RegisterStoresAValidDeviceAndAudits) {
  DeviceDraft d = draft("SN-1", "16597");
  d.village_code = "16597-002";
  const std::int64_t before = audit_count();
  Device got = must_register(d);
  EXPECT_TRUE(protocol::valid_device_id(got.id)) << got.id;
  EXPECT_EQ(got.unit_path, "VN/38/16597/16597-002/");
  EXPECT_EQ(got.status, DeviceStatus::kRegistered);
  EXPECT_EQ(audit_count(), before + 1);
  auto again = svc().get(admin_, got.id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->serial, "SN-1");

  auto dup = svc().register_device(admin_, draft("SN-1"), kOrigin);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "serial_exists");
  DeviceDraft bad_village = draft("SN-2", "16597");
  bad_village.village_code = "16597-009";
  auto v = svc().register_device(admin_, bad_village, kOrigin);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, "unknown_village");
  auto lat = svc().register_device(
      admin_,
      [] {
        DeviceDraft x = draft("SN-3");
        x.lat = 7.9;
        return x;
      }(),
      kOrigin);
  ASSERT_FALSE(lat.ok());
  EXPECT_EQ(lat.error().code, "out_of_range");
  EXPECT_EQ(audit_count(), before + 1);  // failures write nothing
}

TEST_F(DeviceServiceTest, OperatorOfOneCommuneNeverSeesAnother) {
  Device mine = must_register(draft("SN-A", "14797"));
  Device theirs = must_register(draft("SN-B", "16597"));

  auto reg = svc().register_device(op14797_, draft("SN-C", "16597"), kOrigin);
  ASSERT_FALSE(reg.ok());
  EXPECT_EQ(reg.error().kind, ErrorKind::kNotFound);
  EXPECT_TRUE(svc().register_device(op14797_, draft("SN-D", "14797"), kOrigin).ok());

  EXPECT_EQ(svc().get(op14797_, theirs.id).error().kind, ErrorKind::kNotFound);
  EXPECT_TRUE(svc().get(op14797_, mine.id).ok());
  DevicePatch rename;
  rename.name = "x";
  EXPECT_EQ(svc().update_device(op14797_, theirs.id, rename, kOrigin).error().kind,
            ErrorKind::kNotFound);
  EXPECT_EQ(
      svc().command(op14797_, theirs.id, {DeviceCommand::Kind::kReboot}, kOrigin).error().kind,
      ErrorKind::kNotFound);
  EXPECT_EQ(svc().provision(op14797_, theirs.id, kOrigin).error().kind, ErrorKind::kNotFound);
  // Moving one's own device into another commune is as impossible as registering it there.
  DevicePatch move;
  move.commune_code = "16597";
  EXPECT_EQ(svc().update_device(op14797_, mine.id, move, kOrigin).error().kind,
            ErrorKind::kNotFound);

  (void)w_.media.put("tiếng", "audio/ogg");
  BroadcastRequest b;
  b.areas = {"16597"};
  b.items = {{ProgrammeItemKind::kStream, 0, "", "http://vov.vn/1.ogg", 60, "VOV"}};
  EXPECT_EQ(svc().broadcast(op14797_, b, kOrigin).error().kind, ErrorKind::kNotFound);
  b.areas = {"38"};  // above the operator's commune: only navigable, not theirs
  EXPECT_EQ(svc().broadcast(op14797_, b, kOrigin).error().kind, ErrorKind::kNotFound);
  EXPECT_TRUE(w_.bus.sent.empty());

  auto listing = svc().list(op14797_, {});
  ASSERT_TRUE(listing.ok());
  ASSERT_EQ(listing->items.size(), 2u);
  EXPECT_EQ(listing->counts.total, 2);
  auto other = svc().list(op14797_, {"16597"});
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind, ErrorKind::kNotFound);
}

TEST_F(DeviceServiceTest, ViewersReadButNeverWrite) {
  Device d = must_register(draft("SN-A", "14797"));
  EXPECT_TRUE(svc().get(viewer38_, d.id).ok());
  EXPECT_EQ(svc().register_device(viewer38_, draft("SN-V"), kOrigin).error().kind,
            ErrorKind::kForbidden);
  EXPECT_EQ(svc().provision(viewer38_, d.id, kOrigin).error().kind, ErrorKind::kForbidden);
  EXPECT_EQ(svc().decommission(viewer38_, d.id, kOrigin).error().kind, ErrorKind::kForbidden);
  auto listing = svc().list(viewer38_, {});
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->items.size(), 1u);
}

TEST_F(DeviceServiceTest, ProvisionIssuesFreshCredentialsAndABundle) {
  DeviceDraft in = draft("SN-A", "16597");
  in.village_code = "16597-001";
  Device d = must_register(in);
  auto group = svc().create_group(admin_, {"Chợ", "16597", {d.id}}, kOrigin);
  ASSERT_TRUE(group.ok());

  auto first = svc().provision(admin_, d.id, kOrigin);
  ASSERT_TRUE(first.ok()) << first.error().message;
  const protocol::Bundle& b = first->bundle;
  EXPECT_EQ(b.device, d.id);
  EXPECT_EQ(b.broker_host, "mqtt.nguon.test");
  EXPECT_EQ(b.broker_port, 8883);
  EXPECT_TRUE(b.broker_tls);
  EXPECT_EQ(b.media_base_url, "https://nguon.test/api/v1/device-media");
  EXPECT_EQ(b.password.size(), 32u);
  const std::vector<std::string> areas = {"VN", "38", "16597", "16597-001",
                                          "g" + std::to_string(group->id)};
  EXPECT_EQ(b.areas, areas);
  ASSERT_EQ(b.keys.size(), 1u);
  EXPECT_EQ(b.keys[0].public_key, w_.key.public_key);
  EXPECT_EQ(b.keys[0].kid, w_.key.kid);
  EXPECT_EQ(first->device.status, DeviceStatus::kProvisioned);
  EXPECT_EQ(first->device.credential_version, 1);
  EXPECT_EQ(first->device.secret_hash, w_.crypto.sha256_hex(b.password));
  ASSERT_EQ(w_.broker.accounts.count(d.id), 1u);
  EXPECT_EQ(w_.broker.accounts[d.id].password, b.password);
  EXPECT_EQ(w_.broker.accounts[d.id].areas, areas);
  EXPECT_TRUE(svc().check_device_password(d.id, b.password));

  auto second = svc().provision(admin_, d.id, kOrigin);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->bundle.password, b.password);
  EXPECT_EQ(second->device.credential_version, 2);
  EXPECT_FALSE(svc().check_device_password(d.id, b.password));
  EXPECT_TRUE(svc().check_device_password(d.id, second->bundle.password));

  // A broker failure leaves the previous credentials in force.
  w_.broker.fail = true;
  auto failed = svc().provision(admin_, d.id, kOrigin);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(svc().get(admin_, d.id)->credential_version, 2);
  EXPECT_TRUE(svc().check_device_password(d.id, second->bundle.password));
  w_.broker.fail = false;

  auto gone = svc().decommission(admin_, d.id, kOrigin);
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ(gone->status, DeviceStatus::kDecommissioned);
  EXPECT_TRUE(gone->secret_hash.empty());
  EXPECT_EQ(w_.broker.removed, std::vector<std::string>{d.id});
  EXPECT_FALSE(svc().check_device_password(d.id, second->bundle.password));
  EXPECT_EQ(svc().provision(admin_, d.id, kOrigin).error().code, "invalid_transition");
  // Its serial is free again.
  EXPECT_TRUE(svc().register_device(admin_, draft("SN-A", "16597"), kOrigin).ok());
}

TEST_F(DeviceServiceTest, BroadcastSignsOnePlayPerAreaAndStopsIt) {
  Device a = must_register(draft("SN-A", "14797"));
  Device b = must_register(draft("SN-B", "16597"));
  Device c = must_register(draft("SN-C", "00004"));
  auto group = svc().create_group(admin_, {"Hà Nội", "00004", {c.id}}, kOrigin);
  ASSERT_TRUE(group.ok());
  auto media = w_.media.put(std::string(1000, 'x'), "audio/ogg");
  ASSERT_TRUE(media.ok());

  BroadcastRequest req;
  const std::string gid = "g" + std::to_string(group->id);
  req.areas = {"14797", "16597", gid, "14797"};  // duplicates are dropped
  req.priority = Priority::kEmergency;
  req.items = {{ProgrammeItemKind::kMedia, 0, media->sha256, "", 0, "Cảnh báo bão"},
               {ProgrammeItemKind::kStream, 0, "", "http://vov.vn/vov1.ogg", 600, "VOV1"}};
  req.repeat = 2;
  req.volume = 90;
  auto r = svc().broadcast(admin_, req, kOrigin);
  ASSERT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
  EXPECT_EQ(r->areas, (std::vector<std::string>{"14797", "16597", gid}));
  EXPECT_EQ(r->devices, 3u);
  ASSERT_EQ(w_.bus.sent.size(), 3u);
  std::int64_t last_seq = 0;
  for (size_t i = 0; i < 3; ++i) {
    const auto& m = w_.bus.sent[i];
    EXPECT_EQ(m.topic, protocol::area_topic(r->areas[i]));
    EXPECT_FALSE(m.retain);
    auto opened = open(m);
    ASSERT_TRUE(opened.ok()) << opened.error().code;
    EXPECT_GT(opened->seq, last_seq);
    last_seq = opened->seq;
    EXPECT_EQ(opened->to, "a/" + r->areas[i] + "/cmd");
    EXPECT_EQ(opened->exp, w_.clock.now() + protocol::kOrderLifetimeSeconds);
    ASSERT_EQ(opened->type(), protocol::MessageType::kPlay);
    const auto& play = std::get<protocol::PlayOrder>(opened->data);
    EXPECT_EQ(play.order, r->order);
    EXPECT_EQ(play.priority, Priority::kEmergency);
    EXPECT_EQ(play.repeat, 2);
    EXPECT_EQ(play.volume, std::optional<int>(90));
    ASSERT_EQ(play.items.size(), 2u);
    EXPECT_EQ(play.items[0].sha256, media->sha256);
    EXPECT_EQ(play.items[0].bytes, 1000);
    EXPECT_EQ(play.items[1].url, "http://vov.vn/vov1.ogg");
  }
  // A message moved to another topic is refused: it is addressed.
  auto keys = w_.pinned();
  auto moved = protocol::open(w_.crypto, keys, protocol::area_topic("00004"),
                              w_.bus.sent[0].payload, w_.clock.now());
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().code, "misaddressed");

  w_.bus.sent.clear();
  ASSERT_TRUE(svc().stop_order(admin_, r->order, kOrigin).ok());
  ASSERT_EQ(w_.bus.sent.size(), 3u);
  auto stop = open(w_.bus.sent[1]);
  ASSERT_TRUE(stop.ok());
  ASSERT_EQ(stop->type(), protocol::MessageType::kStop);
  EXPECT_EQ(std::get<protocol::StopOrder>(stop->data).order, std::optional<std::string>(r->order));
  EXPECT_GT(stop->seq, last_seq);
  EXPECT_EQ(svc().stop_order(op14797_, r->order, kOrigin).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(svc().stop_order(admin_, "o999999", kOrigin).error().kind, ErrorKind::kNotFound);
}

TEST_F(DeviceServiceTest, BroadcastRejectsBadItemsAndPublishesNothing) {
  must_register(draft("SN-A", "14797"));
  BroadcastRequest req;
  req.areas = {"14797"};
  req.items = {{ProgrammeItemKind::kMedia, 0, std::string(64, 'a'), "", 0, ""}};
  EXPECT_EQ(svc().broadcast(admin_, req, kOrigin).error().code, "unknown_media");
  req.items = {{ProgrammeItemKind::kStream, 0, "", "ftp://x", 60, ""}};
  EXPECT_EQ(svc().broadcast(admin_, req, kOrigin).error().code, "invalid_field");
  req.items = {{ProgrammeItemKind::kBulletin, 12345, "", "", 0, ""}};
  EXPECT_EQ(svc().broadcast(admin_, req, kOrigin).error().code, "unknown_bulletin");
  req.items = {{ProgrammeItemKind::kStream, 0, "", "http://x/y", 60, ""}};
  req.repeat = 21;
  EXPECT_EQ(svc().broadcast(admin_, req, kOrigin).error().code, "invalid_field");
  req.repeat = 1;
  req.areas = {"g999"};
  EXPECT_EQ(svc().broadcast(admin_, req, kOrigin).error().kind, ErrorKind::kNotFound);
  EXPECT_TRUE(w_.bus.sent.empty());
}

TEST_F(DeviceServiceTest, BroadcastPlaysPublishedBulletinAudio) {
  must_register(draft("SN-A", "14797"));
  auto audio = w_.media.put(std::string(3000, 'b'), "audio/ogg");
  ASSERT_TRUE(audio.ok());
  std::int64_t published = 0;
  std::int64_t draft_id = 0;
  ASSERT_TRUE(w_.db.store()
                  .write([&](Tx& tx) -> Status {
                    User author;
                    author.username = "tacgia";
                    author.display_name = "Tác giả";
                    author.unit_code = "38";
                    author.password_hash = "x";
                    auto uid = tx.insert_user(author);
                    if (!uid) return uid.error();
                    Bulletin b;
                    b.owner_unit = "38";  // from above: in the commune's library
                    b.title = "Tin bão số 3";
                    b.body = "Nội dung";
                    b.category = "disaster_emergency";
                    b.author_id = uid.value();
                    b.status = BulletinStatus::kPublished;
                    b.audio = {audio->sha256, 61.5, "tts", "north"};
                    auto id = tx.insert_bulletin(b, "VN/38/");
                    if (!id) return id.error();
                    published = id.value();
                    b.status = BulletinStatus::kDraft;
                    auto other = tx.insert_bulletin(b, "VN/38/");
                    if (!other) return other.error();
                    draft_id = other.value();
                    return {};
                  })
                  .ok());
  BroadcastRequest req;
  req.areas = {"14797"};
  req.items = {{ProgrammeItemKind::kBulletin, published, "", "", 0, ""}};
  auto r = svc().broadcast(op14797_, req, kOrigin);
  ASSERT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
  auto opened = open(w_.bus.sent.at(0));
  ASSERT_TRUE(opened.ok());
  const auto& item = std::get<protocol::PlayOrder>(opened->data).items.at(0);
  EXPECT_EQ(item.sha256, audio->sha256);
  EXPECT_EQ(item.bytes, 3000);
  EXPECT_EQ(item.duration_ms, 61500);
  EXPECT_EQ(item.title, "Tin bão số 3");
  req.items = {{ProgrammeItemKind::kBulletin, draft_id, "", "", 0, ""}};
  EXPECT_EQ(svc().broadcast(op14797_, req, kOrigin).error().code, "unknown_bulletin");
}

TEST_F(DeviceServiceTest, BroadcastThatTheBrokerRefusesIsRecordedAndReported) {
  must_register(draft("SN-A", "14797"));
  w_.bus.fail = true;
  BroadcastRequest req;
  req.areas = {"14797"};
  req.items = {{ProgrammeItemKind::kStream, 0, "", "http://vov.vn/1.ogg", 60, ""}};
  auto r = svc().broadcast(admin_, req, kOrigin);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
  // Recorded, so it can still be stopped once the broker is back.
  w_.bus.fail = false;
  std::optional<BroadcastOrder> order;
  ASSERT_TRUE(w_.db.store()
                  .read([&](Tx& tx) -> Status {
                    for (int n = 1; n < 10 && !order; ++n) {
                      auto o = tx.find_order("o" + std::to_string(n));
                      if (!o) return o.error();
                      order = o.value();
                    }
                    return {};
                  })
                  .ok());
  ASSERT_TRUE(order.has_value());
  EXPECT_EQ(order->areas, std::vector<std::string>{"14797"});
  EXPECT_TRUE(svc().stop_order(admin_, order->id, kOrigin).ok());
}

TEST_F(DeviceServiceTest, CommandsBecomeSignedSettingsOrReboot) {
  Device d = must_register(draft("SN-A", "14797"));
  ASSERT_TRUE(svc()
                  .ingest(protocol::device_topic(d.id, protocol::DeviceLeaf::kState),
                          R"({"online":true,"ts":1790000000,"volume":40,"power":false})")
                  .ok());
  ASSERT_TRUE(svc().command(op14797_, d.id, {DeviceCommand::Kind::kVolume, 80}, kOrigin).ok());
  ASSERT_EQ(w_.bus.sent.size(), 1u);
  EXPECT_EQ(w_.bus.sent[0].topic, protocol::device_topic(d.id, protocol::DeviceLeaf::kSettings));
  EXPECT_TRUE(w_.bus.sent[0].retain);
  auto settings = open(w_.bus.sent[0]);
  ASSERT_TRUE(settings.ok()) << settings.error().code;
  // The volume changes; power stays as the device reported it.
  EXPECT_EQ(std::get<protocol::Settings>(settings->data), (protocol::Settings{80, false}));

  DeviceCommand power{DeviceCommand::Kind::kPower};
  power.on = true;
  ASSERT_TRUE(svc().command(op14797_, d.id, power, kOrigin).ok());
  auto on = open(w_.bus.sent[1]);
  ASSERT_TRUE(on.ok());
  EXPECT_EQ(std::get<protocol::Settings>(on->data), (protocol::Settings{40, true}));
  EXPECT_GT(on->seq, settings->seq);

  ASSERT_TRUE(svc().command(op14797_, d.id, {DeviceCommand::Kind::kReboot}, kOrigin).ok());
  EXPECT_EQ(w_.bus.sent[2].topic, protocol::device_topic(d.id, protocol::DeviceLeaf::kCmd));
  EXPECT_FALSE(w_.bus.sent[2].retain);
  auto reboot = open(w_.bus.sent[2]);
  ASSERT_TRUE(reboot.ok());
  EXPECT_EQ(reboot->type(), protocol::MessageType::kReboot);

  EXPECT_EQ(
      svc().command(op14797_, d.id, {DeviceCommand::Kind::kVolume, 101}, kOrigin).error().code,
      "invalid_field");
  w_.bus.fail = true;
  EXPECT_EQ(svc().command(op14797_, d.id, {DeviceCommand::Kind::kReboot}, kOrigin).error().kind,
            ErrorKind::kUnavailable);
}

TEST_F(DeviceServiceTest, ManifestIsSignedAndRetainedUntilItsLastSlot) {
  Device d = must_register(draft("SN-A", "14797"));
  protocol::Manifest m;
  m.volume = 60;
  const UnixTime start = w_.clock.now() + 3 * 86400;
  m.slots = {{"p1@1",
              start,
              start + 1800,
              Priority::kNormal,
              {{protocol::ItemKind::kStream, "", 0, 0, "http://vov.vn/1.ogg", 1800, "VOV"}}}};
  ASSERT_TRUE(svc().publish_manifest(d.id, m).ok());
  ASSERT_EQ(w_.bus.sent.size(), 1u);
  EXPECT_TRUE(w_.bus.sent[0].retain);
  auto opened = open(w_.bus.sent[0]);
  ASSERT_TRUE(opened.ok()) << opened.error().code;
  EXPECT_EQ(std::get<protocol::Manifest>(opened->data), m);
  EXPECT_EQ(opened->exp, start + 1800);
  EXPECT_EQ(svc().publish_manifest("d0000000000000000", m).error().kind, ErrorKind::kNotFound);
}

TEST_F(DeviceServiceTest, IngestRecordsStateAndDeduplicatesEvents) {
  Device d = must_register(draft("SN-A", "16597"));
  const std::string state_topic = protocol::device_topic(d.id, protocol::DeviceLeaf::kState);
  const std::string events_topic = protocol::device_topic(d.id, protocol::DeviceLeaf::kEvents);
  auto st = svc().ingest(state_topic, R"({"online":true,"ts":1790000100,"playing":{"kind":"media",)"
                                      R"("sha256":"ab","priority":"normal"},"volume":70})");
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st.value(), IngestOutcome::kStateRecorded);
  auto listing = svc().list(admin_, {});
  ASSERT_TRUE(listing.ok());
  EXPECT_EQ(listing->counts.online, 1);
  EXPECT_EQ(listing->counts.playing, 1);
  EXPECT_EQ(listing->items[0].last_seen, 1790000100);

  // The last will has no time: now.
  ASSERT_TRUE(svc().ingest(state_topic, protocol::offline_state()).ok());
  auto offline = svc().get(admin_, d.id);
  EXPECT_FALSE(offline->online);
  EXPECT_EQ(offline->last_seen, w_.clock.now());

  const std::string event =
      R"({"id":"7","type":"played","ts":1790000200,"slot":"p1@1","order":null,)"
      R"("sha256":"ab","started":1790000100,"ended":1790000200,"reason":null})";
  EXPECT_EQ(svc().ingest(events_topic, event).value(), IngestOutcome::kEventRecorded);
  EXPECT_EQ(svc().ingest(events_topic, event).value(), IngestOutcome::kDuplicateEvent);
  auto logs = svc().plays(admin_, {});
  ASSERT_TRUE(logs.ok());
  ASSERT_EQ(logs->size(), 1u);
  EXPECT_EQ((*logs)[0].commune_code, "16597");
  EXPECT_EQ((*logs)[0].unit_path, "VN/38/16597/");
  auto air = svc().airtime(admin_, "", "commune", 0, 0);
  ASSERT_TRUE(air.ok());
  ASSERT_EQ(air->size(), 1u);
  EXPECT_EQ((*air)[0].key, "16597");
  EXPECT_EQ((*air)[0].name, "Phường Hải Lĩnh");
  EXPECT_EQ((*air)[0].seconds, 100);
  EXPECT_EQ(svc().plays(op14797_, {}).value().size(), 0u);
  EXPECT_EQ(svc().plays(op14797_, {"", d.id}).error().kind, ErrorKind::kNotFound);

  EXPECT_EQ(
      svc()
          .ingest(protocol::device_topic("d0000000000000000", protocol::DeviceLeaf::kEvents), event)
          .error()
          .kind,
      ErrorKind::kNotFound);
  EXPECT_FALSE(svc().ingest(events_topic, "{not json").ok());
  EXPECT_FALSE(svc().ingest(events_topic, std::string(300 * 1024, ' ')).ok());
  EXPECT_FALSE(svc().ingest("nguon/v1/a/16597/cmd", event).ok());
  EXPECT_FALSE(svc().ingest(protocol::device_topic(d.id, protocol::DeviceLeaf::kCmd), event).ok());
}

TEST_F(DeviceServiceTest, GroupsHoldOnlyDevicesOfTheirUnit) {
  Device a = must_register(draft("SN-A", "16597"));
  Device b = must_register(draft("SN-B", "14797"));
  auto bad = svc().create_group(admin_, {"Chợ", "16597", {a.id, b.id}}, kOrigin);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "invalid_field");
  auto g = svc().create_group(admin_, {"Chợ", "16597", {a.id, a.id}}, kOrigin);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->device_ids, std::vector<std::string>{a.id});
  EXPECT_EQ(svc().get_group(op14797_, g->id).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(svc().delete_group(op14797_, g->id, kOrigin).error().kind, ErrorKind::kNotFound);
  GroupPatch patch;
  patch.name = "Chợ mới";
  EXPECT_EQ(svc().update_group(admin_, g->id, patch, kOrigin)->name, "Chợ mới");
  EXPECT_EQ(svc().list_groups(admin_)->size(), 1u);
  EXPECT_EQ(svc().list_groups(op14797_)->size(), 0u);
  ASSERT_TRUE(svc().delete_group(admin_, g->id, kOrigin).ok());
  EXPECT_EQ(svc().get_group(admin_, g->id).error().kind, ErrorKind::kNotFound);
}

constexpr const char* kHeader =
    "serial,imei,kind,name,vendor,model,firmware,commune_code,village_code,lat,lon,horns,watts\r\n";

TEST_F(DeviceServiceTest, CsvImportOfAGoodFileCreatesEveryRow) {
  const std::string csv = std::string("\xEF\xBB\xBF") + kHeader +
                          "SN-1,490154203237518,cluster,\"Loa chợ, cổng \"\"A\"\"\",Hanet,M1,1.0,"
                          "16597,16597-001,19.7,105.9,4,120\r\n"
                          "SN-2,,board,Bảng tin,,,,14797,,,,0,0\r\n"
                          "\r\n"
                          "SN-3,,,,,,,14797,,,,,\n";
  auto r = svc().import_csv(admin_, csv, kOrigin);
  ASSERT_TRUE(r.ok()) << r.error().code << ": " << r.error().message;
  EXPECT_TRUE(r->errors.empty());
  EXPECT_EQ(r->created, 3u);
  auto listing = svc().list(admin_, {});
  ASSERT_EQ(listing->items.size(), 3u);
  auto found = svc().list(admin_, {"", "SN-1"});
  ASSERT_EQ(found->items.size(), 1u);
  EXPECT_EQ(found->items[0].name, "Loa chợ, cổng \"A\"");
  EXPECT_EQ(found->items[0].unit_path, "VN/38/16597/16597-001/");
  EXPECT_EQ(svc().list(admin_, {"", "SN-3"})->items[0].name, "SN-3");  // default name
}

TEST_F(DeviceServiceTest, CsvImportWithBadRowsReportsEachAndStoresNothing) {
  must_register(draft("SN-taken", "14797"));
  const std::string csv = std::string(kHeader) +
                          "SN-1,490154203237519,cluster,A,,,,14797,,,,1,1\n"  // bad imei
                          "SN-2,,speaker,B,,,,14797,,30,105,1,1\n"            // kind, lat
                          "SN-3,,cluster,C,,,,14797,,,,1,1\n"                 // fine
                          "SN-3,,cluster,D,,,,14797,,,,1,1\n";                // repeated serial
  auto r = svc().import_csv(admin_, csv, kOrigin);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->created, 0u);
  std::vector<std::pair<size_t, std::string>> where;
  for (const CsvRowError& e : r->errors) where.emplace_back(e.row, e.field);
  EXPECT_EQ(where, (std::vector<std::pair<size_t, std::string>>{
                       {1, "imei"}, {2, "kind"}, {2, "lat"}, {4, "serial"}}));
  EXPECT_EQ(svc().list(admin_, {})->items.size(), 1u);

  // Rows that only the database can reject: a taken serial, a commune outside the scope.
  const std::string db_errors = std::string(kHeader) +
                                "SN-new,,cluster,A,,,,14797,,,,1,1\n"
                                "SN-taken,,cluster,B,,,,14797,,,,1,1\n"
                                "SN-far,,cluster,C,,,,16597,,,,1,1\n";
  auto r2 = svc().import_csv(op14797_, db_errors, kOrigin);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->created, 0u);
  ASSERT_EQ(r2->errors.size(), 2u);
  EXPECT_EQ(r2->errors[0].row, 2u);
  EXPECT_EQ(r2->errors[0].code, "serial_exists");
  EXPECT_EQ(r2->errors[1].row, 3u);
  EXPECT_EQ(r2->errors[1].code, "unknown_commune");
  EXPECT_EQ(svc().list(admin_, {})->items.size(), 1u);  // SN-new rolled back too

  EXPECT_EQ(svc().import_csv(admin_, "serial,imei\n", kOrigin).error().code, "invalid_header");
  EXPECT_EQ(svc().import_csv(admin_, "", kOrigin).error().code, "invalid_header");
}

}  // namespace
}  // namespace nguon
