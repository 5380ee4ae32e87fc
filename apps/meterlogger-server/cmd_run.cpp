// `meterlogger-server run`: ingests device messages into the database, sends the queued
// commands, runs the alarm rounds ([alarms] interval, docs/alarms.md) and sends the queued
// notifications until stopped (docs/server.md).
#include <signal.h>
#include <unistd.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "common.hpp"
#include "platform/log/log.hpp"
#include "platform/systemd/notify.hpp"
#include "server/alarm_notices.hpp"
#include "server/alarm_round.hpp"
#include "server/broker_control.hpp"
#include "server/broker_watch.hpp"
#include "server/gaps.hpp"
#include "server/homeassistant.hpp"
#include "server/ingest.hpp"
#include "server/notify/notifier.hpp"
#include "server/prepaid_notify.hpp"
#include "server/sample_days.hpp"
#include "server/sender.hpp"

namespace ml::server_app {
namespace {

namespace log = platform::log;

// An alarm round every `interval_s` seconds on the io_context's thread. A failing round is
// logged and the next one runs as planned: ingest goes on regardless.
class AlarmTimer {
 public:
  AlarmTimer(asio::io_context& io, server::ServerStore& store, int interval_s,
             const server::notify::NotifyConfig& notify)
      : timer_(io), store_(store), interval_(interval_s), notify_(notify) {
    // Each notification due is logged and queued in the outbox in the round's transaction.
    options_.daily_use = &daily_use_;
    options_.channel_names = notify.channel_names();
    options_.hand_off = [this, &notify](const server::AlarmNotification& n) -> core::Status {
      log::info("alarm " + std::to_string(n.episode) + " " +
                std::string(core::alarm::notify_name(n.kind)) + ": " + n.text);
      auto q = server::queue_alarm_notification(store_, notify, n, unix_now());
      if (!q) return q.error();
      return core::Ok{};
    };
  }
  void start() {
    if (interval_ <= 0) return;
    arm();
  }
  void stop() { timer_.cancel(); }

 private:
  void arm() {
    timer_.expires_after(std::chrono::seconds(interval_));
    timer_.async_wait([this](const asio::error_code& ec) {
      if (ec) return;
      round();
      arm();
    });
  }
  void round() {
    auto r = server::run_alarm_round(store_, unix_now(), options_);
    if (!r) {
      log::error("alarm round failed (retried in " + std::to_string(interval_) +
                 " s): " + r.error().text());
      return;
    }
    // A problem is logged when it appears (again), not every round.
    std::set<std::string> problems;
    for (const auto& p : r->problems) {
      std::string line = "alarm rule #" + std::to_string(p.rule_id) + ": " + p.detail;
      if (!logged_problems_.contains(line)) log::warning(line);
      problems.insert(std::move(line));
    }
    logged_problems_ = std::move(problems);
    // The customers' prepaid notices (top-up, running low, closed) on the same beat.
    if (notify_.channels.empty()) return;
    auto notices = server::run_prepaid_notices(store_, notify_, unix_now(), &daily_use_);
    if (!notices) {
      log::error("prepaid notices failed (retried in " + std::to_string(interval_) +
                 " s): " + notices.error().text());
    } else if (notices->queued > 0) {
      log::info("prepaid notices: " + std::to_string(notices->queued) + " messages queued");
    }
  }

  asio::steady_timer timer_;
  server::ServerStore& store_;
  int interval_;
  const server::notify::NotifyConfig& notify_;
  server::usecase::DailyUseCache daily_use_;
  server::RoundOptions options_;
  std::set<std::string> logged_problems_;  // the previous round's problems
};

// Runs a round on a thread of its own, first after `first_after`, then every `interval`, until
// stopped: for the rounds that read or wait for long and so must not hold up ingest.
class RoundThread {
 public:
  RoundThread() = default;
  ~RoundThread() {
    stop();
    if (thread_.joinable()) thread_.join();
  }
  RoundThread(const RoundThread&) = delete;
  RoundThread& operator=(const RoundThread&) = delete;

