#include "app/broadcast_stack.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "adapters/broker/dynsec_accounts.h"
#include "app/log.h"
#include "app/signing_key.h"

namespace nguon::app {

namespace {

// Linux: a thread's own niceness (setpriority on its thread id); failures are logged only.
void lower_this_thread_priority(int steps) {
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  errno = 0;
  const int current = ::getpriority(PRIO_PROCESS, tid);
  if (errno != 0 || ::setpriority(PRIO_PROCESS, tid, std::min(current + steps, 19)) != 0) {
    log::warn("cannot lower the report writer's priority", {{"error", std::strerror(errno)}});
  }
}

}  // namespace

ReportIngestor::ReportIngestor(DeviceService& devices, size_t capacity, int nice)
    : devices_(devices), capacity_(capacity), nice_(nice), worker_([this] { run(); }) {}

ReportIngestor::~ReportIngestor() { stop(); }

void ReportIngestor::push(std::string_view topic, std::string_view payload) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= capacity_) {
      if (dropped_++ % 1000 == 0) {
        log::error("device reports dropped: ingestion queue full",
                   {{"dropped", static_cast<std::int64_t>(dropped_.load())}});
      }
      return;
    }
    queue_.emplace_back(std::string(topic), std::string(payload));
  }
  cv_.notify_one();
}

void ReportIngestor::drain() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return (queue_.empty() && !busy_) || stopping_; });
}

void ReportIngestor::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  idle_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void ReportIngestor::run() {
  if (nice_ > 0) lower_this_thread_priority(nice_);
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued is written
    // Everything queued so far (up to kBatch) in one transaction: under a fan-out, thousands of
    // reports arrive at once and one commit each would make the database the bottleneck.
    std::vector<DeviceReport> batch;
    while (!queue_.empty() && batch.size() < kBatch) {
      batch.push_back({std::move(queue_.front().first), std::move(queue_.front().second)});
      queue_.pop_front();
    }
    busy_ = true;
    lock.unlock();
    auto outcomes = devices_.ingest_batch(batch);
    for (size_t i = 0; i < outcomes.size(); ++i) {
      if (!outcomes[i]) {
        log::warn("device report refused",
                  {{"topic", batch[i].topic}, {"error", outcomes[i].error().message}});
      }
    }
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
}

BroadcastStack::~BroadcastStack() { stop(); }

void BroadcastStack::stop() {
  // Stop taking reports, then finish writing those received. The link itself lives until the
  // stack is destroyed (after the HTTP server), since the DeviceService publishes through it.
  ingest_to = nullptr;
  if (ingestor) ingestor->stop();
  if (manifests) manifests->stop();
}

namespace {

std::string server_client_id(const Config& config, Crypto& crypto) {
  return config.broker.client_id.empty() ? "nguon-server-" + crypto.random_hex(4)
                                         : config.broker.client_id;
}

}  // namespace

Result<std::unique_ptr<BroadcastStack>> make_broadcast_stack(const Config& config, Store& store,
                                                             Clock& clock, Crypto& crypto,
                                                             MediaStore* media) {
  auto stack = std::make_unique<BroadcastStack>();
  NGUON_TRY_ASSIGN(stack->key, load_or_create_signing_key(config.devices.signing_key_file, crypto));

  broker::LinkOptions link_options;
  link_options.client.host = config.broker.host;
  link_options.client.port = config.broker.port;
  link_options.client.username = config.broker.username;
  link_options.client.password = config.broker.password;
  link_options.client.client_id = server_client_id(config, crypto);
  link_options.shared_group = config.broker.shared_group;
  BroadcastStack* raw = stack.get();
  NGUON_TRY_ASSIGN(stack->link, broker::BrokerLink::start(
                                    link_options, [raw](std::string_view t, std::string_view p) {
                                      if (auto* ingestor = raw->ingest_to.load())
                                        ingestor->push(t, p);
                                    }));
  if (!stack->link->wait_connected(std::chrono::seconds(10))) {
    log::warn(
        "broker not reachable yet; retrying in the background",
        {{"host", config.broker.host}, {"port", static_cast<std::int64_t>(config.broker.port)}});
  }
  if (config.broker.accounts == "dynsec") {
    auto dynsec = std::make_unique<broker::DynsecAccounts>(*stack->link);
    if (stack->link->connected()) {
      if (Status st = dynsec->ensure_server_role(config.broker.username); !st) {
        log::error("broker: cannot set up the server's role", {{"error", st.error().message}});
      }
    }
    stack->accounts = std::move(dynsec);
  } else {
    stack->accounts = std::make_unique<ExternalBrokerAccounts>();
  }
  ProvisioningTarget target{config.broker.device_host, config.broker.device_port,
                            config.broker.device_tls, config.devices.media_base_url};
  stack->devices = std::make_unique<DeviceService>(store, clock, crypto, *stack->link,
                                                   *stack->accounts, stack->key, target, media);
  stack->ingestor =
      std::make_unique<ReportIngestor>(*stack->devices, 200000, config.devices.ingest_nice);
  stack->ingest_to = stack->ingestor.get();
  stack->expander = std::make_unique<calendar::IcalRecurrenceExpander>();
  stack->schedules = std::make_unique<ScheduleService>(store, clock, crypto, *stack->expander,
                                                       media, [raw](const std::string& owner_path) {
                                                         if (raw->manifests)
                                                           raw->manifests->refresh(owner_path);
                                                       });
  stack->manifests = std::make_unique<ManifestPublisher>(
      store, clock, *stack->schedules, *stack->devices, config.devices.manifest_horizon_days);
  stack->manifests->start();
  stack->devices->set_on_provisioned(
      [raw](const Device& d) { raw->manifests->refresh(d.unit_path); });
  stack->link->set_on_reconnect([raw] { raw->manifests->republish_all(); });
  log::info("broadcast ready",
            {{"kid", stack->key.kid},
             {"broker", config.broker.host + ":" + std::to_string(config.broker.port)}});
  return stack;
}

}  // namespace nguon::app
