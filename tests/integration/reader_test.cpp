// meterlogger read against the emulators: values, faults, retries, wrong settings, ser2net.
#include <gtest/gtest.h>

#include <fstream>

#include "emulator.hpp"

namespace ml::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json parse(const RunResult& r) {
  EXPECT_EQ(r.status, 0) << r.err;
  return r.status == 0 ? json::parse(r.out) : json{};
}

// The registers the reader printed equal those the emulator sent and its true state.
void expect_same_registers(const json& read, const json& sent, const json& state) {
  ASSERT_EQ(read["registers"].size(), sent["registers"].size());
  for (std::size_t i = 0; i < read["registers"].size(); ++i) {
    const json& r = read["registers"][i];
    const json& s = sent["registers"][i];
    EXPECT_EQ(r["id"], s["id"]);
    EXPECT_EQ(r["value"], s["value"]) << r["name"];
    EXPECT_EQ(r["unit"], s["unit"]) << r["name"];
    EXPECT_EQ(r["value"], state["registers"][i]["value"]) << r["name"];
  }
}

class ReaderKmp : public ::testing::TestWithParam<std::string> {};

TEST_P(ReaderKmp, ReadsEveryModelExactly) {
  TempDir dir;
  Emulator meter(dir, "kmp", {"--model", GetParam(), "--serial", "6892850", "--freeze"});
  const json out = parse(read_meter(meter.link()));
  EXPECT_EQ(out["serial"], 6892850);
  EXPECT_EQ(out["serial_text"], "6892850");
  expect_same_registers(out, meter.last_reply(), meter.state());
  // The sample text carries the same exact values.
  const std::string sample = out["sample"];
  for (const json& r : out["registers"]) {
    EXPECT_NE(sample.find("=" + r["value"].get<std::string>() + " " + r["unit"].get<std::string>()),
              std::string::npos)
        << sample;
  }
  EXPECT_EQ(out["link"]["requests"], 2);  // GetSerialNo + one GetRegister for 8 registers
  EXPECT_EQ(out["link"]["retries"], 0);
}

INSTANTIATE_TEST_SUITE_P(Models, ReaderKmp, ::testing::Values("mc601", "mc602", "mc603", "mc403"));

TEST(ReaderKmpRegisters, FewestRequestsForManyRegisters) {
  TempDir dir;
  Emulator meter(dir, "kmp", {"--freeze"});
  // 11 registers: two GetRegister requests (8 + 3), never one per register.
  const json out =
      parse(read_meter(meter.link(), {"--registers", "E1", "V1", "HR", "T1", "T2", "T1-T2", "FLOW1",
                                      "POWER1", "T3", "V2", "0x63"}));
  EXPECT_EQ(out["registers"].size(), 11u);
  EXPECT_EQ(out["link"]["requests"], 3);
  EXPECT_EQ(out["registers"][10]["name"], "INFO");
  EXPECT_FALSE(out.contains("sample"));  // not the sample set
}

TEST(ReaderKmpRegisters, EnergyUnitsOfTheMeterAreKept) {
  for (std::string unit : {"MWh", "GJ"}) {
    TempDir dir;
    Emulator meter(dir, "kmp", {"--energy-unit", unit, "--freeze"});
    const json out = parse(read_meter(meter.link()));
    EXPECT_EQ(out["registers"][0]["unit"], unit);
    EXPECT_EQ(out["registers"][0]["value"], meter.state()["registers"][0]["value"]);
  }
}

TEST(ReaderFaults, NoReplyIsAOneLineErrorAndNoValue) {
  TempDir dir;
  Emulator meter(dir, "kmp", {"--drop", "1"});
  const RunResult r =
      read_meter(meter.link(), {"--retry-delay", "50", "--timeout", ms_text(scaled(300ms))});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;  // no value at all
  EXPECT_EQ(r.err,
            "meterlogger: timeout after 3 tries on " + meter.link() + ": no reply at 1200 8N2\n");
}

