#include "mcpcert/totp.hpp"

#include <gtest/gtest.h>

#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"

namespace mcpcert {
namespace {

// RFC 6238 Appendix B: the SHA-1 seed is this 20-byte ASCII string.
constexpr std::string_view rfc6238_sha1_key = "12345678901234567890";

TimePoint at(std::int64_t unix_seconds) { return TimePoint(Seconds(unix_seconds)); }

struct Vector {
  std::int64_t time;
  const char* code8; // as the RFC prints it
};

// Every SHA-1 row of RFC 6238 Appendix B.
constexpr Vector rfc6238_vectors[] = {
    {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
    {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
};

// The last row (year 2603) is past what a nanosecond system_clock time point
// holds, so it is checked through its time step.
bool representable(std::int64_t unix_seconds) { return unix_seconds < 9'000'000'000; }

TEST(Totp, Rfc6238EightDigitVectors) {
  for (const auto& vector : rfc6238_vectors) {
    EXPECT_EQ(hotp(rfc6238_sha1_key, static_cast<std::uint64_t>(vector.time / 30), 8), vector.code8) << vector.time;
    if (representable(vector.time)) {
      EXPECT_EQ(totp(rfc6238_sha1_key, at(vector.time), 8), vector.code8) << vector.time;
    }
  }
}

TEST(Totp, Rfc6238VectorsTruncatedToSixDigits) {
  // Six digits is the same truncated value modulo 10^6: the last six digits.
  for (const auto& vector : rfc6238_vectors) {
    const auto code6 = std::string(vector.code8).substr(2);
    EXPECT_EQ(hotp(rfc6238_sha1_key, static_cast<std::uint64_t>(vector.time / 30)), code6) << vector.time;
    if (representable(vector.time)) {
      EXPECT_EQ(totp(rfc6238_sha1_key, at(vector.time)), code6) << vector.time;
    }
  }
}

TEST(Totp, StepIsThirtySecondsFromTheEpoch) {
  EXPECT_EQ(totp_step(at(0)), 0u);
  EXPECT_EQ(totp_step(at(29)), 0u);
  EXPECT_EQ(totp_step(at(30)), 1u);
  EXPECT_EQ(totp_step(at(59)), 1u);
  EXPECT_EQ(totp_step(at(1111111109)), 0x23523ECu);
}

TEST(Hotp, Rfc4226AppendixD) {
  // RFC 4226 Appendix D, counters 0..9 with the same key.
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (std::uint64_t counter = 0; counter < 10; ++counter)
    EXPECT_EQ(hotp(rfc6238_sha1_key, counter), expected[counter]) << counter;
}

TEST(Hotp, RefusesDigitCountsOutsideSixToEight) {
  EXPECT_THROW(hotp(rfc6238_sha1_key, 0, 5), std::invalid_argument);
  EXPECT_THROW(hotp(rfc6238_sha1_key, 0, 9), std::invalid_argument);
}

TEST(TotpMatch, AcceptsTheCurrentStepAndOneEitherSide) {
  const auto now = at(1234567890);
  const auto step = totp_step(now);
  EXPECT_EQ(totp_match(rfc6238_sha1_key, totp(rfc6238_sha1_key, now), now), step);
  EXPECT_EQ(totp_match(rfc6238_sha1_key, totp(rfc6238_sha1_key, now - Seconds(30)), now), step - 1);
  EXPECT_EQ(totp_match(rfc6238_sha1_key, totp(rfc6238_sha1_key, now + Seconds(30)), now), step + 1);
}

TEST(TotpMatch, RefusesTwoStepsAwayAndMalformedCodes) {
  const auto now = at(1234567890);
  EXPECT_FALSE(totp_match(rfc6238_sha1_key, totp(rfc6238_sha1_key, now - Seconds(60)), now));
  EXPECT_FALSE(totp_match(rfc6238_sha1_key, totp(rfc6238_sha1_key, now + Seconds(60)), now));
  EXPECT_FALSE(totp_match(rfc6238_sha1_key, "", now));
  EXPECT_FALSE(totp_match(rfc6238_sha1_key, "12345", now));
  EXPECT_FALSE(totp_match(rfc6238_sha1_key, "1234567", now));
  EXPECT_FALSE(totp_match(rfc6238_sha1_key, "12345a", now));
  // The eight-digit form of the right code is not a six-digit code.
  EXPECT_FALSE(totp_match(rfc6238_sha1_key, "89005924", now));
}

TEST(TotpMatch, StepZeroHasNoPreviousStep) {
  EXPECT_EQ(totp_match(rfc6238_sha1_key, totp(rfc6238_sha1_key, at(10)), at(10)), 0u);
}

TEST(HmacSha1, Rfc2202TestCase2) {
  EXPECT_EQ(hex_encode(hmac_sha1("Jefe", "what do ya want for nothing?")), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST(Base32, Rfc4648Section10Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},           {"f", "MY======"},         {"fo", "MZXQ===="},        {"foo", "MZXW6==="},
      {"foob", "MZXW6YQ="}, {"fooba", "MZXW6YTB"}, {"foobar", "MZXW6YTBOI======"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base32_encode(plain), encoded);
    EXPECT_EQ(base32_decode(encoded), std::string(plain));
  }
}

TEST(Base32, DecodesAsAuthenticatorAppsAccept) {
  EXPECT_EQ(base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), std::string(rfc6238_sha1_key));
  EXPECT_EQ(base32_decode("gezd gnbv gy3t qojq gezd gnbv gy3t qojq"), std::string(rfc6238_sha1_key));
  EXPECT_EQ(base32_decode("MZXW6"), std::string("foo"));
}

TEST(Base32, RefusesForeignCharactersAndImpossibleLengths) {
  EXPECT_FALSE(base32_decode("MZXW1"));   // 1 is not in the alphabet
  EXPECT_FALSE(base32_decode("MZXW6=Y")); // data after padding
  EXPECT_FALSE(base32_decode("M"));       // one symbol is not a byte
  EXPECT_FALSE(base32_decode("MZX"));
  EXPECT_TRUE(base32_decode("MZXW6YT=")); // 7 symbols + padding: 4 bytes
  EXPECT_FALSE(base32_decode("MZXW6=="));  // padding that does not complete a quantum
}

} // namespace
} // namespace mcpcert
