#include "core/sample/sample.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "core/kmp/codec.hpp"
#include "test_data.hpp"

namespace ml::core::sample {
namespace {

Decimal dec(std::string_view s) {
  return Decimal::parse(s).value();
}

Reading kmp_reading_from_vector(const std::string& name) {
  const auto data = test::load_json("kmp_frames.json");
  for (const auto& v : data["frames"]) {
    if (v["name"] != name) continue;
    const auto wire = from_hex(v["hex"].get<std::string>()).value();
    const auto regs = kmp::decode_register_reply(kmp::decode_frame(wire).value()).value();
    return reading_from_kmp(regs);
  }
  ADD_FAILURE() << "no vector " << name;
  return {};
}

TEST(SampleFormat, KmpHeatMeterFromTheVectorReply) {
  const auto data = test::load_json("kmp_frames.json");
  Reading r = kmp_reading_from_vector("register_reply_realistic");
  r.heap = 20000;
  const std::string want = data["frames"][5]["sample_text"].get<std::string>();
  EXPECT_EQ(format_sample(r).value(), "heap=20000&" + want);
}

TEST(SampleFormat, KmpExample2FromTheSpec) {
  Reading r = kmp_reading_from_vector("register_reply_8");
  r.heap = 123;
  EXPECT_EQ(format_sample(r).value(),
            "heap=123&t1=200.00 C&t2=86.54 C&tdif=113.46 K&flow1=0 l/h&effect1=0.0 kW&hr=7126 h&"
            "v1=0.24 m3&e1=0.002 MWh&");
}

TEST(SampleFormat, KmpFlowMeterOmitsTheHeatFields) {
  Reading r = kmp_reading_from_vector("register_reply_realistic");
  r.flow_meter = true;
  r.heap = 1;
  EXPECT_EQ(format_sample(r).value(), "heap=1&flow1=13 l/h&hr=73327 h&v1=1321.27 m3&");
}

Reading mc66(MeterKind kind) {
  Reading r;
  r.kind = kind;
  r.heap = 19872;
  r.program = "112345010200";
  r.values = {
      {"t1", {dec("65.21"), "C"}},   {"t2", {dec("40.02"), "C"}},   {"t3", {dec("18.20"), "C"}},
      {"tdif", {dec("25.19"), "C"}}, {"flow1", {dec("20"), "l/h"}}, {"effect1", {dec("0.5"), "kW"}},
      {"hr", {dec("56296"), "h"}},   {"v1", {dec("0.0"), "m3"}},    {"e1", {dec("0.00"), "MWh"}}};
  return r;
}

TEST(SampleFormat, Mc66cMatchesTheSpecLine) {
  EXPECT_EQ(format_sample(mc66(MeterKind::mc66c)).value(),
            "heap=19872&program=112345010200&t1=65.21 C&t2=40.02 C&t3=18.20 C&tdif=25.19 C&"
            "flow1=20 l/h&effect1=0.5 kW&hr=56296 h&v1=0.0 m3&e1=0.00 MWh&");
}

TEST(SampleFormat, Mc66bHasNoT3AndFlowBuildsKeepProgramFlowHourVolume) {
  EXPECT_EQ(format_sample(mc66(MeterKind::mc66b)).value(),
            "heap=19872&program=112345010200&t1=65.21 C&t2=40.02 C&tdif=25.19 C&flow1=20 l/h&"
            "effect1=0.5 kW&hr=56296 h&v1=0.0 m3&e1=0.00 MWh&");
  Reading r = mc66(MeterKind::mc66c);
  r.flow_meter = true;
  EXPECT_EQ(format_sample(r).value(),
            "heap=19872&program=112345010200&flow1=20 l/h&hr=56296 h&v1=0.0 m3&");
}

TEST(SampleFormat, PulseElectricityAndWater) {
  // Base 1 234 500 Wh + 1501 pulses at 1000 imp/kWh = 1236.001 kWh.
  Reading e;
  e.kind = MeterKind::pulse_electricity;
  e.heap = 23456;
  e.values = {
      {"effect1", {dec("1.000"), "kW"}}, {"e1", {dec("1236.001"), "kWh"}}, {"hr", {dec("12"), ""}}};
  EXPECT_EQ(format_sample(e).value(), "heap=23456&effect1=1.000 kW&e1=1236.001 kWh&hr=12&");
  Reading w;
  w.kind = MeterKind::pulse_water;
  w.values = {
      {"flow1", {dec("120"), "l/h"}}, {"v1", {dec("12.345"), "m3"}}, {"hr", {dec("3"), ""}}};
  EXPECT_EQ(format_sample(w).value(), "heap=0&flow1=120 l/h&v1=12.345 m3&hr=3&");
}

TEST(SampleFormat, AMissingValueIsAnErrorNeverAPartialSample) {
  Reading r = kmp_reading_from_vector("register_reply_realistic");
  r.values.erase("e1");
  auto s = format_sample(r);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::sample_missing_value);
  EXPECT_NE(s.error().detail.find("e1"), std::string::npos);
  Reading m = mc66(MeterKind::mc66c);
  m.program.clear();
  EXPECT_EQ(format_sample(m).error().code, Errc::sample_missing_value);
}

TEST(SampleParse, TheReadmeAndVectorLinesParse) {
  auto p = parse_sample(
      "heap=21376&t1=23.61 C&t2=22.19 C&tdif=1.42 K&flow1=0 l/h&effect1=0.0 kW&hr=73327 h&"
      "v1=1321.27 m3&e1=56.726 MWh&");
  ASSERT_TRUE(p.ok()) << p.error().message();
  ASSERT_EQ(p->fields().size(), 9u);
  EXPECT_EQ(p->fields()[0].key, "heap");
  EXPECT_EQ(p->fields()[0].unit, "");
  const SampleField* e1 = p->find("e1");
  ASSERT_NE(e1, nullptr);
  EXPECT_EQ(e1->text, "56.726");
  EXPECT_EQ(e1->unit, "MWh");
  EXPECT_EQ(e1->normalized->to_string(), "56726.000");
  EXPECT_EQ(compare(*e1->normalized, dec("56726")), 0);
  EXPECT_EQ(e1->normalized_unit, "kWh");
  EXPECT_TRUE(e1->normalized_exact);
  EXPECT_EQ(p->find("v1")->normalized->to_string(), "1321.27");
  EXPECT_FALSE(p->find("t1")->normalized.has_value());
  EXPECT_EQ(p->find("tdif")->value->to_string(), "1.42");
}

TEST(SampleParse, EnergyIsNormalisedToKwhAndVolumeToCubicMetres) {
  struct Case {
    std::string text, kwh;
    bool exact;
  };
  for (const Case& c : std::vector<Case>{{"e1=1500 Wh", "1.500", true},
                                         {"e1=12 kWh", "12", true},
                                         {"e1=0.002 MWh", "2.000", true},
                                         {"e1=1.5 Gcal", "1744.5", true},
                                         {"e1=3.6 MJ", "1.0", true},
                                         {"e1=1.00 GJ", "277.777778", false},
                                         {"e1=1.00 Gj", "277.777778", false},
                                         {"e1=7 GJx10", "19444.444444", false}}) {
    auto p = parse_sample(c.text);
    ASSERT_TRUE(p.ok()) << c.text;
    const SampleField& f = p->fields()[0];
    ASSERT_TRUE(f.normalized.has_value()) << c.text;
    EXPECT_EQ(f.normalized->to_string(), c.kwh) << c.text;
    EXPECT_EQ(f.normalized_exact, c.exact) << c.text;
  }
  EXPECT_EQ(parse_sample("v1=250 l")->fields()[0].normalized->to_string(), "0.250");
  EXPECT_EQ(parse_sample("v1=2.5 m3x10")->fields()[0].normalized->to_string(), "25.0");
}

TEST(SampleParse, KeepsProgramNanAndTrailingAmpersandOptional) {
  auto p = parse_sample("heap=1&program=112345010200&t1=NaN C&hr=5");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(p->find("program")->text, "112345010200");
  EXPECT_FALSE(p->find("program")->value.has_value());
  EXPECT_FALSE(p->find("t1")->value.has_value());
  EXPECT_EQ(p->find("hr")->value->to_string(), "5");
  EXPECT_EQ(p->raw(), "heap=1&program=112345010200&t1=NaN C&hr=5");
}

// The 2018 firmware cuts the last character of a MULTICAL 66 readout value without leading
// zeros: "949018.5" m3 arrives as "949018.". Read as 949018, flagged.
TEST(SampleParse, AValueEndingInAPointLostItsLastDigitAndIsFlagged) {
  auto p = parse_sample("heap=19872&hr=56296 h&v1=949018. m3&e1=1234.56 MWh&");
  ASSERT_TRUE(p.ok()) << p.error().message();
  const SampleField* v1 = p->find("v1");
  EXPECT_EQ(v1->text, "949018");
  EXPECT_EQ(v1->value->to_string(), "949018");
  EXPECT_EQ(v1->normalized->to_string(), "949018");
  EXPECT_TRUE(v1->lost_digit);
  EXPECT_FALSE(p->find("e1")->lost_digit);
  EXPECT_EQ(p->quirks(), "lost_digit:v1");
  EXPECT_EQ(p->raw(), "heap=19872&hr=56296 h&v1=949018. m3&e1=1234.56 MWh&");
  EXPECT_EQ(parse_sample("e1=1. MWh&v1=2. m3")->quirks(), "lost_digit:e1,v1");
  EXPECT_EQ(parse_sample("heap=1&t1=2.5 C")->quirks(), "");
  for (const char* bad : {"v1=. m3", "v1=1.. m3", "v1=1.2. m3", "v1=-. m3"}) {
    auto r = parse_sample(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::sample_bad_value) << bad;
  }
}

TEST(SampleParse, ACopyOrAMoveKeepsItsFieldsOnItsOwnText) {
  // The fields are views into the sample's text: a short text lives inside its string (a move
  // copies its bytes), a long one on the heap (a move takes the buffer).
  for (const std::string text :
       {"t1=7 C&hr=5", "heap=19872&t1=23.61 C&t2=22.19 C&e1=56.726 MWh&"}) {
    SCOPED_TRACE(text);
    auto original = std::make_unique<ParsedSample>(parse_sample(text).value());
    ParsedSample copy = *original;
    ParsedSample moved = std::move(*original);
    ParsedSample assigned;
    assigned = copy;
    ParsedSample move_assigned;
    move_assigned = ParsedSample(copy);
    original.reset();  // the text the first parse held is gone
    for (const ParsedSample* p : {&copy, &moved, &assigned, &move_assigned}) {
      ASSERT_NE(p->find("t1"), nullptr);
      EXPECT_EQ(p->find("t1")->unit, "C");
      EXPECT_EQ(p->raw(), text);
      const char* begin = p->raw().data();
      const char* end = begin + p->raw().size();
      for (const SampleField& f : p->fields()) {
        for (std::string_view view : {f.key, f.text, f.unit}) {
          if (view.empty()) continue;
          EXPECT_TRUE(view.data() >= begin && view.data() + view.size() <= end)
              << f.key << ": a view outside the sample's own text";
        }
      }
    }
  }
}

TEST(SampleParse, BadTextIsRejectedNamingTheProblem) {
  struct Case {
    std::string text;
    Errc code;
    std::string mentions;
  };
  for (const Case& c : std::vector<Case>{
           {"", Errc::sample_syntax, "empty"},
           {"&", Errc::sample_syntax, "empty"},
           {"heap=1&&t1=2 C&", Errc::sample_syntax, "field 2"},
           {"heap=1&t1&", Errc::sample_syntax, "no '='"},
           {"Heap=1&", Errc::sample_bad_key, "Heap"},
           {"=1&", Errc::sample_bad_key, "field 1"},
           {"heap=1&heap=2&", Errc::sample_duplicate_key, "heap"},
           {"t1=&", Errc::sample_missing_value, "t1"},
           {"t1= C&", Errc::sample_missing_value, "t1"},
           {"t1=2x C&", Errc::sample_bad_value, "t1"},
           {"t1=1e3 C&", Errc::sample_bad_value, "t1"},
           {"t1=23.61 &", Errc::sample_bad_unit, "t1"},
           {"t1=23.61 deg C&", Errc::sample_bad_unit, "t1"},
           {"program=12a&", Errc::sample_bad_value, "program"},
           {std::string(1025, 'a'), Errc::sample_too_long, "1025"},
       }) {
    auto p = parse_sample(c.text);
    ASSERT_FALSE(p.ok()) << c.text;
    EXPECT_EQ(p.error().code, c.code) << c.text << ": " << p.error().message();
    EXPECT_NE(p.error().detail.find(c.mentions), std::string::npos)
        << c.text << ": " << p.error().detail;
  }
  std::string many;
  for (int i = 0; i < 33; ++i) {
    many += 'k';
    many += std::to_string(i);
    many += "=1&";
  }
  EXPECT_EQ(parse_sample(many).error().code, Errc::sample_too_long);
}

TEST(SampleProperties, FormatThenParseKeepsEveryValueExactly) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 2000; ++round) {
    Reading r;
    r.kind = static_cast<MeterKind>(rng() % 5);
    r.flow_meter = (rng() & 1) != 0;
    r.heap = rng() % 100000;
    r.program = "112345010200";
    for (std::string_view key : sample_keys(r.kind, r.flow_meter)) {
      Decimal d{(rng() & 1) != 0, rng() % 10000000000ULL, -static_cast<std::int32_t>(rng() % 7)};
      if (d.mantissa == 0) d.negative = false;
      r.values[std::string(key)] = {d, (rng() % 4 == 0) ? "" : "MWh"};
    }
    const std::string text = format_sample(r).value();
    auto p = parse_sample(text);
    ASSERT_TRUE(p.ok()) << text << ": " << p.error().message();
    for (std::string_view key : sample_keys(r.kind, r.flow_meter)) {
      const SampleField* f = p->find(key);
      ASSERT_NE(f, nullptr) << key;
      if (key == "program") continue;
      EXPECT_EQ(*f->value, r.values[std::string(key)].value) << text;
      EXPECT_EQ(f->unit, r.values[std::string(key)].unit) << text;
    }
  }
}

