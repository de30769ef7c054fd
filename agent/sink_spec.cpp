#include "agent/sink_spec.h"

#include "adapters/sink/alsa_sink.h"
#include "adapters/sink/file_sink.h"
#include "agent/files.h"

namespace nguon::agent {

Result<std::unique_ptr<AudioSink>> make_sink(const std::string& spec, const Clock& clock) {
  if (spec == "null") return std::unique_ptr<AudioSink>(new sink::NullSink(clock));
  if (spec.starts_with("file:") && spec.size() > 5) {
    std::string dir = spec.substr(5);
    NGUON_TRY(make_dirs(dir));
    return std::unique_ptr<AudioSink>(new sink::FileSink(dir, clock));
  }
  if (spec == "alsa" || spec.starts_with("alsa:")) {
    std::string device = spec.size() > 5 ? spec.substr(5) : "default";
    NGUON_TRY(sink::AlsaSink::probe(device));
    return std::unique_ptr<AudioSink>(new sink::AlsaSink(device));
  }
  return invalid("invalid_sink", "--sink must be file:DIR, null or alsa[:device], not " + spec);
}

}  // namespace nguon::agent
