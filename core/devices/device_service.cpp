#include "core/devices/device_service.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <map>
#include <set>

#include "core/audit.h"
#include "core/bulletins.h"
#include "core/devices/csv.h"
#include "core/devices/record_json.h"
#include "core/text.h"

namespace nguon {
namespace json = boost::json;

namespace {

// Vietnam's bounding box (mainland and islands), for coordinates typed by hand.
constexpr double kMinLat = 8.0, kMaxLat = 24.0, kMinLon = 102.0, kMaxLon = 110.0;
constexpr int kMaxHorns = 64;
constexpr int kMaxWatts = 10000;
constexpr size_t kPasswordLength = 32;
constexpr size_t kMaxImportRows = 20000;
constexpr size_t kMaxAreas = 50;
constexpr size_t kMaxItems = 50;
constexpr size_t kMaxGroupMembers = 1000;
// Retained settings must outlive any outage of the device; they are replaced, not expired.
constexpr UnixTime kSettingsLifetimeSeconds = UnixTime{366} * 24 * 3600;
// A manifest lives until the end of its last slot, and at least this long.
constexpr UnixTime kMinManifestLifetimeSeconds = UnixTime{24} * 3600;

Error unavailable(std::string message) {
  return {ErrorKind::kUnavailable, "unavailable", std::move(message)};
}
Error device_not_found() { return not_found("no such device"); }
Error group_not_found() { return not_found("no such device group"); }
Error order_not_found() { return not_found("no such order"); }

bool manages(const access::Principal& p, std::string_view path) {
  return access::has_role(p, Role::kStationOperator, path) ||
         access::has_role(p, Role::kAdmin, path);
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "g<digits>" → the group id.
std::optional<std::int64_t> group_area_id(std::string_view area) {
  if (area.size() < 2 || area.size() > 19 || area[0] != 'g' || !is_digits(area.substr(1))) {
    return std::nullopt;
  }
  return std::stoll(std::string(area.substr(1)));
}

std::string group_area(std::int64_t id) { return "g" + std::to_string(id); }

// Serial numbers are printed on labels: 1..64 printable ASCII characters, no outer spaces.
bool valid_serial(std::string_view s) {
  if (s.empty() || s.size() > 64 || s.front() == ' ' || s.back() == ' ') return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

bool is_commune_code(std::string_view s) { return s.size() == 5 && is_digits(s); }

// "<commune>-NNN".
bool is_village_of(std::string_view village, std::string_view commune) {
  return village.size() == commune.size() + 4 && village.substr(0, commune.size()) == commune &&
         village[commune.size()] == '-' && is_digits(village.substr(commune.size() + 1));
}

void check_text(std::vector<FieldError>& errors, std::string_view field, std::string& value,
                size_t min_chars, size_t max_chars) {
  auto c = text::clean_line(field, value, min_chars, max_chars);
  if (!c) {
    errors.push_back({std::string(field), c.error().code, c.error().message});
    return;
  }
  value = std::move(c.value());
}

Error first_error(const std::vector<FieldError>& errors) {
  const FieldError& e = errors.front();
  return invalid(e.code, e.message.rfind(e.field, 0) == 0 ? e.message : e.field + ": " + e.message);
}

// The fields of a device as a draft (for updates: patch, then validate the whole).
DeviceDraft draft_of(const Device& d) {
  return {d.kind,         d.name,         d.serial, d.imei, d.vendor, d.model, d.firmware,
          d.commune_code, d.village_code, d.lat,    d.lon,  d.horns,  d.watts};
}

void apply_draft(Device& d, const DeviceDraft& draft) {
  d.kind = draft.kind;
  d.name = draft.name;
  d.serial = draft.serial;
  d.imei = draft.imei;
  d.vendor = draft.vendor;
  d.model = draft.model;
  d.firmware = draft.firmware;
  d.commune_code = draft.commune_code;
  d.village_code = draft.village_code;
  d.lat = draft.lat;
  d.lon = draft.lon;
  d.horns = draft.horns;
  d.watts = draft.watts;
}

// Where a device may be placed: the commune must exist, be visible to and managed by the
// caller, and the village (if any) must be one of its villages. A problem is reported, not an
// error, so register answers 404/403/422 and the CSV import a row error.
enum class LocationProblem { kNone, kUnknownCommune, kNotManaged, kUnknownVillage };

struct LocationResult {
  LocationProblem problem = LocationProblem::kNone;
  std::string unit_path;
  std::string commune_name;
};

Result<LocationResult> locate(Tx& tx, const access::Principal& p, const std::string& commune_code,
                              const std::string& village_code) {
  LocationResult out;
  auto commune = tx.find_unit(commune_code);
  if (!commune) return commune.error();
  if (!commune.value() || commune.value()->level != UnitLevel::kCommune ||
      !access::can_read(p, commune.value()->path)) {
    out.problem = LocationProblem::kUnknownCommune;
    return out;
  }
  out.commune_name = commune.value()->name;
  if (!manages(p, commune.value()->path)) {
    out.problem = LocationProblem::kNotManaged;
    return out;
  }
  out.unit_path = commune.value()->path;
  if (village_code.empty()) return out;
  auto village = tx.find_unit(village_code);
  if (!village) return village.error();
  if (!village.value() || village.value()->parent_code != commune_code) {
    out.problem = LocationProblem::kUnknownVillage;
    return out;
  }
  out.unit_path = village.value()->path;
  return out;
}

// The error an interactive call (register, update) answers for a location problem: a commune
// outside the caller's scope does not exist for them.
Error location_error(const LocationResult& r, const std::string& commune_code,
                     const std::string& village_code) {
  switch (r.problem) {
    case LocationProblem::kUnknownCommune:
      return not_found("no commune " + commune_code);
    case LocationProblem::kNotManaged:
      return forbidden("you are not a station operator of " + r.commune_name);
    case LocationProblem::kUnknownVillage:
      return invalid("unknown_village",
                     "village_code: " + village_code + " is not a village of " + commune_code);
    case LocationProblem::kNone:
      break;
  }
  return internal("no location problem");
}

std::string items_summary(const std::vector<protocol::PlayItem>& items) {
  json::array a;
  for (const auto& i : items) {
    a.push_back(i.kind == protocol::ItemKind::kMedia ? json::value(json::string(i.sha256))
                                                     : json::value(json::string(i.url)));
  }
  return json::serialize(a);
}

json::array string_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(json::string(s));
  return a;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

template <typename T, typename Less>
std::vector<T> page(std::vector<T> rows, Less less, size_t offset, size_t limit) {
  std::sort(rows.begin(), rows.end(), less);
  if (offset >= rows.size()) return {};
  const size_t end = std::min(rows.size(), offset + std::min(limit, rows.size() - offset));
  return std::vector<T>(std::make_move_iterator(rows.begin() + static_cast<std::ptrdiff_t>(offset)),
                        std::make_move_iterator(rows.begin() + static_cast<std::ptrdiff_t>(end)));
}

}  // namespace

// ---- validation ------------------------------------------------------------------------------

bool valid_imei(std::string_view imei) {
  if (imei.size() != 15 || !is_digits(imei)) return false;
  int sum = 0;
  for (size_t i = 0; i < 14; ++i) {
    int digit = imei[i] - '0';
    if (i % 2 == 1) {  // every second digit from the left, doubled
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - sum % 10) % 10 == imei[14] - '0';
}

std::vector<FieldError> validate_device_fields(const DeviceDraft& in) {
  std::vector<FieldError> errors;
  DeviceDraft d = in;
  if (!valid_serial(d.serial)) {
    errors.push_back({"serial", "invalid_field", "serial: 1 to 64 printable ASCII characters"});
  }
  if (!d.imei.empty() && !valid_imei(d.imei)) {
    errors.push_back(
        {"imei", "invalid_imei", "imei: 15 digits ending in a valid Luhn check digit"});
  }
  check_text(errors, "name", d.name, 0, 200);
  check_text(errors, "vendor", d.vendor, 0, 100);
  check_text(errors, "model", d.model, 0, 100);
  check_text(errors, "firmware", d.firmware, 0, 100);
  if (!is_commune_code(d.commune_code)) {
    errors.push_back({"commune_code", "invalid_field", "commune_code: a 5-digit commune code"});
  } else if (!d.village_code.empty() && !is_village_of(d.village_code, d.commune_code)) {
    errors.push_back({"village_code", "invalid_field",
                      "village_code: a village of the commune, " + d.commune_code + "-NNN"});
  }
  if (d.lat.has_value() != d.lon.has_value()) {
    errors.push_back({d.lat ? "lon" : "lat", "invalid_field", "lat and lon: both or neither"});
  }
  if (d.lat && !(std::isfinite(*d.lat) && *d.lat >= kMinLat && *d.lat <= kMaxLat)) {
    errors.push_back({"lat", "out_of_range", "lat: inside Vietnam, 8 to 24 degrees north"});
  }
  if (d.lon && !(std::isfinite(*d.lon) && *d.lon >= kMinLon && *d.lon <= kMaxLon)) {
    errors.push_back({"lon", "out_of_range", "lon: inside Vietnam, 102 to 110 degrees east"});
  }
  if (d.horns < 0 || d.horns > kMaxHorns) {
    errors.push_back({"horns", "out_of_range", "horns: 0 to 64"});
  }
  if (d.watts < 0 || d.watts > kMaxWatts) {
    errors.push_back({"watts", "out_of_range", "watts: 0 to 10000"});
  }
  return errors;
}

// Cleans the free-text fields of a validated draft (NFC, trimmed); an empty name becomes the
// serial, so every device has something to show.
DeviceDraft cleaned(DeviceDraft d) {
  std::vector<FieldError> ignored;
  check_text(ignored, "name", d.name, 0, 200);
  check_text(ignored, "vendor", d.vendor, 0, 100);
  check_text(ignored, "model", d.model, 0, 100);
  check_text(ignored, "firmware", d.firmware, 0, 100);
  if (d.name.empty()) d.name = d.serial;
  return d;
}

std::string device_snapshot(const Device& d) {
  json::object o = devices::device_registry_json(d);
  o["credential_version"] = d.credential_version;
  return json::serialize(o);
}

std::string group_snapshot(const DeviceGroup& g) {
  return json::serialize(json::object{{"id", g.id},
                                      {"name", g.name},
                                      {"unit_code", g.unit_code},
                                      {"device_ids", string_array(g.device_ids)}});
}

// ---- construction and shared steps -----------------------------------------------------------

DeviceService::DeviceService(Store& store, Clock& clock, Crypto& crypto, DeviceBus& bus,
                             BrokerAccounts& broker, protocol::SigningKey key,
                             ProvisioningTarget target, MediaStore* media)
    : store_(store),
      clock_(clock),
      crypto_(crypto),
      bus_(bus),
      broker_(broker),
      key_(std::move(key)),
      target_(std::move(target)),
      media_(media) {}

Result<Device> DeviceService::load_visible(Tx& tx, const access::Principal& p,
                                           const std::string& device_id) {
  auto found = tx.find_device(device_id);
  if (!found) return found.error();
  if (!found.value() || !access::can_read(p, found.value()->unit_path)) return device_not_found();
  return std::move(*found.value());
}

Result<Device> DeviceService::load_managed(Tx& tx, const access::Principal& p,
                                           const std::string& device_id) {
  auto d = load_visible(tx, p, device_id);
  if (!d) return d.error();
  if (!manages(p, d->unit_path)) return forbidden("you are not a station operator of this device");
  return d;
}

Result<std::vector<std::string>> DeviceService::scope_paths(Tx& tx, const access::Principal& p,
                                                            const std::string& unit_code) {
  if (unit_code.empty()) return access::read_roots(p);
  auto unit = tx.find_unit(unit_code);
  if (!unit) return unit.error();
  if (!unit.value() || !access::can_read(p, unit.value()->path)) {
    return not_found("no unit " + unit_code);
  }
  return std::vector<std::string>{unit.value()->path};
}

Result<std::vector<std::string>> DeviceService::areas_of(Tx& tx, const Device& d) {
  auto commune = tx.find_unit(d.commune_code);
  if (!commune) return commune.error();
  if (!commune.value()) return internal("device " + d.id + " has no commune");
  std::vector<std::string> areas = {"VN", commune.value()->parent_code, d.commune_code};
  if (!d.village_code.empty()) areas.push_back(d.village_code);
  auto groups = tx.groups_of(d.id);
  if (!groups) return groups.error();
  for (std::int64_t g : groups.value()) areas.push_back(group_area(g));
  return areas;
}

Result<DeviceService::Outgoing> DeviceService::sign(Tx& tx, std::string topic,
                                                    protocol::Payload data, UnixTime exp,
                                                    bool retain) {
  auto seq = tx.next_order_seq();
  if (!seq) return seq.error();
  protocol::Message m;
  m.seq = seq.value();
  m.iat = clock_.now();
  m.exp = exp;
  m.to = std::string(protocol::address_of(topic));
  m.data = std::move(data);
  std::string payload = protocol::seal(crypto_, key_, m);
  return Outgoing{std::move(topic), std::move(payload), retain};
}

Status DeviceService::send(const std::vector<Outgoing>& messages) {
  std::string failed;
  for (const Outgoing& m : messages) {
    Status st = bus_.publish(m.topic, m.payload, m.retain);
    if (!st) failed += (failed.empty() ? "" : ", ") + m.topic + " (" + st.error().message + ")";
  }
  if (failed.empty()) return {};
  return unavailable("recorded, but not delivered to the broker: " + failed);
}

Status DeviceService::publish_retained(const std::string& device_id, protocol::DeviceLeaf leaf,
                                       protocol::Payload data, UnixTime exp) {
  Outgoing out;
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto d = tx.find_device(device_id);
    if (!d) return d.error();
    if (!d.value() || d.value()->status == DeviceStatus::kDecommissioned) {
      return device_not_found();
    }
    auto signed_message = sign(tx, protocol::device_topic(device_id, leaf), data, exp, true);
    if (!signed_message) return signed_message.error();
    out = std::move(signed_message.value());
    return {};
  }));
  return send({out});
}

// ---- registry --------------------------------------------------------------------------------

Result<Device> DeviceService::register_device(const access::Principal& p, const DeviceDraft& draft,
                                              const RequestOrigin& origin) {
  auto errors = validate_device_fields(draft);
  if (!errors.empty()) return first_error(errors);
  Result<Device> out = internal("unreachable");
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto where = locate(tx, p, draft.commune_code, draft.village_code);
    if (!where) return where.error();
    if (where->problem != LocationProblem::kNone) {
      return location_error(where.value(), draft.commune_code, draft.village_code);
    }
    Device d;
    apply_draft(d, cleaned(draft));
    d.id = "d" + crypto_.random_hex(8);
    d.unit_path = where->unit_path;
    d.status = DeviceStatus::kRegistered;
    d.created_at = d.updated_at = clock_.now();
    NGUON_TRY(tx.insert_device(d));
    NGUON_TRY(audit::append(tx, crypto_,
                            {0, d.created_at, origin.actor, "device.register", "device:" + d.id, "",
                             device_snapshot(d), origin.ip}));
    out = std::move(d);
    return {};
  }));
  return out;
}