TEST(ReaderFaults, DroppedAndCorruptedRepliesAreRetried) {
  TempDir dir;
  Emulator meter(dir, "kmp", {"--drop", "0.4", "--corrupt", "0.3", "--seed", "7", "--freeze"});
  const json out = parse(read_meter(meter.link(), {"--retries", "10", "--retry-delay", "50",
                                                   "--timeout", ms_text(scaled(300ms))}));
  EXPECT_GT(out["link"]["retries"].get<int>(), 0);
  expect_same_registers(out, meter.last_reply(), meter.state());
}

TEST(ReaderFaults, BadCrcIsNamed) {
  TempDir dir;
  Emulator meter(dir, "kmp", {"--bad-check", "1"});
  const RunResult r = read_meter(meter.link(), {"--retry-delay", "50"});
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(r.err.rfind("meterlogger: CRC error after 3 tries on " + meter.link() + ": ", 0), 0u)
      << r.err;
}

TEST(ReaderFaults, EchoAndNoiseAreSkippedAndCounted) {
  TempDir dir;
  Emulator meter(dir, "kmp", {"--echo", "--noise", "5", "--noise-prob", "1", "--freeze"});
  const json out = parse(read_meter(meter.link()));
  EXPECT_EQ(out["link"]["echo_bytes"], 6 + 23);  // both requests came back
  EXPECT_EQ(out["link"]["garbage_bytes"].get<int>() >= 0, true);
  EXPECT_EQ(out["link"]["retries"], 0);
  expect_same_registers(out, meter.last_reply(), meter.state());
}

TEST(ReaderFaults, LateReplyBeyondTheTimeoutIsATimeoutWithinItIsFine) {
  TempDir dir;
  // Lateness and both timeouts scale together.
  Emulator meter(dir, "kmp", {"--late-ms", ms_text(scaled(600ms)), "--late-prob", "1", "--freeze"});
  EXPECT_EQ(
      read_meter(meter.link(), {"--timeout", ms_text(scaled(300ms)), "--retries", "0"}).status, 1);
  const json out = parse(read_meter(meter.link(), {"--timeout", ms_text(scaled(1500ms))}));
  expect_same_registers(out, meter.last_reply(), meter.state());
}

TEST(ReaderFaults, MeterThatFallsSilent) {
  TempDir dir;
  Emulator meter(dir, "kmp", {"--silent-after", "1"});  // answers GetSerialNo, then nothing
  const RunResult r =
      read_meter(meter.link(), {"--retry-delay", "50", "--timeout", ms_text(scaled(300ms))});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("timeout after 3 tries"), std::string::npos) << r.err;
}

TEST(ReaderFaults, SleepingKmpMeterWakesOnTheRetry) {
  TempDir dir;
  Emulator meter(dir, "kmp", {"--wake-after-s", "5", "--freeze"});
  const json out = parse(read_meter(meter.link(), {"--retry-delay", "50", "--timeout", "300"}));
  EXPECT_EQ(out["link"]["retries"], 1);
}

