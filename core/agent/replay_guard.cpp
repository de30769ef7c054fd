#include "core/agent/replay_guard.h"

#include <charconv>
#include <vector>

namespace nguon::agent {

namespace {

bool is_desired_state(protocol::MessageType t) {
  return t == protocol::MessageType::kManifest || t == protocol::MessageType::kSettings;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ') ++j;
    if (j > i) words.push_back(line.substr(i, j - i));
    i = j;
  }
  return words;
}

}  // namespace

ReplayGuard::Verdict ReplayGuard::check(const protocol::Message& m) const {
  if (is_desired_state(m.type())) {
    const auto& in_force =
        m.type() == protocol::MessageType::kManifest ? manifest_seq_ : settings_seq_;
    if (in_force && m.seq < *in_force) return Verdict::kReplayed;
    if (in_force && m.seq == *in_force) return Verdict::kDuplicate;
  }
  if (seen_.contains(m.seq)) return Verdict::kReplayed;
  return Verdict::kAccept;
}

void ReplayGuard::accept(const protocol::Message& m, UnixTime now) {
  forget_expired(now);
  switch (m.type()) {
    case protocol::MessageType::kManifest:
      manifest_seq_ = m.seq;
      break;
    case protocol::MessageType::kSettings:
      settings_seq_ = m.seq;
      break;
    default:
      break;
  }
  // Desired states are remembered too: a manifest's seq must never be accepted as an order.
  if (m.exp > now) seen_[m.seq] = m.exp;
}

ReplayGuard::Verdict ReplayGuard::admit(const protocol::Message& m, UnixTime now) {
  Verdict v = check(m);
  if (v == Verdict::kAccept) accept(m, now);
  return v;
}

void ReplayGuard::forget_expired(UnixTime now) {
  std::erase_if(seen_, [now](const auto& entry) { return entry.second <= now; });
}

std::string ReplayGuard::serialize() const {
  std::string out;
  if (manifest_seq_) out += "manifest " + std::to_string(*manifest_seq_) + "\n";
  if (settings_seq_) out += "settings " + std::to_string(*settings_seq_) + "\n";
  for (const auto& [seq, exp] : seen_) {
    out += "seen " + std::to_string(seq) + " " + std::to_string(exp) + "\n";
  }
  return out;
}

Result<ReplayGuard> ReplayGuard::parse(std::string_view text) {
  ReplayGuard guard;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    auto words = split_words(line);
    if (words.empty()) continue;
    auto bad = [&] {
      return invalid("malformed", "replay guard line " + std::to_string(line_no) + " unreadable");
    };
    if ((words[0] == "manifest" || words[0] == "settings") && words.size() == 2) {
      auto seq = parse_int(words[1]);
      if (!seq) return bad();
      (words[0] == "manifest" ? guard.manifest_seq_ : guard.settings_seq_) = *seq;
    } else if (words[0] == "seen" && words.size() == 3) {
      auto seq = parse_int(words[1]);
      auto exp = parse_int(words[2]);
      if (!seq || !exp) return bad();
      guard.seen_[*seq] = *exp;
    } else {
      return bad();
    }
  }
  return guard;
}

}  // namespace nguon::agent
