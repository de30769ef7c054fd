#include "core/image_sanitize.h"

#include <cmath>
#include <cstdint>
#include <utility>

#include "core/images.h"

namespace nguon::images {
namespace {

unsigned byte_at(std::string_view s, size_t at) { return static_cast<unsigned char>(s[at]); }

std::uint32_t be16(std::string_view s, size_t at) {
  return (byte_at(s, at) << 8) | byte_at(s, at + 1);
}

std::uint32_t be32(std::string_view s, size_t at) { return (be16(s, at) << 16) | be16(s, at + 2); }

std::uint32_t le32(std::string_view s, size_t at) {
  return byte_at(s, at) | (byte_at(s, at + 1) << 8) | (byte_at(s, at + 2) << 16) |
         (byte_at(s, at + 3) << 24);
}

void put_le32(std::string& s, size_t at, std::uint32_t v) {
  for (size_t k = 0; k < 4; ++k) s[at + k] = static_cast<char>((v >> (8 * k)) & 0xFF);
}

Error malformed(std::string message) { return invalid("malformed_image", std::move(message)); }

// ---- EXIF (TIFF) ------------------------------------------------------------------------------

// Bounds-checked reads in a TIFF structure of either byte order.
class Tiff {
 public:
  Tiff(std::string_view bytes, bool little_endian) : b_(bytes), le_(little_endian) {}

  size_t size() const { return b_.size(); }

  std::optional<std::uint32_t> u16(std::uint64_t at) const {
    if (at > b_.size() || b_.size() - at < 2) return std::nullopt;
    const unsigned x = byte_at(b_, at);
    const unsigned y = byte_at(b_, at + 1);
    return le_ ? (y << 8) | x : (x << 8) | y;
  }

  std::optional<std::uint32_t> u32(std::uint64_t at) const {
    auto lo = u16(at + (le_ ? 0 : 2));
    auto hi = u16(at + (le_ ? 2 : 0));
    if (!lo || !hi) return std::nullopt;
    return (*hi << 16) | *lo;
  }

  char byte(size_t at) const { return b_[at]; }

