// Vietnamese text normalisation before speech synthesis: numbers, ordinals, dates, times, phone
// numbers, percentages, money, units, Roman numerals and abbreviations are spelled out in words,
// in the Northern standard reading that espeak-ng's "vi" voice speaks. Pure computation: the
// abbreviation dictionary arrives as text from the caller (data/vi-abbreviations.tsv).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/result.h"

namespace nguon::vi {

// Abbreviation → expansion, matched on whole tokens, case-sensitively ("TP." and "Tp." are
// separate entries). Keys and expansions are stored in NFC, so NFD dictionary files still match.
class AbbreviationDictionary {
 public:
  // Parses UTF-8 TSV: one "ABBR<TAB>expansion" per line; blank lines and lines starting with
  // '#' are skipped; a leading BOM and CR line endings are accepted. Keys may not contain
  // whitespace. Errors (kInvalid, code "invalid_dictionary") name the 1-based line number: a
  // line without a tab, an empty key or expansion, a key with spaces, a duplicate key, invalid
  // UTF-8.
  static Result<AbbreviationDictionary> parse(std::string_view tsv);

  // Adds or replaces an entry (invalid UTF-8 bytes are dropped; empty keys are ignored).
  void add(std::string_view abbreviation, std::string_view expansion);
  // Exact, case-sensitive match; null when absent. The pointer is valid until the next add().
  const std::string* find(std::string_view token) const;
  size_t size() const { return entries_.size(); }
  // Length in bytes of the longest key: bounds prefix look-ups in the normaliser.
  size_t max_key_bytes() const { return max_key_bytes_; }

 private:
  std::map<std::string, std::string, std::less<>> entries_;
  size_t max_key_bytes_ = 0;
};

// Spells out `text` for a Vietnamese speech engine. Invalid UTF-8 bytes are dropped (never a
// crash); the input is NFC-normalised first, so NFD input gives the same result. Words are
// separated by single spaces; sentence punctuation (. , ; : ? !) is kept, attached to the
// preceding word, for prosody; paragraphs (separated by blank lines) are kept and joined by
// "\n\n" so the synthesizer can pause there; single line breaks become spaces.
// Linear in the input size.
std::string normalize(std::string_view text, const AbbreviationDictionary& dict);

// Cardinal reading: 21 → "hai mươi mốt", 105 → "một trăm linh năm", 2024 → "hai nghìn không
// trăm hai mươi tư", 10^18 → "một tỷ tỷ". Negative numbers start with "âm".
std::string number_to_words(std::int64_t n);

}  // namespace nguon::vi
