#include "core/schedule/local_time.h"

#include <cstdio>

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
std::int64_t day_number(LocalDate d) {
  const std::int64_t y = d.month <= 2 ? d.year - 1 : d.year;
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (d.month + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

LocalDate date_of_day_number(std::int64_t days) {
  const std::int64_t z = days + 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  const int year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
  return {year, month, day};
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
