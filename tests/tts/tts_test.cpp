// Speech synthesis adapters: eSpeak NG in process, and the HTTP engine client against a real
// HTTP server in this process that speaks the documented wire protocol with sine-wave WAVs.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <mutex>
#include <numbers>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "adapters/tts/espeak_synthesizer.h"
#include "adapters/tts/http_synthesizer.h"

namespace nguon::tts {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

constexpr const char* kSentence = "Ủy ban nhân dân phường Hạc Thành thông báo lịch tiêm chủng.";

// 97 words (Vietnamese words are syllables): a typical short ward bulletin.
constexpr const char* kBulletin =
    "Ủy ban nhân dân phường Hạc Thành thông báo đến toàn thể nhân dân trên địa bàn về lịch tiêm "
    "chủng mở rộng tháng này. Các gia đình có trẻ em dưới năm tuổi vui lòng đưa trẻ đến trạm y "
    "tế phường vào sáng thứ bảy và chủ nhật, từ bảy giờ đến mười một giờ. Khi đi nhớ mang theo "
    "sổ tiêm chủng và thẻ bảo hiểm y tế của trẻ. Mọi thắc mắc xin liên hệ cán bộ y tế của khu "
    "phố để được hướng dẫn cụ thể. Xin trân trọng thông báo.";

double rms(const std::vector<float>& samples) {
  double sum = 0;
  for (const float s : samples) sum += static_cast<double>(s) * s;
  return samples.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(samples.size()));
}

// Longest run of samples with |s| below `threshold`, in seconds.
double longest_silence(const PcmAudio& pcm, float threshold = 1e-3f) {
  std::size_t best = 0;
  std::size_t run = 0;
  for (const float s : pcm.samples) {
    run = std::fabs(s) < threshold ? run + 1 : 0;
    best = std::max(best, run);
  }
  return static_cast<double>(best) / pcm.sample_rate;
}

