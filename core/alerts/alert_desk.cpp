#include "core/alerts/alert_desk.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <tuple>
#include <utility>

#include "core/alerts/alert_rules.h"
#include "core/audit.h"
#include "core/text.h"

namespace nguon::alerts {

namespace json = boost::json;

namespace {

constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxSenderBytes = 500;
constexpr size_t kMaxUrlBytes = 2048;
constexpr size_t kMaxReasonBytes = 1000;
constexpr size_t kMaxHeadlineBytes = 400;
constexpr size_t kMaxDescriptionBytes = 4000;
constexpr size_t kMaxAreas = 50;
constexpr std::array<std::string_view, 12> kCapCategories{
    "Geo",    "Met", "Safety",    "Security", "Rescue", "Fire",
    "Health", "Env", "Transport", "Infra",    "CBRNE",  "Other"};

Error alert_not_found() { return not_found("no such alert"); }
Error source_not_found() { return not_found("no such alert source"); }

bool operates(const access::Principal& p, std::string_view path) {
  return access::has_role(p, Role::kStationOperator, path) ||
         access::has_role(p, Role::kAdmin, path);
}

// The CAP summary of an alert, taken from its spoken info.
AlertRecord summarise(const AlertSource& source, const CapAlert& alert, std::string xml,
                      const std::string& origin, UnixTime now) {
  AlertRecord r;
  r.source_id = source.id;
  r.sender = alert.sender;
  r.identifier = alert.identifier;
  r.sent = alert.sent;
  r.msg_type = to_string(alert.msg_type);
  r.status = to_string(alert.status);
  r.scope = to_string(alert.scope);
  if (const CapInfo* info = spoken_info(alert)) {
    r.event = info->event;
    r.headline = info->headline;
    r.severity = info->severity;
    r.urgency = info->urgency;
    r.certainty = info->certainty;
    r.priority = broadcast_priority(*info);
  }
  r.expires = latest_expiry(alert).value_or(0);
  r.origin = origin;
  r.owner_unit = source.unit_code;
  r.owner_path = source.unit_path;
  r.text = bulletin_text(alert);
  r.xml = std::move(xml);
  r.received_at = now;
  return r;
}

// Why an alert is only recorded, or "" when it may be broadcast.
std::string recorded_only_reason(const CapAlert& alert) {
  if (alert.msg_type == CapMsgType::kAck || alert.msg_type == CapMsgType::kError) {
    return std::string("msgType ") + to_string(alert.msg_type) + ": nothing to broadcast";
  }
  if (alert.msg_type == CapMsgType::kCancel) return "";
  if (alert.status != CapStatus::kActual) {
    return std::string("status ") + to_string(alert.status) + ": recorded, not broadcast";
  }
  if (alert.scope != CapScope::kPublic) {
    return std::string("scope ") + to_string(alert.scope) + ": not for public loudspeakers";
  }
  if (alert.infos.empty()) return "no info block: nothing to say";
  return "";
}

json::object source_json(const AlertSource& s) {
  return {{"sender", s.sender},
          {"name", s.name},
          {"unit", s.unit_code},
          {"feed_url", s.feed_url},
          {"auto_broadcast", s.auto_broadcast},
          {"min_severity", s.min_severity},
          {"min_urgency", s.min_urgency},
          {"min_certainty", s.min_certainty},
          {"enabled", s.enabled}};
}

Status check_scale(std::string_view field, std::string_view value,
                   std::optional<int> (*rank)(std::string_view)) {
  if (!rank(value)) return invalid("invalid_field", std::string(field) + ": unknown value");
  return {};
}

}  // namespace

// Trimmed NFC text of 1..max bytes (required) or 0..max (optional); invalid naming the field.
Result<std::string> clean_text(std::string_view field, const std::string& value, size_t max,
                               bool required) {
  std::string out = text::to_nfc(value);
  out.erase(0, out.find_first_not_of(" \t\r\n"));
  out.erase(out.find_last_not_of(" \t\r\n") + 1);
  if ((required && out.empty()) || out.size() > max) {
    return invalid("invalid_field", std::string(field) + ": " + (required ? "1" : "0") + " to " +
                                        std::to_string(max) + " bytes");
  }
  return out;
}

// "UBND Phường Hạc Thành": the People's Committee issuing in a unit's name (official unit
// names carry their kind).
std::string committee_of(const Unit& u) {
  return u.code == "VN" ? std::string("Nguồn — Việt Nam") : "UBND " + u.name;
}

// ---- intake ------------------------------------------------------------------------------------

Result<AlertSource> AlertDesk::source_for_token(const std::string& token) {
  const Error refused{ErrorKind::kUnauthenticated, "invalid_token",
                      "unknown or disabled CAP source token"};
  if (token.size() < 20 || token.size() > 200) return refused;
  const std::string hash = crypto_.sha256_hex(token);
  std::optional<AlertSource> found;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto all = tx.list_alert_sources();
    if (!all) return all.error();
    for (AlertSource& s : all.value()) {
      // Equal-length hex digests; a timing difference reveals nothing about the token.
      if (!s.token_hash.empty() && s.token_hash == hash) found = std::move(s);
    }
    return {};
  }));
  if (!found || !found->enabled) return refused;
  return *found;
}

