// The use cases the command line and the HTTP API share (src/server/usecases/), on a real SQLite
// store in a temporary folder: each refusal names the field as the front door spells it, a
// generated key is fresh and stored, payments stay exact, users are audited.
#include <gtest/gtest.h>

#include <set>

#include "server/command_queue.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"
#include "server/usecases/commands.hpp"
#include "server/usecases/meters.hpp"
#include "server/usecases/payments.hpp"
#include "server/usecases/users.hpp"
#include "sim_support.hpp"

namespace ml::server::usecase {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;
constexpr const char* kKey = "ef500c9268cf749016d26d6cbfaaf7bf";

class UseCaseTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = SqliteStore::open(dir_.file("server.db")).value(); }

  // Adds meter 6892850 (heat, a valve, setup value 100).
  void add_heat_meter() {
    MeterFields f;
    f.key = kKey;
    f.kind = "heat";
    f.setup_value = "100";
    f.valve = true;
    auto built = build_meter({"6892850", f, Spelling::json}, kNow);
    ASSERT_TRUE(built.ok()) << built.error().text();
    ASSERT_TRUE(add_meter(*store_, *built).ok());
  }

  // The error text of a build_meter that must fail.
  std::string meter_error(const std::string& serial, const MeterFields& f, Spelling s) {
    auto r = build_meter({serial, f, s}, kNow);
    EXPECT_FALSE(r.ok()) << serial;
    if (r.ok()) return "";
    EXPECT_EQ(r.error().code, core::Errc::invalid_argument);
    return r.error().detail;
  }

  test::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

MeterFields with_key(const std::string& key = kKey) {
  MeterFields f;
  f.key = key;
  return f;
}

TEST(UseCaseSpelling, JsonKeysAndOptions) {
  EXPECT_EQ(field("setup_value", Spelling::json), "setup_value");
  EXPECT_EQ(field("setup_value", Spelling::option), "--setup-value");
  EXPECT_EQ(field("generate_key", Spelling::option), "--generate-key");
  EXPECT_EQ(field("timeout_s", Spelling::option), "--timeout");
  EXPECT_EQ(field("timeout_s", Spelling::json), "timeout_s");
}

TEST_F(UseCaseTest, AMeterIsCanonicalAndExact) {
  MeterFields f = with_key("EF500C9268CF749016D26D6CBFAAF7BF");
  f.kind = "water";
  f.setup_value = "12.50";
  f.valve = true;
  f.name = "Loppen 12";
  auto built = build_meter({"40", f, Spelling::json}, kNow);
  ASSERT_TRUE(built.ok()) << built.error().text();
  EXPECT_EQ(built->meter.serial, "0000040");
  EXPECT_EQ(built->meter.kind, core::meter::Kind::water);
  EXPECT_EQ(built->meter.setup_value.to_string(), "12.50");
  EXPECT_TRUE(built->meter.valve_installed);
  EXPECT_EQ(built->meter.key_hex, kKey);
  EXPECT_EQ(built->meter.created, kNow);
  EXPECT_TRUE(built->generated_key.empty()) << "a given key is not shown again";
  ASSERT_TRUE(add_meter(*store_, *built).ok());
  auto stored = store_->meter("0000040").value();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->name, "Loppen 12");
  EXPECT_EQ(stored->setup_value.to_string(), "12.50");
  // The same serial in another spelling is the same meter.
  auto again = build_meter({"0000040", with_key(), Spelling::json}, kNow);
  ASSERT_TRUE(again.ok());
  auto twice = add_meter(*store_, *again);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, core::Errc::invalid_argument);
}

TEST_F(UseCaseTest, AnEmptyKindIsTheDefault) {
  auto built = build_meter({"7000001", with_key(), Spelling::json}, kNow);
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(built->meter.kind, core::meter::Kind::heat);
  EXPECT_EQ(built->meter.setup_value.to_string(), "0");
  EXPECT_FALSE(built->meter.valve_installed);
}

TEST_F(UseCaseTest, AGeneratedKeyIsFreshAndStored) {
  MeterFields f;
  f.generate_key = true;
  auto a = build_meter({"7000001", f, Spelling::json}, kNow);
  auto b = build_meter({"7000002", f, Spelling::json}, kNow);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->generated_key.size(), 32u);
  EXPECT_EQ(a->generated_key.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(a->meter.key_hex, a->generated_key);
  EXPECT_NE(a->generated_key, b->generated_key);
  ASSERT_TRUE(add_meter(*store_, *a).ok());
  EXPECT_EQ(store_->meter("7000001").value()->key_hex, a->generated_key);
}

