// SqliteStore: the command queue's rows (store/commands.hpp). The states are stored by their
// names (server/commands.hpp, kCommandStates).
#include "server/sqlite/rows.hpp"
#include "server/sqlite/store.hpp"

namespace ml::server {

namespace sq = platform::sqlite;
using namespace sqlite_rows;

namespace {
constexpr const char* kCommandColumns =
    "id, serial, command, argument, state, created, expires, next_send, sent_count, first_sent, "
    "last_sent, reply, reply_time";
}  // namespace

core::Result<std::vector<Command>> SqliteStore::read_commands(sq::Statement& q) {
  std::vector<Command> out;
  std::string unknown;
  ML_TRY(each_row(q, [&] {
    Command c;
    c.id = q.int64(0);
    c.serial = q.text(1);
    c.command = q.text(2);
    c.argument = q.text(3);
    const std::string state = q.text(4);
    if (auto s = command_state_from_name(state)) {
      c.state = *s;
    } else if (unknown.empty()) {
      unknown = "command #" + std::to_string(c.id) + " has an unknown state \"" + state + "\"";
    }
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
  if (!unknown.empty()) return core::make_error(core::Errc::invalid_argument, unknown);
  return out;
}

core::Result<std::int64_t> SqliteStore::insert_command(const Command& c) {
  auto q = db_.prepare(
      "INSERT INTO commands(serial, command, argument, state, created, expires, next_send, "
      "sent_count, first_sent, last_sent, reply, reply_time) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
  if (!q) return q.error();
  q->bind(1, c.serial)
      .bind(2, c.command)
      .bind(3, c.argument)
      .bind(4, std::string(state_name(c.state)))
      .bind(5, c.created)
      .bind(6, c.expires)
      .bind(7, c.next_send)
      .bind(8, c.sent_count)
      .bind(9, c.first_sent)
      .bind(10, c.last_sent);
  bind_opt(*q, 11, c.reply);
  ML_TRY(q->bind(12, c.reply_time).run());
  return db_.last_insert_id();
}

core::Status SqliteStore::update_command(const Command& c) {
  auto q = db_.prepare(
      "UPDATE commands SET state=?, argument=?, next_send=?, sent_count=?, first_sent=?, "
      "last_sent=?, reply=?, reply_time=? WHERE id=?");
  if (!q) return q.error();
  q->bind(1, std::string(state_name(c.state)))
      .bind(2, c.argument)
      .bind(3, c.next_send)
      .bind(4, c.sent_count)
      .bind(5, c.first_sent)
      .bind(6, c.last_sent);
  bind_opt(*q, 7, c.reply);
  ML_TRY(q->bind(8, c.reply_time).bind(9, c.id).run());
  if (db_.changes() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no command #" + std::to_string(c.id));
  }
  return core::Ok{};
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

core::Result<std::vector<Command>> SqliteStore::pending_commands(const std::string& serial) {
  auto q = db_.prepare(std::string("SELECT ") + kCommandColumns +
                       " FROM commands WHERE serial=? AND state IN ('queued', 'sent') ORDER BY id");
  if (!q) return q.error();
  q->bind(1, serial);
  return read_commands(*q);
}

core::Result<std::vector<Command>> SqliteStore::commands_due(std::int64_t now, int limit) {
  auto q = db_.prepare(std::string("SELECT ") + kCommandColumns +
                       " FROM commands WHERE state IN ('queued', 'sent') AND next_send <= ? "
                       "ORDER BY next_send, id LIMIT ?");
  if (!q) return q.error();
  q->bind(1, now).bind(2, std::int64_t{limit});
  return read_commands(*q);
}

core::Result<std::vector<Command>> SqliteStore::commands_expiring(std::int64_t now) {
  auto q = db_.prepare(std::string("SELECT ") + kCommandColumns +
                       " FROM commands WHERE state IN ('queued', 'sent') AND expires > 0 AND "
                       "expires <= ? ORDER BY id");
  if (!q) return q.error();
  q->bind(1, now);
  return read_commands(*q);
}

core::Result<std::vector<Command>> SqliteStore::unanswered_commands(std::int64_t sent_before,
                                                                    int limit) {
  auto q = db_.prepare(std::string("SELECT ") + kCommandColumns +
                       " FROM commands WHERE state='sent' AND first_sent<=? "
                       "ORDER BY first_sent, id LIMIT ?");
  if (!q) return q.error();
  q->bind(1, sent_before).bind(2, std::int64_t{limit});
  return read_commands(*q);
}

}  // namespace ml::server
