// bench/ingest/ingest_baseline: the per-message pipeline of the original server
// (MeterLoggerWeb's meter_grapher.pl, /work/shared/spec/server.md §2), in C++ on SQLite, to
// measure `meterlogger-server ingest --from` against (bench/ingest_file.sh):
//
//   ingest_baseline CAPTURE METERS_TXT DB [full|normal]
//
// For each message of CAPTURE (read with the same reader as `ingest --from`): the serial and time
// from the topic; SELECT the key from a meters table; derive the AES and HMAC keys, verify the
// HMAC and decrypt (the project's core envelope functions); drop trailing NULs and whitespace;
// split the sample into key=value pairs (e1 in MWh or GJ normalised to kWh, other units ignored,
// every value a float); one INSERT of the row into an original-style samples table (float
// columns, no unique key, an index on (serial, unix_time)), in autocommit: a transaction per
// message. The statements are prepared once (as DBI's prepare_cached). Left out, in its favour:
// the original's AFTER INSERT trigger into samples_cache and its UPDATE of meters.last_updated,
// two more writes per message. The database: WAL, synchronous FULL as the server's (or NORMAL).
// Prints messages per second, the time counted from the first line read to the last commit.
#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

#include "core/envelope/envelope.hpp"
#include "platform/sqlite/db.hpp"
#include "server/capture.hpp"

using namespace ml;

namespace {

[[noreturn]] void die(const std::string& what) {
  std::cerr << "ingest_baseline: " << what << "\n";
  std::exit(1);
}

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    die(std::string(what) + ": " + sqlite3_errmsg(db));
  }
}

sqlite3_stmt* prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  check(sqlite3_prepare_v2(db, sql, -1, &s, nullptr), db, sql);
  return s;
}

// The original's sample keys and the columns they go to, in the INSERT's order.
constexpr std::string_view kColumns[][2] = {
    {"heap", "heap"}, {"t1", "flow_temp"}, {"t2", "return_flow_temp"}, {"tdif", "temp_diff"},
    {"t3", "t3"},     {"flow1", "flow"},   {"effect1", "effect"},      {"hr", "hours"},
    {"v1", "volume"}, {"e1", "energy"}};
