#include "agent/agent.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <future>

#include "agent/metrics_source.hpp"
#include "agent/setup_page.hpp"
#include "agent/system_info.hpp"
#include "core/wifi/wifi.hpp"
#include "platform/log/log.hpp"
#include "platform/systemd/notify.hpp"
#include "platform/tz/zone.hpp"

namespace ml::agent {
namespace {

namespace log = platform::log;

// Set from a SIGABRT handler (how systemd's watchdog ends a hung service): a marker file tells
// the next run that the previous one was stopped by the watchdog. Only async-signal-safe calls.
char g_abort_marker[4096];

void on_abort(int) {
  const int fd = ::open(g_abort_marker, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd >= 0) ::close(fd);
  ::signal(SIGABRT, SIG_DFL);
  ::raise(SIGABRT);
}

std::string abort_marker_path(const std::string& state_dir) {
  return state_dir + "/last-abort";
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Store scope and keys of what the setup page changes for the whole agent.
constexpr const char* kSetupScope = "setup";
// docs/protocols/envelope.md, "Padding per revision".
constexpr const char* kZeroPaddingWarning =
    "[mqtt] padding = \"zero\" is only for 2018-era servers (MeterLoggerWeb with CryptX 0.061 or "
    "older, e.g. its pinned 0.036): with CryptX 0.062 or later (Debian's libcryptx-perl) "
    "MeterLoggerWeb fails on every zero-padded message (padding_depad failed) and its worker "
    "exits; use \"pkcs7\" unless the server is known to need zero padding";
constexpr const char* kBrokerHostKey = "mqtt_host";
constexpr const char* kBrokerPortKey = "mqtt_port";

}  // namespace

// The setup page's view of the agent. The page calls from its own threads; every call is carried
// out on the agent's loop, and waits for it at most kWait (a task that runs late still finds
// what it uses: it holds copies of the arguments, and the backend lives as long as the agent).
class AgentSetupBackend final : public setup_page::Backend {
 public:
  explicit AgentSetupBackend(Agent& agent) : agent_(agent) {}

  setup_page::Status status() override {
    return on_loop<setup_page::Status>([this] { return agent_status(); }, {});
  }

  std::string set_wifi(const std::string& ssid, const std::string& password) override {
    return on_loop<std::string>([this, ssid, password] { return wifi(ssid, password); }, kBusy);
  }

  std::string set_broker(const std::string& host, const std::string& port) override {
    return on_loop<std::string>([this, host, port] { return broker(host, port); }, kBusy);
  }

  std::string set_pulse(const std::string& name, const std::string& base,
                        const std::string& per_unit) override {
    return on_loop<std::string>(
        [this, name, base, per_unit] { return pulse(name, base, per_unit); }, kBusy);
  }

 private:
  static constexpr std::chrono::seconds kWait{5};
  static constexpr const char* kBusy = "the agent did not answer in time; try again";

  template <class T, class F>
  T on_loop(F f, T fallback) {
    auto task = std::make_shared<std::packaged_task<T()>>(std::move(f));
    auto result = task->get_future();
    asio::post(agent_.io_, [task] { (*task)(); });
    if (result.wait_for(kWait) != std::future_status::ready) return fallback;
    return result.get();
  }

  setup_page::Status agent_status() {
    setup_page::Status s;
    s.version = ML_VERSION;
    s.broker_host = agent_.config_.mqtt.host;
    s.broker_port = agent_.config_.mqtt.port;
    s.broker_from_page = agent_.broker_from_page_;
    s.network_backend = std::string(agent_.network_backend_->kind());
    if (auto st = agent_.network_backend_->stored_station(); st) s.wifi_ssid = st->ssid;
    for (const auto& d : agent_.devices_)
      s.meters.push_back(meter_status(*d));
    return s;
  }

