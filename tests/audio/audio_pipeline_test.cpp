// The audio adapter: SndfileOpusPipeline (decode, loudness-normalised Opus encode), the
// resampler, decode_opus, and FileMediaStore. Every input is generated here, in memory, with
// libsndfile's virtual I/O: tones, a speech-like harmonic signal, and hand-made broken headers.
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numbers>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "adapters/audio/audio_pipeline.h"
#include "adapters/audio/file_media_store.h"

namespace nguon {
namespace {

constexpr double kPi = std::numbers::pi;

// ----------------------------------------------------------------------------- input makers

struct MemFile {
  std::string data;
  sf_count_t pos = 0;
};

sf_count_t mf_len(void* u) {
  return static_cast<sf_count_t>(static_cast<MemFile*>(u)->data.size());
}
sf_count_t mf_seek(sf_count_t off, int whence, void* u) {
  auto* f = static_cast<MemFile*>(u);
  const sf_count_t base = whence == SEEK_SET   ? 0
                          : whence == SEEK_CUR ? f->pos
                                               : static_cast<sf_count_t>(f->data.size());
  if (base + off < 0) return -1;
  f->pos = base + off;
  return f->pos;
}
sf_count_t mf_read(void* p, sf_count_t n, void* u) {
  auto* f = static_cast<MemFile*>(u);
  const auto size = static_cast<sf_count_t>(f->data.size());
  if (f->pos >= size) return 0;
  const sf_count_t k = std::min(n, size - f->pos);
  std::memcpy(p, f->data.data() + f->pos, static_cast<std::size_t>(k));
  f->pos += k;
  return k;
}
sf_count_t mf_write(const void* p, sf_count_t n, void* u) {
  auto* f = static_cast<MemFile*>(u);
  const auto end = static_cast<std::size_t>(f->pos + n);
  if (end > f->data.size()) f->data.resize(end);
  std::memcpy(f->data.data() + f->pos, p, static_cast<std::size_t>(n));
  f->pos += n;
  return n;
}
sf_count_t mf_tell(void* u) { return static_cast<MemFile*>(u)->pos; }

// Encodes interleaved float samples into a file of the given libsndfile format, in memory.
// Returns "" (and the test fails) when libsndfile cannot write that format.
std::string write_audio(const std::vector<float>& interleaved, int rate, int channels, int format) {
  SF_VIRTUAL_IO io{&mf_len, &mf_seek, &mf_read, &mf_write, &mf_tell};
  MemFile file;
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  SNDFILE* sf = sf_open_virtual(&io, SFM_WRITE, &info, &file);
  if (sf == nullptr) {
    ADD_FAILURE() << "libsndfile cannot write format 0x" << std::hex << format << ": "
                  << sf_strerror(nullptr);
    return "";
  }
  const auto frames = static_cast<sf_count_t>(interleaved.size() / channels);
  EXPECT_EQ(sf_writef_float(sf, interleaved.data(), frames), frames);
  sf_close(sf);
  return file.data;
}

std::vector<float> tone(double freq, double amplitude, int rate, double seconds) {
  const auto n = static_cast<std::size_t>(std::llround(seconds * rate));
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = static_cast<float>(amplitude * std::sin(2 * kPi * freq * i / rate));
  }
  return out;
}

// A voiced-speech stand-in: a gliding fundamental (100..180 Hz) with harmonics shaped by two
// formant peaks, syllable-rate (4 Hz) amplitude modulation and a 0.3 s pause every 1.5 s.
// Peak-normalised to `peak`. By default the harmonics have fixed pseudo-random phases, which
// keeps the peak-to-loudness ratio near 12 dB, so -16 LUFS fits under -1 dBTP with room for
// the codec. With `pulse_like`, all harmonics start in phase (a glottal-pulse-like train):
// the ratio is about 17 dB, as in much raw recorded or synthesized speech (see espeak-ng).
std::vector<float> speech_like(int rate, double seconds, double peak, bool pulse_like = false) {
  const auto n = static_cast<std::size_t>(std::llround(seconds * rate));
  std::vector<float> out(n);
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> uniform(0, 2 * kPi);
  std::vector<double> phases(64);
  for (double& p : phases) p = pulse_like ? 0.0 : uniform(rng);
  double phase = 0;
  double max_abs = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate;
    const double f0 = 140 + 40 * std::sin(2 * kPi * 0.7 * t);
    phase += 2 * kPi * f0 / rate;
    double v = 0;
    for (int k = 1; k < 64 && k * f0 < std::min(4000.0, 0.45 * rate); ++k) {
      const double f = k * f0;
      const double x1 = (f - 600) / 150;
      const double x2 = (f - 1800) / 250;
      const double formants = 1.0 / (1 + x1 * x1) + 0.6 / (1 + x2 * x2) + 0.05;
      v += formants / k * std::sin(k * phase + phases[static_cast<std::size_t>(k)]);
    }
    const double syllable = 0.3 + 0.7 * std::pow(std::sin(2 * kPi * 4 * t), 2);
    const double pause = std::fmod(t, 1.5) > 1.2 ? 0.0 : 1.0;
    out[i] = static_cast<float>(v * syllable * pause);
    max_abs = std::max(max_abs, std::abs(static_cast<double>(out[i])));
  }
  for (float& s : out) s = static_cast<float>(s * peak / max_abs);
  return out;
}

std::vector<float> interleave(const std::vector<float>& left, const std::vector<float>& right) {
  std::vector<float> out(left.size() * 2);
  for (std::size_t i = 0; i < left.size(); ++i) {
    out[2 * i] = left[i];
    out[2 * i + 1] = right[i];
  }
  return out;
}

PcmAudio pcm_of(std::vector<float> samples, int rate, int channels = 1) {
  PcmAudio pcm;
  pcm.sample_rate = rate;
  pcm.channels = channels;
  pcm.samples = std::move(samples);
  return pcm;
}

