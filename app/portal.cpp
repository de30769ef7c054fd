// The citizen portal: see app/portal.h. Everything a page needs is rendered here by hand into
// one string (no template engine): an HTML builder that escapes every text and attribute value,
// the UI strings in one table (Vietnamese and English), and the pages.
#include "app/portal.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "app/feedback_intake.h"
#include "app/log.h"
#include "core/feedback/rules.h"
#include "core/forms.h"
#include "core/text.h"
#include "core/units.h"

namespace nguon::app {

// ---------------------------------------------------------------------------------------------
// Names cache

class PortalCache {
 public:
  struct Names {
    std::string vi;
    std::string en;
  };
  // A category's names (the code itself when unknown).
  Names service(FeedbackDesk& desk, const std::string& code);
  // A unit's name (the code itself when unknown).
  std::string unit(Store& store, const std::string& code);

 private:
  using SteadyClock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kTtl{60};
  static constexpr size_t kMaxUnits = 20000;

  std::mutex mu_;
  bool have_services_ = false;
  SteadyClock::time_point services_at_{};
  std::unordered_map<std::string, Names> services_;
  struct UnitEntry {
    std::string name;
    SteadyClock::time_point at;
  };
  std::unordered_map<std::string, UnitEntry> units_;
};

std::shared_ptr<PortalCache> make_portal_cache() { return std::make_shared<PortalCache>(); }

PortalCache::Names PortalCache::service(FeedbackDesk& desk, const std::string& code) {
  const auto now = SteadyClock::now();
  {
    std::lock_guard lock(mu_);
    if (have_services_ && now - services_at_ < kTtl) {
      if (auto it = services_.find(code); it != services_.end()) return it->second;
    }
  }
  // Expired, or a category created since the last load: load them all (inactive ones too, old
  // feedback keeps its category) outside the lock.
  auto list = desk.services(true);
  if (!list) return {code, code};
  std::unordered_map<std::string, Names> fresh;
  for (const FeedbackService& s : list.value()) {
    fresh[s.code] = Names{s.name_vi, s.name_en.empty() ? s.name_vi : s.name_en};
  }
  std::lock_guard lock(mu_);
  services_ = std::move(fresh);
  services_at_ = now;
  have_services_ = true;
  if (auto it = services_.find(code); it != services_.end()) return it->second;
  return {code, code};
}

std::string PortalCache::unit(Store& store, const std::string& code) {
  if (code.empty()) return {};
  const auto now = SteadyClock::now();
  {
    std::lock_guard lock(mu_);
    if (auto it = units_.find(code); it != units_.end() && now - it->second.at < kTtl) {
      return it->second.name;
    }
  }
  std::optional<std::string> name;
  Status s = store.read([&](Tx& tx) -> Status {
    auto u = tx.find_unit(code);
    if (!u) return u.error();
    if (u.value()) name = u.value()->name;
    return {};
  });
  if (!s || !name) return code;
  std::lock_guard lock(mu_);
  if (units_.size() >= kMaxUnits) units_.clear();
  units_[code] = UnitEntry{*name, now};
  return *name;
}

namespace {

using http::HttpRequest;
using http::HttpResponse;

// ---------------------------------------------------------------------------------------------
// UI strings

enum class Lang { kVi, kEn };

enum class S {
  kOtherLanguage,
  kTagline,
  kFooter,
  kHomeHeading,
  kHomeIntro,
  kHomeHow,
  kSendButton,
  kTrackHeading,
  kTrackCodeLabel,
  kTrackCodeHint,
  kTrackButton,
  kRecentAnswers,
  kNoAnswersYet,
  kNewHeading,
  kProvinceLabel,
  kChoose,
  kContinue,
  kStepHint,
  kCommuneLabel,
  kVillageLabel,
  kVillageNone,
  kAddressLabel,
  kCategoryLabel,
  kChange,
  kPlace,
  kTitleLabel,
  kDescriptionLabel,
  kDescriptionHint,
  kContactHeading,
  kContactNote,
  kNameLabel,
  kPhoneLabel,
  kEmailLabel,
  kFilesHeading,
  kPhotoLabel,
  kAudioLabel,
  kFilesNote,
  kSubmit,
  kRequired,
  kFixErrors,
  kErrProvince,
  kErrCommune,
  kErrVillage,
  kErrService,
  kErrTitle,
  kErrDescription,
  kErrAddress,
  kErrName,
  kErrPhone,
  kErrEmail,
  kErrAttribute,
  kErrFileTooLarge,
  kErrFileType,
  kErrFileBroken,
  kErrTooManyFiles,
  kErrFilesUnavailable,
  kErrGeneric,
  kKeepCodeTitle,
  kKeepCodeNote,
  kYourFeedback,
  kStatusLabel,
  kStatusModeration,
  kStatusReceived,
  kStatusAssigned,
  kStatusAnswered,
  kStatusClosed,
  kStatusRejected,
  kStatusMerged,
  kModerationNote,
  kReasonLabel,
  kMergedInto,
  kHandledBy,
  kSubmittedAt,
  kExpectedAt,
  kAnsweredAt,
  kYourContact,
  kAttachments,
  kContentHeading,
  kHistory,
  kAnswerHeading,
  kRateHeading,
  kRate1,
  kRate2,
  kRate3,
  kRate4,
  kRate5,
  kCommentLabel,
  kRateButton,
  kYourRating,
  kReopenHeading,
  kReopenReason,
  kReopenButton,
  kPublicLink,
  kNotFoundCode,
  kErrStars,
  kErrComment,
  kErrReason,
  kErrNotAnswered,
  kErrReopenClosed,
  kErrTooManyReopens,
  kEvReceived,
  kEvAssigned,
  kEvRecategorised,
  kEvMoved,
  kEvTransferred,
  kEvMerged,
  kEvRejected,
  kEvNote,
  kEvAnswered,
  kEvRated,
  kEvReopened,
  kEvClosed,
  kEvBulletin,
  kEvOther,
  kPublicHeading,
  kNotFoundHeading,
  kNotFoundPage,
  kTooManyHeading,
  kTooManyIp,
  kTooManyContact,
  kErrorHeading,
  kServerError,
  kUnavailable,
  kBadForm,
  kUnsupportedForm,
  kMethodNotAllowed,
  kBackHome,
  kSeeOther,
  kCount
};

struct Entry {
  S key;
  std::string_view vi;
  std::string_view en;
};

// One table for both languages. Order must follow the enum (checked below).
constexpr Entry kStrings[] = {
    {S::kOtherLanguage, "English", "Tiếng Việt"},
    {S::kTagline, "Phản ánh, kiến nghị", "Feedback and petitions"},
    {S::kFooter, "Hệ thống thông tin nguồn — tiếp nhận phản ánh theo Nghị định 49/2024/NĐ-CP.",
     "Source information system — feedback under Decree 49/2024/ND-CP."},
    {S::kHomeHeading, "Gửi phản ánh, kiến nghị đến chính quyền",
     "Send feedback to the authorities"},
    {S::kHomeIntro,
     "Theo Nghị định 49/2024/NĐ-CP, người dân có thể gửi phản ánh, kiến nghị về những việc ở "
     "địa phương: đường sá, điện, nước, môi trường, an ninh trật tự, thủ tục…",
     "Under Decree 49/2024/ND-CP, anyone may send feedback or petitions about local matters: "
     "roads, power, water, the environment, public order, procedures…"},
    {S::kHomeHow,
     "Phản ánh được chuyển đến cơ quan có thẩm quyền. Câu trả lời được gửi lại cho bạn, công "
     "khai trên trang này và có thể được phát trên đài truyền thanh cơ sở.",
     "Your feedback goes to the competent body. Its answer comes back to you, is published here "
     "and may be read on the commune radio."},
    {S::kSendButton, "Gửi phản ánh", "Send feedback"},
    {S::kTrackHeading, "Tra cứu phản ánh", "Follow your feedback"},
    {S::kTrackCodeLabel, "Mã theo dõi", "Tracking code"},
    {S::kTrackCodeHint, "12 ký tự, ví dụ K7QM-4XZP-9DTR", "12 characters, e.g. K7QM-4XZP-9DTR"},
    {S::kTrackButton, "Tra cứu", "Look up"},
    {S::kRecentAnswers, "Câu trả lời mới", "Recent answers"},
    {S::kNoAnswersYet, "Chưa có câu trả lời nào được công khai.", "No answers published yet."},
    {S::kNewHeading, "Gửi phản ánh", "Send feedback"},
    {S::kProvinceLabel, "Tỉnh, thành phố", "Province or city"},
    {S::kChoose, "— Chọn —", "— Choose —"},
    {S::kContinue, "Tiếp tục", "Continue"},
    {S::kStepHint, "Chọn nơi xảy ra sự việc và loại phản ánh, rồi bấm Tiếp tục.",
     "Choose where it happens and the category, then press Continue."},
    {S::kCommuneLabel, "Xã, phường, đặc khu", "Commune or ward"},
    {S::kVillageLabel, "Thôn, bản, tổ dân phố (nếu biết)",
     "Village or residential group (if known)"},
    {S::kVillageNone, "— Không chọn —", "— None —"},
    {S::kAddressLabel, "Địa chỉ, địa điểm cụ thể", "Street address or place"},
    {S::kCategoryLabel, "Loại phản ánh", "Category"},
    {S::kChange, "Đổi", "Change"},
    {S::kPlace, "Nơi phản ánh", "Place"},
    {S::kTitleLabel, "Tiêu đề (không bắt buộc)", "Title (optional)"},
    {S::kDescriptionLabel, "Nội dung phản ánh", "What happened"},
    {S::kDescriptionHint, "Tối đa 4.000 ký tự.", "Up to 4,000 characters."},
    {S::kContactHeading, "Thông tin liên hệ (không bắt buộc)", "Contact details (optional)"},
    {S::kContactNote,
     "Thông tin liên hệ không bao giờ được công khai. Nếu để lại email, bạn sẽ nhận câu trả lời "
     "qua email.",
     "Contact details are never published. Leave an e-mail address to receive the answer by "
     "e-mail."},
    {S::kNameLabel, "Họ và tên", "Name"},
    {S::kPhoneLabel, "Số điện thoại", "Phone"},
    {S::kEmailLabel, "Email", "E-mail"},
    {S::kFilesHeading, "Ảnh, ghi âm (không bắt buộc)", "Photo, recording (optional)"},
    {S::kPhotoLabel, "Ảnh", "Photo"},
    {S::kAudioLabel, "Ghi âm", "Recording"},
    {S::kFilesNote,
     "Tối đa {} MB mỗi tệp. Vị trí chụp trong ảnh (nếu có) giúp xác định nơi phản ánh; các thông "
     "tin ẩn khác trong ảnh bị xóa.",
     "Up to {} MB per file. A photo's position, if any, helps place your feedback; other hidden "
     "data in photos is removed."},
    {S::kSubmit, "Gửi phản ánh", "Send"},
    {S::kRequired, "(bắt buộc)", "(required)"},
    {S::kFixErrors, "Chưa gửi được. Vui lòng sửa các mục được đánh dấu.",
     "Not sent yet. Please correct the marked fields."},
    {S::kErrProvince, "Vui lòng chọn tỉnh, thành phố trong danh sách.",
     "Choose a province from the list."},
    {S::kErrCommune, "Vui lòng chọn xã, phường trong danh sách.",
     "Choose a commune from the list."},
    {S::kErrVillage, "Thôn, tổ dân phố này không thuộc xã đã chọn.",
     "That village is not in the chosen commune."},
    {S::kErrService, "Vui lòng chọn loại phản ánh trong danh sách.",
     "Choose a category from the list."},
    {S::kErrTitle, "Tiêu đề tối đa 200 ký tự, trên một dòng.",
     "The title: one line, 200 characters at most."},
    {S::kErrDescription, "Vui lòng nhập nội dung phản ánh (tối đa 4.000 ký tự).",
     "Describe what happened (4,000 characters at most)."},
    {S::kErrAddress, "Địa chỉ tối đa 300 ký tự, trên một dòng.",
     "The address: one line, 300 characters at most."},
    {S::kErrName, "Họ tên tối đa 120 ký tự.", "The name: 120 characters at most."},
    {S::kErrPhone, "Số điện thoại không hợp lệ (ví dụ 0912 345 678).",
     "Not a Vietnamese phone number (e.g. 0912 345 678)."},
    {S::kErrEmail, "Địa chỉ email không hợp lệ.", "Not a valid e-mail address."},
    {S::kErrAttribute, "Vui lòng trả lời đúng mục này.", "Please answer this correctly."},
    {S::kErrFileTooLarge, "Tệp quá lớn.", "The file is too large."},
    {S::kErrFileType, "Chỉ nhận ảnh (JPEG, PNG, WebP) hoặc ghi âm (Ogg, MP3, WAV, M4A, AMR).",
     "Send a photo (JPEG, PNG, WebP) or a recording (Ogg, MP3, WAV, M4A, AMR)."},
    {S::kErrFileBroken, "Không đọc được tệp này. Vui lòng chọn tệp khác.",
     "This file cannot be read. Please choose another one."},
    {S::kErrTooManyFiles, "Quá nhiều tệp.", "Too many files."},
    {S::kErrFilesUnavailable, "Hiện không nhận tệp đính kèm.",
     "Attachments are not accepted here."},
    {S::kErrGeneric, "Chưa gửi được phản ánh. Vui lòng kiểm tra lại nội dung.",
     "The feedback was not sent. Please check it."},
    {S::kKeepCodeTitle, "Đã gửi phản ánh. Hãy ghi lại mã theo dõi:",
     "Your feedback was sent. Keep this tracking code:"},
    {S::kKeepCodeNote,
     "Dùng mã này để xem tiến độ và câu trả lời, đánh giá hoặc mở lại phản ánh. Không chia sẻ mã "
     "với người khác.",
     "Use it to follow the handling, read the answer, rate it or reopen the feedback. Do not share "
     "it."},
    {S::kYourFeedback, "Phản ánh của bạn", "Your feedback"},
    {S::kStatusLabel, "Trạng thái", "Status"},
    {S::kStatusModeration, "Chờ kiểm duyệt", "Awaiting moderation"},
    {S::kStatusReceived, "Đã tiếp nhận", "Received"},
    {S::kStatusAssigned, "Đang xử lý", "Being handled"},
    {S::kStatusAnswered, "Đã trả lời", "Answered"},
    {S::kStatusClosed, "Đã đóng", "Closed"},
    {S::kStatusRejected, "Bị từ chối", "Rejected"},
    {S::kStatusMerged, "Đã gộp", "Merged"},
    {S::kModerationNote, "Phản ánh đang chờ kiểm duyệt trước khi được chuyển đến cơ quan xử lý.",
     "Your feedback awaits moderation before it is passed on to the handling body."},
    {S::kReasonLabel, "Lý do", "Reason"},
    {S::kMergedInto, "Phản ánh này trùng với phản ánh số", "This feedback duplicates feedback no."},
    {S::kHandledBy, "Cơ quan xử lý", "Handled by"},
    {S::kSubmittedAt, "Ngày gửi", "Sent"},
    {S::kExpectedAt, "Dự kiến trả lời trước", "Answer expected by"},
    {S::kAnsweredAt, "Ngày trả lời", "Answered"},
    {S::kYourContact, "Liên hệ của bạn", "Your contact"},
    {S::kAttachments, "Tệp đính kèm", "Attachments"},
    {S::kContentHeading, "Nội dung", "Content"},
    {S::kHistory, "Diễn biến", "History"},
    {S::kAnswerHeading, "Câu trả lời", "Answer"},
    {S::kRateHeading, "Đánh giá câu trả lời", "Rate the answer"},
    {S::kRate1, "1 – Rất không hài lòng", "1 – Very dissatisfied"},
    {S::kRate2, "2 – Không hài lòng", "2 – Dissatisfied"},
    {S::kRate3, "3 – Bình thường", "3 – Neutral"},
    {S::kRate4, "4 – Hài lòng", "4 – Satisfied"},
    {S::kRate5, "5 – Rất hài lòng", "5 – Very satisfied"},
    {S::kCommentLabel, "Nhận xét (không bắt buộc)", "Comment (optional)"},
    {S::kRateButton, "Gửi đánh giá", "Send rating"},
    {S::kYourRating, "Bạn đã đánh giá", "Your rating"},
    {S::kReopenHeading, "Chưa được giải quyết? Mở lại phản ánh", "Not settled? Reopen it"},
    {S::kReopenReason, "Vì sao câu trả lời chưa giải quyết được?",
     "Why does the answer not settle it?"},
    {S::kReopenButton, "Mở lại phản ánh", "Reopen"},
    {S::kPublicLink, "Trang công khai của phản ánh này", "Public page of this feedback"},
    {S::kNotFoundCode, "Không tìm thấy phản ánh có mã này. Vui lòng kiểm tra lại mã.",
     "No feedback has this code. Please check it."},
    {S::kErrStars, "Vui lòng chọn mức độ hài lòng (1–5).", "Choose a rating (1–5)."},
    {S::kErrComment, "Nhận xét tối đa 1.000 ký tự.", "The comment: 1,000 characters at most."},
    {S::kErrReason, "Vui lòng nêu lý do (tối đa 2.000 ký tự).",
     "Say why (2,000 characters at most)."},
    {S::kErrNotAnswered, "Phản ánh chưa được trả lời hoặc đã được đánh giá.",
     "The feedback is not answered, or was already rated."},
    {S::kErrReopenClosed, "Đã hết thời hạn mở lại phản ánh này.",
     "The time to reopen this feedback has passed."},
    {S::kErrTooManyReopens, "Phản ánh này không thể mở lại thêm.",
     "This feedback cannot be reopened again."},
    {S::kEvReceived, "Tiếp nhận phản ánh", "Feedback received"},
    {S::kEvAssigned, "Cơ quan xử lý nhận phản ánh", "Taken up by the handling body"},
    {S::kEvRecategorised, "Đổi loại phản ánh", "Category changed"},
    {S::kEvMoved, "Chuyển địa bàn", "Moved to another commune"},
    {S::kEvTransferred, "Chuyển cơ quan xử lý", "Passed to another body"},
    {S::kEvMerged, "Gộp vào phản ánh trùng", "Merged with a duplicate"},
    {S::kEvRejected, "Từ chối", "Rejected"},
    {S::kEvNote, "Thông tin thêm", "Update"},
    {S::kEvAnswered, "Công khai câu trả lời", "Answer published"},
    {S::kEvRated, "Người gửi đánh giá câu trả lời", "Rated by the sender"},
    {S::kEvReopened, "Người gửi mở lại phản ánh", "Reopened by the sender"},
    {S::kEvClosed, "Đóng phản ánh", "Closed"},
    {S::kEvBulletin, "Câu trả lời được đưa lên đài truyền thanh cơ sở",
     "The answer goes on the commune radio"},
    {S::kEvOther, "Cập nhật", "Update"},
    {S::kPublicHeading, "Phản ánh số", "Feedback no."},
    {S::kNotFoundHeading, "Không tìm thấy", "Not found"},
    {S::kNotFoundPage, "Không có trang này.", "There is no such page."},
    {S::kTooManyHeading, "Gửi quá nhiều lần", "Too many attempts"},
    {S::kTooManyIp, "Đã có quá nhiều phản ánh gửi từ mạng của bạn. Vui lòng thử lại sau một giờ.",
     "Too many submissions came from your network. Please try again in an hour."},
    {S::kTooManyContact,
     "Liên hệ này đã gửi quá nhiều phản ánh hôm nay. Vui lòng thử lại vào ngày mai.",
     "This contact sent too many submissions today. Please try again tomorrow."},
    {S::kErrorHeading, "Có lỗi", "Something went wrong"},
    {S::kServerError, "Hệ thống đang gặp sự cố. Vui lòng thử lại sau.",
     "The system has a problem. Please try again later."},
    {S::kUnavailable, "Hệ thống tạm thời không phục vụ được. Vui lòng thử lại sau.",
     "The service is unavailable for now. Please try again later."},
    {S::kBadForm, "Không đọc được biểu mẫu đã gửi.", "The form could not be read."},
    {S::kUnsupportedForm, "Biểu mẫu phải được gửi dạng urlencoded hoặc multipart/form-data.",
     "Send the form as urlencoded or multipart/form-data."},
    {S::kMethodNotAllowed, "Trang này không hỗ trợ thao tác đó.",
     "This page does not support that method."},
    {S::kBackHome, "Về trang chủ", "Home"},
    {S::kSeeOther, "Tiếp tục", "Continue"},
};

constexpr bool strings_in_order() {
  if (std::size(kStrings) != static_cast<size_t>(S::kCount)) return false;
  for (size_t i = 0; i < std::size(kStrings); ++i) {
    if (static_cast<size_t>(kStrings[i].key) != i) return false;
  }
  return true;
}
static_assert(strings_in_order(), "kStrings must list every S once, in enum order");

std::string_view tr(Lang lang, S key) {
  const Entry& e = kStrings[static_cast<size_t>(key)];
  return lang == Lang::kEn ? e.en : e.vi;
}

// ---------------------------------------------------------------------------------------------
// HTML building

// Escapes text for element content and quoted attribute values alike.
void esc(std::string& out, std::string_view s) {
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

// ` name=value`, quoted unless the value is plainly safe (saves bytes on long option lists).
void attr(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += '=';
  const bool plain = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '/';
  });
  if (plain) {
    out += value;
    return;
  }
  out += '"';
  esc(out, value);
  out += '"';
}

// <tag>text</tag>
void elem(std::string& out, std::string_view tag, std::string_view text) {
  out += '<';
  out += tag;
  out += '>';
  esc(out, text);
  out += "</";
  out += tag.substr(0, tag.find(' '));
  out += '>';
}

void url_encode(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
}

using Params = std::vector<std::pair<std::string_view, std::string_view>>;

// A link inside the portal in `lang`: the path, the non-empty params, and lang=en for English.
std::string link(Lang lang, std::string_view path, const Params& params = {}) {
  std::string out(path);
  char sep = '?';
  for (const auto& [k, v] : params) {
    if (v.empty()) continue;
    out += sep;
    sep = '&';
    url_encode(out, k);
    out += '=';
    url_encode(out, v);
  }
  if (lang == Lang::kEn) {
    out += sep;
    out += "lang=en";
  }
  return out;
}

void a_href(std::string& out, std::string_view href, std::string_view text,
            std::string_view cls = {}) {
  out += "<a";
  attr(out, "href", href);
  if (!cls.empty()) attr(out, "class", cls);
  out += '>';
  esc(out, text);
  out += "</a>";
}

void hidden(std::string& out, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  out += "<input type=hidden";
  attr(out, "name", name);
  attr(out, "value", value);
  out += '>';
}

void lang_field(std::string& out, Lang lang) {
  if (lang == Lang::kEn) out += "<input type=hidden name=lang value=en>";
}

void label(std::string& out, std::string_view for_id, std::string_view text, bool required = false,
           Lang lang = Lang::kVi) {
  out += "<label";
  attr(out, "for", for_id);
  out += '>';
  esc(out, text);
  if (required) {
    out += " <small>";
    esc(out, tr(lang, S::kRequired));
    out += "</small>";
  }
  out += "</label>";
}

// "Phường Hạc Thành" → options of a <select>.
void option(std::string& out, std::string_view value, std::string_view text, bool selected) {
  out += "<option";
  attr(out, "value", value);
  if (selected) out += " selected";
  out += '>';
  esc(out, text);
  out += "</option>";
}

// Local time in Vietnam (UTC+7, no daylight saving): "26/11/2026 16:00".
std::string local_time(UnixTime t) {
  constexpr UnixTime kUtcPlus7 = 25200;  // 7 h
  const std::time_t tt = t + kUtcPlus7;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%d/%m/%Y %H:%M", &tm);
  return buf;
}

// At most `max_cp` code points of valid UTF-8 `s` on one line, with "…" when cut.
std::string excerpt(std::string_view s, size_t max_cp) {
  std::string out;
  size_t cps = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80) {
      if (cps == max_cp) {
        out += "…";
        break;
      }
      ++cps;
    }
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : s[i];
  }
  return out;
}

