// The Gregorian arithmetic (against std::chrono) and the computed lunar calendar against
// published dates: Tết, Hùng Kings' day, leap months, month lengths.
#include <gtest/gtest.h>

#include <chrono>
#include <map>

#include "core/workdays/lunar.h"

namespace nguon::workdays {
namespace {

namespace chr = std::chrono;

std::int64_t chrono_days(int y, unsigned m, unsigned d) {
  return chr::sys_days{chr::year{y} / chr::month{m} / chr::day{d}}.time_since_epoch().count();
}

TEST(Civil, DaysAgreeWithChrono) {
  for (int y : {1600, 1899, 1900, 1969, 1970, 2000, 2024, 2100, 2199, 2400}) {
    for (unsigned m = 1; m <= 12; ++m) {
      for (unsigned d : {1u, 15u, 28u}) {
        const CivilDate c{y, static_cast<int>(m), static_cast<int>(d)};
        EXPECT_EQ(days_from_civil(c), chrono_days(y, m, d)) << y << "-" << m << "-" << d;
        EXPECT_EQ(civil_from_days(chrono_days(y, m, d)), c);
      }
    }
  }
  EXPECT_EQ(days_from_civil({1970, 1, 1}), 0);
  EXPECT_EQ(days_from_civil({1969, 12, 31}), -1);
  EXPECT_EQ(civil_from_days(chrono_days(2024, 2, 29)), (CivilDate{2024, 2, 29}));
}

TEST(Civil, WeekdayStartsOnSunday) {
  EXPECT_EQ(weekday({1970, 1, 1}), 4);   // Thursday
  EXPECT_EQ(weekday({2025, 1, 29}), 3);  // Wednesday
  EXPECT_EQ(weekday({2026, 2, 15}), 0);  // Sunday
  EXPECT_EQ(weekday({2024, 2, 10}), 6);  // Saturday
  EXPECT_EQ(weekday({1969, 12, 28}), 0);
  for (std::int64_t day = -800; day < 800; ++day) {
    const auto c = civil_from_days(day);
    const unsigned expected =
        chr::weekday{chr::sys_days{chr::days{day}}}.c_encoding();  // 0 = Sunday
    ASSERT_EQ(weekday(c), static_cast<int>(expected)) << day;
  }
}

TEST(Civil, Validity) {
  EXPECT_TRUE(valid_civil({2024, 2, 29}));
  EXPECT_FALSE(valid_civil({2023, 2, 29}));
  EXPECT_TRUE(valid_civil({2000, 2, 29}));
  EXPECT_FALSE(valid_civil({1900, 2, 29}));
  EXPECT_FALSE(valid_civil({2024, 4, 31}));
  EXPECT_TRUE(valid_civil({2024, 12, 31}));
  EXPECT_FALSE(valid_civil({2024, 13, 1}));
  EXPECT_FALSE(valid_civil({2024, 0, 1}));
  EXPECT_FALSE(valid_civil({2024, 1, 0}));
}

TEST(Lunar, LunarNewYears) {
  const std::map<int, CivilDate> tet = {
      {2020, {2020, 1, 25}},
      {2021, {2021, 2, 12}},
      {2022, {2022, 2, 1}},
      {2023, {2023, 1, 22}},
      {2024, {2024, 2, 10}},
      {2025, {2025, 1, 29}},
      {2026, {2026, 2, 17}},
      {2027, {2027, 2, 6}},
      {2028, {2028, 1, 26}},
      // Years where Vietnam (UTC+7) and China (UTC+8) differ. In 2030 the new moon is at
      // 23:07 on 2 February in Hanoi, 00:07 on 3 February in Beijing: Tết is 2 February in
      // Vietnam (3 February is the Chinese New Year). Likewise 2007 (17 vs 18 February), 2053
      // (18 vs 19 February), 1985 (21 January vs 20 February) and 1968 (29 vs 30 January).
      {2030, {2030, 2, 2}},
      {2007, {2007, 2, 17}},
      {2053, {2053, 2, 18}},
      {1985, {1985, 1, 21}},
      {1968, {1968, 1, 29}}};
  for (const auto& [year, date] : tet) {
    EXPECT_EQ(lunar_to_solar({year, 1, 1, false}), date) << year;
    EXPECT_EQ(solar_to_lunar(date), (LunarDate{year, 1, 1, false})) << year;
  }
}

TEST(Lunar, HungKingsDay) {
  EXPECT_EQ(lunar_to_solar({2024, 3, 10, false}), (CivilDate{2024, 4, 18}));
  EXPECT_EQ(lunar_to_solar({2025, 3, 10, false}), (CivilDate{2025, 4, 7}));
  EXPECT_EQ(lunar_to_solar({2026, 3, 10, false}), (CivilDate{2026, 4, 26}));
  // 2023 has a leap month 2 before it: 10/3 was Saturday 29 April.
  EXPECT_EQ(lunar_to_solar({2023, 3, 10, false}), (CivilDate{2023, 4, 29}));
  EXPECT_EQ(solar_to_lunar({2025, 4, 7}), (LunarDate{2025, 3, 10, false}));
}

TEST(Lunar, LeapMonths) {
  // Leap month 4 of 2020 (Canh Tý): 2020-05-23 .. 2020-06-20.
  EXPECT_EQ(lunar_to_solar({2020, 4, 1, true}), (CivilDate{2020, 5, 23}));
  EXPECT_EQ(solar_to_lunar({2020, 6, 20}), (LunarDate{2020, 4, 29, true}));
  EXPECT_EQ(solar_to_lunar({2020, 6, 21}), (LunarDate{2020, 5, 1, false}));
  EXPECT_EQ(lunar_month_length(2020, 4, true), 29);
  // Leap month 2 of 2023 (Quý Mão): 2023-03-22 .. 2023-04-19.
  EXPECT_EQ(lunar_to_solar({2023, 2, 1, true}), (CivilDate{2023, 3, 22}));
  EXPECT_EQ(solar_to_lunar({2023, 3, 21}), (LunarDate{2023, 2, 30, false}));
  EXPECT_EQ(solar_to_lunar({2023, 4, 20}), (LunarDate{2023, 3, 1, false}));
  // Leap month 6 of 2025 (Ất Tỵ): 2025-07-25 .. 2025-08-22.
  EXPECT_EQ(lunar_to_solar({2025, 6, 1, true}), (CivilDate{2025, 7, 25}));
  EXPECT_EQ(solar_to_lunar({2025, 8, 22}), (LunarDate{2025, 6, 29, true}));
  EXPECT_EQ(solar_to_lunar({2025, 8, 23}), (LunarDate{2025, 7, 1, false}));

  // No other leap month in those years, and none in 2024.
  for (int m = 1; m <= 12; ++m) {
    EXPECT_EQ(lunar_to_solar({2020, m, 1, true}).has_value(), m == 4) << m;
    EXPECT_EQ(lunar_to_solar({2023, m, 1, true}).has_value(), m == 2) << m;
    EXPECT_EQ(lunar_to_solar({2025, m, 1, true}).has_value(), m == 6) << m;
    EXPECT_FALSE(lunar_to_solar({2024, m, 1, true})) << m;
    EXPECT_EQ(lunar_month_length(2024, m, true), 0) << m;
  }
}

TEST(Lunar, EndOfTheYear) {
  // Giáp Thìn (2024) ends on 29/12 = 2025-01-28: its month 12 starts 2024-12-31, 29 days.
  EXPECT_EQ(lunar_month_length(2024, 12, false), 29);
  EXPECT_EQ(solar_to_lunar({2025, 1, 28}), (LunarDate{2024, 12, 29, false}));
  EXPECT_EQ(lunar_to_solar({2024, 12, 1, false}), (CivilDate{2024, 12, 31}));
  EXPECT_FALSE(lunar_to_solar({2024, 12, 30, false}));  // no 30 Tết in 2025
  // Quý Mão (2023) ends on 30/12 = 2024-02-09 (the 2024 Tết decision: 8/2 was 29 tháng Chạp).
  EXPECT_EQ(lunar_month_length(2023, 12, false), 30);
  EXPECT_EQ(lunar_to_solar({2023, 12, 30, false}), (CivilDate{2024, 2, 9}));
  EXPECT_EQ(solar_to_lunar({2024, 2, 8}), (LunarDate{2023, 12, 29, false}));
  // The months 11 and 12 belong to the lunar year that began the winter before.
  EXPECT_EQ(solar_to_lunar({2024, 12, 31}), (LunarDate{2024, 12, 1, false}));
}

TEST(Lunar, RejectsWhatDoesNotExist) {
  EXPECT_FALSE(lunar_to_solar({2025, 0, 1, false}));
  EXPECT_FALSE(lunar_to_solar({2025, 13, 1, false}));
  EXPECT_FALSE(lunar_to_solar({2025, 1, 0, false}));
  EXPECT_FALSE(lunar_to_solar({2025, 1, 31, false}));
  EXPECT_EQ(lunar_month_length(2025, 13, false), 0);
  EXPECT_FALSE(solar_to_lunar({2025, 2, 29}));
  EXPECT_FALSE(solar_to_lunar({1899, 12, 31}));
  EXPECT_FALSE(solar_to_lunar({2200, 1, 1}));
  EXPECT_TRUE(solar_to_lunar({1900, 1, 1}));
  EXPECT_TRUE(solar_to_lunar({2199, 12, 31}));
  EXPECT_FALSE(lunar_to_solar({1800, 1, 1, false}));
  EXPECT_FALSE(lunar_to_solar({2300, 1, 1, false}));
}

// On the eve of a new moon that comes well before its mean time, the day still belongs to the
// ending month (Hồ Ngọc Đức's reference code gives day 0 of the next month there).
TEST(Lunar, EveOfAnEarlyNewMoon) {
  EXPECT_EQ(solar_to_lunar({2054, 5, 7}), (LunarDate{2054, 3, 30, false}));
  EXPECT_EQ(solar_to_lunar({2054, 5, 8}), (LunarDate{2054, 4, 1, false}));
  EXPECT_EQ(solar_to_lunar({2062, 4, 9}), (LunarDate{2062, 2, 30, false}));
  EXPECT_EQ(solar_to_lunar({2062, 4, 10}), (LunarDate{2062, 3, 1, false}));
}

// Every day of the range converts to a lunar date and back.
TEST(Lunar, RoundTripsEveryDay1900To2199) {
  const std::int64_t last = days_from_civil({2199, 12, 31});
  for (std::int64_t day = days_from_civil({1900, 1, 1}); day <= last; ++day) {
    const CivilDate c = civil_from_days(day);
    const auto l = solar_to_lunar(c);
    ASSERT_TRUE(l && l->day >= 1) << c.year << "-" << c.month << "-" << c.day;
    ASSERT_EQ(lunar_to_solar(*l), c) << c.year << "-" << c.month << "-" << c.day;
  }
  EXPECT_EQ(solar_to_lunar({1900, 1, 1}), (LunarDate{1899, 12, 1, false}));
}

// Every day of 2000–2050 goes to a lunar date and back; consecutive days are consecutive lunar
// days, months have 29 or 30 days, and each lunar year has at most one leap month.
TEST(Lunar, RoundTripsEveryDay2000To2050) {
  const std::int64_t first = days_from_civil({2000, 1, 1});
  const std::int64_t last = days_from_civil({2050, 12, 31});
  std::optional<LunarDate> prev;
  std::map<int, int> leap_month_of_year;
  for (std::int64_t day = first; day <= last; ++day) {
    const CivilDate c = civil_from_days(day);
    const auto l = solar_to_lunar(c);
    ASSERT_TRUE(l) << c.year << "-" << c.month << "-" << c.day;
    ASSERT_EQ(lunar_to_solar(*l), c) << c.year << "-" << c.month << "-" << c.day;
    ASSERT_GE(l->day, 1);
    ASSERT_LE(l->day, 30);
    if (l->day == 1) {
      const int length = lunar_month_length(l->year, l->month, l->leap);
      ASSERT_TRUE(length == 29 || length == 30) << c.year << "-" << c.month << "-" << c.day;
      ASSERT_EQ(solar_to_lunar(civil_from_days(day + length - 1))->day, length);
    }
    if (l->leap) {
      auto [it, inserted] = leap_month_of_year.emplace(l->year, l->month);
      ASSERT_EQ(it->second, l->month) << l->year;
    }
    if (prev) {
      if (l->day == 1) {
        ASSERT_TRUE(prev->day == 29 || prev->day == 30);
        if (l->leap) {
          ASSERT_EQ(l->month, prev->month);
        } else if (l->month == 1) {
          ASSERT_EQ(prev->month, 12);
          ASSERT_EQ(l->year, prev->year + 1);
        } else {
          ASSERT_EQ(l->month, prev->month + 1);
        }
      } else {
        ASSERT_EQ(*l, (LunarDate{prev->year, prev->month, prev->day + 1, prev->leap}));
      }
    }
    prev = l;
  }
  EXPECT_EQ(leap_month_of_year.at(2020), 4);
  EXPECT_EQ(leap_month_of_year.at(2023), 2);
  EXPECT_EQ(leap_month_of_year.at(2025), 6);
  EXPECT_FALSE(leap_month_of_year.contains(2024));
  // 19 years hold 7 leap months (the Metonic cycle).
  int leaps = 0;
  for (int y = 2001; y <= 2019; ++y) leaps += leap_month_of_year.contains(y) ? 1 : 0;
  EXPECT_EQ(leaps, 7);
}

}  // namespace
}  // namespace nguon::workdays
