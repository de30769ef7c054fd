// A bulletin's media: its broadcast audio and its images for electronic boards.
// Audio: the Vietnamese normaliser spells the text out, the
// speech synthesizer speaks it, the owning unit's signature tune (nhạc hiệu) opens and closes
// it, the audio pipeline normalises loudness and encodes Ogg Opus, and the media store keeps
// it by SHA-256. Uploaded or recorded audio goes through the same pipeline.
#pragma once

#include <string>
#include <string_view>

#include "core/bulletins.h"
#include "core/speech.h"
#include "core/vi_normalizer.h"

namespace nguon {

class BulletinMediaService {
 public:
  BulletinMediaService(Store& store, Clock& clock, Crypto& crypto, BulletinService& bulletins,
                       SpeechSynthesizer& synthesizer, AudioPipeline& pipeline, MediaStore& media,
                       const vi::AbbreviationDictionary& dictionary)
      : store_(store),
        clock_(clock),
        crypto_(crypto),
        bulletins_(bulletins),
        synthesizer_(synthesizer),
        pipeline_(pipeline),
        media_(media),
        dictionary_(dictionary) {}

  // The text the synthesizer will speak: title, then summary and body, normalised.
  Result<std::string> spoken_text(const access::Principal& p, std::int64_t id);
  // Synthesizes, encodes and stores the bulletin's audio; sets it on the bulletin (draft or
  // returned only; editor over the owner unit).
  Result<Bulletin> synthesize(const access::Principal& p, std::int64_t id,
                              const VoiceSettings& voice, const RequestOrigin& origin);
  // Uploaded or recorded audio (WAV, FLAC, Ogg, MP3 by content) becomes the bulletin's audio.
  Result<Bulletin> upload(const access::Principal& p, std::int64_t id, std::string_view bytes,
                          const RequestOrigin& origin);
  // Sets the unit's intro or outro tune ("intro" / "outro"); admin over the unit. Empty bytes
  // remove it.
  Result<MediaInfo> set_signature_tune(const access::Principal& p, const std::string& unit_code,
                                       const std::string& which, std::string_view bytes,
                                       const RequestOrigin& origin);

  // Attaches a PNG, JPEG or WebP image (validated by content; at most kMaxImagesPerBulletin).
  Result<Bulletin> attach_image(const access::Principal& p, std::int64_t id, std::string_view bytes,
                                const RequestOrigin& origin);
  Result<Bulletin> remove_image(const access::Principal& p, std::int64_t id,
                                const std::string& media_id, const RequestOrigin& origin);

  static constexpr size_t kMaxImagesPerBulletin = 20;
  static std::string_view voice_name(VoiceVariant v);  // "north", "central", "south"

 private:
  Result<Bulletin> store_audio(const access::Principal& p, std::int64_t id, const PcmAudio& speech,
                               std::string origin_kind, std::string voice,
                               const RequestOrigin& origin);
  // The owner unit's intro/outro tunes (nearest ancestor that has one), decoded.
  Result<std::pair<PcmAudio, PcmAudio>> signature_tunes(const std::string& owner_unit);

  Store& store_;
  Clock& clock_;
  Crypto& crypto_;
  BulletinService& bulletins_;
  SpeechSynthesizer& synthesizer_;
  AudioPipeline& pipeline_;
  MediaStore& media_;
  const vi::AbbreviationDictionary& dictionary_;
};

}  // namespace nguon
