// The Store contract (core/store.h), run unchanged against every backend: SQLite on a fresh
// temporary file per test, PostgreSQL on a fresh database per test in one throwaway cluster per
// test binary. A behaviour that differs between backends is a bug in one of them.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "adapters/db/sqlite/sqlite_store.h"
#include "core/bulletins_model.h"
#include "core/devices_model.h"
#include "core/feedback_model.h"
#include "core/model.h"
#include "core/result.h"
#include "core/store.h"
#include "core/units.h"

#ifdef NGUON_TEST_POSTGRES
#include <libpq-fe.h>

#include "adapters/db/postgres/postgres_store.h"
#include "tests/support/pg_server.h"
#endif

namespace nguon {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Backends

#ifdef NGUON_TEST_POSTGRES
// One PostgreSQL cluster for the whole binary, started on first use (so a run filtered to
// SQLite never starts it) and stopped when the tests end.
class PgEnvironment final : public ::testing::Environment {
 public:
  nguon::testing::PgServer& server() {
    if (!server_ && error_.empty()) {
      try {
        server_ = std::make_unique<nguon::testing::PgServer>();
      } catch (const std::exception& e) {
        error_ = e.what();
      }
    }
    if (!server_) throw std::runtime_error("cannot start the test PostgreSQL: " + error_);
    return *server_;
  }
  void TearDown() override { server_.reset(); }

 private:
  std::unique_ptr<nguon::testing::PgServer> server_;
  std::string error_;
};

PgEnvironment* const g_pg =
    static_cast<PgEnvironment*>(::testing::AddGlobalTestEnvironment(new PgEnvironment));
#endif

// Where one store's data lives: a SQLite file, or a PostgreSQL database.
struct Target {
  std::string sqlite_dir;
  std::string sqlite_path;
  std::string pg_name;
  std::string pg_conninfo;
};

std::string describe(const Error& e) { return e.code + ": " + e.message; }
std::string describe(const Status& s) { return s.ok() ? "ok" : describe(s.error()); }
template <typename T>
std::string describe(const Result<T>& r) {
  return r.ok() ? "ok" : describe(r.error());
}

// ---------------------------------------------------------------------------------------------
// Fixture

struct Tree {
  Unit vn, p01, p38, c00004, c14797, c16597, v001, v002;
  std::vector<Unit> all() const { return {vn, p01, p38, c00004, c14797, c16597, v001, v002}; }
};

// VN → 38 Thanh Hóa → {14797 Hạc Thành, 16597 Hải Lĩnh → {16597-001, 16597-002}};
// VN → 01 Hà Nội → 00004 Ba Đình.
Tree make_tree() {
  using units::make_unit;
  Tree t;
  t.vn = make_unit("VN", nullptr, UnitLevel::kNation, "quốc gia", "Việt Nam");
  t.p38 = make_unit("38", &t.vn, UnitLevel::kProvince, "tỉnh", "Thanh Hóa");
  t.p01 = make_unit("01", &t.vn, UnitLevel::kProvince, "thành phố trung ương", "Hà Nội");
  t.c14797 = make_unit("14797", &t.p38, UnitLevel::kCommune, "phường", "Hạc Thành");
  t.c16597 = make_unit("16597", &t.p38, UnitLevel::kCommune, "xã", "Hải Lĩnh");
  t.c00004 = make_unit("00004", &t.p01, UnitLevel::kCommune, "phường", "Ba Đình");
  t.v001 = make_unit("16597-001", &t.c16597, UnitLevel::kVillage, "thôn", "Thôn Đông Hải");
  t.v002 = make_unit("16597-002", &t.c16597, UnitLevel::kVillage, "thôn", "Thôn Tây");
  return t;
}

constexpr UnixTime kT0 = 1'790'000'000;

User make_user(const std::string& username, const std::string& unit_code,
               std::vector<Grant> grants = {}) {
  User u;
  u.username = username;
  u.display_name = "Cán bộ " + username;
  u.unit_code = unit_code;
  u.password_hash = "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
  u.created_at = kT0;
  u.updated_at = kT0;
  u.grants = std::move(grants);
  return u;
}

AuditEntry make_entry(std::int64_t seq, const std::string& prev_hash) {
  AuditEntry e;
  e.seq = seq;
  e.at = kT0 + seq;
  e.actor = "admin";
  e.action = "user.create";
  e.target = "user:" + std::to_string(seq);
  e.before = "";
  e.after = "{\"id\":" + std::to_string(seq) + "}";
  e.ip = "127.0.0.1";
  e.prev_hash = prev_hash;
  e.hash = "hash-" + std::to_string(seq);
  return e;
}

// The schema version migrate() ends at.
constexpr int kSchemaVersion = 5;

// SQL that takes a migrated database back to exactly what schema v3 left.
// SQL that takes a migrated database back to exactly what schema v4 left.
std::string drop_schema_v5() {
  return "DROP TABLE alerts; DROP TABLE alert_sources; "
         "DELETE FROM schema_migrations WHERE version >= 5";
}

std::string drop_schema_v4() {
  return "DROP TABLE outbox; DROP TABLE feedback_events; DROP TABLE feedback_attachments; "
         "DROP TABLE feedback; DROP TABLE routing_rules; DROP TABLE agencies; "
         "DROP TABLE feedback_services; ALTER TABLE notifications DROP COLUMN feedback_id; "
         "DELETE FROM schema_migrations WHERE version >= 4";
}

// SQL that takes a migrated database back to exactly what schema v2 left.
std::string drop_schema_v3(bool postgres) {
  return std::string(
             "DROP TABLE play_logs; DROP TABLE broadcast_orders; DROP TABLE programmes; "
             "DROP TABLE device_group_members; DROP TABLE device_groups; DROP TABLE devices; ") +
         (postgres ? "DROP SEQUENCE order_sequence; " : "DROP TABLE order_sequence; ") +
         "DELETE FROM schema_migrations WHERE version >= 3";
}

// A draft with every required field; `fold` is the title (tests use ASCII titles to search).
Bulletin make_bulletin(const std::string& owner_unit, std::int64_t author_id,
                       const std::string& title) {
  Bulletin b;
  b.owner_unit = owner_unit;
  b.title = title;
  b.summary = "Tóm tắt: " + title;
  b.body = "Nội dung: " + title;
  b.category = "society";
  b.author_id = author_id;
  b.fold = title;
  b.created_at = kT0;
  b.updated_at = kT0;
  return b;
}

std::vector<std::int64_t> ids_of(const std::vector<Bulletin>& rows) {
  std::vector<std::int64_t> out;
  for (const Bulletin& b : rows) out.push_back(b.id);
  return out;
}

std::vector<std::int64_t> sorted(std::vector<std::int64_t> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> codes(const std::vector<Unit>& units) {
  std::vector<std::string> out;
  for (const Unit& u : units) out.push_back(u.code);
  return out;
}

std::vector<std::string> usernames(const std::vector<User>& users) {
  std::vector<std::string> out;
  for (const User& u : users) out.push_back(u.username);
  return out;
}

void expect_same_unit(const Unit& a, const Unit& b) {
  EXPECT_EQ(a.code, b.code);
  EXPECT_EQ(a.parent_code, b.parent_code);
  EXPECT_EQ(a.level, b.level);
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.fold, b.fold);
}

void expect_same_user(const User& a, const User& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.username, b.username);
  EXPECT_EQ(a.display_name, b.display_name);
  EXPECT_EQ(a.unit_code, b.unit_code);
  EXPECT_EQ(a.password_hash, b.password_hash);
  EXPECT_EQ(a.disabled, b.disabled);
  EXPECT_EQ(a.failed_logins, b.failed_logins);
  EXPECT_EQ(a.locked_until, b.locked_until);
  EXPECT_EQ(a.must_change_password, b.must_change_password);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
  EXPECT_EQ(a.grants, b.grants);
}

void expect_same_bulletin(const Bulletin& a, const Bulletin& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.owner_unit, b.owner_unit);
  EXPECT_EQ(a.target_units, b.target_units);
  EXPECT_EQ(a.title, b.title);
  EXPECT_EQ(a.summary, b.summary);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.category, b.category);
  EXPECT_EQ(a.priority, b.priority);
  EXPECT_EQ(a.language, b.language);
  EXPECT_EQ(a.author_id, b.author_id);
  EXPECT_EQ(a.pen_name, b.pen_name);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.valid_from, b.valid_from);
  EXPECT_EQ(a.valid_until, b.valid_until);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.revision, b.revision);
  EXPECT_EQ(a.return_reason, b.return_reason);
  EXPECT_EQ(a.approved_by, b.approved_by);
  EXPECT_EQ(a.submitted_at, b.submitted_at);
  EXPECT_EQ(a.approved_at, b.approved_at);
  EXPECT_EQ(a.published_at, b.published_at);
  EXPECT_EQ(a.audio.sha256, b.audio.sha256);
  EXPECT_EQ(a.audio.seconds, b.audio.seconds);  // exact: the stored double reads back as is
  EXPECT_EQ(a.audio.origin, b.audio.origin);
  EXPECT_EQ(a.audio.voice, b.audio.voice);
  EXPECT_EQ(a.images, b.images);
  EXPECT_EQ(a.fold, b.fold);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
}

void expect_same_notification(const Notification& a, const Notification& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.user_id, b.user_id);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.message, b.message);
  EXPECT_EQ(a.bulletin_id, b.bulletin_id);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.read, b.read);
  EXPECT_EQ(a.feedback_id, b.feedback_id);
}

void expect_same_entry(const AuditEntry& a, const AuditEntry& b) {
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.at, b.at);
  EXPECT_EQ(a.actor, b.actor);
  EXPECT_EQ(a.action, b.action);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.before, b.before);
  EXPECT_EQ(a.after, b.after);
  EXPECT_EQ(a.ip, b.ip);
  EXPECT_EQ(a.prev_hash, b.prev_hash);
  EXPECT_EQ(a.hash, b.hash);
}

class StoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    target_ = new_target();
    ASSERT_FALSE(HasFailure());
    store_ = open(target_);
    ASSERT_NE(store_, nullptr);
    auto v = store_->migrate();
    ASSERT_TRUE(v.ok()) << describe(v);
    ASSERT_GE(v.value(), 1);
    version_ = v.value();
    tree_ = make_tree();
    must_write([&](Tx& tx) -> Status {
      for (const Unit& u : tree_.all()) NGUON_TRY(tx.insert_unit(u));
      return {};
    });
  }

  void TearDown() override {
    store_.reset();
    for (const Target& t : targets_) {
      if (!t.sqlite_dir.empty()) {
        std::error_code ec;
        fs::remove_all(t.sqlite_dir, ec);
      }
#ifdef NGUON_TEST_POSTGRES
      if (!t.pg_name.empty()) g_pg->server().drop_database(t.pg_name);
#endif
    }
  }

  bool is_postgres() const { return GetParam() == "postgres"; }

  // A new, empty place for a store (not migrated).
  Target new_target() {
    Target t;
    if (is_postgres()) {
#ifdef NGUON_TEST_POSTGRES
      try {
        auto db = g_pg->server().create_database();
        t.pg_name = db.name;
        t.pg_conninfo = db.conninfo;
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
      }
#else
      ADD_FAILURE() << "built without PostgreSQL";
#endif
    } else {
      std::string pattern = (fs::temp_directory_path() / "nguon-store-XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) {
        ADD_FAILURE() << "mkdtemp failed";
      } else {
        t.sqlite_dir = pattern;
        t.sqlite_path = pattern + "/nguon.sqlite";
      }
    }
    targets_.push_back(t);
    return t;
  }

  std::unique_ptr<Store> open(const Target& t) {
    Result<std::unique_ptr<Store>> s = internal("unknown backend " + GetParam());
    if (is_postgres()) {
#ifdef NGUON_TEST_POSTGRES
      s = postgres::open_store(postgres::PostgresOptions{t.pg_conninfo});
#endif
    } else {
      s = sqlite::open_store(sqlite::SqliteOptions{t.sqlite_path});
    }
    EXPECT_TRUE(s.ok()) << describe(s);
    return s.ok() ? std::move(s.value()) : nullptr;
  }

  // Runs `sql` on a connection of our own, bypassing the store. Returns "" on success, else
  // the backend's error message.
  std::string raw_sql(const Target& t, const std::string& sql) {
    if (is_postgres()) {
#ifdef NGUON_TEST_POSTGRES
      PGconn* c = PQconnectdb(t.pg_conninfo.c_str());
      std::string error;
      if (PQstatus(c) != CONNECTION_OK) {
        error = std::string("connect: ") + PQerrorMessage(c);
      } else {
        PGresult* r = PQexec(c, sql.c_str());
        const auto st = PQresultStatus(r);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) error = PQerrorMessage(c);
        PQclear(r);
      }
      PQfinish(c);
      return error;
#else
      return "built without PostgreSQL";
#endif
    }
    sqlite3* db = nullptr;
    std::string error;
    if (sqlite3_open_v2(t.sqlite_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      error = std::string("open: ") + sqlite3_errmsg(db);
    } else {
      sqlite3_busy_timeout(db, 5000);
      char* msg = nullptr;
      if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
        error = msg != nullptr ? msg : "error";
      }
      sqlite3_free(msg);
    }
    sqlite3_close_v2(db);
    return error;
  }

  void must_write(const std::function<Status(Tx&)>& fn) { must_write(*store_, fn); }
  static void must_write(Store& store, const std::function<Status(Tx&)>& fn) {
    Status st = store.write(fn);
    EXPECT_TRUE(st.ok()) << describe(st);
  }

  // The value of `f(tx)` in a read transaction (default-constructed on error, which fails).
  template <typename F>
  static auto fetch(Store& store, F f) {
    using R = std::invoke_result_t<F, Tx&>;
    using T = std::remove_cvref_t<decltype(std::declval<R&>().value())>;
    T out{};
    Status st = store.read([&](Tx& tx) -> Status {
      R r = f(tx);
      if (!r) return r.error();
      out = std::move(r.value());
      return {};
    });
    EXPECT_TRUE(st.ok()) << describe(st);
    return out;
  }
  template <typename F>
  auto fetch(F f) {
    return fetch(*store_, std::move(f));
  }

  std::int64_t add_user(const User& u) {
    std::int64_t id = 0;
    must_write([&](Tx& tx) -> Status {
      auto r = tx.insert_user(u);
      if (!r) return r.error();
      id = r.value();
      return {};
    });
    return id;
  }

  // Appends `n` chained entries after whatever is there.
  void append_entries(int n) {
    for (int i = 0; i < n; ++i) {
      must_write([&](Tx& tx) -> Status {
        auto last = tx.last_audit();
        if (!last) return last.error();
        const std::int64_t seq = last.value() ? last.value()->seq + 1 : 1;
        return tx.append_audit(make_entry(seq, last.value() ? last.value()->hash : ""));
      });
    }
  }

  std::int64_t unit_count() {
    return fetch([](Tx& tx) { return tx.count_units(std::nullopt); });
  }

  // The path of a unit of the fixture tree ("" when unknown).
  std::string path_of(const std::string& code) const {
    for (const Unit& u : tree_.all()) {
      if (u.code == code) return u.path;
    }
    return "";
  }

  // Inserts `b` under its owner's path; returns the new id.
  std::int64_t add_bulletin(const Bulletin& b) {
    std::int64_t id = 0;
    must_write([&](Tx& tx) -> Status {
      auto r = tx.insert_bulletin(b, path_of(b.owner_unit));
      if (!r) return r.error();
      id = r.value();
      return {};
    });
    return id;
  }

  std::vector<std::int64_t> search_ids(const BulletinQuery& q) {
    return ids_of(fetch([&](Tx& tx) { return tx.search_bulletins(q); }));
  }

  // Ids in the library of the fixture unit `code` at `now`, in the order returned.
  std::vector<std::int64_t> library_ids(const std::string& code, UnixTime now, size_t limit = 100) {
    const std::string path = path_of(code);
    return ids_of(fetch([&](Tx& tx) { return tx.library_bulletins(path, now, limit); }));
  }

  std::vector<Target> targets_;
  Target target_;
  std::unique_ptr<Store> store_;
  int version_ = 0;
  Tree tree_;
};

// ---------------------------------------------------------------------------------------------
// Store: lifecycle and migrations

TEST_P(StoreContract, ReportsBackendNameAndPings) {
  EXPECT_EQ(store_->backend_name(), GetParam());
  Status ping = store_->ping();
  EXPECT_TRUE(ping.ok()) << describe(ping);
}

TEST_P(StoreContract, SchemaVersionIsZeroBeforeMigrate) {
  Target fresh = new_target();
  auto store = open(fresh);
  ASSERT_NE(store, nullptr);
  auto v = store->schema_version();
  ASSERT_TRUE(v.ok()) << describe(v);
  EXPECT_EQ(v.value(), 0);
}

TEST_P(StoreContract, MigrateIsIdempotent) {
  auto again = store_->migrate();
  ASSERT_TRUE(again.ok()) << describe(again);
  EXPECT_EQ(again.value(), version_);
  auto current = store_->schema_version();
  ASSERT_TRUE(current.ok()) << describe(current);
  EXPECT_EQ(current.value(), version_);

  // A restart: a new store on the same data migrates to the same version, data intact.
  auto reopened = open(target_);
  ASSERT_NE(reopened, nullptr);
  auto third = reopened->migrate();
  ASSERT_TRUE(third.ok()) << describe(third);
  EXPECT_EQ(third.value(), version_);
  EXPECT_EQ(fetch(*reopened, [](Tx& tx) { return tx.count_units(std::nullopt); }), 8);
}

TEST_P(StoreContract, ConcurrentMigrateOnFreshDatabasesSucceeds) {
  for (int round = 0; round < 3; ++round) {
    Target fresh = new_target();
    constexpr int kProcesses = 3;
    std::vector<std::unique_ptr<Store>> stores;
    for (int i = 0; i < kProcesses; ++i) {
      stores.push_back(open(fresh));
      ASSERT_NE(stores.back(), nullptr);
    }
    std::vector<std::optional<Result<int>>> results(kProcesses);
    std::latch start(kProcesses);
    std::vector<std::thread> threads;
    for (int i = 0; i < kProcesses; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        results[static_cast<size_t>(i)].emplace(stores[static_cast<size_t>(i)]->migrate());
      });
    }
    for (auto& t : threads) t.join();
    for (const auto& r : results) {
      ASSERT_TRUE(r.has_value());
      ASSERT_TRUE(r->ok()) << "round " << round << ": " << describe(*r);
      EXPECT_EQ(r->value(), version_);
    }
    auto v = stores[0]->schema_version();
    ASSERT_TRUE(v.ok()) << describe(v);
    EXPECT_EQ(v.value(), version_);
    // The schema is usable.
    must_write(*stores[1], [&](Tx& tx) { return tx.insert_unit(tree_.vn); });
  }
}

TEST_P(StoreContract, CommittedDataIsVisibleToAnotherStore) {
  auto other = open(target_);
  ASSERT_NE(other, nullptr);
  auto unit = fetch(*other, [](Tx& tx) { return tx.find_unit("16597-002"); });
  ASSERT_TRUE(unit.has_value());
  expect_same_unit(*unit, tree_.v002);
}

// ---------------------------------------------------------------------------------------------
// Transactions

TEST_P(StoreContract, WriteRollsBackWhenTheFunctionReturnsAnError) {
  Status st = store_->write([&](Tx& tx) -> Status {
    NGUON_TRY(tx.insert_unit(
        units::make_unit("16597-003", &tree_.c16597, UnitLevel::kVillage, "thôn", "Thôn Mới")));
    auto id = tx.insert_user(make_user("ghost", "16597", {{Role::kEditor, "16597"}}));
    if (!id) return id.error();
    NGUON_TRY(tx.append_audit(make_entry(1, "")));
    NGUON_TRY(tx.update_unit_name("38", "Đổi tên", "doi ten"));
    return invalid("custom_code", "stop here");
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(st.error().code, "custom_code");  // the function's error comes back unchanged

  EXPECT_EQ(unit_count(), 8);
  EXPECT_EQ(fetch([](Tx& tx) { return tx.count_users(); }), 0);
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.last_audit(); }).has_value());
  EXPECT_EQ(fetch([](Tx& tx) { return tx.find_unit("38"); })->name, "Thanh Hóa");
}

TEST_P(StoreContract, WriteRollsBackOnException) {
  bool threw = false;
  Status st;
  try {
    st = store_->write([&](Tx& tx) -> Status {
      NGUON_TRY(tx.insert_unit(
          units::make_unit("16597-003", &tree_.c16597, UnitLevel::kVillage, "thôn", "Thôn Mới")));
      NGUON_TRY(tx.append_audit(make_entry(1, "")));
      throw std::runtime_error("boom");
    });
  } catch (const std::runtime_error&) {
    threw = true;
  }
  EXPECT_TRUE(threw || !st.ok()) << "an exception must not commit";
  EXPECT_EQ(unit_count(), 8);
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.last_audit(); }).has_value());

  // The connection that saw the exception went back clean: the store keeps working.
  for (int i = 0; i < 3; ++i) {
    must_write([&](Tx& tx) -> Status {
      return tx.insert_unit(units::make_unit("16597-10" + std::to_string(i), &tree_.c16597,
                                             UnitLevel::kVillage, "thôn",
                                             "Thôn " + std::to_string(i)));
    });
  }
  EXPECT_EQ(unit_count(), 11);
}

// Concurrent writers (the SQLite store commits them in groups): every write that succeeds is
// committed whole, every one that fails or throws leaves nothing, whatever ran beside it, and
// the audit chain stays linear.
TEST_P(StoreContract, ConcurrentWritesCommitOrRollBackEachOnItsOwn) {
  constexpr int kThreads = 6;
  constexpr int kPerThread = 15;
  std::atomic<int> ok_count{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string code = "16597-" + std::to_string(200 + t * kPerThread + i);
        const int kind = i % 3;  // 0: commits, 1: returns an error, 2: throws
        try {
          Status st = store_->write([&](Tx& tx) -> Status {
            NGUON_TRY(tx.insert_unit(units::make_unit(code, &tree_.c16597, UnitLevel::kVillage,
                                                      "thôn", "Thôn " + code)));
            if (kind == 1) return invalid("custom_code", "undo " + code);
            if (kind == 2) throw std::runtime_error("boom " + code);
            auto last = tx.last_audit();
            if (!last) return last.error();
            AuditEntry e = make_entry(last.value() ? last.value()->seq + 1 : 1,
                                      last.value() ? last.value()->hash : "");
            return tx.append_audit(e);
          });
          if (st.ok()) ok_count.fetch_add(1);
        } catch (const std::runtime_error&) {
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok_count.load(), kThreads * kPerThread / 3);
  EXPECT_EQ(unit_count(), 8 + kThreads * kPerThread / 3);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      const std::string code = "16597-" + std::to_string(200 + t * kPerThread + i);
      EXPECT_EQ(fetch([&](Tx& tx) { return tx.find_unit(code); }).has_value(), i % 3 == 0) << code;
    }
  }
  auto chain = fetch([](Tx& tx) { return tx.scan_audit(0, 1000); });
  ASSERT_EQ(chain.size(), static_cast<size_t>(kThreads * kPerThread / 3));
  for (size_t k = 0; k < chain.size(); ++k)
    EXPECT_EQ(chain[k].seq, static_cast<std::int64_t>(k + 1));
}

TEST_P(StoreContract, ReadSeesOneSnapshot) {
  std::int64_t before = -1;
  std::int64_t during = -1;
  Status concurrent;
  Status st = store_->read([&](Tx& tx) -> Status {
    auto n = tx.count_units(std::nullopt);
    if (!n) return n.error();
    before = n.value();
    // Another connection commits while this read is open.
    std::thread writer([&] {
      concurrent = store_->write([&](Tx& w) {
        return w.insert_unit(
            units::make_unit("16597-003", &tree_.c16597, UnitLevel::kVillage, "thôn", "Thôn Mới"));
      });
    });
    writer.join();
    auto m = tx.count_units(std::nullopt);
    if (!m) return m.error();
    during = m.value();
    auto found = tx.find_unit("16597-003");
    if (!found) return found.error();
    EXPECT_FALSE(found.value().has_value()) << "a read must not see a later commit";
    return {};
  });
  ASSERT_TRUE(st.ok()) << describe(st);
  ASSERT_TRUE(concurrent.ok()) << describe(concurrent);
  EXPECT_EQ(before, 8);
  EXPECT_EQ(during, 8);
  EXPECT_EQ(unit_count(), 9);
}

