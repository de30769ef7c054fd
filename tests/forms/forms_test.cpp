#include "core/forms.h"

#include <gtest/gtest.h>

#include <string>

namespace nguon::forms {
namespace {

using namespace std::string_literals;

// ---- application/x-www-form-urlencoded --------------------------------------------------------

TEST(Urlencoded, DecodesPlusAndPercentEscapes) {
  auto f = parse_urlencoded("service_code=pothole&description=Ổ+gà+lớn%21&lat=21.0285&x=%41%6a");
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_EQ(f->size(), 4u);
  EXPECT_EQ((*f)[0].name, "service_code");
  EXPECT_EQ((*f)[0].value, "pothole");
  EXPECT_EQ((*f)[1].value, "Ổ gà lớn!");
  EXPECT_EQ((*f)[2].value, "21.0285");
  EXPECT_EQ((*f)[3].value, "Aj");
}

TEST(Urlencoded, DecodesVietnameseUtf8Escapes) {
  auto f = parse_urlencoded("ten=Nguy%E1%BB%85n+V%C4%83n+%C4%90%E1%BA%A1t&%C4%91%E1%BB%8Ba=x");
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_EQ(f->size(), 2u);
  EXPECT_EQ((*f)[0].value, "Nguyễn Văn Đạt");
  EXPECT_EQ((*f)[1].name, "địa");
  EXPECT_EQ(parse_urlencoded("q=%E1%BA%A1").value()[0].value, "ạ");
}

TEST(Urlencoded, EmptyPairsAndPairsWithoutValue) {
  EXPECT_TRUE(parse_urlencoded("").value().empty());
  auto f = parse_urlencoded("a=1&&flag&b=&=v&");
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_EQ(f->size(), 4u);
  EXPECT_EQ((*f)[1].name, "flag");
  EXPECT_EQ((*f)[1].value, "");
  EXPECT_EQ((*f)[2].name, "b");
  EXPECT_EQ((*f)[2].value, "");
  EXPECT_EQ((*f)[3].name, "");
  EXPECT_EQ((*f)[3].value, "v");
  // Only the first '=' splits.
  EXPECT_EQ(parse_urlencoded("k=a=b").value()[0].value, "a=b");
}

TEST(Urlencoded, RefusesBadEscapesAndInvalidUtf8) {
  for (const char* body : {"a=%ZZ", "a=%4", "a=%", "a=1&b=%G1", "%zz=1", "a=%C3", "a=%C3%28",
                           "%FF=1", "a=%ED%A0%80", "a=\xC3"}) {
    auto f = parse_urlencoded(body);
    ASSERT_FALSE(f) << body;
    EXPECT_EQ(f.error().code, "malformed_form") << body;
    EXPECT_EQ(f.error().kind, ErrorKind::kInvalid);
  }
}

TEST(Urlencoded, LimitsTheNumberOfFields) {
  EXPECT_EQ(parse_urlencoded("a=1&b=2", 2).value().size(), 2u);
  EXPECT_EQ(parse_urlencoded("a=1&b=2&c=3", 2).error().code, "too_many_fields");
  EXPECT_EQ(parse_urlencoded("a=1&&&b=2&", 2).value().size(), 2u);  // empty pairs do not count
  std::string many;
  for (int i = 0; i < 201; ++i) many += "f=" + std::to_string(i) + "&";
  EXPECT_EQ(parse_urlencoded(many).error().code, "too_many_fields");
}

TEST(Urlencoded, FindReturnsTheFirstFieldOfThatName) {
  const auto f = parse_urlencoded("a=1&b=2&a=3").value();
  ASSERT_NE(find(f, "a"), nullptr);
  EXPECT_EQ(find(f, "a")->value, "1");
  EXPECT_EQ(find(f, "b")->value, "2");
  EXPECT_EQ(find(f, "c"), nullptr);
}

// ---- boundary ---------------------------------------------------------------------------------

TEST(MultipartBoundary, ReadsTheBoundaryParameter) {
  EXPECT_EQ(
      multipart_boundary("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"),
      "----WebKitFormBoundary7MA4YWxkTrZu0gW");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data;BOUNDARY=abc"), "abc");
  EXPECT_EQ(multipart_boundary("multipart/form-data; charset=utf-8; boundary=\"a b:c?\" "),
            "a b:c?");
  EXPECT_EQ(multipart_boundary("multipart/form-data; x=\"a;b=\\\"c\"; boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary("multipart/form-data ; boundary = abc"), "abc");
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'z')),
            std::string(70, 'z'));
}

TEST(MultipartBoundary, AbsentOrInvalidIsNullopt) {
  for (const std::string& ct :
       {""s, "multipart/form-data"s, "multipart/form-data;"s, "multipart/form-data; boundary="s,
        "multipart/form-data; boundary=\"\""s,
        "multipart/form-data; boundary=\"abc"s,  // unterminated
        "multipart/form-data; boundary=" + std::string(71, 'z'),
        "multipart/form-data; boundary=\"abc \""s,  // trailing space
        "multipart/form-data; boundary=a@b"s, "multipart/form-data; boundary=a\"b\""s,
        "multipart/form-data; boundary=a; boundary=b"s, "multipart/mixed; boundary=abc"s,
        "text/plain; boundary=abc"s, "multipart/form-data; boundary=\"a\x01\""s}) {
    EXPECT_EQ(multipart_boundary(ct), std::nullopt) << ct;
  }
}

// ---- multipart/form-data ----------------------------------------------------------------------

constexpr std::string_view kBoundary = "XyZ123";

// Binary bytes with CRLFs and near misses of the delimiter: "--XyZ12" (too short), "--XyZ123x"
// (longer boundary), "--XyZ123" not at the start of a line, a NUL.
const std::string kFileData =
    "\xFF\xD8\xFF\x00\x01\r\n\r\n--XyZ12\r\n--XyZ123x\r\n-- XyZ123\r\nab--XyZ123\r\n\x00\xFE\r\n"s;

std::string part(std::string_view headers, std::string_view data) {
  return "--" + std::string(kBoundary) + "\r\n" + std::string(headers) + "\r\n\r\n" +
         std::string(data) + "\r\n";
}
std::string closing() { return "--" + std::string(kBoundary) + "--\r\n"; }

TEST(Multipart, ParsesFieldsAndABinaryFile) {
  const std::string body =
      "This is the preamble.\r\n" +
      part("Content-Disposition: form-data; name=\"service_code\"", "pothole") +
      part(
          "content-disposition: form-data; name=\"description\"\r\n"
          "Content-Type: text/plain; charset=UTF-8",
          "Ổ gà trước số 12\r\nđường Lê Lợi") +
      part(
          "Content-Disposition: form-data; name=\"media\"; filename=\"ảnh đường.jpg\"\r\n"
          "Content-Type: image/jpeg\r\nX-Ignored: yes",
          kFileData) +
      closing() + "epilogue\r\n--XyZ123\r\nignored";
  auto parts = parse_multipart(body, kBoundary);
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 3u);
  const Part& code = (*parts)[0];
  EXPECT_EQ(code.name, "service_code");
  EXPECT_EQ(code.filename, "");
  EXPECT_EQ(code.content_type, "text/plain");
  EXPECT_EQ(code.data, "pothole");
  const Part& text = (*parts)[1];
  EXPECT_EQ(text.content_type, "text/plain; charset=UTF-8");
  EXPECT_EQ(text.data, "Ổ gà trước số 12\r\nđường Lê Lợi");
  const Part& file = (*parts)[2];
  EXPECT_EQ(file.name, "media");
  EXPECT_EQ(file.filename, "ảnh đường.jpg");
  EXPECT_EQ(file.content_type, "image/jpeg");
  EXPECT_EQ(file.data, kFileData);
  ASSERT_NE(find(*parts, "media"), nullptr);
  EXPECT_EQ(find(*parts, "media")->data, kFileData);
  EXPECT_EQ(find(*parts, "absent"), nullptr);
}

