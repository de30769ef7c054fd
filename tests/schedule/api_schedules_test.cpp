// The programme and calendar routes through the API function (no sockets).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "app/api.h"
#include "app/api_support.h"
#include "tests/schedule/schedule_fixture.h"

namespace nguon::app {
namespace {
namespace json = boost::json;
using http::HttpRequest;
using http::HttpResponse;

class ApiSchedulesTest : public ::testing::Test {
 protected:
  ApiSchedulesTest() {
    config_.deployment.scope = "38";
    config_.security.login_attempts_per_minute_per_ip = 1000;
    ApiDeps deps{config_, w_.store(), w_.clock(), w_.crypto(), metrics_};
    deps.media = &w_.media();
    deps.schedules = &w_.service();
    api_ = std::make_unique<Api>(deps);
    ApiDeps without{config_, w_.store(), w_.clock(), w_.crypto(), metrics_};
    bare_ = std::make_unique<Api>(without);
    const std::string password =
        api_->accounts().ensure_admin("admin", "38", {"cli:test", "local"}).value();
    HttpResponse r =
        call("POST", "/api/v1/auth/login",
             json::serialize(json::object{{"username", "admin"}, {"password", password}}), false);
    EXPECT_EQ(r.status, 200) << r.body;
    for (const auto& [k, v] : r.headers) {
      if (k == "Set-Cookie") cookie_ = v.substr(v.find('=') + 1, 64);
    }
    csrf_ = std::string(json::parse(r.body).at("csrf_token").as_string());
  }

  HttpResponse call(std::string method, std::string target, std::string body = "",
                    bool authed = true, Api* api = nullptr) {
    HttpRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.remote_ip = "127.0.0.1";
    if (!r.body.empty()) r.headers.emplace_back("content-type", "application/json");
    if (authed) {
      r.headers.emplace_back("cookie", "nguon_session=" + cookie_);
      r.headers.emplace_back("x-csrf-token", csrf_);
    }
    return (api ? api : api_.get())->handle(r);
  }

