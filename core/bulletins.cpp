#include "core/bulletins.h"

#include <algorithm>

#include "core/audit.h"
#include "core/text.h"

namespace nguon {
namespace bulletins {

std::string_view priority_name(Priority p) {
  switch (p) {
    case Priority::kNormal:
      return "normal";
    case Priority::kPriority:
      return "priority";
    case Priority::kEmergency:
      return "emergency";
  }
  return "normal";
}

std::optional<Priority> parse_priority(std::string_view s) {
  for (Priority p : {Priority::kNormal, Priority::kPriority, Priority::kEmergency}) {
    if (priority_name(p) == s) return p;
  }
  return std::nullopt;
}

std::string_view status_name(BulletinStatus s) {
  switch (s) {
    case BulletinStatus::kDraft:
      return "draft";
    case BulletinStatus::kSubmitted:
      return "submitted";
    case BulletinStatus::kApproved:
      return "approved";
    case BulletinStatus::kReturned:
      return "returned";
    case BulletinStatus::kPublished:
      return "published";
    case BulletinStatus::kArchived:
      return "archived";
  }
  return "draft";
}

std::optional<BulletinStatus> parse_status(std::string_view s) {
  for (BulletinStatus st :
       {BulletinStatus::kDraft, BulletinStatus::kSubmitted, BulletinStatus::kApproved,
        BulletinStatus::kReturned, BulletinStatus::kPublished, BulletinStatus::kArchived}) {
    if (status_name(st) == s) return st;
  }
  return std::nullopt;
}

const std::vector<Category>& categories() {
  static const std::vector<Category> kCategories = {
      {"policy_law", "Chủ trương, đường lối của Đảng, chính sách, pháp luật của Nhà nước",
       "Party and State policy and law"},
      {"local_plans", "Chương trình, dự án, kế hoạch của địa phương",
       "Local programmes and projects"},
      {"society", "Chính trị, kinh tế, văn hóa, xã hội, khoa học, công nghệ",
       "Politics, economy, culture, society, science"},
      {"security_defence", "An ninh, trật tự, an toàn xã hội, quốc phòng",
       "Security, public order, defence"},
      {"disaster_emergency", "Thiên tai, cứu hộ, cứu nạn, hỏa hoạn, dịch bệnh",
       "Natural disasters, rescue, fire, epidemics"},
      {"good_examples", "Gương người tốt, việc tốt, điển hình tiên tiến", "Good examples"},
      {"fight_negative", "Phòng, chống hiện tượng tiêu cực, tin giả, tin sai sự thật",
       "Fighting negative phenomena and false news"},
      {"essential_services", "Hàng hóa, dịch vụ thiết yếu", "Essential goods and services"},
      // Decree 49 Art. 8: the commune station broadcasts the answers to people's feedback.
      {"feedback_answers", "Trả lời phản ánh, kiến nghị của người dân",
       "Answers to people's feedback"},
  };
  return kCategories;
}

bool is_category(std::string_view code) {
  const auto& all = categories();
  return std::any_of(all.begin(), all.end(), [&](const Category& c) { return c.code == code; });
}

bool is_language_tag(std::string_view tag) {
  auto letters = [](std::string_view s, size_t lo, size_t hi, bool digits) {
    if (s.size() < lo || s.size() > hi) return false;
    return std::all_of(s.begin(), s.end(), [&](char c) {
      return (c >= 'a' && c <= 'z') ||
             (digits && ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')));
    });
  };
  const size_t dash = tag.find('-');
  if (dash == std::string_view::npos) return letters(tag, 2, 8, false);
  return letters(tag.substr(0, dash), 2, 8, false) && letters(tag.substr(dash + 1), 2, 8, true);
}

}  // namespace bulletins

namespace {

constexpr size_t kMaxTitle = 250;
constexpr size_t kMaxSummary = 1000;
constexpr size_t kMaxBody = 30000;  // about 40 minutes of speech
constexpr size_t kMaxTargets = 200;

Error bulletin_not_found() { return not_found("no such bulletin"); }

// A step's way to say "nothing to change": transition() then writes and audits nothing.
constexpr std::string_view kUnchanged = "unchanged";
Error unchanged() { return {ErrorKind::kConflict, std::string(kUnchanged), "nothing changed"}; }

bool same_content(const Bulletin& a, const Bulletin& b) {
  return a.title == b.title && a.summary == b.summary && a.body == b.body &&
         a.category == b.category && a.priority == b.priority && a.language == b.language &&
         a.pen_name == b.pen_name && a.source == b.source && a.valid_from == b.valid_from &&
         a.valid_until == b.valid_until && a.target_units == b.target_units;
}

Error wrong_state(const Bulletin& b, std::string_view action) {
  return conflict("invalid_transition", "cannot " + std::string(action) + " a bulletin that is " +
                                            std::string(bulletins::status_name(b.status)));
}

std::string fold_of(const Bulletin& b) {
  return text::fold(b.title + "\n" + b.summary + "\n" + b.body);
}

// Validates and applies one text/enum field of a draft or patch.
struct Editor {
  Bulletin& b;
  Status title(const std::string& v) {
    auto c = text::clean_line("title", v, 1, kMaxTitle);
    if (!c) return c.error();
    b.title = std::move(c.value());
    return {};
  }
  Status summary(const std::string& v) {
    auto c = text::clean_multiline("summary", v, kMaxSummary);
    if (!c) return c.error();
    b.summary = std::move(c.value());
    return {};
  }
  Status body(const std::string& v) {
    auto c = text::clean_multiline("body", v, kMaxBody);
    if (!c) return c.error();
    if (c->empty()) return invalid("empty_text", "body: must not be empty");
    b.body = std::move(c.value());
    return {};
  }
  Status category(const std::string& v) {
    if (!bulletins::is_category(v))
      return invalid("invalid_field", "category: unknown category '" + v + "'");
    b.category = v;
    return {};
  }
  Status language(const std::string& v) {
    if (!bulletins::is_language_tag(v)) {
      return invalid("invalid_field", "language: not a language tag (e.g. vi, tay, hmn, km)");
    }
    b.language = v;
    return {};
  }
  Status short_text(std::string_view field, const std::string& v, std::string& out) {
    if (v.empty()) {
      out.clear();
      return {};
    }
    auto c = text::clean_line(field, v, 0, 200);
    if (!c) return c.error();
    out = std::move(c.value());
    return {};
  }
  Status window(UnixTime from, UnixTime until) {
    if (from < 0 || until < 0)
      return invalid("invalid_field", "valid_from/valid_until: must not be negative");
    if (until != 0 && until <= from) {
      return invalid("invalid_field", "valid_until: must be after valid_from");
    }
    b.valid_from = from;
    b.valid_until = until;
    return {};
  }
};

// Every target must exist and lie in the owner's subtree; duplicates are dropped.
Result<std::vector<std::string>> check_targets(Tx& tx, const Unit& owner,
                                               const std::vector<std::string>& targets) {
  if (targets.size() > kMaxTargets) {
    return invalid("invalid_field", "target_units: at most " + std::to_string(kMaxTargets));
  }
  std::vector<std::string> out;
  for (const std::string& code : targets) {
    if (std::find(out.begin(), out.end(), code) != out.end()) continue;
    auto unit = tx.find_unit(code);
    if (!unit) return unit.error();
    if (!unit.value() || unit.value()->path.rfind(owner.path, 0) != 0) {
      return invalid("invalid_field",
                     "target_units: " + code + " is not a unit under " + owner.name);
    }
    out.push_back(code);
  }
  return out;
}

Status add_notification(Tx& tx, std::int64_t user_id, std::string kind, std::string message,
                        const Bulletin& b, UnixTime now) {
  auto id =
      tx.insert_notification({0, user_id, std::move(kind), std::move(message), b.id, now, false});
  return id ? Status() : id.error();
}

}  // namespace

std::string bulletin_snapshot(const Bulletin& b) {
  std::string targets = "[";
  for (size_t i = 0; i < b.target_units.size(); ++i) {
    targets += (i ? "," : "") + json_quote(b.target_units[i]);
  }
  targets += "]";
  std::string images = "[";
  for (size_t i = 0; i < b.images.size(); ++i) images += (i ? "," : "") + json_quote(b.images[i]);
  images += "]";
  return "{\"id\":" + std::to_string(b.id) + ",\"revision\":" + std::to_string(b.revision) +
         ",\"status\":" + json_quote(bulletins::status_name(b.status)) +
         ",\"title\":" + json_quote(b.title) + ",\"summary\":" + json_quote(b.summary) +
         ",\"body\":" + json_quote(b.body) + ",\"category\":" + json_quote(b.category) +
         ",\"priority\":" + json_quote(bulletins::priority_name(b.priority)) +
         ",\"language\":" + json_quote(b.language) + ",\"pen_name\":" + json_quote(b.pen_name) +
         ",\"source\":" + json_quote(b.source) + ",\"owner_unit\":" + json_quote(b.owner_unit) +
         ",\"target_units\":" + targets + ",\"valid_from\":" + std::to_string(b.valid_from) +
         ",\"valid_until\":" + std::to_string(b.valid_until) +
         ",\"audio\":" + json_quote(b.audio.sha256) + ",\"images\":" + images + "}";
}

Result<Bulletin> BulletinService::create(const access::Principal& p, BulletinDraft d,
                                         const RequestOrigin& origin) {
  Result<Bulletin> out = internal("unreachable");
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto owner = tx.find_unit(d.owner_unit);
    if (!owner) return owner.error();
    if (!owner.value() || !access::can_read(p, owner.value()->path)) {
      return invalid("invalid_field", "owner_unit: unknown unit '" + d.owner_unit + "'");
    }
    if (!access::has_role(p, Role::kEditor, owner.value()->path)) {
      return forbidden("you are not an editor of " + owner.value()->name);
    }
    Bulletin b;
    Editor e{b};
    NGUON_TRY(e.title(d.title));
    NGUON_TRY(e.summary(d.summary));
    NGUON_TRY(e.body(d.body));
    NGUON_TRY(e.category(d.category));
    NGUON_TRY(e.language(d.language));
    NGUON_TRY(e.short_text("pen_name", d.pen_name, b.pen_name));
    NGUON_TRY(e.short_text("source", d.source, b.source));
    NGUON_TRY(e.window(d.valid_from, d.valid_until));
    auto targets = check_targets(tx, *owner.value(), d.target_units);
    if (!targets) return targets.error();
    b.target_units = std::move(targets.value());
    b.priority = d.priority;
    b.owner_unit = owner.value()->code;
    b.author_id = p.user_id;
    b.status = BulletinStatus::kDraft;
    b.created_at = b.updated_at = clock_.now();
    b.fold = fold_of(b);
    auto id = tx.insert_bulletin(b, owner.value()->path);
    if (!id) return id.error();
    b.id = id.value();
    NGUON_TRY(
        audit::append(tx, crypto_,
                      {0, b.created_at, origin.actor, "bulletin.create",
                       "bulletin:" + std::to_string(b.id), "", bulletin_snapshot(b), origin.ip}));
    out = std::move(b);
    return {};
  }));
  return out;
}

