// meterlogger agent end to end: a real mosquitto, emulated meters, the agent process, and an
// independent client in the test that opens every message with the core and sends commands.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "agent_support.hpp"
#include "core/sample/sample.hpp"
#include "emulator.hpp"
#include "mqtt_support.hpp"
#include "platform/crypto/random.hpp"
#include "platform/sqlite/db.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;

bool is_sample(const Received& r) {
  return r.parsed.name == "sample";
}

BrokerOptions persistent() {
  BrokerOptions o;
  o.persistence = true;
  return o;
}

TEST(Agent, SamplesArriveDecryptAndMatchTheEmulator) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  asio::io_context io;
  TestServer server(io, broker.port());
  const auto config =
      write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 2)});
  auto agent = start_agent(dir, config);

  // After connecting, the agent announces itself as the original does (docs/agent.md, "MQTT").
  for (const char* fn : {"version", "uptime", "reset_reason", "status"}) {
    ASSERT_TRUE(server.reply(fn, 0, scaled(20s))) << fn << "\n" << agent->log();
  }
  auto first = server.wait_for(is_sample, scaled(20s));
  ASSERT_TRUE(first) << agent->log();
  EXPECT_EQ(first->topic.rfind("/sample/v2/6892850/", 0), 0u) << first->topic;
  EXPECT_NEAR(static_cast<double>(first->parsed.time), static_cast<double>(unix_now()), 30);
  // The values in the sample are exactly the emulator's true (frozen) state.
  auto parsed = core::sample::parse_sample(first->text);
  ASSERT_TRUE(parsed.ok()) << first->text;
  const auto state = meter.state();
  for (const auto& reg : state["registers"]) {
    const std::string name = reg["name"];
    const std::map<std::string, std::string> keys = {
        {"E1", "e1"}, {"V1", "v1"},      {"HR", "hr"},       {"T1", "t1"},
        {"T2", "t2"}, {"T1-T2", "tdif"}, {"FLOW1", "flow1"}, {"POWER1", "effect1"}};
    const auto* f = parsed->find(keys.at(name));
    ASSERT_NE(f, nullptr) << name;
    EXPECT_EQ(f->text, reg["value"]) << name;
    EXPECT_EQ(f->unit, reg["unit"]) << name;
  }
  // Samples keep coming, each interval.
  EXPECT_TRUE(server.wait_for(
      [&](const Received& r) { return is_sample(r) && r.parsed.time > first->parsed.time; },
      scaled(10s)));
  EXPECT_TRUE(server.unopened.empty());
  EXPECT_EQ(agent->stop(SIGTERM), 0);
}

