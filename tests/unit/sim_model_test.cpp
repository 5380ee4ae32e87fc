// The emulators' pure parts: installation model, simulated clock, KMP register formats per model,
// MULTICAL 66 readout and data strings, request scanner, faults plan, line checks.
#include <gtest/gtest.h>

#include <set>

#include "core/iec62056/mc66.hpp"
#include "core/iec62056/readout.hpp"
#include "core/kmp/messages.hpp"
#include "core/kmp/registers.hpp"
#include "sim/faults.hpp"
#include "sim/installation.hpp"
#include "sim/kmp_meter.hpp"
#include "sim/line_check.hpp"
#include "sim/mc66_meter.hpp"
#include "sim/quantities.hpp"
#include "sim/sim_clock.hpp"

namespace ml::sim {
namespace {

using core::Decimal;
using core::LineSettings;
using core::Parity;

constexpr std::int64_t kModelStart = 1'736'920'800'000;  // 2025-01-15T06:00:00Z
constexpr std::int64_t kHour = 3'600'000;

Installation fixed_installation(std::uint64_t seed = 7) {
  Installation inst(InstallationConfig{seed, kModelStart, 0, 0, 0});
  Overrides o;
  o.t1_cc = 7000;
  o.t2_cc = 4000;
  o.flow_lph = 360;
  inst.set_overrides(o);
  return inst;
}

TEST(SimInstallation, IntegratesEnergyVolumeAndHoursExactly) {
  Installation inst = fixed_installation();
  const Instant v = inst.instant_at(kModelStart);
  EXPECT_EQ(v.tdif_cc, 3000);
  // 360 l/h x 30.00 K x 1.163 = 12560.4 W -> 12560 W
  EXPECT_EQ(v.power_w, 12560u);
  inst.advance_to(kModelStart + kHour);
  const Totals& t = inst.totals();
  EXPECT_EQ(t.periods, 1000u);              // 3600 s / 3.6 s
  EXPECT_EQ(t.energy_mwh, 12560u * 1000u);  // 12.56 kWh exactly
  EXPECT_EQ(t.volume_ml, 360u * 1000u);     // 360 l exactly
  EXPECT_EQ(t.operating_ds, 36000u);        // one hour
  EXPECT_EQ(t.e8, 360u * 1000u * 7000u);    // m3 x T1 in 1e-8 m3 C
  // A period that has not ended is not counted.
  Installation partial = fixed_installation();
  partial.advance_to(kModelStart + kHour - 1);
  EXPECT_EQ(partial.totals().periods, 999u);
  // Advancing in small steps gives the same totals as one big step.
  Installation steps = fixed_installation();
  for (std::int64_t t_ms = kModelStart; t_ms <= kModelStart + kHour; t_ms += 777)
    steps.advance_to(t_ms);
  steps.advance_to(kModelStart + kHour);
  EXPECT_EQ(steps.totals(), t);
}

TEST(SimInstallation, DeterministicForASeedAndConsistent) {
  Installation a(InstallationConfig{42, kModelStart, 1, 2, 3});
  Installation b(InstallationConfig{42, kModelStart, 1, 2, 3});
  Installation c(InstallationConfig{43, kModelStart, 1, 2, 3});
  bool differs = false;
  for (std::int64_t t = kModelStart; t < kModelStart + 48 * kHour; t += 600'000) {
    const Instant x = a.instant_at(t);
    EXPECT_EQ(x, b.instant_at(t));
    differs = differs || !(x == c.instant_at(t));
    EXPECT_EQ(x.tdif_cc, x.t1_cc - x.t2_cc);
    EXPECT_EQ(x.power_w, heat_power_w(x.flow_lph, x.tdif_cc));
    EXPECT_GE(x.t1_cc, 6000);
    EXPECT_LE(x.t1_cc, 8500);
    EXPECT_GE(x.t2_cc, 3000);
    EXPECT_LT(x.t2_cc, x.t1_cc);
    EXPECT_GE(x.flow_lph, 30u);
    EXPECT_LE(x.flow_lph, 600u);
  }
  EXPECT_TRUE(differs);
  a.advance_to(kModelStart + 5 * kHour);
  b.advance_to(kModelStart + 5 * kHour);
  EXPECT_EQ(a.totals(), b.totals());
  EXPECT_GT(a.totals().energy_mwh, 1u);
}

TEST(SimInstallation, PowerOverrideDrivesEnergyAndFlow) {
  Installation inst = fixed_installation();
  Overrides o = inst.overrides();
  o.flow_lph.reset();
  o.power_w = 10'000;
  inst.set_overrides(o);
  const Instant v = inst.instant_at(kModelStart);
  EXPECT_EQ(v.power_w, 10'000u);
  EXPECT_EQ(v.flow_lph, 287u);  // 10 kW / (30 K x 1.163)
  inst.advance_to(kModelStart + 36'000);
  EXPECT_EQ(inst.totals().energy_mwh, 100'000u);  // 10 periods x 10000 mWh
}

TEST(SimInstallation, SeasonsAreOptInAndFollowTheYear) {
  constexpr std::int64_t kJan14 = 20832;  // 2027-01-14
  constexpr std::int64_t kJul15 = 21014;  // 2027-07-15
  EXPECT_EQ(seasonal_factor_pm(kJan14, 0), 1000);
  EXPECT_EQ(seasonal_factor_pm(kJul15, 0), 1000);
  EXPECT_GE(seasonal_factor_pm(kJan14, 800), 1790);
  EXPECT_LE(seasonal_factor_pm(kJan14, 800), 1800);
  EXPECT_GE(seasonal_factor_pm(kJul15, 800), 200);
  EXPECT_LE(seasonal_factor_pm(kJul15, 800), 215);
  // Spring and autumn equinoxes: about 1000.
  EXPECT_NEAR(seasonal_factor_pm(kJan14 + 91, 800), 1000, 30);
  EXPECT_NEAR(seasonal_factor_pm(kJan14 + 274, 800), 1000, 30);
  // A full amplitude reaches 0 in summer, never below.
  EXPECT_GE(seasonal_factor_pm(kJul15, 1000), 0);
  EXPECT_LE(seasonal_factor_pm(kJul15, 1000), 20);
  // Before 1970 too.
  EXPECT_GE(seasonal_factor_pm(-351, 800), 1790);  // 1969-01-15

  // Off (the default), a day's energy is what it always was; on, January uses more and July
  // less, with the same seed.
  auto day_energy = [](std::int64_t day, std::int32_t amplitude) {
    InstallationConfig c;
    c.seed = 7;
    c.start_ms = day * 86'400'000;
    c.seasonal_amplitude_pm = amplitude;
    Installation inst(c);
    inst.advance_to(c.start_ms + 86'400'000);
    return inst.totals().energy_mwh;
  };
  const auto plain_jan = day_energy(kJan14, 0);
  const auto plain_jul = day_energy(kJul15, 0);
  InstallationConfig defaults;
  EXPECT_EQ(defaults.seasonal_amplitude_pm, 0);
  EXPECT_GT(day_energy(kJan14, 800), plain_jan * 17 / 10);
  EXPECT_LT(day_energy(kJul15, 800), plain_jul * 3 / 10);
  Installation a(InstallationConfig{7, kJan14 * 86'400'000, 0, 0, 0, 0});
  Installation b(InstallationConfig{7, kJan14 * 86'400'000, 0, 0, 0});
  EXPECT_EQ(a.profile_flow(kJan14 * 86'400'000 + 3'600'000),
            b.profile_flow(kJan14 * 86'400'000 + 3'600'000));
}

TEST(SimClock, ScalesFreezesAndStaysContinuous) {
  const auto w0 = WallClock::now();
  SimClock c(kModelStart, 10, w0);
  EXPECT_EQ(c.at(w0 + std::chrono::seconds(1)), kModelStart + 10'000);
  c.set_scale(1, w0 + std::chrono::seconds(1));
  EXPECT_EQ(c.at(w0 + std::chrono::seconds(2)), kModelStart + 11'000);
  c.set_frozen(true, w0 + std::chrono::seconds(2));
  EXPECT_EQ(c.at(w0 + std::chrono::seconds(100)), kModelStart + 11'000);
  c.set_frozen(false, w0 + std::chrono::seconds(100));
  EXPECT_EQ(c.at(w0 + std::chrono::seconds(101)), kModelStart + 12'000);
  EXPECT_FALSE(time_scale_problem(0).empty());
  EXPECT_FALSE(time_scale_problem(2e6).empty());
  EXPECT_TRUE(time_scale_problem(3600).empty());
}

TEST(SimClock, CalendarHelpers) {
  EXPECT_EQ(iso_time(kModelStart), "2025-01-15T06:00:00.000Z");
  EXPECT_EQ(parse_time("2025-01-15T06:00:00Z").value(), kModelStart);
  EXPECT_EQ(parse_time("2025-01-15 06:00:00.250").value(), kModelStart + 250);
  EXPECT_EQ(parse_time("1736920800").value(), kModelStart);
  EXPECT_FALSE(parse_time("2025-02-30T00:00:00Z").ok());
  EXPECT_FALSE(parse_time("yesterday").ok());
  EXPECT_EQ(yymmdd(kModelStart), 250115u);
  EXPECT_EQ(hhmmss(kModelStart + 3'723'000), 70203u);
  EXPECT_EQ(yymmdd(unix_ms(CivilTime{2024, 2, 29, 23, 59, 59, 0})), 240229u);
  EXPECT_EQ(civil_time(unix_ms(CivilTime{1999, 12, 31, 1, 2, 3, 4})),
            (CivilTime{1999, 12, 31, 1, 2, 3, 4}));
}

TEST(SimQuantities, UnitsTruncateExactly) {
  const std::uint64_t mwh = 12'345'678'901;  // 12345.678901 kWh
  EXPECT_EQ(energy_value(mwh, EnergyUnit::kwh, 0).to_string(), "12345");
  EXPECT_EQ(energy_value(mwh, EnergyUnit::mwh, -3).to_string(), "12.345");
  EXPECT_EQ(energy_value(mwh, EnergyUnit::gj, -2).to_string(), "44.44");  // 44.444444 GJ
  EXPECT_EQ(energy_value(mwh, EnergyUnit::gcal, -3).to_string(), "10.615");
  EXPECT_EQ(volume_value(321'501'056, -2).to_string(), "321.50");
  EXPECT_EQ(volume_value(321'501'056, 1).to_string(), "320");  // counts in tens
  EXPECT_EQ(flow_value(1234, true, -2).to_string(), "1.23");
  EXPECT_EQ(power_value(14'070, false, -1).to_string(), "14.0");
  EXPECT_EQ(power_value(14'070, true, -3).to_string(), "0.014");
  EXPECT_EQ(centi(-2735).to_string(), "-27.35");
  EXPECT_EQ(scaled_integer("70.5", 2, true, "t1").value(), 7050);
  EXPECT_EQ(scaled_integer("-0.01", 2, true, "t1").value(), -1);
  EXPECT_FALSE(scaled_integer("70.555", 2, true, "t1").ok());
  EXPECT_FALSE(scaled_integer("-1", 2, false, "flow").ok());
  EXPECT_FALSE(scaled_integer("abc", 2, false, "flow").ok());
}

HeatState state_for(std::uint64_t mwh) {
  HeatState s;
  s.sim_ms = kModelStart;
  s.totals.energy_mwh = mwh;
  s.totals.volume_ml = 321'501'056;
  s.totals.operating_ds = 8760ULL * 36000 + 123;
  s.now.t1_cc = 7329;
  s.now.t2_cc = 3892;
  s.now.tdif_cc = 3437;
  s.now.t3_cc = -150;
  s.now.flow_lph = 352;
  s.now.power_w = 14'070;
  return s;
}

std::string value_of(const KmpMeter& m, std::uint16_t id, const HeatState& s,
                     std::uint8_t* unit = nullptr) {
  auto v = m.value(id, s);
  if (!v) return "(none)";
  if (unit) *unit = v->unit;
  return v->value.to_string();
}

TEST(SimKmpMeter, UnitsAndExponentsPerModel) {
  const HeatState s = state_for(12'345'678'901);
  KmpMeter mc601(KmpMeterConfig{KmpModel::mc601, 6892850, std::nullopt, 6892850});
  std::uint8_t unit = 0;
  EXPECT_EQ(value_of(mc601, 0x003C, s, &unit), "12345");
  EXPECT_EQ(unit, 0x02);  // kWh
  EXPECT_EQ(value_of(mc601, 0x0044, s, &unit), "321.50");
  EXPECT_EQ(unit, 0x28);  // m3
  EXPECT_EQ(value_of(mc601, 0x03EC, s, &unit), "8760");
  EXPECT_EQ(unit, 0x2E);
  EXPECT_EQ(value_of(mc601, 0x0056, s, &unit), "73.29");
  EXPECT_EQ(unit, 0x25);
  EXPECT_EQ(value_of(mc601, 0x0057, s), "38.92");
  EXPECT_EQ(value_of(mc601, 0x0059, s, &unit), "34.37");
  EXPECT_EQ(unit, 0x26);  // K
  EXPECT_EQ(value_of(mc601, 0x004A, s, &unit), "352");
  EXPECT_EQ(unit, 0x29);
  EXPECT_EQ(value_of(mc601, 0x0050, s, &unit), "14.0");
  EXPECT_EQ(unit, 0x16);
  EXPECT_EQ(value_of(mc601, 0x0058, s), "-1.50");
  EXPECT_EQ(value_of(mc601, 0x009B, s), "12345.67");
  EXPECT_EQ(value_of(mc601, 0x010A, s), "(none)");
  EXPECT_EQ(value_of(mc601, 0x03E9, s), "6892850");
  EXPECT_EQ(value_of(mc601, 0x03EB, s), "250115");
  EXPECT_EQ(value_of(mc601, 0x03EA, s), "60000");
  EXPECT_EQ(value_of(mc601, 0x0001, s), "(none)");  // electricity register

  KmpMeter mwh(KmpMeterConfig{KmpModel::mc602, 1, EnergyUnit::mwh, 1});
  EXPECT_EQ(value_of(mwh, 0x003C, s, &unit), "12.345");
  EXPECT_EQ(unit, 0x03);

  KmpMeter mc403(KmpMeterConfig{KmpModel::mc403, 1, std::nullopt, 1});
  EXPECT_EQ(value_of(mc403, 0x003C, s, &unit), "44.44");
  EXPECT_EQ(unit, 0x08);  // GJ
  EXPECT_EQ(value_of(mc403, 0x010A, s), "12345.678");
  EXPECT_EQ(value_of(mc403, 0x009B, s), "(none)");
  EXPECT_EQ(value_of(mc403, 0x005B, s), "(none)");  // no pressure sensors on a 403

  // Every heat register in the catalogue either has a value or is omitted on purpose.
  for (const auto& r : core::kmp::all_registers()) {
    if (r.family != core::kmp::MeterFamily::heat) continue;
    if (r.id == 0x00F3 || r.id == 0x010A) continue;  // not on a MULTICAL 601
    EXPECT_TRUE(mc601.value(r.id, s).has_value()) << r.name;
  }
}

core::kmp::Frame request_frame(const core::Bytes& wire) {
  auto f = core::kmp::decode_frame(wire);
  EXPECT_TRUE(f.ok());
  return *f;
}

TEST(SimKmpMeter, AnswersEachCommand) {
  const HeatState s = state_for(5'000'000);
  KmpMeter m(KmpMeterConfig{KmpModel::mc601, 6892850, std::nullopt, 6892850});

  KmpOutcome serial = m.handle(request_frame(core::kmp::encode_get_serial()), s);
  ASSERT_TRUE(serial.reply);
  EXPECT_EQ(core::to_hex_spaced(serial.wire), "40 3F 02 00 69 2D 32 CD 5D 0D");

  KmpOutcome type = m.handle(request_frame(core::kmp::encode_get_type()), s);
  ASSERT_TRUE(type.reply);
  EXPECT_EQ(core::kmp::decode_type_reply(*type.frame)->meter_type, 0x0601);

  // Unknown ids are left out; the others keep the request order.
  const std::uint16_t ids[] = {0x0056, 0x0001, 0x003C};
  KmpOutcome regs = m.handle(request_frame(*core::kmp::encode_get_register(ids)), s);
  ASSERT_TRUE(regs.reply);
  auto values = core::kmp::decode_register_reply(*regs.frame);
  ASSERT_TRUE(values.ok());
  ASSERT_EQ(values->size(), 2u);
  EXPECT_EQ((*values)[0].id, 0x0056);
  EXPECT_EQ((*values)[1].id, 0x003C);
  EXPECT_EQ((*values)[1].value.to_string(), "5");
  EXPECT_EQ(regs.detail["omitted"], nlohmann::json::array({1}));

  // SetClock: ACK, and the clock registers follow.
  KmpOutcome clock = m.handle(
      request_frame(*core::kmp::encode_set_clock(core::kmp::MeterClock{2030, 6, 1, 12, 0, 0})), s);
  ASSERT_TRUE(clock.reply);
  EXPECT_EQ(clock.wire, core::Bytes{0x06});
  EXPECT_EQ(value_of(m, 0x03EB, s), "300601");
  EXPECT_EQ(value_of(m, 0x03EA, s), "120000");

  // PutRegister: writable registers are acknowledged and read back; others: silence.
  core::kmp::RegisterValue tl2{0x0042, 0x33, Decimal{false, 77, 0}, 0};
  KmpOutcome put = m.handle(request_frame(*core::kmp::encode_put_register(tl2)), s);
  ASSERT_TRUE(put.reply);
  EXPECT_EQ(*core::kmp::decode_put_register_reply(*put.frame), std::vector<std::uint16_t>{0x42});
  EXPECT_EQ(value_of(m, 0x0042, s), "77");
  core::kmp::RegisterValue e1{0x003C, 0x02, Decimal{false, 1, 0}, 0};
  KmpOutcome ro = m.handle(request_frame(*core::kmp::encode_put_register(e1)), s);
  EXPECT_FALSE(ro.reply);
  EXPECT_EQ(ro.reason, Reject::read_only);

  // Logger addresses are not emulated.
  KmpOutcome logger = m.handle(request_frame(core::kmp::encode_get_serial(0x7F)), s);
  EXPECT_FALSE(logger.reply);
  EXPECT_EQ(logger.reason, Reject::wrong_destination);
}

TEST(SimKmpMeter, BadCrcFrameFailsOnlyTheCrc) {
  const core::kmp::Frame f{core::kmp::Direction::reply, 0x3F, 0x02, {0x00, 0x69, 0x2D, 0x32}};
  const core::Bytes bad = encode_with_bad_crc(f, 0x1234);
  auto decoded = core::kmp::decode_frame(bad);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, core::Errc::kmp_crc_mismatch);
}

Mc66Config mc66_config(Mc66Variant variant) {
  Mc66Config c;
  c.variant = variant;
  c.customer = 40;
  c.program = *core::iec::parse_program_number(kDefaultProgram);
  return c;
}

TEST(SimMc66Meter, ReadoutWithKamstrupBcc) {
  Mc66Meter m(mc66_config(Mc66Variant::c));
  ASSERT_TRUE(validate(m.config()).ok());
  const HeatState s = state_for(12'345'678'901);
  auto built = m.readout(s);
  ASSERT_TRUE(built.ok());
  const std::string text(built->bytes.begin(), built->bytes.end() - 1);
  EXPECT_EQ(
      text,
      "\x02"
      "0.0(00000000040)\r\n6.8(0012345*kWh)\r\n6.26(00321.50*m3)\r\n6.31(0008760*h)!\r\n\x03");
  auto parsed = core::iec::parse_readout_strict(built->bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  auto values = core::iec::heat_values(*parsed);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values->serial, 40u);
  EXPECT_EQ(values->e1->value.to_string(), "12345");
  EXPECT_EQ(values->v1->value.to_string(), "321.50");
  // The bad-check variant differs only in the BCC.
  ASSERT_TRUE(built->bad_check.has_value());
  EXPECT_FALSE(core::iec::parse_readout_strict(*built->bad_check).ok());

  Mc66Meter b(mc66_config(Mc66Variant::b));
  auto rb = b.readout(s);
  ASSERT_TRUE(rb.ok());
  auto pb = core::iec::parse_readout_strict(rb->bytes);
  ASSERT_TRUE(pb.ok());
  EXPECT_EQ(pb->separator, core::iec::Separator::none);
}

TEST(SimMc66Meter, DataStringsFollowTheProgramNumber) {
  Mc66Meter m(mc66_config(Mc66Variant::c));
  const HeatState s = state_for(12'345'678'901);
  auto d1 = m.data_string('1', s);
  ASSERT_TRUE(d1.ok());
  EXPECT_EQ(std::string(d1->bytes.begin(), d1->bytes.end()),
            "0012345 0032150 0008760 0007329 0003892 0003437 0000140 0000352 0000140 0000000\r");
  auto r1 = core::iec::parse_reply(core::iec::Mc66Request::standard_data_1, d1->bytes,
                                   m.config().program);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->find("energy")->value.to_string(), "12345");
  EXPECT_EQ(r1->find("volume")->value.to_string(), "321.50");
  EXPECT_EQ(r1->find("effect1")->value.to_string(), "14.0");
  EXPECT_EQ(d1->detail["values"][0]["value"], "12345");

  auto d2 = m.data_string('2', s);
  ASSERT_TRUE(d2.ok());
  auto r2 = core::iec::parse_reply(core::iec::Mc66Request::standard_data_2, d2->bytes);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->program->text(), "431161020100");
  EXPECT_EQ(*r2->customer, 40u);

  auto dc = m.data_string('C', s);
  ASSERT_TRUE(dc.ok());
  auto rc =
      core::iec::parse_reply(core::iec::Mc66Request::inst_values, dc->bytes, m.config().program);
  ASSERT_TRUE(rc.ok());
  EXPECT_EQ(rc->find("t3")->value.to_string(), "-1.50");

  // GJ with a large flow sensor: energy 1 decimal, volume 0, flow m3/h 2, power MW 3.
  Mc66Config big = mc66_config(Mc66Variant::c);
  big.program = *core::iec::parse_program_number("4-2-170");
  ASSERT_TRUE(validate(big).ok());
  Mc66Meter g(big);
  auto dg = g.data_string('1', s);
  ASSERT_TRUE(dg.ok());
  auto rg = core::iec::parse_reply(core::iec::Mc66Request::standard_data_1, dg->bytes, big.program);
  ASSERT_TRUE(rg.ok());
  EXPECT_EQ(rg->find("energy")->value.to_string(), "44");  // GJ with 0 decimals
  EXPECT_EQ(rg->find("flow1")->unit, "m3/h");

  Mc66Config unknown = mc66_config(Mc66Variant::c);
  unknown.program = *core::iec::parse_program_number("4-3-999");
  EXPECT_FALSE(validate(unknown).ok());
}

std::vector<IecRequest> scan(Mc66Scanner& s, std::string_view text) {
  std::vector<IecRequest> out;
  for (char c : text) {
    if (auto r = s.feed(static_cast<std::uint8_t>(c))) out.push_back(*r);
  }
  return out;
}

TEST(SimMc66Scanner, RecognisesRequestsAndCountsWakeUp) {
  Mc66Scanner s;
  auto r = scan(s, std::string(16, '\0') + "/?!\r\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].kind, IecRequest::Kind::ident);
  EXPECT_EQ(r[0].nuls_before, 16u);
  r = scan(s,
           "\x06"
           "000\r\n/#C/#1\r/#2\rjunk/#9\r/?40!\r\n");
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[0].kind, IecRequest::Kind::option_select);
  EXPECT_EQ(r[0].options, "000");
  EXPECT_EQ(r[0].nuls_before, 0u);
  EXPECT_EQ(r[1].data_id, 'C');
  EXPECT_EQ(r[2].data_id, '1');
  EXPECT_EQ(r[3].data_id, '2');
  EXPECT_EQ(r[4].data_id, '9');
  EXPECT_EQ(r[5].address, "40");
  EXPECT_EQ(s.noise_bytes(), 4u);
  // A broken request is dropped; the next one is still recognised.
  r = scan(s, "/?!\r/#1\r");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].data_id, '1');
  // Bounded: a very long address is dropped.
  r = scan(s, "/?" + std::string(100, 'A') + "!\r\n");
  EXPECT_TRUE(r.empty());
}

TEST(SimFaults, PlanIsDeterministicAndIndependent) {
  FaultConfig f;
  f.drop = 0.3;
  f.corrupt = 0.5;
  f.noise_bytes = 4;
  f.noise = 0.5;
  std::vector<bool> drops;
  std::set<bool> corrupt_seen;
  for (std::uint64_t n = 1; n <= 200; ++n) {
    const FaultPlan a = plan_faults(f, 99, n, 79);
    const FaultPlan b = plan_faults(f, 99, n, 79);
    EXPECT_EQ(a.drop, b.drop);
    EXPECT_EQ(a.corrupt, b.corrupt);
    EXPECT_EQ(a.corrupt_index, b.corrupt_index);
    EXPECT_EQ(a.noise, b.noise);
    EXPECT_LT(a.corrupt_index, 79u);
    corrupt_seen.insert(a.corrupt);
    drops.push_back(a.drop);
    // Switching another fault off does not change the drop decision.
    FaultConfig only_drop;
    only_drop.drop = 0.3;
    EXPECT_EQ(plan_faults(only_drop, 99, n, 79).drop, a.drop);
  }
  EXPECT_EQ(corrupt_seen.size(), 2u);
  const auto dropped = std::count(drops.begin(), drops.end(), true);
  EXPECT_GT(dropped, 30);
  EXPECT_LT(dropped, 100);
  // Another seed, another sequence.
  int same = 0;
  for (std::uint64_t n = 1; n <= 200; ++n)
    same += plan_faults(f, 100, n, 79).drop == drops[static_cast<std::size_t>(n - 1)] ? 1 : 0;
  EXPECT_LT(same, 200);
  // Nothing configured: nothing happens.
  const FaultPlan none = plan_faults(FaultConfig{}, 1, 1, 10);
  EXPECT_FALSE(none.drop || none.corrupt || none.bad_check || !none.noise.empty() ||
               none.extra_delay_ms != 0);
}

TEST(SimFaults, JsonSettings) {
  FaultConfig f;
  ASSERT_TRUE(apply_faults_json(f, {{"drop", 0.5}, {"echo", true}, {"silent_after", 3}}).ok());
  EXPECT_EQ(f.drop, 0.5);
  EXPECT_TRUE(f.echo);
  EXPECT_EQ(f.silent_after, 3u);
  const FaultConfig before = f;
  EXPECT_FALSE(apply_faults_json(f, {{"drop", 2}}).ok());
  EXPECT_FALSE(apply_faults_json(f, {{"noise_bytes", -1}}).ok());
  EXPECT_FALSE(apply_faults_json(f, {{"noise_bytes", 100000}}).ok());
  EXPECT_FALSE(apply_faults_json(f, {{"bogus", 1}}).ok());
  EXPECT_FALSE(apply_faults_json(f, {{"echo", 1}}).ok());
  EXPECT_EQ(f, before);
  ASSERT_TRUE(apply_faults_json(f, {{"silent_after", nullptr}}).ok());
  EXPECT_FALSE(f.silent_after.has_value());
  ASSERT_TRUE(apply_faults_json(f, {{"reset", true}, {"corrupt", 1}}).ok());
  EXPECT_EQ(f.drop, 0);
  EXPECT_EQ(f.corrupt, 1);
  EXPECT_EQ(to_json(f)["corrupt"], 1.0);
}

TEST(SimFaults, EveryKeyRoundTripsAndUnknownKeysListTheKnown) {
  FaultConfig f;
  ASSERT_TRUE(apply_faults_json(f, {{"drop", 0.25},
                                    {"corrupt", 0.5},
                                    {"bad_check", 1},
                                    {"noise_bytes", 7},
                                    {"noise", 0.75},
                                    {"late_ms", 300},
                                    {"late", 0.5},
                                    {"echo", true},
                                    {"silent_after", 9},
                                    {"wake_nuls", 3},
                                    {"wake_after_ms", 5000}})
                  .ok());
  const nlohmann::json j = to_json(f);
  EXPECT_EQ(j.size(), 11u);
  FaultConfig back;
  ASSERT_TRUE(apply_faults_json(back, j).ok());
  EXPECT_EQ(back, f);
  EXPECT_EQ(to_json(FaultConfig{})["silent_after"], nullptr);
  EXPECT_FALSE(apply_faults_json(f, {{"wake_nuls", 1001}}).ok());
  EXPECT_FALSE(apply_faults_json(f, {{"late_ms", kMaxLateMs + 1}}).ok());
  const auto unknown = apply_faults_json(f, {{"bogus", 1}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().text(),
            "unknown fault 'bogus' (known: drop, corrupt, bad_check, noise_bytes, noise, late_ms, "
            "late, echo, silent_after, wake_nuls, wake_after_ms, reset)");
}

TEST(SimLineCheck, KmpAndEn61107Verdicts) {
  using A = Verdict::Action;
  EXPECT_TRUE(check_kmp_request(LineSettings{1200, 8, Parity::none, 2}).ok());
  EXPECT_EQ(check_kmp_request(LineSettings{1200, 8, Parity::none, 1}).reason,
            Reject::request_stop_bits);
  EXPECT_EQ(check_kmp_request(LineSettings{9600, 8, Parity::none, 2}).reason, Reject::request_baud);
  EXPECT_EQ(check_kmp_request(std::nullopt).action, A::silent);
  EXPECT_TRUE(
      check_kmp_reply(LineSettings{1200, 8, Parity::none, 1}).ok());  // a receiver reads both
  EXPECT_EQ(check_kmp_reply(LineSettings{2400, 8, Parity::none, 2}).action, A::garbage);

  EXPECT_TRUE(check_iec_request(LineSettings{300, 8, Parity::none, 2}).ok());  // software parity
  EXPECT_TRUE(check_iec_request(LineSettings{300, 7, Parity::even, 2}).ok());  // native
  EXPECT_EQ(check_iec_request(LineSettings{300, 8, Parity::none, 1}).reason,
            Reject::request_stop_bits);
  EXPECT_EQ(check_iec_request(LineSettings{1200, 8, Parity::none, 2}).reason, Reject::request_baud);
  const LineSettings reply300{300, 7, Parity::even, 1};
  EXPECT_TRUE(check_iec_reply(LineSettings{300, 8, Parity::none, 1}, reply300, true).ok());
  const Verdict two = check_iec_reply(LineSettings{300, 8, Parity::none, 2}, reply300, true);
  EXPECT_EQ(two.action, A::silent);
  EXPECT_EQ(two.reason, Reject::reply_stop_bits);
  EXPECT_TRUE(check_iec_reply(LineSettings{300, 8, Parity::none, 2}, reply300, false).ok());
  const Verdict baud = check_iec_reply(LineSettings{300, 8, Parity::none, 1},
                                       LineSettings{1200, 7, Parity::even, 1}, true);
  EXPECT_EQ(baud.action, A::garbage);
  EXPECT_EQ(baud.reason, Reject::reply_baud);
  EXPECT_EQ(reject_name(Reject::no_ident), "no_ident");
}

}  // namespace
}  // namespace ml::sim
