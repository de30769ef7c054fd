// The pure parts of scheduling: overlaps between occurrences and manifest compilation.
#include <gtest/gtest.h>

#include "core/schedule/manifest_compiler.h"
#include "core/schedule/overlap.h"

namespace nguon::schedule {
namespace {

LocalDate D(const char* s) { return parse_date(s).value(); }

TEST(Overlap, SpansFollowTheLocalClock) {
  auto spans = spans_on({D("2026-12-01"), D("2026-12-02")}, 6 * 60, 30);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0].start, to_unix(D("2026-12-01"), 360));
  EXPECT_EQ(spans[0].end - spans[0].start, 1800);
  EXPECT_EQ(spans[1].start - spans[0].start, 86400);
}

TEST(Overlap, FindsTheEarliestClash) {
  const auto a = spans_on({D("2026-12-01"), D("2026-12-02"), D("2026-12-03")}, 360, 30);
  const auto b = spans_on({D("2026-12-02"), D("2026-12-03")}, 375, 30);  // 06:15–06:45
  auto clash = first_overlap(a, b);
  ASSERT_TRUE(clash);
  EXPECT_EQ(clash->first.start, to_unix(D("2026-12-02"), 360));
  EXPECT_EQ(clash->second.start, to_unix(D("2026-12-02"), 375));
}

TEST(Overlap, TouchingIsNotOverlapping) {
  const auto a = spans_on({D("2026-12-01")}, 360, 30);  // 06:00–06:30
  const auto b = spans_on({D("2026-12-01")}, 390, 30);  // 06:30–07:00
  EXPECT_FALSE(first_overlap(a, b));
  EXPECT_FALSE(first_overlap(b, a));
}

TEST(Overlap, AnEveningOccurrenceRunsIntoTheNextDay) {
  const auto late = spans_on({D("2026-12-01")}, 23 * 60 + 30, 60);  // 23:30–00:30
  const auto early = spans_on({D("2026-12-02")}, 0, 15);            // 00:00–00:15
  EXPECT_TRUE(first_overlap(late, early));
  EXPECT_TRUE(first_overlap(early, late));
}

TEST(Overlap, DailyWindowsAroundTheClock) {
  EXPECT_TRUE(daily_windows_intersect(360, 30, 375, 30));
  EXPECT_FALSE(daily_windows_intersect(360, 30, 390, 30));  // touching
  EXPECT_FALSE(daily_windows_intersect(390, 30, 360, 30));
  EXPECT_TRUE(daily_windows_intersect(23 * 60 + 30, 60, 0, 15));  // past midnight
  EXPECT_TRUE(daily_windows_intersect(0, 15, 23 * 60 + 30, 60));
  EXPECT_FALSE(daily_windows_intersect(23 * 60 + 30, 60, 31, 10));
  EXPECT_TRUE(daily_windows_intersect(0, 720, 600, 720));
}

TEST(Overlap, OnlyEqualPrioritiesAreRefused) {
  EXPECT_FALSE(overlap_allowed(Priority::kNormal, Priority::kNormal));
  EXPECT_TRUE(overlap_allowed(Priority::kPriority, Priority::kNormal));
  EXPECT_TRUE(overlap_allowed(Priority::kNormal, Priority::kEmergency));
}

TEST(Overlap, CommonIds) {
  EXPECT_EQ(common_ids({"a", "b", "d"}, {"b", "c", "d"}), (std::vector<std::string>{"b", "d"}));
  EXPECT_TRUE(common_ids({"a"}, {}).empty());
}

protocol::PlayItem media(const std::string& sha, std::int64_t bytes = 100) {
  protocol::PlayItem i;
  i.sha256 = sha;
  i.bytes = bytes;
  return i;
}

class Compile : public ::testing::Test {
 protected:
  // A daily 06:00–06:30 programme from 2026-12-01 to 2026-12-05.
  Compile() {
    morning_.id = 12;
    morning_.duration_minutes = 30;
    for (int i = 0; i < 5; ++i) morning_.starts.push_back(day(i) + 0);
    morning_.items = {media("aa")};
    evening_.id = 13;
    evening_.priority = Priority::kPriority;
    evening_.duration_minutes = 60;
    for (int i = 0; i < 5; ++i) evening_.starts.push_back(day(i) + 12 * 3600);  // 18:00
    evening_.items = {media("bb")};
  }
  static UnixTime day(int i) { return to_unix(add_days(D("2026-12-01"), i), 360); }

