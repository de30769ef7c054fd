// Unicode text rules for everything users type: Vietnamese arrives in NFC or NFD (macOS and some
// phone keyboards send NFD); we store NFC, and search on a folded key without diacritics.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace nguon::text {

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view s);

// NFC form of valid UTF-8 `s`. REQUIRES: is_valid_utf8(s).
std::string to_nfc(std::string_view s);

// Search key: NFC, lower case, diacritics removed, đ→d, runs of whitespace collapsed to one
// space, trimmed. "Thanh Hóa" and "thanh hoa" fold to the same key; "Đông Hải" → "dong hai".
std::string fold(std::string_view s);

// Validates a user-supplied single-line text field: valid UTF-8, no control characters, length
// within [min_chars, max_chars] code points after NFC and trimming. Returns the cleaned NFC text;
// the error names `field`.
Result<std::string> clean_line(std::string_view field, std::string_view s, size_t min_chars,
                               size_t max_chars);

// Validates multi-line text (a body, a description): valid UTF-8, no control characters but
// newlines and tabs, "\r\n" and "\r" become "\n", NFC, trimmed, at most `max_chars` code
// points. The error names `field`.
Result<std::string> clean_multiline(std::string_view field, std::string_view s, size_t max_chars);

// Number of code points in valid UTF-8 `s`.
size_t code_points(std::string_view s);

}  // namespace nguon::text
