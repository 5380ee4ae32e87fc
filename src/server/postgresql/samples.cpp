// PostgresStore: samples, rollups, diagnostics, events and rejections (store/samples.hpp).
#include "core/bytes.hpp"
#include "core/decimal.hpp"
#include "server/postgresql/rows.hpp"
#include "server/postgresql/store.hpp"
#include "server/rollup.hpp"
#include "server/sample_record.hpp"

namespace ml::server {
namespace {

namespace pg = platform::postgresql;
using namespace postgresql_rows;

// Row `i` of (time, raw, energy_kwh, volume_m3), read as every backend reads a sample.
StoredSample samples_read_sample(const pg::Rows& rows, int i, const std::string& serial) {
  return stored_sample(serial, rows.int64(i, 0), rows.text(i, 1), rows.opt_text(i, 2),
                       rows.opt_text(i, 3));
}

std::vector<StoredSample> samples_read_samples(const pg::Rows& rows, const std::string& serial) {
  std::vector<StoredSample> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i)
    out.push_back(samples_read_sample(rows, i, serial));
  return out;
}

std::optional<StoredSample> samples_one_sample(const pg::Rows& rows, const std::string& serial) {
  if (rows.empty()) return std::nullopt;
  return samples_read_sample(rows, 0, serial);
}

std::vector<SerialRejection> samples_read_serial_rejections(const pg::Rows& rows) {
  std::vector<SerialRejection> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back(
        {rows.text(i, 0), rows.text(i, 1), rows.int64(i, 2), rows.int64(i, 3), rows.int64(i, 4)});
  }
  return out;
}

}  // namespace

core::Result<std::map<std::string, Diagnostic>> PostgresStore::diagnostics(
    const std::string& serial) {
  auto r = db_.query("SELECT function, value, time FROM diagnostics WHERE serial=$1", {serial});
  if (!r) return r.error();
  std::map<std::string, Diagnostic> out;
  for (int i = 0; i < r->size(); ++i)
    out[r->text(i, 0)] = {r->text(i, 1), r->int64(i, 2)};
  return out;
}

// ---- persistence (the rules: server/store_ingest.hpp) ----

core::Result<bool> PostgresStore::insert_sample(const SampleRecord& r) {
  ML_TRY(ensure_sample_partition(r.time));
  // The sample and the count of stored samples in one statement: the count only when the
  // sample is new (a duplicate delivery inserts nothing and returns no row).
  auto q = db_.query(
      "WITH ins AS (INSERT INTO samples(serial, time, energy_kwh, volume_m3, raw, received, "
      "quirks) VALUES($1,$2,$3,$4,$5,$6,$7) ON CONFLICT(serial, time) DO NOTHING RETURNING 1) "
      "INSERT INTO counters(name, value) SELECT 'samples_stored', 1 FROM ins "
      "ON CONFLICT(name) DO UPDATE SET value = counters.value + 1 RETURNING 1",
      {r.serial, r.time, decimal_text(r.energy_kwh), decimal_text(r.volume_m3), r.text, r.received,
       r.quirks.empty() ? std::nullopt : std::optional<std::string>(r.quirks)});
  if (!q) return q.error();
  return !q->empty();
}

namespace {

constexpr const char* kSamplesRollupColumns =
    "samples, first_time, last_time, energy_first, energy_last, volume_first, volume_last, sums";

// The columns kSamplesRollupColumns of row `i` from column `c` on, into r.
core::Status samples_read_rollup(const pg::Rows& rows, int i, int c, Rollup& r) {
  r.samples = rows.int64(i, c);
  r.first_time = rows.int64(i, c + 1);
  r.last_time = rows.int64(i, c + 2);
  r.energy_first = rows.opt_text(i, c + 3);
  r.energy_last = rows.opt_text(i, c + 4);
  r.volume_first = rows.opt_text(i, c + 5);
  r.volume_last = rows.opt_text(i, c + 6);
  auto sums = decode_sums(rows.text(i, c + 7));
  if (!sums) return sums.error();
  r.sums = std::move(sums).value();
  return core::Ok{};
}

}  // namespace

core::Result<Rollup> PostgresStore::rollup_bucket(const std::string& serial, Period period,
                                                  std::int64_t bucket) {
  auto q = db_.query(std::string("SELECT ") + kSamplesRollupColumns +
                         " FROM rollups WHERE serial=$1 AND period=$2 AND bucket=$3",
                     {serial, static_cast<std::int64_t>(period), bucket});
  if (!q) return q.error();
  Rollup r;
  r.serial = serial;
  r.bucket = bucket;
  if (!q->empty()) ML_TRY(samples_read_rollup(*q, 0, 0, r));
  return r;
}