  setup_page::MeterStatus meter_status(const Device& d) {
    setup_page::MeterStatus m;
    m.name = d.meter().name;
    m.serial = d.serial();
    m.protocol = d.meter().protocol;
    if (const auto& r = d.last_reading()) {
      m.reading_time = r->time;
      for (const auto& [key, v] : r->values) {
        m.values.emplace_back(key, v.value.to_string() + (v.unit.empty() ? "" : " " + v.unit));
      }
    }
    const auto& link = d.link_stats();
    m.frames_ok = link.replies_ok;
    m.crc_errors = link.check_errors;
    m.timeouts = link.timeouts;
    m.reads_failed = d.counters().reads_failed;
    m.mqtt_connected = d.mqtt_connected();
    if (!d.serial().empty()) {
      if (auto o = agent_.store_->outbox_stats(d.serial()); o) m.outbox_depth = o->messages;
    }
    m.pulse = d.driver().link == meter::Link::pulse_input;
    m.has_valve = meter::has_valve(d.driver());
    if (m.has_valve) {
      m.valve_state = d.valve().state;
      m.valve_limit = d.valve().limit;
      for (const auto& job : d.cron_jobs())
        m.cron_jobs.push_back(core::cron::to_text(job));
    }
    if (m.pulse) {
      m.pulse_base = d.pulse_base();
      m.pulse_per_unit = d.pulse_per_unit();
    }
    return m;
  }

  std::string wifi(const std::string& ssid, const std::string& password) {
    if (auto s = core::wifi::check_ssid(ssid); !s) return s.error().detail;
    if (auto s = core::wifi::check_password(password); !s) return s.error().detail;
    // Through the network commands, in turn with any command from the server: store, then
    // connect (which reconnects MQTT too).
    const std::string argument = core::wifi::format_ssid_pwd({ssid, password});
    Agent& agent = agent_;
    agent.network_->submit("", "set_ssid_pwd", argument, [&agent](NetworkOutcome outcome) {
      if (outcome.error) {
        log::error("setup page: Wi-Fi: " + outcome.error->message());
        return;
      }
      agent.network_->submit("", "reconnect", "", [&agent](NetworkOutcome connected) {
        if (connected.error) log::error("setup page: Wi-Fi: " + connected.error->message());
        if (connected.reconnect_mqtt) {
          for (auto& d : agent.devices_)
            d->reconnect_mqtt();
        }
      });
    });
    log::info("setup page: Wi-Fi network set to \"" + ssid + "\"");
    return "";
  }

  std::string broker(const std::string& host, const std::string& port) {
    Store& store = *agent_.store_;
    const std::int64_t t = unix_now();
    if (auto s = store.set_setting(kSetupScope, kBrokerHostKey, host, t); !s) {
      return s.error().message();
    }
    if (auto s = store.set_setting(kSetupScope, kBrokerPortKey, host.empty() ? "" : port, t); !s) {
      return s.error().message();
    }
    agent_.apply_broker_override();
    log::info("setup page: MQTT broker " + agent_.config_.mqtt.host + ":" +
              std::to_string(agent_.config_.mqtt.port) + "; reconnecting");
    agent_.stop_devices();
    agent_.start_devices();
    return "";
  }

  std::string pulse(const std::string& name, const std::string& base_text,
                    const std::string& per_unit_text) {
    auto base = core::Decimal::parse(base_text);
    if (!base) return "the base reading \"" + base_text + "\" is not a number";
    std::uint32_t per_unit = 0;
    const auto [end, ec] = std::from_chars(per_unit_text.data(),
                                           per_unit_text.data() + per_unit_text.size(), per_unit);
    if (per_unit_text.empty() || ec != std::errc() ||
        end != per_unit_text.data() + per_unit_text.size() || per_unit == 0 || per_unit > 1000000) {
      return "impulses per unit must be a whole number from 1 to 1000000";
    }
    for (auto& d : agent_.devices_) {
      if (d->meter().name != name) continue;
      if (auto s = d->set_pulse_calibration(*base, per_unit); !s) return s.error().detail;
      return "";
    }
    return "no meter is called \"" + name + "\"";
  }

