#include "core/feedback/rules.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cmath>
#include <numbers>

#include "core/text.h"

namespace nguon::feedback {
namespace json = boost::json;

namespace {

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr size_t kCodeSymbols = 12;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string_view open311_status(FeedbackStatus s) {
  switch (s) {
    case FeedbackStatus::kAnswered:
    case FeedbackStatus::kClosed:
    case FeedbackStatus::kRejected:
    case FeedbackStatus::kMerged:
      return "closed";
    default:
      return "open";
  }
}

std::string make_tracking_code(std::string_view random_hex) {
  // 5 bits per symbol from the hex digits' 4 bits each: take 16 hex digits = 64 bits.
  std::uint64_t bits = 0;
  for (size_t i = 0; i < 16 && i < random_hex.size(); ++i) {
    const char c = random_hex[i];
    const int v = is_digit(c) ? c - '0' : (std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
    bits = (bits << 4) | static_cast<std::uint64_t>(v & 0xf);
  }
  std::string out;
  for (size_t i = 0; i < kCodeSymbols; ++i) {
    if (i > 0 && i % 4 == 0) out.push_back('-');
    out.push_back(kCrockford[bits & 31U]);
    bits >>= 5;
  }
  return out;
}

std::optional<std::string> normalize_tracking_code(std::string_view typed) {
  std::string symbols;
  for (const char raw : typed) {
    if (raw == '-' || raw == ' ' || raw == '\t') continue;
    char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
    if (c == 'O') c = '0';
    if (c == 'I' || c == 'L') c = '1';
    if (kCrockford.find(c) == std::string_view::npos) return std::nullopt;
    symbols.push_back(c);
    if (symbols.size() > kCodeSymbols) return std::nullopt;
  }
  if (symbols.size() != kCodeSymbols) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < symbols.size(); ++i) {
    if (i > 0 && i % 4 == 0) out.push_back('-');
    out.push_back(symbols[i]);
  }
  return out;
}

std::optional<std::string> normalize_phone(std::string_view typed) {
  std::string digits;
  bool plus = false;
  for (const char c : typed) {
    if (is_digit(c)) {
      digits.push_back(c);
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c != ' ' && c != '.' && c != '-' && c != '(' && c != ')') {
      return std::nullopt;
    }
  }
  if (digits.rfind("84", 0) == 0 && (plus || digits.size() >= 11)) {
    digits = "0" + digits.substr(2);
  } else if (plus) {
    return std::nullopt;  // another country's number
  }
  if (digits.size() < 10 || digits.size() > 11 || digits[0] != '0' || digits[1] == '0') {
    return std::nullopt;
  }
  return digits;
}

std::string contact_key(std::string_view email, std::string_view phone) {
  if (!email.empty()) {
    std::string lower(email);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return "e:" + lower;
  }
  if (auto p = normalize_phone(phone)) return "p:" + *p;
  return "";
}

// ---- Redaction ----

namespace {

constexpr std::string_view kMask = "[…]";

bool email_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '%' ||
         c == '+' || c == '-';
}

// Replaces e-mail addresses: maximal runs of e-mail characters around an '@' whose domain holds
// a dot.
std::string mask_emails(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const size_t at = s.find('@', i);
    if (at == std::string_view::npos) break;
    size_t start = at;
    while (start > i && email_char(s[start - 1])) --start;
    size_t end = at + 1;
    while (end < s.size() && email_char(s[end])) ++end;
    while (end > at + 1 && s[end - 1] == '.') --end;  // a sentence's full stop
    const std::string_view domain = s.substr(at + 1, end - at - 1);
    if (start < at && domain.find('.') != std::string_view::npos) {
      out.append(s.substr(i, start - i));
      out.append(kMask);
    } else {
      out.append(s.substr(i, end - i));
    }
    i = end;
  }
  out.append(s.substr(i));
  return out;
}

// Replaces phone numbers (a run starting with 0 or +84 of 10–11 digits, separated by single
// spaces, dots or dashes) and identity numbers (9 or 12 digits in a row).
std::string mask_numbers(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const bool starts_number =
        (is_digit(s[i]) || (s[i] == '+' && i + 1 < s.size() && is_digit(s[i + 1]))) &&
        (i == 0 || !is_digit(s[i - 1]));
    if (!starts_number) {
      out.push_back(s[i++]);
      continue;
    }
    size_t end = i + (s[i] == '+' ? 1 : 0);
    std::string digits;
    bool separated = false;
    while (end < s.size()) {
      if (is_digit(s[end])) {
        digits.push_back(s[end++]);
      } else if ((s[end] == ' ' || s[end] == '.' || s[end] == '-') && end + 1 < s.size() &&
                 is_digit(s[end + 1]) && !digits.empty()) {
        separated = true;
        ++end;
      } else {
        break;
      }
    }
    const std::string_view run = s.substr(i, end - i);
    const bool phone =
        normalize_phone(run).has_value() && (digits[0] == '0' || digits.rfind("84", 0) == 0);
    const bool identity = !separated && (digits.size() == 9 || digits.size() == 12);
    if (phone || identity) {
      out.append(kMask);
    } else {
      out.append(run);
    }
    i = end;
  }
  return out;
}

