#include "core/bulletins.h"

#include <gtest/gtest.h>

#include "core/audit.h"
#include "tests/support/fakes.h"

namespace nguon {
namespace {

class BulletinsTest : public ::testing::Test {
 protected:
  BulletinsTest()
      : crypto_(Argon2Profile::kMin),
        accounts_(db_.store(), clock_, crypto_, {}),
        bulletins_(db_.store(), clock_, crypto_) {
    province_editor_ = make("bt.tinh", "38", {{Role::kEditor, "38"}});
    province_approver_ = make("duyet.tinh", "38", {{Role::kApprover, "38"}});
    commune_editor_ = make("bt.hacthanh", "14797", {{Role::kEditor, "14797"}});
    commune_approver_ = make("duyet.hacthanh", "14797", {{Role::kApprover, "14797"}});
    both_ = make("ca.hacthanh", "14797", {{Role::kEditor, "14797"}, {Role::kApprover, "14797"}});
    other_editor_ = make("bt.hailinh", "16597", {{Role::kEditor, "16597"}});
    hanoi_editor_ = make("bt.hanoi", "01", {{Role::kEditor, "01"}, {Role::kApprover, "01"}});
  }

  access::Principal make(const std::string& name, const std::string& unit,
                         std::vector<Grant> grants) {
    auto u = accounts_.create_user_as_system(
        {name, name, unit, std::string("mat-khau-dai-1"), grants}, {"cli:test", "local"});
    EXPECT_TRUE(u) << u.error().message;
    return accounts_.login(name, "mat-khau-dai-1", "127.0.0.1").value().principal;
  }

  BulletinDraft draft(const std::string& owner, const std::string& title = "Lịch tiêm chủng") {
    BulletinDraft d;
    d.owner_unit = owner;
    d.title = title;
    d.summary = "Tóm tắt";
    d.body = "UBND phường thông báo lịch tiêm chủng ngày 28/6/2024 lúc 7h30.";
    d.category = "disaster_emergency";
    return d;
  }

  Bulletin published(const access::Principal& editor, const access::Principal& approver,
                     BulletinDraft d) {
    auto b = bulletins_.create(editor, std::move(d), origin_);
    EXPECT_TRUE(b) << b.error().message;
    EXPECT_TRUE(bulletins_.submit(editor, b->id, origin_));
    EXPECT_TRUE(bulletins_.approve(approver, b->id, origin_));
    auto p = bulletins_.publish(approver, b->id, origin_);
    EXPECT_TRUE(p) << p.error().message;
    return p.value();
  }

  testing::TempStore db_;
  testing::ManualClock clock_;
  SodiumCrypto crypto_;
  AccountService accounts_;
  BulletinService bulletins_;
  RequestOrigin origin_{"test", "127.0.0.1"};
  access::Principal province_editor_, province_approver_, commune_editor_, commune_approver_, both_,
      other_editor_, hanoi_editor_;
};

TEST_F(BulletinsTest, CreateValidatesEveryField) {
  auto ok = bulletins_.create(commune_editor_, draft("14797"), origin_);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->status, BulletinStatus::kDraft);
  EXPECT_EQ(ok->revision, 1);
  EXPECT_EQ(ok->author_id, commune_editor_.user_id);

