#include <gtest/gtest.h>

#include <random>

#include "core/crc.hpp"
#include "core/kmp/codec.hpp"
#include "core/kmp/messages.hpp"
#include "core/kmp/receiver.hpp"
#include "core/kmp/registers.hpp"
#include "core/kmp/units.hpp"
#include "test_data.hpp"

namespace ml::core::kmp {
namespace {

Bytes hex(std::string_view s) {
  auto r = from_hex(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? r.value() : Bytes{};
}

Frame decoded(std::string_view wire_hex) {
  auto f = decode_frame(hex(wire_hex));
  EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().message());
  return f.ok() ? f.value() : Frame{};
}

// ---- the verified vectors in tests/data/kmp_frames.json ----

TEST(KmpVectors, EveryFrameDecodesAsRecorded) {
  const auto data = test::load_json("kmp_frames.json");
  ASSERT_GE(data["frames"].size(), 6u);
  for (const auto& v : data["frames"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    const Bytes wire = hex(v["hex"].get<std::string>());
    auto frame = decode_frame(wire);
    ASSERT_TRUE(frame.ok()) << frame.error().message();
    EXPECT_EQ(frame->cid, v["cid"].get<int>());
    EXPECT_EQ(frame->dst, kDstHeatMeter);
    const bool request = v["direction"] == "request";
    EXPECT_EQ(frame->direction, request ? Direction::request : Direction::reply);
    // Re-encoding gives the same bytes on the wire (stuffing and CRC included).
    EXPECT_EQ(encode_frame(*frame), wire);

    if (request && v.contains("registers")) {
      auto ids = decode_register_request(*frame);
      ASSERT_TRUE(ids.ok());
      EXPECT_EQ(*ids, v["registers"].get<std::vector<std::uint16_t>>());
      EXPECT_EQ(encode_get_register(*ids).value(), wire);
    } else if (request && frame->cid == 0x02) {
      EXPECT_EQ(encode_get_serial(), wire);
    } else if (v.contains("serial")) {
      auto serial = decode_serial_reply(*frame);
      ASSERT_TRUE(serial.ok());
      EXPECT_EQ(*serial, v["serial"].get<std::uint32_t>());
      EXPECT_EQ(encode_serial_reply(*serial), wire);
    } else if (v.contains("registers")) {
      auto regs = decode_register_reply(*frame);
      ASSERT_TRUE(regs.ok()) << regs.error().message();
      ASSERT_EQ(regs->size(), v["registers"].size());
      for (std::size_t i = 0; i < regs->size(); ++i) {
        const auto& want = v["registers"][i];
        EXPECT_EQ((*regs)[i].id, want["id"].get<int>());
        EXPECT_EQ(unit_by_code((*regs)[i].unit)->text, want["unit"].get<std::string>());
        EXPECT_EQ((*regs)[i].value.to_string(), want["value"].get<std::string>());
      }
      EXPECT_EQ(encode_register_reply(*regs).value(), wire);
    }
  }
}

// ---- examples of docs/protocols/kmp.md ----

TEST(KmpSpec, RequestFramesOfTheMeasurementCycle) {
  EXPECT_EQ(to_hex_spaced(encode_get_serial()), "80 3F 02 35 E9 0D");
  const std::vector<std::uint16_t> ids(sample_registers().begin(), sample_registers().end());
  EXPECT_EQ(to_hex_spaced(encode_get_register(ids).value()),
            "80 3F 10 08 00 3C 00 44 03 EC 00 56 00 57 00 59 00 4A 00 50 B6 C5 0D");
  EXPECT_EQ(crc16_xmodem(hex("3F02")), 0x35E9);
}

TEST(KmpSpec, ValueTextKeepsTheMetersDecimals) {
  // The examples of docs/protocols/kmp.md, "Register records and exact values".
  EXPECT_EQ(decode_value(2361, 0x42).to_string(), "23.61");
  EXPECT_EQ(decode_value(2, 0x43).to_string(), "0.002");
  EXPECT_EQ(decode_value(0, 0x41).to_string(), "0.0");
  EXPECT_EQ(decode_value(132127, 0x42).to_string(), "1321.27");
  EXPECT_EQ(decode_value(7126, 0x00).to_string(), "7126");
  EXPECT_EQ(decode_value(5, 0x02).to_string(), "500");
  EXPECT_EQ(decode_value(2735, 0xC2).to_string(), "-27.35");
  // Fixed quirks: si_ex 0x40 is an integer (the original looped), exponents above 9 are exact
  // (the 2026 firmware printed NaN).
  EXPECT_EQ(decode_value(42, 0x40).to_string(), "42");
  EXPECT_EQ(decode_value(12, 0x4A).to_string(), "0.0000000012");
  EXPECT_EQ(decode_value(3, 0x0C).to_string(), "3000000000000");
}

TEST(KmpSpec, SingleRegisterReplyAndRealisticReply) {
  auto regs = decode_register_reply(decoded("403F1003EC2E040000001BE4D792E40D"));
  ASSERT_TRUE(regs.ok());
  ASSERT_EQ(regs->size(), 1u);
  EXPECT_EQ((*regs)[0].value.to_string(), "7127");
  // Example 3 is 79 bytes on the wire, with the flow value 13 = 0x0D stuffed as 1B F2.
  const Bytes wire = hex(
      "403F10003C0204000000DD9600442804420002041F03EC2E040000011E6F005625044200000939005725044200"
      "0008AB00592604420000008E004A2904000000001BF2005016044100000001FB670D");
  EXPECT_EQ(wire.size(), 79u);
  EXPECT_TRUE(decode_frame(wire).ok());
}

// ---- register records of any mantissa length ----

TEST(KmpRegisters, LengthByteIsHonoured) {
  // E1 with a 2-byte mantissa followed by T1 with a 6-byte mantissa: the original would have
  // read 4 bytes for each and mis-parsed everything after the first.
  Bytes data =
      hex("003C0202420D05"
          "005625064200000000092D");
  auto regs = decode_register_reply(Frame{Direction::reply, 0x3F, 0x10, data});
  ASSERT_TRUE(regs.ok()) << regs.error().message();
  ASSERT_EQ(regs->size(), 2u);
  EXPECT_EQ((*regs)[0].value.to_string(), "33.33");
  EXPECT_EQ((*regs)[0].length, 2);
  EXPECT_EQ((*regs)[1].value.to_string(), "23.49");
  EXPECT_EQ((*regs)[1].length, 6);
  // One 8-byte mantissa at the top of the range.
  data = hex("03EC2E0800FFFFFFFFFFFFFFFF");
  regs = decode_register_reply(Frame{Direction::reply, 0x3F, 0x10, data});
  ASSERT_TRUE(regs.ok());
  EXPECT_EQ((*regs)[0].value.to_string(), "18446744073709551615");
}

TEST(KmpRegisters, BadRecordsAreRejectedWithTheReason) {
  auto reply = [](std::string_view data_hex) {
    return decode_register_reply(Frame{Direction::reply, 0x3F, 0x10, hex(data_hex)});
  };
  auto r = reply("003C020942000000000000000000");  // length 9
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kmp_bad_register);
  EXPECT_NE(r.error().detail.find("mantissa length 9"), std::string::npos) << r.error().detail;
  r = reply("003C020042");  // length 0
  EXPECT_EQ(r.error().code, Errc::kmp_bad_register);
  r = reply("003C02044200");  // announces 4 bytes, 1 follows
  EXPECT_EQ(r.error().code, Errc::kmp_bad_register);
  EXPECT_NE(r.error().detail.find("only 1 follow"), std::string::npos) << r.error().detail;
  r = reply("003C41044200000001");  // unit code above 0x40
  EXPECT_EQ(r.error().code, Errc::kmp_bad_register);
  EXPECT_NE(r.error().detail.find("unknown unit code 0x41"), std::string::npos);
  r = reply("003C0204");  // header cut short
  EXPECT_EQ(r.error().code, Errc::kmp_bad_register);
  std::string nine;
  for (int i = 0; i < 9; ++i)
    nine += "003C02040000000001";
  EXPECT_EQ(reply(nine).error().code, Errc::kmp_too_many_registers);
}

TEST(KmpRegisters, RequestsHoldOneToEightRegisters) {
  EXPECT_EQ(encode_get_register({}).error().code, Errc::invalid_argument);
  const std::vector<std::uint16_t> nine(9, 60);
  EXPECT_EQ(encode_get_register(nine).error().code, Errc::kmp_too_many_registers);
  Frame bad{Direction::request, 0x3F, 0x10, hex("02003C")};
  EXPECT_EQ(decode_register_request(bad).error().code, Errc::kmp_bad_length);
}

// ---- other commands ----

TEST(KmpCommands, GetTypeSetClockPutRegisterRoundTrip) {
  auto type = decode_type_reply(decode_frame(encode_type_reply({0x0C02, 0x0102})).value());
  ASSERT_TRUE(type.ok());
  EXPECT_EQ(type->meter_type, 0x0C02);
  EXPECT_EQ(type->revision_text(), "A2");
  EXPECT_EQ((TypeInfo{1, 0}).revision_text(), "");

  const MeterClock clock{2026, 11, 25, 13, 5, 9};
  const Bytes wire = encode_set_clock(clock).value();
  // Date and time travel as the decimal numbers yymmdd and hhmmss, 4 bytes each.
  const Frame f = decode_frame(wire).value();
  EXPECT_EQ(to_hex(f.data),
            "0003fc05"
            "0001fdcd");
  EXPECT_EQ(decode_set_clock_request(f).value(), clock);
  EXPECT_FALSE(encode_set_clock({2026, 13, 1, 0, 0, 0}).ok());
  EXPECT_FALSE(
      decode_set_clock_request(Frame{Direction::request, 0x3F, 0x09, hex("0003fc0500039387")})
          .ok());

  const RegisterValue put{0x03EB, 0x30, Decimal{false, 261125, 0}, 4};
  const Frame pf = decode_frame(encode_put_register(put).value()).value();
  EXPECT_EQ(decode_put_register_request(pf).value(), put);
  const std::vector<std::uint16_t> accepted{0x03EB};
  EXPECT_EQ(
      decode_put_register_reply(decode_frame(encode_put_register_reply(accepted)).value()).value(),
      accepted);
}

TEST(KmpCommands, WrongCommandOrDirectionIsNamed) {
  const Frame serial = decoded("403F0200692D32CD5D0D");
  auto r = decode_register_reply(serial);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kmp_unexpected_cid);
  EXPECT_NE(r.error().detail.find("GetRegister"), std::string::npos);
  EXPECT_EQ(decode_serial_reply(decoded("803F0235E90D")).error().code, Errc::kmp_unexpected_cid);
  EXPECT_EQ(decode_serial_reply(Frame{Direction::reply, 0x3F, 0x02, hex("00692D")}).error().code,
            Errc::kmp_bad_length);
}

// ---- framing errors ----

TEST(KmpFrame, FramingErrorsAreDistinct) {
  EXPECT_EQ(decode_frame(hex("")).error().code, Errc::kmp_too_short);
  EXPECT_EQ(decode_frame(hex("413F0200692D32CD5D0D")).error().code, Errc::kmp_bad_start);
  EXPECT_EQ(decode_frame(hex("403F0200692D32CD5D0E")).error().code, Errc::kmp_bad_stop);
  EXPECT_EQ(decode_frame(hex("403F0200692D32CD5C0D")).error().code, Errc::kmp_crc_mismatch);
  EXPECT_EQ(decode_frame(hex("403F0D")).error().code, Errc::kmp_too_short);
  EXPECT_EQ(decode_frame(hex("403F1B0D")).error().code, Errc::kmp_bad_stuffing);
  EXPECT_EQ(decode_frame(hex("403F1B000D")).error().code, Errc::kmp_bad_stuffing);
  // A byte that must be escaped, sent raw (found by fuzz_kmp): the frame would not re-encode.
  EXPECT_EQ(decode_frame(hex("4029404010F7F10D")).error().code, Errc::kmp_bad_stuffing);
  EXPECT_EQ(unstuff(hex("3F06")).error().code, Errc::kmp_bad_stuffing);
  const auto crc = decode_frame(hex("403F0200692D32CD5C0D")).error();
  EXPECT_EQ(crc.detail, "frame says 0xCD5C, computed 0xCD5D");
  EXPECT_EQ(decode_frame(Bytes(kMaxWireFrame + 1, 0x40)).error().code, Errc::kmp_overflow);
}

TEST(KmpFrame, EverySpecialByteIsStuffedAndUnstuffed) {
  for (int b = 0; b < 256; ++b) {
    const Bytes one{static_cast<std::uint8_t>(b)};
    const Bytes s = stuff(one);
    const bool special = b == 0x06 || b == 0x0D || b == 0x1B || b == 0x40 || b == 0x80;
    EXPECT_EQ(needs_stuffing(static_cast<std::uint8_t>(b)), special) << b;
    if (special) {
      EXPECT_EQ(s, (Bytes{0x1B, static_cast<std::uint8_t>(b ^ 0xFF)})) << b;
    } else {
      EXPECT_EQ(s, one) << b;
    }
    EXPECT_EQ(unstuff(s).value(), one) << b;
  }
  // A frame whose link bytes are all special: nothing special survives between start and stop.
  const Bytes wire = encode_frame(Frame{Direction::reply, 0x40, 0x80, hex("060D1B4080")});
  for (std::size_t i = 1; i + 1 < wire.size(); ++i) {
    EXPECT_NE(wire[i], 0x40);
    EXPECT_NE(wire[i], 0x80);
    EXPECT_NE(wire[i], 0x0D);
    EXPECT_NE(wire[i], 0x06);
  }
  EXPECT_EQ(decode_frame(wire).value().data, hex("060D1B4080"));
}

// ---- properties ----

RegisterValue random_register(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> len_dist(1, 8);
  RegisterValue v;
  v.id = static_cast<std::uint16_t>(rng());
  v.unit = static_cast<std::uint8_t>(rng() % (kMaxUnitCode + 1));
  v.length = static_cast<std::uint8_t>(len_dist(rng));
  const std::uint64_t mask = v.length == 8 ? ~0ULL : (1ULL << (8 * v.length)) - 1;
  v.value.mantissa = rng() & mask;
  v.value.exponent = static_cast<std::int32_t>(rng() % 127) - 63;
  v.value.negative = v.value.mantissa != 0 && (rng() & 1);
  return v;
}

TEST(KmpProperties, RandomRegisterSetsRoundTrip) {
  std::mt19937_64 rng(20261125);
  for (int round = 0; round < 2000; ++round) {
    std::vector<RegisterValue> values(1 + rng() % 8);
    for (auto& v : values)
      v = random_register(rng);
    const Bytes wire = encode_register_reply(values).value();
    ASSERT_LE(wire.size(), kMaxWireFrame);
    auto frame = decode_frame(wire);
    ASSERT_TRUE(frame.ok()) << frame.error().message();
    auto back = decode_register_reply(*frame);
    ASSERT_TRUE(back.ok()) << back.error().message();
    EXPECT_EQ(*back, values);
    // The same bytes through the byte-at-a-time receiver.
    Receiver rx;
    std::optional<RxEvent> last;
    for (std::uint8_t b : wire) {
      if (auto e = rx.feed(b)) last = std::move(e);
    }
    ASSERT_TRUE(last && last->ok());
    EXPECT_EQ((*last)->frame, *frame);
  }
}

TEST(KmpProperties, EverySingleBitFlipIsRejected) {
  const auto data = test::load_json("kmp_frames.json");
  for (const auto& v : data["frames"]) {
    const Bytes wire = hex(v["hex"].get<std::string>());
    for (std::size_t i = 0; i < wire.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        Bytes bad = wire;
        bad[i] ^= static_cast<std::uint8_t>(1 << bit);
        auto frame = decode_frame(bad);
        EXPECT_FALSE(frame.ok()) << v["name"] << " byte " << i << " bit " << bit;
      }
    }
  }
}

