#include "adapters/mqtt/mosquitto_setup.h"

#include <mutex>

namespace nguon::mqtt::detail {

void init_library() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

Error mqtt_error(const std::string& what, int rc) {
  return {ErrorKind::kUnavailable, "mqtt_" + what, what + ": " + mosquitto_strerror(rc)};
}

Status configure(mosquitto* mosq, const ClientOptions& opts) {
  mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  // Orders are small and latency matters more than packet count.
  mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1);
  if (!opts.username.empty()) {
    int rc = mosquitto_username_pw_set(mosq, opts.username.c_str(),
                                       opts.password.empty() ? nullptr : opts.password.c_str());
    if (rc != MOSQ_ERR_SUCCESS) return mqtt_error("credentials", rc);
  }
  if (opts.will) {
    int rc = mosquitto_will_set(mosq, opts.will->topic.c_str(),
                                static_cast<int>(opts.will->payload.size()),
                                opts.will->payload.data(), opts.will->qos, opts.will->retain);
    if (rc != MOSQ_ERR_SUCCESS) return mqtt_error("will", rc);
  }
  int min_s = opts.reconnect_min_s < 1 ? 1 : opts.reconnect_min_s;
  int max_s = opts.reconnect_max_s < min_s ? min_s : opts.reconnect_max_s;
  mosquitto_reconnect_delay_set(mosq, static_cast<unsigned>(min_s), static_cast<unsigned>(max_s),
                                true);
  return {};
}

}  // namespace nguon::mqtt::detail