  auto d = draft("14797");
  d.body = "  ";
  EXPECT_EQ(bulletins_.create(commune_editor_, d, origin_).error().code, "empty_text");
  d = draft("14797");
  d.category = "gossip";
  EXPECT_EQ(bulletins_.create(commune_editor_, d, origin_).error().code, "invalid_field");
  d = draft("14797");
  d.body = "a\x01b";
  EXPECT_EQ(bulletins_.create(commune_editor_, d, origin_).error().code, "invalid_field");
  d = draft("14797");
  d.language = "Tày!";
  EXPECT_EQ(bulletins_.create(commune_editor_, d, origin_).error().code, "invalid_field");
  d = draft("14797");
  d.valid_from = 2000;
  d.valid_until = 1000;
  EXPECT_EQ(bulletins_.create(commune_editor_, d, origin_).error().code, "invalid_field");
  d = draft("14797");
  d.target_units = {"16597"};  // outside the owner's subtree
  EXPECT_EQ(bulletins_.create(commune_editor_, d, origin_).error().code, "invalid_field");
  d = draft("14797");
  d.title = "Tho\xCC\x82ng ba\xCC\x81o";  // NFD
  EXPECT_EQ(bulletins_.create(commune_editor_, d, origin_)->title, "Thông báo");
}

TEST_F(BulletinsTest, OnlyEditorsOfTheOwnerUnitMayCreate) {
  EXPECT_EQ(bulletins_.create(commune_approver_, draft("14797"), origin_).error().kind,
            ErrorKind::kForbidden);
  EXPECT_EQ(bulletins_.create(other_editor_, draft("14797"), origin_).error().code,
            "invalid_field");
  EXPECT_TRUE(bulletins_.create(province_editor_, draft("14797"), origin_));  // subtree
}

TEST_F(BulletinsTest, TheFullWorkflowNotifiesAndAudits) {
  auto b = bulletins_.create(commune_editor_, draft("14797"), origin_).value();
  ASSERT_TRUE(bulletins_.submit(commune_editor_, b.id, origin_));
  auto inbox = bulletins_.notifications(commune_approver_, true).value();
  ASSERT_FALSE(inbox.empty());
  EXPECT_EQ(inbox[0].kind, "bulletin.submitted");
  EXPECT_EQ(inbox[0].bulletin_id, b.id);
  // The provincial approver covers the commune too.
  EXPECT_FALSE(bulletins_.notifications(province_approver_, true)->empty());
  // Submitted bulletins are frozen.
  BulletinPatch patch;
  patch.title = "Sửa";
  EXPECT_EQ(bulletins_.update(commune_editor_, b.id, patch, origin_).error().code,
            "invalid_transition");
  auto approved = bulletins_.approve(commune_approver_, b.id, origin_);
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->approved_by, commune_approver_.user_id);
  auto pub = bulletins_.publish(commune_approver_, b.id, origin_);
  ASSERT_TRUE(pub);
  EXPECT_EQ(pub->status, BulletinStatus::kPublished);
  auto author_inbox = bulletins_.notifications(commune_editor_, false).value();
  EXPECT_EQ(author_inbox.size(), 2u);  // approved, published
  ASSERT_TRUE(bulletins_.mark_notifications_read(commune_editor_, author_inbox[0].id));
  EXPECT_TRUE(bulletins_.notifications(commune_editor_, true)->empty());
  auto report = audit::verify(db_.store(), crypto_).value();
  EXPECT_FALSE(report.first_bad_seq);
}

TEST_F(BulletinsTest, ReturnNeedsAReasonAndAllowsResubmission) {
  auto b = bulletins_.create(commune_editor_, draft("14797"), origin_).value();
  ASSERT_TRUE(bulletins_.submit(commune_editor_, b.id, origin_));
  EXPECT_EQ(bulletins_.return_to_author(commune_approver_, b.id, "  ", origin_).error().code,
            "missing_field");
  auto returned = bulletins_.return_to_author(commune_approver_, b.id, "Thiếu địa điểm", origin_);
  ASSERT_TRUE(returned);
  EXPECT_EQ(returned->status, BulletinStatus::kReturned);
  EXPECT_EQ(returned->return_reason, "Thiếu địa điểm");
  BulletinPatch patch;
  patch.body = "Tiêm tại trạm y tế phường.";
  ASSERT_TRUE(bulletins_.update(commune_editor_, b.id, patch, origin_));
  EXPECT_TRUE(bulletins_.submit(commune_editor_, b.id, origin_));
  // Approving twice or publishing unapproved work is refused.
  EXPECT_EQ(bulletins_.publish(commune_approver_, b.id, origin_).error().code,
            "invalid_transition");
}

TEST_F(BulletinsTest, FourEyesStopsAuthorsApprovingTheirOwnWorkUnlessTheUnitAllowsIt) {
  auto b = bulletins_.create(both_, draft("14797"), origin_).value();
  ASSERT_TRUE(bulletins_.submit(both_, b.id, origin_));
  auto self = bulletins_.approve(both_, b.id, origin_);
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code, "four_eyes");
  EXPECT_TRUE(bulletins_.four_eyes("14797").value());
  // Only an admin may change the rule; the province's admin sets it off for the commune.
  EXPECT_EQ(bulletins_.set_four_eyes(both_, "14797", false, origin_).error().kind,
            ErrorKind::kForbidden);
  auto admin = make("qt.tinh", "38", {{Role::kAdmin, "38"}});
  ASSERT_TRUE(bulletins_.set_four_eyes(admin, "14797", false, origin_));
  EXPECT_FALSE(bulletins_.four_eyes("14797").value());
  EXPECT_TRUE(bulletins_.four_eyes("16597").value());  // siblings keep the default
  EXPECT_TRUE(bulletins_.approve(both_, b.id, origin_));
}

