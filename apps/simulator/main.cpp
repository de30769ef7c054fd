// nguon-simulator: many virtual device agents in one process, for load tests and benchmarks.
//
// Each virtual device is a full agent Runtime (signature checks, replay guard, scheduler,
// reports) with its own bundle and MQTT connection, but with a null or file sink, an in-memory
// report queue and no state directory. All devices share one media cache (single-flight
// downloads) and ONE network thread: the connections run on an epoll Poller.
//
// Signature checks: by default the virtual agents share a VerifyCache (verify_cache.h), so an
// area order that reaches N devices with the same bytes is verified once on this thread instead
// of N times: it models N devices verifying in parallel on their own CPUs. A real agent
// (nguon-agent) verifies every message itself. --no-verify-cache verifies every copy.
//
// Prints one JSON line per second on stdout:
//   {"ts":…,"agents":N,"connected":…,"playing":…,"played":…,"rejected":…,"started":…,
//    "failed":…,"verify_hits":…,"verify_misses":…}
// where playing = devices playing now, played/rejected/started/failed = events since start,
// verify_hits/misses = signature verdicts reused from / computed by the cache (0 without it).
// --record-arrivals FILE writes "<device> <ns>" lines: CLOCK_REALTIME nanoseconds at which the
// first non-retained message reached the device (retained ones are state redelivered at
// connect, not a fan-out), so another process can compare publish and arrival times.
// --record-reports FILE writes "<device> <order> <ns> <parallel_ns>" lines for each device's
// first `playing` event of each order: CLOCK_REALTIME nanoseconds at which the device handed it
// to its connection, and when a device with a CPU of its own would have: the arrival of the
// message it answers plus that device's own handling time, without the wait behind the other
// virtual devices read in the same batch (this thread handles them one after another, real
// devices in parallel; like the verify cache, it models N CPUs). A report not caused by a
// message (a tick) has parallel_ns = ns. Both files are rewritten at most once a second, and
// at exit.
#include <sys/resource.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <vector>

#include "adapters/crypto/sodium_crypto.h"
#include "adapters/mqtt/poller.h"
#include "agent/files.h"
#include "agent/log.h"
#include "agent/media_cache.h"
#include "agent/relay_hook.h"
#include "agent/report_queue.h"
#include "agent/runtime.h"
#include "agent/sink_spec.h"
#include "agent/system_clock.h"
#include "apps/simulator/verify_cache.h"

namespace {

using namespace nguon;
using namespace nguon::agent;
using SteadyClock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

struct Options {
  std::string bundles;
  std::string sink = "null";
  std::string media_dir = "/tmp/nguon-simulator-media";
  std::string record_arrivals;
  std::string record_reports;
  int heartbeat_s = 60;
  int state_settle_s = 3;
  int connect_rate = 1000;
  int download_workers = 4;
  std::string log_level = "warn";
  bool verify_cache = true;
};

// A message read from the network, handled after the whole batch was read, so that arrival
// times measure delivery, not the signature checks of the devices read before.
struct Inbound {
  Runtime* runtime;
  std::string topic;
  std::string payload;
  std::int64_t arrival_ns = 0;  // with --record-reports
};

// The message being handled now (--record-reports): its arrival and when its handling began.
struct Handling {
  std::int64_t arrival_ns = 0;  // 0: not inside a message's handling
  std::int64_t start_ns = 0;
};

struct Report {
  std::int64_t ns = 0;
  std::int64_t parallel_ns = 0;
};

struct VirtualDevice {
  std::unique_ptr<AudioSink> sink;
  std::unique_ptr<Runtime> runtime;
  std::unique_ptr<Transport> transport;
  std::int64_t first_arrival_ns = 0;
  std::map<std::string, Report> playing_reported;  // by order (--record-reports)
};

std::int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Forwards to the device's connection and notes when each first `playing` event of an order
// is handed to it (--record-reports).
class ReportRecorder final : public Transport {
 public:
  ReportRecorder(std::unique_ptr<Transport> inner, VirtualDevice& device, const Handling& handling,
                 bool& changed)
      : inner_(std::move(inner)), device_(device), handling_(handling), changed_(changed) {}
  Status subscribe(const std::string& pattern, int qos) override {
    return inner_->subscribe(pattern, qos);
  }
  Result<int> publish(const std::string& topic, std::string_view payload, int qos,
                      bool retain) override {
    if (topic.ends_with("/events") && payload.find(R"("type":"playing")") != std::string::npos) {
      auto e = protocol::decode_event(payload);
      if (e && e->type == protocol::EventType::kPlaying && e->order &&
          !device_.playing_reported.contains(*e->order)) {
        const std::int64_t ns = realtime_ns();
        const std::int64_t parallel_ns =
            handling_.arrival_ns != 0 ? handling_.arrival_ns + (ns - handling_.start_ns) : ns;
        device_.playing_reported.emplace(*e->order, Report{ns, parallel_ns});
        changed_ = true;
      }
    }
    return inner_->publish(topic, payload, qos, retain);
  }
  bool connected() const override { return inner_->connected(); }

