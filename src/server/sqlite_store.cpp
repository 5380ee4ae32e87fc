#include "server/sqlite_store.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/topic/names.hpp"

namespace ml::server {
namespace {

namespace sq = platform::sqlite;
using core::Decimal;

constexpr std::string_view kMigrations[] = {
    // 1: meters, samples, rollups, diagnostics, events, rejections
    R"(CREATE TABLE meters(
         serial TEXT PRIMARY KEY,
         key TEXT NOT NULL,
         name TEXT NOT NULL DEFAULT '',
         kind TEXT NOT NULL,
         grp TEXT NOT NULL DEFAULT '',
         setup_value TEXT NOT NULL DEFAULT '0',
         valve_installed INTEGER NOT NULL DEFAULT 0,
         last_sample_time INTEGER NOT NULL DEFAULT 0,
         created INTEGER NOT NULL);
       CREATE TABLE samples(
         serial TEXT NOT NULL,
         time INTEGER NOT NULL,
         heap TEXT, t1 TEXT, t2 TEXT, t3 TEXT, tdif TEXT, flow1 TEXT, effect1 TEXT, hr TEXT,
         v1 TEXT, e1 TEXT,
         energy_kwh TEXT,
         volume_m3 TEXT,
         raw TEXT NOT NULL,
         received INTEGER NOT NULL,
         PRIMARY KEY(serial, time)) WITHOUT ROWID;
       CREATE TABLE rollups(
         serial TEXT NOT NULL,
         period INTEGER NOT NULL,
         bucket INTEGER NOT NULL,
         samples INTEGER NOT NULL,
         first_time INTEGER NOT NULL,
         last_time INTEGER NOT NULL,
         energy_first TEXT, energy_last TEXT,
         volume_first TEXT, volume_last TEXT,
         sums TEXT NOT NULL,
         PRIMARY KEY(serial, period, bucket)) WITHOUT ROWID;
       CREATE TABLE diagnostics(
         serial TEXT NOT NULL,
         function TEXT NOT NULL,
         value TEXT NOT NULL,
         time INTEGER NOT NULL,
         received INTEGER NOT NULL,
         PRIMARY KEY(serial, function)) WITHOUT ROWID;
       CREATE TABLE events(
         id INTEGER PRIMARY KEY,
         serial TEXT NOT NULL,
         time INTEGER NOT NULL,
         kind TEXT NOT NULL,
         detail TEXT NOT NULL);
       CREATE INDEX events_by_serial ON events(serial, id);
       CREATE TABLE rejections(reason TEXT PRIMARY KEY, count INTEGER NOT NULL);
       CREATE TABLE quarantine(
         id INTEGER PRIMARY KEY,
         received INTEGER NOT NULL,
         reason TEXT NOT NULL,
         topic TEXT NOT NULL,
         detail TEXT NOT NULL,
         payload BLOB NOT NULL);)",
    // 2: the command queue, the prepaid ledger and its append-only audit log
    R"(CREATE TABLE commands(
         id INTEGER PRIMARY KEY,
         serial TEXT NOT NULL,
         command TEXT NOT NULL,
         argument TEXT NOT NULL,
         state TEXT NOT NULL,
         created INTEGER NOT NULL,
         expires INTEGER NOT NULL,
         next_send INTEGER NOT NULL,
         sent_count INTEGER NOT NULL DEFAULT 0,
         first_sent INTEGER NOT NULL DEFAULT 0,
         last_sent INTEGER NOT NULL DEFAULT 0,
         reply TEXT,
         reply_time INTEGER NOT NULL DEFAULT 0);
       CREATE INDEX commands_due ON commands(state, next_send);
       CREATE INDEX commands_by_serial ON commands(serial, state, id);
       CREATE TABLE payments(
         id INTEGER PRIMARY KEY,
         serial TEXT NOT NULL,
         time INTEGER NOT NULL,
         amount TEXT NOT NULL,
         price TEXT NOT NULL,
         note TEXT NOT NULL,
         state TEXT NOT NULL,
         replaces INTEGER NOT NULL DEFAULT 0);
       CREATE INDEX payments_by_serial ON payments(serial, id);
       CREATE TABLE payments_audit(
         id INTEGER PRIMARY KEY,
         time INTEGER NOT NULL,
         action TEXT NOT NULL,
         payment_id INTEGER NOT NULL,
         serial TEXT NOT NULL,
         amount TEXT NOT NULL,
         price TEXT NOT NULL,
         note TEXT NOT NULL,
         actor TEXT NOT NULL);
       CREATE TRIGGER payments_audit_append_only_update BEFORE UPDATE ON payments_audit
         BEGIN SELECT RAISE(ABORT, 'the payment audit log is append-only'); END;
       CREATE TRIGGER payments_audit_append_only_delete BEFORE DELETE ON payments_audit
         BEGIN SELECT RAISE(ABORT, 'the payment audit log is append-only'); END;)",
    // 3: dashboard users, their sessions, the append-only log of what they changed
    R"(CREATE TABLE users(
         name TEXT PRIMARY KEY,
         password_hash TEXT NOT NULL,
         role TEXT NOT NULL,
         groups TEXT NOT NULL,
         created INTEGER NOT NULL);
       CREATE TABLE sessions(
         id_hash TEXT PRIMARY KEY,
         user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
         csrf TEXT NOT NULL,
         created INTEGER NOT NULL,
         expires INTEGER NOT NULL,
         remote TEXT NOT NULL);
       CREATE INDEX sessions_by_user ON sessions(user);
       CREATE TABLE admin_audit(
         id INTEGER PRIMARY KEY,
         time INTEGER NOT NULL,
         actor TEXT NOT NULL,
         remote TEXT NOT NULL,
         action TEXT NOT NULL,
         serial TEXT NOT NULL,
         detail TEXT NOT NULL);
       CREATE INDEX admin_audit_by_serial ON admin_audit(serial, id);
       CREATE TRIGGER admin_audit_append_only_update BEFORE UPDATE ON admin_audit
         BEGIN SELECT RAISE(ABORT, 'the admin audit log is append-only'); END;
       CREATE TRIGGER admin_audit_append_only_delete BEFORE DELETE ON admin_audit
         BEGIN SELECT RAISE(ABORT, 'the admin audit log is append-only'); END;)",
    // 4 (issue 12, wire): the firmware defects a sample shows (core::sample::ParsedSample::quirks,
    // e.g. "lost_digit:v1"); NULL when none. Serials compare as numbers (Serial::canonical):
    // numeric serials stored as typed ("40") take their canonical form ("0000040"). A row whose
    // canonical form is already taken keeps its old spelling; the append-only audit logs keep
    // what they recorded.
    R"(ALTER TABLE samples ADD COLUMN quirks TEXT;
       UPDATE OR IGNORE meters SET serial = printf('%07d', CAST(serial AS INTEGER))
         WHERE serial <> '' AND serial NOT GLOB '*[^0-9]*'
           AND serial <> printf('%07d', CAST(serial AS INTEGER));
       UPDATE OR IGNORE samples SET serial = printf('%07d', CAST(serial AS INTEGER))
         WHERE serial <> '' AND serial NOT GLOB '*[^0-9]*'
           AND serial <> printf('%07d', CAST(serial AS INTEGER));
       UPDATE OR IGNORE rollups SET serial = printf('%07d', CAST(serial AS INTEGER))
         WHERE serial <> '' AND serial NOT GLOB '*[^0-9]*'
           AND serial <> printf('%07d', CAST(serial AS INTEGER));
       UPDATE OR IGNORE diagnostics SET serial = printf('%07d', CAST(serial AS INTEGER))
         WHERE serial <> '' AND serial NOT GLOB '*[^0-9]*'
           AND serial <> printf('%07d', CAST(serial AS INTEGER));
       UPDATE OR IGNORE events SET serial = printf('%07d', CAST(serial AS INTEGER))
         WHERE serial <> '' AND serial NOT GLOB '*[^0-9]*'
           AND serial <> printf('%07d', CAST(serial AS INTEGER));
       UPDATE OR IGNORE commands SET serial = printf('%07d', CAST(serial AS INTEGER))
         WHERE serial <> '' AND serial NOT GLOB '*[^0-9]*'
           AND serial <> printf('%07d', CAST(serial AS INTEGER));
       UPDATE OR IGNORE payments SET serial = printf('%07d', CAST(serial AS INTEGER))
         WHERE serial <> '' AND serial NOT GLOB '*[^0-9]*'
           AND serial <> printf('%07d', CAST(serial AS INTEGER));)",
    // 5 (issue 12, ingest): rejections by serial (a device with a wrong key, an unknown serial),
    // and the offline
    //    state from a meter's last will, cleared by its next authentic message
    R"(CREATE TABLE rejections_by_serial(
         serial TEXT NOT NULL,
         reason TEXT NOT NULL,
         count INTEGER NOT NULL,
         first_time INTEGER NOT NULL,
         last_time INTEGER NOT NULL,
         PRIMARY KEY(serial, reason)) WITHOUT ROWID;
       CREATE INDEX rejections_by_serial_last ON rejections_by_serial(last_time);
       ALTER TABLE meters ADD COLUMN offline_since INTEGER NOT NULL DEFAULT 0;
       UPDATE meters SET offline_since = (SELECT MAX(time) FROM events e
           WHERE e.serial = meters.serial AND e.kind = 'offline')
         WHERE (SELECT MAX(time) FROM events e WHERE e.serial = meters.serial
                AND e.kind = 'offline') >= last_sample_time;)",
    // 6 (issue 12, api): `users unlock`: failed logins before this time no longer count against the
    // account
    R"(ALTER TABLE users ADD COLUMN unlocked_at INTEGER NOT NULL DEFAULT 0;)",
};

