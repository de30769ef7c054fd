#include "tests/support/smtp_sink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "core/protocol.h"

namespace nguon::testing {
namespace {

constexpr int kIdleMs = 30'000;
constexpr size_t kMaxLine = size_t{64} * 1024;

void send_all(int fd, std::string_view data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

void reply(int fd, std::string_view line) {
  std::string out(line);
  out += "\r\n";
  send_all(fd, out);
}

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && ascii_upper(s.substr(0, prefix.size())) == prefix;
}

// The address in "<address> [parameters]" ("" for the null sender "<>").
std::optional<std::string> angle_address(std::string_view arg) {
  while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
  if (arg.empty() || arg.front() != '<') return std::nullopt;
  const size_t close = arg.find('>');
  if (close == std::string_view::npos) return std::nullopt;
  return std::string(arg.substr(1, close - 1));
}

// The answer `code` refusing `what`: permanent for 5xx, temporary otherwise.
std::string refusal(int code, std::string_view what) {
  return std::to_string(code) + (code >= 500 ? " 5.7.1 " : " 4.3.0 ") + std::string(what) +
         (code >= 500 ? " rejected by the test sink" : " refused for now, try again later");
}

// RFC 2047 "Q" encoding.
std::optional<std::string> q_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '_') {
      out += ' ';
    } else if (s[i] == '=' && i + 2 < s.size()) {
      const std::string hex(s.substr(i + 1, 2));
      char* end = nullptr;
      const long v = std::strtol(hex.c_str(), &end, 16);
      if (end != hex.c_str() + 2) return std::nullopt;
      out += static_cast<char>(v);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Unstructured header text with RFC 2047 encoded-words decoded; whitespace between two
// adjacent encoded-words is dropped.
std::string decode_words(std::string_view v) {
  std::string out;
  std::string pending_space;
  bool after_word = false;
  size_t i = 0;
  while (i < v.size()) {
    if (v.substr(i, 2) == "=?") {
      const size_t q1 = v.find('?', i + 2);
      const size_t q2 = q1 == std::string_view::npos ? q1 : v.find('?', q1 + 1);
      const size_t end = q2 == std::string_view::npos ? q2 : v.find("?=", q2 + 1);
      if (end != std::string_view::npos) {
        const std::string encoding = ascii_upper(v.substr(q1 + 1, q2 - q1 - 1));
        const std::string_view text = v.substr(q2 + 1, end - q2 - 1);
        std::optional<std::string> decoded;
        if (encoding == "B") decoded = protocol::base64_decode(text);
        if (encoding == "Q") decoded = q_decode(text);
        if (decoded) {
          if (!after_word) out += pending_space;
          pending_space.clear();
          out += *decoded;
          after_word = true;
          i = end + 2;
          continue;
        }
      }
    }
    if (v[i] == ' ' || v[i] == '\t') {
      pending_space += v[i++];
      continue;
    }
    out += pending_space;
    pending_space.clear();
    out += v[i++];
    after_word = false;
  }
  return out + pending_space;
}

// The unfolded value of header `name` (without the leading space), nullopt when absent.
std::optional<std::string> header_value(const std::string& data, std::string_view name) {
  const size_t head_end = data.find("\r\n\r\n");
  const std::string_view head =
      std::string_view(data).substr(0, head_end == std::string::npos ? data.size() : head_end);
  size_t pos = 0;
  while (pos < head.size()) {
    size_t eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = head.size();
    const std::string_view line = head.substr(pos, eol - pos);
    if (starts_with_ci(line, ascii_upper(name) + ":")) {
      std::string value(line.substr(name.size() + 1));
      size_t next = eol + 2;
      while (next < head.size() && (head[next] == ' ' || head[next] == '\t')) {
        size_t e = head.find("\r\n", next);
        if (e == std::string_view::npos) e = head.size();
        value += head.substr(next, e - next);
        next = e + 2;
      }
      const size_t first = value.find_first_not_of(" \t");
      return first == std::string::npos ? "" : value.substr(first);
    }
    pos = eol + 2;
  }
  return std::nullopt;
}

}  // namespace

SmtpSink::SmtpSink(int port) {
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("pipe2 failed");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (listen_fd_ >= 0) ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    stop();
    throw std::runtime_error("smtp sink cannot listen on 127.0.0.1:" + std::to_string(port) + ": " +
                             std::to_string(err));
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

SmtpSink::~SmtpSink() { stop(); }

void SmtpSink::stop() {
  stopping_ = true;
  if (wake_[1] >= 0) {
    const char byte = 'x';
    [[maybe_unused]] const ssize_t n = ::write(wake_[1], &byte, 1);
  }
  if (thread_.joinable()) thread_.join();
  for (int* fd : {&listen_fd_, &wake_[0], &wake_[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

std::vector<ReceivedMail> SmtpSink::messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

bool SmtpSink::wait_for(size_t count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return messages_.size() >= count; });
}

bool SmtpSink::wait_readable(int fd, int timeout_ms) const {
  pollfd fds[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
  while (!stopping_) {
    const int rc = ::poll(fds, 2, timeout_ms);
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0 || fds[1].revents != 0) return false;
    return fds[0].revents != 0;
  }
  return false;
}

void SmtpSink::serve() {
  while (!stopping_) {
    if (!wait_readable(listen_fd_, -1)) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    session(fd);
    ::close(fd);
  }
}

void SmtpSink::session(int fd) {
  std::string in;
  // One line without its CRLF (a bare LF is accepted too); false at end of input.
  auto read_line = [&](std::string& line) {
    while (true) {
      const size_t nl = in.find('\n');
      if (nl != std::string::npos) {
        line.assign(in, 0, nl);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        in.erase(0, nl + 1);
        return true;
      }
      if (in.size() > kMaxLine || !wait_readable(fd, kIdleMs)) return false;
      char buf[8192];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      in.append(buf, static_cast<size_t>(n));
    }
  };

  reply(fd, "220 nguon-smtp-sink ESMTP ready");
  ReceivedMail tx;
  bool in_tx = false;
  std::string line;
  while (read_line(line)) {
    const std::string verb = ascii_upper(line.substr(0, line.find(' ')));
    if (verb == "EHLO") {
      tx = {};
      in_tx = false;
      reply(fd, "250-nguon-smtp-sink hello\r\n250 8BITMIME");
    } else if (verb == "HELO") {
      tx = {};
      in_tx = false;
      reply(fd, "250 nguon-smtp-sink");
    } else if (starts_with_ci(line, "MAIL FROM:")) {
      const int code = reject_mail_;
      auto addr = angle_address(std::string_view(line).substr(10));
      if (in_tx) {
        reply(fd, "503 5.5.1 nested MAIL command");
      } else if (code != 0) {
        reply(fd, refusal(code, "sender"));
      } else if (!addr) {
        reply(fd, "501 5.5.4 syntax: MAIL FROM:<address>");
      } else {
        tx = {};
        tx.mail_from = *addr;
        in_tx = true;
        reply(fd, "250 2.1.0 sender ok");
      }
    } else if (starts_with_ci(line, "RCPT TO:")) {
      const int code = reject_rcpt_;
      auto addr = angle_address(std::string_view(line).substr(8));
      if (!in_tx) {
        reply(fd, "503 5.5.1 need MAIL first");
      } else if (code != 0) {
        reply(fd, refusal(code, "recipient"));
      } else if (!addr || addr->empty()) {
        reply(fd, "501 5.5.4 syntax: RCPT TO:<address>");
      } else {
        tx.rcpt_to.push_back(*addr);
        reply(fd, "250 2.1.5 recipient ok");
      }
    } else if (verb == "DATA") {
      if (!in_tx || tx.rcpt_to.empty()) {
        reply(fd, "503 5.5.1 need RCPT first");
        continue;
      }
      reply(fd, "354 end data with <CR><LF>.<CR><LF>");
      bool complete = false;
      while (read_line(line)) {
        if (line == ".") {
          complete = true;
          break;
        }
        if (!line.empty() && line.front() == '.') line.erase(0, 1);  // dot-stuffing
        tx.data += line;
        tx.data += "\r\n";
      }
      if (!complete) return;
      if (const int code = reject_data_; code != 0) {
        tx = {};
        in_tx = false;
        reply(fd, refusal(code, "message"));
        continue;
      }
      size_t n = 0;
      {
        std::lock_guard lock(mu_);
        messages_.push_back(std::move(tx));
        n = messages_.size();
      }
      cv_.notify_all();
      tx = {};
      in_tx = false;
      reply(fd, "250 2.0.0 ok: queued as " + std::to_string(n));
    } else if (verb == "RSET") {
      tx = {};
      in_tx = false;
      reply(fd, "250 2.0.0 reset");
    } else if (verb == "NOOP") {
      reply(fd, "250 2.0.0 ok");
    } else if (verb == "QUIT") {
      reply(fd, "221 2.0.0 bye");
      return;
    } else {
      reply(fd, "500 5.5.2 command not recognized");
    }
  }
}

std::string decoded_subject(const std::string& data) {
  const auto value = header_value(data, "Subject");
  return value ? decode_words(*value) : "";
}

std::string decoded_body(const std::string& data) {
  const size_t head_end = data.find("\r\n\r\n");
  if (head_end == std::string::npos) return "";
  std::string body = data.substr(head_end + 4);
  const auto cte = header_value(data, "Content-Transfer-Encoding");
  if (cte && ascii_upper(*cte) == "BASE64") {
    std::string compact;
    for (const char c : body) {
      if (c != '\r' && c != '\n' && c != ' ' && c != '\t') compact += c;
    }
    auto decoded = protocol::base64_decode(compact);
    if (!decoded) return "";
    body = std::move(*decoded);
  }
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\r' && i + 1 < body.size() && body[i + 1] == '\n') continue;
    out += body[i];
  }
  return out;
}

}  // namespace nguon::testing
