// Each fault kind through a real pseudo-terminal, and the same seed giving the same faults.
#include <gtest/gtest.h>

#include "core/kmp/messages.hpp"
#include "core/kmp/registers.hpp"
#include "sim/mc66_emulator.hpp"
#include "sim_support.hpp"

namespace ml::sim {
namespace {

using namespace ml::test;

class SimFaultsKmp : public ::testing::Test {
 protected:
  void start(const FaultConfig& f, unsigned speedup = 20) {
    KmpEmulatorOptions o = kmp_test_options(dir_, speedup);
    o.common.faults = f;
    emu_ = std::make_unique<Running<KmpEmulator>>(std::move(o), dir_.file("ctl"));
    client_ = std::make_unique<SerialClient>(dir_.file("tty"));
    client_->set_line(1200, 2);
  }
  std::uint64_t fault_count(const std::string& kind) {
    return counter(emu_->state(), "faults", kind);
  }
  TempDir dir_;
  std::unique_ptr<Running<KmpEmulator>> emu_;
  std::unique_ptr<SerialClient> client_;
};

const Bytes kSerialRequest = core::kmp::encode_get_serial();

TEST_F(SimFaultsKmp, DropSendsNothingUntilSwitchedOff) {
  FaultConfig f;
  f.drop = 1;
  start(f);
  EXPECT_TRUE(kmp_exchange(*client_, kSerialRequest, 300ms).raw.empty());
  EXPECT_EQ(fault_count("drop"), 1u);
  auto answer = emu_->request({{"cmd", "faults"}, {"drop", 0}});
  EXPECT_EQ(answer["faults"]["drop"], 0.0);
  EXPECT_TRUE(kmp_exchange(*client_, kSerialRequest).frame);
}

bool one_bit_apart(const std::string& a_hex, const std::string& b_hex) {
  auto a = core::from_hex(a_hex), b = core::from_hex(b_hex);
  if (!a || !b || a->size() != b->size()) return false;
  int bits = 0;
  for (std::size_t i = 0; i < a->size(); ++i)
    bits += std::popcount(static_cast<unsigned>((*a)[i] ^ (*b)[i]));
  return bits == 1;
}

TEST_F(SimFaultsKmp, CorruptFlipsExactlyOneBit) {
  FaultConfig f;
  f.corrupt = 1;
  start(f);
  const Bytes got = kmp_exchange(*client_, kSerialRequest, 300ms).raw;
  ASSERT_EQ(got.size(), 10u);
  const nlohmann::json last = emu_->last_reply();
  EXPECT_EQ(last["faults"], nlohmann::json::array({"corrupt"}));
  EXPECT_EQ(last["wire_hex"], core::to_hex_spaced(got));
  EXPECT_TRUE(one_bit_apart(last["hex"], last["wire_hex"]));
  EXPECT_FALSE(core::kmp::decode_frame(got).ok());
  EXPECT_EQ(fault_count("corrupt"), 1u);
}

TEST_F(SimFaultsKmp, BadCheckIsACrcMismatch) {
  FaultConfig f;
  f.bad_check = 1;
  start(f);
  KmpReply r = kmp_exchange(*client_, kSerialRequest);
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->code, core::Errc::kmp_crc_mismatch);
  EXPECT_EQ(fault_count("bad_check"), 1u);
}

TEST_F(SimFaultsKmp, NoiseComesBeforeTheReply) {
  FaultConfig f;
  f.noise_bytes = 6;
  start(f);
  client_->write(kSerialRequest);
  const Bytes got = client_->read_for(300ms);
  ASSERT_EQ(got.size(), 16u);
  const Bytes reply(got.end() - 10, got.end());
  auto frame = core::kmp::decode_frame(reply);
  ASSERT_TRUE(frame.ok());
  EXPECT_EQ(*core::kmp::decode_serial_reply(*frame), 6892850u);
  EXPECT_EQ(fault_count("noise"), 1u);
}

TEST_F(SimFaultsKmp, EchoOfTheRequestComesFirst) {
  FaultConfig f;
  f.echo = true;
  start(f);
  const Bytes request = *core::kmp::encode_get_register(core::kmp::sample_registers());
  KmpReply r = kmp_exchange(*client_, request);
  ASSERT_TRUE(r.frame) << (r.error ? r.error->message() : "no reply");
  ASSERT_GE(r.raw.size(), request.size() + 79);
  EXPECT_EQ(Bytes(r.raw.begin(), r.raw.begin() + static_cast<std::ptrdiff_t>(request.size())),
            request);
  EXPECT_EQ(fault_count("echo_bytes"), request.size());
}

TEST_F(SimFaultsKmp, LateReplyIsDelayed) {
  FaultConfig f;
  f.late_ms = 300;
  start(f);
  const auto t0 = Clock::now();
  ASSERT_TRUE(kmp_exchange(*client_, kSerialRequest).frame);
  EXPECT_GE(Clock::now() - t0, 300ms);
  EXPECT_EQ(emu_->last_reply()["faults"], nlohmann::json::array({"late"}));
  emu_->request({{"cmd", "faults"}, {"late_ms", 0}});
  const auto t1 = Clock::now();
  ASSERT_TRUE(kmp_exchange(*client_, kSerialRequest).frame);
  EXPECT_LT(Clock::now() - t1, 200ms);
}

TEST_F(SimFaultsKmp, SilentAfterNRequests) {
  FaultConfig f;
  f.silent_after = 2;
  start(f);
  EXPECT_TRUE(kmp_exchange(*client_, kSerialRequest).frame);
  EXPECT_TRUE(kmp_exchange(*client_, kSerialRequest).frame);
  EXPECT_TRUE(kmp_exchange(*client_, kSerialRequest, 300ms).raw.empty());
  EXPECT_EQ(fault_count("silent"), 1u);
  // Counted from when it is set: one more answer, then silence again.
  emu_->request({{"cmd", "faults"}, {"silent_after", 1}});
  EXPECT_TRUE(kmp_exchange(*client_, kSerialRequest).frame);
  EXPECT_TRUE(kmp_exchange(*client_, kSerialRequest, 300ms).raw.empty());
}

TEST_F(SimFaultsKmp, SleepingMeterIgnoresTheFirstRequest) {
  FaultConfig f;
  f.wake_after_ms = 700;
  start(f);
  EXPECT_TRUE(kmp_exchange(*client_, kSerialRequest, 200ms).raw.empty());  // asleep at start
  EXPECT_TRUE(kmp_exchange(*client_, kSerialRequest).frame);               // now awake
  EXPECT_TRUE(kmp_exchange(*client_, kSerialRequest).frame);
  std::this_thread::sleep_for(900ms);
  EXPECT_TRUE(kmp_exchange(*client_, kSerialRequest, 200ms).raw.empty());  // asleep again
  EXPECT_EQ(fault_count("wake_up"), 2u);
}

// Which of `n` GetSerialNo requests came back corrupted, and the bytes received.
std::pair<std::vector<bool>, Bytes> corrupted_pattern(std::uint64_t seed, int n) {
  TempDir dir;
  KmpEmulatorOptions o = kmp_test_options(dir);
  o.common.seed = seed;
  o.common.faults.corrupt = 0.5;
  Running<KmpEmulator> emu(std::move(o), dir.file("ctl"));
  SerialClient client(dir.file("tty"));
  client.set_line(1200, 2);
  std::vector<bool> pattern;
  Bytes all;
  for (int i = 0; i < n; ++i) {
    client.write(kSerialRequest);
    const Bytes got = client.read_until([](const Bytes& b) { return b.size() >= 10; }, 1000ms);
    all.insert(all.end(), got.begin(), got.end());
    pattern.push_back(got != core::kmp::encode_serial_reply(6892850));
  }
  return {pattern, all};
}

TEST(SimFaultsSeed, SameSeedSameFaults) {
  const auto a = corrupted_pattern(11, 8);
  const auto b = corrupted_pattern(11, 8);
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.second, b.second);
  // And it is the plan the seed predicts.
  FaultConfig f;
  f.corrupt = 0.5;
  for (std::uint64_t k = 1; k <= 8; ++k)
    EXPECT_EQ(a.first[static_cast<std::size_t>(k - 1)], plan_faults(f, 11, k, 10).corrupt) << k;
  const auto c = corrupted_pattern(12, 8);
  EXPECT_NE(a.second, c.second);
}