Result<Device> DeviceService::update_device(const access::Principal& p,
                                            const std::string& device_id, const DevicePatch& patch,
                                            const RequestOrigin& origin) {
  Result<Device> out = internal("unreachable");
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto d = load_managed(tx, p, device_id);
    if (!d) return d.error();
    if (d->status == DeviceStatus::kDecommissioned) {
      return conflict("invalid_transition", "a decommissioned device cannot be changed");
    }
    const Device before = d.value();
    DeviceDraft draft = draft_of(before);
    if (patch.kind) draft.kind = *patch.kind;
    for (auto [value, slot] :
         {std::pair{&patch.name, &draft.name}, std::pair{&patch.serial, &draft.serial},
          std::pair{&patch.imei, &draft.imei}, std::pair{&patch.vendor, &draft.vendor},
          std::pair{&patch.model, &draft.model}, std::pair{&patch.firmware, &draft.firmware},
          std::pair{&patch.commune_code, &draft.commune_code},
          std::pair{&patch.village_code, &draft.village_code}}) {
      if (value->has_value()) *slot = **value;
    }
    // Moving to another commune without naming a village leaves the old village behind.
    if (patch.commune_code && !patch.village_code && *patch.commune_code != before.commune_code) {
      draft.village_code.clear();
    }
    if (patch.lat) draft.lat = *patch.lat;
    if (patch.lon) draft.lon = *patch.lon;
    if (patch.horns) draft.horns = *patch.horns;
    if (patch.watts) draft.watts = *patch.watts;
    auto errors = validate_device_fields(draft);
    if (!errors.empty()) return first_error(errors);
    apply_draft(d.value(), cleaned(draft));
    if (d->commune_code != before.commune_code || d->village_code != before.village_code) {
      auto where = locate(tx, p, d->commune_code, d->village_code);
      if (!where) return where.error();
      if (where->problem != LocationProblem::kNone) {
        return location_error(where.value(), d->commune_code, d->village_code);
      }
      d->unit_path = where->unit_path;
    }
    d->updated_at = clock_.now();
    NGUON_TRY(tx.update_device(d.value()));
    NGUON_TRY(audit::append(tx, crypto_,
                            {0, d->updated_at, origin.actor, "device.update", "device:" + d->id,
                             device_snapshot(before), device_snapshot(d.value()), origin.ip}));
    out = std::move(d.value());
    return {};
  }));
  return out;
}

