// The repository contract. Every backend (adapters/db/sqlite, adapters/db/postgres) implements
// it and passes the same contract suite (tests/store/store_contract_test.cpp).
//
// Usage: `store.write([&](Tx& tx) -> Status { ... })` runs the function in one transaction that
// commits only when it returns ok; on an error or exception it rolls back, so a request is
// never half-written. `read` gives a consistent snapshot. Tx objects must not escape the lambda.
// Store is thread-safe (each call takes its own connection); a Tx is not.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/alerts_model.h"
#include "core/bulletins_model.h"
#include "core/devices_model.h"
#include "core/feedback_model.h"
#include "core/model.h"
#include "core/result.h"

namespace nguon {

struct UnitQuery {
  std::string within_path;  // only units whose path starts with this ("" = all)
  std::string fold;         // substring of the folded name ("" = any)
  std::optional<UnitLevel> level;
  size_t limit = 50;
};

// Both per-contact counts of the intake (Tx::contact_counts).
struct ContactCounts {
  std::int64_t recent = 0;    // count_recent_by_contact
  std::int64_t accepted = 0;  // count_accepted_by_contact
};

// The notification part of Tx::insert_feedback_with: notify_role_over(unit_path, role, note,
// except_over_path) where note.message = message_before + "#<new feedback id>" + message_after
// and note.feedback_id = the new id.
struct RoleNotice {
  Role role = Role::kFeedbackHandler;
  std::string unit_path;
  std::string except_over_path;
  Notification note;
  std::string message_before;
  std::string message_after;
};

// A text naming a feedback that is not stored yet: before + "#<id>" + after.
struct TextAroundId {
  std::string before;
  std::string after;
  std::string with(std::int64_t id) const { return before + "#" + std::to_string(id) + after; }
};

// The e-mail to the handling agency that Tx::insert_feedback_with queues in the outbox for the
// new feedback (feedback_id set, first attempt at created_at).
struct IntakeMail {
  std::string to;
  TextAroundId subject;
  TextAroundId body;
  UnixTime created_at = 0;

  OutboxMail for_feedback(std::int64_t id) const {
    OutboxMail m;
    m.to = to;
    m.subject = subject.with(id);
    m.body = body.with(id);
    m.feedback_id = id;
    m.created_at = m.next_attempt_at = created_at;
    return m;
  }
};

// The anti-abuse condition of Tx::insert_feedback_with, checked against the stored rows in the
// same statement as the insert: the contact (contact_hash) sent fewer than `max_recent`
// submissions since `since` and, with `require_accepted`, had one accepted before (see
// ContactCounts). An empty contact_hash checks nothing.
struct IntakeGuard {
  std::string contact_hash;
  UnixTime since = 0;
  std::int64_t max_recent = 0;
  bool require_accepted = false;
};

// What Tx::insert_feedback_with did: the new id, or 0 when the guard refused (nothing was
// written); and the contact's counts as the guard read them (zeros without a contact_hash).
struct IntakeResult {
  std::int64_t id = 0;
  ContactCounts counts;
};

class Tx {
 public:
  virtual ~Tx() = default;

  // Units. insert fails with conflict("unit_exists") on a duplicate code.
  virtual Status insert_unit(const Unit& unit) = 0;
  virtual Status update_unit_name(const std::string& code, const std::string& name,
                                  const std::string& fold) = 0;
  virtual Result<std::optional<Unit>> find_unit(const std::string& code) = 0;
  virtual Result<std::vector<Unit>> children(const std::string& parent_code) = 0;
  // Ordered by level, then code.
  virtual Result<std::vector<Unit>> search_units(const UnitQuery& query) = 0;
  virtual Result<std::int64_t> count_units(std::optional<UnitLevel> level) = 0;

  virtual Status insert_legacy(const LegacyCommune& row) = 0;
  virtual Result<std::vector<LegacyCommune>> find_legacy(const std::string& old_code) = 0;

  // Users. insert assigns and returns the id; fails with conflict("username_taken").
  virtual Result<std::int64_t> insert_user(const User& user) = 0;
  // Updates every column but id, username and created_at; replaces the grants.
  virtual Status update_user(const User& user) = 0;
  virtual Result<std::optional<User>> find_user(std::int64_t id) = 0;
  virtual Result<std::optional<User>> find_user_by_name(const std::string& username) = 0;
  // Users whose unit lies under `within_path` ("" = all), ordered by username.
  virtual Result<std::vector<User>> list_users(const std::string& within_path) = 0;
  virtual Result<std::int64_t> count_users() = 0;

