#include "core/schedule/local_time.h"

#include <cstdio>

#include "core/workdays/lunar.h"

namespace nguon::schedule {
namespace {

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// Parses exactly `n` ASCII digits at `s[at]`.
std::optional<int> digits(std::string_view s, size_t at, size_t n) {
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

std::optional<LocalDate> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto y = digits(s, 0, 4);
  auto m = digits(s, 5, 2);
  auto d = digits(s, 8, 2);
  if (!y || !m || !d || *y < 1970 || *m < 1 || *m > 12) return std::nullopt;
  if (*d < 1 || *d > days_in_month(*y, *m)) return std::nullopt;
  return LocalDate{*y, *m, *d};
}

std::string format_date(LocalDate d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
  return buf;
}

// Howard Hinnant's days_from_civil / civil_from_days.
std::int64_t day_number(LocalDate d) { return workdays::days_from_civil({d.year, d.month, d.day}); }

LocalDate date_of_day_number(std::int64_t days) {
  const workdays::CivilDate c = workdays::civil_from_days(days);
  return {c.year, c.month, c.day};
}

LocalDate add_days(LocalDate d, std::int64_t days) {
  return date_of_day_number(day_number(d) + days);
}

int weekday(LocalDate d) {
  // 1970-01-01 was a Thursday (3 when Monday is 0).
  return static_cast<int>(((day_number(d) + 3) % 7 + 7) % 7);
}

UnixTime to_unix(LocalDate d, std::int64_t minute_of_day) {
  return day_number(d) * 86400 + minute_of_day * 60 - kLocalUtcOffsetSeconds;
}

LocalDateTime to_local(UnixTime t) {
  const UnixTime local = t + kLocalUtcOffsetSeconds;
  const std::int64_t days = floor_div(local, 86400);
  const std::int64_t seconds = local - days * 86400;
  return {date_of_day_number(days), static_cast<int>(seconds / 60), static_cast<int>(seconds % 60)};
}

LocalDate local_date_of(UnixTime t) { return to_local(t).date; }

std::string iso8601_local(UnixTime t) {
  const LocalDateTime l = to_local(t);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d+07:00", format_date(l.date).c_str(),
                l.minute_of_day / 60, l.minute_of_day % 60, l.second);
  return buf;
}

std::optional<int> parse_hhmm(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  auto h = digits(s, 0, 2);
  auto m = digits(s, 3, 2);
  if (!h || !m || *h > 23 || *m > 59) return std::nullopt;
  return *h * 60 + *m;
}

std::string format_hhmm(std::int64_t minute_of_day) {
  const std::int64_t m = ((minute_of_day % kMinutesPerDay) + kMinutesPerDay) % kMinutesPerDay;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(m / 60), static_cast<int>(m % 60));
  return buf;
}

}  // namespace nguon::schedule
