// ScheduleService on a temporary SQLite store with the real libical adapter: validation,
// scope, audit, overlaps, the calendar and manifest compilation.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "tests/schedule/schedule_fixture.h"

namespace nguon::testing {
namespace {

using schedule::LocalDate;
using schedule::parse_date;

LocalDate D(const char* s) { return parse_date(s).value(); }
UnixTime at(const char* date, int hour, int minute = 0) {
  return schedule::to_unix(D(date), hour * 60 + minute);
}
const RequestOrigin kOrigin{"tester", "127.0.0.1"};

class ScheduleServiceTest : public ::testing::Test {
 protected:
  Result<Programme> create(const access::Principal& p, ProgrammeInput in,
                           std::vector<ScheduleClash>* clashes = nullptr) {
    return w_.service().create(p, std::move(in), kOrigin, clashes);
  }
  Programme created(const access::Principal& p, ProgrammeInput in) {
    auto r = create(p, std::move(in));
    EXPECT_TRUE(r) << r.error().code << ": " << r.error().message;
    return r ? r.value() : Programme{};
  }
  Error error_of(const access::Principal& p, ProgrammeInput in) {
    auto r = create(p, std::move(in));
    EXPECT_FALSE(r);
    return r ? Error{} : r.error();
  }

  ScheduleWorld w_;
};

TEST_F(ScheduleServiceTest, CreatesAuditsAndNotifies) {
  Programme p = created(w_.op_a(), morning({stream_item()}));
  EXPECT_GT(p.id, 0);
  EXPECT_EQ(p.owner_path, "VN/38/14797/");
  EXPECT_EQ(w_.changes(), std::vector<std::string>{"VN/38/14797/"});
  auto got = w_.service().get(w_.op_a(), p.id);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->name, "Bản tin sáng");
  EXPECT_EQ(got->rrule, "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR");
  EXPECT_EQ(got->items, p.items);
  std::vector<AuditEntry> audit;
  ASSERT_TRUE(w_.store().read([&](Tx& tx) -> Status {
    auto r = tx.recent_audit(1);
    if (!r) return r.error();
    audit = r.value();
    return {};
  }));
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].action, "programme.create");
  EXPECT_EQ(audit[0].target, "programme:" + std::to_string(p.id));

  ProgrammeInput patch;
  patch.start_minute = 7 * 60;
  auto updated = w_.service().update(w_.op_a(), p.id, patch, kOrigin);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->start_minute, 420);
  EXPECT_EQ(updated->name, "Bản tin sáng");
  ASSERT_TRUE(w_.service().remove(w_.op_a(), p.id, kOrigin));
  EXPECT_EQ(w_.changes().size(), 3u);
  EXPECT_EQ(w_.service().get(w_.op_a(), p.id).error().kind, ErrorKind::kNotFound);
}

TEST_F(ScheduleServiceTest, ValidationNamesTheField) {
  auto expect_field = [&](ProgrammeInput in, const std::string& field) {
    Error e = error_of(w_.op_a(), std::move(in));
    EXPECT_EQ(e.kind, ErrorKind::kInvalid) << field << ": " << e.message;
    EXPECT_EQ(e.message.rfind(field, 0), 0u) << e.message;
  };
  auto in = morning({stream_item()});
  in.name = " ";
  expect_field(in, "name");
  in = morning({stream_item()});
  in.start_minute = 1440;
  expect_field(in, "start_time");
  in = morning({stream_item()});
  in.duration_minutes = 0;
  expect_field(in, "duration_minutes");
  in.duration_minutes = 721;
  expect_field(in, "duration_minutes");
  expect_field(morning({}), "items");
  expect_field(morning(std::vector<ProgrammeItem>(51, stream_item())), "items");
  in = morning({stream_item()});
  in.rrule = "FREQ=WEEKLY;BYDAY=XX";
  expect_field(in, "rrule");
  in = morning({stream_item()});
  in.rrule = "FREQ=DAILY;COUNT=2";
  in.exdates = std::vector<std::string>{"2026-12-01", "2026-12-02"};
  expect_field(in, "rrule");
  in = morning({stream_item()});
  in.last_date = "2026-11-01";
  expect_field(in, "last_date");
  in = morning({stream_item()});
  in.exdates = std::vector<std::string>{"2026-02-30"};
  expect_field(in, "exdates");
  in = morning({stream_item()});
  in.target_units = std::vector<std::string>{"16597"};
  expect_field(in, "target_units");
  in = morning({stream_item()});
  in.owner_unit = "16597";
  expect_field(in, "owner_unit");

  ProgrammeItem ftp = stream_item();
  ftp.url = "ftp://radio.example/x";
  expect_field(morning({ftp}), "items[0].url");
  ProgrammeItem no_media;
  no_media.kind = ProgrammeItemKind::kMedia;
  no_media.sha256 = std::string(64, 'c');
  expect_field(morning({stream_item(), no_media}), "items[1].sha256");
  ProgrammeItem missing;
  missing.bulletin_id = 999;
  expect_field(morning({missing}), "items[0].bulletin_id");
  ProgrammeItem draft;
  draft.bulletin_id =
      w_.bulletin("14797", "VN/38/14797/", Priority::kNormal, "x", BulletinStatus::kDraft);
  expect_field(morning({draft}), "items[0].bulletin_id");
  ProgrammeItem other_commune;
  other_commune.bulletin_id = w_.bulletin("16597", "VN/38/16597/", Priority::kNormal, "y");
  expect_field(morning({other_commune}), "items[0].bulletin_id");
  // Published by the province for everyone below it: visible to the commune.
  ProgrammeItem from_above;
  from_above.bulletin_id = w_.bulletin("38", "VN/38/", Priority::kNormal, "z");
  created(w_.op_a(), morning({from_above}));
  EXPECT_TRUE(w_.changes().size() == 1u);
}

