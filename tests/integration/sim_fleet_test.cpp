// `meterlogger sim fleet` against a real mosquitto and `meterlogger-server run`: fifty virtual
// devices registered from the keys file the fleet wrote; their samples stored exactly as sent,
// a queued open_until answered and the valve closing by itself at the limit, the wrong-key and
// skewed devices rejected, every device offline when the fleet is killed; and an outage whose
// backlog arrives whole.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/envelope/envelope.hpp"
#include "core/sample/sample.hpp"
#include "core/topic/topic.hpp"
#include "mqtt_support.hpp"
#include "platform/mqtt/client.hpp"
#include "server_support.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;

struct PlannedDevice {
  std::string serial;
  std::string cls;
};

// `sim fleet ARGS... --plan`: which device is which class.
std::vector<PlannedDevice> plan(std::vector<std::string> args) {
  args.insert(args.begin(), {meterlogger(), "sim", "fleet"});
  args.push_back("--plan");
  auto r = run(args);
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<PlannedDevice> out;
  std::istringstream in(r.out);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    const auto a = line.find(',');
    const auto b = line.find(',', a + 1);
    out.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1)});
  }
  return out;
}

// serial -> key, from the keys file the fleet wrote.
std::map<std::string, std::string> keys_of(const std::string& file) {
  std::map<std::string, std::string> out;
  std::istringstream in(read_text_file(file));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    const auto a = line.find(',');
    const auto b = line.find(',', a + 1);
    out[line.substr(0, a)] = line.substr(b + 1, 32);
  }
  return out;
}

// Registers the meters of the keys file: `meters import` when the server has it, else one
// `meters add` each.
void register_meters(const std::string& config, const std::string& keys) {
  const auto help = server_cli(config, {"meters", "--help"});
  if (help.out.find("\n  import ") != std::string::npos) {
    auto r = server_cli(config, {"meters", "import", keys});
    ASSERT_EQ(r.status, 0) << r.out << r.err;
    return;
  }
  for (const auto& [serial, key] : keys_of(keys)) {
    auto r = server_cli(config,
                        {"meters", "add", serial, "--kind", "heat", "--key", key, "--valve", "on"});
    ASSERT_EQ(r.status, 0) << r.err;
  }
}

// Opens every device message on the broker with its meter's key: what the fleet really sent.
class Witness {
 public:
  Witness(asio::io_context& io, int port, const std::map<std::string, std::string>& keys)
      : io_(io) {
    for (const auto& [serial, key] : keys)
      keys_[serial] = core::envelope::derive_keys_from_hex(key).value();
    platform::MqttOptions o;
    o.port = port;
    o.client_id = "fleet-witness";
    o.clean_session = true;
    client_ = std::make_unique<platform::MqttClient>(io.get_executor(), o);
    client_->on_message([this](const platform::MqttMessage& m) {
      auto t = core::topic::parse(m.topic);
      if (!t || t->kind != core::topic::Kind::device_message) return;
      auto k = keys_.find(t->serial.text());
      if (k == keys_.end()) return;
      auto opened = core::envelope::open_message(k->second, m.topic, m.payload,
                                                 core::envelope::EmptyText::accept);
      if (!opened) return;
      texts[{t->name, t->serial.text(), t->time}] = opened->text;
    });
    (void)client_->subscribe("/+/v2/#", 1);
    (void)client_->start();
    EXPECT_TRUE(run_until(io_, [this] { return client_->connected(); }));
  }
  ~Witness() { client_->stop(); }
  void drain() { run_for(io_, 200ms); }

  // (function, serial, time) -> text
  std::map<std::tuple<std::string, std::string, std::uint64_t>, std::string> texts;

 private:
  asio::io_context& io_;
  std::map<std::string, core::envelope::Keys> keys_;
  std::unique_ptr<platform::MqttClient> client_;
};

std::string first_of(const std::vector<PlannedDevice>& devices, const std::string& cls) {
  for (const auto& d : devices) {
    if (d.cls == cls) return d.serial;
  }
  return "";
}