TEST_P(StoreContract, TransactionStaysUsableAfterAConflict) {
  Status st = store_->write([&](Tx& tx) -> Status {
    Status dup = tx.insert_unit(tree_.p38);
    EXPECT_FALSE(dup.ok());
    auto taken = tx.insert_user(make_user("x", "38"));
    EXPECT_TRUE(taken.ok()) << describe(taken);
    auto again = tx.insert_user(make_user("x", "16597", {{Role::kViewer, "16597"}}));
    EXPECT_FALSE(again.ok());
    // The failed calls left nothing behind and the transaction goes on.
    return tx.insert_unit(
        units::make_unit("16597-003", &tree_.c16597, UnitLevel::kVillage, "thôn", "Thôn Mới"));
  });
  ASSERT_TRUE(st.ok()) << describe(st);
  EXPECT_EQ(unit_count(), 9);
  auto x = fetch([](Tx& tx) { return tx.find_user_by_name("x"); });
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(x->unit_code, "38");
  EXPECT_TRUE(x->grants.empty());
  EXPECT_EQ(fetch([](Tx& tx) { return tx.count_users(); }), 1);
}

// ---------------------------------------------------------------------------------------------
// Units

TEST_P(StoreContract, UnitsRoundTrip) {
  for (const Unit& expected : tree_.all()) {
    auto found = fetch([&](Tx& tx) { return tx.find_unit(expected.code); });
    ASSERT_TRUE(found.has_value()) << expected.code;
    expect_same_unit(*found, expected);
  }
  EXPECT_EQ(fetch([](Tx& tx) { return tx.find_unit("VN"); })->parent_code, "");
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_unit("99999"); }).has_value());
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_unit(""); }).has_value());
}

TEST_P(StoreContract, ChildrenOrderedByCode) {
  EXPECT_EQ(codes(fetch([](Tx& tx) { return tx.children("VN"); })),
            (std::vector<std::string>{"01", "38"}));
  EXPECT_EQ(codes(fetch([](Tx& tx) { return tx.children("16597"); })),
            (std::vector<std::string>{"16597-001", "16597-002"}));
  EXPECT_TRUE(fetch([](Tx& tx) { return tx.children("16597-001"); }).empty());
  EXPECT_TRUE(fetch([](Tx& tx) { return tx.children("nope"); }).empty());
}

TEST_P(StoreContract, DuplicateUnitIsUnitExists) {
  Status st = store_->write([&](Tx& tx) { return tx.insert_unit(tree_.c16597); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(st.error().code, "unit_exists");
  EXPECT_EQ(unit_count(), 8);
}

TEST_P(StoreContract, UnitWithUnknownParentIsInvalidReference) {
  Unit orphan = tree_.v001;
  orphan.code = "99999-001";
  orphan.parent_code = "99999";
  orphan.path = "VN/38/99999/99999-001/";
  Status st = store_->write([&](Tx& tx) { return tx.insert_unit(orphan); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(st.error().code, "invalid_reference");
}

TEST_P(StoreContract, UpdateUnitName) {
  must_write([](Tx& tx) { return tx.update_unit_name("16597-001", "Thôn Đông", "thon dong"); });
  auto u = fetch([](Tx& tx) { return tx.find_unit("16597-001"); });
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->name, "Thôn Đông");
  EXPECT_EQ(u->fold, "thon dong");
  EXPECT_EQ(u->path, tree_.v001.path);
  EXPECT_EQ(codes(fetch([](Tx& tx) {
              return tx.search_units({"", "thon dong", {}, 10});
            })),
            (std::vector<std::string>{"16597-001"}));
}

TEST_P(StoreContract, CountUnitsByLevel) {
  EXPECT_EQ(unit_count(), 8);
  EXPECT_EQ(fetch([](Tx& tx) { return tx.count_units(UnitLevel::kNation); }), 1);
  EXPECT_EQ(fetch([](Tx& tx) { return tx.count_units(UnitLevel::kProvince); }), 2);
  EXPECT_EQ(fetch([](Tx& tx) { return tx.count_units(UnitLevel::kCommune); }), 3);
  EXPECT_EQ(fetch([](Tx& tx) { return tx.count_units(UnitLevel::kVillage); }), 2);
}

TEST_P(StoreContract, SearchOrdersByLevelThenCodeAndLimits) {
  EXPECT_EQ(codes(fetch([](Tx& tx) {
              return tx.search_units({"", "", {}, 50});
            })),
            (std::vector<std::string>{"VN", "01", "38", "00004", "14797", "16597", "16597-001",
                                      "16597-002"}));
  EXPECT_EQ(codes(fetch([](Tx& tx) {
              return tx.search_units({"", "", {}, 3});
            })),
            (std::vector<std::string>{"VN", "01", "38"}));
  EXPECT_TRUE(fetch([](Tx& tx) { return tx.search_units({"", "", {}, 0}); }).empty());
}

TEST_P(StoreContract, SearchFiltersByPathFoldAndLevel) {
  auto search = [&](UnitQuery q) {
    return codes(fetch([&](Tx& tx) { return tx.search_units(q); }));
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(search({"VN/38/", "", {}, 50}), (V{"38", "14797", "16597", "16597-001", "16597-002"}));
  EXPECT_EQ(search({"VN/38/16597/", "", {}, 50}), (V{"16597", "16597-001", "16597-002"}));
  EXPECT_EQ(search({"VN/38/", "", UnitLevel::kCommune, 50}), (V{"14797", "16597"}));
  EXPECT_EQ(search({"", "", UnitLevel::kProvince, 50}), (V{"01", "38"}));
  EXPECT_EQ(search({"", "hai", {}, 50}), (V{"16597", "16597-001"}));  // "hải lĩnh", "đông hải"
  EXPECT_EQ(search({"", "hai", UnitLevel::kVillage, 50}), (V{"16597-001"}));
  EXPECT_EQ(search({"VN/01/", "hai", {}, 50}), V{});
  EXPECT_EQ(search({"", "thanh", {}, 50}), (V{"38", "14797"}));  // "thanh hoa", "hac thanh"
  EXPECT_EQ(search({"VN/38/14797/", "", {}, 50}), (V{"14797"}));
  EXPECT_EQ(search({"VN/99/", "", {}, 50}), V{});
  EXPECT_EQ(search({"", "khong co", {}, 50}), V{});
}

TEST_P(StoreContract, SearchTreatsLikeMetacharactersLiterally) {
  auto village = [&](const std::string& code, const std::string& fold) {
    Unit u = units::make_unit(code, &tree_.c16597, UnitLevel::kVillage, "thôn", fold);
    u.fold = fold;
    return u;
  };
  must_write([&](Tx& tx) -> Status {
    NGUON_TRY(tx.insert_unit(village("16597-010", "thon 100%")));
    NGUON_TRY(tx.insert_unit(village("16597-011", "thon a_b")));
    NGUON_TRY(tx.insert_unit(village("16597-012", "thon a\\b")));
    NGUON_TRY(tx.insert_unit(village("16597-013", "thon axb")));
    NGUON_TRY(tx.insert_unit(village("16597-014", "thon 1000")));
    return {};
  });
  auto search = [&](UnitQuery q) {
    return codes(fetch([&](Tx& tx) { return tx.search_units(q); }));
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(search({"", "%", {}, 50}), V{"16597-010"});
  EXPECT_EQ(search({"", "100%", {}, 50}), V{"16597-010"});
  EXPECT_EQ(search({"", "_", {}, 50}), V{"16597-011"});
  EXPECT_EQ(search({"", "a_b", {}, 50}), V{"16597-011"});
  EXPECT_EQ(search({"", "\\", {}, 50}), V{"16597-012"});
  EXPECT_EQ(search({"", "a\\b", {}, 50}), V{"16597-012"});
  EXPECT_EQ(search({"", "a\\", {}, 50}), V{"16597-012"});
  EXPECT_EQ(search({"", "%%", {}, 50}), V{});
  EXPECT_EQ(search({"VN/%", "", {}, 50}), V{});
  EXPECT_EQ(search({"VN/3_/", "", {}, 50}), V{});
  EXPECT_EQ(search({"%", "", {}, 50}), V{});
  EXPECT_EQ(search({"_", "", {}, 50}), V{});
}

TEST_P(StoreContract, SearchPathPrefixIsCaseSensitive) {
  // "starts with" is exact: codes are case-sensitive keys ("VN" is not "vn").
  using V = std::vector<std::string>;
  add_user(make_user("lan", "38"));
  EXPECT_EQ(codes(fetch([](Tx& tx) { return tx.search_units({"vn/", "", {}, 50}); })), V{});
  EXPECT_EQ(usernames(fetch([](Tx& tx) { return tx.list_users("vn/"); })), V{});
}

// ---------------------------------------------------------------------------------------------
// Legacy communes

TEST_P(StoreContract, LegacyCommunes) {
  const LegacyCommune a{"16600",          "Xã Hải Hà", "Huyện Tĩnh Gia",
                        "Tỉnh Thanh Hóa", "16597",     "Nhập một phần"};
  const LegacyCommune b{"16600",          "Xã Hải Hà", "Huyện Tĩnh Gia",
                        "Tỉnh Thanh Hóa", "14797",     "Nhập một phần"};
  const LegacyCommune c{"16603",          "Xã Hải Lĩnh", "Huyện Tĩnh Gia",
                        "Tỉnh Thanh Hóa", "16597",       "Nhập toàn bộ"};
  must_write([&](Tx& tx) -> Status {
    NGUON_TRY(tx.insert_legacy(a));
    NGUON_TRY(tx.insert_legacy(b));
    return tx.insert_legacy(c);
  });
  auto rows = fetch([](Tx& tx) { return tx.find_legacy("16600"); });
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].new_code, "14797");  // ordered by new_code
  EXPECT_EQ(rows[1].new_code, "16597");
  EXPECT_EQ(rows[1].old_name, a.old_name);
  EXPECT_EQ(rows[1].old_district, a.old_district);
  EXPECT_EQ(rows[1].old_province, a.old_province);
  EXPECT_EQ(rows[1].note, a.note);
  EXPECT_EQ(fetch([](Tx& tx) { return tx.find_legacy("16603"); }).size(), 1u);
  EXPECT_TRUE(fetch([](Tx& tx) { return tx.find_legacy("00000"); }).empty());
}

// ---------------------------------------------------------------------------------------------
// Users

TEST_P(StoreContract, UserRoundTripWithGrantsOrderedByUnitThenRole) {
  User u = make_user("lan.nguyen", "16597",
                     {{Role::kViewer, "38"},
                      {Role::kEditor, "16597"},
                      {Role::kAdmin, "38"},
                      {Role::kApprover, "16597"}});
  u.disabled = true;
  u.failed_logins = 3;
  u.locked_until = kT0 + 900;
  u.must_change_password = true;
  u.updated_at = kT0 + 5;
  const std::int64_t id = add_user(u);
  ASSERT_GT(id, 0);
  u.id = id;
  u.grants = {{Role::kApprover, "16597"},
              {Role::kEditor, "16597"},
              {Role::kAdmin, "38"},
              {Role::kViewer, "38"}};

  auto by_id = fetch([&](Tx& tx) { return tx.find_user(id); });
  ASSERT_TRUE(by_id.has_value());
  expect_same_user(*by_id, u);
  auto by_name = fetch([](Tx& tx) { return tx.find_user_by_name("lan.nguyen"); });
  ASSERT_TRUE(by_name.has_value());
  expect_same_user(*by_name, u);

  EXPECT_FALSE(fetch([&](Tx& tx) { return tx.find_user(id + 1000); }).has_value());
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_user_by_name("nobody"); }).has_value());
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_user_by_name("LAN.NGUYEN"); }).has_value());

  const std::int64_t second = add_user(make_user("minh", "38"));
  EXPECT_GT(second, 0);
  EXPECT_NE(second, id);
  EXPECT_EQ(fetch([](Tx& tx) { return tx.count_users(); }), 2);
}

TEST_P(StoreContract, DuplicateUsernameIsUsernameTaken) {
  add_user(make_user("lan", "38"));
  Status st = store_->write([&](Tx& tx) -> Status {
    auto r = tx.insert_user(make_user("lan", "16597", {{Role::kEditor, "16597"}}));
    if (!r) return r.error();
    return {};
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(st.error().code, "username_taken");
  EXPECT_EQ(fetch([](Tx& tx) { return tx.count_users(); }), 1);
  EXPECT_EQ(fetch([](Tx& tx) { return tx.find_user_by_name("lan"); })->unit_code, "38");
}

TEST_P(StoreContract, UnknownUnitReferenceIsInvalidReference) {
  auto insert = [&](const User& u) {
    return store_->write([&](Tx& tx) -> Status {
      auto r = tx.insert_user(u);
      if (!r) return r.error();
      return {};
    });
  };
  Status bad_unit = insert(make_user("a", "99999"));
  ASSERT_FALSE(bad_unit.ok());
  EXPECT_EQ(bad_unit.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(bad_unit.error().code, "invalid_reference");

  Status bad_grant = insert(make_user("b", "38", {{Role::kEditor, "99999"}}));
  ASSERT_FALSE(bad_grant.ok());
  EXPECT_EQ(bad_grant.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(bad_grant.error().code, "invalid_reference");
  EXPECT_EQ(fetch([](Tx& tx) { return tx.count_users(); }), 0);
}

TEST_P(StoreContract, UpdateUserReplacesGrantsAndMutableColumns) {
  User u = make_user("lan", "38", {{Role::kAdmin, "38"}, {Role::kViewer, "01"}});
  u.id = add_user(u);
  ASSERT_GT(u.id, 0);

  User changed = u;
  changed.username = "renamed";     // not updatable
  changed.created_at = kT0 + 9999;  // not updatable
  changed.display_name = "Nguyễn Thị Lan";
  changed.unit_code = "16597";
  changed.password_hash = "$argon2id$new";
  changed.disabled = true;
  changed.failed_logins = 4;
  changed.locked_until = kT0 + 60;
  changed.must_change_password = true;
  changed.updated_at = kT0 + 100;
  changed.grants = {{Role::kEditor, "16597-001"}, {Role::kEditor, "16597"}};
  must_write([&](Tx& tx) { return tx.update_user(changed); });

  User expected = changed;
  expected.username = "lan";
  expected.created_at = kT0;
  expected.grants = {{Role::kEditor, "16597"}, {Role::kEditor, "16597-001"}};
  auto found = fetch([&](Tx& tx) { return tx.find_user(u.id); });
  ASSERT_TRUE(found.has_value());
  expect_same_user(*found, expected);
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_user_by_name("renamed"); }).has_value());

  // Back to no grants, and the flags back off.
  changed.grants.clear();
  changed.disabled = false;
  changed.must_change_password = false;
  changed.failed_logins = 0;
  changed.locked_until = 0;
  must_write([&](Tx& tx) { return tx.update_user(changed); });
  found = fetch([&](Tx& tx) { return tx.find_user(u.id); });
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->grants.empty());
  EXPECT_FALSE(found->disabled);
  EXPECT_FALSE(found->must_change_password);
  EXPECT_EQ(found->failed_logins, 0);
  EXPECT_EQ(found->locked_until, 0);

  // A bad unit leaves the user as it was.
  User bad = changed;
  bad.unit_code = "99999";
  Status st = store_->write([&](Tx& tx) { return tx.update_user(bad); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "invalid_reference");
  EXPECT_EQ(fetch([&](Tx& tx) { return tx.find_user(u.id); })->unit_code, "16597");
}

TEST_P(StoreContract, ListUsersFiltersByUnitPathAndOrdersByUsername) {
  add_user(make_user("zoe", "38", {{Role::kAdmin, "38"}}));
  add_user(make_user("binh", "16597-001", {{Role::kViewer, "16597-001"}}));
  add_user(make_user("an", "00004", {{Role::kEditor, "00004"}, {Role::kApprover, "00004"}}));
  add_user(make_user("cuong", "16597"));
  add_user(make_user("dung", "VN", {{Role::kAdmin, "VN"}}));
  add_user(make_user("em", "14797"));

  using V = std::vector<std::string>;
  auto list = [&](const std::string& path) {
    return fetch([&](Tx& tx) { return tx.list_users(path); });
  };
  EXPECT_EQ(usernames(list("")), (V{"an", "binh", "cuong", "dung", "em", "zoe"}));
  EXPECT_EQ(usernames(list("VN/")), (V{"an", "binh", "cuong", "dung", "em", "zoe"}));
  EXPECT_EQ(usernames(list("VN/38/")), (V{"binh", "cuong", "em", "zoe"}));
  EXPECT_EQ(usernames(list("VN/38/16597/")), (V{"binh", "cuong"}));
  EXPECT_EQ(usernames(list("VN/38/16597/16597-001/")), (V{"binh"}));
  EXPECT_EQ(usernames(list("VN/01/")), (V{"an"}));
  EXPECT_EQ(usernames(list("VN/99/")), V{});
  EXPECT_EQ(usernames(list("VN/3_/")), V{});  // LIKE metacharacters are literal here too
  EXPECT_EQ(usernames(list("%")), V{});

  // Grants come with the listed users, in (unit_code, role) order.
  auto hanoi = list("VN/01/");
  ASSERT_EQ(hanoi.size(), 1u);
  EXPECT_EQ(hanoi[0].grants,
            (std::vector<Grant>{{Role::kApprover, "00004"}, {Role::kEditor, "00004"}}));
  auto all = list("");
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all[2].username, "cuong");
  EXPECT_TRUE(all[2].grants.empty());
  EXPECT_EQ(all[5].grants, (std::vector<Grant>{{Role::kAdmin, "38"}}));
  EXPECT_EQ(fetch([](Tx& tx) { return tx.count_users(); }), 6);
}

// ---------------------------------------------------------------------------------------------
// Hostile text

TEST_P(StoreContract, SqlMetacharactersAreStoredVerbatim) {
  const std::vector<std::string> hostile = {
      "Robert'); DROP TABLE users;--",
      "x' OR '1'='1",
      "\\'; SELECT 1; --",
      "\"quoted\" `ticks` $1 $$ ?1 ? :name @p",
      "100% _under_ \\back\\slash",
      "Thôn Đông Hải — ẩn 😀\ttab",
  };
  for (size_t i = 0; i < hostile.size(); ++i) {
    const std::string& s = hostile[i];
    SCOPED_TRACE(s);
    const std::string tag = std::to_string(i);
    User u = make_user("user" + tag, "38");
    u.display_name = s;
    u.password_hash = s;
    const std::int64_t id = add_user(u);
    ASSERT_GT(id, 0);
    auto found = fetch([&](Tx& tx) { return tx.find_user(id); });
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->display_name, s);
    EXPECT_EQ(found->password_hash, s);
    EXPECT_FALSE(fetch([&](Tx& tx) { return tx.find_user_by_name(s); }).has_value());

    must_write([&](Tx& tx) { return tx.update_unit_name("14797", s, s); });
    auto unit = fetch([](Tx& tx) { return tx.find_unit("14797"); });
    ASSERT_TRUE(unit.has_value());
    EXPECT_EQ(unit->name, s);
    EXPECT_EQ(unit->fold, s);
    EXPECT_EQ(codes(fetch([&](Tx& tx) {
                return tx.search_units({"", s, {}, 50});
              })),
              std::vector<std::string>{"14797"});

    const Session session{"sess" + tag + s, id, s, kT0, kT0 + 3600};
    must_write([&](Tx& tx) { return tx.insert_session(session); });
    auto got = fetch([&](Tx& tx) { return tx.find_session(session.token_hash); });
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->csrf_token, s);

    ApiToken token{0, id, s, "tok" + tag + s, kT0, 0, false};
    must_write([&](Tx& tx) -> Status {
      auto r = tx.insert_token(token);
      if (!r) return r.error();
      return {};
    });
    auto t = fetch([&](Tx& tx) { return tx.find_token_by_hash(token.token_hash); });
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(t->name, s);

    const LegacyCommune legacy{"9" + tag, s, s, s, "14797", s};
    must_write([&](Tx& tx) { return tx.insert_legacy(legacy); });
    auto rows = fetch([&](Tx& tx) { return tx.find_legacy(legacy.old_code); });
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].old_name, s);
    EXPECT_EQ(rows[0].note, s);
  }
  AuditEntry e = make_entry(1, "");
  e.actor = hostile[0];
  e.before = hostile[2];
  e.after = hostile[3];
  e.target = hostile[4];
  must_write([&](Tx& tx) { return tx.append_audit(e); });
  auto last = fetch([](Tx& tx) { return tx.last_audit(); });
  ASSERT_TRUE(last.has_value());
  expect_same_entry(*last, e);

  EXPECT_EQ(fetch([](Tx& tx) { return tx.count_users(); }),
            static_cast<std::int64_t>(hostile.size()));
  EXPECT_EQ(unit_count(), 8);
}

// ---------------------------------------------------------------------------------------------
// Sessions and tokens

TEST_P(StoreContract, SessionsCrudAndExpiry) {
  const std::int64_t lan = add_user(make_user("lan", "38"));
  const std::int64_t minh = add_user(make_user("minh", "16597"));
  constexpr UnixTime kNow = kT0 + 10'000;
  const Session expired{"h-expired", lan, "csrf-1", kT0, kNow - 10};
  const Session live{"h-live", lan, "csrf-2", kT0, kNow + 3600};
  const Session other{"h-other", minh, "csrf-3", kT0, kNow + 7200};
  const Session other_expired{"h-other-expired", minh, "csrf-4", kT0, kNow - 1};
  must_write([&](Tx& tx) -> Status {
    for (const Session& s : {expired, live, other, other_expired}) NGUON_TRY(tx.insert_session(s));
    return {};
  });

  auto got = fetch([](Tx& tx) { return tx.find_session("h-live"); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->token_hash, live.token_hash);
  EXPECT_EQ(got->user_id, live.user_id);
  EXPECT_EQ(got->csrf_token, live.csrf_token);
  EXPECT_EQ(got->created_at, live.created_at);
  EXPECT_EQ(got->expires_at, live.expires_at);
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_session("h-none"); }).has_value());

  must_write([](Tx& tx) { return tx.delete_expired_sessions(kNow); });
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_session("h-expired"); }).has_value());
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_session("h-other-expired"); }).has_value());
  EXPECT_TRUE(fetch([](Tx& tx) { return tx.find_session("h-live"); }).has_value());
  EXPECT_TRUE(fetch([](Tx& tx) { return tx.find_session("h-other"); }).has_value());

  must_write([](Tx& tx) { return tx.delete_session("h-live"); });
  must_write([](Tx& tx) { return tx.delete_session("h-never-existed"); });  // not an error
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_session("h-live"); }).has_value());
  EXPECT_TRUE(fetch([](Tx& tx) { return tx.find_session("h-other"); }).has_value());

  must_write([&](Tx& tx) -> Status {
    NGUON_TRY(tx.insert_session({"h-lan-1", lan, "c", kT0, kNow + 10}));
    return tx.insert_session({"h-lan-2", lan, "c", kT0, kNow + 10});
  });
  must_write([&](Tx& tx) { return tx.delete_user_sessions(lan); });
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_session("h-lan-1"); }).has_value());
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_session("h-lan-2"); }).has_value());
  EXPECT_TRUE(fetch([](Tx& tx) { return tx.find_session("h-other"); }).has_value());
}

TEST_P(StoreContract, SessionOfUnknownUserIsRejected) {
  Status st = store_->write([](Tx& tx) {
    return tx.insert_session({"h", 424242, "c", kT0, kT0 + 10});
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "invalid_reference");
}

TEST_P(StoreContract, ApiTokensCrudAndRevoke) {
  const std::int64_t lan = add_user(make_user("lan", "38"));
  const std::int64_t minh = add_user(make_user("minh", "16597"));
  auto insert = [&](const ApiToken& t) {
    std::int64_t id = 0;
    must_write([&](Tx& tx) -> Status {
      auto r = tx.insert_token(t);
      if (!r) return r.error();
      id = r.value();
      return {};
    });
    return id;
  };
  ApiToken a{0, lan, "máy trạm phát thanh", "hash-a", kT0, 0, false};
  ApiToken b{0, lan, "báo cáo", "hash-b", kT0 + 1, kT0 + 86400, false};
  ApiToken c{0, minh, "khác", "hash-c", kT0 + 2, 0, false};
  a.id = insert(a);
  b.id = insert(b);
  c.id = insert(c);
  EXPECT_GT(a.id, 0);
  EXPECT_LT(a.id, b.id);
  EXPECT_NE(b.id, c.id);

  auto found = fetch([](Tx& tx) { return tx.find_token_by_hash("hash-b"); });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, b.id);
  EXPECT_EQ(found->user_id, lan);
  EXPECT_EQ(found->name, b.name);
  EXPECT_EQ(found->token_hash, b.token_hash);
  EXPECT_EQ(found->created_at, b.created_at);
  EXPECT_EQ(found->expires_at, b.expires_at);
  EXPECT_FALSE(found->revoked);
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_token_by_hash("hash-x"); }).has_value());

  auto mine = fetch([&](Tx& tx) { return tx.list_tokens(lan); });
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].id, a.id);
  EXPECT_EQ(mine[1].id, b.id);
  EXPECT_EQ(mine[0].expires_at, 0);
  EXPECT_TRUE(fetch([&](Tx& tx) { return tx.list_tokens(lan + minh + 1000); }).empty());

  // Revoking another user's token id changes nothing.
  (void)store_->write([&](Tx& tx) { return tx.revoke_token(minh, a.id); });
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_token_by_hash("hash-a"); })->revoked);
  must_write([&](Tx& tx) { return tx.revoke_token(lan, a.id); });
  EXPECT_TRUE(fetch([](Tx& tx) { return tx.find_token_by_hash("hash-a"); })->revoked);
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_token_by_hash("hash-b"); })->revoked);
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_token_by_hash("hash-c"); })->revoked);
  auto after = fetch([&](Tx& tx) { return tx.list_tokens(lan); });
  ASSERT_EQ(after.size(), 2u);  // revoked tokens are still listed
  EXPECT_TRUE(after[0].revoked);
}

