// The citizen portal as a function from request to response, over a real FeedbackDesk on a
// temporary SQLite store: every page, both languages, the submission flows (urlencoded and
// multipart with a photo), validation, escaping, privacy of contact details, rating and
// reopening, limits and page sizes.
#include "app/portal.h"

#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <iostream>
#include <map>
#include <mutex>

#include "adapters/crypto/sodium_crypto.h"
#include "core/feedback/feedback_service.h"
#include "core/units.h"
#include "core/workdays/work_calendar.h"
#include "tests/support/fakes.h"
#include "tests/support/form_bodies.h"

namespace nguon::app {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using namespace std::literals;

// Content-addressed media in memory.
class MemoryMedia final : public MediaStore {
 public:
  explicit MemoryMedia(Crypto& crypto) : crypto_(crypto) {}
  Result<MediaInfo> put(std::string_view bytes, std::string_view content_type) override {
    std::lock_guard lock(mu_);
    MediaInfo m;
    m.sha256 = crypto_.sha256_hex(bytes);
    m.bytes = static_cast<std::int64_t>(bytes.size());
    m.content_type = std::string(content_type);
    files_[m.sha256] = std::string(bytes);
    return m;
  }
  Result<std::string> path_of(const std::string&) override { return not_found("no paths"); }
  Result<std::string> read(const std::string& sha256) override {
    std::lock_guard lock(mu_);
    auto it = files_.find(sha256);
    if (it == files_.end()) return not_found("no such media");
    return it->second;
  }
  size_t count() {
    std::lock_guard lock(mu_);
    return files_.size();
  }

 private:
  Crypto& crypto_;
  std::mutex mu_;
  std::map<std::string, std::string> files_;
};

// ---- a small PNG (4×3, RGB), chunk CRCs included ----
std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}
std::uint32_t crc32(std::string_view s) {
  std::uint32_t c = 0xFFFFFFFF;
  for (const char ch : s) {
    c ^= static_cast<unsigned char>(ch);
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320U & (0U - (c & 1U)));
  }
  return ~c;
}
std::string chunk(std::string_view type, const std::string& data) {
  const std::string body = std::string(type) + data;
  return be32(static_cast<std::uint32_t>(data.size())) + body + be32(crc32(body));
}
std::string small_png() {
  return "\x89PNG\r\n\x1a\n"s + chunk("IHDR", be32(4) + be32(3) + "\x08\x02\x00\x00\x00"s) +
         chunk("tEXt", "Comment\0secret"s) +
         chunk("IDAT", "\x78\x9C\x63\x60\x00\x00\x00\x04\x00\x01"s) + chunk("IEND", "");
}

using Form = testing::FormFields;
using testing::FilePart;
using testing::url_encode;
using testing::urlencoded;

constexpr std::string_view kBoundary = "----nguonportal7MA4YWxkTrZu0gW";

std::string multipart(const Form& form, const std::vector<FilePart>& files) {
  return testing::multipart(form, files, kBoundary);
}

bool has(const std::string& hay, std::string_view needle) {
  return hay.find(needle) != std::string::npos;
}