core::Status PostgresStore::write_rollup(Period period, const Rollup& r) {
  auto q = db_.query(
      "INSERT INTO rollups(serial, period, bucket, samples, first_time, last_time, energy_first, "
      "energy_last, volume_first, volume_last, sums) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) "
      "ON CONFLICT(serial, period, bucket) DO UPDATE SET samples=excluded.samples, "
      "first_time=excluded.first_time, last_time=excluded.last_time, "
      "energy_first=excluded.energy_first, energy_last=excluded.energy_last, "
      "volume_first=excluded.volume_first, volume_last=excluded.volume_last, "
      "sums=excluded.sums",
      {r.serial, static_cast<std::int64_t>(period), r.bucket, r.samples, r.first_time, r.last_time,
       r.energy_first, r.energy_last, r.volume_first, r.volume_last, encode_sums(r.sums)});
  if (!q) return q.error();
  return core::Ok{};
}

core::Result<std::optional<Diagnostic>> PostgresStore::diagnostic(const std::string& serial,
                                                                  const std::string& function) {
  auto q = db_.query("SELECT value, time FROM diagnostics WHERE serial=$1 AND function=$2",
                     {serial, function});
  if (!q) return q.error();
  std::optional<Diagnostic> out;
  if (!q->empty()) out = Diagnostic{q->text(0, 0), q->int64(0, 1)};
  return out;
}

core::Result<bool> PostgresStore::write_diagnostic_if_newer(const std::string& serial,
                                                            const std::string& function,
                                                            const Diagnostic& value,
                                                            std::int64_t received) {
  auto q = db_.query(
      "INSERT INTO diagnostics(serial, function, value, time, received) VALUES($1,$2,$3,$4,$5) "
      "ON CONFLICT(serial, function) DO UPDATE SET value=excluded.value, "
      "time=excluded.time, received=excluded.received WHERE excluded.time >= diagnostics.time",
      {serial, function, value.text, value.time, received});
  if (!q) return q.error();
  return q->affected() > 0;
}

core::Status PostgresStore::add_event(const std::string& serial, const Event& e) {
  auto q = db_.query("INSERT INTO events(serial, time, kind, detail) VALUES($1,$2,$3,$4)",
                     {serial, e.time, e.kind, e.detail});
  if (!q) return q.error();
  return core::Ok{};
}

core::Status PostgresStore::count_rejection(const std::string& reason) {
  auto q = db_.query(
      "INSERT INTO rejections(reason, count) VALUES($1, 1) "
      "ON CONFLICT(reason) DO UPDATE SET count = rejections.count + 1",
      {reason});
  if (!q) return q.error();
  return core::Ok{};
}

core::Status PostgresStore::count_serial_rejection(const std::string& serial,
                                                   const std::string& reason, std::int64_t time) {
  auto q = db_.query(
      "INSERT INTO rejections_by_serial(serial, reason, count, first_time, last_time) "
      "VALUES($1, $2, 1, $3, $3) ON CONFLICT(serial, reason) DO UPDATE SET "
      "count = rejections_by_serial.count + 1, "
      "last_time = GREATEST(rejections_by_serial.last_time, excluded.last_time)",
      {serial, reason, time});
  if (!q) return q.error();
  return core::Ok{};
}

core::Result<std::int64_t> PostgresStore::quarantine(const Rejection& r) {
  auto q = db_.query(
      "INSERT INTO quarantine(received, reason, topic, detail, payload) "
      "VALUES($1,$2,$3,$4,decode($5,'hex')) RETURNING id",
      {r.time, r.reason, r.topic, r.detail, core::to_hex(r.payload)});
  if (!q) return q.error();
  return q->int64(0, 0);
}

core::Status PostgresStore::trim_quarantine(std::int64_t kept) {
  auto q = db_.query(
      "DELETE FROM quarantine WHERE id <= (SELECT MAX(id) FROM quarantine) - $1::bigint", {kept});
  if (!q) return q.error();
  return core::Ok{};
}

core::Status PostgresStore::trim_serial_rejections(std::int64_t kept) {
  auto q = db_.query(
      "DELETE FROM rejections_by_serial WHERE serial NOT IN (SELECT serial FROM "
      "rejections_by_serial GROUP BY serial ORDER BY MAX(last_time) DESC, serial COLLATE \"C\" "
      "LIMIT $1)",
      {kept});
  if (!q) return q.error();
  return core::Ok{};
}

core::Result<std::map<std::string, std::int64_t>> PostgresStore::rejection_counts() {
  auto q = db_.query("SELECT reason, count FROM rejections");
  if (!q) return q.error();
  std::map<std::string, std::int64_t> out;
  for (int i = 0; i < q->size(); ++i)
    out[q->text(i, 0)] = q->int64(i, 1);
  return out;
}

core::Result<std::vector<SerialRejection>> PostgresStore::rejections_for(
    const std::string& serial) {
  auto q = db_.query(
      "SELECT serial, reason, count, first_time, last_time FROM rejections_by_serial "
      "WHERE serial=$1 ORDER BY reason COLLATE \"C\"",
      {serial});
  if (!q) return q.error();
  return samples_read_serial_rejections(*q);
}

