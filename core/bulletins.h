// Bulletins (bản tin): the content a grassroots information office writes, gets approved and
// broadcasts. Workflow: draft → submitted → approved | returned (with a reason) → published →
// archived. Editing an approved or published bulletin starts a new revision, which needs
// approval again (the approved text is kept in the revision history). Four-eyes: the approver
// is never the author, unless the owning unit turned that rule off.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/access.h"
#include "core/accounts.h"
#include "core/bulletins_model.h"
#include "core/model.h"
#include "core/ports.h"
#include "core/result.h"
#include "core/store.h"

namespace nguon {

namespace bulletins {

std::string_view priority_name(Priority p);  // "normal", "priority", "emergency"
std::optional<Priority> parse_priority(std::string_view s);
std::string_view status_name(BulletinStatus s);  // "draft", "submitted", …
std::optional<BulletinStatus> parse_status(std::string_view s);

// Decree 49/2024 Art. 6: the categories of essential information.
struct Category {
  std::string_view code;
  std::string_view name_vi;
  std::string_view name_en;
};
const std::vector<Category>& categories();
bool is_category(std::string_view code);

// "vi", or a BCP 47 tag of an ethnic-minority language (e.g. "tay", "hmn", "km", "cjm"):
// 2–8 lower-case letters, optionally "-" and a region/variant subtag.
bool is_language_tag(std::string_view tag);

}  // namespace bulletins

// What an editor types; every field is validated and normalised (NFC) by the service.
struct BulletinDraft {
  std::string title;
  std::string summary;
  std::string body;
  std::string category;
  Priority priority = Priority::kNormal;
  std::string language = "vi";
  std::string pen_name;
  std::string source;
  UnixTime valid_from = 0;
  UnixTime valid_until = 0;
  std::string owner_unit;
  std::vector<std::string> target_units;
};

struct BulletinPatch {
  std::optional<std::string> title, summary, body, category, language, pen_name, source;
  std::optional<Priority> priority;
  std::optional<UnixTime> valid_from, valid_until;
  std::optional<std::vector<std::string>> target_units;
};

class BulletinService {
 public:
  BulletinService(Store& store, Clock& clock, Crypto& crypto)
      : store_(store), clock_(clock), crypto_(crypto) {}

  // Editor over the owner unit. Targets must lie inside the owner's subtree.
  Result<Bulletin> create(const access::Principal& p, BulletinDraft draft,
                          const RequestOrigin& origin);
  // Editor over the owner unit; a draft or returned bulletin is edited in place; an approved or
  // published one becomes a new revision in draft; submitted and archived ones are frozen.
  Result<Bulletin> update(const access::Principal& p, std::int64_t id, BulletinPatch patch,
                          const RequestOrigin& origin);
  Result<Bulletin> submit(const access::Principal& p, std::int64_t id, const RequestOrigin& origin);
  Result<Bulletin> approve(const access::Principal& p, std::int64_t id,
                           const RequestOrigin& origin);
  Result<Bulletin> return_to_author(const access::Principal& p, std::int64_t id,
                                    const std::string& reason, const RequestOrigin& origin);
  Result<Bulletin> publish(const access::Principal& p, std::int64_t id,
                           const RequestOrigin& origin);
  Result<Bulletin> archive(const access::Principal& p, std::int64_t id,
                           const RequestOrigin& origin);
  // Sets the bulletin's audio (after synthesis or upload); editor, in draft or returned only.
  Result<Bulletin> set_audio(const access::Principal& p, std::int64_t id, BulletinAudio audio,
                             const RequestOrigin& origin);

  // Whether `p` may change the bulletin's audio or images now (editor over the owner unit, and
  // the bulletin in draft or returned): checked before any expensive synthesis or decoding.
  Status check_media_editable(const access::Principal& p, std::int64_t id);
  // Replaces the bulletin's image list (media ids); editor, in draft or returned only.
  Result<Bulletin> set_images(const access::Principal& p, std::int64_t id,
                              std::vector<std::string> images, const RequestOrigin& origin);

  // A bulletin the caller may read: owned inside their scope, or published from above for them.
  Result<Bulletin> get(const access::Principal& p, std::int64_t id);
  // Bulletins owned inside the caller's scope (what they manage).
  Result<std::vector<Bulletin>> list(const access::Principal& p, BulletinQuery query);
  // Submitted bulletins the caller may approve.
  Result<std::vector<Bulletin>> approval_queue(const access::Principal& p);
  // Published, currently valid bulletins from units above `unit_code` that target it: the
  // source content a commune may air. `unit_code` must be readable by the caller.
  Result<std::vector<Bulletin>> library(const access::Principal& p, const std::string& unit_code,
                                        size_t limit);
  Result<std::vector<BulletinRevision>> revisions(const access::Principal& p, std::int64_t id);

  Result<std::vector<Notification>> notifications(const access::Principal& p, bool unread_only);
  Status mark_notifications_read(const access::Principal& p, std::int64_t up_to_id);

  // Four-eyes rule for a unit (inherited from the nearest ancestor that sets it; default on).
  Result<bool> four_eyes(const std::string& unit_code);
  // The same inside a caller's transaction (feedback answers follow the bulletins' rule).
  static Result<bool> four_eyes_in(Tx& tx, const Unit& unit);
  Status set_four_eyes(const access::Principal& p, const std::string& unit_code, bool on,
                       const RequestOrigin& origin);

 private:
  Result<Bulletin> transition(const access::Principal& p, std::int64_t id, std::string_view action,
                              const RequestOrigin& origin,
                              const std::function<Status(Tx&, Bulletin&, const Unit& owner)>& step);
  Result<Bulletin> load_managed(Tx& tx, const access::Principal& p, std::int64_t id);

  Store& store_;
  Clock& clock_;
  Crypto& crypto_;
};

// JSON text of a bulletin's content, for audit entries and revision snapshots.
std::string bulletin_snapshot(const Bulletin& b);

}  // namespace nguon