TEST(KmpProperties, RandomBytesNeverCrashAndNeverPassUnlessWellFormed) {
  std::mt19937_64 rng(7);
  int accepted = 0;
  for (int round = 0; round < 200000; ++round) {
    Bytes junk(static_cast<std::size_t>(rng() % 40));
    for (auto& b : junk)
      b = static_cast<std::uint8_t>(rng());
    if (!junk.empty() && (round & 1)) {  // half of them framed, to get past the first checks
      junk.front() = kStartReply;
      junk.back() = kStop;
    }
    auto frame = decode_frame(junk);
    if (frame.ok()) {
      ++accepted;
      // Only a genuinely well-formed frame passes: re-encoding reproduces the bytes exactly.
      EXPECT_EQ(encode_frame(*frame), junk);
    }
  }
  // CRC-16 lets about 1 in 65536 framed random inputs through; they must all be well-formed.
  EXPECT_LT(accepted, 20);
}

// ---- the receiver ----

std::vector<RxEvent> feed_all(Receiver& rx, const Bytes& bytes, bool flush = true) {
  std::vector<RxEvent> events;
  for (std::uint8_t b : bytes) {
    if (auto e = rx.feed(b)) events.push_back(std::move(*e));
  }
  if (flush) {
    if (auto e = rx.flush()) events.push_back(std::move(*e));
  }
  return events;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(KmpReceiver, SkipsTheEchoOfItsOwnRequest) {
  const Bytes request = encode_get_serial();
  const Bytes reply = hex("403F0200692D32CD5D0D");
  Receiver rx;
  rx.expect_echo(request);
  auto events = feed_all(rx, concat({request, reply}));
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(events[0].ok());
  EXPECT_EQ(decode_serial_reply(events[0]->frame).value(), 6892850u);
  EXPECT_EQ(rx.stats().echo_bytes, request.size());
  EXPECT_EQ(rx.stats().garbage_bytes, 0u);
  EXPECT_EQ(rx.stats().frames_ok, 1u);
}

TEST(KmpReceiver, GarbageBeforeAFrameIsReportedThenTheFrameDecodes) {
  Receiver rx;
  auto events = feed_all(rx, concat({hex("FF00A5"), hex("403F0200692D32CD5D0D")}));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].error().code, Errc::kmp_garbage);
  EXPECT_EQ(events[0].error().detail, "3 bytes outside a frame");
  ASSERT_TRUE(events[1].ok());
  EXPECT_EQ(rx.stats().garbage_bytes, 3u);
}

