#include "app/speech_stack.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/audio/audio_pipeline.h"
#include "adapters/audio/file_media_store.h"
#include "adapters/tts/espeak_synthesizer.h"
#include "adapters/tts/http_synthesizer.h"

namespace nguon::app {

Result<SpeechStack> make_speech_stack(const Config& config) {
  SpeechStack stack;
  std::ifstream in(config.speech.dictionary_path);
  if (!in) {
    return invalid("invalid_config",
                   "speech.dictionary_path: cannot read " + config.speech.dictionary_path);
  }
  std::stringstream text;
  text << in.rdbuf();
  auto dictionary = vi::AbbreviationDictionary::parse(text.str());
  if (!dictionary) {
    return invalid("invalid_config", "speech.dictionary_path: " + dictionary.error().message);
  }
  stack.dictionary = std::make_unique<vi::AbbreviationDictionary>(std::move(dictionary.value()));

  if (config.speech.engine == "http") {
    auto http = tts::HttpSynthesizer::create(
        {config.speech.http_url, std::chrono::seconds(config.speech.http_timeout_seconds)});
    if (!http) return invalid("invalid_config", "speech.http_url: " + http.error().message);
    stack.synthesizer = std::move(http.value());
  } else {
    auto espeak = std::make_unique<tts::EspeakSynthesizer>();
    // Initialise now, before the server starts threads: libespeak-ng sets the process locale.
    Status ready = espeak->initialize();
    if (!ready)
      return invalid("invalid_config", "speech.engine: espeak-ng: " + ready.error().message);
    stack.synthesizer = std::move(espeak);
  }

  SndfileOpusOptions audio;
  audio.limits.max_input_bytes = config.audio.max_upload_bytes;
  audio.limits.max_duration_seconds = config.audio.max_duration_seconds;
  audio.target_lufs = config.audio.target_lufs;
  audio.bitrate_bps = config.audio.bitrate_bps;
  stack.pipeline = std::make_unique<SndfileOpusPipeline>(audio);

  std::error_code ec;
  std::filesystem::create_directories(config.audio.media_dir, ec);
  if (ec) {
    return invalid("invalid_config", "audio.media_dir: cannot create " + config.audio.media_dir +
                                         ": " + ec.message());
  }
  stack.media = std::make_unique<FileMediaStore>(config.audio.media_dir);
  return stack;
}

}  // namespace nguon::app
