#pragma once
/// Request rate limits of the connector: a token bucket per key (a user, a
/// connection), refilled continuously, so a burst up to the per-minute budget
/// passes and a sustained excess is refused with how long to wait.

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace mcpcert::connector {

/// What the connector bounds, each refused clearly when exceeded (429 with
/// Retry-After). A rate of 0 switches that limit off.
struct ConnectorLimits {
  unsigned requests_per_user_per_minute = 0;
  unsigned requests_per_connection_per_minute = 0;
  std::size_t sessions_per_user = 32;
  std::size_t streams_per_session = 4;
  /// A session unused this long (on the connector's clock) is ended; its id then gives 404.
  std::chrono::seconds session_idle{1800};
};

class RequestRateLimiter {
public:
  explicit RequestRateLimiter(unsigned per_minute) : per_minute_(per_minute) {}

  /// Takes one request from `key`'s budget; nullopt when admitted, else the
  /// whole seconds until one request would be (at least 1).
  std::optional<std::chrono::seconds> admit(std::string_view key, std::chrono::steady_clock::time_point now);
  bool enabled() const { return per_minute_ != 0; }

private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point refilled;
  };
  void forget_full_buckets(std::chrono::steady_clock::time_point now);

  unsigned per_minute_;
  std::mutex mutex_;
  std::map<std::string, Bucket, std::less<>> buckets_;
};

} // namespace mcpcert::connector
