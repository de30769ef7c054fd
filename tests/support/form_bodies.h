// Request bodies as a browser or an Open311 client sends them: application/x-www-form-urlencoded
// and multipart/form-data. For tests of the citizen-facing edges.
#pragma once

#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nguon::testing {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// Percent-encodes everything but ASCII letters, digits and "-_.~" (space becomes %20).
inline std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

inline std::string urlencoded(const FormFields& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += url_encode(k) + "=" + url_encode(v);
  }
  return out;
}

struct FilePart {
  std::string name;
  std::string filename;
  std::string content_type;
  std::string data;
};

// The fields, then the files, each part with CRLF line ends, closed by "--boundary--".
inline std::string multipart(const FormFields& fields, const std::vector<FilePart>& files,
                             std::string_view boundary) {
  const std::string dash = "--" + std::string(boundary);
  std::string out;
  for (const auto& [k, v] : fields) {
    out += dash + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n";
  }
  for (const FilePart& f : files) {
    out += dash + "\r\nContent-Disposition: form-data; name=\"" + f.name + "\"; filename=\"" +
           f.filename + "\"\r\nContent-Type: " + f.content_type + "\r\n\r\n" + f.data + "\r\n";
  }
  out += dash + "--\r\n";
  return out;
}

}  // namespace nguon::testing
