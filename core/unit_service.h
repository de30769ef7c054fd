// Reading and editing the administrative unit tree on behalf of a caller. Units outside what
// the caller may see are reported as absent (not_found), never as forbidden, so their
// existence does not leak.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/access.h"
#include "core/accounts.h"
#include "core/model.h"
#include "core/ports.h"
#include "core/result.h"
#include "core/store.h"

namespace nguon {

struct UnitView {
  Unit unit;
  std::vector<Unit> ancestors;  // nation first; excludes the unit itself
  bool can_admin = false;       // caller is admin over the unit
  bool navigable_only = false;  // above the caller's grants: visible only to navigate
};

struct LegacyMatch {
  LegacyCommune row;
  std::string new_name;
};

class UnitService {
 public:
  UnitService(Store& store, Clock& clock, Crypto& crypto)
      : store_(store), clock_(clock), crypto_(crypto) {}

  Result<UnitView> get(const access::Principal& p, const std::string& code);
  // The outermost units the caller holds a grant on.
  Result<std::vector<UnitView>> roots(const access::Principal& p);
  Result<std::vector<UnitView>> children(const access::Principal& p, const std::string& code);
  // Diacritic-insensitive substring search of names inside the caller's scope.
  Result<std::vector<UnitView>> search(const access::Principal& p, const std::string& query,
                                       std::optional<UnitLevel> level, size_t limit);
  // Requires admin over the commune.
  Result<UnitView> add_village(const access::Principal& p, const std::string& commune_code,
                               const std::string& name, const std::string& type,
                               const RequestOrigin& origin);
  // Only villages can be renamed: official unit names come from the national list.
  Result<UnitView> rename_village(const access::Principal& p, const std::string& code,
                                  const std::string& name, const RequestOrigin& origin);
  // Increases after every change to the unit tree made through this service (cache key part).
  std::uint64_t version() const { return version_.load(); }

  // The new commune(s) a pre-2025 commune code became part of.
  Result<std::vector<LegacyMatch>> resolve_legacy(const std::string& old_code);

 private:
  Result<UnitView> view_of(Tx& tx, const access::Principal& p, Unit unit);
  Result<Unit> visible_unit(Tx& tx, const access::Principal& p, const std::string& code);

  Store& store_;
  Clock& clock_;
  Crypto& crypto_;
  std::atomic<std::uint64_t> version_{0};
};

}  // namespace nguon
