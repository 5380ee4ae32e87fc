// bench/ingest: end-to-end ingest throughput of meterlogger-server against the broker's own
// delivery rate, in one run (bench/ingest.sh starts mosquitto, and PostgreSQL when asked, and
// calls this).
//
//   ingest BROKER_PORT SERVER_BIN WORK_DIR [METERS=10000] [PER_METER=3] [--postgresql URL]
//          [--workers N]
//
//   1. a database with N meters, each with its own key: WORK_DIR/base.db (SQLite), or the
//      PostgreSQL database URL names (created and migrated; it should be empty);
//   2. N x K samples sealed beforehand (a fleet of N meters, K samples each);
//   3. baseline: a plain QoS 1 subscriber receives them while a publisher sends them as fast as
//      the broker takes them: messages per second delivered by the broker;
//   4. the same messages to a running `meterlogger-server run` (on a copy of base.db, or on the
//      PostgreSQL database), or to `--workers N` processes `run --worker wK` sharing the ingest
//      (PostgreSQL): samples per second stored (until the stored-samples counters, which every
//      stored sample moves in its transaction, reach the count sent). Above this rate the lag
//      grows: it is the highest rate the server sustains.
// Prints both rates and their ratio (goal: >= 0.8, the server is not the bottleneck).
#include <sys/wait.h>
#include <unistd.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "platform/crypto/random.hpp"
#include "platform/mqtt/client.hpp"
#include "platform/postgresql/db.hpp"
#include "platform/sqlite/db.hpp"
#include "server/postgresql/store.hpp"
#include "server/sqlite/store.hpp"

using namespace ml;
using Clock = std::chrono::steady_clock;

struct Message {
  std::string topic;
  core::Bytes payload;
};

// Publishes every message at QoS 1 with up to `window` unacknowledged; returns when all are
// acknowledged by the broker.
void publish_all(asio::io_context& io, platform::MqttClient& pub,
                 const std::vector<Message>& messages) {
  std::size_t next = 0, done = 0, pending = 0;
  const std::size_t window = 900;
  while (done < messages.size()) {
    while (next < messages.size() && pending < window) {
      auto s = pub.publish(messages[next].topic, messages[next].payload, 1, false,
                           [&](bool) { ++done, --pending; });
      if (!s) break;
      ++next, ++pending;
    }
    io.run_for(std::chrono::milliseconds(1));
  }
}

platform::MqttOptions client(int port, const std::string& id) {
  platform::MqttOptions o;
  o.port = port;
  o.client_id = id;
  o.clean_session = true;
  o.max_inflight = 100;
  o.max_unacknowledged = 1000;
  return o;
}

void connect(asio::io_context& io, platform::MqttClient& c) {
  (void)c.start();
  for (int i = 0; i < 1000 && !c.connected(); ++i)
    io.run_for(std::chrono::milliseconds(10));
  if (!c.connected()) throw std::runtime_error("cannot connect to the broker");
}

// The stored-samples counters (store/metrics.hpp): cheap to read every few milliseconds, unlike
// a count of the table.
constexpr const char* kStoredQuery =
    "SELECT coalesce(sum(value), 0) FROM counters WHERE name = 'samples_stored' OR name LIKE "
    "'samples_stored:%'";

std::int64_t stored_sqlite(const std::string& db_path) {
  auto db = platform::sqlite::Db::open(db_path);
  if (!db) return 0;
  auto q = db->prepare(kStoredQuery);
  if (!q) return 0;
  auto row = q->step();
  if (!row || !*row) return 0;
  return q->int64(0);
}

std::int64_t stored_postgresql(platform::postgresql::Connection& db) {
  auto rows = db.query(kStoredQuery);
  if (!rows || rows->size() == 0) return 0;
  return std::stoll(rows->text(0, 0));
}

