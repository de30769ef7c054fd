#include "core/protocol.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cctype>

#include "core/bulletins.h"

namespace nguon::protocol {
namespace json = boost::json;
using bulletins::parse_priority;
using bulletins::priority_name;
namespace {

bool all_of(std::string_view s, int (*pred)(int)) {
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return pred(static_cast<unsigned char>(c)); });
}
bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}
bool all_digits(std::string_view s) { return !s.empty() && all_of(s, ::isdigit); }

constexpr std::array<std::string_view, 5> kLeafNames = {"manifest", "settings", "cmd", "state",
                                                        "events"};
constexpr std::array<std::string_view, 5> kTypeNames = {"manifest", "settings", "play", "stop",
                                                        "reboot"};
constexpr std::array<std::string_view, 6> kEventNames = {"playing", "played",   "interrupted",
                                                         "failed",  "rejected", "fault"};

Error malformed(std::string message) { return invalid("malformed", std::move(message)); }

// ---- strict readers over a JSON object; every error names the field --------------------------

class Reader {
 public:
  Reader(const json::object& o, std::string where) : o_(o), where_(std::move(where)) {}

  Result<std::string> str(std::string_view key, size_t max_len = 4096) const {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || !v->is_string()) return bad(key, "a string");
    if (v->as_string().size() > max_len)
      return bad(key, "at most " + std::to_string(max_len) + " bytes");
    return std::string(v->as_string());
  }
  Result<std::optional<std::string>> opt_str(std::string_view key, size_t max_len = 4096) const {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return std::optional<std::string>();
    auto s = str(key, max_len);
    if (!s) return s.error();
    return std::optional<std::string>(std::move(s.value()));
  }
  Result<std::int64_t> integer(std::string_view key, std::int64_t lo, std::int64_t hi) const {
    const json::value* v = o_.if_contains(key);
    std::int64_t n = 0;
    if (v != nullptr && v->is_int64()) {
      n = v->as_int64();
    } else if (v != nullptr && v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(hi)) {
      n = static_cast<std::int64_t>(v->as_uint64());
    } else {
      return bad(key, "an integer");
    }
    if (n < lo || n > hi) {
      return bad(key, "between " + std::to_string(lo) + " and " + std::to_string(hi));
    }
    return n;
  }
  Result<std::optional<std::int64_t>> opt_integer(std::string_view key, std::int64_t lo,
                                                  std::int64_t hi) const {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return std::optional<std::int64_t>();
    auto n = integer(key, lo, hi);
    if (!n) return n.error();
    return std::optional<std::int64_t>(*n);
  }
  Result<bool> boolean(std::string_view key) const {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || !v->is_bool()) return bad(key, "true or false");
    return v->as_bool();
  }
  Result<const json::array*> array(std::string_view key, size_t max_len) const {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || !v->is_array()) return bad(key, "an array");
    if (v->as_array().size() > max_len) {
      return bad(key, "at most " + std::to_string(max_len) + " entries");
    }
    return &v->as_array();
  }
  Result<const json::object*> object(std::string_view key) const {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || !v->is_object()) return bad(key, "an object");
    return &v->as_object();
  }
  Result<Priority> priority(std::string_view key) const {
    auto s = str(key, 16);
    if (!s) return s.error();
    auto p = parse_priority(*s);
    if (!p) return bad(key, "normal, priority or emergency");
    return *p;
  }
  std::string field(std::string_view key) const { return where_ + std::string(key); }

 private:
  Error bad(std::string_view key, const std::string& what) const {
    return malformed(field(key) + " must be " + what);
  }
  const json::object& o_;
  std::string where_;
};

constexpr std::int64_t kMaxTime = 253402300799;  // 9999-12-31
constexpr std::int64_t kMaxInt = 1LL << 53;

// ---- bodies ----------------------------------------------------------------------------------

