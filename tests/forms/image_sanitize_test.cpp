#include "core/image_sanitize.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>

#include "core/images.h"

namespace nguon::images {
namespace {

using namespace std::literals;

// ---- byte helpers -----------------------------------------------------------------------------

std::string be16(std::uint32_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v)}; }
std::string be32(std::uint32_t v) { return be16(v >> 16) + be16(v & 0xFFFF); }
std::string le16(std::uint32_t v) { return {static_cast<char>(v), static_cast<char>(v >> 8)}; }
std::string le32(std::uint32_t v) { return le16(v & 0xFFFF) + le16(v >> 16); }

void patch32(std::string& s, size_t at, std::uint32_t v, bool le) {
  s.replace(at, 4, le ? le32(v) : be32(v));
}

std::uint32_t crc32(std::string_view s) {
  std::uint32_t c = 0xFFFFFFFF;
  for (const char ch : s) {
    c ^= static_cast<unsigned char>(ch);
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320U & (0U - (c & 1U)));
  }
  return ~c;
}

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

// No trace of any metadata block the fixtures carry.
void expect_no_metadata(const std::string& out) {
  for (const std::string_view marker :
       {"Exif"sv, "eXIf"sv, "tEXt"sv, "zTXt"sv, "iTXt"sv, "tIME"sv, "EXIF"sv, "XMP "sv,
        "http://ns.adobe.com/xap"sv, "xmpmeta"sv, "ICC_PROFILE"sv, "Photoshop"sv, "MM\0*"sv,
        "II*\0"sv, "secret"sv}) {
    EXPECT_FALSE(contains(out, marker)) << "found " << marker;
  }
}

// ---- EXIF (TIFF) ------------------------------------------------------------------------------

struct Rational {
  std::uint32_t num;
  std::uint32_t den;
};
using Dms = std::array<Rational, 3>;

// 21°01'42.6" N, 105°51'15.12" E: 21.0285, 105.8542 (Hà Nội).
constexpr Dms kLat{{{21, 1}, {1, 1}, {4260, 100}}};
constexpr Dms kLon{{{105, 1}, {51, 1}, {1512, 100}}};

// A TIFF structure: IFD0 at 8 (Orientation, GPSInfo → 38), the GPS IFD at 38 (version,
// LatitudeRef, Latitude → 104, LongitudeRef, Longitude → 128), the rationals; 152 bytes.
constexpr size_t kGpsPointerValue = 30;  // IFD0 entry 2's value
constexpr size_t kGpsIfd = 38;
constexpr size_t kLatRationals = 104;

std::string gps_tiff(bool le, char lat_ref = 'N', const Dms& lat = kLat, char lon_ref = 'E',
                     const Dms& lon = kLon, int orientation = 1) {
  auto u16 = [le](std::uint32_t v) { return le ? le16(v) : be16(v); };
  auto u32 = [le](std::uint32_t v) { return le ? le32(v) : be32(v); };
  auto entry = [&](std::uint32_t tag, std::uint32_t type, std::uint32_t count,
                   const std::string& value) { return u16(tag) + u16(type) + u32(count) + value; };
  std::string s = le ? "II*\0"s : "MM\0*"s;
  s += u32(8);
  s += u16(2);
  s += entry(0x0112, 3, 1, u16(static_cast<std::uint32_t>(orientation)) + u16(0));
  s += entry(0x8825, 4, 1, u32(kGpsIfd));
  s += u32(0);
  EXPECT_EQ(s.size(), kGpsIfd);
  s += u16(5);
  s += entry(0, 1, 4, "\x02\x03\x00\x00"s);
  s += entry(1, 2, 2, std::string{lat_ref, '\0', '\0', '\0'});
  s += entry(2, 5, 3, u32(kLatRationals));
  s += entry(3, 2, 2, std::string{lon_ref, '\0', '\0', '\0'});
  s += entry(4, 5, 3, u32(kLatRationals + 24));
  s += u32(0);
  EXPECT_EQ(s.size(), kLatRationals);
  for (const Dms* dms : {&lat, &lon}) {
    for (const Rational& r : *dms) s += u32(r.num) + u32(r.den);
  }
  return s;
}

