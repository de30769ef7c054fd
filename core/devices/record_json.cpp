#include "core/devices/record_json.h"

#include <boost/json.hpp>
#include <optional>

#include "core/protocol.h"

namespace nguon::devices {
namespace json = boost::json;

namespace {

Error corrupt(std::string_view what) {
  return invalid("corrupt_record",
                 "stored " + std::string(what) + " is not valid JSON of its kind");
}

// Parses `text` as a JSON array; nullopt when it is anything else.
std::optional<json::array> parse_array(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) return std::nullopt;
  return std::move(v.as_array());
}

}  // namespace

std::string_view device_kind_name(DeviceKind kind) {
  return kind == DeviceKind::kBoard ? "board" : "cluster";
}

std::optional<DeviceKind> parse_device_kind(std::string_view name) {
  if (name == "cluster") return DeviceKind::kCluster;
  if (name == "board") return DeviceKind::kBoard;
  return std::nullopt;
}

std::string_view device_status_name(DeviceStatus status) {
  switch (status) {
    case DeviceStatus::kRegistered:
      return "registered";
    case DeviceStatus::kProvisioned:
      return "provisioned";
    case DeviceStatus::kDecommissioned:
      return "decommissioned";
  }
  return "registered";
}

std::optional<DeviceStatus> parse_device_status(std::string_view name) {
  for (DeviceStatus s :
       {DeviceStatus::kRegistered, DeviceStatus::kProvisioned, DeviceStatus::kDecommissioned}) {
    if (device_status_name(s) == name) return s;
  }
  return std::nullopt;
}

bool state_reports_playing(std::string_view state_json) {
  auto state = protocol::decode_state(state_json);
  return state && state->playing.has_value();
}

std::string_view programme_item_kind_name(ProgrammeItemKind kind) {
  switch (kind) {
    case ProgrammeItemKind::kBulletin:
      return "bulletin";
    case ProgrammeItemKind::kMedia:
      return "media";
    case ProgrammeItemKind::kStream:
      return "stream";
    case ProgrammeItemKind::kIntro:
      return "intro";
    case ProgrammeItemKind::kOutro:
      return "outro";
  }
  return "bulletin";
}

std::optional<ProgrammeItemKind> parse_programme_item_kind(std::string_view name) {
  for (ProgrammeItemKind k :
       {ProgrammeItemKind::kBulletin, ProgrammeItemKind::kMedia, ProgrammeItemKind::kStream,
        ProgrammeItemKind::kIntro, ProgrammeItemKind::kOutro}) {
    if (programme_item_kind_name(k) == name) return k;
  }
  return std::nullopt;
}

std::string encode_strings(const std::vector<std::string>& values) {
  json::array a;
  for (const std::string& v : values) a.emplace_back(json::string(v));
  return json::serialize(a);
}

Result<std::vector<std::string>> decode_strings(std::string_view text) {
  auto a = parse_array(text);
  if (!a) return corrupt("list of strings");
  std::vector<std::string> out;
  for (const json::value& v : *a) {
    if (!v.is_string()) return corrupt("list of strings");
    out.emplace_back(v.as_string());
  }
  return out;
}

std::string encode_ids(const std::vector<std::int64_t>& values) {
  json::array a;
  for (std::int64_t v : values) a.emplace_back(v);
  return json::serialize(a);
}

Result<std::vector<std::int64_t>> decode_ids(std::string_view text) {
  auto a = parse_array(text);
  if (!a) return corrupt("list of ids");
  std::vector<std::int64_t> out;
  for (const json::value& v : *a) {
    if (!v.is_int64()) return corrupt("list of ids");
    out.push_back(v.as_int64());
  }
  return out;
}

std::string encode_programme_items(const std::vector<ProgrammeItem>& items) {
  json::array a;
  for (const ProgrammeItem& i : items) {
    a.emplace_back(json::object{{"kind", programme_item_kind_name(i.kind)},
                                {"bulletin_id", i.bulletin_id},
                                {"sha256", i.sha256},
                                {"url", i.url},
                                {"duration_s", i.duration_s},
                                {"title", i.title}});
  }
  return json::serialize(a);
}

Result<std::vector<ProgrammeItem>> decode_programme_items(std::string_view text) {
  auto a = parse_array(text);
  if (!a) return corrupt("programme items");
  std::vector<ProgrammeItem> out;
  for (const json::value& v : *a) {
    const json::object* o = v.if_object();
    if (o == nullptr) return corrupt("programme items");
    const json::value* kind = o->if_contains("kind");
    const json::value* bulletin = o->if_contains("bulletin_id");
    const json::value* sha = o->if_contains("sha256");
    const json::value* url = o->if_contains("url");
    const json::value* duration = o->if_contains("duration_s");
    const json::value* title = o->if_contains("title");
    if (kind == nullptr || !kind->is_string() || bulletin == nullptr || !bulletin->is_int64() ||
        sha == nullptr || !sha->is_string() || url == nullptr || !url->is_string() ||
        duration == nullptr || !duration->is_int64() || title == nullptr || !title->is_string()) {
      return corrupt("programme items");
    }
    auto k = parse_programme_item_kind(kind->as_string());
    if (!k) return corrupt("programme items");
    out.push_back({*k, bulletin->as_int64(), std::string(sha->as_string()),
                   std::string(url->as_string()), duration->as_int64(),
                   std::string(title->as_string())});
  }
  return out;
}

Status decode_programme_lists(Programme& p, std::string_view target_units,
                              std::string_view target_groups, std::string_view exdates,
                              std::string_view items) {
  auto units = decode_strings(target_units);
  if (!units) return units.error();
  auto groups = decode_ids(target_groups);
  if (!groups) return groups.error();
  auto dates = decode_strings(exdates);
  if (!dates) return dates.error();
  auto list = decode_programme_items(items);
  if (!list) return list.error();
  p.target_units = std::move(units.value());
  p.target_groups = std::move(groups.value());
  p.exdates = std::move(dates.value());
  p.items = std::move(list.value());
  return {};
}

Error device_unique_violation(const Error& e) {
  if (e.kind != ErrorKind::kConflict) return e;
  if (e.message.find("serial") != std::string::npos) {
    return conflict("serial_exists", "a device with that serial is already registered");
  }
  return conflict("device_exists", "a device with that id already exists");
}

json::object device_registry_json(const Device& d) {
  auto coordinate = [](const std::optional<double>& v) -> json::value {
    if (!v) return nullptr;
    return *v;
  };
  return json::object{{"id", d.id},
                      {"kind", device_kind_name(d.kind)},
                      {"name", d.name},
                      {"serial", d.serial},
                      {"imei", d.imei},
                      {"vendor", d.vendor},
                      {"model", d.model},
                      {"firmware", d.firmware},
                      {"commune_code", d.commune_code},
                      {"village_code", d.village_code},
                      {"lat", coordinate(d.lat)},
                      {"lon", coordinate(d.lon)},
                      {"horns", d.horns},
                      {"watts", d.watts},
                      {"status", device_status_name(d.status)}};
}

}  // namespace nguon::devices
