#include "adapters/db/postgres/postgres_store.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "adapters/db/alert_rows.h"
#include "adapters/db/postgres/postgres_schema.h"
#include "adapters/db/sql_text.h"
#include "core/access.h"
#include "core/bulletins.h"
#include "core/devices/record_json.h"
#include "core/text.h"
#include "core/units.h"

namespace nguon::postgres {
namespace {

// Session-level advisory lock key held around migrations ("nguon" in ASCII). Any process that
// migrates this database takes it, so concurrent starts apply each version exactly once.
constexpr std::int64_t kMigrationLockKey = 0x6e67756f6e;

constexpr std::string_view kUniqueViolation = "23505";
constexpr std::string_view kForeignKeyViolation = "23503";

// The named statements prepared on each open connection (exec_prepared): parsing and planning
// a wide statement costs more than running it, so the hot paths prepare theirs once per
// connection. A connection's entries are dropped when it closes (its address may be reused).
class PreparedStatements {
 public:
  static PreparedStatements& instance() {
    static PreparedStatements registry;
    return registry;
  }
  bool has(PGconn* c, std::string_view name) {
    std::lock_guard lock(mu_);
    auto it = names_.find(c);
    return it != names_.end() &&
           std::find(it->second.begin(), it->second.end(), name) != it->second.end();
  }
  void add(PGconn* c, std::string_view name) {
    std::lock_guard lock(mu_);
    names_[c].emplace_back(name);
  }
  void forget(PGconn* c) {
    std::lock_guard lock(mu_);
    names_.erase(c);
  }

 private:
  std::mutex mu_;
  std::unordered_map<PGconn*, std::vector<std::string>> names_;
};

struct ConnCloser {
  void operator()(PGconn* c) const {
    PreparedStatements::instance().forget(c);
    PQfinish(c);
  }
};
using ConnPtr = std::unique_ptr<PGconn, ConnCloser>;

struct ResultClearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultClearer>;

Error unavailable(std::string message) {
  return {ErrorKind::kUnavailable, "unavailable", std::move(message)};
}

std::string trimmed(const char* s) {
  std::string out = s != nullptr ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// Escapes LIKE wildcards so user text matches literally (used with ESCAPE '\').
std::string like_literal(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Positional parameters ($1, $2…), all sent in text format; an empty optional is SQL NULL.
class Params {
 public:
  Params& text(std::string_view v) {
    values_.emplace_back(std::string(v));
    return *this;
  }
  // Empty text is stored as NULL (optional references such as the nation's parent).
  Params& text_or_null(std::string_view v) {
    if (v.empty()) {
      values_.emplace_back();
    } else {
      values_.emplace_back(std::string(v));
    }
    return *this;
  }
  Params& integer(std::int64_t v) {
    values_.emplace_back(std::to_string(v));
    return *this;
  }
  Params& limit(size_t v) {
    constexpr auto kMax = static_cast<size_t>(std::numeric_limits<std::int64_t>::max());
    return integer(static_cast<std::int64_t>(std::min(v, kMax)));
  }
  Params& boolean(bool v) {
    values_.emplace_back(v ? "t" : "f");
    return *this;
  }
  // 0 is sent as NULL: optional references (approved_by, a notification's bulletin).
  Params& id_or_null(std::int64_t v) {
    if (v == 0) {
      values_.emplace_back();
      return *this;
    }
    return integer(v);
  }
  // The shortest text that reads back as exactly `v`.
  Params& real(double v) {
    std::array<char, 64> buf{};
    const auto end = std::to_chars(buf.data(), buf.data() + buf.size(), v).ptr;
    values_.emplace_back(std::string(buf.data(), end));
    return *this;
  }

  // nullopt is sent as NULL (a device without coordinates).
  Params& optional_real(std::optional<double> v) {
    if (!v) {
      values_.emplace_back();
      return *this;
    }
    return real(*v);
  }

  // An array literal ({"a","b"}) for a $n::text[] parameter; every element quoted.
  Params& text_array(const std::vector<std::string_view>& v) {
    std::string out = "{";
    for (std::string_view e : v) {
      if (out.size() > 1) out += ',';
      out += '"';
      for (char c : e) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
    values_.emplace_back(out + "}");
    return *this;
  }
  // An array literal ({1,2}) for a $n::bigint[] parameter.
  Params& integer_array(const std::vector<std::int64_t>& v) {
    std::string out = "{";
    for (std::int64_t e : v) {
      if (out.size() > 1) out += ',';
      out += std::to_string(e);
    }
    values_.emplace_back(out + "}");
    return *this;
  }

  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> pointers() const {
    std::vector<const char*> out;
    out.reserve(values_.size());
    for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
    return out;
  }

 private:
  std::vector<std::optional<std::string>> values_;
};

// A successful query's rows (text format).
class Rows {
 public:
  explicit Rows(ResultPtr r) : r_(std::move(r)) {}

  int size() const { return PQntuples(r_.get()); }
  std::string text(int row, int col) const {
    return {PQgetvalue(r_.get(), row, col), static_cast<size_t>(PQgetlength(r_.get(), row, col))};
  }
  // NULL reads as 0.
  std::int64_t integer(int row, int col) const {
    const char* v = PQgetvalue(r_.get(), row, col);
    std::int64_t out = 0;
    std::from_chars(v, v + PQgetlength(r_.get(), row, col), out);
    return out;
  }
  double real(int row, int col) const {
    const char* v = PQgetvalue(r_.get(), row, col);
    double out = 0;
    std::from_chars(v, v + PQgetlength(r_.get(), row, col), out);
    return out;
  }
  // Rows an INSERT, UPDATE or DELETE touched.
  std::int64_t affected() const {
    const char* v = PQcmdTuples(r_.get());
    std::int64_t out = 0;
    std::from_chars(v, v + std::char_traits<char>::length(v), out);
    return out;
  }
  bool boolean(int row, int col) const { return PQgetvalue(r_.get(), row, col)[0] == 't'; }
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::optional<double> optional_real(int row, int col) const {
    return is_null(row, col) ? std::nullopt : std::optional<double>(real(row, col));
  }
  std::string_view command_tag() const { return PQcmdStatus(r_.get()); }

 private:
  ResultPtr r_;
};

// Which contract error a unique violation means for the statement at hand.
enum class OnUnique { kDuplicate, kUnitExists, kUsernameTaken };

Error query_error(PGconn* c, const PGresult* r, OnUnique on_unique) {
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = trimmed(r != nullptr ? PQresultErrorMessage(r) : nullptr);
  if (message.empty()) message = trimmed(PQerrorMessage(c));
  if (state != nullptr && state == kUniqueViolation) {
    switch (on_unique) {
      case OnUnique::kUnitExists:
        return conflict("unit_exists", "a unit with that code already exists");
      case OnUnique::kUsernameTaken:
        return conflict("username_taken", "that username is already taken");
      case OnUnique::kDuplicate:
        break;
    }
    return conflict("duplicate", "duplicate record: " + message);
  }
  if (state != nullptr && state == kForeignKeyViolation) {
    const char* constraint = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
    return invalid("invalid_reference",
                   std::string("refers to a record that does not exist") +
                       (constraint != nullptr ? std::string(" (") + constraint + ")" : ""));
  }
  return internal("postgres: " + message);
}

// Runs one statement with bound parameters (never interpolated into the SQL text).
Result<Rows> exec(PGconn* c, const std::string& sql, const Params& params = Params(),
                  OnUnique on_unique = OnUnique::kDuplicate) {
  const std::vector<const char*> values = params.pointers();
  ResultPtr r(
      PQexecParams(c, sql.c_str(), params.size(), nullptr, values.data(), nullptr, nullptr, 0));
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Rows(std::move(r));
  return query_error(c, r.get(), on_unique);
}

// Like exec, through the named statement `name` (always the same `sql`), prepared on the
// connection at its first use. Prepared statements outlive transactions, rolled back or not.
Result<Rows> exec_prepared(PGconn* c, const char* name, const std::string& sql,
                           const Params& params) {
  PreparedStatements& prepared = PreparedStatements::instance();
  if (!prepared.has(c, name)) {
    ResultPtr r(PQprepare(c, name, sql.c_str(), params.size(), nullptr));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
      return query_error(c, r.get(), OnUnique::kDuplicate);
    }
    prepared.add(c, name);
  }
  const std::vector<const char*> values = params.pointers();
  ResultPtr r(PQexecPrepared(c, name, params.size(), values.data(), nullptr, nullptr, 0));
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Rows(std::move(r));
  return query_error(c, r.get(), OnUnique::kDuplicate);
}

// Runs a constant multi-statement script (migrations only; takes no parameters).
Status exec_script(PGconn* c, const char* sql) {
  ResultPtr r(PQexec(c, sql));
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return {};
  return query_error(c, r.get(), OnUnique::kDuplicate);
}

// Whether an idle connection still looks usable, without a round trip: a server that ended the
// session (restart, pg_terminate_backend) has sent its error and closed the socket, which shows
// as input waiting; an idle session is otherwise sent nothing (no LISTEN here), so any input
// retires the connection.
bool idle_connection_alive(PGconn* c) {
  if (PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) != PQTRANS_IDLE) return false;
  pollfd p{};
  p.fd = PQsocket(c);
  p.events = POLLIN;
  return p.fd >= 0 && ::poll(&p, 1, 0) == 0;
}

Result<ConnPtr> open_connection(const std::string& conninfo) {
  ConnPtr c(PQconnectdb(conninfo.c_str()));
  if (!c) return unavailable("postgres: out of memory");
  if (PQstatus(c.get()) != CONNECTION_OK) {
    return unavailable("postgres: cannot connect: " + trimmed(PQerrorMessage(c.get())));
  }
  // Notices ("already exists, skipping"…) are not errors; keep them off stderr.
  PQsetNoticeProcessor(
      c.get(), [](void*, const char*) {}, nullptr);
  if (PQsetClientEncoding(c.get(), "UTF8") != 0) {
    return internal("postgres: cannot set client encoding: " + trimmed(PQerrorMessage(c.get())));
  }
  // Floats (audio_seconds) as text that reads back exactly; PostgreSQL 12+ does so already,
  // older servers need 3 extra digits.
  ResultPtr r(PQexec(c.get(), "SET extra_float_digits = 3"));
  if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
    return internal("postgres: cannot set extra_float_digits: " + trimmed(PQerrorMessage(c.get())));
  }
  return c;
}

constexpr const char* kUnitColumns = "code, parent_code, level, type, name, path, fold";

Unit read_unit(const Rows& r, int i) {
  Unit u;
  u.code = r.text(i, 0);
  u.parent_code = r.text(i, 1);  // NULL reads as ""
  u.level = units::parse_level(r.text(i, 2)).value_or(UnitLevel::kCommune);
  u.type = r.text(i, 3);
  u.name = r.text(i, 4);
  u.path = r.text(i, 5);
  u.fold = r.text(i, 6);
  return u;
}

constexpr const char* kUserColumns =
    "u.id, u.username, u.display_name, u.unit_code, u.password_hash, u.disabled, "
    "u.failed_logins, u.locked_until, u.must_change_password, u.created_at, u.updated_at";

User read_user(const Rows& r, int i) {
  User u;
  u.id = r.integer(i, 0);
  u.username = r.text(i, 1);
  u.display_name = r.text(i, 2);
  u.unit_code = r.text(i, 3);
  u.password_hash = r.text(i, 4);
  u.disabled = r.boolean(i, 5);
  u.failed_logins = static_cast<int>(r.integer(i, 6));
  u.locked_until = r.integer(i, 7);
  u.must_change_password = r.boolean(i, 8);
  u.created_at = r.integer(i, 9);
  u.updated_at = r.integer(i, 10);
  return u;
}

constexpr const char* kSessionColumns = "token_hash, user_id, csrf_token, created_at, expires_at";

Session read_session(const Rows& r, int i) {
  return {r.text(i, 0), r.integer(i, 1), r.text(i, 2), r.integer(i, 3), r.integer(i, 4)};
}

constexpr const char* kTokenColumns =
    "id, user_id, name, token_hash, created_at, expires_at, revoked";

ApiToken read_token(const Rows& r, int i) {
  return {r.integer(i, 0), r.integer(i, 1), r.text(i, 2),   r.text(i, 3),
          r.integer(i, 4), r.integer(i, 5), r.boolean(i, 6)};
}

constexpr const char* kAuditColumns =
    "seq, at, actor, action, target, before, after, ip, prev_hash, hash";

AuditEntry read_audit(const Rows& r, int i) {
  return {r.integer(i, 0), r.integer(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4),
          r.text(i, 5),    r.text(i, 6),    r.text(i, 7), r.text(i, 8), r.text(i, 9)};
}

// "$first, $first+1, …" (n parameters) for an IN list.
std::string placeholders(int first, size_t n) { return sql_text::placeholders('$', first, n); }

// Selected with the table aliased as b; read_bulletin reads them in this order.
constexpr const char* kBulletinColumns =
    "b.id, b.owner_unit, b.title, b.summary, b.body, b.category, b.priority, b.language, "
    "b.author_id, b.pen_name, b.source, b.valid_from, b.valid_until, b.status, b.revision, "
    "b.return_reason, b.approved_by, b.submitted_at, b.approved_at, b.published_at, "
    "b.audio_sha256, b.audio_seconds, b.audio_origin, b.audio_voice, b.fold, b.created_at, "
    "b.updated_at";

// The columns update_bulletin rewrites, sent by add_bulletin_content in this order.
constexpr const char* kBulletinContentColumns =
    "title, summary, body, category, priority, language, pen_name, source, valid_from, "
    "valid_until, status, revision, return_reason, approved_by, submitted_at, approved_at, "
    "published_at, audio_sha256, audio_seconds, audio_origin, audio_voice, fold, updated_at";
constexpr int kBulletinContentCount = 23;

using sql_text::excluded_assignments;

std::string assignments(std::string_view columns, int first) {
  return sql_text::assignments('$', columns, first);
}

// "column LIKE $first ESCAPE '\' OR …" (n parameters, each sent as like_literal(prefix) + "%"):
// the column starts with one of the prefixes.
std::string prefix_tests(std::string_view column, int first, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) out += " OR ";
    out.append(column)
        .append(" LIKE $")
        .append(std::to_string(first + static_cast<int>(i)))
        .append(" ESCAPE '\\'");
  }
  return out;
}

Params& add_bulletin_content(Params& p, const Bulletin& b) {
  return p.text(b.title)
      .text(b.summary)
      .text(b.body)
      .text(b.category)
      .text(bulletins::priority_name(b.priority))
      .text(b.language)
      .text(b.pen_name)
      .text(b.source)
      .integer(b.valid_from)
      .integer(b.valid_until)
      .text(bulletins::status_name(b.status))
      .integer(b.revision)
      .text(b.return_reason)
      .id_or_null(b.approved_by)
      .integer(b.submitted_at)
      .integer(b.approved_at)
      .integer(b.published_at)
      .text(b.audio.sha256)
      .real(b.audio.seconds)
      .text(b.audio.origin)
      .text(b.audio.voice)
      .text(b.fold)
      .integer(b.updated_at);
}