Result<Device> DeviceService::get(const access::Principal& p, const std::string& device_id) {
  Result<Device> out = internal("unreachable");
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto d = load_visible(tx, p, device_id);
    if (!d) return d.error();
    out = std::move(d.value());
    return {};
  }));
  return out;
}

Result<DeviceListing> DeviceService::list(const access::Principal& p, const DeviceListQuery& q) {
  DeviceListing out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto paths = scope_paths(tx, p, q.unit_code);
    if (!paths) return paths.error();
    std::vector<Device> rows;
    for (const std::string& path : paths.value()) {
      DeviceQuery dq;
      dq.within_path = path;
      dq.status = q.status;
      dq.online = q.online;
      dq.text = q.text;
      dq.group_id = q.group_id;
      dq.limit = q.offset + q.limit;  // every root's first page, merged below
      auto found = tx.list_devices(dq);
      if (!found) return found.error();
      rows.insert(rows.end(), found->begin(), found->end());
      auto counts = tx.count_devices(path);
      if (!counts) return counts.error();
      out.counts.total += counts->total;
      out.counts.online += counts->online;
      out.counts.playing += counts->playing;
      out.counts.decommissioned += counts->decommissioned;
    }
    out.items = page(
        std::move(rows),
        [](const Device& a, const Device& b) {
          return std::tie(a.name, a.id) < std::tie(b.name, b.id);
        },
        q.offset, q.limit);
    return {};
  }));
  return out;
}

Result<ProvisionResult> DeviceService::provision(const access::Principal& p,
                                                 const std::string& device_id,
                                                 const RequestOrigin& origin) {
  Result<ProvisionResult> out = internal("unreachable");
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto d = load_managed(tx, p, device_id);
    if (!d) return d.error();
    if (d->status == DeviceStatus::kDecommissioned) {
      return conflict("invalid_transition", "a decommissioned device cannot be provisioned");
    }
    const Device before = d.value();
    const std::string password = crypto_.random_password(kPasswordLength);
    d->secret_hash = crypto_.sha256_hex(password);
    d->credential_version += 1;
    d->status = DeviceStatus::kProvisioned;
    d->updated_at = clock_.now();
    NGUON_TRY(tx.update_device(d.value()));
    auto areas = areas_of(tx, d.value());
    if (!areas) return areas.error();
    NGUON_TRY(audit::append(tx, crypto_,
                            {0, d->updated_at, origin.actor, "device.provision", "device:" + d->id,
                             device_snapshot(before), device_snapshot(d.value()), origin.ip}));
    // Last: when the broker refuses, the transaction rolls back and the old credentials stay.
    NGUON_TRY(broker_.upsert_device(d->id, password, areas.value()));
    protocol::Bundle bundle;
    bundle.device = d->id;
    bundle.broker_host = target_.broker_host;
    bundle.broker_port = target_.broker_port;
    bundle.broker_tls = target_.broker_tls;
    bundle.password = password;
    bundle.media_base_url = target_.media_base_url;
    bundle.areas = std::move(areas.value());
    bundle.keys = {pinned_key()};
    out = ProvisionResult{std::move(d.value()), std::move(bundle)};
    return {};
  }));
  if (on_provisioned_ && out) on_provisioned_(out->device);
  return out;
}

Result<Device> DeviceService::decommission(const access::Principal& p, const std::string& device_id,
                                           const RequestOrigin& origin) {
  Result<Device> out = internal("unreachable");
  bool changed = false;
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto d = load_managed(tx, p, device_id);
    if (!d) return d.error();
    if (d->status == DeviceStatus::kDecommissioned) {  // already: nothing to do
      out = std::move(d.value());
      return {};
    }
    const Device before = d.value();
    d->status = DeviceStatus::kDecommissioned;
    d->secret_hash.clear();
    d->updated_at = clock_.now();
    NGUON_TRY(tx.update_device(d.value()));
    NGUON_TRY(
        audit::append(tx, crypto_,
                      {0, d->updated_at, origin.actor, "device.decommission", "device:" + d->id,
                       device_snapshot(before), device_snapshot(d.value()), origin.ip}));
    NGUON_TRY(broker_.remove_device(d->id));
    changed = true;
    out = std::move(d.value());
    return {};
  }));
  if (changed) {
    // Best effort: an empty retained payload deletes the retained manifest and settings, so a
    // reused topic never delivers them; the device can no longer connect anyway.
    for (auto leaf : {protocol::DeviceLeaf::kManifest, protocol::DeviceLeaf::kSettings}) {
      (void)bus_.publish(protocol::device_topic(device_id, leaf), "", true);
    }
  }
  return out;
}

