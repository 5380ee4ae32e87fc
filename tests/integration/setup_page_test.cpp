// The setup page end to end: the agent with [setup], its module loaded, a real browser-less
// HTTP client (cpp-httplib) logging in, reading the status and changing settings; the changes
// are checked where they take effect (MQTT, the fake nmcli, the next sample).
#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent_support.hpp"
#include "emulator.hpp"
#include "mqtt_support.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPassword = "installer-secret";
// `echo installer-secret | meterlogger agent --hash-password`
constexpr const char* kHash =
    "$argon2id$v=19$m=19456,t=2,p=1$1XLNQdrKZYRU1bzTnFExZw$"
    "cIkz4Vchr8RIdkUujJGSSYeP0MVYsuq5kFm2eLNs6Aw";

std::string setup_section(const std::string& extra = "") {
  return std::string("[setup]\nlisten = \"127.0.0.1:0\"\npassword_hash = \"") + kHash + "\"\n" +
         extra;
}

// The page's port, from the file the agent writes when the page listens.
int page_port(const TempDir& dir, Process& agent) {
  const std::string file = dir.file("state") + "/setup-page.port";
  if (!wait_for_path(file, scaled(20s))) {
    ADD_FAILURE() << "the setup page did not start\n" << agent.log();
    return -1;
  }
  std::string text;
  wait_until(
      [&] {
        text = read_text_file(file);
        return !text.empty() && text.back() == '\n';
      },
      scaled(2s));
  return !text.empty() && text.back() == '\n' ? std::stoi(text) : -1;
}

// A logged-in browser session.
class PageClient {
 public:
  explicit PageClient(int port) : http_("127.0.0.1", port) { http_.set_read_timeout(scaled(10s)); }

  httplib::Result login(const std::string& password) {
    auto r = http_.Post("/login", httplib::Params{{"password", password}});
    if (r && r->status == 303) {
      const std::string cookie = r->get_header_value("Set-Cookie");
      cookie_ = cookie.substr(0, cookie.find(';'));
      csrf_ = csrf_from(get("/")->body);
    }
    return r;
  }
  httplib::Result get(const std::string& path) { return http_.Get(path.c_str(), headers()); }
  httplib::Result post(const std::string& path, httplib::Params params, bool with_csrf = true) {
    if (with_csrf) params.emplace("csrf", csrf_);
    return http_.Post(path.c_str(), headers(), params);
  }
  nlohmann::json status() {
    auto r = get("/status.json");
    if (!r || r->status != 200) return nlohmann::json();
    return nlohmann::json::parse(r->body);
  }
  // The message the page shows after a form (the redirect target).
  std::string message() {
    auto r = get("/");
    if (!r) return "<no answer>";
    const auto at = r->body.find("id=\"message\"");
    if (at == std::string::npos) return "";
    const auto start = r->body.find('>', at) + 1;
    return r->body.substr(start, r->body.find("</p>", start) - start);
  }

 private:
  static std::string csrf_from(const std::string& html) {
    const std::string marker = "name=\"csrf\" value=\"";
    const auto at = html.find(marker);
    if (at == std::string::npos) return "";
    const auto start = at + marker.size();
    return html.substr(start, html.find('"', start) - start);
  }
  httplib::Headers headers() const {
    return cookie_.empty() ? httplib::Headers{} : httplib::Headers{{"Cookie", cookie_}};
  }

  httplib::Client http_;
  std::string cookie_;
  std::string csrf_;
};

TEST(SetupPage, OffWithoutAPassword) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  const int port = free_port();
  asio::io_context io;
  TestServer server(io, broker.port());
  auto agent = start_agent(
      dir, write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 60)},
                              "[setup]\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"\n"));
  ASSERT_TRUE(server.reply("version", 0, scaled(20s))) << agent->log();
  // Deliberately a second: the page does not start listening meanwhile.
  EXPECT_FALSE(wait_for_port(port, 1s)) << "the page listens without a password";
  EXPECT_FALSE(std::filesystem::exists(dir.file("state") + "/setup-page.port"));
}

