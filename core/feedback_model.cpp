#include "core/feedback_model.h"

#include <array>
#include <utility>

namespace nguon::feedback {
namespace {

constexpr std::array<std::pair<FeedbackStatus, std::string_view>, 7> kStatusNames = {{
    {FeedbackStatus::kModeration, "moderation"},
    {FeedbackStatus::kReceived, "received"},
    {FeedbackStatus::kAssigned, "assigned"},
    {FeedbackStatus::kAnswered, "answered"},
    {FeedbackStatus::kClosed, "closed"},
    {FeedbackStatus::kRejected, "rejected"},
    {FeedbackStatus::kMerged, "merged"},
}};
constexpr std::array<std::pair<AnswerStatus, std::string_view>, 4> kAnswerNames = {{
    {AnswerStatus::kNone, "none"},
    {AnswerStatus::kDraft, "draft"},
    {AnswerStatus::kSubmitted, "submitted"},
    {AnswerStatus::kPublished, "published"},
}};

template <typename E, size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& names, E value) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return names[0].second;
}

template <typename E, size_t N>
std::optional<E> value_of(const std::array<std::pair<E, std::string_view>, N>& names,
                          std::string_view name) {
  for (const auto& [v, n] : names) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view status_name(FeedbackStatus s) { return name_of(kStatusNames, s); }
std::optional<FeedbackStatus> parse_status(std::string_view s) { return value_of(kStatusNames, s); }
std::string_view answer_status_name(AnswerStatus s) { return name_of(kAnswerNames, s); }
std::optional<AnswerStatus> parse_answer_status(std::string_view s) {
  return value_of(kAnswerNames, s);
}

}  // namespace nguon::feedback
