// The recurrence port: which local dates a programme occurs on. RFC 5545 rules are parsed and
// expanded by an adapter (adapters/calendar, libical); the core only states the contract and
// turns a Programme's text fields into a typed rule.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/devices_model.h"
#include "core/result.h"
#include "core/schedule/local_time.h"

namespace nguon::schedule {

// A programme's recurrence, all in Asia/Ho_Chi_Minh local dates.
struct RecurrenceRule {
  // RFC 5545 RRULE value without the "RRULE:" prefix ("FREQ=WEEKLY;BYDAY=MO,FR"); empty for a
  // single occurrence on `first`.
  std::string rrule;
  LocalDate first;                 // DTSTART: the first date the rule may occur on
  std::optional<LocalDate> last;   // no occurrence after it (in addition to COUNT/UNTIL)
  std::vector<LocalDate> exdates;  // skipped dates (e.g. Tết holidays)
};

// Thread-safe; pure computation.
class RecurrenceExpander {
 public:
  virtual ~RecurrenceExpander() = default;
  // Checks RRULE text as a user typed it. Accepted: FREQ=DAILY|WEEKLY|MONTHLY|YEARLY with
  // INTERVAL, COUNT or UNTIL (a date, YYYYMMDD), BYDAY, BYMONTHDAY, BYMONTH, BYYEARDAY,
  // BYWEEKNO, BYSETPOS, WKST, combined as RFC 5545 §3.3.10 allows (numbered weekdays only in
  // MONTHLY or YEARLY rules, BYWEEKNO and BYYEARDAY only in YEARLY ones, no BYMONTHDAY in
  // WEEKLY ones). Times of day (BYHOUR…, HOURLY…) are refused: a programme's time is its
  // start_time. An empty text is valid (one occurrence). Error: invalid("invalid_rrule",
  // "rrule: …" naming the offending part).
  virtual Status validate(std::string_view rrule) = 0;
  // The dates in [from, to] (inclusive) on which `rule` occurs, ascending and unique: the rule
  // expanded from `first` (COUNT counts from there, exdates included), minus the exdates, none
  // after `last`. An empty window gives an empty list. Errors: invalid("invalid_rrule", …).
  virtual Result<std::vector<LocalDate>> expand(const RecurrenceRule& rule, LocalDate from,
                                                LocalDate to) = 0;
};

// The typed rule of a programme whose fields were validated on the way in. Errors:
// invalid("invalid_field", …) naming first_date, last_date or exdates.
Result<RecurrenceRule> recurrence_of(const Programme& p);

}  // namespace nguon::schedule
