#pragma once
/// One-time passwords for a second sign-in factor: HOTP (RFC 4226) and TOTP
/// (RFC 6238) with HMAC-SHA-1, the parameters every authenticator app uses.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mcpcert/clock.hpp"

namespace mcpcert {

/// RFC 6238 defaults as authenticator apps apply them.
inline constexpr std::int64_t totp_step_seconds = 30;
inline constexpr int totp_digits = 6;

/// RFC 4226 section 5.3: HMAC-SHA-1 of the counter, dynamically truncated, as
/// `digits` (6 to 8) decimal digits with leading zeros.
std::string hotp(std::string_view key, std::uint64_t counter, int digits = totp_digits);

/// The RFC 6238 time step of `time`: whole 30 s periods since the Unix epoch.
std::uint64_t totp_step(TimePoint time);

/// The code of `key` in `time`'s step.
std::string totp(std::string_view key, TimePoint time, int digits = totp_digits);

/// The step whose code `code` is, among `time`'s step and `window` steps
/// either side (RFC 6238 5.2: clock drift); nullopt when none matches or the
/// code is not `totp_digits` digits. Codes are compared in constant time.
std::optional<std::uint64_t> totp_match(std::string_view key, std::string_view code, TimePoint time, int window = 1);

} // namespace mcpcert
