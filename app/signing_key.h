// The source system's Ed25519 signing key (docs/protocol.md), kept in a file readable only by
// its owner. Every server instance of a deployment must use the same file (or a copy of it):
// devices pin its public key at provisioning.
#pragma once

#include <string>

#include "core/ports.h"
#include "core/protocol.h"
#include "core/result.h"

namespace nguon::app {

// Reads the key at `path`; when the file does not exist, creates it (mode 0600, atomically:
// concurrent first starts agree on one key). Errors name the path.
Result<protocol::SigningKey> load_or_create_signing_key(const std::string& path, Crypto& crypto);

}  // namespace nguon::app
