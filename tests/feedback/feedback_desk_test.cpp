// FeedbackDesk over a real SQLite store: intake, moderation, routing, scope, the answer's
// four-eyes workflow, replies through the outbox, citizens' rating and reopening, deadlines
// (reminders and escalation without sleeping) and answers turned into bulletins.
#include "core/feedback/feedback_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "core/units.h"
#include "tests/support/fakes.h"

namespace nguon {
namespace {

using testing::ManualClock;
using testing::TempStore;

const RequestOrigin kOrigin{"tester", "127.0.0.1"};

// Unix time of a local (UTC+7) wall-clock time.
UnixTime local(int y, int m, int d, int hh, int mm) {
  return workdays::days_from_civil({y, m, d}) * 86400 + hh * 3600 + mm * 60 - 7 * 3600;
}

access::Principal principal(std::int64_t id, const std::string& name, Role role,
                            const std::string& unit_code, const std::string& unit_path) {
  access::Principal p;
  p.user_id = id;
  p.username = name;
  p.unit_code = unit_code;
  p.grants = {{role, unit_code, unit_path}};
  return p;
}

class FeedbackDeskTest : public ::testing::Test {
 protected:
  FeedbackDeskTest() : crypto_(Argon2Profile::kMin) {
    clock_.set(local(2026, 11, 23, 9, 0));  // a Monday
    Status seeded = db_.store().write([&](Tx& tx) -> Status {
      auto commune = tx.find_unit("14797");
      if (!commune) return commune.error();
      NGUON_TRY(tx.insert_unit(units::make_unit("14797-001", &*commune.value(), UnitLevel::kVillage,
                                                "thôn", "Thôn Đông")));
      // Users who receive notifications.
      for (auto [name, role, unit] :
           std::initializer_list<std::tuple<const char*, Role, const char*>>{
               {"xuly", Role::kFeedbackHandler, "14797"},
               {"duyet", Role::kApprover, "14797"},
               {"tinh", Role::kFeedbackHandler, "38"},
               {"bientap", Role::kEditor, "14797"}}) {
        User u;
        u.username = name;
        u.unit_code = unit;
        u.password_hash = "x";
        u.grants = {{role, unit}};
        NGUON_TRY_ASSIGN(auto id, tx.insert_user(u));
        ids_[name] = id;
      }
      return {};
    });
    if (!seeded) throw std::runtime_error(seeded.error().message);
    handler_ = principal(ids_["xuly"], "xuly", Role::kFeedbackHandler, "14797", "VN/38/14797/");
    approver_ = principal(ids_["duyet"], "duyet", Role::kApprover, "14797", "VN/38/14797/");
    editor_ = principal(ids_["bientap"], "bientap", Role::kEditor, "14797", "VN/38/14797/");
    province_ = principal(ids_["tinh"], "tinh", Role::kFeedbackHandler, "38", "VN/38/");
    other_ = principal(99, "khac", Role::kFeedbackHandler, "16597", "VN/38/16597/");
    admin_ = principal(98, "admin", Role::kAdmin, "VN", "VN/");
    make_desk(false);
    FeedbackService roads;
    roads.code = "roads";
    roads.name_vi = "Giao thông";
    roads.description = "Đường sá";
    roads.forward_days = 2;
    roads.answer_days = 5;
    EXPECT_TRUE(desk_->put_service(admin_, roads, kOrigin).ok());
    FeedbackService env = roads;
    env.code = "environment";
    env.name_vi = "Môi trường";
    env.attributes_json =
        R"([{"code":"kind","datatype":"singlevaluelist","required":true,"description":"Loại","values":[{"key":"waste","name":"Rác"},{"key":"noise","name":"Ồn"}]}])";
    EXPECT_TRUE(desk_->put_service(admin_, env, kOrigin).ok());
  }

  void make_desk(bool moderate) {
    FeedbackSettings s;
    s.moderate_first_time = moderate;
    s.submissions_per_contact_per_day = 3;
    s.portal_base_url = "https://nguon.test";
    desk_ = std::make_unique<FeedbackDesk>(db_.store(), clock_, crypto_, calendar_, s);
  }

