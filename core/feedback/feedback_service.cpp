#include "core/feedback/feedback_service.h"

#include <algorithm>
#include <boost/json.hpp>
#include <functional>
#include <map>
#include <mutex>

#include "core/audit.h"
#include "core/bulletins.h"
#include "core/text.h"
#include "core/units.h"

namespace nguon {
namespace json = boost::json;

namespace {

constexpr size_t kMaxDescription = 4000;  // Open311 GeoReport v2
constexpr size_t kMaxAnswer = 10000;
constexpr size_t kMaxAttachments = 5;
constexpr UnixTime kDay = 86400;

Error feedback_not_found() { return not_found("no such feedback"); }
Error throttled(std::string code, std::string message) {
  return {ErrorKind::kThrottled, std::move(code), std::move(message)};
}

bool is_open(FeedbackStatus s) {
  return s == FeedbackStatus::kModeration || s == FeedbackStatus::kReceived ||
         s == FeedbackStatus::kAssigned;
}

std::string detail_json(const json::object& o) { return json::serialize(o); }

// A compact JSON snapshot of what changes (for audit entries).
std::string snapshot(const Feedback& f) {
  return detail_json({{"status", feedback::status_name(f.status)},
                      {"service", f.service_code},
                      {"area", f.area_path},
                      {"body_unit", f.body_unit},
                      {"agency", f.agency_id},
                      {"answer", feedback::answer_status_name(f.answer_status)}});
}

}  // namespace

Status EmailReplyChannel::queue(Tx& tx, const Feedback& f, const std::string& subject,
                                const std::string& text, UnixTime now) {
  OutboxMail m;
  m.to = f.contact_email;
  m.subject = subject;
  m.body = text;
  m.feedback_id = f.id;
  m.created_at = now;
  m.next_attempt_at = now;
  auto id = tx.insert_outbox(m);
  if (!id) return id.error();
  return {};
}

class FeedbackDeskImpl {
 public:
  FeedbackDeskImpl(Store& store, Clock& clock, Crypto& crypto,
                   const workdays::WorkCalendar& calendar, FeedbackSettings settings)
      : store_(store),
        clock_(clock),
        crypto_(crypto),
        calendar_(calendar),
        settings_(std::move(settings)) {
    channels_.push_back(std::make_unique<EmailReplyChannel>());
  }

  Store& store_;
  Clock& clock_;
  Crypto& crypto_;
  const workdays::WorkCalendar& calendar_;
  FeedbackSettings settings_;
  std::vector<std::unique_ptr<ReplyChannel>> channels_;

  // ---- small helpers ----

  // Reference data every submission reads (categories, routing rules, units), kept for
  // kReferenceTtl seconds so a submission's transaction holds little more than its own writes.
  // Changes made through this desk drop the cache at once; a change made by another server
  // instance shows within the TTL. Units are cached only once found (a new village is seen at
  // once) and never change in ways that matter here (codes and paths are fixed).
  static constexpr UnixTime kReferenceTtl = 10;
  struct ReferenceCache {
    std::mutex mu;
    UnixTime loaded_at = 0;
    bool loaded = false;
    std::map<std::string, FeedbackService, std::less<>> services;
    std::vector<RoutingRule> rules;
    std::map<std::string, Unit, std::less<>> units;
  } cache_;

  void drop_reference_cache() {
    std::lock_guard lock(cache_.mu);
    cache_.loaded = false;
  }

  // Reloads categories and rules when stale. REQUIRES: cache_.mu held.
  Status refresh_references(Tx& tx) {
    const UnixTime now = clock_.now();
    if (cache_.loaded && now >= cache_.loaded_at && now - cache_.loaded_at < kReferenceTtl) {
      return {};
    }
    NGUON_TRY_ASSIGN(auto services, tx.list_feedback_services(true));
    NGUON_TRY_ASSIGN(cache_.rules, tx.list_routing_rules());
    cache_.services.clear();
    for (auto& svc : services) {
      std::string code = svc.code;
      cache_.services.emplace(std::move(code), std::move(svc));
    }
    cache_.units.clear();
    cache_.loaded_at = now;
    cache_.loaded = true;
    return {};
  }

  Result<Unit> unit(Tx& tx, const std::string& code, std::string_view field) {
    {
      std::lock_guard lock(cache_.mu);
      if (auto it = cache_.units.find(code); it != cache_.units.end()) return it->second;
    }
    auto u = tx.find_unit(code);
    if (!u) return u.error();
    if (!u.value())
      return invalid("invalid_field", std::string(field) + ": unknown unit '" + code + "'");
    std::lock_guard lock(cache_.mu);
    cache_.units.insert_or_assign(code, *u.value());
    return std::move(*u.value());
  }

  Result<FeedbackService> active_service(Tx& tx, const std::string& code) {
    std::lock_guard lock(cache_.mu);
    NGUON_TRY(refresh_references(tx));
    auto it = cache_.services.find(code);
    if (it == cache_.services.end() || !it->second.active) {
      return invalid("unknown_service", "service_code: unknown service '" + code + "'");
    }
    return it->second;
  }

  Result<std::vector<RoutingRule>> routing_rules(Tx& tx) {
    std::lock_guard lock(cache_.mu);
    NGUON_TRY(refresh_references(tx));
    return cache_.rules;
  }

  FeedbackEvent event_for(const Feedback& f, std::string actor, std::string kind,
                          std::string detail, bool is_public) {
    FeedbackEvent e;
    e.feedback_id = f.id;
    e.ts = clock_.now();
    e.actor = std::move(actor);
    e.kind = std::move(kind);
    e.detail = detail.empty() ? "{}" : std::move(detail);
    e.is_public = is_public;
    e.status_after = std::string(feedback::status_name(f.status));
    return e;
  }

  Status append_event(Tx& tx, const Feedback& f, std::string actor, std::string kind,
                      std::string detail, bool is_public) {
    auto id = tx.insert_feedback_event(
        event_for(f, std::move(actor), std::move(kind), std::move(detail), is_public));
    if (!id) return id.error();
    return {};
  }

  // Notifies the users holding `role` over `unit_path` (or above it), except `skip`.
  // Notifies the users holding `role` over `unit_path` (or above it), except those who hold it
  // over `except_over_path` too: one statement however many they are.
  Status notify(Tx& tx, const std::string& unit_path, Role role, const Feedback& f,
                const std::string& kind, const std::string& message,
                const std::string& except_over_path = "") {
    Notification n;
    n.kind = kind;
    n.message = message;
    n.created_at = clock_.now();
    n.feedback_id = f.id;
    NGUON_TRY(tx.notify_role_over(unit_path, role, n, except_over_path));
    return {};
  }

  std::string label(const Feedback& f) { return "#" + std::to_string(f.id) + title_suffix(f); }
  static std::string title_suffix(const Feedback& f) {
    return f.title.empty() ? std::string() : " «" + f.title + "»";
  }

  // The handling body for a feedback at `area_path`: the routing rule, else the commune's
  // People's Committee.
  Status route(Tx& tx, Feedback& f) {
    auto rules = routing_rules(tx);
    if (!rules) return rules.error();
    std::string body_unit = f.commune_code;
    std::int64_t agency = 0;
    if (auto rule = feedback::pick_rule(rules.value(), f.service_code, f.area_path)) {
      body_unit = rule->body_unit;
      agency = rule->agency_id;
    }
    if (agency != 0) {  // a rule to an agency since deactivated: its unit's People's Committee
      auto a = tx.find_agency(agency);
      if (!a) return a.error();
      if (!a.value() || !a.value()->active) agency = 0;
    }
    NGUON_TRY_ASSIGN(Unit body, unit(tx, body_unit, "body_unit"));
    f.body_unit = body.code;
    f.body_path = body.path;
    f.agency_id = agency;
    return {};
  }

  // Stores a new submission `f` (routed, with its tracking code) through
  // Tx::insert_feedback_with: in moderation, or in the forward stage with the handlers notified
  // and the agency mailed. Answers the store's IntakeResult (id 0: the guard refused).
  Result<IntakeResult> intake(Tx& tx, Feedback& f, const FeedbackService& service,
                              const IntakeGuard& guard, bool moderated, const std::string& actor) {
    f.status = FeedbackStatus::kModeration;
    f.forward_due = 0;
    f.reminded_at = 0;
    if (!moderated) begin_forward_stage(f, service);
    RoleNotice notice;
    notice.unit_path = moderated ? f.area_path : f.body_path;
    notice.note.kind = moderated ? "feedback.moderation" : "feedback.received";
    notice.note.created_at = clock_.now();
    notice.message_before = moderated ? "Phản ánh " : "Phản ánh mới ";
    notice.message_after = title_suffix(f) + (moderated ? " chờ kiểm duyệt" : " cần chuyển xử lý");
    std::optional<IntakeMail> mail;
    if (!moderated) {
      NGUON_TRY_ASSIGN(mail, agency_mail(tx, f, {"Phản ánh mới ", title_suffix(f) + " cần xử lý"}));
    }
    const FeedbackEvent first = event_for(
        f, actor, "received",
        detail_json({{"channel", f.channel}, {"location_method", f.location_method}}), true);
    return tx.insert_feedback_with(guard, f, first, notice, mail);
  }

