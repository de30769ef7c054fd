#include "core/text.h"

#include <gtest/gtest.h>

namespace nguon::text {
namespace {

TEST(Text, FoldRemovesVietnameseDiacriticsAndCase) {
  EXPECT_EQ(fold("Tỉnh Thanh Hóa"), "tinh thanh hoa");
  EXPECT_EQ(fold("Phường Đông Hải"), "phuong dong hai");
  EXPECT_EQ(fold("ĐẶC KHU Phú Quốc"), "dac khu phu quoc");
  EXPECT_EQ(fold("  Thôn   Bắc\tLý "), "thon bac ly");
}

TEST(Text, FoldTreatsNfdLikeNfc) {
  // "Hóa" with a combining acute accent (NFD) folds like the precomposed form.
  EXPECT_EQ(fold("Ho\u0301a"), fold("Hóa"));
}

TEST(Text, NfcComposesDecomposedInput) {
  const std::string nfd = "Tie\u0302\u0301ng Vie\u0323\u0302t";
  EXPECT_EQ(to_nfc(nfd), "Tiếng Việt");
}

TEST(Text, ValidatesUtf8) {
  EXPECT_TRUE(is_valid_utf8("Việt Nam"));
  EXPECT_FALSE(is_valid_utf8("\xC3\x28"));          // bad continuation
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // UTF-16 surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("abc\xE1\xBA"));       // truncated
}

TEST(Text, CleanLineNormalisesTrimsAndLimits) {
  auto ok = clean_line("name", "  Thôn Mới ", 1, 20);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok.value(), "Thôn Mới");
  EXPECT_EQ(clean_line("name", "Tho\u0302n", 1, 20).value(), "Thôn");
  auto ctrl = clean_line("name",
                         "a\x07"
                         "b",
                         1, 20);
  ASSERT_FALSE(ctrl);
  EXPECT_EQ(ctrl.error().code, "invalid_field");
  EXPECT_NE(ctrl.error().message.find("name"), std::string::npos);
  EXPECT_EQ(clean_line("name", "\xff", 1, 20).error().code, "invalid_utf8");
  EXPECT_FALSE(clean_line("name", "   ", 1, 20));
  EXPECT_FALSE(clean_line("name", std::string(21, 'a'), 1, 20));
  // Length counts code points, not bytes: 20 Vietnamese letters fit in 20.
  std::string twenty;
  for (int i = 0; i < 20; ++i) twenty += "ệ";
  EXPECT_TRUE(clean_line("name", twenty, 1, 20));
}

}  // namespace
}  // namespace nguon::text