TEST(SimFaultsMc66, IdentNeedsWakeUpNuls) {
  TempDir dir;
  Mc66EmulatorOptions o;
  o.common.link = dir.file("tty");
  o.common.start_ms = kSimStart;
  o.common.frozen = true;
  o.common.pace_speedup = 20;
  o.common.faults.wake_nuls = 10;
  o.meter.customer = 40;
  o.meter.program = *core::iec::parse_program_number(kDefaultProgram);
  o.readout_latency = 300ms;
  Running<Mc66Emulator> emu(std::move(o), dir.file("ctl"));
  SerialClient client(dir.file("tty"));
  auto ident = [&](std::size_t nuls) {
    client.set_line(300, 2);
    client.write(with_parity(std::string(nuls, '\0') + "/?!\r\n"));
    std::this_thread::sleep_for(100ms);
    client.set_line(300, 1);
    return strip_parity(client.read_for(500ms));
  };
  EXPECT_TRUE(ident(0).empty());
  EXPECT_TRUE(ident(5).empty());
  const Bytes reply = ident(16);
  EXPECT_EQ(std::string(reply.begin(), reply.end()), "/KAM MC\r\n");
  EXPECT_EQ(counter(emu.state(), "faults", "wake_up"), 2u);
}

}  // namespace
}  // namespace ml::sim
