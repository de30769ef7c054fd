// Demo loudspeaker clusters for the run command: devices in the demo communes, provisioned
// with real broker accounts, whose bundles the simulator (nguon-simulator) then runs, and a
// daily morning programme so the schedule and the dashboard have something to show.
#pragma once

#include <string>

#include "app/broadcast_stack.h"
#include "app/speech_stack.h"
#include "core/accounts.h"
#include "core/store.h"

namespace nguon::app {

// Idempotent by serial: existing demo devices are re-provisioned (new credentials, new bundle
// files); the programme and its bulletin are created once. Needs seed_demo() first (its users
// and villages) and an admin user named `admin_username`. Writes `<bundle_dir>/<device>.json`.
// Returns how many devices have bundles.
Result<size_t> seed_demo_devices(BroadcastStack& stack, Store& store, Clock& clock, Crypto& crypto,
                                 SpeechStack* speech, const std::string& admin_username,
                                 const std::string& bundle_dir, const RequestOrigin& origin);

}  // namespace nguon::app
