// Serves the built web console from a directory. Paths are percent-decoded and checked
// segment by segment: "..", empty segments, backslashes and NUL are refused, so nothing
// outside the root can be named. Unknown paths without a file extension get index.html (the
// console routes on the client).
#pragma once

#include <optional>
#include <string>

#include "adapters/http/message.h"

namespace nguon::app {

class StaticFiles {
 public:
  // `tile_origin`: the scheme://host[:port] of the map's tile server ("" for none), the one
  // foreign origin the console's Content-Security-Policy lets images come from.
  explicit StaticFiles(std::string root, std::string tile_origin = "")
      : root_(std::move(root)), tile_origin_(std::move(tile_origin)) {}
  bool enabled() const { return !root_.empty(); }
  // `path` is the request path without the query string.
  http::HttpResponse serve(const std::string& path, const http::HttpRequest& req) const;

 private:
  std::string root_;
  std::string tile_origin_;
};

// "https://tile.example.org" from "https://tile.example.org/{z}/{x}/{y}.png"; "" when the URL is
// empty or not http(s).
std::string origin_of(std::string_view url);

// Percent-decodes `s`; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

}  // namespace nguon::app
