// The MULTICAL 66C / 66B emulator through a real pseudo-terminal, driven like the reader drives a
// meter: 300 baud 7E2 requests with software parity, then the switch to the step's reply settings.
#include <gtest/gtest.h>

#include "core/iec62056/mc66.hpp"
#include "core/iec62056/readout.hpp"
#include "core/iec62056/steps.hpp"
#include "sim/mc66_emulator.hpp"
#include "sim_support.hpp"

namespace ml::sim {
namespace {

using namespace ml::test;
using core::Bytes;
using core::iec::ReplyEnd;

constexpr std::int64_t kStart = 1'736'920'800'000;
constexpr unsigned kSpeedup = 20;

Mc66EmulatorOptions mc66_options(const TempDir& dir, Mc66Variant variant) {
  Mc66EmulatorOptions o;
  o.common.link = dir.file("tty");
  o.common.seed = 3;
  o.common.start_ms = kStart;
  o.common.frozen = true;
  o.common.energy_mwh = 12'345'678'901;
  o.common.volume_ml = 321'501'056;
  o.common.operating_ds = 8760ULL * 36000;
  o.common.pace_speedup = kSpeedup;
  o.meter.variant = variant;
  o.meter.customer = 40;
  o.meter.program = *core::iec::parse_program_number(kDefaultProgram);
  // The test client switches 100 ms after its request has left the line (a real reader waits 220
  // to 400 ms): 200 ms of margin before the reply starts.
  o.readout_latency = std::chrono::milliseconds(300);
  o.data_latency = std::chrono::milliseconds(300);
  return o;
}

class SimMc66 : public ::testing::Test {
 protected:
  void start(Mc66EmulatorOptions o) {
    emu_ = std::make_unique<Running<Mc66Emulator>>(std::move(o), dir_.file("ctl"));
    client_ = std::make_unique<SerialClient>(dir_.file("tty"));
  }

  struct StepResult {
    Bytes raw;    // as received
    Bytes chars;  // parity stripped
    std::size_t parity_errors = 0;
    bool complete = false;
  };

  // One step as a reader does it: request at 300 7E2, wait until it has left the line plus a
  // switch delay, switch to reply_baud 7E1 (unless told not to), collect the reply.
  StepResult step(std::string_view request, std::uint32_t reply_baud, ReplyEnd end,
                  int reply_stop_bits = 1,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(1500)) {
    client_->set_line(300, 2);
    client_->discard_input();
    client_->write(with_parity(request));
    const auto wire = std::chrono::microseconds(
        core::wire_time_us(core::iec::kRequestLine, request.size()) / kSpeedup);
    std::this_thread::sleep_for(wire + std::chrono::milliseconds(100));
    client_->set_line(reply_baud, reply_stop_bits);
    StepResult r;
    r.raw = client_->read_until(
        [&](const Bytes& got) { return core::iec::reply_length(end, strip_parity(got)) > 0; },
        timeout);
    r.chars = strip_parity(r.raw, &r.parity_errors);
    r.complete = core::iec::reply_length(end, r.chars) > 0;
    return r;
  }

  TempDir dir_;
  std::unique_ptr<Running<Mc66Emulator>> emu_;
  std::unique_ptr<SerialClient> client_;
};

std::string text(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

TEST_F(SimMc66, FullCycleOfA66C) {
  start(mc66_options(dir_, Mc66Variant::c));
  // Wake-up NULs, then the ident request.
  auto ident = step(std::string(16, '\0') + "/?!\r\n", 300, ReplyEnd::line_feed);
  ASSERT_TRUE(ident.complete);
  EXPECT_EQ(ident.parity_errors, 0u);
  EXPECT_EQ(text(ident.chars), "/KAM MC\r\n");

  auto readout = step(
      "\x06"
      "000\r\n",
      300, ReplyEnd::etx_then_bcc);
  ASSERT_TRUE(readout.complete);
  EXPECT_EQ(readout.parity_errors, 0u);
  auto parsed = core::iec::parse_readout_strict(readout.chars);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  auto values = core::iec::heat_values(*parsed);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values->serial, 40u);
  const nlohmann::json state = emu_->state();
  EXPECT_EQ(values->e1->value.to_string(), state["displayed"]["energy"]["value"]);
  EXPECT_EQ(values->e1->unit, "kWh");
  EXPECT_EQ(values->v1->value.to_string(), "321.50");
  EXPECT_EQ(values->hr->value.to_string(), "8760");
  EXPECT_EQ(emu_->last_reply()["records"][1]["value"], "0012345");

  const auto program = *core::iec::parse_program_number(kDefaultProgram);
  auto inst = step("/#C", 1200, ReplyEnd::carriage_return);
  ASSERT_TRUE(inst.complete);
  auto rc = core::iec::parse_reply(core::iec::Mc66Request::inst_values, inst.chars, program);
  ASSERT_TRUE(rc.ok()) << rc.error().message();
  EXPECT_EQ(rc->find("t1")->value.to_string(), state["values"]["t1"]["value"]);

  auto d1 = step("/#1\r", 1200, ReplyEnd::carriage_return);
  ASSERT_TRUE(d1.complete);
  auto r1 = core::iec::parse_reply(core::iec::Mc66Request::standard_data_1, d1.chars, program);
  ASSERT_TRUE(r1.ok()) << r1.error().message();
  const nlohmann::json last = emu_->last_reply();
  ASSERT_EQ(last["values"].size(), r1->values.size());
  for (std::size_t i = 0; i < r1->values.size(); ++i) {
    EXPECT_EQ(r1->values[i].value.to_string(), last["values"][i]["value"]) << i;
  }
  EXPECT_EQ(r1->find("tdif")->value.to_string(), state["values"]["tdif"]["value"]);
  EXPECT_EQ(r1->find("flow1")->value.to_string(), state["values"]["flow1"]["value"]);

  auto d2 = step("/#2\r", 1200, ReplyEnd::carriage_return);
  ASSERT_TRUE(d2.complete);
  auto r2 = core::iec::parse_reply(core::iec::Mc66Request::standard_data_2, d2.chars);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->program->text(), "431161020100");
  EXPECT_EQ(*r2->customer, 40u);

