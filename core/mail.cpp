#include "core/mail.h"

#include <cstdint>
#include <vector>

#include "core/protocol.h"
#include "core/text.h"

namespace nguon::mail {
namespace {

// RFC 2047: an encoded-word is at most 75 characters, and a line holding encoded-words at most
// 76. "=?UTF-8?B?" + "?=" is the 12-character frame of ours.
constexpr size_t kMaxEncodedWord = 75;
constexpr size_t kMaxHeaderLine = 76;
constexpr size_t kEncodedWordFrame = 12;
// RFC 2045: base64 lines of at most 76 characters.
constexpr size_t kBase64Line = 76;
constexpr UnixTime kUtcOffsetSeconds = UnixTime{7} * 3600;
constexpr std::int64_t kSecondsPerDay = 86400;

bool is_ascii_alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// RFC 5322 atext.
bool is_atext(char c) {
  if (is_ascii_alnum(c)) return true;
  constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return kSpecials.find(c) != std::string_view::npos;
}

bool valid_domain(std::string_view d) {
  if (d.empty() || d.size() > 253) return false;
  size_t labels = 0;
  size_t start = 0;
  while (true) {
    const size_t dot = d.find('.', start);
    const std::string_view label =
        d.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (const char c : label) {
      if (!is_ascii_alnum(c) && c != '-') return false;
    }
    ++labels;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return labels >= 2;
}

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string::npos; }

bool is_printable_ascii(std::string_view s) {
  for (const char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool is_lower_hex(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Bytes in the UTF-8 sequence starting with `lead` (the text is known to be valid).
size_t utf8_sequence_length(char lead) {
  const auto b = static_cast<unsigned char>(lead);
  if (b < 0x80) return 1;
  if (b < 0xe0) return 2;
  if (b < 0xf0) return 3;
  return 4;
}

// `text` (valid UTF-8) as RFC 2047 "B" encoded-words, each holding whole characters: the first
// at most `first_max` characters long (what is left on the header's first line), the others at
// most 75.
std::vector<std::string> encoded_words(std::string_view text, size_t first_max) {
  std::vector<std::string> words;
  size_t max = first_max < kEncodedWordFrame + 8 ? kEncodedWordFrame + 8 : first_max;
  if (max > kMaxEncodedWord) max = kMaxEncodedWord;
  size_t i = 0;
  while (i < text.size()) {
    const size_t max_bytes = (max - kEncodedWordFrame) / 4 * 3;
    size_t end = i;
    while (end < text.size()) {
      const size_t len = utf8_sequence_length(text[end]);
      if (end + len - i > max_bytes) break;
      end += len;
    }
    words.push_back("=?UTF-8?B?" + protocol::base64_encode(text.substr(i, end - i)) + "?=");
    i = end;
    max = kMaxEncodedWord;
  }
  return words;
}

// "Name: token token ...\r\n", folded (CRLF + space) before a token that would take the line
// past 76 characters.
void append_header(std::string& out, std::string_view name,
                   const std::vector<std::string>& tokens) {
  out += name;
  out += ':';
  const size_t bare = name.size() + 1;
  size_t line = bare;
  for (const std::string& token : tokens) {
    if (line > bare && line + 1 + token.size() > kMaxHeaderLine) {
      out += "\r\n";
      line = 0;
    }
    out += ' ';
    out += token;
    line += 1 + token.size();
  }
  out += "\r\n";
}

// A display name: a bare phrase when it is plain ASCII words, a quoted string when it is other
// printable ASCII, encoded-words otherwise.
std::vector<std::string> display_name_tokens(std::string_view name, size_t first_max) {
  if (name.empty()) return {};
  if (is_printable_ascii(name) && name.find("=?") == std::string_view::npos) {
    bool phrase = name.front() != ' ' && name.back() != ' ' && name.find("  ") == std::string::npos;
    for (const char c : name) phrase = phrase && (is_atext(c) || c == ' ');
    if (phrase) return {std::string(name)};
    std::string quoted = "\"";
    for (const char c : name) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    quoted += '"';
    return {quoted};
  }
  return encoded_words(name, first_max);
}

// Line breaks ("\r\n", "\r", "\n") as CRLF: the canonical form of text before base64 (RFC 2046).
std::string canonical_crlf(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 32);
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (s[i] == '\n') {
      out += "\r\n";
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string two_digits(std::int64_t n) {
  return std::string(1, static_cast<char>('0' + n / 10)) + static_cast<char>('0' + n % 10);
}

}  // namespace

bool valid_address(std::string_view addr) {
  if (addr.size() > 254) return false;
  const size_t at = addr.rfind('@');
  if (at == std::string_view::npos) return false;
  const std::string_view local = addr.substr(0, at);
  if (local.empty() || local.size() > 64) return false;
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return false;
  }
  for (const char c : local) {
    if (!is_atext(c) && c != '.') return false;
  }
  return valid_domain(addr.substr(at + 1));
}

std::string rfc5322_date(UnixTime t) {
  const UnixTime local = t + kUtcOffsetSeconds;
  std::int64_t days = local / kSecondsPerDay;
  std::int64_t secs = local % kSecondsPerDay;
  if (secs < 0) {
    secs += kSecondsPerDay;
    --days;
  }
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  // 1970-01-01 was a Thursday.
  const std::int64_t weekday = ((days % 7) + 11) % 7;  // 0 = Sunday
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::string year_text = std::to_string(year);
  while (year_text.size() < 4) year_text.insert(0, 1, '0');
  return std::string(kDays[weekday]) + ", " + two_digits(day) + " " + kMonths[month - 1] + " " +
         year_text + " " + two_digits(secs / 3600) + ":" + two_digits(secs / 60 % 60) + ":" +
         two_digits(secs % 60) + " +0700";
}

Result<std::string> render(const Message& m, UnixTime date, std::string_view random_hex) {
  for (const std::string* value :
       {&m.from_address, &m.from_name, &m.to, &m.subject, &m.message_id_domain}) {
    if (has_line_break(*value)) {
      return invalid("header_injection", "a mail header value contains CR or LF");
    }
  }
  if (!valid_address(m.from_address)) {
    return invalid("invalid_address", "the sender is not a valid e-mail address");
  }
  if (!valid_address(m.to)) {
    return invalid("invalid_address", "the recipient is not a valid e-mail address");
  }
  for (const std::string* value : {&m.from_name, &m.subject, &m.body_text}) {
    if (!text::is_valid_utf8(*value)) {
      return invalid("invalid_utf8", "a mail field is not valid UTF-8");
    }
  }
  const std::string_view domain =
      m.message_id_domain.empty()
          ? std::string_view(m.from_address).substr(m.from_address.rfind('@') + 1)
          : std::string_view(m.message_id_domain);
  if (!is_lower_hex(random_hex) || !valid_domain(domain)) {
    return invalid("invalid_message_id", "the Message-ID needs lower-case hex and a domain");
  }

  std::string out;
  append_header(out, "Date", {rfc5322_date(date)});

  constexpr std::string_view kFrom = "From";
  std::vector<std::string> from =
      display_name_tokens(m.from_name, kMaxHeaderLine - kFrom.size() - 2);
  from.push_back(from.empty() ? m.from_address : "<" + m.from_address + ">");
  append_header(out, kFrom, from);

  append_header(out, "To", {m.to});

  constexpr std::string_view kSubject = "Subject";
  const size_t subject_first = kMaxHeaderLine - kSubject.size() - 2;
  if (is_printable_ascii(m.subject) && m.subject.find("=?") == std::string::npos &&
      m.subject.size() <= subject_first) {
    append_header(
        out, kSubject,
        m.subject.empty() ? std::vector<std::string>{} : std::vector<std::string>{m.subject});
  } else {
    append_header(out, kSubject, encoded_words(m.subject, subject_first));
  }

  append_header(out, "Message-ID",
                {"<" + std::string(random_hex) + "@" + std::string(domain) + ">"});
  append_header(out, "MIME-Version", {"1.0"});
  append_header(out, "Content-Type", {"text/plain;", "charset=UTF-8"});
  append_header(out, "Content-Transfer-Encoding", {"base64"});
  out += "\r\n";

  const std::string body = protocol::base64_encode(canonical_crlf(m.body_text));
  for (size_t i = 0; i < body.size(); i += kBase64Line) {
    out.append(body, i, kBase64Line);
    out += "\r\n";
  }
  return out;
}

}  // namespace nguon::mail
