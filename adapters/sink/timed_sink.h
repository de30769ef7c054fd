// Sinks that do not produce sound (file, null): they "play" for the item's duration measured on
// the injected Clock, so the Player sees the same timing as on a real device and tests control
// it with a manual clock.
//
// Duration: media `duration_ms` rounded up to whole seconds; stream `duration_s`. An item whose
// duration is unknown (0) finishes immediately (at the next poll).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "core/agent/ports.h"
#include "core/ports.h"

namespace nguon::sink {

class TimedSink : public agent::AudioSink {
 public:
  explicit TimedSink(const Clock& clock) : clock_(clock) {}

  Status start(const protocol::PlayItem& item, const std::string& path, int volume) override;
  void stop() override {
    playing_ = false;
    release();
  }
  bool finished() override;
  void set_volume(int volume) override { volume_ = volume; }

  int volume() const { return volume_; }
  std::int64_t starts() const { return starts_; }
  bool playing() const { return playing_; }

 protected:
  // What a concrete sink does with an item when it starts (write it down, nothing, …).
  virtual Status record(const protocol::PlayItem& item, const std::string& path) = 0;
  // Ends what record() started that outlives it (a relay); called by stop() and start().
  virtual void release() {}

 private:
  const Clock& clock_;
  bool playing_ = false;
  UnixTime ends_at_ = 0;
  int volume_ = 0;
  std::atomic<std::int64_t> starts_{0};
};

// Counts starts, records nothing (the simulator's default).
class NullSink final : public TimedSink {
 public:
  using TimedSink::TimedSink;

 protected:
  Status record(const protocol::PlayItem&, const std::string&) override { return {}; }
};

}  // namespace nguon::sink
