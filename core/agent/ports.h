// What the agent's pure logic needs from the device: an audio output, the media cache and a
// place to send events. Implementations: adapters/sink/ (audio), agent/ (cache, report queue).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/protocol.h"
#include "core/result.h"

namespace nguon::agent {

// How a relay (stream item) is doing, as its sink sees it (docs/protocol.md, "Relays").
struct StreamProgress {
  // Grows while audio arrives (bytes received, or frames decoded): the Player compares it
  // between ticks to tell a live relay from a silent one.
  std::int64_t audio = 0;
  // Why the source failed last: "stream_unreachable", "stream_stalled", "stream_http_<code>",
  // "stream_format"; empty while audio flows or before the first attempt ended.
  std::string error;
};

// An audio output. Plays one item at a time; not thread-safe (the runtime serialises calls).
class AudioSink {
 public:
  virtual ~AudioSink() = default;
  // Starts playing `item`, replacing whatever plays. `path` is the verified cached Ogg Opus file
  // of a media item, empty for a stream item. `volume` is 0..100. An error means nothing plays.
  virtual Status start(const protocol::PlayItem& item, const std::string& path, int volume) = 0;
  // Stops playback at once; no effect when idle.
  virtual void stop() = 0;
  // True once the item last started has played to its end (and stays true until the next
  // start). Polled by the Player on every tick.
  virtual bool finished() = 0;
  virtual void set_volume(int volume) = 0;
  // Progress of the stream item playing. nullopt: this sink does not fetch streams (null sink,
  // fakes), and the Player takes the relay as live for its whole duration.
  virtual std::optional<StreamProgress> stream_progress() { return std::nullopt; }
};

// The media cache as the Player sees it.
class MediaLookup {
 public:
  virtual ~MediaLookup() = default;
  // Path of the complete, verified file for a media item; nullopt when it is not (yet) cached.
  // A partial or corrupt download must never be returned.
  virtual std::optional<std::string> path_of(const protocol::PlayItem& item) = 0;
  // True while the item's download is queued or running: the Player then lets its playlist
  // wait (up to kMaxMediaWait for an order, until the end for a slot) instead of reporting
  // `media_missing` at once — an emergency order usually arrives with new audio.
  virtual bool fetching(const protocol::PlayItem&) { return false; }
};

// Receives the events of docs/protocol.md ("Events"). The `id` is left empty: the report queue
// assigns it.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void emit(protocol::Event event) = 0;
};

}  // namespace nguon::agent
