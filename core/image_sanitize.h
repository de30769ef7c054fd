// Photos attached to citizen feedback: validated by content (images::check_image), their EXIF
// GPS position and orientation read, then every metadata block removed before they are stored
// or shown (a phone photo carries the sender's position, device, time and sometimes a
// thumbnail of the uncropped picture). The image data itself is copied byte for byte: nothing
// is decoded or re-encoded.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace nguon::images {

struct GeoPoint {
  double lat = 0;  // degrees, south negative
  double lon = 0;  // degrees, west negative
};

struct SanitizedImage {
  std::string bytes;                 // the image without metadata
  std::string mime;                  // image/jpeg, image/png or image/webp
  std::optional<GeoPoint> location;  // from the EXIF GPS tags, when present and well formed
  int orientation = 1;  // EXIF Orientation (1–8) read before stripping: how to display it
};

// Checks `bytes` with check_image, reads the EXIF block (GPSLatitude/Ref, GPSLongitude/Ref,
// Orientation), then removes the metadata:
//  JPEG: APP1–APP15 (EXIF, XMP, ICC, IPTC, Adobe…), COM and non-JFIF APP0 segments are dropped,
//        a JFIF APP0 is kept (without its thumbnail), everything after EOI is dropped; DQT, DHT,
//        SOF, SOS and the entropy-coded data are copied untouched.
//  PNG:  eXIf, tEXt, zTXt, iTXt and tIME chunks are dropped, anything after IEND too; other
//        chunks are copied with their CRCs.
//  WebP: EXIF and XMP chunks are dropped, the EXIF and XMP flags of VP8X cleared and the RIFF
//        size fixed; anything after the RIFF size is dropped.
// The result passes check_image again. Errors: those of check_image, and
// invalid("malformed_image") when the container is broken (truncated segment or chunk, length
// past the end, no end marker).
Result<SanitizedImage> sanitize_image(std::string_view bytes);

// The position in raw EXIF bytes: a TIFF structure ("II*\0" or "MM\0*"; a leading
// "Exif\0\0" is skipped). nullopt when there is no GPS IFD, a tag is missing or malformed, an
// offset points outside the bytes, or the position is out of range. Only IFD0 and the GPS IFD
// it points to are read, so offsets cannot loop.
std::optional<GeoPoint> exif_gps(std::string_view tiff);

}  // namespace nguon::images
