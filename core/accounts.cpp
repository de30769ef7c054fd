#include "core/accounts.h"

#include <algorithm>
#include <cstdio>

#include "core/audit.h"
#include "core/text.h"

namespace nguon {
namespace {

constexpr size_t kMaxPasswordLength = 256;
constexpr std::string_view kTokenPrefix = "ngt_";

Error invalid_credentials() {
  return {ErrorKind::kUnauthenticated, "invalid_credentials", "wrong username or password"};
}
Error session_invalid() {
  return {ErrorKind::kUnauthenticated, "session_invalid", "session expired or not valid"};
}

std::string normalize_username(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Status validate_username(const std::string& name) {
  if (name.size() < 3 || name.size() > 64) {
    return invalid("invalid_field", "username: must be 3 to 64 characters");
  }
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return invalid("invalid_field",
                     "username: only letters a-z, digits, '.', '_' and '-' are allowed");
    }
  }
  return {};
}

Result<Unit> require_unit(Tx& tx, const std::string& code, std::string_view field) {
  auto unit = tx.find_unit(code);
  if (!unit) return unit.error();
  if (!unit.value()) {
    return invalid("invalid_field", std::string(field) + ": unknown unit '" + code + "'");
  }
  return *unit.value();
}

// Admin may act on a user whose unit lies in the admin's subtree.
Status require_admin_over(Tx& tx, const access::Principal& actor, const std::string& unit_code) {
  auto unit = require_unit(tx, unit_code, "unit_code");
  if (!unit) return unit.error();
  if (!access::has_role(actor, Role::kAdmin, unit->path)) {
    return forbidden("you are not an administrator of unit " + unit_code);
  }
  return {};
}

// Every grant must name an existing unit inside the actor's admin scope (no escalation).
Status check_grants(Tx& tx, const access::Principal* actor, const std::vector<Grant>& grants) {
  for (const Grant& g : grants) {
    auto unit = require_unit(tx, g.unit_code, "roles.unit_code");
    if (!unit) return unit.error();
    if (actor != nullptr && !access::has_role(*actor, Role::kAdmin, unit->path)) {
      return forbidden("you cannot grant roles on unit " + g.unit_code);
    }
  }
  return {};
}

std::vector<Grant> dedup(std::vector<Grant> grants) {
  std::sort(grants.begin(), grants.end(), [](const Grant& a, const Grant& b) {
    return std::tie(a.unit_code, a.role) < std::tie(b.unit_code, b.role);
  });
  grants.erase(std::unique(grants.begin(), grants.end()), grants.end());
  return grants;
}

}  // namespace

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out += '"';
  return out;
}

std::string user_snapshot(const User& u) {
  std::string roles = "[";
  for (size_t i = 0; i < u.grants.size(); ++i) {
    if (i > 0) roles += ',';
    roles += "{\"role\":" + json_quote(access::role_name(u.grants[i].role)) +
             ",\"unit_code\":" + json_quote(u.grants[i].unit_code) + "}";
  }
  roles += "]";
  return "{\"id\":" + std::to_string(u.id) + ",\"username\":" + json_quote(u.username) +
         ",\"display_name\":" + json_quote(u.display_name) +
         ",\"unit_code\":" + json_quote(u.unit_code) +
         ",\"disabled\":" + (u.disabled ? "true" : "false") +
         ",\"locked_until\":" + std::to_string(u.locked_until) +
         ",\"must_change_password\":" + (u.must_change_password ? "true" : "false") +
         ",\"roles\":" + roles + "}";
}

Result<access::Principal> AccountService::principal_of(Tx& tx, const User& user) {
  access::Principal p;
  p.user_id = user.id;
  p.username = user.username;
  p.unit_code = user.unit_code;
  p.must_change_password = user.must_change_password;
  for (const Grant& g : user.grants) {
    auto unit = tx.find_unit(g.unit_code);
    if (!unit) return unit.error();
    if (!unit.value()) continue;  // a grant on a unit that no longer exists grants nothing
    p.grants.push_back({g.role, g.unit_code, unit.value()->path});
  }
  return p;
}

