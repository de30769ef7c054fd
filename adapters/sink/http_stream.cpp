#include "adapters/sink/http_stream.h"

#include <curl/curl.h>

#include <algorithm>
#include <optional>
#include <string_view>

namespace nguon::sink {

namespace {

void init_curl() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// The audio formats a relay accepts, by the first bytes of a connection.
std::optional<StreamFormat> detect(std::string_view head) {
  if (head.starts_with("OggS")) return StreamFormat::kOgg;
  if (head.starts_with("ID3")) return StreamFormat::kMp3;
  if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0xFF &&
      (static_cast<unsigned char>(head[1]) & 0xE0) == 0xE0) {
    return StreamFormat::kMp3;
  }
  return std::nullopt;
}

constexpr size_t kHeadBytes = 4;

}  // namespace

HttpStream::HttpStream(std::string url, StreamOptions options, StreamReceiver& receiver)
    : url_(std::move(url)), options_(options), receiver_(receiver) {
  init_curl();
  multi_ = curl_multi_init();
  thread_ = std::thread([this] { run(); });
}

HttpStream::~HttpStream() {
  stop();
  if (multi_) curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void HttpStream::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (multi_) curl_multi_wakeup(static_cast<CURLM*>(multi_));
  if (thread_.joinable()) thread_.join();
}

std::string HttpStream::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

void HttpStream::set_error(std::string code) {
  std::lock_guard lock(mu_);
  error_ = std::move(code);
}

void HttpStream::run() {
  if (!multi_) {
    set_error("stream_unreachable");
    return;
  }
  auto backoff = options_.backoff_initial;
  while (!stop_) {
    std::int64_t before = bytes_;
    std::string failure = connect_once();
    if (stop_) break;
    if (bytes_ > before) backoff = options_.backoff_initial;  // it delivered audio
    set_error(std::move(failure));
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, backoff, [&] { return stop_.load(); });
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

std::string HttpStream::connect_once() {
  CURL* curl = curl_easy_init();
  if (!curl) return "stream_unreachable";
  auto* multi = static_cast<CURLM*>(multi_);
  head_.clear();
  begun_ = false;
  format_error_ = false;
  curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "nguon-agent");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &HttpStream::write_cb);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, this);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  // A source sending nothing for stall_timeout has stalled (live audio never pauses).
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(std::max<std::int64_t>(1, options_.stall_timeout.count())));
  curl_multi_add_handle(multi, curl);
  CURLcode result = CURLE_OK;
  int running = 1;
  while (running && !stop_) {
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      result = CURLE_RECV_ERROR;
      break;
    }
    if (running) curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
    if (msg->msg == CURLMSG_DONE) result = msg->data.result;
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_multi_remove_handle(multi, curl);
  curl_easy_cleanup(curl);
  if (begun_) receiver_.end();
  if (stop_) return "";
  if (format_error_) return "stream_format";
  if (result == CURLE_HTTP_RETURNED_ERROR) return "stream_http_" + std::to_string(status);
  // Connected and answered, then nothing for stall_timeout.
  if (result == CURLE_OPERATION_TIMEDOUT && status != 0) return "stream_stalled";
  return "stream_unreachable";  // refused, timed out, dropped, or ended
}

size_t HttpStream::write_cb(char* data, size_t size, size_t n, void* self) {
  return static_cast<HttpStream*>(self)->on_write(data, size * n);
}

size_t HttpStream::on_write(const char* data, size_t size) {
  if (stop_) return 0;
  if (!begun_) {
    head_.append(data, size);
    if (head_.size() < kHeadBytes) return size;
    auto format = detect(head_);
    if (!format) {
      format_error_ = true;
      return 0;  // aborts the transfer
    }
    begun_ = true;
    ++connections_;
    set_error("");
    receiver_.begin(*format);
    std::string head = std::move(head_);
    head_.clear();
    if (!receiver_.data(head.data(), head.size())) return 0;
    bytes_ += static_cast<std::int64_t>(head.size());
    return size;
  }
  if (!receiver_.data(data, size)) return 0;
  bytes_ += static_cast<std::int64_t>(size);
  return size;
}

}  // namespace nguon::sink
