// What the citizen-facing edges (the portal, Open311) share: turning uploaded files into stored
// attachments (validated by content, images stripped of metadata, the photo's GPS point kept),
// Not a public interface. Per-IP limits use RateLimiter (app/api.h) with a one-hour window.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/api.h"
#include "core/feedback/feedback_service.h"
#include "core/forms.h"
#include "core/speech.h"

namespace nguon::app {

struct AttachmentLimits {
  size_t max_bytes = 5 << 20;  // per file
  size_t max_files = 5;
};

struct StoredAttachments {
  std::vector<FeedbackAttachment> attachments;
  // The first photo's EXIF position, used when the citizen gave no location.
  std::optional<double> lat;
  std::optional<double> lon;
};

// Stores the file parts named `field_names` (empty filename and empty data are skipped: a form
// posted with no file chosen). Images (PNG, JPEG, WebP) are sanitised (core/image_sanitize.h);
// audio (Ogg, MP3, WAV, M4A/AMR by their magic bytes) is stored as sent. Anything else, a file
// over the limit, or too many files: an error naming the file, and nothing is stored.
// `media` null: attachments are refused with unavailable("attachments_unavailable").
Result<StoredAttachments> store_attachments(const std::vector<forms::Part>& parts,
                                            const std::vector<std::string>& field_names,
                                            MediaStore* media, const AttachmentLimits& limits);

}  // namespace nguon::app
