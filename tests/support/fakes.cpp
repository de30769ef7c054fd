#include "tests/support/fakes.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "adapters/db/sqlite/sqlite_store.h"
#include "core/units.h"

namespace nguon::testing {

void seed_small_tree(Store& store) {
  Status s = store.write([](Tx& tx) -> Status {
    Unit vn = units::make_unit("VN", nullptr, UnitLevel::kNation, "quốc gia", "Việt Nam");
    Unit th = units::make_unit("38", &vn, UnitLevel::kProvince, "tỉnh", "Tỉnh Thanh Hóa");
    Unit hn = units::make_unit("01", &vn, UnitLevel::kProvince, "thành phố trung ương",
                               "Thành phố Hà Nội");
    NGUON_TRY(tx.insert_unit(vn));
    NGUON_TRY(tx.insert_unit(th));
    NGUON_TRY(tx.insert_unit(hn));
    NGUON_TRY(tx.insert_unit(
        units::make_unit("14797", &th, UnitLevel::kCommune, "phường", "Phường Hạc Thành")));
    NGUON_TRY(tx.insert_unit(
        units::make_unit("16597", &th, UnitLevel::kCommune, "phường", "Phường Hải Lĩnh")));
    NGUON_TRY(tx.insert_unit(
        units::make_unit("00004", &hn, UnitLevel::kCommune, "phường", "Phường Ba Đình")));
    return tx.insert_legacy({"14800", "Phường Đông Hải", "Thành phố Thanh Hóa", "Tỉnh Thanh Hóa",
                             "14797", "Nhập toàn bộ"});
  });
  if (!s) throw std::runtime_error("seed: " + s.error().message);
}

TempStore::TempStore() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "nguon-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  db_path_ = dir_ + "/nguon.sqlite";
  sqlite::SqliteOptions options;
  options.path = db_path_;
  options.synchronous_full = false;  // tests need no durability across power cuts
  auto store = sqlite::open_store(options);
  if (!store) throw std::runtime_error(store.error().message);
  store_ = std::move(store.value());
  auto v = store_->migrate();
  if (!v) throw std::runtime_error(v.error().message);
  seed_small_tree(*store_);
}

TempStore::~TempStore() {
  store_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace nguon::testing
