#include "adapters/qr/qr_svg.h"

#include <qrencode.h>

#include <memory>

namespace nguon::qr {
namespace {

constexpr int kQuietZone = 4;

struct QrFree {
  void operator()(QRcode* c) const { QRcode_free(c); }
};

}  // namespace

Result<std::string> svg(std::string_view data) {
  std::unique_ptr<QRcode, QrFree> code(
      QRcode_encodeData(static_cast<int>(data.size()),
                        reinterpret_cast<const unsigned char*>(data.data()), 0, QR_ECLEVEL_M));
  if (!code) return invalid("too_large", "the data does not fit in a QR code");
  const int n = code->width;
  const int size = n + 2 * kQuietZone;
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                    std::to_string(size) + " " + std::to_string(size) +
                    "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" "
                    "fill=\"#fff\"/><path fill=\"#000\" d=\"";
  // One horizontal run per group of adjacent dark modules keeps the path short.
  for (int y = 0; y < n; ++y) {
    for (int x = 0; x < n;) {
      if ((code->data[y * n + x] & 1) == 0) {
        ++x;
        continue;
      }
      int run = 1;
      while (x + run < n && (code->data[y * n + x + run] & 1) != 0) ++run;
      out += "M" + std::to_string(x + kQuietZone) + " " + std::to_string(y + kQuietZone) + "h" +
             std::to_string(run) + "v1h-" + std::to_string(run) + "z";
      x += run;
    }
  }
  out += "\"/></svg>";
  return out;
}

}  // namespace nguon::qr