  // The e-mail announcing a new assignment to f's agency, when it has an address; `headline`
  // names the feedback (whose id may not be known yet).
  Result<std::optional<IntakeMail>> agency_mail(Tx& tx, const Feedback& f,
                                                const TextAroundId& headline) {
    if (f.agency_id == 0) return std::optional<IntakeMail>();
    auto a = tx.find_agency(f.agency_id);
    if (!a) return a.error();
    if (!a.value() || a.value()->email.empty()) return std::optional<IntakeMail>();
    IntakeMail mail;
    mail.to = a.value()->email;
    mail.subject = {"[Nguồn] " + headline.before, headline.after};
    mail.body = {headline.before, headline.after + ".\n\n" + f.description +
                                      "\n\nXem và xử lý trong bảng điều khiển Nguồn."};
    mail.created_at = clock_.now();
    return std::optional<IntakeMail>(std::move(mail));
  }

  // Queues agency_mail for a stored feedback.
  Status mail_agency(Tx& tx, const Feedback& f, const std::string& headline_before,
                     const std::string& headline_after) {
    NGUON_TRY_ASSIGN(auto mail, agency_mail(tx, f, {headline_before, headline_after}));
    if (mail) NGUON_TRY(tx.insert_outbox(mail->for_feedback(f.id)));
    return {};
  }

  Result<std::string> body_name(Tx& tx, const Feedback& f) {
    if (f.agency_id != 0) {
      auto a = tx.find_agency(f.agency_id);
      if (!a) return a.error();
      if (a.value()) return a.value()->name;
    }
    auto u = tx.find_unit(f.body_unit);
    if (!u) return u.error();
    return u.value() ? "UBND " + u.value()->name : f.body_unit;
  }

  Result<std::string> unit_name(Tx& tx, const std::string& code) {
    if (code.empty()) return std::string();
    auto u = tx.find_unit(code);
    if (!u) return u.error();
    return u.value() ? u.value()->name : code;
  }

  Result<Feedback> load(Tx& tx, std::int64_t id) {
    auto f = tx.find_feedback(id);
    if (!f) return f.error();
    if (!f.value()) return feedback_not_found();
    return std::move(*f.value());
  }

  // Readers see feedback handled under their scope or about places in their scope; others get
  // 404 so its existence does not leak.
  static bool can_see(const access::Principal& p, const Feedback& f) {
    return access::can_read(p, f.body_path) || access::can_read(p, f.area_path);
  }

  Status require(const access::Principal& p, const Feedback& f, Role role,
                 const std::string& path) {
    if (!can_see(p, f)) return feedback_not_found();
    if (!access::has_role(p, role, path)) {
      return forbidden(std::string("this needs the ") + std::string(access::role_name(role)) +
                       " role over the handling body");
    }
    return {};
  }

  // Runs one staff action on a feedback: loads it, checks `role` over the handling body (or over
  // its area for moderation), applies `step`, writes the feedback, a history line and an audit
  // entry in one transaction.
  struct Change {
    std::string kind;    // history kind, also "feedback.<kind>" in the audit log
    std::string detail;  // history detail (JSON object text)
    bool is_public = false;
  };
  using Step = std::function<Result<Change>(Tx&, Feedback&)>;

  Result<Feedback> change(const access::Principal& p, std::int64_t id, Role role, bool over_area,
                          const RequestOrigin& origin, const Step& step) {
    Result<Feedback> out = internal("unreachable");
    NGUON_TRY(store_.write([&](Tx& tx) -> Status {
      NGUON_TRY_ASSIGN(Feedback f, load(tx, id));
      NGUON_TRY(require(p, f, role, over_area ? f.area_path : f.body_path));
      const std::string before = snapshot(f);
      NGUON_TRY_ASSIGN(Change c, step(tx, f));
      f.updated_at = clock_.now();
      NGUON_TRY(tx.update_feedback(f));
      NGUON_TRY(append_event(tx, f, origin.actor, c.kind, c.detail, c.is_public));
      NGUON_TRY(
          audit::append(tx, crypto_,
                        {0, f.updated_at, origin.actor, "feedback." + c.kind,
                         "feedback:" + std::to_string(f.id), before, snapshot(f), origin.ip}));
      out = std::move(f);
      return {};
    }));
    return out;
  }

  // Starts the forward stage: the deadline runs from now (fields only, before any write).
  void begin_forward_stage(Feedback& f, const FeedbackService& service) {
    f.status = FeedbackStatus::kReceived;
    f.forward_due = calendar_.deadline(clock_.now(), service.forward_days);
    f.reminded_at = 0;
  }

  // Tells the handling body (and its agency by e-mail) about a feedback that entered the
  // forward stage; the feedback must be stored (it has an id).
  Status announce_forward_stage(Tx& tx, const Feedback& f) {
    NGUON_TRY(mail_agency(tx, f, "Phản ánh mới ", title_suffix(f) + " cần xử lý"));
    return notify(tx, f.body_path, Role::kFeedbackHandler, f, "feedback.received",
                  "Phản ánh mới " + label(f) + " cần chuyển xử lý");
  }

  Status reply(Tx& tx, const Feedback& f, const std::string& subject, const std::string& text) {
    ReplyChannel* chosen = nullptr;
    for (auto& c : channels_) {
      if (c->name() == f.channel && c->can_reach(f)) chosen = c.get();
    }
    if (chosen == nullptr) {
      for (auto& c : channels_) {
        if (c->name() == "email" && c->can_reach(f)) chosen = c.get();
      }
    }
    if (chosen == nullptr) return {};  // the citizen follows it on the portal with the code
    NGUON_TRY(chosen->queue(tx, f, subject, text, clock_.now()));
    return append_event(tx, f, "system", "reply_queued", detail_json({{"channel", chosen->name()}}),
                        false);
  }

  std::string tracking_link(const Feedback& f) const {
    if (settings_.portal_base_url.empty()) return "";
    return settings_.portal_base_url + "/portal/track?code=" + f.tracking_code;
  }
};

FeedbackDesk::FeedbackDesk(Store& store, Clock& clock, Crypto& crypto,
                           const workdays::WorkCalendar& calendar, FeedbackSettings settings)
    : impl_(std::make_unique<FeedbackDeskImpl>(store, clock, crypto, calendar,
                                               std::move(settings))) {}

FeedbackDesk::~FeedbackDesk() = default;

const FeedbackSettings& FeedbackDesk::settings() const { return impl_->settings_; }

void FeedbackDesk::add_reply_channel(std::unique_ptr<ReplyChannel> channel) {
  impl_->channels_.push_back(std::move(channel));
}

// ---------------------------------------------------------------------------------------------
// Categories, agencies, routing

namespace {

bool valid_service_code(std::string_view c) {
  return !c.empty() && c.size() <= 40 && std::all_of(c.begin(), c.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
  });
}

Status require_admin_over(const access::Principal& p, const std::string& path) {
  if (!access::has_role(p, Role::kAdmin, path)) {
    return forbidden("this needs the admin role over the unit");
  }
  return {};
}

}  // namespace

Result<std::vector<FeedbackService>> FeedbackDesk::services(bool include_inactive) {
  Result<std::vector<FeedbackService>> out = internal("unreachable");
  NGUON_TRY(impl_->store_.read([&](Tx& tx) -> Status {
    out = tx.list_feedback_services(include_inactive);
    return {};
  }));
  return out;
}

Result<FeedbackService> FeedbackDesk::service(const std::string& code) {
  Result<FeedbackService> out = internal("unreachable");
  NGUON_TRY(impl_->store_.read([&](Tx& tx) -> Status {
    auto s = tx.find_feedback_service(code);
    if (!s) return s.error();
    if (!s.value() || !s.value()->active) return not_found("no such service");
    out = std::move(*s.value());
    return {};
  }));
  return out;
}

