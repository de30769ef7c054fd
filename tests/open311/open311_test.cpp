// Open311 GeoReport v2 (app/open311.cpp) over a real FeedbackDesk on SQLite: every endpoint in
// XML and JSON, every class of bad input, the token flow through moderation, request filters
// and request updates. XML responses are parsed with libxml2 (tests only).
#include "app/open311.h"

#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/api_support.h"
#include "core/feedback/rules.h"
#include "core/workdays/work_calendar.h"
#include "tests/support/fakes.h"
#include "tests/support/form_bodies.h"

namespace nguon::app {
namespace {
namespace json = boost::json;
using http::HttpRequest;
using http::HttpResponse;

constexpr UnixTime kDay = 86400;

// ---- helpers ----

// A parsed XML response; queries by XPath.
class Xml {
 public:
  explicit Xml(const std::string& body)
      : doc_(xmlReadMemory(body.data(), static_cast<int>(body.size()), "response.xml", nullptr,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)) {}
  ~Xml() {
    if (doc_ != nullptr) xmlFreeDoc(doc_);
  }
  Xml(const Xml&) = delete;
  Xml& operator=(const Xml&) = delete;

  bool ok() const { return doc_ != nullptr; }
  std::string root() const {
    xmlNodePtr r = xmlDocGetRootElement(doc_);
    return r == nullptr ? "" : reinterpret_cast<const char*>(r->name);
  }
  // The text content of every node `xpath` selects.
  std::vector<std::string> all(const std::string& xpath) const {
    std::vector<std::string> out;
    if (doc_ == nullptr) return out;
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc_);
    xmlXPathObjectPtr res =
        xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(xpath.c_str()), ctx);
    if (res != nullptr && res->nodesetval != nullptr) {
      for (int i = 0; i < res->nodesetval->nodeNr; ++i) {
        xmlChar* text = xmlNodeGetContent(res->nodesetval->nodeTab[i]);
        out.emplace_back(text == nullptr ? "" : reinterpret_cast<const char*>(text));
        xmlFree(text);
      }
    }
    xmlXPathFreeObject(res);
    xmlXPathFreeContext(ctx);
    return out;
  }
  std::string one(const std::string& xpath) const {
    auto v = all(xpath);
    return v.empty() ? "<none>" : v.front();
  }
  size_t count(const std::string& xpath) const { return all(xpath).size(); }

 private:
  xmlDocPtr doc_;
};

using Fields = testing::FormFields;
using testing::FilePart;
using testing::url_encode;

std::string form(const Fields& fields) { return testing::urlencoded(fields); }

std::string utc(UnixTime t) {
  std::time_t tt = t;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// An in-memory content-addressed media store.
class MemoryMedia final : public MediaStore {
 public:
  explicit MemoryMedia(Crypto& crypto) : crypto_(crypto) {}
  Result<MediaInfo> put(std::string_view bytes, std::string_view content_type) override {
    MediaInfo info{crypto_.sha256_hex(bytes), static_cast<std::int64_t>(bytes.size()),
                   std::string(content_type)};
    files_[info.sha256] = std::string(bytes);
    return info;
  }
  Result<std::string> path_of(const std::string& sha256) override {
    return not_found("no file for " + sha256);
  }
  Result<std::string> read(const std::string& sha256) override {
    auto it = files_.find(sha256);
    if (it == files_.end()) return not_found("no such media");
    return it->second;
  }
  size_t size() const { return files_.size(); }

 private:
  Crypto& crypto_;
  std::map<std::string, std::string> files_;
};

const char* kRoadAttributes = R"json([
  {"code":"kind","datatype":"singlevaluelist","required":true,"description":"Loại hư hỏng",
   "order":1,"values":[{"key":"pothole","name":"Ổ gà"},{"key":"crack","name":"Nứt mặt đường"}]},
  {"code":"width","datatype":"number","required":true,"description":"Bề rộng (m)","order":2,
   "datatype_description":"Số mét, ví dụ 1.5"},
  {"code":"tags","datatype":"multivaluelist","required":false,"description":"Ảnh hưởng",
   "order":3,"values":[{"key":"traffic","name":"Giao thông"},{"key":"flood","name":"Ngập"}]}
])json";

// ---- fixture ----

class Open311Test : public ::testing::Test {
 protected:
  Open311Test()
      : clock_(static_cast<UnixTime>(std::time(nullptr))),
        crypto_(Argon2Profile::kMin),
        accounts_(db_.store(), clock_, crypto_, SecurityPolicy{}),
        limiter_(clock_, 1000, 3600),
        media_(crypto_) {
    const RequestOrigin origin{"cli:test", "local"};
    const std::string admin_pw = accounts_.ensure_admin("admin", "VN", origin).value();
    admin_ = accounts_.login("admin", admin_pw, "127.0.0.1").value().principal;
    const std::string pw = "mat-khau-rat-dai-123";
    NewUser h{"canbo", "Cán bộ tiếp nhận", "VN", pw, {{Role::kFeedbackHandler, "VN"}}};
    EXPECT_TRUE(accounts_.create_user_as_system(h, origin));
    handler_ = accounts_.login("canbo", pw, "127.0.0.1").value().principal;
    NewUser c{"ungdung", "Ứng dụng phản ánh", "VN", pw, {{Role::kViewer, "VN"}}};
    EXPECT_TRUE(accounts_.create_user_as_system(c, origin));
    const auto client = accounts_.login("ungdung", pw, "127.0.0.1").value().principal;
    api_key_ = accounts_.create_token(client, "Ứng dụng Open311", 30, origin).value().secret;
    make_desk(false);

    FeedbackService road;
    road.code = "road";
    road.name_vi = "Hư hỏng đường sá";
    road.name_en = "Road damage";
    road.description = "Ổ gà, nứt mặt đường";
    road.group = "Hạ tầng";
    road.keywords = "đường, ổ gà";
    road.attributes_json = kRoadAttributes;
    EXPECT_TRUE(desk_->put_service(admin_, road, origin));
    FeedbackService light;
    light.code = "light";
    light.name_vi = "Đèn đường";
    light.group = "Hạ tầng";
    EXPECT_TRUE(desk_->put_service(admin_, light, origin));
    FeedbackService old;
    old.code = "old";
    old.name_vi = "Lĩnh vực cũ";
    old.active = false;
    EXPECT_TRUE(desk_->put_service(admin_, old, origin));
  }

