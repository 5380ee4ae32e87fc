// SqliteStore: opening the file, the schema's migrations, transactions and the statement cache.
// The interfaces' methods are in meters.cpp, samples.cpp, commands.cpp, ledger.cpp, users.cpp,
// alarms.cpp, notifications.cpp.
#include "server/sqlite/store.hpp"

#include <filesystem>

#include "server/schema_version.hpp"

namespace ml::server {
namespace {

namespace sq = platform::sqlite;

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
    // 7 (issue 13, store): a sample is its text as received plus the normalised energy and
    // volume (docs/server.md, "Storage"): the ten value columns nothing read go
    R"(ALTER TABLE samples DROP COLUMN heap;
       ALTER TABLE samples DROP COLUMN t1;
       ALTER TABLE samples DROP COLUMN t2;
       ALTER TABLE samples DROP COLUMN t3;
       ALTER TABLE samples DROP COLUMN tdif;
       ALTER TABLE samples DROP COLUMN flow1;
       ALTER TABLE samples DROP COLUMN effect1;
       ALTER TABLE samples DROP COLUMN hr;
       ALTER TABLE samples DROP COLUMN v1;
       ALTER TABLE samples DROP COLUMN e1;)",
    // 8 (issue 14, alarms): alarm rules, the groups' time zones, the state of every rule on every
    // meter, its episodes and the append-only log of their transitions (docs/alarms.md)
    R"(CREATE TABLE alarm_rules(
         id INTEGER PRIMARY KEY,
         name TEXT NOT NULL,
         grp TEXT NOT NULL,
         text TEXT NOT NULL,
         severity TEXT NOT NULL,
         settle_s INTEGER NOT NULL,
         repeat_s INTEGER NOT NULL,
         quiet TEXT NOT NULL,
         enabled INTEGER NOT NULL,
         template TEXT NOT NULL);
       CREATE TABLE group_zones(grp TEXT PRIMARY KEY, zone TEXT NOT NULL) WITHOUT ROWID;
       CREATE TABLE alarm_episodes(
         id INTEGER PRIMARY KEY,
         rule_id INTEGER NOT NULL,
         serial TEXT NOT NULL,
         raised INTEGER NOT NULL);
       CREATE TABLE alarm_states(
         rule_id INTEGER NOT NULL,
         serial TEXT NOT NULL,
         episode INTEGER NOT NULL,
         status TEXT NOT NULL,
         raised INTEGER NOT NULL,
         last_true INTEGER NOT NULL,
         acked_by TEXT NOT NULL,
         ack_note TEXT NOT NULL,
         snoozed_until INTEGER NOT NULL,
         next_repeat INTEGER NOT NULL,
         repeat_count INTEGER NOT NULL,
         held TEXT NOT NULL,
         PRIMARY KEY(rule_id, serial)) WITHOUT ROWID;
       CREATE INDEX alarm_states_by_episode ON alarm_states(episode);
       CREATE TABLE alarm_transitions(
         id INTEGER PRIMARY KEY,
         episode INTEGER NOT NULL,
         rule_id INTEGER NOT NULL,
         serial TEXT NOT NULL,
         time INTEGER NOT NULL,
         from_status TEXT NOT NULL,
         to_status TEXT NOT NULL,
         actor TEXT NOT NULL,
         note TEXT NOT NULL);
       CREATE INDEX alarm_transitions_by_serial ON alarm_transitions(serial, id);
       CREATE INDEX alarm_transitions_by_episode ON alarm_transitions(episode, id);
       CREATE INDEX events_by_kind ON events(kind, serial, time);
       CREATE TRIGGER alarm_transitions_append_only_update BEFORE UPDATE ON alarm_transitions
         BEGIN SELECT RAISE(ABORT, 'the alarm transitions log is append-only'); END;
       CREATE TRIGGER alarm_transitions_append_only_delete BEFORE DELETE ON alarm_transitions
         BEGIN SELECT RAISE(ABORT, 'the alarm transitions log is append-only'); END;)",
    // 9 (issue 14, notify): the outbox of notifications, which is also the log of what was sent
    // (docs/server.md, "Notifications"), and the contacts they go to
    R"(CREATE TABLE notifications(
         id INTEGER PRIMARY KEY,
         dedupe_key TEXT NOT NULL UNIQUE,
         channel TEXT NOT NULL,
         recipient TEXT NOT NULL,
         serial TEXT NOT NULL DEFAULT '',
         subject TEXT NOT NULL,
         body TEXT NOT NULL,
         created INTEGER NOT NULL,
         queued_at INTEGER NOT NULL,
         state TEXT NOT NULL,
         attempts INTEGER NOT NULL DEFAULT 0,
         next_attempt INTEGER NOT NULL,
         last_attempt INTEGER NOT NULL DEFAULT 0,
         last_error TEXT NOT NULL DEFAULT '',
         sent_time INTEGER NOT NULL DEFAULT 0);
       CREATE INDEX notifications_due ON notifications(state, next_attempt);
       CREATE INDEX notifications_by_recipient ON notifications(recipient, sent_time);
       CREATE INDEX notifications_by_serial ON notifications(serial, id);
       CREATE INDEX notifications_by_channel ON notifications(channel, id);
       ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
       ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
       ALTER TABLE meters ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
       ALTER TABLE meters ADD COLUMN contact_email TEXT NOT NULL DEFAULT '';
       ALTER TABLE meters ADD COLUMN contact_phone TEXT NOT NULL DEFAULT '';)",
    // 10 (issue 14, prepaid notices): what each meter's customer was last told
    // (server/prepaid_notice.hpp)
    R"(CREATE TABLE prepaid_notices(
         serial TEXT PRIMARY KEY,
         announced_payment_id INTEGER NOT NULL,
         low_sent INTEGER NOT NULL,
         closed_sent INTEGER NOT NULL) WITHOUT ROWID;)",
    // 11 (issue 14, rules): who gets a rule's notifications and on which channels
    // (docs/alarms.md, "Who is notified"); the defaults keep the earlier rules as they were
    R"(ALTER TABLE alarm_rules ADD COLUMN recipients TEXT NOT NULL DEFAULT 'operators';
       ALTER TABLE alarm_rules ADD COLUMN channels TEXT NOT NULL DEFAULT '';)",
    // 12 (issue 15, metrics): counters kept as they happen, so GET /metrics need not count the
    // samples table (docs/metrics.md), and the commands by reply time for the round trips
    R"(CREATE TABLE counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
       INSERT INTO counters(name, value) SELECT 'samples_stored', COUNT(*) FROM samples;
       CREATE INDEX commands_by_reply ON commands(reply_time);)",
    // 13 (issue 15, import mlw): how far an import got per source table, and the meters'
    // default prices (store/imports.hpp, docs/migrating.md)
    R"(CREATE TABLE import_progress(source TEXT NOT NULL, tbl TEXT NOT NULL,
         last_key INTEGER NOT NULL, PRIMARY KEY(source, tbl)) WITHOUT ROWID;
       CREATE TABLE meter_default_prices(serial TEXT PRIMARY KEY, price TEXT NOT NULL)
         WITHOUT ROWID;)",
    // 14 (issue 16, key changes): the key a meter is being moved to, and since when
    // (store/meters.hpp, docs/security.md "Changing a key")
    R"(ALTER TABLE meters ADD COLUMN next_key TEXT NOT NULL DEFAULT '';
       ALTER TABLE meters ADD COLUMN next_key_since INTEGER NOT NULL DEFAULT 0;)",
    // 15 (issue 17, workers): leases for the work only one of several `run` processes does
    // (store/leases.hpp)
    R"(CREATE TABLE leases(name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires INTEGER NOT NULL)
         WITHOUT ROWID;)",
    // 16 (issue 17, storage): packed days, one meter's samples of one UTC day in one value
    // (server/sample_pack.hpp, server/sample_days.hpp)
    R"(CREATE TABLE sample_days(
         serial TEXT NOT NULL,
         day INTEGER NOT NULL,
         samples INTEGER NOT NULL,
         first_time INTEGER NOT NULL,
         last_time INTEGER NOT NULL,
         data BLOB NOT NULL,
         PRIMARY KEY(serial, day));)",
    // 17 (issue 18, second factor): a user's TOTP secret and its recovery codes' hashes
    // (store/users.hpp, docs/security.md "Second factor")
    R"(CREATE TABLE user_totp(
         user TEXT PRIMARY KEY REFERENCES users(name) ON DELETE CASCADE,
         secret TEXT NOT NULL,
         confirmed INTEGER NOT NULL,
         last_step INTEGER NOT NULL,
         created INTEGER NOT NULL) WITHOUT ROWID;
       CREATE TABLE user_recovery_codes(
         user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
         hash TEXT NOT NULL,
         PRIMARY KEY(user, hash)) WITHOUT ROWID;)",
    // 18 (issue 18, residents): the residents, their meters, login codes and sessions
    // (store/residents.hpp, docs/residents.md)
    R"(CREATE TABLE residents(
         id INTEGER PRIMARY KEY,
         name TEXT NOT NULL,
         email TEXT NOT NULL,
         phone TEXT NOT NULL,
         language TEXT NOT NULL,
         password_hash TEXT NOT NULL,
         created INTEGER NOT NULL,
         invited_by TEXT NOT NULL);
       CREATE INDEX residents_by_email ON residents(lower(email)) WHERE email <> '';
       CREATE INDEX residents_by_phone ON residents(phone) WHERE phone <> '';
       CREATE TABLE resident_meters(
         resident_id INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
         serial TEXT NOT NULL,
         PRIMARY KEY(resident_id, serial)) WITHOUT ROWID;
       CREATE INDEX resident_meters_by_serial ON resident_meters(serial);
       CREATE TABLE resident_codes(
         id INTEGER PRIMARY KEY,
         resident_id INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
         code_hash TEXT NOT NULL,
         created INTEGER NOT NULL,
         expires INTEGER NOT NULL,
         tries INTEGER NOT NULL,
         used INTEGER NOT NULL,
         address TEXT NOT NULL);
       CREATE INDEX resident_codes_by_resident ON resident_codes(resident_id, created);
       CREATE INDEX resident_codes_by_address ON resident_codes(address, created);
       CREATE TABLE resident_sessions(
         id_hash TEXT PRIMARY KEY,
         resident_id INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
         csrf TEXT NOT NULL,
         created INTEGER NOT NULL,
         expires INTEGER NOT NULL,
         remote TEXT NOT NULL);
       CREATE INDEX resident_sessions_by_resident ON resident_sessions(resident_id);)",
    // 19 (issue 18): which prepaid notices a resident gets, and on which channel
    // (store/residents.hpp, ResidentNotices)
    R"(ALTER TABLE residents ADD COLUMN notices TEXT NOT NULL DEFAULT 'all';
       ALTER TABLE residents ADD COLUMN notice_channel TEXT NOT NULL DEFAULT '';)",
    // 20 (issue 18): a resident's own low-credit threshold, and what they were last told
    R"(ALTER TABLE residents ADD COLUMN low_days INTEGER NOT NULL DEFAULT 0;
       CREATE TABLE resident_prepaid_notices(
         resident_id INTEGER NOT NULL REFERENCES residents(id) ON DELETE CASCADE,
         serial TEXT NOT NULL,
         announced_payment_id INTEGER NOT NULL,
         low_sent INTEGER NOT NULL,
         closed_sent INTEGER NOT NULL,
         PRIMARY KEY(resident_id, serial)) WITHOUT ROWID;)",
    // 21 (issue 18): the heating degree days the residents' consumption is corrected for
    // (store/weather.hpp), exact decimals as text
    R"(CREATE TABLE degree_days(day INTEGER PRIMARY KEY, value TEXT NOT NULL);)",
};

}  // namespace

