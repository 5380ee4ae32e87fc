// PostgresStore: samples, rollups, diagnostics, events and rejections (store/samples.hpp).
#include <unordered_map>

#include "core/bytes.hpp"
#include "core/decimal.hpp"
#include "server/postgresql/rows.hpp"
#include "server/postgresql/store.hpp"
#include "server/rollup.hpp"
#include "server/sample_pack.hpp"
#include "server/sample_record.hpp"

namespace ml::server {
namespace {

namespace pg = platform::postgresql;
using namespace postgresql_rows;

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
      "INSERT INTO counters(name, value) SELECT $8, 1 FROM ins "
      "ON CONFLICT(name) DO UPDATE SET value = counters.value + 1 RETURNING 1",
      {r.serial, r.time, decimal_text(r.energy_kwh), decimal_text(r.volume_m3), r.text, r.received,
       r.quirks.empty() ? std::nullopt : std::optional<std::string>(r.quirks), samples_counter_});
  if (!q) return q.error();
  return !q->empty();
}

namespace {

constexpr const char* kSamplesRollupColumns =
    "samples, first_time, last_time, energy_first, energy_last, volume_first, volume_last, sums";
// The same without the sums (an empty text in their place): the fleet's reading.
constexpr const char* kSamplesRollupReadings =
    "samples, first_time, last_time, energy_first, energy_last, volume_first, volume_last, ''";

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

// A batch in one statement each (store/samples.hpp): the columns as arrays, unnest() gives the
// rows back.
core::Result<std::vector<bool>> PostgresStore::insert_samples(
    const std::vector<SampleRecord>& records) {
  std::vector<bool> stored(records.size(), false);
  if (records.empty()) return stored;
  ArrayLiteral serial, time, energy, volume, raw, received, quirks;
  for (const auto& r : records) {
    ML_TRY(ensure_sample_partition(r.time));
    serial.add(r.serial);
    time.add(r.time);
    energy.add(decimal_text(r.energy_kwh));
    volume.add(decimal_text(r.volume_m3));
    raw.add(r.text);
    received.add(r.received);
    quirks.add(r.quirks.empty() ? std::nullopt : std::optional<std::string>(r.quirks));
  }
  // The samples, and the count of stored samples by as many as were new; the keys of those
  // stored. (In the records' order, without sorting them again or joining the keys back to their
  // numbers in SQL: that took half the statement's time, and its sort spilled to disk.)
  auto q = db_.query(
      "WITH ins AS (INSERT INTO samples(serial, time, energy_kwh, volume_m3, raw, received, "
      "quirks) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], "
      "$6::bigint[], $7::text[]) ON CONFLICT(serial, time) DO NOTHING RETURNING serial, time), "
      "counted AS (INSERT INTO counters(name, value) SELECT $8, count(*) FROM ins "
      "HAVING count(*) > 0 ON CONFLICT(name) DO UPDATE SET value = counters.value + "
      "excluded.value) "
      "SELECT serial, time FROM ins",
      {serial.text(), time.text(), energy.text(), volume.text(), raw.text(), received.text(),
       quirks.text(), samples_counter_});
  if (!q) return q.error();
  if (q->size() == 0) return stored;
  // A key twice in the records is stored once, as the first of them (as one by one).
  using Key = std::pair<std::string_view, std::int64_t>;
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<std::string_view>()(k.first) ^ (std::hash<std::int64_t>()(k.second) * 31);
    }
  };
  std::unordered_map<Key, std::size_t, KeyHash> first;
  first.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i)
    first.emplace(Key{records[i].serial, records[i].time}, i);
  for (int row = 0; row < q->size(); ++row) {
    const std::string key_serial = q->text(row, 0);
    if (auto it = first.find(Key{key_serial, q->int64(row, 1)}); it != first.end())
      stored[it->second] = true;
  }
  return stored;
}

