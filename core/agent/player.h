// The play scheduler: decides, from the manifest, the orders, the settings and the time, what
// the device plays now (docs/protocol.md, "Priority"). Pure state machine: time comes in as an
// argument, audio goes out through an AudioSink, and every play report goes to an EventSink.
//
// Rules:
// - A slot is current from `start` (inclusive) to `end` (exclusive); it plays its items in
//   order, and whatever still plays at `end` stops (`interrupted`, `slot_end`).
// - emergency > priority > normal. A higher priority interrupts a lower one (`interrupted`,
//   `preempted`); the interrupted playlist resumes from its next item if it is still current —
//   except a relay, which is live: it comes back itself until the time it was to end (when at
//   least kMinRelayResume seconds are left), then its playlist goes on.
//   Equal priority waits: the playlist in progress continues; among waiting ones the earliest
//   (slot start, order arrival) goes first.
// - Media absent from the cache is reported `failed` / `media_missing` and skipped, never
//   played. While it is still downloading, its playlist waits instead (kMaxMediaWait).
// - A clock jump (time going backwards, or forwards by more than kMaxTickGap between ticks) is
//   reported as a `fault` / `clock_jump`, and the decision is recomputed from the new time. A
//   slot played to its end is remembered by id and never played twice.
// - A stream item (a relay) plays for its `duration_s` or until its slot ends, and then is
//   reported `played` with reason "relayed_s:<seconds of audio relayed>". While it plays, the
//   sink's stream_progress() is read on every tick: when no audio arrived for the silence
//   window (set_stream_silence, kStreamSilence by default) it is reported `failed` with the
//   source's reason (`stream_unreachable`, `stream_stalled`, `stream_http_<code>`,
//   `stream_format`) and the relay is silent (stream_silent(): the runtime switches the
//   amplifier relay off) while the sink keeps reconnecting; audio coming back before the end is
//   reported `playing` again (reason `stream_resumed`). A relay that never brought audio ends
//   with its `failed` report only. Preemption and stops treat a relay like any item.
// - Power off (settings) stops playback (`interrupted`, `power_off`); nothing plays until power
//   returns. Orders wait meanwhile.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/agent/ports.h"
#include "core/protocol.h"

namespace nguon::agent {

// Forward jumps larger than this between two ticks count as a clock jump.
inline constexpr UnixTime kMaxTickGap = 120;
// How long an order waits for media still downloading (MediaLookup::fetching) before its item
// is reported `media_missing`. A slot waits at most until its end.
inline constexpr UnixTime kMaxMediaWait = 120;
// A preempted relay with less time than this left before its end is not resumed.
inline constexpr std::int64_t kMinRelayResume = 5;
// A relay without audio for this long is reported `failed` and falls silent.
inline constexpr UnixTime kStreamSilence = 10;
// Gaps in a relay's audio shorter than this (tick jitter) still count as relayed time.
inline constexpr UnixTime kStreamGap = 2;

class Player {
 public:
  Player(AudioSink& sink, MediaLookup& media, EventSink& events);

  // Each mutator applies its change and then re-decides (as tick(now) does).
  void set_manifest(protocol::Manifest manifest, UnixTime now);
  void set_settings(protocol::Settings settings, UnixTime now);
  void add_order(protocol::PlayOrder order, UnixTime now);
  void stop_orders(const protocol::StopOrder& stop, UnixTime now);
  // Call at least every few seconds: ends finished items, enforces slot ends, starts what is due.
  void tick(UnixTime now);

  std::optional<protocol::NowPlaying> now_playing() const;
  const protocol::Manifest& manifest() const { return manifest_; }
  int volume() const;
  bool power() const { return !settings_ || settings_->power; }
  size_t pending_orders() const { return orders_.size(); }
  // True while the relay playing has been reported `failed` and has not recovered.
  bool stream_silent() const { return current_ && current_->stream_failed; }
  void set_stream_silence(UnixTime seconds) { stream_silence_ = seconds; }

  // Slots played to their end (or skipped as unplayable). The runtime persists these so a
  // restart does not replay a slot; restore before the first tick.
  const std::set<std::string>& finished_slots() const { return finished_slots_; }
  void restore_finished_slots(std::set<std::string> ids) { finished_slots_ = std::move(ids); }

 private:
  enum class Source { kSlot, kOrder };
  // A playlist the Player can pick: a current slot, or a pending order.
  struct Candidate {
    Source source = Source::kSlot;
    std::string id;
    Priority priority = Priority::kNormal;
    UnixTime since = 0;  // slot start, or order arrival: earliest goes first among equals
  };
  struct Order {
    protocol::PlayOrder order;
    std::vector<protocol::PlayItem> items;  // `repeat` times the order's items
    size_t next = 0;
    UnixTime arrived = 0;
    std::uint64_t serial = 0;  // arrival order, for ties within the same second
  };
  struct Current {
    Source source = Source::kSlot;
    std::string id;
    Priority priority = Priority::kNormal;
    protocol::PlayItem item;
    UnixTime started = 0;
    // Relays only.
    std::int64_t stream_audio = 0;  // StreamProgress::audio at the last tick
    UnixTime last_audio = 0;        // when it last grew (the start at first)
    UnixTime silent_s = 0;          // gaps of kStreamGap or more, closed so far
    bool stream_failed = false;
    bool stream_reported = false;  // a `failed` was reported for this relay
  };

  void decide(UnixTime now);
  void detect_clock_jump(UnixTime now);
  void check_current(UnixTime now);
  std::optional<Candidate> best_candidate(UnixTime now);
  bool waiting_for_media(const Candidate& c, UnixTime now);
  bool start_next(const Candidate& c, UnixTime now);
  void stop_current(protocol::EventType type, const std::string& reason, UnixTime now);
  void resume_relay_later(UnixTime now);
  static std::string program_key(Source source, const std::string& id);
  void check_stream(UnixTime now);
  void end_stream(UnixTime now);
  void finish_program_if_done(Source source, const std::string& id);

  const protocol::Slot* find_slot(const std::string& id) const;
  Order* find_order(const std::string& id);
  const std::vector<protocol::PlayItem>* items_of(Source source, const std::string& id);
  size_t* cursor_of(Source source, const std::string& id);
  int volume_for(Source source, const std::string& id);
  protocol::Event event_for(protocol::EventType type, Source source, const std::string& id,
                            const protocol::PlayItem& item, UnixTime now) const;

  AudioSink& sink_;
  MediaLookup& media_;
  EventSink& events_;

  protocol::Manifest manifest_;
  std::optional<protocol::Settings> settings_;
  std::map<std::string, size_t> slot_cursor_;  // slot id → index of its next item
  std::set<std::string> finished_slots_;
  // Preempted relays to resume: program_key → when they were to end.
  std::map<std::string, UnixTime> relay_end_;
  std::deque<Order> orders_;
  std::uint64_t order_serial_ = 0;
  std::optional<Current> current_;
  // The playlist that played last: among equals it continues first.
  std::optional<std::pair<Source, std::string>> last_program_;
  std::optional<UnixTime> last_tick_;
  UnixTime stream_silence_ = kStreamSilence;
};

}  // namespace nguon::agent