// "nguyen@gmail.com" → "n***@gmail.com"; "0912345678" → "091****678".
std::string mask_email(std::string_view e) {
  const size_t at = e.find('@');
  if (at == std::string_view::npos || at == 0) return "***";
  return std::string(e.substr(0, 1)) + "***" + std::string(e.substr(at));
}

std::string mask_phone(std::string_view p) {
  if (p.size() < 7) return "***";
  return std::string(p.substr(0, 3)) + "****" + std::string(p.substr(p.size() - 3));
}

constexpr std::string_view kCss =
    "body{margin:0 auto;max-width:40rem;padding:0 .75rem 2rem;font:1.0625rem/1.5 "
    "system-ui,sans-serif;color:#111;background:#fff}"
    "header{display:flex;justify-content:space-between;align-items:center;gap:1rem;"
    "border-bottom:3px solid #b00}header a{padding:.75rem 0}"
    ".site{font-weight:bold;font-size:1.2rem;color:#b00;text-decoration:none}a{color:#0645ad}"
    "h1{font-size:1.4rem;margin:1rem 0 .5rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}"
    "label,legend{display:block;margin:1rem 0 .25rem;font-weight:bold}"
    "input,select,textarea{display:block;width:100%;box-sizing:border-box;min-height:2.75rem;"
    "padding:.5rem;font:inherit;border:1px solid #666;border-radius:4px}"
    "input[type=radio],input[type=checkbox]{display:inline;width:1.5rem;min-height:1.5rem;"
    "margin:0 .5rem 0 0;vertical-align:middle}"
    ".opt{font-weight:normal;margin:0;padding:.5rem 0}fieldset{border:0;padding:0;margin:0}"
    "button,.btn{display:inline-block;min-height:2.75rem;margin:1rem 0;padding:.6rem 1.2rem;"
    "font:inherit;font-weight:bold;color:#fff;background:#b00;border:0;border-radius:4px;"
    "text-decoration:none}"
    ".err{color:#a00;font-weight:bold;margin:.25rem 0}[aria-invalid]{border:2px solid #a00}"
    ".note,small,time{color:#555}"
    ".box{border:3px solid #b00;background:#fff6e0;padding:.25rem .75rem;margin:1rem 0}"
    ".code{font:bold 1.6rem monospace;letter-spacing:.1em}"
    ".pre{white-space:pre-wrap;overflow-wrap:anywhere}"
    ".steps{display:flex;flex-wrap:wrap;gap:.3rem;list-style:none;padding:0}"
    ".steps li{padding:.2rem .6rem;border:1px solid #999;border-radius:1rem;color:#555}"
    ".steps .done{color:#060;border-color:#060}"
    ".steps .now{color:#fff;background:#b00;border-color:#b00;font-weight:bold}"
    "dt{font-weight:bold}dd{margin:0 0 .5rem}li{margin:.4rem 0}"
    "footer{margin-top:2rem;border-top:1px solid #ccc;font-size:.9rem;color:#555}";

