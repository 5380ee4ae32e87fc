// meterlogger-server: the server side of MeterLogger. `run` ingests device messages into the
// database; `serve` answers the API and dashboard; `meters` administers the meter registry;
// `users` the dashboard's users; `export` prints stored samples.
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <charconv>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "core/bytes.hpp"
#include "core/decimal.hpp"
#include "core/envelope/envelope.hpp"
#include "core/meter/kind.hpp"
#include "core/topic/names.hpp"
#include "core/topic/topic.hpp"
#include "password/password.hpp"
#include "platform/crypto/random.hpp"
#include "platform/log/log.hpp"
#include "platform/systemd/notify.hpp"
#include "server/audit.hpp"
#include "server/commands.hpp"
#include "server/config.hpp"
#include "server/http/api.hpp"
#include "server/http/server.hpp"
#include "server/http/views.hpp"
#include "server/ingest.hpp"
#include "server/ledger.hpp"
#include "server/sender.hpp"
#include "server/sqlite_store.hpp"

#ifndef ML_VERSION
#define ML_VERSION "dev"
#endif

namespace {

using namespace ml;
namespace log = platform::log;

// Stops with "meterlogger-server: <message>" and the status.
struct Failure {
  std::string message;
  int status = 1;
};
[[noreturn]] void fail(const std::string& message, int status = 1) {
  throw Failure{message, status};
}
template <class T>
T ok(core::Result<T> r) {
  if (!r) fail(r.error().text());
  return std::move(r).value();
}
void ok(const core::Status& s) {
  if (!s) fail(s.error().text());
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

// Unix seconds, or a UTC date "YYYY-MM-DD" or time "YYYY-MM-DDTHH:MM:SSZ".
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

std::unique_ptr<server::SqliteStore> open_store(const server::ServerConfig& c) {
  return ok(server::SqliteStore::open(c.database.path));
}

// ---- run ----

void run(const std::string& config_path) {
  const auto config = config_from(config_path);
  log::set_level(config.log_level);
  for (const auto& w : config.warnings)
    log::warning(w);
  auto store = open_store(config);
  asio::io_context io(1);
  server::Ingest ingest(io.get_executor(), *store, config, unix_now);
  server::Sender sender(io.get_executor(), *store, config, unix_now);
  ingest.on_reply([&](const server::DeviceReply& r) { sender.on_reply(r); });
  ok(ingest.start());
  ok(sender.start());
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const asio::error_code& ec, int) {
    if (ec) return;
    log::info("stopping");
    platform::systemd::notify("STOPPING=1");
    sender.stop();
    ingest.stop();
  });
  log::info("meterlogger-server " ML_VERSION ": database " + config.database.path + ", broker " +
            config.mqtt.host + ":" + std::to_string(config.mqtt.port));
  platform::systemd::notify("READY=1");
  io.run();
  const auto& c = ingest.counters();
  std::string rejected;
  for (const auto& [reason, n] : c.rejected)
    rejected += " " + reason + "=" + std::to_string(n);
  log::info("stored " + std::to_string(c.stored) + ", duplicates " + std::to_string(c.duplicates) +
            ", last wills ignored " + std::to_string(c.wills_ignored) +
            ", rejected:" + (rejected.empty() ? " none" : rejected));
}

// ---- meters ----

struct MeterArgs {
  std::string serial;
  std::string key;
  bool generate_key = false;
  std::string kind;
  std::string name;
  std::string group;
  std::string setup_value;
  std::string valve;  // on | off
  bool json = false;
};

// Serials compare as numbers: "40" and "0000040" name the same meter (core::topic::Serial).
CLI::Option* as_serial(CLI::Option* option) {
  return option->transform([](std::string text) { return core::topic::canonical_serial(text); }, "",
                           "serial");
}

void check_kind(const std::string& kind) {
  if (!core::meter::kind_from_name(kind)) {
    fail("--kind must be one of " + core::meter::kind_names() + ", not \"" + kind + "\"");
  }
}