Bulletin read_bulletin(const Rows& r, int i) {
  Bulletin b;
  b.id = r.integer(i, 0);
  b.owner_unit = r.text(i, 1);
  b.title = r.text(i, 2);
  b.summary = r.text(i, 3);
  b.body = r.text(i, 4);
  b.category = r.text(i, 5);
  b.priority = bulletins::parse_priority(r.text(i, 6)).value_or(Priority::kNormal);
  b.language = r.text(i, 7);
  b.author_id = r.integer(i, 8);
  b.pen_name = r.text(i, 9);
  b.source = r.text(i, 10);
  b.valid_from = r.integer(i, 11);
  b.valid_until = r.integer(i, 12);
  b.status = bulletins::parse_status(r.text(i, 13)).value_or(BulletinStatus::kDraft);
  b.revision = static_cast<int>(r.integer(i, 14));
  b.return_reason = r.text(i, 15);
  b.approved_by = r.integer(i, 16);  // NULL: none
  b.submitted_at = r.integer(i, 17);
  b.approved_at = r.integer(i, 18);
  b.published_at = r.integer(i, 19);
  b.audio.sha256 = r.text(i, 20);
  b.audio.seconds = r.real(i, 21);
  b.audio.origin = r.text(i, 22);
  b.audio.voice = r.text(i, 23);
  b.fold = r.text(i, 24);
  b.created_at = r.integer(i, 25);
  b.updated_at = r.integer(i, 26);
  return b;
}

constexpr const char* kNotificationColumns =
    "id, user_id, kind, message, bulletin_id, created_at, read, feedback_id";

Notification read_notification(const Rows& r, int i) {
  return {r.integer(i, 0), r.integer(i, 1), r.text(i, 2),    r.text(i, 3),
          r.integer(i, 4), r.integer(i, 5), r.boolean(i, 6), r.integer(i, 7)};
}

BulletinRevision read_revision(const Rows& r, int i) {
  return {r.integer(i, 0), static_cast<int>(r.integer(i, 1)), r.text(i, 2), r.integer(i, 3),
          r.integer(i, 4)};
}

// Orders units nation < province < commune < village.
constexpr const char* kLevelRank =
    "CASE level WHEN 'nation' THEN 0 WHEN 'province' THEN 1 WHEN 'commune' THEN 2 ELSE 3 END";

std::string sql(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out += p;
  return out;
}

template <typename T, typename F>
std::vector<T> all_rows(const Rows& r, F read) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) out.push_back(read(r, i));
  return out;
}

template <typename T, typename F>
std::optional<T> first_row(const Rows& r, F read) {
  if (r.size() == 0) return std::nullopt;
  return read(r, 0);
}

// Selected with the table aliased as d; read_device reads them in this order.
constexpr const char* kDeviceColumns =
    "d.id, d.kind, d.name, d.serial, d.imei, d.vendor, d.model, d.firmware, d.commune_code, "
    "d.village_code, d.unit_path, d.lat, d.lon, d.horns, d.watts, d.status, d.secret_hash, "
    "d.credential_version, d.online, d.last_seen, d.state_json, d.created_at, d.updated_at";

// The registry columns update_device rewrites, sent by add_device_registry in this order.
constexpr const char* kDeviceRegistryColumns =
    "kind, name, serial, imei, vendor, model, firmware, commune_code, village_code, unit_path, "
    "lat, lon, horns, watts, status, secret_hash, credential_version, updated_at";
constexpr int kDeviceRegistryCount = 18;

Params& add_device_registry(Params& p, const Device& d) {
  return p.text(devices::device_kind_name(d.kind))
      .text(d.name)
      .text(d.serial)
      .text(d.imei)
      .text(d.vendor)
      .text(d.model)
      .text(d.firmware)
      .text(d.commune_code)
      .text_or_null(d.village_code)
      .text(d.unit_path)
      .optional_real(d.lat)
      .optional_real(d.lon)
      .integer(d.horns)
      .integer(d.watts)
      .text(devices::device_status_name(d.status))
      .text(d.secret_hash)
      .integer(d.credential_version)
      .integer(d.updated_at);
}

Device read_device(const Rows& r, int i) {
  Device d;
  d.id = r.text(i, 0);
  d.kind = devices::parse_device_kind(r.text(i, 1)).value_or(DeviceKind::kCluster);
  d.name = r.text(i, 2);
  d.serial = r.text(i, 3);
  d.imei = r.text(i, 4);
  d.vendor = r.text(i, 5);
  d.model = r.text(i, 6);
  d.firmware = r.text(i, 7);
  d.commune_code = r.text(i, 8);
  d.village_code = r.text(i, 9);  // NULL reads as ""
  d.unit_path = r.text(i, 10);
  d.lat = r.optional_real(i, 11);
  d.lon = r.optional_real(i, 12);
  d.horns = static_cast<int>(r.integer(i, 13));
  d.watts = static_cast<int>(r.integer(i, 14));
  d.status = devices::parse_device_status(r.text(i, 15)).value_or(DeviceStatus::kRegistered);
  d.secret_hash = r.text(i, 16);
  d.credential_version = static_cast<int>(r.integer(i, 17));
  d.online = r.boolean(i, 18);
  d.last_seen = r.integer(i, 19);
  d.state_json = r.text(i, 20);
  d.created_at = r.integer(i, 21);
  d.updated_at = r.integer(i, 22);
  return d;
}

// The programme columns update_programme rewrites, sent by add_programme_content in order.
constexpr const char* kProgrammeContentColumns =
    "name, priority, target_units, target_groups, rrule, first_date, last_date, exdates, "
    "start_minute, duration_minutes, items, enabled, updated_at";
constexpr int kProgrammeContentCount = 13;

constexpr const char* kProgrammeColumns =
    "id, owner_unit, owner_path, created_by, created_at, name, priority, target_units, "
    "target_groups, rrule, first_date, last_date, exdates, start_minute, duration_minutes, "
    "items, enabled, updated_at";

Params& add_programme_content(Params& params, const Programme& p) {
  return params.text(p.name)
      .text(bulletins::priority_name(p.priority))
      .text(devices::encode_strings(p.target_units))
      .text(devices::encode_ids(p.target_groups))
      .text(p.rrule)
      .text(p.first_date)
      .text(p.last_date)
      .text(devices::encode_strings(p.exdates))
      .integer(p.start_minute)
      .integer(p.duration_minutes)
      .text(devices::encode_programme_items(p.items))
      .boolean(p.enabled)
      .integer(p.updated_at);
}

Result<Programme> read_programme(const Rows& r, int i) {
  Programme p;
  p.id = r.integer(i, 0);
  p.owner_unit = r.text(i, 1);
  p.owner_path = r.text(i, 2);
  p.created_by = r.integer(i, 3);
  p.created_at = r.integer(i, 4);
  p.name = r.text(i, 5);
  p.priority = bulletins::parse_priority(r.text(i, 6)).value_or(Priority::kNormal);
  p.rrule = r.text(i, 9);
  p.first_date = r.text(i, 10);
  p.last_date = r.text(i, 11);
  p.start_minute = static_cast<int>(r.integer(i, 13));
  p.duration_minutes = static_cast<int>(r.integer(i, 14));
  NGUON_TRY(
      devices::decode_programme_lists(p, r.text(i, 7), r.text(i, 8), r.text(i, 12), r.text(i, 15)));
  p.enabled = r.boolean(i, 16);
  p.updated_at = r.integer(i, 17);
  return p;
}

constexpr const char* kOrderColumns =
    "id, owner_unit, priority, areas, payload_json, created_by, created_at, stopped_at";

Result<BroadcastOrder> read_order(const Rows& r, int i) {
  BroadcastOrder o;
  o.id = r.text(i, 0);
  o.owner_unit = r.text(i, 1);
  o.priority = bulletins::parse_priority(r.text(i, 2)).value_or(Priority::kNormal);
  auto areas = devices::decode_strings(r.text(i, 3));
  if (!areas) return areas.error();
  o.areas = std::move(areas.value());
  o.payload_json = r.text(i, 4);
  o.created_by = r.integer(i, 5);
  o.created_at = r.integer(i, 6);
  o.stopped_at = r.integer(i, 7);
  return o;
}

constexpr const char* kPlayLogColumns =
    "id, device_id, event_id, type, ts, slot, order_id, sha256, url, started, ended, reason, "
    "commune_code, unit_path, received_at";

PlayLog read_play_log(const Rows& r, int i) {
  PlayLog l;
  l.id = r.integer(i, 0);
  l.device_id = r.text(i, 1);
  l.event_id = r.text(i, 2);
  l.type = r.text(i, 3);
  l.ts = r.integer(i, 4);
  l.slot = r.text(i, 5);
  l.order = r.text(i, 6);
  l.sha256 = r.text(i, 7);
  l.url = r.text(i, 8);
  l.started = r.integer(i, 9);
  l.ended = r.integer(i, 10);
  l.reason = r.text(i, 11);
  l.commune_code = r.text(i, 12);
  l.unit_path = r.text(i, 13);
  l.received_at = r.integer(i, 14);
  return l;
}

// Like all_rows, for readers that can fail (a stored JSON list that does not decode).
template <typename T, typename F>
Result<std::vector<T>> all_rows_checked(const Rows& r, F read) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) {
    auto value = read(r, i);
    if (!value) return value.error();
    out.push_back(std::move(value.value()));
  }
  return out;
}

// ---- Two-way capability (schema v4) ----

// Feedback enums are stored by their names in core/feedback_model.h (migration 4's CHECK
// constraints list the same names); an unknown name (impossible under them) reads as the first.

// The search key of a feedback's text: title and description folded (text::fold) on two lines,
// so a search never matches across them (a folded query holds no newline).
std::string feedback_fold(const Feedback& f) {
  return text::fold(f.title) + "\n" + text::fold(f.description);
}

constexpr const char* kFeedbackServiceColumns =
    "code, name_vi, name_en, description, group_name, keywords, attributes_json, forward_days, "
    "answer_days, active";
// The columns upsert_feedback_service replaces (all but the code).
constexpr const char* kFeedbackServiceValueColumns =
    "name_vi, name_en, description, group_name, keywords, attributes_json, forward_days, "
    "answer_days, active";

FeedbackService read_feedback_service(const Rows& r, int i) {
  FeedbackService f;
  f.code = r.text(i, 0);
  f.name_vi = r.text(i, 1);
  f.name_en = r.text(i, 2);
  f.description = r.text(i, 3);
  f.group = r.text(i, 4);
  f.keywords = r.text(i, 5);
  f.attributes_json = r.text(i, 6);
  f.forward_days = static_cast<int>(r.integer(i, 7));
  f.answer_days = static_cast<int>(r.integer(i, 8));
  f.active = r.boolean(i, 9);
  return f;
}

// alert_rows' Reader over row `i` (Params is its Writer).
struct RowReader {
  const Rows& r;
  int i;
  std::string text(int col) const { return r.text(i, col); }
  std::int64_t integer(int col) const { return r.integer(i, col); }
  bool boolean(int col) const { return r.boolean(i, col); }
};

AlertSource read_alert_source(const Rows& r, int i) {
  return alert_rows::read_source(RowReader{r, i});
}
AlertRecord read_alert_record(const Rows& r, int i) {
  return alert_rows::read_alert(RowReader{r, i});
}

constexpr const char* kAgencyColumns =
    "id, unit_code, unit_path, name, email, supervisor_agency, active";

// Every column of kAgencyColumns but the id.
Params& add_agency(Params& p, const Agency& a) {
  return p.text(a.unit_code)
      .text(a.unit_path)
      .text(a.name)
      .text(a.email)
      .id_or_null(a.supervisor_agency)
      .boolean(a.active);
}

Agency read_agency(const Rows& r, int i) {
  Agency a;
  a.id = r.integer(i, 0);
  a.unit_code = r.text(i, 1);
  a.unit_path = r.text(i, 2);
  a.name = r.text(i, 3);
  a.email = r.text(i, 4);
  a.supervisor_agency = r.integer(i, 5);  // NULL: none
  a.active = r.boolean(i, 6);
  return a;
}

constexpr const char* kRoutingRuleColumns =
    "id, service_code, area_code, area_path, body_unit, agency_id";

RoutingRule read_routing_rule(const Rows& r, int i) {
  return {r.integer(i, 0), r.text(i, 1), r.text(i, 2), r.text(i, 3), r.text(i, 4), r.integer(i, 5)};
}

// Every feedback column but id, tracking_code, submitted_at and the derived fold: what
// update_feedback rewrites, sent by add_feedback_content and read by read_feedback in this
// order.
constexpr const char* kFeedbackContentColumns =
    "service_code, title, description, attributes_json, status, channel, client, commune_code, "
    "village_code, area_path, address, lat, lon, location_method, contact_name, contact_email, "
    "contact_phone, contact_hash, submitter_ip, entered_by, relayed_by, body_unit, body_path, "
    "agency_id, forward_due, answer_due, reminded_at, escalation, answer_status, answer_text, "
    "answer_public, answer_author, answer_approver, bulletin_id, reject_reason, merged_into, "
    "rating, rating_comment, reopen_count, assigned_at, answered_at, closed_at, updated_at";
constexpr int kFeedbackContentCount = 43;

Params& add_feedback_content(Params& p, const Feedback& f) {
  return p.text(f.service_code)
      .text(f.title)
      .text(f.description)
      .text(f.attributes_json)
      .text(feedback::status_name(f.status))
      .text(f.channel)
      .text(f.client)
      .text(f.commune_code)
      .text(f.village_code)
      .text(f.area_path)
      .text(f.address)
      .optional_real(f.lat)
      .optional_real(f.lon)
      .text(f.location_method)
      .text(f.contact_name)
      .text(f.contact_email)
      .text(f.contact_phone)
      .text(f.contact_hash)
      .text(f.submitter_ip)
      .integer(f.entered_by)
      .text(f.relayed_by)
      .text(f.body_unit)
      .text(f.body_path)
      .integer(f.agency_id)
      .integer(f.forward_due)
      .integer(f.answer_due)
      .integer(f.reminded_at)
      .integer(f.escalation)
      .text(feedback::answer_status_name(f.answer_status))
      .text(f.answer_text)
      .text(f.answer_public)
      .integer(f.answer_author)
      .integer(f.answer_approver)
      .integer(f.bulletin_id)
      .text(f.reject_reason)
      .integer(f.merged_into)
      .integer(f.rating)
      .text(f.rating_comment)
      .integer(f.reopen_count)
      .integer(f.assigned_at)
      .integer(f.answered_at)
      .integer(f.closed_at)
      .integer(f.updated_at);
}

