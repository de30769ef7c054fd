// Durable submission throughput (issue 5): FeedbackDesk::submit over a real store, against the
// raw single-row insert rate of the same store, measured in the same run.
//
//   A (raw):   n single-row INSERT transactions, each committed on its own, from `threads`
//              threads, each thread on its own connection, into `bench_raw`: a plain table
//              (integer primary key, no other constraint, no index) with the feedback table's
//              columns (read from the schema), created in the SAME database file / cluster, filled
//              with a real feedback row's values (description, title, contact and fold differ per
//              row, like the submissions'). SQLite: BEGIN IMMEDIATE; INSERT; COMMIT, prepared
//              once per connection. PostgreSQL: one INSERT in autocommit (PQexecParams, text
//              parameters, like the store): one round trip, flushed on return.
//   B (desk):  n FeedbackDesk::submit calls from `threads` threads; each returns only after its
//              transaction committed. Citizens' submissions (no staff), ~320-character Vietnamese
//              descriptions, a distinct e-mail each, commune 14797, moderation of first-time
//              contacts off, per-contact limit out of the way; two feedback handlers (commune and
//              province) are notified of each one, as in a deployment.
//
// Prints per backend raw rows/s, submissions/s, the ratio B/A against the target >= 0.5, p50/p99
// latencies and this process's CPU time per operation (all of SQLite; only the client side of
// PostgreSQL), plus a breakdown of each submission's wall time measured around Store::write
// (outside it / taking a connection, and on SQLite BEGIN with the wait for the write lock / the
// body, which on PostgreSQL sends BEGIN with its first statement, or is the one autocommitted
// intake statement with its commit / COMMIT, which on SQLite includes WAL auto-checkpoints).
// --profile M then profiles M more raw inserts and M more submissions statement by statement
// (SQLite: sqlite3 trace and WAL hooks on every connection, wall time per statement and WAL pages
// per commit; PostgreSQL: pg_stat_statements, server-side execution time, round trips and WAL
// bytes). --sqlite-normal repeats both SQLite measures with synchronous=NORMAL (what-if).
//
// Durability is the server's: SQLite with the store's own settings (WAL, synchronous=FULL by
// default, i.e. the WAL is fsynced at every commit; busy timeout 5 s; BEGIN IMMEDIATE), which the
// raw connections repeat. PostgreSQL is a throwaway cluster
// started here (initdb + pg_ctl, like tests/support/pg_server.cpp) with its default durability:
// fsync, synchronous_commit and full_page_writes on (the tests' cluster turns them off, so it is
// not reused). Both live under $TMPDIR (default /tmp) and are removed on exit, also on SIGINT.
//
// Usage: bench_feedback_submit [--backend sqlite|postgres|both] [--n 2000] [--threads 4]
//                              [--rounds 2] [--warmup 50] [--profile M] [--sqlite-normal]
// Rounds alternate the order: odd rounds raw then desk, even rounds desk then raw. The figures
// are totals over all rounds (rows / summed time); each round is printed too. Every output line
// starts with a fixed key for awk (SETUP, ROUND, RESULT, BREAKDOWN, INFO, CHECK, PROFILE).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "adapters/crypto/sodium_crypto.h"
#include "adapters/db/sqlite/sqlite_store.h"
#include "app/system_clock.h"
#include "core/feedback/feedback_service.h"
#include "core/text.h"
#include "core/units.h"
#include "core/workdays/work_calendar.h"
#include "tests/support/fakes.h"
#ifdef NGUON_BENCH_WITH_POSTGRES
#include <libpq-fe.h>

#include "adapters/db/postgres/postgres_store.h"
#endif

namespace nguon::bench {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
      .count();
}

// Stops the throwaway PostgreSQL cluster, if any, when the bench dies or is interrupted.
std::mutex g_cleanup_mu;
std::function<void()> g_cleanup;

// Runs the cleanup once; a second caller (a worker dying because the cluster is going away)
// waits until the first one is done before the process exits.
void run_cleanup() {
  std::lock_guard lock(g_cleanup_mu);
  std::function<void()> f;
  f.swap(g_cleanup);
  if (f) f();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_feedback_submit: %s\n", what.c_str());
  std::fflush(stdout);
  run_cleanup();
  std::_Exit(1);
}

struct Options {
  bool sqlite = true;
  bool postgres = true;
  int n = 2000;
  int threads = 4;
  int rounds = 2;
  int warmup = 50;
  int profile = 0;
  bool sqlite_normal = false;  // what-if: SQLite with synchronous=NORMAL
  std::string tmp;             // $TMPDIR or /tmp: where both databases live
};

// ---------------------------------------------------------------------------------------------
// Submissions: realistic Vietnamese text, ~300 characters, distinct per index.

struct Text {
  const char* title;
  const char* body;
};

constexpr Text kTexts[] = {
    {"Đường liên thôn xuống cấp",
     "Đoạn đường liên thôn từ nhà văn hóa tổ dân phố Đông Hải đến cổng trường tiểu học bị sụt "
     "lún nhiều chỗ, xuất hiện các ổ gà sâu khoảng 20 cm. Mỗi khi trời mưa nước đọng thành vũng, "
     "xe máy chở học sinh đi qua rất dễ ngã. Đề nghị UBND phường kiểm tra, sớm bố trí kinh phí "
     "sửa chữa và đặt biển cảnh báo tạm thời."},
    {"Rác thải tồn đọng ở chợ",
     "Khu vực chợ Hạc Thành thường xuyên có rác thải tồn đọng sau giờ họp chợ, nhiều ngày không "
     "được thu gom, bốc mùi hôi thối ảnh hưởng đến các hộ dân xung quanh. Một số tiểu thương còn "
     "đổ nước thải trực tiếp ra rãnh thoát nước. Kính đề nghị phường chỉ đạo đơn vị vệ sinh môi "
     "trường tăng tần suất thu gom."},
    {"Đèn đường hỏng gần một tháng",
     "Hệ thống đèn chiếu sáng công cộng trên tuyến đường Lê Lai, đoạn từ ngã tư đến cầu Bà Triệu, "
     "đã bị hỏng gần một tháng nay. Buổi tối đường rất tối, người dân đi lại khó khăn, đã xảy ra "
     "hai vụ va chạm giao thông. Bà con trong tổ dân phố mong các cơ quan chức năng sớm thay bóng "
     "đèn và kiểm tra lại đường dây."},
    {"Loa truyền thanh phát quá to",
     "Cụm loa truyền thanh đặt gần nhà văn hóa khu phố Phú Thọ phát tin buổi sáng từ 5 giờ 30 với "
     "âm lượng rất lớn, người già và trẻ nhỏ bị ảnh hưởng giấc ngủ. Ngược lại, các hộ ở cuối ngõ "
     "12 không nghe rõ nội dung thông báo. Đề nghị đài truyền thanh phường điều chỉnh hướng loa, "
     "giảm âm lượng."},
};

constexpr const char* kNames[] = {"Nguyễn Văn Bình", "Lê Thị Thu",     "Trần Văn Cường",
                                  "Phạm Thị Dung",   "Hoàng Văn Minh", "Vũ Thị Lan"};