 private:
  std::string_view b_;
  bool le_;
};

struct Entry {
  std::uint32_t type = 0;
  std::uint32_t count = 0;
  size_t data = 0;  // offset of the value (inline in the entry when it fits in 4 bytes)
};

std::uint64_t type_size(std::uint32_t type) {
  switch (type) {
    case 1:  // BYTE
    case 2:  // ASCII
    case 6:  // SBYTE
    case 7:  // UNDEFINED
      return 1;
    case 3:  // SHORT
    case 8:  // SSHORT
      return 2;
    case 4:   // LONG
    case 9:   // SLONG
    case 11:  // FLOAT
    case 13:  // IFD
      return 4;
    case 5:   // RATIONAL
    case 10:  // SRATIONAL
    case 12:  // DOUBLE
      return 8;
    default:
      return 0;
  }
}

// The entry `tag` of the IFD at `ifd`, with its value inside the bytes; nullopt otherwise.
std::optional<Entry> find_entry(const Tiff& t, std::uint32_t ifd, std::uint32_t tag) {
  const auto count = t.u16(ifd);
  if (!count) return std::nullopt;
  for (std::uint64_t k = 0; k < *count; ++k) {
    const std::uint64_t at = std::uint64_t{ifd} + 2 + 12 * k;
    const auto entry_tag = t.u16(at);
    const auto type = t.u16(at + 2);
    const auto n = t.u32(at + 4);
    const auto offset = t.u32(at + 8);
    if (!entry_tag || !type || !n || !offset) return std::nullopt;  // entries past the end
    if (*entry_tag != tag) continue;
    const std::uint64_t bytes = type_size(*type) * *n;
    if (bytes == 0) return std::nullopt;
    const std::uint64_t data = bytes <= 4 ? at + 8 : *offset;
    if (data > t.size() || t.size() - data < bytes) return std::nullopt;
    return Entry{*type, *n, static_cast<size_t>(data)};
  }
  return std::nullopt;
}

// The first character of an ASCII tag.
std::optional<char> ascii_tag(const Tiff& t, std::uint32_t ifd, std::uint32_t tag) {
  auto e = find_entry(t, ifd, tag);
  if (!e || e->type != 2) return std::nullopt;
  return t.byte(e->data);
}

// Degrees from up to three (S)RATIONAL values: degrees, minutes, seconds.
std::optional<double> degrees(const Tiff& t, std::uint32_t ifd, std::uint32_t tag) {
  auto e = find_entry(t, ifd, tag);
  if (!e || (e->type != 5 && e->type != 10)) return std::nullopt;
  double value = 0;
  double unit = 1;
  for (std::uint32_t k = 0; k < e->count && k < 3; ++k, unit *= 60) {
    const auto num = t.u32(e->data + 8 * std::uint64_t{k});
    const auto den = t.u32(e->data + 8 * std::uint64_t{k} + 4);
    if (!num || !den) return std::nullopt;
    double n = *num;
    double d = *den;
    if (e->type == 10) {
      n = static_cast<std::int32_t>(*num);
      d = static_cast<std::int32_t>(*den);
    }
    if (d == 0) {
      if (n == 0) continue;  // 0/0: a component the camera left empty
      return std::nullopt;
    }
    if (n / d < 0) return std::nullopt;
    value += n / d / unit;
  }
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

struct ExifInfo {
  std::optional<GeoPoint> location;
  int orientation = 1;
};

std::optional<Tiff> open_tiff(std::string_view b) {
  if (b.substr(0, 6) == std::string_view("Exif\0\0", 6)) b.remove_prefix(6);
  if (b.substr(0, 4) == std::string_view("II*\0", 4)) return Tiff(b, true);
  if (b.substr(0, 4) == std::string_view("MM\0*", 4)) return Tiff(b, false);
  return std::nullopt;
}

std::optional<GeoPoint> gps_of(const Tiff& t, std::uint32_t ifd0) {
  auto pointer = find_entry(t, ifd0, 0x8825);  // GPSInfo
  if (!pointer || (pointer->type != 4 && pointer->type != 13)) return std::nullopt;
  const auto gps = t.u32(pointer->data);
  if (!gps) return std::nullopt;
  const auto lat_ref = ascii_tag(t, *gps, 1);
  const auto lat = degrees(t, *gps, 2);
  const auto lon_ref = ascii_tag(t, *gps, 3);
  const auto lon = degrees(t, *gps, 4);
  if (!lat_ref || !lat || !lon_ref || !lon || *lat > 90 || *lon > 180) return std::nullopt;
  GeoPoint p{*lat, *lon};
  if (*lat_ref == 'S' || *lat_ref == 's') {
    p.lat = -p.lat;
  } else if (*lat_ref != 'N' && *lat_ref != 'n') {
    return std::nullopt;
  }
  if (*lon_ref == 'W' || *lon_ref == 'w') {
    p.lon = -p.lon;
  } else if (*lon_ref != 'E' && *lon_ref != 'e') {
    return std::nullopt;
  }
  return p;
}

ExifInfo read_exif(std::string_view bytes) {
  ExifInfo info;
  auto t = open_tiff(bytes);
  if (!t) return info;
  const auto ifd0 = t->u32(4);
  if (!ifd0) return info;
  if (auto e = find_entry(*t, *ifd0, 0x0112); e && e->type == 3) {  // Orientation
    const auto v = t->u16(e->data);
    if (v && *v >= 1 && *v <= 8) info.orientation = static_cast<int>(*v);
  }
  info.location = gps_of(*t, *ifd0);
  return info;
}

// ---- containers -------------------------------------------------------------------------------

Result<SanitizedImage> sanitize_jpeg(std::string_view b) {
  SanitizedImage out;
  std::string& o = out.bytes;
  o.reserve(b.size());
  o.append(b.substr(0, 2));  // SOI (checked by check_image)
  bool exif_read = false;
  bool scan = false;
  size_t i = 2;
  while (true) {
    if (i >= b.size()) return malformed("the JPEG ends before its end marker (EOI)");
    if (byte_at(b, i) != 0xFF) {
      return malformed("the JPEG has bytes outside a segment at offset " + std::to_string(i));
    }
    while (i + 1 < b.size() && byte_at(b, i + 1) == 0xFF) ++i;  // fill bytes
    if (i + 1 >= b.size()) return malformed("the JPEG ends inside a marker");
    const unsigned marker = byte_at(b, i + 1);
    if (marker == 0xD9) {  // EOI: whatever follows (appended data) is dropped
      if (!scan) return malformed("the JPEG has no image data (SOS)");
      o.append("\xFF\xD9");
      break;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // TEM, RSTn: no length
      o.append(b.substr(i, 2));
      i += 2;
      continue;
    }
    if (marker == 0x00 || marker == 0xD8) {
      return malformed("the JPEG has a misplaced marker at offset " + std::to_string(i));
    }
    if (b.size() - i < 4) return malformed("the JPEG ends inside a segment header");
    const size_t length = be16(b, i + 2);
    if (length < 2 || b.size() - i - 2 < length) {
      return malformed("a JPEG segment runs past the end (truncated segment)");
    }
    const std::string_view segment = b.substr(i, 2 + length);
    const std::string_view payload = segment.substr(4);
    i += 2 + length;

    if (marker == 0xE0) {
      // JFIF: kept as its 16-byte header, without the optional thumbnail. Other APP0 (JFXX
      // thumbnails, AVI1…) are dropped.
      if (payload.size() >= 14 && payload.substr(0, 5) == std::string_view("JFIF\0", 5)) {
        o.append("\xFF\xE0\x00\x10", 4);
        o.append(payload.substr(0, 12));
        o.append(2, '\0');
      }
      continue;
    }
    if ((marker >= 0xE1 && marker <= 0xEF) || marker == 0xFE) {  // APPn, COM
      if (marker == 0xE1 && !exif_read && payload.substr(0, 6) == std::string_view("Exif\0\0", 6)) {
        exif_read = true;
        const ExifInfo info = read_exif(payload.substr(6));
        out.location = info.location;
        out.orientation = info.orientation;
      }
      continue;
    }
    o.append(segment);
    if (marker == 0xDA) {
      // SOS: the entropy-coded data runs to the next marker other than a stuffed 0xFF00 or a
      // restart marker.
      scan = true;
      size_t j = i;
      while (true) {
        j = b.find('\xFF', j);
        if (j == std::string_view::npos || j + 1 >= b.size()) {
          return malformed("the JPEG scan data runs to the end without an end marker");
        }
        const unsigned next = byte_at(b, j + 1);
        if (next != 0x00 && (next < 0xD0 || next > 0xD7)) break;
        j += 2;
      }
      o.append(b.substr(i, j - i));
      i = j;
    }
  }
  return out;
}

Result<SanitizedImage> sanitize_png(std::string_view b) {
  SanitizedImage out;
  std::string& o = out.bytes;
  o.reserve(b.size());
  o.append(b.substr(0, 8));  // signature (checked by check_image)
  bool exif_read = false;
  size_t i = 8;
  while (true) {
    if (i == b.size()) return malformed("the PNG has no end chunk (IEND)");
    if (b.size() - i < 12) return malformed("the PNG ends inside a chunk header");
    const std::uint32_t length = be32(b, i);
    if (length > 0x7FFFFFFFU || b.size() - i - 12 < length) {
      return malformed("a PNG chunk length runs past the end");
    }
    const std::string_view type = b.substr(i + 4, 4);
    for (const char c : type) {
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
        return malformed("a PNG chunk type is not four letters");
      }
    }
    const std::string_view chunk = b.substr(i, 12 + size_t{length});
    i += chunk.size();
    if (type == "eXIf") {
      if (!exif_read) {
        exif_read = true;
        const ExifInfo info = read_exif(chunk.substr(8, length));
        out.location = info.location;
        out.orientation = info.orientation;
      }
      continue;
    }
    if (type == "tEXt" || type == "zTXt" || type == "iTXt" || type == "tIME") continue;
    o.append(chunk);
    if (type == "IEND") break;  // whatever follows is dropped
  }
  return out;
}

Result<SanitizedImage> sanitize_webp(std::string_view b) {
  SanitizedImage out;
  std::string& o = out.bytes;
  const std::uint32_t riff = le32(b, 4);  // check_image: at least 30 bytes
  if (riff < 4 || b.size() - 8 < riff) return malformed("the WebP RIFF size runs past the end");
  const size_t end = 8 + size_t{riff};
  o.reserve(end);
  o.append(b.substr(0, 12));
  bool exif_read = false;
  size_t vp8x = std::string::npos;
  size_t i = 12;
  while (i < end) {
    if (end - i < 8) return malformed("the WebP ends inside a chunk header");
    const std::string_view fourcc = b.substr(i, 4);
    const std::uint32_t size = le32(b, i + 4);
    const std::uint64_t padded = std::uint64_t{size} + (size & 1U);
    if (end - i - 8 < padded) return malformed("a WebP chunk size runs past the end");
    const std::string_view chunk = b.substr(i, 8 + static_cast<size_t>(padded));
    if (i == 12 && fourcc != "VP8 " && fourcc != "VP8L" && fourcc != "VP8X") {
      return malformed("the WebP does not start with a VP8, VP8L or VP8X chunk");
    }
    i += chunk.size();
    if (fourcc == "EXIF") {
      if (!exif_read) {
        exif_read = true;
        const ExifInfo info = read_exif(chunk.substr(8, size));
        out.location = info.location;
        out.orientation = info.orientation;
      }
      continue;
    }
    if (fourcc == "XMP ") continue;
    if (fourcc == "VP8X") {
      if (size < 10) return malformed("the WebP VP8X chunk is too short");
      vp8x = o.size();
    }
    o.append(chunk);
  }
  if (o.size() == 12) return malformed("the WebP has no chunks");
  if (vp8x != std::string::npos) {
    // Flags: Rsv(2) ICC Alpha EXIF XMP Animation Rsv.
    o[vp8x + 8] = static_cast<char>(byte_at(o, vp8x + 8) & ~0x0CU);
  }
  put_le32(o, 4, static_cast<std::uint32_t>(o.size() - 8));
  return out;
}

}  // namespace

Result<SanitizedImage> sanitize_image(std::string_view bytes) {
  NGUON_TRY_ASSIGN(std::string mime, check_image(bytes));
  Result<SanitizedImage> out = mime == "image/jpeg"  ? sanitize_jpeg(bytes)
                               : mime == "image/png" ? sanitize_png(bytes)
                                                     : sanitize_webp(bytes);
  if (!out) return out.error();
  // What is left must still be a valid image (e.g. a JPEG whose frame header was only
  // readable through bytes of a removed segment is not).
  if (auto again = check_image(out->bytes); !again) {
    return malformed("the image is not valid without its metadata: " + again.error().message);
  }
  out->mime = std::move(mime);
  return out;
}

std::optional<GeoPoint> exif_gps(std::string_view tiff) { return read_exif(tiff).location; }

}  // namespace nguon::images