// Quarantined messages kept (the oldest go first); their count by reason is kept forever.
constexpr std::int64_t kQuarantineKept = 10000;
// The fields whose rollup is an average (exact sum and count).
constexpr std::string_view kAveraged[] = {"t1", "t2", "tdif", "flow1", "effect1"};

std::int64_t bucket_of(Period p, std::int64_t t) {
  const std::int64_t size = p == Period::hour ? 3600 : 86400;
  return t >= 0 ? t / size * size : -((-t + size - 1) / size) * size;
}

// "t1=1234.56/60&t2=..." <-> map.
std::string encode_sums(const std::map<std::string, std::pair<std::string, std::int64_t>>& sums) {
  std::string out;
  for (const auto& [k, v] : sums) {
    out += k + "=" + v.first + "/" + std::to_string(v.second) + "&";
  }
  return out;
}

std::map<std::string, std::pair<std::string, std::int64_t>> decode_sums(std::string_view text) {
  std::map<std::string, std::pair<std::string, std::int64_t>> out;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const std::string_view item = text.substr(0, amp);
    const auto eq = item.find('=');
    const auto slash = item.find('/');
    if (eq != std::string_view::npos && slash != std::string_view::npos && slash > eq) {
      out[std::string(item.substr(0, eq))] = {std::string(item.substr(eq + 1, slash - eq - 1)),
                                              std::stoll(std::string(item.substr(slash + 1)))};
    }
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
  return out;
}

// Calls f() for each row of q.
template <class F>
core::Status each_row(sq::Statement& q, F&& f) {
  for (;;) {
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return core::Ok{};
    f();
  }
}

std::optional<std::string> opt_text(const sq::Statement& q, int column) {
  if (q.is_null(column)) return std::nullopt;
  return q.text(column);
}

void bind_opt(sq::Statement& q, int index, const std::optional<std::string>& v) {
  if (v) {
    q.bind(index, *v);
  } else {
    q.bind_null(index);
  }
}