  Agent& agent_;
};

Agent::Agent(asio::io_context& io, AgentConfig config, std::vector<std::string> argv)
    : io_(io),
      config_(std::move(config)),
      argv_(std::move(argv)),
      signals_(io, SIGTERM, SIGINT, SIGHUP),
      watchdog_timer_(io) {}

Agent::~Agent() = default;

core::Status Agent::start() {
  log::set_level(config_.log_level);
  start_time_ = unix_now();
  auto store = Store::open(config_.state_dir);
  if (!store) return store.error();
  store_.emplace(std::move(store).value());
  auto previous = store_->begin_run(unix_now(), boot_id());
  if (!previous) return previous.error();
  const std::string marker = abort_marker_path(config_.state_dir);
  RunEnd how = *previous;
  if (how == RunEnd::crash && std::filesystem::exists(marker)) how = RunEnd::watchdog;
  std::filesystem::remove(marker);
  std::strncpy(g_abort_marker, marker.c_str(), sizeof g_abort_marker - 1);
  ::signal(SIGABRT, on_abort);

  context_ = std::make_unique<DeviceContext>(
      DeviceContext{*store_, config_, std::chrono::steady_clock::now(), how, {}, {}});
  context_->restart = [this] { asio::post(io_, [this] { shutdown(RunEnd::restart); }); };
  if (auto s = load_time_zone(); !s) return s;
  auto backend = make_network_backend(config_.network, *store_, unix_now);
  if (!backend) return backend.error();
  network_backend_ = std::move(backend).value();
  network_ = std::make_unique<NetworkCommands>(io_.get_executor(), *network_backend_);
  context_->network = network_.get();
  log::info("meterlogger agent starting: " + std::to_string(config_.meters.size()) +
            " meter(s), state in " + config_.state_dir +
            ", previous run: " + std::string(run_end_name(how)));
  if (config_.mqtt.padding == core::envelope::Padding::zero) log::warning(kZeroPaddingWarning);
  for (const auto& w : config_.warnings)
    log::warning(w);
  file_broker_host_ = config_.mqtt.host;
  file_broker_port_ = config_.mqtt.port;
  apply_broker_override();
  start_devices();
  start_setup_page();
  start_metrics();
  wait_signals();
  platform::systemd::notify("READY=1");
  feed_watchdog();
  return core::Ok{};
}

core::Status Agent::load_time_zone() {
  auto zone = platform::load_zone(config_.time_zone);
  if (!zone) return zone.error();
  context_->zone = std::make_shared<platform::Zone>(std::move(zone).value());
  return core::Ok{};
}

void Agent::start_devices() {
  for (const MeterConfig& m : config_.meters) {
    auto device = std::make_shared<Device>(io_.get_executor(), m, *context_);
    device->start();
    devices_.push_back(std::move(device));
  }
}

void Agent::stop_devices() {
  for (auto& d : devices_)
    d->stop();
  devices_.clear();
}

void Agent::shutdown(RunEnd how) {
  if (stopping_) return;
  stopping_ = true;
  platform::systemd::notify("STOPPING=1");
  log::info(how == RunEnd::restart ? "restarting" : "stopping");
  stop_metrics();
  stop_setup_page();
  stop_devices();
  signals_.cancel();
  watchdog_timer_.cancel();
  if (auto s = store_->end_run(how, unix_now()); !s) log::error(s.error().message());
  re_exec_ = how == RunEnd::restart;
}

void Agent::reload() {
  auto fresh = load_config(config_.path);
  if (!fresh) {
    log::error("SIGHUP: the configuration is not valid, keeping the running one: " +
               fresh.error().detail);
    return;
  }
  if (fresh->state_dir != config_.state_dir) {
    log::error("SIGHUP: state_dir cannot change while running; restart the agent");
    return;
  }
  log::info("SIGHUP: configuration reloaded from " + config_.path);
  platform::systemd::notify("RELOADING=1");
  stop_metrics();
  stop_setup_page();
  stop_devices();
  if (fresh->network.backend != config_.network.backend ||
      fresh->network.interface != config_.network.interface) {
    log::warning("SIGHUP: [network] changes take effect when the agent restarts");
  }
  config_ = std::move(fresh).value();
  log::set_level(config_.log_level);
  if (auto s = load_time_zone(); !s) log::error(s.error().message());
  if (config_.mqtt.padding == core::envelope::Padding::zero) log::warning(kZeroPaddingWarning);
  file_broker_host_ = config_.mqtt.host;
  file_broker_port_ = config_.mqtt.port;
  apply_broker_override();
  start_devices();
  start_setup_page();
  start_metrics();
  platform::systemd::notify("READY=1");
}

void Agent::apply_broker_override() {
  auto host = store_->setting(kSetupScope, kBrokerHostKey);
  auto port = store_->setting(kSetupScope, kBrokerPortKey);
  broker_from_page_ = host && *host && !(**host).empty() && port && *port;
  int page_port = 0;
  if (broker_from_page_) {
    const std::string& text = **port;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), page_port);
    if (ec != std::errc() || end != text.data() + text.size() || page_port < 1 ||
        page_port > 65535) {
      log::error("the MQTT broker port stored by the setup page \"" + text +
                 "\" is not a port; using agent.toml's broker");
      broker_from_page_ = false;
    }
  }
  if (broker_from_page_) {
    config_.mqtt.host = **host;
    config_.mqtt.port = page_port;
    log::info("MQTT broker " + config_.mqtt.host + ":" + std::to_string(config_.mqtt.port) +
              " as set on the setup page (instead of agent.toml's " + file_broker_host_ + ":" +
              std::to_string(file_broker_port_) + ")");
  } else {
    config_.mqtt.host = file_broker_host_;
    config_.mqtt.port = file_broker_port_;
  }
}

