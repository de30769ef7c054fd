// The queue of events waiting for the broker's acknowledgement (docs/protocol.md, "Events").
// Every event is appended (and, on disk, fsync'd) before it is published; it leaves the queue
// only when the broker acknowledged its publish. The queue assigns the event's device-unique id.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/protocol.h"
#include "core/result.h"

namespace nguon::agent {

struct QueuedReport {
  std::uint64_t id = 0;
  std::string json;  // protocol::encode_event, with the id
};

class ReportQueue {
 public:
  virtual ~ReportQueue() = default;
  // Assigns `event.id`, stores it and returns the stored report. Errors: "disk_full",
  // "io_error" (the event is then NOT stored).
  virtual Result<QueuedReport> append(protocol::Event& event) = 0;
  // The broker acknowledged report `id`; unknown ids are ignored.
  virtual void remove(std::uint64_t id) = 0;
  // Unacknowledged reports, oldest first.
  virtual std::vector<QueuedReport> pending() const = 0;
  virtual size_t size() const = 0;
};

// In memory only (the simulator; or when no state directory is usable). Report ids must never
// repeat for a device (the server drops a repeated id as a duplicate), and nothing remembers
// them across restarts here: a process starts at first_id_now(), the wall clock in
// microseconds, above any id an earlier run of the same device could have used.
class MemoryReportQueue final : public ReportQueue {
 public:
  explicit MemoryReportQueue(std::uint64_t first_id = 1) : next_id_(first_id) {}
  static std::uint64_t first_id_now();
  Result<QueuedReport> append(protocol::Event& event) override;
  void remove(std::uint64_t id) override { pending_.erase(id); }
  std::vector<QueuedReport> pending() const override;
  size_t size() const override { return pending_.size(); }

 private:
  std::uint64_t next_id_;
  std::map<std::uint64_t, std::string> pending_;
};

// An append-only log file, `E <id> <json>` for an event (fsync'd before append() returns) and
// `A <id>` for an acknowledgement (not fsync'd: losing one only re-sends a report, which the
// server de-duplicates). `N <id>` records the next id so ids never repeat. The log is compacted
// (rewritten atomically with the pending reports only) at open and when acknowledgements pile
// up. A torn last line (crash mid-append) is ignored.
class DiskReportQueue final : public ReportQueue {
 public:
  static Result<std::unique_ptr<DiskReportQueue>> open(const std::string& path);
  ~DiskReportQueue() override;

  Result<QueuedReport> append(protocol::Event& event) override;
  void remove(std::uint64_t id) override;
  std::vector<QueuedReport> pending() const override;
  size_t size() const override { return pending_.size(); }

 private:
  explicit DiskReportQueue(std::string path) : path_(std::move(path)) {}
  Status load();
  Status compact();
  Status reopen_for_append();

  std::string path_;
  int fd_ = -1;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::string> pending_;
  size_t acks_since_compaction_ = 0;
  bool torn_ = false;  // the log may end in a fragment without its newline
};

}  // namespace nguon::agent