TEST(Agent, EveryCommandRoundTripsWithTheExactReply) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  std::ofstream(dir.file("vdd")) << "3315\n";
  asio::io_context io;
  TestServer server(io, broker.port());
  const auto config =
      write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 60)},
                         "vdd_file = \"" + dir.file("vdd") + "\"");
  auto agent = start_agent(dir, config);
  ASSERT_TRUE(server.reply("status", 0, scaled(20s))) << agent->log();

  struct Case {
    std::string command;
    std::string pattern;  // the reply text, as a regular expression
  };
  const std::vector<Case> cases = {
      {"ping", ""},
      {"version", "linux-[0-9.]+-KMP-THERMO_NC-DEBUG_STACK_TRACE"},
      {"crypto", "linux-[0-9.]+-KMP-THERMO_NC-DEBUG_STACK_TRACE"},
      {"uptime", "[0-9]+"},
      {"vdd", "3\\.315"},
      {"mem", "heap=[0-9]+"},
      {"reset_reason",
       "reason=0&exccause=0&epc1=0x00000000&epc2=0x00000000&epc3=0x00000000&"
       "excvaddr=0x00000000&depc=0x00000000"},
      {"chip_id", "0x[0-9a-f]{6}"},
      {"flash_id", "0x[0-9a-f]+"},
      {"flash_size", "[0-9]+ kB"},
      {"network_quality",
       "ping_response_time=([0-9]+\\.[0-9]{3} mS|unknown)&ping_average_packet_loss=([0-9]+\\."
       "[0-9]{2}%|unknown)&disconnect_count=0"},
      {"disconnect_count", "0"},
      {"stack_trace", "enabled"},
      {"status", "close"},
  };
  for (const Case& c : cases) {
    for (const std::string& arg : {std::string("1"), std::string()}) {  // "1" and empty
      const std::size_t from = server.received.size();
      server.send("6892850", c.command, arg);
      auto r = server.reply(c.command, from, scaled(10s));
      ASSERT_TRUE(r) << c.command << "\n" << agent->log();
      EXPECT_TRUE(std::regex_match(r->text, std::regex(c.pattern)))
          << c.command << " replied '" << r->text << "'";
      EXPECT_EQ(r->topic.rfind("/" + c.command + "/v2/6892850/", 0), 0u) << r->topic;
    }
  }
  // `save` is in the firmware's README but was never implemented: an unknown command, ignored.
  {
    const std::size_t from = server.received.size();
    server.send("6892850", "save");
    server.send("6892850", "ping");
    ASSERT_TRUE(server.reply("ping", from, scaled(10s))) << agent->log();
    EXPECT_FALSE(server.reply("save", from, std::chrono::milliseconds(200)));
  }
  // `restart` has no reply: the agent re-executes itself, connects again and reports reason 4.
  const std::size_t from = server.received.size();
  server.send("6892850", "restart");
  auto reason = server.reply("reset_reason", from, scaled(20s));
  ASSERT_TRUE(reason) << agent->log();
  EXPECT_EQ(reason->text.rfind("reason=4&", 0), 0u) << reason->text;
  EXPECT_TRUE(agent->running());
  EXPECT_EQ(agent->stop(SIGTERM), 0) << agent->log();
}

// The replies MeterLoggerWeb parses (issue 12): `mem` fits the firmware's 32-bit %u, `vdd` has 3
// decimals also without a voltage sensor; zero padding is for 2018-era servers only, and says so.
TEST(Agent, RepliesInTheOriginalFormatsAndZeroPaddingWarns) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  asio::io_context io;
  TestServer server(io, broker.port());
  auto config = write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 60)});
  {
    std::string text = read_text_file(config);
    const auto at = text.find("[mqtt]\n");
    ASSERT_NE(at, std::string::npos);
    text.insert(at + 7, "padding = \"zero\"\n");
    std::ofstream(config) << text;
  }
  auto agent = start_agent(dir, config);
  ASSERT_TRUE(server.reply("status", 0, scaled(20s))) << agent->log();
  EXPECT_NE(agent->log().find("padding = \"zero\" is only for 2018-era servers"), std::string::npos)
      << agent->log();
  std::size_t from = server.received.size();
  server.send("6892850", "vdd");
  auto vdd = server.reply("vdd", from, scaled(10s));
  ASSERT_TRUE(vdd) << agent->log();
  EXPECT_EQ(vdd->text, "0.000");
  from = server.received.size();
  server.send("6892850", "mem");
  auto mem = server.reply("mem", from, scaled(10s));
  ASSERT_TRUE(mem) << agent->log();
  ASSERT_TRUE(std::regex_match(mem->text, std::regex("heap=[0-9]{1,10}"))) << mem->text;
  EXPECT_LE(std::stoull(mem->text.substr(5)), 4294967295ull) << mem->text;
  EXPECT_EQ(agent->stop(SIGTERM), 0) << agent->log();
}

