// The HTTP API as a function: every route and every class of bad input, without sockets.
#include "app/api.h"
#include "app/api_support.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "tests/support/fakes.h"

namespace nguon::app {
namespace {
namespace json = boost::json;
using http::HttpRequest;
using http::HttpResponse;

struct Client {
  std::string cookie;
  std::string csrf;
};

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() : crypto_(Argon2Profile::kMin) {
    config_.deployment.scope = "38";
    config_.security.login_attempts_per_minute_per_ip = 1000;
    std::filesystem::create_directories(db_.dir() + "/web/assets");
    std::ofstream(db_.dir() + "/web/index.html") << "<!doctype html><title>Nguồn</title>";
    std::ofstream(db_.dir() + "/web/assets/app-1234.js") << "console.log(1)";
    std::ofstream(db_.dir() + "/secret.txt") << "do not serve";
    config_.server.web_root = db_.dir() + "/web";
    api_ = std::make_unique<Api>(ApiDeps{config_, db_.store(), clock_, crypto_, metrics_});
    admin_password_ = api_->accounts().ensure_admin("admin", "38", {"cli:test", "local"}).value();
    admin_ = login("admin", admin_password_);
  }

  HttpResponse call(std::string method, std::string target, std::string body = "",
                    const Client* as = nullptr, std::string content_type = "application/json",
                    std::string ip = "127.0.0.1") {
    HttpRequest r;
    r.method = std::move(method);
    r.target = std::move(target);
    r.body = std::move(body);
    r.remote_ip = std::move(ip);
    if (!r.body.empty()) r.headers.emplace_back("content-type", content_type);
    if (as != nullptr) {
      r.headers.emplace_back("cookie", "theme=dark; nguon_session=" + as->cookie);
      r.headers.emplace_back("x-csrf-token", as->csrf);
    }
    return api_->handle(r);
  }

  Client login(const std::string& user, const std::string& password) {
    HttpResponse r =
        call("POST", "/api/v1/auth/login",
             json::serialize(json::object{{"username", user}, {"password", password}}));
    EXPECT_EQ(r.status, 200) << r.body;
    Client c;
    for (const auto& [k, v] : r.headers) {
      if (k == "Set-Cookie") c.cookie = v.substr(v.find('=') + 1, 64);
    }
    c.csrf = std::string(json::parse(r.body).at("csrf_token").as_string());
    return c;
  }

  static std::string error_code(const HttpResponse& r) {
    return std::string(json::parse(r.body).at("error").at("code").as_string());
  }

  // Creates a user through the API as admin and returns its generated password.
  std::string create_user(const std::string& name, const std::string& unit,
                          const std::string& role) {
    HttpResponse r =
        call("POST", "/api/v1/users",
             json::serialize(json::object{
                 {"username", name},
                 {"display_name", "Người " + name},
                 {"unit_code", unit},
                 {"roles", json::array{json::object{{"role", role}, {"unit_code", unit}}}}}),
             &admin_);
    EXPECT_EQ(r.status, 201) << r.body;
    return std::string(json::parse(r.body).at("password").as_string());
  }

  std::int64_t user_count() {
    std::int64_t n = 0;
    (void)db_.store().read([&](Tx& tx) -> Status {
      n = tx.count_users().value();
      return {};
    });
    return n;
  }

  testing::TempStore db_;
  testing::ManualClock clock_;
  SodiumCrypto crypto_;
  Metrics metrics_;
  Config config_;
  std::unique_ptr<Api> api_;
  std::string admin_password_;
  Client admin_;
};

TEST_F(ApiTest, HealthReadinessAndMetrics) {
  EXPECT_EQ(call("GET", "/healthz").status, 200);
  HttpResponse ready = call("GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_NE(ready.body.find("sqlite"), std::string::npos);
  HttpResponse m = call("GET", "/metrics");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("nguon_logins_total{result=\"ok\"} 1"), std::string::npos) << m.body;
}

TEST_F(ApiTest, LoginSetsAHardenedCookieAndMeReturnsTheUser) {
  HttpResponse r = call("POST", "/api/v1/auth/login",
                        R"({"username":"admin","password":")" + admin_password_ + "\"}");
  ASSERT_EQ(r.status, 200);
  std::string cookie;
  for (const auto& [k, v] : r.headers) {
    if (k == "Set-Cookie") cookie = v;
  }
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  HttpResponse me = call("GET", "/api/v1/auth/me", "", &admin_);
  ASSERT_EQ(me.status, 200);
  auto user = json::parse(me.body).at("user");
  EXPECT_EQ(user.at("username").as_string(), "admin");
  EXPECT_EQ(user.at("unit_name").as_string(), "Tỉnh Thanh Hóa");
  EXPECT_EQ(user.at("is_admin").as_bool(), true);
}

