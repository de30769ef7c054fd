#include "adapters/mail/smtp_sender.h"

#include <curl/curl.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <mutex>
#include <utility>

namespace nguon::mail {
namespace {

constexpr size_t kMaxQuotedReply = 300;

struct CurlFree {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What curl reads for DATA: the rendered message.
struct Upload {
  const std::string* data = nullptr;
  size_t offset = 0;
};

size_t read_message(char* buffer, size_t size, size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, up->data->size() - up->offset);
  up->data->copy(buffer, n, up->offset);
  up->offset += n;
  return n;
}

// The last lines the server sent (curl reports replies as "header" data), printable ASCII
// only and bounded, to quote in error messages. Commands we send (AUTH among them) are ignored.
struct Replies {
  static constexpr size_t kKeep = 8;
  std::deque<std::string> lines;

  // The last line of the reply with `code` (curl sends QUIT after a failure, so the reply
  // that failed is not always the last one), or else the last line.
  std::string quote(long code) const {
    const std::string prefix = std::to_string(code);
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
      if (it->rfind(prefix, 0) == 0) return *it;
    }
    return lines.empty() ? "" : lines.back();
  }
};

int keep_reply(CURL* /*handle*/, curl_infotype type, char* data, size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) return 0;
  auto* replies = static_cast<Replies*>(user);
  std::string line;
  for (size_t i = 0; i < size && line.size() < kMaxQuotedReply; ++i) {
    const char c = data[i];
    if (c == '\r' || c == '\n') break;
    line.push_back(c >= 0x20 && c < 0x7f ? c : '?');
  }
  if (replies->lines.size() == Replies::kKeep) replies->lines.pop_front();
  replies->lines.push_back(std::move(line));
  return 0;
}

bool valid_host(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return c > 0x20 && c < 0x7f && c != '/' && c != '@' && c != '?' && c != '#' && c != '[' &&
           c != ']';
  });
}

bool valid_helo(std::string_view helo) {
  if (helo.empty() || helo.size() > 253) return false;
  return std::all_of(helo.begin(), helo.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  });
}

Error unavailable(std::string message) {
  return {ErrorKind::kUnavailable, "smtp_unavailable", std::move(message)};
}

Error config_error(std::string_view field, std::string_view why) {
  return invalid("invalid_smtp_config", "smtp." + std::string(field) + " " + std::string(why));
}

}  // namespace

Status validate(const SmtpConfig& cfg) {
  if (!valid_host(cfg.host)) return config_error("host", "must be a host name or address");
  if (cfg.port < 1 || cfg.port > 65535) return config_error("port", "must be 1..65535");
  if (cfg.tls != "none" && cfg.tls != "starttls" && cfg.tls != "tls") {
    return config_error("tls", "must be none, starttls or tls");
  }
  if (!valid_helo(cfg.helo_domain)) {
    return config_error("helo_domain", "must be letters, digits, '.' and '-'");
  }
  if (cfg.timeout_seconds < 1 || cfg.timeout_seconds > 3600) {
    return config_error("timeout_seconds", "must be 1..3600");
  }
  if (!cfg.from_address.empty() && !valid_address(cfg.from_address)) {
    return config_error("from_address", "must be an e-mail address");
  }
  return {};
}

SmtpSender::SmtpSender(SmtpConfig cfg, Clock& clock, Crypto& crypto)
    : cfg_(std::move(cfg)), clock_(clock), crypto_(crypto) {
  global_init();
}

Status SmtpSender::send(const Message& m) {
  if (auto ok = validate(cfg_); !ok) {
    return unavailable("invalid SMTP configuration: " + ok.error().message);
  }
  Message msg = m;
  if (msg.from_address.empty()) msg.from_address = cfg_.from_address;
  if (msg.from_name.empty()) msg.from_name = cfg_.from_name;
  NGUON_TRY_ASSIGN(const std::string text, render(msg, clock_.now(), crypto_.random_hex(16)));

  const bool ipv6 = cfg_.host.find(':') != std::string::npos;
  const std::string url = std::string(cfg_.tls == "tls" ? "smtps://" : "smtp://") +
                          (ipv6 ? "[" + cfg_.host + "]" : cfg_.host) + ":" +
                          std::to_string(cfg_.port) + "/" + cfg_.helo_domain;
  const std::string mail_from = "<" + msg.from_address + ">";
  std::unique_ptr<curl_slist, SlistFree> rcpt(
      curl_slist_append(nullptr, ("<" + msg.to + ">").c_str()));
  if (!rcpt) return unavailable("out of memory");
  Upload upload{&text, 0};
  Replies replies;
  char error_buffer[CURL_ERROR_SIZE] = {};
  // Declared last, so destroyed first: cleanup sends QUIT, whose reply reaches the debug
  // callback, which writes to replies.
  std::unique_ptr<CURL, CurlFree> curl(curl_easy_init());
  if (!curl) return unavailable("cannot create a curl handle");
  CURL* h = curl.get();

  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(cfg_.timeout_seconds));
  curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(cfg_.timeout_seconds));
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_message);
  curl_easy_setopt(h, CURLOPT_READDATA, &upload);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  // The debug callback sees the server's replies; it is only called in verbose mode, and
  // prints nothing itself.
  curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, keep_reply);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, &replies);
  curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
  if (cfg_.tls == "starttls") {
    curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  }
  if (!cfg_.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, cfg_.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, cfg_.password.c_str());
  }

  const CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) return {};
  long code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
  std::string message = "SMTP " + cfg_.host + ":" + std::to_string(cfg_.port) + ": " + detail;
  if (const std::string quoted = replies.quote(code); !quoted.empty()) {
    message += "; the server answered \"" + quoted + "\"";
  }
  // curl fails with CURLE_SEND_ERROR when MAIL FROM, RCPT TO or DATA is refused, and with
  // CURLE_WEIRD_SERVER_REPLY when the message itself is: a 5xx there is permanent for this
  // message. A 5xx elsewhere (greeting, EHLO, AUTH) is about us, not the message.
  if ((rc == CURLE_SEND_ERROR || rc == CURLE_WEIRD_SERVER_REPLY) && code >= 500 && code < 600) {
    return invalid("smtp_rejected", message);
  }
  return unavailable(message);
}

}  // namespace nguon::mail
