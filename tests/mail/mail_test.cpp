// E-mail: core/mail.h (render, valid_address) and adapters/mail/ (SmtpSender) against the test
// SMTP server (tests/support/smtp_sink.h) on loopback.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "adapters/crypto/sodium_crypto.h"
#include "adapters/mail/smtp_sender.h"
#include "core/mail.h"
#include "core/protocol.h"
#include "core/text.h"
#include "gtest/gtest.h"
#include "tests/support/fakes.h"
#include "tests/support/smtp_sink.h"

namespace nguon {
namespace {

using namespace std::chrono_literals;
using testing::decoded_body;
using testing::decoded_subject;
using testing::SmtpSink;

// 2026-12-01 06:00:00 in Vietnam (UTC+7), a Tuesday.
constexpr UnixTime kDate = 1'796'079'600;

const std::string kSubject =
    "Trả lời phản ánh số 2026-0042: Đường liên thôn Đông Hải bị ngập sau mưa lớn, đề nghị "
    "xã khắc phục sớm — Ủy ban nhân dân xã Hải Lĩnh";
const std::string kBody =
    "Kính gửi ông Nguyễn Văn Ấn,\n\n"
    "Ủy ban nhân dân xã Hải Lĩnh đã tiếp nhận phản ánh của ông về việc đường liên thôn bị "
    "ngập. Đội công trình sẽ khơi thông cống thoát nước trước ngày 05/12/2026.\n"
    ".Dòng bắt đầu bằng dấu chấm\n"
    "Trân trọng.";

mail::Message vietnamese_message() {
  mail::Message m;
  m.from_address = "phananh@hailinh.thanhhoa.gov.vn";
  m.from_name = "Nguồn — UBND xã Hải Lĩnh";
  m.to = "dan.nguyen@example.vn";
  m.subject = kSubject;
  m.body_text = kBody;
  return m;
}

std::vector<std::string> crlf_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t eol = text.find("\r\n", pos);
    if (eol == std::string::npos) {
      lines.push_back(text.substr(pos));
      break;
    }
    lines.push_back(text.substr(pos, eol - pos));
    pos = eol + 2;
  }
  return lines;
}

std::string header_block(const std::string& text) { return text.substr(0, text.find("\r\n\r\n")); }

// ---- render ----------------------------------------------------------------------------------

TEST(MailRender, VietnameseSubjectAndBodyDecodeBackExactly) {
  auto text = mail::render(vietnamese_message(), kDate, "0123456789abcdef");
  ASSERT_TRUE(text.ok()) << text.error().message;
  EXPECT_EQ(decoded_subject(*text), kSubject);
  EXPECT_EQ(decoded_body(*text), kBody);
}