Meter read_meter(const sq::Statement& q) {
  Meter m;
  m.serial = q.text(0);
  m.key_hex = q.text(1);
  m.name = q.text(2);
  m.kind = q.text(3);
  m.group = q.text(4);
  m.setup_value = q.text(5);
  m.valve_installed = q.int64(6) != 0;
  m.last_sample_time = q.int64(7);
  m.created = q.int64(8);
  m.offline_since = q.int64(9);
  return m;
}

// A row of (time, raw, energy_kwh, volume_m3). The columns hold the values; the text as
// received also keeps the units and the order.
StoredSample read_sample(const sq::Statement& q, const std::string& serial) {
  StoredSample s;
  s.serial = serial;
  s.time = q.int64(0);
  auto parsed = core::sample::parse_sample(q.text(1));
  if (parsed) {
    for (const auto& f : parsed->fields) {
      s.values[f.key] = f.value ? std::optional<std::string>(f.text) : std::nullopt;
      if (!f.unit.empty()) s.units[f.key] = f.unit;
    }
    s.quirks = parsed->quirks();
  }
  s.energy_kwh = opt_text(q, 2);
  s.volume_m3 = opt_text(q, 3);
  return s;
}

constexpr const char* kMeterColumns =
    "serial, key, name, kind, grp, setup_value, valve_installed, last_sample_time, created, "
    "offline_since";
constexpr const char* kMeterInsertColumns =
    "serial, key, name, kind, grp, setup_value, valve_installed, last_sample_time, created";

}  // namespace

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  ML_TRY(sq::make_private_directories(std::filesystem::path(path).parent_path().string()));
  auto db = sq::Db::open(path);
  if (!db) return db.error();
  ML_TRY(db->migrate(kMigrations));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db).value()));
}

core::Status SqliteStore::write_transaction(const std::function<core::Status()>& writes) {
  sq::Transaction tx(db_);  // rolled back unless committed, also when `writes` throws
  ML_TRY(tx.begun());
  ML_TRY(writes());
  return tx.commit();
}

core::Status SqliteStore::read_snapshot(const std::function<core::Status()>& reads) {
  if (in_snapshot_) return reads();  // already on one snapshot
  ML_TRY(db_.exec("BEGIN"));         // deferred: a read transaction, writers go on (WAL)
  in_snapshot_ = true;
  core::Status status = core::Ok{};
  try {
    status = reads();
  } catch (...) {
    in_snapshot_ = false;
    (void)db_.exec("ROLLBACK");  // never leave the transaction open
    throw;
  }
  in_snapshot_ = false;
  const auto end = db_.exec(status ? "COMMIT" : "ROLLBACK");
  if (!status) return status;
  return end;
}

// ---- meters ----

core::Status SqliteStore::add_meter(const Meter& m) {
  auto q = db_.prepare(std::string("INSERT INTO meters(") + kMeterInsertColumns +
                       ") VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(serial) DO NOTHING");
  if (!q) return q.error();
  ML_TRY(q->bind(1, m.serial)
             .bind(2, m.key_hex)
             .bind(3, m.name)
             .bind(4, m.kind)
             .bind(5, m.group)
             .bind(6, m.setup_value)
             .bind(7, std::int64_t{m.valve_installed ? 1 : 0})
             .bind(8, m.last_sample_time)
             .bind(9, m.created)
             .run());
  if (db_.changes() == 0) {
    return core::make_error(core::Errc::invalid_argument, "meter " + m.serial + " exists already");
  }
  return core::Ok{};
}

core::Status SqliteStore::update_meter(const Meter& m) {
  auto q = db_.prepare(
      "UPDATE meters SET key=?, name=?, kind=?, grp=?, setup_value=?, valve_installed=? "
      "WHERE serial=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, m.key_hex)
             .bind(2, m.name)
             .bind(3, m.kind)
             .bind(4, m.group)
             .bind(5, m.setup_value)
             .bind(6, std::int64_t{m.valve_installed ? 1 : 0})
             .bind(7, m.serial)
             .run());
  if (db_.changes() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no meter " + m.serial);
  }
  return core::Ok{};
}

core::Status SqliteStore::remove_meter(const std::string& serial) {
  auto q = db_.prepare("DELETE FROM meters WHERE serial=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, serial).run());
  if (db_.changes() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no meter " + serial);
  }
  return core::Ok{};
}

core::Result<std::optional<Meter>> SqliteStore::meter(const std::string& serial) {
  auto q = db_.prepare(std::string("SELECT ") + kMeterColumns + " FROM meters WHERE serial=?");
  if (!q) return q.error();
  q->bind(1, serial);
  auto row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<Meter>{};
  return std::optional<Meter>(read_meter(*q));
}

core::Result<std::vector<Meter>> SqliteStore::meters() {
  auto q = db_.prepare(std::string("SELECT ") + kMeterColumns + " FROM meters ORDER BY serial");
  if (!q) return q.error();
  std::vector<Meter> out;
  ML_TRY(each_row(*q, [&] { out.push_back(read_meter(*q)); }));
  return out;
}

core::Result<std::map<std::string, std::pair<std::string, std::int64_t>>> SqliteStore::diagnostics(
    const std::string& serial) {
  auto q = cached("SELECT function, value, time FROM diagnostics WHERE serial=?");
  if (!q) return q.error();
  (*q)->bind(1, serial);
  std::map<std::string, std::pair<std::string, std::int64_t>> out;
  auto& rows = **q;
  ML_TRY(each_row(rows, [&] { out[rows.text(0)] = {rows.text(1), rows.int64(2)}; }));
  return out;
}

// ---- ingest ----

core::Result<sq::Statement*> SqliteStore::cached(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto q = db_.prepare(sql);
    if (!q) return q.error();
    it = cache_.emplace(sql, std::move(q).value()).first;
  }
  it->second.reset();
  return &it->second;
}

core::Result<std::vector<IngestOutcome>> SqliteStore::ingest(const std::vector<IngestItem>& items,
                                                             std::int64_t now) {
  sq::Transaction tx(db_);
  ML_TRY(tx.begun());
  std::vector<IngestOutcome> out;
  out.reserve(items.size());
  for (const auto& item : items) {
    auto o = ingest_one(item, now);
    if (!o) return o.error();
    out.push_back(*o);
  }
  ML_TRY(tx.commit());
  return out;
}

