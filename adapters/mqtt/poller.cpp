#include "adapters/mqtt/poller.h"

#include <dlfcn.h>
#include <mosquitto.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "adapters/mqtt/mosquitto_setup.h"

// libmosquitto 2.0 opens a socketpair for every handle (to wake the select() of its threaded
// loop), so each connection costs three descriptors: 10,000 devices would need 30,000, above the
// usual hard limit. The Poller never uses that loop, and libmosquitto treats a failed socketpair
// as harmless (it skips the wake-up writes). So while the Poller calls mosquitto_new and
// mosquitto_(re)connect_async, this definition (it takes precedence over libc's in the whole
// process) refuses socketpair; every other call, and every other thread, goes to libc.
namespace {
thread_local bool t_refuse_socketpair = false;
}  // namespace

extern "C" int socketpair(int domain, int type, int protocol, int fds[2]) noexcept {
  if (t_refuse_socketpair) {
    errno = EMFILE;
    return -1;
  }
  using Fn = int (*)(int, int, int, int*);
  static Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "socketpair"));
  if (!real) {
    errno = ENOSYS;
    return -1;
  }
  return real(domain, type, protocol, fds);
}

namespace nguon::mqtt {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr int kMaxEvents = 512;

Poller::Connection* conn_of(void* userdata) { return static_cast<Poller::Connection*>(userdata); }

}  // namespace

// ---- Connection ----------------------------------------------------------------------------

Poller::Connection::~Connection() {
  if (mosq_) mosquitto_destroy(mosq_);
}

Status Poller::Connection::subscribe(const std::string& pattern, int qos) {
  for (const auto& s : subscriptions_) {
    if (s.first == pattern && s.second == qos) return {};
  }
  subscriptions_.emplace_back(pattern, qos);
  if (!connected_) return {};  // sent on connect
  int rc = mosquitto_subscribe(mosq_, nullptr, pattern.c_str(), qos);
  poller_->sync(*this);
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) return detail::mqtt_error("subscribe", rc);
  return {};
}

Result<int> Poller::Connection::publish(const std::string& topic, std::string_view payload, int qos,
                                        bool retain) {
  int mid = 0;
  int rc = mosquitto_publish(mosq_, &mid, topic.c_str(), static_cast<int>(payload.size()),
                             payload.data(), qos, retain);
  poller_->sync(*this);
  if (rc != MOSQ_ERR_SUCCESS) return detail::mqtt_error("publish", rc);
  return mid;
}

void Poller::Connection::handle_connect(mosquitto* mosq, void* userdata, int rc) {
  Connection* c = conn_of(userdata);
  if (rc == 0) {
    if (!c->connected_) ++c->poller_->connected_;
    c->connected_ = true;
    c->backoff_s_ = 0;
    for (const auto& [pattern, qos] : c->subscriptions_) {
      mosquitto_subscribe(mosq, nullptr, pattern.c_str(), qos);
    }
  }
  if (c->on_connect_) c->on_connect_(rc == 0, rc);
}

void Poller::Connection::handle_disconnect(mosquitto*, void* userdata, int rc) {
  Connection* c = conn_of(userdata);
  bool was_connected = c->connected_;
  if (was_connected) --c->poller_->connected_;
  c->connected_ = false;
  if (was_connected && c->on_connect_) c->on_connect_(false, rc);
  if (!c->poller_->stopping_) c->poller_->schedule_reconnect(*c);
}

// ---- Poller --------------------------------------------------------------------------------

Poller::Poller(int epoll_fd, Options options)
    : epoll_fd_(epoll_fd),
      options_(options),
      connect_window_start_(SteadyClock::now()),
      last_misc_(SteadyClock::now()) {}

Poller::~Poller() {
  connections_.clear();  // destroys the handles, closing their sockets
  ::close(epoll_fd_);
}

Result<std::unique_ptr<Poller>> Poller::create(Options options) {
  detail::init_library();
  int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return internal(std::string("epoll_create1: ") + std::strerror(errno));
  if (options.connects_per_second < 1) options.connects_per_second = 1;
  return std::unique_ptr<Poller>(new Poller(fd, options));
}

Result<Poller::Connection*> Poller::add(ClientOptions opts, Client::MessageFn on_message,
                                        Client::ConnectFn on_connect,
                                        Client::PublishedFn on_published) {
  std::unique_ptr<Connection> c(new Connection());
  c->poller_ = this;
  c->opts_ = std::move(opts);
  c->on_message_ = std::move(on_message);
  c->on_connect_ = std::move(on_connect);
  c->on_published_ = std::move(on_published);
  const char* id = c->opts_.client_id.empty() ? nullptr : c->opts_.client_id.c_str();
  t_refuse_socketpair = true;
  c->mosq_ = mosquitto_new(id, c->opts_.clean_session || id == nullptr, c.get());
  t_refuse_socketpair = false;
  if (!c->mosq_) return Error{ErrorKind::kInternal, "mqtt_new", "mosquitto_new failed"};
  NGUON_TRY(detail::configure(c->mosq_, c->opts_));
  mosquitto_connect_callback_set(c->mosq_, &Connection::handle_connect);
  mosquitto_disconnect_callback_set(c->mosq_, &Connection::handle_disconnect);
  mosquitto_message_callback_set(c->mosq_,
                                 [](mosquitto*, void* userdata, const mosquitto_message* m) {
                                   Connection* conn = conn_of(userdata);
                                   if (!conn->on_message_) return;
                                   std::string_view payload(static_cast<const char*>(m->payload),
                                                            static_cast<size_t>(m->payloadlen));
                                   conn->on_message_(m->topic, payload, m->retain);
                                 });
  mosquitto_publish_callback_set(c->mosq_, [](mosquitto*, void* userdata, int mid) {
    Connection* conn = conn_of(userdata);
    if (conn->on_published_) conn->on_published_(mid);
  });
  c->not_before_ = SteadyClock::now();
  c->queued_ = true;
  connect_queue_.push_back(c.get());
  connections_.push_back(std::move(c));
  return connections_.back().get();
}

