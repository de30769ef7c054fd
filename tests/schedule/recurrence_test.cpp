// Local time conversion and RRULE expansion with the real libical adapter.
#include <gtest/gtest.h>

#include "adapters/calendar/ical_recurrence.h"
#include "core/schedule/local_time.h"

namespace nguon::schedule {
namespace {

LocalDate D(const char* s) { return parse_date(s).value(); }

std::vector<std::string> dates(const std::vector<LocalDate>& v) {
  std::vector<std::string> out;
  for (const auto& d : v) out.push_back(format_date(d));
  return out;
}

TEST(LocalTime, ParsesOnlyRealDates) {
  EXPECT_EQ(format_date(D("2026-12-01")), "2026-12-01");
  EXPECT_TRUE(parse_date("2028-02-29"));
  EXPECT_FALSE(parse_date("2027-02-29"));
  EXPECT_FALSE(parse_date("2026-13-01"));
  EXPECT_FALSE(parse_date("2026-1-01"));
  EXPECT_FALSE(parse_date("2026-12-01x"));
  EXPECT_FALSE(parse_date(""));
  EXPECT_FALSE(parse_date("1969-12-31"));
}

TEST(LocalTime, VietnamIsUtcPlusSevenAllYear) {
  // 2026-12-01 06:00 in Hà Nội is 2026-11-30 23:00 UTC.
  EXPECT_EQ(to_unix(D("2026-12-01"), 6 * 60), 1796079600);
  // Midsummer: no daylight saving, the same offset.
  EXPECT_EQ(to_unix(D("2026-07-01"), 0), to_unix(D("2026-07-01"), 0));
  EXPECT_EQ(to_unix(D("2026-07-01"), 7 * 60) % 86400, 0);
  const LocalDateTime l = to_local(1796079600);
  EXPECT_EQ(format_date(l.date), "2026-12-01");
  EXPECT_EQ(l.minute_of_day, 360);
  EXPECT_EQ(iso8601_local(1796079600), "2026-12-01T06:00:00+07:00");
  // Local midnight belongs to the new local day although UTC is still the previous day.
  EXPECT_EQ(format_date(local_date_of(to_unix(D("2027-01-01"), 0))), "2027-01-01");
  EXPECT_EQ(format_date(local_date_of(to_unix(D("2027-01-01"), 0) - 1)), "2026-12-31");
}

TEST(LocalTime, DayArithmeticAndWeekdays) {
  EXPECT_EQ(day_number(D("1970-01-01")), 0);
  EXPECT_EQ(format_date(add_days(D("2028-02-28"), 1)), "2028-02-29");
  EXPECT_EQ(format_date(add_days(D("2026-12-31"), 1)), "2027-01-01");
  EXPECT_EQ(weekday(D("2026-12-01")), 1);  // a Tuesday
  EXPECT_EQ(weekday(D("2026-12-06")), 6);  // a Sunday
  for (int i = -1000; i < 1000; i += 37) {
    EXPECT_EQ(day_number(date_of_day_number(20000 + i)), 20000 + i);
  }
}

TEST(LocalTime, HoursAndMinutes) {
  EXPECT_EQ(parse_hhmm("06:00"), 360);
  EXPECT_EQ(parse_hhmm("23:59"), 1439);
  EXPECT_FALSE(parse_hhmm("24:00"));
  EXPECT_FALSE(parse_hhmm("6:00"));
  EXPECT_FALSE(parse_hhmm("06:60"));
  EXPECT_EQ(format_hhmm(1439), "23:59");
  EXPECT_EQ(format_hhmm(1440 + 30), "00:30");
}

class Expand : public ::testing::Test {
 protected:
  std::vector<std::string> run(std::string rrule, const char* first, const char* from,
                               const char* to, std::vector<const char*> exdates = {},
                               const char* last = nullptr) {
    RecurrenceRule r{std::move(rrule), D(first), std::nullopt, {}};
    if (last) r.last = D(last);
    for (const char* e : exdates) r.exdates.push_back(D(e));
    auto out = expander_.expand(r, D(from), D(to));
    EXPECT_TRUE(out) << out.error().message;
    return out ? dates(out.value()) : std::vector<std::string>{};
  }
  Error error_of(std::string rrule) {
    Status s = expander_.validate(rrule);
    EXPECT_FALSE(s) << rrule;
    return s ? Error{} : s.error();
  }
  calendar::IcalRecurrenceExpander expander_;
};

using V = std::vector<std::string>;

TEST_F(Expand, Daily) {
  EXPECT_EQ(run("FREQ=DAILY", "2026-12-30", "2026-12-01", "2027-01-02"),
            (V{"2026-12-30", "2026-12-31", "2027-01-01", "2027-01-02"}));
  EXPECT_EQ(run("FREQ=DAILY;INTERVAL=3", "2026-12-01", "2026-12-05", "2026-12-12"),
            (V{"2026-12-07", "2026-12-10"}));
}

TEST_F(Expand, Weekdays) {
  EXPECT_EQ(
      run("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "2026-12-01", "2026-12-01", "2026-12-08"),
      (V{"2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-07", "2026-12-08"}));
  EXPECT_EQ(run("FREQ=WEEKLY;INTERVAL=2;BYDAY=SA", "2026-12-01", "2026-12-01", "2027-01-10"),
            (V{"2026-12-05", "2026-12-19", "2027-01-02"}));
}

TEST_F(Expand, Monthly) {
  EXPECT_EQ(run("FREQ=MONTHLY;BYMONTHDAY=15", "2026-12-01", "2026-12-01", "2027-03-31"),
            (V{"2026-12-15", "2027-01-15", "2027-02-15", "2027-03-15"}));
  // The first Monday of each month.
  EXPECT_EQ(run("FREQ=MONTHLY;BYDAY=1MO", "2026-12-01", "2026-12-01", "2027-02-28"),
            (V{"2026-12-07", "2027-01-04", "2027-02-01"}));
  // The 31st: months without one are skipped.
  EXPECT_EQ(run("FREQ=MONTHLY;BYMONTHDAY=31", "2026-12-01", "2026-12-01", "2027-04-30"),
            (V{"2026-12-31", "2027-01-31", "2027-03-31"}));
}

TEST_F(Expand, CountCountsFromTheFirstDateWhateverTheWindow) {
  EXPECT_EQ(run("FREQ=DAILY;COUNT=3", "2026-12-01", "2026-11-01", "2027-12-31"),
            (V{"2026-12-01", "2026-12-02", "2026-12-03"}));
  EXPECT_EQ(run("FREQ=DAILY;COUNT=3", "2026-12-01", "2026-12-02", "2027-12-31"),
            (V{"2026-12-02", "2026-12-03"}));
  // An excluded date still counts (RFC 5545: EXDATE removes from the COUNTed set).
  EXPECT_EQ(run("FREQ=DAILY;COUNT=3", "2026-12-01", "2026-12-01", "2027-12-31", {"2026-12-02"}),
            (V{"2026-12-01", "2026-12-03"}));
}

TEST_F(Expand, UntilIsInclusive) {
  EXPECT_EQ(run("FREQ=DAILY;UNTIL=20261203", "2026-12-01", "2026-12-01", "2027-12-31"),
            (V{"2026-12-01", "2026-12-02", "2026-12-03"}));
}

TEST_F(Expand, LastDateAndWindowBound) {
  EXPECT_EQ(run("FREQ=DAILY", "2026-12-01", "2026-12-01", "2027-12-31", {}, "2026-12-02"),
            (V{"2026-12-01", "2026-12-02"}));
  EXPECT_EQ(run("FREQ=DAILY", "2026-12-05", "2026-12-01", "2026-12-04"), V{});
  EXPECT_EQ(run("FREQ=DAILY", "2026-12-01", "2026-12-04", "2026-12-01"), V{});
}

TEST_F(Expand, TetHolidaysAreSkipped) {
  // Tết Nguyên Đán 2027: the morning bulletin pauses from 29 Tết to mùng 4 (2027-02-05..09).
  auto got = run("FREQ=DAILY", "2027-02-01", "2027-02-01", "2027-02-12",
                 {"2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09"});
  EXPECT_EQ(got, (V{"2027-02-01", "2027-02-02", "2027-02-03", "2027-02-04", "2027-02-10",
                    "2027-02-11", "2027-02-12"}));
}

TEST_F(Expand, EmptyRuleIsOneOccurrence) {
  EXPECT_EQ(run("", "2026-12-03", "2026-12-01", "2026-12-31"), (V{"2026-12-03"}));
  EXPECT_EQ(run("", "2026-12-03", "2026-12-04", "2026-12-31"), V{});
  EXPECT_EQ(run("", "2026-12-03", "2026-12-01", "2026-12-31", {"2026-12-03"}), V{});
}

TEST_F(Expand, ALongOpenRuleFromThePastIsFast) {
  auto got = run("FREQ=DAILY", "1990-01-01", "2026-12-01", "2026-12-02");
  EXPECT_EQ(got, (V{"2026-12-01", "2026-12-02"}));
}

TEST_F(Expand, InvalidRulesAreNamedPrecisely) {
  EXPECT_TRUE(expander_.validate("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"));
  EXPECT_TRUE(expander_.validate(""));
  for (const char* bad :
       {"garbage", "FREQ=DAILY;FOO=1", "FREQ=WEEKLY;BYDAY=XX", "FREQ=HOURLY", "FREQ=DAILY;BYHOUR=6",
        "BYDAY=MO", "FREQ=DAILY;COUNT=abc", "FREQ=DAILY;INTERVAL=0",
        "FREQ=DAILY;COUNT=2;UNTIL=20270101", "FREQ=DAILY;UNTIL=20271301", "RRULE:FREQ=DAILY",
        "FREQ=DAILY;;", "FREQ=DAILY;FREQ=WEEKLY", "FREQ=DAILY;BYDAY=53MO", "FREQ=MONTHLY;BYDAY=6MO",
        "FREQ=YEARLY;BYMONTH=2;BYDAY=53MO", "FREQ=WEEKLY;BYMONTHDAY=1",
        "FREQ=MONTHLY;BYWEEKNO=3"}) {
    const Error e = error_of(bad);
    EXPECT_EQ(e.code, "invalid_rrule") << bad;
    EXPECT_EQ(e.message.rfind("rrule: ", 0), 0u) << e.message;
  }
  EXPECT_NE(error_of("FREQ=WEEKLY;BYDAY=XX").message.find("BYDAY=XX"), std::string::npos);
  EXPECT_NE(error_of("FREQ=DAILY;BYHOUR=6").message.find("start_time"), std::string::npos);
  EXPECT_NE(error_of("FREQ=DAILY;FOO=1").message.find("FOO"), std::string::npos);
  EXPECT_NE(error_of("FREQ=HOURLY").message.find("HOURLY"), std::string::npos);
  EXPECT_TRUE(expander_.validate("FREQ=YEARLY;BYDAY=20MO"));
  EXPECT_TRUE(expander_.validate("FREQ=MONTHLY;BYDAY=-1FR"));
}

TEST_F(Expand, ARuleThatNeverOccursIsAnError) {
  RecurrenceRule r{"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", D("2026-12-01"), std::nullopt, {}};
  auto out = expander_.expand(r, D("2026-12-01"), D("2027-12-31"));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, "invalid_rrule");
}

}  // namespace
}  // namespace nguon::schedule

