#include "core/accounts.h"

#include <gtest/gtest.h>

#include "tests/support/fakes.h"

namespace nguon {
namespace {

class AccountsTest : public ::testing::Test {
 protected:
  AccountsTest() : crypto_(Argon2Profile::kMin), accounts_(db_.store(), clock_, crypto_, policy()) {
    auto pw = accounts_.ensure_admin("admin", "38", {"cli:test", "local"});
    admin_password_ = pw.value();
    admin_ = accounts_.login("admin", admin_password_, "127.0.0.1").value().principal;
  }

  static SecurityPolicy policy() {
    SecurityPolicy p;
    p.max_failed_logins = 3;
    p.lockout_seconds = 600;
    p.session_ttl_seconds = 3600;
    return p;
  }

  CreatedUser make_user(const std::string& name, const std::string& unit, Role role) {
    auto u = accounts_.create_user(admin_,
                                   {name, "Người dùng " + name, unit, std::nullopt, {{role, unit}}},
                                   {"admin", "127.0.0.1"});
    EXPECT_TRUE(u) << u.error().message;
    return u.value();
  }

  testing::TempStore db_;
  testing::ManualClock clock_;
  SodiumCrypto crypto_;
  AccountService accounts_;
  std::string admin_password_;
  access::Principal admin_;
};

TEST_F(AccountsTest, LoginCreatesASessionThatAuthenticates) {
  auto login = accounts_.login("ADMIN", admin_password_, "10.0.0.1");  // usernames are case-folded
  ASSERT_TRUE(login);
  EXPECT_EQ(login->session_token.size(), 64u);
  auto auth = accounts_.authenticate_session(login->session_token);
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->principal.username, "admin");
  EXPECT_EQ(auth->csrf_token, login->csrf_token);
  ASSERT_EQ(auth->principal.grants.size(), 1u);
  EXPECT_EQ(auth->principal.grants[0].unit_path, "VN/38/");
}

TEST_F(AccountsTest, SessionsExpire) {
  auto login = accounts_.login("admin", admin_password_, "10.0.0.1").value();
  clock_.advance(3601);
  auto auth = accounts_.authenticate_session(login.session_token);
  ASSERT_FALSE(auth);
  EXPECT_EQ(auth.error().code, "session_invalid");
}

TEST_F(AccountsTest, ForgedSessionTokensAreRejected) {
  EXPECT_EQ(accounts_.authenticate_session(std::string(64, 'a')).error().code, "session_invalid");
  EXPECT_EQ(accounts_.authenticate_session("short").error().code, "session_invalid");
}

TEST_F(AccountsTest, WrongPasswordsLockTheAccountUntilTheLockoutEnds) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(accounts_.login("admin", "wrong-password", "10.0.0.1").error().code,
              "invalid_credentials");
  }
  // Locked now: even the right password is refused, without checking it.
  auto locked = accounts_.login("admin", admin_password_, "10.0.0.1");
  ASSERT_FALSE(locked);
  EXPECT_EQ(locked.error().code, "account_locked");
  EXPECT_EQ(locked.error().kind, ErrorKind::kThrottled);
  clock_.advance(601);
  EXPECT_TRUE(accounts_.login("admin", admin_password_, "10.0.0.1"));
}

TEST_F(AccountsTest, UnknownUsersGetTheSameErrorAsWrongPasswords) {
  EXPECT_EQ(accounts_.login("nobody", "whatever-password", "10.0.0.1").error().code,
            "invalid_credentials");
}

TEST_F(AccountsTest, CreatedUsersGetAGeneratedPasswordTheyMustChange) {
  auto created = make_user("bientap.hacthanh", "14797", Role::kEditor);
  EXPECT_EQ(created.password.size(), 16u);
  EXPECT_TRUE(created.user.must_change_password);
  auto login = accounts_.login("bientap.hacthanh", created.password, "10.0.0.2");
  ASSERT_TRUE(login);
  const auto& me = login->principal;
  EXPECT_EQ(accounts_.change_password(me, "bad", "new-password-123", {"x", ""}).error().code,
            "wrong_password");
  EXPECT_TRUE(me.must_change_password);
  EXPECT_EQ(accounts_.change_password(me, created.password, "short", {"x", ""}).error().code,
            "weak_password");
  ASSERT_TRUE(accounts_.change_password(me, created.password, "new-password-123", {"x", ""}));
  EXPECT_TRUE(accounts_.login("bientap.hacthanh", "new-password-123", "10.0.0.2"));
  EXPECT_FALSE(accounts_.get_user(admin_, created.user.id)->must_change_password);
}

