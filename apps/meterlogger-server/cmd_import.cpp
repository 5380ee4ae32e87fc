// `meterlogger-server import mlw`: moves a MeterLoggerWeb database into this server
// (docs/migrating.md). Both forms read mysqldump output through the one bounded reader
// (server/mlw_dump.hpp): `--dump FILE` a file, `--mysql HOST[:PORT]/DB` the output of
// mysqldump run here, streamed as it comes. The password goes to mysqldump in a temporary
// option file readable only by us, never on its command line nor in the output.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <istream>
#include <streambuf>

#include "common.hpp"
#include "server/mlw_import.hpp"

namespace ml::server_app {
namespace {

// Reads a file descriptor (mysqldump's standard output) as a stream.
class FdBuf final : public std::streambuf {
 public:
  explicit FdBuf(int fd) : fd_(fd) {}

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    ssize_t n = 0;
    do {
      n = ::read(fd_, buf_.data(), buf_.size());
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return traits_type::eof();
    setg(buf_.data(), buf_.data(), buf_.data() + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  int fd_;
  std::array<char, 1 << 16> buf_{};
};

struct ImportArgs {
  std::string mysql;
  std::string dump;
  std::string user;
  std::string password_file;
  std::string mysqldump = "mysqldump";
  std::int64_t limit = 0;
};

void add_report(server::mlw::ImportReport& into, const server::mlw::ImportReport& r) {
  for (const auto& [kind, c] : r.kinds) {
    auto& k = into.kinds[kind];
    k.imported += c.imported;
    k.skipped += c.skipped;
    for (const auto& [reason, n] : c.rejected)
      k.rejected[reason] += n;
  }
  for (const auto& [t, n] : r.tables_not_read)
    into.tables_not_read[t] += n;
  for (const auto& d : r.details) {
    if (into.details.size() < server::mlw::kMaxDetails) {
      into.details.push_back(d);
    } else {
      ++into.details_left_off;
    }
  }
  into.details_left_off += r.details_left_off;
  into.stopped_at_limit = into.stopped_at_limit || r.stopped_at_limit;
}

// A private temporary folder with an option file holding the password (mysqldump reads it with
// --defaults-extra-file); removed when done.
struct PasswordFile {
  std::filesystem::path dir;
  std::filesystem::path file;
  ~PasswordFile() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

// Runs mysqldump with `tables` (and `where` for them, when given) and imports its output.
server::mlw::ImportReport import_from_mysql(server::ServerStore& store, const ImportArgs& a,
                                            const std::vector<std::string>& tables,
                                            const std::string& where,
                                            const server::mlw::ImportOptions& options) {
  const auto slash = a.mysql.starts_with("socket=") ? a.mysql.rfind('/') : a.mysql.find('/');
  if (slash == std::string::npos || slash + 1 >= a.mysql.size()) {
    fail("--mysql wants HOST[:PORT]/DB (or /path/to/socket:/DB), not \"" + a.mysql + "\"");
  }
  std::string host = a.mysql.substr(0, slash);
  const std::string db = a.mysql.substr(slash + 1);
  std::vector<std::string> argv{a.mysqldump};
  PasswordFile pw;
  if (!a.password_file.empty()) {
    char tmpl[] = "/tmp/meterlogger-import-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) fail("cannot make a temporary folder");
    pw.dir = tmpl;
    pw.file = pw.dir / "client.cnf";
    const int fd = ::open(pw.file.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) fail("cannot write the temporary option file");
    std::string text = "[client]\npassword=\"";
    for (char c : read_password_file(a.password_file, "--password-file")) {
      if (c == '"' || c == '\\') text.push_back('\\');
      text.push_back(c);
    }
    text += "\"\n";
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!written) fail("cannot write the temporary option file");
    argv.push_back("--defaults-extra-file=" + pw.file.string());  // must be the first option
  }
  // HOST[:PORT] (over TCP), or socket=PATH (a unix socket).
  if (host.starts_with("socket=")) {
    argv.push_back("--socket=" + host.substr(7));
  } else if (!host.empty()) {
    const auto colon = host.rfind(':');
    if (colon != std::string::npos) {
      argv.push_back("--port=" + host.substr(colon + 1));
      host = host.substr(0, colon);
    }
    argv.push_back("--host=" + host);
    argv.push_back("--protocol=TCP");
  }
  if (!a.user.empty()) argv.push_back("--user=" + a.user);
  for (const char* o : {"--single-transaction", "--quick", "--order-by-primary", "--skip-triggers",
                        "--no-create-db", "--skip-add-drop-table", "--skip-add-locks",
                        "--skip-comments", "--hex-blob", "--net-buffer-length=1048576",
                        "--default-character-set=utf8mb4", "--skip-tz-utc"}) {
    argv.emplace_back(o);
  }
  if (!where.empty()) argv.push_back("--where=" + where);
  argv.push_back(db);
  for (const auto& t : tables)
    argv.push_back(t);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) fail("pipe: " + std::string(std::strerror(errno)));
  const pid_t pid = ::fork();
  if (pid < 0) fail("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    ::dup2(out[1], 1);
    std::vector<char*> args;
    for (auto& s : argv)
      args.push_back(s.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "meterlogger-server: cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(out[1]);
  FdBuf buf(out[0]);
  std::istream in(&buf);
  server::mlw::DumpReader reader(in);
  auto report = server::mlw::import_dump(store, reader, options);
  ::close(out[0]);  // a stopped import ends mysqldump with SIGPIPE
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!report) fail(report.error().text());
  if (!report->stopped_at_limit && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    fail(a.mysqldump + " failed (status " +
         std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) +
         "; its message is above): what was read before is imported, run again to continue");
  }
  return std::move(*report);
}

void import_mlw(const std::string& config_path, const ImportArgs& a) {
  if (a.mysql.empty() == a.dump.empty()) fail("give --mysql HOST[:PORT]/DB or --dump FILE");
  const auto config = config_from(config_path);
  auto store = open_store(config);
  server::mlw::ImportOptions options;
  options.now = unix_now();
  options.sample_limit = a.limit;
  server::mlw::ImportReport report;
  if (!a.dump.empty()) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (a.dump != "-") {
      file.open(a.dump, std::ios::binary);
      if (!file) fail("cannot read " + a.dump);
      in = &file;
    }
    server::mlw::DumpReader reader(*in);
    report = ok(server::mlw::import_dump(*store, reader, options));
  } else {
    add_report(report,
               import_from_mysql(*store, a, {"meter_groups", "meters", "accounts", "alarms"}, "",
                                 options));
    // The samples after the ones imported before: a resumed import does not read them again.
    const auto done = ok(store->import_progress(std::string(server::mlw::kSource), "samples"));
    add_report(report,
               import_from_mysql(*store, a, {"samples"}, "id > " + std::to_string(done), options));
  }
  std::cout << server::mlw::format_report(report);
}

}  // namespace

void add_import_commands(CLI::App& app, const std::string& config) {
  auto* imp = app.add_subcommand("import", "Import the data of another system");
  imp->require_subcommand(1);
  auto args = std::make_shared<ImportArgs>();
  auto* m = imp->add_subcommand(
      "mlw", "Import a MeterLoggerWeb database: meters, samples, payments, alarms, contacts");
  m->add_option("--mysql", args->mysql,
                "read the database with mysqldump: HOST[:PORT]/DB, or socket=PATH/DB");
  m->add_option("--dump", args->dump, "read a mysqldump file (\"-\": standard input)");
  m->add_option("--user", args->user, "the MariaDB user (--mysql)");
  m->add_option("--password-file", args->password_file,
                "a file holding the MariaDB password on its first line (--mysql)");
  m->add_option("--mysqldump", args->mysqldump, "the mysqldump program to run")
      ->capture_default_str();
  m->add_option("--limit-samples", args->limit,
                "stop after importing this many samples (run again to continue)");
  m->footer(
      "Imports meters with their keys, groups, names, setup values and default prices; samples\n"
      "(hourly and daily rollups built as they arrive); accounts as payments (the same\n"
      "open_until); the alarms the rule language can say; the meters' SMS and e-mail contacts.\n"
      "It prints what was imported, skipped (already there) and not imported, with reasons.\n"
      "Running it again imports nothing twice; an interrupted run continues where it stopped.\n"
      "The --mysql form runs mysqldump (Debian: mariadb-client) with --single-transaction.\n\n"
      "Examples:\n"
      "  meterlogger-server import mlw --mysql db.example.org/nabovarme --user import \\\n"
      "      --password-file /root/mlw-password\n"
      "  meterlogger-server import mlw --mysql socket=/run/mysqld/mysqld.sock/nabovarme\n"
      "  mysqldump --single-transaction --order-by-primary nabovarme > mlw.sql\n"
      "  meterlogger-server import mlw --dump mlw.sql\n"
      "See docs/migrating.md.");
  m->callback([&config, args] { import_mlw(config, *args); });
}

}  // namespace ml::server_app
