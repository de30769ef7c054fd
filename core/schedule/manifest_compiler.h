// Manifest compilation as a pure function: what every device must play, as concrete slots in
// Unix seconds (docs/protocol.md, "manifest"). ScheduleService gathers the inputs from the
// store and the media store; this part decides, and is tested without either.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/bulletins_model.h"
#include "core/model.h"
#include "core/protocol.h"

namespace nguon::schedule {

// A programme ready to compile: its occurrence starts and its resolved playlist.
struct PlannedProgramme {
  std::int64_t id = 0;
  Priority priority = Priority::kNormal;
  int duration_minutes = 30;
  std::vector<UnixTime> starts;  // ascending
  std::vector<protocol::PlayItem> items;
};

// A "priority" bulletin from a higher level (Circular 39/2020): it goes first in the next
// slot that starts at or after `available_from` and before `valid_until` (0: open-ended).
struct PriorityBulletin {
  std::int64_t bulletin_id = 0;
  UnixTime available_from = 0;  // max(published_at, valid_from)
  UnixTime valid_until = 0;
  protocol::PlayItem item;  // its audio
};

// Everything that reaches one device.
struct DevicePlan {
  std::vector<const PlannedProgramme*> programmes;
  std::vector<PriorityBulletin> priority_bulletins;
};

// The slot id of the protocol: "p<programme id>@<start>".
std::string slot_id(std::int64_t programme_id, UnixTime start);

// The device's manifest: one slot per programme occurrence that has not ended by `now` and
// starts before horizon_end, ascending by start (then programme id). A slot on air at `now`
// stays in, so a recompile during it does not cut it off (the agent remembers what it already
// played). Slots already over are still used to place priority bulletins (a bulletin whose
// next slot already aired is not aired again), then dropped. Priority
// bulletins are prepended in the order they became available; a bulletin already in the
// slot's playlist is moved to the front rather than played twice.
protocol::Manifest compile_manifest(const DevicePlan& plan, UnixTime now, UnixTime horizon_end);

}  // namespace nguon::schedule
