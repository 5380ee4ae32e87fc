// SqliteStore: the residents, their meters, login codes and sessions (store/residents.hpp).
#include "server/sqlite/rows.hpp"
#include "server/sqlite/store.hpp"

namespace ml::server {

namespace sq = platform::sqlite;
using namespace sqlite_rows;

namespace {

// Read from "residents r".
constexpr const char* kResidentColumns =
    "r.id, r.name, r.email, r.phone, r.language, r.password_hash, r.created, r.invited_by, "
    "r.notices, r.notice_channel, r.low_days";

// The columns of kResidentColumns from column `at` on.
Resident residents_read(const sq::Statement& q, int at = 0) {
  return Resident{q.int64(at),
                  q.text(at + 1),
                  q.text(at + 2),
                  q.text(at + 3),
                  q.text(at + 4),
                  q.text(at + 5),
                  q.int64(at + 6),
                  q.text(at + 7),
                  {},
                  resident_notices_from_name(q.text(at + 8)).value_or(ResidentNotices::all),
                  q.text(at + 9),
                  static_cast<int>(q.int64(at + 10))};
}

// id, resident_id, code_hash, created, expires, tries, used, address
ResidentCode residents_read_code(const sq::Statement& q) {
  return ResidentCode{q.int64(0), q.int64(1), q.text(2),       q.int64(3),
                      q.int64(4), q.int64(5), q.int64(6) != 0, q.text(7)};
}

}  // namespace

core::Status SqliteStore::check_resident(const Resident& r) {
  // Each address belongs to one resident.
  auto q = db_.prepare(
      "SELECT id FROM residents WHERE id<>?1 AND ((?2<>'' AND lower(email)=lower(?2)) OR "
      "(?3<>'' AND phone=?3))");
  if (!q) return q.error();
  q->bind(1, r.id).bind(2, r.email).bind(3, r.phone);
  auto row = q->step();
  if (!row) return row.error();
  if (*row) {
    return core::make_error(core::Errc::invalid_argument,
                            "another resident (#" + std::to_string(q->int64(0)) +
                                ") has this e-mail address or phone number");
  }
  return core::Ok{};
}

core::Result<std::int64_t> SqliteStore::add_resident(const Resident& r) {
  Resident fresh = r;
  fresh.id = 0;
  ML_TRY(check_resident(fresh));
  ML_TRY(check_resident_meters(r.serials));  // before anything is written
  auto q = db_.prepare(
      "INSERT INTO residents(name, email, phone, language, password_hash, created, invited_by, "
      "notices, notice_channel, low_days) VALUES(?,?,?,?,?,?,?,?,?,?)");
  if (!q) return q.error();
  ML_TRY(q->bind(1, r.name)
             .bind(2, r.email)
             .bind(3, r.phone)
             .bind(4, r.language)
             .bind(5, r.password_hash)
             .bind(6, r.created)
             .bind(7, r.invited_by)
             .bind(8, std::string(resident_notices_name(r.notices)))
             .bind(9, r.notice_channel)
             .bind(10, std::int64_t{r.low_days})
             .run());
  const std::int64_t id = db_.last_insert_id();
  ML_TRY(set_resident_meters(id, r.serials));
  return id;
}

core::Status SqliteStore::update_resident(const Resident& r) {
  ML_TRY(check_resident(r));
  auto q = db_.prepare(
      "UPDATE residents SET name=?, email=?, phone=?, language=?, password_hash=?, notices=?, "
      "notice_channel=?, low_days=? WHERE id=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, r.name)
             .bind(2, r.email)
             .bind(3, r.phone)
             .bind(4, r.language)
             .bind(5, r.password_hash)
             .bind(6, std::string(resident_notices_name(r.notices)))
             .bind(7, r.notice_channel)
             .bind(8, std::int64_t{r.low_days})
             .bind(9, r.id)
             .run());
  if (db_.changes() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no resident " + std::to_string(r.id));
  }
  return core::Ok{};
}

core::Status SqliteStore::check_resident_meters(const std::vector<std::string>& serials) {
  for (const auto& serial : serials) {
    auto m = meter(serial);
    if (!m) return m.error();
    if (!*m) return core::make_error(core::Errc::invalid_argument, "no meter " + serial);
  }
  return core::Ok{};
}

core::Status SqliteStore::set_resident_meters(std::int64_t id,
                                              const std::vector<std::string>& serials) {
  ML_TRY(check_resident_meters(serials));
  auto del = db_.prepare("DELETE FROM resident_meters WHERE resident_id=?");
  if (!del) return del.error();
  ML_TRY(del->bind(1, id).run());
  for (const auto& serial : serials) {
    auto q = db_.prepare(
        "INSERT INTO resident_meters(resident_id, serial) VALUES(?,?) ON CONFLICT DO NOTHING");
    if (!q) return q.error();
    ML_TRY(q->bind(1, id).bind(2, serial).run());
  }
  return core::Ok{};
}

core::Status SqliteStore::delete_resident(std::int64_t id) {
  for (const char* sql :
       {"DELETE FROM resident_sessions WHERE resident_id=?",
        "DELETE FROM resident_prepaid_notices WHERE resident_id=?",
        "DELETE FROM resident_codes WHERE resident_id=?",
        "DELETE FROM resident_meters WHERE resident_id=?", "DELETE FROM residents WHERE id=?"}) {
    auto q = db_.prepare(sql);
    if (!q) return q.error();
    ML_TRY(q->bind(1, id).run());
  }
  if (db_.changes() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no resident " + std::to_string(id));
  }
  return core::Ok{};
}

core::Result<std::vector<std::string>> SqliteStore::resident_serials(std::int64_t id) {
  auto q = db_.prepare("SELECT serial FROM resident_meters WHERE resident_id=? ORDER BY serial");
  if (!q) return q.error();
  q->bind(1, id);
  std::vector<std::string> out;
  ML_TRY(each_row(*q, [&] { out.push_back(q->text(0)); }));
  return out;
}

core::Result<std::vector<Resident>> SqliteStore::read_residents(sq::Statement& q) {
  std::vector<Resident> out;
  ML_TRY(each_row(q, [&] { out.push_back(residents_read(q)); }));
  for (auto& r : out) {
    auto serials = resident_serials(r.id);
    if (!serials) return serials.error();
    r.serials = std::move(*serials);
  }
  return out;
}

namespace {
core::Result<std::optional<Resident>> first_resident(core::Result<std::vector<Resident>> found) {
  if (!found) return found.error();
  if (found->empty()) return std::optional<Resident>{};
  return std::optional<Resident>(std::move(found->front()));
}
}  // namespace

core::Result<std::optional<Resident>> SqliteStore::resident(std::int64_t id) {
  auto q =
      db_.prepare(std::string("SELECT ") + kResidentColumns + " FROM residents r WHERE r.id=?");
  if (!q) return q.error();
  q->bind(1, id);
  return first_resident(read_residents(*q));
}

core::Result<std::optional<Resident>> SqliteStore::resident_by_address(const std::string& address) {
  if (address.empty()) return std::optional<Resident>{};
  auto q =
      db_.prepare(std::string("SELECT ") + kResidentColumns +
                  " FROM residents r WHERE lower(r.email)=lower(?1) OR r.phone=?1 ORDER BY r.id");
  if (!q) return q.error();
  q->bind(1, address);
  return first_resident(read_residents(*q));
}

core::Result<std::vector<Resident>> SqliteStore::residents_of(const std::string& serial) {
  auto q = db_.prepare(std::string("SELECT ") + kResidentColumns +
                       " FROM residents r WHERE r.id IN (SELECT resident_id FROM resident_meters "
                       "WHERE serial=?) ORDER BY r.id");
  if (!q) return q.error();
  q->bind(1, serial);
  return read_residents(*q);
}

core::Result<std::vector<std::pair<std::string, Resident>>> SqliteStore::residents_by_meter() {
  auto q = db_.prepare(std::string("SELECT m.serial, ") + kResidentColumns +
                       " FROM resident_meters m JOIN residents r ON r.id=m.resident_id "
                       "ORDER BY m.serial, r.id");
  if (!q) return q.error();
  std::vector<std::pair<std::string, Resident>> out;
  ML_TRY(each_row(*q, [&] { out.emplace_back(q->text(0), residents_read(*q, 1)); }));
  return out;
}

core::Result<std::map<std::pair<std::int64_t, std::string>, PrepaidNoticeState>>
SqliteStore::resident_prepaid_states() {
  auto q = db_.prepare(
      "SELECT resident_id, serial, announced_payment_id, low_sent, closed_sent FROM "
      "resident_prepaid_notices");
  if (!q) return q.error();
  std::map<std::pair<std::int64_t, std::string>, PrepaidNoticeState> out;
  ML_TRY(each_row(*q, [&] {
    out[{q->int64(0), q->text(1)}] =
        PrepaidNoticeState{q->int64(2), q->int64(3) != 0, q->int64(4) != 0};
  }));
  return out;
}

core::Status SqliteStore::write_resident_prepaid_state(std::int64_t id, const std::string& serial,
                                                       const PrepaidNoticeState& s) {
  auto q = db_.prepare(
      "INSERT INTO resident_prepaid_notices(resident_id, serial, announced_payment_id, low_sent, "
      "closed_sent) VALUES(?, ?, ?, ?, ?) ON CONFLICT(resident_id, serial) DO UPDATE SET "
      "announced_payment_id=excluded.announced_payment_id, low_sent=excluded.low_sent, "
      "closed_sent=excluded.closed_sent");
  if (!q) return q.error();
  return q->bind(1, id)
      .bind(2, serial)
      .bind(3, s.announced_payment_id)
      .bind(4, std::int64_t{s.low_sent})
      .bind(5, std::int64_t{s.closed_sent})
      .run();
}

core::Result<std::int64_t> SqliteStore::insert_resident_code(const ResidentCode& c) {
  auto q = db_.prepare(
      "INSERT INTO resident_codes(resident_id, code_hash, created, expires, tries, used, address) "
      "VALUES(?,?,?,?,?,?,?)");
  if (!q) return q.error();
  ML_TRY(q->bind(1, c.resident_id)
             .bind(2, c.code_hash)
             .bind(3, c.created)
             .bind(4, c.expires)
             .bind(5, c.tries)
             .bind(6, std::int64_t{c.used ? 1 : 0})
             .bind(7, c.address)
             .run());
  return db_.last_insert_id();
}

core::Result<std::vector<ResidentCode>> SqliteStore::resident_codes(std::int64_t id,
                                                                    std::int64_t since) {
  auto q = db_.prepare(
      "SELECT id, resident_id, code_hash, created, expires, tries, used, address "
      "FROM resident_codes WHERE resident_id=? AND created>=? ORDER BY id");
  if (!q) return q.error();
  q->bind(1, id).bind(2, since);
  std::vector<ResidentCode> out;
  ML_TRY(each_row(*q, [&] { out.push_back(residents_read_code(*q)); }));
  return out;
}

core::Result<std::int64_t> SqliteStore::resident_codes_from(const std::string& address,
                                                            std::int64_t since) {
  auto q = db_.prepare("SELECT COUNT(*) FROM resident_codes WHERE address=? AND created>=?");
  if (!q) return q.error();
  q->bind(1, address).bind(2, since);
  auto row = q->step();
  if (!row) return row.error();
  return q->int64(0);
}

core::Result<bool> SqliteStore::take_resident_code(std::int64_t id, std::int64_t now,
                                                   int max_tries) {
  auto q = db_.prepare(
      "UPDATE resident_codes SET used=1 WHERE id=? AND used=0 AND expires>? AND tries<?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, id).bind(2, now).bind(3, std::int64_t{max_tries}).run());
  return db_.changes() == 1;
}

core::Status SqliteStore::count_resident_code_try(std::int64_t id) {
  auto q = db_.prepare("UPDATE resident_codes SET tries=tries+1 WHERE id=?");
  if (!q) return q.error();
  return q->bind(1, id).run();
}

core::Status SqliteStore::remove_resident_codes_before(std::int64_t before) {
  auto q = db_.prepare("DELETE FROM resident_codes WHERE expires<?");
  if (!q) return q.error();
  return q->bind(1, before).run();
}

core::Status SqliteStore::insert_resident_session(const std::string& id_hash,
                                                  const ResidentSession& s) {
  auto q = db_.prepare(
      "INSERT INTO resident_sessions(id_hash, resident_id, csrf, created, expires, remote) "
      "VALUES(?,?,?,?,?,?)");
  if (!q) return q.error();
  return q->bind(1, id_hash)
      .bind(2, s.resident_id)
      .bind(3, s.csrf)
      .bind(4, s.created)
      .bind(5, s.expires)
      .bind(6, s.remote)
      .run();
}

core::Result<std::optional<ResidentSession>> SqliteStore::resident_session(
    const std::string& id_hash) {
  auto q = db_.prepare(
      "SELECT resident_id, csrf, created, expires, remote FROM resident_sessions WHERE id_hash=?");
  if (!q) return q.error();
  q->bind(1, id_hash);
  auto row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<ResidentSession>{};
  return std::optional<ResidentSession>(
      ResidentSession{q->int64(0), q->text(1), q->int64(2), q->int64(3), q->text(4)});
}

core::Status SqliteStore::remove_resident_session(const std::string& id_hash) {
  auto q = db_.prepare("DELETE FROM resident_sessions WHERE id_hash=?");
  if (!q) return q.error();
  return q->bind(1, id_hash).run();
}

core::Status SqliteStore::remove_resident_sessions_of(std::int64_t id) {
  auto q = db_.prepare("DELETE FROM resident_sessions WHERE resident_id=?");
  if (!q) return q.error();
  return q->bind(1, id).run();
}

core::Status SqliteStore::remove_expired_resident_sessions(std::int64_t now) {
  auto q = db_.prepare("DELETE FROM resident_sessions WHERE expires<=?");
  if (!q) return q.error();
  return q->bind(1, now).run();
}

}  // namespace ml::server
