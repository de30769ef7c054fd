#include "adapters/sink/timed_sink.h"

namespace nguon::sink {

namespace {

UnixTime seconds_of(const protocol::PlayItem& item) {
  if (item.kind == protocol::ItemKind::kStream) return item.duration_s > 0 ? item.duration_s : 0;
  return item.duration_ms > 0 ? (item.duration_ms + 999) / 1000 : 0;
}

}  // namespace

Status TimedSink::start(const protocol::PlayItem& item, const std::string& path, int volume) {
  playing_ = false;
  release();
  NGUON_TRY(record(item, path));
  volume_ = volume;
  ends_at_ = clock_.now() + seconds_of(item);
  playing_ = true;
  ++starts_;
  return {};
}

bool TimedSink::finished() { return !playing_ || clock_.now() >= ends_at_; }

}  // namespace nguon::sink
