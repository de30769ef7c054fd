// DeviceService::order_board: which targeted device reported what for one order.
#include <algorithm>
#include <map>
#include <tuple>

#include "core/devices/device_service.h"

namespace nguon {

namespace {

// The board's state for a report type; "" for reports that say nothing of this order.
std::string board_state(std::string_view type) {
  if (type == "playing" || type == "played" || type == "interrupted" || type == "failed") {
    return std::string(type);
  }
  return type == "rejected" ? "failed" : "";
}

// Devices not yet confirmed first (waiting, then failed), then by name.
int board_rank(const std::string& state) {
  if (state == "waiting") return 0;
  if (state == "failed") return 1;
  return 2;
}

}  // namespace

Result<OrderBoard> DeviceService::order_board(const std::string& order_id) {
  OrderBoard out;
  out.order = order_id;
  for (const char* k : {"total", "waiting", "playing", "played", "interrupted", "failed"}) {
    out.counts[k] = 0;
  }
  if (out.order.empty()) return out;
  std::vector<BoardRow> rows;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto order = tx.find_order(out.order);
    if (!order) return order.error();
    if (!order.value()) return {};
    std::vector<std::string> paths;
    std::vector<Device> devices;
    for (const std::string& target : order.value()->areas) {
      if (target.starts_with(kDeviceTargetPrefix)) {
        auto d = tx.find_device(target.substr(kDeviceTargetPrefix.size()));
        if (!d) return d.error();
        if (d.value()) devices.push_back(std::move(*d.value()));
      } else if (auto u = tx.find_unit(target); u && u.value()) {
        paths.push_back(u.value()->path);
      }
    }
    if (!paths.empty()) {
      auto in_areas = tx.devices_in(paths, {});
      if (!in_areas) return in_areas.error();
      devices.insert(devices.end(), in_areas->begin(), in_areas->end());
    }
    PlayLogQuery q;
    q.order = out.order;
    q.limit = 200000;
    auto logs = tx.list_play_logs(q);
    if (!logs) return logs.error();
    std::map<std::string, const PlayLog*> latest;  // newest first: the first one wins
    for (const PlayLog& l : logs.value()) {
      if (!board_state(l.type).empty()) latest.emplace(l.device_id, &l);
    }
    for (const Device& d : devices) {
      BoardRow row{d.id, d.name, d.commune_code, d.online};
      if (auto it = latest.find(d.id); it != latest.end()) {
        row.state = board_state(it->second->type);
        row.reason = it->second->reason;
        row.ts = it->second->ts;
      }
      ++out.counts["total"];
      ++out.counts[row.state];
      rows.push_back(std::move(row));
    }
    return {};
  }));
  std::sort(rows.begin(), rows.end(), [](const BoardRow& a, const BoardRow& b) {
    const int ra = board_rank(a.state);
    const int rb = board_rank(b.state);
    return std::tie(ra, a.name, a.device_id) < std::tie(rb, b.name, b.device_id);
  });
  if (rows.size() > kMaxBoardRows) rows.resize(kMaxBoardRows);
  out.rows = std::move(rows);
  return out;
}

}  // namespace nguon
