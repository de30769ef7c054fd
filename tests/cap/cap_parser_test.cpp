// The CAP 1.2 parser (adapters/cap/cap_parser.h) on the published samples in data/ (which are
// CAP 1.2, which 1.1, which invalid), hostile documents (XXE, entity expansion, oversize) and the
// checks the schema cannot make; CAP dateTime arithmetic (adapters/cap/cap_time.h).
#include "adapters/cap/cap_parser.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "adapters/cap/cap_time.h"
#include "core/alerts/area.h"

namespace nguon::cap {
namespace {

using alerts::CapAlert;
using alerts::CapMsgType;
using alerts::CapStatus;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string sample(const std::string& name) {
  return read_file(std::string(NGUON_CAP_TEST_DATA) + "/" + name);
}

const CapSchema& schema() {
  static const std::shared_ptr<const CapSchema> kSchema = [] {
    auto s = CapSchema::from_file(NGUON_CAP_XSD);
    if (!s) ADD_FAILURE() << s.error().message;
    return s.value();
  }();
  return *kSchema;
}

// A minimal valid CAP 1.2 alert with `extra` inserted at the placeholders.
std::string doc(const std::string& header_extra, const std::string& info_extra = "",
                const std::string& msg_type = "Alert", const std::string& area_extra = "") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">\n"
         "<identifier>VN-KTTV-2026-001</identifier>\n"
         "<sender>kttv@nchmf.gov.vn</sender>\n"
         "<sent>2026-10-05T14:30:00+07:00</sent>\n"
         "<status>Actual</status>\n"
         "<msgType>" +
         msg_type +
         "</msgType>\n"
         "<scope>Public</scope>\n" +
         header_extra +
         "<info>\n"
         "<language>vi-VN</language>\n"
         "<category>Met</category>\n"
         "<event>Bão số 10</event>\n"
         "<urgency>Immediate</urgency>\n"
         "<severity>Extreme</severity>\n"
         "<certainty>Likely</certainty>\n" +
         info_extra +
         "<area>\n"
         "<areaDesc>Tỉnh Thanh Hóa</areaDesc>\n" +
         area_extra +
         "<geocode><valueName>VN-ADM</valueName><value>38</value></geocode>\n"
         "</area>\n"
         "</info>\n"
         "</alert>\n";
}

Error parse_error(const std::string& xml) {
  auto r = parse_cap(xml, schema());
  EXPECT_FALSE(r.ok()) << "accepted:\n" << xml;
  return r.ok() ? Error{} : r.error();
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(CapTime, ParsesZonedTimes) {
  EXPECT_EQ(parse_cap_time("1970-01-01T00:00:00+00:00"), 0);
  EXPECT_EQ(parse_cap_time("1970-01-01T00:00:00-00:00"), 0);
  EXPECT_EQ(parse_cap_time("1970-01-01T07:00:00+07:00"), 0);
  EXPECT_EQ(parse_cap_time("2026-10-05T14:30:00+07:00"), 1791185400);
  EXPECT_EQ(parse_cap_time("2026-10-05T02:30:00-05:00"), 1791185400);
  EXPECT_EQ(parse_cap_time("2024-02-29T12:00:00+00:00"), 1709208000);
  EXPECT_EQ(parse_cap_time("1969-12-31T23:59:59+00:00"), -1);
  EXPECT_EQ(parse_cap_time("1900-01-01T00:00:00+00:00"), -2208988800);
  for (const char* bad :
       {"2026-10-05T14:30:00Z", "2026-10-05T14:30:00", "2026-13-01T00:00:00+07:00",
        "2025-02-29T00:00:00+07:00", "2026-10-05T24:00:00+07:00", "2026-10-05 14:30:00+07:00",
        "2026-10-05T14:30:00+0700", "2026-1a-05T14:30:00+07:00", "1899-12-31T23:59:59+00:00",
        "9001-01-01T00:00:00+00:00", ""}) {
    EXPECT_FALSE(parse_cap_time(bad).has_value()) << bad;
  }
}

TEST(CapTime, FormatsAtAnOffsetAndRoundTrips) {
  EXPECT_EQ(format_cap_time(1791185400), "2026-10-05T14:30:00+07:00");
  EXPECT_EQ(format_cap_time(1791185400, 0), "2026-10-05T07:30:00+00:00");
  EXPECT_EQ(format_cap_time(1791185400, -300), "2026-10-05T02:30:00-05:00");
  EXPECT_EQ(format_cap_time(-1, 0), "1969-12-31T23:59:59+00:00");
  for (UnixTime t : {UnixTime{0}, UnixTime{-86401}, UnixTime{951782400}, UnixTime{4102444799}}) {
    EXPECT_EQ(parse_cap_time(format_cap_time(t)), t);
  }
}

TEST(CapSchemaLoad, MissingOrBadSchemaIsAnError) {
  auto missing = CapSchema::from_file("/nonexistent/cap12.xsd");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "cap_xsd");
  auto bad = CapSchema::from_memory("<schema>not a schema");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "cap_xsd");
  EXPECT_TRUE(contains(bad.error().message, "line 1")) << bad.error().message;
  auto wrong = CapSchema::from_memory(
      "<schema xmlns=\"http://www.w3.org/2001/XMLSchema\"><element type=\"x\"/></schema>");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, "cap_xsd");
  EXPECT_TRUE(contains(wrong.error().message, "name")) << wrong.error().message;
}

