#include "mcpcert/mock_backend/account_lockout.hpp"

#include <algorithm>

namespace mcpcert::backend {

AccountLockout::AccountLockout(const Clock& clock, Policy policy) : clock_(clock), policy_(policy) {}

std::optional<TimePoint> AccountLockout::locked_until(std::string_view account) const {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(account);
  if (it == accounts_.end() || it->second.locked_until <= clock_.now()) return std::nullopt;
  return it->second.locked_until;
}

std::optional<TimePoint> AccountLockout::record_failure(std::string_view account) {
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(account);
  if (it == accounts_.end()) {
    make_room(now);
    it = accounts_.emplace(std::string(account), Standing{}).first;
  }
  auto& standing = it->second;
  // A lockout that ran out leaves a clean slate: the next failures count anew.
  if (standing.locked_until != TimePoint{} && standing.locked_until <= now) standing = Standing{};
  standing.last_failure = now;
  if (++standing.consecutive_failures < policy_.max_consecutive_failures) return std::nullopt;
  standing.consecutive_failures = 0;
  standing.locked_until = now + policy_.lockout;
  return standing.locked_until;
}

void AccountLockout::record_success(std::string_view account) {
  std::lock_guard lock(mutex_);
  if (auto it = accounts_.find(account); it != accounts_.end()) accounts_.erase(it);
}

void AccountLockout::make_room(TimePoint now) {
  if (accounts_.size() < max_tracked_accounts) return;
  // Forgetting a stale count only gives a guesser back attempts it spent long
  // ago; forgetting a running lockout would end it early, so those stay.
  std::erase_if(accounts_, [&](const auto& entry) {
    return entry.second.locked_until <= now && entry.second.last_failure + policy_.lockout <= now;
  });
  if (accounts_.size() < max_tracked_accounts) return;
  auto oldest = std::min_element(accounts_.begin(), accounts_.end(), [](const auto& a, const auto& b) {
    const auto a_key = std::max(a.second.last_failure, a.second.locked_until);
    const auto b_key = std::max(b.second.last_failure, b.second.locked_until);
    return a_key < b_key;
  });
  accounts_.erase(oldest);
}

std::string lockout_notice(TimePoint until, TimePoint now) {
  const auto minutes = std::max<long long>(1, std::chrono::ceil<std::chrono::minutes>(until - now).count());
  return "Too many failed sign-in attempts: this account is locked for " + std::to_string(minutes) + " more minute" +
         (minutes == 1 ? "." : "s.");
}

} // namespace mcpcert::backend
