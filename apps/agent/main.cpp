// nguon-agent: the device agent of a loudspeaker cluster (agent/README.md).
// Exit status: 0 on SIGTERM/SIGINT, 75 when the source system ordered a reboot, 1 on a
// configuration error.
#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>

#include "adapters/crypto/sodium_crypto.h"
#include "adapters/mqtt/client.h"
#include "agent/files.h"
#include "agent/log.h"
#include "agent/media_cache.h"
#include "agent/relay_hook.h"
#include "agent/report_queue.h"
#include "agent/runtime.h"
#include "agent/sink_spec.h"
#include "agent/system_clock.h"

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

struct Options {
  std::string bundle_path;
  std::string state_dir;
  std::string sink = "alsa";
  int heartbeat_s = 60;
  int state_settle_s = 3;
  std::string log_level = "info";
  std::string relay_command;
  std::string firmware;
  long long clock_offset_s = 0;
};

int run(const Options& opt) {
  using namespace nguon;
  using namespace nguon::agent;
  auto level = parse_log_level(opt.log_level);
  Logger log(level.value_or(LogLevel::kInfo));
  auto fail = [&](std::string_view msg, const std::string& detail) {
    log.error(msg, {{"error", detail}});
    return 1;
  };
  if (!level) return fail("invalid --log-level", opt.log_level);

  auto text = read_file(opt.bundle_path);
  if (!text) return fail("cannot read the bundle", opt.bundle_path);
  auto bundle = protocol::decode_bundle(*text);
  if (!bundle) return fail("invalid bundle", bundle.error().message);
  // Refused rather than silently downgraded to plain TCP: TLS is a later issue.
  if (bundle->broker_tls) return fail("unsupported bundle", "broker.tls=true is not supported yet");
  if (auto st = make_dirs(opt.state_dir); !st)
    return fail("cannot create --state", st.error().message);

  // The runtime is driven by this thread (ticks), the MQTT network thread (callbacks) and the
  // download workers (wake). Declared first: everything that may call wake dies before them.
  std::mutex mu;
  std::condition_variable cv;
  bool woken = false;
  auto wake = [&] {
    {
      std::lock_guard lock(mu);
      woken = true;
    }
    cv.notify_one();
  };

  SystemClock clock(opt.clock_offset_s);
  SodiumCrypto crypto(Argon2Profile::kInteractive);
  auto sink = make_sink(opt.sink, clock);
  if (!sink) return fail("cannot open the audio sink", sink.error().message);
  std::unique_ptr<ReportQueue> queue;
  bool disk_full = false;
  if (auto disk_queue = DiskReportQueue::open(opt.state_dir + "/reports.log")) {
    queue = std::move(disk_queue.value());
  } else if (is_disk_full(disk_queue.error())) {
    // Keep playing and reporting (from memory) rather than crash-looping on a full disk.
    log.error("report queue in memory only", {{"error", disk_queue.error().message}});
    queue = std::make_unique<MemoryReportQueue>(MemoryReportQueue::first_id_now());
    disk_full = true;
  } else {
    return fail("cannot open the report queue", disk_queue.error().message);
  }
  MediaCache cache(opt.state_dir + "/media", crypto, 2);
  std::unique_ptr<RelayHook> relay;
  if (opt.relay_command.empty()) {
    relay = std::make_unique<NoRelayHook>();
  } else {
    relay = std::make_unique<ExecRelayHook>(opt.relay_command, log);
  }
  RuntimeOptions ropt;
  ropt.state_dir = opt.state_dir;
  ropt.heartbeat_s = opt.heartbeat_s;
  ropt.state_settle_s = opt.state_settle_s;
  ropt.firmware = opt.firmware;
  Runtime runtime(*bundle, ropt, clock, crypto, **sink, cache, std::move(queue), *relay, log);

  auto client = mqtt::Client::create(
      runtime.mqtt_options(),
      [&](std::string_view topic, std::string_view payload, bool) {
        std::lock_guard lock(mu);
        runtime.on_message(topic, payload);
        if (runtime.exit_code()) cv.notify_one();
      },
      [&](bool connected, int) {
        std::lock_guard lock(mu);
        runtime.on_connect(connected);
      },
      [&](int mid) {
        std::lock_guard lock(mu);
        runtime.on_published(mid);
      });
  if (!client) return fail("cannot create the MQTT client", client.error().message);
  TransportOf<mqtt::Client> transport(**client);
  {
    std::lock_guard lock(mu);
    runtime.attach(&transport);
    runtime.set_wake(wake);
    runtime.load_state();
    if (disk_full) runtime.handle_disk_full("reports.log");
  }
  for (const auto& topic : runtime.subscriptions()) (void)(*client)->subscribe(topic, 1);
  if (auto st = (*client)->start(); !st) return fail("cannot start MQTT", st.error().message);
  log.info("agent started",
           {{"device", bundle->device},
            {"broker", bundle->broker_host + ":" + std::to_string(bundle->broker_port)},
            {"sink", opt.sink}});

  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  int exit_code = 0;
  while (!g_stop) {
    std::unique_lock lock(mu);
    runtime.tick();
    if (runtime.exit_code()) {
      exit_code = *runtime.exit_code();
      break;
    }
    cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return woken || runtime.exit_code(); });
    woken = false;
  }
  // A clean stop: say we are offline (a clean disconnect does not trigger the last will).
  (void)(*client)->publish(protocol::device_topic(bundle->device, protocol::DeviceLeaf::kState),
                           protocol::offline_state(), 1, true);
  (*client)->stop();
  log.info("agent stopped", {{"exit_code", std::to_string(exit_code)}});
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nguon-agent: plays the schedule and orders of the Nguồn source system"};
  Options opt;
  app.add_option("--bundle", opt.bundle_path, "config bundle (JSON) made at provisioning")
      ->required();
  app.add_option("--state", opt.state_dir, "state directory (manifest, queue, media cache)")
      ->required();
  app.add_option("--sink", opt.sink, "audio output: alsa[:device], file:DIR or null")
      ->capture_default_str();
  app.add_option("--heartbeat", opt.heartbeat_s, "seconds between state publications")
      ->check(CLI::Range(5, 3600))
      ->capture_default_str();
  app.add_option("--state-settle", opt.state_settle_s,
                 "seconds a change of what plays holds before the state reports it (0: at once)")
      ->check(CLI::Range(0, 60))
      ->capture_default_str();
  app.add_option("--log-level", opt.log_level, "debug, info, warn, error or off")
      ->capture_default_str();
  app.add_option("--relay-command", opt.relay_command,
                 "command run with 'on' or 'off' to switch the amplifier relay");
  app.add_option("--firmware", opt.firmware, "firmware version reported in the state");
  app.add_option("--clock-offset", opt.clock_offset_s,
                 "seconds added to the system clock (tests, demonstrations, a known RTC error)")
      ->check(CLI::Range(-400LL * 86400, 400LL * 86400));
  CLI11_PARSE(app, argc, argv);
  return run(opt);
}
