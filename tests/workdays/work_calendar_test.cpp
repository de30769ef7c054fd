// Holidays and working-day deadlines. Expected values are worked out by hand from the calendar
// (weekdays noted in comments) and the rules in core/workdays/work_calendar.h.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "core/workdays/work_calendar.h"

namespace nguon::workdays {
namespace {

namespace chr = std::chrono;

// Unix time of local (UTC+7) wall-clock time, computed with std::chrono.
UnixTime local(int y, unsigned m, unsigned d, int hour = 0, int minute = 0) {
  const std::int64_t days =
      chr::sys_days{chr::year{y} / chr::month{m} / chr::day{d}}.time_since_epoch().count();
  return days * 86400 + hour * 3600 + minute * 60 - 7 * 3600;
}
// The end of local day y-m-d: 00:00 UTC+7 of the next calendar day.
UnixTime end_of(int y, unsigned m, unsigned d) { return local(y, m, d) + 86400; }

struct Expected {
  CivilDate date;
  HolidayKind kind;
};

void expect_holidays(const WorkCalendar& cal, int year, const std::vector<Expected>& expected) {
  const auto got = cal.holidays(year);
  ASSERT_EQ(got.size(), expected.size()) << year;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].date, expected[i].date) << year << " #" << i;
    EXPECT_EQ(got[i].kind, expected[i].kind) << year << " #" << i;
    EXPECT_FALSE(got[i].name_vi.empty());
    EXPECT_FALSE(got[i].name_en.empty());
  }
}

constexpr auto S = HolidayKind::kStatutory;
constexpr auto C = HolidayKind::kCompensatory;
constexpr auto X = HolidayKind::kExtra;

TEST(Holidays, Year2024) {
  // Tết: lunar new year Saturday 10/2, so 9/2 (Fri, 30 Tết) .. 13/2 (Tue); Saturday 10 and
  // Sunday 11 are made up on Wednesday 14 and Thursday 15. Hùng Kings: Thursday 18/4.
  // 2/9 is a Monday: the adjacent day is 3/9.
  expect_holidays(WorkCalendar{}, 2024,
                  {{{2024, 1, 1}, S},
                   {{2024, 2, 9}, S},
                   {{2024, 2, 10}, S},
                   {{2024, 2, 11}, S},
                   {{2024, 2, 12}, S},
                   {{2024, 2, 13}, S},
                   {{2024, 2, 14}, C},
                   {{2024, 2, 15}, C},
                   {{2024, 4, 18}, S},
                   {{2024, 4, 30}, S},
                   {{2024, 5, 1}, S},
                   {{2024, 9, 2}, S},
                   {{2024, 9, 3}, S}});
}

TEST(Holidays, Year2025) {
  // Tết: 28/1 (Tue, 29 Tết) .. 1/2 (Sat, made up on Monday 3/2). Hùng Kings: Monday 7/4.
  // 2/9 is a Tuesday: the adjacent day is Monday 1/9.
  expect_holidays(WorkCalendar{}, 2025,
                  {{{2025, 1, 1}, S},
                   {{2025, 1, 28}, S},
                   {{2025, 1, 29}, S},
                   {{2025, 1, 30}, S},
                   {{2025, 1, 31}, S},
                   {{2025, 2, 1}, S},
                   {{2025, 2, 3}, C},
                   {{2025, 4, 7}, S},
                   {{2025, 4, 30}, S},
                   {{2025, 5, 1}, S},
                   {{2025, 9, 1}, S},
                   {{2025, 9, 2}, S}});
  const auto h = WorkCalendar{}.holidays(2025);
  EXPECT_EQ(h[1].name_vi, "Tết Nguyên Đán");
  EXPECT_EQ(h[7].name_vi, "Giỗ Tổ Hùng Vương");
}

