// A memoising decorator of the Crypto port for nguon-simulator's virtual agents.
//
// Why: the simulator runs thousands of virtual agents on ONE thread, and an area order reaches
// every one of them with the same bytes, so each would verify the same Ed25519 signature
// (~60 µs with libsodium on the benchmark machine: ~0.6 s of serial work at 10,000 devices). Real
// devices verify in parallel, each on its own CPU; this cache models that by verifying each
// distinct (public key, message, signature) once on the simulator's thread instead of N times, and
// giving every other device that received byte-identical inputs the same verdict. Only the
// simulator uses it: a real agent (nguon-agent) verifies every message itself. `nguon-simulator
// --no-verify-cache` measures without it.
//
// Correctness is unchanged: the key is the exact bytes of the three inputs (not a digest), and
// Ed25519 verification is a deterministic function of them, so a hit returns what the real
// verification would return for the same inputs. A different or tampered message, signature or
// key is a different key and is verified afresh by the wrapped Crypto. Every other method
// forwards to the wrapped Crypto unchanged.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/ports.h"

namespace nguon::simulator {

class VerifyCache final : public Crypto {
 public:
  // When the cache holds `max_entries` verdicts, it is cleared before the next one is added
  // (an area order is one entry however many devices it reaches).
  explicit VerifyCache(Crypto& inner, size_t max_entries = 1024);

  std::string random_hex(size_t n) override { return inner_.random_hex(n); }
  std::string random_password(size_t length) override { return inner_.random_password(length); }
  std::string sha256_hex(std::string_view data) override { return inner_.sha256_hex(data); }
  std::string hash_password(std::string_view password) override {
    return inner_.hash_password(password);
  }
  bool verify_password(std::string_view encoded_hash, std::string_view password) override {
    return inner_.verify_password(encoded_hash, password);
  }
  SigningKeypair signing_keypair() override { return inner_.signing_keypair(); }
  std::string sign_detached(std::string_view secret_key, std::string_view message) override {
    return inner_.sign_detached(secret_key, message);
  }
  bool verify_detached(std::string_view public_key, std::string_view message,
                       std::string_view signature) override;

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;  // verifications done by the wrapped Crypto
  };
  Stats stats() const;

 private:
  Crypto& inner_;
  const size_t max_entries_;
  mutable std::mutex mu_;  // the port is thread-safe; the simulator calls it from one thread
  std::unordered_map<std::string, bool> verdicts_;
  Stats stats_;
};

}  // namespace nguon::simulator