constexpr std::string_view kCsp =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'";

enum class Caching { kNoStore, kShort };

void security_headers(HttpResponse& r, Caching caching) {
  r.headers.emplace_back("Content-Security-Policy", std::string(kCsp));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cache-Control",
                         caching == Caching::kNoStore ? "no-store" : "public, max-age=60");
}

struct Page {
  Lang lang = Lang::kVi;
  std::string title;
  std::string alt;   // this page in the other language
  std::string main;  // the content of <main>
  int status = 200;
  Caching caching = Caching::kNoStore;
};

HttpResponse render(const PortalDeps& deps, const Page& p) {
  std::string h;
  h.reserve(p.main.size() + kCss.size() + 700);
  h += "<!doctype html><html lang=";
  h += p.lang == Lang::kEn ? "en" : "vi";
  h += "><head><meta charset=utf-8>"
       "<meta name=viewport content=\"width=device-width,initial-scale=1\"><title>";
  esc(h, p.title);
  h += " – ";
  esc(h, deps.site_name);
  h += "</title><style>";
  h += kCss;
  h += "</style></head><body><header>";
  a_href(h, link(p.lang, "/portal"), deps.site_name, "site");
  h += "<a";
  attr(h, "href", p.alt);
  attr(h, "hreflang", p.lang == Lang::kEn ? "vi" : "en");
  attr(h, "lang", p.lang == Lang::kEn ? "vi" : "en");
  h += '>';
  esc(h, tr(p.lang, S::kOtherLanguage));
  h += "</a></header><main>";
  h += p.main;
  h += "</main><footer><p>";
  esc(h, tr(p.lang, S::kFooter));
  h += "</p></footer></body></html>";
  HttpResponse r;
  r.status = p.status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(h);
  security_headers(r, p.caching);
  return r;
}

HttpResponse see_other(const std::string& location, Lang lang) {
  HttpResponse r;
  r.status = 303;
  r.content_type = "text/html; charset=utf-8";
  r.headers.emplace_back("Location", location);
  r.body = "<!doctype html><title>303</title><a";
  attr(r.body, "href", location);
  r.body += '>';
  esc(r.body, tr(lang, S::kSeeOther));
  r.body += "</a>";
  security_headers(r, Caching::kNoStore);
  return r;
}

// A page with a heading and one message (errors, limits).
HttpResponse message_page(const PortalDeps& deps, Lang lang, int status, S heading, S message,
                          std::string alt) {
  Page p;
  p.lang = lang;
  p.status = status;
  p.title = tr(lang, heading);
  p.alt = std::move(alt);
  elem(p.main, "h1", tr(lang, heading));
  elem(p.main, "p", tr(lang, message));
  p.main += "<p>";
  a_href(p.main, link(lang, "/portal"), tr(lang, S::kBackHome));
  p.main += "</p>";
  return render(deps, p);
}

Lang other(Lang lang) { return lang == Lang::kEn ? Lang::kVi : Lang::kEn; }