  Submission submission(const std::string& email = "dan@example.vn") {
    Submission s;
    s.service_code = "roads";
    s.title = "Ổ gà";
    s.description = "Đường thôn Đông có ổ gà lớn, rất nguy hiểm.";
    s.commune_code = "14797";
    s.contact_name = "Nguyễn Văn An";
    s.contact_email = email;
    s.contact_phone = "0912 345 678";
    s.ip = "203.0.113.5";
    return s;
  }

  Feedback must_submit(Submission s) {
    auto r = desk_->submit(std::move(s), nullptr, kOrigin);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().code + ": " + r.error().message);
    return r.ok() ? r.value() : Feedback{};
  }

  // Received → assigned → answer drafted, submitted and approved by two people.
  Feedback must_answer(const Feedback& f, const std::string& text) {
    EXPECT_TRUE(desk_->accept(handler_, f.id, kOrigin).ok());
    EXPECT_TRUE(desk_->draft_answer(handler_, f.id, text, kOrigin).ok());
    EXPECT_TRUE(desk_->submit_answer(handler_, f.id, kOrigin).ok());
    auto r = desk_->approve_answer(approver_, f.id, kOrigin);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? r.value() : Feedback{};
  }

  // After a reopen the feedback is already assigned: draft, submit, approve.
  void must_answer_again(const Feedback& f) {
    EXPECT_TRUE(desk_->draft_answer(handler_, f.id, "Đã vá lại.", kOrigin).ok());
    EXPECT_TRUE(desk_->submit_answer(handler_, f.id, kOrigin).ok());
    EXPECT_TRUE(desk_->approve_answer(approver_, f.id, kOrigin).ok());
  }

  std::vector<Notification> notes(const std::string& user) {
    std::vector<Notification> out;
    (void)db_.store().read([&](Tx& tx) -> Status {
      NGUON_TRY_ASSIGN(out, tx.list_notifications(ids_[user], false, 100));
      return {};
    });
    return out;
  }

  std::vector<OutboxMail> outbox(std::int64_t feedback_id) {
    std::vector<OutboxMail> out;
    (void)db_.store().read([&](Tx& tx) -> Status {
      NGUON_TRY_ASSIGN(out, tx.outbox_for_feedback(feedback_id));
      return {};
    });
    return out;
  }

