#include "app/api.h"

#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>
#include <ctime>
#include <map>
#include <optional>
#include <vector>

#include "app/api_support.h"
#include "app/json_body.h"
#include "app/log.h"
#include "app/open311.h"
#include "app/portal.h"
#include "core/access.h"
#include "core/text.h"
#include "core/units.h"

namespace nguon::app {
namespace json = boost::json;
using namespace api;  // NOLINT(google-build-using-namespace): the API's own helpers
using http::HttpRequest;
using http::HttpResponse;

namespace {

constexpr std::string_view kApiPrefix = "/api/v1/";
constexpr const char* kVersion = "0.1.0";

json::value unit_json(const UnitView& v) {
  json::array ancestors;
  for (const Unit& a : v.ancestors)
    ancestors.push_back(json::object{{"code", a.code}, {"name", a.name}});
  return json::object{{"code", v.unit.code},
                      {"name", v.unit.name},
                      {"type", v.unit.type},
                      {"level", units::level_name(v.unit.level)},
                      {"parent_code", v.unit.parent_code},
                      {"ancestors", std::move(ancestors)},
                      {"can_admin", v.can_admin},
                      {"navigable_only", v.navigable_only}};
}

json::value unit_list_json(const std::vector<UnitView>& views) {
  json::array items;
  for (const auto& v : views) items.push_back(unit_json(v));
  return json::object{{"items", std::move(items)}};
}

// Unit names for user listings, read once per request.
class UnitNames {
 public:
  explicit UnitNames(Store& store) : store_(store) {}
  std::string operator()(const std::string& code) {
    auto it = cache_.find(code);
    if (it != cache_.end()) return it->second;
    std::string name;
    (void)store_.read([&](Tx& tx) -> Status {
      auto u = tx.find_unit(code);
      if (u && u.value()) name = u.value()->name;
      return {};
    });
    cache_[code] = name;
    return name;
  }

