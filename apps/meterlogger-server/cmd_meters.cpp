// `meterlogger-server meters`: adds, imports, lists, shows, changes and removes meters through
// the meter use cases (server/usecases/meters.hpp, meter_import.hpp), which the HTTP API shares.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common.hpp"
#include "server/broker_control.hpp"
#include "server/ingest.hpp"
#include "server/key_change.hpp"
#include "server/usecases/estimates.hpp"
#include "server/usecases/meter_csv.hpp"
#include "server/usecases/meter_import.hpp"
#include "server/usecases/meters.hpp"

namespace ml::server_app {
namespace {

namespace usecase = server::usecase;

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
  bool broker_login = false;  // add: create the device's broker login too
  int timeout_s = 10;         // for the broker's dynamic security plugin
  std::string file;           // import: the meter list, "-" for standard input
  std::string keys_out;       // import: where the keys made for rows without one go
  bool dry_run = false;       // import: check only
};

// [mqtt] logins = "dynsec" is what lets the server manage broker logins.
void need_dynsec(const server::ServerConfig& c, const std::string& what) {
  if (!c.mqtt.dynsec_logins) {
    fail(what + " needs [mqtt] logins = \"dynsec\" in " + c.path +
         " and mosquitto's dynamic security plugin (docs/security.md, \"Broker logins\")");
  }
}

// Creates (or gives a new password to) the meter's broker login and prints it once.
void print_new_login(const server::ServerConfig& c, const std::string& serial, int timeout_s) {
  const std::string password =
      ok(server::create_device_login(c.mqtt, serial, std::chrono::seconds(timeout_s)));
  std::cout << "broker login: username " << serial << ", client id " << serial << ", password "
            << password
            << "\n(shown once: on the gateway, put it in a file of its own (chmod 600) and name "
               "that file in agent.toml, [meter.broker] password_file, under this meter; it is "
               "not printed again)\n";
}

usecase::MeterFields fields_of(const MeterArgs& a) {
  usecase::MeterFields f{a.key, a.generate_key, a.kind, a.name, a.group, a.setup_value, {}};
  if (!a.valve.empty()) {
    if (a.valve != "on" && a.valve != "off") fail("--valve must be on or off");
    f.valve = a.valve == "on";
  }
  return f;
}

void meters_add(const std::string& config_path, const MeterArgs& a) {
  const auto built =
      ok(usecase::build_meter({a.serial, fields_of(a), usecase::Spelling::option}, unix_now()));
  const auto config = config_from(config_path);
  if (a.broker_login) need_dynsec(config, "--broker-login");
  auto store = open_store(config);
  ok(usecase::add_meter(*store, built));
  std::cout << "added meter " << built.meter.serial << " ("
            << core::meter::info(built.meter.kind).name << ")\n";
  if (!built.generated_key.empty()) {
    std::cout << "key: " << built.generated_key
              << "\n(shown once: configure it on the device; it is not printed again)\n";
  }
  if (a.broker_login) print_new_login(config, built.meter.serial, a.timeout_s);
}

// The text of `path` ("-": standard input), cut after max + 1 bytes: enough for the reader to
// say that the file is too large without holding all of it.
// Writes the keys made for `meters` to `path` as CSV (serial,key), a new file the owner alone
// may read (0600 whatever the umask), synced to disk: before the meters are stored, so that no
// meter is stored whose key is lost.
void write_keys(const std::string& path, const std::vector<server::usecase::NewMeter>& meters) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int error = errno;
    fail("cannot create " + path + " for the new keys: " + std::strerror(error) +
         (error == EEXIST ? " (it exists: choose a new name, or remove it)" : "") +
         "; no meter imported");
  }
  std::string text = "serial,key\n";
  for (const auto& m : meters) {
    if (!m.generated_key.empty()) text += m.meter.serial + "," + m.generated_key + "\n";
  }
  int error = 0;
  if (::fchmod(fd, 0600) != 0) error = errno;  // the umask may have taken bits from 0600
  for (std::size_t at = 0; error == 0 && at < text.size();) {
    const ssize_t w = ::write(fd, text.data() + at, text.size() - at);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      error = w < 0 ? errno : EIO;
    } else {
      at += static_cast<std::size_t>(w);
    }
  }
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  std::fill(text.begin(), text.end(), '\0');
  if (error != 0) {
    ::unlink(path.c_str());
    fail("cannot write the new keys to " + path + ": " + std::strerror(error) +
         "; no meter imported");
  }
}

