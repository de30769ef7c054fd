// Configuration: a TOML file, then NGUON_<SECTION>_<KEY> environment overrides, validated once
// at start into an immutable Config. Every error names the offending key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "adapters/crypto/sodium_crypto.h"
#include "core/accounts.h"
#include "core/result.h"

namespace nguon::app {

enum class Backend { kSqlite, kPostgres };

struct Config {
  struct Server {
    std::string listen = "127.0.0.1";
    std::uint16_t port = 8080;
    int threads = 4;
    std::size_t body_limit_bytes = 1 << 20;
    int request_timeout_seconds = 30;
    int shutdown_grace_seconds = 10;
    std::string web_root;    // built console (web/dist); empty: API only
    std::string public_url;  // printed for people; defaults to http://listen:port
  } server;
  struct Storage {
    Backend backend = Backend::kSqlite;
    std::string data_dir = "var";
    std::string sqlite_path;  // default: <data_dir>/nguon.sqlite
    // "full": every commit is fsynced (durable across a power cut); "normal": faster, an
    // acknowledged write can be lost if the machine (not just the process) goes down.
    std::string sqlite_synchronous = "full";
    std::string postgres_url;
  } storage;
  struct Deployment {
    std::string scope = "central";  // "central" or a 2-digit province code
    std::string data_dir;           // reference data (units JSON + conversion CSV)
  } deployment;
  struct Security {
    SecurityPolicy policy;
    Argon2Profile argon2 = Argon2Profile::kInteractive;
    bool cookie_secure = false;  // set true behind TLS
    int login_attempts_per_minute_per_ip = 20;
  } security;
  struct Speech {
    std::string engine = "espeak";  // "espeak" (libespeak-ng) or "http" (a neural engine)
    std::string http_url;           // for "http": http://host:port/path
    int http_timeout_seconds = 60;
    std::string
        dictionary_path;  // abbreviation dictionary (TSV); default data/vi-abbreviations.tsv
  } speech;
  struct Audio {
    int target_lufs = -16;  // EBU R128 integrated loudness of broadcast audio
    int bitrate_bps = 24000;
    std::size_t max_upload_bytes = 50 << 20;
    int max_duration_seconds = 3 * 3600;
    std::string media_dir;  // default: <storage.data_dir>/media
  } audio;
  // The MQTT broker between the server and the devices (docs/protocol.md). Off by default:
  // the broadcast capability (devices, schedules, broadcasts) then answers 503.
  struct Broker {
    bool enabled = false;
    std::string host = "127.0.0.1";
    int port = 1883;
    std::string username;  // the server's broker account
    std::string password;
    std::string password_file;  // alternative to password: read from this file (first line)
    std::string client_id;      // default: "nguon-server-<random>"
    // Shared-subscription group: server instances in one group split device traffic.
    std::string shared_group = "nguon";
    // How device credentials and ACLs reach the broker: "dynsec" (Mosquitto's dynamic-security
    // plugin, over MQTT) or "external" (the broker authenticates devices itself, e.g. EMQX with
    // an HTTP auth hook: see docs/operations.md).
    std::string accounts = "dynsec";
    // What device bundles say; defaults: host and port above.
    std::string device_host;
    int device_port = 0;
    bool device_tls = false;
  } broker;
  struct Devices {
    std::string signing_key_file;  // Ed25519 key; default <storage.data_dir>/signing.key
    std::string media_base_url;    // default <server.public_url>/api/v1/device-media
    int manifest_horizon_days = 7;
    // Niceness added to the thread that writes device reports (0: none): under a fan-out to
    // thousands of devices, their reports yield the CPU to the API and to a broker on the same
    // host, which are still delivering the order (docs/configuration.md).
    int ingest_nice = 10;
    std::string map_tile_url;  // Leaflet tile URL template; empty: a map without tiles
    std::string map_attribution;
  } devices;
  // Citizen feedback (issue 5, docs/configuration.md "Feedback").
  struct Feedback {
    bool moderate_first_time = true;  // a contact's first submission waits for a moderator
    int submissions_per_ip_per_hour = 20;
    int submissions_per_contact_per_day = 10;
    int reopen_days = 30;
    int max_reopens = 2;
    int remind_days_before = 1;  // working days
    int locate_max_km = 15;      // a point without a commune: nearest device within this
    std::string fallback_unit;   // where an unlocatable point goes ("" = refuse it)
    // Holiday overrides: comma-separated YYYY-MM-DD (a Prime Minister's decision each year).
    std::string extra_days_off;
    std::string extra_working_days;
    int max_attachment_mb = 5;
    std::string open311_jurisdiction = "nguon.vn";
    int deadline_check_seconds = 300;
  } feedback;
  // Outgoing e-mail (answers to citizens). Off: answers queue in the outbox until it is on.
  struct Mail {
    bool enabled = false;
    std::string host = "127.0.0.1";
    int port = 25;
    std::string tls = "none";  // none | starttls | tls
    std::string username;
    std::string password;
    std::string password_file;
    std::string from_address = "no-reply@nguon.localhost";
    std::string from_name = "Nguồn";
    int poll_seconds = 5;
    int retry_seconds = 300;  // after a failed attempt (doubles up to 6 h)
    int max_attempts = 12;
  } mail;
  struct Alerts {
    int repeat = 3;                // times an alert bulletin is read, 1..20
    int volume = 100;              // the maximum volume alerts play at, 0..100
    int poll_seconds = 60;         // Atom feeds of the CAP sources
    std::string voice = "north";   // north | central | south
    bool second_approver = false;  // console alerts wait for another operator's approval
    std::string sender;            // <sender> of our CAP alerts; default nguon@<public_url host>
  } alerts;
  // Live broadcast from the console's microphone (issue 6; needs broker.enabled).
  struct Live {
    int max_minutes = 120;        // longest live broadcast
    int connect_seconds = 30;     // no microphone connected by then: ended
    int silence_seconds = 20;     // no audio for this long: ended
    std::string stream_base_url;  // where devices fetch /live/<mount>.ogg; default public_url
  } live;
  struct Log {
    std::string level = "info";
    bool json = true;
  } log;

  bool is_central() const { return deployment.scope == "central"; }
};

using Environment = std::map<std::string, std::string>;

// Reads the process environment (only NGUON_* variables).
Environment process_environment();

// Parses `toml_text` (may be empty), applies `env` overrides and validates. `config_dir` is
// where relative paths in the file are resolved from.
Result<Config> parse_config(const std::string& toml_text, const Environment& env,
                            const std::string& config_dir);

// Reads the file at `path` (absent path: defaults) and calls parse_config.
Result<Config> load_config(const std::optional<std::string>& path, const Environment& env);

}  // namespace nguon::app