TEST(SetupPage, NothingWithoutLoggingIn) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  auto agent = start_agent(
      dir, write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 60)},
                              setup_section()));
  const int port = page_port(dir, *agent);
  ASSERT_GT(port, 0);
  httplib::Client http("127.0.0.1", port);
  auto home = http.Get("/");
  ASSERT_TRUE(home);
  EXPECT_EQ(home->status, 303);
  EXPECT_EQ(home->get_header_value("Location"), "/login");
  EXPECT_EQ(http.Get("/status.json")->status, 401);
  EXPECT_EQ(http.Post("/broker", httplib::Params{{"host", "10.0.0.1"}, {"port", "1883"}})->status,
            403);
  PageClient wrong(port);
  auto refused = wrong.login("not-the-password");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  EXPECT_NE(refused->body.find("Wrong password"), std::string::npos);
  EXPECT_EQ(wrong.get("/status.json")->status, 401);
  // A logged-in session without the form's token (another site posting) changes nothing.
  PageClient right(port);
  ASSERT_EQ(right.login(kPassword)->status, 303);
  EXPECT_EQ(right.post("/broker", {{"host", "10.0.0.1"}, {"port", "1883"}}, false)->status, 403);
  EXPECT_EQ(right.status()["broker"]["port"], broker.port());
  // Logging out ends the session.
  EXPECT_EQ(right.post("/logout", {})->status, 303);
  EXPECT_EQ(right.get("/status.json")->status, 401);
}

// The server's login limit (src/password/limiter.hpp): five wrong passwords within 15 minutes
// and the page refuses even the right one, before looking at it.
TEST(SetupPage, WrongPasswordsAreLimited) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  auto agent = start_agent(
      dir, write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 60)},
                              setup_section()));
  const int port = page_port(dir, *agent);
  ASSERT_GT(port, 0);
  PageClient page(port);
  for (int i = 0; i < 5; ++i) {
    auto r = page.login("guess-" + std::to_string(i));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << i;
  }
  auto locked = page.login(kPassword);
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->status, 429);
  const int retry = std::stoi(locked->get_header_value("Retry-After"));
  EXPECT_GT(retry, 800);
  EXPECT_LE(retry, 900);
  EXPECT_NE(locked->body.find("Too many wrong passwords"), std::string::npos) << locked->body;
  EXPECT_EQ(page.get("/status.json")->status, 401);
}

TEST(SetupPage, StatusShowsTheReadingLinkMqttAndValve) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  asio::io_context io;
  TestServer server(io, broker.port());
  auto agent =
      start_agent(dir, write_agent_config(dir, broker.port(),
                                          {serial_meter("kmp", meter.link(), 2)}, setup_section()));
  auto sample =
      server.wait_for([](const Received& r) { return r.parsed.name == "sample"; }, scaled(30s));
  ASSERT_TRUE(sample) << agent->log();
  EXPECT_EQ(server.ask("6892850", "open_until", "123456"), "123456");
  const std::string job = "minute=0&hour=6&day_of_week=1-5&command=open";
  EXPECT_EQ(server.ask("6892850", "set_cron", job), job);
  PageClient page(page_port(dir, *agent));
  ASSERT_EQ(page.login(kPassword)->status, 303);
  const auto s = page.status();
  ASSERT_EQ(s["meters"].size(), 1u) << s.dump();
  const auto& m = s["meters"][0];
  EXPECT_EQ(m["serial"], "6892850");
  EXPECT_EQ(m["protocol"], "kmp");
  EXPECT_GT(m["frames_ok"].get<int>(), 0);
  EXPECT_EQ(m["crc_errors"], 0);
  EXPECT_TRUE(m["mqtt_connected"].get<bool>());
  EXPECT_GE(m["outbox_depth"].get<int>(), 0);
  EXPECT_EQ(m["valve"]["state"], "open");
  EXPECT_EQ(m["valve"]["limit"], "123456");
  EXPECT_EQ(m["valve"]["cron"].size(), 1u) << s.dump();
  // The page's e1 is the meter's, as the sample carried it.
  const std::string e1 = m["values"]["e1"].get<std::string>();
  EXPECT_NE(sample->text.find("&e1=" + e1 + "&"), std::string::npos)
      << e1 << " vs " << sample->text;
  const auto html = page.get("/")->body;
  EXPECT_NE(html.find("6892850"), std::string::npos);
  EXPECT_NE(html.find("123456"), std::string::npos);
}

