// The device routes (app/api_devices.cpp) through Api::handle: strict bodies, scope as 404,
// provisioning output, broadcasts, imports, play reports and the device-facing media route.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/api.h"
#include "app/api_support.h"
#include "tests/devices/device_fakes.h"

namespace nguon::app {
namespace {
namespace json = boost::json;
using http::HttpRequest;
using http::HttpResponse;

struct Client {
  std::string cookie;
  std::string csrf;
};

constexpr const char* kPassword = "mat-khau-thu-2026";

class DeviceApiTest : public ::testing::Test {
 protected:
  DeviceApiTest() {
    config_.deployment.scope = "VN";
    config_.security.login_attempts_per_minute_per_ip = 1000;
    ApiDeps deps{config_, w_.db.store(), w_.clock, w_.crypto, metrics_};
    deps.media = &w_.media;
    deps.devices = w_.service.get();
    api_ = std::make_unique<Api>(deps);
    admin_ = make_user("quantri", "VN", Role::kAdmin);
    op_ = make_user("daihacthanh", "14797", Role::kStationOperator);
    viewer_ = make_user("xem", "38", Role::kViewer);
  }

  Client make_user(const std::string& name, const std::string& unit, Role role) {
    auto created = api_->accounts().create_user_as_system(
        {name, "Người " + name, unit, std::string(kPassword), {{role, unit}}},
        {"cli:test", "local"});
    EXPECT_TRUE(created.ok()) << created.error().message;
    HttpResponse r =
        call("POST", "/api/v1/auth/login",
             json::serialize(json::object{{"username", name}, {"password", kPassword}}));
    EXPECT_EQ(r.status, 200) << r.body;
    Client c;
    for (const auto& [k, v] : r.headers) {
      if (k == "Set-Cookie") c.cookie = v.substr(v.find('=') + 1, 64);
    }
    c.csrf = std::string(json::parse(r.body).at("csrf_token").as_string());
    return c;
  }

  HttpResponse call(std::string method, std::string target, std::string body = "",
                    const Client* as = nullptr,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.remote_ip = "127.0.0.1";
    if (!r.body.empty()) r.headers.emplace_back("content-type", "application/json");
    if (as != nullptr) {
      r.headers.emplace_back("cookie", "nguon_session=" + as->cookie);
      r.headers.emplace_back("x-csrf-token", as->csrf);
    }
    for (auto& h : headers) r.headers.push_back(std::move(h));
    return api_->handle(r);
  }

  static std::string error_code(const HttpResponse& r) {
    return std::string(json::parse(r.body).at("error").at("code").as_string());
  }

  std::string register_device(const std::string& serial, const std::string& commune,
                              const Client& as) {
    HttpResponse r = call("POST", "/api/v1/devices",
                          json::serialize(json::object{{"serial", serial},
                                                       {"name", "Loa " + serial},
                                                       {"imei", "490154203237518"},
                                                       {"commune_code", commune},
                                                       {"lat", 19.8},
                                                       {"lon", 105.78},
                                                       {"horns", 4},
                                                       {"watts", 100}}),
                          &as);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? std::string(json::parse(r.body).at("id").as_string()) : "";
  }

