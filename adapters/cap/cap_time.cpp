#include "adapters/cap/cap_time.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

namespace nguon::cap {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t y;
  unsigned m;
  unsigned d;
};

Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

bool leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned month_days(std::int64_t y, unsigned m) {
  static constexpr std::array<unsigned, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

// Reads `n` digits at `pos` of `s` into `out`.
bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) {
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(s[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<UnixTime> parse_cap_time(std::string_view s) {
  // 0123456789012345678901234
  // YYYY-MM-DDThh:mm:ss+hh:mm
  if (s.size() != 25 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || (s[19] != '+' && s[19] != '-') || s[22] != ':') {
    return std::nullopt;
  }
  unsigned y = 0;
  unsigned mo = 0;
  unsigned d = 0;
  unsigned h = 0;
  unsigned mi = 0;
  unsigned sec = 0;
  unsigned oh = 0;
  unsigned om = 0;
  if (!digits(s, 0, 4, y) || !digits(s, 5, 2, mo) || !digits(s, 8, 2, d) || !digits(s, 11, 2, h) ||
      !digits(s, 14, 2, mi) || !digits(s, 17, 2, sec) || !digits(s, 20, 2, oh) ||
      !digits(s, 23, 2, om)) {
    return std::nullopt;
  }
  // Years 1900..9000 only: every time then formats back to a four-digit year at any offset.
  if (y < 1900 || y > 9000 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
      mi > 59 || sec > 59 || oh > 14 || om > 59) {
    return std::nullopt;
  }
  const std::int64_t offset = (static_cast<std::int64_t>(oh) * 60 + om) * 60;
  const std::int64_t clock = (static_cast<std::int64_t>(h) * 60 + mi) * 60 + sec;
  const std::int64_t local = days_from_civil(y, mo, d) * 86400 + clock;
  return s[19] == '+' ? local - offset : local + offset;
}

std::string format_cap_time(UnixTime t, int offset_minutes) {
  const std::int64_t local = t + static_cast<std::int64_t>(offset_minutes) * 60;
  std::int64_t days = local / 86400;
  std::int64_t secs = local % 86400;
  if (secs < 0) {
    secs += 86400;
    days -= 1;
  }
  const Civil c = civil_from_days(days);
  // CAP zones are within ±14 h; clamping also bounds the text for the compiler's checks.
  const int off = std::min(offset_minutes < 0 ? -offset_minutes : offset_minutes, 99 * 60 + 59);
  std::array<char, 96> buf{};
  std::snprintf(buf.data(), buf.size(), "%04lld-%02u-%02uT%02lld:%02lld:%02lld%c%02d:%02d",
                static_cast<long long>(c.y), c.m, c.d, static_cast<long long>(secs / 3600),
                static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60),
                offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
  return buf.data();
}

}  // namespace nguon::cap