Result<Bulletin> BulletinService::load_managed(Tx& tx, const access::Principal& p,
                                               std::int64_t id) {
  auto found = tx.find_bulletin(id);
  if (!found) return found.error();
  if (!found.value()) return bulletin_not_found();
  auto owner = tx.find_unit(found.value()->owner_unit);
  if (!owner) return owner.error();
  if (!owner.value() || !access::can_read(p, owner.value()->path)) return bulletin_not_found();
  return std::move(*found.value());
}

Result<Bulletin> BulletinService::update(const access::Principal& p, std::int64_t id,
                                         BulletinPatch patch, const RequestOrigin& origin) {
  return transition(
      p, id, "bulletin.update", origin, [&](Tx& tx, Bulletin& b, const Unit& owner) -> Status {
        if (!access::has_role(p, Role::kEditor, owner.path)) {
          return forbidden("you are not an editor of " + owner.name);
        }
        if (b.status == BulletinStatus::kSubmitted || b.status == BulletinStatus::kArchived) {
          return wrong_state(b, "edit");
        }
        const Bulletin before = b;
        Editor e{b};
        if (patch.title) NGUON_TRY(e.title(*patch.title));
        if (patch.summary) NGUON_TRY(e.summary(*patch.summary));
        if (patch.body) NGUON_TRY(e.body(*patch.body));
        if (patch.category) NGUON_TRY(e.category(*patch.category));
        if (patch.language) NGUON_TRY(e.language(*patch.language));
        if (patch.pen_name) NGUON_TRY(e.short_text("pen_name", *patch.pen_name, b.pen_name));
        if (patch.source) NGUON_TRY(e.short_text("source", *patch.source, b.source));
        if (patch.priority) b.priority = *patch.priority;
        if (patch.valid_from || patch.valid_until) {
          NGUON_TRY(e.window(patch.valid_from.value_or(b.valid_from),
                             patch.valid_until.value_or(b.valid_until)));
        }
        if (patch.target_units) {
          auto targets = check_targets(tx, owner, *patch.target_units);
          if (!targets) return targets.error();
          b.target_units = std::move(targets.value());
        }
        if (same_content(before, b)) return unchanged();  // no revision, no write, no audit
        if (b.status == BulletinStatus::kApproved || b.status == BulletinStatus::kPublished) {
          // Keep the approved text, then start the next revision.
          NGUON_TRY(tx.insert_revision({before.id, before.revision, bulletin_snapshot(before),
                                        before.approved_by, before.approved_at}));
          b.revision += 1;
          b.status = BulletinStatus::kDraft;
          b.approved_by = 0;
          b.approved_at = 0;
        }
        if (b.title != before.title || b.summary != before.summary || b.body != before.body) {
          b.audio = {};  // the old audio no longer matches the text
        }
        b.fold = fold_of(b);
        return {};
      });
}

