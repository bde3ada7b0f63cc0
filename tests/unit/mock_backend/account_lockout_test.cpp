// AccountLockout alone, on a virtual clock: how many failures lock, what
// clears the count, when a lockout ends, the bound on what it tracks, and
// what it tells its journal.

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
  EXPECT_FALSE(world.lockout.record_failure("alice").lockout_until);
  EXPECT_FALSE(world.lockout.record_failure("alice").lockout_until);
  EXPECT_FALSE(world.lockout.locked_until("alice"));
  auto until = world.lockout.record_failure("alice").lockout_until;
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
  EXPECT_TRUE(world.lockout.record_failure("alice").lockout_until);
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

/// A journal in memory: what a restart would find.
struct KeptStandings : AccountLockout::Journal {
  AccountLockout::Standings kept;
  bool refuse = false;
  int forgets = 0;

  bool save(std::string_view account, const AccountLockout::Standing& standing,
            const std::vector<std::string>& dropped) override {
    if (refuse) return false;
    for (const auto& gone : dropped) kept.erase(gone);
    kept[std::string(account)] = standing;
    return true;
  }
  bool forget(std::string_view account) override {
    ++forgets;
    if (refuse) return false;
    kept.erase(std::string(account));
    return true;
  }
};

TEST(AccountLockout, ARestartOnTheJournalKeepsCountsAndLockouts) {
  VirtualClock clock;
  KeptStandings journal;
  const AccountLockout::Policy policy{3, Seconds(600)};
  {
    AccountLockout lockout(clock, policy, &journal);
    lockout.record_failure("alice");
    lockout.record_failure("alice");
    for (int i = 0; i < 3; ++i) lockout.record_failure("bob");
  }
  AccountLockout restarted(clock, policy, &journal, journal.kept);
  EXPECT_TRUE(restarted.locked_until("bob"));
  // alice's two guesses still count: the third locks.
  EXPECT_FALSE(restarted.locked_until("alice"));
  EXPECT_TRUE(restarted.record_failure("alice").lockout_until);
}

TEST(AccountLockout, TheJournalForgetsWhatTheLockoutForgets) {
  VirtualClock clock;
  KeptStandings journal;
  AccountLockout lockout(clock, {3, Seconds(600)}, &journal);
  lockout.record_failure("alice");
  EXPECT_TRUE(lockout.record_success("alice"));
  EXPECT_TRUE(journal.kept.empty());
  // An account with nothing counted costs the journal nothing.
  EXPECT_TRUE(lockout.record_success("bob"));
  EXPECT_EQ(journal.forgets, 1);

  // Names dropped to make room leave the journal too, or it would grow
  // with every made-up name and refill the lockout after a restart.
  for (std::size_t i = 0; i < AccountLockout::max_tracked_accounts + 10; ++i)
    lockout.record_failure("guess-" + std::to_string(i));
  EXPECT_EQ(journal.kept.size(), AccountLockout::max_tracked_accounts);
}

TEST(AccountLockout, ARefusedJournalStillCountsTheFailure) {
  VirtualClock clock;
  KeptStandings journal;
  journal.refuse = true;
  AccountLockout lockout(clock, {3, Seconds(600)}, &journal);
  auto first = lockout.record_failure("alice");
  EXPECT_FALSE(first.kept);
  lockout.record_failure("alice");
  auto third = lockout.record_failure("alice");
  EXPECT_FALSE(third.kept);
  EXPECT_TRUE(third.lockout_until);
  EXPECT_TRUE(lockout.locked_until("alice"));
  EXPECT_FALSE(lockout.record_success("alice"));
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