TEST(Holidays, Year2026) {
  // Tết: 16/2 (Mon) .. 20/2 (Fri). Hùng Kings falls on Sunday 26/4: Monday 27/4 is off.
  expect_holidays(WorkCalendar{}, 2026,
                  {{{2026, 1, 1}, S},
                   {{2026, 2, 16}, S},
                   {{2026, 2, 17}, S},
                   {{2026, 2, 18}, S},
                   {{2026, 2, 19}, S},
                   {{2026, 2, 20}, S},
                   {{2026, 4, 26}, S},
                   {{2026, 4, 27}, C},
                   {{2026, 4, 30}, S},
                   {{2026, 5, 1}, S},
                   {{2026, 9, 2}, S},
                   {{2026, 9, 3}, S}});
}

TEST(Holidays, Year2023CompensatesInDateOrder) {
  // 1/1 is a Sunday: 2/1 off. Tết: 21/1 (Sat) .. 25/1 (Wed), made up on 26/1 and 27/1.
  // Hùng Kings Saturday 29/4, 30/4 Sunday, 1/5 Monday: made up on Tuesday 2/5 and Wednesday 3/5
  // (as the government announced). 2/9 Saturday and 3/9 Sunday: made up on 4/9 and 5/9.
  expect_holidays(WorkCalendar{}, 2023,
                  {{{2023, 1, 1}, S},
                   {{2023, 1, 2}, C},
                   {{2023, 1, 21}, S},
                   {{2023, 1, 22}, S},
                   {{2023, 1, 23}, S},
                   {{2023, 1, 24}, S},
                   {{2023, 1, 25}, S},
                   {{2023, 1, 26}, C},
                   {{2023, 1, 27}, C},
                   {{2023, 4, 29}, S},
                   {{2023, 4, 30}, S},
                   {{2023, 5, 1}, S},
                   {{2023, 5, 2}, C},
                   {{2023, 5, 3}, C},
                   {{2023, 9, 2}, S},
                   {{2023, 9, 3}, S},
                   {{2023, 9, 4}, C},
                   {{2023, 9, 5}, C}});
}

TEST(Holidays, WorkingSaturdaysOnlyCompensateSundays) {
  WorkCalendar cal{HolidayRules{.saturday_is_working = true}};
  // 2024: Saturday 10/2 is a working day anyway; only Sunday 11/2 is made up (Wednesday 14/2).
  const auto h = cal.holidays(2024);
  ASSERT_EQ(h.size(), 12u);
  EXPECT_EQ(h[6].date, (CivilDate{2024, 2, 14}));
  EXPECT_EQ(h[6].kind, C);
  EXPECT_EQ(h[7].date, (CivilDate{2024, 4, 18}));
  // 2025: Tết ends on Saturday 1/2: nothing to make up.
  EXPECT_FALSE(cal.is_holiday({2025, 2, 3}));
  EXPECT_FALSE(cal.is_working_day({2025, 2, 1}));  // still Tết
  EXPECT_TRUE(cal.is_working_day({2025, 2, 8}));   // a Saturday
  EXPECT_FALSE(cal.is_working_day({2025, 2, 9}));  // a Sunday
}

TEST(Holidays, Overrides) {
  // The 2025 decision for 30/4–1/5: Friday 2/5 off, made up on Saturday 26/4.
  WorkCalendar cal{HolidayRules{.extra_days_off = {{2025, 5, 2}, {2025, 4, 30}, {2025, 2, 30}},
                                .extra_working_days = {{2025, 4, 26}, {2025, 2, 3}}}};
  const auto h = cal.holidays(2025);
  // 2/3 (the compensatory day) is now worked; 2/5 is added; 30/4 stays statutory; 30/2 ignored.
  ASSERT_EQ(h.size(), 12u);
  EXPECT_EQ(h[6].date, (CivilDate{2025, 4, 7}));
  EXPECT_EQ(h[7].date, (CivilDate{2025, 4, 30}));
  EXPECT_EQ(h[7].kind, S);
  EXPECT_EQ(h[9].date, (CivilDate{2025, 5, 2}));
  EXPECT_EQ(h[9].kind, X);
  EXPECT_TRUE(cal.is_holiday({2025, 5, 2}));
  EXPECT_FALSE(cal.is_working_day({2025, 5, 2}));
  EXPECT_TRUE(cal.is_working_day({2025, 4, 26}));  // a Saturday
  EXPECT_FALSE(cal.is_holiday({2025, 2, 3}));
  EXPECT_TRUE(cal.is_working_day({2025, 2, 3}));
  // Without overrides.
  WorkCalendar plain;
  EXPECT_FALSE(plain.is_working_day({2025, 4, 26}));
  EXPECT_TRUE(plain.is_working_day({2025, 5, 2}));
  EXPECT_FALSE(plain.is_working_day({2025, 2, 3}));
}

