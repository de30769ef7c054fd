// The CAP and Atom writers (adapters/cap/cap_writer.h): what Nguồn writes validates against
// cap12.xsd and reads back to the same record (write → parse → equal), for a full alert, for the
// published samples and for the smallest alert; the Atom feed is well-formed (libxml2) and holds
// the entries with their links to the CAP documents.
#include "adapters/cap/cap_writer.h"

#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "adapters/cap/cap_parser.h"
#include "adapters/cap/cap_time.h"

namespace nguon::cap {
namespace {

using namespace nguon::alerts;

const CapSchema& schema() {
  static const std::shared_ptr<const CapSchema> kSchema =
      CapSchema::from_file(NGUON_CAP_XSD).value();
  return *kSchema;
}

std::string sample(const std::string& name) {
  std::ifstream in(std::string(NGUON_CAP_TEST_DATA) + "/" + name, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

CapAlert full_alert() {
  CapAlert a;
  a.identifier = "nguon-38-2026-0042";
  a.sender = "canhbao@thanhhoa.gov.vn";
  a.sent = *parse_cap_time("2026-10-05T14:30:00+07:00");
  a.status = CapStatus::kTest;
  a.msg_type = CapMsgType::kUpdate;
  a.source = "Ban Chỉ huy PCTT & TKCN tỉnh Thanh Hóa";
  a.scope = CapScope::kPublic;
  a.codes = {"profile:VN-NGUON:1.0"};
  a.note = "Bản tin thử nghiệm <không phát>";
  a.references = {{"canhbao@thanhhoa.gov.vn", "nguon-38-2026-0041",
                   *parse_cap_time("2026-10-05T10:00:00+07:00")}};
  a.incidents = "bao-so-10";
  CapInfo info;
  info.language = "vi-VN";
  info.categories = {"Met", "Safety"};
  info.event = "Bão số 10";
  info.response_types = {"Evacuate", "Prepare"};
  info.urgency = "Immediate";
  info.severity = "Extreme";
  info.certainty = "Likely";
  info.audience = "Người dân ven biển";
  info.event_codes = {{"VN-NCHMF", "BAO"}};
  info.effective = a.sent;
  info.onset = a.sent + 10800;
  info.expires = a.sent + 86400;
  info.sender_name = "UBND tỉnh Thanh Hóa";
  info.headline = "Bão số 10 đổ bộ: sơ tán dân ven biển";
  info.description = "Gió mạnh cấp 12, giật cấp 15.\nSóng cao 5–7 m; \"nguy hiểm\" & khẩn cấp.";
  info.instruction = "Di chuyển đến nơi trú ẩn an toàn.";
  info.web = "https://thanhhoa.gov.vn/canh-bao/42";
  info.contact = "Đường dây nóng 0237 3852 XXX";
  info.parameters = {{"layer:Nguon:priority", "emergency"}, {"empty", ""}};
  info.resources = {{"Bản đồ", "image/png", 12345, "https://thanhhoa.gov.vn/map.png", ""}};
  CapArea coast;
  coast.area_desc = "Các xã ven biển";
  coast.polygons = {{{19.92, 105.72},
                     {19.88, 105.84},
                     {19.8, 105.88},
                     {19.72, 105.84},
                     {19.74, 105.7},
                     {19.84, 105.66},
                     {19.92, 105.72}}};
  coast.circles = {{{19.7350, 105.9050}, 7.5}};
  coast.geocodes = {{"VN-ADM", "14797"}, {"VN-ADM", "38"}};
  coast.altitude = 0;
  coast.ceiling = 1500.5;
  info.areas = {coast, CapArea{.area_desc = "Toàn tỉnh", .geocodes = {{"VN-ADM", "38"}}}};
  a.infos = {info, info};
  a.infos[1].language = "en-US";
  a.infos[1].headline = "Typhoon No. 10 landfall";
  return a;
}

TEST(WriteCap, FullAlertValidatesAndRoundTrips) {
  const CapAlert a = full_alert();
  const std::string xml = write_cap(a);
  EXPECT_NE(xml.find("<sent>2026-10-05T14:30:00+07:00</sent>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<status>Test</status>"), std::string::npos);
  EXPECT_NE(xml.find("&quot;nguy hiểm&quot; &amp; khẩn cấp"), std::string::npos);
  auto back = parse_cap(xml, schema());
  ASSERT_TRUE(back.ok()) << back.error().code << ": " << back.error().message << "\n" << xml;
  EXPECT_EQ(*back, a);
}

TEST(WriteCap, SamplesRoundTrip) {
  for (const char* name : {"australia.cap", "canada.cap", "wcatwc-warning.cap"}) {
    auto first = parse_cap(sample(name), schema());
    ASSERT_TRUE(first.ok()) << name << ": " << first.error().message;
    auto again = parse_cap(write_cap(*first), schema());
    ASSERT_TRUE(again.ok()) << name << ": " << again.error().message;
    EXPECT_EQ(*again, *first) << name;
  }
}

TEST(WriteCap, SmallestAlertAndStatuses) {
  CapAlert a;
  a.identifier = "x1";
  a.sender = "nguon";
  a.sent = 0;
  for (CapStatus s : {CapStatus::kActual, CapStatus::kExercise, CapStatus::kSystem,
                      CapStatus::kTest, CapStatus::kDraft}) {
    for (CapScope scope : {CapScope::kPublic, CapScope::kRestricted, CapScope::kPrivate}) {
      a.status = s;
      a.scope = scope;
      auto back = parse_cap(write_cap(a), schema());
      ASSERT_TRUE(back.ok()) << back.error().message;
      EXPECT_EQ(*back, a);
    }
  }
  a.msg_type = CapMsgType::kCancel;
  a.references = {{"nguon", "x0", 3600}};
  auto back = parse_cap(write_cap(a), schema());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, a);
}

TEST(WriteCap, ControlCharactersAreDroppedAndCarriageReturnsKept) {
  CapAlert a;
  a.identifier = "x1";
  a.sender = "nguon";
  a.note = std::string("a\x01") + "b\r\nc\td";
  auto back = parse_cap(write_cap(a), schema());
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->note, "ab\r\nc\td");
}

struct DocFree {
  void operator()(xmlDocPtr d) const { xmlFreeDoc(d); }
};

std::vector<std::string> xpath_all(xmlDocPtr doc, const char* expr) {
  std::vector<std::string> out;
  xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
  xmlXPathRegisterNs(ctx, BAD_CAST "a", BAD_CAST "http://www.w3.org/2005/Atom");
  xmlXPathObjectPtr res = xmlXPathEvalExpression(BAD_CAST expr, ctx);
  if (res != nullptr && res->nodesetval != nullptr) {
    for (int i = 0; i < res->nodesetval->nodeNr; ++i) {
      xmlChar* s = xmlNodeGetContent(res->nodesetval->nodeTab[i]);
      out.emplace_back(reinterpret_cast<const char*>(s));
      xmlFree(s);
    }
  }
  xmlXPathFreeObject(res);
  xmlXPathFreeContext(ctx);
  return out;
}

TEST(WriteAtom, WellFormedFeedWithItsEntries) {
  AtomFeed feed;
  feed.id = "https://nguon.thanhhoa.gov.vn/alerts/feed";
  feed.title = "Cảnh báo khẩn cấp — Thanh Hóa";
  feed.self_url = "https://nguon.thanhhoa.gov.vn/alerts/feed.atom?lang=vi&x=1";
  feed.author = "UBND tỉnh Thanh Hóa";
  CapAlert alert = full_alert();
  std::vector<AtomEntry> entries{
      atom_entry_for(alert, "https://nguon.thanhhoa.gov.vn/alerts/nguon-38-2026-0042.cap"),
      AtomEntry{.id = "urn:nguon:alert:x:<1>",
                .title = "Lũ quét & sạt lở",
                .updated = alert.sent - 3600,
                .cap_url = "https://nguon.thanhhoa.gov.vn/alerts/x?a=1&b=2"}};
  const std::string xml = write_atom(feed, entries);
  std::unique_ptr<xmlDoc, DocFree> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "feed.atom", nullptr,
                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  ASSERT_NE(doc, nullptr) << xml;
  EXPECT_EQ(xpath_all(doc.get(), "/a:feed/a:title"), std::vector<std::string>{feed.title});
  EXPECT_EQ(xpath_all(doc.get(), "/a:feed/a:updated"),
            std::vector<std::string>{"2026-10-05T14:30:00+07:00"});
  EXPECT_EQ(xpath_all(doc.get(), "/a:feed/a:link[@rel='self']/@href"),
            std::vector<std::string>{feed.self_url});
  EXPECT_EQ(xpath_all(doc.get(), "/a:feed/a:author/a:name"), std::vector<std::string>{feed.author});
  EXPECT_EQ(xpath_all(doc.get(), "/a:feed/a:entry/a:title"),
            (std::vector<std::string>{"Bão số 10 đổ bộ: sơ tán dân ven biển", "Lũ quét & sạt lở"}));
  EXPECT_EQ(xpath_all(doc.get(), "/a:feed/a:entry/a:id"),
            (std::vector<std::string>{"urn:nguon:alert:canhbao@thanhhoa.gov.vn:nguon-38-2026-0042",
                                      "urn:nguon:alert:x:<1>"}));
  EXPECT_EQ(
      xpath_all(doc.get(),
                "/a:feed/a:entry/a:link[@rel='alternate'][@type='application/cap+xml']/@href"),
      (std::vector<std::string>{"https://nguon.thanhhoa.gov.vn/alerts/nguon-38-2026-0042.cap",
                                "https://nguon.thanhhoa.gov.vn/alerts/x?a=1&b=2"}));
  EXPECT_EQ(xpath_all(doc.get(), "/a:feed/a:entry/a:category/@term"),
            std::vector<std::string>{"Bão số 10"});
  EXPECT_EQ(xpath_all(doc.get(), "/a:feed/a:entry/a:summary").size(), 1u);
  // Nguồn's own feed reads back with the feed reader used for polling.
  auto back = parse_atom_feed(xml);
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[1].id, entries[1].id);
  EXPECT_EQ((*back)[1].cap_url, entries[1].cap_url);
  EXPECT_EQ((*back)[0].updated, "2026-10-05T14:30:00+07:00");
}

TEST(WriteAtom, EmptyFeedIsWellFormed) {
  const std::string xml = write_atom({.id = "urn:x", .title = "t"}, {});
  std::unique_ptr<xmlDoc, DocFree> doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()),
                                                     "feed.atom", nullptr, XML_PARSE_NOERROR));
  ASSERT_NE(doc, nullptr) << xml;
  EXPECT_TRUE(xpath_all(doc.get(), "/a:feed/a:entry").empty());
  EXPECT_EQ(xpath_all(doc.get(), "/a:feed/a:author/a:name"), std::vector<std::string>{"Nguồn"});
}

}  // namespace
}  // namespace nguon::cap
