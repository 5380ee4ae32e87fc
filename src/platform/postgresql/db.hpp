// A small RAII wrapper over libpq (PostgreSQL's C client library): a connection, queries with
// text parameters ($1, $2, ...) prepared once per connection, rows read by index, transactions
// (a savepoint inside an open one, as platform/sqlite's) and numbered migrations under an
// advisory lock (several workers may start at once). Errors are values that name the database
// (its URL without a password), the statement and PostgreSQL's SQLSTATE.
//
// libpq rather than libpqxx: the project's errors are values (libpqxx throws), and libpq is the
// one library every PostgreSQL client on Debian has already (docs/server.md, "PostgreSQL").
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "platform/postgresql/url.hpp"

struct pg_conn;
struct pg_result;

namespace ml::platform::postgresql {

// One query parameter, sent as text (PostgreSQL infers its type from where it is used); an empty
// optional is NULL.
struct Param {
  Param(std::string_view v) : text(std::string(v)) {}      // NOLINT(google-explicit-constructor)
  Param(const std::string& v) : text(v) {}                 // NOLINT(google-explicit-constructor)
  Param(const char* v) : text(std::string(v)) {}           // NOLINT(google-explicit-constructor)
  Param(std::int64_t v) : text(std::to_string(v)) {}       // NOLINT(google-explicit-constructor)
  Param(int v) : text(std::to_string(v)) {}                // NOLINT(google-explicit-constructor)
  Param(bool v) : text(v ? "1" : "0") {}                   // NOLINT(google-explicit-constructor)
  Param(std::nullopt_t) {}                                 // NOLINT(google-explicit-constructor)
  Param(const std::optional<std::string>& v) : text(v) {}  // NOLINT(google-explicit-constructor)
  std::optional<std::string> text;
};

// The rows (or the row count) a statement gave.
class Rows {
 public:
  explicit Rows(pg_result* r);
  int size() const;
  bool empty() const { return size() == 0; }
  int columns() const;
  // Rows a statement without RETURNING inserted, updated or deleted.
  std::int64_t affected() const;
  std::string text(int row, int column) const;
  std::optional<std::string> opt_text(int row, int column) const;
  std::int64_t int64(int row, int column) const;  // a NULL reads 0
  bool is_null(int row, int column) const;

 private:
  std::shared_ptr<pg_result> result_;
};

class Connection {
 public:
  // Connects to `url` (a libpq connection URI, postgresql://user@host:port/db?options). Options
  // such as `options=-csearch_path%3Dname` choose a schema. The error names the URL without its
  // password.
  static core::Result<Connection> open(const std::string& url);
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // A statement with parameters, prepared on first use and kept for the connection's life
  // (statements built at run time from fixed parts only: the cache is bounded all the same).
  core::Result<Rows> query(std::string_view sql, std::span<const Param> params = {});
  core::Result<Rows> query(std::string_view sql, std::initializer_list<Param> params) {
    return query(sql, std::span<const Param>(params.begin(), params.size()));
  }
  // One or more statements without parameters (schema changes, BEGIN, COMMIT).
  core::Status exec(std::string_view sql);

  // Applies every migration whose number (1-based) is above the recorded version, each in its
  // own transaction together with the new version, under an advisory lock so that two processes
  // starting at once apply each migration once.
  core::Status migrate(std::span<const std::string_view> migrations);
  // The number of migrations applied (0 for a new database).
  core::Result<std::int64_t> schema_version();

  // True inside BEGIN ... COMMIT.
  bool in_transaction() const;
  // Connects again. A statement outside a transaction does so by itself when the connection is
  // lost (once); inside one it fails, since the transaction died with the connection. Errors of
  // a lost connection, and of a server shutting down or starting, are
  // Errc::storage_unavailable (the SQLSTATE is in the message): the caller may try again later.
  core::Status reset();

  // The URL this connection was opened with, its password replaced by "***".
  const std::string& name() const { return name_; }

 private:
  Connection() = default;
  core::Error error(std::string_view what, pg_result* r) const;
  core::Status reconnect_if_lost();
  core::Result<Rows> check(pg_result* r, std::string_view sql) const;
  pg_conn* conn_ = nullptr;
  std::string name_;
  std::unordered_map<std::string, std::string> prepared_;  // sql -> statement name
};

// BEGIN ... COMMIT, rolled back when not committed. Inside a transaction already open on the
// connection it is a savepoint instead: its writes then commit or roll back with the outer one.
class Transaction {
 public:
  // `how` follows BEGIN, e.g. "ISOLATION LEVEL REPEATABLE READ READ ONLY".
  explicit Transaction(Connection& c, std::string_view how = "");
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  const core::Status& begun() const { return begun_; }
  core::Status commit();

 private:
  Connection& c_;
  bool nested_;
  core::Status begun_;
  bool done_ = false;
};

}  // namespace ml::platform::postgresql
