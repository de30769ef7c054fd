#include "core/alerts/alert_rules.h"

#include <algorithm>
#include <array>
#include <utility>

namespace nguon::alerts {

namespace {

using Scale = std::array<std::string_view, 5>;  // rank 4 first

std::optional<int> rank_in(const Scale& scale, std::string_view value) {
  for (size_t i = 0; i < scale.size(); ++i) {
    if (scale[i] == value) return static_cast<int>(scale.size() - 1 - i);
  }
  return std::nullopt;
}

bool starts_with_vi(std::string_view language) {
  return language.size() >= 2 && (language[0] == 'v' || language[0] == 'V') &&
         (language[1] == 'i' || language[1] == 'I') && (language.size() == 2 || language[2] == '-');
}

// Trims spaces and line breaks at both ends and folds inner runs of white space into one space.
std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Appends `part` as a sentence: ends it with a full stop unless it already ends with . ! ? or :.
void append_sentence(std::string& out, std::string_view part) {
  const std::string line = one_line(part);
  if (line.empty()) return;
  if (!out.empty()) out += ' ';
  out += line;
  const char last = out.back();
  if (last != '.' && last != '!' && last != '?' && last != ':') out += '.';
}

// Whether byte i begins a UTF-8 sequence.
bool at_char_start(const std::string& s, size_t i) {
  return i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
}

// `text` cut to at most `limit` bytes, after the last sentence end that fits, else the last
// space, else the last whole character.
std::string cut(const std::string& text, size_t limit) {
  if (text.size() <= limit) return text;
  size_t end = limit;
  while (end > 0 && !at_char_start(text, end)) --end;
  const std::string_view head(text.data(), end);
  for (std::string_view marks : {std::string_view(".!?"), std::string_view(" ")}) {
    const size_t at = head.find_last_of(marks);
    if (at != std::string_view::npos && at > limit / 2) {
      return std::string(head.substr(0, marks == " " ? at : at + 1));
    }
  }
  return std::string(head);
}

std::string opening(const CapAlert& alert, const CapInfo& info) {
  std::string kind;
  if (info.severity == "Extreme" || info.severity == "Severe") {
    kind = "Cảnh báo khẩn cấp";
  } else if (info.severity == "Moderate") {
    kind = "Cảnh báo";
  } else {
    kind = "Thông báo";
  }
  if (alert.msg_type == CapMsgType::kUpdate) {
    kind[0] = static_cast<char>(kind[0] - 'A' + 'a');  // "Cảnh…" / "Thông…": ASCII first letter
    kind = "Cập nhật " + kind;
  }
  const std::string from = one_line(info.sender_name);
  if (!from.empty()) kind += " của " + from;
  return kind;
}

bool under(std::string_view path, std::string_view ancestor) {
  return !ancestor.empty() && path.starts_with(ancestor);
}

}  // namespace

std::optional<int> severity_rank(std::string_view s) {
  static constexpr Scale kScale{"Extreme", "Severe", "Moderate", "Minor", "Unknown"};
  return rank_in(kScale, s);
}
std::optional<int> urgency_rank(std::string_view s) {
  static constexpr Scale kScale{"Immediate", "Expected", "Future", "Past", "Unknown"};
  return rank_in(kScale, s);
}
std::optional<int> certainty_rank(std::string_view s) {
  static constexpr Scale kScale{"Observed", "Likely", "Possible", "Unlikely", "Unknown"};
  return rank_in(kScale, s);
}

const CapInfo* spoken_info(const CapAlert& alert) {
  if (alert.infos.empty()) return nullptr;
  for (const CapInfo& info : alert.infos) {
    if (starts_with_vi(info.language)) return &info;
  }
  return &alert.infos.front();
}

std::string bulletin_text(const CapAlert& alert) {
  const CapInfo* info = spoken_info(alert);
  if (info == nullptr) return "";
  std::string out;
  if (alert.status != CapStatus::kActual) append_sentence(out, "Tin thử nghiệm");
  append_sentence(out, opening(alert, *info));
  append_sentence(out, info->headline.empty() ? info->event : info->headline);
  append_sentence(out, info->description);
  append_sentence(out, info->instruction);
  return cut(out, kMaxSpokenBytes);
}

Priority broadcast_priority(const CapInfo& info) {
  return info.severity == "Extreme" || info.severity == "Severe" ? Priority::kEmergency
                                                                 : Priority::kPriority;
}

bool meets_auto_thresholds(const AlertSource& source, const CapInfo& info) {
  const std::array<std::pair<std::optional<int>, std::optional<int>>, 3> pairs{{
      {severity_rank(info.severity), severity_rank(source.min_severity)},
      {urgency_rank(info.urgency), urgency_rank(source.min_urgency)},
      {certainty_rank(info.certainty), certainty_rank(source.min_certainty)},
  }};
  return std::all_of(pairs.begin(), pairs.end(),
                     [](const auto& p) { return p.first && p.second && *p.first >= *p.second; });
}

TargetPlan plan_targets(const CapAlert& alert, const Unit& scope,
                        const std::vector<Device>& in_scope, const UnitPathLookup& path_of) {
  std::vector<std::pair<std::string, std::string>> units;  // (code, path)
  auto add_unit = [&](std::string code, std::string path) {
    if (std::none_of(units.begin(), units.end(), [&](const auto& u) { return u.first == code; })) {
      units.emplace_back(std::move(code), std::move(path));
    }
  };
  for (const CapInfo& info : alert.infos) {
    for (const CapArea& area : info.areas) {
      for (const std::string& code : admin_geocodes(area)) {
        const auto path = path_of ? path_of(code) : std::nullopt;
        if (!path || path->empty()) continue;
        if (under(*path, scope.path)) {
          add_unit(code, *path);
        } else if (under(scope.path, *path)) {
          add_unit(scope.code, scope.path);
        }
      }
    }
  }
  // Drop units inside another chosen unit: one publish on the outer one reaches them.
  TargetPlan plan;
  for (const auto& unit : units) {
    const bool nested = std::any_of(units.begin(), units.end(), [&](const auto& other) {
      return other.second != unit.second && under(unit.second, other.second);
    });
    if (!nested) plan.areas.push_back(unit.first);
  }
  auto in_chosen_unit = [&](const Device& d) {
    return std::any_of(units.begin(), units.end(),
                       [&](const auto& u) { return under(d.unit_path, u.second); });
  };
  for (const Device& d : in_scope) {
    if (d.status == DeviceStatus::kDecommissioned || !under(d.unit_path, scope.path)) continue;
    if (in_chosen_unit(d)) {
      ++plan.devices;
      continue;
    }
    if (!d.lat || !d.lon) continue;
    const GeoPoint at{*d.lat, *d.lon};
    const bool inside = std::any_of(alert.infos.begin(), alert.infos.end(), [&](const CapInfo& i) {
      return std::any_of(i.areas.begin(), i.areas.end(),
                         [&](const CapArea& a) { return area_contains(a, at); });
    });
    if (inside) {
      plan.device_ids.push_back(d.id);
      ++plan.devices;
    }
  }
  std::sort(plan.device_ids.begin(), plan.device_ids.end());
  return plan;
}

}  // namespace nguon::alerts
