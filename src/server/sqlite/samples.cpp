// SqliteStore: samples, rollups, diagnostics, events and rejections (store/samples.hpp).
#include <array>

#include "core/decimal.hpp"
#include "server/rollup.hpp"
#include "server/sample_pack.hpp"
#include "server/sample_record.hpp"
#include "server/sqlite/rows.hpp"
#include "server/sqlite/store.hpp"

namespace ml::server {
namespace {

namespace sq = platform::sqlite;
using namespace sqlite_rows;

}  // namespace

core::Result<std::map<std::string, Diagnostic>> SqliteStore::diagnostics(
    const std::string& serial) {
  auto q = cached("SELECT function, value, time FROM diagnostics WHERE serial=?");
  if (!q) return q.error();
  (*q)->bind(1, serial);
  std::map<std::string, Diagnostic> out;
  auto& rows = **q;
  ML_TRY(each_row(rows, [&] { out[rows.text(0)] = {rows.text(1), rows.int64(2)}; }));
  return out;
}

// ---- persistence (the rules: server/store_ingest.hpp) ----

core::Result<bool> SqliteStore::insert_sample(const SampleRecord& r) {
  auto stored = insert_samples({r});
  if (!stored) return stored.error();
  return static_cast<bool>(stored->front());
}

// A batch: the count of stored samples moves once, by as many as were new.
core::Result<std::vector<bool>> SqliteStore::insert_samples(
    const std::vector<SampleRecord>& records) {
  std::vector<bool> stored(records.size(), false);
  auto q = cached(
      "INSERT INTO samples(serial, time, energy_kwh, volume_m3, raw, received, quirks) "
      "VALUES(?,?,?,?,?,?,?) ON CONFLICT(serial, time) DO NOTHING");
  if (!q) return q.error();
  std::int64_t added = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    (*q)->bind(1, r.serial).bind(2, r.time);
    bind_opt(**q, 3, decimal_text(r.energy_kwh));
    bind_opt(**q, 4, decimal_text(r.volume_m3));
    (*q)->bind(5, r.text).bind(6, r.received);
    bind_opt(**q, 7, r.quirks.empty() ? std::nullopt : std::optional<std::string>(r.quirks));
    ML_TRY((*q)->run());
    stored[i] = db_.changes() > 0;
    added += stored[i] ? 1 : 0;
  }
  if (added == 0) return stored;
  auto count = cached(
      "INSERT INTO counters(name, value) VALUES('samples_stored', ?) "
      "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value");
  if (!count) return count.error();
  ML_TRY((*count)->bind(1, added).run());
  return stored;
}

core::Result<Rollup> SqliteStore::rollup_bucket(const std::string& serial, Period period,
                                                std::int64_t bucket) {
  auto q = cached(
      "SELECT samples, first_time, last_time, energy_first, energy_last, volume_first, "
      "volume_last, sums FROM rollups WHERE serial=? AND period=? AND bucket=?");
  if (!q) return q.error();
  (*q)->bind(1, serial).bind(2, static_cast<std::int64_t>(period)).bind(3, bucket);
  auto row = (*q)->step();
  if (!row) return row.error();
  Rollup r;
  r.serial = serial;
  r.bucket = bucket;
  if (*row) {
    r.samples = (*q)->int64(0);
    r.first_time = (*q)->int64(1);
    r.last_time = (*q)->int64(2);
    r.energy_first = opt_text(**q, 3);
    r.energy_last = opt_text(**q, 4);
    r.volume_first = opt_text(**q, 5);
    r.volume_last = opt_text(**q, 6);
    auto sums = decode_sums((*q)->text(7));
    (*q)->reset();  // no open read statement between batches (it would pin the WAL)
    if (!sums) return sums.error();
    r.sums = std::move(sums).value();
  }
  (*q)->reset();
  return r;
}

