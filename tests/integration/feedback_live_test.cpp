// Citizen feedback through the real binaries: nguon-server with its outbox worker sending over
// SMTP to a real SMTP server on loopback (tests/support/smtp_sink.h), an Open311 client posting
// with an api_key, staff answering through the JSON API, the citizen following the answer.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>

#include "tests/support/fakes.h"
#include "tests/support/form_bodies.h"
#include "tests/support/live.h"
#include "tests/support/smtp_sink.h"

namespace nguon {
namespace {
namespace json = boost::json;
using testing::Proc;
using testing::read_line;
using testing::Reply;
using testing::request;
using testing::run_to_end;
using testing::spawn;
using testing::wait_exit;

class FeedbackLive : public ::testing::Test {
 protected:
  void SetUp() override {
    cfg_ = db_.dir() + "/n.toml";
    std::ofstream(cfg_) << "[server]\nport = 0\npublic_url = \"https://nguon.test\"\n"
                        << "[storage]\ndata_dir = \"" << db_.dir() << "/var\"\n"
                        << "[deployment]\nscope = \"38\"\n[security]\nargon2_profile = \"min\"\n"
                        << "[feedback]\nmoderate_first_time = false\n"
                        << "[mail]\nenabled = true\nport = " << sink_.port()
                        << "\npoll_seconds = 1\nretry_seconds = 1\n";
    int code = 0;
    run_to_end({NGUON_ADMIN_BIN, "-c", cfg_, "import-units"}, &code);
    ASSERT_EQ(code, 0);
    std::string admin =
        run_to_end({NGUON_ADMIN_BIN, "-c", cfg_, "create-admin", "--username", "admin"}, &code);
    ASSERT_EQ(code, 0) << admin;
    password_ = std::string(json::parse(admin).at("password").as_string());
    server_ = spawn({NGUON_SERVER_BIN, "-c", cfg_});
    for (int i = 0; i < 30 && port_ == 0; ++i) {
      std::string line = read_line(server_.out_fd);
      if (line.find("\"listening\"") != std::string::npos) {
        port_ = static_cast<std::uint16_t>(json::parse(line).at("port").as_int64());
      }
    }
    ASSERT_NE(port_, 0);
    Reply login = request(port_, "POST", "/api/v1/auth/login",
                          R"({"username":"admin","password":")" + password_ + "\"}");
    ASSERT_EQ(login.status, 200) << login.body;
    cookie_ = login.set_cookie.substr(14, 64);
    csrf_ = std::string(json::parse(login.body).at("csrf_token").as_string());
  }

  void TearDown() override {
    if (server_.pid > 0) {
      kill(server_.pid, SIGTERM);
      EXPECT_EQ(wait_exit(server_.pid), 0);
      close(server_.out_fd);
    }
  }

  Reply api(const std::string& method, const std::string& target, const std::string& body = "") {
    return request(port_, method, target, body, cookie_, csrf_);
  }