TEST(Holidays, ExtraDayOffMovesACompensatoryDay) {
  // 2026: Hùng Kings on Sunday 26/4 would be made up on Monday 27/4; with 27/4 already an extra
  // day off, the compensatory day is Tuesday 28/4.
  WorkCalendar cal{HolidayRules{.extra_days_off = {{2026, 4, 27}}}};
  EXPECT_TRUE(cal.is_holiday({2026, 4, 28}));
  const auto h = cal.holidays(2026);
  ASSERT_EQ(h.size(), 13u);
  EXPECT_EQ(h[7].date, (CivilDate{2026, 4, 27}));
  EXPECT_EQ(h[7].kind, X);
  EXPECT_EQ(h[8].date, (CivilDate{2026, 4, 28}));
  EXPECT_EQ(h[8].kind, C);
}

TEST(Holidays, QueriesOnDays) {
  WorkCalendar cal;
  EXPECT_TRUE(cal.is_holiday({2025, 1, 29}));
  EXPECT_FALSE(cal.is_holiday({2025, 1, 27}));
  EXPECT_TRUE(cal.is_working_day({2025, 1, 27}));   // Monday
  EXPECT_FALSE(cal.is_working_day({2025, 1, 25}));  // Saturday
  EXPECT_FALSE(cal.is_working_day({2025, 1, 26}));  // Sunday
  EXPECT_FALSE(cal.is_holiday({2025, 1, 25}));
  EXPECT_FALSE(cal.is_working_day({2025, 9, 1}));
  EXPECT_FALSE(cal.is_holiday({2025, 2, 30}));
  EXPECT_FALSE(cal.is_working_day({2025, 2, 30}));
}

TEST(Holidays, OutsideTheLunarRangeOnlyGregorianHolidaysRemain) {
  // 2300: 2/9 is a Sunday (made up on Tuesday 4/9, Monday 3/9 being the adjacent day).
  expect_holidays(WorkCalendar{}, 2300,
                  {{{2300, 1, 1}, S},
                   {{2300, 4, 30}, S},
                   {{2300, 5, 1}, S},
                   {{2300, 9, 2}, S},
                   {{2300, 9, 3}, S},
                   {{2300, 9, 4}, C}});
}

// ---- Deadlines. Across Tết, receipt on the Friday (or last working day) before it.

TEST(Deadline, AcrossTet2024) {
  WorkCalendar cal;
  // Thursday 8/2, 2 working days: 9–13 Tết, 14–15 made up, Friday 16 (1), Monday 19 (2).
  EXPECT_EQ(cal.deadline(local(2024, 2, 8, 10, 30), 2), end_of(2024, 2, 19));
  // Friday 2/2, 5 working days: 5, 6, 7, 8 (4), then Friday 16 (5).
  EXPECT_EQ(cal.deadline(local(2024, 2, 2, 16), 5), end_of(2024, 2, 16));
}

TEST(Deadline, AcrossTet2025) {
  WorkCalendar cal;
  // Friday 24/1, 2 working days: Monday 27 (1), 28/1–1/2 Tết, 2 Sunday, 3 made up, Tuesday 4/2.
  EXPECT_EQ(cal.deadline(local(2025, 1, 24, 9), 2), end_of(2025, 2, 4));
  EXPECT_EQ(cal.deadline(local(2025, 1, 24, 9), 1), end_of(2025, 1, 27));
  EXPECT_EQ(cal.deadline(local(2025, 1, 24, 9), 3), end_of(2025, 2, 5));
}

