#include "adapters/db/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/access.h"
#include "core/units.h"

namespace nguon::sqlite {
namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

Error db_error(sqlite3* db, std::string_view what) {
  return internal("sqlite: " + std::string(what) + ": " + sqlite3_errmsg(db));
}

// One prepared statement. Bind and read by position; errors are mapped to contract codes.
class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
        SQLITE_OK) {
      throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db) + " in " +
                               std::string(sql));
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(stmt_); }

  Stmt& bind(int i, std::string_view v) {
    // A null data pointer would bind SQL NULL; an empty string must stay ''.
    sqlite3_bind_text(stmt_, i, v.data() != nullptr ? v.data() : "", static_cast<int>(v.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Stmt& bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }

  // True while a row is available.
  Result<bool> step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return error_for(rc);
  }
  Status run() {
    auto r = step();
    return r ? Status() : r.error();
  }

  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p != nullptr ? std::string(reinterpret_cast<const char*>(p),
                                      static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
                        : std::string();
  }
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }

  Error error_for(int rc) const {
    const std::string msg = sqlite3_errmsg(db_);
    if (rc == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_CONSTRAINT) {
      const int ext = sqlite3_extended_errcode(db_);
      if (ext == SQLITE_CONSTRAINT_FOREIGNKEY) {
        return invalid("invalid_reference", "refers to a record that does not exist");
      }
      if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
        if (msg.find("users.username") != std::string::npos) {
          return conflict("username_taken", "that username is already taken");
        }
        if (msg.find("units.") != std::string::npos) {
          return conflict("unit_exists", "a unit with that code already exists");
        }
        return conflict("duplicate", "duplicate record: " + msg);
      }
    }
    return internal("sqlite: " + msg);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// Escapes LIKE wildcards so user text matches literally (used with ESCAPE '\').
std::string like_literal(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

constexpr const char* kUnitColumns = "code, parent_code, level, type, name, path, fold";

Unit read_unit(const Stmt& s) {
  Unit u;
  u.code = s.text(0);
  u.parent_code = s.text(1);
  u.level = units::parse_level(s.text(2)).value_or(UnitLevel::kCommune);
  u.type = s.text(3);
  u.name = s.text(4);
  u.path = s.text(5);
  u.fold = s.text(6);
  return u;
}

constexpr const char* kUserColumns =
    "id, username, display_name, unit_code, password_hash, disabled, failed_logins, "
    "locked_until, must_change_password, created_at, updated_at";

User read_user(const Stmt& s) {
  User u;
  u.id = s.integer(0);
  u.username = s.text(1);
  u.display_name = s.text(2);
  u.unit_code = s.text(3);
  u.password_hash = s.text(4);
  u.disabled = s.integer(5) != 0;
  u.failed_logins = static_cast<int>(s.integer(6));
  u.locked_until = s.integer(7);
  u.must_change_password = s.integer(8) != 0;
  u.created_at = s.integer(9);
  u.updated_at = s.integer(10);
  return u;
}

constexpr const char* kAuditColumns =
    "seq, at, actor, action, target, before, after, ip, prev_hash, hash";

AuditEntry read_audit(const Stmt& s) {
  return {s.integer(0), s.integer(1), s.text(2), s.text(3), s.text(4),
          s.text(5),    s.text(6),    s.text(7), s.text(8), s.text(9)};
}

ApiToken read_token(const Stmt& s) {
  return {s.integer(0), s.integer(1), s.text(2),        s.text(3),
          s.integer(4), s.integer(5), s.integer(6) != 0};
}

Status exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown";
    sqlite3_free(err);
    return internal("sqlite: " + msg);
  }
  return {};
}

class SqliteTx final : public Tx {
 public:
  explicit SqliteTx(sqlite3* db) : db_(db) {}

