// RFC 4180 reading (core/devices/csv.h).
#include "core/devices/csv.h"

#include <gtest/gtest.h>

namespace nguon {
namespace {

using Records = std::vector<csv::Record>;

TEST(Csv, ReadsQuotedFieldsLineBreaksAndTheBom) {
  auto r = csv::parse(
      "\xEF\xBB\xBF"
      "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n,,\n",
      10);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r.value(),
            (Records{{"a", "b", "c"}, {"x, y", "say \"hi\"", "two\nlines"}, {"", "", ""}}));
}

TEST(Csv, SkipsBlankLinesAndKeepsTrailingEmptyFields) {
  auto r = csv::parse("a,b\n\n1,\n\r\n", 10);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), (Records{{"a", "b"}, {"1", ""}}));
}

TEST(Csv, RejectsBrokenQuotingAndTooManyRecords) {
  EXPECT_EQ(csv::parse("a,\"b\n", 10).error().code, "invalid_csv");
  EXPECT_EQ(csv::parse("a,b\"c\n", 10).error().code, "invalid_csv");
  EXPECT_EQ(csv::parse("\"a\"b,c\n", 10).error().code, "invalid_csv");
  EXPECT_EQ(csv::parse("1\n2\n3\n", 2).error().code, "too_many_rows");
  EXPECT_TRUE(csv::parse("1\n2\n", 2).ok());
}

}  // namespace
}  // namespace nguon
