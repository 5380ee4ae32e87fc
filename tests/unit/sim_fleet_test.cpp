// `sim fleet`'s pure parts: the plan (classes, phases, keys) deterministic for a seed, the value
// model (registers only grow, seasons and time of day), a virtual device answering commands as
// the agent does (open_until closing the valve at the limit), the keys file, the timer wheel and
// the limits check.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "core/envelope/envelope.hpp"
#include "core/sample/sample.hpp"
#include "core/topic/names.hpp"
#include "core/topic/topic.hpp"
#include "meter/drivers.hpp"
#include "sim/fleet.hpp"
#include "sim/fleet_device.hpp"
#include "sim/fleet_keys.hpp"
#include "sim/fleet_plan.hpp"
#include "sim/timer_wheel.hpp"

namespace ml::sim {
namespace {

namespace envelope = core::envelope;

constexpr std::int64_t kFleetJan15 = 1'768'435'200'000;  // 2026-01-15T00:00:00Z, ms
constexpr std::int64_t kFleetJul15 = 1'784'073'600'000;  // 2026-07-15T00:00:00Z, ms
constexpr const char* kFleetKeyHex = "ef500c9268cf749016d26d6cbfaaf7bf";

envelope::MasterKey test_key() {
  return envelope::parse_master_key(kFleetKeyHex).value();
}

FleetDevice make_device(FleetClass cls = FleetClass::normal, std::int64_t start_ms = kFleetJan15,
                        std::int64_t skew_s = 0, std::uint64_t index = 3) {
  FleetDeviceConfig c;
  c.serial = "9100003";
  c.cls = cls;
  c.key = cls == FleetClass::wrong_key ? fleet_wrong_key(7, index, test_key()) : test_key();
  c.skew_s = skew_s;
  c.installation = fleet_installation(7, index, start_ms, 600);
  c.version = std::make_shared<const std::string>("linux-1.0-KMP-THERMO_NC-DEBUG_STACK_TRACE");
  return FleetDevice(std::move(c), start_ms);
}

// A command as the server seals it: /config/v2/<serial>/<time>/<command>.
struct Sealed {
  std::string topic;
  core::Bytes payload;
};
Sealed command(const std::string& name, const std::string& argument, std::int64_t time_s,
               const std::string& serial = "9100003", const char* key = kFleetKeyHex) {
  const std::string topic = "/config/v2/" + serial + "/" + std::to_string(time_s) + "/" + name;
  static std::uint8_t counter = 0;
  envelope::Iv iv{};
  iv[0] = ++counter;  // a different IV per message: a different MAC
  auto keys = envelope::derive_keys_from_hex(key).value();
  return {topic, envelope::seal(keys, topic, iv, argument).value()};
}

FleetCommandOutcome ask(FleetDevice& d, const std::string& name, const std::string& argument,
                        std::int64_t wall_ms) {
  const auto c = command(name, argument, wall_ms / 1000);
  return d.on_command(c.topic, c.payload, wall_ms, wall_ms);
}

std::string text_of(const FleetCommandOutcome& o, const std::string& function) {
  for (const auto& r : o.replies) {
    if (r.function == function) return r.text;
  }
  return "<none>";
}

core::Decimal field(const std::string& text, const std::string& key) {
  auto parsed = core::sample::parse_sample(text);
  EXPECT_TRUE(parsed) << text;
  const auto* f = parsed ? parsed->find(key) : nullptr;
  EXPECT_TRUE(f && f->value) << key << " in " << text;
  return f && f->value ? *f->value : core::Decimal{};
}

// The sample text among a device's messages, or "".
std::string sample_text(const std::vector<FleetMessage>& messages) {
  for (const auto& m : messages) {
    if (m.function == "sample") return m.text;
  }
  return "";
}

// ---- the plan ----

TEST(FleetPlan, ClassesAreDeterministicForASeedAndFollowTheShares) {
  FleetShares shares;
  shares.dead = 0.05;
  shares.silent = 0.1;
  shares.wrong_key = 0.15;
  shares.skewed = 0.2;
  std::map<FleetClass, int> count;
  constexpr int kDevices = 20000;
  for (int i = 0; i < kDevices; ++i) {
    const FleetClass c = fleet_class(42, static_cast<std::uint64_t>(i), shares);
    EXPECT_EQ(c, fleet_class(42, static_cast<std::uint64_t>(i), shares)) << i;
    ++count[c];
  }
  const auto near = [&](FleetClass c, double share) {
    EXPECT_NEAR(count[c] / double(kDevices), share, 0.01) << fleet_class_name(c);
  };
  near(FleetClass::dead, 0.05);
  near(FleetClass::silent, 0.1);
  near(FleetClass::wrong_key, 0.15);
  near(FleetClass::skewed, 0.2);
  near(FleetClass::normal, 0.5);
  // Another seed, another plan (of the same shape).
  int differ = 0;
  for (int i = 0; i < 1000; ++i) {
    differ += fleet_class(42, static_cast<std::uint64_t>(i), shares) !=
              fleet_class(43, static_cast<std::uint64_t>(i), shares);
  }
  EXPECT_GT(differ, 100);
  // Nothing asked for: everybody is normal.
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(fleet_class(42, static_cast<std::uint64_t>(i), {}), FleetClass::normal);
}

TEST(FleetPlan, SharesAreChecked) {
  FleetShares s;
  s.silent = 0.6;
  s.wrong_key = 0.6;
  auto r = check_shares(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text().find("add up to"), std::string::npos) << r.error().text();
  s.wrong_key = -0.1;
  EXPECT_FALSE(check_shares(s));
  s.wrong_key = 0.4;
  EXPECT_TRUE(check_shares(s));
  s.skew_s = kMaxClockSkewSeconds + 1;
  EXPECT_FALSE(check_shares(s));
}

TEST(FleetPlan, PhasesSpreadEvenlyOverTheInterval) {
  std::set<std::int64_t> phases;
  for (std::uint64_t i = 0; i < 600; ++i) {
    const auto p = fleet_phase_ms(i, 600, 60'000);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, 60'000);
    phases.insert(p);
  }
  EXPECT_EQ(phases.size(), 600u);
  EXPECT_EQ(fleet_phase_ms(1, 600, 60'000), 100);
  EXPECT_EQ(fleet_phase_ms(599, 600, 60'000), 59'900);
}

TEST(FleetPlan, InstallationsAndWrongKeysDifferPerDeviceAndRepeatPerSeed) {
  const auto a = fleet_installation(7, 1, kFleetJan15, 600);
  const auto b = fleet_installation(7, 2, kFleetJan15, 600);
  EXPECT_NE(a.seed, b.seed);
  EXPECT_NE(a.energy_mwh, b.energy_mwh);
  EXPECT_EQ(a.energy_mwh, fleet_installation(7, 1, kFleetJan15, 600).energy_mwh);
  EXPECT_GE(a.energy_mwh, 5'000'000'000u);
  EXPECT_LE(a.energy_mwh, 50'001'000'000u);
  EXPECT_EQ(a.seasonal_amplitude_pm, 600);
  const auto real = test_key();
  const auto wrong = fleet_wrong_key(7, 1, real);
  EXPECT_NE(wrong, real);
  EXPECT_EQ(wrong, fleet_wrong_key(7, 1, real));
  EXPECT_NE(wrong, fleet_wrong_key(7, 2, real));
}

// ---- the value model ----

// A device sampled every 10 minutes for `days` from `start_ms`: the sample texts.
std::vector<std::string> samples_over(std::int64_t start_ms, int days) {
  FleetDevice d = make_device(FleetClass::normal, start_ms);
  std::vector<std::string> out;
  for (std::int64_t t = start_ms; t <= start_ms + days * 86'400'000LL; t += 600'000) {
    out.push_back(sample_text(d.sample(t, t)));
    EXPECT_FALSE(out.back().empty());
  }
  return out;
}

TEST(FleetModel, RegistersOnlyGrowAndTemperaturesAreConsistent) {
  const auto texts = samples_over(kFleetJan15, 3);
  core::Decimal e1, v1, hr;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const auto& t = texts[i];
    const auto e = field(t, "e1"), v = field(t, "v1"), h = field(t, "hr");
    if (i > 0) {
      EXPECT_LE(core::compare(e1, e), 0) << t;
      EXPECT_LE(core::compare(v1, v), 0) << t;
      EXPECT_LE(core::compare(hr, h), 0) << t;
    }
    e1 = e, v1 = v, hr = h;
    const auto t1 = field(t, "t1"), t2 = field(t, "t2"), tdif = field(t, "tdif");
    EXPECT_GT(core::compare(t1, t2), 0) << t;
    EXPECT_EQ(core::compare(core::difference(t1, t2).value(), tdif), 0) << t;
  }
  EXPECT_LT(core::compare(field(texts.front(), "e1"), field(texts.back(), "e1")), 0)
      << "three January days use energy";
  // The sample is the KMP agent's: heap first, the keys in the original's order.
  EXPECT_EQ(texts.front().rfind("heap=21376&t1=", 0), 0u) << texts.front();
  EXPECT_NE(texts.front().find(" kWh&"), std::string::npos) << texts.front();
}

// The mean of a field over texts, as a double (for comparisons only).
double mean(const std::vector<std::string>& texts, const std::string& key) {
  double sum = 0;
  for (const auto& t : texts)
    sum += std::stod(field(t, key).to_string());
  return sum / static_cast<double>(texts.size());
}

TEST(FleetModel, HeatFollowsTheSeasonAndTheTimeOfDay) {
  const auto january = samples_over(kFleetJan15, 2);
  const auto july = samples_over(kFleetJul15, 2);
  EXPECT_GT(mean(january, "effect1"), 2 * mean(july, "effect1"));
  EXPECT_GT(mean(january, "flow1"), 2 * mean(july, "flow1"));
  // Within a day: 07:00-08:00 (a morning peak) against 02:00-03:00 (night).
  std::vector<std::string> morning, night;
  for (std::size_t i = 0; i < january.size(); ++i) {
    const std::int64_t hour = (static_cast<std::int64_t>(i) * 10 / 60) % 24;
    if (hour == 7) morning.push_back(january[i]);
    if (hour == 2) night.push_back(january[i]);
  }
  ASSERT_FALSE(morning.empty());
  ASSERT_FALSE(night.empty());
  EXPECT_GT(mean(morning, "flow1"), 1.5 * mean(night, "flow1"));
}

TEST(FleetModel, SilentDevicesSendNoSampleAndSkewedOnesTheirOwnTime) {
  FleetDevice silent = make_device(FleetClass::silent);
  EXPECT_TRUE(silent.sample(kFleetJan15 + 60'000, kFleetJan15 + 60'000).empty());
  FleetDevice skewed = make_device(FleetClass::skewed, kFleetJan15, 3600);
  const auto m = skewed.sample(kFleetJan15 + 60'000, kFleetJan15 + 60'000);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].time, kFleetJan15 / 1000 + 60 + 3600);
}

// ---- commands ----

TEST(FleetDevice, AnswersQueriesAsTheAgent) {
  FleetDevice d = make_device();
  const std::int64_t now = kFleetJan15 + 125'000;
  EXPECT_EQ(text_of(ask(d, "version", "1", now), "version"),
            "linux-1.0-KMP-THERMO_NC-DEBUG_STACK_TRACE");
  EXPECT_EQ(text_of(ask(d, "ping", "1", now), "ping"), "");
  EXPECT_EQ(text_of(ask(d, "uptime", "1", now), "uptime"), "125");
  EXPECT_EQ(text_of(ask(d, "status", "1", now), "status"), "open");
  EXPECT_EQ(text_of(ask(d, "mem", "1", now), "mem"), "heap=21376");
  EXPECT_EQ(text_of(ask(d, "rssi", "1", now), "rssi"), "31");
  EXPECT_EQ(text_of(ask(d, "ap_status", "1", now), "ap_status"), "stopped");
  EXPECT_EQ(text_of(ask(d, "reset_reason", "1", now), "reset_reason").rfind("reason=0&", 0), 0u);
  EXPECT_EQ(text_of(ask(d, "set_cron", "minute=0&hour=6&command=close", now), "set_cron"),
            "minute=0&hour=6&command=close");
  EXPECT_EQ(text_of(ask(d, "cron", "1", now), "cron"), "1");
  EXPECT_EQ(text_of(ask(d, "clear_cron", "1", now), "clear_cron"), "");
  EXPECT_EQ(text_of(ask(d, "set_ssid_pwd", "ssid=home&pwd=secret", now), "set_ssid_pwd"),
            "ssid=home&pwd=secret");
  EXPECT_EQ(text_of(ask(d, "ssid", "1", now), "ssid"), "home");
  EXPECT_NE(
      text_of(ask(d, "network_quality", "1", now), "network_quality").find("disconnect_count=0"),
      std::string::npos);
  // What a connection announces, as the agent: version, uptime, reset_reason, status.
  std::vector<std::string> functions;
  for (const auto& m : d.on_connect(now))
    functions.push_back(m.function);
  EXPECT_EQ(functions, (std::vector<std::string>{"version", "uptime", "reset_reason", "status"}));
  // Replies carry the device's clock.
  EXPECT_EQ(ask(d, "ping", "1", now).replies.at(0).time, now / 1000);
  // A command a KMP build does not know is accepted and ignored, without a reply.
  auto save = ask(d, "save", "1", now);
  EXPECT_TRUE(save.rejected.empty());
  EXPECT_TRUE(save.ignored);
  EXPECT_TRUE(save.replies.empty());
  EXPECT_EQ(ask(d, "restart", "1", now).action, FleetAction::restart);
  EXPECT_EQ(ask(d, "reconnect", "1", now).action, FleetAction::reconnect);
}

TEST(FleetDevice, RefusesWhatTheAgentRefuses) {
  FleetDevice d = make_device();
  const std::int64_t now = kFleetJan15 + 10'000;
  const auto c = command("status", "1", now / 1000);
  EXPECT_TRUE(d.on_command(c.topic, c.payload, now, now).rejected.empty());
  EXPECT_EQ(d.on_command(c.topic, c.payload, now, now).rejected, "replay");
  const auto old = command("status", "1", now / 1000 - 1801);
  EXPECT_EQ(d.on_command(old.topic, old.payload, now, now).rejected, "too_old");
  const auto ahead = command("status", "1", now / 1000 + 1801);
  EXPECT_EQ(d.on_command(ahead.topic, ahead.payload, now, now).rejected, "too_new");
  const auto forged =
      command("open", "1", now / 1000, "9100003", "00112233445566778899aabbccddeeff");
  EXPECT_EQ(d.on_command(forged.topic, forged.payload, now, now).rejected, "envelope_bad_mac");
  const auto other = command("status", "1", now / 1000, "9100004");
  EXPECT_EQ(d.on_command(other.topic, other.payload, now, now).rejected, "wrong_serial");
  // A device with a wrong key cannot open what the server seals with the right one, and a
  // device whose clock is an hour ahead finds the server's commands too old.
  FleetDevice wrong = make_device(FleetClass::wrong_key);
  EXPECT_EQ(wrong.on_command(c.topic, c.payload, now, now).rejected, "envelope_bad_mac");
  EXPECT_NE(wrong.seal_keys().digest(), d.seal_keys().digest());
  FleetDevice skewed = make_device(FleetClass::skewed, kFleetJan15, 3600);
  const auto fresh = command("status", "1", now / 1000);
  EXPECT_EQ(skewed.on_command(fresh.topic, fresh.payload, now, now).rejected, "too_old");
}

TEST(FleetDevice, OpenUntilClosesTheValveWhenTheEnergyReachesTheLimit) {
  FleetDevice d = make_device();
  std::int64_t t = kFleetJan15 + 60'000;
  const auto first = field(sample_text(d.sample(t, t)), "e1");
  const std::string limit = std::to_string(first.mantissa + 3);  // kWh, 0 decimals
  auto o = ask(d, "open_until", limit, t);
  EXPECT_EQ(text_of(o, "open_until"), limit);
  EXPECT_EQ(text_of(o, "status"), "open");
  ASSERT_EQ(o.replies.size(), 2u);
  EXPECT_EQ(o.replies[0].function, "open_until");  // the limit first, then the status
  // Sample every minute until the valve closes by itself.
  bool closed = false;
  core::Decimal at_close;
  for (int i = 0; i < 24 * 60 && !closed; ++i) {
    t += 60'000;
    const auto m = d.sample(t, t);
    const std::string text = sample_text(m);
    ASSERT_FALSE(text.empty());
    for (const auto& x : m) {
      if (x.function == "status") {
        EXPECT_EQ(x.text, "close");
        closed = true;
        at_close = field(text, "e1");
      }
    }
    if (!closed) {
      EXPECT_LT(core::compare(field(text, "e1"), core::Decimal::parse(limit).value()), 0);
    }
  }
  ASSERT_TRUE(closed) << "a day of January heating uses 3 kWh";
  EXPECT_GE(core::compare(at_close, core::Decimal::parse(limit).value()), 0);
  EXPECT_FALSE(d.valve().open);
  EXPECT_EQ(text_of(ask(d, "status", "1", t), "status"), "close");
  // Closed: no flow, so the energy stands still.
  t += 3'600'000;
  const std::string later = sample_text(d.sample(t, t));
  EXPECT_EQ(core::compare(field(later, "e1"), at_close), 0) << later;
  EXPECT_EQ(field(later, "flow1").to_string(), "0");
  // open_until_delta: the reading plus the amount; the reply is what is left.
  o = ask(d, "open_until_delta", "5", t);
  EXPECT_EQ(text_of(o, "open_until_delta"), "5");
  EXPECT_EQ(text_of(o, "status"), "open");
  EXPECT_TRUE(d.valve().open);
  // A negative or bad amount changes nothing, and says the limit as it stands.
  o = ask(d, "open_until", "-3", t);
  EXPECT_EQ(text_of(o, "open_until"), d.valve().limit.to_string());
  t += 3'600'000;
  EXPECT_LT(core::compare(at_close, field(sample_text(d.sample(t, t)), "e1")), 0)
      << "open again: the energy grows";
  // close and open without a reply of their own; status tells.
  EXPECT_TRUE(ask(d, "close", "1", t).replies.empty());
  EXPECT_FALSE(d.valve().open);
  EXPECT_TRUE(ask(d, "open", "1", t).replies.empty());
  EXPECT_TRUE(d.valve().open);
}

TEST(FleetDevice, SetKeySwitchesKeysAndKeepsTheOldOneForAWhile) {
  FleetDevice d = make_device();
  const std::int64_t now = kFleetJan15 + 10'000;
  const std::string next = "00112233445566778899aabbccddeeff";
  auto o = ask(d, "set_key", next, now);
  EXPECT_EQ(text_of(o, "set_key"), "ok");
  EXPECT_EQ(d.seal_keys().digest(), envelope::derive_keys_from_hex(next).value().digest());
  // The new key opens commands; so does the old one during the grace period.
  const auto with_new = command("ping", "1", now / 1000, "9100003", next.c_str());
  EXPECT_TRUE(d.on_command(with_new.topic, with_new.payload, now, now).rejected.empty());
  const auto with_old = command("ping", "1", now / 1000);
  EXPECT_TRUE(d.on_command(with_old.topic, with_old.payload, now, now).rejected.empty());
}

TEST(FleetDevice, EveryCommandTheDeviceObeysHasAHandler) {
  const auto& driver = meter::driver_of(core::sample::MeterKind::kmp);
  for (const auto& c : core::topic::kCommands) {
    if (!c.over_mqtt() || !meter::obeys(driver, c.name)) continue;
    EXPECT_TRUE(FleetDevice::handles(c.name)) << c.name;
  }
  for (std::string_view name : FleetDevice::handled_commands()) {
    const auto* info = core::topic::find_command(name);
    ASSERT_NE(info, nullptr) << name;
    // A reply goes on the command's own function, and so must be one the server subscribes to.
    if (!info->reply.empty()) {
      EXPECT_NE(core::topic::find_device_function(info->reply), nullptr) << name;
    }
  }
}

// ---- the keys file ----

TEST(FleetKeys, WhatIsWrittenReadsBack) {
  std::vector<FleetMeter> meters;
  auto serials = fleet_serials(9000000, 3).value();
  for (std::size_t i = 0; i < serials.size(); ++i) {
    FleetMeter m;
    m.serial = serials[i];
    m.key[0] = static_cast<std::uint8_t>(i + 1);
    meters.push_back(m);
  }
  const std::string text = format_fleet_keys(meters, "north, block 2");
  EXPECT_EQ(text.substr(0, text.find('\n')), kFleetKeysHeader);
  EXPECT_NE(text.find("9000000,heat,01000000000000000000000000000000,Fleet 9000000,"
                      "\"north, block 2\",,on\n"),
            std::string::npos)
      << text;
  auto back = parse_fleet_keys(text);
  ASSERT_TRUE(back) << back.error().text();
  EXPECT_EQ(*back, meters);
  EXPECT_FALSE(fleet_serials(4294967295, 2));
  EXPECT_TRUE(fleet_serials(4294967295, 1));
}

TEST(FleetKeys, ReadsWhatSpreadsheetsWrite) {
  const std::string text =
      "\xEF\xBB\xBF"
      "Key;Serial;Kind\r\n"
      "\r\n"
      " \"EF500C9268CF749016D26D6CBFAAF7BF\" ; 40 ; Heat\r\n"
      ";;\r\n"
      "ef500c9268cf749016d26d6cbfaaf7be;\"ABC-1\";\r\n";
  auto m = parse_fleet_keys(text);
  ASSERT_TRUE(m) << m.error().text();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].serial, "0000040");  // canonical, as the server keys it
  EXPECT_EQ((*m)[0].key, test_key());
  EXPECT_EQ((*m)[1].serial, "ABC-1");
}

TEST(FleetKeys, EveryProblemNamesItsLine) {
  const auto problem = [](const std::string& text) {
    auto r = parse_fleet_keys(text);
    return r ? std::string("<ok>") : r.error().text();
  };
  EXPECT_NE(problem("serial,kind\n1,heat\n").find("serial and key"), std::string::npos);
  EXPECT_NE(problem("serial,key\n1,xyz\n").find("line 2: key"), std::string::npos);
  EXPECT_NE(problem(std::string("serial,key\n1,") + kFleetKeyHex + "\n1," + kFleetKeyHex + "\n")
                .find("line 3: serial 0000001 comes twice"),
            std::string::npos);
  EXPECT_NE(
      problem(std::string("serial,kind,key\n1,water,") + kFleetKeyHex + "\n").find("heat meters"),
      std::string::npos);
  EXPECT_NE(problem("serial,key\n\"1,2\n").find("not closed"), std::string::npos);
  EXPECT_NE(problem("").find("empty"), std::string::npos);
}

// ---- the timer wheel ----

TEST(FleetTimerWheel, FiresEachEntryOnceInOrderAndNeverEarly) {
  TimerWheel wheel(1000, 10, 16);  // 160 ms a revolution
  std::vector<std::pair<std::uint32_t, std::int64_t>> fired;
  const auto at = [&](std::int64_t now) {
    wheel.advance(now, [&](std::uint32_t id, std::uint32_t) { fired.emplace_back(id, now); });
  };
  wheel.schedule(1, 1055);  // tick 6 (rounded up)
  wheel.schedule(2, 1500);  // three revolutions ahead
  wheel.schedule(3, 1020);
  wheel.schedule(4, 900);  // past: the next tick
  EXPECT_EQ(wheel.size(), 4u);
  at(1050);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].first, 4u);
  EXPECT_EQ(fired[1].first, 3u);
  at(1059);
  EXPECT_EQ(fired.size(), 2u) << "1055 is not due before 1060";
  at(1060);
  ASSERT_EQ(fired.size(), 3u);
  EXPECT_EQ(fired[2].first, 1u);
  at(1490);
  EXPECT_EQ(fired.size(), 3u);
  at(2000);
  ASSERT_EQ(fired.size(), 4u);
  EXPECT_EQ(fired[3].first, 2u);
  EXPECT_EQ(wheel.size(), 0u);
  // A callback may schedule again.
  wheel.schedule(5, 2010);
  wheel.advance(2010, [&](std::uint32_t id, std::uint32_t) {
    if (id == 5) wheel.schedule(6, 2000);
    fired.emplace_back(id, 2010);
  });
  wheel.advance(2020, [&](std::uint32_t id, std::uint32_t) { fired.emplace_back(id, 2020); });
  ASSERT_EQ(fired.size(), 6u);
  EXPECT_EQ(fired[5].first, 6u);
}

