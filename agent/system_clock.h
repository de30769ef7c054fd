// The device's wall clock (the Clock port of core/ports.h). Tests inject a manual clock instead.
#pragma once

#include <chrono>

#include "core/ports.h"

namespace nguon::agent {

// `offset_seconds` shifts the reading (nguon-agent --clock-offset): integration tests and
// demonstrations run an agent "just before" a slot hours away without waiting, and a device
// whose RTC is known to be off can be corrected. 0 on real devices with NTP.
class SystemClock final : public Clock {
 public:
  explicit SystemClock(UnixTime offset_seconds = 0) : offset_(offset_seconds) {}
  UnixTime now() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count() +
           offset_;
  }

 private:
  UnixTime offset_;
};

}  // namespace nguon::agent
