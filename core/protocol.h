// The device protocol, version 1 (docs/protocol.md is its specification): topics, the signed
// envelope, and the JSON bodies exchanged between the source system and device agents. Pure:
// signing and verification go through the Crypto port; the caller supplies the time.
//
// Replay protection needs memory across messages and restarts, so it is not here: `open()`
// checks everything a single message can prove (version, key, signature, address, expiry);
// the agent's ReplayGuard (core/agent/) remembers accepted sequence numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/bulletins_model.h"
#include "core/model.h"
#include "core/ports.h"
#include "core/result.h"

namespace nguon::protocol {

inline constexpr int kVersion = 1;
inline constexpr std::string_view kTopicPrefix = "nguon/v1/";
inline constexpr size_t kMaxPayloadBytes = 256 * 1024;
// How far in the future an `iat` may be before the message is refused (device clock skew).
inline constexpr UnixTime kMaxClockSkewSeconds = 600;
// Orders (play, stop, reboot) expire this long after they are issued.
inline constexpr UnixTime kOrderLifetimeSeconds = 600;

// ---- identities and topics -----------------------------------------------------------------

// "d" + 16 lower-case hex digits.
bool valid_device_id(std::string_view id);
// "VN", a 2-digit province, a 5-digit commune, a village "NNNNN-NNN", or a group "g<digits>".
bool valid_area(std::string_view area);

// Leaves of a device's topics.
enum class DeviceLeaf { kManifest, kSettings, kCmd, kState, kEvents };
// "nguon/v1/d/<device>/<leaf>".
std::string device_topic(std::string_view device_id, DeviceLeaf leaf);
// "nguon/v1/a/<area>/cmd".
std::string area_topic(std::string_view area);
// The address written in a message's `to`: the topic without the "nguon/v1/" prefix.
std::string_view address_of(std::string_view topic);
// Parses "nguon/v1/d/<device>/<leaf>"; nullopt for anything else.
struct DeviceTopic {
  std::string device_id;
  DeviceLeaf leaf = DeviceLeaf::kState;
};
std::optional<DeviceTopic> parse_device_topic(std::string_view topic);

// Key id: first 16 hex digits of SHA-256 of the raw public key.
std::string key_id(Crypto& crypto, std::string_view public_key);

// ---- message bodies --------------------------------------------------------------------------

enum class ItemKind { kMedia, kStream };

// One entry of a playlist: stored audio (by SHA-256) or a relayed stream URL.
struct PlayItem {
  ItemKind kind = ItemKind::kMedia;
  std::string sha256;            // media
  std::int64_t bytes = 0;        // media
  std::int64_t duration_ms = 0;  // media: 0 when unknown
  std::string url;               // stream
  std::int64_t duration_s = 0;   // stream: how long to relay
  std::string title;
  friend bool operator==(const PlayItem&, const PlayItem&) = default;
};

struct Slot {
  std::string id;  // "<programme>@<start>", unique within a manifest
  UnixTime start = 0;
  UnixTime end = 0;
  Priority priority = Priority::kNormal;
  std::vector<PlayItem> items;
  friend bool operator==(const Slot&, const Slot&) = default;
};

struct Manifest {
  int volume = 70;  // 0..100
  std::vector<Slot> slots;
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

struct Settings {
  int volume = 70;
  bool power = true;
  friend bool operator==(const Settings&, const Settings&) = default;
};

struct PlayOrder {
  std::string order;  // order id, e.g. "o77"
  Priority priority = Priority::kNormal;
  int repeat = 1;  // 1..20
  std::optional<int> volume;
  std::vector<PlayItem> items;
  friend bool operator==(const PlayOrder&, const PlayOrder&) = default;
};

struct StopOrder {
  std::optional<std::string> order;  // nullopt: stop every order
  friend bool operator==(const StopOrder&, const StopOrder&) = default;
};

struct RebootOrder {
  friend bool operator==(const RebootOrder&, const RebootOrder&) = default;
};

enum class MessageType { kManifest, kSettings, kPlay, kStop, kReboot };
std::string_view message_type_name(MessageType t);

using Payload = std::variant<Manifest, Settings, PlayOrder, StopOrder, RebootOrder>;

// The signed part of every server → device message.
struct Message {
  std::int64_t seq = 0;
  UnixTime iat = 0;
  UnixTime exp = 0;
  std::string to;  // address_of(topic)
  Payload data;
  MessageType type() const { return static_cast<MessageType>(data.index()); }
  friend bool operator==(const Message&, const Message&) = default;
};

// JSON text of a body, and its strict parser (unknown type → "unknown_type", anything else
// wrong → "malformed"; the message names the field).
std::string encode_body(const Message& m);
Result<Message> decode_body(std::string_view json);

// ---- the envelope ----------------------------------------------------------------------------

struct SigningKey {
  std::string kid;
  std::string public_key;  // raw 32 bytes
  std::string secret_key;  // raw 64 bytes
};

struct PinnedKey {
  std::string kid;
  std::string public_key;  // raw 32 bytes
  friend bool operator==(const PinnedKey&, const PinnedKey&) = default;
};

// The MQTT payload for `m`, signed with `key`.
std::string seal(Crypto& crypto, const SigningKey& key, const Message& m);

// Verifies and decodes a payload that arrived on `topic` at device time `now`. Errors carry the
// rejection codes of docs/protocol.md: malformed, unsupported_version, unknown_key,
// bad_signature, misaddressed, expired, unknown_type. Never throws on any input.
Result<Message> open(Crypto& crypto, std::span<const PinnedKey> keys, std::string_view topic,
                     std::string_view payload, UnixTime now);

// ---- device → server -------------------------------------------------------------------------

enum class EventType { kPlaying, kPlayed, kInterrupted, kFailed, kRejected, kFault };
std::string_view event_type_name(EventType t);
std::optional<EventType> parse_event_type(std::string_view s);

struct Event {
  std::string id;  // unique per device (the agent's queue sequence)
  EventType type = EventType::kPlayed;
  UnixTime ts = 0;
  std::optional<std::string> slot;
  std::optional<std::string> order;
  std::optional<std::string> sha256;
  std::optional<std::string> url;
  std::optional<UnixTime> started;
  std::optional<UnixTime> ended;
  std::optional<std::string> reason;
  friend bool operator==(const Event&, const Event&) = default;
};
std::string encode_event(const Event& e);
Result<Event> decode_event(std::string_view json);

struct NowPlaying {
  ItemKind kind = ItemKind::kMedia;
  std::string sha256;
  std::string url;
  Priority priority = Priority::kNormal;
  std::optional<std::string> slot;
  std::optional<std::string> order;
  friend bool operator==(const NowPlaying&, const NowPlaying&) = default;
};

struct DeviceState {
  bool online = false;
  UnixTime ts = 0;
  std::string agent;
  std::string firmware;
  std::optional<NowPlaying> playing;
  std::optional<int> volume;
  std::optional<bool> power;
  std::optional<std::int64_t> manifest_seq;
  std::optional<double> temperature_c;
  std::optional<int> signal_dbm;
  std::optional<std::int64_t> free_bytes;
  std::optional<std::int64_t> queued_reports;
  friend bool operator==(const DeviceState&, const DeviceState&) = default;
};
std::string encode_state(const DeviceState& s);
// The last will: {"online":false}.
std::string offline_state();
Result<DeviceState> decode_state(std::string_view json);

// ---- provisioning ----------------------------------------------------------------------------

struct Bundle {
  std::string device;
  std::string broker_host;
  int broker_port = 1883;
  bool broker_tls = false;
  std::string password;
  std::string media_base_url;
  std::vector<std::string> areas;
  std::vector<PinnedKey> keys;
  friend bool operator==(const Bundle&, const Bundle&) = default;
};
std::string encode_bundle(const Bundle& b);
Result<Bundle> decode_bundle(std::string_view json);

// Base64 (RFC 4648, with padding). decode returns nullopt on any invalid input.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace nguon::protocol