json::object item_json(const PlayItem& it) {
  json::object o;
  if (it.kind == ItemKind::kMedia) {
    o["kind"] = "media";
    o["sha256"] = it.sha256;
    o["bytes"] = it.bytes;
    o["duration_ms"] = it.duration_ms;
  } else {
    o["kind"] = "stream";
    o["url"] = it.url;
    o["duration_s"] = it.duration_s;
  }
  if (!it.title.empty()) o["title"] = it.title;
  return o;
}

json::array items_json(const std::vector<PlayItem>& items) {
  json::array a;
  for (const auto& it : items) a.push_back(item_json(it));
  return a;
}

Result<PlayItem> read_item(const json::value& v, const std::string& where) {
  if (!v.is_object()) return malformed(where + " must be an object");
  Reader r(v.as_object(), where + ".");
  PlayItem it;
  NGUON_TRY_ASSIGN(auto kind, r.str("kind", 16));
  if (kind == "media") {
    it.kind = ItemKind::kMedia;
    NGUON_TRY_ASSIGN(it.sha256, r.str("sha256", 64));
    if (it.sha256.size() != 64 || !is_lower_hex(it.sha256)) {
      return malformed(r.field("sha256") + " must be 64 lower-case hex digits");
    }
    NGUON_TRY_ASSIGN(it.bytes, r.integer("bytes", 1, kMaxInt));
    NGUON_TRY_ASSIGN(it.duration_ms, r.integer("duration_ms", 0, kMaxInt));
  } else if (kind == "stream") {
    it.kind = ItemKind::kStream;
    NGUON_TRY_ASSIGN(it.url, r.str("url", 2048));
    if (it.url.rfind("http://", 0) != 0 && it.url.rfind("https://", 0) != 0) {
      return malformed(r.field("url") + " must be an http or https URL");
    }
    NGUON_TRY_ASSIGN(it.duration_s, r.integer("duration_s", 1, 86400));
  } else {
    return malformed(r.field("kind") + " must be media or stream");
  }
  NGUON_TRY_ASSIGN(auto title, r.opt_str("title", 512));
  it.title = title.value_or("");
  return it;
}

Result<std::vector<PlayItem>> read_items(const Reader& r, std::string_view key) {
  NGUON_TRY_ASSIGN(const json::array* a, r.array(key, 200));
  std::vector<PlayItem> items;
  for (size_t i = 0; i < a->size(); ++i) {
    NGUON_TRY_ASSIGN(auto it, read_item((*a)[i], r.field(key) + "[" + std::to_string(i) + "]"));
    items.push_back(std::move(it));
  }
  return items;
}

json::object manifest_json(const Manifest& m) {
  json::array slots;
  for (const auto& s : m.slots) {
    slots.push_back(json::object{{"id", s.id},
                                 {"start", s.start},
                                 {"end", s.end},
                                 {"priority", priority_name(s.priority)},
                                 {"items", items_json(s.items)}});
  }
  return {{"volume", m.volume}, {"slots", std::move(slots)}};
}

Result<Manifest> read_manifest(const Reader& r) {
  Manifest m;
  NGUON_TRY_ASSIGN(auto volume, r.integer("volume", 0, 100));
  m.volume = static_cast<int>(volume);
  NGUON_TRY_ASSIGN(const json::array* slots, r.array("slots", 2000));
  for (size_t i = 0; i < slots->size(); ++i) {
    const std::string where = r.field("slots") + "[" + std::to_string(i) + "]";
    if (!(*slots)[i].is_object()) return malformed(where + " must be an object");
    Reader sr((*slots)[i].as_object(), where + ".");
    Slot s;
    NGUON_TRY_ASSIGN(s.id, sr.str("id", 128));
    NGUON_TRY_ASSIGN(s.start, sr.integer("start", 0, kMaxTime));
    NGUON_TRY_ASSIGN(s.end, sr.integer("end", 0, kMaxTime));
    if (s.end <= s.start) return malformed(sr.field("end") + " must be after start");
    NGUON_TRY_ASSIGN(s.priority, sr.priority("priority"));
    NGUON_TRY_ASSIGN(s.items, read_items(sr, "items"));
    m.slots.push_back(std::move(s));
  }
  return m;
}

