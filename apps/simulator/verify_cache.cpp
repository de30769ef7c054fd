#include "apps/simulator/verify_cache.h"

namespace nguon::simulator {

namespace {

// Each field prefixed by its length, so that no two different triples give the same key
// (e.g. moving bytes from the end of the message to the start of the signature).
void append_field(std::string& key, std::string_view field) {
  const std::uint64_t n = field.size();
  key.append(reinterpret_cast<const char*>(&n), sizeof n);
  key.append(field);
}

}  // namespace

VerifyCache::VerifyCache(Crypto& inner, size_t max_entries)
    : inner_(inner), max_entries_(max_entries == 0 ? 1 : max_entries) {}

bool VerifyCache::verify_detached(std::string_view public_key, std::string_view message,
                                  std::string_view signature) {
  std::string key;
  key.reserve(3 * sizeof(std::uint64_t) + public_key.size() + message.size() + signature.size());
  append_field(key, public_key);
  append_field(key, message);
  append_field(key, signature);
  {
    std::lock_guard lock(mu_);
    if (auto it = verdicts_.find(key); it != verdicts_.end()) {
      ++stats_.hits;
      return it->second;
    }
  }
  // Verified outside the lock; two threads missing on the same key both verify, same answer.
  const bool ok = inner_.verify_detached(public_key, message, signature);
  std::lock_guard lock(mu_);
  ++stats_.misses;
  if (verdicts_.size() >= max_entries_) verdicts_.clear();
  verdicts_.emplace(std::move(key), ok);
  return ok;
}

VerifyCache::Stats VerifyCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace nguon::simulator