// The strings of submission `i` (global over the run, so every e-mail is distinct).
struct Item {
  std::string title;
  std::string description;
  std::string name;
  std::string email;
  std::string fold;  // what the store writes in feedback.fold (raw rows use it too)
};

Item make_item(std::int64_t i) {
  const Text& t = kTexts[i % std::size(kTexts)];
  Item it;
  it.title = t.title;
  it.description = std::string(t.body) + " Mã phản ánh " + std::to_string(100000 + i) + ".";
  it.name = kNames[i % std::size(kNames)];
  it.email = "nguoidan." + std::to_string(i) + "@example.vn";
  it.fold = text::fold(it.title) + "\n" + text::fold(it.description);
  return it;
}

// ---------------------------------------------------------------------------------------------
// Measurement helpers

// CPU time (user + system) of this process so far.
std::int64_t process_cpu_ns() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1'000'000'000LL +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1'000LL;
}

struct Measure {
  std::int64_t ops = 0;
  std::int64_t wall_ns = 0;
  std::int64_t cpu_ns = 0;  // this process (all of SQLite; only the client side of PostgreSQL)
  std::vector<std::int64_t> lat_ns;  // per operation
  double rate() const { return wall_ns > 0 ? ops * 1e9 / static_cast<double>(wall_ns) : 0; }
  double cpu_us() const { return ops > 0 ? cpu_ns / 1e3 / static_cast<double>(ops) : 0; }
  void add(Measure&& m) {
    ops += m.ops;
    wall_ns += m.wall_ns;
    cpu_ns += m.cpu_ns;
    lat_ns.insert(lat_ns.end(), m.lat_ns.begin(), m.lat_ns.end());
  }
  double pct_ms(double p) {
    if (lat_ns.empty()) return 0;
    std::sort(lat_ns.begin(), lat_ns.end());
    const size_t k = std::min(lat_ns.size() - 1, static_cast<size_t>(p / 100.0 * lat_ns.size()));
    return lat_ns[k] / 1e6;
  }
};

// Runs `op(index, thread)` for index 0..n-1 across `threads` threads (each takes the next index),
// after `setup(thread)` ran in every thread; times from the moment all threads are set up to the
// end of the last operation.
Measure run_parallel(int n, int threads, const std::function<void(int)>& setup,
                     const std::function<void(int, int)>& op,
                     const std::function<void(int)>& teardown) {
  std::atomic<int> next{0};
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::vector<std::int64_t>> lat(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      setup(t);
      lat[t].reserve(n / threads + 1);
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      for (;;) {
        const int i = next.fetch_add(1);
        if (i >= n) break;
        const std::int64_t t0 = now_ns();
        op(i, t);
        lat[t].push_back(now_ns() - t0);
      }
      teardown(t);
    });
  }
  while (ready.load() < threads) std::this_thread::sleep_for(std::chrono::microseconds(200));
  const std::int64_t cpu_start = process_cpu_ns();
  const std::int64_t start = now_ns();
  go = true;
  for (auto& th : pool) th.join();
  const std::int64_t end = now_ns();
  Measure m;
  m.ops = n;
  m.wall_ns = end - start;
  m.cpu_ns = process_cpu_ns() - cpu_start;
  for (auto& v : lat) m.lat_ns.insert(m.lat_ns.end(), v.begin(), v.end());
  // The teardown (closing connections) of the last thread is inside [start, end]: negligible next
  // to n operations, and the same for both measures.
  return m;
}

// A Store that forwards to another and times each write: before the body (a connection; on
// SQLite BEGIN, waiting for the write lock), the body (on PostgreSQL, BEGIN goes out with its
// first statement), and after it (COMMIT, when there is a transaction block to commit).
class TimedStore final : public Store {
 public:
  explicit TimedStore(Store& inner) : inner_(inner) {}
  Result<int> migrate() override { return inner_.migrate(); }
  Result<int> schema_version() override { return inner_.schema_version(); }
  Status write(const std::function<Status(Tx&)>& fn) override {
    const std::int64_t t0 = now_ns();
    std::int64_t t1 = 0;
    std::int64_t t2 = 0;
    Status s = inner_.write([&](Tx& tx) -> Status {
      t1 = now_ns();
      Status r = fn(tx);
      t2 = now_ns();
      return r;
    });
    const std::int64_t t3 = now_ns();
    if (t1 != 0 && t2 != 0) {
      writes_.fetch_add(1);
      begin_ns_.fetch_add(t1 - t0);
      body_ns_.fetch_add(t2 - t1);
      commit_ns_.fetch_add(t3 - t2);
    }
    return s;
  }
  Status read(const std::function<Status(Tx&)>& fn) override { return inner_.read(fn); }
  Status ping() override { return inner_.ping(); }
  std::string backend_name() const override { return inner_.backend_name(); }

  void reset() { writes_ = begin_ns_ = body_ns_ = commit_ns_ = 0; }
  std::int64_t writes() const { return writes_; }
  std::int64_t begin_ns() const { return begin_ns_; }
  std::int64_t body_ns() const { return body_ns_; }
  std::int64_t commit_ns() const { return commit_ns_; }

 private:
  Store& inner_;
  std::atomic<std::int64_t> writes_{0}, begin_ns_{0}, body_ns_{0}, commit_ns_{0};
};

struct Breakdown {
  std::int64_t submits = 0;
  std::int64_t submit_ns = 0;  // sum of per-call wall time
  std::int64_t begin_ns = 0, body_ns = 0, commit_ns = 0, writes = 0;
  void add(const TimedStore& s, const Measure& m) {
    submits += m.ops;
    for (auto v : m.lat_ns) submit_ns += v;
    begin_ns += s.begin_ns();
    body_ns += s.body_ns();
    commit_ns += s.commit_ns();
    writes += s.writes();
  }
};

// ---------------------------------------------------------------------------------------------
// The raw table: the feedback table's columns, read from the schema, as a plain table.

struct RawTemplate {
  std::vector<std::string> columns;                // without id
  std::vector<std::optional<std::string>> values;  // a real feedback row's values, as text
  int description = -1, email = -1, fold = -1, tracking = -1, name = -1, title = -1;
  void locate() {
    for (size_t i = 0; i < columns.size(); ++i) {
      const std::string& c = columns[i];
      if (c == "description") description = static_cast<int>(i);
      if (c == "contact_email") email = static_cast<int>(i);
      if (c == "fold") fold = static_cast<int>(i);
      if (c == "tracking_code") tracking = static_cast<int>(i);
      if (c == "contact_name") name = static_cast<int>(i);
      if (c == "title") title = static_cast<int>(i);
    }
    if (description < 0 || email < 0 || fold < 0 || tracking < 0) {
      die("feedback table lacks an expected column (description, contact_email, fold, "
          "tracking_code)");
    }
  }
  // The row for item `i`: the template with that submission's text, contact and a unique code.
  std::vector<std::optional<std::string>> row(const Item& it, std::int64_t i) const {
    auto v = values;
    v[description] = it.description;
    v[email] = it.email;
    v[fold] = it.fold;
    if (name >= 0) v[name] = it.name;
    if (title >= 0) v[title] = it.title;
    std::string code = *values[tracking];
    const std::string suffix = std::to_string(i);
    code = code.substr(0, code.size() > suffix.size() ? code.size() - suffix.size() : 0) + suffix;
    v[tracking] = code;
    return v;
  }
  size_t bytes() const {
    size_t b = 0;
    for (const auto& v : values) b += v ? v->size() : 0;
    return b;
  }
};