Status AccountService::audit(Tx& tx, const RequestOrigin& origin, std::string action,
                             std::string target, std::string before, std::string after) {
  AuditEntry e;
  e.at = clock_.now();
  e.actor = origin.actor;
  e.ip = origin.ip;
  e.action = std::move(action);
  e.target = std::move(target);
  e.before = std::move(before);
  e.after = std::move(after);
  return audit::append(tx, crypto_, std::move(e));
}

Status AccountService::validate_password(const std::string& password) const {
  if (!text::is_valid_utf8(password)) return invalid("invalid_utf8", "password: not valid UTF-8");
  const size_t n = text::code_points(password);
  if (n < policy_.min_password_length) {
    return invalid("weak_password", "password: must be at least " +
                                        std::to_string(policy_.min_password_length) +
                                        " characters");
  }
  if (n > kMaxPasswordLength) {
    return invalid("weak_password", "password: must be at most 256 characters");
  }
  return {};
}

Result<LoginResult> AccountService::login(const std::string& username_in,
                                          const std::string& password, const std::string& ip) {
  const std::string username = normalize_username(username_in);
  const UnixTime now = clock_.now();
  std::optional<User> user;
  Status found = store_.read([&](Tx& tx) -> Status {
    auto u = tx.find_user_by_name(username);
    if (!u) return u.error();
    user = std::move(u.value());
    return {};
  });
  if (!found) return found.error();

  const RequestOrigin origin{username.empty() ? "anonymous" : username, ip};
  if (!user) {
    // Spend the same work as a real check so timing does not reveal which usernames exist.
    static const std::string kDummy = crypto_.hash_password("nguon-dummy-password");
    (void)crypto_.verify_password(kDummy, password);
    Status s = write([&](Tx& tx) {
      return audit(tx, origin, "auth.login_failed", "user:" + username, "",
                   R"({"reason":"unknown_user"})");
    });
    if (!s) return s.error();
    return invalid_credentials();
  }
  if (user->locked_until > now) {
    const auto minutes = (user->locked_until - now + 59) / 60;
    return Error{ErrorKind::kThrottled, "account_locked",
                 "account locked after repeated failed logins; try again in " +
                     std::to_string(minutes) + " minute(s)"};
  }
  // The slow hash runs outside any transaction so it never holds a database lock.
  const bool password_ok = crypto_.verify_password(user->password_hash, password);
  const std::string target = "user:" + std::to_string(user->id);

  if (!password_ok) {
    bool locked = false;
    Status s = write([&](Tx& tx) -> Status {
      auto fresh = tx.find_user(user->id);
      if (!fresh) return fresh.error();
      if (!fresh.value()) return {};
      User u = std::move(*fresh.value());
      u.failed_logins += 1;
      if (u.failed_logins >= policy_.max_failed_logins) {
        u.locked_until = now + policy_.lockout_seconds;
        u.failed_logins = 0;
        locked = true;
      }
      u.updated_at = now;
      NGUON_TRY(tx.update_user(u));
      return audit(tx, origin, locked ? "auth.account_locked" : "auth.login_failed", target, "",
                   R"({"reason":"wrong_password"})");
    });
    if (!s) return s.error();
    return invalid_credentials();
  }
  if (user->disabled) {
    return Error{ErrorKind::kForbidden, "account_disabled", "this account is disabled"};
  }

  LoginResult result;
  result.session_token = crypto_.random_hex(32);
  result.csrf_token = crypto_.random_hex(16);
  result.expires_at = now + policy_.session_ttl_seconds;
  Status s = write([&](Tx& tx) -> Status {
    User u = *user;
    if (u.failed_logins != 0 || u.locked_until != 0) {
      u.failed_logins = 0;
      u.locked_until = 0;
      u.updated_at = now;
      NGUON_TRY(tx.update_user(u));
    }
    Session session{crypto_.sha256_hex(result.session_token), u.id, result.csrf_token, now,
                    result.expires_at};
    NGUON_TRY(tx.insert_session(session));
    NGUON_TRY(tx.delete_expired_sessions(now));
    auto principal = principal_of(tx, u);
    if (!principal) return principal.error();
    result.principal = std::move(principal.value());
    return audit(tx, origin, "auth.login", target, "", "");
  });
  if (!s) return s.error();
  return result;
}

