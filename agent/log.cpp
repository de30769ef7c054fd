#include "agent/log.h"

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace nguon::agent {

namespace {

std::mutex& stderr_mutex() {
  static std::mutex mu;
  return mu;
}

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kOff:
      break;
  }
  return "off";
}

std::string utc_now() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view s) {
  for (LogLevel l :
       {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError, LogLevel::kOff}) {
    if (s == level_name(l)) return l;
  }
  return std::nullopt;
}

void Logger::log(LogLevel level, std::string_view msg, Fields fields) const {
  if (!enabled(level) || level == LogLevel::kOff) return;
  boost::json::object o;
  o["ts"] = utc_now();
  o["level"] = level_name(level);
  o["msg"] = msg;
  for (const auto& [k, v] : fields) o[k] = v;
  std::string line = boost::json::serialize(o);
  line += '\n';
  std::lock_guard lock(stderr_mutex());
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace nguon::agent