// Pages kept in memory by a connection, at most (SQLite's default is 2 MiB): ingest touches the
// newest page of every meter's samples and rollups in each batch, 4 KiB each, so a fleet of a
// few thousand meters is held whole instead of read back from the file for every sample
// (bench/RESULTS.md, "The ingest pipeline alone").
constexpr std::string_view kCacheSize = "PRAGMA cache_size=-32768";  // KiB

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  ML_TRY(sq::make_private_directories(std::filesystem::path(path).parent_path().string()));
  auto db = sq::Db::open(path);
  if (!db) return db.error();
  ML_TRY(db->exec(kCacheSize));
  ML_TRY(db->migrate(kMigrations));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db).value()));
}

std::int64_t SqliteStore::latest_schema_version() {
  return static_cast<std::int64_t>(std::size(kMigrations));
}

core::Result<std::int64_t> SqliteStore::schema_version_of(const std::string& path) {
  auto db = sq::Db::open_read_only(path);
  if (!db) return db.error();
  return db->schema_version();
}

core::Result<std::unique_ptr<SqliteStore>> SqliteStore::open_read_only(const std::string& path) {
  auto db = sq::Db::open_read_only(path);
  if (!db) return db.error();
  auto version = db->schema_version();
  if (!version) return version.error();
  ML_TRY(check_read_only_schema(path, *version, latest_schema_version()));
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db).value()));
}

