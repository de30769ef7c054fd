// ScheduleService::compile_manifests: gathers what every device must play from the store and
// the media store, then lets the pure compiler (manifest_compiler.h) decide.
#include <algorithm>
#include <cmath>

#include "core/schedule/manifest_compiler.h"
#include "core/schedule/overlap.h"
#include "core/schedule/schedule_service.h"
#include "core/schedule/targets.h"

namespace nguon {
namespace {

using schedule::path_related;
using schedule::Resolver;
using schedule::targets_of;
using schedule::TargetSet;

// The owner's signature tunes (nearest unit on its path that set one), as media ids.
Result<std::pair<std::string, std::string>> signature_tunes(Tx& tx, std::string path) {
  std::string intro, outro;
  while (!path.empty() && (intro.empty() || outro.empty())) {
    path.pop_back();  // trailing '/'
    const size_t slash = path.rfind('/');
    const std::string code = path.substr(slash == std::string::npos ? 0 : slash + 1);
    for (auto [key, out] : {std::pair{"intro_media", &intro}, std::pair{"outro_media", &outro}}) {
      if (!out->empty()) continue;
      auto v = tx.unit_setting(code, key);
      if (!v) return v.error();
      if (v.value()) *out = *v.value();
    }
    path = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
  }
  return std::pair{intro, outro};
}
// Gathers a manifest's inputs from the store and the media store (one read transaction).
class ManifestInputs {
 public:
  ManifestInputs(Tx& tx, MediaStore& media, UnixTime now, std::vector<std::string>& warnings)
      : tx_(tx), media_(media), now_(now), resolver_(tx), warnings_(warnings) {}

  Resolver& resolver() { return resolver_; }

  // The playlist of a programme, with what cannot be resolved left out (and warned about).
  Result<std::vector<protocol::PlayItem>> items_of(const Programme& prog) {
    std::vector<protocol::PlayItem> out;
    for (const ProgrammeItem& item : prog.items) {
      auto resolved = resolve(prog, item);
      if (!resolved) return resolved.error();
      if (resolved.value()) out.push_back(std::move(*resolved.value()));
    }
    return out;
  }

  // Circular 39 bulletins for the devices of a commune, with their target paths.
  struct FromAbove {
    schedule::PriorityBulletin bulletin;
    std::vector<std::string> target_paths;  // empty: all of the commune
  };
  Result<std::vector<FromAbove>> priority_bulletins(const std::string& commune_code) {
    if (auto it = from_above_.find(commune_code); it != from_above_.end()) return it->second;
    std::vector<FromAbove> out;
    auto commune = resolver_.unit(commune_code);
    if (!commune) return commune.error();
    if (commune.value()) {
      auto lib = tx_.library_bulletins(commune.value()->path, now_, 200);
      if (!lib) return lib.error();
      for (const Bulletin& b : lib.value()) {
        if (b.priority != Priority::kPriority || b.status != BulletinStatus::kPublished) continue;
        auto item = bulletin_item(b, "priority bulletin");
        if (!item) return item.error();
        if (!item.value()) continue;
        FromAbove f{{b.id, std::max(b.published_at, b.valid_from), b.valid_until, *item.value()},
                    {}};
        for (const std::string& code : b.target_units) {
          auto u = resolver_.unit(code);
          if (!u) return u.error();
          if (u.value()) f.target_paths.push_back(u.value()->path);
        }
        out.push_back(std::move(f));
      }
    }
    from_above_[commune_code] = out;
    return out;
  }

 private:
  Result<std::optional<protocol::PlayItem>> resolve(const Programme& prog,
                                                    const ProgrammeItem& item) {
    const std::string where = "programme " + std::to_string(prog.id);
    switch (item.kind) {
      case ProgrammeItemKind::kBulletin: {
        auto b = tx_.find_bulletin(item.bulletin_id);
        if (!b) return b.error();
        if (!b.value() || b.value()->status != BulletinStatus::kPublished ||
            (b.value()->valid_until != 0 && b.value()->valid_until <= now_)) {
          warnings_.push_back(where + ": bulletin " + std::to_string(item.bulletin_id) +
                              " is no longer published or valid; skipped");
          return std::optional<protocol::PlayItem>();
        }
        auto out = bulletin_item(*b.value(), where + ": bulletin");
        if (out && out.value() && !item.title.empty()) out.value()->title = item.title;
        return out;
      }
      case ProgrammeItemKind::kMedia:
        return media_item(item.sha256, item.title.empty() ? "" : item.title, where);
      case ProgrammeItemKind::kStream: {
        protocol::PlayItem s;
        s.kind = protocol::ItemKind::kStream;
        s.url = item.url;
        s.duration_s = item.duration_s;
        s.title = item.title;
        return std::optional(s);
      }
      case ProgrammeItemKind::kIntro:
      case ProgrammeItemKind::kOutro: {
        auto tunes = tunes_.find(prog.owner_path);
        if (tunes == tunes_.end()) {
          auto found = signature_tunes(tx_, prog.owner_path);
          if (!found) return found.error();
          tunes = tunes_.emplace(prog.owner_path, std::move(found.value())).first;
        }
        const bool intro = item.kind == ProgrammeItemKind::kIntro;
        const std::string& id = intro ? tunes->second.first : tunes->second.second;
        if (id.empty()) {
          warnings_.push_back(where + ": " + prog.owner_unit + " has no " +
                              (intro ? "intro" : "outro") + " tune; skipped");
          return std::optional<protocol::PlayItem>();
        }
        const std::string title =
            !item.title.empty() ? item.title : (intro ? "Nhạc hiệu" : "Nhạc kết");
        return media_item(id, title, where);
      }
    }
    return std::optional<protocol::PlayItem>();
  }