std::string join_columns(const std::vector<std::string>& c) {
  std::string s;
  for (size_t i = 0; i < c.size(); ++i) s += (i ? ", " : "") + c[i];
  return s;
}

// ---------------------------------------------------------------------------------------------
// Seeding shared by both backends

const RequestOrigin kOrigin{"bench", "203.0.113.7"};

// Not a stored user: put_service checks the role only (as in tests/feedback).
access::Principal admin_principal() {
  access::Principal p;
  p.user_id = 0;
  p.username = "bench-admin";
  p.unit_code = "VN";
  p.grants = {{Role::kAdmin, "VN", "VN/"}};
  return p;
}

// Units (the tests' small tree), two feedback handlers (commune and province: each submission
// notifies both), an approver (not notified on intake), one category.
void seed(Store& store, FeedbackDesk& desk) {
  testing::seed_small_tree(store);
  Status s = store.write([](Tx& tx) -> Status {
    struct U {
      const char* name;
      Role role;
      const char* unit;
    };
    for (const U& u :
         {U{"xuly.xa", Role::kFeedbackHandler, "14797"},
          U{"xuly.tinh", Role::kFeedbackHandler, "38"}, U{"duyet.xa", Role::kApprover, "14797"}}) {
      User user;
      user.username = u.name;
      user.display_name = u.name;
      user.unit_code = u.unit;
      user.password_hash = "x";
      user.grants = {{u.role, u.unit}};
      NGUON_TRY(tx.insert_user(user));
    }
    return {};
  });
  if (!s) die("seed users: " + s.error().message);
  FeedbackService roads;
  roads.code = "roads";
  roads.name_vi = "Giao thông, đường sá, chiếu sáng";
  roads.name_en = "Roads, bridges and street lights";
  roads.description = "Đường hỏng, cầu cống, đèn đường, biển báo.";
  roads.group = "Hạ tầng";
  Status put = desk.put_service(admin_principal(), roads, kOrigin);
  if (!put) die("put_service: " + put.error().message);
}

FeedbackSettings bench_settings() {
  FeedbackSettings s;
  s.moderate_first_time = false;
  s.submissions_per_contact_per_day = 1'000'000;
  s.portal_base_url = "https://nguon.example.vn";
  return s;
}

void submit_one(FeedbackDesk& desk, const Item& it) {
  Submission s;
  s.service_code = "roads";
  s.title = it.title;
  s.description = it.description;
  s.commune_code = "14797";
  s.contact_name = it.name;
  s.contact_email = it.email;
  s.channel = "web";
  s.ip = "203.0.113.7";
  auto r = desk.submit(std::move(s), nullptr, kOrigin);
  if (!r) die("submit: " + r.error().code + ": " + r.error().message);
}

std::vector<Item> make_items(std::int64_t first, int n) {
  std::vector<Item> items;
  items.reserve(n);
  for (int i = 0; i < n; ++i) items.push_back(make_item(first + i));
  return items;
}

// ---------------------------------------------------------------------------------------------
// A backend: the store for the desk, and the raw inserts on the same database.

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual Store& store() = 0;
  // Opens a second Store on the same database (fresh connections), for the profile pass.
  virtual std::unique_ptr<Store> reopen() = 0;
  virtual std::string describe() = 0;  // durability settings, read back
  // Reads a real feedback row and creates bench_raw with the feedback table's columns.
  virtual RawTemplate prepare_raw() = 0;
  virtual Measure raw(const RawTemplate& t, const std::vector<Item>& items, std::int64_t first,
                      int threads, bool full_sync) = 0;
  virtual std::int64_t count(const std::string& table) = 0;
  // Statement profile of what runs between begin and end (`what`: "raw" or "desk").
  virtual void profile_begin() = 0;
  virtual void profile_end(const std::string& what, int ops) = 0;
  // SQLite only: a second store on the same file with synchronous=NORMAL (the what-if).
  virtual std::unique_ptr<Store> reopen_normal() { return reopen(); }
};

// ---- SQLite ---------------------------------------------------------------------------------

// Statement profile of the store's connections: sqlite3_trace_v2 on every connection opened
// while registered (sqlite3_auto_extension). Times come from our own clock (SQLite's profile
// times have millisecond resolution): STMT marks the start, PROFILE the end.
struct SqlProfile {
  std::mutex mu;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_sql;  // count, ns
  std::vector<sqlite3*> hooked;  // connections with our WAL hook (see wal_cb)
};
SqlProfile g_sql_profile;
int wal_cb(void*, sqlite3* db, const char* name, int pages);
thread_local std::unordered_map<sqlite3_stmt*, std::int64_t> t_stmt_start;

