#include "agent/store.hpp"

#include <algorithm>
#include <array>
#include <filesystem>

namespace ml::agent {
namespace {

namespace sq = platform::sqlite;

constexpr std::array<std::string_view, 3> kMigrations = {
    R"(CREATE TABLE outbox(
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         serial TEXT NOT NULL,
         topic TEXT NOT NULL,
         payload BLOB NOT NULL,
         created INTEGER NOT NULL);
       CREATE INDEX outbox_by_serial ON outbox(serial, id);
       CREATE TABLE settings(
         serial TEXT NOT NULL,
         key TEXT NOT NULL,
         value TEXT NOT NULL,
         updated INTEGER NOT NULL,
         PRIMARY KEY(serial, key));
       CREATE TABLE replay(
         serial TEXT NOT NULL,
         mac BLOB NOT NULL,
         topic_time INTEGER NOT NULL,
         PRIMARY KEY(serial, mac));
       CREATE TABLE pulses(
         serial TEXT PRIMARY KEY,
         count INTEGER NOT NULL,
         updated INTEGER NOT NULL);
       CREATE TABLE runs(
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         started INTEGER NOT NULL,
         boot_id TEXT NOT NULL,
         ended INTEGER,
         end_reason TEXT);)",
    R"(CREATE TABLE valve(
         serial TEXT PRIMARY KEY,
         state TEXT NOT NULL,
         limit_value TEXT NOT NULL,
         updated INTEGER NOT NULL);
       CREATE TABLE valve_log(
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         serial TEXT NOT NULL,
         time INTEGER NOT NULL,
         state TEXT NOT NULL,
         limit_value TEXT NOT NULL,
         cause TEXT NOT NULL);
       CREATE INDEX valve_log_by_serial ON valve_log(serial, id);)",
    R"(CREATE TABLE kept_samples(
         serial TEXT NOT NULL,
         time INTEGER NOT NULL,
         text TEXT NOT NULL,
         PRIMARY KEY(serial, time)) WITHOUT ROWID;
       CREATE INDEX kept_samples_by_time ON kept_samples(time);)",
};

}  // namespace

std::string_view run_end_name(RunEnd end) {
  switch (end) {
    case RunEnd::first_start:
      return "first_start";
    case RunEnd::clean_stop:
      return "clean_stop";
    case RunEnd::restart:
      return "restart";
    case RunEnd::crash:
      return "crash";
    case RunEnd::watchdog:
      return "watchdog";
    case RunEnd::power_loss:
      return "power_loss";
  }
  return "?";
}

core::Result<Store> Store::open(const std::string& state_dir) {
  ML_TRY(sq::make_private_directories(state_dir));
  auto db = sq::Db::open(state_dir + "/state.db");
  if (!db) return db.error();
  // The agent's working set is small (the outbox is read in order, a few rows at a time): a
  // 512 KiB page cache instead of SQLite's default 2 MiB keeps a gateway's memory low.
  ML_TRY(db->exec("PRAGMA cache_size=-512"));
  ML_TRY(db->migrate(kMigrations));
  return Store(std::move(db).value());
}

