// The store contract (store_contract.hpp) for the residents (store/residents.hpp): who they are,
// their meters, their login codes and sessions; run against every backend.
#include "store_contract.hpp"

namespace ml::server::test_store {
namespace {

class StoreResidentsContract : public StoreContract {
 protected:
  void SetUp() override {
    StoreContract::SetUp();
    add_test_meter();  // 6892850
    Meter water;
    water.serial = "5551234";
    water.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
    ASSERT_TRUE(store_->add_meter(water).ok());
  }
  static Resident household(const std::string& email, const std::string& phone) {
    Resident r;
    r.name = "Hansen";
    r.email = email;
    r.phone = phone;
    r.language = "da";
    r.created = 1000;
    r.invited_by = "anna";
    r.serials = {"6892850", "5551234"};
    return r;
  }
};

TEST_P(StoreResidentsContract, AResidentIsKeptWithItsMetersAndFoundByAddress) {
  const auto id = store_->add_resident(household("Hansen@Example.org", "+4512345678")).value();
  EXPECT_GT(id, 0);
  const auto r = store_->resident(id).value();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "Hansen");
  EXPECT_EQ(r->email, "Hansen@Example.org");
  EXPECT_EQ(r->language, "da");
  EXPECT_EQ(r->invited_by, "anna");
  EXPECT_EQ(r->created, 1000);
  EXPECT_EQ(r->serials, (std::vector<std::string>{"5551234", "6892850"}));
  // By e-mail without regard to case, or by phone; nothing by an empty address.
  EXPECT_EQ(store_->resident_by_address("hansen@example.org").value()->id, id);
  EXPECT_EQ(store_->resident_by_address("+4512345678").value()->id, id);
  EXPECT_FALSE(store_->resident_by_address("").value());
  EXPECT_FALSE(store_->resident_by_address("other@example.org").value());
  EXPECT_FALSE(store_->resident(id + 1).value());
  // A meter's residents.
  const auto other = store_->add_resident(household("", "+4587654321")).value();
  ASSERT_TRUE(store_->set_resident_meters(other, {"5551234"}).ok());
  const auto of_water = store_->residents_of("5551234").value();
  ASSERT_EQ(of_water.size(), 2u);
  EXPECT_EQ(of_water[0].id, id);
  EXPECT_EQ(of_water[1].id, other);
  EXPECT_EQ(store_->residents_of("6892850").value().size(), 1u);
}

// The notice preferences are kept and changed; every meter's residents come in one read.
TEST_P(StoreResidentsContract, PreferencesAndEveryMetersResidents) {
  auto first = household("hansen@example.org", "+4512345678");
  const auto id = store_->add_resident(first).value();
  EXPECT_EQ(store_->resident(id).value()->notices, ResidentNotices::all) << "the default";
  EXPECT_EQ(store_->resident(id).value()->notice_channel, "");
  auto r = *store_->resident(id).value();
  r.notices = ResidentNotices::essential;
  r.notice_channel = "sms";
  ASSERT_TRUE(store_->update_resident(r).ok());
  EXPECT_EQ(store_->resident(id).value()->notices, ResidentNotices::essential);
  EXPECT_EQ(store_->resident(id).value()->notice_channel, "sms");
  auto second = household("", "+4587654321");
  second.serials = {"5551234"};
  second.notices = ResidentNotices::none;
  const auto other = store_->add_resident(second).value();
  const auto by_meter = store_->residents_by_meter().value();
  ASSERT_EQ(by_meter.size(), 3u);
  EXPECT_EQ(by_meter[0].first, "5551234");
  EXPECT_EQ(by_meter[0].second.id, id);
  EXPECT_EQ(by_meter[1].first, "5551234");
  EXPECT_EQ(by_meter[1].second.id, other);
  EXPECT_EQ(by_meter[1].second.notices, ResidentNotices::none);
  EXPECT_EQ(by_meter[1].second.phone, "+4587654321");
  EXPECT_EQ(by_meter[2].first, "6892850");
  EXPECT_EQ(by_meter[2].second.notice_channel, "sms");
  EXPECT_TRUE(by_meter[2].second.serials.empty());
  // A threshold of one's own, and what they were last told under it; gone with them.
  r = *store_->resident(id).value();
  r.low_days = 7;
  ASSERT_TRUE(store_->update_resident(r).ok());
  EXPECT_EQ(store_->resident(id).value()->low_days, 7);
  EXPECT_EQ(store_->residents_by_meter().value()[0].second.low_days, 7);
  EXPECT_TRUE(store_->resident_prepaid_states().value().empty());
  ASSERT_TRUE(store_->write_resident_prepaid_state(id, "6892850", {12, true, false}).ok());
  ASSERT_TRUE(store_->write_resident_prepaid_state(id, "6892850", {13, true, true}).ok());
  ASSERT_TRUE(store_->write_resident_prepaid_state(other, "5551234", {1, false, false}).ok());
  auto states = store_->resident_prepaid_states().value();
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ((states[{id, "6892850"}]), (PrepaidNoticeState{13, true, true}));
  ASSERT_TRUE(store_->delete_resident(id).ok());
  states = store_->resident_prepaid_states().value();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states.begin()->first.first, other);
}

