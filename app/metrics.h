// Process metrics in the Prometheus text format. Counters are declared here, next to the
// component that exposes them; the API and the server observer increment them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace nguon::app {

class Metrics {
 public:
  // Records one HTTP response.
  void observe_response(int status, double seconds);
  void count_login(bool ok) { (ok ? logins_ok_ : logins_failed_)++; }
  void count_throttled() { throttled_++; }
  void set_draining(bool d) { draining_ = d; }
  // Prometheus exposition text, with `extra` gauges appended.
  std::string render(const std::string& extra) const;

 private:
  static constexpr std::array<double, 8> kBuckets = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0};
  std::array<std::atomic<std::uint64_t>, 6> by_class_{};  // 1xx..5xx, [0] unused
  std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> latency_{};
  std::atomic<std::uint64_t> latency_sum_us_{0};
  std::atomic<std::uint64_t> logins_ok_{0};
  std::atomic<std::uint64_t> logins_failed_{0};
  std::atomic<std::uint64_t> throttled_{0};
  std::atomic<bool> draining_{false};
};

}  // namespace nguon::app
