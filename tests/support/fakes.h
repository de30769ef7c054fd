// Test doubles for the core's ports. The crypto is the real libsodium one with the cheapest
// argon2 profile; the clock is manual so lockouts and expiries are tested without sleeping.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "adapters/crypto/sodium_crypto.h"
#include "core/ports.h"
#include "core/store.h"

namespace nguon::testing {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixTime start = 1'790'000'000) : now_(start) {}
  UnixTime now() const override { return now_.load(); }
  void advance(UnixTime seconds) { now_ += seconds; }
  void set(UnixTime t) { now_ = t; }

 private:
  std::atomic<UnixTime> now_;
};

// A fresh SQLite store in a new temporary directory, migrated, with units VN → 38 (Thanh Hóa)
// → communes 14797 (Hạc Thành) and 16597 (Hải Lĩnh), and 01 (Hà Nội) → 00004 (Ba Đình).
// The directory is removed when the fixture dies.
class TempStore {
 public:
  TempStore();
  ~TempStore();
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;
  Store& store() { return *store_; }
  const std::string& dir() const { return dir_; }
  const std::string& db_path() const { return db_path_; }

 private:
  std::string dir_;
  std::string db_path_;
  std::unique_ptr<Store> store_;
};

// Inserts the small unit tree described above into `store`.
void seed_small_tree(Store& store);

}  // namespace nguon::testing
