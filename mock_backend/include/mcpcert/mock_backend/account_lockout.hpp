#pragma once
/// Locks an account out of password and one-time-code sign-in for a while
/// after too many failures in a row, as a tenant's identity service does
/// against guessing. A sign-in's own attempt limit alone would not stop
/// anyone: starting a new sign-in is free. Thread-safe.

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "mcpcert/clock.hpp"

namespace mcpcert::backend {

class AccountLockout {
public:
  struct Policy {
    /// Failures in a row that lock the account; a success starts the count again.
    int max_consecutive_failures = 10;
    Seconds lockout{15 * 60};
  };

  explicit AccountLockout(const Clock& clock) : AccountLockout(clock, Policy{}) {}
  AccountLockout(const Clock& clock, Policy policy);

  const Policy& policy() const { return policy_; }
  /// The end of `account`'s lockout while one runs. Unknown names lock out
  /// like real ones, so the answer tells nobody which accounts exist.
  std::optional<TimePoint> locked_until(std::string_view account) const;
  /// Counts one failure; returns the lockout's end when this one starts it.
  std::optional<TimePoint> record_failure(std::string_view account);
  void record_success(std::string_view account);

  /// Accounts tracked at most: a flood of made-up names can't exhaust
  /// memory. When full, entries neither locked nor failing recently go first.
  static constexpr std::size_t max_tracked_accounts = 10'000;

private:
  struct Standing {
    int consecutive_failures = 0;
    TimePoint last_failure;
    TimePoint locked_until;
  };

  void make_room(TimePoint now);

  const Clock& clock_;
  Policy policy_;
  mutable std::mutex mutex_;
  std::map<std::string, Standing, std::less<>> accounts_;
};

/// What the sign-in page says while `until` is ahead: the wait, in whole
/// minutes rounded up, and nothing about whether the password was right.
std::string lockout_notice(TimePoint until, TimePoint now);

} // namespace mcpcert::backend
