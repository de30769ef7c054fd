// The alert tables' columns (schema v5, issue 6) and the order their fields are bound and read
// in, shared by both store backends. A Writer has text(string_view), integer(int64) and
// boolean(bool), each binding the next parameter; a Reader has text(col), integer(col) and
// boolean(col) over the current row.
#pragma once

#include <string>
#include <string_view>

#include "core/alerts_model.h"
#include "core/bulletins.h"

namespace nguon::alert_rows {

inline constexpr const char* kSourceColumns =
    "id, sender, name, unit_code, unit_path, token_hash, feed_url, auto_broadcast, min_severity, "
    "min_urgency, min_certainty, enabled, last_polled_at, last_poll_error, created_at";
// What update_alert_source rewrites, in write_source_changes order.
inline constexpr const char* kSourceChangeColumns =
    "name, unit_code, unit_path, token_hash, feed_url, auto_broadcast, min_severity, min_urgency, "
    "min_certainty, enabled, last_polled_at, last_poll_error";
inline constexpr int kSourceChangeCount = 12;

inline constexpr const char* kAlertColumns =
    "id, source_id, sender, identifier, sent, msg_type, status, scope, event, headline, severity, "
    "urgency, certainty, expires, origin, state, reason, owner_unit, owner_path, order_id, "
    "priority, devices, text, media_id, xml, received_at, issued_by, decided_by, decided_at";
inline constexpr int kAlertInsertCount = 28;  // every column but id
// What update_alert rewrites, in write_alert_changes order.
inline constexpr const char* kAlertChangeColumns =
    "state, reason, order_id, priority, devices, text, media_id, decided_by, decided_at";

template <typename Writer>
void write_source_changes(Writer& w, const AlertSource& s) {
  w.text(s.name);
  w.text(s.unit_code);
  w.text(s.unit_path);
  w.text(s.token_hash);
  w.text(s.feed_url);
  w.boolean(s.auto_broadcast);
  w.text(s.min_severity);
  w.text(s.min_urgency);
  w.text(s.min_certainty);
  w.boolean(s.enabled);
  w.integer(s.last_polled_at);
  w.text(s.last_poll_error);
}

// Every column of kSourceColumns but the id.
template <typename Writer>
void write_source(Writer& w, const AlertSource& s) {
  w.text(s.sender);
  write_source_changes(w, s);
  w.integer(s.created_at);
}

template <typename Reader>
AlertSource read_source(const Reader& r) {
  AlertSource s;
  s.id = r.integer(0);
  s.sender = r.text(1);
  s.name = r.text(2);
  s.unit_code = r.text(3);
  s.unit_path = r.text(4);
  s.token_hash = r.text(5);
  s.feed_url = r.text(6);
  s.auto_broadcast = r.boolean(7);
  s.min_severity = r.text(8);
  s.min_urgency = r.text(9);
  s.min_certainty = r.text(10);
  s.enabled = r.boolean(11);
  s.last_polled_at = r.integer(12);
  s.last_poll_error = r.text(13);
  s.created_at = r.integer(14);
  return s;
}

template <typename Writer>
void write_alert_changes(Writer& w, const AlertRecord& a) {
  w.text(alert_names::state_name(a.state));
  w.text(a.reason);
  w.text(a.order_id);
  w.text(bulletins::priority_name(a.priority));
  w.integer(a.devices);
  w.text(a.text);
  w.text(a.media_id);
  w.integer(a.decided_by);
  w.integer(a.decided_at);
}

// Every column of kAlertColumns but the id.
template <typename Writer>
void write_alert(Writer& w, const AlertRecord& a) {
  w.integer(a.source_id);
  for (const std::string* t : {&a.sender, &a.identifier}) w.text(*t);
  w.integer(a.sent);
  for (const std::string* t : {&a.msg_type, &a.status, &a.scope, &a.event, &a.headline, &a.severity,
                               &a.urgency, &a.certainty}) {
    w.text(*t);
  }
  w.integer(a.expires);
  w.text(a.origin);
  w.text(alert_names::state_name(a.state));
  for (const std::string* t : {&a.reason, &a.owner_unit, &a.owner_path, &a.order_id}) w.text(*t);
  w.text(bulletins::priority_name(a.priority));
  w.integer(a.devices);
  for (const std::string* t : {&a.text, &a.media_id, &a.xml}) w.text(*t);
  w.integer(a.received_at);
  w.integer(a.issued_by);
  w.integer(a.decided_by);
  w.integer(a.decided_at);
}

template <typename Reader>
AlertRecord read_alert(const Reader& r) {
  AlertRecord a;
  a.id = r.integer(0);
  a.source_id = r.integer(1);
  a.sender = r.text(2);
  a.identifier = r.text(3);
  a.sent = r.integer(4);
  a.msg_type = r.text(5);
  a.status = r.text(6);
  a.scope = r.text(7);
  a.event = r.text(8);
  a.headline = r.text(9);
  a.severity = r.text(10);
  a.urgency = r.text(11);
  a.certainty = r.text(12);
  a.expires = r.integer(13);
  a.origin = r.text(14);
  a.state = alert_names::parse_state(r.text(15)).value_or(AlertState::kRecorded);
  a.reason = r.text(16);
  a.owner_unit = r.text(17);
  a.owner_path = r.text(18);
  a.order_id = r.text(19);
  a.priority = bulletins::parse_priority(r.text(20)).value_or(Priority::kEmergency);
  a.devices = r.integer(21);
  a.text = r.text(22);
  a.media_id = r.text(23);
  a.xml = r.text(24);
  a.received_at = r.integer(25);
  a.issued_by = r.integer(26);
  a.decided_by = r.integer(27);
  a.decided_at = r.integer(28);
  return a;
}

}  // namespace nguon::alert_rows