TEST(ReaderWrongSettings, WrongProtocolGivesAClearError) {
  TempDir dir;
  Emulator kmp(dir, "kmp", {}, "kmp");
  Emulator mc(dir, "mc66c", {}, "mc");
  // A KMP meter read as a MULTICAL 66: requests at 300 7E2 are not for it.
  RunResult r = read_meter(kmp.link(), {"--protocol", "mc66c", "--retries", "0"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no reply to ident at 300 7E2"), std::string::npos) << r.err;
  EXPECT_GT(kmp.state()["counters"]["bytes_received"].get<int>(), 0);  // heard, not answered
  EXPECT_EQ(kmp.state()["counters"]["replies"], 0);
  // A MULTICAL 66 read with KMP: 1200 8N2 is not its line.
  r = read_meter(mc.link(), {"--retries", "0", "--timeout", "500"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no reply at 1200 8N2"), std::string::npos) << r.err;
}

class ReaderMc66 : public ::testing::TestWithParam<std::string> {};

TEST_P(ReaderMc66, FullSequenceWithExactValues) {
  TempDir dir;
  Emulator meter(dir, GetParam(), {"--serial", "4615611", "--freeze", "--echo"});
  const json out = parse(read_meter(meter.link(), {"--protocol", GetParam()}));
  const json state = meter.state();
  EXPECT_EQ(out["serial"], 4615611);
  EXPECT_EQ(out["ident"], "KAM MC");
  EXPECT_EQ(out["program"].get<std::string>().size(), 12u);
  EXPECT_EQ(out["standard_data_1"]["scaling"], "program");
  // Readout values as the meter displays them, and /#1 values from the same true state.
  EXPECT_EQ(out["readout"]["e1"]["value"], state["displayed"]["energy"]["value"]);
  EXPECT_EQ(out["readout"]["v1"]["value"], state["displayed"]["volume"]["value"]);
  EXPECT_EQ(out["standard_data_1"]["values"]["t1"]["value"], state["values"]["t1"]["value"]);
  EXPECT_EQ(out["standard_data_1"]["values"]["t2"]["value"], state["values"]["t2"]["value"]);
  const std::string sample = out["sample"];
  EXPECT_EQ(sample.find("t3=") != std::string::npos, GetParam() == "mc66c") << sample;
  EXPECT_GT(out["link"]["echo_bytes"].get<int>(), 0);
  EXPECT_EQ(out["link"]["parity_errors"], 0);
}

INSTANTIATE_TEST_SUITE_P(Variants, ReaderMc66, ::testing::Values("mc66c", "mc66b"));

TEST(ReaderMc66Faults, WakeUpIsNeededAndSent) {
  TempDir dir;
  Emulator meter(dir, "mc66c", {"--wake-nuls", "10", "--freeze"});
  RunResult r = read_meter(meter.link(), {"--protocol", "mc66c", "--no-wakeup", "--retries", "0"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no reply to ident"), std::string::npos) << r.err;
  parse(read_meter(meter.link(), {"--protocol", "mc66c", "--retries", "0"}));
}

TEST(ReaderMc66Faults, BadBccIsRetriedThenNamed) {
  TempDir dir;
  Emulator meter(dir, "mc66b", {"--bad-check", "1"});
  const RunResult r =
      read_meter(meter.link(), {"--protocol", "mc66b", "--retries", "1", "--retry-delay", "100"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("BCC error after 2 tries"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(ReaderTrace, DumpHasBothDirectionsAndLineChanges) {
  TempDir dir;
  Emulator meter(dir, "mc66b", {"--freeze"});
  const std::string trace = dir.file("trace.txt");
  parse(read_meter(meter.link(), {"--protocol", "mc66b", "--dump", trace}));
  std::ifstream in(trace);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(" tx 2F 3F 21 0D 0A"), std::string::npos) << text;  // "/?!" CR LF
  EXPECT_NE(text.find(" rx 2F 4B 41 4D"), std::string::npos);             // "/KAM"
  EXPECT_NE(text.find("-- line 1200 7E1 (software parity)"), std::string::npos);
}

// ser2net between the reader and the emulator: the reader talks raw TCP.
TEST(ReaderTcp, KmpThroughSer2net) {
  TempDir dir;
  Emulator meter(dir, "kmp", {"--freeze"});
  const int port = free_port();
  const std::string conf = dir.file("ser2net.yaml");
  std::ofstream(conf) << "%YAML 1.1\n---\nconnection: &meter\n  accepter: tcp,127.0.0.1," << port
                      << "\n  connector: serialdev," << meter.link()
                      << ",1200n82,local\n  options:\n    kickolduser: true\n";
  Process ser2net({"ser2net", "-n", "-d", "-c", conf, "-P", dir.file("ser2net.pid")},
                  dir.file("ser2net.log"));
  ASSERT_TRUE(wait_for_port(port)) << ser2net.log();
  const std::string url = "tcp://127.0.0.1:" + std::to_string(port);
  const json out = parse(read_meter(url));
  expect_same_registers(out, meter.last_reply(), meter.state());
  EXPECT_EQ(out["port"], url);
  // EN 61107 needs baud changes that a raw TCP link cannot make.
  const RunResult r = read_meter(url, {"--protocol", "mc66c", "--retries", "0"});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cannot change the serial settings"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ml::test
