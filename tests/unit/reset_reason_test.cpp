// The `reset_reason` reply in words (src/core/topic/reset_reason.hpp): every reason of the table,
// the exception cause of a crash, and refusals that name what was wrong.
#include "core/topic/reset_reason.hpp"

#include <gtest/gtest.h>

namespace ml::core::topic::reset_reason_unit {

TEST(ResetReason, EveryReasonOfTheTableHasWords) {
  for (const auto& row : kResetReasons) {
    const auto r = describe_reset_reason("reason=" + std::to_string(row.code) + "&exccause=0");
    EXPECT_TRUE(r.ok) << row.code;
    EXPECT_EQ(r.text, row.words) << row.code;
  }
  EXPECT_EQ(describe_reset_reason("reason=6&exccause=0&epc1=0x00000000&epc2=0x00000000&"
                                  "epc3=0x00000000&excvaddr=0x00000000&depc=0x00000000")
                .text,
            "external reset (the agent: a clean stop)");
  EXPECT_EQ(describe_reset_reason("reason=0").text, "power on (first start or power loss)");
  EXPECT_EQ(describe_reset_reason("reason=7").text, "restart by the 24 h MQTT watchdog");
}

TEST(ResetReason, ACrashNamesItsExceptionCause) {
  EXPECT_EQ(describe_reset_reason("reason=2&exccause=29&epc1=0x40201234").text,
            "crash (exception), exception cause 29");
  EXPECT_EQ(describe_reset_reason("reason=2&exccause=0").text, "crash (exception)");
  // The order of the fields does not matter.
  EXPECT_EQ(describe_reset_reason("exccause=3&reason=2").text,
            "crash (exception), exception cause 3");
}

TEST(ResetReason, RefusalsNameWhatIsWrong) {
  auto r = describe_reset_reason("exccause=0");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.text, "no reason= in the reset_reason reply");
  r = describe_reset_reason("reason=x");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.text, "reason=x is not a whole number");
  r = describe_reset_reason("reason=9");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.text, "reason=9 is no known reset reason");
  r = describe_reset_reason("reason=1" + std::string(kMaxResetReasonText, '0'));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.text.find("at most"), std::string::npos);
  EXPECT_FALSE(reset_reason_words(8).has_value());
}

}  // namespace ml::core::topic::reset_reason_unit