// ---- CSV import ------------------------------------------------------------------------------

namespace {

const std::vector<std::string_view>& import_columns() {
  static const std::vector<std::string_view> kColumns = {
      "serial",       "imei",         "kind", "name", "vendor", "model", "firmware",
      "commune_code", "village_code", "lat",  "lon",  "horns",  "watts"};
  return kColumns;
}

// Column name → index in the file; errors for a missing, unknown or repeated column.
Result<std::map<std::string, size_t>> read_header(const csv::Record& header) {
  std::map<std::string, size_t> at;
  for (size_t i = 0; i < header.size(); ++i) {
    std::string name = header[i];
    while (!name.empty() && name.back() == ' ') name.pop_back();
    while (!name.empty() && name.front() == ' ') name.erase(0, 1);
    const auto& known = import_columns();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return invalid("invalid_header", "unknown column '" + name + "'");
    }
    if (!at.emplace(name, i).second)
      return invalid("invalid_header", "column '" + name + "' twice");
  }
  for (std::string_view c : import_columns()) {
    if (at.count(std::string(c)) == 0) {
      return invalid("invalid_header", "missing column '" + std::string(c) + "'");
    }
  }
  return at;
}

std::optional<int> parse_int(std::string_view s) {
  if (s.empty() || s.size() > 9 || !is_digits(s)) return std::nullopt;
  return std::stoi(std::string(s));
}

std::optional<double> parse_coordinate(const std::string& s) {
  if (s.empty() || s.size() > 32) return std::nullopt;
  const bool plain = std::all_of(
      s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.' || c == '-'; });
  if (!plain) return std::nullopt;
  try {
    size_t used = 0;
    const double v = std::stod(s, &used);
    if (used != s.size()) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

// One CSV record as a draft; errors for fields that do not even parse.
DeviceDraft read_row(const csv::Record& r, const std::map<std::string, size_t>& at,
                     std::vector<FieldError>& errors) {
  auto cell = [&](const char* name) -> std::string {
    const size_t i = at.at(name);
    return i < r.size() ? r[i] : std::string();
  };
  DeviceDraft d;
  const std::string kind = cell("kind");
  if (kind.empty() || kind == "cluster") {
    d.kind = DeviceKind::kCluster;
  } else if (kind == "board") {
    d.kind = DeviceKind::kBoard;
  } else {
    errors.push_back({"kind", "invalid_field", "kind: cluster or board"});
  }
  d.serial = cell("serial");
  d.imei = cell("imei");
  d.name = cell("name");
  d.vendor = cell("vendor");
  d.model = cell("model");
  d.firmware = cell("firmware");
  d.commune_code = cell("commune_code");
  d.village_code = cell("village_code");
  for (auto [name, slot] : {std::pair{"lat", &d.lat}, std::pair{"lon", &d.lon}}) {
    const std::string v = cell(name);
    if (v.empty()) continue;
    *slot = parse_coordinate(v);
    if (!*slot) errors.push_back({name, "invalid_field", std::string(name) + ": a decimal number"});
  }
  for (auto [name, slot] : {std::pair{"horns", &d.horns}, std::pair{"watts", &d.watts}}) {
    const std::string v = cell(name);
    if (v.empty()) continue;
    auto n = parse_int(v);
    if (!n) {
      errors.push_back({name, "invalid_field", std::string(name) + ": a whole number"});
    } else {
      *slot = *n;
    }
  }
  return d;
}

}  // namespace

Result<ImportReport> DeviceService::import_csv(const access::Principal& p, std::string_view text,
                                               const RequestOrigin& origin) {
  if (!text::is_valid_utf8(text)) return invalid("invalid_utf8", "the file is not valid UTF-8");
  auto records = csv::parse(text, kMaxImportRows + 1);
  if (!records) return records.error();
  if (records->empty()) return invalid("invalid_header", "the file is empty");
  auto header = read_header(records->front());
  if (!header) return header.error();

  ImportReport report;
  std::vector<DeviceDraft> drafts;
  std::set<std::string> serials;
  for (size_t i = 1; i < records->size(); ++i) {
    std::vector<FieldError> errors;
    DeviceDraft d = read_row((*records)[i], header.value(), errors);
    if ((*records)[i].size() != records->front().size()) {
      errors.push_back({"", "invalid_row", "the row does not have one cell per column"});
    }
    for (FieldError& e : validate_device_fields(d)) errors.push_back(std::move(e));
    if (!d.serial.empty() && !serials.insert(d.serial).second) {
      errors.push_back({"serial", "duplicate_serial", "serial: repeated in this file"});
    }
    for (FieldError& e : errors) {
      report.errors.push_back({i, std::move(e.field), std::move(e.code), std::move(e.message)});
    }
    drafts.push_back(cleaned(std::move(d)));
  }
  if (!report.errors.empty()) return report;

  // The location and uniqueness checks need the database: run them in the transaction that
  // imports, collect every row's error, and roll everything back if there is one.
  Error rejected = invalid("import_rejected", "some rows were rejected; nothing was imported");
  Status written = store_.write([&](Tx& tx) -> Status {
    const UnixTime now = clock_.now();
    for (size_t i = 0; i < drafts.size(); ++i) {
      const DeviceDraft& draft = drafts[i];
      auto where = locate(tx, p, draft.commune_code, draft.village_code);
      if (!where) return where.error();
      if (where->problem == LocationProblem::kUnknownCommune ||
          where->problem == LocationProblem::kNotManaged) {
        report.errors.push_back(
            {i + 1, "commune_code", "unknown_commune",
             "commune_code: no commune " + draft.commune_code + " that you manage"});
        continue;
      }
      if (where->problem == LocationProblem::kUnknownVillage) {
        report.errors.push_back({i + 1, "village_code", "unknown_village",
                                 "village_code: no village " + draft.village_code});
        continue;
      }
      Device d;
      apply_draft(d, draft);
      d.id = "d" + crypto_.random_hex(8);
      d.unit_path = where->unit_path;
      d.created_at = d.updated_at = now;
      Status inserted = tx.insert_device(d);
      if (!inserted) {
        if (inserted.error().code != "serial_exists") return inserted.error();
        report.errors.push_back({i + 1, "serial", "serial_exists", "serial: already registered"});
        continue;
      }
      NGUON_TRY(audit::append(tx, crypto_,
                              {0, now, origin.actor, "device.register", "device:" + d.id, "",
                               device_snapshot(d), origin.ip}));
      ++report.created;
    }
    if (!report.errors.empty()) return rejected;
    return {};
  });
  if (!written) {
    if (written.error().code != rejected.code) return written.error();
    report.created = 0;
  }
  return report;
}

// ---- commands --------------------------------------------------------------------------------

Status DeviceService::command(const access::Principal& p, const std::string& device_id,
                              const DeviceCommand& cmd, const RequestOrigin& origin) {
  if (cmd.kind == DeviceCommand::Kind::kVolume && (cmd.volume < 0 || cmd.volume > 100)) {
    return invalid("invalid_field", "volume: 0 to 100");
  }
  std::vector<Outgoing> out;
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto d = load_managed(tx, p, device_id);
    if (!d) return d.error();
    if (d->status == DeviceStatus::kDecommissioned) {
      return conflict("invalid_transition", "a decommissioned device takes no commands");
    }
    const UnixTime now = clock_.now();
    json::object what;
    Result<Outgoing> message = internal("unreachable");
    if (cmd.kind == DeviceCommand::Kind::kReboot) {
      what = {{"action", "reboot"}};
      message = sign(tx, protocol::device_topic(d->id, protocol::DeviceLeaf::kCmd),
                     protocol::RebootOrder{}, now + protocol::kOrderLifetimeSeconds, false);
    } else {
      // The value not being changed stays as the device last reported it.
      protocol::Settings settings;
      if (auto state = protocol::decode_state(d->state_json)) {
        settings.volume = state->volume.value_or(settings.volume);
        settings.power = state->power.value_or(settings.power);
      }
      if (cmd.kind == DeviceCommand::Kind::kVolume) {
        settings.volume = cmd.volume;
        what = {{"action", "volume"}, {"volume", cmd.volume}};
      } else {
        settings.power = cmd.on;
        what = {{"action", "power"}, {"on", cmd.on}};
      }
      message = sign(tx, protocol::device_topic(d->id, protocol::DeviceLeaf::kSettings), settings,
                     now + kSettingsLifetimeSeconds, true);
    }
    if (!message) return message.error();
    out.push_back(std::move(message.value()));
    return audit::append(tx, crypto_,
                         {0, now, origin.actor, "device.command", "device:" + d->id, "",
                          json::serialize(what), origin.ip});
  }));
  return send(out);
}