HttpResponse server_error(const PortalDeps& deps, Lang lang, const Error& e) {
  if (e.kind == ErrorKind::kUnavailable) {
    return message_page(deps, lang, 503, S::kErrorHeading, S::kUnavailable,
                        link(other(lang), "/portal"));
  }
  log::error("portal: internal error", {{"message", e.message}});
  return message_page(deps, lang, 500, S::kErrorHeading, S::kServerError,
                      link(other(lang), "/portal"));
}

HttpResponse not_found_page(const PortalDeps& deps, Lang lang) {
  return message_page(deps, lang, 404, S::kNotFoundHeading, S::kNotFoundPage,
                      link(other(lang), "/portal"));
}

HttpResponse method_not_allowed(const PortalDeps& deps, Lang lang, std::string_view path,
                                const char* allow) {
  HttpResponse r = message_page(deps, lang, 405, S::kErrorHeading, S::kMethodNotAllowed,
                                link(other(lang), path));
  r.headers.emplace_back("Allow", allow);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Requests

using Fields = std::vector<forms::Field>;

std::string get(const Fields& fields, std::string_view name) {
  const forms::Field* f = forms::find(fields, name);
  return f != nullptr ? f->value : std::string();
}

Lang lang_of(const Fields& fields) { return get(fields, "lang") == "en" ? Lang::kEn : Lang::kVi; }

std::string trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// A posted form: its text fields, and its file parts when it came as multipart/form-data.
struct Posted {
  Fields fields;
  std::vector<forms::Part> files;
};

const std::vector<std::string> kFileFields = {"photo", "audio"};

Result<Posted> read_form(const HttpRequest& req) {
  Posted out;
  const std::string_view type = req.header("content-type").value_or("");
  if (starts_with_ci(type, "application/x-www-form-urlencoded") ||
      (type.empty() && req.body.empty())) {
    NGUON_TRY_ASSIGN(out.fields, forms::parse_urlencoded(req.body));
    return out;
  }
  const auto boundary = forms::multipart_boundary(type);
  if (!boundary) return invalid("unsupported_media_type", "send a form");
  NGUON_TRY_ASSIGN(auto parts, forms::parse_multipart(req.body, *boundary));
  for (forms::Part& part : parts) {
    if (std::find(kFileFields.begin(), kFileFields.end(), part.name) != kFileFields.end()) {
      out.files.push_back(std::move(part));
    } else {
      if (!text::is_valid_utf8(part.data)) {
        return invalid("malformed_form", part.name + ": not valid UTF-8");
      }
      out.fields.push_back({std::move(part.name), std::move(part.data)});
    }
  }
  return out;
}

HttpResponse bad_form(const PortalDeps& deps, Lang lang, const Error& e, std::string_view path) {
  const bool type = e.code == "unsupported_media_type";
  return message_page(deps, lang, type ? 415 : 400, S::kErrorHeading,
                      type ? S::kUnsupportedForm : S::kBadForm, link(other(lang), path));
}

// ---------------------------------------------------------------------------------------------
// Home

HttpResponse home(PortalDeps& deps, Lang lang) {
  Page p;
  p.lang = lang;
  p.title = tr(lang, S::kTagline);
  p.alt = link(other(lang), "/portal");
  p.caching = Caching::kShort;
  std::string& h = p.main;
  elem(h, "h1", tr(lang, S::kHomeHeading));
  elem(h, "p", tr(lang, S::kHomeIntro));
  elem(h, "p", tr(lang, S::kHomeHow));
  h += "<p>";
  a_href(h, link(lang, "/portal/new"), tr(lang, S::kSendButton), "btn");
  h += "</p>";
  elem(h, "h2", tr(lang, S::kTrackHeading));
  h += "<form method=get action=/portal/track>";
  label(h, "code", tr(lang, S::kTrackCodeLabel));
  h += "<input id=code name=code required maxlength=40 autocomplete=off autocapitalize=characters";
  attr(h, "placeholder", tr(lang, S::kTrackCodeHint));
  h += '>';
  lang_field(h, lang);
  h += "<button>";
  esc(h, tr(lang, S::kTrackButton));
  h += "</button></form>";
  elem(h, "h2", tr(lang, S::kRecentAnswers));
  FeedbackQuery q;
  q.statuses = {FeedbackStatus::kAnswered, FeedbackStatus::kClosed};
  q.newest_first = true;
  q.limit = 10;
  auto recent = deps.desk.public_search(q);
  if (!recent) return server_error(deps, lang, recent.error());
  std::vector<const Feedback*> answered;
  for (const Feedback& f : recent.value()) {
    if (f.answer_status == AnswerStatus::kPublished) answered.push_back(&f);
  }
  if (answered.empty()) {
    h += "<p class=note>";
    esc(h, tr(lang, S::kNoAnswersYet));
    h += "</p>";
  } else {
    h += "<ul>";
    for (const Feedback* f : answered) {
      h += "<li>";
      a_href(h, link(lang, "/portal/requests/" + std::to_string(f->id)),
             f->title.empty() ? excerpt(f->description, 90) : f->title);
      h += "<br><small>";
      const auto names = deps.cache->service(deps.desk, f->service_code);
      esc(h, lang == Lang::kEn ? names.en : names.vi);
      h += " · ";
      esc(h, deps.cache->unit(deps.store, f->commune_code));
      h += " · ";
      esc(h, local_time(f->answered_at != 0 ? f->answered_at : f->submitted_at));
      h += "</small></li>";
    }
    h += "</ul>";
  }
  return render(deps, p);
}

// ---------------------------------------------------------------------------------------------
// The form

// What the citizen chose and typed, kept when the form comes back with errors.
struct FormValues {
  std::string province;
  std::string commune;
  std::string village;
  std::string service;
  std::string address;
  std::string title;
  std::string description;
  std::string name;
  std::string phone;
  std::string email;
  std::vector<std::pair<std::string, std::string>> attributes;  // code → value
};

constexpr std::string_view kAttrPrefix = "attribute[";

FormValues values_of(const Fields& fields) {
  FormValues v;
  v.province = get(fields, "province");
  v.commune = get(fields, "commune");
  v.village = get(fields, "village");
  v.service = get(fields, "service");
  v.address = get(fields, "address");
  v.title = get(fields, "title");
  v.description = get(fields, "description");
  v.name = get(fields, "name");
  v.phone = trim(get(fields, "phone"));
  v.email = trim(get(fields, "email"));
  for (const forms::Field& f : fields) {
    if (f.name.size() > kAttrPrefix.size() + 1 && f.name.starts_with(kAttrPrefix) &&
        f.name.back() == ']') {
      v.attributes.emplace_back(
          f.name.substr(kAttrPrefix.size(), f.name.size() - kAttrPrefix.size() - 1), f.value);
    }
  }
  return v;
}

// Field name ("description", "attribute[code]", "files", "" for the whole form) → message.
struct FormErrors {
  std::map<std::string, std::string, std::less<>> by_field;
  mutable std::vector<std::string> shown;  // rendered next to their field

  bool empty() const { return by_field.empty(); }
  void add(std::string field, std::string_view message) {
    by_field.emplace(std::move(field), message);  // the first error of a field stays
  }
  const std::string* find(std::string_view field) const {
    auto it = by_field.find(field);
    return it == by_field.end() ? nullptr : &it->second;
  }
};

// The places the form offers: provinces (central deployment), communes of the province, villages
// of the commune. One store read.
struct Area {
  bool central = false;
  std::vector<Unit> provinces;  // filled while the province is not chosen
  std::optional<Unit> province;
  std::vector<Unit> communes;  // filled when asked for
  std::optional<Unit> commune;
  std::vector<Unit> villages;
  bool bad_province = false;
  bool bad_commune = false;
};

void sort_by_name(std::vector<Unit>& units) {
  std::sort(units.begin(), units.end(),
            [](const Unit& a, const Unit& b) { return a.fold < b.fold; });
}

std::vector<Unit> only_level(std::vector<Unit> units, UnitLevel level) {
  std::erase_if(units, [&](const Unit& u) { return u.level != level; });
  return units;
}

Result<Area> load_area(PortalDeps& deps, const std::string& province_code,
                       const std::string& commune_code, bool list_communes) {
  Area a;
  a.central = deps.scope_root == units::kNationCode;
  NGUON_TRY(deps.store.read([&](Tx& tx) -> Status {
    if (a.central) {
      std::optional<Unit> p;
      if (!province_code.empty()) {
        NGUON_TRY_ASSIGN(p, tx.find_unit(province_code));
        if (p && (p->level != UnitLevel::kProvince || p->parent_code != units::kNationCode)) {
          p.reset();
        }
        a.bad_province = !p;
      }
      if (!p) {
        NGUON_TRY_ASSIGN(auto all, tx.children(std::string(units::kNationCode)));
        a.provinces = only_level(std::move(all), UnitLevel::kProvince);
        sort_by_name(a.provinces);
        return {};
      }
      a.province = std::move(p);
    } else {
      NGUON_TRY_ASSIGN(a.province, tx.find_unit(deps.scope_root));
      if (!a.province) {
        return Error{ErrorKind::kUnavailable, "no_scope_unit",
                     "the deployment's province '" + deps.scope_root + "' is not in the store"};
      }
    }
    if (list_communes) {
      NGUON_TRY_ASSIGN(auto all, tx.children(a.province->code));
      a.communes = only_level(std::move(all), UnitLevel::kCommune);
      sort_by_name(a.communes);
    }
    if (commune_code.empty()) return {};
    if (list_communes) {
      auto it = std::find_if(a.communes.begin(), a.communes.end(),
                             [&](const Unit& u) { return u.code == commune_code; });
      if (it != a.communes.end()) a.commune = *it;
    } else {
      NGUON_TRY_ASSIGN(a.commune, tx.find_unit(commune_code));
      if (a.commune && (a.commune->level != UnitLevel::kCommune ||
                        !a.commune->path.starts_with(a.province->path))) {
        a.commune.reset();
      }
    }
    a.bad_commune = !a.commune;
    if (a.commune) {
      NGUON_TRY_ASSIGN(auto all, tx.children(a.commune->code));
      a.villages = only_level(std::move(all), UnitLevel::kVillage);
    }
    return {};
  }));
  return a;
}

const FeedbackService* find_service(const std::vector<FeedbackService>& list,
                                    std::string_view code) {
  auto it = std::find_if(list.begin(), list.end(),
                         [&](const FeedbackService& s) { return s.code == code; });
  return it == list.end() ? nullptr : &*it;
}

std::string_view service_name(const FeedbackService& s, Lang lang) {
  return lang == Lang::kEn && !s.name_en.empty() ? std::string_view(s.name_en)
                                                 : std::string_view(s.name_vi);
}

void field_error(std::string& h, const FormErrors& errors, std::string_view key) {
  if (const std::string* message = errors.find(key)) {
    h += "<p class=err>";
    esc(h, *message);
    h += "</p>";
    errors.shown.emplace_back(key);
  }
}

void invalid_mark(std::string& h, const FormErrors& errors, std::string_view key) {
  if (errors.find(key) != nullptr) h += " aria-invalid=true";
}

// At the top of the form, after its fields were rendered: the errors not shown next to a field
// (the form as a whole, or a field this step does not offer).
void error_summary(std::string& h, const FormErrors& errors, Lang lang) {
  if (errors.empty()) return;
  h += "<div class=err role=alert><p>";
  esc(h, tr(lang, S::kFixErrors));
  h += "</p>";
  for (const auto& [field, message] : errors.by_field) {
    if (std::find(errors.shown.begin(), errors.shown.end(), field) == errors.shown.end()) {
      elem(h, "p", message);
    }
  }
  h += "</div>";
}

void page_heading(std::string& h, Lang lang) { elem(h, "h1", tr(lang, S::kNewHeading)); }

// Step 0 (central deployment): the province.
void render_province_step(std::string& h, const Area& area, const FormValues& v,
                          const FormErrors& errors, Lang lang) {
  h += "<form method=get action=/portal/new>";
  label(h, "province", tr(lang, S::kProvinceLabel), true, lang);
  field_error(h, errors, "province");
  h += "<select id=province name=province required";
  invalid_mark(h, errors, "province");
  h += '>';
  option(h, "", tr(lang, S::kChoose), false);
  for (const Unit& u : area.provinces) option(h, u.code, u.name, u.code == v.province);
  h += "</select>";
  lang_field(h, lang);
  h += "<button>";
  esc(h, tr(lang, S::kContinue));
  h += "</button></form>";
}

void category_options(std::string& h, const std::vector<FeedbackService>& services,
                      std::string_view chosen, Lang lang) {
  option(h, "", tr(lang, S::kChoose), false);
  // Ungrouped categories first, then one <optgroup> per group in order of appearance.
  std::vector<std::string_view> groups;
  for (const FeedbackService& s : services) {
    if (s.group.empty()) {
      option(h, s.code, service_name(s, lang), s.code == chosen);
    } else if (std::find(groups.begin(), groups.end(), s.group) == groups.end()) {
      groups.emplace_back(s.group);
    }
  }
  for (const std::string_view g : groups) {
    h += "<optgroup";
    attr(h, "label", g);
    h += '>';
    for (const FeedbackService& s : services) {
      if (s.group == g) option(h, s.code, service_name(s, lang), s.code == chosen);
    }
    h += "</optgroup>";
  }
}

// Step 1: the commune and the category (a GET form, so the next step can offer the commune's
// villages and the category's questions without JavaScript).
void render_place_step(std::string& h, const Area& area,
                       const std::vector<FeedbackService>& services, const FormValues& v,
                       const FormErrors& errors, Lang lang) {
  h += "<form method=get action=/portal/new>";
  if (area.central) {
    h += "<p>";
    esc(h, tr(lang, S::kProvinceLabel));
    h += ": <b>";
    esc(h, area.province->name);
    h += "</b> ";
    a_href(h, link(lang, "/portal/new"), tr(lang, S::kChange));
    h += "</p>";
    hidden(h, "province", area.province->code);
  }
  elem(h, "p class=note", tr(lang, S::kStepHint));
  label(h, "commune", tr(lang, S::kCommuneLabel), true, lang);
  field_error(h, errors, "commune");
  h += "<select id=commune name=commune required";
  invalid_mark(h, errors, "commune");
  h += '>';
  option(h, "", tr(lang, S::kChoose), false);
  for (const Unit& u : area.communes) option(h, u.code, u.name, u.code == v.commune);
  h += "</select>";
  label(h, "service", tr(lang, S::kCategoryLabel), true, lang);
  field_error(h, errors, "service");
  h += "<select id=service name=service required";
  invalid_mark(h, errors, "service");
  h += '>';
  category_options(h, services, v.service, lang);
  h += "</select>";
  lang_field(h, lang);
  h += "<button>";
  esc(h, tr(lang, S::kContinue));
  h += "</button></form>";
}

std::string answer_of(const FormValues& v, std::string_view code) {
  for (const auto& [c, value] : v.attributes) {
    if (c == code) return value;
  }
  return {};
}

bool answered_with(const FormValues& v, std::string_view code, std::string_view value) {
  return std::any_of(v.attributes.begin(), v.attributes.end(),
                     [&](const auto& a) { return a.first == code && a.second == value; });
}

// The category's questions (Open311 attributes), posted as attribute[code].
void render_attributes(std::string& h, const std::vector<feedback::Attribute>& attrs,
                       const FormValues& v, const FormErrors& errors, Lang lang) {
  for (const feedback::Attribute& a : attrs) {
    if (!a.variable) {
      elem(h, "p class=note", a.description);
      continue;
    }
    const std::string name = std::string(kAttrPrefix) + a.code + "]";
    const std::string id = "a-" + a.code;
    const bool required = a.required && a.datatype != "multivaluelist";
    if (a.datatype == "multivaluelist") {
      h += "<fieldset><legend>";
      esc(h, a.description);
      h += "</legend>";
      field_error(h, errors, name);
      for (const feedback::AttributeValue& val : a.values) {
        h += "<label class=opt><input type=checkbox";
        attr(h, "name", name);
        attr(h, "value", val.key);
        if (answered_with(v, a.code, val.key)) h += " checked";
        h += '>';
        esc(h, val.name);
        h += "</label>";
      }
      h += "</fieldset>";
      continue;
    }
    label(h, id, a.description, a.required, lang);
    if (!a.datatype_description.empty()) elem(h, "p class=note", a.datatype_description);
    field_error(h, errors, name);
    const std::string given = answer_of(v, a.code);
    if (a.datatype == "singlevaluelist") {
      h += "<select";
      attr(h, "id", id);
      attr(h, "name", name);
      if (required) h += " required";
      invalid_mark(h, errors, name);
      h += '>';
      option(h, "", tr(lang, S::kChoose), false);
      for (const feedback::AttributeValue& val : a.values) {
        option(h, val.key, val.name, val.key == given);
      }
      h += "</select>";
    } else if (a.datatype == "text") {
      h += "<textarea rows=3 maxlength=4000";
      attr(h, "id", id);
      attr(h, "name", name);
      if (required) h += " required";
      invalid_mark(h, errors, name);
      h += ">\n";
      esc(h, given);
      h += "</textarea>";
    } else {
      h += "<input";
      if (a.datatype == "number") h += " type=number step=any inputmode=decimal";
      if (a.datatype == "datetime") h += " type=datetime-local";
      attr(h, "id", id);
      attr(h, "name", name);
      if (!given.empty()) attr(h, "value", given);
      if (required) h += " required";
      invalid_mark(h, errors, name);
      h += '>';
    }
  }
}

void text_input(std::string& h, std::string_view id, std::string_view type,
                std::string_view label_text, std::string_view value, int maxlength,
                std::string_view extra, const FormErrors& errors) {
  label(h, id, label_text);
  field_error(h, errors, id);
  h += "<input";
  if (!type.empty()) attr(h, "type", type);
  attr(h, "id", id);
  attr(h, "name", id);
  attr(h, "maxlength", std::to_string(maxlength));
  if (!value.empty()) attr(h, "value", value);
  h += extra;
  invalid_mark(h, errors, id);
  h += '>';
}

// Step 2: the details, posted to /portal/new.
void render_details_step(std::string& h, const PortalDeps& deps, const Area& area,
                         const FeedbackService& service,
                         const std::vector<feedback::Attribute>& attrs, const FormValues& v,
                         const FormErrors& errors, Lang lang) {
  h += "<form method=post action=/portal/new";
  if (deps.media != nullptr) h += " enctype=multipart/form-data";
  h += '>';
  lang_field(h, lang);
  if (area.central) hidden(h, "province", area.province->code);
  hidden(h, "commune", area.commune->code);
  hidden(h, "service", service.code);
  h += "<p>";
  esc(h, tr(lang, S::kPlace));
  h += ": <b>";
  esc(h, area.commune->name);
  h += "</b>, ";
  esc(h, area.province->name);
  h += "<br>";
  esc(h, tr(lang, S::kCategoryLabel));
  h += ": <b>";
  esc(h, service_name(service, lang));
  h += "</b> ";
  a_href(h,
         link(lang, "/portal/new",
              {{"province", area.central ? std::string_view(area.province->code) : ""},
               {"commune", area.commune->code},
               {"service", service.code},
               {"edit", "1"}}),
         tr(lang, S::kChange));
  h += "</p>";
  field_error(h, errors, "commune");
  field_error(h, errors, "service");
  if (!area.villages.empty()) {
    label(h, "village", tr(lang, S::kVillageLabel));
    field_error(h, errors, "village");
    h += "<select id=village name=village";
    invalid_mark(h, errors, "village");
    h += '>';
    option(h, "", tr(lang, S::kVillageNone), false);
    for (const Unit& u : area.villages) option(h, u.code, u.name, u.code == v.village);
    h += "</select>";
  }
  text_input(h, "address", "", tr(lang, S::kAddressLabel), v.address, 300, "", errors);
  render_attributes(h, attrs, v, errors, lang);
  text_input(h, "title", "", tr(lang, S::kTitleLabel), v.title, 200, "", errors);
  label(h, "description", tr(lang, S::kDescriptionLabel), true, lang);
  elem(h, "p class=note", tr(lang, S::kDescriptionHint));
  field_error(h, errors, "description");
  h += "<textarea id=description name=description rows=6 maxlength=4000 required";
  invalid_mark(h, errors, "description");
  // The newline after the start tag is dropped by the parser, so a leading newline survives.
  h += ">\n";
  esc(h, v.description);
  h += "</textarea>";
  h += "<fieldset><legend>";
  esc(h, tr(lang, S::kContactHeading));
  h += "</legend>";
  elem(h, "p class=note", tr(lang, S::kContactNote));
  text_input(h, "name", "", tr(lang, S::kNameLabel), v.name, 120, " autocomplete=name", errors);
  text_input(h, "phone", "tel", tr(lang, S::kPhoneLabel), v.phone, 20,
             " autocomplete=tel inputmode=tel", errors);
  text_input(h, "email", "email", tr(lang, S::kEmailLabel), v.email, 254, " autocomplete=email",
             errors);
  h += "</fieldset>";
  if (deps.media != nullptr) {
    h += "<fieldset><legend>";
    esc(h, tr(lang, S::kFilesHeading));
    h += "</legend><p class=note>";
    const std::string_view note = tr(lang, S::kFilesNote);
    const size_t at = note.find("{}");
    esc(h, note.substr(0, at));
    h += std::to_string(std::max<size_t>(1, deps.max_attachment_bytes >> 20));
    esc(h, note.substr(at + 2));
    h += "</p>";
    field_error(h, errors, "files");
    label(h, "photo", tr(lang, S::kPhotoLabel));
    h += "<input type=file id=photo name=photo accept=\"image/*\" capture=environment>";
    label(h, "audio", tr(lang, S::kAudioLabel));
    h += "<input type=file id=audio name=audio accept=\"audio/*\">";
    h += "</fieldset>";
  } else {
    field_error(h, errors, "files");  // files sent anyway (no file field is offered)
  }
  h += "<button>";
  esc(h, tr(lang, S::kSubmit));
  h += "</button></form>";
}

struct FormPage {
  int status = 200;
  FormValues values;
  FormErrors errors;
  bool force_place_step = false;  // "Change" from the details step
};

// Renders whichever step the values reach.
HttpResponse form_page(PortalDeps& deps, Lang lang, FormPage fp) {
  const FormValues& v = fp.values;
  Page p;
  p.lang = lang;
  p.title = tr(lang, S::kNewHeading);
  p.status = fp.status;
  std::string& h = p.main;
  page_heading(h, lang);
  auto area = load_area(deps, v.province, v.commune, true);
  if (!area) return server_error(deps, lang, area.error());
  const Area& a = area.value();
  const std::string_view province_param =
      a.central && a.province ? std::string_view(a.province->code) : std::string_view();
  if (!a.province) {
    p.alt = link(other(lang), "/portal/new");
    if (a.bad_province) fp.errors.add("province", tr(lang, S::kErrProvince));
    std::string step;
    render_province_step(step, a, v, fp.errors, lang);
    error_summary(h, fp.errors, lang);
    h += step;
    return render(deps, p);
  }
  auto services = deps.desk.services(false);
  if (!services) return server_error(deps, lang, services.error());
  const FeedbackService* service = find_service(services.value(), v.service);
  if (a.bad_commune) fp.errors.add("commune", tr(lang, S::kErrCommune));
  if (!v.service.empty() && service == nullptr) {
    fp.errors.add("service", tr(lang, S::kErrService));
  }
  if (fp.force_place_step || !a.commune || service == nullptr) {
    p.alt = link(other(lang), "/portal/new",
                 {{"province", province_param}, {"commune", v.commune}, {"service", v.service}});
    std::string step;
    render_place_step(step, a, services.value(), v, fp.errors, lang);
    error_summary(h, fp.errors, lang);
    h += step;
    return render(deps, p);
  }
  auto attrs = feedback::parse_attributes(service->attributes_json);
  if (!attrs) return server_error(deps, lang, attrs.error());
  p.alt = link(other(lang), "/portal/new",
               {{"province", province_param}, {"commune", v.commune}, {"service", v.service}});
  std::string step;
  render_details_step(step, deps, a, *service, attrs.value(), v, fp.errors, lang);
  error_summary(h, fp.errors, lang);
  h += step;
  return render(deps, p);
}

HttpResponse get_new(PortalDeps& deps, const Fields& query, Lang lang) {
  FormPage fp;
  fp.values = values_of(query);
  fp.force_place_step = get(query, "edit") == "1";
  // Only the place and the category travel in the URL; what the citizen types is posted.
  FormValues& v = fp.values;
  v.address.clear();
  v.title.clear();
  v.description.clear();
  v.name.clear();
  v.phone.clear();
  v.email.clear();
  v.attributes.clear();
  return form_page(deps, lang, std::move(fp));
}

// The form field an error of FeedbackDesk::submit or store_attachments is about ("" = the form
// as a whole), from its code or its message's "field:" prefix.
std::string error_field(const Error& e) {
  if (e.code == "unknown_service") return "service";
  if (e.code == "missing_location") return "commune";
  if (e.code == "file_too_large" || e.code == "unsupported_attachment" ||
      e.code == "too_many_attachments" || e.code == "attachments_unavailable" ||
      e.code == "empty_file" || e.code == "malformed_image" || e.code == "not_image" ||
      e.code == "image_too_large" || e.code == "truncated_image") {
    return "files";
  }
  const std::string_view m = e.message;
  const size_t colon = m.find(':');
  if (colon == std::string_view::npos) return {};
  const std::string_view f = m.substr(0, colon);
  if (f == "service_code") return "service";
  if (f.starts_with(kAttrPrefix)) return std::string(f);
  static constexpr std::array<std::string_view, 9> kFields = {
      "title", "description", "address", "name", "email", "phone", "commune", "village", "service"};
  if (std::find(kFields.begin(), kFields.end(), f) != kFields.end()) return std::string(f);
  return {};
}

std::string error_text(const Error& e, const std::string& field, Lang lang) {
  static const std::map<std::string, S, std::less<>> kByField = {
      {"title", S::kErrTitle},     {"description", S::kErrDescription},
      {"address", S::kErrAddress}, {"name", S::kErrName},
      {"email", S::kErrEmail},     {"phone", S::kErrPhone},
      {"commune", S::kErrCommune}, {"village", S::kErrVillage},
      {"service", S::kErrService}};
  if (auto it = kByField.find(field); it != kByField.end())
    return std::string(tr(lang, it->second));
  if (field.starts_with(kAttrPrefix)) return std::string(tr(lang, S::kErrAttribute));
  if (field == "files") {
    if (e.code == "file_too_large" || e.code == "image_too_large") {
      return std::string(tr(lang, S::kErrFileTooLarge));
    }
    if (e.code == "unsupported_attachment") return std::string(tr(lang, S::kErrFileType));
    if (e.code == "too_many_attachments") return std::string(tr(lang, S::kErrTooManyFiles));
    if (e.code == "attachments_unavailable") return std::string(tr(lang, S::kErrFilesUnavailable));
    return std::string(tr(lang, S::kErrFileBroken));
  }
  return std::string(tr(lang, S::kErrGeneric));
}

// The status of a form sent back with an error.
int form_status(const Error& e) {
  switch (e.kind) {
    case ErrorKind::kTooLarge:
      return 413;
    case ErrorKind::kUnavailable:
      return 503;
    case ErrorKind::kConflict:
      return 409;
    default:
      return 422;
  }
}

HttpResponse too_many(const PortalDeps& deps, Lang lang, S message) {
  HttpResponse r =
      message_page(deps, lang, 429, S::kTooManyHeading, message, link(other(lang), "/portal"));
  r.headers.emplace_back("Retry-After", "3600");
  return r;
}

HttpResponse post_new(PortalDeps& deps, const HttpRequest& req, Lang query_lang) {
  auto posted = read_form(req);
  if (!posted) return bad_form(deps, query_lang, posted.error(), "/portal/new");
  const Lang lang = lang_of(posted->fields);
  FormPage fp;
  fp.values = values_of(posted->fields);
  fp.status = 422;
  const FormValues& v = fp.values;
  if (!deps.ip_limiter.allow(req.remote_ip)) return too_many(deps, lang, S::kTooManyIp);

  // The place and the category must be the ones offered (one read); a cheap check of the
  // description first, so that a plainly incomplete form stores no file.
  auto area = load_area(deps, v.province, v.commune, false);
  if (!area) return server_error(deps, lang, area.error());
  if (!area->province || !area->commune || v.service.empty()) {
    if (area->central && !area->province) fp.errors.add("province", tr(lang, S::kErrProvince));
    if (!area->commune) fp.errors.add("commune", tr(lang, S::kErrCommune));
    if (v.service.empty()) fp.errors.add("service", tr(lang, S::kErrService));
    return form_page(deps, lang, std::move(fp));  // back to the step that is missing
  }
  const std::string description = trim(v.description);
  if (description.empty() || !text::is_valid_utf8(description) ||
      text::code_points(description) > 4000) {
    fp.errors.add("description", tr(lang, S::kErrDescription));
  }
  if (!v.phone.empty() && !feedback::normalize_phone(v.phone)) {
    fp.errors.add("phone", tr(lang, S::kErrPhone));
  }
  if (!fp.errors.empty()) return form_page(deps, lang, std::move(fp));

  // Files are stored before the submission (it refers to them). When the desk then refuses the
  // submission the stored files stay behind unreferenced: content-addressed, so harmless, and a
  // second attempt with the same files stores nothing new.
  StoredAttachments stored;
  if (!posted->files.empty()) {
    AttachmentLimits limits;
    limits.max_bytes = deps.max_attachment_bytes;
    auto r = store_attachments(posted->files, kFileFields, deps.media, limits);
    if (!r) {
      if (r.error().kind == ErrorKind::kInternal) return server_error(deps, lang, r.error());
      fp.status = form_status(r.error());
      const std::string field = error_field(r.error());
      fp.errors.add(field, error_text(r.error(), field, lang));
      return form_page(deps, lang, std::move(fp));
    }
    stored = std::move(r.value());
  }

  Submission s;
  s.service_code = v.service;
  s.title = v.title;
  s.description = v.description;
  s.attributes = v.attributes;
  s.commune_code = area->commune->code;
  s.village_code = v.village;
  s.address = v.address;
  s.contact_name = v.name;
  s.contact_email = v.email;
  s.contact_phone = v.phone;
  s.channel = "web";
  s.ip = req.remote_ip;
  s.attachments = std::move(stored.attachments);
  // The photo's position helps place it; a point outside the country (a photo taken abroad, a
  // broken tag) is left out rather than refusing the submission.
  if (stored.lat && stored.lon && feedback::inside_vietnam(*stored.lat, *stored.lon)) {
    s.lat = stored.lat;
    s.lon = stored.lon;
  }
  auto done = deps.desk.submit(std::move(s), nullptr, {"citizen", req.remote_ip});
  if (!done) {
    const Error& e = done.error();
    if (e.kind == ErrorKind::kThrottled) return too_many(deps, lang, S::kTooManyContact);
    if (e.kind == ErrorKind::kInternal || e.kind == ErrorKind::kUnavailable) {
      return server_error(deps, lang, e);
    }
    fp.status = form_status(e);
    const std::string field = error_field(e);
    fp.errors.add(field, error_text(e, field, lang));
    return form_page(deps, lang, std::move(fp));
  }
  return see_other(link(lang, "/portal/track", {{"code", done->tracking_code}, {"new", "1"}}),
                   lang);
}

// ---------------------------------------------------------------------------------------------
// Tracking

S status_word(FeedbackStatus s) {
  switch (s) {
    case FeedbackStatus::kModeration:
      return S::kStatusModeration;
    case FeedbackStatus::kReceived:
      return S::kStatusReceived;
    case FeedbackStatus::kAssigned:
      return S::kStatusAssigned;
    case FeedbackStatus::kAnswered:
      return S::kStatusAnswered;
    case FeedbackStatus::kClosed:
      return S::kStatusClosed;
    case FeedbackStatus::kRejected:
      return S::kStatusRejected;
    case FeedbackStatus::kMerged:
      return S::kStatusMerged;
  }
  return S::kEvOther;
}

// Received → being handled → answered → closed, with the current step marked; rejected and
// merged feedback say so instead.
void render_progress(std::string& h, const Feedback& f, Lang lang) {
  h += "<p>";
  esc(h, tr(lang, S::kStatusLabel));
  h += ": <b>";
  esc(h, tr(lang, status_word(f.status)));
  h += "</b></p>";
  if (f.status == FeedbackStatus::kRejected) {
    if (!f.reject_reason.empty()) {
      h += "<p>";
      esc(h, tr(lang, S::kReasonLabel));
      h += ": ";
      esc(h, f.reject_reason);
      h += "</p>";
    }
    return;
  }
  if (f.status == FeedbackStatus::kMerged) {
    h += "<p>";
    esc(h, tr(lang, S::kMergedInto));
    h += ' ';
    const std::string id = std::to_string(f.merged_into);
    a_href(h, link(lang, "/portal/requests/" + id), id);
    h += ".</p>";
    return;
  }
  if (f.status == FeedbackStatus::kModeration) {
    h += "<p class=box>";
    esc(h, tr(lang, S::kModerationNote));
    h += "</p>";
  }
  static constexpr std::array<std::pair<FeedbackStatus, S>, 4> kSteps = {{
      {FeedbackStatus::kReceived, S::kStatusReceived},
      {FeedbackStatus::kAssigned, S::kStatusAssigned},
      {FeedbackStatus::kAnswered, S::kStatusAnswered},
      {FeedbackStatus::kClosed, S::kStatusClosed},
  }};
  int now = -1;
  for (size_t i = 0; i < kSteps.size(); ++i) {
    if (kSteps[i].first == f.status) now = static_cast<int>(i);
  }
  h += "<ol class=steps>";
  for (size_t i = 0; i < kSteps.size(); ++i) {
    const int idx = static_cast<int>(i);
    h += idx < now ? "<li class=done>✓ " : idx == now ? "<li class=now aria-current=step>" : "<li>";
    esc(h, tr(lang, kSteps[i].second));
    h += "</li>";
  }
  h += "</ol>";
}

S event_word(std::string_view kind) {
  static constexpr std::array<std::pair<std::string_view, S>, 13> kKinds = {{
      {"received", S::kEvReceived},
      {"assigned", S::kEvAssigned},
      {"recategorised", S::kEvRecategorised},
      {"moved", S::kEvMoved},
      {"transferred", S::kEvTransferred},
      {"merged", S::kEvMerged},
      {"rejected", S::kEvRejected},
      {"note", S::kEvNote},
      {"answered", S::kEvAnswered},
      {"rated", S::kEvRated},
      {"reopened", S::kEvReopened},
      {"closed", S::kEvClosed},
      {"bulletin_made", S::kEvBulletin},
  }};
  for (const auto& [k, s] : kKinds) {
    if (k == kind) return s;
  }
  return S::kEvOther;
}

// What a public history line may add to its kind: a reason, a public note, a destination. Staff
// names and internal notes are never shown (the actor is not rendered at all).
std::string event_detail(const FeedbackEvent& e) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(e.detail, ec);
  if (ec || !v.is_object()) return {};
  const boost::json::object& o = v.as_object();
  auto str = [&](std::string_view key) -> std::string {
    const boost::json::value* x = o.if_contains(key);
    return x != nullptr && x->is_string() ? std::string(x->as_string()) : std::string();
  };
  if (e.kind == "rejected" || e.kind == "reopened") return str("reason");
  if (e.kind == "note") return str("text");
  if (e.kind == "moved") return str("to_name");
  if (e.kind == "transferred") return str("to");
  if (e.kind == "assigned") return str("body");
  if (e.kind == "merged") {
    const boost::json::value* x = o.if_contains("into");
    if (x != nullptr && x->is_int64()) return "#" + std::to_string(x->as_int64());
  }
  return {};
}