TEST_F(UseCaseTest, MeterRefusalsNameTheFieldAsEachFrontDoorSpellsIt) {
  MeterFields none;
  EXPECT_EQ(meter_error("7000001", none, Spelling::json),
            "give key (32 hex digits) or generate_key");
  EXPECT_EQ(meter_error("7000001", none, Spelling::option),
            "give --key (32 hex digits) or --generate-key");
  MeterFields both = with_key();
  both.generate_key = true;
  EXPECT_EQ(meter_error("7000001", both, Spelling::option),
            "give --key (32 hex digits) or --generate-key, not both");
  EXPECT_EQ(meter_error("7000001", with_key("abc"), Spelling::json).rfind("key: ", 0), 0u);
  EXPECT_EQ(meter_error("7000001", with_key("abc"), Spelling::option).rfind("--key: ", 0), 0u);
  MeterFields kind = with_key();
  kind.kind = "gas";
  EXPECT_EQ(meter_error("7000001", kind, Spelling::json),
            "kind must be one of heat, water, electricity, not \"gas\"");
  EXPECT_EQ(meter_error("7000001", kind, Spelling::option).rfind("--kind must be one of ", 0), 0u);
  for (const char* bad : {"-1", "1,5", "x"}) {
    MeterFields setup = with_key();
    setup.setup_value = bad;
    EXPECT_EQ(
        meter_error("7000001", setup, Spelling::option),
        std::string("--setup-value must be a non-negative decimal (kWh), not \"") + bad + "\"");
  }
  EXPECT_EQ(meter_error("70/1", with_key(), Spelling::json).rfind("serial \"70/1\": ", 0), 0u);
  EXPECT_TRUE(store_->meters().value().empty()) << "nothing is stored";
}

TEST_F(UseCaseTest, UpdateChangesOnlyWhatIsGiven) {
  add_heat_meter();
  MeterFields f;
  f.name = "Loppen 12";
  f.setup_value = "1234.5";
  auto changed = update_meter(*store_, {"6892850", f, Spelling::option});
  ASSERT_TRUE(changed.ok()) << changed.error().text();
  auto m = store_->meter("6892850").value();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->name, "Loppen 12");
  EXPECT_EQ(m->setup_value.to_string(), "1234.5");
  EXPECT_EQ(m->kind, core::meter::Kind::heat);
  EXPECT_TRUE(m->valve_installed);
  EXPECT_EQ(m->key_hex, kKey);
  f = {};
  f.generate_key = true;
  changed = update_meter(*store_, {"6892850", f, Spelling::option});
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(store_->meter("6892850").value()->key_hex, changed->generated_key);
  f.kind = "gas";
  auto refused = update_meter(*store_, {"6892850", f, Spelling::option});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().detail.rfind("--kind must be", 0), 0u);
  EXPECT_EQ(store_->meter("6892850").value()->key_hex, changed->generated_key)
      << "a refused update changes nothing";
  auto missing = update_meter(*store_, {"1234567", {}, Spelling::option});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().detail, "no meter 1234567");
  // A pending command is given up with the meter (without its key it cannot be sent).
  ASSERT_TRUE(enqueue_command(*store_, "6892850", "open_until", "100", kNow, 0).ok());
  auto removed = remove_meter(*store_, "6892850");
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1);
  EXPECT_FALSE(store_->meter("6892850").value());
  EXPECT_TRUE(store_->pending_commands("6892850").value().empty());
  EXPECT_EQ(store_->commands("6892850").value().at(0).state, CommandState::expired);
}

TEST_F(UseCaseTest, ShowReportsThePrepaidStateAndMasksPasswords) {
  add_heat_meter();
  ASSERT_TRUE(pay(*store_, {"6892850", "500", "0.85", "", Spelling::json}, "anna", kNow).ok());
  IngestItem d;
  d.kind = IngestItem::Kind::diagnostic;
  d.serial = "6892850";
  d.time = kNow;
  d.function = "set_ssid_pwd";
  d.text = "ssid=Loppen&pwd=secret123";
  ASSERT_TRUE(store_items(*store_, {d}, kNow).ok());
  auto r = show_meter(*store_, "6892850");
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_EQ(r->paid, "588.235");
  EXPECT_EQ(r->open_until, "688.235");
  EXPECT_FALSE(r->remaining.units) << "no sample yet";
  ASSERT_EQ(r->diagnostics.count("set_ssid_pwd"), 1u);
  EXPECT_EQ(r->diagnostics["set_ssid_pwd"].text.find("secret123"), std::string::npos);
  auto missing = show_meter(*store_, "1234567");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().detail, "no meter 1234567");
}

