#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "agent/config.hpp"

namespace ml::agent {
namespace {

// The minimal file of the issue: it must work as is.
constexpr std::string_view kMinimal = R"(state_dir = "/var/lib/meterlogger"
[mqtt]
host = "127.0.0.1"
port = 1883
[[meter]]
protocol = "kmp"                              # kmp | mc66c | mc66b | pulse
port = "/dev/ttyUSB0"                         # or tcp://host:port
key = "ef500c9268cf749016d26d6cbfaaf7bf"      # or key_file = "…"
interval = 60                                 # seconds
)";

TEST(AgentConfig, MinimalFileWorksAsIs) {
  auto c = parse_config(kMinimal, "/etc/meterlogger/agent.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->state_dir, "/var/lib/meterlogger");
  EXPECT_EQ(c->mqtt.host, "127.0.0.1");
  EXPECT_EQ(c->mqtt.port, 1883);
  EXPECT_EQ(c->mqtt.qos, 2);
  EXPECT_EQ(c->mqtt.keepalive_s, 60);
  EXPECT_EQ(c->mqtt.padding, core::envelope::Padding::pkcs7);
  ASSERT_EQ(c->meters.size(), 1u);
  const MeterConfig& m = c->meters[0];
  EXPECT_EQ(m.kind, core::sample::MeterKind::kmp);
  EXPECT_EQ(m.port, "/dev/ttyUSB0");
  EXPECT_EQ(m.interval, std::chrono::seconds(60));
  EXPECT_EQ(core::to_hex(m.key), "ef500c9268cf749016d26d6cbfaaf7bf");
  EXPECT_TRUE(m.serial.empty());
  EXPECT_EQ(c->outbox.max_age_s, 30 * 86400);
  EXPECT_EQ(c->command_window_s, 1800);
}

struct BadCase {
  std::string edit_from, edit_to, mentions;
};

TEST(AgentConfig, ErrorsNameTheKeyAndTheProblem) {
  const std::vector<BadCase> cases = {
      {"port = 1883", "port = 70000", "mqtt.port: must be between 1 and 65535"},
      {"port = 1883", "port = \"1883\"", "mqtt.port: must be an integer"},
      {"protocol = \"kmp\"", "protocol = \"m-bus\"", "meter[1].protocol: must be kmp"},
      {"key = \"ef500c9268cf749016d26d6cbfaaf7bf\"", "key = \"ef500c\"",
       "meter[1].key: must be 32 hex"},
      {"key = \"ef500c9268cf749016d26d6cbfaaf7bf\"", "", "meter[1].key: give exactly one"},
      {"interval = 60", "interval = 0", "meter[1].interval: must be between 1"},
      {"interval = 60", "intervall = 60", "meter[1].intervall: unknown setting"},
      {"[mqtt]", "[mqttt]", "mqtt: required"},
      {"host = \"127.0.0.1\"", "host = \"\"", "mqtt.host: must not be empty"},
      {"port = \"/dev/ttyUSB0\"", "", "meter[1].port: required"},
      {"state_dir", "state_dir = = ", "agent.toml:1:"},
  };
  for (const auto& c : cases) {
    std::string text(kMinimal);
    const auto at = text.find(c.edit_from);
    ASSERT_NE(at, std::string::npos) << c.edit_from;
    text.replace(at, c.edit_from.size(), c.edit_to);
    auto r = parse_config(text, "/etc/meterlogger/agent.toml");
    ASSERT_FALSE(r.ok()) << c.edit_to;
    EXPECT_EQ(r.error().code, core::Errc::config_invalid);
    EXPECT_NE(r.error().detail.find(c.mentions), std::string::npos)
        << "want '" << c.mentions << "' in: " << r.error().detail;
  }
}

TEST(AgentConfig, PulseMetersAndSeveralMeters) {
  const std::string text = std::string(kMinimal) + R"(
[[meter]]
protocol = "pulse"
serial = "EL0001"
input = "sim:/run/pulse0"
key = "2b7e151628aed2a6abf7158809cf4f3c"
pulses_per_unit = 800

[[meter]]
protocol = "pulse"
flow_meter = true
serial = "WA0001"
input = "gpio:gpiochip0:5"
key = "2b7e151628aed2a6abf7158809cf4f3c"
)";
  auto c = parse_config(text, "a.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_EQ(c->meters.size(), 3u);
  EXPECT_EQ(c->meters[1].kind, core::sample::MeterKind::pulse_electricity);
  EXPECT_EQ(c->meters[1].pulse.per_unit, 800u);
  EXPECT_TRUE(c->meters[1].pulse.width_filter);
  EXPECT_EQ(c->meters[2].kind, core::sample::MeterKind::pulse_water);
  EXPECT_FALSE(c->meters[2].pulse.width_filter);  // water meters: no width filter by default

  std::string dup = text;
  dup.replace(dup.find("WA0001"), 6, "EL0001");
  auto d = parse_config(dup, "a.toml");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().detail.find("used by two meters"), std::string::npos);
}

TEST(AgentConfig, MqttTlsIsReadOnceForEveryBrokerTable) {
  // [mqtt.tls] and [homeassistant.tls] share one reader (platform::config::read_tls): relative
  // paths from the config's folder, ca_file required, cert_file and key_file together.
  const std::string tls = std::string(kMinimal) +
                          "[mqtt.tls]\nca_file = \"ca.pem\"\ncert_file = \"/etc/c.crt\"\n"
                          "key_file = \"c.key\"\n";
  auto c = parse_config(tls, "/etc/meterlogger/agent.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_TRUE(c->mqtt.tls);
  EXPECT_EQ(c->mqtt.tls->ca_file, "/etc/meterlogger/ca.pem");
  EXPECT_EQ(c->mqtt.tls->cert_file, "/etc/c.crt");
  EXPECT_EQ(c->mqtt.tls->key_file, "/etc/meterlogger/c.key");
  EXPECT_FALSE(c->mqtt.tls->insecure);
  EXPECT_FALSE(parse_config(kMinimal, "a.toml")->mqtt.tls);
  for (const auto& [table, want] : std::vector<std::pair<std::string, std::string>>{
           {"[mqtt.tls]\ncert_file = \"c.crt\"\n", "mqtt.tls.ca_file: required for TLS"},
           {"[mqtt.tls]\nca_file = \"ca.pem\"\nkey_file = \"c.key\"\n",
            "mqtt.tls.cert_file: cert_file and key_file go together"},
           {"[mqtt.tls]\nca_file = \"ca.pem\"\nca = 1\n", "mqtt.tls.ca"},
       }) {
    auto r = parse_config(std::string(kMinimal) + table, "a.toml");
    ASSERT_FALSE(r.ok()) << table;
    EXPECT_NE(r.error().message().find(want), std::string::npos) << r.error().message();
  }
}

// [meter.broker]: the meter's own broker login (its serial as user name unless given), a password
// required; an inline one is a secret the warnings name.
TEST(AgentConfig, AMetersOwnBrokerLoginIsReadAndAnInlinePasswordNamed) {
  auto c =
      parse_config(std::string(kMinimal) + "[meter.broker]\npassword = \"s3cret\"\n", "a.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_TRUE(c->meters[0].broker);
  EXPECT_EQ(c->meters[0].broker->username, "");
  EXPECT_EQ(c->meters[0].broker->password, "s3cret");
  EXPECT_TRUE(c->meters[0].broker->password_inline);
  const auto secrets = inline_secrets(*c);
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "meter[1].broker.password"), secrets.end());
  EXPECT_FALSE(parse_config(kMinimal, "a.toml")->meters[0].broker);
  for (const auto& [table, want] : std::vector<std::pair<std::string, std::string>>{
           {"[meter.broker]\nusername = \"x\"\n", "meter[1].broker.password_file: required"},
           {"[meter.broker]\npassword = \"p\"\nuser = \"x\"\n", "meter[1].broker.user"},
       }) {
    auto r = parse_config(std::string(kMinimal) + table, "a.toml");
    ASSERT_FALSE(r.ok()) << table;
    EXPECT_NE(r.error().message().find(want), std::string::npos) << r.error().message();
  }
}

TEST(AgentConfig, KeyFileMustNotBeWorldReadable) {
  const auto dir = std::filesystem::temp_directory_path() / ("mlcfg-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto key = dir / "meter.key";
  std::ofstream(key) << "ef500c9268cf749016d26d6cbfaaf7bf\n";
  std::string text(kMinimal);
  text.replace(text.find("key = \"ef500c9268cf749016d26d6cbfaaf7bf\""),
               std::string("key = \"ef500c9268cf749016d26d6cbfaaf7bf\"").size(),
               "key_file = \"meter.key\"");
  const std::string cfg = (dir / "agent.toml").string();
  ::chmod(key.c_str(), 0644);
  auto r = parse_config(text, cfg);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("readable by everyone"), std::string::npos);
  ::chmod(key.c_str(), 0600);
  r = parse_config(text, cfg);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(core::to_hex(r->meters[0].key), "ef500c9268cf749016d26d6cbfaaf7bf");
  std::filesystem::remove_all(dir);
}

TEST(AgentConfig, SetupPageIsOffWithoutAPasswordAndChecked) {
  auto c = parse_config(kMinimal, "a.toml");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->setup.enabled());
  EXPECT_EQ(c->setup.host, "0.0.0.0");
  EXPECT_EQ(c->setup.port, 8080);

