// The valve of a heat meter end to end: the agent with a file output, an emulated MULTICAL, a
// real mosquitto and the test server sending sealed commands.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "agent/store.hpp"
#include "agent_support.hpp"
#include "core/decimal.hpp"
#include "emulator.hpp"
#include "mqtt_support.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;

bool file_becomes(const std::string& path, const std::string& text,
                  std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (read_text_file(path) == text) return true;
    std::this_thread::sleep_for(50ms);
  }
  return read_text_file(path) == text;
}

AgentMeter valve_meter(const TempDir& dir, const Emulator& meter, int interval) {
  AgentMeter m = serial_meter("kmp", meter.link(), interval);
  m.extra = "[meter.valve]\noutput = \"file:" + dir.path().string() +
            "/ac1\"\nled = \"file:" + dir.path().string() + "/led\"\n";
  return m;
}

// The reply texts of one command: every message on `fn` and the `status` after it.
std::pair<std::string, std::string> reply_and_status(TestServer& server, const std::string& fn,
                                                     std::size_t from) {
  auto r = server.reply(fn, from, scaled(15s));
  auto s = server.reply("status", from, scaled(15s));
  return {r ? r->text : "<none>", s ? s->text : "<none>"};
}

std::string last_cause(const TempDir& dir, const std::string& serial) {
  auto store = agent::Store::open(dir.path().string() + "/state");
  if (!store) return "<no store>";
  auto log = store->valve_log(serial, 1);
  return log && !log->empty() ? log->back().cause + ":" + log->back().state : "<none>";
}

TEST(Valve, CommandsRoundTripWithTheExactReplies) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze", "--start-energy", "12345"});
  asio::io_context io;
  TestServer server(io, broker.port());
  auto agent =
      start_agent(dir, write_agent_config(dir, broker.port(), {valve_meter(dir, meter, 2)}));
  // After connecting the device tells its valve state; a fresh device is closed.
  auto first = server.reply("status", 0, scaled(20s));
  ASSERT_TRUE(first) << agent->log();
  EXPECT_EQ(first->text, "close");
  EXPECT_EQ(read_text_file(dir.path().string() + "/ac1"), "0\n");
  ASSERT_TRUE(
      server.wait_for([](const Received& r) { return r.parsed.name == "sample"; }, scaled(20s)));

  std::size_t from = server.received.size();
  server.send("6892850", "open_until", "12400");
  EXPECT_EQ(reply_and_status(server, "open_until", from),
            std::make_pair(std::string("12400"), std::string("open")));
  EXPECT_TRUE(file_becomes(dir.path().string() + "/ac1", "1\n", scaled(5s)));
  // The agent drives the valve output, then the LED, then stores the state: each is waited for.
  EXPECT_TRUE(file_becomes(dir.path().string() + "/led", "1\n", scaled(5s)));

  // Negative: nothing changes, the reply tells the stored limit.
  from = server.received.size();
  server.send("6892850", "open_until", "-5");
  EXPECT_EQ(reply_and_status(server, "open_until", from),
            std::make_pair(std::string("12400"), std::string("open")));

  // limit = current reading (12345 kWh) + delta; the reply is what is left.
  from = server.received.size();
  server.send("6892850", "open_until_delta", "100");
  EXPECT_EQ(reply_and_status(server, "open_until_delta", from),
            std::make_pair(std::string("100"), std::string("open")));
  from = server.received.size();
  server.send("6892850", "open_until", "");
  EXPECT_EQ(reply_and_status(server, "open_until", from).first, "12445");

  from = server.received.size();
  server.send("6892850", "close");
  server.send("6892850", "status");
  auto s = server.reply("status", from, scaled(15s));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->text, "close");
  EXPECT_TRUE(file_becomes(dir.path().string() + "/ac1", "0\n", scaled(5s)));
  EXPECT_TRUE(
      wait_until([&] { return last_cause(dir, "6892850") == "command:close"; }, scaled(5s), 100ms))
      << last_cause(dir, "6892850");

  // A plain open keeps the stored limit (12445 > 12345): the valve stays open.
  from = server.received.size();
  server.send("6892850", "open");
  server.send("6892850", "status");
  s = server.reply("status", from, scaled(15s));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->text, "open");
  // Two samples later (the first may have been under way) the output is still high.
  const std::size_t queued = samples_queued(*agent);
  ASSERT_TRUE(run_until(
      io, [&] { return samples_queued(*agent) >= queued + 2; }, scaled(20s)))
      << agent->log();
  EXPECT_EQ(read_text_file(dir.path().string() + "/ac1"), "1\n");
  EXPECT_EQ(agent->stop(SIGTERM), 0);
}