core::Result<IngestOutcome> SqliteStore::ingest_one(const IngestItem& item, std::int64_t now) {
  if (item.function == "offline") {
    // A last will (unauthenticated): one event when the meter goes offline, none while it is.
    auto q = cached("UPDATE meters SET offline_since=? WHERE serial=? AND offline_since=0");
    if (!q) return q.error();
    ML_TRY((*q)->bind(1, item.time).bind(2, item.serial).run());
    if (db_.changes() == 0) return IngestOutcome::will_ignored;
  } else {
    // An authentic message: the meter is online again, whatever will came before.
    auto q = cached("UPDATE meters SET offline_since=0 WHERE serial=? AND offline_since<>0");
    if (!q) return q.error();
    ML_TRY((*q)->bind(1, item.serial).run());
  }
  if (item.kind == IngestItem::Kind::event) {
    auto q = cached("INSERT INTO events(serial, time, kind, detail) VALUES(?,?,?,?)");
    if (!q) return q.error();
    ML_TRY((*q)->bind(1, item.serial)
               .bind(2, item.time)
               .bind(3, item.function)
               .bind(4, item.text)
               .run());
    return IngestOutcome::event_logged;
  }
  if (item.kind == IngestItem::Kind::diagnostic) {
    // The valve's state changes go to the event log too.
    std::optional<std::string> before;
    if (item.function == "status") {
      auto prev = cached("SELECT value, time FROM diagnostics WHERE serial=? AND function=?");
      if (!prev) return prev.error();
      (*prev)->bind(1, item.serial).bind(2, item.function);
      auto row = (*prev)->step();
      if (!row) return row.error();
      before = *row ? (*prev)->text(0) : std::string();
      if (*row && (*prev)->int64(1) > item.time) before.reset();  // older: changes nothing
      (*prev)->reset();
    }
    auto q = cached(
        "INSERT INTO diagnostics(serial, function, value, time, received) VALUES(?,?,?,?,?) "
        "ON CONFLICT(serial, function) DO UPDATE SET value=excluded.value, "
        "time=excluded.time, received=excluded.received WHERE excluded.time >= diagnostics.time");
    if (!q) return q.error();
    ML_TRY((*q)->bind(1, item.serial)
               .bind(2, item.function)
               .bind(3, item.text)
               .bind(4, item.time)
               .bind(5, now)
               .run());
    const bool newer = db_.changes() > 0;
    if (newer && before && *before != item.text) {
      auto e = cached("INSERT INTO events(serial, time, kind, detail) VALUES(?,?,?,?)");
      if (!e) return e.error();
      ML_TRY((*e)->bind(1, item.serial)
                 .bind(2, item.time)
                 .bind(3, "valve")
                 .bind(4, (before->empty() ? "" : *before + " -> ") + item.text)
                 .run());
    }
    if (item.function == "reset_reason" || item.function == "flash_error") {
      auto e = cached("INSERT INTO events(serial, time, kind, detail) VALUES(?,?,?,?)");
      if (!e) return e.error();
      ML_TRY((*e)->bind(1, item.serial)
                 .bind(2, item.time)
                 .bind(3, item.function)
                 .bind(4, item.text)
                 .run());
    }
    return newer ? IngestOutcome::stored : IngestOutcome::older_ignored;
  }
  // A sample.
  StoredSample s;
  s.serial = item.serial;
  s.time = item.time;
  for (const auto& f : item.sample.fields) {
    s.values[f.key] = f.value ? std::optional<std::string>(f.text) : std::nullopt;
    if (f.normalized && f.normalized_unit == "kWh" && f.key == "e1") {
      s.energy_kwh = f.normalized->to_string();
    }
    if (f.normalized && f.normalized_unit == "m3" && f.key == "v1") {
      s.volume_m3 = f.normalized->to_string();
    }
  }
  auto q = cached(
      "INSERT INTO samples(serial, time, heap, t1, t2, t3, tdif, flow1, effect1, hr, v1, e1, "
      "energy_kwh, volume_m3, raw, received, quirks) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT(serial, time) DO NOTHING");
  if (!q) return q.error();
  (*q)->bind(1, s.serial).bind(2, s.time);
  int i = 3;
  for (std::string_view key : kSampleKeys) {
    auto it = s.values.find(std::string(key));
    bind_opt(**q, i++, it == s.values.end() ? std::nullopt : it->second);
  }
  bind_opt(**q, 13, s.energy_kwh);
  bind_opt(**q, 14, s.volume_m3);
  (*q)->bind(15, item.text).bind(16, now);
  s.quirks = item.sample.quirks();
  bind_opt(**q, 17, s.quirks.empty() ? std::nullopt : std::optional<std::string>(s.quirks));
  ML_TRY((*q)->run());
  if (db_.changes() == 0) return IngestOutcome::duplicate;
  auto seen =
      cached("UPDATE meters SET last_sample_time=? WHERE serial=? AND last_sample_time < ?");
  if (!seen) return seen.error();
  ML_TRY((*seen)->bind(1, s.time).bind(2, s.serial).bind(3, s.time).run());
  ML_TRY(add_to_rollup(Period::hour, s.serial, s.time, s));
  ML_TRY(add_to_rollup(Period::day, s.serial, s.time, s));
  return IngestOutcome::stored;
}