Status FeedbackDesk::put_service(const access::Principal& p, FeedbackService s,
                                 const RequestOrigin& origin) {
  // Categories are shared by the whole deployment: admins of a province (or the nation) edit
  // them; a commune's admin does not.
  const bool province_admin =
      std::any_of(p.grants.begin(), p.grants.end(), [](const access::ScopedGrant& g) {
        return g.role == Role::kAdmin &&
               std::count(g.unit_path.begin(), g.unit_path.end(), '/') <= 2;
      });
  if (!province_admin) return forbidden("this needs the admin role over a province or the nation");
  if (!valid_service_code(s.code)) {
    return invalid("invalid_field", "code: 1–40 lower-case letters, digits, _ or -");
  }
  NGUON_TRY_ASSIGN(s.name_vi, text::clean_line("name_vi", s.name_vi, 1, 120));
  NGUON_TRY_ASSIGN(s.name_en, text::clean_line("name_en", s.name_en, 0, 120));
  NGUON_TRY_ASSIGN(s.description, text::clean_multiline("description", s.description, 1000));
  NGUON_TRY_ASSIGN(s.group, text::clean_line("group", s.group, 0, 80));
  NGUON_TRY_ASSIGN(s.keywords, text::clean_line("keywords", s.keywords, 0, 200));
  NGUON_TRY_ASSIGN(auto attrs, feedback::parse_attributes(s.attributes_json));
  s.attributes_json = feedback::attributes_to_json(attrs);
  if (s.forward_days < 0 || s.forward_days > 60 || s.answer_days < 1 || s.answer_days > 120) {
    return invalid("invalid_field", "forward_days 0–60 and answer_days 1–120 working days");
  }
  Status written = impl_->store_.write([&](Tx& tx) -> Status {
    NGUON_TRY(tx.upsert_feedback_service(s));
    return audit::append(tx, impl_->crypto_,
                         {0, impl_->clock_.now(), origin.actor, "feedback.service_put",
                          "feedback_service:" + s.code, "",
                          detail_json({{"name_vi", s.name_vi},
                                       {"forward_days", s.forward_days},
                                       {"answer_days", s.answer_days},
                                       {"active", s.active}}),
                          origin.ip});
  });
  impl_->drop_reference_cache();  // after the commit, so no reader reloads the old rows
  return written;
}

Result<std::vector<Agency>> FeedbackDesk::agencies(const access::Principal& p) {
  Result<std::vector<Agency>> out = std::vector<Agency>{};
  NGUON_TRY(impl_->store_.read([&](Tx& tx) -> Status {
    std::vector<Agency> all;
    for (const std::string& root : access::read_roots(p)) {
      auto list = tx.list_agencies(root);
      if (!list) return list.error();
      all.insert(all.end(), list.value().begin(), list.value().end());
    }
    out = std::move(all);
    return {};
  }));
  return out;
}

Result<Agency> FeedbackDesk::put_agency(const access::Principal& p, Agency a,
                                        const RequestOrigin& origin) {
  NGUON_TRY_ASSIGN(a.name, text::clean_line("name", a.name, 2, 160));
  if (!a.email.empty() && (a.email.size() > 254 || a.email.find('@') == std::string::npos ||
                           a.email.find_first_of(" \r\n<>") != std::string::npos)) {
    return invalid("invalid_field", "email: not an e-mail address");
  }
  Result<Agency> out = internal("unreachable");
  NGUON_TRY(impl_->store_.write([&](Tx& tx) -> Status {
    NGUON_TRY_ASSIGN(Unit u, impl_->unit(tx, a.unit_code, "unit_code"));
    NGUON_TRY(require_admin_over(p, u.path));
    a.unit_path = u.path;
    if (a.supervisor_agency != 0) {
      auto sup = tx.find_agency(a.supervisor_agency);
      if (!sup) return sup.error();
      if (!sup.value() || sup.value()->id == a.id) {
        return invalid("invalid_field", "supervisor_agency: unknown agency");
      }
    }
    std::string before;
    if (a.id == 0) {
      NGUON_TRY_ASSIGN(a.id, tx.insert_agency(a));
    } else {
      auto old = tx.find_agency(a.id);
      if (!old) return old.error();
      if (!old.value() || !access::can_read(p, old.value()->unit_path)) {
        return not_found("no such agency");
      }
      NGUON_TRY(require_admin_over(p, old.value()->unit_path));
      before = detail_json({{"name", old.value()->name}, {"unit", old.value()->unit_code}});
      NGUON_TRY(tx.update_agency(a));
    }
    NGUON_TRY(audit::append(tx, impl_->crypto_,
                            {0, impl_->clock_.now(), origin.actor, "feedback.agency_put",
                             "agency:" + std::to_string(a.id), before,
                             detail_json({{"name", a.name}, {"unit", a.unit_code}}), origin.ip}));
    out = a;
    return {};
  }));
  return out;
}

Result<std::vector<RoutingRule>> FeedbackDesk::routing_rules(const access::Principal& p) {
  Result<std::vector<RoutingRule>> out = internal("unreachable");
  NGUON_TRY(impl_->store_.read([&](Tx& tx) -> Status {
    NGUON_TRY_ASSIGN(auto rules, tx.list_routing_rules());
    std::erase_if(rules, [&](const RoutingRule& r) { return !access::can_read(p, r.area_path); });
    out = std::move(rules);
    return {};
  }));
  return out;
}

Result<RoutingRule> FeedbackDesk::add_routing_rule(const access::Principal& p, RoutingRule r,
                                                   const RequestOrigin& origin) {
  Result<RoutingRule> out = internal("unreachable");
  NGUON_TRY(impl_->store_.write([&](Tx& tx) -> Status {
    if (r.service_code != "*") NGUON_TRY(impl_->active_service(tx, r.service_code));
    NGUON_TRY_ASSIGN(Unit area, impl_->unit(tx, r.area_code, "area_code"));
    NGUON_TRY(require_admin_over(p, area.path));
    NGUON_TRY_ASSIGN(Unit body, impl_->unit(tx, r.body_unit, "body_unit"));
    if (r.agency_id != 0) {
      auto a = tx.find_agency(r.agency_id);
      if (!a) return a.error();
      if (!a.value() || !a.value()->active)
        return invalid("invalid_field", "agency_id: unknown agency");
      if (a.value()->unit_code != body.code) {
        return invalid("invalid_field", "agency_id: the agency belongs to another unit");
      }
    }
    r.area_path = area.path;
    NGUON_TRY_ASSIGN(r.id, tx.insert_routing_rule(r));
    NGUON_TRY(audit::append(tx, impl_->crypto_,
                            {0, impl_->clock_.now(), origin.actor, "feedback.rule_add",
                             "routing_rule:" + std::to_string(r.id), "",
                             detail_json({{"service", r.service_code},
                                          {"area", r.area_code},
                                          {"body", r.body_unit},
                                          {"agency", r.agency_id}}),
                             origin.ip}));
    out = r;
    return {};
  }));
  impl_->drop_reference_cache();
  return out;
}

Status FeedbackDesk::delete_routing_rule(const access::Principal& p, std::int64_t id,
                                         const RequestOrigin& origin) {
  Status written = impl_->store_.write([&](Tx& tx) -> Status {
    NGUON_TRY_ASSIGN(auto rules, tx.list_routing_rules());
    auto it =
        std::find_if(rules.begin(), rules.end(), [&](const RoutingRule& r) { return r.id == id; });
    if (it == rules.end() || !access::can_read(p, it->area_path)) return not_found("no such rule");
    NGUON_TRY(require_admin_over(p, it->area_path));
    NGUON_TRY(tx.delete_routing_rule(id));
    return audit::append(tx, impl_->crypto_,
                         {0, impl_->clock_.now(), origin.actor, "feedback.rule_delete",
                          "routing_rule:" + std::to_string(id), "", "", origin.ip});
  });
  impl_->drop_reference_cache();
  return written;
}

// ---------------------------------------------------------------------------------------------
// Intake

namespace {

struct CleanSubmission {
  Feedback f;
  std::vector<std::pair<std::string, std::string>> attributes;
};

Result<CleanSubmission> clean(Submission s) {
  CleanSubmission out;
  Feedback& f = out.f;
  f.service_code = s.service_code;
  NGUON_TRY_ASSIGN(f.title, text::clean_line("title", s.title, 0, 200));
  NGUON_TRY_ASSIGN(f.description,
                   text::clean_multiline("description", s.description, kMaxDescription));
  if (f.description.empty()) return invalid("invalid_field", "description: must not be empty");
  NGUON_TRY_ASSIGN(f.address, text::clean_line("address", s.address, 0, 300));
  NGUON_TRY_ASSIGN(f.contact_name, text::clean_line("name", s.contact_name, 0, 120));
  NGUON_TRY_ASSIGN(f.relayed_by, text::clean_line("relayed_by", s.relayed_by, 0, 160));
  if (!s.contact_email.empty()) {
    const std::string& e = s.contact_email;
    const size_t at = e.find('@');
    if (e.size() > 254 || at == std::string::npos || at == 0 ||
        e.find('.', at) == std::string::npos ||
        e.find_first_of(" \t\r\n<>,;\"'") != std::string::npos || !text::is_valid_utf8(e)) {
      return invalid("invalid_field", "email: not an e-mail address");
    }
    f.contact_email = e;
  }
  if (!s.contact_phone.empty()) {
    auto phone = feedback::normalize_phone(s.contact_phone);
    if (!phone) return invalid("invalid_field", "phone: not a Vietnamese phone number");
    f.contact_phone = *phone;
  }
  if (s.lat.has_value() != s.lon.has_value()) {
    return invalid("invalid_field", "lat and long: give both or neither");
  }
  if (s.lat && !feedback::inside_vietnam(*s.lat, *s.lon)) {
    return invalid("invalid_field", "lat/long: the point is outside Vietnam");
  }
  f.lat = s.lat;
  f.lon = s.lon;
  if (s.attachments.size() > kMaxAttachments) {
    return invalid("too_many_attachments",
                   "at most " + std::to_string(kMaxAttachments) + " attachments");
  }
  f.attachments = std::move(s.attachments);
  f.channel = s.channel;
  f.client = s.client;
  f.submitter_ip = s.ip;
  f.commune_code = s.commune_code;
  f.village_code = s.village_code;
  out.attributes = std::move(s.attributes);
  return out;
}

}  // namespace