TEST_F(AccountsTest, AdminsActOnlyInsideTheirSubtree) {
  auto commune_admin = make_user("qt.hacthanh", "14797", Role::kAdmin);
  auto p = accounts_.login("qt.hacthanh", commune_admin.password, "1.1.1.1").value().principal;
  RequestOrigin o{"qt.hacthanh", "1.1.1.1"};
  // A user of another commune cannot be created, nor can a role outside the subtree be granted.
  EXPECT_EQ(accounts_.create_user(p, {"x.hailinh", "X", "16597", std::nullopt, {}}, o).error().code,
            "forbidden");
  EXPECT_EQ(
      accounts_
          .create_user(p, {"x.hacthanh", "X", "14797", std::nullopt, {{Role::kAdmin, "38"}}}, o)
          .error()
          .code,
      "forbidden");
  EXPECT_TRUE(accounts_.create_user(
      p, {"y.hacthanh", "Y", "14797", std::nullopt, {{Role::kEditor, "14797"}}}, o));
  // Users elsewhere are invisible: not found, not forbidden.
  auto other = make_user("bientap.hailinh", "16597", Role::kEditor);
  EXPECT_EQ(accounts_.get_user(p, other.user.id).error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(accounts_.reset_password(p, other.user.id, o).error().kind, ErrorKind::kNotFound);
  auto listed = accounts_.list_users(p).value();
  for (const User& u : listed) EXPECT_EQ(u.unit_code, "14797") << u.username;
  // A non-admin cannot list users at all.
  auto editor = make_user("bt.hacthanh", "14797", Role::kEditor);
  auto ep = accounts_.login("bt.hacthanh", editor.password, "1.1.1.1").value().principal;
  EXPECT_EQ(accounts_.list_users(ep).error().kind, ErrorKind::kForbidden);
}

TEST_F(AccountsTest, GrantsOutsideTheActorsScopeSurviveAnEdit) {
  // A user with roles in Thanh Hóa and in Hà Nội (given by the CLI, which has no scope).
  auto u = accounts_.create_user_as_system({"multi",
                                            "Đa vai trò",
                                            "14797",
                                            std::nullopt,
                                            {{Role::kEditor, "14797"}, {Role::kViewer, "00004"}}},
                                           {"cli:test", "local"});
  ASSERT_TRUE(u);
  // The Thanh Hóa admin replaces the roles it governs; the Hà Nội grant is not theirs to drop.
  UserPatch patch;
  patch.grants = std::vector<Grant>{{Role::kViewer, "38"}};
  ASSERT_TRUE(accounts_.update_user(admin_, u->user.id, patch, {"admin", ""}));
  auto after = accounts_.get_user(admin_, u->user.id).value();
  ASSERT_EQ(after.grants.size(), 2u);
  EXPECT_EQ(after.grants[0], (Grant{Role::kViewer, "00004"}));
  EXPECT_EQ(after.grants[1], (Grant{Role::kViewer, "38"}));
}

TEST_F(AccountsTest, DisablingEndsSessionsAndBlocksLogin) {
  auto u = make_user("tam", "14797", Role::kViewer);
  auto login = accounts_.login("tam", u.password, "1.1.1.1").value();
  UserPatch patch;
  patch.disabled = true;
  ASSERT_TRUE(accounts_.update_user(admin_, u.user.id, patch, {"admin", ""}));
  EXPECT_FALSE(accounts_.authenticate_session(login.session_token));
  EXPECT_EQ(accounts_.login("tam", u.password, "1.1.1.1").error().code, "account_disabled");
  patch.disabled = true;
  EXPECT_EQ(accounts_.update_user(admin_, admin_.user_id, patch, {"admin", ""}).error().code,
            "cannot_disable_self");
}

TEST_F(AccountsTest, ResetPasswordEndsSessionsAndUnlocks) {
  auto u = make_user("hoa", "14797", Role::kViewer);
  auto login = accounts_.login("hoa", u.password, "1.1.1.1").value();
  for (int i = 0; i < 3; ++i) (void)accounts_.login("hoa", "nope-nope-nope", "1.1.1.1");
  EXPECT_EQ(accounts_.reset_password(admin_, admin_.user_id, {"admin", ""}).error().kind,
            ErrorKind::kNotFound);  // one's own password is changed, not reset
  auto fresh = accounts_.reset_password(admin_, u.user.id, {"admin", ""});
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(accounts_.authenticate_session(login.session_token));
  EXPECT_TRUE(accounts_.login("hoa", fresh.value(), "1.1.1.1"));
}

TEST_F(AccountsTest, ApiTokensAuthenticateUntilRevokedOrExpired) {
  auto t = accounts_.create_token(admin_, "tích hợp", 2, {"admin", ""});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->secret.rfind("ngt_", 0), 0u);
  auto p = accounts_.authenticate_token(t->secret);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->via_token);
  EXPECT_EQ(accounts_.authenticate_token("ngt_" + std::string(64, '0')).error().code,
            "token_invalid");
  clock_.advance(2 * 86400 + 1);
  EXPECT_FALSE(accounts_.authenticate_token(t->secret));
  // A token cannot mint tokens.
  EXPECT_EQ(accounts_.create_token(p.value(), "con", 1, {"admin", ""}).error().kind,
            ErrorKind::kForbidden);
  auto t2 = accounts_.create_token(admin_, "khác", 1, {"admin", ""}).value();
  ASSERT_TRUE(accounts_.revoke_token(admin_, t2.token.id, {"admin", ""}));
  EXPECT_FALSE(accounts_.authenticate_token(t2.secret));
  EXPECT_EQ(accounts_.create_token(admin_, "x", 0, {"admin", ""}).error().code, "invalid_field");
}

TEST_F(AccountsTest, InvalidUserFieldsAreRejectedWithTheFieldNamed) {
  RequestOrigin o{"admin", ""};
  auto bad_name = accounts_.create_user(admin_, {"Bad Name!", "X", "38", std::nullopt, {}}, o);
  EXPECT_EQ(bad_name.error().code, "invalid_field");
  EXPECT_NE(bad_name.error().message.find("username"), std::string::npos);
  auto bad_unit = accounts_.create_user(admin_, {"abc", "X", "99999", std::nullopt, {}}, o);
  EXPECT_EQ(bad_unit.error().code, "invalid_field");
  auto dup = accounts_.create_user(admin_, {"admin", "X", "38", std::nullopt, {}}, o);
  EXPECT_EQ(dup.error().code, "username_taken");
  auto weak = accounts_.create_user(admin_, {"abcd", "X", "38", std::string("123"), {}}, o);
  EXPECT_EQ(weak.error().code, "weak_password");
}

}  // namespace
}  // namespace nguon
