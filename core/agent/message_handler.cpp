#include "core/agent/message_handler.h"

#include <type_traits>
#include <variant>

namespace nguon::agent {

MessageHandler::MessageHandler(Crypto& crypto, std::vector<protocol::PinnedKey> keys,
                               ReplayGuard& guard, Player& player, EventSink& events)
    : crypto_(crypto), keys_(std::move(keys)), guard_(guard), player_(player), events_(events) {}

MessageHandler::Handled MessageHandler::handle(std::string_view topic, std::string_view payload,
                                               UnixTime now) {
  // Checked here as well as in open(): the limit is the agent's own memory bound.
  if (payload.size() > protocol::kMaxPayloadBytes) return reject("malformed", now);
  auto opened = protocol::open(crypto_, keys_, topic, payload, now);
  if (!opened) return reject(opened.error().code, now);
  protocol::Message& m = opened.value();

  switch (guard_.admit(m, now)) {
    case ReplayGuard::Verdict::kReplayed:
      return reject("replayed", now);
    case ReplayGuard::Verdict::kDuplicate:
      return {Outcome::kDuplicate, std::nullopt, {}};
    case ReplayGuard::Verdict::kAccept:
      break;
  }
  if (m.type() == protocol::MessageType::kReboot) {
    return {Outcome::kReboot, std::move(m), {}};
  }
  apply(m, now);
  return {Outcome::kApplied, std::move(m), {}};
}

MessageHandler::Handled MessageHandler::reject(std::string reason, UnixTime now) {
  protocol::Event e;
  e.type = protocol::EventType::kRejected;
  e.ts = now;
  e.reason = reason;
  events_.emit(std::move(e));
  return {Outcome::kRejected, std::nullopt, std::move(reason)};
}

void MessageHandler::apply(const protocol::Message& m, UnixTime now) {
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, protocol::Manifest>) {
          player_.set_manifest(body, now);
        } else if constexpr (std::is_same_v<T, protocol::Settings>) {
          player_.set_settings(body, now);
        } else if constexpr (std::is_same_v<T, protocol::PlayOrder>) {
          player_.add_order(body, now);
        } else if constexpr (std::is_same_v<T, protocol::StopOrder>) {
          player_.stop_orders(body, now);
        }
      },
      m.data);
}

}  // namespace nguon::agent
