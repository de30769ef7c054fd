// Cost of turning a bulletin into broadcast audio, step by step, as BulletinAudioService does it:
// vi::normalize (text -> spoken words), EspeakSynthesizer::synthesize (Northern voice,
// 150 wpm, 22.05 kHz), SndfileOpusPipeline::conform (to 48 kHz mono, where signature tunes are
// joined) and encode_broadcast (EBU R128 loudness normalisation + true-peak check + Ogg Opus
// 24 kb/s). Each step is timed with the wall clock; the best (minimum) of N runs is reported
// per step and for the whole run. Then the output is decoded (libopusfile) and measured
// (libebur128) to compare its loudness with the -16 LUFS target.
//
// One-time start-up costs that a server pays once are excluded from the timings: parsing the
// abbreviation dictionary and initialising libespeak-ng (loading its voice data).
//
// Usage:
//   bench_tts_pipeline [--runs N] [--max-seconds S] [--out FILE.opus] [--dict FILE.tsv]
//                      [--breakdown] [TEXT_FILE]
//       TEXT_FILE defaults to bench/bulletin_1000_words.txt, --dict to
//       data/vi-abbreviations.tsv, --runs to 3. --max-seconds bounds the runtime: no further
//       run starts when the time spent so far plus the last run's would exceed S (at least one
//       run is always made; the number made is printed). --out writes the encoded Ogg Opus.
//       --breakdown then times, once each, the parts of encode_broadcast that the public API
//       can isolate (a loudness measurement, a single encode pass without the decoded
//       true-peak check, a decode of the output) and the single pass fed at 24 kHz.
//   bench_tts_pipeline --measure FILE.opus
//       Decodes an Ogg Opus file and prints its duration, size, bytes per minute and loudness
//       (used by bench/tts_pipeline.sh for the espeak-ng + opusenc baseline).
//
// Output lines start with a fixed key (first column) so that scripts can pick them with awk.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/audio/audio_pipeline.h"
#include "adapters/tts/espeak_synthesizer.h"
#include "core/speech.h"
#include "core/vi_normalizer.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kTargetLufs = -16;                // SndfileOpusOptions' default target
constexpr double kTargetBytesPerMinute = 200'000;  // the target: <= 200 KB (1 KB = 1000 B)

struct Args {
  int runs = 3;
  double max_seconds = 0;  // 0: no time budget
  std::string text_path = NGUON_BENCH_DEFAULT_TEXT;
  std::string dict_path = NGUON_BENCH_DEFAULT_DICT;
  std::string out_path;
  std::string measure_path;
  bool breakdown = false;
};

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(buffer).str();
}

bool write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out.flush());
}

void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--runs N (1..100, default 3)] [--max-seconds S] [--out FILE.opus] "
               "[--dict FILE.tsv] "
               "[--breakdown] [TEXT_FILE]\n       %s --measure FILE.opus\n",
               argv0, argv0);
}

// Returns false (after printing the usage) on a malformed command line.
bool parse_args(int argc, char** argv, Args& args) {
  bool have_text = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    const bool has_value = i + 1 < argc;
    if (arg == "--runs" && has_value) {
      const std::string_view v(argv[++i]);
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), args.runs);
      if (ec != std::errc{} || end != v.data() + v.size() || args.runs < 1 || args.runs > 100) {
        usage(argv[0]);
        return false;
      }
    } else if (arg == "--max-seconds" && has_value) {
      const std::string_view v(argv[++i]);
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), args.max_seconds);
      if (ec != std::errc{} || end != v.data() + v.size() || !(args.max_seconds >= 0)) {
        usage(argv[0]);
        return false;
      }
    } else if (arg == "--out" && has_value) {
      args.out_path = argv[++i];
    } else if (arg == "--dict" && has_value) {
      args.dict_path = argv[++i];
    } else if (arg == "--breakdown") {
      args.breakdown = true;
    } else if (arg == "--measure" && has_value) {
      args.measure_path = argv[++i];
    } else if (!arg.starts_with("-") && !have_text) {
      args.text_path = std::string(arg);
      have_text = true;
    } else {
      usage(argv[0]);
      return false;
    }
  }
  return true;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// REQUIRES: !samples.empty(). Sorts a copy.
double median(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  return n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
}

double minimum(const std::vector<double>& samples) {
  return *std::min_element(samples.begin(), samples.end());
}

