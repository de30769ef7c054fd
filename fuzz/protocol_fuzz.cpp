// Fuzzes the device protocol's parsers (core/protocol.h): everything an MQTT payload from the
// network reaches on the agent (open: envelope, signature, body) and on the server (device
// state and events), and the provisioning bundle. None may crash, hang or leak on any input.
// The first byte picks the parser; the rest is the payload.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "adapters/crypto/sodium_crypto.h"
#include "core/protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nguon;
  static SodiumCrypto crypto(Argon2Profile::kMin);
  static const protocol::PinnedKey key{"0123456789abcdef", std::string(32, '\x07')};
  if (size == 0) return 0;
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 5) {
    case 0:
      (void)protocol::open(crypto, {&key, 1}, "nguon/v1/a/14797/cmd", payload, 1'790'000'000);
      break;
    case 1:
      (void)protocol::decode_body(payload);
      break;
    case 2:
      (void)protocol::decode_event(payload);
      break;
    case 3:
      (void)protocol::decode_state(payload);
      break;
    default:
      (void)protocol::decode_bundle(payload);
      (void)protocol::base64_decode(payload);
      (void)protocol::parse_device_topic(payload);
      break;
  }
  return 0;
}
