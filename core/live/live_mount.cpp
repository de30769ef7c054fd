#include "core/live/live_mount.h"

#include <algorithm>
#include <utility>

namespace nguon::live {

bool LiveListener::read(std::string& out) {
  std::lock_guard lock(mu_);
  for (std::string& chunk : queue_) out += chunk;
  queue_.clear();
  queued_bytes_ = 0;
  return !ended_;
}

void LiveListener::set_waker(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  wake_ = std::move(wake);
}

void LiveListener::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  wake_ = nullptr;  // never called after close() returns
  queue_.clear();
  queued_bytes_ = 0;
}

void LiveListener::push(const std::string& bytes, std::size_t lag_limit) {
  std::lock_guard lock(mu_);
  if (closed_ || ended_) return;
  if (queued_bytes_ + bytes.size() > lag_limit) {
    ended_ = true;  // too slow: cut off (what it already has is not worth sending late)
    queue_.clear();
    queued_bytes_ = 0;
  } else {
    queue_.push_back(bytes);
    queued_bytes_ += bytes.size();
  }
  if (wake_) wake_();
}

void LiveListener::finish() {
  std::lock_guard lock(mu_);
  ended_ = true;
  if (wake_) wake_();
}

LiveMount::LiveMount(std::string header_bytes, std::size_t lag_limit)
    : headers_(std::move(header_bytes)), lag_limit_(lag_limit) {}

std::shared_ptr<LiveListener> LiveMount::listen() {
  std::lock_guard lock(mu_);
  if (ended_) return nullptr;
  prune_closed();
  auto listener = std::make_shared<LiveListener>();
  listener->queue_.push_back(headers_);
  listener->queued_bytes_ = 0;  // the headers do not count against the lag limit
  listeners_.push_back(listener);
  return listener;
}

void LiveMount::publish(const std::string& bytes) {
  std::lock_guard lock(mu_);
  if (ended_) return;
  for (const auto& l : listeners_) l->push(bytes, lag_limit_);
  prune_closed();
}

void LiveMount::end(const std::string& last_bytes) {
  std::lock_guard lock(mu_);
  if (ended_) return;
  ended_ = true;
  for (const auto& l : listeners_) {
    if (!last_bytes.empty()) l->push(last_bytes, lag_limit_ + last_bytes.size());
    l->finish();
  }
  listeners_.clear();
}

bool LiveMount::ended() const {
  std::lock_guard lock(mu_);
  return ended_;
}

std::size_t LiveMount::listeners() const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(
      std::count_if(listeners_.begin(), listeners_.end(), [](const auto& l) {
        std::lock_guard inner(l->mu_);
        return !l->closed_ && !l->ended_;
      }));
}

void LiveMount::prune_closed() {
  std::erase_if(listeners_, [](const std::shared_ptr<LiveListener>& l) {
    std::lock_guard lock(l->mu_);
    return l->closed_ || l->ended_;
  });
}

}  // namespace nguon::live
