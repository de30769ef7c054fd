// FeedbackDesk: citizen feedback (phản ánh, kiến nghị), Decree 49/2024: intake from any channel,
// routing to the competent body, triage, deadlines in working days, four-eyes answers returned to
// the citizen and turned into radio bulletins, ratings and reopening.
//
// Roles (on the handling body's unit or an ancestor): feedback_handler triages and drafts
// answers; approver approves answers (never their own author unless the unit turned four-eyes
// off); editor turns a published answer into a bulletin. Moderation of first-time submitters is
// done by feedback handlers over the feedback's area. Citizens act only through their secret
// tracking code. Every staff change is audited; every change appends to the feedback's history
// in the same transaction.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/access.h"
#include "core/accounts.h"
#include "core/feedback/rules.h"
#include "core/feedback_model.h"
#include "core/ports.h"
#include "core/result.h"
#include "core/store.h"
#include "core/workdays/work_calendar.h"

namespace nguon {

struct FeedbackSettings {
  bool moderate_first_time = true;  // first submission of a contact waits for a moderator
  int submissions_per_contact_per_day = 10;
  int reopen_days = 30;  // calendar days after the answer in which a citizen may reopen
  int max_reopens = 2;
  int remind_days_before = 1;   // working days before a deadline
  double locate_max_km = 15;    // nearest-device search radius for a point without a commune
  std::string fallback_unit;    // where a point that cannot be located goes ("" = refuse)
  std::string portal_base_url;  // for links in e-mails, e.g. "https://nguon.example.vn"
};

// A submission from any channel (portal, Open311, staff entry, and later Zalo and SMS
// adapters: they build this and call FeedbackDesk::submit with their channel name).
struct Submission {
  std::string service_code;
  std::string title;
  std::string description;
  std::vector<std::pair<std::string, std::string>> attributes;  // Open311 attribute[code]
  std::string commune_code;
  std::string village_code;
  std::string address;
  std::optional<double> lat;
  std::optional<double> lon;
  std::string contact_name;
  std::string contact_email;
  std::string contact_phone;
  std::string channel = "web";  // "web", "open311", "staff", "zalo", "sms", "email"
  std::string client;           // Open311 client (api key owner); set by the caller
  std::string ip;
  std::string relayed_by;  // staff entry: the propagandist or village relaying it
  std::vector<FeedbackAttachment> attachments;  // media already stored by the caller
};

// How an answer goes back to a citizen. A channel writes what it must send inside the caller's
// transaction (e.g. an outbox row), so the answer and its delivery commit together; a worker
// delivers later. Zalo and SMS adapters implement this next to e-mail.
class ReplyChannel {
 public:
  virtual ~ReplyChannel() = default;
  virtual std::string name() const = 0;  // "email", "zalo", "sms"
  virtual bool can_reach(const Feedback& f) const = 0;
  virtual Status queue(Tx& tx, const Feedback& f, const std::string& subject,
                       const std::string& text, UnixTime now) = 0;
};

// E-mail replies through the store's outbox (sent by the app's outbox worker over SMTP).
class EmailReplyChannel final : public ReplyChannel {
 public:
  std::string name() const override { return "email"; }
  bool can_reach(const Feedback& f) const override { return !f.contact_email.empty(); }
  Status queue(Tx& tx, const Feedback& f, const std::string& subject, const std::string& text,
               UnixTime now) override;
};

// One feedback as a reader sees it: the record, its history and what the reader may do.
struct FeedbackView {
  Feedback feedback;
  std::vector<FeedbackEvent> events;
  std::string body_name;  // "UBND Phường Ba Đình" or the agency's name
  std::string commune_name;
  std::string village_name;
  std::string service_name;
};

// What the citizen sees with their tracking code (no staff names, no internal notes).
struct CitizenView {
  Feedback feedback;  // contact fields kept (the citizen's own), answer_text cleared
  std::vector<FeedbackEvent> events;  // public ones
  std::string body_name;
  std::string commune_name;
  std::string service_name;
  bool can_reopen = false;
  bool can_rate = false;
};

struct FeedbackStats {
  std::vector<FeedbackStatsRow> rows;
  FeedbackStatsRow total;
};

class FeedbackDeskImpl;

class FeedbackDesk {
 public:
  FeedbackDesk(Store& store, Clock& clock, Crypto& crypto, const workdays::WorkCalendar& calendar,
               FeedbackSettings settings);
  ~FeedbackDesk();
  FeedbackDesk(const FeedbackDesk&) = delete;
  FeedbackDesk& operator=(const FeedbackDesk&) = delete;

  // Reply channels by name; e-mail is registered by default.
  void add_reply_channel(std::unique_ptr<ReplyChannel> channel);

  // ---- Categories, agencies and routing (admins of the deployment scope) ----
  Result<std::vector<FeedbackService>> services(bool include_inactive);
  Result<FeedbackService> service(const std::string& code);
  Status put_service(const access::Principal& p, FeedbackService s, const RequestOrigin& origin);
  Result<std::vector<Agency>> agencies(const access::Principal& p);
  Result<Agency> put_agency(const access::Principal& p, Agency a, const RequestOrigin& origin);
  Result<std::vector<RoutingRule>> routing_rules(const access::Principal& p);
  Result<RoutingRule> add_routing_rule(const access::Principal& p, RoutingRule r,
                                       const RequestOrigin& origin);
  Status delete_routing_rule(const access::Principal& p, std::int64_t id,
                             const RequestOrigin& origin);

