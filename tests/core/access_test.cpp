#include "core/access.h"

#include <gtest/gtest.h>

namespace nguon::access {
namespace {

Principal commune_editor() {
  Principal p;
  p.grants.push_back({Role::kEditor, "14797", "VN/38/14797/"});
  return p;
}

TEST(Access, RolesHoldForTheSubtree) {
  Principal p = commune_editor();
  EXPECT_TRUE(has_role(p, Role::kEditor, "VN/38/14797/"));
  EXPECT_TRUE(has_role(p, Role::kEditor, "VN/38/14797/14797-001/"));
  EXPECT_FALSE(has_role(p, Role::kEditor, "VN/38/"));
  EXPECT_FALSE(has_role(p, Role::kEditor, "VN/38/16597/"));
  EXPECT_FALSE(has_role(p, Role::kAdmin, "VN/38/14797/"));
}

TEST(Access, CodePrefixesAreNotPathPrefixes) {
  // "VN/38/147/" must not contain "VN/38/14797/": paths end in '/' for that reason.
  Principal p;
  p.grants.push_back({Role::kAdmin, "14", "VN/14/"});
  EXPECT_FALSE(can_read(p, "VN/148/"));
}

TEST(Access, AncestorsAreNavigableButNotReadable) {
  Principal p = commune_editor();
  EXPECT_TRUE(is_above_grants(p, "VN/"));
  EXPECT_TRUE(is_above_grants(p, "VN/38/"));
  EXPECT_FALSE(is_above_grants(p, "VN/01/"));
  EXPECT_FALSE(can_read(p, "VN/38/"));
  EXPECT_FALSE(is_above_grants(p, "VN/38/14797/"));
}

TEST(Access, RootsDropNestedGrants) {
  Principal p;
  p.grants.push_back({Role::kViewer, "38", "VN/38/"});
  p.grants.push_back({Role::kEditor, "14797", "VN/38/14797/"});
  p.grants.push_back({Role::kAdmin, "01", "VN/01/"});
  EXPECT_EQ(read_roots(p), (std::vector<std::string>{"VN/01/", "VN/38/"}));
  EXPECT_EQ(role_roots(p, Role::kEditor), (std::vector<std::string>{"VN/38/14797/"}));
}

TEST(Access, RoleNamesRoundTrip) {
  for (Role r : all_roles()) EXPECT_EQ(parse_role(role_name(r)), r);
  EXPECT_FALSE(parse_role("root"));
}

}  // namespace
}  // namespace nguon::access