// Adds one new sample to its bucket. Sums and counts are order-free and first/last follow the
// times, so a late sample (the agent's outbox delivering hours of backlog) lands correctly in
// an old bucket without reading the bucket's other samples again.
core::Status SqliteStore::add_to_rollup(Period period, const std::string& serial, std::int64_t time,
                                        const StoredSample& s) {
  const std::int64_t bucket = bucket_of(period, time);
  const auto p = static_cast<std::int64_t>(period);
  auto q = cached(
      "SELECT samples, first_time, last_time, energy_first, energy_last, volume_first, "
      "volume_last, sums FROM rollups WHERE serial=? AND period=? AND bucket=?");
  if (!q) return q.error();
  (*q)->bind(1, serial).bind(2, p).bind(3, bucket);
  auto row = (*q)->step();
  if (!row) return row.error();
  Rollup r;
  if (*row) {
    r.samples = (*q)->int64(0);
    r.first_time = (*q)->int64(1);
    r.last_time = (*q)->int64(2);
    r.energy_first = opt_text(**q, 3);
    r.energy_last = opt_text(**q, 4);
    r.volume_first = opt_text(**q, 5);
    r.volume_last = opt_text(**q, 6);
    r.sums = decode_sums((*q)->text(7));
  }
  (*q)->reset();  // no open read statement between batches (it would pin the WAL)
  if (r.samples == 0 || time < r.first_time) {
    r.first_time = time;
    r.energy_first = s.energy_kwh;
    r.volume_first = s.volume_m3;
  }
  if (r.samples == 0 || time > r.last_time) {
    r.last_time = time;
    r.energy_last = s.energy_kwh;
    r.volume_last = s.volume_m3;
  }
  ++r.samples;
  for (std::string_view key : kAveraged) {
    auto it = s.values.find(std::string(key));
    if (it == s.values.end() || !it->second) continue;
    auto value = Decimal::parse(*it->second);
    if (!value) continue;  // stored as sent; only numbers are averaged
    auto& [sum_text, count] = r.sums[std::string(key)];
    if (count < 0) continue;  // this bucket's average is unavailable (see below)
    Decimal total{};
    if (!sum_text.empty()) {
      auto t = Decimal::parse(sum_text);
      if (!t) return t.error();
      total = *t;
    }
    auto next = core::sum(total, *value);
    if (!next) {
      // A value so large (a meter's glitch) that the exact sum leaves 64 bits: the sample is
      // stored as sent, but this field's average for the bucket is marked unavailable (count
      // -1) rather than wrong, and the bucket's other fields go on.
      sum_text = "";
      count = -1;
      continue;
    }
    sum_text = next->to_string();
    ++count;
  }
  auto up = cached(
      "INSERT INTO rollups(serial, period, bucket, samples, first_time, last_time, energy_first, "
      "energy_last, volume_first, volume_last, sums) VALUES(?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT(serial, period, bucket) DO UPDATE SET samples=excluded.samples, "
      "first_time=excluded.first_time, last_time=excluded.last_time, "
      "energy_first=excluded.energy_first, energy_last=excluded.energy_last, "
      "volume_first=excluded.volume_first, volume_last=excluded.volume_last, "
      "sums=excluded.sums");
  if (!up) return up.error();
  (*up)
      ->bind(1, serial)
      .bind(2, p)
      .bind(3, bucket)
      .bind(4, r.samples)
      .bind(5, r.first_time)
      .bind(6, r.last_time);
  bind_opt(**up, 7, r.energy_first);
  bind_opt(**up, 8, r.energy_last);
  bind_opt(**up, 9, r.volume_first);
  bind_opt(**up, 10, r.volume_last);
  (*up)->bind(11, encode_sums(r.sums));
  return (*up)->run();
}

core::Status SqliteStore::reject(const Rejection& r) {
  sq::Transaction tx(db_);
  ML_TRY(tx.begun());
  auto count = db_.prepare(
      "INSERT INTO rejections(reason, count) VALUES(?, 1) "
      "ON CONFLICT(reason) DO UPDATE SET count = count + 1");
  if (!count) return count.error();
  ML_TRY(count->bind(1, r.reason).run());
  if (!r.serial.empty()) {
    auto by_serial = db_.prepare(
        "INSERT INTO rejections_by_serial(serial, reason, count, first_time, last_time) "
        "VALUES(?1, ?2, 1, ?3, ?3) ON CONFLICT(serial, reason) DO UPDATE SET count = count + 1, "
        "last_time = MAX(last_time, ?3)");
    if (!by_serial) return by_serial.error();
    ML_TRY(by_serial->bind(1, r.serial).bind(2, r.reason).bind(3, r.time).run());
  }
  auto keep = db_.prepare(
      "INSERT INTO quarantine(received, reason, topic, detail, payload) VALUES(?,?,?,?,?)");
  if (!keep) return keep.error();
  ML_TRY(keep->bind(1, r.time)
             .bind(2, r.reason)
             .bind(3, r.topic)
             .bind(4, r.detail)
             .bind_blob(5, r.payload)
             .run());
  const std::int64_t id = db_.last_insert_id();
  auto trim = db_.prepare("DELETE FROM quarantine WHERE id <= ?");
  if (!trim) return trim.error();
  ML_TRY(trim->bind(1, id - kQuarantineKept).run());
  if (id % 256 == 0) {
    // Serials come from the network: keep the most recent ones (checked now and then).
    auto serials = db_.prepare(
        "DELETE FROM rejections_by_serial WHERE serial NOT IN (SELECT serial FROM "
        "rejections_by_serial GROUP BY serial ORDER BY MAX(last_time) DESC LIMIT ?)");
    if (!serials) return serials.error();
    ML_TRY(serials->bind(1, kRejectionSerialsKept).run());
  }
  return tx.commit();
}

core::Result<std::map<std::string, std::int64_t>> SqliteStore::rejection_counts() {
  auto q = db_.prepare("SELECT reason, count FROM rejections");
  if (!q) return q.error();
  std::map<std::string, std::int64_t> out;
  ML_TRY(each_row(*q, [&] { out[q->text(0)] = q->int64(1); }));
  return out;
}

namespace {

core::Status read_serial_rejections(sq::Statement& q, std::vector<SerialRejection>& out) {
  while (true) {
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return core::Ok{};
    out.push_back({q.text(0), q.text(1), q.int64(2), q.int64(3), q.int64(4)});
  }
}

}  // namespace

