// The admin CLI. Local access to the configuration and the database is the authority here, so
// commands act as "cli:<os user>" in the audit log without a login.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "adapters/audio/audio_pipeline.h"
#include "adapters/audio/file_media_store.h"
#include "adapters/crypto/sodium_crypto.h"
#include "adapters/db/sqlite/sqlite_store.h"
#include "app/app.h"
#include "app/demo.h"
#include "app/demo_devices.h"
#include "app/speech_stack.h"
#include "app/system_clock.h"
#include "app/unit_import.h"
#include "core/access.h"
#include "core/accounts.h"
#include "core/audit.h"

namespace nguon::app {
namespace {

RequestOrigin cli_origin() {
  const char* user = std::getenv("USER");
  return {std::string("cli:") + (user != nullptr ? user : "unknown"), "local"};
}

int fail(const Error& e) {
  std::cerr << "error: " << e.code << ": " << e.message << "\n";
  return 1;
}

// Everything a command needs, opened and migrated.
struct Session {
  Config config;
  std::unique_ptr<Store> store;
  SystemClock clock;
  std::unique_ptr<SodiumCrypto> crypto;
  std::unique_ptr<AccountService> accounts;
};

Result<std::unique_ptr<Session>> open_session(const std::optional<std::string>& path,
                                              bool migrate) {
  auto config = load_config(path, process_environment());
  if (!config) return config.error();
  auto s = std::make_unique<Session>();
  s->config = std::move(config.value());
  auto store = open_store(s->config);
  if (!store) return store.error();
  s->store = std::move(store.value());
  if (migrate) {
    auto v = s->store->migrate();
    if (!v) return v.error();
  }
  s->crypto = std::make_unique<SodiumCrypto>(s->config.security.argon2);
  s->accounts =
      std::make_unique<AccountService>(*s->store, s->clock, *s->crypto, s->config.security.policy);
  return s;
}

std::string json_line(std::initializer_list<std::pair<std::string, std::string>> kv) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : kv) {
    out += (first ? "" : ",") + json_quote(k) + ":" + json_quote(v);
    first = false;
  }
  return out + "}";
}

Result<std::vector<Grant>> parse_grants(const std::vector<std::string>& specs) {
  std::vector<Grant> out;
  for (const auto& spec : specs) {
    const auto at = spec.find('@');
    auto role = access::parse_role(spec.substr(0, at));
    if (at == std::string::npos || !role) {
      return invalid("invalid_field", "--role: expected ROLE@UNIT_CODE, e.g. editor@14797");
    }
    out.push_back({*role, spec.substr(at + 1)});
  }
  return out;
}

// Reads a stored media file (no database needed) and reports what a listener would hear.
int print_media_info(const std::optional<std::string>& config_path, const std::string& id) {
  auto config = load_config(config_path, process_environment());
  if (!config) return fail(config.error());
  FileMediaStore media(config->audio.media_dir);
  auto bytes = media.read(id);
  if (!bytes) return fail(bytes.error());
  auto pcm = decode_opus(bytes.value());
  if (!pcm) return fail(pcm.error());
  auto loudness = measure_loudness(pcm.value());
  if (!loudness) return fail(loudness.error());
  char line[256];
  std::snprintf(line, sizeof line,
                "{\"media_id\":\"%s\",\"bytes\":%zu,\"seconds\":%.3f,\"sample_rate\":%d,"
                "\"channels\":%d,\"loudness_lufs\":%.2f,\"true_peak_dbtp\":%.2f}",
                id.c_str(), bytes->size(), pcm->duration_seconds(), pcm->sample_rate, pcm->channels,
                loudness->integrated_lufs, loudness->true_peak_dbtp);
  std::cout << line << "\n";
  return 0;
}