TEST(SetupPage, BrokerChangeReconnectsAndSurvivesARestart) {
  TempDir dir;
  Broker first(dir);
  first.start();
  TempDir other_dir;
  Broker second(other_dir);
  second.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  asio::io_context io;
  TestServer on_second(io, second.port());
  const auto config = write_agent_config(dir, first.port(), {serial_meter("kmp", meter.link(), 60)},
                                         setup_section());
  auto agent = start_agent(dir, config);
  {
    PageClient page(page_port(dir, *agent));
    ASSERT_EQ(page.login(kPassword)->status, 303);
    // A bad port is refused and changes nothing.
    ASSERT_EQ(page.post("/broker", {{"host", "127.0.0.1"}, {"port", "70000"}})->status, 303);
    EXPECT_NE(page.message().find("port must be a number"), std::string::npos);
    EXPECT_EQ(page.status()["broker"]["port"], first.port());
    ASSERT_EQ(page.post("/broker", {{"host", "127.0.0.1"}, {"port", std::to_string(second.port())}})
                  ->status,
              303);
    EXPECT_NE(page.message().find("reconnecting"), std::string::npos);
    EXPECT_TRUE(on_second.reply("version", 0, scaled(20s))) << agent->log();
    EXPECT_EQ(page.status()["broker"]["set_here"], true);
  }
  // Stored in the state store: after a restart the agent goes to the second broker again.
  agent->stop();
  const std::size_t before = on_second.received.size();
  agent = start_agent(dir, config);
  EXPECT_TRUE(on_second.reply("version", before, scaled(20s))) << agent->log();
  // An empty host goes back to agent.toml's broker.
  PageClient page(page_port(dir, *agent));
  ASSERT_EQ(page.login(kPassword)->status, 303);
  ASSERT_EQ(page.post("/broker", {{"host", ""}, {"port", ""}})->status, 303);
  const auto s = page.status();
  EXPECT_EQ(s["broker"]["port"], first.port());
  EXPECT_EQ(s["broker"]["set_here"], false);
}

TEST(SetupPage, WifiFormDrivesNetworkManager) {
  TempDir dir;
  const std::string fake = dir.file("fake");
  std::filesystem::create_directories(fake);
  const std::string calls = dir.file("nmcli.log");
  ::setenv("FAKE_NMCLI_LOG", calls.c_str(), 1);
  ::setenv("FAKE_NMCLI_DIR", fake.c_str(), 1);
  std::ofstream(fake + "/connection-show.txt") << "meterlogger:802-11-wireless\n";
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  auto agent = start_agent(
      dir, write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 60)},
                              setup_section() +
                                  "[network]\nbackend = \"networkmanager\"\n"
                                  "nmcli = \"" +
                                  ML_FAKE_NMCLI + "\"\n"));
  PageClient page(page_port(dir, *agent));
  ASSERT_EQ(page.login(kPassword)->status, 303);
  // Refused before anything runs: an SSID longer than 32 bytes.
  ASSERT_EQ(
      page.post("/wifi", {{"ssid", std::string(33, 'x')}, {"password", "longenough"}})->status,
      303);
  EXPECT_NE(page.message().find("32"), std::string::npos);
  ASSERT_EQ(page.post("/wifi", {{"ssid", "Loppen & Co"}, {"password", "p4ss:word"}})->status, 303);
  EXPECT_NE(page.message().find("connecting to Loppen &amp; Co"), std::string::npos);
  // nmcli is asked to write the station profile with exactly these credentials, then to connect.
  std::string log;
  wait_until(
      [&] {
        log = read_text_file(calls);
        return log.find("connection\tup") != std::string::npos;
      },
      scaled(10s), 50ms);
  EXPECT_NE(log.find("Loppen & Co"), std::string::npos) << log;
  EXPECT_NE(log.find("p4ss:word"), std::string::npos) << log;
  EXPECT_NE(log.find("connection\tup"), std::string::npos) << log;
  EXPECT_EQ(page.status()["network"]["ssid"], "Loppen & Co");
  ::unsetenv("FAKE_NMCLI_LOG");
  ::unsetenv("FAKE_NMCLI_DIR");
}