  virtual Status insert_session(const Session& session) = 0;
  virtual Result<std::optional<Session>> find_session(const std::string& token_hash) = 0;
  virtual Status delete_session(const std::string& token_hash) = 0;
  virtual Status delete_user_sessions(std::int64_t user_id) = 0;
  virtual Status delete_expired_sessions(UnixTime now) = 0;

  virtual Result<std::int64_t> insert_token(const ApiToken& token) = 0;
  virtual Result<std::optional<ApiToken>> find_token_by_hash(const std::string& token_hash) = 0;
  virtual Result<std::vector<ApiToken>> list_tokens(std::int64_t user_id) = 0;
  virtual Status revoke_token(std::int64_t user_id, std::int64_t token_id) = 0;

  // Audit. append_audit serialises appenders (the backend locks) so the chain stays linear;
  // `last_audit` must be read inside the same write transaction.
  virtual Result<std::optional<AuditEntry>> last_audit() = 0;
  virtual Status append_audit(const AuditEntry& entry) = 0;
  // Entries with seq > after_seq, ascending, at most `limit`.
  virtual Result<std::vector<AuditEntry>> scan_audit(std::int64_t after_seq, size_t limit) = 0;
  // Newest first, at most `limit`.
  virtual Result<std::vector<AuditEntry>> recent_audit(size_t limit) = 0;

  // --- Bulletins (schema v2) ---
  // insert assigns and returns the id; stores target_units and images too. `owner_path` is the
  // owner unit's path (kept on the row so scope filters are prefix tests).
  virtual Result<std::int64_t> insert_bulletin(const Bulletin& b,
                                               const std::string& owner_path) = 0;
  // Updates every column but id, owner_unit, author_id and created_at; replaces targets and images.
  virtual Status update_bulletin(const Bulletin& b) = 0;
  virtual Result<std::optional<Bulletin>> find_bulletin(std::int64_t id) = 0;
  // Newest (highest id) first; see BulletinQuery.
  virtual Result<std::vector<Bulletin>> search_bulletins(const BulletinQuery& q) = 0;
  // Published bulletins whose owner unit is a strict ancestor of the unit at `unit_path`, valid
  // at `now` (valid_from <= now, and valid_until == 0 or > now), and which either have no
  // targets or have a target on the path (an ancestor of, equal to, or below the unit).
  // Ordered by priority (emergency first), then published_at descending, then id descending.
  virtual Result<std::vector<Bulletin>> library_bulletins(const std::string& unit_path,
                                                          UnixTime now, size_t limit) = 0;
  virtual Status insert_revision(const BulletinRevision& r) = 0;
  // Ascending by revision.
  virtual Result<std::vector<BulletinRevision>> list_revisions(std::int64_t bulletin_id) = 0;

  virtual Result<std::int64_t> insert_notification(const Notification& n) = 0;
  // Newest first, at most `limit`.
  virtual Result<std::vector<Notification>> list_notifications(std::int64_t user_id,
                                                               bool unread_only, size_t limit) = 0;
  // Marks the user's notifications with id <= up_to_id as read.
  virtual Status mark_notifications_read(std::int64_t user_id, std::int64_t up_to_id) = 0;
  // Ids of enabled users holding `role` on the unit at `unit_path` or one of its ancestors,
  // ascending.
  virtual Result<std::vector<std::int64_t>> users_with_role_over(const std::string& unit_path,
                                                                 Role role) = 0;
  // One statement: a copy of `n` (its user_id ignored) for each user users_with_role_over
  // (unit_path, role) names, except those who also hold `role` over `except_over_path` (when
  // not empty). Returns how many were inserted. An unknown bulletin: invalid("invalid_reference").
  virtual Result<std::int64_t> notify_role_over(const std::string& unit_path, Role role,
                                                const Notification& n,
                                                const std::string& except_over_path) = 0;

  // Per-unit settings (key/value text), e.g. "four_eyes" = "true"/"false", "intro_media".
  virtual Result<std::optional<std::string>> unit_setting(const std::string& unit_code,
                                                          const std::string& key) = 0;
  // Upsert; an empty value deletes the setting.
  virtual Status set_unit_setting(const std::string& unit_code, const std::string& key,
                                  const std::string& value) = 0;

  // ---- Broadcast capability (schema v3, issue 4) ----
  // Every "not_found" below means no row has that id; nothing is written then.

