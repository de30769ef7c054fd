#include "core/alerts/area.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numbers>

namespace nguon::alerts {
namespace {

// Cross product of (b - a) and (c - a) in the (lon, lat) plane: > 0 when c is left of a→b.
double cross(const GeoPoint& a, const GeoPoint& b, const GeoPoint& c) {
  return (b.lon - a.lon) * (c.lat - a.lat) - (b.lat - a.lat) * (c.lon - a.lon);
}

int sign(double v) { return (v > 0) - (v < 0); }

// c lies on the segment a-b, given that a, b, c are collinear.
bool on_segment(const GeoPoint& a, const GeoPoint& b, const GeoPoint& c) {
  return std::min(a.lon, b.lon) <= c.lon && c.lon <= std::max(a.lon, b.lon) &&
         std::min(a.lat, b.lat) <= c.lat && c.lat <= std::max(a.lat, b.lat);
}

// Closed segments p1-p2 and q1-q2 share at least one point.
bool segments_intersect(const GeoPoint& p1, const GeoPoint& p2, const GeoPoint& q1,
                        const GeoPoint& q2) {
  const int d1 = sign(cross(q1, q2, p1));
  const int d2 = sign(cross(q1, q2, p2));
  const int d3 = sign(cross(p1, p2, q1));
  const int d4 = sign(cross(p1, p2, q2));
  if (d1 * d2 < 0 && d3 * d4 < 0) return true;
  return (d1 == 0 && on_segment(q1, q2, p1)) || (d2 == 0 && on_segment(q1, q2, p2)) ||
         (d3 == 0 && on_segment(p1, p2, q1)) || (d4 == 0 && on_segment(p1, p2, q2));
}

double radians(double deg) { return deg * std::numbers::pi / 180.0; }

bool is_admin_geocode(std::string_view name) {
  if (name.size() != kAdminGeocodeName.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(name[i])) != kAdminGeocodeName[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

bool valid_point(const GeoPoint& p) {
  return std::isfinite(p.lat) && std::isfinite(p.lon) && p.lat >= -90 && p.lat <= 90 &&
         p.lon >= -180 && p.lon <= 180;
}

Status validate_polygon(const std::vector<GeoPoint>& ring) {
  if (ring.size() < 4) return invalid("cap_semantic", "a polygon needs at least 4 points");
  if (ring.size() > kMaxPolygonPoints) {
    return invalid("cap_semantic",
                   "a polygon has more than " + std::to_string(kMaxPolygonPoints) + " points");
  }
  for (const GeoPoint& p : ring) {
    if (!valid_point(p)) return invalid("cap_semantic", "a polygon point is out of range");
  }
  if (ring.front() != ring.back()) {
    return invalid("cap_semantic", "a polygon ring is not closed (first point != last point)");
  }
  // Vertices without repeated consecutive points; the closing point is left out.
  std::vector<GeoPoint> v;
  v.reserve(ring.size());
  for (std::size_t i = 0; i + 1 < ring.size(); ++i) {
    if (v.empty() || v.back() != ring[i]) v.push_back(ring[i]);
  }
  while (v.size() > 1 && v.back() == v.front()) v.pop_back();
  if (v.size() < 3) return invalid("cap_semantic", "a polygon has fewer than 3 distinct points");
  const std::size_t n = v.size();  // edges: i → (i + 1) % n
  for (std::size_t i = 0; i < n; ++i) {
    const GeoPoint& a = v[i];
    const GeoPoint& b = v[(i + 1) % n];
    // The next edge b → c must not fold back over a → b.
    const GeoPoint& c = v[(i + 2) % n];
    if (sign(cross(a, b, c)) == 0 &&
        (a.lon - b.lon) * (c.lon - b.lon) + (a.lat - b.lat) * (c.lat - b.lat) > 0) {
      return invalid("cap_semantic", "a polygon is self-intersecting (edges overlap)");
    }
    for (std::size_t j = i + 2; j < n; ++j) {
      if (i == 0 && j == n - 1) continue;  // the last edge ends where the first begins
      if (segments_intersect(a, b, v[j], v[(j + 1) % n])) {
        return invalid("cap_semantic", "a polygon is self-intersecting");
      }
    }
  }
  return {};
}

Status validate_circle(const CapCircle& circle) {
  if (!valid_point(circle.centre))
    return invalid("cap_semantic", "a circle centre is out of range");
  if (!std::isfinite(circle.radius_km) || circle.radius_km <= 0) {
    return invalid("cap_semantic", "a circle radius must be greater than 0");
  }
  if (circle.radius_km > 20000) return invalid("cap_semantic", "a circle radius is too large");
  return {};
}

bool point_in_polygon(const GeoPoint& p, const std::vector<GeoPoint>& ring) {
  bool inside = false;
  const std::size_t n = ring.size();
  for (std::size_t i = 0, j = n - 1; i < n; j = i++) {
    const GeoPoint& a = ring[i];
    const GeoPoint& b = ring[j];
    if ((a.lat > p.lat) != (b.lat > p.lat) &&
        p.lon < (b.lon - a.lon) * (p.lat - a.lat) / (b.lat - a.lat) + a.lon) {
      inside = !inside;
    }
  }
  return inside;
}

double distance_km(const GeoPoint& a, const GeoPoint& b) {
  const double dlat = radians(b.lat - a.lat);
  const double dlon = radians(b.lon - a.lon);
  const double h =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(radians(a.lat)) * std::cos(radians(b.lat)) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
}

bool point_in_circle(const GeoPoint& p, const CapCircle& circle) {
  return distance_km(p, circle.centre) <= circle.radius_km;
}

bool area_contains(const CapArea& area, const GeoPoint& p) {
  return std::any_of(area.polygons.begin(), area.polygons.end(),
                     [&](const auto& ring) { return point_in_polygon(p, ring); }) ||
         std::any_of(area.circles.begin(), area.circles.end(),
                     [&](const CapCircle& c) { return point_in_circle(p, c); });
}

std::vector<std::string> admin_geocodes(const CapArea& area) {
  std::vector<std::string> codes;
  for (const CapValue& g : area.geocodes) {
    if (!is_admin_geocode(trim(g.value_name))) continue;
    const std::string_view code = trim(g.value);
    if (!code.empty()) codes.emplace_back(code);
  }
  return codes;
}

std::vector<std::string> resolve_targets(const CapArea& area, const std::vector<Device>& devices,
                                         const UnitPathLookup& unit_path_of) {
  std::vector<std::string> paths;
  if (unit_path_of) {
    for (const std::string& code : admin_geocodes(area)) {
      if (auto path = unit_path_of(code); path && !path->empty()) paths.push_back(*path);
    }
  }
  std::vector<std::string> ids;
  for (const Device& d : devices) {
    if (d.status == DeviceStatus::kDecommissioned) continue;
    bool hit = std::any_of(paths.begin(), paths.end(), [&](const std::string& path) {
      return !d.unit_path.empty() && d.unit_path.starts_with(path);
    });
    if (!hit && d.lat && d.lon) hit = area_contains(area, {*d.lat, *d.lon});
    if (hit) ids.push_back(d.id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::vector<std::string> resolve_targets(const CapAlert& alert, const std::vector<Device>& devices,
                                         const UnitPathLookup& unit_path_of) {
  std::vector<std::string> ids;
  for (const CapInfo& info : alert.infos) {
    for (const CapArea& area : info.areas) {
      auto some = resolve_targets(area, devices, unit_path_of);
      ids.insert(ids.end(), some.begin(), some.end());
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace nguon::alerts
