// Helpers shared by the meterlogger-server subcommands (common.hpp).
#include "common.hpp"

#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>

#include "core/topic/topic.hpp"
#include "server/postgresql/store.hpp"
#include "server/sqlite/store.hpp"

namespace ml::server_app {

void fail(const std::string& message, int status) {
  throw Failure{message, status};
}

void ok(const core::Status& s) {
  if (!s) fail(s.error().text());
}

std::string read_password_file(const std::string& path, const std::string& option) {
  std::ifstream in(path);
  if (!in) fail("cannot read " + option + " " + path);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
    line.pop_back();
  return line;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string utc(std::int64_t t) {
  if (t <= 0) return "never";
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::int64_t parse_time(const std::string& text, const char* option) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && end == text.data() + text.size()) return v;
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%d", &tm);
  if (rest != nullptr && *rest == 'T') rest = strptime(rest, "T%H:%M:%S", &tm);
  if (rest != nullptr && *rest == 'Z') ++rest;
  if (rest == nullptr || *rest != '\0') {
    fail(std::string(option) + ": \"" + text +
         "\" is not unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
  }
  return static_cast<std::int64_t>(timegm(&tm));
}

server::ServerConfig config_from(const std::string& path) {
  return ok(server::load_server_config(path));
}

namespace {
StoreAccess g_access = StoreAccess::read_only;  // until main says otherwise: never create
}  // namespace

void set_store_access(StoreAccess access) {
  g_access = access;
}

StoreAccess store_access() {
  return g_access;
}

core::Result<std::unique_ptr<server::ServerStore>> try_open_store(const server::ServerConfig& c) {
  const auto as_store = [](auto s) -> core::Result<std::unique_ptr<server::ServerStore>> {
    if (!s) return s.error();
    return std::unique_ptr<server::ServerStore>(std::move(s).value());
  };
  if (!c.database.url.empty()) {
    return as_store(g_access == StoreAccess::read_only
                        ? server::PostgresStore::open_read_only(c.database.url)
                        : server::PostgresStore::open(c.database.url));
  }
  if (g_access == StoreAccess::read_only) {
    struct stat st {};
    if (::stat(c.database.path.c_str(), &st) != 0 && errno == ENOENT) {
      return core::make_error(core::Errc::storage_failure,
                              "no database at " + c.database.path +
                                  ": run `meterlogger-server run` or `meters add` first, or "
                                  "check [database] path in " +
                                  c.path);
    }
    return as_store(server::SqliteStore::open_read_only(c.database.path));
  }
  return as_store(server::SqliteStore::open(c.database.path));
}

std::int64_t latest_schema_version(const server::ServerConfig& c) {
  return c.database.url.empty() ? server::SqliteStore::latest_schema_version()
                                : server::PostgresStore::latest_schema_version();
}

core::Result<std::int64_t> schema_version_of(const server::ServerConfig& c) {
  return c.database.url.empty() ? server::SqliteStore::schema_version_of(c.database.path)
                                : server::PostgresStore::schema_version_of(c.database.url);
}

std::unique_ptr<server::ServerStore> open_store(const server::ServerConfig& c) {
  return ok(try_open_store(c));
}

CLI::Option* as_serial(CLI::Option* option) {
  return option->transform([](std::string text) { return core::topic::canonical_serial(text); }, "",
                           "serial");
}

std::string actor_of(const std::string& given) {
  if (!given.empty()) return given;
  const char* user = std::getenv("SUDO_USER");
  if (user == nullptr) user = std::getenv("USER");
  return user != nullptr ? user : "unknown";
}

server::usecase::Actor cli_actor() {
  return {actor_of(""), "cli"};
}

std::string read_input(const std::string& path, std::size_t max) {
  std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (f == nullptr) fail("cannot read " + path + ": " + std::strerror(errno));
  std::string text;
  std::array<char, 1 << 16> buffer{};
  while (text.size() <= max) {
    const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), f);
    text.append(buffer.data(), n);
    if (n < buffer.size()) break;
  }
  const bool failed = std::ferror(f) != 0;
  const int error = errno;
  if (f != stdin) std::fclose(f);
  if (failed) fail("cannot read " + path + ": " + std::strerror(error));
  if (text.size() > max + 1) text.resize(max + 1);
  return text;
}

}  // namespace ml::server_app
