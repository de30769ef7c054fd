// The amplifier relay, switched by the `power` of the settings (docs/protocol.md). Hardware
// differs between devices, so it is a hook: nothing by default, or a configured command.
#pragma once

#include <string>

#include "agent/log.h"

namespace nguon::agent {

class RelayHook {
 public:
  virtual ~RelayHook() = default;
  virtual void set(bool on) = 0;
};

class NoRelayHook final : public RelayHook {
 public:
  void set(bool) override {}
};

// Runs `<command> on` or `<command> off` (no shell) and waits for it; a failure is logged.
class ExecRelayHook final : public RelayHook {
 public:
  ExecRelayHook(std::string command, const Logger& log) : command_(std::move(command)), log_(log) {}
  void set(bool on) override;

 private:
  std::string command_;
  const Logger& log_;
};

}  // namespace nguon::agent
