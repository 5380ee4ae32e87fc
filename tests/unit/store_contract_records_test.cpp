// The store contract (store_contract.hpp) for the typed records and the backend-neutral rules
// over them: the command queue (server/command_queue.hpp), the ledger and its audit log
// (server/ledger.hpp), users and sessions; run against every backend.
#include "server/command_queue.hpp"
#include "server/ledger.hpp"
#include "server/store/audit.hpp"
#include "server/users.hpp"
#include "store_contract.hpp"

namespace ml::server::test_store {
namespace {

class StoreRecordsContract : public StoreContract {
 protected:
  static constexpr const char* kSerial = "6892850";
  Command only(std::int64_t id) {
    auto c = store_->command(id);
    EXPECT_TRUE(c.ok() && c->has_value()) << id;
    return c.ok() && c->has_value() ? **c : Command{};
  }
};

// ---- the command queue ----

TEST_P(StoreRecordsContract, CommandsAreStoredAndUpdatedAsGiven) {
  Command c;
  c.serial = kSerial;
  c.command = "version";
  c.state = CommandState::sent;
  c.created = 100;
  c.expires = 200;
  c.next_send = 110;
  c.sent_count = 2;
  c.first_sent = 101;
  c.last_sent = 105;
  const std::int64_t id = store_->insert_command(c).value();
  Command got = only(id);
  EXPECT_EQ(got.id, id);
  EXPECT_EQ(got.state, CommandState::sent);
  EXPECT_EQ(got.sent_count, 2);
  EXPECT_EQ(got.first_sent, 101);
  EXPECT_FALSE(got.reply);
  got.state = CommandState::acked;
  got.reply = "linux 1.0";
  got.reply_time = 120;
  ASSERT_TRUE(store_->update_command(got).ok());
  got = only(id);
  EXPECT_EQ(got.state, CommandState::acked);
  EXPECT_EQ(got.reply.value_or(""), "linux 1.0");
  EXPECT_EQ(got.reply_time, 120);
  got.id = id + 100;
  EXPECT_FALSE(store_->update_command(got).ok()) << "no such command";
  EXPECT_TRUE(store_->pending_commands(kSerial).value().empty());
  EXPECT_EQ(store_->commands(kSerial).value().size(), 1u);
}

// The sent commands with no reply yet, of every meter, first sent at or before a time.
TEST_P(StoreRecordsContract, UnansweredCommandsAreTheSentOnesOldestFirst) {
  auto add = [&](const char* serial, CommandState state, std::int64_t first_sent) {
    Command c;
    c.serial = serial;
    c.command = "version";
    c.state = state;
    c.created = first_sent;
    c.first_sent = first_sent;
    c.last_sent = first_sent;
    return store_->insert_command(c).value();
  };
  const auto late = add(kSerial, CommandState::sent, 300);
  const auto early = add("1111111", CommandState::sent, 100);
  add(kSerial, CommandState::acked, 50);
  add(kSerial, CommandState::superseded, 50);
  add(kSerial, CommandState::expired, 50);
  add(kSerial, CommandState::queued, 0);
  add(kSerial, CommandState::sent, 900);  // sent too recently
  auto got = store_->unanswered_commands(500, 10).value();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].id, early);
  EXPECT_EQ(got[0].serial, "1111111");
  EXPECT_EQ(got[1].id, late);
  EXPECT_EQ(store_->unanswered_commands(500, 1).value().size(), 1u) << "the limit";
}

TEST_P(StoreRecordsContract, ANewOpenUntilSupersedesTheOlderUnconfirmedOnes) {
  const std::int64_t acked = enqueue_command(*store_, kSerial, "open_until", "100", 10, 0).value();
  ASSERT_TRUE(mark_sent(*store_, acked, 11, 21).ok());
  ASSERT_EQ(acknowledge(*store_, kSerial, "open_until", "100", 12, 12).value(),
            std::vector<std::int64_t>{acked});
  const std::int64_t sent = enqueue_command(*store_, kSerial, "open_until", "200", 20, 0).value();
  ASSERT_TRUE(mark_sent(*store_, sent, 21, 31).ok());
  const std::int64_t queued = enqueue_command(*store_, kSerial, "open_until", "300", 30, 0).value();
  const std::int64_t other = enqueue_command(*store_, "0000040", "open_until", "5", 30, 0).value();
  const std::int64_t version = enqueue_command(*store_, kSerial, "version", "", 30, 0).value();
  const std::int64_t newest = enqueue_command(*store_, kSerial, "open_until", "400", 40, 0).value();
  EXPECT_EQ(only(acked).state, CommandState::acked);
  EXPECT_EQ(only(sent).state, CommandState::superseded);
  EXPECT_EQ(only(queued).state, CommandState::superseded);
  EXPECT_EQ(only(other).state, CommandState::queued) << "another meter's";
  EXPECT_EQ(only(version).state, CommandState::queued) << "version does not supersede";
  EXPECT_EQ(only(newest).state, CommandState::queued);
  // A command that does not supersede is queued beside its older ones.
  const std::int64_t version2 = enqueue_command(*store_, kSerial, "version", "", 41, 0).value();
  EXPECT_EQ(only(version).state, CommandState::queued);
  EXPECT_EQ(only(version2).state, CommandState::queued);
}

