#include "core/vi_normalizer.h"

#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <optional>
#include <utility>
#include <vector>

#include "core/text.h"

namespace nguon::vi {
namespace {

using Cp = utf8proc_int32_t;

// ---------------------------------------------------------------------------------------------
// UTF-8 helpers. Past sanitize(), every string handled here is valid UTF-8.

struct Decoded {
  Cp cp = 0;
  size_t len = 1;
};

Decoded decode(std::string_view s, size_t pos) {
  Cp cp = 0;
  utf8proc_ssize_t n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + pos),
                                        static_cast<utf8proc_ssize_t>(s.size() - pos), &cp);
  if (n <= 0) return {0xFFFD, 1};
  return {cp, static_cast<size_t>(n)};
}

// Start of the code point that ends at `end` (exclusive); `end` > 0.
size_t prev_start(std::string_view s, size_t end) {
  size_t p = end - 1;
  while (p > 0 && (static_cast<unsigned char>(s[p]) & 0xC0U) == 0x80U) --p;
  return p;
}

void append_cp(std::string& out, Cp cp) {
  utf8proc_uint8_t buf[4];
  utf8proc_ssize_t n = utf8proc_encode_char(cp, buf);
  out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
}

// Copy of `s` without the bytes that are not part of well-formed UTF-8.
std::string drop_invalid(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    Cp cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                                          static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
    if (n <= 0 || cp < 0) {
      ++i;
      continue;
    }
    out.append(s.substr(i, static_cast<size_t>(n)));
    i += static_cast<size_t>(n);
  }
  return out;
}

bool is_letter(Cp cp) {
  auto c = utf8proc_category(cp);
  return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_ME;
}
bool is_upper(Cp cp) { return utf8proc_category(cp) == UTF8PROC_CATEGORY_LU; }
bool is_space(Cp cp) {
  return cp == ' ' || cp == '\n' || utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool digit_at(std::string_view s, size_t i) { return i < s.size() && is_digit(s[i]); }

// Number of ASCII digits starting at `i`.
size_t digits_at(std::string_view s, size_t i) {
  size_t n = 0;
  while (i + n < s.size() && is_digit(s[i + n])) ++n;
  return n;
}

int to_int(std::string_view d) {  // d: 1..4 ASCII digits
  int v = 0;
  for (char c : d) v = v * 10 + (c - '0');
  return v;
}

std::string lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    Decoded d = decode(s, i);
    append_cp(out, utf8proc_tolower(d.cp));
    i += d.len;
  }
  return out;
}

// Valid UTF-8, NFC, with CR/LF unified to "\n", tabs to spaces, U+2029 to a paragraph break, and
// control and format characters (zero-width spaces, BOM, soft hyphen) removed: they would
// otherwise split or glue tokens invisibly.
std::string sanitize(std::string_view in) {
  std::string valid = drop_invalid(in);
  std::string out;
  out.reserve(valid.size());
  for (size_t i = 0; i < valid.size();) {
    Decoded d = decode(valid, i);
    std::string_view bytes(valid.data() + i, d.len);
    i += d.len;
    if (d.cp == '\r') {
      out.push_back('\n');
      if (i < valid.size() && valid[i] == '\n') ++i;
    } else if (d.cp == '\n' || d.cp == 0x85) {
      out.push_back('\n');
    } else if (d.cp == '\t' || d.cp == '\v' || d.cp == '\f' || d.cp == 0x2028) {
      out.push_back(' ');
    } else if (d.cp == 0x2029) {
      out.append("\n\n");
    } else if (utf8proc_category(d.cp) == UTF8PROC_CATEGORY_CC ||
               utf8proc_category(d.cp) == UTF8PROC_CATEGORY_CF) {
      continue;
    } else {
      out.append(bytes);
    }
  }
  return text::to_nfc(out);
}

// ---------------------------------------------------------------------------------------------
// Numbers.

constexpr std::array<std::string_view, 10> kDigitWords = {"không", "một", "hai", "ba",  "bốn",
                                                          "năm",   "sáu", "bảy", "tám", "chín"};
constexpr std::uint64_t kBillion = 1000000000ULL;

void append_word(std::string& out, std::string_view w) {
  if (!out.empty()) out.push_back(' ');
  out.append(w);
}

// One group of three digits (0 < g < 1000). `full` voices an empty hundreds place ("không
// trăm"), as every group after the first one read does: 2024 → hai nghìn *không trăm* hai mươi tư.
void group_words(std::string& out, unsigned g, bool full) {
  unsigned h = g / 100;
  unsigned t = g / 10 % 10;
  unsigned u = g % 10;
  bool hundreds = h > 0 || full;
  if (hundreds) {
    append_word(out, kDigitWords[h]);
    append_word(out, "trăm");
  }
  if (t == 0) {
    if (u == 0) return;
    if (hundreds) append_word(out, "linh");
    append_word(out, kDigitWords[u]);
  } else if (t == 1) {
    append_word(out, "mười");
    if (u == 5) {
      append_word(out, "lăm");
    } else if (u > 0) {
      append_word(out, kDigitWords[u]);
    }
  } else {
    append_word(out, kDigitWords[t]);
    append_word(out, "mươi");
    if (u == 1) {
      append_word(out, "mốt");
    } else if (u == 4) {
      append_word(out, "tư");
    } else if (u == 5) {
      append_word(out, "lăm");
    } else if (u > 0) {
      append_word(out, kDigitWords[u]);
    }
  }
}

// 0 < n < 10^9. Zero groups are skipped; the first group read is "full" only when `full`.
void below_billion(std::string& out, std::uint64_t n, bool full) {
  const std::array<std::pair<std::uint64_t, std::string_view>, 3> scales = {
      {{1000000, "triệu"}, {1000, "nghìn"}, {1, ""}}};
  bool printed = false;
  for (const auto& [scale, name] : scales) {
    auto g = static_cast<unsigned>(n / scale % 1000);
    if (g == 0) continue;
    group_words(out, g, printed || full);
    if (!name.empty()) append_word(out, name);
    printed = true;
  }
}

