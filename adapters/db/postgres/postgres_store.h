// PostgreSQL (libpq) implementation of the Store contract (core/store.h).
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "core/store.h"

namespace nguon::postgres {

struct PostgresOptions {
  std::string conninfo;  // libpq connection string or URI
  size_t max_idle_connections = 8;
};

Result<std::unique_ptr<Store>> open_store(const PostgresOptions& options);

}  // namespace nguon::postgres