  Result<std::optional<protocol::PlayItem>> bulletin_item(const Bulletin& b,
                                                          const std::string& where) {
    if (b.audio.sha256.empty()) {
      warnings_.push_back(where + " " + std::to_string(b.id) + " has no audio; skipped");
      return std::optional<protocol::PlayItem>();
    }
    auto item = media_item(b.audio.sha256, b.title, where + " " + std::to_string(b.id));
    if (item && item.value()) {
      item.value()->duration_ms = std::llround(b.audio.seconds * 1000.0);
    }
    return item;
  }

  // A stored media file: its size comes from the media store (read once per compilation).
  Result<std::optional<protocol::PlayItem>> media_item(const std::string& sha256,
                                                       const std::string& title,
                                                       const std::string& where) {
    auto size = sizes_.find(sha256);
    if (size == sizes_.end()) {
      auto bytes = media_.read(sha256);
      if (!bytes && bytes.error().kind != ErrorKind::kNotFound) return bytes.error();
      size = sizes_.emplace(sha256, bytes ? static_cast<std::int64_t>(bytes->size()) : -1).first;
    }
    if (size->second < 0) {
      warnings_.push_back(where + ": media " + sha256 + " is missing; skipped");
      return std::optional<protocol::PlayItem>();
    }
    protocol::PlayItem item;
    item.kind = protocol::ItemKind::kMedia;
    item.sha256 = sha256;
    item.bytes = size->second;
    item.title = title;
    return std::optional(item);
  }

  Tx& tx_;
  MediaStore& media_;
  UnixTime now_;
  Resolver resolver_;
  std::vector<std::string>& warnings_;
  std::map<std::string, std::int64_t> sizes_;                         // -1: missing
  std::map<std::string, std::pair<std::string, std::string>> tunes_;  // by owner path
  std::map<std::string, std::vector<FromAbove>> from_above_;
};

bool reaches(const std::vector<std::string>& target_paths, const Device& d) {
  return target_paths.empty() ||
         std::any_of(target_paths.begin(), target_paths.end(),
                     [&](const std::string& p) { return path_related(p, d.unit_path); });
}

}  // namespace

Result<std::map<std::string, protocol::Manifest>> ScheduleService::compile_manifests(
    const std::vector<Device>& devices, UnixTime now, int horizon_days,
    std::vector<std::string>* warnings) {
  if (media_ == nullptr) {
    return Error{ErrorKind::kUnavailable, "media_unavailable", "no media store is configured"};
  }
  const UnixTime horizon_end = now + std::clamp(horizon_days, 1, 31) * UnixTime{86400};
  std::vector<std::string> notes;
  std::map<std::string, protocol::Manifest> out;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    ManifestInputs inputs(tx, *media_, now, notes);
    // Circular 39 bulletins per device first: they decide how far back slots are needed.
    std::map<std::string, std::vector<schedule::PriorityBulletin>> from_above;
    UnixTime window_start = now;
    for (const Device& d : devices) {
      if (d.status == DeviceStatus::kDecommissioned) continue;
      auto list = inputs.priority_bulletins(d.commune_code);
      if (!list) return list.error();
      auto& mine = from_above[d.id];
      for (const auto& f : list.value()) {
        if (!reaches(f.target_paths, d)) continue;
        mine.push_back(f.bulletin);
        window_start = std::min(
            window_start, std::max(f.bulletin.available_from, now - kPriorityLookbackSeconds));
      }
    }
    auto progs = tx.enabled_programmes();
    if (!progs) return progs.error();
    std::vector<schedule::PlannedProgramme> planned;
    std::vector<TargetSet> targets;
    planned.reserve(progs->size());
    for (const Programme& prog : progs.value()) {
      auto t = targets_of(inputs.resolver(), prog);
      if (!t) return t.error();
      const bool reaches_any = std::any_of(devices.begin(), devices.end(), [&](const Device& d) {
        return d.status != DeviceStatus::kDecommissioned && t->covers(d);
      });
      if (!reaches_any) continue;
      auto dates = dates_of(prog, schedule::add_days(schedule::local_date_of(window_start), -1),
                            schedule::local_date_of(horizon_end));
      if (!dates) {
        notes.push_back("programme " + std::to_string(prog.id) + ": " + dates.error().message);
        continue;
      }
      auto items = inputs.items_of(prog);
      if (!items) return items.error();
      schedule::PlannedProgramme pp{
          prog.id, prog.priority, prog.duration_minutes, {}, std::move(items.value())};
      for (const auto& span :
           schedule::spans_on(dates.value(), prog.start_minute, prog.duration_minutes)) {
        // Not yet over (a slot on air stays in: see compile_manifest).
        if (span.end > window_start && span.start < horizon_end) pp.starts.push_back(span.start);
      }
      planned.push_back(std::move(pp));
      targets.push_back(std::move(t.value()));
    }
    for (const Device& d : devices) {
      if (d.status == DeviceStatus::kDecommissioned) continue;
      schedule::DevicePlan plan;
      for (size_t i = 0; i < planned.size(); ++i) {
        if (targets[i].covers(d)) plan.programmes.push_back(&planned[i]);
      }
      plan.priority_bulletins = from_above[d.id];
      out[d.id] = schedule::compile_manifest(plan, now, horizon_end);
    }
    return {};
  }));
  if (warnings != nullptr) *warnings = std::move(notes);
  return out;
}
}  // namespace nguon
