// The real clock for the binaries (tests inject a manual one).
#pragma once

#include <chrono>

#include "core/ports.h"

namespace nguon::app {

class SystemClock final : public Clock {
 public:
  UnixTime now() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace nguon::app
