#include "adapters/tts/http_synthesizer.h"
#include "adapters/tts/speakable.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <utility>

#include "core/text.h"

namespace nguon::tts {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kQuotedBodyBytes = 200;

Error unavailable(std::string message) {
  return {ErrorKind::kUnavailable, "tts_unavailable", std::move(message)};
}

// Printable ASCII rendering of bytes from a peer, for error messages.
std::string printable(std::string_view bytes, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    out.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
  }
  if (bytes.size() > limit) out += "...";
  return out;
}

const char* voice_code(VoiceVariant variant) {
  switch (variant) {
    case VoiceVariant::kCentral:
      return "central";
    case VoiceVariant::kSouthern:
      return "south";
    case VoiceVariant::kNorthern:
      break;
  }
  return "north";
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_wav_media_type(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  const std::string m = lower(media);
  return m == "audio/wav" || m == "audio/x-wav" || m == "audio/wave" || m == "audio/vnd.wave";
}

// What one request/response exchange produced: a transport error or the response.
struct Exchange {
  std::optional<Error> error;
  bhttp::response<bhttp::string_body> response;
};

struct Endpoint {
  std::string host;  // without brackets
  std::string port;
  std::string target;
  std::string host_header;
  std::chrono::milliseconds timeout;
  std::size_t body_limit;
};

// One connection, one request. Phase budgets as documented on HttpSynthesizerOptions::timeout.
asio::awaitable<void> exchange(const Endpoint& to, std::string body, Exchange& out) {
  auto executor = co_await asio::this_coro::executor;
  constexpr auto tuple = asio::as_tuple(asio::use_awaitable);

  // The resolver ignores stream expiry, so a timer cancels it. Both are shared with the timer's
  // handler, which may run after this coroutine has finished.
  struct Resolving {
    explicit Resolving(const asio::any_io_executor& ex) : resolver(ex) {}
    tcp::resolver resolver;
    bool timed_out = false;
  };
  auto resolving = std::make_shared<Resolving>(executor);
  asio::steady_timer resolve_deadline(executor, to.timeout);
  resolve_deadline.async_wait([resolving](const boost::system::error_code& ec) {
    if (!ec) {
      resolving->timed_out = true;
      resolving->resolver.cancel();
    }
  });
  const auto started = std::chrono::steady_clock::now();
  auto [resolve_ec, endpoints] =
      co_await resolving->resolver.async_resolve(to.host, to.port, tuple);
  resolve_deadline.cancel();
  if (resolve_ec) {
    out.error = unavailable(resolving->timed_out
                                ? "resolving " + to.host + " timed out"
                                : "cannot resolve " + to.host + ": " + resolve_ec.message());
    co_return;
  }

  beast::tcp_stream stream(executor);
  stream.expires_after(to.timeout - std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now() - started));
  auto [connect_ec, endpoint] = co_await stream.async_connect(endpoints, tuple);
  (void)endpoint;
  if (connect_ec) {
    out.error =
        unavailable(connect_ec == beast::error::timeout
                        ? "connecting to " + to.host_header + " timed out after " +
                              std::to_string(to.timeout.count()) + " ms"
                        : "cannot connect to " + to.host_header + ": " + connect_ec.message());
    co_return;
  }

  bhttp::request<bhttp::string_body> request{bhttp::verb::post, to.target, 11};
  request.set(bhttp::field::host, to.host_header);
  request.set(bhttp::field::user_agent, "nguon-tts");
  request.set(bhttp::field::content_type, "application/json");
  request.set(bhttp::field::accept, "audio/wav");
  request.keep_alive(false);
  request.body() = std::move(body);
  request.prepare_payload();

  stream.expires_after(to.timeout);
  auto [write_ec, written] = co_await bhttp::async_write(stream, request, tuple);
  (void)written;
  if (write_ec) {
    out.error = unavailable(write_ec == beast::error::timeout
                                ? "sending the request to " + to.host_header + " timed out"
                                : "sending the request to " + to.host_header +
                                      " failed: " + write_ec.message());
    co_return;
  }

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(to.body_limit);
  auto [read_ec, read] = co_await bhttp::async_read(stream, buffer, parser, tuple);
  (void)read;
  if (read_ec == bhttp::error::body_limit) {
    out.error =
        Error{ErrorKind::kUnavailable, "tts_response_too_large",
              "the engine's response is larger than " + std::to_string(to.body_limit) + " bytes"};
    co_return;
  }
  if (read_ec) {
    out.error = unavailable(read_ec == beast::error::timeout
                                ? "no complete response from " + to.host_header + " within " +
                                      std::to_string(to.timeout.count()) + " ms"
                                : "reading the response from " + to.host_header +
                                      " failed: " + read_ec.message());
    co_return;
  }
  out.response = parser.release();
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

std::uint16_t u16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | p[1] << 8); }
std::uint32_t u32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