TEST(ExifGps, ReadsLittleEndianNorthEast) {
  auto p = exif_gps(gps_tiff(true));
  ASSERT_TRUE(p);
  EXPECT_NEAR(p->lat, 21.0285, 1e-4);
  EXPECT_NEAR(p->lon, 105.8542, 1e-4);
}

TEST(ExifGps, ReadsBigEndianSouthWest) {
  auto p = exif_gps(gps_tiff(false, 'S', kLat, 'W', kLon));
  ASSERT_TRUE(p);
  EXPECT_NEAR(p->lat, -21.0285, 1e-4);
  EXPECT_NEAR(p->lon, -105.8542, 1e-4);
  // A leading "Exif\0\0" (as in a JPEG APP1 or some PNG eXIf chunks) is skipped.
  auto q = exif_gps("Exif\0\0"s + gps_tiff(false, 'N', kLat, 'W', kLon));
  ASSERT_TRUE(q);
  EXPECT_NEAR(q->lat, 21.0285, 1e-4);
  EXPECT_NEAR(q->lon, -105.8542, 1e-4);
}

TEST(ExifGps, EmptyComponentsAndDecimalMinutes) {
  // 21° 1.71' 0/0 (some cameras leave the seconds empty).
  auto p = exif_gps(gps_tiff(true, 'N', {{{21, 1}, {171, 100}, {0, 0}}}, 'E', kLon));
  ASSERT_TRUE(p);
  EXPECT_NEAR(p->lat, 21.0285, 1e-4);
}

TEST(ExifGps, BrokenStructuresGiveNothing) {
  EXPECT_FALSE(exif_gps(""));
  EXPECT_FALSE(exif_gps("not a tiff at all"));
  const std::string good = gps_tiff(true);
  // Every truncation: offsets then point past the end.
  for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(exif_gps(good.substr(0, n))) << n;
  for (const bool le : {true, false}) {
    std::string s = gps_tiff(le);
    patch32(s, kGpsPointerValue, 0xFFFFFFF0, le);  // GPS IFD out of range
    EXPECT_FALSE(exif_gps(s));
    s = gps_tiff(le);
    patch32(s, kGpsPointerValue, 8, le);  // GPS IFD = IFD0: a loop, and no GPS tags there
    EXPECT_FALSE(exif_gps(s));
    s = gps_tiff(le);
    patch32(s, 4, 0xFFFFFFFF, le);  // IFD0 out of range
    EXPECT_FALSE(exif_gps(s));
    s = gps_tiff(le);
    patch32(s, kGpsIfd + 2 + 2 * 12 + 8, 0x7FFFFFFF, le);  // latitude values out of range
    EXPECT_FALSE(exif_gps(s));
    s = gps_tiff(le);
    patch32(s, kLatRationals + 4, 0, le);  // 21/0 degrees
    EXPECT_FALSE(exif_gps(s));
    s = gps_tiff(le);
    s.replace(kGpsIfd, 2, "\xFF\xFF"s);  // 65535 entries, and no longitude tag among the
    s.replace(kGpsIfd + 2 + 4 * 12, 2, le ? "\x07\x00"s : "\x00\x07"s);  // real ones
    EXPECT_FALSE(exif_gps(s));
  }
  EXPECT_FALSE(exif_gps(gps_tiff(true, 'X', kLat, 'E', kLon)));
  EXPECT_FALSE(exif_gps(gps_tiff(true, 'N', {{{91, 1}, {0, 1}, {0, 1}}}, 'E', kLon)));
  EXPECT_FALSE(exif_gps(gps_tiff(true, 'N', kLat, 'E', {{{181, 1}, {0, 1}, {0, 1}}})));
}

// ---- JPEG -------------------------------------------------------------------------------------

std::string segment(unsigned marker, const std::string& payload) {
  return "\xFF"s + static_cast<char>(marker) +
         be16(static_cast<std::uint32_t>(payload.size() + 2)) + payload;
}

const std::string kSoi = "\xFF\xD8"s;
const std::string kEoi = "\xFF\xD9"s;
const std::string kJfif = segment(0xE0, "JFIF\0\x01\x02\x00\x00\x01\x00\x01\x00\x00"s);