Status DeviceService::publish_manifest(const std::string& device_id,
                                       const protocol::Manifest& manifest) {
  UnixTime exp = clock_.now() + kMinManifestLifetimeSeconds;
  for (const protocol::Slot& s : manifest.slots) exp = std::max(exp, s.end);
  return publish_retained(device_id, protocol::DeviceLeaf::kManifest, manifest, exp);
}

Status DeviceService::publish_settings(const std::string& device_id,
                                       const protocol::Settings& settings) {
  if (settings.volume < 0 || settings.volume > 100) {
    return invalid("invalid_field", "volume: 0 to 100");
  }
  return publish_retained(device_id, protocol::DeviceLeaf::kSettings, settings,
                          clock_.now() + kSettingsLifetimeSeconds);
}

// ---- groups ----------------------------------------------------------------------------------

namespace {

// Every member must be a device (not decommissioned) under the group's unit; duplicates are
// dropped, order kept.
Result<std::vector<std::string>> check_members(Tx& tx, const access::Principal& p, const Unit& unit,
                                               const std::vector<std::string>& ids) {
  if (ids.size() > kMaxGroupMembers) {
    return invalid("invalid_field", "device_ids: at most " + std::to_string(kMaxGroupMembers));
  }
  std::vector<std::string> out;
  for (const std::string& id : ids) {
    if (std::find(out.begin(), out.end(), id) != out.end()) continue;
    auto d = tx.find_device(id);
    if (!d) return d.error();
    if (!d.value() || !access::can_read(p, d.value()->unit_path) ||
        d.value()->unit_path.rfind(unit.path, 0) != 0 ||
        d.value()->status == DeviceStatus::kDecommissioned) {
      return invalid("invalid_field", "device_ids: " + id + " is not a device of " + unit.name);
    }
    out.push_back(id);
  }
  return out;
}

Result<std::string> clean_group_name(const std::string& name) {
  return text::clean_line("name", name, 1, 100);
}

}  // namespace

Result<DeviceGroup> DeviceService::create_group(const access::Principal& p, const GroupDraft& draft,
                                                const RequestOrigin& origin) {
  auto name = clean_group_name(draft.name);
  if (!name) return name.error();
  Result<DeviceGroup> out = internal("unreachable");
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto unit = tx.find_unit(draft.unit_code);
    if (!unit) return unit.error();
    if (!unit.value() || !access::can_read(p, unit.value()->path)) {
      return not_found("no unit " + draft.unit_code);
    }
    if (!manages(p, unit.value()->path)) {
      return forbidden("you are not a station operator of " + unit.value()->name);
    }
    auto members = check_members(tx, p, *unit.value(), draft.device_ids);
    if (!members) return members.error();
    DeviceGroup g{0, unit.value()->code, unit.value()->path, name.value(),
                  std::move(members.value())};
    auto id = tx.insert_group(g);
    if (!id) return id.error();
    g.id = id.value();
    NGUON_TRY(
        audit::append(tx, crypto_,
                      {0, clock_.now(), origin.actor, "device_group.create",
                       "device_group:" + std::to_string(g.id), "", group_snapshot(g), origin.ip}));
    out = std::move(g);
    return {};
  }));
  return out;
}

Result<DeviceGroup> DeviceService::update_group(const access::Principal& p, std::int64_t group_id,
                                                const GroupPatch& patch,
                                                const RequestOrigin& origin) {
  Result<DeviceGroup> out = internal("unreachable");
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto found = tx.find_group(group_id);
    if (!found) return found.error();
    if (!found.value() || !access::can_read(p, found.value()->unit_path)) {
      return group_not_found();
    }
    DeviceGroup g = std::move(*found.value());
    if (!manages(p, g.unit_path)) return forbidden("you are not a station operator of this group");
    const std::string before = group_snapshot(g);
    if (patch.name) {
      auto name = clean_group_name(*patch.name);
      if (!name) return name.error();
      g.name = std::move(name.value());
    }
    if (patch.device_ids) {
      auto unit = tx.find_unit(g.unit_code);
      if (!unit) return unit.error();
      if (!unit.value()) return internal("group " + std::to_string(g.id) + " has no unit");
      auto members = check_members(tx, p, *unit.value(), *patch.device_ids);
      if (!members) return members.error();
      g.device_ids = std::move(members.value());
    }
    NGUON_TRY(tx.update_group(g));
    NGUON_TRY(audit::append(
        tx, crypto_,
        {0, clock_.now(), origin.actor, "device_group.update",
         "device_group:" + std::to_string(g.id), before, group_snapshot(g), origin.ip}));
    out = std::move(g);
    return {};
  }));
  return out;
}

Status DeviceService::delete_group(const access::Principal& p, std::int64_t group_id,
                                   const RequestOrigin& origin) {
  return store_.write([&](Tx& tx) -> Status {
    auto found = tx.find_group(group_id);
    if (!found) return found.error();
    if (!found.value() || !access::can_read(p, found.value()->unit_path)) {
      return group_not_found();
    }
    if (!manages(p, found.value()->unit_path)) {
      return forbidden("you are not a station operator of this group");
    }
    NGUON_TRY(tx.delete_group(group_id));
    return audit::append(tx, crypto_,
                         {0, clock_.now(), origin.actor, "device_group.delete",
                          "device_group:" + std::to_string(group_id),
                          group_snapshot(*found.value()), "", origin.ip});
  });
}

