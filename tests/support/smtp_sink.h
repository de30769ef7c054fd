// A real SMTP server for tests: listens on 127.0.0.1 on an ephemeral port, in one thread of the
// test, and keeps every message it receives in memory. It speaks enough of RFC 5321 for a
// client such as libcurl: a 220 greeting, EHLO (250-hello, 250 8BITMIME), HELO, MAIL FROM,
// RCPT TO, DATA (354, data up to CRLF.CRLF, dot-stuffing undone), RSET, NOOP, QUIT, and 500
// for anything else. Connections are served one after the other, several messages each; a
// connection idle for 30 s is closed.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nguon::testing {

struct ReceivedMail {
  std::string mail_from;             // the address inside MAIL FROM:<...>
  std::vector<std::string> rcpt_to;  // the addresses inside RCPT TO:<...>
  std::string data;                  // the message as sent after DATA, CRLF line endings
};

class SmtpSink {
 public:
  // Listens on 127.0.0.1:`port` (0: an ephemeral port). Throws std::runtime_error when it cannot.
  explicit SmtpSink(int port = 0);
  ~SmtpSink();
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  int port() const { return port_; }
  std::vector<ReceivedMail> messages() const;
  // True once at least `count` messages were received, false after `timeout`.
  bool wait_for(size_t count, std::chrono::milliseconds timeout) const;
  // The code answered to MAIL FROM: 0 accepts; e.g. 451 (try later) or 550 (rejected).
  void set_reject_mail(int code) { reject_mail_ = code; }
  // The same for RCPT TO, and for the end of DATA (the answer to the final ".").
  void set_reject_rcpt(int code) { reject_rcpt_ = code; }
  void set_reject_data(int code) { reject_data_ = code; }
  // Closes the listening socket and any connection, and joins the thread. Idempotent.
  void stop();

 private:
  void serve();
  void session(int fd);
  // Waits until `fd` is readable: false when stopping, on timeout or error.
  bool wait_readable(int fd, int timeout_ms) const;

  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};  // a pipe written by stop() to wake poll()
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> reject_mail_{0};
  std::atomic<int> reject_rcpt_{0};
  std::atomic<int> reject_data_{0};
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<ReceivedMail> messages_;
  std::thread thread_;
};

// The Subject of a message rendered by mail::render, RFC 2047 encoded-words decoded ("" when
// there is none).
std::string decoded_subject(const std::string& data);
// The text/plain body of a message rendered by mail::render, base64 decoded, with CRLF line
// breaks turned back into "\n".
std::string decoded_body(const std::string& data);

}  // namespace nguon::testing