VoiceSettings voice(VoiceVariant variant = VoiceVariant::kNorthern, int rate = 150,
                    int pause_ms = 700) {
  VoiceSettings v;
  v.variant = variant;
  v.rate_wpm = rate;
  v.paragraph_pause_ms = pause_ms;
  return v;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// ---------------------------------------------------------------------------------------------
// eSpeak NG

TEST(EspeakSynthesizerTest, SpeaksAVietnameseSentence) {
  EspeakSynthesizer tts;
  EXPECT_EQ(tts.name(), "espeak-ng");
  ASSERT_TRUE(tts.initialize().ok());
  Result<PcmAudio> pcm = tts.synthesize(kSentence, voice());
  ASSERT_TRUE(pcm.ok()) << pcm.error().message;
  EXPECT_EQ(pcm->channels, 1);
  EXPECT_EQ(pcm->sample_rate, 22050);
  EXPECT_GE(pcm->duration_seconds(), 2.0);
  EXPECT_LE(pcm->duration_seconds(), 10.0);
  EXPECT_GT(rms(pcm->samples), 0.02);
  EXPECT_TRUE(std::all_of(pcm->samples.begin(), pcm->samples.end(),
                          [](float s) { return s >= -1.0f && s <= 1.0f; }));
}

TEST(EspeakSynthesizerTest, ThreeVariantsWorkAndDiffer) {
  // Output is not bit-reproducible (the library carries state from one synthesis to the
  // next), so "differ" is judged against the spread of the same voice said twice.
  EspeakSynthesizer tts;
  const VoiceVariant variants[] = {VoiceVariant::kNorthern, VoiceVariant::kCentral,
                                   VoiceVariant::kSouthern};
  std::vector<double> mean(3);
  double spread = 0;
  for (int i = 0; i < 3; ++i) {
    double d[2];
    for (int k = 0; k < 2; ++k) {
      Result<PcmAudio> pcm = tts.synthesize(kSentence, voice(variants[i]));
      ASSERT_TRUE(pcm.ok()) << pcm.error().message;
      EXPECT_GT(rms(pcm->samples), 0.02) << "variant " << i;
      EXPECT_GE(pcm->duration_seconds(), 2.0);
      d[k] = pcm->duration_seconds();
    }
    mean[i] = (d[0] + d[1]) / 2;
    spread = std::max(spread, std::fabs(d[0] - d[1]));
  }
  for (int a = 0; a < 3; ++a) {
    for (int b = a + 1; b < 3; ++b) {
      const double gap = std::fabs(mean[a] - mean[b]);
      EXPECT_GT(gap, std::max(0.03, 3 * spread))
          << "variants " << a << " and " << b << ": " << mean[a] << " s vs " << mean[b] << " s";
    }
  }
}

TEST(EspeakSynthesizerTest, FasterRateGivesShorterAudio) {
  EspeakSynthesizer tts;
  Result<PcmAudio> slow = tts.synthesize(kSentence, voice(VoiceVariant::kNorthern, 100));
  Result<PcmAudio> fast = tts.synthesize(kSentence, voice(VoiceVariant::kNorthern, 300));
  // Out-of-range rates are clamped, not refused.
  Result<PcmAudio> fastest = tts.synthesize(kSentence, voice(VoiceVariant::kNorthern, 10'000));
  ASSERT_TRUE(slow.ok() && fast.ok() && fastest.ok());
  EXPECT_LT(fast->duration_seconds(), 0.6 * slow->duration_seconds());
  EXPECT_LT(fastest->duration_seconds(), fast->duration_seconds());
}

TEST(EspeakSynthesizerTest, ParagraphPauseAddsTheConfiguredSilence) {
  EspeakSynthesizer tts;
  // Several blank lines, with white space and CR, are one paragraph break.
  const std::string text = "Thông báo thứ nhất.\r\n  \n\n\nThông báo thứ hai.";
  Result<PcmAudio> none = tts.synthesize(text, voice(VoiceVariant::kNorthern, 150, 0));
  Result<PcmAudio> long_pause = tts.synthesize(text, voice(VoiceVariant::kNorthern, 150, 1500));
  ASSERT_TRUE(none.ok() && long_pause.ok());
  const double added = long_pause->duration_seconds() - none->duration_seconds();
  EXPECT_NEAR(added, 1.5, 0.05);
  EXPECT_GE(longest_silence(*long_pause), 1.5);
  EXPECT_LT(longest_silence(*none), 0.8);
  // One paragraph: no pause at all, whatever the setting.
  Result<PcmAudio> single = tts.synthesize("Thông báo thứ nhất.", voice({}, 150, 5000));
  ASSERT_TRUE(single.ok());
  EXPECT_LT(single->duration_seconds(), 3.0);
}

TEST(EspeakSynthesizerTest, RefusesEmptyOversizedAndMalformedText) {
  EspeakSynthesizer tts;
  for (const char* empty : {"", "   ", "\n\n\t \r\n", "\u00a0\u3000"}) {
    Result<PcmAudio> r = tts.synthesize(empty, voice());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
    EXPECT_EQ(r.error().code, "empty_text") << "'" << empty << "'";
  }
  EspeakSynthesizer small(EspeakOptions{.max_text_chars = 10});
  EXPECT_TRUE(small.synthesize("Hạc Thành!", voice()).ok());  // 10 code points, 14 bytes
  Result<PcmAudio> long_text = small.synthesize("Hạc Thành!!", voice());
  ASSERT_FALSE(long_text.ok());
  EXPECT_EQ(long_text.error().code, "text_too_long");
  EXPECT_EQ(tts.synthesize("Hạc \xff", voice()).error().code, "invalid_utf8");
  EXPECT_EQ(tts.synthesize(std::string("a\0b", 3), voice()).error().code, "invalid_text");
}

TEST(EspeakSynthesizerTest, DefaultLimitIsOneHundredThousandCharacters) {
  EspeakSynthesizer tts;
  Result<PcmAudio> r = tts.synthesize(std::string(100'001, 'a'), voice());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "text_too_long");
}

TEST(EspeakSynthesizerTest, ConcurrentCallsAllSucceed) {
  EspeakSynthesizer tts;
  std::vector<std::optional<Result<PcmAudio>>> results(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      results[i].emplace(tts.synthesize(kSentence, voice(static_cast<VoiceVariant>(i % 3))));
    });
  }
  for (auto& t : threads) t.join();
  for (auto& r : results) {
    ASSERT_TRUE(r.has_value() && r->ok()) << (r && !r->ok() ? r->error().message : "");
    EXPECT_GE((*r)->duration_seconds(), 2.0);
    EXPECT_LE((*r)->duration_seconds(), 10.0);
    EXPECT_GT(rms((*r)->samples), 0.02);
  }
}

TEST(EspeakSynthesizerTest, OneDataPathPerProcess) {
  EspeakSynthesizer tts;
  ASSERT_TRUE(tts.initialize().ok());
  EspeakSynthesizer other(EspeakOptions{.data_path = "/usr/share/espeak-ng-data"});
  Status s = other.initialize();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kInternal);
  EXPECT_NE(s.error().message.find("already initialised"), std::string::npos);
}

TEST(EspeakSynthesizerDeathTest, MissingDataIsAnErrorThatLeavesTheLibraryUsable) {
  // In a fresh process, so that the library is not yet initialised.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        EspeakSynthesizer missing(EspeakOptions{.data_path = "/nonexistent/espeak"});
        Result<PcmAudio> r = missing.synthesize(kSentence, voice());
        const bool precise = !r.ok() && r.error().kind == ErrorKind::kInternal &&
                             r.error().message.find("phontab") != std::string::npos;
        EspeakSynthesizer system;
        const bool usable = system.synthesize(kSentence, voice()).ok();
        std::exit(precise && usable ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(EspeakSynthesizerTest, RealTimeFactor) {
  EspeakSynthesizer tts;
  ASSERT_TRUE(tts.initialize().ok());
  const double cpu_start = thread_cpu_seconds();
  Result<PcmAudio> pcm = tts.synthesize(kBulletin, voice());
  const double cpu = thread_cpu_seconds() - cpu_start;
  ASSERT_TRUE(pcm.ok());
  const double factor = pcm->duration_seconds() / cpu;
  std::printf("espeak-ng: %.1f s of audio in %.3f s of CPU: real-time factor %.0fx\n",
              pcm->duration_seconds(), cpu, factor);
  RecordProperty("real_time_factor", std::to_string(factor));
  EXPECT_GT(pcm->duration_seconds(), 20.0);
  EXPECT_GT(factor, 5.0);  // formant synthesis is far faster than real time
}

// ---------------------------------------------------------------------------------------------
// WAV bodies

void put16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>(v >> 8));
}
void put32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// Interleaved 16-bit little-endian samples of a sine at half scale.
std::string sine_pcm(int frames, int channels, int rate, double hz = 440) {
  std::string out;
  for (int f = 0; f < frames; ++f) {
    const double v = 0.5 * std::sin(2 * std::numbers::pi * hz * f / rate);
    for (int c = 0; c < channels; ++c) {
      put16(out, static_cast<std::uint16_t>(static_cast<std::int16_t>(std::lround(v * 32767))));
    }
  }
  return out;
}

struct WavSpec {
  std::uint16_t format_tag = 1;
  std::uint16_t channels = 1;
  std::uint32_t sample_rate = 16000;
  std::uint16_t bits = 16;
  std::optional<std::uint16_t> block_align;  // default channels * bits / 8
  std::optional<std::uint32_t> fmt_size;     // default 16; the body is cut or zero-padded
  std::string before_data;                   // raw chunks between fmt and data
  std::string data;                          // raw data bytes
  std::optional<std::uint32_t> data_size;    // declared size; default data.size()
  std::optional<std::uint32_t> riff_size;    // default the true size
};

std::string build_wav(const WavSpec& s) {
  std::string fmt;
  put16(fmt, s.format_tag);
  put16(fmt, s.channels);
  put32(fmt, s.sample_rate);
  const std::uint16_t align = s.block_align.value_or(s.channels * s.bits / 8);
  put32(fmt, s.sample_rate * align);
  put16(fmt, align);
  put16(fmt, s.bits);
  const std::uint32_t fmt_size = s.fmt_size.value_or(16);
  fmt.resize(fmt_size, '\0');
  std::string body = "WAVE";
  body += "fmt ";
  put32(body, fmt_size);
  body += fmt;
  if (fmt_size % 2) body.push_back('\0');
  body += s.before_data;
  body += "data";
  put32(body, s.data_size.value_or(static_cast<std::uint32_t>(s.data.size())));
  body += s.data;
  std::string out = "RIFF";
  put32(out, s.riff_size.value_or(static_cast<std::uint32_t>(body.size())));
  return out + body;
}

std::string chunk(const std::string& id, const std::string& payload,
                  std::optional<std::uint32_t> declared = std::nullopt) {
  std::string out = id;
  put32(out, declared.value_or(static_cast<std::uint32_t>(payload.size())));
  out += payload;
  if (payload.size() % 2) out.push_back('\0');
  return out;
}

std::string wav_code(const std::string& bytes) {
  Result<PcmAudio> r = parse_wav(bytes);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
  return r.error().code;
}

TEST(ParseWavTest, DecodesMonoAndStereoPcm16) {
  Result<PcmAudio> mono = parse_wav(build_wav({.data = sine_pcm(1600, 1, 16000)}));
  ASSERT_TRUE(mono.ok()) << mono.error().message;
  EXPECT_EQ(mono->sample_rate, 16000);
  EXPECT_EQ(mono->channels, 1);
  ASSERT_EQ(mono->samples.size(), 1600u);
  for (int f : {0, 9, 100, 1599}) {
    EXPECT_NEAR(mono->samples[f], 0.5 * std::sin(2 * std::numbers::pi * 440 * f / 16000), 1e-4)
        << f;
  }
  // Stereo at 44.1 kHz, with an odd-sized LIST chunk (and its pad byte) before the data.
  Result<PcmAudio> stereo = parse_wav(build_wav({.channels = 2,
                                                 .sample_rate = 44100,
                                                 .before_data = chunk("LIST", "INFOabc"),
                                                 .data = sine_pcm(441, 2, 44100)}));
  ASSERT_TRUE(stereo.ok()) << stereo.error().message;
  EXPECT_EQ(stereo->channels, 2);
  EXPECT_EQ(stereo->sample_rate, 44100);
  EXPECT_EQ(stereo->samples.size(), 882u);
  EXPECT_NEAR(stereo->duration_seconds(), 0.01, 1e-9);
}

TEST(ParseWavTest, AcceptsStreamingSizesAndExtensiblePcm) {
  // A streaming writer's unknown sizes: the data runs to the end of the body.
  Result<PcmAudio> streamed = parse_wav(build_wav(
      {.data = sine_pcm(500, 1, 16000), .data_size = 0xFFFFFFFFu, .riff_size = 0xFFFFFFFFu}));
  ASSERT_TRUE(streamed.ok()) << streamed.error().message;
  EXPECT_EQ(streamed->samples.size(), 500u);

  // WAVE_FORMAT_EXTENSIBLE with the PCM sub-format.
  std::string ext;
  put16(ext, 0xFFFE);
  put16(ext, 1);
  put32(ext, 16000);
  put32(ext, 32000);
  put16(ext, 2);
  put16(ext, 16);
  put16(ext, 22);
  put16(ext, 16);
  put32(ext, 4);
  const unsigned char guid[16] = {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
                                  0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
  ext.append(reinterpret_cast<const char*>(guid), 16);
  std::string bytes = "WAVE" + chunk("fmt ", ext) + chunk("data", sine_pcm(100, 1, 16000));
  std::string riff = "RIFF";
  put32(riff, static_cast<std::uint32_t>(bytes.size()));
  Result<PcmAudio> extensible = parse_wav(riff + bytes);
  ASSERT_TRUE(extensible.ok()) << extensible.error().message;
  EXPECT_EQ(extensible->samples.size(), 100u);
  // The same with the IEEE float sub-format is refused.
  std::string float_ext = riff + bytes;
  float_ext[12 + 8 + 24] = 0x03;
  EXPECT_EQ(wav_code(float_ext), "wav_not_pcm16");
}

TEST(ParseWavTest, RefusesMalformedBodiesPrecisely) {
  const std::string good = build_wav({.data = sine_pcm(1000, 1, 16000)});
  EXPECT_EQ(wav_code(good), "ok");
  // Truncation anywhere.
  EXPECT_EQ(wav_code(""), "wav_truncated");
  EXPECT_EQ(wav_code("RIF"), "wav_truncated");
  EXPECT_EQ(wav_code(good.substr(0, 11)), "wav_truncated");
  EXPECT_EQ(wav_code(good.substr(0, 40)), "wav_truncated");       // inside the data header
  EXPECT_EQ(wav_code(good.substr(0, 1000)), "wav_truncated");     // inside the samples
  EXPECT_EQ(wav_code(good.substr(0, 24)), "wav_bad_chunk_size");  // inside fmt
  // Not RIFF/WAVE.
  EXPECT_EQ(wav_code("ID3\x03 this is an mp3 file"), "wav_not_riff");
  EXPECT_EQ(wav_code("RIFX" + good.substr(4)), "wav_not_riff");
  EXPECT_EQ(wav_code(good.substr(0, 8) + "AVI " + good.substr(12)), "wav_not_riff");
  EXPECT_EQ(wav_code("{\"error\":\"model not loaded\"}"), "wav_not_riff");
  // Bad chunk sizes.
  EXPECT_EQ(wav_code(build_wav({.fmt_size = 8, .data = sine_pcm(10, 1, 16000)})),
            "wav_bad_chunk_size");
  EXPECT_EQ(wav_code(build_wav({.before_data = chunk("LIST", "INFO", 0x40000000),
                                .data = sine_pcm(10, 1, 16000)})),
            "wav_bad_chunk_size");
  EXPECT_EQ(wav_code(build_wav({.data = sine_pcm(10, 1, 16000) + "x"})), "wav_bad_chunk_size");
  EXPECT_EQ(wav_code(build_wav({.data = sine_pcm(10, 1, 16000), .data_size = 0x7FFFFFF0})),
            "wav_truncated");
  // Not PCM 16.
  EXPECT_EQ(wav_code(build_wav({.format_tag = 3, .bits = 32, .data = std::string(40, '\0')})),
            "wav_not_pcm16");
  EXPECT_EQ(wav_code(build_wav({.bits = 8, .data = std::string(40, '\x80')})), "wav_not_pcm16");
  EXPECT_EQ(wav_code(build_wav({.bits = 24, .data = std::string(42, '\0')})), "wav_not_pcm16");
  EXPECT_EQ(wav_code(build_wav({.format_tag = 0x55, .data = std::string(40, '\0')})),
            "wav_not_pcm16");
  // Implausible formats.
  EXPECT_EQ(wav_code(build_wav({.channels = 6, .data = std::string(24, '\0')})), "wav_bad_format");
  EXPECT_EQ(wav_code(build_wav({.channels = 0, .data = std::string(24, '\0')})), "wav_bad_format");
  EXPECT_EQ(wav_code(build_wav({.sample_rate = 1000, .data = std::string(24, '\0')})),
            "wav_bad_format");
  EXPECT_EQ(wav_code(build_wav({.block_align = 4, .data = std::string(24, '\0')})),
            "wav_bad_format");
  EXPECT_EQ(wav_code(build_wav({.before_data = chunk("fmt ", std::string(16, '\0')),
                                .data = std::string(24, '\0')})),
            "wav_bad_format");
  // Missing chunks, no samples.
  std::string no_data = good.substr(0, 36);
  no_data.replace(4, 4, std::string("\x1c\0\0\0", 4));
  EXPECT_EQ(wav_code(no_data), "wav_missing_data");
  EXPECT_EQ(wav_code(std::string("RIFF\x04\0\0\0WAVE", 12)), "wav_missing_fmt");
  EXPECT_EQ(wav_code("RIFF" + good.substr(4, 8) + chunk("data", "abcd")), "wav_missing_fmt");
  EXPECT_EQ(wav_code(build_wav({})), "wav_empty");
}

TEST(ParseWavTest, SurvivesEveryTruncationAndCorruption) {
  // No input may crash or read out of bounds (run under ASan with the unit label).
  const std::string good = build_wav(
      {.channels = 2, .before_data = chunk("LIST", "INFOxyz"), .data = sine_pcm(64, 2, 16000)});
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(parse_wav(good.substr(0, n)).ok()) << n;
  }
  std::uint32_t state = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string bytes = good;
    for (int k = 0; k < 4; ++k) {
      state = state * 1664525u + 1013904223u;
      bytes[(state >> 8) % bytes.size()] = static_cast<char>(state >> 24);
    }
    Result<PcmAudio> r = parse_wav(bytes);
    if (r.ok()) {
      EXPECT_LE(r->samples.size() * 2, bytes.size());
    }
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP engine

using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

// A real HTTP/1.1 server on 127.0.0.1 (any free port), serving one connection at a time on its
// own thread with the given handler. Records every request it reads.
class FakeEngine {
 public:
  using Handler = std::function<Response(const Request&, FakeEngine&)>;

  explicit FakeEngine(Handler handler)
      : handler_(std::move(handler)),
        acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        port_(acceptor_.local_endpoint().port()),
        thread_([this] { serve(); }) {}

  ~FakeEngine() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    stopped_.notify_all();
    // Wakes the blocking accept.
    tcp::socket wake(ioc_);
    boost::system::error_code ec;
    wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    thread_.join();
  }

  std::uint16_t port() const { return port_; }

  std::string url(const std::string& path = "/v1/synthesize") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

  // For handlers that play a slow engine: returns after `d`, or sooner when the test ends.
  void sleep_unless_stopped(milliseconds d) {
    std::unique_lock lock(mu_);
    stopped_.wait_for(lock, d, [this] { return stopping_; });
  }

 private:
  void serve() {
    for (;;) {
      tcp::socket socket(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
      }
      if (ec) continue;
      beast::flat_buffer buffer;
      Request request;
      bhttp::read(socket, buffer, request, ec);
      if (ec) continue;
      {
        std::lock_guard lock(mu_);
        requests_.push_back(request);
      }
      Response response = handler_(request, *this);
      bhttp::write(socket, response, ec);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  Handler handler_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::uint16_t port_;
  mutable std::mutex mu_;
  std::condition_variable stopped_;
  bool stopping_ = false;
  std::vector<Request> requests_;
  std::thread thread_;  // last: starts once everything above exists
};

Response reply(bhttp::status status, std::string body, const std::string& content_type) {
  Response r{status, 11};
  r.set(bhttp::field::content_type, content_type);
  r.body() = std::move(body);
  r.keep_alive(false);
  r.prepare_payload();
  return r;
}

// The protocol done right: a sine WAV whose length follows the text, 16 kHz mono by default.
FakeEngine::Handler sine_engine(int channels = 1, int rate = 16000) {
  return [=](const Request& request, FakeEngine&) {
    const boost::json::value json = boost::json::parse(request.body());
    const auto text = json.at("text").as_string();
    const int frames = static_cast<int>(text.size()) * 100;
    return reply(bhttp::status::ok,
                 build_wav({.channels = static_cast<std::uint16_t>(channels),
                            .sample_rate = static_cast<std::uint32_t>(rate),
                            .data = sine_pcm(frames, channels, rate)}),
                 "audio/wav");
  };
}

FakeEngine::Handler fixed(bhttp::status status, std::string body,
                          std::string content_type = "audio/wav") {
  return [=](const Request&, FakeEngine&) { return reply(status, body, content_type); };
}

std::unique_ptr<HttpSynthesizer> client(const std::string& url,
                                        milliseconds timeout = milliseconds(10'000),
                                        std::size_t body_limit = 200u << 20) {
  Result<std::unique_ptr<HttpSynthesizer>> c =
      HttpSynthesizer::create({.url = url, .timeout = timeout, .body_limit = body_limit});
  EXPECT_TRUE(c.ok()) << c.error().message;
  return c.ok() ? std::move(c.value()) : nullptr;
}

TEST(HttpSynthesizerTest, SendsTheDocumentedRequestAndDecodesTheWav) {
  FakeEngine engine(sine_engine());
  auto tts = client(engine.url());
  ASSERT_TRUE(tts);
  EXPECT_EQ(tts->name(), "http:" + engine.url());
  VoiceSettings v;
  v.variant = VoiceVariant::kCentral;
  v.rate_wpm = 200;
  v.pitch = 30;
  v.paragraph_pause_ms = 900;
  const std::string text = std::string(kSentence) + "\n\nĐoạn hai.";
  Result<PcmAudio> pcm = tts->synthesize(text, v);
  ASSERT_TRUE(pcm.ok()) << pcm.error().code << ": " << pcm.error().message;
  EXPECT_EQ(pcm->sample_rate, 16000);
  EXPECT_EQ(pcm->channels, 1);
  EXPECT_EQ(pcm->samples.size(), text.size() * 100);
  EXPECT_NEAR(pcm->samples[7], 0.5 * std::sin(2 * std::numbers::pi * 440 * 7 / 16000), 1e-4);

  const std::vector<Request> requests = engine.requests();
  ASSERT_EQ(requests.size(), 1u);
  const Request& r = requests[0];
  EXPECT_EQ(r.method(), bhttp::verb::post);
  EXPECT_EQ(r.target(), "/v1/synthesize");
  EXPECT_EQ(r[bhttp::field::content_type], "application/json");
  EXPECT_EQ(r[bhttp::field::host], "127.0.0.1:" + std::to_string(engine.port()));
  EXPECT_EQ(r[bhttp::field::accept], "audio/wav");
  const boost::json::object json = boost::json::parse(r.body()).as_object();
  EXPECT_EQ(json.size(), 5u);
  EXPECT_EQ(json.at("text").as_string(), text);
  EXPECT_EQ(json.at("voice").as_string(), "central");
  EXPECT_EQ(json.at("rate_wpm").as_int64(), 200);
  EXPECT_EQ(json.at("pitch").as_int64(), 30);
  EXPECT_EQ(json.at("paragraph_pause_ms").as_int64(), 900);
}

TEST(HttpSynthesizerTest, MapsVoicesAndClampsSettings) {
  FakeEngine engine(sine_engine(2, 22050));
  auto tts = client(engine.url("/"));
  ASSERT_TRUE(tts);
  VoiceSettings v;
  v.variant = VoiceVariant::kSouthern;
  v.rate_wpm = 1000;
  v.pitch = -5;
  v.paragraph_pause_ms = -1;
  Result<PcmAudio> stereo = tts->synthesize("Xin chào", v);
  ASSERT_TRUE(stereo.ok()) << stereo.error().message;
  EXPECT_EQ(stereo->channels, 2);
  EXPECT_EQ(stereo->sample_rate, 22050);
  EXPECT_EQ(stereo->samples.size(), std::string("Xin chào").size() * 100 * 2);
  v = VoiceSettings{};
  v.rate_wpm = 10;
  v.pitch = 500;
  ASSERT_TRUE(tts->synthesize("Xin chào", v).ok());

  const std::vector<Request> requests = engine.requests();
  ASSERT_EQ(requests.size(), 2u);
  const auto first = boost::json::parse(requests[0].body()).as_object();
  EXPECT_EQ(first.at("voice").as_string(), "south");
  EXPECT_EQ(first.at("rate_wpm").as_int64(), 450);
  EXPECT_EQ(first.at("pitch").as_int64(), 0);
  EXPECT_EQ(first.at("paragraph_pause_ms").as_int64(), 0);
  const auto second = boost::json::parse(requests[1].body()).as_object();
  EXPECT_EQ(second.at("voice").as_string(), "north");
  EXPECT_EQ(second.at("rate_wpm").as_int64(), 80);
  EXPECT_EQ(second.at("pitch").as_int64(), 100);
  EXPECT_EQ(requests[1].target(), "/");
}

TEST(HttpSynthesizerTest, ServerErrorIsUnavailable) {
  FakeEngine engine(
      fixed(bhttp::status::internal_server_error, "CUDA out of memory", "text/plain"));
  auto tts = client(engine.url());
  Result<PcmAudio> r = tts->synthesize(kSentence, voice());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(r.error().code, "tts_unavailable");
  EXPECT_NE(r.error().message.find("500"), std::string::npos);
  EXPECT_NE(r.error().message.find("CUDA out of memory"), std::string::npos);
}

TEST(HttpSynthesizerTest, MalformedWavBodiesAreInvalidWithPreciseCodes) {
  const std::string good = build_wav({.data = sine_pcm(4000, 1, 16000)});
  struct Case {
    std::string body;
    std::string content_type;
    std::string code;
  };
  const std::vector<Case> cases = {
      {good.substr(0, good.size() - 1001), "audio/wav", "wav_truncated"},
      {build_wav({.fmt_size = 12, .data = sine_pcm(10, 1, 16000)}), "audio/wav",
       "wav_bad_chunk_size"},
      {build_wav({.before_data = chunk("LIST", "INFO", 999999), .data = sine_pcm(10, 1, 16000)}),
       "audio/x-wav", "wav_bad_chunk_size"},
      {build_wav({.format_tag = 3, .bits = 32, .data = std::string(400, '\0')}),
       "audio/wav; codecs=1", "wav_not_pcm16"},
      {"OggS, not a WAV file", "audio/wav", "wav_not_riff"},
      {good, "audio/mpeg", "tts_bad_content_type"},
      {good, "", "tts_bad_content_type"},
  };
  for (const Case& c : cases) {
    FakeEngine engine(fixed(bhttp::status::ok, c.body, c.content_type));
    auto tts = client(engine.url());
    Result<PcmAudio> r = tts->synthesize(kSentence, voice());
    ASSERT_FALSE(r.ok()) << c.code;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalid) << c.code;
    EXPECT_EQ(r.error().code, c.code) << r.error().message;
  }
}

TEST(HttpSynthesizerTest, ConnectionRefusedIsUnavailable) {
  std::uint16_t port = 0;
  {
    asio::io_context ioc;
    tcp::acceptor probe(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  auto tts = client("http://127.0.0.1:" + std::to_string(port) + "/v1/synthesize");
  Result<PcmAudio> r = tts->synthesize(kSentence, voice());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(r.error().code, "tts_unavailable");
  EXPECT_NE(r.error().message.find("refused"), std::string::npos) << r.error().message;
}

TEST(HttpSynthesizerTest, TimeoutIsHonoured) {
  FakeEngine engine([](const Request& request, FakeEngine& self) {
    self.sleep_unless_stopped(milliseconds(5000));
    return sine_engine()(request, self);
  });
  auto tts = client(engine.url(), milliseconds(1000));
  const auto start = std::chrono::steady_clock::now();
  Result<PcmAudio> r = tts->synthesize(kSentence, voice());
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(r.error().code, "tts_unavailable");
  EXPECT_NE(r.error().message.find("within 1000 ms"), std::string::npos) << r.error().message;
  EXPECT_GE(elapsed, 0.95);
  EXPECT_LT(elapsed, 2.5);
}

TEST(HttpSynthesizerTest, BodyLimitIsEnforced) {
  FakeEngine engine(sine_engine());
  auto tts = client(engine.url(), milliseconds(10'000), 4096);
  Result<PcmAudio> r = tts->synthesize(kSentence, voice());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(r.error().code, "tts_response_too_large");
}

TEST(HttpSynthesizerTest, RefusesBadTextWithoutCallingTheEngine) {
  FakeEngine engine(sine_engine());
  Result<std::unique_ptr<HttpSynthesizer>> tts =
      HttpSynthesizer::create({.url = engine.url(), .max_text_chars = 5});
  ASSERT_TRUE(tts.ok());
  EXPECT_EQ((*tts)->synthesize(" \n\n ", voice()).error().code, "empty_text");
  EXPECT_EQ((*tts)->synthesize("", voice()).error().code, "empty_text");
  EXPECT_EQ((*tts)->synthesize("Hạc Thành", voice()).error().code, "text_too_long");
  EXPECT_EQ((*tts)->synthesize("\xc3\x28", voice()).error().code, "invalid_utf8");
  EXPECT_TRUE((*tts)->synthesize("Hạc", voice()).ok());
  EXPECT_EQ(engine.requests().size(), 1u);
}

TEST(HttpSynthesizerTest, ValidatesTheUrl) {
  for (const char* bad :
       {"https://tts.example.org/v1", "ftp://127.0.0.1/", "127.0.0.1:5002", "http://",
        "http://:5002/", "http://127.0.0.1:0/", "http://127.0.0.1:99999/", "http://h:12a/",
        "http://user@127.0.0.1/", "http://127.0.0.1/a b", "http://[::1/", "http://h:/"}) {
    Result<std::unique_ptr<HttpSynthesizer>> r = HttpSynthesizer::create({.url = bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "invalid_tts_url") << bad;
  }
  EXPECT_NE(HttpSynthesizer::create({.url = "https://x/"}).error().message.find("proxy"),
            std::string::npos);
  for (const char* good : {"http://127.0.0.1:5002/v1/synthesize", "http://localhost",
                           "HTTP://tts.lan:8080", "http://[::1]:5002/tts?model=vi"}) {
    Result<std::unique_ptr<HttpSynthesizer>> r = HttpSynthesizer::create({.url = good});
    ASSERT_TRUE(r.ok()) << good << ": " << r.error().message;
    EXPECT_EQ((*r)->name(), std::string("http:") + good);
  }
  EXPECT_EQ(HttpSynthesizer::create({.url = "http://h/", .timeout = milliseconds(0)}).error().code,
            "invalid_tts_timeout");
}

}  // namespace
}  // namespace nguon::tts