int Poller::run_once(int timeout_ms) {
  start_due_connects();
  if (!connect_queue_.empty()) timeout_ms = std::min(timeout_ms, 10);
  epoll_event events[kMaxEvents];
  int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
  for (int i = 0; i < n; ++i) {
    service(*static_cast<Connection*>(events[i].data.ptr), events[i].events);
  }
  run_keepalives();
  return n < 0 ? 0 : n;
}

void Poller::disconnect_all() {
  stopping_ = true;
  for (auto& c : connections_) {
    mosquitto_disconnect(c->mosq_);
    sync(*c);
  }
  connect_queue_.clear();
}

void Poller::start_due_connects() {
  auto now = SteadyClock::now();
  if (now - connect_window_start_ >= std::chrono::seconds(1)) {
    connect_window_start_ = now;
    connects_in_window_ = 0;
  }
  size_t pending = connect_queue_.size();
  for (size_t i = 0; i < pending && connects_in_window_ < options_.connects_per_second; ++i) {
    Connection* c = connect_queue_.front();
    connect_queue_.pop_front();
    if (c->not_before_ > now) {  // not due yet: back of the queue
      connect_queue_.push_back(c);
      continue;
    }
    c->queued_ = false;
    ++connects_in_window_;
    t_refuse_socketpair = true;
    int rc = c->ever_started_ ? mosquitto_reconnect_async(c->mosq_)
                              : mosquitto_connect_async(c->mosq_, c->opts_.host.c_str(),
                                                        c->opts_.port, c->opts_.keepalive_s);
    t_refuse_socketpair = false;
    c->ever_started_ = true;
    sync(*c);
    if (rc != MOSQ_ERR_SUCCESS) schedule_reconnect(*c);
  }
}

void Poller::service(Connection& c, std::uint32_t events) {
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    // On failure libmosquitto closes the socket and calls the disconnect callback.
    mosquitto_loop_read(c.mosq_, 1);
  }
  if ((events & EPOLLOUT) && mosquitto_socket(c.mosq_) >= 0) {
    mosquitto_loop_write(c.mosq_, 1);
  }
  sync(c);
}

// Brings the epoll registration in line with the handle's socket and its wish to write.
void Poller::sync(Connection& c) {
  int fd = mosquitto_socket(c.mosq_);
  bool want_write = fd >= 0 && mosquitto_want_write(c.mosq_);
  if (fd != c.fd_) {
    // The old socket may already be closed (then epoll forgot it): errors are expected.
    if (c.fd_ >= 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd_, nullptr);
    c.fd_ = -1;
    if (fd >= 0) {
      epoll_event ev{};
      ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
      ev.data.ptr = &c;
      if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0) {
        c.fd_ = fd;
        c.want_write_ = want_write;
      }
    }
    if (fd < 0 && !c.connected_ && !c.queued_ && !stopping_ && c.ever_started_) {
      schedule_reconnect(c);  // the socket vanished without a disconnect callback
    }
    return;
  }
  if (fd >= 0 && want_write != c.want_write_) {
    epoll_event ev{};
    ev.events = EPOLLIN | (want_write ? EPOLLOUT : 0u);
    ev.data.ptr = &c;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
    c.want_write_ = want_write;
  }
}

void Poller::schedule_reconnect(Connection& c) {
  if (c.queued_) return;
  int min_s = std::max(1, c.opts_.reconnect_min_s);
  int max_s = std::max(min_s, c.opts_.reconnect_max_s);
  c.backoff_s_ = c.backoff_s_ == 0 ? min_s : std::min(max_s, c.backoff_s_ * 2);
  // Up to 50% jitter, so thousands of devices do not return in the same instant.
  static thread_local std::minstd_rand rng(std::random_device{}());
  int jitter_ms = static_cast<int>(rng() % static_cast<unsigned>(c.backoff_s_ * 500 + 1));
  c.not_before_ = SteadyClock::now() + std::chrono::seconds(c.backoff_s_) +
                  std::chrono::milliseconds(jitter_ms);
  c.queued_ = true;
  connect_queue_.push_back(&c);
}

// Keepalive pings and timeouts: every connection once a second.
void Poller::run_keepalives() {
  auto now = SteadyClock::now();
  if (now - last_misc_ < std::chrono::seconds(1)) return;
  last_misc_ = now;
  for (auto& c : connections_) {
    if (mosquitto_socket(c->mosq_) < 0) continue;
    mosquitto_loop_misc(c->mosq_);
    sync(*c);
  }
}

}  // namespace nguon::mqtt
