// Replay protection for signed server → device messages (docs/protocol.md, "replayed").
//
// protocol::open() proves what a single message can (signature, address, expiry); this class
// adds the memory across messages: orders are accepted at most once per `seq` while they can
// still be valid (until their `exp`), and desired states (manifest, settings) only move forward.
// The state is plain text so the runtime can persist it and survive restarts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/protocol.h"
#include "core/result.h"

namespace nguon::agent {

class ReplayGuard {
 public:
  enum class Verdict {
    kAccept,     // new: apply it, then call accept()
    kDuplicate,  // the desired state already in force, redelivered: ignore silently
    kReplayed,   // refuse with the "replayed" code
  };

  // What to do with `m` (already verified by protocol::open). Does not change the guard.
  Verdict check(const protocol::Message& m) const;
  // Records `m` as accepted. Forgets orders whose `exp` is at or before `now` (they can no
  // longer pass protocol::open, so remembering them is unnecessary).
  void accept(const protocol::Message& m, UnixTime now);
  // check() then, when accepted, accept().
  Verdict admit(const protocol::Message& m, UnixTime now);

  // Sequence number of the manifest / settings in force; nullopt before the first one.
  std::optional<std::int64_t> manifest_seq() const { return manifest_seq_; }
  std::optional<std::int64_t> settings_seq() const { return settings_seq_; }
  size_t remembered_orders() const { return seen_.size(); }

  // Text form: "manifest <seq>", "settings <seq>" and "seen <seq> <exp>" lines.
  std::string serialize() const;
  // Parses serialize()'s output; "malformed" on anything else.
  static Result<ReplayGuard> parse(std::string_view text);

 private:
  void forget_expired(UnixTime now);

  std::optional<std::int64_t> manifest_seq_;
  std::optional<std::int64_t> settings_seq_;
  std::map<std::int64_t, UnixTime> seen_;  // accepted seq → its exp
};

}  // namespace nguon::agent
