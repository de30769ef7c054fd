// A sink that writes down what it plays, for tests and the simulator:
// - a media item appends the exact bytes of its cached Ogg Opus file to
//   `<dir>/<sha256>.played` (so a test compares them with the stored file);
// - a stream item appends a line "<unix time> <url> <duration_s>" to `<dir>/streams.log`.
//   Relaying a stream for real is a later issue; this records that the relay was asked for.
// Playing time is simulated as TimedSink describes.
#pragma once

#include <string>

#include "adapters/sink/timed_sink.h"

namespace nguon::sink {

class FileSink final : public TimedSink {
 public:
  // `dir` must exist.
  FileSink(std::string dir, const Clock& clock);

 protected:
  Status record(const protocol::PlayItem& item, const std::string& path) override;

 private:
  std::string dir_;
  const Clock& clock_;
};

}  // namespace nguon::sink