// What the sender does each look at the queue: expire, then read the due commands.
std::vector<Command> due_commands(ServerStore& store, std::int64_t now, int limit) {
  EXPECT_TRUE(expire_commands(store, now).ok());
  return store.commands_due(now, limit).value();
}

TEST_P(StoreRecordsContract, ExpiredCommandsAreNotDueAndTheirSecretsAreMasked) {
  const std::int64_t pwd =
      enqueue_command(*store_, kSerial, "set_pwd", "hunter22", 100, 200).value();
  const std::int64_t ssid =
      enqueue_command(*store_, kSerial, "set_ssid_pwd", "ssid=a&pwd=secret123", 100, 300).value();
  const std::int64_t forever = enqueue_command(*store_, kSerial, "version", "", 100, 0).value();
  auto due = due_commands(*store_, 150, 10);
  EXPECT_EQ(due.size(), 3u);
  EXPECT_EQ(only(pwd).argument, "hunter22") << "kept until the device has it";
  due = due_commands(*store_, 250, 10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].id, ssid);
  EXPECT_EQ(due[1].id, forever);
  EXPECT_EQ(only(pwd).state, CommandState::expired);
  EXPECT_EQ(only(pwd).argument, "***");
  ASSERT_TRUE(expire_commands(*store_, 300).ok());
  EXPECT_EQ(only(ssid).state, CommandState::expired);
  EXPECT_EQ(only(ssid).argument, "ssid=a&pwd=***");
  EXPECT_EQ(only(forever).state, CommandState::queued) << "expires 0: never";
  // The limit: due ones by next_send.
  ASSERT_TRUE(mark_sent(*store_, forever, 300, 400).ok());
  EXPECT_TRUE(due_commands(*store_, 399, 10).empty());
  EXPECT_EQ(due_commands(*store_, 400, 10).size(), 1u);
  EXPECT_TRUE(due_commands(*store_, 400, 0).empty());
}

TEST_P(StoreRecordsContract, SendsAreCountedAndOnlyPendingCommandsAreSent) {
  const std::int64_t id = enqueue_command(*store_, kSerial, "version", "", 100, 0).value();
  ASSERT_TRUE(mark_sent(*store_, id, 110, 120).ok());
  ASSERT_TRUE(mark_sent(*store_, id, 120, 140).ok());
  Command c = only(id);
  EXPECT_EQ(c.state, CommandState::sent);
  EXPECT_EQ(c.sent_count, 2);
  EXPECT_EQ(c.first_sent, 110);
  EXPECT_EQ(c.last_sent, 120);
  EXPECT_EQ(c.next_send, 140);
  ASSERT_EQ(acknowledge(*store_, kSerial, "version", "linux 1.0", 121, 125).value().size(), 1u);
  ASSERT_TRUE(mark_sent(*store_, id, 130, 150).ok());
  c = only(id);
  EXPECT_EQ(c.state, CommandState::acked) << "a confirmed command is not sent again";
  EXPECT_EQ(c.sent_count, 2);
  EXPECT_TRUE(mark_sent(*store_, id + 100, 130, 150).ok()) << "a removed command: nothing to do";
}

