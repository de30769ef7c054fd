#include "core/text.h"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>

namespace nguon::text {
namespace {

struct FreeDeleter {
  void operator()(utf8proc_uint8_t* p) const {
    std::free(p);
  }  // NOLINT(cppcoreguidelines-no-malloc)
};

std::string map_utf8(std::string_view s, int options) {
  utf8proc_uint8_t* out = nullptr;
  const auto* in = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t n = utf8proc_map(in, static_cast<utf8proc_ssize_t>(s.size()), &out,
                                    static_cast<utf8proc_option_t>(options));
  std::unique_ptr<utf8proc_uint8_t, FreeDeleter> owned(out);
  if (n < 0) return {};
  return {reinterpret_cast<const char*>(out), static_cast<size_t>(n)};
}

bool is_space(utf8proc_int32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xA0 ||
         utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  auto left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0 || cp < 0) return false;
    p += n;
    left -= n;
  }
  return true;
}

std::string to_nfc(std::string_view s) { return map_utf8(s, UTF8PROC_STABLE | UTF8PROC_COMPOSE); }

size_t code_points(std::string_view s) {
  size_t count = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0U) != 0x80U) ++count;
  }
  return count;
}

std::string fold(std::string_view s) {
  // Decompose, drop combining marks, case-fold; then map đ/Đ (which have no decomposition).
  std::string stripped =
      map_utf8(s, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK | UTF8PROC_CASEFOLD);
  std::string out;
  out.reserve(stripped.size());
  bool pending_space = false;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(stripped.data());
  auto left = static_cast<utf8proc_ssize_t>(stripped.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n <= 0) break;
    p += n;
    left -= n;
    if (is_space(cp)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    if (cp == 0x0111 || cp == 0x0110) cp = 'd';
    utf8proc_uint8_t buf[4];
    utf8proc_ssize_t len = utf8proc_encode_char(cp, buf);
    out.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(len));
  }
  return out;
}

Result<std::string> clean_line(std::string_view field, std::string_view s, size_t min_chars,
                               size_t max_chars) {
  const std::string f(field);
  if (!is_valid_utf8(s)) return invalid("invalid_utf8", f + ": not valid UTF-8");
  std::string nfc = to_nfc(s);
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(nfc.data());
  auto left = static_cast<utf8proc_ssize_t>(nfc.size());
  while (left > 0) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (utf8proc_category(cp) == UTF8PROC_CATEGORY_CC) {
      return invalid("invalid_field", f + ": control characters are not allowed");
    }
    p += n;
    left -= n;
  }
  size_t begin = nfc.find_first_not_of(' ');
  size_t end = nfc.find_last_not_of(' ');
  nfc = begin == std::string::npos ? std::string() : nfc.substr(begin, end - begin + 1);
  size_t len = code_points(nfc);
  if (len < min_chars) {
    return invalid("invalid_field",
                   f + ": must be at least " + std::to_string(min_chars) + " characters");
  }
  if (len > max_chars) {
    return invalid("invalid_field",
                   f + ": must be at most " + std::to_string(max_chars) + " characters");
  }
  return nfc;
}

Result<std::string> clean_multiline(std::string_view field, std::string_view s, size_t max_chars) {
  const std::string f(field);
  if (!is_valid_utf8(s)) return invalid("invalid_utf8", f + ": not valid UTF-8");
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      if (i + 1 < s.size() && s[i + 1] == '\n') continue;
      out.push_back('\n');
    } else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      return invalid("invalid_field", f + ": control characters are not allowed");
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out = to_nfc(out);
  const size_t first = out.find_first_not_of(" \n\t");
  const size_t last = out.find_last_not_of(" \n\t");
  out = first == std::string::npos ? std::string() : out.substr(first, last - first + 1);
  if (code_points(out) > max_chars) {
    return invalid("invalid_field",
                   f + ": must be at most " + std::to_string(max_chars) + " characters");
  }
  return out;
}

}  // namespace nguon::text