// ---------------------------------------------------------------------------------------------
// Audit log

TEST_P(StoreContract, AuditAppendAndLast) {
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.last_audit(); }).has_value());
  append_entries(5);
  auto last = fetch([](Tx& tx) { return tx.last_audit(); });
  ASSERT_TRUE(last.has_value());
  expect_same_entry(*last, make_entry(5, "hash-4"));
  auto first = fetch([](Tx& tx) { return tx.scan_audit(0, 1); });
  ASSERT_EQ(first.size(), 1u);
  expect_same_entry(first[0], make_entry(1, ""));
}

TEST_P(StoreContract, ScanAuditPagesInSeqOrder) {
  append_entries(25);
  std::vector<std::int64_t> seen;
  std::int64_t after = 0;
  for (int page = 0; page < 10; ++page) {
    auto batch = fetch([&](Tx& tx) { return tx.scan_audit(after, 10); });
    EXPECT_LE(batch.size(), 10u);
    for (const AuditEntry& e : batch) seen.push_back(e.seq);
    if (batch.size() < 10) break;
    after = batch.back().seq;
  }
  std::vector<std::int64_t> expected;
  for (int i = 1; i <= 25; ++i) expected.push_back(i);
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(fetch([](Tx& tx) { return tx.scan_audit(20, 100); }).size(), 5u);
  EXPECT_EQ(fetch([](Tx& tx) { return tx.scan_audit(20, 100); })[0].seq, 21);
  EXPECT_TRUE(fetch([](Tx& tx) { return tx.scan_audit(25, 10); }).empty());
  EXPECT_TRUE(fetch([](Tx& tx) { return tx.scan_audit(3, 0); }).empty());
}

TEST_P(StoreContract, RecentAuditIsNewestFirst) {
  EXPECT_TRUE(fetch([](Tx& tx) { return tx.recent_audit(10); }).empty());
  append_entries(12);
  auto recent = fetch([](Tx& tx) { return tx.recent_audit(3); });
  ASSERT_EQ(recent.size(), 3u);
  EXPECT_EQ(recent[0].seq, 12);
  EXPECT_EQ(recent[1].seq, 11);
  EXPECT_EQ(recent[2].seq, 10);
  expect_same_entry(recent[0], make_entry(12, "hash-11"));
  auto all = fetch([](Tx& tx) { return tx.recent_audit(100); });
  ASSERT_EQ(all.size(), 12u);
  EXPECT_EQ(all.back().seq, 1);
}

TEST_P(StoreContract, AuditDuplicateSeqIsRejected) {
  append_entries(1);
  AuditEntry forged = make_entry(1, "");
  forged.actor = "mallory";
  Status st = store_->write([&](Tx& tx) { return tx.append_audit(forged); });
  EXPECT_FALSE(st.ok());
  auto all = fetch([](Tx& tx) { return tx.scan_audit(0, 10); });
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].actor, "admin");
}

TEST_P(StoreContract, AuditLogIsAppendOnlyEvenForRawSql) {
  append_entries(3);
  EXPECT_NE(raw_sql(target_, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"), "");
  EXPECT_NE(raw_sql(target_, "DELETE FROM audit_log WHERE seq = 3"), "");
  EXPECT_NE(raw_sql(target_, "DELETE FROM audit_log"), "");
  // Sanity: the raw connection itself works (so the failures above are the guard).
  EXPECT_EQ(raw_sql(target_, "SELECT count(*) FROM audit_log"), "");
  auto all = fetch([](Tx& tx) { return tx.scan_audit(0, 10); });
  ASSERT_EQ(all.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    expect_same_entry(all[static_cast<size_t>(i)],
                      make_entry(i + 1, i == 0 ? "" : "hash-" + std::to_string(i)));
  }
}

TEST_P(StoreContract, ConcurrentAppendersFormOneChain) {
  constexpr int kThreads = 4;
  constexpr int kEach = 15;
  std::atomic<int> failures{0};
  std::string first_failure;
  std::mutex failure_mu;
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < kEach; ++i) {
        Status st = store_->write([&](Tx& tx) -> Status {
          auto last = tx.last_audit();
          if (!last) return last.error();
          const std::int64_t seq = last.value() ? last.value()->seq + 1 : 1;
          AuditEntry e = make_entry(seq, last.value() ? last.value()->hash : "");
          e.hash = "t" + std::to_string(t) + "-" + std::to_string(i);
          return tx.append_audit(e);
        });
        if (!st) {
          ++failures;
          std::lock_guard lock(failure_mu);
          if (first_failure.empty()) first_failure = describe(st);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0) << first_failure;

  auto all = fetch([](Tx& tx) { return tx.scan_audit(0, 1000); });
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  std::string prev;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(all[i].prev_hash, prev) << "chain forks at seq " << all[i].seq;
    prev = all[i].hash;
  }
}

// ---------------------------------------------------------------------------------------------
// Schema v2: migrations

TEST_P(StoreContract, MigratesToTheLatestSchemaVersion) {
  EXPECT_EQ(version_, kSchemaVersion);
  auto current = store_->schema_version();
  ASSERT_TRUE(current.ok()) << describe(current);
  EXPECT_EQ(current.value(), kSchemaVersion);
}

TEST_P(StoreContract, MigratesAVersionOneDatabaseKeepingItsData) {
  // Data written by a v1 binary.
  const std::int64_t lan = add_user(make_user("lan", "38", {{Role::kApprover, "38"}}));
  append_entries(2);
  must_write([&](Tx& tx) { return tx.insert_session({"h-lan", lan, "csrf", kT0, kT0 + 60}); });
  store_.reset();
  // Back to exactly what v1 left: drop what v4, v3 and v2 added.
  ASSERT_EQ(raw_sql(target_, drop_schema_v5()), "");
  ASSERT_EQ(raw_sql(target_, drop_schema_v4()), "");
  ASSERT_EQ(raw_sql(target_, drop_schema_v3(is_postgres())), "");
  ASSERT_EQ(raw_sql(target_,
                    "DROP TABLE unit_settings; DROP TABLE notifications; "
                    "DROP TABLE bulletin_revisions; DROP TABLE bulletin_images; "
                    "DROP TABLE bulletin_targets; DROP TABLE bulletins; "
                    "DELETE FROM schema_migrations WHERE version >= 2"),
            "");
  store_ = open(target_);
  ASSERT_NE(store_, nullptr);
  auto v1 = store_->schema_version();
  ASSERT_TRUE(v1.ok()) << describe(v1);
  EXPECT_EQ(v1.value(), 1);

  auto v2 = store_->migrate();
  ASSERT_TRUE(v2.ok()) << describe(v2);
  EXPECT_EQ(v2.value(), kSchemaVersion);
  auto again = store_->migrate();
  ASSERT_TRUE(again.ok()) << describe(again);
  EXPECT_EQ(again.value(), kSchemaVersion);

  // The v1 data is intact.
  EXPECT_EQ(unit_count(), 8);
  auto user = fetch([](Tx& tx) { return tx.find_user_by_name("lan"); });
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->id, lan);
  EXPECT_EQ(user->grants, (std::vector<Grant>{{Role::kApprover, "38"}}));
  EXPECT_TRUE(fetch([](Tx& tx) { return tx.find_session("h-lan"); }).has_value());
  auto audit = fetch([](Tx& tx) { return tx.scan_audit(0, 10); });
  ASSERT_EQ(audit.size(), 2u);
  expect_same_entry(audit[1], make_entry(2, "hash-1"));

  // And the v2 tables work on it.
  const std::int64_t id = add_bulletin(make_bulletin("38", lan, "sau nang cap"));
  EXPECT_GT(id, 0);
  EXPECT_EQ(search_ids({{"VN/38/"}, {}, {}, "", "", 50, 0}), std::vector<std::int64_t>{id});
  must_write([](Tx& tx) { return tx.set_unit_setting("38", "four_eyes", "false"); });
  EXPECT_EQ(fetch([](Tx& tx) { return tx.unit_setting("38", "four_eyes"); }),
            std::optional<std::string>("false"));
  EXPECT_EQ(
      fetch([&](Tx& tx) { return tx.users_with_role_over(tree_.c16597.path, Role::kApprover); }),
      std::vector<std::int64_t>{lan});
}

// ---------------------------------------------------------------------------------------------
// Bulletins

TEST_P(StoreContract, BulletinRoundTripsEveryField) {
  const std::int64_t author = add_user(make_user("tac.gia", "38"));
  const std::int64_t approver = add_user(make_user("duyet", "38"));
  Bulletin b = make_bulletin("38", author, "Lịch cắt điện tuần 32");
  b.target_units = {"16597-002", "14797", "16597"};  // kept in the given order
  b.summary = "Cắt điện từ 7h đến 11h";
  b.body = "Dòng 1\nDòng 2 — 'trích' \"dẫn\" 100% _x_ \\ 😀; DROP TABLE bulletins;--";
  b.category = "essential_services";
  b.priority = Priority::kEmergency;
  b.language = "tay";
  b.pen_name = "Hải Lĩnh";
  b.source = "Điện lực Thanh Hóa";
  b.valid_from = kT0 + 10;
  b.valid_until = kT0 + 86'400;
  b.status = BulletinStatus::kPublished;
  b.revision = 3;
  b.return_reason = "Sửa lỗi chính tả";
  b.approved_by = approver;
  b.submitted_at = kT0 + 1;
  b.approved_at = kT0 + 2;
  b.published_at = kT0 + 3;
  b.audio = {"sha-audio", 100.0 / 3.0, "tts", "north"};
  b.images = {"sha-img-2", "sha-img-1", "sha-img-2"};  // order and repeats kept
  b.fold = "lich cat dien tuan 32";
  b.updated_at = kT0 + 4;
  b.id = add_bulletin(b);
  ASSERT_GT(b.id, 0);
  auto found = fetch([&](Tx& tx) { return tx.find_bulletin(b.id); });
  ASSERT_TRUE(found.has_value());
  expect_same_bulletin(*found, b);

  // Every enum value reads back as written.
  for (BulletinStatus status :
       {BulletinStatus::kDraft, BulletinStatus::kSubmitted, BulletinStatus::kApproved,
        BulletinStatus::kReturned, BulletinStatus::kPublished, BulletinStatus::kArchived}) {
    for (Priority priority : {Priority::kNormal, Priority::kPriority, Priority::kEmergency}) {
      Bulletin x = make_bulletin("16597", author, "enum");
      x.status = status;
      x.priority = priority;
      x.id = add_bulletin(x);
      auto got = fetch([&](Tx& tx) { return tx.find_bulletin(x.id); });
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(got->status, status);
      EXPECT_EQ(got->priority, priority);
    }
  }

  // Defaults: no targets, images, audio or approver.
  Bulletin plain = make_bulletin("16597", author, "Thông báo họp");
  plain.id = add_bulletin(plain);
  EXPECT_GT(plain.id, b.id);
  found = fetch([&](Tx& tx) { return tx.find_bulletin(plain.id); });
  ASSERT_TRUE(found.has_value());
  expect_same_bulletin(*found, plain);
  EXPECT_FALSE(fetch([&](Tx& tx) { return tx.find_bulletin(plain.id + 1000); }).has_value());
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_bulletin(0); }).has_value());
}

TEST_P(StoreContract, UpdateBulletinReplacesMutableColumnsTargetsAndImages) {
  const std::int64_t author = add_user(make_user("tac.gia", "38"));
  const std::int64_t other = add_user(make_user("khac", "38"));
  Bulletin b = make_bulletin("38", author, "ban nhap");
  b.target_units = {"14797", "16597"};
  b.images = {"img-a", "img-b"};
  b.id = add_bulletin(b);
  ASSERT_GT(b.id, 0);

  Bulletin changed = b;
  changed.owner_unit = "01";       // not updatable
  changed.author_id = other;       // not updatable
  changed.created_at = kT0 + 999;  // not updatable
  changed.target_units = {"16597-001", "38"};
  changed.images = {"img-c"};
  changed.title = "Bản đã sửa";
  changed.summary = "Tóm tắt mới";
  changed.body = "Nội dung mới";
  changed.category = "security_defence";
  changed.priority = Priority::kPriority;
  changed.language = "hmn";
  changed.pen_name = "Bút danh";
  changed.source = "Công an xã";
  changed.valid_from = kT0 + 50;
  changed.valid_until = kT0 + 500;
  changed.status = BulletinStatus::kApproved;
  changed.revision = 2;
  changed.return_reason = "Bổ sung nguồn";
  changed.approved_by = other;
  changed.submitted_at = kT0 + 5;
  changed.approved_at = kT0 + 6;
  changed.published_at = kT0 + 7;
  changed.audio = {"sha-new", 0.1 + 0.2, "upload", ""};
  changed.fold = "ban da sua";
  changed.updated_at = kT0 + 100;
  must_write([&](Tx& tx) { return tx.update_bulletin(changed); });

  Bulletin expected = changed;
  expected.owner_unit = "38";
  expected.author_id = author;
  expected.created_at = kT0;
  auto found = fetch([&](Tx& tx) { return tx.find_bulletin(b.id); });
  ASSERT_TRUE(found.has_value());
  expect_same_bulletin(*found, expected);
  // The owner path did not move either.
  EXPECT_EQ(search_ids({{"VN/38/"}, {}, {}, "", "", 50, 0}), std::vector<std::int64_t>{b.id});
  EXPECT_TRUE(search_ids({{"VN/01/"}, {}, {}, "", "", 50, 0}).empty());

  // Back to no targets, images, audio or approver.
  changed.target_units.clear();
  changed.images.clear();
  changed.audio = {};
  changed.approved_by = 0;
  must_write([&](Tx& tx) { return tx.update_bulletin(changed); });
  expected = changed;
  expected.owner_unit = "38";
  expected.author_id = author;
  expected.created_at = kT0;
  found = fetch([&](Tx& tx) { return tx.find_bulletin(b.id); });
  ASSERT_TRUE(found.has_value());
  expect_same_bulletin(*found, expected);

  // A missing bulletin is not found; a failed update changes nothing and the transaction goes on.
  Bulletin ghost = changed;
  ghost.id = b.id + 1000;
  Status missing = store_->write([&](Tx& tx) { return tx.update_bulletin(ghost); });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  Bulletin bad = changed;
  bad.title = "không được lưu";
  bad.target_units = {"16597", "99999"};
  bad.images = {"img-x"};
  Status st = store_->write([&](Tx& tx) -> Status {
    Status failed = tx.update_bulletin(bad);
    EXPECT_FALSE(failed.ok());
    if (!failed.ok()) {
      EXPECT_EQ(failed.error().code, "invalid_reference");
    }
    auto now = tx.find_bulletin(b.id);
    if (!now) return now.error();
    EXPECT_TRUE(now.value().has_value());
    if (now.value()) expect_same_bulletin(*now.value(), expected);
    Bulletin ok = changed;
    ok.target_units = {"16597"};
    return tx.update_bulletin(ok);
  });
  ASSERT_TRUE(st.ok()) << describe(st);
  found = fetch([&](Tx& tx) { return tx.find_bulletin(b.id); });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->title, changed.title);
  EXPECT_EQ(found->target_units, std::vector<std::string>{"16597"});
  EXPECT_TRUE(found->images.empty());
}

TEST_P(StoreContract, InsertBulletinWithUnknownReferencesLeavesNothing) {
  const std::int64_t author = add_user(make_user("tac.gia", "38"));
  Status st = store_->write([&](Tx& tx) -> Status {
    auto expect_invalid_reference = [&](const Bulletin& b, const std::string& owner_path) {
      auto r = tx.insert_bulletin(b, owner_path);
      EXPECT_FALSE(r.ok()) << b.title;
      if (!r.ok()) {
        EXPECT_EQ(r.error().code, "invalid_reference") << b.title;
      }
    };
    Bulletin bad_target = make_bulletin("38", author, "bad target");
    bad_target.target_units = {"14797", "99999"};
    bad_target.images = {"img"};
    expect_invalid_reference(bad_target, tree_.p38.path);
    expect_invalid_reference(make_bulletin("99", author, "bad owner"), "VN/99/");
    expect_invalid_reference(make_bulletin("38", author + 1000, "bad author"), tree_.p38.path);
    Bulletin bad_approver = make_bulletin("38", author, "bad approver");
    bad_approver.approved_by = author + 1000;
    expect_invalid_reference(bad_approver, tree_.p38.path);
    // The transaction goes on, with nothing of the failed calls left behind.
    auto ok = tx.insert_bulletin(make_bulletin("38", author, "ok"), tree_.p38.path);
    return ok ? Status() : ok.error();
  });
  ASSERT_TRUE(st.ok()) << describe(st);
  auto all = fetch([](Tx& tx) { return tx.search_bulletins({{""}, {}, {}, "", "", 50, 0}); });
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].title, "ok");
  EXPECT_TRUE(all[0].target_units.empty());
  EXPECT_TRUE(all[0].images.empty());
}

// Seven bulletins across the tree for the search tests.
std::vector<Bulletin> search_seed(std::int64_t author) {
  struct Row {
    const char* owner;
    BulletinStatus status;
    Priority priority;
    const char* category;
    const char* fold;
  };
  const std::vector<Row> rows = {
      {"VN", BulletinStatus::kPublished, Priority::kNormal, "policy_law",
       "thong bao chung toan quoc"},
      {"38", BulletinStatus::kDraft, Priority::kPriority, "society", "lich cat dien 100% khu vuc"},
      {"16597", BulletinStatus::kSubmitted, Priority::kEmergency, "disaster_emergency",
       "bao so 3 a_b"},
      {"16597-001", BulletinStatus::kDraft, Priority::kNormal, "society", "hop thon a\\b"},
      {"01", BulletinStatus::kPublished, Priority::kNormal, "society", "ha noi thong bao"},
      {"00004", BulletinStatus::kSubmitted, Priority::kPriority, "policy_law", "ba dinh axb"},
      {"14797", BulletinStatus::kReturned, Priority::kNormal, "society", "hac thanh 1000"},
  };
  std::vector<Bulletin> out;
  for (const Row& r : rows) {
    Bulletin b = make_bulletin(r.owner, author, r.fold);
    b.status = r.status;
    b.priority = r.priority;
    b.category = r.category;
    out.push_back(b);
  }
  out[1].target_units = {"14797"};
  out[1].images = {"img-2"};
  return out;
}

TEST_P(StoreContract, SearchBulletinsFiltersByOwnerPathsStatusPriorityCategoryAndFold) {
  const std::int64_t author = add_user(make_user("tac.gia", "38"));
  std::vector<std::int64_t> id;
  for (const Bulletin& b : search_seed(author)) id.push_back(add_bulletin(b));
  ASSERT_EQ(id.size(), 7u);
  using V = std::vector<std::int64_t>;
  auto search = [&](std::vector<std::string> owners, std::optional<BulletinStatus> status = {},
                    std::optional<Priority> priority = {}, const std::string& category = "",
                    const std::string& fold = "") {
    return search_ids({std::move(owners), status, priority, category, fold, 50, 0});
  };
  // Owner paths: any of several prefixes; none matches nothing; "" matches everything.
  EXPECT_EQ(search({""}), (V{id[6], id[5], id[4], id[3], id[2], id[1], id[0]}));
  EXPECT_EQ(search({}), V{});
  EXPECT_EQ(search({"VN/38/16597/", "VN/01/"}), (V{id[5], id[4], id[3], id[2]}));
  EXPECT_EQ(search({"VN/38/"}), (V{id[6], id[3], id[2], id[1]}));
  EXPECT_EQ(search({"VN/38/16597/", "VN/38/16597/16597-001/"}), (V{id[3], id[2]}));  // no repeats
  EXPECT_EQ(search({"VN/38/14797/"}), V{id[6]});
  EXPECT_EQ(search({"VN/99/"}), V{});
  EXPECT_EQ(search({"vn/"}), V{});  // exact, case-sensitive prefix
  // Status, priority, category (exact), each alone and together.
  EXPECT_EQ(search({""}, BulletinStatus::kSubmitted), (V{id[5], id[2]}));
  EXPECT_EQ(search({"VN/38/"}, BulletinStatus::kSubmitted), V{id[2]});
  EXPECT_EQ(search({""}, BulletinStatus::kArchived), V{});
  EXPECT_EQ(search({""}, {}, Priority::kPriority), (V{id[5], id[1]}));
  EXPECT_EQ(search({""}, {}, Priority::kEmergency), V{id[2]});
  EXPECT_EQ(search({""}, {}, Priority::kNormal), (V{id[6], id[4], id[3], id[0]}));
  EXPECT_EQ(search({""}, {}, {}, "society"), (V{id[6], id[4], id[3], id[1]}));
  EXPECT_EQ(search({""}, {}, {}, "soc"), V{});
  EXPECT_EQ(search({""}, {}, {}, "SOCIETY"), V{});
  EXPECT_EQ(search({""}, BulletinStatus::kPublished, {}, "society"), V{id[4]});
  EXPECT_EQ(search({"VN/38/"}, BulletinStatus::kDraft, Priority::kNormal), V{id[3]});
  // Fold: a substring.
  EXPECT_EQ(search({""}, {}, {}, "", "thong bao"), (V{id[4], id[0]}));
  EXPECT_EQ(search({"VN/01/"}, {}, {}, "", "thong bao"), V{id[4]});
  EXPECT_EQ(search({""}, {}, {}, "", "khong co"), V{});
  // Results carry their targets and images.
  auto rows = fetch([&](Tx& tx) {
    return tx.search_bulletins({{"VN/38/"}, {}, Priority::kPriority, "", "", 50, 0});
  });
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].target_units, std::vector<std::string>{"14797"});
  EXPECT_EQ(rows[0].images, std::vector<std::string>{"img-2"});
}

TEST_P(StoreContract, SearchBulletinsTreatsLikeMetacharactersLiterally) {
  const std::int64_t author = add_user(make_user("tac.gia", "38"));
  std::vector<std::int64_t> id;
  for (const Bulletin& b : search_seed(author)) id.push_back(add_bulletin(b));
  using V = std::vector<std::int64_t>;
  auto fold = [&](const std::string& f) { return search_ids({{""}, {}, {}, "", f, 50, 0}); };
  EXPECT_EQ(fold("%"), V{id[1]});
  EXPECT_EQ(fold("100%"), V{id[1]});  // not "1000"
  EXPECT_EQ(fold("_"), V{id[2]});
  EXPECT_EQ(fold("a_b"), V{id[2]});  // not "axb"
  EXPECT_EQ(fold("\\"), V{id[3]});
  EXPECT_EQ(fold("a\\b"), V{id[3]});
  EXPECT_EQ(fold("%%"), V{});
  EXPECT_EQ(fold("a%b"), V{});
  auto owners = [&](const std::string& p) { return search_ids({{p}, {}, {}, "", "", 50, 0}); };
  EXPECT_EQ(owners("VN/3_/"), V{});
  EXPECT_EQ(owners("VN/%"), V{});
  EXPECT_EQ(owners("%"), V{});
  EXPECT_EQ(owners("_"), V{});
}