TEST_F(ApiTest, WrongPasswordAndLockoutAnswerPrecisely) {
  const std::string bad = R"({"username":"admin","password":"not-the-password"})";
  for (int i = 0; i < 5; ++i) {
    HttpResponse r = call("POST", "/api/v1/auth/login", bad);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(error_code(r), "invalid_credentials");
  }
  HttpResponse locked = call("POST", "/api/v1/auth/login",
                             R"({"username":"admin","password":")" + admin_password_ + "\"}");
  EXPECT_EQ(locked.status, 429);
  EXPECT_EQ(error_code(locked), "account_locked");
}

TEST_F(ApiTest, LoginsArePerIpRateLimited) {
  config_.security.login_attempts_per_minute_per_ip = 3;
  api_ = std::make_unique<Api>(ApiDeps{config_, db_.store(), clock_, crypto_, metrics_});
  const std::string bad = R"({"username":"nobody","password":"x"})";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(
        call("POST", "/api/v1/auth/login", bad, nullptr, "application/json", "9.9.9.9").status,
        401);
  }
  HttpResponse r = call("POST", "/api/v1/auth/login", bad, nullptr, "application/json", "9.9.9.9");
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(error_code(r), "too_many_requests");
  // Another address is unaffected; after a minute the first one may try again.
  EXPECT_EQ(call("POST", "/api/v1/auth/login", bad, nullptr, "application/json", "8.8.8.8").status,
            401);
  clock_.advance(61);
  EXPECT_EQ(call("POST", "/api/v1/auth/login", bad, nullptr, "application/json", "9.9.9.9").status,
            401);
}

// --- bad input, one test per class ---

TEST_F(ApiTest, MalformedJsonIsRejectedAndNothingIsWritten) {
  const auto before = user_count();
  HttpResponse r = call("POST", "/api/v1/users", R"({"username": "a", )", &admin_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_code(r), "invalid_json");
  EXPECT_EQ(call("POST", "/api/v1/users", "[1,2]", &admin_).status, 400);
  EXPECT_EQ(user_count(), before);
}

TEST_F(ApiTest, WrongTypesNameTheField) {
  HttpResponse r = call("POST", "/api/v1/users",
                        R"({"username":"abc","display_name":42,"unit_code":"38"})", &admin_);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(error_code(r), "invalid_field");
  EXPECT_NE(r.body.find("display_name"), std::string::npos);
  HttpResponse missing = call("POST", "/api/v1/users", R"({"username":"abc"})", &admin_);
  EXPECT_EQ(missing.status, 422);
  EXPECT_EQ(error_code(missing), "missing_field");
  HttpResponse role = call("POST", "/api/v1/users",
                           R"({"username":"abc","display_name":"A","unit_code":"38",
                               "roles":[{"role":"superuser","unit_code":"38"}]})",
                           &admin_);
  EXPECT_EQ(role.status, 422);
  EXPECT_NE(role.body.find("superuser"), std::string::npos);
}

TEST_F(ApiTest, UnknownFieldsAreRejected) {
  const auto before = user_count();
  HttpResponse r =
      call("POST", "/api/v1/users",
           R"({"username":"abc","display_name":"A","unit_code":"38","is_root":true})", &admin_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_code(r), "unknown_field");
  EXPECT_NE(r.body.find("is_root"), std::string::npos);
  EXPECT_EQ(user_count(), before);
}