// Reads "id, tracking_code, submitted_at, " + kFeedbackContentColumns (not the attachments).
Feedback read_feedback(const Rows& r, int i) {
  Feedback f;
  f.id = r.integer(i, 0);
  f.tracking_code = r.text(i, 1);
  f.submitted_at = r.integer(i, 2);
  f.service_code = r.text(i, 3);
  f.title = r.text(i, 4);
  f.description = r.text(i, 5);
  f.attributes_json = r.text(i, 6);
  f.status = feedback::parse_status(r.text(i, 7)).value_or(FeedbackStatus::kModeration);
  f.channel = r.text(i, 8);
  f.client = r.text(i, 9);
  f.commune_code = r.text(i, 10);
  f.village_code = r.text(i, 11);
  f.area_path = r.text(i, 12);
  f.address = r.text(i, 13);
  f.lat = r.optional_real(i, 14);
  f.lon = r.optional_real(i, 15);
  f.location_method = r.text(i, 16);
  f.contact_name = r.text(i, 17);
  f.contact_email = r.text(i, 18);
  f.contact_phone = r.text(i, 19);
  f.contact_hash = r.text(i, 20);
  f.submitter_ip = r.text(i, 21);
  f.entered_by = r.integer(i, 22);
  f.relayed_by = r.text(i, 23);
  f.body_unit = r.text(i, 24);
  f.body_path = r.text(i, 25);
  f.agency_id = r.integer(i, 26);
  f.forward_due = r.integer(i, 27);
  f.answer_due = r.integer(i, 28);
  f.reminded_at = r.integer(i, 29);
  f.escalation = static_cast<int>(r.integer(i, 30));
  f.answer_status = feedback::parse_answer_status(r.text(i, 31)).value_or(AnswerStatus::kNone);
  f.answer_text = r.text(i, 32);
  f.answer_public = r.text(i, 33);
  f.answer_author = r.integer(i, 34);
  f.answer_approver = r.integer(i, 35);
  f.bulletin_id = r.integer(i, 36);
  f.reject_reason = r.text(i, 37);
  f.merged_into = r.integer(i, 38);
  f.rating = static_cast<int>(r.integer(i, 39));
  f.rating_comment = r.text(i, 40);
  f.reopen_count = static_cast<int>(r.integer(i, 41));
  f.assigned_at = r.integer(i, 42);
  f.answered_at = r.integer(i, 43);
  f.closed_at = r.integer(i, 44);
  f.updated_at = r.integer(i, 45);
  return f;
}

// The attachments as four arrays (sha256, kind, mime, bytes), for kAttachmentsInsert.
Params& add_attachments(Params& p, const std::vector<FeedbackAttachment>& attachments) {
  std::vector<std::string_view> sha256, kind, mime;
  std::vector<std::int64_t> bytes;
  for (const FeedbackAttachment& a : attachments) {
    sha256.emplace_back(a.sha256);
    kind.emplace_back(a.kind);
    mime.emplace_back(a.mime);
    bytes.push_back(a.bytes);
  }
  return p.text_array(sha256).text_array(kind).text_array(mime).integer_array(bytes);
}

// "a AS (INSERT …)": stores the attachments sent by add_attachments as $first…$first+3, in
// array order, for the feedback id of the statement's relation `f`. One statement with the
// feedback's own insert or update, so it needs no savepoint.
std::string attachments_insert(int first) {
  auto param = [first](int k, const char* type) {
    return "$" + std::to_string(first + k) + "::" + type;
  };
  return "a AS (INSERT INTO feedback_attachments (feedback_id, position, sha256, kind, mime, "
         "bytes) SELECT f.id, x.n - 1, x.sha256, x.kind, x.mime, x.bytes FROM f, unnest(" +
         param(0, "text[]") + ", " + param(1, "text[]") + ", " + param(2, "text[]") + ", " +
         param(3, "bigint[]") + ") WITH ORDINALITY AS x(sha256, kind, mime, bytes, n))";
}

constexpr const char* kFeedbackSelect = "SELECT id, tracking_code, submitted_at, ";

// The statement of the benchmarked intake path, built once: the feedback and its attachments in
// one round trip. A duplicate tracking code inserts nothing and returns no row (no error, so the
// transaction stays usable without a savepoint).
const std::string& feedback_insert_sql() {
  static const std::string kSql = sql(
      {"WITH f AS (INSERT INTO feedback (tracking_code, submitted_at, fold, ",
       kFeedbackContentColumns, ") VALUES ($1, $2, $3, ", placeholders(4, kFeedbackContentCount),
       ") ON CONFLICT (tracking_code) DO NOTHING RETURNING id), ",
       attachments_insert(4 + kFeedbackContentCount), " SELECT id FROM f"});
  return kSql;
}

// Users holding `role` over the unit at `path` (or above it), except those who hold it over
// `except` too ('' = no exception): the FROM … WHERE part (after "FROM") of notify_role_over and
// of the intake statement; the arguments are parameter references such as "$1::text".
std::string role_holders(const std::string& path, const std::string& role,
                         const std::string& except) {
  return "users u JOIN role_grants g ON g.user_id = u.id JOIN units n ON n.code = g.unit_code"
         " WHERE g.role = " +
         role + " AND NOT u.disabled AND left(" + path + ", length(n.path)) = n.path AND (" +
         except +
         " = '' OR NOT EXISTS (SELECT 1 FROM role_grants g2 JOIN units n2 ON n2.code = "
         "g2.unit_code WHERE g2.user_id = u.id AND g2.role = " +
         role + " AND left(" + except + ", length(n2.path)) = n2.path))";
}

std::string param(int n, const char* type) { return "$" + std::to_string(n) + "::" + type; }

// "$first::types[0], $first+1::types[1], …".
std::string typed_params(int first, std::initializer_list<const char*> types) {
  std::string out;
  for (const char* type : types) {
    if (!out.empty()) out += ", ";
    out += param(first++, type);
  }
  return out;
}

// A text around the id of the feedback inserted as `f` (TextAroundId): parameters first and
// first + 1 are the text before and after "#<id>".
std::string around_new_id(int first) {
  return param(first, "text") + " || '#' || f.id || " + param(first + 1, "text");
}

// The intake in one round trip (Tx::insert_feedback_with): the guard's counts of the
// contact (g, with its verdict), then, when it passes, the feedback and its attachments as
// feedback_insert_sql, its first history line, the notifications of the handlers and the
// agency's e-mail, whose texts embed the new id. Answers one row: the new id (NULL when nothing
// was inserted: the guard refused, or the tracking code exists), the counts and the verdict.
constexpr const char* kIntakeEventInsert =
    ", e AS (INSERT INTO feedback_events (feedback_id, ts, actor, kind, detail, is_public,"
    " status_after) SELECT f.id, ";
constexpr const char* kIntakeNoticeInsert =
    " FROM f), n AS (INSERT INTO notifications (user_id, kind, message, bulletin_id, created_at,"
    " read, feedback_id) SELECT DISTINCT u.id, ";
constexpr const char* kIntakeCounts =
    ") AS recent, count(*) FILTER (WHERE status NOT IN ('moderation', 'rejected')) AS accepted"
    " FROM feedback WHERE contact_hash = ";
constexpr const char* kIntakeMailInsert =
    "), m AS (INSERT INTO outbox (recipient, subject, body, feedback_id, created_at,"
    " next_attempt_at, attempts, sent_at, last_error) SELECT ";

const std::string& feedback_intake_sql() {
  static const std::string kSql = [] {
    const int e = 4 + kFeedbackContentCount + 4;  // after the feedback's and attachments'
    const int n = e + 6;
    const int g = n + 7;
    const int m = g + 4;
    const std::string hash = param(g, "text");
    return sql({"WITH g AS (SELECT recent, accepted, (",
                hash,
                " = '' OR (recent < ",
                param(g + 2, "bigint"),
                " AND (NOT ",
                param(g + 3, "boolean"),
                " OR accepted > 0))) AS pass FROM (SELECT count(*) FILTER (WHERE submitted_at >= ",
                param(g + 1, "bigint"),
                kIntakeCounts,
                hash,
                " AND ",
                hash,
                " <> '') c), f AS (INSERT INTO feedback (tracking_code, submitted_at, fold, ",
                kFeedbackContentColumns,
                ") SELECT $1, $2, $3, ",
                placeholders(4, kFeedbackContentCount),
                " FROM g WHERE g.pass ON CONFLICT (tracking_code) DO NOTHING RETURNING id), ",
                attachments_insert(4 + kFeedbackContentCount),
                kIntakeEventInsert,
                typed_params(e, {"bigint", "text", "text", "text", "boolean", "text"}),
                kIntakeNoticeInsert,
                param(n + 2, "text"),
                ", ",
                around_new_id(n + 3),
                ", NULL::bigint, ",
                param(n + 5, "bigint"),
                ", false, f.id FROM f, ",
                role_holders(param(n, "text"), param(n + 1, "text"), param(n + 6, "text")),
                kIntakeMailInsert,
                param(m, "text"),
                ", ",
                around_new_id(m + 1),
                ", ",
                around_new_id(m + 3),
                ", f.id, ",
                param(m + 5, "bigint"),
                ", ",
                param(m + 5, "bigint"),
                ", 0, 0, '' FROM f WHERE ",
                param(m, "text"),
                " <> '') SELECT (SELECT id FROM f), recent, accepted, pass FROM g"});
  }();
  return kSql;
}

constexpr const char* kFeedbackEventColumns =
    "id, feedback_id, ts, actor, kind, detail, is_public, status_after";

FeedbackEvent read_feedback_event(const Rows& r, int i) {
  return {r.integer(i, 0), r.integer(i, 1), r.integer(i, 2), r.text(i, 3),
          r.text(i, 4),    r.text(i, 5),    r.boolean(i, 6), r.text(i, 7)};
}

constexpr const char* kOutboxColumns =
    "id, recipient, subject, body, feedback_id, created_at, next_attempt_at, attempts, sent_at, "
    "last_error";

OutboxMail read_outbox(const Rows& r, int i) {
  OutboxMail m;
  m.id = r.integer(i, 0);
  m.to = r.text(i, 1);
  m.subject = r.text(i, 2);
  m.body = r.text(i, 3);
  m.feedback_id = r.integer(i, 4);  // NULL: none
  m.created_at = r.integer(i, 5);
  m.next_attempt_at = r.integer(i, 6);
  m.attempts = static_cast<int>(r.integer(i, 7));
  m.sent_at = r.integer(i, 8);
  m.last_error = r.text(i, 9);
  return m;
}

// The connection of one transaction. BEGIN goes out just before the transaction's first
// statement (conn()), not at checkout, so that a write whose only statement is autonomous
// (Tx::insert_feedback_with) costs one round trip in all, like a plain autocommitted insert.
// BEGIN failing on a connection the server has closed moves the transaction to the next one
// (`next`: an idle connection, else a new one), as nothing ran on the dead one yet.
class TxSession {
 public:
  using Next = std::function<Result<ConnPtr>()>;
  TxSession(ConnPtr& conn, const char* begin_sql, bool writable, Next next)
      : conn_(conn), begin_sql_(begin_sql), writable_(writable), next_(std::move(next)) {}

  // The connection inside the transaction, or nullptr (statements on it fail) when BEGIN failed
  // or an autonomous statement has written: see error().
  PGconn* conn() {
    if (begun_) return conn_.get();
    if (error_) return nullptr;
    if (sealed_) {
      error_ = internal("postgres: a statement after the write's final, autonomous statement");
      return nullptr;
    }
    for (;;) {
      auto r = exec(conn_.get(), begin_sql_);
      if (r) {
        begun_ = true;
        return conn_.get();
      }
      if (PQstatus(conn_.get()) != CONNECTION_BAD) {
        error_ = r.error();
        return nullptr;
      }
      auto fresh = next_();
      if (!fresh) {
        error_ = fresh.error();
        return nullptr;
      }
      conn_ = std::move(fresh.value());
    }
  }

  bool begun() const { return begun_; }
  bool sealed() const { return sealed_; }
  // Why conn() answered nullptr; statements' own errors are the Tx calls' results.
  const std::optional<Error>& error() const { return error_; }

  // Runs the prepared statement `name` (see exec_prepared) in its own implicit transaction when
  // this is a write and no statement ran before, else inside the transaction.
  Result<Rows> autonomous(const char* name, const std::string& sql, const Params& params) {
    if (!writable_ || begun_ || sealed_ || error_) return exec_prepared(conn(), name, sql, params);
    return exec_prepared(conn_.get(), name, sql, params);
  }
  // After an autonomous statement wrote: the write is committed, nothing may follow.
  void seal() {
    if (!begun_) sealed_ = true;
  }

 private:
  ConnPtr& conn_;
  const char* begin_sql_;
  bool writable_;
  Next next_;
  bool begun_ = false;
  bool sealed_ = false;
  std::optional<Error> error_;
};

class PgTx final : public Tx {
 public:
  PgTx(TxSession& session, bool writable) : session_(session), writable_(writable) {}

  Status insert_unit(const Unit& u) override {
    return guarded([&]() -> Status {
      auto r = exec(conn(),
                    "INSERT INTO units (code, parent_code, level, type, name, path, fold) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    Params()
                        .text(u.code)
                        .text_or_null(u.parent_code)
                        .text(units::level_name(u.level))
                        .text(u.type)
                        .text(u.name)
                        .text(u.path)
                        .text(u.fold),
                    OnUnique::kUnitExists);
      if (!r) return r.error();
      return {};
    });
  }

  Status update_unit_name(const std::string& code, const std::string& name,
                          const std::string& fold) override {
    auto r = exec(conn(), "UPDATE units SET name = $2, fold = $3 WHERE code = $1",
                  Params().text(code).text(name).text(fold));
    if (!r) return r.error();
    return {};
  }

  Result<std::optional<Unit>> find_unit(const std::string& code) override {
    auto r = exec(conn(), sql({"SELECT ", kUnitColumns, " FROM units WHERE code = $1"}),
                  Params().text(code));
    if (!r) return r.error();
    return first_row<Unit>(r.value(), read_unit);
  }

  Result<std::vector<Unit>> children(const std::string& parent_code) override {
    auto r = exec(
        conn(), sql({"SELECT ", kUnitColumns, " FROM units WHERE parent_code = $1 ORDER BY code"}),
        Params().text(parent_code));
    if (!r) return r.error();
    return all_rows<Unit>(r.value(), read_unit);
  }

  static constexpr std::string_view kSearchFilter =
      " FROM units WHERE path LIKE $1 ESCAPE '\\' AND fold LIKE $2 ESCAPE '\\' "
      "AND ($3::text IS NULL OR level = $3::text) ORDER BY ";

  Result<std::vector<Unit>> search_units(const UnitQuery& q) override {
    auto r =
        exec(conn(), sql({"SELECT ", kUnitColumns, kSearchFilter, kLevelRank, ", code LIMIT $4"}),
             Params()
                 .text(like_literal(q.within_path) + "%")
                 .text("%" + like_literal(q.fold) + "%")
                 .text_or_null(q.level ? units::level_name(*q.level) : std::string_view())
                 .limit(q.limit));
    if (!r) return r.error();
    return all_rows<Unit>(r.value(), read_unit);
  }

  Result<std::int64_t> count_units(std::optional<UnitLevel> level) override {
    auto r = exec(conn(), "SELECT count(*) FROM units WHERE ($1::text IS NULL OR level = $1::text)",
                  Params().text_or_null(level ? units::level_name(*level) : std::string_view()));
    if (!r) return r.error();
    return r->integer(0, 0);
  }