std::string squeeze(std::string_view sql, size_t max) {
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (c == '\n' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  if (out.size() > max) out = out.substr(0, max - 3) + "...";
  return out;
}

int trace_cb(unsigned type, void*, void* p, void*) {
  if (type == SQLITE_TRACE_CLOSE) {
    std::lock_guard lock(g_sql_profile.mu);
    std::erase(g_sql_profile.hooked, static_cast<sqlite3*>(p));
    return 0;
  }
  auto* stmt = static_cast<sqlite3_stmt*>(p);
  if (type == SQLITE_TRACE_STMT) {
    // The WAL hook is installed at the connection's first statement: sqlite3_open sets its own
    // (the auto-checkpoint) after the auto-extensions ran.
    sqlite3* db = sqlite3_db_handle(stmt);
    {
      std::lock_guard lock(g_sql_profile.mu);
      auto& h = g_sql_profile.hooked;
      if (std::find(h.begin(), h.end(), db) == h.end()) {
        h.push_back(db);
        sqlite3_wal_hook(db, wal_cb, nullptr);
      }
    }
    t_stmt_start.try_emplace(stmt, now_ns());
  } else if (type == SQLITE_TRACE_PROFILE) {
    auto it = t_stmt_start.find(stmt);
    if (it == t_stmt_start.end()) return 0;
    const std::int64_t ns = now_ns() - it->second;
    t_stmt_start.erase(it);
    const char* sql = sqlite3_sql(stmt);
    std::lock_guard lock(g_sql_profile.mu);
    auto& e = g_sql_profile.by_sql[squeeze(sql != nullptr ? sql : "?", 96)];
    e.first += 1;
    e.second += ns;
  }
  return 0;
}

// WAL frames (pages) appended per commit: the WAL hook sees the WAL's size after each commit.
// Installing a WAL hook replaces SQLite's auto-checkpoint hook, so this one does what that one
// does (a PASSIVE checkpoint once the WAL holds 1000 pages).
struct WalCount {
  std::mutex mu;
  std::int64_t commits = 0, frames = 0;
  int last = -1;
};
WalCount g_wal;

int wal_cb(void*, sqlite3* db, const char* name, int pages) {
  {
    std::lock_guard lock(g_wal.mu);
    // Hooks of concurrent commits may run out of order: a smaller size is a WAL restart only
    // when it is far smaller (the WAL restarts from frame 1 after a complete checkpoint).
    if (g_wal.last < 0) {  // first commit seen: the WAL's size before it is unknown
      g_wal.last = pages;
    } else {
      g_wal.commits += 1;
      if (pages > g_wal.last) {
        g_wal.frames += pages - g_wal.last;
        g_wal.last = pages;
      } else if (pages < g_wal.last / 2) {
        g_wal.frames += pages;
        g_wal.last = pages;
      }
    }
  }
  if (pages >= 1000)
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  return SQLITE_OK;
}

int trace_entry(sqlite3* db, const char**, const sqlite3_api_routines*) {
  sqlite3_trace_v2(db, SQLITE_TRACE_STMT | SQLITE_TRACE_PROFILE | SQLITE_TRACE_CLOSE, trace_cb,
                   nullptr);
  return SQLITE_OK;
}

using AutoExt = void (*)();

class SqliteBackend final : public Backend {
 public:
  explicit SqliteBackend(const std::string& dir) : path_(dir + "/nguon.sqlite") {
    auto s = sqlite::open_store(options(true));
    if (!s) die("sqlite open: " + s.error().message);
    store_ = std::move(s.value());
    auto v = store_->migrate();
    if (!v) die("sqlite migrate: " + v.error().message);
  }
  std::string name() const override { return "sqlite"; }
  Store& store() override { return *store_; }
  std::unique_ptr<Store> reopen() override { return open(true); }
  std::unique_ptr<Store> reopen_normal() override { return open(false); }
  // The server's settings (adapters/db/sqlite: synchronous=FULL unless storage.sqlite_synchronous
  // = "normal").
  sqlite::SqliteOptions options(bool full) const {
    sqlite::SqliteOptions o;
    o.path = path_;
    o.synchronous_full = full;
    return o;
  }
  std::unique_ptr<Store> open(bool full) {
    auto s = sqlite::open_store(options(full));
    if (!s) die("sqlite reopen: " + s.error().message);
    return std::move(s.value());
  }

  // The store's per-connection pragmas (adapters/db/sqlite/sqlite_store.cpp, open_connection).
  static sqlite3* open_raw(const std::string& path, bool full_sync) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      die("sqlite raw open: " + std::string(db ? sqlite3_errmsg(db) : "oom"));
    }
    sqlite3_busy_timeout(db, 5000);
    exec(db,
         full_sync
             ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
             : "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
    return db;
  }
  static void exec(sqlite3* db, const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string e = err ? err : "?";
      sqlite3_free(err);
      die("sqlite: " + e + " in " + sql.substr(0, 200));
    }
  }

  std::string describe() override {
    sqlite3* db = open_raw(path_, true);
    std::string out =
        "file " + path_ + "; store pragmas journal_mode=" + scalar(db, "PRAGMA journal_mode") +
        " synchronous=" + scalar(db, "PRAGMA synchronous") +
        " (2 = FULL: the WAL is fsynced at every commit, as the server does by default)" +
        "; SQLite " + sqlite3_libversion();
    sqlite3_close_v2(db);
    return out;
  }
  static std::string scalar(sqlite3* db, const char* sql) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
    std::string v = "?";
    if (s && sqlite3_step(s) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(s, 0);
      v = t ? reinterpret_cast<const char*>(t) : "NULL";
    }
    sqlite3_finalize(s);
    return v;
  }

  RawTemplate prepare_raw() override {
    sqlite3* db = open_raw(path_, true);
    RawTemplate t;
    std::string ddl = "CREATE TABLE bench_raw (id INTEGER PRIMARY KEY";
    {
      sqlite3_stmt* s = nullptr;
      sqlite3_prepare_v2(db, "SELECT name, type FROM pragma_table_info('feedback') ORDER BY cid",
                         -1, &s, nullptr);
      while (sqlite3_step(s) == SQLITE_ROW) {
        const std::string col = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
        const std::string type = reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
        if (col == "id") continue;
        t.columns.push_back(col);
        ddl += ", " + col + " " + type;
      }
      sqlite3_finalize(s);
    }
    ddl += ")";
    {
      sqlite3_stmt* s = nullptr;
      const std::string sql =
          "SELECT " + join_columns(t.columns) + " FROM feedback ORDER BY id LIMIT 1";
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) != SQLITE_OK ||
          sqlite3_step(s) != SQLITE_ROW) {
        die("sqlite: no feedback row to copy");
      }
      for (int i = 0; i < static_cast<int>(t.columns.size()); ++i) {
        if (sqlite3_column_type(s, i) == SQLITE_NULL) {
          t.values.emplace_back(std::nullopt);
        } else {
          const auto* v = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
          t.values.emplace_back(std::string(v, sqlite3_column_bytes(s, i)));
        }
      }
      sqlite3_finalize(s);
    }
    exec(db, ddl);
    sqlite3_close_v2(db);
    t.locate();
    return t;
  }

  Measure raw(const RawTemplate& t, const std::vector<Item>& items, std::int64_t first, int threads,
              bool full_sync) override {
    // Values prepared before timing: the raw rate is the store's, not our string building.
    std::vector<std::vector<std::optional<std::string>>> rows;
    rows.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i) rows.push_back(t.row(items[i], first + i));
    std::string sql = "INSERT INTO bench_raw (" + join_columns(t.columns) + ") VALUES (";
    for (size_t i = 0; i < t.columns.size(); ++i) sql += (i ? ", ?" : "?") + std::to_string(i + 1);
    sql += ")";
    struct Conn {
      sqlite3* db = nullptr;
      sqlite3_stmt *begin = nullptr, *insert = nullptr, *commit = nullptr;
    };
    std::vector<Conn> conns(threads);
    auto step = [](sqlite3* db, sqlite3_stmt* s) {
      const int rc = sqlite3_step(s);
      if (rc != SQLITE_DONE) die(std::string("sqlite raw step: ") + sqlite3_errmsg(db));
      sqlite3_reset(s);
    };
    return run_parallel(
        static_cast<int>(items.size()), threads,
        [&](int th) {
          Conn& c = conns[th];
          c.db = open_raw(path_, full_sync);
          sqlite3_prepare_v3(c.db, "BEGIN IMMEDIATE", -1, SQLITE_PREPARE_PERSISTENT, &c.begin,
                             nullptr);
          sqlite3_prepare_v3(c.db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &c.insert, nullptr);
          sqlite3_prepare_v3(c.db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT, &c.commit, nullptr);
          if (!c.begin || !c.insert || !c.commit) die("sqlite raw prepare failed");
        },
        [&](int i, int th) {
          Conn& c = conns[th];
          const auto& row = rows[i];
          for (size_t k = 0; k < row.size(); ++k) {
            if (row[k]) {
              sqlite3_bind_text(c.insert, static_cast<int>(k + 1), row[k]->data(),
                                static_cast<int>(row[k]->size()), SQLITE_STATIC);
            } else {
              sqlite3_bind_null(c.insert, static_cast<int>(k + 1));
            }
          }
          step(c.db, c.begin);
          step(c.db, c.insert);
          step(c.db, c.commit);
        },
        [&](int th) {
          Conn& c = conns[th];
          sqlite3_finalize(c.begin);
          sqlite3_finalize(c.insert);
          sqlite3_finalize(c.commit);
          sqlite3_close_v2(c.db);
        });
  }

  std::int64_t count(const std::string& table) override {
    sqlite3* db = open_raw(path_, true);
    const std::string v = scalar(db, ("SELECT count(*) FROM " + table).c_str());
    sqlite3_close_v2(db);
    return std::stoll(v);
  }

  void profile_begin() override {
    {
      std::lock_guard lock(g_sql_profile.mu);
      g_sql_profile.by_sql.clear();
    }
    {
      std::lock_guard lock(g_wal.mu);
      g_wal.commits = g_wal.frames = 0;
      g_wal.last = -1;
    }
    {
      std::lock_guard lock(g_sql_profile.mu);
      g_sql_profile.hooked.clear();
    }
    sqlite3_auto_extension(reinterpret_cast<AutoExt>(trace_entry));
  }
  void profile_end(const std::string& what, int submissions) override {
    sqlite3_cancel_auto_extension(reinterpret_cast<AutoExt>(trace_entry));
    std::vector<std::pair<std::string, std::pair<std::int64_t, std::int64_t>>> rows(
        g_sql_profile.by_sql.begin(), g_sql_profile.by_sql.end());
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.second.second > b.second.second; });
    std::int64_t calls = 0, ns = 0;
    for (const auto& r : rows) {
      calls += r.second.first;
      ns += r.second.second;
    }
    const char* w = what.c_str();
    std::printf(
        "PROFILE sqlite %s: %d operations, %.1f statements each (wall time in "
        "sqlite3_step; BEGIN IMMEDIATE includes waiting for the write lock)\n",
        w, submissions, static_cast<double>(calls) / submissions);
    std::printf("PROFILE sqlite %s %8s %10s %10s  %s\n", w, "per_op", "us_per_op", "us_each",
                "statement");
    for (const auto& [sql, e] : rows) {
      std::printf("PROFILE sqlite %s %8.2f %10.1f %10.1f  %s\n", w,
                  static_cast<double>(e.first) / submissions, e.second / 1e3 / submissions,
                  e.second / 1e3 / e.first, sql.c_str());
    }
    std::lock_guard lock(g_wal.mu);
    std::printf(
        "PROFILE sqlite %s total: %.1f statements/op, %.1f us/op in statements; %.1f WAL "
        "pages (4 KiB) written per commit over %lld commits\n",
        w, static_cast<double>(calls) / submissions, ns / 1e3 / submissions,
        g_wal.commits > 0 ? static_cast<double>(g_wal.frames) / g_wal.commits : 0.0,
        static_cast<long long>(g_wal.commits));
  }

 private:
  std::string path_;
  std::unique_ptr<Store> store_;
};

