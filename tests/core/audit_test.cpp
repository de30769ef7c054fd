#include "core/audit.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "core/accounts.h"
#include "tests/support/fakes.h"

namespace nguon {
namespace {

// Runs raw SQL as an attacker with file access would (bypassing the store).
int raw_exec(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return rc;
}

class AuditTest : public ::testing::Test {
 protected:
  AuditTest() : crypto_(Argon2Profile::kMin), accounts_(db_.store(), clock_, crypto_, {}) {
    (void)accounts_.ensure_admin("admin", "38", {"cli:test", "local"});
    for (int i = 0; i < 4; ++i) {
      (void)accounts_.login("admin", "wrong-password", "10.0.0." + std::to_string(i));
      clock_.advance(1);
    }
  }
  testing::TempStore db_;
  testing::ManualClock clock_;
  SodiumCrypto crypto_;
  AccountService accounts_;
};

TEST_F(AuditTest, ChainOfRealEntriesVerifies) {
  auto report = audit::verify(db_.store(), crypto_);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->checked, 5);
  EXPECT_FALSE(report->first_bad_seq);
}

TEST_F(AuditTest, TheStoreRefusesUpdatesAndDeletes) {
  EXPECT_NE(raw_exec(db_.db_path(), "UPDATE audit_log SET actor = 'x' WHERE seq = 2"), SQLITE_OK);
  EXPECT_NE(raw_exec(db_.db_path(), "DELETE FROM audit_log WHERE seq = 2"), SQLITE_OK);
}

TEST_F(AuditTest, VerifierNamesTheFirstAlteredEntry) {
  ASSERT_EQ(raw_exec(db_.db_path(),
                     "DROP TRIGGER audit_log_no_update;"
                     "UPDATE audit_log SET ip = '6.6.6.6' WHERE seq = 3"),
            SQLITE_OK);
  auto report = audit::verify(db_.store(), crypto_).value();
  ASSERT_TRUE(report.first_bad_seq);
  EXPECT_EQ(*report.first_bad_seq, 3);
  EXPECT_EQ(report.checked, 2);
}

TEST_F(AuditTest, RecomputingTheHashStillBreaksTheNextLink) {
  // An attacker who rewrites entry 2 and its own hash is caught at entry 3.
  ASSERT_EQ(raw_exec(db_.db_path(),
                     "DROP TRIGGER audit_log_no_update;"
                     "UPDATE audit_log SET hash = 'forged' WHERE seq = 2"),
            SQLITE_OK);
  auto report = audit::verify(db_.store(), crypto_).value();
  ASSERT_TRUE(report.first_bad_seq);
  EXPECT_EQ(*report.first_bad_seq, 2);  // its content no longer matches its hash
}

TEST_F(AuditTest, VerifierNamesADeletedEntry) {
  ASSERT_EQ(raw_exec(db_.db_path(),
                     "DROP TRIGGER audit_log_no_delete;"
                     "DELETE FROM audit_log WHERE seq = 4"),
            SQLITE_OK);
  auto report = audit::verify(db_.store(), crypto_).value();
  ASSERT_TRUE(report.first_bad_seq);
  EXPECT_EQ(*report.first_bad_seq, 4);
  EXPECT_NE(report.reason.find("missing"), std::string::npos);
}

TEST(AuditCanonical, FieldsCannotBleedIntoEachOther) {
  AuditEntry a{1, 2, "ab", "c", "", "", "", "", "", ""};
  AuditEntry b{1, 2, "a", "bc", "", "", "", "", "", ""};
  EXPECT_NE(audit::canonical(a), audit::canonical(b));
}

}  // namespace
}  // namespace nguon