TEST(Samples, AustraliaIsValidCap12) {
  auto r = parse_cap(sample("australia.cap"), schema());
  ASSERT_TRUE(r.ok()) << r.error().message;
  const CapAlert& a = *r;
  EXPECT_EQ(a.identifier, "tag:www.rfs.nsw.gov.au2011-10-06:40184");
  EXPECT_EQ(a.sender, "webmaster@rfs.nsw.gov.au");
  EXPECT_EQ(a.sent, *parse_cap_time("2011-10-05T13:04:00+00:00"));
  EXPECT_EQ(a.status, CapStatus::kActual);
  EXPECT_EQ(a.msg_type, CapMsgType::kAlert);
  EXPECT_EQ(a.codes,
            std::vector<std::string>{"urn:oasis:names:tc:emergency:cap:1.2:profile:CAP-AU:1.0"});
  ASSERT_EQ(a.infos.size(), 2u);
  const auto& info = a.infos[0];
  EXPECT_EQ(info.language, "en-AU");
  EXPECT_EQ(info.categories, (std::vector<std::string>{"Fire", "Met"}));
  EXPECT_EQ(info.event, "Fire");
  EXPECT_EQ(info.urgency, "Expected");
  EXPECT_EQ(info.expires, *parse_cap_time("2011-10-06T23:04:00+10:00"));
  EXPECT_EQ(info.sender_name, "NSW Rural Fire Service");
  EXPECT_TRUE(contains(info.description, "LOCATION: 12 Cox Street, Yerong Creek<br />"));
  ASSERT_EQ(info.parameters.size(), 7u);
  EXPECT_EQ(info.parameters[0].value_name, "FuelType");
  EXPECT_EQ(info.parameters[5].value, "");
  ASSERT_EQ(info.resources.size(), 1u);
  EXPECT_EQ(info.resources[0].mime_type, "text/html");
  ASSERT_EQ(info.areas.size(), 1u);
  ASSERT_EQ(info.areas[0].circles.size(), 1u);
  EXPECT_EQ(info.areas[0].circles[0].centre, (alerts::GeoPoint{-35.3888, 147.0598}));
  EXPECT_EQ(info.areas[0].circles[0].radius_km, 25.0);
  EXPECT_EQ(info.areas[0].geocodes[0].value, "AU-NSW");
}

TEST(Samples, CanadaIsAnUpdateWithReferencesAndPolygons) {
  auto r = parse_cap(sample("canada.cap"), schema());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->msg_type, CapMsgType::kUpdate);
  ASSERT_EQ(r->references.size(), 2u);
  EXPECT_EQ(r->references[0].sender, "cap@ec.gc.ca");
  EXPECT_EQ(r->references[0].identifier, "2.49.0.1.124.a3f342a4.2012");
  EXPECT_EQ(r->references[0].sent, *parse_cap_time("2012-05-02T21:45:05-00:00"));
  EXPECT_EQ(r->references[1].identifier, "2.49.0.1.124.60f31a3a.2012");
  ASSERT_FALSE(r->infos.empty());
  ASSERT_FALSE(r->infos[0].areas.empty());
  const auto& area = r->infos[0].areas[0];
  EXPECT_EQ(area.area_desc, "Windsor - Leamington - Essex County");
  ASSERT_EQ(area.polygons.size(), 1u);
  EXPECT_EQ(area.polygons[0].size(), 17u);
  EXPECT_EQ(area.polygons[0].front(), (alerts::GeoPoint{42.3481, -82.9314}));
  EXPECT_EQ(area.polygons[0].front(), area.polygons[0].back());
  // Windsor, Ontario lies inside its own warning polygon.
  EXPECT_TRUE(alerts::point_in_polygon({42.25, -82.95}, area.polygons[0]));
  // Empty optional elements (<restriction/>, <note/>) read as empty strings.
  EXPECT_EQ(r->note, "");
}