struct Word {
  size_t begin;
  size_t end;
  std::string folded;
};

// Words of `s`: maximal runs of bytes that are not ASCII spaces or punctuation (multi-byte
// UTF-8 letters stay inside words).
std::vector<Word> words_of(std::string_view s) {
  std::vector<Word> words;
  size_t i = 0;
  auto separator = [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x80 && std::isalnum(u) == 0;
  };
  while (i < s.size()) {
    while (i < s.size() && separator(s[i])) ++i;
    const size_t begin = i;
    while (i < s.size() && !separator(s[i])) ++i;
    if (i > begin) {
      words.push_back({begin, i, text::fold(s.substr(begin, i - begin))});
    }
  }
  return words;
}

std::string mask_names(std::string_view s, const std::vector<std::string>& names) {
  std::vector<std::pair<size_t, size_t>> spans;
  const std::vector<Word> words = words_of(s);
  for (const std::string& name : names) {
    std::vector<Word> needle = words_of(name);
    if (needle.size() < 2) continue;  // a single word is too likely a common word
    for (size_t w = 0; w + needle.size() <= words.size(); ++w) {
      bool match = true;
      for (size_t k = 0; k < needle.size() && match; ++k) {
        match = words[w + k].folded == needle[k].folded;
      }
      if (match) spans.emplace_back(words[w].begin, words[w + needle.size() - 1].end);
    }
  }
  if (spans.empty()) return std::string(s);
  std::sort(spans.begin(), spans.end());
  std::string out;
  size_t at = 0;
  for (const auto& [b, e] : spans) {
    if (b < at) continue;  // overlapping match already masked
    out.append(s.substr(at, b - at));
    out.append(kMask);
    at = e;
  }
  out.append(s.substr(at));
  return out;
}

}  // namespace

std::string redact(std::string_view text, const std::vector<std::string>& names) {
  return mask_numbers(mask_emails(mask_names(text, names)));
}

// ---- Open311 attributes ----

namespace {

constexpr std::array<std::string_view, 6> kDatatypes = {
    "string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"};

bool valid_code(std::string_view c) {
  return !c.empty() && c.size() <= 40 && std::all_of(c.begin(), c.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_' || ch == '-';
  });
}

Result<std::string> string_field(const json::object& o, std::string_view key, bool required,
                                 const std::string& where) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    if (required) return invalid("invalid_attribute", where + ": " + std::string(key) + " missing");
    return std::string();
  }
  if (!v->is_string()) {
    return invalid("invalid_attribute", where + ": " + std::string(key) + " must be text");
  }
  return std::string(v->as_string());
}

bool is_list(const Attribute& a) {
  return a.datatype == "singlevaluelist" || a.datatype == "multivaluelist";
}