TEST(KmpReceiver, ResynchronisesOnTheStartByteAfterATruncatedFrame) {
  Receiver rx;
  auto events = feed_all(rx, concat({hex("403F10003C03"), hex("403F0200692D32CD5D0D")}));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].error().code, Errc::kmp_truncated);
  ASSERT_TRUE(events[1].ok());
  EXPECT_EQ(events[1]->frame.cid, 0x02);
  EXPECT_EQ(rx.stats().truncated, 1u);
}

TEST(KmpReceiver, CrcErrorTruncationAndGarbageAreDistinct) {
  Receiver rx;
  auto events = feed_all(rx, hex("403F0200692D32CD5C0D"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].error().code, Errc::kmp_crc_mismatch);
  events = feed_all(rx, hex("403F0200"));  // then the line goes quiet
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].error().code, Errc::kmp_truncated);
  events = feed_all(rx, hex("1234"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].error().code, Errc::kmp_garbage);
  EXPECT_EQ(rx.stats().crc_errors, 1u);
  EXPECT_EQ(rx.stats().truncated, 1u);
  EXPECT_TRUE(rx.idle());
}

TEST(KmpReceiver, LoneAckIsReported) {
  Receiver rx;
  auto events = feed_all(rx, hex("06"));
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(events[0].ok());
  EXPECT_EQ(events[0]->kind, Received::Kind::ack);
}