TEST(MailRender, HeadersInOrder) {
  mail::Message m = vietnamese_message();
  m.message_id_domain = "nguon.example.vn";
  auto text = mail::render(m, kDate, "0123456789abcdef");
  ASSERT_TRUE(text.ok()) << text.error().message;
  const auto lines = crlf_lines(*text);
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0], "Date: Tue, 01 Dec 2026 06:00:00 +0700");
  EXPECT_EQ(lines[1].rfind("From: =?UTF-8?B?", 0), 0u) << lines[1];
  const std::string head = header_block(*text);
  EXPECT_NE(head.find("\r\nTo: dan.nguyen@example.vn\r\n"), std::string::npos);
  EXPECT_NE(head.find("<phananh@hailinh.thanhhoa.gov.vn>\r\n"), std::string::npos);
  EXPECT_NE(head.find("\r\nMessage-ID: <0123456789abcdef@nguon.example.vn>\r\n"),
            std::string::npos);
  EXPECT_NE(head.find("\r\nMIME-Version: 1.0\r\n"), std::string::npos);
  EXPECT_NE(head.find("\r\nContent-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
  EXPECT_TRUE(head.ends_with("\r\nContent-Transfer-Encoding: base64")) << head;
  // Date, From, To, Subject, Message-ID in this order.
  EXPECT_LT(head.find("\r\nFrom:"), head.find("\r\nTo:"));
  EXPECT_LT(head.find("\r\nTo:"), head.find("\r\nSubject:"));
  EXPECT_LT(head.find("\r\nSubject:"), head.find("\r\nMessage-ID:"));
}

TEST(MailRender, CrlfEverywhereAndLinesWithinLimits) {
  auto text = mail::render(vietnamese_message(), kDate, "ab12");
  ASSERT_TRUE(text.ok()) << text.error().message;
  ASSERT_TRUE(text->ends_with("\r\n"));
  for (size_t i = 0; i < text->size(); ++i) {
    if ((*text)[i] == '\n') {
      ASSERT_TRUE(i > 0 && (*text)[i - 1] == '\r') << "bare LF at " << i;
    }
    if ((*text)[i] == '\r') {
      ASSERT_EQ((*text)[i + 1], '\n') << "bare CR at " << i;
    }
    ASSERT_LT(static_cast<unsigned char>((*text)[i]), 0x80) << "non-ASCII byte at " << i;
  }
  for (const std::string& line : crlf_lines(*text)) {
    EXPECT_LE(line.size(), 76u) << line;
  }
}

TEST(MailRender, EncodedWordsAreShortAndSplitOnCharacterBoundaries) {
  auto text = mail::render(vietnamese_message(), kDate, "ab12");
  ASSERT_TRUE(text.ok()) << text.error().message;
  const std::string head = header_block(*text);
  size_t words = 0;
  for (size_t pos = head.find("=?UTF-8?B?"); pos != std::string::npos;
       pos = head.find("=?UTF-8?B?", pos + 1)) {
    const size_t end = head.find("?=", pos + 10);
    ASSERT_NE(end, std::string::npos);
    const std::string word = head.substr(pos, end + 2 - pos);
    EXPECT_LE(word.size(), 75u) << word;
    auto decoded = protocol::base64_decode(word.substr(10, word.size() - 12));
    ASSERT_TRUE(decoded.has_value()) << word;
    EXPECT_TRUE(text::is_valid_utf8(*decoded)) << "a word splits a character: " << word;
    ++words;
  }
  EXPECT_GE(words, 4u);  // the long subject takes several words, the name at least one
  // The subject is folded: continuation lines start with a space.
  EXPECT_NE(head.find("?=\r\n =?UTF-8?B?"), std::string::npos);
}

TEST(MailRender, DisplayNameEncodedQuotedOrBare) {
  mail::Message m = vietnamese_message();
  auto text = mail::render(m, kDate, "ab");
  ASSERT_TRUE(text.ok());
  // Folded before the address, which would take the line past 76 characters.
  EXPECT_NE(text->find("\r\nFrom: =?UTF-8?B?" + protocol::base64_encode(m.from_name) +
                       "?=\r\n <phananh@hailinh.thanhhoa.gov.vn>\r\n"),
            std::string::npos)
      << *text;

  m.from_name = "Nguon Hai Linh";
  text = mail::render(m, kDate, "ab");
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("From: Nguon Hai Linh <phananh@"), std::string::npos) << *text;

  m.from_name = "UBND \"Hai Linh\", Thanh Hoa";
  text = mail::render(m, kDate, "ab");
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("From: \"UBND \\\"Hai Linh\\\", Thanh Hoa\" <phananh@"), std::string::npos)
      << *text;

  m.from_name = "";
  text = mail::render(m, kDate, "ab");
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("\r\nFrom: phananh@hailinh.thanhhoa.gov.vn\r\n"), std::string::npos);
}

TEST(MailRender, ShortAsciiSubjectStaysPlain) {
  mail::Message m = vietnamese_message();
  m.subject = "Phan anh 2026-0042";
  auto text = mail::render(m, kDate, "ab");
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("\r\nSubject: Phan anh 2026-0042\r\n"), std::string::npos);
  EXPECT_EQ(decoded_subject(*text), m.subject);

  m.subject = "looks like =?UTF-8?B?QQ==?= an encoded word";
  text = mail::render(m, kDate, "ab");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->find("\r\nSubject: looks"), std::string::npos);
  EXPECT_EQ(decoded_subject(*text), m.subject);

  m.subject = "";
  text = mail::render(m, kDate, "ab");
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("\r\nSubject:\r\n"), std::string::npos);
}

