#include "app/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <variant>
#include <vector>

extern char** environ;  // NOLINT

namespace nguon::app {
namespace {

using Value = std::variant<std::int64_t, std::string, bool>;
enum class Type { kInt, kString, kBool };

struct Key {
  std::string name;  // "server.port"
  Type type;
  std::function<Status(Config&, const Value&)> apply;
};

Error bad(const std::string& key, const std::string& why) {
  return invalid("invalid_config", key + ": " + why);
}

std::function<Status(Config&, const Value&)> int_in(
    const std::string& key, std::int64_t lo, std::int64_t hi,
    std::function<void(Config&, std::int64_t)> set) {
  return [=](Config& c, const Value& v) -> Status {
    const auto n = std::get<std::int64_t>(v);
    if (n < lo || n > hi) {
      return bad(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    }
    set(c, n);
    return {};
  };
}

std::function<Status(Config&, const Value&)> str(std::function<Status(Config&, std::string)> set) {
  return [=](Config& c, const Value& v) { return set(c, std::get<std::string>(v)); };
}

std::function<Status(Config&, const Value&)> flag(std::function<void(Config&, bool)> set) {
  return [=](Config& c, const Value& v) -> Status {
    set(c, std::get<bool>(v));
    return {};
  };
}

// A string key stored as given.
std::function<Status(Config&, const Value&)> text_into(std::function<std::string*(Config&)> field) {
  return [=](Config& c, const Value& v) -> Status {
    *field(c) = std::get<std::string>(v);
    return {};
  };
}

bool is_province_code(const std::string& s) {
  return s.size() == 2 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<Key> schema(const std::string& dir) {
  auto path_in = [dir](std::string p) {
    return p.empty() || std::filesystem::path(p).is_absolute()
               ? p
               : (std::filesystem::path(dir) / p).lexically_normal().string();
  };
  return {
      {"server.listen", Type::kString, str([](Config& c, std::string v) -> Status {
         c.server.listen = std::move(v);
         return {};
       })},
      {"server.port", Type::kInt,
       int_in("server.port", 0, 65535,
              [](Config& c, std::int64_t n) { c.server.port = static_cast<std::uint16_t>(n); })},
      {"server.threads", Type::kInt,
       int_in("server.threads", 1, 256,
              [](Config& c, std::int64_t n) { c.server.threads = static_cast<int>(n); })},
      {"server.body_limit_bytes", Type::kInt,
       int_in(
           "server.body_limit_bytes", 1024, 1LL << 30,
           [](Config& c, std::int64_t n) { c.server.body_limit_bytes = static_cast<size_t>(n); })},
      {"server.request_timeout_seconds", Type::kInt,
       int_in("server.request_timeout_seconds", 1, 3600,
              [](Config& c, std::int64_t n) {
                c.server.request_timeout_seconds = static_cast<int>(n);
              })},
      {"server.shutdown_grace_seconds", Type::kInt,
       int_in("server.shutdown_grace_seconds", 0, 600,
              [](Config& c, std::int64_t n) {
                c.server.shutdown_grace_seconds = static_cast<int>(n);
              })},
      {"server.web_root", Type::kString, str([path_in](Config& c, std::string v) -> Status {
         c.server.web_root = path_in(std::move(v));
         return {};
       })},
      {"server.public_url", Type::kString, str([](Config& c, std::string v) -> Status {
         c.server.public_url = std::move(v);
         return {};
       })},
      {"storage.backend", Type::kString, str([](Config& c, std::string v) -> Status {
         if (v == "sqlite") {
           c.storage.backend = Backend::kSqlite;
         } else if (v == "postgres") {
           c.storage.backend = Backend::kPostgres;
         } else {
           return bad("storage.backend", "must be \"sqlite\" or \"postgres\", not \"" + v + "\"");
         }
         return {};
       })},
      {"storage.data_dir", Type::kString, str([path_in](Config& c, std::string v) -> Status {
         c.storage.data_dir = path_in(std::move(v));
         return {};
       })},
      {"storage.sqlite_path", Type::kString, str([path_in](Config& c, std::string v) -> Status {
         c.storage.sqlite_path = path_in(std::move(v));
         return {};
       })},
      {"storage.sqlite_synchronous", Type::kString, str([](Config& c, std::string v) -> Status {
         if (v != "full" && v != "normal") {
           return bad("storage.sqlite_synchronous", "must be \"full\" or \"normal\"");
         }
         c.storage.sqlite_synchronous = std::move(v);
         return {};
       })},
      {"storage.postgres_url", Type::kString, str([](Config& c, std::string v) -> Status {
         c.storage.postgres_url = std::move(v);
         return {};
       })},
      {"deployment.scope", Type::kString, str([](Config& c, std::string v) -> Status {
         if (v != "central" && !is_province_code(v)) {
           return bad("deployment.scope", "must be \"central\" or a 2-digit province code");
         }
         c.deployment.scope = std::move(v);
         return {};
       })},
      {"deployment.data_dir", Type::kString, str([path_in](Config& c, std::string v) -> Status {
         c.deployment.data_dir = path_in(std::move(v));
         return {};
       })},
      {"security.session_ttl_minutes", Type::kInt,
       int_in("security.session_ttl_minutes", 5, 7 * 24 * 60,
              [](Config& c, std::int64_t n) { c.security.policy.session_ttl_seconds = n * 60; })},
      {"security.max_failed_logins", Type::kInt,
       int_in("security.max_failed_logins", 1, 100,
              [](Config& c, std::int64_t n) {
                c.security.policy.max_failed_logins = static_cast<int>(n);
              })},
      {"security.lockout_minutes", Type::kInt,
       int_in("security.lockout_minutes", 1, 24 * 60,
              [](Config& c, std::int64_t n) { c.security.policy.lockout_seconds = n * 60; })},
      {"security.min_password_length", Type::kInt,
       int_in("security.min_password_length", 8, 128,
              [](Config& c, std::int64_t n) {
                c.security.policy.min_password_length = static_cast<size_t>(n);
              })},
      {"security.login_attempts_per_minute_per_ip", Type::kInt,
       int_in("security.login_attempts_per_minute_per_ip", 1, 100000,
              [](Config& c, std::int64_t n) {
                c.security.login_attempts_per_minute_per_ip = static_cast<int>(n);
              })},
      {"security.argon2_profile", Type::kString, str([](Config& c, std::string v) -> Status {
         if (v == "interactive") {
           c.security.argon2 = Argon2Profile::kInteractive;
         } else if (v == "moderate") {
           c.security.argon2 = Argon2Profile::kModerate;
         } else if (v == "min") {
           c.security.argon2 = Argon2Profile::kMin;
         } else {
           return bad("security.argon2_profile",
                      "must be \"interactive\", \"moderate\" or \"min\" (tests only)");
         }
         return {};
       })},
      {"security.cookie_secure", Type::kBool,
       flag([](Config& c, bool b) { c.security.cookie_secure = b; })},
      {"speech.engine", Type::kString, str([](Config& c, std::string v) -> Status {
         if (v != "espeak" && v != "http") {
           return bad("speech.engine", "must be \"espeak\" or \"http\"");
         }
         c.speech.engine = std::move(v);
         return {};
       })},
      {"speech.http_url", Type::kString, str([](Config& c, std::string v) -> Status {
         if (!v.empty() && v.rfind("http://", 0) != 0) {
           return bad("speech.http_url", "must start with http:// (put TLS in a local proxy)");
         }
         c.speech.http_url = std::move(v);
         return {};
       })},
      {"speech.http_timeout_seconds", Type::kInt,
       int_in(
           "speech.http_timeout_seconds", 1, 3600,
           [](Config& c, std::int64_t n) { c.speech.http_timeout_seconds = static_cast<int>(n); })},
      {"speech.dictionary_path", Type::kString, str([path_in](Config& c, std::string v) -> Status {
         c.speech.dictionary_path = path_in(std::move(v));
         return {};
       })},
      {"audio.target_lufs", Type::kInt,
       int_in("audio.target_lufs", -40, -5,
              [](Config& c, std::int64_t n) { c.audio.target_lufs = static_cast<int>(n); })},
      {"audio.bitrate_bps", Type::kInt,
       int_in("audio.bitrate_bps", 6000, 128000,
              [](Config& c, std::int64_t n) { c.audio.bitrate_bps = static_cast<int>(n); })},
      {"audio.max_upload_bytes", Type::kInt,
       int_in(
           "audio.max_upload_bytes", 1024, 1LL << 31,
           [](Config& c, std::int64_t n) { c.audio.max_upload_bytes = static_cast<size_t>(n); })},
      {"audio.max_duration_seconds", Type::kInt,
       int_in(
           "audio.max_duration_seconds", 1, 24 * 3600,
           [](Config& c, std::int64_t n) { c.audio.max_duration_seconds = static_cast<int>(n); })},
      {"audio.media_dir", Type::kString, str([path_in](Config& c, std::string v) -> Status {
         c.audio.media_dir = path_in(std::move(v));
         return {};
       })},
      {"log.level", Type::kString, str([](Config& c, std::string v) -> Status {
         static const std::vector<std::string> kLevels = {"trace", "debug", "info",
                                                          "warn",  "error", "off"};
         if (std::find(kLevels.begin(), kLevels.end(), v) == kLevels.end()) {
           return bad("log.level", "must be one of trace, debug, info, warn, error, off");
         }
         c.log.level = std::move(v);
         return {};
       })},
      {"log.json", Type::kBool, flag([](Config& c, bool b) { c.log.json = b; })},
      {"broker.enabled", Type::kBool, flag([](Config& c, bool b) { c.broker.enabled = b; })},
      {"broker.host", Type::kString, text_into([](Config& c) { return &c.broker.host; })},
      {"broker.port", Type::kInt,
       int_in("broker.port", 1, 65535,
              [](Config& c, std::int64_t n) { c.broker.port = static_cast<int>(n); })},
      {"broker.username", Type::kString, text_into([](Config& c) { return &c.broker.username; })},
      {"broker.password", Type::kString, text_into([](Config& c) { return &c.broker.password; })},
      {"broker.password_file", Type::kString, str([path_in](Config& c, std::string v) -> Status {
         c.broker.password_file = path_in(std::move(v));
         return {};
       })},
      {"broker.client_id", Type::kString, text_into([](Config& c) { return &c.broker.client_id; })},
      {"broker.shared_group", Type::kString, str([](Config& c, std::string v) -> Status {
         if (v.empty() || v.find_first_of("/+#") != std::string::npos) {
           return bad("broker.shared_group", "must be non-empty without '/', '+' or '#'");
         }
         c.broker.shared_group = std::move(v);
         return {};
       })},
      {"broker.accounts", Type::kString, str([](Config& c, std::string v) -> Status {
         if (v != "dynsec" && v != "external") {
           return bad("broker.accounts", "must be \"dynsec\" or \"external\"");
         }
         c.broker.accounts = std::move(v);
         return {};
       })},
      {"broker.device_host", Type::kString,
       text_into([](Config& c) { return &c.broker.device_host; })},
      {"broker.device_port", Type::kInt,
       int_in("broker.device_port", 0, 65535,
              [](Config& c, std::int64_t n) { c.broker.device_port = static_cast<int>(n); })},
      {"broker.device_tls", Type::kBool, flag([](Config& c, bool b) { c.broker.device_tls = b; })},
      {"devices.signing_key_file", Type::kString,
       str([path_in](Config& c, std::string v) -> Status {
         c.devices.signing_key_file = path_in(std::move(v));
         return {};
       })},
      {"devices.media_base_url", Type::kString, str([](Config& c, std::string v) -> Status {
         if (!v.empty() && v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0) {
           return bad("devices.media_base_url", "must be an http:// or https:// URL");
         }
         c.devices.media_base_url = std::move(v);
         return {};
       })},
      {"devices.manifest_horizon_days", Type::kInt,
       int_in("devices.manifest_horizon_days", 1, 60,
              [](Config& c, std::int64_t n) {
                c.devices.manifest_horizon_days = static_cast<int>(n);
              })},
      {"devices.ingest_nice", Type::kInt,
       int_in("devices.ingest_nice", 0, 19,
              [](Config& c, std::int64_t n) { c.devices.ingest_nice = static_cast<int>(n); })},
      {"devices.map_tile_url", Type::kString,
       text_into([](Config& c) { return &c.devices.map_tile_url; })},
      {"devices.map_attribution", Type::kString,
       text_into([](Config& c) { return &c.devices.map_attribution; })},
      {"feedback.moderate_first_time", Type::kBool,
       flag([](Config& c, bool b) { c.feedback.moderate_first_time = b; })},
      {"feedback.submissions_per_ip_per_hour", Type::kInt,
       int_in("feedback.submissions_per_ip_per_hour", 1, 100000,
              [](Config& c, std::int64_t n) {
                c.feedback.submissions_per_ip_per_hour = static_cast<int>(n);
              })},
      {"feedback.submissions_per_contact_per_day", Type::kInt,
       int_in("feedback.submissions_per_contact_per_day", 1, 100000,
              [](Config& c, std::int64_t n) {
                c.feedback.submissions_per_contact_per_day = static_cast<int>(n);
              })},
      {"feedback.reopen_days", Type::kInt,
       int_in("feedback.reopen_days", 0, 365,
              [](Config& c, std::int64_t n) { c.feedback.reopen_days = static_cast<int>(n); })},
      {"feedback.max_reopens", Type::kInt,
       int_in("feedback.max_reopens", 0, 10,
              [](Config& c, std::int64_t n) { c.feedback.max_reopens = static_cast<int>(n); })},
      {"feedback.remind_days_before", Type::kInt,
       int_in(
           "feedback.remind_days_before", 0, 10,
           [](Config& c, std::int64_t n) { c.feedback.remind_days_before = static_cast<int>(n); })},
      {"feedback.locate_max_km", Type::kInt,
       int_in("feedback.locate_max_km", 1, 200,
              [](Config& c, std::int64_t n) { c.feedback.locate_max_km = static_cast<int>(n); })},
      {"feedback.fallback_unit", Type::kString,
       text_into([](Config& c) { return &c.feedback.fallback_unit; })},
      {"feedback.extra_days_off", Type::kString,
       text_into([](Config& c) { return &c.feedback.extra_days_off; })},
      {"feedback.extra_working_days", Type::kString,
       text_into([](Config& c) { return &c.feedback.extra_working_days; })},
      {"feedback.max_attachment_mb", Type::kInt,
       int_in(
           "feedback.max_attachment_mb", 1, 50,
           [](Config& c, std::int64_t n) { c.feedback.max_attachment_mb = static_cast<int>(n); })},
      {"feedback.open311_jurisdiction", Type::kString,
       text_into([](Config& c) { return &c.feedback.open311_jurisdiction; })},
      {"feedback.deadline_check_seconds", Type::kInt,
       int_in("feedback.deadline_check_seconds", 10, 86400,
              [](Config& c, std::int64_t n) {
                c.feedback.deadline_check_seconds = static_cast<int>(n);
              })},
      {"alerts.repeat", Type::kInt,
       int_in("alerts.repeat", 1, 20,
              [](Config& c, std::int64_t n) { c.alerts.repeat = static_cast<int>(n); })},
      {"alerts.volume", Type::kInt,
       int_in("alerts.volume", 0, 100,
              [](Config& c, std::int64_t n) { c.alerts.volume = static_cast<int>(n); })},
      {"alerts.poll_seconds", Type::kInt,
       int_in("alerts.poll_seconds", 10, 86400,
              [](Config& c, std::int64_t n) { c.alerts.poll_seconds = static_cast<int>(n); })},
      {"alerts.voice", Type::kString, text_into([](Config& c) { return &c.alerts.voice; })},
      {"alerts.second_approver", Type::kBool,
       flag([](Config& c, bool b) { c.alerts.second_approver = b; })},
      {"alerts.sender", Type::kString, text_into([](Config& c) { return &c.alerts.sender; })},
      {"live.max_minutes", Type::kInt,
       int_in("live.max_minutes", 1, 1440,
              [](Config& c, std::int64_t n) { c.live.max_minutes = static_cast<int>(n); })},
      {"live.connect_seconds", Type::kInt,
       int_in("live.connect_seconds", 5, 600,
              [](Config& c, std::int64_t n) { c.live.connect_seconds = static_cast<int>(n); })},
      {"live.silence_seconds", Type::kInt,
       int_in("live.silence_seconds", 5, 600,
              [](Config& c, std::int64_t n) { c.live.silence_seconds = static_cast<int>(n); })},
      {"live.stream_base_url", Type::kString,
       text_into([](Config& c) { return &c.live.stream_base_url; })},
      {"mail.enabled", Type::kBool, flag([](Config& c, bool b) { c.mail.enabled = b; })},
      {"mail.host", Type::kString, text_into([](Config& c) { return &c.mail.host; })},
      {"mail.port", Type::kInt,
       int_in("mail.port", 1, 65535,
              [](Config& c, std::int64_t n) { c.mail.port = static_cast<int>(n); })},
      {"mail.tls", Type::kString, str([](Config& c, std::string v) -> Status {
         if (v != "none" && v != "starttls" && v != "tls") {
           return bad("mail.tls", "must be \"none\", \"starttls\" or \"tls\"");
         }
         c.mail.tls = std::move(v);
         return {};
       })},
      {"mail.username", Type::kString, text_into([](Config& c) { return &c.mail.username; })},
      {"mail.password", Type::kString, text_into([](Config& c) { return &c.mail.password; })},
      {"mail.password_file", Type::kString, str([path_in](Config& c, std::string v) -> Status {
         c.mail.password_file = path_in(std::move(v));
         return {};
       })},
      {"mail.from_address", Type::kString,
       text_into([](Config& c) { return &c.mail.from_address; })},
      {"mail.from_name", Type::kString, text_into([](Config& c) { return &c.mail.from_name; })},
      {"mail.poll_seconds", Type::kInt,
       int_in("mail.poll_seconds", 1, 3600,
              [](Config& c, std::int64_t n) { c.mail.poll_seconds = static_cast<int>(n); })},
      {"mail.retry_seconds", Type::kInt,
       int_in("mail.retry_seconds", 1, 86400,
              [](Config& c, std::int64_t n) { c.mail.retry_seconds = static_cast<int>(n); })},
      {"mail.max_attempts", Type::kInt,
       int_in("mail.max_attempts", 1, 100,
              [](Config& c, std::int64_t n) { c.mail.max_attempts = static_cast<int>(n); })},
  };
}

std::string env_name(const std::string& key) {
  std::string out = "NGUON_";
  for (char ch : key) out.push_back(ch == '.' ? '_' : static_cast<char>(std::toupper(ch)));
  return out;
}

Result<Value> from_env(const Key& key, const std::string& text) {
  const std::string var = env_name(key.name);
  switch (key.type) {
    case Type::kString:
      return Value(text);
    case Type::kBool:
      if (text == "true" || text == "1") return Value(true);
      if (text == "false" || text == "0") return Value(false);
      return bad(var, "must be true or false");
    case Type::kInt: {
      char* end = nullptr;
      errno = 0;
      const long long n = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno != 0) return bad(var, "must be an integer");
      return Value(static_cast<std::int64_t>(n));
    }
  }
  return bad(var, "unsupported type");
}

Result<Value> from_toml(const Key& key, const toml::node& node) {
  switch (key.type) {
    case Type::kString:
      if (auto s = node.value<std::string>(); s && node.is_string()) return Value(*s);
      return bad(key.name, "must be a string");
    case Type::kBool:
      if (node.is_boolean()) return Value(*node.value<bool>());
      return bad(key.name, "must be true or false");
    case Type::kInt:
      if (node.is_integer()) return Value(*node.value<std::int64_t>());
      return bad(key.name, "must be an integer");
  }
  return bad(key.name, "unsupported type");
}

// Defaults that depend on other keys, and the broker password file.
Status complete_broadcast_config(Config& config) {
  if (config.devices.signing_key_file.empty()) {
    config.devices.signing_key_file =
        (std::filesystem::path(config.storage.data_dir) / "signing.key").string();
  }
  if (config.devices.media_base_url.empty()) {
    config.devices.media_base_url = config.server.public_url + "/api/v1/device-media";
  }
  if (config.live.stream_base_url.empty()) config.live.stream_base_url = config.server.public_url;
  while (config.live.stream_base_url.ends_with('/')) config.live.stream_base_url.pop_back();
  if (!config.live.stream_base_url.starts_with("http://") &&
      !config.live.stream_base_url.starts_with("https://")) {
    return bad("live.stream_base_url", "must be an http:// or https:// URL");
  }
  if (config.broker.device_host.empty()) config.broker.device_host = config.broker.host;
  if (config.broker.device_port == 0) config.broker.device_port = config.broker.port;
  if (!config.broker.password_file.empty()) {
    std::ifstream in(config.broker.password_file);
    if (!in || !std::getline(in, config.broker.password)) {
      return bad("broker.password_file", "cannot be read");
    }
  }
  if (!config.mail.password_file.empty()) {
    std::ifstream in(config.mail.password_file);
    if (!in || !std::getline(in, config.mail.password)) {
      return bad("mail.password_file", "cannot be read");
    }
  }
  return {};
}

}  // namespace

Environment process_environment() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv(*e);
    if (kv.rfind("NGUON_", 0) != 0) continue;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return env;
}

Result<Config> parse_config(const std::string& toml_text, const Environment& env,
                            const std::string& config_dir) {
  Config config;
  const auto keys = schema(config_dir);
  toml::table table;
  try {
    table = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    std::ostringstream where;
    where << "line " << e.source().begin.line << ", column " << e.source().begin.column;
    return invalid("invalid_config",
                   "config file: " + std::string(e.description()) + " at " + where.str());
  }
  // Reject unknown sections and keys: a typo must not silently fall back to a default.
  for (const auto& [section, node] : table) {
    const std::string s(section.str());
    const auto* inner = node.as_table();
    if (inner == nullptr) return bad(s, "unknown key (expected a [section])");
    for (const auto& [name, value] : *inner) {
      const std::string full = s + "." + std::string(name.str());
      auto key =
          std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return k.name == full; });
      if (key == keys.end()) return bad(full, "unknown key");
      auto v = from_toml(*key, value);
      if (!v) return v.error();
      NGUON_TRY(key->apply(config, v.value()));
    }
  }
  for (const auto& [var, text] : env) {
    auto key = std::find_if(keys.begin(), keys.end(),
                            [&](const Key& k) { return env_name(k.name) == var; });
    if (key == keys.end()) {
      // Only names inside a known section are overrides (a typo there is an error); other
      // NGUON_* variables (NGUON_CONFIG, tooling) are not ours to judge.
      const bool in_section = std::any_of(keys.begin(), keys.end(), [&](const Key& k) {
        const std::string section = env_name(k.name.substr(0, k.name.find('.'))) + "_";
        return var.rfind(section, 0) == 0;
      });
      if (in_section) return bad(var, "unknown environment override");
      continue;
    }
    auto v = from_env(*key, text);
    if (!v) return v.error();
    NGUON_TRY(key->apply(config, v.value()));
  }
  if (config.storage.sqlite_path.empty()) {
    config.storage.sqlite_path =
        (std::filesystem::path(config.storage.data_dir) / "nguon.sqlite").string();
  }
  if (config.audio.media_dir.empty()) {
    config.audio.media_dir = (std::filesystem::path(config.storage.data_dir) / "media").string();
  }
  if (config.speech.dictionary_path.empty()) {
    config.speech.dictionary_path = std::string(NGUON_DEFAULT_DATA_DIR) + "/vi-abbreviations.tsv";
  }
  if (config.speech.engine == "http" && config.speech.http_url.empty()) {
    return bad("speech.http_url", "required when speech.engine = \"http\"");
  }
  if (config.storage.backend == Backend::kPostgres && config.storage.postgres_url.empty()) {
    return bad("storage.postgres_url", "required when storage.backend = \"postgres\"");
  }
  if (config.deployment.data_dir.empty()) {
    config.deployment.data_dir = NGUON_DEFAULT_DATA_DIR;
  }
  if (config.server.public_url.empty()) {
    config.server.public_url =
        "http://" + config.server.listen + ":" + std::to_string(config.server.port);
  }
  NGUON_TRY(complete_broadcast_config(config));
  return config;
}

Result<Config> load_config(const std::optional<std::string>& path, const Environment& env) {
  if (!path) return parse_config("", env, std::filesystem::current_path().string());
  std::ifstream in(*path);
  if (!in) return invalid("invalid_config", "config file " + *path + ": cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  auto dir = std::filesystem::absolute(*path).parent_path().string();
  return parse_config(text.str(), env, dir);
}

}  // namespace nguon::app
