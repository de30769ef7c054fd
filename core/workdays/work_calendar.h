// Vietnam's working-day calendar: public holidays and deadlines counted in working days
// (feedback must be forwarded and answered within so many working days of its receipt).
//
// Public holidays (Labour Code 2019, Art. 112; Decree 145/2020/NĐ-CP), computed for any
// year from the rules below, the lunar ones from the computed lunar calendar (lunar.h):
//   - Tết Dương lịch: 1 January, 1 day.
//   - Tết Nguyên Đán: 5 days, the last day of the lunar year (29 or 30 of month 12) and lunar
//     1/1, 2/1, 3/1 and 4/1. The Prime Minister fixes the exact days each year (they may start
//     earlier or end later); this is the default, and a year's decision is expressed with the
//     two override lists of HolidayRules.
//   - Giỗ Tổ Hùng Vương (Hùng Kings' commemoration): lunar 10/3 (of the ordinary month 3, never
//     a leap month 3), 1 day.
//   - 30 April (Reunification Day) and 1 May (International Labour Day), 1 day each.
//   - Quốc khánh (National Day): 2 September and one adjacent day chosen each year by the Prime
//     Minister, 1 or 3 September. Default here: 1 September when 2 September is a Tuesday (so
//     Monday joins the weekend), 3 September otherwise.
//   - Compensatory days off (nghỉ bù, Art. 112(3)): each statutory holiday day that falls on a
//     weekly rest day (Sunday; Saturday too unless saturday_is_working) gives one day off on the
//     next day that is not a weekly rest day, not a holiday, not an extra day off and not
//     already a compensatory day. The year's holidays are processed in date order, so two
//     weekend days of Tết give the first two working days after it.
//   - extra_days_off (e.g. a Prime Minister's decision adding a bridge day): days off of kind
//     kExtra (a date that already is a statutory holiday stays statutory).
//   - extra_working_days (e.g. the Saturday worked to make up a bridge day): working days
//     whatever the rules above say; they override everything, holidays and compensatory days
//     included (computed first, then removed), so a year's actual arrangement can always be
//     written with the two lists.
// Weekly rest days: Saturday and Sunday (civil servants work Monday to Friday), Sunday only with
// saturday_is_working.
//
// Local time is Vietnam's, UTC+7 all year. The lunar holidays are known for 1900..2199 (the
// range of the lunar calendar); outside it a year has its Gregorian holidays only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/workdays/lunar.h"

namespace nguon::workdays {

enum class HolidayKind { kStatutory, kCompensatory, kExtra };

struct Holiday {
  CivilDate date;
  std::string name_vi;
  std::string name_en;
  HolidayKind kind;
};

// Configuration: `[feedback] extra_days_off` / `extra_working_days` (docs/configuration.md).
// Invalid dates in the lists are ignored (the configuration validates them).
struct HolidayRules {
  std::vector<CivilDate> extra_days_off;  // e.g. a Prime Minister's decision adding a bridge day
  std::vector<CivilDate> extra_working_days;  // a Saturday worked to make up a bridge day
  bool saturday_is_working = false;           // civil servants: false (Mon–Fri)
};

// Immutable after construction; safe to share across threads (the per-year holiday cache is
// guarded by a mutex). Not copyable.
class WorkCalendar {
 public:
  explicit WorkCalendar(HolidayRules rules = {});

  // The holidays of Gregorian year `year`, sorted by date, each date once.
  std::vector<Holiday> holidays(int year) const;
  // False for invalid dates.
  bool is_holiday(CivilDate d) const;
  // Listed in extra_working_days, or neither a weekly rest day nor a holiday. False for invalid
  // dates.
  bool is_working_day(CivilDate d) const;

  // Deadlines. `from` is a Unix time, read in local time (UTC+7). The day of receipt is never
  // counted: the deadline is the END of the n-th working day after the local day containing
  // `from`, i.e. the Unix time of 00:00 UTC+7 of the following calendar day. n <= 0: the end of
  // the first working day on or after the day of receipt.
  UnixTime deadline(UnixTime from, int working_days) const;
  // Working days strictly after the local day of `from` up to and including the local day of
  // `to` (0 when to's local day is not after from's).
  int working_days_between(UnixTime from, UnixTime to) const;
  // The start (00:00 UTC+7) of the working day that lies `days_before` working days before the
  // local day containing `due - 1` (the last day of a deadline). days_before <= 0: the start of
  // that last day itself.
  UnixTime reminder_time(UnixTime due, int days_before) const;

 private:
  struct YearData;
  std::shared_ptr<const YearData> year_data(int year) const;
  YearData compute_year(int year) const;
  bool is_working_day_number(std::int64_t day) const;

  HolidayRules rules_;
  std::vector<std::int64_t> extra_off_days_;      // day numbers, sorted, unique
  std::vector<std::int64_t> extra_working_days_;  // day numbers, sorted, unique
  mutable std::mutex mu_;
  mutable std::map<int, std::shared_ptr<const YearData>> cache_;  // guarded by mu_
};

}  // namespace nguon::workdays
