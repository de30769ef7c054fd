#include "core/forms.h"

#include <algorithm>
#include <utility>

#include "core/text.h"

namespace nguon::forms {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `s` ('+' is a space when `plus_is_space`). nullopt on a bad or cut escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (s.size() - i < 3) return std::nullopt;
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>((hi << 4) | lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

bool is_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// RFC 9110 tchar.
bool is_tchar(char c) {
  return is_alnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// A control character other than HTAB (never allowed in a header value).
bool is_ctl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7F;
}

// RFC 2046: 1–70 bchars, the last one not a space.
bool valid_boundary(std::string_view b) {
  if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
  return std::all_of(b.begin(), b.end(), [](char c) {
    return is_alnum(c) || std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
  });
}

struct Param {
  std::string name;  // lower case
  std::string value;
};

struct HeaderValue {
  std::string_view type;
  std::vector<Param> params;
};

constexpr size_t kMaxParams = 16;

Error malformed_multipart(std::string message) {
  return invalid("malformed_multipart", std::move(message));
}

// `type *( OWS ";" OWS name OWS "=" OWS ( token / quoted-string ) )`. Unquoted values run to
// the next ';' or blank; quoted strings take backslash escapes. Parameter names are lower-cased;
// a parameter given twice is an error.
Result<HeaderValue> parse_header_value(std::string_view s) {
  HeaderValue out;
  size_t i = s.find(';');
  if (i == std::string_view::npos) i = s.size();
  out.type = trim_ows(s.substr(0, i));
  auto skip_ows = [&] {
    while (i < s.size() && is_ows(s[i])) ++i;
  };
  while (true) {
    skip_ows();
    if (i == s.size()) break;
    if (s[i] != ';') return malformed_multipart("unexpected character after a header parameter");
    ++i;
    skip_ows();
    if (i == s.size()) break;
    if (s[i] == ';') continue;
    const size_t name_start = i;
    while (i < s.size() && is_tchar(s[i])) ++i;
    std::string name(s.substr(name_start, i - name_start));
    if (name.empty()) return malformed_multipart("a header parameter has no name");
    std::transform(name.begin(), name.end(), name.begin(), ascii_lower);
    skip_ows();
    if (i == s.size() || s[i] != '=') {
      return malformed_multipart("the header parameter " + name + " has no value");
    }
    ++i;
    skip_ows();
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        char c = s[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i == s.size()) break;
          c = s[i++];
        }
        if (is_ctl(c)) return malformed_multipart("control character in a header parameter");
        value += c;
      }
      if (!closed) return malformed_multipart("unterminated quoted string in a header parameter");
    } else {
      const size_t start = i;
      while (i < s.size() && s[i] != ';' && s[i] != '"' && !is_ows(s[i]) && !is_ctl(s[i])) ++i;
      value = s.substr(start, i - start);
      if (value.empty()) return malformed_multipart("the header parameter " + name + " is empty");
    }
    if (out.params.size() == kMaxParams) return malformed_multipart("too many header parameters");
    for (const Param& p : out.params) {
      if (p.name == name)
        return malformed_multipart("the header parameter " + name + " is repeated");
    }
    out.params.push_back({std::move(name), std::move(value)});
  }
  return out;
}

