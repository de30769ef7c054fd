// A sink that writes down what it plays, for tests and the simulator:
// - a media item appends the exact bytes of its cached Ogg Opus file to
//   `<dir>/<sha256>.played` (so a test compares them with the stored file);
// - a stream item (a relay) appends a line "<unix time> <url> <duration_s>" to
//   `<dir>/streams.log`, then fetches the URL as a real device does (HttpStream: format check,
//   reconnects with back-off) and appends the exact bytes received to
//   `<dir>/stream-<name>.bin`, `<name>` being the URL with every character other than
//   [A-Za-z0-9.-] replaced by '_'. Stopping the item ends the fetch.
// Playing time is simulated as TimedSink describes (a relay ends after `duration_s` on the
// injected clock).
#pragma once

#include <atomic>
#include <cstdio>
#include <memory>
#include <string>

#include "adapters/sink/http_stream.h"
#include "adapters/sink/timed_sink.h"

namespace nguon::sink {

class FileSink final : public TimedSink {
 public:
  // `dir` must exist.
  FileSink(std::string dir, const Clock& clock, StreamOptions stream_options = {});
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  std::optional<agent::StreamProgress> stream_progress() override;
  // The file a relay of `url` is written to.
  static std::string stream_file_name(const std::string& url);

 protected:
  Status record(const protocol::PlayItem& item, const std::string& path) override;
  void release() override;

 private:
  // Appends a relay's bytes to its file.
  class Recorder final : public StreamReceiver {
   public:
    explicit Recorder(std::FILE* file) : file_(file) {}
    ~Recorder() override { std::fclose(file_); }
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;
    void begin(StreamFormat) override {}
    bool data(const char* bytes, size_t size) override {
      return std::fwrite(bytes, 1, size, file_) == size && std::fflush(file_) == 0;
    }

   private:
    std::FILE* file_;
  };

  std::string dir_;
  const Clock& clock_;
  StreamOptions stream_options_;
  std::unique_ptr<Recorder> recorder_;  // declared before stream_: outlives it
  std::unique_ptr<HttpStream> stream_;
};

}  // namespace nguon::sink
