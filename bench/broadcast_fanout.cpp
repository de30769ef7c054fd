// bench_broadcast_fanout: the C++ half of bench/broadcast_fanout.sh (see bench/README.md).
//
//   setup    --port P --creds FILE --n N --out DIR [--jobs 4]
//            logs in (admin, editor; changes generated passwords and writes them back to FILE),
//            synthesizes one bulletin's audio, imports N devices spread over the communes of
//            province 38, provisions each (several connections in parallel) and writes every
//            bundle_json to DIR/<device>.json. Prints "sha256=<media id>".
//   baseline --mqtt-port M --password-file F --n N --arrivals FILE [--pub mosquitto_pub]
//            t0, then runs `mosquitto_pub -q 1 -t nguon/v1/a/38/cmd` as nguon-server with an
//            unsigned payload the size of a signed play order; reads the simulator's
//            --record-arrivals FILE until 99 % of N devices have an arrival after t0. Also counts
//            the devices' "rejected" events (the agents refuse the unsigned message): a round trip
//            comparable to ours.
//   order    --port P --mqtt-port M --password-file F --creds FILE --sha SHA --n N [--stop]
//            [--alert: issue a CAP alert for province 38 (POST /api/v1/alerts) instead]
//            an observer subscribed to nguon/v1/d/+/events as nguon-server; t0 just before
//            POST /api/v1/broadcasts {"areas":["38"],"priority":"emergency",...}; counts distinct
//            devices whose "playing" event carries the order id. --stop: POST .../stop after.
//            --reports FILE (the simulator's --record-reports): also the device side, when each
//            device handed its "playing" event for the order to its connection, as on the
//            simulator's one thread ("reported_*") and with devices in parallel ("parallel_*").
//
// Every measurement prints one line "RESULT key=value ..." (times in ms from t0).
// baseline and order also take --watch name=PID,... (CPU time of those processes from t0 to the
// 99 % point, printed as cpu_<name>_ms).
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "adapters/mqtt/client.h"
#include "core/protocol.h"
#include "tests/support/live.h"

extern char** environ;

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using nguon::testing::Reply;
using nguon::testing::request;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "bench_broadcast_fanout: %s\n", msg.c_str());
  std::exit(1);
}

std::int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string first_line(const std::string& path) {
  std::string s = slurp(path);
  auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

// --name value options.
struct Args {
  std::map<std::string, std::string> kv;
  std::string get(const std::string& k, const std::string& def = "\x01") const {
    auto it = kv.find(k);
    if (it != kv.end()) return it->second;
    if (def == "\x01") die("missing --" + k);
    return def;
  }
  bool has(const std::string& k) const { return kv.count(k) != 0; }
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    if (!k.starts_with("--")) die("unexpected argument " + k);
    k = k.substr(2);
    if (i + 1 < argc && !std::string(argv[i + 1]).starts_with("--")) {
      a.kv[k] = argv[++i];
    } else {
      a.kv[k] = "1";
    }
  }
  return a;
}

// ---- HTTP session -----------------------------------------------------------------------------

std::string g_last_body;  // the last HTTP answer, for error messages

Reply traced(Reply r) {
  g_last_body = r.body;
  return r;
}

struct Session {
  std::uint16_t port = 0;
  std::string cookie, csrf;
  Reply get(const std::string& t) const { return traced(request(port, "GET", t, "", cookie)); }
  Reply post(const std::string& t, const std::string& body) const {
    return traced(request(port, "POST", t, body, cookie, csrf));
  }
};

// Logs in; a generated password must be changed first: the new one is returned in `password`.
Session login(std::uint16_t port, const std::string& user, std::string& password) {
  Reply r = request(port, "POST", "/api/v1/auth/login",
                    json::serialize(json::object{{"username", user}, {"password", password}}));
  if (r.status != 200) die("login " + user + ": " + std::to_string(r.status) + " " + r.body);
  Session s{port};
  auto eq = r.set_cookie.find('=');
  auto semi = r.set_cookie.find(';');
  s.cookie = r.set_cookie.substr(eq + 1, semi == std::string::npos ? semi : semi - eq - 1);
  s.csrf = std::string(json::parse(r.body).at("csrf_token").as_string());
  if (s.get("/api/v1/units/38").status == 403) {
    const std::string next = password + "-doi-moi";
    Reply c = s.post(
        "/api/v1/auth/password",
        json::serialize(json::object{{"current_password", password}, {"new_password", next}}));
    if (c.status != 204) die("password change " + user + ": " + c.body);
    password = next;
    return login(port, user, password);
  }
  return s;
}

