#include "core/audit.h"

namespace nguon::audit {
namespace {

void put(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += ';';
}

constexpr size_t kVerifyBatch = 1000;

}  // namespace

std::string canonical(const AuditEntry& e) {
  std::string out;
  out.reserve(128 + e.before.size() + e.after.size());
  put(out, std::to_string(e.seq));
  put(out, std::to_string(e.at));
  put(out, e.actor);
  put(out, e.action);
  put(out, e.target);
  put(out, e.before);
  put(out, e.after);
  put(out, e.ip);
  put(out, e.prev_hash);
  return out;
}

Status append(Tx& tx, Crypto& crypto, AuditEntry e) {
  auto last = tx.last_audit();
  if (!last) return last.error();
  e.seq = last.value() ? last.value()->seq + 1 : 1;
  e.prev_hash = last.value() ? last.value()->hash : std::string();
  e.hash = crypto.sha256_hex(canonical(e));
  return tx.append_audit(e);
}

Result<VerifyReport> verify(Store& store, Crypto& crypto) {
  VerifyReport report;
  std::int64_t expected_seq = 1;
  std::string prev_hash;
  for (;;) {
    std::vector<AuditEntry> batch;
    Status read = store.read([&](Tx& tx) -> Status {
      auto rows = tx.scan_audit(expected_seq - 1, kVerifyBatch);
      if (!rows) return rows.error();
      batch = std::move(rows.value());
      return {};
    });
    if (!read) return read.error();
    for (const AuditEntry& e : batch) {
      auto fail = [&](std::string why) {
        report.first_bad_seq = expected_seq;
        report.reason = std::move(why);
        return report;
      };
      if (e.seq != expected_seq) {
        return fail("entry " + std::to_string(expected_seq) + " is missing (next present is " +
                    std::to_string(e.seq) + ")");
      }
      if (e.prev_hash != prev_hash) return fail("prev_hash does not match the previous entry");
      if (crypto.sha256_hex(canonical(e)) != e.hash) {
        return fail("content does not match its hash (the row was altered)");
      }
      prev_hash = e.hash;
      ++expected_seq;
      ++report.checked;
    }
    if (batch.size() < kVerifyBatch) return report;
  }
}

}  // namespace nguon::audit