// The demo's simulated clusters: needs [broker] enabled and the demo seed.
int seed_devices(Session& s, const std::string& admin, const std::string& bundles_dir) {
  if (!s.config.broker.enabled) {
    return fail(invalid("invalid_config", "demo-devices needs [broker] enabled = true"));
  }
  auto speech = make_speech_stack(s.config);
  if (!speech) return fail(speech.error());
  auto stack = make_broadcast_stack(s.config, *s.store, s.clock, *s.crypto, speech->media.get());
  if (!stack) return fail(stack.error());
  auto written = seed_demo_devices(*stack.value(), *s.store, s.clock, *s.crypto, &speech.value(),
                                   admin, bundles_dir, cli_origin());
  if (!written) return fail(written.error());
  // Publish the manifests of the new devices before the process ends.
  if (auto counts = stack.value()->manifests->refresh_now("", true); !counts) {
    return fail(counts.error());
  }
  std::cout << "{\"devices\":" << written.value() << ",\"bundles\":" << json_quote(bundles_dir)
            << "}\n";
  return 0;
}

}  // namespace

int admin_main(int argc, char** argv) {
  CLI::App cli{"Nguồn administration: database, units, users, audit, backup"};
  cli.require_subcommand(1);
  std::optional<std::string> config_path;
  if (const char* env = std::getenv("NGUON_CONFIG")) config_path = env;
  cli.add_option("-c,--config", config_path, "configuration file (TOML)");

  auto* migrate = cli.add_subcommand("migrate", "apply pending schema migrations");
  auto* import =
      cli.add_subcommand("import-units", "load the official units of the deployment scope");

  std::string username, unit, display_name;
  std::vector<std::string> roles;
  auto* create_admin = cli.add_subcommand(
      "create-admin", "create an administrator (or reset its password) and print the password");
  create_admin->add_option("--username", username)->required();
  create_admin->add_option("--unit", unit, "unit code the admin governs (default: the scope root)");

  auto* users = cli.add_subcommand("users", "list and manage users");
  users->require_subcommand(1);
  auto* users_list = users->add_subcommand("list", "list every user");
  auto* users_create =
      users->add_subcommand("create", "create a user; prints a generated password");
  users_create->add_option("--username", username)->required();
  users_create->add_option("--name", display_name)->required();
  users_create->add_option("--unit", unit)->required();
  users_create->add_option("--role", roles, "ROLE@UNIT_CODE, repeatable");
  auto* users_disable = users->add_subcommand("disable", "disable a user and end their sessions");
  users_disable->add_option("--username", username)->required();
  auto* users_enable = users->add_subcommand("enable", "enable a disabled user");
  users_enable->add_option("--username", username)->required();
  auto* users_reset = users->add_subcommand("reset-password", "set a new generated password");
  users_reset->add_option("--username", username)->required();

  auto* verify = cli.add_subcommand("verify-audit", "verify the audit log's hash chain");
  std::string backup_to;
  auto* backup = cli.add_subcommand("backup", "consistent copy of the live SQLite database");
  backup->add_option("--to", backup_to, "destination file")->required();
  auto* demo = cli.add_subcommand("demo-seed", "add demo villages and users (prints passwords)");
  std::string media_id;
  auto* media_info = cli.add_subcommand(
      "media-info", "decode a stored Opus file and print its duration and EBU R128 loudness");
  media_info->add_option("--id", media_id, "media id (SHA-256)")->required();

  std::string bundles_dir, demo_admin = "admin";
  auto* demo_devices = cli.add_subcommand(
      "demo-devices", "register and provision the demo loudspeaker clusters (needs the broker)");
  demo_devices->add_option("--bundles", bundles_dir, "folder for the devices' config bundles")
      ->required();
  demo_devices->add_option("--admin", demo_admin, "admin user acting (default: admin)");

  CLI11_PARSE(cli, argc, argv);

  if (media_info->parsed()) return print_media_info(config_path, media_id);
  auto session = open_session(config_path, !verify->parsed() && !backup->parsed());
  if (!session) return fail(session.error());
  Session& s = *session.value();
  const std::string root = s.config.is_central() ? "VN" : s.config.deployment.scope;

  if (migrate->parsed()) {
    auto v = s.store->schema_version();
    if (!v) return fail(v.error());
    std::cout << "schema version " << v.value() << " (" << s.store->backend_name() << ")\n";
    return 0;
  }
  if (import->parsed()) {
    auto r = import_units(*s.store, s.config);
    if (!r) return fail(r.error());
    std::cout << "imported " << r->provinces << " province(s), " << r->communes << " commune(s), "
              << r->legacy_rows << " conversion row(s); " << r->skipped_existing
              << " unit(s) already present\n";
    return 0;
  }
  if (create_admin->parsed()) {
    auto pw = s.accounts->ensure_admin(username, unit.empty() ? root : unit, cli_origin());
    if (!pw) return fail(pw.error());
    std::cout << json_line({{"username", username}, {"password", pw.value()}}) << "\n";
    return 0;
  }
  auto find_user = [&](const std::string& name) -> Result<User> {
    std::optional<User> u;
    NGUON_TRY(s.store->read([&](Tx& tx) -> Status {
      auto r = tx.find_user_by_name(name);
      if (!r) return r.error();
      u = std::move(r.value());
      return {};
    }));
    if (!u) return not_found("no user named " + name);
    return *u;
  };
  // CLI user changes act with the authority of an admin of the whole deployment.
  auto root_admin = [&]() -> Result<access::Principal> {
    access::Principal p;
    p.username = cli_origin().actor;
    NGUON_TRY(s.store->read([&](Tx& tx) -> Status {
      auto u = tx.find_unit(root);
      if (!u) return u.error();
      if (!u.value()) return invalid("no_units", "run import-units first");
      p.grants.push_back({Role::kAdmin, root, u.value()->path});
      return {};
    }));
    return p;
  };
  if (users_list->parsed()) {
    auto admin = root_admin();
    if (!admin) return fail(admin.error());
    auto list = s.accounts->list_users(admin.value());
    if (!list) return fail(list.error());
    for (const User& u : list.value()) {
      std::string grants;
      for (const Grant& g : u.grants) {
        grants += (grants.empty() ? "" : ",") + std::string(access::role_name(g.role)) + "@" +
                  g.unit_code;
      }
      std::cout << u.username << "\t" << u.display_name << "\t" << u.unit_code << "\t" << grants
                << (u.disabled ? "\tdisabled" : "") << "\n";
    }
    return 0;
  }
  if (users_create->parsed()) {
    auto grants = parse_grants(roles);
    if (!grants) return fail(grants.error());
    auto created = s.accounts->create_user_as_system(
        {username, display_name, unit, std::nullopt, grants.value()}, cli_origin());
    if (!created) return fail(created.error());
    std::cout << json_line({{"username", created->user.username}, {"password", created->password}})
              << "\n";
    return 0;
  }
  if (users_disable->parsed() || users_enable->parsed() || users_reset->parsed()) {
    auto admin = root_admin();
    if (!admin) return fail(admin.error());
    auto u = find_user(username);
    if (!u) return fail(u.error());
    if (users_reset->parsed()) {
      auto pw = s.accounts->reset_password(admin.value(), u->id, cli_origin());
      if (!pw) return fail(pw.error());
      std::cout << json_line({{"username", username}, {"password", pw.value()}}) << "\n";
      return 0;
    }
    UserPatch patch;
    patch.disabled = users_disable->parsed();
    auto r = s.accounts->update_user(admin.value(), u->id, patch, cli_origin());
    if (!r) return fail(r.error());
    std::cout << username << (users_disable->parsed() ? " disabled\n" : " enabled\n");
    return 0;
  }
  if (verify->parsed()) {
    auto report = audit::verify(*s.store, *s.crypto);
    if (!report) return fail(report.error());
    if (report->first_bad_seq) {
      std::cout << "audit chain BROKEN at entry " << *report->first_bad_seq << ": "
                << report->reason << " (" << report->checked << " entries before it are intact)\n";
      return 1;
    }
    std::cout << "audit chain intact: " << report->checked << " entries\n";
    return 0;
  }
  if (backup->parsed()) {
    if (s.config.storage.backend != Backend::kSqlite) {
      return fail(invalid("unsupported", "backup copies SQLite; for PostgreSQL use pg_dump"));
    }
    Status b = sqlite::backup(s.config.storage.sqlite_path, backup_to);
    if (!b) return fail(b.error());
    std::cout << "backup written to " << backup_to << "\n";
    return 0;
  }
  if (demo_devices->parsed()) return seed_devices(s, demo_admin, bundles_dir);
  if (demo->parsed()) {
    auto lines = seed_demo(*s.store, *s.accounts, s.clock, *s.crypto, root, cli_origin());
    if (!lines) return fail(lines.error());
    for (const auto& l : lines.value()) std::cout << l << "\n";
    return 0;
  }
  return 0;
}

}  // namespace nguon::app
