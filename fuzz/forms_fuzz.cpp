// Fuzzes the form parsers (core/forms.h) that read citizen submissions from the portal and from
// Open311 clients. The whole input goes to parse_urlencoded; its first line goes to
// multipart_boundary and the rest, as a body, to parse_multipart with that boundary and with a
// fixed one ("XyZ123", the boundary of the seeds). Beyond "no crash, no hang, no sanitizer
// report", it aborts when a result breaks the documented contract: more fields or parts than
// the limit, names or filenames that are not valid UTF-8, an empty part name or content type,
// more data than the body holds, a boundary outside RFC 2046's length.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/forms.h"
#include "core/text.h"

namespace {

using nguon::text::is_valid_utf8;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "forms_fuzz: %s\n", what);
  std::abort();
}

void check_parts(std::string_view body, std::string_view boundary,
                 const nguon::forms::MultipartLimits& limits) {
  auto parts = nguon::forms::parse_multipart(body, boundary, limits);
  if (!parts) {
    if (parts.error().code != "malformed_multipart" && parts.error().code != "too_many_parts") {
      fail("unexpected multipart error code");
    }
    return;
  }
  if (parts->size() > limits.max_parts) fail("more parts than max_parts");
  size_t total = 0;
  for (const auto& p : *parts) {
    if (p.name.empty()) fail("part without name");
    if (!is_valid_utf8(p.name) || !is_valid_utf8(p.filename)) fail("name is not UTF-8");
    if (p.content_type.empty()) fail("part without content type");
    total += p.data.size();
  }
  if (total > body.size()) fail("parts hold more data than the body");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nguon::forms;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  if (auto fields = parse_urlencoded(in, 64)) {
    if (fields->size() > 64) fail("more fields than max_fields");
    for (const Field& f : *fields) {
      if (!is_valid_utf8(f.name) || !is_valid_utf8(f.value)) fail("field is not UTF-8");
      if (f.name.size() + f.value.size() > in.size()) fail("field longer than the body");
    }
  } else if (fields.error().code != "malformed_form" && fields.error().code != "too_many_fields") {
    fail("unexpected urlencoded error code");
  }

  const size_t eol = in.find('\n');
  const std::string_view first = in.substr(0, eol);
  const std::string_view body = eol == std::string_view::npos ? "" : in.substr(eol + 1);
  MultipartLimits limits;
  limits.max_parts = 8;
  limits.max_header_bytes = 512;
  if (auto boundary = multipart_boundary(first)) {
    if (boundary->empty() || boundary->size() > 70) fail("boundary of an invalid length");
    check_parts(body, *boundary, limits);
  }
  check_parts(body, "XyZ123", limits);
  check_parts(in, "XyZ123", {});
  return 0;
}