TEST(KmpReceiver, BufferIsBoundedAndRecovers) {
  Receiver rx;
  Bytes flood(1000, 0x11);
  flood.insert(flood.begin(), 0x40);
  auto events = feed_all(rx, concat({flood, hex("0D"), hex("403F0200692D32CD5D0D")}));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].error().code, Errc::kmp_overflow);
  EXPECT_TRUE(events[1].ok());
}

TEST(KmpReceiver, MeterSideCollectsRequests) {
  Receiver rx(Direction::request);
  auto events = feed_all(rx, hex("803F0235E90D"));
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(events[0].ok());
  EXPECT_EQ(events[0]->frame.direction, Direction::request);
}

TEST(KmpReceiver, RandomBytesNeverCrashOrOverrun) {
  std::mt19937_64 rng(99);
  Receiver rx;
  for (int i = 0; i < 500000; ++i) {
    const auto b = static_cast<std::uint8_t>(rng() % 6 == 0 ? 0x40 : rng());
    if (auto e = rx.feed(b); e && e->ok() && e->value().kind == Received::Kind::frame) {
      EXPECT_TRUE(decode_frame(encode_frame(e->value().frame)).ok());
    }
  }
  const RxStats& s = rx.stats();
  EXPECT_EQ(s.bytes, 500000u);
  EXPECT_GT(s.crc_errors + s.truncated + s.bad_frames, 0u);
}

