// SpeechSynthesizer backed by a neural TTS engine reached over HTTP (a Vietnamese VITS/Piper-
// style model served by a sidecar process on the same host or LAN).
//
// Wire protocol (version 1), one request per synthesis, one connection per request:
//
//   POST <path> HTTP/1.1
//   Content-Type: application/json
//   Accept: audio/wav
//
//   {"text": "...", "voice": "north" | "central" | "south", "rate_wpm": 80..450,
//    "pitch": 0..100, "paragraph_pause_ms": 0..60000}
//
//   text is UTF-8, already normalised (numbers, dates, abbreviations spelled out); paragraphs
//   are separated by blank lines and the engine inserts paragraph_pause_ms of silence between
//   them. rate_wpm and pitch are sent clamped to their ranges.
//
//   Success: 200, Content-Type audio/wav (audio/x-wav and audio/wave are accepted too), body a
//   RIFF/WAVE file with PCM 16-bit little-endian samples, mono or stereo, any sample rate from
//   8000 to 192000 Hz. Other chunks (LIST, fact, ...) are skipped. A streaming engine that
//   cannot know the length may write 0xFFFFFFFF as the RIFF and data sizes: the data then runs
//   to the end of the body. Any other status is a failure; the body may explain it (its first
//   200 bytes are quoted in the error message).
//
// Transport: plain HTTP only (http://host[:port][/path]). That is meant for an engine on
// loopback or a trusted LAN; to reach a remote engine, run a local HTTPS-terminating proxy
// (stunnel, nginx, Caddy) and point `url` at it.
//
// Errors:
//   invalid("empty_text" | "text_too_long" | "invalid_utf8") before any request is made;
//   kUnavailable "tts_unavailable": cannot resolve/connect, timeout, connection dropped, or a
//     non-200 status;
//   kUnavailable "tts_response_too_large": the body exceeds `body_limit`;
//   kInvalid, the engine answered 200 with an unusable body: "tts_bad_content_type", and the
//     WAV codes of parse_wav().
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/speech.h"

namespace nguon::tts {

struct HttpSynthesizerOptions {
  std::string url;  // http://host[:port][/path]; port 80 and path "/" by default
  // Connecting must finish within `timeout`; then writing the request and reading the whole
  // response must finish within `timeout` again (synthesis time is inside that second budget).
  std::chrono::milliseconds timeout{60'000};
  std::size_t body_limit = 200u << 20;   // bytes of response body
  std::size_t max_text_chars = 100'000;  // Unicode code points; longer is text_too_long
};

class HttpSynthesizer final : public SpeechSynthesizer {
 public:
  // Validates the URL: invalid("invalid_tts_url") for anything but http://host[:port][/path]
  // (https:// included, with a hint to use a proxy).
  static Result<std::unique_ptr<HttpSynthesizer>> create(HttpSynthesizerOptions options);

  // Thread-safe: every call uses its own connection and I/O context.
  Result<PcmAudio> synthesize(std::string_view text, const VoiceSettings& voice) override;
  std::string name() const override { return "http:" + options_.url; }

 private:
  HttpSynthesizer(HttpSynthesizerOptions options, std::string host, std::string port,
                  std::string target);

  HttpSynthesizerOptions options_;
  std::string host_;
  std::string port_;
  std::string target_;
};

// Decodes a RIFF/WAVE body holding PCM 16-bit mono or stereo into float samples.
// Never reads out of bounds, whatever the input. Errors (all kInvalid):
//   wav_truncated       the body ends inside the header, a chunk header or the data chunk;
//   wav_not_riff        not RIFF/WAVE (RIFX, RF64 and other containers included);
//   wav_bad_chunk_size  a fmt chunk under 16 bytes, a chunk (other than data) that runs past
//                       the end of the RIFF body, or data that is not a whole number of frames;
//   wav_missing_fmt     no fmt chunk before the data chunk (or none at all);
//   wav_missing_data    no data chunk;
//   wav_not_pcm16       a format other than integer PCM, or a sample size other than 16 bits;
//   wav_bad_format      channels other than 1 or 2, a sample rate outside 8000..192000, an
//                       inconsistent block alignment, or a second fmt chunk;
//   wav_empty           a data chunk with no samples.
Result<PcmAudio> parse_wav(std::string_view bytes);

}  // namespace nguon::tts