Error wav_error(const char* code, std::string message) {
  return invalid(code, "WAV: " + std::move(message));
}

struct WavFormat {
  int channels = 0;
  int sample_rate = 0;
  std::size_t block_align = 0;
};

// Validates a fmt chunk body of `size` >= 16 bytes.
Result<WavFormat> parse_fmt(const unsigned char* p, std::size_t size) {
  constexpr std::uint16_t kPcm = 1;
  constexpr std::uint16_t kExtensible = 0xFFFE;
  // KSDATAFORMAT_SUBTYPE_PCM: 00000001-0000-0010-8000-00aa00389b71, as stored.
  static constexpr unsigned char kPcmGuid[16] = {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
                                                 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
  const std::uint16_t tag = u16(p);
  const std::uint16_t channels = u16(p + 2);
  const std::uint32_t rate = u32(p + 4);
  const std::uint16_t block_align = u16(p + 12);
  const std::uint16_t bits = u16(p + 14);
  if (tag == kExtensible) {
    if (size < 40 || u16(p + 16) < 22) {
      return wav_error("wav_bad_chunk_size", "WAVE_FORMAT_EXTENSIBLE fmt chunk of " +
                                                 std::to_string(size) +
                                                 " bytes is shorter than 40 bytes");
    }
    if (std::memcmp(p + 24, kPcmGuid, sizeof kPcmGuid) != 0) {
      return wav_error("wav_not_pcm16", "extensible format with a non-PCM sub-format");
    }
    if (u16(p + 18) != 16) {
      return wav_error("wav_not_pcm16", "only 16-bit samples are supported, got " +
                                            std::to_string(u16(p + 18)) + " valid bits");
    }
  } else if (tag != kPcm) {
    return wav_error("wav_not_pcm16", "format tag " + std::to_string(tag) +
                                          (tag == 3 ? " (IEEE float)" : "") +
                                          " is not integer PCM (1)");
  }
  if (bits != 16) {
    return wav_error("wav_not_pcm16",
                     "only 16-bit samples are supported, got " + std::to_string(bits));
  }
  if (channels != 1 && channels != 2) {
    return wav_error("wav_bad_format",
                     std::to_string(channels) + " channels; only mono and stereo are supported");
  }
  if (rate < 8000 || rate > 192000) {
    return wav_error("wav_bad_format",
                     "sample rate " + std::to_string(rate) + " Hz is outside 8000..192000");
  }
  if (block_align != channels * 2) {
    return wav_error("wav_bad_format", "block alignment " + std::to_string(block_align) +
                                           " does not match " + std::to_string(channels) +
                                           " channel(s) of 16 bits");
  }
  return WavFormat{channels, static_cast<int>(rate), block_align};
}

}  // namespace