TEST_F(ScheduleServiceTest, RuleNamesAreCaseInsensitiveAndStoredUpperCase) {
  auto in = morning({stream_item()});
  in.rrule = "freq=weekly; byday=mo,we";
  EXPECT_EQ(created(w_.op_a(), in).rrule, "FREQ=WEEKLY;BYDAY=MO,WE");
  EXPECT_TRUE(w_.service().validate_rrule("FREQ=MONTHLY;BYDAY=-1FR"));
  EXPECT_EQ(w_.service().validate_rrule("FREQ=MINUTELY").error().code, "invalid_rrule");
}

TEST_F(ScheduleServiceTest, AnOperatorSeesNothingOfAnotherCommune) {
  Programme p = created(w_.op_a(), morning({stream_item()}));
  EXPECT_EQ(w_.service().get(w_.op_b(), p.id).error().kind, ErrorKind::kNotFound);
  ProgrammeInput patch;
  patch.name = "Chiếm";
  EXPECT_EQ(w_.service().update(w_.op_b(), p.id, patch, kOrigin).error().kind,
            ErrorKind::kNotFound);
  EXPECT_EQ(w_.service().remove(w_.op_b(), p.id, kOrigin).error().kind, ErrorKind::kNotFound);
  auto list = w_.service().list(w_.op_b(), "");
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
  EXPECT_EQ(w_.service().list(w_.op_b(), "14797").error().kind, ErrorKind::kNotFound);
  auto mine = w_.service().list(w_.op_a(), "14797");
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 1u);
  // The province sees the commune's programmes; a viewer may read but not change them.
  EXPECT_EQ(w_.service().list(w_.op_province(), "")->size(), 1u);
  auto viewer = w_.operator_of("14797", "VN/38/14797/", Role::kViewer);
  EXPECT_TRUE(w_.service().get(viewer, p.id));
  EXPECT_EQ(w_.service().update(viewer, p.id, patch, kOrigin).error().kind, ErrorKind::kForbidden);
}

