#include "app/manifest_publisher.h"

#include "app/log.h"

namespace nguon::app {

ManifestPublisher::ManifestPublisher(Store& store, Clock& clock, ScheduleService& schedules,
                                     DeviceService& devices, int horizon_days,
                                     std::chrono::seconds period)
    : store_(store),
      clock_(clock),
      schedules_(schedules),
      devices_(devices),
      horizon_days_(horizon_days),
      period_(period) {}

ManifestPublisher::~ManifestPublisher() { stop(); }

void ManifestPublisher::refresh(const std::string& unit_path) {
  {
    std::lock_guard lock(mu_);
    pending_.insert(unit_path);
  }
  cv_.notify_one();
}

void ManifestPublisher::republish_all() {
  {
    std::lock_guard lock(mu_);
    force_all_ = true;
  }
  cv_.notify_one();
}

void ManifestPublisher::start() {
  std::lock_guard lock(mu_);
  if (!worker_.joinable()) worker_ = std::thread([this] { run(); });
}

void ManifestPublisher::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void ManifestPublisher::run() {
  std::unique_lock lock(mu_);
  auto next_full = std::chrono::steady_clock::now();  // a full pass at start
  while (!stopping_) {
    cv_.wait_until(lock, next_full, [&] { return stopping_ || force_all_ || !pending_.empty(); });
    if (stopping_) return;
    const bool due = std::chrono::steady_clock::now() >= next_full;
    const bool force = force_all_;
    std::set<std::string> paths;
    if (due || force) {
      paths = {""};
      next_full = std::chrono::steady_clock::now() + period_;
    } else {
      paths.swap(pending_);
    }
    pending_.clear();
    force_all_ = false;
    lock.unlock();
    for (const auto& path : paths) {
      auto counts = refresh_now(path, force);
      if (!counts) {
        log::warn("manifests not compiled", {{"error", counts.error().message}});
      } else if (counts->published > 0 || counts->failed > 0) {
        log::info("manifests published",
                  {{"devices", static_cast<std::int64_t>(counts->devices)},
                   {"published", static_cast<std::int64_t>(counts->published)},
                   {"failed", static_cast<std::int64_t>(counts->failed)}});
      }
    }
    lock.lock();
  }
}

Result<PublishCounts> ManifestPublisher::refresh_now(const std::string& unit_path, bool force) {
  std::vector<Device> devices;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    NGUON_TRY_ASSIGN(devices, tx.devices_in({unit_path.empty() ? "VN/" : unit_path}, {}));
    return {};
  }));
  std::vector<Device> provisioned;
  for (auto& d : devices) {
    if (d.status == DeviceStatus::kProvisioned) provisioned.push_back(std::move(d));
  }
  std::vector<std::string> warnings;
  NGUON_TRY_ASSIGN(auto manifests, schedules_.compile_manifests(provisioned, clock_.now(),
                                                                horizon_days_, &warnings));
  for (const auto& w : warnings) log::debug("manifest item left out", {{"reason", w}});
  PublishCounts counts;
  counts.devices = provisioned.size();
  std::lock_guard lock(published_mu_);
  for (const auto& d : provisioned) {
    auto it = manifests.find(d.id);
    const protocol::Manifest manifest = it == manifests.end() ? protocol::Manifest{} : it->second;
    auto last = published_.find(d.id);
    if (!force && last != published_.end() && last->second == manifest) continue;
    if (Status st = devices_.publish_manifest(d.id, manifest); !st) {
      ++counts.failed;
      published_.erase(d.id);
      continue;
    }
    published_[d.id] = manifest;
    ++counts.published;
  }
  return counts;
}

}  // namespace nguon::app
