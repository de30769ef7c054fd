// Plain domain records shared by the core, the stores and the API. No behaviour here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nguon {

// Seconds since the Unix epoch, UTC. The core never reads the clock itself (see ports.h).
using UnixTime = std::int64_t;

enum class UnitLevel { kNation, kProvince, kCommune, kVillage };

// An administrative unit. `path` is the '/'-joined chain of codes from the nation down to this
// unit, ending in '/', e.g. "VN/38/16021/": unit A contains B exactly when B.path starts with
// A.path. Codes: "VN"; 2-digit provinces; 5-digit communes (official, QĐ 19/2025); villages are
// "<commune>-<3 digits>", assigned by the commune.
struct Unit {
  std::string code;
  std::string parent_code;  // empty for the nation
  UnitLevel level = UnitLevel::kCommune;
  std::string type;  // "tỉnh", "thành phố trung ương", "xã", "phường", "đặc khu", "thôn", "bản"…
  std::string name;  // NFC
  std::string path;
  std::string fold;  // text::fold(name), the search key
};

// One row of the 2025 conversion table: a pre-2025 commune and the new commune it joined.
struct LegacyCommune {
  std::string old_code;
  std::string old_name;
  std::string old_district;
  std::string old_province;
  std::string new_code;
  std::string note;  // "Nhập toàn bộ" (whole) or "Nhập một phần" (part)
};

enum class Role {
  kAdmin,
  kEditor,
  kApprover,
  kStationOperator,
  kFeedbackHandler,
  kPropagandist,
  kViewer,
};

// A role held on a unit and, through it, on the unit's whole subtree.
struct Grant {
  Role role = Role::kViewer;
  std::string unit_code;
  friend bool operator==(const Grant&, const Grant&) = default;
};

struct User {
  std::int64_t id = 0;
  std::string username;  // lower case ASCII [a-z0-9._-]
  std::string display_name;
  std::string unit_code;
  std::string password_hash;  // argon2id, libsodium's encoded string
  bool disabled = false;
  int failed_logins = 0;
  UnixTime locked_until = 0;
  bool must_change_password = false;
  UnixTime created_at = 0;
  UnixTime updated_at = 0;
  std::vector<Grant> grants;
};

// A browser session. The cookie holds a random token; the store keeps only its SHA-256.
struct Session {
  std::string token_hash;
  std::int64_t user_id = 0;
  std::string csrf_token;
  UnixTime created_at = 0;
  UnixTime expires_at = 0;
};

// A bearer token for integrations. The store keeps only its SHA-256.
struct ApiToken {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string name;
  std::string token_hash;
  UnixTime created_at = 0;
  UnixTime expires_at = 0;  // 0: never
  bool revoked = false;
};

// One entry of the append-only, hash-chained audit log.
struct AuditEntry {
  std::int64_t seq = 0;  // 1, 2, 3… with no gaps
  UnixTime at = 0;
  std::string actor;   // username, "cli:<user>" or "anonymous"
  std::string action;  // "user.create", "auth.login_failed"…
  std::string target;  // "user:12", "unit:16021-001"…
  std::string before;  // JSON text or empty
  std::string after;   // JSON text or empty
  std::string ip;
  std::string prev_hash;  // hash of entry seq-1 ("" for seq 1)
  std::string hash;       // sha256_hex(canonical form of this entry including prev_hash)
};

}  // namespace nguon
