#include "adapters/tts/espeak_synthesizer.h"
#include "adapters/tts/speakable.h"

#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/text.h"

namespace nguon::tts {
namespace {

// The process-wide state of libespeak-ng, mirrored: the library has exactly one of everything,
// so this exists once and `mu` guards every call into the library.
struct Engine {
  std::mutex mu;
  bool initialized = false;
  std::optional<Error> failure;  // a failed espeak_ng_Initialize is final for the process
  std::string data_path;
  int sample_rate = 0;
  std::string current_voice;  // the voice last selected, to skip reloading it
};

Engine& engine() {
  static Engine e;
  return e;
}

std::string status_message(espeak_ng_STATUS status) {
  char buffer[512] = {};
  espeak_ng_GetStatusCodeMessage(status, buffer, sizeof buffer);
  return std::string(buffer) + " (status " + std::to_string(static_cast<long>(status)) + ")";
}

// Where synthesised samples go during one espeak_ng_Synthesize call; passed as user_data.
struct Collector {
  std::vector<float>* samples = nullptr;
  bool out_of_memory = false;
};

// Called synchronously from espeak_ng_Synthesize on the calling thread. Returning 1 aborts
// the synthesis; never lets an exception cross the C library.
int on_samples(short* wav, int count, espeak_EVENT* events) {
  auto* collector = events != nullptr ? static_cast<Collector*>(events->user_data) : nullptr;
  if (collector == nullptr) return 1;
  if (wav == nullptr || count <= 0) return 0;
  try {
    std::vector<float>& samples = *collector->samples;
    const std::size_t offset = samples.size();
    samples.resize(offset + static_cast<std::size_t>(count));  // grows geometrically
    for (int i = 0; i < count; ++i) samples[offset + i] = wav[i] / 32768.0f;
  } catch (const std::bad_alloc&) {
    collector->out_of_memory = true;
    return 1;
  }
  return 0;
}

bool is_blank_line(std::string_view line) {
  return line.find_first_not_of(" \t\r\v\f") == std::string_view::npos;
}

// Paragraphs are maximal runs of non-blank lines; blank lines (empty or white space only)
// separate them. Paragraphs without anything speakable are dropped.
std::vector<std::string> split_paragraphs(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    if (has_speakable(current)) {
      out.push_back(std::move(current));
    }
    current.clear();
  };
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    if (is_blank_line(line)) {
      flush();
    } else {
      if (!current.empty()) current.push_back('\n');
      current.append(line);
    }
    start = end + 1;
  }
  flush();
  return out;
}

const char* voice_name(VoiceVariant variant) {
  switch (variant) {
    case VoiceVariant::kCentral:
      return "vi-vn-x-central";
    case VoiceVariant::kSouthern:
      return "vi-vn-x-south";
    case VoiceVariant::kNorthern:
      break;
  }
  return "vi";
}

bool data_folder_exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(std::filesystem::path(path) / "phontab", ec) ||
         std::filesystem::is_regular_file(
             std::filesystem::path(path) / "espeak-ng-data" / "phontab", ec);
}

// REQUIRES: e.mu held.
Status initialize_locked(Engine& e, const std::string& data_path) {
  if (e.initialized) {
    if (data_path != e.data_path) {
      return internal("espeak-ng is already initialised with data path '" + e.data_path +
                      "' in this process; it cannot also use '" + data_path + "'");
    }
    return {};
  }
  if (e.failure) return *e.failure;
  // espeak_ng_InitializePath silently falls back to the system data when the given folder is
  // missing, which would hide a configuration error; check first.
  if (!data_path.empty() && !data_folder_exists(data_path)) {
    return internal("espeak-ng data not found: no phontab in '" + data_path + "'");
  }
  espeak_ng_InitializePath(data_path.empty() ? nullptr : data_path.c_str());
  espeak_ng_ERROR_CONTEXT context = nullptr;
  espeak_ng_STATUS status = espeak_ng_Initialize(&context);
  espeak_ng_ClearErrorContext(&context);
  if (status != ENS_OK) {
    e.failure = internal("espeak-ng initialisation failed: " + status_message(status));
    return *e.failure;
  }
  status = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, nullptr);
  if (status != ENS_OK) {
    e.failure = internal("espeak-ng output initialisation failed: " + status_message(status));
    return *e.failure;
  }
  espeak_SetSynthCallback(&on_samples);
  e.sample_rate = espeak_ng_GetSampleRate();
  if (e.sample_rate <= 0) {
    e.failure = internal("espeak-ng reported sample rate " + std::to_string(e.sample_rate));
    return *e.failure;
  }
  e.data_path = data_path;
  e.initialized = true;
  return {};
}

