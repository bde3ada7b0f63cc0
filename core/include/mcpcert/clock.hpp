#pragma once
/// Time as every part of the harness reads it. In simulation mode a VirtualClock
/// lets a scenario jump "30 days later" in a millisecond.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace mcpcert {

using TimePoint = std::chrono::system_clock::time_point;
using Seconds = std::chrono::seconds;

/// Source of wall-clock time; injected so tests and simulations can move it.
class Clock {
public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  /// Whole seconds since the Unix epoch, as JWT `iat`/`exp` use.
  std::int64_t unix_seconds() const;
};

/// The machine's clock.
class SystemClock final : public Clock {
public:
  TimePoint now() const override;
};

/// The machine's clock shifted by an offset that only ever moves on request.
/// Thread-safe: the offset is atomic so request handlers may read it while a
/// control call advances it.
class VirtualClock final : public Clock {
public:
  TimePoint now() const override;
  void advance(std::chrono::milliseconds by);
  std::chrono::milliseconds offset() const;

private:
  std::atomic<std::int64_t> offset_ms_{0};
};

} // namespace mcpcert