  // (Re)creates the desk; `moderate` = moderate first-time submitters.
  void make_desk(bool moderate, RateLimiter* limiter = nullptr, MediaStore* media = nullptr) {
    deps_.reset();
    FeedbackSettings settings;
    settings.moderate_first_time = moderate;
    settings.fallback_unit = "14797";  // no devices in the test store: points land here
    settings.portal_base_url = "https://nguon.example.vn";
    desk_ = std::make_unique<FeedbackDesk>(db_.store(), clock_, crypto_, calendar_, settings);
    deps_ = std::make_unique<Open311Deps>(Open311Deps{
        *desk_, accounts_, media, limiter == nullptr ? limiter_ : *limiter, "nguon.vn"});
  }

  HttpResponse call(const std::string& method, const std::string& target, std::string body = "",
                    std::string content_type = "") {
    HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = std::move(body);
    r.remote_ip = "203.0.113.7";
    if (!content_type.empty()) r.headers.emplace_back("content-type", std::move(content_type));
    const size_t q = target.find('?');
    const std::string path = target.substr(0, q);
    const std::string query = q == std::string::npos ? "" : target.substr(q + 1);
    auto out = open311_routes(r, path, query, *deps_);
    EXPECT_TRUE(out.has_value()) << target;
    if (!out) return {};
    if (out->content_type.rfind("text/xml", 0) == 0) {
      Xml x(out->body);
      EXPECT_TRUE(x.ok()) << "not well-formed XML: " << out->body;
      EXPECT_EQ(out->body.rfind("<?xml version=\"1.0\" encoding=\"utf-8\"?>", 0), 0u);
    } else {
      EXPECT_EQ(out->content_type, "application/json; charset=utf-8") << target;
      boost::system::error_code ec;
      json::parse(out->body, ec);
      EXPECT_FALSE(ec) << "not JSON: " << out->body;
    }
    return *out;
  }
  HttpResponse get(const std::string& target) { return call("GET", target); }
  HttpResponse post(const std::string& fmt, const Fields& fields) {
    return call("POST", "/open311/v2/requests." + fmt, form(fields),
                "application/x-www-form-urlencoded; charset=utf-8");
  }

  // A valid submission for the "light" service at commune 14797; `extra` fields replace those
  // of the same name or are added.
  Fields light_request(const Fields& extra = {}) {
    Fields f{{"api_key", api_key_},
             {"service_code", "light"},
             {"commune_code", "14797"},
             {"address_string", "Số 5 đường Lê Lợi"},
             {"description", "Đèn đường hỏng ba ngày nay"}};
    for (const auto& [k, v] : extra) {
      auto it = std::find_if(f.begin(), f.end(), [&](const auto& p) { return p.first == k; });
      if (it != f.end()) {
        it->second = v;
      } else {
        f.emplace_back(k, v);
      }
    }
    return f;
  }

  // Submits and returns the new service_request_id.
  std::int64_t submit(const Fields& fields) {
    HttpResponse r = post("json", fields);
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return 0;
    return json::parse(r.body).at(0).at("service_request_id").as_int64();
  }

  static json::value body(const HttpResponse& r) { return json::parse(r.body); }
  static std::string error_text(const HttpResponse& r) {
    return std::string(json::parse(r.body).at(0).at("description").as_string());
  }
  static std::vector<std::int64_t> ids(const HttpResponse& r) {
    std::vector<std::int64_t> out;
    const json::value v = json::parse(r.body);
    for (const auto& item : v.as_array()) {
      out.push_back(item.at("service_request_id").as_int64());
    }
    return out;
  }
  static std::string header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
  // The spec's error document: the status and code agree, in the response's format.
  static void expect_error(const HttpResponse& r, int status, const std::string& fragment = "") {
    EXPECT_EQ(r.status, status) << r.body;
    if (r.content_type.rfind("text/xml", 0) == 0) {
      Xml x(r.body);
      EXPECT_EQ(x.root(), "errors") << r.body;
      EXPECT_EQ(x.one("/errors/error/code"), std::to_string(status));
      EXPECT_NE(x.one("/errors/error/description").find(fragment), std::string::npos) << r.body;
    } else {
      const json::value v = json::parse(r.body);
      ASSERT_TRUE(v.is_array()) << r.body;
      EXPECT_EQ(v.at(0).at("code").as_int64(), status);
      EXPECT_NE(std::string(v.at(0).at("description").as_string()).find(fragment),
                std::string::npos)
          << r.body;
    }
  }

  testing::TempStore db_;
  testing::ManualClock clock_;
  SodiumCrypto crypto_;
  workdays::WorkCalendar calendar_;
  AccountService accounts_;
  RateLimiter limiter_;
  MemoryMedia media_;
  std::unique_ptr<FeedbackDesk> desk_;
  std::unique_ptr<Open311Deps> deps_;
  access::Principal admin_;
  access::Principal handler_;
  std::string api_key_;
  const RequestOrigin staff_{"canbo", "10.0.0.1"};
};

// ---- discovery, services, definitions ----

TEST_F(Open311Test, OtherPathsAreNotOurs) {
  HttpRequest r;
  r.method = "GET";
  EXPECT_FALSE(open311_routes(r, "/api/v1/units", "", *deps_).has_value());
  EXPECT_FALSE(open311_routes(r, "/open311/v3/services.xml", "", *deps_).has_value());
  EXPECT_FALSE(open311_routes(r, "/open311/v2", "", *deps_).has_value());
}

TEST_F(Open311Test, DiscoveryInBothFormats) {
  HttpResponse x = get("/open311/v2/discovery.xml");
  ASSERT_EQ(x.status, 200);
  EXPECT_EQ(x.content_type, "text/xml; charset=utf-8");
  EXPECT_EQ(header(x, "Access-Control-Allow-Origin"), "*");
  Xml doc(x.body);
  EXPECT_EQ(doc.root(), "discovery");
  EXPECT_TRUE(api::parse_iso8601(doc.one("/discovery/changeset")).has_value());
  EXPECT_NE(doc.one("/discovery/contact"), "<none>");
  EXPECT_NE(doc.one("/discovery/key_service"), "<none>");
  EXPECT_EQ(doc.one("/discovery/endpoints/endpoint/specification"),
            "http://wiki.open311.org/GeoReport_v2");
  EXPECT_EQ(doc.one("/discovery/endpoints/endpoint/url"), "https://nguon.example.vn/open311/v2");
  EXPECT_EQ(doc.one("/discovery/endpoints/endpoint/type"), "production");
  EXPECT_EQ(doc.all("/discovery/endpoints/endpoint/formats/format"),
            (std::vector<std::string>{"text/xml", "application/json"}));

  HttpResponse j = get("/open311/v2/discovery.json");
  ASSERT_EQ(j.status, 200);
  const json::value v = body(j);
  EXPECT_TRUE(api::parse_iso8601(std::string(v.at("changeset").as_string())).has_value());
  const json::value& e = v.at("endpoints").at(0);
  EXPECT_EQ(e.at("specification").as_string(), "http://wiki.open311.org/GeoReport_v2");
  EXPECT_EQ(e.at("type").as_string(), "production");
  EXPECT_EQ(e.at("formats").at(1).as_string(), "application/json");
}

