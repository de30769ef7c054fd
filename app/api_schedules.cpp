// Schedule routes: programmes (recurring broadcast slots) and the schedule calendar.
// Times on the wire are Asia/Ho_Chi_Minh local: dates "YYYY-MM-DD", start_time "HH:MM", and
// calendar occurrences in ISO 8601 with their +07:00 offset.
#include "app/api_support.h"
#include "app/json_body.h"
#include "core/devices/record_json.h"
#include "core/schedule/schedule_service.h"

namespace nguon::app::api {
namespace {

const std::vector<std::string_view> kProgrammeFields = {
    "name",       "owner_unit", "priority", "target_units", "target_groups",    "rrule",
    "first_date", "last_date",  "exdates",  "start_time",   "duration_minutes", "items",
    "enabled"};
const std::vector<std::string_view> kItemFields = {"kind", "bulletin_id", "sha256",
                                                   "url",  "duration_s",  "title"};

json::value item_json(const ProgrammeItem& i) {
  json::object o{{"kind", devices::programme_item_kind_name(i.kind)}, {"title", i.title}};
  switch (i.kind) {
    case ProgrammeItemKind::kBulletin:
      o["bulletin_id"] = i.bulletin_id;
      break;
    case ProgrammeItemKind::kMedia:
      o["sha256"] = i.sha256;
      break;
    case ProgrammeItemKind::kStream:
      o["url"] = i.url;
      o["duration_s"] = i.duration_s;
      break;
    case ProgrammeItemKind::kIntro:
    case ProgrammeItemKind::kOutro:
      break;
  }
  return o;
}

json::value programme_json(const Programme& p) {
  json::array targets, groups, exdates, items;
  for (const auto& t : p.target_units) targets.emplace_back(t);
  for (auto g : p.target_groups) groups.emplace_back(g);
  for (const auto& d : p.exdates) exdates.emplace_back(d);
  for (const auto& i : p.items) items.push_back(item_json(i));
  return json::object{{"id", p.id},
                      {"name", p.name},
                      {"owner_unit", p.owner_unit},
                      {"priority", bulletins::priority_name(p.priority)},
                      {"target_units", std::move(targets)},
                      {"target_groups", std::move(groups)},
                      {"rrule", p.rrule},
                      {"first_date", p.first_date},
                      {"last_date", p.last_date},
                      {"exdates", std::move(exdates)},
                      {"start_time", schedule::format_hhmm(p.start_minute)},
                      {"duration_minutes", p.duration_minutes},
                      {"items", std::move(items)},
                      {"enabled", p.enabled},
                      {"created_by", p.created_by},
                      {"created_at", iso8601(p.created_at)},
                      {"updated_at", iso8601(p.updated_at)}};
}

json::value programme_list_json(const std::vector<Programme>& list) {
  json::array items;
  for (const auto& p : list) items.push_back(programme_json(p));
  return json::object{{"items", std::move(items)}};
}

json::value occurrences_json(const std::vector<ScheduleOccurrence>& list) {
  json::array items;
  for (const auto& o : list) {
    items.push_back(json::object{{"programme_id", o.programme_id},
                                 {"name", o.name},
                                 {"owner_unit", o.owner_unit},
                                 {"priority", bulletins::priority_name(o.priority)},
                                 {"start", schedule::iso8601_local(o.start)},
                                 {"end", schedule::iso8601_local(o.end)},
                                 {"targets", o.targets}});
  }
  return json::object{{"items", std::move(items)}};
}

Result<std::optional<std::vector<std::string>>> optional_strings(const json::object& o,
                                                                 std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<std::vector<std::string>>();
  const Error wrong = invalid("invalid_field", std::string(key) + ": must be an array of strings");
  if (!v->is_array() || v->as_array().size() > 1000) return wrong;
  std::vector<std::string> out;
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) return wrong;
    out.emplace_back(item.as_string());
  }
  return std::optional(std::move(out));
}

Result<std::optional<std::vector<std::int64_t>>> optional_ids(const json::object& o,
                                                              std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<std::vector<std::int64_t>>();
  const Error wrong = invalid("invalid_field", std::string(key) + ": must be an array of ids");
  if (!v->is_array() || v->as_array().size() > 1000) return wrong;
  std::vector<std::int64_t> out;
  for (const auto& item : v->as_array()) {
    if (!item.is_int64() || item.as_int64() < 1) return wrong;
    out.push_back(item.as_int64());
  }
  return std::optional(std::move(out));
}

// A bounded integer field (the range itself is the service's to check).
Result<std::optional<int>> optional_small_int(const Fields& f, std::string_view key) {
  auto v = f.optional_int(key);
  if (!v) return v.error();
  if (!v.value()) return std::optional<int>();
  if (*v.value() < -1'000'000 || *v.value() > 1'000'000) {
    return invalid("invalid_field", std::string(key) + ": out of range");
  }
  return std::optional<int>(static_cast<int>(*v.value()));
}

