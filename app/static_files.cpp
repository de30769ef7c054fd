#include "app/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace nguon::app {
namespace {

std::string content_type_for(const std::string& ext) {
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json") return "application/json";
  if (ext == ".woff2") return "font/woff2";
  return "application/octet-stream";
}

http::HttpResponse error(int status, const std::string& code, const std::string& message) {
  http::HttpResponse r;
  r.status = status;
  r.body = R"({"error":{"code":")" + code + R"(","message":")" + message + "\"}}";
  return r;
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex(s[i + 1]);
      const int lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (plus_is_space && s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

http::HttpResponse StaticFiles::serve(const std::string& raw_path,
                                      const http::HttpRequest& req) const {
  if (req.method != "GET" && req.method != "HEAD") {
    auto r = error(405, "method_not_allowed", "only GET and HEAD are allowed here");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  auto decoded = percent_decode(raw_path, false);
  if (!decoded) return error(400, "invalid_path", "malformed percent-encoding in path");
  const std::string& path = *decoded;
  if (path.empty() || path[0] != '/') return error(400, "invalid_path", "path must start with /");
  // Validate every segment before touching the filesystem.
  std::filesystem::path rel;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string seg = path.substr(start, end - start);
    if (seg == ".." || seg == "." || seg.find('\\') != std::string::npos ||
        seg.find('\0') != std::string::npos) {
      return error(400, "invalid_path", "path may not contain '.', '..', '\\\\' or NUL segments");
    }
    if (!seg.empty()) rel /= seg;
    start = end + 1;
  }
  std::filesystem::path file = std::filesystem::path(root_) / rel;
  std::error_code ec;
  if (rel.empty() || std::filesystem::is_directory(file, ec)) file /= "index.html";
  if (!std::filesystem::is_regular_file(file, ec)) {
    if (rel.has_extension()) return error(404, "not_found", "no such file");
    file = std::filesystem::path(root_) / "index.html";  // client-side route
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return error(404, "not_found", "no such file");
  std::stringstream body;
  body << in.rdbuf();
  http::HttpResponse r;
  r.content_type = content_type_for(file.extension().string());
  r.body = req.method == "HEAD" ? std::string() : body.str();
  // Vite names assets by content hash: cache them for a year; never cache the entry page.
  const bool hashed = file.parent_path().filename() == "assets";
  r.headers.emplace_back("Cache-Control",
                         hashed ? "public, max-age=31536000, immutable" : "no-cache");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (file.extension() == ".html") {
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:" +
                               (tile_origin_.empty() ? "" : " " + tile_origin_) +
                               "; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    r.headers.emplace_back("Referrer-Policy", "same-origin");
  }
  return r;
}

std::string origin_of(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "";
  const std::string_view scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return "";
  const size_t host_end = url.find('/', scheme_end + 3);
  std::string origin(url.substr(0, host_end));
  // Leaflet's subdomain placeholder: "https://{s}.tile.example.org" → "https://*.tile.example.org".
  if (auto s = origin.find("{s}"); s != std::string::npos) origin.replace(s, 3, "*");
  // A CSP source must not carry characters that end or split the directive.
  if (origin.find_first_of(" ;,'\"{}") != std::string::npos) return "";
  return origin;
}

}  // namespace nguon::app