std::string dqt() {
  std::string table(1, '\0');
  for (int i = 1; i <= 64; ++i) table += static_cast<char>(i);
  return segment(0xDB, table);
}
std::string sof0(int w, int h) {
  return segment(0xC0, "\x08"s + be16(h) + be16(w) + "\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"s);
}
std::string dht() { return segment(0xC4, "\x00\x01"s + std::string(15, '\0') + "\x00"s); }
std::string sos() { return segment(0xDA, "\x03\x01\x00\x02\x11\x03\x11\x00\x3F\x00"s); }
// Entropy-coded bytes with stuffed 0xFF00 and a restart marker.
const std::string kEntropy = "\x12\x34\xFF\x00\x56\xFF\xD0\x78\x9A\xFF\x00\xBC"s;

std::string app1_exif(const std::string& tiff) { return segment(0xE1, "Exif\0\0"s + tiff); }
std::string app1_xmp() {
  return segment(0xE1,
                 "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x='adobe:ns:meta/'>"
                 "<exif:GPSLatitude>21,1.71N</exif:GPSLatitude></x:xmpmeta>"s);
}

// What must survive, byte for byte.
std::string jpeg_image_data() { return dqt() + sof0(640, 480) + dht() + sos() + kEntropy + kEoi; }

std::string jpeg_with_metadata(const std::string& tiff) {
  return kSoi + kJfif + app1_exif(tiff) + app1_xmp() +
         segment(0xE2, "ICC_PROFILE\0\x01\x01"s + std::string(40, '\x07')) + dqt() +
         sof0(640, 480) + segment(0xED, "Photoshop 3.0\0008BIM\x04\x04 secret caption"s) + dht() +
         segment(0xFE, "secret comment") + segment(0xEE, "Adobe\0\x64\x00\x00\x00\x00\x01"s) +
         sos() + kEntropy + kEoi;
}

TEST(SanitizeJpeg, ReadsGpsAndOrientationThenStripsEverything) {
  const std::string in =
      jpeg_with_metadata(gps_tiff(true, 'N', kLat, 'E', kLon, /*orientation=*/6));
  ASSERT_TRUE(check_image(in));
  auto out = sanitize_image(in);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->mime, "image/jpeg");
  ASSERT_TRUE(out->location);
  EXPECT_NEAR(out->location->lat, 21.0285, 1e-4);
  EXPECT_NEAR(out->location->lon, 105.8542, 1e-4);
  EXPECT_EQ(out->orientation, 6);
  // SOI, JFIF, then DQT/SOF0/DHT/SOS/entropy data/EOI exactly as they were.
  EXPECT_EQ(out->bytes, kSoi + kJfif + jpeg_image_data());
  expect_no_metadata(out->bytes);
  EXPECT_TRUE(check_image(out->bytes));
  // Sanitising again changes nothing and finds nothing.
  auto again = sanitize_image(out->bytes);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->bytes, out->bytes);
  EXPECT_FALSE(again->location);
  EXPECT_EQ(again->orientation, 1);
}

TEST(SanitizeJpeg, BigEndianExifSouthWest) {
  auto out = sanitize_image(jpeg_with_metadata(gps_tiff(false, 'S', kLat, 'W', kLon, 3)));
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_TRUE(out->location);
  EXPECT_NEAR(out->location->lat, -21.0285, 1e-4);
  EXPECT_NEAR(out->location->lon, -105.8542, 1e-4);
  EXPECT_EQ(out->orientation, 3);
  expect_no_metadata(out->bytes);
}

TEST(SanitizeJpeg, WithoutExifThereIsNoLocation) {
  const std::string in = kSoi + kJfif + jpeg_image_data();
  auto out = sanitize_image(in);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->bytes, in);
  EXPECT_FALSE(out->location);
  EXPECT_EQ(out->orientation, 1);
}

TEST(SanitizeJpeg, DropsJfifThumbnailsNonJfifApp0FillBytesAndDataAfterEoi) {
  const std::string jfif_thumb =
      segment(0xE0, "JFIF\0\x01\x02\x00\x00\x01\x00\x01\x01\x01"s + "secret"s.substr(0, 3));
  const std::string jfxx = segment(0xE0, "JFXX\0\x13secret"s);
  // (check_image reads no fill bytes before the frame header: they come after it here.)
  const std::string in = kSoi + jfif_thumb + jfxx + dqt() + sof0(8, 8) + "\xFF\xFF"s +
                         dht().substr(1) + sos() + kEntropy + "\xFF"s + kEoi +
                         "secret appended\xFF\xD9"s;
  auto out = sanitize_image(in);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->bytes, kSoi + kJfif + dqt() + sof0(8, 8) + dht() + sos() + kEntropy + kEoi);
  expect_no_metadata(out->bytes);
}

