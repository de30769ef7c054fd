#include "core/images.h"

#include <gtest/gtest.h>

namespace nguon::images {
namespace {

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// A PNG's structure (signature, IHDR with the given size, IEND); CRCs are not checked.
std::string png(std::uint32_t w, std::uint32_t h, bool with_end = true) {
  std::string s = "\x89PNG\r\n\x1a\n";
  s += be32(13) + "IHDR" + be32(w) + be32(h) + std::string("\x08\x02\x00\x00\x00", 5) + be32(0);
  if (with_end) s += be32(0) + "IEND" + be32(0xAE426082);
  return s;
}

std::string jpeg(int w, int h, bool with_end = true) {
  std::string s = "\xFF\xD8";
  s += std::string("\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 18);
  s += std::string("\xFF\xC0\x00\x11\x08", 5);
  s += static_cast<char>(h >> 8);
  s += static_cast<char>(h & 0xFF);
  s += static_cast<char>(w >> 8);
  s += static_cast<char>(w & 0xFF);
  s += std::string(10, '\x01');
  s += std::string("\xFF\xDA\x00\x02", 4) + std::string(32, '\x55');
  if (with_end) s += "\xFF\xD9";
  return s;
}

TEST(Images, AcceptsWellFormedPngJpegAndWebp) {
  EXPECT_EQ(check_image(png(800, 600)).value(), "image/png");
  EXPECT_EQ(check_image(jpeg(1920, 1080)).value(), "image/jpeg");
  std::string webp = "RIFF" + std::string(4, '\x10') + "WEBPVP8 " + std::string(20, '\x01');
  EXPECT_EQ(check_image(webp).value(), "image/webp");
}

TEST(Images, RefusesWhatIsNotAnImageWithAPreciseCode) {
  EXPECT_EQ(check_image("").error().code, "not_image");
  EXPECT_EQ(check_image("hello, this is text").error().code, "not_image");
  EXPECT_EQ(check_image("GIF89a....").error().code, "unsupported_image");
  EXPECT_EQ(check_image("<svg xmlns='http://www.w3.org/2000/svg'/>").error().code,
            "unsupported_image");
  EXPECT_EQ(check_image(png(800, 600).substr(0, 20)).error().code, "truncated_image");
  EXPECT_EQ(check_image(png(800, 600, false)).error().code, "truncated_image");
  EXPECT_EQ(check_image(jpeg(800, 600, false)).error().code, "truncated_image");
  EXPECT_EQ(check_image(png(20000, 10)).error().code, "image_too_large");
  EXPECT_EQ(check_image(jpeg(10, 40000)).error().code, "image_too_large");
  EXPECT_EQ(check_image(png(0, 10)).error().code, "not_image");
  const std::string huge = png(10, 10) + std::string(kMaxImageBytes, '\0');
  EXPECT_EQ(check_image(huge).error().kind, ErrorKind::kTooLarge);
}

TEST(Images, SniffsStoredMedia) {
  EXPECT_EQ(sniff_media_type("OggS\x00\x02"), "audio/ogg");
  EXPECT_EQ(sniff_media_type(png(1, 1).substr(0, 16)), "image/png");
  EXPECT_EQ(sniff_media_type("\xFF\xD8\xFF\xE0"), "image/jpeg");
  EXPECT_EQ(sniff_media_type("<html>"), "application/octet-stream");
}

}  // namespace
}  // namespace nguon::images
