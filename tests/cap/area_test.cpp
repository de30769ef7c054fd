// Area geometry (core/alerts/area.h): polygon validity, point in polygon on a polygon around
// Thanh Hóa city, circles by haversine, and areas mapped to devices by position and by "VN-ADM"
// geocode (Thanh Hóa is province 38; Phường Hạc Thành, its centre, is commune 14797).
#include "core/alerts/area.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>

namespace nguon::alerts {
namespace {

std::vector<GeoPoint> square(double lat, double lon, double side) {
  return {{lat, lon}, {lat, lon + side}, {lat + side, lon + side}, {lat + side, lon}, {lat, lon}};
}

// An irregular hexagon around Thanh Hóa city (≈ 19.81 N, 105.78 E), west of the coast.
std::vector<GeoPoint> thanh_hoa() {
  return {{19.92, 105.72}, {19.88, 105.84}, {19.80, 105.88}, {19.72, 105.84},
          {19.74, 105.70}, {19.84, 105.66}, {19.92, 105.72}};
}

constexpr GeoPoint kThanhHoaCity{19.8075, 105.7764};
constexpr GeoPoint kSamSonBeach{19.7350, 105.9050};
constexpr GeoPoint kHanoi{21.0285, 105.8542};
constexpr GeoPoint kHoChiMinhCity{10.8231, 106.6297};
constexpr GeoPoint kVinh{18.6796, 105.6813};

TEST(Polygon, ValidRingsPass) {
  EXPECT_TRUE(validate_polygon(square(10, 100, 1)).ok());
  EXPECT_TRUE(validate_polygon(thanh_hoa()).ok());
  // A triangle, and a ring with a repeated point (real feeds have them).
  EXPECT_TRUE(validate_polygon({{0, 0}, {0, 1}, {1, 0}, {0, 0}}).ok());
  EXPECT_TRUE(validate_polygon({{0, 0}, {0, 1}, {0, 1}, {1, 1}, {1, 0}, {0, 0}}).ok());
  // A concave ring (a "C").
  EXPECT_TRUE(
      validate_polygon({{0, 0}, {0, 3}, {1, 3}, {1, 1}, {2, 1}, {2, 3}, {3, 3}, {3, 0}, {0, 0}})
          .ok());
}

TEST(Polygon, BowTieIsSelfIntersecting) {
  const auto st = validate_polygon({{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "cap_semantic");
  EXPECT_NE(st.error().message.find("self-intersecting"), std::string::npos);
}

TEST(Polygon, TouchingAndFoldingRingsAreRejected) {
  // A vertex lying on a non-adjacent edge.
  EXPECT_FALSE(validate_polygon({{0, 0}, {0, 2}, {1, 0}, {2, 2}, {2, 0}, {0, 0}}).ok());
  EXPECT_FALSE(validate_polygon({{0, 0}, {0, 4}, {2, 4}, {0, 2}, {-2, 4}, {-2, 0}, {0, 0}}).ok());
  // A spike going back over its own edge.
  EXPECT_FALSE(validate_polygon({{0, 0}, {0, 2}, {0, 1}, {1, 1}, {0, 0}}).ok());
  // All points on one line.
  EXPECT_FALSE(validate_polygon({{0, 0}, {0, 1}, {0, 2}, {0, 0}}).ok());
  // The same vertex visited twice.
  EXPECT_FALSE(validate_polygon({{0, 0}, {0, 2}, {1, 1}, {2, 2}, {2, 0}, {1, 1}, {0, 0}}).ok());
}

TEST(Polygon, UnclosedShortAndOutOfRangeRingsAreRejected) {
  auto st = validate_polygon({{0, 0}, {0, 1}, {1, 1}, {1, 0}});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("not closed"), std::string::npos);
  EXPECT_FALSE(validate_polygon({{0, 0}, {0, 1}, {0, 0}}).ok());
  EXPECT_FALSE(validate_polygon({}).ok());
  EXPECT_FALSE(validate_polygon({{0, 0}, {0, 0}, {0, 0}, {0, 0}}).ok());
  EXPECT_FALSE(validate_polygon({{0, 0}, {0, 181}, {1, 1}, {0, 0}}).ok());
  EXPECT_FALSE(validate_polygon({{0, 0}, {91, 1}, {1, 1}, {0, 0}}).ok());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(validate_polygon({{0, 0}, {nan, 1}, {1, 1}, {0, 0}}).ok());
}

TEST(Polygon, TooManyPointsAreRejected) {
  // A regular polygon (a circle of points): valid up to the limit, refused past it.
  auto ring = [](std::size_t n) {
    std::vector<GeoPoint> r;
    for (std::size_t i = 0; i < n; ++i) {
      const double a = 2 * 3.141592653589793 * static_cast<double>(i) / static_cast<double>(n);
      r.push_back({19.8 + 0.1 * std::sin(a), 105.78 + 0.1 * std::cos(a)});
    }
    r.push_back(r.front());
    return r;
  };
  EXPECT_TRUE(validate_polygon(ring(kMaxPolygonPoints - 1)).ok());
  const auto st = validate_polygon(ring(kMaxPolygonPoints));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("more than 1000"), std::string::npos);
}

TEST(Polygon, PointInPolygonAroundThanhHoa) {
  const auto ring = thanh_hoa();
  EXPECT_TRUE(point_in_polygon(kThanhHoaCity, ring));
  EXPECT_TRUE(point_in_polygon({19.75, 105.72}, ring));
  EXPECT_FALSE(point_in_polygon(kSamSonBeach, ring));
  EXPECT_FALSE(point_in_polygon(kHanoi, ring));
  EXPECT_FALSE(point_in_polygon(kVinh, ring));
  // Inside the bounding box but outside the hexagon (its north-east corner is cut).
  EXPECT_FALSE(point_in_polygon({19.91, 105.87}, ring));
  // The hole of a concave "C" is outside.
  const std::vector<GeoPoint> c{{0, 0}, {0, 3}, {1, 3}, {1, 1}, {2, 1},
                                {2, 3}, {3, 3}, {3, 0}, {0, 0}};
  EXPECT_TRUE(point_in_polygon({0.5, 2}, c));
  EXPECT_FALSE(point_in_polygon({1.5, 2}, c));
  EXPECT_TRUE(point_in_polygon({1.5, 0.5}, c));
}

TEST(Circle, HaversineDistances) {
  EXPECT_NEAR(distance_km(kHanoi, kHoChiMinhCity), 1137, 5);
  EXPECT_NEAR(distance_km({0, 0}, {1, 0}), 111.2, 0.1);
  EXPECT_DOUBLE_EQ(distance_km(kHanoi, kHanoi), 0);
  EXPECT_NEAR(distance_km({0, 0}, {0, 180}), 3.141592653589793 * kEarthRadiusKm, 1e-6);
}

TEST(Circle, ValidityAndMembership) {
  EXPECT_TRUE(validate_circle({kThanhHoaCity, 10}).ok());
  EXPECT_FALSE(validate_circle({kThanhHoaCity, 0}).ok());
  EXPECT_FALSE(validate_circle({kThanhHoaCity, -1}).ok());
  EXPECT_FALSE(validate_circle({kThanhHoaCity, std::numeric_limits<double>::infinity()}).ok());
  EXPECT_FALSE(validate_circle({{95, 0}, 1}).ok());
  const CapCircle around_city{kThanhHoaCity, 20};
  EXPECT_TRUE(point_in_circle(kThanhHoaCity, around_city));
  EXPECT_TRUE(point_in_circle(kSamSonBeach, around_city));  // ≈ 15.6 km east-south-east
  EXPECT_FALSE(point_in_circle(kVinh, around_city));
  EXPECT_FALSE(point_in_circle(kSamSonBeach, {kThanhHoaCity, 10}));
}

Device device(std::string id, std::string unit_path, std::optional<GeoPoint> at = std::nullopt) {
  Device d;
  d.id = std::move(id);
  d.unit_path = std::move(unit_path);
  d.status = DeviceStatus::kProvisioned;
  if (at) {
    d.lat = at->lat;
    d.lon = at->lon;
  }
  return d;
}

class Targets : public ::testing::Test {
 protected:
  std::vector<Device> devices{
      device("d0000000000000001", "VN/38/14797/", kThanhHoaCity),  // Hạc Thành, in the city
      device("d0000000000000002", "VN/38/14797/"),                 // Hạc Thành, no position
      device("d0000000000000003", "VN/38/14758/"),                 // Hàm Rồng
      device("d0000000000000004", "VN/38/14797/V001/"),            // a village of Hạc Thành
      device("d0000000000000005", "VN/40/16681/", kVinh),          // Vinh, Nghệ An
      device("d0000000000000006", "VN/38/14812/", kSamSonBeach),   // position only counts
  };
  UnitPathLookup lookup = [](std::string_view code) -> std::optional<std::string> {
    static const std::map<std::string, std::string, std::less<>> kPaths{{"38", "VN/38/"},
                                                                        {"40", "VN/40/"},
                                                                        {"14797", "VN/38/14797/"},
                                                                        {"14758", "VN/38/14758/"},
                                                                        {"16681", "VN/40/16681/"}};
    const auto it = kPaths.find(code);
    if (it == kPaths.end()) return std::nullopt;
    return it->second;
  };
  using Ids = std::vector<std::string>;
};

TEST_F(Targets, CommuneGeocode) {
  CapArea area{.area_desc = "Phường Hạc Thành", .geocodes = {{"VN-ADM", "14797"}}};
  EXPECT_EQ(resolve_targets(area, devices, lookup),
            (Ids{"d0000000000000001", "d0000000000000002", "d0000000000000004"}));
}

TEST_F(Targets, ProvinceGeocodeAnyCaseAndTrimmed) {
  CapArea area{.area_desc = "Tỉnh Thanh Hóa", .geocodes = {{" vn-adm ", " 38\n"}}};
  EXPECT_EQ(resolve_targets(area, devices, lookup),
            (Ids{"d0000000000000001", "d0000000000000002", "d0000000000000003", "d0000000000000004",
                 "d0000000000000006"}));
  EXPECT_EQ(admin_geocodes(area), (Ids{"38"}));
}

TEST_F(Targets, UnknownGeocodesMapToNothing) {
  CapArea other_scheme{.area_desc = "x", .geocodes = {{"SAME", "14797"}, {"FIPS6", "38"}}};
  EXPECT_TRUE(resolve_targets(other_scheme, devices, lookup).empty());
  CapArea unknown_code{.area_desc = "x", .geocodes = {{"VN-ADM", "99999"}, {"VN-ADM", ""}}};
  EXPECT_TRUE(resolve_targets(unknown_code, devices, lookup).empty());
  EXPECT_TRUE(resolve_targets(CapArea{.area_desc = "nothing"}, devices, lookup).empty());
  // Without a lookup, geocodes resolve to nothing.
  EXPECT_TRUE(
      resolve_targets(CapArea{.area_desc = "x", .geocodes = {{"VN-ADM", "38"}}}, devices, {})
          .empty());
}

TEST_F(Targets, PolygonsAndCirclesByPosition) {
  CapArea polygon{.area_desc = "TP Thanh Hóa", .polygons = {thanh_hoa()}};
  EXPECT_EQ(resolve_targets(polygon, devices, lookup), (Ids{"d0000000000000001"}));
  CapArea circle{.area_desc = "20 km", .circles = {{kThanhHoaCity, 20}}};
  EXPECT_EQ(resolve_targets(circle, devices, lookup),
            (Ids{"d0000000000000001", "d0000000000000006"}));
  // Union of shapes and geocodes, each device once.
  CapArea mixed{.area_desc = "mixed",
                .polygons = {thanh_hoa()},
                .circles = {{kVinh, 5}},
                .geocodes = {{"VN-ADM", "14797"}, {"VN-ADM", "14797"}}};
  EXPECT_EQ(
      resolve_targets(mixed, devices, lookup),
      (Ids{"d0000000000000001", "d0000000000000002", "d0000000000000004", "d0000000000000005"}));
}

TEST_F(Targets, DecommissionedDevicesAreNeverTargeted) {
  devices[0].status = DeviceStatus::kDecommissioned;
  CapArea area{.area_desc = "x", .polygons = {thanh_hoa()}, .geocodes = {{"VN-ADM", "14797"}}};
  EXPECT_EQ(resolve_targets(area, devices, lookup),
            (Ids{"d0000000000000002", "d0000000000000004"}));
}

TEST_F(Targets, WholeAlertIsTheUnionOfItsAreas) {
  CapAlert alert;
  alert.infos.resize(2);
  alert.infos[0].areas.push_back({.area_desc = "a", .geocodes = {{"VN-ADM", "14758"}}});
  alert.infos[1].areas.push_back({.area_desc = "b", .geocodes = {{"VN-ADM", "40"}}});
  alert.infos[1].areas.push_back({.area_desc = "c", .geocodes = {{"VN-ADM", "14758"}}});
  EXPECT_EQ(resolve_targets(alert, devices, lookup),
            (Ids{"d0000000000000003", "d0000000000000005"}));
}

TEST(Expiry, LatestExpiryOverInfos) {
  CapAlert alert;
  EXPECT_FALSE(latest_expiry(alert).has_value());
  alert.infos.resize(2);
  alert.infos[0].expires = 100;
  alert.infos[1].expires = 200;
  EXPECT_EQ(latest_expiry(alert), 200);
  EXPECT_FALSE(is_expired(alert, 199));
  EXPECT_TRUE(is_expired(alert, 200));
  alert.infos[1].expires = 0;  // an info without expiry never expires
  EXPECT_FALSE(latest_expiry(alert).has_value());
  EXPECT_FALSE(is_expired(alert, 1'000'000));
}

}  // namespace
}  // namespace nguon::alerts