std::string header(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

std::string code_from(const std::string& location) {
  const size_t at = location.find("code=");
  if (at == std::string::npos) return {};
  const size_t end = location.find('&', at);
  return location.substr(at + 5, end == std::string::npos ? std::string::npos : end - at - 5);
}

const access::Principal kAdmin{1, "admin", "VN", {{Role::kAdmin, "VN", "VN/"}}};
const access::Principal kHandler{2, "handler", "38", {{Role::kFeedbackHandler, "38", "VN/38/"}}};
const access::Principal kApprover{3, "approver", "38", {{Role::kApprover, "38", "VN/38/"}}};
const RequestOrigin kStaffOrigin{"staff", "10.0.0.1"};

struct Options {
  bool moderate_first_time = false;
  std::string scope = "38";
  bool media = true;
  int per_ip = 1000;
  int per_contact = 10;
};

class PortalTest : public ::testing::Test {
 protected:
  PortalTest() : crypto_(Argon2Profile::kMin), media_(crypto_) { setup({}); }

  void setup(const Options& o) {
    deps_.reset();
    desk_.reset();
    FeedbackSettings settings;
    settings.moderate_first_time = o.moderate_first_time;
    settings.submissions_per_contact_per_day = o.per_contact;
    desk_ = std::make_unique<FeedbackDesk>(db_.store(), clock_, crypto_, calendar_, settings);
    limiter_ = std::make_unique<RateLimiter>(clock_, o.per_ip, 3600);
    deps_ = std::make_unique<PortalDeps>(
        PortalDeps{*desk_, db_.store(), o.media ? &media_ : nullptr, *limiter_, o.scope});
    if (!services_made_) {
      FeedbackService road;
      road.code = "road";
      road.name_vi = "Đường sá hư hỏng";
      road.name_en = "Damaged roads";
      road.group = "Hạ tầng";
      ASSERT_TRUE(desk_->put_service(kAdmin, road, kStaffOrigin));
      FeedbackService noise;
      noise.code = "noise";
      noise.name_vi = "Tiếng ồn";
      noise.name_en = "Noise";
      noise.group = "Môi trường";
      noise.attributes_json =
          R"j([{"code":"when","datatype":"singlevaluelist","required":true,"description":"Khi nào?",)j"
          R"j("values":[{"key":"day","name":"Ban ngày"},{"key":"night","name":"Ban đêm"}]},)j"
          R"j({"code":"db","datatype":"number","required":false,"description":"Độ ồn (dB)"}])j";
      ASSERT_TRUE(desk_->put_service(kAdmin, noise, kStaffOrigin));
      services_made_ = true;
    }
  }

  HttpResponse call(std::string method, const std::string& target, std::string body = "",
                    std::string content_type = "", std::string ip = "203.0.113.5") {
    HttpRequest r;
    r.method = std::move(method);
    r.target = target;
    r.body = std::move(body);
    r.remote_ip = std::move(ip);
    if (!content_type.empty()) r.headers.emplace_back("content-type", std::move(content_type));
    const size_t q = target.find('?');
    const std::string path = target.substr(0, q);
    const std::string query = q == std::string::npos ? "" : target.substr(q + 1);
    auto out = portal_routes(r, path, query, *deps_);
    EXPECT_TRUE(out.has_value()) << target;
    return out ? std::move(*out) : HttpResponse{};
  }
  HttpResponse get(const std::string& target) { return call("GET", target); }
  HttpResponse post(const std::string& path, const Form& form, std::string ip = "203.0.113.5") {
    return call("POST", path, urlencoded(form), "application/x-www-form-urlencoded", std::move(ip));
  }

  static Form valid_form(std::string description = "Ổ gà lớn trước cổng chợ, rất nguy hiểm.") {
    return {{"commune", "14797"},
            {"service", "road"},
            {"description", description},
            {"title", "Ổ gà"},
            {"address", "12 Lê Lợi"},
            {"name", "Nguyễn Văn An"},
            {"email", "an.nguyen@example.com"},
            {"phone", "0912 345 678"}};
  }

  // Submits through the portal; returns the tracking code.
  std::string submit(const Form& form) {
    HttpResponse r = post("/portal/new", form);
    EXPECT_EQ(r.status, 303) << r.body;
    return code_from(header(r, "Location"));
  }

  std::int64_t id_of(const std::string& code) { return desk_->track(code).value().feedback.id; }

  // accept → draft → submit → approve by another person: published.
  void answer(std::int64_t id, const std::string& text) {
    ASSERT_TRUE(desk_->accept(kHandler, id, kStaffOrigin));
    ASSERT_TRUE(desk_->draft_answer(kHandler, id, text, kStaffOrigin));
    ASSERT_TRUE(desk_->submit_answer(kHandler, id, kStaffOrigin));
    auto r = desk_->approve_answer(kApprover, id, kStaffOrigin);
    ASSERT_TRUE(r) << r.error().message;
  }

  testing::TempStore db_;
  testing::ManualClock clock_{1'790'000'000};
  SodiumCrypto crypto_;
  workdays::WorkCalendar calendar_;
  MemoryMedia media_;
  std::unique_ptr<FeedbackDesk> desk_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<PortalDeps> deps_;
  bool services_made_ = false;
};

void expect_page_basics(const HttpResponse& r) {
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(r.body.rfind("<!doctype html>", 0), 0U);
  EXPECT_TRUE(has(r.body, R"(<meta name=viewport content="width=device-width,initial-scale=1">)"));
  EXPECT_EQ(header(r, "Content-Security-Policy"),
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'");
  EXPECT_EQ(header(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(r, "Referrer-Policy"), "no-referrer");
  EXPECT_FALSE(has(r.body, "<script"));
  EXPECT_FALSE(has(r.body, "<img"));
}

TEST_F(PortalTest, OnlyPortalPathsAreAnswered) {
  HttpRequest r;
  r.method = "GET";
  for (std::string_view p : {"/", "/api/v1/units", "/portalx", "/portal-new", "/port"}) {
    EXPECT_FALSE(portal_routes(r, p, "", *deps_).has_value()) << p;
  }
  for (std::string_view p : {"/portal", "/portal/", "/portal/nope", "/portal/requests/x"}) {
    EXPECT_TRUE(portal_routes(r, p, "", *deps_).has_value()) << p;
  }
  EXPECT_EQ(get("/portal/nope").status, 404);
  EXPECT_EQ(get("/portal/requests/abc").status, 404);
  EXPECT_EQ(get("/portal/requests/999").status, 404);
  EXPECT_EQ(get("/portal/requests/").status, 404);
}

TEST_F(PortalTest, HomeExplainsAndLinks) {
  HttpResponse r = get("/portal");
  EXPECT_EQ(r.status, 200);
  expect_page_basics(r);
  EXPECT_TRUE(has(r.body, "<html lang=vi>"));
  EXPECT_TRUE(has(r.body, "Nghị định 49/2024/NĐ-CP"));
  EXPECT_TRUE(has(r.body, "<a href=/portal/new class=btn>Gửi phản ánh</a>"));
  EXPECT_TRUE(has(r.body, "<form method=get action=/portal/track>"));
  EXPECT_TRUE(has(r.body, "href=\"/portal?lang=en\""));
  EXPECT_TRUE(has(r.body, "Chưa có câu trả lời nào"));
  EXPECT_EQ(get("/portal/").status, 200);
  EXPECT_EQ(call("DELETE", "/portal").status, 405);
  EXPECT_EQ(header(call("DELETE", "/portal"), "Allow"), "GET, HEAD");
}

TEST_F(PortalTest, ProvinceDeploymentOffersItsCommunesAndCategories) {
  HttpResponse r = get("/portal/new");
  EXPECT_EQ(r.status, 200);
  expect_page_basics(r);
  EXPECT_EQ(header(r, "Cache-Control"), "no-store");
  EXPECT_TRUE(has(r.body, "<form method=get action=/portal/new>"));
  EXPECT_TRUE(has(r.body, "<option value=14797>Phường Hạc Thành</option>"));
  EXPECT_TRUE(has(r.body, "<option value=16597>Phường Hải Lĩnh</option>"));
  EXPECT_FALSE(has(r.body, "Ba Đình"));  // another province
  EXPECT_FALSE(has(r.body, "name=province"));
  EXPECT_TRUE(has(r.body, "<optgroup label=\"Hạ tầng\"><option value=road>Đường sá hư hỏng"));
  EXPECT_TRUE(has(r.body, "<optgroup label=\"Môi trường\"><option value=noise>Tiếng ồn"));
  EXPECT_FALSE(has(r.body, "<textarea"));  // details come in the next step
  // A commune of another province is not offered.
  HttpResponse other = get("/portal/new?commune=00004&service=road");
  EXPECT_FALSE(has(other.body, "method=post"));
  EXPECT_TRUE(has(other.body, "class=err"));
}

TEST_F(PortalTest, CentralDeploymentAsksForTheProvinceFirst) {
  setup({.scope = "VN"});
  HttpResponse r = get("/portal/new");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(has(r.body, "<select id=province name=province required>"));
  EXPECT_TRUE(has(r.body, "<option value=38>Tỉnh Thanh Hóa</option>"));
  EXPECT_TRUE(has(r.body, "<option value=01>"));
  EXPECT_FALSE(has(r.body, "name=commune"));
  HttpResponse p = get("/portal/new?province=38");
  EXPECT_TRUE(has(p.body, "<option value=14797>Phường Hạc Thành</option>"));
  EXPECT_FALSE(has(p.body, "Ba Đình"));
  EXPECT_TRUE(has(p.body, "<input type=hidden name=province value=38>"));
  HttpResponse hn = get("/portal/new?province=01");
  EXPECT_TRUE(has(hn.body, "<option value=00004>Phường Ba Đình</option>"));
  HttpResponse bad = get("/portal/new?province=14797");  // a commune is not a province
  EXPECT_TRUE(has(bad.body, "name=province"));
  EXPECT_TRUE(has(bad.body, "class=err"));
  // Through to the details and a submission.
  HttpResponse d = get("/portal/new?province=38&commune=16597&service=road");
  EXPECT_TRUE(has(d.body, "method=post"));
  Form form = valid_form();
  form[0].second = "16597";
  form.emplace_back("province", "38");
  EXPECT_FALSE(submit(form).empty());
}

TEST_F(PortalTest, DetailsStepHasTheFieldsAndTheFiles) {
  HttpResponse r = get("/portal/new?commune=14797&service=road");
  EXPECT_EQ(r.status, 200);
  expect_page_basics(r);
  EXPECT_TRUE(has(r.body, "<form method=post action=/portal/new enctype=multipart/form-data>"));
  EXPECT_TRUE(has(r.body, "<input type=hidden name=commune value=14797>"));
  EXPECT_TRUE(has(r.body, "<input type=hidden name=service value=road>"));
  EXPECT_TRUE(has(r.body, "<b>Phường Hạc Thành</b>"));
  EXPECT_TRUE(
      has(r.body, "<textarea id=description name=description rows=6 maxlength=4000 required>"));
  EXPECT_TRUE(has(r.body, "name=title"));
  EXPECT_TRUE(has(r.body, "name=address"));
  EXPECT_TRUE(has(r.body, "type=tel id=phone name=phone"));
  EXPECT_TRUE(has(r.body, "type=email id=email name=email"));
  EXPECT_TRUE(has(r.body, "không bao giờ được công khai"));
  EXPECT_TRUE(
      has(r.body, R"(<input type=file id=photo name=photo accept="image/*" capture=environment>)"));
  EXPECT_TRUE(has(r.body, R"(<input type=file id=audio name=audio accept="audio/*">)"));
  EXPECT_TRUE(has(r.body, "Tối đa 5 MB mỗi tệp."));
  EXPECT_FALSE(has(r.body, "name=village"));  // the commune has no villages
  EXPECT_FALSE(has(r.body, "attribute["));
  // "Change" goes back to the place step with the choice kept.
  EXPECT_TRUE(has(r.body, "href=\"/portal/new?commune=14797&amp;service=road&amp;edit=1\""));
  HttpResponse back = get("/portal/new?commune=14797&service=road&edit=1");
  EXPECT_TRUE(has(back.body, "<option value=14797 selected>"));
  EXPECT_TRUE(has(back.body, "<option value=road selected>"));
  // Without a media store: no file fields, a plain form.
  setup({.media = false});
  HttpResponse plain = get("/portal/new?commune=14797&service=road");
  EXPECT_TRUE(has(plain.body, "<form method=post action=/portal/new>"));
  EXPECT_FALSE(has(plain.body, "type=file"));
}

TEST_F(PortalTest, CategoryQuestionsAndVillagesAppearOnceChosen) {
  ASSERT_TRUE(db_.store().write([](Tx& tx) -> Status {
    auto c = tx.find_unit("14797");
    if (!c) return c.error();
    NGUON_TRY(tx.insert_unit(units::make_unit("14797-001", &*c.value(), UnitLevel::kVillage,
                                              "tổ dân phố", "Tổ dân phố 1")));
    return tx.insert_unit(units::make_unit("14797-002", &*c.value(), UnitLevel::kVillage,
                                           "tổ dân phố", "Tổ dân phố 2"));
  }));
  HttpResponse r = get("/portal/new?commune=14797&service=noise");
  EXPECT_TRUE(has(r.body, "<select id=village name=village>"));
  EXPECT_TRUE(has(r.body, "<option value=14797-002>Tổ dân phố 2</option>"));
  EXPECT_TRUE(has(r.body, "<select id=a-when name=\"attribute[when]\" required>"));
  EXPECT_TRUE(has(r.body, "<option value=night>Ban đêm</option>"));
  EXPECT_TRUE(has(r.body, "type=number step=any inputmode=decimal id=a-db name=\"attribute[db]\""));
  // A required question left out: 422, the form comes back with the answers kept.
  Form form = valid_form("Karaoke đến nửa đêm.");
  form[1].second = "noise";
  form.emplace_back("village", "14797-002");
  form.emplace_back("attribute[db]", "85");
  HttpResponse missing = post("/portal/new", form);
  EXPECT_EQ(missing.status, 422);
  EXPECT_TRUE(has(missing.body, "<option value=14797-002 selected>"));
  EXPECT_TRUE(has(missing.body, "name=\"attribute[db]\" value=85"));
  EXPECT_TRUE(has(missing.body, "aria-invalid=true"));
  form.emplace_back("attribute[when]", "night");
  const std::string code = submit(form);
  auto view = desk_->track(code);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->feedback.village_code, "14797-002");
  EXPECT_EQ(view->feedback.attributes_json, R"({"when":"night","db":"85"})");
}

TEST_F(PortalTest, UrlencodedSubmissionRedirectsToTheTrackingPage) {
  HttpResponse r = post("/portal/new", valid_form());
  ASSERT_EQ(r.status, 303) << r.body;
  const std::string location = header(r, "Location");
  EXPECT_EQ(location.rfind("/portal/track?code=", 0), 0U) << location;
  EXPECT_TRUE(has(location, "&new=1"));
  const std::string code = code_from(location);
  ASSERT_EQ(code.size(), 14U) << code;
  auto view = desk_->track(code);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->feedback.channel, "web");
  EXPECT_EQ(view->feedback.submitter_ip, "203.0.113.5");
  EXPECT_EQ(view->feedback.contact_phone, "0912345678");
  EXPECT_EQ(view->feedback.status, FeedbackStatus::kReceived);

  HttpResponse t = get(location);
  EXPECT_EQ(t.status, 200);
  expect_page_basics(t);
  EXPECT_EQ(header(t, "Cache-Control"), "no-store");
  EXPECT_TRUE(has(t.body, "<div class=box role=status>"));
  EXPECT_TRUE(has(t.body, "<p class=code>" + code + "</p>"));
  EXPECT_TRUE(has(t.body, "<li class=now aria-current=step>Đã tiếp nhận</li>"));
  EXPECT_TRUE(has(t.body, "Đường sá hư hỏng"));
  EXPECT_TRUE(has(t.body, "Phường Hạc Thành"));
  EXPECT_TRUE(has(t.body, "Dự kiến trả lời trước"));
  EXPECT_TRUE(has(t.body, "a***@example.com"));
  EXPECT_TRUE(has(t.body, "091****678"));
  EXPECT_FALSE(has(t.body, "an.nguyen@example.com"));
  EXPECT_TRUE(has(t.body, "Tiếp nhận phản ánh"));  // history
  EXPECT_FALSE(has(t.body, "citizen"));            // no actors
  // Without new=1 there is no "keep this code" box; the code may be typed loosely.
  std::string loose = code;
  std::erase(loose, '-');
  for (char& c : loose) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  HttpResponse again = get("/portal/track?code=" + loose);
  EXPECT_EQ(again.status, 200);
  EXPECT_FALSE(has(again.body, "class=box"));
  EXPECT_TRUE(has(again.body, code));
}

TEST_F(PortalTest, MultipartSubmissionStoresThePhoto) {
  const std::string png = small_png();
  HttpResponse r = call("POST", "/portal/new",
                        multipart(valid_form(), {{"photo", "o ga.png", "image/png", png},
                                                 {"audio", "", "application/octet-stream", ""}}),
                        "multipart/form-data; boundary=" + std::string(kBoundary));
  ASSERT_EQ(r.status, 303) << r.body;
  EXPECT_EQ(media_.count(), 1U);
  auto view = desk_->track(code_from(header(r, "Location")));
  ASSERT_TRUE(view);
  ASSERT_EQ(view->feedback.attachments.size(), 1U);
  const FeedbackAttachment& a = view->feedback.attachments[0];
  EXPECT_EQ(a.kind, "image");
  EXPECT_EQ(a.mime, "image/png");
  auto stored = media_.read(a.sha256);
  ASSERT_TRUE(stored);
  EXPECT_FALSE(has(stored.value(), "secret"));  // metadata stripped
  EXPECT_TRUE(has(get(header(r, "Location")).body, "<dt>Tệp đính kèm</dt><dd>1</dd>"));

  // Not a photo: refused next to the file field, nothing stored, values kept.
  HttpResponse bad = call("POST", "/portal/new",
                          multipart(valid_form(), {{"photo", "x.exe", "image/png", "MZ\x90\x00"s}}),
                          "multipart/form-data; boundary=" + std::string(kBoundary));
  EXPECT_EQ(bad.status, 422);
  EXPECT_TRUE(has(bad.body, "Chỉ nhận ảnh"));
  EXPECT_TRUE(has(bad.body, "Ổ gà lớn trước cổng chợ"));
  EXPECT_EQ(media_.count(), 1U);

  // No media store: a file is refused.
  setup({.media = false});
  HttpResponse none =
      call("POST", "/portal/new", multipart(valid_form(), {{"photo", "a.png", "image/png", png}}),
           "multipart/form-data; boundary=" + std::string(kBoundary));
  EXPECT_EQ(none.status, 503);
  EXPECT_TRUE(has(none.body, "Hiện không nhận tệp đính kèm"));
}

TEST_F(PortalTest, ValidationErrorsComeBackNextToTheFieldsWithTheValuesKept) {
  Form form = valid_form("");
  form[3].second = "Ổ gà \"lớn\" <b>";  // title
  HttpResponse r = post("/portal/new", form);
  EXPECT_EQ(r.status, 422);
  expect_page_basics(r);
  EXPECT_TRUE(has(r.body, "class=err role=alert"));
  EXPECT_TRUE(has(r.body, "Vui lòng nhập nội dung phản ánh"));
  EXPECT_TRUE(has(r.body, "value=\"Ổ gà &quot;lớn&quot; &lt;b&gt;\""));
  EXPECT_TRUE(has(r.body, "value=\"Nguyễn Văn An\""));
  EXPECT_TRUE(has(r.body, "value=\"an.nguyen@example.com\""));
  EXPECT_TRUE(has(r.body, "description rows=6 maxlength=4000 required aria-invalid=true"));

  form = valid_form();
  form[6].second = "not-an-email";
  HttpResponse email = post("/portal/new", form);
  EXPECT_EQ(email.status, 422);
  EXPECT_TRUE(has(email.body, "Địa chỉ email không hợp lệ"));
  EXPECT_TRUE(has(email.body, ">\nỔ gà lớn trước cổng chợ, rất nguy hiểm.</textarea>"));

  form = valid_form();
  form[7].second = "12345";
  HttpResponse phone = post("/portal/new", form);
  EXPECT_EQ(phone.status, 422);
  EXPECT_TRUE(has(phone.body, "Số điện thoại không hợp lệ"));

  form = valid_form();
  form[1].second = "nope";  // unknown category: back to the place step
  HttpResponse svc = post("/portal/new", form);
  EXPECT_EQ(svc.status, 422);
  EXPECT_TRUE(has(svc.body, "Vui lòng chọn loại phản ánh"));

  form = valid_form();
  form.erase(form.begin());  // no commune: back to the place step
  HttpResponse place = post("/portal/new", form);
  EXPECT_EQ(place.status, 422);
  EXPECT_TRUE(has(place.body, "<select id=commune name=commune required aria-invalid=true>"));
  EXPECT_TRUE(has(place.body, "Vui lòng chọn xã, phường"));

  form = valid_form();
  form.emplace_back("village", "14797-999");  // not offered: the error shows at the top
  HttpResponse village = post("/portal/new", form);
  EXPECT_EQ(village.status, 422);
  EXPECT_TRUE(has(village.body,
                  "<div class=err role=alert><p>Chưa gửi được. Vui lòng sửa các mục "
                  "được đánh dấu.</p><p>Thôn, tổ dân phố này không thuộc xã đã chọn."));

  // Nothing was stored.
  EXPECT_TRUE(desk_->public_search({}).value().empty());
  // Not a form at all.
  EXPECT_EQ(call("POST", "/portal/new", "{}", "application/json").status, 415);
  EXPECT_EQ(call("POST", "/portal/new", "a=%zz", "application/x-www-form-urlencoded").status, 400);
}

TEST_F(PortalTest, CitizensTextIsEscapedEverywhere) {
  const std::string evil = "<script>alert('x')</script> & \"q\"";
  Form form = valid_form(evil);
  form[3].second = "<img src=x onerror=alert(1)>";
  const std::string code = submit(form);
  const std::string escaped = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;";
  HttpResponse t = get("/portal/track?code=" + code);
  EXPECT_TRUE(has(t.body, escaped));
  EXPECT_TRUE(has(t.body, "&lt;img src=x onerror=alert(1)&gt;"));
  EXPECT_FALSE(has(t.body, "<script"));
  EXPECT_FALSE(has(t.body, "<img"));
  HttpResponse pub = get("/portal/requests/" + std::to_string(id_of(code)));
  EXPECT_EQ(pub.status, 200);
  EXPECT_TRUE(has(pub.body, escaped));
  EXPECT_FALSE(has(pub.body, "<script"));
  EXPECT_FALSE(has(pub.body, "<img"));
  // A typed code is escaped on the "not found" page too.
  HttpResponse nf = get("/portal/track?code=%3Cscript%3E");
  EXPECT_EQ(nf.status, 404);
  EXPECT_FALSE(has(nf.body, "<script"));
  EXPECT_TRUE(has(nf.body, "value=\"&lt;script&gt;\""));
}

TEST_F(PortalTest, ContactDetailsNeverReachThePublicPage) {
  Form form =
      valid_form("Nhà ông Nguyễn Văn An bị ngập, gọi 0912345678 hoặc an.nguyen@example.com.");
  const std::string code = submit(form);
  const std::int64_t id = id_of(code);
  answer(id, "Đã liên hệ Nguyễn Văn An qua số 0912345678; sẽ khơi thông cống trong tuần.");
  HttpResponse pub = get("/portal/requests/" + std::to_string(id));
  ASSERT_EQ(pub.status, 200);
  expect_page_basics(pub);
  for (std::string_view secret :
       {"Nguyễn Văn An"sv, "0912345678"sv, "0912 345 678"sv, "091****678"sv, "an.nguyen"sv,
        "example.com"sv, "12 Lê Lợi"sv, std::string_view(code)}) {
    EXPECT_FALSE(has(pub.body, secret)) << secret;
  }
  EXPECT_TRUE(has(pub.body, "<h1>Phản ánh số " + std::to_string(id) + "</h1>"));
  EXPECT_TRUE(has(pub.body, "Đường sá hư hỏng"));
  EXPECT_TRUE(has(pub.body, "Phường Hạc Thành"));
  EXPECT_TRUE(has(pub.body, "Đã trả lời"));
  EXPECT_TRUE(has(pub.body, "sẽ khơi thông cống trong tuần"));
  EXPECT_TRUE(has(pub.body, "UBND Phường Hạc Thành"));
  // The home page lists it among recent answers, without contact details either.
  HttpResponse home = get("/portal");
  EXPECT_TRUE(has(home.body, "href=/portal/requests/" + std::to_string(id) + ">Ổ gà</a>"));
  EXPECT_FALSE(has(home.body, "0912345678"));
}

TEST_F(PortalTest, FirstTimeSubmittersWaitForModeration) {
  setup({.moderate_first_time = true});
  const std::string code = submit(valid_form());
  HttpResponse t = get("/portal/track?code=" + code);
  EXPECT_EQ(t.status, 200);
  EXPECT_TRUE(has(t.body, "Chờ kiểm duyệt"));
  EXPECT_TRUE(has(t.body, "đang chờ kiểm duyệt"));
  EXPECT_FALSE(has(t.body, "/portal/requests/"));
  EXPECT_EQ(get("/portal/requests/" + std::to_string(id_of(code))).status, 404);
  HttpResponse en = get("/portal/track?code=" + code + "&lang=en");
  EXPECT_TRUE(has(en.body, "awaits moderation"));
}

TEST_F(PortalTest, RatingAndReopening) {
  const std::string code = submit(valid_form());
  const std::int64_t id = id_of(code);
  HttpResponse early = post("/portal/track/rate", {{"code", code}, {"stars", "5"}});
  EXPECT_EQ(early.status, 409);
  EXPECT_TRUE(has(early.body, "chưa được trả lời"));

  answer(id, "Đã vá ổ gà ngày 20/11.");
  HttpResponse t = get("/portal/track?code=" + code);
  EXPECT_TRUE(has(t.body, "<li class=now aria-current=step>Đã trả lời</li>"));
  EXPECT_TRUE(has(t.body, "<li class=done>✓ Đang xử lý</li>"));
  EXPECT_TRUE(has(t.body, "Đã vá ổ gà ngày 20/11."));
  EXPECT_TRUE(has(t.body, "<form method=post action=/portal/track/rate>"));
  EXPECT_TRUE(has(t.body, "<form method=post action=/portal/track/reopen>"));
  EXPECT_TRUE(has(t.body, "type=radio name=stars required value=5"));
  EXPECT_FALSE(has(t.body, "handler"));  // no staff names
  EXPECT_FALSE(has(t.body, "approver"));

  HttpResponse bad =
      post("/portal/track/rate", {{"code", code}, {"stars", "9"}, {"comment", "hm"}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_TRUE(has(bad.body, "Vui lòng chọn mức độ hài lòng"));
  EXPECT_TRUE(has(bad.body, ">\nhm</textarea>"));

  HttpResponse rated =
      post("/portal/track/rate", {{"code", code}, {"stars", "4"}, {"comment", "Nhanh"}});
  ASSERT_EQ(rated.status, 303) << rated.body;
  EXPECT_EQ(header(rated, "Location"), "/portal/track?code=" + code);
  HttpResponse after = get(header(rated, "Location"));
  EXPECT_TRUE(has(after.body, "Bạn đã đánh giá: <b>4/5</b>"));
  EXPECT_TRUE(has(after.body, "<li class=now aria-current=step>Đã đóng</li>"));
  EXPECT_FALSE(has(after.body, "action=/portal/track/rate"));
  EXPECT_TRUE(has(after.body, "action=/portal/track/reopen"));
  EXPECT_EQ(post("/portal/track/rate", {{"code", code}, {"stars", "5"}}).status, 409);

  HttpResponse empty = post("/portal/track/reopen", {{"code", code}, {"reason", "  "}});
  EXPECT_EQ(empty.status, 422);
  EXPECT_TRUE(has(empty.body, "Vui lòng nêu lý do"));
  HttpResponse reopened = post("/portal/track/reopen",
                               {{"code", code}, {"reason", "Ổ gà lại xuất hiện."}, {"lang", "en"}});
  ASSERT_EQ(reopened.status, 303) << reopened.body;
  EXPECT_EQ(header(reopened, "Location"), "/portal/track?code=" + code + "&lang=en");
  HttpResponse now = get(header(reopened, "Location"));
  EXPECT_TRUE(has(now.body, "<li class=now aria-current=step>Being handled</li>"));
  EXPECT_TRUE(has(now.body, "Reopened by the sender"));
  EXPECT_TRUE(has(now.body, "Ổ gà lại xuất hiện."));
  EXPECT_EQ(desk_->track(code)->feedback.status, FeedbackStatus::kAssigned);

  EXPECT_EQ(get("/portal/track/rate").status, 405);
  EXPECT_EQ(post("/portal/track/reopen", {{"code", "ZZZZ-ZZZZ-ZZZZ"}, {"reason", "x y"}}).status,
            404);
}

TEST_F(PortalTest, UnknownOrMalformedCodesAnswer404WithTheLookupForm) {
  for (const std::string& code : {"K7QM-4XZP-9DTR"s, "abc"s, "%%%"s}) {
    HttpResponse r = get("/portal/track?code=" + url_encode(code));
    EXPECT_EQ(r.status, 404) << code;
    EXPECT_TRUE(has(r.body, "Không tìm thấy phản ánh có mã này"));
    EXPECT_TRUE(has(r.body, "<form method=get action=/portal/track>"));
  }
  HttpResponse blank = get("/portal/track");
  EXPECT_EQ(blank.status, 200);
  EXPECT_TRUE(has(blank.body, "<form method=get action=/portal/track>"));
}

TEST_F(PortalTest, EnglishVersion) {
  HttpResponse home = get("/portal?lang=en");
  EXPECT_TRUE(has(home.body, "<html lang=en>"));
  EXPECT_TRUE(has(home.body, "Send feedback"));
  EXPECT_TRUE(has(home.body, "<a href=/portal hreflang=vi lang=vi>Tiếng Việt</a>"));
  EXPECT_TRUE(has(home.body, "<input type=hidden name=lang value=en>"));
  HttpResponse form = get("/portal/new?lang=en");
  EXPECT_TRUE(has(form.body, "Commune or ward"));
  EXPECT_TRUE(has(form.body, "Damaged roads"));
  EXPECT_TRUE(has(form.body, "<input type=hidden name=lang value=en>"));
  HttpResponse details = get("/portal/new?commune=14797&service=road&lang=en");
  EXPECT_TRUE(has(details.body, "What happened"));
  EXPECT_TRUE(has(details.body, "Contact details are never published"));
  EXPECT_TRUE(has(details.body, "href=\"/portal/new?commune=14797&amp;service=road\" hreflang=vi"));
  Form f = valid_form();
  f.emplace_back("lang", "en");
  HttpResponse r = post("/portal/new", f);
  ASSERT_EQ(r.status, 303);
  EXPECT_TRUE(has(header(r, "Location"), "&new=1&lang=en"));
  HttpResponse t = get(header(r, "Location"));
  EXPECT_TRUE(has(t.body, "Keep this tracking code"));
  EXPECT_TRUE(has(t.body, "<li class=now aria-current=step>Received</li>"));
  EXPECT_TRUE(has(t.body, "Damaged roads"));
  f.back().second = "en";
  f[2].second = "";
  HttpResponse err = post("/portal/new", f);
  EXPECT_EQ(err.status, 422);
  EXPECT_TRUE(has(err.body, "Describe what happened"));
  EXPECT_TRUE(has(get("/portal/nowhere?lang=en").body, "There is no such page."));
}

TEST_F(PortalTest, SubmissionsAreLimitedPerAddressAndPerContact) {
  setup({.per_ip = 2});
  EXPECT_EQ(post("/portal/new", valid_form()).status, 303);
  EXPECT_EQ(post("/portal/new", valid_form()).status, 303);
  HttpResponse r = post("/portal/new", valid_form());
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(header(r, "Retry-After"), "3600");
  EXPECT_TRUE(has(r.body, "thử lại sau một giờ"));
  EXPECT_EQ(post("/portal/new", valid_form(), "198.51.100.7").status, 303);  // another address

  setup({.per_contact = 1});
  EXPECT_EQ(post("/portal/new", valid_form(), "198.51.100.8").status, 429);  // 3 today already
}

TEST_F(PortalTest, PageSizesStaySmallForAProvinceOfAHundredCommunes) {
  ASSERT_TRUE(db_.store().write([](Tx& tx) -> Status {
    auto p = tx.find_unit("38");
    if (!p) return p.error();
    static constexpr std::array<std::string_view, 10> kWords = {
        "Quảng", "Hoằng", "Thiệu", "Nga", "Triệu", "Đông", "Xuân", "Thọ", "Vĩnh", "Yên"};
    for (int i = 0; i < 100; ++i) {
      const std::string name = "Xã " + std::string(kWords[static_cast<size_t>(i % 10)]) + " " +
                               std::string(kWords[static_cast<size_t>(i / 10)]) + " Thượng";
      NGUON_TRY(tx.insert_unit(units::make_unit(std::to_string(20000 + i), &*p.value(),
                                                UnitLevel::kCommune, "xã", name)));
    }
    return {};
  }));
  for (int i = 0; i < 10; ++i) {
    FeedbackService s;
    s.code = "cat" + std::to_string(i);
    s.name_vi = "Loại phản ánh về vấn đề số " + std::to_string(i);
    s.group = i < 5 ? "Hạ tầng, giao thông" : "Môi trường, đô thị";
    ASSERT_TRUE(desk_->put_service(kAdmin, s, kStaffOrigin));
  }
  HttpResponse place = get("/portal/new");
  HttpResponse details = get("/portal/new?commune=20042&service=noise");
  ASSERT_TRUE(has(details.body, "method=post"));
  HttpResponse home = get("/portal");
  const std::string code = submit(valid_form());
  answer(id_of(code), std::string(600, 'x'));
  HttpResponse track = get("/portal/track?code=" + code + "&new=1");
  HttpResponse pub = get("/portal/requests/" + std::to_string(id_of(code)));
  std::cout << "[ page sizes ] place step with 102 communes and 12 categories: "
            << place.body.size() << " B; details step: " << details.body.size()
            << " B; home: " << home.body.size() << " B; track (answered): " << track.body.size()
            << " B; public page: " << pub.body.size() << " B\n";
  EXPECT_TRUE(has(place.body, "<option value=20099>"));
  EXPECT_LT(place.body.size(), 15U * 1024);
  EXPECT_LT(details.body.size(), 15U * 1024);
  EXPECT_LT(home.body.size(), 15U * 1024);
  EXPECT_LT(track.body.size(), 15U * 1024);
  EXPECT_LT(pub.body.size(), 15U * 1024);
}

}  // namespace
}  // namespace nguon::app
