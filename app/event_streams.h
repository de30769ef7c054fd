// Server-sent events (text/event-stream) of documents that change, such as an order's
// acknowledgement board: each subscriber gets the document at once and again whenever it
// changes (checked every `period`), plus a comment line every 15 s so that proxies keep the
// connection open. A document is rendered once per check for all its subscribers. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/http/message.h"
#include "app/periodic_worker.h"

namespace nguon::app {

class EventStreams {
 public:
  // The document named `key` as one line of JSON (no newline), nullopt when it cannot be read
  // now (the subscriber keeps what it has). Called on the streams' thread.
  using Render = std::function<std::optional<std::string>(const std::string& key)>;

  // A zero `period` starts no thread: the owner calls check_now() itself (tests do, so that no
  // check races with their expectations).
  EventStreams(std::string event_name, Render render, std::size_t max_subscribers,
               std::chrono::milliseconds period = std::chrono::seconds(1));
  ~EventStreams();
  EventStreams(const EventStreams&) = delete;
  EventStreams& operator=(const EventStreams&) = delete;

  // A response body streaming `key`, or null when max_subscribers are already connected.
  std::shared_ptr<http::BodyStream> subscribe(const std::string& key);
  std::size_t subscribers() const;
  // One check of every subscribed document (the thread's work; public for tests).
  void check_now();

  class Subscriber;

 private:
  const std::string event_;
  const Render render_;
  const std::size_t max_subscribers_;
  mutable std::mutex mu_;
  std::vector<std::weak_ptr<Subscriber>> subscribers_;
  std::chrono::steady_clock::time_point last_keepalive_ = std::chrono::steady_clock::now();
  PeriodicWorker worker_;  // declared last: stops first
};

}  // namespace nguon::app