Result<Attribute> parse_attribute(const json::value& v, size_t index) {
  const std::string where = "attributes[" + std::to_string(index) + "]";
  if (!v.is_object()) return invalid("invalid_attribute", where + ": must be an object");
  const json::object& o = v.as_object();
  Attribute a;
  NGUON_TRY_ASSIGN(a.code, string_field(o, "code", true, where));
  if (!valid_code(a.code)) {
    return invalid("invalid_attribute", where + ": code must be 1–40 letters, digits, _ or -");
  }
  NGUON_TRY_ASSIGN(a.datatype, string_field(o, "datatype", true, where));
  if (std::find(kDatatypes.begin(), kDatatypes.end(), a.datatype) == kDatatypes.end()) {
    return invalid("invalid_attribute", where + ": unknown datatype '" + a.datatype + "'");
  }
  NGUON_TRY_ASSIGN(a.description, string_field(o, "description", true, where));
  NGUON_TRY_ASSIGN(a.datatype_description, string_field(o, "datatype_description", false, where));
  if (const auto* r = o.if_contains("required"); r != nullptr && r->is_bool())
    a.required = r->as_bool();
  if (const auto* r = o.if_contains("variable"); r != nullptr && r->is_bool())
    a.variable = r->as_bool();
  if (const auto* r = o.if_contains("order"); r != nullptr && r->is_int64()) {
    a.order = static_cast<int>(r->as_int64());
  }
  if (const auto* vals = o.if_contains("values"); vals != nullptr) {
    if (!vals->is_array()) return invalid("invalid_attribute", where + ": values must be a list");
    for (const auto& item : vals->as_array()) {
      if (!item.is_object()) return invalid("invalid_attribute", where + ": bad value entry");
      AttributeValue av;
      NGUON_TRY_ASSIGN(av.key, string_field(item.as_object(), "key", true, where));
      NGUON_TRY_ASSIGN(av.name, string_field(item.as_object(), "name", true, where));
      a.values.push_back(std::move(av));
    }
  }
  if (is_list(a) && a.values.empty()) {
    return invalid("invalid_attribute", where + ": a list attribute needs values");
  }
  return a;
}

bool parses_number(std::string_view s) {
  double d = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(d);
}

// ISO 8601 date or date-time ("2026-11-26", "2026-11-26T09:00:00+07:00", "…Z").
bool parses_datetime(std::string_view s) {
  auto digits = [&](size_t at, size_t n) {
    if (s.size() < at + n) return false;
    return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(at),
                       s.begin() + static_cast<std::ptrdiff_t>(at + n), is_digit);
  };
  if (!(digits(0, 4) && s.size() >= 10 && s[4] == '-' && digits(5, 2) && s[7] == '-' &&
        digits(8, 2))) {
    return false;
  }
  if (s.size() == 10) return true;
  if (s[10] != 'T' || !digits(11, 2) || s.size() < 16 || s[13] != ':' || !digits(14, 2)) {
    return false;
  }
  const std::string_view rest = s.substr(16);
  return rest.empty() || rest == "Z" || rest.front() == ':' || rest.front() == '+' ||
         rest.front() == '-';
}

}  // namespace

Result<std::vector<Attribute>> parse_attributes(std::string_view text) {
  std::vector<Attribute> out;
  if (text.empty()) return out;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_array()) {
    return invalid("invalid_attribute", "attributes: must be a JSON list");
  }
  size_t index = 0;
  for (const auto& item : v.as_array()) {
    NGUON_TRY_ASSIGN(Attribute a, parse_attribute(item, index++));
    const bool dup =
        std::any_of(out.begin(), out.end(), [&](const Attribute& o) { return o.code == a.code; });
    if (dup) return invalid("invalid_attribute", "attributes: duplicate code '" + a.code + "'");
    out.push_back(std::move(a));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Attribute& a, const Attribute& b) { return a.order < b.order; });
  return out;
}

std::string attributes_to_json(const std::vector<Attribute>& attrs) {
  if (attrs.empty()) return "";
  json::array arr;
  for (const Attribute& a : attrs) {
    json::array values;
    for (const auto& v : a.values) values.push_back(json::object{{"key", v.key}, {"name", v.name}});
    json::object o{
        {"code", a.code},         {"datatype", a.datatype},       {"required", a.required},
        {"variable", a.variable}, {"description", a.description}, {"order", a.order}};
    if (!a.datatype_description.empty()) o["datatype_description"] = a.datatype_description;
    if (!values.empty()) o["values"] = std::move(values);
    arr.push_back(std::move(o));
  }
  return json::serialize(arr);
}