TEST_F(Open311Test, ServicesListsActiveCategoriesInBothFormats) {
  HttpResponse j = get("/open311/v2/services.json");
  ASSERT_EQ(j.status, 200);
  std::map<std::string, json::object> by_code;
  const json::value list = body(j);
  for (const auto& s : list.as_array()) {
    by_code[std::string(s.at("service_code").as_string())] = s.as_object();
  }
  ASSERT_EQ(by_code.size(), 2u) << j.body;  // "old" is inactive
  EXPECT_EQ(by_code["road"].at("service_name").as_string(), "Hư hỏng đường sá");
  EXPECT_EQ(by_code["road"].at("metadata").as_bool(), true);
  EXPECT_EQ(by_code["road"].at("type").as_string(), "realtime");
  EXPECT_EQ(by_code["road"].at("keywords").as_string(), "đường, ổ gà");
  EXPECT_EQ(by_code["road"].at("group").as_string(), "Hạ tầng");
  EXPECT_EQ(by_code["road"].at("description").as_string(), "Ổ gà, nứt mặt đường");
  EXPECT_EQ(by_code["light"].at("metadata").as_bool(), false);

  HttpResponse x = get("/open311/v2/services.xml");
  ASSERT_EQ(x.status, 200);
  Xml doc(x.body);
  EXPECT_EQ(doc.root(), "services");
  EXPECT_EQ(doc.count("/services/service"), 2u);
  EXPECT_EQ(doc.one("/services/service[service_code='road']/metadata"), "true");
  EXPECT_EQ(doc.one("/services/service[service_code='light']/metadata"), "false");
  EXPECT_EQ(doc.one("/services/service[service_code='road']/service_name"), "Hư hỏng đường sá");
}

TEST_F(Open311Test, ServiceDefinitionInBothFormats) {
  HttpResponse j = get("/open311/v2/services/road.json");
  ASSERT_EQ(j.status, 200) << j.body;
  const json::value v = body(j);
  EXPECT_EQ(v.at("service_code").as_string(), "road");
  const json::array& attrs = v.at("attributes").as_array();
  ASSERT_EQ(attrs.size(), 3u);
  EXPECT_EQ(attrs[0].at("code").as_string(), "kind");
  EXPECT_EQ(attrs[0].at("variable").as_bool(), true);
  EXPECT_EQ(attrs[0].at("datatype").as_string(), "singlevaluelist");
  EXPECT_EQ(attrs[0].at("required").as_bool(), true);
  EXPECT_EQ(attrs[0].at("order").as_int64(), 1);
  EXPECT_EQ(attrs[0].at("description").as_string(), "Loại hư hỏng");
  EXPECT_EQ(attrs[0].at("values").at(0).at("key").as_string(), "pothole");
  EXPECT_EQ(attrs[0].at("values").at(0).at("name").as_string(), "Ổ gà");
  EXPECT_EQ(attrs[1].at("datatype").as_string(), "number");
  EXPECT_EQ(attrs[1].at("datatype_description").as_string(), "Số mét, ví dụ 1.5");

  HttpResponse x = get("/open311/v2/services/road.xml");
  ASSERT_EQ(x.status, 200);
  Xml doc(x.body);
  EXPECT_EQ(doc.root(), "service_definition");
  EXPECT_EQ(doc.one("/service_definition/service_code"), "road");
  EXPECT_EQ(doc.count("/service_definition/attributes/attribute"), 3u);
  EXPECT_EQ(doc.all("/service_definition/attributes/attribute[code='kind']/values/value/key"),
            (std::vector<std::string>{"pothole", "crack"}));
  EXPECT_EQ(doc.one("/service_definition/attributes/attribute[code='width']/required"), "true");

  HttpResponse plain = get("/open311/v2/services/light.json");
  ASSERT_EQ(plain.status, 200);
  EXPECT_TRUE(body(plain).at("attributes").as_array().empty());
}

TEST_F(Open311Test, UnknownServiceCodeIs404InBothFormats) {
  expect_error(get("/open311/v2/services/nope.json"), 404, "service_code not found");
  expect_error(get("/open311/v2/services/nope.xml"), 404, "service_code not found");
  expect_error(get("/open311/v2/services/old.json"), 404, "service_code not found");  // inactive
}

TEST_F(Open311Test, UnknownFormatAndResourceAre404) {
  HttpResponse r = get("/open311/v2/services.csv");
  EXPECT_EQ(r.content_type, "text/xml; charset=utf-8");  // XML: the format every client reads
  expect_error(r, 404, "format not supported");
  expect_error(get("/open311/v2/services"), 404, "format");
  expect_error(get("/open311/v2/requests/1.yaml"), 404, "format not supported");
  expect_error(get("/open311/v2/widgets.json"), 404, "not found");
  expect_error(get("/open311/v2/services/a/b.json"), 404, "not found");
  expect_error(get("/open311/v2/tokens.json"), 404, "not found");
}

TEST_F(Open311Test, OtherMethodsAre405) {
  HttpResponse put =
      call("PUT", "/open311/v2/requests.json", "x=1", "application/x-www-form-urlencoded");
  expect_error(put, 405);
  EXPECT_EQ(header(put, "Allow"), "GET, POST");
  HttpResponse del = call("DELETE", "/open311/v2/requests/1.xml");
  expect_error(del, 405);
  EXPECT_EQ(header(del, "Allow"), "GET");
  expect_error(call("POST", "/open311/v2/services.json", form(light_request()),
                    "application/x-www-form-urlencoded"),
               405);
}

TEST_F(Open311Test, JurisdictionMismatchIs404) {
  EXPECT_EQ(get("/open311/v2/services.json?jurisdiction_id=nguon.vn").status, 200);
  EXPECT_EQ(get("/open311/v2/services.json?jurisdiction_id=").status, 200);  // empty = absent
  expect_error(get("/open311/v2/services.json?jurisdiction_id=sfgov.org"), 404,
               "jurisdiction_id not found");
  expect_error(get("/open311/v2/requests.xml?jurisdiction_id=sfgov.org"), 404,
               "jurisdiction_id not found");
  expect_error(post("json", light_request({{"jurisdiction_id", "sfgov.org"}})), 404,
               "jurisdiction_id not found");
  EXPECT_EQ(post("json", light_request({{"jurisdiction_id", "nguon.vn"}})).status, 201);
}