TEST_P(StoreRecordsContract, AReplyAcknowledgesTheSentCommandsItConfirmsAndMasksThem) {
  const std::int64_t pwd = enqueue_command(*store_, kSerial, "set_pwd", "hunter22", 100, 0).value();
  const std::int64_t queued =
      enqueue_command(*store_, kSerial, "set_pwd", "hunter22", 100, 0).value();
  const std::int64_t other = enqueue_command(*store_, kSerial, "version", "", 100, 0).value();
  ASSERT_TRUE(mark_sent(*store_, pwd, 110, 120).ok());
  ASSERT_TRUE(mark_sent(*store_, other, 110, 120).ok());
  EXPECT_TRUE(acknowledge(*store_, "0000040", "set_pwd", "hunter22", 111, 112).value().empty())
      << "another meter's reply";
  EXPECT_EQ(acknowledge(*store_, kSerial, "set_pwd", "hunter22", 111, 115).value(),
            std::vector<std::int64_t>{pwd});
  const Command c = only(pwd);
  EXPECT_EQ(c.state, CommandState::acked);
  EXPECT_EQ(c.reply.value_or(""), "hunter22");
  EXPECT_EQ(c.reply_time, 115) << "the server's time of the reply";
  EXPECT_EQ(c.argument, "***");
  EXPECT_EQ(only(queued).state, CommandState::queued) << "not sent yet: confirmed by nothing";
  EXPECT_EQ(only(queued).argument, "hunter22");
  EXPECT_EQ(only(other).state, CommandState::sent);
}

TEST_P(StoreRecordsContract, APendingCommandIsFoundByNameAndArgument) {
  EXPECT_FALSE(command_pending(*store_, kSerial, "version", "").value());
  const std::int64_t id = enqueue_command(*store_, kSerial, "version", "", 100, 200).value();
  EXPECT_TRUE(command_pending(*store_, kSerial, "version", "").value());
  EXPECT_FALSE(command_pending(*store_, kSerial, "version", "1").value());
  EXPECT_FALSE(command_pending(*store_, kSerial, "status", "").value());
  EXPECT_FALSE(command_pending(*store_, "0000040", "version", "").value());
  ASSERT_TRUE(mark_sent(*store_, id, 110, 120).ok());
  EXPECT_TRUE(command_pending(*store_, kSerial, "version", "").value()) << "sent: still waiting";
  ASSERT_TRUE(expire_commands(*store_, 200).ok());
  EXPECT_FALSE(command_pending(*store_, kSerial, "version", "").value());
}

// ---- the ledger ----

Payment ledger_entry(const char* amount, const char* price, const char* note = "") {
  Payment p;
  p.serial = "6892850";
  p.time = 1000;
  p.amount = core::Decimal::parse(amount).value();
  p.price = core::Decimal::parse(price).value();
  p.note = note;
  return p;
}

TEST_P(StoreRecordsContract, PaymentsKeepTheirExactDecimals) {
  Payment p = ledger_entry("10.50", "1.700", "cash");
  p.state = PaymentState::voided;
  p.replaces = 7;
  const std::int64_t id = store_->insert_payment(p).value();
  auto got = store_->payment(id).value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->amount.to_string(), "10.50");
  EXPECT_EQ(got->price.to_string(), "1.700");
  EXPECT_EQ(got->note, "cash");
  EXPECT_EQ(got->state, PaymentState::voided);
  EXPECT_EQ(got->replaces, 7);
  ASSERT_TRUE(store_->set_payment_state(id, PaymentState::active).ok());
  EXPECT_EQ(store_->payment(id).value()->state, PaymentState::active);
  EXPECT_FALSE(store_->set_payment_state(id + 1, PaymentState::voided).ok());
  EXPECT_FALSE(store_->payment(id + 1).value());
  ASSERT_TRUE(store_
                  ->append_ledger_audit({0, 1001, LedgerAction::correct, id, "6892850", p.amount,
                                         p.price, "cash", "anna"})
                  .ok());
  const auto log = store_->audit_log("6892850").value();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].action, LedgerAction::correct);
  EXPECT_EQ(log[0].amount.to_string(), "10.50");
  EXPECT_EQ(log[0].price.to_string(), "1.700");
  EXPECT_EQ(log[0].actor, "anna");
  EXPECT_TRUE(store_->audit_log("0000040").value().empty());
}

