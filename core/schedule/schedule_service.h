// Programmes (recurring broadcast slots) and what they compile to: validation, scope, audit,
// overlap detection, the calendar view, and per-device manifests (docs/protocol.md).
//
// Who: station operators and administrators of a unit manage the programmes it owns (and those
// of its subtree); anyone who may read a unit sees them. A programme outside the caller's
// scope answers not_found, so its existence does not leak.
//
// Overlaps: see core/schedule/overlap.h. Equal-priority programmes on a common device may not
// be on air at once (create/update answer conflict("schedule_overlap")); a strictly higher
// priority preempts a lower one and is allowed.
//
// Circular 39/2020: a bulletin of priority "priority" published by a higher level (province or
// centre) for a commune goes first in the commune's next slot after its publication, on every
// device it targets; compile_manifests places it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/access.h"
#include "core/accounts.h"
#include "core/devices_model.h"
#include "core/ports.h"
#include "core/protocol.h"
#include "core/result.h"
#include "core/schedule/local_time.h"
#include "core/schedule/recurrence.h"
#include "core/speech.h"
#include "core/store.h"

namespace nguon {

namespace schedule {
// JSON text of a programme, for audit entries.
std::string programme_snapshot(const Programme& p);
}  // namespace schedule

// A programme as an operator sends it. On create, absent fields take defaults (name,
// first_date, start_minute and items are required); on update, absent fields keep their value.
struct ProgrammeInput {
  std::optional<std::string> name;
  std::optional<std::string> owner_unit;  // create only; the owner never changes
  std::optional<Priority> priority;
  std::optional<std::vector<std::string>> target_units;
  std::optional<std::vector<std::int64_t>> target_groups;
  std::optional<std::string> rrule;
  std::optional<std::string> first_date;
  std::optional<std::string> last_date;
  std::optional<std::vector<std::string>> exdates;
  std::optional<int> start_minute;
  std::optional<int> duration_minutes;
  std::optional<std::vector<ProgrammeItem>> items;
  std::optional<bool> enabled;
};

// Another programme that a create/update would overlap, at its first clash.
struct ScheduleClash {
  std::int64_t programme_id = 0;
  std::string name;
  std::string owner_unit;
  UnixTime start = 0;  // the other programme's first clashing occurrence
  UnixTime end = 0;
  std::int64_t device_count = 0;        // devices both programmes play on
  std::vector<std::string> device_ids;  // the first few of them
};

// One occurrence, for the calendar view.
struct ScheduleOccurrence {
  std::int64_t programme_id = 0;
  std::string name;
  std::string owner_unit;
  Priority priority = Priority::kNormal;
  UnixTime start = 0;
  UnixTime end = 0;
  std::string targets;  // "14797, 14797-001, g3", or the owner unit when targets are empty
};

class ScheduleService {
 public:
  // Called after every committed change with the owner unit's path (e.g. to recompile and
  // publish the manifests of the devices below it). May be empty.
  using ChangeHook = std::function<void(const std::string& owner_path)>;

  // `media` may be null: media items are then refused and compile_manifests is unavailable.
  ScheduleService(Store& store, Clock& clock, Crypto& crypto,
                  schedule::RecurrenceExpander& expander, MediaStore* media,
                  ChangeHook on_change = {})
      : store_(store),
        clock_(clock),
        crypto_(crypto),
        expander_(expander),
        media_(media),
        on_change_(std::move(on_change)) {}

  // Checks RRULE text alone (e.g. for a form that validates as the operator types);
  // invalid("invalid_rrule", …) naming the offending part.
  Status validate_rrule(std::string_view rrule) { return expander_.validate(rrule); }

  // Programmes owned inside `unit_code`'s subtree ("" = inside all of the caller's scope).
  Result<std::vector<Programme>> list(const access::Principal& p, const std::string& unit_code);
  Result<Programme> get(const access::Principal& p, std::int64_t id);
  // On an overlap, returns conflict("schedule_overlap") and, when `clashes` is given, fills it.
  Result<Programme> create(const access::Principal& p, ProgrammeInput input,
                           const RequestOrigin& origin,
                           std::vector<ScheduleClash>* clashes = nullptr);
  Result<Programme> update(const access::Principal& p, std::int64_t id, ProgrammeInput input,
                           const RequestOrigin& origin,
                           std::vector<ScheduleClash>* clashes = nullptr);
  Status remove(const access::Principal& p, std::int64_t id, const RequestOrigin& origin);

  // Occurrences of enabled programmes that reach `unit_code` (owned inside it, or targeting it
  // from above) on local dates [from, to], at most kMaxCalendarDays days; by start.
  Result<std::vector<ScheduleOccurrence>> occurrences(const access::Principal& p,
                                                      const std::string& unit_code,
                                                      schedule::LocalDate from,
                                                      schedule::LocalDate to);

  // Manifests by device id for the devices given (decommissioned ones are skipped): the slots
  // of every enabled programme that targets the device (its unit_path lies under a target
  // unit, it is in a target group, or, for empty targets, under the owner unit) starting in
  // [now, now + horizon_days days), items resolved to media (sha256, bytes, duration) and
  // streams; Circular 39 priority bulletins first (see above). Items that cannot be resolved
  // (a bulletin without audio or no longer published, missing media, no signature tune) are
  // left out and described in `warnings`. horizon_days is clamped to 1..31.
  Result<std::map<std::string, protocol::Manifest>> compile_manifests(
      const std::vector<Device>& devices, UnixTime now, int horizon_days,
      std::vector<std::string>* warnings = nullptr);

  static constexpr int kOverlapHorizonDays = 366;
  // A programme must occur at least once within this many years of its first date.
  static constexpr int kNoOccurrenceYears = 4;
  static constexpr int kMaxCalendarDays = 400;
  static constexpr size_t kMaxItems = 50;
  static constexpr size_t kMaxTargets = 200;
  static constexpr size_t kMaxExdates = 400;
  static constexpr int kMaxDurationMinutes = 720;
  // How far back priority bulletins are matched to past slots (see compile_manifest).
  static constexpr UnixTime kPriorityLookbackSeconds = 31 * 86400;

 private:
  Result<Programme> write_programme(const access::Principal& p, std::optional<std::int64_t> id,
                                    ProgrammeInput input, const RequestOrigin& origin,
                                    std::vector<ScheduleClash>* clashes);
  Status validate(Tx& tx, const Unit& owner, Programme& prog);
  Status check_items(Tx& tx, const Unit& owner, const Programme& prog);
  Status check_overlaps(Tx& tx, const Programme& prog, std::vector<ScheduleClash>* clashes);
  Result<std::vector<schedule::LocalDate>> dates_of(const Programme& prog, schedule::LocalDate from,
                                                    schedule::LocalDate to);
  void changed(const std::string& owner_path) const {
    if (on_change_) on_change_(owner_path);
  }

  Store& store_;
  Clock& clock_;
  Crypto& crypto_;
  schedule::RecurrenceExpander& expander_;
  MediaStore* media_;
  ChangeHook on_change_;
};

}  // namespace nguon
