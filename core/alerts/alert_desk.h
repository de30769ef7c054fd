// The alert desk (issue 6): CAP 1.2 alerts from trusted sources become broadcasts.
//
// A source (AlertSource) is a disaster authority registered by an administrator with the unit
// its alerts may reach. Its alerts arrive pushed (HTTP, bearer token) or from its Atom feed,
// already parsed and validated against the CAP 1.2 schema (adapters/cap). The desk then:
// 1. refuses what must never play: a disabled source, a <sender> other than the source's, an
//    expired alert, an identifier the sender already used (duplicates, also across feeds);
// 2. records the alert, and decides: Ack/Error messages, statuses other than Actual, and
//    non-public scopes are only recorded; a Cancel stops the alerts it references (same sender
//    only) and an Update supersedes them, then is handled as a new alert;
// 3. maps the <area>s to the devices inside the source's unit (alert_rules.h plan_targets);
//    with no device there it is only recorded;
// 4. broadcasts at once when the source allows it and severity, urgency and certainty reach its
//    minimums, else queues it for a station operator's approval. Broadcasting speaks the
//    Vietnamese bulletin text (AlertVoice), then sends one signed order at the configured
//    maximum volume, repeated, preempting schedules (Extreme/Severe: emergency priority).
//
// Steps 2 and 4 are separate transactions: the record exists before the (slow) speech
// synthesis; if synthesis or the broker fails the alert stays pending with the reason, for an
// operator to retry by approving it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/access.h"
#include "core/accounts.h"
#include "core/alerts/alert_rules.h"
#include "core/alerts/cap_model.h"
#include "core/alerts_model.h"
#include "core/devices/device_service.h"
#include "core/ports.h"
#include "core/result.h"
#include "core/store.h"

namespace nguon::alerts {

// Speech for alert bulletins: the text becomes stored broadcast audio (Ogg Opus in the media
// store); returns its SHA-256 and length in milliseconds.
struct SpokenAudio {
  std::string sha256;
  std::int64_t duration_ms = 0;
};
class AlertVoice {
 public:
  virtual ~AlertVoice() = default;
  virtual Result<SpokenAudio> speak(const std::string& text) = 0;
};

// Reads and writes CAP 1.2 documents (adapters/cap): a stored document is read back when a
// queued alert is approved (its targets are planned again, on today's devices); alerts issued
// here are written as CAP for the public feed, and read back to prove them schema-valid.
class CapCodec {
 public:
  virtual ~CapCodec() = default;
  virtual Result<CapAlert> decode(std::string_view xml) = 0;
  virtual std::string encode(const CapAlert& alert) = 0;
};

struct AlertDeskOptions {
  int repeat = 3;    // times the bulletin is read (1..20)
  int volume = 100;  // the maximum configured volume (0..100)
  // Alerts issued from the console wait for a second operator's approval.
  bool second_approver = false;
  std::string sender = "nguon@localhost";  // <sender> of the alerts issued here
};

// An alert an operator issues from the console (an emergency order): it becomes a CAP 1.2
// document of this system's sender, published in the feed, and a broadcast.
struct LocalAlertDraft {
  std::string owner_unit;           // issued in this unit's name; the operator must operate it
  std::string status = "Actual";    // Actual, Exercise or Test (the last two are not broadcast)
  std::string category = "Safety";  // a CAP category: Geo, Met, Safety, Security, Rescue, Fire,
                                    // Health, Env, Transport, Infra, CBRNE, Other
  std::string event;
  std::string headline;
  std::string description;
  std::string instruction;
  std::string severity = "Extreme";
  std::string urgency = "Immediate";
  std::string certainty = "Observed";
  std::vector<std::string> areas;  // unit codes inside owner_unit
  std::vector<GeoPoint> polygon;   // optional ring drawn on the map (closed here if open)
  int expires_minutes = 360;       // 5 .. 10080
};

// What an administrator sets on a source.
struct SourceDraft {
  std::string sender;
  std::string name;
  std::string unit_code;
  std::string feed_url;
  bool auto_broadcast = false;
  std::string min_severity = "Severe";
  std::string min_urgency = "Expected";
  std::string min_certainty = "Likely";
  bool enabled = true;
};
struct SourcePatch {
  std::optional<std::string> name, unit_code, feed_url, min_severity, min_urgency, min_certainty;
  std::optional<bool> auto_broadcast, enabled;
};
// The acknowledgement board of an alert's order (see DeviceService::order_board).
using BoardRow = ::nguon::BoardRow;
using AlertBoard = ::nguon::OrderBoard;

struct CreatedSource {
  AlertSource source;
  std::string token;  // shown once
};

class AlertDesk {
 public:
  AlertDesk(Store& store, Clock& clock, Crypto& crypto, DeviceService& devices, AlertVoice& voice,
            CapCodec& codec, AlertDeskOptions options)
      : store_(store),
        clock_(clock),
        crypto_(crypto),
        devices_(devices),
        voice_(voice),
        codec_(codec),
        options_(options) {}