core::Result<std::vector<Rollup>> PostgresStore::rollup_buckets(
    Period period, const std::vector<std::pair<std::string, std::int64_t>>& buckets) {
  std::vector<Rollup> out(buckets.size());
  if (buckets.empty()) return out;
  ArrayLiteral serials, starts;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    out[i].serial = buckets[i].first;
    out[i].bucket = buckets[i].second;
    serials.add(buckets[i].first);
    starts.add(buckets[i].second);
  }
  auto q = db_.query(std::string("SELECT k.n, ") + kSamplesRollupColumns +
                         " FROM unnest($2::text[], $3::bigint[]) WITH ORDINALITY AS k(serial, "
                         "bucket, n) JOIN rollups r ON r.serial = k.serial AND r.period = "
                         "$1::bigint AND r.bucket = k.bucket",
                     {static_cast<std::int64_t>(period), serials.text(), starts.text()});
  if (!q) return q.error();
  for (int i = 0; i < q->size(); ++i) {
    const auto n = q->int64(i, 0);
    if (n < 1 || n > static_cast<std::int64_t>(buckets.size())) continue;
    ML_TRY(samples_read_rollup(*q, i, 1, out[static_cast<std::size_t>(n - 1)]));
  }
  return out;
}

core::Status PostgresStore::write_rollups(Period period, const std::vector<Rollup>& rollups) {
  if (rollups.empty()) return core::Ok{};
  ArrayLiteral serial, bucket, samples, first_time, last_time, energy_first, energy_last,
      volume_first, volume_last, sums;
  for (const auto& r : rollups) {
    serial.add(r.serial);
    bucket.add(r.bucket);
    samples.add(r.samples);
    first_time.add(r.first_time);
    last_time.add(r.last_time);
    energy_first.add(r.energy_first);
    energy_last.add(r.energy_last);
    volume_first.add(r.volume_first);
    volume_last.add(r.volume_last);
    sums.add(encode_sums(r.sums));
  }
  auto q = db_.query(
      "INSERT INTO rollups(serial, period, bucket, samples, first_time, last_time, energy_first, "
      "energy_last, volume_first, volume_last, sums) SELECT serial, $1::bigint, bucket, samples, "
      "first_time, last_time, energy_first, energy_last, volume_first, volume_last, sums FROM "
      "unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], "
      "$8::text[], $9::text[], $10::text[], $11::text[]) AS v(serial, bucket, samples, "
      "first_time, last_time, energy_first, energy_last, volume_first, volume_last, sums) "
      "ON CONFLICT(serial, period, bucket) DO UPDATE SET samples=excluded.samples, "
      "first_time=excluded.first_time, last_time=excluded.last_time, "
      "energy_first=excluded.energy_first, energy_last=excluded.energy_last, "
      "volume_first=excluded.volume_first, volume_last=excluded.volume_last, "
      "sums=excluded.sums",
      {static_cast<std::int64_t>(period), serial.text(), bucket.text(), samples.text(),
       first_time.text(), last_time.text(), energy_first.text(), energy_last.text(),
       volume_first.text(), volume_last.text(), sums.text()});
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

// ---- the whole fleet ----

core::Result<std::vector<MeterDiagnostic>> PostgresStore::every_diagnostic() {
  auto r = db_.query("SELECT serial, function, value, time FROM diagnostics ORDER BY serial");
  if (!r) return r.error();
  std::vector<MeterDiagnostic> out;
  out.reserve(static_cast<std::size_t>(r->size()));
  for (int i = 0; i < r->size(); ++i)
    out.push_back({r->text(i, 0), r->text(i, 1), {r->text(i, 2), r->int64(i, 3)}});
  return out;
}

core::Result<std::vector<Rollup>> PostgresStore::every_rollup(Period period, std::int64_t from,
                                                              std::int64_t to) {
  auto q = db_.query(std::string("SELECT serial, bucket, ") + kSamplesRollupReadings +
                         " FROM rollups WHERE period=$1 AND bucket>=$2 AND bucket<=$3 AND "
                         "serial IN (SELECT serial FROM meters) ORDER BY serial, bucket",
                     {static_cast<std::int64_t>(period), from, to});
  if (!q) return q.error();
  std::vector<Rollup> out;
  out.reserve(static_cast<std::size_t>(q->size()));
  for (int i = 0; i < q->size(); ++i) {
    Rollup r;
    r.serial = q->text(i, 0);
    r.bucket = q->int64(i, 1);
    ML_TRY(samples_read_rollup(*q, i, 2, r));
    out.push_back(std::move(r));
  }
  return out;
}

core::Result<std::vector<MeterSampleRow>> PostgresStore::every_rate_window(std::int64_t since,
                                                                           std::int64_t span) {
  // Each meter's two samples through the primary key (serial, time), the oldest by a lateral
  // read of one row.
  auto q = db_.query(
      "SELECT m.serial, s.time, s.raw, s.energy_kwh, s.volume_m3 FROM meters m JOIN samples s "
      "ON s.serial=m.serial AND s.time=m.last_sample_time WHERE m.last_sample_time>=$1 "
      "UNION ALL "
      "SELECT m.serial, f.time, f.raw, f.energy_kwh, f.volume_m3 FROM meters m CROSS JOIN LATERAL "
      "(SELECT x.time, x.raw, x.energy_kwh, x.volume_m3 FROM samples x WHERE x.serial=m.serial "
      "AND x.time>=m.last_sample_time-$2 ORDER BY x.time LIMIT 1) f WHERE m.last_sample_time>=$1 "
      "ORDER BY 1, 2",
      {since, span});
  if (!q) return q.error();
  std::vector<MeterSampleRow> out;
  out.reserve(static_cast<std::size_t>(q->size()));
  for (int i = 0; i < q->size(); ++i) {
    out.push_back(
        {q->text(i, 0), {q->int64(i, 1), q->text(i, 2), q->opt_text(i, 3), q->opt_text(i, 4)}});
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

// ---- the two places a sample is kept (server/sample_days.hpp) ----

core::Result<std::vector<SampleRow>> PostgresStore::unpacked_samples(const std::string& serial,
                                                                     const SampleRange& range,
                                                                     bool times_only) {
  auto q =
      db_.query(std::string("SELECT time") + (times_only ? "" : ", raw, energy_kwh, volume_m3") +
                    " FROM samples WHERE serial=$1 AND time>=$2 AND time<=$3 ORDER BY time" +
                    (range.newest_first ? " DESC" : "") + " LIMIT $4",
                {serial, range.from, range.to, range.sql_limit()});
  if (!q) return q.error();
  std::vector<SampleRow> out(static_cast<std::size_t>(q->size()));
  for (int i = 0; i < q->size(); ++i) {
    auto& r = out[static_cast<std::size_t>(i)];
    r.time = q->int64(i, 0);
    if (times_only) continue;
    r.text = q->text(i, 1);
    r.energy_kwh = q->opt_text(i, 2);
    r.volume_m3 = q->opt_text(i, 3);
  }
  return out;
}

core::Result<std::vector<PackedDay>> PostgresStore::packed_days(const std::string& serial,
                                                                const SampleRange& range) {
  // The days in order while the ones before hold fewer than `limit` samples; the first day's
  // samples are not counted, as the range may start after all of them.
  const std::string order = range.newest_first ? " DESC" : "";
  auto q = db_.query(
      "SELECT day, samples, first_time, last_time, encode(data, 'hex') FROM ("
      "SELECT day, samples, first_time, last_time, data, "
      "SUM(samples) OVER (ORDER BY day" +
          order +
          ") - samples AS earlier, "
          "FIRST_VALUE(samples) OVER (ORDER BY day" +
          order +
          ") AS first "
          "FROM sample_days WHERE serial=$1 AND last_time>=$2 AND first_time<=$3) d "
          "WHERE earlier - first < $4 ORDER BY day" +
          order,
      {serial, range.from, range.to, range.sql_limit()});
  if (!q) return q.error();
  std::vector<PackedDay> out;
  out.reserve(static_cast<std::size_t>(q->size()));
  for (int i = 0; i < q->size(); ++i) {
    auto data = core::from_hex(q->text(i, 4), kPackedMaxBytes);
    if (!data) return data.error();
    out.push_back(PackedDay{serial, q->int64(i, 0), q->int64(i, 1), q->int64(i, 2), q->int64(i, 3),
                            std::move(data).value()});
  }
  return out;
}

core::Result<std::vector<SampleRecord>> PostgresStore::unpacked_day(const std::string& serial,
                                                                    std::int64_t day) {
  auto q = db_.query(
      "SELECT time, raw, energy_kwh, volume_m3, received, quirks FROM samples "
      "WHERE serial=$1 AND time>=$2 AND time<$3 ORDER BY time",
      {serial, day * kDaySeconds, (day + 1) * kDaySeconds});
  if (!q) return q.error();
  std::vector<SampleRecord> out;
  out.reserve(static_cast<std::size_t>(q->size()));
  for (int i = 0; i < q->size(); ++i) {
    auto r = kept_record(serial, q->int64(i, 0), q->text(i, 1), q->opt_text(i, 2),
                         q->opt_text(i, 3), q->int64(i, 4), q->opt_text(i, 5));
    if (!r) return r.error();
    out.push_back(std::move(r).value());
  }
  return out;
}

core::Result<std::vector<std::pair<std::string, std::int64_t>>> PostgresStore::oldest_unpacked(
    std::int64_t before) {
  auto q = db_.query(
      "SELECT serial, t FROM (SELECT serial, (SELECT MIN(time) FROM samples s "
      "WHERE s.serial = m.serial AND s.time < $1) AS t FROM meters m) o "
      "WHERE t IS NOT NULL ORDER BY serial COLLATE \"C\"",
      {before});
  if (!q) return q.error();
  std::vector<std::pair<std::string, std::int64_t>> out;
  out.reserve(static_cast<std::size_t>(q->size()));
  for (int i = 0; i < q->size(); ++i)
    out.emplace_back(q->text(i, 0), q->int64(i, 1));
  return out;
}

core::Status PostgresStore::write_packed_day(const PackedDay& day,
                                             const std::vector<std::int64_t>& times) {
  auto q = db_.query(
      "INSERT INTO sample_days(serial, day, samples, first_time, last_time, data) "
      "VALUES($1,$2,$3,$4,$5,decode($6,'hex')) ON CONFLICT(serial, day) DO UPDATE SET "
      "samples=excluded.samples, first_time=excluded.first_time, last_time=excluded.last_time, "
      "data=excluded.data",
      {day.serial, day.day, day.samples, day.first_time, day.last_time, core::to_hex(day.data)});
  if (!q) return q.error();
  ArrayLiteral list;
  for (std::int64_t t : times)
    list.add(t);
  q = db_.query("DELETE FROM samples WHERE serial=$1 AND time = ANY($2::bigint[])",
                {day.serial, list.text()});
  if (!q) return q.error();
  return core::Ok{};
}

core::Result<std::vector<PackedDay>> PostgresStore::packed_days_of(
    const std::vector<std::pair<std::string, std::int64_t>>& keys) {
  std::vector<PackedDay> out;
  if (keys.empty()) return out;
  ArrayLiteral serials, days;
  for (const auto& [serial, day] : keys) {
    serials.add(serial);
    days.add(day);
  }
  auto q = db_.query(
      "SELECT d.serial, d.day, d.samples, d.first_time, d.last_time, encode(d.data, 'hex') "
      "FROM sample_days d JOIN unnest($1::text[], $2::bigint[]) AS k(serial, day) "
      "ON d.serial = k.serial AND d.day = k.day",
      {serials.text(), days.text()});
  if (!q) return q.error();
  out.reserve(static_cast<std::size_t>(q->size()));
  for (int i = 0; i < q->size(); ++i) {
    auto data = core::from_hex(q->text(i, 5), kPackedMaxBytes);
    if (!data) return data.error();
    out.push_back(PackedDay{q->text(i, 0), q->int64(i, 1), q->int64(i, 2), q->int64(i, 3),
                            q->int64(i, 4), std::move(data).value()});
  }
  return out;
}

core::Status PostgresStore::lock_meters(const std::vector<std::string>& serials) {
  if (serials.empty()) return core::Ok{};
  ArrayLiteral list;
  for (const auto& serial : serials)
    list.add(serial);
  auto q = db_.query(
      "SELECT 1 FROM meters WHERE serial = ANY($1::text[]) ORDER BY serial COLLATE \"C\" "
      "FOR UPDATE",
      {list.text()});
  if (!q) return q.error();
  return core::Ok{};
}

}  // namespace ml::server