Result<PcmAudio> parse_wav(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  const std::string_view riff = "RIFF";
  if (n < 12) {
    if (riff.starts_with(bytes.substr(0, 4))) {
      return wav_error("wav_truncated",
                       "body of " + std::to_string(n) + " bytes is shorter than a WAV header");
    }
    return wav_error("wav_not_riff", "body does not start with RIFF");
  }
  if (bytes.substr(0, 4) != riff) {
    return wav_error("wav_not_riff", "body starts with '" + printable(bytes.substr(0, 4), 4) +
                                         "', not 'RIFF' (RIFX and RF64 are not supported)");
  }
  if (bytes.substr(8, 4) != "WAVE") {
    return wav_error("wav_not_riff",
                     "RIFF form type is '" + printable(bytes.substr(8, 4), 4) + "', not 'WAVE'");
  }
  // The RIFF size field is not trusted: writers get it wrong, streaming ones write 0xFFFFFFFF.
  // Chunks are read up to the data chunk; anything after it is ignored.
  std::optional<WavFormat> format;
  std::size_t pos = 12;
  for (;;) {
    if (pos >= n) {
      return format ? wav_error("wav_missing_data", "no data chunk")
                    : wav_error("wav_missing_fmt", "no fmt chunk");
    }
    if (n - pos < 8) {
      return wav_error("wav_truncated",
                       "body ends inside a chunk header at offset " + std::to_string(pos));
    }
    const std::string id = printable(bytes.substr(pos, 4), 4);
    const std::uint32_t size = u32(p + pos + 4);
    const std::size_t start = pos + 8;
    const std::size_t available = n - start;
    if (bytes.substr(pos, 4) == "data") {
      if (!format) {
        return wav_error("wav_missing_fmt",
                         "data chunk at offset " + std::to_string(pos) + " precedes any fmt chunk");
      }
      std::size_t data_bytes = size;
      if (size == 0xFFFFFFFFu) {
        data_bytes = available - available % format->block_align;  // streamed: to the end
      } else if (size > available) {
        return wav_error("wav_truncated", "data chunk declares " + std::to_string(size) +
                                              " bytes but only " + std::to_string(available) +
                                              " follow");
      }
      if (data_bytes % format->block_align != 0) {
        return wav_error("wav_bad_chunk_size", "data chunk of " + std::to_string(data_bytes) +
                                                   " bytes is not a whole number of " +
                                                   std::to_string(format->block_align) +
                                                   "-byte frames");
      }
      if (data_bytes == 0) return wav_error("wav_empty", "data chunk holds no samples");
      PcmAudio out;
      out.sample_rate = format->sample_rate;
      out.channels = format->channels;
      out.samples.resize(data_bytes / 2);
      const unsigned char* d = p + start;
      for (std::size_t i = 0; i < out.samples.size(); ++i) {
        out.samples[i] = static_cast<std::int16_t>(u16(d + 2 * i)) / 32768.0f;
      }
      return out;
    }
    if (size > available) {
      return wav_error("wav_bad_chunk_size", "chunk '" + id + "' at offset " + std::to_string(pos) +
                                                 " declares " + std::to_string(size) +
                                                 " bytes but only " + std::to_string(available) +
                                                 " remain");
    }
    if (bytes.substr(pos, 4) == "fmt ") {
      if (format) {
        return wav_error("wav_bad_format", "second fmt chunk at offset " + std::to_string(pos));
      }
      if (size < 16) {
        return wav_error("wav_bad_chunk_size",
                         "fmt chunk of " + std::to_string(size) + " bytes; at least 16 needed");
      }
      Result<WavFormat> parsed = parse_fmt(p + start, size);
      if (!parsed) return parsed.error();
      format = *parsed;
    }
    pos = start + size + (size & 1u);  // chunks are padded to an even size
  }
}

HttpSynthesizer::HttpSynthesizer(HttpSynthesizerOptions options, std::string host, std::string port,
                                 std::string target)
    : options_(std::move(options)),
      host_(std::move(host)),
      port_(std::move(port)),
      target_(std::move(target)) {}