// n > 0. "tỷ" repeats for numbers of 10^18 and more ("một tỷ tỷ").
void cardinal(std::string& out, std::uint64_t n, bool full) {
  if (n >= kBillion) {
    cardinal(out, n / kBillion, full);
    append_word(out, "tỷ");
    if (n % kBillion != 0) below_billion(out, n % kBillion, true);
    return;
  }
  below_billion(out, n, full);
}

std::string cardinal_words(std::uint64_t n) {
  if (n == 0) return "không";
  std::string out;
  cardinal(out, n, false);
  return out;
}

std::string digit_words(std::string_view digits) {
  std::string out;
  for (char c : digits) append_word(out, kDigitWords[static_cast<size_t>(c - '0')]);
  return out;
}

// "tháng tư" (April) and "thứ tư": four after these words is "tư", not "bốn".
std::string month_words(int m) { return m == 4 ? "tư" : cardinal_words(static_cast<unsigned>(m)); }

// Integer digits as written: a leading zero on 2 digits ("05 ngày", official style) reads the
// value; longer zero-led strings are codes read digit by digit, as are ungrouped strings of more
// than 12 digits (account and ID numbers) and anything past 18 digits.
std::string integer_words(std::string_view d, bool grouped) {
  if (d.size() > 2 && d[0] == '0') return digit_words(d);
  if (d.size() > 18 || (!grouped && d.size() > 12)) return digit_words(d);
  std::uint64_t v = 0;
  for (char c : d) v = v * 10 + static_cast<std::uint64_t>(c - '0');
  return cardinal_words(v);
}

// Decimal part after "phẩy": up to two digits without a leading zero read as a number
// ("3,25" → ba phẩy hai mươi lăm), otherwise digit by digit ("0,05" → không phẩy không năm).
std::string fraction_words(std::string_view d) {
  if (d.size() <= 2 && d[0] != '0') return cardinal_words(static_cast<unsigned>(to_int(d)));
  return digit_words(d);
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
bool valid_day(int d, int m, std::optional<int> y) {
  static constexpr std::array<int, 13> kDays = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > kDays[static_cast<size_t>(m)]) return false;
  return !(m == 2 && d == 29 && y && !is_leap(*y));
}

std::optional<int> roman_value(std::string_view s) {
  if (s.empty() || s.size() > 15) return std::nullopt;
  auto value_of = [](char c) {
    switch (c) {
      case 'I':
        return 1;
      case 'V':
        return 5;
      case 'X':
        return 10;
      case 'L':
        return 50;
      case 'C':
        return 100;
      case 'D':
        return 500;
      case 'M':
        return 1000;
      default:
        return 0;
    }
  };
  int total = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    int v = value_of(s[i]);
    if (v == 0) return std::nullopt;
    int next = i + 1 < s.size() ? value_of(s[i + 1]) : 0;
    total += v < next ? -v : v;
  }
  if (total <= 0 || total >= 4000) return std::nullopt;
  // Only the canonical spelling counts ("IIII", "VX", "IC" are not numerals).
  static constexpr std::array<std::pair<int, std::string_view>, 13> kParts = {{{1000, "M"},
                                                                               {900, "CM"},
                                                                               {500, "D"},
                                                                               {400, "CD"},
                                                                               {100, "C"},
                                                                               {90, "XC"},
                                                                               {50, "L"},
                                                                               {40, "XL"},
                                                                               {10, "X"},
                                                                               {9, "IX"},
                                                                               {5, "V"},
                                                                               {4, "IV"},
                                                                               {1, "I"}}};
  std::string canonical;
  int rest = total;
  for (const auto& [v, part] : kParts) {
    while (rest >= v) {
      canonical.append(part);
      rest -= v;
    }
  }
  if (canonical != s) return std::nullopt;
  return total;
}

// ---------------------------------------------------------------------------------------------
// Units. Spellings are written as separate syllables ("ki lô mét", not "kilômét"): espeak-ng's
// vi voice reads a fused loanword such as "kilômét" or "xentimét" with its English rules, and
// the syllables with the Vietnamese ones. "°C" reads "độ xê" (the letter's Vietnamese name).

enum class UnitUse {
  kAnywhere,     // unambiguous symbol: spelled out wherever it stands alone ("giá mỗi m2")
  kAfterNumber,  // only after a number, attached ("5m") or as the next token ("5 m")
  kAttached,     // only glued to a number ("500k", "48h")
};

struct Unit {
  std::string_view symbol;
  std::string_view words;
  UnitUse use;
};