// Words as a reader counts them: whitespace-separated tokens ("1.263.600" is one).
size_t count_words(std::string_view text) {
  size_t words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

// Decodes `opus` and prints its loudness; returns false on failure.
bool print_decoded_loudness(std::string_view opus) {
  auto decoded = nguon::decode_opus(opus);
  if (!decoded) {
    std::fprintf(stderr, "decode_opus: %s\n", decoded.error().message.c_str());
    return false;
  }
  auto loudness = nguon::measure_loudness(decoded.value());
  if (!loudness) {
    std::fprintf(stderr, "measure_loudness: %s\n", loudness.error().message.c_str());
    return false;
  }
  const double seconds = decoded->duration_seconds();
  std::printf("decoded_seconds    %.3f\n", seconds);
  std::printf("bytes              %zu\n", opus.size());
  std::printf("bytes_per_minute   %.0f\n", seconds > 0 ? opus.size() / (seconds / 60) : 0.0);
  std::printf("decoded_lufs       %.2f   (target %.1f, difference %+.2f LU)\n",
              loudness->integrated_lufs, kTargetLufs, loudness->integrated_lufs - kTargetLufs);
  std::printf("decoded_true_peak  %.2f dBTP\n", loudness->true_peak_dbtp);
  return true;
}

int measure_only(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    return 1;
  }
  std::printf("file               %s\n", path.c_str());
  return print_decoded_loudness(*bytes) ? 0 : 1;
}

// Times `f` once; prints `label`, the seconds and `note`; returns f's result.
template <typename F>
auto timed(const char* label, F&& f) {
  const auto start = Clock::now();
  auto result = f();
  std::printf("  %-54s %8.3f s\n", label, seconds_since(start));
  return result;
}

// One timing each of what encode_broadcast is made of, as far as the public API separates it.
// `speech` is the synthesiser's output, `conformed` the same at 48 kHz, `output` the default
// pipeline's Opus. Returns false on an error.
bool print_breakdown(const nguon::PcmAudio& speech, const nguon::PcmAudio& conformed,
                     const std::string& output) {
  std::printf("breakdown (one run each):\n");
  auto loudness = timed("measure_loudness, 48 kHz PCM (I + true peak)",
                        [&] { return nguon::measure_loudness(conformed); });
  if (!loudness) return false;
  std::printf("  %-54s %8.2f LUFS, %.2f dBTP\n", "  speech as synthesised",
              loudness->integrated_lufs, loudness->true_peak_dbtp);

  nguon::SndfileOpusOptions single;
  single.check_decoded_true_peak = false;
  nguon::SndfileOpusPipeline single_pass(single);
  auto one = timed("encode_broadcast, no decoded-peak check (1 pass)",
                   [&] { return single_pass.encode_broadcast(conformed); });
  if (!one) return false;

  auto decoded =
      timed("decode_opus of the default output", [&] { return nguon::decode_opus(output); });
  if (!decoded) return false;
  auto decoded_loudness = timed("measure_loudness, decoded (I + true peak)",
                                [&] { return nguon::measure_loudness(decoded.value()); });
  if (!decoded_loudness) return false;
  auto one_decoded = nguon::decode_opus(one->bytes);
  if (!one_decoded) return false;
  auto one_peak = nguon::measure_loudness(one_decoded.value());
  if (!one_peak) return false;
  std::printf("  %-54s %8.2f dBTP after decoding (limit -1: %s)\n", "  1-pass output true peak",
              one_peak->true_peak_dbtp,
              one_peak->true_peak_dbtp > -1 ? "over, so the default re-encodes" : "within");

  nguon::SndfileOpusOptions no_limit;
  no_limit.true_peak_limit_dbtp = std::nullopt;
  nguon::SndfileOpusPipeline unlimited(no_limit);
  auto free_gain = timed("encode_broadcast, no true-peak limit",
                         [&] { return unlimited.encode_broadcast(conformed); });
  if (!free_gain) return false;
  std::printf("  %-54s %8.2f LUFS\n", "  its loudness", free_gain->loudness_lufs);

  nguon::SndfileOpusOptions at24;
  at24.output_sample_rate = 24000;
  at24.check_decoded_true_peak = false;
  nguon::SndfileOpusPipeline pipeline24(at24);
  auto conformed24 = timed("conform to 24 kHz instead of 48 kHz",
                           [&] { return pipeline24.conform(speech, 24000); });
  if (!conformed24) return false;
  auto encoded24 = timed("encode_broadcast fed at 24 kHz, no decoded-peak check",
                         [&] { return pipeline24.encode_broadcast(conformed24.value()); });
  if (!encoded24) return false;
  std::printf("  %-54s %8zu bytes, %.0f bytes/min\n", "  its size", encoded24->bytes.size(),
              encoded24->bytes.size() / (encoded24->duration_seconds / 60));
  return true;
}