Result<AlertRecord> AlertDesk::ingest(const AlertSource& source, const CapAlert& alert,
                                      std::string xml, const std::string& origin) {
  if (!source.enabled) return forbidden("the CAP source " + source.sender + " is disabled");
  if (alert.sender != source.sender) {
    return Error{
        ErrorKind::kForbidden, "sender_mismatch",
        "the alert's sender " + alert.sender + " is not this source (" + source.sender + ")"};
  }
  const UnixTime now = clock_.now();
  if (is_expired(alert, now)) return invalid("cap_expired", "the alert has already expired");
  AlertRecord record = summarise(source, alert, std::move(xml), origin, now);
  record.state = AlertState::kRecorded;
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto id = tx.insert_alert(record);
    if (!id) return id.error();
    record.id = id.value();
    return audit::append(
        tx, crypto_,
        {0, now, "cap:" + source.sender, "alert.receive", "alert:" + std::to_string(record.id), "",
         json::serialize(json::object{{"identifier", record.identifier},
                                      {"msg_type", record.msg_type},
                                      {"status", record.status},
                                      {"origin", origin}}),
         ""});
  }));
  return decide(std::move(record), source, alert);
}

Result<AlertRecord> AlertDesk::decide(AlertRecord record, const AlertSource& source,
                                      const CapAlert& alert) {
  const std::string actor = "cap:" + source.sender;
  if (std::string why = recorded_only_reason(alert); !why.empty()) {
    record.reason = why;
    return save(record, "alert.record", actor);
  }
  if (alert.msg_type == CapMsgType::kCancel) {
    NGUON_TRY(end_referenced(record, alert, AlertState::kCancelled));
    record.reason = "cancels " + std::to_string(alert.references.size()) + " earlier alert(s)";
    return save(record, "alert.record", actor);
  }
  if (alert.msg_type == CapMsgType::kUpdate) {
    NGUON_TRY(end_referenced(record, alert, AlertState::kSuperseded));
  }
  std::optional<Unit> scope;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto u = tx.find_unit(source.unit_code);
    if (!u) return u.error();
    scope = u.value();
    return {};
  }));
  if (!scope) return internal("the source's unit " + source.unit_code + " is gone");
  const CapInfo* info = spoken_info(alert);
  if (!source.auto_broadcast || !meets_auto_thresholds(source, *info)) {
    auto plan = plan_for(alert, *scope);
    if (!plan) return plan.error();
    if (plan->devices == 0) return record_unreachable(std::move(record), *scope);
    record.devices = static_cast<std::int64_t>(plan->devices);  // for the approver to weigh
    record.state = AlertState::kPending;
    record.reason = source.auto_broadcast ? "below the source's thresholds: awaiting approval"
                                          : "the source requires approval";
    return save(record, "alert.queue", actor);
  }
  return dispatch(std::move(record), alert, *scope);
}

