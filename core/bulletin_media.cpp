#include "core/bulletin_media.h"

#include <algorithm>

#include "core/audit.h"
#include "core/images.h"

namespace nguon {
namespace {

// Pieces (tune, speech, tune) are joined at 24 kHz, the rate the audio pipeline encodes at:
// Opus at speech bitrates keeps no content above 12 kHz, so nothing audible is lost.
constexpr int kJoinSampleRate = 24000;
constexpr double kTuneGapSeconds = 0.6;

void append_silence(PcmAudio& pcm, double seconds) {
  pcm.samples.insert(pcm.samples.end(), static_cast<size_t>(seconds * pcm.sample_rate), 0.0F);
}

void append(PcmAudio& into, const PcmAudio& piece) {
  into.samples.insert(into.samples.end(), piece.samples.begin(), piece.samples.end());
}

}  // namespace

std::string_view BulletinMediaService::voice_name(VoiceVariant v) {
  switch (v) {
    case VoiceVariant::kNorthern:
      return "north";
    case VoiceVariant::kCentral:
      return "central";
    case VoiceVariant::kSouthern:
      return "south";
  }
  return "north";
}

Result<std::string> BulletinMediaService::spoken_text(const access::Principal& p, std::int64_t id) {
  auto b = bulletins_.get(p, id);
  if (!b) return b.error();
  std::string text = b->title + ".\n\n";
  if (!b->summary.empty()) text += b->summary + "\n\n";
  text += b->body;
  return vi::normalize(text, dictionary_);
}

Result<Bulletin> BulletinMediaService::synthesize(const access::Principal& p, std::int64_t id,
                                                  const VoiceSettings& voice,
                                                  const RequestOrigin& origin) {
  NGUON_TRY(bulletins_.check_media_editable(p, id));
  auto text = spoken_text(p, id);
  if (!text) return text.error();
  auto speech = synthesizer_.synthesize(text.value(), voice);
  if (!speech) return speech.error();
  return store_audio(p, id, speech.value(), "tts", std::string(voice_name(voice.variant)), origin);
}

Result<Bulletin> BulletinMediaService::upload(const access::Principal& p, std::int64_t id,
                                              std::string_view bytes, const RequestOrigin& origin) {
  // Authority and state first: decoding a large upload is not free.
  NGUON_TRY(bulletins_.check_media_editable(p, id));
  auto pcm = pipeline_.decode(bytes);
  if (!pcm) return pcm.error();
  return store_audio(p, id, pcm.value(), "upload", "", origin);
}

Result<std::pair<PcmAudio, PcmAudio>> BulletinMediaService::signature_tunes(
    const std::string& owner_unit) {
  std::string intro_id, outro_id;
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto unit = tx.find_unit(owner_unit);
    if (!unit) return unit.error();
    if (!unit.value()) return {};
    // The nearest unit on the path that set a tune provides it.
    std::string path = unit.value()->path;
    while (!path.empty() && (intro_id.empty() || outro_id.empty())) {
      path.pop_back();
      const size_t slash = path.rfind('/');
      const std::string code = path.substr(slash == std::string::npos ? 0 : slash + 1);
      for (auto [key, out] :
           {std::pair{"intro_media", &intro_id}, std::pair{"outro_media", &outro_id}}) {
        if (!out->empty()) continue;
        auto v = tx.unit_setting(code, key);
        if (!v) return v.error();
        if (v.value()) *out = *v.value();
      }
      path = slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
    }
    return {};
  }));
  auto load = [&](const std::string& media_id) -> Result<PcmAudio> {
    if (media_id.empty()) return PcmAudio{kJoinSampleRate, 1, {}};
    auto bytes = media_.read(media_id);
    if (!bytes) return bytes.error();
    auto pcm = pipeline_.decode(bytes.value());
    if (!pcm) return pcm.error();
    return pipeline_.conform(pcm.value(), kJoinSampleRate);
  };
  auto intro = load(intro_id);
  if (!intro) return intro.error();
  auto outro = load(outro_id);
  if (!outro) return outro.error();
  return std::pair{std::move(intro.value()), std::move(outro.value())};
}