json::object data_json(const Payload& p) {
  struct Visitor {
    json::object operator()(const Manifest& m) const { return manifest_json(m); }
    json::object operator()(const Settings& s) const {
      return {{"volume", s.volume}, {"power", s.power}};
    }
    json::object operator()(const PlayOrder& o) const {
      json::object j{{"order", o.order},
                     {"priority", priority_name(o.priority)},
                     {"repeat", o.repeat},
                     {"items", items_json(o.items)}};
      if (o.volume) j["volume"] = *o.volume;
      return j;
    }
    json::object operator()(const StopOrder& s) const {
      json::object j;
      if (s.order) j["order"] = *s.order;
      return j;
    }
    json::object operator()(const RebootOrder&) const { return {}; }
  };
  return std::visit(Visitor{}, p);
}

Result<Payload> read_data(MessageType type, const json::object& o) {
  Reader r(o, "data.");
  switch (type) {
    case MessageType::kManifest: {
      NGUON_TRY_ASSIGN(auto m, read_manifest(r));
      return Payload(std::move(m));
    }
    case MessageType::kSettings: {
      Settings s;
      NGUON_TRY_ASSIGN(auto volume, r.integer("volume", 0, 100));
      s.volume = static_cast<int>(volume);
      NGUON_TRY_ASSIGN(s.power, r.boolean("power"));
      return Payload(s);
    }
    case MessageType::kPlay: {
      PlayOrder p;
      NGUON_TRY_ASSIGN(p.order, r.str("order", 64));
      NGUON_TRY_ASSIGN(p.priority, r.priority("priority"));
      NGUON_TRY_ASSIGN(auto repeat, r.integer("repeat", 1, 20));
      p.repeat = static_cast<int>(repeat);
      NGUON_TRY_ASSIGN(auto volume, r.opt_integer("volume", 0, 100));
      if (volume) p.volume = static_cast<int>(*volume);
      NGUON_TRY_ASSIGN(p.items, read_items(r, "items"));
      if (p.items.empty()) return malformed("data.items must not be empty");
      return Payload(std::move(p));
    }
    case MessageType::kStop: {
      StopOrder s;
      NGUON_TRY_ASSIGN(s.order, r.opt_str("order", 64));
      return Payload(std::move(s));
    }
    case MessageType::kReboot:
      return Payload(RebootOrder{});
  }
  return malformed("unknown type");
}

Result<json::object> parse_object(std::string_view text, std::string_view what) {
  if (text.size() > kMaxPayloadBytes) {
    return malformed(std::string(what) + " is over " + std::to_string(kMaxPayloadBytes) + " bytes");
  }
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return malformed(std::string(what) + " is not valid JSON: " + ec.message());
  if (!v.is_object()) return malformed(std::string(what) + " must be a JSON object");
  return std::move(v.as_object());
}

template <size_t N>
std::optional<size_t> index_of(const std::array<std::string_view, N>& names, std::string_view s) {
  auto it = std::find(names.begin(), names.end(), s);
  if (it == names.end()) return std::nullopt;
  return static_cast<size_t>(it - names.begin());
}

void put_opt(json::object& o, std::string_view key, const std::optional<std::string>& v) {
  if (v) o[key] = *v;
}
template <typename T>
void put_opt_num(json::object& o, std::string_view key, const std::optional<T>& v) {
  if (v) o[key] = *v;
}

}  // namespace

// ---- identities and topics -----------------------------------------------------------------

bool valid_device_id(std::string_view id) {
  return id.size() == 17 && id[0] == 'd' && is_lower_hex(id.substr(1));
}

