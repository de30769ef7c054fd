// Ports for turning text into audio and audio into stored, broadcast-ready media.
// Implementations: adapters/tts/ (espeak-ng, an HTTP neural engine), adapters/audio/
// (libsndfile decode, libebur128 loudness, libopusenc encode, a content-addressed file store).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace nguon {

// Mono or interleaved PCM, float samples in [-1, 1].
struct PcmAudio {
  int sample_rate = 0;
  int channels = 1;
  std::vector<float> samples;  // frames * channels
  double duration_seconds() const {
    return sample_rate > 0 && channels > 0
               ? static_cast<double>(samples.size()) / channels / sample_rate
               : 0.0;
  }
};

enum class VoiceVariant { kNorthern, kCentral, kSouthern };

struct VoiceSettings {
  VoiceVariant variant = VoiceVariant::kNorthern;
  int rate_wpm = 150;            // words per minute, 80..450
  int pitch = 50;                // 0..100
  int paragraph_pause_ms = 700;  // silence between paragraphs ("\n\n")
};

// Thread-safe. `text` is already normalised (numbers, dates, abbreviations spelled out).
class SpeechSynthesizer {
 public:
  virtual ~SpeechSynthesizer() = default;
  virtual Result<PcmAudio> synthesize(std::string_view text, const VoiceSettings& voice) = 0;
  virtual std::string name() const = 0;  // "espeak-ng", "http:<url>"
};

// Limits applied to every decoded input; violations are kInvalid errors with precise codes.
struct AudioLimits {
  std::size_t max_input_bytes = 50 << 20;
  double max_duration_seconds = 3 * 3600;
  int min_sample_rate = 8000;
  int max_sample_rate = 192000;
  int max_channels = 8;
};

struct EncodedAudio {
  std::string bytes;  // Ogg Opus, mono
  double duration_seconds = 0;
  double loudness_lufs = 0;  // integrated loudness of what was encoded
};

// Thread-safe. The broadcast audio format: decoded, loudness-normalised to the target
// (EBU R128 integrated loudness), downmixed to mono, encoded as Ogg Opus speech.
class AudioPipeline {
 public:
  virtual ~AudioPipeline() = default;
  // Decodes WAV, FLAC, Ogg Vorbis/Opus or MP3, judged by content (never by file name).
  // Errors: not_audio, truncated_audio, unsupported_audio, audio_too_long, invalid_sample_rate,
  // too_large.
  virtual Result<PcmAudio> decode(std::string_view bytes) = 0;
  virtual Result<EncodedAudio> encode_broadcast(const PcmAudio& pcm) = 0;
  // The same audio as mono at `sample_rate` (downmix + resample), so pieces from different
  // sources (a signature tune, synthesized speech) can be joined before encoding.
  virtual Result<PcmAudio> conform(const PcmAudio& pcm, int sample_rate) = 0;
};

struct MediaInfo {
  std::string sha256;  // lower-case hex; also the media id
  std::int64_t bytes = 0;
  std::string content_type;  // "audio/ogg"
};

// Thread-safe. Content-addressed: putting the same bytes twice stores them once. Writes are
// atomic (temporary file + rename), so a crash never leaves a half-written media file.
class MediaStore {
 public:
  virtual ~MediaStore() = default;
  virtual Result<MediaInfo> put(std::string_view bytes, std::string_view content_type) = 0;
  // Absolute path of the stored file, for serving with Range; not_found when absent.
  virtual Result<std::string> path_of(const std::string& sha256) = 0;
  // The stored bytes; not_found when absent.
  virtual Result<std::string> read(const std::string& sha256) = 0;
};

}  // namespace nguon