constexpr int kColumnCount = 10;

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: ingest_baseline CAPTURE METERS_TXT DB [full|normal]\n";
    return 2;
  }
  const std::string synchronous = argc > 4 ? argv[4] : "full";
  auto opened = platform::sqlite::Db::open(argv[3]);
  if (!opened) die(opened.error().text());
  platform::sqlite::Db& database = *opened;
  sqlite3* db = database.handle();
  if (synchronous == "normal") {
    check(sqlite3_exec(db, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr), db, "pragma");
  }
  check(sqlite3_exec(db,
                     "CREATE TABLE meters(serial TEXT PRIMARY KEY, key TEXT NOT NULL);"
                     "CREATE TABLE samples(id INTEGER PRIMARY KEY AUTOINCREMENT, serial TEXT, "
                     "heap REAL, flow_temp REAL, return_flow_temp REAL, temp_diff REAL, t3 REAL, "
                     "flow REAL, effect REAL, hours REAL, volume REAL, energy REAL, "
                     "is_spike INTEGER DEFAULT 0, unix_time INTEGER);"
                     "CREATE INDEX samples_serial_time ON samples(serial, unix_time);",
                     nullptr, nullptr, nullptr),
        db, "schema");
  {
    std::ifstream meters(argv[2]);
    if (!meters) die(std::string("cannot open ") + argv[2]);
    check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "begin");
    sqlite3_stmt* add = prepare(db, "INSERT INTO meters(serial, key) VALUES(?, ?)");
    std::string serial, key;
    while (meters >> serial >> key) {
      sqlite3_bind_text(add, 1, serial.data(), static_cast<int>(serial.size()), SQLITE_TRANSIENT);
      sqlite3_bind_text(add, 2, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
      check(sqlite3_step(add), db, "meter");
      sqlite3_reset(add);
    }
    sqlite3_finalize(add);
    check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
  }
  sqlite3_stmt* key_of = prepare(db, "SELECT key FROM meters WHERE serial = ?");
  sqlite3_stmt* insert =
      prepare(db,
              "INSERT INTO samples(serial, heap, flow_temp, return_flow_temp, temp_diff, t3, flow, "
              "effect, hours, volume, energy, unix_time) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");

  std::ifstream file(argv[1], std::ios::binary);
  if (!file) die(std::string("cannot open ") + argv[1]);
  server::CaptureReader reader(file);
  server::CapturedMessage m;
  server::BadLine bad;
  std::uint64_t messages = 0, stored = 0, dropped = 0;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    const auto read = reader.next(m, bad);
    if (read == server::CaptureRead::end) break;
    if (read != server::CaptureRead::message) continue;
    ++messages;
    // /sample/v2/<serial>/<unix_time>
    std::string_view topic = m.topic;
    if (!topic.starts_with("/sample/v2/")) {
      ++dropped;
      continue;
    }
    std::string_view rest = topic.substr(11);
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos) {
      ++dropped;
      continue;
    }
    const std::string_view serial = rest.substr(0, slash);
    const std::int64_t time =
        std::strtoll(std::string(rest.substr(slash + 1)).c_str(), nullptr, 10);
    sqlite3_bind_text(key_of, 1, serial.data(), static_cast<int>(serial.size()), SQLITE_STATIC);
    std::string key_hex;
    if (sqlite3_step(key_of) == SQLITE_ROW) {
      key_hex = reinterpret_cast<const char*>(sqlite3_column_text(key_of, 0));
    }
    sqlite3_reset(key_of);
    auto keys = core::envelope::derive_keys_from_hex(key_hex);
    if (!keys) {
      ++dropped;
      continue;
    }
    auto text = core::envelope::open(*keys, m.topic, m.payload);
    if (!text) {
      ++dropped;
      continue;
    }
    std::string& t = *text;
    while (!t.empty() && (t.back() == '\0' || t.back() == ' ' || t.back() == '\n' ||
                          t.back() == '\r' || t.back() == '\t' || t.back() == '&')) {
      t.pop_back();
    }
    double values[kColumnCount];
    bool present[kColumnCount] = {};
    std::string_view pairs = t;
    while (!pairs.empty()) {
      const auto amp = pairs.find('&');
      const std::string_view pair = pairs.substr(0, amp);
      pairs = amp == std::string_view::npos ? std::string_view() : pairs.substr(amp + 1);
      const auto eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      const std::string_view key = pair.substr(0, eq);
      std::string_view value = pair.substr(eq + 1);
      std::string_view unit;
      if (const auto sp = value.find(' '); sp != std::string_view::npos) {
        unit = value.substr(sp + 1);
        value = value.substr(0, sp);
      }
      for (int c = 0; c < kColumnCount; ++c) {
        if (kColumns[c][0] != key) continue;
        double v = std::strtod(std::string(value).c_str(), nullptr);
        if (key == "e1" && unit == "MWh") v *= 1000;
        if (key == "e1" && unit == "GJ") v *= 277.77777777777777;
        values[c] = v;
        present[c] = true;
      }
    }
    sqlite3_bind_text(insert, 1, serial.data(), static_cast<int>(serial.size()), SQLITE_STATIC);
    for (int c = 0; c < kColumnCount; ++c) {
      if (present[c] && !std::isnan(values[c])) {
        sqlite3_bind_double(insert, c + 2, values[c]);
      } else {
        sqlite3_bind_null(insert, c + 2);
      }
    }
    sqlite3_bind_int64(insert, kColumnCount + 2, time);
    check(sqlite3_step(insert), db, "insert");
    sqlite3_reset(insert);
    ++stored;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sqlite3_finalize(key_of);
  sqlite3_finalize(insert);
  std::printf(
      "baseline (per message, autocommit, synchronous=%s): %llu messages, %llu stored, "
      "%llu dropped, %.3f s, %.0f messages/s\n",
      synchronous.c_str(), static_cast<unsigned long long>(messages),
      static_cast<unsigned long long>(stored), static_cast<unsigned long long>(dropped), seconds,
      static_cast<double>(messages) / seconds);
  return 0;
}
