// Ports: what the core needs from the outside world, injected so tests control time and
// randomness. Implementations live in adapters/ (and test fakes in tests/support/).
#pragma once

#include <string>
#include <string_view>

#include "core/model.h"

namespace nguon {

// Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixTime now() const = 0;
};

// Thread-safe. Cryptographic primitives; the real one is libsodium.
class Crypto {
 public:
  virtual ~Crypto() = default;
  // `n` bytes from a CSPRNG, as lower-case hex (2n characters).
  virtual std::string random_hex(size_t n) = 0;
  // A password a person can type: `length` characters from an unambiguous alphabet.
  virtual std::string random_password(size_t length) = 0;
  virtual std::string sha256_hex(std::string_view data) = 0;
  // Argon2id encoded hash (salt and parameters inside).
  virtual std::string hash_password(std::string_view password) = 0;
  virtual bool verify_password(std::string_view encoded_hash, std::string_view password) = 0;
};

}  // namespace nguon