TEST_P(StoreContract, SearchBulletinsPagesNewestFirst) {
  const std::int64_t author = add_user(make_user("tac.gia", "38"));
  std::vector<std::int64_t> id;
  for (const Bulletin& b : search_seed(author)) id.push_back(add_bulletin(b));
  using V = std::vector<std::int64_t>;
  auto page = [&](std::int64_t before_id, size_t limit) {
    return search_ids({{""}, {}, {}, "", "", limit, before_id});
  };
  EXPECT_EQ(page(0, 3), (V{id[6], id[5], id[4]}));
  EXPECT_EQ(page(id[4], 50), (V{id[3], id[2], id[1], id[0]}));
  EXPECT_EQ(page(id[4], 2), (V{id[3], id[2]}));
  EXPECT_EQ(page(id[0], 50), V{});
  EXPECT_EQ(page(0, 0), V{});
  // Filters and paging together.
  EXPECT_EQ(search_ids({{"VN/38/"}, {}, {}, "", "", 2, id[6]}), (V{id[3], id[2]}));
  // Walking the pages visits every bulletin once, newest first.
  V seen;
  std::int64_t before = 0;
  for (int i = 0; i < 10; ++i) {
    V batch = page(before, 3);
    seen.insert(seen.end(), batch.begin(), batch.end());
    if (batch.size() < 3) break;
    before = batch.back();
  }
  EXPECT_EQ(seen, (V{id[6], id[5], id[4], id[3], id[2], id[1], id[0]}));
}

// ---------------------------------------------------------------------------------------------
// Bulletin library

TEST_P(StoreContract, LibraryHasPublishedBulletinsOfStrictAncestorsOnly) {
  const std::int64_t author = add_user(make_user("tac.gia", "VN"));
  constexpr UnixTime kNow = kT0 + 1000;
  auto published = [&](const std::string& owner,
                       BulletinStatus status = BulletinStatus::kPublished) {
    Bulletin b = make_bulletin(owner, author, "tu " + owner);
    b.status = status;
    b.published_at = kT0;
    return add_bulletin(b);
  };
  const std::int64_t nation = published("VN");
  const std::int64_t province = published("38");
  const std::int64_t commune = published("16597");
  published("16597-001");
  const std::int64_t hanoi = published("01");
  published("00004");
  published("14797");
  for (BulletinStatus s :
       {BulletinStatus::kDraft, BulletinStatus::kSubmitted, BulletinStatus::kApproved,
        BulletinStatus::kReturned, BulletinStatus::kArchived}) {
    published("38", s);
    published("VN", s);
  }
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(sorted(library_ids("16597", kNow)), (V{nation, province}));
  EXPECT_EQ(sorted(library_ids("16597-001", kNow)), (V{nation, province, commune}));
  EXPECT_EQ(sorted(library_ids("16597-002", kNow)), (V{nation, province, commune}));
  EXPECT_EQ(sorted(library_ids("14797", kNow)), (V{nation, province}));
  EXPECT_EQ(sorted(library_ids("38", kNow)), V{nation});
  EXPECT_EQ(sorted(library_ids("00004", kNow)), (V{nation, hanoi}));
  EXPECT_EQ(library_ids("VN", kNow), V{});
  EXPECT_EQ(fetch([](Tx& tx) { return tx.library_bulletins("VN/99/", kNow, 100); }).size(),
            1u);  // only the nation's own is above an unknown province
  EXPECT_EQ(library_ids("16597-001", kNow, 2).size(), 2u);
  EXPECT_EQ(library_ids("16597-001", kNow, 0), V{});
}

TEST_P(StoreContract, LibraryFollowsTargets) {
  const std::int64_t author = add_user(make_user("tac.gia", "VN"));
  constexpr UnixTime kNow = kT0 + 1000;
  auto targeted = [&](const std::string& owner, std::vector<std::string> targets) {
    Bulletin b = make_bulletin(owner, author, "tu " + owner);
    b.status = BulletinStatus::kPublished;
    b.target_units = std::move(targets);
    return add_bulletin(b);
  };
  const std::int64_t above = targeted("VN", {"38"});
  const std::int64_t equal = targeted("38", {"16597"});
  const std::int64_t below = targeted("38", {"16597-002"});
  const std::int64_t sibling = targeted("38", {"14797"});
  const std::int64_t other_province = targeted("VN", {"01"});
  const std::int64_t mixed = targeted("38", {"14797", "16597-001"});
  const std::int64_t village = targeted("16597", {"16597-002"});
  const std::int64_t everyone = targeted("38", {});
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(sorted(library_ids("16597", kNow)), (V{above, equal, below, mixed, everyone}));
  EXPECT_EQ(sorted(library_ids("16597-001", kNow)), (V{above, equal, mixed, everyone}));
  EXPECT_EQ(sorted(library_ids("16597-002", kNow)), (V{above, equal, below, village, everyone}));
  EXPECT_EQ(sorted(library_ids("14797", kNow)), (V{above, sibling, mixed, everyone}));
  EXPECT_EQ(sorted(library_ids("00004", kNow)), V{other_province});
  EXPECT_EQ(sorted(library_ids("38", kNow)), V{above});
  // Library rows carry their targets.
  auto rows = fetch([&](Tx& tx) { return tx.library_bulletins(tree_.c14797.path, kNow, 100); });
  auto it =
      std::find_if(rows.begin(), rows.end(), [&](const Bulletin& b) { return b.id == mixed; });
  ASSERT_NE(it, rows.end());
  EXPECT_EQ(it->target_units, (std::vector<std::string>{"14797", "16597-001"}));
}

TEST_P(StoreContract, LibraryHonoursTheValidityWindow) {
  const std::int64_t author = add_user(make_user("tac.gia", "38"));
  constexpr UnixTime kNow = kT0 + 1000;
  auto valid = [&](UnixTime from, UnixTime until) {
    Bulletin b = make_bulletin("38", author, "hieu luc");
    b.status = BulletinStatus::kPublished;
    b.valid_from = from;
    b.valid_until = until;
    return add_bulletin(b);
  };
  const std::int64_t open = valid(0, 0);
  const std::int64_t future = valid(kNow + 1, 0);
  const std::int64_t starts_now = valid(kNow, 0);
  const std::int64_t started = valid(kNow - 1, kNow + 100);
  const std::int64_t ends_now = valid(0, kNow);
  const std::int64_t ends_soon = valid(0, kNow + 1);
  const std::int64_t ended = valid(kNow - 100, kNow - 1);
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(sorted(library_ids("16597", kNow)), (V{open, starts_now, started, ends_soon}));
  EXPECT_EQ(sorted(library_ids("16597", kNow + 1)), (V{open, future, starts_now, started}));
  EXPECT_EQ(sorted(library_ids("16597", kNow - 1)), (V{open, started, ends_now, ends_soon}));
  EXPECT_EQ(sorted(library_ids("16597", kNow - 50)), (V{open, ends_now, ends_soon, ended}));
}

TEST_P(StoreContract, LibraryOrdersByPriorityThenPublicationThenId) {
  const std::int64_t author = add_user(make_user("tac.gia", "VN"));
  auto add = [&](const std::string& owner, Priority priority, UnixTime published_at) {
    Bulletin b = make_bulletin(owner, author, "thu tu");
    b.status = BulletinStatus::kPublished;
    b.priority = priority;
    b.published_at = published_at;
    b.images = {"img"};
    return add_bulletin(b);
  };
  const std::int64_t normal_old = add("VN", Priority::kNormal, kT0 + 1);
  const std::int64_t normal_new = add("38", Priority::kNormal, kT0 + 5);
  const std::int64_t priority_old = add("VN", Priority::kPriority, kT0 + 2);
  const std::int64_t emergency_old = add("38", Priority::kEmergency, kT0);
  const std::int64_t emergency_new = add("VN", Priority::kEmergency, kT0 + 3);
  const std::int64_t normal_tie_a = add("VN", Priority::kNormal, kT0 + 5);
  const std::int64_t normal_tie_b = add("38", Priority::kNormal, kT0 + 5);
  const std::int64_t priority_new = add("38", Priority::kPriority, kT0 + 9);
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(library_ids("16597", kT0 + 100),
            (V{emergency_new, emergency_old, priority_new, priority_old, normal_tie_b, normal_tie_a,
               normal_new, normal_old}));
  EXPECT_EQ(library_ids("16597", kT0 + 100, 3), (V{emergency_new, emergency_old, priority_new}));
  auto rows = fetch([](Tx& tx) { return tx.library_bulletins("VN/38/16597/", kT0 + 100, 1); });
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].images, std::vector<std::string>{"img"});
}

// ---------------------------------------------------------------------------------------------
// Revisions, notifications, approvers, unit settings

TEST_P(StoreContract, RevisionsListAscendingPerBulletin) {
  const std::int64_t author = add_user(make_user("tac.gia", "38"));
  const std::int64_t approver = add_user(make_user("duyet", "38"));
  const std::int64_t a = add_bulletin(make_bulletin("38", author, "a"));
  const std::int64_t b = add_bulletin(make_bulletin("38", author, "b"));
  const BulletinRevision r2{a, 2, R"({"revision":2,"title":"Bản 2 — 'x'"})", approver, kT0 + 20};
  const BulletinRevision r1{a, 1, R"({"revision":1})", approver, kT0 + 10};
  const BulletinRevision r3{a, 3, R"({"revision":3})", 0, kT0 + 30};  // no approver recorded
  const BulletinRevision other{b, 1, R"({"b":1})", approver, kT0 + 5};
  must_write([&](Tx& tx) -> Status {
    for (const auto& r : {r2, r1, r3, other}) NGUON_TRY(tx.insert_revision(r));
    return {};
  });
  auto list = fetch([&](Tx& tx) { return tx.list_revisions(a); });
  ASSERT_EQ(list.size(), 3u);
  const std::vector<BulletinRevision> expected = {r1, r2, r3};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(list[i].bulletin_id, expected[i].bulletin_id);
    EXPECT_EQ(list[i].revision, expected[i].revision);
    EXPECT_EQ(list[i].snapshot, expected[i].snapshot);
    EXPECT_EQ(list[i].approved_by, expected[i].approved_by);
    EXPECT_EQ(list[i].approved_at, expected[i].approved_at);
  }
  EXPECT_EQ(fetch([&](Tx& tx) { return tx.list_revisions(b); }).size(), 1u);
  EXPECT_TRUE(fetch([&](Tx& tx) { return tx.list_revisions(a + b + 1000); }).empty());

  BulletinRevision dup = r2;
  dup.snapshot = "forged";
  Status st = store_->write([&](Tx& tx) { return tx.insert_revision(dup); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kConflict);
  st = store_->write([&](Tx& tx) { return tx.insert_revision({a + b + 1000, 1, "{}", 0, kT0}); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "invalid_reference");
  EXPECT_EQ(fetch([&](Tx& tx) { return tx.list_revisions(a); })[1].snapshot, r2.snapshot);
}

TEST_P(StoreContract, NotificationsNewestFirstPerUserWithUnreadFilterAndMarkRead) {
  const std::int64_t lan = add_user(make_user("lan", "38"));
  const std::int64_t minh = add_user(make_user("minh", "16597"));
  const std::int64_t bulletin = add_bulletin(make_bulletin("38", lan, "tin"));
  auto insert = [&](Notification n) {
    must_write([&](Tx& tx) -> Status {
      auto r = tx.insert_notification(n);
      if (!r) return r.error();
      n.id = r.value();
      return {};
    });
    return n;
  };
  const Notification n1 =
      insert({0, lan, "bulletin.submitted", "Bản tin “tin” chờ duyệt", bulletin, kT0 + 1, false});
  const Notification n2 =
      insert({0, minh, "bulletin.approved", "Đã duyệt", bulletin, kT0 + 2, false});
  const Notification n3 =
      insert({0, lan, "bulletin.returned", "Trả lại: thiếu nguồn", bulletin, kT0 + 3, false});
  const Notification n4 = insert({0, lan, "system", "Không gắn bản tin", 0, kT0 + 4, false});
  EXPECT_GT(n1.id, 0);
  EXPECT_LT(n1.id, n2.id);
  EXPECT_LT(n2.id, n3.id);
  EXPECT_LT(n3.id, n4.id);

  auto list = [&](std::int64_t user, bool unread_only, size_t limit = 50) {
    return fetch([&](Tx& tx) { return tx.list_notifications(user, unread_only, limit); });
  };
  auto ids = [](const std::vector<Notification>& v) {
    std::vector<std::int64_t> out;
    for (const Notification& n : v) out.push_back(n.id);
    return out;
  };
  using V = std::vector<std::int64_t>;
  auto all = list(lan, false);
  ASSERT_EQ(all.size(), 3u);
  expect_same_notification(all[0], n4);
  expect_same_notification(all[1], n3);
  expect_same_notification(all[2], n1);
  EXPECT_EQ(ids(list(lan, false, 2)), (V{n4.id, n3.id}));
  EXPECT_EQ(ids(list(lan, true)), (V{n4.id, n3.id, n1.id}));
  EXPECT_EQ(ids(list(lan, true, 0)), V{});

  must_write([&](Tx& tx) { return tx.mark_notifications_read(lan, n3.id); });
  EXPECT_EQ(ids(list(lan, true)), V{n4.id});
  all = list(lan, false);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_FALSE(all[0].read);
  EXPECT_TRUE(all[1].read);
  EXPECT_TRUE(all[2].read);
  // Another user's notifications are untouched, even with a lower id.
  EXPECT_EQ(ids(list(minh, true)), V{n2.id});
  must_write([&](Tx& tx) { return tx.mark_notifications_read(minh, 0); });
  EXPECT_EQ(ids(list(minh, true)), V{n2.id});
  must_write([&](Tx& tx) { return tx.mark_notifications_read(lan, n4.id + 1000); });
  EXPECT_EQ(ids(list(lan, true)), V{});
  EXPECT_EQ(ids(list(minh, true)), V{n2.id});
  EXPECT_EQ(ids(list(lan + minh + 1000, false)), V{});

  // Stored as given, read or not.
  const Notification n5 = insert({0, minh, "x", "đã đọc", 0, kT0 + 5, true});
  EXPECT_EQ(ids(list(minh, true)), V{n2.id});
  expect_same_notification(list(minh, false)[0], n5);

  // References are checked.
  for (const Notification& bad : {Notification{0, lan + minh + 1000, "x", "y", 0, kT0, false},
                                  Notification{0, lan, "x", "y", bulletin + 1000, kT0, false}}) {
    Status st = store_->write([&](Tx& tx) -> Status {
      auto r = tx.insert_notification(bad);
      return r ? Status() : r.error();
    });
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, "invalid_reference");
  }
}

TEST_P(StoreContract, UsersWithRoleOverCountsGrantsOnTheUnitAndItsAncestors) {
  const std::int64_t nation = add_user(make_user("a.nation", "VN", {{Role::kApprover, "VN"}}));
  const std::int64_t province = add_user(make_user("b.province", "38", {{Role::kApprover, "38"}}));
  const std::int64_t self = add_user(make_user("c.self", "16597", {{Role::kApprover, "16597"}}));
  const std::int64_t below =
      add_user(make_user("d.below", "16597-001", {{Role::kApprover, "16597-001"}}));
  add_user(make_user("e.hanoi", "01", {{Role::kApprover, "01"}}));
  const std::int64_t editor = add_user(make_user("f.editor", "38", {{Role::kEditor, "38"}}));
  User disabled = make_user("g.disabled", "38", {{Role::kApprover, "38"}});
  disabled.disabled = true;
  add_user(disabled);
  const std::int64_t twice =
      add_user(make_user("h.twice", "38", {{Role::kApprover, "38"}, {Role::kApprover, "16597"}}));
  add_user(make_user("i.sibling", "14797", {{Role::kApprover, "14797"}}));
  // Holding the role on another unit does not count, whatever else the user holds here.
  const std::int64_t mixed =
      add_user(make_user("j.mixed", "16597", {{Role::kEditor, "16597"}, {Role::kApprover, "01"}}));

  auto over = [&](const std::string& path, Role role) {
    return fetch([&](Tx& tx) { return tx.users_with_role_over(path, role); });
  };
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(over(tree_.c16597.path, Role::kApprover), (V{nation, province, self, twice}));
  EXPECT_EQ(over(tree_.v001.path, Role::kApprover), (V{nation, province, self, below, twice}));
  EXPECT_EQ(over(tree_.p38.path, Role::kApprover), (V{nation, province, twice}));
  EXPECT_EQ(over(tree_.vn.path, Role::kApprover), V{nation});
  EXPECT_EQ(over(tree_.c16597.path, Role::kEditor), (V{editor, mixed}));
  EXPECT_EQ(over(tree_.p38.path, Role::kEditor), V{editor});
  EXPECT_EQ(over(tree_.c16597.path, Role::kAdmin), V{});
  EXPECT_EQ(over("VN/3/", Role::kApprover), V{nation});  // a prefix that is not a path is no unit
}

TEST_P(StoreContract, NotifyRoleOverWritesOneNotificationPerHolderInOneCall) {
  const std::int64_t nation = add_user(make_user("a.nation", "VN", {{Role::kApprover, "VN"}}));
  const std::int64_t province = add_user(make_user("b.province", "38", {{Role::kApprover, "38"}}));
  const std::int64_t self = add_user(make_user("c.self", "16597", {{Role::kApprover, "16597"}}));
  add_user(make_user("d.below", "16597-001", {{Role::kApprover, "16597-001"}}));
  User disabled = make_user("e.disabled", "38", {{Role::kApprover, "38"}});
  disabled.disabled = true;
  add_user(disabled);
  const std::int64_t twice =
      add_user(make_user("f.twice", "38", {{Role::kApprover, "38"}, {Role::kApprover, "16597"}}));
  Notification n;
  n.kind = "feedback.received";
  n.message = "Phản ánh mới";
  n.created_at = kT0;
  n.feedback_id = 77;
  n.user_id = 999999;  // ignored
  auto notify = [&](const std::string& path, Role role, const Notification& what,
                    const std::string& except) {
    std::int64_t inserted = -1;
    must_write([&](Tx& tx) -> Status {
      NGUON_TRY_ASSIGN(inserted, tx.notify_role_over(path, role, what, except));
      return {};
    });
    return inserted;
  };
  auto notified = [&](std::int64_t user) {
    return fetch([&](Tx& tx) { return tx.list_notifications(user, false, 10); });
  };
  // nation, province, self, twice (once): the same set as users_with_role_over.
  auto count = notify(tree_.c16597.path, Role::kApprover, n, "");
  EXPECT_EQ(count, 4);
  for (std::int64_t u : {nation, province, self, twice}) {
    auto got = notified(u);
    ASSERT_EQ(got.size(), 1U) << u;
    EXPECT_EQ(got[0].kind, "feedback.received");
    EXPECT_EQ(got[0].message, "Phản ánh mới");
    EXPECT_EQ(got[0].feedback_id, 77);
    EXPECT_EQ(got[0].bulletin_id, 0);
    EXPECT_FALSE(got[0].read);
  }
  // Except those who hold the role over the province: only the commune's own approver.
  n.kind = "feedback.overdue";
  count = notify(tree_.c16597.path, Role::kApprover, n, tree_.p38.path);
  EXPECT_EQ(count, 1);
  EXPECT_EQ(notified(self).front().kind, "feedback.overdue");
  EXPECT_EQ(notified(province).front().kind, "feedback.received");
  // Nobody holds the role: nothing, no error; an unknown bulletin: invalid_reference, and the
  // transaction stays usable.
  EXPECT_EQ(notify(tree_.c16597.path, Role::kAdmin, n, ""), 0);
  Status st = store_->write([&](Tx& tx) -> Status {
    Notification bad = n;
    bad.bulletin_id = 424242;
    auto r = tx.notify_role_over(tree_.c16597.path, Role::kApprover, bad, "");
    EXPECT_FALSE(r.ok());
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, "invalid_reference");
    }
    NGUON_TRY(tx.notify_role_over(tree_.c16597.path, Role::kApprover, n, tree_.vn.path));
    return {};
  });
  EXPECT_TRUE(st.ok()) << st.error().message;
}

TEST_P(StoreContract, UnitSettingsUpsertAndDeleteOnEmpty) {
  auto get = [&](const std::string& unit, const std::string& key) {
    return fetch([&](Tx& tx) { return tx.unit_setting(unit, key); });
  };
  auto set = [&](const std::string& unit, const std::string& key, const std::string& value) {
    must_write([&](Tx& tx) { return tx.set_unit_setting(unit, key, value); });
  };
  using S = std::optional<std::string>;
  EXPECT_EQ(get("38", "four_eyes"), S());
  set("38", "four_eyes", "false");
  EXPECT_EQ(get("38", "four_eyes"), S("false"));
  set("38", "four_eyes", "true");  // upsert
  EXPECT_EQ(get("38", "four_eyes"), S("true"));
  set("38", "intro_media", "sha-'nhạc hiệu'; --");
  EXPECT_EQ(get("38", "intro_media"), S("sha-'nhạc hiệu'; --"));
  EXPECT_EQ(get("38", "four_eyes"), S("true"));
  EXPECT_EQ(get("16597", "four_eyes"), S());  // per unit: nothing is inherited here
  EXPECT_EQ(get("38", "FOUR_EYES"), S());     // keys are exact
  set("16597", "four_eyes", "false");
  EXPECT_EQ(get("16597", "four_eyes"), S("false"));
  EXPECT_EQ(get("38", "four_eyes"), S("true"));

  set("38", "four_eyes", "");  // an empty value deletes
  EXPECT_EQ(get("38", "four_eyes"), S());
  EXPECT_EQ(get("38", "intro_media"), S("sha-'nhạc hiệu'; --"));
  EXPECT_EQ(get("16597", "four_eyes"), S("false"));
  set("38", "four_eyes", "");  // deleting what is absent is fine
  set("99999", "four_eyes", "");
  EXPECT_EQ(get("38", "four_eyes"), S());

  Status st = store_->write([](Tx& tx) { return tx.set_unit_setting("99999", "four_eyes", "x"); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "invalid_reference");
}

std::vector<std::string> backends();

// ---------------------------------------------------------------------------------------------
// Broadcast capability (schema v3)

Device make_device(const std::string& id, const std::string& serial, const Unit& commune,
                   const Unit* village = nullptr) {
  Device d;
  d.id = id;
  d.kind = DeviceKind::kCluster;
  d.name = "Cụm loa " + serial;
  d.serial = serial;
  d.imei = "490154203237518";
  d.vendor = "Hanet";
  d.model = "IP-LOA-4G";
  d.firmware = "1.2.3";
  d.commune_code = commune.code;
  d.village_code = village != nullptr ? village->code : "";
  d.unit_path = village != nullptr ? village->path : commune.path;
  d.lat = 19.8067;
  d.lon = 105.7851;
  d.horns = 4;
  d.watts = 120;
  d.status = DeviceStatus::kRegistered;
  d.secret_hash = "";
  d.credential_version = 0;
  d.created_at = kT0;
  d.updated_at = kT0;
  return d;
}

void expect_same_device(const Device& a, const Device& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.serial, b.serial);
  EXPECT_EQ(a.imei, b.imei);
  EXPECT_EQ(a.vendor, b.vendor);
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.firmware, b.firmware);
  EXPECT_EQ(a.commune_code, b.commune_code);
  EXPECT_EQ(a.village_code, b.village_code);
  EXPECT_EQ(a.unit_path, b.unit_path);
  EXPECT_EQ(a.lat, b.lat);  // exact: the stored double reads back as is
  EXPECT_EQ(a.lon, b.lon);
  EXPECT_EQ(a.horns, b.horns);
  EXPECT_EQ(a.watts, b.watts);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.secret_hash, b.secret_hash);
  EXPECT_EQ(a.credential_version, b.credential_version);
  EXPECT_EQ(a.online, b.online);
  EXPECT_EQ(a.last_seen, b.last_seen);
  EXPECT_EQ(a.state_json, b.state_json);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
}

std::vector<std::string> device_ids(const std::vector<Device>& rows) {
  std::vector<std::string> out;
  for (const Device& d : rows) out.push_back(d.id);
  return out;
}

constexpr const char* kPlayingState =
    R"({"online":true,"ts":1790000100,"agent":"nguon-agent/0.1","firmware":"1.2.3",)"
    R"("playing":{"kind":"media","sha256":"ab","priority":"normal"},"volume":70})";
constexpr const char* kIdleState =
    R"({"online":true,"ts":1790000100,"agent":"nguon-agent/0.1","firmware":"1.2.3",)"
    R"("playing":null,"volume":70})";

PlayLog make_log(const std::string& device, const std::string& event, const std::string& type,
                 const Unit& commune, UnixTime started, UnixTime ended) {
  PlayLog l;
  l.device_id = device;
  l.event_id = event;
  l.type = type;
  l.ts = ended != 0 ? ended : started;
  l.slot = "p1@" + std::to_string(started);
  l.sha256 = "ab";
  l.started = started;
  l.ended = ended;
  l.commune_code = commune.code;
  l.unit_path = commune.path;
  l.received_at = l.ts + 1;
  return l;
}

class BroadcastStoreContract : public StoreContract {
 protected:
  void add_device(const Device& d) {
    must_write([&](Tx& tx) { return tx.insert_device(d); });
  }
  Status try_write(const std::function<Status(Tx&)>& fn) { return store_->write(fn); }
  std::int64_t add_group(const DeviceGroup& g) {
    std::int64_t id = 0;
    must_write([&](Tx& tx) -> Status {
      auto r = tx.insert_group(g);
      if (!r) return r.error();
      id = r.value();
      return {};
    });
    return id;
  }
};