TEST(Agent, BadCommandsAreRejectedAndChangeNothing) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  asio::io_context io;
  TestServer server(io, broker.port());
  auto agent = start_agent(
      dir, write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 60)}));
  ASSERT_TRUE(server.reply("status", 0, scaled(20s))) << agent->log();

  auto replies_to = [&](const std::string& fn, std::size_t from) {
    return std::count_if(server.received.begin() + static_cast<long>(from), server.received.end(),
                         [&](const Received& r) { return r.parsed.name == fn; });
  };
  // Stale, future, wrong key, tampered, garbage, too short, too long and a replay: none of them
  // gets a reply; the one good command does.
  const std::size_t from = server.received.size();
  server.send("6892850", "ping", "1", -1801);  // older than the ±1800 s window
  server.send("6892850", "ping", "1", +1801);  // from the future
  {
    TestServer other_key(io, broker.port(), "2b7e151628aed2a6abf7158809cf4f3c", "other");
    other_key.send("6892850", "ping");
  }
  const auto serial = core::topic::Serial::parse("6892850").value();
  const std::string t = core::topic::command_topic(serial, unix_now(), "ping").value();
  core::Bytes tampered =
      platform::seal_random(core::envelope::derive_keys_from_hex(kTestKey).value(), t, "1",
                            core::envelope::Padding::pkcs7)
          .value();
  tampered[60] ^= 0x01;
  server.publish_raw(t, tampered);
  server.publish_raw(t, core::Bytes(80, 0x42));   // garbage
  server.publish_raw(t, core::Bytes(10, 0x00));   // too short
  server.publish_raw(t, core::Bytes(600, 0x00));  // longer than the device accepts
  const core::Bytes good =
      platform::seal_random(core::envelope::derive_keys_from_hex(kTestKey).value(), t, "1",
                            core::envelope::Padding::pkcs7)
          .value();
  server.publish_raw(t, good);
  ASSERT_TRUE(server.reply("ping", from, scaled(10s)));  // the good one
  server.publish_raw(t, good);                           // its exact replay
  // Give the agent time to (not) answer, then make sure a fresh command still works.
  const std::size_t probe = server.received.size();
  server.send("6892850", "stack_trace");
  ASSERT_TRUE(server.reply("stack_trace", probe, scaled(10s)));
  EXPECT_EQ(replies_to("ping", from), 1) << agent->log();
  const std::string log = agent->log();
  for (const char* reason : {"too_old", "too_new", "envelope_bad_mac", "too_long", "replay"}) {
    EXPECT_NE(log.find(std::string(": ") + reason), std::string::npos) << reason << "\n" << log;
  }
  EXPECT_NE(log.find("envelope_too_short"), std::string::npos) << log;
  EXPECT_EQ(agent->stop(SIGTERM), 0);
}

// Reads the topics of the samples the agent wrote to its outbox, from its log.
std::set<std::string> queued_samples(const std::string& log) {
  std::set<std::string> out;
  std::regex re("queued (/sample/v2/[0-9]+/[0-9]+)");
  for (std::sregex_iterator it(log.begin(), log.end(), re), end; it != end; ++it) {
    out.insert((*it)[1]);
  }
  return out;
}

// A condition for run_until: every sample in the log `log()` returns has been received. Reads the
// log at most every 200 ms.
std::function<bool()> all_received(TestServer& server, std::function<std::string()> log) {
  auto next = std::make_shared<std::chrono::steady_clock::time_point>();
  return [&server, log = std::move(log), next] {
    if (std::chrono::steady_clock::now() < *next) return false;
    *next = std::chrono::steady_clock::now() + 200ms;
    std::set<std::string> got;
    for (const Received& r : server.received)
      if (is_sample(r)) got.insert(r.topic);
    for (const std::string& t : queued_samples(log()))
      if (!got.count(t)) return false;
    return true;
  };
}

TEST(Agent, BrokerDownForAWhileLosesNothing) {
  TempDir dir;
  Broker broker(dir, persistent());
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze", "--pace-speedup", "10"});
  asio::io_context io;
  TestServer server(io, broker.port());
  auto agent = start_agent(
      dir, write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 1)}));
  ASSERT_TRUE(server.wait_for(is_sample, scaled(20s))) << agent->log();
  broker.stop();
  // Samples keep being taken into the outbox: ten more while the broker is down.
  const std::size_t before = samples_queued(*agent);
  ASSERT_TRUE(wait_for_samples_queued(*agent, before + 10, scaled(30s))) << agent->log();
  broker.start();
  // The outbox drains: everything queued so far arrives, then once more after the stop.
  ASSERT_TRUE(run_until(io, all_received(server, [&] { return agent->log(); }), scaled(30s)))
      << agent->log();
  agent->stop(SIGTERM);
  ASSERT_TRUE(run_until(io, all_received(server, [&] { return agent->log(); }), scaled(10s)));
  const std::set<std::string> queued = queued_samples(agent->log());
  ASSERT_GT(queued.size(), 10u);
  // Never two samples of one second (the topic carries the second): with a 1 s interval a late
  // tick fell into the second before it under load, and the server would have kept one of them.
  EXPECT_EQ(samples_queued(*agent), queued.size()) << agent->log();
  std::set<std::string> got;
  std::vector<std::uint64_t> order;
  for (const Received& r : server.received) {
    if (!is_sample(r)) continue;
    if (got.insert(r.topic).second) order.push_back(r.parsed.time);
  }
  for (const std::string& t : queued)
    EXPECT_TRUE(got.count(t)) << "lost " << t;
  // In order, with their original timestamps. Failed once under load (2026-12-05), cause not
  // known: the order and the agent's log say where it broke.
  std::string times;
  for (auto t : order)
    times += " " + std::to_string(t);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()))
      << "first arrivals' times:" << times << "\n"
      << agent->log();
}