TEST_F(BulletinsTest, EditingAnApprovedBulletinStartsANewRevision) {
  auto b = published(commune_editor_, commune_approver_, draft("14797"));
  BulletinPatch patch;
  patch.body = "Lịch mới: ngày 30/6/2024.";
  auto edited = bulletins_.update(commune_editor_, b.id, patch, origin_);
  ASSERT_TRUE(edited) << edited.error().message;
  EXPECT_EQ(edited->revision, 2);
  EXPECT_EQ(edited->status, BulletinStatus::kDraft);
  auto history = bulletins_.revisions(commune_editor_, b.id).value();
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].revision, 1);
  EXPECT_NE(history[0].snapshot.find("28/6/2024"), std::string::npos);
  EXPECT_EQ(history[0].approved_by, commune_approver_.user_id);
}

TEST_F(BulletinsTest, SourceContentFlowsDownTheHierarchyOnly) {
  auto provincial = published(province_editor_, province_approver_, draft("38", "Tin của tỉnh"));
  auto hanoi = published(hanoi_editor_, make("duyet.hanoi", "01", {{Role::kApprover, "01"}}),
                         draft("01", "Tin của Hà Nội"));
  auto own = published(commune_editor_, commune_approver_, draft("14797", "Tin của phường"));
  auto library = bulletins_.library(commune_editor_, "14797", 50).value();
  ASSERT_EQ(library.size(), 1u);
  EXPECT_EQ(library[0].id, provincial.id);
  // Readable from below once published; another province's is not.
  EXPECT_TRUE(bulletins_.get(commune_editor_, provincial.id));
  EXPECT_EQ(bulletins_.get(commune_editor_, hanoi.id).error().kind, ErrorKind::kNotFound);
  // A sibling commune's own bulletin is invisible.
  EXPECT_EQ(bulletins_.get(other_editor_, own.id).error().kind, ErrorKind::kNotFound);
  // Another commune's library is not reachable.
  EXPECT_EQ(bulletins_.library(commune_editor_, "16597", 50).error().kind, ErrorKind::kNotFound);
}

TEST_F(BulletinsTest, TargetsAndValidityNarrowTheLibrary) {
  auto d = draft("38", "Chỉ cho Hải Lĩnh");
  d.target_units = {"16597"};
  published(province_editor_, province_approver_, d);
  auto d2 = draft("38", "Hết hạn");
  d2.valid_until = clock_.now() + 60;
  published(province_editor_, province_approver_, d2);
  EXPECT_EQ(bulletins_.library(commune_editor_, "14797", 50)->size(), 1u);
  EXPECT_EQ(bulletins_.library(other_editor_, "16597", 50)->size(), 2u);
  clock_.advance(61);
  EXPECT_TRUE(bulletins_.library(commune_editor_, "14797", 50)->empty());
}

TEST_F(BulletinsTest, ListAndQueueRespectScope) {
  published(commune_editor_, commune_approver_, draft("14797", "Một"));
  auto pending = bulletins_.create(commune_editor_, draft("14797", "Hai"), origin_).value();
  ASSERT_TRUE(bulletins_.submit(commune_editor_, pending.id, origin_));
  (void)bulletins_.create(other_editor_, draft("16597", "Ba"), origin_);
  EXPECT_EQ(bulletins_.list(commune_editor_, {})->size(), 2u);
  EXPECT_EQ(bulletins_.list(province_editor_, {})->size(), 3u);
  BulletinQuery q;
  q.fold = "hai";
  EXPECT_EQ(bulletins_.list(province_editor_, q)->size(), 1u);
  auto queue = bulletins_.approval_queue(commune_approver_).value();
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0].id, pending.id);
  EXPECT_EQ(bulletins_.approval_queue(commune_editor_).error().kind, ErrorKind::kForbidden);
}

}  // namespace
}  // namespace nguon
