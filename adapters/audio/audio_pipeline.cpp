#include "adapters/audio/audio_pipeline.h"

#include <ebur128.h>
#include <mpg123.h>
#include <opusenc.h>
#include <opusfile.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <numbers>
#include <numeric>
#include <stdexcept>
#include <string>

namespace nguon {
namespace {

constexpr std::size_t kReadChunkFrames = 4096;
// encode_broadcast: one encode, plus at most two after lowering the gain for codec overshoot.
constexpr int kMaxEncodePasses = 3;
// Upper bound on what decode() reserves up front from a header's claim; beyond this the vector
// grows with the samples actually decoded, so a lying header cannot make us allocate.
constexpr std::size_t kMaxReserveSamples = std::size_t{1} << 22;

Error too_large(std::string message) {
  return {ErrorKind::kTooLarge, "too_large", std::move(message)};
}

// Most frames `seconds` of audio at `rate` may hold, saturating (an infinite limit is allowed).
std::int64_t frames_limit(double seconds, int rate) {
  const double frames = std::floor(seconds * rate);
  return frames < 0x1p62 ? static_cast<std::int64_t>(frames) : std::int64_t{1} << 62;
}

double seconds_of(std::int64_t frames, int rate) { return static_cast<double>(frames) / rate; }

std::string fmt_seconds(double s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f s", s);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Content sniffing. libsndfile recognises some thirty containers; we hand it only the four
// families the port promises, so its rarely used parsers never see untrusted bytes.

enum class Family { kWav, kFlac, kOgg, kMpeg };

struct Sniffed {
  std::optional<Family> family;
  const char* unsupported = nullptr;  // name of a recognised but unsupported format
};

bool has_at(std::string_view b, std::size_t offset, std::string_view magic) {
  return b.size() >= offset + magic.size() && b.substr(offset, magic.size()) == magic;
}

std::uint8_t byte_at(std::string_view b, std::size_t i) { return static_cast<std::uint8_t>(b[i]); }

Sniffed sniff(std::string_view b) {
  if ((has_at(b, 0, "RIFF") || has_at(b, 0, "RF64") || has_at(b, 0, "BW64")) &&
      has_at(b, 8, "WAVE")) {
    return {Family::kWav};
  }
  if (has_at(b, 0, "fLaC")) return {Family::kFlac};
  if (has_at(b, 0, "OggS")) return {Family::kOgg};
  if (has_at(b, 0, "ID3")) return {Family::kMpeg};
  if (b.size() >= 2 && byte_at(b, 0) == 0xFF && (byte_at(b, 1) & 0xE0) == 0xE0) {
    // Layer bits 00 are reserved in MPEG audio and mean AAC in an ADTS header.
    if ((byte_at(b, 1) & 0x06) == 0) return {std::nullopt, "AAC (ADTS)"};
    return {Family::kMpeg};
  }
  if (has_at(b, 0, "FORM") && (has_at(b, 8, "AIFF") || has_at(b, 8, "AIFC"))) {
    return {std::nullopt, "AIFF"};
  }
  if (has_at(b, 4, "ftyp")) return {std::nullopt, "MP4/M4A (AAC)"};
  if (has_at(b, 0, "#!AMR")) return {std::nullopt, "AMR"};
  if (has_at(b, 0, "caff")) return {std::nullopt, "CAF"};
  if (has_at(b, 0, "riff")) return {std::nullopt, "Wave64"};
  if (has_at(b, 0, ".snd")) return {std::nullopt, "Sun AU"};
  if (has_at(b, 0, std::string_view("\x30\x26\xB2\x75\x8E\x66\xCF\x11", 8))) {
    return {std::nullopt, "WMA (ASF)"};
  }
  if (has_at(b, 0, "\x1A\x45\xDF\xA3")) return {std::nullopt, "WebM/Matroska"};
  return {};
}

const char* family_name(Family f) {
  switch (f) {
    case Family::kWav:
      return "WAV";
    case Family::kFlac:
      return "FLAC";
    case Family::kOgg:
      return "Ogg";
    case Family::kMpeg:
      return "MPEG audio";
  }
  return "?";
}

std::uint32_t le32(std::string_view b, std::size_t i) {
  return static_cast<std::uint32_t>(byte_at(b, i)) |
         static_cast<std::uint32_t>(byte_at(b, i + 1)) << 8 |
         static_cast<std::uint32_t>(byte_at(b, i + 2)) << 16 |
         static_cast<std::uint32_t>(byte_at(b, i + 3)) << 24;
}
std::uint16_t le16(std::string_view b, std::size_t i) {
  return static_cast<std::uint16_t>(byte_at(b, i) | byte_at(b, i + 1) << 8);
}
std::uint64_t le64(std::string_view b, std::size_t i) {
  return static_cast<std::uint64_t>(le32(b, i)) | static_cast<std::uint64_t>(le32(b, i + 4)) << 32;
}

Status check_rate_and_channels(long long rate, long long channels, const AudioLimits& limits) {
  if (channels <= 0) return invalid("not_audio", "the header declares no channels");
  if (channels > limits.max_channels) {
    return invalid("unsupported_audio", std::to_string(channels) + " channels; at most " +
                                            std::to_string(limits.max_channels) + " are supported");
  }
  if (rate < limits.min_sample_rate || rate > limits.max_sample_rate) {
    return invalid("invalid_sample_rate", "sample rate " + std::to_string(rate) +
                                              " Hz is outside " +
                                              std::to_string(limits.min_sample_rate) + ".." +
                                              std::to_string(limits.max_sample_rate) + " Hz");
  }
  return {};
}

// libsndfile clamps a RIFF 'data' chunk that claims more bytes than the file holds and decodes
// what is there without an error, so a WAV cut in half would pass as a shorter recording. We
// walk the chunk list ourselves (bounded by the input, nothing allocated) and compare.
// A data size of 0 or 0xFFFFFFFF is what streaming writers leave when they cannot seek back;
// those mean "unknown" and the samples present are taken.
Status check_riff(std::string_view b, const AudioLimits& limits) {
  const bool rf64 = !has_at(b, 0, "RIFF");
  std::optional<std::uint64_t> ds64_data_size;
  bool have_fmt = false;
  std::size_t pos = 12;
  while (pos <= b.size() && b.size() - pos >= 8) {
    const std::string_view id = b.substr(pos, 4);
    const std::uint64_t size = le32(b, pos + 4);
    pos += 8;
    const std::size_t left = b.size() - pos;
    if (id == "ds64" && rf64 && size >= 24 && left >= 24) {
      ds64_data_size = le64(b, pos + 8);
    } else if (id == "fmt ") {
      if (size < 16 || left < 16) return invalid("not_audio", "the WAV 'fmt ' chunk is too short");
      NGUON_TRY(check_rate_and_channels(le32(b, pos + 4), le16(b, pos + 2), limits));
      have_fmt = true;
    } else if (id == "data") {
      if (!have_fmt) return invalid("not_audio", "the WAV 'data' chunk precedes its 'fmt ' chunk");
      std::uint64_t claimed = size;
      if (size == 0xFFFFFFFF && ds64_data_size) {
        claimed = *ds64_data_size;
      } else if (size == 0xFFFFFFFF || size == 0) {
        return {};
      }
      if (claimed > left) {
        return invalid("truncated_audio", "the WAV header declares " + std::to_string(claimed) +
                                              " bytes of samples but only " + std::to_string(left) +
                                              " are present");
      }
      return {};
    }
    if (size + (size & 1) > left) break;
    pos += static_cast<std::size_t>(size + (size & 1));
  }
  if (!have_fmt) return invalid("not_audio", "RIFF/WAVE data without a valid 'fmt ' chunk");
  return invalid("truncated_audio", "the WAV file ends before its 'data' chunk");
}

// libsndfile takes an Ogg stream's length from its last complete page, so an upload cut
// between pages decodes as a shorter recording without any error. A complete stream ends
// with a page flagged end-of-stream (header_type bit 0x04) that ends exactly at the end of
// the data. We look for such a page among the capture patterns in the last 64 KiB (a page
// holds at most 27 + 255 + 255 * 255 bytes); a pattern that merely occurs inside packet data
// does not parse as a page ending at EOF, so it cannot cause a false "truncated".
Status check_ogg_ends_with_eos(std::string_view b) {
  constexpr std::size_t kMaxPage = 27 + 255 + 255 * 255;
  const std::size_t window_start = b.size() > kMaxPage ? b.size() - kMaxPage : 0;
  for (std::size_t p = b.find("OggS", window_start); p != std::string_view::npos;
       p = b.find("OggS", p + 1)) {
    if (b.size() - p < 27 || byte_at(b, p + 4) != 0) continue;  // version 0 only
    const std::size_t segments = byte_at(b, p + 26);
    if (b.size() - p < 27 + segments) continue;
    std::size_t length = 27 + segments;
    for (std::size_t i = 0; i < segments; ++i) length += byte_at(b, p + 27 + i);
    if (p + length == b.size() && (byte_at(b, p + 5) & 0x04) != 0) return {};
  }
  return invalid("truncated_audio", "the Ogg stream ends without its end-of-stream page");
}

bool subformat_allowed(Family family, int format) {
  const int major = format & SF_FORMAT_TYPEMASK;
  const int sub = format & SF_FORMAT_SUBMASK;
  switch (family) {
    case Family::kWav:
      if (major != SF_FORMAT_WAV && major != SF_FORMAT_WAVEX && major != SF_FORMAT_RF64) {
        return false;
      }
      switch (sub) {
        case SF_FORMAT_PCM_U8:
        case SF_FORMAT_PCM_S8:
        case SF_FORMAT_PCM_16:
        case SF_FORMAT_PCM_24:
        case SF_FORMAT_PCM_32:
        case SF_FORMAT_FLOAT:
        case SF_FORMAT_DOUBLE:
        case SF_FORMAT_ULAW:
        case SF_FORMAT_ALAW:
        case SF_FORMAT_IMA_ADPCM:
        case SF_FORMAT_MS_ADPCM:
          return true;
        default:
          return false;
      }
    case Family::kFlac:
      return major == SF_FORMAT_FLAC;
    case Family::kOgg:
      return major == SF_FORMAT_OGG && (sub == SF_FORMAT_VORBIS || sub == SF_FORMAT_OPUS);
    case Family::kMpeg:
      return false;  // decoded with libmpg123 directly (decode_mpeg), never through libsndfile
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// libsndfile virtual I/O over a read-only byte view.

struct MemoryFile {
  std::string_view data;
  sf_count_t pos = 0;
};

sf_count_t mem_length(void* user) {
  return static_cast<sf_count_t>(static_cast<MemoryFile*>(user)->data.size());
}

sf_count_t mem_seek(sf_count_t offset, int whence, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  sf_count_t base = 0;
  if (whence == SEEK_CUR) {
    base = f->pos;
  } else if (whence == SEEK_END) {
    base = static_cast<sf_count_t>(f->data.size());
  } else if (whence != SEEK_SET) {
    return -1;
  }
  sf_count_t target = 0;
  // Decoders compute offsets from header fields; an overflow here would be undefined.
  if (__builtin_add_overflow(base, offset, &target) || target < 0) return -1;
  f->pos = target;  // past the end is allowed, as with fseek; reads there return 0
  return f->pos;
}

sf_count_t mem_read(void* ptr, sf_count_t count, void* user) {
  auto* f = static_cast<MemoryFile*>(user);
  const auto size = static_cast<sf_count_t>(f->data.size());
  if (count <= 0 || f->pos >= size) return 0;
  const sf_count_t n = std::min(count, size - f->pos);
  std::memcpy(ptr, f->data.data() + f->pos, static_cast<std::size_t>(n));
  f->pos += n;
  return n;
}

sf_count_t mem_write(const void*, sf_count_t, void*) { return 0; }

sf_count_t mem_tell(void* user) { return static_cast<MemoryFile*>(user)->pos; }

struct SndfileCloser {
  void operator()(SNDFILE* s) const { sf_close(s); }
};
using SndfilePtr = std::unique_ptr<SNDFILE, SndfileCloser>;

void zero_non_finite(std::span<float> samples) {
  for (float& s : samples) {
    if (!std::isfinite(s)) s = 0.0f;
  }
}

// ---------------------------------------------------------------------------------------------
// PCM checks shared by encode_broadcast and measure_loudness.

Status check_pcm(const PcmAudio& pcm) {
  if (pcm.channels < 1) return invalid("invalid_audio", "PCM must have at least one channel");
  if (pcm.sample_rate < 1) return invalid("invalid_sample_rate", "PCM sample rate must be > 0");
  if (pcm.samples.size() % static_cast<std::size_t>(pcm.channels) != 0) {
    return invalid("invalid_audio", "PCM sample count is not a multiple of the channel count");
  }
  return {};
}

// Average of the channels; non-finite samples count as 0.
std::vector<float> downmix(const PcmAudio& pcm) {
  const auto ch = static_cast<std::size_t>(pcm.channels);
  const std::size_t frames = pcm.samples.size() / ch;
  std::vector<float> mono(frames);
  for (std::size_t i = 0; i < frames; ++i) {
    double sum = 0;
    for (std::size_t c = 0; c < ch; ++c) {
      const float s = pcm.samples[i * ch + c];
      if (std::isfinite(s)) sum += s;
    }
    mono[i] = static_cast<float>(sum / static_cast<double>(ch));
  }
  return mono;
}

struct Ebur128Deleter {
  void operator()(ebur128_state* st) const { ebur128_destroy(&st); }
};
using Ebur128Ptr = std::unique_ptr<ebur128_state, Ebur128Deleter>;

Result<LoudnessMeasurement> measure(std::span<const float> interleaved, int channels, int rate,
                                    bool true_peak) {
  const int mode = EBUR128_MODE_I | (true_peak ? EBUR128_MODE_TRUE_PEAK : 0);
  Ebur128Ptr st(
      ebur128_init(static_cast<unsigned>(channels), static_cast<unsigned long>(rate), mode));
  if (!st) return internal("libebur128 could not initialise");
  const auto ch = static_cast<std::size_t>(channels);
  const std::size_t frames = interleaved.size() / ch;
  constexpr std::size_t kChunk = 1 << 16;
  for (std::size_t done = 0; done < frames;) {
    const std::size_t n = std::min(kChunk, frames - done);
    if (ebur128_add_frames_float(st.get(), interleaved.data() + done * ch, n) != EBUR128_SUCCESS) {
      return internal("libebur128 failed to add frames");
    }
    done += n;
  }
  LoudnessMeasurement m;
  if (ebur128_loudness_global(st.get(), &m.integrated_lufs) != EBUR128_SUCCESS) {
    return internal("libebur128 failed to compute integrated loudness");
  }
  if (true_peak) {
    double peak = 0;
    for (int c = 0; c < channels; ++c) {
      double p = 0;
      if (ebur128_true_peak(st.get(), static_cast<unsigned>(c), &p) != EBUR128_SUCCESS) {
        return internal("libebur128 failed to compute the true peak");
      }
      peak = std::max(peak, p);
    }
    m.true_peak_dbtp = peak > 0 ? 20 * std::log10(peak) : -std::numeric_limits<double>::infinity();
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Ogg Opus encoding with libopusenc into a std::string.

int append_to_string(void* user, const unsigned char* ptr, opus_int32 len) {
  try {
    static_cast<std::string*>(user)->append(reinterpret_cast<const char*>(ptr),
                                            static_cast<std::size_t>(len));
    return 0;
  } catch (...) {  // an exception must not unwind through libopusenc's C frames
    return 1;
  }
}

int close_nothing(void*) { return 0; }

struct CommentsDeleter {
  void operator()(OggOpusComments* c) const { ope_comments_destroy(c); }
};
struct EncoderDeleter {
  void operator()(OggOpusEnc* e) const { ope_encoder_destroy(e); }
};

// FNV-1a over the samples' bit patterns: the Ogg serial number is derived from the content so
// that identical PCM gives identical bytes (and the same media id in the store), while
// different recordings still get different serials (chained streams need distinct ones).
std::uint32_t content_serial(std::span<const float> samples) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const float s : samples) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &s, sizeof bits);
    h = (h ^ bits) * 0x100000001b3ULL;
  }
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

Result<std::string> encode_opus(std::span<const float> mono, int rate, int bitrate,
                                int complexity) {
  std::string out;
  OpusEncCallbacks callbacks{&append_to_string, &close_nothing};
  std::unique_ptr<OggOpusComments, CommentsDeleter> comments(ope_comments_create());
  if (!comments) return internal("libopusenc: cannot allocate comments");
  int error = OPE_OK;
  std::unique_ptr<OggOpusEnc, EncoderDeleter> enc(
      ope_encoder_create_callbacks(&callbacks, &out, comments.get(), rate, 1, 0, &error));
  if (!enc || error != OPE_OK) {
    return internal(std::string("libopusenc: ") + ope_strerror(error));
  }
  const auto serial = static_cast<opus_int32>(content_serial(mono) & 0x7FFFFFFF);
  if ((error = ope_encoder_ctl(enc.get(), OPUS_SET_APPLICATION(OPUS_APPLICATION_VOIP))) != 0 ||
      (error = ope_encoder_ctl(enc.get(), OPUS_SET_BITRATE(bitrate))) != 0 ||
      (error = ope_encoder_ctl(enc.get(), OPUS_SET_COMPLEXITY(complexity))) != 0 ||
      (error = ope_encoder_ctl(enc.get(), OPE_SET_SERIALNO(serial))) != 0) {
    return internal(std::string("libopusenc: ") + ope_strerror(error));
  }
  const std::size_t chunk = static_cast<std::size_t>(rate);  // one second per call
  for (std::size_t done = 0; done < mono.size();) {
    const std::size_t n = std::min(chunk, mono.size() - done);
    error = ope_encoder_write_float(enc.get(), mono.data() + done, static_cast<int>(n));
    if (error != OPE_OK) return internal(std::string("libopusenc: ") + ope_strerror(error));
    done += n;
  }
  if ((error = ope_encoder_drain(enc.get())) != OPE_OK) {
    return internal(std::string("libopusenc: ") + ope_strerror(error));
  }
  return out;
}

struct OpusFileDeleter {
  void operator()(OggOpusFile* f) const { op_free(f); }
};

// ---------------------------------------------------------------------------------------------
// MPEG audio (MP3) through libmpg123 directly. libsndfile wraps the same library but caps
// reading at its own length estimate, which for a VBR file without a Xing/Info frame is the
// first frame's bitrate times the file size: it silently dropped 73% of such a test file.

// Whether the first MPEG frame (after any ID3v2 tags) is a Xing/Info or VBRI frame, i.e.
// whether the stream states its own length. Those tags sit at fixed offsets after the
// 4-byte header: 13/21/36 for Xing/Info (after the side information), 36 for VBRI.
bool mpeg_states_its_length(std::string_view b) {
  std::size_t pos = 0;
  while (has_at(b, pos, "ID3") && b.size() - pos >= 10) {
    const std::size_t size = (std::size_t{byte_at(b, pos + 6)} & 0x7F) << 21 |
                             (std::size_t{byte_at(b, pos + 7)} & 0x7F) << 14 |
                             (std::size_t{byte_at(b, pos + 8)} & 0x7F) << 7 |
                             (std::size_t{byte_at(b, pos + 9)} & 0x7F);
    const std::size_t footer = (byte_at(b, pos + 5) & 0x10) != 0 ? 10 : 0;
    pos += 10 + size + footer;
  }
  if (pos >= b.size() || b.size() - pos < 2 || byte_at(b, pos) != 0xFF ||
      (byte_at(b, pos + 1) & 0xE0) != 0xE0) {
    return false;
  }
  for (const std::size_t offset : {13, 21, 36}) {
    if (has_at(b, pos + offset, "Xing") || has_at(b, pos + offset, "Info")) return true;
  }
  return has_at(b, pos + 36, "VBRI");
}

mpg123_ssize_t mpg_read(void* user, void* buf, std::size_t count) {
  const sf_count_t n = mem_read(buf, static_cast<sf_count_t>(count), user);
  return static_cast<mpg123_ssize_t>(n);
}

off_t mpg_seek(void* user, off_t offset, int whence) {
  return static_cast<off_t>(mem_seek(static_cast<sf_count_t>(offset), whence, user));
}

struct Mpg123Deleter {
  void operator()(mpg123_handle* h) const {
    mpg123_close(h);
    mpg123_delete(h);
  }
};

Result<PcmAudio> decode_mpeg(std::string_view bytes, const AudioLimits& limits,
                             std::size_t max_samples) {
  static const int init = mpg123_init();  // a no-op since mpg123 1.27; thread-safe either way
  if (init != MPG123_OK) return internal("libmpg123 could not initialise");
  int error = MPG123_OK;
  std::unique_ptr<mpg123_handle, Mpg123Deleter> mh(mpg123_new(nullptr, &error));
  if (!mh) return internal("libmpg123: cannot create a decoder");
  // Float output in the stream's own rate and channel count; no printing to stderr.
  mpg123_param(mh.get(), MPG123_ADD_FLAGS, MPG123_QUIET | MPG123_GAPLESS, 0.0);
  mpg123_format_none(mh.get());
  const long* rates = nullptr;
  std::size_t n_rates = 0;
  mpg123_rates(&rates, &n_rates);
  for (std::size_t i = 0; i < n_rates; ++i) {
    mpg123_format(mh.get(), rates[i], MPG123_MONO | MPG123_STEREO, MPG123_ENC_FLOAT_32);
  }
  MemoryFile file{bytes, 0};
  if (mpg123_replace_reader_handle(mh.get(), &mpg_read, &mpg_seek, nullptr) != MPG123_OK ||
      mpg123_open_handle(mh.get(), &file) != MPG123_OK) {
    return internal(std::string("libmpg123: ") + mpg123_strerror(mh.get()));
  }
  long rate = 0;
  int channels = 0;
  int encoding = 0;
  if (mpg123_getformat(mh.get(), &rate, &channels, &encoding) != MPG123_OK) {
    return invalid("not_audio", "no MPEG audio frame found");
  }
  if (encoding != MPG123_ENC_FLOAT_32) return internal("libmpg123 refused float output");
  NGUON_TRY(check_rate_and_channels(rate, channels, limits));
  const auto ch = static_cast<std::size_t>(channels);
  const std::int64_t max_frames = frames_limit(limits.max_duration_seconds, static_cast<int>(rate));
  const auto max_sample_frames = static_cast<std::int64_t>(max_samples / ch);
  // With a Xing/Info/VBRI frame this is the stated length; otherwise an estimate from the file
  // size, which we neither trust for truncation nor for the duration limit.
  const bool stated = mpeg_states_its_length(bytes);
  const std::int64_t claimed = stated ? static_cast<std::int64_t>(mpg123_length(mh.get())) : -1;
  if (claimed > max_frames) {
    return invalid("audio_too_long", "the stream declares " +
                                         fmt_seconds(seconds_of(claimed, static_cast<int>(rate))) +
                                         "; the limit is " +
                                         fmt_seconds(limits.max_duration_seconds));
  }
  if (claimed > max_sample_frames) {
    return invalid("audio_too_long", "the stream declares more samples than one decode may hold");
  }

  PcmAudio pcm;
  pcm.sample_rate = static_cast<int>(rate);
  pcm.channels = channels;
  if (claimed > 0) {
    pcm.samples.reserve(std::min(kMaxReserveSamples, static_cast<std::size_t>(claimed) * ch));
  }
  std::vector<float> buf(kReadChunkFrames * ch);
  std::int64_t frames = 0;
  for (;;) {
    std::size_t done = 0;
    const int rc = mpg123_read(mh.get(), reinterpret_cast<unsigned char*>(buf.data()),
                               buf.size() * sizeof(float), &done);
    const std::size_t n = done / sizeof(float) / ch;
    frames += static_cast<std::int64_t>(n);
    if (frames > max_frames) {
      return invalid("audio_too_long", "longer than " + fmt_seconds(limits.max_duration_seconds));
    }
    if (frames > max_sample_frames) {
      return invalid("audio_too_long", "more samples than one decode may hold");
    }
    pcm.samples.insert(pcm.samples.end(), buf.begin(),
                       buf.begin() + static_cast<std::ptrdiff_t>(n * ch));
    if (rc == MPG123_DONE) break;
    if (rc == MPG123_NEW_FORMAT) {
      long r = 0;
      int c = 0;
      int e = 0;
      if (mpg123_getformat(mh.get(), &r, &c, &e) != MPG123_OK || r != rate || c != channels) {
        return invalid("unsupported_audio", "the MPEG stream changes rate or channels midway");
      }
      continue;
    }
    if (rc != MPG123_OK) {
      return invalid("truncated_audio",
                     std::string("MPEG decode error: ") + mpg123_plain_strerror(rc));
    }
  }
  const std::int64_t slack = rate / 10;  // encoder delay/padding bookkeeping differences
  if (claimed > 0 && frames + slack < claimed) {
    return invalid("truncated_audio", "the stream declares " +
                                          fmt_seconds(seconds_of(claimed, static_cast<int>(rate))) +
                                          " but ends after " +
                                          fmt_seconds(seconds_of(frames, static_cast<int>(rate))));
  }
  if (frames == 0) return invalid("not_audio", "the file contains no samples");
  zero_non_finite(pcm.samples);
  return pcm;
}

// ---------------------------------------------------------------------------------------------
// Resampler constants (see resample_mono in the header).

constexpr double kZeroCrossings = 24;
constexpr double kCutoff = 0.9;
constexpr double kKaiserBeta = 7.857;  // 0.1102 * (80 - 8.7): about 80 dB stopband
constexpr std::int64_t kMaxPhases = 4096;

double bessel_i0(double x) {
  double sum = 1;
  double term = 1;
  const double q = x * x / 4;
  for (int k = 1; k < 100; ++k) {
    term *= q / (static_cast<double>(k) * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

// Dot product of `taps` coefficients with x[base .. base+taps), zeros outside the signal.
double dot(const float* coeffs, std::span<const float> x, std::int64_t base, int taps) {
  const auto n = static_cast<std::int64_t>(x.size());
  double acc = 0;
  if (base >= 0 && base + taps <= n) {
    const float* p = x.data() + base;
    for (int j = 0; j < taps; ++j) acc += static_cast<double>(coeffs[j]) * p[j];
  } else {
    for (int j = 0; j < taps; ++j) {
      const std::int64_t k = base + j;
      if (k >= 0 && k < n) acc += static_cast<double>(coeffs[j]) * x[static_cast<std::size_t>(k)];
    }
  }
  return acc;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::vector<float> resample_mono(std::span<const float> input, int from_rate, int to_rate) {
  if (from_rate <= 0 || to_rate <= 0 || from_rate == to_rate || input.empty()) {
    return {input.begin(), input.end()};
  }
  const std::int64_t g = std::gcd(from_rate, to_rate);
  const std::int64_t up = to_rate / g;
  const std::int64_t down = from_rate / g;
  const auto n_in = static_cast<std::int64_t>(input.size());
  const std::int64_t n_out = (n_in * up + down / 2) / down;

  // Kernel h(t) = fc sinc(fc t) w(t / half), t in input samples, fc the cutoff as a fraction of
  // the input Nyquist frequency. Row p of the bank holds the taps for output instants p/phases
  // of an input sample after x[idx]; row `phases` (= one whole sample) closes the interpolation.
  const double fc = kCutoff * std::min(1.0, static_cast<double>(to_rate) / from_rate);
  const int half = static_cast<int>(std::ceil(kZeroCrossings / fc));
  const int taps = 2 * half;
  const std::int64_t phases = std::min(up, kMaxPhases);
  std::vector<float> bank(static_cast<std::size_t>((phases + 1) * taps));
  std::vector<double> row(static_cast<std::size_t>(taps));
  const double i0_beta = bessel_i0(kKaiserBeta);
  for (std::int64_t p = 0; p <= phases; ++p) {
    const double frac = static_cast<double>(p) / static_cast<double>(phases);
    double sum = 0;
    for (int j = 0; j < taps; ++j) {
      const double t = frac + (half - 1) - j;
      const double x = t / half;
      double v = 0;
      if (std::abs(x) < 1) {
        const double arg = std::numbers::pi * fc * t;
        const double sinc = t == 0 ? 1.0 : std::sin(arg) / arg;
        v = fc * sinc * bessel_i0(kKaiserBeta * std::sqrt(1 - x * x)) / i0_beta;
      }
      row[static_cast<std::size_t>(j)] = v;
      sum += v;
    }
    // Unit DC gain for every phase: removes the ripple a truncated kernel would otherwise add.
    for (int j = 0; j < taps; ++j) {
      bank[static_cast<std::size_t>(p * taps + j)] =
          static_cast<float>(row[static_cast<std::size_t>(j)] / sum);
    }
  }

  std::vector<float> out(static_cast<std::size_t>(n_out));
  for (std::int64_t n = 0; n < n_out; ++n) {
    // Output n sits at input position n * down / up, kept exact in integers.
    const std::int64_t num = n * down;
    const std::int64_t idx = num / up;
    const std::int64_t rem = num % up;
    std::int64_t p = rem;
    double w = 0;
    if (phases != up) {
      const double pos =
          static_cast<double>(rem) * static_cast<double>(phases) / static_cast<double>(up);
      p = static_cast<std::int64_t>(pos);
      w = pos - static_cast<double>(p);
    }
    const std::int64_t base = idx - half + 1;
    const float* coeffs = bank.data() + p * taps;
    double acc = dot(coeffs, input, base, taps);
    if (w > 0) acc += w * (dot(coeffs + taps, input, base, taps) - acc);
    out[static_cast<std::size_t>(n)] = static_cast<float>(acc);
  }
  return out;
}

Result<LoudnessMeasurement> measure_loudness(const PcmAudio& pcm) {
  NGUON_TRY(check_pcm(pcm));
  return measure(pcm.samples, pcm.channels, pcm.sample_rate, true);
}

Result<PcmAudio> decode_opus(std::string_view ogg_opus, const AudioLimits& limits) {
  if (ogg_opus.size() > limits.max_input_bytes) {
    return too_large("input is " + std::to_string(ogg_opus.size()) + " bytes; the limit is " +
                     std::to_string(limits.max_input_bytes));
  }
  if (ogg_opus.empty()) return invalid("not_audio", "empty input");
  int error = 0;
  std::unique_ptr<OggOpusFile, OpusFileDeleter> of(op_open_memory(
      reinterpret_cast<const unsigned char*>(ogg_opus.data()), ogg_opus.size(), &error));
  if (!of)
    return invalid("not_audio", "not Ogg Opus (opusfile error " + std::to_string(error) + ")");
  const int channels = op_channel_count(of.get(), -1);
  if (channels < 1 || channels > limits.max_channels) {
    return invalid("unsupported_audio", std::to_string(channels) + " channels");
  }
  constexpr int kRate = 48000;  // libopusfile always decodes at 48 kHz
  const std::int64_t max_frames = frames_limit(limits.max_duration_seconds, kRate);
  const ogg_int64_t total = op_pcm_total(of.get(), -1);
  if (total > max_frames) {
    return invalid("audio_too_long", "the stream lasts " + fmt_seconds(seconds_of(total, kRate)));
  }
  PcmAudio pcm;
  pcm.sample_rate = kRate;
  pcm.channels = channels;
  if (total > 0) {
    pcm.samples.reserve(std::min(
        kMaxReserveSamples, static_cast<std::size_t>(total) * static_cast<std::size_t>(channels)));
  }
  std::vector<float> buf(static_cast<std::size_t>(5760 * channels));  // 120 ms, the largest frame
  std::int64_t frames = 0;
  for (;;) {
    int link = 0;
    const int n = op_read_float(of.get(), buf.data(), static_cast<int>(buf.size()), &link);
    if (n == 0) break;
    if (n < 0) {
      return invalid("truncated_audio", "Ogg Opus stream is corrupt or truncated (opusfile error " +
                                            std::to_string(n) + ")");
    }
    if (op_channel_count(of.get(), link) != channels) {
      return invalid("unsupported_audio", "the channel count changes between chained streams");
    }
    frames += n;
    if (frames > max_frames) return invalid("audio_too_long", "the stream is too long");
    pcm.samples.insert(pcm.samples.end(), buf.begin(),
                       buf.begin() + static_cast<std::ptrdiff_t>(n) * channels);
  }
  return pcm;
}

SndfileOpusPipeline::SndfileOpusPipeline(SndfileOpusOptions options) : options_(options) {
  const int r = options_.output_sample_rate;
  if (r != 8000 && r != 12000 && r != 16000 && r != 24000 && r != 48000) {
    throw std::invalid_argument("output_sample_rate must be an Opus rate (8/12/16/24/48 kHz)");
  }
  if (options_.bitrate_bps < 6000 || options_.bitrate_bps > 510000) {
    throw std::invalid_argument("bitrate_bps must be within 6000..510000");
  }
  if (!std::isfinite(options_.target_lufs) || options_.target_lufs > 0 ||
      options_.target_lufs < -70) {
    throw std::invalid_argument("target_lufs must be within -70..0");
  }
  if (options_.true_peak_limit_dbtp && !std::isfinite(*options_.true_peak_limit_dbtp)) {
    throw std::invalid_argument("true_peak_limit_dbtp must be finite");
  }
  const AudioLimits& l = options_.limits;
  if (l.min_sample_rate < 1 || l.max_sample_rate < l.min_sample_rate || l.max_channels < 1 ||
      !(l.max_duration_seconds > 0)) {
    throw std::invalid_argument("inconsistent AudioLimits");
  }
}

Result<PcmAudio> SndfileOpusPipeline::decode(std::string_view bytes) {
  const AudioLimits& limits = options_.limits;
  if (bytes.size() > limits.max_input_bytes) {
    return too_large("input is " + std::to_string(bytes.size()) + " bytes; the limit is " +
                     std::to_string(limits.max_input_bytes));
  }
  if (bytes.empty()) return invalid("not_audio", "empty input");
  const Sniffed sniffed = sniff(bytes);
  if (sniffed.unsupported) {
    return invalid("unsupported_audio", std::string(sniffed.unsupported) +
                                            " is not supported; use WAV, FLAC, Ogg or MP3");
  }
  if (!sniffed.family) return invalid("not_audio", "not a recognised audio format");
  const Family family = *sniffed.family;
  if (family == Family::kWav) NGUON_TRY(check_riff(bytes, limits));
  if (family == Family::kOgg) NGUON_TRY(check_ogg_ends_with_eos(bytes));
  if (family == Family::kMpeg) return decode_mpeg(bytes, limits, options_.max_decoded_samples);

  MemoryFile file{bytes, 0};
  SF_VIRTUAL_IO io{&mem_length, &mem_seek, &mem_read, &mem_write, &mem_tell};
  SF_INFO info{};
  SndfilePtr sf(sf_open_virtual(&io, SFM_READ, &info, &file));
  if (!sf) {
    // Each family here was identified by its magic: failing to open it means a corrupt header.
    return invalid("truncated_audio",
                   std::string("the ") + family_name(family) + " stream is truncated or corrupt");
  }
  if (!subformat_allowed(family, info.format)) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%06x", static_cast<unsigned>(info.format));
    return invalid("unsupported_audio", std::string("unsupported ") + family_name(family) +
                                            " encoding (libsndfile format " + hex + ")");
  }
  NGUON_TRY(check_rate_and_channels(info.samplerate, info.channels, limits));

  const auto channels = static_cast<std::size_t>(info.channels);
  const sf_count_t max_frames = frames_limit(limits.max_duration_seconds, info.samplerate);
  const auto max_samples_frames = static_cast<sf_count_t>(options_.max_decoded_samples / channels);
  const bool claim_known = info.frames > 0 && info.frames != SF_COUNT_MAX;
  if (claim_known && info.frames > max_frames) {
    return invalid("audio_too_long",
                   "the header declares " + fmt_seconds(seconds_of(info.frames, info.samplerate)) +
                       "; the limit is " + fmt_seconds(limits.max_duration_seconds));
  }
  if (claim_known && info.frames > max_samples_frames) {
    return invalid("audio_too_long", "the header declares more samples than one decode may hold");
  }

  PcmAudio pcm;
  pcm.sample_rate = info.samplerate;
  pcm.channels = info.channels;
  if (claim_known) {
    pcm.samples.reserve(
        std::min(kMaxReserveSamples, static_cast<std::size_t>(info.frames) * channels));
  }
  sf_count_t frames = 0;
  for (;;) {
    const std::size_t old = pcm.samples.size();
    pcm.samples.resize(old + kReadChunkFrames * channels);
    const sf_count_t n = sf_readf_float(sf.get(), pcm.samples.data() + old, kReadChunkFrames);
    pcm.samples.resize(old + static_cast<std::size_t>(std::max<sf_count_t>(n, 0)) * channels);
    if (n <= 0) break;
    frames += n;
    if (frames > max_frames) {
      return invalid("audio_too_long", "longer than " + fmt_seconds(limits.max_duration_seconds));
    }
    if (frames > max_samples_frames) {
      return invalid("audio_too_long", "more samples than one decode may hold");
    }
  }
  if (sf_error(sf.get()) != SF_ERR_NO_ERROR) {
    return invalid("truncated_audio", std::string("read error: ") + sf_strerror(sf.get()));
  }
  // Lossless containers state their length exactly. For Ogg it comes from the last granule
  // position; allow 0.1 s of slack for encoder padding bookkeeping.
  const sf_count_t slack =
      family == Family::kWav || family == Family::kFlac ? 0 : info.samplerate / 10;
  if (claim_known && frames + slack < info.frames) {
    return invalid("truncated_audio", "the header declares " +
                                          fmt_seconds(seconds_of(info.frames, info.samplerate)) +
                                          " but the stream ends after " +
                                          fmt_seconds(seconds_of(frames, info.samplerate)));
  }
  if (frames == 0) return invalid("not_audio", "the file contains no samples");
  zero_non_finite(pcm.samples);
  pcm.samples.shrink_to_fit();
  return pcm;
}

Status SndfileOpusPipeline::check_input(const PcmAudio& pcm) const {
  const AudioLimits& limits = options_.limits;
  NGUON_TRY(check_pcm(pcm));
  NGUON_TRY(check_rate_and_channels(pcm.sample_rate, pcm.channels, limits));
  if (pcm.duration_seconds() > limits.max_duration_seconds) {
    return invalid("audio_too_long", fmt_seconds(pcm.duration_seconds()) + "; the limit is " +
                                         fmt_seconds(limits.max_duration_seconds));
  }
  return {};
}

Result<PcmAudio> SndfileOpusPipeline::conform(const PcmAudio& pcm, int sample_rate) {
  NGUON_TRY(check_input(pcm));
  const AudioLimits& limits = options_.limits;
  if (sample_rate < limits.min_sample_rate || sample_rate > limits.max_sample_rate) {
    return invalid("invalid_sample_rate",
                   "target sample rate " + std::to_string(sample_rate) + " Hz is out of range");
  }
  PcmAudio out;
  out.sample_rate = sample_rate;
  out.channels = 1;
  out.samples = resample_mono(downmix(pcm), pcm.sample_rate, sample_rate);
  return out;
}

Result<EncodedAudio> SndfileOpusPipeline::encode_broadcast(const PcmAudio& pcm) {
  NGUON_TRY(check_input(pcm));
  if (pcm.samples.empty()) return invalid("empty_audio", "no samples to encode");
  const int rate = options_.output_sample_rate;
  // Loudness work happens at the input's rate (usually 22.05 kHz speech: less than half the
  // samples of 48 kHz), then one resample feeds the encoder.
  const std::vector<float> base = downmix(pcm);
  auto before = measure(base, 1, pcm.sample_rate, false);
  if (!before) return before.error();

  // Silence (or everything under the -70 LUFS gate) has loudness -inf: encoded as is.
  const bool silent = !std::isfinite(before->integrated_lufs);
  // Speech peaks sit 15-20 dB above its loudness, so reaching the target under the true-peak
  // limit needs a limiter, not just gain. The ceiling starts well below the limit: the limiter
  // sees sample peaks only, and Opus at speech bitrates adds about 2 dB to peaks. Should the
  // decoded stream still exceed the limit, the ceiling drops by the excess and we encode again.
  double ceiling_db = options_.true_peak_limit_dbtp ? *options_.true_peak_limit_dbtp - 3.0 : 0.0;
  std::vector<float> mono;
  Result<std::string> bytes = internal("not encoded");
  double codec_offset_db = 0;  // loudness the codec took off, learnt from a decoded pass
  double last_true_peak = 0;
  double final_lufs = before->integrated_lufs;  // of `mono` as encoded
  for (int pass = 0; pass < kMaxEncodePasses; ++pass) {
    std::vector<float> shaped = base;
    if (!silent) {
      auto loud = loudness_normalised(base, pcm.sample_rate, before->integrated_lufs, ceiling_db);
      if (!loud) return loud.error();
      shaped = std::move(loud.value());
    }
    mono = resample_mono(shaped, pcm.sample_rate, rate);
    if (mono.empty()) return invalid("empty_audio", "shorter than one output sample");
    if (!silent) {
      // K-weighting near a low input's Nyquist differs a little from 48 kHz: trim the final
      // loudness with a small plain gain (the limiter's 3 dB margin absorbs it).
      auto at_rate = measure(mono, 1, rate, false);
      if (!at_rate) return at_rate.error();
      const double trim = options_.target_lufs + codec_offset_db - at_rate->integrated_lufs;
      final_lufs = at_rate->integrated_lufs;
      if (std::isfinite(trim) && std::abs(trim) > 0.05 && std::abs(trim) < 3) {
        const auto g = static_cast<float>(std::pow(10.0, trim / 20));
        for (float& v : mono) v *= g;
        final_lufs += trim;  // loudness scales exactly with a plain gain
      }
    }
    bytes = encode_opus(mono, rate, options_.bitrate_bps, options_.complexity);
    if (!bytes || silent || !options_.true_peak_limit_dbtp || !options_.check_decoded_true_peak) {
      break;
    }
    auto decoded = decode_opus(*bytes, AudioLimits{.max_input_bytes = bytes->size(),
                                                   .max_duration_seconds = 1e9,
                                                   .max_channels = 1});
    if (!decoded) {
      return internal("re-decoding the encoded Opus failed: " + decoded.error().message);
    }
    auto heard = measure(decoded->samples, 1, decoded->sample_rate, true);
    if (!heard) return heard.error();
    const double excess = heard->true_peak_dbtp - *options_.true_peak_limit_dbtp;
    const double miss = options_.target_lufs - heard->integrated_lufs;
    // A lower ceiling helps only when the overshoot sits on limited peaks; when it sits on a
    // codec transient elsewhere (the last pass did not lower it), stop paying for encodes.
    const bool ceiling_helps = pass == 0 || heard->true_peak_dbtp < last_true_peak - 0.3;
    last_true_peak = heard->true_peak_dbtp;
    if (excess > 0 && ceiling_helps) {
      ceiling_db -= excess + 0.2;
    } else if (excess <= 0 && std::isfinite(miss) && std::abs(miss) > 0.5) {
      codec_offset_db += miss;  // rare: the codec changed the loudness noticeably
    } else {
      break;
    }
  }
  if (!bytes) return bytes.error();

  EncodedAudio encoded;
  encoded.bytes = std::move(bytes).value();
  encoded.duration_seconds = static_cast<double>(mono.size()) / rate;
  encoded.loudness_lufs = final_lufs;
  return encoded;
}

Result<std::vector<float>> SndfileOpusPipeline::loudness_normalised(const std::vector<float>& base,
                                                                    int rate, double base_lufs,
                                                                    double ceiling_db) const {
  // Gain to the target, then limit; limiting lowers loudness a little, so raise the gain by the
  // shortfall and limit again, until within 0.2 LU (four rounds at most; two usually do).
  double gain_db = options_.target_lufs - base_lufs;
  const auto ceiling = static_cast<float>(std::pow(10.0, ceiling_db / 20));
  std::vector<float> out(base.size());
  // Under heavy limiting most added gain is eaten by the limiter, so the gain is updated with
  // the secant method (loudness as a function of gain), not by the raw shortfall.
  double prev_gain = 0;
  double prev_lufs = 0;
  for (int round = 0; round < 6; ++round) {
    const auto gain = static_cast<float>(std::pow(10.0, gain_db / 20));
    std::transform(base.begin(), base.end(), out.begin(), [gain](float v) { return v * gain; });
    if (!options_.true_peak_limit_dbtp) break;  // plain gain: exact by construction
    limit_peaks(out, rate, ceiling);
    auto now = measure(out, 1, rate, false);
    if (!now) return now.error();
    const double shortfall = options_.target_lufs - now->integrated_lufs;
    if (!std::isfinite(shortfall) || std::abs(shortfall) < 0.15) break;
    double step = shortfall;
    if (round > 0 && gain_db != prev_gain) {
      const double slope = (now->integrated_lufs - prev_lufs) / (gain_db - prev_gain);
      if (slope > 0.05) step = std::clamp(shortfall / slope, shortfall, 6 * shortfall);
    }
    prev_gain = gain_db;
    prev_lufs = now->integrated_lufs;
    gain_db += step;
  }
  return out;
}

void limit_peaks(std::vector<float>& x, int rate, float ceiling) {
  // Look-ahead brick-wall limiter. r[n] is the gain sample n needs; m[n] the smallest r over
  // the next L samples; a moving average of m over the previous L samples ramps the gain down
  // before each peak and still reaches r[p] at the peak p (every average term covering p is
  // <= r[p]). The gain then recovers with an exponential release. No sample ends above ceiling.
  if (x.empty() || ceiling <= 0) return;
  const auto look = static_cast<size_t>(std::max(1, rate / 200));  // 5 ms
  const double release = 1.0 - std::exp(-1.0 / (0.05 * rate));     // 50 ms
  const size_t n = x.size();
  std::vector<float> need(n);
  for (size_t i = 0; i < n; ++i) {
    const float a = std::fabs(x[i]);
    need[i] = a > ceiling ? ceiling / a : 1.0F;
  }
  // Sliding-window minimum over [i, i + look - 1] (monotonic deque of indices).
  std::vector<float> ahead(n);
  std::deque<size_t> window;
  for (size_t k = n; k-- > 0;) {
    while (!window.empty() && need[window.back()] >= need[k]) window.pop_back();
    window.push_back(k);
    while (window.front() >= k + look) window.pop_front();
    ahead[k] = need[window.front()];
  }
  double sum = 0;
  double gain = 1.0;
  for (size_t i = 0; i < n; ++i) {
    sum += ahead[i];
    if (i >= look) sum -= ahead[i - look];
    const double smooth = sum / static_cast<double>(std::min(i + 1, look));
    gain = std::min(smooth, gain + (1.0 - gain) * release);
    gain = std::min(gain, static_cast<double>(need[i]));  // exact at the peak, float rounding aside
    x[i] = static_cast<float>(x[i] * gain);
  }
}

}  // namespace nguon