  TempStore db_;
  ManualClock clock_;
  SodiumCrypto crypto_;
  workdays::WorkCalendar calendar_;
  std::unique_ptr<FeedbackDesk> desk_;
  std::map<std::string, std::int64_t> ids_;
  access::Principal handler_, approver_, editor_, province_, other_, admin_;
};

TEST_F(FeedbackDeskTest, SubmissionIsRoutedToTheCommuneWithAForwardDeadlineInWorkingDays) {
  Feedback f = must_submit(submission());
  EXPECT_EQ(f.status, FeedbackStatus::kReceived);
  EXPECT_EQ(f.body_unit, "14797");
  EXPECT_EQ(f.body_path, "VN/38/14797/");
  EXPECT_EQ(f.agency_id, 0);
  EXPECT_EQ(f.contact_phone, "0912345678");
  EXPECT_EQ(f.channel, "web");
  // Monday 23/11 09:00 + 2 working days = end of Wednesday 25/11.
  EXPECT_EQ(f.forward_due, local(2026, 11, 26, 0, 0));
  EXPECT_TRUE(feedback::normalize_tracking_code(f.tracking_code).has_value());
  ASSERT_EQ(notes("xuly").size(), 1U);
  EXPECT_EQ(notes("xuly")[0].feedback_id, f.id);
  EXPECT_EQ(notes("xuly")[0].kind, "feedback.received");
}

TEST_F(FeedbackDeskTest, BadSubmissionsAreRefusedWithTheFieldNamedAndNothingStored) {
  auto code_of = [&](Submission s) {
    auto r = desk_->submit(std::move(s), nullptr, kOrigin);
    return r.ok() ? std::string("ok") : r.error().code;
  };
  Submission s = submission();
  s.service_code = "nope";
  EXPECT_EQ(code_of(s), "unknown_service");
  s = submission();
  s.description = "   ";
  EXPECT_EQ(code_of(s), "invalid_field");
  s = submission();
  s.description = std::string(4001, 'a');
  EXPECT_EQ(code_of(s), "invalid_field");
  s.description = std::string(4000, 'a');
  EXPECT_EQ(code_of(s), "ok");
  s = submission("x@example.vn");
  s.contact_phone = "12345";
  EXPECT_EQ(code_of(s), "invalid_field");
  s = submission("y@example.vn");
  s.commune_code.clear();
  EXPECT_EQ(code_of(s), "missing_location");
  s.lat = 48.85;
  s.lon = 2.35;
  EXPECT_EQ(code_of(s), "invalid_field");  // Paris
  s = submission("z@example.vn");
  s.village_code = "16597";  // a commune, not a village of 14797
  EXPECT_EQ(code_of(s), "invalid_field");
  s = submission("w@example.vn");
  s.service_code = "environment";
  EXPECT_EQ(code_of(s), "invalid_attribute");  // required
  s.attributes = {{"kind", "fire"}};
  EXPECT_EQ(code_of(s), "invalid_attribute");  // not in the list
  s.attributes = {{"colour", "red"}, {"kind", "waste"}};
  EXPECT_EQ(code_of(s), "invalid_attribute");  // unknown attribute
  s.attributes = {{"kind", "waste"}};
  EXPECT_EQ(code_of(s), "ok");
  auto all = desk_->inbox(province_, {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2U);
}

TEST_F(FeedbackDeskTest, HtmlInTextIsStoredAsTextAndVillageNarrowsTheArea) {
  Submission s = submission();
  s.description = "<script>alert(1)</script> ở thôn Đông";
  s.village_code = "14797-001";
  Feedback f = must_submit(s);
  EXPECT_EQ(f.description, "<script>alert(1)</script> ở thôn Đông");
  EXPECT_EQ(f.area_path, "VN/38/14797/14797-001/");
  EXPECT_EQ(f.body_unit, "14797");
}

TEST_F(FeedbackDeskTest, FirstTimeContactsWaitForModerationThenGoThrough) {
  make_desk(true);
  Feedback first = must_submit(submission());
  EXPECT_EQ(first.status, FeedbackStatus::kModeration);
  EXPECT_EQ(first.forward_due, 0);
  // Not public while in moderation.
  EXPECT_FALSE(desk_->public_feedback(first.id).ok());
  // Another commune's handler cannot moderate it.
  EXPECT_EQ(desk_->moderate(other_, first.id, true, "", kOrigin).error().kind,
            ErrorKind::kNotFound);
  auto ok = desk_->moderate(handler_, first.id, true, "", kOrigin);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->status, FeedbackStatus::kReceived);
  EXPECT_GT(ok->forward_due, 0);
  Feedback second = must_submit(submission());
  EXPECT_EQ(second.status, FeedbackStatus::kReceived);
  // Anonymous submissions (no contact) always wait.
  Submission anon = submission("");
  anon.contact_phone.clear();
  EXPECT_EQ(must_submit(anon).status, FeedbackStatus::kModeration);
  // Spam rejected with a reason is not public.
  Feedback spam = must_submit(submission("spam@example.vn"));
  auto rejected = desk_->moderate(handler_, spam.id, false, "Quảng cáo", kOrigin);
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ(rejected->status, FeedbackStatus::kRejected);
  EXPECT_FALSE(desk_->public_feedback(spam.id).ok());
}

TEST_F(FeedbackDeskTest, ContactsAreLimitedPerDay) {
  for (int i = 0; i < 3; ++i) must_submit(submission());
  auto r = desk_->submit(submission(), nullptr, kOrigin);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kThrottled);
  // The same e-mail in capitals is the same contact.
  EXPECT_FALSE(desk_->submit(submission("DAN@Example.VN"), nullptr, kOrigin).ok());
  clock_.advance(86401);
  EXPECT_TRUE(desk_->submit(submission(), nullptr, kOrigin).ok());
}

TEST_F(FeedbackDeskTest, TheDailyLimitHoldsForFirstTimeContactsInModerationToo) {
  make_desk(true);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(must_submit(submission("moi@example.vn")).status, FeedbackStatus::kModeration);
  }
  auto r = desk_->submit(submission("moi@example.vn"), nullptr, kOrigin);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kThrottled);
  EXPECT_EQ(notes("xuly").size(), 3u);  // one per stored submission, none for the refused one
}

