#include "core/units.h"

#include <gtest/gtest.h>

namespace nguon::units {
namespace {

Unit commune() {
  Unit vn = make_unit("VN", nullptr, UnitLevel::kNation, "quốc gia", "Việt Nam");
  Unit p = make_unit("38", &vn, UnitLevel::kProvince, "tỉnh", "Tỉnh Thanh Hóa");
  return make_unit("14797", &p, UnitLevel::kCommune, "phường", "Phường Hạc Thành");
}

TEST(Units, PathsChainCodes) {
  Unit c = commune();
  EXPECT_EQ(c.path, "VN/38/14797/");
  EXPECT_EQ(c.parent_code, "38");
  EXPECT_EQ(c.fold, "phuong hac thanh");
}

TEST(Units, VillageCodesFollowTheHighestSibling) {
  Unit c = commune();
  auto first = make_village(c, {}, "Tổ dân phố Đông Hải", "tổ dân phố");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->code, "14797-001");
  EXPECT_EQ(first->path, "VN/38/14797/14797-001/");
  Unit other = first.value();
  other.code = "14797-007";
  other.fold = "x";
  auto next = make_village(c, {first.value(), other}, "Thôn Mới", "thôn");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->code, "14797-008");
}

TEST(Units, VillageRulesAreEnforced) {
  Unit c = commune();
  auto a = make_village(c, {}, "Thôn Một", "thôn").value();
  EXPECT_EQ(make_village(c, {a}, "thon mot", "thôn").error().code, "unit_exists");
  EXPECT_EQ(make_village(c, {}, "X", "quận").error().code, "invalid_field");
  EXPECT_EQ(make_village(a, {}, "X", "thôn").error().code, "not_a_commune");
}

TEST(Units, AncestorPathsAreTheStrictPrefixes) {
  EXPECT_EQ(ancestor_paths("VN/38/16597/"), (std::vector<std::string>{"VN/", "VN/38/"}));
  EXPECT_TRUE(ancestor_paths("VN/").empty());
}

TEST(Units, CodeShapes) {
  EXPECT_TRUE(is_well_formed_code("VN"));
  EXPECT_TRUE(is_well_formed_code("38"));
  EXPECT_TRUE(is_well_formed_code("14797"));
  EXPECT_TRUE(is_well_formed_code("14797-001"));
  EXPECT_FALSE(is_well_formed_code("../etc"));
  EXPECT_FALSE(is_well_formed_code("1479"));
  EXPECT_FALSE(is_well_formed_code("38' OR 1=1"));
  EXPECT_FALSE(is_well_formed_code(""));
}

}  // namespace
}  // namespace nguon::units