  static json::object morning() {
    return json::object{{"name", "Bản tin sáng"},
                        {"owner_unit", "14797"},
                        {"priority", "normal"},
                        {"target_units", json::array{}},
                        {"target_groups", json::array{}},
                        {"rrule", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"},
                        {"first_date", "2026-12-01"},
                        {"last_date", ""},
                        {"exdates", json::array{"2026-12-02"}},
                        {"start_time", "06:00"},
                        {"duration_minutes", 30},
                        {"items", json::array{json::object{{"kind", "stream"},
                                                           {"url", "http://radio.example/vov1.ogg"},
                                                           {"duration_s", 600},
                                                           {"title", "VOV1"}},
                                              json::object{{"kind", "intro"}}}},
                        {"enabled", true}};
  }

  static json::object error_of(const HttpResponse& r) {
    return json::parse(r.body).at("error").as_object();
  }

  testing::ScheduleWorld w_;
  Metrics metrics_;
  Config config_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<Api> bare_;
  std::string cookie_, csrf_;
};

TEST_F(ApiSchedulesTest, CrudRoundTrip) {
  HttpResponse created = call("POST", "/api/v1/programmes", json::serialize(morning()));
  ASSERT_EQ(created.status, 201) << created.body;
  auto p = json::parse(created.body).as_object();
  const std::int64_t id = p.at("id").as_int64();
  EXPECT_EQ(p.at("start_time").as_string(), "06:00");
  EXPECT_EQ(p.at("items").as_array().size(), 2u);
  EXPECT_EQ(p.at("items").as_array()[1].at("kind").as_string(), "intro");
  EXPECT_EQ(p.at("exdates").as_array()[0].as_string(), "2026-12-02");

  HttpResponse list = call("GET", "/api/v1/programmes?unit=14797");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(json::parse(list.body).at("items").as_array().size(), 1u);
  const std::string path = "/api/v1/programmes/" + std::to_string(id);
  EXPECT_EQ(call("GET", path).status, 200);
  HttpResponse patched =
      call("PATCH", path, R"({"start_time":"05:30","duration_minutes":45,"last_date":null})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(json::parse(patched.body).at("start_time").as_string(), "05:30");
  EXPECT_EQ(json::parse(patched.body).at("duration_minutes").as_int64(), 45);

  HttpResponse cal = call("GET", "/api/v1/schedule?unit=14797&from=2026-12-01&to=2026-12-04");
  ASSERT_EQ(cal.status, 200) << cal.body;
  auto items = json::parse(cal.body).at("items").as_array();
  ASSERT_EQ(items.size(), 3u);  // Tue, (Wed excluded), Thu, Fri
  EXPECT_EQ(items[0].at("start").as_string(), "2026-12-01T05:30:00+07:00");
  EXPECT_EQ(items[0].at("end").as_string(), "2026-12-01T06:15:00+07:00");
  EXPECT_EQ(items[1].at("start").as_string(), "2026-12-03T05:30:00+07:00");

  EXPECT_EQ(call("DELETE", path).status, 204);
  EXPECT_EQ(call("GET", path).status, 404);
  EXPECT_EQ(call("PUT", path, "{}").status, 405);
}

TEST_F(ApiSchedulesTest, OverlapAnswers409WithTheConflicts) {
  ASSERT_EQ(call("POST", "/api/v1/programmes", json::serialize(morning())).status, 201);
  json::object clash = morning();
  clash["name"] = "Tin địa phương";
  clash["rrule"] = "FREQ=DAILY";
  clash["start_time"] = "06:10";
  clash["exdates"] = json::array{};
  HttpResponse r = call("POST", "/api/v1/programmes", json::serialize(clash));
  ASSERT_EQ(r.status, 409) << r.body;
  auto body = json::parse(r.body).as_object();
  EXPECT_EQ(body.at("error").at("code").as_string(), "schedule_overlap");
  auto conflicts = body.at("conflicts").as_array();
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].at("name").as_string(), "Bản tin sáng");
  EXPECT_EQ(conflicts[0].at("date").as_string(), "2026-12-01");
  EXPECT_EQ(conflicts[0].at("start_time").as_string(), "06:00");
  EXPECT_EQ(conflicts[0].at("devices").as_int64(), 2);
  clash["priority"] = "priority";
  EXPECT_EQ(call("POST", "/api/v1/programmes", json::serialize(clash)).status, 201);
}

TEST_F(ApiSchedulesTest, ValidationErrorsNameTheField) {
  auto expect = [&](json::object body, int status, const std::string& field) {
    HttpResponse r = call("POST", "/api/v1/programmes", json::serialize(body));
    EXPECT_EQ(r.status, status) << r.body;
    const std::string message(error_of(r).at("message").as_string());
    EXPECT_EQ(message.rfind(field, 0), 0u) << message;
  };
  auto b = morning();
  b["start_time"] = "25:00";
  expect(b, 422, "start_time");
  b = morning();
  b["rrule"] = "FREQ=WEEKLY;BYDAY=XX";
  expect(b, 422, "rrule");
  b = morning();
  b["priority"] = "urgent";
  expect(b, 422, "priority");
  b = morning();
  b["items"] = json::array{json::object{{"kind", "song"}}};
  expect(b, 422, "items[0].kind");
  b = morning();
  b["items"] = json::array{json::object{{"kind", "stream"}, {"url", "ftp://x"}, {"duration_s", 5}}};
  expect(b, 422, "items[0].url");
  b = morning();
  b["items"] = json::array{json::object{{"kind", "bulletin"}}};
  expect(b, 422, "items[0].bulletin_id");
  b = morning();
  b["items"] = json::array{json::object{{"kind", "intro"}, {"volume", 3}}};
  expect(b, 400, "items[0]");
  b = morning();
  b["duration_minutes"] = 0;
  expect(b, 422, "duration_minutes");
  b = morning();
  b["first_date"] = "2026-02-30";
  expect(b, 422, "first_date");
  b = morning();
  b["target_units"] = json::array{"00004"};
  expect(b, 422, "target_units");
  b = morning();
  b.erase("name");
  expect(b, 422, "name");
  b = morning();
  b["colour"] = "red";
  HttpResponse unknown = call("POST", "/api/v1/programmes", json::serialize(b));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(call("GET", "/api/v1/schedule?unit=14797&from=2026-12-01").status, 400);
  EXPECT_EQ(call("GET", "/api/v1/programmes/abc").status, 404);
}

TEST_F(ApiSchedulesTest, WithoutTheServiceThe503IsExplicit) {
  HttpResponse r = call("GET", "/api/v1/programmes", "", false, bare_.get());
  EXPECT_EQ(r.status, 401);  // authentication still comes first
  HttpResponse anon = call("GET", "/api/v1/programmes");
  EXPECT_EQ(anon.status, 200);
  // The bare API shares the store, so the admin's session is valid there too.
  HttpResponse off = call("GET", "/api/v1/programmes", "", true, bare_.get());
  EXPECT_EQ(off.status, 503) << off.body;
  EXPECT_EQ(error_of(off).at("code").as_string(), "schedules_unavailable");
}

}  // namespace
}  // namespace nguon::app