  const nlohmann::json after = emu_->state();
  EXPECT_EQ(after["counters"]["requests"], 5);
  EXPECT_EQ(after["counters"]["replies"], 5);
  EXPECT_EQ(after["counters"]["rejected"], 0);
}

TEST_F(SimMc66, A66BHasNoInstantaneousValues) {
  start(mc66_options(dir_, Mc66Variant::b));
  ASSERT_TRUE(step("/?!\r\n", 300, ReplyEnd::line_feed).complete);
  auto readout = step(
      "\x06"
      "000\r\n",
      300, ReplyEnd::etx_then_bcc);
  ASSERT_TRUE(readout.complete);
  auto parsed = core::iec::parse_readout_strict(readout.chars);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->separator, core::iec::Separator::none);
  auto inst = step("/#C", 1200, ReplyEnd::carriage_return, 1, std::chrono::milliseconds(500));
  EXPECT_TRUE(inst.raw.empty());
  EXPECT_EQ(counter(emu_->state(), "rejected_by_reason", "unsupported"), 1u);
  EXPECT_TRUE(step("/#1\r", 1200, ReplyEnd::carriage_return).complete);
}

TEST_F(SimMc66, NoSwitchTo1200GivesGarbage) {
  start(mc66_options(dir_, Mc66Variant::c));
  auto d1 = step("/#1\r", 300, ReplyEnd::carriage_return, 1, std::chrono::milliseconds(800));
  EXPECT_FALSE(core::iec::parse_reply(core::iec::Mc66Request::standard_data_1, d1.chars).ok());
  const nlohmann::json s = emu_->state();
  EXPECT_EQ(counter(s, "rejected_by_reason", "reply_baud"), 1u);
  EXPECT_EQ(s["counters"]["replies"], 0);
}

TEST_F(SimMc66, StillAtTwoStopBitsGetsNoReply) {
  start(mc66_options(dir_, Mc66Variant::c));
  auto ident = step("/?!\r\n", 300, ReplyEnd::line_feed, 2, std::chrono::milliseconds(600));
  EXPECT_TRUE(ident.raw.empty());
  EXPECT_EQ(counter(emu_->state(), "rejected_by_reason", "reply_stop_bits"), 1u);
}

TEST_F(SimMc66, BadParityBitsAreLineNoise) {
  start(mc66_options(dir_, Mc66Variant::c));
  client_->set_line(300, 2);
  client_->write(std::string_view("/?!\r\n"));  // plain 8-bit ASCII: no parity bit
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  client_->set_line(300, 1);
  EXPECT_TRUE(client_->read_for(std::chrono::milliseconds(500)).empty());
  const nlohmann::json s = emu_->state();
  EXPECT_EQ(counter(s, "rejected_by_reason", "parity_error"), 1u);
  EXPECT_GT(s["counters"]["parity_errors"].get<int>(), 0);
  EXPECT_EQ(s["counters"]["requests"], 0);
}

TEST_F(SimMc66, WrongRequestLineAndMissingIdent) {
  start(mc66_options(dir_, Mc66Variant::c));
  client_->set_line(1200, 2);
  client_->write(with_parity("/#1\r"));
  EXPECT_TRUE(client_->read_for(std::chrono::milliseconds(400)).empty());
  EXPECT_EQ(counter(emu_->state(), "rejected_by_reason", "request_baud"), 1u);

  auto readout = step(
      "\x06"
      "000\r\n",
      300, ReplyEnd::etx_then_bcc, 1, std::chrono::milliseconds(400));
  EXPECT_TRUE(readout.raw.empty());
  // The emulator counts the line once it has read all of it (at 300 baud; later on a busy machine).
  EXPECT_TRUE(emu_->wait_state([](const nlohmann::json& s) {
    return counter(s, "rejected_by_reason", "no_ident") == 1u;
  })) << emu_->state().dump();
}

}  // namespace
}  // namespace ml::sim