void meters_import(const std::string& config_path, const MeterArgs& a) {
  const bool generate = !a.keys_out.empty();
  if (a.keys_out == "-") {
    fail("--generate-keys needs a file: keys are never printed (e.g. --generate-keys keys.csv)");
  }
  struct stat st {};
  if (generate && !a.dry_run && ::lstat(a.keys_out.c_str(), &st) == 0) {
    fail(a.keys_out + " exists: the new keys go to a new file; choose another name, or remove it");
  }
  const usecase::MeterCsvLimits limits;
  const std::string source = a.file == "-" ? "standard input" : a.file;
  auto csv = usecase::parse_meter_csv(read_input(a.file, limits.max_bytes), limits);
  auto store = open_store(config_from(config_path));
  const auto now = unix_now();
  auto plan = ok(usecase::plan_meter_import(*store, std::move(csv), {generate, now}));
  if (!plan.problems.empty()) {
    const auto& p = plan.problems;
    for (const auto& text : p.shown)
      std::cerr << source << ": " << text << "\n";
    if (p.count > p.shown.size()) {
      std::cerr << source << ": ... and " << p.count - p.shown.size() << " more\n";
    }
    fail("no meter imported: " + std::to_string(p.count) +
         (p.count == 1 ? " problem" : " problems") + " in " + source +
         "; correct the file and run the import again (nothing was changed)");
  }
  const std::size_t n = plan.meters.size();
  const std::string counts = usecase::kind_counts(plan.meters);
  const auto made = static_cast<std::size_t>(
      std::count_if(plan.meters.begin(), plan.meters.end(),
                    [](const auto& m) { return !m.generated_key.empty(); }));
  if (a.dry_run) {
    std::cout << "checked " << n << " meters (" << counts
              << "): all can be imported; nothing was changed (--dry-run)\n";
    if (made > 0) {
      std::cout << made << " would get a new key (" << a.keys_out << " is not written)\n";
    }
    return;
  }
  if (made > 0) write_keys(a.keys_out, plan.meters);
  if (auto done = usecase::import_meters(*store, plan.meters, cli_actor(), source, now); !done) {
    if (made > 0) ::unlink(a.keys_out.c_str());
    fail("no meter imported: " + done.error().text() + " (nothing was changed)");
  }
  std::cout << "imported " << n << " meters (" << counts << ")\n";
  if (made > 0) {
    std::cout << "the " << made << " new keys are in " << a.keys_out
              << " (serial,key; only you may read it): configure each on its device, then delete "
                 "the file or keep it as private as the database\n";
  }
}

void meters_login(const std::string& config_path, const MeterArgs& a) {
  const auto config = config_from(config_path);
  need_dynsec(config, "meters login");
  auto store = open_store(config);
  const auto meter = ok(store->meter(a.serial));
  if (!meter) fail("no meter " + a.serial + ": add it first (meterlogger-server meters add)");
  print_new_login(config, a.serial, a.timeout_s);
}

void meters_rekey(const std::string& config_path, const std::string& serial) {
  auto store = open_store(config_from(config_path));
  const auto actor = cli_actor();
  const auto r = ok(server::start_key_change(*store, serial, actor.name, actor.remote, unix_now()));
  std::cout << (r.resumed ? "a key change under way since " + utc(r.since) + " goes on"
                          : std::string("a new key is made"))
            << "; set_key is queued as command #" << r.command
            << ".\nThe running server sends it; the change is done when the device answers under "
               "the new key\n(`meters show "
            << serial << "`: key_change).\n";
}

void meters_set(const std::string& config_path, const MeterArgs& a) {
  auto store = open_store(config_from(config_path));
  const auto changed =
      ok(usecase::update_meter(*store, {a.serial, fields_of(a), usecase::Spelling::option}));
  std::cout << "updated meter " << changed.meter.serial << "\n";
  if (!changed.generated_key.empty()) {
    std::cout << "key: " << changed.generated_key << "\n(shown once)\n";
  }
}

nlohmann::ordered_json meter_json(const server::Meter& m) {
  return {{"serial", m.serial},
          {"kind", core::meter::info(m.kind).name},
          {"name", m.name},
          {"group", m.group},
          {"setup_value", m.setup_value.to_string()},
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
    std::printf("%-12s %-12s %-20s %-10s %s\n", m.serial.c_str(),
                std::string(core::meter::info(m.kind).name).c_str(), m.name.c_str(),
                m.group.c_str(), utc(m.last_sample_time).c_str());
  }
}