Result<Feedback> FeedbackDesk::submit(Submission s, const access::Principal* staff,
                                      const RequestOrigin& origin) {
  auto& m = *impl_;
  NGUON_TRY_ASSIGN(CleanSubmission c, clean(std::move(s)));
  Feedback f = std::move(c.f);
  f.contact_hash = [&] {
    const std::string key = feedback::contact_key(f.contact_email, f.contact_phone);
    return key.empty() ? std::string() : m.crypto_.sha256_hex(key);
  }();
  const UnixTime now = m.clock_.now();
  Result<Feedback> out = internal("unreachable");
  NGUON_TRY(m.store_.write([&](Tx& tx) -> Status {
    NGUON_TRY_ASSIGN(FeedbackService service, m.active_service(tx, f.service_code));
    NGUON_TRY_ASSIGN(auto definition, feedback::parse_attributes(service.attributes_json));
    NGUON_TRY_ASSIGN(f.attributes_json,
                     feedback::check_attribute_answers(definition, c.attributes));
    // Where.
    f.location_method = "given";
    if (f.commune_code.empty()) {
      if (!f.lat) {
        return invalid("missing_location", "give a commune, or a point (lat and long)");
      }
      DeviceQuery everywhere;
      everywhere.limit = 100000;
      NGUON_TRY_ASSIGN(auto devices, tx.list_devices(everywhere));
      if (auto near =
              feedback::nearest_commune(devices, *f.lat, *f.lon, m.settings_.locate_max_km)) {
        f.commune_code = near->commune_code;
        f.location_method = "nearest_device";
      } else if (!m.settings_.fallback_unit.empty()) {
        f.commune_code = m.settings_.fallback_unit;
        f.location_method = "fallback";
      } else {
        return invalid("missing_location",
                       "the point is not near any commune we serve; choose the commune");
      }
    }
    NGUON_TRY_ASSIGN(Unit commune, m.unit(tx, f.commune_code, "commune"));
    if (commune.level != UnitLevel::kCommune && f.location_method != "fallback") {
      return invalid("invalid_field", "commune: '" + f.commune_code + "' is not a commune");
    }
    f.area_path = commune.path;
    if (!f.village_code.empty()) {
      NGUON_TRY_ASSIGN(Unit village, m.unit(tx, f.village_code, "village"));
      if (village.parent_code != commune.code) {
        return invalid("invalid_field", "village: not a village of " + commune.name);
      }
      f.area_path = village.path;
    }
    // Who.
    if (staff != nullptr) {
      const bool may = access::has_role(*staff, Role::kFeedbackHandler, commune.path) ||
                       access::has_role(*staff, Role::kPropagandist, commune.path) ||
                       access::has_role(*staff, Role::kEditor, commune.path);
      if (!may) return forbidden("you may not enter feedback for " + commune.name);
      f.entered_by = staff->user_id;
      f.channel = "staff";
      f.client = staff->username;
    }
    NGUON_TRY(m.route(tx, f));
    f.tracking_code = feedback::make_tracking_code(m.crypto_.random_hex(8));
    f.submitted_at = f.updated_at = now;
    // The anti-abuse rules are checked by the store in the insert itself (one round trip on
    // PostgreSQL, bench/feedback_submit.cpp): first as if the contact were known and accepted
    // before; if the guard refuses, its counts tell whether the contact is over its daily
    // limit or a first-time contact whose submission goes to moderation.
    const bool citizen = staff == nullptr;
    const bool may_moderate = citizen && m.settings_.moderate_first_time;
    IntakeGuard guard;
    if (citizen && !f.contact_hash.empty()) {
      guard.contact_hash = f.contact_hash;
      guard.since = now - kDay;
      guard.max_recent = m.settings_.submissions_per_contact_per_day;
      guard.require_accepted = may_moderate;
    }
    const std::string actor = citizen ? "citizen" : staff->username;
    bool moderated = may_moderate && f.contact_hash.empty();
    auto too_many = [] {
      return throttled("too_many_submissions",
                       "this contact sent too many submissions today; try again tomorrow");
    };
    NGUON_TRY_ASSIGN(IntakeResult intake, m.intake(tx, f, service, guard, moderated, actor));
    if (intake.id == 0) {
      if (intake.counts.recent >= guard.max_recent) return too_many();
      moderated = true;  // a first-time contact: the guard refused for want of an accepted one
      guard.require_accepted = false;
      NGUON_TRY_ASSIGN(intake, m.intake(tx, f, service, guard, moderated, actor));
      if (intake.id == 0) return too_many();
    }
    f.id = intake.id;
    out = f;
    return {};
  }));
  (void)origin;  // citizens' submissions are recorded in the feedback's history, not the audit log
  return out;
}

// ---------------------------------------------------------------------------------------------
// Citizens

namespace {

bool accepted(const Feedback& f) {
  return f.status != FeedbackStatus::kModeration &&
         !(f.status == FeedbackStatus::kRejected && f.assigned_at == 0 && f.forward_due == 0);
}

// The public face of a feedback: no contact, no internal answer draft, description redacted.
Feedback public_copy(Feedback f) {
  std::vector<std::string> names;
  if (!f.contact_name.empty()) names.push_back(f.contact_name);
  f.description = feedback::redact(f.description, names);
  f.title = feedback::redact(f.title, names);
  f.contact_name.clear();
  f.contact_email.clear();
  f.contact_phone.clear();
  f.contact_hash.clear();
  f.submitter_ip.clear();
  f.client.clear();
  f.relayed_by.clear();
  f.tracking_code.clear();
  f.answer_text.clear();
  f.entered_by = 0;
  f.answer_author = 0;
  f.answer_approver = 0;
  f.rating_comment.clear();
  return f;
}

}  // namespace

Result<CitizenView> FeedbackDesk::track(const std::string& tracking_code) {
  auto& m = *impl_;
  auto code = feedback::normalize_tracking_code(tracking_code);
  if (!code) return not_found("no feedback has this tracking code");
  Result<CitizenView> out = internal("unreachable");
  NGUON_TRY(m.store_.read([&](Tx& tx) -> Status {
    auto found = tx.find_feedback_by_code(*code);
    if (!found) return found.error();
    if (!found.value()) return not_found("no feedback has this tracking code");
    CitizenView v;
    v.feedback = std::move(*found.value());
    v.feedback.answer_text.clear();
    NGUON_TRY_ASSIGN(v.events, tx.list_feedback_events(v.feedback.id, true));
    NGUON_TRY_ASSIGN(v.body_name, m.body_name(tx, v.feedback));
    NGUON_TRY_ASSIGN(v.commune_name, m.unit_name(tx, v.feedback.commune_code));
    auto svc = tx.find_feedback_service(v.feedback.service_code);
    if (!svc) return svc.error();
    v.service_name = svc.value() ? svc.value()->name_vi : v.feedback.service_code;
    const Feedback& f = v.feedback;
    const UnixTime now = m.clock_.now();
    v.can_rate = f.status == FeedbackStatus::kAnswered;
    v.can_reopen = (f.status == FeedbackStatus::kAnswered || f.status == FeedbackStatus::kClosed) &&
                   f.answered_at > 0 && now <= f.answered_at + m.settings_.reopen_days * kDay &&
                   f.reopen_count < m.settings_.max_reopens;
    out = std::move(v);
    return {};
  }));
  return out;
}