TEST(Deadline, AcrossTet2026) {
  WorkCalendar cal;
  // Friday 13/2, 2 working days: 14–15 weekend, 16–20 Tết, 21–22 weekend, Monday 23 (1),
  // Tuesday 24 (2).
  EXPECT_EQ(cal.deadline(local(2026, 2, 13, 11), 2), end_of(2026, 2, 24));
}

TEST(Deadline, AcrossTet2027) {
  WorkCalendar cal;
  // Tết 2027: 5/2 (Fri) .. 9/2 (Tue); Saturday 6 and Sunday 7 made up on 10 and 11.
  // Thursday 4/2, 2 working days: Friday 12 (1), Monday 15 (2).
  EXPECT_EQ(cal.deadline(local(2027, 2, 4, 8), 2), end_of(2027, 2, 15));
  // Friday 29/1, 6 working days: 1, 2, 3, 4 (4), Friday 12/2 (5), Monday 15/2 (6).
  EXPECT_EQ(cal.deadline(local(2027, 1, 29, 8), 6), end_of(2027, 2, 15));
  EXPECT_TRUE(cal.is_holiday({2027, 2, 10}));
  EXPECT_TRUE(cal.is_holiday({2027, 2, 11}));
}

TEST(Deadline, AcrossReunificationAndLabourDay) {
  WorkCalendar cal;
  // Tuesday 29/4/2025, 2 working days: 30/4 and 1/5 off, Friday 2/5 (1), Monday 5/5 (2).
  EXPECT_EQ(cal.deadline(local(2025, 4, 29, 14), 2), end_of(2025, 5, 5));
  // With the 2025 decision (2/5 off, Saturday 26/4 worked): Monday 5 (1), Tuesday 6 (2).
  WorkCalendar decided{
      HolidayRules{.extra_days_off = {{2025, 5, 2}}, .extra_working_days = {{2025, 4, 26}}}};
  EXPECT_EQ(decided.deadline(local(2025, 4, 29, 14), 2), end_of(2025, 5, 6));
  // Friday 25/4: the worked Saturday counts.
  EXPECT_EQ(decided.deadline(local(2025, 4, 25, 14), 1), end_of(2025, 4, 26));
  EXPECT_EQ(cal.deadline(local(2025, 4, 25, 14), 1), end_of(2025, 4, 28));
  // 2026: Hùng Kings on Sunday 26/4, made up on Monday 27/4. Friday 24/4, 3 working days:
  // 28 (1), 29 (2), 30/4–1/5 off, weekend, Monday 4/5 (3).
  EXPECT_EQ(cal.deadline(local(2026, 4, 24, 9), 3), end_of(2026, 5, 4));
}

TEST(Deadline, WeekendReceiptAndTheLocalDay) {
  WorkCalendar cal;
  // Saturday 15/6/2024 and Sunday 16/6: the next working day is Monday 17.
  EXPECT_EQ(cal.deadline(local(2024, 6, 15, 10), 1), end_of(2024, 6, 17));
  EXPECT_EQ(cal.deadline(local(2024, 6, 16, 23, 59), 1), end_of(2024, 6, 17));
  // Monday 00:00 local (Sunday 17:00 UTC) is Monday: it is not counted.
  EXPECT_EQ(cal.deadline(local(2024, 6, 17, 0), 1), end_of(2024, 6, 18));
  EXPECT_EQ(cal.deadline(local(2024, 6, 17, 0) - 1, 1), end_of(2024, 6, 17));
  // Friday 14/6, 5 working days: a whole week later.
  EXPECT_EQ(cal.deadline(local(2024, 6, 14, 16), 5), end_of(2024, 6, 21));
  // n <= 0: the end of the first working day on or after the day of receipt.
  EXPECT_EQ(cal.deadline(local(2024, 6, 15, 10), 0), end_of(2024, 6, 17));
  EXPECT_EQ(cal.deadline(local(2024, 6, 17, 10), 0), end_of(2024, 6, 17));
  EXPECT_EQ(cal.deadline(local(2025, 1, 27, 10), -3), end_of(2025, 1, 27));
  EXPECT_EQ(cal.deadline(local(2025, 1, 28, 10), 0), end_of(2025, 2, 4));
  // Saturday working: Friday 14/6, 1 working day is Saturday 15/6.
  WorkCalendar six_days{HolidayRules{.saturday_is_working = true}};
  EXPECT_EQ(six_days.deadline(local(2024, 6, 14, 16), 1), end_of(2024, 6, 15));
  EXPECT_EQ(six_days.deadline(local(2024, 6, 15, 16), 1), end_of(2024, 6, 17));
}

