// Overlap rules between programmes, as pure functions over their occurrences.
//
// Policy: two enabled programmes of EQUAL priority must not be on air on the same device at
// the same time (the device would have to choose, and Circular 39 gives it no rule to choose
// by). When one has a strictly higher priority, the overlap is allowed: on the device, the
// higher one preempts the lower (docs/protocol.md, "Priority"), which then resumes if its slot
// is still current.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/bulletins_model.h"
#include "core/model.h"
#include "core/schedule/local_time.h"

namespace nguon::schedule {

// A half-open interval [start, end) of Unix time.
struct TimeSpan {
  UnixTime start = 0;
  UnixTime end = 0;
  friend bool operator==(const TimeSpan&, const TimeSpan&) = default;
};

// The on-air spans of a programme held on `dates` (ascending) from local `start_minute` for
// `duration_minutes`. Ascending; disjoint because a programme lasts less than a day.
std::vector<TimeSpan> spans_on(const std::vector<LocalDate>& dates, int start_minute,
                               int duration_minutes);

// The earliest pair of overlapping spans (a's, b's) of two ascending, internally disjoint
// lists; nullopt when none overlap. O(|a| + |b|): one day is compared with its neighbours only.
std::optional<std::pair<TimeSpan, TimeSpan>> first_overlap(const std::vector<TimeSpan>& a,
                                                           const std::vector<TimeSpan>& b);

// Whether two daily time windows [start, start + duration) in minutes, taken around the clock
// (a window may run past midnight), intersect. When they do not, no occurrences of the two
// programmes can overlap whatever their dates: a cheap test before expanding any rule.
bool daily_windows_intersect(int start_a, int duration_a, int start_b, int duration_b);

// Whether programmes of these priorities may overlap (see the policy above).
bool overlap_allowed(Priority a, Priority b);

// Elements of both ascending lists, ascending.
std::vector<std::string> common_ids(const std::vector<std::string>& a,
                                    const std::vector<std::string>& b);

}  // namespace nguon::schedule
