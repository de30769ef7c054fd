#include "adapters/mqtt/client.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "adapters/mqtt/mosquitto_setup.h"

namespace nguon::mqtt {

struct Client::Impl {
  ClientOptions opts;
  MessageFn on_message;
  ConnectFn on_connect;
  PublishedFn on_published;
  mosquitto* mosq = nullptr;
  std::atomic<bool> connected{false};
  std::atomic<bool> started{false};
  std::mutex subs_mu;
  std::vector<std::pair<std::string, int>> subscriptions;
  std::thread network;
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;

  ~Impl() {
    if (mosq) mosquitto_destroy(mosq);
  }

  // The network thread. libmosquitto's loop reconnects by itself once connected, but gives up
  // for good when the very first connect fails synchronously (broker refusing on loopback, DNS
  // not ready at boot) or on errors it deems fatal; this loop retries those with backoff.
  void run() {
    const int min_s = std::max(1, opts.reconnect_min_s);
    const int max_s = std::max(min_s, opts.reconnect_max_s);
    int delay_s = min_s;
    while (true) {
      int rc = MOSQ_ERR_SUCCESS;
      {
        // Under stop_mu, so stop() either sees this attempt (and disconnects it) or prevents it.
        std::lock_guard lock(stop_mu);
        if (stopping) return;
        rc = mosquitto_connect_async(mosq, opts.host.c_str(), opts.port, opts.keepalive_s);
      }
      if (rc == MOSQ_ERR_SUCCESS) {
        delay_s = min_s;
        mosquitto_loop_forever(mosq, 1000, 1);  // returns after stop() or a fatal error
      } else if (on_connect) {
        on_connect(false, rc);
      }
      std::unique_lock lock(stop_mu);
      if (stop_cv.wait_for(lock, std::chrono::seconds(delay_s), [&] { return stopping; })) return;
      delay_s = std::min(max_s, delay_s * 2);
    }
  }

  void resubscribe() {
    std::lock_guard lock(subs_mu);
    for (const auto& [pattern, qos] : subscriptions) {
      mosquitto_subscribe(mosq, nullptr, pattern.c_str(), qos);
    }
  }

  static Impl* self(void* userdata) { return static_cast<Impl*>(userdata); }

  static void handle_connect(mosquitto*, void* userdata, int rc) {
    Impl* impl = self(userdata);
    impl->connected = rc == 0;
    if (rc == 0) impl->resubscribe();
    if (impl->on_connect) impl->on_connect(rc == 0, rc);
  }
  static void handle_disconnect(mosquitto*, void* userdata, int rc) {
    Impl* impl = self(userdata);
    bool was_connected = impl->connected.exchange(false);
    if (was_connected && impl->on_connect) impl->on_connect(false, rc);
  }
  static void handle_message(mosquitto*, void* userdata, const mosquitto_message* m) {
    Impl* impl = self(userdata);
    if (!impl->on_message) return;
    std::string_view payload(static_cast<const char*>(m->payload),
                             static_cast<size_t>(m->payloadlen));
    impl->on_message(m->topic, payload, m->retain);
  }
  static void handle_publish(mosquitto*, void* userdata, int mid) {
    Impl* impl = self(userdata);
    if (impl->on_published) impl->on_published(mid);
  }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() { stop(); }

Result<std::unique_ptr<Client>> Client::create(ClientOptions opts, MessageFn on_message,
                                               ConnectFn on_connect, PublishedFn on_published) {
  detail::init_library();
  auto impl = std::make_unique<Impl>();
  impl->opts = std::move(opts);
  impl->on_message = std::move(on_message);
  impl->on_connect = std::move(on_connect);
  impl->on_published = std::move(on_published);
  const char* id = impl->opts.client_id.empty() ? nullptr : impl->opts.client_id.c_str();
  // libmosquitto refuses a persistent session without a client id.
  bool clean = impl->opts.clean_session || id == nullptr;
  impl->mosq = mosquitto_new(id, clean, impl.get());
  if (!impl->mosq) return Error{ErrorKind::kInternal, "mqtt_new", "mosquitto_new failed"};
  NGUON_TRY(detail::configure(impl->mosq, impl->opts));
  mosquitto_connect_callback_set(impl->mosq, &Impl::handle_connect);
  mosquitto_disconnect_callback_set(impl->mosq, &Impl::handle_disconnect);
  mosquitto_message_callback_set(impl->mosq, &Impl::handle_message);
  mosquitto_publish_callback_set(impl->mosq, &Impl::handle_publish);
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Status Client::start() {
  if (impl_->started.exchange(true)) return {};
  {
    std::lock_guard lock(impl_->stop_mu);
    impl_->stopping = false;
  }
  // Our own thread runs libmosquitto's loop (see Impl::run); tell the library it is shared.
  mosquitto_threaded_set(impl_->mosq, true);
  try {
    impl_->network = std::thread([impl = impl_.get()] { impl->run(); });
  } catch (const std::system_error& e) {
    impl_->started = false;
    return Error{ErrorKind::kInternal, "mqtt_thread", e.what()};
  }
  return {};
}

void Client::stop() {
  if (!impl_ || !impl_->started.exchange(false)) return;
  {
    std::lock_guard lock(impl_->stop_mu);
    impl_->stopping = true;
    mosquitto_disconnect(impl_->mosq);  // ends mosquitto_loop_forever
  }
  impl_->stop_cv.notify_all();
  if (impl_->network.joinable()) impl_->network.join();
  impl_->connected = false;
}

Status Client::subscribe(const std::string& pattern, int qos) {
  {
    std::lock_guard lock(impl_->subs_mu);
    for (const auto& s : impl_->subscriptions) {
      if (s.first == pattern && s.second == qos) return {};
    }
    impl_->subscriptions.emplace_back(pattern, qos);
  }
  if (!impl_->connected) return {};  // sent on connect
  int rc = mosquitto_subscribe(impl_->mosq, nullptr, pattern.c_str(), qos);
  // NO_CONN: the connection just dropped; the reconnect re-sends it.
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) return detail::mqtt_error("subscribe", rc);
  return {};
}

Result<int> Client::publish(const std::string& topic, std::string_view payload, int qos,
                            bool retain) {
  int mid = 0;
  int rc = mosquitto_publish(impl_->mosq, &mid, topic.c_str(), static_cast<int>(payload.size()),
                             payload.data(), qos, retain);
  if (rc != MOSQ_ERR_SUCCESS) return detail::mqtt_error("publish", rc);
  return mid;
}

bool Client::connected() const { return impl_->connected; }

}  // namespace nguon::mqtt