Result<Bulletin> BulletinService::transition(
    const access::Principal& p, std::int64_t id, std::string_view action,
    const RequestOrigin& origin,
    const std::function<Status(Tx&, Bulletin&, const Unit& owner)>& step) {
  Result<Bulletin> out = internal("unreachable");
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto b = load_managed(tx, p, id);
    if (!b) return b.error();
    auto owner = tx.find_unit(b->owner_unit);
    if (!owner) return owner.error();
    const std::string before = bulletin_snapshot(b.value());
    const Bulletin original = b.value();
    Status stepped = step(tx, b.value(), *owner.value());
    if (!stepped && stepped.error().code == kUnchanged) {
      out = original;
      return {};
    }
    if (!stepped) return stepped.error();
    b->updated_at = clock_.now();
    NGUON_TRY(tx.update_bulletin(b.value()));
    NGUON_TRY(audit::append(
        tx, crypto_,
        {0, b->updated_at, origin.actor, std::string(action), "bulletin:" + std::to_string(id),
         before, bulletin_snapshot(b.value()), origin.ip}));
    out = std::move(b.value());
    return {};
  }));
  return out;
}

Result<Bulletin> BulletinService::submit(const access::Principal& p, std::int64_t id,
                                         const RequestOrigin& origin) {
  return transition(
      p, id, "bulletin.submit", origin, [&](Tx& tx, Bulletin& b, const Unit& owner) -> Status {
        if (!access::has_role(p, Role::kEditor, owner.path)) {
          return forbidden("you are not an editor of " + owner.name);
        }
        if (b.status != BulletinStatus::kDraft && b.status != BulletinStatus::kReturned) {
          return wrong_state(b, "submit");
        }
        b.status = BulletinStatus::kSubmitted;
        b.submitted_at = clock_.now();
        b.return_reason.clear();
        auto approvers = tx.users_with_role_over(owner.path, Role::kApprover);
        if (!approvers) return approvers.error();
        for (std::int64_t user : approvers.value()) {
          if (user == b.author_id) continue;
          NGUON_TRY(add_notification(tx, user, "bulletin.submitted",
                                     "Bản tin chờ duyệt: " + b.title, b, b.submitted_at));
        }
        return {};
      });
}