TEST(SampleProperties, RandomTextNeverCrashes) {
  std::mt19937_64 rng(3);
  const std::string alphabet = "heap=1.5 kWhMm3&&==  -.0123456789abcxyz_\x01\xff";
  for (int round = 0; round < 50000; ++round) {
    std::string s(static_cast<std::size_t>(rng() % 80), ' ');
    for (char& c : s)
      c = alphabet[static_cast<std::size_t>(rng() % alphabet.size())];
    auto p = parse_sample(s);
    if (p.ok()) {
      EXPECT_LE(p->fields().size(), kMaxSampleFields);
    }
  }
}

}  // namespace
}  // namespace ml::core::sample

namespace ml::core::sample {
namespace {

TEST(SampleFromMc66, CycleOfAMulticals66cGivesTheSpecLine) {
  // The data readout of the captured vector, then /#1, /#2 and /#C replies of the same meter.
  const auto data = test::load_json("en61107_frames.json");
  const Bytes raw = from_hex(data["frames"][0]["hex"].get<std::string>()).value();
  const auto readout = iec::parse_readout_strict(raw).value();
  const auto heat = iec::heat_values(readout).value();
  const auto std2 =
      iec::parse_reply(iec::Mc66Request::standard_data_2,
                       as_bytes("00000000040 0000000 0000000 0000000 0000000 0000000 0000000 "
                                "0011234 5010200 0261125\r"))
          .value();
  ASSERT_TRUE(std2.program.has_value());
  const auto std1 =
      iec::parse_reply(iec::Mc66Request::standard_data_1,
                       as_bytes("0000000 0000000 0056296 0006521 0004002 0002519 0000005 "
                                "0000020 0000010 0000000\r"),
                       std2.program)
          .value();
  const auto inst = iec::parse_reply(iec::Mc66Request::inst_values,
                                     as_bytes("0006521 0001820 0004002 0000000 0000000 0000020 "
                                              "0000000 0000005\r"),
                                     std2.program)
                        .value();
  Mc66Cycle cycle{&heat, &std1, &std2, &inst};
  auto r = reading_from_mc66(cycle, MeterKind::mc66c);
  ASSERT_TRUE(r.ok()) << r.error().message();
  r->heap = 19872;
  EXPECT_EQ(r->serial, "0000040");
  EXPECT_EQ(format_sample(*r).value(),
            "heap=19872&program=112345010200&t1=65.21 C&t2=40.02 C&t3=18.20 C&tdif=25.19 C&"
            "flow1=20 l/h&effect1=0.5 kW&hr=56296 h&v1=0.0 m3&e1=0.00 MWh&");
  // The 66B has no /#C step and no t3.
  cycle.inst_values = nullptr;
  auto b = reading_from_mc66(cycle, MeterKind::mc66b);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(format_sample(*b)->find("t3"), std::string::npos);
  // A 66C without /#C is an error, never a sample without t3.
  auto c = reading_from_mc66(cycle, MeterKind::mc66c);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().detail.find("/#C"), std::string::npos);
}

}  // namespace
}  // namespace ml::core::sample
