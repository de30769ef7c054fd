// Records of the emergency-alert capability (issue 6): trusted CAP senders ("sources") and the
// alerts received from them or issued here. Shared by core/alerts (AlertDesk), the stores and
// the API; no behaviour here. The CAP document itself is core/alerts/cap_model.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bulletins_model.h"
#include "core/model.h"

namespace nguon {

// A disaster authority whose CAP alerts Nguồn accepts. Its alerts may only reach devices under
// `unit_path` (a provincial weather service cannot make another province's loudspeakers speak).
// It pushes with a bearer token (only its SHA-256 is kept) and/or is polled through an Atom feed.
struct AlertSource {
  std::int64_t id = 0;
  std::string sender;  // CAP <sender>, compared exactly; unique
  std::string name;
  std::string unit_code;
  std::string unit_path;
  std::string token_hash;  // lower-case hex SHA-256 of the push token; "" = cannot push
  std::string feed_url;    // "" = not polled
  // Broadcast without a person's approval when severity, urgency and certainty all reach the
  // minimums below; otherwise (or when off) the alert waits in the approval queue.
  bool auto_broadcast = false;
  std::string min_severity = "Severe";   // Extreme > Severe > Moderate > Minor > Unknown
  std::string min_urgency = "Expected";  // Immediate > Expected > Future > Past > Unknown
  std::string min_certainty = "Likely";  // Observed > Likely > Possible > Unlikely > Unknown
  bool enabled = true;
  UnixTime last_polled_at = 0;
  std::string last_poll_error;
  UnixTime created_at = 0;
};

// pending: waits for an operator's approval; broadcast: on air (order_id); stopped: an operator
// stopped it; cancelled / superseded: a CAP Cancel / Update from its sender ended it; rejected:
// an operator refused it; recorded: kept but never broadcast (Test, Exercise, System, Draft,
// restricted or private scope, Ack/Error, nothing to play, or no device in its area).
enum class AlertState {
  kPending,
  kBroadcast,
  kStopped,
  kCancelled,
  kSuperseded,
  kRejected,
  kRecorded
};

struct AlertRecord {
  std::int64_t id = 0;
  std::int64_t source_id = 0;  // 0: issued from this system's console
  std::string sender;
  std::string identifier;  // unique per sender
  UnixTime sent = 0;
  std::string msg_type;  // CAP names: Alert, Update, Cancel, Ack, Error
  std::string status;    // Actual, Exercise, System, Test, Draft
  std::string scope;     // Public, Restricted, Private
  std::string event;
  std::string headline;
  std::string severity;
  std::string urgency;
  std::string certainty;
  UnixTime expires = 0;  // 0: does not expire
  std::string origin;    // "push", "feed", "console"
  AlertState state = AlertState::kPending;
  std::string reason;      // why pending / recorded / rejected / stopped
  std::string owner_unit;  // the unit whose operators approve and see it
  std::string owner_path;
  std::string order_id;  // the broadcast order, "" when none
  Priority priority = Priority::kEmergency;
  std::int64_t devices = 0;  // devices the order targeted
  std::string text;          // the Vietnamese bulletin text spoken on air
  std::string media_id;      // SHA-256 of its audio, "" when none
  std::string xml;           // the CAP document as received (or as issued)
  UnixTime received_at = 0;
  std::int64_t issued_by = 0;   // the user who issued it from the console; 0 = received
  std::int64_t decided_by = 0;  // the user who approved, rejected or stopped; 0 = none
  UnixTime decided_at = 0;
};

struct AlertQuery {
  std::optional<AlertState> state;
  std::string within_path;  // owner_path prefix; "" = all
  std::string origin;       // "push", "feed", "console"; "" = any
  std::size_t limit = 100;
  std::size_t offset = 0;
};

namespace alert_names {
std::string_view state_name(AlertState s);  // "pending", "broadcast", …
std::optional<AlertState> parse_state(std::string_view s);
}  // namespace alert_names

}  // namespace nguon
