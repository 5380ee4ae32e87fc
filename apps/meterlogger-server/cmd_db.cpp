// `meterlogger-server db copy --to DEST`: moves the whole installation from the configured
// database to another, SQLite to PostgreSQL or back, verified by counts and checksums and
// resumable after an interruption (server/copy/db_copy.hpp, docs/server.md "Moving between
// SQLite and PostgreSQL"). `db pack`: packs old days of samples now, as `run` does every hour
// (server/sample_days.hpp, docs/server.md "Packed days").
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "common.hpp"
#include "server/copy/db_copy.hpp"
#include "server/sample_days.hpp"

namespace ml::server_app {
namespace {

namespace cp = server::copy;

void copy(const std::string& config_path, const std::string& to, std::size_t chunk_rows) {
  const auto config = config_from(config_path);
  const std::string from = config.database.url.empty() ? config.database.path : config.database.url;
  std::cerr << "copying " << config.database.name() << " to " << cp::display_name(to) << "\n";

  cp::CopyOptions options;
  options.chunk_rows = chunk_rows;
  // Progress on stderr: each table when done; a large one also after its first chunk and every
  // second meanwhile.
  auto last = std::chrono::steady_clock::now();
  std::string started;
  options.progress = [&last, &started](const cp::CopyProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    const bool first = p.table != started;
    started = p.table;
    if (p.finished || (p.rows < p.total && (first || now - last >= std::chrono::seconds(1)))) {
      std::cerr << "  " << p.table << ": " << p.rows << " of " << p.total << " rows"
                << (p.finished ? "" : " ...") << "\n";
      last = now;
    }
    return true;
  };
  const auto report = ok(cp::copy_database(from, to, options));

  std::size_t width = 5;
  for (const auto& t : report.tables)
    width = std::max(width, t.table.size());
  std::cout << std::left << std::setw(static_cast<int>(width)) << "table"
            << "  " << std::right << std::setw(10) << "rows"
            << "  checksum\n";
  for (const auto& t : report.tables) {
    std::cout << std::left << std::setw(static_cast<int>(width)) << t.table << "  " << std::right
              << std::setw(10) << t.source_rows << "  ";
    if (t.ok()) {
      std::cout << "ok\n";
    } else {
      std::cout << "MISMATCH (destination: " << t.destination_rows << " rows";
      if (t.destination_rows == t.source_rows) std::cout << ", other values";
      std::cout << ")\n";
    }
  }
  const double rate =
      report.copy_seconds > 0 ? static_cast<double>(report.rows_copied) / report.copy_seconds : 0;
  std::ostringstream summary;
  summary << std::fixed << std::setprecision(1) << report.rows_copied << " rows copied in "
          << report.copy_seconds << " s (" << std::setprecision(0) << rate
          << " rows/s), verified in " << std::setprecision(1)
          << report.seconds - report.copy_seconds << " s";
  std::cout << summary.str() << "\n";
  if (!report.ok()) {
    std::string tables;
    for (const auto& t : report.mismatched())
      tables += (tables.empty() ? "" : ", ") + t;
    fail("the copy differs from " + config.database.name() + " in " + tables);
  }
  std::cout << cp::display_name(to) << " holds a verified copy of " << config.database.name()
            << ": point [database] at it\n";
}

void pack(const std::string& config_path, int after_days) {
  const auto config = config_from(config_path);
  auto store = open_store(config);
  const auto start = std::chrono::steady_clock::now();
  const auto r = ok(server::pack_samples(*store, unix_now(), after_days));
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << "packed " << r.samples << " samples into " << r.days
      << " days of " << r.meters << " meters (" << r.bytes << " bytes"
      << (r.samples > 0 ? ", " + std::to_string(r.bytes / r.samples) + " per sample" : "")
      << ") in " << took.count() << " s";
  std::cout << out.str() << "\n";
}

}  // namespace

void add_db_commands(CLI::App& app, const std::string& config) {
  auto* db =
      app.add_subcommand("db", "Move the installation to another database; pack old samples");
  db->require_subcommand(1);

  auto* c = db->add_subcommand(
      "copy", "Copy the whole database to another one (SQLite <-> PostgreSQL), verified");
  struct CopyArgs {
    std::string to;
    std::size_t chunk_rows = 5000;
  };
  auto a = std::make_shared<CopyArgs>();
  c->add_option("--to", a->to,
                "the destination: a PostgreSQL URL (postgresql://...) or a SQLite file")
      ->required();
  c->add_option("--chunk-rows", a->chunk_rows, "rows per transaction")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  c->footer(
      "Copies every table of the configured database ([database] in --config) to --to, which\n"
      "is created and migrated when needed, then compares every table's row count and\n"
      "checksum on both sides and prints them; exits non-zero naming any table that differs.\n"
      "The source must be at this version's schema (run `meterlogger-server migrate` first);\n"
      "it is only read.\n\n"
      "Stop `run` and `serve` first (systemctl stop meterlogger-server meterlogger-web):\n"
      "what is written to the source during the copy would be missing from the destination.\n\n"
      "Interrupted (Ctrl-C, a crash), the same command goes on where it stopped. A\n"
      "destination holding other data (another installation) is refused. The password of a\n"
      "URL is never shown; keep it in ~/.pgpass rather than on the command line.\n\n"
      "Examples:\n"
      "  meterlogger-server db copy --to postgresql://meterlogger@db.example/meterlogger\n"
      "  meterlogger-server db copy --config /etc/meterlogger/server-pg.toml \\\n"
      "      --to /var/lib/meterlogger/server.db\n"
      "Afterwards point [database] at the destination (path = ... or url = ...) and start\n"
      "`run` and `serve` again.");
  c->callback([=, &config] { copy(config, a->to, a->chunk_rows); });

  auto* p = db->add_subcommand("pack", "Pack old days of samples now (run does it every hour)");
  auto after_days = std::make_shared<int>(-1);
  p->add_option("--after-days", *after_days,
                "pack the UTC days that ended this many days ago or earlier (default: [database] "
                "pack_after_days)")
      ->check(CLI::Range(server::kPackMinAgeDays, 3650));
  p->footer(
      "Moves each meter's samples of every UTC day that ended --after-days days ago or earlier\n"
      "into one row of that meter and day (docs/server.md, \"Packed days\"): a tenth of the\n"
      "space or less. Every read, export and chart gives the same samples as before. A day\n"
      "packed before gets the late samples that came since. `run` does the same every hour\n"
      "with [database] pack_after_days (7; 0 turns it off); this command is for the first time\n"
      "after an upgrade or a `db copy`, or to measure. Safe beside a running `run`; stopped,\n"
      "it goes on where it stopped the next time.\n\n"
      "Examples:\n"
      "  meterlogger-server db pack\n"
      "  meterlogger-server --config /etc/meterlogger/server.toml db pack --after-days 30");
  p->callback([=, &config] {
    const int configured = config_from(config).database.pack_after_days;
    const int days = *after_days >= 0 ? *after_days : configured;
    if (days <= 0) {
      fail("packing is off ([database] pack_after_days = 0): give --after-days " +
           std::to_string(server::kPackMinAgeDays) + " or more");
    }
    pack(config, days);
  });
}

}  // namespace ml::server_app
