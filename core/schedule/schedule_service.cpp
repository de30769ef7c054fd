#include "core/schedule/schedule_service.h"

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "core/audit.h"
#include "core/bulletins.h"
#include "core/devices/record_json.h"
#include "core/schedule/overlap.h"
#include "core/schedule/targets.h"
#include "core/text.h"

namespace nguon {
namespace schedule {

std::string programme_snapshot(const Programme& p) {
  namespace json = boost::json;
  json::array targets, groups, exdates, items;
  for (const auto& t : p.target_units) targets.emplace_back(t);
  for (auto g : p.target_groups) groups.emplace_back(g);
  for (const auto& d : p.exdates) exdates.emplace_back(d);
  for (const auto& i : p.items) {
    json::object o{{"kind", devices::programme_item_kind_name(i.kind)}};
    if (i.kind == ProgrammeItemKind::kBulletin) o["bulletin_id"] = i.bulletin_id;
    if (i.kind == ProgrammeItemKind::kMedia) o["sha256"] = i.sha256;
    if (i.kind == ProgrammeItemKind::kStream) {
      o["url"] = i.url;
      o["duration_s"] = i.duration_s;
    }
    if (!i.title.empty()) o["title"] = i.title;
    items.emplace_back(std::move(o));
  }
  return json::serialize(json::object{{"id", p.id},
                                      {"name", p.name},
                                      {"owner_unit", p.owner_unit},
                                      {"priority", bulletins::priority_name(p.priority)},
                                      {"target_units", std::move(targets)},
                                      {"target_groups", std::move(groups)},
                                      {"rrule", p.rrule},
                                      {"first_date", p.first_date},
                                      {"last_date", p.last_date},
                                      {"exdates", std::move(exdates)},
                                      {"start_minute", p.start_minute},
                                      {"duration_minutes", p.duration_minutes},
                                      {"items", std::move(items)},
                                      {"enabled", p.enabled}});
}

}  // namespace schedule

namespace {

using schedule::LocalDate;
using schedule::Resolver;
using schedule::targets_of;

Error programme_not_found() { return not_found("no such programme"); }

bool may_manage(const access::Principal& p, const std::string& path) {
  return access::has_role(p, Role::kStationOperator, path) ||
         access::has_role(p, Role::kAdmin, path);
}

std::string target_summary(const Programme& prog) {
  std::string out;
  for (const auto& u : prog.target_units) out += (out.empty() ? "" : ", ") + u;
  for (auto g : prog.target_groups) out += (out.empty() ? "g" : ", g") + std::to_string(g);
  return out.empty() ? prog.owner_unit : out;
}

// Applies the fields present in `in` onto `prog` (no validation yet).
void apply(const ProgrammeInput& in, Programme& prog) {
  if (in.name) prog.name = *in.name;
  if (in.priority) prog.priority = *in.priority;
  if (in.target_units) prog.target_units = *in.target_units;
  if (in.target_groups) prog.target_groups = *in.target_groups;
  if (in.rrule) prog.rrule = *in.rrule;
  if (in.first_date) prog.first_date = *in.first_date;
  if (in.last_date) prog.last_date = *in.last_date;
  if (in.exdates) prog.exdates = *in.exdates;
  if (in.start_minute) prog.start_minute = *in.start_minute;
  if (in.duration_minutes) prog.duration_minutes = *in.duration_minutes;
  if (in.items) prog.items = *in.items;
  if (in.enabled) prog.enabled = *in.enabled;
}

Status check_dates(Programme& prog) {
  auto first = schedule::parse_date(prog.first_date);
  if (!first) return invalid("invalid_field", "first_date: must be a date YYYY-MM-DD");
  if (!prog.last_date.empty()) {
    auto last = schedule::parse_date(prog.last_date);
    if (!last) return invalid("invalid_field", "last_date: must be a date YYYY-MM-DD or empty");
    if (*last < *first) return invalid("invalid_field", "last_date: must not be before first_date");
  }
  if (prog.exdates.size() > ScheduleService::kMaxExdates) {
    return invalid("invalid_field",
                   "exdates: at most " + std::to_string(ScheduleService::kMaxExdates));
  }
  std::set<std::string> exdates;
  for (const std::string& d : prog.exdates) {
    if (!schedule::parse_date(d)) {
      return invalid("invalid_field", "exdates: '" + d + "' is not a date YYYY-MM-DD");
    }
    exdates.insert(d);
  }
  prog.exdates.assign(exdates.begin(), exdates.end());
  return {};
}

Status check_times(const Programme& prog) {
  if (prog.start_minute < 0 || prog.start_minute >= schedule::kMinutesPerDay) {
    return invalid("invalid_field", "start_time: must be between 00:00 and 23:59");
  }
  if (prog.duration_minutes < 1 || prog.duration_minutes > ScheduleService::kMaxDurationMinutes) {
    return invalid("invalid_field", "duration_minutes: must be 1 to " +
                                        std::to_string(ScheduleService::kMaxDurationMinutes));
  }
  return {};
}

Status check_targets(Tx& tx, const Unit& owner, Programme& prog) {
  if (prog.target_units.size() + prog.target_groups.size() > ScheduleService::kMaxTargets) {
    return invalid("invalid_field", "target_units: at most " +
                                        std::to_string(ScheduleService::kMaxTargets) + " targets");
  }
  std::vector<std::string> units;
  for (const std::string& code : prog.target_units) {
    if (std::find(units.begin(), units.end(), code) != units.end()) continue;
    auto unit = tx.find_unit(code);
    if (!unit) return unit.error();
    if (!unit.value() || unit.value()->path.rfind(owner.path, 0) != 0) {
      return invalid("invalid_field",
                     "target_units: " + code + " is not a unit under " + owner.name);
    }
    units.push_back(code);
  }
  std::vector<std::int64_t> groups;
  for (std::int64_t id : prog.target_groups) {
    if (std::find(groups.begin(), groups.end(), id) != groups.end()) continue;
    auto group = tx.find_group(id);
    if (!group) return group.error();
    if (!group.value() || group.value()->unit_path.rfind(owner.path, 0) != 0) {
      return invalid("invalid_field", "target_groups: g" + std::to_string(id) +
                                          " is not a group under " + owner.name);
    }
    groups.push_back(id);
  }
  prog.target_units = std::move(units);
  prog.target_groups = std::move(groups);
  return {};
}

bool valid_stream_url(std::string_view url) {
  const bool http = url.rfind("http://", 0) == 0;
  const bool https = url.rfind("https://", 0) == 0;
  if (!http && !https) return false;
  const std::string_view rest = url.substr(http ? 7 : 8);
  if (rest.empty() || rest.front() == '/' || url.size() > 2000) return false;
  return std::all_of(url.begin(), url.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f;
  });
}

bool is_sha256_hex(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The bulletin is the owner's own (inside its subtree) or published for it from above.
Result<bool> bulletin_visible_to(Tx& tx, const Unit& owner, const Bulletin& b, UnixTime now) {
  auto b_owner = tx.find_unit(b.owner_unit);
  if (!b_owner) return b_owner.error();
  if (b_owner.value() && b_owner.value()->path.rfind(owner.path, 0) == 0) return true;
  auto lib = tx.library_bulletins(owner.path, now, 1000);
  if (!lib) return lib.error();
  return std::any_of(lib->begin(), lib->end(), [&](const Bulletin& x) { return x.id == b.id; });
}

std::string clash_message(const ScheduleClash& c) {
  const auto local = schedule::to_local(c.start);
  std::string devices;
  for (const auto& id : c.device_ids) devices += (devices.empty() ? "" : ", ") + id;
  if (c.device_count > static_cast<std::int64_t>(c.device_ids.size())) devices += ", …";
  return "overlaps programme " + std::to_string(c.programme_id) + " \"" + c.name + "\" (" +
         c.owner_unit + ") on " + schedule::format_date(local.date) + " " +
         schedule::format_hhmm(local.minute_of_day) + "–" +
         schedule::format_hhmm(schedule::to_local(c.end).minute_of_day) + " on " +
         std::to_string(c.device_count) + " device" + (c.device_count == 1 ? "" : "s") + " (" +
         devices + "); move one of them, or give one a higher priority (it then preempts the " +
         "other)";
}

}  // namespace

Result<std::vector<LocalDate>> ScheduleService::dates_of(const Programme& prog, LocalDate from,
                                                         LocalDate to) {
  auto rule = schedule::recurrence_of(prog);
  if (!rule) return rule.error();
  return expander_.expand(rule.value(), from, to);
}

Status ScheduleService::validate(Tx& tx, const Unit& owner, Programme& prog) {
  auto name = text::clean_line("name", prog.name, 1, 200);
  if (!name) return name.error();
  prog.name = std::move(name.value());
  NGUON_TRY(check_times(prog));
  NGUON_TRY(check_dates(prog));
  // RFC 5545 names are case-insensitive; the stored rule is upper case, without spaces.
  std::string rule;
  for (char c : prog.rrule) {
    if (c != ' ') rule.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  prog.rrule = std::move(rule);
  NGUON_TRY(expander_.validate(prog.rrule));
  // A rule that never occurs is a mistake (and costly to expand again and again).
  const LocalDate first = *schedule::parse_date(prog.first_date);
  auto dates =
      dates_of(prog, first, schedule::add_days(first, std::int64_t{kNoOccurrenceYears} * 366));
  if (!dates) return dates.error();
  if (dates->empty()) {
    return invalid("invalid_rrule", "rrule: no occurrence in the " +
                                        std::to_string(kNoOccurrenceYears) +
                                        " years from first_date (after exdates)");
  }
  NGUON_TRY(check_targets(tx, owner, prog));
  return check_items(tx, owner, prog);
}

Status ScheduleService::check_items(Tx& tx, const Unit& owner, const Programme& prog) {
  if (prog.items.empty() || prog.items.size() > kMaxItems) {
    return invalid("invalid_field", "items: 1 to " + std::to_string(kMaxItems) + " items");
  }
  for (size_t i = 0; i < prog.items.size(); ++i) {
    const ProgrammeItem& item = prog.items[i];
    const std::string field = "items[" + std::to_string(i) + "]";
    if (!item.title.empty()) {
      auto title = text::clean_line(field + ".title", item.title, 0, 200);
      if (!title) return title.error();
    }
    switch (item.kind) {
      case ProgrammeItemKind::kBulletin: {
        auto b = tx.find_bulletin(item.bulletin_id);
        if (!b) return b.error();
        if (!b.value()) return invalid("invalid_field", field + ".bulletin_id: no such bulletin");
        if (b.value()->status != BulletinStatus::kPublished) {
          return invalid("invalid_field", field + ".bulletin_id: bulletin " +
                                              std::to_string(item.bulletin_id) +
                                              " is not published");
        }
        auto visible = bulletin_visible_to(tx, owner, *b.value(), clock_.now());
        if (!visible) return visible.error();
        if (!visible.value()) {
          return invalid("invalid_field",
                         field + ".bulletin_id: no such bulletin for " + owner.name);
        }
        break;
      }
      case ProgrammeItemKind::kMedia: {
        if (!is_sha256_hex(item.sha256)) {
          return invalid("invalid_field", field + ".sha256: must be 64 lower-case hex digits");
        }
        if (media_ == nullptr) {
          return Error{ErrorKind::kUnavailable, "media_unavailable",
                       "no media store is configured"};
        }
        auto path = media_->path_of(item.sha256);
        if (!path) return invalid("invalid_field", field + ".sha256: no such media");
        break;
      }
      case ProgrammeItemKind::kStream:
        if (!valid_stream_url(item.url)) {
          return invalid("invalid_field", field + ".url: must be an http:// or https:// URL");
        }
        if (item.duration_s < 1 || item.duration_s > std::int64_t{kMaxDurationMinutes} * 60) {
          return invalid("invalid_field", field + ".duration_s: must be 1 to " +
                                              std::to_string(kMaxDurationMinutes * 60));
        }
        break;
      case ProgrammeItemKind::kIntro:
      case ProgrammeItemKind::kOutro:
        break;
    }
  }
  return {};
}

Status ScheduleService::check_overlaps(Tx& tx, const Programme& prog,
                                       std::vector<ScheduleClash>* clashes) {
  if (!prog.enabled) return {};
  // The next 366 days, or the first 366 of a programme that starts later.
  const LocalDate today =
      std::max(schedule::local_date_of(clock_.now()), *schedule::parse_date(prog.first_date));
  const LocalDate until = schedule::add_days(today, kOverlapHorizonDays);
  auto dates = dates_of(prog, today, until);
  if (!dates) return dates.error();
  const auto spans = schedule::spans_on(dates.value(), prog.start_minute, prog.duration_minutes);
  if (spans.empty()) return {};
  Resolver resolver(tx);
  auto mine = targets_of(resolver, prog);
  if (!mine) return mine.error();
  std::optional<std::vector<std::string>> my_devices;  // loaded at the first time clash
  auto others = tx.enabled_programmes();
  if (!others) return others.error();
  std::vector<ScheduleClash> found;
  for (const Programme& other : others.value()) {
    if (other.id == prog.id || schedule::overlap_allowed(prog.priority, other.priority)) continue;
    if (!schedule::daily_windows_intersect(prog.start_minute, prog.duration_minutes,
                                           other.start_minute, other.duration_minutes)) {
      continue;
    }
    auto theirs = targets_of(resolver, other);
    if (!theirs) return theirs.error();
    if (!mine->may_share_devices(theirs.value())) continue;
    // A day either side: an occurrence late in the evening runs into the next day.
    auto other_dates = dates_of(other, schedule::add_days(today, -1), schedule::add_days(until, 1));
    if (!other_dates) continue;  // a stored rule that no longer parses cannot clash
    const auto other_spans =
        schedule::spans_on(other_dates.value(), other.start_minute, other.duration_minutes);
    auto clash = schedule::first_overlap(spans, other_spans);
    if (!clash) continue;
    if (!my_devices) {
      auto devices = tx.devices_in(mine->unit_paths, mine->group_ids);
      if (!devices) return devices.error();
      my_devices.emplace();
      for (const Device& d : devices.value()) my_devices->push_back(d.id);
      std::sort(my_devices->begin(), my_devices->end());
    }
    auto their_devices = tx.devices_in(theirs->unit_paths, theirs->group_ids);
    if (!their_devices) return their_devices.error();
    std::vector<std::string> ids;
    for (const Device& d : their_devices.value()) ids.push_back(d.id);
    std::sort(ids.begin(), ids.end());
    const auto common = schedule::common_ids(*my_devices, ids);
    if (common.empty()) continue;
    ScheduleClash c{other.id,
                    other.name,
                    other.owner_unit,
                    clash->second.start,
                    clash->second.end,
                    static_cast<std::int64_t>(common.size()),
                    {}};
    c.device_ids.assign(common.begin(), common.begin() + static_cast<std::ptrdiff_t>(
                                                             std::min<size_t>(3, common.size())));
    found.push_back(std::move(c));
  }
  if (found.empty()) return {};
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.start != b.start ? a.start < b.start : a.programme_id < b.programme_id;
  });
  Error e = conflict("schedule_overlap", clash_message(found.front()));
  if (found.size() > 1) e.message += " (and " + std::to_string(found.size() - 1) + " more)";
  if (clashes != nullptr) *clashes = std::move(found);
  return e;
}

