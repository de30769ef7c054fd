#include "core/alerts_model.h"

#include <array>
#include <utility>

namespace nguon::alert_names {

namespace {
constexpr std::array<std::pair<AlertState, std::string_view>, 7> kStates{{
    {AlertState::kPending, "pending"},
    {AlertState::kBroadcast, "broadcast"},
    {AlertState::kStopped, "stopped"},
    {AlertState::kCancelled, "cancelled"},
    {AlertState::kSuperseded, "superseded"},
    {AlertState::kRejected, "rejected"},
    {AlertState::kRecorded, "recorded"},
}};
}  // namespace

std::string_view state_name(AlertState s) {
  for (const auto& [state, name] : kStates) {
    if (state == s) return name;
  }
  return "pending";
}

std::optional<AlertState> parse_state(std::string_view s) {
  for (const auto& [state, name] : kStates) {
    if (name == s) return state;
  }
  return std::nullopt;
}

}  // namespace nguon::alert_names
