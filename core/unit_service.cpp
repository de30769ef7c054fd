#include "core/unit_service.h"

#include <algorithm>

#include "core/audit.h"
#include "core/text.h"
#include "core/units.h"

namespace nguon {
namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> codes;
  size_t start = 0;
  for (size_t slash = path.find('/'); slash != std::string::npos; slash = path.find('/', start)) {
    codes.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return codes;
}

bool is_visible(const access::Principal& p, const Unit& u) {
  return access::can_read(p, u.path) || access::is_above_grants(p, u.path);
}

std::string unit_snapshot(const Unit& u) {
  return "{\"code\":" + json_quote(u.code) + ",\"name\":" + json_quote(u.name) +
         ",\"type\":" + json_quote(u.type) + "}";
}

}  // namespace

Result<UnitView> UnitService::view_of(Tx& tx, const access::Principal& p, Unit unit) {
  UnitView v;
  const auto codes = split_path(unit.path);
  for (size_t i = 0; i + 1 < codes.size(); ++i) {
    auto a = tx.find_unit(codes[i]);
    if (!a) return a.error();
    if (a.value()) v.ancestors.push_back(std::move(*a.value()));
  }
  v.can_admin = access::has_role(p, Role::kAdmin, unit.path);
  v.navigable_only = !access::can_read(p, unit.path);
  v.unit = std::move(unit);
  return v;
}

Result<Unit> UnitService::visible_unit(Tx& tx, const access::Principal& p,
                                       const std::string& code) {
  if (!units::is_well_formed_code(code)) return not_found("no such unit: " + code);
  auto found = tx.find_unit(code);
  if (!found) return found.error();
  if (!found.value() || !is_visible(p, *found.value())) {
    return not_found("no such unit: " + code);
  }
  return std::move(*found.value());
}

Result<UnitView> UnitService::get(const access::Principal& p, const std::string& code) {
  Result<UnitView> out = internal("unreachable");
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto unit = visible_unit(tx, p, code);
    if (!unit) return unit.error();
    out = view_of(tx, p, std::move(unit.value()));
    return out ? Status() : out.error();
  }));
  return out;
}

Result<std::vector<UnitView>> UnitService::roots(const access::Principal& p) {
  std::vector<UnitView> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    for (const std::string& path : access::read_roots(p)) {
      const auto codes = split_path(path);
      auto unit = tx.find_unit(codes.back());
      if (!unit) return unit.error();
      if (!unit.value()) continue;
      auto v = view_of(tx, p, std::move(*unit.value()));
      if (!v) return v.error();
      out.push_back(std::move(v.value()));
    }
    return {};
  }));
  return out;
}

Result<std::vector<UnitView>> UnitService::children(const access::Principal& p,
                                                    const std::string& code) {
  std::vector<UnitView> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto parent = visible_unit(tx, p, code);
    if (!parent) return parent.error();
    auto parent_view = view_of(tx, p, parent.value());
    if (!parent_view) return parent_view.error();
    auto kids = tx.children(code);
    if (!kids) return kids.error();
    std::vector<Unit> chain = parent_view->ancestors;
    chain.push_back(parent.value());
    for (Unit& kid : kids.value()) {
      if (!is_visible(p, kid)) continue;
      UnitView v;
      v.ancestors = chain;
      v.can_admin = access::has_role(p, Role::kAdmin, kid.path);
      v.navigable_only = !access::can_read(p, kid.path);
      v.unit = std::move(kid);
      out.push_back(std::move(v));
    }
    return {};
  }));
  return out;
}

Result<std::vector<UnitView>> UnitService::search(const access::Principal& p,
                                                  const std::string& query,
                                                  std::optional<UnitLevel> level, size_t limit) {
  if (!text::is_valid_utf8(query)) return invalid("invalid_utf8", "q: not valid UTF-8");
  const std::string folded = text::fold(query);
  if (folded.empty()) return invalid("invalid_field", "q: must not be empty");
  if (text::code_points(folded) > 100) {
    return invalid("invalid_field", "q: must be at most 100 characters");
  }
  limit = std::clamp<size_t>(limit, 1, 200);
  std::vector<UnitView> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    std::vector<Unit> hits;
    // An official code ("14797", "14797-001") finds its unit directly.
    if (units::is_well_formed_code(folded) && folded != "vn") {
      auto exact = tx.find_unit(folded);
      if (!exact) return exact.error();
      if (exact.value() && access::can_read(p, exact.value()->path) &&
          (!level || exact.value()->level == *level)) {
        hits.push_back(std::move(*exact.value()));
      }
    }
    for (const std::string& root : access::read_roots(p)) {
      auto found = tx.search_units({root, folded, level, limit});
      if (!found) return found.error();
      hits.insert(hits.end(), found->begin(), found->end());
    }
    std::stable_sort(hits.begin(), hits.end(), [](const Unit& a, const Unit& b) {
      return std::tie(a.level, a.code) < std::tie(b.level, b.code);
    });
    hits.erase(std::unique(hits.begin(), hits.end(),
                           [](const Unit& a, const Unit& b) { return a.code == b.code; }),
               hits.end());
    if (hits.size() > limit) hits.resize(limit);
    for (Unit& u : hits) {
      auto v = view_of(tx, p, std::move(u));
      if (!v) return v.error();
      out.push_back(std::move(v.value()));
    }
    return {};
  }));
  return out;
}