TEST(SetupPage, PulseSettingsResetTheCountAndSetTheReading) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const std::string socket = dir.file("s0");
  Process sim({meterlogger(), "sim", "pulse", "--rate", "5", "--link", socket, "--quiet"},
              dir.file("sim.log"));
  ASSERT_TRUE(wait_for_path(socket));
  asio::io_context io;
  TestServer server(io, broker.port());
  auto agent = start_agent(
      dir, write_agent_config(dir, broker.port(), {pulse_meter("sim:" + socket, "EL0001", 2)},
                              setup_section()));
  PageClient page(page_port(dir, *agent));
  ASSERT_EQ(page.login(kPassword)->status, 303);
  EXPECT_EQ(page.status()["meters"][0]["pulse"]["per_unit"], 1000);
  // Refused: a reading that is not a number, zero impulses.
  ASSERT_EQ(
      page.post("/pulse", {{"meter", "meter[1]"}, {"base", "12,5"}, {"per_unit", "500"}})->status,
      303);
  EXPECT_NE(page.message().find("not a number"), std::string::npos);
  ASSERT_EQ(
      page.post("/pulse", {{"meter", "meter[1]"}, {"base", "100"}, {"per_unit", "0"}})->status,
      303);
  EXPECT_NE(page.message().find("from 1 to 1000000"), std::string::npos);
  EXPECT_EQ(page.status()["meters"][0]["pulse"]["base"], "0");

  ASSERT_EQ(page.post("/pulse", {{"meter", "meter[1]"}, {"base", "1500.25"}, {"per_unit", "500"}})
                ->status,
            303);
  EXPECT_NE(page.message().find("starts at 0"), std::string::npos);
  const auto s = page.status()["meters"][0]["pulse"];
  EXPECT_EQ(s["base"], "1500.25");
  EXPECT_EQ(s["per_unit"], 500);
  // The next samples count from the new base: 1500.25 + pulses/500 kWh, never below the base
  // and well under what the old count would give.
  // (Samples taken before the change may still be on their way: take one taken after it.)
  const auto changed = static_cast<std::uint64_t>(unix_now());
  auto next = server.wait_for(
      [&](const Received& r) { return r.parsed.name == "sample" && r.parsed.time > changed; },
      scaled(30s));
  ASSERT_TRUE(next) << agent->log();
  const auto at = next->text.find("&e1=");
  ASSERT_NE(at, std::string::npos) << next->text;
  const double e1 = std::stod(next->text.substr(at + 4));
  EXPECT_GE(e1, 1500.25) << next->text;
  EXPECT_LT(e1, 1501.0) << next->text;
}

