// AccountLockout alone, on a virtual clock: how many failures lock, what
// clears the count, when a lockout ends, and the bound on what it tracks.

#include <gtest/gtest.h>

#include "mcpcert/mock_backend/account_lockout.hpp"

namespace mcpcert::backend {
namespace {

struct LockoutWorld {
  VirtualClock clock;
  AccountLockout lockout{clock, {3, Seconds(600)}};

  void fail(std::string_view account, int times) {
    for (int i = 0; i < times; ++i) lockout.record_failure(account);
  }
};

TEST(AccountLockout, LocksOnTheLastFailureAllowedAndNotBefore) {
  LockoutWorld world;
  const auto before = world.clock.now();
  EXPECT_FALSE(world.lockout.record_failure("alice"));
  EXPECT_FALSE(world.lockout.record_failure("alice"));
  EXPECT_FALSE(world.lockout.locked_until("alice"));
  auto until = world.lockout.record_failure("alice");
  ASSERT_TRUE(until);
  // The virtual clock runs on with real time: the lockout is 600 s from the last failure.
  EXPECT_GE(*until, before + Seconds(600));
  EXPECT_LE(*until, world.clock.now() + Seconds(600));
  EXPECT_EQ(world.lockout.locked_until("alice"), until);
  EXPECT_FALSE(world.lockout.locked_until("bob"));
}

TEST(AccountLockout, ASuccessStartsTheCountAgain) {
  LockoutWorld world;
  world.fail("alice", 2);
  world.lockout.record_success("alice");
  world.fail("alice", 2);
  EXPECT_FALSE(world.lockout.locked_until("alice"));
  EXPECT_TRUE(world.lockout.record_failure("alice"));
}

TEST(AccountLockout, EndsOnTheClockAndCountsAnewAfter) {
  LockoutWorld world;
  world.fail("alice", 3);
  world.clock.advance(Seconds(599));
  EXPECT_TRUE(world.lockout.locked_until("alice"));
  world.clock.advance(Seconds(1));
  EXPECT_FALSE(world.lockout.locked_until("alice"));
  // The failures before the lockout are spent: it takes three new ones.
  world.fail("alice", 2);
  EXPECT_FALSE(world.lockout.locked_until("alice"));
  world.fail("alice", 1);
  EXPECT_TRUE(world.lockout.locked_until("alice"));
}

TEST(AccountLockout, NamesNobodyHasLockOutAlike) {
  LockoutWorld world;
  world.fail("no-such-user", 3);
  EXPECT_TRUE(world.lockout.locked_until("no-such-user"));
}

TEST(AccountLockout, AFloodOfNamesKeepsTheRunningLockouts) {
  LockoutWorld world;
  world.fail("alice", 3);
  for (std::size_t i = 0; i < AccountLockout::max_tracked_accounts + 10; ++i) world.lockout.record_failure("guess-" + std::to_string(i));
  EXPECT_TRUE(world.lockout.locked_until("alice"));
}

TEST(AccountLockout, TheNoticeGivesTheWaitInWholeMinutes) {
  const TimePoint now{};
  EXPECT_EQ(lockout_notice(now + Seconds(900), now),
            "Too many failed sign-in attempts: this account is locked for 15 more minutes.");
  EXPECT_EQ(lockout_notice(now + Seconds(61), now),
            "Too many failed sign-in attempts: this account is locked for 2 more minutes.");
  EXPECT_EQ(lockout_notice(now + Seconds(1), now),
            "Too many failed sign-in attempts: this account is locked for 1 more minute.");
}

} // namespace
} // namespace mcpcert::backend
