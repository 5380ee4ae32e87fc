// `db copy` (db_copy.hpp): the two backends behind one small interface (their catalogue, rows
// read in key order, rows inserted in one transaction), and the copy, the resume check and the
// verification written once over it.
#include "server/copy/db_copy.hpp"

#include <openssl/evp.h>
#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>

#include "core/bytes.hpp"
#include "platform/postgresql/db.hpp"
#include "platform/postgresql/url.hpp"
#include "platform/sqlite/db.hpp"
#include "server/postgresql/store.hpp"
#include "server/sqlite/store.hpp"

namespace ml::server::copy {
namespace {

namespace pg = platform::postgresql;
namespace sq = platform::sqlite;

// How a column's values are carried: integers and text as their text, a BLOB (BYTEA) as
// lower-case hex.
enum class Kind : std::uint8_t { integer, text, blob };

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::integer:
      return "integer";
    case Kind::text:
      return "text";
    case Kind::blob:
      return "blob";
  }
  return "?";
}

struct Column {
  std::string name;
  Kind kind = Kind::text;
  bool identity = false;  // PostgreSQL: its values come from a sequence
};

struct Table {
  std::string name;
  std::vector<Column> columns;       // by name: the same order whichever catalogue they came from
  std::vector<std::size_t> key;      // the primary key's columns (indexes into columns), in order
  std::set<std::string> references;  // the tables its foreign keys point to
};

using Value = std::optional<std::string>;  // NULL, or the value's text
using Row = std::vector<Value>;

core::Error failure(std::string text) {
  return core::make_error(core::Errc::storage_failure, std::move(text));
}

std::string ident(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string column_list(const Table& t) {
  std::string out;
  for (const auto& c : t.columns)
    out += (out.empty() ? "" : ", ") + ident(c.name);
  return out;
}

// ORDER BY of the primary key, text in byte order on both backends.
std::string key_order(const Table& t, bool postgresql) {
  std::string out;
  for (std::size_t i : t.key) {
    const Column& c = t.columns[i];
    out += (out.empty() ? "" : ", ") + ident(c.name);
    if (c.kind == Kind::text) out += postgresql ? " COLLATE \"C\"" : " COLLATE BINARY";
  }
  return out;
}

// Columns sorted by name, the key's indexes found by their names.
core::Status finish_table(Table& t, const std::vector<std::string>& key_names,
                          const std::string& database) {
  std::sort(t.columns.begin(), t.columns.end(),
            [](const Column& a, const Column& b) { return a.name < b.name; });
  if (key_names.empty()) {
    return failure(database + ": table " + t.name +
                   " has no primary key (db copy copies in primary-key order)");
  }
  for (const auto& k : key_names) {
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
      if (t.columns[i].name == k) t.key.push_back(i);
    }
  }
  return core::Ok{};
}

// SHA-256 over rows: per value a tag (0 NULL, 1 a value) and for a value its length (8 bytes,
// little-endian) and its bytes.
class Digest {
 public:
  Digest() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }
  void add(const Row& row) {
    for (const auto& v : row) {
      if (!v) {
        const unsigned char tag = 0;
        EVP_DigestUpdate(ctx_.get(), &tag, 1);
        continue;
      }
      unsigned char head[9];
      head[0] = 1;
      const auto n = static_cast<std::uint64_t>(v->size());
      for (int i = 0; i < 8; ++i)
        head[1 + i] = static_cast<unsigned char>(n >> (8 * i));
      EVP_DigestUpdate(ctx_.get(), head, sizeof head);
      EVP_DigestUpdate(ctx_.get(), v->data(), v->size());
    }
    ++rows_;
  }
  std::int64_t rows() const { return rows_; }
  // The checksum of the rows added so far (adding more afterwards is not possible).
  std::string hex() {
    if (hex_.empty()) {
      unsigned char out[EVP_MAX_MD_SIZE];
      unsigned int n = 0;
      EVP_DigestFinal_ex(ctx_.get(), out, &n);
      hex_ = core::to_hex(core::ByteView(out, n));
    }
    return hex_;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
  std::int64_t rows_ = 0;
  std::string hex_;
};

struct Summary {
  std::int64_t rows = 0;
  std::string checksum;
  bool operator==(const Summary&) const = default;
};

// A table's rows in key order. One reader at a time per database.
class Reader {
 public:
  virtual ~Reader() = default;
  // The next row into `row`; false after the last.
  virtual core::Result<bool> next(Row& row) = 0;
  virtual core::Status close() = 0;
};

