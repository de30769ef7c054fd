// Records of the broadcast capability (issue 4): devices, groups, programmes (schedules),
// orders and play logs. Shared by the core services, the stores and the API; no behaviour here.
// The wire format between server and devices is core/protocol.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/bulletins_model.h"
#include "core/model.h"

namespace nguon {

enum class DeviceKind { kCluster, kBoard };  // loudspeaker cluster, electronic board
// registered → provisioned (credentials issued) → decommissioned (credentials revoked).
enum class DeviceStatus { kRegistered, kProvisioned, kDecommissioned };

struct Device {
  std::string id;  // protocol::valid_device_id: "d" + 16 hex
  DeviceKind kind = DeviceKind::kCluster;
  std::string name;
  std::string serial;  // unique among devices that are not decommissioned
  std::string imei;    // optional
  std::string vendor;
  std::string model;
  std::string firmware;
  std::string commune_code;  // the commune that owns it
  std::string village_code;  // optional: a village of that commune
  std::string unit_path;     // path of the village if set, else of the commune ("VN/38/14797/")
  std::optional<double> lat;
  std::optional<double> lon;
  int horns = 0;
  int watts = 0;
  DeviceStatus status = DeviceStatus::kRegistered;
  std::string secret_hash;     // SHA-256 hex of the device password (media fetch); empty if none
  int credential_version = 0;  // incremented at every (re)provisioning
  // Last reported state (from MQTT), kept for the dashboard and for offline queries.
  bool online = false;
  UnixTime last_seen = 0;
  std::string state_json;  // the last `state` message, verbatim (protocol::DeviceState)
  UnixTime created_at = 0;
  UnixTime updated_at = 0;
};

struct DeviceQuery {
  std::string within_path;  // devices whose unit_path starts with this
  std::optional<DeviceStatus> status;
  std::optional<bool> online;
  std::string text;  // substring of id, name, serial or imei ("" = any)
  std::optional<std::int64_t> group_id;
  size_t limit = 100;
  size_t offset = 0;
};

struct DeviceCounts {
  std::int64_t total = 0;  // not decommissioned
  std::int64_t online = 0;
  std::int64_t playing = 0;  // online and state_json reports something playing
  std::int64_t decommissioned = 0;
};

// A named set of devices of one commune (e.g. "cụm loa chợ"), addressable as area "g<id>".
struct DeviceGroup {
  std::int64_t id = 0;
  std::string unit_code;  // owner unit
  std::string unit_path;
  std::string name;
  std::vector<std::string> device_ids;
};

// A playlist entry as the operator chose it; compiled into protocol::PlayItem.
enum class ProgrammeItemKind { kBulletin, kMedia, kStream, kIntro, kOutro };
struct ProgrammeItem {
  ProgrammeItemKind kind = ProgrammeItemKind::kBulletin;
  std::int64_t bulletin_id = 0;  // kBulletin
  std::string sha256;            // kMedia
  std::string url;               // kStream
  std::int64_t duration_s = 0;   // kStream
  std::string title;
  std::int64_t duration_ms = 0;  // kMedia: its length when the caller knows it (0: unknown)
  friend bool operator==(const ProgrammeItem&, const ProgrammeItem&) = default;
};

// A recurring broadcast slot ("Bản tin sáng", 06:00–06:30 on weekdays) on some devices.
struct Programme {
  std::int64_t id = 0;
  std::string owner_unit;  // the unit that placed it (commune, province, VN)
  std::string owner_path;
  std::string name;
  Priority priority = Priority::kNormal;
  // Targets: units (whole subtrees, villages included), device groups. Empty = owner subtree.
  std::vector<std::string> target_units;
  std::vector<std::int64_t> target_groups;
  // Recurrence in Asia/Ho_Chi_Minh local time: RFC 5545 RRULE text ("FREQ=WEEKLY;BYDAY=MO,FR"),
  // empty for a single occurrence on `first_date`; `exdates` are skipped dates.
  std::string rrule;
  std::string first_date;            // "YYYY-MM-DD"
  std::string last_date;             // "YYYY-MM-DD" or "" (open-ended / as the RRULE says)
  std::vector<std::string> exdates;  // "YYYY-MM-DD"
  int start_minute = 0;              // minutes after local midnight, 0..1439
  int duration_minutes = 30;
  std::vector<ProgrammeItem> items;
  bool enabled = true;
  std::int64_t created_by = 0;
  UnixTime created_at = 0;
  UnixTime updated_at = 0;
};

// An immediate broadcast order (play now on areas/devices), kept for audit and stop.
struct BroadcastOrder {
  std::string id;  // "o<number>"
  std::string owner_unit;
  Priority priority = Priority::kNormal;
  std::vector<std::string> areas;  // protocol areas it was published to
  std::string payload_json;        // protocol::PlayOrder as sent
  std::int64_t created_by = 0;
  UnixTime created_at = 0;
  UnixTime stopped_at = 0;  // 0 while active
};

// One proof-of-play report, de-duplicated by (device_id, event_id).
struct PlayLog {
  std::int64_t id = 0;
  std::string device_id;
  std::string event_id;
  std::string type;  // protocol::event_type_name
  UnixTime ts = 0;
  std::string slot;
  std::string order;
  std::string sha256;
  std::string url;
  UnixTime started = 0;
  UnixTime ended = 0;
  std::string reason;
  std::string commune_code;  // copied from the device at ingestion, for per-commune totals
  std::string unit_path;
  UnixTime received_at = 0;
};

struct PlayLogQuery {
  std::string within_path;
  std::string device_id;  // "" = any
  UnixTime from = 0;
  UnixTime to = 0;                 // 0 = open
  std::vector<std::string> types;  // empty = any
  size_t limit = 100;
  size_t offset = 0;
  std::string order;  // reports of this broadcast order only; "" = any
};

// Broadcast seconds (sum of ended - started over `played` and `interrupted` reports).
struct AirtimeRow {
  std::string key;  // commune code or device id
  std::int64_t seconds = 0;
  std::int64_t plays = 0;
};

}  // namespace nguon