core::Result<std::int64_t> Store::enqueue(const std::string& serial, const std::string& topic,
                                          core::ByteView payload, std::int64_t created,
                                          const OutboxLimits& limits, std::int64_t now,
                                          std::int64_t* dropped) {
  sq::Transaction tx(db_);
  ML_TRY(tx.begun());
  auto ins = db_.prepare("INSERT INTO outbox(serial, topic, payload, created) VALUES(?,?,?,?)");
  if (!ins) return ins.error();
  ML_TRY(ins->bind(1, serial).bind(2, topic).bind_blob(3, payload).bind(4, created).run());
  const std::int64_t id = db_.last_insert_id();
  // Enforce the bounds, oldest first, never dropping the message just added.
  std::int64_t gone = 0;
  auto age = db_.prepare("DELETE FROM outbox WHERE created < ? AND id <> ?");
  if (!age) return age.error();
  ML_TRY(age->bind(1, now - limits.max_age_s).bind(2, id).run());
  gone += db_.changes();
  auto totals = db_.prepare("SELECT count(*), coalesce(sum(length(payload)), 0) FROM outbox");
  if (!totals) return totals.error();
  auto row = totals->step();
  if (!row) return row.error();
  std::int64_t count = totals->int64(0);
  std::int64_t bytes = totals->int64(1);
  totals->reset();
  if (count > limits.max_messages || bytes > limits.max_bytes) {
    auto oldest = db_.prepare("SELECT id, length(payload) FROM outbox WHERE id <> ? ORDER BY id");
    if (!oldest) return oldest.error();
    oldest->bind(1, id);
    auto del = db_.prepare("DELETE FROM outbox WHERE id = ?");
    if (!del) return del.error();
    std::vector<std::int64_t> victims;
    while ((count > limits.max_messages || bytes > limits.max_bytes)) {
      auto more = oldest->step();
      if (!more) return more.error();
      if (!*more) break;
      victims.push_back(oldest->int64(0));
      bytes -= oldest->int64(1);
      --count;
    }
    oldest->reset();
    for (std::int64_t v : victims)
      ML_TRY(del->bind(1, v).run());
    gone += static_cast<std::int64_t>(victims.size());
  }
  ML_TRY(tx.commit());
  if (dropped) *dropped = gone;
  return id;
}

core::Status Store::keep_sample(const std::string& serial, std::int64_t time,
                                const std::string& text, const KeepLimits& limits,
                                std::int64_t now) {
  sq::Transaction tx(db_);
  ML_TRY(tx.begun());
  auto ins = db_.prepare("INSERT OR REPLACE INTO kept_samples(serial, time, text) VALUES(?,?,?)");
  if (!ins) return ins.error();
  ML_TRY(ins->bind(1, serial).bind(2, time).bind(3, text).run());
  auto age = db_.prepare("DELETE FROM kept_samples WHERE time < ?");
  if (!age) return age.error();
  ML_TRY(age->bind(1, now - limits.max_age_s).run());
  // The byte bound, oldest first (samples of all meters together).
  auto total = db_.prepare("SELECT coalesce(sum(length(text)), 0) FROM kept_samples");
  if (!total) return total.error();
  auto row = total->step();
  if (!row) return row.error();
  std::int64_t bytes = total->int64(0);
  total->reset();
  if (bytes > limits.max_bytes) {
    auto oldest = db_.prepare("SELECT serial, time, length(text) FROM kept_samples ORDER BY time");
    if (!oldest) return oldest.error();
    std::vector<std::pair<std::string, std::int64_t>> victims;
    while (bytes > limits.max_bytes) {
      auto more = oldest->step();
      if (!more) return more.error();
      if (!*more) break;
      victims.emplace_back(oldest->text(0), oldest->int64(1));
      bytes -= oldest->int64(2);
    }
    oldest->reset();
    auto del = db_.prepare("DELETE FROM kept_samples WHERE serial = ? AND time = ?");
    if (!del) return del.error();
    for (const auto& v : victims)
      ML_TRY(del->bind(1, v.first).bind(2, v.second).run());
  }
  return tx.commit();
}

core::Result<std::vector<KeptSample>> Store::kept_samples(const std::string& serial,
                                                          std::int64_t from, std::int64_t to,
                                                          std::size_t limit) {
  auto q = db_.prepare(
      "SELECT time, text FROM kept_samples WHERE serial = ? AND time >= ? AND time <= ? "
      "ORDER BY time LIMIT ?");
  if (!q) return q.error();
  q->bind(1, serial).bind(2, from).bind(3, to).bind(4, static_cast<std::int64_t>(limit));
  std::vector<KeptSample> out;
  while (true) {
    auto row = q->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(KeptSample{q->int64(0), q->text(1)});
  }
  return out;
}

