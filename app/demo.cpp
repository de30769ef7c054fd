#include "app/demo.h"

#include "core/audit.h"
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

}  // namespace

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
  return lines;
}

}  // namespace nguon::app
