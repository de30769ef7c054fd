// The real audio output of a device: decodes Ogg Opus with libopusfile (always 48 kHz stereo)
// and writes it to an ALSA PCM device on a playback thread, with software volume.
//
// Stream items (relays): an HttpStream fetches the URL into a RelayDecoder (bounded buffer),
// and the playback thread decodes each connection's bytes (relay_decoder.h: Ogg Opus, Ogg
// Vorbis, MP3, converted to 48 kHz stereo) and plays them. A dropped connection ends its
// decoder; the next connection starts a new one. The relay lasts `duration_s` of wall
// time (steady clock); silence meanwhile is the Player's business (stream_progress()).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "adapters/sink/http_stream.h"
#include "core/agent/ports.h"

namespace nguon::sink {

class AlsaSink final : public agent::AudioSink {
 public:
  explicit AlsaSink(std::string device = "default", StreamOptions stream_options = {});
  ~AlsaSink() override;
  AlsaSink(const AlsaSink&) = delete;
  AlsaSink& operator=(const AlsaSink&) = delete;

  // Opens and closes `device`: a clear "sink_error" when the machine has no such ALSA device,
  // so the agent fails at start rather than at the first play.
  static Status probe(const std::string& device);

  Status start(const protocol::PlayItem& item, const std::string& path, int volume) override;
  void stop() override;
  bool finished() override;
  void set_volume(int volume) override { volume_ = volume; }
  std::optional<agent::StreamProgress> stream_progress() override;

 private:
  struct Relay;
  void join();
  Status start_stream(const protocol::PlayItem& item, int volume);

  std::string device_;
  StreamOptions stream_options_;
  std::unique_ptr<Relay> relay_;
  std::chrono::steady_clock::time_point relay_ends_{};

  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> finished_{true};
  std::atomic<int> volume_{70};
};

}  // namespace nguon::sink
