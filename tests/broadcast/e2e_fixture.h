// The live fixture of the broadcast end-to-end tests (issues 4 and 6): Mosquitto with the
// dynamic-security plugin, nguon-server (SQLite, espeak-ng) and nguon-agent processes with file
// sinks, all on loopback; helpers to log in, create users, register and provision devices and
// read what they played.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/live.h"
#include "tests/support/mosquitto_server.h"

namespace nguon::e2e {
namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::Proc;
using testing::Reply;
using testing::request;

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls `pred` every 50 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

// A logged-in console session.
using Session = testing::ConsoleSession;

class BroadcastEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("nguon-e2e-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    port_ = static_cast<std::uint16_t>(testing::free_loopback_port());
    config_ = (dir_ / "nguon.toml").string();
    std::ofstream(config_) << "[server]\nport = " << port_ << "\n[storage]\ndata_dir = \""
                           << (dir_ / "var").string()
                           << "\"\n[deployment]\nscope = \"38\"\n[security]\nargon2_profile = "
                              "\"min\"\n[broker]\nenabled = true\nport = "
                           << broker_.port() << "\nusername = \"" << broker_.admin_user()
                           << "\"\npassword = \"" << broker_.admin_password()
                           << "\"\n[log]\nlevel = \"info\"\n";
    int code = 0;
    testing::run_to_end({NGUON_ADMIN_BIN, "-c", config_, "import-units"}, &code);
    ASSERT_EQ(code, 0);
    const std::string out = testing::run_to_end(
        {NGUON_ADMIN_BIN, "-c", config_, "create-admin", "--username", "admin"}, &code);
    ASSERT_EQ(code, 0) << out;
    admin_password_ = std::string(json::parse(out).at("password").as_string());
    start_server();
    admin_ = login("admin", admin_password_);
  }