TEST_F(Open311Test, MalformedQueryStringIs400) {
  expect_error(get("/open311/v2/requests.json?status=%zz"), 400, "query string");
}

// ---- POST requests ----

TEST_F(Open311Test, PostCreatesAFeedbackAndAnswersWithItsId) {
  HttpResponse r = post("json", light_request({{"first_name", "An"},
                                               {"last_name", "Nguyễn Văn"},
                                               {"email", "an@example.vn"},
                                               {"phone", "0912 345 678"},
                                               {"device_id", "abc"},
                                               {"account_id", "42"},
                                               {"media_url", "http://example.com/a.jpg"}}));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(header(r, "Cache-Control"), "no-store");
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "");
  const json::value v = body(r);
  ASSERT_EQ(v.as_array().size(), 1u);
  const std::int64_t id = v.at(0).at("service_request_id").as_int64();
  EXPECT_GT(id, 0);
  EXPECT_FALSE(v.at(0).as_object().contains("token"));
  EXPECT_TRUE(v.at(0).at("account_id").is_null());
  const std::string notice(v.at(0).at("service_notice").as_string());
  EXPECT_NE(notice.find("chậm nhất ngày"), std::string::npos) << notice;

  auto view = desk_->get(handler_, id);
  ASSERT_TRUE(view) << view.error().message;
  const Feedback& f = view->feedback;
  EXPECT_EQ(f.channel, "open311");
  EXPECT_EQ(f.client, "ungdung");  // the api_key's owner
  EXPECT_EQ(f.submitter_ip, "203.0.113.7");
  EXPECT_EQ(f.contact_name, "An Nguyễn Văn");
  EXPECT_EQ(f.contact_email, "an@example.vn");
  EXPECT_EQ(f.contact_phone, "0912345678");
  EXPECT_EQ(f.address, "Số 5 đường Lê Lợi");
  EXPECT_EQ(f.commune_code, "14797");
  EXPECT_EQ(f.status, FeedbackStatus::kReceived);
  EXPECT_EQ(notice.find(f.tracking_code), std::string::npos);
  EXPECT_EQ(r.body.find(f.tracking_code), std::string::npos);  // no token when there is an id
  EXPECT_EQ(f.description, "Đèn đường hỏng ba ngày nay");      // media_url is not stored
}

TEST_F(Open311Test, PostAnswersInXml) {
  HttpResponse r = post("xml", light_request());
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.content_type, "text/xml; charset=utf-8");
  Xml doc(r.body);
  EXPECT_EQ(doc.root(), "service_requests");
  EXPECT_GT(std::stoll(doc.one("/service_requests/request/service_request_id")), 0);
  EXPECT_NE(doc.one("/service_requests/request/service_notice").find("chậm nhất"),
            std::string::npos);
  EXPECT_EQ(doc.count("/service_requests/request/account_id"), 1u);
  EXPECT_EQ(doc.count("/service_requests/request/token"), 0u);
}

TEST_F(Open311Test, ApiKeyIsRequired) {
  Fields no_key = light_request();
  no_key.erase(no_key.begin());
  expect_error(post("json", no_key), 403, "api_key");
  expect_error(post("xml", no_key), 403, "api_key");
  Fields bad = light_request();
  bad[0].second = "ngt_00000000000000000000000000000000";
  expect_error(post("json", bad), 403, "invalid api_key");
  expect_error(post("xml", bad), 403, "invalid api_key");
  Fields empty = light_request();
  empty[0].second = "";
  expect_error(post("json", empty), 403, "api_key missing");
  // In the query string, as some clients send it.
  HttpResponse q = call("POST", "/open311/v2/requests.json?api_key=" + url_encode(api_key_),
                        form(no_key), "application/x-www-form-urlencoded");
  EXPECT_EQ(q.status, 201) << q.body;
}

TEST_F(Open311Test, ServiceCodeMissingIs400AndUnknownIs404) {
  Fields missing = light_request();
  missing.erase(missing.begin() + 1);
  expect_error(post("json", missing), 400, "service_code missing");
  expect_error(post("xml", missing), 400, "service_code missing");
  Fields unknown = light_request();
  unknown[1].second = "volcano";
  expect_error(post("json", unknown), 404, "service_code not found");
  unknown[1].second = "old";  // inactive
  expect_error(post("xml", unknown), 404, "service_code not found");
}

TEST_F(Open311Test, LocationIsRequired) {
  const Fields nowhere{
      {"api_key", api_key_}, {"service_code", "light"}, {"description", "Đèn hỏng"}};
  expect_error(post("json", nowhere), 400, "location missing");
  expect_error(post("xml", nowhere), 400, "location missing");
  // An address alone cannot be placed by the desk: it needs the commune (or a point).
  Fields text_only = nowhere;
  text_only.emplace_back("address_string", "Chợ cũ");
  expect_error(post("json", text_only), 400);
  // address_id: the commune's administrative code.
  Fields by_id = nowhere;
  by_id.emplace_back("address_id", "16597");
  const std::int64_t id = submit(by_id);
  EXPECT_EQ(desk_->get(handler_, id)->feedback.commune_code, "16597");
  // lat/long: both, numbers, inside Vietnam.
  Fields half = nowhere;
  half.emplace_back("lat", "19.80");
  expect_error(post("json", half), 400, "lat and long");
  Fields junk = nowhere;
  junk.emplace_back("lat", "19.8x");
  junk.emplace_back("long", "105.78");
  expect_error(post("json", junk), 400, "lat and long");
  Fields paris = nowhere;
  paris.emplace_back("lat", "48.85");
  paris.emplace_back("long", "2.35");
  expect_error(post("json", paris), 400, "outside Vietnam");
  Fields point = nowhere;
  point.emplace_back("lat", "19.8075");
  point.emplace_back("long", "105.7764");
  const std::int64_t at_point = submit(point);
  HttpResponse j = get("/open311/v2/requests/" + std::to_string(at_point) + ".json");
  ASSERT_EQ(j.status, 200);
  EXPECT_DOUBLE_EQ(body(j).at(0).at("lat").as_double(), 19.8075);
  EXPECT_DOUBLE_EQ(body(j).at(0).at("long").as_double(), 105.7764);
  EXPECT_NE(j.body.find("\"lat\":19.8075"), std::string::npos) << j.body;  // plain decimals
  Xml doc(get("/open311/v2/requests/" + std::to_string(at_point) + ".xml").body);
  EXPECT_EQ(doc.one("/service_requests/request/lat"), "19.8075");
  EXPECT_EQ(doc.one("/service_requests/request/long"), "105.7764");
}

