#include "core/images.h"

#include <cstdint>

namespace nguon::images {
namespace {

std::uint32_t be32(std::string_view s, size_t at) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) << 24) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

bool starts(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

constexpr std::string_view kPng = "\x89PNG\r\n\x1a\n";

Result<std::string> check_png(std::string_view b) {
  // Signature, then the IHDR chunk: length 13, "IHDR", width, height.
  if (b.size() < 33) return invalid("truncated_image", "the PNG header is incomplete");
  if (be32(b, 8) != 13 || b.substr(12, 4) != "IHDR") {
    return invalid("not_image", "the PNG header is malformed");
  }
  const std::uint32_t w = be32(b, 16);
  const std::uint32_t h = be32(b, 20);
  if (w == 0 || h == 0) return invalid("not_image", "the PNG has no pixels");
  if (w > kMaxImageSide || h > kMaxImageSide) {
    return invalid("image_too_large", "images may be at most 10000 × 10000 pixels");
  }
  if (b.find("IEND") == std::string_view::npos) {
    return invalid("truncated_image", "the PNG has no end (IEND) chunk");
  }
  return std::string("image/png");
}

Result<std::string> check_jpeg(std::string_view b) {
  if (b.size() < 4) return invalid("truncated_image", "the JPEG is incomplete");
  // Walk the markers up to the frame header (SOFn) to read the dimensions.
  size_t i = 2;
  while (i + 9 < b.size()) {
    if (static_cast<unsigned char>(b[i]) != 0xFF)
      return invalid("not_image", "the JPEG is malformed");
    const auto marker = static_cast<unsigned char>(b[i + 1]);
    if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      i += 2;
      continue;
    }
    const size_t len =
        (static_cast<unsigned char>(b[i + 2]) << 8) | static_cast<unsigned char>(b[i + 3]);
    if (len < 2) return invalid("not_image", "the JPEG is malformed");
    const bool sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      const int h =
          (static_cast<unsigned char>(b[i + 5]) << 8) | static_cast<unsigned char>(b[i + 6]);
      const int w =
          (static_cast<unsigned char>(b[i + 7]) << 8) | static_cast<unsigned char>(b[i + 8]);
      if (w == 0 || h == 0) return invalid("not_image", "the JPEG has no pixels");
      if (w > kMaxImageSide || h > kMaxImageSide) {
        return invalid("image_too_large", "images may be at most 10000 × 10000 pixels");
      }
      if (b.size() < 2 || static_cast<unsigned char>(b[b.size() - 2]) != 0xFF ||
          static_cast<unsigned char>(b[b.size() - 1]) != 0xD9) {
        return invalid("truncated_image", "the JPEG has no end marker");
      }
      return std::string("image/jpeg");
    }
    i += 2 + len;
  }
  return invalid("truncated_image", "the JPEG ends before its frame header");
}

}  // namespace

Result<std::string> check_image(std::string_view b) {
  if (b.size() > kMaxImageBytes) {
    return Error{ErrorKind::kTooLarge, "image_too_large", "images may be at most 10 MB"};
  }
  if (starts(b, kPng)) return check_png(b);
  if (starts(b, "\xFF\xD8\xFF")) return check_jpeg(b);
  if (b.size() >= 12 && starts(b, "RIFF") && b.substr(8, 4) == "WEBP") {
    if (b.size() < 30) return invalid("truncated_image", "the WebP header is incomplete");
    return std::string("image/webp");
  }
  if (starts(b, "GIF8") || starts(b, "<svg") || starts(b, "<?xml") || starts(b, "BM")) {
    return invalid("unsupported_image", "use PNG, JPEG or WebP");
  }
  return invalid("not_image", "the upload is not a PNG, JPEG or WebP image");
}

std::string sniff_media_type(std::string_view head) {
  if (starts(head, "OggS")) return "audio/ogg";
  if (starts(head, kPng)) return "image/png";
  if (starts(head, "\xFF\xD8\xFF")) return "image/jpeg";
  if (head.size() >= 12 && starts(head, "RIFF") && head.substr(8, 4) == "WEBP") return "image/webp";
  return "application/octet-stream";
}

}  // namespace nguon::images