bool valid_area(std::string_view a) {
  if (a == "VN") return true;
  if (!a.empty() && a[0] == 'g') return a.size() >= 2 && a.size() <= 19 && all_digits(a.substr(1));
  if (a.size() == 2 || a.size() == 5) return all_digits(a);
  if (a.size() == 9) return all_digits(a.substr(0, 5)) && a[5] == '-' && all_digits(a.substr(6));
  return false;
}

std::string device_topic(std::string_view device_id, DeviceLeaf leaf) {
  std::string t(kTopicPrefix);
  t += "d/";
  t += device_id;
  t += '/';
  t += kLeafNames[static_cast<size_t>(leaf)];
  return t;
}

std::string area_topic(std::string_view area) {
  std::string t(kTopicPrefix);
  t += "a/";
  t += area;
  t += "/cmd";
  return t;
}

std::string_view address_of(std::string_view topic) {
  if (topic.substr(0, kTopicPrefix.size()) != kTopicPrefix) return {};
  return topic.substr(kTopicPrefix.size());
}

std::optional<DeviceTopic> parse_device_topic(std::string_view topic) {
  std::string_view rest = address_of(topic);
  if (rest.substr(0, 2) != "d/") return std::nullopt;
  rest.remove_prefix(2);
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view id = rest.substr(0, slash);
  if (!valid_device_id(id)) return std::nullopt;
  auto leaf = index_of(kLeafNames, rest.substr(slash + 1));
  if (!leaf) return std::nullopt;
  return DeviceTopic{std::string(id), static_cast<DeviceLeaf>(*leaf)};
}

std::string key_id(Crypto& crypto, std::string_view public_key) {
  return crypto.sha256_hex(public_key).substr(0, 16);
}

// ---- bodies ----------------------------------------------------------------------------------

std::string_view message_type_name(MessageType t) { return kTypeNames[static_cast<size_t>(t)]; }

std::string encode_body(const Message& m) {
  json::object o{{"type", message_type_name(m.type())},
                 {"seq", m.seq},
                 {"iat", m.iat},
                 {"exp", m.exp},
                 {"to", m.to},
                 {"data", data_json(m.data)}};
  return json::serialize(o);
}

Result<Message> decode_body(std::string_view text) {
  NGUON_TRY_ASSIGN(auto o, parse_object(text, "body"));
  Reader r(o, "");
  NGUON_TRY_ASSIGN(auto type_name, r.str("type", 32));
  auto type = index_of(kTypeNames, type_name);
  if (!type) return invalid("unknown_type", "unknown message type \"" + type_name + "\"");
  Message m;
  NGUON_TRY_ASSIGN(m.seq, r.integer("seq", 1, kMaxInt));
  NGUON_TRY_ASSIGN(m.iat, r.integer("iat", 0, kMaxTime));
  NGUON_TRY_ASSIGN(m.exp, r.integer("exp", 0, kMaxTime));
  NGUON_TRY_ASSIGN(m.to, r.str("to", 256));
  NGUON_TRY_ASSIGN(const json::object* data, r.object("data"));
  NGUON_TRY_ASSIGN(m.data, read_data(static_cast<MessageType>(*type), *data));
  return m;
}

// ---- the envelope ----------------------------------------------------------------------------

std::string seal(Crypto& crypto, const SigningKey& key, const Message& m) {
  const std::string body = encode_body(m);
  const std::string sig = crypto.sign_detached(key.secret_key, body);
  json::object env{{"v", kVersion}, {"kid", key.kid}, {"sig", base64_encode(sig)}, {"body", body}};
  return json::serialize(env);
}