TEST_F(FeedbackDeskTest, RoutingRulesSendCategoriesToAgenciesTheMostSpecificWinning) {
  Agency dept;
  dept.unit_code = "38";
  dept.name = "Sở Xây dựng Thanh Hóa";
  dept.email = "sxd@thanhhoa.gov.vn";
  auto a = desk_->put_agency(admin_, dept, kOrigin);
  ASSERT_TRUE(a.ok()) << a.error().message;
  RoutingRule province_rule{0, "roads", "38", "", "38", a->id};
  ASSERT_TRUE(desk_->add_routing_rule(admin_, province_rule, kOrigin).ok());
  Feedback f = must_submit(submission());
  EXPECT_EQ(f.body_unit, "38");
  EXPECT_EQ(f.agency_id, a->id);
  // The agency is told by e-mail, naming the new feedback.
  auto mails = outbox(f.id);
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].to, "sxd@thanhhoa.gov.vn");
  const std::string id = std::to_string(f.id);
  EXPECT_EQ(mails[0].subject, "[Nguồn] Phản ánh mới #" + id + " «Ổ gà» cần xử lý");
  EXPECT_EQ(mails[0].body.rfind("Phản ánh mới #" + id + " «Ổ gà» cần xử lý.\n\nĐường thôn Đông", 0),
            0u)
      << mails[0].body;
  // Not while a first-time contact's submission waits for moderation.
  make_desk(true);
  Feedback waiting = must_submit(submission("moi@example.vn"));
  EXPECT_EQ(waiting.status, FeedbackStatus::kModeration);
  EXPECT_EQ(waiting.agency_id, a->id);
  EXPECT_TRUE(outbox(waiting.id).empty());
  make_desk(false);
  // A commune-level wildcard rule is more specific than the province's category rule.
  RoutingRule commune_rule{0, "*", "14797", "", "14797", 0};
  ASSERT_TRUE(desk_->add_routing_rule(admin_, commune_rule, kOrigin).ok());
  EXPECT_EQ(must_submit(submission("b@example.vn")).body_unit, "14797");
  // Duplicates conflict; commune handlers cannot add rules.
  EXPECT_EQ(desk_->add_routing_rule(admin_, commune_rule, kOrigin).error().kind,
            ErrorKind::kConflict);
  EXPECT_EQ(
      desk_->add_routing_rule(handler_, {0, "*", "16597", "", "16597", 0}, kOrigin).error().kind,
      ErrorKind::kForbidden);
}

