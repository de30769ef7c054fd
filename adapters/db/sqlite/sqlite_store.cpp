#include "adapters/db/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "adapters/db/alert_rows.h"
#include "adapters/db/sql_text.h"
#include "core/access.h"
#include "core/bulletins.h"
#include "core/devices/record_json.h"
#include "core/text.h"
#include "core/units.h"

namespace nguon::sqlite {
namespace {

// Prepared statements kept per connection, keyed by SQL text: compiling SQL is a large share of
// a short read's cost. A statement is taken out while in use (so a nested use of the same SQL
// compiles its own) and given back, reset, when done.
class StatementCache {
 public:
  static StatementCache& instance() {
    static StatementCache cache;
    return cache;
  }
  sqlite3_stmt* take(sqlite3* db, const std::string& sql) {
    std::lock_guard lock(mu_);
    auto conn = idle_.find(db);
    if (conn == idle_.end()) return nullptr;
    auto it = conn->second.find(sql);
    if (it == conn->second.end()) return nullptr;
    sqlite3_stmt* stmt = it->second;
    conn->second.erase(it);
    return stmt;
  }
  void give_back(sqlite3* db, std::string sql, sqlite3_stmt* stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    std::lock_guard lock(mu_);
    auto& slots = idle_[db];
    if (slots.size() >= kMaxPerConnection || slots.count(sql) != 0) {
      sqlite3_finalize(stmt);
      return;
    }
    slots.emplace(std::move(sql), stmt);
  }
  // Finalizes every cached statement of a connection that is about to close.
  void forget(sqlite3* db) {
    std::lock_guard lock(mu_);
    auto conn = idle_.find(db);
    if (conn == idle_.end()) return;
    for (auto& [sql, stmt] : conn->second) sqlite3_finalize(stmt);
    idle_.erase(conn);
  }

 private:
  static constexpr size_t kMaxPerConnection = 256;
  std::mutex mu_;
  std::unordered_map<sqlite3*, std::unordered_map<std::string, sqlite3_stmt*>> idle_;
};

struct DbCloser {
  void operator()(sqlite3* db) const {
    StatementCache::instance().forget(db);
    sqlite3_close_v2(db);
  }
};
using DbPtr = std::unique_ptr<sqlite3, DbCloser>;

Error db_error(sqlite3* db, std::string_view what) {
  return internal("sqlite: " + std::string(what) + ": " + sqlite3_errmsg(db));
}

// One prepared statement. Bind and read by position; errors are mapped to contract codes.
class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view sql) : db_(db), sql_(sql) {
    stmt_ = StatementCache::instance().take(db, sql_);
    if (stmt_ != nullptr) return;
    if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt_, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db) + " in " +
                               std::string(sql));
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { StatementCache::instance().give_back(db_, std::move(sql_), stmt_); }

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
  // Named apart from bind(int, int64) so an `int` argument is never ambiguous.
  Stmt& bind_double(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  // 0 binds SQL NULL: optional references (approved_by, a notification's bulletin).
  Stmt& bind_id_or_null(int i, std::int64_t v) { return v == 0 ? bind_null(i) : bind(i, v); }

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
  // NULL reads as 0.
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::optional<double> optional_real(int col) const {
    return is_null(col) ? std::nullopt : std::optional<double>(real(col));
  }
  Stmt& bind_optional(int i, std::optional<double> v) {
    return v ? bind_double(i, *v) : bind_null(i);
  }
  // Empty text binds SQL NULL: optional references (a device's village).
  Stmt& bind_text_or_null(int i, std::string_view v) {
    return v.empty() ? bind_null(i) : bind(i, v);
  }

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
  std::string sql_;
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

// LIMIT values: SQLite takes a signed 64-bit integer (negative would mean "no limit").
std::int64_t limit_value(size_t v) {
  constexpr auto kMax = static_cast<size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(v, kMax));
}

// "?first, ?first+1, …" (n numbered parameters) for an IN list.
std::string placeholders(int first, size_t n) { return sql_text::placeholders('?', first, n); }

// Selected with the table aliased as b; read_bulletin reads them in this order.
constexpr const char* kBulletinColumns =
    "b.id, b.owner_unit, b.title, b.summary, b.body, b.category, b.priority, b.language, "
    "b.author_id, b.pen_name, b.source, b.valid_from, b.valid_until, b.status, b.revision, "
    "b.return_reason, b.approved_by, b.submitted_at, b.approved_at, b.published_at, "
    "b.audio_sha256, b.audio_seconds, b.audio_origin, b.audio_voice, b.fold, b.created_at, "
    "b.updated_at";

// The columns update_bulletin rewrites, bound by bind_bulletin_content in this order.
constexpr const char* kBulletinContentColumns =
    "title, summary, body, category, priority, language, pen_name, source, valid_from, "
    "valid_until, status, revision, return_reason, approved_by, submitted_at, approved_at, "
    "published_at, audio_sha256, audio_seconds, audio_origin, audio_voice, fold, updated_at";
constexpr int kBulletinContentCount = 23;

using sql_text::excluded_assignments;

std::string assignments(std::string_view columns, int first) {
  return sql_text::assignments('?', columns, first);
}

// "substr(column, 1, length(?first)) = ?first OR …" (n numbered parameters): the column starts
// with one of the bound texts. Compared exactly (SQLite's LIKE ignores ASCII case).
std::string prefix_tests(std::string_view column, int first, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    const std::string p = "?" + std::to_string(first + static_cast<int>(i));
    if (i > 0) out += " OR ";
    out.append("substr(").append(column).append(", 1, length(").append(p).append(")) = ").append(p);
  }
  return out;
}

void bind_bulletin_content(Stmt& s, int first, const Bulletin& b) {
  const int i = first;
  s.bind(i, b.title).bind(i + 1, b.summary).bind(i + 2, b.body).bind(i + 3, b.category);
  s.bind(i + 4, bulletins::priority_name(b.priority)).bind(i + 5, b.language);
  s.bind(i + 6, b.pen_name).bind(i + 7, b.source).bind(i + 8, b.valid_from);
  s.bind(i + 9, b.valid_until).bind(i + 10, bulletins::status_name(b.status));
  s.bind(i + 11, static_cast<std::int64_t>(b.revision)).bind(i + 12, b.return_reason);
  s.bind_id_or_null(i + 13, b.approved_by).bind(i + 14, b.submitted_at);
  s.bind(i + 15, b.approved_at).bind(i + 16, b.published_at).bind(i + 17, b.audio.sha256);
  s.bind_double(i + 18, b.audio.seconds).bind(i + 19, b.audio.origin);
  s.bind(i + 20, b.audio.voice).bind(i + 21, b.fold).bind(i + 22, b.updated_at);
}

Bulletin read_bulletin(const Stmt& s) {
  Bulletin b;
  b.id = s.integer(0);
  b.owner_unit = s.text(1);
  b.title = s.text(2);
  b.summary = s.text(3);
  b.body = s.text(4);
  b.category = s.text(5);
  b.priority = bulletins::parse_priority(s.text(6)).value_or(Priority::kNormal);
  b.language = s.text(7);
  b.author_id = s.integer(8);
  b.pen_name = s.text(9);
  b.source = s.text(10);
  b.valid_from = s.integer(11);
  b.valid_until = s.integer(12);
  b.status = bulletins::parse_status(s.text(13)).value_or(BulletinStatus::kDraft);
  b.revision = static_cast<int>(s.integer(14));
  b.return_reason = s.text(15);
  b.approved_by = s.integer(16);  // NULL: none
  b.submitted_at = s.integer(17);
  b.approved_at = s.integer(18);
  b.published_at = s.integer(19);
  b.audio.sha256 = s.text(20);
  b.audio.seconds = s.real(21);
  b.audio.origin = s.text(22);
  b.audio.voice = s.text(23);
  b.fold = s.text(24);
  b.created_at = s.integer(25);
  b.updated_at = s.integer(26);
  return b;
}

constexpr const char* kNotificationColumns =
    "id, user_id, kind, message, bulletin_id, created_at, read, feedback_id";

Notification read_notification(const Stmt& s) {
  return {s.integer(0), s.integer(1), s.text(2),         s.text(3),
          s.integer(4), s.integer(5), s.integer(6) != 0, s.integer(7)};
}

// Selected with the table aliased as d; read_device reads them in this order.
constexpr const char* kDeviceColumns =
    "d.id, d.kind, d.name, d.serial, d.imei, d.vendor, d.model, d.firmware, d.commune_code, "
    "d.village_code, d.unit_path, d.lat, d.lon, d.horns, d.watts, d.status, d.secret_hash, "
    "d.credential_version, d.online, d.last_seen, d.state_json, d.created_at, d.updated_at";

// The registry columns update_device rewrites, bound by bind_device_registry in this order.
constexpr const char* kDeviceRegistryColumns =
    "kind, name, serial, imei, vendor, model, firmware, commune_code, village_code, unit_path, "
    "lat, lon, horns, watts, status, secret_hash, credential_version, updated_at";
constexpr int kDeviceRegistryCount = 18;

void bind_device_registry(Stmt& s, int first, const Device& d) {
  const int i = first;
  s.bind(i, devices::device_kind_name(d.kind)).bind(i + 1, d.name).bind(i + 2, d.serial);
  s.bind(i + 3, d.imei).bind(i + 4, d.vendor).bind(i + 5, d.model).bind(i + 6, d.firmware);
  s.bind(i + 7, d.commune_code).bind_text_or_null(i + 8, d.village_code).bind(i + 9, d.unit_path);
  s.bind_optional(i + 10, d.lat).bind_optional(i + 11, d.lon);
  s.bind(i + 12, static_cast<std::int64_t>(d.horns))
      .bind(i + 13, static_cast<std::int64_t>(d.watts));
  s.bind(i + 14, devices::device_status_name(d.status)).bind(i + 15, d.secret_hash);
  s.bind(i + 16, static_cast<std::int64_t>(d.credential_version)).bind(i + 17, d.updated_at);
}

Device read_device(const Stmt& s) {
  Device d;
  d.id = s.text(0);
  d.kind = devices::parse_device_kind(s.text(1)).value_or(DeviceKind::kCluster);
  d.name = s.text(2);
  d.serial = s.text(3);
  d.imei = s.text(4);
  d.vendor = s.text(5);
  d.model = s.text(6);
  d.firmware = s.text(7);
  d.commune_code = s.text(8);
  d.village_code = s.text(9);  // NULL reads as ""
  d.unit_path = s.text(10);
  d.lat = s.optional_real(11);
  d.lon = s.optional_real(12);
  d.horns = static_cast<int>(s.integer(13));
  d.watts = static_cast<int>(s.integer(14));
  d.status = devices::parse_device_status(s.text(15)).value_or(DeviceStatus::kRegistered);
  d.secret_hash = s.text(16);
  d.credential_version = static_cast<int>(s.integer(17));
  d.online = s.integer(18) != 0;
  d.last_seen = s.integer(19);
  d.state_json = s.text(20);
  d.created_at = s.integer(21);
  d.updated_at = s.integer(22);
  return d;
}

// The programme columns update_programme rewrites, bound by bind_programme_content in order.
constexpr const char* kProgrammeContentColumns =
    "name, priority, target_units, target_groups, rrule, first_date, last_date, exdates, "
    "start_minute, duration_minutes, items, enabled, updated_at";
constexpr int kProgrammeContentCount = 13;

constexpr const char* kProgrammeColumns =
    "id, owner_unit, owner_path, created_by, created_at, name, priority, target_units, "
    "target_groups, rrule, first_date, last_date, exdates, start_minute, duration_minutes, "
    "items, enabled, updated_at";

