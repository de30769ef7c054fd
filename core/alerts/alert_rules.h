// The pure rules of the alert desk (issue 6): which info of a CAP alert is spoken, the
// Vietnamese bulletin text, the broadcast priority, the auto-broadcast decision, and the plan of
// topics that reaches the devices of an alert's area inside a source's unit.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/alerts/area.h"
#include "core/alerts/cap_model.h"
#include "core/alerts_model.h"
#include "core/devices_model.h"
#include "core/model.h"

namespace nguon::alerts {

// Ranks of CAP's ordered values, highest first (Extreme 4 … Unknown 0); nullopt for a value CAP
// does not define. Compared exactly as CAP spells them.
std::optional<int> severity_rank(std::string_view severity);
std::optional<int> urgency_rank(std::string_view urgency);
std::optional<int> certainty_rank(std::string_view certainty);

// The info whose language is Vietnamese ("vi", "vi-VN", any case), else the first; nullptr when
// the alert has none.
const CapInfo* spoken_info(const CapAlert& alert);

// Upper bound of the spoken text, in bytes of UTF-8 (about three minutes of speech).
inline constexpr std::size_t kMaxSpokenBytes = 4000;

// The bulletin read on air: an opening by kind ("Tin thử nghiệm." for non-Actual statuses;
// "Cảnh báo khẩn cấp" for Extreme or Severe, "Cảnh báo" for Moderate, "Thông báo" otherwise;
// "Cập nhật" before it for an Update), the sender's name, then headline, description and
// instruction as sentences. Cut at a sentence or word boundary to kMaxSpokenBytes.
std::string bulletin_text(const CapAlert& alert);

// Extreme or Severe → emergency (preempts everything); any other severity → priority.
Priority broadcast_priority(const CapInfo& info);

// Whether the info reaches every minimum of the source (an unknown value never does).
bool meets_auto_thresholds(const AlertSource& source, const CapInfo& info);

// Topics that reach the devices an alert targets inside `scope` (the source's unit):
// - a "VN-ADM" geocode for a unit inside scope → that unit's area topic; for a unit that
//   contains scope → scope's own area topic; outside scope → nothing;
// - devices of `in_scope` with coordinates inside a polygon or circle and not already under a
//   chosen unit → their own topics.
struct TargetPlan {
  std::vector<std::string> areas;       // unit codes, none inside another
  std::vector<std::string> device_ids;  // sorted
  std::size_t devices = 0;              // devices of in_scope reached in all
};
TargetPlan plan_targets(const CapAlert& alert, const Unit& scope,
                        const std::vector<Device>& in_scope, const UnitPathLookup& path_of);

}  // namespace nguon::alerts
