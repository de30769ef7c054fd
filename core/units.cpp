#include "core/units.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "core/text.h"

namespace nguon::units {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string_view level_name(UnitLevel level) {
  switch (level) {
    case UnitLevel::kNation:
      return "nation";
    case UnitLevel::kProvince:
      return "province";
    case UnitLevel::kCommune:
      return "commune";
    case UnitLevel::kVillage:
      return "village";
  }
  return "unknown";
}

std::optional<UnitLevel> parse_level(std::string_view name) {
  for (UnitLevel l :
       {UnitLevel::kNation, UnitLevel::kProvince, UnitLevel::kCommune, UnitLevel::kVillage}) {
    if (level_name(l) == name) return l;
  }
  return std::nullopt;
}

Unit make_unit(std::string code, const Unit* parent, UnitLevel level, std::string type,
               std::string name) {
  Unit u;
  u.path = (parent != nullptr ? parent->path : std::string()) + code + "/";
  u.parent_code = parent != nullptr ? parent->code : std::string();
  u.code = std::move(code);
  u.level = level;
  u.type = std::move(type);
  u.fold = text::fold(name);
  u.name = std::move(name);
  return u;
}

const std::vector<std::string>& village_types() {
  static const std::vector<std::string> kTypes = {
      "thôn", "bản", "ấp", "tổ dân phố", "khu phố", "xóm", "làng", "buôn", "sóc", "khóm", "plei"};
  return kTypes;
}

Result<Unit> make_village(const Unit& commune, const std::vector<Unit>& existing,
                          const std::string& name, const std::string& type) {
  if (commune.level != UnitLevel::kCommune) {
    return invalid("not_a_commune", "villages can only be added to a commune");
  }
  const auto& kinds = village_types();
  if (std::find(kinds.begin(), kinds.end(), type) == kinds.end()) {
    return invalid("invalid_field", "type: unknown village type '" + type + "'");
  }
  const std::string folded = text::fold(name);
  int highest = 0;
  for (const Unit& sibling : existing) {
    if (sibling.fold == folded) {
      return conflict("unit_exists", "a village named '" + sibling.name + "' already exists");
    }
    const auto dash = sibling.code.rfind('-');
    if (dash != std::string::npos && all_digits(sibling.code.substr(dash + 1))) {
      highest = std::max(highest, std::stoi(sibling.code.substr(dash + 1)));
    }
  }
  if (highest >= 999) return conflict("too_many_villages", "a commune has at most 999 villages");
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "-%03d", highest + 1);
  return make_unit(commune.code + suffix, &commune, UnitLevel::kVillage, type, name);
}

bool is_well_formed_code(std::string_view code) {
  if (code == kNationCode) return true;
  if (code.size() == 2 || code.size() == 5) return all_digits(code);
  return code.size() == 9 && all_digits(code.substr(0, 5)) && code[5] == '-' &&
         all_digits(code.substr(6));
}

std::vector<std::string> ancestor_paths(const std::string& path) {
  std::vector<std::string> out;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (path[i] == '/') out.push_back(path.substr(0, i + 1));
  }
  return out;
}

}  // namespace nguon::units