TEST_P(StoreRecordsContract, AddCorrectAndVoidAreEachAudited) {
  const std::int64_t first =
      record_payment(*store_, ledger_entry("17.00", "1.70"), "anna", 2000).value();
  Payment fix = ledger_entry("34.00", "1.70", "typo");
  fix.serial = "";  // the corrected entry's meter is kept
  const std::int64_t second = record_correction(*store_, first, fix, "bo", 2001).value();
  const auto entries = store_->payments("6892850").value();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].state, PaymentState::voided);
  EXPECT_EQ(entries[1].id, second);
  EXPECT_EQ(entries[1].state, PaymentState::active);
  EXPECT_EQ(entries[1].replaces, first);
  EXPECT_EQ(entries[1].amount.to_string(), "34.00");
  ASSERT_TRUE(record_void(*store_, second, "bo", 2002).ok());
  EXPECT_EQ(store_->payment(second).value()->state, PaymentState::voided);
  const auto log = store_->audit_log("6892850").value();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].action, LedgerAction::add);
  EXPECT_EQ(log[0].payment_id, first);
  EXPECT_EQ(log[0].actor, "anna");
  EXPECT_EQ(log[1].action, LedgerAction::correct);
  EXPECT_EQ(log[1].payment_id, second);
  EXPECT_EQ(log[1].amount.to_string(), "34.00");
  EXPECT_EQ(log[1].note, "typo");
  EXPECT_EQ(log[2].action, LedgerAction::voided);
  EXPECT_EQ(log[2].payment_id, second);
  EXPECT_EQ(log[2].time, 2002);
}

TEST_P(StoreRecordsContract, OnlyAnActiveEntryIsCorrectedOrVoidedAndARefusalChangesNothing) {
  const std::int64_t id = record_payment(*store_, ledger_entry("5", "1"), "anna", 2000).value();
  ASSERT_TRUE(record_void(*store_, id, "anna", 2001).ok());
  for (std::int64_t which : {id, id + 10}) {
    auto corrected = record_correction(*store_, which, ledger_entry("6", "1"), "anna", 2002);
    ASSERT_FALSE(corrected.ok());
    EXPECT_EQ(corrected.error().detail, "no active payment #" + std::to_string(which));
    auto voided = record_void(*store_, which, "anna", 2002);
    ASSERT_FALSE(voided.ok());
    EXPECT_EQ(voided.error().detail, "no active payment #" + std::to_string(which));
  }
  EXPECT_EQ(store_->payments("6892850").value().size(), 1u);
  EXPECT_EQ(store_->audit_log("6892850").value().size(), 2u);
}

// ---- users and sessions ----

User person(const std::string& name, Role role) {
  User u;
  u.name = name;
  u.password_hash = "$argon2id$old";
  u.role = role;
  if (role == Role::admin) u.groups = {"Loppen", "Hald"};
  u.created = 500;
  return u;
}

Session session_of(const std::string& user, std::int64_t created, std::int64_t expires) {
  return Session{user, "csrf-" + user, created, expires, "192.0.2.1"};
}

TEST_P(StoreRecordsContract, UsersKeepTheirRoleAndGroups) {
  ASSERT_TRUE(store_->add_user(person("anna", Role::admin)).ok());
  ASSERT_TRUE(store_->add_user(person("bo", Role::viewer)).ok());
  EXPECT_FALSE(store_->add_user(person("bo", Role::admin)).ok()) << "twice";
  const auto anna = store_->user("anna").value();
  ASSERT_TRUE(anna);
  EXPECT_EQ(anna->role, Role::admin);
  EXPECT_EQ(anna->groups, (std::vector<std::string>{"Loppen", "Hald"}));
  const auto all = store_->users().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].name, "bo");
  EXPECT_EQ(all[1].role, Role::viewer);
  EXPECT_TRUE(all[1].groups.empty());
  EXPECT_FALSE(store_->update_password_hash("carl", "x").ok());
  EXPECT_FALSE(store_->delete_user("carl").ok());
  EXPECT_FALSE(store_->unlock_user("carl", 600).ok());
  ASSERT_TRUE(store_->unlock_user("bo", 600).ok());
  EXPECT_EQ(store_->user("bo").value()->unlocked_at, 600);
  // A new role and groups replace the old ones; the password stays.
  ASSERT_TRUE(store_->update_user_access("bo", Role::admin, {"Hald", "*"}).ok());
  const auto bo = store_->user("bo").value();
  EXPECT_EQ(bo->role, Role::admin);
  EXPECT_EQ(bo->groups, (std::vector<std::string>{"Hald", "*"}));
  EXPECT_EQ(bo->password_hash, person("bo", Role::viewer).password_hash);
  ASSERT_TRUE(store_->update_user_access("bo", Role::viewer, {}).ok());
  EXPECT_TRUE(store_->user("bo").value()->groups.empty());
  EXPECT_FALSE(store_->update_user_access("carl", Role::viewer, {}).ok());
}

