// The real audio output of a device: decodes Ogg Opus with libopusfile (always 48 kHz stereo)
// and writes it to an ALSA PCM device on a playback thread, with software volume.
//
// Stream items (relay URLs) are not played yet — relaying is a later issue — so start() refuses
// them and the Player reports `failed` / `stream_failed`.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "core/agent/ports.h"

namespace nguon::sink {

class AlsaSink final : public agent::AudioSink {
 public:
  explicit AlsaSink(std::string device = "default");
  ~AlsaSink() override;
  AlsaSink(const AlsaSink&) = delete;
  AlsaSink& operator=(const AlsaSink&) = delete;

  // Opens and closes `device`: a clear "sink_error" when the machine has no such ALSA device,
  // so the agent fails at start rather than at the first play.
  static Status probe(const std::string& device);

  Status start(const protocol::PlayItem& item, const std::string& path, int volume) override;
  void stop() override;
  bool finished() override { return finished_; }
  void set_volume(int volume) override { volume_ = volume; }

 private:
  void join();

  std::string device_;
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> finished_{true};
  std::atomic<int> volume_{70};
};

}  // namespace nguon::sink
