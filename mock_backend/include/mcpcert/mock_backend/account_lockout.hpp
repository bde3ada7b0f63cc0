#pragma once
/// Locks an account out of password and one-time-code sign-in for a while
/// after too many failures in a row, as a tenant's identity service does
/// against guessing. A sign-in's own attempt limit alone would not stop
/// anyone: starting a new sign-in is free. Thread-safe. With a journal the
/// counts outlive a restart: otherwise a guesser who can make the service
/// restart would get a fresh allowance each time.

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcpcert/clock.hpp"

namespace mcpcert::backend {

class AccountLockout {
public:
  struct Policy {
    /// Failures in a row that lock the account; a success starts the count again.
    int max_consecutive_failures = 10;
    Seconds lockout{15 * 60};
  };

  /// One tracked account.
  struct Standing {
    int consecutive_failures = 0;
    TimePoint last_failure;
    TimePoint locked_until;
  };
  using Standings = std::map<std::string, Standing, std::less<>>;

  /// Keeps the tracked accounts where a restart finds them. It hears of
  /// every change under the lockout's lock, so it mirrors the lockout.
  class Journal {
  public:
    virtual ~Journal() = default;
    /// `account` stands at `standing` now and `dropped` are no longer
    /// tracked, all or nothing; false when that could not be kept.
    virtual bool save(std::string_view account, const Standing& standing, const std::vector<std::string>& dropped) = 0;
    /// `account` is no longer tracked; false when that could not be kept.
    virtual bool forget(std::string_view account) = 0;
  };

  struct Failure {
    std::optional<TimePoint> lockout_until; ///< set when this failure starts a lockout
    /// False when the journal refused the change. The failure counts all
    /// the same until the process ends; only a restart would forget it.
    bool kept = true;
  };

  explicit AccountLockout(const Clock& clock) : AccountLockout(clock, Policy{}) {}
  /// `restored` is what `journal` kept before a restart.
  AccountLockout(const Clock& clock, Policy policy, Journal* journal = nullptr, Standings restored = {});

  const Policy& policy() const { return policy_; }
  /// The end of `account`'s lockout while one runs. Unknown names lock out
  /// like real ones, so the answer tells nobody which accounts exist.
  std::optional<TimePoint> locked_until(std::string_view account) const;
  /// Counts one failure.
  Failure record_failure(std::string_view account);
  /// The count starts again; false when the journal refused to forget it.
  bool record_success(std::string_view account);

  /// Accounts tracked at most: a flood of made-up names can't exhaust
  /// memory. When full, entries neither locked nor failing recently go first.
  static constexpr std::size_t max_tracked_accounts = 10'000;

private:
  /// The accounts dropped to make room for one more.
  std::vector<std::string> make_room(TimePoint now);

  const Clock& clock_;
  Policy policy_;
  Journal* journal_;
  mutable std::mutex mutex_;
  Standings accounts_;
};

/// What the sign-in page says while `until` is ahead: the wait, in whole
/// minutes rounded up, and nothing about whether the password was right.
std::string lockout_notice(TimePoint until, TimePoint now);

} // namespace mcpcert::backend
