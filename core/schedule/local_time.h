// Local calendar time in Asia/Ho_Chi_Minh, the zone every schedule is written in.
// Vietnam has used UTC+7 without daylight saving since 1975, so local wall-clock time and Unix
// time differ by a fixed offset: converting needs no time zone database (and no I/O). Dates
// before 1975 are outside any schedule and are not treated specially.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/model.h"

namespace nguon::schedule {

// Asia/Ho_Chi_Minh = UTC+07:00, all year.
inline constexpr UnixTime kLocalUtcOffsetSeconds = 7 * 3600;
inline constexpr int kMinutesPerDay = 24 * 60;

// A proleptic Gregorian calendar date (no time, no zone).
struct LocalDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  friend auto operator<=>(const LocalDate&, const LocalDate&) = default;
};

// Strict "YYYY-MM-DD" of a real date with year 1970..9999; nullopt otherwise.
std::optional<LocalDate> parse_date(std::string_view s);
// "YYYY-MM-DD".
std::string format_date(LocalDate d);

// Days since 1970-01-01 (negative before it), and back.
std::int64_t day_number(LocalDate d);
LocalDate date_of_day_number(std::int64_t days);
LocalDate add_days(LocalDate d, std::int64_t days);
// 0 = Monday … 6 = Sunday.
int weekday(LocalDate d);

// The Unix time of local wall-clock `minute_of_day` (may exceed a day) on `d`.
UnixTime to_unix(LocalDate d, std::int64_t minute_of_day);
// The local date and minute of the day (0..1439) at Unix time `t`; seconds are dropped.
struct LocalDateTime {
  LocalDate date;
  int minute_of_day = 0;
  int second = 0;
};
LocalDateTime to_local(UnixTime t);
LocalDate local_date_of(UnixTime t);

// "2026-12-01T06:00:00+07:00": ISO 8601 in local time with its offset.
std::string iso8601_local(UnixTime t);

// Strict "HH:MM" (00:00..23:59) → minute of the day; nullopt otherwise.
std::optional<int> parse_hhmm(std::string_view s);
// Minute of the day → "HH:MM" (taken modulo a day).
std::string format_hhmm(std::int64_t minute_of_day);

}  // namespace nguon::schedule
