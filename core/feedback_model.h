// Records of the two-way capability (issue 5): citizen feedback (phản ánh, kiến nghị), its
// categories (Open311 services), handling bodies, routing rules, history and the e-mail outbox.
// Shared by the core service (core/feedback/), the stores and the API; no behaviour here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"

namespace nguon {

// Life of a submission:
//   moderation (first-time submitter, waiting for a moderator) → received | rejected
//   received (waiting to be forwarded to a handling body) → assigned
//   assigned (the body is working on it; an answer may be in draft / submitted) → answered
//   answered (answer approved and published) → closed (rated, or the reopen window passed)
//                                            → assigned again when the citizen reopens it
//   rejected (spam, abuse, out of scope: with a reason), merged (a duplicate of another one)
enum class FeedbackStatus {
  kModeration,
  kReceived,
  kAssigned,
  kAnswered,
  kClosed,
  kRejected,
  kMerged
};

// The answer's own four-eyes workflow, inside an assigned feedback.
enum class AnswerStatus { kNone, kDraft, kSubmitted, kPublished };

// A category citizens choose from: an Open311 service.
struct FeedbackService {
  std::string code;  // [a-z0-9_-]{1,40}, the Open311 service_code
  std::string name_vi;
  std::string name_en;
  std::string description;
  std::string group;     // Open311 group, e.g. "Hạ tầng"
  std::string keywords;  // comma separated
  // Open311 service definition attributes as a JSON array (validated by the service):
  // [{"code","datatype","required","description","order","values":[{"key","name"}]}].
  // Empty: the service has no definition (metadata=false).
  std::string attributes_json;
  int forward_days = 2;  // working days from receipt to assignment
  int answer_days = 20;  // working days from assignment to a published answer
  bool active = true;
};

// A specialised agency that handles some categories instead of the People's Committee of the
// commune (e.g. the provincial Department of Construction). The People's Committee of a unit
// is implicit: agency id 0 at that unit.
struct Agency {
  std::int64_t id = 0;
  std::string unit_code;  // the unit it belongs to: its handlers are the unit's feedback handlers
  std::string unit_path;
  std::string name;
  std::string email;                   // optional: where new assignments are announced
  std::int64_t supervisor_agency = 0;  // escalation target (0: the People's Committee above)
  bool active = true;
};

// Category × area → handling body. The rule whose area path is the longest prefix of the
// feedback's area wins; a rule for the exact category beats a wildcard one ("*") at the same
// area. No rule: the People's Committee of the feedback's commune.
struct RoutingRule {
  std::int64_t id = 0;
  std::string service_code;  // or "*"
  std::string area_code;     // unit code ("VN" = the whole country)
  std::string area_path;
  std::string body_unit;       // the handling body's unit
  std::int64_t agency_id = 0;  // 0 = that unit's People's Committee
};

struct FeedbackAttachment {
  std::string sha256;  // media id (content-addressed MediaStore)
  std::string kind;    // "image" or "audio"
  std::string mime;
  std::int64_t bytes = 0;
};

struct Feedback {
  std::int64_t id = 0;        // also the public Open311 service_request_id
  std::string tracking_code;  // secret, random: the citizen's key to follow, rate, reopen
  std::string service_code;
  std::string title;            // optional short title
  std::string description;      // ≤ 4,000 characters (Open311)
  std::string attributes_json;  // {"code": value, …} answers to the service's attributes
  FeedbackStatus status = FeedbackStatus::kReceived;
  std::string channel;  // "web", "open311", "staff", "zalo", "sms", "email"
  std::string client;   // Open311 client (api_key owner) or staff username
  // Where: the commune is always set (assigned from the point when not given).
  std::string commune_code;
  std::string village_code;  // optional
  std::string area_path;     // path of the village if set, else of the commune
  std::string address;
  std::optional<double> lat;
  std::optional<double> lon;
  std::string location_method;  // "given", "nearest_device", "fallback", "moved"
  // Who: never public. contact_hash = sha256 of the normalised e-mail or phone (rate limits,
  // first-time moderation).
  std::string contact_name;
  std::string contact_email;
  std::string contact_phone;
  std::string contact_hash;
  std::string submitter_ip;
  std::int64_t entered_by = 0;  // staff user who entered it on a citizen's behalf (0: none)
  std::string relayed_by;       // propagandist's name or village, Decree 49 Art. 21–22
  std::vector<FeedbackAttachment> attachments;
  // Handling body.
  std::string body_unit;       // unit code
  std::string body_path;       // its path: scope filters are prefix tests
  std::int64_t agency_id = 0;  // 0 = the unit's People's Committee
  // Deadlines (Unix time of the end of the last working day; 0 = not running).
  UnixTime forward_due = 0;
  UnixTime answer_due = 0;
  UnixTime reminded_at = 0;  // last reminder for the running deadline
  int escalation = 0;        // times escalated to a supervising body
  // Answer.
  AnswerStatus answer_status = AnswerStatus::kNone;
  std::string answer_text;    // the handler's text (internal until published)
  std::string answer_public;  // published, personal data redacted
  std::int64_t answer_author = 0;
  std::int64_t answer_approver = 0;
  std::int64_t bulletin_id = 0;  // the radio bulletin made from the answer (0: none)
  // Outcome.
  std::string reject_reason;
  std::int64_t merged_into = 0;
  int rating = 0;  // 1–5 from the citizen, 0 = none
  std::string rating_comment;
  int reopen_count = 0;
  UnixTime submitted_at = 0;
  UnixTime assigned_at = 0;
  UnixTime answered_at = 0;
  UnixTime closed_at = 0;
  UnixTime updated_at = 0;
};

// One line of a feedback's history. `is_public` entries are shown on the portal and served as
// Open311 request updates; the others only in the console.
struct FeedbackEvent {
  std::int64_t id = 0;
  std::int64_t feedback_id = 0;
  UnixTime ts = 0;
  std::string actor;   // username, "citizen", "system"
  std::string kind;    // "received", "assigned", "transferred", "escalated", "answered", …
  std::string detail;  // JSON object text
  bool is_public = false;
  std::string status_after;  // feedback status name after the event
};

struct FeedbackQuery {
  std::vector<std::string> body_paths;   // body_path starts with one of these (empty: any)
  std::vector<FeedbackStatus> statuses;  // any of these (empty: any)
  std::string service_code;
  std::string area_path;        // area_path starts with this
  std::string text;             // substring of title or description ("" = any)
  UnixTime submitted_from = 0;  // submitted_at in [from, to) (to = 0: open)
  UnixTime submitted_to = 0;
  // Open deadline before this time: status received with forward_due < t, or assigned with
  // answer_due < t (0: no filter).
  UnixTime due_before = 0;
  std::int64_t after_id = 0;  // keyset paging: only ids below this (0: from the newest)
  bool newest_first = true;
  size_t limit = 100;
};

// Counts for statistics, grouped by (service_code, commune_code).
struct FeedbackStatsRow {
  std::string service_code;
  std::string commune_code;
  std::int64_t received = 0;          // submitted in range, not rejected/merged/in moderation
  std::int64_t answered = 0;          // of those, answered or closed
  std::int64_t answered_on_time = 0;  // answered_at <= answer_due
  std::int64_t overdue = 0;           // still open with a running deadline before `now`
};

// An e-mail waiting to be sent (the outbox makes sending survive SMTP outages and restarts;
// it is written in the same transaction as the change that causes it).
struct OutboxMail {
  std::int64_t id = 0;
  std::string to;
  std::string subject;
  std::string body;  // text/plain, UTF-8
  std::int64_t feedback_id = 0;
  UnixTime created_at = 0;
  UnixTime next_attempt_at = 0;
  int attempts = 0;
  UnixTime sent_at = 0;  // 0 = not sent
  std::string last_error;
};

// The stable names of the enums (stores, API, Open311); defined in core/feedback_model.cpp.
namespace feedback {
std::string_view status_name(FeedbackStatus s);  // "moderation", "received", …
std::optional<FeedbackStatus> parse_status(std::string_view s);
std::string_view answer_status_name(AnswerStatus s);  // "none", "draft", "submitted", "published"
std::optional<AnswerStatus> parse_answer_status(std::string_view s);
}  // namespace feedback

}  // namespace nguon