Status AccountService::logout(const std::string& session_token, const RequestOrigin& origin) {
  const std::string hash = crypto_.sha256_hex(session_token);
  return write([&](Tx& tx) -> Status {
    auto session = tx.find_session(hash);
    if (!session) return session.error();
    if (!session.value()) return {};
    NGUON_TRY(tx.delete_session(hash));
    return audit(tx, origin, "auth.logout", "user:" + std::to_string(session.value()->user_id), "",
                 "");
  });
}

Status AccountService::write(const std::function<Status(Tx&)>& fn) {
  epoch_++;  // before: a reader racing with this write will not cache for long
  Status s = store_.write(fn);
  epoch_++;  // after: nothing read before the commit survives it
  return s;
}

Result<SessionAuth> AccountService::authenticate_session(const std::string& session_token) {
  if (session_token.size() != 64) return session_invalid();
  const std::string hash = crypto_.sha256_hex(session_token);
  const UnixTime now = clock_.now();
  const std::uint64_t epoch = epoch_.load();
  {
    std::lock_guard lock(cache_mu_);
    auto it = session_cache_.find(hash);
    if (it != session_cache_.end()) {
      const CachedSession& c = it->second;
      if (c.epoch == epoch && now < c.expires_at &&
          now - c.fetched_at < policy_.session_cache_seconds) {
        return c.auth;
      }
      session_cache_.erase(it);
    }
  }
  SessionAuth auth;
  UnixTime expires_at = 0;
  Status s = store_.read([&](Tx& tx) -> Status {
    auto session = tx.find_session(hash);
    if (!session) return session.error();
    if (!session.value() || session.value()->expires_at <= now) return session_invalid();
    auto user = tx.find_user(session.value()->user_id);
    if (!user) return user.error();
    if (!user.value() || user.value()->disabled) return session_invalid();
    auto principal = principal_of(tx, *user.value());
    if (!principal) return principal.error();
    auth.principal = std::move(principal.value());
    auth.csrf_token = session.value()->csrf_token;
    expires_at = session.value()->expires_at;
    return {};
  });
  if (!s) return s.error();
  if (policy_.session_cache_seconds > 0) {
    std::lock_guard lock(cache_mu_);
    if (session_cache_.size() >= 10000) session_cache_.clear();  // bound memory
    session_cache_[hash] = {auth, expires_at, now, epoch};
  }
  return auth;
}

Result<access::Principal> AccountService::authenticate_token(const std::string& bearer) {
  const Error bad{ErrorKind::kUnauthenticated, "token_invalid", "API token unknown or revoked"};
  if (bearer.substr(0, kTokenPrefix.size()) != kTokenPrefix || bearer.size() != 4 + 64) return bad;
  const std::string hash = crypto_.sha256_hex(bearer);
  const UnixTime now = clock_.now();
  access::Principal p;
  Status s = store_.read([&](Tx& tx) -> Status {
    auto token = tx.find_token_by_hash(hash);
    if (!token) return token.error();
    const auto& t = token.value();
    if (!t || t->revoked || (t->expires_at != 0 && t->expires_at <= now)) return bad;
    auto user = tx.find_user(t->user_id);
    if (!user) return user.error();
    if (!user.value() || user.value()->disabled) return bad;
    auto principal = principal_of(tx, *user.value());
    if (!principal) return principal.error();
    p = std::move(principal.value());
    p.via_token = true;
    return {};
  });
  if (!s) return s.error();
  return p;
}

AccountService::PreparedPassword AccountService::prepare_password(
    const std::optional<std::string>& chosen) {
  PreparedPassword p;
  if (!chosen) p.generated = crypto_.random_password(policy_.generated_password_length);
  p.hash = crypto_.hash_password(chosen ? *chosen : p.generated);
  return p;
}

