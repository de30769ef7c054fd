#include "core/workdays/lunar.h"

#include <cmath>

namespace nguon::workdays {
namespace {

bool is_leap_year(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : kDays[m - 1];
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// ---- Hồ Ngọc Đức's algorithm (https://www.informatik.uni-leipzig.de/~duc/amlich/), ported
// term by term from his reference implementation, with time zone 7. Days are Julian day
// numbers of local (UTC+7) calendar days; INT() there is floor() here.

constexpr double kPi = 3.14159265358979323846;
constexpr double kTimeZone = 7.0;
// Julian day number of 1970-01-01.
constexpr std::int64_t kJdnOfUnixEpoch = 2440588;
// The mean synodic month, in days, and the Julian day of the new moon of 1900-01-01 13:51 UT.
constexpr double kSynodicMonth = 29.530588853;
constexpr double kNewMoonEpoch = 2415021.076998695;

std::int64_t jdn(CivilDate d) { return days_from_civil(d) + kJdnOfUnixEpoch; }

std::int64_t floor_to_int(double x) { return static_cast<std::int64_t>(std::floor(x)); }

// The local day of the k-th new moon after the one of 1900-01-01.
std::int64_t new_moon_day(std::int64_t k) {
  const double kk = static_cast<double>(k);
  const double t = kk / 1236.85;  // Julian centuries since 1900-01-01 12:00
  const double t2 = t * t;
  const double t3 = t2 * t;
  const double dr = kPi / 180;
  double jd1 = 2415020.75933 + 29.53058868 * kk + 0.0001178 * t2 - 0.000000155 * t3;
  jd1 += 0.00033 * std::sin((166.56 + 132.87 * t - 0.009173 * t2) * dr);            // mean new moon
  const double m = 359.2242 + 29.10535608 * kk - 0.0000333 * t2 - 0.00000347 * t3;  // sun
  const double mpr = 306.0253 + 385.81691806 * kk + 0.0107306 * t2 + 0.00001236 * t3;  // moon
  const double f = 21.2964 + 390.67050646 * kk - 0.0016528 * t2 - 0.00000239 * t3;     // latitude
  double c1 = (0.1734 - 0.000393 * t) * std::sin(m * dr) + 0.0021 * std::sin(2 * dr * m);
  c1 = c1 - 0.4068 * std::sin(mpr * dr) + 0.0161 * std::sin(dr * 2 * mpr);
  c1 = c1 - 0.0004 * std::sin(dr * 3 * mpr);
  c1 = c1 + 0.0104 * std::sin(dr * 2 * f) - 0.0051 * std::sin(dr * (m + mpr));
  c1 = c1 - 0.0074 * std::sin(dr * (m - mpr)) + 0.0004 * std::sin(dr * (2 * f + m));
  c1 = c1 - 0.0004 * std::sin(dr * (2 * f - m)) - 0.0006 * std::sin(dr * (2 * f + mpr));
  c1 = c1 + 0.0010 * std::sin(dr * (2 * f - mpr)) + 0.0005 * std::sin(dr * (2 * mpr + m));
  double deltat = 0;
  if (t < -11) {
    deltat = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3;
  } else {
    deltat = -0.000278 + 0.000265 * t + 0.000262 * t2;
  }
  const double jd_new = jd1 + c1 - deltat;
  return floor_to_int(jd_new + 0.5 + kTimeZone / 24);
}

// The sun's longitude at the local midnight starting day `day`, as one of 12 sectors of 30°
// (0 = [0°, 30°) … 11), the principal solar terms being the sector boundaries.
int sun_longitude_sector(std::int64_t day) {
  const double t = (static_cast<double>(day) - 2451545.5 - kTimeZone / 24) / 36525;
  const double t2 = t * t;
  const double dr = kPi / 180;
  const double m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2;
  const double l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2;
  double dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * std::sin(dr * m);
  dl = dl + (0.019993 - 0.000101 * t) * std::sin(dr * 2 * m) + 0.000290 * std::sin(dr * 3 * m);
  double l = (l0 + dl) * dr;
  l = l - kPi * 2 * std::floor(l / (kPi * 2));
  return static_cast<int>(std::floor(l / kPi * 6));
}

// The new moon index nearest local day `day`.
std::int64_t nearest_new_moon_index(std::int64_t day) {
  return floor_to_int((static_cast<double>(day) - kNewMoonEpoch) / kSynodicMonth + 0.5);
}

// The first day of month 11 (the month holding the winter solstice) in Gregorian year `year`.
std::int64_t lunar_month11(int year) {
  const double off = static_cast<double>(jdn({year, 12, 31}) - 2415021);
  const std::int64_t k = floor_to_int(off / kSynodicMonth);
  std::int64_t nm = new_moon_day(k);
  if (sun_longitude_sector(nm) >= 9) nm = new_moon_day(k - 1);  // past 270°: one month earlier
  return nm;
}

// In a 13-month year starting with month 11 on day `a11`: the position (1..12) after month 11
// of the leap month, the first month that holds no principal solar term.
int leap_month_offset(std::int64_t a11) {
  const std::int64_t k = nearest_new_moon_index(a11);
  int i = 1;
  int arc = sun_longitude_sector(new_moon_day(k + i));
  int last = 0;
  do {
    last = arc;
    ++i;
    arc = sun_longitude_sector(new_moon_day(k + i));
  } while (arc != last && i < 14);
  return i - 1;
}

// The new moon index starting lunar month (year, month, leap); nullopt if it does not exist.
std::optional<std::int64_t> month_index(int year, int month, bool leap) {
  if (year < kLunarFirstYear - 1 || year > kLunarLastYear || month < 1 || month > 12) {
    return std::nullopt;
  }
  // Months 11 and 12 start in the winter of `year`; the others follow month 11 of `year - 1`.
  const int solstice_year = month < 11 ? year - 1 : year;
  const std::int64_t a11 = lunar_month11(solstice_year);
  const std::int64_t b11 = lunar_month11(solstice_year + 1);
  int off = month - 11;
  if (off < 0) off += 12;
  if (b11 - a11 > 365) {  // 13 months: one of them is a leap month
    const int leap_off = leap_month_offset(a11);
    int leap_month = leap_off - 2;
    if (leap_month < 0) leap_month += 12;
    if (leap && month != leap_month) return std::nullopt;
    if (leap || off >= leap_off) off += 1;
  } else if (leap) {
    return std::nullopt;
  }
  return nearest_new_moon_index(a11) + off;
}

bool in_range(std::int64_t day) {
  return day >= jdn({kLunarFirstYear, 1, 1}) && day <= jdn({kLunarLastYear, 12, 31});
}

}  // namespace

// Howard Hinnant's days_from_civil / civil_from_days.
std::int64_t days_from_civil(CivilDate d) {
  const std::int64_t y = d.month <= 2 ? std::int64_t{d.year} - 1 : std::int64_t{d.year};
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (std::int64_t{d.month} + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate civil_from_days(std::int64_t days) {
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

int weekday(CivilDate d) {
  // 1970-01-01 was a Thursday.
  return static_cast<int>(((days_from_civil(d) + 4) % 7 + 7) % 7);
}

bool valid_civil(CivilDate d) {
  return d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= days_in_month(d.year, d.month);
}

std::optional<LunarDate> solar_to_lunar(CivilDate d) {
  if (!valid_civil(d) || d.year < kLunarFirstYear || d.year > kLunarLastYear) return std::nullopt;
  const std::int64_t day = jdn(d);
  // The month holding `day` starts at the last new moon on or before it. The reference
  // implementation tries only the estimate k and k + 1 and so gives day 0 on the rare eve of a
  // new moon that comes earlier than the mean estimate (2054-05-07, 2062-04-09); searching on
  // fixes that and agrees with it everywhere else.
  std::int64_t k = floor_to_int((static_cast<double>(day) - kNewMoonEpoch) / kSynodicMonth);
  while (new_moon_day(k) > day) --k;
  while (new_moon_day(k + 1) <= day) ++k;
  const std::int64_t month_start = new_moon_day(k);
  std::int64_t a11 = lunar_month11(d.year);
  std::int64_t b11 = a11;
  int lunar_year = 0;
  if (a11 >= month_start) {  // before this winter's month 11: the year began last winter
    lunar_year = d.year;
    a11 = lunar_month11(d.year - 1);
  } else {
    lunar_year = d.year + 1;
    b11 = lunar_month11(d.year + 1);
  }
  const int lunar_day = static_cast<int>(day - month_start + 1);
  const int diff = static_cast<int>(floor_div(month_start - a11, 29));  // months after month 11
  bool leap = false;
  int lunar_month = diff + 11;
  if (b11 - a11 > 365) {
    const int leap_diff = leap_month_offset(a11);
    if (diff >= leap_diff) {
      lunar_month = diff + 10;
      leap = diff == leap_diff;
    }
  }
  if (lunar_month > 12) lunar_month -= 12;
  if (lunar_month >= 11 && diff < 4) lunar_year -= 1;
  return LunarDate{lunar_year, lunar_month, lunar_day, leap};
}

std::optional<CivilDate> lunar_to_solar(LunarDate l) {
  const auto k = month_index(l.year, l.month, l.leap);
  if (!k) return std::nullopt;
  const std::int64_t start = new_moon_day(*k);
  const std::int64_t length = new_moon_day(*k + 1) - start;
  if (l.day < 1 || l.day > length) return std::nullopt;
  const std::int64_t day = start + l.day - 1;
  if (!in_range(day)) return std::nullopt;
  return civil_from_days(day - kJdnOfUnixEpoch);
}

int lunar_month_length(int lunar_year, int month, bool leap) {
  const auto k = month_index(lunar_year, month, leap);
  if (!k) return 0;
  const std::int64_t start = new_moon_day(*k);
  if (!in_range(start)) return 0;
  return static_cast<int>(new_moon_day(*k + 1) - start);
}

}  // namespace nguon::workdays
