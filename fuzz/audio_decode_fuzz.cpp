// Fuzzes SndfileOpusPipeline::decode (content sniffing, the RIFF/RF64 and Ogg pre-checks,
// libsndfile over virtual I/O, the limit checks) with arbitrary bytes. Beyond "no crash, no
// sanitizer report", it aborts when the result breaks decode()'s contract: an error code that
// is not one of the documented ones, or PCM outside the limits, inconsistent, or non-finite.
// Short decodes (up to 0.25 s) also go through encode_broadcast and back through decode_opus,
// which exercises the resampler with whatever sample rate the input declared.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "adapters/audio/audio_pipeline.h"

namespace {

// Smaller than production so one input cannot exhaust libFuzzer's 2 GB RSS limit.
nguon::SndfileOpusOptions fuzz_options() {
  nguon::SndfileOpusOptions o;
  o.limits.max_input_bytes = 1 << 20;
  o.limits.max_duration_seconds = 120;
  o.max_decoded_samples = std::size_t{8} << 20;  // 32 MB of floats
  return o;
}

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "contract violation: %s (%s)\n", what, detail.c_str());
  std::abort();
}

}  // namespace

// libsndfile 1.2.0 leaks libvorbis header state (5784 bytes from vorbis_info_init) when some
// corrupt Ogg Vorbis headers make it give up in sf_open; upstream bug, the same leak class as
// xiph/vorbis#125. Suppressed by module so that leaks of our own (a missing sf_close, op_free)
// are still reported: their allocation stacks do not pass through libvorbis.
extern "C" const char* __lsan_default_suppressions() { return "leak:libvorbis.so\n"; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static nguon::SndfileOpusPipeline pipeline(fuzz_options());
  static const std::set<std::string> kDecodeCodes = {"not_audio",           "truncated_audio",
                                                     "unsupported_audio",   "audio_too_long",
                                                     "invalid_sample_rate", "too_large"};
  const nguon::AudioLimits& limits = pipeline.options().limits;

  auto pcm = pipeline.decode(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!pcm.ok()) {
    if (kDecodeCodes.count(pcm.error().code) == 0) {
      fail("undocumented decode error", pcm.error().code + ": " + pcm.error().message);
    }
    return 0;
  }
  if (pcm->channels < 1 || pcm->channels > limits.max_channels) {
    fail("channels", std::to_string(pcm->channels));
  }
  if (pcm->sample_rate < limits.min_sample_rate || pcm->sample_rate > limits.max_sample_rate) {
    fail("sample rate", std::to_string(pcm->sample_rate));
  }
  if (pcm->samples.empty() || pcm->samples.size() % static_cast<std::size_t>(pcm->channels)) {
    fail("sample count", std::to_string(pcm->samples.size()));
  }
  if (pcm->duration_seconds() > limits.max_duration_seconds ||
      pcm->samples.size() > pipeline.options().max_decoded_samples) {
    fail("duration", std::to_string(pcm->duration_seconds()));
  }
  for (const float s : pcm->samples) {
    if (!std::isfinite(s)) fail("non-finite sample", std::to_string(s));
  }

  if (pcm->duration_seconds() <= 0.25) {
    auto encoded = pipeline.encode_broadcast(*pcm);
    if (!encoded.ok()) {
      // Shorter than one 48 kHz sample (e.g. 1 frame at 192 kHz) is the only expected refusal.
      if (encoded.error().code != "empty_audio") {
        fail("encode_broadcast", encoded.error().code + ": " + encoded.error().message);
      }
      return 0;
    }
    if (std::isnan(encoded->loudness_lufs)) fail("NaN loudness", "");
    auto decoded = nguon::decode_opus(encoded->bytes);
    if (!decoded.ok()) fail("decode_opus of our own output", decoded.error().message);
    if (decoded->channels != 1) fail("encoded channels", std::to_string(decoded->channels));
    if (std::abs(decoded->duration_seconds() - pcm->duration_seconds()) > 0.001) {
      fail("encoded duration", std::to_string(decoded->duration_seconds()) + " vs " +
                                   std::to_string(pcm->duration_seconds()));
    }
  }
  return 0;
}