  // Devices. insert: conflict("device_exists") on a duplicate id, conflict("serial_exists") on
  // a serial already used by a device that is not decommissioned; an unknown commune or village
  // is invalid("invalid_reference"). The reported state (online, last_seen, state_json) starts
  // as given.
  virtual Status insert_device(const Device& device) = 0;
  // Replaces every registry field, i.e. all but id, created_at and the reported state (online,
  // last_seen, state_json). Same conflicts as insert; not_found for an unknown id.
  virtual Status update_device(const Device& device) = 0;
  virtual Result<std::optional<Device>> find_device(const std::string& device_id) = 0;
  // Filters as DeviceQuery says; ordered by name, then id.
  virtual Result<std::vector<Device>> list_devices(const DeviceQuery& query) = 0;
  // Counts of the devices whose unit_path starts with `within_path` ("" = all).
  virtual Result<DeviceCounts> count_devices(const std::string& within_path) = 0;
  // Records a reported state: online, last_seen = ts, state_json verbatim; the device counts as
  // playing while online and `state_json` decodes (protocol::decode_state) with `playing` set.
  // Unknown device: not_found.
  virtual Status set_device_state(const std::string& device_id, bool online, UnixTime ts,
                                  const std::string& state_json) = 0;
  // Devices that are not decommissioned and either lie under one of `unit_paths` (prefix test)
  // or belong to one of `group_ids`; each once, ordered by id. Both lists empty: none.
  virtual Result<std::vector<Device>> devices_in(const std::vector<std::string>& unit_paths,
                                                 const std::vector<std::int64_t>& group_ids) = 0;

  // Device groups. insert assigns and returns the id; stores unit_path as given (the caller
  // resolves it) and the members in order. An unknown unit or member device is
  // invalid("invalid_reference"). update replaces name, unit and members; update and delete
  // answer not_found for an unknown id.
  virtual Result<std::int64_t> insert_group(const DeviceGroup& group) = 0;
  virtual Status update_group(const DeviceGroup& group) = 0;
  virtual Status delete_group(std::int64_t group_id) = 0;
  virtual Result<std::optional<DeviceGroup>> find_group(std::int64_t group_id) = 0;
  // Groups whose unit_path starts with `within_path`, ordered by name, then id.
  virtual Result<std::vector<DeviceGroup>> list_groups(const std::string& within_path) = 0;
  // Ids of the groups containing the device, ascending.
  virtual Result<std::vector<std::int64_t>> groups_of(const std::string& device_id) = 0;

  // Programmes (recurring slots). insert assigns and returns the id and stores owner_path as
  // given; update rewrites every field but id, owner_unit, owner_path, created_by, created_at.
  virtual Result<std::int64_t> insert_programme(const Programme& programme) = 0;
  virtual Status update_programme(const Programme& programme) = 0;
  virtual Status delete_programme(std::int64_t programme_id) = 0;
  virtual Result<std::optional<Programme>> find_programme(std::int64_t programme_id) = 0;
  // Enabled and disabled programmes whose owner_path starts with `within_path`, by id.
  virtual Result<std::vector<Programme>> list_programmes(const std::string& within_path) = 0;
  // Every enabled programme, by id, for manifest compilation.
  virtual Result<std::vector<Programme>> enabled_programmes() = 0;

  // The signing system's sequence counter: each call returns a value greater than every value
  // returned to a committed transaction before, by any server instance, even under concurrent
  // writers. A value taken by a transaction that rolls back may be skipped (PostgreSQL) or
  // handed out again (SQLite), so sign with it but publish only after commit. Write
  // transactions only.
  virtual Result<std::int64_t> next_order_seq() = 0;
  // conflict("order_exists") on a duplicate id.
  virtual Status insert_order(const BroadcastOrder& order) = 0;
  virtual Result<std::optional<BroadcastOrder>> find_order(const std::string& order_id) = 0;
  // Sets stopped_at; not_found for an unknown order.
  virtual Status mark_order_stopped(const std::string& order_id, UnixTime at) = 0;

  // Play logs. insert returns false (and writes nothing) when (device_id, event_id) exists;
  // an unknown device is invalid("invalid_reference").
  virtual Result<bool> insert_play_log(const PlayLog& log) = 0;
  // Filters as PlayLogQuery says (ts in [from, to), to = 0 open); newest ts first, then id
  // descending.
  virtual Result<std::vector<PlayLog>> list_play_logs(const PlayLogQuery& query) = 0;
  // Broadcast seconds per commune (group_by "commune": key = commune_code) or per device
  // (group_by "device": key = device_id): the sum of ended - started and the number of rows
  // over `played` and `interrupted` logs with started > 0 and ended >= started, whose
  // unit_path starts with `within_path` and whose `started` lies in [from, to) (to = 0 open).
  // Ordered by seconds descending, then key. Another group_by is invalid("invalid_field").
  virtual Result<std::vector<AirtimeRow>> airtime(const std::string& within_path,
                                                  const std::string& group_by, UnixTime from,
                                                  UnixTime to) = 0;
  // ---- Two-way capability (schema v4, issue 5) ----
  // Every "not_found" below means no row has that id; nothing is written then.