Result<Bulletin> BulletinService::approve(const access::Principal& p, std::int64_t id,
                                          const RequestOrigin& origin) {
  return transition(
      p, id, "bulletin.approve", origin, [&](Tx& tx, Bulletin& b, const Unit& owner) -> Status {
        if (!access::has_role(p, Role::kApprover, owner.path)) {
          return forbidden("you are not an approver of " + owner.name);
        }
        if (b.status != BulletinStatus::kSubmitted) return wrong_state(b, "approve");
        if (b.author_id == p.user_id) {
          auto rule = four_eyes_in(tx, owner);
          if (!rule) return rule.error();
          if (rule.value()) {
            return Error{ErrorKind::kForbidden, "four_eyes",
                         "the author of a bulletin cannot approve it (four-eyes rule)"};
          }
        }
        b.status = BulletinStatus::kApproved;
        b.approved_by = p.user_id;
        b.approved_at = clock_.now();
        return add_notification(tx, b.author_id, "bulletin.approved",
                                "Bản tin đã được duyệt: " + b.title, b, b.approved_at);
      });
}

Result<Bulletin> BulletinService::return_to_author(const access::Principal& p, std::int64_t id,
                                                   const std::string& reason,
                                                   const RequestOrigin& origin) {
  auto clean = text::clean_multiline("reason", reason, 2000);
  if (!clean) return clean.error();
  if (clean->empty()) return invalid("missing_field", "reason: say why the bulletin is returned");
  return transition(
      p, id, "bulletin.return", origin, [&](Tx& tx, Bulletin& b, const Unit& owner) -> Status {
        if (!access::has_role(p, Role::kApprover, owner.path)) {
          return forbidden("you are not an approver of " + owner.name);
        }
        if (b.status != BulletinStatus::kSubmitted) return wrong_state(b, "return");
        b.status = BulletinStatus::kReturned;
        b.return_reason = clean.value();
        return add_notification(tx, b.author_id, "bulletin.returned",
                                "Bản tin bị trả lại: " + b.title + " — " + clean.value(), b,
                                clock_.now());
      });
}