Result<ProgrammeItem> read_item(const json::value& v, size_t index) {
  const std::string field = "items[" + std::to_string(index) + "]";
  if (!v.is_object()) return invalid("invalid_field", field + ": must be an object");
  const json::object& o = v.as_object();
  for (const auto& kv : o) {
    if (std::find(kItemFields.begin(), kItemFields.end(), kv.key()) == kItemFields.end()) {
      return invalid("unknown_field", field + ": unknown field '" + std::string(kv.key()) + "'");
    }
  }
  Fields f(o);
  ProgrammeItem item;
  auto kind = f.required_string("kind");
  if (!kind) return invalid("invalid_field", field + ".kind: is required");
  auto parsed = devices::parse_programme_item_kind(kind.value());
  if (!parsed) {
    return invalid("invalid_field",
                   field + ".kind: must be bulletin, media, stream, intro or outro");
  }
  item.kind = *parsed;
  auto title = f.optional_string("title");
  if (!title) return invalid("invalid_field", field + ".title: must be a string");
  item.title = title.value().value_or("");
  switch (item.kind) {
    case ProgrammeItemKind::kBulletin: {
      auto id = f.optional_int("bulletin_id");
      if (!id || !id.value()) return invalid("invalid_field", field + ".bulletin_id: is required");
      item.bulletin_id = *id.value();
      break;
    }
    case ProgrammeItemKind::kMedia: {
      auto sha = f.optional_string("sha256");
      if (!sha || !sha.value()) return invalid("invalid_field", field + ".sha256: is required");
      item.sha256 = *sha.value();
      break;
    }
    case ProgrammeItemKind::kStream: {
      auto url = f.optional_string("url");
      if (!url || !url.value()) return invalid("invalid_field", field + ".url: is required");
      item.url = *url.value();
      auto seconds = f.optional_int("duration_s");
      if (!seconds || !seconds.value()) {
        return invalid("invalid_field", field + ".duration_s: is required");
      }
      item.duration_s = *seconds.value();
      break;
    }
    case ProgrammeItemKind::kIntro:
    case ProgrammeItemKind::kOutro:
      break;
  }
  return item;
}

Result<std::optional<std::vector<ProgrammeItem>>> optional_items(const json::object& o) {
  const json::value* v = o.if_contains("items");
  if (v == nullptr || v->is_null()) return std::optional<std::vector<ProgrammeItem>>();
  if (!v->is_array() || v->as_array().size() > ScheduleService::kMaxItems) {
    return invalid("invalid_field", "items: must be an array of 1 to " +
                                        std::to_string(ScheduleService::kMaxItems) + " items");
  }
  std::vector<ProgrammeItem> out;
  for (size_t i = 0; i < v->as_array().size(); ++i) {
    auto item = read_item(v->as_array()[i], i);
    if (!item) return item.error();
    out.push_back(std::move(item.value()));
  }
  return std::optional(std::move(out));
}

Result<ProgrammeInput> read_input(const json::object& o) {
  Fields f(o);
  ProgrammeInput in;
  for (auto [key, slot] : {std::pair{"name", &in.name}, std::pair{"owner_unit", &in.owner_unit},
                           std::pair{"rrule", &in.rrule}, std::pair{"first_date", &in.first_date},
                           std::pair{"last_date", &in.last_date}}) {
    auto v = f.optional_string(key);
    if (!v) return v.error();
    *slot = std::move(v.value());
  }
  // A present-but-null last_date clears it (open-ended).
  if (o.contains("last_date") && !in.last_date) in.last_date = "";
  if (o.contains("rrule") && !in.rrule) in.rrule = "";
  auto priority = f.optional_string("priority");
  if (!priority) return priority.error();
  if (priority.value()) {
    in.priority = bulletins::parse_priority(*priority.value());
    if (!in.priority) {
      return invalid("invalid_field", "priority: must be normal, priority or emergency");
    }
  }
  auto start = f.optional_string("start_time");
  if (!start) return start.error();
  if (start.value()) {
    in.start_minute = schedule::parse_hhmm(*start.value());
    if (!in.start_minute) {
      return invalid("invalid_field", "start_time: must be HH:MM, 00:00 to 23:59");
    }
  }
  auto duration = optional_small_int(f, "duration_minutes");
  if (!duration) return duration.error();
  in.duration_minutes = duration.value();
  auto enabled = f.optional_bool("enabled");
  if (!enabled) return enabled.error();
  in.enabled = enabled.value();
  auto targets = optional_strings(o, "target_units");
  if (!targets) return targets.error();
  in.target_units = std::move(targets.value());
  auto exdates = optional_strings(o, "exdates");
  if (!exdates) return exdates.error();
  in.exdates = std::move(exdates.value());
  auto groups = optional_ids(o, "target_groups");
  if (!groups) return groups.error();
  in.target_groups = std::move(groups.value());
  auto items = optional_items(o);
  if (!items) return items.error();
  in.items = std::move(items.value());
  return in;
}