TEST(Deadline, AcrossTheYearEnd) {
  WorkCalendar cal;
  // Tuesday 31/12/2024, 1 working day: 1/1 off, Thursday 2/1/2025.
  EXPECT_EQ(cal.deadline(local(2024, 12, 31, 10), 1), end_of(2025, 1, 2));
  // Friday 30/12/2022, 1 working day: 31 Saturday, 1/1 Sunday, 2/1 made up, Tuesday 3/1.
  EXPECT_EQ(cal.deadline(local(2022, 12, 30, 10), 1), end_of(2023, 1, 3));
}

TEST(WorkingDaysBetween, CountsDaysAfterTheFirst) {
  WorkCalendar cal;
  // Friday 24/1/2025 → Tuesday 4/2: Monday 27/1 and Tuesday 4/2.
  EXPECT_EQ(cal.working_days_between(local(2025, 1, 24, 10), local(2025, 2, 4, 9)), 2);
  EXPECT_EQ(cal.working_days_between(local(2025, 1, 24, 10), local(2025, 2, 3, 23, 59)), 1);
  EXPECT_EQ(cal.working_days_between(local(2025, 1, 24, 10), local(2025, 1, 24, 23)), 0);
  EXPECT_EQ(cal.working_days_between(local(2025, 1, 24, 10), local(2025, 1, 20, 10)), 0);
  // Monday 2/6/2025 → Monday 9/6: 3, 4, 5, 6 and 9.
  EXPECT_EQ(cal.working_days_between(local(2025, 6, 2, 8), local(2025, 6, 9, 8)), 5);
  // Consistent with deadline: the deadline of n days is n working days away, and one second
  // earlier is still n (the deadline's last day is included).
  for (int n = 1; n <= 30; ++n) {
    const UnixTime from = local(2025, 1, 20, 15);
    const UnixTime due = cal.deadline(from, n);
    EXPECT_EQ(cal.working_days_between(from, due - 1), n) << n;
  }
}

TEST(ReminderTime, CountsBackFromTheLastDay) {
  WorkCalendar cal;
  const UnixTime due = end_of(2025, 2, 4);  // the 2-working-day deadline from Friday 24/1
  EXPECT_EQ(cal.reminder_time(due, 0), local(2025, 2, 4));
  // One working day before Tuesday 4/2: 3/2 made up, 2/2 Sunday, Tết back to Monday 27/1.
  EXPECT_EQ(cal.reminder_time(due, 1), local(2025, 1, 27));
  EXPECT_EQ(cal.reminder_time(due, 2), local(2025, 1, 24));
  EXPECT_EQ(cal.reminder_time(due, -1), local(2025, 2, 4));
  // A due time in the middle of a day: the last day is that day.
  EXPECT_EQ(cal.reminder_time(local(2024, 6, 19, 12), 1), local(2024, 6, 18));
  // Monday's deadline, one day before: Friday.
  EXPECT_EQ(cal.reminder_time(end_of(2024, 6, 17), 1), local(2024, 6, 14));
}

TEST(WorkCalendar, SharedAcrossThreads) {
  WorkCalendar cal;
  std::vector<std::thread> threads;
  std::vector<UnixTime> results(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&cal, &results, i] {
      UnixTime last = 0;
      for (int year = 2020; year < 2040; ++year) {
        last = cal.deadline(local(year, 1, 10), 40);
      }
      results[static_cast<size_t>(i)] = last;
    });
  }
  for (auto& t : threads) t.join();
  for (UnixTime r : results) EXPECT_EQ(r, results[0]);
}

}  // namespace
}  // namespace nguon::workdays