TEST_P(StoreResidentsContract, AnAddressBelongsToOneResidentAndAMeterMustExist) {
  const auto id = store_->add_resident(household("hansen@example.org", "")).value();
  auto taken = store_->add_resident(household("HANSEN@example.org", "+4511111111"));
  ASSERT_FALSE(taken.ok());
  EXPECT_NE(taken.error().detail.find("another resident"), std::string::npos);
  auto no_meter = store_->add_resident([] {
    Resident r = household("", "+4522222222");
    r.serials = {"9999999"};
    return r;
  }());
  ASSERT_FALSE(no_meter.ok());
  EXPECT_EQ(no_meter.error().detail, "no meter 9999999");
  EXPECT_FALSE(store_->resident_by_address("+4522222222").value()) << "a refusal writes nothing";
  // An update may keep its own address, not take another's.
  const auto other = store_->add_resident(household("", "+4533333333")).value();
  Resident r = store_->resident(other).value().value();
  r.email = "hansen@example.org";
  EXPECT_FALSE(store_->update_resident(r).ok());
  r.email = "jensen@example.org";
  r.password_hash = "$argon2id$x";
  ASSERT_TRUE(store_->update_resident(r).ok());
  EXPECT_EQ(store_->resident(other).value()->password_hash, "$argon2id$x");
  Resident same = store_->resident(id).value().value();
  same.name = "Hansen & Co";
  EXPECT_TRUE(store_->update_resident(same).ok());
  Resident missing = same;
  missing.id = other + 100;
  missing.email = "";
  auto none = store_->update_resident(missing);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().detail, "no resident " + std::to_string(other + 100));
}

TEST_P(StoreResidentsContract, ACodeIsTakenOnceBeforeItExpiresAndBelowItsTries) {
  const auto id = store_->add_resident(household("hansen@example.org", "")).value();
  ResidentCode c{0, id, "hash1", 1000, 1600, 0, false, "192.0.2.1"};
  const auto first = store_->insert_resident_code(c).value();
  c.code_hash = "hash2";
  c.created = 1100;
  c.address = "192.0.2.2";
  const auto second = store_->insert_resident_code(c).value();
  const auto codes = store_->resident_codes(id, 1000).value();
  ASSERT_EQ(codes.size(), 2u);
  EXPECT_EQ(codes[0].id, first);
  EXPECT_EQ(codes[0].code_hash, "hash1");
  EXPECT_EQ(codes[1].address, "192.0.2.2");
  EXPECT_EQ(store_->resident_codes(id, 1001).value().size(), 1u);
  EXPECT_EQ(store_->resident_codes_from("192.0.2.1", 0).value(), 1);
  EXPECT_EQ(store_->resident_codes_from("192.0.2.1", 1001).value(), 0);
  // Expired at 1600; taken once; a code with its tries used up is not taken.
  EXPECT_FALSE(store_->take_resident_code(first, 1600, 5).value());
  EXPECT_TRUE(store_->take_resident_code(first, 1599, 5).value());
  EXPECT_FALSE(store_->take_resident_code(first, 1599, 5).value());
  EXPECT_TRUE(store_->resident_codes(id, 0).value()[0].used);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(store_->count_resident_code_try(second).ok());
  EXPECT_EQ(store_->resident_codes(id, 0).value()[1].tries, 5);
  EXPECT_FALSE(store_->take_resident_code(second, 1200, 5).value());
  EXPECT_TRUE(store_->take_resident_code(second, 1200, 6).value());
  ASSERT_TRUE(store_->remove_resident_codes_before(1601).ok());
  EXPECT_TRUE(store_->resident_codes(id, 0).value().empty());
}

TEST_P(StoreResidentsContract, SessionsAreTheResidentsOwnAndGoWithThem) {
  const auto id = store_->add_resident(household("hansen@example.org", "")).value();
  const auto other = store_->add_resident(household("jensen@example.org", "")).value();
  ASSERT_TRUE(store_->insert_resident_session("s1", {id, "csrf1", 1000, 2000, "192.0.2.1"}).ok());
  ASSERT_TRUE(store_->insert_resident_session("s2", {id, "csrf2", 1000, 5000, "192.0.2.1"}).ok());
  ASSERT_TRUE(
      store_->insert_resident_session("s3", {other, "csrf3", 1000, 5000, "192.0.2.3"}).ok());
  const auto s = store_->resident_session("s1").value();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->resident_id, id);
  EXPECT_EQ(s->csrf, "csrf1");
  EXPECT_EQ(s->expires, 2000);
  EXPECT_EQ(s->remote, "192.0.2.1");
  EXPECT_FALSE(store_->session("s1").value()) << "not a staff session";
  ASSERT_TRUE(store_->remove_expired_resident_sessions(2000).ok());
  EXPECT_FALSE(store_->resident_session("s1").value());
  EXPECT_TRUE(store_->resident_session("s2").value());
  ASSERT_TRUE(store_->remove_resident_sessions_of(id).ok());
  EXPECT_FALSE(store_->resident_session("s2").value());
  EXPECT_TRUE(store_->resident_session("s3").value());
  // A resident removed takes its meters, codes and sessions along; the meters stay.
  ASSERT_TRUE(
      store_->insert_resident_code({0, other, "h", 1000, 1600, 0, false, "192.0.2.3"}).ok());
  ASSERT_TRUE(store_->delete_resident(other).ok());
  EXPECT_FALSE(store_->resident(other).value());
  EXPECT_FALSE(store_->resident_session("s3").value());
  EXPECT_TRUE(store_->resident_codes(other, 0).value().empty());
  EXPECT_EQ(store_->residents_of("6892850").value().size(), 1u);
  EXPECT_TRUE(store_->meter("6892850").value());
  EXPECT_FALSE(store_->delete_resident(other).ok());
}

}  // namespace

ML_STORE_CONTRACT(StoreResidentsContract);

}  // namespace ml::server::test_store
