#include "core/vi_normalizer.h"

#include <gtest/gtest.h>
#include <utf8proc.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>

#include "core/text.h"

namespace nguon::vi {
namespace {

const AbbreviationDictionary& shipped_dictionary() {
  static const AbbreviationDictionary dict = [] {
    std::ifstream in(NGUON_VI_ABBREVIATIONS_TSV, std::ios::binary);
    std::stringstream tsv;
    tsv << in.rdbuf();
    Result<AbbreviationDictionary> parsed = AbbreviationDictionary::parse(tsv.str());
    if (!parsed) {
      ADD_FAILURE() << parsed.error().message;
      return AbbreviationDictionary();
    }
    return std::move(parsed).value();
  }();
  return dict;
}

std::string nfd(std::string_view s) {
  utf8proc_uint8_t* out = utf8proc_NFD(
      reinterpret_cast<const utf8proc_uint8_t*>(std::string(s).c_str()));  // NUL-terminated copy
  std::string r(reinterpret_cast<const char*>(out));
  std::free(out);  // NOLINT(cppcoreguidelines-no-malloc)
  return r;
}

std::string spell(std::string_view s) { return normalize(s, shipped_dictionary()); }

// ---------------------------------------------------------------------------------------------
// The table: input text → what the speech engine receives.

struct Case {
  const char* name;
  std::string_view input;
  std::string_view expected;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

const Case kCases[] = {
    // Cardinal numbers.
    {"Zero", "Có 0 ca mắc.", "Có không ca mắc."},
    {"Ten", "10 hộ", "mười hộ"},
    {"Eleven", "11 hộ", "mười một hộ"},
    {"Fifteen", "15 hộ", "mười lăm hộ"},
    {"Twenty", "20 hộ", "hai mươi hộ"},
    {"TwentyOne", "21 hộ", "hai mươi mốt hộ"},
    {"TwentyFour", "24 hộ", "hai mươi tư hộ"},
    {"TwentyFive", "25 hộ", "hai mươi lăm hộ"},
    {"Fourteen", "14 và 4 hộ", "mười bốn và bốn hộ"},
    {"HundredFive", "105 hộ", "một trăm linh năm hộ"},
    {"Year", "năm 2024", "năm hai nghìn không trăm hai mươi tư"},
    {"ThousandsDots", "1.500.000 người", "một triệu năm trăm nghìn người"},
    {"Billion", "1.000.000.000", "một tỷ"},
    {"UngroupedMillion", "1000000", "một triệu"},
    {"Negative", "Nhiệt độ -5 độ", "Nhiệt độ âm năm độ"},
    {"Decimal", "3,5 tấn", "ba phẩy năm tấn"},
    {"DecimalLeadingZero", "0,05 mm", "không phẩy không năm mi li mét"},
    {"GroupedDecimal", "1.234,5", "một nghìn hai trăm ba mươi tư phẩy năm"},
    {"EnglishGrouping", "1,500,000 USD", "một triệu năm trăm nghìn đô la Mỹ"},
    {"OfficialLeadingZero", "trong 05 ngày", "trong năm ngày"},
    {"SectionNumber", "Mục 2.1", "Mục hai chấm một"},
    {"CodeDigits", "mã 001234567890", "mã không không một hai ba bốn năm sáu bảy tám chín không"},
    // Ordinals.
    {"OrdinalFirst", "lần thứ 1", "lần thứ nhất"},
    {"OrdinalFourth", "thứ 4", "thứ tư"},
    {"OrdinalSecond", "Thứ 2, ngày 1/7", "Thứ hai, ngày một tháng bảy"},
    {"OrdinalTenth", "lần thứ 10", "lần thứ mười"},
    // Dates.
    {"DateFull", "28/6/2024", "ngày hai mươi tám tháng sáu năm hai nghìn không trăm hai mươi tư"},
    {"DateAfterNgay", "ngày 28/6/2024",
     "ngày hai mươi tám tháng sáu năm hai nghìn không trăm hai mươi tư"},
    {"DateZeroPaddedApril", "Ngày 05/04/2025,",
     "Ngày năm tháng tư năm hai nghìn không trăm hai mươi lăm,"},
    {"DateDashes", "1-5-2024", "ngày một tháng năm năm hai nghìn không trăm hai mươi tư"},
    {"DateDots", "1.7.2024", "ngày một tháng bảy năm hai nghìn không trăm hai mươi tư"},
    {"DateNoYear", "Sáng 30/4, trời mưa", "Sáng ngày ba mươi tháng tư, trời mưa"},
    {"DateRange", "từ 28-30/6", "từ ngày hai mươi tám đến ba mươi tháng sáu"},
    {"DateLeapDay", "29/2/2024",
     "ngày hai mươi chín tháng hai năm hai nghìn không trăm hai mươi tư"},
    {"DateNotLeap", "29/2/2023", "hai mươi chín trên hai trên hai nghìn không trăm hai mươi ba"},
    {"DateImpossible", "32/13", "ba mươi hai trên mười ba"},
    {"MonthYearAfterThang", "tháng 6/2024", "tháng sáu năm hai nghìn không trăm hai mươi tư"},
    {"MonthYearDash", "tháng 6-2024", "tháng sáu năm hai nghìn không trăm hai mươi tư"},
    {"MonthYear", "đến 6/2024", "đến tháng sáu năm hai nghìn không trăm hai mươi tư"},
    {"MonthApril", "tháng 4 này", "tháng tư này"},
    {"QuarterYear", "Quý 2/2024", "Quý hai năm hai nghìn không trăm hai mươi tư"},
    {"DocumentNumber", "Quyết định số 19/2025/QĐ-TTg",
     "Quyết định số mười chín trên hai nghìn không trăm hai mươi lăm trên quyết định Thủ tướng"},
    // Times.
    {"TimeHoursMinutes", "17h30", "mười bảy giờ ba mươi phút"},
    {"TimeHours", "lúc 17h.", "lúc mười bảy giờ."},
    {"TimeZeroMinutes", "7h05", "bảy giờ năm phút"},
    {"TimeColon", "17:30", "mười bảy giờ ba mươi phút"},
    {"TimeColonInvalid", "25:99", "hai mươi lăm: chín mươi chín"},
    {"TimeRange", "từ 7h-11h", "từ bảy giờ đến mười một giờ"},
    {"HoursOverADay", "48h", "bốn mươi tám giờ"},
    // Phone numbers.
    {"PhoneSpaced", "0912 345 678", "không chín một hai, ba bốn năm, sáu bảy tám"},
    {"PhoneDotted", "0912.345.678", "không chín một hai, ba bốn năm, sáu bảy tám"},
    {"PhoneBlock", "0912345678", "không chín một hai, ba bốn năm, sáu bảy tám"},
    {"PhoneLandline", "(0237) 3713 985", "không hai ba bảy, ba bảy một ba, chín tám năm"},
    {"PhoneInternational", "+84 912 345 678",
     "cộng tám bốn, chín một hai, ba bốn năm, sáu bảy tám"},
    {"PhoneInternationalBlock", "+84912345678",
     "cộng tám bốn, chín một hai, ba bốn năm, sáu bảy tám"},
    {"Hotline", "Gọi 1900 1234.", "Gọi một chín không không, một hai ba bốn."},
    {"PhoneAfterAbbreviation", "ĐT: 0912345678.",
     "điện thoại: không chín một hai, ba bốn năm, sáu bảy tám."},
    {"PhoneThenNumber", "gọi 0912345678 5 lần",
     "gọi không chín một hai, ba bốn năm, sáu bảy tám năm lần"},
    {"YearRangeNotHotline", "1900-1945",
     "một nghìn chín trăm đến một nghìn chín trăm bốn mươi lăm"},
    // Percentages.
    {"Percent", "15%", "mười lăm phần trăm"},
    {"PercentDecimal", "3,5%", "ba phẩy năm phần trăm"},
    {"PercentRange", "15-20%", "mười lăm đến hai mươi phần trăm"},
    // Money.
    {"MoneyDong", "500.000 đồng", "năm trăm nghìn đồng"},
    {"MoneySuffix", "500.000đ", "năm trăm nghìn đồng"},
    {"MoneyVnd", "500.000 VNĐ", "năm trăm nghìn đồng"},
    {"MoneyMillion", "2 triệu đồng", "hai triệu đồng"},
    {"MoneyBillionDecimal", "1,5 tỷ đồng", "một phẩy năm tỷ đồng"},
    {"MoneyLarge", "1.500.000 đồng", "một triệu năm trăm nghìn đồng"},
    {"MoneyPerUnit", "giá 50.000 đồng/kg", "giá năm mươi nghìn đồng trên ki lô gam"},
    {"Dollars", "$100", "một trăm đô la"},
    // Units.
    {"Kilometres", "10km", "mười ki lô mét"},
    {"Metres", "5 m", "năm mét"},
    {"Centimetres", "20 cm", "hai mươi xen ti mét"},
    {"Kilograms", "50 kg", "năm mươi ki lô gam"},
    {"Grams", "200g", "hai trăm gam"},
    {"Tonnes", "3 tấn", "ba tấn"},
    {"Hectares", "12.000 ha", "mười hai nghìn héc ta"},
    {"SquareMetres", "100m2 và 100 m²", "một trăm mét vuông và một trăm mét vuông"},
    {"SquareKilometres", "3 km2", "ba ki lô mét vuông"},
    {"Celsius", "25°C", "hai mươi lăm độ xê"},
    {"CelsiusNegative", "-2°C", "âm hai độ xê"},
    {"Rain", "mưa 150mm", "mưa một trăm năm mươi mi li mét"},
    {"Litres", "2 l và 5 lít", "hai lít và năm lít"},
    {"Speed", "60 km/h", "sáu mươi ki lô mét trên giờ"},
    {"UnitStandalone", "giá mỗi m2", "giá mỗi mét vuông"},
    {"LetterMNotAUnit", "m và g", "m và g"},
    // Roman numerals.
    {"RomanCongress", "Đại hội XIII", "Đại hội mười ba"},
    {"RomanTerm", "khóa XV", "khóa mười lăm"},
    {"RomanQuarter", "Quý IV", "Quý bốn"},
    {"RomanCentury", "thế kỷ XXI", "thế kỷ hai mươi mốt"},
    {"RomanOrdinal", "Chiến tranh thế giới thứ II", "Chiến tranh thế giới thứ hai"},
    {"RomanOrdinalFour", "lần thứ IV", "lần thứ tư"},
    {"RomanArticle", "Điều IV", "Điều bốn"},
    {"RomanChapter", "Chương II. Quy định", "Chương hai. Quy định"},
    {"RomanSingleAfterTrigger", "phần I,", "phần một,"},
    {"RomanQuarterYear", "Quý II/2024", "Quý hai năm hai nghìn không trăm hai mươi tư"},
    {"RomanUppercaseTrigger", "ĐẠI HỘI XIII", "ĐẠI HỘI mười ba"},
    {"RomanAfterName", "Giáo hoàng Phaolô II.", "Giáo hoàng Phaolô hai."},
    {"RomanHeadingKept", "I. Mục tiêu", "I. Mục tiêu"},
    {"RomanSingleNoTrigger", "vitamin C và V", "vitamin C và V"},
    {"RomanLetterAfterTrigger", "mục C", "mục C"},
    {"RomanNotBeforeCapitals", "BÁN XI MĂNG", "BÁN XI MĂNG"},
    {"RomanNonCanonical", "khóa IIII", "khóa IIII"},
    // Abbreviations.
    {"AbbrUbnd", "UBND xã", "Ủy ban nhân dân xã"},
    {"AbbrHdnd", "HĐND tỉnh", "Hội đồng nhân dân tỉnh"},
    {"AbbrAmpersand", "Sở TT&TT", "Sở Thông tin và Truyền thông"},
    {"AbbrBeforePeriod", "ngành CNTT.", "ngành công nghệ thông tin."},
    {"AbbrWithDot", "TP. Hà Nội", "thành phố Hà Nội"},
    {"AbbrCityGlued", "TP.HCM, Tp.Vinh", "Thành phố Hồ Chí Minh, thành phố Vinh"},
    {"AbbrInParentheses", "Chủ tịch (UBND)", "Chủ tịch, Ủy ban nhân dân,"},
    {"AbbrDistrictNumber", "Q.1", "quận một"},
    {"AbbrWard", "tại P. Bến Nghé", "tại phường Bến Nghé"},
    {"AbbrInitialKept", "Nguyễn Văn P. cho biết", "Nguyễn Văn P. cho biết"},
    {"AbbrInitialAfterAddress", "ông Q. nói", "ông Q. nói"},
    {"AbbrHyphenated", "KT-XH", "kinh tế, xã hội"},
    {"AbbrPair", "HĐND-UBND", "Hội đồng nhân dân Ủy ban nhân dân"},
    {"AbbrList", "BHXH, BHYT; PCCC!", "bảo hiểm xã hội, bảo hiểm y tế; phòng cháy chữa cháy!"},
    {"AbbrMixed", "MTTQ, THPT, ATGT, VN",
     "Mặt trận Tổ quốc, trung học phổ thông, an toàn giao thông, Việt Nam"},
    {"AbbrTown", "TX. Sơn Tây, TT. Phùng", "thị xã Sơn Tây, thị trấn Phùng"},
    // Symbols, ranges, spacing, paragraphs.
    {"Ampersand", "A&B", "A và B"},
    {"Range", "5-7 ngày", "năm đến bảy ngày"},
    {"RangeSpaced", "nhiệm kỳ 2021 - 2026",
     "nhiệm kỳ hai nghìn không trăm hai mươi mốt đến hai nghìn không trăm hai mươi sáu"},
    {"DashPause", "Hà Nội - Sáng nay", "Hà Nội, Sáng nay"},
    {"HyphenatedName", "Bà Rịa-Vũng Tàu", "Bà Rịa Vũng Tàu"},
    {"HyphenBeforeNumber", "Covid-19", "Covid mười chín"},
    {"Plus", "5+3", "năm cộng ba"},
    {"SlashWords", "và/hoặc", "và hoặc"},
    {"Domain", "nguon.gov.vn", "nguon chấm gov chấm vn"},
    {"Apostrophe", "người H'Mông", "người H'Mông"},
    {"Whitespace", "  Xin   chào\tbà con  ", "Xin chào bà con"},
    {"Paragraphs", "Đoạn một.\n\nĐoạn hai.", "Đoạn một.\n\nĐoạn hai."},
    {"ParagraphsCrlf", "Dòng một\r\n\r\n \r\nDòng hai", "Dòng một\n\nDòng hai"},
    {"SingleNewline", "Thông báo\nvề việc", "Thông báo về việc"},
    {"Punctuation", "Chú ý!!! Sáng nay...", "Chú ý! Sáng nay."},
    {"MissingSpace", "xong.Sau đó", "xong. Sau đó"},
    {"Quotes", "“Nông thôn mới”", "Nông thôn mới"},
    {"Empty", "", ""},
    {"BlankOnly", "   \n\n  \t", ""},
    {"PunctuationOnly", "... ,", ""},
    {"Nfd", "Nga\u0300y 28/6, \u0110a\u0323i ho\u0323\u0302i XIII",
     "Ngày hai mươi tám tháng sáu, Đại hội mười ba"},
    {"InvalidUtf8", "UBND\xFF x\xC3\xC3\xA3", "Ủy ban nhân dân xã"},
    {"ControlAndZeroWidth", "UB\u200BND\x01 xã", "Ủy ban nhân dân xã"},
};

class NormalizeTable : public ::testing::TestWithParam<Case> {};

TEST_P(NormalizeTable, SpellsOut) {
  const Case& c = GetParam();
  EXPECT_EQ(spell(c.input), c.expected) << "input: " << c.input;
}

INSTANTIATE_TEST_SUITE_P(Rules, NormalizeTable, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

// ---------------------------------------------------------------------------------------------

struct NumberCase {
  std::int64_t n;
  std::string_view words;
};

TEST(NumberToWords, FollowsTheNorthernReading) {
  const NumberCase cases[] = {
      {0, "không"},
      {4, "bốn"},
      {5, "năm"},
      {10, "mười"},
      {11, "mười một"},
      {14, "mười bốn"},
      {15, "mười lăm"},
      {20, "hai mươi"},
      {21, "hai mươi mốt"},
      {24, "hai mươi tư"},
      {25, "hai mươi lăm"},
      {100, "một trăm"},
      {101, "một trăm linh một"},
      {104, "một trăm linh bốn"},
      {105, "một trăm linh năm"},
      {110, "một trăm mười"},
      {115, "một trăm mười lăm"},
      {1000, "một nghìn"},
      {1001, "một nghìn không trăm linh một"},
      {1005, "một nghìn không trăm linh năm"},
      {1010, "một nghìn không trăm mười"},
      {2024, "hai nghìn không trăm hai mươi tư"},
      {1000000, "một triệu"},
      {1000005, "một triệu không trăm linh năm"},
      {1500000, "một triệu năm trăm nghìn"},
      {1000000000, "một tỷ"},
      {1000000001, "một tỷ không trăm linh một"},
      {2000000000000, "hai nghìn tỷ"},
      {1000000000000000000, "một tỷ tỷ"},
      {-5, "âm năm"},
      {-21, "âm hai mươi mốt"},
      {std::numeric_limits<std::int64_t>::min(),
       "âm chín tỷ hai trăm hai mươi ba triệu ba trăm bảy mươi hai nghìn không trăm ba mươi sáu "
       "tỷ tám trăm năm mươi tư triệu bảy trăm bảy mươi lăm nghìn tám trăm linh tám"},
  };
  for (const NumberCase& c : cases) EXPECT_EQ(number_to_words(c.n), c.words) << c.n;
}

// ---------------------------------------------------------------------------------------------

TEST(Normalize, NfdInputGivesTheSameResult) {
  for (const Case& c : kCases) {
    if (!text::is_valid_utf8(c.input)) continue;
    EXPECT_EQ(spell(nfd(c.input)), spell(c.input)) << c.name;
  }
}

TEST(Normalize, VeryLongInputIsLinearAndComplete) {
  std::string in;
  std::string expected;
  for (int i = 0; i < 5000; ++i) {  // ~230 KB
    in += "UBND xã báo cáo 15% hộ dân, ngày 28/6. ";
    if (!expected.empty()) expected += ' ';
    expected +=
        "Ủy ban nhân dân xã báo cáo mười lăm phần trăm hộ dân, ngày hai mươi tám tháng sáu.";
  }
  EXPECT_EQ(spell(in), expected);
  // Degenerate single tokens stay linear too.
  EXPECT_EQ(spell(std::string(200000, '.')), "");
  std::string digits(100000, '7');
  std::string spoken = spell(digits);
  EXPECT_EQ(spoken.size(), 100000 * std::string("bảy ").size() - 1);
  std::string letters(100000, 'a');
  EXPECT_EQ(spell(letters + " 5"), letters + " năm");
}

TEST(Normalize, OutputIsValidUtf8ForArbitraryBytes) {
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 7919) % 256));
  std::string out = spell(junk);
  EXPECT_TRUE(text::is_valid_utf8(out));
  EXPECT_EQ(out.find("  "), std::string::npos);
}

TEST(Normalize, UsesTheCallersDictionary) {
  AbbreviationDictionary dict;
  EXPECT_EQ(normalize("UBND xã", dict), "UBND xã");
  dict.add("UBND", "ủy ban");
  EXPECT_EQ(normalize("UBND xã", dict), "ủy ban xã");
}

// ---------------------------------------------------------------------------------------------

TEST(AbbreviationDictionary, ShippedDictionaryParsesAndIsLarge) {
  const AbbreviationDictionary& dict = shipped_dictionary();
  EXPECT_GE(dict.size(), 60U);
  for (std::string_view key :
       {"UBND", "HĐND", "TP.", "TT&TT", "CNTT", "MTTQ", "THPT", "BHXH", "BHYT", "PCCC", "ATGT",
        "KT-XH", "VN", "Q.", "P.", "TX.", "TT.", "TP.HCM"}) {
    EXPECT_NE(dict.find(key), nullptr) << key;
  }
  ASSERT_NE(dict.find("UBND"), nullptr);
  EXPECT_EQ(*dict.find("UBND"), "Ủy ban nhân dân");
  EXPECT_EQ(dict.find("ubnd"), nullptr);  // case-sensitive
}

TEST(AbbreviationDictionary, LineWithoutTabIsAnErrorNamingTheLine) {
  auto r = AbbreviationDictionary::parse("# comment\nUBND\tỦy ban nhân dân\nHĐND Hội đồng\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(r.error().code, "invalid_dictionary");
  EXPECT_NE(r.error().message.find("line 3"), std::string::npos) << r.error().message;
}

TEST(AbbreviationDictionary, OtherErrorsNameTheLine) {
  struct Bad {
    std::string_view tsv;
    std::string_view line;
  };
  const Bad bad[] = {
      {"\tỦy ban", "line 1"},                // empty key
      {"UBND\t  ", "line 1"},                // empty expansion
      {"A\tb\n\nU B\tc", "line 3"},          // key with a space
      {"UBND\ta\nX\ty\nUBND\tb", "line 3"},  // duplicate
      {"A\tb\tc", "line 1"},                 // two tabs
      {"A\tb\nB\t\xFF", "line 2"},           // invalid UTF-8
  };
  for (const Bad& b : bad) {
    auto r = AbbreviationDictionary::parse(b.tsv);
    ASSERT_FALSE(r) << b.tsv;
    EXPECT_EQ(r.error().code, "invalid_dictionary");
    EXPECT_NE(r.error().message.find(b.line), std::string::npos) << r.error().message;
  }
  auto dup = AbbreviationDictionary::parse("UBND\ta\nX\ty\nUBND\tb");
  EXPECT_NE(dup.error().message.find("first on line 1"), std::string::npos);
}

TEST(AbbreviationDictionary, AcceptsBomCrlfCommentsAndNfdKeys) {
  auto r = AbbreviationDictionary::parse(
      "\xEF\xBB\xBF# c\r\n\r\n  # indented comment\r\nHĐND\tHội đồng nhân dân\r\n"
      "Tho\u0302n\tthôn (NFD key)\r\n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->size(), 2U);
  ASSERT_NE(r->find("HĐND"), nullptr);
  EXPECT_EQ(*r->find("HĐND"), "Hội đồng nhân dân");
  EXPECT_NE(r->find("Thôn"), nullptr);  // stored in NFC
  EXPECT_EQ(AbbreviationDictionary::parse("")->size(), 0U);
}

TEST(AbbreviationDictionary, AddReplacesAndFindsExactly) {
  AbbreviationDictionary dict;
  dict.add("TP.", "thành phố");
  dict.add("TP.", "thành phố mới");
  dict.add("", "ignored");
  EXPECT_EQ(dict.size(), 1U);
  EXPECT_EQ(*dict.find("TP."), "thành phố mới");
  EXPECT_EQ(dict.find("TP"), nullptr);
  EXPECT_EQ(dict.find("TP.X"), nullptr);
}

}  // namespace
}  // namespace nguon::vi
