// Loads the official administrative units (QĐ 19/2025/QĐ-TTg: 34 provinces, 3,321 communes)
// and the pre-2025 conversion table from the project's data/ folder into a store. Only the
// deployment's scope is loaded: the whole country for "central", else one province.
#pragma once

#include <cstdint>
#include <string>

#include "app/config.h"
#include "core/result.h"
#include "core/store.h"

namespace nguon::app {

struct ImportReport {
  std::int64_t provinces = 0;
  std::int64_t communes = 0;
  std::int64_t legacy_rows = 0;
  std::int64_t skipped_existing = 0;
};

// Idempotent: units already present are left as they are. Runs in one transaction.
Result<ImportReport> import_units(Store& store, const Config& config);

}  // namespace nguon::app
