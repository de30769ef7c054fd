// Pure rules of the feedback capability: tracking codes, phones, redaction, Open311 attributes,
// routing and locating.
#include "core/feedback/rules.h"

#include <gtest/gtest.h>

#include <set>

namespace nguon::feedback {
namespace {

TEST(TrackingCode, TwelveSymbolsInThreeGroupsAndForgivingInput) {
  const std::string code = make_tracking_code("0123456789abcdef");
  ASSERT_EQ(code.size(), 14U);
  EXPECT_EQ(code[4], '-');
  EXPECT_EQ(code[9], '-');
  EXPECT_EQ(normalize_tracking_code(code), code);
  std::string typed = code;
  for (char& c : typed) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(normalize_tracking_code(" " + typed + " "), code);
  EXPECT_EQ(normalize_tracking_code("O1IL-0000-0000"), "0111-0000-0000");
  EXPECT_FALSE(normalize_tracking_code("ABCD-EFGH-JKM").has_value());    // 11 symbols
  EXPECT_FALSE(normalize_tracking_code("ABCD-EFGH-JKMNP").has_value());  // 13
  EXPECT_FALSE(normalize_tracking_code("ABCD-EFGH-JKU!").has_value());   // U is not Crockford
  // Different randomness gives different codes.
  std::set<std::string> seen;
  for (const char* hex :
       {"0000000000000001", "0000000000000002", "ffffffffffffffff", "8000000000000000"}) {
    seen.insert(make_tracking_code(hex));
  }
  EXPECT_EQ(seen.size(), 4U);
}

TEST(Phone, VietnameseNumbersInTheirCommonShapes) {
  EXPECT_EQ(normalize_phone("0912 345 678"), "0912345678");
  EXPECT_EQ(normalize_phone("+84 912.345.678"), "0912345678");
  EXPECT_EQ(normalize_phone("84912345678"), "0912345678");
  EXPECT_EQ(normalize_phone("(024) 3825 1234"), "02438251234");
  EXPECT_FALSE(normalize_phone("12345").has_value());
  EXPECT_FALSE(normalize_phone("+33 6 12 34 56 78").has_value());
  EXPECT_FALSE(normalize_phone("0912abc678").has_value());
  EXPECT_EQ(contact_key("Dan@Example.VN", "0912345678"), "e:dan@example.vn");
  EXPECT_EQ(contact_key("", "+84912345678"), "p:0912345678");
  EXPECT_EQ(contact_key("", "nope"), "");
}

TEST(Redact, ContactsIdentityNumbersAndTheCitizensNameGo) {
  EXPECT_EQ(redact("Gọi 0912.345.678 hoặc +84 912 345 678.", {}), "Gọi […] hoặc […].");
  EXPECT_EQ(redact("Thư: dan.nguyen@example.vn.", {}), "Thư: […].");
  EXPECT_EQ(redact("CCCD 038095001234, CMND 123456789", {}), "CCCD […], CMND […]");
  // Money and dates survive.
  EXPECT_EQ(redact("Hỗ trợ 150.000.000 đồng ngày 25/11/2026", {}),
            "Hỗ trợ 150.000.000 đồng ngày 25/11/2026");
  EXPECT_EQ(redact("Ông NGUYEN VAN AN và ông Nguyễn Văn An", {"Nguyễn Văn An"}),
            "Ông […] và ông […]");
  EXPECT_EQ(redact("An toàn giao thông", {"An"}), "An toàn giao thông");  // one word: kept
}

TEST(Attributes, DefinitionsAndAnswersAreChecked) {
  auto def = parse_attributes(
      R"([{"code":"size","datatype":"number","required":true,"description":"Kích thước","order":2},)"
      R"({"code":"kind","datatype":"multivaluelist","description":"Loại","order":1,"values":[{"key":"a","name":"A"},{"key":"b","name":"B"}]}])");
  ASSERT_TRUE(def.ok()) << def.error().message;
  ASSERT_EQ(def->size(), 2U);
  EXPECT_EQ(def->front().code, "kind");  // ordered by `order`
  EXPECT_EQ(check_attribute_answers(*def, {{"size", "2.5"}, {"kind", "a"}, {"kind", "b"}}).value(),
            R"({"kind":["a","b"],"size":"2.5"})");
  EXPECT_EQ(check_attribute_answers(*def, {{"kind", "a"}}).error().code, "invalid_attribute");
  EXPECT_EQ(check_attribute_answers(*def, {{"size", "big"}}).error().code, "invalid_attribute");
  EXPECT_EQ(check_attribute_answers(*def, {{"size", "1"}, {"kind", "c"}}).error().code,
            "invalid_attribute");
  EXPECT_FALSE(parse_attributes(R"([{"code":"x","datatype":"colour","description":"d"}])").ok());
  EXPECT_FALSE(
      parse_attributes(R"([{"code":"x","datatype":"singlevaluelist","description":"d"}])").ok());
  EXPECT_FALSE(parse_attributes("{").ok());
  EXPECT_TRUE(parse_attributes("").value().empty());
  // Round trip.
  EXPECT_EQ(parse_attributes(attributes_to_json(*def)).value().size(), 2U);
}

TEST(Routing, LongestAreaThenExactCategory) {
  std::vector<RoutingRule> rules = {{1, "*", "38", "VN/38/", "38", 0},
                                    {2, "roads", "38", "VN/38/", "38", 7},
                                    {3, "*", "14797", "VN/38/14797/", "14797", 0}};
  EXPECT_EQ(pick_rule(rules, "roads", "VN/38/16597/")->id, 2);
  EXPECT_EQ(pick_rule(rules, "health", "VN/38/16597/")->id, 1);
  EXPECT_EQ(pick_rule(rules, "roads", "VN/38/14797/14797-001/")->id, 3);
  EXPECT_FALSE(pick_rule(rules, "roads", "VN/01/00004/").has_value());
}

TEST(Places, DistanceAndNearestDevice) {
  EXPECT_NEAR(distance_km(21.0285, 105.8542, 10.7769, 106.7009), 1137, 10);  // Hà Nội–HCMC
  EXPECT_TRUE(inside_vietnam(8.6, 111.9));  // Trường Sa special zone's reefs
  EXPECT_FALSE(inside_vietnam(48.85, 2.35));
  std::vector<Device> devices(3);
  devices[0].commune_code = "A";
  devices[0].lat = 19.8;
  devices[0].lon = 105.78;
  devices[1].commune_code = "B";
  devices[1].lat = 19.81;
  devices[1].lon = 105.79;
  devices[1].status = DeviceStatus::kDecommissioned;  // ignored
  devices[2].commune_code = "C";                      // no coordinates: ignored
  auto near = nearest_commune(devices, 19.811, 105.791, 15);
  ASSERT_TRUE(near.has_value());
  EXPECT_EQ(near->commune_code, "A");
  EXPECT_FALSE(nearest_commune(devices, 10.77, 106.70, 15).has_value());
}

}  // namespace
}  // namespace nguon::feedback
