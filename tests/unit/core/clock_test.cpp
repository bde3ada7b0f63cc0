#include "mcpcert/clock.hpp"

#include <gtest/gtest.h>

namespace mcpcert {
namespace {

using namespace std::chrono_literals;

TEST(VirtualClock, StartsAtSystemTime) {
  VirtualClock clock;
  EXPECT_EQ(clock.offset(), 0ms);
  auto drift = clock.now() - SystemClock().now();
  EXPECT_LT(std::chrono::abs(drift), 5s);
}

TEST(VirtualClock, AdvanceMovesNowAndUnixSeconds) {
  VirtualClock clock;
  SystemClock system;
  auto before = clock.unix_seconds();
  clock.advance(std::chrono::hours(24 * 30));
  clock.advance(500ms);
  EXPECT_EQ(clock.offset(), std::chrono::hours(24 * 30) + 500ms);
  auto ahead = clock.now() - system.now();
  EXPECT_GT(ahead, std::chrono::hours(24 * 30) - 5s);
  EXPECT_LT(ahead, std::chrono::hours(24 * 30) + 5s);
  EXPECT_NEAR(static_cast<double>(clock.unix_seconds() - before), 30.0 * 86400, 5);
}

TEST(SystemClock, UnixSecondsMatchesTimeT) {
  SystemClock clock;
  auto expected = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  EXPECT_NEAR(static_cast<double>(clock.unix_seconds()), static_cast<double>(expected), 2);
}

} // namespace
} // namespace mcpcert