 private:
  Store& store_;
  std::map<std::string, std::string> cache_;
};

json::value user_json(const User& u, UnitNames& names, UnixTime now) {
  json::array roles;
  bool is_admin = false;
  for (const Grant& g : u.grants) {
    roles.push_back(json::object{{"role", access::role_name(g.role)},
                                 {"unit_code", g.unit_code},
                                 {"unit_name", names(g.unit_code)}});
    is_admin = is_admin || g.role == Role::kAdmin;
  }
  return json::object{{"id", u.id},
                      {"username", u.username},
                      {"display_name", u.display_name},
                      {"unit_code", u.unit_code},
                      {"unit_name", names(u.unit_code)},
                      {"disabled", u.disabled},
                      {"locked", u.locked_until > now},
                      {"must_change_password", u.must_change_password},
                      {"roles", std::move(roles)},
                      {"created_at", iso8601(u.created_at)},
                      {"is_admin", is_admin}};
}

Result<User> load_self(Ctx& c) { return c.accounts.get_user(c.who(), c.who().user_id); }

// ---- handlers ----

HttpResponse meta(Ctx& c) {
  json::array roles;
  for (Role r : access::all_roles()) roles.push_back(json::string(access::role_name(r)));
  json::array villages;
  for (const auto& t : units::village_types()) villages.push_back(json::string(t));
  std::string scope_name;
  (void)c.deps.store.read([&](Tx& tx) -> Status {
    auto u = tx.find_unit(c.scope_root);
    if (u && u.value()) scope_name = u.value()->name;
    return {};
  });
  json::array categories;
  for (const auto& cat : bulletins::categories()) {
    categories.push_back(
        json::object{{"code", cat.code}, {"name_vi", cat.name_vi}, {"name_en", cat.name_en}});
  }
  return json_response(
      200,
      json::object{{"scope", c.deps.config.deployment.scope},
                   {"categories", std::move(categories)},
                   {"priorities", json::array{"normal", "priority", "emergency"}},
                   {"voices", json::array{"north", "central", "south"}},
                   {"audio", c.audio != nullptr},
                   {"scope_name", scope_name},
                   {"version", kVersion},
                   {"roles", std::move(roles)},
                   {"village_types", std::move(villages)},
                   {"devices", c.deps.devices != nullptr},
                   {"map", json::object{{"tile_url", c.deps.config.devices.map_tile_url},
                                        {"attribution", c.deps.config.devices.map_attribution}}}});
}

HttpResponse login(Ctx& c) {
  auto body = parse_object(c.req.body, {"username", "password"});
  if (!body) return error_response(body.error());
  Fields f(body.value());
  auto username = f.required_string("username");
  if (!username) return error_response(username.error());
  auto password = f.required_string("password");
  if (!password) return error_response(password.error());
  if (!c.limiter.allow(c.req.remote_ip)) {
    c.deps.metrics.count_throttled();
    HttpResponse r = error_response({ErrorKind::kThrottled, "too_many_requests",
                                     "too many login attempts from this address; wait a minute"});
    r.headers.emplace_back("Retry-After", "60");
    return r;
  }
  auto result = c.accounts.login(username.value(), password.value(), c.req.remote_ip);
  c.deps.metrics.count_login(result.ok());
  if (!result) return error_response(result.error());
  c.auth = Auth{result->principal, result->csrf_token};
  UnitNames names(c.deps.store);
  auto self = load_self(c);
  if (!self) return error_response(self.error());
  HttpResponse r =
      json_response(200, json::object{{"user", user_json(self.value(), names, c.deps.clock.now())},
                                      {"csrf_token", result->csrf_token}});
  r.headers.emplace_back(
      "Set-Cookie", session_cookie(result->session_token, c.accounts.policy().session_ttl_seconds,
                                   c.deps.config.security.cookie_secure));
  return r;
}

// Ends the cookie's session. A live session must present its CSRF token (so a cross-site
// request cannot log people out); a dead or missing one just gets the cookie cleared.
HttpResponse logout(Ctx& c) {
  auto token = cookie_value(c.req, kSessionCookie);
  if (token && !token->empty()) {
    auto session = c.accounts.authenticate_session(*token);
    if (session) {
      auto sent = c.req.header("x-csrf-token");
      if (!sent || !constant_time_equal(*sent, session->csrf_token)) {
        return error_response({ErrorKind::kForbidden, "csrf_invalid",
                               "missing or wrong X-CSRF-Token header for this session"});
      }
      Status st = c.accounts.logout(*token, {session->principal.username, c.req.remote_ip});
      if (!st) return error_response(st.error());
    }
  }
  HttpResponse r = no_content();
  r.headers.emplace_back("Set-Cookie", session_cookie("", 0, c.deps.config.security.cookie_secure));
  return r;
}

HttpResponse me(Ctx& c) {
  UnitNames names(c.deps.store);
  auto self = load_self(c);
  if (!self) return error_response(self.error());
  return json_response(200,
                       json::object{{"user", user_json(self.value(), names, c.deps.clock.now())},
                                    {"csrf_token", c.auth->csrf_token}});
}

HttpResponse change_password(Ctx& c) {
  auto body = parse_object(c.req.body, {"current_password", "new_password"});
  if (!body) return error_response(body.error());
  Fields f(body.value());
  auto current = f.required_string("current_password");
  if (!current) return error_response(current.error());
  auto next = f.required_string("new_password");
  if (!next) return error_response(next.error());
  Status s = c.accounts.change_password(c.who(), current.value(), next.value(), c.origin());
  return s ? no_content() : error_response(s.error());
}

HttpResponse list_units(Ctx& c) {
  auto q = c.query.find("q");
  if (q == c.query.end()) {
    return error_response(invalid("invalid_query", "q: the search text is required"));
  }
  std::optional<UnitLevel> level;
  if (auto l = c.query.find("level"); l != c.query.end() && !l->second.empty()) {
    level = units::parse_level(l->second);
    if (!level) {
      return error_response(
          invalid("invalid_query", "level: must be nation, province, commune or village"));
    }
  }
  size_t limit = 50;
  if (auto l = c.query.find("limit"); l != c.query.end()) {
    char* end = nullptr;
    const long n = std::strtol(l->second.c_str(), &end, 10);
    if (l->second.empty() || *end != '\0' || n < 1 || n > 200) {
      return error_response(invalid("invalid_query", "limit: must be an integer from 1 to 200"));
    }
    limit = static_cast<size_t>(n);
  }
  return result_or_error<std::vector<UnitView>>(c.units.search(c.who(), q->second, level, limit),
                                                200, unit_list_json);
}

HttpResponse add_village(Ctx& c, const std::string& code) {
  auto body = parse_object(c.req.body, {"name", "type"});
  if (!body) return error_response(body.error());
  Fields f(body.value());
  auto name = f.required_string("name");
  if (!name) return error_response(name.error());
  auto type = f.required_string("type");
  if (!type) return error_response(type.error());
  return result_or_error<UnitView>(
      c.units.add_village(c.who(), code, name.value(), text::to_nfc(type.value()), c.origin()), 201,
      unit_json);
}

HttpResponse rename_unit(Ctx& c, const std::string& code) {
  auto body = parse_object(c.req.body, {"name"});
  if (!body) return error_response(body.error());
  auto name = Fields(body.value()).required_string("name");
  if (!name) return error_response(name.error());
  return result_or_error<UnitView>(c.units.rename_village(c.who(), code, name.value(), c.origin()),
                                   200, unit_json);
}

HttpResponse legacy(Ctx& c, const std::string& code) {
  return result_or_error<std::vector<LegacyMatch>>(
      c.units.resolve_legacy(code), 200, [&](const std::vector<LegacyMatch>& rows) {
        json::array items;
        for (const auto& m : rows) {
          items.push_back(json::object{{"old_name", m.row.old_name},
                                       {"old_district", m.row.old_district},
                                       {"old_province", m.row.old_province},
                                       {"new_code", m.row.new_code},
                                       {"new_name", m.new_name},
                                       {"note", m.row.note}});
        }
        return json::value(json::object{{"old_code", code}, {"items", std::move(items)}});
      });
}

HttpResponse list_users(Ctx& c) {
  UnitNames names(c.deps.store);
  const UnixTime now = c.deps.clock.now();
  return result_or_error<std::vector<User>>(
      c.accounts.list_users(c.who()), 200, [&](const std::vector<User>& users) {
        json::array items;
        for (const User& u : users) items.push_back(user_json(u, names, now));
        return json::value(json::object{{"items", std::move(items)}});
      });
}

HttpResponse create_user(Ctx& c) {
  auto body =
      parse_object(c.req.body, {"username", "display_name", "unit_code", "password", "roles"});
  if (!body) return error_response(body.error());
  Fields f(body.value());
  NewUser n;
  auto username = f.required_string("username");
  if (!username) return error_response(username.error());
  auto display = f.required_string("display_name");
  if (!display) return error_response(display.error());
  auto unit = f.required_string("unit_code");
  if (!unit) return error_response(unit.error());
  auto password = f.optional_string("password");
  if (!password) return error_response(password.error());
  auto grants = f.optional_grants("roles");
  if (!grants) return error_response(grants.error());
  n.username = username.value();
  n.display_name = display.value();
  n.unit_code = unit.value();
  if (password.value() && !password.value()->empty()) n.password = *password.value();
  if (grants.value()) n.grants = std::move(*grants.value());
  auto created = c.accounts.create_user(c.who(), std::move(n), c.origin());
  if (!created) return error_response(created.error());
  UnitNames names(c.deps.store);
  return json_response(201,
                       json::object{{"user", user_json(created->user, names, c.deps.clock.now())},
                                    {"password", created->password}});
}

HttpResponse user_by_id(Ctx& c, std::int64_t id) {
  UnitNames names(c.deps.store);
  const UnixTime now = c.deps.clock.now();
  if (c.req.method == "GET") {
    return result_or_error<User>(c.accounts.get_user(c.who(), id), 200,
                                 [&](const User& u) { return user_json(u, names, now); });
  }
  auto body = parse_object(c.req.body, {"display_name", "unit_code", "disabled", "roles"});
  if (!body) return error_response(body.error());
  Fields f(body.value());
  UserPatch patch;
  auto display = f.optional_string("display_name");
  if (!display) return error_response(display.error());
  auto unit = f.optional_string("unit_code");
  if (!unit) return error_response(unit.error());
  auto disabled = f.optional_bool("disabled");
  if (!disabled) return error_response(disabled.error());
  auto grants = f.optional_grants("roles");
  if (!grants) return error_response(grants.error());
  patch.display_name = display.value();
  patch.unit_code = unit.value();
  patch.disabled = disabled.value();
  patch.grants = grants.value();
  return result_or_error<User>(c.accounts.update_user(c.who(), id, std::move(patch), c.origin()),
                               200, [&](const User& u) { return user_json(u, names, now); });
}

HttpResponse reset_password(Ctx& c, std::int64_t id) {
  return result_or_error<std::string>(c.accounts.reset_password(c.who(), id, c.origin()), 200,
                                      [](const std::string& p) {
                                        return json::value(json::object{{"password", p}});
                                      });
}

json::value token_json(const ApiToken& t) {
  return json::object{{"id", t.id},
                      {"name", t.name},
                      {"created_at", iso8601(t.created_at)},
                      {"expires_at", iso8601(t.expires_at)},
                      {"revoked", t.revoked}};
}

HttpResponse tokens(Ctx& c) {
  if (c.req.method == "GET") {
    return result_or_error<std::vector<ApiToken>>(
        c.accounts.list_tokens(c.who()), 200, [](const std::vector<ApiToken>& list) {
          json::array items;
          for (const auto& t : list) items.push_back(token_json(t));
          return json::value(json::object{{"items", std::move(items)}});
        });
  }
  auto body = parse_object(c.req.body, {"name", "expires_in_days"});
  if (!body) return error_response(body.error());
  Fields f(body.value());
  auto name = f.required_string("name");
  if (!name) return error_response(name.error());
  auto days = f.optional_int("expires_in_days");
  if (!days) return error_response(days.error());
  return result_or_error<CreatedToken>(
      c.accounts.create_token(c.who(), name.value(), days.value().value_or(90), c.origin()), 201,
      [](const CreatedToken& t) {
        json::value v = token_json(t.token);
        v.as_object()["token"] = t.secret;
        return v;
      });
}

HttpResponse audit_log(Ctx& c) {
  // The log spans the whole deployment, so only an admin of its root unit may read it.
  std::string root_path;
  (void)c.deps.store.read([&](Tx& tx) -> Status {
    auto u = tx.find_unit(c.scope_root);
    if (u && u.value()) root_path = u.value()->path;
    return {};
  });
  if (root_path.empty() || !access::has_role(c.who(), Role::kAdmin, root_path)) {
    return error_response(
        forbidden("only an administrator of " + c.scope_root + " may read the audit log"));
  }
  size_t limit = 100;
  if (auto l = c.query.find("limit"); l != c.query.end()) {
    char* end = nullptr;
    const long n = std::strtol(l->second.c_str(), &end, 10);
    if (*end != '\0' || n < 1 || n > 1000) {
      return error_response(invalid("invalid_query", "limit: must be an integer from 1 to 1000"));
    }
    limit = static_cast<size_t>(n);
  }
  std::vector<AuditEntry> rows;
  Status s = c.deps.store.read([&](Tx& tx) -> Status {
    auto r = tx.recent_audit(limit);
    if (!r) return r.error();
    rows = std::move(r.value());
    return {};
  });
  if (!s) return error_response(s.error());
  json::array items;
  auto as_json = [](const std::string& text) -> json::value {
    if (text.empty()) return nullptr;
    json::error_code ec;
    json::value v = json::parse(text, ec);
    return ec ? json::value(text) : v;
  };
  for (const auto& e : rows) {
    items.push_back(json::object{{"seq", e.seq},
                                 {"at", iso8601(e.at)},
                                 {"actor", e.actor},
                                 {"action", e.action},
                                 {"target", e.target},
                                 {"before", as_json(e.before)},
                                 {"after", as_json(e.after)},
                                 {"ip", e.ip},
                                 {"hash", e.hash}});
  }
  return json_response(200, json::object{{"items", std::move(items)}});
}

// Serves a unit-tree read from the cache when the caller's scope saw the same tree version;
// only successful answers are cached.
HttpResponse cached(Ctx& c, const std::function<HttpResponse()>& render) {
  std::string key = c.req.target + "|";
  for (const auto& g : c.who().grants) {
    key += std::string(access::role_name(g.role)) + "@" + g.unit_path + ";";
  }
  const std::uint64_t version = c.units.version();
  if (auto body = c.cache.get(key, version)) {
    HttpResponse r;
    r.body = std::move(*body);
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }
  HttpResponse r = render();
  if (r.status == 200) c.cache.put(key, version, r.body);
  return r;
}

// Routes under /api/v1/ that need an authenticated caller.
HttpResponse authed_route(Ctx& c) {
  const auto& s = c.segs;
  const std::string& m = c.req.method;
  const size_t n = s.size();
  if (s[0] == "auth") {
    if (n == 2 && s[1] == "me") return m == "GET" ? me(c) : method_not_allowed("GET");
    if (n == 2 && s[1] == "password")
      return m == "POST" ? change_password(c) : method_not_allowed("POST");
  }
  if (s[0] == "units") {
    if (n == 1) return m == "GET" ? list_units(c) : method_not_allowed("GET");
    if (n == 2 && s[1] == "roots") {
      if (m != "GET") return method_not_allowed("GET");
      return result_or_error<std::vector<UnitView>>(c.units.roots(c.who()), 200, unit_list_json);
    }
    if (n == 2) {
      if (m == "GET") {
        return cached(c, [&] {
          return result_or_error<UnitView>(c.units.get(c.who(), s[1]), 200, unit_json);
        });
      }
      if (m == "PATCH") return rename_unit(c, s[1]);
      return method_not_allowed("GET, PATCH");
    }
    if (n == 3 && s[2] == "children") {
      if (m != "GET") return method_not_allowed("GET");
      return cached(c, [&] {
        return result_or_error<std::vector<UnitView>>(c.units.children(c.who(), s[1]), 200,
                                                      unit_list_json);
      });
    }
    if (n == 3 && s[2] == "villages")
      return m == "POST" ? add_village(c, s[1]) : method_not_allowed("POST");
  }
  if (s[0] == "legacy-communes" && n == 2)
    return m == "GET" ? legacy(c, s[1]) : method_not_allowed("GET");
  if (s[0] == "users") {
    if (n == 1) {
      if (m == "GET") return list_users(c);
      if (m == "POST") return create_user(c);
      return method_not_allowed("GET, POST");
    }
    auto id = parse_id(s[1]);
    if (!id) return error_response(not_found("no such user"));
    if (n == 2)
      return (m == "GET" || m == "PATCH") ? user_by_id(c, *id) : method_not_allowed("GET, PATCH");
    if (n == 3 && s[2] == "reset-password") {
      return m == "POST" ? reset_password(c, *id) : method_not_allowed("POST");
    }
  }
  if (s[0] == "tokens") {
    if (n == 1) return (m == "GET" || m == "POST") ? tokens(c) : method_not_allowed("GET, POST");
    if (n == 2) {
      if (m != "DELETE") return method_not_allowed("DELETE");
      auto id = parse_id(s[1]);
      if (!id) return error_response(not_found("no such token"));
      Status st = c.accounts.revoke_token(c.who(), *id, c.origin());
      return st ? no_content() : error_response(st.error());
    }
  }
  if (s[0] == "audit" && n == 1) return m == "GET" ? audit_log(c) : method_not_allowed("GET");
  if (auto r = bulletin_routes(c)) return std::move(*r);
  if (auto r = device_routes(c)) return std::move(*r);
  if (auto r = schedule_routes(c)) return std::move(*r);
  if (auto r = feedback_routes(c)) return std::move(*r);
  if (auto r = alert_routes(c)) return std::move(*r);
  if (auto r = live_routes(c)) return std::move(*r);
  return error_response(not_found("no such API endpoint"));
}

// What a user whose password was reset may do before choosing a new one.
bool allowed_before_password_change(const Ctx& c) {
  return c.segs.size() == 2 && c.segs[0] == "auth" &&
         (c.segs[1] == "me" || c.segs[1] == "password");
}

bool is_mutation(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// Finds the caller from a bearer token or the session cookie; for cookie-authenticated
// mutations, also checks the CSRF token.
Result<Auth> authenticate(Ctx& c) {
  if (auto authz = c.req.header("authorization")) {
    if (authz->substr(0, 7) != "Bearer ") {
      return Error{ErrorKind::kUnauthenticated, "token_invalid",
                   "Authorization must be 'Bearer <token>'"};
    }
    auto p = c.accounts.authenticate_token(std::string(authz->substr(7)));
    if (!p) return p.error();
    return Auth{std::move(p.value()), ""};
  }
  auto cookie = cookie_value(c.req, kSessionCookie);
  if (!cookie || cookie->empty()) {
    return Error{ErrorKind::kUnauthenticated, "not_authenticated", "log in first"};
  }
  auto session = c.accounts.authenticate_session(*cookie);
  if (!session) return session.error();
  if (is_mutation(c.req.method)) {
    auto sent = c.req.header("x-csrf-token");
    if (!sent || !constant_time_equal(*sent, session->csrf_token)) {
      return Error{ErrorKind::kForbidden, "csrf_invalid",
                   "missing or wrong X-CSRF-Token header for this session"};
    }
  }
  return Auth{std::move(session->principal), std::move(session->csrf_token)};
}

std::map<std::string, std::string> parse_query(std::string_view q, bool& ok) {
  std::map<std::string, std::string> out;
  ok = true;
  while (!q.empty()) {
    const size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    auto k = percent_decode(pair.substr(0, eq), true);
    auto v = percent_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1),
                            true);
    if (!k || !v || !text::is_valid_utf8(*k) || !text::is_valid_utf8(*v)) {
      ok = false;
      return out;
    }
    out[*k] = *v;
  }
  return out;
}

}  // namespace

