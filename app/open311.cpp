// Open311 GeoReport v2 over the FeedbackDesk (docs/open311.md). Every response is built once as
// a JSON value and rendered either as JSON or as XML by the Spark convention the spec uses (a
// list inside an object becomes a wrapper element whose children take the singular name).
#include "app/open311.h"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <ctime>
#include <map>
#include <utility>
#include <vector>

#include "app/api_support.h"
#include "app/feedback_intake.h"
#include "app/log.h"
#include "core/feedback/rules.h"
#include "core/forms.h"
#include "core/text.h"

namespace nguon::app {
namespace {

namespace json = boost::json;
using http::HttpRequest;
using http::HttpResponse;

constexpr std::string_view kPrefix = "/open311/v2/";
constexpr std::string_view kSpecification = "http://wiki.open311.org/GeoReport_v2";
// When this endpoint's contract last changed (discovery's changeset).
constexpr std::string_view kChangeset = "2026-11-01T00:00:00+07:00";
constexpr UnixTime kLocalOffset = UnixTime{7} * 3600;  // Vietnam, UTC+7 all year
constexpr UnixTime kDay = 86400;
constexpr UnixTime kMaxRange = 90 * kDay;  // the spec's default and widest date range
constexpr size_t kMaxResults = 1000;       // the spec's cap on GET requests
constexpr size_t kMaxDescription = 4000;   // characters (code points)
constexpr size_t kMaxIds = 1000;

enum class Format { kXml, kJson };

// ---- Rendering ------------------------------------------------------------------------------

// Text for XML 1.0: the five special characters escaped; control characters XML cannot carry
// (all but tab, newline, carriage return) and the non-characters U+FFFE/U+FFFF dropped.
void append_xml_text(std::string& out, std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '&':
        out += "&amp;";
        continue;
      case '<':
        out += "&lt;";
        continue;
      case '>':
        out += "&gt;";
        continue;
      case '"':
        out += "&quot;";
        continue;
      case '\'':
        out += "&apos;";
        continue;
      default:
        break;
    }
    if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') continue;
    if (u == 0xEF && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xBF &&
        (static_cast<unsigned char>(s[i + 2]) == 0xBE ||
         static_cast<unsigned char>(s[i + 2]) == 0xBF)) {
      i += 2;
      continue;
    }
    out += c;
  }
}

// Shortest text that reads back as the same double ("21.0285", not "2.10285E1").
std::string number_text(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  if (ec != std::errc()) return "0";
  return {buf, end};
}

std::string scalar_text(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return std::string(v.get_string());
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::double_:
      return number_text(v.get_double());
    case json::kind::bool_:
      return v.get_bool() ? "true" : "false";
    default:
      return "";
  }
}

// The element name of the items of a list named `list` (Spark convention).
std::string_view item_name(std::string_view list) {
  if (list == "attributes") return "attribute";
  if (list == "values") return "value";
  if (list == "endpoints") return "endpoint";
  if (list == "formats") return "format";
  return "item";
}

void write_xml(std::string& out, std::string_view name, const json::value& v) {
  const auto open_tag = [&] {
    out += '<';
    out += name;
    out += '>';
  };
  const auto close_tag = [&] {
    out += "</";
    out += name;
    out += '>';
  };
  if (v.is_object()) {
    open_tag();
    for (const auto& [key, child] : v.get_object()) write_xml(out, key, child);
    close_tag();
  } else if (v.is_array()) {
    open_tag();
    for (const auto& child : v.get_array()) write_xml(out, item_name(name), child);
    close_tag();
  } else {
    const std::string text = scalar_text(v);
    if (text.empty()) {
      out += '<';
      out += name;
      out += "/>";
      return;
    }
    open_tag();
    append_xml_text(out, text);
    close_tag();
  }
}

std::string quoted(std::string_view s) { return json::serialize(json::value(json::string(s))); }

// Boost.JSON's serialize, except that doubles are written in their shortest plain form.
void write_json(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, child] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += quoted(key);
        out += ':';
        write_json(out, child);
      }
      out += '}';
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& child : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_json(out, child);
      }
      out += ']';
      return;
    }
    case json::kind::double_:
      out += number_text(v.get_double());
      return;
    default:
      out += json::serialize(v);
      return;
  }
}