TEST_F(FeedbackDeskTest, APointWithoutACommuneGoesToTheNearestDevicesCommune) {
  Status s = db_.store().write([&](Tx& tx) -> Status {
    for (auto [id, commune, path, lat, lon] :
         std::initializer_list<std::tuple<const char*, const char*, const char*, double, double>>{
             {"d0000000000000001", "14797", "VN/38/14797/", 19.80, 105.78},
             {"d0000000000000002", "16597", "VN/38/16597/", 19.60, 105.90}}) {
      Device d;
      d.id = id;
      d.name = id;
      d.serial = id;
      d.commune_code = commune;
      d.unit_path = path;
      d.lat = lat;
      d.lon = lon;
      NGUON_TRY(tx.insert_device(d));
    }
    return {};
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  Submission near = submission();
  near.commune_code.clear();
  near.lat = 19.61;
  near.lon = 105.91;
  Feedback f = must_submit(near);
  EXPECT_EQ(f.commune_code, "16597");
  EXPECT_EQ(f.location_method, "nearest_device");
  Submission far = submission("far@example.vn");
  far.commune_code.clear();
  far.lat = 10.77;  // Hồ Chí Minh City: no device within 15 km
  far.lon = 106.70;
  EXPECT_EQ(desk_->submit(far, nullptr, kOrigin).error().code, "missing_location");
}

TEST_F(FeedbackDeskTest, StaffEnterFeedbackOnACitizensBehalfOnlyInTheirArea) {
  access::Principal propagandist =
      principal(0, "tuyentruyen", Role::kPropagandist, "14797", "VN/38/14797/");
  Submission s = submission("");
  s.relayed_by = "Tổ tuyên truyền thôn Đông";
  make_desk(true);
  auto r = desk_->submit(s, &propagandist, kOrigin);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->channel, "staff");
  EXPECT_EQ(r->status, FeedbackStatus::kReceived);  // staff entries skip moderation
  EXPECT_EQ(r->client, "tuyentruyen");
  access::Principal viewer = principal(0, "xem", Role::kViewer, "14797", "VN/38/14797/");
  EXPECT_EQ(desk_->submit(s, &viewer, kOrigin).error().kind, ErrorKind::kForbidden);
  EXPECT_EQ(desk_->submit(s, &other_, kOrigin).error().kind, ErrorKind::kForbidden);
}

TEST_F(FeedbackDeskTest, OtherCommunesNeitherSeeNorTouchIt) {
  Feedback f = must_submit(submission());
  EXPECT_EQ(desk_->get(other_, f.id).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(desk_->accept(other_, f.id, kOrigin).error().kind, ErrorKind::kNotFound);
  auto inbox = desk_->inbox(other_, {});
  ASSERT_TRUE(inbox.ok());
  EXPECT_TRUE(inbox->empty());
  // The province above sees it; an approver of the commune may read but not triage.
  EXPECT_TRUE(desk_->get(province_, f.id).ok());
  EXPECT_EQ(desk_->accept(approver_, f.id, kOrigin).error().kind, ErrorKind::kForbidden);
}

TEST_F(FeedbackDeskTest, AnswerNeedsFourEyesIsRedactedAndGoesBackByEmail) {
  Feedback f = must_submit(submission());
  ASSERT_TRUE(desk_->accept(handler_, f.id, kOrigin).ok());
  auto drafted = desk_->draft_answer(
      handler_, f.id, "Ông Nguyễn Văn An (0912 345 678): UBND xã sẽ vá đường trước 30/11.",
      kOrigin);
  ASSERT_TRUE(drafted.ok());
  EXPECT_EQ(drafted->answer_status, AnswerStatus::kDraft);
  // Approving before submission is refused.
  EXPECT_EQ(desk_->approve_answer(approver_, f.id, kOrigin).error().kind, ErrorKind::kConflict);
  ASSERT_TRUE(desk_->submit_answer(handler_, f.id, kOrigin).ok());
  EXPECT_EQ(notes("duyet").front().kind, "feedback.answer_submitted");
  // The author cannot approve their own answer (the handler is also made an approver here).
  access::Principal both = handler_;
  both.grants.push_back({Role::kApprover, "14797", "VN/38/14797/"});
  EXPECT_EQ(desk_->approve_answer(both, f.id, kOrigin).error().kind, ErrorKind::kForbidden);
  EXPECT_TRUE(outbox(f.id).empty());
  auto approved = desk_->approve_answer(approver_, f.id, kOrigin);
  ASSERT_TRUE(approved.ok()) << approved.error().message;
  EXPECT_EQ(approved->status, FeedbackStatus::kAnswered);
  EXPECT_EQ(approved->answer_public, "Ông […] ([…]): UBND xã sẽ vá đường trước 30/11.");
  auto mails = outbox(f.id);
  ASSERT_EQ(mails.size(), 1U);
  EXPECT_EQ(mails[0].to, "dan@example.vn");
  EXPECT_NE(mails[0].subject.find(f.tracking_code), std::string::npos);
  EXPECT_NE(mails[0].body.find("sẽ vá đường"), std::string::npos);
  EXPECT_NE(mails[0].body.find("https://nguon.test/portal/track?code=" + f.tracking_code),
            std::string::npos);
  // The public view is redacted and carries no contact.
  auto pub = desk_->public_feedback(f.id);
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(pub->contact_email.empty());
  EXPECT_TRUE(pub->answer_text.empty());
  EXPECT_TRUE(pub->tracking_code.empty());
}

TEST_F(FeedbackDeskTest, ReturnedAnswersGoBackToDraftWithTheReason) {
  Feedback f = must_submit(submission());
  ASSERT_TRUE(desk_->accept(handler_, f.id, kOrigin).ok());
  ASSERT_TRUE(desk_->draft_answer(handler_, f.id, "Sẽ xem xét.", kOrigin).ok());
  ASSERT_TRUE(desk_->submit_answer(handler_, f.id, kOrigin).ok());
  EXPECT_EQ(desk_->draft_answer(handler_, f.id, "Đổi", kOrigin).error().code, "answer_submitted");
  auto back = desk_->return_answer(approver_, f.id, "Cần nêu thời hạn cụ thể", kOrigin);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->answer_status, AnswerStatus::kDraft);
  EXPECT_EQ(notes("xuly").front().kind, "feedback.answer_returned");
}

TEST_F(FeedbackDeskTest, CitizensTrackRateAndReopenWithTheirCodeOnly) {
  Feedback f = must_submit(submission());
  auto typed = f.tracking_code;
  std::transform(typed.begin(), typed.end(), typed.begin(), ::tolower);
  typed.erase(std::remove(typed.begin(), typed.end(), '-'), typed.end());
  auto view = desk_->track(typed);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->feedback.id, f.id);
  EXPECT_FALSE(view->can_rate);
  EXPECT_EQ(desk_->track("AAAA-BBBB-CCCC").error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(desk_->rate(f.tracking_code, 5, "").error().code, "not_answered");
  must_answer(f, "Đã vá xong.");
  view = desk_->track(f.tracking_code);
  ASSERT_TRUE(view.ok());
  EXPECT_TRUE(view->can_rate);
  EXPECT_TRUE(view->can_reopen);
  EXPECT_TRUE(view->feedback.answer_text.empty());  // the citizen sees the published text
  EXPECT_EQ(view->feedback.answer_public, "Đã vá xong.");
  for (const auto& e : view->events) EXPECT_TRUE(e.is_public) << e.kind;
  // Reopen: back to the handler with a fresh answer deadline.
  clock_.advance(3 * 86400);
  auto reopened = desk_->reopen(f.tracking_code, "Vẫn còn ổ gà");
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  EXPECT_EQ(reopened->status, FeedbackStatus::kAssigned);
  EXPECT_EQ(reopened->answer_status, AnswerStatus::kNone);
  EXPECT_EQ(reopened->reopen_count, 1);
  must_answer_again(reopened.value());
  auto rated = desk_->rate(f.tracking_code, 4, "Cảm ơn");
  ASSERT_TRUE(rated.ok());
  EXPECT_EQ(rated->status, FeedbackStatus::kClosed);
  EXPECT_EQ(desk_->rate(f.tracking_code, 5, "").error().code, "not_answered");
  EXPECT_EQ(desk_->rate("nonsense", 5, "").error().kind, ErrorKind::kNotFound);
  // Past the reopen window.
  clock_.advance(31 * 86400);
  EXPECT_EQ(desk_->reopen(f.tracking_code, "Lại hỏng").error().code, "reopen_window_closed");
}

TEST_F(FeedbackDeskTest, TransferMergeAndRejectKeepTheirHistory) {
  Feedback a = must_submit(submission());
  Feedback b = must_submit(submission("b@example.vn"));
  auto moved = desk_->transfer(handler_, a.id, "16597", 0, "Thuộc địa bàn xã Hải Lĩnh", kOrigin);
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(moved->body_unit, "16597");
  // Now the first commune no longer handles it (but still reads it: it is about its area).
  EXPECT_EQ(desk_->accept(handler_, a.id, kOrigin).error().kind, ErrorKind::kForbidden);
  EXPECT_TRUE(desk_->accept(other_, a.id, kOrigin).ok());
  auto merged = desk_->merge(handler_, b.id, a.id, kOrigin);
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ(merged->status, FeedbackStatus::kMerged);
  EXPECT_EQ(merged->merged_into, a.id);
  EXPECT_EQ(desk_->reject(handler_, b.id, "x", kOrigin).error().code, "invalid_state");
  auto v = desk_->get(province_, a.id);
  ASSERT_TRUE(v.ok());
  std::vector<std::string> kinds;
  for (const auto& e : v->events) kinds.push_back(e.kind);
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"received", "transferred", "assigned", "duplicate_merged"}));
  Feedback c = must_submit(submission("c@example.vn"));
  EXPECT_EQ(desk_->reject(handler_, c.id, "", kOrigin).error().code, "invalid_field");
  auto rejected = desk_->reject(handler_, c.id, "Không thuộc thẩm quyền", kOrigin);
  ASSERT_TRUE(rejected.ok());
  EXPECT_EQ(rejected->reject_reason, "Không thuộc thẩm quyền");
  EXPECT_TRUE(desk_->public_feedback(c.id).ok());  // triaged rejections stay public
}

