// The content-addressed media cache of a device (or of all the simulator's virtual devices):
// `<dir>/<sha256>`, downloaded from `<media_base_url>/<sha256>` with HTTP Basic authentication.
//
// A download goes to `<dir>/<sha256>.part`, is checked for its byte size and SHA-256, and only
// then renamed into place, so a half or corrupt file is never played: path_of() returns only
// verified files (a file found on disk is hashed once before it is trusted, and deleted when it
// does not match). Downloads run on a few worker threads; a second request for the same media
// while one is in flight joins it (single-flight). A failed download is retried by a later
// fetch() after kRetryAfter.
//
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/agent/ports.h"
#include "core/ports.h"
#include "core/protocol.h"
#include "core/result.h"

namespace nguon::agent {

struct MediaSource {
  std::string base_url;  // media_base_url of the bundle
  std::string username;  // the device id
  std::string password;
};

class MediaCache final : public MediaLookup {
 public:
  // Called on a worker thread when a download this caller asked for ends. Errors: "disk_full",
  // "download_failed" (HTTP, network), "media_corrupt" (size or hash mismatch).
  using DoneFn = std::function<void(const std::string& sha256, const Status& result)>;
  static constexpr std::chrono::seconds kRetryAfter{30};

  // `dir` is created if needed.
  MediaCache(std::string dir, Crypto& crypto, int workers = 2);
  ~MediaCache() override;
  MediaCache(const MediaCache&) = delete;
  MediaCache& operator=(const MediaCache&) = delete;

  std::optional<std::string> path_of(const protocol::PlayItem& item) override;
  bool fetching(const protocol::PlayItem& item) override;

  // Downloads `item` unless it is cached, in flight (then `done` joins it), or failed less than
  // kRetryAfter ago (then nothing happens and `done` is not called). Stream items are ignored.
  void fetch(const protocol::PlayItem& item, const MediaSource& source, DoneFn done = {});
  // Deletes cached media whose sha256 is not in `keep` (when the disk is short). Returns the
  // number of files deleted.
  size_t prune(const std::set<std::string>& keep);

  const std::string& dir() const { return dir_; }
  std::int64_t downloads_completed() const;

 private:
  struct Job {
    protocol::PlayItem item;
    MediaSource source;
  };
  void work();
  Status download(const Job& job);
  bool verify_file(const std::string& path, const protocol::PlayItem& item);

  std::string dir_;
  Crypto& crypto_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> verified_;
  std::map<std::string, std::vector<DoneFn>> in_flight_;  // sha256 → waiters
  std::map<std::string, std::chrono::steady_clock::time_point> failed_at_;
  std::deque<Job> queue_;
  std::int64_t completed_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace nguon::agent