int main(int argc, char** argv) {
  std::vector<std::string> args;
  std::string postgresql_url;
  int workers = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--postgresql" && i + 1 < argc) {
      postgresql_url = argv[++i];
    } else if (a == "--workers" && i + 1 < argc) {
      workers = std::stoi(argv[++i]);
    } else {
      args.push_back(a);
    }
  }
  if (args.size() < 3 || (workers > 0 && postgresql_url.empty())) {
    std::cerr << "usage: ingest BROKER_PORT SERVER_BIN WORK_DIR [METERS=10000] [PER_METER=3] "
                 "[--postgresql URL] [--workers N (PostgreSQL)]\n";
    return 2;
  }
  const int port = std::stoi(args[0]);
  const std::string server_bin = args[1];
  const std::string dir = args[2];
  const int meters = args.size() > 3 ? std::stoi(args[3]) : 10000;
  const int per_meter = args.size() > 4 ? std::stoi(args[4]) : 3;
  const bool postgresql = !postgresql_url.empty();

  // 1. meters
  const std::string base = dir + "/base.db";
  std::vector<core::envelope::Keys> keys;
  {
    std::unique_ptr<server::ServerStore> store;
    if (postgresql) {
      store = server::PostgresStore::open(postgresql_url).value();
    } else {
      store = server::SqliteStore::open(base).value();
    }
    const auto added = store->write_transaction([&]() -> core::Status {
      keys.clear();  // (again from the start when the transaction is tried again)
      for (int i = 0; i < meters; ++i) {
        server::Meter m;
        char serial[16];
        std::snprintf(serial, sizeof serial, "%07d", 1000000 + i);
        m.serial = serial;
        m.key_hex = core::to_hex(platform::random_bytes(16).value());
        m.created = 1;
        ML_TRY(store->add_meter(m));
        keys.push_back(core::envelope::derive_keys_from_hex(m.key_hex).value());
      }
      return core::Ok{};
    });
    if (!added) {
      std::cerr << "ingest: cannot add the meters: " << added.error().text() << "\n";
      return 1;
    }
  }
  // 2. samples, sealed beforehand
  const std::int64_t t0 = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() -
                          3600;
  std::vector<Message> messages;
  for (int r = 0; r < per_meter; ++r) {
    for (int i = 0; i < meters; ++i) {
      char serial[16];
      std::snprintf(serial, sizeof serial, "%07d", 1000000 + i);
      const std::string topic =
          "/sample/v2/" + std::string(serial) + "/" + std::to_string(t0 + 60 * r);
      const std::string text =
          "heap=20000&t1=70.53 C&t2=38.08 C&tdif=32.45 K&flow1=253 l/h&"
          "effect1=9.5 kW&hr=8760 h&v1=321.50 m3&e1=" +
          std::to_string(12345 + r) + " kWh&";
      messages.push_back({topic, platform::seal_random(keys[static_cast<std::size_t>(i)], topic,
                                                       text, core::envelope::Padding::pkcs7)
                                     .value()});
    }
  }
  const double total = static_cast<double>(messages.size());
  std::cout << "meters " << meters << ", samples " << messages.size() << "\n";

  // 3. the broker alone: a plain QoS 1 subscriber
  double broker_rate = 0;
  {
    asio::io_context io;
    auto guard = asio::make_work_guard(io);  // run_for keeps running while idle
    platform::MqttClient sub(io.get_executor(), client(port, "bench-plain-subscriber"));
    std::size_t received = 0;
    sub.on_message([&](const platform::MqttMessage&) { ++received; });
    (void)sub.subscribe("/sample/v2/#", 1);
    connect(io, sub);
    io.run_for(std::chrono::milliseconds(300));  // the subscription is in place
    platform::MqttClient pub(io.get_executor(), client(port, "bench-publisher-1"));
    connect(io, pub);
    const auto start = Clock::now();
    publish_all(io, pub, messages);
    while (received < messages.size())
      io.run_for(std::chrono::milliseconds(1));
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    broker_rate = total / s;
    std::printf("broker to a plain subscriber: %.0f messages/s (%.2f s)\n", broker_rate, s);
  }

  // 4. the server: one `run`, or `workers` of them sharing the ingest
  const std::string db = dir + "/server.db";
  std::unique_ptr<platform::postgresql::Connection> pg;
  if (postgresql) {
    pg = std::make_unique<platform::postgresql::Connection>(
        platform::postgresql::Connection::open(postgresql_url).value());
  } else {
    std::filesystem::copy_file(base, db);
  }
  auto stored = [&] { return postgresql ? stored_postgresql(*pg) : stored_sqlite(db); };
  {
    std::ofstream(dir + "/server.toml")
        << "[database]\n"
        << (postgresql ? "url = \"" + postgresql_url : "path = \"" + db) << "\"\n"
        << "[mqtt]\nhost = \"127.0.0.1\"\nport = " << port
        << "\nclient_id = \"bench-server\"\n[commands]\npoll_interval = 0\n";
  }
  std::vector<pid_t> pids;
  std::vector<std::string> logs;
  for (int k = 0; k < std::max(workers, 1); ++k) {
    logs.push_back(dir + "/server" + std::to_string(k + 1) + ".log");
    const std::string config = dir + "/server.toml";
    const std::string worker = "w" + std::to_string(k + 1);
    std::vector<const char*> command = {server_bin.c_str(), "--config", config.c_str(), "run"};
    if (workers > 0) command.insert(command.end(), {"--worker", worker.c_str()});
    command.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
      std::freopen(logs.back().c_str(), "w", stderr);
      execv(server_bin.c_str(), const_cast<char* const*>(command.data()));
      _exit(127);
    }
    pids.push_back(pid);
  }
  for (const auto& log : logs) {
    for (int i = 0; i < 1000; ++i) {
      std::ifstream in(log);
      std::stringstream ss;
      ss << in.rdbuf();
      if (ss.str().find("ingest: connected") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  double server_rate = 0;
  std::int64_t count = 0;
  {
    asio::io_context io;
    auto guard = asio::make_work_guard(io);
    platform::MqttClient pub(io.get_executor(), client(port, "bench-publisher-2"));
    connect(io, pub);
    const auto start = Clock::now();
    publish_all(io, pub, messages);
    const double published = std::chrono::duration<double>(Clock::now() - start).count();
    while ((count = stored()) < static_cast<std::int64_t>(messages.size())) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (Clock::now() - start > std::chrono::minutes(10)) break;
    }
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    server_rate = static_cast<double>(count) / s;
    std::printf(
        "published in %.2f s; stored by meterlogger-server (%s, %s): %.0f samples/s (%.2f s, "
        "%lld of %zu)\n",
        published, postgresql ? "PostgreSQL" : "SQLite",
        workers > 1    ? (std::to_string(workers) + " workers").c_str()
        : workers == 1 ? "1 worker"
                       : "one run",
        server_rate, s, static_cast<long long>(count), messages.size());
  }
  for (pid_t pid : pids)
    kill(pid, SIGTERM);
  for (pid_t pid : pids)
    waitpid(pid, nullptr, 0);
  std::printf("ratio server / broker: %.2f (goal >= 0.8)\n", server_rate / broker_rate);
  return count == static_cast<std::int64_t>(messages.size()) ? 0 : 1;
}
