#include "app/event_streams.h"

#include <algorithm>

namespace nguon::app {

namespace {
constexpr auto kKeepAlive = std::chrono::seconds(15);
}

// One subscriber's queue, the server's streamed body.
class EventStreams::Subscriber final : public http::BodyStream {
 public:
  explicit Subscriber(std::string key) : key_(std::move(key)) {}
  const std::string& key() const { return key_; }

  bool read(std::string& out) override {
    std::lock_guard lock(mu_);
    out += pending_;
    pending_.clear();
    return true;  // ends when the client goes
  }
  void set_waker(std::function<void()> wake) override {
    std::lock_guard lock(mu_);
    wake_ = std::move(wake);
    if (!pending_.empty() && wake_) wake_();
  }
  void close() override {
    std::lock_guard lock(mu_);
    closed_ = true;
    wake_ = nullptr;
    pending_.clear();
  }
  bool closed() const {
    std::lock_guard lock(mu_);
    return closed_;
  }
  // Queues `text` unless the document is unchanged since the last send (`document` empty: a
  // comment or control line, always sent).
  void send(const std::string& text, const std::string& document = {}) {
    std::lock_guard lock(mu_);
    if (closed_) return;
    if (!document.empty()) {
      if (document == last_) return;
      last_ = document;
    }
    if (pending_.size() > 1 << 20) pending_.clear();  // a client this far behind gets the latest
    pending_ += text;
    if (wake_) wake_();
  }

 private:
  const std::string key_;
  mutable std::mutex mu_;
  std::string pending_;
  std::string last_;
  bool closed_ = false;
  std::function<void()> wake_;
};

EventStreams::EventStreams(std::string event_name, Render render, std::size_t max_subscribers,
                           std::chrono::milliseconds period)
    : event_(std::move(event_name)),
      render_(std::move(render)),
      max_subscribers_(max_subscribers),
      worker_(period, [this] { check_now(); }) {
  if (period.count() > 0) worker_.start();
}

EventStreams::~EventStreams() { worker_.stop(); }

std::shared_ptr<http::BodyStream> EventStreams::subscribe(const std::string& key) {
  auto s = std::make_shared<Subscriber>(key);
  {
    std::lock_guard lock(mu_);
    std::erase_if(subscribers_, [](const auto& w) {
      auto l = w.lock();
      return !l || l->closed();
    });
    if (subscribers_.size() >= max_subscribers_) return nullptr;
    subscribers_.push_back(s);
  }
  s->send("retry: 2000\n\n");
  if (auto doc = render_(key)) s->send("event: " + event_ + "\ndata: " + *doc + "\n\n", *doc);
  return s;
}

std::size_t EventStreams::subscribers() const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(
      std::count_if(subscribers_.begin(), subscribers_.end(), [](const auto& w) {
        auto l = w.lock();
        return l && !l->closed();
      }));
}

void EventStreams::check_now() {
  std::vector<std::shared_ptr<Subscriber>> live;
  bool keepalive = false;
  {
    std::lock_guard lock(mu_);
    for (const auto& w : subscribers_) {
      if (auto s = w.lock(); s && !s->closed()) live.push_back(std::move(s));
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_keepalive_ >= kKeepAlive) {
      keepalive = true;
      last_keepalive_ = now;
    }
  }
  std::map<std::string, std::optional<std::string>> rendered;  // once per key
  for (const auto& s : live) {
    auto it = rendered.find(s->key());
    if (it == rendered.end()) it = rendered.emplace(s->key(), render_(s->key())).first;
    if (it->second) {
      s->send("event: " + event_ + "\ndata: " + *it->second + "\n\n", *it->second);
    }
    if (keepalive) s->send(": keep-alive\n\n");
  }
}

}  // namespace nguon::app
