#include "core/serial_line.hpp"

#include <gtest/gtest.h>

namespace ml::core {
namespace {

TEST(SerialLine, TextRoundTrips) {
  EXPECT_EQ(line_settings_text(kKmpLine), "1200 8N2");
  for (std::string_view t : {"1200 8N2", "300 7E2", "300 7E1", "1200 7E1", "9600 8O1"}) {
    auto l = parse_line_settings(t);
    ASSERT_TRUE(l.ok()) << t;
    EXPECT_EQ(line_settings_text(*l), t);
  }
  for (std::string_view t :
       {"", "1200", "1200 9N1", "1200 8X1", "1200 8N3", "12x0 8N1", "1200 8N1 ", "10 8N1"}) {
    EXPECT_FALSE(parse_line_settings(t).ok()) << t;
  }
}

TEST(SerialLine, WireTime) {
  EXPECT_EQ(bits_per_char(kKmpLine), 11u);
  EXPECT_EQ(bits_per_char(*parse_line_settings("300 7E1")), 10u);
  // docs/protocols/kmp.md, "Serial line": the 23-byte register request takes about 211 ms, the
  // 79-byte reply about 724 ms.
  EXPECT_EQ(wire_time_us(kKmpLine, 23), 210834u);
  EXPECT_EQ(wire_time_us(kKmpLine, 79), 724167u);
}

TEST(SerialLine, SoftwareParityIsTheSameFrame) {
  const LineSettings e2 = *parse_line_settings("300 7E2");
  EXPECT_TRUE(needs_parity_bit(e2));
  EXPECT_FALSE(needs_parity_bit(kKmpLine));
  EXPECT_EQ(line_settings_text(software_parity_carrier(e2)), "300 8N2");
  EXPECT_EQ(bits_per_char(software_parity_carrier(e2)), bits_per_char(e2));
  EXPECT_EQ(software_parity_carrier(kKmpLine), kKmpLine);
  // '/' = 0x2F has five ones: even parity sets bit 7; '0' = 0x30 has two: bit 7 stays clear.
  EXPECT_EQ(add_parity_bit('/', Parity::even), 0xAF);
  EXPECT_EQ(add_parity_bit('0', Parity::even), 0x30);
  EXPECT_EQ(add_parity_bit('0', Parity::odd), 0xB0);
  for (int c = 0; c < 128; ++c) {
    const auto b = static_cast<std::uint8_t>(c);
    EXPECT_TRUE(parity_bit_ok(add_parity_bit(b, Parity::even), Parity::even));
    EXPECT_FALSE(parity_bit_ok(static_cast<std::uint8_t>(add_parity_bit(b, Parity::even) ^ 0x80),
                               Parity::even));
    EXPECT_TRUE(parity_bit_ok(add_parity_bit(b, Parity::odd), Parity::odd));
  }
}

}  // namespace
}  // namespace ml::core
