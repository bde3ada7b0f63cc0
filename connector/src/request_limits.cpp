#include "mcpcert/connector/request_limits.hpp"

#include <algorithm>
#include <cmath>

namespace mcpcert::connector {

namespace {

// Buckets of keys seen once (a connection that closed) would pile up; past
// this many, the ones back at a full budget, which a fresh bucket equals, go.
constexpr std::size_t buckets_before_pruning = 4096;

} // namespace

std::optional<std::chrono::seconds> RequestRateLimiter::admit(std::string_view key, std::chrono::steady_clock::time_point now) {
  if (per_minute_ == 0) return std::nullopt;
  std::lock_guard lock(mutex_);
  const double capacity = per_minute_;
  const double per_second = capacity / 60.0;
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= buckets_before_pruning) forget_full_buckets(now);
    it = buckets_.emplace(std::string(key), Bucket{capacity, now}).first;
  }
  auto& bucket = it->second;
  const std::chrono::duration<double> elapsed = now - bucket.refilled;
  bucket.tokens = std::min(capacity, bucket.tokens + elapsed.count() * per_second);
  bucket.refilled = now;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return std::nullopt;
  }
  const auto wait = std::ceil((1.0 - bucket.tokens) / per_second);
  return std::chrono::seconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(wait)));
}

void RequestRateLimiter::forget_full_buckets(std::chrono::steady_clock::time_point now) {
  const double capacity = per_minute_;
  const double per_second = capacity / 60.0;
  std::erase_if(buckets_, [&](const auto& entry) {
    const std::chrono::duration<double> elapsed = now - entry.second.refilled;
    return entry.second.tokens + elapsed.count() * per_second >= capacity;
  });
}

} // namespace mcpcert::connector