core::Result<std::vector<OutboxItem>> Store::pending(const std::string& serial,
                                                     std::int64_t after_id, int limit) {
  auto q = db_.prepare(
      "SELECT id, topic, payload, created FROM outbox WHERE serial = ? AND id > ? "
      "ORDER BY id LIMIT ?");
  if (!q) return q.error();
  q->bind(1, serial).bind(2, after_id).bind(3, std::int64_t{limit});
  std::vector<OutboxItem> out;
  while (true) {
    auto row = q->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(OutboxItem{q->int64(0), serial, q->text(1), q->blob(2), q->int64(3)});
  }
  return out;
}

core::Status Store::remove(std::int64_t id) {
  auto q = db_.prepare("DELETE FROM outbox WHERE id = ?");
  if (!q) return q.error();
  return q->bind(1, id).run();
}

core::Result<OutboxStats> Store::outbox_stats(const std::string& serial) {
  auto q = db_.prepare(
      "SELECT count(*), coalesce(sum(length(payload)), 0), coalesce(min(created), 0) "
      "FROM outbox WHERE serial = ?");
  if (!q) return q.error();
  q->bind(1, serial);
  auto row = q->step();
  if (!row) return row.error();
  return OutboxStats{q->int64(0), q->int64(1), q->int64(2)};
}

core::Result<std::optional<std::string>> Store::setting(const std::string& serial,
                                                        const std::string& key) {
  auto q = db_.prepare("SELECT value FROM settings WHERE serial = ? AND key = ?");
  if (!q) return q.error();
  q->bind(1, serial).bind(2, key);
  auto row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>(q->text(0));
}

core::Status Store::set_setting(const std::string& serial, const std::string& key,
                                const std::string& value, std::int64_t now) {
  auto q = db_.prepare(
      "INSERT INTO settings(serial, key, value, updated) VALUES(?,?,?,?) "
      "ON CONFLICT(serial, key) DO UPDATE SET value = excluded.value, updated = excluded.updated");
  if (!q) return q.error();
  return q->bind(1, serial).bind(2, key).bind(3, value).bind(4, now).run();
}

core::Result<std::optional<ValveRecord>> Store::valve(const std::string& serial) {
  auto q = db_.prepare("SELECT state, limit_value FROM valve WHERE serial = ?");
  if (!q) return q.error();
  q->bind(1, serial);
  auto row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<ValveRecord>{};
  return std::optional<ValveRecord>(ValveRecord{q->text(0), q->text(1)});
}

core::Status Store::set_valve(const std::string& serial, const ValveRecord& record,
                              const std::string& cause, std::int64_t now) {
  sq::Transaction tx(db_);
  ML_TRY(tx.begun());
  auto up = db_.prepare(
      "INSERT INTO valve(serial, state, limit_value, updated) VALUES(?,?,?,?) "
      "ON CONFLICT(serial) DO UPDATE SET state = excluded.state, "
      "limit_value = excluded.limit_value, updated = excluded.updated");
  if (!up) return up.error();
  ML_TRY(up->bind(1, serial).bind(2, record.state).bind(3, record.limit).bind(4, now).run());
  auto log = db_.prepare(
      "INSERT INTO valve_log(serial, time, state, limit_value, cause) VALUES(?,?,?,?,?)");
  if (!log) return log.error();
  ML_TRY(log->bind(1, serial)
             .bind(2, now)
             .bind(3, record.state)
             .bind(4, record.limit)
             .bind(5, cause)
             .run());
  // The record of changes is bounded: the newest 1000 per meter.
  auto prune = db_.prepare(
      "DELETE FROM valve_log WHERE serial = ?1 AND id <= "
      "(SELECT id FROM valve_log WHERE serial = ?1 ORDER BY id DESC LIMIT 1 OFFSET 1000)");
  if (!prune) return prune.error();
  ML_TRY(prune->bind(1, serial).run());
  return tx.commit();
}