TEST_F(ApiTest, InvalidUtf8IsRejected) {
  HttpResponse r = call("POST", "/api/v1/units/14797/villages",
                        "{\"name\":\"Th\xC3\x28n\",\"type\":\"thôn\"}", &admin_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_code(r), "invalid_utf8");
  EXPECT_EQ(call("GET", "/api/v1/units?q=%C3%28", "", &admin_).status, 400);
}

TEST_F(ApiTest, NfdTextIsStoredAsNfc) {
  // "Thôn Đông" typed on a keyboard that sends combining marks.
  HttpResponse r =
      call("POST", "/api/v1/units/14797/villages",
           "{\"name\":\"Tho\xCC\x82n \xC4\x90o\xCC\x82ng\",\"type\":\"tho\xCC\x82n\"}", &admin_);
  ASSERT_EQ(r.status, 201) << r.body;
  auto code = std::string(json::parse(r.body).at("code").as_string());
  HttpResponse got = call("GET", "/api/v1/units/" + code, "", &admin_);
  EXPECT_EQ(json::parse(got.body).at("name").as_string(), "Thôn Đông");
  HttpResponse found = call("GET", "/api/v1/units?q=thon%20dong", "", &admin_);
  EXPECT_NE(found.body.find(code), std::string::npos);
}

TEST_F(ApiTest, SqlMetacharactersAreStoredVerbatim) {
  const std::string evil = "Thôn '); DROP TABLE users;-- %_\\";
  HttpResponse r = call("POST", "/api/v1/units/14797/villages",
                        json::serialize(json::object{{"name", evil}, {"type", "thôn"}}), &admin_);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body).at("name").as_string(), evil);
  EXPECT_GE(user_count(), 1);
  // LIKE wildcards in a search are literal: "%" does not match every unit.
  HttpResponse pct = call("GET", "/api/v1/units?q=%25", "", &admin_);
  EXPECT_EQ(json::parse(pct.body).at("items").as_array().size(), 1u);
  HttpResponse quote = call("GET", "/api/v1/units?q=%27%20OR%201%3D1", "", &admin_);
  EXPECT_EQ(quote.status, 200);
  EXPECT_EQ(json::parse(quote.body).at("items").as_array().size(), 0u);
}