Result<CreatedUser> AccountService::insert_user(Tx& tx, NewUser n, const PreparedPassword& pw,
                                                const RequestOrigin& origin) {
  const UnixTime now = clock_.now();
  CreatedUser created;
  User& u = created.user;
  u.username = normalize_username(n.username);
  NGUON_TRY(validate_username(u.username));
  auto display = text::clean_line("display_name", n.display_name, 1, 120);
  if (!display) return display.error();
  u.display_name = std::move(display.value());
  auto unit = require_unit(tx, n.unit_code, "unit_code");
  if (!unit) return unit.error();
  u.unit_code = n.unit_code;
  created.password = pw.generated;
  u.must_change_password = !n.password;
  u.password_hash = pw.hash;
  u.grants = dedup(std::move(n.grants));
  u.created_at = now;
  u.updated_at = now;
  auto id = tx.insert_user(u);
  if (!id) return id.error();
  u.id = id.value();
  NGUON_TRY(audit(tx, origin, "user.create", "user:" + std::to_string(u.id), "", user_snapshot(u)));
  return created;
}

Result<CreatedUser> AccountService::create_user(const access::Principal& actor, NewUser n,
                                                const RequestOrigin& origin) {
  if (n.password) NGUON_TRY(validate_password(*n.password));
  // Check the caller's authority before paying for the slow hash, and hash outside the write
  // transaction so it never holds the database lock.
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    NGUON_TRY(require_admin_over(tx, actor, n.unit_code));
    return check_grants(tx, &actor, n.grants);
  }));
  const PreparedPassword pw = prepare_password(n.password);
  Result<CreatedUser> out = internal("unreachable");
  Status s = write([&](Tx& tx) -> Status {
    NGUON_TRY(require_admin_over(tx, actor, n.unit_code));
    NGUON_TRY(check_grants(tx, &actor, n.grants));
    out = insert_user(tx, std::move(n), pw, origin);
    return out ? Status() : out.error();
  });
  if (!s) return s.error();
  return out;
}

Result<CreatedUser> AccountService::create_user_as_system(NewUser n, const RequestOrigin& origin) {
  if (n.password) NGUON_TRY(validate_password(*n.password));
  const PreparedPassword pw = prepare_password(n.password);
  Result<CreatedUser> out = internal("unreachable");
  Status s = write([&](Tx& tx) -> Status {
    NGUON_TRY(check_grants(tx, nullptr, n.grants));
    out = insert_user(tx, std::move(n), pw, origin);
    return out ? Status() : out.error();
  });
  if (!s) return s.error();
  return out;
}

Result<std::string> AccountService::ensure_admin(const std::string& username,
                                                 const std::string& unit_code,
                                                 const RequestOrigin& origin) {
  const std::string password = crypto_.random_password(policy_.generated_password_length);
  const std::string hash = crypto_.hash_password(password);
  Status s = write([&](Tx& tx) -> Status {
    auto existing = tx.find_user_by_name(normalize_username(username));
    if (!existing) return existing.error();
    if (!existing.value()) {
      NewUser n{
          username, "Quản trị " + unit_code, unit_code, password, {{Role::kAdmin, unit_code}}};
      NGUON_TRY(check_grants(tx, nullptr, n.grants));
      auto created = insert_user(tx, std::move(n), {"", hash}, origin);
      return created ? Status() : created.error();
    }
    User u = *existing.value();
    const std::string before = user_snapshot(u);
    u.password_hash = hash;
    u.failed_logins = 0;
    u.locked_until = 0;
    u.disabled = false;
    u.updated_at = clock_.now();
    const Grant admin{Role::kAdmin, unit_code};
    if (std::find(u.grants.begin(), u.grants.end(), admin) == u.grants.end()) {
      NGUON_TRY(check_grants(tx, nullptr, {admin}));
      u.grants.push_back(admin);
    }
    NGUON_TRY(tx.update_user(u));
    NGUON_TRY(tx.delete_user_sessions(u.id));
    return audit(tx, origin, "user.reset_admin", "user:" + std::to_string(u.id), before,
                 user_snapshot(u));
  });
  if (!s) return s.error();
  return password;
}

