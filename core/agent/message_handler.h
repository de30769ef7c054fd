// Handling of one server → device message: protocol::open() (version, key, signature, address,
// expiry), then the ReplayGuard, then the change is applied to the Player. Every refusal becomes
// a `rejected` event whose reason is the code of docs/protocol.md; nothing refused ever plays.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/agent/player.h"
#include "core/agent/ports.h"
#include "core/agent/replay_guard.h"
#include "core/ports.h"
#include "core/protocol.h"

namespace nguon::agent {

class MessageHandler {
 public:
  enum class Outcome {
    kApplied,    // accepted and applied (persist the guard, and the manifest or settings)
    kDuplicate,  // the desired state in force, redelivered: nothing to do, nothing reported
    kRejected,   // refused; a `rejected` event was emitted
    kReboot,     // an accepted reboot order: the runtime exits with status 75
  };
  struct Handled {
    Outcome outcome = Outcome::kRejected;
    std::optional<protocol::Message> message;  // when applied or reboot
    std::string reason;                        // the rejection code
  };

  MessageHandler(Crypto& crypto, std::vector<protocol::PinnedKey> keys, ReplayGuard& guard,
                 Player& player, EventSink& events);

  // `topic` is the topic the payload arrived on; `now` the device time.
  Handled handle(std::string_view topic, std::string_view payload, UnixTime now);

 private:
  Handled reject(std::string reason, UnixTime now);
  void apply(const protocol::Message& m, UnixTime now);

  Crypto& crypto_;
  std::vector<protocol::PinnedKey> keys_;
  ReplayGuard& guard_;
  Player& player_;
  EventSink& events_;
};

}  // namespace nguon::agent