  // ---- Intake ----
  // `staff` is the user entering it on a citizen's behalf (feedback handler, propagandist or
  // editor over the commune), or null for a citizen's own submission. Validates everything,
  // places it (commune from the point when missing), routes it, starts the forward deadline,
  // and writes it with its first history line in one transaction. First-time contacts (and
  // submissions with no contact) wait in moderation when moderate_first_time is on.
  // Errors: invalid("invalid_field"|"invalid_attribute"|"missing_location"|"unknown_service"…),
  // throttled("too_many_submissions") per contact.
  Result<Feedback> submit(Submission s, const access::Principal* staff,
                          const RequestOrigin& origin);

  // ---- Citizens (by tracking code; not_found for an unknown code) ----
  Result<CitizenView> track(const std::string& tracking_code);
  Result<Feedback> rate(const std::string& tracking_code, int stars, const std::string& comment);
  Result<Feedback> reopen(const std::string& tracking_code, const std::string& reason);
  // Public view by id (Open311 GET request): only accepted feedback; description redacted.
  Result<Feedback> public_feedback(std::int64_t id);
  Result<std::vector<Feedback>> public_search(FeedbackQuery q);
  // Open311 request updates: the public history lines with ts in [from, to) (to = 0: open),
  // ascending by id. `limit` (clamped to 1–1000) lines are read, then those of feedback still in
  // moderation or refused there are dropped. Staff usernames are replaced by "staff".
  Result<std::vector<FeedbackEvent>> public_events(UnixTime from, UnixTime to, size_t limit);

  // ---- Staff ----
  Result<std::vector<Feedback>> inbox(const access::Principal& p, FeedbackQuery q);
  Result<FeedbackView> get(const access::Principal& p, std::int64_t id);
  Result<Feedback> moderate(const access::Principal& p, std::int64_t id, bool accept,
                            const std::string& reason, const RequestOrigin& origin);
  // received → assigned: the body accepts it; the answer deadline starts.
  Result<Feedback> accept(const access::Principal& p, std::int64_t id, const RequestOrigin& origin);
  Result<Feedback> recategorise(const access::Principal& p, std::int64_t id,
                                const std::string& service_code, const RequestOrigin& origin);
  // Moves it to another commune (and village) and routes it again.
  Result<Feedback> move_area(const access::Principal& p, std::int64_t id,
                             const std::string& commune_code, const std::string& village_code,
                             const RequestOrigin& origin);
  // To another handling body (a unit's People's Committee, or an agency), with a note.
  Result<Feedback> transfer(const access::Principal& p, std::int64_t id,
                            const std::string& body_unit, std::int64_t agency_id,
                            const std::string& note, const RequestOrigin& origin);
  Result<Feedback> merge(const access::Principal& p, std::int64_t id, std::int64_t into_id,
                         const RequestOrigin& origin);
  Result<Feedback> reject(const access::Principal& p, std::int64_t id, const std::string& reason,
                          const RequestOrigin& origin);
  Result<Feedback> add_note(const access::Principal& p, std::int64_t id, const std::string& note,
                            bool is_public, const RequestOrigin& origin);

  // Answers: draft (handler; assigned only) → submit (handler) → approve (approver; publishes,
  // redacts, replies through the channel) or return (approver, with a reason → draft).
  Result<Feedback> draft_answer(const access::Principal& p, std::int64_t id,
                                const std::string& text, const RequestOrigin& origin);
  Result<Feedback> submit_answer(const access::Principal& p, std::int64_t id,
                                 const RequestOrigin& origin);
  Result<Feedback> approve_answer(const access::Principal& p, std::int64_t id,
                                  const RequestOrigin& origin);
  Result<Feedback> return_answer(const access::Principal& p, std::int64_t id,
                                 const std::string& reason, const RequestOrigin& origin);
  // Decree 49 Art. 8: the commune station broadcasts answers. Editor over the body's unit; the
  // answer must be published. Creates a bulletin owned by the body's unit whose text is the
  // published (redacted) answer under a fixed heading, in status draft; the caller may then
  // synthesise it and call mark_bulletin_approved. One bulletin per answer (conflict otherwise).
  Result<Bulletin> make_bulletin(const access::Principal& p, std::int64_t id,
                                 const RequestOrigin& origin);
  // Carries the answer's four-eyes approval over to its bulletin (draft → approved, approved_by
  // = the answer's approver), since the bulletin's text is exactly the approved answer.
  Result<Bulletin> mark_bulletin_approved(const access::Principal& p, std::int64_t feedback_id,
                                          const RequestOrigin& origin);

  Result<FeedbackStats> stats(const access::Principal& p, UnixTime from, UnixTime to);

  // ---- Deadlines (called by a periodic job) ----
  // Reminds the body's handlers `remind_days_before` working days before a deadline, and
  // escalates (notifies the supervising body's handlers, records it) once a deadline passed;
  // then closes answered feedback whose reopen window ended. Returns how many it touched.
  Result<int> run_deadlines();

  // Open311 expected_datetime: the answer deadline when running, else the forward deadline plus
  // the category's answer days; 0 when closed.
  UnixTime expected_at(const Feedback& f);

  const FeedbackSettings& settings() const;

 private:
  std::unique_ptr<FeedbackDeskImpl> impl_;
};

}  // namespace nguon