TEST_F(FeedbackDeskTest, DeadlinesRemindThenEscalateToTheSupervisingUnitOnce) {
  // Friday 20/11 10:00: forward deadline = end of Tuesday 24/11 (2 working days).
  clock_.set(local(2026, 11, 20, 10, 0));
  Feedback f = must_submit(submission());
  EXPECT_EQ(f.forward_due, local(2026, 11, 25, 0, 0));
  const size_t handler_before = notes("xuly").size();
  clock_.set(local(2026, 11, 22, 12, 0));  // Sunday: reminder not yet (starts Monday 00:00)
  ASSERT_TRUE(desk_->run_deadlines().ok());
  EXPECT_EQ(notes("xuly").size(), handler_before);
  clock_.set(local(2026, 11, 23, 8, 0));  // Monday: one working day before the last day
  ASSERT_EQ(desk_->run_deadlines().value(), 1);
  EXPECT_EQ(notes("xuly").front().kind, "feedback.reminder");
  EXPECT_EQ(desk_->run_deadlines().value(), 0);  // once
  clock_.set(local(2026, 11, 25, 0, 1));         // overdue
  ASSERT_EQ(desk_->run_deadlines().value(), 1);
  EXPECT_EQ(notes("tinh").front().kind, "feedback.escalated");
  EXPECT_EQ(notes("xuly").front().kind, "feedback.overdue");
  EXPECT_EQ(desk_->run_deadlines().value(), 0);  // escalated once per deadline
  auto v = desk_->get(handler_, f.id);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->feedback.escalation, 1);
  // Accepting starts the answer deadline (5 working days from Wednesday 25/11 → Wed 2/12).
  auto accepted = desk_->accept(handler_, f.id, kOrigin);
  ASSERT_TRUE(accepted.ok());
  EXPECT_EQ(accepted->answer_due, local(2026, 12, 3, 0, 0));
  EXPECT_EQ(desk_->expected_at(accepted.value()), accepted->answer_due);
  auto stats = desk_->stats(province_, 0, 0);
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->total.received, 1);
  EXPECT_EQ(stats->total.overdue, 0);
}