TEST(Agent, KilledAtRandomMomentsLosesNoSample) {
  TempDir dir;
  Broker broker(dir, persistent());
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze", "--pace-speedup", "20"});
  asio::io_context io;
  TestServer server(io, broker.port());
  const auto config =
      write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 1)});
  std::mt19937 rng(20261125);
  std::string logs;
  for (int i = 0; i < 20; ++i) {
    auto agent = start_agent(dir, config);
    // Deliberately a random moment: killed wherever it is.
    run_for(io, std::chrono::milliseconds(300 + rng() % 1500));
    agent->stop(SIGKILL);
    logs += agent->log();
  }
  auto agent = start_agent(dir, config);
  // The last run delivers whatever is left in the outbox.
  ASSERT_TRUE(run_until(io, all_received(server, [&] { return logs + agent->log(); }), scaled(30s)))
      << agent->log();
  agent->stop(SIGTERM);
  logs += agent->log();
  ASSERT_TRUE(run_until(io, all_received(server, [&] { return logs; }), scaled(10s)));
  const std::set<std::string> queued = queued_samples(logs);
  ASSERT_GT(queued.size(), 5u);
  std::set<std::string> got;
  for (const Received& r : server.received) {
    if (is_sample(r)) got.insert(r.topic);
  }
  for (const std::string& t : queued)
    EXPECT_TRUE(got.count(t)) << "lost " << t;
}

TEST(Agent, PulseCountSurvivesAKillLosingAtMostTheLastSecond) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const std::string socket = dir.file("s0");
  constexpr int kRate = 4;  // pulses per second, 100 ms wide
  Process pulses({meterlogger(), "sim", "pulse", "--rate", std::to_string(kRate), "--link", socket,
                  "--control", dir.file("s0.ctl"), "--quiet"},
                 dir.file("pulse.log"));
  ASSERT_TRUE(wait_for_path(dir.file("s0.ctl")));
  Control control(dir.file("s0.ctl"));
  auto emitted = [&] { return control.request({{"cmd", "state"}})["pulses"].get<std::int64_t>(); };
  auto saved = [&]() -> std::int64_t {
    const std::string path = dir.file("state") + "/state.db";
    if (!std::filesystem::exists(path)) return 0;
    auto db = platform::sqlite::Db::open(path);
    auto q = db->prepare("SELECT count FROM pulses WHERE serial = 'EL0001'");
    return q && q->step().value() ? q->int64(0) : 0;  // no table or row yet: nothing counted
  };
  const auto config =
      write_agent_config(dir, broker.port(), {pulse_meter("sim:" + socket, "EL0001", 60)});
  for (int round = 0; round < 3; ++round) {
    const std::int64_t before = saved();
    auto agent = start_agent(dir, config);
    // Counting starts when the agent's input is connected to the emulator.
    ASSERT_TRUE(
        wait_until([&] { return agent->log().find("pulse input sim:") != std::string::npos; },
                   scaled(10s), 10ms))
        << agent->log();
    const std::int64_t start = emitted();
    // Deliberately lets pulses be counted for a while before the kill.
    std::this_thread::sleep_for(std::chrono::milliseconds(2300 + 900 * round));
    const std::int64_t end = emitted();
    agent->stop(SIGKILL);
    const std::int64_t counted = saved() - before;
    // Everything counted is on disk except at most the last second (plus one pulse on each side
    // for the moments the emulator was asked).
    EXPECT_LE(counted, end - start + 1) << agent->log();
    EXPECT_GE(counted, end - start - kRate - 1) << agent->log();
  }
}