class Database {
 public:
  virtual ~Database() = default;
  virtual std::string name() const = 0;
  // The tables of the schema, by name.
  virtual core::Result<std::vector<Table>> catalogue() = 0;
  // Reads between these see one snapshot.
  virtual core::Status begin_snapshot() = 0;
  virtual core::Status end_snapshot() = 0;
  virtual core::Result<std::int64_t> count(const Table& t) = 0;
  // The smallest and greatest value of an integer column; nullopt when the table is empty.
  virtual core::Result<std::optional<std::pair<std::int64_t, std::int64_t>>> range(
      const std::string& table, const std::string& column) = 0;
  virtual core::Result<std::unique_ptr<Reader>> read(const Table& t) = 0;
  // Inserts the rows in one transaction; a row whose key is there already is left out.
  virtual core::Status insert(const Table& t, const std::vector<Row>& rows) = 0;
  virtual core::Status clear(const Table& t) = 0;
  // After the copy: identity sequences moved past the copied ids.
  virtual core::Status finish() = 0;
};

// ---- SQLite ----

core::Result<Kind> sqlite_kind(const std::string& declared, const std::string& where) {
  std::string t = declared;
  std::transform(t.begin(), t.end(), t.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (t.find("INT") != std::string::npos) return Kind::integer;
  if (t.find("TEXT") != std::string::npos || t.find("CHAR") != std::string::npos ||
      t.find("CLOB") != std::string::npos) {
    return Kind::text;
  }
  if (t.find("BLOB") != std::string::npos) return Kind::blob;
  return failure(where + ": type " + declared + " is not one db copy knows (INTEGER, TEXT, BLOB)");
}

class SqliteReader final : public Reader {
 public:
  SqliteReader(sq::Statement statement, std::vector<Kind> kinds)
      : statement_(std::move(statement)), kinds_(std::move(kinds)) {}
  core::Result<bool> next(Row& row) override {
    auto more = statement_.step();
    if (!more) return more.error();
    if (!*more) return false;
    row.resize(kinds_.size());
    for (std::size_t i = 0; i < kinds_.size(); ++i) {
      const int c = static_cast<int>(i);
      if (statement_.is_null(c)) {
        row[i].reset();
      } else if (kinds_[i] == Kind::blob) {
        row[i] = core::to_hex(statement_.blob(c));
      } else {
        row[i] = statement_.text(c);
      }
    }
    return true;
  }
  core::Status close() override { return core::Ok{}; }

 private:
  sq::Statement statement_;
  std::vector<Kind> kinds_;
};

class SqliteDatabase final : public Database {
 public:
  static core::Result<std::unique_ptr<Database>> open(const std::string& path, bool writing) {
    auto db = writing ? sq::Db::open(path) : sq::Db::open_read_only(path);
    if (!db) return db.error();
    return std::unique_ptr<Database>(new SqliteDatabase(std::move(db).value()));
  }

  std::string name() const override { return db_.path(); }

  core::Result<std::vector<Table>> catalogue() override {
    std::vector<Table> tables;
    auto list = db_.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' ORDER BY name");
    if (!list) return list.error();
    while (true) {
      auto more = list->step();
      if (!more) return more.error();
      if (!*more) break;
      tables.push_back(Table{list->text(0), {}, {}, {}});
    }
    for (auto& t : tables) {
      auto columns = db_.prepare("SELECT name, type, pk FROM pragma_table_info(?1) ORDER BY cid");
      if (!columns) return columns.error();
      columns->bind(1, t.name);
      std::vector<std::pair<std::int64_t, std::string>> key;
      while (true) {
        auto more = columns->step();
        if (!more) return more.error();
        if (!*more) break;
        auto kind = sqlite_kind(columns->text(1), name() + ": " + t.name + "." + columns->text(0));
        if (!kind) return kind.error();
        t.columns.push_back(Column{columns->text(0), *kind, false});
        if (columns->int64(2) > 0) key.emplace_back(columns->int64(2), columns->text(0));
      }
      std::sort(key.begin(), key.end());
      std::vector<std::string> key_names;
      for (auto& k : key)
        key_names.push_back(std::move(k.second));
      ML_TRY(finish_table(t, key_names, name()));
      auto references = db_.prepare("SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)");
      if (!references) return references.error();
      references->bind(1, t.name);
      while (true) {
        auto more = references->step();
        if (!more) return more.error();
        if (!*more) break;
        t.references.insert(references->text(0));
      }
    }
    return tables;
  }

  core::Status begin_snapshot() override { return db_.exec("BEGIN"); }
  core::Status end_snapshot() override { return db_.exec("COMMIT"); }

  core::Result<std::int64_t> count(const Table& t) override {
    auto q = db_.prepare("SELECT count(*) FROM " + ident(t.name));
    if (!q) return q.error();
    auto row = q->step();
    if (!row) return row.error();
    return q->int64(0);
  }

  core::Result<std::optional<std::pair<std::int64_t, std::int64_t>>> range(
      const std::string& table, const std::string& column) override {
    auto q = db_.prepare("SELECT min(" + ident(column) + "), max(" + ident(column) + ") FROM " +
                         ident(table));
    if (!q) return q.error();
    auto row = q->step();
    if (!row) return row.error();
    if (q->is_null(0)) return std::optional<std::pair<std::int64_t, std::int64_t>>{};
    return std::optional<std::pair<std::int64_t, std::int64_t>>{{q->int64(0), q->int64(1)}};
  }

  core::Result<std::unique_ptr<Reader>> read(const Table& t) override {
    auto q = db_.prepare("SELECT " + column_list(t) + " FROM " + ident(t.name) + " ORDER BY " +
                         key_order(t, false));
    if (!q) return q.error();
    std::vector<Kind> kinds;
    for (const auto& c : t.columns)
      kinds.push_back(c.kind);
    return std::unique_ptr<Reader>(new SqliteReader(std::move(q).value(), std::move(kinds)));
  }

  core::Status insert(const Table& t, const std::vector<Row>& rows) override {
    auto it = inserts_.find(t.name);
    if (it == inserts_.end()) {
      std::string marks;
      for (std::size_t i = 0; i < t.columns.size(); ++i)
        marks += i == 0 ? "?" : ", ?";
      auto q = db_.prepare("INSERT INTO " + ident(t.name) + " (" + column_list(t) + ") VALUES (" +
                           marks + ") ON CONFLICT DO NOTHING");
      if (!q) return q.error();
      it = inserts_.emplace(t.name, std::move(q).value()).first;
    }
    sq::Statement& q = it->second;
    sq::Transaction tx(db_);
    ML_TRY(tx.begun());
    for (const auto& row : rows) {
      for (std::size_t i = 0; i < t.columns.size(); ++i) {
        const int p = static_cast<int>(i) + 1;
        const Value& v = row[i];
        if (!v) {
          q.bind_null(p);
          continue;
        }
        switch (t.columns[i].kind) {
          case Kind::integer: {
            std::int64_t n = 0;
            const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
            if (ec == std::errc() && end == v->data() + v->size()) {
              q.bind(p, n);
            } else {
              q.bind(p, std::string_view(*v));
            }
            break;
          }
          case Kind::text:
            q.bind(p, std::string_view(*v));
            break;
          case Kind::blob: {
            auto bytes = core::from_hex(*v, std::numeric_limits<std::size_t>::max() / 2);
            if (!bytes)
              return failure(name() + ": " + t.name + "." + t.columns[i].name +
                             ": not hex: " + bytes.error().text());
            q.bind_blob(p, *bytes);
            break;
          }
        }
      }
      if (auto s = q.run(); !s) return failure(s.error().text() + " (table " + t.name + ")");
    }
    return tx.commit();
  }

  core::Status clear(const Table& t) override { return db_.exec("DELETE FROM " + ident(t.name)); }
  core::Status finish() override { return core::Ok{}; }

 private:
  explicit SqliteDatabase(sq::Db db) : db_(std::move(db)) {}
  sq::Db db_;
  std::map<std::string, sq::Statement> inserts_;
};

// ---- PostgreSQL ----

core::Result<Kind> postgresql_kind(const std::string& type, const std::string& where) {
  if (type == "bigint" || type == "integer" || type == "smallint") return Kind::integer;
  if (type == "text" || type.starts_with("character")) return Kind::text;
  if (type == "bytea") return Kind::blob;
  return failure(where + ": type " + type + " is not one db copy knows (bigint, text, bytea)");
}

constexpr std::string_view kCursor = "ml_db_copy";
constexpr int kFetchRows = 2000;

class PostgresReader final : public Reader {
 public:
  PostgresReader(pg::Connection& c, bool own_transaction, std::vector<Kind> kinds)
      : c_(c), own_(own_transaction), kinds_(std::move(kinds)) {}
  ~PostgresReader() override { (void)close(); }
  PostgresReader(const PostgresReader&) = delete;
  PostgresReader& operator=(const PostgresReader&) = delete;

  core::Result<bool> next(Row& row) override {
    if (!rows_ || at_ >= rows_->size()) {
      if (done_) return false;
      auto r =
          c_.query("FETCH FORWARD " + std::to_string(kFetchRows) + " FROM " + std::string(kCursor));
      if (!r) return r.error();
      rows_ = std::move(r).value();
      at_ = 0;
      if (rows_->size() < kFetchRows) done_ = true;
      if (rows_->empty()) return false;
    }
    row.resize(kinds_.size());
    for (std::size_t i = 0; i < kinds_.size(); ++i) {
      const int c = static_cast<int>(i);
      if (rows_->is_null(at_, c)) {
        row[i].reset();
      } else if (kinds_[i] == Kind::blob) {
        std::string v = rows_->text(at_, c);  // bytea_output = hex: "\x0a1b..."
        row[i] = v.starts_with("\\x") ? v.substr(2) : v;
      } else {
        row[i] = rows_->text(at_, c);
      }
    }
    ++at_;
    return true;
  }

  core::Status close() override {
    if (closed_) return core::Ok{};
    closed_ = true;
    auto closing = c_.exec("CLOSE " + std::string(kCursor));
    if (own_) {
      auto end = c_.exec(closing ? "COMMIT" : "ROLLBACK");
      if (closing && !end) return end;
    }
    return closing;
  }

 private:
  pg::Connection& c_;
  bool own_;
  std::vector<Kind> kinds_;
  std::optional<pg::Rows> rows_;
  int at_ = 0;
  bool done_ = false;
  bool closed_ = false;
};

// A JSON string of `s` (PostgreSQL checks that it is UTF-8): runs of plain characters appended
// whole.
void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t plain = 0;  // the start of the run not yet appended
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != '"' && u != '\\') continue;
    out.append(s.data() + plain, i - plain);
    plain = i + 1;
    if (u == '"' || u == '\\') {
      out += '\\';
      out += s[i];
    } else {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  out.append(s.data() + plain, s.size() - plain);
  out += '"';
}

