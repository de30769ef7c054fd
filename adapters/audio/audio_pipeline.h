// The broadcast audio pipeline: libsndfile/libmpg123 decode (in memory, format judged by content),
// downmix + windowed-sinc resampling to 48 kHz, EBU R128 loudness normalisation with
// libebur128, Ogg Opus encoding with libopusenc. Also the small helpers its tests and the TTS
// adapters share: decode_opus (libopusfile), resample_mono, measure_loudness.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/speech.h"

namespace nguon {

// Defined outside the class so that `{}` can be the constructor's default argument (a nested
// struct's member initialisers are not usable there).
struct SndfileOpusOptions {
  AudioLimits limits;
  // Integrated loudness (LUFS) that encode_broadcast normalises to. -16 suits loudspeakers and
  // phones; EBU R128 broadcast practice is -23.
  double target_lufs = -16;
  // Opus bitrate (VBR target), 6000..510000. 24 kb/s is good quality for mono speech;
  // measured averages are 22-26 kb/s (tonal content costs more, pauses less).
  int bitrate_bps = 24000;
  // Opus encoder complexity, 0..10. 5 costs about 40% less CPU than 10 for speech at 24 kb/s
  // with no audible difference on loudspeakers (bench/README.md, "TTS pipeline").
  int complexity = 5;
  // Rate the encoder is fed at; one of Opus's native rates (8000, 12000, 16000, 24000, 48000).
  // 24 kHz: at 24 kb/s Opus keeps nothing above 12 kHz anyway, and half the samples of 48 kHz
  // halve the resampling and encoding work (decoders still output 48 kHz).
  int output_sample_rate = 24000;
  // The true peak (4x oversampled) the output may reach: a look-ahead limiter keeps peaks under
  // it while the gain brings the loudness to target_lufs. nullopt: plain gain, no limiting.
  std::optional<double> true_peak_limit_dbtp = -1.0;
  // Opus changes waveform peaks (up to +2.7 dB measured on pulse-like speech at 24 kb/s) and,
  // on hard-clipped input, loudness (up to -1.2 LU). When set, the encoded stream is decoded and
  // checked: a peak over the limit lowers the limiter's ceiling, a loudness more than 0.5 LU
  // off shifts the gain, and the audio is encoded again (at most 3 encodes in all). Off by
  // default: the 3 dB ceiling margin keeps synthesized speech within -1 dBTP and ±0.5 LU in
  // practice, and the decode costs about a third of encode_broadcast (bench/README.md).
  bool check_decoded_true_peak = false;
  // Memory guard for decode(): most float samples (frames x channels) one decode may produce.
  // AudioLimits alone allow 3 h x 192 kHz x 8 ch (66 GB); the default, 3 h of 48 kHz stereo,
  // caps one decode at about 4 GB. Exceeding it is audio_too_long.
  std::size_t max_decoded_samples = std::size_t{3} * 3600 * 48000 * 2;
};

// Thread-safe: holds only its options; every call uses its own libsndfile/libopus state.
class SndfileOpusPipeline final : public AudioPipeline {
 public:
  // Throws std::invalid_argument for options outside the documented ranges (a configuration
  // bug, not an input error).
  explicit SndfileOpusPipeline(SndfileOpusOptions options = {});

  // Accepts WAV (RIFF/RF64, PCM/float/u-law/A-law/IMA and MS ADPCM), FLAC, Ogg Vorbis and
  // Ogg Opus through libsndfile, and MPEG audio layers I-III (MP3, optionally ID3v2-tagged)
  // through libmpg123, which unlike libsndfile's wrapper reads Xing-less VBR files to the end.
  // Errors (all kInvalid except too_large, which is kTooLarge):
  //   too_large          bytes.size() > limits.max_input_bytes (checked first, nothing parsed)
  //   not_audio          empty, unrecognised content, a broken WAV header, no samples
  //   unsupported_audio  a recognised but unsupported container or codec (AIFF, M4A, AMR,
  //                      WAV/GSM...), or more channels than limits.max_channels
  //   invalid_sample_rate  rate outside [min_sample_rate, max_sample_rate]
  //   truncated_audio    fewer samples than the header promises (WAV/RF64 data size, FLAC
  //                      STREAMINFO, MP3 Xing/Info/VBRI frame count), an Ogg stream without its
  //                      final end-of-stream page, a read error, or a recognised container
  //                      whose header cannot be opened (corrupt). An MP3 without a Xing/Info
  //                      header carries no length, so a cut one passes as shorter audio.
  //   audio_too_long     claimed or decoded duration over the limit, or max_decoded_samples
  // Header claims are checked before any allocation sized by them. Non-finite float samples
  // (possible in float WAV) are replaced by 0; float values beyond [-1, 1] are kept.
  Result<PcmAudio> decode(std::string_view bytes) override;

