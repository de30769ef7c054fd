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

  // Ed25519 (device orders, docs/protocol.md). Keys and signatures are raw bytes: public 32,
  // secret 64, signature 64.
  struct SigningKeypair {
    std::string public_key;
    std::string secret_key;
  };
  virtual SigningKeypair signing_keypair() = 0;
  virtual std::string sign_detached(std::string_view secret_key, std::string_view message) = 0;
  // False for a wrong-sized key or signature, never a crash.
  virtual bool verify_detached(std::string_view public_key, std::string_view message,
                               std::string_view signature) = 0;
};

}  // namespace nguon
