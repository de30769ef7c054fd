#include "core/schedule/recurrence.h"

namespace nguon::schedule {

Result<RecurrenceRule> recurrence_of(const Programme& p) {
  RecurrenceRule r;
  r.rrule = p.rrule;
  auto first = parse_date(p.first_date);
  if (!first) return invalid("invalid_field", "first_date: must be a date YYYY-MM-DD");
  r.first = *first;
  if (!p.last_date.empty()) {
    r.last = parse_date(p.last_date);
    if (!r.last) return invalid("invalid_field", "last_date: must be a date YYYY-MM-DD or empty");
  }
  for (const std::string& s : p.exdates) {
    auto d = parse_date(s);
    if (!d) return invalid("invalid_field", "exdates: '" + s + "' is not a date YYYY-MM-DD");
    r.exdates.push_back(*d);
  }
  return r;
}

}  // namespace nguon::schedule
