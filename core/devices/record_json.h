// JSON text forms of the list fields of broadcast records (core/devices_model.h), as the stores
// keep them in text columns. One encoding for every backend, so a database written by one
// server version reads back the same everywhere.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/devices_model.h"
#include "core/result.h"

namespace nguon::devices {

std::string_view device_kind_name(DeviceKind kind);  // "cluster", "board"
std::optional<DeviceKind> parse_device_kind(std::string_view name);
std::string_view device_status_name(DeviceStatus status);  // "registered", "provisioned"…
std::optional<DeviceStatus> parse_device_status(std::string_view name);

// True when `state_json` is a device state (protocol::decode_state) that reports something
// playing; false for anything else, including malformed text.
bool state_reports_playing(std::string_view state_json);

std::string_view programme_item_kind_name(ProgrammeItemKind kind);  // "bulletin", "media"…
std::optional<ProgrammeItemKind> parse_programme_item_kind(std::string_view name);

// ["a","b"]; decode fails with invalid("corrupt_record") on anything but an array of strings.
std::string encode_strings(const std::vector<std::string>& values);
Result<std::vector<std::string>> decode_strings(std::string_view json);

// [1,2]; decode fails with invalid("corrupt_record") on anything but an array of integers.
std::string encode_ids(const std::vector<std::int64_t>& values);
Result<std::vector<std::int64_t>> decode_ids(std::string_view json);

// [{"kind":"media","bulletin_id":0,"sha256":"…","url":"","duration_s":0,"title":"…"}, …].
std::string encode_programme_items(const std::vector<ProgrammeItem>& items);
Result<std::vector<ProgrammeItem>> decode_programme_items(std::string_view json);

// Fills the list fields of `p` from their stored JSON texts; corrupt_record on any bad one.
Status decode_programme_lists(Programme& p, std::string_view target_units,
                              std::string_view target_groups, std::string_view exdates,
                              std::string_view items);

// What a unique violation on the devices table means: conflict("serial_exists") when the
// message names the serial index, else conflict("device_exists"). Other errors pass through.
Error device_unique_violation(const Error& e);

// A device's registry fields as JSON (never the secret): audit snapshots and the API.
boost::json::object device_registry_json(const Device& d);

}  // namespace nguon::devices
