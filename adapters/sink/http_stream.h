// A relay source (docs/protocol.md, "Relays"): reads an http(s) audio stream (Ogg or MP3) with
// libcurl on its own thread and hands its bytes to a receiver, reconnecting until stopped.
//
// - Each connection's first bytes are checked: "OggS" (Ogg: Opus or Vorbis), "ID3" or an MPEG
//   frame sync (MP3). Anything else (an HTML error page…) is refused as `stream_format`.
// - A connection that cannot be made within `connect_timeout` is `stream_unreachable`; an HTTP
//   status ≥ 400 is `stream_http_<code>`; no byte for `stall_timeout` is `stream_stalled`; a
//   connection that ends or drops is `stream_unreachable` until the next one brings data.
// - After a failure it reconnects with a doubling back-off (`backoff_initial` … `backoff_max`),
//   reset once a connection delivers audio.
// - stop() (or the destructor) ends the transfer at once (curl_multi_wakeup) and joins.
//
// The receiver is called on the stream's thread; it may block (a bounded buffer full), and
// returning false from data() ends the connection.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace nguon::sink {

enum class StreamFormat { kOgg, kMp3 };

struct StreamOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::seconds stall_timeout{10};
  std::chrono::milliseconds backoff_initial{1'000};
  std::chrono::milliseconds backoff_max{30'000};
};

class StreamReceiver {
 public:
  virtual ~StreamReceiver() = default;
  // A connection starts delivering a stream of `format`; data() follows.
  virtual void begin(StreamFormat format) = 0;
  virtual bool data(const char* bytes, size_t size) = 0;
  // The connection that began ended (dropped, stalled, stopped).
  virtual void end() {}
};

class HttpStream {
 public:
  HttpStream(std::string url, StreamOptions options, StreamReceiver& receiver);
  ~HttpStream();
  HttpStream(const HttpStream&) = delete;
  HttpStream& operator=(const HttpStream&) = delete;

  void stop();
  // Audio bytes handed to the receiver so far, over every connection.
  std::int64_t bytes() const { return bytes_; }
  // Why the source failed last ("stream_unreachable", "stream_stalled", "stream_http_<code>",
  // "stream_format"); empty while audio flows.
  std::string error() const;
  std::int64_t connections() const { return connections_; }

 private:
  void run();
  // One connection; returns the failure code (empty when stopped).
  std::string connect_once();
  void set_error(std::string code);
  size_t on_write(const char* data, size_t size);
  static size_t write_cb(char* data, size_t size, size_t n, void* self);

  std::string url_;
  StreamOptions options_;
  StreamReceiver& receiver_;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> bytes_{0};
  std::atomic<std::int64_t> connections_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string error_;
  void* multi_ = nullptr;  // CURLM*, valid for the thread's life
  // Per connection (stream thread only).
  std::string head_;
  bool begun_ = false;
  bool format_error_ = false;
  std::thread thread_;
};

}  // namespace nguon::sink