Result<Bulletin> BulletinService::publish(const access::Principal& p, std::int64_t id,
                                          const RequestOrigin& origin) {
  return transition(
      p, id, "bulletin.publish", origin, [&](Tx& tx, Bulletin& b, const Unit& owner) -> Status {
        if (!access::has_role(p, Role::kApprover, owner.path)) {
          return forbidden("you are not an approver of " + owner.name);
        }
        if (b.status != BulletinStatus::kApproved) return wrong_state(b, "publish");
        b.status = BulletinStatus::kPublished;
        b.published_at = clock_.now();
        return add_notification(tx, b.author_id, "bulletin.published",
                                "Bản tin đã phát hành: " + b.title, b, b.published_at);
      });
}

Result<Bulletin> BulletinService::archive(const access::Principal& p, std::int64_t id,
                                          const RequestOrigin& origin) {
  return transition(
      p, id, "bulletin.archive", origin, [&](Tx&, Bulletin& b, const Unit& owner) -> Status {
        if (!access::has_role(p, Role::kEditor, owner.path) &&
            !access::has_role(p, Role::kApprover, owner.path)) {
          return forbidden("you are not an editor or approver of " + owner.name);
        }
        if (b.status == BulletinStatus::kArchived || b.status == BulletinStatus::kSubmitted) {
          return wrong_state(b, "archive");
        }
        b.status = BulletinStatus::kArchived;
        return {};
      });
}