namespace {

// A citizen's action by tracking code: loads, lets `step` change it, writes with a public
// history line.
Result<Feedback> citizen_change(FeedbackDeskImpl& m, const std::string& tracking_code,
                                const std::string& kind,
                                const std::function<Result<std::string>(Tx&, Feedback&)>& step) {
  auto code = feedback::normalize_tracking_code(tracking_code);
  if (!code) return not_found("no feedback has this tracking code");
  Result<Feedback> out = internal("unreachable");
  NGUON_TRY(m.store_.write([&](Tx& tx) -> Status {
    auto found = tx.find_feedback_by_code(*code);
    if (!found) return found.error();
    if (!found.value()) return not_found("no feedback has this tracking code");
    Feedback f = std::move(*found.value());
    NGUON_TRY_ASSIGN(std::string detail, step(tx, f));
    f.updated_at = m.clock_.now();
    NGUON_TRY(tx.update_feedback(f));
    NGUON_TRY(m.append_event(tx, f, "citizen", kind, detail, true));
    out = std::move(f);
    return {};
  }));
  return out;
}

}  // namespace

Result<Feedback> FeedbackDesk::rate(const std::string& tracking_code, int stars,
                                    const std::string& comment) {
  if (stars < 1 || stars > 5) return invalid("invalid_field", "rating: 1 to 5");
  NGUON_TRY_ASSIGN(std::string clean_comment, text::clean_multiline("comment", comment, 1000));
  auto& m = *impl_;
  return citizen_change(m, tracking_code, "rated", [&](Tx& tx, Feedback& f) -> Result<std::string> {
    if (f.status != FeedbackStatus::kAnswered) {
      return conflict("not_answered", "only an answered feedback can be rated, once");
    }
    f.rating = stars;
    f.rating_comment = clean_comment;
    f.status = FeedbackStatus::kClosed;
    f.closed_at = m.clock_.now();
    NGUON_TRY(
        m.notify(tx, f.body_path, Role::kFeedbackHandler, f, "feedback.rated",
                 "Người dân đánh giá " + std::to_string(stars) + "/5 câu trả lời " + m.label(f)));
    return detail_json({{"rating", stars}});
  });
}

Result<Feedback> FeedbackDesk::reopen(const std::string& tracking_code, const std::string& reason) {
  NGUON_TRY_ASSIGN(std::string why, text::clean_multiline("reason", reason, 2000));
  if (why.empty()) return invalid("invalid_field", "reason: say why the answer does not settle it");
  auto& m = *impl_;
  return citizen_change(
      m, tracking_code, "reopened", [&](Tx& tx, Feedback& f) -> Result<std::string> {
        const UnixTime now = m.clock_.now();
        const bool answered =
            f.status == FeedbackStatus::kAnswered || f.status == FeedbackStatus::kClosed;
        if (!answered || f.answered_at == 0) {
          return conflict("not_answered", "only an answered feedback can be reopened");
        }
        if (now > f.answered_at + m.settings_.reopen_days * kDay) {
          return conflict("reopen_window_closed", "the time to reopen this feedback has passed");
        }
        if (f.reopen_count >= m.settings_.max_reopens) {
          return conflict("too_many_reopens", "this feedback cannot be reopened again");
        }
        NGUON_TRY_ASSIGN(FeedbackService service, m.active_service(tx, f.service_code));
        f.status = FeedbackStatus::kAssigned;
        f.reopen_count += 1;
        f.answer_status = AnswerStatus::kNone;
        f.answer_text.clear();
        f.answer_author = f.answer_approver = 0;
        f.rating = 0;
        f.closed_at = 0;
        f.answer_due = m.calendar_.deadline(now, service.answer_days);
        f.reminded_at = 0;
        NGUON_TRY(m.notify(tx, f.body_path, Role::kFeedbackHandler, f, "feedback.reopened",
                           "Người dân mở lại phản ánh " + m.label(f)));
        return detail_json({{"reason", why}});
      });
}

Result<Feedback> FeedbackDesk::public_feedback(std::int64_t id) {
  Result<Feedback> out = internal("unreachable");
  NGUON_TRY(impl_->store_.read([&](Tx& tx) -> Status {
    auto f = tx.find_feedback(id);
    if (!f) return f.error();
    if (!f.value() || !accepted(*f.value())) return feedback_not_found();
    out = public_copy(std::move(*f.value()));
    return {};
  }));
  return out;
}

Result<std::vector<Feedback>> FeedbackDesk::public_search(FeedbackQuery q) {
  if (q.statuses.empty()) {
    q.statuses = {FeedbackStatus::kReceived, FeedbackStatus::kAssigned, FeedbackStatus::kAnswered,
                  FeedbackStatus::kClosed,   FeedbackStatus::kRejected, FeedbackStatus::kMerged};
  }
  std::erase(q.statuses, FeedbackStatus::kModeration);
  if (q.statuses.empty()) return std::vector<Feedback>{};
  q.limit = std::min<size_t>(q.limit, 1000);
  Result<std::vector<Feedback>> out = internal("unreachable");
  NGUON_TRY(impl_->store_.read([&](Tx& tx) -> Status {
    NGUON_TRY_ASSIGN(auto list, tx.search_feedback(q));
    std::vector<Feedback> pub;
    for (auto& f : list) {
      if (accepted(f)) pub.push_back(public_copy(std::move(f)));
    }
    out = std::move(pub);
    return {};
  }));
  return out;
}