Result<Message> open(Crypto& crypto, std::span<const PinnedKey> keys, std::string_view topic,
                     std::string_view payload, UnixTime now) {
  try {
    NGUON_TRY_ASSIGN(auto env, parse_object(payload, "payload"));
    Reader r(env, "");
    NGUON_TRY_ASSIGN(auto version, r.integer("v", 0, kMaxInt));
    if (version != kVersion) {
      return invalid("unsupported_version", "protocol version " + std::to_string(version) +
                                                " is not supported (this agent speaks 1)");
    }
    auto kid = r.str("kid", 64);
    auto sig_text = r.str("sig", 128);
    if (!kid || !sig_text) {
      return invalid("bad_signature", "the message is not signed (kid and sig are required)");
    }
    NGUON_TRY_ASSIGN(auto body, r.str("body", kMaxPayloadBytes));
    auto key =
        std::find_if(keys.begin(), keys.end(), [&](const PinnedKey& k) { return k.kid == *kid; });
    if (key == keys.end())
      return invalid("unknown_key", "key " + *kid + " is not pinned on this device");
    auto sig = base64_decode(*sig_text);
    if (!sig || !crypto.verify_detached(key->public_key, body, *sig)) {
      return invalid("bad_signature", "the signature does not match the body");
    }
    NGUON_TRY_ASSIGN(auto m, decode_body(body));
    if (m.to != address_of(topic)) {
      return invalid("misaddressed",
                     "addressed to " + m.to + " but arrived on " + std::string(topic));
    }
    if (m.exp <= now) return invalid("expired", "expired at " + std::to_string(m.exp));
    if (m.iat > now + kMaxClockSkewSeconds) {
      return invalid("expired", "issued in the future (" + std::to_string(m.iat) +
                                    "): device clock or order is wrong");
    }
    return m;
  } catch (const std::exception& e) {  // allocation failure on hostile input
    return malformed(e.what());
  }
}

// ---- device → server -------------------------------------------------------------------------

std::string_view event_type_name(EventType t) { return kEventNames[static_cast<size_t>(t)]; }

std::optional<EventType> parse_event_type(std::string_view s) {
  auto i = index_of(kEventNames, s);
  if (!i) return std::nullopt;
  return static_cast<EventType>(*i);
}

std::string encode_event(const Event& e) {
  json::object o{{"id", e.id}, {"type", event_type_name(e.type)}, {"ts", e.ts}};
  put_opt(o, "slot", e.slot);
  put_opt(o, "order", e.order);
  put_opt(o, "sha256", e.sha256);
  put_opt(o, "url", e.url);
  put_opt_num(o, "started", e.started);
  put_opt_num(o, "ended", e.ended);
  put_opt(o, "reason", e.reason);
  return json::serialize(o);
}

Result<Event> decode_event(std::string_view text) {
  NGUON_TRY_ASSIGN(auto o, parse_object(text, "event"));
  Reader r(o, "");
  Event e;
  NGUON_TRY_ASSIGN(e.id, r.str("id", 64));
  if (e.id.empty()) return malformed("id must not be empty");
  NGUON_TRY_ASSIGN(auto type_name, r.str("type", 32));
  auto type = parse_event_type(type_name);
  if (!type) return malformed("type \"" + type_name + "\" is not an event type");
  e.type = *type;
  NGUON_TRY_ASSIGN(e.ts, r.integer("ts", 0, kMaxTime));
  NGUON_TRY_ASSIGN(e.slot, r.opt_str("slot", 128));
  NGUON_TRY_ASSIGN(e.order, r.opt_str("order", 64));
  NGUON_TRY_ASSIGN(e.sha256, r.opt_str("sha256", 64));
  NGUON_TRY_ASSIGN(e.url, r.opt_str("url", 2048));
  NGUON_TRY_ASSIGN(e.started, r.opt_integer("started", 0, kMaxTime));
  NGUON_TRY_ASSIGN(e.ended, r.opt_integer("ended", 0, kMaxTime));
  NGUON_TRY_ASSIGN(e.reason, r.opt_str("reason", 512));
  return e;
}