TEST_F(Open311Test, VillageAndCommuneExtensions) {
  expect_error(post("json", light_request({{"village_code", "99999"}})), 400, "village");
  Fields wrong = light_request();
  wrong[2].second = "38";  // a province is not a commune
  expect_error(post("json", wrong), 400, "not a commune");
}

TEST_F(Open311Test, DescriptionIsAtMost4000Characters) {
  std::string at_limit;
  for (int i = 0; i < 4000; ++i) at_limit += "ệ";  // characters, not bytes
  EXPECT_EQ(post("json", light_request({{"description", at_limit}})).status, 201);
  Fields over = light_request();
  over[4].second = std::string(4001, 'a');
  expect_error(post("json", over), 400, "4000");
  expect_error(post("xml", over), 400, "4000");
}

TEST_F(Open311Test, AttributesAreCheckedAgainstTheDefinition) {
  const Fields base{{"api_key", api_key_},
                    {"service_code", "road"},
                    {"commune_code", "14797"},
                    {"description", "Ổ gà lớn giữa đường"}};
  auto with = [&](const Fields& extra) {
    Fields f = base;
    f.insert(f.end(), extra.begin(), extra.end());
    return f;
  };
  expect_error(post("json", with({{"attribute[kind]", "volcano"}, {"attribute[width]", "2"}})), 400,
               "attribute[kind]");
  expect_error(post("xml", with({{"attribute[kind]", "pothole"}})), 400, "attribute[width]");
  expect_error(post("json", with({{"attribute[kind]", "pothole"}, {"attribute[width]", "rộng"}})),
               400, "attribute[width]");
  expect_error(post("json", with({{"attribute[kind]", "pothole"},
                                  {"attribute[width]", "2"},
                                  {"attribute[colour]", "red"}})),
               400, "attribute[colour]");
  const std::int64_t id = submit(with({{"attribute[kind]", "pothole"},
                                       {"attribute[width]", "1.5"},
                                       {"attribute[tags][]", "traffic"},
                                       {"attribute[tags][]", "flood"}}));
  const json::value answers = json::parse(desk_->get(handler_, id)->feedback.attributes_json);
  EXPECT_EQ(answers.at("kind").as_string(), "pothole");
  EXPECT_EQ(answers.at("tags").as_array().size(), 2u);
}

TEST_F(Open311Test, MalformedBodiesAre400) {
  expect_error(
      call("POST", "/open311/v2/requests.json", "api_key=%zz", "application/x-www-form-urlencoded"),
      400);
  expect_error(call("POST", "/open311/v2/requests.xml", "garbage without parts",
                    "multipart/form-data; boundary=XyZ"),
               400);
  expect_error(
      call("POST", "/open311/v2/requests.json", "--XyZ\r\nno disposition\r\n\r\nx\r\n--XyZ--\r\n",
           "multipart/form-data; boundary=XyZ"),
      400);
  expect_error(call("POST", "/open311/v2/requests.json", "a=b", "multipart/form-data"), 400,
               "boundary");
  expect_error(call("POST", "/open311/v2/requests.json", R"({"api_key":"x"})", "application/json"),
               400, "x-www-form-urlencoded");
}

TEST_F(Open311Test, MultipartCarriesFieldsAndMedia) {
  Fields fields = light_request();
  const std::string ogg = std::string("OggS") + std::string(60, '\x01');
  // Without a media store attachments are refused.
  HttpResponse refused =
      call("POST", "/open311/v2/requests.json",
           testing::multipart(fields, {{"media", "ghi-am.ogg", "audio/ogg", ogg}}, "b0undary"),
           "multipart/form-data; boundary=b0undary");
  expect_error(refused, 400, "attachments");
  // Text-only multipart works without one.
  HttpResponse text_only =
      call("POST", "/open311/v2/requests.json", testing::multipart(fields, {}, "b0undary"),
           "multipart/form-data; boundary=b0undary");
  EXPECT_EQ(text_only.status, 201) << text_only.body;

  make_desk(false, nullptr, &media_);
  HttpResponse ok =
      call("POST", "/open311/v2/requests.json",
           testing::multipart(fields, {{"media", "ghi-am.ogg", "audio/ogg", ogg}}, "b0undary"),
           "multipart/form-data; boundary=b0undary");
  ASSERT_EQ(ok.status, 201) << ok.body;
  const std::int64_t id = body(ok).at(0).at("service_request_id").as_int64();
  const Feedback f = desk_->get(handler_, id)->feedback;
  ASSERT_EQ(f.attachments.size(), 1u);
  EXPECT_EQ(f.attachments[0].kind, "audio");
  EXPECT_EQ(media_.size(), 1u);
  // Over the per-file limit.
  deps_->max_attachment_bytes = 32;
  expect_error(
      call("POST", "/open311/v2/requests.xml",
           testing::multipart(fields, {{"media", "ghi-am.ogg", "audio/ogg", ogg}}, "b0undary"),
           "multipart/form-data; boundary=b0undary"),
      413, "ghi-am.ogg");
  deps_->max_attachment_bytes = 5 << 20;
  // A file that is neither a photo nor a recording.
  HttpResponse exe =
      call("POST", "/open311/v2/requests.json",
           testing::multipart(fields, {{"media", "x.exe", "image/jpeg", "MZ\x90\x00 binary"}},
                              "b0undary"),
           "multipart/form-data; boundary=b0undary");
  expect_error(exe, 400);
}

TEST_F(Open311Test, ScriptInDescriptionIsEscapedOnOutput) {
  const std::string nasty = "<script>alert(\"x&y\")</script> 'trích dẫn' & <b>đậm</b>";
  const std::int64_t id = submit(light_request({{"description", nasty}}));
  HttpResponse x = get("/open311/v2/requests/" + std::to_string(id) + ".xml");
  ASSERT_EQ(x.status, 200);
  EXPECT_EQ(x.body.find("<script>"), std::string::npos) << x.body;
  EXPECT_EQ(x.body.find("<b>"), std::string::npos);
  EXPECT_NE(x.body.find("&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt; &apos;"),
            std::string::npos)
      << x.body;
  EXPECT_EQ(Xml(x.body).one("/service_requests/request/description"), nasty);
  HttpResponse j = get("/open311/v2/requests/" + std::to_string(id) + ".json");
  ASSERT_EQ(j.status, 200);
  EXPECT_EQ(body(j).at(0).at("description").as_string(), nasty);
  HttpResponse list = get("/open311/v2/requests.xml");
  EXPECT_EQ(list.body.find("<script>"), std::string::npos);
  EXPECT_EQ(Xml(list.body).one("/service_requests/request[service_request_id='" +
                               std::to_string(id) + "']/description"),
            nasty);
}

