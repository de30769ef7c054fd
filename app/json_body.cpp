#include "app/json_body.h"

#include <algorithm>

#include "core/access.h"
#include "core/text.h"

namespace nguon::app {
namespace json = boost::json;

Result<json::object> parse_object(std::string_view body,
                                  const std::vector<std::string_view>& allowed) {
  if (!text::is_valid_utf8(body)) {
    return invalid("invalid_utf8", "request body is not valid UTF-8");
  }
  json::error_code ec;
  json::parse_options opts;
  opts.max_depth = 16;
  json::value v = json::parse(body, ec, json::storage_ptr(), opts);
  if (ec) return invalid("invalid_json", "request body is not valid JSON: " + ec.message());
  if (!v.is_object()) return invalid("not_an_object", "request body must be a JSON object");
  for (const auto& kv : v.as_object()) {
    if (std::find(allowed.begin(), allowed.end(), kv.key()) == allowed.end()) {
      return invalid("unknown_field", "unknown field '" + std::string(kv.key()) + "'");
    }
  }
  return std::move(v.as_object());
}

Result<std::string> Fields::required_string(std::string_view key) const {
  auto v = optional_string(key);
  if (!v) return v.error();
  if (!v.value()) return invalid("missing_field", std::string(key) + ": is required");
  return std::move(*v.value());
}

Result<std::optional<std::string>> Fields::optional_string(std::string_view key) const {
  const json::value* v = o_.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return invalid("invalid_field", std::string(key) + ": must be a string");
  return std::optional<std::string>(std::string(v->as_string()));
}

Result<std::optional<bool>> Fields::optional_bool(std::string_view key) const {
  const json::value* v = o_.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<bool>();
  if (!v->is_bool()) return invalid("invalid_field", std::string(key) + ": must be true or false");
  return std::optional<bool>(v->as_bool());
}

Result<std::optional<std::int64_t>> Fields::optional_int(std::string_view key) const {
  const json::value* v = o_.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<std::int64_t>();
  if (v->is_int64()) return std::optional<std::int64_t>(v->as_int64());
  if (v->is_uint64() && v->as_uint64() <= INT64_MAX) {
    return std::optional<std::int64_t>(static_cast<std::int64_t>(v->as_uint64()));
  }
  return invalid("invalid_field", std::string(key) + ": must be an integer");
}

Result<std::optional<std::vector<std::string>>> Fields::optional_strings(
    std::string_view key, std::size_t max_items) const {
  const json::value* v = o_.if_contains(key);
  if (v == nullptr || v->is_null()) return std::optional<std::vector<std::string>>();
  const Error wrong = invalid("invalid_field", std::string(key) + ": an array of at most " +
                                                   std::to_string(max_items) + " strings");
  if (!v->is_array() || v->as_array().size() > max_items) return wrong;
  std::vector<std::string> out;
  for (const json::value& item : v->as_array()) {
    if (!item.is_string()) return wrong;
    out.emplace_back(item.as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::optional<std::vector<Grant>>> Fields::optional_grants(std::string_view key) const {
  const json::value* v = o_.if_contains(key);
  const std::string k(key);
  if (v == nullptr || v->is_null()) return std::optional<std::vector<Grant>>();
  if (!v->is_array()) return invalid("invalid_field", k + ": must be an array");
  if (v->as_array().size() > 50) return invalid("invalid_field", k + ": at most 50 entries");
  std::vector<Grant> out;
  for (const json::value& item : v->as_array()) {
    if (!item.is_object()) {
      return invalid("invalid_field", k + ": each entry must be {\"role\", \"unit_code\"}");
    }
    const auto& o = item.as_object();
    for (const auto& kv : o) {
      if (kv.key() != "role" && kv.key() != "unit_code" && kv.key() != "unit_name") {
        return invalid("unknown_field", k + ": unknown field '" + std::string(kv.key()) + "'");
      }
    }
    const json::value* role = o.if_contains("role");
    const json::value* unit = o.if_contains("unit_code");
    if (role == nullptr || !role->is_string() || unit == nullptr || !unit->is_string()) {
      return invalid("invalid_field", k + ": role and unit_code must be strings");
    }
    auto parsed = access::parse_role(std::string_view(role->as_string()));
    if (!parsed) {
      return invalid("invalid_field",
                     k + ": unknown role '" + std::string(role->as_string()) + "'");
    }
    out.push_back({*parsed, std::string(unit->as_string())});
  }
  return std::optional<std::vector<Grant>>(std::move(out));
}

}  // namespace nguon::app
