#include "mcpcert/pkce.hpp"

#include <gtest/gtest.h>

namespace mcpcert {
namespace {

// RFC 7636 Appendix B.
constexpr std::string_view rfc_verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr std::string_view rfc_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

TEST(Pkce, Rfc7636AppendixB) {
  EXPECT_EQ(pkce_s256_challenge(rfc_verifier), rfc_challenge);
  EXPECT_TRUE(pkce_s256_matches(rfc_verifier, rfc_challenge));
}

TEST(Pkce, MismatchRefused) {
  EXPECT_FALSE(pkce_s256_matches(rfc_verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"));
  EXPECT_FALSE(pkce_s256_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj", rfc_challenge));
  EXPECT_FALSE(pkce_s256_matches(rfc_verifier, ""));
  // plain method: the challenge equals the verifier, which S256 must not accept.
  EXPECT_FALSE(pkce_s256_matches(rfc_verifier, rfc_verifier));
}

TEST(Pkce, VerifierLengthBounds) {
  EXPECT_FALSE(pkce_verifier_well_formed(std::string(42, 'a')));
  EXPECT_TRUE(pkce_verifier_well_formed(std::string(43, 'a')));
  EXPECT_TRUE(pkce_verifier_well_formed(std::string(128, 'a')));
  EXPECT_FALSE(pkce_verifier_well_formed(std::string(129, 'a')));
  EXPECT_FALSE(pkce_verifier_well_formed(""));
}

TEST(Pkce, VerifierCharset) {
  EXPECT_TRUE(pkce_verifier_well_formed(rfc_verifier));
  EXPECT_TRUE(pkce_verifier_well_formed(std::string(40, 'Z') + "-._~09"));
  for (char bad : {'+', '/', '=', ' ', '%', '\0', '\xc3'}) {
    auto verifier = std::string(43, 'a');
    verifier[10] = bad;
    EXPECT_FALSE(pkce_verifier_well_formed(verifier)) << static_cast<int>(bad);
  }
}

TEST(Pkce, GeneratedVerifierIsWellFormedAndFresh) {
  auto a = pkce_make_verifier();
  auto b = pkce_make_verifier();
  EXPECT_EQ(a.size(), 43u);
  EXPECT_TRUE(pkce_verifier_well_formed(a));
  EXPECT_NE(a, b);
  EXPECT_TRUE(pkce_s256_matches(a, pkce_s256_challenge(a)));
}

} // namespace
} // namespace mcpcert