TEST_P(BroadcastStoreContract, DeviceRoundTripsEveryField) {
  Device d = make_device("d0123456789abcdef", "SN-1", tree_.c16597, &tree_.v001);
  d.kind = DeviceKind::kBoard;
  d.name = "Bảng 'điện tử'; DROP TABLE devices;--";
  d.lat = 8.000000000000002;
  d.lon = 109.99999999999999;
  d.status = DeviceStatus::kProvisioned;
  d.secret_hash = std::string(64, 'a');
  d.credential_version = 3;
  add_device(d);
  auto found = fetch([&](Tx& tx) { return tx.find_device(d.id); });
  ASSERT_TRUE(found.has_value());
  expect_same_device(*found, d);

  Device bare = make_device("d1111111111111111", "SN-2", tree_.c14797);
  bare.lat.reset();
  bare.lon.reset();
  bare.imei = "";
  add_device(bare);
  auto b = fetch([&](Tx& tx) { return tx.find_device(bare.id); });
  ASSERT_TRUE(b.has_value());
  expect_same_device(*b, bare);
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_device("dffffffffffffffff"); }).has_value());
}

TEST_P(BroadcastStoreContract, DeviceIdAndActiveSerialAreUnique) {
  add_device(make_device("d0000000000000001", "SN-1", tree_.c14797));
  Status same_id = try_write([&](Tx& tx) {
    return tx.insert_device(make_device("d0000000000000001", "SN-9", tree_.c14797));
  });
  ASSERT_FALSE(same_id.ok());
  EXPECT_EQ(same_id.error().code, "device_exists");
  Status same_serial = try_write([&](Tx& tx) {
    return tx.insert_device(make_device("d0000000000000002", "SN-1", tree_.c16597));
  });
  ASSERT_FALSE(same_serial.ok());
  EXPECT_EQ(same_serial.error().code, "serial_exists");

  // A decommissioned device frees its serial.
  Device old = fetch([](Tx& tx) { return tx.find_device("d0000000000000001"); }).value();
  old.status = DeviceStatus::kDecommissioned;
  must_write([&](Tx& tx) { return tx.update_device(old); });
  add_device(make_device("d0000000000000002", "SN-1", tree_.c16597));
  // …but it cannot come back while the serial is in use again.
  old.status = DeviceStatus::kRegistered;
  Status back = try_write([&](Tx& tx) { return tx.update_device(old); });
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().code, "serial_exists");
}

TEST_P(BroadcastStoreContract, DeviceWithUnknownUnitIsAnInvalidReference) {
  Device d = make_device("d0000000000000001", "SN-1", tree_.c14797);
  d.commune_code = "99999";
  Status st = try_write([&](Tx& tx) { return tx.insert_device(d); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "invalid_reference");
  d.commune_code = "14797";
  d.village_code = "14797-999";
  st = try_write([&](Tx& tx) { return tx.insert_device(d); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "invalid_reference");
}

TEST_P(BroadcastStoreContract, UpdateDeviceKeepsReportedStateAndCreation) {
  Device d = make_device("d0000000000000001", "SN-1", tree_.c14797);
  add_device(d);
  must_write([&](Tx& tx) { return tx.set_device_state(d.id, true, kT0 + 100, kPlayingState); });
  Device changed = d;
  changed.name = "Đổi tên";
  changed.commune_code = "16597";
  changed.village_code = "16597-002";
  changed.unit_path = tree_.v002.path;
  changed.lat.reset();
  changed.horns = 8;
  changed.status = DeviceStatus::kProvisioned;
  changed.secret_hash = "h";
  changed.credential_version = 1;
  changed.online = false;        // ignored: reported state
  changed.created_at = kT0 + 5;  // ignored
  changed.updated_at = kT0 + 200;
  must_write([&](Tx& tx) { return tx.update_device(changed); });
  Device expected = changed;
  expected.online = true;
  expected.last_seen = kT0 + 100;
  expected.state_json = kPlayingState;
  expected.created_at = kT0;
  expect_same_device(fetch([&](Tx& tx) { return tx.find_device(d.id); }).value(), expected);

  Device ghost = make_device("d0000000000000009", "SN-9", tree_.c14797);
  Status st = try_write([&](Tx& tx) { return tx.update_device(ghost); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kNotFound);
}

TEST_P(BroadcastStoreContract, ListAndCountDevicesFilterByPathStatusOnlineTextAndGroup) {
  Device a = make_device("d000000000000000a", "SN-A", tree_.c14797);
  a.name = "An";
  Device b = make_device("d000000000000000b", "SN-B", tree_.c16597, &tree_.v001);
  b.name = "Bình";
  Device c = make_device("d000000000000000c", "SN-C", tree_.c16597);
  c.name = "Cầu_100%";
  c.imei = "";
  Device x = make_device("d000000000000000d", "SN-D", tree_.c00004);
  x.name = "Dương";
  x.status = DeviceStatus::kDecommissioned;
  for (const Device& d : {c, a, x, b}) add_device(d);
  must_write([&](Tx& tx) -> Status {
    NGUON_TRY(tx.set_device_state(a.id, true, kT0 + 1, kPlayingState));
    NGUON_TRY(tx.set_device_state(b.id, true, kT0 + 1, kIdleState));
    NGUON_TRY(tx.set_device_state(c.id, false, kT0 + 1, kPlayingState));  // offline: not playing
    return tx.set_device_state(x.id, true, kT0 + 1, kPlayingState);       // decommissioned
  });

  auto list = [&](DeviceQuery q) {
    return device_ids(fetch([&](Tx& tx) { return tx.list_devices(q); }));
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(list({}), (V{a.id, b.id, c.id, x.id}));  // by name
  EXPECT_EQ(list({"VN/38/"}), (V{a.id, b.id, c.id}));
  EXPECT_EQ(list({tree_.c16597.path}), (V{b.id, c.id}));
  EXPECT_EQ(list({tree_.v001.path}), (V{b.id}));
  DeviceQuery q;
  q.status = DeviceStatus::kDecommissioned;
  EXPECT_EQ(list(q), (V{x.id}));
  q = {};
  q.online = true;
  EXPECT_EQ(list(q), (V{a.id, b.id, x.id}));
  q.online = false;
  EXPECT_EQ(list(q), (V{c.id}));
  q = {};
  q.text = "SN-B";
  EXPECT_EQ(list(q), (V{b.id}));
  q.text = "_100%";  // LIKE metacharacters match literally
  EXPECT_EQ(list(q), (V{c.id}));
  q.text = "000000d";
  EXPECT_EQ(list(q), (V{x.id}));
  q.text = "4901542";  // imei
  EXPECT_EQ(list(q), (V{a.id, b.id, x.id}));
  q = {};
  q.limit = 2;
  q.offset = 1;
  EXPECT_EQ(list(q), (V{b.id, c.id}));

  DeviceGroup g;
  g.unit_code = "16597";
  g.unit_path = tree_.c16597.path;
  g.name = "Chợ";
  g.device_ids = {c.id, a.id};
  const std::int64_t gid = add_group(g);
  q = {};
  q.group_id = gid;
  EXPECT_EQ(list(q), (V{a.id, c.id}));

  DeviceCounts all = fetch([](Tx& tx) { return tx.count_devices(""); });
  EXPECT_EQ(all.total, 3);
  EXPECT_EQ(all.online, 2);
  EXPECT_EQ(all.playing, 1);
  EXPECT_EQ(all.decommissioned, 1);
  DeviceCounts hl = fetch([&](Tx& tx) { return tx.count_devices(tree_.c16597.path); });
  EXPECT_EQ(hl.total, 2);
  EXPECT_EQ(hl.online, 1);
  EXPECT_EQ(hl.playing, 0);
  EXPECT_EQ(hl.decommissioned, 0);
}

TEST_P(BroadcastStoreContract, SetDeviceStateRecordsTheReport) {
  Device d = make_device("d0000000000000001", "SN-1", tree_.c14797);
  add_device(d);
  must_write([&](Tx& tx) { return tx.set_device_state(d.id, true, kT0 + 7, kIdleState); });
  Device got = fetch([&](Tx& tx) { return tx.find_device(d.id); }).value();
  EXPECT_TRUE(got.online);
  EXPECT_EQ(got.last_seen, kT0 + 7);
  EXPECT_EQ(got.state_json, kIdleState);
  must_write(
      [&](Tx& tx) { return tx.set_device_state(d.id, false, kT0 + 9, "{\"online\":false}"); });
  got = fetch([&](Tx& tx) { return tx.find_device(d.id); }).value();
  EXPECT_FALSE(got.online);
  EXPECT_EQ(got.last_seen, kT0 + 9);
  Status st =
      try_write([](Tx& tx) { return tx.set_device_state("dffffffffffffffff", true, 1, "{}"); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kNotFound);
}

TEST_P(BroadcastStoreContract, DevicesInUnitsOrGroupsSkipsDecommissioned) {
  Device a = make_device("d000000000000000a", "SN-A", tree_.c14797);
  Device b = make_device("d000000000000000b", "SN-B", tree_.c16597, &tree_.v001);
  Device c = make_device("d000000000000000c", "SN-C", tree_.c00004);
  Device x = make_device("d000000000000000d", "SN-D", tree_.c16597);
  x.status = DeviceStatus::kDecommissioned;
  for (const Device& d : {a, b, c, x}) add_device(d);
  DeviceGroup g;
  g.unit_code = "01";
  g.unit_path = tree_.p01.path;
  g.name = "Hà Nội";
  g.device_ids = {c.id, a.id, x.id};
  const std::int64_t gid = add_group(g);
  using V = std::vector<std::string>;
  auto in = [&](std::vector<std::string> paths, std::vector<std::int64_t> groups) {
    return device_ids(fetch([&](Tx& tx) { return tx.devices_in(paths, groups); }));
  };
  EXPECT_EQ(in({}, {}), V{});
  EXPECT_EQ(in({tree_.c16597.path}, {}), V{b.id});
  EXPECT_EQ(in({tree_.v001.path, tree_.c14797.path}, {}), (V{a.id, b.id}));
  EXPECT_EQ(in({}, {gid}), (V{a.id, c.id}));
  EXPECT_EQ(in({tree_.c14797.path}, {gid}), (V{a.id, c.id}));  // each once
  EXPECT_EQ(in({"VN/"}, {}), (V{a.id, b.id, c.id}));
  EXPECT_EQ(in({}, {gid + 100}), V{});
}

TEST_P(BroadcastStoreContract, GroupsCrudWithOrderedMembers) {
  Device a = make_device("d000000000000000a", "SN-A", tree_.c16597);
  Device b = make_device("d000000000000000b", "SN-B", tree_.c16597, &tree_.v002);
  add_device(a);
  add_device(b);
  DeviceGroup g;
  g.unit_code = "16597";
  g.unit_path = tree_.c16597.path;
  g.name = "Cụm chợ";
  g.device_ids = {b.id, a.id};
  g.id = add_group(g);
  EXPECT_GT(g.id, 0);
  DeviceGroup other;
  other.unit_code = "14797";
  other.unit_path = tree_.c14797.path;
  other.name = "A trước";
  other.device_ids = {};
  other.id = add_group(other);

  auto found = fetch([&](Tx& tx) { return tx.find_group(g.id); });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, g.name);
  EXPECT_EQ(found->unit_code, "16597");
  EXPECT_EQ(found->unit_path, tree_.c16597.path);
  EXPECT_EQ(found->device_ids, (std::vector<std::string>{b.id, a.id}));

  auto listed = fetch([](Tx& tx) { return tx.list_groups("VN/38/"); });
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, other.id);  // by name
  EXPECT_EQ(listed[1].device_ids, (std::vector<std::string>{b.id, a.id}));
  EXPECT_EQ(fetch([](Tx& tx) { return tx.list_groups("VN/01/"); }).size(), 0u);
  EXPECT_EQ(fetch([&](Tx& tx) { return tx.groups_of(a.id); }), std::vector<std::int64_t>{g.id});

  g.name = "Cụm chợ mới";
  g.device_ids = {a.id};
  must_write([&](Tx& tx) { return tx.update_group(g); });
  found = fetch([&](Tx& tx) { return tx.find_group(g.id); });
  EXPECT_EQ(found->name, "Cụm chợ mới");
  EXPECT_EQ(found->device_ids, std::vector<std::string>{a.id});
  EXPECT_EQ(fetch([&](Tx& tx) { return tx.groups_of(b.id); }), std::vector<std::int64_t>{});

  // An unknown member leaves the group as it was.
  DeviceGroup bad = g;
  bad.name = "hỏng";
  bad.device_ids = {a.id, "dffffffffffffffff"};
  Status st = try_write([&](Tx& tx) { return tx.update_group(bad); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "invalid_reference");
  EXPECT_EQ(fetch([&](Tx& tx) { return tx.find_group(g.id); })->name, "Cụm chợ mới");
  bad.id = 0;
  st = try_write([&](Tx& tx) -> Status {
    auto r = tx.insert_group(bad);
    return r ? Status() : r.error();
  });
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(fetch([](Tx& tx) { return tx.list_groups(""); }).size(), 2u);

  must_write([&](Tx& tx) { return tx.delete_group(g.id); });
  EXPECT_FALSE(fetch([&](Tx& tx) { return tx.find_group(g.id); }).has_value());
  EXPECT_EQ(fetch([&](Tx& tx) { return tx.groups_of(a.id); }), std::vector<std::int64_t>{});
  st = try_write([&](Tx& tx) { return tx.delete_group(g.id); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kNotFound);
  g.id = 12345;
  st = try_write([&](Tx& tx) { return tx.update_group(g); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kNotFound);
}

Programme make_programme(const Unit& owner, std::int64_t created_by) {
  Programme p;
  p.owner_unit = owner.code;
  p.owner_path = owner.path;
  p.name = "Bản tin sáng";
  p.priority = Priority::kPriority;
  p.target_units = {"16597-001", "16597"};
  p.target_groups = {7, 3};
  p.rrule = "FREQ=WEEKLY;BYDAY=MO,FR";
  p.first_date = "2026-12-01";
  p.last_date = "";
  p.exdates = {"2026-12-25", "2027-01-01"};
  p.start_minute = 360;
  p.duration_minutes = 30;
  p.items = {{ProgrammeItemKind::kIntro, 0, "", "", 0, ""},
             {ProgrammeItemKind::kBulletin, 42, "", "", 0, "Tin \"sáng\""},
             {ProgrammeItemKind::kMedia, 0, std::string(64, 'f'), "", 0, "Nhạc"},
             {ProgrammeItemKind::kStream, 0, "", "http://vov.vn/vov1.ogg", 900, "VOV1"}};
  p.enabled = true;
  p.created_by = created_by;
  p.created_at = kT0;
  p.updated_at = kT0;
  return p;
}

void expect_same_programme(const Programme& a, const Programme& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.owner_unit, b.owner_unit);
  EXPECT_EQ(a.owner_path, b.owner_path);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.priority, b.priority);
  EXPECT_EQ(a.target_units, b.target_units);
  EXPECT_EQ(a.target_groups, b.target_groups);
  EXPECT_EQ(a.rrule, b.rrule);
  EXPECT_EQ(a.first_date, b.first_date);
  EXPECT_EQ(a.last_date, b.last_date);
  EXPECT_EQ(a.exdates, b.exdates);
  EXPECT_EQ(a.start_minute, b.start_minute);
  EXPECT_EQ(a.duration_minutes, b.duration_minutes);
  EXPECT_EQ(a.items, b.items);
  EXPECT_EQ(a.enabled, b.enabled);
  EXPECT_EQ(a.created_by, b.created_by);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
}

TEST_P(BroadcastStoreContract, ProgrammesRoundTripUpdateListAndDelete) {
  const std::int64_t author = add_user(make_user("dai", "16597"));
  Programme p = make_programme(tree_.c16597, author);
  Programme q = make_programme(tree_.p38, 0);  // no creator: stored as none
  q.enabled = false;
  q.target_units = {};
  q.target_groups = {};
  q.exdates = {};
  q.items = {};
  for (Programme* x : {&p, &q}) {
    must_write([&](Tx& tx) -> Status {
      auto id = tx.insert_programme(*x);
      if (!id) return id.error();
      x->id = id.value();
      return {};
    });
  }
  expect_same_programme(fetch([&](Tx& tx) { return tx.find_programme(p.id); }).value(), p);
  expect_same_programme(fetch([&](Tx& tx) { return tx.find_programme(q.id); }).value(), q);

  auto ids = [](const std::vector<Programme>& v) {
    std::vector<std::int64_t> out;
    for (const Programme& x : v) out.push_back(x.id);
    return out;
  };
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(ids(fetch([](Tx& tx) { return tx.list_programmes("VN/38/"); })), (V{p.id, q.id}));
  EXPECT_EQ(ids(fetch([&](Tx& tx) { return tx.list_programmes(tree_.c16597.path); })), V{p.id});
  EXPECT_EQ(ids(fetch([](Tx& tx) { return tx.enabled_programmes(); })), V{p.id});

  Programme changed = p;
  changed.name = "Bản tin chiều";
  changed.enabled = false;
  changed.items.pop_back();
  changed.exdates = {"2026-12-31"};
  changed.owner_unit = "14797";   // ignored
  changed.created_at = kT0 + 99;  // ignored
  changed.updated_at = kT0 + 100;
  must_write([&](Tx& tx) { return tx.update_programme(changed); });
  Programme expected = changed;
  expected.owner_unit = p.owner_unit;
  expected.created_at = p.created_at;
  expect_same_programme(fetch([&](Tx& tx) { return tx.find_programme(p.id); }).value(), expected);
  EXPECT_EQ(ids(fetch([](Tx& tx) { return tx.enabled_programmes(); })), V{});

  must_write([&](Tx& tx) { return tx.delete_programme(p.id); });
  EXPECT_FALSE(fetch([&](Tx& tx) { return tx.find_programme(p.id); }).has_value());
  Status st = store_->write([&](Tx& tx) { return tx.delete_programme(p.id); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kNotFound);
  st = store_->write([&](Tx& tx) { return tx.update_programme(p); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kNotFound);
}

TEST_P(BroadcastStoreContract, OrderSequenceIsStrictlyIncreasing) {
  std::vector<std::int64_t> seen;
  for (int i = 0; i < 3; ++i) {
    must_write([&](Tx& tx) -> Status {
      auto s = tx.next_order_seq();
      if (!s) return s.error();
      seen.push_back(s.value());
      return {};
    });
  }
  // A rolled-back transaction never makes a later value smaller.
  (void)store_->write([&](Tx& tx) -> Status {
    auto s = tx.next_order_seq();
    if (s) seen.push_back(s.value());
    return internal("roll back");
  });
  must_write([&](Tx& tx) -> Status {
    auto s = tx.next_order_seq();
    if (!s) return s.error();
    seen.push_back(s.value());
    return {};
  });
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_GE(seen[0], 1);
  EXPECT_LT(seen[0], seen[1]);
  EXPECT_LT(seen[1], seen[2]);
  EXPECT_LT(seen[2], seen[4]);
}

TEST_P(BroadcastStoreContract, OrderSequenceIsUniqueUnderConcurrentWriters) {
  constexpr int kThreads = 6;
  constexpr int kEach = 15;
  std::mutex mu;
  std::vector<std::int64_t> all;
  std::vector<std::thread> threads;
  std::latch start(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      start.arrive_and_wait();
      std::vector<std::int64_t> mine;
      for (int i = 0; i < kEach; ++i) {
        Status st = store_->write([&](Tx& tx) -> Status {
          auto s = tx.next_order_seq();
          if (!s) return s.error();
          mine.push_back(s.value());
          return {};
        });
        EXPECT_TRUE(st.ok()) << describe(st);
      }
      EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
      std::lock_guard lock(mu);
      all.insert(all.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
}

TEST_P(BroadcastStoreContract, OrdersRoundTripAndStop) {
  const std::int64_t author = add_user(make_user("dai", "16597"));
  BroadcastOrder o;
  o.id = "o17";
  o.owner_unit = "16597";
  o.priority = Priority::kEmergency;
  o.areas = {"16597", "g3", "16597-001"};
  o.payload_json = R"({"order":"o17","priority":"emergency","repeat":1,"items":[]})";
  o.created_by = author;
  o.created_at = kT0;
  must_write([&](Tx& tx) { return tx.insert_order(o); });
  Status dup = store_->write([&](Tx& tx) { return tx.insert_order(o); });
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, "order_exists");

  auto got = fetch([](Tx& tx) { return tx.find_order("o17"); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->owner_unit, o.owner_unit);
  EXPECT_EQ(got->priority, o.priority);
  EXPECT_EQ(got->areas, o.areas);
  EXPECT_EQ(got->payload_json, o.payload_json);
  EXPECT_EQ(got->created_by, author);
  EXPECT_EQ(got->created_at, kT0);
  EXPECT_EQ(got->stopped_at, 0);
  must_write([](Tx& tx) { return tx.mark_order_stopped("o17", kT0 + 60); });
  EXPECT_EQ(fetch([](Tx& tx) { return tx.find_order("o17"); })->stopped_at, kT0 + 60);
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_order("o18"); }).has_value());
  Status st = store_->write([](Tx& tx) { return tx.mark_order_stopped("o18", kT0); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kNotFound);
}

TEST_P(BroadcastStoreContract, PlayLogsAreDeduplicatedByDeviceAndEvent) {
  add_device(make_device("d000000000000000a", "SN-A", tree_.c14797));
  add_device(make_device("d000000000000000b", "SN-B", tree_.c16597));
  PlayLog l = make_log("d000000000000000a", "e1", "played", tree_.c14797, kT0, kT0 + 60);
  l.order = "o3";
  l.url = "http://x/'y'";
  l.reason = "";
  bool first = false;
  bool second = true;
  must_write([&](Tx& tx) -> Status {
    auto r = tx.insert_play_log(l);
    if (!r) return r.error();
    first = r.value();
    PlayLog again = l;
    again.type = "failed";  // same (device, event): ignored
    auto r2 = tx.insert_play_log(again);
    if (!r2) return r2.error();
    second = r2.value();
    // The same event id from another device is another report.
    auto r3 = tx.insert_play_log(
        make_log("d000000000000000b", "e1", "played", tree_.c16597, kT0, kT0 + 30));
    return r3 ? Status() : r3.error();
  });
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  PlayLogQuery q;
  q.device_id = "d000000000000000a";
  auto logs = fetch([&](Tx& tx) { return tx.list_play_logs(q); });
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_GT(logs[0].id, 0);
  EXPECT_EQ(logs[0].device_id, l.device_id);
  EXPECT_EQ(logs[0].event_id, "e1");
  EXPECT_EQ(logs[0].type, "played");
  EXPECT_EQ(logs[0].ts, l.ts);
  EXPECT_EQ(logs[0].slot, l.slot);
  EXPECT_EQ(logs[0].order, "o3");
  EXPECT_EQ(logs[0].sha256, "ab");
  EXPECT_EQ(logs[0].url, l.url);
  EXPECT_EQ(logs[0].started, kT0);
  EXPECT_EQ(logs[0].ended, kT0 + 60);
  EXPECT_EQ(logs[0].commune_code, "14797");
  EXPECT_EQ(logs[0].unit_path, tree_.c14797.path);
  EXPECT_EQ(logs[0].received_at, l.received_at);

  Status unknown = store_->write([&](Tx& tx) -> Status {
    auto r = tx.insert_play_log(make_log("dffffffffffffffff", "e9", "played", tree_.c14797, 1, 2));
    return r ? Status() : r.error();
  });
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, "invalid_reference");
}

PlayLog with_order(PlayLog l, std::string order) {
  l.order = std::move(order);
  l.slot.clear();
  return l;
}

TEST_P(BroadcastStoreContract, ListPlayLogsFiltersAndPagesNewestFirst) {
  add_device(make_device("d000000000000000a", "SN-A", tree_.c14797));
  add_device(make_device("d000000000000000b", "SN-B", tree_.c16597));
  must_write([&](Tx& tx) -> Status {
    for (const PlayLog& l :
         {make_log("d000000000000000a", "1", "played", tree_.c14797, kT0, kT0 + 10),
          make_log("d000000000000000a", "2", "failed", tree_.c14797, kT0 + 20, 0),
          with_order(
              make_log("d000000000000000b", "3", "interrupted", tree_.c16597, kT0 + 30, kT0 + 40),
              "o9"),
          make_log("d000000000000000b", "4", "played", tree_.c16597, kT0 + 50, kT0 + 60)}) {
      auto r = tx.insert_play_log(l);
      if (!r) return r.error();
    }
    return {};
  });
  auto events = [&](PlayLogQuery q) {
    std::vector<std::string> out;
    for (const PlayLog& l : fetch([&](Tx& tx) { return tx.list_play_logs(q); })) {
      out.push_back(l.event_id);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(events({}), (V{"4", "3", "2", "1"}));
  EXPECT_EQ(events({tree_.c16597.path}), (V{"4", "3"}));
  PlayLogQuery q;
  q.device_id = "d000000000000000a";
  EXPECT_EQ(events(q), (V{"2", "1"}));
  q = {};
  q.from = kT0 + 20;
  q.to = kT0 + 60;  // exclusive
  EXPECT_EQ(events(q), (V{"3", "2"}));
  q = {};
  q.types = {"played", "interrupted"};
  EXPECT_EQ(events(q), (V{"4", "3", "1"}));
  q.limit = 1;
  q.offset = 1;
  EXPECT_EQ(events(q), (V{"3"}));
  q = {};
  q.order = "o9";  // event 3's order
  EXPECT_EQ(events(q), (V{"3"}));
  q.order = "o404";
  EXPECT_EQ(events(q), V{});
}

TEST_P(BroadcastStoreContract, AirtimeSumsPlayedAndInterruptedByCommuneOrDevice) {
  add_device(make_device("d000000000000000a", "SN-A", tree_.c14797));
  add_device(make_device("d000000000000000b", "SN-B", tree_.c16597));
  add_device(make_device("d000000000000000c", "SN-C", tree_.c16597, &tree_.v001));
  must_write([&](Tx& tx) -> Status {
    PlayLog in_village = make_log("d000000000000000c", "5", "played", tree_.c16597, kT0, kT0 + 5);
    in_village.unit_path = tree_.v001.path;
    for (const PlayLog& l :
         {make_log("d000000000000000a", "1", "played", tree_.c14797, kT0, kT0 + 100),
          make_log("d000000000000000a", "2", "interrupted", tree_.c14797, kT0 + 200, kT0 + 230),
          make_log("d000000000000000a", "3", "failed", tree_.c14797, kT0 + 300, kT0 + 400),
          make_log("d000000000000000a", "4", "playing", tree_.c14797, kT0 + 500, 0),
          make_log("d000000000000000b", "1", "played", tree_.c16597, kT0 + 10, kT0 + 70),
          make_log("d000000000000000b", "2", "played", tree_.c16597, 0, kT0 + 70),  // no start
          make_log("d000000000000000b", "3", "played", tree_.c16597, kT0 + 5000, kT0 + 5100),
          in_village}) {
      auto r = tx.insert_play_log(l);
      if (!r) return r.error();
    }
    return {};
  });
  auto rows = [&](const std::string& path, const std::string& by, UnixTime from, UnixTime to) {
    std::vector<std::tuple<std::string, std::int64_t, std::int64_t>> out;
    for (const AirtimeRow& r : fetch([&](Tx& tx) { return tx.airtime(path, by, from, to); })) {
      out.emplace_back(r.key, r.seconds, r.plays);
    }
    return out;
  };
  using R = std::vector<std::tuple<std::string, std::int64_t, std::int64_t>>;
  EXPECT_EQ(rows("", "commune", 0, 0), (R{{"16597", 165, 3}, {"14797", 130, 2}}));
  EXPECT_EQ(rows("VN/38/", "commune", kT0, kT0 + 1000), (R{{"14797", 130, 2}, {"16597", 65, 2}}));
  EXPECT_EQ(rows(tree_.c16597.path, "device", 0, 0),
            (R{{"d000000000000000b", 160, 2}, {"d000000000000000c", 5, 1}}));
  EXPECT_EQ(rows("VN/01/", "device", 0, 0), R{});
  Status bad = store_->read([](Tx& tx) -> Status {
    auto r = tx.airtime("", "village", 0, 0);
    return r ? Status() : r.error();
  });
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "invalid_field");
}

TEST_P(BroadcastStoreContract, MigratesAVersionTwoDatabaseToTheLatest) {
  const std::int64_t lan = add_user(make_user("lan", "38"));
  const std::int64_t id = add_bulletin(make_bulletin("38", lan, "truoc v3"));
  store_.reset();
  ASSERT_EQ(raw_sql(target_, drop_schema_v5()), "");
  ASSERT_EQ(raw_sql(target_, drop_schema_v4()), "");
  ASSERT_EQ(raw_sql(target_, drop_schema_v3(is_postgres())), "");
  store_ = open(target_);
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->schema_version().value(), 2);
  auto v = store_->migrate();
  ASSERT_TRUE(v.ok()) << describe(v);
  EXPECT_EQ(v.value(), kSchemaVersion);
  EXPECT_TRUE(fetch([&](Tx& tx) { return tx.find_bulletin(id); }).has_value());
  add_device(make_device("d000000000000000a", "SN-A", tree_.c14797));
  EXPECT_EQ(fetch([](Tx& tx) { return tx.count_devices(""); }).total, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, BroadcastStoreContract, ::testing::ValuesIn(backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// ---------------------------------------------------------------------------------------------
// Two-way capability (schema v4)

FeedbackService make_service(const std::string& code, const std::string& group) {
  FeedbackService s;
  s.code = code;
  s.name_vi = "Phản ánh " + code;
  s.name_en = "Report " + code;
  s.description = "Mô tả " + code;
  s.group = group;
  s.keywords = "ổ gà,đường";
  s.attributes_json =
      R"([{"code":"depth","datatype":"number","required":false,"description":"Độ sâu",)"
      R"("order":1}])";
  s.forward_days = 3;
  s.answer_days = 15;
  return s;
}

void expect_same_service(const FeedbackService& a, const FeedbackService& b) {
  EXPECT_EQ(a.code, b.code);
  EXPECT_EQ(a.name_vi, b.name_vi);
  EXPECT_EQ(a.name_en, b.name_en);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.group, b.group);
  EXPECT_EQ(a.keywords, b.keywords);
  EXPECT_EQ(a.attributes_json, b.attributes_json);
  EXPECT_EQ(a.forward_days, b.forward_days);
  EXPECT_EQ(a.answer_days, b.answer_days);
  EXPECT_EQ(a.active, b.active);
}

void expect_same_agency(const Agency& a, const Agency& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.unit_code, b.unit_code);
  EXPECT_EQ(a.unit_path, b.unit_path);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.email, b.email);
  EXPECT_EQ(a.supervisor_agency, b.supervisor_agency);
  EXPECT_EQ(a.active, b.active);
}

void expect_same_rule(const RoutingRule& a, const RoutingRule& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.service_code, b.service_code);
  EXPECT_EQ(a.area_code, b.area_code);
  EXPECT_EQ(a.area_path, b.area_path);
  EXPECT_EQ(a.body_unit, b.body_unit);
  EXPECT_EQ(a.agency_id, b.agency_id);
}

// A received feedback from `commune`, handled by `body`'s People's Committee, submitted at kT0.
Feedback make_feedback(const std::string& code, const std::string& service, const Unit& commune,
                       const Unit& body) {
  Feedback f;
  f.tracking_code = code;
  f.service_code = service;
  f.title = "Phản ánh " + code;
  f.description = "Nội dung " + code;
  f.attributes_json = "{}";
  f.status = FeedbackStatus::kReceived;
  f.channel = "web";
  f.commune_code = commune.code;
  f.area_path = commune.path;
  f.location_method = "given";
  f.contact_hash = "contact-" + code;
  f.body_unit = body.code;
  f.body_path = body.path;
  f.submitted_at = kT0;
  f.updated_at = kT0;
  return f;
}

// Every field set, none to its default value.
Feedback full_feedback(const Tree& t) {
  Feedback f;
  f.tracking_code = "K7QM-4XZP-9DTR";
  f.service_code = "roads";
  f.title = "Ổ gà 'lớn'; DROP TABLE feedback;--";
  f.description = "Đường vào chợ Hải Lĩnh\nổ gà sâu 30 cm, 100% \"nguy hiểm\" \\ {a,b}";
  f.attributes_json = R"({"depth":"30","lanes":["a","b"]})";
  f.status = FeedbackStatus::kAssigned;
  f.channel = "open311";
  f.client = "app-thanh-hoa";
  f.commune_code = t.c16597.code;
  f.village_code = t.v001.code;
  f.area_path = t.v001.path;
  f.address = "Số 1, đường Lê Lợi";
  f.lat = 19.806700000000003;
  f.lon = -105.78510000000001;
  f.location_method = "point_in_commune";
  f.contact_name = "Nguyễn Văn A";
  f.contact_email = "a@example.vn";
  f.contact_phone = "0912345678";
  f.contact_hash = std::string(64, 'c');
  f.submitter_ip = "2001:db8::1";
  f.entered_by = 7;
  f.relayed_by = "Thôn Đông Hải";
  f.body_unit = t.c16597.code;
  f.body_path = t.c16597.path;
  f.agency_id = 3;
  f.forward_due = kT0 + 100;
  f.answer_due = kT0 + 200;
  f.reminded_at = kT0 + 150;
  f.escalation = 2;
  f.answer_status = AnswerStatus::kSubmitted;
  f.answer_text = "Đã sửa xong, liên hệ 0912345678";
  f.answer_public = "Đã sửa xong, liên hệ […]";
  f.answer_author = 11;
  f.answer_approver = 12;
  f.bulletin_id = 13;
  f.reject_reason = "trùng";
  f.merged_into = 14;
  f.rating = 4;
  f.rating_comment = "Tốt";
  f.reopen_count = 1;
  f.submitted_at = kT0 + 1;
  f.assigned_at = kT0 + 2;
  f.answered_at = kT0 + 3;
  f.closed_at = kT0 + 4;
  f.updated_at = kT0 + 5;
  f.attachments = {{std::string(64, 'a'), "image", "image/jpeg", 123456},
                   {std::string(64, 'b'), "audio", "audio/ogg; codecs=\"opus\"", 7},
                   {std::string(64, 'a'), "image", "image/jpeg", 123456}};
  return f;
}

void expect_same_feedback(const Feedback& a, const Feedback& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.tracking_code, b.tracking_code);
  EXPECT_EQ(a.service_code, b.service_code);
  EXPECT_EQ(a.title, b.title);
  EXPECT_EQ(a.description, b.description);
  EXPECT_EQ(a.attributes_json, b.attributes_json);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.channel, b.channel);
  EXPECT_EQ(a.client, b.client);
  EXPECT_EQ(a.commune_code, b.commune_code);
  EXPECT_EQ(a.village_code, b.village_code);
  EXPECT_EQ(a.area_path, b.area_path);
  EXPECT_EQ(a.address, b.address);
  EXPECT_EQ(a.lat, b.lat);  // exact: the stored double reads back as is
  EXPECT_EQ(a.lon, b.lon);
  EXPECT_EQ(a.location_method, b.location_method);
  EXPECT_EQ(a.contact_name, b.contact_name);
  EXPECT_EQ(a.contact_email, b.contact_email);
  EXPECT_EQ(a.contact_phone, b.contact_phone);
  EXPECT_EQ(a.contact_hash, b.contact_hash);
  EXPECT_EQ(a.submitter_ip, b.submitter_ip);
  EXPECT_EQ(a.entered_by, b.entered_by);
  EXPECT_EQ(a.relayed_by, b.relayed_by);
  ASSERT_EQ(a.attachments.size(), b.attachments.size());
  for (size_t i = 0; i < a.attachments.size(); ++i) {
    EXPECT_EQ(a.attachments[i].sha256, b.attachments[i].sha256) << i;
    EXPECT_EQ(a.attachments[i].kind, b.attachments[i].kind) << i;
    EXPECT_EQ(a.attachments[i].mime, b.attachments[i].mime) << i;
    EXPECT_EQ(a.attachments[i].bytes, b.attachments[i].bytes) << i;
  }
  EXPECT_EQ(a.body_unit, b.body_unit);
  EXPECT_EQ(a.body_path, b.body_path);
  EXPECT_EQ(a.agency_id, b.agency_id);
  EXPECT_EQ(a.forward_due, b.forward_due);
  EXPECT_EQ(a.answer_due, b.answer_due);
  EXPECT_EQ(a.reminded_at, b.reminded_at);
  EXPECT_EQ(a.escalation, b.escalation);
  EXPECT_EQ(a.answer_status, b.answer_status);
  EXPECT_EQ(a.answer_text, b.answer_text);
  EXPECT_EQ(a.answer_public, b.answer_public);
  EXPECT_EQ(a.answer_author, b.answer_author);
  EXPECT_EQ(a.answer_approver, b.answer_approver);
  EXPECT_EQ(a.bulletin_id, b.bulletin_id);
  EXPECT_EQ(a.reject_reason, b.reject_reason);
  EXPECT_EQ(a.merged_into, b.merged_into);
  EXPECT_EQ(a.rating, b.rating);
  EXPECT_EQ(a.rating_comment, b.rating_comment);
  EXPECT_EQ(a.reopen_count, b.reopen_count);
  EXPECT_EQ(a.submitted_at, b.submitted_at);
  EXPECT_EQ(a.assigned_at, b.assigned_at);
  EXPECT_EQ(a.answered_at, b.answered_at);
  EXPECT_EQ(a.closed_at, b.closed_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
}

void expect_same_event(const FeedbackEvent& a, const FeedbackEvent& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.feedback_id, b.feedback_id);
  EXPECT_EQ(a.ts, b.ts);
  EXPECT_EQ(a.actor, b.actor);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.detail, b.detail);
  EXPECT_EQ(a.is_public, b.is_public);
  EXPECT_EQ(a.status_after, b.status_after);
}

void expect_same_mail(const OutboxMail& a, const OutboxMail& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.to, b.to);
  EXPECT_EQ(a.subject, b.subject);
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.feedback_id, b.feedback_id);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.next_attempt_at, b.next_attempt_at);
  EXPECT_EQ(a.attempts, b.attempts);
  EXPECT_EQ(a.sent_at, b.sent_at);
  EXPECT_EQ(a.last_error, b.last_error);
}

