// Device routes: registry, provisioning, groups, broadcasts, play logs, device-facing media.
// Contract: docs/openapi.yaml ("Devices and broadcasts"). All of them answer 503 when the
// server runs without the broadcast capability (ApiDeps::devices is null).
#include <boost/json.hpp>
#include <cmath>

#include "adapters/qr/qr_svg.h"
#include "app/api_support.h"
#include "app/json_body.h"
#include "core/devices/device_service.h"
#include "core/devices/record_json.h"
#include "core/schedule/local_time.h"

namespace nguon::app::api {
namespace {

constexpr size_t kMaxPage = 500;

Error devices_unavailable() {
  return {ErrorKind::kUnavailable, "devices_unavailable",
          "the broadcast capability is not configured on this server"};
}

json::value time_or_null(UnixTime t) {
  if (t == 0) return nullptr;
  return json::string(iso8601(t));
}

// The last reported state as JSON, or null when none (or unreadable) was recorded.
json::value state_json(const std::string& text) {
  if (text.empty()) return nullptr;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return nullptr;
  return v;
}

json::value device_json(const Device& d) {
  json::object o = devices::device_registry_json(d);
  o["online"] = d.online;
  o["last_seen"] = time_or_null(d.last_seen);
  o["state"] = state_json(d.state_json);
  o["created_at"] = iso8601(d.created_at);
  o["updated_at"] = iso8601(d.updated_at);
  return o;
}

json::value listing_json(const DeviceListing& l) {
  json::array items;
  for (const Device& d : l.items) items.push_back(device_json(d));
  return json::object{{"items", std::move(items)},
                      {"counts", json::object{{"total", l.counts.total},
                                              {"online", l.counts.online},
                                              {"offline", l.counts.total - l.counts.online},
                                              {"playing", l.counts.playing},
                                              {"decommissioned", l.counts.decommissioned}}}};
}

json::value group_json(const DeviceGroup& g) {
  json::array ids;
  for (const auto& id : g.device_ids) ids.emplace_back(json::string(id));
  return json::object{
      {"id", g.id}, {"name", g.name}, {"unit_code", g.unit_code}, {"device_ids", std::move(ids)}};
}

json::value play_json(const PlayLog& l) {
  json::value seconds = nullptr;
  if (l.started > 0 && l.ended >= l.started) seconds = l.ended - l.started;
  return json::object{{"id", l.id},
                      {"device_id", l.device_id},
                      {"event_id", l.event_id},
                      {"type", l.type},
                      {"ts", iso8601(l.ts)},
                      {"slot", l.slot},
                      {"order", l.order},
                      {"sha256", l.sha256},
                      {"url", l.url},
                      {"started", time_or_null(l.started)},
                      {"ended", time_or_null(l.ended)},
                      {"seconds", seconds},
                      {"reason", l.reason},
                      {"commune_code", l.commune_code}};
}

// ---- reading request bodies and queries ------------------------------------------------------

Result<std::optional<std::optional<double>>> optional_number(const json::object& o,
                                                             std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return std::optional<std::optional<double>>();
  if (v->is_null()) return std::optional<std::optional<double>>(std::optional<double>());
  if (v->is_double()) return std::optional<std::optional<double>>(v->as_double());
  if (v->is_int64()) {
    return std::optional<std::optional<double>>(static_cast<double>(v->as_int64()));
  }
  if (v->is_uint64()) {
    return std::optional<std::optional<double>>(static_cast<double>(v->as_uint64()));
  }
  return invalid("invalid_field", std::string(key) + ": must be a number or null");
}

Result<std::optional<int>> optional_small_int(const Fields& f, std::string_view key) {
  auto v = f.optional_int(key);
  if (!v) return v.error();
  if (!v.value()) return std::optional<int>();
  if (*v.value() < -1'000'000 || *v.value() > 1'000'000) {
    return invalid("out_of_range", std::string(key) + ": out of range");
  }
  return std::optional<int>(static_cast<int>(*v.value()));
}

const std::vector<std::string_view> kDeviceFields = {
    "kind",         "name",         "serial", "imei", "vendor", "model", "firmware",
    "commune_code", "village_code", "lat",    "lon",  "horns",  "watts"};

Result<DevicePatch> read_device_patch(const json::object& o) {
  Fields f(o);
  DevicePatch p;
  auto kind = f.optional_string("kind");
  if (!kind) return kind.error();
  if (kind.value()) {
    p.kind = devices::parse_device_kind(*kind.value());
    if (!p.kind) return invalid("invalid_field", "kind: cluster or board");
  }
  for (auto [key, slot] :
       {std::pair{"name", &p.name}, std::pair{"serial", &p.serial}, std::pair{"imei", &p.imei},
        std::pair{"vendor", &p.vendor}, std::pair{"model", &p.model},
        std::pair{"firmware", &p.firmware}, std::pair{"commune_code", &p.commune_code},
        std::pair{"village_code", &p.village_code}}) {
    auto v = f.optional_string(key);
    if (!v) return v.error();
    *slot = std::move(v.value());
  }
  for (auto [key, slot] : {std::pair{"lat", &p.lat}, std::pair{"lon", &p.lon}}) {
    auto v = optional_number(o, key);
    if (!v) return v.error();
    *slot = v.value();
  }
  for (auto [key, slot] : {std::pair{"horns", &p.horns}, std::pair{"watts", &p.watts}}) {
    auto v = optional_small_int(f, key);
    if (!v) return v.error();
    *slot = v.value();
  }
  return p;
}

DeviceDraft draft_from(const DevicePatch& p) {
  DeviceDraft d;
  d.kind = p.kind.value_or(DeviceKind::kCluster);
  d.name = p.name.value_or("");
  d.serial = p.serial.value_or("");
  d.imei = p.imei.value_or("");
  d.vendor = p.vendor.value_or("");
  d.model = p.model.value_or("");
  d.firmware = p.firmware.value_or("");
  d.commune_code = p.commune_code.value_or("");
  d.village_code = p.village_code.value_or("");
  d.lat = p.lat.value_or(std::nullopt);
  d.lon = p.lon.value_or(std::nullopt);
  d.horns = p.horns.value_or(0);
  d.watts = p.watts.value_or(0);
  return d;
}

// A non-negative integer query parameter within [lo, hi]; `fallback` when absent.
Result<size_t> query_count(const Ctx& c, const std::string& key, size_t lo, size_t hi,
                           size_t fallback) {
  auto v = c.query.find(key);
  if (v == c.query.end() || v->second.empty()) return fallback;
  auto n = parse_id(v->second);
  if (!n || static_cast<size_t>(*n) < lo || static_cast<size_t>(*n) > hi) {
    return invalid("invalid_query",
                   key + ": an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  return static_cast<size_t>(*n);
}

}  // namespace

Status read_page(const Ctx& c, size_t& limit, size_t& offset) {
  auto l = query_count(c, "limit", 1, kMaxPage, 100);
  if (!l) return l.error();
  auto o = query_count(c, "offset", 0, 1'000'000, 0);
  if (!o) return o.error();
  limit = l.value();
  offset = o.value();
  return {};
}

namespace {

std::string query_text(const Ctx& c, const std::string& key) {
  auto v = c.query.find(key);
  return v == c.query.end() ? std::string() : v->second;
}

Result<std::optional<bool>> query_bool(const Ctx& c, const std::string& key) {
  const std::string v = query_text(c, key);
  if (v.empty()) return std::optional<bool>();
  if (v == "true" || v == "1") return std::optional<bool>(true);
  if (v == "false" || v == "0") return std::optional<bool>(false);
  return invalid("invalid_query", key + ": true or false");
}

// Unix seconds, an ISO 8601 time with a zone, or a local date "YYYY-MM-DD" (Asia/Ho_Chi_Minh):
// "from" then means the start of that day, "to" its end (the next day's start, as `to` is
// exclusive), so from=to=a date is that whole day. 0 when absent.
Result<UnixTime> query_time(const Ctx& c, const std::string& key) {
  const std::string v = query_text(c, key);
  if (v.empty()) return UnixTime{0};
  if (auto n = parse_id(v)) return UnixTime{*n};
  if (auto t = parse_iso8601(v)) return *t;
  if (auto d = schedule::parse_date(v)) {
    return schedule::to_unix(key == "to" ? schedule::add_days(*d, 1) : *d, 0);
  }
  return invalid("invalid_query",
                 key + ": Unix seconds, an ISO 8601 time with a zone, or a date YYYY-MM-DD");
}

// ---- devices ---------------------------------------------------------------------------------

HttpResponse list_devices(Ctx& c) {
  DeviceListQuery q;
  q.unit_code = query_text(c, "unit");
  q.text = query_text(c, "q");
  if (const std::string s = query_text(c, "status"); !s.empty()) {
    q.status = devices::parse_device_status(s);
    if (!q.status) {
      return error_response(
          invalid("invalid_query", "status: registered, provisioned or decommissioned"));
    }
  }
  auto online = query_bool(c, "online");
  if (!online) return error_response(online.error());
  q.online = online.value();
  if (const std::string g = query_text(c, "group"); !g.empty()) {
    q.group_id = parse_id(g);
    if (!q.group_id) return error_response(invalid("invalid_query", "group: a group id"));
  }
  if (Status paged = read_page(c, q.limit, q.offset); !paged) return error_response(paged.error());
  return result_or_error<DeviceListing>(c.deps.devices->list(c.who(), q), 200, listing_json);
}

HttpResponse create_device(Ctx& c) {
  auto body = parse_object(c.req.body, kDeviceFields);
  if (!body) return error_response(body.error());
  auto patch = read_device_patch(body.value());
  if (!patch) return error_response(patch.error());
  return result_or_error<Device>(
      c.deps.devices->register_device(c.who(), draft_from(patch.value()), c.origin()), 201,
      device_json);
}

HttpResponse provision(Ctx& c, const std::string& id) {
  if (!c.req.body.empty()) {
    auto body = parse_object(c.req.body, {});
    if (!body) return error_response(body.error());
  }
  auto r = c.deps.devices->provision(c.who(), id, c.origin());
  if (!r) return error_response(r.error());
  const std::string bundle = protocol::encode_bundle(r->bundle);
  auto svg = qr::svg(bundle);
  if (!svg) return error_response(svg.error());
  HttpResponse out = json_response(200, json::object{{"device", device_json(r->device)},
                                                     {"bundle", json::parse(bundle)},
                                                     {"bundle_json", bundle},
                                                     {"qr_svg", svg.value()}});
  return out;
}

HttpResponse device_command(Ctx& c, const std::string& id) {
  auto body = parse_object(c.req.body, {"action", "volume", "on"});
  if (!body) return error_response(body.error());
  Fields f(body.value());
  auto action = f.required_string("action");
  if (!action) return error_response(action.error());
  DeviceCommand cmd;
  if (action.value() == "volume") {
    auto v = f.optional_int("volume");
    if (!v) return error_response(v.error());
    if (!v.value()) return error_response(invalid("invalid_field", "volume: required, 0 to 100"));
    if (*v.value() < 0 || *v.value() > 100) {
      return error_response(invalid("invalid_field", "volume: 0 to 100"));
    }
    cmd = {DeviceCommand::Kind::kVolume, static_cast<int>(*v.value())};
  } else if (action.value() == "power") {
    auto on = f.optional_bool("on");
    if (!on) return error_response(on.error());
    if (!on.value()) return error_response(invalid("invalid_field", "on: required, true or false"));
    cmd.kind = DeviceCommand::Kind::kPower;
    cmd.on = *on.value();
  } else if (action.value() == "reboot") {
    cmd.kind = DeviceCommand::Kind::kReboot;
  } else {
    return error_response(invalid("invalid_field", "action: volume, power or reboot"));
  }
  Status st = c.deps.devices->command(c.who(), id, cmd, c.origin());
  if (!st) return error_response(st.error());
  return json_response(202, json::object{{"device", id}, {"action", action.value()}});
}

HttpResponse import_devices(Ctx& c) {
  if (c.req.method != "POST") return method_not_allowed("POST");
  auto body = parse_object(c.req.body, {"csv"});
  if (!body) return error_response(body.error());
  auto text = Fields(body.value()).required_string("csv");
  if (!text) return error_response(text.error());
  auto r = c.deps.devices->import_csv(c.who(), text.value(), c.origin());
  if (!r) return error_response(r.error());
  json::array errors;
  for (const CsvRowError& e : r->errors) {
    errors.push_back(
        json::object{{"row", e.row}, {"field", e.field}, {"code", e.code}, {"message", e.message}});
  }
  if (r->errors.empty()) {
    return json_response(200, json::object{{"created", r->created}, {"errors", std::move(errors)}});
  }
  HttpResponse out = error_response(invalid(
      "import_rejected", std::to_string(r->errors.size()) + " problems; nothing was imported"));
  json::value v = json::parse(out.body);
  v.as_object()["errors"] = std::move(errors);
  out.body = json::serialize(v);
  return out;
}

std::optional<HttpResponse> device_by_id(Ctx& c) {
  const auto& s = c.segs;
  const std::string& m = c.req.method;
  const std::string& id = s[1];
  if (!protocol::valid_device_id(id)) return error_response(not_found("no such device"));
  if (s.size() == 2) {
    if (m == "GET")
      return result_or_error<Device>(c.deps.devices->get(c.who(), id), 200, device_json);
    if (m == "PATCH") {
      auto body = parse_object(c.req.body, kDeviceFields);
      if (!body) return error_response(body.error());
      auto patch = read_device_patch(body.value());
      if (!patch) return error_response(patch.error());
      return result_or_error<Device>(
          c.deps.devices->update_device(c.who(), id, patch.value(), c.origin()), 200, device_json);
    }
    return method_not_allowed("GET, PATCH");
  }
  if (s.size() != 3) return std::nullopt;
  if (m != "POST") return method_not_allowed("POST");
  if (s[2] == "provision") return provision(c, id);
  if (s[2] == "decommission") {
    return result_or_error<Device>(c.deps.devices->decommission(c.who(), id, c.origin()), 200,
                                   device_json);
  }
  if (s[2] == "commands") return device_command(c, id);
  return std::nullopt;
}

// ---- groups ----------------------------------------------------------------------------------

Result<std::optional<std::vector<std::string>>> optional_ids(const json::object& o) {
  const json::value* v = o.if_contains("device_ids");
  if (v == nullptr || v->is_null()) return std::optional<std::vector<std::string>>();
  const std::string wrong = "device_ids: must be an array of device ids";
  if (!v->is_array()) return invalid("invalid_field", wrong);
  std::vector<std::string> out;
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) return invalid("invalid_field", wrong);
    out.emplace_back(item.as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

json::value group_list_json(const std::vector<DeviceGroup>& groups) {
  json::array items;
  for (const auto& g : groups) items.push_back(group_json(g));
  return json::object{{"items", std::move(items)}};
}

HttpResponse create_group(Ctx& c) {
  auto body = parse_object(c.req.body, {"name", "unit_code", "device_ids"});
  if (!body) return error_response(body.error());
  Fields f(body.value());
  auto name = f.required_string("name");
  if (!name) return error_response(name.error());
  auto unit = f.optional_string("unit_code");
  if (!unit) return error_response(unit.error());
  auto ids = optional_ids(body.value());
  if (!ids) return error_response(ids.error());
  GroupDraft d{name.value(), unit.value().value_or(c.who().unit_code),
               ids.value().value_or(std::vector<std::string>())};
  return result_or_error<DeviceGroup>(c.deps.devices->create_group(c.who(), d, c.origin()), 201,
                                      group_json);
}

HttpResponse group_by_id(Ctx& c, std::int64_t id) {
  const std::string& m = c.req.method;
  if (m == "GET") {
    return result_or_error<DeviceGroup>(c.deps.devices->get_group(c.who(), id), 200, group_json);
  }
  if (m == "DELETE") {
    Status st = c.deps.devices->delete_group(c.who(), id, c.origin());
    return st ? no_content() : error_response(st.error());
  }
  if (m != "PATCH") return method_not_allowed("GET, PATCH, DELETE");
  auto body = parse_object(c.req.body, {"name", "device_ids"});
  if (!body) return error_response(body.error());
  GroupPatch patch;
  auto name = Fields(body.value()).optional_string("name");
  if (!name) return error_response(name.error());
  patch.name = std::move(name.value());
  auto ids = optional_ids(body.value());
  if (!ids) return error_response(ids.error());
  patch.device_ids = std::move(ids.value());
  return result_or_error<DeviceGroup>(c.deps.devices->update_group(c.who(), id, patch, c.origin()),
                                      200, group_json);
}

// ---- broadcasts ------------------------------------------------------------------------------

Result<ProgrammeItem> read_item(const json::value& v) {
  if (!v.is_object()) return invalid("invalid_field", "items: each item is an object");
  const json::object& o = v.as_object();
  for (const auto& [key, value] : o) {
    if (key != "kind" && key != "sha256" && key != "bulletin_id" && key != "url" &&
        key != "duration_s" && key != "title") {
      return invalid("unknown_field", "items: unknown field '" + std::string(key) + "'");
    }
  }
  Fields f(o);
  auto kind = f.required_string("kind");
  if (!kind) return kind.error();
  ProgrammeItem item;
  auto title = f.optional_string("title");
  if (!title) return title.error();
  item.title = title.value().value_or("");
  if (kind.value() == "media") {
    item.kind = ProgrammeItemKind::kMedia;
    auto sha = f.required_string("sha256");
    if (!sha) return sha.error();
    item.sha256 = sha.value();
  } else if (kind.value() == "bulletin") {
    item.kind = ProgrammeItemKind::kBulletin;
    auto id = f.optional_int("bulletin_id");
    if (!id) return id.error();
    if (!id.value()) return invalid("invalid_field", "items: bulletin_id is required");
    item.bulletin_id = *id.value();
  } else if (kind.value() == "stream") {
    item.kind = ProgrammeItemKind::kStream;
    auto url = f.required_string("url");
    if (!url) return url.error();
    item.url = url.value();
    auto duration = f.optional_int("duration_s");
    if (!duration) return duration.error();
    if (!duration.value()) return invalid("invalid_field", "items: duration_s is required");
    item.duration_s = *duration.value();
  } else {
    return invalid("invalid_field", "items: kind is media, bulletin or stream");
  }
  return item;
}

Result<std::vector<std::string>> read_areas(const json::object& o) {
  const json::value* v = o.if_contains("areas");
  const std::string wrong = "areas: must be an array of unit codes or group areas (g<id>)";
  if (v == nullptr || !v->is_array()) return invalid("invalid_field", wrong);
  std::vector<std::string> out;
  for (const auto& a : v->as_array()) {
    if (!a.is_string()) return invalid("invalid_field", wrong);
    out.emplace_back(a.as_string());
  }
  return out;
}

HttpResponse start_broadcast(Ctx& c) {
  auto body = parse_object(c.req.body, {"areas", "priority", "items", "repeat", "volume"});
  if (!body) return error_response(body.error());
  const json::object& o = body.value();
  Fields f(o);
  BroadcastRequest req;
  auto areas = read_areas(o);
  if (!areas) return error_response(areas.error());
  req.areas = std::move(areas.value());
  auto priority = f.optional_string("priority");
  if (!priority) return error_response(priority.error());
  if (priority.value()) {
    auto p = bulletins::parse_priority(*priority.value());
    if (!p)
      return error_response(invalid("invalid_field", "priority: normal, priority or emergency"));
    req.priority = *p;
  }
  const json::value* items = o.if_contains("items");
  if (items == nullptr || !items->is_array()) {
    return error_response(invalid("invalid_field", "items: must be an array"));
  }
  for (const auto& item : items->as_array()) {
    auto parsed = read_item(item);
    if (!parsed) return error_response(parsed.error());
    req.items.push_back(std::move(parsed.value()));
  }
  auto repeat = optional_small_int(f, "repeat");
  if (!repeat) return error_response(repeat.error());
  req.repeat = repeat.value().value_or(1);
  auto volume = optional_small_int(f, "volume");
  if (!volume) return error_response(volume.error());
  req.volume = volume.value();
  return result_or_error<BroadcastResult>(
      c.deps.devices->broadcast(c.who(), req, c.origin()), 201, [](const BroadcastResult& r) {
        json::array a;
        for (const auto& area : r.areas) a.emplace_back(json::string(area));
        return json::object{{"order", r.order}, {"areas", std::move(a)}, {"devices", r.devices}};
      });
}

HttpResponse stop_broadcast(Ctx& c, const std::string& order) {
  if (c.req.method != "POST") return method_not_allowed("POST");
  Status st = c.deps.devices->stop_order(c.who(), order, c.origin());
  if (!st) return error_response(st.error());
  return json_response(200, json::object{{"order", order}, {"stopped", true}});
}

// ---- play logs -------------------------------------------------------------------------------

HttpResponse list_plays(Ctx& c) {
  PlayQuery q;
  q.unit_code = query_text(c, "unit");
  q.device_id = query_text(c, "device");
  auto from = query_time(c, "from");
  if (!from) return error_response(from.error());
  auto to = query_time(c, "to");
  if (!to) return error_response(to.error());
  q.from = from.value();
  q.to = to.value();
  if (const std::string t = query_text(c, "type"); !t.empty()) {
    for (size_t start = 0; start <= t.size();) {
      const size_t comma = std::min(t.find(',', start), t.size());
      const std::string one = t.substr(start, comma - start);
      if (!protocol::parse_event_type(one)) {
        return error_response(invalid("invalid_query", "type: unknown event type '" + one + "'"));
      }
      q.types.push_back(one);
      start = comma + 1;
    }
  }
  if (Status paged = read_page(c, q.limit, q.offset); !paged) return error_response(paged.error());
  return result_or_error<std::vector<PlayLog>>(c.deps.devices->plays(c.who(), q), 200,
                                               [](const std::vector<PlayLog>& logs) {
                                                 json::array items;
                                                 for (const auto& l : logs)
                                                   items.push_back(play_json(l));
                                                 return json::object{{"items", std::move(items)}};
                                               });
}

HttpResponse airtime(Ctx& c) {
  std::string by = query_text(c, "by");
  if (by.empty()) by = "commune";
  auto from = query_time(c, "from");
  if (!from) return error_response(from.error());
  auto to = query_time(c, "to");
  if (!to) return error_response(to.error());
  auto rows = c.deps.devices->airtime(c.who(), query_text(c, "unit"), by, from.value(), to.value());
  if (!rows) {
    Error e = rows.error();
    if (e.code == "invalid_field") e.code = "invalid_query";
    return error_response(e);
  }
  json::array out;
  for (const AirtimeEntry& r : rows.value()) {
    out.push_back(
        json::object{{"key", r.key}, {"name", r.name}, {"seconds", r.seconds}, {"plays", r.plays}});
  }
  return json_response(200, json::object{{"rows", std::move(out)}});
}

// ---- device-facing ---------------------------------------------------------------------------

// "Basic base64(id:password)" → (id, password).
std::optional<std::pair<std::string, std::string>> basic_credentials(const HttpRequest& req) {
  auto header = req.header("authorization");
  if (!header || header->substr(0, 6) != "Basic ") return std::nullopt;
  auto decoded = protocol::base64_decode(header->substr(6));
  if (!decoded) return std::nullopt;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::pair{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

HttpResponse device_media(Ctx& c, const std::string& sha256) {
  if (c.deps.devices == nullptr) return error_response(devices_unavailable());
  auto credentials = basic_credentials(c.req);
  if (!credentials || !protocol::valid_device_id(credentials->first) ||
      !c.deps.devices->check_device_password(credentials->first, credentials->second)) {
    HttpResponse r = error_response({ErrorKind::kUnauthenticated, "device_unauthenticated",
                                     "device id and password required (HTTP Basic)"});
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"nguon-devices\"");
    return r;
  }
  return serve_media(c, sha256);
}

}  // namespace

std::optional<HttpResponse> device_routes(Ctx& c) {
  const auto& s = c.segs;
  const std::string& m = c.req.method;
  static const std::vector<std::string_view> kMine = {"devices", "device-groups", "broadcasts",
                                                      "plays"};
  if (std::find(kMine.begin(), kMine.end(), s[0]) == kMine.end()) return std::nullopt;
  if (c.deps.devices == nullptr) return error_response(devices_unavailable());
  if (s[0] == "devices") {
    if (s.size() == 1) {
      if (m == "GET") return list_devices(c);
      if (m == "POST") return create_device(c);
      return method_not_allowed("GET, POST");
    }
    if (s.size() == 2 && s[1] == "import") return import_devices(c);
    return device_by_id(c);
  }
  if (s[0] == "device-groups") {
    if (s.size() == 1) {
      if (m == "GET") {
        return result_or_error<std::vector<DeviceGroup>>(c.deps.devices->list_groups(c.who()), 200,
                                                         group_list_json);
      }
      if (m == "POST") return create_group(c);
      return method_not_allowed("GET, POST");
    }
    auto id = parse_id(s[1]);
    if (s.size() != 2 || !id) return error_response(not_found("no such device group"));
    return group_by_id(c, *id);
  }
  if (s[0] == "broadcasts") {
    if (s.size() == 1) return m == "POST" ? start_broadcast(c) : method_not_allowed("POST");
    if (s.size() == 3 && s[2] == "stop") return stop_broadcast(c, s[1]);
    return std::nullopt;
  }
  if (s.size() == 1) return m == "GET" ? list_plays(c) : method_not_allowed("GET");
  if (s.size() == 2 && s[1] == "airtime")
    return m == "GET" ? airtime(c) : method_not_allowed("GET");
  return std::nullopt;
}

std::optional<HttpResponse> device_facing_routes(Ctx& c) {
  if (c.segs.size() != 2 || c.segs[0] != "device-media") return std::nullopt;
  if (c.req.method != "GET" && c.req.method != "HEAD") return method_not_allowed("GET, HEAD");
  return device_media(c, c.segs[1]);
}

}  // namespace nguon::app::api