TEST_F(ScheduleServiceTest, OverlapOnACommonDeviceIsRefusedWithTheDetails) {
  Programme first = created(w_.op_a(), morning({stream_item()}));
  auto daily = morning({stream_item()});
  daily.name = "Tin địa phương";
  daily.rrule = "FREQ=DAILY";
  daily.first_date = "2026-12-03";
  daily.start_minute = 6 * 60 + 15;
  std::vector<ScheduleClash> clashes;
  auto r = create(w_.op_a(), daily, &clashes);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "schedule_overlap");
  EXPECT_NE(r.error().message.find("Bản tin sáng"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("2026-12-03 06:00"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("2 devices"), std::string::npos) << r.error().message;
  ASSERT_EQ(clashes.size(), 1u);
  EXPECT_EQ(clashes[0].programme_id, first.id);
  EXPECT_EQ(clashes[0].start, at("2026-12-03", 6));
  EXPECT_EQ(clashes[0].device_count, 2);
  EXPECT_EQ(clashes[0].device_ids,
            (std::vector<std::string>{ScheduleWorld::kA1, ScheduleWorld::kA2}));
  EXPECT_TRUE(w_.changes().size() == 1u);  // nothing written, nobody notified

  // A higher priority preempts the normal programme: allowed.
  daily.priority = Priority::kPriority;
  created(w_.op_a(), daily);
  // Disabled programmes never clash.
  auto disabled = morning({stream_item()});
  disabled.enabled = false;
  created(w_.op_a(), disabled);
}

TEST_F(ScheduleServiceTest, DifferentCommunesAndDeviceLessTargetsDoNotClash) {
  created(w_.op_a(), morning({stream_item()}));
  auto b = morning({stream_item()});
  b.owner_unit = "16597";
  created(w_.op_b(), b);
  // A village without devices: no common device.
  auto village = morning({stream_item()});
  village.target_units = std::vector<std::string>{"14797-002"};
  created(w_.op_a(), village);
  // The market group holds a commune device: clash.
  auto group = morning({stream_item()});
  group.target_groups = std::vector<std::int64_t>{w_.group_id()};
  EXPECT_EQ(error_of(w_.op_a(), group).code, "schedule_overlap");
  // A province programme over the whole province: clashes with both communes.
  auto province = morning({stream_item()});
  province.owner_unit = "38";
  std::vector<ScheduleClash> clashes;
  auto r = create(w_.op_province(), province, &clashes);
  ASSERT_FALSE(r);
  EXPECT_EQ(clashes.size(), 2u);
}

TEST_F(ScheduleServiceTest, AnExdateRemovesTheOnlyClash) {
  auto once = morning({stream_item()});
  once.name = "Hội nghị";
  once.rrule = "";
  once.first_date = "2026-12-05";  // a Saturday
  created(w_.op_a(), once);
  auto weekend = morning({stream_item()});
  weekend.rrule = "FREQ=WEEKLY;BYDAY=SA,SU";
  EXPECT_EQ(error_of(w_.op_a(), weekend).code, "schedule_overlap");
  weekend.exdates = std::vector<std::string>{"2026-12-05"};
  created(w_.op_a(), weekend);
}

TEST_F(ScheduleServiceTest, AProgrammeStartingLaterIsCheckedOverItsOwnFirstYear) {
  auto daily = morning({stream_item()});
  daily.rrule = "FREQ=DAILY";
  created(w_.op_a(), daily);
  auto later = morning({stream_item()});
  later.rrule = "FREQ=MONTHLY;BYMONTHDAY=1";
  later.first_date = "2028-06-01";
  std::vector<ScheduleClash> clashes;
  ASSERT_FALSE(create(w_.op_a(), later, &clashes));
  ASSERT_EQ(clashes.size(), 1u);
  EXPECT_EQ(clashes[0].start, at("2028-06-01", 6));
}

TEST_F(ScheduleServiceTest, UpdatesAreCheckedAgainstOthersButNotThemselves) {
  Programme p = created(w_.op_a(), morning({stream_item()}));
  ProgrammeInput longer;
  longer.duration_minutes = 60;
  EXPECT_TRUE(w_.service().update(w_.op_a(), p.id, longer, kOrigin));
  auto later = morning({stream_item()});
  later.start_minute = 8 * 60;
  Programme q = created(w_.op_a(), later);
  ProgrammeInput earlier;
  earlier.start_minute = 6 * 60 + 30;
  EXPECT_EQ(w_.service().update(w_.op_a(), q.id, earlier, kOrigin).error().code,
            "schedule_overlap");
}

TEST_F(ScheduleServiceTest, CalendarShowsWhatReachesTheUnit) {
  Programme a = created(w_.op_a(), morning({stream_item()}));
  auto b = morning({stream_item()});
  b.owner_unit = "16597";
  created(w_.op_b(), b);
  auto province = morning({stream_item()});
  province.owner_unit = "38";
  province.name = "Thời sự tỉnh";
  province.rrule = "FREQ=WEEKLY;BYDAY=SU";
  province.start_minute = 18 * 60;
  Programme prov = created(w_.op_province(), province);
  auto occ = w_.service().occurrences(w_.op_a(), "14797", D("2026-12-01"), D("2026-12-07"));
  ASSERT_TRUE(occ) << occ.error().message;
  ASSERT_EQ(occ->size(), 5u + 1u);
  EXPECT_EQ(occ->front().programme_id, a.id);
  EXPECT_EQ(occ->front().start, at("2026-12-01", 6));
  EXPECT_EQ(occ->front().end, at("2026-12-01", 6, 30));
  EXPECT_EQ(occ->front().targets, "14797");
  // Sunday evening, before Monday's morning bulletin.
  EXPECT_EQ((*occ)[4].programme_id, prov.id);
  EXPECT_EQ((*occ)[4].start, at("2026-12-06", 18));
  EXPECT_EQ(occ->back().start, at("2026-12-07", 6));
  EXPECT_EQ(
      w_.service().occurrences(w_.op_b(), "14797", D("2026-12-01"), D("2026-12-07")).error().kind,
      ErrorKind::kNotFound);
  EXPECT_FALSE(w_.service().occurrences(w_.op_a(), "14797", D("2026-12-07"), D("2026-12-01")));
}

class ManifestTest : public ScheduleServiceTest {
 protected:
  std::map<std::string, protocol::Manifest> compile(std::vector<std::string>* warnings = nullptr) {
    auto r = w_.service().compile_manifests(w_.devices(), w_.clock().now(), 7, warnings);
    EXPECT_TRUE(r) << r.error().message;
    return r ? r.value() : std::map<std::string, protocol::Manifest>{};
  }
};

TEST_F(ManifestTest, TargetsDecideWhichDevicesPlay) {
  Programme whole = created(w_.op_a(), morning({stream_item()}));
  auto village = morning({stream_item()});
  village.start_minute = 9 * 60;
  village.target_units = std::vector<std::string>{"14797-001"};
  Programme v = created(w_.op_a(), village);
  auto group = morning({stream_item()});
  group.start_minute = 10 * 60;
  group.target_groups = std::vector<std::int64_t>{w_.group_id()};
  Programme g = created(w_.op_a(), group);
  auto unit = morning({stream_item()});
  unit.start_minute = 11 * 60;
  unit.target_units = std::vector<std::string>{"14797"};
  Programme u = created(w_.op_a(), unit);

  auto m = compile();
  ASSERT_EQ(m.size(), 3u);
  auto programmes_of = [&](const char* device) {
    std::set<std::int64_t> ids;
    for (const auto& s : m[device].slots) {
      ids.insert(std::stoll(s.id.substr(1, s.id.find('@') - 1)));
    }
    return ids;
  };
  EXPECT_EQ(programmes_of(ScheduleWorld::kA1), (std::set<std::int64_t>{whole.id, v.id, u.id}));
  EXPECT_EQ(programmes_of(ScheduleWorld::kA2), (std::set<std::int64_t>{whole.id, g.id, u.id}));
  EXPECT_TRUE(m[ScheduleWorld::kB1].slots.empty());
  // 2026-11-30 12:00 + 7 days: weekdays Dec 1..4 and Dec 7 (up to 12:00).
  const auto& a1 = m[ScheduleWorld::kA1].slots;
  ASSERT_EQ(a1.size(), 15u);
  EXPECT_EQ(a1[0].id, "p" + std::to_string(whole.id) + "@" + std::to_string(at("2026-12-01", 6)));
  EXPECT_EQ(a1[0].end - a1[0].start, 1800);
  EXPECT_TRUE(std::is_sorted(a1.begin(), a1.end(),
                             [](const auto& x, const auto& y) { return x.start < y.start; }));
  EXPECT_EQ(a1[0].items[0].kind, protocol::ItemKind::kStream);
  EXPECT_EQ(a1[0].items[0].url, "http://radio.example/vov1.ogg");
  EXPECT_EQ(a1[0].items[0].duration_s, 600);
}

TEST_F(ManifestTest, DecommissionedDevicesGetNoManifest) {
  created(w_.op_a(), morning({stream_item()}));
  auto devices = w_.devices();
  for (auto& d : devices) {
    if (d.id == ScheduleWorld::kA1) d.status = DeviceStatus::kDecommissioned;
  }
  auto m = w_.service().compile_manifests(devices, w_.clock().now(), 400);  // clamped to 31
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->contains(ScheduleWorld::kA1));
  ASSERT_TRUE(m->contains(ScheduleWorld::kA2));
  EXPECT_EQ(m->at(ScheduleWorld::kA2).slots.size(), 23u);  // the weekdays of December
}

