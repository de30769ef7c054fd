// Test doubles for the agent's ports: a manual clock, a scripted audio sink, an in-memory media
// cache and an event recorder. Header-only; shared by the agent's unit tests.
#pragma once

#include <atomic>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/agent/ports.h"
#include "core/ports.h"
#include "core/protocol.h"

namespace nguon::agent::testing {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixTime start = 1'790'000'000) : now_(start) {}
  UnixTime now() const override { return now_.load(); }
  void advance(UnixTime seconds) { now_ += seconds; }
  void set(UnixTime t) { now_ = t; }

 private:
  std::atomic<UnixTime> now_;
};

// Plays nothing; the test decides when the current item finishes.
class FakeSink final : public AudioSink {
 public:
  Status start(const protocol::PlayItem& item, const std::string& path, int volume) override {
    if (fail_next) {
      fail_next = false;
      return Error{ErrorKind::kUnavailable, "sink_error", "scripted failure"};
    }
    started.push_back(item);
    paths.push_back(path);
    this->volume = volume;
    playing = true;
    done = false;
    return {};
  }
  void stop() override {
    playing = false;
    ++stops;
  }
  bool finished() override { return done; }
  void set_volume(int v) override { volume = v; }
  std::optional<StreamProgress> stream_progress() override { return progress; }
  // Makes the current item end at the next tick.
  void finish() { done = true; }

  std::vector<protocol::PlayItem> started;
  std::vector<std::string> paths;
  int volume = -1;
  int stops = 0;
  bool playing = false;
  bool done = false;
  bool fail_next = false;
  std::optional<StreamProgress> progress;  // nullopt: relays are not tracked
};

class FakeMedia final : public MediaLookup {
 public:
  std::optional<std::string> path_of(const protocol::PlayItem& item) override {
    if (!present.contains(item.sha256)) return std::nullopt;
    return "/cache/" + item.sha256;
  }
  bool fetching(const protocol::PlayItem& item) override {
    return downloading.contains(item.sha256);
  }
  std::set<std::string> present;
  std::set<std::string> downloading;
};

class EventLog final : public EventSink {
 public:
  void emit(protocol::Event e) override { events.push_back(std::move(e)); }
  // "type:reason" of every event, e.g. "playing", "interrupted:preempted".
  std::vector<std::string> summary() const {
    std::vector<std::string> out;
    for (const auto& e : events) {
      std::string s(protocol::event_type_name(e.type));
      if (e.reason) s += ":" + *e.reason;
      out.push_back(s);
    }
    return out;
  }
  void clear() { events.clear(); }
  std::vector<protocol::Event> events;
};

inline protocol::PlayItem media(const std::string& sha, std::int64_t duration_ms = 10'000) {
  protocol::PlayItem item;
  item.kind = protocol::ItemKind::kMedia;
  item.sha256 = sha;
  item.bytes = 100;
  item.duration_ms = duration_ms;
  return item;
}

inline protocol::PlayItem stream(const std::string& url, std::int64_t duration_s) {
  protocol::PlayItem item;
  item.kind = protocol::ItemKind::kStream;
  item.url = url;
  item.duration_s = duration_s;
  return item;
}

}  // namespace nguon::agent::testing