TEST(MailRender, BodyLineBreaksBecomeCrlfAndBase64Wraps) {
  mail::Message m = vietnamese_message();
  m.body_text = "một\nhai\r\nba\rbốn";
  auto text = mail::render(m, kDate, "ab");
  ASSERT_TRUE(text.ok());
  const std::string body = text->substr(text->find("\r\n\r\n") + 4);
  std::string compact;
  for (const char c : body) {
    if (c != '\r' && c != '\n') compact += c;
  }
  EXPECT_EQ(protocol::base64_decode(compact), "một\r\nhai\r\nba\r\nbốn");
  EXPECT_EQ(decoded_body(*text), "một\nhai\nba\nbốn");

  m.body_text = std::string(1000, 'x');
  text = mail::render(m, kDate, "ab");
  ASSERT_TRUE(text.ok());
  const auto lines = crlf_lines(text->substr(text->find("\r\n\r\n") + 4));
  ASSERT_GT(lines.size(), 2u);
  for (size_t i = 0; i + 1 < lines.size(); ++i) EXPECT_EQ(lines[i].size(), 76u);
  EXPECT_EQ(decoded_body(*text), m.body_text);
}

TEST(MailRender, DateIsInVietnamTime) {
  EXPECT_EQ(mail::rfc5322_date(0), "Thu, 01 Jan 1970 07:00:00 +0700");
  EXPECT_EQ(mail::rfc5322_date(-1), "Thu, 01 Jan 1970 06:59:59 +0700");
  EXPECT_EQ(mail::rfc5322_date(kDate), "Tue, 01 Dec 2026 06:00:00 +0700");
  // 2028-02-29 23:59:59 +0700 (leap day), a Tuesday.
  EXPECT_EQ(mail::rfc5322_date(1'835'456'399), "Tue, 29 Feb 2028 23:59:59 +0700");
}

TEST(MailRender, MessageIdDefaultsToTheSendersDomain) {
  auto text = mail::render(vietnamese_message(), kDate, "00ff");
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("\r\nMessage-ID: <00ff@hailinh.thanhhoa.gov.vn>\r\n"), std::string::npos);
  for (const char* bad : {"", "00FF", "xyz", "00 ff"}) {
    auto r = mail::render(vietnamese_message(), kDate, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "invalid_message_id");
  }
  mail::Message m = vietnamese_message();
  m.message_id_domain = "not a domain";
  auto r = mail::render(m, kDate, "00ff");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid_message_id");
}

TEST(MailRender, HeaderInjectionRefused) {
  const auto refused = [](const mail::Message& m) {
    auto r = mail::render(m, kDate, "ab");
    return !r.ok() && r.error().kind == ErrorKind::kInvalid && r.error().code == "header_injection";
  };
  mail::Message m = vietnamese_message();
  m.subject = "Trả lời\r\nBcc: victim@example.com";
  EXPECT_TRUE(refused(m));
  m = vietnamese_message();
  m.subject = "Trả lời\nBcc: victim@example.com";
  EXPECT_TRUE(refused(m));
  m = vietnamese_message();
  m.from_name = "Nguồn\rX-Evil: 1";
  EXPECT_TRUE(refused(m));
  m = vietnamese_message();
  m.to = "dan@example.vn\r\nBcc: victim@example.com";
  EXPECT_TRUE(refused(m));
  m = vietnamese_message();
  m.from_address = "a@example.vn\n";
  EXPECT_TRUE(refused(m));
  m = vietnamese_message();
  m.message_id_domain = "example.vn\r\nX: y";
  EXPECT_TRUE(refused(m));
  // Line breaks in the body are content, not injection.
  m = vietnamese_message();
  m.body_text = "a\r\n\r\nBcc: x@example.com\r\n.\r\n";
  EXPECT_TRUE(mail::render(m, kDate, "ab").ok());
}

TEST(MailRender, BadAddressesAndTextRefused) {
  mail::Message m = vietnamese_message();
  m.to = "not an address";
  auto r = mail::render(m, kDate, "ab");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid_address");
  m = vietnamese_message();
  m.from_address = "";
  r = mail::render(m, kDate, "ab");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid_address");
  m = vietnamese_message();
  m.subject = "bad \xC3\x28 utf-8";
  r = mail::render(m, kDate, "ab");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid_utf8");
}

TEST(MailAddress, Valid) {
  for (const char* a : {"dan@example.vn", "a.b+tag@sub.example.com.vn", "o'brien@x.io",
                        "USER_1-x@Mail-1.Example.COM", "x@1.2.3.4"}) {
    EXPECT_TRUE(mail::valid_address(a)) << a;
  }
  const std::string local64(64, 'a');
  EXPECT_TRUE(mail::valid_address(local64 + "@example.vn"));
  std::string long_domain;
  while (long_domain.size() < 240) long_domain += "abcdefghi.";
  long_domain += "vn";                                             // 242 characters
  EXPECT_TRUE(mail::valid_address("abcdefghijk@" + long_domain));  // 254 characters
}

TEST(MailAddress, Invalid) {
  for (const char* a : {"",
                        "no-at",
                        "@example.vn",
                        "a@",
                        "a@localhost",
                        "a b@example.vn",
                        "a@exa mple.vn",
                        "a@example..vn",
                        "a@-example.vn",
                        "a@example-.vn",
                        ".a@example.vn",
                        "a.@example.vn",
                        "a..b@example.vn",
                        "a\"b@example.vn",
                        "\"a\"@example.vn",
                        "<a@example.vn>",
                        "a@example.vn>",
                        "người@example.vn",
                        "a@ví.vn",
                        "a@b@example.vn",
                        "a@example_1.vn",
                        "a,b@example.vn",
                        "a@example.vn.",
                        "a\r@example.vn",
                        "a@example.vn\n",
                        "a@[1.2.3.4]"}) {
    EXPECT_FALSE(mail::valid_address(a)) << a;
  }
  EXPECT_FALSE(mail::valid_address(std::string(65, 'a') + "@example.vn"));
  std::string long_domain;
  while (long_domain.size() < 240) long_domain += "abcdefghi.";
  long_domain += "vn";
  EXPECT_FALSE(mail::valid_address("abcdefghijkl@" + long_domain));        // 255 characters
  EXPECT_FALSE(mail::valid_address("a@" + std::string(64, 'b') + ".vn"));  // label of 64
}

// ---- the SMTP sink, driven by hand -----------------------------------------------------------

class RawClient {
 public:
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }
  void send(const std::string& bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // The code of the next complete reply (multi-line replies read to their last line); -1 when
  // the connection ends first.
  int reply() {
    while (true) {
      const size_t eol = in_.find("\r\n");
      if (eol != std::string::npos) {
        const std::string line = in_.substr(0, eol);
        in_.erase(0, eol + 2);
        if (line.size() >= 4 && line[3] == '-') continue;
        return line.size() >= 3 ? std::stoi(line.substr(0, 3)) : -1;
      }
      char buf[1024];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return -1;
      in_.append(buf, static_cast<size_t>(n));
    }
  }
  int command(const std::string& line) {
    send(line + "\r\n");
    return reply();
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string in_;
};

TEST(SmtpSink, SpeaksSmtpUndoesDotStuffingAndKeepsSeveralMessagesPerConnection) {
  SmtpSink sink;
  {
    RawClient c(sink.port());
    ASSERT_TRUE(c.connected());
    EXPECT_EQ(c.reply(), 220);
    EXPECT_EQ(c.command("EHLO client.example"), 250);
    EXPECT_EQ(c.command("RCPT TO:<x@example.vn>"), 503);  // no MAIL yet
    EXPECT_EQ(c.command("DATA"), 503);
    EXPECT_EQ(c.command("VRFY someone"), 500);
    EXPECT_EQ(c.command("NOOP"), 250);
    EXPECT_EQ(c.command("MAIL FROM:<a@example.vn> BODY=8BITMIME"), 250);
    EXPECT_EQ(c.command("RCPT TO:<b@example.vn>"), 250);
    EXPECT_EQ(c.command("RCPT TO:<c@example.vn>"), 250);
    EXPECT_EQ(c.command("DATA"), 354);
    EXPECT_EQ(c.command("Subject: one\r\n\r\n..leading dot\r\nplain\r\n...\r\n."), 250);
    EXPECT_EQ(c.command("MAIL FROM:<d@example.vn>"), 250);
    EXPECT_EQ(c.command("RSET"), 250);  // abandons that transaction
    EXPECT_EQ(c.command("mail from:<e@example.vn>"), 250);
    EXPECT_EQ(c.command("rcpt to:<f@example.vn>"), 250);
    EXPECT_EQ(c.command("DATA"), 354);
    c.send("second\r\n");
    EXPECT_EQ(c.command("."), 250);
    EXPECT_EQ(c.command("QUIT"), 221);
  }
  {
    RawClient c(sink.port());  // a second connection after the first one closed
    ASSERT_TRUE(c.connected());
    EXPECT_EQ(c.reply(), 220);
    EXPECT_EQ(c.command("HELO client.example"), 250);
    EXPECT_EQ(c.command("MAIL FROM:<>"), 250);  // the null sender of bounces
    EXPECT_EQ(c.command("RCPT TO:<g@example.vn>"), 250);
    EXPECT_EQ(c.command("DATA"), 354);
    EXPECT_EQ(c.command("third\r\n."), 250);
    EXPECT_EQ(c.command("QUIT"), 221);
  }
  ASSERT_TRUE(sink.wait_for(3, 5s));
  const auto messages = sink.messages();
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].mail_from, "a@example.vn");
  EXPECT_EQ(messages[0].rcpt_to, (std::vector<std::string>{"b@example.vn", "c@example.vn"}));
  EXPECT_EQ(messages[0].data, "Subject: one\r\n\r\n.leading dot\r\nplain\r\n..\r\n");
  EXPECT_EQ(messages[1].mail_from, "e@example.vn");
  EXPECT_EQ(messages[1].rcpt_to, std::vector<std::string>{"f@example.vn"});
  EXPECT_EQ(messages[1].data, "second\r\n");
  EXPECT_EQ(messages[2].mail_from, "");
  EXPECT_EQ(messages[2].data, "third\r\n");
}