Result<std::vector<FeedbackEvent>> FeedbackDesk::public_events(UnixTime from, UnixTime to,
                                                               size_t limit) {
  limit = std::clamp<size_t>(limit, 1, 1000);
  Result<std::vector<FeedbackEvent>> out = internal("unreachable");
  NGUON_TRY(impl_->store_.read([&](Tx& tx) -> Status {
    NGUON_TRY_ASSIGN(auto events, tx.public_feedback_events(from, to, limit));
    std::map<std::int64_t, bool> shown;  // feedback id → accepted (public)
    std::vector<FeedbackEvent> pub;
    for (auto& e : events) {
      auto it = shown.find(e.feedback_id);
      if (it == shown.end()) {
        auto f = tx.find_feedback(e.feedback_id);
        if (!f) return f.error();
        it = shown.emplace(e.feedback_id, f.value() && accepted(*f.value())).first;
      }
      if (!it->second) continue;
      if (e.actor != "citizen" && e.actor != "system") e.actor = "staff";
      pub.push_back(std::move(e));
    }
    out = std::move(pub);
    return {};
  }));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Staff

Result<std::vector<Feedback>> FeedbackDesk::inbox(const access::Principal& p, FeedbackQuery q) {
  q.body_paths = access::read_roots(p);
  if (q.body_paths.empty()) return std::vector<Feedback>{};
  q.limit = std::clamp<size_t>(q.limit, 1, 500);
  Result<std::vector<Feedback>> out = internal("unreachable");
  NGUON_TRY(impl_->store_.read([&](Tx& tx) -> Status {
    out = tx.search_feedback(q);
    return {};
  }));
  return out;
}

Result<FeedbackView> FeedbackDesk::get(const access::Principal& p, std::int64_t id) {
  auto& m = *impl_;
  Result<FeedbackView> out = internal("unreachable");
  NGUON_TRY(m.store_.read([&](Tx& tx) -> Status {
    FeedbackView v;
    NGUON_TRY_ASSIGN(v.feedback, m.load(tx, id));
    if (!FeedbackDeskImpl::can_see(p, v.feedback)) return feedback_not_found();
    NGUON_TRY_ASSIGN(v.events, tx.list_feedback_events(id, false));
    NGUON_TRY_ASSIGN(v.body_name, m.body_name(tx, v.feedback));
    NGUON_TRY_ASSIGN(v.commune_name, m.unit_name(tx, v.feedback.commune_code));
    NGUON_TRY_ASSIGN(v.village_name, m.unit_name(tx, v.feedback.village_code));
    auto svc = tx.find_feedback_service(v.feedback.service_code);
    if (!svc) return svc.error();
    v.service_name = svc.value() ? svc.value()->name_vi : v.feedback.service_code;
    out = std::move(v);
    return {};
  }));
  return out;
}

namespace {

Status expect_status(const Feedback& f, std::initializer_list<FeedbackStatus> allowed,
                     std::string_view action) {
  if (std::find(allowed.begin(), allowed.end(), f.status) != allowed.end()) return {};
  return conflict("invalid_state", "cannot " + std::string(action) + " a feedback that is " +
                                       std::string(feedback::status_name(f.status)));
}

}  // namespace

Result<Feedback> FeedbackDesk::moderate(const access::Principal& p, std::int64_t id, bool accept_it,
                                        const std::string& reason, const RequestOrigin& origin) {
  auto& m = *impl_;
  NGUON_TRY_ASSIGN(std::string why, text::clean_multiline("reason", reason, 1000));
  if (!accept_it && why.empty()) return invalid("invalid_field", "reason: say why it is rejected");
  return m.change(
      p, id, Role::kFeedbackHandler, true, origin,
      [&](Tx& tx, Feedback& f) -> Result<FeedbackDeskImpl::Change> {
        NGUON_TRY(expect_status(f, {FeedbackStatus::kModeration}, "moderate"));
        if (!accept_it) {
          f.status = FeedbackStatus::kRejected;
          f.reject_reason = why;
          f.closed_at = m.clock_.now();
          return FeedbackDeskImpl::Change{"rejected", detail_json({{"reason", why}}), true};
        }
        NGUON_TRY_ASSIGN(FeedbackService s, m.active_service(tx, f.service_code));
        m.begin_forward_stage(f, s);
        NGUON_TRY(m.announce_forward_stage(tx, f));
        return FeedbackDeskImpl::Change{"moderated", "{}", false};
      });
}

Result<Feedback> FeedbackDesk::accept(const access::Principal& p, std::int64_t id,
                                      const RequestOrigin& origin) {
  auto& m = *impl_;
  return m.change(p, id, Role::kFeedbackHandler, false, origin,
                  [&](Tx& tx, Feedback& f) -> Result<FeedbackDeskImpl::Change> {
                    NGUON_TRY(expect_status(f, {FeedbackStatus::kReceived}, "accept"));
                    NGUON_TRY_ASSIGN(FeedbackService s, m.active_service(tx, f.service_code));
                    const UnixTime now = m.clock_.now();
                    f.status = FeedbackStatus::kAssigned;
                    f.assigned_at = now;
                    f.answer_due = m.calendar_.deadline(now, s.answer_days);
                    f.reminded_at = 0;
                    NGUON_TRY_ASSIGN(std::string body, m.body_name(tx, f));
                    return FeedbackDeskImpl::Change{
                        "assigned", detail_json({{"body", body}, {"answer_due", f.answer_due}}),
                        true};
                  });
}

Result<Feedback> FeedbackDesk::recategorise(const access::Principal& p, std::int64_t id,
                                            const std::string& service_code,
                                            const RequestOrigin& origin) {
  auto& m = *impl_;
  return m.change(
      p, id, Role::kFeedbackHandler, false, origin,
      [&](Tx& tx, Feedback& f) -> Result<FeedbackDeskImpl::Change> {
        NGUON_TRY(expect_status(
            f, {FeedbackStatus::kModeration, FeedbackStatus::kReceived, FeedbackStatus::kAssigned},
            "re-categorise"));
        NGUON_TRY(m.active_service(tx, service_code));
        const std::string from = f.service_code;
        f.service_code = service_code;
        return FeedbackDeskImpl::Change{"recategorised",
                                        detail_json({{"from", from}, {"to", service_code}}), true};
      });
}

Result<Feedback> FeedbackDesk::move_area(const access::Principal& p, std::int64_t id,
                                         const std::string& commune_code,
                                         const std::string& village_code,
                                         const RequestOrigin& origin) {
  auto& m = *impl_;
  return m.change(
      p, id, Role::kFeedbackHandler, false, origin,
      [&](Tx& tx, Feedback& f) -> Result<FeedbackDeskImpl::Change> {
        NGUON_TRY(
            expect_status(f, {FeedbackStatus::kModeration, FeedbackStatus::kReceived}, "move"));
        NGUON_TRY_ASSIGN(Unit commune, m.unit(tx, commune_code, "commune"));
        if (commune.level != UnitLevel::kCommune) {
          return invalid("invalid_field", "commune: '" + commune_code + "' is not a commune");
        }
        std::string path = commune.path;
        if (!village_code.empty()) {
          NGUON_TRY_ASSIGN(Unit village, m.unit(tx, village_code, "village"));
          if (village.parent_code != commune.code) {
            return invalid("invalid_field", "village: not a village of " + commune.name);
          }
          path = village.path;
        }
        const std::string from = f.commune_code;
        f.commune_code = commune.code;
        f.village_code = village_code;
        f.area_path = path;
        f.location_method = "moved";
        NGUON_TRY(m.route(tx, f));
        NGUON_TRY(m.notify(tx, f.body_path, Role::kFeedbackHandler, f, "feedback.received",
                           "Phản ánh " + m.label(f) + " được chuyển đến địa bàn của bạn"));
        return FeedbackDeskImpl::Change{
            "moved", detail_json({{"from", from}, {"to", commune.code}, {"to_name", commune.name}}),
            true};
      });
}

Result<Feedback> FeedbackDesk::transfer(const access::Principal& p, std::int64_t id,
                                        const std::string& body_unit, std::int64_t agency_id,
                                        const std::string& note, const RequestOrigin& origin) {
  auto& m = *impl_;
  NGUON_TRY_ASSIGN(std::string why, text::clean_multiline("note", note, 2000));
  return m.change(
      p, id, Role::kFeedbackHandler, false, origin,
      [&](Tx& tx, Feedback& f) -> Result<FeedbackDeskImpl::Change> {
        NGUON_TRY(
            expect_status(f, {FeedbackStatus::kReceived, FeedbackStatus::kAssigned}, "transfer"));
        NGUON_TRY_ASSIGN(Unit body, m.unit(tx, body_unit, "body_unit"));
        if (agency_id != 0) {
          auto a = tx.find_agency(agency_id);
          if (!a) return a.error();
          if (!a.value() || !a.value()->active || a.value()->unit_code != body.code) {
            return invalid("invalid_field", "agency_id: no such agency at " + body.name);
          }
        }
        if (body.code == f.body_unit && agency_id == f.agency_id) {
          return conflict("same_body", "the feedback is already with that body");
        }
        NGUON_TRY_ASSIGN(std::string from, m.body_name(tx, f));
        f.body_unit = body.code;
        f.body_path = body.path;
        f.agency_id = agency_id;
        if (f.answer_status != AnswerStatus::kPublished) {
          f.answer_status = AnswerStatus::kNone;  // the new body writes its own answer
          f.answer_text.clear();
          f.answer_author = 0;
        }
        NGUON_TRY_ASSIGN(std::string to, m.body_name(tx, f));
        NGUON_TRY(m.notify(tx, f.body_path, Role::kFeedbackHandler, f, "feedback.transferred",
                           "Phản ánh " + m.label(f) + " được chuyển đến " + to));
        NGUON_TRY(m.mail_agency(tx, f, "Phản ánh ", m.title_suffix(f) + " được chuyển đến " + to));
        // The note is public history: the citizen's name and contacts are masked in it.
        std::vector<std::string> names;
        if (!f.contact_name.empty()) names.push_back(f.contact_name);
        return FeedbackDeskImpl::Change{
            "transferred",
            detail_json({{"from", from}, {"to", to}, {"note", feedback::redact(why, names)}}),
            true};
      });
}

Result<Feedback> FeedbackDesk::merge(const access::Principal& p, std::int64_t id,
                                     std::int64_t into_id, const RequestOrigin& origin) {
  auto& m = *impl_;
  if (id == into_id) return invalid("invalid_field", "into: a feedback cannot merge into itself");
  return m.change(
      p, id, Role::kFeedbackHandler, false, origin,
      [&](Tx& tx, Feedback& f) -> Result<FeedbackDeskImpl::Change> {
        NGUON_TRY(expect_status(
            f, {FeedbackStatus::kModeration, FeedbackStatus::kReceived, FeedbackStatus::kAssigned},
            "merge"));
        NGUON_TRY_ASSIGN(Feedback into, m.load(tx, into_id));
        if (!FeedbackDeskImpl::can_see(p, into)) return feedback_not_found();
        if (into.status == FeedbackStatus::kMerged || into.status == FeedbackStatus::kRejected) {
          return conflict("invalid_state", "cannot merge into a merged or rejected feedback");
        }
        f.status = FeedbackStatus::kMerged;
        f.merged_into = into.id;
        f.closed_at = m.clock_.now();
        NGUON_TRY(m.append_event(tx, into, "system", "duplicate_merged",
                                 detail_json({{"from", f.id}}), false));
        return FeedbackDeskImpl::Change{"merged", detail_json({{"into", into.id}}), true};
      });
}

Result<Feedback> FeedbackDesk::reject(const access::Principal& p, std::int64_t id,
                                      const std::string& reason, const RequestOrigin& origin) {
  auto& m = *impl_;
  NGUON_TRY_ASSIGN(std::string why, text::clean_multiline("reason", reason, 1000));
  if (why.empty()) return invalid("invalid_field", "reason: say why it is rejected");
  return m.change(
      p, id, Role::kFeedbackHandler, false, origin,
      [&](Tx&, Feedback& f) -> Result<FeedbackDeskImpl::Change> {
        NGUON_TRY(expect_status(
            f, {FeedbackStatus::kModeration, FeedbackStatus::kReceived, FeedbackStatus::kAssigned},
            "reject"));
        f.status = FeedbackStatus::kRejected;
        f.reject_reason = why;
        f.closed_at = m.clock_.now();
        return FeedbackDeskImpl::Change{"rejected", detail_json({{"reason", why}}), true};
      });
}

Result<Feedback> FeedbackDesk::add_note(const access::Principal& p, std::int64_t id,
                                        const std::string& note, bool is_public,
                                        const RequestOrigin& origin) {
  auto& m = *impl_;
  NGUON_TRY_ASSIGN(std::string text, text::clean_multiline("note", note, 4000));
  if (text.empty()) return invalid("invalid_field", "note: must not be empty");
  return m.change(
      p, id, Role::kFeedbackHandler, false, origin,
      [&](Tx&, Feedback& f) -> Result<FeedbackDeskImpl::Change> {
        std::vector<std::string> names;
        if (!f.contact_name.empty()) names.push_back(f.contact_name);
        const std::string shown = is_public ? feedback::redact(text, names) : text;
        return FeedbackDeskImpl::Change{"note", detail_json({{"text", shown}}), is_public};
      });
}

// ---- Answers ----

Result<Feedback> FeedbackDesk::draft_answer(const access::Principal& p, std::int64_t id,
                                            const std::string& answer,
                                            const RequestOrigin& origin) {
  auto& m = *impl_;
  NGUON_TRY_ASSIGN(std::string text, text::clean_multiline("answer", answer, kMaxAnswer));
  if (text.empty()) return invalid("invalid_field", "answer: must not be empty");
  return m.change(p, id, Role::kFeedbackHandler, false, origin,
                  [&](Tx&, Feedback& f) -> Result<FeedbackDeskImpl::Change> {
                    NGUON_TRY(expect_status(f, {FeedbackStatus::kAssigned}, "answer"));
                    if (f.answer_status == AnswerStatus::kSubmitted) {
                      return conflict("answer_submitted",
                                      "the answer waits for approval; the approver may return it");
                    }
                    f.answer_text = text;
                    f.answer_status = AnswerStatus::kDraft;
                    f.answer_author = p.user_id;
                    return FeedbackDeskImpl::Change{"answer_drafted", "{}", false};
                  });
}

Result<Feedback> FeedbackDesk::submit_answer(const access::Principal& p, std::int64_t id,
                                             const RequestOrigin& origin) {
  auto& m = *impl_;
  return m.change(
      p, id, Role::kFeedbackHandler, false, origin,
      [&](Tx& tx, Feedback& f) -> Result<FeedbackDeskImpl::Change> {
        NGUON_TRY(expect_status(f, {FeedbackStatus::kAssigned}, "submit the answer of"));
        if (f.answer_status != AnswerStatus::kDraft) {
          return conflict("invalid_state", "there is no answer draft to submit");
        }
        f.answer_status = AnswerStatus::kSubmitted;
        NGUON_TRY(m.notify(tx, f.body_path, Role::kApprover, f, "feedback.answer_submitted",
                           "Câu trả lời phản ánh " + m.label(f) + " chờ duyệt"));
        return FeedbackDeskImpl::Change{"answer_submitted", "{}", false};
      });
}

Result<Feedback> FeedbackDesk::approve_answer(const access::Principal& p, std::int64_t id,
                                              const RequestOrigin& origin) {
  auto& m = *impl_;
  return m.change(
      p, id, Role::kApprover, false, origin,
      [&](Tx& tx, Feedback& f) -> Result<FeedbackDeskImpl::Change> {
        NGUON_TRY(expect_status(f, {FeedbackStatus::kAssigned}, "approve the answer of"));
        if (f.answer_status != AnswerStatus::kSubmitted) {
          return conflict("invalid_state", "the answer has not been submitted for approval");
        }
        auto body = tx.find_unit(f.body_unit);
        if (!body) return body.error();
        if (f.answer_author == p.user_id && body.value()) {
          NGUON_TRY_ASSIGN(bool four_eyes, BulletinService::four_eyes_in(tx, *body.value()));
          if (four_eyes) {
            return forbidden("four-eyes rule: someone other than the author approves the answer");
          }
        }
        const UnixTime now = m.clock_.now();
        std::vector<std::string> names;
        if (!f.contact_name.empty()) names.push_back(f.contact_name);
        f.answer_public = feedback::redact(f.answer_text, names);
        f.answer_status = AnswerStatus::kPublished;
        f.answer_approver = p.user_id;
        f.status = FeedbackStatus::kAnswered;
        f.answered_at = now;
        NGUON_TRY_ASSIGN(std::string body_name, m.body_name(tx, f));
        std::string text = "Kính gửi " + (f.contact_name.empty() ? "ông/bà" : f.contact_name) +
                           ",\n\n" + body_name + " trả lời phản ánh của ông/bà (mã theo dõi " +
                           f.tracking_code + "):\n\n" + f.answer_text + "\n";
        if (const std::string link = m.tracking_link(f); !link.empty()) {
          text += "\nXem chi tiết, đánh giá hoặc mở lại phản ánh tại: " + link + "\n";
        }
        text += "\n— Hệ thống thông tin nguồn\n";
        NGUON_TRY(m.reply(tx, f, "[Nguồn] Trả lời phản ánh " + f.tracking_code, text));
        NGUON_TRY(m.notify(tx, f.body_path, Role::kFeedbackHandler, f, "feedback.answered",
                           "Câu trả lời phản ánh " + m.label(f) + " đã được duyệt và công khai"));
        return FeedbackDeskImpl::Change{"answered", detail_json({{"answer", f.answer_public}}),
                                        true};
      });
}

Result<Feedback> FeedbackDesk::return_answer(const access::Principal& p, std::int64_t id,
                                             const std::string& reason,
                                             const RequestOrigin& origin) {
  auto& m = *impl_;
  NGUON_TRY_ASSIGN(std::string why, text::clean_multiline("reason", reason, 2000));
  if (why.empty()) return invalid("invalid_field", "reason: say what to change");
  return m.change(
      p, id, Role::kApprover, false, origin,
      [&](Tx& tx, Feedback& f) -> Result<FeedbackDeskImpl::Change> {
        if (f.status != FeedbackStatus::kAssigned || f.answer_status != AnswerStatus::kSubmitted) {
          return conflict("invalid_state", "the answer has not been submitted");
        }
        f.answer_status = AnswerStatus::kDraft;
        if (f.answer_author != 0) {
          Notification n;
          n.user_id = f.answer_author;
          n.kind = "feedback.answer_returned";
          n.message = "Câu trả lời phản ánh " + m.label(f) + " bị trả lại: " + why;
          n.created_at = m.clock_.now();
          n.feedback_id = f.id;
          NGUON_TRY(tx.insert_notification(n));
        }
        return FeedbackDeskImpl::Change{"answer_returned", detail_json({{"reason", why}}), false};
      });
}

Result<Bulletin> FeedbackDesk::make_bulletin(const access::Principal& p, std::int64_t id,
                                             const RequestOrigin& origin) {
  auto& m = *impl_;
  Result<Bulletin> out = internal("unreachable");
  NGUON_TRY(m.store_.write([&](Tx& tx) -> Status {
    NGUON_TRY_ASSIGN(Feedback f, m.load(tx, id));
    NGUON_TRY(m.require(p, f, Role::kEditor, f.body_path));
    if (f.answer_status != AnswerStatus::kPublished) {
      return conflict("not_answered", "the answer is not approved yet");
    }
    if (f.bulletin_id != 0) {
      return conflict("bulletin_exists",
                      "this answer already has bulletin #" + std::to_string(f.bulletin_id));
    }
    NGUON_TRY_ASSIGN(std::string body_name, m.body_name(tx, f));
    auto svc = tx.find_feedback_service(f.service_code);
    if (!svc) return svc.error();
    const std::string topic = svc.value() ? svc.value()->name_vi : f.service_code;
    Bulletin b;
    b.owner_unit = f.body_unit;
    b.title = "Trả lời phản ánh của người dân về " + topic;
    if (text::code_points(b.title) > 200) b.title = "Trả lời phản ánh của người dân";
    b.summary = body_name + " trả lời phản ánh số " + std::to_string(f.id) + ".";
    // Only approved words go on air: a fixed heading and the published (redacted) answer.
    b.body =
        body_name + " trả lời phản ánh của người dân về " + topic + " như sau: " + f.answer_public;
    b.category = "feedback_answers";
    b.priority = Priority::kNormal;
    b.author_id = p.user_id;
    b.source = body_name;
    b.status = BulletinStatus::kDraft;
    b.created_at = b.updated_at = m.clock_.now();
    b.fold = text::fold(b.title + " " + b.summary + " " + b.body);
    NGUON_TRY_ASSIGN(b.id, tx.insert_bulletin(b, f.body_path));
    f.bulletin_id = b.id;
    f.updated_at = b.created_at;
    NGUON_TRY(tx.update_feedback(f));
    NGUON_TRY(m.append_event(tx, f, origin.actor, "bulletin_made",
                             detail_json({{"bulletin", b.id}}), true));
    NGUON_TRY(audit::append(
        tx, m.crypto_,
        {0, b.created_at, origin.actor, "bulletin.create_from_feedback",
         "bulletin:" + std::to_string(b.id), "", detail_json({{"feedback", f.id}}), origin.ip}));
    out = std::move(b);
    return {};
  }));
  return out;
}

Result<Bulletin> FeedbackDesk::mark_bulletin_approved(const access::Principal& p,
                                                      std::int64_t feedback_id,
                                                      const RequestOrigin& origin) {
  auto& m = *impl_;
  Result<Bulletin> out = internal("unreachable");
  NGUON_TRY(m.store_.write([&](Tx& tx) -> Status {
    NGUON_TRY_ASSIGN(Feedback f, m.load(tx, feedback_id));
    NGUON_TRY(m.require(p, f, Role::kEditor, f.body_path));
    if (f.bulletin_id == 0) return conflict("no_bulletin", "make the bulletin first");
    auto found = tx.find_bulletin(f.bulletin_id);
    if (!found) return found.error();
    if (!found.value()) return not_found("the bulletin was removed");
    Bulletin b = std::move(*found.value());
    if (b.status != BulletinStatus::kDraft) {  // already approved (a repeated click)
      out = std::move(b);
      return {};
    }
    const UnixTime now = m.clock_.now();
    b.status = BulletinStatus::kApproved;
    b.approved_by = f.answer_approver;
    b.submitted_at = b.approved_at = b.updated_at = now;
    NGUON_TRY(tx.update_bulletin(b));
    NGUON_TRY(audit::append(
        tx, m.crypto_,
        {0, now, origin.actor, "bulletin.approve_from_feedback", "bulletin:" + std::to_string(b.id),
         "", detail_json({{"feedback", f.id}, {"approved_by", f.answer_approver}}), origin.ip}));
    out = std::move(b);
    return {};
  }));
  return out;
}

Result<FeedbackStats> FeedbackDesk::stats(const access::Principal& p, UnixTime from, UnixTime to) {
  auto& m = *impl_;
  FeedbackStats out;
  NGUON_TRY(m.store_.read([&](Tx& tx) -> Status {
    for (const std::string& root : access::read_roots(p)) {
      NGUON_TRY_ASSIGN(auto rows, tx.feedback_stats(root, from, to, m.clock_.now()));
      for (auto& r : rows) {
        out.total.received += r.received;
        out.total.answered += r.answered;
        out.total.answered_on_time += r.answered_on_time;
        out.total.overdue += r.overdue;
        out.rows.push_back(std::move(r));
      }
    }
    return {};
  }));
  return out;
}

// ---- Deadlines ----

Result<int> FeedbackDesk::run_deadlines() {
  auto& m = *impl_;
  const UnixTime now = m.clock_.now();
  // Deadlines reminded ahead: anything due before the reminder horizon. The horizon is generous
  // (remind_days_before working days can span a long holiday); each item is then checked exactly.
  const UnixTime horizon = now + (m.settings_.remind_days_before + 12) * kDay;
  int touched = 0;
  std::int64_t after = 0;
  for (;;) {
    FeedbackQuery q;
    q.statuses = {FeedbackStatus::kReceived, FeedbackStatus::kAssigned};
    q.due_before = horizon;
    q.after_id = after;
    q.limit = 200;
    std::vector<Feedback> batch;
    NGUON_TRY(m.store_.read([&](Tx& tx) -> Status {
      NGUON_TRY_ASSIGN(batch, tx.search_feedback(q));
      return {};
    }));
    if (batch.empty()) break;
    after = batch.back().id;
    for (const Feedback& candidate : batch) {
      NGUON_TRY(m.store_.write([&](Tx& tx) -> Status {
        NGUON_TRY_ASSIGN(Feedback f, m.load(tx, candidate.id));
        const bool forwarding = f.status == FeedbackStatus::kReceived;
        if (!forwarding && f.status != FeedbackStatus::kAssigned) return {};
        const UnixTime due = forwarding ? f.forward_due : f.answer_due;
        if (due == 0) return {};
        const std::string stage = forwarding ? "chuyển xử lý" : "trả lời";
        if (now >= due && f.reminded_at < due) {
          // Overdue: escalate once per deadline to the supervising body.
          std::string supervisor_path;
          if (f.agency_id != 0) {
            auto a = tx.find_agency(f.agency_id);
            if (!a) return a.error();
            if (a.value() && a.value()->supervisor_agency != 0) {
              auto sup = tx.find_agency(a.value()->supervisor_agency);
              if (!sup) return sup.error();
              if (sup.value()) supervisor_path = sup.value()->unit_path;
            }
          }
          if (supervisor_path.empty()) {
            NGUON_TRY_ASSIGN(Unit body, m.unit(tx, f.body_unit, "body_unit"));
            auto parent = body.parent_code.empty()
                              ? Result<std::optional<Unit>>(std::optional<Unit>{})
                              : tx.find_unit(body.parent_code);
            if (!parent) return parent.error();
            supervisor_path = parent.value() ? parent.value()->path : body.path;
          }
          f.escalation += 1;
          f.reminded_at = now;
          // The supervising level hears "escalated"; the body's own handlers "overdue".
          NGUON_TRY(m.notify(tx, supervisor_path, Role::kFeedbackHandler, f, "feedback.escalated",
                             "Phản ánh " + m.label(f) + " quá hạn " + stage + " — cần đôn đốc"));
          NGUON_TRY(m.notify(tx, f.body_path, Role::kFeedbackHandler, f, "feedback.overdue",
                             "Phản ánh " + m.label(f) + " đã quá hạn " + stage, supervisor_path));
          NGUON_TRY(tx.update_feedback(f));
          NGUON_TRY(m.append_event(tx, f, "system", "escalated",
                                   detail_json({{"stage", forwarding ? "forward" : "answer"},
                                                {"due", due},
                                                {"level", f.escalation}}),
                                   false));
          ++touched;
          return {};
        }
        const UnixTime remind_at = m.calendar_.reminder_time(due, m.settings_.remind_days_before);
        if (now < due && now >= remind_at && f.reminded_at < remind_at) {
          f.reminded_at = now;
          NGUON_TRY(m.notify(tx, f.body_path, Role::kFeedbackHandler, f, "feedback.reminder",
                             "Phản ánh " + m.label(f) + " sắp đến hạn " + stage));
          NGUON_TRY(tx.update_feedback(f));
          NGUON_TRY(m.append_event(
              tx, f, "system", "reminded",
              detail_json({{"stage", forwarding ? "forward" : "answer"}, {"due", due}}), false));
          ++touched;
        }
        return {};
      }));
    }
    if (batch.size() < q.limit) break;
  }
  // Answered feedback whose reopen window ended is closed (all of it, page by page).
  std::vector<Feedback> done;
  for (std::int64_t below = 0;;) {
    FeedbackQuery answered;
    answered.statuses = {FeedbackStatus::kAnswered};
    answered.after_id = below;
    answered.limit = 500;
    std::vector<Feedback> page;
    NGUON_TRY(m.store_.read([&](Tx& tx) -> Status {
      NGUON_TRY_ASSIGN(page, tx.search_feedback(answered));
      return {};
    }));
    if (page.empty()) break;
    below = page.back().id;
    const bool last = page.size() < answered.limit;
    for (auto& f : page) {
      if (now > f.answered_at + m.settings_.reopen_days * kDay) done.push_back(std::move(f));
    }
    if (last) break;
  }
  for (const Feedback& d : done) {
    NGUON_TRY(m.store_.write([&](Tx& tx) -> Status {
      NGUON_TRY_ASSIGN(Feedback f, m.load(tx, d.id));
      if (f.status != FeedbackStatus::kAnswered) return {};
      f.status = FeedbackStatus::kClosed;
      f.closed_at = now;
      f.updated_at = now;
      NGUON_TRY(tx.update_feedback(f));
      ++touched;
      return m.append_event(tx, f, "system", "closed", "{}", true);
    }));
  }
  return touched;
}

UnixTime FeedbackDesk::expected_at(const Feedback& f) {
  if (!is_open(f.status)) return 0;
  if (f.answer_due != 0) return f.answer_due;
  auto svc = service(f.service_code);
  const int answer_days = svc ? svc.value().answer_days : 20;
  const int forward_days = svc ? svc.value().forward_days : 2;
  const UnixTime from = f.submitted_at;
  return impl_->calendar_.deadline(from, forward_days + answer_days);
}

}  // namespace nguon