// FILE: "admin <password>\neditor <password>\n"
std::map<std::string, std::string> read_creds(const std::string& path) {
  std::map<std::string, std::string> out;
  std::istringstream in(slurp(path));
  std::string user, pw;
  while (in >> user >> pw) out[user] = pw;
  return out;
}

void write_creds(const std::string& path, const std::map<std::string, std::string>& creds) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& [u, p] : creds) out << u << " " << p << "\n";
}

// ---- setup ------------------------------------------------------------------------------------

int setup(const Args& a) {
  const auto port = static_cast<std::uint16_t>(std::stoi(a.get("port")));
  const std::string creds_path = a.get("creds");
  const int n = std::stoi(a.get("n"));
  const std::string out_dir = a.get("out");
  const int jobs = std::stoi(a.get("jobs", "4"));
  auto creds = read_creds(creds_path);
  Session admin = login(port, "admin", creds["admin"]);
  Session editor = login(port, "editor", creds["editor"]);
  write_creds(creds_path, creds);

  // One bulletin's audio (espeak-ng + Opus on the server).
  Reply b = editor.post("/api/v1/bulletins",
                        R"({"title":"Thông báo khẩn","body":"Ủy ban nhân dân xã thông báo: )"
                        R"(bão số năm sắp đổ bộ, đề nghị bà con chằng chống nhà cửa.",)"
                        R"("category":"society"})");
  if (b.status != 201) die("create bulletin: " + b.body);
  const std::string bid = std::to_string(json::parse(b.body).at("id").as_int64());
  Reply s = editor.post("/api/v1/bulletins/" + bid + "/audio/synthesize", R"({"voice":"north"})");
  if (s.status != 200) die("synthesize: " + s.body);
  const std::string sha(json::parse(s.body).at("audio").at("media_id").as_string());

  // Communes of Thanh Hóa.
  Reply c = admin.get("/api/v1/units/38/children");
  if (c.status != 200) die("children: " + c.body);
  std::vector<std::string> communes;
  json::value cv = json::parse(c.body);
  const json::array& arr = cv.is_array() ? cv.as_array() : cv.at("items").as_array();
  for (const auto& u : arr) communes.emplace_back(u.at("code").as_string());
  if (communes.empty()) die("no communes under 38");

  // Import N devices, round-robin over the communes.
  const auto t_import = std::chrono::steady_clock::now();
  std::string csv =
      "serial,imei,kind,name,vendor,model,firmware,commune_code,village_code,lat,lon,horns,watts\n";
  for (int i = 0; i < n; ++i) {
    char serial[32];
    std::snprintf(serial, sizeof serial, "BENCH-%06d", i);
    csv += std::string(serial) + ",,cluster,Cụm loa " + serial + ",Bench,IP-1,,";
    csv += communes[static_cast<size_t>(i) % communes.size()] + ",,,,4,120\n";
  }
  Reply imp = admin.post("/api/v1/devices/import", json::serialize(json::object{{"csv", csv}}));
  if (imp.status != 200)
    die("import: " + std::to_string(imp.status) + " " + imp.body.substr(0, 600));
  const double import_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_import).count();

  // Device ids (pages of 500).
  std::vector<std::string> ids;
  for (size_t offset = 0;; offset += 500) {
    Reply l =
        admin.get("/api/v1/devices?status=registered&limit=500&offset=" + std::to_string(offset));
    if (l.status != 200) die("list devices: " + l.body);
    const json::value page = json::parse(l.body);
    const json::array& items = page.at("items").as_array();
    for (const auto& d : items) {
      const std::string serial(d.at("serial").as_string());
      if (serial.starts_with("BENCH-")) ids.emplace_back(d.at("id").as_string());
    }
    if (items.size() < 500) break;
  }
  if (static_cast<int>(ids.size()) != n) {
    die("expected " + std::to_string(n) + " registered devices, found " +
        std::to_string(ids.size()));
  }

  // Provision, `jobs` connections in parallel.
  fs::create_directories(out_dir);
  const auto t_prov = std::chrono::steady_clock::now();
  std::atomic<size_t> next{0};
  std::atomic<int> failures{0};
  std::atomic<int> retries{0};
  std::mutex err_mu;
  std::string first_error;
  std::vector<std::thread> workers;
  for (int j = 0; j < jobs; ++j) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < ids.size(); i = next++) {
        Reply p = admin.post("/api/v1/devices/" + ids[i] + "/provision", "{}");
        // A provision holds the database's write lock while the broker creates the account;
        // a parallel one may time out on it ("database is locked", 500): try again.
        for (int attempt = 0; p.status == 500 && attempt < 5; ++attempt) {
          ++retries;
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          p = admin.post("/api/v1/devices/" + ids[i] + "/provision", "{}");
        }
        if (p.status != 200) {
          ++failures;
          std::lock_guard<std::mutex> lock(err_mu);
          if (first_error.empty()) first_error = std::to_string(p.status) + " " + p.body;
          continue;
        }
        std::ofstream(out_dir + "/" + ids[i] + ".json")
            << json::parse(p.body).at("bundle_json").as_string().c_str();
      }
    });
  }
  for (auto& w : workers) w.join();
  if (failures > 0) die(std::to_string(failures.load()) + " provisions failed: " + first_error);
  const double prov_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_prov).count();
  std::printf("SETUP devices=%d communes=%zu import_s=%.2f provision_s=%.2f jobs=%d retries=%d\n",
              n, communes.size(), import_s, prov_s, jobs, retries.load());
  std::printf("sha256=%s\n", sha.c_str());
  return 0;
}