void bind_programme_content(Stmt& s, int first, const Programme& p) {
  const int i = first;
  s.bind(i, p.name).bind(i + 1, bulletins::priority_name(p.priority));
  s.bind(i + 2, devices::encode_strings(p.target_units));
  s.bind(i + 3, devices::encode_ids(p.target_groups)).bind(i + 4, p.rrule);
  s.bind(i + 5, p.first_date).bind(i + 6, p.last_date);
  s.bind(i + 7, devices::encode_strings(p.exdates));
  s.bind(i + 8, static_cast<std::int64_t>(p.start_minute));
  s.bind(i + 9, static_cast<std::int64_t>(p.duration_minutes));
  s.bind(i + 10, devices::encode_programme_items(p.items));
  s.bind(i + 11, static_cast<std::int64_t>(p.enabled)).bind(i + 12, p.updated_at);
}

Result<Programme> read_programme(const Stmt& s) {
  Programme p;
  p.id = s.integer(0);
  p.owner_unit = s.text(1);
  p.owner_path = s.text(2);
  p.created_by = s.integer(3);
  p.created_at = s.integer(4);
  p.name = s.text(5);
  p.priority = bulletins::parse_priority(s.text(6)).value_or(Priority::kNormal);
  p.rrule = s.text(9);
  p.first_date = s.text(10);
  p.last_date = s.text(11);
  p.start_minute = static_cast<int>(s.integer(13));
  p.duration_minutes = static_cast<int>(s.integer(14));
  NGUON_TRY(devices::decode_programme_lists(p, s.text(7), s.text(8), s.text(12), s.text(15)));
  p.enabled = s.integer(16) != 0;
  p.updated_at = s.integer(17);
  return p;
}

constexpr const char* kOrderColumns =
    "id, owner_unit, priority, areas, payload_json, created_by, created_at, stopped_at";

Result<BroadcastOrder> read_order(const Stmt& s) {
  BroadcastOrder o;
  o.id = s.text(0);
  o.owner_unit = s.text(1);
  o.priority = bulletins::parse_priority(s.text(2)).value_or(Priority::kNormal);
  auto areas = devices::decode_strings(s.text(3));
  if (!areas) return areas.error();
  o.areas = std::move(areas.value());
  o.payload_json = s.text(4);
  o.created_by = s.integer(5);
  o.created_at = s.integer(6);
  o.stopped_at = s.integer(7);
  return o;
}

constexpr const char* kPlayLogColumns =
    "id, device_id, event_id, type, ts, slot, order_id, sha256, url, started, ended, reason, "
    "commune_code, unit_path, received_at";