TEST_F(ApiTest, PathTraversalIsRefused) {
  for (const char* target : {"/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt",
                             "/assets/%5c..%5csecret.txt", "/a/%00/b"}) {
    HttpResponse r = call("GET", target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(r.body.find("do not serve"), std::string::npos);
  }
  EXPECT_EQ(call("GET", "/api/v1/units/..%2F..%2Fsecret.txt", "", &admin_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/units/%2e%2e", "", &admin_).status, 400);
  // Legitimate files and client-side routes still work.
  EXPECT_EQ(call("GET", "/assets/app-1234.js").status, 200);
  HttpResponse route = call("GET", "/users/12");
  EXPECT_EQ(route.status, 200);
  EXPECT_NE(route.body.find("Nguồn"), std::string::npos);
  EXPECT_EQ(call("GET", "/missing.js").status, 404);
}

TEST_F(ApiTest, ExpiredAndForgedSessionsAreRejected) {
  Client forged{std::string(64, 'f'), admin_.csrf};
  HttpResponse r = call("GET", "/api/v1/auth/me", "", &forged);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "session_invalid");
  Client garbage{"<script>", ""};
  EXPECT_EQ(call("GET", "/api/v1/auth/me", "", &garbage).status, 401);
  EXPECT_EQ(error_code(call("GET", "/api/v1/auth/me")), "not_authenticated");
  clock_.advance(config_.security.policy.session_ttl_seconds + 1);
  HttpResponse expired = call("GET", "/api/v1/auth/me", "", &admin_);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(error_code(expired), "session_invalid");
}

TEST_F(ApiTest, MutationsNeedTheSessionsCsrfToken) {
  const auto before = user_count();
  const std::string body = R"({"username":"csrf.victim","display_name":"A","unit_code":"38"})";
  Client wrong = admin_;
  wrong.csrf = std::string(32, '0');
  HttpResponse r = call("POST", "/api/v1/users", body, &wrong);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(error_code(r), "csrf_invalid");
  Client none = admin_;
  none.csrf.clear();
  EXPECT_EQ(call("POST", "/api/v1/users", body, &none).status, 403);
  EXPECT_EQ(user_count(), before);
  // A form post (the classic CSRF vector) is refused by content type.
  HttpResponse form =
      call("POST", "/api/v1/users", "username=x", &admin_, "application/x-www-form-urlencoded");
  EXPECT_EQ(form.status, 415);
}

TEST_F(ApiTest, BearerTokensWorkWithoutCsrf) {
  HttpResponse t =
      call("POST", "/api/v1/tokens", R"({"name":"tích hợp","expires_in_days":30})", &admin_);
  ASSERT_EQ(t.status, 201) << t.body;
  const std::string token(json::parse(t.body).at("token").as_string());
  HttpRequest r;
  r.method = "GET";
  r.target = "/api/v1/units/38/children";
  r.headers.emplace_back("authorization", "Bearer " + token);
  EXPECT_EQ(api_->handle(r).status, 200);
  r.headers.back().second = "Bearer ngt_" + std::string(64, '1');
  EXPECT_EQ(api_->handle(r).status, 401);
}

TEST_F(ApiTest, MethodsAndUnknownRoutes) {
  EXPECT_EQ(call("DELETE", "/api/v1/units/38", "", &admin_).status, 405);
  EXPECT_EQ(call("GET", "/api/v1/nothing", "", &admin_).status, 404);
  EXPECT_EQ(call("GET", "/api/v2/units").status, 404);
}

// --- scope: the heart of the authorization model ---

TEST_F(ApiTest, CommuneEditorSeesOnlyTheirCommune) {
  const std::string pw = create_user("bientap.hacthanh", "14797", "editor");
  Client editor = login("bientap.hacthanh", pw);
  // A generated password must be replaced before anything else.
  HttpResponse blocked = call("GET", "/api/v1/units/roots", "", &editor);
  EXPECT_EQ(blocked.status, 403);
  EXPECT_EQ(error_code(blocked), "password_change_required");
  ASSERT_EQ(call("POST", "/api/v1/auth/password",
                 json::serialize(json::object{{"current_password", pw},
                                              {"new_password", "mat-khau-bien-tap-1"}}),
                 &editor)
                .status,
            204);
  auto roots =
      json::parse(call("GET", "/api/v1/units/roots", "", &editor).body).at("items").as_array();
  ASSERT_EQ(roots.size(), 1u);
  EXPECT_EQ(roots[0].at("code").as_string(), "14797");
  EXPECT_EQ(call("GET", "/api/v1/units/14797", "", &editor).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/units/16597", "", &editor).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/units/16597/children", "", &editor).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/units/00004", "", &editor).status, 404);
  // The province is visible for navigation only, and lists only the editor's commune.
  auto province = json::parse(call("GET", "/api/v1/units/38", "", &editor).body);
  EXPECT_TRUE(province.at("navigable_only").as_bool());
  auto kids = json::parse(call("GET", "/api/v1/units/38/children", "", &editor).body)
                  .at("items")
                  .as_array();
  ASSERT_EQ(kids.size(), 1u);
  EXPECT_EQ(kids[0].at("code").as_string(), "14797");
  auto search = json::parse(call("GET", "/api/v1/units?q=hai%20linh", "", &editor).body);
  EXPECT_TRUE(search.at("items").as_array().empty());
  // Not an admin: cannot list users or add villages.
  EXPECT_EQ(call("GET", "/api/v1/users", "", &editor).status, 403);
  EXPECT_EQ(
      call("POST", "/api/v1/units/14797/villages", R"({"name":"Thôn A","type":"thôn"})", &editor)
          .status,
      403);
  EXPECT_EQ(call("GET", "/api/v1/audit", "", &editor).status, 403);
}

TEST_F(ApiTest, DiacriticInsensitiveSearch) {
  auto items = json::parse(call("GET", "/api/v1/units?q=thanh+hoa", "", &admin_).body)
                   .at("items")
                   .as_array();
  ASSERT_FALSE(items.empty());
  EXPECT_EQ(items[0].at("name").as_string(), "Tỉnh Thanh Hóa");
  ASSERT_EQ(call("POST", "/api/v1/units/14797/villages",
                 R"({"name":"Tổ dân phố Đông Hải","type":"tổ dân phố"})", &admin_)
                .status,
            201);
  auto dong = json::parse(call("GET", "/api/v1/units?q=dong%20hai", "", &admin_).body)
                  .at("items")
                  .as_array();
  ASSERT_EQ(dong.size(), 1u);
  EXPECT_EQ(dong[0].at("name").as_string(), "Tổ dân phố Đông Hải");
  EXPECT_EQ(dong[0].at("ancestors").as_array().size(), 3u);
  auto by_code =
      json::parse(call("GET", "/api/v1/units?q=14797", "", &admin_).body).at("items").as_array();
  ASSERT_FALSE(by_code.empty());
  EXPECT_EQ(by_code[0].at("code").as_string(), "14797");
  EXPECT_EQ(call("GET", "/api/v1/units?q=x&level=district", "", &admin_).status, 400);
  EXPECT_EQ(call("GET", "/api/v1/units?q=x&limit=0", "", &admin_).status, 400);
}

TEST_F(ApiTest, UserAdministrationRoundTrip) {
  const std::string pw = create_user("duyet.hacthanh", "14797", "approver");
  EXPECT_EQ(pw.size(), 16u);
  auto list = json::parse(call("GET", "/api/v1/users", "", &admin_).body).at("items").as_array();
  std::int64_t id = 0;
  for (const auto& u : list) {
    if (u.at("username").as_string() == "duyet.hacthanh") id = u.at("id").as_int64();
  }
  ASSERT_NE(id, 0);
  const std::string path = "/api/v1/users/" + std::to_string(id);
  HttpResponse patched = call("PATCH", path, R"({"disabled":true})", &admin_);
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_TRUE(json::parse(patched.body).at("disabled").as_bool());
  EXPECT_EQ(error_code(call("POST", "/api/v1/auth/login",
                            R"({"username":"duyet.hacthanh","password":")" + pw + "\"}")),
            "account_disabled");
  ASSERT_EQ(call("PATCH", path, R"({"disabled":false})", &admin_).status, 200);
  HttpResponse reset = call("POST", path + "/reset-password", "", &admin_);
  ASSERT_EQ(reset.status, 200);
  const std::string fresh(json::parse(reset.body).at("password").as_string());
  Client c = login("duyet.hacthanh", fresh);
  EXPECT_TRUE(json::parse(call("GET", "/api/v1/auth/me", "", &c).body)
                  .at("user")
                  .at("must_change_password")
                  .as_bool());
  EXPECT_EQ(call("POST", "/api/v1/auth/password",
                 json::serialize(json::object{{"current_password", fresh},
                                              {"new_password", "mat-khau-moi-2026"}}),
                 &c)
                .status,
            204);
  EXPECT_EQ(call("GET", "/api/v1/users/999999", "", &admin_).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/users/abc", "", &admin_).status, 404);
}

TEST_F(ApiTest, EveryMutationIsAudited) {
  create_user("kiemtra", "16597", "viewer");
  auto items =
      json::parse(call("GET", "/api/v1/audit?limit=5", "", &admin_).body).at("items").as_array();
  ASSERT_FALSE(items.empty());
  EXPECT_EQ(items[0].at("action").as_string(), "user.create");
  EXPECT_EQ(items[0].at("actor").as_string(), "admin");
  EXPECT_EQ(items[0].at("after").at("username").as_string(), "kiemtra");
}

TEST_F(ApiTest, LegacyCodesResolveToTheirNewCommune) {
  HttpResponse r = call("GET", "/api/v1/legacy-communes/14800", "", &admin_);
  ASSERT_EQ(r.status, 200) << r.body;
  auto items = json::parse(r.body).at("items").as_array();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].at("new_code").as_string(), "14797");
  EXPECT_EQ(items[0].at("new_name").as_string(), "Phường Hạc Thành");
  EXPECT_EQ(call("GET", "/api/v1/legacy-communes/99999", "", &admin_).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/legacy-communes/abc", "", &admin_).status, 422);
}

TEST_F(ApiTest, LogoutEndsTheSession) {
  Client c = login("admin", admin_password_);
  Client no_csrf{c.cookie, ""};
  EXPECT_EQ(call("POST", "/api/v1/auth/logout", "", &no_csrf).status, 403);
  EXPECT_EQ(call("POST", "/api/v1/auth/logout", "", &c).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/auth/me", "", &c).status, 401);
}

}  // namespace
}  // namespace nguon::app

