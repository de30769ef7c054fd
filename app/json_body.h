// Strict reading of JSON request bodies: the edge where untrusted input becomes typed values.
// Every failure is a precise Error naming the field; the caller answers it with a 4xx.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/result.h"

namespace nguon::app {

// Parses `body` as a JSON object whose keys are all in `allowed`. Errors: invalid_utf8,
// invalid_json, not_an_object, unknown_field (all answered with 400).
Result<boost::json::object> parse_object(std::string_view body,
                                         const std::vector<std::string_view>& allowed);

// Typed access to the fields of a parsed object. Strings are returned as received (callers
// clean them with core/text.h, which also converts NFD to NFC).
class Fields {
 public:
  explicit Fields(const boost::json::object& o) : o_(o) {}
  Result<std::string> required_string(std::string_view key) const;
  Result<std::optional<std::string>> optional_string(std::string_view key) const;
  Result<std::optional<bool>> optional_bool(std::string_view key) const;
  Result<std::optional<std::int64_t>> optional_int(std::string_view key) const;
  // An array of strings (each as received), at most `max_items` of them.
  Result<std::optional<std::vector<std::string>>> optional_strings(std::string_view key,
                                                                   std::size_t max_items) const;
  // [{"role": "...", "unit_code": "..."}, …], at most 50 entries.
  Result<std::optional<std::vector<Grant>>> optional_grants(std::string_view key) const;

 private:
  const boost::json::object& o_;
};

}  // namespace nguon::app