  const std::string hash =
      "$argon2id$v=19$m=19456,t=2,p=1$1XLNQdrKZYRU1bzTnFExZw$"
      "cIkz4Vchr8RIdkUujJGSSYeP0MVYsuq5kFm2eLNs6Aw";
  auto on = parse_config(std::string(kMinimal) +
                             "[setup]\nlisten = \"[::1]:8081\"\n"
                             "password_hash = \"" +
                             hash + "\"\nsession_minutes = 5\n",
                         "a.toml");
  ASSERT_TRUE(on.ok()) << on.error().message();
  EXPECT_TRUE(on->setup.enabled());
  EXPECT_EQ(on->setup.host, "::1");
  EXPECT_EQ(on->setup.port, 8081);
  EXPECT_EQ(on->setup.session_minutes, 5);

  const std::pair<std::string, std::string> bad[] = {
      {"listen = \"8080\"", "setup.listen: must be \"HOST:PORT\""},
      {"listen = \"0.0.0.0:99999\"", "setup.listen: the port must be a number from 0 to 65535"},
      {"password_hash = \"secret\"", "setup.password_hash: must be an Argon2id hash"},
      {"session_minutes = 0", "setup.session_minutes: must be between 1 and 1440"},
      {"pasword_hash = \"x\"", "setup.pasword_hash: unknown setting"},
  };
  for (const auto& [line, message] : bad) {
    auto r = parse_config(std::string(kMinimal) + "[setup]\n" + line + "\n", "a.toml");
    ASSERT_FALSE(r.ok()) << line;
    EXPECT_EQ(r.error().detail.rfind(message, 0), 0u) << r.error().detail;
  }
}