// Longer symbols first: the first match wins.
constexpr Unit kUnits[] = {
    {"km/h", "ki lô mét trên giờ", UnitUse::kAnywhere},
    {"km²", "ki lô mét vuông", UnitUse::kAnywhere},
    {"km2", "ki lô mét vuông", UnitUse::kAnywhere},
    {"cm²", "xen ti mét vuông", UnitUse::kAnywhere},
    {"cm2", "xen ti mét vuông", UnitUse::kAnywhere},
    {"m²", "mét vuông", UnitUse::kAnywhere},
    {"m2", "mét vuông", UnitUse::kAnywhere},
    {"m³", "mét khối", UnitUse::kAnywhere},
    {"m3", "mét khối", UnitUse::kAnywhere},
    {"kWh", "ki lô oát giờ", UnitUse::kAnywhere},
    {"kW", "ki lô oát", UnitUse::kAnywhere},
    {"MW", "mê ga oát", UnitUse::kAfterNumber},
    {"km", "ki lô mét", UnitUse::kAnywhere},
    {"Km", "ki lô mét", UnitUse::kAnywhere},
    {"cm", "xen ti mét", UnitUse::kAnywhere},
    {"mm", "mi li mét", UnitUse::kAnywhere},
    {"kg", "ki lô gam", UnitUse::kAnywhere},
    {"mg", "mi li gam", UnitUse::kAfterNumber},
    {"ml", "mi li lít", UnitUse::kAfterNumber},
    {"ha", "héc ta", UnitUse::kAfterNumber},
    {"°C", "độ xê", UnitUse::kAnywhere},
    {"ºC", "độ xê", UnitUse::kAnywhere},
    {"℃", "độ xê", UnitUse::kAnywhere},
    {"°", "độ", UnitUse::kAfterNumber},
    {"VNĐ", "đồng", UnitUse::kAfterNumber},
    {"VND", "đồng", UnitUse::kAfterNumber},
    {"vnđ", "đồng", UnitUse::kAfterNumber},
    {"đ", "đồng", UnitUse::kAfterNumber},
    {"m", "mét", UnitUse::kAfterNumber},
    {"g", "gam", UnitUse::kAfterNumber},
    {"l", "lít", UnitUse::kAfterNumber},
    {"h", "giờ", UnitUse::kAttached},
    {"k", "nghìn", UnitUse::kAttached},
};

// The unit whose symbol starts at `i` and ends at a token boundary (no letter or digit after).
const Unit* unit_at(std::string_view s, size_t i) {
  for (const Unit& u : kUnits) {
    if (s.substr(i, u.symbol.size()) != u.symbol) continue;
    size_t end = i + u.symbol.size();
    if (end < s.size()) {
      if (is_digit(s[end])) continue;
      if (is_letter(decode(s, end).cp)) continue;
    }
    return &u;
  }
  return nullptr;
}

const Unit* unit_exact(std::string_view s) {
  for (const Unit& u : kUnits) {
    if (u.symbol == s) return &u;
  }
  return nullptr;
}

// Words after which an uppercase Roman numeral is read as a number, even a single "I" or "V"
// ("Quý IV", "khóa XV", "Đại hội XIII", "thế kỷ XXI", "Điều I").
constexpr std::string_view kRomanTriggers[] = {
    "đại hội", "thế kỷ", "thế kỉ", "giai đoạn", "phụ lục", "khóa", "khoá", "quý",
    "kỳ",      "kì",     "lần",    "phần",      "chương",  "mục",  "đợt",  "điều",
    "thứ",     "loại",   "hạng",   "cấp",       "vòng",    "tập",  "bài",  "tiết",
};

// Forms of address: a single capital with a dot after them is a person's initial ("bà H.").
constexpr std::string_view kAddressWords[] = {"ông", "bà",  "anh",  "chị", "em",
                                              "cô",  "chú", "cháu", "bé",  "cụ"};

// ---------------------------------------------------------------------------------------------
// Output: words and pauses of one paragraph.

char pause_of(Cp cp) {
  switch (cp) {
    case '.':
    case ',':
    case ';':
    case ':':
    case '?':
    case '!':
      return static_cast<char>(cp);
    case 0x2026:  // …
      return '.';
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
      return ',';
    default:
      return 0;  // quotes and others: silent
  }
}

int strength(char p) {
  switch (p) {
    case ',':
      return 1;
    case ';':
    case ':':
      return 2;
    case '.':
      return 3;
    default:  // '?', '!' carry the intonation of the sentence
      return 4;
  }
}

class Output {
 public:
  void word(std::string_view w) {
    if (!w.empty()) items_.push_back({std::string(w), false});
  }

  // Space-separated words; trailing sentence punctuation on a word becomes a pause.
  void words(std::string_view ws) {
    size_t i = 0;
    while (i < ws.size()) {
      while (i < ws.size() && static_cast<unsigned char>(ws[i]) <= ' ') ++i;
      size_t end = i;
      while (end < ws.size() && static_cast<unsigned char>(ws[end]) > ' ') ++end;
      std::string_view w = ws.substr(i, end - i);
      size_t cut = w.size();
      while (cut > 0 && pause_of(static_cast<unsigned char>(w[cut - 1])) != 0) --cut;
      word(w.substr(0, cut));
      for (char c : w.substr(cut)) pause(pause_of(static_cast<unsigned char>(c)));
      i = end;
    }
  }

  // Merges with a pause just before it (the stronger one wins); never starts a paragraph.
  void pause(char p) {
    if (p == 0 || items_.empty()) return;
    Item& last = items_.back();
    if (last.is_pause) {
      if (strength(p) > strength(last.text[0])) last.text.assign(1, p);
      return;
    }
    items_.push_back({std::string(1, p), true});
  }

  // True when the last words (no pause after them) are `phrase`, compared in lower case.
  bool after(std::string_view phrase) const {
    std::vector<std::string_view> want;
    for (size_t i = 0; i <= phrase.size();) {
      size_t sp = phrase.find(' ', i);
      if (sp == std::string_view::npos) sp = phrase.size();
      want.push_back(phrase.substr(i, sp - i));
      i = sp + 1;
    }
    if (want.size() > items_.size()) return false;
    size_t base = items_.size() - want.size();
    for (size_t k = 0; k < want.size(); ++k) {
      const Item& it = items_[base + k];
      if (it.is_pause || lower(it.text) != want[k]) return false;
    }
    return true;
  }

  bool last_is_word() const { return !items_.empty() && !items_.back().is_pause; }
  // True when the last item is a word that starts with an uppercase letter.
  bool last_is_capitalized() const {
    return last_is_word() && is_upper(decode(items_.back().text, 0).cp);
  }

  std::string render() const {
    std::string r;
    for (const Item& it : items_) {
      if (!it.is_pause && !r.empty()) r.push_back(' ');
      r.append(it.text);
    }
    return r;
  }