  // ---- intake ----
  // The enabled source whose push token this is; unauthorized otherwise (same answer for an
  // unknown token and a disabled source).
  Result<AlertSource> source_for_token(const std::string& token);
  // A parsed, schema-valid alert from `source`; origin "push" or "feed". Errors:
  // forbidden("sender_mismatch"), invalid("cap_expired"), conflict("alert_exists").
  Result<AlertRecord> ingest(const AlertSource& source, const CapAlert& alert, std::string xml,
                             const std::string& origin);

  // ---- operators (station operators and admins over the alert's owner unit) ----
  // Issues an alert from the console (see LocalAlertDraft): broadcast at once, or pending when
  // a second approver is required; Test and Exercise alerts are only recorded and published.
  Result<AlertRecord> issue(const access::Principal& p, LocalAlertDraft draft,
                            const RequestOrigin& origin);
  Result<AlertRecord> get(const access::Principal& p, std::int64_t id);
  Result<std::vector<AlertRecord>> list(const access::Principal& p, AlertQuery query);
  // pending → broadcast (or recorded when its area holds no device any more).
  Result<AlertRecord> approve(const access::Principal& p, std::int64_t id,
                              const RequestOrigin& origin);
  // pending → rejected; the reason is required.
  Result<AlertRecord> reject(const access::Principal& p, std::int64_t id, const std::string& reason,
                             const RequestOrigin& origin);
  // Who has confirmed the alert's order (readers of the owner unit).
  Result<AlertBoard> board(const access::Principal& p, std::int64_t id);
  // broadcast → stopped (a stop is sent to every target). An alert issued here is cancelled
  // instead: its CAP Cancel is issued and published too.
  Result<AlertRecord> stop(const access::Principal& p, std::int64_t id,
                           const RequestOrigin& origin);

  // ---- sources (admins over the source's unit) ----
  Result<CreatedSource> create_source(const access::Principal& p, SourceDraft draft,
                                      const RequestOrigin& origin);
  Result<AlertSource> update_source(const access::Principal& p, std::int64_t id, SourcePatch patch,
                                    const RequestOrigin& origin);
  // A new push token; the old one stops working.
  Result<std::string> new_token(const access::Principal& p, std::int64_t id,
                                const RequestOrigin& origin);
  Result<std::vector<AlertSource>> sources(const access::Principal& p);
  // Enabled sources with a feed URL, for the poller (trusted caller).
  Result<std::vector<AlertSource>> polled_sources();
  // The alerts issued here, newest first (the public CAP feed); and one of them by id.
  Result<std::vector<AlertRecord>> published(std::size_t limit);
  Result<AlertRecord> published_one(std::int64_t id);
  // The poller's outcome for a source ("" = fetched fine).
  Status record_poll(std::int64_t source_id, const std::string& error);

 private:
  Result<AlertRecord> decide(AlertRecord record, const AlertSource& source, const CapAlert& alert);
  Result<AlertRecord> dispatch(AlertRecord record, const CapAlert& alert, const Unit& scope);
  Result<TargetPlan> plan_for(const CapAlert& alert, const Unit& scope);
  Result<AlertRecord> record_unreachable(AlertRecord record, const Unit& scope);
  Status end_referenced(const AlertRecord& record, const CapAlert& alert, AlertState end_state);
  Result<AlertRecord> load_operated(Tx& tx, const access::Principal& p, std::int64_t id);
  // The alert, operated by p and in state `required`; conflict(code, message) otherwise.
  Result<AlertRecord> load_for_action(const access::Principal& p, std::int64_t id,
                                      AlertState required, const char* code, const char* message);
  Result<AlertRecord> save(const AlertRecord& record, const std::string& action,
                           const std::string& actor);
  Status check_source(Tx& tx, const access::Principal& p, AlertSource& s);
  Result<CapAlert> local_alert(Tx& tx, const access::Principal& p, LocalAlertDraft& d, Unit& owner);
  Result<AlertRecord> record_local(const CapAlert& alert, const Unit& owner, std::int64_t user,
                                   const RequestOrigin& origin);

  Store& store_;
  Clock& clock_;
  Crypto& crypto_;
  DeviceService& devices_;
  AlertVoice& voice_;
  CapCodec& codec_;
  AlertDeskOptions options_;
};

}  // namespace nguon::alerts
