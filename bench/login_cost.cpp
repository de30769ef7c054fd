// Cost of password hashing per Argon2Profile, as SodiumCrypto does it: hash_password (account
// creation, password change) and verify_password (every login, successful or not). Prints the
// median and minimum wall time over `runs` runs, plus the Argon2 parameters read back from the
// encoded hash, so the table states what was actually measured.
//
// Usage: bench_login_cost [runs=5]
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/crypto/sodium_crypto.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Profile {
  const char* name;
  nguon::Argon2Profile profile;
};

constexpr Profile kProfiles[] = {{"min", nguon::Argon2Profile::kMin},
                                 {"interactive", nguon::Argon2Profile::kInteractive},
                                 {"moderate", nguon::Argon2Profile::kModerate}};

// REQUIRES: !samples.empty(). Sorts `samples`.
double median(std::vector<double>& samples) {
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  return n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
}

// The value of `key=` inside an encoded hash like "$argon2id$v=19$m=65536,t=2,p=1$salt$hash";
// "?" when absent.
std::string param(const std::string& encoded, std::string_view key) {
  const std::string needle = std::string(key) + "=";
  for (size_t pos = encoded.find(needle); pos != std::string::npos;
       pos = encoded.find(needle, pos + 1)) {
    if (pos > 0 && (encoded[pos - 1] == '$' || encoded[pos - 1] == ',')) {
      const size_t start = pos + needle.size();
      const size_t end = encoded.find_first_of(",$", start);
      return encoded.substr(start, end - start);
    }
  }
  return "?";
}

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  if (argc > 1) {
    const std::string_view arg(argv[1]);
    auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), runs);
    if (ec != std::errc{} || end != arg.data() + arg.size() || runs < 1 || runs > 1000) {
      std::fprintf(stderr, "usage: %s [runs=5 (1..1000)]\n", argv[0]);
      return 2;
    }
  }
  const std::string password = "correct horse battery staple";

  std::printf("argon2id via SodiumCrypto, %d runs per operation (wall time, single thread)\n",
              runs);
  std::printf("%-12s %10s %4s %4s %12s %12s %12s %12s\n", "profile", "m (KiB)", "t", "p",
              "hash med ms", "hash min ms", "verify med", "verify min");
  for (const auto& p : kProfiles) {
    nguon::SodiumCrypto crypto(p.profile);
    std::vector<double> hash_ms;
    std::vector<double> verify_ms;
    std::string encoded;
    for (int i = 0; i < runs; ++i) {
      auto start = Clock::now();
      encoded = crypto.hash_password(password);
      hash_ms.push_back(elapsed_ms(start));
      start = Clock::now();
      const bool ok = crypto.verify_password(encoded, password);
      verify_ms.push_back(elapsed_ms(start));
      if (!ok) {
        std::fprintf(stderr, "verify_password failed for profile %s\n", p.name);
        return 1;
      }
    }
    const double hash_min = *std::min_element(hash_ms.begin(), hash_ms.end());
    const double verify_min = *std::min_element(verify_ms.begin(), verify_ms.end());
    std::printf("%-12s %10s %4s %4s %12.3f %12.3f %12.3f %12.3f\n", p.name,
                param(encoded, "m").c_str(), param(encoded, "t").c_str(),
                param(encoded, "p").c_str(), median(hash_ms), hash_min, median(verify_ms),
                verify_min);
  }
  return 0;
}