// ---- PostgreSQL -----------------------------------------------------------------------------

#ifdef NGUON_BENCH_WITH_POSTGRES

struct PgCloser {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgPtr = std::unique_ptr<PGconn, PgCloser>;

PgPtr pg_connect(const std::string& conninfo) {
  PgPtr c(PQconnectdb(conninfo.c_str()));
  if (!c || PQstatus(c.get()) != CONNECTION_OK) {
    die("postgres connect: " + std::string(c ? PQerrorMessage(c.get()) : "oom"));
  }
  PQsetNoticeProcessor(
      c.get(), [](void*, const char*) {}, nullptr);  // "already exists, skipping"
  return c;
}

// Runs a statement; returns the first column of each row.
std::vector<std::string> pg_exec(PGconn* c, const std::string& sql) {
  PGresult* r = PQexec(c, sql.c_str());
  const auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    std::string e = PQerrorMessage(c);
    PQclear(r);
    die("postgres: " + e + " in " + sql.substr(0, 200));
  }
  std::vector<std::string> out;
  for (int i = 0; i < PQntuples(r); ++i) out.emplace_back(PQgetvalue(r, i, 0));
  PQclear(r);
  return out;
}

// A throwaway cluster like tests/support/pg_server.cpp, but with PostgreSQL's default
// durability (no fsync=off / synchronous_commit=off / full_page_writes=off), plus
// pg_stat_statements loaded (tracking off until --profile turns it on).
class PgCluster {
 public:
  explicit PgCluster(const std::string& base) {
    bindir_ = find_bindir();
    std::string pattern = base + "/nguon-bench-pg-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) die("mkdtemp failed under " + base);
    dir_ = pattern;
    data_ = dir_ + "/data";
    if (geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr) die("running as root but there is no 'postgres' OS user");
      if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) die("cannot chown " + dir_);
    }
    if (run({bindir_ + "initdb", "-D", data_, "-U", "postgres", "--auth=trust", "--encoding=UTF8",
             "--locale=C"},
            dir_ + "/initdb.log") != 0) {
      die("initdb failed; see " + dir_ + "/initdb.log");
    }
    for (int attempt = 0; attempt < 5 && !running_; ++attempt) {
      port_ = free_port();
      const std::string options = "-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) +
                                  " -k " + dir_ +
                                  " -c max_connections=50"
                                  " -c shared_preload_libraries=pg_stat_statements";
      if (run({bindir_ + "pg_ctl", "-D", data_, "-l", dir_ + "/server.log", "-w", "-t", "60", "-o",
               options, "start"},
              dir_ + "/pg_ctl.log") == 0) {
        running_ = true;
      }
    }
    {
      std::lock_guard lock(g_cleanup_mu);
      g_cleanup = [this] { stop(); };
    }
    if (!running_) die("PostgreSQL did not start; see " + dir_ + "/server.log");
    PgPtr c = pg_connect(conninfo("postgres"));
    pg_exec(c.get(), "CREATE DATABASE bench");
    pg_exec(c.get(), "ALTER SYSTEM SET pg_stat_statements.track = 'none'");
    pg_exec(c.get(), "SELECT pg_reload_conf()");
  }
  ~PgCluster() {
    {
      std::lock_guard lock(g_cleanup_mu);
      g_cleanup = nullptr;
    }
    stop();
  }
  // Idempotent; also called by die() and on SIGINT/SIGTERM.
  void stop() {
    std::lock_guard lock(stop_mu_);
    if (running_) {
      if (run({bindir_ + "pg_ctl", "-D", data_, "-m", "fast", "-w", "-t", "30", "stop"},
              dir_ + "/pg_ctl.log") != 0) {
        (void)run({bindir_ + "pg_ctl", "-D", data_, "-m", "immediate", "-w", "stop"},
                  dir_ + "/pg_ctl.log");
      }
      running_ = false;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
      dir_.clear();
    }
  }
  std::string conninfo(const std::string& db) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + db +
           " connect_timeout=10";
  }

 private:
  static std::string find_bindir() {
    if (const char* env = std::getenv("NGUON_PG_BINDIR"); env != nullptr && *env != '\0') {
      return std::string(env) + "/";
    }
    if (FILE* p = ::popen("pg_config --bindir 2>/dev/null", "r"); p != nullptr) {
      char buf[4096] = {};
      std::string out;
      while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
      ::pclose(p);
      while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
      if (!out.empty() && ::access((out + "/initdb").c_str(), X_OK) == 0) return out + "/";
    }
    std::string best;
    double best_v = -1;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
      const double v = std::atof(e.path().filename().c_str());
      if (::access((e.path() / "bin/initdb").c_str(), X_OK) == 0 && v > best_v) {
        best_v = v;
        best = (e.path() / "bin").string() + "/";
      }
    }
    return best;
  }
  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      die("cannot bind a loopback port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
  }
  // Runs argv (as the postgres OS user when root) with output appended to log_path.
  int run(std::vector<std::string> argv, const std::string& log_path) {
    if (geteuid() == 0) argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t pid = ::fork();
    if (pid == 0) {
      // main() blocks SIGINT/SIGTERM in every thread (a watcher thread takes them); the blocked
      // mask survives exec, so give the child the default one.
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
      if (log_fd >= 0) {
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
      }
      if (::chdir(dir_.c_str()) != 0) ::_exit(126);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    if (log_fd >= 0) ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    if (pid < 0) return -1;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string bindir_, dir_, data_;
  int port_ = 0;
  bool running_ = false;
  std::mutex stop_mu_;
};

class PostgresBackend final : public Backend {
 public:
  explicit PostgresBackend(const std::string& base) : cluster_(base) {
    conninfo_ = cluster_.conninfo("bench");
    auto s = postgres::open_store({conninfo_});
    if (!s) die("postgres open: " + s.error().message);
    store_ = std::move(s.value());
    auto v = store_->migrate();
    if (!v) die("postgres migrate: " + v.error().message);
  }
  std::string name() const override { return "postgres"; }
  Store& store() override { return *store_; }
  std::unique_ptr<Store> reopen() override {
    auto s = postgres::open_store({conninfo_});
    if (!s) die("postgres reopen: " + s.error().message);
    return std::move(s.value());
  }
  std::string describe() override {
    PgPtr c = pg_connect(conninfo_);
    std::string out = "throwaway cluster " + pg_exec(c.get(), "SHOW server_version")[0] +
                      "; fsync=" + pg_exec(c.get(), "SHOW fsync")[0] +
                      " synchronous_commit=" + pg_exec(c.get(), "SHOW synchronous_commit")[0] +
                      " full_page_writes=" + pg_exec(c.get(), "SHOW full_page_writes")[0] +
                      " wal_sync_method=" + pg_exec(c.get(), "SHOW wal_sync_method")[0] +
                      " commit_delay=" + pg_exec(c.get(), "SHOW commit_delay")[0];
    return out;
  }

  RawTemplate prepare_raw() override {
    PgPtr c = pg_connect(conninfo_);
    RawTemplate t;
    std::string ddl = "CREATE TABLE bench_raw (id BIGSERIAL PRIMARY KEY";
    {
      PGresult* r = PQexec(c.get(),
                           "SELECT column_name, data_type FROM information_schema.columns "
                           "WHERE table_schema = current_schema() AND table_name = 'feedback' "
                           "ORDER BY ordinal_position");
      if (PQresultStatus(r) != PGRES_TUPLES_OK) die("postgres: cannot read feedback's columns");
      for (int i = 0; i < PQntuples(r); ++i) {
        const std::string col = PQgetvalue(r, i, 0);
        if (col == "id") continue;
        t.columns.push_back(col);
        ddl += ", " + col + " " + PQgetvalue(r, i, 1);
      }
      PQclear(r);
    }
    ddl += ")";
    {
      const std::string sql =
          "SELECT " + join_columns(t.columns) + " FROM feedback ORDER BY id LIMIT 1";
      PGresult* r = PQexec(c.get(), sql.c_str());
      if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        die("postgres: no feedback row to copy");
      }
      for (int i = 0; i < static_cast<int>(t.columns.size()); ++i) {
        if (PQgetisnull(r, 0, i)) {
          t.values.emplace_back(std::nullopt);
        } else {
          t.values.emplace_back(std::string(PQgetvalue(r, 0, i), PQgetlength(r, 0, i)));
        }
      }
      PQclear(r);
    }
    pg_exec(c.get(), ddl);
    t.locate();
    return t;
  }

  Measure raw(const RawTemplate& t, const std::vector<Item>& items, std::int64_t first, int threads,
              bool) override {
    std::vector<std::vector<std::optional<std::string>>> rows;
    rows.reserve(items.size());
    for (size_t i = 0; i < items.size(); ++i) rows.push_back(t.row(items[i], first + i));
    std::string sql = "INSERT INTO bench_raw (" + join_columns(t.columns) + ") VALUES (";
    for (size_t i = 0; i < t.columns.size(); ++i) sql += (i ? ", $" : "$") + std::to_string(i + 1);
    sql += ")";
    std::vector<PgPtr> conns(threads);
    return run_parallel(
        static_cast<int>(items.size()), threads, [&](int th) { conns[th] = pg_connect(conninfo_); },
        [&](int i, int th) {
          // One statement in autocommit: one round trip, committed (and flushed) on return.
          // Parameters as text, like the store (PQexecParams, unnamed statement).
          const auto& row = rows[i];
          std::vector<const char*> values(row.size());
          for (size_t k = 0; k < row.size(); ++k) values[k] = row[k] ? row[k]->c_str() : nullptr;
          PGresult* r = PQexecParams(conns[th].get(), sql.c_str(), static_cast<int>(values.size()),
                                     nullptr, values.data(), nullptr, nullptr, 0);
          if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            die("postgres raw insert: " + std::string(PQerrorMessage(conns[th].get())));
          }
          PQclear(r);
        },
        [&](int th) { conns[th].reset(); });
  }

  std::int64_t count(const std::string& table) override {
    PgPtr c = pg_connect(conninfo_);
    return std::stoll(pg_exec(c.get(), "SELECT count(*) FROM " + table)[0]);
  }

  void profile_begin() override {
    PgPtr c = pg_connect(conninfo_);
    pg_exec(c.get(), "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    pg_exec(c.get(), "ALTER SYSTEM SET pg_stat_statements.track = 'top'");
    pg_exec(c.get(), "SELECT pg_reload_conf()");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    pg_exec(c.get(), "SELECT pg_stat_statements_reset()");
  }
  void profile_end(const std::string& what, int submissions) override {
    PgPtr c = pg_connect(conninfo_);
    pg_exec(c.get(), "ALTER SYSTEM SET pg_stat_statements.track = 'none'");
    pg_exec(c.get(), "SELECT pg_reload_conf()");
    PGresult* r = PQexec(
        c.get(),
        "SELECT calls, total_exec_time, wal_bytes, "
        "left(regexp_replace(query, '\\s+', ' ', 'g'), 96) "
        "FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = "
        "current_database()) AND query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE "
        "'ALTER SYSTEM%' AND query NOT LIKE '%pg_reload_conf%' ORDER BY total_exec_time DESC");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
      die("pg_stat_statements: " + std::string(PQerrorMessage(c.get())));
    double calls = 0, ms = 0, wal = 0;
    const char* w = what.c_str();
    std::printf(
        "PROFILE postgres %s: %d operations; server-side execution time per statement "
        "(pg_stat_statements: neither the round trip nor COMMIT's WAL flush, which "
        "happens after the statement, is included; see BREAKDOWN); each statement is one "
        "client round trip\n",
        w, submissions);
    std::printf("PROFILE postgres %s %8s %10s %10s %9s  %s\n", w, "per_op", "us_per_op", "us_each",
                "wal_B/op", "statement");
    for (int i = 0; i < PQntuples(r); ++i) {
      const double n = std::atof(PQgetvalue(r, i, 0));
      const double t = std::atof(PQgetvalue(r, i, 1));
      const double b = std::atof(PQgetvalue(r, i, 2));
      calls += n;
      ms += t;
      wal += b;
      std::printf("PROFILE postgres %s %8.2f %10.1f %10.1f %9.0f  %s\n", w, n / submissions,
                  t * 1e3 / submissions, n > 0 ? t * 1e3 / n : 0, b / submissions,
                  PQgetvalue(r, i, 3));
    }
    std::printf(
        "PROFILE postgres %s total: %.1f statements/op (round trips), %.1f us/op "
        "executing on the server, %.0f WAL bytes/op\n",
        w, calls / submissions, ms * 1e3 / submissions, wal / submissions);
    PQclear(r);
  }

 private:
  PgCluster cluster_;
  std::string conninfo_;
  std::unique_ptr<Store> store_;
};

