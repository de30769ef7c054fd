// The server over real sockets: body limits, malformed HTTP, graceful shutdown, the binaries'
// exit codes, and the whole API on PostgreSQL with no code change.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include "adapters/http/server.h"
#include "app/api.h"
#include "app/speech_stack.h"
#include "app/unit_import.h"
#include "core/audit.h"
#include "tests/support/fakes.h"
#include "tests/support/live.h"
#ifdef NGUON_TEST_POSTGRES
#include "adapters/db/postgres/postgres_store.h"
#include "tests/support/pg_server.h"
#endif

namespace nguon {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

using testing::raw_exchange;
using testing::Reply;
using testing::request;

// An in-process server around the real Api on a given store, on a free loopback port.
class LiveServer {
 public:
  LiveServer(Store& store, std::function<void(const http::HttpRequest&)> before = nullptr,
             app::SpeechStack* speech = nullptr)
      : crypto_(Argon2Profile::kMin) {
    config_.deployment.scope = "38";
    app::ApiDeps deps{config_, store,    clock_,
                      crypto_, metrics_, [this] { return server_->draining(); }};
    if (speech != nullptr) {
      deps.synthesizer = speech->synthesizer.get();
      deps.pipeline = speech->pipeline.get();
      deps.media = speech->media.get();
      deps.dictionary = speech->dictionary.get();
    }
    api_ = std::make_unique<app::Api>(deps);
    http::ServerOptions o;
    o.port = 0;
    o.threads = 2;
    o.body_limit = 64 * 1024;
    o.upload_body_limit = 512 * 1024;
    o.is_upload = app::is_upload_target;
    o.request_timeout = std::chrono::seconds(5);
    server_ = std::make_unique<http::HttpServer>(o, [this, before](const http::HttpRequest& r) {
      if (before) before(r);
      return api_->handle(r);
    });
    EXPECT_EQ(server_->bind(), "");
    thread_ = std::thread([this] { server_->run(); });
  }
  ~LiveServer() { stop(std::chrono::milliseconds(2000)); }
  void stop(std::chrono::milliseconds grace) {
    if (!thread_.joinable()) return;
    server_->shutdown(grace);
    thread_.join();
  }
  std::uint16_t port() const { return server_->port(); }
  app::Api& api() { return *api_; }
  http::HttpServer& server() { return *server_; }

