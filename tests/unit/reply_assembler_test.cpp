#include "core/iec62056/reply_assembler.hpp"

#include <gtest/gtest.h>

namespace ml::core::iec {
namespace {

std::string text(ByteView b) {
  return std::string(b.begin(), b.end());
}

TEST(ReplyAssembler, SkipsEchoAndNoiseAndStopsAtTheEnd) {
  ReplyAssembler r(step(StepId::ident));
  EXPECT_FALSE(r.feed(as_bytes("/?!")));
  EXPECT_FALSE(r.feed(as_bytes("\r\n\x7f\x01/KAM")));
  EXPECT_TRUE(r.started());
  EXPECT_TRUE(r.feed(as_bytes(" MC\r\nXY")));
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(text(r.reply()), "/KAM MC\r\n");
  EXPECT_EQ(r.echo_bytes(), 5u);
  EXPECT_EQ(r.garbage_bytes(), 4u);  // 0x7F 0x01 before, "XY" after
}

TEST(ReplyAssembler, AReplyThatBeginsLikeTheRequestIsNotEcho) {
  // Without an optical head there is no echo, and the ident reply starts with '/' as the
  // request "/?!" does.
  ReplyAssembler r(step(StepId::ident));
  EXPECT_TRUE(r.feed(as_bytes("/KAM MC\r\n")));
  EXPECT_EQ(text(r.reply()), "/KAM MC\r\n");
  EXPECT_EQ(r.echo_bytes(), 0u);
  EXPECT_EQ(r.garbage_bytes(), 0u);
  // A partial echo that breaks off: its bytes are garbage unless they start the reply.
  ReplyAssembler p(step(StepId::standard_data_1));
  EXPECT_TRUE(p.feed(as_bytes("/#0001 0002\r")));
  EXPECT_EQ(text(p.reply()), "0001 0002\r");
  EXPECT_EQ(p.garbage_bytes(), 2u);
}

TEST(ReplyAssembler, ReadoutEndsOneByteAfterEtx) {
  ReplyAssembler r(step(StepId::data_readout));
  EXPECT_FALSE(
      r.feed(as_bytes("\x02"
                      "6.8(1*MWh)\r\n!\r\n\x03")));
  EXPECT_TRUE(r.feed(as_bytes("\x10")));
  EXPECT_EQ(r.reply().size(), 18u);
}

TEST(ReplyAssembler, DataStringsStartWithADigitAndEndAtCr) {
  ReplyAssembler r(step(StepId::standard_data_1));
  EXPECT_TRUE(r.feed(as_bytes("/#1\r\xff-0002735 0000001\rrest")));
  EXPECT_EQ(text(r.reply()), "-0002735 0000001\r");
  EXPECT_EQ(r.echo_bytes(), 4u);
}

TEST(ReplyAssembler, IsBounded) {
  ReplyAssembler r(step(StepId::data_readout));
  Bytes flood(5000, 'A');
  flood.front() = 0x02;
  EXPECT_TRUE(r.feed(flood));
  EXPECT_TRUE(r.overflow());
  EXPECT_FALSE(r.complete());
  EXPECT_EQ(r.reply().size(), kMaxReadoutBytes);
}

}  // namespace
}  // namespace ml::core::iec