class PostgresDatabase final : public Database {
 public:
  static core::Result<std::unique_ptr<Database>> open(const std::string& url, bool writing) {
    auto c = pg::Connection::open(url);
    if (!c) return c.error();
    ML_TRY(c->exec(writing ? "SET bytea_output = hex"
                           : "SET bytea_output = hex; SET default_transaction_read_only = on"));
    return std::unique_ptr<Database>(new PostgresDatabase(std::move(c).value()));
  }

  std::string name() const override { return c_.name(); }

  core::Result<std::vector<Table>> catalogue() override {
    // Tables and partitioned tables of the current schema; not their partitions, nor the
    // migrations' bookkeeping.
    auto list = c_.query(
        "SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
        "AND c.relname <> 'meterlogger_schema' ORDER BY c.relname COLLATE \"C\"");
    if (!list) return list.error();
    std::vector<Table> tables;
    for (int i = 0; i < list->size(); ++i) {
      const std::string oid = list->text(i, 0);
      Table t{list->text(i, 1), {}, {}, {}};
      auto columns = c_.query(
          "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attidentity <> '' OR "
          "COALESCE(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false) "
          "FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid "
          "AND d.adnum = a.attnum WHERE a.attrelid = $1::oid AND a.attnum > 0 "
          "AND NOT a.attisdropped ORDER BY a.attnum",
          {oid});
      if (!columns) return columns.error();
      for (int j = 0; j < columns->size(); ++j) {
        auto kind = postgresql_kind(columns->text(j, 1),
                                    name() + ": " + t.name + "." + columns->text(j, 0));
        if (!kind) return kind.error();
        t.columns.push_back(Column{columns->text(j, 0), *kind, columns->text(j, 2) == "t"});
      }
      auto key = c_.query(
          "SELECT a.attname FROM pg_index i "
          "CROSS JOIN LATERAL unnest(i.indkey::smallint[]) WITH ORDINALITY AS k(attnum, ord) "
          "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
          "WHERE i.indrelid = $1::oid AND i.indisprimary ORDER BY k.ord",
          {oid});
      if (!key) return key.error();
      std::vector<std::string> key_names;
      for (int j = 0; j < key->size(); ++j)
        key_names.push_back(key->text(j, 0));
      ML_TRY(finish_table(t, key_names, name()));
      auto references = c_.query(
          "SELECT DISTINCT r.relname FROM pg_constraint c JOIN pg_class r ON r.oid = c.confrelid "
          "WHERE c.contype = 'f' AND c.conrelid = $1::oid",
          {oid});
      if (!references) return references.error();
      for (int j = 0; j < references->size(); ++j)
        t.references.insert(references->text(j, 0));
      tables.push_back(std::move(t));
    }
    return tables;
  }

