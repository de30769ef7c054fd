// Decodes a relay (a stream item) to PCM for the ALSA sink: the bytes an HttpStream delivers go
// into a bounded buffer (kBuffer; the fetch thread waits while it is full) and run(), on the
// playback thread, decodes each connection on its own — Ogg Opus with libopusfile's callback
// API, Ogg Vorbis with libvorbisfile's, MP3 with libmpg123 — to 48 kHz interleaved stereo
// 16-bit frames. A connection that cannot be decoded (another Ogg codec, garbage after a valid
// start) is skipped and error() says `stream_format` until audio is decoded again.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/sink/http_stream.h"

namespace nguon::sink {

// Interleaved 16-bit frames at any rate with 1..n channels to 48 kHz stereo (the first two
// channels; mono to both), by linear interpolation. Keeps its position across blocks.
class StereoResampler {
 public:
  void reset(long rate, int channels);
  // Appends the converted frames of `frames` input frames to `out` (interleaved stereo).
  void push(const std::int16_t* in, size_t frames, std::vector<std::int16_t>& out);

 private:
  double step_ = 1;  // input frames per output frame
  int channels_ = 2;
  double pos_ = 1;  // next output position, in input frames from the previous block's last
  bool have_prev_ = false;
  std::int16_t prev_[2] = {0, 0};
};

class RelayDecoder final : public StreamReceiver {
 public:
  static constexpr size_t kBuffer = size_t{256} * 1024;
  static constexpr int kRate = 48000;
  static constexpr int kChannels = 2;
  // Bytes read to tell an Ogg stream's codec (its first page holds the codec's header packet).
  static constexpr size_t kOggProbe = 80;
  // Receives `frames` interleaved stereo frames; false stops run() (the device failed).
  using PlayFn = std::function<bool(std::int16_t* samples, size_t frames)>;

  RelayDecoder();
  ~RelayDecoder() override;
  RelayDecoder(const RelayDecoder&) = delete;
  RelayDecoder& operator=(const RelayDecoder&) = delete;

  // StreamReceiver, on the fetch thread.
  void begin(StreamFormat format) override;
  bool data(const char* bytes, size_t size) override;
  void end() override;

  // Decodes until close() or until `play` returns false. On the playback thread.
  void run(const PlayFn& play);
  // Wakes both threads for good: data() refuses, run() returns.
  void close();
  std::string error() const;
  std::int64_t frames() const { return frames_; }

 private:
  class Queue;

 public:
  struct Prefixed;  // the decoders' reader (relay_decoder.cpp)

 private:
  static int read_queue(void* source, unsigned char* out, int n);
  bool play_ogg(const PlayFn& play);
  bool play_opus(Prefixed& source, const PlayFn& play);
  bool play_vorbis(Prefixed& source, const PlayFn& play);
  bool play_mp3(const PlayFn& play);
  void set_error(std::string e);
  void skip_segment();

  std::unique_ptr<Queue> queue_;
  mutable std::mutex mu_;
  std::string error_;
  std::atomic<bool> closed_{false};
  std::atomic<std::int64_t> frames_{0};
};

}  // namespace nguon::sink