  PlannedProgramme morning_, evening_;
};

TEST_F(Compile, SlotsInTheWindowSortedWithProtocolIds) {
  DevicePlan plan{{&evening_, &morning_}, {}};
  auto m = compile_manifest(plan, day(1), day(3));
  ASSERT_EQ(m.slots.size(), 4u);
  EXPECT_EQ(m.slots[0].id, "p12@" + std::to_string(day(1)));
  EXPECT_EQ(m.slots[0].end - m.slots[0].start, 1800);
  EXPECT_EQ(m.slots[1].id, "p13@" + std::to_string(day(1) + 12 * 3600));
  EXPECT_EQ(m.slots[1].priority, Priority::kPriority);
  EXPECT_EQ(m.slots[2].start, day(2));
  EXPECT_EQ(m.slots[0].items, std::vector<protocol::PlayItem>{media("aa")});
}

TEST_F(Compile, PriorityBulletinGoesFirstInTheNextSlotOnly) {
  // Published on 2026-12-02 at 07:00: the next slot is that evening's.
  PriorityBulletin b{7, day(1) + 3600, 0, media("cc", 555)};
  DevicePlan plan{{&morning_, &evening_}, {b}};
  auto m = compile_manifest(plan, day(0) - 60, day(4));
  ASSERT_EQ(m.slots.size(), 8u);
  for (const auto& s : m.slots) {
    if (s.start == day(1) + 12 * 3600) {
      ASSERT_EQ(s.items.size(), 2u);
      EXPECT_EQ(s.items[0], media("cc", 555));
      EXPECT_EQ(s.items[1], media("bb"));
    } else {
      EXPECT_EQ(s.items.size(), 1u) << s.id;
    }
  }
}

TEST_F(Compile, ABulletinWhoseNextSlotAlreadyAiredIsNotRepeated) {
  PriorityBulletin b{7, day(1) - 3600, 0, media("cc")};  // aired in the 06:00 slot of day 1
  DevicePlan plan{{&morning_}, {b}};
  auto m = compile_manifest(plan, day(1) + 60, day(4));
  // The slot on air keeps its playlist (a recompile mid-slot changes nothing); later ones do
  // not repeat the bulletin.
  ASSERT_FALSE(m.slots.empty());
  EXPECT_EQ(m.slots[0].start, day(1));
  EXPECT_EQ(m.slots[0].items.size(), 2u);
  for (size_t i = 1; i < m.slots.size(); ++i) {
    EXPECT_EQ(m.slots[i].items.size(), 1u) << m.slots[i].id;
  }
}

TEST_F(Compile, ExpiredBeforeTheNextSlotMeansNotAired) {
  PriorityBulletin b{7, day(1) + 60, day(1) + 3600, media("cc")};
  DevicePlan plan{{&morning_}, {b}};
  auto m = compile_manifest(plan, day(0), day(4));
  for (const auto& s : m.slots) EXPECT_EQ(s.items.size(), 1u) << s.id;
}

TEST_F(Compile, SeveralBulletinsInPublicationOrderAndNoDuplicates) {
  PriorityBulletin older{8, day(0) + 60, 0, media("dd")};
  PriorityBulletin newer{7, day(0) + 120, 0, media("aa")};  // already in the playlist
  DevicePlan plan{{&morning_}, {newer, older}};
  auto m = compile_manifest(plan, day(0), day(2));
  ASSERT_EQ(m.slots.size(), 2u);
  EXPECT_EQ(m.slots[0].items.size(), 1u);
  ASSERT_EQ(m.slots[1].items.size(), 2u);
  EXPECT_EQ(m.slots[1].items[0].sha256, "dd");
  EXPECT_EQ(m.slots[1].items[1].sha256, "aa");
}

}  // namespace
}  // namespace nguon::schedule