 private:
  app::Config config_;
  testing::ManualClock clock_;
  SodiumCrypto crypto_;
  app::Metrics metrics_;
  std::unique_ptr<app::Api> api_;
  std::unique_ptr<http::HttpServer> server_;
  std::thread thread_;
};

TEST(Server, OversizedBodiesGet413AndTheServerKeepsServing) {
  testing::TempStore db;
  LiveServer live(db.store());
  Reply big = request(live.port(), "POST", "/api/v1/auth/login", std::string(100 * 1024, 'x'));
  EXPECT_EQ(big.status, 413);
  EXPECT_NE(big.body.find("body_too_large"), std::string::npos);
  EXPECT_EQ(request(live.port(), "GET", "/healthz").status, 200);
}

TEST(Server, UploadRoutesAcceptLargerBodiesThanTheRest) {
  testing::TempStore db;
  LiveServer live(db.store());
  const std::string wav(300 * 1024, 'x');
  auto upload = [&](const std::string& target, const std::string& body) {
    return raw_exchange(live.port(), "PUT " + target +
                                         " HTTP/1.1\r\nHost: x\r\nContent-Type: audio/wav\r\n"
                                         "Connection: close\r\nContent-Length: " +
                                         std::to_string(body.size()) + "\r\n\r\n" + body);
  };
  // Read whole and refused for lack of a session (not for size) on an upload route...
  EXPECT_EQ(upload("/api/v1/bulletins/1/audio", wav).status, 401);
  EXPECT_EQ(upload("/api/v1/units/14797/signature-tune/intro", wav).status, 401);
  // ...but 413 elsewhere, and past the upload limit too.
  Reply other = upload("/api/v1/bulletins/1", wav);
  EXPECT_EQ(other.status, 413);
  EXPECT_NE(other.body.find("65536"), std::string::npos);
  EXPECT_EQ(upload("/api/v1/bulletins/1/audio", std::string(600 * 1024, 'x')).status, 413);
}

TEST(Server, MalformedHttpGets400AndTheServerKeepsServing) {
  testing::TempStore db;
  LiveServer live(db.store());
  EXPECT_EQ(raw_exchange(live.port(), "BLAH\r\n\r\n").status, 400);
  EXPECT_EQ(raw_exchange(live.port(), "GET / HTTP/1.1\r\nContent-Length: zz\r\n\r\n").status, 400);
  std::string huge_header =
      "GET /healthz HTTP/1.1\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n";
  EXPECT_EQ(raw_exchange(live.port(), huge_header).status, 431);
  EXPECT_EQ(request(live.port(), "GET", "/healthz").status, 200);
}

TEST(Server, ManyBadRequestsInARowNeverCrashIt) {
  testing::TempStore db;
  LiveServer live(db.store());
  const std::vector<std::string> bodies = {
      "", "{", "null", "\xff\xfe", "{\"username\":[]}", std::string(5000, '{')};
  for (int i = 0; i < 50; ++i) {
    Reply r = request(live.port(), "POST", "/api/v1/auth/login",
                      bodies[static_cast<size_t>(i) % bodies.size()]);
    EXPECT_GE(r.status, 400);
    EXPECT_LT(r.status, 500) << r.body;
  }
  EXPECT_EQ(request(live.port(), "GET", "/readyz").status, 200);
}

TEST(Server, GracefulShutdownFinishesInFlightRequestsAndRefusesNewOnes) {
  testing::TempStore db;
  std::promise<void> entered;
  std::atomic<bool> once{false};
  LiveServer live(db.store(), [&](const http::HttpRequest& r) {
    if (r.target == "/healthz?slow" && !once.exchange(true)) {
      entered.set_value();
      std::this_thread::sleep_for(std::chrono::milliseconds(600));
    }
  });
  const auto port = live.port();
  auto slow =
      std::async(std::launch::async, [port] { return request(port, "GET", "/healthz?slow"); });
  entered.get_future().wait();
  live.server().shutdown(std::chrono::milliseconds(5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // New connections are refused while the in-flight request is still running.
  asio::io_context ioc;
  tcp::socket s(ioc);
  beast::error_code ec;
  s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  EXPECT_TRUE(ec) << "a new connection was accepted during shutdown";
  EXPECT_EQ(slow.get().status, 200);  // the in-flight one completed
  live.stop(std::chrono::milliseconds(0));
}

// A PNG's structure (signature, IHDR, IEND): what the server checks before storing an image.
std::string tiny_png() {
  auto be32 = [](std::uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  return std::string("\x89PNG\r\n\x1a\n") + be32(13) + "IHDR" + be32(4) + be32(4) +
         std::string("\x08\x02\x00\x00\x00", 5) + be32(0) + be32(0) + "IEND" + be32(0xAE426082);
}

// The content routes over real sockets with the real speech stack (espeak-ng, libsndfile,
// libebur128, libopusenc, files on disk).
TEST(Server, BulletinMediaOverHttp) {
  testing::TempStore db;
  auto config = app::parse_config("[storage]\ndata_dir = \"" + db.dir() + "\"\n", {}, "/").value();
  auto speech = app::make_speech_stack(config);
  ASSERT_TRUE(speech) << speech.error().message;
  LiveServer live(db.store(), nullptr, &speech.value());
  auto pw = live.api().accounts().create_user_as_system(
      {"bientap", "Biên tập", "14797", std::string("mat-khau-dai-1"), {{Role::kEditor, "14797"}}},
      {"cli:test", "local"});
  ASSERT_TRUE(pw);
  Reply login = request(live.port(), "POST", "/api/v1/auth/login",
                        R"({"username":"bientap","password":"mat-khau-dai-1"})");
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string cookie = login.set_cookie.substr(14, 64);
  const std::string csrf(json::parse(login.body).at("csrf_token").as_string());
  Reply created = request(live.port(), "POST", "/api/v1/bulletins",
                          R"({"title":"Thông báo","body":"UBND phường thông báo lịch họp lúc 7h30.",
                              "category":"society","owner_unit":"14797"})",
                          cookie, csrf);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string base =
      "/api/v1/bulletins/" + std::to_string(json::parse(created.body).at("id").as_int64());

  Reply image =
      request(live.port(), "POST", base + "/images", tiny_png(), cookie, csrf, "", "image/png");
  ASSERT_EQ(image.status, 201) << image.body;
  const std::string image_url(
      json::parse(image.body).at("images").as_array().at(0).at("url").as_string());
  Reply fetched = request(live.port(), "GET", image_url, "", cookie);
  EXPECT_EQ(fetched.status, 200);
  EXPECT_EQ(fetched.content_type, "image/png");
  EXPECT_EQ(fetched.body, tiny_png());
  Reply gif = request(live.port(), "POST", base + "/images", "GIF89a\x01\x00", cookie, csrf, "",
                      "image/gif");
  EXPECT_EQ(gif.status, 422);
  EXPECT_NE(gif.body.find("unsupported_image"), std::string::npos);
  Reply text_audio =
      request(live.port(), "PUT", base + "/audio", "just text", cookie, csrf, "", "audio/wav");
  EXPECT_EQ(text_audio.status, 422);
  EXPECT_NE(text_audio.body.find("not_audio"), std::string::npos);

  Reply synth = request(live.port(), "POST", base + "/audio/synthesize", R"({"voice":"central"})",
                        cookie, csrf);
  ASSERT_EQ(synth.status, 200) << synth.body;
  auto audio = json::parse(synth.body).at("audio");
  const std::string media_url(audio.at("url").as_string());
  const std::string id(audio.at("media_id").as_string());
  EXPECT_GT(audio.at("seconds").as_double(), 1.0);
  Reply part = request(live.port(), "GET", media_url, "", cookie, "", "Range: bytes=0-99\r\n");
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body.size(), 100u);
  EXPECT_EQ(part.body.substr(0, 4), "OggS");
  EXPECT_EQ(part.content_range.substr(0, 11), "bytes 0-99/");
  EXPECT_EQ(request(live.port(), "GET", media_url, "", cookie, "", "Range: bytes=oops\r\n").status,
            200);
  EXPECT_EQ(
      request(live.port(), "GET", media_url, "", cookie, "", "Range: bytes=99999999-\r\n").status,
      416);
  EXPECT_EQ(request(live.port(), "GET", media_url, "", cookie, "",
                    "If-None-Match: \"x\", W/\"" + id + "\"\r\n")
                .status,
            304);
  EXPECT_EQ(request(live.port(), "GET", "/api/v1/media/../../etc/passwd", "", cookie).status, 400);
  EXPECT_EQ(request(live.port(), "GET", "/api/v1/media/" + std::string(64, 'a'), "", cookie).status,
            404);
}

// --- the real binaries ---

using testing::Proc;
using testing::read_line;
using testing::run_to_end;
using testing::spawn;
using testing::wait_exit;

TEST(Binaries, ServerStartsServesAndStopsCleanlyOnSigterm) {
  testing::TempStore db;  // only for its temporary directory
  const std::string cfg = db.dir() + "/n.toml";
  std::ofstream(cfg)
      << "[server]\nport = 0\n[storage]\ndata_dir = \"" << db.dir()
      << "/var\"\n[deployment]\nscope = \"38\"\n[security]\nargon2_profile = \"min\"\n";
  int code = 0;
  run_to_end({NGUON_ADMIN_BIN, "-c", cfg, "import-units"}, &code);
  ASSERT_EQ(code, 0);
  std::string admin =
      run_to_end({NGUON_ADMIN_BIN, "-c", cfg, "create-admin", "--username", "admin"}, &code);
  ASSERT_EQ(code, 0) << admin;
  const std::string password(json::parse(admin).at("password").as_string());

  Proc server = spawn({NGUON_SERVER_BIN, "-c", cfg});
  std::uint16_t port = 0;
  for (int i = 0; i < 20 && port == 0; ++i) {
    std::string line = read_line(server.out_fd);
    if (line.find("\"listening\"") != std::string::npos) {
      port = static_cast<std::uint16_t>(json::parse(line).at("port").as_int64());
    }
  }
  ASSERT_NE(port, 0);
  Reply login = request(port, "POST", "/api/v1/auth/login",
                        R"({"username":"admin","password":")" + password + "\"}");
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string cookie = login.set_cookie.substr(14, 64);
  Reply communes = request(port, "GET", "/api/v1/units/38/children", "", cookie);
  ASSERT_EQ(communes.status, 200);
  EXPECT_EQ(json::parse(communes.body).at("items").as_array().size(), 166u);
  kill(server.pid, SIGTERM);
  EXPECT_EQ(wait_exit(server.pid), 0);
  close(server.out_fd);