Result<TargetPlan> AlertDesk::plan_for(const CapAlert& alert, const Unit& scope) {
  TargetPlan plan;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto devices = tx.devices_in({scope.path}, {});
    if (!devices) return devices.error();
    UnitPathLookup path_of = [&](std::string_view code) -> std::optional<std::string> {
      auto u = tx.find_unit(std::string(code));
      if (!u || !u.value()) return std::nullopt;
      return u.value()->path;
    };
    plan = plan_targets(alert, scope, devices.value(), path_of);
    return {};
  }));
  return plan;
}

Result<AlertRecord> AlertDesk::record_unreachable(AlertRecord record, const Unit& scope) {
  record.state = AlertState::kRecorded;
  record.devices = 0;
  record.reason = "no device of " + scope.code + " lies in the alert's area";
  return save(record, "alert.record", "cap:" + record.sender);
}

Result<AlertRecord> AlertDesk::dispatch(AlertRecord record, const CapAlert& alert,
                                        const Unit& scope) {
  const std::string actor = "cap:" + record.sender;
  auto planned = plan_for(alert, scope);
  if (!planned) return planned.error();
  const TargetPlan& plan = planned.value();
  if (plan.devices == 0) return record_unreachable(std::move(record), scope);
  auto audio = voice_.speak(record.text);
  if (!audio) {
    record.state = AlertState::kPending;
    record.reason = "speech synthesis failed: " + audio.error().message;
    return save(record, "alert.queue", actor);
  }
  record.media_id = audio->sha256;
  SystemBroadcast order;
  order.owner_unit = scope.code;
  order.areas = plan.areas;
  order.device_ids = plan.device_ids;
  order.priority = record.priority;
  ProgrammeItem item;
  item.kind = ProgrammeItemKind::kMedia;
  item.sha256 = audio->sha256;
  item.duration_ms = audio->duration_ms;
  item.title = record.headline.empty() ? record.event : record.headline;
  order.items = {item};
  order.repeat = options_.repeat;
  order.volume = options_.volume;
  order.actor = actor;
  auto placed = devices_.broadcast_system(order);
  if (!placed && placed.error().kind != ErrorKind::kUnavailable) {
    record.state = AlertState::kPending;
    record.reason = "the broadcast failed: " + placed.error().message;
    return save(record, "alert.queue", actor);
  }
  // kUnavailable: recorded and signed, the broker is down; the order goes out when approved
  // again, and the reason says so.
  record.state = placed ? AlertState::kBroadcast : AlertState::kPending;
  record.reason = placed ? "" : "the broker is unreachable: " + placed.error().message;
  if (placed) {
    record.order_id = placed->order;
    record.devices = static_cast<std::int64_t>(placed->devices);
  }
  return save(record, placed ? "alert.broadcast" : "alert.queue", actor);
}

Status AlertDesk::end_referenced(const AlertRecord& record, const CapAlert& alert,
                                 AlertState end_state) {
  for (const CapReference& ref : alert.references) {
    // Only the sender of an alert may cancel or update it.
    if (ref.sender != alert.sender) continue;
    std::optional<AlertRecord> earlier;
    NGUON_TRY(store_.read([&](Tx& tx) -> Status {
      auto found = tx.find_alert_by_identifier(ref.sender, ref.identifier);
      if (!found) return found.error();
      earlier = std::move(found.value());
      return {};
    }));
    if (!earlier) continue;
    if (earlier->state == AlertState::kBroadcast && !earlier->order_id.empty()) {
      Status stopped = devices_.stop_order_system(earlier->order_id, "cap:" + alert.sender);
      if (!stopped && stopped.error().kind != ErrorKind::kUnavailable) return stopped;
    } else if (earlier->state != AlertState::kPending) {
      continue;  // already ended, rejected or never broadcast: its state stays
    }
    earlier->state = end_state;
    earlier->reason =
        std::string(end_state == AlertState::kCancelled ? "cancelled" : "superseded") + " by " +
        record.identifier;
    earlier->decided_at = clock_.now();
    auto saved =
        save(*earlier, end_state == AlertState::kCancelled ? "alert.cancel" : "alert.supersede",
             "cap:" + alert.sender);
    if (!saved) return saved.error();
  }
  return {};
}