// A response document: an object rendered as <root>…</root>, or a list rendered as
// <root><item>…</item>…</root>.
HttpResponse render(int status, Format format, std::string_view root, std::string_view item,
                    const json::value& v) {
  HttpResponse r;
  r.status = status;
  if (format == Format::kJson) {
    r.content_type = "application/json; charset=utf-8";
    write_json(r.body, v);
    return r;
  }
  r.content_type = "text/xml; charset=utf-8";
  r.body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<";
  r.body += root;
  r.body += '>';
  if (v.is_array()) {
    for (const auto& child : v.get_array()) write_xml(r.body, item, child);
  } else {
    for (const auto& [key, child] : v.get_object()) write_xml(r.body, key, child);
  }
  r.body += "</";
  r.body += root;
  r.body += ">\n";
  return r;
}

HttpResponse list_response(Format format, std::string_view root, std::string_view item,
                           json::array items, int status = 200) {
  return render(status, format, root, item, json::value(std::move(items)));
}

HttpResponse error_response(Format format, int status, std::string description) {
  json::array errors{json::object{{"code", status}, {"description", std::move(description)}}};
  return list_response(format, "errors", "error", std::move(errors), status);
}

// A core error as an Open311 error: 400 for bad arguments, 404 for what does not exist.
HttpResponse from_error(Format format, const Error& e) {
  int status = 400;
  switch (e.kind) {
    case ErrorKind::kInvalid:
      status = e.code == "unknown_service" ? 404 : 400;
      break;
    case ErrorKind::kUnauthenticated:
    case ErrorKind::kForbidden:
      status = 403;
      break;
    case ErrorKind::kNotFound:
      status = 404;
      break;
    case ErrorKind::kConflict:
      status = 409;
      break;
    case ErrorKind::kTooLarge:
      status = 413;
      break;
    case ErrorKind::kThrottled:
      status = 429;
      break;
    case ErrorKind::kUnavailable:
      status = e.code == "attachments_unavailable" ? 400 : 503;
      break;
    case ErrorKind::kInternal:
      log::error("open311: internal error", {{"message", e.message}});
      return error_response(format, 500, "internal error");
  }
  return error_response(format, status, e.message);
}

// ---- Times ----------------------------------------------------------------------------------

std::string local_time(UnixTime t, const char* pattern) {
  const std::time_t tt = t + kLocalOffset;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, pattern, &tm);
  return {buf, n};
}

// ISO 8601 with the zone, in Vietnam's time: "2026-11-26T09:00:00+07:00".
std::string w3c(UnixTime t) { return local_time(t, "%Y-%m-%dT%H:%M:%S+07:00"); }

// A deadline (the first instant after the last allowed day) as the last day, "26/11/2026".
std::string last_day(UnixTime deadline) { return local_time(deadline - 1, "%d/%m/%Y"); }

// A w3c datetime with its zone ("2026-11-01T00:00:00Z", "…+07:00", fractions of a second
// ignored; a '+' decoded to a space by a client that did not escape it is read as '+'), or a
// bare date "2026-11-01", read as that day in Vietnam (its end when `end_of_day`).
std::optional<UnixTime> parse_datetime(std::string_view s, bool end_of_day) {
  std::string v(s);
  if (v.size() == 10) {
    auto t = api::parse_iso8601(v + "T00:00:00+07:00");
    if (!t) return std::nullopt;
    return end_of_day ? *t + kDay : *t;
  }
  if (v.size() > 20 && v[19] == '.') {
    size_t end = 20;
    while (end < v.size() && v[end] >= '0' && v[end] <= '9') ++end;
    v.erase(19, end - 19);
  }
  if (v.size() > 6 && v[v.size() - 6] == ' ') v[v.size() - 6] = '+';
  return api::parse_iso8601(v);
}

// ---- Arguments ------------------------------------------------------------------------------

// The value of an argument; "" when absent (the spec treats empty and absent alike).
std::string_view arg(const std::vector<forms::Field>& fields, std::string_view name) {
  const forms::Field* f = forms::find(fields, name);
  return f == nullptr ? std::string_view() : std::string_view(f->value);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const size_t comma = s.find(',');
    const std::string_view item = trim(s.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<std::int64_t> parse_positive_id(std::string_view s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v <= 0) return std::nullopt;
  return v;
}

std::optional<double> parse_coordinate(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !(v >= -180 && v <= 180)) {
    return std::nullopt;
  }
  return v;
}