// ---- observer ---------------------------------------------------------------------------------

// Subscribed to every device's events as nguon-server; keeps, per device, the arrival time of
// the first event accepted by `filter`.
class Observer {
 public:
  using Filter = std::function<bool(const nguon::protocol::Event&)>;
  Observer(int mqtt_port, const std::string& password) {
    nguon::mqtt::ClientOptions o;
    o.port = mqtt_port;
    o.client_id = "bench-observer-" + std::to_string(::getpid());
    o.username = "nguon-server";
    o.password = password;
    auto c = nguon::mqtt::Client::create(
        o,
        [this](std::string_view topic, std::string_view payload, bool) {
          on_message(topic, payload);
        },
        [this](bool up, int) {
          std::lock_guard<std::mutex> lock(mu_);
          connected_ = up;
          cv_.notify_all();
        });
    if (!c) die("mqtt client: " + c.error().message);
    client_ = std::move(*c);
    (void)client_->subscribe("nguon/v1/d/+/events", 1);
    if (!client_->start()) die("mqtt start");
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(10), [&] { return connected_; })) {
      die("observer did not connect");
    }
    lock.unlock();
    // No SUBACK callback: leave the subscription time to reach the broker.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  ~Observer() { client_->stop(); }

  // Events seen from now on are kept until set_filter() decides (the order id is known only
  // after the POST returns, and events may come before that).
  void set_filter(Filter f) {
    std::lock_guard<std::mutex> lock(mu_);
    filter_ = std::move(f);
    for (auto& [dev, list] : pending_) {
      for (auto& [ns, ev] : list) accept(dev, ns, ev);
    }
    pending_.clear();
    cv_.notify_all();
  }

  // Waits until `count` devices were accepted or the deadline passes.
  size_t wait_for(size_t count, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, deadline, [&] { return first_.size() >= count; });
    return first_.size();
  }

  std::vector<std::int64_t> arrivals() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::int64_t> out;
    for (const auto& [d, ns] : first_) out.push_back(ns);
    return out;
  }
  std::map<std::string, int> reasons() {
    std::lock_guard<std::mutex> lock(mu_);
    return reasons_;
  }

 private:
  void on_message(std::string_view topic, std::string_view payload) {
    const std::int64_t ns = realtime_ns();
    // nguon/v1/d/<device>/events
    constexpr std::string_view kPrefix = "nguon/v1/d/";
    if (!topic.starts_with(kPrefix)) return;
    auto rest = topic.substr(kPrefix.size());
    auto dev = std::string(rest.substr(0, rest.find('/')));
    auto ev = nguon::protocol::decode_event(payload);
    if (!ev) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (!filter_) {
      pending_[dev].emplace_back(ns, std::move(*ev));
      return;
    }
    accept(dev, ns, *ev);
    cv_.notify_all();
  }
  void accept(const std::string& dev, std::int64_t ns, const nguon::protocol::Event& ev) {
    if (!filter_(ev) || first_.count(dev)) return;
    first_.emplace(dev, ns);
    reasons_[ev.reason.value_or("")]++;
  }

  std::unique_ptr<nguon::mqtt::Client> client_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool connected_ = false;
  Filter filter_;
  std::unordered_map<std::string, std::vector<std::pair<std::int64_t, nguon::protocol::Event>>>
      pending_;
  std::unordered_map<std::string, std::int64_t> first_;
  std::map<std::string, int> reasons_;
};