std::string encode_state(const DeviceState& s) {
  json::object o{{"online", s.online}, {"ts", s.ts}};
  if (!s.agent.empty()) o["agent"] = s.agent;
  if (!s.firmware.empty()) o["firmware"] = s.firmware;
  if (s.online) {
    if (s.playing) {
      json::object p{{"kind", s.playing->kind == ItemKind::kMedia ? "media" : "stream"},
                     {"priority", priority_name(s.playing->priority)}};
      if (!s.playing->sha256.empty()) p["sha256"] = s.playing->sha256;
      if (!s.playing->url.empty()) p["url"] = s.playing->url;
      put_opt(p, "slot", s.playing->slot);
      put_opt(p, "order", s.playing->order);
      o["playing"] = std::move(p);
    } else {
      o["playing"] = nullptr;
    }
  }
  put_opt_num(o, "volume", s.volume);
  put_opt_num(o, "power", s.power);
  put_opt_num(o, "manifest_seq", s.manifest_seq);
  put_opt_num(o, "temperature_c", s.temperature_c);
  put_opt_num(o, "signal_dbm", s.signal_dbm);
  put_opt_num(o, "free_bytes", s.free_bytes);
  put_opt_num(o, "queued_reports", s.queued_reports);
  return json::serialize(o);
}

std::string offline_state() { return R"({"online":false})"; }

Result<DeviceState> decode_state(std::string_view text) {
  NGUON_TRY_ASSIGN(auto o, parse_object(text, "state"));
  Reader r(o, "");
  DeviceState s;
  NGUON_TRY_ASSIGN(s.online, r.boolean("online"));
  NGUON_TRY_ASSIGN(auto ts, r.opt_integer("ts", 0, kMaxTime));
  s.ts = ts.value_or(0);
  NGUON_TRY_ASSIGN(auto agent, r.opt_str("agent", 128));
  s.agent = agent.value_or("");
  NGUON_TRY_ASSIGN(auto firmware, r.opt_str("firmware", 128));
  s.firmware = firmware.value_or("");
  if (const json::value* p = o.if_contains("playing"); p != nullptr && !p->is_null()) {
    if (!p->is_object()) return malformed("playing must be an object or null");
    Reader pr(p->as_object(), "playing.");
    NowPlaying np;
    NGUON_TRY_ASSIGN(auto kind, pr.str("kind", 16));
    if (kind != "media" && kind != "stream")
      return malformed("playing.kind must be media or stream");
    np.kind = kind == "media" ? ItemKind::kMedia : ItemKind::kStream;
    NGUON_TRY_ASSIGN(np.priority, pr.priority("priority"));
    NGUON_TRY_ASSIGN(auto sha, pr.opt_str("sha256", 64));
    np.sha256 = sha.value_or("");
    NGUON_TRY_ASSIGN(auto url, pr.opt_str("url", 2048));
    np.url = url.value_or("");
    NGUON_TRY_ASSIGN(np.slot, pr.opt_str("slot", 128));
    NGUON_TRY_ASSIGN(np.order, pr.opt_str("order", 64));
    s.playing = std::move(np);
  }
  NGUON_TRY_ASSIGN(auto volume, r.opt_integer("volume", 0, 100));
  if (volume) s.volume = static_cast<int>(*volume);
  if (const json::value* p = o.if_contains("power"); p != nullptr && !p->is_null()) {
    NGUON_TRY_ASSIGN(auto power, r.boolean("power"));
    s.power = power;
  }
  NGUON_TRY_ASSIGN(s.manifest_seq, r.opt_integer("manifest_seq", 0, kMaxInt));
  if (const json::value* t = o.if_contains("temperature_c"); t != nullptr && !t->is_null()) {
    if (!t->is_number()) return malformed("temperature_c must be a number");
    s.temperature_c = t->to_number<double>();
  }
  NGUON_TRY_ASSIGN(auto signal, r.opt_integer("signal_dbm", -200, 0));
  if (signal) s.signal_dbm = static_cast<int>(*signal);
  NGUON_TRY_ASSIGN(s.free_bytes, r.opt_integer("free_bytes", 0, kMaxInt));
  NGUON_TRY_ASSIGN(s.queued_reports, r.opt_integer("queued_reports", 0, kMaxInt));
  return s;
}

// ---- provisioning ----------------------------------------------------------------------------