struct RunTimes {
  std::vector<double> normalize, synthesize, conform, encode, total;
};

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, args)) return 2;
  if (!args.measure_path.empty()) return measure_only(args.measure_path);

  auto text = read_file(args.text_path);
  if (!text) {
    std::fprintf(stderr, "cannot read text file %s\n", args.text_path.c_str());
    return 1;
  }
  auto tsv = read_file(args.dict_path);
  if (!tsv) {
    std::fprintf(stderr, "cannot read dictionary %s\n", args.dict_path.c_str());
    return 1;
  }
  auto dict = nguon::vi::AbbreviationDictionary::parse(*tsv);
  if (!dict) {
    std::fprintf(stderr, "dictionary: %s\n", dict.error().message.c_str());
    return 1;
  }
  nguon::tts::EspeakSynthesizer synthesizer;
  if (auto status = synthesizer.initialize(); !status) {
    std::fprintf(stderr, "espeak-ng: %s\n", status.error().message.c_str());
    return 1;
  }
  nguon::SndfileOpusPipeline pipeline;
  const nguon::VoiceSettings voice{.variant = nguon::VoiceVariant::kNorthern, .rate_wpm = 150};

  std::printf("text               %s (%zu bytes, %zu words)\n", args.text_path.c_str(),
              text->size(), count_words(*text));
  std::printf("dictionary         %s (%zu entries)\n", args.dict_path.c_str(), dict->size());
  std::printf(
      "settings           espeak-ng voice vi (Northern), %d wpm; 48 kHz mono; "
      "%.0f LUFS; Opus %d b/s; up to %d run(s), wall clock, best of runs\n",
      voice.rate_wpm, pipeline.options().target_lufs, pipeline.options().bitrate_bps, args.runs);

  RunTimes t;
  std::string spoken;
  nguon::EncodedAudio encoded;
  nguon::PcmAudio last_speech;
  nguon::PcmAudio last_conformed;
  const auto bench_start = Clock::now();
  for (int run = 0; run < args.runs; ++run) {
    if (run > 0 && args.max_seconds > 0 &&
        seconds_since(bench_start) + t.total.back() > args.max_seconds) {
      std::fprintf(stderr, "time budget of %.0f s reached after %d run(s)\n", args.max_seconds,
                   run);
      break;
    }
    const auto run_start = Clock::now();
    auto start = run_start;
    spoken = nguon::vi::normalize(*text, dict.value());
    t.normalize.push_back(seconds_since(start));

    start = Clock::now();
    auto speech = synthesizer.synthesize(spoken, voice);
    t.synthesize.push_back(seconds_since(start));
    if (!speech) {
      std::fprintf(stderr, "synthesize: %s\n", speech.error().message.c_str());
      return 1;
    }

    start = Clock::now();
    auto conformed = pipeline.conform(speech.value(), pipeline.options().output_sample_rate);
    t.conform.push_back(seconds_since(start));
    if (!conformed) {
      std::fprintf(stderr, "conform: %s\n", conformed.error().message.c_str());
      return 1;
    }

    start = Clock::now();
    auto result = pipeline.encode_broadcast(conformed.value());
    t.encode.push_back(seconds_since(start));
    t.total.push_back(seconds_since(run_start));
    if (!result) {
      std::fprintf(stderr, "encode_broadcast: %s\n", result.error().message.c_str());
      return 1;
    }
    encoded = std::move(result).value();
    last_speech = std::move(speech).value();
    last_conformed = std::move(conformed).value();
    std::fprintf(stderr, "run %d/%d: %.3f s\n", run + 1, args.runs, t.total.back());
  }

  const double audio = encoded.duration_seconds;
  std::printf("runs_made          %zu of %d\n", t.total.size(), args.runs);
  std::printf("spoken_words       %zu (after normalisation)\n", count_words(spoken));
  std::printf("audio_seconds      %.3f (synthesised %.3f s at %d Hz)\n", audio,
              last_speech.duration_seconds(), last_speech.sample_rate);
  std::printf("%-18s %10s %10s\n", "step", "best s", "median s");
  const std::pair<const char*, const std::vector<double>*> steps[] = {
      {"normalize_s", &t.normalize},
      {"synthesize_s", &t.synthesize},
      {"conform_s", &t.conform},
      {"encode_s", &t.encode},
      {"total_s", &t.total}};
  for (const auto& [name, samples] : steps) {
    std::printf("%-18s %10.3f %10.3f\n", name, minimum(*samples), median(*samples));
  }
  const double best_total = minimum(t.total);
  std::printf("real_time_factor   %.1f   (audio seconds / best total processing seconds)\n",
              audio / best_total);
  const double per_minute = encoded.bytes.size() / (audio / 60);
  std::printf("encoded_bytes      %zu\n", encoded.bytes.size());
  std::printf("encoded_per_minute %.0f   (target <= %.0f: %s)\n", per_minute, kTargetBytesPerMinute,
              per_minute <= kTargetBytesPerMinute ? "PASS" : "FAIL");
  std::printf("pipeline_lufs      %.2f   (measured before encoding)\n", encoded.loudness_lufs);
  if (!print_decoded_loudness(encoded.bytes)) return 1;

  if (!args.out_path.empty()) {
    if (!write_file(args.out_path, encoded.bytes)) {
      std::fprintf(stderr, "cannot write %s\n", args.out_path.c_str());
      return 1;
    }
    std::printf("written            %s\n", args.out_path.c_str());
  }
  if (args.breakdown && !print_breakdown(last_speech, last_conformed, encoded.bytes)) {
    std::fprintf(stderr, "breakdown failed\n");
    return 1;
  }
  return 0;
}