Result<Bulletin> BulletinMediaService::store_audio(const access::Principal& p, std::int64_t id,
                                                   const PcmAudio& speech, std::string origin_kind,
                                                   std::string voice, const RequestOrigin& origin) {
  auto b = bulletins_.get(p, id);
  if (!b) return b.error();
  auto tunes = signature_tunes(b->owner_unit);
  if (!tunes) return tunes.error();
  auto body = pipeline_.conform(speech, kJoinSampleRate);
  if (!body) return body.error();
  PcmAudio joined{kJoinSampleRate, 1, {}};
  const auto& [intro, outro] = tunes.value();
  if (!intro.samples.empty()) {
    append(joined, intro);
    append_silence(joined, kTuneGapSeconds);
  }
  append(joined, body.value());
  if (!outro.samples.empty()) {
    append_silence(joined, kTuneGapSeconds);
    append(joined, outro);
  }
  auto encoded = pipeline_.encode_broadcast(joined);
  if (!encoded) return encoded.error();
  auto stored = media_.put(encoded->bytes, "audio/ogg");
  if (!stored) return stored.error();
  return bulletins_.set_audio(
      p, id, {stored->sha256, encoded->duration_seconds, std::move(origin_kind), std::move(voice)},
      origin);
}

Result<Bulletin> BulletinMediaService::attach_image(const access::Principal& p, std::int64_t id,
                                                    std::string_view bytes,
                                                    const RequestOrigin& origin) {
  NGUON_TRY(bulletins_.check_media_editable(p, id));
  auto b = bulletins_.get(p, id);
  if (!b) return b.error();
  if (b->images.size() >= kMaxImagesPerBulletin) {
    return conflict("too_many_images", "a bulletin has at most 20 images");
  }
  auto type = images::check_image(bytes);
  if (!type) return type.error();
  auto stored = media_.put(bytes, type.value());
  if (!stored) return stored.error();
  std::vector<std::string> list = b->images;
  if (std::find(list.begin(), list.end(), stored->sha256) == list.end())
    list.push_back(stored->sha256);
  return bulletins_.set_images(p, id, std::move(list), origin);
}

Result<Bulletin> BulletinMediaService::remove_image(const access::Principal& p, std::int64_t id,
                                                    const std::string& media_id,
                                                    const RequestOrigin& origin) {
  auto b = bulletins_.get(p, id);
  if (!b) return b.error();
  std::vector<std::string> list = b->images;
  auto it = std::find(list.begin(), list.end(), media_id);
  if (it == list.end()) return not_found("the bulletin has no such image");
  list.erase(it);
  return bulletins_.set_images(p, id, std::move(list), origin);
}

Result<MediaInfo> BulletinMediaService::set_signature_tune(const access::Principal& p,
                                                           const std::string& unit_code,
                                                           const std::string& which,
                                                           std::string_view bytes,
                                                           const RequestOrigin& origin) {
  if (which != "intro" && which != "outro") {
    return invalid("invalid_field", "which: must be intro or outro");
  }
  // Authority first (cheap), then the expensive decode and encode outside any transaction.
  NGUON_TRY(store_.read([&](Tx& tx) -> Status {
    auto unit = tx.find_unit(unit_code);
    if (!unit) return unit.error();
    if (!unit.value() || !access::can_read(p, unit.value()->path)) {
      return not_found("no such unit: " + unit_code);
    }
    if (!access::has_role(p, Role::kAdmin, unit.value()->path)) {
      return forbidden("you are not an administrator of " + unit.value()->name);
    }
    return {};
  }));
  MediaInfo info;
  if (!bytes.empty()) {
    auto pcm = pipeline_.decode(bytes);
    if (!pcm) return pcm.error();
    if (pcm->duration_seconds() > 60) {
      return invalid("audio_too_long", "a signature tune may last at most 60 seconds");
    }
    auto encoded = pipeline_.encode_broadcast(pcm.value());
    if (!encoded) return encoded.error();
    auto stored = media_.put(encoded->bytes, "audio/ogg");
    if (!stored) return stored.error();
    info = stored.value();
  }
  const std::string key = which + "_media";
  NGUON_TRY(store_.write([&](Tx& tx) -> Status {
    auto before = tx.unit_setting(unit_code, key);
    if (!before) return before.error();
    NGUON_TRY(tx.set_unit_setting(unit_code, key, info.sha256));
    return audit::append(tx, crypto_,
                         {0, clock_.now(), origin.actor, "unit.signature_tune", "unit:" + unit_code,
                          "{\"" + key + "\":" + json_quote(before.value().value_or("")) + "}",
                          "{\"" + key + "\":" + json_quote(info.sha256) + "}", origin.ip});
  }));
  return info;
}

}  // namespace nguon
