#include "app/demo_devices.h"

#include <filesystem>
#include <fstream>

#include "app/demo.h"
#include "core/bulletin_media.h"
#include "core/bulletins.h"

namespace nguon::app {
namespace {

struct DemoDevice {
  std::string serial;
  std::string name;
  std::string commune;
  std::string village;  // "" for the commune centre
  double lat;
  double lon;
  DeviceKind kind = DeviceKind::kCluster;
};

// Around Phường Hạc Thành (14797, Thanh Hóa city centre) and Xã Hoằng Hóa (15865).
std::vector<DemoDevice> demo_devices() {
  return {
      {"DEMO-HT-01", "Cụm loa UBND phường Hạc Thành", "14797", "", 19.8075, 105.7764},
      {"DEMO-HT-02", "Cụm loa TDP Đông Hải", "14797", "14797-001", 19.7985, 105.7931},
      {"DEMO-HT-03", "Cụm loa TDP Ái Sơn", "14797", "14797-002", 19.8152, 105.7892},
      {"DEMO-HT-04", "Cụm loa TDP Phú Thọ", "14797", "14797-003", 19.8021, 105.7657},
      {"DEMO-HT-05", "Bảng điện tử chợ Vườn Hoa", "14797", "", 19.8069, 105.7812,
       DeviceKind::kBoard},
      {"DEMO-HH-01", "Cụm loa UBND xã Hoằng Hóa", "15865", "", 19.8572, 105.8591},
      {"DEMO-HH-02", "Cụm loa thôn Đông Sơn", "15865", "15865-001", 19.8631, 105.8512},
      {"DEMO-HH-03", "Cụm loa thôn Trung Hòa", "15865", "15865-002", 19.8497, 105.8668},
  };
}

Result<Device> find_or_register(DeviceService& devices, const access::Principal& admin,
                                const DemoDevice& d, const RequestOrigin& origin) {
  DeviceListQuery q;
  q.text = d.serial;
  NGUON_TRY_ASSIGN(auto listing, devices.list(admin, q));
  for (const auto& existing : listing.items) {
    if (existing.serial == d.serial && existing.status != DeviceStatus::kDecommissioned) {
      return existing;
    }
  }
  DeviceDraft draft;
  draft.kind = d.kind;
  draft.name = d.name;
  draft.serial = d.serial;
  draft.vendor = "Nguồn demo";
  draft.model = d.kind == DeviceKind::kBoard ? "LED-P10" : "IP-Loa 4x30W";
  draft.firmware = "1.0.0";
  draft.commune_code = d.commune;
  draft.village_code = d.village;
  draft.lat = d.lat;
  draft.lon = d.lon;
  draft.horns = d.kind == DeviceKind::kBoard ? 0 : 4;
  draft.watts = d.kind == DeviceKind::kBoard ? 300 : 120;
  return devices.register_device(admin, draft, origin);
}

// A published morning bulletin of the first demo commune with synthesized audio.
Result<std::int64_t> morning_bulletin(Store& store, Clock& clock, Crypto& crypto,
                                      SpeechStack& speech, const RequestOrigin& origin) {
  NGUON_TRY_ASSIGN(auto editor, principal_named(store, "bientap.xa1"));
  NGUON_TRY_ASSIGN(auto approver, principal_named(store, "duyet.xa1"));
  BulletinService bulletins(store, clock, crypto);
  BulletinMediaService media(store, clock, crypto, bulletins, *speech.synthesizer, *speech.pipeline,
                             *speech.media, *speech.dictionary);
  BulletinDraft draft;
  draft.owner_unit = "14797";
  draft.title = "Bản tin sáng phường Hạc Thành";
  draft.body =
      "Sáng nay, UBND phường ra quân tổng vệ sinh môi trường tại các tổ dân phố. Đề nghị bà "
      "con thu gom rác thải đúng giờ, không đổ rác xuống kênh Bắc.\n\nLịch tiếp công dân của "
      "Chủ tịch UBND phường vào sáng thứ Năm hằng tuần tại trụ sở phường.";
  draft.category = "local_plans";
  NGUON_TRY_ASSIGN(auto b, bulletins.create(editor, draft, origin));
  NGUON_TRY(media.synthesize(editor, b.id, VoiceSettings{}, origin));
  NGUON_TRY(bulletins.submit(editor, b.id, origin));
  NGUON_TRY(bulletins.approve(approver, b.id, origin));
  NGUON_TRY(bulletins.publish(approver, b.id, origin));
  return b.id;
}

Status ensure_morning_programme(BroadcastStack& stack, Store& store, Clock& clock, Crypto& crypto,
                                SpeechStack* speech, const access::Principal& admin,
                                const RequestOrigin& origin) {
  NGUON_TRY_ASSIGN(auto existing, stack.schedules->list(admin, "14797"));
  if (!existing.empty() || speech == nullptr || speech->synthesizer == nullptr) return {};
  NGUON_TRY_ASSIGN(auto bulletin_id, morning_bulletin(store, clock, crypto, *speech, origin));
  ProgrammeInput in;
  in.name = "Bản tin sáng";
  in.owner_unit = "14797";
  in.priority = Priority::kNormal;
  in.rrule = "FREQ=DAILY";
  in.first_date = schedule::format_date(schedule::local_date_of(clock.now()));
  in.start_minute = 6 * 60;
  in.duration_minutes = 30;
  in.items = std::vector<ProgrammeItem>{{ProgrammeItemKind::kBulletin, bulletin_id}};
  NGUON_TRY(stack.schedules->create(admin, in, origin));
  in.name = "Bản tin chiều";
  in.start_minute = 17 * 60;
  NGUON_TRY(stack.schedules->create(admin, in, origin));
  return {};
}

}  // namespace

Result<size_t> seed_demo_devices(BroadcastStack& stack, Store& store, Clock& clock, Crypto& crypto,
                                 SpeechStack* speech, const std::string& admin_username,
                                 const std::string& bundle_dir, const RequestOrigin& origin) {
  NGUON_TRY_ASSIGN(auto admin, principal_named(store, admin_username));
  std::error_code ec;
  std::filesystem::create_directories(bundle_dir, ec);
  size_t written = 0;
  for (const auto& d : demo_devices()) {
    NGUON_TRY_ASSIGN(auto device, find_or_register(*stack.devices, admin, d, origin));
    NGUON_TRY_ASSIGN(auto provisioned, stack.devices->provision(admin, device.id, origin));
    const auto path = std::filesystem::path(bundle_dir) / (device.id + ".json");
    std::ofstream out(path, std::ios::trunc);
    out << protocol::encode_bundle(provisioned.bundle) << "\n";
    if (!out) return internal("cannot write " + path.string());
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
    ++written;
  }
  NGUON_TRY(ensure_morning_programme(stack, store, clock, crypto, speech, admin, origin));
  return written;
}

}  // namespace nguon::app