  testing::TempStore db_;  // for its temporary directory
  testing::SmtpSink sink_;
  std::string cfg_, password_, cookie_, csrf_;
  Proc server_;
  std::uint16_t port_ = 0;
};

TEST_F(FeedbackLive, Open311RequestAnsweredByStaffReachesTheCitizenByEmail) {
  // An Open311 client's api_key is an API token.
  Reply token = api("POST", "/api/v1/tokens", R"({"name":"open311 app"})");
  ASSERT_EQ(token.status, 201) << token.body;
  const std::string key(json::parse(token.body).at("token").as_string());
  const std::string form = "api_key=" + key +
                           "&service_code=roads&commune_code=14797&email=dan%40example.vn"
                           "&first_name=V%C4%83n&last_name=Nguy%E1%BB%85n&description=" +
                           testing::url_encode("Ổ gà lớn trước nhà văn hóa <b>Đông Hải</b>");
  Reply missing_key =
      request(port_, "POST", "/open311/v2/requests.json", form.substr(form.find('&') + 1), "", "",
              "", "application/x-www-form-urlencoded");
  EXPECT_EQ(missing_key.status, 403) << missing_key.body;
  Reply posted = request(port_, "POST", "/open311/v2/requests.json", form, "", "", "",
                         "application/x-www-form-urlencoded");
  ASSERT_EQ(posted.status, 201) << posted.body;
  const json::value reply = json::parse(posted.body);
  const auto& first = reply.as_array().at(0).as_object();
  ASSERT_TRUE(first.contains("service_request_id")) << posted.body;
  const json::value& rid = first.at("service_request_id");
  const std::string id = rid.is_string() ? std::string(rid.as_string()) : json::serialize(rid);

  // The staff side: one handler who also approves (four-eyes off for this small test unit).
  ASSERT_EQ(api("PATCH", "/api/v1/units/14797/settings", R"({"four_eyes":false})").status, 200);
  Reply staff = api("POST", "/api/v1/users",
                    R"({"username":"xuly","display_name":"Ngô Thị Hạnh","unit_code":"14797",
                        "password":"mat-khau-du-dai-2026",
                        "roles":[{"role":"feedback_handler","unit_code":"14797"},
                                 {"role":"approver","unit_code":"14797"}]})");
  ASSERT_EQ(staff.status, 201) << staff.body;
  Reply login = request(port_, "POST", "/api/v1/auth/login",
                        R"({"username":"xuly","password":"mat-khau-du-dai-2026"})");
  ASSERT_EQ(login.status, 200) << login.body;
  cookie_ = login.set_cookie.substr(14, 64);
  csrf_ = std::string(json::parse(login.body).at("csrf_token").as_string());
  Reply detail = api("GET", "/api/v1/feedback/" + id);
  ASSERT_EQ(detail.status, 200) << detail.body;
  const json::value detail_json = json::parse(detail.body);
  const auto& fb = detail_json.at("feedback").as_object();
  const std::string code(fb.at("tracking_code").as_string());
  EXPECT_EQ(fb.at("channel").as_string(), "open311");
  EXPECT_EQ(fb.at("client").as_string(), "admin");
  ASSERT_EQ(api("POST", "/api/v1/feedback/" + id + "/accept", "{}").status, 200);
  EXPECT_EQ(api("POST", "/api/v1/feedback/" + id + "/answer",
                R"({"text":"UBND phường đã vá đường ngày 27/11."})")
                .status,
            200);
  EXPECT_EQ(api("POST", "/api/v1/feedback/" + id + "/answer/submit", "{}").status, 200);
  Reply approved = api("POST", "/api/v1/feedback/" + id + "/answer/approve", "{}");
  ASSERT_EQ(approved.status, 200) << approved.body;

  // The outbox worker delivers the answer over SMTP.
  ASSERT_TRUE(sink_.wait_for(1, std::chrono::seconds(15)));
  const auto mails = sink_.messages();
  ASSERT_EQ(mails.size(), 1U);
  EXPECT_EQ(mails[0].rcpt_to, std::vector<std::string>{"dan@example.vn"});
  const std::string body = testing::decoded_body(mails[0].data);
  EXPECT_NE(body.find("đã vá đường ngày 27/11"), std::string::npos) << body;
  EXPECT_NE(body.find("https://nguon.test/portal/track?code=" + code), std::string::npos) << body;
  EXPECT_NE(testing::decoded_subject(mails[0].data).find(code), std::string::npos);

  // Public Open311 view: closed, escaped, no contact, no tracking code.
  Reply xml = request(port_, "GET", "/open311/v2/requests/" + id + ".xml");
  ASSERT_EQ(xml.status, 200) << xml.body;
  EXPECT_NE(xml.body.find("<status>closed</status>"), std::string::npos) << xml.body;
  EXPECT_NE(xml.body.find("&lt;b&gt;Đông Hải&lt;/b&gt;"), std::string::npos) << xml.body;
  EXPECT_EQ(xml.body.find("dan@example.vn"), std::string::npos);
  EXPECT_EQ(xml.body.find(code), std::string::npos);

  // The citizen's tracking page shows the answer.
  Reply track = request(port_, "GET", "/portal/track?code=" + code);
  ASSERT_EQ(track.status, 200);
  EXPECT_NE(track.body.find("đã vá đường ngày 27/11"), std::string::npos);
}

}  // namespace
}  // namespace nguon