TEST(Valve, AutoClosesAtTheLimitAlsoWithTheBrokerDown) {
  TempDir dir;
  BrokerOptions persistent;
  persistent.persistence = true;
  Broker broker(dir, persistent);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze", "--start-energy", "12345"});
  asio::io_context io;
  TestServer server(io, broker.port());
  auto agent =
      start_agent(dir, write_agent_config(dir, broker.port(), {valve_meter(dir, meter, 1)}));
  ASSERT_TRUE(server.reply("status", 0, scaled(20s))) << agent->log();
  std::size_t from = server.received.size();
  server.send("6892850", "open_until", "12350");
  ASSERT_EQ(reply_and_status(server, "open_until", from).second, "open");
  ASSERT_TRUE(file_becomes(dir.path().string() + "/ac1", "1\n", scaled(5s)));

  broker.stop();
  const std::size_t queued = samples_queued(*agent);
  meter.request({{"cmd", "set"}, {"energy", "12349"}});
  // Two samples later the agent has read 12349 (the first may have been under way): below the
  // limit, still open.
  ASSERT_TRUE(wait_for_samples_queued(*agent, queued + 2)) << agent->log();
  EXPECT_EQ(read_text_file(dir.path().string() + "/ac1"), "1\n");
  meter.request({{"cmd", "set"}, {"energy", "12350"}});
  EXPECT_TRUE(file_becomes(dir.path().string() + "/ac1", "0\n", scaled(5s))) << agent->log();
  // The LED and the stored state follow the output, and the log line follows them (reading them
  // at once after the output changed was a race that a loaded machine lost).
  EXPECT_TRUE(file_becomes(dir.path().string() + "/led", "0\n", scaled(5s)));
  EXPECT_TRUE(wait_for_log(*agent, "(auto_close)")) << agent->log();
  EXPECT_EQ(last_cause(dir, "6892850"), "auto_close:close");

  from = server.received.size();
  broker.start();
  // The `status` queued when it closed arrives once the broker is back.
  auto s = server.reply("status", from, scaled(30s));
  ASSERT_TRUE(s) << agent->log();
  EXPECT_EQ(s->text, "close");
  EXPECT_EQ(agent->stop(SIGTERM), 0);
}

// MeterLoggerWeb writes the limit as its float sum with every digit and deletes the queued
// command only when the echo is less than 1 away from it (issue 12, item 1).
TEST(Valve, OpenUntilWithManyDecimalsOpensEchoesWithinOneAndClosesAtTheLimit) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze", "--start-energy", "14344"});
  asio::io_context io;
  TestServer server(io, broker.port());
  auto agent =
      start_agent(dir, write_agent_config(dir, broker.port(), {valve_meter(dir, meter, 1)}));
  ASSERT_TRUE(server.reply("status", 0, scaled(20s))) << agent->log();
  ASSERT_TRUE(
      server.wait_for([](const Received& r) { return r.parsed.name == "sample"; }, scaled(20s)));
  const std::string sent = "14345.5882352941098";
  std::size_t from = server.received.size();
  server.send("6892850", "open_until", sent);
  const auto [echo, status] = reply_and_status(server, "open_until", from);
  EXPECT_EQ(status, "open");
  auto echoed = core::Decimal::parse(echo);
  ASSERT_TRUE(echoed) << echo;
  auto gap = core::difference(*core::Decimal::parse("14345.5882352941098"), *echoed);
  ASSERT_TRUE(gap);
  gap->negative = false;
  EXPECT_LT(core::compare(*gap, core::Decimal{false, 1, 0}), 0) << echo;
  EXPECT_EQ(echo, "14345");  // whole kWh, the original's %u
  ASSERT_TRUE(file_becomes(dir.path().string() + "/ac1", "1\n", scaled(2s)));

  // 14345 kWh is below 14345.588...: open; 14346 reaches it: closed, with a status.
  meter.request({{"cmd", "set"}, {"energy", "14345"}});
  ASSERT_TRUE(server.wait_for(
      [](const Received& r) {
        return r.parsed.name == "sample" && r.text.find("e1=14345 kWh") != std::string::npos;
      },
      scaled(20s)))
      << agent->log();
  EXPECT_EQ(read_text_file(dir.path().string() + "/ac1"), "1\n");
  from = server.received.size();
  meter.request({{"cmd", "set"}, {"energy", "14346"}});
  EXPECT_TRUE(file_becomes(dir.path().string() + "/ac1", "0\n", scaled(10s))) << agent->log();
  auto closed = server.reply("status", from, scaled(15s));
  ASSERT_TRUE(closed) << agent->log();
  EXPECT_EQ(closed->text, "close");
  EXPECT_EQ(last_cause(dir, "6892850"), "auto_close:close");
  // The stored limit: the argument kept to 9 decimals, rounded up beyond.
  auto store = agent::Store::open(dir.path().string() + "/state");
  ASSERT_TRUE(store);
  auto record = store->valve("6892850");
  ASSERT_TRUE(record && *record);
  EXPECT_EQ((*record)->limit, "14345.588235295");
  EXPECT_EQ(agent->stop(SIGTERM), 0);
}