// Latencies (ms from t0) of the arrivals at or after t0, sorted.
std::vector<double> latencies_ms(const std::vector<std::int64_t>& arrivals, std::int64_t t0) {
  std::vector<double> out;
  for (auto ns : arrivals) {
    if (ns >= t0) out.push_back(static_cast<double>(ns - t0) / 1e6);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Nearest-rank percentile over `n` (devices that never reported count as infinitely late).
double rank_of(const std::vector<double>& sorted, size_t n, double q) {
  const size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(n)));
  if (k == 0) return 0;
  if (k > sorted.size()) return -1;  // not reached
  return sorted[k - 1];
}

std::string stats(const std::string& prefix, const std::vector<double>& lat, size_t n) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s_count=%zu %s_t99_ms=%.1f %s_p50_ms=%.1f %s_p99_ms=%.1f",
                prefix.c_str(), lat.size(), prefix.c_str(), rank_of(lat, n, 0.99), prefix.c_str(),
                rank_of(lat, lat.size(), 0.50), prefix.c_str(), rank_of(lat, lat.size(), 0.99));
  return buf;
}

std::vector<std::int64_t> read_arrivals(const std::string& path) {
  std::vector<std::int64_t> out;
  std::istringstream in(slurp(path));
  std::string dev;
  std::int64_t ns = 0;
  while (in >> dev >> ns) out.push_back(ns);
  return out;
}

// The simulator's --record-reports FILE: when each device reported `order` playing (ns), as it
// happened on the simulator's one thread (column 3), or with the devices in parallel (column 4,
// `parallel`: see apps/simulator/main.cpp).
std::vector<std::int64_t> read_reports(const std::string& path, const std::string& order,
                                       bool parallel) {
  std::vector<std::int64_t> out;
  std::istringstream in(slurp(path));
  std::string dev, o;
  std::int64_t ns = 0, parallel_ns = 0;
  while (in >> dev >> o >> ns >> parallel_ns) {
    if (o == order) out.push_back(parallel ? parallel_ns : ns);
  }
  return out;
}

// Reads a file the simulator rewrites at most once a second (read_arrivals, read_reports) until
// it holds all n, or at least `need` and one more rewrite for the stragglers, or the deadline.
std::vector<std::int64_t> read_recorded(const std::function<std::vector<std::int64_t>()>& read,
                                        size_t n, size_t need,
                                        std::chrono::steady_clock::time_point deadline) {
  while (true) {
    auto all = read();
    if (all.size() >= n || std::chrono::steady_clock::now() > deadline) return all;
    if (all.size() >= need) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1200));
      return read();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// --watch name=PID,name=PID: CPU time (utime + stime) each process used between t0 and the
