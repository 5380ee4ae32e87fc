// SqliteStore: the command queue (store/commands.hpp).
#include "core/topic/names.hpp"
#include "server/sqlite/rows.hpp"
#include "server/sqlite/store.hpp"

namespace ml::server {

namespace sq = platform::sqlite;
using namespace sqlite_rows;

// ---- commands ----

namespace {
constexpr const char* kCommandColumns =
    "id, serial, command, argument, state, created, expires, next_send, sent_count, first_sent, "
    "last_sent, reply, reply_time";
}  // namespace

core::Result<std::vector<Command>> SqliteStore::read_commands(sq::Statement& q) {
  std::vector<Command> out;
  ML_TRY(each_row(q, [&] {
    Command c;
    c.id = q.int64(0);
    c.serial = q.text(1);
    c.command = q.text(2);
    c.argument = q.text(3);
    c.state = q.text(4);
    c.created = q.int64(5);
    c.expires = q.int64(6);
    c.next_send = q.int64(7);
    c.sent_count = q.int64(8);
    c.first_sent = q.int64(9);
    c.last_sent = q.int64(10);
    c.reply = opt_text(q, 11);
    c.reply_time = q.int64(12);
    out.push_back(std::move(c));
  }));
  return out;
}

core::Result<std::int64_t> SqliteStore::enqueue_command(const std::string& serial,
                                                        const std::string& command,
                                                        const std::string& argument,
                                                        std::int64_t now, std::int64_t expires) {
  sq::Transaction tx(db_);
  ML_TRY(tx.begun());
  if (command == "open_until") {
    auto old = db_.prepare(
        "UPDATE commands SET state='superseded' WHERE serial=? AND command='open_until' AND "
        "state IN ('queued', 'sent')");
    if (!old) return old.error();
    ML_TRY(old->bind(1, serial).run());
  }
  auto q = db_.prepare(
      "INSERT INTO commands(serial, command, argument, state, created, expires, next_send) "
      "VALUES(?,?,?,'queued',?,?,?)");
  if (!q) return q.error();
  ML_TRY(q->bind(1, serial)
             .bind(2, command)
             .bind(3, argument)
             .bind(4, now)
             .bind(5, expires)
             .bind(6, now)
             .run());
  const std::int64_t id = db_.last_insert_id();
  ML_TRY(tx.commit());
  return id;
}

core::Result<std::vector<Command>> SqliteStore::due_commands(std::int64_t now, int limit) {
  // A password in a command that expires unconfirmed is needed no more: masked first.
  auto expiring = db_.prepare(
      "SELECT id, command, argument FROM commands WHERE state IN ('queued', 'sent') AND "
      "expires > 0 AND expires <= ?");
  if (!expiring) return expiring.error();
  expiring->bind(1, now);
  std::vector<std::pair<std::int64_t, std::string>> masked;
  ML_TRY(each_row(*expiring, [&] {
    const std::string argument = expiring->text(2);
    const std::string shown = core::topic::masked_argument(expiring->text(1), argument);
    if (shown != argument) masked.emplace_back(expiring->int64(0), shown);
  }));
  for (const auto& [id, shown] : masked) {
    auto up = db_.prepare("UPDATE commands SET argument=? WHERE id=?");
    if (!up) return up.error();
    ML_TRY(up->bind(1, shown).bind(2, id).run());
  }
  auto expire = db_.prepare(
      "UPDATE commands SET state='expired' WHERE state IN ('queued', 'sent') AND expires > 0 AND "
      "expires <= ?");
  if (!expire) return expire.error();
  ML_TRY(expire->bind(1, now).run());
  auto q = db_.prepare(std::string("SELECT ") + kCommandColumns +
                       " FROM commands WHERE state IN ('queued', 'sent') AND next_send <= ? "
                       "ORDER BY next_send, id LIMIT ?");
  if (!q) return q.error();
  q->bind(1, now).bind(2, std::int64_t{limit});
  return read_commands(*q);
}

core::Status SqliteStore::mark_sent(std::int64_t id, std::int64_t now, std::int64_t next_send) {
  auto q = db_.prepare(
      "UPDATE commands SET state='sent', sent_count=sent_count+1, last_sent=?, next_send=?, "
      "first_sent=CASE WHEN first_sent=0 THEN ? ELSE first_sent END "
      "WHERE id=? AND state IN ('queued', 'sent')");
  if (!q) return q.error();
  return q->bind(1, now).bind(2, next_send).bind(3, now).bind(4, id).run();
}

core::Result<std::vector<std::int64_t>> SqliteStore::acknowledge(const std::string& serial,
                                                                 const std::string& function,
                                                                 const std::string& text,
                                                                 std::int64_t reply_time,
                                                                 std::int64_t now) {
  sq::Transaction tx(db_);
  ML_TRY(tx.begun());
  auto q = db_.prepare(std::string("SELECT ") + kCommandColumns +
                       " FROM commands WHERE serial=? AND state='sent' ORDER BY id");
  if (!q) return q.error();
  q->bind(1, serial);
  auto pending = read_commands(*q);
  if (!pending) return pending.error();
  std::vector<std::int64_t> acked;
  // Once confirmed, a secret in the argument (a Wi-Fi password) is needed no more: masked.
  auto up = db_.prepare(
      "UPDATE commands SET state='acked', reply=?, reply_time=?, argument=? WHERE id=?");
  if (!up) return up.error();
  for (const auto& c : *pending) {
    if (!confirms(c, function, text, reply_time)) continue;
    ML_TRY(up->bind(1, text)
               .bind(2, now)
               .bind(3, core::topic::masked_argument(c.command, c.argument))
               .bind(4, c.id)
               .run());
    up->reset();
    acked.push_back(c.id);
  }
  ML_TRY(tx.commit());
  return acked;
}

core::Result<std::optional<Command>> SqliteStore::command(std::int64_t id) {
  auto q = db_.prepare(std::string("SELECT ") + kCommandColumns + " FROM commands WHERE id=?");
  if (!q) return q.error();
  q->bind(1, id);
  auto rows = read_commands(*q);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Command>{};
  return std::optional<Command>(rows->front());
}

core::Result<std::vector<Command>> SqliteStore::commands(const std::string& serial) {
  auto q = db_.prepare(std::string("SELECT ") + kCommandColumns +
                       " FROM commands WHERE serial=? ORDER BY id");
  if (!q) return q.error();
  q->bind(1, serial);
  return read_commands(*q);
}

core::Result<bool> SqliteStore::command_pending(const std::string& serial,
                                                const std::string& command,
                                                const std::string& argument) {
  auto q = db_.prepare(
      "SELECT COUNT(*) FROM commands WHERE serial=? AND command=? AND argument=? AND "
      "state IN ('queued', 'sent')");
  if (!q) return q.error();
  q->bind(1, serial).bind(2, command).bind(3, argument);
  auto row = q->step();
  if (!row) return row.error();
  return q->int64(0) > 0;
}

}  // namespace ml::server