#endif  // NGUON_BENCH_WITH_POSTGRES

// ---------------------------------------------------------------------------------------------

// The disk's commit latency right now: fdatasync of a 4 KiB append, 20 times, in `dir`. Shared
// machines vary a lot; PostgreSQL's raw rate follows this closely.
std::string fsync_probe(const std::string& dir) {
  const std::string path = dir + "/fsync-probe";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "fsync probe: cannot create " + path;
  std::vector<std::int64_t> ns;
  const std::string block(4096, 'x');
  for (int i = 0; i < 20; ++i) {
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) break;
    const std::int64_t t0 = now_ns();
    ::fdatasync(fd);
    ns.push_back(now_ns() - t0);
  }
  ::close(fd);
  ::unlink(path.c_str());
  if (ns.empty()) return "fsync probe failed";
  std::sort(ns.begin(), ns.end());
  char buf[160];
  std::snprintf(buf, sizeof buf, "fdatasync of a 4 KiB append in %s: min %.2f p50 %.2f max %.2f ms",
                dir.c_str(), ns.front() / 1e6, ns[ns.size() / 2] / 1e6, ns.back() / 1e6);
  return buf;
}

void run_backend(Backend& b, const Options& o, std::int64_t& next_item) {
  app::SystemClock clock;
  SodiumCrypto crypto(Argon2Profile::kMin);
  workdays::WorkCalendar calendar;
  TimedStore timed(b.store());
  FeedbackDesk desk(timed, clock, crypto, calendar, bench_settings());
  seed(b.store(), desk);
  std::printf("SETUP %s: %s\n", b.name().c_str(), b.describe().c_str());
  std::printf("SETUP %s: %s\n", b.name().c_str(), fsync_probe(o.tmp).c_str());

  // Warm-up (untimed): connections, statement caches, the first pages; one row to copy.
  const int warm = std::max(1, o.warmup);
  {
    auto items = make_items(next_item, warm);
    next_item += warm;
    for (const Item& it : items) submit_one(desk, it);
  }
  const RawTemplate tmpl = b.prepare_raw();
  {
    auto items = make_items(next_item, warm);
    b.raw(tmpl, items, next_item, o.threads, true);
    next_item += warm;
  }
  {
    size_t cps = 0, bytes = 0;
    for (int i = 0; i < 8; ++i) {
      const Item it = make_item(i);
      cps += text::code_points(it.description);
      bytes += it.description.size();
    }
    std::printf(
        "SETUP %s: raw table bench_raw: %zu columns + integer primary key, no index; "
        "row template %zu bytes; description ~%zu characters (%zu bytes)\n",
        b.name().c_str(), tmpl.columns.size(), tmpl.bytes(), cps / 8, bytes / 8);
  }

  Measure raw_all, desk_all;
  Breakdown bd;
  const std::string backend_name = b.name();
  const char* bn = backend_name.c_str();
  for (int round = 1; round <= o.rounds; ++round) {
    const bool raw_first = round % 2 == 1;
    for (int k = 0; k < 2; ++k) {
      const bool do_raw = (k == 0) == raw_first;
      auto items = make_items(next_item, o.n);
      const std::int64_t first = next_item;
      next_item += o.n;
      if (do_raw) {
        Measure m = b.raw(tmpl, items, first, o.threads, true);
        std::printf(
            "ROUND %d %s raw  %9.1f rows/s         p50 %7.3f ms  p99 %7.3f ms  "
            "cpu %6.1f us/op  (%d rows, %.2f s)\n",
            round, bn, m.rate(), m.pct_ms(50), m.pct_ms(99), m.cpu_us(), o.n, m.wall_ns / 1e9);
        raw_all.add(std::move(m));
      } else {
        timed.reset();
        Measure m = run_parallel(
            o.n, o.threads, [](int) {}, [&](int i, int) { submit_one(desk, items[i]); },
            [](int) {});
        std::printf(
            "ROUND %d %s desk %9.1f submissions/s  p50 %7.3f ms  p99 %7.3f ms  "
            "cpu %6.1f us/op  (%d submissions, %.2f s)\n",
            round, bn, m.rate(), m.pct_ms(50), m.pct_ms(99), m.cpu_us(), o.n, m.wall_ns / 1e9);
        bd.add(timed, m);
        desk_all.add(std::move(m));
      }
      std::fflush(stdout);
    }
  }

  const double a = raw_all.rate();
  const double bb = desk_all.rate();
  const double ratio = a > 0 ? bb / a : 0;
  const bool pass = ratio >= 0.5;
  std::printf(
      "RESULT backend=%s raw_rows_per_s=%.1f submissions_per_s=%.1f ratio=%.3f "
      "target=0.5 verdict=%s submit_p50_ms=%.3f submit_p99_ms=%.3f raw_p50_ms=%.3f "
      "raw_p99_ms=%.3f raw_cpu_us=%.1f submit_cpu_us=%.1f threads=%d n=%d rounds=%d\n",
      bn, a, bb, ratio, pass ? "PASS" : "MISS", desk_all.pct_ms(50), desk_all.pct_ms(99),
      raw_all.pct_ms(50), raw_all.pct_ms(99), raw_all.cpu_us(), desk_all.cpu_us(), o.threads, o.n,
      o.rounds);
  if (bd.submits > 0) {
    const double per = 1e3 * bd.submits;  // ns -> us per submission
    const double outside =
        static_cast<double>(bd.submit_ns - bd.begin_ns - bd.body_ns - bd.commit_ns);
    std::printf(
        "BREAKDOWN %s per submission (wall, us): total %.0f = outside Store::write "
        "%.0f + before the body %.0f + body %.0f + COMMIT %.0f "
        "(%.2f writes per submission)\n",
        bn, bd.submit_ns / per, outside / per, bd.begin_ns / per, bd.body_ns / per,
        bd.commit_ns / per, static_cast<double>(bd.writes) / bd.submits);
  }
  std::fflush(stdout);

  // What-if (SQLite): both measures again with synchronous=NORMAL (storage.sqlite_synchronous
  // = "normal": no fsync at commit, so not durable across a power cut; information only).
  std::int64_t extra_fb = 0, extra_raw = 0;
  if (o.sqlite_normal && b.name() == "sqlite") {
    auto raw_items = make_items(next_item, o.n);
    Measure rn = b.raw(tmpl, raw_items, next_item, o.threads, false);
    next_item += o.n;
    extra_raw += o.n;
    Measure dn;
    {
      std::unique_ptr<Store> fresh = b.reopen_normal();
      FeedbackDesk ndesk(*fresh, clock, crypto, calendar, bench_settings());
      auto items = make_items(next_item, o.n);
      next_item += o.n;
      extra_fb += o.n;
      dn = run_parallel(
          o.n, o.threads, [](int) {}, [&](int i, int) { submit_one(ndesk, items[i]); }, [](int) {});
    }
    std::printf(
        "INFO sqlite synchronous=NORMAL (what-if): raw %.1f rows/s (p50 %.3f p99 %.3f ms), "
        "desk %.1f submissions/s (p50 %.3f p99 %.3f ms), ratio %.3f\n",
        rn.rate(), rn.pct_ms(50), rn.pct_ms(99), dn.rate(), dn.pct_ms(50), dn.pct_ms(99),
        rn.rate() > 0 ? dn.rate() / rn.rate() : 0.0);
    std::fflush(stdout);
  }

  // Every acknowledged row is there.
  const std::int64_t fb = b.count("feedback");
  const std::int64_t raw_rows = b.count("bench_raw");
  const std::int64_t want_fb = warm + static_cast<std::int64_t>(o.rounds) * o.n + extra_fb;
  const std::int64_t want_raw = warm + static_cast<std::int64_t>(o.rounds) * o.n + extra_raw;
  std::printf(
      "CHECK %s feedback rows %lld (expected %lld), bench_raw rows %lld (expected "
      "%lld)%s\n",
      bn, static_cast<long long>(fb), static_cast<long long>(want_fb),
      static_cast<long long>(raw_rows), static_cast<long long>(want_raw),
      fb == want_fb && raw_rows == want_raw ? "" : "  MISMATCH");
  std::fflush(stdout);

  if (o.profile > 0) {
    b.profile_begin();
    {
      auto items = make_items(next_item, o.profile);
      b.raw(tmpl, items, next_item, o.threads, true);
      next_item += o.profile;
    }
    b.profile_end("raw", o.profile);
    b.profile_begin();
    {
      std::unique_ptr<Store> fresh = b.reopen();
      FeedbackDesk pdesk(*fresh, clock, crypto, calendar, bench_settings());
      auto items = make_items(next_item, o.profile);
      next_item += o.profile;
      run_parallel(
          o.profile, o.threads, [](int) {}, [&](int i, int) { submit_one(pdesk, items[i]); },
          [](int) {});
    }
    b.profile_end("desk", o.profile);
    std::fflush(stdout);
  }
}