  core::Status begin_snapshot() override {
    return c_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  }
  core::Status end_snapshot() override { return c_.exec("COMMIT"); }

  core::Result<std::int64_t> count(const Table& t) override {
    auto r = c_.query("SELECT count(*) FROM " + ident(t.name));
    if (!r) return r.error();
    return r->int64(0, 0);
  }

  core::Result<std::optional<std::pair<std::int64_t, std::int64_t>>> range(
      const std::string& table, const std::string& column) override {
    auto r = c_.query("SELECT min(" + ident(column) + "), max(" + ident(column) + ") FROM " +
                      ident(table));
    if (!r) return r.error();
    if (r->is_null(0, 0)) return std::optional<std::pair<std::int64_t, std::int64_t>>{};
    return std::optional<std::pair<std::int64_t, std::int64_t>>{{r->int64(0, 0), r->int64(0, 1)}};
  }

  core::Result<std::unique_ptr<Reader>> read(const Table& t) override {
    const bool own = !c_.in_transaction();
    if (own) ML_TRY(c_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    auto declared =
        c_.exec("DECLARE " + std::string(kCursor) + " NO SCROLL CURSOR FOR SELECT " +
                column_list(t) + " FROM " + ident(t.name) + " ORDER BY " + key_order(t, true));
    if (!declared) {
      if (own) (void)c_.exec("ROLLBACK");
      return declared.error();
    }
    std::vector<Kind> kinds;
    for (const auto& c : t.columns)
      kinds.push_back(c.kind);
    return std::unique_ptr<Reader>(new PostgresReader(c_, own, std::move(kinds)));
  }

  // One statement per chunk: the rows as a JSON array of objects, turned into the table's row
  // type by json_populate_recordset (a value as text goes through its column type's input).
  core::Status insert(const Table& t, const std::vector<Row>& rows) override {
    std::string json = "[";
    json.reserve(rows.size() * (last_row_size_ + 16));
    for (const auto& row : rows) {
      json += json.size() == 1 ? "{" : ",{";
      for (std::size_t i = 0; i < t.columns.size(); ++i) {
        if (i > 0) json += ',';
        append_json_string(json, t.columns[i].name);
        json += ':';
        if (!row[i]) {
          json += "null";
        } else if (t.columns[i].kind == Kind::blob) {
          append_json_string(json, "\\x" + *row[i]);
        } else {
          append_json_string(json, *row[i]);
        }
      }
      json += '}';
    }
    json += ']';
    last_row_size_ = rows.empty() ? 0 : json.size() / rows.size();
    const std::string columns = column_list(t);
    pg::Transaction tx(c_);
    ML_TRY(tx.begun());
    auto r = c_.query("INSERT INTO " + ident(t.name) + " (" + columns + ") SELECT " + columns +
                          " FROM json_populate_recordset(NULL::" + ident(t.name) +
                          ", $1::json) ON CONFLICT DO NOTHING",
                      {json});
    if (!r) return failure(r.error().text() + " (table " + t.name + ")");
    return tx.commit();
  }

  core::Status clear(const Table& t) override { return c_.exec("DELETE FROM " + ident(t.name)); }

  core::Status finish() override {
    auto tables = catalogue();
    if (!tables) return tables.error();
    for (const auto& t : *tables) {
      for (const auto& c : t.columns) {
        if (!c.identity) continue;
        ML_TRY(c_.query("SELECT setval(pg_get_serial_sequence($1, $2), m) FROM (SELECT max(" +
                            ident(c.name) + ") AS m FROM " + ident(t.name) +
                            ") x WHERE m IS NOT NULL",
                        {ident(t.name), c.name}));
      }
    }
    return core::Ok{};
  }

 private:
  explicit PostgresDatabase(pg::Connection c) : c_(std::move(c)) {}
  pg::Connection c_;
  std::size_t last_row_size_ = 0;  // the JSON of a row of the last chunk, for reserve()
};

// ---- the copy ----

core::Result<std::unique_ptr<Database>> open_database(const std::string& database, bool writing) {
  return is_postgresql(database) ? PostgresDatabase::open(database, writing)
                                 : SqliteDatabase::open(database, writing);
}

// The database must be at this program's schema version.
core::Status check_version(const std::string& database) {
  const bool postgresql = is_postgresql(database);
  auto version = postgresql ? PostgresStore::schema_version_of(database)
                            : SqliteStore::schema_version_of(database);
  if (!version) return version.error();
  const std::int64_t latest =
      postgresql ? PostgresStore::latest_schema_version() : SqliteStore::latest_schema_version();
  if (*version < latest) {
    return failure(display_name(database) + ": schema version " + std::to_string(*version) +
                   ", this program's is " + std::to_string(latest) +
                   ": run `meterlogger-server migrate` on it first (db copy only reads it)");
  }
  if (*version > latest) {
    return failure(display_name(database) + ": schema version " + std::to_string(*version) +
                   " is newer than this program knows (" + std::to_string(latest) + ")");
  }
  return core::Ok{};
}

bool same_database(const std::string& a, const std::string& b) {
  if (is_postgresql(a) != is_postgresql(b)) return false;
  if (is_postgresql(a)) return a == b;
  std::error_code ec1;
  std::error_code ec2;
  const auto pa = std::filesystem::weakly_canonical(a, ec1);
  const auto pb = std::filesystem::weakly_canonical(b, ec2);
  return ec1 || ec2 ? a == b : pa == pb;
}

// Both catalogues must hold the same tables with the same columns and keys.
core::Status check_same_schema(const std::vector<Table>& a, const std::vector<Table>& b,
                               const std::string& a_name, const std::string& b_name) {
  std::map<std::string, const Table*> in_b;
  for (const auto& t : b)
    in_b[t.name] = &t;
  std::vector<std::string> differences;
  for (const auto& t : a) {
    auto it = in_b.find(t.name);
    if (it == in_b.end()) {
      differences.push_back("table " + t.name + " is missing in " + b_name);
      continue;
    }
    const Table& u = *it->second;
    in_b.erase(it);
    std::vector<std::string> ca;
    std::vector<std::string> cb;
    for (const auto& c : t.columns)
      ca.push_back(c.name + " " + std::string(kind_name(c.kind)));
    for (const auto& c : u.columns)
      cb.push_back(c.name + " " + std::string(kind_name(c.kind)));
    if (ca != cb) differences.push_back("table " + t.name + " has other columns");
    std::vector<std::string> ka;
    std::vector<std::string> kb;
    for (std::size_t i : t.key)
      ka.push_back(t.columns[i].name);
    for (std::size_t i : u.key)
      kb.push_back(u.columns[i].name);
    if (ka != kb) differences.push_back("table " + t.name + " has another primary key");
  }
  for (const auto& [name, t] : in_b)
    differences.push_back("table " + name + " is missing in " + a_name);
  if (differences.empty()) return core::Ok{};
  std::string text;
  for (const auto& d : differences)
    text += (text.empty() ? "" : "; ") + d;
  return failure("the schemas of " + a_name + " and " + b_name + " differ (" + text +
                 "): is one of them of another version of meterlogger-server?");
}

// Referenced tables before those that refer to them, else by name.
std::vector<Table> copy_order(std::vector<Table> tables) {
  std::set<std::string> names;
  for (const auto& t : tables)
    names.insert(t.name);
  std::set<std::string> done;
  std::vector<Table> out;
  while (!tables.empty()) {
    auto it = std::find_if(tables.begin(), tables.end(), [&](const Table& t) {
      return std::all_of(t.references.begin(), t.references.end(), [&](const std::string& r) {
        return r == t.name || done.contains(r) || !names.contains(r);
      });
    });
    if (it == tables.end()) it = tables.begin();  // a cycle: as they come
    done.insert(it->name);
    out.push_back(std::move(*it));
    tables.erase(it);
  }
  return out;
}

core::Result<Summary> summarize(Database& db, const Table& t) {
  auto reader = db.read(t);
  if (!reader) return reader.error();
  Digest digest;
  Row row;
  while (true) {
    auto more = (*reader)->next(row);
    if (!more) return more.error();
    if (!*more) break;
    digest.add(row);
  }
  ML_TRY((*reader)->close());
  return Summary{digest.rows(), digest.hex()};
}

// The rows a new database holds already (counters' samples_stored = 0), by table: a destination
// table holding just these is as good as empty. From a new SQLite database (PostgreSQL's
// migrations put the same rows there).
core::Result<std::map<std::string, Summary>> new_database_rows() {
  std::string dir = (std::filesystem::temp_directory_path() / "ml-db-copy-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    return failure("cannot create a temporary folder: " + std::string(std::strerror(errno)));
  }
  struct Remove {
    std::string dir;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } remove{dir};
  const std::string path = dir + "/new.db";
  if (auto store = SqliteStore::open(path); !store) return store.error();
  auto db = SqliteDatabase::open(path, false);
  if (!db) return db.error();
  auto tables = (*db)->catalogue();
  if (!tables) return tables.error();
  std::map<std::string, Summary> out;
  for (const auto& t : *tables) {
    auto s = summarize(**db, t);
    if (!s) return s.error();
    if (s->rows > 0) out[t.name] = *s;
  }
  return out;
}

// Reads of the source between begin_snapshot and the end of scope see one snapshot.
class Snapshot {
 public:
  explicit Snapshot(Database& db) : db_(db) {}
  ~Snapshot() {
    if (open_) (void)db_.end_snapshot();
  }
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;
  core::Status begin() {
    ML_TRY(db_.begin_snapshot());
    open_ = true;
    return core::Ok{};
  }
  core::Status end() {
    open_ = false;
    return db_.end_snapshot();
  }

