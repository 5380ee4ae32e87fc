// The KMP emulator through a real pseudo-terminal: the test is the client, with termios set as a
// reader would, requests built and replies decoded with the core KMP codec.
#include <gtest/gtest.h>

#include "core/kmp/messages.hpp"
#include "core/kmp/receiver.hpp"
#include "core/kmp/registers.hpp"
#include "sim/kmp_emulator.hpp"
#include "sim_support.hpp"

namespace ml::sim {
namespace {

using namespace ml::test;
using core::Bytes;

class SimKmp : public ::testing::Test {
 protected:
  void start(KmpEmulatorOptions o) {
    emu_ = std::make_unique<Running<KmpEmulator>>(std::move(o), dir_.file("ctl"));
    client_ = std::make_unique<SerialClient>(dir_.file("tty"));
    client_->set_line(1200, 2);
  }
  TempDir dir_;
  std::unique_ptr<Running<KmpEmulator>> emu_;
  std::unique_ptr<SerialClient> client_;
};

TEST_F(SimKmp, SerialTypeAndTheEightRegisters) {
  start(kmp_test_options(dir_));
  KmpReply serial = kmp_exchange(*client_, core::kmp::encode_get_serial());
  ASSERT_TRUE(serial.frame) << (serial.error ? serial.error->message() : "no reply");
  EXPECT_EQ(*core::kmp::decode_serial_reply(*serial.frame), 6892850u);

  KmpReply type = kmp_exchange(*client_, core::kmp::encode_get_type());
  ASSERT_TRUE(type.frame);
  EXPECT_EQ(core::kmp::decode_type_reply(*type.frame)->meter_type, 0x0601);

  KmpReply regs =
      kmp_exchange(*client_, *core::kmp::encode_get_register(core::kmp::sample_registers()));
  ASSERT_TRUE(regs.frame);
  EXPECT_EQ(regs.raw.size(), 79u);
  auto values = core::kmp::decode_register_reply(*regs.frame);
  ASSERT_TRUE(values.ok());
  ASSERT_EQ(values->size(), 8u);
  const nlohmann::json state = emu_->state();
  const nlohmann::json last = emu_->last_reply();
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ((*values)[i].id, core::kmp::sample_registers()[i]);
    EXPECT_EQ((*values)[i].value.to_string(), state["registers"][i]["value"]) << i;
    EXPECT_EQ((*values)[i].value.to_string(), last["registers"][i]["value"]) << i;
    EXPECT_EQ((*values)[i].unit, last["registers"][i]["unit_code"]) << i;
  }
  EXPECT_EQ((*values)[0].value.to_string(), "12345");   // E1 kWh
  EXPECT_EQ((*values)[1].value.to_string(), "321.50");  // V1 m3
  EXPECT_EQ((*values)[2].value.to_string(), "8760");    // HR
  // T1 - T2 is exactly tdif, and matches the true state.
  const core::Decimal t1 = (*values)[3].value, t2 = (*values)[4].value, tdif = (*values)[5].value;
  EXPECT_EQ(static_cast<std::int64_t>(t1.mantissa) - static_cast<std::int64_t>(t2.mantissa),
            static_cast<std::int64_t>(tdif.mantissa));
  EXPECT_EQ(t1.to_string(), state["values"]["t1"]["value"]);
  EXPECT_EQ(tdif.to_string(), state["values"]["tdif"]["value"]);
  EXPECT_EQ(last["hex"], core::to_hex_spaced(regs.raw));
  EXPECT_EQ(state["counters"]["requests"], 3);
  EXPECT_EQ(emu_->state()["counters"]["replies"], 3);
}

TEST_F(SimKmp, UnknownRegistersAreOmittedAndOrderKept) {
  start(kmp_test_options(dir_));
  const std::uint16_t ids[] = {0x0057, 0x0001, 0x03EC, 0x7777, 0x003C};
  KmpReply r = kmp_exchange(*client_, *core::kmp::encode_get_register(ids));
  ASSERT_TRUE(r.frame);
  auto values = core::kmp::decode_register_reply(*r.frame);
  ASSERT_TRUE(values.ok());
  ASSERT_EQ(values->size(), 3u);
  EXPECT_EQ((*values)[0].id, 0x0057);
  EXPECT_EQ((*values)[1].id, 0x03EC);
  EXPECT_EQ((*values)[2].id, 0x003C);
  EXPECT_EQ(emu_->last_reply()["omitted"], nlohmann::json::array({1, 0x7777}));
}

TEST_F(SimKmp, SetClockAndPutRegister) {
  start(kmp_test_options(dir_));
  KmpReply clock = kmp_exchange(
      *client_, *core::kmp::encode_set_clock(core::kmp::MeterClock{2031, 12, 24, 18, 30, 0}));
  EXPECT_TRUE(clock.ack);
  const std::uint16_t date_ids[] = {0x03EB, 0x03EA};
  KmpReply date = kmp_exchange(*client_, *core::kmp::encode_get_register(date_ids));
  ASSERT_TRUE(date.frame);
  auto dv = core::kmp::decode_register_reply(*date.frame);
  ASSERT_TRUE(dv.ok());
  EXPECT_EQ((*dv)[0].value.to_string(), "311224");
  EXPECT_EQ((*dv)[1].value.to_string(), "183000");  // frozen installation: the clock stands still

  const core::kmp::RegisterValue custno{0x0070, 0x33, core::Decimal{false, 123, 0}, 0};
  KmpReply put = kmp_exchange(*client_, *core::kmp::encode_put_register(custno));
  ASSERT_TRUE(put.frame);
  EXPECT_EQ(*core::kmp::decode_put_register_reply(*put.frame), std::vector<std::uint16_t>{0x70});
  const core::kmp::RegisterValue e1{0x003C, 0x02, core::Decimal{false, 0, 0}, 0};
  KmpReply ro =
      kmp_exchange(*client_, *core::kmp::encode_put_register(e1), std::chrono::milliseconds(300));
  EXPECT_FALSE(ro.frame);
  EXPECT_TRUE(ro.raw.empty());
  EXPECT_EQ(counter(emu_->state(), "rejected_by_reason", "read_only"), 1u);
}

TEST_F(SimKmp, IgnoresBadCrcAndOtherDestinations) {
  start(kmp_test_options(dir_));
  Bytes bad = core::kmp::encode_get_serial();
  bad[3] ^= 0x01;  // CRC byte
  KmpReply r = kmp_exchange(*client_, bad, std::chrono::milliseconds(300));
  EXPECT_TRUE(r.raw.empty());
  KmpReply logger =
      kmp_exchange(*client_, core::kmp::encode_get_serial(0x7F), std::chrono::milliseconds(300));
  EXPECT_TRUE(logger.raw.empty());
  const nlohmann::json s = emu_->state();
  EXPECT_EQ(counter(s, "rejected_by_reason", "bad_frame"), 1u);
  EXPECT_EQ(counter(s, "rejected_by_reason", "wrong_destination"), 1u);
  EXPECT_EQ(s["counters"]["replies"], 0);
  // A correct request still works afterwards.
  EXPECT_TRUE(kmp_exchange(*client_, core::kmp::encode_get_serial()).frame);
}

TEST_F(SimKmp, WrongBaudOrStopBitsGetNoAnswer) {
  start(kmp_test_options(dir_));
  client_->set_line(9600, 2);
  EXPECT_TRUE(kmp_exchange(*client_, core::kmp::encode_get_serial(), std::chrono::milliseconds(300))
                  .raw.empty());
  client_->set_line(1200, 1);
  EXPECT_TRUE(kmp_exchange(*client_, core::kmp::encode_get_serial(), std::chrono::milliseconds(300))
                  .raw.empty());
  const nlohmann::json s = emu_->state();
  EXPECT_EQ(counter(s, "rejected_by_reason", "request_baud"), 1u);
  EXPECT_EQ(counter(s, "rejected_by_reason", "request_stop_bits"), 1u);
  EXPECT_EQ(s["counters"]["requests"], 0);
}

TEST_F(SimKmp, ClientAtTheWrongBaudWhenTheReplyStartsReadsGarbage) {
  KmpEmulatorOptions o = kmp_test_options(dir_);
  o.latency = std::chrono::milliseconds(400);
  start(std::move(o));
  const Bytes request = *core::kmp::encode_get_register(core::kmp::sample_registers());
  client_->write(request);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  client_->set_line(2400, 2);
  const Bytes got = client_->read_for(std::chrono::milliseconds(800));
  EXPECT_EQ(got.size(), 79u);  // as many bytes as the reply, but no valid frame in them
  core::kmp::Receiver rx(core::kmp::Direction::reply);
  for (std::uint8_t b : got) {
    auto ev = rx.feed(b);
    EXPECT_FALSE(ev && ev->ok() && ev->value().kind == core::kmp::Received::Kind::frame);
  }
  const nlohmann::json s = emu_->state();
  EXPECT_EQ(counter(s, "rejected_by_reason", "reply_baud"), 1u);
  EXPECT_EQ(s["counters"]["replies"], 0);
}

TEST_F(SimKmp, RepliesArePacedAtTheBaudRate) {
  KmpEmulatorOptions o = kmp_test_options(dir_, 1);
  o.latency = std::chrono::milliseconds(30);
  start(std::move(o));
  const Bytes request = *core::kmp::encode_get_register(core::kmp::sample_registers());
  const auto t0 = Clock::now();
  std::optional<Clock::time_point> first;
  client_->write(request);
  const Bytes got = client_->read_until(
      [&](const Bytes& b) {
        if (!b.empty() && !first) first = Clock::now();
        return b.size() >= 79;
      },
      std::chrono::milliseconds(3000));
  const auto total = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0);
  ASSERT_EQ(got.size(), 79u);
  // Request 23 x 11 bits + 30 ms + reply 79 x 11 bits at 1200 baud.
  const double wire_ms =
      static_cast<double>(core::wire_time_us(core::kKmpLine, 23 + 79)) / 1000.0 + 30.0;
  const double ms = static_cast<double>(total.count()) / 1000.0;
  // Never faster than the wire; slower only by what a loaded machine adds (a quarter: a reply
  // paced at half the baud rate would take twice as long).
  EXPECT_GT(ms, wire_ms * 0.97) << ms;
  EXPECT_LT(ms, wire_ms * 1.25) << ms;
  // Bytes trickle in: the first one after the request's wire time and the latency, and long
  // before the last (most of the reply's own wire time; relative, so that a pause of the machine
  // before the first byte does not count).
  ASSERT_TRUE(first.has_value());
  const double first_ms =
      static_cast<double>(
          std::chrono::duration_cast<std::chrono::microseconds>(*first - t0).count()) /
      1000.0;
  const double reply_ms = static_cast<double>(core::wire_time_us(core::kKmpLine, 79)) / 1000.0;
  EXPECT_LT(first_ms, ms - reply_ms * 0.8) << first_ms << " of " << ms;
  EXPECT_GT(first_ms, 200.0);
}