  void start(std::chrono::seconds first_after, std::chrono::seconds interval,
             std::function<void()> round) {
    if (thread_.joinable()) return;
    thread_ = std::thread([this, first_after, interval, round = std::move(round)] {
      std::unique_lock lock(mutex_);
      for (auto wait = first_after; !wake_.wait_for(lock, wait, [this] { return stopping_; });
           wait = interval) {
        lock.unlock();
        round();
        lock.lock();
      }
    });
  }
  // Asks the thread to end; a round under way finishes first (the destructor waits for it).
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// A gap round every [gaps] interval (server/gaps.hpp), on a thread and a store connection of its
// own, with a GapMemory: a round reads what came since the last one, and each meter's whole
// window once a day (the first round after a start: each meter's last hour). The resend commands
// it queues go out with the sender's next look at the queue. A failing round is logged once until
// it changes.
class GapTimer {
 public:
  explicit GapTimer(const server::ServerConfig& config) : config_(config) {}

  void start() {
    if (config_.gaps.interval_s <= 0 || store_) return;
    store_ = open_store(config_);
    const std::chrono::seconds interval(config_.gaps.interval_s);
    rounds_.start(interval, interval, [this] { round(); });
  }
  void stop() { rounds_.stop(); }

 private:
  void round() {
    auto r = server::run_gap_round(*store_, unix_now(), config_.gaps, &memory_);
    if (!r) {
      if (r.error().text() != last_error_) log::error("gap round failed: " + r.error().text());
      last_error_ = r.error().text();
      return;
    }
    last_error_.clear();
    if (r->requested > 0) {
      log::info("gaps: " + std::to_string(r->gaps) + " in " + std::to_string(r->meters) +
                " meters; asked " + std::to_string(r->requested) + " devices to resend");
    }
  }

  const server::ServerConfig& config_;
  std::unique_ptr<server::ServerStore> store_;
  server::GapMemory memory_;  // each round reads what came since the last (server/gaps.hpp)
  std::string last_error_;    // logged once until it changes
  RoundThread rounds_;        // last: it ends before what its rounds use
};

// Every hour, on a thread and a store connection of its own: what storing the next week's samples
// needs is made ahead (SampleStore::prepare_for_samples: on PostgreSQL the next month's partition,
// created outside any batch), and the days of samples that ended [database] pack_after_days ago
// are packed (server/sample_days.hpp; the first round after an upgrade may pack months). A round
// stops when `run` does; the next one goes on.
class StorageRounds {
 public:
  static constexpr std::chrono::hours kInterval{1};
  static constexpr std::int64_t kAheadS = 7 * 86400;

  explicit StorageRounds(const server::ServerConfig& config) : config_(config) {}

  void start() {
    if (store_) return;
    store_ = open_store(config_);
    rounds_.start(std::chrono::seconds(60), kInterval, [this] { round(); });
  }
  void stop() {
    stopping_ = true;
    rounds_.stop();
  }

 private:
  void round() {
    const std::int64_t now = unix_now();
    if (auto s = store_->prepare_for_samples(now, now + kAheadS); !s) {
      return failed("preparing the next week's samples failed: " + s.error().text());
    }
    if (config_.database.pack_after_days > 0) {
      auto r = server::pack_samples(*store_, now, config_.database.pack_after_days,
                                    [this] { return !stopping_.load(); });
      if (!r) return failed("packing days failed: " + r.error().text());
      if (r->days > 0) {
        log::info("packed " + std::to_string(r->samples) + " samples into " +
                  std::to_string(r->days) + " days of " + std::to_string(r->meters) + " meters (" +
                  std::to_string(r->bytes) + " bytes)");
      }
    }
    last_error_.clear();
  }
  void failed(const std::string& message) {
    if (message != last_error_) log::error(message);  // once until it changes
    last_error_ = message;
  }

  const server::ServerConfig& config_;
  std::unique_ptr<server::ServerStore> store_;
  std::atomic<bool> stopping_{false};
  std::string last_error_;
  RoundThread rounds_;  // last: it ends before what its rounds use
};

// [mqtt] logins = "dynsec": the broker's device logins brought in step with the meter registry
// at start and every 5 minutes (a meter removed in the dashboard, or while the broker was away),
// on a thread and a store connection of its own: the plugin's answers never hold up ingest.
class LoginSync {
 public:
  static constexpr std::chrono::minutes kInterval{5};

  explicit LoginSync(const server::ServerConfig& config) : config_(config) {
    if (!config_.mqtt.dynsec_logins) return;
    store_ = open_store(config_);
    rounds_.start(std::chrono::seconds(0), kInterval, [this] { round(); });
  }
  // Asks the thread to end (a round under way finishes first, within its 10 s).
  void stop() { rounds_.stop(); }