int parse_int(const char* s, const char* what, int lo, int hi) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < lo || v > hi) {
    die(std::string(what) + ": expected an integer in [" + std::to_string(lo) + ", " +
        std::to_string(hi) + "]");
  }
  return static_cast<int>(v);
}

}  // namespace
}  // namespace nguon::bench

int main(int argc, char** argv) {
  using namespace nguon::bench;
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--backend") {
      const std::string v = value();
      if (v == "sqlite") {
        o.postgres = false;
      } else if (v == "postgres") {
        o.sqlite = false;
      } else if (v != "both") {
        die("--backend: sqlite, postgres or both");
      }
    } else if (a == "--n") {
      o.n = parse_int(value(), "--n", 1, 10'000'000);
    } else if (a == "--threads") {
      o.threads = parse_int(value(), "--threads", 1, 64);
    } else if (a == "--rounds") {
      o.rounds = parse_int(value(), "--rounds", 1, 100);
    } else if (a == "--warmup") {
      o.warmup = parse_int(value(), "--warmup", 0, 1'000'000);
    } else if (a == "--profile") {
      o.profile = parse_int(value(), "--profile", 0, 1'000'000);
    } else if (a == "--sqlite-normal") {
      o.sqlite_normal = true;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--backend sqlite|postgres|both] [--n 2000] [--threads 4] "
                   "[--rounds 2] [--warmup 50] [--profile M] [--sqlite-normal]\n",
                   argv[0]);
      return 2;
    }
  }
