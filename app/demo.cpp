#include "app/demo.h"

#include "app/feedback_stack.h"
#include "core/audit.h"
#include "core/bulletins.h"
#include "core/feedback/feedback_service.h"
#include "core/units.h"

namespace nguon::app {
namespace {

struct DemoVillage {
  std::string name;
  std::string type;
};

// Adds `villages` under `commune` unless a sibling already has the name.
Status add_villages(Store& store, Clock& clock, Crypto& crypto, const std::string& commune,
                    const std::vector<DemoVillage>& villages, const RequestOrigin& origin) {
  return store.write([&](Tx& tx) -> Status {
    auto parent = tx.find_unit(commune);
    if (!parent) return parent.error();
    if (!parent.value()) return {};
    for (const auto& v : villages) {
      auto siblings = tx.children(commune);
      if (!siblings) return siblings.error();
      auto village = units::make_village(*parent.value(), siblings.value(), v.name, v.type);
      if (!village) {
        if (village.error().code == "unit_exists") continue;
        return village.error();
      }
      NGUON_TRY(tx.insert_unit(village.value()));
      NGUON_TRY(audit::append(
          tx, crypto,
          {0, clock.now(), origin.actor, "unit.create_village", "unit:" + village->code, "",
           "{\"name\":" + json_quote(v.name) + "}", origin.ip}));
    }
    return {};
  });
}

// A few bulletins in each state, once: a provincial one published to the communes' library, a
// commune draft, and one waiting in the commune approver's queue.
Status seed_demo_bulletins(Store& store, Clock& clock, Crypto& crypto, const std::string& province,
                           const std::string& commune, const RequestOrigin& origin) {
  BulletinService bulletins(store, clock, crypto);
  auto editor_p = principal_named(store, "bientap.tinh");
  auto approver_p = principal_named(store, "duyet.tinh");
  auto editor_c = principal_named(store, "bientap.xa1");
  if (!editor_p || !approver_p || !editor_c) return {};  // users made by an older seed: skip
  BulletinQuery any;
  any.owner_paths = {"VN/"};
  any.limit = 1;
  auto existing = bulletins.list(editor_p.value(), any);
  if (existing && !existing->empty()) return {};

  BulletinDraft storm;
  storm.owner_unit = province;
  storm.title = "Chủ động phòng, chống bão số 3";
  storm.summary = "Các xã ven biển rà soát phương án sơ tán dân trước 17h00 ngày mai.";
  storm.body =
      "Theo Trung tâm Dự báo khí tượng thủy văn quốc gia, bão số 3 đang di chuyển theo hướng Tây "
      "Tây Bắc, sức gió mạnh nhất vùng gần tâm bão cấp 10–11.\n\nUBND tỉnh đề nghị UBND các xã, "
      "phường ven biển kiểm tra neo đậu tàu thuyền, chằng chống nhà cửa, chuẩn bị lương thực, "
      "nước uống cho 3 ngày. Đường dây nóng: 0237 3852 000.";
  storm.category = "disaster_emergency";
  storm.priority = Priority::kPriority;
  storm.source = "Ban Chỉ huy phòng thủ dân sự tỉnh";
  auto b = bulletins.create(editor_p.value(), storm, origin);
  if (!b) return b.error();
  NGUON_TRY(bulletins.submit(editor_p.value(), b->id, origin).ok() ? Status()
                                                                   : Status(internal("submit")));
  NGUON_TRY(bulletins.approve(approver_p.value(), b->id, origin).ok()
                ? Status()
                : Status(internal("approve")));
  NGUON_TRY(bulletins.publish(approver_p.value(), b->id, origin).ok()
                ? Status()
                : Status(internal("publish")));

  BulletinDraft vaccine;
  vaccine.owner_unit = commune;
  vaccine.title = "Lịch tiêm chủng mở rộng tháng 12";
  vaccine.body =
      "UBND phường thông báo: ngày 5/12/2026 lúc 7h30, Trạm y tế phường tổ chức tiêm chủng cho "
      "trẻ dưới 5 tuổi. Phụ huynh mang theo sổ tiêm chủng. Liên hệ: 0912 345 678.";
  vaccine.category = "society";
  auto draft = bulletins.create(editor_c.value(), vaccine, origin);
  if (!draft) return draft.error();

  BulletinDraft water;
  water.owner_unit = commune;
  water.title = "Tạm ngừng cấp nước để sửa chữa đường ống";
  water.body =
      "Từ 8h00 đến 16h00 ngày 3/12/2026, khu vực tổ dân phố Đông Hải tạm ngừng cấp nước để sửa "
      "chữa đường ống. Đề nghị bà con chủ động trữ nước.";
  water.category = "essential_services";
  auto pending = bulletins.create(editor_c.value(), water, origin);
  if (!pending) return pending.error();
  auto submitted = bulletins.submit(editor_c.value(), pending->id, origin);
  return submitted ? Status() : submitted.error();
}

// A few citizen submissions in the first demo commune, at every stage, so the feedback inbox,
// the portal's tracking page and the statistics have something to show. Runs once (skipped
// when any feedback exists).
Status seed_demo_feedback(Store& store, Clock& clock, Crypto& crypto, const std::string& commune,
                          const RequestOrigin& origin) {
  NGUON_TRY(seed_default_services(store));
  bool any = false;
  NGUON_TRY(store.read([&](Tx& tx) -> Status {
    FeedbackQuery q;
    q.limit = 1;
    NGUON_TRY_ASSIGN(auto found, tx.search_feedback(q));
    any = !found.empty();
    return {};
  }));
  if (any) return {};
  auto handler = principal_named(store, "xuly.xa1");
  auto approver = principal_named(store, "duyet.xa1");
  if (!handler || !approver) return {};
  workdays::WorkCalendar calendar;
  FeedbackSettings settings;
  settings.moderate_first_time = true;
  FeedbackDesk desk(store, clock, crypto, calendar, settings);
  struct Demo {
    const char* service;
    const char* title;
    const char* description;
    const char* name;
    const char* email;
    int stage;  // 0 moderation, 1 received, 2 assigned with a draft, 3 answered
  };
  const Demo demos[] = {
      {"roads", "Ổ gà trên đường Đông Hải",
       "Đoạn đường trước nhà văn hóa tổ dân phố Đông Hải có nhiều ổ gà lớn, trời mưa đọng nước, xe "
       "máy dễ ngã.",
       "Nguyễn Văn Bình", "binh.nguyen@example.vn", 3},
      {"broadcasting", "Loa phát quá to buổi sáng",
       "Cụm loa gần chợ phát lúc 5 giờ 30 sáng quá to, người già và trẻ nhỏ bị ảnh hưởng. Đề nghị "
       "giảm âm lượng.",
       "Lê Thị Thu", "thu.le@example.vn", 2},
      {"environment", "Rác thải ven kênh",
       "Người dân đổ rác ven kênh Ái Sơn nhiều ngày chưa được thu gom, bốc mùi hôi.",
       "Trần Văn Cường", "cuong.tran@example.vn", 1},
      {"utilities", "Mất nước sinh hoạt",
       "Khu phố Phú Thọ mất nước ba ngày liền mà không có thông báo.", "Phạm Thị Dung", "", 0},
  };
  for (const Demo& d : demos) {
    Submission s;
    s.service_code = d.service;
    s.title = d.title;
    s.description = d.description;
    s.commune_code = commune;
    s.contact_name = d.name;
    s.contact_email = d.email;
    if (std::string(d.service) == "environment") s.attributes = {{"kind", "waste"}};
    s.channel = "web";
    NGUON_TRY_ASSIGN(Feedback f, desk.submit(s, nullptr, origin));
    if (d.stage == 0) continue;
    NGUON_TRY(desk.moderate(handler.value(), f.id, true, "", origin));
    if (d.stage == 1) continue;
    NGUON_TRY(desk.accept(handler.value(), f.id, origin));
    NGUON_TRY(desk.draft_answer(
        handler.value(), f.id,
        d.stage == 3 ? "UBND phường đã giao Tổ công trình đô thị vá các ổ gà trên đoạn đường này; "
                       "công việc hoàn thành trong tuần. Cảm ơn ông đã phản ánh."
                     : "Đài truyền thanh phường sẽ giảm âm lượng cụm loa chợ và lùi giờ phát.",
        origin));
    if (d.stage == 2) continue;
    NGUON_TRY(desk.submit_answer(handler.value(), f.id, origin));
    NGUON_TRY(desk.approve_answer(approver.value(), f.id, origin));
  }
  return {};
}

}  // namespace

Result<access::Principal> principal_named(Store& store, const std::string& username) {
  Result<access::Principal> out = not_found("no demo user " + username);
  NGUON_TRY(store.read([&](Tx& tx) -> Status {
    auto u = tx.find_user_by_name(username);
    if (!u) return u.error();
    if (u.value()) out = AccountService::principal_of(tx, *u.value());
    return {};
  }));
  return out;
}

// The province's weather service as a trusted CAP source (issue 6) that needs an operator's
// approval: scripts/demo.sh pushes a typhoon warning with its token, so the alert waits in the
// console. Runs once (skipped when the sender exists); the token is one of the printed lines.
Result<std::optional<std::string>> seed_demo_alert_source(Store& store, Clock& clock,
                                                          Crypto& crypto,
                                                          const std::string& province,
                                                          const RequestOrigin& origin) {
  const std::string sender = "canhbao@kttv-thanhhoa.gov.vn";
  const std::string token = crypto.random_hex(32);
  std::optional<std::string> line;
  NGUON_TRY(store.write([&](Tx& tx) -> Status {
    NGUON_TRY_ASSIGN(auto existing, tx.find_alert_source_by_sender(sender));
    if (existing) return {};
    NGUON_TRY_ASSIGN(auto unit, tx.find_unit(province));
    if (!unit) return {};
    AlertSource s;
    s.sender = sender;
    s.name = "Đài Khí tượng Thủy văn tỉnh Thanh Hóa (demo)";
    s.unit_code = unit->code;
    s.unit_path = unit->path;
    s.token_hash = crypto.sha256_hex(token);
    s.created_at = clock.now();
    NGUON_TRY_ASSIGN(s.id, tx.insert_alert_source(s));
    line = "{\"cap_source\":" + json_quote(sender) + ",\"token\":" + json_quote(token) + "}";
    return audit::append(tx, crypto,
                         {0, s.created_at, origin.actor, "alert_source.create",
                          "alert_source:" + std::to_string(s.id), "", "", origin.ip});
  }));
  return line;
}

Result<std::vector<std::string>> seed_demo(Store& store, AccountService& accounts, Clock& clock,
                                           Crypto& crypto, const std::string& scope_root,
                                           const RequestOrigin& origin) {
  // Thanh Hóa (38) is the demo province: Phường Hạc Thành (14797, the provincial capital's
  // centre, which absorbed the old Đông Hải ward) and Xã Hoằng Hóa (15865, rural). Other scopes use
  // their first two communes.
  std::string province = scope_root == "VN" ? "38" : scope_root;
  std::vector<std::string> communes;
  NGUON_TRY(store.read([&](Tx& tx) -> Status {
    auto kids = tx.children(province);
    if (!kids) return kids.error();
    for (const std::string& preferred : {std::string("14797"), std::string("15865")}) {
      for (const Unit& k : kids.value()) {
        if (k.code == preferred) communes.push_back(k.code);
      }
    }
    for (const Unit& k : kids.value()) {
      if (communes.size() >= 2) break;
      if (std::find(communes.begin(), communes.end(), k.code) == communes.end())
        communes.push_back(k.code);
    }
    return {};
  }));
  if (communes.size() < 2)
    return invalid("no_units", "import the units first (nguon-admin import-units)");

  NGUON_TRY(add_villages(store, clock, crypto, communes[0],
                         {{"Tổ dân phố Đông Hải", "tổ dân phố"},
                          {"Tổ dân phố Ái Sơn", "tổ dân phố"},
                          {"Tổ dân phố Phú Thọ", "tổ dân phố"}},
                         origin));
  NGUON_TRY(add_villages(
      store, clock, crypto, communes[1],
      {{"Thôn Đông Sơn", "thôn"}, {"Thôn Trung Hòa", "thôn"}, {"Thôn Bắc Lý", "thôn"}}, origin));

  struct DemoUser {
    std::string username, name, unit;
    Role role;
    std::string role_unit;
  };
  const std::vector<DemoUser> people = {
      {"bientap.tinh", "Nguyễn Thị Lan (Sở)", province, Role::kEditor, province},
      {"duyet.tinh", "Trần Văn Minh (Sở)", province, Role::kApprover, province},
      {"bientap.xa1", "Lê Thị Hoa", communes[0], Role::kEditor, communes[0]},
      {"duyet.xa1", "Phạm Văn Hùng", communes[0], Role::kApprover, communes[0]},
      {"vanhanh.xa1", "Đỗ Văn Nam", communes[0], Role::kStationOperator, communes[0]},
      {"bientap.xa2", "Hoàng Thị Mai", communes[1], Role::kEditor, communes[1]},
      {"tuyentruyen.xa2", "Vũ Văn Sơn", communes[1], Role::kPropagandist, communes[1]},
      {"xuly.xa1", "Ngô Thị Hạnh", communes[0], Role::kFeedbackHandler, communes[0]},
      {"xuly.tinh", "Bùi Văn Tâm (VP UBND tỉnh)", province, Role::kFeedbackHandler, province},
  };
  std::vector<std::string> lines;
  for (const auto& p : people) {
    auto created = accounts.create_user_as_system(
        {p.username, p.name, p.unit, std::nullopt, {{p.role, p.role_unit}}}, origin);
    if (!created) {
      if (created.error().code == "username_taken") continue;
      return created.error();
    }
    lines.push_back("{\"username\":" + json_quote(p.username) +
                    ",\"password\":" + json_quote(created->password) + ",\"role\":" +
                    json_quote(std::string(access::role_name(p.role)) + "@" + p.role_unit) + "}");
  }
  NGUON_TRY(seed_demo_bulletins(store, clock, crypto, province, communes[0], origin));
  NGUON_TRY(seed_demo_feedback(store, clock, crypto, communes[0], origin));
  NGUON_TRY_ASSIGN(auto source, seed_demo_alert_source(store, clock, crypto, province, origin));
  if (source) lines.push_back(*source);
  return lines;
}

}  // namespace nguon::app
