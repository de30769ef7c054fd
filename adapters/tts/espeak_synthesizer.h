// eSpeak NG implementation of the SpeechSynthesizer port: formant synthesis, robotic but
// intelligible, always available offline. The fallback when no neural engine is configured.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/speech.h"

namespace nguon::tts {

struct EspeakOptions {
  // Folder holding espeak-ng-data (either the data folder itself or its parent). Empty: the
  // library's search (ESPEAK_DATA_PATH, ~/espeak-ng-data, then the system data).
  std::string data_path;
  // Longer texts are refused with invalid("text_too_long"); counted in Unicode code points.
  std::size_t max_text_chars = 100'000;
};

// libespeak-ng keeps all its state in globals (one voice, one parameter set, one output
// buffer per process). So every instance shares one process-wide mutex and one
// initialisation: calls are serialised (a second thread waits; this is a correctness
// requirement, not an optimisation), and the first initialisation fixes the data path for the
// whole process. Nothing else in the process may call libespeak-ng directly.
//
// Voices: kNorthern -> "vi", kCentral -> "vi-vn-x-central", kSouthern -> "vi-vn-x-south".
// Output: mono float PCM at the library's sample rate (22050 Hz with the standard data).
// Paragraphs (text separated by one or more blank lines) are synthesised one by one and joined
// with VoiceSettings::paragraph_pause_ms of digital silence; rate is clamped to 80..450 wpm,
// pitch to 0..100. Text is spoken literally: SSML and phoneme input are not enabled.
//
// Errors: invalid("empty_text"), invalid("text_too_long"), invalid("invalid_utf8"),
// invalid("invalid_text") (a NUL byte), internal(...) carrying the eSpeak status message.
class EspeakSynthesizer final : public SpeechSynthesizer {
 public:
  explicit EspeakSynthesizer(EspeakOptions options = {});

  // Initialises libespeak-ng if no instance has yet; idempotent and thread-safe. synthesize()
  // calls it lazily, but servers should call it at startup, before starting threads, because
  // espeak_ng_Initialize calls setlocale(LC_CTYPE, "C.UTF-8") for the whole process.
  // Fails when the data is missing or when the library was initialised with another data path.
  Status initialize();

  Result<PcmAudio> synthesize(std::string_view text, const VoiceSettings& voice) override;
  std::string name() const override { return "espeak-ng"; }

 private:
  EspeakOptions options_;
};

}  // namespace nguon::tts