TEST(SmtpSink, StopsPromptlyWithAClientConnected) {
  SmtpSink sink;
  RawClient c(sink.port());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.reply(), 220);
  const auto t0 = std::chrono::steady_clock::now();
  sink.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  EXPECT_EQ(c.reply(), -1);  // the connection was closed
  sink.stop();               // idempotent
}

// ---- SmtpSender → SmtpSink -------------------------------------------------------------------

class SmtpSenderTest : public ::testing::Test {
 protected:
  mail::SmtpConfig config(int port) const {
    mail::SmtpConfig cfg;
    cfg.port = port;
    cfg.from_address = "phananh@hailinh.thanhhoa.gov.vn";
    cfg.helo_domain = "nguon.example.vn";
    cfg.timeout_seconds = 5;
    return cfg;
  }
  mail::Message message() const {
    mail::Message m;
    m.to = "dan.nguyen@example.vn";
    m.subject = kSubject;
    m.body_text = kBody;
    return m;
  }

  SmtpSink sink_;
  nguon::testing::ManualClock clock_{kDate};
  SodiumCrypto crypto_{Argon2Profile::kMin};
};

TEST_F(SmtpSenderTest, DeliversVietnameseSubjectAndBodyIntact) {
  mail::SmtpSender sender(config(sink_.port()), clock_, crypto_);
  const Status sent = sender.send(message());
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  ASSERT_TRUE(sink_.wait_for(1, 5s));
  const auto got = sink_.messages().at(0);
  EXPECT_EQ(got.mail_from, "phananh@hailinh.thanhhoa.gov.vn");
  EXPECT_EQ(got.rcpt_to, std::vector<std::string>{"dan.nguyen@example.vn"});
  EXPECT_EQ(decoded_subject(got.data), kSubject);
  EXPECT_EQ(decoded_body(got.data), kBody);
  // The configuration's sender name, and the date from the clock.
  EXPECT_NE(got.data.find("From: =?UTF-8?B?" + protocol::base64_encode("Nguồn") +
                          "?= <phananh@hailinh.thanhhoa.gov.vn>\r\n"),
            std::string::npos)
      << got.data;
  EXPECT_EQ(got.data.rfind("Date: Tue, 01 Dec 2026 06:00:00 +0700\r\n", 0), 0u);
  // Message-ID: 16 random bytes as hex, on the sender's domain.
  const std::string prefix = "\r\nMessage-ID: <";
  const size_t id = got.data.find(prefix);
  ASSERT_NE(id, std::string::npos);
  const std::string value =
      got.data.substr(id + prefix.size(), got.data.find('>', id) - id - prefix.size());
  EXPECT_EQ(value.size(), 32 + std::string("@hailinh.thanhhoa.gov.vn").size()) << value;
  EXPECT_TRUE(value.ends_with("@hailinh.thanhhoa.gov.vn")) << value;
}

