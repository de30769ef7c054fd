// HTML form bodies, as sent by the citizen portal (plain forms that work without JavaScript on
// cheap phones) and by Open311 GeoReport v2 clients: application/x-www-form-urlencoded, and
// multipart/form-data (RFC 7578) when a photo or a recording is attached. Pure parsing: the
// HTTP edge enforces the body size limit before calling these.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace nguon::forms {

struct Field {
  std::string name;
  std::string value;
};

// application/x-www-form-urlencoded: `name=value` pairs separated by '&'; '+' is a space and
// %XX a byte (either case). A pair without '=' has an empty value; empty pairs ("a=1&&b=2",
// a trailing '&') are skipped. Names and values must decode to valid UTF-8. Errors:
// invalid("malformed_form") on a bad escape or invalid UTF-8, invalid("too_many_fields") past
// `max_fields` pairs.
Result<std::vector<Field>> parse_urlencoded(std::string_view body, size_t max_fields = 200);

struct Part {
  std::string name;          // the Content-Disposition name (never empty)
  std::string filename;      // filename* (RFC 5987, UTF-8) or filename; "" when absent. A label
                             // from the client, never a path to use.
  std::string content_type;  // as sent (trimmed); default text/plain, or
                             // application/octet-stream when the part has a filename parameter
  std::string data;          // the raw bytes
};

struct MultipartLimits {
  size_t max_parts = 20;
  size_t max_header_bytes = 8192;  // one part's header block, without its closing blank line
};

// The boundary parameter of a Content-Type header value "multipart/form-data; boundary=…"
// (media type and parameter names case-insensitive, the value quoted or not). nullopt when the
// media type is another one, the parameter is absent or given twice, or the boundary is not
// 1–70 characters of RFC 2046's set (letters, digits, '()+_,-./:=? and inner spaces).
std::optional<std::string> multipart_boundary(std::string_view content_type);

// The parts of a multipart/form-data body. Each part needs Content-Disposition: form-data with
// a name (quoted strings take backslash escapes; filename* in RFC 5987 UTF-8 wins over
// filename); Content-Type is optional; other headers are ignored. The preamble and the
// epilogue are ignored; lines end with CRLF. A "--boundary" inside data that is not at the start
// of a line, or not followed by "--" or by optional blanks and CRLF, is data. Errors:
// invalid("malformed_multipart") with the reason (missing boundary line, LF-only line endings,
// part headers too long or unterminated, no blank line after the headers, part without a name,
// unterminated part / missing closing boundary, …), invalid("too_many_parts") past
// limits.max_parts. Linear in the input size.
Result<std::vector<Part>> parse_multipart(std::string_view body, std::string_view boundary,
                                          const MultipartLimits& limits = {});

// The first field (or part) with that name; nullptr when there is none.
const Field* find(const std::vector<Field>& fields, std::string_view name);
const Part* find(const std::vector<Part>& parts, std::string_view name);

}  // namespace nguon::forms
