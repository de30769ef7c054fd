#include "adapters/sink/file_sink.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace nguon::sink {

namespace {

Error sink_error(const std::string& what) {
  return {ErrorKind::kUnavailable, "sink_error", what + ": " + std::strerror(errno)};
}

}  // namespace

FileSink::FileSink(std::string dir, const Clock& clock)
    : TimedSink(clock), dir_(std::move(dir)), clock_(clock) {}

Status FileSink::record(const protocol::PlayItem& item, const std::string& path) {
  if (item.kind == protocol::ItemKind::kStream) {
    std::ofstream log(dir_ + "/streams.log", std::ios::app);
    log << clock_.now() << ' ' << item.url << ' ' << item.duration_s << '\n';
    if (!log.flush()) return sink_error("cannot write " + dir_ + "/streams.log");
    return {};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return sink_error("cannot read " + path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream out(dir_ + "/" + item.sha256 + ".played", std::ios::binary | std::ios::app);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) return sink_error("cannot write " + dir_ + "/" + item.sha256 + ".played");
  return {};
}

}  // namespace nguon::sink