// attribute[code]=v or attribute[code][]=v (a multivaluelist) → code; nullopt for other names.
std::optional<std::string> attribute_code(std::string_view name) {
  constexpr std::string_view kOpen = "attribute[";
  if (name.substr(0, kOpen.size()) != kOpen) return std::nullopt;
  name.remove_prefix(kOpen.size());
  if (name.size() >= 3 && name.substr(name.size() - 3) == "][]") {
    name.remove_suffix(2);
  }
  if (name.empty() || name.back() != ']') return std::nullopt;
  name.remove_suffix(1);
  if (name.empty() || name.find_first_of("[]") != std::string_view::npos) return std::nullopt;
  return std::string(name);
}

// A date range from start_date/end_date: both absent → the last 90 days; one absent → 90 days
// from (or up to) the other; at most 90 days. [from, to).
Result<std::pair<UnixTime, UnixTime>> date_range(const std::vector<forms::Field>& query,
                                                 UnixTime now) {
  const std::string_view start = arg(query, "start_date");
  const std::string_view end = arg(query, "end_date");
  std::optional<UnixTime> from;
  std::optional<UnixTime> to;
  if (!start.empty()) {
    from = parse_datetime(start, false);
    if (!from)
      return invalid("invalid_query",
                     "start_date: use the w3c format, e.g. 2026-11-01T00:00:00+07:00");
  }
  if (!end.empty()) {
    to = parse_datetime(end, true);
    if (!to)
      return invalid("invalid_query",
                     "end_date: use the w3c format, e.g. 2026-11-30T23:59:59+07:00");
    if (end.size() != 10) *to += 1;  // the instant given is included
  }
  if (!from && !to) {
    to = now + 1;
    from = *to - kMaxRange;
  } else if (!from) {
    from = *to - kMaxRange;
  } else if (!to) {
    to = *from + kMaxRange;
  }
  if (*to <= *from) return invalid("invalid_query", "end_date: must not be before start_date");
  if (*to - *from > kMaxRange + 1) {
    return invalid("invalid_query", "start_date and end_date: may not span more than 90 days");
  }
  return std::pair{*from, *to};
}

// ---- Documents ------------------------------------------------------------------------------

std::string base_url(FeedbackDesk& desk) {
  std::string base = desk.settings().portal_base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/open311/v2";
}

json::object discovery(Open311Deps& deps) {
  json::object endpoint{{"specification", kSpecification},
                        {"url", base_url(deps.desk)},
                        {"changeset", kChangeset},
                        {"type", "production"},
                        {"formats", json::array{"text/xml", "application/json"}}};
  return {{"changeset", kChangeset},
          {"contact",
           "Hỗ trợ kỹ thuật: liên hệ quản trị viên hệ thống Nguồn của " + deps.jurisdiction_id},
          {"key_service",
           "api_key là mã API Nguồn (ngt_…) của tài khoản dành cho ứng dụng: quản trị viên "
           "tạo tài khoản, ứng dụng đăng nhập và tạo mã (POST /api/v1/tokens). Tài khoản giữ "
           "mã được ghi là nơi gửi (client) của mỗi phản ánh."},
          {"endpoints", json::array{std::move(endpoint)}}};
}

bool has_attributes(const FeedbackService& s) {
  auto attrs = feedback::parse_attributes(s.attributes_json);
  return attrs && !attrs->empty();
}

json::object service_json(const FeedbackService& s) {
  return {{"service_code", s.code},
          {"service_name", s.name_vi},
          {"description", s.description},
          {"metadata", has_attributes(s)},
          {"type", "realtime"},
          {"keywords", s.keywords},
          {"group", s.group}};
}

json::object attribute_json(const feedback::Attribute& a) {
  json::array values;
  for (const auto& v : a.values) values.push_back(json::object{{"key", v.key}, {"name", v.name}});
  return {{"variable", a.variable},
          {"code", a.code},
          {"datatype", a.datatype},
          {"required", a.required},
          {"datatype_description", a.datatype_description},
          {"order", a.order},
          {"description", a.description},
          {"values", std::move(values)}};
}

