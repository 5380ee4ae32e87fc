// SqliteStore: samples, rollups, diagnostics, events and rejections (store/samples.hpp).
#include "core/decimal.hpp"
#include "server/rollup.hpp"
#include "server/sqlite/rows.hpp"
#include "server/sqlite/store.hpp"

namespace ml::server {
namespace {

namespace sq = platform::sqlite;
using namespace sqlite_rows;
using core::Decimal;

// Quarantined messages kept (the oldest go first); their count by reason is kept forever.
constexpr std::int64_t kQuarantineKept = 10000;
// The fields whose rollup is an average (exact sum and count).
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

}  // namespace

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
  ML_TRY(write_rollup(Period::hour, s.serial, s.time, s, item.sample));
  ML_TRY(write_rollup(Period::day, s.serial, s.time, s, item.sample));
  return IngestOutcome::stored;
}

// Adds one new sample to its bucket. Sums and counts are order-free and first/last follow the
// times, so a late sample (the agent's outbox delivering hours of backlog) lands correctly in
// an old bucket without reading the bucket's other samples again.
core::Status SqliteStore::write_rollup(Period period, const std::string& serial, std::int64_t time,
                                       const StoredSample& s,
                                       const core::sample::ParsedSample& sample) {
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
    auto sums = decode_sums((*q)->text(7));
    if (!sums) {
      (*q)->reset();
      return sums.error();
    }
    r.sums = std::move(sums).value();
  }
  (*q)->reset();  // no open read statement between batches (it would pin the WAL)
  add_to_rollup(r, time, s.energy_kwh, s.volume_m3, sample);
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

core::Result<std::optional<Event>> SqliteStore::latest_event(const std::string& serial,
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
  core::Status bad = core::Ok{};
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
    auto sums = decode_sums(q->text(8));
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

core::Result<std::vector<Event>> SqliteStore::events(const std::string& serial) {
  auto q = db_.prepare("SELECT time, kind, detail FROM events WHERE serial=? ORDER BY id");
  if (!q) return q.error();
  q->bind(1, serial);
  std::vector<Event> out;
  ML_TRY(each_row(*q, [&] { out.push_back({q->int64(0), q->text(1), q->text(2)}); }));
  return out;
}

}  // namespace ml::server