TEST(SanitizeJpeg, BrokenStructureIsMalformed) {
  const std::string head = kSoi + kJfif + sof0(8, 8);  // check_image stops at the frame header
  for (const std::string& in : {
           head + "\xFF\xC4\x40\x00\x01\x02"s + kEoi,          // segment past the end
           head + "garbage" + sos() + kEntropy + kEoi,         // bytes between segments
           head + dht() + kEoi,                                // no scan
           head + "\xFF\x00\x00\x04\x00\x00"s + sos() + kEoi,  // 0xFF00 outside a scan
           head + "\xFF\xD8"s + sos() + kEoi,                  // a second SOI
       }) {
    ASSERT_TRUE(check_image(in));
    auto out = sanitize_image(in);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, "malformed_image") << out.error().message;
  }
}

TEST(SanitizeImage, KeepsTheErrorsOfCheckImage) {
  EXPECT_EQ(sanitize_image("").error().code, "not_image");
  EXPECT_EQ(sanitize_image("GIF89a\x01\x00").error().code, "unsupported_image");
  EXPECT_EQ(sanitize_image(kSoi + kJfif + sof0(8, 8) + sos()).error().code, "truncated_image");
  EXPECT_EQ(sanitize_image(kSoi + kJfif + sof0(20000, 8) + sos() + kEoi).error().code,
            "image_too_large");
  const std::string huge = kSoi + std::string(kMaxImageBytes, '\0');
  EXPECT_EQ(sanitize_image(huge).error().kind, ErrorKind::kTooLarge);
}

// ---- PNG --------------------------------------------------------------------------------------

const std::string kPngSignature = "\x89PNG\r\n\x1a\n"s;

std::string chunk(std::string_view type, const std::string& data) {
  const std::string body = std::string(type) + data;
  return be32(static_cast<std::uint32_t>(data.size())) + body + be32(crc32(body));
}

std::string ihdr() { return chunk("IHDR", be32(4) + be32(3) + "\x08\x02\x00\x00\x00"s); }
std::string idat() { return chunk("IDAT", "\x78\x9C\x63\x60\x00\x00\x00\x04\x00\x01"s); }
std::string iend() { return chunk("IEND", ""); }
std::string phys() { return chunk("pHYs", be32(2835) + be32(2835) + "\x01"s); }

// Every chunk's CRC matches its type and data, up to IEND.
bool crcs_valid(std::string_view png) {
  size_t i = 8;
  while (i + 12 <= png.size()) {
    const auto len = static_cast<size_t>(
        static_cast<unsigned char>(png[i]) << 24 | static_cast<unsigned char>(png[i + 1]) << 16 |
        static_cast<unsigned char>(png[i + 2]) << 8 | static_cast<unsigned char>(png[i + 3]));
    if (png.size() - i - 12 < len) return false;
    if (be32(crc32(png.substr(i + 4, 4 + len))) != png.substr(i + 8 + len, 4)) return false;
    i += 12 + len;
  }
  return i == png.size();
}

TEST(SanitizePng, ReadsExifThenDropsTextTimeAndExifChunks) {
  const std::string in =
      kPngSignature + ihdr() + chunk("eXIf", gps_tiff(false, 'N', kLat, 'E', kLon, 8)) +
      chunk("tEXt", "Comment\0secret"s) + phys() + chunk("zTXt", "Title\0\0\x78\x9C secret"s) +
      chunk("iTXt", "XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta/>"s) +
      chunk("tIME", "\x07\xE9\x01\x02\x03\x04\x05"s) + idat() + iend() + "secret after IEND";
  ASSERT_TRUE(crcs_valid(in.substr(0, in.size() - 17)));
  auto out = sanitize_image(in);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->mime, "image/png");
  ASSERT_TRUE(out->location);
  EXPECT_NEAR(out->location->lat, 21.0285, 1e-4);
  EXPECT_NEAR(out->location->lon, 105.8542, 1e-4);
  EXPECT_EQ(out->orientation, 8);
  EXPECT_EQ(out->bytes, kPngSignature + ihdr() + phys() + idat() + iend());
  EXPECT_TRUE(crcs_valid(out->bytes));
  expect_no_metadata(out->bytes);
  EXPECT_EQ(sanitize_image(out->bytes)->bytes, out->bytes);
}

