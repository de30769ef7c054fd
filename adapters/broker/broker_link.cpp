#include "adapters/broker/broker_link.h"

#include <utility>

#include "core/protocol.h"

namespace nguon::broker {
namespace {
constexpr std::string_view kReportTopics[] = {"nguon/v1/d/+/state", "nguon/v1/d/+/events"};
}

Result<std::unique_ptr<BrokerLink>> BrokerLink::start(LinkOptions options, ReportFn on_report) {
  std::unique_ptr<BrokerLink> link(new BrokerLink());
  link->options_ = std::move(options);
  link->on_report_ = std::move(on_report);
  BrokerLink* self = link.get();
  NGUON_TRY_ASSIGN(link->client_, mqtt::Client::create(
                                      link->options_.client,
                                      [self](std::string_view t, std::string_view p, bool) {
                                        self->on_message(t, p);
                                      },
                                      [self](bool up, int) { self->on_connect(up); }));
  if (link->options_.receive_reports) {
    for (auto topic : kReportTopics) {
      NGUON_TRY(link->client_->subscribe(
          "$share/" + link->options_.shared_group + "/" + std::string(topic), 1));
    }
  }
  NGUON_TRY(link->client_->start());
  return link;
}

BrokerLink::~BrokerLink() {
  if (client_) client_->stop();
}

bool BrokerLink::wait_connected(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return connected_; });
}

bool BrokerLink::connected() const { return client_->connected(); }

void BrokerLink::set_on_reconnect(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  on_reconnect_ = std::move(fn);
}

void BrokerLink::on_connect(bool up) {
  std::function<void()> hook;
  {
    std::lock_guard lock(mu_);
    connected_ = up;
    if (up) hook = on_reconnect_;
  }
  cv_.notify_all();
  if (hook) hook();
}

void BrokerLink::on_message(std::string_view topic, std::string_view payload) {
  {
    std::lock_guard lock(mu_);
    if (!control_topic_.empty() && topic == control_topic_) {
      control_response_ = std::string(payload);
      cv_.notify_all();
      return;
    }
  }
  if (on_report_ && protocol::parse_device_topic(topic)) on_report_(topic, payload);
}

Status BrokerLink::publish(const std::string& topic, std::string_view payload, bool retain) {
  if (!client_->connected()) {
    return Error{ErrorKind::kUnavailable, "broker_unavailable", "the MQTT broker is not connected"};
  }
  auto mid = client_->publish(topic, payload, 1, retain);
  if (!mid) return Error{ErrorKind::kUnavailable, "broker_unavailable", mid.error().message};
  return {};
}

Result<std::string> BrokerLink::control(const std::string& api, const std::string& request,
                                        std::chrono::milliseconds timeout) {
  std::lock_guard one_at_a_time(control_mu_);
  const std::string topic = "$CONTROL/" + api;
  const std::string response_topic = topic + "/response";
  if (control_subscribed_.insert(response_topic).second) {
    NGUON_TRY(client_->subscribe(response_topic, 1));
  }
  {
    std::lock_guard lock(mu_);
    control_topic_ = response_topic;
    control_response_.reset();
  }
  auto sent = client_->publish(topic, request, 1, false);
  std::unique_lock lock(mu_);
  if (sent) cv_.wait_for(lock, timeout, [&] { return control_response_.has_value(); });
  control_topic_.clear();
  if (!sent) {
    return Error{ErrorKind::kUnavailable, "broker_unavailable", sent.error().message};
  }
  if (!control_response_) {
    return Error{ErrorKind::kUnavailable, "broker_unavailable",
                 "no answer from the broker on " + response_topic};
  }
  return std::move(*control_response_);
}

}  // namespace nguon::broker
