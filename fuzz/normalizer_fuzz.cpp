// Fuzzes the Vietnamese text normaliser with arbitrary bytes. Beyond "no crash, no sanitizer
// report", it checks the output contract of normalize(): valid UTF-8; words separated by single
// spaces; no space before a pause or at either end; line breaks only as "\n\n" paragraph breaks;
// NFD input spelled exactly like the original. The same bytes also go through the dictionary
// parser.
#include <utf8proc.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "core/text.h"
#include "core/vi_normalizer.h"

namespace {

using nguon::vi::AbbreviationDictionary;

// A small dictionary with every kind of key: plain, with a dot, glued ("TP.HCM"), with '&' and
// '-', lower case, single letter with a dot.
constexpr std::string_view kDictionary =
    "UBND\tỦy ban nhân dân\n"
    "HĐND\tHội đồng nhân dân\n"
    "TP.\tthành phố\n"
    "TP.HCM\tThành phố Hồ Chí Minh\n"
    "TT&TT\tThông tin và Truyền thông\n"
    "KT-XH\tkinh tế, xã hội\n"
    "Q.\tquận\n"
    "P.\tphường\n"
    "v.v.\tvân vân\n"
    "đ/c\tđồng chí\n"
    "USD\tđô la Mỹ\n";

const AbbreviationDictionary& dictionary() {
  static const AbbreviationDictionary dict = [] {
    auto parsed = AbbreviationDictionary::parse(kDictionary);
    if (!parsed) std::abort();
    return std::move(parsed).value();
  }();
  return dict;
}

[[noreturn]] void fail(const char* what, std::string_view in, std::string_view out) {
  std::fprintf(stderr, "normalizer_fuzz: %s\ninput (%zu bytes), output: [%.*s]\n", what, in.size(),
               static_cast<int>(out.size()), out.data());
  std::abort();
}

void check_shape(std::string_view in, std::string_view out) {
  if (!nguon::text::is_valid_utf8(out)) fail("output is not valid UTF-8", in, out);
  if (out.empty()) return;
  if (out.front() == ' ' || out.back() == ' ' || out.front() == '\n' || out.back() == '\n') {
    fail("output starts or ends with whitespace", in, out);
  }
  auto at = [&](size_t i) { return i < out.size() ? out[i] : '\0'; };
  for (size_t i = 0; i < out.size(); ++i) {
    char c = out[i];
    if (c == ' ' && (at(i + 1) == ' ' || at(i + 1) == '\n')) fail("double space", in, out);
    if (c == ' ' && std::string_view(".,;:?!").find(at(i + 1)) != std::string_view::npos) {
      fail("space before a pause", in, out);
    }
    if (c == '\n') {
      // Exactly "\n\n" between two paragraphs (the first character is not '\n', see above).
      if (at(i + 1) != '\n' || at(i + 2) == '\n' || at(i + 2) == ' ' || at(i + 2) == '\0' ||
          out[i - 1] == ' ') {
        fail("line break other than a paragraph break", in, out);
      }
      ++i;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      fail("control character in output", in, out);
    }
  }
}

std::string to_nfd(std::string_view s) {
  utf8proc_uint8_t* out = nullptr;
  utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()),
      &out, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE));
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(out, &std::free);
  if (n < 0) return std::string(s);
  return {reinterpret_cast<const char*>(out), static_cast<size_t>(n)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);

  auto parsed = AbbreviationDictionary::parse(in);
  if (parsed) {
    // Whatever parsed must be usable.
    (void)nguon::vi::normalize(in, *parsed);
  }

  std::string out = nguon::vi::normalize(in, dictionary());
  check_shape(in, out);

  if (nguon::text::is_valid_utf8(in)) {
    if (nguon::vi::normalize(to_nfd(in), dictionary()) != out) {
      fail("NFD input spelled differently", in, out);
    }
  }
  return 0;
}