TEST(Valve, StateSurvivesSigkillAndIsSetBeforeMqttConnects) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze", "--start-energy", "12345"});
  asio::io_context io;
  TestServer server(io, broker.port());
  const auto config = write_agent_config(dir, broker.port(), {valve_meter(dir, meter, 60)});
  auto agent = start_agent(dir, config);
  ASSERT_TRUE(server.reply("status", 0, scaled(20s))) << agent->log();
  std::size_t from = server.received.size();
  server.send("6892850", "open_until", "99999");
  ASSERT_EQ(reply_and_status(server, "open_until", from).second, "open");
  agent->stop(SIGKILL);

  // The power comes back: the output is low, and the network is not there yet.
  std::ofstream(dir.path().string() + "/ac1") << "0\n";
  broker.stop();
  agent = start_agent(dir, config);
  EXPECT_TRUE(file_becomes(dir.path().string() + "/ac1", "1\n", scaled(5s))) << agent->log();
  from = server.received.size();
  broker.start();
  auto s = server.reply("status", from, scaled(30s));
  ASSERT_TRUE(s) << agent->log();
  EXPECT_EQ(s->text, "open");
  from = server.received.size();
  server.send("6892850", "open_until", "");
  EXPECT_EQ(reply_and_status(server, "open_until", from).first, "99999");
  EXPECT_EQ(agent->stop(SIGTERM), 0);
}

TEST(Cron, JobsAreStoredCountedAndClearedWithTheExactReplies) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  asio::io_context io;
  TestServer server(io, broker.port());
  const auto config = write_agent_config(dir, broker.port(), {valve_meter(dir, meter, 60)});
  auto agent = start_agent(dir, config);
  ASSERT_TRUE(server.reply("status", 0, scaled(20s))) << agent->log();
  auto ask = [&](const std::string& command, const std::string& argument) {
    return server.ask("6892850", command, argument);
  };
  const std::string job = "minute=0&hour=6&day_of_week=1-5&command=open";
  EXPECT_EQ(ask("set_cron", job), job);
  EXPECT_EQ(ask("set_cron", "minute=0&hour=24&command=open"),
            "invalid cron job: hour: 24 is out of range 0-23");
  EXPECT_EQ(
      ask("set_cron", "minute=0&command=ping").rfind("command cannot run from cron: 'ping'", 0),
      0u);
  EXPECT_EQ(ask("cron", "1"), "1");
  for (int i = 1; i < 16; ++i) {
    const std::string more = "minute=" + std::to_string(i) + "&command=close";
    EXPECT_EQ(ask("set_cron", more), more);
  }
  EXPECT_EQ(ask("set_cron", "minute=30&command=close"),
            "cron table full: 16 jobs; nothing stored (clear_cron first)");
  EXPECT_EQ(ask("cron", ""), "16");
  // The jobs survive a restart.
  EXPECT_EQ(agent->stop(SIGTERM), 0);
  agent = start_agent(dir, config);
  EXPECT_EQ(ask("cron", "1"), "16");
  EXPECT_EQ(ask("clear_cron", "1"), "");
  EXPECT_EQ(ask("cron", "1"), "0");
  EXPECT_EQ(agent->stop(SIGTERM), 0);
}