void put_le16(std::string& s, std::uint16_t v) {
  s.push_back(static_cast<char>(v & 0xFF));
  s.push_back(static_cast<char>(v >> 8));
}
void put_le32(std::string& s, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put_le64(std::string& s, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// A 16-bit PCM WAV header with the given fields, followed by `payload_bytes` of a quiet tone.
std::string handmade_wav(std::uint16_t channels, std::uint32_t rate, std::uint32_t data_size,
                         std::size_t payload_bytes) {
  std::string s = "RIFF";
  put_le32(s, static_cast<std::uint32_t>(36 + payload_bytes));
  s += "WAVEfmt ";
  put_le32(s, 16);
  put_le16(s, 1);
  put_le16(s, channels);
  put_le32(s, rate);
  put_le32(s, rate * channels * 2u);
  put_le16(s, static_cast<std::uint16_t>(channels * 2));
  put_le16(s, 16);
  s += "data";
  put_le32(s, data_size);
  for (std::size_t i = 0; i < payload_bytes / 2; ++i) {
    put_le16(s, static_cast<std::uint16_t>(static_cast<std::int16_t>(1000 * std::sin(i * 0.3))));
  }
  return s;
}

double rms_db(const std::vector<float>& x, std::size_t from = 0, std::size_t to = SIZE_MAX) {
  to = std::min(to, x.size());
  double sum = 0;
  for (std::size_t i = from; i < to; ++i) sum += static_cast<double>(x[i]) * x[i];
  return 10 * std::log10(sum / static_cast<double>(to - from) + 1e-30);
}

// Signal-to-error ratio of `got` against `want`, over [from, to).
double snr_db(const std::vector<float>& got, const std::vector<float>& want, std::size_t from,
              std::size_t to) {
  double signal = 0;
  double noise = 0;
  for (std::size_t i = from; i < to; ++i) {
    signal += static_cast<double>(want[i]) * want[i];
    const double e = static_cast<double>(got[i]) - want[i];
    noise += e * e;
  }
  return 10 * std::log10(signal / (noise + 1e-30));
}

// Fraction of the signal's energy at `freq` (Goertzel over the whole signal).
double energy_fraction_at(const std::vector<float>& x, int rate, double freq) {
  double re = 0;
  double im = 0;
  double total = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    re += x[i] * std::cos(2 * kPi * freq * i / rate);
    im += x[i] * std::sin(2 * kPi * freq * i / rate);
    total += static_cast<double>(x[i]) * x[i];
  }
  return 2 * (re * re + im * im) / static_cast<double>(x.size()) / total;
}

SndfileOpusOptions options_with(AudioLimits limits) {
  SndfileOpusOptions o;
  o.limits = limits;
  return o;
}

#define EXPECT_ERROR_CODE(result, expected_code)                       \
  do {                                                                 \
    const auto& r_ = (result);                                         \
    ASSERT_FALSE(r_.ok()) << "expected error " << (expected_code);     \
    EXPECT_EQ(r_.error().code, (expected_code)) << r_.error().message; \
  } while (0)

// ------------------------------------------------------------------------------- decoding

struct FormatCase {
  const char* name;
  int format;
  int rate;
  double duration_tolerance_s = 0.001;
};

class DecodeFormat : public ::testing::TestWithParam<FormatCase> {};

TEST_P(DecodeFormat, DecodesWithTheRightDuration) {
  const FormatCase& c = GetParam();
  const std::vector<float> signal = speech_like(c.rate, 2.5, 0.5);
  const std::string bytes = write_audio(signal, c.rate, 1, c.format);
  ASSERT_FALSE(bytes.empty());
  SndfileOpusPipeline pipeline;
  auto pcm = pipeline.decode(bytes);
  ASSERT_TRUE(pcm.ok()) << pcm.error().code << ": " << pcm.error().message;
  EXPECT_EQ(pcm->sample_rate, c.rate);
  EXPECT_EQ(pcm->channels, 1);
  EXPECT_NEAR(pcm->duration_seconds(), 2.5, c.duration_tolerance_s) << c.name;
  // The audio itself came through, not just the header: same level within 1 dB.
  EXPECT_NEAR(rms_db(pcm->samples), rms_db(signal), 1.0) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    AllFormats, DecodeFormat,
    ::testing::Values(FormatCase{"wav16", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100},
                      FormatCase{"wav_float", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 22050},
                      FormatCase{"wav_ulaw", SF_FORMAT_WAV | SF_FORMAT_ULAW, 8000},
                      // ADPCM pads the last block (1017 frames at 16 kHz).
                      FormatCase{"wav_ima_adpcm", SF_FORMAT_WAV | SF_FORMAT_IMA_ADPCM, 16000, 0.07},
                      FormatCase{"rf64", SF_FORMAT_RF64 | SF_FORMAT_PCM_24, 48000},
                      FormatCase{"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 44100},
                      FormatCase{"ogg_vorbis", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 44100},
                      FormatCase{"ogg_opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000},
                      FormatCase{"mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 44100},
                      FormatCase{"mp3_8k", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 8000}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Decode, StereoKeepsItsChannels) {
  const auto left = tone(440, 0.3, 44100, 1.0);
  const auto right = tone(660, 0.3, 44100, 1.0);
  const std::string bytes =
      write_audio(interleave(left, right), 44100, 2, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  SndfileOpusPipeline pipeline;
  auto pcm = pipeline.decode(bytes);
  ASSERT_TRUE(pcm.ok()) << pcm.error().message;
  EXPECT_EQ(pcm->channels, 2);
  EXPECT_EQ(pcm->samples.size(), 2u * 44100);
  EXPECT_NEAR(pcm->samples[2 * 100 + 1], right[100], 1e-3);
}

TEST(Decode, NonFiniteFloatSamplesBecomeZero) {
  std::vector<float> samples = tone(440, 0.5, 16000, 0.5);
  samples[10] = std::numeric_limits<float>::quiet_NaN();
  samples[20] = std::numeric_limits<float>::infinity();
  const std::string bytes = write_audio(samples, 16000, 1, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  SndfileOpusPipeline pipeline;
  auto pcm = pipeline.decode(bytes);
  ASSERT_TRUE(pcm.ok()) << pcm.error().message;
  for (const float s : pcm->samples) ASSERT_TRUE(std::isfinite(s));
  EXPECT_EQ(pcm->samples[10], 0.0f);
  EXPECT_EQ(pcm->samples[20], 0.0f);
}

TEST(Decode, ReadsItsOwnOpusOutput) {
  SndfileOpusPipeline pipeline;
  auto encoded = pipeline.encode_broadcast(pcm_of(speech_like(16000, 2.0, 0.3), 16000));
  ASSERT_TRUE(encoded.ok()) << encoded.error().message;
  auto pcm = pipeline.decode(encoded->bytes);
  ASSERT_TRUE(pcm.ok()) << pcm.error().message;
  EXPECT_EQ(pcm->sample_rate, pipeline.options().output_sample_rate);  // the header's input rate
  EXPECT_EQ(pcm->channels, 1);
  EXPECT_NEAR(pcm->duration_seconds(), 2.0, 0.03);
}

TEST(Decode, RejectsWhatIsNotAudio) {
  SndfileOpusPipeline pipeline;
  EXPECT_ERROR_CODE(pipeline.decode(""), "not_audio");
  EXPECT_EQ(pipeline.decode("").error().kind, ErrorKind::kInvalid);

  constexpr char kPngHeader[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0";
  std::string png(kPngHeader, sizeof kPngHeader - 1);
  png.append(200, '\0');
  EXPECT_ERROR_CODE(pipeline.decode(png), "not_audio");

  std::mt19937 rng(42);
  std::string random(4096, '\0');
  for (char& c : random) c = static_cast<char>(rng() & 0xFF);
  random[0] = 'x';  // no accidental MPEG frame sync at the start
  EXPECT_ERROR_CODE(pipeline.decode(random), "not_audio");

  EXPECT_ERROR_CODE(pipeline.decode("Xin chào bà con, đây là văn bản, không phải âm thanh."),
                    "not_audio");
  std::string riff_garbage = "RIFF\x24\x01\0\0WAVE";
  riff_garbage += "this is not a chunk list at all, just text pretending to be a WAV file";
  EXPECT_ERROR_CODE(pipeline.decode(riff_garbage), "not_audio");

  // A WAV whose 'fmt ' chunk declares zero channels.
  EXPECT_ERROR_CODE(pipeline.decode(handmade_wav(0, 8000, 100, 100)), "not_audio");
  // A well-formed WAV with no samples.
  EXPECT_ERROR_CODE(pipeline.decode(handmade_wav(1, 8000, 0, 0)), "not_audio");
}

TEST(Decode, NamesRecognisedButUnsupportedFormats) {
  SndfileOpusPipeline pipeline;
  const auto signal = tone(440, 0.3, 8000, 0.5);
  auto aiff = pipeline.decode(write_audio(signal, 8000, 1, SF_FORMAT_AIFF | SF_FORMAT_PCM_16));
  EXPECT_ERROR_CODE(aiff, "unsupported_audio");
  EXPECT_NE(aiff.error().message.find("AIFF"), std::string::npos);
  EXPECT_ERROR_CODE(pipeline.decode(write_audio(signal, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_GSM610)),
                    "unsupported_audio");
  constexpr char kM4aHeader[] = "\0\0\0 ftypM4A \0\0\0\0";  // box size 0x20
  std::string m4a(kM4aHeader, sizeof kM4aHeader - 1);
  m4a.append(64, '\0');
  EXPECT_ERROR_CODE(pipeline.decode(m4a), "unsupported_audio");
  EXPECT_ERROR_CODE(pipeline.decode("#!AMR\n" + std::string(64, '\x3c')), "unsupported_audio");
}

TEST(Decode, RejectsTooManyChannels) {
  AudioLimits limits;
  limits.max_channels = 2;
  SndfileOpusPipeline pipeline(options_with(limits));
  const auto mono = tone(440, 0.3, 8000, 0.2);
  std::vector<float> three;
  for (const float s : mono) three.insert(three.end(), {s, s, s});
  EXPECT_ERROR_CODE(pipeline.decode(write_audio(three, 8000, 3, SF_FORMAT_WAV | SF_FORMAT_PCM_16)),
                    "unsupported_audio");
  EXPECT_ERROR_CODE(pipeline.decode(write_audio(three, 8000, 3, SF_FORMAT_FLAC | SF_FORMAT_PCM_16)),
                    "unsupported_audio");
}

class Truncated : public ::testing::TestWithParam<FormatCase> {};

TEST_P(Truncated, CutInHalfIsTruncatedAudio) {
  const FormatCase& c = GetParam();
  const std::string whole = write_audio(speech_like(c.rate, 3.0, 0.5), c.rate, 1, c.format);
  ASSERT_FALSE(whole.empty());
  SndfileOpusPipeline pipeline;
  ASSERT_TRUE(pipeline.decode(whole).ok());
  EXPECT_ERROR_CODE(pipeline.decode(std::string_view(whole).substr(0, whole.size() / 2)),
                    "truncated_audio");
}

INSTANTIATE_TEST_SUITE_P(
    Formats, Truncated,
    ::testing::Values(FormatCase{"wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100},
                      FormatCase{"rf64", SF_FORMAT_RF64 | SF_FORMAT_PCM_16, 44100},
                      FormatCase{"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 44100},
                      FormatCase{"ogg_vorbis", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 44100},
                      FormatCase{"ogg_opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000},
                      FormatCase{"mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 44100}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Decode, OggCutExactlyAtAPageBoundaryIsTruncated) {
  const std::string whole =
      write_audio(speech_like(44100, 3.0, 0.5), 44100, 1, SF_FORMAT_OGG | SF_FORMAT_VORBIS);
  // The start of the last page: everything before it is a sequence of complete pages.
  const std::size_t last_page = whole.rfind("OggS");
  ASSERT_NE(last_page, std::string::npos);
  ASSERT_GT(last_page, 0u);
  SndfileOpusPipeline pipeline;
  EXPECT_ERROR_CODE(pipeline.decode(std::string_view(whole).substr(0, last_page)),
                    "truncated_audio");
}

TEST(Decode, Mp3WithAnId3TagDecodes) {
  const std::string mp3 = write_audio(speech_like(44100, 1.0, 0.5), 44100, 1,
                                      SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
  // ID3v2.3 header with a 10-byte body (sizes are "syncsafe", 7 bits per byte) holding padding.
  std::string tagged("ID3\x03\0\0\0\0\0\x0a", 10);
  tagged.append(10, '\0');
  tagged += mp3;
  SndfileOpusPipeline pipeline;
  auto pcm = pipeline.decode(tagged);
  ASSERT_TRUE(pcm.ok()) << pcm.error().message;
  EXPECT_NEAR(pcm->duration_seconds(), 1.0, 0.001);
}

// A VBR MP3 without a Xing/Info frame states no length. libsndfile would stop at its estimate
// (first frame's bitrate x file size: 0.8 s of this 3 s file); libmpg123 read to the end gets
// it all. The documented limit: a cut one is indistinguishable from a shorter recording.
TEST(Decode, Mp3WithoutXingFrameDecodesFullyButACutOneLooksShorter) {
  const std::string mp3 = write_audio(speech_like(44100, 3.0, 0.5), 44100, 1,
                                      SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
  // First frame = the Info frame. MPEG-1 Layer III: 144 * bitrate / rate + padding bytes.
  ASSERT_EQ(static_cast<unsigned char>(mp3[0]), 0xFF);
  ASSERT_EQ(static_cast<unsigned char>(mp3[1]) & 0xFE, 0xFA);
  constexpr int kBitrates[] = {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};
  const int bitrate_index = static_cast<unsigned char>(mp3[2]) >> 4;
  ASSERT_GT(bitrate_index, 0);
  ASSERT_LT(bitrate_index, 15);
  ASSERT_EQ((static_cast<unsigned char>(mp3[2]) >> 2) & 3, 0);  // 44.1 kHz
  const std::size_t frame = 144 * kBitrates[bitrate_index] * 1000 / 44100 +
                            ((static_cast<unsigned char>(mp3[2]) >> 1) & 1);
  ASSERT_NE(mp3.substr(0, frame).find("Xing"), std::string::npos);  // VBR
  const std::string bare = mp3.substr(frame);
  SndfileOpusPipeline pipeline;
  auto whole = pipeline.decode(bare);
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  // Without the LAME tag the encoder delay and padding (~30 ms) are no longer trimmed.
  EXPECT_NEAR(whole->duration_seconds(), 3.0, 0.06);
  auto half = pipeline.decode(std::string_view(bare).substr(0, bare.size() / 2));
  ASSERT_TRUE(half.ok()) << half.error().message;
  EXPECT_LT(half->duration_seconds(), whole->duration_seconds() * 0.6);
}

TEST(Decode, MpegSyncFollowedByGarbageIsNotAudio) {
  std::mt19937 rng(3);
  std::string junk(8192, '\0');
  for (char& c : junk) c = static_cast<char>(rng() & 0xFF);
  junk[0] = '\xFF';
  junk[1] = '\xFB';  // MPEG-1 Layer III sync, then random bytes
  SndfileOpusPipeline pipeline;
  auto r = pipeline.decode(junk);
  ASSERT_FALSE(r.ok()) << "decoded " << r->duration_seconds() << " s of noise";
  EXPECT_EQ(r.error().code, "not_audio") << r.error().message;
}

TEST(Decode, WavHeaderCutBeforeDataIsTruncated) {
  const std::string wav = handmade_wav(1, 8000, 1000, 1000);
  SndfileOpusPipeline pipeline;
  EXPECT_ERROR_CODE(pipeline.decode(std::string_view(wav).substr(0, 30)), "not_audio");
  EXPECT_ERROR_CODE(pipeline.decode(std::string_view(wav).substr(0, 40)), "truncated_audio");
}

TEST(Decode, AbsurdHeadersAreRejectedBeforeAllocating) {
  SndfileOpusPipeline pipeline;
  // 2 GB of samples claimed, 200 bytes present.
  EXPECT_ERROR_CODE(pipeline.decode(handmade_wav(1, 8000, 0x7FFFFFF0, 200)), "truncated_audio");
  EXPECT_ERROR_CODE(pipeline.decode(handmade_wav(1, 1, 200, 200)), "invalid_sample_rate");
  EXPECT_ERROR_CODE(pipeline.decode(handmade_wav(1, 10'000'000, 200, 200)), "invalid_sample_rate");
  EXPECT_ERROR_CODE(pipeline.decode(handmade_wav(1, 0, 200, 200)), "invalid_sample_rate");
  EXPECT_ERROR_CODE(pipeline.decode(handmade_wav(200, 8000, 400, 400)), "unsupported_audio");

  // RF64 whose ds64 chunk claims 10^12 frames (2 * 10^12 bytes).
  std::string rf64 = "RF64";
  put_le32(rf64, 0xFFFFFFFF);
  rf64 += "WAVEds64";
  put_le32(rf64, 28);
  put_le64(rf64, 2'000'000'000'036ULL);
  put_le64(rf64, 2'000'000'000'000ULL);
  put_le64(rf64, 1'000'000'000'000ULL);
  put_le32(rf64, 0);
  rf64 += "fmt ";
  put_le32(rf64, 16);
  put_le16(rf64, 1);
  put_le16(rf64, 1);
  put_le32(rf64, 8000);
  put_le32(rf64, 16000);
  put_le16(rf64, 2);
  put_le16(rf64, 16);
  rf64 += "data";
  put_le32(rf64, 0xFFFFFFFF);
  rf64.append(400, '\x01');
  EXPECT_ERROR_CODE(pipeline.decode(rf64), "truncated_audio");

  // FLAC whose STREAMINFO claims 2^36 - 1 samples (18 days at 44.1 kHz).
  std::string flac =
      write_audio(tone(440, 0.3, 44100, 0.5), 44100, 1, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  ASSERT_EQ(flac.substr(0, 4), "fLaC");
  flac[21] = static_cast<char>(flac[21] | 0x0F);
  for (int i = 22; i < 26; ++i) flac[i] = '\xFF';
  EXPECT_ERROR_CODE(pipeline.decode(flac), "audio_too_long");
}

TEST(Decode, TooLargeIsKTooLarge) {
  AudioLimits limits;
  limits.max_input_bytes = 1000;
  SndfileOpusPipeline pipeline(options_with(limits));
  const std::string wav =
      write_audio(tone(440, 0.3, 8000, 0.5), 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  auto r = pipeline.decode(wav);
  EXPECT_ERROR_CODE(r, "too_large");
  EXPECT_EQ(r.error().kind, ErrorKind::kTooLarge);
  EXPECT_TRUE(pipeline.decode(wav.substr(0, 44) + std::string(900, '\0')).error().code !=
              "too_large");
}

class TooLong : public ::testing::TestWithParam<FormatCase> {};

TEST_P(TooLong, OverTheDurationLimit) {
  const FormatCase& c = GetParam();
  AudioLimits limits;
  limits.max_duration_seconds = 2.0;
  SndfileOpusPipeline pipeline(options_with(limits));
  const auto signal = speech_like(c.rate, 3.0, 0.5);
  EXPECT_ERROR_CODE(pipeline.decode(write_audio(signal, c.rate, 1, c.format)), "audio_too_long");
  const auto short_signal = speech_like(c.rate, 1.5, 0.5);
  EXPECT_TRUE(pipeline.decode(write_audio(short_signal, c.rate, 1, c.format)).ok());
  // encode_broadcast applies the same limit.
  EXPECT_ERROR_CODE(pipeline.encode_broadcast(pcm_of(signal, c.rate)), "audio_too_long");
}

INSTANTIATE_TEST_SUITE_P(
    Formats, TooLong,
    ::testing::Values(FormatCase{"wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000},
                      FormatCase{"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 16000},
                      FormatCase{"ogg_vorbis", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 16000},
                      FormatCase{"mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 16000}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Decode, DecodedSampleCapIsAudioTooLong) {
  SndfileOpusOptions options;
  options.max_decoded_samples = 8000;
  SndfileOpusPipeline pipeline(options);
  const auto stereo = interleave(tone(440, 0.3, 8000, 0.75), tone(440, 0.3, 8000, 0.75));
  EXPECT_ERROR_CODE(pipeline.decode(write_audio(stereo, 8000, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_16)),
                    "audio_too_long");
}

// ------------------------------------------------------------------------------- resampler

struct ResampleCase {
  int from;
  int to;
  double freq;
  double min_snr_db;
};

class Resample : public ::testing::TestWithParam<ResampleCase> {};

TEST_P(Resample, MatchesTheIdealSignal) {
  const ResampleCase& c = GetParam();
  const auto in = tone(c.freq, 0.5, c.from, 1.0);
  const auto out = resample_mono(in, c.from, c.to);
  EXPECT_EQ(out.size(), static_cast<std::size_t>(c.to));
  const auto want = tone(c.freq, 0.5, c.to, 1.0);
  // Edges excluded: the kernel sees zeros beyond the ends of the input.
  const std::size_t margin = static_cast<std::size_t>(c.to / 100);
  const double snr = snr_db(out, want, margin, out.size() - margin);
  EXPECT_GT(snr, c.min_snr_db) << c.from << " -> " << c.to << " at " << c.freq << " Hz";
  std::printf("[figures] resample %d -> %d Hz, %.0f Hz tone: SNR %.1f dB\n", c.from, c.to, c.freq,
              snr);
}

INSTANTIATE_TEST_SUITE_P(
    Rates, Resample,
    ::testing::Values(ResampleCase{44100, 48000, 1000, 75}, ResampleCase{44100, 48000, 15000, 70},
                      ResampleCase{8000, 48000, 1000, 75}, ResampleCase{8000, 48000, 3000, 70},
                      ResampleCase{22050, 48000, 5000, 70}, ResampleCase{96000, 48000, 1000, 75},
                      ResampleCase{192000, 48000, 10000, 70},
                      // 6000 phases: interpolated between 4096.
                      ResampleCase{44056, 48000, 1000, 70}, ResampleCase{48000, 16000, 1000, 75}));

TEST(ResampleQuality, RemovesWhatTheNewRateCannotCarry) {
  // 30 kHz cannot exist at 48 kHz: downsampling must remove it, not alias it to 18 kHz.
  const auto out = resample_mono(tone(30000, 0.5, 96000, 1.0), 96000, 48000);
  EXPECT_LT(rms_db(out, 1000, out.size() - 1000) - rms_db(tone(30000, 0.5, 96000, 1.0)), -70);
  // Upsampling 8 kHz must not create images (a 3 kHz tone mirrored to 5, 11, 13 kHz...).
  const auto up = resample_mono(tone(3000, 0.5, 8000, 1.0), 8000, 48000);
  EXPECT_GT(energy_fraction_at(up, 48000, 3000), 0.9999);
}

TEST(ResampleQuality, LengthIsRounded) {
  std::vector<float> in(441, 0.25f);
  EXPECT_EQ(resample_mono(in, 44100, 48000).size(), 480u);
  in.resize(1);
  EXPECT_EQ(resample_mono(in, 8000, 48000).size(), 6u);
  EXPECT_EQ(resample_mono(in, 48000, 8000).size(), 0u);
  EXPECT_TRUE(resample_mono({}, 8000, 48000).empty());
  // DC passes at unit gain away from the edges.
  std::vector<float> dc(8000, 0.25f);
  const auto out = resample_mono(dc, 8000, 48000);
  EXPECT_NEAR(out[out.size() / 2], 0.25f, 1e-5);
}

// --------------------------------------------------------------------- broadcast encoding

struct Figures {
  double loudness_lufs;
  double true_peak_dbtp;
  double duration_error_s;
  double bytes_per_minute;
  double kbps;
};

// Encodes, decodes the Opus with libopusfile and measures it with libebur128.
Figures encode_and_measure(SndfileOpusPipeline& pipeline, const PcmAudio& input,
                           EncodedAudio* encoded_out = nullptr) {
  auto encoded = pipeline.encode_broadcast(input);
  EXPECT_TRUE(encoded.ok()) << encoded.error().code << ": " << encoded.error().message;
  if (!encoded.ok()) return {};
  auto decoded = decode_opus(encoded->bytes);
  EXPECT_TRUE(decoded.ok()) << decoded.error().message;
  if (!decoded.ok()) return {};
  EXPECT_EQ(decoded->channels, 1);
  EXPECT_EQ(decoded->sample_rate, 48000);
  EXPECT_NEAR(encoded->duration_seconds, input.duration_seconds(), 0.03);
  auto measured = measure_loudness(*decoded);
  EXPECT_TRUE(measured.ok());
  Figures f{};
  f.loudness_lufs = measured->integrated_lufs;
  f.true_peak_dbtp = measured->true_peak_dbtp;
  f.duration_error_s = decoded->duration_seconds() - input.duration_seconds();
  f.bytes_per_minute =
      static_cast<double>(encoded->bytes.size()) * 60 / decoded->duration_seconds();
  f.kbps = static_cast<double>(encoded->bytes.size()) * 8 / decoded->duration_seconds() / 1000;
  if (encoded_out) *encoded_out = std::move(encoded).value();
  return f;
}

void print_figures(const char* what, const Figures& f, const EncodedAudio& e) {
  std::printf(
      "[figures] %s: reported %.2f LUFS, decoded %.2f LUFS, true peak %.2f dBTP, duration "
      "error %+.1f ms, %.0f bytes/min (%.1f kb/s)\n",
      what, e.loudness_lufs, f.loudness_lufs, f.true_peak_dbtp, f.duration_error_s * 1000,
      f.bytes_per_minute, f.kbps);
}

TEST(EncodeBroadcast, NormalisesQuietStereoSpeechToMinus16) {
  SndfileOpusPipeline pipeline;
  const auto left = speech_like(44100, 12.0, 0.05);
  const auto right = speech_like(44100, 12.0, 0.04);
  const PcmAudio input = pcm_of(interleave(left, right), 44100, 2);
  EncodedAudio encoded;
  const Figures f = encode_and_measure(pipeline, input, &encoded);
  print_figures("speech 44.1k stereo -> -16", f, encoded);
  EXPECT_NEAR(encoded.loudness_lufs, -16, 0.1);
  EXPECT_NEAR(f.loudness_lufs, -16, 1.0);
  EXPECT_NEAR(f.duration_error_s, 0, 0.03);
  EXPECT_LE(f.bytes_per_minute, 200'000);
  EXPECT_GE(f.kbps, 16);  // close to the 24 kb/s asked for (VBR spends less on pauses)
  EXPECT_LE(f.kbps, 27);
  EXPECT_LE(f.true_peak_dbtp, -1.0 + 0.05);
}

TEST(EncodeBroadcast, HonoursAConfiguredTargetOfMinus23) {
  SndfileOpusOptions options;
  options.target_lufs = -23;
  SndfileOpusPipeline pipeline(options);
  const PcmAudio input = pcm_of(speech_like(48000, 10.0, 0.9), 48000);
  EncodedAudio encoded;
  const Figures f = encode_and_measure(pipeline, input, &encoded);
  print_figures("speech 48k mono -> -23", f, encoded);
  EXPECT_NEAR(encoded.loudness_lufs, -23, 0.1);
  EXPECT_NEAR(f.loudness_lufs, -23, 1.0);
  EXPECT_NEAR(f.duration_error_s, 0, 0.03);
}

TEST(EncodeBroadcast, ContinuousToneBitrate) {
  SndfileOpusPipeline pipeline;
  const PcmAudio input = pcm_of(tone(440, 0.1, 48000, 30.0), 48000);
  EncodedAudio encoded;
  const Figures f = encode_and_measure(pipeline, input, &encoded);
  print_figures("440 Hz tone 30 s", f, encoded);
  EXPECT_NEAR(f.loudness_lufs, -16, 1.0);
  EXPECT_LE(f.bytes_per_minute, 200'000);
}

class Resampled : public ::testing::TestWithParam<int> {};

TEST_P(Resampled, LowAndOddRatesComeOutAt48kHz) {
  const int rate = GetParam();
  SndfileOpusPipeline pipeline;
  const PcmAudio input = pcm_of(speech_like(rate, 5.0, 0.3), rate);
  EncodedAudio encoded;
  const Figures f = encode_and_measure(pipeline, input, &encoded);
  print_figures(("speech " + std::to_string(rate) + " Hz").c_str(), f, encoded);
  EXPECT_NEAR(f.loudness_lufs, -16, 1.0);
  EXPECT_NEAR(f.duration_error_s, 0, 0.03);

  // A 1 kHz tone keeps its pitch through resampling and Opus.
  auto tone_encoded = pipeline.encode_broadcast(pcm_of(tone(1000, 0.3, rate, 2.0), rate));
  ASSERT_TRUE(tone_encoded.ok());
  auto decoded = decode_opus(tone_encoded->bytes);
  ASSERT_TRUE(decoded.ok());
  EXPECT_GT(energy_fraction_at(decoded->samples, 48000, 1000), 0.95);
}

INSTANTIATE_TEST_SUITE_P(Rates, Resampled, ::testing::Values(8000, 11025, 22050, 44100, 96000));

TEST(EncodeBroadcast, StereoBecomesMono) {
  SndfileOpusPipeline pipeline;
  // Speech on the left only: the mono mix is half of it, then normalised.
  const auto left = speech_like(48000, 6.0, 0.5);
  const PcmAudio input = pcm_of(interleave(left, std::vector<float>(left.size())), 48000, 2);
  EncodedAudio encoded;
  const Figures f = encode_and_measure(pipeline, input, &encoded);
  EXPECT_NEAR(f.loudness_lufs, -16, 1.0);
  // OpusHead: "OpusHead" at page offset 28, version, then the channel count.
  ASSERT_GT(encoded.bytes.size(), 40u);
  EXPECT_EQ(encoded.bytes.substr(28, 8), "OpusHead");
  EXPECT_EQ(encoded.bytes[37], 1);
}

TEST(EncodeBroadcast, SilenceIsEncodedAsIsWithoutNaN) {
  SndfileOpusPipeline pipeline;
  const PcmAudio input = pcm_of(std::vector<float>(48000 * 3, 0.0f), 48000);
  auto encoded = pipeline.encode_broadcast(input);
  ASSERT_TRUE(encoded.ok()) << encoded.error().message;
  EXPECT_FALSE(std::isnan(encoded->loudness_lufs));
  EXPECT_TRUE(std::isinf(encoded->loudness_lufs) && encoded->loudness_lufs < 0);
  EXPECT_NEAR(encoded->duration_seconds, 3.0, 1e-9);
  auto decoded = decode_opus(encoded->bytes);
  ASSERT_TRUE(decoded.ok());
  EXPECT_NEAR(decoded->duration_seconds(), 3.0, 0.03);
  for (const float s : decoded->samples) ASSERT_LT(std::abs(s), 1e-3);
  std::printf("[figures] 3 s of silence: %zu bytes\n", encoded->bytes.size());

  // Below the -70 LUFS absolute gate counts as silence too: no 60 dB boost of hiss.
  auto faint = pipeline.encode_broadcast(pcm_of(tone(440, 1e-5, 48000, 2.0), 48000));
  ASSERT_TRUE(faint.ok());
  EXPECT_TRUE(std::isinf(faint->loudness_lufs));
}

TEST(EncodeBroadcast, LoudInputIsTurnedDownWithinTheTruePeakLimit) {
  // Hard-clipped input loses about 1.2 LU in the codec: verifying the decoded stream corrects it.
  SndfileOpusOptions verified;
  verified.check_decoded_true_peak = true;
  SndfileOpusPipeline pipeline(verified);
  // Clipped speech: peaks at full scale, loudness well above -16.
  auto loud = speech_like(48000, 6.0, 4.0);
  for (float& s : loud) s = std::clamp(s, -1.0f, 1.0f);
  EncodedAudio encoded;
  const Figures f = encode_and_measure(pipeline, pcm_of(loud, 48000), &encoded);
  print_figures("clipped speech", f, encoded);
  EXPECT_NEAR(f.loudness_lufs, -16, 1.0);
  EXPECT_LE(f.true_peak_dbtp, -1.0 + 0.05);
}

TEST(EncodeBroadcast, LimiterReachesTheTargetUnderThePeakLimit) {
  SndfileOpusPipeline pipeline;
  // A quiet tone with one loud click: a plain gain to -16 LUFS would push the click over 0 dBTP.
  auto peaky = tone(440, 0.01, 48000, 5.0);
  for (int i = 0; i < 240; ++i) {  // 5 ms, 2 kHz, decaying
    peaky[100000 + i] +=
        static_cast<float>(0.9 * std::exp(-i / 60.0) * std::sin(2 * kPi * 2000 * i / 48000.0));
  }
  EncodedAudio encoded;
  const Figures f = encode_and_measure(pipeline, pcm_of(peaky, 48000), &encoded);
  print_figures("quiet tone + click", f, encoded);
  EXPECT_NEAR(f.loudness_lufs, -16, 1.0);
  EXPECT_LE(f.true_peak_dbtp, -1.0 + 0.05);

  SndfileOpusOptions unlimited;
  unlimited.true_peak_limit_dbtp = std::nullopt;
  SndfileOpusPipeline no_limit(unlimited);
  auto boosted = no_limit.encode_broadcast(pcm_of(peaky, 48000));
  ASSERT_TRUE(boosted.ok());
  EXPECT_NEAR(boosted->loudness_lufs, -16, 0.1);
}

TEST(Limiter, KeepsEverySampleUnderTheCeilingAndLeavesQuietPartsAlone) {
  std::vector<float> x = tone(300, 0.2, 48000, 1.0);
  for (int i = 0; i < 480; ++i) x[24000 + i] = (i % 2 ? 1.5F : -1.5F);  // a 10 ms burst
  const std::vector<float> original = x;
  limit_peaks(x, 48000, 0.5F);
  float peak = 0;
  for (float v : x) peak = std::max(peak, std::fabs(v));
  EXPECT_LE(peak, 0.5F + 1e-6F);
  // Far from the burst (beyond look-ahead and release), the tone is untouched.
  for (size_t i = 0; i < 20000; ++i) ASSERT_FLOAT_EQ(x[i], original[i]) << i;
}

// Opus does not preserve waveform peaks: pulse-like speech put at -1 dBTP comes back near
// +1.7 dBTP. check_decoded_true_peak (on by default) re-decodes and lowers the gain.
TEST(EncodeBroadcast, CodecPeakOvershootIsCorrected) {
  SndfileOpusOptions options;
  options.target_lufs = -10;  // pushes the limiter hard: the codec overshoot shows
  const PcmAudio input = pcm_of(speech_like(48000, 10.0, 0.5, /*pulse_like=*/true), 48000);

  options.check_decoded_true_peak = false;
  SndfileOpusPipeline unchecked(options);
  EncodedAudio encoded;
  const Figures raw = encode_and_measure(unchecked, input, &encoded);
  print_figures("pulse-like speech, pre-encode limit only", raw, encoded);
  EXPECT_GT(raw.true_peak_dbtp, -1.0);  // the overshoot this option exists for

  options.check_decoded_true_peak = true;
  SndfileOpusPipeline checked(options);
  const Figures f = encode_and_measure(checked, input, &encoded);
  print_figures("pulse-like speech, decoded peak checked", f, encoded);
  EXPECT_LT(encoded.loudness_lufs, -9);
  EXPECT_NEAR(f.loudness_lufs, encoded.loudness_lufs, 0.5);
  EXPECT_LE(f.true_peak_dbtp, -1.0 + 0.05);
}

TEST(EncodeBroadcast, IsDeterministic) {
  SndfileOpusPipeline pipeline;
  const PcmAudio input = pcm_of(speech_like(22050, 3.0, 0.3), 22050);
  auto a = pipeline.encode_broadcast(input);
  auto b = pipeline.encode_broadcast(input);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->bytes, b->bytes);
  auto c = pipeline.encode_broadcast(pcm_of(speech_like(22050, 3.0, 0.31), 22050));
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->bytes, c->bytes);
}

TEST(EncodeBroadcast, RejectsInconsistentPcm) {
  SndfileOpusPipeline pipeline;
  EXPECT_ERROR_CODE(pipeline.encode_broadcast(pcm_of({0.1f, 0.2f, 0.3f}, 8000, 2)),
                    "invalid_audio");
  EXPECT_ERROR_CODE(pipeline.encode_broadcast(pcm_of({0.1f}, 8000, 0)), "invalid_audio");
  EXPECT_ERROR_CODE(pipeline.encode_broadcast(pcm_of({0.1f}, 0, 1)), "invalid_sample_rate");
  EXPECT_ERROR_CODE(pipeline.encode_broadcast(pcm_of({0.1f}, 4000, 1)), "invalid_sample_rate");
  EXPECT_ERROR_CODE(pipeline.encode_broadcast(pcm_of({}, 8000, 1)), "empty_audio");
  EXPECT_ERROR_CODE(pipeline.encode_broadcast(pcm_of(std::vector<float>(9, 0.1f), 8000, 9)),
                    "unsupported_audio");
  // Non-finite samples are treated as 0, not propagated into the gain.
  auto samples = speech_like(8000, 2.0, 0.3);
  samples[5] = std::numeric_limits<float>::quiet_NaN();
  auto encoded = pipeline.encode_broadcast(pcm_of(samples, 8000));
  ASSERT_TRUE(encoded.ok());
  EXPECT_NEAR(encoded->loudness_lufs, -16, 0.1);
}

TEST(EncodeBroadcast, RejectsBadOptions) {
  SndfileOpusOptions o;
  o.output_sample_rate = 44100;
  EXPECT_THROW(SndfileOpusPipeline{o}, std::invalid_argument);
  o = {};
  o.bitrate_bps = 100;
  EXPECT_THROW(SndfileOpusPipeline{o}, std::invalid_argument);
  o = {};
  o.target_lufs = std::nan("");
  EXPECT_THROW(SndfileOpusPipeline{o}, std::invalid_argument);
}

TEST(Conform, DownmixesAndResamples) {
  SndfileOpusPipeline pipeline;
  const auto left = tone(1000, 0.4, 22050, 2.0);
  const auto right = tone(1000, 0.2, 22050, 2.0);
  auto mono = pipeline.conform(pcm_of(interleave(left, right), 22050, 2), 48000);
  ASSERT_TRUE(mono.ok()) << mono.error().message;
  EXPECT_EQ(mono->channels, 1);
  EXPECT_EQ(mono->sample_rate, 48000);
  EXPECT_EQ(mono->samples.size(), 96000u);
  const auto want = tone(1000, 0.3, 48000, 2.0);
  EXPECT_GT(snr_db(mono->samples, want, 500, 95500), 70);
  // Already mono at the rate: unchanged.
  const PcmAudio same = pcm_of(tone(440, 0.3, 48000, 0.5), 48000);
  auto unchanged = pipeline.conform(same, 48000);
  ASSERT_TRUE(unchanged.ok());
  EXPECT_EQ(unchanged->samples, same.samples);
  auto empty = pipeline.conform(pcm_of({}, 16000), 48000);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->samples.empty());
  EXPECT_ERROR_CODE(pipeline.conform(same, 0), "invalid_sample_rate");
  EXPECT_ERROR_CODE(pipeline.conform(same, 1'000'000), "invalid_sample_rate");
  EXPECT_ERROR_CODE(pipeline.conform(pcm_of({0.1f, 0.2f, 0.3f}, 8000, 2), 48000), "invalid_audio");
}

TEST(DecodeOpus, RejectsOtherInput) {
  EXPECT_ERROR_CODE(decode_opus(""), "not_audio");
  EXPECT_ERROR_CODE(decode_opus("OggS but not really"), "not_audio");
  const std::string vorbis =
      write_audio(tone(440, 0.3, 44100, 0.5), 44100, 1, SF_FORMAT_OGG | SF_FORMAT_VORBIS);
  EXPECT_ERROR_CODE(decode_opus(vorbis), "not_audio");
}

// espeak-ng speaks Vietnamese into a WAV file; the real thing the TTS adapter will feed us.
// Registered under the "integration" label (an external process); skips without espeak-ng.
TEST(EspeakExternal, VietnameseSpeechNormalises) {
  if (std::system("command -v espeak-ng >/dev/null 2>&1") != 0) GTEST_SKIP() << "no espeak-ng";
  char dir_template[] = "/tmp/nguon-audio-espeak-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string wav_path = std::string(dir_template) + "/speech.wav";
  const std::string command =
      "espeak-ng -v vi -w " + wav_path +
      " 'Thông báo của Ủy ban nhân dân xã. Lịch tiêm chủng cho trẻ em sẽ diễn ra vào sáng thứ "
      "Bảy tại trạm y tế xã. Đề nghị bà con đưa trẻ đến đúng giờ.' >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::ifstream in(wav_path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::filesystem::remove_all(dir_template);

  SndfileOpusPipeline pipeline;
  auto pcm = pipeline.decode(buffer.str());
  ASSERT_TRUE(pcm.ok()) << pcm.error().message;
  EXPECT_EQ(pcm->sample_rate, 22050);
  EncodedAudio encoded;
  const Figures f = encode_and_measure(pipeline, *pcm, &encoded);
  print_figures("espeak-ng vi -> -16", f, encoded);
  EXPECT_NEAR(f.duration_error_s, 0, 0.03);
  EXPECT_LE(f.bytes_per_minute, 200'000);
  EXPECT_NEAR(f.loudness_lufs, encoded.loudness_lufs, 1.0);
  // espeak-ng's peak-to-loudness ratio is about 18 dB: a plain gain to -16 LUFS would put peaks
  // above 0 dBFS. The limiter holds them under -1 dBTP while the loudness reaches the target.
  EXPECT_NEAR(f.loudness_lufs, -16, 1.0);
  EXPECT_LE(f.true_peak_dbtp, -1.0 + 0.05);

  // At the EBU R128 broadcast target there is headroom enough: within 1 LU.
  SndfileOpusOptions r128;
  r128.target_lufs = -23;
  SndfileOpusPipeline broadcast(r128);
  const Figures g = encode_and_measure(broadcast, *pcm, &encoded);
  print_figures("espeak-ng vi -> -23", g, encoded);
  EXPECT_NEAR(g.loudness_lufs, -23, 1.0);
}

// ------------------------------------------------------------------------------ media store

class MediaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/nguon-media-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    base_ = dir_template;
  }
  void TearDown() override { std::filesystem::remove_all(base_); }

  std::vector<std::filesystem::path> files_under(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      if (e.is_regular_file()) out.push_back(e.path());
    }
    return out;
  }

  std::filesystem::path base_;
};

// SHA-256("abc"), FIPS 180-2 appendix B.1.
constexpr const char* kAbcSha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST_F(MediaStoreTest, PutStoresUnderTheHash) {
  FileMediaStore store(base_ / "media");  // created on first put
  auto info = store.put("abc", "audio/ogg; codecs=opus");
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->sha256, kAbcSha);
  EXPECT_EQ(info->bytes, 3);
  EXPECT_EQ(info->content_type, "audio/ogg");
  const auto expected = base_ / "media" / "ba" / std::string(kAbcSha);
  auto path = store.path_of(kAbcSha);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, expected.string());
  EXPECT_TRUE(std::filesystem::path(*path).is_absolute());
  std::ifstream in(*path, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "abc");
  struct stat st {};
  ASSERT_EQ(stat(path->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(MediaStoreTest, PutIsIdempotentAndLeavesNoTemporaryFiles) {
  FileMediaStore store(base_);
  SndfileOpusPipeline pipeline;
  auto encoded = pipeline.encode_broadcast(pcm_of(speech_like(16000, 1.0, 0.3), 16000));
  ASSERT_TRUE(encoded.ok());
  auto first = store.put(encoded->bytes, "audio/ogg");
  ASSERT_TRUE(first.ok());
  auto found = store.path_of(first->sha256);
  ASSERT_TRUE(found.ok());
  const std::string path = *found;
  const auto mtime = std::filesystem::last_write_time(path);
  auto second = store.put(encoded->bytes, "audio/ogg");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->sha256, first->sha256);
  EXPECT_EQ(std::filesystem::last_write_time(path), mtime);  // not rewritten
  EXPECT_EQ(files_under(base_), std::vector<std::filesystem::path>{path});
  // The stored file is the playable Opus, and read() returns it.
  auto content = store.read(first->sha256);
  ASSERT_TRUE(content.ok()) << content.error().message;
  EXPECT_EQ(*content, encoded->bytes);
  EXPECT_TRUE(decode_opus(*content).ok());
}

TEST_F(MediaStoreTest, ConcurrentPutsOfTheSameBytesStoreOneFile) {
  FileMediaStore store(base_);
  const std::string bytes(100'000, 'x');
  std::vector<std::thread> threads;
  std::vector<int> ok(8, 0);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { ok[i] = store.put(bytes, "audio/ogg").ok() ? 1 : 0; });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::count(ok.begin(), ok.end(), 1), 8);
  const auto files = files_under(base_);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(std::filesystem::file_size(files[0]), bytes.size());
}

TEST_F(MediaStoreTest, RepairsAFileOfTheWrongSize) {
  FileMediaStore store(base_);
  ASSERT_TRUE(store.put("abc", "audio/ogg").ok());
  auto found = store.path_of(kAbcSha);
  ASSERT_TRUE(found.ok());
  const std::string path = *found;
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << "a"; }
  ASSERT_TRUE(store.put("abc", "audio/ogg").ok());
  EXPECT_EQ(std::filesystem::file_size(path), 3u);
}

TEST_F(MediaStoreTest, PathOfRejectsAnythingButAPresentLowerCaseHexId) {
  FileMediaStore store(base_);
  ASSERT_TRUE(store.put("abc", "audio/ogg").ok());
  std::string upper = kAbcSha;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  const std::string absent(64, '0');
  for (const std::string& id :
       {std::string(), std::string("ba"), std::string(kAbcSha).substr(0, 63),
        std::string(kAbcSha) + "0", upper, std::string("../../../../../../etc/passwd"),
        std::string(kAbcSha).substr(0, 60) + "/../", std::string(kAbcSha).substr(0, 63) + "g",
        std::string(kAbcSha) + ".opus", absent}) {
    auto r = store.path_of(id);
    ASSERT_FALSE(r.ok()) << id;
    EXPECT_EQ(r.error().kind, ErrorKind::kNotFound) << id;
    EXPECT_EQ(r.error().code, "not_found");
    auto bytes = store.read(id);
    ASSERT_FALSE(bytes.ok()) << id;
    EXPECT_EQ(bytes.error().kind, ErrorKind::kNotFound) << id;
  }
  auto abc = store.read(kAbcSha);
  ASSERT_TRUE(abc.ok());
  EXPECT_EQ(*abc, "abc");
  // A directory where a file should be is not media either.
  std::filesystem::create_directories(base_ / "00" / (absent + ".opus"));
  EXPECT_FALSE(store.path_of(absent).ok());
}

TEST_F(MediaStoreTest, RejectsOtherContentAndEmptyBytes) {
  FileMediaStore store(base_);
  EXPECT_ERROR_CODE(store.put("abc", "text/html"), "unsupported_media_type");
  EXPECT_TRUE(store.put("png bytes", "image/png").ok());
  EXPECT_ERROR_CODE(store.put("abc", "audio/mpeg"), "unsupported_media_type");
  EXPECT_TRUE(store.put("abc", " Audio/Opus ").ok());
  EXPECT_ERROR_CODE(store.put("", "audio/ogg"), "empty_media");
}

TEST_F(MediaStoreTest, ReportsAnUnwritableRoot) {
  if (geteuid() == 0) {
    // root ignores permissions: use a root that is a regular file instead.
    std::ofstream(base_ / "file") << "x";
    FileMediaStore store(base_ / "file");
    auto r = store.put("abc", "audio/ogg");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, ErrorKind::kInternal);
    return;
  }
  std::filesystem::permissions(
      base_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  FileMediaStore store(base_ / "media");
  auto r = store.put("abc", "audio/ogg");
  std::filesystem::permissions(base_, std::filesystem::perms::owner_all);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInternal);
}

}  // namespace
}  // namespace nguon