// REQUIRES: e.mu held, initialised. Selects by name (the voice file names of the standard
// data); falls back to selection by language for data sets that name their files differently,
// and refuses a fallback voice of another language (espeak would otherwise speak English).
Status select_voice_locked(Engine& e, const char* name) {
  if (e.current_voice == name) return {};
  e.current_voice.clear();
  espeak_ng_STATUS status = espeak_ng_SetVoiceByName(name);
  if (status != ENS_OK) {
    espeak_VOICE spec{};
    spec.languages = name;
    status = espeak_ng_SetVoiceByProperties(&spec);
    const espeak_VOICE* current = espeak_GetCurrentVoice();
    // `languages` is a priority byte followed by the language name.
    const bool vietnamese = current != nullptr && current->languages != nullptr &&
                            std::string_view(current->languages + 1).starts_with("vi");
    if (status != ENS_OK || !vietnamese) {
      return internal(std::string("espeak-ng has no voice '") + name +
                      "': " + status_message(status == ENS_OK ? ENS_VOICE_NOT_FOUND : status));
    }
  }
  e.current_voice = name;
  return {};
}

}  // namespace

EspeakSynthesizer::EspeakSynthesizer(EspeakOptions options) : options_(std::move(options)) {}

Status EspeakSynthesizer::initialize() {
  Engine& e = engine();
  std::lock_guard lock(e.mu);
  return initialize_locked(e, options_.data_path);
}

Result<PcmAudio> EspeakSynthesizer::synthesize(std::string_view text, const VoiceSettings& voice) {
  if (text.find('\0') != std::string_view::npos) {
    return invalid("invalid_text", "text contains a NUL byte");
  }
  if (!text::is_valid_utf8(text)) return invalid("invalid_utf8", "text is not valid UTF-8");
  if (!has_speakable(text)) return invalid("empty_text", "text is empty or only white space");
  const std::size_t chars = text::code_points(text);
  if (chars > options_.max_text_chars) {
    return invalid("text_too_long", "text has " + std::to_string(chars) +
                                        " characters; the limit is " +
                                        std::to_string(options_.max_text_chars));
  }
  const std::vector<std::string> paragraphs = split_paragraphs(text);
  const int rate = std::clamp(voice.rate_wpm, espeakRATE_MINIMUM, espeakRATE_MAXIMUM);
  const int pitch = std::clamp(voice.pitch, 0, 100);
  const int pause_ms = std::clamp(voice.paragraph_pause_ms, 0, 60'000);

  Engine& e = engine();
  std::lock_guard lock(e.mu);
  NGUON_TRY(initialize_locked(e, options_.data_path));
  NGUON_TRY(select_voice_locked(e, voice_name(voice.variant)));
  espeak_ng_STATUS status = espeak_ng_SetParameter(espeakRATE, rate, 0);
  if (status == ENS_OK) status = espeak_ng_SetParameter(espeakPITCH, pitch, 0);
  if (status != ENS_OK) {
    return internal("espeak-ng rejected a parameter: " + status_message(status));
  }

  PcmAudio out;
  out.sample_rate = e.sample_rate;
  out.channels = 1;
  const auto pause_samples =
      static_cast<std::size_t>(static_cast<std::int64_t>(pause_ms) * e.sample_rate / 1000);
  Collector collector{&out.samples};
  for (std::size_t i = 0; i < paragraphs.size(); ++i) {
    if (i > 0) out.samples.resize(out.samples.size() + pause_samples, 0.0f);
    const std::string& paragraph = paragraphs[i];
    // Flags: UTF-8 input, no SSML, no [[phoneme]] input: bulletin text is spoken literally.
    status = espeak_ng_Synthesize(paragraph.c_str(), paragraph.size() + 1, 0, POS_CHARACTER, 0,
                                  espeakCHARS_UTF8, nullptr, &collector);
    if (collector.out_of_memory) return internal("out of memory collecting espeak-ng audio");
    if (status != ENS_OK) {
      return internal("espeak-ng synthesis failed: " + status_message(status));
    }
  }
  return out;
}

}  // namespace nguon::tts