TEST_F(SmtpSenderTest, MessageSenderOverridesTheConfiguration) {
  mail::SmtpSender sender(config(sink_.port()), clock_, crypto_);
  mail::Message m = message();
  m.from_address = "hoidap@thanhhoa.gov.vn";
  m.from_name = "Tỉnh Thanh Hóa";
  ASSERT_TRUE(sender.send(m).ok());
  ASSERT_TRUE(sink_.wait_for(1, 5s));
  const auto got = sink_.messages().at(0);
  EXPECT_EQ(got.mail_from, "hoidap@thanhhoa.gov.vn");
  EXPECT_NE(got.data.find(protocol::base64_encode("Tỉnh Thanh Hóa")), std::string::npos);
}

TEST_F(SmtpSenderTest, DotLinesRoundTrip) {
  mail::SmtpSender sender(config(sink_.port()), clock_, crypto_);
  mail::Message m = message();
  m.body_text = ".\n..\n.bắt đầu bằng dấu chấm\nkết thúc\n.";
  ASSERT_TRUE(sender.send(m).ok());
  ASSERT_TRUE(sink_.wait_for(1, 5s));
  EXPECT_EQ(decoded_body(sink_.messages().at(0).data), m.body_text);
}

TEST_F(SmtpSenderTest, SequentialAndConcurrentSends) {
  mail::SmtpSender sender(config(sink_.port()), clock_, crypto_);
  std::vector<std::thread> threads;
  threads.reserve(3);
  std::atomic<int> ok{0};
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        mail::Message m = message();
        m.subject = "Thư " + std::to_string(t) + "-" + std::to_string(i);
        if (sender.send(m).ok()) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 9);
  ASSERT_TRUE(sink_.wait_for(9, 5s));
  std::vector<std::string> subjects;
  for (const auto& got : sink_.messages()) subjects.push_back(decoded_subject(got.data));
  std::sort(subjects.begin(), subjects.end());
  EXPECT_EQ(subjects.front(), "Thư 0-0");
  EXPECT_EQ(subjects.back(), "Thư 2-2");
}

