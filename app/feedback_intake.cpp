#include "app/feedback_intake.h"

#include <algorithm>

#include "core/image_sanitize.h"
#include "core/images.h"

namespace nguon::app {

namespace {

bool starts(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Audio a phone records or a citizen has: Ogg (Opus/Vorbis), MP3 (ID3 tag or frame sync), WAV,
// M4A/AAC (ISO BMFF "ftyp"), AMR. Judged by the first bytes, never by the name.
std::optional<std::string> audio_type(std::string_view b) {
  if (starts(b, "OggS")) return "audio/ogg";
  if (starts(b, "ID3") || (b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0xFF &&
                           (static_cast<unsigned char>(b[1]) & 0xE0) == 0xE0)) {
    return "audio/mpeg";
  }
  if (b.size() >= 12 && starts(b, "RIFF") && b.substr(8, 4) == "WAVE") return "audio/wav";
  if (b.size() >= 12 && b.substr(4, 4) == "ftyp") return "audio/mp4";
  if (starts(b, "#!AMR")) return "audio/amr";
  return std::nullopt;
}

bool is_image(std::string_view b) {
  const std::string t = images::sniff_media_type(b.substr(0, 16));
  return t.rfind("image/", 0) == 0;
}

}  // namespace

Result<StoredAttachments> store_attachments(const std::vector<forms::Part>& parts,
                                            const std::vector<std::string>& field_names,
                                            MediaStore* media, const AttachmentLimits& limits) {
  struct Ready {
    std::string bytes;
    std::string mime;
    std::string kind;
  };
  std::vector<Ready> ready;
  StoredAttachments out;
  // Validate every file first, so nothing is stored when one of them is refused.
  for (const forms::Part& part : parts) {
    if (std::find(field_names.begin(), field_names.end(), part.name) == field_names.end()) continue;
    if (part.data.empty() && part.filename.empty()) continue;  // no file chosen
    const std::string label = part.filename.empty() ? part.name : part.filename;
    if (part.data.empty()) return invalid("empty_file", label + ": the file is empty");
    if (media == nullptr) {
      return Error{ErrorKind::kUnavailable, "attachments_unavailable",
                   "this server does not accept attachments"};
    }
    if (ready.size() >= limits.max_files) {
      return invalid("too_many_attachments",
                     "at most " + std::to_string(limits.max_files) + " files");
    }
    if (part.data.size() > limits.max_bytes) {
      return Error{ErrorKind::kTooLarge, "file_too_large",
                   label + ": larger than " + std::to_string(limits.max_bytes >> 20) + " MB"};
    }
    if (is_image(part.data)) {
      auto clean = images::sanitize_image(part.data);
      if (!clean) {
        return invalid(clean.error().code, label + ": " + clean.error().message);
      }
      if (clean->location && !out.lat) {
        out.lat = clean->location->lat;
        out.lon = clean->location->lon;
      }
      ready.push_back({std::move(clean->bytes), clean->mime, "image"});
    } else if (auto type = audio_type(part.data)) {
      ready.push_back({part.data, *type, "audio"});
    } else {
      return invalid(
          "unsupported_attachment",
          label + ": send a photo (JPEG, PNG, WebP) or a recording (Ogg, MP3, WAV, M4A, AMR)");
    }
  }
  for (Ready& r : ready) {
    auto info = media->put(r.bytes, r.mime);
    if (!info) return info.error();
    out.attachments.push_back(
        {info->sha256, r.kind, r.mime, static_cast<std::int64_t>(r.bytes.size())});
  }
  return out;
}

}  // namespace nguon::app