std::string status_notes(const Feedback& f) {
  switch (f.status) {
    case FeedbackStatus::kRejected:
      return f.reject_reason;
    case FeedbackStatus::kMerged:
      return "Đã gộp vào phản ánh #" + std::to_string(f.merged_into) + ".";
    case FeedbackStatus::kAnswered:
    case FeedbackStatus::kClosed:
      return f.answer_public;
    default:
      return "";
  }
}

struct ServiceNames {
  std::map<std::string, std::string> by_code;
  std::string operator()(const std::string& code) const {
    auto it = by_code.find(code);
    return it == by_code.end() ? code : it->second;
  }
};

Result<ServiceNames> service_names(FeedbackDesk& desk) {
  NGUON_TRY_ASSIGN(auto all, desk.services(true));
  ServiceNames names;
  for (auto& s : all) names.by_code.emplace(s.code, s.name_vi);
  return names;
}

json::object request_json(const Feedback& f, const ServiceNames& names, FeedbackDesk& desk) {
  const UnixTime expected = desk.expected_at(f);
  std::string notice;
  if (expected != 0) notice = "Dự kiến trả lời chậm nhất ngày " + last_day(expected) + ".";
  json::object o{
      {"service_request_id", f.id},
      {"status", feedback::open311_status(f.status)},
      {"status_notes", status_notes(f)},
      {"service_name", names(f.service_code)},
      {"service_code", f.service_code},
      {"description", f.title.empty() ? f.description : f.title + "\n\n" + f.description},
      {"agency_responsible", f.body_unit},
      {"service_notice", notice},
      {"requested_datetime", w3c(f.submitted_at)},
      {"updated_datetime", w3c(f.updated_at)}};
  if (expected != 0) o["expected_datetime"] = w3c(expected);
  o["address"] = f.address;
  o["address_id"] = f.village_code.empty() ? f.commune_code : f.village_code;
  o["zipcode"] = "";
  if (f.lat && f.lon) {
    o["lat"] = *f.lat;
    o["long"] = *f.lon;
  }
  return o;
}

// What a public history line says, in Vietnamese. Only fields that are public by construction
// are used (a citizen's reopening reason is not redacted, so it is left out).
std::string update_text(const FeedbackEvent& e) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(e.detail, ec);
  const json::object empty;
  const json::object& d = (!ec && parsed.is_object()) ? parsed.get_object() : empty;
  const auto str = [&](std::string_view key) -> std::string {
    const json::value* v = d.if_contains(key);
    return v == nullptr ? std::string() : scalar_text(*v);
  };
  const std::string& k = e.kind;
  if (k == "received") return "Đã tiếp nhận phản ánh.";
  if (k == "assigned") {
    std::string s = "Cơ quan có thẩm quyền đã nhận xử lý";
    if (!str("body").empty()) s += ": " + str("body");
    const json::value* due = d.if_contains("answer_due");
    if (due != nullptr && due->is_int64() && due->get_int64() > 0) {
      s += ". Hạn trả lời: " + last_day(due->get_int64());
    }
    return s + ".";
  }
  if (k == "recategorised") return "Đã chuyển sang lĩnh vực " + str("to") + ".";
  if (k == "moved") return "Đã chuyển đến địa bàn " + str("to_name") + ".";
  if (k == "transferred") {
    std::string s = "Đã chuyển đến " + str("to") + ".";
    if (!str("note").empty()) s += " " + str("note");
    return s;
  }
  if (k == "merged") return "Đã gộp vào phản ánh #" + str("into") + ".";
  if (k == "rejected") return "Không tiếp nhận: " + str("reason");
  if (k == "note") return str("text");
  if (k == "answered") return str("answer");
  if (k == "rated") return "Người dân đã đánh giá câu trả lời " + str("rating") + "/5.";
  if (k == "reopened") return "Người dân đã mở lại phản ánh.";
  if (k == "closed") return "Đã đóng phản ánh.";
  if (k == "bulletin_made") return "Câu trả lời được đưa lên đài truyền thanh cơ sở.";
  return k;
}

json::object update_json(const FeedbackEvent& e) {
  auto status = feedback::parse_status(e.status_after);
  return {{"update_id", e.id},
          {"service_request_id", e.feedback_id},
          {"status", status ? feedback::open311_status(*status) : std::string_view("open")},
          {"updated_datetime", w3c(e.ts)},
          {"description", update_text(e)},
          {"media_url", ""}};
}