TEST_F(Open311Test, PostsAreRateLimitedPerAddress) {
  RateLimiter strict(clock_, 2, 3600);
  make_desk(false, &strict);
  EXPECT_EQ(post("json", light_request()).status, 201);
  EXPECT_EQ(post("json", light_request()).status, 201);
  HttpResponse third = post("xml", light_request());
  expect_error(third, 429);
  EXPECT_EQ(header(third, "Retry-After"), "3600");
  EXPECT_EQ(get("/open311/v2/requests.json").status, 200);  // reads are not limited here
  clock_.advance(3601);
  EXPECT_EQ(post("json", light_request()).status, 201);
}

// ---- GET requests ----

TEST_F(Open311Test, GetOneRequestInBothFormats) {
  const std::int64_t id = submit(
      light_request({{"first_name", "Bình"}, {"last_name", "Trần"}, {"email", "binh@example.vn"}}));
  const Feedback stored = desk_->get(handler_, id)->feedback;
  HttpResponse j = get("/open311/v2/requests/" + std::to_string(id) + ".json");
  ASSERT_EQ(j.status, 200) << j.body;
  EXPECT_EQ(header(j, "Access-Control-Allow-Origin"), "*");
  const json::value v = body(j);
  ASSERT_EQ(v.as_array().size(), 1u);
  const json::object& o = v.at(0).as_object();
  EXPECT_EQ(o.at("service_request_id").as_int64(), id);
  EXPECT_EQ(o.at("status").as_string(), "open");
  EXPECT_EQ(o.at("status_notes").as_string(), "");
  EXPECT_EQ(o.at("service_name").as_string(), "Đèn đường");
  EXPECT_EQ(o.at("service_code").as_string(), "light");
  EXPECT_EQ(o.at("agency_responsible").as_string(), "14797");
  EXPECT_EQ(o.at("address").as_string(), "Số 5 đường Lê Lợi");
  EXPECT_EQ(o.at("address_id").as_string(), "14797");
  EXPECT_EQ(o.at("zipcode").as_string(), "");
  EXPECT_FALSE(o.contains("lat"));
  EXPECT_FALSE(o.contains("media_url"));
  const std::string requested(o.at("requested_datetime").as_string());
  EXPECT_EQ(requested.substr(requested.size() - 6), "+07:00");
  EXPECT_EQ(api::parse_iso8601(requested), stored.submitted_at);
  EXPECT_EQ(api::parse_iso8601(std::string(o.at("updated_datetime").as_string())),
            stored.updated_at);
  EXPECT_EQ(api::parse_iso8601(std::string(o.at("expected_datetime").as_string())),
            desk_->expected_at(stored));
  EXPECT_NE(std::string(o.at("service_notice").as_string()).find("chậm nhất ngày"),
            std::string::npos);
  // Nothing private: no tracking code, no contact.
  EXPECT_EQ(j.body.find(stored.tracking_code), std::string::npos);
  EXPECT_EQ(j.body.find("binh@example.vn"), std::string::npos);
  EXPECT_EQ(j.body.find("Trần"), std::string::npos);

  HttpResponse x = get("/open311/v2/requests/" + std::to_string(id) + ".xml");
  ASSERT_EQ(x.status, 200);
  Xml doc(x.body);
  EXPECT_EQ(doc.root(), "service_requests");
  EXPECT_EQ(doc.count("/service_requests/request"), 1u);
  EXPECT_EQ(doc.one("/service_requests/request/service_request_id"), std::to_string(id));
  EXPECT_EQ(doc.one("/service_requests/request/status"), "open");
  EXPECT_EQ(doc.one("/service_requests/request/service_name"), "Đèn đường");
  EXPECT_EQ(doc.one("/service_requests/request/requested_datetime"), requested);
  EXPECT_EQ(doc.count("/service_requests/request/zipcode"), 1u);
  EXPECT_EQ(x.body.find(stored.tracking_code), std::string::npos);
}

TEST_F(Open311Test, UnknownRequestIdIs404) {
  expect_error(get("/open311/v2/requests/999999.json"), 404, "service_request_id not found");
  expect_error(get("/open311/v2/requests/999999.xml"), 404, "service_request_id not found");
  expect_error(get("/open311/v2/requests/abc.json"), 404, "service_request_id not found");
  expect_error(get("/open311/v2/requests/-1.xml"), 404);
}

TEST_F(Open311Test, ClosedRequestsCarryTheirNotes) {
  const std::int64_t rejected = submit(light_request());
  ASSERT_TRUE(desk_->reject(handler_, rejected, "Trùng với phản ánh đã xử lý", staff_));
  const std::int64_t target = submit(light_request());
  const std::int64_t duplicate = submit(light_request());
  ASSERT_TRUE(desk_->merge(handler_, duplicate, target, staff_));

  const json::value r = body(get("/open311/v2/requests/" + std::to_string(rejected) + ".json"));
  EXPECT_EQ(r.at(0).at("status").as_string(), "closed");
  EXPECT_EQ(r.at(0).at("status_notes").as_string(), "Trùng với phản ánh đã xử lý");
  EXPECT_FALSE(r.at(0).as_object().contains("expected_datetime"));
  EXPECT_EQ(r.at(0).at("service_notice").as_string(), "");
  Xml m(get("/open311/v2/requests/" + std::to_string(duplicate) + ".xml").body);
  EXPECT_EQ(m.one("/service_requests/request/status"), "closed");
  EXPECT_NE(m.one("/service_requests/request/status_notes").find("#" + std::to_string(target)),
            std::string::npos);
  EXPECT_EQ(m.count("/service_requests/request/expected_datetime"), 0u);
}