Result<UnitView> UnitService::add_village(const access::Principal& p,
                                          const std::string& commune_code,
                                          const std::string& name_in, const std::string& type,
                                          const RequestOrigin& origin) {
  auto name = text::clean_line("name", name_in, 1, 120);
  if (!name) return name.error();
  Result<UnitView> out = internal("unreachable");
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto commune = visible_unit(tx, p, commune_code);
    if (!commune) return commune.error();
    if (!access::has_role(p, Role::kAdmin, commune->path)) {
      return forbidden("you are not an administrator of " + commune->name);
    }
    auto siblings = tx.children(commune_code);
    if (!siblings) return siblings.error();
    auto village = units::make_village(commune.value(), siblings.value(), name.value(), type);
    if (!village) return village.error();
    NGUON_TRY(tx.insert_unit(village.value()));
    AuditEntry e{0,
                 clock_.now(),
                 origin.actor,
                 "unit.create_village",
                 "unit:" + village->code,
                 "",
                 unit_snapshot(village.value()),
                 origin.ip};
    NGUON_TRY(audit::append(tx, crypto_, std::move(e)));
    out = view_of(tx, p, std::move(village.value()));
    return out ? Status() : out.error();
  }));
  version_++;
  return out;
}

Result<UnitView> UnitService::rename_village(const access::Principal& p, const std::string& code,
                                             const std::string& name_in,
                                             const RequestOrigin& origin) {
  auto name = text::clean_line("name", name_in, 1, 120);
  if (!name) return name.error();
  Result<UnitView> out = internal("unreachable");
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto unit = visible_unit(tx, p, code);
    if (!unit) return unit.error();
    if (unit->level != UnitLevel::kVillage) {
      return invalid("not_a_village", "only villages can be renamed");
    }
    if (!access::has_role(p, Role::kAdmin, unit->path)) {
      return forbidden("you are not an administrator of " + unit->name);
    }
    const std::string folded = text::fold(name.value());
    auto siblings = tx.children(unit->parent_code);
    if (!siblings) return siblings.error();
    for (const Unit& s : siblings.value()) {
      if (s.code != code && s.fold == folded) {
        return conflict("unit_exists", "a village named '" + s.name + "' already exists");
      }
    }
    const std::string before = unit_snapshot(unit.value());
    NGUON_TRY(tx.update_unit_name(code, name.value(), folded));
    unit->name = name.value();
    unit->fold = folded;
    AuditEntry e{0,
                 clock_.now(),
                 origin.actor,
                 "unit.rename",
                 "unit:" + code,
                 before,
                 unit_snapshot(unit.value()),
                 origin.ip};
    NGUON_TRY(audit::append(tx, crypto_, std::move(e)));
    out = view_of(tx, p, std::move(unit.value()));
    return out ? Status() : out.error();
  }));
  version_++;
  return out;
}

Result<std::vector<LegacyMatch>> UnitService::resolve_legacy(const std::string& old_code) {
  std::vector<LegacyMatch> out;
  if (old_code.size() != 5 || !units::is_well_formed_code(old_code)) {
    return invalid("invalid_field", "old_code: a commune code has 5 digits");
  }
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto rows = tx.find_legacy(old_code);
    if (!rows) return rows.error();
    for (LegacyCommune& row : rows.value()) {
      auto unit = tx.find_unit(row.new_code);
      if (!unit) return unit.error();
      std::string name = unit.value() ? unit.value()->name : std::string();
      out.push_back({std::move(row), std::move(name)});
    }
    return {};
  }));
  if (out.empty()) return not_found("no pre-2025 commune with code " + old_code);
  return out;
}

}  // namespace nguon