Result<AlertRecord> AlertDesk::save(const AlertRecord& record, const std::string& action,
                                    const std::string& actor) {
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    NGUON_TRY(tx.update_alert(record));
    json::object after{{"state", alert_names::state_name(record.state)},
                       {"reason", record.reason},
                       {"order", record.order_id},
                       {"devices", record.devices}};
    return audit::append(tx, crypto_,
                         {0, clock_.now(), actor, action, "alert:" + std::to_string(record.id), "",
                          json::serialize(after), ""});
  }));
  return record;
}

// ---- operators -------------------------------------------------------------------------------

Result<AlertRecord> AlertDesk::load_operated(Tx& tx, const access::Principal& p, std::int64_t id) {
  auto found = tx.find_alert(id);
  if (!found) return found.error();
  if (!found.value() || !access::can_read(p, found.value()->owner_path)) return alert_not_found();
  if (!operates(p, found.value()->owner_path)) {
    return forbidden("you are not a station operator of " + found.value()->owner_unit);
  }
  return std::move(*found.value());
}

Result<AlertRecord> AlertDesk::load_for_action(const access::Principal& p, std::int64_t id,
                                               AlertState required, const char* code,
                                               const char* message) {
  std::optional<AlertRecord> record;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto r = load_operated(tx, p, id);
    if (!r) return r.error();
    if (r->state != required) return conflict(code, message);
    record = std::move(r.value());
    return {};
  }));
  return std::move(*record);
}

Result<AlertRecord> AlertDesk::get(const access::Principal& p, std::int64_t id) {
  std::optional<AlertRecord> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto found = tx.find_alert(id);
    if (!found) return found.error();
    if (!found.value() || !access::can_read(p, found.value()->owner_path)) {
      return alert_not_found();
    }
    out = std::move(found.value());
    return {};
  }));
  return std::move(*out);
}

Result<std::vector<AlertRecord>> AlertDesk::list(const access::Principal& p, AlertQuery query) {
  std::vector<AlertRecord> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    for (const std::string& root : access::read_roots(p)) {
      if (!query.within_path.empty() && !root.starts_with(query.within_path) &&
          !query.within_path.starts_with(root)) {
        continue;
      }
      AlertQuery q = query;
      q.within_path = root.size() > query.within_path.size() ? root : query.within_path;
      q.limit = query.limit + query.offset;
      q.offset = 0;
      auto rows = tx.list_alerts(q);
      if (!rows) return rows.error();
      out.insert(out.end(), rows->begin(), rows->end());
    }
    return {};
  }));
  std::sort(out.begin(), out.end(),
            [](const AlertRecord& a, const AlertRecord& b) { return a.id > b.id; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const AlertRecord& a, const AlertRecord& b) { return a.id == b.id; }),
            out.end());
  if (query.offset >= out.size()) return std::vector<AlertRecord>{};
  out.erase(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(query.offset));
  if (out.size() > query.limit) out.resize(query.limit);
  return out;
}

Result<AlertRecord> AlertDesk::approve(const access::Principal& p, std::int64_t id,
                                       const RequestOrigin& origin) {
  std::optional<AlertRecord> record;
  std::optional<Unit> scope;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto r = load_operated(tx, p, id);
    if (!r) return r.error();
    if (r->state != AlertState::kPending) {
      return conflict("not_pending", "only a pending alert can be approved");
    }
    if (options_.second_approver && r->issued_by != 0 && r->issued_by == p.user_id) {
      return Error{ErrorKind::kForbidden, "second_approver_required",
                   "another operator must approve an alert you issued"};
    }
    auto u = tx.find_unit(r->owner_unit);
    if (!u) return u.error();
    if (!u.value()) return internal("the alert's unit " + r->owner_unit + " is gone");
    record = std::move(r.value());
    scope = std::move(u.value());
    return {};
  }));
  if (record->expires != 0 && record->expires <= clock_.now()) {
    return invalid("cap_expired", "the alert has expired; it can only be rejected");
  }
  auto alert = codec_.decode(record->xml);
  if (!alert) return internal("the stored CAP document no longer parses: " + alert.error().message);
  record->decided_by = p.user_id;
  record->decided_at = clock_.now();
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    return audit::append(tx, crypto_,
                         {0, clock_.now(), origin.actor, "alert.approve",
                          "alert:" + std::to_string(id), "", "", origin.ip});
  }));
  return dispatch(std::move(*record), alert.value(), *scope);
}