// ---- Resources ------------------------------------------------------------------------------

HttpResponse get_services(Format fmt, Open311Deps& deps) {
  auto services = deps.desk.services(false);
  if (!services) return from_error(fmt, services.error());
  json::array items;
  for (const auto& s : services.value()) items.push_back(service_json(s));
  return list_response(fmt, "services", "service", std::move(items));
}

HttpResponse get_service_definition(Format fmt, const std::string& code, Open311Deps& deps) {
  auto s = deps.desk.service(code);
  if (!s) {
    if (s.error().kind == ErrorKind::kNotFound) {
      return error_response(fmt, 404, "service_code not found: " + code);
    }
    return from_error(fmt, s.error());
  }
  auto attrs = feedback::parse_attributes(s->attributes_json);
  if (!attrs) return from_error(fmt, internal("stored attributes: " + attrs.error().message));
  json::array list;
  for (const auto& a : attrs.value()) list.push_back(attribute_json(a));
  json::object def{{"service_code", s->code}, {"attributes", std::move(list)}};
  return render(200, fmt, "service_definition", "", json::value(std::move(def)));
}

HttpResponse get_request(Format fmt, const std::string& id_text, Open311Deps& deps) {
  auto id = parse_positive_id(id_text);
  if (!id) return error_response(fmt, 404, "service_request_id not found: " + id_text);
  auto f = deps.desk.public_feedback(*id);
  if (!f) {
    if (f.error().kind == ErrorKind::kNotFound) {
      return error_response(fmt, 404, "service_request_id not found: " + id_text);
    }
    return from_error(fmt, f.error());
  }
  auto names = service_names(deps.desk);
  if (!names) return from_error(fmt, names.error());
  return list_response(fmt, "service_requests", "request",
                       json::array{request_json(f.value(), names.value(), deps.desk)});
}

HttpResponse get_requests(Format fmt, const std::vector<forms::Field>& query, Open311Deps& deps,
                          UnixTime now) {
  auto names = service_names(deps.desk);
  if (!names) return from_error(fmt, names.error());
  std::vector<Feedback> found;
  const std::string_view ids_arg = arg(query, "service_request_id");
  if (!ids_arg.empty()) {
    // The ids asked for, in that order; unknown ones left out. Other arguments are ignored.
    const auto ids = split_list(ids_arg);
    if (ids.size() > kMaxIds) {
      return error_response(fmt, 400, "service_request_id: at most 1000 ids");
    }
    for (const auto& text : ids) {
      auto id = parse_positive_id(text);
      if (!id) return error_response(fmt, 400, "service_request_id: '" + text + "' is not an id");
      auto f = deps.desk.public_feedback(*id);
      if (f) {
        found.push_back(std::move(f.value()));
      } else if (f.error().kind != ErrorKind::kNotFound) {
        return from_error(fmt, f.error());
      }
    }
  } else {
    auto range = date_range(query, now);
    if (!range) return error_response(fmt, 400, range.error().message);
    FeedbackQuery q;
    q.submitted_from = range->first;
    q.submitted_to = range->second;
    q.limit = kMaxResults;
    q.newest_first = true;
    for (const auto& status : split_list(arg(query, "status"))) {
      if (status == "open") {
        q.statuses.insert(q.statuses.end(), {FeedbackStatus::kReceived, FeedbackStatus::kAssigned});
      } else if (status == "closed") {
        q.statuses.insert(q.statuses.end(), {FeedbackStatus::kAnswered, FeedbackStatus::kClosed,
                                             FeedbackStatus::kRejected, FeedbackStatus::kMerged});
      } else {
        return error_response(fmt, 400, "status: '" + status + "' is not open or closed");
      }
    }
    std::vector<std::string> codes = split_list(arg(query, "service_code"));
    if (codes.empty()) codes.emplace_back();  // any service
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    for (const auto& code : codes) {
      q.service_code = code;
      auto list = deps.desk.public_search(q);
      if (!list) return from_error(fmt, list.error());
      for (auto& f : list.value()) found.push_back(std::move(f));
    }
    std::sort(found.begin(), found.end(),
              [](const Feedback& a, const Feedback& b) { return a.id > b.id; });
    if (found.size() > kMaxResults) found.resize(kMaxResults);
  }
  json::array items;
  for (const auto& f : found) items.push_back(request_json(f, names.value(), deps.desk));
  return list_response(fmt, "service_requests", "request", std::move(items));
}

