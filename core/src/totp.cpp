#include "mcpcert/totp.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "mcpcert/crypto.hpp"

namespace mcpcert {

std::string hotp(std::string_view key, std::uint64_t counter, int digits) {
  if (digits < 6 || digits > 8) throw std::invalid_argument("HOTP codes have 6 to 8 digits");
  std::string message(8, '\0');
  for (int i = 7; i >= 0; --i) {
    message[static_cast<std::size_t>(i)] = static_cast<char>(counter & 0xff);
    counter >>= 8;
  }
  const auto mac = hmac_sha1(key, message);
  // Dynamic truncation: the low nibble of the last byte picks four bytes.
  const auto offset = static_cast<std::size_t>(static_cast<unsigned char>(mac[19]) & 0x0f);
  const std::uint32_t binary = (static_cast<std::uint32_t>(static_cast<unsigned char>(mac[offset]) & 0x7f) << 24) |
                               (static_cast<std::uint32_t>(static_cast<unsigned char>(mac[offset + 1])) << 16) |
                               (static_cast<std::uint32_t>(static_cast<unsigned char>(mac[offset + 2])) << 8) |
                               static_cast<std::uint32_t>(static_cast<unsigned char>(mac[offset + 3]));
  std::uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  auto code = std::to_string(binary % modulus);
  return std::string(static_cast<std::size_t>(digits) - code.size(), '0') + code;
}

std::uint64_t totp_step(TimePoint time) {
  const auto seconds = std::chrono::floor<Seconds>(time.time_since_epoch()).count();
  return seconds < 0 ? 0 : static_cast<std::uint64_t>(seconds / totp_step_seconds);
}

std::string totp(std::string_view key, TimePoint time, int digits) { return hotp(key, totp_step(time), digits); }

std::optional<std::uint64_t> totp_match(std::string_view key, std::string_view code, TimePoint time, int window) {
  if (code.size() != static_cast<std::size_t>(totp_digits) ||
      !std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  const auto now = totp_step(time);
  std::optional<std::uint64_t> matched;
  // Every candidate is computed and compared, so the answer's timing does not
  // say which step (if any) matched.
  for (int delta = -window; delta <= window; ++delta) {
    if (delta < 0 && now < static_cast<std::uint64_t>(-delta)) continue;
    const auto step = now + static_cast<std::uint64_t>(static_cast<std::int64_t>(delta));
    if (constant_time_equal(hotp(key, step), code) && !matched) matched = step;
  }
  return matched;
}

} // namespace mcpcert
