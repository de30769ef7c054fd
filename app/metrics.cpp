#include "app/metrics.h"

namespace nguon::app {

void Metrics::observe_response(int status, double seconds) {
  const int cls = status / 100;
  if (cls >= 1 && cls <= 5) by_class_[static_cast<size_t>(cls)]++;
  size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  latency_[i]++;
  latency_sum_us_ += static_cast<std::uint64_t>(seconds * 1e6);
}

std::string Metrics::render(const std::string& extra) const {
  std::string out;
  out += "# HELP nguon_http_responses_total HTTP responses by status class.\n";
  out += "# TYPE nguon_http_responses_total counter\n";
  for (int c = 1; c <= 5; ++c) {
    out += "nguon_http_responses_total{class=\"" + std::to_string(c) + "xx\"} " +
           std::to_string(by_class_[static_cast<size_t>(c)].load()) + "\n";
  }
  out += "# HELP nguon_http_request_duration_seconds Time from request read to response written.\n";
  out += "# TYPE nguon_http_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += latency_[i].load();
    out += "nguon_http_request_duration_seconds_bucket{le=\"" + std::to_string(kBuckets[i]) +
           "\"} " + std::to_string(cumulative) + "\n";
  }
  cumulative += latency_[kBuckets.size()].load();
  out += "nguon_http_request_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(cumulative) +
         "\n";
  out += "nguon_http_request_duration_seconds_sum " +
         std::to_string(static_cast<double>(latency_sum_us_.load()) / 1e6) + "\n";
  out += "nguon_http_request_duration_seconds_count " + std::to_string(cumulative) + "\n";
  out += "# HELP nguon_logins_total Login attempts by result.\n";
  out += "# TYPE nguon_logins_total counter\n";
  out += "nguon_logins_total{result=\"ok\"} " + std::to_string(logins_ok_.load()) + "\n";
  out += "nguon_logins_total{result=\"failed\"} " + std::to_string(logins_failed_.load()) + "\n";
  out += "# HELP nguon_login_throttled_total Login attempts refused by the per-IP limit.\n";
  out += "# TYPE nguon_login_throttled_total counter\n";
  out += "nguon_login_throttled_total " + std::to_string(throttled_.load()) + "\n";
  out += "# HELP nguon_draining 1 while the server is shutting down.\n";
  out += "# TYPE nguon_draining gauge\n";
  out += std::string("nguon_draining ") + (draining_ ? "1" : "0") + "\n";
  out += extra;
  return out;
}

}  // namespace nguon::app