TEST_F(ManifestTest, ItemsCarryMediaSizesAndMissingAudioIsReported) {
  ProgrammeItem with_audio;
  with_audio.bulletin_id = w_.bulletin("14797", "VN/38/14797/", Priority::kNormal, "ogg-12345");
  ProgrammeItem silent;
  silent.bulletin_id = w_.bulletin("14797", "VN/38/14797/", Priority::kNormal, "");
  ProgrammeItem file;
  file.kind = ProgrammeItemKind::kMedia;
  file.sha256 = w_.media().put(std::string(4096, 'M'), "audio/ogg")->sha256;
  file.title = "Nhạc";
  ProgrammeItem intro;
  intro.kind = ProgrammeItemKind::kIntro;
  ProgrammeItem outro;
  outro.kind = ProgrammeItemKind::kOutro;
  const std::string tune = w_.media().put("intro-tune", "audio/ogg")->sha256;
  ASSERT_TRUE(w_.store().write(
      [&](Tx& tx) { return tx.set_unit_setting("38", "intro_media", tune); }));  // inherited
  created(w_.op_a(), morning({intro, with_audio, silent, file, outro}));

  std::vector<std::string> warnings;
  auto m = compile(&warnings);
  const auto& items = m[ScheduleWorld::kA2].slots.at(0).items;
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].sha256, tune);
  EXPECT_EQ(items[0].bytes, 10);
  EXPECT_EQ(items[1].bytes, 9);
  EXPECT_EQ(items[1].duration_ms, 61500);
  EXPECT_EQ(items[1].title, "Bản tin 14797");
  EXPECT_EQ(items[2].bytes, 4096);
  EXPECT_EQ(items[2].title, "Nhạc");
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("has no audio"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[1].find("no outro tune"), std::string::npos) << warnings[1];
}