TEST_P(StoreRecordsContract, TheAdminAuditIsFilteredByScopeActorAndPage) {
  Meter m = add_test_meter();
  m.group = "Loppen";
  ASSERT_TRUE(store_->update_meter(m).ok());
  const auto entry = [&](std::int64_t t, const char* actor, const char* serial) {
    ASSERT_TRUE(store_->audit_admin({0, t, actor, "192.0.2.1", "x", serial, ""}).ok());
  };
  entry(1, "anna", kSerial);
  entry(2, "bo", kSerial);
  entry(3, "anna", "");
  entry(4, "bo", "");
  entry(5, "anna", "1111111");  // no meter of Loppen
  AuditScope all;
  all.every_group = true;
  EXPECT_EQ(store_->admin_audit_scoped(all, 100).value().size(), 5u);
  all.by = "anna";
  auto annas = store_->admin_audit_scoped(all, 100).value();
  ASSERT_EQ(annas.size(), 3u);
  EXPECT_EQ(annas[0].time, 5);  // newest first
  all.before = annas[0].id;     // the next page
  auto page = store_->admin_audit_scoped(all, 1).value();
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].time, 3);
  AuditScope loppen;
  loppen.groups = {"Loppen"};
  loppen.actor = "anna";
  auto mine = store_->admin_audit_scoped(loppen, 100).value();
  ASSERT_EQ(mine.size(), 3u);  // the meter's two and anna's own login-like entry
  EXPECT_EQ(mine[0].time, 3);
  loppen.by = "bo";
  auto bos = store_->admin_audit_scoped(loppen, 100).value();
  ASSERT_EQ(bos.size(), 1u);  // bo's entry on the meter, not bo's own entry naming none
  EXPECT_EQ(bos[0].time, 2);
}

TEST_P(StoreRecordsContract, ANewPasswordEndsTheUsersSessionsOnly) {
  ASSERT_TRUE(store_->add_user(person("anna", Role::admin)).ok());
  ASSERT_TRUE(store_->add_user(person("bo", Role::viewer)).ok());
  ASSERT_TRUE(add_session(*store_, "h1", session_of("anna", 1000, 9000)).ok());
  ASSERT_TRUE(add_session(*store_, "h2", session_of("anna", 1001, 9000)).ok());
  ASSERT_TRUE(add_session(*store_, "h3", session_of("bo", 1002, 9000)).ok());
  ASSERT_TRUE(set_password(*store_, "anna", "$argon2id$new").ok());
  EXPECT_EQ(store_->user("anna").value()->password_hash, "$argon2id$new");
  EXPECT_FALSE(store_->session("h1").value());
  EXPECT_FALSE(store_->session("h2").value());
  EXPECT_TRUE(store_->session("h3").value());
  auto none = set_password(*store_, "carl", "$argon2id$x");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().detail, "no user carl");
}

TEST_P(StoreRecordsContract, RemovingAUserRemovesItsSessions) {
  ASSERT_TRUE(store_->add_user(person("anna", Role::admin)).ok());
  ASSERT_TRUE(store_->add_user(person("bo", Role::viewer)).ok());
  ASSERT_TRUE(add_session(*store_, "h1", session_of("anna", 1000, 9000)).ok());
  ASSERT_TRUE(add_session(*store_, "h3", session_of("bo", 1002, 9000)).ok());
  ASSERT_TRUE(remove_user(*store_, "anna").ok());
  EXPECT_FALSE(store_->user("anna").value());
  EXPECT_FALSE(store_->session("h1").value());
  EXPECT_TRUE(store_->session("h3").value());
  auto again = remove_user(*store_, "anna");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().detail, "no user anna");
}

TEST_P(StoreRecordsContract, ANewSessionForgetsTheExpiredOnes) {
  ASSERT_TRUE(store_->add_user(person("anna", Role::admin)).ok());
  ASSERT_TRUE(add_session(*store_, "old", session_of("anna", 1000, 2000)).ok());
  ASSERT_TRUE(add_session(*store_, "later", session_of("anna", 1000, 2001)).ok());
  const auto s = store_->session("old").value();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->csrf, "csrf-anna");
  EXPECT_EQ(s->expires, 2000);
  EXPECT_EQ(s->remote, "192.0.2.1");
  ASSERT_TRUE(add_session(*store_, "new", session_of("anna", 2000, 5000)).ok());
  EXPECT_FALSE(store_->session("old").value()) << "expired at 2000";
  EXPECT_TRUE(store_->session("later").value());
  EXPECT_TRUE(store_->session("new").value());
  ASSERT_TRUE(store_->remove_session("new").ok());
  EXPECT_FALSE(store_->session("new").value());
}

