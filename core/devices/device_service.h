// The broadcast capability's service (issue 4): the device registry (register, update, list,
// provision, decommission, CSV import), device groups, device commands, broadcast orders, the
// signed retained state (manifest, settings), and ingestion of what devices report.
//
// Scope: station operators (and admins) manage the devices of their subtree; anyone with a
// role reads them; a device, group or order outside the caller's scope is not_found, exactly
// as if it did not exist. Every change writes an audit entry in the same transaction.
//
// Messages to devices are signed (core/protocol.h) and published after the transaction that
// records them commits: a record never points at a message that was not meant to be sent, and
// a publish failure is reported (unavailable) with the record kept, so the operator can see
// and stop what was ordered.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/access.h"
#include "core/accounts.h"
#include "core/devices/ports.h"
#include "core/devices_model.h"
#include "core/ports.h"
#include "core/protocol.h"
#include "core/result.h"
#include "core/speech.h"
#include "core/store.h"

namespace nguon {

// Where provisioned devices connect and fetch media; written into every config bundle.
struct ProvisioningTarget {
  std::string broker_host;
  int broker_port = 1883;
  bool broker_tls = false;
  std::string media_base_url;  // e.g. "https://nguon.example.vn/api/v1/device-media"
};

// The registry fields an operator types (register, CSV import).
struct DeviceDraft {
  DeviceKind kind = DeviceKind::kCluster;
  std::string name;
  std::string serial;
  std::string imei;  // optional
  std::string vendor;
  std::string model;
  std::string firmware;
  std::string commune_code;
  std::string village_code;  // optional
  std::optional<double> lat;
  std::optional<double> lon;
  int horns = 0;
  int watts = 0;
};

// An update: only the fields present change. For lat/lon, an engaged empty optional clears.
struct DevicePatch {
  std::optional<DeviceKind> kind;
  std::optional<std::string> name, serial, imei, vendor, model, firmware, commune_code,
      village_code;
  std::optional<std::optional<double>> lat, lon;
  std::optional<int> horns, watts;
};

// A rejected field: which one, a machine code and an English message.
struct FieldError {
  std::string field;
  std::string code;
  std::string message;
};

// One rejected CSV row (row 1 is the first data row after the header; 0 is the file itself).
struct CsvRowError {
  size_t row = 0;
  std::string field;
  std::string code;
  std::string message;
};

struct ImportReport {
  size_t created = 0;
  std::vector<CsvRowError> errors;  // non-empty: nothing was imported
};

struct DeviceListQuery {
  std::string unit_code;  // "" = the caller's whole scope
  std::string text;
  std::optional<DeviceStatus> status;
  std::optional<bool> online;
  std::optional<std::int64_t> group_id;
  size_t limit = 100;
  size_t offset = 0;
};

struct DeviceListing {
  std::vector<Device> items;
  DeviceCounts counts;  // over the whole scope of the query, not only this page
};

struct ProvisionResult {
  Device device;
  protocol::Bundle bundle;  // holds the password: shown once, never stored
};

struct DeviceCommand {
  enum class Kind { kVolume, kPower, kReboot };
  Kind kind = Kind::kReboot;
  int volume = 0;  // kVolume: 0..100
  bool on = true;  // kPower
};

struct GroupDraft {
  std::string name;
  std::string unit_code;
  std::vector<std::string> device_ids;
};

struct GroupPatch {
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> device_ids;
};

// A broadcast as an operator asks for it. Items: kMedia (sha256), kBulletin (a published
// bulletin with audio), kStream (url, duration_s).
struct BroadcastRequest {
  std::vector<std::string> areas;  // unit codes (VN, provinces, communes, villages), "g<id>"
  Priority priority = Priority::kNormal;
  std::vector<ProgrammeItem> items;
  int repeat = 1;             // 1..20
  std::optional<int> volume;  // 0..100
};

// A broadcast ordered by a trusted server component on an authority's behalf (a CAP alert):
// no principal, so the caller must already have limited the targets to that authority's area.
struct SystemBroadcast {
  std::string owner_unit;
  std::vector<std::string> areas;       // unit codes: one publish each reaches the whole unit
  std::vector<std::string> device_ids;  // single devices (inside polygons or circles)
  Priority priority = Priority::kEmergency;
  std::vector<ProgrammeItem> items;  // kMedia or kStream
  int repeat = 1;
  std::optional<int> volume;
  std::string actor;  // audit actor, e.g. "cap:canhbao@kttv.gov.vn"
};

// An order's target as kept in BroadcastOrder::areas: a protocol area ("38", "g7") or one
// device as "device:<id>".
inline constexpr std::string_view kDeviceTargetPrefix = "device:";

struct BroadcastResult {
  std::string order;
  std::vector<std::string> areas;
  size_t devices = 0;  // devices (not decommissioned) in those areas now
};

struct PlayQuery {
  std::string unit_code;  // "" = the caller's whole scope
  std::string device_id;
  UnixTime from = 0;
  UnixTime to = 0;  // 0 = open
  std::vector<std::string> types;
  size_t limit = 100;
  size_t offset = 0;
};

struct AirtimeEntry {
  std::string key;   // commune code or device id
  std::string name;  // the commune's or device's name
  std::int64_t seconds = 0;
  std::int64_t plays = 0;
};

// A message from a device as it arrived: nguon/v1/d/<id>/state or /events.
struct DeviceReport {
  std::string topic;
  std::string payload;
};

// The acknowledgement board of an order (an alert, a live broadcast): each targeted device and
// its latest report for that order. state: "waiting" (nothing reported yet), "playing",
// "played", "interrupted", "failed" (also a refused order: "rejected" reports).
struct BoardRow {
  std::string device_id;
  std::string name;
  std::string commune_code;
  bool online = false;
  std::string state = "waiting";
  std::string reason;
  UnixTime ts = 0;
};
struct OrderBoard {
  std::string order;
  std::vector<BoardRow> rows;  // at most kMaxBoardRows, devices not yet confirmed first
  std::map<std::string, std::int64_t> counts;  // total, waiting, playing, played, interrupted,
                                               // failed (over every device)
};
inline constexpr std::size_t kMaxBoardRows = 2000;

// What ingest() did with a message.
enum class IngestOutcome { kStateRecorded, kEventRecorded, kDuplicateEvent };

class DeviceService {
 public:
  // `media` may be null: broadcasts of media or bulletin items are then unavailable.
  DeviceService(Store& store, Clock& clock, Crypto& crypto, DeviceBus& bus, BrokerAccounts& broker,
                protocol::SigningKey key, ProvisioningTarget target, MediaStore* media = nullptr);