TEST(Multipart, DefaultsAndEscapes) {
  const std::string body =
      part("Content-Disposition: form-data; name=\"a\\\"b\\\\c\"; filename=\"\"", "") +
      part("Content-Disposition: form-data; name=plain; filename=photo.jpg", "x") +
      part("Content-Disposition: form-data; filename=\"a;b\"; name=\"c; name=d\"", "w") +
      part(
          "Content-Disposition: form-data; name=\"f\"; filename=\"anh.jpg\"; "
          "filename*=UTF-8''%E1%BA%A3nh%20%C4%91%C6%B0%E1%BB%9Dng.jpg",
          "y") +
      part(
          "Content-Disposition: form-data; name=\"g\"; filename=\"latin.jpg\"; "
          "filename*=iso-8859-1'en'caf%E9.jpg",
          "z") +
      part("Content-Disposition: form-data; name=\"empty\"", "") + closing();
  auto parts = parse_multipart(body, kBoundary);
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 6u);
  EXPECT_EQ((*parts)[0].name, "a\"b\\c");
  EXPECT_EQ((*parts)[0].content_type, "application/octet-stream");  // filename="" is a file
  EXPECT_EQ((*parts)[0].data, "");
  EXPECT_EQ((*parts)[1].name, "plain");
  EXPECT_EQ((*parts)[1].filename, "photo.jpg");
  EXPECT_EQ((*parts)[2].name, "c; name=d");  // quoted ';' and '=' are text
  EXPECT_EQ((*parts)[2].filename, "a;b");
  EXPECT_EQ((*parts)[3].filename, "ảnh đường.jpg");
  EXPECT_EQ((*parts)[4].filename, "latin.jpg");  // a charset other than UTF-8: filename
  EXPECT_EQ((*parts)[5].content_type, "text/plain");
  EXPECT_EQ((*parts)[5].data, "");
}