 private:
  void round() {
    std::vector<std::string> serials;
    auto meters = store_->meters();
    if (!meters) {
      log::warning("broker logins: " + meters.error().text());
      return;
    }
    for (const auto& m : *meters)
      serials.push_back(m.serial);
    auto sync = server::sync_device_logins(config_.mqtt, serials, false, std::chrono::seconds(10));
    if (!sync) {
      if (sync.error().text() != last_error_) {
        log::warning("broker logins: " + sync.error().text());
      }
      last_error_ = sync.error().text();
      return;
    }
    last_error_.clear();
    for (const auto& serial : sync->removed)
      log::info("broker logins: removed the login of " + serial + " (no such meter)");
  }

  const server::ServerConfig& config_;
  std::unique_ptr<server::ServerStore> store_;
  std::string last_error_;  // logged once until it changes
  RoundThread rounds_;      // last: it ends before what its rounds use
};

// `run --worker NAME`: the work only one of several processes may do (sending commands, the
// alarm and gap rounds, notifications, the broker's logins and $SYS watch) is done by the holder
// of the database lease "duties" (store/leases.hpp). Every third of [workers] lease it takes or
// renews the lease for the whole of it; the first time it has it, `start` runs. A holder that
// cannot renew (another took it, or the database did not answer for two thirds of the lease)
// stops the process by SIGTERM, so that two never send at once; its service manager starts it
// again and it waits its turn.
class DutyLease {
 public:
  static constexpr const char* kName = "duties";

  DutyLease(asio::io_context& io, server::ServerStore& store, std::string holder, int lease_s,
            std::function<void()> start)
      : timer_(io),
        store_(store),
        holder_(std::move(holder)),
        ttl_s_(lease_s),
        start_(std::move(start)) {}
  void begin() { tick(); }
  void stop() {
    timer_.cancel();
    if (held_) (void)store_.release_lease(kName, holder_);  // the next one need not wait
  }
  bool held() const { return held_; }

 private:
  void tick() {
    const std::int64_t now = unix_now();
    auto took = store_.take_lease(kName, holder_, now, ttl_s_);
    if (took && *took) {
      last_renewed_ = now;
      if (!held_) {
        held_ = true;
        log::info("duties: this worker (" + holder_ + ") holds the lease: sending commands, " +
                  "alarm and gap rounds, notifications");
        start_();
      }
    } else if (held_ && (took || now - last_renewed_ >= ttl_s_ - ttl_s_ / 3)) {
      log::error("duties: the lease is lost" +
                 (took ? std::string(" to another worker")
                       : ": the database did not answer (" + took.error().text() + ")") +
                 "; stopping so that two workers never send at once");
      held_ = false;
      ::raise(SIGTERM);
      return;
    } else if (!took) {
      log::warning("duties: " + took.error().text());
    }
    timer_.expires_after(std::chrono::seconds(ttl_s_ / 3));
    timer_.async_wait([this](const asio::error_code& ec) {
      if (!ec) tick();
    });
  }

