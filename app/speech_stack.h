// Builds the configured speech and audio stack: synthesizer (espeak-ng or an HTTP engine),
// audio pipeline, media store and the abbreviation dictionary.
#pragma once

#include <memory>

#include "app/config.h"
#include "core/result.h"
#include "core/speech.h"
#include "core/vi_normalizer.h"

namespace nguon::app {

struct SpeechStack {
  std::unique_ptr<SpeechSynthesizer> synthesizer;
  std::unique_ptr<AudioPipeline> pipeline;
  std::unique_ptr<MediaStore> media;
  std::unique_ptr<vi::AbbreviationDictionary> dictionary;
};

// Errors name the configuration key at fault (e.g. an unreadable speech.dictionary_path).
Result<SpeechStack> make_speech_stack(const Config& config);

}  // namespace nguon::app
