// The meter driver table (src/meter/drivers.hpp): every row well formed, names unique and
// round-tripping, the capabilities each driver has, its sample keys, and which commands a meter
// of each driver obeys.
#include "meter/drivers.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <optional>
#include <set>
#include <string>

#include "core/sample/sample.hpp"
#include "core/topic/names.hpp"
#include "platform/serial/link.hpp"
#include "sim/kmp_emulator.hpp"
#include "sim_support.hpp"

namespace ml {
namespace {

using core::sample::MeterKind;
using meter::Driver;

constexpr MeterKind kAllKinds[] = {MeterKind::kmp, MeterKind::mc66c, MeterKind::mc66b,
                                   MeterKind::pulse_electricity, MeterKind::pulse_water};

TEST(Drivers, EveryRowIsWellFormed) {
  std::set<std::string_view> names;
  for (const Driver& d : meter::kDrivers) {
    const std::string_view n = meter::name(d);
    EXPECT_FALSE(n.empty());
    EXPECT_TRUE(names.insert(n).second) << n << " twice";
    EXPECT_FALSE(d.model.empty()) << n;
    EXPECT_FALSE(d.product.empty()) << n;
    EXPECT_FALSE(d.description.empty()) << n;
    EXPECT_FALSE(d.emulator.empty()) << n;
    // A serial link is read by the driver; a pulse input is counted by the agent.
    EXPECT_EQ(d.link == meter::Link::serial_port, d.read != nullptr) << n;
    // Without a serial to read, the configuration must give it (it names the MQTT topics).
    if (d.link == meter::Link::pulse_input) {
      EXPECT_FALSE(d.serial_number) << n;
    }
    // The flow kind is the kind itself unless the driver has a flow-meter mode.
    if (!d.flow_meter_mode) {
      EXPECT_EQ(d.flow_kind, d.kind) << n;
    }
  }
}

TEST(Drivers, NamesRoundTrip) {
  for (const Driver& d : meter::kDrivers) {
    const Driver* found = meter::find_driver(meter::name(d));
    ASSERT_NE(found, nullptr) << meter::name(d);
    EXPECT_EQ(found, &d);
    EXPECT_EQ(&meter::driver_of(d.kind), &d);
    EXPECT_EQ(&meter::driver_of(d.flow_kind), &d);
  }
  EXPECT_EQ(meter::find_driver("KMP"), nullptr);
  EXPECT_EQ(meter::find_driver(""), nullptr);
  // A flow variant is configured as its driver with flow_meter = true.
  EXPECT_EQ(meter::find_driver("pulse_water"), nullptr);
  EXPECT_EQ(meter::driver_names(), "kmp, mc66c, mc66b or pulse");
  EXPECT_EQ(meter::driver_names(meter::Link::serial_port), "kmp, mc66c or mc66b");
}

TEST(Drivers, EveryReadingKindHasADriver) {
  for (MeterKind k : kAllKinds) {
    const Driver& d = meter::driver_of(k);
    EXPECT_TRUE(d.kind == k || d.flow_kind == k) << core::sample::meter_kind_name(k);
  }
  EXPECT_EQ(meter::name(meter::driver_of(MeterKind::pulse_water)), "pulse");
}

TEST(Drivers, WhatEachMeterMeasures) {
  using core::meter::Kind;
  EXPECT_EQ(meter::measures(*meter::find_driver("kmp"), false), Kind::heat);
  EXPECT_EQ(meter::measures(*meter::find_driver("mc66c"), false), Kind::heat);
  EXPECT_EQ(meter::measures(*meter::find_driver("mc66b"), false), Kind::heat);
  EXPECT_EQ(meter::measures(*meter::find_driver("pulse"), false), Kind::electricity);
  for (const Driver& d : meter::kDrivers) {
    EXPECT_EQ(meter::measures(d, true), Kind::water) << meter::name(d);
  }
}

TEST(Drivers, ValveAndCronFollowTheMeterKind) {
  for (const Driver& d : meter::kDrivers) {
    const bool heat = d.measures == core::meter::Kind::heat;
    EXPECT_EQ(meter::has_valve(d), core::meter::info(d.measures).valve) << meter::name(d);
    EXPECT_EQ(meter::has_valve(d), heat) << meter::name(d);
    EXPECT_EQ(meter::has_cron(d), meter::has_valve(d)) << meter::name(d);
  }
  EXPECT_FALSE(meter::has_valve(*meter::find_driver("pulse")));
  EXPECT_TRUE(meter::has_valve(*meter::find_driver("kmp")));
}

TEST(Drivers, SerialNumbersAndModels) {
  EXPECT_TRUE(meter::find_driver("kmp")->serial_number);
  EXPECT_TRUE(meter::find_driver("mc66c")->serial_number);
  EXPECT_TRUE(meter::find_driver("mc66b")->serial_number);
  EXPECT_FALSE(meter::find_driver("pulse")->serial_number);
  EXPECT_EQ(meter::find_driver("kmp")->model, "KMP");
  EXPECT_EQ(meter::find_driver("mc66c")->model, "MC");
  EXPECT_EQ(meter::find_driver("mc66b")->model, "MC_B");
  EXPECT_EQ(meter::find_driver("pulse")->model, "IMPULSE");
  EXPECT_EQ(meter::find_driver("pulse")->flow_kind, MeterKind::pulse_water);
}

TEST(Drivers, SampleKeysAreTheSampleFormatsKeys) {
  for (const Driver& d : meter::kDrivers) {
    for (bool flow : {false, true}) {
      const auto keys = meter::sample_keys(d, flow);
      const auto expected = core::sample::sample_keys(flow ? d.flow_kind : d.kind, flow);
      ASSERT_EQ(keys.size(), expected.size()) << meter::name(d);
      EXPECT_TRUE(std::equal(keys.begin(), keys.end(), expected.begin())) << meter::name(d);
      EXPECT_FALSE(keys.empty()) << meter::name(d);
    }
  }
  const auto water = meter::sample_keys(*meter::find_driver("pulse"), true);
  EXPECT_NE(std::find(water.begin(), water.end(), "v1"), water.end());
  const auto power = meter::sample_keys(*meter::find_driver("pulse"), false);
  EXPECT_NE(std::find(power.begin(), power.end(), "e1"), power.end());
}

TEST(Drivers, CommandsObeyedPerDriver) {
  const Driver& kmp = *meter::find_driver("kmp");
  const Driver& pulse = *meter::find_driver("pulse");
  for (const auto& c : core::topic::kCommands) {
    if (!c.over_mqtt()) {  // cron's own (off, test): never obeyed from the server
      for (const Driver& d : meter::kDrivers)
        EXPECT_FALSE(meter::obeys(d, c.name)) << c.name;
      continue;
    }
    EXPECT_TRUE(meter::obeys(kmp, c.name)) << c.name;  // a valve build obeys every command
    const bool valve_or_cron =
        c.feature == core::topic::Feature::valve || c.feature == core::topic::Feature::cron;
    EXPECT_EQ(meter::obeys(pulse, c.name), !valve_or_cron) << c.name;
  }
  for (const char* c : {"open", "close", "status", "open_until", "open_until_delta", "set_cron",
                        "cron", "clear_cron"}) {
    EXPECT_FALSE(meter::obeys(pulse, c)) << c;
    EXPECT_TRUE(meter::obeys(kmp, c)) << c;
  }
  for (const char* c : {"ping", "version", "restart", "start_ap", "set_ssid_pwd"}) {
    EXPECT_TRUE(meter::obeys(pulse, c)) << c;
  }
  // Not in the firmware's command table: ignored by every driver.
  for (const Driver& d : meter::kDrivers) {
    EXPECT_FALSE(meter::obeys(d, "save")) << meter::name(d);
    EXPECT_FALSE(meter::obeys(d, "Ping")) << meter::name(d);
    EXPECT_FALSE(meter::obeys(d, "")) << meter::name(d);
  }
}

// The KMP driver's read, as the agent and `meterlogger read` call it, against the emulator: the
// protocol's reply and the sample's Reading with the serial the meter reports.
TEST(Drivers, KmpReadGivesTheReplyAndTheSample) {
  test::TempDir dir;
  test::Running<sim::KmpEmulator> meter(test::kmp_test_options(dir), dir.file("ctl"));
  const Driver& kmp = *meter::find_driver("kmp");
  ASSERT_NE(kmp.read, nullptr);
  asio::io_context io;
  std::optional<core::Result<meter::MeterRead>> got;
  meter::LinkStats stats;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto link = co_await platform::open_link(dir.file("tty"));
        if (!link) {
          got.emplace(link.error());
          co_return;
        }
        meter::Session session(**link, stats, nullptr);
        got.emplace(co_await kmp.read(session, meter::ReadOptions{}));
      },
      asio::detached);
  io.run();
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(*got) << got->error().text();
  const meter::MeterRead& r = **got;
  ASSERT_TRUE(std::holds_alternative<meter::KmpReading>(r.detail));
  EXPECT_EQ(std::get<meter::KmpReading>(r.detail).registers.size(), 8u);
  ASSERT_TRUE(r.sample) << r.sample.error().text();
  EXPECT_EQ(r.sample->serial, "6892850");
  EXPECT_EQ(r.sample->kind, MeterKind::kmp);
  for (std::string_view key : meter::sample_keys(kmp, false)) {
    EXPECT_TRUE(r.sample->values.contains(key)) << key;
  }
  EXPECT_TRUE(core::sample::format_sample(*r.sample));
  EXPECT_GE(stats.replies_ok, 2u);  // GetSerialNo and GetRegister
}

}  // namespace
}  // namespace ml
