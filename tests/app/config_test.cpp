#include "app/config.h"

#include <gtest/gtest.h>

namespace nguon::app {
namespace {

TEST(Config, DefaultsAreUsableWithoutAFile) {
  auto c = parse_config("", {}, "/srv/nguon");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->storage.backend, Backend::kSqlite);
  EXPECT_EQ(c->storage.sqlite_path, "var/nguon.sqlite");
  EXPECT_TRUE(c->is_central());
  EXPECT_EQ(c->security.argon2, Argon2Profile::kInteractive);
}

TEST(Config, FileValuesAndRelativePaths) {
  auto c = parse_config(R"(
[server]
port = 9000
web_root = "web/dist"
[storage]
data_dir = "data"
[deployment]
scope = "38"
[security]
lockout_minutes = 30
)",
                        {}, "/srv/nguon");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->server.port, 9000);
  EXPECT_EQ(c->server.web_root, "/srv/nguon/web/dist");
  EXPECT_EQ(c->storage.sqlite_path, "/srv/nguon/data/nguon.sqlite");
  EXPECT_EQ(c->deployment.scope, "38");
  EXPECT_EQ(c->security.policy.lockout_seconds, 1800);
}

TEST(Config, EnvironmentOverridesTheFile) {
  auto c = parse_config("[server]\nport = 9000\n",
                        {{"NGUON_SERVER_PORT", "9100"},
                         {"NGUON_STORAGE_BACKEND", "postgres"},
                         {"NGUON_STORAGE_POSTGRES_URL", "postgresql://x@127.0.0.1/nguon"},
                         {"NGUON_LOG_JSON", "false"}},
                        "/");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->server.port, 9100);
  EXPECT_EQ(c->storage.backend, Backend::kPostgres);
  EXPECT_FALSE(c->log.json);
}

// Each error must name the key so an operator can fix it without reading code.
void expect_error_naming(const std::string& toml, const std::string& key,
                         const Environment& env = {}) {
  auto c = parse_config(toml, env, "/");
  ASSERT_FALSE(c) << toml;
  EXPECT_EQ(c.error().code, "invalid_config");
  EXPECT_NE(c.error().message.find(key), std::string::npos) << c.error().message;
}

TEST(Config, ErrorsNameTheKey) {
  expect_error_naming("[server]\nport = \"eighty\"\n", "server.port");
  expect_error_naming("[server]\nport = 70000\n", "server.port");
  expect_error_naming("[server]\nprot = 80\n", "server.prot");
  expect_error_naming("[serverr]\nport = 80\n", "serverr.port");
  expect_error_naming("[storage]\nbackend = \"mysql\"\n", "storage.backend");
  expect_error_naming("[storage]\nbackend = \"postgres\"\n", "storage.postgres_url");
  expect_error_naming("[deployment]\nscope = \"thanh hoa\"\n", "deployment.scope");
  expect_error_naming("[security]\nargon2_profile = \"fast\"\n", "security.argon2_profile");
  expect_error_naming("", "NGUON_SERVER_THREADS", {{"NGUON_SERVER_THREADS", "many"}});
  expect_error_naming("", "NGUON_SERVER_COLOUR", {{"NGUON_SERVER_COLOUR", "red"}});
  // Variables outside the configuration's sections belong to other tools.
  EXPECT_TRUE(parse_config("", {{"NGUON_BIN_DIR", "/x"}, {"NGUON_CONFIG", "/y"}}, "/"));
  expect_error_naming("[server\nport = 1", "line 1");
}

}  // namespace
}  // namespace nguon::app