TEST(Multipart, QuotedBoundaryWithSpacesAndPadding) {
  const auto boundary =
      multipart_boundary("multipart/form-data; boundary=\"gc0p4Jq0M2Yt08j 34c0p\"");
  ASSERT_TRUE(boundary);
  const std::string body =
      "--gc0p4Jq0M2Yt08j 34c0p \t\r\n"  // transport padding
      "Content-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
      "--gc0p4Jq0M2Yt08j 34c0p--";
  auto parts = parse_multipart(body, *boundary);
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].data, "1");
}

TEST(Multipart, EmptyForm) {
  auto parts = parse_multipart(closing(), kBoundary);
  ASSERT_TRUE(parts) << parts.error().message;
  EXPECT_TRUE(parts->empty());
}

// The error code is malformed_multipart and the message contains `reason`.
void expect_malformed(const std::string& body, std::string_view reason,
                      const MultipartLimits& limits = {}) {
  auto parts = parse_multipart(body, kBoundary, limits);
  ASSERT_FALSE(parts) << "accepted: " << body.substr(0, 200);
  EXPECT_EQ(parts.error().code, "malformed_multipart");
  EXPECT_EQ(parts.error().kind, ErrorKind::kInvalid);
  EXPECT_NE(parts.error().message.find(reason), std::string::npos) << parts.error().message;
}

const std::string kField = "Content-Disposition: form-data; name=\"a\"";

TEST(Multipart, MissingBoundaryLine) {
  expect_malformed("", "missing boundary line");
  expect_malformed("name=a&b=c", "missing boundary line");
  expect_malformed("--XyZ12\r\n" + kField + "\r\n\r\nv\r\n--XyZ12--", "missing boundary line");
  expect_malformed("x--XyZ123\r\n" + kField + "\r\n\r\nv\r\n", "missing boundary line");
}

TEST(Multipart, MissingClosingBoundary) {
  expect_malformed(part(kField, "v"), "missing closing boundary");  // ends after the data
  expect_malformed(part(kField, "v") + "--XyZ123\r\n", "missing closing boundary");
  expect_malformed("--XyZ123\r\n" + kField + "\r\n\r\nvalue", "unterminated part");
}

TEST(Multipart, UnterminatedHeaders) {
  expect_malformed("--XyZ123\r\n" + kField + "\r\n", "unterminated part headers");
  expect_malformed("--XyZ123\r\n" + kField + "\r\n--XyZ123--\r\n\r\n", "no blank line");
}