Result<AlertRecord> AlertDesk::reject(const access::Principal& p, std::int64_t id,
                                      const std::string& reason, const RequestOrigin& origin) {
  std::string why = text::to_nfc(reason);
  why.erase(0, why.find_first_not_of(" \t\r\n"));
  why.erase(why.find_last_not_of(" \t\r\n") + 1);
  if (why.empty() || why.size() > kMaxReasonBytes) {
    return invalid("invalid_field", "reason: 1 to 1000 bytes required");
  }
  auto record = load_for_action(p, id, AlertState::kPending, "not_pending",
                                "only a pending alert can be rejected");
  if (!record) return record.error();
  record->state = AlertState::kRejected;
  record->reason = why;
  record->decided_by = p.user_id;
  record->decided_at = clock_.now();
  return save(*record, "alert.reject", origin.actor);
}

Result<AlertRecord> AlertDesk::stop(const access::Principal& p, std::int64_t id,
                                    const RequestOrigin& origin) {
  auto record = load_for_action(p, id, AlertState::kBroadcast, "not_broadcast",
                                "only an alert on air can be stopped");
  if (!record) return record.error();
  Status stopped = devices_.stop_order_system(record->order_id, origin.actor);
  if (!stopped && stopped.error().kind != ErrorKind::kUnavailable) return stopped.error();
  record->decided_by = p.user_id;
  record->decided_at = clock_.now();
  if (record->origin != "console") {
    record->state = AlertState::kStopped;
    record->reason = "stopped by " + origin.actor;
    return save(*record, "alert.stop", origin.actor);
  }
  // Ours: the stop is a CAP Cancel, published for the systems that follow our feed.
  record->state = AlertState::kCancelled;
  record->reason = "cancelled by " + origin.actor;
  auto saved = save(*record, "alert.cancel", origin.actor);
  if (!saved) return saved.error();
  auto original = codec_.decode(record->xml);
  if (!original) return internal("the stored CAP document no longer parses");
  CapAlert cancel;
  cancel.identifier = record->identifier + "-HUY";
  cancel.sender = record->sender;
  cancel.sent = std::max(clock_.now(), original->sent + 1);
  cancel.status = original->status;
  cancel.msg_type = CapMsgType::kCancel;
  cancel.scope = CapScope::kPublic;
  cancel.references = {{original->sender, original->identifier, original->sent}};
  cancel.note = "Đã hủy: " + record->headline;
  Unit owner;
  owner.code = record->owner_unit;
  owner.path = record->owner_path;
  auto published = record_local(cancel, owner, p.user_id, origin);
  if (!published) return published.error();
  return saved;
}