 private:
  struct Item {
    std::string text;
    bool is_pause = false;
  };
  std::vector<Item> items_;
};

// ---------------------------------------------------------------------------------------------
// Tokens: whitespace-separated chunks, each split into opening punctuation, a core, and closing
// punctuation ("(UBND)," → "(", "UBND", "),").

struct Chunk {
  std::string_view lead;
  std::string_view core;
  std::string_view tail;
};

bool is_open(Cp cp) {
  return cp == '(' || cp == '[' || cp == '{' || cp == '"' || cp == '\'' || cp == 0x201C ||
         cp == 0x2018 || cp == 0xAB || cp == 0x201E || cp == 0x2039;
}
bool is_close(Cp cp) {
  return cp == '.' || cp == ',' || cp == ';' || cp == ':' || cp == '?' || cp == '!' || cp == ')' ||
         cp == ']' || cp == '}' || cp == '"' || cp == '\'' || cp == 0x201D || cp == 0x2019 ||
         cp == 0xBB || cp == 0x2026 || cp == 0x203A;
}

std::vector<Chunk> split_chunks(std::string_view s) {
  std::vector<Chunk> chunks;
  size_t i = 0;
  while (i < s.size()) {
    Decoded d = decode(s, i);
    if (is_space(d.cp)) {
      i += d.len;
      continue;
    }
    size_t start = i;
    while (i < s.size()) {
      d = decode(s, i);
      if (is_space(d.cp)) break;
      i += d.len;
    }
    std::string_view w = s.substr(start, i - start);
    size_t b = 0;
    while (b < w.size()) {
      Decoded c = decode(w, b);
      if (!is_open(c.cp)) break;
      b += c.len;
    }
    size_t e = w.size();
    while (e > b) {
      size_t p = prev_start(w, e);
      if (!is_close(decode(w, p).cp)) break;
      e = p;
    }
    chunks.push_back({w.substr(0, b), w.substr(b, e - b), w.substr(e)});
  }
  return chunks;
}

void emit_pauses(Output& out, std::string_view punct) {
  for (size_t i = 0; i < punct.size();) {
    Decoded d = decode(punct, i);
    out.pause(pause_of(d.cp));
    i += d.len;
  }
}

// ---------------------------------------------------------------------------------------------
// The normaliser of one paragraph.

class Paragraph {
 public:
  explicit Paragraph(const AbbreviationDictionary& dict) : dict_(dict) {}

  std::string run(std::string_view text) {
    chunks_ = split_chunks(text);
    for (index_ = 0; index_ < chunks_.size(); ++index_) chunk();
    return out_.render();
  }

 private:
  // What the last thing spelled inside the current core was: units and ranges depend on it.
  enum class Prev { kNone, kNumber, kUnit, kWord, kSymbol };

  void chunk() {
    if (phone()) return;
    const Chunk& c = chunks_[index_];
    emit_pauses(out_, c.lead);
    std::string_view tail = c.tail;
    bool numeric_before = last_numeric_;
    last_numeric_ = false;
    if (!c.core.empty()) {
      if (!tail.empty() && tail[0] == '.' && dot_abbreviation(c.core)) {
        tail.remove_prefix(1);
      } else {
        whole_core(c.core, numeric_before);
      }
    }
    if (!tail.empty()) {
      emit_pauses(out_, tail);
      last_numeric_ = false;
    }
  }

  // "TP." with its dot. A single letter with a dot after a capitalised word or a form of
  // address is a person's initial ("Nguyễn Văn P.", "ông Q."), not an abbreviation ("P." =
  // phường).
  bool dot_abbreviation(std::string_view core) {
    std::string key(core);
    key.push_back('.');
    const std::string* e = dict_.find(key);
    if (e == nullptr) return false;
    if (text::code_points(core) == 1) {
      if (out_.last_is_capitalized()) return false;
      for (std::string_view w : kAddressWords) {
        if (out_.after(w)) return false;
      }
    }
    out_.words(*e);
    return true;
  }

  void whole_core(std::string_view core, bool numeric_before) {
    const Unit* u = unit_exact(core);
    if (u != nullptr && numeric_before && u->use != UnitUse::kAttached) {
      out_.words(u->words);  // "10 km", "500.000 VNĐ"
      return;
    }
    if (const std::string* e = dict_.find(core)) {
      out_.words(*e);
      return;
    }
    if (u != nullptr && u->use == UnitUse::kAnywhere) {
      out_.words(u->words);
      return;
    }
    if (core == "-" || core == "–" || core == "—") {
      // "2021 - 2026" is a range; otherwise a dash is a pause.
      bool range = numeric_before && chunks_[index_].tail.empty() && index_ + 1 < chunks_.size() &&
                   chunks_[index_ + 1].lead.empty() && digit_at(chunks_[index_ + 1].core, 0);
      if (range) {
        out_.word("đến");
      } else {
        out_.pause(',');
      }
      return;
    }
    spell(core);
  }

  // ---- Phone numbers: "0912 345 678", "0912.345.678", "(0237) 3713 985", "+84 912 345 678",
  // "1900 1234". Read digit by digit, with a pause between the groups as written (or 4-3-3 /
  // 4-4-3 when written in one block). Lengths are checked, so a number is never eaten as one.

