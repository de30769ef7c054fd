// Routes of the content capability: bulletins and their workflow, the library of source content
// from above, audio (synthesis, upload, media with Range/ETag), notifications, unit settings.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/api_support.h"
#include "app/json_body.h"
#include "core/images.h"
#include "core/text.h"

namespace nguon::app::api {
namespace {

const std::vector<std::string_view> kBulletinFields = {
    "title",    "summary", "body",       "category",    "priority",   "language",
    "pen_name", "source",  "valid_from", "valid_until", "owner_unit", "target_units"};

json::value bulletin_json(const Bulletin& b) {
  json::array targets;
  for (const auto& t : b.target_units) targets.push_back(json::string(t));
  json::value audio = nullptr;
  if (!b.audio.sha256.empty()) {
    audio = json::object{{"media_id", b.audio.sha256},
                         {"url", "/api/v1/media/" + b.audio.sha256},
                         {"seconds", b.audio.seconds},
                         {"origin", b.audio.origin},
                         {"voice", b.audio.voice}};
  }
  auto time_or_null = [](UnixTime t) -> json::value {
    if (t == 0) return nullptr;
    return json::string(iso8601(t));
  };
  json::array images;
  for (const auto& m : b.images) {
    images.push_back(json::object{{"media_id", m}, {"url", "/api/v1/media/" + m}});
  }
  return json::object{{"id", b.id},
                      {"images", std::move(images)},
                      {"owner_unit", b.owner_unit},
                      {"target_units", std::move(targets)},
                      {"title", b.title},
                      {"summary", b.summary},
                      {"body", b.body},
                      {"category", b.category},
                      {"priority", bulletins::priority_name(b.priority)},
                      {"language", b.language},
                      {"author_id", b.author_id},
                      {"pen_name", b.pen_name},
                      {"source", b.source},
                      {"valid_from", time_or_null(b.valid_from)},
                      {"valid_until", time_or_null(b.valid_until)},
                      {"status", bulletins::status_name(b.status)},
                      {"revision", b.revision},
                      {"return_reason", b.return_reason},
                      {"approved_by", b.approved_by},
                      {"submitted_at", time_or_null(b.submitted_at)},
                      {"approved_at", time_or_null(b.approved_at)},
                      {"published_at", time_or_null(b.published_at)},
                      {"audio", std::move(audio)},
                      {"created_at", iso8601(b.created_at)},
                      {"updated_at", iso8601(b.updated_at)}};
}

json::value bulletin_list_json(const std::vector<Bulletin>& list) {
  json::array items;
  for (const auto& b : list) items.push_back(bulletin_json(b));
  return json::object{{"items", std::move(items)}};
}

Result<std::optional<UnixTime>> optional_time(const Fields& f, std::string_view key) {
  auto s = f.optional_string(key);
  if (!s) return s.error();
  if (!s.value() || s.value()->empty()) return std::optional<UnixTime>();
  auto t = parse_iso8601(*s.value());
  if (!t) {
    return invalid("invalid_field", std::string(key) +
                                        ": must be an ISO 8601 time with a zone, e.g. "
                                        "2026-11-26T17:30:00+07:00");
  }
  return std::optional<UnixTime>(*t);
}

Result<std::optional<std::vector<std::string>>> optional_codes(const json::object& o,
                                                               std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<std::vector<std::string>>();
  if (!v->is_array())
    return invalid("invalid_field", std::string(key) + ": must be an array of unit codes");
  std::vector<std::string> out;
  for (const auto& item : v->as_array()) {
    if (!item.is_string())
      return invalid("invalid_field", std::string(key) + ": must be an array of unit codes");
    out.emplace_back(item.as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

// Reads the editable fields into a patch (all optional); `priority` is validated here.
Result<BulletinPatch> read_patch(const json::object& o) {
  Fields f(o);
  BulletinPatch p;
  for (auto [key, slot] :
       {std::pair{"title", &p.title}, std::pair{"summary", &p.summary}, std::pair{"body", &p.body},
        std::pair{"category", &p.category}, std::pair{"language", &p.language},
        std::pair{"pen_name", &p.pen_name}, std::pair{"source", &p.source}}) {
    auto v = f.optional_string(key);
    if (!v) return v.error();
    *slot = std::move(v.value());
  }
  auto priority = f.optional_string("priority");
  if (!priority) return priority.error();
  if (priority.value()) {
    p.priority = bulletins::parse_priority(*priority.value());
    if (!p.priority)
      return invalid("invalid_field", "priority: must be normal, priority or emergency");
  }
  auto from = optional_time(f, "valid_from");
  if (!from) return from.error();
  auto until = optional_time(f, "valid_until");
  if (!until) return until.error();
  // A present-but-null time clears it (0 means "open").
  if (o.contains("valid_from")) p.valid_from = from.value().value_or(0);
  if (o.contains("valid_until")) p.valid_until = until.value().value_or(0);
  auto targets = optional_codes(o, "target_units");
  if (!targets) return targets.error();
  p.target_units = std::move(targets.value());
  return p;
}

HttpResponse create_bulletin(Ctx& c) {
  auto body = parse_object(c.req.body, kBulletinFields);
  if (!body) return error_response(body.error());
  auto patch = read_patch(body.value());
  if (!patch) return error_response(patch.error());
  auto owner = Fields(body.value()).optional_string("owner_unit");
  if (!owner) return error_response(owner.error());
  BulletinDraft d;
  d.title = patch->title.value_or("");
  d.summary = patch->summary.value_or("");
  d.body = patch->body.value_or("");
  d.category = patch->category.value_or("");
  d.priority = patch->priority.value_or(Priority::kNormal);
  d.language = patch->language.value_or("vi");
  d.pen_name = patch->pen_name.value_or("");
  d.source = patch->source.value_or("");
  d.valid_from = patch->valid_from.value_or(0);
  d.valid_until = patch->valid_until.value_or(0);
  d.owner_unit = owner.value().value_or(c.who().unit_code);
  d.target_units = patch->target_units.value_or(std::vector<std::string>{});
  for (const char* required : {"title", "body", "category"}) {
    if (!body->contains(required)) {
      return error_response(invalid("missing_field", std::string(required) + ": is required"));
    }
  }
  return result_or_error<Bulletin>(c.bulletins.create(c.who(), std::move(d), c.origin()), 201,
                                   bulletin_json);
}

HttpResponse list_bulletins(Ctx& c) {
  BulletinQuery q;
  if (auto v = c.query.find("status"); v != c.query.end() && !v->second.empty()) {
    q.status = bulletins::parse_status(v->second);
    if (!q.status) return error_response(invalid("invalid_query", "status: unknown status"));
  }
  if (auto v = c.query.find("priority"); v != c.query.end() && !v->second.empty()) {
    q.priority = bulletins::parse_priority(v->second);
    if (!q.priority) return error_response(invalid("invalid_query", "priority: unknown priority"));
  }
  if (auto v = c.query.find("category"); v != c.query.end()) q.category = v->second;
  if (auto v = c.query.find("q"); v != c.query.end()) q.fold = v->second;
  for (auto [key, slot, hi] : {std::tuple{"limit", &q.limit, std::int64_t{200}}}) {
    if (auto v = c.query.find(key); v != c.query.end()) {
      auto n = parse_id(v->second);
      if (!n || *n < 1 || *n > hi)
        return error_response(invalid("invalid_query", "limit: 1 to 200"));
      *slot = static_cast<size_t>(*n);
    }
  }
  if (auto v = c.query.find("before_id"); v != c.query.end()) {
    auto n = parse_id(v->second);
    if (!n) return error_response(invalid("invalid_query", "before_id: must be a bulletin id"));
    q.before_id = *n;
  }
  return result_or_error<std::vector<Bulletin>>(c.bulletins.list(c.who(), std::move(q)), 200,
                                                bulletin_list_json);
}

HttpResponse workflow(Ctx& c, std::int64_t id, const std::string& action) {
  if (c.req.method != "POST") return method_not_allowed("POST");
  if (action == "return") {
    auto body = parse_object(c.req.body, {"reason"});
    if (!body) return error_response(body.error());
    auto reason = Fields(body.value()).required_string("reason");
    if (!reason) return error_response(reason.error());
    return result_or_error<Bulletin>(
        c.bulletins.return_to_author(c.who(), id, reason.value(), c.origin()), 200, bulletin_json);
  }
  if (!c.req.body.empty()) {
    auto body = parse_object(c.req.body, {});
    if (!body) return error_response(body.error());
  }
  Result<Bulletin> r = not_found("no such action");
  if (action == "submit") r = c.bulletins.submit(c.who(), id, c.origin());
  if (action == "approve") r = c.bulletins.approve(c.who(), id, c.origin());
  if (action == "publish") r = c.bulletins.publish(c.who(), id, c.origin());
  if (action == "archive") r = c.bulletins.archive(c.who(), id, c.origin());
  return result_or_error<Bulletin>(r, 200, bulletin_json);
}

Result<VoiceSettings> read_voice(const std::string& body_text) {
  VoiceSettings v;
  if (body_text.empty()) return v;
  auto body = parse_object(body_text, {"voice", "rate_wpm", "pitch", "paragraph_pause_ms"});
  if (!body) return body.error();
  Fields f(body.value());
  auto voice = f.optional_string("voice");
  if (!voice) return voice.error();
  if (voice.value()) {
    const std::string& name = *voice.value();
    if (name == "north") {
      v.variant = VoiceVariant::kNorthern;
    } else if (name == "central") {
      v.variant = VoiceVariant::kCentral;
    } else if (name == "south") {
      v.variant = VoiceVariant::kSouthern;
    } else {
      return invalid("invalid_field", "voice: must be north, central or south");
    }
  }
  for (auto [key, slot, lo, hi] :
       {std::tuple{"rate_wpm", &v.rate_wpm, 80, 450}, std::tuple{"pitch", &v.pitch, 0, 100},
        std::tuple{"paragraph_pause_ms", &v.paragraph_pause_ms, 0, 5000}}) {
    auto n = f.optional_int(key);
    if (!n) return n.error();
    if (n.value()) {
      if (*n.value() < lo || *n.value() > hi) {
        return invalid("invalid_field", std::string(key) + ": must be between " +
                                            std::to_string(lo) + " and " + std::to_string(hi));
      }
      *slot = static_cast<int>(*n.value());
    }
  }
  return v;
}

Error audio_unavailable() {
  return {ErrorKind::kUnavailable, "audio_unavailable", "speech and audio are not configured"};
}

HttpResponse bulletin_audio(Ctx& c, std::int64_t id, const std::vector<std::string>& s) {
  if (c.audio == nullptr) return error_response(audio_unavailable());
  if (s.size() == 4 && s[3] == "synthesize") {
    if (c.req.method != "POST") return method_not_allowed("POST");
    auto voice = read_voice(c.req.body);
    if (!voice) return error_response(voice.error());
    return result_or_error<Bulletin>(c.audio->synthesize(c.who(), id, voice.value(), c.origin()),
                                     200, bulletin_json);
  }
  if (s.size() == 3) {
    if (c.req.method != "PUT") return method_not_allowed("PUT");
    if (c.req.body.empty())
      return error_response(invalid("not_audio", "the request body is empty"));
    return result_or_error<Bulletin>(c.audio->upload(c.who(), id, c.req.body, c.origin()), 200,
                                     bulletin_json);
  }
  return error_response(not_found("no such API endpoint"));
}

// POST /bulletins/{id}/images (raw PNG/JPEG/WebP body) and DELETE /bulletins/{id}/images/{media}.
HttpResponse bulletin_images(Ctx& c, std::int64_t id, const std::vector<std::string>& s) {
  if (c.audio == nullptr) return error_response(audio_unavailable());
  if (s.size() == 3) {
    if (c.req.method != "POST") return method_not_allowed("POST");
    if (c.req.body.empty())
      return error_response(invalid("not_image", "the request body is empty"));
    return result_or_error<Bulletin>(c.audio->attach_image(c.who(), id, c.req.body, c.origin()),
                                     201, bulletin_json);
  }
  if (s.size() == 4) {
    if (c.req.method != "DELETE") return method_not_allowed("DELETE");
    return result_or_error<Bulletin>(c.audio->remove_image(c.who(), id, s[3], c.origin()), 200,
                                     bulletin_json);
  }
  return error_response(not_found("no such API endpoint"));
}

HttpResponse bulletin_routes_by_id(Ctx& c, std::int64_t id) {
  const auto& s = c.segs;
  const std::string& m = c.req.method;
  if (s.size() == 2) {
    if (m == "GET")
      return result_or_error<Bulletin>(c.bulletins.get(c.who(), id), 200, bulletin_json);
    if (m != "PATCH") return method_not_allowed("GET, PATCH");
    auto body = parse_object(c.req.body, kBulletinFields);
    if (!body) return error_response(body.error());
    if (body->contains("owner_unit")) {
      return error_response(invalid("invalid_field", "owner_unit: cannot be changed"));
    }
    auto patch = read_patch(body.value());
    if (!patch) return error_response(patch.error());
    return result_or_error<Bulletin>(
        c.bulletins.update(c.who(), id, std::move(patch.value()), c.origin()), 200, bulletin_json);
  }
  const std::string& action = s[2];
  if (action == "audio") return bulletin_audio(c, id, s);
  if (action == "images") return bulletin_images(c, id, s);
  if (s.size() != 3) return error_response(not_found("no such API endpoint"));
  if (action == "revisions") {
    if (m != "GET") return method_not_allowed("GET");
    return result_or_error<std::vector<BulletinRevision>>(
        c.bulletins.revisions(c.who(), id), 200, [](const std::vector<BulletinRevision>& list) {
          json::array items;
          for (const auto& r : list) {
            json::error_code ec;
            items.push_back(json::object{
                {"revision", r.revision},
                {"approved_by", r.approved_by},
                {"approved_at",
                 r.approved_at == 0 ? json::value(nullptr) : json::value(iso8601(r.approved_at))},
                {"content", json::parse(r.snapshot, ec)}});
          }
          return json::value(json::object{{"items", std::move(items)}});
        });
  }
  if (action == "spoken-text") {
    if (m != "GET") return method_not_allowed("GET");
    if (c.audio == nullptr) return error_response(audio_unavailable());
    return result_or_error<std::string>(c.audio->spoken_text(c.who(), id), 200,
                                        [](const std::string& t) {
                                          return json::value(json::object{{"text", t}});
                                        });
  }
  if (action == "submit" || action == "approve" || action == "return" || action == "publish" ||
      action == "archive") {
    return workflow(c, id, action);
  }
  return error_response(not_found("no such API endpoint"));
}

HttpResponse notifications(Ctx& c) {
  const auto& s = c.segs;
  if (s.size() == 1) {
    if (c.req.method != "GET") return method_not_allowed("GET");
    const auto u = c.query.find("unread");
    const bool unread = u != c.query.end() && u->second != "0" && u->second != "false";
    return result_or_error<std::vector<Notification>>(
        c.bulletins.notifications(c.who(), unread), 200, [](const std::vector<Notification>& list) {
          json::array items;
          for (const auto& n : list) {
            items.push_back(json::object{{"id", n.id},
                                         {"kind", n.kind},
                                         {"message", n.message},
                                         {"bulletin_id", n.bulletin_id},
                                         {"feedback_id", n.feedback_id},
                                         {"created_at", iso8601(n.created_at)},
                                         {"read", n.read}});
          }
          return json::value(json::object{{"items", std::move(items)}});
        });
  }
  if (s.size() == 2 && s[1] == "read") {
    if (c.req.method != "POST") return method_not_allowed("POST");
    auto body = parse_object(c.req.body, {"up_to_id"});
    if (!body) return error_response(body.error());
    auto up_to = Fields(body.value()).optional_int("up_to_id");
    if (!up_to) return error_response(up_to.error());
    if (!up_to.value()) return error_response(invalid("missing_field", "up_to_id: is required"));
    Status st = c.bulletins.mark_notifications_read(c.who(), *up_to.value());
    return st ? no_content() : error_response(st.error());
  }
  return error_response(not_found("no such API endpoint"));
}

// {"four_eyes": bool (inherited), "intro_media": id|null, "outro_media": id|null (set on this
// unit itself)}.
HttpResponse settings_json(Ctx& c, const std::string& code) {
  auto four_eyes = c.bulletins.four_eyes(code);
  if (!four_eyes) return error_response(four_eyes.error());
  json::object out{{"four_eyes", four_eyes.value()}};
  Status s = c.deps.store.read([&](Tx& tx) -> Status {
    for (const char* key : {"intro_media", "outro_media"}) {
      auto v = tx.unit_setting(code, key);
      if (!v) return v.error();
      out[key] = v.value() ? json::value(*v.value()) : json::value(nullptr);
    }
    return {};
  });
  if (!s) return error_response(s.error());
  return json_response(200, out);
}

HttpResponse unit_settings(Ctx& c, const std::string& code) {
  if (c.req.method == "GET") {
    // Readable by anyone who may read the unit.
    auto unit = c.units.get(c.who(), code);
    if (!unit) return error_response(unit.error());
    return settings_json(c, code);
  }
  if (c.req.method != "PATCH") return method_not_allowed("GET, PATCH");
  auto body = parse_object(c.req.body, {"four_eyes"});
  if (!body) return error_response(body.error());
  auto on = Fields(body.value()).optional_bool("four_eyes");
  if (!on) return error_response(on.error());
  if (!on.value()) return error_response(invalid("missing_field", "four_eyes: is required"));
  Status st = c.bulletins.set_four_eyes(c.who(), code, *on.value(), c.origin());
  if (!st) return error_response(st.error());
  return settings_json(c, code);
}

HttpResponse signature_tune(Ctx& c, const std::string& code, const std::string& which) {
  if (c.audio == nullptr) return error_response(audio_unavailable());
  if (c.req.method != "PUT" && c.req.method != "DELETE") return method_not_allowed("PUT, DELETE");
  const std::string_view bytes =
      c.req.method == "PUT" ? std::string_view(c.req.body) : std::string_view();
  if (c.req.method == "PUT" && bytes.empty()) {
    return error_response(invalid("not_audio", "the request body is empty"));
  }
  return result_or_error<MediaInfo>(
      c.audio->set_signature_tune(c.who(), code, which, bytes, c.origin()), 200,
      [](const MediaInfo& m) {
        if (m.sha256.empty()) return json::value(json::object{{"media_id", nullptr}});
        return json::value(
            json::object{{"media_id", m.sha256}, {"url", "/api/v1/media/" + m.sha256}});
      });
}

}  // namespace

std::optional<UnixTime> parse_iso8601(std::string_view s) {
  // YYYY-MM-DDTHH:MM[:SS](Z|±HH:MM)
  auto num = [&](size_t pos, size_t len) -> int {
    if (pos + len > s.size()) return -1;
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s.size() < 17 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':') {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = num(0, 4) - 1900;
  tm.tm_mon = num(5, 2) - 1;
  tm.tm_mday = num(8, 2);
  tm.tm_hour = num(11, 2);
  tm.tm_min = num(14, 2);
  size_t pos = 16;
  if (pos < s.size() && s[pos] == ':') {
    tm.tm_sec = num(pos + 1, 2);
    pos += 3;
  }
  if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 ||
      tm.tm_sec > 60) {
    return std::nullopt;
  }
  long offset = 0;
  if (pos < s.size() && s[pos] == 'Z' && pos + 1 == s.size()) {
    offset = 0;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':') {
    const int hh = num(pos + 1, 2);
    const int mm = num(pos + 4, 2);
    if (hh < 0 || hh > 14 || mm < 0 || mm > 59) return std::nullopt;
    offset = (s[pos] == '+' ? 1 : -1) * (hh * 3600L + mm * 60L);
  } else {
    return std::nullopt;
  }
  const int day = tm.tm_mday;
  const int month = tm.tm_mon;
  const std::time_t t = timegm(&tm);  // normalises impossible dates (30 February) in place
  if (tm.tm_mday != day || tm.tm_mon != month) return std::nullopt;
  return static_cast<UnixTime>(t) - offset;
}

namespace {

// If-None-Match: "*", or a comma-separated list of (possibly weak, W/"…") entity tags.
bool etag_matches(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.substr(0, 2) == "W/") item.remove_prefix(2);
    if (item == "*" || item == etag) return true;
  }
  return false;
}

}  // namespace

HttpResponse serve_media(Ctx& c, const std::string& sha256) {
  if (c.req.method != "GET" && c.req.method != "HEAD") return method_not_allowed("GET, HEAD");
  if (c.deps.media == nullptr) return error_response(audio_unavailable());
  auto path = c.deps.media->path_of(sha256);
  if (!path) return error_response(path.error());
  const std::string etag = "\"" + sha256 + "\"";
  HttpResponse r;
  {
    std::ifstream head_in(path.value(), std::ios::binary);
    std::string head(16, '\0');
    head_in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<size_t>(head_in.gcount()));
    r.content_type = images::sniff_media_type(head);
  }
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("Accept-Ranges", "bytes");
  // Content-addressed: the bytes behind an id never change.
  r.headers.emplace_back("Cache-Control", "private, max-age=31536000, immutable");
  if (auto inm = c.req.header("if-none-match"); inm && etag_matches(*inm, etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  std::error_code ec;
  const auto size = static_cast<std::int64_t>(std::filesystem::file_size(path.value(), ec));
  if (ec) return error_response(not_found("no such media"));
  std::int64_t first = 0;
  std::int64_t last = size - 1;
  auto range = c.req.header("range");
  // If-Range with a different validator means "send it all".
  if (auto ir = c.req.header("if-range"); ir && *ir != etag) range.reset();
  bool partial = false;
  if (range) {
    const std::string_view v = *range;
    const size_t dash = v.find('-');
    bool ok = v.substr(0, 6) == "bytes=" && dash != std::string_view::npos &&
              v.find(',') == std::string_view::npos;
    if (ok) {
      const std::string a(v.substr(6, dash - 6));
      const std::string b(v.substr(dash + 1));
      auto na = parse_id(a);
      auto nb = parse_id(b);
      if (a.empty() && nb && *nb > 0) {  // suffix: the last N bytes
        first = std::max<std::int64_t>(0, size - *nb);
      } else if (na && b.empty()) {
        first = *na;
      } else if (na && nb && *nb >= *na) {
        first = *na;
        last = std::min(*nb, size - 1);
      } else {
        ok = false;
      }
    }
    if (!ok) {
      first = 0;  // a Range header we do not understand is ignored (RFC 9110 §14.2)
      last = size - 1;
    } else if (first >= size) {
      HttpResponse bad = error_response(
          {ErrorKind::kInvalid, "range_not_satisfiable", "the requested range is not satisfiable"});
      bad.status = 416;
      bad.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
      return bad;
    } else {
      partial = true;
    }
  }
  if (partial) {
    r.status = 206;
    r.headers.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-" +
                                                std::to_string(last) + "/" + std::to_string(size));
  }
  if (c.req.method == "HEAD") return r;
  std::ifstream in(path.value(), std::ios::binary);
  in.seekg(first);
  r.body.resize(static_cast<size_t>(last - first + 1));
  in.read(r.body.data(), static_cast<std::streamsize>(r.body.size()));
  if (!in) return error_response(internal("media file could not be read: " + sha256));
  return r;
}

std::optional<HttpResponse> bulletin_routes(Ctx& c) {
  const auto& s = c.segs;
  const std::string& m = c.req.method;
  if (s[0] == "bulletins") {
    if (s.size() == 1) {
      if (m == "GET") return list_bulletins(c);
      if (m == "POST") return create_bulletin(c);
      return method_not_allowed("GET, POST");
    }
    if (s.size() == 2 && s[1] == "approval-queue") {
      if (m != "GET") return method_not_allowed("GET");
      return result_or_error<std::vector<Bulletin>>(c.bulletins.approval_queue(c.who()), 200,
                                                    bulletin_list_json);
    }
    auto id = parse_id(s[1]);
    if (!id) return error_response(not_found("no such bulletin"));
    return bulletin_routes_by_id(c, *id);
  }
  if (s[0] == "units" && s.size() == 3 && s[2] == "library") {
    if (m != "GET") return method_not_allowed("GET");
    return result_or_error<std::vector<Bulletin>>(c.bulletins.library(c.who(), s[1], 200), 200,
                                                  bulletin_list_json);
  }
  if (s[0] == "units" && s.size() == 3 && s[2] == "settings") return unit_settings(c, s[1]);
  if (s[0] == "units" && s.size() == 4 && s[2] == "signature-tune") {
    return signature_tune(c, s[1], s[3]);
  }
  if (s[0] == "media" && s.size() == 2) return serve_media(c, s[1]);
  if (s[0] == "notifications") return notifications(c);
  return std::nullopt;
}

}  // namespace nguon::app::api