Result<CapAlert> AlertDesk::local_alert(Tx& tx, const access::Principal& p, LocalAlertDraft& d,
                                        Unit& owner) {
  auto unit = tx.find_unit(d.owner_unit);
  if (!unit) return unit.error();
  if (!unit.value() || !access::can_read(p, unit.value()->path)) {
    return invalid("invalid_reference", "owner_unit: no unit " + d.owner_unit);
  }
  if (!operates(p, unit.value()->path)) {
    return forbidden("you are not a station operator of " + d.owner_unit);
  }
  owner = std::move(*unit.value());
  if (d.status != "Actual" && d.status != "Exercise" && d.status != "Test") {
    return invalid("invalid_field", "status: Actual, Exercise or Test");
  }
  if (std::find(kCapCategories.begin(), kCapCategories.end(), d.category) == kCapCategories.end()) {
    return invalid("invalid_field", "category: a CAP category (Geo, Met, Safety, …)");
  }
  NGUON_TRY(check_scale("severity", d.severity, severity_rank));
  NGUON_TRY(check_scale("urgency", d.urgency, urgency_rank));
  NGUON_TRY(check_scale("certainty", d.certainty, certainty_rank));
  if (d.expires_minutes < 5 || d.expires_minutes > 10080) {
    return invalid("invalid_field", "expires_minutes: 5 to 10080");
  }
  CapInfo info;
  info.language = "vi-VN";
  info.categories = {d.category};
  for (auto [field, value, max, required] :
       {std::tuple{"event", &d.event, kMaxNameBytes, true},
        {"headline", &d.headline, kMaxHeadlineBytes, true},
        {"description", &d.description, kMaxDescriptionBytes, false},
        {"instruction", &d.instruction, kMaxDescriptionBytes, false}}) {
    auto cleaned = clean_text(field, *value, max, required);
    if (!cleaned) return cleaned.error();
    *value = std::move(cleaned.value());
  }
  if (d.areas.empty() && d.polygon.empty()) {
    return invalid("invalid_field", "areas: choose units or draw a polygon");
  }
  if (d.areas.size() > kMaxAreas) return invalid("invalid_field", "areas: at most 50 units");
  for (const std::string& code : d.areas) {
    auto u = tx.find_unit(code);
    if (!u) return u.error();
    if (!u.value() || !u.value()->path.starts_with(owner.path)) {
      return invalid("invalid_reference", "areas: " + code + " is not inside " + owner.code);
    }
    CapArea area;
    area.area_desc = u.value()->name;
    area.geocodes = {{std::string(kAdminGeocodeName), code}};
    info.areas.push_back(std::move(area));
  }
  if (!d.polygon.empty()) {
    if (!(d.polygon.front() == d.polygon.back())) d.polygon.push_back(d.polygon.front());
    Status ring = validate_polygon(d.polygon);
    if (!ring) return invalid("invalid_field", "polygon: " + ring.error().message);
    CapArea drawn;
    drawn.area_desc = "Vùng cảnh báo vẽ trên bản đồ";
    drawn.polygons = {d.polygon};
    info.areas.push_back(std::move(drawn));
  }
  const UnixTime now = clock_.now();
  info.event = d.event;
  info.urgency = d.urgency;
  info.severity = d.severity;
  info.certainty = d.certainty;
  info.expires = now + static_cast<UnixTime>(d.expires_minutes) * 60;
  info.sender_name = committee_of(owner);
  info.headline = d.headline;
  info.description = d.description;
  info.instruction = d.instruction;
  CapAlert alert;
  alert.identifier =
      "NGUON-" + owner.code + "-" + std::to_string(now) + "-" + crypto_.random_hex(4);
  alert.sender = options_.sender;
  alert.sent = now;
  alert.status = d.status == "Test"       ? CapStatus::kTest
                 : d.status == "Exercise" ? CapStatus::kExercise
                                          : CapStatus::kActual;
  alert.msg_type = CapMsgType::kAlert;
  alert.scope = CapScope::kPublic;
  alert.infos = {std::move(info)};
  return alert;
}

Result<AlertRecord> AlertDesk::record_local(const CapAlert& alert, const Unit& owner,
                                            std::int64_t user, const RequestOrigin& origin) {
  std::string xml = codec_.encode(alert);
  // What we publish must pass the schema we demand of others.
  if (auto valid = codec_.decode(xml); !valid) {
    return internal("the issued CAP document fails validation: " + valid.error().message);
  }
  AlertSource self;
  self.sender = options_.sender;
  self.unit_code = owner.code;
  self.unit_path = owner.path;
  AlertRecord record = summarise(self, alert, std::move(xml), "console", clock_.now());
  record.issued_by = user;
  record.state = AlertState::kRecorded;
  if (alert.msg_type == CapMsgType::kCancel) {
    record.reason = "cancels " + alert.references.front().identifier;
  }
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto id = tx.insert_alert(record);
    if (!id) return id.error();
    record.id = id.value();
    return audit::append(tx, crypto_,
                         {0, record.received_at, origin.actor, "alert.issue",
                          "alert:" + std::to_string(record.id), "",
                          json::serialize(json::object{{"identifier", record.identifier},
                                                       {"msg_type", record.msg_type},
                                                       {"status", record.status},
                                                       {"headline", record.headline}}),
                          origin.ip});
  }));
  return record;
}

