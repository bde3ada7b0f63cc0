#include "mcpcert/clock.hpp"

namespace mcpcert {

std::int64_t Clock::unix_seconds() const {
  return std::chrono::duration_cast<Seconds>(now().time_since_epoch()).count();
}

TimePoint SystemClock::now() const { return std::chrono::system_clock::now(); }

TimePoint VirtualClock::now() const { return std::chrono::system_clock::now() + offset(); }

void VirtualClock::advance(std::chrono::milliseconds by) { offset_ms_.fetch_add(by.count()); }

std::chrono::milliseconds VirtualClock::offset() const {
  return std::chrono::milliseconds(offset_ms_.load());
}

} // namespace mcpcert