namespace nguon::app {
namespace {

class BulletinApiTest : public ApiTest {
 protected:
  BulletinApiTest() {
    editor_pw_ = create_user("bt.hacthanh", "14797", "editor");
    editor_ = fresh_login("bt.hacthanh", editor_pw_);
    approver_ = fresh_login("duyet.hacthanh", create_user("duyet.hacthanh", "14797", "approver"));
  }
  // Logs in and replaces the generated password, as the console forces people to.
  Client fresh_login(const std::string& name, const std::string& pw) {
    Client c = login(name, pw);
    EXPECT_EQ(call("POST", "/api/v1/auth/password",
                   json::serialize(json::object{{"current_password", pw},
                                                {"new_password", "mat-khau-moi-2026"}}),
                   &c)
                  .status,
              204);
    return c;
  }
  std::int64_t create(const std::string& extra = "") {
    HttpResponse r = call("POST", "/api/v1/bulletins",
                          R"({"title":"Thông báo","body":"Nội dung","category":"society",
                              "owner_unit":"14797")" +
                              extra + "}",
                          &editor_);
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body).at("id").as_int64();
  }
  std::string editor_pw_;
  Client editor_, approver_;
};

TEST_F(BulletinApiTest, WorkflowOverHttp) {
  const auto id = create(R"(,"priority":"priority","valid_until":"2030-01-01T00:00:00+07:00")");
  const std::string path = "/api/v1/bulletins/" + std::to_string(id);
  auto got = json::parse(call("GET", path, "", &editor_).body);
  EXPECT_EQ(got.at("priority").as_string(), "priority");
  EXPECT_EQ(got.at("valid_until").as_string(), "2029-12-31T17:00:00Z");
  EXPECT_EQ(call("POST", path + "/submit", "", &editor_).status, 200);
  auto queue = json::parse(call("GET", "/api/v1/bulletins/approval-queue", "", &approver_).body);
  ASSERT_EQ(queue.at("items").as_array().size(), 1u);
  EXPECT_EQ(call("POST", path + "/return", R"({"reason":""})", &approver_).status, 422);
  EXPECT_EQ(call("POST", path + "/approve", "", &approver_).status, 200);
  HttpResponse pub = call("POST", path + "/publish", "", &approver_);
  ASSERT_EQ(pub.status, 200);
  EXPECT_EQ(json::parse(pub.body).at("status").as_string(), "published");
  EXPECT_EQ(call("POST", path + "/publish", "", &approver_).status, 409);
  auto inbox = json::parse(call("GET", "/api/v1/notifications?unread=1", "", &editor_).body);
  EXPECT_EQ(inbox.at("items").as_array().size(), 2u);
  EXPECT_EQ(call("GET", "/api/v1/bulletins?status=published", "", &editor_).status, 200);
}