  run_to_end({NGUON_ADMIN_BIN, "-c", cfg, "verify-audit"}, &code);
  EXPECT_EQ(code, 0);
  run_to_end({NGUON_ADMIN_BIN, "-c", cfg, "backup", "--to", db.dir() + "/copy.sqlite"}, &code);
  EXPECT_EQ(code, 0);
  EXPECT_GT(std::filesystem::file_size(db.dir() + "/copy.sqlite"), 0u);
}

TEST(Binaries, BadConfigurationExitsWithTheKeyNamed) {
  testing::TempStore db;
  const std::string cfg = db.dir() + "/bad.toml";
  std::ofstream(cfg) << "[server]\nport = \"http\"\n";
  int code = 0;
  std::string out = run_to_end({NGUON_SERVER_BIN, "-c", cfg}, &code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("server.port"), std::string::npos) << out;
}

TEST(Binaries, VerifyAuditNamesTheTamperedEntry) {
  testing::TempStore db;
  const std::string cfg = db.dir() + "/n.toml";
  std::ofstream(cfg) << "[storage]\nsqlite_path = \"" << db.db_path()
                     << "\"\n[deployment]\nscope = \"38\"\n[security]\nargon2_profile = \"min\"\n";
  int code = 0;
  for (const char* name : {"mot.mot", "hai.hai", "ba.ba"}) {
    std::string out = run_to_end({NGUON_ADMIN_BIN, "-c", cfg, "users", "create", "--username", name,
                                  "--name", name, "--unit", "14797", "--role", "viewer@14797"},
                                 &code);
    ASSERT_EQ(code, 0) << out;
  }
  EXPECT_NE(run_to_end({NGUON_ADMIN_BIN, "-c", cfg, "verify-audit"}, &code).find("intact: 3"),
            std::string::npos);
  ASSERT_EQ(code, 0);
  std::string sql =
      "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'ke-gian' WHERE seq = 2;";
  run_to_end({"/usr/bin/sqlite3", db.db_path(), sql}, &code);
  ASSERT_EQ(code, 0);
  std::string out = run_to_end({NGUON_ADMIN_BIN, "-c", cfg, "verify-audit"}, &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("BROKEN at entry 2"), std::string::npos) << out;
}