Result<std::string> check_attribute_answers(
    const std::vector<Attribute>& definition,
    const std::vector<std::pair<std::string, std::string>>& answers) {
  for (const auto& answer : answers) {
    const std::string& code = answer.first;
    const bool known = std::any_of(definition.begin(), definition.end(),
                                   [&](const Attribute& a) { return a.code == code; });
    if (!known) return invalid("invalid_attribute", "attribute[" + code + "]: unknown attribute");
  }
  json::object out;
  for (const Attribute& a : definition) {
    std::vector<std::string> given;
    for (const auto& [code, value] : answers) {
      if (code == a.code && !value.empty()) given.push_back(value);
    }
    const std::string where = "attribute[" + a.code + "]";
    if (given.empty()) {
      if (a.required && a.variable) return invalid("invalid_attribute", where + ": required");
      continue;
    }
    if (!a.variable) return invalid("invalid_attribute", where + ": informational, takes no value");
    if (given.size() > 1 && a.datatype != "multivaluelist") {
      return invalid("invalid_attribute", where + ": takes one value");
    }
    for (const std::string& g : given) {
      if (!text::is_valid_utf8(g) || text::code_points(g) > 4000) {
        return invalid("invalid_attribute", where + ": invalid text");
      }
      if (a.datatype == "number" && !parses_number(g)) {
        return invalid("invalid_attribute", where + ": not a number");
      }
      if (a.datatype == "datetime" && !parses_datetime(g)) {
        return invalid("invalid_attribute", where + ": not an ISO 8601 date or time");
      }
      if (is_list(a) && std::none_of(a.values.begin(), a.values.end(),
                                     [&](const AttributeValue& v) { return v.key == g; })) {
        std::string message = where;
        message.append(": '").append(g).append("' is not one of the values");
        return invalid("invalid_attribute", message);
      }
    }
    if (a.datatype == "multivaluelist") {
      json::array arr;
      for (const auto& g : given) arr.emplace_back(text::to_nfc(g));
      out[a.code] = std::move(arr);
    } else {
      out[a.code] = text::to_nfc(given.front());
    }
  }
  return out.empty() ? std::string() : json::serialize(out);
}

// ---- Places ----

double distance_km(double lat1, double lon1, double lat2, double lon2) {
  constexpr double kEarthKm = 6371.0088;
  constexpr double kRad = std::numbers::pi / 180.0;
  const double dlat = (lat2 - lat1) * kRad;
  const double dlon = (lon2 - lon1) * kRad;
  const double a =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(lat1 * kRad) * std::cos(lat2 * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthKm * std::asin(std::min(1.0, std::sqrt(a)));
}

bool inside_vietnam(double lat, double lon) {
  return std::isfinite(lat) && std::isfinite(lon) && lat >= 8.0 && lat <= 24.0 && lon >= 102.0 &&
         lon <= 118.0;  // east to the Trường Sa special zone
}

std::optional<Located> nearest_commune(const std::vector<Device>& devices, double lat, double lon,
                                       double max_km) {
  std::optional<Located> best;
  for (const Device& d : devices) {
    if (!d.lat || !d.lon || d.status == DeviceStatus::kDecommissioned) continue;
    const double km = distance_km(lat, lon, *d.lat, *d.lon);
    if (km <= max_km && (!best || km < best->km)) best = Located{d.commune_code, km};
  }
  return best;
}

std::optional<RoutingRule> pick_rule(const std::vector<RoutingRule>& rules,
                                     std::string_view service_code, std::string_view area_path) {
  const RoutingRule* best = nullptr;
  auto better = [&](const RoutingRule& r) {
    if (best == nullptr) return true;
    if (r.area_path.size() != best->area_path.size()) {
      return r.area_path.size() > best->area_path.size();
    }
    return r.service_code != "*" && best->service_code == "*";
  };
  for (const RoutingRule& r : rules) {
    if (r.service_code != "*" && r.service_code != service_code) continue;
    if (area_path.substr(0, r.area_path.size()) != r.area_path) continue;
    if (better(r)) best = &r;
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

}  // namespace nguon::feedback
