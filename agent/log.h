// Logs of the agent and the simulator: one JSON object per line on stderr, e.g.
// {"ts":"2026-11-26T12:00:00Z","level":"info","msg":"connected","device":"d…"}.
// Thread-safe.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace nguon::agent {

enum class LogLevel { kDebug, kInfo, kWarn, kError, kOff };
std::optional<LogLevel> parse_log_level(std::string_view s);

class Logger {
 public:
  using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;
  explicit Logger(LogLevel level = LogLevel::kInfo) : level_(level) {}
  void log(LogLevel level, std::string_view msg, Fields fields = {}) const;
  void debug(std::string_view msg, Fields f = {}) const { log(LogLevel::kDebug, msg, f); }
  void info(std::string_view msg, Fields f = {}) const { log(LogLevel::kInfo, msg, f); }
  void warn(std::string_view msg, Fields f = {}) const { log(LogLevel::kWarn, msg, f); }
  void error(std::string_view msg, Fields f = {}) const { log(LogLevel::kError, msg, f); }
  bool enabled(LogLevel level) const { return level >= level_; }

 private:
  LogLevel level_;
};

}  // namespace nguon::agent
