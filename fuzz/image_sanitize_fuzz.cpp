// Fuzzes photo sanitising (core/image_sanitize.h): sanitize_image on the whole input, and
// exif_gps on it as raw TIFF bytes (seeds: JPEG, PNG and WebP with EXIF, and bare TIFF). Beyond
// "no crash, no hang, no sanitizer report", it aborts when a result breaks the contract: output
// that fails check_image, changes MIME type or grows; an orientation outside 1–8 or a position
// out of range; a second pass that changes the bytes or still finds EXIF.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "core/image_sanitize.h"
#include "core/images.h"

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "image_sanitize_fuzz: %s\n", what);
  std::abort();
}

void check_point(const std::optional<nguon::images::GeoPoint>& p) {
  if (!p) return;
  if (!std::isfinite(p->lat) || !std::isfinite(p->lon) || std::fabs(p->lat) > 90 ||
      std::fabs(p->lon) > 180) {
    fail("position out of range");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nguon::images;
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  check_point(exif_gps(in));

  auto out = sanitize_image(in);
  if (!out) {
    // Either check_image's own error, or malformed_image for an input check_image accepts.
    auto checked = check_image(in);
    const std::string expected = checked ? "malformed_image" : checked.error().code;
    if (out.error().code != expected) fail("unexpected error code");
    return 0;
  }
  check_point(out->location);
  if (out->orientation < 1 || out->orientation > 8) fail("orientation outside 1-8");
  if (out->bytes.size() > in.size()) fail("the output grew");
  auto mime = check_image(out->bytes);
  if (!mime) fail("the output fails check_image");
  if (*mime != out->mime) fail("the output changed type");

  auto again = sanitize_image(out->bytes);
  if (!again) fail("the output does not sanitise again");
  if (again->bytes != out->bytes) fail("sanitising twice changes the bytes");
  if (again->location || again->orientation != 1) fail("metadata left after sanitising");
  return 0;
}
