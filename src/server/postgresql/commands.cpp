// PostgresStore: the command queue's rows (store/commands.hpp). The states are stored by their
// names (server/commands.hpp, kCommandStates).
#include "server/postgresql/rows.hpp"
#include "server/postgresql/store.hpp"

namespace ml::server {

using namespace postgresql_rows;

namespace {

constexpr const char* kCommandsColumns =
    "id, serial, command, argument, state, created, expires, next_send, sent_count, first_sent, "
    "last_sent, reply, reply_time";

// A LIMIT whose negative value means none, as SQLite's (LIMIT NULL is none on PostgreSQL).
constexpr const char* kCommandsLimit =
    " LIMIT CASE WHEN $2::bigint < 0 THEN NULL ELSE $2::bigint END";

// The commands of a query selecting kCommandsColumns; the first unknown state is the error.
core::Result<std::vector<Command>> commands_read(const core::Result<pg::Rows>& rows) {
  if (!rows) return rows.error();
  std::vector<Command> out;
  std::string unknown;
  for (int i = 0; i < rows->size(); ++i) {
    Command c;
    c.id = rows->int64(i, 0);
    c.serial = rows->text(i, 1);
    c.command = rows->text(i, 2);
    c.argument = rows->text(i, 3);
    const std::string state = rows->text(i, 4);
    if (auto s = command_state_from_name(state)) {
      c.state = *s;
    } else if (unknown.empty()) {
      unknown = "command #" + std::to_string(c.id) + " has an unknown state \"" + state + "\"";
    }
    c.created = rows->int64(i, 5);
    c.expires = rows->int64(i, 6);
    c.next_send = rows->int64(i, 7);
    c.sent_count = rows->int64(i, 8);
    c.first_sent = rows->int64(i, 9);
    c.last_sent = rows->int64(i, 10);
    c.reply = rows->opt_text(i, 11);
    c.reply_time = rows->int64(i, 12);
    out.push_back(std::move(c));
  }
  if (!unknown.empty()) return core::make_error(core::Errc::invalid_argument, unknown);
  return out;
}

}  // namespace

core::Result<std::int64_t> PostgresStore::insert_command(const Command& c) {
  auto rows = db_.query(
      "INSERT INTO commands(serial, command, argument, state, created, expires, next_send, "
      "sent_count, first_sent, last_sent, reply, reply_time) "
      "VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id",
      {c.serial, c.command, c.argument, std::string(state_name(c.state)), c.created, c.expires,
       c.next_send, c.sent_count, c.first_sent, c.last_sent, c.reply, c.reply_time});
  if (!rows) return rows.error();
  return rows->int64(0, 0);
}

core::Status PostgresStore::update_command(const Command& c) {
  auto rows = db_.query(
      "UPDATE commands SET state=$1, argument=$2, next_send=$3, sent_count=$4, first_sent=$5, "
      "last_sent=$6, reply=$7, reply_time=$8 WHERE id=$9",
      {std::string(state_name(c.state)), c.argument, c.next_send, c.sent_count, c.first_sent,
       c.last_sent, c.reply, c.reply_time, c.id});
  if (!rows) return rows.error();
  if (rows->affected() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no command #" + std::to_string(c.id));
  }
  return core::Ok{};
}

core::Result<std::optional<Command>> PostgresStore::command(std::int64_t id) {
  auto rows = commands_read(
      db_.query(std::string("SELECT ") + kCommandsColumns + " FROM commands WHERE id=$1", {id}));
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Command>{};
  return std::optional<Command>(rows->front());
}

core::Result<std::vector<Command>> PostgresStore::commands(const std::string& serial) {
  return commands_read(db_.query(
      std::string("SELECT ") + kCommandsColumns + " FROM commands WHERE serial=$1 ORDER BY id",
      {serial}));
}

core::Result<std::vector<Command>> PostgresStore::pending_commands(const std::string& serial) {
  return commands_read(
      db_.query(std::string("SELECT ") + kCommandsColumns +
                    " FROM commands WHERE serial=$1 AND state IN ('queued', 'sent') ORDER BY id",
                {serial}));
}

core::Result<std::vector<Command>> PostgresStore::commands_due(std::int64_t now, int limit) {
  return commands_read(db_.query(std::string("SELECT ") + kCommandsColumns +
                                     " FROM commands WHERE state IN ('queued', 'sent') AND "
                                     "next_send <= $1 ORDER BY next_send, id" +
                                     kCommandsLimit,
                                 {now, limit}));
}

core::Result<std::vector<Command>> PostgresStore::commands_expiring(std::int64_t now) {
  return commands_read(db_.query(std::string("SELECT ") + kCommandsColumns +
                                     " FROM commands WHERE state IN ('queued', 'sent') AND "
                                     "expires > 0 AND expires <= $1 ORDER BY id",
                                 {now}));
}

core::Result<std::vector<Command>> PostgresStore::unanswered_commands(std::int64_t sent_before,
                                                                      int limit) {
  return commands_read(db_.query(std::string("SELECT ") + kCommandsColumns +
                                     " FROM commands WHERE state='sent' AND first_sent<=$1 "
                                     "ORDER BY first_sent, id" +
                                     kCommandsLimit,
                                 {sent_before, limit}));
}

}  // namespace ml::server
