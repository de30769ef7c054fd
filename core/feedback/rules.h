// Pure rules of the feedback capability: tracking codes, contacts, redaction of personal data,
// Open311 service attributes, and locating a point. No store, no clock.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/devices_model.h"
#include "core/feedback_model.h"
#include "core/result.h"

namespace nguon::feedback {

// status_name, parse_status, answer_status_name: core/feedback_model.h.
// Open311's two states: "closed" for answered, closed, rejected and merged; "open" otherwise.
std::string_view open311_status(FeedbackStatus s);

// Tracking codes: 12 symbols of Crockford's base32 (60 random bits) shown as "K7QM-4XZP-9DTR".
// Unguessable (a guess succeeds with odds ~1e-18 per stored code), short enough to read over
// a phone line. `random_hex` must hold at least 16 hex digits from a CSPRNG.
std::string make_tracking_code(std::string_view random_hex);
// What a person typed → the canonical form, forgiving case, spaces, dashes and the symbols
// people confuse (O→0, I/L→1); nullopt when it cannot be a tracking code.
std::optional<std::string> normalize_tracking_code(std::string_view typed);

// A Vietnamese phone number in national form ("0912345678"), from "0912 345 678",
// "+84 912345678", "84912345678"…; nullopt when it is not a plausible mobile or landline
// number (10 digits after the leading 0, or 11 for old landlines).
std::optional<std::string> normalize_phone(std::string_view typed);
// The identity used for rate limits and first-time moderation: "e:<lower-case e-mail>" or
// "p:<national phone>", or "" when there is neither. The store keeps only its SHA-256.
std::string contact_key(std::string_view email, std::string_view phone);

// Text safe to publish: e-mail addresses, phone numbers, 9- and 12-digit identity card numbers
// and the given names (the citizen's name, in any case, with or without diacritics when it is
// at least two words) replaced by "[…]". Used for published answers and public descriptions.
std::string redact(std::string_view text, const std::vector<std::string>& names);

// Open311 service attributes (a service definition).
struct AttributeValue {
  std::string key;
  std::string name;
};
struct Attribute {
  std::string code;
  std::string datatype;  // string, number, datetime, text, singlevaluelist, multivaluelist
  bool required = false;
  bool variable = true;  // Open311: false means informational only (no answer expected)
  std::string description;
  int order = 0;
  std::string datatype_description;
  std::vector<AttributeValue> values;
};
// Parses and validates a definition (JSON array as stored in FeedbackService::attributes_json;
// "" = none). Errors name the attribute.
Result<std::vector<Attribute>> parse_attributes(std::string_view json);
std::string attributes_to_json(const std::vector<Attribute>& attrs);
// Checks the answers (code → values; several for multivaluelist) against the definition and
// returns them as a JSON object text ({"code": "v"} or {"code": ["a","b"]}). Errors:
// invalid("invalid_attribute", "attribute[code]: …") for a missing required attribute, an
// unknown code, a value outside the list, a number or datetime that does not parse.
Result<std::string> check_attribute_answers(
    const std::vector<Attribute>& definition,
    const std::vector<std::pair<std::string, std::string>>& answers);

// Great-circle distance in kilometres.
double distance_km(double lat1, double lon1, double lat2, double lon2);
// Vietnam's bounding box (mainland, islands and the special zones).
bool inside_vietnam(double lat, double lon);

// The commune a point belongs to when the citizen gave none: the commune of the nearest
// registered device (loudspeaker clusters and boards are spread across every commune and carry
// surveyed coordinates) within `max_km`; nullopt when no device is that close. Devices without
// coordinates or decommissioned are ignored.
struct Located {
  std::string commune_code;
  double km = 0;
};
std::optional<Located> nearest_commune(const std::vector<Device>& devices, double lat, double lon,
                                       double max_km);

// Routing: the rule whose area_path is the longest prefix of `area_path`; at equal length a
// rule for `service_code` beats "*". nullopt: no rule applies.
std::optional<RoutingRule> pick_rule(const std::vector<RoutingRule>& rules,
                                     std::string_view service_code, std::string_view area_path);

}  // namespace nguon::feedback