  // Expected digit count of a phone number starting with `d` (digits so far; "84…" after '+');
  // 0 while undecided, -1 when it cannot be a phone number.
  static int phone_length(std::string_view d, bool plus) {
    if (plus) {
      if (d.size() < 3) return d == "8" || d == "84" ? 0 : -1;
      if (d.substr(0, 2) != "84" || d[2] == '0') return -1;
      return d[2] == '2' ? 12 : 11;
    }
    if (d[0] == '0') {
      if (d.size() < 2) return 0;
      if (d[1] == '0') return -1;
      return d[1] == '2' ? 11 : 10;  // landlines 02xx + 7-8 digits; mobiles 10 digits
    }
    if (d[0] == '1') {
      if (d.size() < 4)
        return std::string_view("1900").starts_with(d) || std::string_view("1800").starts_with(d)
                   ? 0
                   : -1;
      // Hotlines have 8 or 10 digits; phone() also accepts 10.
      return d.substr(0, 4) == "1900" || d.substr(0, 4) == "1800" ? 8 : -1;
    }
    return -1;
  }

  // Splits "0912.345.678" into digit groups; false when `core` is not digits with single
  // '.' or '-' separators. Sets `dashed` when a '-' separates groups.
  static bool digit_groups(std::string_view core, std::vector<std::string>& groups,
                           std::string& all, bool& dashed) {
    if (!digit_at(core, 0)) return false;
    size_t i = 0;
    while (i < core.size()) {
      size_t n = digits_at(core, i);
      if (n == 0) return false;
      groups.emplace_back(core.substr(i, n));
      all.append(core.substr(i, n));
      i += n;
      if (i == core.size()) break;
      if (core[i] != '.' && core[i] != '-') return false;
      dashed = dashed || core[i] == '-';
      ++i;
      if (i == core.size()) return false;
    }
    return true;
  }

  bool phone() {
    const Chunk& first = chunks_[index_];
    if (!(first.lead.empty() || first.lead == "(")) return false;
    bool plus = !first.core.empty() && first.core[0] == '+';
    std::vector<std::string> groups;
    std::string all;
    bool dashed = false;
    for (size_t j = index_; j < chunks_.size() && j < index_ + 5; ++j) {
      const Chunk& c = chunks_[j];
      if (j > index_ && !c.lead.empty()) return false;
      std::string_view core = c.core;
      if (j == index_ && plus) core.remove_prefix(1);
      if (!digit_groups(core, groups, all, dashed)) return false;
      int want = phone_length(all, plus);
      if (want < 0) return false;
      bool hotline = !plus && all[0] == '1';
      if (hotline && dashed) return false;  // "1900-1945" is a range of years
      bool done =
          want > 0 && (static_cast<size_t>(want) == all.size() || (hotline && all.size() == 10));
      if (done) {
        emit_phone(groups, plus);
        index_ = j;
        emit_pauses(out_, c.tail);
        last_numeric_ = false;
        return true;
      }
      if (want > 0 && all.size() > static_cast<size_t>(want) && !(hotline && all.size() < 10)) {
        return false;
      }
      bool closes_area_code = j == index_ && first.lead == "(" && c.tail == ")";
      if (!c.tail.empty() && !closes_area_code) return false;
    }
    return false;
  }

  // Splits one written block into the usual reading groups.
  static std::vector<std::string> regroup(const std::string& g) {
    std::vector<size_t> sizes;
    switch (g.size()) {
      case 8:
        sizes = {4, 4};
        break;
      case 9:
        sizes = {3, 3, 3};
        break;
      case 10:
        sizes = g[0] == '0' || g[0] == '1' ? std::vector<size_t>{4, 3, 3}
                                           : std::vector<size_t>{3, 4, 3};
        break;
      case 11:
        sizes = {4, 4, 3};
        break;
      default:
        return {g};
    }
    std::vector<std::string> out;
    size_t pos = 0;
    for (size_t n : sizes) {
      out.push_back(g.substr(pos, n));
      pos += n;
    }
    return out;
  }

  void emit_phone(std::vector<std::string> groups, bool plus) {
    std::vector<std::string> read;
    if (plus) {
      out_.word("cộng");
      read.emplace_back("84");
      if (groups[0].size() > 2) {
        groups[0] = groups[0].substr(2);
      } else {
        groups.erase(groups.begin());
      }
    }
    for (const std::string& g : groups) {
      if (g.size() >= 8) {
        for (std::string& part : regroup(g)) read.push_back(std::move(part));
      } else {
        read.push_back(g);
      }
    }
    for (size_t k = 0; k < read.size(); ++k) {
      if (k > 0) out_.pause(',');
      out_.words(digit_words(read[k]));
    }
  }

  // ---- Inside one core.

  bool after_any_trigger() const {
    for (std::string_view t : kRomanTriggers) {
      if (out_.after(t)) return true;
    }
    return false;
  }

  void spell(std::string_view s) {
    Prev prev = Prev::kNone;
    size_t i = 0;
    while (i < s.size()) {
      char c = s[i];
      if (is_digit(c)) {
        i = number(s, i, prev);
        continue;
      }
      Decoded d = decode(s, i);
      if ((c == '-' || d.cp == 0x2212) && i == 0 && digit_at(s, d.len)) {
        out_.word("âm");
        i += d.len;
        prev = Prev::kSymbol;
        continue;
      }
      if (c == '$' && digit_at(s, 1)) {  // "$100" → một trăm đô la
        i = number(s, i + 1, prev);
        out_.words("đô la");
        prev = Prev::kUnit;
        continue;
      }
      if (is_letter(d.cp)) {
        i = letters(s, i, prev);
        continue;
      }
      i = symbol(s, i, d, prev);
    }
    last_numeric_ = prev == Prev::kNumber;
  }