TEST_F(FeedbackDeskTest, AnsweredFeedbackClosesWhenTheReopenWindowEnds) {
  Feedback f = must_answer(must_submit(submission()), "Xong.");
  clock_.advance(30 * 86400 + 1);
  ASSERT_GE(desk_->run_deadlines().value(), 1);
  auto v = desk_->track(f.tracking_code);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->feedback.status, FeedbackStatus::kClosed);
  EXPECT_FALSE(v->can_reopen);
}

TEST_F(FeedbackDeskTest, AnAnswerBecomesOneApprovedBulletinForTheStation) {
  Feedback f = must_submit(submission());
  EXPECT_EQ(desk_->make_bulletin(editor_, f.id, kOrigin).error().code, "not_answered");
  must_answer(f, "UBND xã đã vá đường thôn Đông ngày 25/11.");
  EXPECT_EQ(desk_->make_bulletin(handler_, f.id, kOrigin).error().kind, ErrorKind::kForbidden);
  auto b = desk_->make_bulletin(editor_, f.id, kOrigin);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->owner_unit, "14797");
  EXPECT_EQ(b->category, "feedback_answers");
  EXPECT_NE(b->body.find("đã vá đường thôn Đông"), std::string::npos);
  EXPECT_EQ(b->body.find("Nguyễn Văn An"), std::string::npos);
  EXPECT_EQ(desk_->make_bulletin(editor_, f.id, kOrigin).error().code, "bulletin_exists");
  auto approved = desk_->mark_bulletin_approved(editor_, f.id, kOrigin);
  ASSERT_TRUE(approved.ok());
  EXPECT_EQ(approved->status, BulletinStatus::kApproved);
  EXPECT_EQ(approved->approved_by, ids_["duyet"]);
}

}  // namespace
}  // namespace nguon
