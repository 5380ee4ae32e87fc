#include "platform/postgresql/db.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <utility>

namespace ml::platform::postgresql {
namespace {

// More distinct statements than the program has: something builds SQL from data.
constexpr std::size_t kMaxPrepared = 512;
// The advisory lock migrations take (any fixed number; "ML" in ASCII).
constexpr std::int64_t kMigrationLock = 0x4d4c;

std::string first_line(std::string_view sql) {
  std::string s(sql.substr(0, sql.find('\n')));
  if (s.size() > 120) s = s.substr(0, 117) + "...";
  return s;
}

}  // namespace

// ---- Rows ----

Rows::Rows(pg_result* r) : result_(r, PQclear) {}

int Rows::size() const {
  return PQntuples(result_.get());
}

int Rows::columns() const {
  return PQnfields(result_.get());
}

std::int64_t Rows::affected() const {
  const char* n = PQcmdTuples(result_.get());
  std::int64_t v = 0;
  if (n != nullptr) std::from_chars(n, n + std::char_traits<char>::length(n), v);
  return v;
}

std::string Rows::text(int row, int column) const {
  return {PQgetvalue(result_.get(), row, column),
          static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::optional<std::string> Rows::opt_text(int row, int column) const {
  if (is_null(row, column)) return std::nullopt;
  return text(row, column);
}

std::int64_t Rows::int64(int row, int column) const {
  const char* v = PQgetvalue(result_.get(), row, column);
  const int n = PQgetlength(result_.get(), row, column);
  std::int64_t out = 0;
  std::from_chars(v, v + n, out);
  return out;
}

bool Rows::is_null(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

// ---- Connection ----

core::Result<Connection> Connection::open(const std::string& url) {
  Connection c;
  c.name_ = without_password(url);
  c.conn_ = PQconnectdb(url.c_str());
  if (c.conn_ == nullptr || PQstatus(c.conn_) != CONNECTION_OK) {
    std::string why = c.conn_ != nullptr ? PQerrorMessage(c.conn_) : "out of memory";
    while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
      why.pop_back();
    return core::make_error(core::Errc::storage_failure,
                            "cannot connect to PostgreSQL at " + c.name_ + ": " + why);
  }
  // Notices (e.g. "relation already exists, skipping") are not the program's output.
  PQsetNoticeProcessor(
      c.conn_, [](void*, const char*) {}, nullptr);
  ML_TRY(c.exec("SET client_min_messages = warning; SET TIME ZONE 'UTC'"));
  return c;
}

Connection::Connection(Connection&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)),
      name_(std::move(other.name_)),
      prepared_(std::move(other.prepared_)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = std::exchange(other.conn_, nullptr);
    name_ = std::move(other.name_);
    prepared_ = std::move(other.prepared_);
  }
  return *this;
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

core::Error Connection::error(std::string_view what, pg_result* r) const {
  std::string message = r != nullptr ? PQresultErrorMessage(r) : "";
  if (message.empty()) message = PQerrorMessage(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
    message.pop_back();
  }
  std::string out = name_ + ": " + message + " (in " + first_line(what) + ")";
  std::string_view state;
  if (r != nullptr) {
    if (const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE)) {
      state = s;
      out += std::string(" [SQLSTATE ") + s + "]";
    }
  }
  // The connection is gone, or the server is shutting down or starting: nothing about the
  // statement was wrong, and it can be tried again once the database is back.
  const bool unavailable =
      PQstatus(conn_) == CONNECTION_BAD || state.starts_with("08") || state.starts_with("57P");
  return core::make_error(
      unavailable ? core::Errc::storage_unavailable : core::Errc::storage_failure, out);
}

core::Result<Rows> Connection::check(pg_result* r, std::string_view sql) const {
  const auto status = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Rows(r);
  auto e = error(sql, r);
  if (r != nullptr) PQclear(r);
  return e;
}

core::Status Connection::reconnect_if_lost() {
  if (PQstatus(conn_) != CONNECTION_BAD || in_transaction()) return core::Ok{};
  return reset();
}

core::Result<Rows> Connection::query(std::string_view sql, std::span<const Param> params) {
  ML_TRY(reconnect_if_lost());
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params)
    values.push_back(p.text ? p.text->c_str() : nullptr);
  const int n = static_cast<int>(values.size());
  std::string key(sql);
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    if (prepared_.size() >= kMaxPrepared) {
      return check(PQexecParams(conn_, key.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0),
                   sql);
    }
    std::string name = "ml" + std::to_string(prepared_.size());
    auto prepared = check(PQprepare(conn_, name.c_str(), key.c_str(), 0, nullptr), sql);
    if (!prepared) return prepared.error();
    it = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  return check(PQexecPrepared(conn_, it->second.c_str(), n, values.data(), nullptr, nullptr, 0),
               sql);
}

core::Status Connection::exec(std::string_view sql) {
  ML_TRY(reconnect_if_lost());
  const std::string text(sql);
  auto r = check(PQexec(conn_, text.c_str()), sql);
  if (!r) return r.error();
  return core::Ok{};
}

core::Result<std::int64_t> Connection::schema_version() {
  auto exists = query("SELECT to_regclass('meterlogger_schema') IS NOT NULL");
  if (!exists) return exists.error();
  if (exists->text(0, 0) != "t") return std::int64_t{0};
  auto r = query("SELECT COALESCE(MAX(version), 0) FROM meterlogger_schema");
  if (!r) return r.error();
  return r->int64(0, 0);
}

core::Status Connection::migrate(std::span<const std::string_view> migrations) {
  // Up to date: nothing written (a read-only session, e.g. on a streaming replica, opens too).
  auto known = schema_version();
  if (!known) return known.error();
  if (*known == static_cast<std::int64_t>(migrations.size())) return core::Ok{};
  Transaction lock(*this);
  ML_TRY(lock.begun());
  ML_TRY(query("SELECT pg_advisory_xact_lock($1)", {kMigrationLock}));
  ML_TRY(exec("CREATE TABLE IF NOT EXISTS meterlogger_schema(version BIGINT NOT NULL)"));
  auto version = query("SELECT COALESCE(MAX(version), 0) FROM meterlogger_schema");
  if (!version) return version.error();
  const std::int64_t current = version->int64(0, 0);
  if (current > static_cast<std::int64_t>(migrations.size())) {
    return core::make_error(core::Errc::storage_failure,
                            name_ + ": schema version " + std::to_string(current) +
                                " is newer than this program knows (" +
                                std::to_string(migrations.size()) + ")");
  }
  for (std::size_t i = static_cast<std::size_t>(current); i < migrations.size(); ++i) {
    Transaction step(*this);  // a savepoint: each migration whole or not at all
    ML_TRY(step.begun());
    ML_TRY(exec(migrations[i]));
    ML_TRY(exec("DELETE FROM meterlogger_schema"));
    ML_TRY(query("INSERT INTO meterlogger_schema(version) VALUES($1)",
                 {static_cast<std::int64_t>(i + 1)}));
    ML_TRY(step.commit());
  }
  return lock.commit();
}

bool Connection::in_transaction() const {
  const auto s = PQtransactionStatus(conn_);
  return s == PQTRANS_INTRANS || s == PQTRANS_INERROR || s == PQTRANS_ACTIVE;
}

core::Status Connection::reset() {
  PQreset(conn_);
  prepared_.clear();  // prepared statements belong to the old server session
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn_);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
      why.pop_back();
    return core::make_error(core::Errc::storage_unavailable,
                            "cannot connect to PostgreSQL at " + name_ + ": " + why);
  }
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  return exec("SET client_min_messages = warning; SET TIME ZONE 'UTC'");
}

// ---- Transaction ----

Transaction::Transaction(Connection& c, std::string_view how)
    : c_(c),
      nested_(c.in_transaction()),
      begun_(c.exec(nested_ ? std::string("SAVEPOINT ml_nested")
                            : "BEGIN" + (how.empty() ? std::string() : " " + std::string(how)))) {}

Transaction::~Transaction() {
  if (!begun_ || done_) return;
  if (nested_) {
    (void)c_.exec("ROLLBACK TO SAVEPOINT ml_nested; RELEASE SAVEPOINT ml_nested");
  } else {
    (void)c_.exec("ROLLBACK");
  }
}

core::Status Transaction::commit() {
  done_ = true;
  if (nested_) return c_.exec("RELEASE SAVEPOINT ml_nested");
  auto s = c_.exec("COMMIT");
  if (!s) (void)c_.exec("ROLLBACK");
  return s;
}

}  // namespace ml::platform::postgresql