  // A number-like run at `i`: time, date, month/year, or a number with its decimal part,
  // percent sign or unit. Returns the position after it.
  size_t number(std::string_view s, size_t i, Prev& prev) {
    // Dates and times start a run: not after a digit or a separator ("1.5", "2/28/6").
    bool run_start =
        i == 0 || std::string_view("0123456789.,:/").find(s[i - 1]) == std::string_view::npos;
    if (run_start) {
      size_t end = 0;
      if ((end = time(s, i)) != 0 || (end = date(s, i)) != 0 || (end = month_year(s, i)) != 0) {
        prev = Prev::kNumber;
        return end;
      }
    }
    size_t j = i;
    size_t n = digits_at(s, j);
    std::string int_digits(s.substr(j, n));
    j += n;
    bool grouped = false;
    if (n <= 3) {
      // "." groups thousands when exactly three digits follow it (1.500.000).
      while (j < s.size() && s[j] == '.' && digits_at(s, j + 1) == 3) {
        int_digits.append(s.substr(j + 1, 3));
        j += 4;
        grouped = true;
      }
      if (!grouped) {
        // An English-style "1,500,000" (two or more ",ddd" groups) cannot be a decimal.
        size_t k = j;
        std::string more;
        int count = 0;
        while (k < s.size() && s[k] == ',' && digits_at(s, k + 1) == 3) {
          more.append(s.substr(k + 1, 3));
          k += 4;
          ++count;
        }
        if (count >= 2) {
          int_digits += more;
          j = k;
          grouped = true;
        }
      }
    }
    std::string_view frac;
    if (j < s.size() && s[j] == ',' && digit_at(s, j + 1)) {
      size_t f = digits_at(s, j + 1);
      frac = s.substr(j + 1, f);
      j += 1 + f;
    }
    bool plain = !grouped && frac.empty() && int_digits.size() <= 2;
    int value = plain ? to_int(int_digits) : -1;
    if (plain && i == 0 && out_.after("thứ") && (value == 1 || value == 4)) {
      out_.word(value == 1 ? "nhất" : "tư");  // thứ nhất, thứ tư
    } else if (plain && i == 0 && out_.after("tháng") && value >= 1 && value <= 12) {
      out_.words(month_words(value));
    } else {
      out_.words(integer_words(int_digits, grouped));
    }
    if (!frac.empty()) {
      out_.word("phẩy");
      out_.words(fraction_words(frac));
    }
    prev = Prev::kNumber;
    if (j < s.size() && s[j] == '%') {
      out_.words("phần trăm");
      prev = Prev::kUnit;
      return j + 1;
    }
    if (j < s.size()) {
      if (const Unit* u = unit_at(s, j)) {
        out_.words(u->words);
        prev = Prev::kUnit;
        return j + u->symbol.size();
      }
    }
    return j;
  }

  // True when nothing that continues a number follows `end`.
  static bool number_ends(std::string_view s, size_t end) {
    if (end >= s.size()) return true;
    char c = s[end];
    if (is_digit(c) || c == '/' || c == ':') return false;
    if ((c == '.' || c == ',' || c == '-') && digit_at(s, end + 1)) return false;
    return true;
  }

  // "17h30", "17h", "7h05", "17:30", "17:30:15".
  size_t time(std::string_view s, size_t i) {
    size_t hn = digits_at(s, i);
    if (hn < 1 || hn > 2) return 0;
    int h = to_int(s.substr(i, hn));
    size_t j = i + hn;
    if (j < s.size() && s[j] == 'h') {
      ++j;
      size_t mn = digits_at(s, j);
      if (mn > 2 || h > 24) return 0;
      int m = mn > 0 ? to_int(s.substr(j, mn)) : 0;
      j += mn;
      if (mn > 0 && j < s.size() && s[j] == 'p') ++j;  // "17h30p"
      if (m > 59 || (j < s.size() && (is_digit(s[j]) || is_letter(decode(s, j).cp)))) return 0;
      emit_time(h, m, -1);
      return j;
    }
    if (j < s.size() && s[j] == ':' && digits_at(s, j + 1) == 2) {
      int m = to_int(s.substr(j + 1, 2));
      j += 3;
      int sec = -1;
      if (j < s.size() && s[j] == ':' && digits_at(s, j + 1) == 2) {
        sec = to_int(s.substr(j + 1, 2));
        j += 3;
      }
      if (h > 23 || m > 59 || sec > 59 || !number_ends(s, j)) return 0;
      emit_time(h, m, sec);
      return j;
    }
    return 0;
  }

  void emit_time(int h, int m, int sec) {
    out_.words(cardinal_words(static_cast<unsigned>(h)));
    out_.word("giờ");
    if (m > 0 || sec > 0) {
      out_.words(cardinal_words(static_cast<unsigned>(m)));
      out_.word("phút");
    }
    if (sec > 0) {
      out_.words(cardinal_words(static_cast<unsigned>(sec)));
      out_.word("giây");
    }
  }

  // "28/6/2024", "28-6-2024", "28.6.2024", "28/6", "28-30/6[/2024]". Only '/' dates may omit
  // the year ("5-7" is a range). An impossible day or month is no date. Not after "số":
  // "số 12/2024" is a document number.
  size_t date(std::string_view s, size_t i) {
    if (out_.after("số")) return 0;
    size_t j = i;
    size_t dn = digits_at(s, j);
    if (dn < 1 || dn > 2) return 0;
    int d1 = to_int(s.substr(j, dn));
    j += dn;
    int d2 = -1;
    if (j < s.size() && s[j] == '-' && digits_at(s, j + 1) >= 1 && digits_at(s, j + 1) <= 2 &&
        j + 1 + digits_at(s, j + 1) < s.size() && s[j + 1 + digits_at(s, j + 1)] == '/') {
      size_t n2 = digits_at(s, j + 1);
      d2 = to_int(s.substr(j + 1, n2));
      j += 1 + n2;
    }
    if (j >= s.size() || (s[j] != '/' && s[j] != '-' && s[j] != '.')) return 0;
    char sep = s[j];
    size_t mn = digits_at(s, j + 1);
    if (mn < 1 || mn > 2) return 0;
    int m = to_int(s.substr(j + 1, mn));
    j += 1 + mn;
    std::optional<int> y;
    if (j < s.size() && s[j] == sep && digits_at(s, j + 1) == 4) {
      y = to_int(s.substr(j + 1, 4));
      j += 5;
    }
    if (sep != '/' && !y) return 0;
    if (!number_ends(s, j)) return 0;
    if (!valid_day(d1, m, y)) return 0;
    if (d2 >= 0 && (d2 <= d1 || !valid_day(d2, m, y))) return 0;
    if (!out_.after("ngày")) out_.word("ngày");
    out_.words(cardinal_words(static_cast<unsigned>(d1)));
    if (d2 >= 0) {
      out_.word("đến");
      out_.words(cardinal_words(static_cast<unsigned>(d2)));
    }
    out_.word("tháng");
    out_.words(month_words(m));
    if (y) {
      out_.word("năm");
      out_.words(cardinal_words(static_cast<unsigned>(*y)));
    }
    return j;
  }

