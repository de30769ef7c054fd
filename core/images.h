// Images attached to bulletins (shown on electronic boards). Judged by content, never by name.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace nguon::images {

inline constexpr std::size_t kMaxImageBytes = 10 << 20;
inline constexpr int kMaxImageSide = 10000;  // pixels

// The MIME type of a PNG, JPEG or WebP image whose header is well formed and whose
// dimensions (when the header states them) are within kMaxImageSide. Errors: not_image,
// unsupported_image (e.g. GIF, SVG), image_too_large (bytes or pixels), truncated_image.
Result<std::string> check_image(std::string_view bytes);

// The MIME type of stored media by its first bytes ("audio/ogg", "image/png", …), or
// "application/octet-stream".
std::string sniff_media_type(std::string_view head);

}  // namespace nguon::images