std::optional<std::string> ReadCache::get(const std::string& key, std::uint64_t version) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.version != version || clock_.now() - it->second.stored_at >= ttl_) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.body;
}

void ReadCache::put(const std::string& key, std::uint64_t version, std::string body) {
  std::lock_guard lock(mu_);
  if (entries_.size() >= 4096) entries_.clear();  // bound memory
  entries_[key] = {std::move(body), version, clock_.now()};
}

namespace {
// Uploads whose body is JSON (a large CSV inside {"csv": …}) rather than media.
bool is_json_upload(std::string_view path) { return path == "/api/v1/devices/import"; }
}  // namespace

bool is_upload_target(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (is_json_upload(path)) return true;
  // Citizens' feedback with photos or recordings (multipart/form-data); the portal and Open311
  // check each file's size themselves (feedback.max_attachment_mb).
  if (path == "/portal/new" || path.rfind("/open311/v2/requests.", 0) == 0) return true;
  auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  return path.rfind("/api/v1/bulletins/", 0) == 0 ? ends_with("/audio") || ends_with("/images")
         : path.rfind("/api/v1/units/", 0) == 0
             ? ends_with("/signature-tune/intro") || ends_with("/signature-tune/outro")
             : false;
}

bool RateLimiter::allow(const std::string& key) {
  const UnixTime now = clock_.now();
  std::lock_guard lock(mu_);
  if (attempts_.size() > 100000) attempts_.clear();  // bound memory under address spraying
  auto& window = attempts_[key];
  while (!window.empty() && window.front() <= now - window_) window.pop_front();
  if (window.size() >= static_cast<size_t>(per_minute_)) return false;
  window.push_back(now);
  return true;
}