  // ---- registry ----
  // Station operator (or admin) over the commune. Errors: invalid_field (with the field),
  // serial_exists (409), not_found for a commune outside the caller's scope.
  Result<Device> register_device(const access::Principal& p, const DeviceDraft& draft,
                                 const RequestOrigin& origin);
  Result<Device> update_device(const access::Principal& p, const std::string& device_id,
                               const DevicePatch& patch, const RequestOrigin& origin);
  Result<Device> get(const access::Principal& p, const std::string& device_id);
  Result<DeviceListing> list(const access::Principal& p, const DeviceListQuery& query);
  // New broker credentials (the previous ones stop working), status provisioned; returns the
  // config bundle once. Decommissioned devices cannot be provisioned (invalid_transition).
  Result<ProvisionResult> provision(const access::Principal& p, const std::string& device_id,
                                    const RequestOrigin& origin);
  // Removes the broker client, clears the media secret; the serial becomes free.
  Result<Device> decommission(const access::Principal& p, const std::string& device_id,
                              const RequestOrigin& origin);
  // CSV (UTF-8, optional BOM, RFC 4180 quoting) with the header
  // serial,imei,kind,name,vendor,model,firmware,commune_code,village_code,lat,lon,horns,watts
  // (any column order). Every row is validated first; any error imports nothing.
  Result<ImportReport> import_csv(const access::Principal& p, std::string_view csv,
                                  const RequestOrigin& origin);

  // ---- commands ----
  // Volume and power become the device's retained signed `settings` (the other value is kept
  // from its last reported state); reboot is a signed order on its cmd topic.
  Status command(const access::Principal& p, const std::string& device_id, const DeviceCommand& cmd,
                 const RequestOrigin& origin);

  // ---- groups ----
  Result<DeviceGroup> create_group(const access::Principal& p, const GroupDraft& draft,
                                   const RequestOrigin& origin);
  Result<DeviceGroup> update_group(const access::Principal& p, std::int64_t group_id,
                                   const GroupPatch& patch, const RequestOrigin& origin);
  Status delete_group(const access::Principal& p, std::int64_t group_id,
                      const RequestOrigin& origin);
  Result<DeviceGroup> get_group(const access::Principal& p, std::int64_t group_id);
  Result<std::vector<DeviceGroup>> list_groups(const access::Principal& p);