std::string Agent::setup_port_file() const {
  return config_.state_dir + "/setup-page.port";
}

void Agent::start_setup_page() {
  std::error_code ignored;  // a killed run may have left one behind
  std::filesystem::remove(setup_port_file(), ignored);
  if (!config_.setup.enabled()) return;
  auto module = load_setup_page_module(config_.setup.module);
  if (!module) {
    log::error("setup page: " + module.error().detail);
    return;
  }
  setup_page::Options options;
  options.host = config_.setup.host;
  options.port = config_.setup.port;
  options.password_hash = config_.setup.password_hash;
  options.session_minutes = config_.setup.session_minutes;
  if (!setup_backend_) setup_backend_ = std::make_unique<AgentSetupBackend>(*this);
  std::string error;
  setup_server_.reset(module->start(options, *setup_backend_, &error));
  if (!setup_server_) {
    log::error("setup page: " + error);
    return;
  }
  log::info("setup page on http://" + options.host + ":" + std::to_string(setup_server_->port()) +
            "/");
  // The port in a file too, for whoever picked port 0 (tests).
  if (FILE* f = std::fopen(setup_port_file().c_str(), "w")) {
    std::fprintf(f, "%d\n", setup_server_->port());
    std::fclose(f);
  }
}

void Agent::stop_setup_page() {
  if (setup_server_) setup_server_->stop();
  setup_server_.reset();
  std::error_code ignored;  // the port it listened on is no longer true
  std::filesystem::remove(setup_port_file(), ignored);
}

void Agent::start_metrics() {
  std::error_code ignored;  // a killed run may have left one behind
  const std::string port_file = config_.state_dir + "/metrics.port";
  std::filesystem::remove(port_file, ignored);
  if (!config_.metrics.enabled()) return;
  auto module = load_setup_page_module(config_.setup.module);
  if (!module) {
    log::error("metrics: " + module.error().detail);
    return;
  }
  if (!metrics_source_) {
    metrics_source_ = std::make_unique<AgentMetricsSource>(
        io_,
        [this] {
          metrics::Snapshot s{ML_VERSION, start_time_, {}};
          for (const auto& d : devices_)
            s.meters.push_back(meter_snapshot(*d, *store_));
          return s;
        },
        unix_now);
  }
  setup_page::MetricsOptions options{config_.metrics.host, config_.metrics.port,
                                     config_.metrics.token};
  std::string error;
  metrics_server_.reset(module->start_metrics(options, *metrics_source_, &error));
  if (!metrics_server_) {
    log::error("metrics: " + error);
    return;
  }
  log::info("metrics on http://" + options.host + ":" + std::to_string(metrics_server_->port()) +
            "/metrics" + (options.token.empty() ? "" : " (bearer token required)"));
  // The port in a file too, for whoever picked port 0 (tests).
  if (FILE* f = std::fopen(port_file.c_str(), "w")) {
    std::fprintf(f, "%d\n", metrics_server_->port());
    std::fclose(f);
  }
}

void Agent::stop_metrics() {
  if (metrics_server_) metrics_server_->stop();
  metrics_server_.reset();
  std::error_code ignored;
  std::filesystem::remove(config_.state_dir + "/metrics.port", ignored);
}

void Agent::wait_signals() {
  signals_.async_wait([this](const asio::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      reload();
      wait_signals();
    } else {
      shutdown(RunEnd::clean_stop);
    }
  });
}

void Agent::feed_watchdog() {
  const auto interval = platform::systemd::watchdog_interval();
  if (!interval) return;
  platform::systemd::notify("WATCHDOG=1");
  watchdog_timer_.expires_after(*interval / 2);
  watchdog_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec) feed_watchdog();
  });
}

int Agent::run() {
  io_.run();
  if (re_exec_) {
    std::vector<char*> args;
    for (auto& a : argv_)
      args.push_back(a.data());
    args.push_back(nullptr);
    ::execv("/proc/self/exe", args.data());
    log::error(std::string("restart: cannot re-execute: ") + std::strerror(errno));
    return 1;
  }
  return 0;
}

}  // namespace ml::agent