Api::Api(ApiDeps deps)
    : deps_(std::move(deps)),
      accounts_(deps_.store, deps_.clock, deps_.crypto, deps_.config.security.policy),
      units_(deps_.store, deps_.clock, deps_.crypto),
      bulletins_(deps_.store, deps_.clock, deps_.crypto),
      static_files_(deps_.config.server.web_root, origin_of(deps_.config.devices.map_tile_url)),
      login_limiter_(deps_.clock, deps_.config.security.login_attempts_per_minute_per_ip),
      read_cache_(deps_.clock, 30),
      scope_root_(deps_.config.is_central() ? std::string(units::kNationCode)
                                            : deps_.config.deployment.scope) {
  if (deps_.feedback != nullptr) {
    const auto& fb = deps_.config.feedback;
    submit_limiter_ =
        std::make_unique<RateLimiter>(deps_.clock, fb.submissions_per_ip_per_hour, 3600);
    const size_t max_bytes = static_cast<size_t>(fb.max_attachment_mb) << 20;
    portal_ =
        std::make_unique<PortalDeps>(PortalDeps{*deps_.feedback, deps_.store, deps_.media,
                                                *submit_limiter_, scope_root_, "Nguồn", max_bytes});
    open311_ = std::make_unique<Open311Deps>(Open311Deps{*deps_.feedback, accounts_, deps_.media,
                                                         *submit_limiter_, fb.open311_jurisdiction,
                                                         max_bytes, &deps_.clock});
  }
  if (deps_.synthesizer != nullptr && deps_.pipeline != nullptr && deps_.media != nullptr &&
      deps_.dictionary != nullptr) {
    audio_ = std::make_unique<BulletinMediaService>(deps_.store, deps_.clock, deps_.crypto,
                                                    bulletins_, *deps_.synthesizer, *deps_.pipeline,
                                                    *deps_.media, *deps_.dictionary);
  }
}

