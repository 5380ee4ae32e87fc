// PostgresStore: the residents, their meters, login codes and sessions (store/residents.hpp).
#include "server/postgresql/rows.hpp"
#include "server/postgresql/store.hpp"

namespace ml::server {

using namespace postgresql_rows;

namespace {

// Read from "residents r".
constexpr const char* kResidentColumns =
    "r.id, r.name, r.email, r.phone, r.language, r.password_hash, r.created, r.invited_by, "
    "r.notices, r.notice_channel, r.low_days";

// The columns of kResidentColumns of row i, from column `at` on.
Resident residents_read(const pg::Rows& rows, int i, int at = 0) {
  return Resident{rows.int64(i, at),
                  rows.text(i, at + 1),
                  rows.text(i, at + 2),
                  rows.text(i, at + 3),
                  rows.text(i, at + 4),
                  rows.text(i, at + 5),
                  rows.int64(i, at + 6),
                  rows.text(i, at + 7),
                  {},
                  resident_notices_from_name(rows.text(i, at + 8)).value_or(ResidentNotices::all),
                  rows.text(i, at + 9),
                  static_cast<int>(rows.int64(i, at + 10))};
}

core::Status residents_changed_one(const core::Result<pg::Rows>& r, std::int64_t id) {
  if (!r) return r.error();
  if (r->affected() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no resident " + std::to_string(id));
  }
  return core::Ok{};
}

core::Result<std::optional<Resident>> first_resident(core::Result<std::vector<Resident>> found) {
  if (!found) return found.error();
  if (found->empty()) return std::optional<Resident>{};
  return std::optional<Resident>(std::move(found->front()));
}

}  // namespace

core::Status PostgresStore::check_resident(const Resident& r) {
  auto rows = db_.query(
      "SELECT id FROM residents WHERE id<>$1 AND (($2::text<>'' AND lower(email)=lower($2::text)) "
      "OR ($3::text<>'' AND phone=$3::text)) LIMIT 1",
      {r.id, r.email, r.phone});
  if (!rows) return rows.error();
  if (!rows->empty()) {
    return core::make_error(core::Errc::invalid_argument,
                            "another resident (#" + std::to_string(rows->int64(0, 0)) +
                                ") has this e-mail address or phone number");
  }
  return core::Ok{};
}

core::Result<std::int64_t> PostgresStore::add_resident(const Resident& r) {
  Resident fresh = r;
  fresh.id = 0;
  ML_TRY(check_resident(fresh));
  ML_TRY(check_resident_meters(r.serials));  // before anything is written
  auto rows = db_.query(
      "INSERT INTO residents(name, email, phone, language, password_hash, created, invited_by, "
      "notices, notice_channel, low_days) VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id",
      {r.name, r.email, r.phone, r.language, r.password_hash, r.created, r.invited_by,
       std::string(resident_notices_name(r.notices)), r.notice_channel, std::int64_t{r.low_days}});
  if (!rows) return rows.error();
  const std::int64_t id = rows->int64(0, 0);
  ML_TRY(set_resident_meters(id, r.serials));
  return id;
}

core::Status PostgresStore::update_resident(const Resident& r) {
  ML_TRY(check_resident(r));
  return residents_changed_one(
      db_.query("UPDATE residents SET name=$1, email=$2, phone=$3, language=$4, password_hash=$5, "
                "notices=$6, notice_channel=$7, low_days=$8 WHERE id=$9",
                {r.name, r.email, r.phone, r.language, r.password_hash,
                 std::string(resident_notices_name(r.notices)), r.notice_channel,
                 std::int64_t{r.low_days}, r.id}),
      r.id);
}

core::Status PostgresStore::check_resident_meters(const std::vector<std::string>& serials) {
  for (const auto& serial : serials) {
    auto m = meter(serial);
    if (!m) return m.error();
    if (!*m) return core::make_error(core::Errc::invalid_argument, "no meter " + serial);
  }
  return core::Ok{};
}

core::Status PostgresStore::set_resident_meters(std::int64_t id,
                                                const std::vector<std::string>& serials) {
  ML_TRY(check_resident_meters(serials));
  auto del = db_.query("DELETE FROM resident_meters WHERE resident_id=$1", {id});
  if (!del) return del.error();
  for (const auto& serial : serials) {
    auto q = db_.query(
        "INSERT INTO resident_meters(resident_id, serial) VALUES($1,$2) ON CONFLICT DO NOTHING",
        {id, serial});
    if (!q) return q.error();
  }
  return core::Ok{};
}

core::Status PostgresStore::delete_resident(std::int64_t id) {
  for (const char* sql : {"DELETE FROM resident_sessions WHERE resident_id=$1",
                          "DELETE FROM resident_prepaid_notices WHERE resident_id=$1",
                          "DELETE FROM resident_codes WHERE resident_id=$1",
                          "DELETE FROM resident_meters WHERE resident_id=$1"}) {
    auto r = db_.query(sql, {id});
    if (!r) return r.error();
  }
  return residents_changed_one(db_.query("DELETE FROM residents WHERE id=$1", {id}), id);
}

core::Result<std::vector<std::string>> PostgresStore::resident_serials(std::int64_t id) {
  auto rows = db_.query(
      "SELECT serial FROM resident_meters WHERE resident_id=$1 ORDER BY serial COLLATE \"C\"",
      {id});
  if (!rows) return rows.error();
  std::vector<std::string> out;
  for (int i = 0; i < rows->size(); ++i)
    out.push_back(rows->text(i, 0));
  return out;
}

core::Result<std::vector<Resident>> PostgresStore::read_residents(const std::string& where,
                                                                  const pg::Param& value) {
  auto rows = db_.query(std::string("SELECT ") + kResidentColumns + " FROM residents r WHERE " +
                            where + " ORDER BY r.id",
                        {value});
  if (!rows) return rows.error();
  std::vector<Resident> out;
  for (int i = 0; i < rows->size(); ++i)
    out.push_back(residents_read(*rows, i));
  for (auto& r : out) {
    auto serials = resident_serials(r.id);
    if (!serials) return serials.error();
    r.serials = std::move(*serials);
  }
  return out;
}

core::Result<std::optional<Resident>> PostgresStore::resident(std::int64_t id) {
  return first_resident(read_residents("r.id=$1", id));
}

core::Result<std::optional<Resident>> PostgresStore::resident_by_address(
    const std::string& address) {
  if (address.empty()) return std::optional<Resident>{};
  return first_resident(
      read_residents("lower(r.email)=lower($1::text) OR r.phone=$1::text", address));
}

core::Result<std::vector<Resident>> PostgresStore::residents_of(const std::string& serial) {
  return read_residents("r.id IN (SELECT resident_id FROM resident_meters WHERE serial=$1)",
                        serial);
}

core::Result<std::vector<std::pair<std::string, Resident>>> PostgresStore::residents_by_meter() {
  auto rows = db_.query(std::string("SELECT m.serial, ") + kResidentColumns +
                        " FROM resident_meters m JOIN residents r ON r.id=m.resident_id "
                        "ORDER BY m.serial COLLATE \"C\", r.id");
  if (!rows) return rows.error();
  std::vector<std::pair<std::string, Resident>> out;
  for (int i = 0; i < rows->size(); ++i)
    out.emplace_back(rows->text(i, 0), residents_read(*rows, i, 1));
  return out;
}

core::Result<std::map<std::pair<std::int64_t, std::string>, PrepaidNoticeState>>
PostgresStore::resident_prepaid_states() {
  auto rows = db_.query(
      "SELECT resident_id, serial, announced_payment_id, low_sent, closed_sent FROM "
      "resident_prepaid_notices");
  if (!rows) return rows.error();
  std::map<std::pair<std::int64_t, std::string>, PrepaidNoticeState> out;
  for (int i = 0; i < rows->size(); ++i) {
    out[{rows->int64(i, 0), rows->text(i, 1)}] =
        PrepaidNoticeState{rows->int64(i, 2), rows->int64(i, 3) != 0, rows->int64(i, 4) != 0};
  }
  return out;
}

core::Status PostgresStore::write_resident_prepaid_state(std::int64_t id, const std::string& serial,
                                                         const PrepaidNoticeState& s) {
  auto r = db_.query(
      "INSERT INTO resident_prepaid_notices(resident_id, serial, announced_payment_id, low_sent, "
      "closed_sent) VALUES($1, $2, $3, $4, $5) ON CONFLICT(resident_id, serial) DO UPDATE SET "
      "announced_payment_id=excluded.announced_payment_id, low_sent=excluded.low_sent, "
      "closed_sent=excluded.closed_sent",
      {id, serial, s.announced_payment_id, std::int64_t{s.low_sent}, std::int64_t{s.closed_sent}});
  if (!r) return r.error();
  return core::Ok{};
}

core::Result<std::int64_t> PostgresStore::insert_resident_code(const ResidentCode& c) {
  auto rows = db_.query(
      "INSERT INTO resident_codes(resident_id, code_hash, created, expires, tries, used, address) "
      "VALUES($1,$2,$3,$4,$5,$6,$7) RETURNING id",
      {c.resident_id, c.code_hash, c.created, c.expires, c.tries, std::int64_t{c.used ? 1 : 0},
       c.address});
  if (!rows) return rows.error();
  return rows->int64(0, 0);
}

core::Result<std::vector<ResidentCode>> PostgresStore::resident_codes(std::int64_t id,
                                                                      std::int64_t since) {
  auto rows = db_.query(
      "SELECT id, resident_id, code_hash, created, expires, tries, used, address "
      "FROM resident_codes WHERE resident_id=$1 AND created>=$2 ORDER BY id",
      {id, since});
  if (!rows) return rows.error();
  std::vector<ResidentCode> out;
  for (int i = 0; i < rows->size(); ++i) {
    out.push_back({rows->int64(i, 0), rows->int64(i, 1), rows->text(i, 2), rows->int64(i, 3),
                   rows->int64(i, 4), rows->int64(i, 5), rows->int64(i, 6) != 0, rows->text(i, 7)});
  }
  return out;
}

core::Result<std::int64_t> PostgresStore::resident_codes_from(const std::string& address,
                                                              std::int64_t since) {
  auto rows = db_.query("SELECT COUNT(*) FROM resident_codes WHERE address=$1 AND created>=$2",
                        {address, since});
  if (!rows) return rows.error();
  return rows->int64(0, 0);
}

core::Result<bool> PostgresStore::take_resident_code(std::int64_t id, std::int64_t now,
                                                     int max_tries) {
  auto r = db_.query(
      "UPDATE resident_codes SET used=1 WHERE id=$1 AND used=0 AND expires>$2 AND tries<$3",
      {id, now, std::int64_t{max_tries}});
  if (!r) return r.error();
  return r->affected() == 1;
}

core::Status PostgresStore::count_resident_code_try(std::int64_t id) {
  auto r = db_.query("UPDATE resident_codes SET tries=tries+1 WHERE id=$1", {id});
  if (!r) return r.error();
  return core::Ok{};
}

core::Status PostgresStore::remove_resident_codes_before(std::int64_t before) {
  auto r = db_.query("DELETE FROM resident_codes WHERE expires<$1", {before});
  if (!r) return r.error();
  return core::Ok{};
}

core::Status PostgresStore::insert_resident_session(const std::string& id_hash,
                                                    const ResidentSession& s) {
  auto r = db_.query(
      "INSERT INTO resident_sessions(id_hash, resident_id, csrf, created, expires, remote) "
      "VALUES($1,$2,$3,$4,$5,$6)",
      {id_hash, s.resident_id, s.csrf, s.created, s.expires, s.remote});
  if (!r) return r.error();
  return core::Ok{};
}

core::Result<std::optional<ResidentSession>> PostgresStore::resident_session(
    const std::string& id_hash) {
  auto rows = db_.query(
      "SELECT resident_id, csrf, created, expires, remote FROM resident_sessions "
      "WHERE id_hash=$1",
      {id_hash});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<ResidentSession>{};
  return std::optional<ResidentSession>(ResidentSession{
      rows->int64(0, 0), rows->text(0, 1), rows->int64(0, 2), rows->int64(0, 3), rows->text(0, 4)});
}

core::Status PostgresStore::remove_resident_session(const std::string& id_hash) {
  auto r = db_.query("DELETE FROM resident_sessions WHERE id_hash=$1", {id_hash});
  if (!r) return r.error();
  return core::Ok{};
}

core::Status PostgresStore::remove_resident_sessions_of(std::int64_t id) {
  auto r = db_.query("DELETE FROM resident_sessions WHERE resident_id=$1", {id});
  if (!r) return r.error();
  return core::Ok{};
}

core::Status PostgresStore::remove_expired_resident_sessions(std::int64_t now) {
  auto r = db_.query("DELETE FROM resident_sessions WHERE expires<=$1", {now});
  if (!r) return r.error();
  return core::Ok{};
}

}  // namespace ml::server
