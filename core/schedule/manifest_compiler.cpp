#include "core/schedule/manifest_compiler.h"

#include <algorithm>

namespace nguon::schedule {
namespace {

// Every slot up to the horizon, including those before `now`.
std::vector<protocol::Slot> all_slots(const DevicePlan& plan, UnixTime horizon_end) {
  std::vector<protocol::Slot> slots;
  for (const PlannedProgramme* p : plan.programmes) {
    for (UnixTime start : p->starts) {
      if (start >= horizon_end) break;
      slots.push_back({slot_id(p->id, start), start,
                       start + static_cast<UnixTime>(p->duration_minutes) * 60, p->priority,
                       p->items});
    }
  }
  std::sort(slots.begin(), slots.end(), [](const protocol::Slot& a, const protocol::Slot& b) {
    return a.start != b.start ? a.start < b.start : a.id < b.id;
  });
  return slots;
}

// Index of the first slot in which `b` may air; slots.size() when none.
size_t slot_for(const std::vector<protocol::Slot>& slots, const PriorityBulletin& b) {
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].start < b.available_from) continue;
    if (b.valid_until != 0 && slots[i].start >= b.valid_until) break;
    return i;
  }
  return slots.size();
}

void prepend(protocol::Slot& slot, const std::vector<protocol::PlayItem>& first) {
  std::vector<protocol::PlayItem> items = first;
  for (const protocol::PlayItem& item : slot.items) {
    const bool duplicate = std::any_of(first.begin(), first.end(), [&](const auto& f) {
      return item.kind == protocol::ItemKind::kMedia && f.sha256 == item.sha256;
    });
    if (!duplicate) items.push_back(item);
  }
  slot.items = std::move(items);
}

}  // namespace

std::string slot_id(std::int64_t programme_id, UnixTime start) {
  return "p" + std::to_string(programme_id) + "@" + std::to_string(start);
}

protocol::Manifest compile_manifest(const DevicePlan& plan, UnixTime now, UnixTime horizon_end) {
  std::vector<protocol::Slot> slots = all_slots(plan, horizon_end);
  std::vector<PriorityBulletin> bulletins = plan.priority_bulletins;
  std::stable_sort(bulletins.begin(), bulletins.end(), [](const auto& a, const auto& b) {
    return a.available_from != b.available_from ? a.available_from < b.available_from
                                                : a.bulletin_id < b.bulletin_id;
  });
  std::vector<std::vector<protocol::PlayItem>> first_items(slots.size());
  for (const PriorityBulletin& b : bulletins) {
    const size_t i = slot_for(slots, b);
    if (i < slots.size()) first_items[i].push_back(b.item);
  }
  protocol::Manifest m;
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i].end <= now) continue;  // over; a running slot stays (see the header)
    if (!first_items[i].empty()) prepend(slots[i], first_items[i]);
    m.slots.push_back(std::move(slots[i]));
  }
  return m;
}

}  // namespace nguon::schedule
