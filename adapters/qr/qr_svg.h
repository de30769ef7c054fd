// QR codes as SVG (libqrencode), for showing a device's config bundle once at provisioning.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace nguon::qr {

// An SVG document (black modules on white, 4-module quiet zone, one unit per module, scaled by
// the viewer) encoding `data` as 8-bit bytes with error correction level M. Errors:
// invalid("too_large") when `data` does not fit in a QR code.
Result<std::string> svg(std::string_view data);

}  // namespace nguon::qr
