// PostgresStore: the meters (store/meters.hpp).
#include <array>
#include <unordered_set>

#include "server/postgresql/rows.hpp"
#include "server/postgresql/store.hpp"

namespace ml::server {
namespace {

namespace pg = platform::postgresql;

// The meter of row `i`; an error naming it when its kind or setup value is not one.
core::Result<Meter> meters_read_meter(const pg::Rows& rows, int i) {
  Meter m;
  m.serial = rows.text(i, 0);
  m.key_hex = rows.text(i, 1);
  m.name = rows.text(i, 2);
  const std::string kind = rows.text(i, 3);
  const auto k = core::meter::kind_from_name(kind);
  if (!k) {
    return core::make_error(core::Errc::invalid_argument,
                            "meter " + m.serial + " has an unknown kind \"" + kind + "\"");
  }
  m.kind = *k;
  m.group = rows.text(i, 4);
  const std::string setup = rows.text(i, 5);
  const auto v = core::Decimal::parse(setup);
  if (!v) {
    return core::make_error(
        core::Errc::invalid_argument,
        "meter " + m.serial + " has a setup value \"" + setup + "\" that is not a decimal number");
  }
  m.setup_value = *v;
  m.valve_installed = rows.int64(i, 6) != 0;
  m.last_sample_time = rows.int64(i, 7);
  m.created = rows.int64(i, 8);
  m.offline_since = rows.int64(i, 9);
  m.contact_name = rows.text(i, 10);
  m.contact_email = rows.text(i, 11);
  m.contact_phone = rows.text(i, 12);
  m.next_key_hex = rows.text(i, 13);
  m.next_key_since = rows.int64(i, 14);
  return m;
}

constexpr const char* kMeterInsertColumns =
    "serial, key, name, kind, grp, setup_value, valve_installed, last_sample_time, created";
constexpr std::size_t kMeterInsertCount = 9;  // the columns above

// A new meter's values, in the order of kMeterInsertColumns.
std::array<pg::Param, kMeterInsertCount> meter_params(const Meter& m) {
  return {m.serial,
          m.key_hex,
          m.name,
          core::meter::info(m.kind).name,
          m.group,
          m.setup_value.to_string(),
          std::int64_t{m.valve_installed ? 1 : 0},
          m.last_sample_time,
          m.created};
}

core::Error exists_already(const std::string& serial) {
  return core::make_error(core::Errc::invalid_argument, "meter " + serial + " exists already");
}

constexpr const char* kMetersColumns =
    "serial, key, name, kind, grp, setup_value, valve_installed, last_sample_time, created, "
    "offline_since, contact_name, contact_email, contact_phone, next_key, next_key_since";

}  // namespace

// ---- meters ----

core::Status PostgresStore::add_meter(const Meter& m) {
  auto r = db_.query(std::string("INSERT INTO meters(") + kMeterInsertColumns +
                         ") VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT(serial) DO NOTHING",
                     meter_params(m));
  if (!r) return r.error();
  if (r->affected() == 0) return exists_already(m.serial);
  return core::Ok{};
}

// Every round trip costs (100 000 meters one by one took 13 s on a local socket in a debug
// build, 4 s so), so the meters go kMetersPerInsert to a statement, the rest (fewer) one by
// one: two prepared statements whatever the count. 500 rows are 4 500 parameters, well under
// PostgreSQL's 65 535.
core::Status PostgresStore::add_meters(std::span<const Meter> meters) {
  constexpr std::size_t kMetersPerInsert = 500;
  static const std::string insert = [] {
    std::string sql = std::string("INSERT INTO meters(") + kMeterInsertColumns + ") VALUES";
    for (std::size_t i = 0; i < kMetersPerInsert; ++i) {
      sql += i == 0 ? "(" : ",(";
      for (std::size_t j = 1; j <= kMeterInsertCount; ++j)
        sql += (j == 1 ? "$" : ",$") + std::to_string(i * kMeterInsertCount + j);
      sql += ")";
    }
    return sql + " ON CONFLICT(serial) DO NOTHING RETURNING serial";
  }();
  return write_transaction([&]() -> core::Status {
    std::size_t at = 0;
    std::vector<pg::Param> params;
    params.reserve(kMetersPerInsert * kMeterInsertCount);
    for (; at + kMetersPerInsert <= meters.size(); at += kMetersPerInsert) {
      const auto some = meters.subspan(at, kMetersPerInsert);
      params.clear();
      for (const auto& m : some) {
        const auto row = meter_params(m);
        params.insert(params.end(), row.begin(), row.end());
      }
      auto r = db_.query(insert, params);
      if (!r) return r.error();
      if (static_cast<std::size_t>(r->size()) == some.size()) continue;
      // Which one was there: the first not inserted.
      std::unordered_set<std::string> added;
      for (int i = 0; i < r->size(); ++i)
        added.insert(r->text(i, 0));
      for (const auto& m : some)
        if (!added.erase(m.serial)) return exists_already(m.serial);
      return exists_already(some.front().serial);  // not reached: one row was not inserted
    }
    for (; at < meters.size(); ++at)
      ML_TRY(add_meter(meters[at]));
    return core::Ok{};
  });
}

core::Status PostgresStore::update_meter(const Meter& m) {
  auto r = db_.query(
      "UPDATE meters SET key=$1, name=$2, kind=$3, grp=$4, setup_value=$5, valve_installed=$6 "
      "WHERE serial=$7",
      {m.key_hex, m.name, core::meter::info(m.kind).name, m.group, m.setup_value.to_string(),
       std::int64_t{m.valve_installed ? 1 : 0}, m.serial});
  if (!r) return r.error();
  if (r->affected() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no meter " + m.serial);
  }
  return core::Ok{};
}

core::Status PostgresStore::set_next_key(const std::string& serial, const std::string& next_key_hex,
                                         std::int64_t since) {
  auto r = db_.query("UPDATE meters SET next_key=$1, next_key_since=$2 WHERE serial=$3",
                     {next_key_hex, since, serial});
  if (!r) return r.error();
  if (r->affected() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no meter " + serial);
  }
  return core::Ok{};
}

core::Result<bool> PostgresStore::promote_next_key(const std::string& serial,
                                                   const std::string& next_key_hex) {
  auto r = db_.query(
      "UPDATE meters SET key=next_key, next_key='', next_key_since=0 WHERE serial=$1 AND "
      "next_key=$2 AND next_key<>''",
      {serial, next_key_hex});
  if (!r) return r.error();
  return r->affected() > 0;
}

core::Status PostgresStore::remove_meter(const std::string& serial) {
  auto r = db_.query("DELETE FROM meters WHERE serial=$1", {serial});
  if (!r) return r.error();
  if (r->affected() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no meter " + serial);
  }
  return core::Ok{};
}

core::Result<std::optional<Meter>> PostgresStore::meter(const std::string& serial) {
  auto r =
      db_.query(std::string("SELECT ") + kMetersColumns + " FROM meters WHERE serial=$1", {serial});
  if (!r) return r.error();
  if (r->empty()) return std::optional<Meter>{};
  auto m = meters_read_meter(*r, 0);
  if (!m) return m.error();
  return std::optional<Meter>(std::move(m).value());
}

core::Result<std::vector<Meter>> PostgresStore::meters() {
  auto r = db_.query(std::string("SELECT ") + kMetersColumns +
                     " FROM meters ORDER BY serial COLLATE \"C\"");
  if (!r) return r.error();
  std::vector<Meter> out;
  out.reserve(static_cast<std::size_t>(r->size()));
  for (int i = 0; i < r->size(); ++i) {
    auto m = meters_read_meter(*r, i);
    if (!m) return m.error();  // the first bad row, as SQLite reports it
    out.push_back(std::move(m).value());
  }
  return out;
}

core::Result<std::vector<MeterKeys>> PostgresStore::meter_keys() {
  auto r = db_.query("SELECT serial, key, next_key FROM meters");
  if (!r) return r.error();
  std::vector<MeterKeys> out;
  out.reserve(static_cast<std::size_t>(r->size()));
  for (int i = 0; i < r->size(); ++i)
    out.push_back({r->text(i, 0), r->text(i, 1), r->text(i, 2)});
  return out;
}

// ---- a meter's seen state ----

core::Result<bool> PostgresStore::mark_offline(const std::string& serial, std::int64_t time) {
  auto r = db_.query("UPDATE meters SET offline_since=$1 WHERE serial=$2 AND offline_since=0",
                     {time, serial});
  if (!r) return r.error();
  return r->affected() > 0;
}

core::Status PostgresStore::mark_online(const std::string& serial) {
  auto r =
      db_.query("UPDATE meters SET offline_since=0 WHERE serial=$1 AND offline_since<>0", {serial});
  if (!r) return r.error();
  return core::Ok{};
}

core::Status PostgresStore::sample_seen(const std::string& serial, std::int64_t time) {
  auto r =
      db_.query("UPDATE meters SET last_sample_time=$1 WHERE serial=$2 AND last_sample_time < $1",
                {time, serial});
  if (!r) return r.error();
  return core::Ok{};
}

// A batch's meters in one statement each (store/meters.hpp).
core::Status PostgresStore::mark_all_online(const std::vector<std::string>& serials) {
  if (serials.empty()) return core::Ok{};
  postgresql_rows::ArrayLiteral list;
  for (const auto& s : serials)
    list.add(s);
  auto r = db_.query(
      "UPDATE meters SET offline_since=0 WHERE serial = ANY($1::text[]) AND offline_since<>0",
      {list.text()});
  if (!r) return r.error();
  return core::Ok{};
}

core::Status PostgresStore::samples_seen(
    const std::vector<std::pair<std::string, std::int64_t>>& newest) {
  if (newest.empty()) return core::Ok{};
  postgresql_rows::ArrayLiteral serials, times;
  for (const auto& [serial, time] : newest) {
    serials.add(serial);
    times.add(time);
  }
  auto r = db_.query(
      "UPDATE meters m SET last_sample_time = v.time FROM unnest($1::text[], $2::bigint[]) "
      "AS v(serial, time) WHERE m.serial = v.serial AND m.last_sample_time < v.time",
      {serials.text(), times.text()});
  if (!r) return r.error();
  return core::Ok{};
}

}  // namespace ml::server