 private:
  std::unique_ptr<Transport> inner_;
  VirtualDevice& device_;
  const Handling& handling_;
  bool& changed_;
};

void raise_fd_limit(const Logger& log) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  lim.rlim_cur = lim.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &lim) != 0) log.warn("cannot raise RLIMIT_NOFILE");
}

Result<std::vector<protocol::Bundle>> parse_bundles(const std::string& text,
                                                    const std::string& where) {
  std::vector<protocol::Bundle> out;
  boost::system::error_code ec;
  auto value = boost::json::parse(text, ec);
  if (ec) return invalid("malformed", where + ": " + ec.message());
  if (!value.is_array()) {
    auto b = protocol::decode_bundle(text);
    if (!b) return invalid("malformed", where + ": " + b.error().message);
    out.push_back(std::move(b.value()));
    return out;
  }
  for (const auto& v : value.as_array()) {
    auto b = protocol::decode_bundle(boost::json::serialize(v));
    if (!b) return invalid("malformed", where + ": " + b.error().message);
    out.push_back(std::move(b.value()));
  }
  return out;
}

// A directory of bundle files (*.json, sorted by name), or one file holding a bundle or an
// array of bundles.
Result<std::vector<protocol::Bundle>> load_bundles(const std::string& path) {
  std::vector<std::string> files;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
      if (e.path().extension() == ".json") files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  std::vector<protocol::Bundle> all;
  for (const auto& f : files) {
    auto text = read_file(f);
    if (!text) return invalid("unreadable", "cannot read " + f);
    auto bundles = parse_bundles(*text, f);
    if (!bundles) return bundles.error();
    for (auto& b : *bundles) all.push_back(std::move(b));
  }
  if (all.empty()) return invalid("empty", "no bundle found in " + path);
  return all;
}

Result<std::unique_ptr<AudioSink>> sink_for(const Options& opt, const std::string& device,
                                            const Clock& clock) {
  if (opt.sink.starts_with("file:")) return make_sink(opt.sink + "/" + device, clock);
  if (opt.sink == "null") return make_sink("null", clock);
  return invalid("invalid_sink", "the simulator supports --sink null or file:DIR");
}

void write_arrivals(const std::string& path, const std::vector<VirtualDevice>& devices) {
  std::string out;
  for (const auto& d : devices) {
    if (d.first_arrival_ns == 0) continue;
    out += d.runtime->bundle().device + " " + std::to_string(d.first_arrival_ns) + "\n";
  }
  (void)write_file_atomic(path, out);
}

void write_reports(const std::string& path, const std::vector<VirtualDevice>& devices) {
  std::string out;
  for (const auto& d : devices) {
    for (const auto& [order, r] : d.playing_reported) {
      out += d.runtime->bundle().device + " " + order + " " + std::to_string(r.ns) + " " +
             std::to_string(r.parallel_ns) + "\n";
    }
  }
  (void)write_file_atomic(path, out);
}

