#include "agent/report_queue.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>

#include "agent/files.h"

namespace nguon::agent {

namespace {

// Compact once this many acknowledgements accumulated in the log.
constexpr size_t kCompactAfterAcks = 512;

std::optional<std::uint64_t> parse_id(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

QueuedReport stamp(protocol::Event& event, std::uint64_t id) {
  event.id = std::to_string(id);
  return {id, protocol::encode_event(event)};
}

Status append_line(int fd, const std::string& line, const std::string& path, bool sync) {
  std::string_view rest = line;
  while (!rest.empty()) {
    ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return file_error("append", path, errno);
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  if (sync && ::fdatasync(fd) != 0) return file_error("fsync", path, errno);
  return {};
}

}  // namespace

// ---- memory --------------------------------------------------------------------------------

std::uint64_t MemoryReportQueue::first_id_now() {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return static_cast<std::uint64_t>(std::max<std::int64_t>(us.count(), 1));
}

Result<QueuedReport> MemoryReportQueue::append(protocol::Event& event) {
  QueuedReport r = stamp(event, next_id_++);
  pending_[r.id] = r.json;
  return r;
}

std::vector<QueuedReport> MemoryReportQueue::pending() const {
  std::vector<QueuedReport> out;
  out.reserve(pending_.size());
  for (const auto& [id, json] : pending_) out.push_back({id, json});
  return out;
}

// ---- disk ----------------------------------------------------------------------------------

Result<std::unique_ptr<DiskReportQueue>> DiskReportQueue::open(const std::string& path) {
  std::unique_ptr<DiskReportQueue> q(new DiskReportQueue(path));
  NGUON_TRY(q->load());
  // A failed compaction (disk full) leaves the log as it was: keep appending to it.
  if (!q->compact()) NGUON_TRY(q->reopen_for_append());
  return q;
}

DiskReportQueue::~DiskReportQueue() {
  if (fd_ >= 0) ::close(fd_);
}

Status DiskReportQueue::load() {
  auto text = read_file(path_);
  if (!text) return {};  // a new queue
  std::string_view rest = *text;
  while (true) {
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) break;  // torn last line: never acknowledged as stored
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl + 1);
    if (line.size() < 3 || line[1] != ' ') continue;
    std::string_view body = line.substr(2);
    size_t sp = body.find(' ');
    auto id = parse_id(body.substr(0, sp));
    if (!id) continue;
    if (line[0] == 'E' && sp != std::string_view::npos) {
      std::string json(body.substr(sp + 1));
      if (!protocol::decode_event(json)) continue;  // a torn fragment
      pending_[*id] = std::move(json);
      next_id_ = std::max(next_id_, *id + 1);
    } else if (line[0] == 'A') {
      pending_.erase(*id);
    } else if (line[0] == 'N') {
      next_id_ = std::max(next_id_, *id);
    }
  }
  return {};
}

Status DiskReportQueue::compact() {
  std::string content = "N " + std::to_string(next_id_) + "\n";
  for (const auto& [id, json] : pending_) {
    content += "E " + std::to_string(id) + " " + json + "\n";
  }
  NGUON_TRY(write_file_atomic(path_, content));
  acks_since_compaction_ = 0;
  return reopen_for_append();
}

Status DiskReportQueue::reopen_for_append() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return file_error("open", path_, errno);
  return {};
}

Result<QueuedReport> DiskReportQueue::append(protocol::Event& event) {
  if (fd_ < 0) NGUON_TRY(reopen_for_append());
  QueuedReport r = stamp(event, next_id_);
  off_t before = ::lseek(fd_, 0, SEEK_END);
  std::string line = (torn_ ? "\n" : "") + ("E " + std::to_string(r.id) + " " + r.json + "\n");
  if (Status st = append_line(fd_, line, path_, true); !st) {
    // The event is not stored. Drop the partial line; if that fails, the next append starts
    // with a newline so the torn fragment stays a line of its own (load() skips it).
    torn_ = before < 0 || ::ftruncate(fd_, before) != 0;
    return st.error();
  }
  torn_ = false;
  ++next_id_;
  pending_[r.id] = r.json;
  return r;
}

void DiskReportQueue::remove(std::uint64_t id) {
  if (pending_.erase(id) == 0) return;
  if (fd_ >= 0) {
    // Not fsync'd (see the class comment); a failed write only means a duplicate later.
    (void)append_line(fd_, "A " + std::to_string(id) + "\n", path_, false);
  }
  if (++acks_since_compaction_ >= kCompactAfterAcks) (void)compact();
}

std::vector<QueuedReport> DiskReportQueue::pending() const {
  std::vector<QueuedReport> out;
  out.reserve(pending_.size());
  for (const auto& [id, json] : pending_) out.push_back({id, json});
  return out;
}

}  // namespace nguon::agent