core::Result<std::vector<ValveChange>> Store::valve_log(const std::string& serial, int limit) {
  auto q = db_.prepare(
      "SELECT time, state, limit_value, cause FROM valve_log WHERE serial = ? "
      "ORDER BY id DESC LIMIT ?");
  if (!q) return q.error();
  q->bind(1, serial).bind(2, static_cast<std::int64_t>(limit));
  std::vector<ValveChange> out;
  for (;;) {
    auto row = q->step();
    if (!row) return row.error();
    if (!*row) break;
    out.push_back(ValveChange{q->int64(0), q->text(1), q->text(2), q->text(3)});
  }
  std::reverse(out.begin(), out.end());
  return out;
}

core::Result<bool> Store::remember_command(const std::string& serial, core::ByteView mac,
                                           std::int64_t topic_time, std::int64_t now,
                                           std::int64_t window_s) {
  sq::Transaction tx(db_);
  ML_TRY(tx.begun());
  auto prune = db_.prepare("DELETE FROM replay WHERE topic_time < ?");
  if (!prune) return prune.error();
  ML_TRY(prune->bind(1, now - 2 * window_s).run());
  auto ins = db_.prepare("INSERT OR IGNORE INTO replay(serial, mac, topic_time) VALUES(?,?,?)");
  if (!ins) return ins.error();
  ML_TRY(ins->bind(1, serial).bind_blob(2, mac).bind(3, topic_time).run());
  const bool fresh = db_.changes() == 1;
  ML_TRY(tx.commit());
  return fresh;
}

core::Result<std::optional<std::int64_t>> Store::pulse_count(const std::string& serial) {
  auto q = db_.prepare("SELECT count FROM pulses WHERE serial = ?");
  if (!q) return q.error();
  q->bind(1, serial);
  auto row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<std::int64_t>{};
  return std::optional<std::int64_t>(q->int64(0));
}

core::Status Store::save_pulse_count(const std::string& serial, std::int64_t count,
                                     std::int64_t now) {
  auto q = db_.prepare(
      "INSERT INTO pulses(serial, count, updated) VALUES(?,?,?) "
      "ON CONFLICT(serial) DO UPDATE SET count = excluded.count, updated = excluded.updated");
  if (!q) return q.error();
  return q->bind(1, serial).bind(2, count).bind(3, now).run();
}

core::Result<RunEnd> Store::begin_run(std::int64_t now, const std::string& boot_id) {
  auto last = db_.prepare("SELECT boot_id, end_reason FROM runs ORDER BY id DESC LIMIT 1");
  if (!last) return last.error();
  auto row = last->step();
  if (!row) return row.error();
  RunEnd previous = RunEnd::first_start;
  if (*row) {
    const std::string prev_boot = last->text(0);
    const std::string reason = last->is_null(1) ? "" : last->text(1);
    if (reason.empty()) {
      previous = prev_boot != boot_id ? RunEnd::power_loss : RunEnd::crash;
    } else if (reason == "restart") {
      previous = RunEnd::restart;
    } else if (reason == "watchdog") {
      previous = RunEnd::watchdog;
    } else {
      previous = RunEnd::clean_stop;
    }
  }
  last->reset();
  auto ins = db_.prepare("INSERT INTO runs(started, boot_id) VALUES(?, ?)");
  if (!ins) return ins.error();
  ML_TRY(ins->bind(1, now).bind(2, boot_id).run());
  run_id_ = db_.last_insert_id();
  // Keep the last 100 runs.
  ML_TRY(db_.exec("DELETE FROM runs WHERE id <= (SELECT max(id) - 100 FROM runs)"));
  return previous;
}

core::Status Store::end_run(RunEnd how, std::int64_t now) {
  auto q = db_.prepare("UPDATE runs SET ended = ?, end_reason = ? WHERE id = ?");
  if (!q) return q.error();
  return q->bind(1, now).bind(2, run_end_name(how)).bind(3, run_id_).run();
}

}  // namespace ml::agent