  Status insert_legacy(const LegacyCommune& row) override {
    return guarded([&]() -> Status {
      auto r = exec(conn(),
                    "INSERT INTO legacy_communes (old_code, old_name, old_district, "
                    "old_province, new_code, note) VALUES ($1, $2, $3, $4, $5, $6)",
                    Params()
                        .text(row.old_code)
                        .text(row.old_name)
                        .text(row.old_district)
                        .text(row.old_province)
                        .text(row.new_code)
                        .text(row.note));
      if (!r) return r.error();
      return {};
    });
  }

  Result<std::vector<LegacyCommune>> find_legacy(const std::string& old_code) override {
    auto r = exec(conn(),
                  "SELECT old_code, old_name, old_district, old_province, new_code, note "
                  "FROM legacy_communes WHERE old_code = $1 ORDER BY new_code",
                  Params().text(old_code));
    if (!r) return r.error();
    return all_rows<LegacyCommune>(r.value(), [](const Rows& rows, int i) {
      return LegacyCommune{rows.text(i, 0), rows.text(i, 1), rows.text(i, 2),
                           rows.text(i, 3), rows.text(i, 4), rows.text(i, 5)};
    });
  }

  Result<std::int64_t> insert_user(const User& u) override {
    return guarded([&]() -> Result<std::int64_t> {
      auto r = exec(conn(),
                    "INSERT INTO users (username, display_name, unit_code, password_hash, "
                    "disabled, failed_logins, locked_until, must_change_password, created_at, "
                    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                    Params()
                        .text(u.username)
                        .text(u.display_name)
                        .text(u.unit_code)
                        .text(u.password_hash)
                        .boolean(u.disabled)
                        .integer(u.failed_logins)
                        .integer(u.locked_until)
                        .boolean(u.must_change_password)
                        .integer(u.created_at)
                        .integer(u.updated_at),
                    OnUnique::kUsernameTaken);
      if (!r) return r.error();
      const std::int64_t id = r->integer(0, 0);
      NGUON_TRY(insert_grants(id, u.grants));
      return id;
    });
  }

  Status update_user(const User& u) override {
    return guarded([&]() -> Status {
      auto r = exec(conn(),
                    "UPDATE users SET display_name = $2, unit_code = $3, password_hash = $4, "
                    "disabled = $5, failed_logins = $6, locked_until = $7, "
                    "must_change_password = $8, updated_at = $9 WHERE id = $1",
                    Params()
                        .integer(u.id)
                        .text(u.display_name)
                        .text(u.unit_code)
                        .text(u.password_hash)
                        .boolean(u.disabled)
                        .integer(u.failed_logins)
                        .integer(u.locked_until)
                        .boolean(u.must_change_password)
                        .integer(u.updated_at));
      if (!r) return r.error();
      NGUON_TRY(exec(conn(), "DELETE FROM role_grants WHERE user_id = $1", Params().integer(u.id)));
      return insert_grants(u.id, u.grants);
    });
  }

  Result<std::optional<User>> find_user(std::int64_t id) override {
    return one_user(sql({"SELECT ", kUserColumns, " FROM users u WHERE u.id = $1"}),
                    Params().integer(id));
  }

  Result<std::optional<User>> find_user_by_name(const std::string& username) override {
    return one_user(sql({"SELECT ", kUserColumns, " FROM users u WHERE u.username = $1"}),
                    Params().text(username));
  }

  Result<std::vector<User>> list_users(const std::string& within_path) override {
    const std::string pattern = like_literal(within_path) + "%";
    auto r = exec(conn(),
                  sql({"SELECT ", kUserColumns,
                       " FROM users u JOIN units n ON n.code = u.unit_code"
                       " WHERE n.path LIKE $1 ESCAPE '\\' ORDER BY u.username"}),
                  Params().text(pattern));
    if (!r) return r.error();
    std::vector<User> users = all_rows<User>(r.value(), read_user);
    std::unordered_map<std::int64_t, size_t> index;
    for (size_t i = 0; i < users.size(); ++i) index.emplace(users[i].id, i);
    auto g = exec(conn(),
                  "SELECT g.user_id, g.role, g.unit_code FROM role_grants g"
                  " JOIN users u ON u.id = g.user_id JOIN units n ON n.code = u.unit_code"
                  " WHERE n.path LIKE $1 ESCAPE '\\' ORDER BY g.user_id, g.unit_code, g.role",
                  Params().text(pattern));
    if (!g) return g.error();
    for (int i = 0; i < g->size(); ++i) {
      // A user committed between the two statements (read committed) is not in `users`.
      auto it = index.find(g->integer(i, 0));
      if (it == index.end()) continue;
      users[it->second].grants.push_back(read_grant(g.value(), i, 1));
    }
    return users;
  }

  Result<std::int64_t> count_users() override {
    auto r = exec(conn(), "SELECT count(*) FROM users");
    if (!r) return r.error();
    return r->integer(0, 0);
  }

  Status insert_session(const Session& s) override {
    return guarded([&]() -> Status {
      auto r = exec(
          conn(), sql({"INSERT INTO sessions (", kSessionColumns, ") VALUES ($1, $2, $3, $4, $5)"}),
          Params()
              .text(s.token_hash)
              .integer(s.user_id)
              .text(s.csrf_token)
              .integer(s.created_at)
              .integer(s.expires_at));
      if (!r) return r.error();
      return {};
    });
  }

  Result<std::optional<Session>> find_session(const std::string& token_hash) override {
    auto r = exec(conn(), sql({"SELECT ", kSessionColumns, " FROM sessions WHERE token_hash = $1"}),
                  Params().text(token_hash));
    if (!r) return r.error();
    return first_row<Session>(r.value(), read_session);
  }

  Status delete_session(const std::string& token_hash) override {
    return command("DELETE FROM sessions WHERE token_hash = $1", Params().text(token_hash));
  }

  Status delete_user_sessions(std::int64_t user_id) override {
    return command("DELETE FROM sessions WHERE user_id = $1", Params().integer(user_id));
  }

  Status delete_expired_sessions(UnixTime now) override {
    return command("DELETE FROM sessions WHERE expires_at <= $1", Params().integer(now));
  }

  Result<std::int64_t> insert_token(const ApiToken& t) override {
    return guarded([&]() -> Result<std::int64_t> {
      auto r = exec(conn(),
                    "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at, "
                    "revoked) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    Params()
                        .integer(t.user_id)
                        .text(t.name)
                        .text(t.token_hash)
                        .integer(t.created_at)
                        .integer(t.expires_at)
                        .boolean(t.revoked));
      if (!r) return r.error();
      return r->integer(0, 0);
    });
  }

  Result<std::optional<ApiToken>> find_token_by_hash(const std::string& token_hash) override {
    auto r = exec(conn(), sql({"SELECT ", kTokenColumns, " FROM api_tokens WHERE token_hash = $1"}),
                  Params().text(token_hash));
    if (!r) return r.error();
    return first_row<ApiToken>(r.value(), read_token);
  }

  Result<std::vector<ApiToken>> list_tokens(std::int64_t user_id) override {
    auto r = exec(
        conn(), sql({"SELECT ", kTokenColumns, " FROM api_tokens WHERE user_id = $1 ORDER BY id"}),
        Params().integer(user_id));
    if (!r) return r.error();
    return all_rows<ApiToken>(r.value(), read_token);
  }

  Status revoke_token(std::int64_t user_id, std::int64_t token_id) override {
    return command("UPDATE api_tokens SET revoked = TRUE WHERE user_id = $1 AND id = $2",
                   Params().integer(user_id).integer(token_id));
  }

  Result<std::optional<AuditEntry>> last_audit() override {
    NGUON_TRY(lock_audit());
    auto r =
        exec(conn(), sql({"SELECT ", kAuditColumns, " FROM audit_log ORDER BY seq DESC LIMIT 1"}));
    if (!r) return r.error();
    return first_row<AuditEntry>(r.value(), read_audit);
  }