  asio::steady_timer timer_;
  server::ServerStore& store_;
  std::string holder_;
  std::int64_t ttl_s_;
  std::function<void()> start_;
  bool held_ = false;
  std::int64_t last_renewed_ = 0;
};

// The lease's holder name: the worker's name, host and process, unique among the workers.
std::string holder_name(const std::string& worker) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "host");
  return worker + "@" + host + ":" + std::to_string(::getpid());
}

void run(const std::string& config_path, const std::string& worker) {
  auto config = config_from(config_path);
  if (!worker.empty()) {
    // Each worker its own session (client ids), all sharing one subscription group.
    config.mqtt.client_id += "-" + worker;
    config.ingest.shared_group = "meterlogger";
  }
  log::set_level(config.log_level);
  for (const auto& w : config.warnings)
    log::warning(w);
  auto store = open_store(config);
  asio::io_context io(1);
  // Signals are caught before any thread starts or anything is logged: a SIGTERM sent as soon
  // as a line appears is queued for the handler below instead of ending the process.
  asio::signal_set signals(io, SIGTERM, SIGINT);
  // The command lane (server/ingest.hpp, IngestLane): the sender and the replies' ingest on a
  // thread, a broker session and a store connection of their own, so that a command and its
  // reply never wait behind the samples. Everything of the lane runs on command_io's thread.
  auto command_store = open_store(config);
  asio::io_context command_io(1);
  auto command_work = asio::make_work_guard(command_io);
  server::Ingest replies(command_io.get_executor(), *command_store, config, unix_now,
                         server::IngestLane::replies);
  server::Sender sender(command_io.get_executor(), *command_store, config, unix_now);
  replies.on_replies([&](const std::vector<server::DeviceReply>& r) { sender.on_replies(r); });
  // The sender starts once it holds the duties and the replies' session is subscribed (a new
  // session would miss the replies to what it sent before); the samples lane after the replies'
  // too, so that "ingest: connected" in the log means both lanes are.
  bool stopping = false;  // on io's thread: a SIGTERM came
  bool replies_connected = false;
  bool sender_wanted = false;
  bool sender_started = false;
  std::string command_failure;  // read after the lane's thread ended
  auto start_sender = [&] {
    if (sender_started || !sender_wanted || !replies_connected) return;
    sender_started = true;
    if (auto st = sender.start(); !st) {
      command_failure = st.error().text();
      ::raise(SIGTERM);
    }
  };
  // Before ingest: ingest's handler refers to it.
  std::unique_ptr<server::HomeAssistantPublisher> homeassistant;
  server::Ingest ingest(io.get_executor(), *store, config, unix_now, server::IngestLane::samples);
  // Replies reach the samples lane only when its session is from before the lanes.
  ingest.on_replies([&](const std::vector<server::DeviceReply>& r) {
    asio::post(command_io, [&sender, r] { sender.on_replies(r); });
  });
  ingest.on_back([&](const std::vector<std::string>& serials) {
    asio::post(command_io, [&sender, serials] { sender.on_back(serials); });
  });
  replies.on_connected([&] {
    if (replies_connected) return;
    replies_connected = true;
    start_sender();
    asio::post(io, [&] {
      if (!stopping) ok(ingest.start());
    });
  });
  // [homeassistant]: the samples of some groups republished for Home Assistant, after they are
  // stored (docs/homeassistant.md, "For operators").
  if (config.homeassistant.enabled) {
    homeassistant = std::make_unique<server::HomeAssistantPublisher>(
        io.get_executor(), *store, config.homeassistant, ML_VERSION, config.mqtt.client_id + "-ha");
    ingest.on_sample([&](const server::IngestItem& item) {
      homeassistant->on_sample(item.serial, item.time, item.sample);
    });
    ok(homeassistant->start());
  }
  ok(replies.start());
  std::thread command_thread([&] { command_io.run(); });
  auto stop_command_lane = [&] {
    if (!command_thread.joinable()) return;
    asio::post(command_io, [&] {
      sender.stop();
      replies.stop();
      command_work.reset();
    });
    command_thread.join();
  };
  // Also when a start below fails: the lane's thread ends before what it uses.
  struct AtExit {
    std::function<void()> f;
    ~AtExit() { f(); }
  } end_command_lane{stop_command_lane};
  server::BrokerWatch broker_watch(io.get_executor(), *store, config.mqtt, unix_now);
  AlarmTimer alarms(io, *store, config.alarms.interval_s, config.notify);
  GapTimer gaps(config);
  StorageRounds storage(config);
  // The notifier sends over the network and waits for it (up to 30 s a message): on a thread
  // and a store connection of its own, so ingest never waits for a mail server.
  // notify_io before the notifier: its timer must go before the io_context it runs on.
  auto notify_store = open_store(config);
  asio::io_context notify_io(1);
  server::notify::Notifier notifier(*notify_store, config.notify, unix_now);
  std::thread notify_thread;
  std::unique_ptr<LoginSync> login_sync;
  // The duties: at once, or with --worker once this worker holds the lease.
  auto start_duties = [&] {
    asio::post(command_io, [&] {
      sender_wanted = true;
      start_sender();
    });
    ok(broker_watch.start());
    alarms.start();
    gaps.start();
    storage.start();
    ok(notifier.start(notify_io.get_executor()));
    notify_thread = std::thread([&] { notify_io.run(); });
    login_sync = std::make_unique<LoginSync>(config);
  };
  DutyLease lease(io, *store, holder_name(worker), config.workers.lease_s, start_duties);
  if (worker.empty()) {
    start_duties();
  } else {
    lease.begin();
  }
  auto stop_threads = [&] {
    notifier.stop();
    notify_io.stop();
    if (notify_thread.joinable()) notify_thread.join();
    stop_command_lane();
  };
  signals.async_wait([&](const asio::error_code& ec, int) {
    if (ec) return;
    log::info("stopping");
    stopping = true;
    platform::systemd::notify("STOPPING=1");
    alarms.stop();
    gaps.stop();
    storage.stop();
    broker_watch.stop();
    ingest.stop();
    if (homeassistant) homeassistant->stop();
    notifier.stop();
    notify_io.stop();
    if (login_sync) login_sync->stop();
    lease.stop();
  });
  log::info("meterlogger-server " ML_VERSION ": database " + config.database.name() + ", broker " +
            config.mqtt.host + ":" + std::to_string(config.mqtt.port));
  platform::systemd::notify("READY=1");
  try {
    io.run();
  } catch (...) {
    stop_threads();
    throw;
  }
  stop_threads();
  if (!command_failure.empty()) fail("commands: " + command_failure);
  for (const auto* lane : {&ingest, &replies}) {
    const auto& c = lane->counters();
    std::string rejected;
    for (const auto& [reason, n] : c.rejected)
      rejected += " " + reason + "=" + std::to_string(n);
    log::info(std::string(lane == &ingest ? "samples" : "replies") + ": stored " +
              std::to_string(c.stored) + ", duplicates " + std::to_string(c.duplicates) +
              ", last wills ignored " + std::to_string(c.wills_ignored) +
              ", rejected:" + (rejected.empty() ? " none" : rejected));
  }
  log::info("notifications sent " + std::to_string(notifier.sent()));
  if (homeassistant) {
    const auto& h = homeassistant->counters();
    log::info("homeassistant: states " + std::to_string(h.states) + ", configs " +
              std::to_string(h.announced) + ", removed " + std::to_string(h.removed) +
              ", dropped " + std::to_string(h.dropped));
  }
}

}  // namespace