TEST_F(Open311Test, RequestFilters) {
  const UnixTime wall = clock_.now();
  clock_.set(wall - 100 * kDay);
  const std::int64_t ancient = submit(light_request());
  clock_.set(wall - 60 * kDay);
  const UnixTime t0 = clock_.now();
  const std::int64_t a = submit(light_request());
  clock_.set(t0 + 10 * kDay);
  const std::int64_t b = submit(light_request({{"commune_code", "16597"}}));
  Fields road{{"api_key", api_key_},   {"service_code", "road"},     {"commune_code", "14797"},
              {"description", "Ổ gà"}, {"attribute[kind]", "crack"}, {"attribute[width]", "3"}};
  clock_.set(t0 + 20 * kDay);
  const std::int64_t c = submit(road);
  ASSERT_TRUE(desk_->reject(handler_, b, "Ngoài phạm vi", staff_));
  ASSERT_TRUE(desk_->accept(handler_, c, staff_));
  clock_.set(wall);

  using Ids = std::vector<std::int64_t>;
  // Default: the last 90 days, newest first.
  EXPECT_EQ(ids(get("/open311/v2/requests.json")), (Ids{c, b, a}));
  // Ids: in the order asked, unknown ones left out, other filters ignored.
  EXPECT_EQ(ids(get("/open311/v2/requests.json?service_request_id=" + std::to_string(a) + "," +
                    std::to_string(ancient) + ",99999&status=closed&service_code=road")),
            (Ids{a, ancient}));
  EXPECT_EQ(ids(get("/open311/v2/requests.json?service_request_id=" + std::to_string(c) + "%2C%20" +
                    std::to_string(b))),
            (Ids{c, b}));
  expect_error(get("/open311/v2/requests.json?service_request_id=1,x"), 400, "service_request_id");
  // Status.
  EXPECT_EQ(ids(get("/open311/v2/requests.json?status=open")), (Ids{c, a}));
  EXPECT_EQ(ids(get("/open311/v2/requests.json?status=closed")), (Ids{b}));
  EXPECT_EQ(ids(get("/open311/v2/requests.json?status=open,closed")), (Ids{c, b, a}));
  expect_error(get("/open311/v2/requests.json?status=pending"), 400, "status");
  // Service codes (a comma list too).
  EXPECT_EQ(ids(get("/open311/v2/requests.json?service_code=road")), (Ids{c}));
  EXPECT_EQ(ids(get("/open311/v2/requests.json?service_code=light")), (Ids{b, a}));
  EXPECT_EQ(ids(get("/open311/v2/requests.json?service_code=road,light")), (Ids{c, b, a}));
  EXPECT_EQ(ids(get("/open311/v2/requests.json?service_code=none")), (Ids{}));
  // Dates: w3c with a zone, or a bare date (Vietnam's day).
  EXPECT_EQ(ids(get("/open311/v2/requests.json?start_date=" + utc(t0 + 5 * kDay))), (Ids{c, b}));
  // Only end_date: the 90 days before it.
  EXPECT_EQ(ids(get("/open311/v2/requests.json?end_date=" + utc(t0 + 15 * kDay))),
            (Ids{b, a, ancient}));
  EXPECT_EQ(ids(get("/open311/v2/requests.json?start_date=" + utc(t0) +
                    "&end_date=" + utc(t0 + 10 * kDay))),
            (Ids{b, a}));  // end_date is included
  EXPECT_EQ(ids(get("/open311/v2/requests.json?start_date=" + utc(wall - 120 * kDay) +
                    "&end_date=" + utc(wall - 95 * kDay))),
            (Ids{ancient}));
  const std::string local_start = api::iso8601(t0 + 5 * kDay + 7 * 3600).substr(0, 19) + "%2B07:00";
  EXPECT_EQ(ids(get("/open311/v2/requests.json?start_date=" + local_start + "&status=open")),
            (Ids{c}));
  expect_error(get("/open311/v2/requests.json?start_date=yesterday"), 400, "start_date");
  expect_error(get("/open311/v2/requests.json?end_date=2026-13-01T00:00:00Z"), 400, "end_date");
  expect_error(get("/open311/v2/requests.json?start_date=2026-11-01T00:00:00"), 400,
               "start_date");  // no zone
  expect_error(get("/open311/v2/requests.json?start_date=" + utc(wall - 200 * kDay) +
                   "&end_date=" + utc(wall)),
               400, "90 days");
  expect_error(
      get("/open311/v2/requests.json?start_date=" + utc(wall) + "&end_date=" + utc(wall - kDay)),
      400, "end_date");
  // The same list in XML.
  Xml doc(get("/open311/v2/requests.xml?status=open").body);
  EXPECT_EQ(doc.all("/service_requests/request/service_request_id"),
            (std::vector<std::string>{std::to_string(c), std::to_string(a)}));
  EXPECT_EQ(Xml(get("/open311/v2/requests.xml?service_code=none").body).root(), "service_requests");
}

TEST_F(Open311Test, DatesInLocalTimeWithFractionsBareDatesAndAnUnescapedPlus) {
  const std::int64_t id = submit(light_request());
  const UnixTime now = clock_.now();
  const UnixTime shift = 7 * 3600;
  const auto local = [&](UnixTime t) { return api::iso8601(t + shift).substr(0, 19); };
  using Ids = std::vector<std::int64_t>;
  // "+07:00" sent unescaped arrives as " 07:00" and is still read as the zone.
  EXPECT_EQ(ids(get("/open311/v2/requests.json?start_date=" + local(now - 3600) + "+07:00")),
            (Ids{id}));
  EXPECT_EQ(ids(get("/open311/v2/requests.json?start_date=" + local(now + 3600) + "%2B07:00")),
            (Ids{}));
  EXPECT_EQ(ids(get("/open311/v2/requests.json?start_date=" + local(now - 1) + ".250%2B07:00")),
            (Ids{id}));
  // A bare date is that day in Vietnam, end_date included.
  const std::string today = api::iso8601(now + shift).substr(0, 10);
  EXPECT_EQ(ids(get("/open311/v2/requests.json?start_date=" + today + "&end_date=" + today)),
            (Ids{id}));
}

// ---- tokens and moderation ----