core::Status SqliteStore::write_transaction(const std::function<core::Status()>& writes) {
  sq::Transaction tx(db_);  // rolled back unless committed, also when `writes` throws
  ML_TRY(tx.begun());
  ML_TRY(writes());
  return tx.commit();
}

core::Status SqliteStore::set_lazy_commits(bool lazy) {
  // Lazy: commits are not synced, and the WAL is copied into the database file every 64 MiB
  // instead of every 4 MiB (SQLite's default), so that a page every batch changes (the newest
  // samples of a meter, its rollups) is copied once for many batches.
  if (lazy) return db_.exec("PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=16384");
  ML_TRY(db_.exec("PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=1000"));  // as sq::Db::open
  // A write committed with FULL syncs the WAL, and with it every frame the lazy commits wrote
  // (a checkpoint under NORMAL synced the earlier ones into the database file).
  ML_TRY(write_transaction([&]() -> core::Status {
    return db_.exec(
        "INSERT INTO counters(name, value) VALUES('samples_stored', 0) "
        "ON CONFLICT(name) DO UPDATE SET value = value");
  }));
  // The WAL into the database file now, as far as readers allow, rather than at the next commit.
  return db_.exec("PRAGMA wal_checkpoint(PASSIVE)");
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

}  // namespace ml::server
