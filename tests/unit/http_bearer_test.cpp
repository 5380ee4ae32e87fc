// The bearer-token check shared by both /metrics endpoints (platform/http/bearer.hpp).
#include <gtest/gtest.h>

#include "platform/http/bearer.hpp"

using ml::platform::http::bearer_matches;

TEST(HttpBearer, OnlyTheExactSchemeAndTokenMatch) {
  EXPECT_TRUE(bearer_matches("Bearer tok-1", "tok-1"));
  EXPECT_TRUE(bearer_matches("bearer tok-1", "tok-1"));
  EXPECT_FALSE(bearer_matches("Bearer tok-2", "tok-1"));
  EXPECT_FALSE(bearer_matches("Bearer tok-1x", "tok-1"));
  EXPECT_FALSE(bearer_matches("Bearer tok-", "tok-1"));
  EXPECT_FALSE(bearer_matches("Basic tok-1", "tok-1"));
  EXPECT_FALSE(bearer_matches("tok-1", "tok-1"));
  EXPECT_FALSE(bearer_matches("", "tok-1"));
  EXPECT_FALSE(bearer_matches("Bearer ", "")) << "no token set: nothing matches";
}