Result<User> AccountService::update_user(const access::Principal& actor, std::int64_t id,
                                         UserPatch patch, const RequestOrigin& origin) {
  User updated;
  Status s = write([&](Tx& tx) -> Status {
    auto found = tx.find_user(id);
    if (!found) return found.error();
    if (!found.value()) return not_found("no such user");
    User u = *found.value();
    if (!require_admin_over(tx, actor, u.unit_code)) return not_found("no such user");
    const std::string before = user_snapshot(u);
    if (patch.display_name) {
      auto d = text::clean_line("display_name", *patch.display_name, 1, 120);
      if (!d) return d.error();
      u.display_name = std::move(d.value());
    }
    if (patch.unit_code) {
      auto unit = require_unit(tx, *patch.unit_code, "unit_code");
      if (!unit) return unit.error();
      NGUON_TRY(require_admin_over(tx, actor, *patch.unit_code));
      u.unit_code = *patch.unit_code;
    }
    if (patch.grants) {
      // The actor may only change grants inside their own scope: grants outside it stay.
      NGUON_TRY(check_grants(tx, &actor, *patch.grants));
      std::vector<Grant> kept;
      for (const Grant& g : u.grants) {
        auto unit = tx.find_unit(g.unit_code);
        if (!unit) return unit.error();
        if (unit.value() && !access::has_role(actor, Role::kAdmin, unit.value()->path)) {
          kept.push_back(g);
        }
      }
      kept.insert(kept.end(), patch.grants->begin(), patch.grants->end());
      u.grants = dedup(std::move(kept));
    }
    if (patch.disabled) {
      if (*patch.disabled && u.id == actor.user_id) {
        return conflict("cannot_disable_self", "you cannot disable your own account");
      }
      u.disabled = *patch.disabled;
      if (u.disabled) NGUON_TRY(tx.delete_user_sessions(u.id));
    }
    u.updated_at = clock_.now();
    NGUON_TRY(tx.update_user(u));
    NGUON_TRY(
        audit(tx, origin, "user.update", "user:" + std::to_string(u.id), before, user_snapshot(u)));
    updated = std::move(u);
    return {};
  });
  if (!s) return s.error();
  return updated;
}

Result<std::string> AccountService::reset_password(const access::Principal& actor, std::int64_t id,
                                                   const RequestOrigin& origin) {
  // Checked before paying for the slow hash; one's own password is changed, not reset.
  if (id == actor.user_id || !get_user(actor, id)) return not_found("no such user");
  const std::string password = crypto_.random_password(policy_.generated_password_length);
  const std::string hash = crypto_.hash_password(password);
  Status s = write([&](Tx& tx) -> Status {
    auto found = tx.find_user(id);
    if (!found) return found.error();
    if (!found.value()) return not_found("no such user");
    User u = *found.value();
    if (!require_admin_over(tx, actor, u.unit_code)) return not_found("no such user");
    u.password_hash = hash;
    u.must_change_password = true;
    u.failed_logins = 0;
    u.locked_until = 0;
    u.updated_at = clock_.now();
    NGUON_TRY(tx.update_user(u));
    NGUON_TRY(tx.delete_user_sessions(u.id));
    return audit(tx, origin, "user.reset_password", "user:" + std::to_string(u.id), "", "");
  });
  if (!s) return s.error();
  return password;
}

Status AccountService::change_password(const access::Principal& self, const std::string& current,
                                       const std::string& next, const RequestOrigin& origin) {
  NGUON_TRY(validate_password(next));
  if (next == current) {
    return invalid("weak_password", "new_password: must differ from the current password");
  }
  std::optional<User> user;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto u = tx.find_user(self.user_id);
    if (!u) return u.error();
    user = std::move(u.value());
    return {};
  }));
  if (!user) return session_invalid();
  if (!crypto_.verify_password(user->password_hash, current)) {
    return invalid("wrong_password", "current_password: does not match");
  }
  const std::string hash = crypto_.hash_password(next);
  return write([&](Tx& tx) -> Status {
    auto fresh = tx.find_user(self.user_id);
    if (!fresh) return fresh.error();
    if (!fresh.value()) return session_invalid();
    User u = *fresh.value();
    u.password_hash = hash;
    u.must_change_password = false;
    u.updated_at = clock_.now();
    NGUON_TRY(tx.update_user(u));
    return audit(tx, origin, "user.change_password", "user:" + std::to_string(u.id), "", "");
  });
}