PlayLog read_play_log(const Stmt& s) {
  PlayLog l;
  l.id = s.integer(0);
  l.device_id = s.text(1);
  l.event_id = s.text(2);
  l.type = s.text(3);
  l.ts = s.integer(4);
  l.slot = s.text(5);
  l.order = s.text(6);
  l.sha256 = s.text(7);
  l.url = s.text(8);
  l.started = s.integer(9);
  l.ended = s.integer(10);
  l.reason = s.text(11);
  l.commune_code = s.text(12);
  l.unit_path = s.text(13);
  l.received_at = s.integer(14);
  return l;
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

FeedbackService read_feedback_service(const Stmt& s) {
  FeedbackService f;
  f.code = s.text(0);
  f.name_vi = s.text(1);
  f.name_en = s.text(2);
  f.description = s.text(3);
  f.group = s.text(4);
  f.keywords = s.text(5);
  f.attributes_json = s.text(6);
  f.forward_days = static_cast<int>(s.integer(7));
  f.answer_days = static_cast<int>(s.integer(8));
  f.active = s.integer(9) != 0;
  return f;
}

constexpr const char* kAgencyColumns =
    "id, unit_code, unit_path, name, email, supervisor_agency, active";

// Binds every column of kAgencyColumns but the id, from `first` on.
void bind_agency(Stmt& s, int first, const Agency& a) {
  s.bind(first, a.unit_code).bind(first + 1, a.unit_path).bind(first + 2, a.name);
  s.bind(first + 3, a.email).bind_id_or_null(first + 4, a.supervisor_agency);
  s.bind(first + 5, static_cast<std::int64_t>(a.active));
}

// alert_rows' Writer and Reader over a statement.
struct StmtWriter {
  Stmt& s;
  int next;
  void text(std::string_view v) { s.bind(next++, v); }
  void integer(std::int64_t v) { s.bind(next++, v); }
  void boolean(bool v) { s.bind(next++, static_cast<std::int64_t>(v ? 1 : 0)); }
};
struct StmtReader {
  const Stmt& s;
  std::string text(int col) const { return s.text(col); }
  std::int64_t integer(int col) const { return s.integer(col); }
  bool boolean(int col) const { return s.integer(col) != 0; }
};

AlertSource read_alert_source(const Stmt& s) { return alert_rows::read_source(StmtReader{s}); }
AlertRecord read_alert_record(const Stmt& s) { return alert_rows::read_alert(StmtReader{s}); }

Agency read_agency(const Stmt& s) {
  Agency a;
  a.id = s.integer(0);
  a.unit_code = s.text(1);
  a.unit_path = s.text(2);
  a.name = s.text(3);
  a.email = s.text(4);
  a.supervisor_agency = s.integer(5);  // NULL: none
  a.active = s.integer(6) != 0;
  return a;
}

constexpr const char* kRoutingRuleColumns =
    "id, service_code, area_code, area_path, body_unit, agency_id";

RoutingRule read_routing_rule(const Stmt& s) {
  return {s.integer(0), s.text(1), s.text(2), s.text(3), s.text(4), s.integer(5)};
}

// Every feedback column but id, tracking_code, submitted_at and the derived fold: what
// update_feedback rewrites, bound by bind_feedback_content and read by read_feedback in this
// order.
constexpr const char* kFeedbackContentColumns =
    "service_code, title, description, attributes_json, status, channel, client, commune_code, "
    "village_code, area_path, address, lat, lon, location_method, contact_name, contact_email, "
    "contact_phone, contact_hash, submitter_ip, entered_by, relayed_by, body_unit, body_path, "
    "agency_id, forward_due, answer_due, reminded_at, escalation, answer_status, answer_text, "
    "answer_public, answer_author, answer_approver, bulletin_id, reject_reason, merged_into, "
    "rating, rating_comment, reopen_count, assigned_at, answered_at, closed_at, updated_at";
constexpr int kFeedbackContentCount = 43;

void bind_feedback_content(Stmt& s, int first, const Feedback& f) {
  const int i = first;
  s.bind(i, f.service_code).bind(i + 1, f.title).bind(i + 2, f.description);
  s.bind(i + 3, f.attributes_json).bind(i + 4, feedback::status_name(f.status));
  s.bind(i + 5, f.channel).bind(i + 6, f.client).bind(i + 7, f.commune_code);
  s.bind(i + 8, f.village_code).bind(i + 9, f.area_path).bind(i + 10, f.address);
  s.bind_optional(i + 11, f.lat).bind_optional(i + 12, f.lon).bind(i + 13, f.location_method);
  s.bind(i + 14, f.contact_name).bind(i + 15, f.contact_email).bind(i + 16, f.contact_phone);
  s.bind(i + 17, f.contact_hash).bind(i + 18, f.submitter_ip).bind(i + 19, f.entered_by);
  s.bind(i + 20, f.relayed_by).bind(i + 21, f.body_unit).bind(i + 22, f.body_path);
  s.bind(i + 23, f.agency_id).bind(i + 24, f.forward_due).bind(i + 25, f.answer_due);
  s.bind(i + 26, f.reminded_at).bind(i + 27, static_cast<std::int64_t>(f.escalation));
  s.bind(i + 28, feedback::answer_status_name(f.answer_status)).bind(i + 29, f.answer_text);
  s.bind(i + 30, f.answer_public).bind(i + 31, f.answer_author).bind(i + 32, f.answer_approver);
  s.bind(i + 33, f.bulletin_id).bind(i + 34, f.reject_reason).bind(i + 35, f.merged_into);
  s.bind(i + 36, static_cast<std::int64_t>(f.rating)).bind(i + 37, f.rating_comment);
  s.bind(i + 38, static_cast<std::int64_t>(f.reopen_count)).bind(i + 39, f.assigned_at);
  s.bind(i + 40, f.answered_at).bind(i + 41, f.closed_at).bind(i + 42, f.updated_at);
}

// Reads "id, tracking_code, submitted_at, " + kFeedbackContentColumns (not the attachments).
Feedback read_feedback(const Stmt& s) {
  Feedback f;
  f.id = s.integer(0);
  f.tracking_code = s.text(1);
  f.submitted_at = s.integer(2);
  f.service_code = s.text(3);
  f.title = s.text(4);
  f.description = s.text(5);
  f.attributes_json = s.text(6);
  f.status = feedback::parse_status(s.text(7)).value_or(FeedbackStatus::kModeration);
  f.channel = s.text(8);
  f.client = s.text(9);
  f.commune_code = s.text(10);
  f.village_code = s.text(11);
  f.area_path = s.text(12);
  f.address = s.text(13);
  f.lat = s.optional_real(14);
  f.lon = s.optional_real(15);
  f.location_method = s.text(16);
  f.contact_name = s.text(17);
  f.contact_email = s.text(18);
  f.contact_phone = s.text(19);
  f.contact_hash = s.text(20);
  f.submitter_ip = s.text(21);
  f.entered_by = s.integer(22);
  f.relayed_by = s.text(23);
  f.body_unit = s.text(24);
  f.body_path = s.text(25);
  f.agency_id = s.integer(26);
  f.forward_due = s.integer(27);
  f.answer_due = s.integer(28);
  f.reminded_at = s.integer(29);
  f.escalation = static_cast<int>(s.integer(30));
  f.answer_status = feedback::parse_answer_status(s.text(31)).value_or(AnswerStatus::kNone);
  f.answer_text = s.text(32);
  f.answer_public = s.text(33);
  f.answer_author = s.integer(34);
  f.answer_approver = s.integer(35);
  f.bulletin_id = s.integer(36);
  f.reject_reason = s.text(37);
  f.merged_into = s.integer(38);
  f.rating = static_cast<int>(s.integer(39));
  f.rating_comment = s.text(40);
  f.reopen_count = static_cast<int>(s.integer(41));
  f.assigned_at = s.integer(42);
  f.answered_at = s.integer(43);
  f.closed_at = s.integer(44);
  f.updated_at = s.integer(45);
  return f;
}

// The statements of the benchmarked intake path, built once.
const std::string& feedback_select_sql() {
  static const std::string kSql = std::string("SELECT id, tracking_code, submitted_at, ") +
                                  kFeedbackContentColumns + " FROM feedback";
  return kSql;
}

const std::string& feedback_insert_sql() {
  static const std::string kSql = std::string(
                                      "INSERT INTO feedback (tracking_code, submitted_at, "
                                      "fold, ") +
                                  kFeedbackContentColumns + ") VALUES (?1, ?2, ?3, " +
                                  placeholders(4, kFeedbackContentCount) + ")";
  return kSql;
}

constexpr const char* kFeedbackEventColumns =
    "id, feedback_id, ts, actor, kind, detail, is_public, status_after";

FeedbackEvent read_feedback_event(const Stmt& s) {
  return {s.integer(0), s.integer(1), s.integer(2),      s.text(3),
          s.text(4),    s.text(5),    s.integer(6) != 0, s.text(7)};
}

constexpr const char* kOutboxColumns =
    "id, recipient, subject, body, feedback_id, created_at, next_attempt_at, attempts, sent_at, "
    "last_error";

OutboxMail read_outbox(const Stmt& s) {
  OutboxMail m;
  m.id = s.integer(0);
  m.to = s.text(1);
  m.subject = s.text(2);
  m.body = s.text(3);
  m.feedback_id = s.integer(4);  // NULL: none
  m.created_at = s.integer(5);
  m.next_attempt_at = s.integer(6);
  m.attempts = static_cast<int>(s.integer(7));
  m.sent_at = s.integer(8);
  m.last_error = s.text(9);
  return m;
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

  Result<std::int64_t> insert_bulletin(const Bulletin& b, const std::string& owner_path) override {
    return atomically([&]() -> Result<std::int64_t> {
      Stmt s(db_, std::string("INSERT INTO bulletins (owner_unit, owner_path, author_id, "
                              "created_at, ") +
                      kBulletinContentColumns + ") VALUES (?1, ?2, ?3, ?4, " +
                      placeholders(5, kBulletinContentCount) + ")");
      s.bind(1, b.owner_unit).bind(2, owner_path).bind(3, b.author_id).bind(4, b.created_at);
      bind_bulletin_content(s, 5, b);
      NGUON_TRY(s.run());
      const std::int64_t id = sqlite3_last_insert_rowid(db_);
      NGUON_TRY(insert_bulletin_lists(id, b));
      return id;
    });
  }

  Status update_bulletin(const Bulletin& b) override {
    return atomically([&]() -> Status {
      Stmt s(db_,
             "UPDATE bulletins SET " + assignments(kBulletinContentColumns, 2) + " WHERE id = ?1");
      s.bind(1, b.id);
      bind_bulletin_content(s, 2, b);
      NGUON_TRY(s.run());
      if (sqlite3_changes(db_) == 0) return not_found("no bulletin " + std::to_string(b.id));
      for (const char* table : {"bulletin_targets", "bulletin_images"}) {
        Stmt del(db_, std::string("DELETE FROM ") + table + " WHERE bulletin_id = ?1");
        del.bind(1, b.id);
        NGUON_TRY(del.run());
      }
      return insert_bulletin_lists(b.id, b);
    });
  }

  Result<std::optional<Bulletin>> find_bulletin(std::int64_t id) override {
    Stmt s(db_, std::string("SELECT ") + kBulletinColumns + " FROM bulletins b WHERE b.id = ?1");
    s.bind(1, id);
    auto rows = collect<Bulletin>(s, read_bulletin);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<Bulletin>();
    NGUON_TRY(load_bulletin_lists(rows.value()));
    return std::optional<Bulletin>(std::move(rows->front()));
  }

  Result<std::vector<Bulletin>> search_bulletins(const BulletinQuery& q) override {
    // No owner path: nothing matches ("starts with one of these" over an empty set).
    if (q.owner_paths.empty()) return std::vector<Bulletin>();
    const std::string owners = prefix_tests("b.owner_path", 7, q.owner_paths.size());
    Stmt s(db_, std::string("SELECT ") + kBulletinColumns + " FROM bulletins b WHERE (" + owners +
                    ") AND (?1 = '' OR b.status = ?1) AND (?2 = '' OR b.priority = ?2)"
                    " AND (?3 = '' OR b.category = ?3) AND b.fold LIKE ?4 ESCAPE '\\'"
                    " AND (?5 = 0 OR b.id < ?5) ORDER BY b.id DESC LIMIT ?6");
    s.bind(1, q.status ? bulletins::status_name(*q.status) : std::string_view());
    s.bind(2, q.priority ? bulletins::priority_name(*q.priority) : std::string_view());
    s.bind(3, q.category).bind(4, "%" + like_literal(q.fold) + "%").bind(5, q.before_id);
    s.bind(6, limit_value(q.limit));
    for (size_t i = 0; i < q.owner_paths.size(); ++i) {
      s.bind(7 + static_cast<int>(i), q.owner_paths[i]);
    }
    auto rows = collect<Bulletin>(s, read_bulletin);
    if (!rows) return rows.error();
    NGUON_TRY(load_bulletin_lists(rows.value()));
    return rows;
  }

  Result<std::vector<Bulletin>> library_bulletins(const std::string& unit_path, UnixTime now,
                                                  size_t limit) override {
    const std::vector<std::string> owners = units::ancestor_paths(unit_path);
    if (owners.empty()) return std::vector<Bulletin>();  // nothing is above the nation
    // A target on the unit's path: the target is an ancestor of (or is) the unit, or lies below.
    Stmt s(db_, std::string("SELECT ") + kBulletinColumns +
                    " FROM bulletins b WHERE b.status = 'published' AND b.owner_path IN (" +
                    placeholders(4, owners.size()) +
                    ") AND b.valid_from <= ?2 AND (b.valid_until = 0 OR b.valid_until > ?2)"
                    " AND (NOT EXISTS (SELECT 1 FROM bulletin_targets t"
                    " WHERE t.bulletin_id = b.id)"
                    " OR EXISTS (SELECT 1 FROM bulletin_targets t WHERE t.bulletin_id = b.id"
                    " AND (substr(?1, 1, length(t.unit_path)) = t.unit_path"
                    " OR substr(t.unit_path, 1, length(?1)) = ?1)))"
                    " ORDER BY CASE b.priority WHEN 'emergency' THEN 0 WHEN 'priority' THEN 1"
                    " ELSE 2 END, b.published_at DESC, b.id DESC LIMIT ?3");
    s.bind(1, unit_path).bind(2, now).bind(3, limit_value(limit));
    for (size_t i = 0; i < owners.size(); ++i) s.bind(4 + static_cast<int>(i), owners[i]);
    auto rows = collect<Bulletin>(s, read_bulletin);
    if (!rows) return rows.error();
    NGUON_TRY(load_bulletin_lists(rows.value()));
    return rows;
  }

  Status insert_revision(const BulletinRevision& r) override {
    Stmt s(db_,
           "INSERT INTO bulletin_revisions (bulletin_id, revision, snapshot, approved_by, "
           "approved_at) VALUES (?1, ?2, ?3, ?4, ?5)");
    s.bind(1, r.bulletin_id).bind(2, static_cast<std::int64_t>(r.revision)).bind(3, r.snapshot);
    s.bind_id_or_null(4, r.approved_by).bind(5, r.approved_at);
    return s.run();
  }

  Result<std::vector<BulletinRevision>> list_revisions(std::int64_t bulletin_id) override {
    Stmt s(db_,
           "SELECT bulletin_id, revision, snapshot, approved_by, approved_at "
           "FROM bulletin_revisions WHERE bulletin_id = ?1 ORDER BY revision");
    s.bind(1, bulletin_id);
    return collect<BulletinRevision>(s, [](const Stmt& r) {
      return BulletinRevision{r.integer(0), static_cast<int>(r.integer(1)), r.text(2), r.integer(3),
                              r.integer(4)};
    });
  }

  Result<std::int64_t> insert_notification(const Notification& n) override {
    Stmt s(db_,
           "INSERT INTO notifications (user_id, kind, message, bulletin_id, feedback_id, "
           "created_at, read) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    s.bind(1, n.user_id).bind(2, n.kind).bind(3, n.message).bind_id_or_null(4, n.bulletin_id);
    s.bind(5, n.feedback_id).bind(6, n.created_at).bind(7, static_cast<std::int64_t>(n.read));
    NGUON_TRY(s.run());
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
  }

  Result<std::vector<Notification>> list_notifications(std::int64_t user_id, bool unread_only,
                                                       size_t limit) override {
    Stmt s(db_, std::string("SELECT ") + kNotificationColumns +
                    " FROM notifications WHERE user_id = ?1 AND (?2 = 0 OR read = 0)"
                    " ORDER BY id DESC LIMIT ?3");
    s.bind(1, user_id).bind(2, static_cast<std::int64_t>(unread_only));
    s.bind(3, limit_value(limit));
    return collect<Notification>(s, read_notification);
  }

  Status mark_notifications_read(std::int64_t user_id, std::int64_t up_to_id) override {
    Stmt s(db_, "UPDATE notifications SET read = 1 WHERE user_id = ?1 AND id <= ?2 AND read = 0");
    s.bind(1, user_id).bind(2, up_to_id);
    return s.run();
  }

  Result<std::vector<std::int64_t>> users_with_role_over(const std::string& unit_path,
                                                         Role role) override {
    Stmt s(db_,
           "SELECT DISTINCT u.id FROM users u JOIN role_grants g ON g.user_id = u.id"
           " JOIN units n ON n.code = g.unit_code"
           " WHERE g.role = ?2 AND u.disabled = 0 AND substr(?1, 1, length(n.path)) = n.path"
           " ORDER BY u.id");
    s.bind(1, unit_path).bind(2, access::role_name(role));
    return collect<std::int64_t>(s, [](const Stmt& r) { return r.integer(0); });
  }

  Result<std::int64_t> notify_role_over(const std::string& unit_path, Role role,
                                        const Notification& n,
                                        const std::string& except_over_path) override {
    Stmt s(db_,
           "INSERT INTO notifications (user_id, kind, message, bulletin_id, feedback_id, "
           "created_at, read)"
           " SELECT DISTINCT u.id, ?3, ?4, ?5, ?6, ?7, ?8 FROM users u"
           " JOIN role_grants g ON g.user_id = u.id JOIN units n ON n.code = g.unit_code"
           " WHERE g.role = ?2 AND u.disabled = 0 AND substr(?1, 1, length(n.path)) = n.path"
           " AND (?9 = '' OR NOT EXISTS (SELECT 1 FROM role_grants g2"
           " JOIN units n2 ON n2.code = g2.unit_code WHERE g2.user_id = u.id AND g2.role = ?2"
           " AND substr(?9, 1, length(n2.path)) = n2.path))"
           " ORDER BY u.id");
    s.bind(1, unit_path).bind(2, access::role_name(role)).bind(3, n.kind).bind(4, n.message);
    s.bind_id_or_null(5, n.bulletin_id).bind(6, n.feedback_id).bind(7, n.created_at);
    s.bind(8, static_cast<std::int64_t>(n.read)).bind(9, except_over_path);
    NGUON_TRY(s.run());
    return static_cast<std::int64_t>(sqlite3_changes(db_));
  }

  Result<std::optional<std::string>> unit_setting(const std::string& unit_code,
                                                  const std::string& key) override {
    Stmt s(db_, "SELECT value FROM unit_settings WHERE unit_code = ?1 AND key = ?2");
    s.bind(1, unit_code).bind(2, key);
    auto row = s.step();
    if (!row) return row.error();
    if (!row.value()) return std::optional<std::string>();
    return std::optional<std::string>(s.text(0));
  }

  Status set_unit_setting(const std::string& unit_code, const std::string& key,
                          const std::string& value) override {
    if (value.empty()) {
      Stmt s(db_, "DELETE FROM unit_settings WHERE unit_code = ?1 AND key = ?2");
      s.bind(1, unit_code).bind(2, key);
      return s.run();
    }
    Stmt s(db_,
           "INSERT INTO unit_settings (unit_code, key, value) VALUES (?1, ?2, ?3)"
           " ON CONFLICT (unit_code, key) DO UPDATE SET value = excluded.value");
    s.bind(1, unit_code).bind(2, key).bind(3, value);
    return s.run();
  }

  // ---- Broadcast capability (schema v3) ----

  Status insert_device(const Device& d) override {
    Stmt s(db_, std::string("INSERT INTO devices (id, created_at, online, last_seen, state_json, "
                            "playing, ") +
                    kDeviceRegistryColumns + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, " +
                    placeholders(7, kDeviceRegistryCount) + ")");
    s.bind(1, d.id).bind(2, d.created_at).bind(3, static_cast<std::int64_t>(d.online));
    s.bind(4, d.last_seen).bind(5, d.state_json);
    s.bind(6, static_cast<std::int64_t>(d.online && devices::state_reports_playing(d.state_json)));
    bind_device_registry(s, 7, d);
    Status done = s.run();
    return done ? done : devices::device_unique_violation(done.error());
  }

  Status update_device(const Device& d) override {
    Stmt s(db_, "UPDATE devices SET " + assignments(kDeviceRegistryColumns, 2) + " WHERE id = ?1");
    s.bind(1, d.id);
    bind_device_registry(s, 2, d);
    Status done = s.run();
    if (!done) return devices::device_unique_violation(done.error());
    if (sqlite3_changes(db_) == 0) return not_found("no device " + d.id);
    return {};
  }

  Result<std::optional<Device>> find_device(const std::string& device_id) override {
    Stmt s(db_, std::string("SELECT ") + kDeviceColumns + " FROM devices d WHERE d.id = ?1");
    s.bind(1, device_id);
    auto row = s.step();
    if (!row) return row.error();
    if (!row.value()) return std::optional<Device>();
    return std::optional<Device>(read_device(s));
  }

  Result<std::vector<Device>> list_devices(const DeviceQuery& q) override {
    Stmt s(db_, std::string("SELECT ") + kDeviceColumns +
                    " FROM devices d WHERE substr(d.unit_path, 1, length(?1)) = ?1"
                    " AND (?2 = '' OR d.status = ?2) AND (?3 < 0 OR d.online = ?3)"
                    " AND (?4 = '' OR instr(d.id, ?4) > 0 OR instr(d.name, ?4) > 0"
                    " OR instr(d.serial, ?4) > 0 OR instr(d.imei, ?4) > 0)"
                    " AND (?5 = 0 OR EXISTS (SELECT 1 FROM device_group_members m"
                    " WHERE m.group_id = ?5 AND m.device_id = d.id))"
                    " ORDER BY d.name, d.id LIMIT ?6 OFFSET ?7");
    s.bind(1, q.within_path);
    s.bind(2, q.status ? devices::device_status_name(*q.status) : std::string_view());
    s.bind(3, q.online ? static_cast<std::int64_t>(*q.online) : std::int64_t{-1});
    s.bind(4, q.text).bind(5, q.group_id.value_or(0)).bind(6, limit_value(q.limit));
    s.bind(7, limit_value(q.offset));
    return collect<Device>(s, read_device);
  }

  Result<DeviceCounts> count_devices(const std::string& within_path) override {
    Stmt s(db_,
           "SELECT coalesce(sum(status <> 'decommissioned'), 0),"
           " coalesce(sum(status <> 'decommissioned' AND online = 1), 0),"
           " coalesce(sum(status <> 'decommissioned' AND online = 1 AND playing = 1), 0),"
           " coalesce(sum(status = 'decommissioned'), 0)"
           " FROM devices WHERE substr(unit_path, 1, length(?1)) = ?1");
    s.bind(1, within_path);
    auto row = s.step();
    if (!row) return row.error();
    return DeviceCounts{s.integer(0), s.integer(1), s.integer(2), s.integer(3)};
  }

  Status set_device_state(const std::string& device_id, bool online, UnixTime ts,
                          const std::string& state_json) override {
    Stmt s(db_,
           "UPDATE devices SET online = ?2, last_seen = ?3, state_json = ?4, playing = ?5"
           " WHERE id = ?1");
    s.bind(1, device_id).bind(2, static_cast<std::int64_t>(online)).bind(3, ts);
    s.bind(4, state_json);
    s.bind(5, static_cast<std::int64_t>(online && devices::state_reports_playing(state_json)));
    NGUON_TRY(s.run());
    if (sqlite3_changes(db_) == 0) return not_found("no device " + device_id);
    return {};
  }

  Result<std::vector<Device>> devices_in(const std::vector<std::string>& unit_paths,
                                         const std::vector<std::int64_t>& group_ids) override {
    if (unit_paths.empty() && group_ids.empty()) return std::vector<Device>();
    std::string where = prefix_tests("d.unit_path", 1, unit_paths.size());
    int n = 1 + static_cast<int>(unit_paths.size());
    if (!group_ids.empty()) {
      if (!where.empty()) where += " OR ";
      where += "d.id IN (SELECT device_id FROM device_group_members WHERE group_id IN (" +
               placeholders(n, group_ids.size()) + "))";
    }
    Stmt s(db_, std::string("SELECT ") + kDeviceColumns +
                    " FROM devices d WHERE d.status <> 'decommissioned' AND (" + where +
                    ") ORDER BY d.id");
    n = 1;
    for (const std::string& p : unit_paths) s.bind(n++, p);
    for (std::int64_t g : group_ids) s.bind(n++, g);
    return collect<Device>(s, read_device);
  }

  Result<std::int64_t> insert_group(const DeviceGroup& g) override {
    return atomically([&]() -> Result<std::int64_t> {
      Stmt s(db_, "INSERT INTO device_groups (unit_code, unit_path, name) VALUES (?1, ?2, ?3)");
      s.bind(1, g.unit_code).bind(2, g.unit_path).bind(3, g.name);
      NGUON_TRY(s.run());
      const std::int64_t id = sqlite3_last_insert_rowid(db_);
      NGUON_TRY(insert_members(id, g.device_ids));
      return id;
    });
  }

  Status update_group(const DeviceGroup& g) override {
    return atomically([&]() -> Status {
      Stmt s(db_,
             "UPDATE device_groups SET unit_code = ?2, unit_path = ?3, name = ?4 WHERE id = ?1");
      s.bind(1, g.id).bind(2, g.unit_code).bind(3, g.unit_path).bind(4, g.name);
      NGUON_TRY(s.run());
      if (sqlite3_changes(db_) == 0) return not_found("no device group " + std::to_string(g.id));
      Stmt del(db_, "DELETE FROM device_group_members WHERE group_id = ?1");
      del.bind(1, g.id);
      NGUON_TRY(del.run());
      return insert_members(g.id, g.device_ids);
    });
  }

  Status delete_group(std::int64_t group_id) override {
    Stmt s(db_, "DELETE FROM device_groups WHERE id = ?1");
    s.bind(1, group_id);
    NGUON_TRY(s.run());
    if (sqlite3_changes(db_) == 0) return not_found("no device group " + std::to_string(group_id));
    return {};
  }

  Result<std::optional<DeviceGroup>> find_group(std::int64_t group_id) override {
    Stmt s(db_, "SELECT id, unit_code, unit_path, name FROM device_groups WHERE id = ?1");
    s.bind(1, group_id);
    auto rows = collect<DeviceGroup>(s, read_group);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<DeviceGroup>();
    NGUON_TRY(load_members(rows.value()));
    return std::optional<DeviceGroup>(std::move(rows->front()));
  }

  Result<std::vector<DeviceGroup>> list_groups(const std::string& within_path) override {
    Stmt s(db_,
           "SELECT id, unit_code, unit_path, name FROM device_groups"
           " WHERE substr(unit_path, 1, length(?1)) = ?1 ORDER BY name, id");
    s.bind(1, within_path);
    auto rows = collect<DeviceGroup>(s, read_group);
    if (!rows) return rows.error();
    NGUON_TRY(load_members(rows.value()));
    return rows;
  }

  Result<std::vector<std::int64_t>> groups_of(const std::string& device_id) override {
    Stmt s(db_, "SELECT group_id FROM device_group_members WHERE device_id = ?1 ORDER BY group_id");
    s.bind(1, device_id);
    return collect<std::int64_t>(s, [](const Stmt& r) { return r.integer(0); });
  }

  Result<std::int64_t> insert_programme(const Programme& p) override {
    Stmt s(db_, std::string("INSERT INTO programmes (owner_unit, owner_path, created_by, "
                            "created_at, ") +
                    kProgrammeContentColumns + ") VALUES (?1, ?2, ?3, ?4, " +
                    placeholders(5, kProgrammeContentCount) + ")");
    s.bind(1, p.owner_unit).bind(2, p.owner_path).bind_id_or_null(3, p.created_by);
    s.bind(4, p.created_at);
    bind_programme_content(s, 5, p);
    NGUON_TRY(s.run());
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
  }

  Status update_programme(const Programme& p) override {
    Stmt s(db_,
           "UPDATE programmes SET " + assignments(kProgrammeContentColumns, 2) + " WHERE id = ?1");
    s.bind(1, p.id);
    bind_programme_content(s, 2, p);
    NGUON_TRY(s.run());
    if (sqlite3_changes(db_) == 0) return not_found("no programme " + std::to_string(p.id));
    return {};
  }

  Status delete_programme(std::int64_t programme_id) override {
    Stmt s(db_, "DELETE FROM programmes WHERE id = ?1");
    s.bind(1, programme_id);
    NGUON_TRY(s.run());
    if (sqlite3_changes(db_) == 0) {
      return not_found("no programme " + std::to_string(programme_id));
    }
    return {};
  }

  Result<std::optional<Programme>> find_programme(std::int64_t programme_id) override {
    Stmt s(db_, std::string("SELECT ") + kProgrammeColumns + " FROM programmes WHERE id = ?1");
    s.bind(1, programme_id);
    auto rows = collect_checked<Programme>(s, read_programme);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<Programme>();
    return std::optional<Programme>(std::move(rows->front()));
  }

  Result<std::vector<Programme>> list_programmes(const std::string& within_path) override {
    Stmt s(db_, std::string("SELECT ") + kProgrammeColumns +
                    " FROM programmes WHERE substr(owner_path, 1, length(?1)) = ?1 ORDER BY id");
    s.bind(1, within_path);
    return collect_checked<Programme>(s, read_programme);
  }

  Result<std::vector<Programme>> enabled_programmes() override {
    Stmt s(db_, std::string("SELECT ") + kProgrammeColumns +
                    " FROM programmes WHERE enabled = 1 ORDER BY id");
    return collect_checked<Programme>(s, read_programme);
  }

  Result<std::int64_t> next_order_seq() override {
    // Write transactions run under BEGIN IMMEDIATE: increments are serialised.
    Stmt s(db_, "UPDATE order_sequence SET value = value + 1 WHERE id = 1 RETURNING value");
    auto row = s.step();
    if (!row) return row.error();
    if (!row.value()) return internal("sqlite: the order sequence row is missing");
    return s.integer(0);
  }

  Status insert_order(const BroadcastOrder& o) override {
    Stmt s(db_, std::string("INSERT INTO broadcast_orders (") + kOrderColumns +
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    s.bind(1, o.id).bind(2, o.owner_unit).bind(3, bulletins::priority_name(o.priority));
    s.bind(4, devices::encode_strings(o.areas)).bind(5, o.payload_json);
    s.bind_id_or_null(6, o.created_by).bind(7, o.created_at).bind(8, o.stopped_at);
    Status done = s.run();
    if (!done && done.error().kind == ErrorKind::kConflict) {
      return conflict("order_exists", "an order with that id already exists");
    }
    return done;
  }

  Result<std::optional<BroadcastOrder>> find_order(const std::string& order_id) override {
    Stmt s(db_, std::string("SELECT ") + kOrderColumns + " FROM broadcast_orders WHERE id = ?1");
    s.bind(1, order_id);
    auto rows = collect_checked<BroadcastOrder>(s, read_order);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<BroadcastOrder>();
    return std::optional<BroadcastOrder>(std::move(rows->front()));
  }

  Status mark_order_stopped(const std::string& order_id, UnixTime at) override {
    Stmt s(db_, "UPDATE broadcast_orders SET stopped_at = ?2 WHERE id = ?1");
    s.bind(1, order_id).bind(2, at);
    NGUON_TRY(s.run());
    if (sqlite3_changes(db_) == 0) return not_found("no order " + order_id);
    return {};
  }

  Result<bool> insert_play_log(const PlayLog& l) override {
    Stmt s(db_, std::string("INSERT INTO play_logs (") + kPlayLogColumns +
                    ") VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
                    " ON CONFLICT (device_id, event_id) DO NOTHING");
    s.bind(1, l.device_id).bind(2, l.event_id).bind(3, l.type).bind(4, l.ts).bind(5, l.slot);
    s.bind(6, l.order).bind(7, l.sha256).bind(8, l.url).bind(9, l.started).bind(10, l.ended);
    s.bind(11, l.reason).bind(12, l.commune_code).bind(13, l.unit_path).bind(14, l.received_at);
    NGUON_TRY(s.run());
    return sqlite3_changes(db_) > 0;
  }

  Result<std::vector<PlayLog>> list_play_logs(const PlayLogQuery& q) override {
    std::string types = "1";
    if (!q.types.empty()) types = "type IN (" + placeholders(8, q.types.size()) + ")";
    Stmt s(db_, std::string("SELECT ") + kPlayLogColumns +
                    " FROM play_logs WHERE substr(unit_path, 1, length(?1)) = ?1"
                    " AND (?2 = '' OR device_id = ?2) AND ts >= ?3 AND (?4 = 0 OR ts < ?4)"
                    " AND (?7 = '' OR order_id = ?7) AND " +
                    types + " ORDER BY ts DESC, id DESC LIMIT ?5 OFFSET ?6");
    s.bind(1, q.within_path).bind(2, q.device_id).bind(3, q.from).bind(4, q.to).bind(7, q.order);
    s.bind(5, limit_value(q.limit)).bind(6, limit_value(q.offset));
    for (size_t i = 0; i < q.types.size(); ++i) s.bind(8 + static_cast<int>(i), q.types[i]);
    return collect<PlayLog>(s, read_play_log);
  }

  Result<std::vector<AirtimeRow>> airtime(const std::string& within_path,
                                          const std::string& group_by, UnixTime from,
                                          UnixTime to) override {
    std::string key;
    if (group_by == "commune") key = "commune_code";
    if (group_by == "device") key = "device_id";
    if (key.empty()) return invalid("invalid_field", "airtime: group by commune or device");
    Stmt s(db_, "SELECT " + key +
                    ", sum(ended - started) AS seconds, count(*) FROM play_logs"
                    " WHERE type IN ('played', 'interrupted') AND started > 0"
                    " AND ended >= started AND substr(unit_path, 1, length(?1)) = ?1"
                    " AND started >= ?2 AND (?3 = 0 OR started < ?3) GROUP BY " +
                    key + " ORDER BY seconds DESC, " + key);
    s.bind(1, within_path).bind(2, from).bind(3, to);
    return collect<AirtimeRow>(s, [](const Stmt& r) {
      return AirtimeRow{r.text(0), r.integer(1), r.integer(2)};
    });
  }

  // ---- Two-way capability (schema v4) ----

  Status upsert_feedback_service(const FeedbackService& f) override {
    Stmt s(db_, std::string("INSERT INTO feedback_services (") + kFeedbackServiceColumns +
                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (code) DO "
                    "UPDATE SET " +
                    excluded_assignments(kFeedbackServiceValueColumns));
    s.bind(1, f.code).bind(2, f.name_vi).bind(3, f.name_en).bind(4, f.description);
    s.bind(5, f.group).bind(6, f.keywords).bind(7, f.attributes_json);
    s.bind(8, static_cast<std::int64_t>(f.forward_days));
    s.bind(9, static_cast<std::int64_t>(f.answer_days));
    s.bind(10, static_cast<std::int64_t>(f.active));
    return s.run();
  }

  Result<std::optional<FeedbackService>> find_feedback_service(const std::string& code) override {
    Stmt s(db_, std::string("SELECT ") + kFeedbackServiceColumns +
                    " FROM feedback_services WHERE code = ?1");
    s.bind(1, code);
    return first<FeedbackService>(s, read_feedback_service);
  }

  Result<std::vector<FeedbackService>> list_feedback_services(bool include_inactive) override {
    Stmt s(db_, std::string("SELECT ") + kFeedbackServiceColumns +
                    " FROM feedback_services WHERE (?1 = 1 OR active = 1) ORDER BY group_name, "
                    "code");
    s.bind(1, static_cast<std::int64_t>(include_inactive));
    return collect<FeedbackService>(s, read_feedback_service);
  }

  Result<std::int64_t> insert_agency(const Agency& a) override {
    Stmt s(db_,
           "INSERT INTO agencies (unit_code, unit_path, name, email, supervisor_agency, active)"
           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    bind_agency(s, 1, a);
    NGUON_TRY(s.run());
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
  }

  Status update_agency(const Agency& a) override {
    Stmt s(db_,
           "UPDATE agencies SET unit_code = ?2, unit_path = ?3, name = ?4, email = ?5,"
           " supervisor_agency = ?6, active = ?7 WHERE id = ?1");
    s.bind(1, a.id);
    bind_agency(s, 2, a);
    NGUON_TRY(s.run());
    if (sqlite3_changes(db_) == 0) return not_found("no agency " + std::to_string(a.id));
    return {};
  }

  Result<std::optional<Agency>> find_agency(std::int64_t id) override {
    Stmt s(db_, std::string("SELECT ") + kAgencyColumns + " FROM agencies WHERE id = ?1");
    s.bind(1, id);
    return first<Agency>(s, read_agency);
  }

  Result<std::vector<Agency>> list_agencies(const std::string& within_path) override {
    Stmt s(db_, std::string("SELECT ") + kAgencyColumns +
                    " FROM agencies WHERE substr(unit_path, 1, length(?1)) = ?1"
                    " ORDER BY name, id");
    s.bind(1, within_path);
    return collect<Agency>(s, read_agency);
  }

  Result<std::int64_t> insert_routing_rule(const RoutingRule& r) override {
    Stmt s(db_,
           "INSERT INTO routing_rules (service_code, area_code, area_path, body_unit, agency_id)"
           " VALUES (?1, ?2, ?3, ?4, ?5)");
    s.bind(1, r.service_code).bind(2, r.area_code).bind(3, r.area_path).bind(4, r.body_unit);
    s.bind_id_or_null(5, r.agency_id);
    Status done = s.run();
    if (!done) {
      if (done.error().kind == ErrorKind::kConflict) {
        return conflict("rule_exists", "a rule for that category and area already exists");
      }
      return done.error();
    }
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
  }

  Status delete_routing_rule(std::int64_t id) override {
    Stmt s(db_, "DELETE FROM routing_rules WHERE id = ?1");
    s.bind(1, id);
    NGUON_TRY(s.run());
    if (sqlite3_changes(db_) == 0) return not_found("no routing rule " + std::to_string(id));
    return {};
  }

  Result<std::vector<RoutingRule>> list_routing_rules() override {
    Stmt s(db_, std::string("SELECT ") + kRoutingRuleColumns +
                    " FROM routing_rules ORDER BY area_path, service_code");
    return collect<RoutingRule>(s, read_routing_rule);
  }

  Result<std::int64_t> insert_feedback(const Feedback& f) override {
    // The intake path: one cached statement, plus one per attachment inside a savepoint.
    auto insert = [&]() -> Result<std::int64_t> {
      Stmt s(db_, feedback_insert_sql());
      s.bind(1, f.tracking_code).bind(2, f.submitted_at).bind(3, feedback_fold(f));
      bind_feedback_content(s, 4, f);
      Status done = s.run();
      if (!done) {
        if (done.error().kind == ErrorKind::kConflict) {
          return conflict("tracking_code_exists", "a feedback with that tracking code exists");
        }
        return done.error();
      }
      const std::int64_t id = sqlite3_last_insert_rowid(db_);
      NGUON_TRY(insert_attachments(id, f.attachments));
      return id;
    };
    return f.attachments.empty() ? insert() : atomically(insert);
  }

  Status update_feedback(const Feedback& f) override {
    return atomically([&]() -> Status {
      Stmt s(db_, "UPDATE feedback SET fold = ?2, " + assignments(kFeedbackContentColumns, 3) +
                      " WHERE id = ?1");
      s.bind(1, f.id).bind(2, feedback_fold(f));
      bind_feedback_content(s, 3, f);
      NGUON_TRY(s.run());
      if (sqlite3_changes(db_) == 0) return not_found("no feedback " + std::to_string(f.id));
      Stmt del(db_, "DELETE FROM feedback_attachments WHERE feedback_id = ?1");
      del.bind(1, f.id);
      NGUON_TRY(del.run());
      return insert_attachments(f.id, f.attachments);
    });
  }

  Result<std::optional<Feedback>> find_feedback(std::int64_t id) override {
    Stmt s(db_, feedback_select_sql() + " WHERE id = ?1");
    s.bind(1, id);
    return one_feedback(s);
  }

  Result<std::optional<Feedback>> find_feedback_by_code(const std::string& code) override {
    Stmt s(db_, feedback_select_sql() + " WHERE tracking_code = ?1");
    s.bind(1, code);
    return one_feedback(s);
  }

  Result<std::vector<Feedback>> search_feedback(const FeedbackQuery& q) override {
    // ?1–?8 are fixed; the body paths, then the statuses follow.
    const char* order = q.newest_first ? "DESC" : "ASC";
    std::string where = std::string(
                            " WHERE (?1 = '' OR service_code = ?1)"
                            " AND substr(area_path, 1, length(?2)) = ?2"
                            " AND (?3 = '' OR fold LIKE '%' || ?3 || '%' ESCAPE '\\')"
                            " AND submitted_at >= ?4 AND (?5 = 0 OR submitted_at < ?5)"
                            " AND (?6 = 0"
                            " OR (status = 'received' AND forward_due > 0 AND forward_due < ?6)"
                            " OR (status = 'assigned' AND answer_due > 0 AND answer_due < ?6))"
                            " AND (?7 = 0 OR id ") +
                        (q.newest_first ? "<" : ">") + " ?7)";
    int n = 9;
    if (!q.body_paths.empty()) {
      where += " AND (" + prefix_tests("body_path", n, q.body_paths.size()) + ")";
      n += static_cast<int>(q.body_paths.size());
    }
    if (!q.statuses.empty()) {
      where += " AND status IN (" + placeholders(n, q.statuses.size()) + ")";
    }
    Stmt s(db_, feedback_select_sql() + where + " ORDER BY id " + order + " LIMIT ?8");
    s.bind(1, q.service_code).bind(2, q.area_path).bind(3, like_literal(text::fold(q.text)));
    s.bind(4, q.submitted_from).bind(5, q.submitted_to).bind(6, q.due_before);
    s.bind(7, q.after_id).bind(8, limit_value(q.limit));
    n = 9;
    for (const std::string& p : q.body_paths) s.bind(n++, p);
    for (FeedbackStatus st : q.statuses) s.bind(n++, feedback::status_name(st));
    auto rows = collect<Feedback>(s, read_feedback);
    if (!rows) return rows.error();
    NGUON_TRY(load_attachments(rows.value()));
    return rows;
  }

  Result<std::int64_t> count_accepted_by_contact(const std::string& contact_hash) override {
    if (contact_hash.empty()) return std::int64_t{0};
    Stmt s(db_,
           "SELECT count(*) FROM feedback WHERE contact_hash = ?1"
           " AND status NOT IN ('moderation', 'rejected')");
    s.bind(1, contact_hash);
    return scalar(s);
  }

  Result<std::int64_t> count_recent_by_contact(const std::string& contact_hash,
                                               UnixTime since) override {
    if (contact_hash.empty()) return std::int64_t{0};
    Stmt s(db_, "SELECT count(*) FROM feedback WHERE contact_hash = ?1 AND submitted_at >= ?2");
    s.bind(1, contact_hash).bind(2, since);
    return scalar(s);
  }

  Result<std::vector<FeedbackStatsRow>> feedback_stats(const std::string& within_path,
                                                       UnixTime from, UnixTime to,
                                                       UnixTime now) override {
    // Only accepted feedback counts at all, so every group has received > 0.
    Stmt s(db_,
           "SELECT service_code, commune_code, count(*),"
           " sum(status IN ('answered', 'closed')),"
           " sum(status IN ('answered', 'closed') AND answered_at > 0"
           " AND (answer_due = 0 OR answered_at <= answer_due)),"
           " sum((status = 'received' AND forward_due > 0 AND forward_due < ?4)"
           " OR (status = 'assigned' AND answer_due > 0 AND answer_due < ?4))"
           " FROM feedback WHERE status NOT IN ('moderation', 'rejected', 'merged')"
           " AND substr(body_path, 1, length(?1)) = ?1 AND submitted_at >= ?2"
           " AND (?3 = 0 OR submitted_at < ?3)"
           " GROUP BY service_code, commune_code ORDER BY service_code, commune_code");
    s.bind(1, within_path).bind(2, from).bind(3, to).bind(4, now);
    return collect<FeedbackStatsRow>(s, [](const Stmt& r) {
      return FeedbackStatsRow{r.text(0),    r.text(1),    r.integer(2),
                              r.integer(3), r.integer(4), r.integer(5)};
    });
  }

  Result<std::int64_t> insert_feedback_event(const FeedbackEvent& e) override {
    Stmt s(db_,
           "INSERT INTO feedback_events (feedback_id, ts, actor, kind, detail, is_public,"
           " status_after) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    s.bind(1, e.feedback_id).bind(2, e.ts).bind(3, e.actor).bind(4, e.kind).bind(5, e.detail);
    s.bind(6, static_cast<std::int64_t>(e.is_public)).bind(7, e.status_after);
    NGUON_TRY(s.run());
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
  }

  Result<std::vector<FeedbackEvent>> list_feedback_events(std::int64_t feedback_id,
                                                          bool public_only) override {
    Stmt s(db_, std::string("SELECT ") + kFeedbackEventColumns +
                    " FROM feedback_events WHERE feedback_id = ?1 AND (?2 = 0 OR is_public = 1)"
                    " ORDER BY id");
    s.bind(1, feedback_id).bind(2, static_cast<std::int64_t>(public_only));
    return collect<FeedbackEvent>(s, read_feedback_event);
  }

  Result<std::vector<FeedbackEvent>> public_feedback_events(UnixTime from, UnixTime to,
                                                            size_t limit) override {
    Stmt s(db_, std::string("SELECT ") + kFeedbackEventColumns +
                    " FROM feedback_events WHERE is_public = 1 AND ts >= ?1"
                    " AND (?2 = 0 OR ts < ?2) ORDER BY id LIMIT ?3");
    s.bind(1, from).bind(2, to).bind(3, limit_value(limit));
    return collect<FeedbackEvent>(s, read_feedback_event);
  }

  Result<std::int64_t> insert_outbox(const OutboxMail& m) override {
    Stmt s(db_, std::string("INSERT INTO outbox (") + kOutboxColumns +
                    ") VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    s.bind(1, m.to).bind(2, m.subject).bind(3, m.body).bind_id_or_null(4, m.feedback_id);
    s.bind(5, m.created_at).bind(6, m.next_attempt_at);
    s.bind(7, static_cast<std::int64_t>(m.attempts)).bind(8, m.sent_at).bind(9, m.last_error);
    NGUON_TRY(s.run());
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
  }

  Result<std::vector<OutboxMail>> due_outbox(UnixTime now, int max_attempts,
                                             size_t limit) override {
    Stmt s(db_, std::string("SELECT ") + kOutboxColumns +
                    " FROM outbox WHERE sent_at = 0 AND next_attempt_at <= ?1 AND attempts < ?2"
                    " ORDER BY id LIMIT ?3");
    s.bind(1, now).bind(2, static_cast<std::int64_t>(max_attempts)).bind(3, limit_value(limit));
    return collect<OutboxMail>(s, read_outbox);
  }

  Status mark_outbox_sent(std::int64_t id, UnixTime at) override {
    Stmt s(db_, "UPDATE outbox SET sent_at = ?2 WHERE id = ?1");
    s.bind(1, id).bind(2, at);
    NGUON_TRY(s.run());
    if (sqlite3_changes(db_) == 0) return not_found("no outbox mail " + std::to_string(id));
    return {};
  }

  Status mark_outbox_failed(std::int64_t id, const std::string& error,
                            UnixTime next_attempt_at) override {
    Stmt s(db_,
           "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_attempt_at = ?3"
           " WHERE id = ?1");
    s.bind(1, id).bind(2, error).bind(3, next_attempt_at);
    NGUON_TRY(s.run());
    if (sqlite3_changes(db_) == 0) return not_found("no outbox mail " + std::to_string(id));
    return {};
  }

  Result<std::vector<OutboxMail>> outbox_for_feedback(std::int64_t feedback_id) override {
    Stmt s(db_, std::string("SELECT ") + kOutboxColumns +
                    " FROM outbox WHERE feedback_id = ?1 ORDER BY id");
    s.bind(1, feedback_id);
    return collect<OutboxMail>(s, read_outbox);
  }

  // ---- Emergency alerts (schema v5) ----

  Result<std::int64_t> insert_alert_source(const AlertSource& a) override {
    Stmt s(db_, std::string("INSERT INTO alert_sources (") +
                    std::string(alert_rows::kSourceColumns).substr(4) + ") VALUES (" +
                    sql_text::placeholders('?', 1, alert_rows::kSourceChangeCount + 2) + ")");
    StmtWriter w{s, 1};
    alert_rows::write_source(w, a);
    Status done = s.run();
    if (!done) {
      if (done.error().kind == ErrorKind::kConflict) {
        return conflict("source_exists", "a source with sender " + a.sender + " already exists");
      }
      return done.error();
    }
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
  }

  Status update_alert_source(const AlertSource& a) override {
    Stmt s(db_, std::string("UPDATE alert_sources SET ") +
                    sql_text::assignments('?', alert_rows::kSourceChangeColumns, 2) +
                    " WHERE id = ?1");
    s.bind(1, a.id);
    StmtWriter w{s, 2};
    alert_rows::write_source_changes(w, a);
    NGUON_TRY(s.run());
    if (sqlite3_changes(db_) == 0) return not_found("no alert source " + std::to_string(a.id));
    return {};
  }

  Result<std::optional<AlertSource>> find_alert_source(std::int64_t id) override {
    Stmt s(db_, std::string("SELECT ") + alert_rows::kSourceColumns +
                    " FROM alert_sources WHERE id = ?1");
    s.bind(1, id);
    return first<AlertSource>(s, read_alert_source);
  }

  Result<std::optional<AlertSource>> find_alert_source_by_sender(
      const std::string& sender) override {
    Stmt s(db_, std::string("SELECT ") + alert_rows::kSourceColumns +
                    " FROM alert_sources WHERE sender = ?1");
    s.bind(1, sender);
    return first<AlertSource>(s, read_alert_source);
  }

  Result<std::vector<AlertSource>> list_alert_sources() override {
    Stmt s(db_, std::string("SELECT ") + alert_rows::kSourceColumns +
                    " FROM alert_sources ORDER BY name, id");
    return collect<AlertSource>(s, read_alert_source);
  }

  Result<std::int64_t> insert_alert(const AlertRecord& a) override {
    Stmt s(db_, std::string("INSERT INTO alerts (") +
                    std::string(alert_rows::kAlertColumns).substr(4) + ") VALUES (" +
                    sql_text::placeholders('?', 1, alert_rows::kAlertInsertCount) + ")");
    StmtWriter w{s, 1};
    alert_rows::write_alert(w, a);
    Status done = s.run();
    if (!done) {
      if (done.error().kind == ErrorKind::kConflict) {
        return conflict("alert_exists",
                        a.sender + " already sent an alert with identifier " + a.identifier);
      }
      return done.error();
    }
    return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_));
  }

  Status update_alert(const AlertRecord& a) override {
    Stmt s(db_, std::string("UPDATE alerts SET ") +
                    sql_text::assignments('?', alert_rows::kAlertChangeColumns, 2) +
                    " WHERE id = ?1");
    s.bind(1, a.id);
    StmtWriter w{s, 2};
    alert_rows::write_alert_changes(w, a);
    NGUON_TRY(s.run());
    if (sqlite3_changes(db_) == 0) return not_found("no alert " + std::to_string(a.id));
    return {};
  }

  Result<std::optional<AlertRecord>> find_alert(std::int64_t id) override {
    Stmt s(db_, std::string("SELECT ") + alert_rows::kAlertColumns + " FROM alerts WHERE id = ?1");
    s.bind(1, id);
    return first<AlertRecord>(s, read_alert_record);
  }

  Result<std::optional<AlertRecord>> find_alert_by_identifier(
      const std::string& sender, const std::string& identifier) override {
    Stmt s(db_, std::string("SELECT ") + alert_rows::kAlertColumns +
                    " FROM alerts WHERE sender = ?1 AND identifier = ?2");
    s.bind(1, sender).bind(2, identifier);
    return first<AlertRecord>(s, read_alert_record);
  }

  Result<std::vector<AlertRecord>> list_alerts(const AlertQuery& q) override {
    Stmt s(db_, std::string("SELECT ") + alert_rows::kAlertColumns +
                    " FROM alerts WHERE substr(owner_path, 1, length(?1)) = ?1"
                    " AND (?2 = '' OR state = ?2) AND (?5 = '' OR origin = ?5)"
                    " ORDER BY id DESC LIMIT ?3 OFFSET ?4");
    s.bind(1, q.within_path)
        .bind(2, q.state ? alert_names::state_name(*q.state) : std::string_view())
        .bind(3, static_cast<std::int64_t>(std::min<size_t>(q.limit, 1000)))
        .bind(4, static_cast<std::int64_t>(std::min<size_t>(q.offset, 1000000)))
        .bind(5, q.origin);
    return collect<AlertRecord>(s, read_alert_record);
  }

 private:
  // Chunk size of IN lists, well under SQLite's bound-parameter limit.
  static constexpr size_t kIdChunk = 500;

  // Runs `body` inside a savepoint: a multi-statement call that fails part-way leaves nothing
  // behind and the transaction stays usable (as the PostgreSQL adapter's calls do).
  template <typename F>
  auto atomically(F body) -> decltype(body()) {
    NGUON_TRY(run_cached("SAVEPOINT nguon_call"));
    auto result = body();
    if (result) {
      NGUON_TRY(run_cached("RELEASE SAVEPOINT nguon_call"));
    } else {
      (void)run_cached("ROLLBACK TO SAVEPOINT nguon_call");
      (void)run_cached("RELEASE SAVEPOINT nguon_call");
    }
    return result;
  }

  // One statement without parameters, through the statement cache.
  Status run_cached(const char* sql) {
    Stmt s(db_, sql);
    return s.run();
  }

  // Stores b's targets (with their unit paths, for the library's prefix tests) and images, in
  // the given order. An unknown target unit is an invalid reference.
  Status insert_bulletin_lists(std::int64_t id, const Bulletin& b) {
    for (size_t i = 0; i < b.target_units.size(); ++i) {
      Stmt s(db_,
             "INSERT INTO bulletin_targets (bulletin_id, position, unit_code, unit_path)"
             " SELECT ?1, ?2, code, path FROM units WHERE code = ?3");
      s.bind(1, id).bind(2, static_cast<std::int64_t>(i)).bind(3, b.target_units[i]);
      NGUON_TRY(s.run());
      if (sqlite3_changes(db_) == 0) {
        return invalid("invalid_reference", "no unit " + b.target_units[i]);
      }
    }
    for (size_t i = 0; i < b.images.size(); ++i) {
      Stmt s(db_,
             "INSERT INTO bulletin_images (bulletin_id, position, media_sha256) "
             "VALUES (?1, ?2, ?3)");
      s.bind(1, id).bind(2, static_cast<std::int64_t>(i)).bind(3, b.images[i]);
      NGUON_TRY(s.run());
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
    return load_children(rows, select, "bulletin_id", [member](Bulletin& b, const Stmt& s) {
      (b.*member).push_back(s.text(1));
    });
  }

  // Runs `select` (a child table's rows, its first column the parent id in `parent_column`) for
  // the ids of `rows`, in chunks, and calls add(parent, row) in parent then position order.
  template <typename Row, typename F>
  Status load_children(std::vector<Row>& rows, const char* select, const char* parent_column,
                       F add) {
    std::unordered_map<std::int64_t, Row*> by_id;
    for (Row& r : rows) by_id.emplace(r.id, &r);
    for (size_t start = 0; start < rows.size(); start += kIdChunk) {
      const size_t n = std::min(kIdChunk, rows.size() - start);
      Stmt s(db_, std::string(select) + " WHERE " + parent_column + " IN (" + placeholders(1, n) +
                      ") ORDER BY " + parent_column + ", position");
      for (size_t i = 0; i < n; ++i) s.bind(static_cast<int>(i + 1), rows[start + i].id);
      for (;;) {
        auto row = s.step();
        if (!row) return row.error();
        if (!row.value()) break;
        auto it = by_id.find(s.integer(0));
        if (it != by_id.end()) add(*it->second, s);
      }
    }
    return {};
  }

  // Stores the attachments of feedback `id` in the given order.
  Status insert_attachments(std::int64_t id, const std::vector<FeedbackAttachment>& attachments) {
    for (size_t i = 0; i < attachments.size(); ++i) {
      const FeedbackAttachment& a = attachments[i];
      Stmt s(db_,
             "INSERT INTO feedback_attachments (feedback_id, position, sha256, kind, mime, bytes)"
             " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
      s.bind(1, id).bind(2, static_cast<std::int64_t>(i)).bind(3, a.sha256).bind(4, a.kind);
      s.bind(5, a.mime).bind(6, a.bytes);
      NGUON_TRY(s.run());
    }
    return {};
  }

  // Fills the attachments of every feedback in `rows`.
  Status load_attachments(std::vector<Feedback>& rows) {
    return load_children(rows,
                         "SELECT feedback_id, sha256, kind, mime, bytes FROM feedback_attachments",
                         "feedback_id", [](Feedback& f, const Stmt& s) {
                           f.attachments.push_back({s.text(1), s.text(2), s.text(3), s.integer(4)});
                         });
  }

  // The feedback `s` selects (feedback_select_sql), with its attachments.
  Result<std::optional<Feedback>> one_feedback(Stmt& s) {
    auto rows = collect<Feedback>(s, read_feedback);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<Feedback>();
    NGUON_TRY(load_attachments(rows.value()));
    return std::optional<Feedback>(std::move(rows->front()));
  }

  // Like collect, for readers that can fail (a stored JSON list that does not decode).
  template <typename T, typename F>
  static Result<std::vector<T>> collect_checked(Stmt& s, F read) {
    std::vector<T> out;
    for (;;) {
      auto row = s.step();
      if (!row) return row.error();
      if (!row.value()) return out;
      auto value = read(s);
      if (!value) return value.error();
      out.push_back(std::move(value.value()));
    }
  }

  static DeviceGroup read_group(const Stmt& r) {
    DeviceGroup g;
    g.id = r.integer(0);
    g.unit_code = r.text(1);
    g.unit_path = r.text(2);
    g.name = r.text(3);
    return g;
  }

  Status insert_members(std::int64_t group_id, const std::vector<std::string>& device_ids) {
    for (size_t i = 0; i < device_ids.size(); ++i) {
      Stmt s(db_,
             "INSERT INTO device_group_members (group_id, position, device_id)"
             " VALUES (?1, ?2, ?3)");
      s.bind(1, group_id).bind(2, static_cast<std::int64_t>(i)).bind(3, device_ids[i]);
      NGUON_TRY(s.run());
    }
    return {};
  }

  // Fills device_ids of every group in `groups`, in position order.
  Status load_members(std::vector<DeviceGroup>& groups) {
    for (DeviceGroup& g : groups) {
      Stmt s(db_,
             "SELECT device_id FROM device_group_members WHERE group_id = ?1 ORDER BY position");
      s.bind(1, g.id);
      auto ids = collect<std::string>(s, [](const Stmt& r) { return r.text(0); });
      if (!ids) return ids.error();
      g.device_ids = std::move(ids.value());
    }
    return {};
  }

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

  // The first row `s` yields, if any.
  template <typename T, typename F>
  static Result<std::optional<T>> first(Stmt& s, F read) {
    auto row = s.step();
    if (!row) return row.error();
    if (!row.value()) return std::optional<T>();
    return std::optional<T>(read(s));
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
      // Bulletins. Optional references (approved_by, a notification's bulletin) are NULL when
      // absent, read back as 0. Enum columns hold core/bulletins.h names. Targets keep the
      // target unit's path so the library's scope tests are prefix comparisons.
      {2, R"sql(
CREATE TABLE bulletins (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  owner_unit TEXT NOT NULL REFERENCES units(code),
  owner_path TEXT NOT NULL,
  title TEXT NOT NULL,
  summary TEXT NOT NULL,
  body TEXT NOT NULL,
  category TEXT NOT NULL,
  priority TEXT NOT NULL CHECK (priority IN ('normal', 'priority', 'emergency')),
  language TEXT NOT NULL,
  author_id INTEGER NOT NULL REFERENCES users(id),
  pen_name TEXT NOT NULL,
  source TEXT NOT NULL,
  valid_from INTEGER NOT NULL,
  valid_until INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'returned',
                                         'published', 'archived')),
  revision INTEGER NOT NULL,
  return_reason TEXT NOT NULL,
  approved_by INTEGER REFERENCES users(id),
  submitted_at INTEGER NOT NULL,
  approved_at INTEGER NOT NULL,
  published_at INTEGER NOT NULL,
  audio_sha256 TEXT NOT NULL,
  audio_seconds REAL NOT NULL,
  audio_origin TEXT NOT NULL,
  audio_voice TEXT NOT NULL,
  fold TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX bulletins_owner_path ON bulletins(owner_path);
CREATE INDEX bulletins_status ON bulletins(status, owner_path);
CREATE TABLE bulletin_targets (
  bulletin_id INTEGER NOT NULL REFERENCES bulletins(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  unit_code TEXT NOT NULL REFERENCES units(code),
  unit_path TEXT NOT NULL,
  PRIMARY KEY (bulletin_id, unit_code)
);
CREATE TABLE bulletin_images (
  bulletin_id INTEGER NOT NULL REFERENCES bulletins(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  media_sha256 TEXT NOT NULL,
  PRIMARY KEY (bulletin_id, position)
);
CREATE TABLE bulletin_revisions (
  bulletin_id INTEGER NOT NULL REFERENCES bulletins(id) ON DELETE CASCADE,
  revision INTEGER NOT NULL,
  snapshot TEXT NOT NULL,
  approved_by INTEGER REFERENCES users(id),
  approved_at INTEGER NOT NULL,
  PRIMARY KEY (bulletin_id, revision)
);
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  bulletin_id INTEGER REFERENCES bulletins(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  read INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX notifications_user ON notifications(user_id, id);
CREATE TABLE unit_settings (
  unit_code TEXT NOT NULL REFERENCES units(code),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (unit_code, key)
);
)sql"},
      // The broadcast capability (issue 4). Optional references (a device's village, the
      // creator of a programme or order) are NULL when absent. List fields of programmes and
      // orders are JSON text (core/devices/record_json.h). `playing` is derived from
      // state_json when a state is recorded, so counts need no JSON in SQL.
      {3, R"sql(
CREATE TABLE devices (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('cluster', 'board')),
  name TEXT NOT NULL,
  serial TEXT NOT NULL,
  imei TEXT NOT NULL,
  vendor TEXT NOT NULL,
  model TEXT NOT NULL,
  firmware TEXT NOT NULL,
  commune_code TEXT NOT NULL REFERENCES units(code),
  village_code TEXT REFERENCES units(code),
  unit_path TEXT NOT NULL,
  lat REAL,
  lon REAL,
  horns INTEGER NOT NULL,
  watts INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('registered', 'provisioned', 'decommissioned')),
  secret_hash TEXT NOT NULL,
  credential_version INTEGER NOT NULL,
  online INTEGER NOT NULL DEFAULT 0,
  playing INTEGER NOT NULL DEFAULT 0,
  last_seen INTEGER NOT NULL DEFAULT 0,
  state_json TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX devices_serial_active ON devices(serial) WHERE status <> 'decommissioned';
CREATE INDEX devices_unit_path ON devices(unit_path);
CREATE TABLE device_groups (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  unit_code TEXT NOT NULL REFERENCES units(code),
  unit_path TEXT NOT NULL,
  name TEXT NOT NULL
);
CREATE INDEX device_groups_unit_path ON device_groups(unit_path);
CREATE TABLE device_group_members (
  group_id INTEGER NOT NULL REFERENCES device_groups(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  device_id TEXT NOT NULL REFERENCES devices(id),
  PRIMARY KEY (group_id, device_id)
);
CREATE INDEX device_group_members_device ON device_group_members(device_id);
CREATE TABLE programmes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  owner_unit TEXT NOT NULL REFERENCES units(code),
  owner_path TEXT NOT NULL,
  name TEXT NOT NULL,
  priority TEXT NOT NULL CHECK (priority IN ('normal', 'priority', 'emergency')),
  target_units TEXT NOT NULL,
  target_groups TEXT NOT NULL,
  rrule TEXT NOT NULL,
  first_date TEXT NOT NULL,
  last_date TEXT NOT NULL,
  exdates TEXT NOT NULL,
  start_minute INTEGER NOT NULL,
  duration_minutes INTEGER NOT NULL,
  items TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  created_by INTEGER REFERENCES users(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX programmes_owner_path ON programmes(owner_path);
CREATE TABLE order_sequence (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
);
INSERT INTO order_sequence (id, value) VALUES (1, 0);
CREATE TABLE broadcast_orders (
  id TEXT PRIMARY KEY,
  owner_unit TEXT NOT NULL REFERENCES units(code),
  priority TEXT NOT NULL CHECK (priority IN ('normal', 'priority', 'emergency')),
  areas TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  created_by INTEGER REFERENCES users(id),
  created_at INTEGER NOT NULL,
  stopped_at INTEGER NOT NULL
);
CREATE TABLE play_logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id TEXT NOT NULL REFERENCES devices(id),
  event_id TEXT NOT NULL,
  type TEXT NOT NULL,
  ts INTEGER NOT NULL,
  slot TEXT NOT NULL,
  order_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  url TEXT NOT NULL,
  started INTEGER NOT NULL,
  ended INTEGER NOT NULL,
  reason TEXT NOT NULL,
  commune_code TEXT NOT NULL,
  unit_path TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  UNIQUE (device_id, event_id)
);
CREATE INDEX play_logs_unit_ts ON play_logs(unit_path, ts);
CREATE INDEX play_logs_device_ts ON play_logs(device_id, ts);
)sql"},
      // The two-way capability (issue 5). Agencies, rules and outbox mails refer to their
      // optional agency or feedback with NULL when absent. Feedback is a self-contained record:
      // its references (units, agency, users, bulletin, merged_into) are kept as given, 0 or ''
      // when absent, so intake is one insert without lookups. Enum columns hold lower-case
      // names; `fold` is the search key of title and description (text::fold, one line each).
      {4, R"sql(
CREATE TABLE feedback_services (
  code TEXT PRIMARY KEY,
  name_vi TEXT NOT NULL,
  name_en TEXT NOT NULL,
  description TEXT NOT NULL,
  group_name TEXT NOT NULL,
  keywords TEXT NOT NULL,
  attributes_json TEXT NOT NULL,
  forward_days INTEGER NOT NULL,
  answer_days INTEGER NOT NULL,
  active INTEGER NOT NULL
);
CREATE TABLE agencies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  unit_code TEXT NOT NULL REFERENCES units(code),
  unit_path TEXT NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  supervisor_agency INTEGER REFERENCES agencies(id),
  active INTEGER NOT NULL
);
CREATE INDEX agencies_unit_path ON agencies(unit_path);
CREATE TABLE routing_rules (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  service_code TEXT NOT NULL,
  area_code TEXT NOT NULL REFERENCES units(code),
  area_path TEXT NOT NULL,
  body_unit TEXT NOT NULL REFERENCES units(code),
  agency_id INTEGER REFERENCES agencies(id),
  UNIQUE (service_code, area_code)
);
CREATE TABLE feedback (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tracking_code TEXT NOT NULL UNIQUE,
  service_code TEXT NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  attributes_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('moderation', 'received', 'assigned', 'answered',
                                         'closed', 'rejected', 'merged')),
  channel TEXT NOT NULL,
  client TEXT NOT NULL,
  commune_code TEXT NOT NULL,
  village_code TEXT NOT NULL,
  area_path TEXT NOT NULL,
  address TEXT NOT NULL,
  lat REAL,
  lon REAL,
  location_method TEXT NOT NULL,
  contact_name TEXT NOT NULL,
  contact_email TEXT NOT NULL,
  contact_phone TEXT NOT NULL,
  contact_hash TEXT NOT NULL,
  submitter_ip TEXT NOT NULL,
  entered_by INTEGER NOT NULL,
  relayed_by TEXT NOT NULL,
  body_unit TEXT NOT NULL,
  body_path TEXT NOT NULL,
  agency_id INTEGER NOT NULL,
  forward_due INTEGER NOT NULL,
  answer_due INTEGER NOT NULL,
  reminded_at INTEGER NOT NULL,
  escalation INTEGER NOT NULL,
  answer_status TEXT NOT NULL CHECK (answer_status IN ('none', 'draft', 'submitted',
                                                       'published')),
  answer_text TEXT NOT NULL,
  answer_public TEXT NOT NULL,
  answer_author INTEGER NOT NULL,
  answer_approver INTEGER NOT NULL,
  bulletin_id INTEGER NOT NULL,
  reject_reason TEXT NOT NULL,
  merged_into INTEGER NOT NULL,
  rating INTEGER NOT NULL,
  rating_comment TEXT NOT NULL,
  reopen_count INTEGER NOT NULL,
  submitted_at INTEGER NOT NULL,
  assigned_at INTEGER NOT NULL,
  answered_at INTEGER NOT NULL,
  closed_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  fold TEXT NOT NULL
);
CREATE INDEX feedback_body_path ON feedback(body_path);
CREATE INDEX feedback_contact ON feedback(contact_hash, submitted_at);
CREATE INDEX feedback_forward_due ON feedback(status, forward_due);
CREATE INDEX feedback_answer_due ON feedback(status, answer_due);
CREATE INDEX feedback_submitted ON feedback(submitted_at);
CREATE TABLE feedback_attachments (
  feedback_id INTEGER NOT NULL REFERENCES feedback(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  kind TEXT NOT NULL,
  mime TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  PRIMARY KEY (feedback_id, position)
);
CREATE TABLE feedback_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  feedback_id INTEGER NOT NULL REFERENCES feedback(id) ON DELETE CASCADE,
  ts INTEGER NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  is_public INTEGER NOT NULL,
  status_after TEXT NOT NULL
);
CREATE INDEX feedback_events_feedback ON feedback_events(feedback_id, id);
CREATE INDEX feedback_events_public_ts ON feedback_events(ts) WHERE is_public = 1;
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  feedback_id INTEGER REFERENCES feedback(id),
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  sent_at INTEGER NOT NULL,
  last_error TEXT NOT NULL
);
CREATE INDEX outbox_unsent ON outbox(next_attempt_at) WHERE sent_at = 0;
CREATE INDEX outbox_feedback ON outbox(feedback_id);
ALTER TABLE notifications ADD COLUMN feedback_id INTEGER NOT NULL DEFAULT 0;
)sql"},
      // Emergency alerts (issue 6): trusted CAP senders and the alerts received or issued.
      // alerts.source_id is 0 for alerts issued here; enum columns hold lower-case names
      // (state, priority) or CAP's own spelling (msg_type, status, scope, severity, …).
      {5, R"sql(
CREATE TABLE alert_sources (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sender TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  unit_code TEXT NOT NULL REFERENCES units(code),
  unit_path TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  feed_url TEXT NOT NULL,
  auto_broadcast INTEGER NOT NULL,
  min_severity TEXT NOT NULL,
  min_urgency TEXT NOT NULL,
  min_certainty TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  last_polled_at INTEGER NOT NULL,
  last_poll_error TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source_id INTEGER NOT NULL,
  sender TEXT NOT NULL,
  identifier TEXT NOT NULL,
  sent INTEGER NOT NULL,
  msg_type TEXT NOT NULL,
  status TEXT NOT NULL,
  scope TEXT NOT NULL,
  event TEXT NOT NULL,
  headline TEXT NOT NULL,
  severity TEXT NOT NULL,
  urgency TEXT NOT NULL,
  certainty TEXT NOT NULL,
  expires INTEGER NOT NULL,
  origin TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL,
  owner_unit TEXT NOT NULL,
  owner_path TEXT NOT NULL,
  order_id TEXT NOT NULL,
  priority TEXT NOT NULL,
  devices INTEGER NOT NULL,
  text TEXT NOT NULL,
  media_id TEXT NOT NULL,
  xml TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  issued_by INTEGER NOT NULL,
  decided_by INTEGER NOT NULL,
  decided_at INTEGER NOT NULL,
  UNIQUE (sender, identifier)
);
CREATE INDEX alerts_owner ON alerts(owner_path, id);
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
  NGUON_TRY(exec(db.get(), o.synchronous_full
                               ? "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                                 " PRAGMA foreign_keys = ON;"
                               : "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
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

  // Group commit. SQLite admits one writer at a time and, with synchronous = FULL, every COMMIT
  // costs an fsync. Writes of this process queue here; one of them (the leader) runs a batch of
  // queued writes in ONE transaction, each inside its own savepoint (a write that fails or
  // throws is undone alone), commits once, and every caller returns only after that COMMIT: an
  // acknowledged write is committed, as before, and concurrent writers share the fsync. Writes
  // in a batch run in queue order and see the earlier ones, exactly as if they had run one after
  // the other. Other processes (the admin CLI) meet the busy timeout as before. A write started
  // from inside a write of the same thread is refused (it would wait for itself).
  Status write(const std::function<Status(Tx&)>& fn) override {
    if (t_in_write) {
      return internal("sqlite: a write started inside another write of the same thread");
    }
    PendingWrite me{&fn};
    std::unique_lock lock(batch_mu_);
    queue_.push_back(&me);
    while (!me.done) {
      if (leader_active_) {
        batch_cv_.wait(lock);
        continue;
      }
      leader_active_ = true;
      std::vector<PendingWrite*> batch;
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      lock.unlock();
      run_batch(batch);
      lock.lock();
      leader_active_ = false;
      batch_cv_.notify_all();
    }
    lock.unlock();
    if (me.exception) std::rethrow_exception(me.exception);
    return me.result;
  }
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

  // One statement through the statement cache (transaction control runs on every request).
  static Status exec_one(sqlite3* db, const char* sql) {
    Stmt s(db, sql);
    return s.run();
  }

  Status run(const char* begin, const std::function<Status(Tx&)>& fn) {
    auto lease = acquire();
    if (!lease) return lease.error();
    sqlite3* db = lease->get();
    NGUON_TRY(exec_one(db, begin));
    Status result;
    try {
      SqliteTx tx(db);
      result = fn(tx);
    } catch (...) {
      (void)exec_one(db, "ROLLBACK");
      release(std::move(lease.value()));
      throw;
    }
    if (result) {
      result = exec_one(db, "COMMIT");
      if (!result) (void)exec_one(db, "ROLLBACK");
    } else {
      (void)exec_one(db, "ROLLBACK");
    }
    release(std::move(lease.value()));
    return result;
  }

  struct PendingWrite {
    const std::function<Status(Tx&)>* fn;
    Status result;
    std::exception_ptr exception;
    bool done = false;
  };
  static constexpr size_t kMaxBatch = 64;
  static inline thread_local bool t_in_write = false;

  // Runs `batch` in one transaction (see write); marks every entry done.
  void run_batch(const std::vector<PendingWrite*>& batch) {
    auto finish = [&](const Status& all) {
      for (PendingWrite* w : batch) {
        if (all.ok() || w->exception) {
          // keep each write's own result
        } else if (w->result.ok()) {
          w->result = all;  // its changes were lost with the transaction
        }
        w->done = true;
      }
    };
    auto lease = acquire();
    if (!lease) return finish(lease.error());
    sqlite3* db = lease->get();
    if (Status begun = exec_one(db, "BEGIN IMMEDIATE"); !begun) {
      release(std::move(lease.value()));
      return finish(begun);
    }
    for (PendingWrite* w : batch) run_in_savepoint(db, *w);
    Status committed = exec_one(db, "COMMIT");
    if (!committed) (void)exec_one(db, "ROLLBACK");
    release(std::move(lease.value()));
    finish(committed);
  }

  // One write of a batch: its statements are undone alone when it fails or throws.
  static void run_in_savepoint(sqlite3* db, PendingWrite& w) {
    if (Status s = exec_one(db, "SAVEPOINT nguon_write"); !s) {
      w.result = s;
      return;
    }
    t_in_write = true;
    try {
      SqliteTx tx(db);
      w.result = (*w.fn)(tx);
    } catch (...) {
      w.exception = std::current_exception();
    }
    t_in_write = false;
    if (!w.result.ok() || w.exception) (void)exec_one(db, "ROLLBACK TO nguon_write");
    (void)exec_one(db, "RELEASE nguon_write");
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
  // Group commit (see write).
  std::mutex batch_mu_;
  std::condition_variable batch_cv_;
  std::deque<PendingWrite*> queue_;
  bool leader_active_ = false;
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