  testing::DeviceWorld w_;
  Metrics metrics_;
  Config config_;
  std::unique_ptr<Api> api_;
  Client admin_, op_, viewer_;
};

TEST_F(DeviceApiTest, RegisterReadUpdateAndList) {
  const std::string id = register_device("SN-1", "14797", op_);
  HttpResponse got = call("GET", "/api/v1/devices/" + id, "", &viewer_);
  ASSERT_EQ(got.status, 200) << got.body;
  json::value d = json::parse(got.body);
  EXPECT_EQ(d.at("kind").as_string(), "cluster");
  EXPECT_EQ(d.at("status").as_string(), "registered");
  EXPECT_EQ(d.at("online").as_bool(), false);
  EXPECT_TRUE(d.at("last_seen").is_null());
  EXPECT_TRUE(d.at("state").is_null());
  EXPECT_EQ(d.at("lat").as_double(), 19.8);

  HttpResponse patched =
      call("PATCH", "/api/v1/devices/" + id, R"({"name":"Loa chợ","lat":null,"lon":null})", &op_);
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(json::parse(patched.body).at("name").as_string(), "Loa chợ");
  EXPECT_TRUE(json::parse(patched.body).at("lat").is_null());

  ASSERT_TRUE(w_.service
                  ->ingest(protocol::device_topic(id, protocol::DeviceLeaf::kState),
                           R"({"online":true,"ts":1790000000,"volume":70})")
                  .ok());
  HttpResponse list = call("GET", "/api/v1/devices?online=true&q=Loa", "", &op_);
  ASSERT_EQ(list.status, 200) << list.body;
  json::value l = json::parse(list.body);
  ASSERT_EQ(l.at("items").as_array().size(), 1u);
  EXPECT_EQ(l.at("items").at(0).at("state").at("volume").as_int64(), 70);
  EXPECT_EQ(l.at("items").at(0).at("last_seen").as_string(), "2026-09-21T14:13:20Z");
  EXPECT_EQ(l.at("counts").at("total").as_int64(), 1);
  EXPECT_EQ(l.at("counts").at("online").as_int64(), 1);
  EXPECT_EQ(l.at("counts").at("offline").as_int64(), 0);

  EXPECT_EQ(call("GET", "/api/v1/devices?online=maybe", "", &op_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/devices?limit=0", "", &op_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/devices?status=lost", "", &op_).status, 400);
}

TEST_F(DeviceApiTest, StrictBodiesAndPreciseErrors) {
  HttpResponse unknown = call("POST", "/api/v1/devices",
                              R"({"serial":"S","commune_code":"14797","colour":"x"})", &op_);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(error_code(unknown), "unknown_field");
  HttpResponse imei =
      call("POST", "/api/v1/devices",
           R"({"serial":"S","commune_code":"14797","imei":"490154203237519"})", &op_);
  EXPECT_EQ(imei.status, 422);
  EXPECT_EQ(error_code(imei), "invalid_imei");
  HttpResponse lat = call("POST", "/api/v1/devices",
                          R"({"serial":"S","commune_code":"14797","lat":"20","lon":105})", &op_);
  EXPECT_EQ(lat.status, 422);
  HttpResponse kind = call("POST", "/api/v1/devices",
                           R"({"serial":"S","commune_code":"14797","kind":"horn"})", &op_);
  EXPECT_EQ(kind.status, 422);
  register_device("SN-dup", "14797", op_);
  HttpResponse dup =
      call("POST", "/api/v1/devices", R"({"serial":"SN-dup","commune_code":"14797"})", &op_);
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(error_code(dup), "serial_exists");
}

TEST_F(DeviceApiTest, OperatorsOfAnotherCommuneGetNotFound) {
  const std::string theirs = register_device("SN-B", "16597", admin_);
  EXPECT_EQ(
      call("POST", "/api/v1/devices", R"({"serial":"X","commune_code":"16597"})", &op_).status,
      404);
  EXPECT_EQ(call("GET", "/api/v1/devices/" + theirs, "", &op_).status, 404);
  EXPECT_EQ(call("PATCH", "/api/v1/devices/" + theirs, R"({"name":"x"})", &op_).status, 404);
  EXPECT_EQ(call("POST", "/api/v1/devices/" + theirs + "/commands", R"({"action":"reboot"})", &op_)
                .status,
            404);
  EXPECT_EQ(call("POST", "/api/v1/devices/" + theirs + "/provision", "", &op_).status, 404);
  EXPECT_EQ(
      call("POST", "/api/v1/broadcasts",
           R"({"areas":["16597"],"items":[{"kind":"stream","url":"http://x/y","duration_s":60}]})",
           &op_)
          .status,
      404);
  EXPECT_EQ(call("GET", "/api/v1/devices?unit=16597", "", &op_).status, 404);
  json::value mine = json::parse(call("GET", "/api/v1/devices", "", &op_).body);
  EXPECT_EQ(mine.at("items").as_array().size(), 0u);
  // Viewers read but never write.
  EXPECT_EQ(call("GET", "/api/v1/devices/" + theirs, "", &viewer_).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/devices/" + theirs + "/decommission", "", &viewer_).status, 403);
}

TEST_F(DeviceApiTest, ProvisionReturnsTheBundleOnceWithAQrCode) {
  const std::string id = register_device("SN-1", "14797", op_);
  HttpResponse r = call("POST", "/api/v1/devices/" + id + "/provision", "", &op_);
  ASSERT_EQ(r.status, 200) << r.body;
  json::value v = json::parse(r.body);
  const std::string bundle_json(v.at("bundle_json").as_string());
  auto bundle = protocol::decode_bundle(bundle_json);
  ASSERT_TRUE(bundle.ok()) << bundle.error().message;
  EXPECT_EQ(bundle->device, id);
  EXPECT_EQ(bundle->areas, (std::vector<std::string>{"VN", "38", "14797"}));
  EXPECT_EQ(v.at("bundle").at("device").as_string(), id);
  EXPECT_EQ(std::string(v.at("qr_svg").as_string()).rfind("<svg", 0), 0u);
  EXPECT_EQ(v.at("device").at("status").as_string(), "provisioned");
  EXPECT_EQ(json::parse(call("GET", "/api/v1/devices/" + id, "", &op_).body)
                .as_object()
                .count("password"),
            0u);

  // The device fetches media with its own credentials, before any user login.
  auto media = w_.media.put(std::string(2000, 'a'), "audio/ogg");
  ASSERT_TRUE(media.ok());
  const std::string target = "/api/v1/device-media/" + media->sha256;
  auto basic = [&](const std::string& user, const std::string& pw) {
    return std::vector<std::pair<std::string, std::string>>{
        {"authorization", "Basic " + protocol::base64_encode(user + ":" + pw)}};
  };
  HttpResponse ok = call("GET", target, "", nullptr, basic(id, bundle->password));
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body.size(), 2000u);
  HttpResponse wrong = call("GET", target, "", nullptr, basic(id, "not-it"));
  EXPECT_EQ(wrong.status, 401);
  bool challenged = false;
  for (const auto& [k, v2] : wrong.headers) challenged |= k == "WWW-Authenticate";
  EXPECT_TRUE(challenged);
  EXPECT_EQ(call("GET", target).status, 401);

  ASSERT_EQ(call("POST", "/api/v1/devices/" + id + "/decommission", "", &op_).status, 200);
  EXPECT_EQ(call("GET", target, "", nullptr, basic(id, bundle->password)).status, 401);
}

TEST_F(DeviceApiTest, CommandsAreAccepted) {
  const std::string id = register_device("SN-1", "14797", op_);
  const std::string url = "/api/v1/devices/" + id + "/commands";
  EXPECT_EQ(call("POST", url, R"({"action":"volume","volume":80})", &op_).status, 202);
  EXPECT_EQ(call("POST", url, R"({"action":"power","on":false})", &op_).status, 202);
  EXPECT_EQ(call("POST", url, R"({"action":"reboot"})", &op_).status, 202);
  EXPECT_EQ(w_.bus.sent.size(), 3u);
  EXPECT_EQ(call("POST", url, R"({"action":"volume","volume":101})", &op_).status, 422);
  EXPECT_EQ(call("POST", url, R"({"action":"volume"})", &op_).status, 422);
  EXPECT_EQ(call("POST", url, R"({"action":"dance"})", &op_).status, 422);
  EXPECT_EQ(call("POST", url, R"({"action":"reboot","extra":1})", &op_).status, 400);
}

TEST_F(DeviceApiTest, ImportReportsRowsOrCreatesAll) {
  const std::string header =
      "serial,imei,kind,name,vendor,model,firmware,commune_code,village_code,lat,lon,horns,watts\n";
  HttpResponse good =
      call("POST", "/api/v1/devices/import",
           json::serialize(json::object{{"csv", header + "A1,,cluster,Loa 1,,,,14797,,,,1,1\n"
                                                         "A2,,board,Bảng,,,,14797,,,,0,0\n"}}),
           &op_);
  ASSERT_EQ(good.status, 200) << good.body;
  EXPECT_EQ(json::parse(good.body).at("created").as_int64(), 2);
  HttpResponse bad =
      call("POST", "/api/v1/devices/import",
           json::serialize(json::object{{"csv", header + "B1,123,cluster,Loa,,,,14797,,,,1,1\n"
                                                         "B2,,cluster,Loa,,,,14797,,,,99,1\n"}}),
           &op_);
  ASSERT_EQ(bad.status, 422) << bad.body;
  json::value v = json::parse(bad.body);
  EXPECT_EQ(v.at("error").at("code").as_string(), "import_rejected");
  ASSERT_EQ(v.at("errors").as_array().size(), 2u);
  EXPECT_EQ(v.at("errors").at(0).at("row").as_int64(), 1);
  EXPECT_EQ(v.at("errors").at(0).at("field").as_string(), "imei");
  EXPECT_EQ(v.at("errors").at(1).at("field").as_string(), "horns");
  EXPECT_EQ(
      json::parse(call("GET", "/api/v1/devices", "", &op_).body).at("items").as_array().size(), 2u);
}

TEST_F(DeviceApiTest, GroupsBroadcastsAndStop) {
  const std::string a = register_device("SN-A", "14797", op_);
  HttpResponse g = call(
      "POST", "/api/v1/device-groups",
      json::serialize(json::object{
          {"name", "Chợ"}, {"unit_code", "14797"}, {"device_ids", json::array{json::string(a)}}}),
      &op_);
  ASSERT_EQ(g.status, 201) << g.body;
  const std::int64_t gid = json::parse(g.body).at("id").as_int64();
  EXPECT_EQ(json::parse(call("GET", "/api/v1/device-groups", "", &op_).body)
                .at("items")
                .as_array()
                .size(),
            1u);
  HttpResponse renamed =
      call("PATCH", "/api/v1/device-groups/" + std::to_string(gid), R"({"name":"Chợ mới"})", &op_);
  ASSERT_EQ(renamed.status, 200) << renamed.body;

  auto media = w_.media.put(std::string(500, 'm'), "audio/ogg");
  ASSERT_TRUE(media.ok());
  HttpResponse b = call(
      "POST", "/api/v1/broadcasts",
      json::serialize(json::object{
          {"areas", json::array{json::string("14797"), json::string("g" + std::to_string(gid))}},
          {"priority", "emergency"},
          {"items", json::array{json::object{{"kind", "media"}, {"sha256", media->sha256}},
                                json::object{{"kind", "stream"},
                                             {"url", "http://vov.vn/vov1.ogg"},
                                             {"duration_s", 600}}}},
          {"repeat", 1},
          {"volume", 80}}),
      &op_);
  ASSERT_EQ(b.status, 201) << b.body;
  json::value v = json::parse(b.body);
  const std::string order(v.at("order").as_string());
  EXPECT_EQ(order[0], 'o');
  EXPECT_EQ(v.at("devices").as_int64(), 1);
  EXPECT_EQ(w_.bus.sent.size(), 2u);
  EXPECT_EQ(call("POST", "/api/v1/broadcasts/" + order + "/stop", "", &op_).status, 200);
  EXPECT_EQ(w_.bus.sent.size(), 4u);
  EXPECT_EQ(call("POST", "/api/v1/broadcasts/o999/stop", "", &op_).status, 404);
  EXPECT_EQ(call("POST", "/api/v1/broadcasts",
                 R"({"areas":["14797"],"priority":"loud","items":[]})", &op_)
                .status,
            422);
  EXPECT_EQ(call("DELETE", "/api/v1/device-groups/" + std::to_string(gid), "", &op_).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/device-groups/" + std::to_string(gid), "", &op_).status, 404);
}

TEST_F(DeviceApiTest, PlaysAndAirtime) {
  const std::string id = register_device("SN-A", "14797", op_);
  const std::string topic = protocol::device_topic(id, protocol::DeviceLeaf::kEvents);
  ASSERT_TRUE(w_.service
                  ->ingest(topic, R"({"id":"1","type":"played","ts":1790000100,)"
                                  R"("started":1790000000,"ended":1790000100})")
                  .ok());
  ASSERT_TRUE(w_.service
                  ->ingest(topic, R"({"id":"2","type":"failed","ts":1790000200,)"
                                  R"("reason":"media_missing"})")
                  .ok());
  HttpResponse plays = call("GET", "/api/v1/plays?type=played", "", &op_);
  ASSERT_EQ(plays.status, 200) << plays.body;
  json::value p = json::parse(plays.body);
  ASSERT_EQ(p.at("items").as_array().size(), 1u);
  EXPECT_EQ(p.at("items").at(0).at("seconds").as_int64(), 100);
  EXPECT_EQ(json::parse(call("GET", "/api/v1/plays", "", &op_).body).at("items").as_array().size(),
            2u);
  EXPECT_EQ(call("GET", "/api/v1/plays?type=sung", "", &op_).status, 400);

  HttpResponse air =
      call("GET", "/api/v1/plays/airtime?by=device&from=2026-01-01T00:00:00Z", "", &op_);
  ASSERT_EQ(air.status, 200) << air.body;
  json::value rows = json::parse(air.body).at("rows");
  ASSERT_EQ(rows.as_array().size(), 1u);
  EXPECT_EQ(rows.at(0).at("key").as_string(), id);
  EXPECT_EQ(rows.at(0).at("name").as_string(), "Loa SN-A");
  EXPECT_EQ(rows.at(0).at("seconds").as_int64(), 100);
  EXPECT_EQ(rows.at(0).at("plays").as_int64(), 1);
  EXPECT_EQ(call("GET", "/api/v1/plays/airtime?by=village", "", &op_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/plays/airtime?unit=16597", "", &op_).status, 404);
}

TEST(DeviceApiWithoutService, AnswersUnavailable) {
  testing::TempStore db;
  testing::ManualClock clock;
  SodiumCrypto crypto(Argon2Profile::kMin);
  Metrics metrics;
  Config config;
  config.deployment.scope = "VN";
  Api api(ApiDeps{config, db.store(), clock, crypto, metrics});
  auto created = api.accounts().create_user_as_system(
      {"quantri", "Quản trị", "VN", std::string(kPassword), {{Role::kAdmin, "VN"}}},
      {"cli:test", "local"});
  ASSERT_TRUE(created.ok());
  HttpRequest login;
  login.method = "POST";
  login.target = "/api/v1/auth/login";
  login.body = json::serialize(json::object{{"username", "quantri"}, {"password", kPassword}});
  login.headers = {{"content-type", "application/json"}};
  HttpResponse l = api.handle(login);
  ASSERT_EQ(l.status, 200);
  std::string cookie;
  for (const auto& [k, v] : l.headers) {
    if (k == "Set-Cookie") cookie = v.substr(v.find('=') + 1, 64);
  }
  HttpRequest list;
  list.method = "GET";
  list.target = "/api/v1/devices";
  list.headers = {{"cookie", "nguon_session=" + cookie}};
  EXPECT_EQ(api.handle(list).status, 503);
  HttpRequest media;
  media.method = "GET";
  media.target = "/api/v1/device-media/" + std::string(64, 'a');
  EXPECT_EQ(api.handle(media).status, 503);
}

}  // namespace
}  // namespace nguon::app