  Status insert_unit(const Unit& u) override {
    Stmt s(db_,
           "INSERT INTO units (code, parent_code, level, type, name, path, fold) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    s.bind(1, u.code);
    if (u.parent_code.empty()) {
      s.bind_null(2);
    } else {
      s.bind(2, u.parent_code);
    }
    s.bind(3, units::level_name(u.level)).bind(4, u.type).bind(5, u.name).bind(6, u.path);
    s.bind(7, u.fold);
    return s.run();
  }

  Status update_unit_name(const std::string& code, const std::string& name,
                          const std::string& fold) override {
    Stmt s(db_, "UPDATE units SET name = ?2, fold = ?3 WHERE code = ?1");
    s.bind(1, code).bind(2, name).bind(3, fold);
    return s.run();
  }

  Result<std::optional<Unit>> find_unit(const std::string& code) override {
    Stmt s(db_, std::string("SELECT ") + kUnitColumns + " FROM units WHERE code = ?1");
    s.bind(1, code);
    auto row = s.step();
    if (!row) return row.error();
    if (!row.value()) return std::optional<Unit>();
    return std::optional<Unit>(read_unit(s));
  }

  Result<std::vector<Unit>> children(const std::string& parent_code) override {
    Stmt s(db_, std::string("SELECT ") + kUnitColumns +
                    " FROM units WHERE parent_code = ?1 ORDER BY code");
    s.bind(1, parent_code);
    return collect<Unit>(s, read_unit);
  }

  Result<std::vector<Unit>> search_units(const UnitQuery& q) override {
    Stmt s(db_,
           std::string("SELECT ") + kUnitColumns +
               " FROM units WHERE substr(path, 1, length(?1)) = ?1 AND fold LIKE ?2 ESCAPE '\\'"
               " AND (?3 = '' OR level = ?3)"
               " ORDER BY CASE level WHEN 'nation' THEN 0 WHEN 'province' THEN 1"
               " WHEN 'commune' THEN 2 ELSE 3 END, code LIMIT ?4");
    // The path prefix is compared exactly (SQLite's LIKE ignores ASCII case).
    s.bind(1, q.within_path).bind(2, "%" + like_literal(q.fold) + "%");
    s.bind(3, q.level ? units::level_name(*q.level) : std::string_view());
    s.bind(4, static_cast<std::int64_t>(q.limit));
    return collect<Unit>(s, read_unit);
  }

  Result<std::int64_t> count_units(std::optional<UnitLevel> level) override {
    Stmt s(db_, "SELECT count(*) FROM units WHERE (?1 = '' OR level = ?1)");
    s.bind(1, level ? units::level_name(*level) : std::string_view());
    return scalar(s);
  }

  Status insert_legacy(const LegacyCommune& r) override {
    Stmt s(db_,
           "INSERT INTO legacy_communes (old_code, old_name, old_district, old_province, "
           "new_code, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    s.bind(1, r.old_code).bind(2, r.old_name).bind(3, r.old_district).bind(4, r.old_province);
    s.bind(5, r.new_code).bind(6, r.note);
    return s.run();
  }

  Result<std::vector<LegacyCommune>> find_legacy(const std::string& old_code) override {
    Stmt s(db_,
           "SELECT old_code, old_name, old_district, old_province, new_code, note "
           "FROM legacy_communes WHERE old_code = ?1 ORDER BY new_code");
    s.bind(1, old_code);
    return collect<LegacyCommune>(s, [](const Stmt& r) {
      return LegacyCommune{r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), r.text(5)};
    });
  }

  Result<std::int64_t> insert_user(const User& u) override {
    Stmt s(db_,
           "INSERT INTO users (username, display_name, unit_code, password_hash, disabled, "
           "failed_logins, locked_until, must_change_password, created_at, updated_at) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    bind_user(s, u);
    NGUON_TRY(s.run());
    const std::int64_t id = sqlite3_last_insert_rowid(db_);
    NGUON_TRY(replace_grants(id, u.grants));
    return id;
  }

  Status update_user(const User& u) override {
    Stmt s(db_,
           "UPDATE users SET display_name = ?2, unit_code = ?3, password_hash = ?4, "
           "disabled = ?5, failed_logins = ?6, locked_until = ?7, "
           "must_change_password = ?8, updated_at = ?10 WHERE id = ?11");
    bind_user(s, u);
    s.bind(11, u.id);
    NGUON_TRY(s.run());
    return replace_grants(u.id, u.grants);
  }

  Result<std::optional<User>> find_user(std::int64_t id) override {
    Stmt s(db_, std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?1");
    s.bind(1, id);
    return one_user(s);
  }

  Result<std::optional<User>> find_user_by_name(const std::string& username) override {
    Stmt s(db_, std::string("SELECT ") + kUserColumns + " FROM users WHERE username = ?1");
    s.bind(1, username);
    return one_user(s);
  }

  Result<std::vector<User>> list_users(const std::string& within_path) override {
    Stmt s(db_, std::string("SELECT ") + kUserColumns +
                    " FROM users JOIN units ON units.code = users.unit_code"
                    " WHERE substr(units.path, 1, length(?1)) = ?1 ORDER BY users.username");
    s.bind(1, within_path);
    auto users = collect<User>(s, read_user);
    if (!users) return users.error();
    for (User& u : users.value()) {
      auto g = grants_of(u.id);
      if (!g) return g.error();
      u.grants = std::move(g.value());
    }
    return users;
  }

  Result<std::int64_t> count_users() override {
    Stmt s(db_, "SELECT count(*) FROM users");
    return scalar(s);
  }

  Status insert_session(const Session& x) override {
    Stmt s(db_,
           "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) "
           "VALUES (?1, ?2, ?3, ?4, ?5)");
    s.bind(1, x.token_hash).bind(2, x.user_id).bind(3, x.csrf_token).bind(4, x.created_at);
    s.bind(5, x.expires_at);
    return s.run();
  }

  Result<std::optional<Session>> find_session(const std::string& token_hash) override {
    Stmt s(db_,
           "SELECT token_hash, user_id, csrf_token, created_at, expires_at FROM sessions "
           "WHERE token_hash = ?1");
    s.bind(1, token_hash);
    auto row = s.step();
    if (!row) return row.error();
    if (!row.value()) return std::optional<Session>();
    return std::optional<Session>(
        Session{s.text(0), s.integer(1), s.text(2), s.integer(3), s.integer(4)});
  }

  Status delete_session(const std::string& token_hash) override {
    Stmt s(db_, "DELETE FROM sessions WHERE token_hash = ?1");
    s.bind(1, token_hash);
    return s.run();
  }

  Status delete_user_sessions(std::int64_t user_id) override {
    Stmt s(db_, "DELETE FROM sessions WHERE user_id = ?1");
    s.bind(1, user_id);
    return s.run();
  }

  Status delete_expired_sessions(UnixTime now) override {
    Stmt s(db_, "DELETE FROM sessions WHERE expires_at <= ?1");
    s.bind(1, now);
    return s.run();
  }

  Result<std::int64_t> insert_token(const ApiToken& t) override {
    Stmt s(db_,
           "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at, "
           "revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    s.bind(1, t.user_id).bind(2, t.name).bind(3, t.token_hash).bind(4, t.created_at);
    s.bind(5, t.expires_at).bind(6, static_cast<std::int64_t>(t.revoked));
    NGUON_TRY(s.run());
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
  }

  Result<std::optional<ApiToken>> find_token_by_hash(const std::string& token_hash) override {
    Stmt s(db_,
           "SELECT id, user_id, name, token_hash, created_at, expires_at, revoked "
           "FROM api_tokens WHERE token_hash = ?1");
    s.bind(1, token_hash);
    auto row = s.step();
    if (!row) return row.error();
    if (!row.value()) return std::optional<ApiToken>();
    return std::optional<ApiToken>(read_token(s));
  }

  Result<std::vector<ApiToken>> list_tokens(std::int64_t user_id) override {
    Stmt s(db_,
           "SELECT id, user_id, name, token_hash, created_at, expires_at, revoked "
           "FROM api_tokens WHERE user_id = ?1 ORDER BY id");
    s.bind(1, user_id);
    return collect<ApiToken>(s, read_token);
  }

  Status revoke_token(std::int64_t user_id, std::int64_t token_id) override {
    Stmt s(db_, "UPDATE api_tokens SET revoked = 1 WHERE user_id = ?1 AND id = ?2");
    s.bind(1, user_id).bind(2, token_id);
    return s.run();
  }

  Result<std::optional<AuditEntry>> last_audit() override {
    // Writes run under BEGIN IMMEDIATE, so appenders are already serialised.
    Stmt s(db_,
           std::string("SELECT ") + kAuditColumns + " FROM audit_log ORDER BY seq DESC LIMIT 1");
    auto row = s.step();
    if (!row) return row.error();
    if (!row.value()) return std::optional<AuditEntry>();
    return std::optional<AuditEntry>(read_audit(s));
  }

  Status append_audit(const AuditEntry& e) override {
    Stmt s(db_,
           "INSERT INTO audit_log (seq, at, actor, action, target, before, after, ip, "
           "prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    s.bind(1, e.seq).bind(2, e.at).bind(3, e.actor).bind(4, e.action).bind(5, e.target);
    s.bind(6, e.before).bind(7, e.after).bind(8, e.ip).bind(9, e.prev_hash).bind(10, e.hash);
    return s.run();
  }

  Result<std::vector<AuditEntry>> scan_audit(std::int64_t after_seq, size_t limit) override {
    Stmt s(db_, std::string("SELECT ") + kAuditColumns +
                    " FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2");
    s.bind(1, after_seq).bind(2, static_cast<std::int64_t>(limit));
    return collect<AuditEntry>(s, read_audit);
  }

  Result<std::vector<AuditEntry>> recent_audit(size_t limit) override {
    Stmt s(db_,
           std::string("SELECT ") + kAuditColumns + " FROM audit_log ORDER BY seq DESC LIMIT ?1");
    s.bind(1, static_cast<std::int64_t>(limit));
    return collect<AuditEntry>(s, read_audit);
  }

 private:
  template <typename T, typename F>
  static Result<std::vector<T>> collect(Stmt& s, F read) {
    std::vector<T> out;
    for (;;) {
      auto row = s.step();
      if (!row) return row.error();
      if (!row.value()) return out;
      out.push_back(read(s));
    }
  }

  static Result<std::int64_t> scalar(Stmt& s) {
    auto row = s.step();
    if (!row) return row.error();
    return row.value() ? s.integer(0) : 0;
  }

  static void bind_user(Stmt& s, const User& u) {
    s.bind(1, u.username).bind(2, u.display_name).bind(3, u.unit_code).bind(4, u.password_hash);
    s.bind(5, static_cast<std::int64_t>(u.disabled));
    s.bind(6, static_cast<std::int64_t>(u.failed_logins)).bind(7, u.locked_until);
    s.bind(8, static_cast<std::int64_t>(u.must_change_password));
    s.bind(9, u.created_at).bind(10, u.updated_at);
  }

  Result<std::optional<User>> one_user(Stmt& s) {
    auto row = s.step();
    if (!row) return row.error();
    if (!row.value()) return std::optional<User>();
    User u = read_user(s);
    auto g = grants_of(u.id);
    if (!g) return g.error();
    u.grants = std::move(g.value());
    return std::optional<User>(std::move(u));
  }

  Result<std::vector<Grant>> grants_of(std::int64_t user_id) {
    Stmt s(db_,
           "SELECT role, unit_code FROM role_grants WHERE user_id = ?1 "
           "ORDER BY unit_code, role");
    s.bind(1, user_id);
    return collect<Grant>(s, [](const Stmt& r) {
      return Grant{access::parse_role(r.text(0)).value_or(Role::kViewer), r.text(1)};
    });
  }

  Status replace_grants(std::int64_t user_id, const std::vector<Grant>& grants) {
    Stmt del(db_, "DELETE FROM role_grants WHERE user_id = ?1");
    del.bind(1, user_id);
    NGUON_TRY(del.run());
    for (const Grant& g : grants) {
      Stmt ins(db_, "INSERT INTO role_grants (user_id, role, unit_code) VALUES (?1, ?2, ?3)");
      ins.bind(1, user_id).bind(2, access::role_name(g.role)).bind(3, g.unit_code);
      NGUON_TRY(ins.run());
    }
    return {};
  }

  sqlite3* db_;
};

struct Migration {
  int version;
  const char* sql;
};

// Forward-only. Never edit a released migration: add the next version.
const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, R"sql(
CREATE TABLE units (
  code TEXT PRIMARY KEY,
  parent_code TEXT REFERENCES units(code),
  level TEXT NOT NULL CHECK (level IN ('nation', 'province', 'commune', 'village')),
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  path TEXT NOT NULL UNIQUE,
  fold TEXT NOT NULL
);
CREATE INDEX units_parent ON units(parent_code);
CREATE TABLE legacy_communes (
  old_code TEXT NOT NULL,
  old_name TEXT NOT NULL,
  old_district TEXT NOT NULL,
  old_province TEXT NOT NULL,
  new_code TEXT NOT NULL REFERENCES units(code),
  note TEXT NOT NULL,
  PRIMARY KEY (old_code, new_code)
);
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  unit_code TEXT NOT NULL REFERENCES units(code),
  password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER NOT NULL DEFAULT 0,
  must_change_password INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE TABLE role_grants (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  unit_code TEXT NOT NULL REFERENCES units(code),
  PRIMARY KEY (user_id, role, unit_code)
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  before TEXT NOT NULL,
  after TEXT NOT NULL,
  ip TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
)sql"},
  };
  return kMigrations;
}

Result<DbPtr> open_connection(const SqliteOptions& o) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(o.path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) {
    return internal("sqlite: cannot open " + o.path + ": " +
                    (raw != nullptr ? sqlite3_errmsg(raw) : "out of memory"));
  }
  sqlite3_busy_timeout(db.get(), o.busy_timeout_ms);
  NGUON_TRY(exec(db.get(),
                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                 " PRAGMA foreign_keys = ON;"));
  return db;
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(SqliteOptions options) : options_(std::move(options)) {}

  Result<int> migrate() override {
    auto lease = acquire();
    if (!lease) return lease.error();
    sqlite3* db = lease->get();
    // EXCLUSIVE: a second process migrating at the same moment waits (busy timeout), then sees
    // the versions already applied.
    NGUON_TRY(exec(db, "BEGIN EXCLUSIVE"));
    auto done = apply_pending(db);
    if (!done) {
      (void)exec(db, "ROLLBACK");
      return done.error();
    }
    NGUON_TRY(exec(db, "COMMIT"));
    release(std::move(lease.value()));
    return done;
  }

  Result<int> schema_version() override {
    auto lease = acquire();
    if (!lease) return lease.error();
    auto v = current_version(lease->get());
    release(std::move(lease.value()));
    return v;
  }

  Status write(const std::function<Status(Tx&)>& fn) override { return run("BEGIN IMMEDIATE", fn); }
  Status read(const std::function<Status(Tx&)>& fn) override { return run("BEGIN", fn); }

  Status ping() override {
    auto lease = acquire();
    if (!lease) return lease.error();
    Status s = exec(lease->get(), "SELECT 1");
    release(std::move(lease.value()));
    return s;
  }

  std::string backend_name() const override { return "sqlite"; }

 private:
  static Result<int> current_version(sqlite3* db) {
    NGUON_TRY(exec(db,
                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"));
    Stmt s(db, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    auto row = s.step();
    if (!row) return row.error();
    return static_cast<int>(s.integer(0));
  }

  static Result<int> apply_pending(sqlite3* db) {
    auto version = current_version(db);
    if (!version) return version.error();
    int v = version.value();
    for (const Migration& m : migrations()) {
      if (m.version <= v) continue;
      NGUON_TRY(exec(db, m.sql));
      Stmt s(db,
             "INSERT INTO schema_migrations (version, applied_at) "
             "VALUES (?1, CAST(strftime('%s','now') AS INTEGER))");
      s.bind(1, static_cast<std::int64_t>(m.version));
      NGUON_TRY(s.run());
      v = m.version;
    }
    return v;
  }

  Status run(const char* begin, const std::function<Status(Tx&)>& fn) {
    auto lease = acquire();
    if (!lease) return lease.error();
    sqlite3* db = lease->get();
    NGUON_TRY(exec(db, begin));
    Status result;
    try {
      SqliteTx tx(db);
      result = fn(tx);
    } catch (...) {
      (void)exec(db, "ROLLBACK");
      release(std::move(lease.value()));
      throw;
    }
    if (result) {
      result = exec(db, "COMMIT");
      if (!result) (void)exec(db, "ROLLBACK");
    } else {
      (void)exec(db, "ROLLBACK");
    }
    release(std::move(lease.value()));
    return result;
  }

  Result<DbPtr> acquire() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        DbPtr db = std::move(idle_.back());
        idle_.pop_back();
        return db;
      }
    }
    return open_connection(options_);
  }

  void release(DbPtr db) {
    if (sqlite3_get_autocommit(db.get()) == 0) return;  // stuck in a transaction: drop it
    std::lock_guard lock(mu_);
    if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(db));
  }

  SqliteOptions options_;
  std::mutex mu_;
  std::vector<DbPtr> idle_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_store(const SqliteOptions& options) {
  auto probe = open_connection(options);
  if (!probe) return probe.error();
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(options));
}

Status backup(const std::string& source_path, const std::string& dest_path) {
  sqlite3* src_raw = nullptr;
  sqlite3* dst_raw = nullptr;
  sqlite3_open_v2(source_path.c_str(), &src_raw, SQLITE_OPEN_READONLY, nullptr);
  DbPtr src(src_raw);
  if (sqlite3_errcode(src.get()) != SQLITE_OK) return db_error(src.get(), "open " + source_path);
  sqlite3_open_v2(dest_path.c_str(), &dst_raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  DbPtr dst(dst_raw);
  if (sqlite3_errcode(dst.get()) != SQLITE_OK) return db_error(dst.get(), "open " + dest_path);
  sqlite3_backup* b = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
  if (b == nullptr) return db_error(dst.get(), "backup init");
  int rc = SQLITE_OK;
  // Copy in steps so a busy server is never blocked for long; a write by another connection
  // restarts the copy, which still ends in a consistent snapshot.
  while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK || rc == SQLITE_BUSY ||
         rc == SQLITE_LOCKED) {
    if (rc != SQLITE_OK) sqlite3_sleep(20);
  }
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return db_error(dst.get(), "backup step");
  return exec(dst.get(), "PRAGMA integrity_check");
}

}  // namespace nguon::sqlite