TEST_F(UseCaseTest, PaymentsAreExactAndRefusalsNameTheField) {
  auto p = build_payment({"6892850", "500.10", "0.850", "MobilePay", Spelling::json}, kNow);
  ASSERT_TRUE(p.ok()) << p.error().text();
  EXPECT_EQ(p->amount.to_string(), "500.10");
  EXPECT_EQ(p->price.to_string(), "0.850");
  EXPECT_EQ(p->time, kNow);
  EXPECT_EQ(p->note, "MobilePay");
  struct Bad {
    const char* amount;
    const char* price;
    Spelling spelling;
    const char* starts;
  };
  const Bad bad[] = {
      {"0", "1", Spelling::json, "amount must be above 0"},
      {"-5", "1", Spelling::option, "--amount must be above 0"},
      {"abc", "1", Spelling::option, "--amount \"abc\" is not a decimal number"},
      {"5", "x", Spelling::json, "price \"x\" is not a decimal number"},
      {"5", "-1", Spelling::option, "--price must be 0 or more"},
  };
  for (const auto& b : bad) {
    auto r = build_payment({"6892850", b.amount, b.price, "", b.spelling}, kNow);
    ASSERT_FALSE(r.ok()) << b.amount << " " << b.price;
    EXPECT_EQ(r.error().detail.rfind(b.starts, 0), 0u) << r.error().detail;
  }
  auto no_meter = pay(*store_, {"6892850", "5", "1", "", Spelling::json}, "anna", kNow);
  ASSERT_FALSE(no_meter.ok());
  EXPECT_EQ(no_meter.error().detail, "no meter 6892850");
}

TEST_F(UseCaseTest, PayCorrectAndVoidQueueTheExactLimit) {
  add_heat_meter();
  auto paid = pay(*store_, {"6892850", "500", "0.85", "first", Spelling::option}, "anna", kNow);
  ASSERT_TRUE(paid.ok()) << paid.error().text();
  EXPECT_EQ(paid->change.open_until, "688.235");  // 100 + 500 / 0.85 to 1 Wh
  EXPECT_EQ(paid->payment.amount.to_string(), "500");
  const auto id = paid->change.id;
  // A correction keeps what it does not give.
  auto corrected = correct_payment(*store_, {id, "425", "", "", Spelling::option}, "bo", kNow + 1);
  ASSERT_TRUE(corrected.ok()) << corrected.error().text();
  EXPECT_EQ(corrected->serial, "6892850");
  EXPECT_EQ(corrected->change.open_until, "600");
  auto fresh = store_->payment(corrected->change.id).value();
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->price.to_string(), "0.85");
  EXPECT_EQ(fresh->note, "first");
  auto refused = correct_payment(*store_, {corrected->change.id, "0", "", "", Spelling::option},
                                 "bo", kNow + 2);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().detail.rfind("--amount must be above 0", 0), 0u);
  auto voided = withdraw_payment(*store_, corrected->change.id, "bo", kNow + 3);
  ASSERT_TRUE(voided.ok()) << voided.error().text();
  EXPECT_EQ(voided->change.open_until, "100");
  auto missing = withdraw_payment(*store_, 999, "bo", kNow);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().detail, "no payment #999");
  const auto log = store_->audit_log("6892850").value();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(std::string(action_name(log[0].action)) + " " + log[0].actor, "add anna");
  EXPECT_EQ(std::string(action_name(log[1].action)) + " " + log[1].actor, "correct bo");
  EXPECT_EQ(std::string(action_name(log[2].action)) + " " + log[2].actor, "void bo");
}

TEST_F(UseCaseTest, PreviewStoresNothing) {
  add_heat_meter();
  auto m = store_->meter("6892850").value().value();
  auto p = build_payment({"6892850", "100", "0.5", "", Spelling::json}, kNow).value();
  auto v = preview_payment(*store_, m, p);
  ASSERT_TRUE(v.ok()) << v.error().text();
  EXPECT_EQ(v->credited.to_string(), "200");
  EXPECT_EQ(v->paid_before.to_string(), "0");
  EXPECT_EQ(v->paid_after.to_string(), "200");
  EXPECT_EQ(v->open_until_before.to_string(), "100");
  EXPECT_EQ(v->open_until_after.to_string(), "300");
  EXPECT_TRUE(store_->payments("6892850").value().empty());
}

