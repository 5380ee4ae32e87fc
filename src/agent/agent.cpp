#include "agent/agent.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "agent/system_info.hpp"
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

}  // namespace

Agent::Agent(asio::io_context& io, AgentConfig config, std::vector<std::string> argv)
    : io_(io),
      config_(std::move(config)),
      argv_(std::move(argv)),
      signals_(io, SIGTERM, SIGINT, SIGHUP),
      watchdog_timer_(io) {}

Agent::~Agent() = default;

core::Status Agent::start() {
  log::set_level(config_.log_level);
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
  start_devices();
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
  stop_devices();
  if (fresh->network.backend != config_.network.backend ||
      fresh->network.interface != config_.network.interface) {
    log::warning("SIGHUP: [network] changes take effect when the agent restarts");
  }
  config_ = std::move(fresh).value();
  log::set_level(config_.log_level);
  if (auto s = load_time_zone(); !s) log::error(s.error().message());
  start_devices();
  platform::systemd::notify("READY=1");
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