Result<AlertRecord> AlertDesk::issue(const access::Principal& p, LocalAlertDraft draft,
                                     const RequestOrigin& origin) {
  Unit owner;
  std::optional<CapAlert> alert;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto built = local_alert(tx, p, draft, owner);
    if (!built) return built.error();
    alert = std::move(built.value());
    return {};
  }));
  auto record = record_local(*alert, owner, p.user_id, origin);
  if (!record) return record.error();
  if (std::string why = recorded_only_reason(*alert); !why.empty()) {
    record->reason = why;
    return save(*record, "alert.record", origin.actor);
  }
  if (options_.second_approver) {
    auto plan = plan_for(*alert, owner);
    if (!plan) return plan.error();
    if (plan->devices == 0) return record_unreachable(std::move(record.value()), owner);
    record->devices = static_cast<std::int64_t>(plan->devices);
    record->state = AlertState::kPending;
    record->reason = "awaiting a second operator's approval";
    return save(*record, "alert.queue", origin.actor);
  }
  return dispatch(std::move(record.value()), *alert, owner);
}

Result<std::vector<AlertRecord>> AlertDesk::published(std::size_t limit) {
  std::vector<AlertRecord> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    AlertQuery q;
    q.origin = "console";
    q.limit = limit;
    auto rows = tx.list_alerts(q);
    if (!rows) return rows.error();
    out = std::move(rows.value());
    return {};
  }));
  return out;
}

Result<AlertRecord> AlertDesk::published_one(std::int64_t id) {
  std::optional<AlertRecord> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto found = tx.find_alert(id);
    if (!found) return found.error();
    if (!found.value() || found.value()->origin != "console") return alert_not_found();
    out = std::move(found.value());
    return {};
  }));
  return std::move(*out);
}

// ---- sources ---------------------------------------------------------------------------------

Status AlertDesk::check_source(Tx& tx, const access::Principal& p, AlertSource& s) {
  s.name = text::to_nfc(s.name);
  if (s.name.empty() || s.name.size() > kMaxNameBytes) {
    return invalid("invalid_field", "name: 1 to 200 bytes");
  }
  if (s.sender.empty() || s.sender.size() > kMaxSenderBytes ||
      s.sender.find_first_of(" \t\r\n,<>&\"'") != std::string::npos) {
    return invalid("invalid_field", "sender: the CAP <sender>, without spaces, commas or markup");
  }
  if (!s.feed_url.empty() &&
      (s.feed_url.size() > kMaxUrlBytes ||
       !(s.feed_url.starts_with("http://") || s.feed_url.starts_with("https://")))) {
    return invalid("invalid_field", "feed_url: an http or https URL");
  }
  NGUON_TRY(check_scale("min_severity", s.min_severity, severity_rank));
  NGUON_TRY(check_scale("min_urgency", s.min_urgency, urgency_rank));
  NGUON_TRY(check_scale("min_certainty", s.min_certainty, certainty_rank));
  auto unit = tx.find_unit(s.unit_code);
  if (!unit) return unit.error();
  if (!unit.value() || !access::can_read(p, unit.value()->path)) {
    return invalid("invalid_reference", "unit_code: no unit " + s.unit_code);
  }
  if (!access::has_role(p, Role::kAdmin, unit.value()->path)) {
    return forbidden("you are not an administrator of " + s.unit_code);
  }
  s.unit_path = unit.value()->path;
  return {};
}

Result<CreatedSource> AlertDesk::create_source(const access::Principal& p, SourceDraft draft,
                                               const RequestOrigin& origin) {
  CreatedSource out;
  AlertSource& s = out.source;
  s.sender = std::move(draft.sender);
  s.name = std::move(draft.name);
  s.unit_code = std::move(draft.unit_code);
  s.feed_url = std::move(draft.feed_url);
  s.auto_broadcast = draft.auto_broadcast;
  s.min_severity = std::move(draft.min_severity);
  s.min_urgency = std::move(draft.min_urgency);
  s.min_certainty = std::move(draft.min_certainty);
  s.enabled = draft.enabled;
  s.created_at = clock_.now();
  out.token = crypto_.random_hex(32);
  s.token_hash = crypto_.sha256_hex(out.token);
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    NGUON_TRY(check_source(tx, p, s));
    auto id = tx.insert_alert_source(s);
    if (!id) return id.error();
    s.id = id.value();
    return audit::append(
        tx, crypto_,
        {0, s.created_at, origin.actor, "alert_source.create",
         "alert_source:" + std::to_string(s.id), "", json::serialize(source_json(s)), origin.ip});
  }));
  return out;
}

