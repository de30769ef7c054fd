// Demo data a person can click through: villages in two communes and a few users with roles.
#pragma once

#include <string>
#include <vector>

#include "core/accounts.h"
#include "core/ports.h"
#include "core/store.h"

namespace nguon::app {

// Idempotent: existing villages and users are left alone (their passwords are not printed
// again). Returns one JSON line per created user: {"username","password","role"}.
// The principal of an existing user (demo seeding acts as the demo users).
Result<access::Principal> principal_named(Store& store, const std::string& username);

Result<std::vector<std::string>> seed_demo(Store& store, AccountService& accounts, Clock& clock,
                                           Crypto& crypto, const std::string& scope_root,
                                           const RequestOrigin& origin);

}  // namespace nguon::app
