#include "core/bytes.hpp"

#include <gtest/gtest.h>

#include "core/crc.hpp"

namespace ml::core {
namespace {

TEST(Bytes, HexRoundTripsAndToleratesSeparators) {
  const Bytes b{0x80, 0x3F, 0x02, 0x35, 0xE9, 0x0D};
  EXPECT_EQ(to_hex(b), "803f0235e90d");
  EXPECT_EQ(to_hex_spaced(b), "80 3F 02 35 E9 0D");
  EXPECT_EQ(from_hex("803F0235E90D").value(), b);
  EXPECT_EQ(from_hex("80 3f 02:35-e9\n0d").value(), b);
  EXPECT_EQ(from_hex("0x803F0235E90D").value(), b);
  EXPECT_TRUE(from_hex("").value().empty());
}

TEST(Bytes, BadHexIsNamed) {
  EXPECT_EQ(from_hex("803").error().detail, "odd number of hex digits");
  EXPECT_EQ(from_hex("80zz").error().detail, "character 'z' at offset 2 is not a hex digit");
  EXPECT_EQ(from_hex("8 0").error().code, Errc::bad_hex);
  EXPECT_EQ(from_hex("0102", 1).error().code, Errc::bad_hex);
}

TEST(Bytes, HexTextIsTellableFromDataStrings) {
  EXPECT_TRUE(is_hex_text("403F0200692D32CD5D0D\n"));
  EXPECT_TRUE(is_hex_text("40 3F 02"));
  EXPECT_FALSE(is_hex_text("0002361 0002219\r"));  // 7-digit MULTICAL 66 tokens
  EXPECT_FALSE(is_hex_text("/KAM MC"));
  EXPECT_FALSE(is_hex_text(""));
  EXPECT_EQ(hex_byte(0x0D), "0x0D");
  EXPECT_EQ(hex_word(0x03EC), "0x03EC");
}

TEST(Crc, KnownValues) {
  // CRC-16/XMODEM and CRC-16/CCITT-FALSE check values over "123456789".
  EXPECT_EQ(crc16_xmodem(as_bytes("123456789")), 0x31C3);
  EXPECT_EQ(crc16_ccitt_false(as_bytes("123456789")), 0x29B1);
  // KMP (docs/protocols/kmp.md): the CRC over DST..CRC_lo of a valid frame is zero.
  EXPECT_EQ(crc16_xmodem(from_hex("3F0200692D32CD5D").value()), 0);
}

}  // namespace
}  // namespace ml::core

namespace ml::core {
namespace {

// Error::text: the detail when there is one, else the summary (message()).
TEST(ErrorText, DetailWhenGivenElseTheSummary) {
  const Error with = make_error(Errc::bad_hex, "odd number of digits");
  EXPECT_EQ(with.text(), "odd number of digits");
  EXPECT_NE(with.message(), with.text());
  const Error without = make_error(Errc::bad_hex);
  EXPECT_EQ(without.text(), without.message());
  EXPECT_FALSE(without.text().empty());
}

}  // namespace
}  // namespace ml::core