TEST(AgentConfig, AnInlineKeyInAFileEveryoneReadsIsAWarning) {
  auto c = parse_config(kMinimal, "/etc/meterlogger/agent.toml");
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(inline_secrets(*c), std::vector<std::string>{"meter[1].key"});
  const auto w = secret_warnings("/etc/meterlogger/agent.toml", true, inline_secrets(*c));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].find("readable by everyone"), std::string::npos) << w[0];
  EXPECT_NE(w[0].find("meter[1].key"), std::string::npos) << w[0];
  EXPECT_TRUE(secret_warnings("/x", false, inline_secrets(*c)).empty());
  EXPECT_TRUE(secret_warnings("/x", true, {}).empty());
}

}  // namespace
}  // namespace ml::agent

namespace ml::agent {
namespace {

TEST(AgentConfig, HomeAssistantIsOffByDefault) {
  auto c = parse_config(kMinimal, "/etc/meterlogger/agent.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_FALSE(c->homeassistant.enabled);
  EXPECT_EQ(c->homeassistant.prefix, "homeassistant");
  EXPECT_EQ(c->homeassistant.base_topic, "meterlogger/{serial}");
  EXPECT_FALSE(c->homeassistant.heat_as_gas);
}

TEST(AgentConfig, HomeAssistantSection) {
  std::string text(kMinimal);
  text.insert(text.find("[[meter]]"), R"([homeassistant]
enabled = true
host = "192.168.1.10"
port = 1884
username = "ha"
password = "pw"
prefix = "ha"
base_topic = "home/heat/{serial}"
heat_as_gas = true
)");
  auto c = parse_config(text, "/etc/meterlogger/agent.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  const HomeAssistantConfig& h = c->homeassistant;
  EXPECT_TRUE(h.enabled);
  EXPECT_EQ(h.broker.host, "192.168.1.10");
  EXPECT_EQ(h.broker.port, 1884);
  EXPECT_EQ(h.broker.username, "ha");
  EXPECT_EQ(h.broker.password, "pw");
  EXPECT_EQ(h.prefix, "ha");
  EXPECT_EQ(h.base_topic, "home/heat/{serial}");
  EXPECT_TRUE(h.heat_as_gas);
  const auto secrets = inline_secrets(*c);
  EXPECT_NE(std::find(secrets.begin(), secrets.end(), "homeassistant.password"), secrets.end());
}

TEST(AgentConfig, HomeAssistantErrorsNameTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"enabled = \"yes\"", "homeassistant.enabled"},
      {"port = 0", "homeassistant.port"},
      {"prefix = \"\"", "homeassistant.prefix: must not be empty"},
      {"prefix = \"ha/#\"", "homeassistant.prefix"},
      {"base_topic = \"+/x\"", "homeassistant.base_topic"},
      {"heat_as_gas = 1", "homeassistant.heat_as_gas"},
      {"qos = 2", "homeassistant.qos: unknown setting"},
  };
  for (const auto& [line, mentions] : cases) {
    std::string text(kMinimal);
    text.insert(text.find("[[meter]]"), "[homeassistant]\n" + line + "\n");
    auto r = parse_config(text, "/etc/meterlogger/agent.toml");
    ASSERT_FALSE(r.ok()) << line;
    EXPECT_NE(r.error().detail.find(mentions), std::string::npos)
        << "want '" << mentions << "' in: " << r.error().detail;
  }
}

}  // namespace
}  // namespace ml::agent
