#include "app/app.h"
#include "app/system_clock.h"

#include <csignal>
#include <filesystem>
#include <iostream>
#include <thread>

#include "adapters/crypto/sodium_crypto.h"
#include "adapters/db/sqlite/sqlite_store.h"
#include "adapters/http/server.h"
#include "app/alerts_stack.h"
#include "app/api.h"
#include "app/broadcast_stack.h"
#include "app/event_streams.h"
#include "app/feedback_stack.h"
#include "app/live_stack.h"
#include "app/log.h"
#include "app/metrics.h"
#include "app/speech_stack.h"
#ifdef NGUON_WITH_POSTGRES
#include "adapters/db/postgres/postgres_store.h"
#endif

namespace nguon::app {
namespace {

std::optional<std::string> config_path_from_args(int argc, char** argv, std::string& error) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--config" || a == "-c") && i + 1 < argc) return std::string(argv[++i]);
    if (a.rfind("--config=", 0) == 0) return a.substr(9);
    if (a == "--help" || a == "-h") {
      error = "usage: nguon-server [-c|--config FILE]   (env NGUON_<SECTION>_<KEY> overrides)";
      return std::nullopt;
    }
    error = "unknown argument: " + a;
    return std::nullopt;
  }
  if (const char* env = std::getenv("NGUON_CONFIG")) return std::string(env);
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<Store>> open_store(const Config& config) {
  if (config.storage.backend == Backend::kPostgres) {
#ifdef NGUON_WITH_POSTGRES
    return postgres::open_store({config.storage.postgres_url});
#else
    return invalid("invalid_config", "storage.backend: this build has no PostgreSQL support");
#endif
  }
  std::error_code ec;
  std::filesystem::create_directories(
      std::filesystem::path(config.storage.sqlite_path).parent_path(), ec);
  sqlite::SqliteOptions options;
  options.path = config.storage.sqlite_path;
  options.synchronous_full = config.storage.sqlite_synchronous == "full";
  return sqlite::open_store(options);
}

int server_main(int argc, char** argv) {
  // Block SIGTERM/SIGINT first, so every thread started later (libraries start their own)
  // inherits the mask; a dedicated thread waits for them, doing no work in signal context.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::string arg_error;
  auto path = config_path_from_args(argc, argv, arg_error);
  if (!arg_error.empty()) {
    std::cerr << arg_error << "\n";
    return 2;
  }
  auto config = load_config(path, process_environment());
  if (!config) {
    std::cerr << "configuration error: " << config.error().message << "\n";
    return 2;
  }
  const Config& cfg = config.value();
  log::configure(cfg.log.level, cfg.log.json);
  auto store = open_store(cfg);
  if (!store) {
    log::error("store unavailable", {{"error", store.error().message}});
    return 3;
  }
  auto version = store.value()->migrate();
  if (!version) {
    log::error("migration failed", {{"error", version.error().message}});
    return 3;
  }
  log::info("schema ready", {{"backend", store.value()->backend_name()},
                             {"version", static_cast<std::int64_t>(version.value())}});

  SystemClock clock;
  SodiumCrypto crypto(cfg.security.argon2);
  Metrics metrics;
  auto speech = make_speech_stack(cfg);
  if (!speech) {
    std::cerr << "configuration error: " << speech.error().message << "\n";
    return 2;
  }
  std::unique_ptr<BroadcastStack> broadcast;
  if (cfg.broker.enabled) {
    auto made = make_broadcast_stack(cfg, *store.value(), clock, crypto, speech->media.get());
    if (!made) {
      std::cerr << "configuration error: " << made.error().message << "\n";
      return 2;
    }
    broadcast = std::move(made.value());
  }
  auto feedback = FeedbackStack::make(cfg, *store.value(), clock, crypto);
  if (!feedback) {
    std::cerr << "configuration error: " << feedback.error().message << "\n";
    return 2;
  }
  std::unique_ptr<AlertsStack> alerts;
  if (broadcast) {
    auto made = AlertsStack::make(cfg, *store.value(), clock, crypto, *broadcast->devices,
                                  *speech->synthesizer, *speech->pipeline, *speech->media,
                                  *speech->dictionary);
    if (!made) {
      std::cerr << "configuration error: " << made.error().message << "\n";
      return 2;
    }
    alerts = std::move(made.value());
  }
  std::unique_ptr<LiveStack> live;
  if (broadcast) {
    live = std::make_unique<LiveStack>(cfg, *store.value(), clock, crypto, *broadcast->devices);
  }
  // Live acknowledgement boards (server-sent events): one render per order and second.
  std::unique_ptr<EventStreams> boards;
  if (broadcast) {
    boards = std::make_unique<EventStreams>(
        "board",
        [devices =
             broadcast->devices.get()](const std::string& order) -> std::optional<std::string> {
          auto b = devices->order_board(order);
          if (!b) return std::nullopt;
          return order_board_json(b.value());
        },
        1000);
  }
  std::unique_ptr<http::HttpServer> server;
  ApiDeps deps{cfg,
               *store.value(),
               clock,
               crypto,
               metrics,
               [&server] { return server && server->draining(); },
               speech->synthesizer.get(),
               speech->pipeline.get(),
               speech->media.get(),
               speech->dictionary.get()};
  if (broadcast) {
    deps.devices = broadcast->devices.get();
    deps.schedules = broadcast->schedules.get();
  }
  deps.feedback = &feedback.value()->desk();
  if (alerts) {
    deps.alerts = &alerts->desk();
    deps.cap_schema = &alerts->schema();
  }
  if (live) deps.live = &live->desk();
  deps.board_events = boards.get();
  Api api(std::move(deps));
  http::ServerOptions options{cfg.server.listen,
                              cfg.server.port,
                              cfg.server.threads,
                              cfg.server.body_limit_bytes,
                              cfg.audio.max_upload_bytes,
                              is_upload_target,
                              std::chrono::seconds(cfg.server.request_timeout_seconds)};
  http::ServerObserver observer{
      [&metrics](int status, double seconds) { metrics.observe_response(status, seconds); },
      [](const std::string& what) {
        log::error("request failed", {{"error", what}});
      }};
  server = std::make_unique<http::HttpServer>(
      options, [&api](const http::HttpRequest& r) { return api.handle(r); }, observer);
  if (auto err = server->bind(); !err.empty()) {
    log::error("cannot listen", {{"error", err}});
    return 4;
  }

  feedback.value()->start();
  if (alerts) alerts->start();
  if (live) live->start();
  std::atomic<bool> stopping{false};
  std::thread signals([&] {
    int sig = 0;
    sigwait(&set, &sig);
    if (stopping) return;
    log::info("shutting down", {{"signal", static_cast<std::int64_t>(sig)}});
    metrics.set_draining(true);
    server->shutdown(std::chrono::seconds(cfg.server.shutdown_grace_seconds));
  });

  const auto port = server->port();
  std::string url = cfg.server.public_url;
  if (cfg.server.port == 0) url = "http://" + cfg.server.listen + ":" + std::to_string(port);
  log::info("listening", {{"url", url},
                          {"port", static_cast<std::int64_t>(port)},
                          {"threads", static_cast<std::int64_t>(cfg.server.threads)}});
  server->run();
  stopping = true;
  pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  if (live) live->stop();  // before the server (and its connections) goes
  if (alerts) alerts->stop();
  if (broadcast) broadcast->stop();
  feedback.value()->stop();
  log::info("stopped");
  return 0;
}

}  // namespace nguon::app
