// The emergency-alert routes (issue 6): alerts (list, detail, approve, reject, stop), their
// trusted sources (administrators), and the CAP push endpoint that sources call with their
// bearer token (POST /api/v1/cap, a CAP 1.2 document as the body).
#include <boost/json.hpp>

#include "adapters/cap/cap_parser.h"
#include "adapters/cap/cap_writer.h"
#include "app/api.h"
#include "app/api_support.h"
#include "app/event_streams.h"
#include "app/json_body.h"
#include "app/log.h"
#include "core/alerts/alert_desk.h"
#include "core/alerts/area.h"

namespace nguon::app::api {

namespace {

using alerts::AlertDesk;

json::array point_list(const std::vector<alerts::GeoPoint>& ring) {
  json::array out;
  for (const alerts::GeoPoint& p : ring) out.push_back(json::array{p.lat, p.lon});
  return out;
}

// The areas and references of the stored document (it parsed when it arrived).
void add_geometry(json::object& o, const AlertRecord& a, const cap::CapSchema* schema) {
  json::array areas;
  json::array references;
  auto alert = schema != nullptr ? cap::parse_cap(a.xml, *schema)
                                 : Result<alerts::CapAlert>(internal("no schema"));
  if (alert) {
    for (const alerts::CapInfo& info : alert->infos) {
      for (const alerts::CapArea& area : info.areas) {
        json::array geocodes, polygons, circles;
        for (const std::string& g : alerts::admin_geocodes(area)) geocodes.emplace_back(g);
        for (const auto& ring : area.polygons) polygons.push_back(point_list(ring));
        for (const alerts::CapCircle& c : area.circles) {
          circles.push_back(json::object{
              {"lat", c.centre.lat}, {"lon", c.centre.lon}, {"radius_km", c.radius_km}});
        }
        areas.push_back(json::object{{"desc", area.area_desc},
                                     {"geocodes", std::move(geocodes)},
                                     {"polygons", std::move(polygons)},
                                     {"circles", std::move(circles)}});
      }
    }
    for (const alerts::CapReference& r : alert->references) {
      references.push_back(
          json::object{{"sender", r.sender}, {"identifier", r.identifier}, {"sent", r.sent}});
    }
  }
  o["areas"] = std::move(areas);
  o["references"] = std::move(references);
}

std::string username_of(Ctx& c, std::int64_t user_id) {
  if (user_id == 0) return "";
  std::string name;
  (void)c.deps.store.read([&](Tx& tx) -> Status {
    auto u = tx.find_user(user_id);
    if (u && u.value()) name = u.value()->username;
    return {};
  });
  return name;
}

json::object alert_json(Ctx& c, const AlertRecord& a, bool with_xml) {
  std::string sender_name;
  if (a.source_id != 0) {
    (void)c.deps.store.read([&](Tx& tx) -> Status {
      auto s = tx.find_alert_source(a.source_id);
      if (s && s.value()) sender_name = s.value()->name;
      return {};
    });
  }
  json::object o{{"id", a.id},
                 {"source_id", a.source_id == 0 ? json::value(nullptr) : json::value(a.source_id)},
                 {"sender", a.sender},
                 {"sender_name", sender_name},
                 {"identifier", a.identifier},
                 {"sent", a.sent},
                 {"msg_type", a.msg_type},
                 {"status", a.status},
                 {"scope", a.scope},
                 {"event", a.event},
                 {"headline", a.headline},
                 {"severity", a.severity},
                 {"urgency", a.urgency},
                 {"certainty", a.certainty},
                 {"expires", a.expires},
                 {"origin", a.origin},
                 {"state", alert_names::state_name(a.state)},
                 {"reason", a.reason},
                 {"owner_unit", a.owner_unit},
                 {"order", a.order_id},
                 {"priority", bulletins::priority_name(a.priority)},
                 {"devices", a.devices},
                 {"text", a.text},
                 {"media_id", a.media_id},
                 {"received_at", a.received_at},
                 {"decided_by", username_of(c, a.decided_by)},
                 {"decided_at", a.decided_at}};
  add_geometry(o, a, c.deps.cap_schema);
  if (with_xml) o["xml"] = a.xml;
  return o;
}

json::object source_json(const AlertSource& s) {
  return {{"id", s.id},
          {"sender", s.sender},
          {"name", s.name},
          {"unit_code", s.unit_code},
          {"feed_url", s.feed_url},
          {"auto_broadcast", s.auto_broadcast},
          {"min_severity", s.min_severity},
          {"min_urgency", s.min_urgency},
          {"min_certainty", s.min_certainty},
          {"enabled", s.enabled},
          {"last_polled_at", s.last_polled_at},
          {"last_poll_error", s.last_poll_error},
          {"created_at", s.created_at}};
}

HttpResponse alert_or_error(Ctx& c, const Result<AlertRecord>& r) {
  if (!r) return error_response(r.error());
  return json_response(200, alert_json(c, r.value(), true));
}

HttpResponse board(Ctx& c, AlertDesk& desk, std::int64_t id) {
  if (c.req.method != "GET") return method_not_allowed("GET");
  return board_response(c, desk.board(c.who(), id));
}

HttpResponse list_alerts(Ctx& c, AlertDesk& desk) {
  AlertQuery q;
  const auto state = c.query.find("state");
  if (state != c.query.end() && !state->second.empty() && state->second != "all") {
    auto parsed = alert_names::parse_state(state->second);
    if (!parsed) return error_response(invalid("invalid_query", "state: unknown alert state"));
    q.state = parsed;
  }
  if (Status paged = read_page(c, q.limit, q.offset); !paged) return error_response(paged.error());
  auto rows = desk.list(c.who(), q);
  if (!rows) return error_response(rows.error());
  json::array items;
  for (const AlertRecord& a : rows.value()) items.push_back(alert_json(c, a, false));
  return json_response(200, json::object{{"items", std::move(items)}});
}

HttpResponse alert_action(Ctx& c, AlertDesk& desk, std::int64_t id, const std::string& action) {
  if (c.req.method != "POST") return method_not_allowed("POST");
  auto body = parse_object(c.req.body.empty() ? "{}" : c.req.body,
                           action == "reject" ? std::vector<std::string_view>{"reason"}
                                              : std::vector<std::string_view>{});
  if (!body) return error_response(body.error());
  if (action == "approve") return alert_or_error(c, desk.approve(c.who(), id, c.origin()));
  if (action == "stop") return alert_or_error(c, desk.stop(c.who(), id, c.origin()));
  auto reason = Fields(body.value()).required_string("reason");
  if (!reason) return error_response(reason.error());
  return alert_or_error(c, desk.reject(c.who(), id, reason.value(), c.origin()));
}

// POST /api/v1/alerts: an emergency order from the console, issued as a CAP alert.
HttpResponse issue_alert(Ctx& c, AlertDesk& desk) {
  auto body = parse_object(c.req.body, {"owner_unit", "status", "category", "event", "headline",
                                        "description", "instruction", "severity", "urgency",
                                        "certainty", "areas", "polygon", "expires_minutes"});
  if (!body) return error_response(body.error());
  const json::object& o = body.value();
  Fields f(o);
  alerts::LocalAlertDraft d;
  auto owner = f.required_string("owner_unit");
  if (!owner) return error_response(owner.error());
  d.owner_unit = owner.value();
  for (auto [key, out] : {std::pair{"status", &d.status},
                          {"category", &d.category},
                          {"event", &d.event},
                          {"headline", &d.headline},
                          {"description", &d.description},
                          {"instruction", &d.instruction},
                          {"severity", &d.severity},
                          {"urgency", &d.urgency},
                          {"certainty", &d.certainty}}) {
    auto v = f.optional_string(key);
    if (!v) return error_response(v.error());
    if (v.value()) *out = std::move(*v.value());
  }
  auto areas = f.optional_strings("areas", 1000);  // the desk applies its own limit (50)
  if (!areas) return error_response(areas.error());
  if (areas.value()) d.areas = std::move(*areas.value());
  if (const json::value* polygon = o.if_contains("polygon")) {
    const Error wrong = invalid("invalid_field", "polygon: an array of [lat, lon] points");
    if (!polygon->is_array() || polygon->as_array().size() > alerts::kMaxPolygonPoints) {
      return error_response(wrong);
    }
    for (const auto& point : polygon->as_array()) {
      if (!point.is_array() || point.as_array().size() != 2 || !point.as_array()[0].is_number() ||
          !point.as_array()[1].is_number()) {
        return error_response(wrong);
      }
      d.polygon.push_back(
          {point.as_array()[0].to_number<double>(), point.as_array()[1].to_number<double>()});
    }
  }
  auto minutes = f.optional_int("expires_minutes");
  if (!minutes) return error_response(minutes.error());
  if (minutes.value()) {
    if (*minutes.value() < 5 || *minutes.value() > 10080) {
      return error_response(invalid("invalid_field", "expires_minutes: 5 to 10080"));
    }
    d.expires_minutes = static_cast<int>(*minutes.value());
  }
  auto issued = desk.issue(c.who(), std::move(d), c.origin());
  if (!issued) return error_response(issued.error());
  return json_response(201, alert_json(c, issued.value(), true));
}

// The optional source fields of a create or update body.
Status read_source_fields(const json::object& o, alerts::SourcePatch& patch) {
  Fields f(o);
  for (auto [key, out] : {std::pair{"name", &patch.name},
                          {"unit_code", &patch.unit_code},
                          {"feed_url", &patch.feed_url},
                          {"min_severity", &patch.min_severity},
                          {"min_urgency", &patch.min_urgency},
                          {"min_certainty", &patch.min_certainty}}) {
    auto v = f.optional_string(key);
    if (!v) return v.error();
    *out = std::move(v.value());
  }
  for (auto [key, out] :
       {std::pair{"auto_broadcast", &patch.auto_broadcast}, {"enabled", &patch.enabled}}) {
    auto v = f.optional_bool(key);
    if (!v) return v.error();
    *out = v.value();
  }
  return {};
}

const std::vector<std::string_view> kSourceFields = {
    "name",        "unit_code",     "feed_url",       "min_severity",
    "min_urgency", "min_certainty", "auto_broadcast", "enabled"};

HttpResponse create_source(Ctx& c, AlertDesk& desk) {
  std::vector<std::string_view> allowed = kSourceFields;
  allowed.emplace_back("sender");
  auto body = parse_object(c.req.body, allowed);
  if (!body) return error_response(body.error());
  auto sender = Fields(body.value()).required_string("sender");
  if (!sender) return error_response(sender.error());
  alerts::SourcePatch patch;
  if (Status read = read_source_fields(body.value(), patch); !read) {
    return error_response(read.error());
  }
  alerts::SourceDraft d;
  d.sender = sender.value();
  d.name = patch.name.value_or("");
  d.unit_code = patch.unit_code.value_or("");
  d.feed_url = patch.feed_url.value_or("");
  d.auto_broadcast = patch.auto_broadcast.value_or(false);
  d.min_severity = patch.min_severity.value_or(d.min_severity);
  d.min_urgency = patch.min_urgency.value_or(d.min_urgency);
  d.min_certainty = patch.min_certainty.value_or(d.min_certainty);
  d.enabled = patch.enabled.value_or(true);
  auto created = desk.create_source(c.who(), d, c.origin());
  if (!created) return error_response(created.error());
  json::object o = source_json(created->source);
  o["token"] = created->token;
  return json_response(201, o);
}

HttpResponse source_routes(Ctx& c, AlertDesk& desk) {
  const auto& s = c.segs;
  const std::string& m = c.req.method;
  if (s.size() == 1) {
    if (m == "GET") {
      return result_or_error<std::vector<AlertSource>>(
          desk.sources(c.who()), 200, [](const std::vector<AlertSource>& all) {
            json::array items;
            for (const AlertSource& one : all) items.push_back(source_json(one));
            return json::object{{"items", std::move(items)}};
          });
    }
    return m == "POST" ? create_source(c, desk) : method_not_allowed("GET, POST");
  }
  auto id = parse_id(s[1]);
  if (!id) return error_response(not_found("no such alert source"));
  if (s.size() == 2) {
    if (m != "PATCH") return method_not_allowed("PATCH");
    auto body = parse_object(c.req.body, kSourceFields);
    if (!body) return error_response(body.error());
    alerts::SourcePatch patch;
    if (Status read = read_source_fields(body.value(), patch); !read) {
      return error_response(read.error());
    }
    return result_or_error<AlertSource>(desk.update_source(c.who(), *id, patch, c.origin()), 200,
                                        [](const AlertSource& one) { return source_json(one); });
  }
  if (s.size() == 3 && s[2] == "token") {
    if (m != "POST") return method_not_allowed("POST");
    return result_or_error<std::string>(desk.new_token(c.who(), *id, c.origin()), 200,
                                        [](const std::string& token) {
                                          return json::object{{"token", token}};
                                        });
  }
  return error_response(not_found("no such API endpoint"));
}

}  // namespace

HttpResponse board_response(const Ctx& c, const Result<OrderBoard>& b) {
  if (!b) return error_response(b.error());
  const auto accept = c.req.header("accept");
  if (!accept || accept->find("text/event-stream") == std::string_view::npos) {
    HttpResponse r = json_response(200, json::value(nullptr));
    r.body = order_board_json(b.value());
    return r;
  }
  auto stream = c.deps.board_events ? c.deps.board_events->subscribe(b->order) : nullptr;
  if (!stream) {
    return error_response({ErrorKind::kUnavailable, "too_many_streams",
                           "too many live boards are open; poll this address instead"});
  }
  HttpResponse r;
  r.content_type = "text/event-stream";
  r.headers = {{"Cache-Control", "no-cache, no-store"}, {"X-Accel-Buffering", "no"}};
  r.stream = std::move(stream);
  return r;
}

std::optional<HttpResponse> alert_routes(Ctx& c) {
  const auto& s = c.segs;
  if (s.empty() || (s[0] != "alerts" && s[0] != "alert-sources")) return std::nullopt;
  if (c.deps.alerts == nullptr) {
    return error_response({ErrorKind::kUnavailable, "alerts_unavailable",
                           "emergency alerts need the broadcast capability (broker.enabled)"});
  }
  AlertDesk& desk = *c.deps.alerts;
  if (s[0] == "alert-sources") return source_routes(c, desk);
  if (s.size() == 1) {
    if (c.req.method == "GET") return list_alerts(c, desk);
    return c.req.method == "POST" ? issue_alert(c, desk) : method_not_allowed("GET, POST");
  }
  auto id = parse_id(s[1]);
  if (!id) return error_response(not_found("no such alert"));
  if (s.size() == 2) {
    if (c.req.method != "GET") return method_not_allowed("GET");
    return alert_or_error(c, desk.get(c.who(), *id));
  }
  if (s.size() == 3 && s[2] == "devices") return board(c, desk, *id);
  if (s.size() == 3 && (s[2] == "approve" || s[2] == "reject" || s[2] == "stop")) {
    return alert_action(c, desk, *id, s[2]);
  }
  return error_response(not_found("no such API endpoint"));
}

HttpResponse cap_push(const HttpRequest& req, alerts::AlertDesk* desk,
                      const cap::CapSchema* schema) {
  if (req.method != "POST") return method_not_allowed("POST");
  if (desk == nullptr || schema == nullptr) {
    return error_response({ErrorKind::kUnavailable, "alerts_unavailable",
                           "emergency alerts need the broadcast capability (broker.enabled)"});
  }
  const auto auth = req.header("authorization");
  if (!auth || auth->rfind("Bearer ", 0) != 0) {
    HttpResponse r = error_response({ErrorKind::kUnauthenticated, "invalid_token",
                                     "send the source's token as Authorization: Bearer <token>"});
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  auto source = desk->source_for_token(std::string(auth->substr(7)));
  if (!source) {
    log::warn("CAP push refused", {{"ip", req.remote_ip}, {"error", source.error().message}});
    return error_response(source.error());
  }
  const auto type = req.header("content-type");
  const std::string_view media = type ? type->substr(0, type->find(';')) : std::string_view();
  if (media != "application/cap+xml" && media != "application/xml" && media != "text/xml") {
    return error_response({ErrorKind::kInvalid, "unsupported_media_type",
                           "send the CAP document as application/cap+xml"});
  }
  auto alert = cap::parse_cap(req.body, *schema);
  if (!alert) {
    log::warn("CAP document refused", {{"sender", source->sender},
                                       {"code", alert.error().code},
                                       {"error", alert.error().message}});
    return error_response(alert.error());
  }
  auto stored = desk->ingest(source.value(), alert.value(), req.body, "push");
  if (!stored) {
    log::warn("CAP alert refused", {{"sender", source->sender},
                                    {"identifier", alert->identifier},
                                    {"code", stored.error().code},
                                    {"error", stored.error().message}});
    return error_response(stored.error());
  }
  log::info("CAP alert received", {{"sender", source->sender},
                                   {"identifier", stored->identifier},
                                   {"state", std::string(alert_names::state_name(stored->state))},
                                   {"devices", stored->devices}});
  return json_response(201, json::object{{"id", stored->id},
                                         {"state", alert_names::state_name(stored->state)},
                                         {"reason", stored->reason},
                                         {"devices", stored->devices},
                                         {"order", stored->order_id}});
}

}  // namespace nguon::app::api

namespace nguon::app {

std::string order_board_json(const OrderBoard& board) {
  boost::json::array devices;
  for (const BoardRow& r : board.rows) {
    devices.push_back(boost::json::object{{"id", r.device_id},
                                          {"name", r.name},
                                          {"commune_code", r.commune_code},
                                          {"online", r.online},
                                          {"state", r.state},
                                          {"reason", r.reason},
                                          {"ts", r.ts}});
  }
  boost::json::object counts;
  for (const auto& [k, v] : board.counts) counts[k] = v;
  return boost::json::serialize(boost::json::object{
      {"order", board.order}, {"devices", std::move(devices)}, {"counts", std::move(counts)}});
}

}  // namespace nguon::app

namespace nguon::app::api {

std::optional<HttpResponse> cap_feed_routes(const HttpRequest& req, std::string_view path,
                                            alerts::AlertDesk* desk, const std::string& base_url,
                                            UnixTime now) {
  constexpr std::string_view kFeed = "/cap/alerts.atom";
  constexpr std::string_view kDocs = "/cap/alerts/";
  constexpr std::string_view kCapSuffix = ".cap";
  const bool is_feed = path == kFeed;
  const bool is_doc = path.starts_with(kDocs) && path.ends_with(kCapSuffix);
  if (!is_feed && !is_doc) return std::nullopt;
  if (req.method != "GET" && req.method != "HEAD") return method_not_allowed("GET");
  if (desk == nullptr) {
    return error_response({ErrorKind::kUnavailable, "alerts_unavailable",
                           "emergency alerts need the broadcast capability (broker.enabled)"});
  }
  HttpResponse r;
  r.headers.emplace_back("Cache-Control", "public, max-age=30");
  if (is_doc) {
    const std::string digits(
        path.substr(kDocs.size(), path.size() - kDocs.size() - kCapSuffix.size()));
    auto id = parse_id(digits);
    if (!id) return error_response(not_found("no such alert"));
    auto alert = desk->published_one(*id);
    if (!alert) return error_response(alert.error());
    r.content_type = "application/cap+xml; charset=utf-8";
    r.body = alert->xml;
    return r;
  }
  auto published = desk->published(50);
  if (!published) return error_response(published.error());
  cap::AtomFeed feed;
  feed.id = base_url + std::string(kFeed);
  feed.self_url = feed.id;
  feed.title = "Cảnh báo khẩn cấp — Nguồn";
  feed.author = "Nguồn";
  if (published->empty()) feed.updated = now;  // else the newest entry's time
  std::vector<cap::AtomEntry> entries;
  for (const AlertRecord& a : published.value()) {
    cap::AtomEntry e;
    e.id = "urn:nguon:alert:" + a.sender + ":" + a.identifier;
    e.title = a.msg_type == "Cancel" ? "Hủy cảnh báo: " + a.reason : a.headline;
    e.updated = a.sent;
    e.summary = a.text;
    e.cap_url = base_url + std::string(kDocs) + std::to_string(a.id) + std::string(kCapSuffix);
    e.category = a.event;
    entries.push_back(std::move(e));
  }
  r.content_type = "application/atom+xml; charset=utf-8";
  r.body = cap::write_atom(feed, entries);
  return r;
}

}  // namespace nguon::app::api
