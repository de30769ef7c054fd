// The composition root: turns a validated Config into running parts. Both binaries (server and
// admin CLI) start here; apps/*/main.cpp only forward argv.
#pragma once

#include <memory>

#include "app/config.h"
#include "core/result.h"
#include "core/store.h"

namespace nguon::app {

// Opens the configured backend (creating the SQLite data directory if needed). Does not migrate.
Result<std::unique_ptr<Store>> open_store(const Config& config);

// `nguon-server [--config FILE]`: migrates, serves until SIGTERM/SIGINT, exits 0 after a clean
// drain. Exit codes: 2 bad configuration, 3 store unavailable, 4 cannot listen.
int server_main(int argc, char** argv);

// `nguon-admin …`: see --help.
int admin_main(int argc, char** argv);

}  // namespace nguon::app
