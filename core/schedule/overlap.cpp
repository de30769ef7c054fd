#include "core/schedule/overlap.h"

#include <algorithm>
#include <iterator>

namespace nguon::schedule {

std::vector<TimeSpan> spans_on(const std::vector<LocalDate>& dates, int start_minute,
                               int duration_minutes) {
  std::vector<TimeSpan> out;
  out.reserve(dates.size());
  for (const LocalDate& d : dates) {
    const UnixTime start = to_unix(d, start_minute);
    out.push_back({start, start + static_cast<UnixTime>(duration_minutes) * 60});
  }
  return out;
}

std::optional<std::pair<TimeSpan, TimeSpan>> first_overlap(const std::vector<TimeSpan>& a,
                                                           const std::vector<TimeSpan>& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i].end <= b[j].start) {
      ++i;
    } else if (b[j].end <= a[i].start) {
      ++j;
    } else {
      return std::pair{a[i], b[j]};
    }
  }
  return std::nullopt;
}

bool daily_windows_intersect(int start_a, int duration_a, int start_b, int duration_b) {
  if (duration_a >= kMinutesPerDay || duration_b >= kMinutesPerDay) return true;
  // Shift b by a day either way so a window past midnight meets one early the next day.
  for (int shift : {-kMinutesPerDay, 0, kMinutesPerDay}) {
    const int b = start_b + shift;
    if (start_a < b + duration_b && b < start_a + duration_a) return true;
  }
  return false;
}

bool overlap_allowed(Priority a, Priority b) { return a != b; }

std::vector<std::string> common_ids(const std::vector<std::string>& a,
                                    const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace nguon::schedule