// 409 with the clashing programmes listed, or the plain error.
HttpResponse programme_response(const Result<Programme>& r,
                                const std::vector<ScheduleClash>& clashes, int status) {
  if (r) return json_response(status, programme_json(r.value()));
  if (r.error().code != "schedule_overlap") return error_response(r.error());
  json::array conflicts;
  for (const auto& c : clashes) {
    json::array ids;
    for (const auto& id : c.device_ids) ids.emplace_back(id);
    const auto local = schedule::to_local(c.start);
    conflicts.push_back(json::object{{"programme_id", c.programme_id},
                                     {"name", c.name},
                                     {"owner_unit", c.owner_unit},
                                     {"date", schedule::format_date(local.date)},
                                     {"start_time", schedule::format_hhmm(local.minute_of_day)},
                                     {"end", schedule::iso8601_local(c.end)},
                                     {"devices", c.device_count},
                                     {"device_ids", std::move(ids)}});
  }
  HttpResponse resp = error_response(r.error());
  json::object body = json::parse(resp.body).as_object();
  body["conflicts"] = std::move(conflicts);
  resp.body = json::serialize(body);
  return resp;
}

HttpResponse create_programme(Ctx& c, ScheduleService& s) {
  auto body = parse_object(c.req.body, kProgrammeFields);
  if (!body) return error_response(body.error());
  auto in = read_input(body.value());
  if (!in) return error_response(in.error());
  std::vector<ScheduleClash> clashes;
  auto r = s.create(c.who(), std::move(in.value()), c.origin(), &clashes);
  return programme_response(r, clashes, 201);
}

HttpResponse update_programme(Ctx& c, ScheduleService& s, std::int64_t id) {
  auto body = parse_object(c.req.body, kProgrammeFields);
  if (!body) return error_response(body.error());
  auto in = read_input(body.value());
  if (!in) return error_response(in.error());
  std::vector<ScheduleClash> clashes;
  auto r = s.update(c.who(), id, std::move(in.value()), c.origin(), &clashes);
  return programme_response(r, clashes, 200);
}

HttpResponse calendar(Ctx& c, ScheduleService& s) {
  auto from = schedule::parse_date(query_or(c, "from", ""));
  auto to = schedule::parse_date(query_or(c, "to", ""));
  if (!from || !to) {
    return error_response(invalid("invalid_query", "from, to: required dates YYYY-MM-DD"));
  }
  const std::string unit = query_or(c, "unit", c.who().unit_code);
  return result_or_error<std::vector<ScheduleOccurrence>>(s.occurrences(c.who(), unit, *from, *to),
                                                          200, occurrences_json);
}

HttpResponse programme_by_id(Ctx& c, ScheduleService& s, std::int64_t id) {
  const std::string& m = c.req.method;
  if (m == "GET") return result_or_error<Programme>(s.get(c.who(), id), 200, programme_json);
  if (m == "PATCH") return update_programme(c, s, id);
  if (m == "DELETE") {
    Status st = s.remove(c.who(), id, c.origin());
    return st ? no_content() : error_response(st.error());
  }
  return method_not_allowed("GET, PATCH, DELETE");
}

}  // namespace

std::optional<HttpResponse> schedule_routes(Ctx& c) {
  const auto& seg = c.segs;
  if (seg[0] != "programmes" && seg[0] != "schedule") return std::nullopt;
  if (c.deps.schedules == nullptr) {
    return error_response({ErrorKind::kUnavailable, "schedules_unavailable",
                           "the schedule service is not configured"});
  }
  ScheduleService& s = *c.deps.schedules;
  const std::string& m = c.req.method;
  if (seg[0] == "schedule") {
    if (seg.size() != 1) return error_response(not_found("no such API endpoint"));
    return m == "GET" ? calendar(c, s) : method_not_allowed("GET");
  }
  if (seg.size() == 1) {
    if (m == "GET") {
      return result_or_error<std::vector<Programme>>(s.list(c.who(), query_or(c, "unit", "")), 200,
                                                     programme_list_json);
    }
    if (m == "POST") return create_programme(c, s);
    return method_not_allowed("GET, POST");
  }
  if (seg.size() == 2) {
    auto id = parse_id(seg[1]);
    if (!id) return error_response(not_found("no such programme"));
    return programme_by_id(c, s, *id);
  }
  return error_response(not_found("no such API endpoint"));
}

}  // namespace nguon::app::api