template <typename T>
std::vector<std::int64_t> record_ids(const std::vector<T>& rows) {
  std::vector<std::int64_t> out;
  out.reserve(rows.size());
  for (const T& r : rows) out.push_back(r.id);
  return out;
}

using Ids = std::vector<std::int64_t>;

class FeedbackStoreContract : public StoreContract {
 protected:
  using Insert = std::function<Result<std::int64_t>(Tx&)>;

  // Runs an insert that returns the new id in a write transaction of its own.
  std::int64_t insert_id(const Insert& insert) {
    std::int64_t id = 0;
    must_write([&](Tx& tx) -> Status {
      auto r = insert(tx);
      if (!r) return r.error();
      id = r.value();
      return {};
    });
    return id;
  }
  // The error of a write that must fail.
  Error write_error(const std::function<Status(Tx&)>& fn) {
    Status st = store_->write(fn);
    EXPECT_FALSE(st.ok());
    return st.ok() ? Error{} : st.error();
  }
  Error insert_error(const Insert& insert) {
    return write_error([&](Tx& tx) -> Status {
      auto r = insert(tx);
      return r ? Status() : r.error();
    });
  }

  std::int64_t add_feedback(const Feedback& f) {
    return insert_id([&](Tx& tx) { return tx.insert_feedback(f); });
  }
  std::int64_t add_agency(const Agency& a) {
    return insert_id([&](Tx& tx) { return tx.insert_agency(a); });
  }
  std::int64_t add_rule(const RoutingRule& r) {
    return insert_id([&](Tx& tx) { return tx.insert_routing_rule(r); });
  }
  std::int64_t add_event(const FeedbackEvent& e) {
    return insert_id([&](Tx& tx) { return tx.insert_feedback_event(e); });
  }
  std::int64_t add_mail(const OutboxMail& m) {
    return insert_id([&](Tx& tx) { return tx.insert_outbox(m); });
  }
  std::optional<Feedback> find(std::int64_t id) {
    return fetch([&](Tx& tx) { return tx.find_feedback(id); });
  }
  Ids search(const FeedbackQuery& q) {
    return record_ids(fetch([&](Tx& tx) { return tx.search_feedback(q); }));
  }
};

TEST_P(FeedbackStoreContract, ServicesUpsertFindAndListByGroupThenCode) {
  FeedbackService roads = make_service("roads", "Hạ tầng");
  const FeedbackService lights = make_service("lights", "Hạ tầng");
  FeedbackService waste = make_service("waste", "Môi trường");
  waste.attributes_json = "";
  FeedbackService noise = make_service("noise", "An ninh");
  noise.active = false;
  must_write([&](Tx& tx) -> Status {
    for (const FeedbackService& s : {roads, lights, waste, noise}) {
      NGUON_TRY(tx.upsert_feedback_service(s));
    }
    return {};
  });
  auto find = [&](const std::string& code) {
    return fetch([&](Tx& tx) { return tx.find_feedback_service(code); });
  };
  auto list = [&](bool include_inactive) {
    std::vector<std::string> out;
    for (const FeedbackService& s :
         fetch([&](Tx& tx) { return tx.list_feedback_services(include_inactive); })) {
      out.push_back(s.code);
    }
    return out;
  };
  using V = std::vector<std::string>;
  ASSERT_TRUE(find("roads").has_value());
  expect_same_service(*find("roads"), roads);
  expect_same_service(*find("waste"), waste);
  expect_same_service(*find("noise"), noise);
  EXPECT_FALSE(find("bridges").has_value());
  // By group (byte order: "An ninh" < "Hạ tầng" < "Môi trường"), then code.
  EXPECT_EQ(list(false), (V{"lights", "roads", "waste"}));
  EXPECT_EQ(list(true), (V{"noise", "lights", "roads", "waste"}));

  // An upsert of a known code replaces every field.
  roads.name_vi = "Đường sá";
  roads.name_en = "Roads";
  roads.description = "";
  roads.group = "Giao thông";
  roads.keywords = "";
  roads.attributes_json = "";
  roads.forward_days = 1;
  roads.answer_days = 5;
  roads.active = false;
  must_write([&](Tx& tx) { return tx.upsert_feedback_service(roads); });
  expect_same_service(*find("roads"), roads);
  EXPECT_EQ(list(false), (V{"lights", "waste"}));
  EXPECT_EQ(list(true), (V{"noise", "roads", "lights", "waste"}));
  roads.active = true;
  must_write([&](Tx& tx) { return tx.upsert_feedback_service(roads); });
  EXPECT_EQ(list(false), (V{"roads", "lights", "waste"}));
}

TEST_P(FeedbackStoreContract, AgenciesInsertUpdateFindAndListByNameThenId) {
  Agency so;
  so.unit_code = "38";
  so.unit_path = tree_.p38.path;
  so.name = "Sở Xây dựng";
  so.email = "sxd@thanhhoa.gov.vn";
  so.id = add_agency(so);
  EXPECT_GT(so.id, 0);
  Agency police;
  police.unit_code = "16597";
  police.unit_path = tree_.c16597.path;
  police.name = "Công an xã";
  police.supervisor_agency = so.id;
  police.active = false;
  police.id = add_agency(police);
  Agency twin = so;  // same name: ordered by id
  twin.unit_code = "14797";
  twin.unit_path = tree_.c14797.path;
  twin.email = "";
  twin.id = add_agency(twin);
  Agency hanoi;
  hanoi.unit_code = "01";
  hanoi.unit_path = tree_.p01.path;
  hanoi.name = "Ban quản lý";
  hanoi.id = add_agency(hanoi);
  EXPECT_LT(so.id, police.id);
  EXPECT_LT(police.id, twin.id);

  auto find = [&](std::int64_t id) { return fetch([&](Tx& tx) { return tx.find_agency(id); }); };
  auto list = [&](const std::string& within) {
    return record_ids(fetch([&](Tx& tx) { return tx.list_agencies(within); }));
  };
  for (const Agency& a : {so, police, twin, hanoi}) {
    auto found = find(a.id);
    ASSERT_TRUE(found.has_value()) << a.name;
    expect_same_agency(*found, a);
  }
  EXPECT_FALSE(find(hanoi.id + 100).has_value());
  EXPECT_EQ(list("VN/38/"), (Ids{police.id, so.id, twin.id}));
  EXPECT_EQ(list(""), (Ids{hanoi.id, police.id, so.id, twin.id}));
  EXPECT_EQ(list(tree_.c16597.path), Ids{police.id});
  EXPECT_EQ(list("VN/01/"), Ids{hanoi.id});
  EXPECT_EQ(list("VN/0"), Ids{hanoi.id});
  EXPECT_EQ(list("vn/"), Ids{});

  // update rewrites everything but the id.
  police.unit_code = "14797";
  police.unit_path = tree_.c14797.path;
  police.name = "Công an phường";
  police.email = "ca@hacthanh.vn";
  police.supervisor_agency = 0;
  police.active = true;
  must_write([&](Tx& tx) { return tx.update_agency(police); });
  expect_same_agency(*find(police.id), police);
  EXPECT_EQ(list(tree_.c16597.path), Ids{});
  EXPECT_EQ(list(tree_.c14797.path), (Ids{police.id, twin.id}));

  // Errors write nothing.
  Agency unknown = police;
  unknown.id = hanoi.id + 100;
  EXPECT_EQ(write_error([&](Tx& tx) { return tx.update_agency(unknown); }).kind,
            ErrorKind::kNotFound);
  EXPECT_FALSE(find(unknown.id).has_value());
  Agency bad_unit = police;
  bad_unit.unit_code = "99999";
  EXPECT_EQ(write_error([&](Tx& tx) { return tx.update_agency(bad_unit); }).code,
            "invalid_reference");
  expect_same_agency(*find(police.id), police);
  bad_unit.id = 0;
  EXPECT_EQ(insert_error([&](Tx& tx) { return tx.insert_agency(bad_unit); }).code,
            "invalid_reference");
  Agency bad_supervisor = so;
  bad_supervisor.id = 0;
  bad_supervisor.supervisor_agency = hanoi.id + 100;
  EXPECT_EQ(insert_error([&](Tx& tx) { return tx.insert_agency(bad_supervisor); }).code,
            "invalid_reference");
  EXPECT_EQ(list("").size(), 4u);
}

TEST_P(FeedbackStoreContract, RoutingRulesInsertListDeleteAndConflicts) {
  Agency so;
  so.unit_code = "38";
  so.unit_path = tree_.p38.path;
  so.name = "Sở Xây dựng";
  so.id = add_agency(so);
  RoutingRule commune{0, "roads", "16597", tree_.c16597.path, "16597", 0};
  RoutingRule province_roads{0, "roads", "38", tree_.p38.path, "38", so.id};
  RoutingRule nation{0, "*", "VN", tree_.vn.path, "VN", 0};
  RoutingRule province_any{0, "*", "38", tree_.p38.path, "38", 0};
  for (RoutingRule* r : {&commune, &province_roads, &nation, &province_any}) {
    r->id = add_rule(*r);
    EXPECT_GT(r->id, 0);
  }
  auto list = [&] { return fetch([](Tx& tx) { return tx.list_routing_rules(); }); };
  // By area path, then service code ("*" first).
  auto rules = list();
  ASSERT_EQ(rules.size(), 4u);
  expect_same_rule(rules[0], nation);
  expect_same_rule(rules[1], province_any);
  expect_same_rule(rules[2], province_roads);
  expect_same_rule(rules[3], commune);

  // A duplicate (category, area) is a conflict; the transaction stays usable.
  RoutingRule lights{0, "lights", "38", tree_.p38.path, "38", 0};
  Error dup;
  must_write([&](Tx& tx) -> Status {
    RoutingRule again = province_roads;
    again.body_unit = "16597";
    again.agency_id = 0;
    auto r = tx.insert_routing_rule(again);
    EXPECT_FALSE(r.ok());
    if (!r.ok()) dup = r.error();
    auto ok = tx.insert_routing_rule(lights);
    if (!ok) return ok.error();
    lights.id = ok.value();
    return {};
  });
  EXPECT_EQ(dup.kind, ErrorKind::kConflict);
  EXPECT_EQ(dup.code, "rule_exists");
  rules = list();
  ASSERT_EQ(rules.size(), 5u);
  expect_same_rule(rules[2], lights);
  expect_same_rule(rules[3], province_roads);

  // Unknown units and agencies are invalid references.
  for (const RoutingRule& bad : {RoutingRule{0, "roads", "99999", "VN/99/", "38", 0},
                                 RoutingRule{0, "waste", "38", tree_.p38.path, "99999", 0},
                                 RoutingRule{0, "waste", "38", tree_.p38.path, "38", so.id + 9}}) {
    EXPECT_EQ(insert_error([&](Tx& tx) { return tx.insert_routing_rule(bad); }).code,
              "invalid_reference");
  }

  must_write([&](Tx& tx) { return tx.delete_routing_rule(province_roads.id); });
  EXPECT_EQ(record_ids(list()), (Ids{nation.id, province_any.id, lights.id, commune.id}));
  EXPECT_EQ(write_error([&](Tx& tx) { return tx.delete_routing_rule(province_roads.id); }).kind,
            ErrorKind::kNotFound);
  // Its (category, area) is free again.
  province_roads.id = add_rule(province_roads);
  EXPECT_EQ(list().size(), 5u);
}

