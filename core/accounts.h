// Accounts: login, sessions, API tokens and user administration, with the lockout policy and
// the audit trail. Every mutation writes its audit entry in the same transaction.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/access.h"
#include "core/model.h"
#include "core/ports.h"
#include "core/result.h"
#include "core/store.h"

namespace nguon {

struct SecurityPolicy {
  std::int64_t session_ttl_seconds = 8 * 3600;
  int max_failed_logins = 5;  // consecutive failures before the account locks
  std::int64_t lockout_seconds = 900;
  size_t min_password_length = 10;
  size_t generated_password_length = 16;
  std::int64_t max_token_ttl_days = 366;
  // How long an authenticated session may be served from memory without re-reading the store.
  // Changes made through this process invalidate at once; changes made by another server
  // instance or the CLI take effect within this bound.
  std::int64_t session_cache_seconds = 5;
};

// Who asks, from where: recorded in the audit log.
struct RequestOrigin {
  std::string actor;  // username, or "cli:<os user>" for the admin CLI
  std::string ip;
};

struct LoginResult {
  std::string session_token;  // goes into the HttpOnly cookie; only its hash is stored
  std::string csrf_token;
  UnixTime expires_at = 0;
  access::Principal principal;
};

struct SessionAuth {
  access::Principal principal;
  std::string csrf_token;
};

struct NewUser {
  std::string username;
  std::string display_name;
  std::string unit_code;
  std::optional<std::string> password;  // generated when absent
  std::vector<Grant> grants;
};

struct UserPatch {
  std::optional<std::string> display_name;
  std::optional<std::string> unit_code;
  std::optional<bool> disabled;
  std::optional<std::vector<Grant>> grants;
};

struct CreatedUser {
  User user;
  std::string password;  // plaintext, shown once; empty when the caller chose it
};

struct CreatedToken {
  ApiToken token;
  std::string secret;  // "ngt_<hex>", shown once
};

class AccountService {
 public:
  AccountService(Store& store, Clock& clock, Crypto& crypto, SecurityPolicy policy)
      : store_(store), clock_(clock), crypto_(crypto), policy_(policy) {}

  const SecurityPolicy& policy() const { return policy_; }

  // Errors: invalid_credentials (401) for an unknown user or a wrong password (also counted
  // towards lockout); account_locked (429) while locked; account_disabled (403).
  Result<LoginResult> login(const std::string& username, const std::string& password,
                            const std::string& ip);
  Status logout(const std::string& session_token, const RequestOrigin& origin);
  // Errors: session_invalid (401) for unknown, expired, or disabled-user sessions.
  Result<SessionAuth> authenticate_session(const std::string& session_token);
  // Errors: token_invalid (401).
  Result<access::Principal> authenticate_token(const std::string& bearer);

  Result<CreatedUser> create_user(const access::Principal& actor, NewUser user,
                                  const RequestOrigin& origin);
  Result<User> update_user(const access::Principal& actor, std::int64_t id, UserPatch patch,
                           const RequestOrigin& origin);
  // A new generated password; the user must change it; their sessions end; lockout clears.
  // Not for one's own account (use change_password): not_found.
  Result<std::string> reset_password(const access::Principal& actor, std::int64_t id,
                                     const RequestOrigin& origin);
  Status change_password(const access::Principal& self, const std::string& current,
                         const std::string& next, const RequestOrigin& origin);
  Result<std::vector<User>> list_users(const access::Principal& actor);
  Result<User> get_user(const access::Principal& actor, std::int64_t id);

  Result<CreatedToken> create_token(const access::Principal& self, const std::string& name,
                                    std::int64_t ttl_days, const RequestOrigin& origin);
  Result<std::vector<ApiToken>> list_tokens(const access::Principal& self);
  Status revoke_token(const access::Principal& self, std::int64_t id, const RequestOrigin& origin);

  // Bootstrap from the admin CLI (local access to the database is the authority): creates an
  // admin of `unit_code`, or resets that user's password when it exists. Returns the password.
  Result<std::string> ensure_admin(const std::string& username, const std::string& unit_code,
                                   const RequestOrigin& origin);
  // Creates a user with the given grants as the CLI (no actor scope), e.g. for demo data.
  Result<CreatedUser> create_user_as_system(NewUser user, const RequestOrigin& origin);

  // The principal of `user`, with grant unit paths resolved.
  static Result<access::Principal> principal_of(Tx& tx, const User& user);

 private:
  Status validate_password(const std::string& password) const;
  struct PreparedPassword {
    std::string generated;  // empty when the caller chose the password
    std::string hash;
  };
  PreparedPassword prepare_password(const std::optional<std::string>& chosen);
  Result<CreatedUser> insert_user(Tx& tx, NewUser user, const PreparedPassword& pw,
                                  const RequestOrigin& origin);
  Status audit(Tx& tx, const RequestOrigin& origin, std::string action, std::string target,
               std::string before, std::string after);
  // A write transaction after which cached sessions are re-read.
  Status write(const std::function<Status(Tx&)>& fn);

  struct CachedSession {
    SessionAuth auth;
    UnixTime expires_at = 0;
    UnixTime fetched_at = 0;
    std::uint64_t epoch = 0;
  };

  Store& store_;
  Clock& clock_;
  Crypto& crypto_;
  SecurityPolicy policy_;
  std::mutex cache_mu_;
  std::unordered_map<std::string, CachedSession> session_cache_;  // by token hash
  std::atomic<std::uint64_t> epoch_{0};
};

// JSON text of a user without secrets (for audit entries).
std::string user_snapshot(const User& user);
// JSON string literal of `s` (quotes and escapes included).
std::string json_quote(std::string_view s);

}  // namespace nguon