  // What the server and the agents printed so far (for failure messages).
  std::string outputs() {
    std::string out;
    auto drain = [&](const std::string& name, const Proc& p) {
      if (p.out_fd < 0) return;
      ::fcntl(p.out_fd, F_SETFL, ::fcntl(p.out_fd, F_GETFL) | O_NONBLOCK);
      char buf[8192];
      ssize_t n = 0;
      out += "--- " + name + "\n";
      while ((n = ::read(p.out_fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    };
    drain("server", server_);
    for (size_t i = 0; i < agents_.size(); ++i) drain("agent " + std::to_string(i), agents_[i]);
    return out;
  }

  void TearDown() override {
    if (HasFailure()) std::cerr << outputs();
    for (auto& a : agents_) stop_process(a);
    stop_process(server_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void start_server() {
    server_ = testing::spawn({NGUON_SERVER_BIN, "-c", config_});
    ASSERT_TRUE(eventually([&] { return request(port_, "GET", "/readyz").status == 200; }, 20s))
        << "server did not become ready";
  }

  static void stop_process(Proc& p) {
    if (p.pid <= 0) return;
    ::kill(p.pid, SIGTERM);
    testing::wait_exit(p.pid);
    ::close(p.out_fd);
    p.pid = -1;
  }

  Session login(const std::string& user, std::string password) {
    Session s{port_};
    Reply r = request(port_, "POST", "/api/v1/auth/login",
                      json::serialize(json::object{{"username", user}, {"password", password}}));
    EXPECT_EQ(r.status, 200) << r.body;
    s.cookie = r.set_cookie.substr(14, 64);
    s.csrf = std::string(json::parse(r.body).at("csrf_token").as_string());
    if (s.get("/api/v1/units/38").status == 403) {  // generated password: change it first
      const std::string next = password + "-doi-moi";
      Reply changed = s.post(
          "/api/v1/auth/password",
          json::serialize(json::object{{"current_password", password}, {"new_password", next}}));
      EXPECT_EQ(changed.status, 204) << changed.body;
      return login(user, next);
    }
    return s;
  }

  // Registers a device in `commune`, provisions it and starts an agent with a file sink.
  std::string add_agent(const std::string& commune, const std::string& serial,
                        std::int64_t clock_offset = 0) {
    Reply reg =
        admin_.post("/api/v1/devices", json::serialize(json::object{{"kind", "cluster"},
                                                                    {"name", "Cụm loa " + serial},
                                                                    {"serial", serial},
                                                                    {"vendor", "Test"},
                                                                    {"model", "IP-1"},
                                                                    {"commune_code", commune},
                                                                    {"horns", 4},
                                                                    {"watts", 120}}));
    EXPECT_EQ(reg.status, 201) << reg.body;
    const std::string id(json::parse(reg.body).at("id").as_string());
    Reply prov = admin_.post("/api/v1/devices/" + id + "/provision", "{}");
    EXPECT_EQ(prov.status, 200) << prov.body;
    const fs::path home = dir_ / id;
    fs::create_directories(home / "sink");
    std::ofstream(home / "bundle.json")
        << json::parse(prov.body).at("bundle_json").as_string().c_str();
    agents_.push_back(
        testing::spawn({NGUON_AGENT_BIN, "--bundle", (home / "bundle.json").string(), "--state",
                        (home / "state").string(), "--sink", "file:" + (home / "sink").string(),
                        "--heartbeat", "5", "--clock-offset", std::to_string(clock_offset)}));
    return id;
  }

  bool online(const std::string& id) {
    Reply r = admin_.get("/api/v1/devices/" + id);
    return r.status == 200 && json::parse(r.body).at("online").as_bool();
  }

  fs::path played_file(const std::string& device, const std::string& sha) {
    return dir_ / device / "sink" / (sha + ".played");
  }

  // A user created with the admin CLI, logged in (first password changed).
  Session user_with_role(const std::string& username, const std::string& unit,
                         const std::string& role) {
    int code = 0;
    const std::string out = testing::run_to_end(
        {NGUON_ADMIN_BIN, "-c", config_, "users", "create", "--username", username, "--name",
         username, "--unit", unit, "--role", role + "@" + unit},
        &code);
    EXPECT_EQ(code, 0) << out;
    return login(username, std::string(json::parse(out).at("password").as_string()));
  }

  // A published bulletin with synthesized audio (editor and approver of the province).
  std::int64_t published_bulletin() {
    Session editor = user_with_role("bientap.p", "38", "editor");
    Session approver = user_with_role("duyet.p", "38", "approver");
    Reply b = editor.post("/api/v1/bulletins", R"({"title":"Thông báo lịch cắt điện",)"
                                               R"("body":"Điện lực thông báo tạm ngừng cấp điện )"
                                               R"(từ bảy giờ đến mười một giờ sáng thứ Bảy.",)"
                                               R"("category":"essential_services"})");
    EXPECT_EQ(b.status, 201) << b.body;
    const std::int64_t id = json::parse(b.body).at("id").as_int64();
    const std::string base = "/api/v1/bulletins/" + std::to_string(id);
    EXPECT_EQ(editor.post(base + "/audio/synthesize", R"({"voice":"north"})").status, 200);
    EXPECT_EQ(editor.post(base + "/submit", "{}").status, 200);
    EXPECT_EQ(approver.post(base + "/approve", "{}").status, 200);
    Reply pub = approver.post(base + "/publish", "{}");
    EXPECT_EQ(pub.status, 200) << pub.body;
    return id;
  }
  std::string audio_of(std::int64_t bulletin) {
    Reply r = admin_.get("/api/v1/bulletins/" + std::to_string(bulletin));
    return std::string(json::parse(r.body).at("audio").at("media_id").as_string());
  }

  // Stored Opus audio: a bulletin synthesized by espeak-ng.
  std::string make_media() {
    Session editor = user_with_role("bientap", "38", "editor");
    Reply b = editor.post("/api/v1/bulletins", R"({"title":"Lịch tiêm chủng","body":"Trạm y tế )"
                                               R"(xã thông báo lịch tiêm chủng tháng mười hai.",)"
                                               R"("category":"society"})");
    EXPECT_EQ(b.status, 201) << b.body;
    const std::string id = std::to_string(json::parse(b.body).at("id").as_int64());
    Reply s = editor.post("/api/v1/bulletins/" + id + "/audio/synthesize", R"({"voice":"north"})");
    EXPECT_EQ(s.status, 200) << s.body;
    return std::string(json::parse(s.body).at("audio").at("media_id").as_string());
  }

  std::string stored_bytes(const std::string& sha) {
    Reply r = admin_.get("/api/v1/media/" + sha);
    EXPECT_EQ(r.status, 200);
    return r.body;
  }

  json::array plays_of(const std::string& device) {
    Reply r = admin_.get("/api/v1/plays?device=" + device);
    if (r.status != 200) return {};
    return json::parse(r.body).at("items").as_array();
  }
  bool has_play(const std::string& device, std::string_view type) {
    for (const auto& p : plays_of(device)) {
      if (p.at("type").as_string() == type) return true;
    }
    return false;
  }
  bool has_play_with_reason(const std::string& device, std::string_view type,
                            std::string_view reason) {
    for (const auto& p : plays_of(device)) {
      if (p.at("type").as_string() == type && p.at("reason").as_string() == reason) return true;
    }
    return false;
  }

  testing::MosquittoServer broker_;
  fs::path dir_;
  std::uint16_t port_ = 0;
  std::string config_;
  std::string admin_password_;
  Proc server_;
  Session admin_;
  std::vector<Proc> agents_;
};

}  // namespace nguon::e2e
