#include "adapters/sink/alsa_sink.h"

#include <alsa/asoundlib.h>
#include <opusfile.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <vector>

#include "adapters/sink/relay_decoder.h"

namespace nguon::sink {

namespace {

constexpr unsigned kRate = 48000;  // libopusfile always decodes at 48 kHz
constexpr int kChannels = 2;
constexpr unsigned kLatencyUs = 200'000;

Error sink_error(std::string message) {
  return {ErrorKind::kUnavailable, "sink_error", std::move(message)};
}

// alsa-lib prints its diagnostics to stderr, which would break the JSON log lines; every
// failure is reported through our own errors instead.
void silence_alsa_lib(const char*, int, const char*, int, const char*, ...) {}

Result<snd_pcm_t*> open_pcm(const std::string& device) {
  static std::once_flag once;
  std::call_once(once, [] { snd_lib_error_set_handler(&silence_alsa_lib); });
  snd_pcm_t* pcm = nullptr;
  int rc = snd_pcm_open(&pcm, device.c_str(), SND_PCM_STREAM_PLAYBACK, 0);
  if (rc < 0) {
    return sink_error("cannot open ALSA device '" + device + "': " + snd_strerror(rc));
  }
  rc = snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, kChannels,
                          kRate, 1, kLatencyUs);
  if (rc < 0) {
    snd_pcm_close(pcm);
    return sink_error("ALSA device '" + device + "' refuses 48 kHz stereo: " + snd_strerror(rc));
  }
  return pcm;
}

// Perceptual volume: 0..100 mapped to a squared gain.
void apply_volume(opus_int16* samples, size_t count, int volume) {
  if (volume >= 100) return;
  float gain = static_cast<float>(std::clamp(volume, 0, 100)) / 100.0f;
  gain *= gain;
  for (size_t i = 0; i < count; ++i) {
    samples[i] = static_cast<opus_int16>(static_cast<float>(samples[i]) * gain);
  }
}

// Writes interleaved stereo frames, recovering from underruns; false when the device failed.
bool write_frames(snd_pcm_t* handle, const opus_int16* data, snd_pcm_uframes_t frames,
                  const std::atomic<bool>& stop) {
  while (frames > 0 && !stop) {
    snd_pcm_sframes_t written = snd_pcm_writei(handle, data, frames);
    if (written < 0) {
      if (snd_pcm_recover(handle, static_cast<int>(written), 1) < 0) return false;
      continue;
    }
    frames -= static_cast<snd_pcm_uframes_t>(written);
    data += written * kChannels;
  }
  return true;
}

}  // namespace

struct AlsaSink::Relay {
  RelayDecoder decoder;
  std::unique_ptr<HttpStream> stream;  // after the decoder: stopped before it goes
};

AlsaSink::AlsaSink(std::string device, StreamOptions stream_options)
    : device_(std::move(device)), stream_options_(stream_options) {}

AlsaSink::~AlsaSink() { stop(); }

Status AlsaSink::probe(const std::string& device) {
  auto pcm = open_pcm(device);
  if (!pcm) return pcm.error();
  snd_pcm_close(*pcm);
  return {};
}

Status AlsaSink::start(const protocol::PlayItem& item, const std::string& path, int volume) {
  stop();
  if (item.kind == protocol::ItemKind::kStream) return start_stream(item, volume);
  int err = 0;
  OggOpusFile* file = op_open_file(path.c_str(), &err);
  if (!file)
    return sink_error("cannot decode " + path + " (opusfile error " + std::to_string(err) + ")");
  auto pcm = open_pcm(device_);
  if (!pcm) {
    op_free(file);
    return pcm.error();
  }
  volume_ = volume;
  stop_requested_ = false;
  finished_ = false;
  thread_ = std::thread([this, file, handle = *pcm] {
    std::vector<opus_int16> buffer(static_cast<size_t>(kChannels) * 5760);
    while (!stop_requested_) {
      int frames = op_read_stereo(file, buffer.data(), static_cast<int>(buffer.size()));
      if (frames == OP_HOLE) continue;
      if (frames <= 0) break;  // end of stream or decode error
      apply_volume(buffer.data(), static_cast<size_t>(frames) * kChannels, volume_);
      const opus_int16* data = buffer.data();
      snd_pcm_uframes_t left = static_cast<snd_pcm_uframes_t>(frames);
      while (left > 0 && !stop_requested_) {
        snd_pcm_sframes_t written = snd_pcm_writei(handle, data, left);
        if (written < 0) {
          if (snd_pcm_recover(handle, static_cast<int>(written), 1) < 0) {
            stop_requested_ = true;
          }
          continue;
        }
        left -= static_cast<snd_pcm_uframes_t>(written);
        data += written * kChannels;
      }
    }
    if (stop_requested_) {
      snd_pcm_drop(handle);
    } else {
      snd_pcm_drain(handle);
    }
    snd_pcm_close(handle);
    op_free(file);
    finished_ = true;
  });
  return {};
}

Status AlsaSink::start_stream(const protocol::PlayItem& item, int volume) {
  auto pcm = open_pcm(device_);
  if (!pcm) return pcm.error();
  volume_ = volume;
  stop_requested_ = false;
  finished_ = false;
  relay_ends_ = std::chrono::steady_clock::now() + std::chrono::seconds(item.duration_s);
  relay_ = std::make_unique<Relay>();
  relay_->stream = std::make_unique<HttpStream>(item.url, stream_options_, relay_->decoder);
  thread_ = std::thread([this, relay = relay_.get(), handle = *pcm] {
    relay->decoder.run([&](std::int16_t* samples, size_t frames) {
      apply_volume(samples, frames * kChannels, volume_);
      return write_frames(handle, samples, frames, stop_requested_);
    });
    snd_pcm_drop(handle);
    snd_pcm_close(handle);
    finished_ = true;
  });
  return {};
}

bool AlsaSink::finished() {
  if (!relay_) return finished_;
  // A relay ends with its duration; a dead device ends it early.
  return finished_ || std::chrono::steady_clock::now() >= relay_ends_;
}

std::optional<agent::StreamProgress> AlsaSink::stream_progress() {
  if (!relay_) return agent::StreamProgress{};
  std::string error = relay_->decoder.error();
  if (error.empty()) error = relay_->stream->error();
  return agent::StreamProgress{relay_->decoder.frames(), error};
}

void AlsaSink::stop() {
  stop_requested_ = true;
  if (relay_) {
    relay_->decoder.close();  // wakes both threads
    relay_->stream->stop();
  }
  join();
  relay_.reset();
}

void AlsaSink::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace nguon::sink