TEST_P(FeedbackStoreContract, FeedbackRoundTripsEveryFieldWithAttachmentsAndNullableCoordinates) {
  Feedback full = full_feedback(tree_);
  full.id = add_feedback(full);
  EXPECT_GT(full.id, 0);
  auto by_id = find(full.id);
  ASSERT_TRUE(by_id.has_value());
  expect_same_feedback(*by_id, full);
  auto by_code = fetch([](Tx& tx) { return tx.find_feedback_by_code("K7QM-4XZP-9DTR"); });
  ASSERT_TRUE(by_code.has_value());
  expect_same_feedback(*by_code, full);

  // No coordinates and no attachments; then a zero latitude (not the same as none).
  Feedback bare = make_feedback("BARE-0000-0001", "roads", tree_.c14797, tree_.c14797);
  bare.id = add_feedback(bare);
  EXPECT_GT(bare.id, full.id);
  expect_same_feedback(*find(bare.id), bare);
  EXPECT_FALSE(find(bare.id)->lat.has_value());
  Feedback zero = make_feedback("ZERO-0000-0001", "roads", tree_.c14797, tree_.c14797);
  zero.lat = 0.0;
  zero.id = add_feedback(zero);
  auto z = find(zero.id);
  ASSERT_TRUE(z.has_value());
  EXPECT_EQ(z->lat, std::optional<double>(0.0));
  EXPECT_FALSE(z->lon.has_value());

  EXPECT_FALSE(find(zero.id + 100).has_value());
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_feedback_by_code("k7qm-4xzp-9dtr"); }));
}

TEST_P(FeedbackStoreContract, DuplicateTrackingCodeIsAConflictAndTheTransactionStaysUsable) {
  Feedback first = full_feedback(tree_);
  Feedback second = make_feedback("SECOND", "roads", tree_.c14797, tree_.c14797);
  Error dup;
  must_write([&](Tx& tx) -> Status {
    auto a = tx.insert_feedback(first);
    if (!a) return a.error();
    first.id = a.value();
    Feedback again = make_feedback(first.tracking_code, "waste", tree_.c00004, tree_.c00004);
    again.attachments = {{std::string(64, 'f'), "image", "image/png", 1}};
    auto r = tx.insert_feedback(again);
    EXPECT_FALSE(r.ok());
    if (!r.ok()) dup = r.error();
    auto b = tx.insert_feedback(second);
    if (!b) return b.error();
    second.id = b.value();
    return {};
  });
  EXPECT_EQ(dup.kind, ErrorKind::kConflict);
  EXPECT_EQ(dup.code, "tracking_code_exists");
  expect_same_feedback(*find(first.id), first);
  expect_same_feedback(*find(second.id), second);
  EXPECT_EQ(search({}), (Ids{second.id, first.id}));
  // Across transactions too.
  EXPECT_EQ(insert_error([&](Tx& tx) { return tx.insert_feedback(second); }).code,
            "tracking_code_exists");
}

TEST_P(FeedbackStoreContract, RolledBackIntakeLeavesNothingAndTheNextOneWorks) {
  const Feedback f = full_feedback(tree_);
  for (int round = 0; round < 2; ++round) {
    Status st = store_->write([&](Tx& tx) -> Status {
      auto r = tx.insert_feedback(f);
      if (!r) return r.error();
      return conflict("caller_changed_its_mind", "roll back");
    });
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, "caller_changed_its_mind");
    EXPECT_FALSE(fetch([&](Tx& tx) { return tx.find_feedback_by_code(f.tracking_code); }));
  }
  Feedback kept = f;
  kept.id = add_feedback(f);
  expect_same_feedback(*find(kept.id), kept);
  EXPECT_EQ(search({}), Ids{kept.id});
}

TEST_P(FeedbackStoreContract, UpdateFeedbackRewritesAllButIdTrackingCodeAndSubmission) {
  Feedback f = make_feedback("UPD-1", "roads", tree_.c16597, tree_.c16597);
  f.lat = 19.5;
  f.lon = 105.5;
  f.attachments = {{std::string(64, 'a'), "image", "image/jpeg", 10},
                   {std::string(64, 'b'), "image", "image/jpeg", 20}};
  f.id = add_feedback(f);
  Feedback other = make_feedback("UPD-2", "roads", tree_.c16597, tree_.c16597);
  other.attachments = {{std::string(64, 'c'), "audio", "audio/ogg", 30}};
  other.id = add_feedback(other);

  Feedback changed = full_feedback(tree_);
  changed.id = f.id;
  changed.lat.reset();
  changed.lon.reset();
  changed.attachments = {{std::string(64, 'd'), "audio", "audio/mpeg", 40}};
  must_write([&](Tx& tx) { return tx.update_feedback(changed); });
  Feedback expected = changed;
  expected.tracking_code = f.tracking_code;  // kept
  expected.submitted_at = f.submitted_at;    // kept
  expect_same_feedback(*find(f.id), expected);
  EXPECT_FALSE(fetch([](Tx& tx) { return tx.find_feedback_by_code("K7QM-4XZP-9DTR"); }));
  // The new text is searched, the old one no longer.
  FeedbackQuery q;
  q.text = "DROP TABLE";
  EXPECT_EQ(search(q), Ids{f.id});
  q.text = "UPD-1";
  EXPECT_EQ(search(q), Ids{});
  expect_same_feedback(*find(other.id), other);  // untouched

  // No attachments at all.
  expected.attachments.clear();
  changed.attachments.clear();
  must_write([&](Tx& tx) { return tx.update_feedback(changed); });
  expect_same_feedback(*find(f.id), expected);

  Feedback unknown = changed;
  unknown.id = other.id + 100;
  EXPECT_EQ(write_error([&](Tx& tx) { return tx.update_feedback(unknown); }).kind,
            ErrorKind::kNotFound);
  EXPECT_FALSE(find(unknown.id).has_value());
  expect_same_feedback(*find(other.id), other);
}

TEST_P(FeedbackStoreContract, SearchFeedbackFiltersScopesAndPages) {
  auto make = [&](const std::string& code, const std::string& service, const Unit& commune,
                  const Unit& body, FeedbackStatus status, UnixTime at, const std::string& title,
                  const std::string& description) {
    Feedback f = make_feedback(code, service, commune, body);
    f.status = status;
    f.submitted_at = kT0 + at;
    f.title = title;
    f.description = description;
    return f;
  };
  Feedback a = make("A", "roads", tree_.c16597, tree_.c16597, FeedbackStatus::kReceived, 10,
                    "Ổ gà đường làng", "Sâu 30cm");
  a.area_path = tree_.v001.path;
  a.village_code = tree_.v001.code;
  a.forward_due = kT0 + 100;
  a.attachments = {{std::string(64, 'a'), "image", "image/jpeg", 10}};
  Feedback b = make("B", "lights", tree_.c16597, tree_.c16597, FeedbackStatus::kAssigned, 20,
                    "Đèn đường hỏng", "Tối om");
  b.answer_due = kT0 + 300;
  Feedback c = make("C", "roads", tree_.c14797, tree_.p38, FeedbackStatus::kReceived, 30,
                    "Cống tắc", "Mùi hôi 100% do rác");
  c.forward_due = kT0 + 50;
  Feedback d = make("D", "waste", tree_.c00004, tree_.c00004, FeedbackStatus::kModeration, 40,
                    "Rác", "ĐƯỜNG NGẬP RÁC");
  Feedback e = make("E", "roads", tree_.c14797, tree_.c14797, FeedbackStatus::kClosed, 50, "Ổ gà",
                    "xay dựng xong");
  Feedback f = make("F", "lights", tree_.c16597, tree_.c16597, FeedbackStatus::kAssigned, 60, "đèn",
                    "mã x_y");  // answer deadline not running
  for (Feedback* x : {&a, &b, &c, &d, &e, &f}) x->id = add_feedback(*x);

  FeedbackQuery q;
  EXPECT_EQ(search(q), (Ids{f.id, e.id, d.id, c.id, b.id, a.id}));
  // Handling bodies: any of the prefixes.
  q.body_paths = {"VN/38/"};
  EXPECT_EQ(search(q), (Ids{f.id, e.id, c.id, b.id, a.id}));
  q.body_paths = {tree_.c16597.path, "VN/01/"};
  EXPECT_EQ(search(q), (Ids{f.id, d.id, b.id, a.id}));
  q.body_paths = {tree_.c14797.path};
  EXPECT_EQ(search(q), Ids{e.id});
  q.body_paths = {"vn/38/"};
  EXPECT_EQ(search(q), Ids{});
  q = {};
  q.statuses = {FeedbackStatus::kReceived, FeedbackStatus::kAssigned};
  EXPECT_EQ(search(q), (Ids{f.id, c.id, b.id, a.id}));
  q.statuses = {FeedbackStatus::kModeration};
  EXPECT_EQ(search(q), Ids{d.id});
  q = {};
  q.service_code = "roads";
  EXPECT_EQ(search(q), (Ids{e.id, c.id, a.id}));
  q = {};
  q.area_path = tree_.c16597.path;
  EXPECT_EQ(search(q), (Ids{f.id, b.id, a.id}));
  q.area_path = tree_.v001.path;
  EXPECT_EQ(search(q), Ids{a.id});

  // Text: a substring of the title or the description, whatever the case (and diacritics).
  q = {};
  q.text = "ĐƯỜNG";
  EXPECT_EQ(search(q), (Ids{d.id, b.id, a.id}));
  q.text = "đường";
  EXPECT_EQ(search(q), (Ids{d.id, b.id, a.id}));
  q.text = "Sâu 30";
  EXPECT_EQ(search(q), Ids{a.id});
  q.text = "100%";  // LIKE metacharacters match literally
  EXPECT_EQ(search(q), Ids{c.id});
  q.text = "x_y";
  EXPECT_EQ(search(q), Ids{f.id});
  q.text = "tắc mùi";  // never across title and description
  EXPECT_EQ(search(q), Ids{});

  // Submitted in [from, to).
  q = {};
  q.submitted_from = kT0 + 20;
  q.submitted_to = kT0 + 50;
  EXPECT_EQ(search(q), (Ids{d.id, c.id, b.id}));
  q.submitted_to = 0;
  EXPECT_EQ(search(q), (Ids{f.id, e.id, d.id, c.id, b.id}));

  // A running deadline before the time: forward for received, answer for assigned.
  q = {};
  q.due_before = kT0 + 200;
  EXPECT_EQ(search(q), (Ids{c.id, a.id}));
  q.due_before = kT0 + 301;
  EXPECT_EQ(search(q), (Ids{c.id, b.id, a.id}));
  q.due_before = kT0 + 51;
  EXPECT_EQ(search(q), Ids{c.id});
  q.due_before = kT0 + 50;
  EXPECT_EQ(search(q), Ids{});

  // Combined filters.
  q = {};
  q.body_paths = {"VN/38/"};
  q.statuses = {FeedbackStatus::kReceived};
  q.text = "o ga";
  EXPECT_EQ(search(q), Ids{a.id});

  // Keyset pages, newest first and oldest first.
  q = {};
  q.limit = 2;
  EXPECT_EQ(search(q), (Ids{f.id, e.id}));
  q.after_id = e.id;
  EXPECT_EQ(search(q), (Ids{d.id, c.id}));
  q.after_id = c.id;
  EXPECT_EQ(search(q), (Ids{b.id, a.id}));
  q.after_id = a.id;
  EXPECT_EQ(search(q), Ids{});
  q = {};
  q.newest_first = false;
  q.limit = 4;
  EXPECT_EQ(search(q), (Ids{a.id, b.id, c.id, d.id}));
  q.after_id = d.id;
  EXPECT_EQ(search(q), (Ids{e.id, f.id}));
  q = {};
  q.limit = 0;
  EXPECT_EQ(search(q), Ids{});

  // Results are whole records, attachments included.
  q = {};
  q.area_path = tree_.v001.path;
  auto rows = fetch([&](Tx& tx) { return tx.search_feedback(q); });
  ASSERT_EQ(rows.size(), 1u);
  expect_same_feedback(rows[0], a);
}

TEST_P(FeedbackStoreContract, CountsByContactHash) {
  auto add = [&](const std::string& code, const std::string& contact, FeedbackStatus status,
                 UnixTime at) {
    Feedback f = make_feedback(code, "roads", tree_.c16597, tree_.c16597);
    f.contact_hash = contact;
    f.status = status;
    f.submitted_at = kT0 + at;
    add_feedback(f);
  };
  add("1", "h1", FeedbackStatus::kModeration, 1);
  add("2", "h1", FeedbackStatus::kReceived, 2);
  add("3", "h1", FeedbackStatus::kRejected, 3);
  add("4", "h1", FeedbackStatus::kMerged, 4);
  add("5", "h1", FeedbackStatus::kClosed, 5);
  add("6", "h2", FeedbackStatus::kReceived, 6);
  add("7", "", FeedbackStatus::kReceived, 7);  // no contact
  add("8", "", FeedbackStatus::kAnswered, 8);
  auto accepted = [&](const std::string& h) {
    return fetch([&](Tx& tx) { return tx.count_accepted_by_contact(h); });
  };
  auto recent = [&](const std::string& h, UnixTime since) {
    return fetch([&](Tx& tx) { return tx.count_recent_by_contact(h, since); });
  };
  EXPECT_EQ(accepted("h1"), 3);  // received, merged, closed
  EXPECT_EQ(accepted("h2"), 1);
  EXPECT_EQ(accepted("h3"), 0);
  EXPECT_EQ(accepted(""), 0);
  EXPECT_EQ(recent("h1", 0), 5);
  EXPECT_EQ(recent("h1", kT0 + 3), 3);  // since is inclusive; any status
  EXPECT_EQ(recent("h1", kT0 + 6), 0);
  EXPECT_EQ(recent("h2", kT0 + 6), 1);
  EXPECT_EQ(recent("", 0), 0);
  // Both at once, as the intake reads them.
  for (const std::string h : {"h1", "h2", "h3", ""}) {
    for (UnixTime since : {UnixTime{0}, kT0 + 3, kT0 + 6}) {
      const ContactCounts c = fetch([&](Tx& tx) { return tx.contact_counts(h, since); });
      EXPECT_EQ(c.recent, recent(h, since)) << h << " " << since;
      EXPECT_EQ(c.accepted, accepted(h)) << h;
    }
  }
}

TEST_P(FeedbackStoreContract, TheIntakeWritesTheRowItsHistoryAndTheHandlersNotes) {
  const std::int64_t lan = add_user(make_user("lan", "16597", {{Role::kFeedbackHandler, "16597"}}));
  const std::int64_t minh = add_user(make_user("minh", "38", {{Role::kFeedbackHandler, "38"}}));
  add_user(make_user("hoa", "16597", {{Role::kEditor, "16597"}}));  // not a handler
  Feedback f = make_feedback("IN-1", "roads", tree_.c16597, tree_.c16597);
  FeedbackEvent first{0, 999, kT0, "citizen", "received", R"({"channel":"web"})", true, "received"};
  RoleNotice notice;
  notice.role = Role::kFeedbackHandler;
  notice.unit_path = tree_.c16597.path;
  notice.except_over_path = tree_.p38.path;  // minh holds it over 38 too: skipped
  notice.note.kind = "feedback.received";
  notice.note.created_at = kT0;
  notice.message_before = "Phản ánh mới ";
  notice.message_after = " «Ổ gà» cần chuyển xử lý";
  IntakeMail mail;
  mail.to = "giaothong@example.vn";
  mail.subject = {"[Nguồn] Phản ánh mới ", " cần xử lý"};
  mail.body = {"Phản ánh mới ", " cần xử lý.\n\nỔ gà"};
  mail.created_at = kT0;
  auto intake = [&](const IntakeGuard& guard, const Feedback& row,
                    const std::optional<IntakeMail>& m) {
    IntakeResult out;
    must_write([&](Tx& tx) -> Status {
      NGUON_TRY_ASSIGN(out, tx.insert_feedback_with(guard, row, first, notice, m));
      return {};
    });
    return out;
  };
  const std::int64_t id = intake(IntakeGuard{}, f, mail).id;
  ASSERT_GT(id, 0);
  auto stored = fetch([&](Tx& tx) { return tx.find_feedback(id); });
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->tracking_code, "IN-1");
  auto events = fetch([&](Tx& tx) { return tx.list_feedback_events(id, false); });
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].feedback_id, id);
  EXPECT_EQ(events[0].detail, R"({"channel":"web"})");
  auto notes = fetch([&](Tx& tx) { return tx.list_notifications(lan, false, 10); });
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].message, "Phản ánh mới #" + std::to_string(id) + " «Ổ gà» cần chuyển xử lý");
  EXPECT_EQ(notes[0].feedback_id, id);
  EXPECT_EQ(notes[0].kind, "feedback.received");
  EXPECT_TRUE(fetch([&](Tx& tx) { return tx.list_notifications(minh, false, 10); }).empty());
  auto outbox = fetch([&](Tx& tx) { return tx.due_outbox(kT0, 10, 10); });
  ASSERT_EQ(outbox.size(), 1u);
  EXPECT_EQ(outbox[0].feedback_id, id);
  EXPECT_EQ(outbox[0].to, "giaothong@example.vn");
  EXPECT_EQ(outbox[0].subject, "[Nguồn] Phản ánh mới #" + std::to_string(id) + " cần xử lý");
  EXPECT_EQ(outbox[0].body, "Phản ánh mới #" + std::to_string(id) + " cần xử lý.\n\nỔ gà");
  EXPECT_EQ(outbox[0].next_attempt_at, kT0);

  // A duplicate tracking code writes nothing at all.
  EXPECT_EQ(insert_error([&](Tx& tx) {
              auto r = tx.insert_feedback_with(IntakeGuard{}, f, first, notice, mail);
              if (!r) return Result<std::int64_t>(r.error());
              return Result<std::int64_t>(r->id);
            }).code,
            "tracking_code_exists");
  EXPECT_EQ(fetch([&](Tx& tx) { return tx.list_notifications(lan, false, 10); }).size(), 1u);
  EXPECT_EQ(fetch([&](Tx& tx) { return tx.due_outbox(kT0, 10, 10); }).size(), 1u);

  // The guard: the contact of `id` has one accepted submission, at kT0.
  f.tracking_code = "IN-2";
  IntakeGuard guard{f.contact_hash, kT0, 2, true};
  const IntakeResult second = intake(guard, f, std::nullopt);
  EXPECT_GT(second.id, id);
  EXPECT_EQ(second.counts.recent, 1);  // counted before this insert
  EXPECT_EQ(second.counts.accepted, 1);
  f.tracking_code = "IN-3";
  const IntakeResult over = intake(guard, f, mail);  // two since kT0: the limit
  EXPECT_EQ(over.id, 0);
  EXPECT_EQ(over.counts.recent, 2);
  EXPECT_FALSE(fetch([&](Tx& tx) { return tx.find_feedback_by_code("IN-3"); }).has_value());
  guard.since = kT0 + 1;  // none since then
  EXPECT_GT(intake(guard, f, std::nullopt).id, 0);
  // A first-time contact, when an accepted one is required.
  f.contact_hash = "h-new";
  f.tracking_code = "IN-4";
  const IntakeResult first_time = intake({"h-new", 0, 5, true}, f, mail);
  EXPECT_EQ(first_time.id, 0);
  EXPECT_EQ(first_time.counts.recent, 0);
  EXPECT_EQ(first_time.counts.accepted, 0);
  EXPECT_GT(intake({"h-new", 0, 5, false}, f, std::nullopt).id, 0);
  EXPECT_EQ(fetch([&](Tx& tx) { return tx.list_notifications(lan, false, 10); }).size(), 4u);
  EXPECT_EQ(fetch([&](Tx& tx) { return tx.due_outbox(kT0, 10, 10); }).size(), 1u);
}

TEST_P(FeedbackStoreContract, FeedbackStatsCountsByServiceAndCommune) {
  const UnixTime now = kT0 + 1000;
  struct Row {
    std::string service;
    const Unit* commune;
    const Unit* body;
    FeedbackStatus status;
    UnixTime submitted, forward_due, answer_due, answered_at;
  };
  using S = FeedbackStatus;
  const Unit* h = &tree_.c16597;
  const std::vector<Row> data = {
      // (roads, 16597), handled by the commune.
      {"roads", h, h, S::kReceived, kT0 + 1, now - 10, 0, 0},  // overdue
      {"roads", h, h, S::kReceived, kT0 + 2, now + 10, 0, 0},
      {"roads", h, h, S::kReceived, kT0 + 3, 0, 0, 0},                  // no deadline running
      {"roads", h, h, S::kAssigned, kT0 + 4, 0, now - 1, 0},            // overdue
      {"roads", h, h, S::kAnswered, kT0 + 5, 0, kT0 + 200, kT0 + 100},  // on time
      {"roads", h, h, S::kClosed, kT0 + 6, 0, kT0 + 200, kT0 + 300},    // late
      {"roads", h, h, S::kClosed, kT0 + 7, 0, 0, kT0 + 50},             // no deadline: on time
      {"roads", h, h, S::kModeration, kT0 + 8, now - 10, 0, 0},         // not counted at all
      {"roads", h, h, S::kRejected, kT0 + 9, now - 10, 0, 0},
      {"roads", h, h, S::kMerged, kT0 + 10, now - 10, 0, 0},
      {"roads", h, h, S::kAnswered, kT0 + 11, 0, kT0 + 200, 0},          // answered, not on time
      {"roads", h, h, S::kAssigned, kT0 + 12, 0, now + 100, kT0 + 100},  // reopened
      {"roads", h, h, S::kReceived, kT0 + 600, now - 10, 0, 0},          // after the range
      // (roads, 16597) handled by the province.
      {"roads", h, &tree_.p38, S::kReceived, kT0 + 13, 0, 0, 0},
      // (lights, 16597).
      {"lights", h, h, S::kAssigned, kT0 + 499, 0, now, 0},  // due exactly now: not yet
      {"lights", h, h, S::kAnswered, kT0 + 14, 0, kT0 + 300, kT0 + 300},  // on the deadline
      // (roads, 14797): submitted exactly at `from`.
      {"roads", &tree_.c14797, &tree_.c14797, S::kReceived, kT0, now - 1, 0, 0},
      // (roads, 00004) in Hà Nội.
      {"roads", &tree_.c00004, &tree_.c00004, S::kReceived, kT0 + 15, 0, 0, 0},
      // (waste, 16597): rejected only, so no row.
      {"waste", h, h, S::kRejected, kT0 + 16, 0, 0, 0},
  };
  int n = 0;
  for (const Row& r : data) {
    Feedback f = make_feedback("S" + std::to_string(n++), r.service, *r.commune, *r.body);
    f.status = r.status;
    f.submitted_at = r.submitted;
    f.forward_due = r.forward_due;
    f.answer_due = r.answer_due;
    f.answered_at = r.answered_at;
    add_feedback(f);
  }
  using T =
      std::tuple<std::string, std::string, std::int64_t, std::int64_t, std::int64_t, std::int64_t>;
  auto stats = [&](const std::string& within, UnixTime from, UnixTime to, UnixTime at) {
    std::vector<T> out;
    for (const FeedbackStatsRow& r :
         fetch([&](Tx& tx) { return tx.feedback_stats(within, from, to, at); })) {
      out.emplace_back(r.service_code, r.commune_code, r.received, r.answered, r.answered_on_time,
                       r.overdue);
    }
    return out;
  };
  using V = std::vector<T>;
  EXPECT_EQ(stats("", kT0, kT0 + 500, now), (V{{"lights", "16597", 2, 1, 1, 0},
                                               {"roads", "00004", 1, 0, 0, 0},
                                               {"roads", "14797", 1, 0, 0, 1},
                                               {"roads", "16597", 10, 4, 2, 2}}));
  // Scoped by the handling body.
  EXPECT_EQ(stats(tree_.c16597.path, kT0, kT0 + 500, now),
            (V{{"lights", "16597", 2, 1, 1, 0}, {"roads", "16597", 9, 4, 2, 2}}));
  EXPECT_EQ(stats("VN/01/", kT0, kT0 + 500, now), (V{{"roads", "00004", 1, 0, 0, 0}}));
  EXPECT_EQ(stats("VN/99/", kT0, kT0 + 500, now), V{});
  // The range: `to` = 0 is open; `from` is inclusive.
  EXPECT_EQ(stats(tree_.c16597.path, kT0, 0, now),
            (V{{"lights", "16597", 2, 1, 1, 0}, {"roads", "16597", 10, 4, 2, 3}}));
  EXPECT_EQ(stats("VN/38/", kT0 + 1, kT0 + 500, now),
            (V{{"lights", "16597", 2, 1, 1, 0}, {"roads", "16597", 10, 4, 2, 2}}));
  // Later, more deadlines have passed.
  EXPECT_EQ(stats("", kT0, kT0 + 500, now + 1000), (V{{"lights", "16597", 2, 1, 1, 1},
                                                      {"roads", "00004", 1, 0, 0, 0},
                                                      {"roads", "14797", 1, 0, 0, 1},
                                                      {"roads", "16597", 10, 4, 2, 4}}));
}