std::string in_list(const std::vector<PlannedDevice>& devices, const std::string& cls) {
  std::string out;
  for (const auto& d : devices) {
    if (d.cls != cls) continue;
    out += (out.empty() ? "'" : ",'") + d.serial + "'";
  }
  return out;
}

// rows(), again while the server's writing keeps the database busy and nothing comes back.
std::vector<std::vector<std::string>> some_rows(const TempDir& dir, const std::string& sql) {
  std::vector<std::vector<std::string>> out;
  wait_until(
      [&] {
        out = rows(dir, sql);
        return !out.empty();
      },
      scaled(10s));
  return out;
}

// count(), again while the database is busy (-1).
std::int64_t count_of(const TempDir& dir, const std::string& sql) {
  std::int64_t n = -1;
  wait_until(
      [&] {
        n = count(dir, sql);
        return n >= 0;
      },
      scaled(10s));
  return n;
}

nlohmann::json show(const std::string& config, const std::string& serial) {
  auto r = server_cli(config, {"meters", "show", serial});
  EXPECT_EQ(r.status, 0) << r.err;
  return nlohmann::json::parse(r.out, nullptr, false);
}

TEST(SimFleet, FiftyDevicesStoreSamplesAnswerCommandsAndLeaveWills) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port());
  const std::string keys = dir.file("fleet.csv");
  auto made = run({meterlogger(), "sim", "fleet", "--make-keys", keys, "--meters", "50",
                   "--first-serial", "9100000"});
  ASSERT_EQ(made.status, 0) << made.err;
  struct stat st {};
  ASSERT_EQ(::stat(keys.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the keys file is private";
  // A keys file is never overwritten.
  EXPECT_NE(run({meterlogger(), "sim", "fleet", "--make-keys", keys, "--meters", "5"}).status, 0);
  register_meters(config, keys);
  EXPECT_EQ(count_of(dir, "SELECT COUNT(*) FROM meters"), 50);

  const std::vector<std::string> shape = {"--keys",       keys,        "--seed",     "5",
                                          "--wrong-key",  "0.1",       "--silent",   "0.06",
                                          "--clock-skew", "0.06:3600", "--interval", "2"};
  const auto devices = plan(shape);
  ASSERT_EQ(devices.size(), 50u);
  const std::string normal = first_of(devices, "normal");
  const std::string wrong = first_of(devices, "wrong_key");
  const std::string silent = first_of(devices, "silent");
  const std::string skewed = first_of(devices, "skewed");
  ASSERT_FALSE(normal.empty() || wrong.empty() || silent.empty() || skewed.empty())
      << "seed 5 gives every class";
  std::size_t normals = 0;
  for (const auto& d : devices)
    normals += d.cls == "normal" ? 1 : 0;

  auto server = start_server(dir, config);
  asio::io_context io;
  Witness witness(io, broker.port(), keys_of(keys));
  std::vector<std::string> args = {meterlogger(),
                                   "sim",
                                   "fleet",
                                   "--broker",
                                   "127.0.0.1:" + std::to_string(broker.port()),
                                   "--time-scale",
                                   "600",
                                   "--stats",
                                   dir.file("stats.json"),
                                   "--publish-log",
                                   dir.file("published.csv")};
  args.insert(args.end(), shape.begin(), shape.end());
  auto fleet = std::make_unique<Process>(args, dir.file("fleet.log"));

  // Every normal device's samples are stored; nobody else's.
  ASSERT_TRUE(wait_count(dir,
                         "SELECT COUNT(*) FROM (SELECT serial FROM samples GROUP BY serial "
                         "HAVING COUNT(*) >= 3)",
                         static_cast<std::int64_t>(normals), scaled(60s)))
      << fleet->log() << server->log();
  EXPECT_EQ(count_of(dir, "SELECT COUNT(DISTINCT serial) FROM samples"),
            static_cast<std::int64_t>(normals));
  EXPECT_EQ(count_of(dir, "SELECT COUNT(*) FROM samples WHERE serial IN (" +
                              in_list(devices, "wrong_key") + "," + in_list(devices, "silent") +
                              "," + in_list(devices, "skewed") + ")"),
            0);

  // Stored exactly as sent: each stored value is in the text the device sealed at that time; the
  // registers only grow.
  witness.drain();
  const auto stored = export_json(config, normal);
  ASSERT_GE(stored.size(), 3u);
  std::optional<core::Decimal> previous_e1;
  for (const auto& row : stored) {
    auto sent = witness.texts.find({"sample", normal, row["time"].get<std::uint64_t>()});
    ASSERT_NE(sent, witness.texts.end()) << "sample " << row.dump() << " seen on the broker";
    for (const char* key : {"t1", "t2", "tdif", "flow1", "effect1", "hr", "v1", "e1"}) {
      ASSERT_TRUE(row.contains(key)) << key << " " << row.dump();
      EXPECT_NE(sent->second.find(std::string("&") + key + "=" + row[key].get<std::string>() + " "),
                std::string::npos)
          << key << " " << row.dump() << " vs " << sent->second;
    }
    const auto e1 = core::Decimal::parse(row["e1"].get<std::string>()).value();
    if (previous_e1) {
      EXPECT_LE(core::compare(*previous_e1, e1), 0);
    }
    previous_e1 = e1;
  }
  // The publish log names every stored sample of the device with its publish time.
  const std::string published = read_text_file(dir.file("published.csv"));
  EXPECT_EQ(published.rfind("serial,time,published_ms\n", 0), 0u);
  EXPECT_NE(published.find(normal + "," +
                           std::to_string(stored.front()["time"].get<std::int64_t>()) + ","),
            std::string::npos);

  // A queued open_until: answered with the limit; the valve closes by itself when the energy
  // (600 x faster here) reaches it, and the energy then stands still.
  const auto last_e1 = core::Decimal::parse(stored.back()["e1"].get<std::string>()).value();
  const std::string limit = std::to_string(last_e1.mantissa + 2);
  auto sent = server_cli(config, {"send", normal, "open_until", limit, "--wait", "--timeout",
                                  std::to_string(scaled(30s).count() / 1000)});
  ASSERT_EQ(sent.status, 0) << sent.err << fleet->log();
  EXPECT_EQ(sent.out, limit + "\n");
  ASSERT_TRUE(wait_count(dir,
                         "SELECT COUNT(*) FROM diagnostics WHERE serial='" + normal +
                             "' AND function='status' AND value='close'",
                         1, scaled(30s)))
      << fleet->log();
  const auto closed_at = count_of(
      dir, "SELECT time FROM diagnostics WHERE serial='" + normal + "' AND function='status'");
  ASSERT_TRUE(wait_count(dir,
                         "SELECT COUNT(*) FROM samples WHERE serial='" + normal + "' AND time > " +
                             std::to_string(closed_at),
                         2, scaled(30s)));
  std::vector<nlohmann::json> after;
  for (const auto& row : export_json(config, normal)) {
    if (row["time"].get<std::int64_t>() >= closed_at) after.push_back(row);
  }
  ASSERT_FALSE(after.empty());
  EXPECT_GE(core::compare(core::Decimal::parse(after.front()["e1"].get<std::string>()).value(),
                          core::Decimal::parse(limit).value()),
            0)
      << "closed when the energy reached " << limit;
  for (const auto& r : after) {
    EXPECT_EQ(r["e1"], after.front()["e1"]) << "closed: the energy stands still";
    // The sample that closed it still shows the flow it was read with.
    if (r["time"].get<std::int64_t>() > closed_at) {
      EXPECT_EQ(r["flow1"], "0") << "closed: no flow";
    }
  }

  // The wrong key shows as rejections of the meter; the skewed clock as implausible times; the
  // silent device is connected (its version arrived) but sends no samples.
  ASSERT_TRUE(wait_until(
      [&] {
        auto j = show(config, wrong);
        return j.contains("rejected") && j["rejected"].contains("bad_mac");
      },
      scaled(20s)))
      << show(config, wrong).dump();
  EXPECT_TRUE(show(config, skewed)["rejected"].contains("implausible_time"))
      << show(config, skewed).dump();
  EXPECT_TRUE(wait_count(dir,
                         "SELECT COUNT(*) FROM diagnostics WHERE serial='" + silent +
                             "' AND function='version' AND value LIKE 'linux-%'",
                         1));

  // The stats file counts by class.
  ASSERT_TRUE(
      wait_until([&] { return !read_text_file(dir.file("stats.json")).empty(); }, scaled(20s)));
  const auto stats = nlohmann::json::parse(read_text_file(dir.file("stats.json")));
  EXPECT_EQ(stats["devices"], 50);
  EXPECT_EQ(stats["classes"]["normal"]["devices"], normals);
  EXPECT_GE(stats["commands"]["answered"].get<int>(), 1);

  // Killed: the broker publishes every device's will, and the server marks each offline.
  fleet->stop(SIGKILL);
  EXPECT_TRUE(
      wait_count(dir, "SELECT COUNT(*) FROM meters WHERE offline_since <> 0", 50, scaled(30s)))
      << server->log();
  EXPECT_GE(count_of(dir, "SELECT COUNT(*) FROM events WHERE kind='offline'"), 50);
}

TEST(SimFleet, AnOutageBuffersAndTheBacklogArrivesWhole) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port());
  const std::string keys = dir.file("fleet.csv");
  ASSERT_EQ(run({meterlogger(), "sim", "fleet", "--make-keys", keys, "--meters", "10",
                 "--first-serial", "9200000"})
                .status,
            0);
  register_meters(config, keys);
  auto server = start_server(dir, config);
  auto fleet = std::make_unique<Process>(
      std::vector<std::string>{meterlogger(), "sim", "fleet", "--keys", keys, "--broker",
                               "127.0.0.1:" + std::to_string(broker.port()), "--interval", "1",
                               "--outage-at", "3", "--outage-for", "5", "--stats",
                               dir.file("stats.json")},
      dir.file("fleet.log"));
  // The outage drops every connection: the wills come, then the devices are back.
  ASSERT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM events WHERE kind='offline'", 10, scaled(30s)))
      << fleet->log();
  ASSERT_TRUE(wait_for_log(*fleet, "outage over", scaled(30s))) << fleet->log();
  // Twelve seconds of samples per device, the outage's among them: none missing.
  ASSERT_TRUE(wait_count(dir,
                         "SELECT COUNT(*) FROM (SELECT serial FROM samples GROUP BY serial "
                         "HAVING MAX(time) - MIN(time) >= 12)",
                         10, scaled(60s)))
      << fleet->log() << server->log();
  const auto per_meter =
      some_rows(dir, "SELECT serial, COUNT(*), MIN(time), MAX(time) FROM samples GROUP BY serial");
  EXPECT_EQ(per_meter.size(), 10u);
  for (const auto& r : per_meter) {
    EXPECT_EQ(std::stoll(r[1]), std::stoll(r[3]) - std::stoll(r[2]) + 1)
        << r[0] << ": one sample every second, none lost in the outage\n"
        << "rejections " << nlohmann::json(rows(dir, "SELECT reason, count FROM rejections")).dump()
        << ", stored times "
        << nlohmann::json(rows(dir, "SELECT time FROM samples WHERE serial='" + r[0] + "'")).dump()
        << "\n"
        << fleet->log() << server->log();
  }
  EXPECT_EQ(count_of(dir, "SELECT COUNT(*) FROM meters WHERE offline_since <> 0"), 0)
      << "online again";
  fleet->stop(SIGTERM);
  const auto stats = nlohmann::json::parse(read_text_file(dir.file("stats.json")));
  EXPECT_EQ(stats["outage"]["count"], 1);
  EXPECT_EQ(stats["samples"]["dropped"], 0);
  EXPECT_GE(stats["disconnects"].get<int>(), 10);
}

}  // namespace
}  // namespace ml::test
