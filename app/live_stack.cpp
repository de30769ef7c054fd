#include "app/live_stack.h"

namespace nguon::app {

namespace {

live::LiveOptions live_options(const Config& cfg) {
  live::LiveOptions o;
  o.stream_base_url = cfg.live.stream_base_url;
  o.max_seconds = cfg.live.max_minutes * 60;
  o.connect_seconds = cfg.live.connect_seconds;
  o.silence_seconds = cfg.live.silence_seconds;
  return o;
}

}  // namespace

LiveStack::LiveStack(const Config& cfg, Store& store, Clock& clock, Crypto& crypto,
                     DeviceService& devices)
    : desk_(store, clock, crypto, devices, live_options(cfg)),
      ticker_(std::chrono::seconds(1), [this] { desk_.tick(); }) {}

LiveStack::~LiveStack() { stop(); }

void LiveStack::stop() {
  ticker_.stop();
  desk_.end_all("shutdown");
}

}  // namespace nguon::app
