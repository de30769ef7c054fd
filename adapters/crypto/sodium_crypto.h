// libsodium implementation of the Crypto port.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/ports.h"

namespace nguon {

// Argon2id cost. kInteractive is libsodium's interactive profile (2 passes, 64 MiB), the
// default; kModerate is stronger (3 passes, 256 MiB); kMin (1 pass, 8 KiB) exists only so test
// suites that log in hundreds of times stay fast. docs/operations.md records measured costs.
enum class Argon2Profile { kMin, kInteractive, kModerate };

class SodiumCrypto final : public Crypto {
 public:
  // Aborts when libsodium cannot initialise (no entropy source): nothing secure can run then.
  explicit SodiumCrypto(Argon2Profile profile);

  std::string random_hex(size_t n) override;
  std::string random_password(size_t length) override;
  std::string sha256_hex(std::string_view data) override;
  std::string hash_password(std::string_view password) override;
  bool verify_password(std::string_view encoded_hash, std::string_view password) override;
  SigningKeypair signing_keypair() override;
  std::string sign_detached(std::string_view secret_key, std::string_view message) override;
  bool verify_detached(std::string_view public_key, std::string_view message,
                       std::string_view signature) override;

 private:
  unsigned long long ops_;
  size_t mem_;
};

}  // namespace nguon