void dl_item(std::string& h, std::string_view term, std::string_view value) {
  if (value.empty()) return;
  elem(h, "dt", term);
  elem(h, "dd", value);
}

// What the citizen typed again after a failed rating or reopening.
struct TrackActions {
  std::string rate_error;
  std::string reopen_error;
  int stars = 0;
  std::string comment;
  std::string reason;
};

void lookup_form(std::string& h, Lang lang, std::string_view code) {
  h += "<form method=get action=/portal/track>";
  label(h, "code", tr(lang, S::kTrackCodeLabel));
  h += "<input id=code name=code required maxlength=40 autocomplete=off autocapitalize=characters";
  attr(h, "placeholder", tr(lang, S::kTrackCodeHint));
  if (!code.empty()) attr(h, "value", code);
  h += '>';
  lang_field(h, lang);
  h += "<button>";
  esc(h, tr(lang, S::kTrackButton));
  h += "</button></form>";
}

void render_rate_form(std::string& h, const Feedback& f, const TrackActions& act, Lang lang) {
  elem(h, "h2", tr(lang, S::kRateHeading));
  h += "<form method=post action=/portal/track/rate>";
  hidden(h, "code", f.tracking_code);
  lang_field(h, lang);
  if (!act.rate_error.empty()) elem(h, "p class=err role=alert", act.rate_error);
  static constexpr std::array<S, 5> kLabels = {S::kRate1, S::kRate2, S::kRate3, S::kRate4,
                                               S::kRate5};
  h += "<fieldset>";
  for (int i = 5; i >= 1; --i) {
    h += "<label class=opt><input type=radio name=stars required";
    attr(h, "value", std::to_string(i));
    if (act.stars == i) h += " checked";
    h += '>';
    esc(h, tr(lang, kLabels[static_cast<size_t>(i - 1)]));
    h += "</label>";
  }
  h += "</fieldset>";
  label(h, "comment", tr(lang, S::kCommentLabel));
  h += "<textarea id=comment name=comment rows=3 maxlength=1000>\n";
  esc(h, act.comment);
  h += "</textarea><button>";
  esc(h, tr(lang, S::kRateButton));
  h += "</button></form>";
}