Result<Programme> ScheduleService::write_programme(const access::Principal& p,
                                                   std::optional<std::int64_t> id,
                                                   ProgrammeInput input,
                                                   const RequestOrigin& origin,
                                                   std::vector<ScheduleClash>* clashes) {
  Result<Programme> out = internal("unreachable");
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    Programme prog;
    std::string before;
    if (id) {
      auto found = tx.find_programme(*id);
      if (!found) return found.error();
      if (!found.value() || !access::can_read(p, found.value()->owner_path)) {
        return programme_not_found();
      }
      prog = std::move(*found.value());
      before = schedule::programme_snapshot(prog);
      if (input.owner_unit && *input.owner_unit != prog.owner_unit) {
        return invalid("invalid_field", "owner_unit: cannot change; create a new programme");
      }
    } else {
      for (auto [present, field] : {std::pair{input.name.has_value(), "name"},
                                    std::pair{input.first_date.has_value(), "first_date"},
                                    std::pair{input.start_minute.has_value(), "start_time"},
                                    std::pair{input.items.has_value(), "items"}}) {
        if (!present) return invalid("missing_field", std::string(field) + ": is required");
      }
      prog.owner_unit = input.owner_unit.value_or(p.unit_code);
    }
    auto owner = tx.find_unit(prog.owner_unit);
    if (!owner) return owner.error();
    if (!owner.value() || !access::can_read(p, owner.value()->path)) {
      if (id) return programme_not_found();
      return invalid("invalid_field", "owner_unit: unknown unit '" + prog.owner_unit + "'");
    }
    if (!may_manage(p, owner.value()->path)) {
      return forbidden("you are not a station operator of " + owner.value()->name);
    }
    prog.owner_path = owner.value()->path;
    apply(input, prog);
    NGUON_TRY(validate(tx, *owner.value(), prog));
    NGUON_TRY(check_overlaps(tx, prog, clashes));
    prog.updated_at = clock_.now();
    if (id) {
      NGUON_TRY(tx.update_programme(prog));
    } else {
      prog.created_by = p.user_id;
      prog.created_at = prog.updated_at;
      auto new_id = tx.insert_programme(prog);
      if (!new_id) return new_id.error();
      prog.id = new_id.value();
    }
    NGUON_TRY(audit::append(
        tx, crypto_,
        {0, prog.updated_at, origin.actor, id ? "programme.update" : "programme.create",
         "programme:" + std::to_string(prog.id), before, schedule::programme_snapshot(prog),
         origin.ip}));
    out = std::move(prog);
    return {};
  }));
  changed(out->owner_path);
  return out;
}