TEST_F(SmtpSenderTest, TemporaryRejectionIsUnavailable) {
  sink_.set_reject_mail(451);
  mail::SmtpSender sender(config(sink_.port()), clock_, crypto_);
  const Status sent = sender.send(message());
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(sent.error().code, "smtp_unavailable");
  EXPECT_NE(sent.error().message.find("451 4.3.0 sender refused for now"), std::string::npos)
      << sent.error().message;
  EXPECT_TRUE(sink_.messages().empty());
}

TEST_F(SmtpSenderTest, PermanentRejectionIsInvalid) {
  sink_.set_reject_mail(550);
  mail::SmtpSender sender(config(sink_.port()), clock_, crypto_);
  const Status sent = sender.send(message());
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(sent.error().code, "smtp_rejected");
  EXPECT_NE(sent.error().message.find("550 5.7.1 sender rejected"), std::string::npos)
      << sent.error().message;
  // Accepted again once the server accepts.
  sink_.set_reject_mail(0);
  EXPECT_TRUE(sender.send(message()).ok());
  EXPECT_TRUE(sink_.wait_for(1, 5s));
}

TEST_F(SmtpSenderTest, RecipientOrContentRejectedIsInvalid) {
  mail::SmtpSender sender(config(sink_.port()), clock_, crypto_);
  sink_.set_reject_rcpt(550);
  Status sent = sender.send(message());
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(sent.error().code, "smtp_rejected");
  EXPECT_NE(sent.error().message.find("550 5.7.1 recipient rejected"), std::string::npos)
      << sent.error().message;
  sink_.set_reject_rcpt(450);
  sent = sender.send(message());
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(sent.error().message.find("450 4.3.0 recipient refused"), std::string::npos)
      << sent.error().message;
  sink_.set_reject_rcpt(0);
  sink_.set_reject_data(554);
  sent = sender.send(message());
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::kInvalid);
  EXPECT_NE(sent.error().message.find("554 5.7.1 message rejected"), std::string::npos)
      << sent.error().message;
  sink_.set_reject_data(452);
  sent = sender.send(message());
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::kUnavailable);
  EXPECT_TRUE(sink_.messages().empty());
}