  // ---- orders ----
  // One signed `play` per area topic, each with its own sequence number.
  Result<BroadcastResult> broadcast(const access::Principal& p, const BroadcastRequest& request,
                                    const RequestOrigin& origin);
  // Signed `stop` for the order on every area it was sent to. The caller must manage every
  // area and device of the order (others' orders are not found).
  Status stop_order(const access::Principal& p, const std::string& order_id,
                    const RequestOrigin& origin);
  // The same for trusted server components. Stopping an order already stopped is not an error
  // (the stop is sent again).
  Result<BroadcastResult> broadcast_system(const SystemBroadcast& request);
  Status stop_order_system(const std::string& order_id, const std::string& actor);
  // The board of `order_id` ("" or an unknown order: an empty board with zero counts). No
  // principal: the caller has already checked that the order is the caller's to see.
  Result<OrderBoard> order_board(const std::string& order_id);
  // Signed, retained on the device's manifest / settings topic (used by the scheduler and by
  // command()). No principal: callers are trusted server components.
  Status publish_manifest(const std::string& device_id, const protocol::Manifest& manifest);
  Status publish_settings(const std::string& device_id, const protocol::Settings& settings);

  // ---- from devices ----
  // A message that arrived on `topic` (nguon/v1/d/<id>/state or /events). Unknown device,
  // unexpected topic or malformed payload: an error for the caller to log; never throws.
  Result<IngestOutcome> ingest(std::string_view topic, std::string_view payload);
  // Many reports in one transaction (the server's ingestion worker drains its queue this way:
  // one commit per batch instead of one per report). One result per report, in order; an
  // unknown device or a malformed report fails alone, a store failure fails the batch.
  std::vector<Result<IngestOutcome>> ingest_batch(const std::vector<DeviceReport>& reports);

  // ---- reports ----
  Result<std::vector<PlayLog>> plays(const access::Principal& p, const PlayQuery& query);
  // group_by: "commune" or "device".
  Result<std::vector<AirtimeEntry>> airtime(const access::Principal& p,
                                            const std::string& unit_code,
                                            const std::string& group_by, UnixTime from,
                                            UnixTime to);

  // For device-facing HTTP: true when `password` is the current password of a device that is
  // not decommissioned (constant-time comparison of SHA-256 digests).
  bool check_device_password(const std::string& device_id, std::string_view password);

  // Called after a provisioning commits (e.g. to publish the device's manifest at once rather
  // than at the scheduler's next pass). Set once, before the service is shared.
  void set_on_provisioned(std::function<void(const Device&)> hook) {
    on_provisioned_ = std::move(hook);
  }

  // The key devices pin (for bundles and tests).
  protocol::PinnedKey pinned_key() const { return {key_.kid, key_.public_key}; }

 private:
  struct Outgoing {
    std::string topic;
    std::string payload;
    bool retain = false;
  };

  Result<Device> load_visible(Tx& tx, const access::Principal& p, const std::string& device_id);
  Result<Device> load_managed(Tx& tx, const access::Principal& p, const std::string& device_id);
  Result<std::vector<std::string>> scope_paths(Tx& tx, const access::Principal& p,
                                               const std::string& unit_code);
  Result<std::vector<std::string>> areas_of(Tx& tx, const Device& d);
  Result<protocol::PlayItem> compile_item(Tx& tx, const access::Principal& p,
                                          const ProgrammeItem& item);
  Result<Outgoing> sign(Tx& tx, std::string topic, protocol::Payload data, UnixTime exp,
                        bool retain);
  Status send(const std::vector<Outgoing>& messages);
  // Numbers `order`, signs it for every target (areas or "device:<id>"), records it with its
  // audit entry; the messages to send after commit.
  Result<std::vector<Outgoing>> record_order(Tx& tx, protocol::PlayOrder& order,
                                             const std::vector<std::string>& targets,
                                             const std::string& owner_unit, size_t devices,
                                             std::int64_t created_by, const RequestOrigin& origin);
  // Signed stops for every target of `order`, and the order marked stopped with its audit entry.
  Result<std::vector<Outgoing>> record_stop(Tx& tx, const BroadcastOrder& order,
                                            const RequestOrigin& origin);
  Status publish_retained(const std::string& device_id, protocol::DeviceLeaf leaf,
                          protocol::Payload data, UnixTime exp);

  Store& store_;
  Clock& clock_;
  Crypto& crypto_;
  DeviceBus& bus_;
  BrokerAccounts& broker_;
  protocol::SigningKey key_;
  ProvisioningTarget target_;
  MediaStore* media_;
  std::function<void(const Device&)> on_provisioned_;
};

// Validation shared by register, update and import: every error found, in field order.
std::vector<FieldError> validate_device_fields(const DeviceDraft& d);
// IMEI: 15 digits whose last is the Luhn check digit of the first 14.
bool valid_imei(std::string_view imei);

// JSON text of a device's registry fields, for audit entries (never the secret).
std::string device_snapshot(const Device& d);

}  // namespace nguon
