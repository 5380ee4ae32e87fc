// Randomness from the kernel (platform/crypto/random.hpp): IVs and new meter keys.
#include "platform/crypto/random.hpp"

#include <gtest/gtest.h>

#include <set>

namespace ml::platform {
namespace {

TEST(Random, BytesAreFreshAndBounded) {
  std::set<core::Bytes> seen;
  for (int i = 0; i < 100; ++i) {
    auto b = random_bytes(16);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->size(), 16u);
    seen.insert(*b);
  }
  EXPECT_EQ(seen.size(), 100u) << "16 random bytes repeated";
  EXPECT_EQ(random_bytes(256).value().size(), 256u);
  EXPECT_FALSE(random_bytes(257).ok()) << "never fewer bytes than asked for";
  EXPECT_NE(random_iv().value(), random_iv().value());
}

}  // namespace
}  // namespace ml::platform