Result<DeviceGroup> DeviceService::get_group(const access::Principal& p, std::int64_t group_id) {
  Result<DeviceGroup> out = internal("unreachable");
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto found = tx.find_group(group_id);
    if (!found) return found.error();
    if (!found.value() || !access::can_read(p, found.value()->unit_path)) {
      return group_not_found();
    }
    out = std::move(*found.value());
    return {};
  }));
  return out;
}

Result<std::vector<DeviceGroup>> DeviceService::list_groups(const access::Principal& p) {
  std::vector<DeviceGroup> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    for (const std::string& path : access::read_roots(p)) {
      auto groups = tx.list_groups(path);
      if (!groups) return groups.error();
      out.insert(out.end(), groups->begin(), groups->end());
    }
    return {};
  }));
  std::sort(out.begin(), out.end(), [](const DeviceGroup& a, const DeviceGroup& b) {
    return std::tie(a.name, a.id) < std::tie(b.name, b.id);
  });
  return out;
}

// ---- orders ----------------------------------------------------------------------------------

namespace {

// The areas of an order resolved against the caller's scope.
struct ResolvedAreas {
  std::vector<std::string> unit_paths;
  std::vector<std::int64_t> group_ids;
  std::string owner_unit;  // the first area's unit
};

// Every area must be a unit or group the caller manages; one outside their scope is
// not_found, as if it did not exist.
Result<ResolvedAreas> resolve_areas(Tx& tx, const access::Principal& p,
                                    const std::vector<std::string>& areas) {
  ResolvedAreas out;
  for (const std::string& area : areas) {
    std::string path;
    std::string unit_code;
    if (auto gid = group_area_id(area)) {
      auto g = tx.find_group(*gid);
      if (!g) return g.error();
      if (!g.value() || !access::can_read(p, g.value()->unit_path)) {
        return not_found("no area " + area);
      }
      path = g.value()->unit_path;
      unit_code = g.value()->unit_code;
      out.group_ids.push_back(*gid);
    } else {
      auto u = tx.find_unit(area);
      if (!u) return u.error();
      if (!u.value() || !access::can_read(p, u.value()->path)) {
        return not_found("no area " + area);
      }
      path = u.value()->path;
      unit_code = u.value()->code;
      out.unit_paths.push_back(path);
    }
    if (!manages(p, path)) return forbidden("you are not a station operator of area " + area);
    if (out.owner_unit.empty()) out.owner_unit = unit_code;
  }
  return out;
}

Status check_request(const BroadcastRequest& r) {
  if (r.areas.empty() || r.areas.size() > kMaxAreas) {
    return invalid("invalid_field", "areas: 1 to " + std::to_string(kMaxAreas) + " areas");
  }
  for (const std::string& a : r.areas) {
    // group_area_id first: protocol::valid_area currently refuses "g1" and "g1234" (groups
    // whose name is 2 or 5 characters long are taken for provinces and communes).
    if (!group_area_id(a) && !protocol::valid_area(a)) {
      return invalid("invalid_field", "areas: '" + a + "' is no area");
    }
  }
  if (r.items.empty() || r.items.size() > kMaxItems) {
    return invalid("invalid_field", "items: 1 to " + std::to_string(kMaxItems) + " items");
  }
  if (r.repeat < 1 || r.repeat > 20) return invalid("invalid_field", "repeat: 1 to 20");
  if (r.volume && (*r.volume < 0 || *r.volume > 100)) {
    return invalid("invalid_field", "volume: 0 to 100");
  }
  return {};
}

bool is_sha256(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

Result<protocol::PlayItem> DeviceService::compile_item(Tx& tx, const access::Principal& p,
                                                       const ProgrammeItem& item) {
  protocol::PlayItem out;
  out.title = item.title;
  std::string sha;
  if (item.kind == ProgrammeItemKind::kStream) {
    const bool http = item.url.rfind("http://", 0) == 0 || item.url.rfind("https://", 0) == 0;
    if (!http || item.url.size() > 2048) {
      return invalid("invalid_field", "items: a stream needs an http or https url");
    }
    if (item.duration_s < 1 || item.duration_s > 86400) {
      return invalid("invalid_field", "items: a stream's duration_s is 1 to 86400");
    }
    out.kind = protocol::ItemKind::kStream;
    out.url = item.url;
    out.duration_s = item.duration_s;
    return out;
  }
  if (item.kind == ProgrammeItemKind::kBulletin) {
    auto b = tx.find_bulletin(item.bulletin_id);
    if (!b) return b.error();
    const std::string missing = "items: no published bulletin " + std::to_string(item.bulletin_id);
    if (!b.value() || b.value()->status != BulletinStatus::kPublished) {
      return invalid("unknown_bulletin", missing);
    }
    auto owner = tx.find_unit(b.value()->owner_unit);
    if (!owner) return owner.error();
    // Own bulletins, or published ones from above (the library).
    if (!owner.value() || !(access::can_read(p, owner.value()->path) ||
                            access::is_above_grants(p, owner.value()->path))) {
      return invalid("unknown_bulletin", missing);
    }
    if (b.value()->audio.sha256.empty()) {
      return invalid("no_audio",
                     "items: bulletin " + std::to_string(item.bulletin_id) + " has no audio yet");
    }
    sha = b.value()->audio.sha256;
    out.duration_ms = static_cast<std::int64_t>(std::llround(b.value()->audio.seconds * 1000));
    if (out.title.empty()) out.title = b.value()->title;
  } else if (item.kind == ProgrammeItemKind::kMedia) {
    if (!is_sha256(item.sha256)) {
      return invalid("invalid_field", "items: sha256 is 64 lower-case hex digits");
    }
    sha = item.sha256;
    out.duration_ms = std::max<std::int64_t>(item.duration_ms, 0);
  } else {
    return invalid("invalid_field", "items: kind is media, bulletin or stream");
  }
  if (media_ == nullptr) return unavailable("no media store is configured");
  auto bytes = media_->read(sha);
  if (!bytes) {
    if (bytes.error().kind == ErrorKind::kNotFound) {
      return invalid("unknown_media", "items: no media " + sha);
    }
    return bytes.error();
  }
  if (bytes->empty()) return invalid("unknown_media", "items: media " + sha + " is empty");
  out.kind = protocol::ItemKind::kMedia;
  out.sha256 = sha;
  out.bytes = static_cast<std::int64_t>(bytes->size());
  return out;
}

namespace {

// The topic an order target is published on.
std::string target_topic(std::string_view target) {
  if (target.substr(0, kDeviceTargetPrefix.size()) == kDeviceTargetPrefix) {
    return protocol::device_topic(target.substr(kDeviceTargetPrefix.size()),
                                  protocol::DeviceLeaf::kCmd);
  }
  return protocol::area_topic(target);
}

}  // namespace

Result<std::vector<DeviceService::Outgoing>> DeviceService::record_order(
    Tx& tx, protocol::PlayOrder& order, const std::vector<std::string>& targets,
    const std::string& owner_unit, size_t devices, std::int64_t created_by,
    const RequestOrigin& origin) {
  auto seq = tx.next_order_seq();
  if (!seq) return seq.error();
  order.order = "o" + std::to_string(seq.value());
  const UnixTime now = clock_.now();
  std::vector<Outgoing> out;
  out.reserve(targets.size());
  for (const std::string& target : targets) {
    auto message =
        sign(tx, target_topic(target), order, now + protocol::kOrderLifetimeSeconds, false);
    if (!message) return message.error();
    out.push_back(std::move(message.value()));
  }
  BroadcastOrder record;
  record.id = order.order;
  record.owner_unit = owner_unit;
  record.priority = order.priority;
  record.areas = targets;
  record.payload_json = protocol::encode_body({0, now, 0, "", order});
  record.created_by = created_by;
  record.created_at = now;
  NGUON_TRY(tx.insert_order(record));
  json::object after{{"areas", string_array(targets)},
                     {"priority", bulletins::priority_name(order.priority)},
                     {"repeat", order.repeat},
                     {"items", json::parse(items_summary(order.items))},
                     {"devices", devices}};
  NGUON_TRY(audit::append(tx, crypto_,
                          {0, now, origin.actor, "broadcast.start", "order:" + order.order, "",
                           json::serialize(after), origin.ip}));
  return out;
}

Result<BroadcastResult> DeviceService::broadcast(const access::Principal& p,
                                                 const BroadcastRequest& request,
                                                 const RequestOrigin& origin) {
  NGUON_TRY(check_request(request));
  std::vector<std::string> areas;
  for (const std::string& a : request.areas) {
    if (std::find(areas.begin(), areas.end(), a) == areas.end()) areas.push_back(a);
  }
  BroadcastResult result;
  std::vector<Outgoing> out;
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto resolved = resolve_areas(tx, p, areas);
    if (!resolved) return resolved.error();
    protocol::PlayOrder order;
    order.priority = request.priority;
    order.repeat = request.repeat;
    order.volume = request.volume;
    for (const ProgrammeItem& item : request.items) {
      auto compiled = compile_item(tx, p, item);
      if (!compiled) return compiled.error();
      order.items.push_back(std::move(compiled.value()));
    }
    auto devices = tx.devices_in(resolved->unit_paths, resolved->group_ids);
    if (!devices) return devices.error();
    auto messages =
        record_order(tx, order, areas, resolved->owner_unit, devices->size(), p.user_id, origin);
    if (!messages) return messages.error();
    out = std::move(messages.value());
    result = {order.order, areas, devices->size()};
    return {};
  }));
  NGUON_TRY(send(out));
  return result;
}