  Status append_audit(const AuditEntry& e) override {
    // Outside the savepoint: a lock taken in a rolled-back savepoint would be released.
    NGUON_TRY(lock_audit());
    return guarded([&]() -> Status {
      auto r = exec(conn(),
                    sql({"INSERT INTO audit_log (", kAuditColumns,
                         ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"}),
                    Params()
                        .integer(e.seq)
                        .integer(e.at)
                        .text(e.actor)
                        .text(e.action)
                        .text(e.target)
                        .text(e.before)
                        .text(e.after)
                        .text(e.ip)
                        .text(e.prev_hash)
                        .text(e.hash));
      if (!r) return r.error();
      return {};
    });
  }

  Result<std::vector<AuditEntry>> scan_audit(std::int64_t after_seq, size_t limit) override {
    auto r = exec(
        conn(),
        sql({"SELECT ", kAuditColumns, " FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"}),
        Params().integer(after_seq).limit(limit));
    if (!r) return r.error();
    return all_rows<AuditEntry>(r.value(), read_audit);
  }

  Result<std::vector<AuditEntry>> recent_audit(size_t limit) override {
    auto r =
        exec(conn(), sql({"SELECT ", kAuditColumns, " FROM audit_log ORDER BY seq DESC LIMIT $1"}),
             Params().limit(limit));
    if (!r) return r.error();
    return all_rows<AuditEntry>(r.value(), read_audit);
  }

  Result<std::int64_t> insert_bulletin(const Bulletin& b, const std::string& owner_path) override {
    return guarded([&]() -> Result<std::int64_t> {
      Params params;
      params.text(b.owner_unit).text(owner_path).integer(b.author_id).integer(b.created_at);
      add_bulletin_content(params, b);
      const std::string values = placeholders(5, kBulletinContentCount);
      auto r = exec(
          conn(),
          sql({"INSERT INTO bulletins (owner_unit, owner_path, author_id, created_at, ",
               kBulletinContentColumns, ") VALUES ($1, $2, $3, $4, ", values, ") RETURNING id"}),
          params);
      if (!r) return r.error();
      const std::int64_t id = r->integer(0, 0);
      NGUON_TRY(insert_bulletin_lists(id, b));
      return id;
    });
  }

  Status update_bulletin(const Bulletin& b) override {
    return guarded([&]() -> Status {
      Params params;
      params.integer(b.id);
      add_bulletin_content(params, b);
      const std::string set = assignments(kBulletinContentColumns, 2);
      auto r = exec(conn(), sql({"UPDATE bulletins SET ", set, " WHERE id = $1"}), params);
      if (!r) return r.error();
      if (r->affected() == 0) return not_found("no bulletin " + std::to_string(b.id));
      NGUON_TRY(exec(conn(), "DELETE FROM bulletin_targets WHERE bulletin_id = $1",
                     Params().integer(b.id)));
      NGUON_TRY(exec(conn(), "DELETE FROM bulletin_images WHERE bulletin_id = $1",
                     Params().integer(b.id)));
      return insert_bulletin_lists(b.id, b);
    });
  }

  Result<std::optional<Bulletin>> find_bulletin(std::int64_t id) override {
    auto r = exec(conn(), sql({"SELECT ", kBulletinColumns, " FROM bulletins b WHERE b.id = $1"}),
                  Params().integer(id));
    if (!r) return r.error();
    std::vector<Bulletin> rows = all_rows<Bulletin>(r.value(), read_bulletin);
    if (rows.empty()) return std::optional<Bulletin>();
    NGUON_TRY(load_bulletin_lists(rows));
    return std::optional<Bulletin>(std::move(rows.front()));
  }

  Result<std::vector<Bulletin>> search_bulletins(const BulletinQuery& q) override {
    // No owner path: nothing matches ("starts with one of these" over an empty set).
    if (q.owner_paths.empty()) return std::vector<Bulletin>();
    Params params;
    params.text_or_null(q.status ? bulletins::status_name(*q.status) : std::string_view())
        .text_or_null(q.priority ? bulletins::priority_name(*q.priority) : std::string_view())
        .text_or_null(q.category)
        .text("%" + like_literal(q.fold) + "%")
        .integer(q.before_id)
        .limit(q.limit);
    const std::string owners = prefix_tests("b.owner_path", 7, q.owner_paths.size());
    for (const std::string& path : q.owner_paths) params.text(like_literal(path) + "%");
    auto r = exec(conn(),
                  sql({"SELECT ", kBulletinColumns, " FROM bulletins b WHERE (", owners,
                       ") AND ($1::text IS NULL OR b.status = $1::text)"
                       " AND ($2::text IS NULL OR b.priority = $2::text)"
                       " AND ($3::text IS NULL OR b.category = $3::text)"
                       " AND b.fold LIKE $4 ESCAPE '\\'"
                       " AND ($5::bigint = 0 OR b.id < $5::bigint) ORDER BY b.id DESC LIMIT $6"}),
                  params);
    if (!r) return r.error();
    std::vector<Bulletin> rows = all_rows<Bulletin>(r.value(), read_bulletin);
    NGUON_TRY(load_bulletin_lists(rows));
    return rows;
  }

  Result<std::vector<Bulletin>> library_bulletins(const std::string& unit_path, UnixTime now,
                                                  size_t limit) override {
    const std::vector<std::string> owners = units::ancestor_paths(unit_path);
    if (owners.empty()) return std::vector<Bulletin>();  // nothing is above the nation
    Params params;
    params.text(unit_path).integer(now).limit(limit);
    for (const std::string& path : owners) params.text(path);
    const std::string in = placeholders(4, owners.size());
    // A target on the unit's path: the target is an ancestor of (or is) the unit, or lies below.
    auto r =
        exec(conn(),
             sql({"SELECT ", kBulletinColumns,
                  " FROM bulletins b WHERE b.status = 'published' AND b.owner_path IN (", in,
                  ") AND b.valid_from <= $2 AND (b.valid_until = 0 OR b.valid_until > $2)"
                  " AND (NOT EXISTS (SELECT 1 FROM bulletin_targets t WHERE t.bulletin_id = b.id)"
                  " OR EXISTS (SELECT 1 FROM bulletin_targets t WHERE t.bulletin_id = b.id"
                  " AND (left($1::text, length(t.unit_path)) = t.unit_path"
                  " OR left(t.unit_path, length($1::text)) = $1::text)))"
                  " ORDER BY CASE b.priority WHEN 'emergency' THEN 0 WHEN 'priority' THEN 1"
                  " ELSE 2 END, b.published_at DESC, b.id DESC LIMIT $3"}),
             params);
    if (!r) return r.error();
    std::vector<Bulletin> rows = all_rows<Bulletin>(r.value(), read_bulletin);
    NGUON_TRY(load_bulletin_lists(rows));
    return rows;
  }

  Status insert_revision(const BulletinRevision& rev) override {
    return guarded([&]() -> Status {
      auto r = exec(conn(),
                    "INSERT INTO bulletin_revisions (bulletin_id, revision, snapshot, approved_by, "
                    "approved_at) VALUES ($1, $2, $3, $4, $5)",
                    Params()
                        .integer(rev.bulletin_id)
                        .integer(rev.revision)
                        .text(rev.snapshot)
                        .id_or_null(rev.approved_by)
                        .integer(rev.approved_at));
      if (!r) return r.error();
      return {};
    });
  }

  Result<std::vector<BulletinRevision>> list_revisions(std::int64_t bulletin_id) override {
    auto r = exec(conn(),
                  "SELECT bulletin_id, revision, snapshot, approved_by, approved_at"
                  " FROM bulletin_revisions WHERE bulletin_id = $1 ORDER BY revision",
                  Params().integer(bulletin_id));
    if (!r) return r.error();
    return all_rows<BulletinRevision>(r.value(), read_revision);
  }

  // On every workflow step's path: one prepared round trip, no savepoint. The EXISTS guards turn
  // an unknown user or bulletin into "no row" instead of a foreign-key error, so the transaction
  // stays usable (the contract's invalid_reference).
  Result<std::int64_t> insert_notification(const Notification& n) override {
    auto r = exec_prepared(
        conn(), "nguon_insert_notification",
        "INSERT INTO notifications (user_id, kind, message, bulletin_id, created_at, read,"
        " feedback_id) SELECT $1::bigint, $2::text, $3::text, $4::bigint, $5::bigint,"
        " $6::boolean, $7::bigint"
        " WHERE EXISTS (SELECT 1 FROM users WHERE id = $1::bigint)"
        " AND ($4::bigint IS NULL OR EXISTS (SELECT 1 FROM bulletins WHERE id = $4::bigint))"
        " RETURNING id",
        Params()
            .integer(n.user_id)
            .text(n.kind)
            .text(n.message)
            .id_or_null(n.bulletin_id)
            .integer(n.created_at)
            .boolean(n.read)
            .integer(n.feedback_id));
    if (!r) return r.error();
    if (r->size() == 0) {
      return invalid("invalid_reference",
                     "refers to a record that does not exist (user or bulletin)");
    }
    return r->integer(0, 0);
  }

  // One prepared round trip however many handlers there are; the bulletin's EXISTS guard keeps
  // an unknown bulletin from aborting the transaction.
  Result<std::int64_t> notify_role_over(const std::string& unit_path, Role role,
                                        const Notification& n,
                                        const std::string& except_over_path) override {
    if (n.bulletin_id != 0) {
      auto b = exec_prepared(conn(), "nguon_bulletin_exists",
                             "SELECT 1 FROM bulletins WHERE id = $1::bigint",
                             Params().integer(n.bulletin_id));
      if (!b) return b.error();
      if (b->size() == 0) {
        return invalid("invalid_reference", "refers to a record that does not exist (bulletin)");
      }
    }
    auto r = exec_prepared(
        conn(), "nguon_notify_role_over",
        "INSERT INTO notifications (user_id, kind, message, bulletin_id, created_at, read,"
        " feedback_id)"
        " SELECT DISTINCT u.id, $3::text, $4::text, $5::bigint, $6::bigint, $7::boolean,"
        " $8::bigint FROM " +
            role_holders("$1::text", "$2", "$9::text") + " ORDER BY u.id RETURNING id",
        Params()
            .text(unit_path)
            .text(access::role_name(role))
            .text(n.kind)
            .text(n.message)
            .id_or_null(n.bulletin_id)
            .integer(n.created_at)
            .boolean(n.read)
            .integer(n.feedback_id)
            .text(except_over_path));
    if (!r) return r.error();
    return static_cast<std::int64_t>(r->size());
  }

  Result<std::vector<Notification>> list_notifications(std::int64_t user_id, bool unread_only,
                                                       size_t limit) override {
    auto r = exec(conn(),
                  sql({"SELECT ", kNotificationColumns,
                       " FROM notifications WHERE user_id = $1 AND (NOT $2::boolean OR NOT read)"
                       " ORDER BY id DESC LIMIT $3"}),
                  Params().integer(user_id).boolean(unread_only).limit(limit));
    if (!r) return r.error();
    return all_rows<Notification>(r.value(), read_notification);
  }

  Status mark_notifications_read(std::int64_t user_id, std::int64_t up_to_id) override {
    return command(
        "UPDATE notifications SET read = TRUE WHERE user_id = $1 AND id <= $2 AND NOT read",
        Params().integer(user_id).integer(up_to_id));
  }

  Result<std::vector<std::int64_t>> users_with_role_over(const std::string& unit_path,
                                                         Role role) override {
    // Prepared: every feedback intake and action asks it (see exec_prepared).
    auto r =
        exec_prepared(conn(), "nguon_users_with_role_over",
                      "SELECT DISTINCT u.id FROM users u JOIN role_grants g ON g.user_id = u.id"
                      " JOIN units n ON n.code = g.unit_code"
                      " WHERE g.role = $2 AND NOT u.disabled"
                      " AND left($1::text, length(n.path)) = n.path ORDER BY u.id",
                      Params().text(unit_path).text(access::role_name(role)));
    if (!r) return r.error();
    return all_rows<std::int64_t>(r.value(),
                                  [](const Rows& rows, int i) { return rows.integer(i, 0); });
  }

  Result<std::optional<std::string>> unit_setting(const std::string& unit_code,
                                                  const std::string& key) override {
    auto r = exec(conn(), "SELECT value FROM unit_settings WHERE unit_code = $1 AND key = $2",
                  Params().text(unit_code).text(key));
    if (!r) return r.error();
    return first_row<std::string>(r.value(),
                                  [](const Rows& rows, int i) { return rows.text(i, 0); });
  }

  Status set_unit_setting(const std::string& unit_code, const std::string& key,
                          const std::string& value) override {
    if (value.empty()) {
      return command("DELETE FROM unit_settings WHERE unit_code = $1 AND key = $2",
                     Params().text(unit_code).text(key));
    }
    return guarded([&]() -> Status {
      auto r = exec(conn(),
                    "INSERT INTO unit_settings (unit_code, key, value) VALUES ($1, $2, $3)"
                    " ON CONFLICT (unit_code, key) DO UPDATE SET value = EXCLUDED.value",
                    Params().text(unit_code).text(key).text(value));
      if (!r) return r.error();
      return {};
    });
  }

  // ---- Broadcast capability (schema v3) ----

  Status insert_device(const Device& d) override {
    Status done = guarded([&]() -> Status {
      Params params;
      params.text(d.id)
          .integer(d.created_at)
          .boolean(d.online)
          .integer(d.last_seen)
          .text(d.state_json)
          .boolean(d.online && devices::state_reports_playing(d.state_json));
      add_device_registry(params, d);
      const std::string values = placeholders(7, kDeviceRegistryCount);
      auto r =
          exec(conn(),
               sql({"INSERT INTO devices (id, created_at, online, last_seen, state_json, playing, ",
                    kDeviceRegistryColumns, ") VALUES ($1, $2, $3, $4, $5, $6, ", values, ")"}),
               params);
      if (!r) return r.error();
      return {};
    });
    return done ? done : devices::device_unique_violation(done.error());
  }

  Status update_device(const Device& d) override {
    Status done = guarded([&]() -> Status {
      Params params;
      params.text(d.id);
      add_device_registry(params, d);
      const std::string set = assignments(kDeviceRegistryColumns, 2);
      auto r = exec(conn(), sql({"UPDATE devices SET ", set, " WHERE id = $1"}), params);
      if (!r) return r.error();
      if (r->affected() == 0) return not_found("no device " + d.id);
      return {};
    });
    return done ? done : devices::device_unique_violation(done.error());
  }

  Result<std::optional<Device>> find_device(const std::string& device_id) override {
    auto r = exec(conn(), sql({"SELECT ", kDeviceColumns, " FROM devices d WHERE d.id = $1"}),
                  Params().text(device_id));
    if (!r) return r.error();
    return first_row<Device>(r.value(), read_device);
  }

  Result<std::vector<Device>> list_devices(const DeviceQuery& q) override {
    auto r = exec(
        conn(),
        sql({"SELECT ", kDeviceColumns,
             " FROM devices d WHERE d.unit_path LIKE $1 ESCAPE '\\'"
             " AND ($2::text IS NULL OR d.status = $2::text)"
             " AND ($3::boolean IS NULL OR d.online = $3::boolean)"
             " AND ($4::text = '' OR strpos(d.id, $4::text) > 0"
             " OR strpos(d.name, $4::text) > 0 OR strpos(d.serial, $4::text) > 0"
             " OR strpos(d.imei, $4::text) > 0)"
             " AND ($5::bigint = 0 OR EXISTS (SELECT 1 FROM device_group_members m"
             " WHERE m.group_id = $5::bigint AND m.device_id = d.id))"
             " ORDER BY d.name, d.id LIMIT $6 OFFSET $7"}),
        Params()
            .text(like_literal(q.within_path) + "%")
            .text_or_null(q.status ? devices::device_status_name(*q.status) : std::string_view())
            .text_or_null(q.online ? (*q.online ? "t" : "f") : std::string_view())
            .text(q.text)
            .integer(q.group_id.value_or(0))
            .limit(q.limit)
            .limit(q.offset));
    if (!r) return r.error();
    return all_rows<Device>(r.value(), read_device);
  }

  Result<DeviceCounts> count_devices(const std::string& within_path) override {
    auto r = exec(conn(),
                  "SELECT count(*) FILTER (WHERE status <> 'decommissioned'),"
                  " count(*) FILTER (WHERE status <> 'decommissioned' AND online),"
                  " count(*) FILTER (WHERE status <> 'decommissioned' AND online AND playing),"
                  " count(*) FILTER (WHERE status = 'decommissioned')"
                  " FROM devices WHERE unit_path LIKE $1 ESCAPE '\\'",
                  Params().text(like_literal(within_path) + "%"));
    if (!r) return r.error();
    return DeviceCounts{r->integer(0, 0), r->integer(0, 1), r->integer(0, 2), r->integer(0, 3)};
  }

  Status set_device_state(const std::string& device_id, bool online, UnixTime ts,
                          const std::string& state_json) override {
    auto r = exec(conn(),
                  "UPDATE devices SET online = $2, last_seen = $3, state_json = $4, playing = $5"
                  " WHERE id = $1",
                  Params()
                      .text(device_id)
                      .boolean(online)
                      .integer(ts)
                      .text(state_json)
                      .boolean(online && devices::state_reports_playing(state_json)));
    if (!r) return r.error();
    if (r->affected() == 0) return not_found("no device " + device_id);
    return {};
  }

  Result<std::vector<Device>> devices_in(const std::vector<std::string>& unit_paths,
                                         const std::vector<std::int64_t>& group_ids) override {
    if (unit_paths.empty() && group_ids.empty()) return std::vector<Device>();
    Params params;
    std::string where = prefix_tests("d.unit_path", 1, unit_paths.size());
    for (const std::string& path : unit_paths) params.text(like_literal(path) + "%");
    int n = 1 + static_cast<int>(unit_paths.size());
    if (!group_ids.empty()) {
      if (!where.empty()) where += " OR ";
      where += "d.id IN (SELECT device_id FROM device_group_members WHERE group_id IN (" +
               placeholders(n, group_ids.size()) + "))";
      for (std::int64_t g : group_ids) params.integer(g);
    }
    auto r = exec(
        conn(),
        sql({"SELECT ", kDeviceColumns, " FROM devices d WHERE d.status <> 'decommissioned' AND (",
             where, ") ORDER BY d.id"}),
        params);
    if (!r) return r.error();
    return all_rows<Device>(r.value(), read_device);
  }

  Result<std::int64_t> insert_group(const DeviceGroup& g) override {
    return guarded([&]() -> Result<std::int64_t> {
      auto r = exec(conn(),
                    "INSERT INTO device_groups (unit_code, unit_path, name) VALUES ($1, $2, $3)"
                    " RETURNING id",
                    Params().text(g.unit_code).text(g.unit_path).text(g.name));
      if (!r) return r.error();
      const std::int64_t id = r->integer(0, 0);
      NGUON_TRY(insert_members(id, g.device_ids));
      return id;
    });
  }

  Status update_group(const DeviceGroup& g) override {
    return guarded([&]() -> Status {
      auto r = exec(conn(),
                    "UPDATE device_groups SET unit_code = $2, unit_path = $3, name = $4"
                    " WHERE id = $1",
                    Params().integer(g.id).text(g.unit_code).text(g.unit_path).text(g.name));
      if (!r) return r.error();
      if (r->affected() == 0) return not_found("no device group " + std::to_string(g.id));
      NGUON_TRY(exec(conn(), "DELETE FROM device_group_members WHERE group_id = $1",
                     Params().integer(g.id)));
      return insert_members(g.id, g.device_ids);
    });
  }

  Status delete_group(std::int64_t group_id) override {
    auto r = exec(conn(), "DELETE FROM device_groups WHERE id = $1", Params().integer(group_id));
    if (!r) return r.error();
    if (r->affected() == 0) return not_found("no device group " + std::to_string(group_id));
    return {};
  }

  Result<std::optional<DeviceGroup>> find_group(std::int64_t group_id) override {
    auto r = exec(conn(), "SELECT id, unit_code, unit_path, name FROM device_groups WHERE id = $1",
                  Params().integer(group_id));
    if (!r) return r.error();
    std::vector<DeviceGroup> rows = all_rows<DeviceGroup>(r.value(), read_group);
    if (rows.empty()) return std::optional<DeviceGroup>();
    NGUON_TRY(load_members(rows));
    return std::optional<DeviceGroup>(std::move(rows.front()));
  }

  Result<std::vector<DeviceGroup>> list_groups(const std::string& within_path) override {
    auto r = exec(conn(),
                  "SELECT id, unit_code, unit_path, name FROM device_groups"
                  " WHERE unit_path LIKE $1 ESCAPE '\\' ORDER BY name, id",
                  Params().text(like_literal(within_path) + "%"));
    if (!r) return r.error();
    std::vector<DeviceGroup> rows = all_rows<DeviceGroup>(r.value(), read_group);
    NGUON_TRY(load_members(rows));
    return rows;
  }

  Result<std::vector<std::int64_t>> groups_of(const std::string& device_id) override {
    auto r = exec(conn(),
                  "SELECT group_id FROM device_group_members WHERE device_id = $1"
                  " ORDER BY group_id",
                  Params().text(device_id));
    if (!r) return r.error();
    return all_rows<std::int64_t>(r.value(),
                                  [](const Rows& rows, int i) { return rows.integer(i, 0); });
  }

  Result<std::int64_t> insert_programme(const Programme& p) override {
    return guarded([&]() -> Result<std::int64_t> {
      Params params;
      params.text(p.owner_unit).text(p.owner_path).id_or_null(p.created_by).integer(p.created_at);
      add_programme_content(params, p);
      const std::string values = placeholders(5, kProgrammeContentCount);
      auto r = exec(
          conn(),
          sql({"INSERT INTO programmes (owner_unit, owner_path, created_by, created_at, ",
               kProgrammeContentColumns, ") VALUES ($1, $2, $3, $4, ", values, ") RETURNING id"}),
          params);
      if (!r) return r.error();
      return r->integer(0, 0);
    });
  }

  Status update_programme(const Programme& p) override {
    return guarded([&]() -> Status {
      Params params;
      params.integer(p.id);
      add_programme_content(params, p);
      const std::string set = assignments(kProgrammeContentColumns, 2);
      auto r = exec(conn(), sql({"UPDATE programmes SET ", set, " WHERE id = $1"}), params);
      if (!r) return r.error();
      if (r->affected() == 0) return not_found("no programme " + std::to_string(p.id));
      return {};
    });
  }

  Status delete_programme(std::int64_t programme_id) override {
    auto r = exec(conn(), "DELETE FROM programmes WHERE id = $1", Params().integer(programme_id));
    if (!r) return r.error();
    if (r->affected() == 0) return not_found("no programme " + std::to_string(programme_id));
    return {};
  }

  Result<std::optional<Programme>> find_programme(std::int64_t programme_id) override {
    auto r = exec(conn(), sql({"SELECT ", kProgrammeColumns, " FROM programmes WHERE id = $1"}),
                  Params().integer(programme_id));
    if (!r) return r.error();
    auto rows = all_rows_checked<Programme>(r.value(), read_programme);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<Programme>();
    return std::optional<Programme>(std::move(rows->front()));
  }

  Result<std::vector<Programme>> list_programmes(const std::string& within_path) override {
    auto r = exec(conn(),
                  sql({"SELECT ", kProgrammeColumns,
                       " FROM programmes WHERE owner_path LIKE $1 ESCAPE '\\' ORDER BY id"}),
                  Params().text(like_literal(within_path) + "%"));
    if (!r) return r.error();
    return all_rows_checked<Programme>(r.value(), read_programme);
  }

  Result<std::vector<Programme>> enabled_programmes() override {
    auto r = exec(
        conn(), sql({"SELECT ", kProgrammeColumns, " FROM programmes WHERE enabled ORDER BY id"}));
    if (!r) return r.error();
    return all_rows_checked<Programme>(r.value(), read_programme);
  }

  Result<std::int64_t> next_order_seq() override {
    auto r = exec(conn(), "SELECT nextval('order_sequence')");
    if (!r) return r.error();
    return r->integer(0, 0);
  }

  Status insert_order(const BroadcastOrder& o) override {
    Status done = guarded([&]() -> Status {
      auto r = exec(conn(),
                    sql({"INSERT INTO broadcast_orders (", kOrderColumns,
                         ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"}),
                    Params()
                        .text(o.id)
                        .text(o.owner_unit)
                        .text(bulletins::priority_name(o.priority))
                        .text(devices::encode_strings(o.areas))
                        .text(o.payload_json)
                        .id_or_null(o.created_by)
                        .integer(o.created_at)
                        .integer(o.stopped_at));
      if (!r) return r.error();
      return {};
    });
    if (!done && done.error().kind == ErrorKind::kConflict) {
      return conflict("order_exists", "an order with that id already exists");
    }
    return done;
  }

  Result<std::optional<BroadcastOrder>> find_order(const std::string& order_id) override {
    auto r = exec(conn(), sql({"SELECT ", kOrderColumns, " FROM broadcast_orders WHERE id = $1"}),
                  Params().text(order_id));
    if (!r) return r.error();
    auto rows = all_rows_checked<BroadcastOrder>(r.value(), read_order);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<BroadcastOrder>();
    return std::optional<BroadcastOrder>(std::move(rows->front()));
  }

  Status mark_order_stopped(const std::string& order_id, UnixTime at) override {
    auto r = exec(conn(), "UPDATE broadcast_orders SET stopped_at = $2 WHERE id = $1",
                  Params().text(order_id).integer(at));
    if (!r) return r.error();
    if (r->affected() == 0) return not_found("no order " + order_id);
    return {};
  }

  Result<bool> insert_play_log(const PlayLog& l) override {
    return guarded([&]() -> Result<bool> {
      auto r = exec(conn(),
                    "INSERT INTO play_logs (device_id, event_id, type, ts, slot, order_id, "
                    "sha256, url, started, ended, reason, commune_code, unit_path, received_at)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
                    " ON CONFLICT (device_id, event_id) DO NOTHING",
                    Params()
                        .text(l.device_id)
                        .text(l.event_id)
                        .text(l.type)
                        .integer(l.ts)
                        .text(l.slot)
                        .text(l.order)
                        .text(l.sha256)
                        .text(l.url)
                        .integer(l.started)
                        .integer(l.ended)
                        .text(l.reason)
                        .text(l.commune_code)
                        .text(l.unit_path)
                        .integer(l.received_at));
      if (!r) return r.error();
      return r->affected() > 0;
    });
  }

  Result<std::vector<PlayLog>> list_play_logs(const PlayLogQuery& q) override {
    Params params;
    params.text(like_literal(q.within_path) + "%")
        .text(q.device_id)
        .integer(q.from)
        .integer(q.to)
        .limit(q.limit)
        .limit(q.offset)
        .text(q.order);
    std::string types = "TRUE";
    if (!q.types.empty()) {
      types = "type IN (" + placeholders(8, q.types.size()) + ")";
      for (const std::string& t : q.types) params.text(t);
    }
    auto r = exec(conn(),
                  sql({"SELECT ", kPlayLogColumns,
                       std::string(" FROM play_logs WHERE unit_path LIKE $1 ESCAPE '\\'") +
                           " AND ($2::text = '' OR device_id = $2::text) AND ts >= $3::bigint"
                           " AND ($4::bigint = 0 OR ts < $4::bigint)"
                           " AND ($7::text = '' OR order_id = $7::text) AND ",
                       types, " ORDER BY ts DESC, id DESC LIMIT $5 OFFSET $6"}),
                  params);
    if (!r) return r.error();
    return all_rows<PlayLog>(r.value(), read_play_log);
  }

  Result<std::vector<AirtimeRow>> airtime(const std::string& within_path,
                                          const std::string& group_by, UnixTime from,
                                          UnixTime to) override {
    std::string key;
    if (group_by == "commune") key = "commune_code";
    if (group_by == "device") key = "device_id";
    if (key.empty()) return invalid("invalid_field", "airtime: group by commune or device");
    auto r = exec(conn(),
                  sql({"SELECT ", key,
                       ", sum(ended - started) AS seconds, count(*) FROM play_logs"
                       " WHERE type IN ('played', 'interrupted') AND started > 0"
                       " AND ended >= started AND unit_path LIKE $1 ESCAPE '\\'"
                       " AND started >= $2::bigint AND ($3::bigint = 0 OR started < $3::bigint)"
                       " GROUP BY ",
                       key, " ORDER BY seconds DESC, ", key}),
                  Params().text(like_literal(within_path) + "%").integer(from).integer(to));
    if (!r) return r.error();
    return all_rows<AirtimeRow>(r.value(), [](const Rows& rows, int i) {
      return AirtimeRow{rows.text(i, 0), rows.integer(i, 1), rows.integer(i, 2)};
    });
  }

  // ---- Two-way capability (schema v4) ----

  Status upsert_feedback_service(const FeedbackService& f) override {
    return guarded([&]() -> Status {
      auto r = exec(conn(),
                    sql({"INSERT INTO feedback_services (", kFeedbackServiceColumns,
                         ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                         " ON CONFLICT (code) DO UPDATE SET ",
                         excluded_assignments(kFeedbackServiceValueColumns)}),
                    Params()
                        .text(f.code)
                        .text(f.name_vi)
                        .text(f.name_en)
                        .text(f.description)
                        .text(f.group)
                        .text(f.keywords)
                        .text(f.attributes_json)
                        .integer(f.forward_days)
                        .integer(f.answer_days)
                        .boolean(f.active));
      if (!r) return r.error();
      return {};
    });
  }

  Result<std::optional<FeedbackService>> find_feedback_service(const std::string& code) override {
    auto r =
        exec(conn(),
             sql({"SELECT ", kFeedbackServiceColumns, " FROM feedback_services WHERE code = $1"}),
             Params().text(code));
    if (!r) return r.error();
    return first_row<FeedbackService>(r.value(), read_feedback_service);
  }

  Result<std::vector<FeedbackService>> list_feedback_services(bool include_inactive) override {
    auto r = exec(conn(),
                  sql({"SELECT ", kFeedbackServiceColumns,
                       " FROM feedback_services WHERE $1::boolean OR active"
                       " ORDER BY group_name, code"}),
                  Params().boolean(include_inactive));
    if (!r) return r.error();
    return all_rows<FeedbackService>(r.value(), read_feedback_service);
  }

  Result<std::int64_t> insert_agency(const Agency& a) override {
    return guarded([&]() -> Result<std::int64_t> {
      Params params;
      auto r = exec(conn(),
                    "INSERT INTO agencies (unit_code, unit_path, name, email, supervisor_agency,"
                    " active) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                    add_agency(params, a));
      if (!r) return r.error();
      return r->integer(0, 0);
    });
  }

  Status update_agency(const Agency& a) override {
    return guarded([&]() -> Status {
      Params params;
      params.integer(a.id);
      auto r = exec(conn(),
                    "UPDATE agencies SET unit_code = $2, unit_path = $3, name = $4, email = $5,"
                    " supervisor_agency = $6, active = $7 WHERE id = $1",
                    add_agency(params, a));
      if (!r) return r.error();
      if (r->affected() == 0) return not_found("no agency " + std::to_string(a.id));
      return {};
    });
  }

  Result<std::optional<Agency>> find_agency(std::int64_t id) override {
    auto r = exec(conn(), sql({"SELECT ", kAgencyColumns, " FROM agencies WHERE id = $1"}),
                  Params().integer(id));
    if (!r) return r.error();
    return first_row<Agency>(r.value(), read_agency);
  }

  Result<std::vector<Agency>> list_agencies(const std::string& within_path) override {
    auto r = exec(conn(),
                  sql({"SELECT ", kAgencyColumns,
                       " FROM agencies WHERE unit_path LIKE $1 ESCAPE '\\' ORDER BY name, id"}),
                  Params().text(like_literal(within_path) + "%"));
    if (!r) return r.error();
    return all_rows<Agency>(r.value(), read_agency);
  }

  Result<std::int64_t> insert_routing_rule(const RoutingRule& rule) override {
    auto id = guarded([&]() -> Result<std::int64_t> {
      auto r = exec(conn(),
                    "INSERT INTO routing_rules (service_code, area_code, area_path, body_unit,"
                    " agency_id) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    Params()
                        .text(rule.service_code)
                        .text(rule.area_code)
                        .text(rule.area_path)
                        .text(rule.body_unit)
                        .id_or_null(rule.agency_id));
      if (!r) return r.error();
      return r->integer(0, 0);
    });
    if (!id && id.error().kind == ErrorKind::kConflict) {
      return conflict("rule_exists", "a rule for that category and area already exists");
    }
    return id;
  }

  Status delete_routing_rule(std::int64_t id) override {
    auto r = exec(conn(), "DELETE FROM routing_rules WHERE id = $1", Params().integer(id));
    if (!r) return r.error();
    if (r->affected() == 0) return not_found("no routing rule " + std::to_string(id));
    return {};
  }

  Result<std::vector<RoutingRule>> list_routing_rules() override {
    auto r = exec(conn(), sql({"SELECT ", kRoutingRuleColumns,
                               " FROM routing_rules ORDER BY area_path, service_code"}));
    if (!r) return r.error();
    return all_rows<RoutingRule>(r.value(), read_routing_rule);
  }

  Result<std::int64_t> insert_feedback(const Feedback& f) override {
    // The intake path: one prepared statement, one round trip (see feedback_insert_sql).
    Params params;
    params.text(f.tracking_code).integer(f.submitted_at).text(feedback_fold(f));
    add_feedback_content(params, f);
    add_attachments(params, f.attachments);
    auto r = exec_prepared(conn(), "nguon_insert_feedback", feedback_insert_sql(), params);
    if (!r) return r.error();
    if (r->size() == 0) {
      return conflict("tracking_code_exists", "a feedback with that tracking code exists");
    }
    return r->integer(0, 0);
  }

  Status update_feedback(const Feedback& f) override {
    return guarded([&]() -> Status {
      NGUON_TRY(exec(conn(), "DELETE FROM feedback_attachments WHERE feedback_id = $1",
                     Params().integer(f.id)));
      Params params;
      params.integer(f.id).text(feedback_fold(f));
      add_feedback_content(params, f);
      add_attachments(params, f.attachments);
      const std::string set = assignments(kFeedbackContentColumns, 3);
      const std::string attachments = attachments_insert(3 + kFeedbackContentCount);
      auto r = exec(conn(),
                    sql({"WITH f AS (UPDATE feedback SET fold = $2, ", set,
                         " WHERE id = $1 RETURNING id), ", attachments, " SELECT id FROM f"}),
                    params);
      if (!r) return r.error();
      if (r->size() == 0) return not_found("no feedback " + std::to_string(f.id));
      return {};
    });
  }

  Result<std::optional<Feedback>> find_feedback(std::int64_t id) override {
    return one_feedback("id = $1", Params().integer(id));
  }

  Result<std::optional<Feedback>> find_feedback_by_code(const std::string& code) override {
    return one_feedback("tracking_code = $1", Params().text(code));
  }

  Result<std::vector<Feedback>> search_feedback(const FeedbackQuery& q) override {
    // $1–$8 are fixed; the body paths, then the statuses follow.
    Params params;
    params.text(q.service_code)
        .text(like_literal(q.area_path) + "%")
        .text(like_literal(text::fold(q.text)))
        .integer(q.submitted_from)
        .integer(q.submitted_to)
        .integer(q.due_before)
        .integer(q.after_id)
        .limit(q.limit);
    std::string where =
        sql({" WHERE ($1::text = '' OR service_code = $1::text) AND area_path LIKE $2 ESCAPE '\\'"
             " AND ($3::text = '' OR fold LIKE '%' || $3::text || '%' ESCAPE '\\')"
             " AND submitted_at >= $4::bigint AND ($5::bigint = 0 OR submitted_at < $5::bigint)"
             " AND ($6::bigint = 0"
             " OR (status = 'received' AND forward_due > 0 AND forward_due < $6::bigint)"
             " OR (status = 'assigned' AND answer_due > 0 AND answer_due < $6::bigint))"
             " AND ($7::bigint = 0 OR id ",
             q.newest_first ? "<" : ">", " $7::bigint)"});
    int n = 9;
    if (!q.body_paths.empty()) {
      where += " AND (" + prefix_tests("body_path", n, q.body_paths.size()) + ")";
      for (const std::string& path : q.body_paths) params.text(like_literal(path) + "%");
      n += static_cast<int>(q.body_paths.size());
    }
    if (!q.statuses.empty()) {
      where += " AND status IN (" + placeholders(n, q.statuses.size()) + ")";
      for (FeedbackStatus st : q.statuses) params.text(feedback::status_name(st));
    }
    auto r = exec(conn(),
                  sql({kFeedbackSelect, kFeedbackContentColumns, " FROM feedback", where,
                       " ORDER BY id ", q.newest_first ? "DESC" : "ASC", " LIMIT $8"}),
                  params);
    if (!r) return r.error();
    std::vector<Feedback> rows = all_rows<Feedback>(r.value(), read_feedback);
    NGUON_TRY(load_attachments(rows));
    return rows;
  }

  Result<std::int64_t> count_accepted_by_contact(const std::string& contact_hash) override {
    if (contact_hash.empty()) return std::int64_t{0};
    auto r = exec_prepared(conn(), "nguon_count_accepted_by_contact",
                           "SELECT count(*) FROM feedback WHERE contact_hash = $1"
                           " AND status NOT IN ('moderation', 'rejected')",
                           Params().text(contact_hash));
    if (!r) return r.error();
    return r->integer(0, 0);
  }

  Result<ContactCounts> contact_counts(const std::string& contact_hash, UnixTime since) override {
    if (contact_hash.empty()) return ContactCounts{};
    auto r = exec_prepared(conn(), "nguon_contact_counts",
                           "SELECT count(*) FILTER (WHERE submitted_at >= $2),"
                           " count(*) FILTER (WHERE status NOT IN ('moderation', 'rejected'))"
                           " FROM feedback WHERE contact_hash = $1",
                           Params().text(contact_hash).integer(since));
    if (!r) return r.error();
    return ContactCounts{r->integer(0, 0), r->integer(0, 1)};
  }

  Result<IntakeResult> insert_feedback_with(const IntakeGuard& guard, const Feedback& f,
                                            FeedbackEvent first, RoleNotice notice,
                                            const std::optional<IntakeMail>& mail) override {
    Params params;
    params.text(f.tracking_code).integer(f.submitted_at).text(feedback_fold(f));
    add_feedback_content(params, f);
    add_attachments(params, f.attachments);
    params.integer(first.ts)
        .text(first.actor)
        .text(first.kind)
        .text(first.detail)
        .boolean(first.is_public)
        .text(first.status_after);
    params.text(notice.unit_path)
        .text(access::role_name(notice.role))
        .text(notice.note.kind)
        .text(notice.message_before)
        .text(notice.message_after)
        .integer(notice.note.created_at)
        .text(notice.except_over_path);
    params.text(guard.contact_hash)
        .integer(guard.since)
        .integer(guard.max_recent)
        .boolean(guard.require_accepted);
    const IntakeMail none;
    const IntakeMail& m = mail ? *mail : none;  // no recipient: no mail
    params.text(m.to)
        .text(m.subject.before)
        .text(m.subject.after)
        .text(m.body.before)
        .text(m.body.after)
        .integer(m.created_at);
    // The write's first statement runs on its own (autocommit): one round trip in all.
    auto r = session_.autonomous("nguon_feedback_intake", feedback_intake_sql(), params);
    if (!r) return r.error();
    IntakeResult out;
    out.id = r->integer(0, 0);
    out.counts = {r->integer(0, 1), r->integer(0, 2)};
    if (out.id == 0 && r->boolean(0, 3)) {
      return conflict("tracking_code_exists", "a feedback with that tracking code exists");
    }
    if (out.id != 0) session_.seal();
    return out;
  }

  Result<std::int64_t> count_recent_by_contact(const std::string& contact_hash,
                                               UnixTime since) override {
    if (contact_hash.empty()) return std::int64_t{0};
    auto r = exec_prepared(
        conn(), "nguon_count_recent_by_contact",
        "SELECT count(*) FROM feedback WHERE contact_hash = $1 AND submitted_at >= $2",
        Params().text(contact_hash).integer(since));
    if (!r) return r.error();
    return r->integer(0, 0);
  }

  Result<std::vector<FeedbackStatsRow>> feedback_stats(const std::string& within_path,
                                                       UnixTime from, UnixTime to,
                                                       UnixTime now) override {
    // Only accepted feedback counts at all, so every group has received > 0.
    auto r =
        exec(conn(),
             "SELECT service_code, commune_code, count(*),"
             " count(*) FILTER (WHERE status IN ('answered', 'closed')),"
             " count(*) FILTER (WHERE status IN ('answered', 'closed') AND answered_at > 0"
             " AND (answer_due = 0 OR answered_at <= answer_due)),"
             " count(*) FILTER (WHERE (status = 'received' AND forward_due > 0"
             " AND forward_due < $4::bigint) OR (status = 'assigned' AND answer_due > 0"
             " AND answer_due < $4::bigint))"
             " FROM feedback WHERE status NOT IN ('moderation', 'rejected', 'merged')"
             " AND body_path LIKE $1 ESCAPE '\\' AND submitted_at >= $2::bigint"
             " AND ($3::bigint = 0 OR submitted_at < $3::bigint)"
             " GROUP BY service_code, commune_code ORDER BY service_code, commune_code",
             Params().text(like_literal(within_path) + "%").integer(from).integer(to).integer(now));
    if (!r) return r.error();
    return all_rows<FeedbackStatsRow>(r.value(), [](const Rows& rows, int i) {
      return FeedbackStatsRow{rows.text(i, 0),    rows.text(i, 1),    rows.integer(i, 2),
                              rows.integer(i, 3), rows.integer(i, 4), rows.integer(i, 5)};
    });
  }

  // On the intake path: one prepared round trip, no savepoint. The EXISTS guard turns an unknown
  // feedback into "no row" instead of a foreign-key error, so the transaction stays usable.
  Result<std::int64_t> insert_feedback_event(const FeedbackEvent& e) override {
    auto r = exec_prepared(
        conn(), "nguon_insert_feedback_event",
        "INSERT INTO feedback_events (feedback_id, ts, actor, kind, detail, is_public,"
        " status_after) SELECT $1::bigint, $2::bigint, $3::text, $4::text, $5::text,"
        " $6::boolean, $7::text"
        " WHERE EXISTS (SELECT 1 FROM feedback WHERE id = $1) RETURNING id",
        Params()
            .integer(e.feedback_id)
            .integer(e.ts)
            .text(e.actor)
            .text(e.kind)
            .text(e.detail)
            .boolean(e.is_public)
            .text(e.status_after));
    if (!r) return r.error();
    if (r->size() == 0) {
      return invalid("invalid_reference", "refers to a record that does not exist (feedback)");
    }
    return r->integer(0, 0);
  }

  Result<std::vector<FeedbackEvent>> list_feedback_events(std::int64_t feedback_id,
                                                          bool public_only) override {
    auto r = exec(conn(),
                  sql({"SELECT ", kFeedbackEventColumns,
                       " FROM feedback_events WHERE feedback_id = $1"
                       " AND (NOT $2::boolean OR is_public) ORDER BY id"}),
                  Params().integer(feedback_id).boolean(public_only));
    if (!r) return r.error();
    return all_rows<FeedbackEvent>(r.value(), read_feedback_event);
  }

  Result<std::vector<FeedbackEvent>> public_feedback_events(UnixTime from, UnixTime to,
                                                            size_t limit) override {
    auto r = exec(conn(),
                  sql({"SELECT ", kFeedbackEventColumns,
                       " FROM feedback_events WHERE is_public AND ts >= $1::bigint"
                       " AND ($2::bigint = 0 OR ts < $2::bigint) ORDER BY id LIMIT $3"}),
                  Params().integer(from).integer(to).limit(limit));
    if (!r) return r.error();
    return all_rows<FeedbackEvent>(r.value(), read_feedback_event);
  }

  Result<std::int64_t> insert_outbox(const OutboxMail& m) override {
    return guarded([&]() -> Result<std::int64_t> {
      auto r = exec(conn(),
                    "INSERT INTO outbox (recipient, subject, body, feedback_id, created_at,"
                    " next_attempt_at, attempts, sent_at, last_error)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    Params()
                        .text(m.to)
                        .text(m.subject)
                        .text(m.body)
                        .id_or_null(m.feedback_id)
                        .integer(m.created_at)
                        .integer(m.next_attempt_at)
                        .integer(m.attempts)
                        .integer(m.sent_at)
                        .text(m.last_error));
      if (!r) return r.error();
      return r->integer(0, 0);
    });
  }

  Result<std::vector<OutboxMail>> due_outbox(UnixTime now, int max_attempts,
                                             size_t limit) override {
    auto r = exec(conn(),
                  sql({"SELECT ", kOutboxColumns,
                       " FROM outbox WHERE sent_at = 0 AND next_attempt_at <= $1"
                       " AND attempts < $2 ORDER BY id LIMIT $3"}),
                  Params().integer(now).integer(max_attempts).limit(limit));
    if (!r) return r.error();
    return all_rows<OutboxMail>(r.value(), read_outbox);
  }

  Status mark_outbox_sent(std::int64_t id, UnixTime at) override {
    auto r = exec(conn(), "UPDATE outbox SET sent_at = $2 WHERE id = $1",
                  Params().integer(id).integer(at));
    if (!r) return r.error();
    if (r->affected() == 0) return not_found("no outbox mail " + std::to_string(id));
    return {};
  }

  Status mark_outbox_failed(std::int64_t id, const std::string& error,
                            UnixTime next_attempt_at) override {
    auto r = exec(conn(),
                  "UPDATE outbox SET attempts = attempts + 1, last_error = $2,"
                  " next_attempt_at = $3 WHERE id = $1",
                  Params().integer(id).text(error).integer(next_attempt_at));
    if (!r) return r.error();
    if (r->affected() == 0) return not_found("no outbox mail " + std::to_string(id));
    return {};
  }

  Result<std::vector<OutboxMail>> outbox_for_feedback(std::int64_t feedback_id) override {
    auto r = exec(
        conn(), sql({"SELECT ", kOutboxColumns, " FROM outbox WHERE feedback_id = $1 ORDER BY id"}),
        Params().integer(feedback_id));
    if (!r) return r.error();
    return all_rows<OutboxMail>(r.value(), read_outbox);
  }

  // ---- Emergency alerts (schema v5) ----

  Result<std::int64_t> insert_alert_source(const AlertSource& a) override {
    auto id = guarded([&]() -> Result<std::int64_t> {
      Params params;
      alert_rows::write_source(params, a);
      auto r = exec(conn(),
                    "INSERT INTO alert_sources (" +
                        std::string(alert_rows::kSourceColumns).substr(4) + ") VALUES (" +
                        sql_text::placeholders('$', 1, alert_rows::kSourceChangeCount + 2) +
                        ") RETURNING id",
                    params);
      if (!r) return r.error();
      return r->integer(0, 0);
    });
    if (!id && id.error().kind == ErrorKind::kConflict) {
      return conflict("source_exists", "a source with sender " + a.sender + " already exists");
    }
    return id;
  }

  Status update_alert_source(const AlertSource& a) override {
    Params params;
    params.integer(a.id);
    alert_rows::write_source_changes(params, a);
    auto r =
        exec(conn(),
             "UPDATE alert_sources SET " +
                 sql_text::assignments('$', alert_rows::kSourceChangeColumns, 2) + " WHERE id = $1",
             params);
    if (!r) return r.error();
    if (r->affected() == 0) return not_found("no alert source " + std::to_string(a.id));
    return {};
  }

  Result<std::optional<AlertSource>> find_alert_source(std::int64_t id) override {
    auto r = exec(conn(),
                  sql({"SELECT ", alert_rows::kSourceColumns, " FROM alert_sources WHERE id = $1"}),
                  Params().integer(id));
    if (!r) return r.error();
    return first_row<AlertSource>(r.value(), read_alert_source);
  }

  Result<std::optional<AlertSource>> find_alert_source_by_sender(
      const std::string& sender) override {
    auto r =
        exec(conn(),
             sql({"SELECT ", alert_rows::kSourceColumns, " FROM alert_sources WHERE sender = $1"}),
             Params().text(sender));
    if (!r) return r.error();
    return first_row<AlertSource>(r.value(), read_alert_source);
  }

  Result<std::vector<AlertSource>> list_alert_sources() override {
    auto r =
        exec(conn(),
             sql({"SELECT ", alert_rows::kSourceColumns, " FROM alert_sources ORDER BY name, id"}));
    if (!r) return r.error();
    return all_rows<AlertSource>(r.value(), read_alert_source);
  }

  Result<std::int64_t> insert_alert(const AlertRecord& a) override {
    auto id = guarded([&]() -> Result<std::int64_t> {
      Params params;
      alert_rows::write_alert(params, a);
      auto r = exec(
          conn(),
          "INSERT INTO alerts (" + std::string(alert_rows::kAlertColumns).substr(4) + ") VALUES (" +
              sql_text::placeholders('$', 1, alert_rows::kAlertInsertCount) + ") RETURNING id",
          params);
      if (!r) return r.error();
      return r->integer(0, 0);
    });
    if (!id && id.error().kind == ErrorKind::kConflict) {
      return conflict("alert_exists",
                      a.sender + " already sent an alert with identifier " + a.identifier);
    }
    return id;
  }

  Status update_alert(const AlertRecord& a) override {
    Params params;
    params.integer(a.id);
    alert_rows::write_alert_changes(params, a);
    auto r =
        exec(conn(),
             "UPDATE alerts SET " + sql_text::assignments('$', alert_rows::kAlertChangeColumns, 2) +
                 " WHERE id = $1",
             params);
    if (!r) return r.error();
    if (r->affected() == 0) return not_found("no alert " + std::to_string(a.id));
    return {};
  }

  Result<std::optional<AlertRecord>> find_alert(std::int64_t id) override {
    auto r = exec(conn(), sql({"SELECT ", alert_rows::kAlertColumns, " FROM alerts WHERE id = $1"}),
                  Params().integer(id));
    if (!r) return r.error();
    return first_row<AlertRecord>(r.value(), read_alert_record);
  }

  Result<std::optional<AlertRecord>> find_alert_by_identifier(
      const std::string& sender, const std::string& identifier) override {
    auto r = exec(conn(),
                  sql({"SELECT ", alert_rows::kAlertColumns,
                       " FROM alerts WHERE sender = $1 AND identifier = $2"}),
                  Params().text(sender).text(identifier));
    if (!r) return r.error();
    return first_row<AlertRecord>(r.value(), read_alert_record);
  }

  Result<std::vector<AlertRecord>> list_alerts(const AlertQuery& q) override {
    auto r = exec(conn(),
                  sql({"SELECT ", alert_rows::kAlertColumns,
                       " FROM alerts WHERE owner_path LIKE $1 ESCAPE '\\'"
                       " AND ($2 = '' OR state = $2) AND ($5 = '' OR origin = $5)"
                       " ORDER BY id DESC LIMIT $3 OFFSET $4"}),
                  Params()
                      .text(like_literal(q.within_path) + "%")
                      .text(q.state ? alert_names::state_name(*q.state) : std::string_view())
                      .limit(std::min<size_t>(q.limit, 1000))
                      .limit(std::min<size_t>(q.offset, 1000000))
                      .text(q.origin));
    if (!r) return r.error();
    return all_rows<AlertRecord>(r.value(), read_alert_record);
  }

 private:
  // Chunk size of the id lists sent to load_list.
  static constexpr size_t kIdChunk = 500;

  // Stores b's targets (with their unit paths, for the library's prefix tests) and images, in
  // the given order. An unknown target unit is an invalid reference.
  Status insert_bulletin_lists(std::int64_t id, const Bulletin& b) {
    for (size_t i = 0; i < b.target_units.size(); ++i) {
      auto r =
          exec(conn(),
               "INSERT INTO bulletin_targets (bulletin_id, position, unit_code, unit_path)"
               " SELECT $1::bigint, $2::integer, code, path FROM units WHERE code = $3",
               Params().integer(id).integer(static_cast<std::int64_t>(i)).text(b.target_units[i]));
      if (!r) return r.error();
      if (r->affected() == 0) return invalid("invalid_reference", "no unit " + b.target_units[i]);
    }
    for (size_t i = 0; i < b.images.size(); ++i) {
      NGUON_TRY(exec(conn(),
                     "INSERT INTO bulletin_images (bulletin_id, position, media_sha256)"
                     " VALUES ($1, $2, $3)",
                     Params().integer(id).integer(static_cast<std::int64_t>(i)).text(b.images[i])));
    }
    return {};
  }

  // Fills target_units and images of every bulletin in `rows`.
  Status load_bulletin_lists(std::vector<Bulletin>& rows) {
    NGUON_TRY(load_list(rows, "SELECT bulletin_id, unit_code FROM bulletin_targets",
                        &Bulletin::target_units));
    return load_list(rows, "SELECT bulletin_id, media_sha256 FROM bulletin_images",
                     &Bulletin::images);
  }

  // `select` yields (bulletin_id, text); appends each text to the list `member` of its bulletin
  // in position order.
  Status load_list(std::vector<Bulletin>& rows, const char* select,
                   std::vector<std::string> Bulletin::*member) {
    return load_children(rows, select, "bulletin_id", [member](Bulletin& b, const Rows& r, int i) {
      (b.*member).push_back(r.text(i, 1));
    });
  }

  // Runs `select` (a child table's rows, its first column the parent id in `parent_column`) for
  // the ids of `rows`, in chunks, and calls add(parent, rows, i) in parent then position order.
  template <typename Row, typename F>
  Status load_children(std::vector<Row>& rows, const char* select, const char* parent_column,
                       F add) {
    std::unordered_map<std::int64_t, Row*> by_id;
    for (Row& row : rows) by_id.emplace(row.id, &row);
    for (size_t start = 0; start < rows.size(); start += kIdChunk) {
      const size_t n = std::min(kIdChunk, rows.size() - start);
      Params params;
      for (size_t i = 0; i < n; ++i) params.integer(rows[start + i].id);
      const std::string in = placeholders(1, n);
      auto r = exec(conn(),
                    sql({select, " WHERE ", parent_column, " IN (", in, ") ORDER BY ",
                         parent_column, ", position"}),
                    params);
      if (!r) return r.error();
      for (int i = 0; i < r->size(); ++i) {
        auto it = by_id.find(r->integer(i, 0));
        if (it != by_id.end()) add(*it->second, r.value(), i);
      }
    }
    return {};
  }

  // Fills the attachments of every feedback in `rows`.
  Status load_attachments(std::vector<Feedback>& rows) {
    return load_children(
        rows, "SELECT feedback_id, sha256, kind, mime, bytes FROM feedback_attachments",
        "feedback_id", [](Feedback& f, const Rows& r, int i) {
          f.attachments.push_back({r.text(i, 1), r.text(i, 2), r.text(i, 3), r.integer(i, 4)});
        });
  }

  // The feedback matching `where` (on its key columns), with its attachments.
  Result<std::optional<Feedback>> one_feedback(const char* where, const Params& params) {
    auto r = exec(conn(),
                  sql({kFeedbackSelect, kFeedbackContentColumns, " FROM feedback WHERE ", where}),
                  params);
    if (!r) return r.error();
    std::vector<Feedback> rows = all_rows<Feedback>(r.value(), read_feedback);
    if (rows.empty()) return std::optional<Feedback>();
    NGUON_TRY(load_attachments(rows));
    return std::optional<Feedback>(std::move(rows.front()));
  }

 private:
  // Runs `body` inside a savepoint: when it fails (say, a conflict the caller handles) only its
  // own statements are undone and the transaction stays usable, as with SQLite's
  // statement-level rollback. Without it PostgreSQL would reject every later statement.
  template <typename F>
  auto guarded(F body) -> decltype(body()) {
    auto begin = exec(conn(), "SAVEPOINT nguon_call");
    if (!begin) return begin.error();
    auto result = body();
    if (result) {
      auto release = exec(conn(), "RELEASE SAVEPOINT nguon_call");
      if (!release) return release.error();
    } else {
      (void)exec(conn(), "ROLLBACK TO SAVEPOINT nguon_call");
      (void)exec(conn(), "RELEASE SAVEPOINT nguon_call");
    }
    return result;
  }

  Status command(const char* statement, const Params& params) {
    auto r = exec(conn(), statement, params);
    if (!r) return r.error();
    return {};
  }

  // Serialises audit appenders for the rest of the transaction. EXCLUSIVE mode still lets
  // plain readers through. Read-only transactions skip it: their snapshot is already stable.
  Status lock_audit() {
    if (!writable_ || audit_locked_) return {};
    NGUON_TRY(exec(conn(), "LOCK TABLE audit_log IN EXCLUSIVE MODE"));
    audit_locked_ = true;
    return {};
  }

  static DeviceGroup read_group(const Rows& r, int i) {
    DeviceGroup g;
    g.id = r.integer(i, 0);
    g.unit_code = r.text(i, 1);
    g.unit_path = r.text(i, 2);
    g.name = r.text(i, 3);
    return g;
  }

  Status insert_members(std::int64_t group_id, const std::vector<std::string>& device_ids) {
    for (size_t i = 0; i < device_ids.size(); ++i) {
      NGUON_TRY(exec(
          conn(),
          "INSERT INTO device_group_members (group_id, position, device_id)"
          " VALUES ($1, $2, $3)",
          Params().integer(group_id).integer(static_cast<std::int64_t>(i)).text(device_ids[i])));
    }
    return {};
  }

  // Fills device_ids of every group in `groups`, in position order.
  Status load_members(std::vector<DeviceGroup>& groups) {
    for (DeviceGroup& g : groups) {
      auto r = exec(conn(),
                    "SELECT device_id FROM device_group_members WHERE group_id = $1"
                    " ORDER BY position",
                    Params().integer(g.id));
      if (!r) return r.error();
      g.device_ids =
          all_rows<std::string>(r.value(), [](const Rows& rows, int i) { return rows.text(i, 0); });
    }
    return {};
  }

  static Grant read_grant(const Rows& r, int row, int first_col) {
    return {access::parse_role(r.text(row, first_col)).value_or(Role::kViewer),
            r.text(row, first_col + 1)};
  }

  Result<std::optional<User>> one_user(const std::string& query, const Params& params) {
    auto r = exec(conn(), query, params);
    if (!r) return r.error();
    std::optional<User> user = first_row<User>(r.value(), read_user);
    if (!user) return user;
    auto g = exec(conn(),
                  "SELECT role, unit_code FROM role_grants WHERE user_id = $1"
                  " ORDER BY unit_code, role",
                  Params().integer(user->id));
    if (!g) return g.error();
    for (int i = 0; i < g->size(); ++i) user->grants.push_back(read_grant(g.value(), i, 0));
    return user;
  }

  Status insert_grants(std::int64_t user_id, const std::vector<Grant>& grants) {
    for (const Grant& grant : grants) {
      NGUON_TRY(exec(
          conn(), "INSERT INTO role_grants (user_id, role, unit_code) VALUES ($1, $2, $3)",
          Params().integer(user_id).text(access::role_name(grant.role)).text(grant.unit_code)));
    }
    return {};
  }

  // The transaction's connection (BEGIN sent with the first statement, see TxSession).
  PGconn* conn() { return session_.conn(); }

  TxSession& session_;
  bool writable_;
  bool audit_locked_ = false;
};

class PostgresStore final : public Store {
 public:
  PostgresStore(PostgresOptions options, ConnPtr first) : options_(std::move(options)) {
    release(std::move(first));
  }

  Result<int> migrate() override {
    auto conn = checkout("SELECT pg_advisory_lock($1)", Params().integer(kMigrationLockKey));
    if (!conn) return conn.error();
    ConnPtr c = std::move(conn.value());
    Result<int> version = apply_pending(c.get());
    if (PQtransactionStatus(c.get()) != PQTRANS_IDLE) (void)exec(c.get(), "ROLLBACK");
    auto unlocked =
        exec(c.get(), "SELECT pg_advisory_unlock($1)", Params().integer(kMigrationLockKey));
    // A session that may still hold the lock must not go back to the pool; closing it frees it.
    if (unlocked) release(std::move(c));
    return version;
  }

  Result<int> schema_version() override {
    auto conn = checkout("SELECT 1");
    if (!conn) return conn.error();
    ConnPtr c = std::move(conn.value());
    Result<int> version = read_version(c.get());
    release(std::move(c));
    return version;
  }

  Status write(const std::function<Status(Tx&)>& fn) override {
    return transact("BEGIN", true, fn);
  }

  Status read(const std::function<Status(Tx&)>& fn) override {
    return transact("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", false, fn);
  }

  Status ping() override {
    auto conn = checkout("SELECT 1");
    if (!conn) return conn.error();
    release(std::move(conn.value()));
    return {};
  }

  std::string backend_name() const override { return "postgres"; }

 private:
  static Result<int> read_version(PGconn* c) {
    auto exists = exec(c, "SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (!exists) return exists.error();
    if (!exists->boolean(0, 0)) return 0;
    auto r = exec(c, "SELECT COALESCE(max(version), 0) FROM schema_migrations");
    if (!r) return r.error();
    return static_cast<int>(r->integer(0, 0));
  }

  // REQUIRES: the caller holds the migration advisory lock on `c`.
  static Result<int> apply_pending(PGconn* c) {
    auto current = read_version(c);
    if (!current) return current.error();
    int version = current.value();
    if (version == 0) {
      // Created only when missing: CREATE ... IF NOT EXISTS would need the CREATE privilege
      // even on an already migrated database.
      auto exists = exec(c, "SELECT to_regclass('schema_migrations') IS NOT NULL");
      if (!exists) return exists.error();
      if (!exists->boolean(0, 0)) {
        NGUON_TRY(exec(c,
                       "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                       "applied_at BIGINT NOT NULL)"));
      }
    }
    for (const Migration& m : migrations()) {
      if (m.version <= version) continue;
      Status applied = apply_one(c, m);
      if (!applied) {
        (void)exec(c, "ROLLBACK");
        const Error& e = applied.error();
        return internal("postgres: migration " + std::to_string(m.version) +
                        " failed: " + e.message);
      }
      version = m.version;
    }
    return version;
  }

  static Status apply_one(PGconn* c, const Migration& m) {
    NGUON_TRY(exec(c, "BEGIN"));
    NGUON_TRY(exec_script(c, m.sql));
    NGUON_TRY(exec(c,
                   "INSERT INTO schema_migrations (version, applied_at) "
                   "VALUES ($1, EXTRACT(EPOCH FROM now())::bigint)",
                   Params().integer(m.version)));
    auto commit = exec(c, "COMMIT");
    if (!commit) return commit.error();
    if (commit->command_tag() != "COMMIT") return internal("postgres: migration rolled back");
    return {};
  }

  Status transact(const char* begin_sql, bool writable, const std::function<Status(Tx&)>& fn) {
    auto conn = take_connection();
    if (!conn) return conn.error();
    ConnPtr c = std::move(conn.value());
    TxSession session(c, begin_sql, writable, [this] { return take_connection(); });
    Status result;
    try {
      PgTx tx(session, writable);
      result = fn(tx);
    } catch (...) {
      if (PQtransactionStatus(c.get()) != PQTRANS_IDLE) (void)exec(c.get(), "ROLLBACK");
      release(std::move(c));
      throw;
    }
    if (session.error()) result = *session.error();  // the cause of the statements' failures
    if (result && session.begun()) {
      if (PQtransactionStatus(c.get()) == PQTRANS_INERROR) {
        // A failed statement whose error the function ignored: PostgreSQL would turn COMMIT
        // into ROLLBACK silently, so report it.
        result = internal("postgres: a statement failed in the transaction; rolled back");
      } else {
        auto commit = exec(c.get(), "COMMIT");
        if (!commit) {
          result = commit.error();
        } else if (commit->command_tag() != "COMMIT") {
          result = internal("postgres: the transaction was rolled back at commit");
        }
      }
    }
    if (PQtransactionStatus(c.get()) != PQTRANS_IDLE) (void)exec(c.get(), "ROLLBACK");
    release(std::move(c));
    return result;
  }

  // An idle connection that still looks usable (idle_connection_alive), else a new one.
  Result<ConnPtr> take_connection() {
    for (;;) {
      ConnPtr c;
      {
        std::lock_guard lock(mu_);
        if (idle_.empty()) break;
        c = std::move(idle_.back());
        idle_.pop_back();
      }
      if (idle_connection_alive(c.get())) return c;
    }
    return open_connection(options_.conninfo);
  }

  // A connection on which `first_sql` succeeded: an idle one when available, else a new one.
  // Idle connections the server has since closed are discarded and the next one is tried.
  Result<ConnPtr> checkout(const char* first_sql, const Params& params = Params()) {
    for (;;) {
      ConnPtr c;
      {
        std::lock_guard lock(mu_);
        if (!idle_.empty()) {
          c = std::move(idle_.back());
          idle_.pop_back();
        }
      }
      const bool pooled = c != nullptr;
      if (!pooled) {
        auto fresh = open_connection(options_.conninfo);
        if (!fresh) return fresh.error();
        c = std::move(fresh.value());
      }
      auto r = exec(c.get(), first_sql, params);
      if (r) return c;
      if (pooled && PQstatus(c.get()) == CONNECTION_BAD) continue;
      if (PQstatus(c.get()) == CONNECTION_BAD) {
        return unavailable("postgres: connection lost: " + r.error().message);
      }
      if (PQtransactionStatus(c.get()) != PQTRANS_IDLE) (void)exec(c.get(), "ROLLBACK");
      release(std::move(c));
      return r.error();
    }
  }

  // Keeps `c` for reuse when it is healthy and outside any transaction; otherwise closes it.
  void release(ConnPtr c) {
    if (!c || PQstatus(c.get()) != CONNECTION_OK || PQtransactionStatus(c.get()) != PQTRANS_IDLE) {
      return;
    }
    std::lock_guard lock(mu_);
    if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(c));
  }

  const PostgresOptions options_;
  std::mutex mu_;
  std::vector<ConnPtr> idle_;  // guarded by mu_
};

}  // namespace

Result<std::unique_ptr<Store>> open_store(const PostgresOptions& options) {
  auto probe = open_connection(options.conninfo);
  if (!probe) return probe.error();
  return std::unique_ptr<Store>(std::make_unique<PostgresStore>(options, std::move(probe.value())));
}

}  // namespace nguon::postgres
