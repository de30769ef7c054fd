#include "core/workdays/work_calendar.h"

#include <algorithm>
#include <utility>

namespace nguon::workdays {
namespace {

constexpr UnixTime kSecondsPerDay = 86400;
constexpr UnixTime kUtcOffsetSeconds = UnixTime{7} * 3600;  // Asia/Ho_Chi_Minh, no daylight saving

// The local (UTC+7) day number of Unix time `t`, without overflow near the int64 limits.
std::int64_t local_day(UnixTime t) {
  std::int64_t q = t / kSecondsPerDay;
  std::int64_t r = t % kSecondsPerDay;
  if (r < 0) {
    r += kSecondsPerDay;
    --q;
  }
  return r >= kSecondsPerDay - kUtcOffsetSeconds ? q + 1 : q;
}

// 00:00 UTC+7 of local day `day`.
UnixTime start_of_day(std::int64_t day) { return day * kSecondsPerDay - kUtcOffsetSeconds; }

bool is_rest_day(std::int64_t day, bool saturday_is_working) {
  const int wd = weekday(civil_from_days(day));
  return wd == 0 || (wd == 6 && !saturday_is_working);
}

std::vector<std::int64_t> day_numbers(const std::vector<CivilDate>& dates) {
  std::vector<std::int64_t> out;
  out.reserve(dates.size());
  for (const CivilDate& d : dates) {
    if (valid_civil(d)) out.push_back(days_from_civil(d));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

bool contains(const std::vector<std::int64_t>& sorted, std::int64_t day) {
  return std::binary_search(sorted.begin(), sorted.end(), day);
}

// Years whose holidays are kept once computed (bounded memory whatever the input).
constexpr int kFirstCachedYear = kLunarFirstYear;
constexpr int kLastCachedYear = kLunarLastYear;

}  // namespace

struct WorkCalendar::YearData {
  std::vector<Holiday> holidays;   // sorted by date, each date once
  std::vector<std::int64_t> days;  // their day numbers, same order
};

WorkCalendar::WorkCalendar(HolidayRules rules)
    : rules_(std::move(rules)),
      extra_off_days_(day_numbers(rules_.extra_days_off)),
      extra_working_days_(day_numbers(rules_.extra_working_days)) {}

WorkCalendar::YearData WorkCalendar::compute_year(int year) const {
  std::map<std::int64_t, Holiday> out;  // by day number: sorted, each date once
  auto add = [&](std::int64_t day, std::string vi, std::string en, HolidayKind kind) {
    out.emplace(day, Holiday{civil_from_days(day), std::move(vi), std::move(en), kind});
  };

  // Statutory holidays (work_calendar.h). Where two fall on one date, the first added names it.
  const auto statutory = [&](CivilDate d, const char* vi, const char* en) {
    add(days_from_civil(d), vi, en, HolidayKind::kStatutory);
  };
  statutory({year, 1, 1}, "Tết Dương lịch", "New Year's Day");
  if (const auto new_year = lunar_to_solar({year, 1, 1, false})) {
    const std::int64_t first = days_from_civil(*new_year);
    for (std::int64_t day = first - 1; day <= first + 3; ++day) {  // last day of the year, 1–4/1
      add(day, "Tết Nguyên Đán", "Lunar New Year (Tết)", HolidayKind::kStatutory);
    }
  }
  if (const auto hung = lunar_to_solar({year, 3, 10, false})) {
    statutory(*hung, "Giỗ Tổ Hùng Vương", "Hùng Kings' Commemoration Day");
  }
  statutory({year, 4, 30}, "Ngày Giải phóng miền Nam, thống nhất đất nước", "Reunification Day");
  statutory({year, 5, 1}, "Ngày Quốc tế Lao động", "International Labour Day");
  const CivilDate national_day{year, 9, 2};
  statutory(national_day, "Quốc khánh", "National Day");
  statutory({year, 9, weekday(national_day) == 2 ? 1 : 3}, "Quốc khánh", "National Day");

  // Extra days off of this year (a date already statutory stays statutory).
  const std::int64_t first_day = days_from_civil({year, 1, 1});
  const std::int64_t last_day = days_from_civil({year, 12, 31});
  for (std::int64_t day : extra_off_days_) {
    if (day >= first_day && day <= last_day) {
      add(day, "Ngày nghỉ bổ sung", "Additional day off", HolidayKind::kExtra);
    }
  }

  // Compensatory days, statutory holidays in date order. (With these rules the last statutory
  // holiday is in early September, so a compensatory day never leaves the year.)
  std::vector<std::pair<std::int64_t, Holiday>> on_rest_days;
  for (const auto& [day, h] : out) {
    if (h.kind == HolidayKind::kStatutory && is_rest_day(day, rules_.saturday_is_working)) {
      on_rest_days.emplace_back(day, h);
    }
  }
  for (const auto& [day, h] : on_rest_days) {
    std::int64_t c = day + 1;
    while (is_rest_day(c, rules_.saturday_is_working) || out.contains(c)) ++c;
    add(c, "Nghỉ bù " + h.name_vi, "Compensatory day off (" + h.name_en + ")",
        HolidayKind::kCompensatory);
  }

  // Extra working days override everything.
  for (std::int64_t day : extra_working_days_) out.erase(day);

  YearData data;
  data.holidays.reserve(out.size());
  data.days.reserve(out.size());
  for (auto& [day, h] : out) {
    data.days.push_back(day);
    data.holidays.push_back(std::move(h));
  }
  return data;
}

std::shared_ptr<const WorkCalendar::YearData> WorkCalendar::year_data(int year) const {
  if (year < kFirstCachedYear || year > kLastCachedYear) {
    return std::make_shared<const YearData>(compute_year(year));
  }
  {
    const std::lock_guard lock(mu_);
    if (auto it = cache_.find(year); it != cache_.end()) return it->second;
  }
  // Computed outside the lock (lunar conversions are the slow part); a race computes it twice
  // and keeps the first.
  auto data = std::make_shared<const YearData>(compute_year(year));
  const std::lock_guard lock(mu_);
  return cache_.emplace(year, std::move(data)).first->second;
}

std::vector<Holiday> WorkCalendar::holidays(int year) const { return year_data(year)->holidays; }

bool WorkCalendar::is_holiday(CivilDate d) const {
  if (!valid_civil(d)) return false;
  return contains(year_data(d.year)->days, days_from_civil(d));
}

bool WorkCalendar::is_working_day_number(std::int64_t day) const {
  if (contains(extra_working_days_, day)) return true;
  if (is_rest_day(day, rules_.saturday_is_working)) return false;
  const CivilDate d = civil_from_days(day);
  return !contains(year_data(d.year)->days, day);
}

bool WorkCalendar::is_working_day(CivilDate d) const {
  return valid_civil(d) && is_working_day_number(days_from_civil(d));
}

UnixTime WorkCalendar::deadline(UnixTime from, int working_days) const {
  std::int64_t day = local_day(from);
  if (working_days <= 0) {
    while (!is_working_day_number(day)) ++day;
  } else {
    for (int counted = 0; counted < working_days;) {
      ++day;
      if (is_working_day_number(day)) ++counted;
    }
  }
  return start_of_day(day + 1);
}

int WorkCalendar::working_days_between(UnixTime from, UnixTime to) const {
  const std::int64_t last = local_day(to);
  int n = 0;
  for (std::int64_t day = local_day(from) + 1; day <= last; ++day) {
    if (is_working_day_number(day)) ++n;
  }
  return n;
}

UnixTime WorkCalendar::reminder_time(UnixTime due, int days_before) const {
  std::int64_t day = local_day(due - 1);
  for (int counted = 0; counted < days_before;) {
    --day;
    if (is_working_day_number(day)) ++counted;
  }
  return start_of_day(day);
}

}  // namespace nguon::workdays
