// A live mount: the fan-out of one live stream to its listeners (loudspeakers, relays), as an
// Icecast mount does. Every listener first gets the stream's header bytes, then every page
// published after it joined. A listener that falls more than `lag_limit` bytes behind (a stalled
// client) is cut off rather than let the server's memory grow. Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace nguon::live {

class LiveMount;

// One listener's queue. read/set_waker/close have the contract of http::BodyStream (the app
// adapts it to that interface).
class LiveListener {
 public:
  // Appends the queued bytes to `out`; false once the mount has ended (or cut this listener off)
  // and everything has been handed over.
  bool read(std::string& out);
  void set_waker(std::function<void()> wake);
  void close();

 private:
  friend class LiveMount;
  // Under the mount's lock.
  void push(const std::string& bytes, std::size_t lag_limit);
  void finish();

  std::mutex mu_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool ended_ = false;
  bool closed_ = false;
  std::function<void()> wake_;
};

class LiveMount {
 public:
  LiveMount(std::string header_bytes, std::size_t lag_limit);
  // A new listener, or null when the mount has ended.
  std::shared_ptr<LiveListener> listen();
  // Sends `bytes` to every listener (and wakes them).
  void publish(const std::string& bytes);
  // Listeners get `last_bytes` (may be empty), then their stream ends. Idempotent.
  void end(const std::string& last_bytes = {});
  bool ended() const;
  // Listeners still connected.
  std::size_t listeners() const;

 private:
  void prune_closed();  // under mu_

  const std::string headers_;
  const std::size_t lag_limit_;
  mutable std::mutex mu_;
  bool ended_ = false;
  std::vector<std::shared_ptr<LiveListener>> listeners_;
};

}  // namespace nguon::live