#ifndef NGUON_BENCH_WITH_POSTGRES
  if (o.postgres && !o.sqlite) die("built without PostgreSQL (NGUON_WITH_POSTGRES=OFF)");
  o.postgres = false;
#endif
  // SIGINT/SIGTERM: stop the throwaway cluster and leave (blocked here, taken by one thread).
  {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread([set] {
      int sig = 0;
      sigwait(&set, &sig);
      std::fprintf(stderr, "bench_feedback_submit: interrupted (signal %d)\n", sig);
      run_cleanup();
      std::_Exit(130);
    }).detach();
  }
  std::string base = fs::temp_directory_path().string();
  o.tmp = base;
  double load[3] = {0, 0, 0};
  if (std::ifstream in("/proc/loadavg"); in) in >> load[0] >> load[1] >> load[2];
  const std::time_t t = std::time(nullptr);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&t));
  std::printf(
      "feedback_submit: %s on %u CPU(s), load average %.2f %.2f %.2f; n=%d threads=%d "
      "rounds=%d (odd rounds raw then desk, even rounds desk then raw) warm-up=%d; "
      "data under %s\n",
      when, std::thread::hardware_concurrency(), load[0], load[1], load[2], o.n, o.threads,
      o.rounds, o.warmup, base.c_str());
  std::fflush(stdout);
  std::int64_t next_item = 0;
  if (o.sqlite) {
    std::string dir = base + "/nguon-bench-sqlite-XXXXXX";
    if (::mkdtemp(dir.data()) == nullptr) die("mkdtemp failed under " + base);
    {
      std::lock_guard lock(g_cleanup_mu);
      g_cleanup = [dir] {
        std::error_code ec;
        fs::remove_all(dir, ec);
      };
    }
    {
      SqliteBackend b(dir);
      run_backend(b, o, next_item);
    }
    run_cleanup();
  }
#ifdef NGUON_BENCH_WITH_POSTGRES
  if (o.postgres) {
    PostgresBackend b(base);
    run_backend(b, o, next_item);
  }
#endif
  return 0;
}
