// A small broadcast world on a temporary SQLite store, shared by the service and API tests:
// villages 14797-001/-002, devices in communes 14797 (Hạc Thành) and 16597 (Hải Lĩnh), a
// device group, an in-memory media store, and the schedule service with the libical adapter.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "adapters/calendar/ical_recurrence.h"
#include "core/schedule/schedule_service.h"
#include "core/units.h"
#include "tests/support/fakes.h"

namespace nguon::testing {

class MemoryMedia final : public MediaStore {
 public:
  Result<MediaInfo> put(std::string_view bytes, std::string_view content_type) override {
    const std::string sha = sha_for(bytes);
    files_[sha] = std::string(bytes);
    return MediaInfo{sha, static_cast<std::int64_t>(bytes.size()), std::string(content_type)};
  }
  Result<std::string> path_of(const std::string& sha256) override {
    if (!files_.contains(sha256)) return not_found("no media " + sha256);
    return "/memory/" + sha256;
  }
  Result<std::string> read(const std::string& sha256) override {
    auto it = files_.find(sha256);
    if (it == files_.end()) return not_found("no media " + sha256);
    return it->second;
  }
  // Distinct, valid-looking ids: the length and first byte of the content, padded.
  static std::string sha_for(std::string_view bytes) {
    std::string hex = std::to_string(bytes.size()) + "f" +
                      std::to_string(bytes.empty() ? 0 : static_cast<unsigned char>(bytes[0]));
    return hex + std::string(64 - hex.size(), 'a');
  }

 private:
  std::map<std::string, std::string> files_;
};

class ScheduleWorld {
 public:
  ScheduleWorld()
      : clock_(schedule::to_unix(schedule::parse_date("2026-11-30").value(), 12 * 60)),
        crypto_(Argon2Profile::kMin),
        service_(db_.store(), clock_, crypto_, expander_, &media_,
                 [this](const std::string& path) { changes_.push_back(path); }) {
    seed();
  }

  static constexpr const char* kA1 = "d00000000000000a1";  // 14797, village 001
  static constexpr const char* kA2 = "d00000000000000a2";  // 14797, commune level, group
  static constexpr const char* kB1 = "d00000000000000b1";  // 16597

  access::Principal operator_of(const std::string& code, const std::string& path,
                                Role role = Role::kStationOperator) {
    access::Principal p;
    p.user_id = author_id_;
    p.username = "op-" + code;
    p.unit_code = code;
    p.grants = {{role, code, path}};
    return p;
  }
  access::Principal op_a() { return operator_of("14797", "VN/38/14797/"); }
  access::Principal op_b() { return operator_of("16597", "VN/38/16597/"); }
  access::Principal op_province() { return operator_of("38", "VN/38/"); }

  // A published bulletin of `owner` with `audio_bytes` of audio (none when empty).
  std::int64_t bulletin(const std::string& owner, const std::string& owner_path, Priority priority,
                        const std::string& audio_bytes,
                        BulletinStatus status = BulletinStatus::kPublished,
                        UnixTime published_at = 0, std::vector<std::string> targets = {}) {
    Bulletin b;
    b.owner_unit = owner;
    b.title = "Bản tin " + owner;
    b.body = "Nội dung";
    b.category = "society";
    b.priority = priority;
    b.author_id = author_id_;
    b.status = status;
    b.target_units = std::move(targets);
    b.published_at = published_at != 0 ? published_at : clock_.now() - 3600;
    b.created_at = b.updated_at = b.published_at;
    if (!audio_bytes.empty()) {
      b.audio.sha256 = media_.put(audio_bytes, "audio/ogg")->sha256;
      b.audio.seconds = 61.5;
      b.audio.origin = "tts";
    }
    std::int64_t id = 0;
    Status s = db_.store().write([&](Tx& tx) -> Status {
      auto r = tx.insert_bulletin(b, owner_path);
      if (!r) return r.error();
      id = r.value();
      return {};
    });
    EXPECT_TRUE(s) << s.error().message;
    return id;
  }

  std::vector<Device> devices() {
    std::vector<Device> out;
    Status s = db_.store().read([&](Tx& tx) -> Status {
      auto r = tx.list_devices(DeviceQuery{});
      if (!r) return r.error();
      out = std::move(r.value());
      return {};
    });
    EXPECT_TRUE(s) << s.error().message;
    return out;
  }

  Store& store() { return db_.store(); }
  ManualClock& clock() { return clock_; }
  SodiumCrypto& crypto() { return crypto_; }
  MemoryMedia& media() { return media_; }
  ScheduleService& service() { return service_; }
  calendar::IcalRecurrenceExpander& expander() { return expander_; }
  const std::vector<std::string>& changes() const { return changes_; }
  std::int64_t group_id() const { return group_id_; }

 private:
  void seed() {
    Status s = db_.store().write([&](Tx& tx) -> Status {
      auto commune = tx.find_unit("14797");
      if (!commune || !commune.value()) return internal("no commune");
      for (const char* v : {"14797-001", "14797-002"}) {
        NGUON_TRY(tx.insert_unit(units::make_unit(v, &*commune.value(), UnitLevel::kVillage, "thôn",
                                                  std::string("Thôn ") + v)));
      }
      User u;
      u.username = "author";
      u.display_name = "Author";
      u.unit_code = "38";
      u.password_hash = "x";
      auto uid = tx.insert_user(u);
      if (!uid) return uid.error();
      author_id_ = uid.value();
      NGUON_TRY(tx.insert_device(device(kA1, "14797", "14797-001", "VN/38/14797/14797-001/")));
      NGUON_TRY(tx.insert_device(device(kA2, "14797", "", "VN/38/14797/")));
      NGUON_TRY(tx.insert_device(device(kB1, "16597", "", "VN/38/16597/")));
      auto g = tx.insert_group({0, "14797", "VN/38/14797/", "Cụm loa chợ", {kA2}});
      if (!g) return g.error();
      group_id_ = g.value();
      return {};
    });
    if (!s) ADD_FAILURE() << s.error().message;
  }

  static Device device(const char* id, const char* commune, const char* village, const char* path) {
    Device d;
    d.id = id;
    d.name = std::string("Cụm loa ") + id;
    d.serial = std::string("SN-") + id;
    d.commune_code = commune;
    d.village_code = village;
    d.unit_path = path;
    d.status = DeviceStatus::kProvisioned;
    return d;
  }

  TempStore db_;
  ManualClock clock_;
  SodiumCrypto crypto_;
  calendar::IcalRecurrenceExpander expander_;
  MemoryMedia media_;
  std::vector<std::string> changes_;
  ScheduleService service_;
  std::int64_t author_id_ = 0;
  std::int64_t group_id_ = 0;
};

// A valid weekday-morning programme of commune 14797 (06:00–06:30 from 2026-12-01).
inline ProgrammeInput morning(const std::vector<ProgrammeItem>& items) {
  ProgrammeInput in;
  in.name = "Bản tin sáng";
  in.owner_unit = "14797";
  in.rrule = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR";
  in.first_date = "2026-12-01";
  in.start_minute = 6 * 60;
  in.duration_minutes = 30;
  in.items = items;
  return in;
}

inline ProgrammeItem stream_item() {
  ProgrammeItem i;
  i.kind = ProgrammeItemKind::kStream;
  i.url = "http://radio.example/vov1.ogg";
  i.duration_s = 600;
  i.title = "VOV1";
  return i;
}

}  // namespace nguon::testing