core::Status SqliteStore::write_rollup(Period period, const Rollup& r) {
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
      ->bind(1, r.serial)
      .bind(2, static_cast<std::int64_t>(period))
      .bind(3, r.bucket)
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

core::Result<std::optional<Diagnostic>> SqliteStore::diagnostic(const std::string& serial,
                                                                const std::string& function) {
  auto q = cached("SELECT value, time FROM diagnostics WHERE serial=? AND function=?");
  if (!q) return q.error();
  (*q)->bind(1, serial).bind(2, function);
  auto row = (*q)->step();
  if (!row) return row.error();
  std::optional<Diagnostic> out;
  if (*row) out = Diagnostic{(*q)->text(0), (*q)->int64(1)};
  (*q)->reset();
  return out;
}

core::Result<bool> SqliteStore::write_diagnostic_if_newer(const std::string& serial,
                                                          const std::string& function,
                                                          const Diagnostic& value,
                                                          std::int64_t received) {
  auto q = cached(
      "INSERT INTO diagnostics(serial, function, value, time, received) VALUES(?,?,?,?,?) "
      "ON CONFLICT(serial, function) DO UPDATE SET value=excluded.value, "
      "time=excluded.time, received=excluded.received WHERE excluded.time >= diagnostics.time");
  if (!q) return q.error();
  ML_TRY((*q)->bind(1, serial)
             .bind(2, function)
             .bind(3, value.text)
             .bind(4, value.time)
             .bind(5, received)
             .run());
  return db_.changes() > 0;
}

core::Status SqliteStore::add_event(const std::string& serial, const Event& e) {
  auto q = cached("INSERT INTO events(serial, time, kind, detail) VALUES(?,?,?,?)");
  if (!q) return q.error();
  return (*q)->bind(1, serial).bind(2, e.time).bind(3, e.kind).bind(4, e.detail).run();
}

core::Status SqliteStore::count_rejection(const std::string& reason) {
  auto q = cached(
      "INSERT INTO rejections(reason, count) VALUES(?, 1) "
      "ON CONFLICT(reason) DO UPDATE SET count = count + 1");
  if (!q) return q.error();
  return (*q)->bind(1, reason).run();
}

core::Status SqliteStore::count_serial_rejection(const std::string& serial,
                                                 const std::string& reason, std::int64_t time) {
  auto q = cached(
      "INSERT INTO rejections_by_serial(serial, reason, count, first_time, last_time) "
      "VALUES(?1, ?2, 1, ?3, ?3) ON CONFLICT(serial, reason) DO UPDATE SET count = count + 1, "
      "last_time = MAX(last_time, ?3)");
  if (!q) return q.error();
  return (*q)->bind(1, serial).bind(2, reason).bind(3, time).run();
}

core::Result<std::int64_t> SqliteStore::quarantine(const Rejection& r) {
  auto q =
      cached("INSERT INTO quarantine(received, reason, topic, detail, payload) VALUES(?,?,?,?,?)");
  if (!q) return q.error();
  ML_TRY((*q)->bind(1, r.time)
             .bind(2, r.reason)
             .bind(3, r.topic)
             .bind(4, r.detail)
             .bind_blob(5, r.payload)
             .run());
  return db_.last_insert_id();
}

core::Status SqliteStore::trim_quarantine(std::int64_t kept) {
  auto q = cached("DELETE FROM quarantine WHERE id <= (SELECT MAX(id) FROM quarantine) - ?");
  if (!q) return q.error();
  return (*q)->bind(1, kept).run();
}

core::Status SqliteStore::trim_serial_rejections(std::int64_t kept) {
  auto q = cached(
      "DELETE FROM rejections_by_serial WHERE serial NOT IN (SELECT serial FROM "
      "rejections_by_serial GROUP BY serial ORDER BY MAX(last_time) DESC LIMIT ?)");
  if (!q) return q.error();
  return (*q)->bind(1, kept).run();
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

core::Result<std::vector<SerialRejection>> SqliteStore::recent_rejections(std::int64_t since,
                                                                          int limit) {
  auto q = db_.prepare(
      "SELECT serial, reason, count, first_time, last_time FROM rejections_by_serial "
      "WHERE last_time>=? ORDER BY last_time DESC, serial, reason LIMIT ?");
  if (!q) return q.error();
  q->bind(1, since).bind(2, std::int64_t{limit});
  std::vector<SerialRejection> out;
  ML_TRY(read_serial_rejections(*q, out));
  return out;
}

// ---- reading ----

namespace {

// The rollups a statement gives: its columns the serial (unless `serial` is given), bucket,
// samples, first_time, last_time, energy_first, energy_last, volume_first, volume_last, sums.
core::Result<std::vector<Rollup>> read_rollups(sq::Statement& q, const std::string* serial) {
  const int c = serial != nullptr ? 0 : 1;
  std::vector<Rollup> out;
  core::Status bad = core::Ok{};
  ML_TRY(each_row(q, [&] {
    Rollup r;
    r.serial = serial != nullptr ? *serial : q.text(0);
    r.bucket = q.int64(c);
    r.samples = q.int64(c + 1);
    r.first_time = q.int64(c + 2);
    r.last_time = q.int64(c + 3);
    r.energy_first = opt_text(q, c + 4);
    r.energy_last = opt_text(q, c + 5);
    r.volume_first = opt_text(q, c + 6);
    r.volume_last = opt_text(q, c + 7);
    auto sums = decode_sums(q.text(c + 8));
    if (sums) {
      r.sums = std::move(sums).value();
    } else if (bad) {
      bad = sums.error();
    }
    out.push_back(std::move(r));
  }));
  if (!bad) return bad.error();
  return out;
}

}  // namespace

core::Result<std::vector<Rollup>> SqliteStore::rollups(const std::string& serial, Period period,
                                                       std::int64_t from, std::int64_t to) {
  auto q = db_.prepare(
      "SELECT bucket, samples, first_time, last_time, energy_first, energy_last, volume_first, "
      "volume_last, sums FROM rollups WHERE serial=? AND period=? AND bucket>=? AND bucket<=? "
      "ORDER BY bucket");
  if (!q) return q.error();
  q->bind(1, serial).bind(2, static_cast<std::int64_t>(period)).bind(3, from).bind(4, to);
  return read_rollups(*q, &serial);
}

// ---- the whole fleet ----

core::Result<std::vector<MeterDiagnostic>> SqliteStore::every_diagnostic() {
  auto q = db_.prepare("SELECT serial, function, value, time FROM diagnostics ORDER BY serial");
  if (!q) return q.error();
  std::vector<MeterDiagnostic> out;
  ML_TRY(each_row(*q, [&] { out.push_back({q->text(0), q->text(1), {q->text(2), q->int64(3)}}); }));
  return out;
}

core::Result<std::vector<Rollup>> SqliteStore::every_rollup(Period period, std::int64_t from,
                                                            std::int64_t to) {
  // Meter by meter through the primary key (serial, period, bucket): a range of each; the sums
  // left out (an empty text in their place).
  auto q = db_.prepare(
      "SELECT r.serial, r.bucket, r.samples, r.first_time, r.last_time, r.energy_first, "
      "r.energy_last, r.volume_first, r.volume_last, '' FROM meters m JOIN rollups r "
      "ON r.serial=m.serial AND r.period=? AND r.bucket>=? AND r.bucket<=? "
      "ORDER BY r.serial, r.bucket");
  if (!q) return q.error();
  q->bind(1, static_cast<std::int64_t>(period)).bind(2, from).bind(3, to);
  return read_rollups(*q, nullptr);
}

core::Result<std::vector<MeterSampleRow>> SqliteStore::every_rate_window(std::int64_t since,
                                                                         std::int64_t span) {
  auto q = db_.prepare(
      "SELECT m.serial, s.time, s.raw, s.energy_kwh, s.volume_m3 FROM meters m JOIN samples s "
      "ON s.serial=m.serial AND s.time=m.last_sample_time WHERE m.last_sample_time>=?1 "
      "UNION ALL "
      "SELECT m.serial, s.time, s.raw, s.energy_kwh, s.volume_m3 FROM meters m JOIN samples s "
      "ON s.serial=m.serial AND s.time=(SELECT min(x.time) FROM samples x WHERE "
      "x.serial=m.serial AND x.time>=m.last_sample_time-?2) WHERE m.last_sample_time>=?1 "
      "ORDER BY 1, 2");
  if (!q) return q.error();
  q->bind(1, since).bind(2, span);
  std::vector<MeterSampleRow> out;
  ML_TRY(each_row(*q, [&] {
    out.push_back({q->text(0), {q->int64(1), q->text(2), opt_text(*q, 3), opt_text(*q, 4)}});
  }));
  return out;
}

core::Result<std::vector<Event>> SqliteStore::events(const std::string& serial) {
  auto q = db_.prepare("SELECT time, kind, detail FROM events WHERE serial=? ORDER BY id");
  if (!q) return q.error();
  q->bind(1, serial);
  std::vector<Event> out;
  ML_TRY(each_row(*q, [&] { out.push_back({q->int64(0), q->text(1), q->text(2)}); }));
  return out;
}

// ---- the two places a sample is kept (server/sample_days.hpp) ----

core::Result<std::vector<SampleRow>> SqliteStore::unpacked_samples(const std::string& serial,
                                                                   const SampleRange& range,
                                                                   bool times_only) {
  // Statements are cached by their text, which must outlive the cache: the four kinds, built once.
  static const std::array<std::string, 4> kSql = [] {
    std::array<std::string, 4> sql;
    for (int i = 0; i < 4; ++i) {
      sql[static_cast<std::size_t>(i)] =
          std::string("SELECT time") + (i & 2 ? "" : ", raw, energy_kwh, volume_m3") +
          " FROM samples WHERE serial=? AND time>=? AND time<=? ORDER BY time" +
          (i & 1 ? " DESC" : "") + " LIMIT ?";
    }
    return sql;
  }();
  auto q = cached(kSql[(times_only ? 2u : 0u) + (range.newest_first ? 1u : 0u)]);
  if (!q) return q.error();
  auto& rows = **q;
  rows.bind(1, serial).bind(2, range.from).bind(3, range.to).bind(4, range.sql_limit());
  std::vector<SampleRow> out;
  auto read = each_row(rows, [&] {
    SampleRow r;
    r.time = rows.int64(0);
    if (!times_only) {
      r.text = rows.text(1);
      r.energy_kwh = opt_text(rows, 2);
      r.volume_m3 = opt_text(rows, 3);
    }
    out.push_back(std::move(r));
  });
  rows.reset();
  if (!read) return read.error();
  return out;
}

core::Result<std::vector<PackedDay>> SqliteStore::packed_days(const std::string& serial,
                                                              const SampleRange& range) {
  // The days in order while the ones before hold fewer than `limit` samples; the first day's
  // samples are not counted, as the range may start after all of them.
  static const std::array<std::string, 2> kSql = [] {
    std::array<std::string, 2> sql;
    for (std::size_t i = 0; i < 2; ++i) {
      const std::string order = i == 1 ? " DESC" : "";
      sql[i] =
          "SELECT day, samples, first_time, last_time, data FROM (SELECT day, samples, first_time, "
          "last_time, data, SUM(samples) OVER (ORDER BY day" +
          order + ") - samples AS earlier, FIRST_VALUE(samples) OVER (ORDER BY day" + order +
          ") AS first FROM sample_days WHERE serial=? AND last_time>=? AND first_time<=?) "
          "WHERE earlier - first < ? ORDER BY day" +
          order;
    }
    return sql;
  }();
  auto q = cached(kSql[range.newest_first ? 1 : 0]);
  if (!q) return q.error();
  auto& rows = **q;
  rows.bind(1, serial).bind(2, range.from).bind(3, range.to).bind(4, range.sql_limit());
  std::vector<PackedDay> out;
  auto read = each_row(rows, [&] {
    out.push_back(PackedDay{serial, rows.int64(0), rows.int64(1), rows.int64(2), rows.int64(3),
                            rows.blob(4)});
  });
  rows.reset();
  if (!read) return read.error();
  return out;
}

core::Result<std::vector<SampleRecord>> SqliteStore::unpacked_day(const std::string& serial,
                                                                  std::int64_t day) {
  auto q = cached(
      "SELECT time, raw, energy_kwh, volume_m3, received, quirks FROM samples "
      "WHERE serial=? AND time>=? AND time<? ORDER BY time");
  if (!q) return q.error();
  auto& rows = **q;
  rows.bind(1, serial).bind(2, day * kDaySeconds).bind(3, (day + 1) * kDaySeconds);
  std::vector<SampleRecord> out;
  core::Status kept = core::Ok{};
  auto read = each_row(rows, [&] {
    auto r = kept_record(serial, rows.int64(0), rows.text(1), opt_text(rows, 2), opt_text(rows, 3),
                         rows.int64(4), opt_text(rows, 5));
    if (r) {
      out.push_back(std::move(r).value());
    } else if (kept) {
      kept = r.error();
    }
  });
  rows.reset();
  if (!read) return read.error();
  if (!kept) return kept.error();
  return out;
}

core::Result<std::vector<std::pair<std::string, std::int64_t>>> SqliteStore::oldest_unpacked(
    std::int64_t before) {
  auto q = db_.prepare(
      "SELECT serial, t FROM (SELECT serial, (SELECT MIN(time) FROM samples s "
      "WHERE s.serial = m.serial AND s.time < ?) AS t FROM meters m) "
      "WHERE t IS NOT NULL ORDER BY serial");
  if (!q) return q.error();
  q->bind(1, before);
  std::vector<std::pair<std::string, std::int64_t>> out;
  ML_TRY(each_row(*q, [&] { out.emplace_back(q->text(0), q->int64(1)); }));
  return out;
}

core::Status SqliteStore::write_packed_day(const PackedDay& day,
                                           const std::vector<std::int64_t>& times) {
  auto q = cached(
      "INSERT INTO sample_days(serial, day, samples, first_time, last_time, data) "
      "VALUES(?,?,?,?,?,?) ON CONFLICT(serial, day) DO UPDATE SET samples=excluded.samples, "
      "first_time=excluded.first_time, last_time=excluded.last_time, data=excluded.data");
  if (!q) return q.error();
  (*q)->bind(1, day.serial).bind(2, day.day).bind(3, day.samples).bind(4, day.first_time);
  (*q)->bind(5, day.last_time).bind_blob(6, day.data);
  ML_TRY((*q)->run());
  auto del = cached("DELETE FROM samples WHERE serial=? AND time=?");
  if (!del) return del.error();
  for (std::int64_t t : times) {
    (*del)->bind(1, day.serial).bind(2, t);
    ML_TRY((*del)->run());
  }
  return core::Ok{};
}

core::Result<std::vector<PackedDay>> SqliteStore::packed_days_of(
    const std::vector<std::pair<std::string, std::int64_t>>& keys) {
  auto q = cached(
      "SELECT samples, first_time, last_time, data FROM sample_days WHERE serial=? AND day=?");
  if (!q) return q.error();
  auto& row = **q;
  std::vector<PackedDay> out;
  for (const auto& [serial, day] : keys) {
    row.bind(1, serial).bind(2, day);
    auto found = row.step();
    if (found && *found) {
      out.push_back(PackedDay{serial, day, row.int64(0), row.int64(1), row.int64(2), row.blob(3)});
    }
    row.reset();
    if (!found) return found.error();
  }
  return out;
}

core::Status SqliteStore::lock_meters(const std::vector<std::string>&) {
  return core::Ok{};  // one writer at a time: the transaction holds the database
}

}  // namespace ml::server