Result<Bulletin> BulletinService::set_audio(const access::Principal& p, std::int64_t id,
                                            BulletinAudio audio, const RequestOrigin& origin) {
  return transition(
      p, id, "bulletin.set_audio", origin, [&](Tx&, Bulletin& b, const Unit& owner) -> Status {
        if (!access::has_role(p, Role::kEditor, owner.path)) {
          return forbidden("you are not an editor of " + owner.name);
        }
        if (b.status != BulletinStatus::kDraft && b.status != BulletinStatus::kReturned) {
          return wrong_state(b, "change the audio of");
        }
        b.audio = std::move(audio);
        return {};
      });
}

Status BulletinService::check_media_editable(const access::Principal& p, std::int64_t id) {
  return store_.read([&](Tx& tx) -> Status {
    auto b = load_managed(tx, p, id);
    if (!b) return b.error();
    auto owner = tx.find_unit(b->owner_unit);
    if (!owner) return owner.error();
    if (!owner.value() || !access::has_role(p, Role::kEditor, owner.value()->path)) {
      return forbidden("you are not an editor of this bulletin's unit");
    }
    if (b->status != BulletinStatus::kDraft && b->status != BulletinStatus::kReturned) {
      return wrong_state(b.value(), "change the media of");
    }
    return {};
  });
}

Result<Bulletin> BulletinService::set_images(const access::Principal& p, std::int64_t id,
                                             std::vector<std::string> images,
                                             const RequestOrigin& origin) {
  return transition(
      p, id, "bulletin.set_images", origin, [&](Tx&, Bulletin& b, const Unit& owner) -> Status {
        if (!access::has_role(p, Role::kEditor, owner.path)) {
          return forbidden("you are not an editor of " + owner.name);
        }
        if (b.status != BulletinStatus::kDraft && b.status != BulletinStatus::kReturned) {
          return wrong_state(b, "change the images of");
        }
        b.images = std::move(images);
        return {};
      });
}

Result<Bulletin> BulletinService::get(const access::Principal& p, std::int64_t id) {
  Result<Bulletin> out = internal("unreachable");
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto found = tx.find_bulletin(id);
    if (!found) return found.error();
    if (!found.value()) return bulletin_not_found();
    auto owner = tx.find_unit(found.value()->owner_unit);
    if (!owner) return owner.error();
    if (!owner.value()) return bulletin_not_found();
    const Bulletin& b = *found.value();
    bool readable = access::can_read(p, owner.value()->path);
    if (!readable && b.status == BulletinStatus::kPublished) {
      // Source content from above: readable when published towards one of the caller's units.
      for (const std::string& root : access::read_roots(p)) {
        auto lib = tx.library_bulletins(root, clock_.now(), 1000);
        if (!lib) return lib.error();
        if (std::any_of(lib->begin(), lib->end(), [&](const Bulletin& x) { return x.id == id; })) {
          readable = true;
          break;
        }
      }
    }
    if (!readable) return bulletin_not_found();
    out = b;
    return {};
  }));
  return out;
}

Result<std::vector<Bulletin>> BulletinService::list(const access::Principal& p, BulletinQuery q) {
  q.owner_paths = access::read_roots(p);
  if (q.owner_paths.empty()) return std::vector<Bulletin>{};
  if (!text::is_valid_utf8(q.fold)) return invalid("invalid_utf8", "q: not valid UTF-8");
  q.fold = text::fold(q.fold);
  q.limit = std::clamp<size_t>(q.limit, 1, 200);
  std::vector<Bulletin> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto rows = tx.search_bulletins(q);
    if (!rows) return rows.error();
    out = std::move(rows.value());
    return {};
  }));
  return out;
}