Result<Programme> ScheduleService::create(const access::Principal& p, ProgrammeInput input,
                                          const RequestOrigin& origin,
                                          std::vector<ScheduleClash>* clashes) {
  return write_programme(p, std::nullopt, std::move(input), origin, clashes);
}

Result<Programme> ScheduleService::update(const access::Principal& p, std::int64_t id,
                                          ProgrammeInput input, const RequestOrigin& origin,
                                          std::vector<ScheduleClash>* clashes) {
  return write_programme(p, id, std::move(input), origin, clashes);
}

Status ScheduleService::remove(const access::Principal& p, std::int64_t id,
                               const RequestOrigin& origin) {
  std::string owner_path;
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto found = tx.find_programme(id);
    if (!found) return found.error();
    if (!found.value() || !access::can_read(p, found.value()->owner_path)) {
      return programme_not_found();
    }
    const Programme& prog = *found.value();
    if (!may_manage(p, prog.owner_path)) {
      return forbidden("you are not a station operator of " + prog.owner_unit);
    }
    NGUON_TRY(tx.delete_programme(id));
    owner_path = prog.owner_path;
    return audit::append(
        tx, crypto_,
        {0, clock_.now(), origin.actor, "programme.delete", "programme:" + std::to_string(id),
         schedule::programme_snapshot(prog), "", origin.ip});
  }));
  changed(owner_path);
  return {};
}