TEST_F(SimKmp, EnergyIntegratesOverSimulatedTimeExactly) {
  KmpEmulatorOptions o = kmp_test_options(dir_);
  o.common.frozen = false;
  o.common.time_scale = 3600;
  start(std::move(o));
  nlohmann::json s0 = emu_->request(
      {{"cmd", "set"}, {"t1", "70"}, {"t2", "40.00"}, {"flow", 360}, {"energy", "100.5"}});
  ASSERT_EQ(s0["ok"], true) << s0.dump();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const nlohmann::json s1 = emu_->state();
  auto micro = [](const nlohmann::json& s, const char* key) {
    return core::Decimal::parse(s["values"][key]["value"].get<std::string>())->mantissa;
  };
  const auto tenths = [](const nlohmann::json& s) {
    return core::Decimal::parse(s["values"]["operating_time"]["value"].get<std::string>())
        ->mantissa;
  };
  const std::uint64_t periods = (tenths(s1) - tenths(s0)) / 36;
  EXPECT_GT(periods, 100u);  // ~0.4 s x 3600 / 3.6 s
  EXPECT_EQ((tenths(s1) - tenths(s0)) % 36, 0u);
  EXPECT_EQ(micro(s1, "e1") - micro(s0, "e1"), periods * 12560);  // 12560 W for each 3.6 s
  EXPECT_EQ(micro(s1, "v1") - micro(s0, "v1"), periods * 360);
  EXPECT_EQ(s1["values"]["effect1"]["value"], "12.560");
  // The register shows the whole kWh reached.
  const std::uint16_t e1[] = {0x003C};
  emu_->request({{"cmd", "set"}, {"freeze", true}});
  const nlohmann::json frozen = emu_->state();
  KmpReply r = kmp_exchange(*client_, *core::kmp::encode_get_register(e1));
  ASSERT_TRUE(r.frame);
  const std::string true_e1 = frozen["values"]["e1"]["value"];
  EXPECT_EQ((*core::kmp::decode_register_reply(*r.frame))[0].value.to_string(),
            true_e1.substr(0, true_e1.find('.')));
}

}  // namespace
}  // namespace ml::sim
