// MailSender over SMTP with libcurl: one connection per message (EHLO, optional STARTTLS or
// implicit TLS, optional AUTH, MAIL FROM, RCPT TO, DATA, QUIT). Thread-safe: every send() uses
// its own curl handle; the configuration is read-only.
#pragma once

#include <string>

#include "core/mail.h"
#include "core/ports.h"

namespace nguon::mail {

struct SmtpConfig {
  std::string host = "127.0.0.1";
  int port = 25;
  std::string tls = "none";  // none | starttls (STARTTLS required) | tls (implicit, smtps://)
  std::string username;      // empty: no AUTH
  std::string password;
  std::string from_address;  // used when a message has none
  std::string from_name = "Nguồn";
  std::string helo_domain = "localhost";  // the name given in EHLO
  int timeout_seconds = 20;               // connection, and the whole exchange
};

// Checks a configuration: host (no spaces, '/', '@'), port 1..65535, tls one of the three,
// helo_domain letters, digits, '.' and '-', timeout 1..3600 s, from_address empty or valid.
// Errors: invalid("invalid_smtp_config") naming the field.
Status validate(const SmtpConfig& cfg);

class SmtpSender final : public MailSender {
 public:
  SmtpSender(SmtpConfig cfg, Clock& clock, Crypto& crypto);

  // Renders `m` (mail::render, Date from the clock, Message-ID from crypto.random_hex(16)) and
  // sends it. An empty from_address takes the configuration's, an empty from_name too.
  // Errors: what render() refuses (kInvalid); kInvalid("smtp_rejected") when the server answers
  // 5xx to MAIL FROM, RCPT TO, DATA or the message; kUnavailable("smtp_unavailable") for a bad
  // configuration, no connection, a timeout, TLS or authentication failure, or a 4xx answer.
  // Messages quote the server's last reply when there was one.
  Status send(const Message& m) override;

 private:
  SmtpConfig cfg_;
  Clock& clock_;
  Crypto& crypto_;
};

}  // namespace nguon::mail
