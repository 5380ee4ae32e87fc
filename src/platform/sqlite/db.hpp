// A small RAII wrapper over the SQLite C API: a connection, prepared statements with typed
// binding and reading, transactions, and numbered migrations. Errors are values that name the
// database and the statement.
//
// The databases hold secrets (meter keys, password hashes, Wi-Fi passwords), so their files are
// the owner's only, whatever the umask: a new database file is created 0600 (SQLite creates its
// -wal and -shm files with the database file's mode), an existing one is set to 0600 when it is
// open to anyone else, and make_private_directories creates missing folders 0700.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace ml::platform::sqlite {

class Db;

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are numbered from 1.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, core::ByteView blob);
  Statement& bind_null(int index);

  // Runs one step: true when a row is available, false when done.
  core::Result<bool> step();
  // Runs to completion (for statements without rows).
  core::Status run();
  // Resets for another run with new bindings.
  void reset();

  std::int64_t int64(int column) const;
  std::string text(int column) const;
  core::Bytes blob(int column) const;
  bool is_null(int column) const;
  int columns() const;

 private:
  friend class Db;
  Statement(Db* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Db* db_;
  sqlite3_stmt* stmt_;
};

class Db {
 public:
  // Opens (creating, 0600) the file with WAL journaling, synchronous=FULL (a committed
  // transaction survives a power cut), foreign keys on and a busy timeout. The file and its -wal
  // and -shm files are made 0600 when their mode gives anything to the group or others.
  static core::Result<Db> open(const std::string& path);
  // Opens an existing file for reading only (SQLITE_OPEN_READONLY): never creates it, changes no
  // setting of the file (its journal mode stays as it is); a file open to anyone else is made
  // 0600 as by open. A missing file is an error naming it.
  static core::Result<Db> open_read_only(const std::string& path);
  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  core::Status exec(std::string_view sql);
  core::Result<Statement> prepare(std::string_view sql);

  // Applies every migration whose number (1-based index) is above PRAGMA user_version, each in
  // its own transaction, and records the new version.
  core::Status migrate(std::span<const std::string_view> migrations);
  // PRAGMA user_version: the number of migrations applied (0 for a new file).
  core::Result<std::int64_t> schema_version();

  std::int64_t last_insert_id() const;
  int changes() const;
  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }

  core::Error error(std::string_view what) const;

 private:
  Db() = default;
  sqlite3* db_ = nullptr;
  std::string path_;
};

// Creates `dir` and every missing folder above it with mode 0700 (whatever the umask). Folders
// that exist are left as they are.
core::Status make_private_directories(const std::string& dir);

// BEGIN IMMEDIATE ... COMMIT, rolled back when not committed. Inside a transaction already open
// on the connection it is a savepoint instead: its writes then commit or roll back with the
// outer one (so a store method can take part in a larger transaction).
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  const core::Status& begun() const { return begun_; }
  core::Status commit();

 private:
  Db& db_;
  bool nested_;
  core::Status begun_;
  bool done_ = false;
};

}  // namespace ml::platform::sqlite