TEST_F(Open311Test, TokensFollowModeration) {
  make_desk(true);
  // A first-time submitter waits in moderation: a token, no id.
  HttpResponse r = post("json", light_request({{"email", "moi@example.vn"}}));
  ASSERT_EQ(r.status, 201) << r.body;
  const json::value posted = body(r);
  const json::object& item = posted.at(0).as_object();
  EXPECT_FALSE(item.contains("service_request_id"));
  const std::string token(item.at("token").as_string());
  EXPECT_TRUE(feedback::normalize_tracking_code(token).has_value());
  EXPECT_NE(std::string(item.at("service_notice").as_string()).find("kiểm duyệt"),
            std::string::npos);
  const std::int64_t id = desk_->track(token)->feedback.id;

  HttpResponse waiting = get("/open311/v2/tokens/" + token + ".json");
  ASSERT_EQ(waiting.status, 200) << waiting.body;
  EXPECT_EQ(body(waiting).at(0).at("token").as_string(), token);
  EXPECT_FALSE(body(waiting).at(0).as_object().contains("service_request_id"));
  Xml wx(get("/open311/v2/tokens/" + token + ".xml").body);
  EXPECT_EQ(wx.one("/service_requests/request/token"), token);
  EXPECT_EQ(wx.count("/service_requests/request/service_request_id"), 0u);
  // Not public while in moderation.
  expect_error(get("/open311/v2/requests/" + std::to_string(id) + ".json"), 404);
  EXPECT_TRUE(ids(get("/open311/v2/requests.json")).empty());
  EXPECT_EQ(body(get("/open311/v2/servicerequestupdates.json")).as_array().size(), 0u);

  ASSERT_TRUE(desk_->moderate(handler_, id, true, "", staff_));
  HttpResponse done = get("/open311/v2/tokens/" + token + ".json");
  ASSERT_EQ(done.status, 200);
  EXPECT_EQ(body(done).at(0).at("service_request_id").as_int64(), id);
  EXPECT_EQ(body(done).at(0).at("token").as_string(), token);
  Xml dx(get("/open311/v2/tokens/" + token + ".xml").body);
  EXPECT_EQ(dx.one("/service_requests/request/service_request_id"), std::to_string(id));
  EXPECT_EQ(dx.one("/service_requests/request/token"), token);
  // Typed loosely (lower case, no dashes) it still resolves.
  std::string loose;
  for (char ch : token) {
    if (ch != '-') loose += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  EXPECT_EQ(get("/open311/v2/tokens/" + loose + ".json").status, 200);
  // The tracking code never appears in public reads.
  HttpResponse pub = get("/open311/v2/requests/" + std::to_string(id) + ".json");
  ASSERT_EQ(pub.status, 200);
  EXPECT_EQ(pub.body.find(token), std::string::npos);
  EXPECT_EQ(get("/open311/v2/requests.xml").body.find(token), std::string::npos);

  // The same contact is no longer first-time: an id straight away.
  HttpResponse second = post("xml", light_request({{"email", "moi@example.vn"}}));
  ASSERT_EQ(second.status, 201);
  EXPECT_EQ(Xml(second.body).count("/service_requests/request/service_request_id"), 1u);
  EXPECT_EQ(Xml(second.body).count("/service_requests/request/token"), 0u);

  // Refused in moderation: the token leads nowhere.
  HttpResponse spam = post("xml", light_request({{"email", "spam@example.vn"}}));
  ASSERT_EQ(spam.status, 201);
  const std::string spam_token = Xml(spam.body).one("/service_requests/request/token");
  ASSERT_NE(spam_token, "<none>");
  const std::int64_t spam_id = desk_->track(spam_token)->feedback.id;
  ASSERT_TRUE(desk_->moderate(handler_, spam_id, false, "Quảng cáo", staff_));
  expect_error(get("/open311/v2/tokens/" + spam_token + ".json"), 404, "token not found");
  expect_error(get("/open311/v2/tokens/" + spam_token + ".xml"), 404, "token not found");
  expect_error(get("/open311/v2/requests/" + std::to_string(spam_id) + ".xml"), 404);
  const json::value updates = body(get("/open311/v2/servicerequestupdates.json"));
  for (const auto& u : updates.as_array()) {
    EXPECT_NE(u.at("service_request_id").as_int64(), spam_id);
  }
  // Unknown tokens.
  expect_error(get("/open311/v2/tokens/AAAA-BBBB-CCCC.json"), 404, "token not found");
  expect_error(get("/open311/v2/tokens/nonsense.xml"), 404, "token not found");
}

// ---- request updates ----

TEST_F(Open311Test, ServiceRequestUpdatesAfterAccept) {
  clock_.set(clock_.now() - kDay);  // the default window ends at the wall clock's now
  const std::int64_t id = submit(light_request());
  clock_.advance(3600);
  ASSERT_TRUE(desk_->accept(handler_, id, staff_));
  clock_.advance(3600);
  ASSERT_TRUE(desk_->add_note(handler_, id, "Đã cử đội kiểm tra <hiện trường>", true, staff_));
  ASSERT_TRUE(desk_->add_note(handler_, id, "Ghi chú nội bộ", false, staff_));

  HttpResponse j = get("/open311/v2/servicerequestupdates.json");
  ASSERT_EQ(j.status, 200) << j.body;
  EXPECT_EQ(header(j, "Access-Control-Allow-Origin"), "*");
  const json::value list = body(j);
  const json::array& all = list.as_array();
  ASSERT_EQ(all.size(), 3u) << j.body;  // received, assigned, the public note
  std::int64_t last_update = 0;
  for (const auto& u : all) {
    EXPECT_EQ(u.at("service_request_id").as_int64(), id);
    EXPECT_EQ(u.at("status").as_string(), "open");
    EXPECT_EQ(u.at("media_url").as_string(), "");
    EXPECT_GT(u.at("update_id").as_int64(), last_update);
    last_update = u.at("update_id").as_int64();
    const std::string when(u.at("updated_datetime").as_string());
    EXPECT_EQ(when.substr(when.size() - 6), "+07:00");
  }
  EXPECT_EQ(all[0].at("description").as_string(), "Đã tiếp nhận phản ánh.");
  EXPECT_NE(std::string(all[1].at("description").as_string()).find("đã nhận xử lý"),
            std::string::npos)
      << all[1];
  EXPECT_EQ(all[2].at("description").as_string(), "Đã cử đội kiểm tra <hiện trường>");
  EXPECT_EQ(j.body.find("Ghi chú nội bộ"), std::string::npos);
  EXPECT_EQ(j.body.find("canbo"), std::string::npos);

  HttpResponse x = get("/open311/v2/servicerequestupdates.xml");
  ASSERT_EQ(x.status, 200);
  Xml doc(x.body);
  EXPECT_EQ(doc.root(), "service_requests_updates");
  EXPECT_EQ(doc.count("/service_requests_updates/request_update"), 3u);
  EXPECT_EQ(doc.one("/service_requests_updates/request_update[3]/description"),
            "Đã cử đội kiểm tra <hiện trường>");
  EXPECT_NE(x.body.find("&lt;hiện trường&gt;"), std::string::npos);

  // Date window: only what happened after the accept.
  HttpResponse later =
      get("/open311/v2/servicerequestupdates.json?start_date=" + utc(clock_.now() - 1800) +
          "&end_date=" + utc(clock_.now()));
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_EQ(body(later).as_array().size(), 1u) << later.body;
  expect_error(get("/open311/v2/servicerequestupdates.xml?start_date=soon"), 400, "start_date");

  // Closing updates carry status closed.
  ASSERT_TRUE(desk_->reject(handler_, id, "Đã xử lý xong ngoài hệ thống", staff_));
  const json::array after = body(get("/open311/v2/servicerequestupdates.json")).as_array();
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(after[3].at("status").as_string(), "closed");
  EXPECT_NE(std::string(after[3].at("description").as_string()).find("Đã xử lý xong"),
            std::string::npos);
}

}  // namespace
}  // namespace nguon::app
