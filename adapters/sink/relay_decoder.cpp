#include "adapters/sink/relay_decoder.h"

#include <mpg123.h>
#include <opusfile.h>
#include <vorbis/vorbisfile.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

namespace nguon::sink {

// Pieces in arrival order: each connection is begin, data…, end.
class RelayDecoder::Queue {
 public:
  bool push(int kind, StreamFormat format, std::string bytes) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || held_ < kBuffer; });
    if (closed_) return false;
    held_ += bytes.size();
    pieces_.push_back({kind, format, std::move(bytes)});
    cv_.notify_all();
    return true;
  }
  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  // Waits for the next connection; nullopt once closed.
  std::optional<StreamFormat> next_begin() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return closed_ || !pieces_.empty(); });
      if (closed_) return std::nullopt;
      Piece p = std::move(pieces_.front());
      pieces_.pop_front();
      held_ -= p.bytes.size() - offset_;
      offset_ = 0;
      cv_.notify_all();
      if (p.kind == kBegin) return p.format;
    }
  }
  // Bytes of the current connection: > 0, 0 at its end (or before a new one), -1 once closed.
  int read(unsigned char* out, int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return closed_ || !pieces_.empty(); });
    if (closed_) return -1;
    Piece& p = pieces_.front();
    if (p.kind == kBegin) return 0;  // left for next_begin()
    if (p.kind == kEnd) {
      pieces_.pop_front();
      return 0;
    }
    size_t take = std::min(static_cast<size_t>(n), p.bytes.size() - offset_);
    std::copy_n(p.bytes.data() + offset_, take, out);
    offset_ += take;
    held_ -= take;
    if (offset_ == p.bytes.size()) {
      pieces_.pop_front();
      offset_ = 0;
    }
    cv_.notify_all();
    return static_cast<int>(take);
  }

  static constexpr int kBegin = 0;
  static constexpr int kData = 1;
  static constexpr int kEnd = 2;

 private:
  struct Piece {
    int kind;
    StreamFormat format;
    std::string bytes;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Piece> pieces_;
  size_t offset_ = 0;  // into the front data piece
  size_t held_ = 0;
  bool closed_ = false;
};

int RelayDecoder::read_queue(void* source, unsigned char* out, int n) {
  return std::max(0, static_cast<Queue*>(source)->read(out, n));
}

// A connection's bytes with the first ones already read (to tell the codec) put back in front.
struct RelayDecoder::Prefixed {
  Queue* queue;
  std::string prefix;
  size_t pos = 0;
  int read(unsigned char* out, int n) {
    if (pos < prefix.size()) {
      const size_t take = std::min(static_cast<size_t>(n), prefix.size() - pos);
      std::copy_n(prefix.data() + pos, take, out);
      pos += take;
      return static_cast<int>(take);
    }
    return std::max(0, queue->read(out, n));
  }
};

namespace {

int read_prefixed_opus(void* source, unsigned char* out, int n) {
  return static_cast<RelayDecoder::Prefixed*>(source)->read(out, n);
}

size_t read_prefixed_vorbis(void* out, size_t size, size_t count, void* source) {
  const size_t want = std::min<size_t>(size * count, 1 << 20);
  const int n = static_cast<RelayDecoder::Prefixed*>(source)->read(static_cast<unsigned char*>(out),
                                                                   static_cast<int>(want));
  return size == 0 ? 0 : static_cast<size_t>(n) / size;
}

}  // namespace

void StereoResampler::reset(long rate, int channels) {
  step_ = static_cast<double>(rate) / RelayDecoder::kRate;
  channels_ = std::max(1, channels);
  pos_ = 1;
  have_prev_ = false;
}