void render_reopen_form(std::string& h, const Feedback& f, const TrackActions& act, Lang lang) {
  elem(h, "h2", tr(lang, S::kReopenHeading));
  h += "<form method=post action=/portal/track/reopen>";
  hidden(h, "code", f.tracking_code);
  lang_field(h, lang);
  if (!act.reopen_error.empty()) elem(h, "p class=err role=alert", act.reopen_error);
  label(h, "reason", tr(lang, S::kReopenReason), true, lang);
  h += "<textarea id=reason name=reason rows=4 maxlength=2000 required>\n";
  esc(h, act.reason);
  h += "</textarea><button>";
  esc(h, tr(lang, S::kReopenButton));
  h += "</button></form>";
}

HttpResponse track_page(PortalDeps& deps, Lang lang, const std::string& code, bool is_new,
                        const TrackActions& act, int status) {
  Page p;
  p.lang = lang;
  p.title = tr(lang, S::kTrackHeading);
  p.status = status;
  std::string& h = p.main;
  if (code.empty()) {
    p.alt = link(other(lang), "/portal/track");
    elem(h, "h1", tr(lang, S::kTrackHeading));
    lookup_form(h, lang, "");
    return render(deps, p);
  }
  auto view = deps.desk.track(code);
  if (!view) {
    if (view.error().kind != ErrorKind::kNotFound) return server_error(deps, lang, view.error());
    p.status = 404;
    p.alt = link(other(lang), "/portal/track");
    elem(h, "h1", tr(lang, S::kTrackHeading));
    elem(h, "p class=err role=alert", tr(lang, S::kNotFoundCode));
    lookup_form(h, lang, code.size() <= 40 ? code : std::string());
    return render(deps, p);
  }
  const CitizenView& cv = view.value();
  const Feedback& f = cv.feedback;
  p.alt = link(other(lang), "/portal/track", {{"code", f.tracking_code}});
  if (is_new) {
    h += "<div class=box role=status><p><b>";
    esc(h, tr(lang, S::kKeepCodeTitle));
    h += "</b></p><p class=code>";
    esc(h, f.tracking_code);
    h += "</p><p>";
    esc(h, tr(lang, S::kKeepCodeNote));
    h += "</p></div>";
  }
  elem(h, "h1", tr(lang, S::kYourFeedback));
  h += "<p>";
  esc(h, tr(lang, S::kTrackCodeLabel));
  h += ": <b>";
  esc(h, f.tracking_code);
  h += "</b></p>";
  render_progress(h, f, lang);
  h += "<dl>";
  const std::string category =
      lang == Lang::kEn ? deps.cache->service(deps.desk, f.service_code).en : cv.service_name;
  dl_item(h, tr(lang, S::kCategoryLabel), category);
  dl_item(h, tr(lang, S::kCommuneLabel), cv.commune_name);
  if (f.status != FeedbackStatus::kModeration) dl_item(h, tr(lang, S::kHandledBy), cv.body_name);
  dl_item(h, tr(lang, S::kSubmittedAt), local_time(f.submitted_at));
  if (const UnixTime expected = deps.desk.expected_at(f); expected != 0) {
    dl_item(h, tr(lang, S::kExpectedAt), local_time(expected));
  }
  if (f.answered_at != 0 && f.answer_status == AnswerStatus::kPublished) {
    dl_item(h, tr(lang, S::kAnsweredAt), local_time(f.answered_at));
  }
  std::string contact;
  if (!f.contact_email.empty()) contact = mask_email(f.contact_email);
  if (!f.contact_phone.empty()) {
    contact += contact.empty() ? "" : ", ";
    contact += mask_phone(f.contact_phone);
  }
  dl_item(h, tr(lang, S::kYourContact), contact);
  if (!f.attachments.empty()) {
    dl_item(h, tr(lang, S::kAttachments), std::to_string(f.attachments.size()));
  }
  h += "</dl>";
  elem(h, "h2", tr(lang, S::kContentHeading));
  if (!f.title.empty()) elem(h, "p", f.title);
  if (!f.address.empty()) elem(h, "p", f.address);
  elem(h, "p class=pre", f.description);
  if (f.answer_status == AnswerStatus::kPublished && !f.answer_public.empty()) {
    elem(h, "h2", tr(lang, S::kAnswerHeading));
    elem(h, "p", cv.body_name);
    elem(h, "p class=pre", f.answer_public);
  }
  if (f.rating > 0) {
    h += "<p>";
    esc(h, tr(lang, S::kYourRating));
    h += ": <b>";
    h += std::to_string(f.rating);
    h += "/5</b></p>";
  }
  if (cv.can_rate) render_rate_form(h, f, act, lang);
  if (cv.can_reopen) render_reopen_form(h, f, act, lang);
  if (!act.rate_error.empty() && !cv.can_rate) elem(h, "p class=err role=alert", act.rate_error);
  if (!act.reopen_error.empty() && !cv.can_reopen) {
    elem(h, "p class=err role=alert", act.reopen_error);
  }
  elem(h, "h2", tr(lang, S::kHistory));
  h += "<ol>";
  for (const FeedbackEvent& e : cv.events) {
    h += "<li><time>";
    esc(h, local_time(e.ts));
    h += "</time> ";
    esc(h, tr(lang, event_word(e.kind)));
    if (const std::string d = event_detail(e); !d.empty()) {
      h += ": <span class=pre>";
      esc(h, d);
      h += "</span>";
    }
    h += "</li>";
  }
  h += "</ol>";
  if (f.status != FeedbackStatus::kModeration) {
    h += "<p>";
    a_href(h, link(lang, "/portal/requests/" + std::to_string(f.id)), tr(lang, S::kPublicLink));
    h += "</p>";
  }
  return render(deps, p);
}