TEST_F(UseCaseTest, CommandsAreCheckedThenQueued) {
  add_heat_meter();
  auto q = queue_command(*store_, {"6892850", "open_until", "12400", std::nullopt, Spelling::json},
                         600, kNow);
  ASSERT_TRUE(q.ok()) << q.error().text();
  EXPECT_EQ(q->timeout_s, 600);
  auto c = store_->command(q->id).value();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->expires, kNow + 600);
  q = queue_command(*store_, {"6892850", "version", "", 0, Spelling::json}, 600, kNow);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(store_->command(q->id).value()->expires, 0) << "0: never expires";
  auto unknown =
      queue_command(*store_, {"6892850", "explode", "", std::nullopt, Spelling::json}, 600, kNow);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().detail.find("explode"), std::string::npos);
  auto long_wait = queue_command(
      *store_, {"6892850", "version", "", kMaxCommandTimeout + 1, Spelling::option}, 600, kNow);
  ASSERT_FALSE(long_wait.ok());
  EXPECT_EQ(long_wait.error().detail, "--timeout must be whole seconds from 0 to 2592000");
  auto no_meter =
      queue_command(*store_, {"1234567", "version", "", std::nullopt, Spelling::json}, 600, kNow);
  ASSERT_FALSE(no_meter.ok());
  EXPECT_EQ(no_meter.error().detail, "no meter 1234567");
  EXPECT_EQ(store_->commands("6892850").value().size(), 2u) << "refusals queue nothing";
}

TEST_F(UseCaseTest, UsersAreCheckedAskedForAPasswordAndAudited) {
  const Actor cli{"root", "cli"};
  int asked = 0;
  const PasswordSource good = [&]() -> core::Result<std::string> {
    ++asked;
    return std::string("a long secret");
  };
  struct Bad {
    AddUser user;
    const char* detail;
  };
  const Bad bad[] = {
      {{"", "viewer", "", Spelling::option}, "the user name must have 1..64 characters"},
      {{"(unknown)", "viewer", "", Spelling::option}, "a user name must not begin with \"(\""},
      {{"cy", "owner", "", Spelling::option}, "--role must be admin or viewer"},
      {{"cy", "admin", "", Spelling::option},
       "an admin needs --groups: the meter groups it may change (\"*\" for every group)"},
      {{"cy", "viewer", "Loppen", Spelling::json}, "groups is for admins only"},
  };
  for (const auto& b : bad) {
    auto st = add_user(*store_, b.user, good, cli, kNow);
    ASSERT_FALSE(st.ok()) << b.detail;
    EXPECT_EQ(st.error().detail, b.detail);
  }
  EXPECT_EQ(asked, 0) << "no password is asked for a refused request";
  auto st = add_user(
      *store_, {"cy", "viewer", "", Spelling::option},
      [] { return core::Result<std::string>(std::string("short")); }, cli, kNow);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().detail, "the password must have at least 8 characters");
  ASSERT_TRUE(
      add_user(*store_, {"anna", "admin", "Loppen,Kildevang", Spelling::option}, good, cli, kNow)
          .ok());
  EXPECT_EQ(asked, 1);
  auto anna = store_->user("anna").value();
  ASSERT_TRUE(anna);
  EXPECT_EQ(anna->groups, (std::vector<std::string>{"Loppen", "Kildevang"}));
  EXPECT_NE(anna->password_hash.find("argon2id"), std::string::npos);
  st = add_user(*store_, {"anna", "viewer", "", Spelling::option}, good, cli, kNow);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().detail, "user anna exists already");
  EXPECT_EQ(asked, 1);
  st = set_password(*store_, "nobody", good, cli, kNow);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().detail, "no user nobody");
  ASSERT_TRUE(set_password(*store_, "anna", good, cli, kNow + 1).ok());
  ASSERT_TRUE(unlock_user(*store_, "anna", cli, kNow + 2).ok());
  EXPECT_EQ(store_->user("anna").value()->unlocked_at, kNow + 2);
  ASSERT_TRUE(remove_user(*store_, "anna", cli, kNow + 3).ok());
  EXPECT_FALSE(store_->user("anna").value());
  std::vector<std::string> actions;
  const auto entries = store_->admin_audit("", 10).value();
  for (const auto& e : entries) {
    EXPECT_EQ(e.actor, "root");
    EXPECT_EQ(e.remote, "cli");
    actions.push_back(e.action + " " + e.detail);
  }
  EXPECT_EQ(actions,
            (std::vector<std::string>{"user.remove anna", "user.unlock anna", "user.passwd anna",
                                      "user.add anna admin Loppen,Kildevang"}));
}

}  // namespace
}  // namespace ml::server::usecase