Result<std::vector<Programme>> ScheduleService::list(const access::Principal& p,
                                                     const std::string& unit_code) {
  std::vector<Programme> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    std::vector<std::string> roots;
    if (unit_code.empty()) {
      roots = access::read_roots(p);
    } else {
      auto unit = tx.find_unit(unit_code);
      if (!unit) return unit.error();
      if (!unit.value() || !access::can_read(p, unit.value()->path)) {
        return not_found("no such unit: " + unit_code);
      }
      roots.push_back(unit.value()->path);
    }
    for (const std::string& root : roots) {
      auto rows = tx.list_programmes(root);
      if (!rows) return rows.error();
      out.insert(out.end(), rows->begin(), rows->end());
    }
    return {};
  }));
  std::sort(out.begin(), out.end(),
            [](const Programme& a, const Programme& b) { return a.id < b.id; });
  return out;
}

Result<Programme> ScheduleService::get(const access::Principal& p, std::int64_t id) {
  Result<Programme> out = programme_not_found();
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto found = tx.find_programme(id);
    if (!found) return found.error();
    if (!found.value() || !access::can_read(p, found.value()->owner_path)) {
      return programme_not_found();
    }
    out = std::move(*found.value());
    return {};
  }));
  return out;
}

Result<std::vector<ScheduleOccurrence>> ScheduleService::occurrences(const access::Principal& p,
                                                                     const std::string& unit_code,
                                                                     LocalDate from, LocalDate to) {
  if (to < from) return invalid("invalid_query", "to: must not be before from");
  if (schedule::day_number(to) - schedule::day_number(from) >= kMaxCalendarDays) {
    return invalid("invalid_query",
                   "from/to: at most " + std::to_string(kMaxCalendarDays) + " days");
  }
  std::vector<ScheduleOccurrence> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto unit = tx.find_unit(unit_code);
    if (!unit) return unit.error();
    if (!unit.value() || !access::can_read(p, unit.value()->path)) {
      return not_found("no such unit: " + unit_code);
    }
    auto progs = tx.enabled_programmes();
    if (!progs) return progs.error();
    Resolver resolver(tx);
    for (const Programme& prog : progs.value()) {
      auto targets = targets_of(resolver, prog);
      if (!targets) return targets.error();
      if (!targets->concerns(unit.value()->path)) continue;
      // From the day before: an occurrence that starts late on it may still run on `from`.
      auto dates = dates_of(prog, schedule::add_days(from, -1), to);
      if (!dates) return dates.error();
      for (const auto& span :
           schedule::spans_on(dates.value(), prog.start_minute, prog.duration_minutes)) {
        if (span.end <= schedule::to_unix(from, 0)) continue;
        out.push_back({prog.id, prog.name, prog.owner_unit, prog.priority, span.start, span.end,
                       target_summary(prog)});
      }
    }
    return {};
  }));
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.start != b.start ? a.start < b.start : a.programme_id < b.programme_id;
  });
  return out;
}

}  // namespace nguon