#ifdef NGUON_TEST_POSTGRES
// The same API, unchanged, on PostgreSQL: only the store differs.
TEST(Postgres, TheApiRunsUnchangedOnPostgres) {
  testing::PgServer pg;
  auto db = pg.create_database("nguon_api");
  auto store = postgres::open_store({db.conninfo});
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE(store.value()->migrate());
  auto cfg = app::parse_config("[deployment]\nscope = \"38\"\n", {}, "/").value();
  auto imported = app::import_units(*store.value(), cfg);
  ASSERT_TRUE(imported) << imported.error().message;
  EXPECT_EQ(imported->communes, 166);
  LiveServer live(*store.value());
  auto pw = live.api().accounts().ensure_admin("admin", "38", {"cli:test", "local"});
  ASSERT_TRUE(pw);
  Reply login = request(live.port(), "POST", "/api/v1/auth/login",
                        R"({"username":"admin","password":")" + pw.value() + "\"}");
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string cookie = login.set_cookie.substr(14, 64);
  const std::string csrf(json::parse(login.body).at("csrf_token").as_string());
  Reply search = request(live.port(), "GET", "/api/v1/units?q=hac%20thanh", "", cookie);
  ASSERT_EQ(search.status, 200);
  EXPECT_NE(search.body.find("14797"), std::string::npos);
  Reply created =
      request(live.port(), "POST", "/api/v1/users",
              R"({"username":"bientap.hacthanh","display_name":"Lê Thị Hoa","unit_code":"14797",
                              "roles":[{"role":"editor","unit_code":"14797"}]})",
              cookie, csrf);
  ASSERT_EQ(created.status, 201) << created.body;
  Reply dup = request(live.port(), "POST", "/api/v1/users",
                      R"({"username":"bientap.hacthanh","display_name":"X","unit_code":"14797"})",
                      cookie, csrf);
  EXPECT_EQ(dup.status, 409);
  Reply legacy = request(live.port(), "GET", "/api/v1/legacy-communes/14800", "", cookie);
  EXPECT_EQ(legacy.status, 200);
  SodiumCrypto crypto(Argon2Profile::kMin);
  auto report = audit::verify(*store.value(), crypto);
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->first_bad_seq);
  EXPECT_GE(report->checked, 3);
}
#endif

}  // namespace
}  // namespace nguon