void StereoResampler::push(const std::int16_t* in, size_t frames, std::vector<std::int16_t>& out) {
  if (frames == 0) return;
  auto left = [&](size_t i) { return in[i * channels_]; };
  auto right = [&](size_t i) { return in[i * channels_ + (channels_ > 1 ? 1 : 0)]; };
  if (!have_prev_) {
    prev_[0] = left(0);
    prev_[1] = right(0);
    have_prev_ = true;
  }
  // f(0) is the previous block's last frame, f(k) this block's frame k - 1: an output at
  // position p (0 <= p < frames) lies between f(floor(p)) and f(floor(p) + 1).
  auto f = [&](size_t k, int c) -> double {
    if (k == 0) return prev_[c];
    return c == 0 ? left(k - 1) : right(k - 1);
  };
  while (pos_ < static_cast<double>(frames)) {
    const auto k = static_cast<size_t>(pos_);
    const double frac = pos_ - static_cast<double>(k);
    for (int c = 0; c < 2; ++c) {
      out.push_back(static_cast<std::int16_t>(f(k, c) + (f(k + 1, c) - f(k, c)) * frac));
    }
    pos_ += step_;
  }
  pos_ -= static_cast<double>(frames);
  prev_[0] = left(frames - 1);
  prev_[1] = right(frames - 1);
}

RelayDecoder::RelayDecoder() : queue_(std::make_unique<Queue>()) {
  static std::once_flag once;
  std::call_once(once, [] { mpg123_init(); });
}

RelayDecoder::~RelayDecoder() { close(); }

void RelayDecoder::begin(StreamFormat format) { queue_->push(Queue::kBegin, format, {}); }

bool RelayDecoder::data(const char* bytes, size_t size) {
  return queue_->push(Queue::kData, StreamFormat::kOgg, std::string(bytes, size));
}

void RelayDecoder::end() { queue_->push(Queue::kEnd, StreamFormat::kOgg, {}); }

void RelayDecoder::close() {
  closed_ = true;
  queue_->close();
}

std::string RelayDecoder::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

void RelayDecoder::set_error(std::string e) {
  std::lock_guard lock(mu_);
  error_ = std::move(e);
}

// Drops the rest of the current connection.
void RelayDecoder::skip_segment() {
  unsigned char buf[4096];
  while (queue_->read(buf, sizeof buf) > 0) {
  }
}

void RelayDecoder::run(const PlayFn& play) {
  while (!closed_) {
    auto format = queue_->next_begin();
    if (!format) return;
    bool device_ok = *format == StreamFormat::kOgg ? play_ogg(play) : play_mp3(play);
    if (!device_ok) return;
  }
}

// One Ogg connection. False when the device failed.
// One Ogg connection: the first page's packet says the codec ("OpusHead" or "\x01vorbis").
bool RelayDecoder::play_ogg(const PlayFn& play) {
  Prefixed source{queue_.get(), {}};
  unsigned char probe[kOggProbe];
  while (source.prefix.size() < kOggProbe) {
    const int n = queue_->read(probe, static_cast<int>(kOggProbe - source.prefix.size()));
    if (n <= 0) break;
    source.prefix.append(reinterpret_cast<const char*>(probe), static_cast<size_t>(n));
  }
  if (source.prefix.find("OpusHead") != std::string::npos) return play_opus(source, play);
  if (source.prefix.find("\x01vorbis") != std::string::npos) return play_vorbis(source, play);
  set_error("stream_format");  // Ogg, but neither (FLAC, Speex, corrupt)
  skip_segment();
  return true;
}

bool RelayDecoder::play_opus(Prefixed& source, const PlayFn& play) {
  OpusFileCallbacks callbacks{&read_prefixed_opus, nullptr, nullptr, nullptr};
  int err = 0;
  OggOpusFile* file = op_open_callbacks(&source, &callbacks, nullptr, 0, &err);
  if (!file) {  // corrupt
    set_error("stream_format");
    skip_segment();
    return true;
  }
  std::vector<opus_int16> pcm(static_cast<size_t>(kChannels) * 5760);
  bool ok = true;
  while (!closed_) {
    int frames = op_read_stereo(file, pcm.data(), static_cast<int>(pcm.size()));
    if (frames == OP_HOLE) continue;
    if (frames <= 0) break;  // the connection ended, or undecodable data
    set_error("");
    frames_ += frames;
    if (!play(pcm.data(), static_cast<size_t>(frames))) {
      ok = false;
      break;
    }
  }
  op_free(file);
  skip_segment();  // whatever the decoder left of this connection
  return ok;
}