Result<AlertSource> AlertDesk::update_source(const access::Principal& p, std::int64_t id,
                                             SourcePatch patch, const RequestOrigin& origin) {
  AlertSource s;
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto found = tx.find_alert_source(id);
    if (!found) return found.error();
    if (!found.value() || !access::can_read(p, found.value()->unit_path)) {
      return source_not_found();
    }
    if (!access::has_role(p, Role::kAdmin, found.value()->unit_path)) {
      return forbidden("you are not an administrator of " + found.value()->unit_code);
    }
    s = std::move(*found.value());
    const json::object before = source_json(s);
    for (auto [field, value] : {std::pair{&s.name, &patch.name},
                                {&s.unit_code, &patch.unit_code},
                                {&s.feed_url, &patch.feed_url},
                                {&s.min_severity, &patch.min_severity},
                                {&s.min_urgency, &patch.min_urgency},
                                {&s.min_certainty, &patch.min_certainty}}) {
      if (*value) *field = std::move(**value);
    }
    if (patch.auto_broadcast) s.auto_broadcast = *patch.auto_broadcast;
    if (patch.enabled) s.enabled = *patch.enabled;
    NGUON_TRY(check_source(tx, p, s));
    NGUON_TRY(tx.update_alert_source(s));
    return audit::append(
        tx, crypto_,
        {0, clock_.now(), origin.actor, "alert_source.update", "alert_source:" + std::to_string(id),
         json::serialize(before), json::serialize(source_json(s)), origin.ip});
  }));
  return s;
}

Result<std::string> AlertDesk::new_token(const access::Principal& p, std::int64_t id,
                                         const RequestOrigin& origin) {
  const std::string token = crypto_.random_hex(32);
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto found = tx.find_alert_source(id);
    if (!found) return found.error();
    if (!found.value() || !access::can_read(p, found.value()->unit_path)) {
      return source_not_found();
    }
    if (!access::has_role(p, Role::kAdmin, found.value()->unit_path)) {
      return forbidden("you are not an administrator of " + found.value()->unit_code);
    }
    found.value()->token_hash = crypto_.sha256_hex(token);
    NGUON_TRY(tx.update_alert_source(*found.value()));
    return audit::append(tx, crypto_,
                         {0, clock_.now(), origin.actor, "alert_source.token",
                          "alert_source:" + std::to_string(id), "", "", origin.ip});
  }));
  return token;
}

Result<std::vector<AlertSource>> AlertDesk::sources(const access::Principal& p) {
  std::vector<AlertSource> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto all = tx.list_alert_sources();
    if (!all) return all.error();
    for (AlertSource& s : all.value()) {
      if (access::has_role(p, Role::kAdmin, s.unit_path)) out.push_back(std::move(s));
    }
    return {};
  }));
  return out;
}

Result<std::vector<AlertSource>> AlertDesk::polled_sources() {
  std::vector<AlertSource> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto all = tx.list_alert_sources();
    if (!all) return all.error();
    for (AlertSource& s : all.value()) {
      if (s.enabled && !s.feed_url.empty()) out.push_back(std::move(s));
    }
    return {};
  }));
  return out;
}

Status AlertDesk::record_poll(std::int64_t source_id, const std::string& error) {
  return store_.write([&](Tx& tx) -> Status {
    auto found = tx.find_alert_source(source_id);
    if (!found) return found.error();
    if (!found.value()) return source_not_found();
    found.value()->last_polled_at = clock_.now();
    found.value()->last_poll_error = error.substr(0, kMaxReasonBytes);
    return tx.update_alert_source(*found.value());
  });
}

}  // namespace nguon::alerts

namespace nguon::alerts {

Result<AlertBoard> AlertDesk::board(const access::Principal& p, std::int64_t id) {
  auto alert = get(p, id);
  if (!alert) return alert.error();
  return devices_.order_board(alert->order_id);
}

}  // namespace nguon::alerts