Result<BroadcastResult> DeviceService::broadcast_system(const SystemBroadcast& request) {
  if (request.areas.empty() && request.device_ids.empty()) {
    return invalid("invalid_field", "a broadcast needs at least one area or device");
  }
  for (const std::string& a : request.areas) {
    if (!protocol::valid_area(a) || group_area_id(a)) {
      return invalid("invalid_field", "areas: '" + a + "' is no unit");
    }
  }
  BroadcastRequest shape;  // the item, repeat and volume rules of an operator's broadcast
  shape.areas = {"VN"};
  shape.items = request.items;
  shape.repeat = request.repeat;
  shape.volume = request.volume;
  NGUON_TRY(check_request(shape));
  BroadcastResult result;
  std::vector<Outgoing> out;
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    std::vector<std::string> paths;
    for (const std::string& code : request.areas) {
      auto u = tx.find_unit(code);
      if (!u) return u.error();
      if (!u.value()) return invalid("invalid_reference", "no unit " + code);
      paths.push_back(u.value()->path);
    }
    std::vector<std::string> targets = request.areas;
    for (const std::string& id : request.device_ids) {
      auto d = tx.find_device(id);
      if (!d) return d.error();
      if (!d.value() || d.value()->status == DeviceStatus::kDecommissioned) continue;
      targets.push_back(std::string(kDeviceTargetPrefix) + id);
    }
    size_t devices = targets.size() - request.areas.size();
    if (!paths.empty()) {
      auto in_areas = tx.devices_in(paths, {});
      if (!in_areas) return in_areas.error();
      devices += in_areas->size();
    }
    protocol::PlayOrder order;
    order.priority = request.priority;
    order.repeat = request.repeat;
    order.volume = request.volume;
    for (const ProgrammeItem& item : request.items) {
      auto compiled = compile_item(tx, access::Principal{}, item);
      if (!compiled) return compiled.error();
      order.items.push_back(std::move(compiled.value()));
    }
    auto messages =
        record_order(tx, order, targets, request.owner_unit, devices, 0, {request.actor, ""});
    if (!messages) return messages.error();
    out = std::move(messages.value());
    result = {order.order, std::move(targets), devices};
    return {};
  }));
  NGUON_TRY(send(out));
  return result;
}

Result<std::vector<DeviceService::Outgoing>> DeviceService::record_stop(
    Tx& tx, const BroadcastOrder& order, const RequestOrigin& origin) {
  const UnixTime now = clock_.now();
  std::vector<Outgoing> out;
  for (const std::string& target : order.areas) {
    auto message = sign(tx, target_topic(target), protocol::StopOrder{order.id},
                        now + protocol::kOrderLifetimeSeconds, false);
    if (!message) return message.error();
    out.push_back(std::move(message.value()));
  }
  NGUON_TRY(tx.mark_order_stopped(order.id, now));
  NGUON_TRY(audit::append(
      tx, crypto_,
      {0, now, origin.actor, "broadcast.stop", "order:" + order.id, "", "", origin.ip}));
  return out;
}

Status DeviceService::stop_order(const access::Principal& p, const std::string& order_id,
                                 const RequestOrigin& origin) {
  std::vector<Outgoing> out;
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto order = tx.find_order(order_id);
    if (!order) return order.error();
    if (!order.value()) return order_not_found();
    std::vector<std::string> areas;
    for (const std::string& target : order.value()->areas) {
      if (target.rfind(kDeviceTargetPrefix, 0) != 0) {
        areas.push_back(target);
        continue;
      }
      // An order whose devices are not all the caller's is not theirs to see or stop.
      auto d = tx.find_device(target.substr(kDeviceTargetPrefix.size()));
      if (!d) return d.error();
      if (!d.value() || !manages(p, d.value()->unit_path)) return order_not_found();
    }
    if (!areas.empty()) {
      auto resolved = resolve_areas(tx, p, areas);
      if (!resolved) {
        if (resolved.error().kind == ErrorKind::kNotFound) return order_not_found();
        return resolved.error();
      }
    }
    auto messages = record_stop(tx, *order.value(), origin);
    if (!messages) return messages.error();
    out = std::move(messages.value());
    return {};
  }));
  return send(out);
}

Status DeviceService::stop_order_system(const std::string& order_id, const std::string& actor) {
  std::vector<Outgoing> out;
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto order = tx.find_order(order_id);
    if (!order) return order.error();
    if (!order.value()) return order_not_found();
    auto messages = record_stop(tx, *order.value(), {actor, ""});
    if (!messages) return messages.error();
    out = std::move(messages.value());
    return {};
  }));
  return send(out);
}

// ---- ingestion -------------------------------------------------------------------------------

