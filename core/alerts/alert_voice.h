// The alert desk's voice over the speech stack: the Vietnamese normaliser spells the bulletin
// out, the synthesizer speaks it, the audio pipeline normalises loudness and encodes Ogg Opus,
// and the media store keeps it by SHA-256 for the devices to fetch. No signature tune: an alert
// starts with its words.
#pragma once

#include <string>

#include "core/alerts/alert_desk.h"
#include "core/speech.h"
#include "core/vi_normalizer.h"

namespace nguon::alerts {

class SpeechAlertVoice final : public AlertVoice {
 public:
  SpeechAlertVoice(SpeechSynthesizer& synthesizer, AudioPipeline& pipeline, MediaStore& media,
                   const vi::AbbreviationDictionary& dictionary, VoiceSettings voice)
      : synthesizer_(synthesizer),
        pipeline_(pipeline),
        media_(media),
        dictionary_(dictionary),
        voice_(voice) {}

  Result<SpokenAudio> speak(const std::string& text) override {
    auto speech = synthesizer_.synthesize(vi::normalize(text, dictionary_), voice_);
    if (!speech) return speech.error();
    auto encoded = pipeline_.encode_broadcast(speech.value());
    if (!encoded) return encoded.error();
    auto stored = media_.put(encoded->bytes, "audio/ogg");
    if (!stored) return stored.error();
    return SpokenAudio{stored->sha256,
                       static_cast<std::int64_t>(encoded->duration_seconds * 1000.0)};
  }

 private:
  SpeechSynthesizer& synthesizer_;
  AudioPipeline& pipeline_;
  MediaStore& media_;
  const vi::AbbreviationDictionary& dictionary_;
  VoiceSettings voice_;
};

}  // namespace nguon::alerts