S action_error(const Error& e, bool rating) {
  if (e.code == "not_answered") return S::kErrNotAnswered;
  if (e.code == "reopen_window_closed") return S::kErrReopenClosed;
  if (e.code == "too_many_reopens") return S::kErrTooManyReopens;
  if (rating) return e.message.starts_with("comment") ? S::kErrComment : S::kErrStars;
  return S::kErrReason;
}

HttpResponse post_track_action(PortalDeps& deps, const HttpRequest& req, Lang query_lang,
                               bool rating) {
  const char* path = rating ? "/portal/track/rate" : "/portal/track/reopen";
  auto posted = read_form(req);
  if (!posted) return bad_form(deps, query_lang, posted.error(), path);
  const Fields& fields = posted->fields;
  const Lang lang = lang_of(fields);
  const std::string code = get(fields, "code");
  TrackActions act;
  Result<Feedback> done = internal("unreachable");
  if (rating) {
    const std::string stars = get(fields, "stars");
    act.stars = stars.size() == 1 && stars[0] >= '1' && stars[0] <= '5' ? stars[0] - '0' : 0;
    act.comment = get(fields, "comment");
    done = deps.desk.rate(code, act.stars, act.comment);
  } else {
    act.reason = get(fields, "reason");
    done = deps.desk.reopen(code, act.reason);
  }
  if (done) return see_other(link(lang, "/portal/track", {{"code", done->tracking_code}}), lang);
  const Error& e = done.error();
  if (e.kind == ErrorKind::kNotFound) return track_page(deps, lang, code, false, act, 404);
  if (e.kind == ErrorKind::kInternal || e.kind == ErrorKind::kUnavailable) {
    return server_error(deps, lang, e);
  }
  (rating ? act.rate_error : act.reopen_error) = tr(lang, action_error(e, rating));
  return track_page(deps, lang, code, false, act, e.kind == ErrorKind::kConflict ? 409 : 422);
}