Result<std::unique_ptr<HttpSynthesizer>> HttpSynthesizer::create(HttpSynthesizerOptions options) {
  const std::string& url = options.url;
  auto bad = [&](const std::string& why) {
    return invalid("invalid_tts_url", "TTS engine URL '" + printable(url, 200) + "': " + why);
  };
  const std::string scheme = lower(url.substr(0, url.find("://") + 3));
  if (scheme == "https://") {
    return bad(
        "https is not supported; run a local HTTPS-terminating proxy and use its http:// URL");
  }
  if (scheme != "http://") return bad("must start with http://");
  for (const char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return bad("contains a space, control or non-ASCII character");
  }
  const std::string rest = url.substr(7);
  const std::size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  std::string target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (target.find('#') != std::string::npos) return bad("a fragment (#) is not allowed");
  if (authority.find('@') != std::string::npos) return bad("user information is not supported");
  std::string host;
  std::string port = "80";
  std::string port_part;
  if (authority.starts_with("[")) {
    const std::size_t close = authority.find(']');
    if (close == std::string::npos) return bad("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("unexpected text after the IPv6 address");
      port_part = after.substr(1);
      if (port_part.empty()) return bad("empty port");
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      port_part = authority.substr(colon + 1);
      if (port_part.empty()) return bad("empty port");
    }
  }
  if (host.empty()) return bad("no host");
  if (!port_part.empty()) {
    if (port_part.size() > 5 || !std::all_of(port_part.begin(), port_part.end(),
                                             [](char c) { return c >= '0' && c <= '9'; })) {
      return bad("port is not a number");
    }
    const int value = std::stoi(port_part);
    if (value < 1 || value > 65535) return bad("port outside 1..65535");
    port = std::to_string(value);
  }
  if (options.timeout.count() <= 0) {
    return invalid("invalid_tts_timeout", "the TTS engine timeout must be positive");
  }
  return std::unique_ptr<HttpSynthesizer>(
      new HttpSynthesizer(std::move(options), std::move(host), std::move(port), std::move(target)));
}

Result<PcmAudio> HttpSynthesizer::synthesize(std::string_view text, const VoiceSettings& voice) {
  if (!text::is_valid_utf8(text)) return invalid("invalid_utf8", "text is not valid UTF-8");
  if (!has_speakable(text)) return invalid("empty_text", "text is empty or only white space");
  const std::size_t chars = text::code_points(text);
  if (chars > options_.max_text_chars) {
    return invalid("text_too_long", "text has " + std::to_string(chars) +
                                        " characters; the limit is " +
                                        std::to_string(options_.max_text_chars));
  }

  boost::json::object request;
  request["text"] = text;
  request["voice"] = voice_code(voice.variant);
  request["rate_wpm"] = std::clamp(voice.rate_wpm, 80, 450);
  request["pitch"] = std::clamp(voice.pitch, 0, 100);
  request["paragraph_pause_ms"] = std::clamp(voice.paragraph_pause_ms, 0, 60'000);

  const bool ipv6 = host_.find(':') != std::string::npos;
  const std::string host_text = ipv6 ? "[" + host_ + "]" : host_;
  Endpoint to{host_,
              port_,
              target_,
              port_ == "80" ? host_text : host_text + ":" + port_,
              options_.timeout,
              options_.body_limit};
  Exchange result;
  asio::io_context ioc(1);
  asio::co_spawn(ioc, exchange(to, boost::json::serialize(request), result),
                 [&result](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     result.error = internal(std::string("TTS request failed: ") + ex.what());
                   } catch (...) {
                     result.error = internal("TTS request failed with an unknown exception");
                   }
                 });
  ioc.run();
  if (result.error) return *result.error;

  const auto& response = result.response;
  if (response.result_int() != 200) {
    const std::string body = printable(response.body(), kQuotedBodyBytes);
    return unavailable("the engine answered " + std::to_string(response.result_int()) +
                       (body.empty() ? std::string() : ": " + body));
  }
  const auto content_type = response[bhttp::field::content_type];
  if (!is_wav_media_type(std::string_view(content_type.data(), content_type.size()))) {
    return invalid("tts_bad_content_type",
                   "the engine answered 200 with Content-Type '" +
                       printable(std::string_view(content_type.data(), content_type.size()), 100) +
                       "', not audio/wav");
  }
  return parse_wav(response.body());
}

}  // namespace nguon::tts