std::string encode_bundle(const Bundle& b) {
  json::array areas;
  for (const auto& a : b.areas) areas.push_back(json::string(a));
  json::array keys;
  for (const auto& k : b.keys) {
    keys.push_back(json::object{{"kid", k.kid}, {"public_key", base64_encode(k.public_key)}});
  }
  json::object o{
      {"v", kVersion},
      {"device", b.device},
      {"broker",
       json::object{{"host", b.broker_host}, {"port", b.broker_port}, {"tls", b.broker_tls}}},
      {"password", b.password},
      {"media_base_url", b.media_base_url},
      {"areas", std::move(areas)},
      {"keys", std::move(keys)}};
  return json::serialize(o);
}

Result<Bundle> decode_bundle(std::string_view text) {
  NGUON_TRY_ASSIGN(auto o, parse_object(text, "bundle"));
  Reader r(o, "");
  NGUON_TRY_ASSIGN(auto version, r.integer("v", 0, kMaxInt));
  if (version != kVersion) return invalid("unsupported_version", "bundle version must be 1");
  Bundle b;
  NGUON_TRY_ASSIGN(b.device, r.str("device", 32));
  if (!valid_device_id(b.device)) return malformed("device is not a device id");
  NGUON_TRY_ASSIGN(const json::object* broker, r.object("broker"));
  Reader br(*broker, "broker.");
  NGUON_TRY_ASSIGN(b.broker_host, br.str("host", 253));
  NGUON_TRY_ASSIGN(auto port, br.integer("port", 1, 65535));
  b.broker_port = static_cast<int>(port);
  NGUON_TRY_ASSIGN(b.broker_tls, br.boolean("tls"));
  NGUON_TRY_ASSIGN(b.password, r.str("password", 256));
  NGUON_TRY_ASSIGN(b.media_base_url, r.str("media_base_url", 2048));
  NGUON_TRY_ASSIGN(const json::array* areas, r.array("areas", 64));
  for (const auto& a : *areas) {
    if (!a.is_string() || !valid_area(a.as_string()))
      return malformed("areas holds an invalid area");
    b.areas.emplace_back(a.as_string());
  }
  NGUON_TRY_ASSIGN(const json::array* keys, r.array("keys", 16));
  for (size_t i = 0; i < keys->size(); ++i) {
    const std::string where = "keys[" + std::to_string(i) + "]";
    if (!(*keys)[i].is_object()) return malformed(where + " must be an object");
    Reader kr((*keys)[i].as_object(), where + ".");
    PinnedKey k;
    NGUON_TRY_ASSIGN(k.kid, kr.str("kid", 64));
    NGUON_TRY_ASSIGN(auto pub, kr.str("public_key", 128));
    auto raw = base64_decode(pub);
    if (!raw || raw->size() != 32)
      return malformed(kr.field("public_key") + " must be 32 bytes in base64");
    k.public_key = std::move(*raw);
    b.keys.push_back(std::move(k));
  }
  if (b.keys.empty()) return malformed("keys must pin at least one key");
  return b;
}

// ---- base64 ----------------------------------------------------------------------------------

namespace {
constexpr std::string_view kB64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}
}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) |
                   (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += kB64[n & 63];
  }
  if (i < bytes.size()) {
    const bool two = i + 1 < bytes.size();
    const auto n = (static_cast<unsigned char>(bytes[i]) << 16) |
                   (two ? static_cast<unsigned char>(bytes[i + 1]) << 8 : 0);
    out += kB64[(n >> 18) & 63];
    out += kB64[(n >> 12) & 63];
    out += two ? kB64[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && last && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad > 0) return std::nullopt;  // data after padding
      v[j] = b64_value(c);
      if (v[j] < 0) return std::nullopt;
    }
    const int n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>((n >> 16) & 0xff);
    if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
    if (pad < 1) out += static_cast<char>(n & 0xff);
  }
  return out;
}

}  // namespace nguon::protocol