Result<std::vector<User>> AccountService::list_users(const access::Principal& actor) {
  const auto roots = access::role_roots(actor, Role::kAdmin);
  if (roots.empty()) return forbidden("only administrators can list users");
  std::vector<User> out;
  Status s = store_.read([&](Tx& tx) -> Status {
    for (const auto& root : roots) {
      auto users = tx.list_users(root);
      if (!users) return users.error();
      out.insert(out.end(), users->begin(), users->end());
    }
    return {};
  });
  if (!s) return s.error();
  std::sort(out.begin(), out.end(),
            [](const User& a, const User& b) { return a.username < b.username; });
  return out;
}

Result<User> AccountService::get_user(const access::Principal& actor, std::int64_t id) {
  User out;
  Status s = store_.read([&](Tx& tx) -> Status {
    auto found = tx.find_user(id);
    if (!found) return found.error();
    if (!found.value()) return not_found("no such user");
    if (id != actor.user_id && !require_admin_over(tx, actor, found.value()->unit_code)) {
      return not_found("no such user");
    }
    out = std::move(*found.value());
    return {};
  });
  if (!s) return s.error();
  return out;
}

Result<CreatedToken> AccountService::create_token(const access::Principal& self,
                                                  const std::string& name, std::int64_t ttl_days,
                                                  const RequestOrigin& origin) {
  if (self.via_token) {
    // A leaked token must not be able to mint successors that outlive it.
    return forbidden("API tokens can only be created from a logged-in browser session");
  }
  auto clean = text::clean_line("name", name, 1, 80);
  if (!clean) return clean.error();
  if (ttl_days < 1 || ttl_days > policy_.max_token_ttl_days) {
    return invalid("invalid_field", "expires_in_days: must be between 1 and " +
                                        std::to_string(policy_.max_token_ttl_days));
  }
  CreatedToken out;
  out.secret = std::string(kTokenPrefix) + crypto_.random_hex(32);
  const UnixTime now = clock_.now();
  out.token = ApiToken{0,   self.user_id,           clean.value(), crypto_.sha256_hex(out.secret),
                       now, now + ttl_days * 86400, false};
  Status s = write([&](Tx& tx) -> Status {
    auto id = tx.insert_token(out.token);
    if (!id) return id.error();
    out.token.id = id.value();
    return audit(tx, origin, "token.create", "token:" + std::to_string(out.token.id), "",
                 "{\"name\":" + json_quote(out.token.name) + "}");
  });
  if (!s) return s.error();
  return out;
}

Result<std::vector<ApiToken>> AccountService::list_tokens(const access::Principal& self) {
  std::vector<ApiToken> out;
  Status s = store_.read([&](Tx& tx) -> Status {
    auto tokens = tx.list_tokens(self.user_id);
    if (!tokens) return tokens.error();
    out = std::move(tokens.value());
    return {};
  });
  if (!s) return s.error();
  return out;
}

Status AccountService::revoke_token(const access::Principal& self, std::int64_t id,
                                    const RequestOrigin& origin) {
  return write([&](Tx& tx) -> Status {
    auto tokens = tx.list_tokens(self.user_id);
    if (!tokens) return tokens.error();
    const bool mine =
        std::any_of(tokens->begin(), tokens->end(), [&](const ApiToken& t) { return t.id == id; });
    if (!mine) return not_found("no such token");
    NGUON_TRY(tx.revoke_token(self.user_id, id));
    return audit(tx, origin, "token.revoke", "token:" + std::to_string(id), "", "");
  });
}

}  // namespace nguon
