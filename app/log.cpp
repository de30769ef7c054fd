#include "app/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <ctime>

#include "core/accounts.h"

namespace nguon::app::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::atomic<bool> g_json{true};

std::shared_ptr<spdlog::logger> logger() {
  static auto l = [] {
    auto lg = spdlog::stdout_logger_mt("nguon");
    lg->set_pattern("%v");
    lg->flush_on(spdlog::level::trace);
    return lg;
  }();
  return l;
}

std::string_view level_name(Level l) {
  switch (l) {
    case Level::kTrace:
      return "trace";
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
    case Level::kOff:
      return "off";
  }
  return "info";
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace

void configure(std::string_view level, bool json) {
  for (Level l :
       {Level::kTrace, Level::kDebug, Level::kInfo, Level::kWarn, Level::kError, Level::kOff}) {
    if (level_name(l) == level) g_level = l;
  }
  g_json = json;
}

void write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  if (level < g_level.load() || g_level.load() == Level::kOff) return;
  std::string line;
  if (g_json) {
    line = "{\"ts\":\"" + timestamp() + "\",\"level\":\"" + std::string(level_name(level)) +
           "\",\"msg\":" + json_quote(msg);
    for (const auto& [k, v] : fields) {
      line += "," + json_quote(k) + ":";
      if (const auto* s = std::get_if<std::string>(&v)) {
        line += json_quote(*s);
      } else {
        line += std::to_string(std::get<std::int64_t>(v));
      }
    }
    line += "}";
  } else {
    line = timestamp() + " " + std::string(level_name(level)) + " " + std::string(msg);
    for (const auto& [k, v] : fields) {
      line += " " + std::string(k) + "=";
      if (const auto* s = std::get_if<std::string>(&v)) {
        line += *s;
      } else {
        line += std::to_string(std::get<std::int64_t>(v));
      }
    }
  }
  logger()->info(line);
}

}  // namespace nguon::app::log
