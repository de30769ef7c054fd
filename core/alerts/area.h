// Geometry of CAP <area> elements and their mapping to devices (issue 6). Pure computation on
// WGS 84 degrees: polygons are treated in the plane of (lon, lat), which is exact enough for areas
// the size of a province and wrong across the antimeridian (Vietnam is far from it).
//
// Geocode convention (docs/cap.md): a <geocode> whose valueName is "VN-ADM" (compared ignoring
// case, so "vn-adm" too) carries an official administrative unit code as value: 2 digits for a
// province, 5 for a commune; villages by their Nguồn code. Every device whose unit_path lies under
// that unit is targeted. Geocodes with any other valueName are ignored (not an error), so an area
// described only by unrecognised geocodes maps to no device.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/alerts/cap_model.h"
#include "core/devices_model.h"
#include "core/result.h"

namespace nguon::alerts {

// Past this many points a polygon is refused (the self-intersection test is O(n²)).
inline constexpr std::size_t kMaxPolygonPoints = 1000;
inline constexpr double kEarthRadiusKm = 6371.0088;  // mean radius (IUGG)
inline constexpr std::string_view kAdminGeocodeName = "VN-ADM";

// True when -90 <= lat <= 90 and -180 <= lon <= 180 (and both are finite).
bool valid_point(const GeoPoint& p);

// A CAP polygon: a closed ring (first point == last point) of at least 4 points, at most
// kMaxPolygonPoints, with valid coordinates, at least 3 distinct vertices, and no
// self-intersection (two edges crossing or touching other than consecutive edges at their shared
// vertex, or consecutive edges folding back over each other). Repeated consecutive points are
// tolerated. Errors are invalid("cap_semantic", reason).
Status validate_polygon(const std::vector<GeoPoint>& ring);

// A circle with a valid centre and 0 < radius_km <= 20,000. invalid("cap_semantic", …) else.
Status validate_circle(const CapCircle& circle);

// Ray casting in the (lon, lat) plane; points exactly on an edge may fall either way.
bool point_in_polygon(const GeoPoint& p, const std::vector<GeoPoint>& ring);

// Great-circle distance (haversine) in kilometres.
double distance_km(const GeoPoint& a, const GeoPoint& b);
bool point_in_circle(const GeoPoint& p, const CapCircle& circle);

// True when the point lies inside any polygon or circle of the area.
bool area_contains(const CapArea& area, const GeoPoint& p);

// The values of the area's geocodes following Nguồn's convention (valueName "VN-ADM", any case),
// trimmed, in document order.
std::vector<std::string> admin_geocodes(const CapArea& area);

// Maps an administrative unit code ("38", "14797") to that unit's path ("VN/38/14797/"), or
// nullopt for an unknown code.
using UnitPathLookup = std::function<std::optional<std::string>(std::string_view code)>;

// The ids of the devices the area targets, sorted and unique: devices with coordinates inside
// any polygon or circle, and devices whose unit_path lies under a unit named by a "VN-ADM"
// geocode. Decommissioned devices are never targeted.
std::vector<std::string> resolve_targets(const CapArea& area, const std::vector<Device>& devices,
                                         const UnitPathLookup& unit_path_of);

// The union of resolve_targets over every area of every info of the alert.
std::vector<std::string> resolve_targets(const CapAlert& alert, const std::vector<Device>& devices,
                                         const UnitPathLookup& unit_path_of);

}  // namespace nguon::alerts