core::Result<std::vector<SerialRejection>> SqliteStore::rejections_for(const std::string& serial) {
  auto q = db_.prepare(
      "SELECT serial, reason, count, first_time, last_time FROM rejections_by_serial "
      "WHERE serial=? ORDER BY reason");
  if (!q) return q.error();
  q->bind(1, serial);
  std::vector<SerialRejection> out;
  ML_TRY(read_serial_rejections(*q, out));
  return out;
}

core::Result<std::vector<SerialRejection>> SqliteStore::unknown_serials(int limit) {
  auto q = db_.prepare(
      "SELECT serial, reason, count, first_time, last_time FROM rejections_by_serial "
      "WHERE reason='unknown_serial' AND serial NOT IN (SELECT serial FROM meters) "
      "ORDER BY last_time DESC, serial LIMIT ?");
  if (!q) return q.error();
  q->bind(1, std::int64_t{limit});
  std::vector<SerialRejection> out;
  ML_TRY(read_serial_rejections(*q, out));
  return out;
}

// ---- reading ----

core::Result<std::vector<StoredSample>> SqliteStore::samples(const std::string& serial,
                                                             std::int64_t from, std::int64_t to) {
  auto q = db_.prepare(
      "SELECT time, raw, energy_kwh, volume_m3 FROM samples WHERE serial=? AND time>=? AND "
      "time<=? ORDER BY time");
  if (!q) return q.error();
  q->bind(1, serial).bind(2, from).bind(3, to);
  std::vector<StoredSample> out;
  ML_TRY(each_row(*q, [&] { out.push_back(read_sample(*q, serial)); }));
  return out;
}

core::Result<std::vector<StoredSample>> SqliteStore::samples_page(const std::string& serial,
                                                                  std::int64_t from,
                                                                  std::int64_t to,
                                                                  std::size_t limit) {
  auto q = cached(
      "SELECT time, raw, energy_kwh, volume_m3 FROM samples WHERE serial=? AND time>=? AND "
      "time<=? ORDER BY time LIMIT ?");
  if (!q) return q.error();
  (*q)->bind(1, serial).bind(2, from).bind(3, to).bind(4, static_cast<std::int64_t>(limit));
  std::vector<StoredSample> out;
  out.reserve(std::min<std::size_t>(limit, 4096));
  auto read = each_row(**q, [&] { out.push_back(read_sample(**q, serial)); });
  (*q)->reset();
  if (!read) return read.error();
  return out;
}

core::Result<std::optional<StoredSample>> SqliteStore::one_sample(sq::Statement& q,
                                                                  const std::string& serial) {
  auto row = q.step();
  if (!row) return row.error();
  if (!*row) return std::optional<StoredSample>{};
  return std::optional<StoredSample>(read_sample(q, serial));
}

core::Result<std::optional<StoredSample>> SqliteStore::latest_sample(const std::string& serial) {
  auto q = cached(
      "SELECT time, raw, energy_kwh, volume_m3 FROM samples WHERE serial=? "
      "ORDER BY time DESC LIMIT 1");
  if (!q) return q.error();
  (*q)->bind(1, serial);
  auto out = one_sample(**q, serial);
  (*q)->reset();
  return out;
}

core::Result<std::optional<StoredSample>> SqliteStore::first_sample_since(const std::string& serial,
                                                                          std::int64_t from) {
  auto q = cached(
      "SELECT time, raw, energy_kwh, volume_m3 FROM samples WHERE serial=? AND time>=? "
      "ORDER BY time LIMIT 1");
  if (!q) return q.error();
  (*q)->bind(1, serial).bind(2, from);
  auto out = one_sample(**q, serial);
  (*q)->reset();
  return out;
}

core::Result<std::optional<ServerStore::Event>> SqliteStore::latest_event(const std::string& serial,
                                                                          const std::string& kind) {
  auto q = cached(
      "SELECT time, kind, detail FROM events WHERE serial=? AND kind=? ORDER BY id DESC LIMIT 1");
  if (!q) return q.error();
  (*q)->bind(1, serial).bind(2, kind);
  auto row = (*q)->step();
  if (!row) return row.error();
  std::optional<Event> out;
  if (*row) out = Event{(*q)->int64(0), (*q)->text(1), (*q)->text(2)};
  (*q)->reset();
  return out;
}

core::Result<std::vector<Rollup>> SqliteStore::rollups(const std::string& serial, Period period,
                                                       std::int64_t from, std::int64_t to) {
  auto q = db_.prepare(
      "SELECT bucket, samples, first_time, last_time, energy_first, energy_last, volume_first, "
      "volume_last, sums FROM rollups WHERE serial=? AND period=? AND bucket>=? AND bucket<=? "
      "ORDER BY bucket");
  if (!q) return q.error();
  q->bind(1, serial).bind(2, static_cast<std::int64_t>(period)).bind(3, from).bind(4, to);
  std::vector<Rollup> out;
  ML_TRY(each_row(*q, [&] {
    Rollup r;
    r.serial = serial;
    r.bucket = q->int64(0);
    r.samples = q->int64(1);
    r.first_time = q->int64(2);
    r.last_time = q->int64(3);
    r.energy_first = opt_text(*q, 4);
    r.energy_last = opt_text(*q, 5);
    r.volume_first = opt_text(*q, 6);
    r.volume_last = opt_text(*q, 7);
    r.sums = decode_sums(q->text(8));
    out.push_back(std::move(r));
  }));
  return out;
}

core::Result<std::vector<ServerStore::Event>> SqliteStore::events(const std::string& serial) {
  auto q = db_.prepare("SELECT time, kind, detail FROM events WHERE serial=? ORDER BY id");
  if (!q) return q.error();
  q->bind(1, serial);
  std::vector<Event> out;
  ML_TRY(each_row(*q, [&] { out.push_back({q->int64(0), q->text(1), q->text(2)}); }));
  return out;
}

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

// ---- the ledger ----