// libfaketime cannot wrap a sanitized binary (its clock_gettime runs before ASan is set up), so
// this case is registered in the unsanitized presets only (tests/integration/CMakeLists.txt).
TEST(AgentClock, NoSampleWithAClockThatIsNotSet) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--freeze"});
  asio::io_context io;
  TestServer server(io, broker.port());
  AgentMeter m = serial_meter("kmp", meter.link(), 1);
  m.serial = "6892850";
  const auto config = write_agent_config(dir, broker.port(), {m});
  // libfaketime sets the agent's clock to 2020 (before the plausible 2024): it connects and
  // answers, but takes no sample.
  Process agent({"env", "LD_PRELOAD=" ML_LIBFAKETIME, "FAKETIME=@2020-01-01 00:00:00",
                 meterlogger(), "agent", "--config", config},
                dir.file("agent.log"));
  ASSERT_TRUE(server.reply("status", 0, scaled(20s))) << agent.log();
  EXPECT_TRUE(wait_for_log(agent, "the system clock is not set")) << agent.log();
  // Deliberately lets four intervals pass: no sample in them.
  run_for(io, 3s);
  EXPECT_FALSE(server.wait_for(is_sample, 1s)) << agent.log();
  EXPECT_EQ(meter.state()["counters"]["requests"], 0);  // the meter was not even read
}

TEST(Agent, SighupReloadsAndABadFileKeepsTheRunningConfiguration) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator first(dir, "kmp", {"--serial", "1111111", "--freeze"}, "first");
  Emulator second(dir, "kmp", {"--serial", "2222222", "--freeze"}, "second");
  asio::io_context io;
  TestServer server(io, broker.port());
  const auto config =
      write_agent_config(dir, broker.port(), {serial_meter("kmp", first.link(), 60)});
  auto agent = start_agent(dir, config);
  ASSERT_TRUE(server.wait_for(
      [](const Received& r) {
        return r.topic.find("/1111111/") != std::string::npos && r.parsed.name == "sample";
      },
      scaled(20s)))
      << agent->log();
  // A broken file: logged, nothing changes.
  std::ofstream(config) << "state_dir = \"" << dir.file("state") << "\"\n[mqtt\n";
  ::kill(agent->pid(), SIGHUP);
  EXPECT_TRUE(run_until(
      io,
      [&] {
        return agent->log().find("SIGHUP: the configuration is not valid") != std::string::npos;
      },
      scaled(10s)))
      << agent->log();
  EXPECT_TRUE(agent->running());
  // A good file with a second meter: both are read.
  write_agent_config(
      dir, broker.port(),
      {serial_meter("kmp", first.link(), 60), serial_meter("kmp", second.link(), 60)});
  ::kill(agent->pid(), SIGHUP);
  EXPECT_TRUE(server.wait_for(
      [](const Received& r) {
        return r.topic.find("/2222222/") != std::string::npos && r.parsed.name == "sample";
      },
      scaled(20s)))
      << agent->log();
  EXPECT_EQ(agent->stop(SIGTERM), 0);
}

TEST(Agent, ResetReasonTellsACrashAndACleanStop) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--freeze"});
  asio::io_context io;
  TestServer server(io, broker.port());
  const auto config =
      write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 60)});
  auto reason_after = [&](std::unique_ptr<Process>& agent) {
    const std::size_t from = server.received.size();
    agent = start_agent(dir, config);
    if (!server.reply("reset_reason", from, scaled(20s))) return std::string("none");
    // A killed run leaves unacknowledged messages (its own reset_reason among them) that the
    // next run sends first; the new run's reset_reason is the last to arrive. The outbox keeps
    // the order: once the reply to a ping sent now is in, everything queued before it is too.
    if (server.ask("6892850", "ping", "1") == "<none>") return std::string("no ping reply");
    std::string last;
    for (std::size_t i = from; i < server.received.size(); ++i) {
      if (server.received[i].parsed.name == "reset_reason") last = server.received[i].text;
    }
    return last.substr(0, last.find('&'));
  };
  std::unique_ptr<Process> agent;
  EXPECT_EQ(reason_after(agent), "reason=0");  // first start: power-on
  agent->stop(SIGKILL);
  EXPECT_EQ(reason_after(agent), "reason=2");  // crash
  agent->stop(SIGTERM);
  EXPECT_EQ(reason_after(agent), "reason=6");  // clean stop, then started again
  agent->stop(SIGABRT);                        // what systemd's watchdog sends
  EXPECT_EQ(reason_after(agent), "reason=3");
  agent->stop(SIGTERM);
}

}  // namespace
}  // namespace ml::test