  // Downmix (channel average) -> gain to target_lufs with a look-ahead limiter holding peaks
  // 3 dB under true_peak_limit_dbtp (re-measured and corrected to within 0.2 LU), at the input
  // rate -> resample to output_sample_rate -> Ogg Opus (mono, OPUS_APPLICATION_VOIP, bitrate_bps)
  // -> optionally re-decode and, if the codec pushed the true peak over the limit, lower the
  // limiter's ceiling by the excess and encode again (check_decoded_true_peak). loudness_lufs is
  // measured on the final gained signal before encoding (decoded Opus measures within about
  // 0.4 LU of it); it is -infinity for silence (or audio entirely below the -70 LUFS gate),
  // which is encoded without gain. Output is deterministic: the same PCM gives the same bytes.
  // Errors: invalid_audio (rate/channels/sample count inconsistent), empty_audio,
  // invalid_sample_rate, unsupported_audio, audio_too_long (same limits as decode); internal
  // when libebur128 or libopusenc fail.
  Result<EncodedAudio> encode_broadcast(const PcmAudio& pcm) override;

  // Channel average, then resample_mono to `sample_rate`. Non-finite samples become 0; empty
  // input gives empty output. Errors: invalid_audio, invalid_sample_rate (the input's or a
  // target outside limits), unsupported_audio, audio_too_long (same limits as decode).
  Result<PcmAudio> conform(const PcmAudio& pcm, int sample_rate) override;

  const SndfileOpusOptions& options() const { return options_; }

 private:
  // `base` (mono at `rate`, loudness `base_lufs`) brought to target_lufs, peaks limited to
  // `ceiling_db` dBFS when a true-peak limit is configured.
  Result<std::vector<float>> loudness_normalised(const std::vector<float>& base, int rate,
                                                 double base_lufs, double ceiling_db) const;
  // PCM consistency and the limits (rate, channels, duration) shared by conform and encode.
  Status check_input(const PcmAudio& pcm) const;

  SndfileOpusOptions options_;
};

// Decodes Ogg Opus with libopusfile to 48 kHz float PCM (channels as in the stream). Used to
// verify encoder output. Errors: not_audio (not Ogg Opus), unsupported_audio (channel count
// changes between chained links), truncated_audio (holes, read errors), audio_too_long.
Result<PcmAudio> decode_opus(std::string_view ogg_opus, const AudioLimits& limits = {});

// Band-limited resampling of a mono signal: Kaiser-windowed sinc (24 zero crossings, about
// 80 dB stopband, cutoff at 90% of the lower Nyquist), polyphase with exact phases when the
// reduced ratio has at most 4096 of them (all common rates) and linear interpolation between
// 4096 phases otherwise. Zero phase (no delay); output length round(n * to / from). Rates must
// be positive.
std::vector<float> resample_mono(std::span<const float> input, int from_rate, int to_rate);

// Look-ahead (5 ms) brick-wall limiter with an 80 ms release, in place: afterwards no sample's
// magnitude exceeds `ceiling` (linear, > 0). Between peaks the signal is untouched.
void limit_peaks(std::vector<float>& samples, int rate, float ceiling);

struct LoudnessMeasurement {
  double integrated_lufs = 0;  // -infinity when every block is below the absolute gate
  double true_peak_dbtp = 0;   // max over channels; -infinity for digital silence
};

// EBU R128 integrated loudness and true peak (libebur128). Channels are mapped as left, right,
// centre, ... (mono counts once). Errors: invalid_audio for inconsistent PcmAudio, internal
// when libebur128 fails.
Result<LoudnessMeasurement> measure_loudness(const PcmAudio& pcm);

}  // namespace nguon
