#include "platform/sqlite/db.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace ml::platform::sqlite {

// ---- Statement ----

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_blob(int index, core::ByteView blob) {
  if (blob.empty()) {
    sqlite3_bind_zeroblob(stmt_, index, 0);  // a null pointer would bind NULL, not an empty blob
    return *this;
  }
  sqlite3_bind_blob(stmt_, index, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

core::Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->error(sqlite3_sql(stmt_));
}

core::Status Statement::run() {
  while (true) {
    auto r = step();
    if (!r) {
      reset();
      return r.error();
    }
    if (!*r) break;
  }
  reset();
  return core::Ok{};
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : "";
}

core::Bytes Statement::blob(int column) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int n = sqlite3_column_bytes(stmt_, column);
  return p ? core::Bytes(p, p + n) : core::Bytes{};
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int Statement::columns() const {
  return sqlite3_column_count(stmt_);
}

// ---- Db ----

namespace {

core::Error os_error(const std::string& what, int err) {
  return core::make_error(core::Errc::storage_failure, what + ": " + std::strerror(err));
}

// Creates `path` 0600 when it does not exist; tightens a file of ours to 0600 when it gives
// anything to the group or others. A file that is missing stays missing when `create` is false.
core::Status make_private_file(const std::string& path, bool create) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return os_error("cannot look at " + path, errno);
    if (!create) return core::Ok{};
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      if (errno == EEXIST) return make_private_file(path, false);  // created meanwhile
      return os_error("cannot create " + path, errno);
    }
    const int rc = ::fchmod(fd, 0600);  // the umask may have taken bits away from 0600
    const int err = errno;
    ::close(fd);
    if (rc != 0) return os_error("cannot set the mode of " + path, err);
    return core::Ok{};
  }
  // Only the owner may change the mode (another user may be reading a copy it was given).
  if ((st.st_mode & 0077) != 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() &&
      ::chmod(path.c_str(), 0600) != 0) {
    return os_error("cannot set the mode of " + path, errno);
  }
  return core::Ok{};
}

}  // namespace

core::Status make_private_directories(const std::string& dir) {
  if (dir.empty()) return core::Ok{};
  std::filesystem::path at;
  for (const auto& part : std::filesystem::path(dir)) {
    at /= part;
    struct stat st {};
    if (::stat(at.c_str(), &st) == 0) continue;
    if (errno != ENOENT) return os_error("cannot look at " + at.string(), errno);
    if (::mkdir(at.c_str(), 0700) != 0 && errno != EEXIST) {
      return os_error("cannot create " + at.string(), errno);
    }
    if (::chmod(at.c_str(), 0700) != 0)
      return os_error("cannot set the mode of " + at.string(), errno);
  }
  return core::Ok{};
}

core::Result<Db> Db::open(const std::string& path) {
  Db db;
  db.path_ = path;
  const bool special = path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0;
  if (!special) {
    ML_TRY(make_private_file(path, true));
    for (const char* suffix : {"-wal", "-shm"})
      ML_TRY(make_private_file(path + suffix, false));
  }
  const int rc =
      sqlite3_open_v2(path.c_str(), &db.db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return db.error("open");
  sqlite3_busy_timeout(db.db_, 5000);
  for (std::string_view pragma :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    if (auto s = db.exec(pragma); !s) return s.error();
  }
  return db;
}

core::Result<Db> Db::open_read_only(const std::string& path) {
  Db db;
  db.path_ = path;
  const bool special = path.empty() || path == ":memory:" || path.rfind("file:", 0) == 0;
  if (!special) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      return os_error("cannot open " + path + " for reading", errno);
    }
    ML_TRY(make_private_file(path, false));
    for (const char* suffix : {"-wal", "-shm"})
      ML_TRY(make_private_file(path + suffix, false));
  }
  const int rc =
      sqlite3_open_v2(path.c_str(), &db.db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) return db.error("open (read-only)");
  sqlite3_busy_timeout(db.db_, 5000);
  if (auto s = db.exec("PRAGMA foreign_keys=ON"); !s) return s.error();
  return db;
}

Db::Db(Db&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

Db::~Db() {
  sqlite3_close_v2(db_);
}

core::Error Db::error(std::string_view what) const {
  std::string msg = path_ + ": " + std::string(what.substr(0, 120)) + ": ";
  msg += db_ ? sqlite3_errmsg(db_) : "cannot allocate a connection";
  return core::make_error(core::Errc::storage_failure, msg);
}

core::Status Db::exec(std::string_view sql) {
  const std::string s(sql);
  char* err = nullptr;
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = path_ + ": " + s.substr(0, 120) + ": " + (err ? err : "?");
    sqlite3_free(err);
    return core::make_error(core::Errc::storage_failure, msg);
  }
  return core::Ok{};
}

core::Result<Statement> Db::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return error(sql);
  }
  return Statement(this, stmt);
}

core::Result<std::int64_t> Db::schema_version() {
  auto version = prepare("PRAGMA user_version");
  if (!version) return version.error();
  auto row = version->step();
  if (!row) return row.error();
  return *row ? version->int64(0) : 0;
}

core::Status Db::migrate(std::span<const std::string_view> migrations) {
  auto version = schema_version();
  if (!version) return version.error();
  const std::int64_t current = *version;
  if (current > static_cast<std::int64_t>(migrations.size())) {
    return core::make_error(core::Errc::storage_failure,
                            path_ + ": schema version " + std::to_string(current) +
                                " is newer than this program knows (" +
                                std::to_string(migrations.size()) + ")");
  }
  for (std::size_t i = static_cast<std::size_t>(current); i < migrations.size(); ++i) {
    Transaction tx(*this);
    if (!tx.begun()) return tx.begun().error();
    if (auto s = exec(migrations[i]); !s) return s.error();
    if (auto s = exec("PRAGMA user_version=" + std::to_string(i + 1)); !s) return s.error();
    if (auto s = tx.commit(); !s) return s.error();
  }
  return core::Ok{};
}

std::int64_t Db::last_insert_id() const {
  return sqlite3_last_insert_rowid(db_);
}

int Db::changes() const {
  return sqlite3_changes(db_);
}

// ---- Transaction ----

Transaction::Transaction(Db& db)
    : db_(db),
      nested_(sqlite3_get_autocommit(db.handle()) == 0),
      begun_(db.exec(nested_ ? "SAVEPOINT ml_nested" : "BEGIN IMMEDIATE")) {}

Transaction::~Transaction() {
  if (!begun_ || done_) return;
  if (nested_) {
    (void)db_.exec("ROLLBACK TO ml_nested");
    (void)db_.exec("RELEASE ml_nested");
  } else {
    (void)db_.exec("ROLLBACK");
  }
}

core::Status Transaction::commit() {
  done_ = true;
  return db_.exec(nested_ ? "RELEASE ml_nested" : "COMMIT");
}

}  // namespace ml::platform::sqlite