TEST(Multipart, PartWithoutName) {
  expect_malformed(part("Content-Disposition: form-data; filename=\"x.jpg\"", "v") + closing(),
                   "part without name");
  expect_malformed(part("Content-Type: text/plain", "v") + closing(), "part without name");
  expect_malformed(part("Content-Disposition: form-data; name=\"\"", "v") + closing(),
                   "part without name");
  expect_malformed(part(kField, "v") + "--XyZ123\r\n\r\nv\r\n" + closing(),
                   "part 2: part without name");
}

TEST(Multipart, BadHeaders) {
  expect_malformed(part("Content-Disposition: attachment; name=\"a\"", "v") + closing(),
                   "not form-data");
  expect_malformed(part(kField + "\r\n" + kField, "v") + closing(), "repeated");
  expect_malformed(part("Content-Disposition: form-data; name=\"a\"; name=\"b\"", "v") + closing(),
                   "repeated");
  expect_malformed(part("Content-Disposition: form-data; name=\"a", "v") + closing(),
                   "unterminated quoted string");
  expect_malformed(part(kField + "\r\nno colon here", "v") + closing(), "without ':'");
  expect_malformed(part(kField + "\r\n folded", "v") + closing(), "folded");
  expect_malformed(part(kField + "\r\nX-A: a\nb", "v") + closing(), "bare CR");
  expect_malformed(part("Content-Disposition: form-data; name=\"\xC3\x28\"", "v") + closing(),
                   "not valid UTF-8");
  expect_malformed(part(kField + "; filename*=UTF-8''%C3", "v") + closing(), "not valid UTF-8");
  expect_malformed(part(kField + "; filename*=UTF-8''%G0", "v") + closing(), "%-escape");
}

TEST(Multipart, HeaderTooLong) {
  const std::string long_header = kField + "\r\nX-Padding: " + std::string(9000, 'p');
  expect_malformed(part(long_header, "v") + closing(), "header too long");
  // At the limit exactly it is accepted.
  MultipartLimits limits;
  limits.max_header_bytes = kField.size();
  EXPECT_TRUE(parse_multipart(part(kField, "v") + closing(), kBoundary, limits));
  limits.max_header_bytes = kField.size() - 1;
  expect_malformed(part(kField, "v") + closing(), "header too long", limits);
}

TEST(Multipart, TooManyParts) {
  MultipartLimits limits;
  limits.max_parts = 2;
  const std::string two = part(kField, "1") + part(kField, "2");
  EXPECT_EQ(parse_multipart(two + closing(), kBoundary, limits).value().size(), 2u);
  auto three = parse_multipart(two + part(kField, "3") + closing(), kBoundary, limits);
  ASSERT_FALSE(three);
  EXPECT_EQ(three.error().code, "too_many_parts");
  std::string body;
  for (int i = 0; i < 21; ++i) body += part(kField, std::to_string(i));
  EXPECT_EQ(parse_multipart(body + closing(), kBoundary).error().code, "too_many_parts");
}

TEST(Multipart, LfOnlyLineEndingsAreMalformed) {
  const std::string lf = "--XyZ123\n" + kField + "\n\nvalue\n--XyZ123--\n";
  expect_malformed(lf, "CRLF");
  expect_malformed("preamble\n" + lf, "CRLF");
  expect_malformed(part(kField, "v") + "--XyZ123\n" + kField + "\r\n\r\nv\r\n" + closing(), "CRLF");
}

TEST(Multipart, RefusesAnInvalidBoundary) {
  for (const std::string& b : {""s, std::string(71, 'a'), "a\r\nb"s, "trailing "s}) {
    auto parts = parse_multipart("--" + b + "\r\n", b);
    ASSERT_FALSE(parts);
    EXPECT_EQ(parts.error().code, "malformed_multipart");
  }
}

TEST(Multipart, NearMissesInLargeDataAreLinear) {
  // 4 MB of near-delimiters inside a file part, and a 4 MB run of the boundary's last letter.
  std::string data;
  while (data.size() < (4u << 20)) data += "\r\n--XyZ123x\r\n--XyZ12";
  std::string run(4u << 20, '3');
  const std::string body = part(kField, data) + part(kField, run) + closing();
  auto parts = parse_multipart(body, kBoundary);
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].data, data);
  EXPECT_EQ((*parts)[1].data, run);
}

}  // namespace
}  // namespace nguon::forms