const Param* find_param(const HeaderValue& h, std::string_view name) {
  for (const Param& p : h.params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// RFC 5987 ext-value: charset "'" [ language ] "'" value-chars. The UTF-8 text, nullopt when the
// charset is another one (the caller then falls back on filename); an error when malformed.
Result<std::optional<std::string>> decode_ext_value(std::string_view v) {
  const size_t q1 = v.find('\'');
  const size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return malformed_multipart("filename* is not charset''value");
  if (!iequals(v.substr(0, q1), "utf-8")) return std::optional<std::string>();
  auto decoded = percent_decode(v.substr(q2 + 1), false);
  if (!decoded) return malformed_multipart("filename* has a bad %-escape");
  if (!text::is_valid_utf8(*decoded)) return malformed_multipart("filename* is not valid UTF-8");
  return std::optional<std::string>(std::move(*decoded));
}

// The part's headers (CRLF-separated lines, without the closing blank line).
Result<Part> parse_part_headers(std::string_view block) {
  Part part;
  bool disposition = false;
  bool has_type = false;
  bool has_filename = false;
  while (!block.empty()) {
    size_t eol = block.find("\r\n");
    if (eol == std::string_view::npos) eol = block.size();
    const std::string_view line = block.substr(0, eol);
    block.remove_prefix(std::min(block.size(), eol + 2));
    if (line.empty() || is_ows(line.front())) {
      return malformed_multipart("empty or folded line in the part headers");
    }
    if (std::any_of(line.begin(), line.end(), is_ctl)) {
      return malformed_multipart("bare CR, LF or control character in the part headers");
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return malformed_multipart("part header without ':'");
    const std::string_view name = line.substr(0, colon);
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_tchar)) {
      return malformed_multipart("invalid part header name");
    }
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (iequals(name, "content-disposition")) {
      if (disposition) return malformed_multipart("Content-Disposition is repeated");
      disposition = true;
      NGUON_TRY_ASSIGN(const HeaderValue h, parse_header_value(value));
      if (!iequals(h.type, "form-data")) {
        return malformed_multipart("Content-Disposition is not form-data");
      }
      if (const Param* p = find_param(h, "name")) part.name = p->value;
      if (const Param* p = find_param(h, "filename")) {
        has_filename = true;
        part.filename = p->value;
      }
      if (const Param* p = find_param(h, "filename*")) {
        NGUON_TRY_ASSIGN(std::optional<std::string> ext, decode_ext_value(p->value));
        if (ext) {
          has_filename = true;
          part.filename = std::move(*ext);
        }
      }
    } else if (iequals(name, "content-type")) {
      if (has_type) return malformed_multipart("Content-Type is repeated");
      if (value.empty()) return malformed_multipart("Content-Type is empty");
      has_type = true;
      part.content_type = value;
    }
  }
  if (part.name.empty()) return malformed_multipart("part without name (Content-Disposition)");
  if (!text::is_valid_utf8(part.name) || !text::is_valid_utf8(part.filename)) {
    return malformed_multipart("part name or filename is not valid UTF-8");
  }
  if (!has_type) part.content_type = has_filename ? "application/octet-stream" : "text/plain";
  return part;
}

enum class LineEnd { kOpen, kClose, kBareLf, kNone };

// What follows a "--boundary" that ends at `at`: "--" (close delimiter), transport padding and
// CRLF (`next` is then the start of the next line), padding and a bare LF, or anything else
// (then it is not a delimiter).
LineEnd line_end(std::string_view body, size_t at, size_t& next) {
  if (body.substr(at, 2) == "--") return LineEnd::kClose;
  while (at < body.size() && is_ows(body[at])) ++at;
  if (body.substr(at, 2) == "\r\n") {
    next = at + 2;
    return LineEnd::kOpen;
  }
  if (body.substr(at, 1) == "\n") return LineEnd::kBareLf;
  return LineEnd::kNone;
}

struct Delimiter {
  size_t at = std::string_view::npos;  // where its CRLF starts
  LineEnd end = LineEnd::kNone;
  size_t next = 0;  // start of the next line (kOpen)
};

// The next delimiter ("\r\n--boundary" then "--" or padding and a line end) at or after `from`.
// Linear: string_view::find looks for the '\r' with memchr and then compares, and the pattern's
// '\r' never recurs inside it (boundaries have no control characters), so no byte of the body is
// compared more than twice; a near miss restarts the search just past its '\r'.
Delimiter find_delimiter(std::string_view body, size_t from, std::string_view delimiter) {
  Delimiter d;
  while (true) {
    const size_t at = body.find(delimiter, from);
    if (at == std::string_view::npos) break;
    d.end = line_end(body, at + delimiter.size(), d.next);
    if (d.end != LineEnd::kNone) {
      d.at = at;
      return d;
    }
    from = at + 1;
  }
  d.end = LineEnd::kNone;
  return d;
}

}  // namespace