core::Result<std::vector<SerialRejection>> PostgresStore::unknown_serials(int limit) {
  auto q = db_.query(
      "SELECT serial, reason, count, first_time, last_time FROM rejections_by_serial "
      "WHERE reason='unknown_serial' AND serial NOT IN (SELECT serial FROM meters) "
      "ORDER BY last_time DESC, serial COLLATE \"C\" LIMIT $1",
      {std::int64_t{limit}});
  if (!q) return q.error();
  return samples_read_serial_rejections(*q);
}

core::Result<std::vector<SerialRejection>> PostgresStore::recent_rejections(std::int64_t since,
                                                                            int limit) {
  auto q = db_.query(
      "SELECT serial, reason, count, first_time, last_time FROM rejections_by_serial "
      "WHERE last_time>=$1 ORDER BY last_time DESC, serial COLLATE \"C\", reason COLLATE \"C\" "
      "LIMIT $2",
      {since, std::int64_t{limit}});
  if (!q) return q.error();
  return samples_read_serial_rejections(*q);
}

// ---- reading ----

core::Result<std::vector<StoredSample>> PostgresStore::samples(const std::string& serial,
                                                               std::int64_t from, std::int64_t to) {
  auto q = db_.query(
      "SELECT time, raw, energy_kwh, volume_m3 FROM samples WHERE serial=$1 AND time>=$2 AND "
      "time<=$3 ORDER BY time",
      {serial, from, to});
  if (!q) return q.error();
  return samples_read_samples(*q, serial);
}

core::Result<std::vector<std::int64_t>> PostgresStore::sample_times(const std::string& serial,
                                                                    std::int64_t from,
                                                                    std::int64_t to) {
  auto q =
      db_.query("SELECT time FROM samples WHERE serial=$1 AND time>=$2 AND time<=$3 ORDER BY time",
                {serial, from, to});
  if (!q) return q.error();
  std::vector<std::int64_t> out;
  out.reserve(static_cast<std::size_t>(q->size()));
  for (int i = 0; i < q->size(); ++i)
    out.push_back(q->int64(i, 0));
  return out;
}

core::Result<std::vector<StoredSample>> PostgresStore::samples_page(const std::string& serial,
                                                                    std::int64_t from,
                                                                    std::int64_t to,
                                                                    std::size_t limit) {
  auto q = db_.query(
      "SELECT time, raw, energy_kwh, volume_m3 FROM samples WHERE serial=$1 AND time>=$2 AND "
      "time<=$3 ORDER BY time LIMIT $4",
      {serial, from, to, static_cast<std::int64_t>(limit)});
  if (!q) return q.error();
  return samples_read_samples(*q, serial);
}

core::Result<std::optional<StoredSample>> PostgresStore::latest_sample(const std::string& serial) {
  auto q = db_.query(
      "SELECT time, raw, energy_kwh, volume_m3 FROM samples WHERE serial=$1 "
      "ORDER BY time DESC LIMIT 1",
      {serial});
  if (!q) return q.error();
  return samples_one_sample(*q, serial);
}

core::Result<std::optional<StoredSample>> PostgresStore::first_sample_since(
    const std::string& serial, std::int64_t from) {
  auto q = db_.query(
      "SELECT time, raw, energy_kwh, volume_m3 FROM samples WHERE serial=$1 AND time>=$2 "
      "ORDER BY time LIMIT 1",
      {serial, from});
  if (!q) return q.error();
  return samples_one_sample(*q, serial);
}

core::Result<std::vector<Rollup>> PostgresStore::rollups(const std::string& serial, Period period,
                                                         std::int64_t from, std::int64_t to) {
  auto q = db_.query(std::string("SELECT bucket, ") + kSamplesRollupColumns +
                         " FROM rollups WHERE serial=$1 AND period=$2 AND bucket>=$3 AND "
                         "bucket<=$4 ORDER BY bucket",
                     {serial, static_cast<std::int64_t>(period), from, to});
  if (!q) return q.error();
  std::vector<Rollup> out;
  out.reserve(static_cast<std::size_t>(q->size()));
  for (int i = 0; i < q->size(); ++i) {
    Rollup r;
    r.serial = serial;
    r.bucket = q->int64(i, 0);
    ML_TRY(samples_read_rollup(*q, i, 1, r));  // the first bad row, as SQLite reports it
    out.push_back(std::move(r));
  }
  return out;
}

core::Result<std::vector<Event>> PostgresStore::events(const std::string& serial) {
  auto q = db_.query("SELECT time, kind, detail FROM events WHERE serial=$1 ORDER BY id", {serial});
  if (!q) return q.error();
  std::vector<Event> out;
  out.reserve(static_cast<std::size_t>(q->size()));
  for (int i = 0; i < q->size(); ++i)
    out.push_back({q->int64(i, 0), q->text(i, 1), q->text(i, 2)});
  return out;
}

}  // namespace ml::server
