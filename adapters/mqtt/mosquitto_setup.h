// Shared libmosquitto plumbing of the Client and the Poller (internal to adapters/mqtt).
#pragma once

#include <mosquitto.h>

#include <string>

#include "adapters/mqtt/client.h"
#include "core/result.h"

namespace nguon::mqtt::detail {

// mosquitto_lib_init, exactly once per process (thread-safe).
void init_library();
// Applies credentials, the will and protocol options of `opts` to a new handle.
Status configure(mosquitto* mosq, const ClientOptions& opts);
// "mqtt_<what>" error with libmosquitto's text for `rc`.
Error mqtt_error(const std::string& what, int rc);

}  // namespace nguon::mqtt::detail
