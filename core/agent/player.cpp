#include "core/agent/player.h"

#include <algorithm>

namespace nguon::agent {

namespace {

using protocol::EventType;

int rank(Priority p) { return static_cast<int>(p); }

// A bound on how many items one decision may skip (missing media), so a pathological manifest
// cannot stall a tick.
constexpr int kMaxStartsPerDecision = 1000;

}  // namespace

Player::Player(AudioSink& sink, MediaLookup& media, EventSink& events)
    : sink_(sink), media_(media), events_(events) {}

// ---- inputs --------------------------------------------------------------------------------

void Player::set_manifest(protocol::Manifest manifest, UnixTime now) {
  manifest_ = std::move(manifest);
  std::set<std::string> ids;
  for (const auto& slot : manifest_.slots) ids.insert(slot.id);
  // Forget progress of slots the new manifest no longer holds (bounded memory).
  std::erase_if(slot_cursor_, [&](const auto& e) { return !ids.contains(e.first); });
  std::erase_if(finished_slots_, [&](const std::string& id) { return !ids.contains(id); });
  decide(now);
}

void Player::set_settings(protocol::Settings settings, UnixTime now) {
  settings_ = settings;
  if (current_) sink_.set_volume(volume_for(current_->source, current_->id));
  decide(now);
}

void Player::add_order(protocol::PlayOrder order, UnixTime now) {
  if (order.items.empty()) {  // nothing to play; never kept
    decide(now);
    return;
  }
  Order o;
  int repeat = std::clamp(order.repeat, 1, 20);
  for (int i = 0; i < repeat; ++i) {
    o.items.insert(o.items.end(), order.items.begin(), order.items.end());
  }
  o.order = std::move(order);
  o.arrived = now;
  o.serial = ++order_serial_;
  orders_.push_back(std::move(o));
  decide(now);
}

void Player::stop_orders(const protocol::StopOrder& stop, UnixTime now) {
  auto matches = [&](const std::string& id) { return !stop.order || *stop.order == id; };
  if (current_ && current_->source == Source::kOrder && matches(current_->id)) {
    stop_current(EventType::kInterrupted, "stopped", now);
  }
  std::erase_if(orders_, [&](const Order& o) { return matches(o.order.order); });
  decide(now);
}

void Player::tick(UnixTime now) { decide(now); }

// ---- the decision --------------------------------------------------------------------------

void Player::decide(UnixTime now) {
  detect_clock_jump(now);
  last_tick_ = now;
  if (!power()) {
    if (current_) stop_current(EventType::kInterrupted, "power_off", now);
    return;
  }
  check_current(now);
  for (int attempt = 0; attempt < kMaxStartsPerDecision; ++attempt) {
    auto best = best_candidate(now);
    if (!best) return;
    if (current_) {
      if (current_->source == best->source && current_->id == best->id) return;
      if (rank(best->priority) <= rank(current_->priority)) return;  // equal waits
      resume_relay_later(now);
      stop_current(EventType::kInterrupted, "preempted", now);
    }
    if (start_next(*best, now)) return;
  }
}

void Player::detect_clock_jump(UnixTime now) {
  if (!last_tick_) return;
  if (now >= *last_tick_ && now - *last_tick_ <= kMaxTickGap) return;
  protocol::Event e;
  e.type = EventType::kFault;
  e.ts = now;
  e.reason = "clock_jump";
  events_.emit(std::move(e));
}

// Ends the current item when it finished, its slot ended, or its playlist disappeared.
void Player::check_current(UnixTime now) {
  if (!current_) return;
  if (current_->source == Source::kSlot) {
    const protocol::Slot* slot = find_slot(current_->id);
    if (!slot) {
      stop_current(EventType::kInterrupted, "stopped", now);
      return;
    }
    if (now >= slot->end) {
      std::string id = current_->id;
      if (current_->item.kind == protocol::ItemKind::kStream) {
        end_stream(now);  // a relay is bounded by its slot: it played
      } else {
        stop_current(EventType::kInterrupted, "slot_end", now);
      }
      finished_slots_.insert(id);
      return;
    }
    if (now < slot->start) {  // the clock went back before the slot: it will resume later
      stop_current(EventType::kInterrupted, "slot_end", now);
      return;
    }
  } else if (!find_order(current_->id)) {
    stop_current(EventType::kInterrupted, "stopped", now);
    return;
  }
  if (current_->item.kind == protocol::ItemKind::kStream) {
    check_stream(now);
    if (sink_.finished()) end_stream(now);
    return;
  }
  if (!sink_.finished()) return;
  Current done = std::move(*current_);
  current_.reset();
  protocol::Event e = event_for(EventType::kPlayed, done.source, done.id, done.item, now);
  e.started = done.started;
  e.ended = now;
  events_.emit(std::move(e));
  finish_program_if_done(done.source, done.id);
}

std::optional<Player::Candidate> Player::best_candidate(UnixTime now) {
  std::vector<Candidate> candidates;
  for (const auto& slot : manifest_.slots) {
    if (now < slot.start || now >= slot.end || finished_slots_.contains(slot.id)) continue;
    if (slot_cursor_[slot.id] >= slot.items.size()) {
      finished_slots_.insert(slot.id);
      continue;
    }
    candidates.push_back({Source::kSlot, slot.id, slot.priority, slot.start});
  }
  for (const auto& o : orders_) {
    if (o.next >= o.items.size()) continue;
    candidates.push_back({Source::kOrder, o.order.order, o.order.priority, o.arrived});
  }
  std::erase_if(candidates, [&](const Candidate& c) { return waiting_for_media(c, now); });
  if (candidates.empty()) return std::nullopt;

  int top = 0;
  for (const auto& c : candidates) top = std::max(top, rank(c.priority));
  std::erase_if(candidates, [top](const Candidate& c) { return rank(c.priority) != top; });
  auto is = [&](const Candidate& c, Source s, const std::string& id) {
    return c.source == s && c.id == id;
  };
  // Among equals: what plays continues, then the playlist that played last, then the earliest
  // (slots before orders of the same second; orders keep their arrival order).
  for (const auto& c : candidates) {
    if (current_ && is(c, current_->source, current_->id)) return c;
  }
  for (const auto& c : candidates) {
    if (last_program_ && is(c, last_program_->first, last_program_->second)) return c;
  }
  return *std::min_element(candidates.begin(), candidates.end(),
                           [](const Candidate& a, const Candidate& b) {
                             if (a.since != b.since) return a.since < b.since;
                             return a.source == Source::kSlot && b.source == Source::kOrder;
                           });
}

// True when the next item of `c` is media still downloading and `c` may still wait for it.
bool Player::waiting_for_media(const Candidate& c, UnixTime now) {
  const auto* items = items_of(c.source, c.id);
  size_t* cursor = cursor_of(c.source, c.id);
  if (!items || !cursor || *cursor >= items->size()) return false;
  const protocol::PlayItem& next = (*items)[*cursor];
  if (next.kind != protocol::ItemKind::kMedia) return false;
  // path_of first: a lookup may start the download of what it lacks.
  if (media_.path_of(next) || !media_.fetching(next)) return false;
  // A slot waits until its end (checked by the caller); an order for kMaxMediaWait.
  return c.source == Source::kSlot || now < c.since + kMaxMediaWait;
}

// Starts the next item of `c`. False when nothing could start (media missing, sink error):
// the item is reported and skipped, and the caller decides again.
bool Player::start_next(const Candidate& c, UnixTime now) {
  const auto* items = items_of(c.source, c.id);
  size_t* cursor = cursor_of(c.source, c.id);
  if (!items || !cursor || *cursor >= items->size()) {
    finish_program_if_done(c.source, c.id);
    return false;
  }
  protocol::PlayItem item = (*items)[*cursor];
  ++*cursor;
  last_program_ = {c.source, c.id};
  if (auto end = relay_end_.extract(program_key(c.source, c.id));
      end && item.kind == protocol::ItemKind::kStream) {  // a relay coming back
    if (end.mapped() - now < kMinRelayResume) {
      finish_program_if_done(c.source, c.id);  // its time is over: the playlist goes on
      return false;
    }
    item.duration_s = end.mapped() - now;
  }

  std::string path;
  if (item.kind == protocol::ItemKind::kMedia) {
    auto cached = media_.path_of(item);
    if (!cached) {
      protocol::Event e = event_for(EventType::kFailed, c.source, c.id, item, now);
      e.reason = "media_missing";
      events_.emit(std::move(e));
      finish_program_if_done(c.source, c.id);
      return false;
    }
    path = std::move(*cached);
  }
  if (auto st = sink_.start(item, path, volume_for(c.source, c.id)); !st) {
    protocol::Event e = event_for(EventType::kFailed, c.source, c.id, item, now);
    e.reason = item.kind == protocol::ItemKind::kStream ? "stream_failed" : "sink_error";
    events_.emit(std::move(e));
    finish_program_if_done(c.source, c.id);
    return false;
  }
  current_ = Current{c.source, c.id, c.priority, item, now};
  current_->last_audio = now;
  protocol::Event e = event_for(EventType::kPlaying, c.source, c.id, item, now);
  e.started = now;
  events_.emit(std::move(e));
  return true;
}

// A relay is live (a station, a live broadcast): when something more urgent interrupts it, it
// comes back afterwards until the time it was to end, instead of being skipped like a bulletin.
void Player::resume_relay_later(UnixTime now) {
  if (!current_ || current_->item.kind != protocol::ItemKind::kStream) return;
  const UnixTime end = current_->started + current_->item.duration_s;
  size_t* cursor = cursor_of(current_->source, current_->id);
  if (end - now < kMinRelayResume || !cursor || *cursor == 0) return;
  --*cursor;
  // A slot whose last item was playing counts as finished already: it is not, any more.
  if (current_->source == Source::kSlot) finished_slots_.erase(current_->id);
  relay_end_[program_key(current_->source, current_->id)] = end;
}

std::string Player::program_key(Source source, const std::string& id) {
  return (source == Source::kSlot ? "s:" : "o:") + id;
}

void Player::stop_current(EventType type, const std::string& reason, UnixTime now) {
  if (!current_) return;
  sink_.stop();
  Current stopped = std::move(*current_);
  current_.reset();
  protocol::Event e = event_for(type, stopped.source, stopped.id, stopped.item, now);
  e.started = stopped.started;
  e.ended = now;
  e.reason = reason;
  events_.emit(std::move(e));
  finish_program_if_done(stopped.source, stopped.id);
}

// Follows the relay playing: silence for stream_silence_ is a failure, audio again a recovery.
void Player::check_stream(UnixTime now) {
  auto progress = sink_.stream_progress();
  if (!progress) return;  // a sink that does not fetch: live by definition
  Current& c = *current_;
  if (progress->audio > c.stream_audio) {
    if (now - c.last_audio >= kStreamGap) c.silent_s += now - c.last_audio;
    c.stream_audio = progress->audio;
    c.last_audio = now;
    if (c.stream_failed) {
      c.stream_failed = false;
      protocol::Event e = event_for(EventType::kPlaying, c.source, c.id, c.item, now);
      e.started = c.started;
      e.reason = "stream_resumed";
      events_.emit(std::move(e));
    }
    return;
  }
  if (c.stream_failed || now - c.last_audio < stream_silence_) return;
  c.stream_failed = true;
  c.stream_reported = true;
  protocol::Event e = event_for(EventType::kFailed, c.source, c.id, c.item, now);
  e.started = c.started;
  if (!progress->error.empty()) {
    e.reason = progress->error;
  } else {
    e.reason = c.stream_audio > 0 ? "stream_stalled" : "stream_unreachable";
  }
  events_.emit(std::move(e));
}

// The relay reached its duration or its slot's end: `played` with the seconds relayed, unless
// no audio ever came (then it is `failed`, once).
void Player::end_stream(UnixTime now) {
  auto progress = sink_.stream_progress();  // read before stop() releases the fetch
  sink_.stop();
  Current done = std::move(*current_);
  current_.reset();
  if (progress && progress->audio > done.stream_audio) {
    if (now - done.last_audio >= kStreamGap) done.silent_s += now - done.last_audio;
    done.stream_audio = progress->audio;
    done.last_audio = now;
  }
  if (progress && done.stream_audio == 0) {
    if (!done.stream_reported) {
      protocol::Event e = event_for(EventType::kFailed, done.source, done.id, done.item, now);
      e.started = done.started;
      e.reason = progress->error.empty() ? "stream_unreachable" : progress->error;
      events_.emit(std::move(e));
    }
    finish_program_if_done(done.source, done.id);
    return;
  }
  UnixTime silent = done.silent_s;
  if (progress && now - done.last_audio >= kStreamGap) silent += now - done.last_audio;
  UnixTime relayed = std::max<UnixTime>(0, now - done.started - silent);
  protocol::Event e = event_for(EventType::kPlayed, done.source, done.id, done.item, now);
  e.started = done.started;
  e.ended = now;
  e.reason = "relayed_s:" + std::to_string(relayed);
  events_.emit(std::move(e));
  finish_program_if_done(done.source, done.id);
}

// Retires a playlist whose items have all been started and none is playing any more.
void Player::finish_program_if_done(Source source, const std::string& id) {
  if (current_ && current_->source == source && current_->id == id) return;
  if (source == Source::kSlot) {
    const protocol::Slot* slot = find_slot(id);
    if (slot && slot_cursor_[id] >= slot->items.size()) finished_slots_.insert(id);
    return;
  }
  std::erase_if(orders_,
                [&](const Order& o) { return o.order.order == id && o.next >= o.items.size(); });
}

// ---- lookups -------------------------------------------------------------------------------

const protocol::Slot* Player::find_slot(const std::string& id) const {
  for (const auto& slot : manifest_.slots) {
    if (slot.id == id) return &slot;
  }
  return nullptr;
}

Player::Order* Player::find_order(const std::string& id) {
  for (auto& o : orders_) {
    if (o.order.order == id) return &o;
  }
  return nullptr;
}

const std::vector<protocol::PlayItem>* Player::items_of(Source source, const std::string& id) {
  if (source == Source::kSlot) {
    const protocol::Slot* slot = find_slot(id);
    return slot ? &slot->items : nullptr;
  }
  Order* o = find_order(id);
  return o ? &o->items : nullptr;
}

size_t* Player::cursor_of(Source source, const std::string& id) {
  if (source == Source::kSlot) return find_slot(id) ? &slot_cursor_[id] : nullptr;
  Order* o = find_order(id);
  return o ? &o->next : nullptr;
}

int Player::volume() const { return settings_ ? settings_->volume : manifest_.volume; }

int Player::volume_for(Source source, const std::string& id) {
  if (source == Source::kOrder) {
    if (Order* o = find_order(id); o && o->order.volume) return *o->order.volume;
  }
  return volume();
}

protocol::Event Player::event_for(EventType type, Source source, const std::string& id,
                                  const protocol::PlayItem& item, UnixTime now) const {
  protocol::Event e;
  e.type = type;
  e.ts = now;
  (source == Source::kSlot ? e.slot : e.order) = id;
  if (item.kind == protocol::ItemKind::kMedia) {
    e.sha256 = item.sha256;
  } else {
    e.url = item.url;
  }
  return e;
}

std::optional<protocol::NowPlaying> Player::now_playing() const {
  if (!current_) return std::nullopt;
  protocol::NowPlaying np;
  np.kind = current_->item.kind;
  np.sha256 = current_->item.sha256;
  np.url = current_->item.url;
  np.priority = current_->priority;
  (current_->source == Source::kSlot ? np.slot : np.order) = current_->id;
  return np;
}

}  // namespace nguon::agent
