#include "app/unit_import.h"

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/text.h"
#include "core/units.h"

namespace nguon::app {
namespace json = boost::json;
namespace {

Result<std::string> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return invalid("missing_data", "cannot read " + p.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// RFC 4180 fields of one line (quoted fields may contain commas and doubled quotes).
std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back().push_back('"');
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        out.back().push_back(ch);
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out.emplace_back();
    } else if (ch != '\r') {
      out.back().push_back(ch);
    }
  }
  return out;
}

// "Tỉnh Thanh Hóa (38)" → "38".
std::string trailing_code(const std::string& s) {
  const auto open = s.rfind('(');
  const auto close = s.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return {};
  return s.substr(open + 1, close - open - 1);
}

Status insert_if_absent(Tx& tx, const Unit& u, ImportReport& report, std::int64_t& counter) {
  auto existing = tx.find_unit(u.code);
  if (!existing) return existing.error();
  if (existing.value()) {
    ++report.skipped_existing;
    return {};
  }
  NGUON_TRY(tx.insert_unit(u));
  ++counter;
  return {};
}

}  // namespace

Result<ImportReport> import_units(Store& store, const Config& config) {
  const std::filesystem::path dir = config.deployment.data_dir;
  auto units_text = read_file(dir / "vn-admin-units-2025.json");
  if (!units_text) return units_text.error();
  auto csv_text = read_file(dir / "vn-admin-units-2025-conversion.csv");
  if (!csv_text) return csv_text.error();
  json::error_code ec;
  json::value doc = json::parse(units_text.value(), ec);
  if (ec || !doc.is_object() || !doc.as_object().contains("provinces")) {
    return invalid("invalid_data", "vn-admin-units-2025.json: not the expected shape");
  }
  const std::string& scope = config.deployment.scope;
  ImportReport report;
  bool scope_found = config.is_central();
  Status s = store.write([&](Tx& tx) -> Status {
    const Unit nation = units::make_unit(std::string(units::kNationCode), nullptr,
                                         UnitLevel::kNation, "quốc gia", "Việt Nam");
    std::int64_t ignored = 0;
    NGUON_TRY(insert_if_absent(tx, nation, report, ignored));
    for (const json::value& pv : doc.at("provinces").as_array()) {
      const auto& p = pv.as_object();
      const std::string code(p.at("code").as_string());
      if (!config.is_central() && code != scope) continue;
      scope_found = true;
      const Unit province = units::make_unit(code, &nation, UnitLevel::kProvince,
                                             std::string(p.at("type").as_string()),
                                             text::to_nfc(std::string(p.at("name").as_string())));
      NGUON_TRY(insert_if_absent(tx, province, report, report.provinces));
      for (const json::value& cv : p.at("communes").as_array()) {
        const auto& c = cv.as_object();
        const Unit commune =
            units::make_unit(std::string(c.at("code").as_string()), &province, UnitLevel::kCommune,
                             std::string(c.at("type").as_string()),
                             text::to_nfc(std::string(c.at("name").as_string())));
        NGUON_TRY(insert_if_absent(tx, commune, report, report.communes));
      }
    }
    if (!scope_found)
      return invalid("invalid_config", "deployment.scope: no province with code " + scope);
    std::istringstream lines(csv_text.value());
    std::string line;
    std::getline(lines, line);  // header
    while (std::getline(lines, line)) {
      if (line.empty()) continue;
      auto f = csv_fields(line);
      if (f.size() < 8) return invalid("invalid_data", "conversion table: short row: " + line);
      if (!config.is_central() && trailing_code(f[0]) != scope) continue;
      LegacyCommune row{f[3], text::to_nfc(f[4]), text::to_nfc(f[6]), text::to_nfc(f[7]),
                        f[1], text::to_nfc(f[5])};
      auto existing = tx.find_legacy(row.old_code);
      if (!existing) return existing.error();
      const bool present =
          std::any_of(existing->begin(), existing->end(),
                      [&](const LegacyCommune& e) { return e.new_code == row.new_code; });
      if (present) continue;
      NGUON_TRY(tx.insert_legacy(row));
      ++report.legacy_rows;
    }
    return {};
  });
  if (!s) return s.error();
  return report;
}

}  // namespace nguon::app