HttpResponse get_token(Format fmt, const std::string& token, Open311Deps& deps) {
  const std::string not_found = "token not found: " + token;
  auto view = deps.desk.track(token);
  if (!view) {
    if (view.error().kind == ErrorKind::kNotFound) return error_response(fmt, 404, not_found);
    return from_error(fmt, view.error());
  }
  const Feedback& f = view->feedback;
  json::object item;
  if (f.status != FeedbackStatus::kModeration) {
    // Accepted (public) feedback has an id; feedback refused in moderation never had one.
    auto pub = deps.desk.public_feedback(f.id);
    if (!pub) {
      if (pub.error().kind == ErrorKind::kNotFound) return error_response(fmt, 404, not_found);
      return from_error(fmt, pub.error());
    }
    item["service_request_id"] = f.id;
  }
  item["token"] = f.tracking_code;
  return list_response(fmt, "service_requests", "request", json::array{std::move(item)});
}

HttpResponse get_updates(Format fmt, const std::vector<forms::Field>& query, Open311Deps& deps,
                         UnixTime now) {
  auto range = date_range(query, now);
  if (!range) return error_response(fmt, 400, range.error().message);
  auto events = deps.desk.public_events(range->first, range->second, kMaxResults);
  if (!events) return from_error(fmt, events.error());
  json::array items;
  for (const auto& e : events.value()) items.push_back(update_json(e));
  return list_response(fmt, "service_requests_updates", "request_update", std::move(items));
}

// The form of a POST: urlencoded fields, or multipart text fields plus file parts.
struct PostedForm {
  std::vector<forms::Field> fields;
  std::vector<forms::Part> files;
};