core::Status SqliteStore::audit(const std::string& action, std::int64_t payment_id,
                                const Payment& p, const std::string& actor, std::int64_t now) {
  auto a = db_.prepare(
      "INSERT INTO payments_audit(time, action, payment_id, serial, amount, price, note, actor) "
      "VALUES(?,?,?,?,?,?,?,?)");
  if (!a) return a.error();
  return a->bind(1, now)
      .bind(2, action)
      .bind(3, payment_id)
      .bind(4, p.serial)
      .bind(5, p.amount)
      .bind(6, p.price)
      .bind(7, p.note)
      .bind(8, actor)
      .run();
}

core::Result<std::int64_t> SqliteStore::insert_payment(const Payment& p, const std::string& action,
                                                       const std::string& actor, std::int64_t now) {
  auto q = db_.prepare(
      "INSERT INTO payments(serial, time, amount, price, note, state, replaces) "
      "VALUES(?,?,?,?,?,'active',?)");
  if (!q) return q.error();
  ML_TRY(q->bind(1, p.serial)
             .bind(2, p.time)
             .bind(3, p.amount)
             .bind(4, p.price)
             .bind(5, p.note)
             .bind(6, p.replaces)
             .run());
  const std::int64_t id = db_.last_insert_id();
  ML_TRY(audit(action, id, p, actor, now));
  return id;
}

core::Result<Payment> SqliteStore::void_active(std::int64_t id) {
  auto old = payment(id);
  if (!old) return old.error();
  if (!*old || (*old)->state != "active") {
    return core::make_error(core::Errc::invalid_argument,
                            "no active payment #" + std::to_string(id));
  }
  auto v = db_.prepare("UPDATE payments SET state='void' WHERE id=?");
  if (!v) return v.error();
  ML_TRY(v->bind(1, id).run());
  return **old;
}

core::Result<std::int64_t> SqliteStore::add_payment(const Payment& p, const std::string& actor,
                                                    std::int64_t now) {
  sq::Transaction tx(db_);
  ML_TRY(tx.begun());
  auto id = insert_payment(p, "add", actor, now);
  if (!id) return id.error();
  ML_TRY(tx.commit());
  return id;
}

core::Result<std::int64_t> SqliteStore::correct_payment(std::int64_t id, const Payment& replacement,
                                                        const std::string& actor,
                                                        std::int64_t now) {
  sq::Transaction tx(db_);
  ML_TRY(tx.begun());
  auto old = void_active(id);
  if (!old) return old.error();
  Payment p = replacement;
  p.serial = old->serial;
  p.replaces = id;
  auto fresh = insert_payment(p, "correct", actor, now);
  if (!fresh) return fresh.error();
  ML_TRY(tx.commit());
  return fresh;
}

core::Status SqliteStore::void_payment(std::int64_t id, const std::string& actor,
                                       std::int64_t now) {
  sq::Transaction tx(db_);
  ML_TRY(tx.begun());
  auto old = void_active(id);
  if (!old) return old.error();
  ML_TRY(audit("void", id, *old, actor, now));
  return tx.commit();
}

namespace {
constexpr const char* kPaymentColumns = "id, serial, time, amount, price, note, state, replaces";

Payment read_payment(const sq::Statement& q) {
  return Payment{q.int64(0), q.text(1), q.int64(2), q.text(3),
                 q.text(4),  q.text(5), q.text(6),  q.int64(7)};
}
}  // namespace

core::Result<std::vector<Payment>> SqliteStore::payments(const std::string& serial) {
  static const std::string sql =
      std::string("SELECT ") + kPaymentColumns + " FROM payments WHERE serial=? ORDER BY time, id";
  auto q = cached(sql);
  if (!q) return q.error();
  (*q)->bind(1, serial);
  std::vector<Payment> out;
  auto& rows = **q;
  ML_TRY(each_row(rows, [&] { out.push_back(read_payment(rows)); }));
  return out;
}

core::Result<std::optional<Payment>> SqliteStore::payment(std::int64_t id) {
  auto q = db_.prepare(std::string("SELECT ") + kPaymentColumns + " FROM payments WHERE id=?");
  if (!q) return q.error();
  q->bind(1, id);
  auto row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<Payment>{};
  return std::optional<Payment>(read_payment(*q));
}

core::Result<std::vector<AuditEntry>> SqliteStore::audit_log(const std::string& serial) {
  auto q = db_.prepare(
      "SELECT id, time, action, payment_id, serial, amount, price, note, actor "
      "FROM payments_audit WHERE serial=? ORDER BY id");
  if (!q) return q.error();
  q->bind(1, serial);
  std::vector<AuditEntry> out;
  ML_TRY(each_row(*q, [&] {
    out.push_back(AuditEntry{q->int64(0), q->int64(1), q->text(2), q->int64(3), q->text(4),
                             q->text(5), q->text(6), q->text(7), q->text(8)});
  }));
  return out;
}

// ---- users, sessions, the admin audit log ----

