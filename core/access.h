// Who may do what where. A role granted on a unit holds for the unit's whole subtree; a user
// also sees the chain of units above their grants (to navigate), but never a sibling subtree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"

namespace nguon::access {

std::string_view role_name(Role role);  // "admin", "editor", "station_operator"…
std::optional<Role> parse_role(std::string_view name);
const std::vector<Role>& all_roles();

// A grant with its unit's path resolved, so checks need no store round trip.
struct ScopedGrant {
  Role role = Role::kViewer;
  std::string unit_code;
  std::string unit_path;
};

// The authenticated caller of a request.
struct Principal {
  std::int64_t user_id = 0;
  std::string username;
  std::string unit_code;
  std::vector<ScopedGrant> grants;
  bool via_token = false;  // bearer API token (no CSRF) rather than a browser session
  // Set after an admin reset: until the user picks a new password, the API allows only
  // reading their own account, changing the password and logging out.
  bool must_change_password = false;
};

// True when `p` holds `role` on `unit_path` or one of its ancestors.
bool has_role(const Principal& p, Role role, std::string_view unit_path);

// True when `p` holds any role on `unit_path` or an ancestor (may read it).
bool can_read(const Principal& p, std::string_view unit_path);

// True when `unit_path` is an ancestor of one of p's grants (visible only to navigate).
bool is_above_grants(const Principal& p, std::string_view unit_path);

// The deepest common scope under which `p` may read everything: used to narrow listings.
// Returns the paths of all grant roots (duplicates and nested ones removed).
std::vector<std::string> read_roots(const Principal& p);

// Roots where `p` holds `role` (nested ones removed).
std::vector<std::string> role_roots(const Principal& p, Role role);

}  // namespace nguon::access