TEST_F(ManifestTest, Circular39PriorityBulletinFromAboveGoesFirstInTheNextSlotOnly) {
  created(w_.op_a(), morning({stream_item()}));
  // Published by the province at 11:00 today (Monday): the next slot is Tuesday 06:00.
  const std::int64_t urgent = w_.bulletin("38", "VN/38/", Priority::kPriority, "urgent-audio",
                                          BulletinStatus::kPublished, at("2026-11-30", 11));
  // Not from above, or not for this commune, or only normal: none of these are inserted.
  w_.bulletin("14797", "VN/38/14797/", Priority::kPriority, "own-audio");
  w_.bulletin("38", "VN/38/", Priority::kPriority, "elsewhere", BulletinStatus::kPublished,
              at("2026-11-30", 11), {"16597"});
  w_.bulletin("38", "VN/38/", Priority::kNormal, "normal-audio");

  auto m = compile();
  for (const char* device : {ScheduleWorld::kA1, ScheduleWorld::kA2}) {
    const auto& slots = m[device].slots;
    ASSERT_GE(slots.size(), 2u);
    ASSERT_EQ(slots[0].start, at("2026-12-01", 6));
    ASSERT_EQ(slots[0].items.size(), 2u) << device;
    EXPECT_EQ(slots[0].items[0].sha256, MemoryMedia::sha_for("urgent-audio"));
    EXPECT_EQ(slots[0].items[0].bytes, 12);
    EXPECT_EQ(slots[0].items[1].kind, protocol::ItemKind::kStream);
    for (size_t i = 1; i < slots.size(); ++i) EXPECT_EQ(slots[i].items.size(), 1u);
  }
  EXPECT_GT(urgent, 0);
  // A day later the slot has aired: the bulletin is not placed again.
  w_.clock().set(at("2026-12-01", 12));
  auto later = compile();
  for (const auto& s : later[ScheduleWorld::kA1].slots) EXPECT_EQ(s.items.size(), 1u) << s.id;
}

}  // namespace
}  // namespace nguon::testing

namespace nguon::testing {
namespace {

// A measurement, not a check: run with --gtest_also_run_disabled_tests to see how long one
// overlap check takes against many programmes on the same devices.
TEST(ScheduleScale, DISABLED_OverlapCheckAgainstManyProgrammes) {
  ScheduleWorld w;
  const int n = 200;
  for (int i = 0; i < n; ++i) {
    auto in = morning({stream_item()});
    in.rrule = i % 2 ? "FREQ=DAILY" : "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR";
    in.start_minute = i * 7;  // 5-minute programmes, 2 minutes apart
    in.duration_minutes = 5;
    ASSERT_TRUE(w.service().create(w.op_a(), in, kOrigin));
  }
  auto clash = morning({stream_item()});
  clash.rrule = "FREQ=DAILY";
  clash.start_minute = (n - 1) * 7 + 1;
  clash.duration_minutes = 3;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = w.service().create(w.op_a(), clash, kOrigin);
  const auto ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_FALSE(r);
  std::printf("overlap check against %d programmes: %.1f ms\n", n, ms);
  const auto t1 = std::chrono::steady_clock::now();
  auto m = w.service().compile_manifests(w.devices(), w.clock().now(), 7);
  ASSERT_TRUE(m);
  std::printf(
      "7-day manifests of %zu devices: %.1f ms\n", m->size(),
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count());
}

}  // namespace
}  // namespace nguon::testing