TEST(Samples, TsunamiWarningIsAnUpdate) {
  auto r = parse_cap(sample("wcatwc-warning.cap"), schema());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->msg_type, CapMsgType::kUpdate);
  ASSERT_EQ(r->references.size(), 1u);
  EXPECT_EQ(r->references[0].sender, "PAAQ");
  EXPECT_EQ(r->references[0].identifier, "PAAQ-1-lqw6d6");
  ASSERT_FALSE(r->infos.empty());
  EXPECT_EQ(r->infos[0].expires - r->sent, 3600);
}

TEST(Samples, Cap11DocumentsAreRefusedByVersion) {
  for (const char* name : {"earthquake.cap", "weather.cap", "no_optional_fields.cap"}) {
    const Error e = parse_error(sample(name));
    EXPECT_EQ(e.code, "cap_version") << name;
    EXPECT_TRUE(contains(e.message, "only CAP 1.2")) << e.message;
    EXPECT_TRUE(contains(e.message, "urn:oasis:names:tc:emergency:cap:1.1")) << e.message;
  }
}

TEST(Samples, InvalidIsRejectedWithTheSchemaReason) {
  const Error e = parse_error(sample("invalid.cap"));
  EXPECT_EQ(e.kind, ErrorKind::kInvalid);
  EXPECT_EQ(e.code, "cap_schema");
  EXPECT_TRUE(contains(e.message, "line 9")) << e.message;
  EXPECT_TRUE(contains(e.message, "scope")) << e.message;
}

TEST(Samples, AtomFeedsAreNotCapDocuments) {
  EXPECT_EQ(parse_error(sample("earthquake_index.atom")).code, "cap_schema");
  EXPECT_EQ(parse_error(sample("weather.atom")).code, "cap_schema");
}

TEST(Parse, MinimalVietnameseAlert) {
  auto r = parse_cap(doc(""), schema());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->sent, 1791185400);
  ASSERT_EQ(r->infos.size(), 1u);
  EXPECT_EQ(r->infos[0].event, "Bão số 10");
  EXPECT_EQ(r->infos[0].areas[0].geocodes[0].value, "38");
}

TEST(Parse, MalformedXmlNamesTheLine) {
  const Error e = parse_error("<?xml version=\"1.0\"?>\n<alert>\n<identifier>x</sender>\n</alert>");
  EXPECT_EQ(e.code, "cap_malformed");
  EXPECT_TRUE(contains(e.message, "line 3")) << e.message;
  EXPECT_EQ(parse_error("").code, "cap_malformed");
  EXPECT_EQ(parse_error("not xml at all").code, "cap_malformed");
  EXPECT_EQ(parse_error(std::string("<a>\0</a>", 8)).code, "cap_malformed");
}