// The agent under libfaketime, its clock starting at `start` (UTC) and running 60 times fast
// (60 / ML_TEST_TIME_SCALE: slower on a slow machine), with cron jobs stored before it starts and
// no broker. Returns the cron-caused valve changes as "<utc minute>:<state>" once the fake clock
// has run `fake_minutes` and `expected` jobs have run.
std::vector<std::string> cron_changes(const std::string& zone, const std::string& start,
                                      std::int64_t start_unix, const std::vector<std::string>& jobs,
                                      int fake_minutes, std::size_t expected) {
  TempDir dir;
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  AgentMeter m = valve_meter(dir, meter, 60);
  m.serial = "6892850";
  m.extra += "auto_close = false\n";
  const auto config = write_agent_config(dir, free_port(), {m}, "time_zone = \"" + zone + "\"\n");
  {
    auto store = agent::Store::open(dir.path().string() + "/state");
    std::string text;
    for (const auto& j : jobs)
      text += j + "\n";
    EXPECT_TRUE(store && store->set_setting("6892850", "cron", text, start_unix));
  }
  const int speed = std::max(1, static_cast<int>(60 / time_scale()));
  // libfaketime preloaded (tests/integration/CMakeLists.txt: not the `faketime` wrapper, whose
  // shared memory outlives a signal); `env` execs the agent itself.
  Process agent({"env", "TZ=UTC", "LD_PRELOAD=" ML_LIBFAKETIME,
                 "FAKETIME=@" + start + " x" + std::to_string(speed), meterlogger(), "agent",
                 "--config", config},
                dir.file("agent.log"));
  // Deliberately lets the fake clock run `fake_minutes` (a job that must not run again has had
  // its chance), then waits for the jobs that must have run.
  std::this_thread::sleep_for(std::chrono::milliseconds(60'000 * fake_minutes / speed + 500));
  const auto cron_runs = [&] {
    const std::string log = agent.log();
    std::size_t n = 0;
    for (auto at = log.find("(cron)"); at != std::string::npos; at = log.find("(cron)", at + 1))
      ++n;
    return n;
  };
  EXPECT_TRUE(wait_until([&] { return cron_runs() >= expected; }, scaled(10s))) << agent.log();
  agent.stop(SIGTERM);
  std::vector<std::string> out;
  auto store = agent::Store::open(dir.path().string() + "/state");
  auto log = store->valve_log("6892850", 100);
  for (const auto& c : *log) {
    if (c.cause == "cron") out.push_back(std::to_string(c.time / 60 * 60) + ":" + c.state);
  }
  if (out.empty()) ADD_FAILURE() << agent.log();
  return out;
}

// libfaketime cannot wrap a sanitized binary: AgentClock.* run in the unsanitized presets only.
TEST(AgentClock, CronInTheRepeatedHourOfOctoberRunsOnce) {
  // 2026-10-25 01:00 UTC: Copenhagen goes from 03:00 CEST back to 02:00 CET. 02:59 runs at its
  // first occurrence (00:59 UTC); 02:01 has passed in summer time (00:01 UTC) and does not run
  // again at 01:01 UTC.
  EXPECT_EQ(cron_changes("Europe/Copenhagen", "2026-10-25 00:58:30", 1792889910,
                         {"minute=59&hour=2&command=open", "minute=1&hour=2&command=close"}, 4, 1),
            std::vector<std::string>{"1792889940:open"});
}

TEST(AgentClock, CronInTheSkippedHourOfMarchRunsAfterTheGap) {
  // 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST. A job at 02:30 runs once, at 03:00.
  EXPECT_EQ(cron_changes("Europe/Copenhagen", "2026-03-29 00:58:30", 1774745910,
                         {"minute=30&hour=2&command=open"}, 4, 1),
            std::vector<std::string>{"1774746000:open"});
}

TEST(AgentClock, CronFollowsAnotherZone) {
  // 2026-03-08 07:00 UTC: New York goes from 02:00 EST to 03:00 EDT. The 01:59 EST job and the
  // job at 02:15 (skipped, so run at 03:00 EDT) each run once; the 03:00 Copenhagen-time job
  // would be 02:00 UTC and does not run.
  EXPECT_EQ(cron_changes("America/New_York", "2026-03-08 06:58:30", 1772953110,
                         {"minute=59&hour=1&command=open", "minute=15&hour=2&command=close"}, 4, 2),
            (std::vector<std::string>{"1772953140:open", "1772953200:close"}));
}

}  // namespace
}  // namespace ml::test