TEST_F(BulletinApiTest, EditingAPublishedBulletinStartsARevisionOnlyWhenSomethingChanges) {
  const auto id = create();
  const std::string path = "/api/v1/bulletins/" + std::to_string(id);
  ASSERT_EQ(call("POST", path + "/submit", "", &editor_).status, 200);
  ASSERT_EQ(call("POST", path + "/approve", "", &approver_).status, 200);
  ASSERT_EQ(call("POST", path + "/publish", "", &approver_).status, 200);
  // Sending the same values changes nothing: still published, still revision 1.
  HttpResponse same =
      call("PATCH", path, R"({"title":"Thông báo","category":"society"})", &editor_);
  ASSERT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(json::parse(same.body).at("status").as_string(), "published");
  EXPECT_EQ(json::parse(same.body).at("revision").as_int64(), 1);
  HttpResponse edited = call("PATCH", path, R"({"source":"Trạm y tế phường"})", &editor_);
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_EQ(json::parse(edited.body).at("revision").as_int64(), 2);
  EXPECT_EQ(json::parse(edited.body).at("status").as_string(), "draft");
  auto history = json::parse(call("GET", path + "/revisions", "", &editor_).body);
  EXPECT_EQ(history.at("items").as_array().size(), 1u);
}

TEST_F(BulletinApiTest, BadInputIsPrecise) {
  auto post = [&](const std::string& body) {
    return call("POST", "/api/v1/bulletins", body, &editor_);
  };
  EXPECT_EQ(error_code(post(R"({"title":"T","body":"B","category":"society","colour":"red"})")),
            "unknown_field");
  EXPECT_EQ(error_code(post(R"({"title":"T","body":"B"})")), "missing_field");
  EXPECT_EQ(
      error_code(post(R"({"title":"T","body":"B","category":"society","priority":"urgent"})")),
      "invalid_field");
  HttpResponse t =
      post(R"({"title":"T","body":"B","category":"society","valid_from":"28/6/2024"})");
  EXPECT_EQ(t.status, 422);
  EXPECT_NE(t.body.find("valid_from"), std::string::npos);
  EXPECT_EQ(
      error_code(post(
          R"({"title":"T","body":"B","category":"society","valid_from":"2024-02-30T00:00Z"})")),
      "invalid_field");
  EXPECT_EQ(post(R"({"title":"T","body":"B","category":"society","target_units":"16597"})").status,
            422);
  // Audio routes answer 503 when no speech stack is configured, and uploads need audio types.
  const auto id = create();
  EXPECT_EQ(
      call("POST", "/api/v1/bulletins/" + std::to_string(id) + "/audio/synthesize", "{}", &editor_)
          .status,
      503);
  EXPECT_EQ(call("PUT", "/api/v1/bulletins/" + std::to_string(id) + "/audio", "RIFF", &editor_,
                 "application/json")
                .status,
            415);
  EXPECT_EQ(call("GET", "/api/v1/bulletins/999999", "", &editor_).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/bulletins/abc", "", &editor_).status, 404);
}

TEST_F(BulletinApiTest, ScopeHidesOtherCommunesBulletins) {
  const auto id = create();
  Client other = fresh_login("bt.hailinh", create_user("bt.hailinh", "16597", "editor"));
  EXPECT_EQ(call("GET", "/api/v1/bulletins/" + std::to_string(id), "", &other).status, 404);
  EXPECT_EQ(call("POST", "/api/v1/bulletins/" + std::to_string(id) + "/submit", "", &other).status,
            404);
  EXPECT_EQ(call("GET", "/api/v1/units/14797/library", "", &other).status, 404);
  EXPECT_TRUE(json::parse(call("GET", "/api/v1/bulletins", "", &other).body)
                  .at("items")
                  .as_array()
                  .empty());
}

TEST_F(BulletinApiTest, FourEyesSettingIsAnAdminSwitch) {
  EXPECT_TRUE(json::parse(call("GET", "/api/v1/units/14797/settings", "", &editor_).body)
                  .at("four_eyes")
                  .as_bool());
  EXPECT_EQ(
      call("PATCH", "/api/v1/units/14797/settings", R"({"four_eyes":false})", &editor_).status,
      403);
  HttpResponse off =
      call("PATCH", "/api/v1/units/14797/settings", R"({"four_eyes":false})", &admin_);
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_FALSE(json::parse(off.body).at("four_eyes").as_bool());
}

TEST(Iso8601, ParsesZonesAndRefusesNonsense) {
  EXPECT_EQ(api::parse_iso8601("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(api::parse_iso8601("1970-01-01T07:00:00+07:00"), 0);
  EXPECT_EQ(api::parse_iso8601("1970-01-01T07:00+07:00"), 0);
  EXPECT_FALSE(api::parse_iso8601("1970-01-01T00:00:00"));  // no zone
  EXPECT_FALSE(api::parse_iso8601("2024-02-30T00:00:00Z"));
  EXPECT_FALSE(api::parse_iso8601("2024-13-01T00:00:00Z"));
  EXPECT_FALSE(api::parse_iso8601("28/6/2024"));
  EXPECT_FALSE(api::parse_iso8601(""));
}

}  // namespace
}  // namespace nguon::app
