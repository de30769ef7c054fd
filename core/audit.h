// The audit log: append-only and hash-chained. Each entry's hash covers its content and the
// previous entry's hash, so editing, deleting or reordering any row breaks the chain from that
// row on, and `verify` names the first broken entry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/model.h"
#include "core/ports.h"
#include "core/result.h"
#include "core/store.h"

namespace nguon::audit {

// The exact byte string that an entry's hash covers (every field but `hash`, length-prefixed so
// no two different entries share a form).
std::string canonical(const AuditEntry& e);

// Appends `e` (its seq, prev_hash and hash are filled here) inside the caller's write
// transaction, so the audit row commits or rolls back with the change it records.
Status append(Tx& tx, Crypto& crypto, AuditEntry e);

struct VerifyReport {
  std::int64_t checked = 0;
  std::optional<std::int64_t> first_bad_seq;  // empty when the chain is intact
  std::string reason;
};

// Walks the whole chain in seq order, in batches.
Result<VerifyReport> verify(Store& store, Crypto& crypto);

}  // namespace nguon::audit
