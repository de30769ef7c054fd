#include "core/access.h"

#include <algorithm>

namespace nguon::access {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::vector<std::string> outermost(std::vector<std::string> paths) {
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> out;
  for (auto& p : paths) {
    if (out.empty() || !starts_with(p, out.back())) out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

const std::vector<Role>& all_roles() {
  static const std::vector<Role> kRoles = {
      Role::kAdmin,           Role::kEditor,       Role::kApprover, Role::kStationOperator,
      Role::kFeedbackHandler, Role::kPropagandist, Role::kViewer};
  return kRoles;
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kEditor:
      return "editor";
    case Role::kApprover:
      return "approver";
    case Role::kStationOperator:
      return "station_operator";
    case Role::kFeedbackHandler:
      return "feedback_handler";
    case Role::kPropagandist:
      return "propagandist";
    case Role::kViewer:
      return "viewer";
  }
  return "unknown";
}

std::optional<Role> parse_role(std::string_view name) {
  for (Role r : all_roles()) {
    if (role_name(r) == name) return r;
  }
  return std::nullopt;
}

bool has_role(const Principal& p, Role role, std::string_view unit_path) {
  return std::any_of(p.grants.begin(), p.grants.end(), [&](const ScopedGrant& g) {
    return g.role == role && starts_with(unit_path, g.unit_path);
  });
}

bool can_read(const Principal& p, std::string_view unit_path) {
  return std::any_of(p.grants.begin(), p.grants.end(),
                     [&](const ScopedGrant& g) { return starts_with(unit_path, g.unit_path); });
}

bool is_above_grants(const Principal& p, std::string_view unit_path) {
  return std::any_of(p.grants.begin(), p.grants.end(), [&](const ScopedGrant& g) {
    return g.unit_path.size() > unit_path.size() && starts_with(g.unit_path, unit_path);
  });
}

std::vector<std::string> read_roots(const Principal& p) {
  std::vector<std::string> paths;
  for (const auto& g : p.grants) paths.push_back(g.unit_path);
  return outermost(std::move(paths));
}

std::vector<std::string> role_roots(const Principal& p, Role role) {
  std::vector<std::string> paths;
  for (const auto& g : p.grants) {
    if (g.role == role) paths.push_back(g.unit_path);
  }
  return outermost(std::move(paths));
}

}  // namespace nguon::access
