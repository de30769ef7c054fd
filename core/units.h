// Administrative units: construction rules and the village naming scheme.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/result.h"

namespace nguon::units {

inline constexpr std::string_view kNationCode = "VN";

std::string_view level_name(UnitLevel level);  // "nation", "province", "commune", "village"
std::optional<UnitLevel> parse_level(std::string_view name);

// A unit with path and search key derived from its parent. `parent` is null only for the nation.
Unit make_unit(std::string code, const Unit* parent, UnitLevel level, std::string type,
               std::string name);

// Village kinds communes use (thôn, bản, ấp, tổ dân phố, khu phố, xóm, làng, buôn, sóc, khóm,
// plei): a village's type must be one of them.
const std::vector<std::string>& village_types();

// A new village under `commune` named `name` (already cleaned NFC) of kind `type`. Its code is
// "<commune>-<NNN>", one past the highest number among `existing` children. Errors: the parent
// is not a commune, the type is unknown, the name repeats a sibling's (compared folded), or the
// commune already has 999 villages.
Result<Unit> make_village(const Unit& commune, const std::vector<Unit>& existing,
                          const std::string& name, const std::string& type);

// Official code shapes: 2 digits (province), 5 digits (commune), "<5 digits>-<3 digits>"
// (village). Anything else cannot name a unit, so lookups reject it before touching a store.
bool is_well_formed_code(std::string_view code);

// The paths of the units strictly above the unit at `path` ("VN/38/16597/" → "VN/", "VN/38/").
// Unit paths end in '/', so these are exactly the stored paths that are strict prefixes of it.
std::vector<std::string> ancestor_paths(const std::string& path);

}  // namespace nguon::units
