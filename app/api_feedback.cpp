// Feedback routes for staff (issue 5): the inbox, one feedback with its history, triage and
// answer actions, statistics, categories (Open311 services), agencies and routing rules.
// Citizens use the portal (app/portal.cpp) and Open311 (app/open311.cpp), not these routes.
#include "app/api_support.h"
#include "app/json_body.h"
#include "core/feedback/feedback_service.h"
#include "core/schedule/local_time.h"

namespace nguon::app::api {
namespace {

constexpr UnixTime kSoon = 2 * 86400;  // "soon" colouring: a deadline within two days

json::value time_or_null(UnixTime t) {
  if (t == 0) return nullptr;
  return json::value(iso8601(t));
}

json::value parse_json_or_empty(const std::string& text) {
  if (text.empty()) return json::object{};
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value(json::object{}) : v;
}

UnixTime running_deadline(const Feedback& f) {
  if (f.status == FeedbackStatus::kReceived) return f.forward_due;
  if (f.status == FeedbackStatus::kAssigned) return f.answer_due;
  return 0;
}

std::string_view deadline_state(const Feedback& f, UnixTime now) {
  const UnixTime due = running_deadline(f);
  if (due == 0) return "none";
  if (now >= due) return "overdue";
  return due - now <= kSoon ? "soon" : "ok";
}

json::value feedback_json(const Feedback& f, UnixTime now) {
  json::array attachments;
  for (const auto& a : f.attachments) {
    attachments.push_back(json::object{
        {"sha256", a.sha256},
        {"kind", a.kind},
        {"mime", a.mime},
        {"bytes", a.bytes},
        {"url", "/api/v1/feedback/" + std::to_string(f.id) + "/attachments/" + a.sha256}});
  }
  json::value lat = f.lat ? json::value(*f.lat) : json::value(nullptr);
  json::value lon = f.lon ? json::value(*f.lon) : json::value(nullptr);
  return json::object{{"id", f.id},
                      {"tracking_code", f.tracking_code},
                      {"service_code", f.service_code},
                      {"title", f.title},
                      {"description", f.description},
                      {"attributes", parse_json_or_empty(f.attributes_json)},
                      {"status", feedback::status_name(f.status)},
                      {"answer_status", feedback::answer_status_name(f.answer_status)},
                      {"channel", f.channel},
                      {"client", f.client},
                      {"commune_code", f.commune_code},
                      {"village_code", f.village_code},
                      {"address", f.address},
                      {"lat", lat},
                      {"lon", lon},
                      {"location_method", f.location_method},
                      {"contact", json::object{{"name", f.contact_name},
                                               {"email", f.contact_email},
                                               {"phone", f.contact_phone}}},
                      {"relayed_by", f.relayed_by},
                      {"entered_by", f.entered_by},
                      {"attachments", std::move(attachments)},
                      {"body_unit", f.body_unit},
                      {"agency_id", f.agency_id},
                      {"forward_due", time_or_null(f.forward_due)},
                      {"answer_due", time_or_null(f.answer_due)},
                      {"deadline", time_or_null(running_deadline(f))},
                      {"deadline_state", deadline_state(f, now)},
                      {"escalation", f.escalation},
                      {"answer_text", f.answer_text},
                      {"answer_public", f.answer_public},
                      {"answer_author", f.answer_author},
                      {"answer_approver", f.answer_approver},
                      {"bulletin_id", f.bulletin_id},
                      {"reject_reason", f.reject_reason},
                      {"merged_into", f.merged_into},
                      {"rating", f.rating},
                      {"rating_comment", f.rating_comment},
                      {"reopen_count", f.reopen_count},
                      {"submitted_at", time_or_null(f.submitted_at)},
                      {"assigned_at", time_or_null(f.assigned_at)},
                      {"answered_at", time_or_null(f.answered_at)},
                      {"closed_at", time_or_null(f.closed_at)},
                      {"updated_at", time_or_null(f.updated_at)}};
}

json::value event_json(const FeedbackEvent& e) {
  return json::object{{"id", e.id},
                      {"ts", iso8601(e.ts)},
                      {"actor", e.actor},
                      {"kind", e.kind},
                      {"detail", parse_json_or_empty(e.detail)},
                      {"public", e.is_public},
                      {"status_after", e.status_after}};
}

json::value service_json(const FeedbackService& s) {
  return json::object{
      {"code", s.code},
      {"name_vi", s.name_vi},
      {"name_en", s.name_en},
      {"description", s.description},
      {"group", s.group},
      {"keywords", s.keywords},
      {"attributes", s.attributes_json.empty() ? json::value(json::array{})
                                               : parse_json_or_empty(s.attributes_json)},
      {"forward_days", s.forward_days},
      {"answer_days", s.answer_days},
      {"active", s.active}};
}

json::value agency_json(const Agency& a) {
  return json::object{{"id", a.id},
                      {"unit_code", a.unit_code},
                      {"name", a.name},
                      {"email", a.email},
                      {"supervisor_agency", a.supervisor_agency},
                      {"active", a.active}};
}

json::value rule_json(const RoutingRule& r) {
  return json::object{{"id", r.id},
                      {"service_code", r.service_code},
                      {"area_code", r.area_code},
                      {"body_unit", r.body_unit},
                      {"agency_id", r.agency_id}};
}

HttpResponse feedback_response(Ctx& c, const Result<Feedback>& r, int status = 200) {
  if (!r) return error_response(r.error());
  return json_response(status, feedback_json(r.value(), c.deps.clock.now()));
}

// "YYYY-MM-DD" (local) or ISO 8601 → Unix time; `end_of_day` moves a date to the next midnight.
std::optional<UnixTime> parse_when(const std::string& s, bool end_of_day) {
  if (s.empty()) return std::nullopt;
  if (auto d = schedule::parse_date(s)) return schedule::to_unix(*d, end_of_day ? 24 * 60 : 0);
  return parse_iso8601(s);
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    std::string item =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(std::move(item));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

HttpResponse inbox(Ctx& c, FeedbackDesk& desk) {
  FeedbackQuery q;
  for (const std::string& s : split_commas(query_or(c, "status", ""))) {
    auto st = feedback::parse_status(s);
    if (!st) return error_response(invalid("invalid_query", "status: unknown status '" + s + "'"));
    q.statuses.push_back(*st);
  }
  q.service_code = query_or(c, "service", "");
  if (const std::string area = query_or(c, "area", ""); !area.empty()) {
    auto u = c.units.get(c.who(), area);
    if (!u) return error_response(u.error());
    q.area_path = u.value().unit.path;
  }
  q.text = query_or(c, "q", "");
  if (query_or(c, "overdue", "") == "1") q.due_before = c.deps.clock.now();
  if (auto after = parse_id(query_or(c, "after_id", "0"))) q.after_id = *after;
  if (auto limit = parse_id(query_or(c, "limit", "50"))) {
    q.limit = std::clamp<size_t>(static_cast<size_t>(*limit), 1, 500);  // the desk's bounds
  }
  auto r = desk.inbox(c.who(), q);
  if (!r) return error_response(r.error());
  json::array items;
  const UnixTime now = c.deps.clock.now();
  for (const auto& f : r.value()) items.push_back(feedback_json(f, now));
  json::value next = nullptr;
  if (r.value().size() == q.limit && !r.value().empty()) next = r.value().back().id;
  return json_response(200, json::object{{"items", std::move(items)}, {"next_after_id", next}});
}

Result<std::vector<std::pair<std::string, std::string>>> attribute_answers(const json::object& o) {
  std::vector<std::pair<std::string, std::string>> out;
  const json::value* v = o.if_contains("attributes");
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_object()) return invalid("invalid_field", "attributes: must be an object");
  for (const auto& [key, value] : v->as_object()) {
    if (value.is_string()) {
      out.emplace_back(key, value.as_string());
    } else if (value.is_array()) {
      for (const auto& item : value.as_array()) {
        if (!item.is_string()) return invalid("invalid_field", "attributes: values are text");
        out.emplace_back(key, item.as_string());
      }
    } else if (value.is_number()) {
      out.emplace_back(key, json::serialize(value));
    } else {
      return invalid("invalid_field", "attributes: values are text or lists of text");
    }
  }
  return out;
}

Result<std::optional<double>> optional_number(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<double>();
  if (!v->is_number()) return invalid("invalid_field", std::string(key) + ": must be a number");
  return std::optional<double>(v->to_number<double>());
}

HttpResponse staff_entry(Ctx& c, FeedbackDesk& desk) {
  auto body =
      parse_object(c.req.body, {"service_code", "title", "description", "commune_code",
                                "village_code", "address", "lat", "lon", "contact_name",
                                "contact_email", "contact_phone", "relayed_by", "attributes"});
  if (!body) return error_response(body.error());
  Fields f(body.value());
  Submission s;
  auto text = [&](std::string_view key, std::string& out) -> Status {
    NGUON_TRY_ASSIGN(auto v, f.optional_string(key));
    out = v.value_or("");
    return {};
  };
  for (auto [key, out] : std::initializer_list<std::pair<std::string_view, std::string*>>{
           {"service_code", &s.service_code},
           {"title", &s.title},
           {"description", &s.description},
           {"commune_code", &s.commune_code},
           {"village_code", &s.village_code},
           {"address", &s.address},
           {"contact_name", &s.contact_name},
           {"contact_email", &s.contact_email},
           {"contact_phone", &s.contact_phone},
           {"relayed_by", &s.relayed_by}}) {
    if (auto st = text(key, *out); !st) return error_response(st.error());
  }
  auto lat = optional_number(body.value(), "lat");
  auto lon = optional_number(body.value(), "lon");
  if (!lat) return error_response(lat.error());
  if (!lon) return error_response(lon.error());
  s.lat = lat.value();
  s.lon = lon.value();
  auto attrs = attribute_answers(body.value());
  if (!attrs) return error_response(attrs.error());
  s.attributes = std::move(attrs.value());
  s.ip = c.req.remote_ip;
  return feedback_response(c, desk.submit(std::move(s), &c.who(), c.origin()), 201);
}

HttpResponse detail(Ctx& c, FeedbackDesk& desk, std::int64_t id) {
  auto v = desk.get(c.who(), id);
  if (!v) return error_response(v.error());
  json::array events;
  for (const auto& e : v.value().events) events.push_back(event_json(e));
  const UnixTime expected = desk.expected_at(v.value().feedback);
  return json_response(
      200, json::object{{"feedback", feedback_json(v.value().feedback, c.deps.clock.now())},
                        {"events", std::move(events)},
                        {"body_name", v.value().body_name},
                        {"commune_name", v.value().commune_name},
                        {"village_name", v.value().village_name},
                        {"service_name", v.value().service_name},
                        {"expected_at", time_or_null(expected)}});
}

// The answer becomes a radio bulletin, voiced when the speech stack is there, and approved with
// the answer's approval.
HttpResponse make_bulletin(Ctx& c, FeedbackDesk& desk, std::int64_t id) {
  auto made = desk.make_bulletin(c.who(), id, c.origin());
  if (!made) return error_response(made.error());
  std::string audio = "unavailable";
  if (c.audio != nullptr) {
    auto voiced = c.audio->synthesize(c.who(), made.value().id, VoiceSettings{}, c.origin());
    audio = voiced ? "synthesized" : "failed";
    if (!voiced) log::warn("answer bulletin not voiced", {{"error", voiced.error().message}});
  }
  auto approved = desk.mark_bulletin_approved(c.who(), id, c.origin());
  if (!approved) return error_response(approved.error());
  const Bulletin& b = approved.value();
  return json_response(
      201, json::object{{"bulletin", json::object{{"id", b.id},
                                                  {"status", bulletins::status_name(b.status)},
                                                  {"title", b.title}}},
                        {"audio", audio}});
}

HttpResponse attachment(Ctx& c, FeedbackDesk& desk, std::int64_t id, const std::string& sha) {
  auto v = desk.get(c.who(), id);
  if (!v) return error_response(v.error());
  const auto& list = v.value().feedback.attachments;
  const bool belongs = std::any_of(list.begin(), list.end(),
                                   [&](const FeedbackAttachment& a) { return a.sha256 == sha; });
  if (!belongs) return error_response(not_found("no such attachment"));
  return serve_media(c, sha);
}

HttpResponse action(Ctx& c, FeedbackDesk& desk, std::int64_t id, const std::string& name) {
  const std::vector<std::string_view> no_fields;
  auto fields_for = [&]() -> std::vector<std::string_view> {
    if (name == "moderate") return {"accept", "reason"};
    if (name == "recategorise") return {"service_code"};
    if (name == "move") return {"commune_code", "village_code"};
    if (name == "transfer") return {"body_unit", "agency_id", "note"};
    if (name == "merge") return {"into"};
    if (name == "reject" || name == "answer/return") return {"reason"};
    if (name == "note") return {"text", "public"};
    if (name == "answer") return {"text"};
    return no_fields;
  };
  auto body = parse_object(
      c.req.body.empty() ? std::string_view("{}") : std::string_view(c.req.body), fields_for());
  if (!body) return error_response(body.error());
  Fields f(body.value());
  auto str = [&](std::string_view key) -> std::string {
    auto v = f.optional_string(key);
    return v && v.value() ? *v.value() : std::string();
  };
  const access::Principal& p = c.who();
  const RequestOrigin o = c.origin();
  if (name == "accept") return feedback_response(c, desk.accept(p, id, o));
  if (name == "moderate") {
    auto accept = f.optional_bool("accept");
    if (!accept || !accept.value()) {
      return error_response(invalid("invalid_field", "accept: true or false is required"));
    }
    return feedback_response(c, desk.moderate(p, id, *accept.value(), str("reason"), o));
  }
  if (name == "recategorise")
    return feedback_response(c, desk.recategorise(p, id, str("service_code"), o));
  if (name == "move") {
    return feedback_response(c, desk.move_area(p, id, str("commune_code"), str("village_code"), o));
  }
  if (name == "transfer") {
    auto agency = f.optional_int("agency_id");
    if (!agency) return error_response(agency.error());
    return feedback_response(
        c, desk.transfer(p, id, str("body_unit"), agency.value().value_or(0), str("note"), o));
  }
  if (name == "merge") {
    auto into = f.optional_int("into");
    if (!into || !into.value())
      return error_response(invalid("invalid_field", "into: a feedback id"));
    return feedback_response(c, desk.merge(p, id, *into.value(), o));
  }
  if (name == "reject") return feedback_response(c, desk.reject(p, id, str("reason"), o));
  if (name == "note") {
    auto pub = f.optional_bool("public");
    if (!pub) return error_response(pub.error());
    return feedback_response(c, desk.add_note(p, id, str("text"), pub.value().value_or(false), o));
  }
  if (name == "answer") return feedback_response(c, desk.draft_answer(p, id, str("text"), o));
  if (name == "answer/submit") return feedback_response(c, desk.submit_answer(p, id, o));
  if (name == "answer/approve") return feedback_response(c, desk.approve_answer(p, id, o));
  if (name == "answer/return")
    return feedback_response(c, desk.return_answer(p, id, str("reason"), o));
  if (name == "bulletin") return make_bulletin(c, desk, id);
  return error_response(not_found("no such action"));
}

HttpResponse stats(Ctx& c, FeedbackDesk& desk) {
  const auto from = parse_when(query_or(c, "from", ""), false);
  const auto to = parse_when(query_or(c, "to", ""), true);
  if ((!query_or(c, "from", "").empty() && !from) || (!query_or(c, "to", "").empty() && !to)) {
    return error_response(invalid("invalid_query", "from/to: YYYY-MM-DD or ISO 8601"));
  }
  auto r = desk.stats(c.who(), from.value_or(0), to.value_or(0));
  if (!r) return error_response(r.error());
  auto services = desk.services(true);
  auto name_of_service = [&](const std::string& code) -> std::string {
    if (!services) return code;
    for (const auto& s : services.value()) {
      if (s.code == code) return s.name_vi;
    }
    return code;
  };
  auto counts = [](const FeedbackStatsRow& row) {
    return json::object{{"received", row.received},
                        {"answered", row.answered},
                        {"answered_on_time", row.answered_on_time},
                        {"overdue", row.overdue}};
  };
  json::array rows;
  for (const auto& row : r.value().rows) {
    json::object o = counts(row);
    o["service_code"] = row.service_code;
    o["service_name"] = name_of_service(row.service_code);
    o["commune_code"] = row.commune_code;
    auto unit = c.units.get(c.who(), row.commune_code);
    o["commune_name"] = unit ? unit.value().unit.name : row.commune_code;
    rows.push_back(std::move(o));
  }
  return json_response(200,
                       json::object{{"total", counts(r.value().total)}, {"rows", std::move(rows)}});
}

HttpResponse services_route(Ctx& c, FeedbackDesk& desk) {
  const auto& seg = c.segs;
  if (seg.size() == 1) {
    if (c.req.method != "GET") return method_not_allowed("GET");
    return result_or_error<std::vector<FeedbackService>>(
        desk.services(query_or(c, "all", "") == "1"), 200, [](const auto& list) {
          json::array items;
          for (const auto& s : list) items.push_back(service_json(s));
          return json::value(json::object{{"items", std::move(items)}});
        });
  }
  if (seg.size() != 2) return error_response(not_found("no such API endpoint"));
  if (c.req.method != "PUT") return method_not_allowed("PUT");
  auto body = parse_object(c.req.body, {"name_vi", "name_en", "description", "group", "keywords",
                                        "attributes", "forward_days", "answer_days", "active"});
  if (!body) return error_response(body.error());
  Fields f(body.value());
  FeedbackService s;
  s.code = seg[1];
  auto name = f.required_string("name_vi");
  if (!name) return error_response(name.error());
  s.name_vi = name.value();
  for (auto [key, out] : std::initializer_list<std::pair<std::string_view, std::string*>>{
           {"name_en", &s.name_en},
           {"description", &s.description},
           {"group", &s.group},
           {"keywords", &s.keywords}}) {
    auto v = f.optional_string(key);
    if (!v) return error_response(v.error());
    *out = v.value().value_or("");
  }
  if (const json::value* a = body.value().if_contains("attributes");
      a != nullptr && !a->is_null()) {
    if (!a->is_array())
      return error_response(invalid("invalid_field", "attributes: must be a list"));
    s.attributes_json = a->as_array().empty() ? "" : json::serialize(*a);
  }
  auto fwd = f.optional_int("forward_days");
  auto ans = f.optional_int("answer_days");
  auto active = f.optional_bool("active");
  if (!fwd || !ans || !active) {
    return error_response(!fwd ? fwd.error() : !ans ? ans.error() : active.error());
  }
  s.forward_days = static_cast<int>(fwd.value().value_or(2));
  s.answer_days = static_cast<int>(ans.value().value_or(20));
  s.active = active.value().value_or(true);
  Status st = desk.put_service(c.who(), s, c.origin());
  if (!st) return error_response(st.error());
  auto saved = desk.services(true);
  if (!saved) return error_response(saved.error());
  for (const auto& one : saved.value()) {
    if (one.code == s.code) return json_response(200, service_json(one));
  }
  return error_response(internal("service vanished after saving"));
}

Result<Agency> agency_from(const json::object& o, std::int64_t id) {
  Fields f(o);
  Agency a;
  a.id = id;
  NGUON_TRY_ASSIGN(a.unit_code, f.required_string("unit_code"));
  NGUON_TRY_ASSIGN(a.name, f.required_string("name"));
  NGUON_TRY_ASSIGN(auto email, f.optional_string("email"));
  a.email = email.value_or("");
  NGUON_TRY_ASSIGN(auto sup, f.optional_int("supervisor_agency"));
  a.supervisor_agency = sup.value_or(0);
  NGUON_TRY_ASSIGN(auto active, f.optional_bool("active"));
  a.active = active.value_or(true);
  return a;
}

HttpResponse agencies_route(Ctx& c, FeedbackDesk& desk) {
  const auto& seg = c.segs;
  const std::vector<std::string_view> fields = {"unit_code", "name", "email", "supervisor_agency",
                                                "active"};
  std::int64_t id = 0;
  if (seg.size() == 2) {
    auto parsed = parse_id(seg[1]);
    if (!parsed || *parsed == 0) return error_response(not_found("no such agency"));
    id = *parsed;
    if (c.req.method != "PUT") return method_not_allowed("PUT");
  } else if (seg.size() != 1) {
    return error_response(not_found("no such API endpoint"));
  } else if (c.req.method == "GET") {
    return result_or_error<std::vector<Agency>>(desk.agencies(c.who()), 200, [](const auto& list) {
      json::array items;
      for (const auto& a : list) items.push_back(agency_json(a));
      return json::value(json::object{{"items", std::move(items)}});
    });
  } else if (c.req.method != "POST") {
    return method_not_allowed("GET, POST");
  }
  auto body = parse_object(c.req.body, fields);
  if (!body) return error_response(body.error());
  auto a = agency_from(body.value(), id);
  if (!a) return error_response(a.error());
  return result_or_error<Agency>(desk.put_agency(c.who(), a.value(), c.origin()),
                                 id == 0 ? 201 : 200,
                                 [](const Agency& x) { return agency_json(x); });
}

HttpResponse rules_route(Ctx& c, FeedbackDesk& desk) {
  const auto& seg = c.segs;
  if (seg.size() == 2) {
    auto id = parse_id(seg[1]);
    if (!id) return error_response(not_found("no such rule"));
    if (c.req.method != "DELETE") return method_not_allowed("DELETE");
    Status s = desk.delete_routing_rule(c.who(), *id, c.origin());
    return s ? no_content() : error_response(s.error());
  }
  if (seg.size() != 1) return error_response(not_found("no such API endpoint"));
  if (c.req.method == "GET") {
    return result_or_error<std::vector<RoutingRule>>(
        desk.routing_rules(c.who()), 200, [](const auto& list) {
          json::array items;
          for (const auto& r : list) items.push_back(rule_json(r));
          return json::value(json::object{{"items", std::move(items)}});
        });
  }
  if (c.req.method != "POST") return method_not_allowed("GET, POST");
  auto body = parse_object(c.req.body, {"service_code", "area_code", "body_unit", "agency_id"});
  if (!body) return error_response(body.error());
  Fields f(body.value());
  RoutingRule r;
  auto svc = f.optional_string("service_code");
  auto area = f.required_string("area_code");
  auto unit = f.required_string("body_unit");
  auto agency = f.optional_int("agency_id");
  if (!svc || !area || !unit || !agency) {
    return error_response(!svc    ? svc.error()
                          : !area ? area.error()
                          : !unit ? unit.error()
                                  : agency.error());
  }
  r.service_code = svc.value().value_or("*");
  r.area_code = area.value();
  r.body_unit = unit.value();
  r.agency_id = agency.value().value_or(0);
  return result_or_error<RoutingRule>(desk.add_routing_rule(c.who(), r, c.origin()), 201,
                                      [](const RoutingRule& x) { return rule_json(x); });
}

}  // namespace

std::optional<HttpResponse> feedback_routes(Ctx& c) {
  const auto& seg = c.segs;
  const std::string& head = seg[0];
  if (head != "feedback" && head != "feedback-stats" && head != "feedback-services" &&
      head != "agencies" && head != "routing-rules") {
    return std::nullopt;
  }
  if (c.deps.feedback == nullptr) {
    return error_response({ErrorKind::kUnavailable, "feedback_unavailable",
                           "the feedback service is not configured"});
  }
  FeedbackDesk& desk = *c.deps.feedback;
  const std::string& m = c.req.method;
  if (head == "feedback-stats") {
    if (seg.size() != 1) return error_response(not_found("no such API endpoint"));
    return m == "GET" ? stats(c, desk) : method_not_allowed("GET");
  }
  if (head == "feedback-services") return services_route(c, desk);
  if (head == "agencies") return agencies_route(c, desk);
  if (head == "routing-rules") return rules_route(c, desk);
  if (seg.size() == 1) {
    if (m == "GET") return inbox(c, desk);
    if (m == "POST") return staff_entry(c, desk);
    return method_not_allowed("GET, POST");
  }
  auto id = parse_id(seg[1]);
  if (!id) return error_response(not_found("no such feedback"));
  if (seg.size() == 2) return m == "GET" ? detail(c, desk, *id) : method_not_allowed("GET");
  if (seg.size() == 4 && seg[2] == "attachments") {
    return m == "GET" || m == "HEAD" ? attachment(c, desk, *id, seg[3]) : method_not_allowed("GET");
  }
  std::string name = seg[2];
  if (seg.size() == 4 && seg[2] == "answer")
    name += "/" + seg[3];
  else if (seg.size() != 3)
    return error_response(not_found("no such API endpoint"));
  return m == "POST" ? action(c, desk, *id, name) : method_not_allowed("POST");
}

}  // namespace nguon::app::api