Result<PostedForm> read_form(const HttpRequest& req) {
  PostedForm form;
  const std::string content_type(req.header("content-type").value_or(""));
  std::string media_type = content_type.substr(0, content_type.find(';'));
  media_type = std::string(trim(media_type));
  std::transform(media_type.begin(), media_type.end(), media_type.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (media_type == "application/x-www-form-urlencoded") {
    NGUON_TRY_ASSIGN(form.fields, forms::parse_urlencoded(req.body));
    return form;
  }
  if (media_type == "multipart/form-data") {
    auto boundary = forms::multipart_boundary(content_type);
    if (!boundary)
      return invalid("malformed_multipart", "multipart/form-data without a valid boundary");
    NGUON_TRY_ASSIGN(auto parts, forms::parse_multipart(req.body, *boundary));
    for (auto& p : parts) {
      if (!p.filename.empty() || p.name == "media") {
        form.files.push_back(std::move(p));
        continue;
      }
      if (!text::is_valid_utf8(p.name) || !text::is_valid_utf8(p.data)) {
        return invalid("malformed_form", p.name + ": not valid UTF-8");
      }
      form.fields.push_back({std::move(p.name), std::move(p.data)});
    }
    return form;
  }
  if (req.body.empty() && content_type.empty()) return form;  // nothing sent: arguments missing
  return invalid("unsupported_media_type",
                 "send application/x-www-form-urlencoded or multipart/form-data");
}

std::string post_notice(const Feedback& f, UnixTime expected) {
  const std::string when =
      expected == 0 ? std::string()
                    : " chậm nhất ngày " + last_day(expected) + " (tính theo ngày làm việc)";
  if (f.status == FeedbackStatus::kModeration) {
    return "Phản ánh đang chờ kiểm duyệt. Dùng mã theo dõi (token) để tra cứu. Nếu được tiếp "
           "nhận, cơ quan có thẩm quyền sẽ trả lời" +
           when + ".";
  }
  return "Phản ánh #" + std::to_string(f.id) +
         " đã được tiếp nhận và chuyển đến cơ quan có thẩm quyền, dự kiến trả lời" + when + ".";
}

HttpResponse post_request(Format fmt, const HttpRequest& req,
                          const std::vector<forms::Field>& query, Open311Deps& deps) {
  if (!deps.ip_limiter.allow(req.remote_ip)) {
    HttpResponse r =
        error_response(fmt, 429, "too many requests from this address; try again later");
    r.headers.emplace_back("Retry-After", "3600");
    return r;
  }
  auto posted = read_form(req);
  if (!posted) return error_response(fmt, 400, posted.error().message);
  const std::vector<forms::Field>& in = posted->fields;
  const std::string_view jurisdiction = arg(in, "jurisdiction_id");
  if (!jurisdiction.empty() && jurisdiction != deps.jurisdiction_id) {
    return error_response(fmt, 404, "jurisdiction_id not found: " + std::string(jurisdiction));
  }
  // Who: the api_key (in the form, or in the query string as some clients send it).
  std::string_view api_key = arg(in, "api_key");
  if (api_key.empty()) api_key = arg(query, "api_key");
  if (api_key.empty())
    return error_response(fmt, 403, "api_key missing: this call needs an api_key");
  auto client = deps.accounts.authenticate_token(std::string(api_key));
  if (!client) {
    if (client.error().kind == ErrorKind::kInternal) return from_error(fmt, client.error());
    return error_response(fmt, 403, "invalid api_key: can't proceed with create_request");
  }
  // What.
  const std::string service_code(arg(in, "service_code"));
  if (service_code.empty()) return error_response(fmt, 400, "service_code missing");
  if (auto s = deps.desk.service(service_code); !s) {
    if (s.error().kind == ErrorKind::kNotFound) {
      return error_response(fmt, 404, "service_code not found: " + service_code);
    }
    return from_error(fmt, s.error());
  }
  const std::string_view description = arg(in, "description");
  if (text::code_points(text::to_nfc(description)) > kMaxDescription) {
    return error_response(fmt, 400, "description: at most 4000 characters");
  }
  Submission s;
  s.service_code = service_code;
  s.description = std::string(description);
  s.channel = "open311";
  s.client = client->username;
  s.ip = req.remote_ip;
  for (const auto& field : in) {
    if (auto code = attribute_code(field.name)) s.attributes.emplace_back(*code, field.value);
  }
  // Where.
  const std::string_view lat_text = arg(in, "lat");
  const std::string_view lon_text = arg(in, "long");
  if (!lat_text.empty() || !lon_text.empty()) {
    auto lat = parse_coordinate(lat_text);
    auto lon = parse_coordinate(lon_text);
    if (!lat || !lon || *lat < -90 || *lat > 90) {
      return error_response(fmt, 400, "lat and long: give both, as decimal degrees (WGS84)");
    }
    s.lat = lat;
    s.lon = lon;
  }
  s.address = std::string(arg(in, "address_string"));
  s.commune_code = std::string(arg(in, "commune_code"));
  s.village_code = std::string(arg(in, "village_code"));
  const std::string_view address_id = arg(in, "address_id");
  if (s.commune_code.empty()) s.commune_code = std::string(address_id);
  const bool located =
      s.lat.has_value() || !s.address.empty() || !address_id.empty() || !s.commune_code.empty();
  if (!located && posted->files.empty()) {
    return error_response(fmt, 400,
                          "location missing: give lat and long, address_string or address_id");
  }
  // Who wrote it (never public).
  const std::string first(trim(arg(in, "first_name")));
  const std::string last(trim(arg(in, "last_name")));
  s.contact_name = first.empty() || last.empty() ? first + last : first + " " + last;
  s.contact_email = std::string(arg(in, "email"));
  s.contact_phone = std::string(arg(in, "phone"));
  // device_id, account_id and media_url are accepted and not used (media_url is a link to
  // somebody else's server; photos are uploaded as "media" parts).
  // Attachments: photos and recordings in multipart "media" parts.
  AttachmentLimits limits;
  limits.max_bytes = deps.max_attachment_bytes;
  auto stored = store_attachments(posted->files, {"media"}, deps.media, limits);
  if (!stored) return from_error(fmt, stored.error());
  s.attachments = std::move(stored->attachments);
  if (!s.lat && s.commune_code.empty() && stored->lat && stored->lon) {
    // The photo's position places a request that gave no point and no commune.
    s.lat = stored->lat;
    s.lon = stored->lon;
  }
  if (!located && !s.lat) {
    return error_response(fmt, 400,
                          "location missing: give lat and long, address_string or address_id");
  }
  auto f = deps.desk.submit(std::move(s), nullptr, RequestOrigin{client->username, req.remote_ip});
  if (!f) return from_error(fmt, f.error());
  const std::string notice = post_notice(f.value(), deps.desk.expected_at(f.value()));
  json::object item;
  if (f->status == FeedbackStatus::kModeration) {
    // Not public yet: the submitter gets the tracking code as the spec's token (the only
    // response that ever carries it) and asks tokens/{token} for the id once accepted.
    item["token"] = f->tracking_code;
  } else {
    item["service_request_id"] = f->id;
  }
  item["service_notice"] = notice;
  item["account_id"] = nullptr;
  return list_response(fmt, "service_requests", "request", json::array{std::move(item)}, 201);
}

HttpResponse method_not_allowed(Format fmt, std::string allow) {
  HttpResponse r = error_response(fmt, 405, "method not allowed; use " + allow);
  r.headers.emplace_back("Allow", std::move(allow));
  return r;
}

HttpResponse dispatch(const HttpRequest& req, std::string_view rest, std::string_view query_string,
                      Open311Deps& deps) {
  // rest: "services.json", "services/{code}.xml", "requests/{id}.json", "tokens/{token}.xml"…
  const size_t dot = rest.rfind('.');
  if (dot == std::string_view::npos) {
    return error_response(Format::kXml, 404, "not found: add the format, .xml or .json");
  }
  const std::string_view ext = rest.substr(dot + 1);
  Format fmt = Format::kXml;
  if (ext == "json") {
    fmt = Format::kJson;
  } else if (ext != "xml") {
    return error_response(Format::kXml, 404,
                          "format not supported: '" + std::string(ext) + "' (use xml or json)");
  }
  const std::string_view resource = rest.substr(0, dot);
  const size_t slash = resource.find('/');
  const std::string_view head = resource.substr(0, slash);
  const std::string key =
      slash == std::string_view::npos ? std::string() : std::string(resource.substr(slash + 1));
  const bool keyed = slash != std::string_view::npos;
  if (keyed && (key.empty() || key.find('/') != std::string::npos)) {
    return error_response(fmt, 404, "not found");
  }
  const bool known = (!keyed && (head == "discovery" || head == "services" || head == "requests" ||
                                 head == "servicerequestupdates")) ||
                     (keyed && (head == "services" || head == "requests" || head == "tokens"));
  if (!known) return error_response(fmt, 404, "not found: " + std::string(resource));
  const bool postable = !keyed && head == "requests";
  if (req.method != "GET" && !(postable && req.method == "POST")) {
    return method_not_allowed(fmt, postable ? "GET, POST" : "GET");
  }
  auto query = forms::parse_urlencoded(query_string);
  if (!query) return error_response(fmt, 400, "query string: " + query.error().message);
  const std::string_view jurisdiction = arg(query.value(), "jurisdiction_id");
  if (!jurisdiction.empty() && jurisdiction != deps.jurisdiction_id) {
    return error_response(fmt, 404, "jurisdiction_id not found: " + std::string(jurisdiction));
  }
  if (req.method == "POST") return post_request(fmt, req, query.value(), deps);
  const UnixTime now =
      deps.clock != nullptr ? deps.clock->now() : static_cast<UnixTime>(std::time(nullptr));
  if (head == "discovery") {
    return render(200, fmt, "discovery", "", json::value(discovery(deps)));
  }
  if (head == "services") {
    return keyed ? get_service_definition(fmt, key, deps) : get_services(fmt, deps);
  }
  if (head == "tokens") return get_token(fmt, key, deps);
  if (head == "servicerequestupdates") return get_updates(fmt, query.value(), deps, now);
  return keyed ? get_request(fmt, key, deps) : get_requests(fmt, query.value(), deps, now);
}

}  // namespace

std::optional<http::HttpResponse> open311_routes(const http::HttpRequest& req,
                                                 std::string_view path,
                                                 std::string_view query_string, Open311Deps& deps) {
  if (path.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  HttpResponse r = dispatch(req, path.substr(kPrefix.size()), query_string, deps);
  if (req.method == "POST") {
    r.headers.emplace_back("Cache-Control", "no-store");
  } else {
    r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  }
  return r;
}

}  // namespace nguon::app