  // Categories (Open311 services). upsert inserts or replaces by code.
  virtual Status upsert_feedback_service(const FeedbackService& service) = 0;
  virtual Result<std::optional<FeedbackService>> find_feedback_service(const std::string& code) = 0;
  // Ordered by group, then code; inactive ones only when `include_inactive`.
  virtual Result<std::vector<FeedbackService>> list_feedback_services(bool include_inactive) = 0;

  // Agencies. insert assigns and returns the id; update rewrites all but id; an unknown unit is
  // invalid("invalid_reference").
  virtual Result<std::int64_t> insert_agency(const Agency& agency) = 0;
  virtual Status update_agency(const Agency& agency) = 0;
  virtual Result<std::optional<Agency>> find_agency(std::int64_t id) = 0;
  // Agencies whose unit_path starts with `within_path`, ordered by name, then id.
  virtual Result<std::vector<Agency>> list_agencies(const std::string& within_path) = 0;

  // Routing rules. insert assigns and returns the id; conflict("rule_exists") on a duplicate
  // (service_code, area_code).
  virtual Result<std::int64_t> insert_routing_rule(const RoutingRule& rule) = 0;
  virtual Status delete_routing_rule(std::int64_t id) = 0;
  // Every rule, ordered by area_path, then service_code.
  virtual Result<std::vector<RoutingRule>> list_routing_rules() = 0;

  // Feedback. insert assigns and returns the id and stores the attachments;
  // conflict("tracking_code_exists") on a duplicate tracking code. update rewrites every field
  // but id, tracking_code and submitted_at (attachments too).
  virtual Result<std::int64_t> insert_feedback(const Feedback& feedback) = 0;
  virtual Status update_feedback(const Feedback& feedback) = 0;
  virtual Result<std::optional<Feedback>> find_feedback(std::int64_t id) = 0;
  virtual Result<std::optional<Feedback>> find_feedback_by_code(const std::string& code) = 0;
  // As FeedbackQuery says; ordered by id (descending when newest_first).
  virtual Result<std::vector<Feedback>> search_feedback(const FeedbackQuery& query) = 0;
  // Submissions with this contact_hash that were accepted (status not moderation or rejected).
  virtual Result<std::int64_t> count_accepted_by_contact(const std::string& contact_hash) = 0;
  // Submissions with this contact_hash since `since` (any status): per-contact rate limit
  // that holds across server instances.
  virtual Result<std::int64_t> count_recent_by_contact(const std::string& contact_hash,
                                                       UnixTime since) = 0;
  // Both counts at once: the intake reads them together (a backend may answer in one query).
  virtual Result<ContactCounts> contact_counts(const std::string& contact_hash, UnixTime since) {
    ContactCounts c;
    auto recent = count_recent_by_contact(contact_hash, since);
    if (!recent) return recent.error();
    auto accepted = count_accepted_by_contact(contact_hash);
    if (!accepted) return accepted.error();
    c.recent = recent.value();
    c.accepted = accepted.value();
    return c;
  }
  // The whole intake of one submission, when `guard` allows it: insert_feedback(f), then
  // insert_feedback_event(first), the notice (see RoleNotice) and `mail` (when given), all for
  // the new feedback. A backend may do it in one statement, and
  // PostgreSQL does it in one autocommitted round trip when it is the write's first statement:
  // it must then be the write's last statement too (later ones fail; an error returned after
  // it cannot undo it). Errors as the calls'.
  virtual Result<IntakeResult> insert_feedback_with(const IntakeGuard& guard, const Feedback& f,
                                                    FeedbackEvent first, RoleNotice notice,
                                                    const std::optional<IntakeMail>& mail) {
    IntakeResult out;
    if (!guard.contact_hash.empty()) {
      auto counts = contact_counts(guard.contact_hash, guard.since);
      if (!counts) return counts.error();
      out.counts = counts.value();
      if (out.counts.recent >= guard.max_recent ||
          (guard.require_accepted && out.counts.accepted == 0)) {
        return out;
      }
    }
    auto id = insert_feedback(f);
    if (!id) return id.error();
    out.id = id.value();
    first.feedback_id = out.id;
    auto event = insert_feedback_event(first);
    if (!event) return event.error();
    notice.note.feedback_id = out.id;
    notice.note.message =
        notice.message_before + "#" + std::to_string(out.id) + notice.message_after;
    auto notified =
        notify_role_over(notice.unit_path, notice.role, notice.note, notice.except_over_path);
    if (!notified) return notified.error();
    if (mail) {
      auto queued = insert_outbox(mail->for_feedback(out.id));
      if (!queued) return queued.error();
    }
    return out;
  }
  // See FeedbackStatsRow; feedback whose body_path starts with `within_path` and whose
  // submitted_at lies in [from, to) (to = 0: open). Ordered by service_code, commune_code.
  virtual Result<std::vector<FeedbackStatsRow>> feedback_stats(const std::string& within_path,
                                                               UnixTime from, UnixTime to,
                                                               UnixTime now) = 0;