// ---- second factors ----

TEST_P(StoreRecordsContract, ASecondFactorIsKeptAndEachStepIsUsedOnce) {
  ASSERT_TRUE(store_->add_user(person("anna", Role::admin)).ok());
  EXPECT_FALSE(store_->second_factor("anna").value());
  auto none = store_->put_second_factor("carl", {"JBSWY3DPEHPK3PXP", false, -1, 5}, {});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().detail, "no user carl");
  ASSERT_TRUE(
      store_->put_second_factor("anna", {"JBSWY3DPEHPK3PXP", false, -1, 5}, {"h1", "h2"}).ok());
  auto f = store_->second_factor("anna").value();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->secret, "JBSWY3DPEHPK3PXP");
  EXPECT_FALSE(f->confirmed);
  EXPECT_EQ(f->last_step, -1);
  EXPECT_EQ(f->created, 5);
  EXPECT_EQ(store_->recovery_codes_left("anna").value(), 2);
  // A step is taken once, and only a later one after it; taking one confirms the factor.
  EXPECT_TRUE(store_->use_second_factor_step("anna", 100).value());
  EXPECT_FALSE(store_->use_second_factor_step("anna", 100).value());
  EXPECT_FALSE(store_->use_second_factor_step("anna", 99).value());
  EXPECT_TRUE(store_->use_second_factor_step("anna", 101).value());
  EXPECT_FALSE(store_->use_second_factor_step("bo", 500).value()) << "no such factor";
  f = store_->second_factor("anna").value();
  EXPECT_TRUE(f->confirmed);
  EXPECT_EQ(f->last_step, 101);
  // A recovery code is used once.
  EXPECT_TRUE(store_->use_recovery_code("anna", "h1").value());
  EXPECT_FALSE(store_->use_recovery_code("anna", "h1").value());
  EXPECT_FALSE(store_->use_recovery_code("anna", "h3").value());
  EXPECT_EQ(store_->recovery_codes_left("anna").value(), 1);
  // Put again: a new factor replaces the old one and its codes.
  ASSERT_TRUE(store_->put_second_factor("anna", {"MFRGGZDFMZTWQ2LK", false, -1, 7}, {"h9"}).ok());
  EXPECT_EQ(store_->second_factor("anna").value()->secret, "MFRGGZDFMZTWQ2LK");
  EXPECT_FALSE(store_->use_recovery_code("anna", "h2").value());
  EXPECT_EQ(store_->recovery_codes_left("anna").value(), 1);
  ASSERT_TRUE(store_->delete_second_factor("anna").ok());
  EXPECT_FALSE(store_->second_factor("anna").value());
  EXPECT_EQ(store_->recovery_codes_left("anna").value(), 0);
  EXPECT_TRUE(store_->delete_second_factor("anna").ok()) << "none: Ok";
}

TEST_P(StoreRecordsContract, RemovingAUserRemovesItsSecondFactor) {
  ASSERT_TRUE(store_->add_user(person("anna", Role::admin)).ok());
  ASSERT_TRUE(store_->add_user(person("bo", Role::viewer)).ok());
  ASSERT_TRUE(store_->put_second_factor("anna", {"JBSWY3DPEHPK3PXP", true, 3, 5}, {"h1"}).ok());
  ASSERT_TRUE(store_->put_second_factor("bo", {"MFRGGZDFMZTWQ2LK", true, 3, 5}, {"h1"}).ok());
  ASSERT_TRUE(remove_user(*store_, "anna").ok());
  EXPECT_FALSE(store_->second_factor("anna").value());
  EXPECT_EQ(store_->recovery_codes_left("anna").value(), 0);
  EXPECT_TRUE(store_->second_factor("bo").value());
  EXPECT_EQ(store_->recovery_codes_left("bo").value(), 1);
}

}  // namespace

ML_STORE_CONTRACT(StoreRecordsContract);

}  // namespace ml::server::test_store