TEST(Parse, WrongRootOrNamespaceFailsTheSchema) {
  EXPECT_EQ(parse_error("<alert><identifier>x</identifier></alert>").code, "cap_schema");
  EXPECT_EQ(parse_error("<x xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"/>").code, "cap_schema");
  // A bad enumeration value and a date that does not exist.
  std::string bad_status = doc("");
  bad_status.replace(bad_status.find("Actual"), 6, "Real");
  EXPECT_EQ(parse_error(bad_status).code, "cap_schema");
  std::string bad_date = doc("");
  bad_date.replace(bad_date.find("2026-10-05"), 10, "2026-02-30");
  EXPECT_NE(parse_error(bad_date).code, "");
}

TEST(Parse, EnormousDocumentsAreRefusedBeforeParsing) {
  const std::string big = doc("<note>" + std::string(std::size_t{1} << 20, 'x') + "</note>\n");
  const Error e = parse_error(big);
  EXPECT_EQ(e.kind, ErrorKind::kTooLarge);
  EXPECT_EQ(e.code, "too_large");
  // The limit is adjustable; just under it passes.
  CapLimits limits;
  limits.max_bytes = 2 << 20;
  EXPECT_TRUE(parse_cap(big, schema(), limits).ok());
}

TEST(Parse, ExternalEntitiesAreNeverRead) {
  const auto secret = std::filesystem::temp_directory_path() / "nguon_cap_xxe_secret.txt";
  {
    std::ofstream out(secret);
    out << "TOP-SECRET-CONTENT";
  }
  const std::string body = doc("<note>&xxe;</note>\n");
  const std::string xxe =
      "<?xml version=\"1.0\"?>\n"
      "<!DOCTYPE alert [<!ENTITY xxe SYSTEM \"file://" +
      secret.string() + "\">]>\n" + body.substr(body.find("<alert"));
  const Error e = parse_error(xxe);
  EXPECT_EQ(e.code, "cap_malformed");
  EXPECT_TRUE(contains(e.message, "DOCTYPE")) << e.message;
  EXPECT_FALSE(contains(e.message, "TOP-SECRET")) << e.message;
  // An external DTD and a parameter entity are refused the same way.
  EXPECT_EQ(parse_error("<?xml version=\"1.0\"?>\n<!DOCTYPE alert SYSTEM \"file://" +
                        secret.string() + "\">\n<alert/>")
                .code,
            "cap_malformed");
  EXPECT_EQ(parse_error("<!DOCTYPE alert [<!ENTITY % p SYSTEM \"http://127.0.0.1:1/x\"> %p;]>"
                        "<alert/>")
                .code,
            "cap_malformed");
  std::filesystem::remove(secret);
}

TEST(Parse, EntityExpansionIsRefused) {
  std::string laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE alert [\n<!ENTITY l0 \"lol\">\n";
  for (int i = 1; i < 10; ++i) {
    laughs += "<!ENTITY l" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) laughs += "&l" + std::to_string(i - 1) + ";";
    laughs += "\">\n";
  }
  laughs += "]>\n<alert>&l9;</alert>";
  EXPECT_EQ(parse_error(laughs).code, "cap_malformed");
  // An undeclared entity is not well-formed.
  EXPECT_EQ(parse_error(doc("<note>&undeclared;</note>\n")).code, "cap_malformed");
}

TEST(Parse, UpdateAndCancelNeedReferences) {
  for (const char* type : {"Update", "Cancel"}) {
    const Error e = parse_error(doc("", "", type));
    EXPECT_EQ(e.code, "cap_semantic") << type;
    EXPECT_TRUE(contains(e.message, "references")) << e.message;
  }
  auto r = parse_cap(doc("<references>kttv@nchmf.gov.vn,VN-KTTV-2026-000,2026-10-05T10:00:00+07:00 "
                         "kttv@nchmf.gov.vn,VN-KTTV-2026-0001,2026-10-05T12:00:00+07:00"
                         "</references>\n",
                         "", "Cancel"),
                     schema());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->msg_type, CapMsgType::kCancel);
  ASSERT_EQ(r->references.size(), 2u);
  EXPECT_EQ(r->references[1].identifier, "VN-KTTV-2026-0001");
  EXPECT_EQ(r->references[1].sent, 1791176400);
  for (const char* bad :
       {"a,b", "a,b,2026-10-05", ",b,2026-10-05T10:00:00+07:00", "a,,2026-10-05T10:00:00+07:00"}) {
    EXPECT_EQ(
        parse_error(doc(std::string("<references>") + bad + "</references>\n", "", "Update")).code,
        "cap_semantic")
        << bad;
  }
}

TEST(Parse, ExpiresBeforeSentIsRefused) {
  const Error e = parse_error(doc("", "<expires>2026-10-05T14:29:59+07:00</expires>\n"));
  EXPECT_EQ(e.code, "cap_semantic");
  EXPECT_TRUE(contains(e.message, "expires")) << e.message;
  EXPECT_TRUE(parse_cap(doc("", "<expires>2026-10-05T07:30:00-00:00</expires>\n"), schema()).ok());
}

TEST(Parse, IdentifiersWithSpacesOrCommasAreRefused) {
  std::string spaced = doc("");
  spaced.replace(spaced.find("VN-KTTV-2026-001"), 16, "VN KTTV 2026");
  EXPECT_EQ(parse_error(spaced).code, "cap_semantic");
  std::string comma = doc("");
  comma.replace(comma.find("kttv@nchmf.gov.vn"), 17, "kttv,nchmf");
  EXPECT_EQ(parse_error(comma).code, "cap_semantic");
}

TEST(Parse, PolygonsAreChecked) {
  const auto with_polygon = [](const std::string& polygon) {
    return doc("", "", "Alert", "<polygon>" + polygon + "</polygon>\n");
  };
  auto ok = parse_cap(with_polygon("19.92,105.72 19.88,105.84 19.80,105.88 19.72,105.84 "
                                   "19.74,105.70 19.84,105.66 19.92,105.72"),
                      schema());
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->infos[0].areas[0].polygons[0].size(), 7u);
  const Error bow_tie = parse_error(with_polygon("0,0 1,1 1,0 0,1 0,0"));
  EXPECT_EQ(bow_tie.code, "cap_semantic");
  EXPECT_TRUE(contains(bow_tie.message, "self-intersecting")) << bow_tie.message;
  const Error open = parse_error(with_polygon("0,0 0,1 1,1 1,0"));
  EXPECT_TRUE(contains(open.message, "not closed")) << open.message;
  EXPECT_EQ(parse_error(with_polygon("0,0 0,1 1,1 x,0 0,0")).code, "cap_semantic");
  EXPECT_EQ(parse_error(with_polygon("0,0 0,1 1;1 0,0")).code, "cap_semantic");
  EXPECT_EQ(parse_error(with_polygon("0,0 0,200 1,1 0,0")).code, "cap_semantic");
  EXPECT_EQ(parse_error(with_polygon("")).code, "cap_semantic");
  // More than 1,000 points in one polygon.
  std::string many;
  for (int i = 0; i <= 1000; ++i) many += "0," + std::to_string(i * 0.001) + " ";
  const Error big = parse_error(with_polygon(many + "0,0"));
  EXPECT_TRUE(contains(big.message, "more than 1000")) << big.message;
  // More than the document's point budget over several polygons.
  std::string ring = "0,0 0,1 1,1 1,0 0,0";
  std::string area;
  for (int i = 0; i < 3; ++i) area += "<polygon>" + ring + "</polygon>\n";
  CapLimits limits;
  limits.max_points = 12;
  auto r = parse_cap(doc("", "", "Alert", area), schema(), limits);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message, "more than 12 polygon points")) << r.error().message;
}