Api::~Api() = default;

struct Api::Call {
  Ctx ctx;
  std::string path;
  std::string query_string;  // the raw text after '?'
};

HttpResponse Api::handle(const HttpRequest& req) {
  const size_t qmark = req.target.find('?');
  const std::string path = req.target.substr(0, qmark);
  bool query_ok = true;
  auto query =
      parse_query(qmark == std::string::npos ? std::string_view()
                                             : std::string_view(req.target).substr(qmark + 1),
                  query_ok);
  if (!query_ok) return error_response(invalid("invalid_query", "malformed query string"));
  Call call{Ctx{req,
                {},
                std::move(query),
                std::nullopt,
                accounts_,
                units_,
                bulletins_,
                audio_.get(),
                read_cache_,
                deps_,
                login_limiter_,
                scope_root_},
            path, qmark == std::string::npos ? std::string() : req.target.substr(qmark + 1)};
  try {
    return route(call);
  } catch (const std::exception& e) {
    return error_response(internal(e.what()));
  }
}

HttpResponse Api::route(Call& call) {
  Ctx& c = call.ctx;
  const std::string& path = call.path;
  if (path == "/healthz") return json_response(200, json::object{{"status", "ok"}});
  if (path == "/readyz") {
    if (deps_.draining()) {
      return error_response({ErrorKind::kUnavailable, "shutting_down", "server is shutting down"});
    }
    Status s = deps_.store.ping();
    if (!s) {
      log::warn("readiness check failed", {{"error", s.error().message}});
      return error_response(
          {ErrorKind::kUnavailable, "store_unavailable", "the store does not answer"});
    }
    return json_response(200,
                         json::object{{"status", "ready"}, {"store", deps_.store.backend_name()}});
  }
  if (path == "/metrics") {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = deps_.metrics.render("");
    return r;
  }
  // Citizens' edges: server-rendered portal pages and Open311, no login.
  if (portal_ && (path == "/portal" || path.rfind("/portal/", 0) == 0)) {
    if (auto r = portal_routes(c.req, path, call.query_string, *portal_)) return std::move(*r);
  }
  if (open311_ && path.rfind("/open311/", 0) == 0) {
    if (auto r = open311_routes(c.req, path, call.query_string, *open311_)) return std::move(*r);
  }
  // CAP sources authenticate with their own token and send XML, not JSON.
  if (path == "/api/v1/cap") return cap_push(c.req, deps_.alerts, deps_.cap_schema);
  if (path.rfind("/cap/", 0) == 0) {
    if (auto r = cap_feed_routes(c.req, path, deps_.alerts, deps_.config.server.public_url,
                                 deps_.clock.now())) {
      return std::move(*r);
    }
  }
  if (path.rfind("/live/", 0) == 0) {
    if (auto r = live_mount_route(c.req, path, deps_.live)) return std::move(*r);
  }
  if (path.rfind(kApiPrefix, 0) != 0) {
    if (path == "/api/v1" || path.rfind("/api/", 0) == 0)
      return error_response(not_found("no such API endpoint"));
    if (!static_files_.enabled()) return error_response(not_found("no web console configured"));
    return static_files_.serve(path, c.req);
  }
  // Decode and check each segment: codes and ids are plain ASCII, never paths.
  std::string_view rest = std::string_view(path).substr(kApiPrefix.size());
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    auto seg = percent_decode(rest.substr(0, slash), false);
    if (!seg || seg->find('/') != std::string::npos || *seg == ".." || !text::is_valid_utf8(*seg)) {
      return error_response(invalid("invalid_path", "malformed path segment"));
    }
    c.segs.push_back(std::move(*seg));
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  if (c.segs.empty()) return error_response(not_found("no such API endpoint"));
  if (is_mutation(c.req.method)) {
    auto type = c.req.header("content-type");
    const bool has_body = !c.req.body.empty();
    if (has_body && is_upload_target(path) && !is_json_upload(path)) {
      if (!type || (type->substr(0, 6) != "audio/" && type->substr(0, 6) != "image/" &&
                    *type != "application/octet-stream")) {
        return error_response(
            {ErrorKind::kInvalid, "unsupported_media_type",
             "send audio or images as audio/*, image/* or application/octet-stream"});
      }
    } else if (has_body && (!type || type->substr(0, 16) != "application/json")) {
      return error_response(
          {ErrorKind::kInvalid, "unsupported_media_type", "send the body as application/json"});
    }
  }
  if (c.segs.size() == 1 && c.segs[0] == "meta")
    return c.req.method == "GET" ? meta(c) : method_not_allowed("GET");
  if (c.segs.size() == 2 && c.segs[0] == "auth" && c.segs[1] == "login") {
    return c.req.method == "POST" ? login(c) : method_not_allowed("POST");
  }
  if (c.segs.size() == 2 && c.segs[0] == "auth" && c.segs[1] == "logout") {
    return c.req.method == "POST" ? logout(c) : method_not_allowed("POST");
  }
  // Device-facing routes authenticate devices, not users (app/api_devices.cpp).
  if (auto r = device_facing_routes(c)) return std::move(*r);
  auto who = authenticate(c);
  if (!who) return error_response(who.error());
  c.auth = std::move(who.value());
  if (c.who().must_change_password && !allowed_before_password_change(c)) {
    return error_response({ErrorKind::kForbidden, "password_change_required",
                           "change your password first (POST /api/v1/auth/password)"});
  }
  return authed_route(c);
}

}  // namespace nguon::app