 private:
  Database& db_;
  bool open_ = false;
};

// What the destination holds of a table already: `rows` that are the source's first ones (an
// earlier copy of this source that was interrupted), or rows a new database holds (`clear`).
struct Start {
  std::int64_t rows = 0;
  bool clear = false;
};

// The destination's rows of `t` must be the source's first ones in key order, or those of a new
// database; anything else is another installation's: nullopt.
core::Result<std::optional<Start>> start_of(Database& source, Database& destination, const Table& t,
                                            const std::map<std::string, Summary>& new_rows) {
  auto present = summarize(destination, t);
  if (!present) return present.error();
  if (present->rows == 0) return std::optional<Start>(Start{});
  auto reader = source.read(t);
  if (!reader) return reader.error();
  Digest prefix;
  Row row;
  while (prefix.rows() < present->rows) {
    auto more = (*reader)->next(row);
    if (!more) return more.error();
    if (!*more) break;
    prefix.add(row);
  }
  ML_TRY((*reader)->close());
  if (prefix.rows() == present->rows && prefix.hex() == present->checksum) {
    return std::optional<Start>(Start{present->rows, false});
  }
  if (auto it = new_rows.find(t.name); it != new_rows.end() && it->second == *present) {
    return std::optional<Start>(Start{0, true});
  }
  return std::optional<Start>{};
}

core::Error stopped(const Table& t, std::int64_t rows) {
  return failure("the copy stopped at " + std::to_string(rows) + " rows of table " + t.name +
                 "; run it again to go on");
}

// Copies the rows of table `t` after the destination's first `start.rows` and reads the whole
// source table for its count and checksum.
core::Status copy_table(Database& source, Database& destination, const Table& t, Start start,
                        const CopyOptions& options, TableCheck& check) {
  check.table = t.name;
  auto total = source.count(t);
  if (!total) return total.error();
  if (start.clear) ML_TRY(destination.clear(t));  // what a new database has, not data
  auto reader = source.read(t);
  if (!reader) return reader.error();
  Digest all;
  Row row;
  std::int64_t n = 0;
  std::int64_t in_destination = start.rows;
  std::vector<Row> chunk;
  chunk.reserve(options.chunk_rows);
  const auto flush = [&]() -> core::Status {
    ML_TRY(destination.insert(t, chunk));
    check.copied += static_cast<std::int64_t>(chunk.size());
    in_destination += static_cast<std::int64_t>(chunk.size());
    chunk.clear();
    if (options.progress && !options.progress({t.name, in_destination, *total, false})) {
      return stopped(t, in_destination);
    }
    return core::Ok{};
  };
  while (true) {
    auto more = (*reader)->next(row);
    if (!more) return more.error();
    if (!*more) break;
    all.add(row);
    if (++n <= start.rows) continue;  // there already
    chunk.push_back(std::move(row));
    row = Row{};
    if (chunk.size() >= options.chunk_rows) ML_TRY(flush());
  }
  if (!chunk.empty()) ML_TRY(flush());
  ML_TRY((*reader)->close());
  check.source_rows = n;
  check.source_checksum = all.hex();
  if (options.progress && !options.progress({t.name, in_destination, *total, true})) {
    return stopped(t, in_destination);
  }
  return core::Ok{};
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

bool CopyReport::ok() const {
  return std::all_of(tables.begin(), tables.end(), [](const TableCheck& t) { return t.ok(); });
}

std::vector<std::string> CopyReport::mismatched() const {
  std::vector<std::string> out;
  for (const auto& t : tables)
    if (!t.ok()) out.push_back(t.table);
  return out;
}

bool is_postgresql(std::string_view database) {
  return PostgresStore::serves(database);
}

std::string display_name(const std::string& database) {
  return is_postgresql(database) ? pg::without_password(database) : database;
}

core::Result<CopyReport> copy_database(const std::string& from, const std::string& to,
                                       const CopyOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  if (options.chunk_rows == 0) {
    return core::make_error(core::Errc::invalid_argument, "the chunk size must be at least 1");
  }
  if (same_database(from, to)) {
    return core::make_error(core::Errc::invalid_argument,
                            "the destination is the source: " + display_name(to));
  }
  ML_TRY(check_version(from));
  auto source = open_database(from, false);
  if (!source) return source.error();
  auto tables = (*source)->catalogue();
  if (!tables) return tables.error();

  // The destination: created and migrated as the writing commands do; on PostgreSQL with the
  // month partitions of every sample.
  if (is_postgresql(to)) {
    auto store = PostgresStore::open(to);
    if (!store) return store.error();
    const bool has_samples = std::any_of(tables->begin(), tables->end(), [](const Table& t) {
      return t.name == "samples" && std::any_of(t.columns.begin(), t.columns.end(),
                                                [](const Column& c) { return c.name == "time"; });
    });
    if (has_samples) {
      auto range = (*source)->range("samples", "time");
      if (!range) return range.error();
      if (*range) ML_TRY((*store)->prepare_for_samples((*range)->first, (*range)->second));
    }
  } else if (auto store = SqliteStore::open(to); !store) {
    return store.error();
  }
  auto destination = open_database(to, true);
  if (!destination) return destination.error();
  auto destination_tables = (*destination)->catalogue();
  if (!destination_tables) return destination_tables.error();
  ML_TRY(check_same_schema(*tables, *destination_tables, display_name(from), display_name(to)));
  auto new_rows = new_database_rows();
  if (!new_rows) return new_rows.error();

  const std::vector<Table> order = copy_order(std::move(tables).value());
  CopyReport report;
  {
    Snapshot snapshot(**source);
    ML_TRY(snapshot.begin());
    // Every table checked before anything is written: another installation's stays as it was.
    std::vector<Start> starts;
    std::string foreign;
    for (const auto& t : order) {
      auto start = start_of(**source, **destination, t, *new_rows);
      if (!start) return start.error();
      if (!*start) foreign += (foreign.empty() ? "" : ", ") + t.name;
      starts.push_back(start->value_or(Start{}));
    }
    if (!foreign.empty()) {
      return failure(display_name(to) + " holds other data than " + display_name(from) +
                     " (tables " + foreign +
                     "; another installation?): db copy fills a new database, or goes on "
                     "with one it was copying into from the same source");
    }
    for (std::size_t i = 0; i < order.size(); ++i) {
      const Table& t = order[i];
      TableCheck check;
      ML_TRY(copy_table(**source, **destination, t, starts[i], options, check));
      report.rows_copied += check.copied;
      report.tables.push_back(std::move(check));
    }
    ML_TRY(snapshot.end());
  }
  ML_TRY((*destination)->finish());
  report.copy_seconds = seconds_since(started);

  // Verification: the destination read back.
  for (std::size_t i = 0; i < order.size(); ++i) {
    auto s = summarize(**destination, order[i]);
    if (!s) return s.error();
    report.tables[i].destination_rows = s->rows;
    report.tables[i].destination_checksum = s->checksum;
  }
  report.seconds = seconds_since(started);
  return report;
}

core::Result<CopyReport> compare_databases(const std::string& a, const std::string& b) {
  const auto started = std::chrono::steady_clock::now();
  ML_TRY(check_version(a));
  ML_TRY(check_version(b));
  auto da = open_database(a, false);
  if (!da) return da.error();
  auto db = open_database(b, false);
  if (!db) return db.error();
  auto ta = (*da)->catalogue();
  if (!ta) return ta.error();
  auto tb = (*db)->catalogue();
  if (!tb) return tb.error();
  ML_TRY(check_same_schema(*ta, *tb, display_name(a), display_name(b)));
  CopyReport report;
  for (const auto& t : copy_order(std::move(ta).value())) {
    auto sa = summarize(**da, t);
    if (!sa) return sa.error();
    auto sb = summarize(**db, t);
    if (!sb) return sb.error();
    report.tables.push_back(TableCheck{t.name, sa->rows, sb->rows, sa->checksum, sb->checksum, 0});
  }
  report.seconds = seconds_since(started);
  return report;
}

}  // namespace ml::server::copy
