#include "core/schedule/targets.h"

namespace nguon::schedule {

bool path_related(std::string_view a, std::string_view b) {
  return a.substr(0, b.size()) == b || b.substr(0, a.size()) == a;
}

Result<TargetSet> targets_of(Resolver& r, const Programme& prog) {
  TargetSet t;
  for (const std::string& code : prog.target_units) {
    auto u = r.unit(code);
    if (!u) return u.error();
    if (u.value()) t.unit_paths.push_back(u.value()->path);
  }
  for (std::int64_t id : prog.target_groups) {
    auto g = r.group(id);
    if (!g) return g.error();
    if (!g.value()) continue;
    t.group_ids.push_back(id);
    t.group_paths.push_back(g.value()->unit_path);
    t.group_devices.insert(g.value()->device_ids.begin(), g.value()->device_ids.end());
  }
  if (prog.target_units.empty() && prog.target_groups.empty()) {
    t.unit_paths.push_back(prog.owner_path);
  }
  return t;
}

}  // namespace nguon::schedule