TEST(SanitizePng, BrokenChunksAreMalformed) {
  for (const std::string& in : {
           kPngSignature + ihdr() + be32(0xFFFFFFF0) + "IDAT" + "x" + iend(),  // length too big
           kPngSignature + ihdr() + be32(100) + "IDAT" + "IEND",               // truncated
           kPngSignature + ihdr() + chunk("tEXt", "IEND"),                     // no IEND chunk
           kPngSignature + ihdr() + chunk("ID\x01T", "x") + iend(),            // bad type
           kPngSignature + ihdr() + idat() + "IEND",                           // cut header
       }) {
    ASSERT_TRUE(check_image(in));
    auto out = sanitize_image(in);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, "malformed_image") << out.error().message;
  }
}

// ---- WebP -------------------------------------------------------------------------------------

std::string webp_chunk(std::string_view fourcc, const std::string& data) {
  std::string c = std::string(fourcc) + le32(static_cast<std::uint32_t>(data.size())) + data;
  if (data.size() % 2 == 1) c += '\0';
  return c;
}

std::string riff(const std::string& chunks) {
  return "RIFF" + le32(static_cast<std::uint32_t>(4 + chunks.size())) + "WEBP" + chunks;
}

std::string vp8x(unsigned flags) {
  // Flags, 3 reserved bytes, canvas width - 1 and height - 1 on 24 bits (LE).
  return webp_chunk("VP8X", std::string(1, static_cast<char>(flags)) + std::string(3, '\0') +
                                "\x3F\x00\x00\x1F\x00\x00"s);
}
const std::string kVp8l = webp_chunk("VP8L", "\x2F\x3F\xC0\x07\x00"s);  // odd: padded

TEST(SanitizeWebp, ReadsExifThenDropsExifAndXmpAndFixesTheHeader) {
  const std::string in = riff(vp8x(0x10 | 0x08 | 0x04) + kVp8l +
                              webp_chunk("EXIF", gps_tiff(true, 'S', kLat, 'E', kLon, 5)) +
                              webp_chunk("XMP ", "<x:xmpmeta secret/>")) +
                         "secret after the RIFF";
  auto out = sanitize_image(in);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->mime, "image/webp");
  ASSERT_TRUE(out->location);
  EXPECT_NEAR(out->location->lat, -21.0285, 1e-4);
  EXPECT_NEAR(out->location->lon, 105.8542, 1e-4);
  EXPECT_EQ(out->orientation, 5);
  EXPECT_EQ(out->bytes, riff(vp8x(0x10) + kVp8l));  // alpha flag kept, EXIF and XMP cleared
  expect_no_metadata(out->bytes);
  EXPECT_EQ(sanitize_image(out->bytes)->bytes, out->bytes);
}

TEST(SanitizeWebp, SimpleFormatIsKept) {
  const std::string in = riff(webp_chunk("VP8 ", std::string(24, '\x01')));
  auto out = sanitize_image(in);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->bytes, in);
  EXPECT_FALSE(out->location);
}

TEST(SanitizeWebp, BrokenChunksAreMalformed) {
  std::string too_long_riff = riff(vp8x(0) + kVp8l);
  too_long_riff.replace(4, 4, le32(1000));
  std::string chunk_past_end = riff(vp8x(0) + kVp8l);
  chunk_past_end.replace(12 + 18 + 4, 4, le32(100));
  for (const std::string& in : {
           too_long_riff, chunk_past_end,
           riff(webp_chunk("EXIF", gps_tiff(true)) + kVp8l),               // not VP8 first
           riff(webp_chunk("VP8X", "\x00\x00"s) + kVp8l + kVp8l + kVp8l),  // short VP8X
           riff(vp8x(0) + kVp8l + "VP8"),                                  // cut chunk header
       }) {
    ASSERT_TRUE(check_image(in));
    auto out = sanitize_image(in);
    ASSERT_FALSE(out);
    EXPECT_EQ(out.error().code, "malformed_image") << out.error().message;
  }
}

}  // namespace
}  // namespace nguon::images