namespace nguon::schedule {
namespace {

// User-typed rules are untrusted: random combinations of parts never crash or hang, and every
// accepted rule expands to an ascending list within the window.
TEST(ExpandRobustness, RandomRulesAreRefusedOrExpandedSanely) {
  calendar::IcalRecurrenceExpander expander;
  const std::vector<std::string> parts = {"FREQ=DAILY",
                                          "FREQ=WEEKLY",
                                          "FREQ=MONTHLY",
                                          "FREQ=YEARLY",
                                          "FREQ=SECONDLY",
                                          "INTERVAL=2",
                                          "INTERVAL=400",
                                          "INTERVAL=-1",
                                          "COUNT=5",
                                          "COUNT=0",
                                          "COUNT=99999999999",
                                          "UNTIL=20270101",
                                          "UNTIL=19700101",
                                          "BYDAY=MO,FR",
                                          "BYDAY=-1SU",
                                          "BYDAY=53MO",
                                          "BYMONTHDAY=31",
                                          "BYMONTHDAY=-1",
                                          "BYMONTHDAY=0",
                                          "BYMONTH=2",
                                          "BYMONTH=13",
                                          "BYYEARDAY=366",
                                          "BYWEEKNO=53",
                                          "BYSETPOS=-1",
                                          "BYSETPOS=400",
                                          "WKST=SU",
                                          "BYDAY=",
                                          "=",
                                          "FREQ=DAILY;",
                                          "BYDAY=MO,,TU",
                                          "X-NAME=1",
                                          "BYMONTHDAY=1,15,31"};
  std::uint32_t seed = 12345;
  auto next = [&] {
    seed = seed * 1103515245u + 12345u;
    return (seed >> 16) & 0x7fff;
  };
  const LocalDate first = parse_date("2026-12-01").value();
  const LocalDate to = parse_date("2027-12-31").value();
  int accepted = 0;
  for (int i = 0; i < 600; ++i) {
    std::string rule;
    const int n = 1 + static_cast<int>(next() % 4);
    for (int k = 0; k < n; ++k) rule += (k ? ";" : "") + parts[next() % parts.size()];
    if (!expander.validate(rule)) continue;
    ++accepted;
    auto out = expander.expand({rule, first, std::nullopt, {}}, first, to);
    if (!out) {
      EXPECT_EQ(out.error().code, "invalid_rrule") << rule;
      continue;
    }
    for (size_t k = 0; k < out->size(); ++k) {
      EXPECT_TRUE((*out)[k] >= first && (*out)[k] <= to) << rule;
      if (k > 0) {
        EXPECT_LT((*out)[k - 1], (*out)[k]) << rule;
      }
    }
  }
  EXPECT_GT(accepted, 20);
  EXPECT_FALSE(expander.validate(std::string(600, 'A')));
  EXPECT_FALSE(expander.validate("FREQ=DAILY;BYDAY=MO\xff"));
}

}  // namespace
}  // namespace nguon::schedule
