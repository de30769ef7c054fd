// Input rules shared by every speech synthesizer adapter, so all engines refuse the same texts.
#pragma once

#include <cstddef>
#include <string_view>

namespace nguon::tts {

// True when valid UTF-8 `text` holds a code point other than white space (ASCII, no-break
// and typographic spaces, zero-width space, BOM): something an engine would actually say.
inline bool has_speakable(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    char32_t cp = length == 1 ? lead : lead & (0x7F >> length);
    for (std::size_t k = 1; k < length && i + k < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    const bool space = cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xA0 ||
                       (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 ||
                       cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
    if (!space) return true;
    i += length;
  }
  return false;
}

}  // namespace nguon::tts