// Applies the options given to `m`; returns the generated key when one was made.
std::string apply(const MeterArgs& a, server::Meter& m) {
  std::string generated;
  if (!a.key.empty() && a.generate_key) fail("give --key or --generate-key, not both");
  if (!a.key.empty()) {
    auto parsed = core::envelope::parse_master_key(a.key);
    if (!parsed) fail("--key: " + parsed.error().detail);
    m.key_hex = core::to_hex(*parsed);
  }
  if (a.generate_key) {
    auto bytes = ok(platform::random_bytes(core::envelope::kMasterKeySize));
    m.key_hex = core::to_hex(bytes);
    generated = m.key_hex;
  }
  if (!a.kind.empty()) {
    check_kind(a.kind);
    m.kind = a.kind;
  }
  if (!a.name.empty()) m.name = a.name;
  if (!a.group.empty()) m.group = a.group;
  if (!a.setup_value.empty()) {
    auto v = core::Decimal::parse(a.setup_value);
    if (!v || v->negative)
      fail("--setup-value must be a non-negative decimal (kWh), not \"" + a.setup_value + "\"");
    m.setup_value = v->to_string();
  }
  if (!a.valve.empty()) {
    if (a.valve != "on" && a.valve != "off") fail("--valve must be on or off");
    m.valve_installed = a.valve == "on";
  }
  return generated;
}

void meters_add(const std::string& config_path, const MeterArgs& a) {
  auto serial = core::topic::Serial::parse(a.serial);
  if (!serial) fail("serial \"" + a.serial + "\": " + serial.error().detail);
  if (a.key.empty() && !a.generate_key) fail("give the meter's key: --key HEX or --generate-key");
  server::Meter m;
  m.serial = serial->canonical().text();
  m.created = unix_now();
  const std::string generated = apply(a, m);
  auto store = open_store(config_from(config_path));
  ok(store->add_meter(m));
  std::cout << "added meter " << m.serial << " (" << m.kind << ")\n";
  if (!generated.empty()) {
    std::cout << "key: " << generated
              << "\n(shown once: configure it on the device; it is not printed again)\n";
  }
}

void meters_set(const std::string& config_path, const MeterArgs& a) {
  auto store = open_store(config_from(config_path));
  auto m = ok(store->meter(a.serial));
  if (!m) fail("no meter " + a.serial);
  const std::string generated = apply(a, *m);
  ok(store->update_meter(*m));
  std::cout << "updated meter " << m->serial << "\n";
  if (!generated.empty()) std::cout << "key: " << generated << "\n(shown once)\n";
}

nlohmann::ordered_json meter_json(const server::Meter& m) {
  return {{"serial", m.serial},
          {"kind", m.kind},
          {"name", m.name},
          {"group", m.group},
          {"setup_value", m.setup_value},
          {"valve_installed", m.valve_installed},
          {"last_sample_time", m.last_sample_time}};
}

void meters_list(const std::string& config_path, bool json) {
  auto store = open_store(config_from(config_path));
  const auto all = ok(store->meters());
  if (json) {
    for (const auto& m : all)
      std::cout << meter_json(m).dump() << "\n";
    return;
  }
  std::printf("%-12s %-12s %-20s %-10s %s\n", "serial", "kind", "name", "group", "last sample");
  for (const auto& m : all) {
    std::printf("%-12s %-12s %-20s %-10s %s\n", m.serial.c_str(), m.kind.c_str(), m.name.c_str(),
                m.group.c_str(), utc(m.last_sample_time).c_str());
  }
}

void meters_show(const std::string& config_path, const std::string& serial) {
  auto store = open_store(config_from(config_path));
  auto m = ok(store->meter(serial));
  if (!m) fail("no meter " + serial);
  auto j = meter_json(*m);
  j["last_sample"] = utc(m->last_sample_time);
  j["key"] = "set (not shown)";
  nlohmann::ordered_json diag = nlohmann::ordered_json::object();
  for (const auto& [fn, v] : ok(store->diagnostics(serial))) {
    diag[fn] = {{"value", core::topic::masked_reply(fn, v.first)}, {"time", v.second}};
  }
  j["diagnostics"] = diag;
  const auto entries = ok(store->payments(serial));
  const auto limit = ok(server::open_until_limit(*m, entries));
  j["paid"] = ok(server::paid(entries)).to_string();
  j["open_until"] = limit.to_string();
  const auto rest =
      server::remaining(limit, ok(server::http::rate_window(*store, serial)), m->kind == "water");
  j["remaining"] = rest.units ? nlohmann::ordered_json(rest.units->to_string()) : nullptr;
  j["rate_per_hour"] =
      rest.rate_per_hour.empty() ? nullptr : nlohmann::ordered_json(rest.rate_per_hour);
  j["hours_remaining"] = rest.hours ? nlohmann::ordered_json(*rest.hours) : nullptr;
  j["offline_since"] =
      m->offline_since == 0 ? nullptr : nlohmann::ordered_json(utc(m->offline_since));
  // Messages naming the meter that were rejected, by reason ("bad_mac": a wrong key?).
  nlohmann::ordered_json rejected = nlohmann::ordered_json::object();
  for (const auto& x : ok(store->rejections_for(serial))) {
    rejected[x.reason] = {{"count", x.count},
                          {"first", utc(x.first_time)},
                          {"last", utc(x.last_time)},
                          {"hint", server::rejection_hint(x.reason)}};
  }
  j["rejected"] = rejected;
  std::cout << j.dump(2) << "\n";
}