TEST(Parse, CirclesAreChecked) {
  const auto with_circle = [](const std::string& circle) {
    return doc("", "", "Alert", "<circle>" + circle + "</circle>\n");
  };
  auto ok = parse_cap(with_circle("19.8075,105.7764 12.5"), schema());
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->infos[0].areas[0].circles[0].radius_km, 12.5);
  const Error zero = parse_error(with_circle("19.8075,105.7764 0"));
  EXPECT_EQ(zero.code, "cap_semantic");
  EXPECT_TRUE(contains(zero.message, "radius")) << zero.message;
  EXPECT_EQ(parse_error(with_circle("19.8075,105.7764 -3")).code, "cap_semantic");
  EXPECT_EQ(parse_error(with_circle("19.8075,105.7764")).code, "cap_semantic");
  EXPECT_EQ(parse_error(with_circle("19.8075 105.7764 3")).code, "cap_semantic");
  EXPECT_EQ(parse_error(with_circle("19.8075,105.7764 nan")).code, "cap_semantic");
}

TEST(Parse, SharedSchemaAcrossThreads) {
  const std::string good = sample("canada.cap");
  const std::string bad = sample("invalid.cap");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        if (!parse_cap(good, schema()).ok()) ++failures;
        auto r = parse_cap(bad, schema());
        if (r.ok() || r.error().code != "cap_schema" || !contains(r.error().message, "line 9")) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(AtomFeed, EarthquakeIndexLinksToCap) {
  auto r = parse_atom_feed(sample("earthquake_index.atom"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  const FeedEntry& e = (*r)[0];
  EXPECT_EQ(e.id, "urn:earthquake-usgs-gov:us:2010apcd");
  EXPECT_EQ(e.title, "M 5.3, Tonga");
  EXPECT_EQ(e.updated, "2010-08-30T23:25:40Z");
  ASSERT_EQ(e.links.size(), 2u);
  EXPECT_EQ(e.links[0].rel, "alternate");
  EXPECT_EQ(e.cap_url, "http://earthquake.usgs.gov/earthquakes/catalogs/cap/us2010apcd");
}

TEST(AtomFeed, WeatherFeedEntriesUseTheirLinks) {
  auto r = parse_atom_feed(sample("weather.atom"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_FALSE(r->empty());
  for (const FeedEntry& e : *r) {
    EXPECT_FALSE(e.id.empty());
    EXPECT_TRUE(e.cap_url.starts_with("http://www.weather.gov/alerts-beta/wwacapget.php?x="))
        << e.cap_url;
  }
}

TEST(AtomFeed, BadFeedsAreRefused) {
  EXPECT_EQ(parse_atom_feed("<feed").error().code, "atom_malformed");
  EXPECT_EQ(parse_atom_feed(sample("canada.cap")).error().code, "atom_not_a_feed");
  EXPECT_EQ(parse_atom_feed("<!DOCTYPE feed [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                            "<feed xmlns=\"http://www.w3.org/2005/Atom\">&x;</feed>")
                .error()
                .code,
            "atom_malformed");
  EXPECT_EQ(parse_atom_feed(std::string(100, ' '), 99).error().code, "too_large");
  auto empty = parse_atom_feed("<feed xmlns=\"http://www.w3.org/2005/Atom\"/>");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace nguon::cap