// ---- limits and addresses ----

TEST(FleetLimits, SaysWhatToDoWhenTheMachineIsTooSmall) {
  FleetLimits l;
  l.open_files = 20000;
  l.open_files_hard = 20000;
  l.local_ports = 28232;
  EXPECT_TRUE(check_fleet_limits(19000, 0, l));
  auto files = check_fleet_limits(100000, 4, l);
  ASSERT_FALSE(files);
  EXPECT_NE(files.error().text().find("at most 19936 devices per process"), std::string::npos)
      << files.error().text();
  l.open_files = l.open_files_hard = 1'000'000;
  auto ports = check_fleet_limits(100000, 1, l);
  ASSERT_FALSE(ports);
  EXPECT_NE(ports.error().text().find("at least 4 --source-addresses"), std::string::npos)
      << ports.error().text();
  EXPECT_TRUE(check_fleet_limits(100000, 4, l));
}

TEST(FleetLimits, SourceAddressesAndRanges) {
  auto a = expand_source_addresses("127.0.0.1,127.0.1.254-127.0.2.1");
  ASSERT_TRUE(a) << a.error().text();
  EXPECT_EQ(*a, (std::vector<std::string>{"127.0.0.1", "127.0.1.254", "127.0.1.255", "127.0.2.0",
                                          "127.0.2.1"}));
  EXPECT_FALSE(expand_source_addresses("127.0.0.9-127.0.0.1"));
  EXPECT_FALSE(expand_source_addresses("localhost"));
  EXPECT_FALSE(expand_source_addresses("127.0.0.1,,127.0.0.2"));
  EXPECT_FALSE(expand_source_addresses("10.0.0.0-10.1.0.0"));  // more than 4096
}

}  // namespace
}  // namespace ml::sim
