// Where programmes play: their target units and device groups, resolved to unit paths and
// device ids. Shared by ScheduleService's overlap checks, calendar and manifest compilation;
// not a public interface.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/devices_model.h"
#include "core/model.h"
#include "core/result.h"
#include "core/store.h"

namespace nguon::schedule {

// Whether one unit path contains the other (paths end with '/', so this is a prefix test).
bool path_related(std::string_view a, std::string_view b);

// Resolves unit codes and group ids once per request.
class Resolver {
 public:
  explicit Resolver(Tx& tx) : tx_(tx) {}

  Result<std::optional<Unit>> unit(const std::string& code) {
    if (auto it = units_.find(code); it != units_.end()) return it->second;
    auto u = tx_.find_unit(code);
    if (!u) return u.error();
    units_[code] = u.value();
    return u.value();
  }
  Result<std::optional<DeviceGroup>> group(std::int64_t id) {
    if (auto it = groups_.find(id); it != groups_.end()) return it->second;
    auto g = tx_.find_group(id);
    if (!g) return g.error();
    groups_[id] = g.value();
    return g.value();
  }

 private:
  Tx& tx_;
  std::map<std::string, std::optional<Unit>> units_;
  std::map<std::int64_t, std::optional<DeviceGroup>> groups_;
};

// Where a programme plays: unit subtrees and device groups.
struct TargetSet {
  std::vector<std::string> unit_paths;  // empty targets: the owner's path
  std::vector<std::int64_t> group_ids;
  std::vector<std::string> group_paths;  // the groups' units, for cheap relation tests
  std::set<std::string> group_devices;

  bool covers(const Device& d) const {
    return group_devices.contains(d.id) ||
           std::any_of(unit_paths.begin(), unit_paths.end(),
                       [&](const std::string& p) { return d.unit_path.rfind(p, 0) == 0; });
  }
  // Whether any device could be in both sets (a necessary condition, no store access).
  bool may_share_devices(const TargetSet& o) const {
    auto all = [](const TargetSet& t) {
      std::vector<std::string> v = t.unit_paths;
      v.insert(v.end(), t.group_paths.begin(), t.group_paths.end());
      return v;
    };
    for (const auto& a : all(*this)) {
      for (const auto& b : all(o)) {
        if (path_related(a, b)) return true;
      }
    }
    return false;
  }
  // Whether the set reaches the unit at `path` (from above or from inside).
  bool concerns(const std::string& path) const { return may_share_devices({{path}, {}, {}, {}}); }
};

// The targets of a programme (empty targets: the owner's subtree). Units and groups that no
// longer exist are ignored.
Result<TargetSet> targets_of(Resolver& r, const Programme& prog);

}  // namespace nguon::schedule