// The browser test (tests/browser/setup_page.mjs): headless Chromium logs in, reads the status,
// has a bad setting refused and sets the pulse meter; here the change is seen taking effect.
TEST(SetupPageBrowser, LogInReadTheStatusChangeASetting) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  const std::string socket = dir.file("s0");
  Process sim({meterlogger(), "sim", "pulse", "--rate", "5", "--link", socket, "--quiet"},
              dir.file("sim.log"));
  ASSERT_TRUE(wait_for_path(socket));
  asio::io_context io;
  TestServer server(io, broker.port());
  auto agent = start_agent(dir, write_agent_config(dir, broker.port(),
                                                   {serial_meter("kmp", meter.link(), 2),
                                                    pulse_meter("sim:" + socket, "EL0001", 2)},
                                                   setup_section()));
  // The status page shows a reading once the first sample is out.
  ASSERT_TRUE(server.wait_for(
      [](const Received& r) {
        return r.parsed.name == "sample" && r.parsed.serial.text() == "6892850";
      },
      scaled(30s)))
      << agent->log();
  const int port = page_port(dir, *agent);
  ASSERT_GT(port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  // Kept in the build tree for a look: build/<preset>/tests/integration/setup-page.png
  const std::string screenshot = ML_SCREENSHOT_DIR "/setup-page.png";
  const auto browser = run(
      {ML_NODE_BIN, std::string(ML_BROWSER_DIR) + "/setup_page.mjs", url, kPassword, screenshot},
      scaled(90s));
  ASSERT_EQ(browser.status, 0) << browser.out << browser.err << agent->log();
  const auto seen = nlohmann::json::parse(browser.out);
  EXPECT_NE(seen["meter0"]["heading"].get<std::string>().find("6892850"), std::string::npos);
  EXPECT_EQ(seen["meter0"]["crcErrors"], 0);
  EXPECT_EQ(seen["meter0"]["valve"], "close");
  // The e1 the browser read is the meter's, as the samples carry it.
  const std::string e1 = seen["meter0"]["e1"].get<std::string>();
  EXPECT_TRUE(server.wait_for(
      [&](const Received& r) { return r.text.find("&e1=" + e1 + "&") != std::string::npos; },
      scaled(1s)))
      << e1;
  EXPECT_TRUE(std::filesystem::file_size(screenshot) > 1000);
  // Applied: samples taken after the change count from 2500.5 kWh at 800 pulses per kWh.
  const auto changed = static_cast<std::uint64_t>(unix_now());
  auto next = server.wait_for(
      [&](const Received& r) {
        return r.parsed.name == "sample" && r.parsed.serial.text() == "EL0001" &&
               r.parsed.time > changed;
      },
      scaled(30s));
  ASSERT_TRUE(next) << agent->log();
  const auto at = next->text.find("&e1=");
  ASSERT_NE(at, std::string::npos) << next->text;
  const double pulse_e1 = std::stod(next->text.substr(at + 4));
  EXPECT_GE(pulse_e1, 2500.5) << next->text;
  EXPECT_LT(pulse_e1, 2501.0) << next->text;
}

// Idle and trickling connections hold up nobody (docs/setup-page.md): the installer still logs in
// and reads the status; a connection sending a header line every second is cut at the deadline
// for a request's headers (10 s).
TEST(SetupPage, SlowAndIdleClientsDelayNobody) {
  raise_open_file_limit();
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  auto agent = start_agent(
      dir, write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 60)},
                              setup_section()));
  const int port = page_port(dir, *agent);
  ASSERT_GT(port, 0);
  SlowClients slow(port, 1000, 8, 4, 1s);
  ASSERT_EQ(slow.idle_connected(), 1000);
  const auto t0 = std::chrono::steady_clock::now();
  PageClient page(port);
  auto login = page.login(kPassword);
  ASSERT_TRUE(login) << "no answer with 1 000 idle and 4 slow connections open";
  EXPECT_EQ(login->status, 303);
  EXPECT_EQ(page.status()["meters"].size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, scaled(3s));
  EXPECT_EQ(slow.idle_open(), 1000);
  const auto lived = slow.wait_tricklers_cut(scaled(10s + 8s));
  ASSERT_TRUE(lived) << "a connection sending a header line every second is still open";
  EXPECT_GE(lived->count(), 9800);
  // 16 connections from one address at most.
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i)
    fds.push_back(connect_from("127.0.0.77", port));
  int closed = 0;
  for (int fd : fds) {
    if (fd < 0 || closed_within(fd, fd == fds.back() ? scaled(2s) : 100ms)) ++closed;
    if (fd >= 0) close(fd);
  }
  EXPECT_EQ(closed, 4);
}

}  // namespace
}  // namespace ml::test