// Ogg Vorbis (libvorbisfile, not seekable), at the stream's rate and channels, converted to
// 48 kHz stereo; chained streams may change both at each link.
bool RelayDecoder::play_vorbis(Prefixed& source, const PlayFn& play) {
  OggVorbis_File vf;
  ov_callbacks callbacks{&read_prefixed_vorbis, nullptr, nullptr, nullptr};
  if (ov_open_callbacks(&source, &vf, nullptr, 0, callbacks) != 0) {
    set_error("stream_format");
    skip_segment();
    return true;
  }
  std::vector<char> raw(16384);
  std::vector<std::int16_t> pcm;
  StereoResampler resampler;
  int link = -1;
  bool ok = true;
  while (!closed_) {
    int bitstream = 0;
    const long n = ov_read(&vf, raw.data(), static_cast<int>(raw.size()), 0, 2, 1, &bitstream);
    if (n == OV_HOLE) continue;
    if (n <= 0) break;
    const vorbis_info* info = ov_info(&vf, bitstream);
    if (info == nullptr || info->channels < 1) break;
    if (bitstream != link) {
      resampler.reset(info->rate, info->channels);
      link = bitstream;
    }
    pcm.clear();
    resampler.push(reinterpret_cast<const std::int16_t*>(raw.data()),
                   static_cast<size_t>(n) / (2 * static_cast<size_t>(info->channels)), pcm);
    set_error("");
    const size_t frames = pcm.size() / kChannels;
    frames_ += static_cast<std::int64_t>(frames);
    if (frames > 0 && !play(pcm.data(), frames)) {
      ok = false;
      break;
    }
  }
  ov_clear(&vf);
  skip_segment();
  return ok;
}

// One MP3 connection, converted to 48 kHz stereo by libmpg123. False when the device failed.
bool RelayDecoder::play_mp3(const PlayFn& play) {
  mpg123_handle* mh = mpg123_new(nullptr, nullptr);
  if (!mh || mpg123_format_none(mh) != MPG123_OK ||
      mpg123_format(mh, kRate, MPG123_STEREO, MPG123_ENC_SIGNED_16) != MPG123_OK ||
      mpg123_open_feed(mh) != MPG123_OK) {
    if (mh) mpg123_delete(mh);
    set_error("stream_format");
    skip_segment();
    return true;
  }
  std::vector<unsigned char> in(16384);
  std::vector<std::int16_t> pcm(static_cast<size_t>(kChannels) * 4608);
  bool ok = true;
  bool decodable = true;
  while (ok && decodable && !closed_) {
    int n = queue_->read(in.data(), static_cast<int>(in.size()));
    if (n <= 0) break;
    if (mpg123_feed(mh, in.data(), static_cast<size_t>(n)) != MPG123_OK) break;
    while (ok && !closed_) {
      size_t done = 0;
      int rc = mpg123_read(mh, pcm.data(), pcm.size() * sizeof(std::int16_t), &done);
      size_t frames = done / (sizeof(std::int16_t) * kChannels);
      if (frames > 0) {
        set_error("");
        frames_ += static_cast<std::int64_t>(frames);
        ok = play(pcm.data(), frames);
      }
      if (rc == MPG123_NEW_FORMAT || (rc == MPG123_OK && done > 0)) continue;
      if (rc == MPG123_ERR) decodable = false;
      break;  // MPG123_NEED_MORE, MPG123_DONE, or an error
    }
  }
  mpg123_delete(mh);
  if (!decodable) set_error("stream_format");
  skip_segment();
  return ok;
}

}  // namespace nguon::sink