  // "6/2024" → tháng sáu năm hai nghìn không trăm hai mươi tư; after "tháng" or "quý" the
  // word is not repeated ("quý 2/2024" → quý hai năm …), and "-" may separate the year
  // ("tháng 6-2024"; elsewhere "6-2024" is a range).
  size_t month_year(std::string_view s, size_t i) {
    if (out_.after("số")) return 0;
    size_t mn = digits_at(s, i);
    if (mn < 1 || mn > 2) return 0;
    size_t j = i + mn;
    bool period_word = out_.after("tháng") || out_.after("quý");
    if (j >= s.size() || !(s[j] == '/' || (s[j] == '-' && period_word)) ||
        digits_at(s, j + 1) != 4) {
      return 0;
    }
    int m = to_int(s.substr(i, mn));
    int y = to_int(s.substr(j + 1, 4));
    j += 5;
    if (!number_ends(s, j) || y < 1000) return 0;
    if (out_.after("quý")) {
      if (m < 1 || m > 4) return 0;
      out_.words(cardinal_words(static_cast<unsigned>(m)));
    } else {
      if (m < 1 || m > 12) return 0;
      if (!out_.after("tháng")) out_.word("tháng");
      out_.words(month_words(m));
    }
    out_.word("năm");
    out_.words(cardinal_words(static_cast<unsigned>(y)));
    return j;
  }

  // A run of letters (with apostrophes inside: "H'Mông"): an abbreviation, a unit after a
  // number, a Roman numeral, or a word kept as written.
  size_t letters(std::string_view s, size_t i, Prev& prev) {
    size_t end = i;
    while (end < s.size()) {
      Decoded d = decode(s, end);
      if (is_letter(d.cp)) {
        end += d.len;
        continue;
      }
      if ((d.cp == '\'' || d.cp == 0x2019) && end > i && end + d.len < s.size() &&
          is_letter(decode(s, end + d.len).cp)) {
        end += d.len;
        continue;
      }
      break;
    }
    std::string_view run = s.substr(i, end - i);
    prev = Prev::kWord;
    if (end < s.size() && s[end] == '.') {  // "TP.Vinh", "Q.1"
      std::string key(run);
      key.push_back('.');
      if (const std::string* e = dict_.find(key)) {
        out_.words(*e);
        return end + 1;
      }
    }
    if (const std::string* e = dict_.find(run)) {
      out_.words(*e);
      return end;
    }
    if (i == 0 && (end == s.size() || s[end] == '/')) {
      if (std::optional<int> v = roman(run)) {
        if (out_.after("thứ") && (*v == 1 || *v == 4)) {
          out_.word(*v == 1 ? "nhất" : "tư");
        } else {
          out_.words(cardinal_words(static_cast<unsigned>(*v)));
        }
        prev = Prev::kNumber;
        // "Quý II/2024" → quý hai năm hai nghìn không trăm hai mươi tư.
        if (end < s.size() && digits_at(s, end + 1) == 4 && number_ends(s, end + 5)) {
          out_.word("năm");
          out_.words(cardinal_words(static_cast<unsigned>(to_int(s.substr(end + 1, 4)))));
          return end + 5;
        }
        return end;
      }
    }
    out_.word(run);
    return end;
  }

  // The value of `run` when it should be read as a Roman numeral: after a trigger word any
  // canonical numeral (single letters only I, V, X: "mục C" is a letter); without one, only
  // numerals of two or more I/V/X letters after a word, not followed by an all-caps word
  // ("Giáo hoàng Phaolô II" → hai; but "XI MĂNG" stays).
  std::optional<int> roman(std::string_view run) {
    std::optional<int> v = roman_value(run);
    if (!v) return std::nullopt;
    if (after_any_trigger()) {
      if (run.size() == 1 && run != "I" && run != "V" && run != "X") return std::nullopt;
      return v;
    }
    if (run.size() < 2 || run.find_first_not_of("IVX") != std::string_view::npos) {
      return std::nullopt;
    }
    if (!out_.last_is_word()) return std::nullopt;
    if (index_ + 1 < chunks_.size() && chunks_[index_].tail.empty()) {
      std::string_view next = chunks_[index_ + 1].core;
      if (!next.empty() && is_upper(decode(next, 0).cp)) return std::nullopt;
    }
    return v;
  }

