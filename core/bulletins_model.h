// Bulletin records shared by the core and the stores. Behaviour lives in core/bulletins.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"

namespace nguon {

// Circular 39/2020: normal (the commune chooses when to air it), priority (first in the next
// programme), emergency (aired at once).
enum class Priority { kNormal, kPriority, kEmergency };

enum class BulletinStatus { kDraft, kSubmitted, kApproved, kReturned, kPublished, kArchived };

struct BulletinAudio {
  std::string sha256;  // media id in the MediaStore; empty when there is no audio
  double seconds = 0;
  std::string origin;  // "tts", "upload"
  std::string voice;   // for tts: "north", "central", "south"
};

struct Bulletin {
  std::int64_t id = 0;
  std::string owner_unit;
  std::vector<std::string> target_units;  // empty: the owner's whole subtree
  std::string title;
  std::string summary;
  std::string body;
  std::string category;
  Priority priority = Priority::kNormal;
  std::string language = "vi";
  std::int64_t author_id = 0;
  std::string pen_name;
  std::string source;
  UnixTime valid_from = 0;   // 0: from publication
  UnixTime valid_until = 0;  // 0: open-ended
  BulletinStatus status = BulletinStatus::kDraft;
  int revision = 1;
  std::string return_reason;
  std::int64_t approved_by = 0;
  UnixTime submitted_at = 0;
  UnixTime approved_at = 0;
  UnixTime published_at = 0;
  BulletinAudio audio;
  std::vector<std::string> images;  // media ids of images for electronic boards
  std::string fold;                 // search key: folded title + summary + body
  UnixTime created_at = 0;
  UnixTime updated_at = 0;
};

// A past approved version, kept when an approved or published bulletin is edited.
struct BulletinRevision {
  std::int64_t bulletin_id = 0;
  int revision = 0;
  std::string snapshot;  // JSON of the approved content
  std::int64_t approved_by = 0;
  UnixTime approved_at = 0;
};

struct Notification {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string kind;     // "bulletin.submitted", "bulletin.approved", "bulletin.returned", …
  std::string message;  // Vietnamese text shown in the console
  std::int64_t bulletin_id = 0;
  UnixTime created_at = 0;
  bool read = false;
  std::int64_t feedback_id = 0;  // "feedback.*" notifications (schema v4); last, so existing
                                 // aggregate initialisers keep their meaning
};

struct BulletinQuery {
  std::vector<std::string> owner_paths;  // owner unit's path starts with one of these
  std::optional<BulletinStatus> status;
  std::optional<Priority> priority;
  std::string category;
  std::string fold;  // substring of the folded text
  size_t limit = 50;
  std::int64_t before_id = 0;  // paging: only ids below this (0: from the newest)
};

}  // namespace nguon