namespace {
std::string join_groups(const std::vector<std::string>& groups) {
  std::string out;
  for (const auto& g : groups)
    out += (out.empty() ? "" : "\n") + g;
  return out;
}
std::vector<std::string> split_groups(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto nl = text.find('\n', start);
    out.push_back(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}
}  // namespace

core::Status SqliteStore::add_user(const User& u) {
  auto q = db_.prepare(
      "INSERT INTO users(name, password_hash, role, groups, created) VALUES(?,?,?,?,?) "
      "ON CONFLICT(name) DO NOTHING");
  if (!q) return q.error();
  ML_TRY(q->bind(1, u.name)
             .bind(2, u.password_hash)
             .bind(3, u.role)
             .bind(4, join_groups(u.groups))
             .bind(5, u.created)
             .run());
  if (db_.changes() == 0) {
    return core::make_error(core::Errc::invalid_argument, "user " + u.name + " exists already");
  }
  return core::Ok{};
}

core::Status SqliteStore::set_password(const std::string& name, const std::string& hash) {
  sq::Transaction tx(db_);
  ML_TRY(tx.begun());
  auto q = db_.prepare("UPDATE users SET password_hash=? WHERE name=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, hash).bind(2, name).run());
  if (db_.changes() == 0) return core::make_error(core::Errc::invalid_argument, "no user " + name);
  auto end = db_.prepare("DELETE FROM sessions WHERE user=?");
  if (!end) return end.error();
  ML_TRY(end->bind(1, name).run());
  return tx.commit();
}

core::Status SqliteStore::remove_user(const std::string& name) {
  auto q = db_.prepare("DELETE FROM users WHERE name=?");  // sessions: ON DELETE CASCADE
  if (!q) return q.error();
  ML_TRY(q->bind(1, name).run());
  if (db_.changes() == 0) return core::make_error(core::Errc::invalid_argument, "no user " + name);
  return core::Ok{};
}

core::Result<std::vector<User>> SqliteStore::users() {
  auto q = db_.prepare(
      "SELECT name, password_hash, role, groups, created, unlocked_at FROM users "
      "ORDER BY name");
  if (!q) return q.error();
  std::vector<User> out;
  ML_TRY(each_row(*q, [&] {
    out.push_back(
        {q->text(0), q->text(1), q->text(2), split_groups(q->text(3)), q->int64(4), q->int64(5)});
  }));
  return out;
}

core::Result<std::optional<User>> SqliteStore::user(const std::string& name) {
  auto q = db_.prepare(
      "SELECT name, password_hash, role, groups, created, unlocked_at FROM users WHERE name=?");
  if (!q) return q.error();
  q->bind(1, name);
  auto row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<User>{};
  return std::optional<User>(
      User{q->text(0), q->text(1), q->text(2), split_groups(q->text(3)), q->int64(4), q->int64(5)});
}

core::Status SqliteStore::unlock_user(const std::string& name, std::int64_t now) {
  auto q = db_.prepare("UPDATE users SET unlocked_at=? WHERE name=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, now).bind(2, name).run());
  if (db_.changes() == 0) return core::make_error(core::Errc::invalid_argument, "no user " + name);
  return core::Ok{};
}

core::Status SqliteStore::add_session(const std::string& id_hash, const Session& s) {
  sq::Transaction tx(db_);
  ML_TRY(tx.begun());
  auto old = db_.prepare("DELETE FROM sessions WHERE expires <= ?");
  if (!old) return old.error();
  ML_TRY(old->bind(1, s.created).run());
  auto q = db_.prepare(
      "INSERT INTO sessions(id_hash, user, csrf, created, expires, remote) VALUES(?,?,?,?,?,?)");
  if (!q) return q.error();
  ML_TRY(q->bind(1, id_hash)
             .bind(2, s.user)
             .bind(3, s.csrf)
             .bind(4, s.created)
             .bind(5, s.expires)
             .bind(6, s.remote)
             .run());
  return tx.commit();
}

core::Result<std::optional<Session>> SqliteStore::session(const std::string& id_hash) {
  auto q = cached("SELECT user, csrf, created, expires, remote FROM sessions WHERE id_hash=?");
  if (!q) return q.error();
  (*q)->bind(1, id_hash);
  auto row = (*q)->step();
  if (!row) return row.error();
  std::optional<Session> out;
  if (*row) {
    out = Session{(*q)->text(0), (*q)->text(1), (*q)->int64(2), (*q)->int64(3), (*q)->text(4)};
  }
  (*q)->reset();
  return out;
}

core::Status SqliteStore::remove_session(const std::string& id_hash) {
  auto q = db_.prepare("DELETE FROM sessions WHERE id_hash=?");
  if (!q) return q.error();
  return q->bind(1, id_hash).run();
}

core::Status SqliteStore::audit_admin(const AdminAuditEntry& e) {
  auto q = db_.prepare(
      "INSERT INTO admin_audit(time, actor, remote, action, serial, detail) VALUES(?,?,?,?,?,?)");
  if (!q) return q.error();
  return q->bind(1, e.time)
      .bind(2, e.actor)
      .bind(3, e.remote)
      .bind(4, e.action)
      .bind(5, e.serial)
      .bind(6, e.detail)
      .run();
}

core::Result<std::vector<AdminAuditEntry>> SqliteStore::admin_audit(const std::string& serial,
                                                                    int limit) {
  auto q = db_.prepare(
      "SELECT id, time, actor, remote, action, serial, detail FROM admin_audit "
      "WHERE ?='' OR serial=? ORDER BY id DESC LIMIT ?");
  if (!q) return q.error();
  q->bind(1, serial).bind(2, serial).bind(3, std::int64_t{limit});
  std::vector<AdminAuditEntry> out;
  ML_TRY(each_row(*q, [&] {
    out.push_back(
        {q->int64(0), q->int64(1), q->text(2), q->text(3), q->text(4), q->text(5), q->text(6)});
  }));
  return out;
}

core::Result<std::vector<AdminAuditEntry>> SqliteStore::admin_audit_scoped(const AuditScope& scope,
                                                                           int limit) {
  if (scope.every_group) return admin_audit(scope.serial, limit);
  auto q = db_.prepare(
      "SELECT id, time, actor, remote, action, serial, detail FROM admin_audit "
      "WHERE (?='' OR serial=?) AND ("
      "  (serial<>'' AND serial IN (SELECT serial FROM meters "
      "                             WHERE grp IN (SELECT value FROM json_each(?)))) "
      "  OR (serial='' AND actor=?)) "
      "ORDER BY id DESC LIMIT ?");
  if (!q) return q.error();
  q->bind(1, scope.serial)
      .bind(2, scope.serial)
      .bind(3, nlohmann::json(scope.groups).dump())
      .bind(4, scope.actor)
      .bind(5, std::int64_t{limit});
  std::vector<AdminAuditEntry> out;
  ML_TRY(each_row(*q, [&] {
    out.push_back(
        {q->int64(0), q->int64(1), q->text(2), q->text(3), q->text(4), q->text(5), q->text(6)});
  }));
  return out;
}

}  // namespace ml::server
