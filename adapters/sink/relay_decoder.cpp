#include "adapters/sink/relay_decoder.h"

#include <mpg123.h>
#include <opusfile.h>

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
bool RelayDecoder::play_ogg(const PlayFn& play) {
  OpusFileCallbacks callbacks{&RelayDecoder::read_queue, nullptr, nullptr, nullptr};
  int err = 0;
  OggOpusFile* file = op_open_callbacks(queue_.get(), &callbacks, nullptr, 0, &err);
  if (!file) {  // not Opus (Vorbis, corrupt)
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