void add_run_command(CLI::App& app, const std::string& config) {
  auto* run_cmd =
      app.add_subcommand("run", "Ingest device messages into the database until stopped");
  run_cmd->footer(
      "Subscribes (QoS 1, persistent sessions) to samples and last wills (client id [mqtt]\n"
      "client_id) and to replies (the same with -replies); verifies and opens each with its\n"
      "meter's key; stores it; acknowledges it to the broker only once it is stored. Sends the\n"
      "queued commands. Every [alarms] interval (60 s) it evaluates the alarm rules\n"
      "(docs/alarms.md) and queues their notifications, which it sends on the channels of\n"
      "[notify]. With [homeassistant] it republishes the stored samples of the meters of chosen\n"
      "groups with Home Assistant MQTT discovery (docs/homeassistant.md). With [mqtt] logins =\n"
      "\"dynsec\" it removes, at start and every 5 minutes, the broker logins of meters that are\n"
      "gone (docs/security.md). Every [gaps] interval (300 s) it looks for missing samples and\n"
      "asks the meters whose agent keeps them to send them again (resend; docs/server.md,\n"
      "\"Gaps\"). Every hour it packs each meter's UTC days of samples that ended [database]\n"
      "pack_after_days (7) days ago into one row a day (docs/server.md, \"Packed days\").\n"
      "SIGTERM stops cleanly.\n\n"
      "With --worker NAME several processes (on one or several hosts, one database) share the\n"
      "ingest: each has its own broker sessions (client ids <client_id>-NAME and\n"
      "<client_id>-NAME-replies) in MQTT shared subscriptions, and one of them at a time, the\n"
      "holder of a lease in the database, does the rest (commands, rounds, notifications); when\n"
      "it dies another takes over within [workers] lease (30 s).\n\n"
      "Examples:\n  meterlogger-server --config server.toml run\n"
      "  meterlogger-server --config server.toml run --worker a   # and `run --worker b`, ...");
  static std::string worker;
  run_cmd
      ->add_option("--worker", worker,
                   "Run as one of several workers sharing the ingest (docs/scaling.md)")
      ->check(CLI::Validator(
          [](std::string& name) -> std::string {
            if (name.empty() || name.size() > 32) return "1 to 32 characters";
            for (char c : name) {
              if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '-' && c != '_') {
                return "letters, digits, - and _ only";
              }
            }
            return "";
          },
          "NAME", "worker name"));
  run_cmd->callback([=, &config] { run(config, worker); });
}

}  // namespace ml::server_app
