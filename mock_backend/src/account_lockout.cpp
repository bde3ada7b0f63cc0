#include "mcpcert/mock_backend/account_lockout.hpp"

#include <algorithm>

namespace mcpcert::backend {

AccountLockout::AccountLockout(const Clock& clock, Policy policy, Journal* journal, Standings restored)
    : clock_(clock), policy_(policy), journal_(journal), accounts_(std::move(restored)) {}

std::optional<TimePoint> AccountLockout::locked_until(std::string_view account) const {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(account);
  if (it == accounts_.end() || it->second.locked_until <= clock_.now()) return std::nullopt;
  return it->second.locked_until;
}

AccountLockout::Failure AccountLockout::record_failure(std::string_view account) {
  const auto now = clock_.now();
  std::lock_guard lock(mutex_);
  std::vector<std::string> dropped;
  auto it = accounts_.find(account);
  if (it == accounts_.end()) {
    dropped = make_room(now);
    it = accounts_.emplace(std::string(account), Standing{}).first;
  }
  auto& standing = it->second;
  // A lockout that ran out leaves a clean slate: the next failures count anew.
  if (standing.locked_until != TimePoint{} && standing.locked_until <= now) standing = Standing{};
  standing.last_failure = now;
  Failure out;
  if (++standing.consecutive_failures >= policy_.max_consecutive_failures) {
    standing.consecutive_failures = 0;
    standing.locked_until = now + policy_.lockout;
    out.lockout_until = standing.locked_until;
  }
  if (journal_) out.kept = journal_->save(account, standing, dropped);
  return out;
}

bool AccountLockout::record_success(std::string_view account) {
  std::lock_guard lock(mutex_);
  auto it = accounts_.find(account);
  // Untracked accounts are the common case: a sign-in then writes nothing.
  if (it == accounts_.end()) return true;
  accounts_.erase(it);
  return journal_ ? journal_->forget(account) : true;
}

std::vector<std::string> AccountLockout::make_room(TimePoint now) {
  std::vector<std::string> dropped;
  if (accounts_.size() < max_tracked_accounts) return dropped;
  // Forgetting a stale count only gives a guesser back attempts it spent long
  // ago; forgetting a running lockout would end it early, so those stay.
  for (auto it = accounts_.begin(); it != accounts_.end();) {
    if (it->second.locked_until <= now && it->second.last_failure + policy_.lockout <= now) {
      dropped.push_back(it->first);
      it = accounts_.erase(it);
    } else {
      ++it;
    }
  }
  // A loop, not one step: a restored journal may hold more than the bound.
  while (accounts_.size() >= max_tracked_accounts) {
    auto oldest = std::min_element(accounts_.begin(), accounts_.end(), [](const auto& a, const auto& b) {
      const auto a_key = std::max(a.second.last_failure, a.second.locked_until);
      const auto b_key = std::max(b.second.last_failure, b.second.locked_until);
      return a_key < b_key;
    });
    dropped.push_back(oldest->first);
    accounts_.erase(oldest);
  }
  return dropped;
}

std::string lockout_notice(TimePoint until, TimePoint now) {
  const auto minutes = std::max<long long>(1, std::chrono::ceil<std::chrono::minutes>(until - now).count());
  return "Too many failed sign-in attempts: this account is locked for " + std::to_string(minutes) + " more minute" +
         (minutes == 1 ? "." : "s.");
}

} // namespace mcpcert::backend