  size_t symbol(std::string_view s, size_t i, Decoded d, Prev& prev) {
    size_t next = i + d.len;
    Prev was = prev;
    prev = Prev::kSymbol;
    switch (d.cp) {
      case '&':
        out_.word("và");
        break;
      case '%':
        out_.words("phần trăm");
        prev = Prev::kUnit;
        break;
      case '+':
        out_.word("cộng");
        break;
      case '=':
        out_.word("bằng");
        break;
      case '@':
        out_.words("a còng");
        break;
      case '~':
        if (digit_at(s, next)) out_.word("khoảng");
        break;
      case '/': {
        // "km/giờ", "đồng/kg", "32/13": "trên"; "và/hoặc": a plain word break.
        const Unit* u = next < s.size() ? unit_at(s, next) : nullptr;
        if (u != nullptr && u->use != UnitUse::kAttached) {
          out_.word("trên");
          out_.words(u->words);
          prev = Prev::kUnit;
          return next + u->symbol.size();
        }
        if (digit_at(s, next) || was == Prev::kNumber || was == Prev::kUnit) out_.word("trên");
        break;
      }
      case '-':
      case 0x2013:  // –
      case 0x2014:  // —
      case 0x2212:  // −
        // "5-7 ngày" → năm đến bảy ngày; "Covid-19", "Rịa-Vũng": a word break.
        if ((was == Prev::kNumber || was == Prev::kUnit) && digit_at(s, next)) {
          out_.word("đến");
        }
        break;
      case '.': {
        // "1.5" (section numbers) and "nguon.gov.vn" read the dot; "xong.Sau" is a sentence end.
        Cp after = next < s.size() ? decode(s, next).cp : 0;
        if ((was == Prev::kNumber && digit_at(s, next)) ||
            (was == Prev::kWord && after != 0 &&
             (is_digit(static_cast<char>(after)) || (is_letter(after) && !is_upper(after))))) {
          out_.word("chấm");
        } else if (is_letter(after)) {
          out_.pause('.');
        }
        break;
      }
      case 0x00B0:  // ° without a number before it
        out_.word("độ");
        break;
      default:
        out_.pause(pause_of(d.cp));  // ", ; : ? ! ( ) …" inside a token; other symbols: silent
        break;
    }
    return next;
  }

  const AbbreviationDictionary& dict_;
  std::vector<Chunk> chunks_;
  size_t index_ = 0;
  Output out_;
  bool last_numeric_ = false;  // the previous chunk ended with a bare number ("10" in "10 km")
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Result<AbbreviationDictionary> AbbreviationDictionary::parse(std::string_view tsv) {
  AbbreviationDictionary dict;
  if (tsv.starts_with("\xEF\xBB\xBF")) tsv.remove_prefix(3);
  std::map<std::string, size_t, std::less<>> first_line;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= tsv.size()) {
    size_t nl = tsv.find('\n', pos);
    std::string_view line =
        tsv.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? tsv.size() + 1 : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto error = [&](const std::string& what) {
      return invalid("invalid_dictionary", "line " + std::to_string(line_no) + ": " + what);
    };
    if (!text::is_valid_utf8(line)) return error("not valid UTF-8");
    std::string_view trimmed = trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos) return error("expected ABBREVIATION<TAB>expansion");
    std::string_view key = trim(line.substr(0, tab));
    std::string_view expansion = trim(line.substr(tab + 1));
    if (key.empty()) return error("empty abbreviation");
    if (expansion.empty()) return error("empty expansion");
    if (expansion.find('\t') != std::string_view::npos) return error("more than one tab");
    for (size_t i = 0; i < key.size();) {
      Decoded d = decode(key, i);
      if (is_space(d.cp) || utf8proc_category(d.cp) == UTF8PROC_CATEGORY_CC) {
        return error("abbreviation contains a space");
      }
      i += d.len;
    }
    std::string nfc_key = text::to_nfc(key);
    auto [it, inserted] = first_line.emplace(nfc_key, line_no);
    if (!inserted) {
      return error("duplicate abbreviation \"" + nfc_key + "\" (first on line " +
                   std::to_string(it->second) + ")");
    }
    dict.add(std::move(nfc_key), std::string(expansion));
  }
  return dict;
}

void AbbreviationDictionary::add(std::string_view abbreviation, std::string_view expansion) {
  std::string key = text::to_nfc(drop_invalid(abbreviation));
  if (key.empty()) return;
  max_key_bytes_ = std::max(max_key_bytes_, key.size());
  entries_[std::move(key)] = text::to_nfc(drop_invalid(expansion));
}

const std::string* AbbreviationDictionary::find(std::string_view token) const {
  if (token.size() > max_key_bytes_) return nullptr;
  auto it = entries_.find(token);
  return it == entries_.end() ? nullptr : &it->second;
}

std::string number_to_words(std::int64_t n) {
  if (n >= 0) return cardinal_words(static_cast<std::uint64_t>(n));
  // -(n + 1) + 1 avoids overflowing on INT64_MIN.
  std::uint64_t magnitude = static_cast<std::uint64_t>(-(n + 1)) + 1;
  return "âm " + cardinal_words(magnitude);
}

std::string normalize(std::string_view text, const AbbreviationDictionary& dict) {
  std::string clean = sanitize(text);
  std::string result;
  // Paragraphs are separated by lines holding only whitespace.
  size_t para_start = std::string::npos;
  size_t para_end = 0;
  auto flush = [&]() {
    if (para_start == std::string::npos) return;
    Paragraph p(dict);
    std::string spoken = p.run(std::string_view(clean).substr(para_start, para_end - para_start));
    if (!spoken.empty()) {
      if (!result.empty()) result.append("\n\n");
      result.append(spoken);
    }
    para_start = std::string::npos;
  };
  size_t pos = 0;
  while (pos <= clean.size()) {
    size_t nl = clean.find('\n', pos);
    size_t end = nl == std::string::npos ? clean.size() : nl;
    std::string_view line(clean.data() + pos, end - pos);
    bool blank = true;
    for (size_t i = 0; i < line.size() && blank;) {
      Decoded d = decode(line, i);
      blank = is_space(d.cp);
      i += d.len;
    }
    if (blank) {
      flush();
    } else {
      if (para_start == std::string::npos) para_start = pos;
      para_end = end;
    }
    pos = end + 1;
  }
  flush();
  return result;
}

}  // namespace nguon::vi