// moment 99 % of the devices were counted, in ms.
struct CpuWatch {
  std::vector<std::pair<std::string, int>> procs;
  std::vector<long long> start;
  static long long ticks(int pid) {
    std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/stat"));
    std::string f;
    std::vector<std::string> fields;
    while (in >> f) fields.push_back(f);
    // Field 2 (comm) has no spaces for our processes; utime and stime are fields 14 and 15.
    if (fields.size() < 15) return 0;
    return std::stoll(fields[13]) + std::stoll(fields[14]);
  }
  explicit CpuWatch(const std::string& spec) {
    std::istringstream in(spec);
    std::string item;
    while (std::getline(in, item, ',')) {
      auto eq = item.find('=');
      if (eq == std::string::npos) continue;
      procs.emplace_back(item.substr(0, eq), std::stoi(item.substr(eq + 1)));
    }
  }
  void begin() {
    start.clear();
    for (auto& [n, pid] : procs) start.push_back(ticks(pid));
  }
  std::string end() const {
    std::string out;
    const double ms_per_tick = 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
    for (size_t i = 0; i < procs.size(); ++i) {
      char buf[96];
      std::snprintf(buf, sizeof buf, " cpu_%s_ms=%.0f", procs[i].first.c_str(),
                    static_cast<double>(ticks(procs[i].second) - start[i]) * ms_per_tick);
      out += buf;
    }
    return out;
  }
};

// ---- baseline ---------------------------------------------------------------------------------

