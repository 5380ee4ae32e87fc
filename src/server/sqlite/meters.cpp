// SqliteStore: the meters (store/meters.hpp).
#include "server/sqlite/rows.hpp"
#include "server/sqlite/store.hpp"

namespace ml::server {
namespace {

namespace sq = platform::sqlite;
using namespace sqlite_rows;

// The meter of a row; an error naming it when its kind or setup value is not one.
core::Result<Meter> read_meter(const sq::Statement& q) {
  Meter m;
  m.serial = q.text(0);
  m.key_hex = q.text(1);
  m.name = q.text(2);
  const std::string kind = q.text(3);
  const auto k = core::meter::kind_from_name(kind);
  if (!k) {
    return core::make_error(core::Errc::invalid_argument,
                            "meter " + m.serial + " has an unknown kind \"" + kind + "\"");
  }
  m.kind = *k;
  m.group = q.text(4);
  const std::string setup = q.text(5);
  const auto v = core::Decimal::parse(setup);
  if (!v) {
    return core::make_error(
        core::Errc::invalid_argument,
        "meter " + m.serial + " has a setup value \"" + setup + "\" that is not a decimal number");
  }
  m.setup_value = *v;
  m.valve_installed = q.int64(6) != 0;
  m.last_sample_time = q.int64(7);
  m.created = q.int64(8);
  m.offline_since = q.int64(9);
  m.contact_name = q.text(10);
  m.contact_email = q.text(11);
  m.contact_phone = q.text(12);
  m.next_key_hex = q.text(13);
  m.next_key_since = q.int64(14);
  return m;
}

constexpr const char* kMeterColumns =
    "serial, key, name, kind, grp, setup_value, valve_installed, last_sample_time, created, "
    "offline_since, contact_name, contact_email, contact_phone, next_key, next_key_since";

}  // namespace

// ---- meters ----

core::Status SqliteStore::add_meter(const Meter& m) {
  // A statement prepared once: `meters import` adds 100 000 with it (add_meters).
  auto q = cached(
      "INSERT INTO meters(serial, key, name, kind, grp, setup_value, valve_installed, "
      "last_sample_time, created) VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(serial) DO NOTHING");
  if (!q) return q.error();
  ML_TRY((*q)->bind(1, m.serial)
             .bind(2, m.key_hex)
             .bind(3, m.name)
             .bind(4, core::meter::info(m.kind).name)
             .bind(5, m.group)
             .bind(6, m.setup_value.to_string())
             .bind(7, std::int64_t{m.valve_installed ? 1 : 0})
             .bind(8, m.last_sample_time)
             .bind(9, m.created)
             .run());
  if (db_.changes() == 0) {
    return core::make_error(core::Errc::invalid_argument, "meter " + m.serial + " exists already");
  }
  return core::Ok{};
}

// One transaction, one prepared statement: an embedded database has no round trips to save.
core::Status SqliteStore::add_meters(std::span<const Meter> meters) {
  return write_transaction([&]() -> core::Status {
    for (const auto& m : meters)
      ML_TRY(add_meter(m));
    return core::Ok{};
  });
}

core::Status SqliteStore::update_meter(const Meter& m) {
  auto q = db_.prepare(
      "UPDATE meters SET key=?, name=?, kind=?, grp=?, setup_value=?, valve_installed=? "
      "WHERE serial=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, m.key_hex)
             .bind(2, m.name)
             .bind(3, core::meter::info(m.kind).name)
             .bind(4, m.group)
             .bind(5, m.setup_value.to_string())
             .bind(6, std::int64_t{m.valve_installed ? 1 : 0})
             .bind(7, m.serial)
             .run());
  if (db_.changes() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no meter " + m.serial);
  }
  return core::Ok{};
}

core::Status SqliteStore::set_next_key(const std::string& serial, const std::string& next_key_hex,
                                       std::int64_t since) {
  auto q = db_.prepare("UPDATE meters SET next_key=?, next_key_since=? WHERE serial=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, next_key_hex).bind(2, since).bind(3, serial).run());
  if (db_.changes() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no meter " + serial);
  }
  return core::Ok{};
}

core::Result<bool> SqliteStore::promote_next_key(const std::string& serial,
                                                 const std::string& next_key_hex) {
  auto q = db_.prepare(
      "UPDATE meters SET key=next_key, next_key='', next_key_since=0 WHERE serial=? AND "
      "next_key=? AND next_key<>''");
  if (!q) return q.error();
  ML_TRY(q->bind(1, serial).bind(2, next_key_hex).run());
  return db_.changes() > 0;
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
  auto m = read_meter(*q);
  if (!m) return m.error();
  return std::optional<Meter>(std::move(m).value());
}

core::Result<std::vector<Meter>> SqliteStore::meters() {
  auto q = db_.prepare(std::string("SELECT ") + kMeterColumns + " FROM meters ORDER BY serial");
  if (!q) return q.error();
  std::vector<Meter> out;
  std::optional<core::Error> bad;
  ML_TRY(each_row(*q, [&] {
    auto m = read_meter(*q);
    if (m) {
      out.push_back(std::move(m).value());
    } else if (!bad) {
      bad = m.error();
    }
  }));
  if (bad) return *bad;
  return out;
}

core::Result<std::vector<MeterKeys>> SqliteStore::meter_keys() {
  auto q = db_.prepare("SELECT serial, key, next_key FROM meters");
  if (!q) return q.error();
  std::vector<MeterKeys> out;
  ML_TRY(each_row(*q, [&] { out.push_back({q->text(0), q->text(1), q->text(2)}); }));
  return out;
}

// ---- a meter's seen state ----

core::Result<bool> SqliteStore::mark_offline(const std::string& serial, std::int64_t time) {
  auto q = cached("UPDATE meters SET offline_since=? WHERE serial=? AND offline_since=0");
  if (!q) return q.error();
  ML_TRY((*q)->bind(1, time).bind(2, serial).run());
  return db_.changes() > 0;
}

core::Status SqliteStore::mark_online(const std::string& serial) {
  auto q = cached("UPDATE meters SET offline_since=0 WHERE serial=? AND offline_since<>0");
  if (!q) return q.error();
  return (*q)->bind(1, serial).run();
}

core::Status SqliteStore::sample_seen(const std::string& serial, std::int64_t time) {
  auto q = cached("UPDATE meters SET last_sample_time=? WHERE serial=? AND last_sample_time < ?");
  if (!q) return q.error();
  return (*q)->bind(1, time).bind(2, serial).bind(3, time).run();
}

}  // namespace ml::server