TEST_F(SmtpSenderTest, TlsRequiredButNotOfferedIsUnavailable) {
  mail::SmtpConfig cfg = config(sink_.port());
  cfg.tls = "starttls";  // the sink does not offer STARTTLS: nothing may go out in clear
  Status sent = mail::SmtpSender(cfg, clock_, crypto_).send(message());
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::kUnavailable) << sent.error().message;
  cfg.tls = "tls";  // implicit TLS against a plain-text server
  sent = mail::SmtpSender(cfg, clock_, crypto_).send(message());
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::kUnavailable) << sent.error().message;
  EXPECT_TRUE(sink_.messages().empty());
}

TEST_F(SmtpSenderTest, NothingListeningIsUnavailable) {
  int port = 0;
  {
    SmtpSink closed;
    port = closed.port();
  }
  mail::SmtpSender sender(config(port), clock_, crypto_);
  const auto t0 = std::chrono::steady_clock::now();
  const Status sent = sender.send(message());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 6s);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(sent.error().code, "smtp_unavailable");
}

TEST_F(SmtpSenderTest, SilentServerTimesOut) {
  // Accepts connections (the kernel completes them) but never greets.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  mail::SmtpConfig cfg = config(ntohs(addr.sin_port));
  cfg.timeout_seconds = 1;
  mail::SmtpSender sender(cfg, clock_, crypto_);
  const auto t0 = std::chrono::steady_clock::now();
  const Status sent = sender.send(message());
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  ::close(fd);
  EXPECT_LT(elapsed, 4s);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::kUnavailable);
}

TEST_F(SmtpSenderTest, InvalidMessageIsNotSent) {
  mail::SmtpSender sender(config(sink_.port()), clock_, crypto_);
  mail::Message m = message();
  m.to = "not an address";
  Status sent = sender.send(m);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::kInvalid);
  EXPECT_EQ(sent.error().code, "invalid_address");
  m = message();
  m.subject = "x\r\nBcc: victim@example.com";
  sent = sender.send(m);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code, "header_injection");
  EXPECT_FALSE(sink_.wait_for(1, 100ms));
}

TEST_F(SmtpSenderTest, BadConfigurationIsUnavailable) {
  mail::SmtpConfig cfg = config(sink_.port());
  cfg.tls = "sometimes";
  EXPECT_FALSE(mail::validate(cfg).ok());
  mail::SmtpSender sender(cfg, clock_, crypto_);
  const Status sent = sender.send(message());
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().kind, ErrorKind::kUnavailable);
  EXPECT_NE(sent.error().message.find("smtp.tls"), std::string::npos);
  EXPECT_TRUE(mail::validate(config(sink_.port())).ok());
  cfg = config(sink_.port());
  cfg.helo_domain = "x\r\nRCPT TO:<victim@example.com>";
  EXPECT_FALSE(mail::validate(cfg).ok());
  cfg = config(sink_.port());
  cfg.host = "127.0.0.1/evil";
  EXPECT_FALSE(mail::validate(cfg).ok());
}

}  // namespace
}  // namespace nguon
