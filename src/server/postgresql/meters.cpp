// PostgresStore: the meters (store/meters.hpp).
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

constexpr const char* kMetersColumns =
    "serial, key, name, kind, grp, setup_value, valve_installed, last_sample_time, created, "
    "offline_since, contact_name, contact_email, contact_phone, next_key, next_key_since";

}  // namespace

// ---- meters ----

core::Status PostgresStore::add_meter(const Meter& m) {
  auto r = db_.query(
      "INSERT INTO meters(serial, key, name, kind, grp, setup_value, valve_installed, "
      "last_sample_time, created) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9) "
      "ON CONFLICT(serial) DO NOTHING",
      {m.serial, m.key_hex, m.name, core::meter::info(m.kind).name, m.group,
       m.setup_value.to_string(), std::int64_t{m.valve_installed ? 1 : 0}, m.last_sample_time,
       m.created});
  if (!r) return r.error();
  if (r->affected() == 0) {
    return core::make_error(core::Errc::invalid_argument, "meter " + m.serial + " exists already");
  }
  return core::Ok{};
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

}  // namespace ml::server
