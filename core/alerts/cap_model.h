// Records of an OASIS CAP 1.2 alert (Common Alerting Protocol, issue 6): what the CAP parser
// (adapters/cap/cap_parser.h) produces and the CAP writer consumes. Times are Unix seconds taken
// from CAP's zone-bearing dateTime ("2026-10-05T14:30:00+07:00"); 0 means "absent" for the
// optional ones. No behaviour beyond small queries; area geometry is core/alerts/area.h.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"

namespace nguon::alerts {

enum class CapStatus { kActual, kExercise, kSystem, kTest, kDraft };
enum class CapMsgType { kAlert, kUpdate, kCancel, kAck, kError };
enum class CapScope { kPublic, kRestricted, kPrivate };

// A <references> entry: "sender,identifier,sent".
struct CapReference {
  std::string sender;
  std::string identifier;
  UnixTime sent = 0;
  friend bool operator==(const CapReference&, const CapReference&) = default;
};

// <parameter>, <eventCode>, <geocode>: a (valueName, value) pair.
struct CapValue {
  std::string value_name;
  std::string value;
  friend bool operator==(const CapValue&, const CapValue&) = default;
};

struct GeoPoint {
  double lat = 0;  // WGS 84 degrees, -90..90
  double lon = 0;  // WGS 84 degrees, -180..180
  friend bool operator==(const GeoPoint&, const GeoPoint&) = default;
};

struct CapCircle {
  GeoPoint centre;
  double radius_km = 0;
  friend bool operator==(const CapCircle&, const CapCircle&) = default;
};

struct CapArea {
  std::string area_desc;
  std::vector<std::vector<GeoPoint>> polygons;  // closed rings: first point == last point
  std::vector<CapCircle> circles;
  std::vector<CapValue> geocodes;  // Nguồn's convention: valueName "VN-ADM" (core/alerts/area.h)
  std::optional<double> altitude;  // feet above mean sea level, as CAP says
  std::optional<double> ceiling;
  friend bool operator==(const CapArea&, const CapArea&) = default;
};

struct CapResource {
  std::string resource_desc;
  std::string mime_type;
  std::optional<long long> size;
  std::string uri;
  std::string digest;
  friend bool operator==(const CapResource&, const CapResource&) = default;
};

struct CapInfo {
  std::string language;                 // empty: CAP's default "en-US"
  std::vector<std::string> categories;  // Geo, Met, Safety, … (at least one)
  std::string event;
  std::vector<std::string> response_types;  // Shelter, Evacuate, …
  std::string urgency;                      // Immediate, Expected, Future, Past, Unknown
  std::string severity;                     // Extreme, Severe, Moderate, Minor, Unknown
  std::string certainty;                    // Observed, Likely, Possible, Unlikely, Unknown
  std::string audience;
  std::vector<CapValue> event_codes;
  UnixTime effective = 0;  // 0: absent (CAP: the alert's `sent`)
  UnixTime onset = 0;      // 0: absent
  UnixTime expires = 0;    // 0: absent (no expiry given)
  std::string sender_name;
  std::string headline;
  std::string description;
  std::string instruction;
  std::string web;
  std::string contact;
  std::vector<CapValue> parameters;
  std::vector<CapResource> resources;
  std::vector<CapArea> areas;
  friend bool operator==(const CapInfo&, const CapInfo&) = default;
};

struct CapAlert {
  std::string identifier;
  std::string sender;
  UnixTime sent = 0;
  CapStatus status = CapStatus::kActual;
  CapMsgType msg_type = CapMsgType::kAlert;
  std::string source;
  CapScope scope = CapScope::kPublic;
  std::string restriction;  // Restricted scope
  std::string addresses;    // Private scope
  std::vector<std::string> codes;
  std::string note;
  std::vector<CapReference> references;  // what an Update, Cancel, Ack or Error refers to
  std::string incidents;
  std::vector<CapInfo> infos;
  friend bool operator==(const CapAlert&, const CapAlert&) = default;
};

inline const char* to_string(CapStatus s) {
  switch (s) {
    case CapStatus::kActual:
      return "Actual";
    case CapStatus::kExercise:
      return "Exercise";
    case CapStatus::kSystem:
      return "System";
    case CapStatus::kTest:
      return "Test";
    case CapStatus::kDraft:
      return "Draft";
  }
  return "Actual";
}
inline const char* to_string(CapMsgType t) {
  switch (t) {
    case CapMsgType::kAlert:
      return "Alert";
    case CapMsgType::kUpdate:
      return "Update";
    case CapMsgType::kCancel:
      return "Cancel";
    case CapMsgType::kAck:
      return "Ack";
    case CapMsgType::kError:
      return "Error";
  }
  return "Alert";
}
inline const char* to_string(CapScope s) {
  switch (s) {
    case CapScope::kPublic:
      return "Public";
    case CapScope::kRestricted:
      return "Restricted";
    case CapScope::kPrivate:
      return "Private";
  }
  return "Public";
}

// The latest <expires> over the infos, or nullopt when some info has none (that info does not
// expire) or there is no info at all. An alert is expired at `now` when this is <= now.
inline std::optional<UnixTime> latest_expiry(const CapAlert& alert) {
  if (alert.infos.empty()) return std::nullopt;
  UnixTime latest = 0;
  for (const CapInfo& info : alert.infos) {
    if (info.expires == 0) return std::nullopt;
    latest = std::max(latest, info.expires);
  }
  return latest;
}

inline bool is_expired(const CapAlert& alert, UnixTime now) {
  const auto expiry = latest_expiry(alert);
  return expiry.has_value() && *expiry <= now;
}

}  // namespace nguon::alerts