int baseline(const Args& a) {
  const int mqtt_port = std::stoi(a.get("mqtt-port"));
  const std::string password = first_line(a.get("password-file"));
  const size_t n = std::stoul(a.get("n"));
  const std::string arrivals_path = a.get("arrivals");
  const std::string pub = a.get("pub", "/usr/bin/mosquitto_pub");
  const double timeout_s = std::stod(a.get("timeout", "60"));
  const size_t need = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(n)));

  Observer obs(mqtt_port, password);
  obs.set_filter([](const nguon::protocol::Event& e) {
    return e.type == nguon::protocol::EventType::kRejected;
  });
  // Unsigned, so every agent refuses it (and reports "rejected"); about the size of a signed
  // play order of one media item.
  std::string body =
      R"({"type":"play","seq":1,"iat":0,"exp":0,"to":"a/38/cmd","data":{"order":"baseline",)"
      R"("priority":"emergency","repeat":1,"items":[{"kind":"media","sha256":")" +
      std::string(64, '0') + R"(","bytes":1,"duration_ms":1}]}})";
  std::string payload = R"({"v":1,"kid":"0000000000000000","sig":")" + std::string(88, 'A') +
                        R"(","body":)" + json::serialize(json::value(body)) + "}";
  std::vector<std::string> argv_s = {
      pub,      "-h", "127.0.0.1", "-p", std::to_string(mqtt_port), "-u", "nguon-server",      "-P",
      password, "-q", "1",         "-i", "bench-baseline-pub",      "-t", "nguon/v1/a/38/cmd", "-m",
      payload};
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);

  CpuWatch cpu(a.get("watch", ""));
  cpu.begin();
  const auto steady0 = std::chrono::steady_clock::now();
  const std::int64_t t0 = realtime_ns();
  pid_t pid = 0;
  if (posix_spawn(&pid, pub.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
    die("cannot run " + pub);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const double pub_ms = static_cast<double>(realtime_ns() - t0) / 1e6;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("mosquitto_pub failed");

  const auto deadline = steady0 + std::chrono::milliseconds(static_cast<int>(timeout_s * 1000));
  obs.wait_for(need, deadline);
  const std::string cpu_at_rejected = cpu.end();  // at 99 % of the "rejected" round trips
  // Arrivals after t0 (the file also holds none from before: one baseline per simulator).
  auto all = read_recorded([&] { return read_arrivals(arrivals_path); }, n, need, deadline);
  std::vector<double> arr = latencies_ms(all, t0);
  const size_t before_t0 = all.size() - arr.size();
  obs.wait_for(n, deadline);
  auto rej = latencies_ms(obs.arrivals(), t0);
  std::printf("RESULT mode=baseline n=%zu pub_exit_ms=%.1f arrivals_before_t0=%zu %s %s%s\n", n,
              pub_ms, before_t0, stats("arrival", arr, n).c_str(),
              stats("rejected", rej, n).c_str(), cpu_at_rejected.c_str());
  return 0;
}

// ---- order ------------------------------------------------------------------------------------

int order(const Args& a) {
  const auto port = static_cast<std::uint16_t>(std::stoi(a.get("port")));
  const int mqtt_port = std::stoi(a.get("mqtt-port"));
  const std::string password = first_line(a.get("password-file"));
  const size_t n = std::stoul(a.get("n"));
  const std::string sha = a.get("sha");
  const std::string priority = a.get("priority", "emergency");
  const double timeout_s = std::stod(a.get("timeout", "60"));
  const size_t need = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(n)));
  auto creds = read_creds(a.get("creds"));
  Session admin = login(port, "admin", creds["admin"]);

  Observer obs(mqtt_port, password);
  CpuWatch cpu(a.get("watch", ""));
  // --alert: the emergency is issued as a CAP alert from the console (issue 6): the API call
  // also writes and validates the CAP document and synthesizes the bulletin (espeak-ng).
  const bool alert = a.has("alert");
  const std::string body =
      alert ? std::string(R"({"owner_unit":"38","category":"Met","event":"Bão",)"
                          R"("headline":"Bão số 3 đổ bộ vào Thanh Hóa",)"
                          R"("instruction":"Người dân ở trong nhà.","areas":["38"]})")
            : R"({"areas":["38"],"priority":")" + priority +
                  R"(","items":[{"kind":"media","sha256":")" + sha + R"("}]})";
  cpu.begin();
  const auto steady0 = std::chrono::steady_clock::now();
  const std::int64_t t0 = realtime_ns();
  Reply r = admin.post(alert ? "/api/v1/alerts" : "/api/v1/broadcasts", body);
  const double api_ms = static_cast<double>(realtime_ns() - t0) / 1e6;
  if (r.status != 201) die("broadcast: " + std::to_string(r.status) + " " + r.body);
  json::value rv = json::parse(r.body);
  const std::string order_id(rv.at("order").as_string());
  const std::int64_t targeted = rv.at("devices").as_int64();
  const std::string stop_path =
      alert ? "/api/v1/alerts/" + std::to_string(rv.at("id").as_int64()) + "/stop"
            : "/api/v1/broadcasts/" + order_id + "/stop";
  obs.set_filter([order_id](const nguon::protocol::Event& e) {
    return e.type == nguon::protocol::EventType::kPlaying && e.order == order_id;
  });
  const auto deadline = steady0 + std::chrono::milliseconds(static_cast<int>(timeout_s * 1000));
  size_t got = obs.wait_for(need, deadline);
  const std::string cpu_at_99 = cpu.end();
  if (got >= need) {
    // The rest, for p99 over all devices that report: until all N or 3 s more.
    auto more = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(3));
    obs.wait_for(n, more);
  }
  auto lat = latencies_ms(obs.arrivals(), t0);
  std::string reported;
  if (a.has("reports")) {
    const std::string path = a.get("reports");
    auto ns = read_recorded([&] { return read_reports(path, order_id, false); }, n, need, deadline);
    reported = " " + stats("reported", latencies_ms(ns, t0), n) + " " +
               stats("parallel", latencies_ms(read_reports(path, order_id, true), t0), n);
  }
  std::printf("RESULT mode=%s n=%zu order=%s targeted=%lld api_ms=%.1f %s%s%s\n",
              alert ? "alert" : "order", n, order_id.c_str(), static_cast<long long>(targeted),
              api_ms, stats("playing", lat, n).c_str(), reported.c_str(), cpu_at_99.c_str());
  std::fflush(stdout);
  if (a.has("stop")) {
    Reply s = admin.post(stop_path, "{}");
    if (s.status >= 300) die("stop: " + std::to_string(s.status) + " " + s.body);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) die("usage: bench_broadcast_fanout setup|baseline|order --key value ...");
  const std::string cmd = argv[1];
  Args a = parse_args(argc, argv);
  try {
    if (cmd == "setup") return setup(a);
    if (cmd == "baseline") return baseline(a);
    if (cmd == "order") return order(a);
  } catch (const std::exception& e) {
    die(cmd + ": " + e.what() + " (after: " + g_last_body.substr(0, 400) + ")");
  }
  die("unknown command " + cmd);
}