// ---------------------------------------------------------------------------------------------
// The public page of one feedback (benchmarked: one store read, names from the cache)

std::optional<std::int64_t> parse_id(std::string_view s) {
  if (s.empty() || s.size() > 18 || s[0] == '0') return std::nullopt;
  std::int64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

HttpResponse public_page(PortalDeps& deps, Lang lang, std::string_view id_text) {
  const auto id = parse_id(id_text);
  if (!id) return not_found_page(deps, lang);
  auto found = deps.desk.public_feedback(*id);
  if (!found) {
    if (found.error().kind == ErrorKind::kNotFound) return not_found_page(deps, lang);
    return server_error(deps, lang, found.error());
  }
  const Feedback& f = found.value();
  const std::string ids = std::to_string(f.id);
  Page p;
  p.lang = lang;
  p.caching = Caching::kShort;
  p.title = std::string(tr(lang, S::kPublicHeading)) + " " + ids;
  p.alt = link(other(lang), "/portal/requests/" + ids);
  std::string& h = p.main;
  h.reserve(1024 + f.description.size() + f.answer_public.size());
  elem(h, "h1", p.title);
  render_progress(h, f, lang);
  h += "<dl>";
  const auto names = deps.cache->service(deps.desk, f.service_code);
  dl_item(h, tr(lang, S::kCategoryLabel), lang == Lang::kEn ? names.en : names.vi);
  dl_item(h, tr(lang, S::kCommuneLabel), deps.cache->unit(deps.store, f.commune_code));
  dl_item(h, tr(lang, S::kSubmittedAt), local_time(f.submitted_at));
  if (f.answer_status == AnswerStatus::kPublished && f.answered_at != 0) {
    dl_item(h, tr(lang, S::kAnsweredAt), local_time(f.answered_at));
  }
  h += "</dl>";
  elem(h, "h2", tr(lang, S::kContentHeading));
  if (!f.title.empty()) elem(h, "p", f.title);
  elem(h, "p class=pre", f.description);
  if (f.answer_status == AnswerStatus::kPublished && !f.answer_public.empty()) {
    elem(h, "h2", tr(lang, S::kAnswerHeading));
    if (f.agency_id == 0) {
      elem(h, "p", "UBND " + deps.cache->unit(deps.store, f.body_unit));
    }
    elem(h, "p class=pre", f.answer_public);
  }
  h += "<p>";
  a_href(h, link(lang, "/portal/new"), tr(lang, S::kSendButton), "btn");
  h += "</p>";
  return render(deps, p);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Routing

std::optional<HttpResponse> portal_routes(const HttpRequest& req, std::string_view path,
                                          std::string_view query_string, PortalDeps& deps) {
  constexpr std::string_view kRoot = "/portal";
  if (!path.starts_with(kRoot) || (path.size() > kRoot.size() && path[kRoot.size()] != '/')) {
    return std::nullopt;
  }
  std::string_view rest = path.substr(kRoot.size());
  if (rest == "/") rest = "";
  auto query = forms::parse_urlencoded(query_string, 50);
  const Lang lang = query ? lang_of(query.value()) : Lang::kVi;
  if (!query) return bad_form(deps, lang, query.error(), path);
  const Fields& q = query.value();
  const bool read = req.method == "GET" || req.method == "HEAD";
  const bool post = req.method == "POST";
  try {
    if (rest.empty()) {
      if (!read) return method_not_allowed(deps, lang, path, "GET, HEAD");
      return home(deps, lang);
    }
    if (rest == "/new") {
      if (post) return post_new(deps, req, lang);
      if (!read) return method_not_allowed(deps, lang, path, "GET, HEAD, POST");
      return get_new(deps, q, lang);
    }
    if (rest == "/track") {
      if (!read) return method_not_allowed(deps, lang, path, "GET, HEAD");
      return track_page(deps, lang, trim(get(q, "code")), get(q, "new") == "1", {}, 200);
    }
    if (rest == "/track/rate" || rest == "/track/reopen") {
      if (!post) return method_not_allowed(deps, lang, path, "POST");
      return post_track_action(deps, req, lang, rest == "/track/rate");
    }
    constexpr std::string_view kRequests = "/requests/";
    if (rest.starts_with(kRequests)) {
      if (!read) return method_not_allowed(deps, lang, path, "GET, HEAD");
      return public_page(deps, lang, rest.substr(kRequests.size()));
    }
    return not_found_page(deps, lang);
  } catch (const std::exception& e) {
    return server_error(deps, lang, internal(e.what()));
  }
}

}  // namespace nguon::app
