// Structured logs: one JSON object per line on stdout (or plain text when log.json = false).
// Fields are key/value pairs; values are strings or integers.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace nguon::app::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };

using FieldValue = std::variant<std::string, std::int64_t>;
using Field = std::pair<std::string_view, FieldValue>;

// Call once at start (thread-safe afterwards).
void configure(std::string_view level, bool json);
void write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

inline void info(std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::kInfo, msg, f);
}
inline void warn(std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::kWarn, msg, f);
}
inline void error(std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::kError, msg, f);
}
inline void debug(std::string_view msg, std::initializer_list<Field> f = {}) {
  write(Level::kDebug, msg, f);
}

}  // namespace nguon::app::log
