// SQLite implementation of the Store contract (core/store.h): WAL journal, one connection per
// call from a small pool, BEGIN IMMEDIATE for writes, foreign keys on, busy timeout.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "core/store.h"

namespace nguon::sqlite {

struct SqliteOptions {
  std::string path;  // database file; its directory must exist
  int busy_timeout_ms = 5000;
  size_t max_idle_connections = 8;
  // true: "PRAGMA synchronous = FULL" (the WAL is fsynced at every commit: an acknowledged
  // write survives a power cut); false: NORMAL (survives a crash of the process, not of the
  // machine). Tests that need no durability turn it off for speed.
  bool synchronous_full = true;
};

Result<std::unique_ptr<Store>> open_store(const SqliteOptions& options);

// Copies the live database at `source_path` into `dest_path` with SQLite's online backup API:
// a consistent snapshot even while a server writes to it.
Status backup(const std::string& source_path, const std::string& dest_path);

}  // namespace nguon::sqlite
