#include <gtest/gtest.h>

#include "platform/mqtt/client.hpp"

namespace ml::platform {
namespace {

using std::chrono::milliseconds;

TEST(MqttBackoff, DefaultsDoubleFromOneSecondUpToOneMinute) {
  MqttBackoff b;
  b.jitter = 0;
  const std::vector<long> expected = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
  for (unsigned n = 1; n <= expected.size(); ++n) {
    EXPECT_EQ(backoff_delay(b, n, 0.7).count(), expected[n - 1]) << n;
  }
  EXPECT_EQ(backoff_delay(b, 1000, 0.5), milliseconds(60000));  // no overflow
  EXPECT_EQ(backoff_delay(b, 0, 0.5), milliseconds(1000));
}

TEST(MqttBackoff, JitterTakesAFractionOffTheBaseDelay) {
  MqttBackoff b;  // jitter 0.5: [base/2, base]
  EXPECT_EQ(backoff_delay(b, 1, 0.0), milliseconds(1000));
  EXPECT_EQ(backoff_delay(b, 1, 0.5), milliseconds(750));
  EXPECT_EQ(backoff_delay(b, 1, 0.999999), milliseconds(500));
  EXPECT_EQ(backoff_delay(b, 3, 0.5), milliseconds(3000));
  EXPECT_EQ(backoff_delay(b, 20, 0.0), milliseconds(60000));  // never above the cap
  EXPECT_EQ(backoff_delay(b, 20, 0.999999), milliseconds(30000));
  b.jitter = 1.0;  // full jitter: [0, base]
  EXPECT_EQ(backoff_delay(b, 2, 0.25), milliseconds(1500));
  EXPECT_EQ(backoff_delay(b, 2, 0.999999), milliseconds(0));
}

TEST(MqttBackoff, OtherMultipliers) {
  MqttBackoff b{milliseconds(100), milliseconds(1000), 3.0, 0.0};
  EXPECT_EQ(backoff_delay(b, 1, 0), milliseconds(100));
  EXPECT_EQ(backoff_delay(b, 2, 0), milliseconds(300));
  EXPECT_EQ(backoff_delay(b, 3, 0), milliseconds(900));
  EXPECT_EQ(backoff_delay(b, 4, 0), milliseconds(1000));
  b.multiplier = 1.0;  // constant
  EXPECT_EQ(backoff_delay(b, 9, 0), milliseconds(100));
}

}  // namespace
}  // namespace ml::platform
