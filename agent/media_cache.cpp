#include "agent/media_cache.h"

#include <curl/curl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "agent/files.h"

namespace nguon::agent {

namespace {

bool valid_sha256(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

void init_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Sink {
  std::FILE* file = nullptr;
  int write_errno = 0;
};

size_t write_to_file(char* data, size_t size, size_t n, void* userdata) {
  auto* sink = static_cast<Sink*>(userdata);
  size_t written = std::fwrite(data, size, n, sink->file);
  if (written != n) sink->write_errno = errno ? errno : EIO;
  return written * size;
}

Error download_failed(std::string message) {
  return {ErrorKind::kUnavailable, "download_failed", std::move(message)};
}

}  // namespace

MediaCache::MediaCache(std::string dir, Crypto& crypto, int workers)
    : dir_(std::move(dir)), crypto_(crypto) {
  init_curl();
  (void)make_dirs(dir_);
  for (int i = 0; i < std::max(1, workers); ++i) workers_.emplace_back([this] { work(); });
}

MediaCache::~MediaCache() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

std::optional<std::string> MediaCache::path_of(const protocol::PlayItem& item) {
  if (item.kind != protocol::ItemKind::kMedia || !valid_sha256(item.sha256)) return std::nullopt;
  std::string path = dir_ + "/" + item.sha256;
  {
    std::lock_guard lock(mu_);
    if (verified_.contains(item.sha256)) {
      if (::access(path.c_str(), R_OK) == 0) return path;
      verified_.erase(item.sha256);  // deleted behind our back
    }
    if (in_flight_.contains(item.sha256)) return std::nullopt;
  }
  if (!verify_file(path, item)) return std::nullopt;
  std::lock_guard lock(mu_);
  verified_.insert(item.sha256);
  return path;
}

bool MediaCache::fetching(const protocol::PlayItem& item) {
  std::lock_guard lock(mu_);
  return in_flight_.contains(item.sha256);
}

// A file found on disk (from an earlier run) is trusted only if its size and hash match; a
// mismatch is deleted so it is downloaded again.
bool MediaCache::verify_file(const std::string& path, const protocol::PlayItem& item) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  if (item.bytes > 0 && st.st_size != item.bytes) {
    ::unlink(path.c_str());
    return false;
  }
  auto content = read_file(path);
  if (!content || crypto_.sha256_hex(*content) != item.sha256) {
    ::unlink(path.c_str());
    return false;
  }
  return true;
}

void MediaCache::fetch(const protocol::PlayItem& item, const MediaSource& source, DoneFn done) {
  if (item.kind != protocol::ItemKind::kMedia || !valid_sha256(item.sha256)) return;
  if (path_of(item)) return;
  std::lock_guard lock(mu_);
  if (auto it = in_flight_.find(item.sha256); it != in_flight_.end()) {
    if (done) it->second.push_back(std::move(done));
    return;
  }
  if (auto it = failed_at_.find(item.sha256);
      it != failed_at_.end() && std::chrono::steady_clock::now() - it->second < kRetryAfter) {
    return;
  }
  auto& waiters = in_flight_[item.sha256];
  if (done) waiters.push_back(std::move(done));
  queue_.push_back({item, source});
  cv_.notify_one();
}

void MediaCache::work() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    Status result = download(job);
    std::vector<DoneFn> waiters;
    {
      std::lock_guard lock(mu_);
      if (result) {
        verified_.insert(job.item.sha256);
        failed_at_.erase(job.item.sha256);
        ++completed_;
      } else {
        failed_at_[job.item.sha256] = std::chrono::steady_clock::now();
      }
      waiters = std::move(in_flight_[job.item.sha256]);
      in_flight_.erase(job.item.sha256);
    }
    for (auto& w : waiters) w(job.item.sha256, result);
  }
}

Status MediaCache::download(const Job& job) {
  const std::string& sha = job.item.sha256;
  std::string part = dir_ + "/" + sha + ".part";
  std::string final_path = dir_ + "/" + sha;
  Sink sink;
  sink.file = std::fopen(part.c_str(), "wb");
  if (!sink.file) return file_error("open", part, errno);

  std::string url = job.source.base_url;
  if (!url.empty() && url.back() != '/') url += '/';
  url += sha;
  CURL* curl = curl_easy_init();
  if (!curl) {
    std::fclose(sink.file);
    ::unlink(part.c_str());
    return download_failed("curl_easy_init failed");
  }
  char curl_error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
  curl_easy_setopt(curl, CURLOPT_USERNAME, job.source.username.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, job.source.password.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &write_to_file);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 15L);
  // Give up on a stalled transfer (under 1 KiB/s for 60 s) rather than on a slow one.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
  if (job.item.bytes > 0) {
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(job.item.bytes));
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  bool flushed = std::fflush(sink.file) == 0 && ::fsync(fileno(sink.file)) == 0;
  int flush_errno = errno;
  std::fclose(sink.file);

  auto fail = [&](Error e) -> Status {
    ::unlink(part.c_str());
    return e;
  };
  if (sink.write_errno) return fail(file_error("write", part, sink.write_errno));
  if (rc != CURLE_OK) {
    return fail(
        download_failed(url + ": " + (curl_error[0] ? curl_error : curl_easy_strerror(rc))));
  }
  if (!flushed) return fail(file_error("fsync", part, flush_errno));
  auto content = read_file(part);
  if (!content) return fail(file_error("read", part, EIO));
  if (job.item.bytes > 0 && static_cast<std::int64_t>(content->size()) != job.item.bytes) {
    return fail({ErrorKind::kInvalid, "media_corrupt",
                 sha + ": " + std::to_string(content->size()) + " bytes, expected " +
                     std::to_string(job.item.bytes)});
  }
  if (crypto_.sha256_hex(*content) != sha) {
    return fail({ErrorKind::kInvalid, "media_corrupt", sha + ": content does not match its hash"});
  }
  if (::rename(part.c_str(), final_path.c_str()) != 0) {
    return fail(file_error("rename", part, errno));
  }
  return {};
}

size_t MediaCache::prune(const std::set<std::string>& keep) {
  size_t deleted = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    std::string name = entry.path().filename().string();
    if (!valid_sha256(name) || keep.contains(name)) continue;
    {
      std::lock_guard lock(mu_);
      if (in_flight_.contains(name)) continue;
      verified_.erase(name);
    }
    if (std::filesystem::remove(entry.path(), ec)) ++deleted;
  }
  return deleted;
}

std::int64_t MediaCache::downloads_completed() const {
  std::lock_guard lock(mu_);
  return completed_;
}

}  // namespace nguon::agent