namespace {

// A device report decoded outside the transaction.
struct DecodedReport {
  std::string device_id;
  std::string payload;  // state: kept verbatim
  std::optional<protocol::DeviceState> state;
  std::optional<protocol::Event> event;
};

Result<DecodedReport> decode_report(std::string_view topic, std::string_view payload) {
  auto where = protocol::parse_device_topic(topic);
  if (!where) return invalid("unexpected_topic", "not a device topic: " + std::string(topic));
  if (payload.size() > protocol::kMaxPayloadBytes) {
    return invalid("malformed", "payload over " + std::to_string(protocol::kMaxPayloadBytes));
  }
  DecodedReport r{where->device_id, std::string(payload), std::nullopt, std::nullopt};
  if (where->leaf == protocol::DeviceLeaf::kState) {
    NGUON_TRY_ASSIGN(r.state, protocol::decode_state(payload));
  } else if (where->leaf == protocol::DeviceLeaf::kEvents) {
    NGUON_TRY_ASSIGN(r.event, protocol::decode_event(payload));
  } else {
    return invalid("unexpected_topic", "devices do not publish on " + std::string(topic));
  }
  return r;
}

Result<IngestOutcome> record_state(Tx& tx, const DecodedReport& r, UnixTime now) {
  // The last will carries no time: the broker publishes it when the device vanishes.
  const UnixTime ts = r.state->ts > 0 ? r.state->ts : now;
  Status st = tx.set_device_state(r.device_id, r.state->online, ts, r.payload);
  if (!st && st.error().kind == ErrorKind::kNotFound) {
    return not_found("unknown device " + r.device_id);
  }
  if (!st) return st.error();
  return IngestOutcome::kStateRecorded;
}

Result<IngestOutcome> record_event(Tx& tx, const DecodedReport& r, UnixTime now) {
  auto d = tx.find_device(r.device_id);
  if (!d) return d.error();
  if (!d.value()) return not_found("unknown device " + r.device_id);
  const protocol::Event& event = *r.event;
  PlayLog log;
  log.device_id = d.value()->id;
  log.event_id = event.id;
  log.type = std::string(protocol::event_type_name(event.type));
  log.ts = event.ts;
  log.slot = event.slot.value_or("");
  log.order = event.order.value_or("");
  log.sha256 = event.sha256.value_or("");
  log.url = event.url.value_or("");
  log.started = event.started.value_or(0);
  log.ended = event.ended.value_or(0);
  log.reason = event.reason.value_or("");
  log.commune_code = d.value()->commune_code;
  log.unit_path = d.value()->unit_path;
  log.received_at = now;
  NGUON_TRY_ASSIGN(bool inserted, tx.insert_play_log(log));
  return inserted ? IngestOutcome::kEventRecorded : IngestOutcome::kDuplicateEvent;
}

}  // namespace

Result<IngestOutcome> DeviceService::ingest(std::string_view topic, std::string_view payload) {
  auto results = ingest_batch({DeviceReport{std::string(topic), std::string(payload)}});
  return std::move(results.front());
}

std::vector<Result<IngestOutcome>> DeviceService::ingest_batch(
    const std::vector<DeviceReport>& reports) {
  const UnixTime now = clock_.now();
  std::vector<Result<IngestOutcome>> results;
  std::vector<std::optional<DecodedReport>> decoded;
  results.reserve(reports.size());
  decoded.reserve(reports.size());
  for (const auto& r : reports) {
    auto d = decode_report(r.topic, r.payload);
    results.emplace_back(d ? Result<IngestOutcome>(IngestOutcome::kStateRecorded) : d.error());
    decoded.emplace_back(d ? std::optional<DecodedReport>(std::move(d.value())) : std::nullopt);
  }
  // One transaction for the batch. A report about an unknown device is answered not_found and
  // skipped; only a store failure fails (and rolls back) the whole batch.
  Status written = store_.write([&](Tx& tx) -> Status {
    for (size_t i = 0; i < decoded.size(); ++i) {
      if (!decoded[i]) continue;
      auto outcome = decoded[i]->state ? record_state(tx, *decoded[i], now)
                                       : record_event(tx, *decoded[i], now);
      if (!outcome && outcome.error().kind != ErrorKind::kNotFound) return outcome.error();
      results[i] = std::move(outcome);
    }
    return {};
  });
  if (!written) {
    for (size_t i = 0; i < decoded.size(); ++i) {
      if (decoded[i]) results[i] = written.error();
    }
  }
  return results;
}

// ---- reports ---------------------------------------------------------------------------------

Result<std::vector<PlayLog>> DeviceService::plays(const access::Principal& p, const PlayQuery& q) {
  std::vector<PlayLog> rows;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    if (!q.device_id.empty()) {
      auto d = load_visible(tx, p, q.device_id);
      if (!d) return d.error();
    }
    auto paths = scope_paths(tx, p, q.unit_code);
    if (!paths) return paths.error();
    for (const std::string& path : paths.value()) {
      PlayLogQuery lq{path, q.device_id, q.from, q.to, q.types, q.offset + q.limit, 0};
      auto found = tx.list_play_logs(lq);
      if (!found) return found.error();
      rows.insert(rows.end(), found->begin(), found->end());
    }
    return {};
  }));
  return page(
      std::move(rows),
      [](const PlayLog& a, const PlayLog& b) {
        return std::tie(b.ts, b.id) < std::tie(a.ts, a.id);
      },
      q.offset, q.limit);
}

Result<std::vector<AirtimeEntry>> DeviceService::airtime(const access::Principal& p,
                                                         const std::string& unit_code,
                                                         const std::string& group_by, UnixTime from,
                                                         UnixTime to) {
  if (group_by != "commune" && group_by != "device") {
    return invalid("invalid_field", "by: commune or device");
  }
  if (to != 0 && to <= from) return invalid("invalid_field", "to: must be after from");
  std::vector<AirtimeEntry> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto paths = scope_paths(tx, p, unit_code);
    if (!paths) return paths.error();
    for (const std::string& path : paths.value()) {
      auto rows = tx.airtime(path, group_by, from, to);
      if (!rows) return rows.error();
      for (const AirtimeRow& r : rows.value()) {
        AirtimeEntry e{r.key, "", r.seconds, r.plays};
        if (group_by == "commune") {
          auto u = tx.find_unit(r.key);
          if (!u) return u.error();
          if (u.value()) e.name = u.value()->name;
        } else {
          auto d = tx.find_device(r.key);
          if (!d) return d.error();
          if (d.value()) e.name = d.value()->name;
        }
        out.push_back(std::move(e));
      }
    }
    return {};
  }));
  std::sort(out.begin(), out.end(), [](const AirtimeEntry& a, const AirtimeEntry& b) {
    return a.seconds != b.seconds ? a.seconds > b.seconds : a.key < b.key;
  });
  return out;
}

bool DeviceService::check_device_password(const std::string& device_id, std::string_view password) {
  std::string secret_hash;
  Status st = store_.read([&](Tx& tx) -> Status {
    auto d = tx.find_device(device_id);
    if (!d) return d.error();
    if (d.value() && d.value()->status != DeviceStatus::kDecommissioned) {
      secret_hash = d.value()->secret_hash;
    }
    return {};
  });
  if (!st || secret_hash.empty()) return false;
  return constant_time_equal(crypto_.sha256_hex(password), secret_hash);
}

}  // namespace nguon
