// The residents' use cases (server/usecases/residents.hpp) on a SQLite store: an invitation
// checked and audited, login codes limited per resident and per client, each taken once, before
// it expires and within its tries.
#include <gtest/gtest.h>

#include "server/sqlite/store.hpp"
#include "server/usecases/residents.hpp"
#include "sim_support.hpp"

namespace ml::server::usecase::residents_unit {
namespace {

class Residents : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = SqliteStore::open(dir_.file("server.db")).value();
    for (const char* serial : {"6892850", "5551234"}) {
      Meter m;
      m.serial = serial;
      m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
      ASSERT_TRUE(store_->add_meter(m).ok());
    }
    id_ =
        invite_resident(
            *store_, {"Hansen", "hansen@example.org", "+4512345678", "da", {"6892850", "5551234"}},
            actor_, now_)
            .value();
  }
  std::string code(const std::string& address = "hansen@example.org",
                   const std::string& client = "192.0.2.1") {
    auto issued = issue_login_code(*store_, address, client, now_);
    EXPECT_TRUE(issued.ok()) << issued.error().message();
    EXPECT_TRUE(issued.ok() && issued->has_value());
    return issued.ok() && issued->has_value() ? (*issued)->code : "";
  }

  test::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  const Actor actor_{"anna", "192.0.2.9"};
  std::int64_t now_ = 1'800'000'000;
  std::int64_t id_ = 0;
};

TEST_F(Residents, AnInvitationIsCheckedAndAuditedWithoutTheAddresses) {
  const auto r = store_->resident(id_).value().value();
  EXPECT_EQ(r.serials, (std::vector<std::string>{"5551234", "6892850"}));
  EXPECT_EQ(r.invited_by, "anna");
  const auto audit = store_->admin_audit("", 10).value();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].action, "resident.invite");
  EXPECT_EQ(audit[0].detail.find("hansen@"), std::string::npos) << audit[0].detail;
  EXPECT_EQ(audit[0].detail.find("+4512"), std::string::npos) << audit[0].detail;
  const std::vector<std::pair<Invite, std::string>> refused{
      {{"x", "", "", "", {"6892850"}}, "e-mail address or phone number"},
      {{"x", "not an address", "", "", {"6892850"}}, "@"},
      {{"x", "", "12", "", {"6892850"}}, "digits"},
      {{"x", "jensen@example.org", "", "de", {"6892850"}}, "language"},
      {{"x", "jensen@example.org", "", "", {}}, "meters"},
      {{"x", "jensen@example.org", "", "", {"9999999"}}, "no meter 9999999"},
      {{"x", "HANSEN@example.org", "", "", {"6892850"}}, "another resident"},
  };
  for (const auto& [invite, why] : refused) {
    auto r2 = invite_resident(*store_, invite, actor_, now_);
    ASSERT_FALSE(r2.ok()) << why;
    EXPECT_NE(r2.error().detail.find(why), std::string::npos) << r2.error().detail;
  }
  EXPECT_FALSE(store_->resident_by_address("jensen@example.org").value()) << "nothing written";
  EXPECT_EQ(store_->admin_audit("", 10).value().size(), 1u);
}

TEST_F(Residents, ACodeLogsInOnceBeforeItExpires) {
  const std::string c = code();
  ASSERT_EQ(c.size(), 8u);
  EXPECT_EQ(c.find_first_not_of("0123456789"), std::string::npos) << c;
  // Not stored as it is.
  EXPECT_EQ(store_->resident_codes(id_, 0).value()[0].code_hash.find(c), std::string::npos);
  // Typed with blanks, by the phone number: the same resident; once.
  EXPECT_EQ(
      redeem_login_code(*store_, "+4512345678", c.substr(0, 4) + " " + c.substr(4), now_).value(),
      id_);
  auto again = redeem_login_code(*store_, "hansen@example.org", c, now_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().detail, "wrong or expired code");
  // Expired after kCodeLifetime.
  now_ += 60;
  const std::string late = code();
  EXPECT_FALSE(redeem_login_code(*store_, "hansen@example.org", late, now_ + kCodeLifetime).ok());
  EXPECT_TRUE(
      redeem_login_code(*store_, "hansen@example.org", late, now_ + kCodeLifetime - 1).ok());
  // Another address's code, an unknown address, malformed codes: refused alike.
  EXPECT_FALSE(redeem_login_code(*store_, "nobody@example.org", late, now_).ok());
  EXPECT_FALSE(redeem_login_code(*store_, "hansen@example.org", "12ab5678", now_).ok());
  EXPECT_FALSE(redeem_login_code(*store_, "hansen@example.org", "", now_).ok());
}

TEST_F(Residents, WrongCodesUseUpTheTries) {
  const std::string c = code();
  const std::string wrong = c == "00000000" ? "11111111" : "00000000";
  for (int i = 0; i < kCodeTries; ++i)
    EXPECT_FALSE(redeem_login_code(*store_, "hansen@example.org", wrong, now_).ok());
  EXPECT_EQ(store_->resident_codes(id_, 0).value()[0].tries, kCodeTries);
  EXPECT_FALSE(redeem_login_code(*store_, "hansen@example.org", c, now_).ok())
      << "after its tries the right code is refused too";
}

TEST_F(Residents, CodesAreLimitedPerResidentAndPerClient) {
  for (int i = 0; i < kCodesPerResident; ++i) {
    code("hansen@example.org", "192.0.2." + std::to_string(i));
    now_ += 10;
  }
  auto more = issue_login_code(*store_, "hansen@example.org", "192.0.2.99", now_);
  ASSERT_FALSE(more.ok());
  // The oldest was 30 s ago: it leaves the window in kCodeWindow - 30 s.
  EXPECT_EQ(more.error().detail.rfind("wait " + std::to_string(kCodeWindow - 30) + " s", 0), 0u)
      << more.error().detail;
  now_ += kCodeWindow;
  EXPECT_FALSE(code().empty()) << "the window has passed";
  // An unknown address: no code, and no error that would tell it apart.
  auto nobody = issue_login_code(*store_, "nobody@example.org", "192.0.2.1", now_);
  ASSERT_TRUE(nobody.ok());
  EXPECT_FALSE(nobody->has_value());
  // One client asking for many residents.
  for (int i = 0; i < kCodesPerClient; ++i) {
    const std::string email = "r" + std::to_string(i) + "@example.org";
    ASSERT_TRUE(invite_resident(*store_, {"", email, "", "", {"6892850"}}, actor_, now_).ok());
    ASSERT_TRUE(issue_login_code(*store_, email, "198.51.100.7", now_).ok());
  }
  ASSERT_TRUE(
      invite_resident(*store_, {"", "last@example.org", "", "", {"6892850"}}, actor_, now_).ok());
  auto flood = issue_login_code(*store_, "last@example.org", "198.51.100.7", now_);
  ASSERT_FALSE(flood.ok());
  EXPECT_EQ(flood.error().detail.rfind("wait ", 0), 0u) << flood.error().detail;
}

}  // namespace
}  // namespace ml::server::usecase::residents_unit