void print_counts(const std::vector<VirtualDevice>& devices, const mqtt::Poller& poller,
                  const Clock& clock, const simulator::VerifyCache* verify_cache) {
  std::int64_t playing = 0, played = 0, rejected = 0, started = 0, failed = 0;
  for (const auto& d : devices) {
    if (d.runtime->playing()) ++playing;
    played += d.runtime->counters().played;
    rejected += d.runtime->counters().rejected;
    started += d.runtime->counters().playing;
    failed += d.runtime->counters().failed;
  }
  boost::json::object o{
      {"ts", clock.now()},  {"agents", devices.size()}, {"connected", poller.connected_count()},
      {"playing", playing}, {"played", played},         {"rejected", rejected},
      {"started", started}, {"failed", failed}};
  auto vs = verify_cache ? verify_cache->stats() : simulator::VerifyCache::Stats{};
  o["verify_hits"] = vs.hits;
  o["verify_misses"] = vs.misses;
  std::string line = boost::json::serialize(o) + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

int run(const Options& opt) {
  auto level = parse_log_level(opt.log_level);
  Logger log(level.value_or(LogLevel::kWarn));
  raise_fd_limit(log);
  auto bundles = load_bundles(opt.bundles);
  if (!bundles) {
    log.error("cannot load bundles", {{"error", bundles.error().message}});
    return 1;
  }
  SystemClock clock;
  SodiumCrypto sodium(Argon2Profile::kMin);
  std::unique_ptr<simulator::VerifyCache> verify_cache;
  if (opt.verify_cache) verify_cache = std::make_unique<simulator::VerifyCache>(sodium);
  // What the virtual agents' Runtimes use (signature checks); the media cache keeps the real one.
  Crypto& crypto = verify_cache ? static_cast<Crypto&>(*verify_cache) : sodium;
  MediaCache cache(opt.media_dir, sodium, opt.download_workers);
  NoRelayHook relay;
  auto poller = mqtt::Poller::create({.connects_per_second = opt.connect_rate});
  if (!poller) {
    log.error("cannot create the poller", {{"error", poller.error().message}});
    return 1;
  }

  std::vector<VirtualDevice> devices(bundles->size());
  bool record = !opt.record_arrivals.empty();
  bool arrivals_changed = false;
  const bool record_reports = !opt.record_reports.empty();
  bool reports_changed = false;
  Handling handling;
  std::deque<Inbound> inbox;
  RuntimeOptions ropt;
  ropt.heartbeat_s = opt.heartbeat_s;
  ropt.state_settle_s = opt.state_settle_s;
  ropt.agent_name = "nguon-simulator/0.1";
  for (size_t i = 0; i < bundles->size(); ++i) {
    VirtualDevice& d = devices[i];
    auto sink = sink_for(opt, (*bundles)[i].device, clock);
    if (!sink) {
      log.error("cannot create a sink", {{"error", sink.error().message}});
      return 1;
    }
    d.sink = std::move(*sink);
    d.runtime = std::make_unique<Runtime>(
        std::move((*bundles)[i]), ropt, clock, crypto, *d.sink, cache,
        std::make_unique<MemoryReportQueue>(MemoryReportQueue::first_id_now()), relay, log);
    Runtime* rt = d.runtime.get();
    VirtualDevice* dev = &d;
    auto conn = (*poller)->add(
        rt->mqtt_options(),
        [rt, dev, record, record_reports, &arrivals_changed, &inbox](
            std::string_view topic, std::string_view payload, bool retained) {
          const std::int64_t now_ns = record || record_reports ? realtime_ns() : 0;
          if (record && !retained && dev->first_arrival_ns == 0) {
            dev->first_arrival_ns = now_ns;
            arrivals_changed = true;
          }
          inbox.push_back({rt, std::string(topic), std::string(payload), now_ns});
        },
        [rt](bool connected, int) { rt->on_connect(connected); },
        [rt](int mid) { rt->on_published(mid); });
    if (!conn) {
      log.error("cannot create a connection", {{"error", conn.error().message}});
      return 1;
    }
    for (const auto& topic : rt->subscriptions()) (void)(*conn)->subscribe(topic, 1);
    d.transport = std::make_unique<TransportOf<mqtt::Poller::Connection>>(**conn);
    if (record_reports) {
      d.transport =
          std::make_unique<ReportRecorder>(std::move(d.transport), d, handling, reports_changed);
    }
    rt->attach(d.transport.get());
    rt->load_state();
  }
  log.info("simulator started", {{"agents", std::to_string(devices.size())},
                                 {"verify_cache", opt.verify_cache ? "on" : "off"}});

  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  // Every device is ticked once a second, a slice at a time so the work is spread evenly.
  auto last_print = SteadyClock::now();
  auto last_slice = SteadyClock::now();
  auto last_arrivals = SteadyClock::now();
  constexpr int kSlices = 10;
  constexpr size_t kHandleSlice = 64;
  size_t cursor = 0;
  while (!g_stop) {
    // Read everything that is ready before handling any of it (see Inbound), and come back to
    // reading after every kHandleSlice messages: a real device reads while the others work, so
    // arrival times should not wait for the handling of thousands of earlier messages.
    if ((*poller)->run_once(inbox.empty() ? 20 : 0) > 0) {
      while (inbox.size() < 100'000 && (*poller)->run_once(0) > 0) {
      }
    }
    for (size_t handled = 0; handled < kHandleSlice && !inbox.empty(); ++handled) {
      Inbound m = std::move(inbox.front());
      inbox.pop_front();
      if (record_reports) handling = {m.arrival_ns, realtime_ns()};
      m.runtime->on_message(m.topic, m.payload);
    }
    handling = {};
    auto now = SteadyClock::now();
    if (now - last_slice >= std::chrono::milliseconds(1000 / kSlices)) {
      last_slice = now;
      size_t slice = (devices.size() + kSlices - 1) / kSlices;
      for (size_t n = 0; n < slice && !devices.empty(); ++n) {
        devices[cursor].runtime->tick();
        cursor = (cursor + 1) % devices.size();
      }
    }
    if (now - last_print >= std::chrono::seconds(1)) {
      last_print = now;
      print_counts(devices, **poller, clock, verify_cache.get());
    }
    if ((arrivals_changed || reports_changed) && now - last_arrivals >= std::chrono::seconds(1)) {
      last_arrivals = now;
      if (arrivals_changed) write_arrivals(opt.record_arrivals, devices);
      if (reports_changed) write_reports(opt.record_reports, devices);
      arrivals_changed = reports_changed = false;
    }
  }
  if (record) write_arrivals(opt.record_arrivals, devices);
  if (record_reports) write_reports(opt.record_reports, devices);
  (*poller)->disconnect_all();
  for (int i = 0; i < 10; ++i) (*poller)->run_once(10);
  print_counts(devices, **poller, clock, verify_cache.get());
  log.info("simulator stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"nguon-simulator: many virtual Nguồn device agents in one process"};
  Options opt;
  app.add_option("--bundles", opt.bundles,
                 "directory of bundle JSON files, or one JSON file (a bundle or an array)")
      ->required();
  app.add_option("--sink", opt.sink, "null, or file:DIR (one sub-directory per device)")
      ->capture_default_str();
  app.add_option("--media-cache", opt.media_dir, "shared media cache directory")
      ->capture_default_str();
  app.add_option("--record-arrivals", opt.record_arrivals,
                 "write '<device> <CLOCK_REALTIME ns>' of each device's first message");
  app.add_option("--record-reports", opt.record_reports,
                 "write '<device> <order> <CLOCK_REALTIME ns>' of each first playing event");
  app.add_option("--heartbeat", opt.heartbeat_s, "seconds between state publications")
      ->check(CLI::Range(5, 3600))
      ->capture_default_str();
  app.add_option("--state-settle", opt.state_settle_s,
                 "seconds a change of what plays holds before the state reports it (0: at once)")
      ->check(CLI::Range(0, 60))
      ->capture_default_str();
  app.add_option("--connect-rate", opt.connect_rate, "new connections per second")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--download-workers", opt.download_workers, "parallel media downloads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--log-level", opt.log_level, "debug, info, warn, error or off")
      ->capture_default_str();
  bool no_verify_cache = false;
  app.add_flag("--no-verify-cache", no_verify_cache,
               "verify every copy of a message on this thread, instead of each distinct (key, "
               "message, signature) once (which models devices verifying in parallel)");
  CLI11_PARSE(app, argc, argv);
  opt.verify_cache = !no_verify_cache;
  return run(opt);
}