// ---- tables ----

TEST(KmpTables, UnitTableCoversEveryCode) {
  EXPECT_EQ(all_units().size(), 0x41u);
  EXPECT_EQ(unit_by_code(0x03)->text, "MWh");
  EXPECT_EQ(unit_by_code(0x08)->text, "GJ");
  EXPECT_EQ(unit_by_code(0x25)->text, "C");
  EXPECT_EQ(unit_by_code(0x28)->text, "m3");
  EXPECT_EQ(unit_by_code(0x40)->text, "datetime");
  EXPECT_FALSE(unit_by_code(0x41).has_value());
  EXPECT_EQ(unit_by_text("Gj")->code, 0x08);
  EXPECT_EQ(unit_by_text("l/h")->quantity, Quantity::flow);
}

TEST(KmpTables, CatalogueHoldsTheSpecRegisters) {
  // Every register the original requests or names (docs/protocols/kmp.md) and the
  // field installations read.
  for (int id : {60,   68,  1004, 86,   87,  89,  74,  80,  1003, 94,  63,   61,  62,  95,   96,
                 97,   110, 64,   65,   69,  84,  85,  72,  73,   113, 1002, 99,  88,  122,  91,
                 92,   75,  123,  124,  125, 126, 127, 128, 129,  130, 138,  139, 140, 141,  142,
                 143,  144, 145,  146,  147, 149, 150, 66,  67,   98,  152,  153, 168, 1001, 112,
                 1010, 114, 104,  1005, 154, 155, 157, 158, 175,  234, 235,  243, 266}) {
    EXPECT_TRUE(register_by_id(static_cast<std::uint16_t>(id)).has_value()) << id;
  }
  EXPECT_EQ(register_by_name("tdif")->id, 89);
  EXPECT_EQ(register_by_name("t1-t2")->id, 89);
  EXPECT_EQ(register_by_name("e1")->sample_key, "e1");
  for (std::uint16_t id : sample_registers()) {
    EXPECT_FALSE(register_by_id(id)->sample_key.empty()) << id;
  }
}

}  // namespace
}  // namespace ml::core::kmp