  // History; insert assigns and returns the id. list: ascending by id, public ones only when
  // `public_only`.
  virtual Result<std::int64_t> insert_feedback_event(const FeedbackEvent& event) = 0;
  virtual Result<std::vector<FeedbackEvent>> list_feedback_events(std::int64_t feedback_id,
                                                                  bool public_only) = 0;
  // Public events of every feedback with ts in [from, to) (to = 0: open), ascending by id, at
  // most `limit` (Open311 request updates).
  virtual Result<std::vector<FeedbackEvent>> public_feedback_events(UnixTime from, UnixTime to,
                                                                    size_t limit) = 0;

  // Outbox. insert assigns and returns the id. due: unsent mails with next_attempt_at <= now and
  // attempts < max_attempts, ascending by id, at most `limit`.
  virtual Result<std::int64_t> insert_outbox(const OutboxMail& mail) = 0;
  virtual Result<std::vector<OutboxMail>> due_outbox(UnixTime now, int max_attempts,
                                                     size_t limit) = 0;
  virtual Status mark_outbox_sent(std::int64_t id, UnixTime at) = 0;
  // attempts += 1, last_error, next_attempt_at.
  virtual Status mark_outbox_failed(std::int64_t id, const std::string& error,
                                    UnixTime next_attempt_at) = 0;
  virtual Result<std::vector<OutboxMail>> outbox_for_feedback(std::int64_t feedback_id) = 0;

  // ---- Emergency alerts (schema v5, issue 6) ----
  // Sources: insert assigns and returns the id; conflict("source_exists") on a duplicate sender.
  // update rewrites every field but id, sender and created_at.
  virtual Result<std::int64_t> insert_alert_source(const AlertSource& source) = 0;
  virtual Status update_alert_source(const AlertSource& source) = 0;
  virtual Result<std::optional<AlertSource>> find_alert_source(std::int64_t id) = 0;
  virtual Result<std::optional<AlertSource>> find_alert_source_by_sender(
      const std::string& sender) = 0;
  // Ordered by name, then id.
  virtual Result<std::vector<AlertSource>> list_alert_sources() = 0;

  // Alerts: insert assigns and returns the id; conflict("alert_exists") when the sender already
  // sent that identifier. update rewrites state, reason, order_id, priority, devices, text,
  // media_id, decided_by and decided_at (the document and its summary never change).
  virtual Result<std::int64_t> insert_alert(const AlertRecord& alert) = 0;
  virtual Status update_alert(const AlertRecord& alert) = 0;
  virtual Result<std::optional<AlertRecord>> find_alert(std::int64_t id) = 0;
  virtual Result<std::optional<AlertRecord>> find_alert_by_identifier(
      const std::string& sender, const std::string& identifier) = 0;
  // As AlertQuery says; newest (highest id) first.
  virtual Result<std::vector<AlertRecord>> list_alerts(const AlertQuery& query) = 0;
};

class Store {
 public:
  virtual ~Store() = default;
  // Applies pending migrations; safe when several processes start at once (the backend takes
  // an exclusive lock around the check-and-apply). Returns the schema version now in place.
  virtual Result<int> migrate() = 0;
  virtual Result<int> schema_version() = 0;
  virtual Status write(const std::function<Status(Tx&)>& fn) = 0;
  virtual Status read(const std::function<Status(Tx&)>& fn) = 0;
  // Cheap liveness probe of the backend, for /readyz.
  virtual Status ping() = 0;
  virtual std::string backend_name() const = 0;
};

}  // namespace nguon
