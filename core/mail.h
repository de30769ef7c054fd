// E-mail: a plain-text message rendered as RFC 5322 + MIME text (pure computation), and the
// MailSender port the core uses to send one (adapters/mail/ implements it over SMTP). Citizens
// receive the answers to their feedback this way.
#pragma once

#include <string>
#include <string_view>

#include "core/model.h"
#include "core/result.h"

namespace nguon::mail {

struct Message {
  std::string from_address;       // envelope sender and From:
  std::string from_name;          // display name of From: (may be empty, may be Vietnamese)
  std::string to;                 // one recipient: envelope recipient and To:
  std::string subject;            // UTF-8, one line
  std::string body_text;          // UTF-8 plain text; "\n", "\r\n" and "\r" are line breaks
  std::string message_id_domain;  // right side of Message-ID; empty: the domain of from_address
};

// The mailbox syntax we accept (a strict subset of RFC 5321): "local@domain", ASCII only, at
// most 254 characters; the local part is a dot-atom of RFC 5322 atext (letters, digits and
// !#$%&'*+-/=?^_`{|}~; no spaces, CR, LF, <>, quotes, commas), at most 64 characters; the
// domain has at least two dot-separated labels of [A-Za-z0-9-] (1..63 characters, no leading
// or trailing '-').
bool valid_address(std::string_view addr);

// The message as RFC 5322 + MIME text with CRLF line endings, ready for SMTP DATA:
//   Date: (`date` in +0700, Vietnam's zone), From: (display name as RFC 2047 "=?UTF-8?B?...?="
//   encoded-words when it is not plain ASCII), To:, Subject: (RFC 2047 base64 encoded-words of
//   at most 75 characters, split on UTF-8 character boundaries, lines folded at 76 characters;
//   a short plain-ASCII subject stays as is), Message-ID: <random_hex@domain>,
//   MIME-Version: 1.0, Content-Type: text/plain; charset=UTF-8,
//   Content-Transfer-Encoding: base64 (the body with CRLF line breaks, base64 wrapped at 76).
// Errors (all kInvalid): "header_injection" when from_address, from_name, to, subject or
// message_id_domain contains CR or LF; "invalid_address" for a bad from_address or to;
// "invalid_utf8" when from_name, subject or body_text is not UTF-8; "invalid_message_id" when
// random_hex is not lower-case hex or message_id_domain is not a domain.
Result<std::string> render(const Message& m, UnixTime date, std::string_view random_hex);

// "Tue, 01 Dec 2026 06:00:00 +0700": RFC 5322 date-time of `t` in UTC+7.
std::string rfc5322_date(UnixTime t);

}  // namespace nguon::mail

namespace nguon {

// Port used by the core (the outbox worker): sends one message. Thread-safe. Errors:
// kUnavailable when it may succeed later (server unreachable, timeout, 4xx answer, bad
// configuration), with a message saying what the server answered; kInvalid when it never will
// (the message does not render, or the server rejected sender, recipient or content with 5xx).
class MailSender {
 public:
  virtual ~MailSender() = default;
  virtual Status send(const mail::Message& m) = 0;
};

}  // namespace nguon