namespace ml::test {
namespace {

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

// 5 000 forged commands (sealed with another key) write a bounded number of log lines: the
// first, and a summary with the count of the rest.
TEST(Agent, AFloodOfForgedCommandsIsSummarised) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  asio::io_context io;
  TestServer server(io, broker.port());
  TestServer forger(io, broker.port(), "00112233445566778899aabbccddeeff", "forger");
  auto agent = start_agent(
      dir, write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 60)}));
  ASSERT_TRUE(server.reply("version", 0, scaled(20s))) << agent->log();
  constexpr int kForged = 5000;
  for (int i = 0; i < kForged; ++i)
    forger.send("6892850", "open");
  // An authentic command after them: once it is answered, every forged one has been handled.
  const auto from = server.received.size();
  server.send("6892850", "ping");
  ASSERT_TRUE(server.reply("ping", from, scaled(30s))) << agent->log();
  EXPECT_EQ(agent->stop(SIGTERM), 0);
  const std::string log = agent->log();
  EXPECT_LE(occurrences(log, "rejected a command"), 3u) << log.substr(0, 4000);
  // The summary counts the rest: written when the interval ends, or at the latest at stop.
  std::smatch m;
  std::size_t summarised = 0;
  std::string rest = log;
  const std::regex summary("rejected commands \\([a-z_]+\\): ([0-9]+) more in the last");
  while (std::regex_search(rest, m, summary)) {
    summarised += std::stoul(m[1]);
    rest = m.suffix();
  }
  EXPECT_EQ(summarised + occurrences(log, "rejected a command"), static_cast<std::size_t>(kForged))
      << log.substr(0, 4000);
  EXPECT_LT(log.size(), 20000u);
}

// The state database (it holds the Wi-Fi password) is the owner's only whatever the umask, in
// a folder only the owner may enter; --check warns about a key written inline in a file everyone
// may read.
TEST(Agent, TheStateIsPrivateAndCheckWarnsAboutAReadableKey) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  const mode_t saved = ::umask(022);
  auto config = write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 60)});
  std::string text = read_text_file(config);
  text.replace(text.find(dir.file("state")), dir.file("state").size(), dir.file("var/state"));
  std::ofstream(config) << text;
  ::chmod(config.c_str(), 0644);
  auto check = run({meterlogger(), "agent", "--config", config, "--check"});
  EXPECT_EQ(check.status, 0) << check.err;
  EXPECT_NE(check.err.find("readable by everyone"), std::string::npos) << check.err;
  EXPECT_NE(check.err.find("meter[1].key"), std::string::npos) << check.err;
  ::chmod(config.c_str(), 0600);
  check = run({meterlogger(), "agent", "--config", config, "--check"});
  EXPECT_EQ(check.status, 0) << check.err;
  EXPECT_EQ(check.err, "");
  asio::io_context io;
  TestServer server(io, broker.port());
  auto agent = start_agent(dir, config);
  ASSERT_TRUE(server.reply("version", 0, scaled(20s))) << agent->log();
  auto mode = [](const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return -1;
    return static_cast<int>(st.st_mode & 07777);
  };
  EXPECT_EQ(mode(dir.file("var")), 0700);
  EXPECT_EQ(mode(dir.file("var/state")), 0700);
  EXPECT_EQ(mode(dir.file("var/state/state.db")), 0600);
  EXPECT_EQ(mode(dir.file("var/state/state.db-wal")), 0600);
  EXPECT_EQ(mode(dir.file("var/state/state.db-shm")), 0600);
  EXPECT_EQ(agent->stop(SIGTERM), 0);
  ::umask(saved);
}

}  // namespace
}  // namespace ml::test