Result<std::vector<Bulletin>> BulletinService::approval_queue(const access::Principal& p) {
  BulletinQuery q;
  q.owner_paths = access::role_roots(p, Role::kApprover);
  if (q.owner_paths.empty()) return forbidden("you are not an approver anywhere");
  q.status = BulletinStatus::kSubmitted;
  q.limit = 200;
  std::vector<Bulletin> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto rows = tx.search_bulletins(q);
    if (!rows) return rows.error();
    out = std::move(rows.value());
    return {};
  }));
  return out;
}

Result<std::vector<Bulletin>> BulletinService::library(const access::Principal& p,
                                                       const std::string& unit_code, size_t limit) {
  std::vector<Bulletin> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto unit = tx.find_unit(unit_code);
    if (!unit) return unit.error();
    if (!unit.value() || !access::can_read(p, unit.value()->path)) {
      return not_found("no such unit: " + unit_code);
    }
    auto rows =
        tx.library_bulletins(unit.value()->path, clock_.now(), std::clamp<size_t>(limit, 1, 500));
    if (!rows) return rows.error();
    out = std::move(rows.value());
    return {};
  }));
  return out;
}

Result<std::vector<BulletinRevision>> BulletinService::revisions(const access::Principal& p,
                                                                 std::int64_t id) {
  // Whoever may read the bulletin (including readers of the library below) sees its history.
  auto readable = get(p, id);
  if (!readable) return readable.error();
  std::vector<BulletinRevision> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto rows = tx.list_revisions(id);
    if (!rows) return rows.error();
    out = std::move(rows.value());
    return {};
  }));
  return out;
}

Result<std::vector<Notification>> BulletinService::notifications(const access::Principal& p,
                                                                 bool unread_only) {
  std::vector<Notification> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto rows = tx.list_notifications(p.user_id, unread_only, 100);
    if (!rows) return rows.error();
    out = std::move(rows.value());
    return {};
  }));
  return out;
}

Status BulletinService::mark_notifications_read(const access::Principal& p, std::int64_t up_to_id) {
  return store_.write([&](Tx& tx) { return tx.mark_notifications_read(p.user_id, up_to_id); });
}

Result<bool> BulletinService::four_eyes_in(Tx& tx, const Unit& unit) {
  // The nearest unit on the path (the unit itself first) that sets the rule decides.
  std::string path = unit.path;
  while (!path.empty()) {
    path.pop_back();  // trailing '/'
    const size_t slash = path.rfind('/');
    const std::string code = path.substr(slash == std::string::npos ? 0 : slash + 1);
    auto value = tx.unit_setting(code, "four_eyes");
    if (!value) return value.error();
    if (value.value()) return *value.value() != "false";
    path = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
  }
  return true;
}

Result<bool> BulletinService::four_eyes(const std::string& unit_code) {
  Result<bool> out = true;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto unit = tx.find_unit(unit_code);
    if (!unit) return unit.error();
    if (!unit.value()) return not_found("no such unit: " + unit_code);
    out = four_eyes_in(tx, *unit.value());
    return out ? Status() : out.error();
  }));
  return out;
}

Status BulletinService::set_four_eyes(const access::Principal& p, const std::string& unit_code,
                                      bool on, const RequestOrigin& origin) {
  return store_.write([&](Tx& tx) -> Status {
    auto unit = tx.find_unit(unit_code);
    if (!unit) return unit.error();
    if (!unit.value() || !access::can_read(p, unit.value()->path)) {
      return not_found("no such unit: " + unit_code);
    }
    if (!access::has_role(p, Role::kAdmin, unit.value()->path)) {
      return forbidden("you are not an administrator of " + unit.value()->name);
    }
    NGUON_TRY(tx.set_unit_setting(unit_code, "four_eyes", on ? "true" : "false"));
    return audit::append(tx, crypto_,
                         {0, clock_.now(), origin.actor, "unit.four_eyes", "unit:" + unit_code, "",
                          on ? R"({"four_eyes":true})" : R"({"four_eyes":false})", origin.ip});
  });
}

}  // namespace nguon