void meters_show(const std::string& config_path, const std::string& serial) {
  auto store = open_store(config_from(config_path));
  const auto r = ok(usecase::show_meter(*store, serial));
  const auto& m = r.meter;
  auto j = meter_json(m);
  j["last_sample"] = utc(m.last_sample_time);
  j["key"] = "set (not shown)";
  j["key_change"] = m.next_key_hex.empty()
                        ? nlohmann::ordered_json(nullptr)
                        : nlohmann::ordered_json("under way since " + utc(m.next_key_since));
  nlohmann::ordered_json diag = nlohmann::ordered_json::object();
  for (const auto& [fn, v] : r.diagnostics)
    diag[fn] = {{"value", v.text}, {"time", v.time}};
  j["diagnostics"] = diag;
  j["paid"] = r.paid;
  j["open_until"] = r.open_until;
  const auto& rest = r.remaining;
  j["remaining"] = rest.units ? nlohmann::ordered_json(rest.units->to_string()) : nullptr;
  j["rate_per_hour"] =
      rest.rate_per_hour.empty() ? nullptr : nlohmann::ordered_json(rest.rate_per_hour);
  j["hours_remaining"] = rest.hours ? nlohmann::ordered_json(*rest.hours) : nullptr;
  // How long the paid energy lasts, from the daily history (docs/server.md, "Estimates").
  const auto est = ok(usecase::estimate_for(*store, serial, unix_now())).estimate;
  j["days_left"] = est.days_left ? nlohmann::ordered_json(est.days_left->to_string()) : nullptr;
  j["closes_at"] = est.closes_at ? nlohmann::ordered_json(utc(*est.closes_at)) : nullptr;
  j["beyond_horizon"] = est.beyond_horizon;
  j["method"] = std::string(server::estimate::method_name(est.method));
  j["rate_kw"] = est.rate && m.kind != core::meter::Kind::water
                     ? nlohmann::ordered_json(est.rate->to_string())
                     : nullptr;
  j["offline_since"] =
      m.offline_since == 0 ? nullptr : nlohmann::ordered_json(utc(m.offline_since));
  // Messages naming the meter that were rejected, by reason ("bad_mac": a wrong key?).
  nlohmann::ordered_json rejected = nlohmann::ordered_json::object();
  for (const auto& x : r.rejected) {
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

void meters_remove(const std::string& config_path, const std::string& serial, int timeout_s) {
  const auto config = config_from(config_path);
  auto store = open_store(config);
  const int given_up = ok(usecase::remove_meter(*store, serial));
  std::cout << "removed meter " << serial << " (its samples stay in the database)";
  if (given_up > 0) std::cout << "; " << given_up << " pending commands given up";
  std::cout << "\n";
  if (!config.mqtt.dynsec_logins) return;
  // The meter is gone from the registry either way; a broker away now is caught up by
  // `broker sync`, and by `run` (at start and every 5 minutes).
  if (auto gone = server::remove_device_login(config.mqtt, serial, std::chrono::seconds(timeout_s));
      !gone) {
    std::cerr << "warning: the broker login of " << serial
              << " could not be removed now: " << gone.error().text()
              << "\n(`meterlogger-server run` removes it within 5 minutes of reaching the broker, "
                 "or `meterlogger-server broker sync` now)\n";
    return;
  }
  std::cout << "removed its broker login\n";
}

}  // namespace

void add_meter_commands(CLI::App& app, const std::string& config) {
  auto a = std::make_shared<MeterArgs>();
  auto* meters = app.add_subcommand("meters", "Add, import, list, show, change and remove meters");
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
  add->callback([=, &config] { meters_add(config, *a); });
  auto* import_cmd = meters->add_subcommand(
      "import", "Register many meters from a CSV file: all of them, or none when one is wrong");
  import_cmd->add_option("file", a->file, "the meter list (CSV), - for standard input")
      ->required()
      ->type_name("FILE");
  import_cmd
      ->add_option("--generate-keys", a->keys_out,
                   "make a key for each meter whose key is empty and write serial,key to this "
                   "new file (0600); keys are never printed")
      ->type_name("KEYFILE");
  import_cmd->add_flag("--dry-run", a->dry_run, "check the whole file, store nothing");
  import_cmd->footer(
      "The first line names the columns, any order: serial and kind required; key, name, group,\n"
      "setup_value and valve (on or off) optional, as for `meters add`. One meter a line; quote\n"
      "a value with a comma or a quote (\"Loppen 12, st.\"), doubling each quote inside.\n"
      "Semicolons as delimiters, CRLF line ends and a byte order mark are read too.\n"
      "At most 200 000 meters and 64 MiB a file. Every row is checked first: any problem (up to\n"
      "20 shown, each with its line and column) and nothing is stored; otherwise all are added\n"
      "in one transaction. Broker logins ([mqtt] logins = \"dynsec\") are made per meter:\n"
      "`meters login SERIAL`.\n"
      "Example file:\n"
      "  serial,kind,key,name,group,setup_value,valve\n"
      "  6892850,heat,ef500c9268cf749016d26d6cbfaaf7bf,\"Loppen 12, st.\",Loppen,1234.5,on\n"
      "  7000001,water,,Loppen 14,Loppen,,\n"
      "Examples:\n"
      "  meterlogger-server meters import meters.csv --dry-run\n"
      "  meterlogger-server meters import meters.csv --generate-keys new-keys.csv\n"
      "  some-export | meterlogger-server meters import -");
  import_cmd->callback([=, &config] { meters_import(config, *a); });
  auto* set = meters->add_subcommand("set", "Change a meter's settings (the key too)");
  as_serial(set->add_option("serial", a->serial, "the meter's serial"))->required();
  set->add_option("--kind", a->kind, "heat, water or electricity");
  add_fields(set);
  set->footer(
      "Example:\n  meterlogger-server meters set 6892850 --name \"Loppen 12\" --setup-value "
      "1234.5");
  set->callback([=, &config] { meters_set(config, *a); });
  auto* list = meters->add_subcommand("list", "List the meters");
  list->add_flag("--json", a->json, "one JSON object per line");
  list->callback([=, &config] { meters_list(config, a->json); });
  auto* show = meters->add_subcommand(
      "show", "A meter's settings, latest diagnostics and rejected messages (a wrong key?)");
  as_serial(show->add_option("serial", a->serial, "the meter's serial"))->required();
  show->callback([=, &config] { meters_show(config, a->serial); });
  auto* unknown = meters->add_subcommand(
      "unknown", "Serials whose messages were rejected because they are not meters");
  unknown->add_flag("--json", a->json, "one JSON object per line");
  unknown->footer(
      "A device sending with a serial that is not registered shows here, newest first; adopt it\n"
      "with `meters add SERIAL --kind ... --key ...` (it then leaves this list).\n"
      "Example:\n  meterlogger-server meters unknown");
  unknown->callback([=, &config] { meters_unknown(config, a->json); });
  add->add_flag("--broker-login", a->broker_login,
                "also create the device's own broker login and print its password once "
                "([mqtt] logins = \"dynsec\")");
  add->add_option("--timeout", a->timeout_s, "seconds to wait for the broker (default 10)");
  auto* login = meters->add_subcommand(
      "login", "Create a meter's own broker login, or give it a new password (printed once)");
  as_serial(login->add_option("serial", a->serial, "the meter's serial"))->required();
  login->add_option("--timeout", a->timeout_s, "seconds to wait for the broker (default 10)");
  login->footer(
      "Needs [mqtt] logins = \"dynsec\" and mosquitto's dynamic security plugin\n"
      "(docs/security.md, \"Broker logins\"). The device may then publish only under its own\n"
      "serial and read only its own commands.\n"
      "Example:\n  meterlogger-server meters login 6892850");
  login->callback([=, &config] { meters_login(config, *a); });
  auto* rekey = meters->add_subcommand(
      "rekey", "Change a meter's key over MQTT (this project's agent; no site visit)");
  as_serial(rekey->add_option("serial", a->serial, "the meter's serial"))->required();
  rekey->footer(
      "Makes a new key and queues the set_key command, sealed with the key the device has.\n"
      "The server keeps both keys until the device answers under the new one, then retires the\n"
      "old one (audited). Running it again while a change is under way sends the same key again.\n"
      "The new key is never shown: the device and the server have it (docs/security.md,\n"
      "\"Changing a key\"). Only for a meter whose version is this project's agent's.\n"
      "Example:\n  meterlogger-server meters rekey 6892850");
  rekey->callback([=, &config] { meters_rekey(config, a->serial); });
  auto* remove = meters->add_subcommand(
      "remove", "Remove a meter (its samples stay; its broker login goes with it)");
  as_serial(remove->add_option("serial", a->serial, "the meter's serial"))->required();
  remove->add_option("--timeout", a->timeout_s, "seconds to wait for the broker (default 10)");
  remove->callback([=, &config] { meters_remove(config, a->serial, a->timeout_s); });
}

}  // namespace ml::server_app