Result<std::vector<Field>> parse_urlencoded(std::string_view body, size_t max_fields) {
  std::vector<Field> fields;
  while (!body.empty()) {
    size_t amp = body.find('&');
    if (amp == std::string_view::npos) amp = body.size();
    const std::string_view pair = body.substr(0, amp);
    body.remove_prefix(std::min(body.size(), amp + 1));
    if (pair.empty()) continue;
    if (fields.size() == max_fields) {
      return invalid("too_many_fields",
                     "the form has more than " + std::to_string(max_fields) + " fields");
    }
    const size_t eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    auto value = eq == std::string_view::npos ? std::optional<std::string>(std::string())
                                              : percent_decode(pair.substr(eq + 1), true);
    if (!name || !value) return invalid("malformed_form", "bad %-escape in the form");
    if (!text::is_valid_utf8(*name) || !text::is_valid_utf8(*value)) {
      return invalid("malformed_form", "a form field is not valid UTF-8");
    }
    fields.push_back({std::move(*name), std::move(*value)});
  }
  return fields;
}

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  auto parsed = parse_header_value(content_type);
  if (!parsed || !iequals(parsed->type, "multipart/form-data")) return std::nullopt;
  const Param* p = find_param(*parsed, "boundary");
  if (p == nullptr || !valid_boundary(p->value)) return std::nullopt;
  return p->value;
}

Result<std::vector<Part>> parse_multipart(std::string_view body, std::string_view boundary,
                                          const MultipartLimits& limits) {
  if (!valid_boundary(boundary)) {
    return malformed_multipart("the boundary is not 1-70 characters of RFC 2046's set");
  }
  const std::string delimiter = "\r\n--" + std::string(boundary);
  const std::string_view dash_boundary = std::string_view(delimiter).substr(2);

  // The first boundary line: at the very start, or after the preamble.
  Delimiter d;
  if (body.substr(0, dash_boundary.size()) == dash_boundary) {
    d.end = line_end(body, dash_boundary.size(), d.next);
  }
  if (d.end == LineEnd::kNone) d = find_delimiter(body, 0, delimiter);
  if (d.end == LineEnd::kNone) {
    if (body.find("\n" + std::string(dash_boundary)) != std::string_view::npos) {
      return malformed_multipart("lines must end with CRLF, not LF alone");
    }
    return malformed_multipart("missing boundary line");
  }

  std::vector<Part> parts;
  while (true) {
    if (d.end == LineEnd::kBareLf) {
      return malformed_multipart("the boundary line must end with CRLF, not LF alone");
    }
    if (d.end == LineEnd::kClose) return parts;
    const std::string where = "part " + std::to_string(parts.size() + 1) + ": ";
    size_t at = d.next;
    if (at == body.size()) {
      return malformed_multipart("missing closing boundary after part " +
                                 std::to_string(parts.size()));
    }
    if (parts.size() >= limits.max_parts) {
      return invalid("too_many_parts",
                     "the form has more than " + std::to_string(limits.max_parts) + " parts");
    }

    // Headers, up to the blank line.
    std::string_view headers;
    if (body.substr(at, 2) == "\r\n") {
      at += 2;
    } else {
      const size_t window = std::min(body.size() - at, limits.max_header_bytes + 4);
      const size_t end = body.substr(at, window).find("\r\n\r\n");
      if (end == std::string_view::npos) {
        if (body.size() - at >= limits.max_header_bytes + 4) {
          return malformed_multipart(where + "header too long (more than " +
                                     std::to_string(limits.max_header_bytes) + " bytes)");
        }
        return malformed_multipart(where + "unterminated part headers (no blank line)");
      }
      headers = body.substr(at, end);
      at += end + 4;
      if (headers.find(delimiter) != std::string_view::npos) {
        return malformed_multipart(where + "no blank line after the part headers");
      }
    }
    auto part = parse_part_headers(headers);
    if (!part) return malformed_multipart(where + part.error().message);

    // Content, up to the next delimiter.
    d = find_delimiter(body, at, delimiter);
    if (d.end == LineEnd::kNone) {
      return malformed_multipart(where + "unterminated part: missing closing boundary");
    }
    part->data = body.substr(at, d.at - at);
    parts.push_back(std::move(*part));
  }
}

const Field* find(const std::vector<Field>& fields, std::string_view name) {
  for (const Field& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const Part* find(const std::vector<Part>& parts, std::string_view name) {
  for (const Part& p : parts) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace nguon::forms