TEST_P(FeedbackStoreContract, FeedbackEventsListByFeedbackAndPublicRange) {
  const std::int64_t f1 = add_feedback(make_feedback("EV-1", "roads", tree_.c16597, tree_.c16597));
  const std::int64_t f2 = add_feedback(make_feedback("EV-2", "roads", tree_.c14797, tree_.c14797));
  auto event = [&](std::int64_t feedback, UnixTime ts, bool is_public, const std::string& kind) {
    FeedbackEvent e{0,         feedback,  ts, "lan", kind, R"({"note":"Đã tiếp nhận"})",
                    is_public, "received"};
    e.id = add_event(e);
    return e;
  };
  const FeedbackEvent e1 = event(f1, kT0 + 1, true, "received");
  const FeedbackEvent e2 = event(f1, kT0 + 2, false, "note");
  const FeedbackEvent e3 = event(f2, kT0 + 3, true, "received");
  const FeedbackEvent e4 = event(f1, kT0 + 5, true, "assigned");
  const FeedbackEvent e5 = event(f2, kT0, true, "transferred");  // an earlier ts, a later id
  EXPECT_GT(e1.id, 0);

  auto list = [&](std::int64_t feedback, bool public_only) {
    return fetch([&](Tx& tx) { return tx.list_feedback_events(feedback, public_only); });
  };
  auto all = list(f1, false);
  ASSERT_EQ(all.size(), 3u);
  expect_same_event(all[0], e1);
  expect_same_event(all[1], e2);
  expect_same_event(all[2], e4);
  EXPECT_EQ(record_ids(list(f1, true)), (Ids{e1.id, e4.id}));
  EXPECT_EQ(record_ids(list(f2, false)), (Ids{e3.id, e5.id}));
  EXPECT_EQ(record_ids(list(f2 + 100, false)), Ids{});

  auto pub = [&](UnixTime from, UnixTime to, size_t limit) {
    return record_ids(fetch([&](Tx& tx) { return tx.public_feedback_events(from, to, limit); }));
  };
  EXPECT_EQ(pub(0, 0, 100), (Ids{e1.id, e3.id, e4.id, e5.id}));  // by id, not ts
  EXPECT_EQ(pub(kT0 + 1, kT0 + 5, 100), (Ids{e1.id, e3.id}));
  EXPECT_EQ(pub(kT0, 0, 2), (Ids{e1.id, e3.id}));
  EXPECT_EQ(pub(kT0 + 6, 0, 100), Ids{});
  expect_same_event(fetch([](Tx& tx) { return tx.public_feedback_events(0, 0, 1); })[0], e1);

  EXPECT_EQ(insert_error([&](Tx& tx) {
              return tx.insert_feedback_event({0, f2 + 100, kT0, "x", "y", "{}", true, "z"});
            }).code,
            "invalid_reference");
}

TEST_P(FeedbackStoreContract, OutboxDueRetriesAndSends) {
  const std::int64_t f1 = add_feedback(make_feedback("OB-1", "roads", tree_.c16597, tree_.c16597));
  auto mail = [&](const std::string& to, std::int64_t feedback, UnixTime next, UnixTime sent) {
    OutboxMail m;
    m.to = to;
    m.subject = "Phản ánh " + to;
    m.body = "Xin chào,\nphản ánh của bạn đã được tiếp nhận.";
    m.feedback_id = feedback;
    m.created_at = kT0;
    m.next_attempt_at = next;
    m.sent_at = sent;
    m.id = add_mail(m);
    return m;
  };
  OutboxMail m1 = mail("a@example.vn", f1, kT0, 0);
  OutboxMail m2 = mail("b@example.vn", 0, kT0 + 100, 0);  // not about a feedback
  OutboxMail m3 = mail("c@example.vn", f1, kT0, 0);
  const OutboxMail m4 = mail("d@example.vn", f1, kT0, kT0 - 1);  // sent already
  EXPECT_GT(m1.id, 0);

  auto due = [&](UnixTime now, int max_attempts, size_t limit = 10) {
    return fetch([&](Tx& tx) { return tx.due_outbox(now, max_attempts, limit); });
  };
  auto due_ids = [&](UnixTime now, int max_attempts, size_t limit = 10) {
    return record_ids(due(now, max_attempts, limit));
  };
  EXPECT_EQ(due_ids(kT0 - 1, 3), Ids{});
  EXPECT_EQ(due_ids(kT0, 3), (Ids{m1.id, m3.id}));
  EXPECT_EQ(due_ids(kT0 + 100, 3), (Ids{m1.id, m2.id, m3.id}));
  EXPECT_EQ(due_ids(kT0 + 100, 3, 2), (Ids{m1.id, m2.id}));
  EXPECT_EQ(due_ids(kT0 + 100, 0), Ids{});
  auto rows = due(kT0 + 100, 3);
  ASSERT_EQ(rows.size(), 3u);
  expect_same_mail(rows[1], m2);

  // A failure counts the attempt and postpones the next one.
  must_write([&](Tx& tx) { return tx.mark_outbox_failed(m1.id, "smtp: 451 try later", kT0 + 60); });
  EXPECT_EQ(due_ids(kT0, 3), Ids{m3.id});
  EXPECT_EQ(due_ids(kT0 + 60, 3), (Ids{m1.id, m3.id}));
  m1.attempts = 1;
  m1.last_error = "smtp: 451 try later";
  m1.next_attempt_at = kT0 + 60;
  expect_same_mail(due(kT0 + 60, 3)[0], m1);
  // Until the attempts run out.
  must_write([&](Tx& tx) -> Status {
    NGUON_TRY(tx.mark_outbox_failed(m1.id, "smtp: 421", kT0 + 120));
    return tx.mark_outbox_failed(m1.id, "smtp: 554 rejected", kT0 + 240);
  });
  m1.attempts = 3;
  m1.last_error = "smtp: 554 rejected";
  m1.next_attempt_at = kT0 + 240;
  EXPECT_EQ(due_ids(kT0 + 1000, 3), (Ids{m2.id, m3.id}));
  EXPECT_EQ(due_ids(kT0 + 1000, 4), (Ids{m1.id, m2.id, m3.id}));

  // Sent mails are never due again.
  must_write([&](Tx& tx) { return tx.mark_outbox_sent(m3.id, kT0 + 7); });
  m3.sent_at = kT0 + 7;
  EXPECT_EQ(due_ids(kT0 + 1000, 4), (Ids{m1.id, m2.id}));

  auto of_f1 = fetch([&](Tx& tx) { return tx.outbox_for_feedback(f1); });
  ASSERT_EQ(of_f1.size(), 3u);
  expect_same_mail(of_f1[0], m1);
  expect_same_mail(of_f1[1], m3);
  expect_same_mail(of_f1[2], m4);
  EXPECT_EQ(record_ids(fetch([&](Tx& tx) { return tx.outbox_for_feedback(f1 + 100); })), Ids{});

  const std::int64_t unknown = m4.id + 100;
  EXPECT_EQ(write_error([&](Tx& tx) { return tx.mark_outbox_sent(unknown, kT0); }).kind,
            ErrorKind::kNotFound);
  EXPECT_EQ(write_error([&](Tx& tx) { return tx.mark_outbox_failed(unknown, "x", kT0); }).kind,
            ErrorKind::kNotFound);
  OutboxMail orphan = m2;
  orphan.feedback_id = f1 + 100;
  EXPECT_EQ(insert_error([&](Tx& tx) { return tx.insert_outbox(orphan); }).code,
            "invalid_reference");
}

TEST_P(FeedbackStoreContract, NotificationsKeepTheirFeedback) {
  const std::int64_t lan = add_user(make_user("lan", "16597"));
  const std::int64_t f = add_feedback(make_feedback("NT-1", "roads", tree_.c16597, tree_.c16597));
  Notification about{0, lan, "feedback.assigned", "Phản ánh mới", 0, kT0, false, f};
  Notification plain{0, lan, "system", "Không gắn phản ánh", 0, kT0 + 1, true};
  about.id = insert_id([&](Tx& tx) { return tx.insert_notification(about); });
  plain.id = insert_id([&](Tx& tx) { return tx.insert_notification(plain); });
  auto list = fetch([&](Tx& tx) { return tx.list_notifications(lan, false, 10); });
  ASSERT_EQ(list.size(), 2u);
  expect_same_notification(list[0], plain);
  expect_same_notification(list[1], about);
  EXPECT_EQ(list[1].feedback_id, f);
  EXPECT_EQ(list[0].feedback_id, 0);
}

TEST_P(FeedbackStoreContract, MigratesAVersionThreeDatabaseToFour) {
  const std::int64_t lan = add_user(make_user("lan", "38"));
  const std::int64_t bulletin = add_bulletin(make_bulletin("38", lan, "truoc v4"));
  const std::int64_t n = insert_id([&](Tx& tx) {
    return tx.insert_notification({0, lan, "bulletin.approved", "Đã duyệt", bulletin, kT0, false});
  });
  must_write([&](Tx& tx) {
    return tx.insert_device(make_device("d000000000000000a", "SN-A", tree_.c14797));
  });
  store_.reset();
  ASSERT_EQ(raw_sql(target_, drop_schema_v5()), "");
  ASSERT_EQ(raw_sql(target_, drop_schema_v4()), "");
  store_ = open(target_);
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->schema_version().value(), 3);
  auto v = store_->migrate();
  ASSERT_TRUE(v.ok()) << describe(v);
  EXPECT_EQ(v.value(), kSchemaVersion);

  // The v3 data is intact; notifications gain feedback_id 0.
  EXPECT_TRUE(fetch([&](Tx& tx) { return tx.find_bulletin(bulletin); }).has_value());
  EXPECT_TRUE(fetch([](Tx& tx) { return tx.find_device("d000000000000000a"); }).has_value());
  auto notes = fetch([&](Tx& tx) { return tx.list_notifications(lan, false, 10); });
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].id, n);
  EXPECT_EQ(notes[0].bulletin_id, bulletin);
  EXPECT_EQ(notes[0].feedback_id, 0);
  // And the v4 tables work on it.
  const std::int64_t f = add_feedback(full_feedback(tree_));
  EXPECT_GT(f, 0);
  EXPECT_EQ(search({}), Ids{f});
}

INSTANTIATE_TEST_SUITE_P(Backends, FeedbackStoreContract, ::testing::ValuesIn(backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// ---- Emergency alerts (schema v5) -------------------------------------------------------------

AlertSource make_source(const std::string& sender, const Unit& unit) {
  AlertSource s;
  s.sender = sender;
  s.name = "Đài KTTV " + unit.name;
  s.unit_code = unit.code;
  s.unit_path = unit.path;
  s.token_hash = std::string(64, 'a');
  s.feed_url = "https://kttv.example.vn/cap/feed.atom";
  s.auto_broadcast = true;
  s.min_severity = "Extreme";
  s.min_urgency = "Immediate";
  s.min_certainty = "Observed";
  s.enabled = true;
  s.last_polled_at = kT0 + 5;
  s.last_poll_error = "http 503";
  s.created_at = kT0;
  return s;
}

AlertRecord make_alert(const std::string& sender, const std::string& identifier,
                       const Unit& owner) {
  AlertRecord a;
  a.source_id = 0;
  a.sender = sender;
  a.identifier = identifier;
  a.sent = kT0 - 60;
  a.msg_type = "Alert";
  a.status = "Actual";
  a.scope = "Public";
  a.event = "Bão số 3";
  a.headline = "Bão số 3 đổ bộ";
  a.severity = "Extreme";
  a.urgency = "Immediate";
  a.certainty = "Observed";
  a.expires = kT0 + 3600;
  a.origin = "push";
  a.state = AlertState::kPending;
  a.reason = "chờ duyệt";
  a.owner_unit = owner.code;
  a.owner_path = owner.path;
  a.priority = Priority::kEmergency;
  a.devices = 3;
  a.text = "Cảnh báo khẩn cấp. Bão số 3 đổ bộ.";
  a.xml = "<alert>" + identifier + "</alert>";
  a.received_at = kT0;
  a.issued_by = 4;
  return a;
}

void expect_same_alert(const AlertRecord& a, const AlertRecord& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.source_id, b.source_id);
  EXPECT_EQ(std::tie(a.sender, a.identifier, a.sent, a.msg_type, a.status, a.scope),
            std::tie(b.sender, b.identifier, b.sent, b.msg_type, b.status, b.scope));
  EXPECT_EQ(std::tie(a.event, a.headline, a.severity, a.urgency, a.certainty, a.expires),
            std::tie(b.event, b.headline, b.severity, b.urgency, b.certainty, b.expires));
  EXPECT_EQ(std::tie(a.origin, a.state, a.reason, a.owner_unit, a.owner_path, a.order_id),
            std::tie(b.origin, b.state, b.reason, b.owner_unit, b.owner_path, b.order_id));
  EXPECT_EQ(std::tie(a.priority, a.devices, a.text, a.media_id, a.xml, a.received_at),
            std::tie(b.priority, b.devices, b.text, b.media_id, b.xml, b.received_at));
  EXPECT_EQ(std::tie(a.issued_by, a.decided_by, a.decided_at),
            std::tie(b.issued_by, b.decided_by, b.decided_at));
}

class AlertStoreContract : public FeedbackStoreContract {};

TEST_P(AlertStoreContract, SourcesRoundTripAndSendersAreUnique) {
  AlertSource s = make_source("canhbao@kttv.gov.vn", tree_.p38);
  s.id = insert_id([&](Tx& tx) { return tx.insert_alert_source(s); });
  auto found = fetch([&](Tx& tx) { return tx.find_alert_source(s.id); });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->sender, s.sender);
  EXPECT_EQ(std::tie(found->name, found->unit_code, found->unit_path, found->token_hash),
            std::tie(s.name, s.unit_code, s.unit_path, s.token_hash));
  EXPECT_EQ(std::tie(found->feed_url, found->auto_broadcast, found->min_severity,
                     found->min_urgency, found->min_certainty, found->enabled),
            std::tie(s.feed_url, s.auto_broadcast, s.min_severity, s.min_urgency, s.min_certainty,
                     s.enabled));
  EXPECT_EQ(std::tie(found->last_polled_at, found->last_poll_error, found->created_at),
            std::tie(s.last_polled_at, s.last_poll_error, s.created_at));
  EXPECT_EQ(fetch([](Tx& tx) { return tx.find_alert_source_by_sender("canhbao@kttv.gov.vn"); })->id,
            s.id);
  EXPECT_FALSE(fetch([](Tx& tx) {
                 return tx.find_alert_source_by_sender("CANHBAO@kttv.gov.vn");
               }).has_value());

  EXPECT_EQ(insert_error([&](Tx& tx) { return tx.insert_alert_source(s); }).code, "source_exists");
  AlertSource stray = make_source("khac@example.vn", tree_.p38);
  stray.unit_code = "99";
  EXPECT_EQ(insert_error([&](Tx& tx) { return tx.insert_alert_source(stray); }).code,
            "invalid_reference");

  // update rewrites everything but sender and created_at.
  AlertSource changed = s;
  changed.sender = "ignored@example.vn";
  changed.created_at = 1;
  changed.name = "Trung tâm KTTV Hà Nội";
  changed.unit_code = tree_.p01.code;
  changed.unit_path = tree_.p01.path;
  changed.token_hash = "";
  changed.feed_url = "";
  changed.auto_broadcast = false;
  changed.enabled = false;
  changed.last_poll_error = "";
  must_write([&](Tx& tx) { return tx.update_alert_source(changed); });
  auto after = fetch([&](Tx& tx) { return tx.find_alert_source(s.id); });
  EXPECT_EQ(after->sender, "canhbao@kttv.gov.vn");
  EXPECT_EQ(after->created_at, kT0);
  EXPECT_EQ(after->unit_code, "01");
  EXPECT_EQ(after->token_hash, "");
  EXPECT_FALSE(after->auto_broadcast);
  EXPECT_FALSE(after->enabled);

  const std::int64_t second = insert_id(
      [&](Tx& tx) { return tx.insert_alert_source(make_source("a@dmc.gov.vn", tree_.vn)); });
  // By name: "Trung tâm…" sorts after "Đài…" in byte order.
  EXPECT_EQ(record_ids(fetch([](Tx& tx) { return tx.list_alert_sources(); })), (Ids{s.id, second}));
  AlertSource ghost = s;
  ghost.id = 999;
  EXPECT_EQ(write_error([&](Tx& tx) { return tx.update_alert_source(ghost); }).code, "not_found");
}

TEST_P(AlertStoreContract, AlertsRoundTripAndIdentifiersAreUniquePerSender) {
  AlertRecord a = make_alert("canhbao@kttv.gov.vn", "KTTV-2026-001", tree_.p38);
  a.id = insert_id([&](Tx& tx) { return tx.insert_alert(a); });
  expect_same_alert(*fetch([&](Tx& tx) { return tx.find_alert(a.id); }), a);
  expect_same_alert(*fetch([](Tx& tx) {
    return tx.find_alert_by_identifier("canhbao@kttv.gov.vn", "KTTV-2026-001");
  }),
                    a);
  EXPECT_FALSE(fetch([](Tx& tx) {
                 return tx.find_alert_by_identifier("khac@example.vn", "KTTV-2026-001");
               }).has_value());

  EXPECT_EQ(insert_error([&](Tx& tx) { return tx.insert_alert(a); }).code, "alert_exists");
  // The same identifier from another sender is another alert.
  EXPECT_GT(insert_id([&](Tx& tx) {
              return tx.insert_alert(make_alert("khac@example.vn", "KTTV-2026-001", tree_.p38));
            }),
            a.id);

  // update rewrites the decision fields only.
  AlertRecord changed = a;
  changed.state = AlertState::kBroadcast;
  changed.reason = "";
  changed.order_id = "o42";
  changed.priority = Priority::kPriority;
  changed.devices = 7;
  changed.text = "Văn bản mới";
  changed.media_id = std::string(64, 'b');
  changed.decided_by = 5;
  changed.decided_at = kT0 + 9;
  AlertRecord expected = changed;
  changed.headline = "ignored";
  changed.xml = "ignored";
  must_write([&](Tx& tx) { return tx.update_alert(changed); });
  expect_same_alert(*fetch([&](Tx& tx) { return tx.find_alert(a.id); }), expected);
  AlertRecord ghost = a;
  ghost.id = 999;
  EXPECT_EQ(write_error([&](Tx& tx) { return tx.update_alert(ghost); }).code, "not_found");
}

TEST_P(AlertStoreContract, ListsAlertsNewestFirstByStateAndScope) {
  AlertRecord province = make_alert("s@x.vn", "1", tree_.p38);
  AlertRecord commune = make_alert("s@x.vn", "2", tree_.c16597);
  commune.state = AlertState::kRecorded;
  AlertRecord hanoi = make_alert("s@x.vn", "3", tree_.p01);
  const std::int64_t p = insert_id([&](Tx& tx) { return tx.insert_alert(province); });
  const std::int64_t c = insert_id([&](Tx& tx) { return tx.insert_alert(commune); });
  const std::int64_t h = insert_id([&](Tx& tx) { return tx.insert_alert(hanoi); });
  auto list = [&](AlertQuery q) {
    return record_ids(fetch([&](Tx& tx) { return tx.list_alerts(q); }));
  };
  EXPECT_EQ(list({}), (Ids{h, c, p}));
  EXPECT_EQ(list({.within_path = tree_.p38.path}), (Ids{c, p}));
  EXPECT_EQ(list({.state = AlertState::kPending}), (Ids{h, p}));
  EXPECT_EQ(list({.state = AlertState::kRecorded, .within_path = tree_.p38.path}), (Ids{c}));
  EXPECT_EQ(list({.limit = 1, .offset = 1}), (Ids{c}));
  EXPECT_EQ(list({.origin = "push"}), (Ids{h, c, p}));
  EXPECT_EQ(list({.origin = "console"}), Ids{});
}

TEST_P(AlertStoreContract, MigratesAVersionFourDatabaseToFive) {
  const std::int64_t f = add_feedback(full_feedback(tree_));
  store_.reset();
  ASSERT_EQ(raw_sql(target_, drop_schema_v5()), "");
  store_ = open(target_);
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(store_->schema_version().value(), 4);
  auto v = store_->migrate();
  ASSERT_TRUE(v.ok()) << describe(v);
  EXPECT_EQ(v.value(), 5);
  EXPECT_TRUE(fetch([&](Tx& tx) { return tx.find_feedback(f); }).has_value());
  EXPECT_GT(insert_id([&](Tx& tx) {
              return tx.insert_alert(make_alert("s@x.vn", "after-migration", tree_.p38));
            }),
            0);
}

INSTANTIATE_TEST_SUITE_P(Backends, AlertStoreContract, ::testing::ValuesIn(backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// ---------------------------------------------------------------------------------------------
// PostgreSQL only: connection handling that has no SQLite counterpart.

#ifdef NGUON_TEST_POSTGRES
class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = g_pg->server().create_database();
    auto s = postgres::open_store(postgres::PostgresOptions{db_.conninfo});
    ASSERT_TRUE(s.ok()) << describe(s);
    store_ = std::move(s.value());
    auto v = store_->migrate();
    ASSERT_TRUE(v.ok()) << describe(v);
  }
  void TearDown() override {
    store_.reset();
    g_pg->server().drop_database(db_.name);
  }

  // Makes the server end every other session on this database, like a restart or an admin's
  // pg_terminate_backend would, and waits until those sessions are gone.
  void terminate_store_connections() {
    PGconn* c = PQconnectdb(db_.conninfo.c_str());
    ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
    PGresult* r = PQexec(c,
                         "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity "
                         "WHERE datname = current_database() AND pid <> pg_backend_pid()");
    EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQerrorMessage(c);
    PQclear(r);
    PQfinish(c);
  }

  nguon::testing::PgServer::Database db_;
  std::unique_ptr<Store> store_;
};

TEST_F(PostgresStoreTest, DiscardsConnectionsTheServerClosed) {
  // Fill the pool with a few idle connections.
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] { EXPECT_TRUE(store_->ping().ok()); });
  }
  for (auto& t : threads) t.join();
  terminate_store_connections();

  Status ping = store_->ping();
  EXPECT_TRUE(ping.ok()) << describe(ping);
  terminate_store_connections();
  Status write = store_->write([](Tx& tx) {
    return tx.insert_unit(units::make_unit("VN", nullptr, UnitLevel::kNation, "", "Việt Nam"));
  });
  EXPECT_TRUE(write.ok()) << describe(write);
  terminate_store_connections();
  auto version = store_->schema_version();
  EXPECT_TRUE(version.ok()) << describe(version);

  // Killed before the transaction's first statement: it begins on another connection.
  Status moved = store_->write([&](Tx& tx) -> Status {
    terminate_store_connections();
    auto r = tx.count_units(std::nullopt);
    if (!r) return r.error();
    return {};
  });
  EXPECT_TRUE(moved.ok()) << describe(moved);
  // Killed in the middle of a transaction: that call fails, the next one works.
  Status broken = store_->write([&](Tx& tx) -> Status {
    NGUON_TRY(tx.count_units(std::nullopt));
    terminate_store_connections();
    auto r = tx.count_units(std::nullopt);
    if (!r) return r.error();
    return {};
  });
  EXPECT_FALSE(broken.ok());
  Status after = store_->read([](Tx& tx) -> Status {
    auto r = tx.count_units(std::nullopt);
    if (!r) return r.error();
    EXPECT_EQ(r.value(), 1);
    return {};
  });
  EXPECT_TRUE(after.ok()) << describe(after);
}

TEST(PostgresStoreOpen, UnreachableServerIsUnavailable) {
  auto s = postgres::open_store(
      postgres::PostgresOptions{"host=127.0.0.1 port=1 dbname=x connect_timeout=2"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kUnavailable);
}
#endif

std::vector<std::string> backends() {
  std::vector<std::string> out = {"sqlite"};
#ifdef NGUON_TEST_POSTGRES
  out.push_back("postgres");
#endif
  return out;
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::ValuesIn(backends()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace nguon