void meters_unknown(const std::string& config_path, bool json) {
  auto store = open_store(config_from(config_path));
  const auto seen = ok(store->unknown_serials(1000));
  if (json) {
    for (const auto& u : seen) {
      std::cout << nlohmann::ordered_json{{"serial", u.serial},
                                          {"count", u.count},
                                          {"first_time", u.first_time},
                                          {"last_time", u.last_time}}
                       .dump()
                << "\n";
    }
    return;
  }
  std::printf("%-12s %10s  %-20s  %s\n", "serial", "messages", "first seen", "last seen");
  for (const auto& u : seen) {
    std::printf("%-12s %10lld  %-20s  %s\n", u.serial.c_str(), static_cast<long long>(u.count),
                utc(u.first_time).c_str(), utc(u.last_time).c_str());
  }
}

void meters_remove(const std::string& config_path, const std::string& serial) {
  auto store = open_store(config_from(config_path));
  ok(store->remove_meter(serial));
  std::cout << "removed meter " << serial << " (its samples stay in the database)\n";
}

// ---- commands ----

struct SendArgs {
  std::string serial;
  std::string command;
  std::string argument;
  bool wait = false;
  int timeout = -1;  // seconds; -1: the configured default
};

void send_command(const std::string& config_path, const SendArgs& a) {
  const auto config = config_from(config_path);
  ok(server::check_command(a.command, a.argument));
  auto store = open_store(config);
  if (!ok(store->meter(a.serial))) fail("no meter " + a.serial);
  const int timeout = a.timeout >= 0 ? a.timeout : config.commands.default_timeout_s;
  const std::int64_t now = unix_now();
  const auto id = ok(store->enqueue_command(a.serial, a.command, a.argument, now,
                                            timeout == 0 ? 0 : now + timeout));
  if (!a.wait) {
    std::cout << "queued command #" << id << ": " << a.command << " to " << a.serial << "\n";
    return;
  }
  // The running server sends it; its reply lands in the queue.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(timeout == 0 ? 3600 : timeout);
  for (;;) {
    auto c = ok(store->command(id));
    if (!c) fail("command #" + std::to_string(id) + " disappeared", 3);
    if (c->state == "acked") {
      const auto* info = core::topic::find_command(a.command);
      std::cout << core::topic::masked_reply(info != nullptr ? info->reply : a.command,
                                             c->reply.value_or(""))
                << "\n";
      return;
    }
    if (c->state == "expired" || c->state == "superseded") {
      fail("command #" + std::to_string(id) + " " + c->state + " without a reply (sent " +
               std::to_string(c->sent_count) + " times)",
           3);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      fail("no reply to command #" + std::to_string(id) + " within " + std::to_string(timeout) +
               " s (sent " + std::to_string(c->sent_count) +
               " times; is `meterlogger-server run` running and the meter online?)",
           3);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// ---- the ledger ----

struct PayArgs {
  std::string serial;
  std::string amount;
  std::string price;
  std::string note;
  std::int64_t id = 0;
  std::string actor;
};

std::string actor_of(const std::string& given) {
  if (!given.empty()) return given;
  const char* user = std::getenv("SUDO_USER");
  if (user == nullptr) user = std::getenv("USER");
  return user != nullptr ? user : "unknown";
}

void print_limit(const std::string& serial, const std::string& limit) {
  std::cout << "queued open_until " << limit << " for " << serial
            << " (the device closes its valve there)\n";
}

server::Payment payment_from(const PayArgs& a) {
  server::Payment p;
  p.serial = a.serial;
  p.time = unix_now();
  p.amount = ok(server::parse_money(a.amount, "--amount")).to_string();
  p.price = ok(server::parse_money(a.price, "--price")).to_string();
  p.note = a.note;
  if (auto checked = server::check_entry(p); !checked) fail("--" + checked.error().detail);
  return p;
}

void pay(const std::string& config_path, const PayArgs& a) {
  const auto p = payment_from(a);
  auto store = open_store(config_from(config_path));
  const auto change = ok(server::add_payment(*store, p, actor_of(a.actor), unix_now()));
  std::cout << "payment #" << change.id << ": " << p.amount << " at " << p.price << " per kWh\n";
  print_limit(a.serial, change.open_until);
}

void payments_list(const std::string& config_path, const std::string& serial) {
  auto store = open_store(config_from(config_path));
  auto m = ok(store->meter(serial));
  if (!m) fail("no meter " + serial);
  const auto entries = ok(store->payments(serial));
  std::printf("%-6s %-20s %12s %10s %-6s %s\n", "id", "time", "amount", "price", "state", "note");
  for (const auto& p : entries) {
    std::printf("%-6lld %-20s %12s %10s %-6s %s\n", static_cast<long long>(p.id),
                utc(p.time).c_str(), p.amount.c_str(), p.price.c_str(), p.state.c_str(),
                p.note.c_str());
  }
  std::cout << "paid " << ok(server::paid(entries)).to_string() << ", setup value "
            << m->setup_value << ", open_until "
            << ok(server::open_until_limit(*m, entries)).to_string() << "\n";
}

void payments_correct(const std::string& config_path, PayArgs a) {
  auto store = open_store(config_from(config_path));
  auto old = ok(store->payment(a.id));
  if (!old) fail("no payment #" + std::to_string(a.id));
  a.serial = old->serial;
  if (a.amount.empty()) a.amount = old->amount;
  if (a.price.empty()) a.price = old->price;
  if (a.note.empty()) a.note = old->note;
  const auto replacement = payment_from(a);
  const auto change =
      ok(server::correct_payment(*store, a.id, replacement, actor_of(a.actor), unix_now()));
  std::cout << "payment #" << a.id << " corrected by #" << change.id << "\n";
  print_limit(old->serial, change.open_until);
}

void payments_void(const std::string& config_path, const PayArgs& a) {
  auto store = open_store(config_from(config_path));
  auto old = ok(store->payment(a.id));
  if (!old) fail("no payment #" + std::to_string(a.id));
  const auto change = ok(server::void_payment(*store, a.id, actor_of(a.actor), unix_now()));
  std::cout << "payment #" << a.id << " withdrawn\n";
  print_limit(old->serial, change.open_until);
}

void payments_audit(const std::string& config_path, const std::string& serial) {
  auto store = open_store(config_from(config_path));
  for (const auto& e : ok(store->audit_log(serial))) {
    std::cout << utc(e.time) << " " << e.actor << " " << e.action << " #" << e.payment_id << " "
              << e.amount << " at " << e.price << (e.note.empty() ? "" : " (" + e.note + ")")
              << "\n";
  }
}

// ---- export ----

void export_samples(const std::string& config_path, const std::string& serial,
                    const std::string& from, const std::string& to, const std::string& format) {
  if (format != "csv" && format != "json") fail("--format must be csv or json");
  const std::int64_t t0 = from.empty() ? 0 : parse_time(from, "--from");
  const std::int64_t t1 = to.empty() ? INT64_MAX : parse_time(to, "--to");
  auto store = open_store(config_from(config_path));
  const auto rows = ok(store->samples(serial, t0, t1));
  // A removed meter's samples stay exportable; an unknown serial with none is a typo.
  if (rows.empty() && !ok(store->meter(serial))) fail("no meter " + serial);
  if (format == "csv") {
    std::cout << server::http::samples_csv(rows);
    return;
  }
  for (const auto& s : rows) {
    nlohmann::ordered_json j;
    j["time"] = s.time;
    for (auto k : server::kSampleKeys) {
      auto it = s.values.find(std::string(k));
      if (it == s.values.end()) continue;
      j[std::string(k)] = it->second ? nlohmann::ordered_json(*it->second) : nullptr;
    }
    j["energy_kwh"] = s.energy_kwh ? nlohmann::ordered_json(*s.energy_kwh) : nullptr;
    if (s.volume_m3) j["volume_m3"] = *s.volume_m3;
    if (!s.quirks.empty()) j["quirks"] = s.quirks;
    std::cout << j.dump() << "\n";
  }
}

// ---- serve ----

void serve(const std::string& config_path) {
  // The signals go to a thread that stops the server; every other thread blocks them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  const auto config = config_from(config_path);
  log::set_level(config.log_level);
  auto store = open_store(config);
  // A connection per request being answered (store_pool.hpp): no request waits for another.
  auto stores = std::make_shared<server::http::StorePool>(
      [path = config.database.path]() -> core::Result<std::unique_ptr<server::ServerStore>> {
        auto s = server::SqliteStore::open(path);
        if (!s) return s.error();
        return std::unique_ptr<server::ServerStore>(std::move(s).value());
      },
      static_cast<std::size_t>(2 * config.http.threads));
  server::http::Api api(stores, config, unix_now);
  server::http::Server http(api, config);
  const int port = ok(http.bind());
  if (!http.has_dashboard()) {
    log::warning("no dashboard in " + config.http.web_dir +
                 " ([http] web_dir): only the API answers (docs/server.md says how to build it)");
  }
  if (ok(store->users()).empty()) {
    log::warning("no users yet: add one with `meterlogger-server users add NAME --role admin`");
  }
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (sig == SIGTERM || sig == SIGINT) {
      log::info("stopping");
      platform::systemd::notify("STOPPING=1");
    }
    http.stop();
  });
  log::info("meterlogger-server " ML_VERSION ": dashboard and API on http://" + config.http.host +
            ":" + std::to_string(port) + "/, database " + config.database.path);
  platform::systemd::notify("READY=1");
  http.run();
  pthread_kill(watcher.native_handle(), SIGTERM);  // when run() ended on its own
  watcher.join();
}

// ---- users ----

struct UserArgs {
  std::string name;
  std::string role = "viewer";
  std::string groups;
  std::string password_file;
};

// The password from --password-file, or typed twice on a terminal, or one line of stdin.
std::string read_password(const UserArgs& a) {
  std::string password;
  if (!a.password_file.empty()) {
    std::ifstream in(a.password_file);
    if (!in) fail("cannot read " + a.password_file);
    std::getline(in, password);
  } else if (isatty(STDIN_FILENO)) {
    termios saved{};
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string again;
    std::cerr << "password for " << a.name << ": ";
    std::getline(std::cin, password);
    std::cerr << "\nagain: ";
    std::getline(std::cin, again);
    std::cerr << "\n";
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    if (password != again) fail("the passwords differ");
  } else {
    std::getline(std::cin, password);
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.size() < 8) fail("the password must have at least 8 characters");
  std::string hash;
  if (!password::hash_password(password, &hash)) fail(hash);
  return hash;
}

void audit_cli(server::ServerStore& store, const std::string& action, const std::string& detail) {
  ok(store.audit_admin({0, unix_now(), actor_of(""), "cli", action, "", detail}));
}

void users_add(const std::string& config_path, const UserArgs& a) {
  if (a.name.empty() || a.name.size() > 64) fail("the user name must have 1..64 characters");
  // "(unknown)" in the audit log is a failed login with a name that is no user.
  if (a.name.front() == '(') fail("a user name must not begin with \"(\"");
  if (a.role != "admin" && a.role != "viewer") fail("--role must be admin or viewer");
  server::User u;
  u.name = a.name;
  u.role = a.role;
  std::stringstream list(a.groups);
  for (std::string g; std::getline(list, g, ',');) {
    if (!g.empty()) u.groups.push_back(g);
  }
  if (a.role == "admin" && u.groups.empty()) {
    fail("an admin needs --groups: the meter groups it may change (\"*\" for every group)");
  }
  if (a.role == "viewer" && !u.groups.empty()) fail("--groups is for admins only");
  auto store = open_store(config_from(config_path));
  if (ok(store->user(a.name))) fail("user " + a.name + " exists already");
  u.password_hash = read_password(a);
  u.created = unix_now();
  ok(store->add_user(u));
  audit_cli(*store, "user.add", u.name + " " + u.role + " " + a.groups);
  std::cout << "added " << u.role << " " << u.name << "\n";
}

void users_passwd(const std::string& config_path, const UserArgs& a) {
  auto store = open_store(config_from(config_path));
  if (!ok(store->user(a.name))) fail("no user " + a.name);
  ok(store->set_password(a.name, read_password(a)));
  audit_cli(*store, "user.passwd", a.name);
  std::cout << "changed the password of " << a.name << " (its sessions ended)\n";
}

void users_remove(const std::string& config_path, const std::string& name) {
  auto store = open_store(config_from(config_path));
  ok(store->remove_user(name));
  audit_cli(*store, "user.remove", name);
  std::cout << "removed user " << name << " (its sessions ended)\n";
}

void users_unlock(const std::string& config_path, const std::string& name) {
  auto store = open_store(config_from(config_path));
  ok(store->unlock_user(name, unix_now()));
  audit_cli(*store, "user.unlock", name);
  std::cout << "unlocked " << name
            << ": its failed logins no longer count (the address limit stays)\n";
}

void users_list(const std::string& config_path) {
  auto store = open_store(config_from(config_path));
  std::printf("%-20s %-7s %s\n", "name", "role", "groups");
  for (const auto& u : ok(store->users())) {
    std::string groups;
    for (const auto& g : u.groups)
      groups += (groups.empty() ? "" : ",") + g;
    std::printf("%-20s %-7s %s\n", u.name.c_str(), u.role.c_str(), groups.c_str());
  }
}

void audit_list(const std::string& config_path, const std::string& serial, int limit) {
  auto store = open_store(config_from(config_path));
  std::set<std::string> users;
  for (const auto& u : ok(store->users()))
    users.insert(u.name);
  for (const auto& entry : ok(store->admin_audit(serial, limit))) {
    const auto e = server::shown(entry, users);
    std::cout << utc(e.time) << " " << e.actor << "@" << e.remote << " " << e.action
              << (e.serial.empty() ? "" : " " + e.serial)
              << (e.detail.empty() ? "" : ": " + e.detail) << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "MeterLogger server: ingests the v2 messages of MeterLogger devices from an MQTT broker "
      "into\n"
      "a database, serves the dashboard and its API, and administers meters, payments and "
      "users.\n\n"
      "Examples:\n"
      "  meterlogger-server run --config /etc/meterlogger/server.toml\n"
      "  meterlogger-server serve --config /etc/meterlogger/server.toml\n"
      "  meterlogger-server users add anna --role admin --groups Loppen\n"
      "  meterlogger-server meters add 6892850 --kind heat --generate-key --name \"Loppen 12\"\n"
      "  meterlogger-server meters list\n"
      "  meterlogger-server send 6892850 status --wait\n"
      "  meterlogger-server pay 6892850 --amount 500 --price 0.85\n"
      "  meterlogger-server export 6892850 --from 2026-11-01 --format json\n"
      "See packaging/server.toml, docs/server.md and docs/api.md.",
      "meterlogger-server"};
  app.set_version_flag("--version", std::string("meterlogger-server ") + ML_VERSION);
  app.require_subcommand(1);
  // --config before or after the subcommand: `meterlogger-server run --config F` as well.
  app.fallthrough();
  std::string config = "/etc/meterlogger/server.toml";
  app.add_option("--config", config, "the TOML configuration file")->capture_default_str();

  auto* run_cmd =
      app.add_subcommand("run", "Ingest device messages into the database until stopped");
  run_cmd->footer(
      "Subscribes (QoS 1, persistent session) to samples, replies and last wills; verifies and\n"
      "opens each with its meter's key; stores it; acknowledges it to the broker only once it is\n"
      "stored. SIGTERM stops cleanly.\n\n"
      "Example:\n  meterlogger-server --config server.toml run");
  run_cmd->callback([&] { run(config); });

  auto a = std::make_shared<MeterArgs>();
  auto* meters = app.add_subcommand("meters", "Add, list, show, change and remove meters");
  meters->require_subcommand(1);
  auto add_fields = [&](CLI::App* c) {
    c->add_option("--key", a->key, "the meter's master key, 32 hex digits");
    c->add_flag("--generate-key", a->generate_key, "make a random key and print it once");
    c->add_option("--name", a->name, "name or address");
    c->add_option("--group", a->group, "meter group");
    c->add_option("--setup-value", a->setup_value,
                  "the energy register at installation, kWh (the prepaid offset)");
    c->add_option("--valve", a->valve, "a valve is installed: on or off");
  };
  auto* add = meters->add_subcommand("add", "Register a meter and its key");
  as_serial(add->add_option(
                "serial", a->serial,
                "the meter's serial; a number is kept with at least 7 digits (40 is 0000040)"))
      ->required();
  add->add_option("--kind", a->kind, "heat, water or electricity")->required();
  add_fields(add);
  add->footer(
      "Examples:\n"
      "  meterlogger-server meters add 6892850 --kind heat --key "
      "ef500c9268cf749016d26d6cbfaaf7bf --valve on\n"
      "  meterlogger-server meters add EL00001 --kind electricity --generate-key");
  add->callback([&] { meters_add(config, *a); });
  auto* set = meters->add_subcommand("set", "Change a meter's settings (the key too)");
  as_serial(set->add_option("serial", a->serial, "the meter's serial"))->required();
  set->add_option("--kind", a->kind, "heat, water or electricity");
  add_fields(set);
  set->footer(
      "Example:\n  meterlogger-server meters set 6892850 --name \"Loppen 12\" --setup-value "
      "1234.5");
  set->callback([&] { meters_set(config, *a); });
  auto* list = meters->add_subcommand("list", "List the meters");
  list->add_flag("--json", a->json, "one JSON object per line");
  list->callback([&] { meters_list(config, a->json); });
  auto* show = meters->add_subcommand(
      "show", "A meter's settings, latest diagnostics and rejected messages (a wrong key?)");
  as_serial(show->add_option("serial", a->serial, "the meter's serial"))->required();
  show->callback([&] { meters_show(config, a->serial); });
  auto* unknown = meters->add_subcommand(
      "unknown", "Serials whose messages were rejected because they are not meters");
  unknown->add_flag("--json", a->json, "one JSON object per line");
  unknown->footer(
      "A device sending with a serial that is not registered shows here, newest first; adopt it\n"
      "with `meters add SERIAL --kind ... --key ...` (it then leaves this list).\n"
      "Example:\n  meterlogger-server meters unknown");
  unknown->callback([&] { meters_unknown(config, a->json); });
  auto* remove = meters->add_subcommand("remove", "Remove a meter (its samples stay)");
  as_serial(remove->add_option("serial", a->serial, "the meter's serial"))->required();
  remove->callback([&] { meters_remove(config, a->serial); });

  auto sa = std::make_shared<SendArgs>();
  auto* send = app.add_subcommand("send", "Queue a command for a meter (and wait for its reply)");
  as_serial(send->add_option("serial", sa->serial, "the meter's serial"))->required();
  send->add_option("command", sa->command,
                   "a device command of the command table (docs/server.md, \"Commands\"): version, "
                   "status, open, ...")
      ->required();
  send->add_option("argument", sa->argument, "its argument; \"1\" is sent when none is given");
  send->add_flag("--wait", sa->wait, "wait for the reply and print it (exit 3 without one)");
  send->add_option("--timeout", sa->timeout,
                   "seconds until the command expires (default [commands] default_timeout; 0: "
                   "never)");
  send->footer(
      "The running server (`meterlogger-server run`) seals the command with a fresh time at every\n"
      "send and repeats it (10 s, 20 s, ... at most [commands] retry_max) until a reply confirms "
      "it.\n\n"
      "Examples:\n"
      "  meterlogger-server send 6892850 version --wait\n"
      "  meterlogger-server send 6892850 open_until 12500 --wait --timeout 600\n"
      "  meterlogger-server send 6892850 set_ssid_pwd 'ssid=Loppen&pwd=secret123'");
  send->callback([&] { send_command(config, *sa); });

  auto pa = std::make_shared<PayArgs>();
  auto* payc = app.add_subcommand("pay", "Add a payment and queue the new open_until limit");
  as_serial(payc->add_option("serial", pa->serial, "the meter's serial"))->required();
  payc->add_option("--amount", pa->amount, "money paid, exact decimal above 0")->required();
  payc->add_option("--price", pa->price, "money per kWh (per m3 for water); 0 credits no energy")
      ->required();
  payc->add_option("--note", pa->note, "a note for the ledger");
  payc->add_option("--actor", pa->actor, "who enters it (default: the login name)");
  payc->footer(
      "open_until = sum of amount/price over the meter's payments + its setup value (kWh, to 1 "
      "Wh);\n"
      "the device closes its valve by itself when its register reaches it. The payment and the\n"
      "limit are stored together or not at all. A wrong payment is corrected or withdrawn with\n"
      "`payments correct|void` (a zero or negative amount is refused).\n\n"
      "Example:\n  meterlogger-server pay 6892850 --amount 500 --price 0.85 --note \"MobilePay "
      "2026-11\"");
  payc->callback([&] { pay(config, *pa); });

  auto* pays = app.add_subcommand("payments", "List, correct and withdraw payments; the audit log");
  pays->require_subcommand(1);
  auto* plist = pays->add_subcommand("list", "A meter's payments and its limit");
  as_serial(plist->add_option("serial", pa->serial, "the meter's serial"))->required();
  plist->callback([&] { payments_list(config, pa->serial); });
  auto* pcorr = pays->add_subcommand("correct", "Replace a payment by a corrected one");
  pcorr->add_option("id", pa->id, "the payment's number")->required();
  pcorr->add_option("--amount", pa->amount, "the corrected amount");
  pcorr->add_option("--price", pa->price, "the corrected price");
  pcorr->add_option("--note", pa->note, "a note");
  pcorr->add_option("--actor", pa->actor, "who corrects it");
  pcorr->footer("Example:\n  meterlogger-server payments correct 12 --amount 450");
  pcorr->callback([&] { payments_correct(config, *pa); });
  auto* pvoid = pays->add_subcommand("void", "Withdraw a payment");
  pvoid->add_option("id", pa->id, "the payment's number")->required();
  pvoid->add_option("--actor", pa->actor, "who withdraws it");
  pvoid->callback([&] { payments_void(config, *pa); });
  auto* paudit = pays->add_subcommand("audit", "Every change to a meter's ledger, append-only");
  as_serial(paudit->add_option("serial", pa->serial, "the meter's serial"))->required();
  paudit->callback([&] { payments_audit(config, pa->serial); });

  auto* serve_cmd =
      app.add_subcommand("serve", "Answer the dashboard and its HTTP API until stopped");
  serve_cmd->footer(
      "Listens on [http] listen (default 127.0.0.1:8080): the dashboard's files from [http]\n"
      "web_dir and the JSON API under /api/ (docs/api.md). Runs beside `run`, on the same\n"
      "database: commands and payments entered here are sent by `run`. Log in as a user made\n"
      "with `users add`. SIGTERM stops it.\n\n"
      "Example:\n  meterlogger-server --config server.toml serve");
  serve_cmd->callback([&] { serve(config); });

  auto ua = std::make_shared<UserArgs>();
  auto* users =
      app.add_subcommand("users", "Add, list, unlock and remove dashboard users; passwords");
  users->require_subcommand(1);
  auto* uadd = users->add_subcommand("add", "Add a user (the password is asked for)");
  uadd->add_option("name", ua->name, "the login name")->required();
  uadd->add_option("--role", ua->role, "admin or viewer")->capture_default_str();
  uadd->add_option("--groups", ua->groups,
                   "admins: the meter groups they may change, comma-separated; \"*\": all");
  uadd->add_option("--password-file", ua->password_file,
                   "read the password from this file's first line (default: ask, or read one "
                   "line from stdin when it is not a terminal)");
  uadd->footer(
      "A viewer sees every meter; an admin may also add payments, open and close valves, send\n"
      "commands and add meters in its groups. Every change is in the audit log (`audit`).\n\n"
      "Examples:\n"
      "  meterlogger-server users add anna --role admin --groups Loppen,Kildevang\n"
      "  meterlogger-server users add root --role admin --groups '*'\n"
      "  echo 'a long secret' | meterlogger-server users add bo");
  uadd->callback([&] { users_add(config, *ua); });
  auto* upw = users->add_subcommand("passwd", "Set a user's password (its sessions end)");
  upw->add_option("name", ua->name, "the login name")->required();
  upw->add_option("--password-file", ua->password_file, "read the password from this file");
  upw->callback([&] { users_passwd(config, *ua); });
  auto* urm = users->add_subcommand("remove", "Remove a user (its sessions end)");
  urm->add_option("name", ua->name, "the login name")->required();
  urm->callback([&] { users_remove(config, ua->name); });
  auto* uul = users->add_subcommand(
      "unlock", "Let a user log in again after too many failed logins (the running serve too)");
  uul->add_option("name", ua->name, "the login name")->required();
  uul->footer(
      "Five wrong passwords within 15 minutes lock an account for the rest of those 15 minutes\n"
      "(docs/server.md). `serve` sees the unlock at the user's next login.\n\n"
      "Example:\n  meterlogger-server users unlock anna");
  uul->callback([&] { users_unlock(config, ua->name); });
  auto* uls = users->add_subcommand("list", "List the users");
  uls->callback([&] { users_list(config); });

  std::string audit_serial;
  int audit_limit = 100;
  auto* audit_cmd = app.add_subcommand("audit", "What users changed: logins, payments, commands");
  as_serial(audit_cmd->add_option("--serial", audit_serial, "only this meter's entries"));
  audit_cmd->add_option("--limit", audit_limit, "newest entries shown")->capture_default_str();
  audit_cmd->footer("Example:\n  meterlogger-server audit --serial 6892850");
  audit_cmd->callback([&] { audit_list(config, audit_serial, audit_limit); });

  std::string ex_serial, ex_from, ex_to, ex_format = "csv";
  auto* ex = app.add_subcommand("export", "Print a meter's samples as CSV or JSON lines");
  as_serial(ex->add_option("serial", ex_serial, "the meter's serial"))->required();
  ex->add_option("--from", ex_from, "first time: unix seconds, YYYY-MM-DD or ...THH:MM:SSZ (UTC)");
  ex->add_option("--to", ex_to, "last time (inclusive), as --from");
  ex->add_option("--format", ex_format, "csv or json")->capture_default_str();
  ex->footer(
      "JSON prints one object per line: time (unix seconds), every sample key the meter sent as\n"
      "the exact decimal text received (null for NaN), energy_kwh (normalised, exact) and, for\n"
      "meters that send volume, volume_m3.\n\n"
      "Examples:\n"
      "  meterlogger-server export 6892850 --format json\n"
      "  meterlogger-server export 6892850 --from 2026-11-01 --to 2026-11-30T23:59:59Z > nov.csv");
  ex->callback([&] { export_samples(config, ex_serial, ex_from, ex_to, ex_format); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const Failure& f) {
    std::cerr << "meterlogger-server: " << f.message << '\n';
    return f.status;
  }
  return 0;
}
