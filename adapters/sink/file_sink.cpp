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

FileSink::FileSink(std::string dir, const Clock& clock, StreamOptions stream_options)
    : TimedSink(clock), dir_(std::move(dir)), clock_(clock), stream_options_(stream_options) {}

FileSink::~FileSink() { FileSink::release(); }

std::string FileSink::stream_file_name(const std::string& url) {
  std::string name = "stream-";
  for (char c : url) {
    bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '-';
    name += keep ? c : '_';
  }
  return name + ".bin";
}

Status FileSink::record(const protocol::PlayItem& item, const std::string& path) {
  if (item.kind == protocol::ItemKind::kStream) {
    std::ofstream log(dir_ + "/streams.log", std::ios::app);
    log << clock_.now() << ' ' << item.url << ' ' << item.duration_s << '\n';
    if (!log.flush()) return sink_error("cannot write " + dir_ + "/streams.log");
    std::string out = dir_ + "/" + stream_file_name(item.url);
    std::FILE* file = std::fopen(out.c_str(), "ab");
    if (!file) return sink_error("cannot write " + out);
    recorder_ = std::make_unique<Recorder>(file);
    stream_ = std::make_unique<HttpStream>(item.url, stream_options_, *recorder_);
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

void FileSink::release() {
  stream_.reset();  // stops and joins the fetch before its recorder goes
  recorder_.reset();
}

std::optional<agent::StreamProgress> FileSink::stream_progress() {
  if (!stream_) return agent::StreamProgress{};
  return agent::StreamProgress{stream_->bytes(), stream_->error()};
}

}  // namespace nguon::sink
