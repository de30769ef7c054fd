// The proleptic Gregorian calendar and the Vietnamese lunisolar calendar (âm lịch).
// The lunar calendar is computed, not tabulated: Hồ Ngọc Đức's published algorithm (new moons
// and the sun's longitude from Jean Meeus' formulas, evaluated for UTC+7, the meridian Vietnam
// has used since 1968). A lunar month starts on the local day of a new moon; month 11 is the
// month that contains the winter solstice; when 13 new moons separate two months 11, the first
// month after month 11 without a principal solar term is the leap month (tháng nhuận) and takes
// the number of the month before it. Because the zone is UTC+7, some years differ from the
// Chinese calendar (UTC+8): Tết 1985 was 21 January in Vietnam, 20 February in China.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>

namespace nguon::workdays {

// A proleptic Gregorian calendar date (no time, no zone).
struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  auto operator<=>(const CivilDate&) const = default;
};

// A date of the Vietnamese lunar calendar. `year` is the lunar year, named by the Gregorian year
// in which its first day falls (lunar year 2025 = Ất Tỵ, from 2025-01-29 to 2026-02-16).
// `leap` marks the leap month that follows month `month`.
struct LunarDate {
  int year = 0;
  int month = 1;  // 1..12
  int day = 1;    // 1..30
  bool leap = false;
  bool operator==(const LunarDate&) const = default;
};

// Days since 1970-01-01 (negative before it), and back. `d` need not be valid (days past the
// end of a month carry over), but only valid dates round-trip.
std::int64_t days_from_civil(CivilDate d);
CivilDate civil_from_days(std::int64_t days);
// 0 = Sunday … 6 = Saturday.
int weekday(CivilDate d);
// A real date: month 1..12, day within the month (any year).
bool valid_civil(CivilDate d);

// The range of Gregorian dates the lunar conversions accept.
inline constexpr int kLunarFirstYear = 1900;
inline constexpr int kLunarLastYear = 2199;

// The lunar date of a valid Gregorian date of 1900-01-01..2199-12-31; nullopt otherwise.
std::optional<LunarDate> solar_to_lunar(CivilDate d);
// The Gregorian date of a lunar date; nullopt when that lunar date does not exist (no such leap
// month that year, day 30 of a 29-day month, month or day out of range) or its Gregorian date
// falls outside 1900-01-01..2199-12-31.
std::optional<CivilDate> lunar_to_solar(LunarDate l);
// 29 or 30: the length of lunar month `month` (the leap month after it with `leap`) of
// `lunar_year`; 0 if there is no such month (exactly when lunar_to_solar of its day 1 is nullopt).
int lunar_month_length(int lunar_year, int month, bool leap);

}  // namespace nguon::workdays
