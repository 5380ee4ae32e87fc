#include "core/keychange/key_change.hpp"

#include <gtest/gtest.h>

#include "core/envelope/envelope.hpp"
#include "server/key_change.hpp"
#include "store_contract.hpp"

namespace ml {
namespace {

namespace kc = core::keychange;
using core::envelope::MasterKey;

MasterKey key(const char* hex) {
  return core::envelope::parse_master_key(hex).value();
}
const MasterKey kOld = key("ef500c9268cf749016d26d6cbfaaf7bf");
const MasterKey kNew = key("00112233445566778899aabbccddeeff");
const MasterKey kOther = key("ffeeddccbbaa99887766554433221100");

TEST(KeyChange, TheRecordRoundTripsAndBadOnesAreRefusedByWhatIsWrong) {
  const kc::KeyChange c{kNew, kOld, 1700000000, kOld};
  const std::string text = kc::format_record(c);
  EXPECT_EQ(text,
            "00112233445566778899aabbccddeeff ef500c9268cf749016d26d6cbfaaf7bf 1700000000 "
            "ef500c9268cf749016d26d6cbfaaf7bf");
  EXPECT_EQ(kc::parse_record(text).value(), c);
  const std::pair<std::string, const char*> bad[] = {
      {"", "not \"NEW PREVIOUS TIME CONFIGURED\""},
      {text.substr(0, 77), "not \"NEW PREVIOUS TIME CONFIGURED\""},
      {text.substr(0, 78) + "x" + text.substr(79), "the configured key is not"},
      {text + std::string(40, '0'), "longer than"},
      {"x" + text.substr(1), "the new key is not"},
      {text.substr(0, 40) + "g" + text.substr(41), "the previous key is not"},
      {text.substr(0, 66) + "-5" + text.substr(76), "the time is not a number"},
      {text.substr(0, 66) + "99999999999999999999" + text.substr(76), "the time is too large"},
  };
  for (const auto& [t, why] : bad) {
    auto r = kc::parse_record(t);
    ASSERT_FALSE(r.ok()) << t;
    EXPECT_NE(r.error().detail.find(why), std::string::npos) << r.error().detail;
  }
  EXPECT_EQ(kc::parse_new_key("00112233445566778899AABBCCDDEEFF").value(), kNew);
  EXPECT_NE(kc::parse_new_key("0011").error().detail.find("32 hex digits, not 4"),
            std::string::npos);
  EXPECT_NE(kc::parse_new_key(std::string(32, 'z')).error().detail.find("not hex"),
            std::string::npos);
}

TEST(KeyChange, TheChangedKeyIsUsedAndThePreviousAcceptedForTheGracePeriod) {
  // No change: the configured key.
  auto use = kc::key_in_use(kOld, std::nullopt, 1700000000);
  EXPECT_EQ(use.current, kOld);
  EXPECT_FALSE(use.previous);
  // A change made from the configured key: the new one, the old one for a week.
  const kc::KeyChange c{kNew, kOld, 1700000000, kOld};
  use = kc::key_in_use(kOld, c, 1700000000 + 10);
  EXPECT_EQ(use.current, kNew);
  ASSERT_TRUE(use.previous);
  EXPECT_EQ(*use.previous, kOld);
  EXPECT_EQ(use.until, 1700000000 + kc::kKeyGraceSeconds);
  EXPECT_FALSE(kc::key_in_use(kOld, c, 1700000000 + kc::kKeyGraceSeconds).previous);
  // The operator configured the new key already: the same.
  EXPECT_EQ(kc::key_in_use(kNew, c, 1700000010).current, kNew);
  // A configured key that is neither: it wins, the stored change is stale.
  use = kc::key_in_use(kOther, c, 1700000010);
  EXPECT_EQ(use.current, kOther);
  EXPECT_TRUE(use.stale_change);
  EXPECT_FALSE(use.previous);
  // A second change chains: still made under the configured key, so it applies after a restart.
  const auto second = kc::next_change(kOther, kNew, 1700000100, kOld, c);
  EXPECT_EQ(second, (kc::KeyChange{kOther, kNew, 1700000100, kOld}));
  use = kc::key_in_use(kOld, second, 1700000200);
  EXPECT_EQ(use.current, kOther);
  EXPECT_EQ(use.previous, kNew);
  // A change after the operator configured another key starts a chain of its own.
  EXPECT_EQ(kc::next_change(kNew, kOther, 5, kOther, c), (kc::KeyChange{kNew, kOther, 5, kOther}));
}

using server::test_store::StoreContract;
class KeyChangeStore : public StoreContract {};

// start_key_change and finish_key_change over every backend: one next key however often it is
// started, one set_key waiting, both audited; the next key becomes the key once.
TEST_P(KeyChangeStore, AChangeIsStartedOnceAndFinishedOnce) {
  const server::Meter m = add_test_meter();
  EXPECT_FALSE(server::start_key_change(*store_, "1234567", "anna", "cli", 100).ok());
  // Only a device that reported this project's agent: the original firmware ignores set_key.
  for (const char* version : {"", "NO_AUTO_CLOSE-MC-THERMO_NC"}) {
    if (*version != '\0') {
      ASSERT_TRUE(store_items(*store_, {diag(50, "version", version)}, 60).ok());
    }
    auto refused = server::start_key_change(*store_, m.serial, "anna", "cli", 100);
    ASSERT_FALSE(refused.ok()) << version;
    EXPECT_NE(refused.error().detail.find("ignores set_key"), std::string::npos);
  }
  EXPECT_EQ(store_->meter(m.serial).value()->next_key_hex, "");
  EXPECT_TRUE(store_->pending_commands(m.serial).value().empty());
  ASSERT_TRUE(store_items(*store_, {diag(70, "version", "linux-0.1.0-KMP")}, 80).ok());
  auto first = server::start_key_change(*store_, m.serial, "anna", "cli", 100);
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_FALSE(first->resumed);
  EXPECT_EQ(first->since, 100);
  auto stored = store_->meter(m.serial).value().value();
  EXPECT_EQ(stored.key_hex, m.key_hex);  // the old key stays the key until the device answers
  ASSERT_EQ(stored.next_key_hex.size(), 32u);
  EXPECT_EQ(stored.next_key_since, 100);
  auto pending = store_->pending_commands(m.serial).value();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].command, "set_key");
  EXPECT_EQ(pending[0].argument, stored.next_key_hex);
  EXPECT_EQ(pending[0].expires, 0);
  // Again: the same key, the same command.
  auto again = server::start_key_change(*store_, m.serial, "anna", "cli", 200);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->resumed);
  EXPECT_EQ(again->command, first->command);
  EXPECT_EQ(again->since, 100);
  EXPECT_EQ(store_->meter(m.serial).value()->next_key_hex, stored.next_key_hex);
  // Finished by a message under the next key; a second time changes nothing. (Another key: the
  // next key with its first digit changed, whatever that digit is.)
  const std::string other =
      (stored.next_key_hex[0] == '0' ? "1" : "0") + stored.next_key_hex.substr(1);
  EXPECT_FALSE(server::finish_key_change(*store_, m.serial, other, 300).value());
  EXPECT_TRUE(server::finish_key_change(*store_, m.serial, stored.next_key_hex, 300).value());
  EXPECT_FALSE(server::finish_key_change(*store_, m.serial, stored.next_key_hex, 301).value());
  const auto after = store_->meter(m.serial).value().value();
  EXPECT_EQ(after.key_hex, stored.next_key_hex);
  EXPECT_EQ(after.next_key_hex, "");
  EXPECT_EQ(after.next_key_since, 0);
  const auto log = store_->admin_audit(m.serial, 10).value();
  int key_changes = 0;
  for (const auto& e : log) {
    if (e.action != "meter.key_change") continue;
    ++key_changes;
    EXPECT_EQ(e.detail.find(stored.next_key_hex), std::string::npos) << "the key is never logged";
  }
  EXPECT_EQ(key_changes, 3);  // started, resumed, finished
}

ML_STORE_CONTRACT(KeyChangeStore);

}  // namespace
}  // namespace ml
