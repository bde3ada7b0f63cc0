#include "mcpcert/jwt.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mcpcert/encoding.hpp"

namespace mcpcert {
namespace {

constexpr std::int64_t now = 1'700'000'000;

std::string b64(const nlohmann::json& j) { return base64url_encode(j.dump()); }

// Builds a token with an arbitrary header, signed by `key`.
std::string signed_token(const EcSigningKey& key, const nlohmann::json& header, const nlohmann::json& claims) {
  auto input = b64(header) + "." + b64(claims);
  return input + "." + base64url_encode(key.sign_es256(input));
}

class JwtTest : public ::testing::Test {
protected:
  JwtTest() : key_(EcSigningKey::generate("key-1")) {
    keys_.add("key-1", key_.public_key());
    expect_.now = now;
  }

  nlohmann::json claims() const {
    return {{"iss", "https://as.example"}, {"aud", "https://mcp.example"}, {"sub", "alice"}, {"exp", now + 60}};
  }

  JwtStatus verdict(std::string_view token) const {
    auto result = verify_jwt(token, keys_, expect_);
    if (result) return JwtStatus::ok;
    EXPECT_EQ(&result.error().category(), &jwt_category());
    return static_cast<JwtStatus>(result.error().value());
  }

  EcSigningKey key_;
  JwkSet keys_;
  JwtExpectations expect_;
};

TEST(JwtRfc7515, AppendixA3Es256Verifies) {
  // RFC 7515 Appendix A.3: the RFC's published ES256 test vector (public key, signing input, signature).
  auto key = EcPublicKey::from_jwk({{"kty", "EC"},
                                    {"crv", "P-256"},
                                    {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
                                    {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}});
  ASSERT_TRUE(key);
  const std::string signing_input =
      "eyJhbGciOiJFUzI1NiJ9"
      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
  auto signature =
      base64url_decode("DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");
  ASSERT_TRUE(signature);
  EXPECT_TRUE(key->verify_es256(signing_input, *signature));
  EXPECT_FALSE(key->verify_es256(signing_input + "x", *signature));

  auto decoded = decode_jwt(signing_input + "." + base64url_encode(*signature));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->header.at("alg"), "ES256");
  EXPECT_EQ(decoded->claims.at("iss"), "joe");
  EXPECT_EQ(decoded->claims.at("exp"), 1300819380);
  EXPECT_EQ(decoded->signing_input, signing_input);
  EXPECT_EQ(decoded->signature, *signature);
}

TEST_F(JwtTest, SignVerifyRoundTrip) {
  auto token = sign_jwt(key_, claims(), "at+jwt");
  auto decoded = decode_jwt(token);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->header, (nlohmann::json{{"alg", "ES256"}, {"typ", "at+jwt"}, {"kid", "key-1"}}));

  expect_.type = "at+jwt";
  expect_.issuers = {"https://other.example", "https://as.example"};
  expect_.audience = "https://mcp.example";
  auto result = verify_jwt(token, keys_, expect_);
  ASSERT_TRUE(result) << result.error().message();
  EXPECT_EQ(*result, claims());
}

TEST_F(JwtTest, DefaultTypIsJwt) {
  auto decoded = decode_jwt(sign_jwt(key_, claims()));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->header.at("typ"), "JWT");
}

TEST_F(JwtTest, JwkSetFromJson) {
  auto other = EcSigningKey::generate("key-2");
  nlohmann::json jwks = {{"keys",
                          {key_.public_jwk(), other.public_jwk(), {{"kty", "RSA"}, {"kid", "rsa"}, {"n", "x"}},
                           {{"kty", "EC"}, {"crv", "P-256"}, {"kid", "broken"}}}}};
  auto set = JwkSet::from_json(jwks);
  EXPECT_EQ(set.size(), 2u);
  EXPECT_NE(set.find("key-2"), nullptr);
  EXPECT_EQ(set.find("rsa"), nullptr);
  auto result = verify_jwt(sign_jwt(other, claims()), set, expect_);
  EXPECT_TRUE(result);
  EXPECT_EQ(JwkSet::from_json(nlohmann::json::array()).size(), 0u);
  EXPECT_EQ(JwkSet::from_json({{"keys", "nope"}}).size(), 0u);
}

TEST_F(JwtTest, RefusesAlgNone) {
  auto token = b64({{"alg", "none"}, {"kid", "key-1"}}) + "." + b64(claims()) + ".";
  EXPECT_EQ(verdict(token), JwtStatus::alg_none);
  auto shouting = b64({{"alg", "NONE"}, {"kid", "key-1"}}) + "." + b64(claims()) + ".";
  EXPECT_EQ(verdict(shouting), JwtStatus::alg_none);
}

TEST_F(JwtTest, RefusesOtherAlgorithms) {
  for (const char* alg : {"HS256", "RS256", "ES384", "es256"}) {
    EXPECT_EQ(verdict(signed_token(key_, {{"alg", alg}, {"kid", "key-1"}}, claims())), JwtStatus::alg_not_allowed)
        << alg;
  }
  EXPECT_EQ(verdict(signed_token(key_, {{"kid", "key-1"}}, claims())), JwtStatus::alg_not_allowed);
  EXPECT_EQ(verdict(signed_token(key_, {{"alg", 7}, {"kid", "key-1"}}, claims())), JwtStatus::alg_not_allowed);
}

TEST_F(JwtTest, RefusesMissingAndUnknownKid) {
  EXPECT_EQ(verdict(signed_token(key_, {{"alg", "ES256"}}, claims())), JwtStatus::missing_kid);
  EXPECT_EQ(verdict(signed_token(key_, {{"alg", "ES256"}, {"kid", 1}}, claims())), JwtStatus::missing_kid);
  EXPECT_EQ(verdict(signed_token(key_, {{"alg", "ES256"}, {"kid", "key-9"}}, claims())), JwtStatus::unknown_kid);
}

TEST_F(JwtTest, RefusesTamperedPayload) {
  auto token = sign_jwt(key_, claims());
  auto parts = token.find('.');
  auto tampered_claims = claims();
  tampered_claims["sub"] = "mallory";
  auto last = token.rfind('.');
  auto tampered = token.substr(0, parts) + "." + b64(tampered_claims) + token.substr(last);
  EXPECT_EQ(verdict(tampered), JwtStatus::bad_signature);
}

TEST_F(JwtTest, RefusesSignatureByAnotherKeyWithSameKid) {
  auto impostor = EcSigningKey::generate("key-1");
  EXPECT_EQ(verdict(sign_jwt(impostor, claims())), JwtStatus::bad_signature);
}

TEST_F(JwtTest, TypeCheck) {
  expect_.type = "at+jwt";
  EXPECT_EQ(verdict(sign_jwt(key_, claims(), "JWT")), JwtStatus::wrong_type);
  EXPECT_EQ(verdict(signed_token(key_, {{"alg", "ES256"}, {"kid", "key-1"}}, claims())), JwtStatus::wrong_type);
  EXPECT_EQ(verdict(sign_jwt(key_, claims(), "AT+JWT")), JwtStatus::ok);
  EXPECT_EQ(verdict(sign_jwt(key_, claims(), "application/at+jwt")), JwtStatus::ok);
}

TEST_F(JwtTest, ExpiryBoundaries) {
  auto with_exp = [&](nlohmann::json exp) {
    auto c = claims();
    c["exp"] = std::move(exp);
    return verdict(sign_jwt(key_, c));
  };
  EXPECT_EQ(with_exp(now), JwtStatus::expired);
  EXPECT_EQ(with_exp(now - 1), JwtStatus::expired);
  EXPECT_EQ(with_exp(now + 1), JwtStatus::ok);
  EXPECT_EQ(with_exp(now + 0.5), JwtStatus::ok);
  expect_.leeway_seconds = 30;
  EXPECT_EQ(with_exp(now - 29), JwtStatus::ok);
  EXPECT_EQ(with_exp(now - 30), JwtStatus::expired);
}

TEST_F(JwtTest, MissingOrIllTypedExp) {
  auto c = claims();
  c.erase("exp");
  EXPECT_EQ(verdict(sign_jwt(key_, c)), JwtStatus::missing_claim);
  c["exp"] = std::to_string(now + 60);
  EXPECT_EQ(verdict(sign_jwt(key_, c)), JwtStatus::missing_claim);
  c["exp"] = true;
  EXPECT_EQ(verdict(sign_jwt(key_, c)), JwtStatus::missing_claim);
}

TEST_F(JwtTest, NotBefore) {
  auto c = claims();
  c["nbf"] = now + 10;
  EXPECT_EQ(verdict(sign_jwt(key_, c)), JwtStatus::not_yet_valid);
  c["nbf"] = now;
  EXPECT_EQ(verdict(sign_jwt(key_, c)), JwtStatus::ok);
  c["nbf"] = now + 10;
  expect_.leeway_seconds = 10;
  EXPECT_EQ(verdict(sign_jwt(key_, c)), JwtStatus::ok);
  c["nbf"] = "soon";
  EXPECT_EQ(verdict(sign_jwt(key_, c)), JwtStatus::missing_claim);
}

TEST_F(JwtTest, Issuer) {
  expect_.issuers = {"https://as.example"};
  EXPECT_EQ(verdict(sign_jwt(key_, claims())), JwtStatus::ok);
  auto c = claims();
  c["iss"] = "https://evil.example";
  EXPECT_EQ(verdict(sign_jwt(key_, c)), JwtStatus::wrong_issuer);
  c.erase("iss");
  EXPECT_EQ(verdict(sign_jwt(key_, c)), JwtStatus::wrong_issuer);
  expect_.issuers.clear();
  EXPECT_EQ(verdict(sign_jwt(key_, c)), JwtStatus::ok);
}

TEST_F(JwtTest, Audience) {
  expect_.audience = "https://mcp.example";
  auto c = claims();
  c["aud"] = "https://other.example";
  EXPECT_EQ(verdict(sign_jwt(key_, c)), JwtStatus::wrong_audience);
  c["aud"] = {"https://a.example", "https://mcp.example"};
  EXPECT_EQ(verdict(sign_jwt(key_, c)), JwtStatus::ok);
  c["aud"] = {"https://a.example", "https://b.example"};
  EXPECT_EQ(verdict(sign_jwt(key_, c)), JwtStatus::wrong_audience);
  c["aud"] = nlohmann::json::array();
  EXPECT_EQ(verdict(sign_jwt(key_, c)), JwtStatus::wrong_audience);
  c.erase("aud");
  EXPECT_EQ(verdict(sign_jwt(key_, c)), JwtStatus::wrong_audience);
}

TEST_F(JwtTest, ChecksRunInDocumentedOrder) {
  // Expired and wrong issuer and bad signature: the signature is reported first.
  expect_.issuers = {"https://as.example"};
  auto c = claims();
  c["exp"] = now - 100;
  c["iss"] = "https://evil.example";
  auto impostor = EcSigningKey::generate("key-1");
  EXPECT_EQ(verdict(sign_jwt(impostor, c)), JwtStatus::bad_signature);
  EXPECT_EQ(verdict(sign_jwt(key_, c)), JwtStatus::expired);
}

TEST(JwtDecode, GarbageIsMalformed) {
  const std::string good_header = base64url_encode(R"({"alg":"ES256"})");
  const std::string good_claims = base64url_encode(R"({"sub":"x"})");
  for (const std::string& token : {
           std::string(),
           std::string("."),
           std::string(".."),
           std::string("..."),
           good_header + "." + good_claims,
           good_header + "." + good_claims + ".sig.extra",
           good_header + ".!!!." + "c2ln",
           good_header + "." + good_claims + ".c2ln=",
           base64url_encode("[1,2]") + "." + good_claims + ".",
           good_header + "." + base64url_encode("\"just a string\"") + ".",
           good_header + "." + base64url_encode("{\"unterminated\":") + ".",
           good_header + "." + base64url_encode("{\"bad\":\"\xff\"}") + ".",
           good_header + "." + base64url_encode("null") + ".",
           std::string("not a token at all"),
           std::string(1000, '.'),
       }) {
    EXPECT_NO_THROW((void)decode_jwt(token)) << token;
    auto result = decode_jwt(token);
    ASSERT_FALSE(result) << token;
    EXPECT_EQ(result.error(), make_error_code(JwtStatus::malformed)) << token;
  }
}

TEST(JwtDecode, ErrorCategory) {
  boost::system::error_code ec = JwtStatus::expired;
  EXPECT_STREQ(ec.category().name(), "jwt");
  EXPECT_EQ(ec.message(), "expired");
  EXPECT_STREQ(to_string(JwtStatus::wrong_audience), "wrong_audience");
}

TEST_F(JwtTest, MalformedTokenReportedByVerify) {
  EXPECT_EQ(verdict("abc"), JwtStatus::malformed);
}

// --- VerifiedJwtCache ----------------------------------------------------------

class VerifiedJwtCacheTest : public JwtTest {
protected:
  VerifiedJwtCacheTest() {
    expect_.type = "at+jwt";
    expect_.issuers = {"https://as.example"};
    expect_.audience = "https://mcp.example";
  }

  JwtStatus cached_verdict(std::string_view token, const JwkSet& keys) {
    auto result = cache_.verify(token, keys, expect_);
    if (result) return JwtStatus::ok;
    EXPECT_EQ(&result.error().category(), &jwt_category());
    return static_cast<JwtStatus>(result.error().value());
  }
  JwtStatus cached_verdict(std::string_view token) { return cached_verdict(token, keys_); }

  // A token already remembered: the second verification is the cache's answer.
  std::string cached_token() {
    auto token = sign_jwt(key_, claims(), "at+jwt");
    EXPECT_EQ(cached_verdict(token), JwtStatus::ok);
    EXPECT_EQ(cache_.size(), 1u);
    return token;
  }

  VerifiedJwtCache cache_{8};
};

TEST_F(VerifiedJwtCacheTest, AHitGivesWhatVerifyJwtGives) {
  auto token = cached_token();
  auto hit = cache_.verify(token, keys_, expect_);
  ASSERT_TRUE(hit) << hit.error().message();
  auto fresh = verify_jwt(token, keys_, expect_);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(*hit, *fresh);
  EXPECT_EQ(*hit, claims());
  EXPECT_EQ(cache_.size(), 1u);
}

TEST_F(VerifiedJwtCacheTest, ExpiryIsCheckedOnEveryHitWithTheCallersClock) {
  auto token = cached_token();
  expect_.now = now + 59;
  EXPECT_EQ(cached_verdict(token), JwtStatus::ok);
  expect_.now = now + 60;
  EXPECT_EQ(cached_verdict(token), JwtStatus::expired);
  expect_.leeway_seconds = 5;
  EXPECT_EQ(cached_verdict(token), JwtStatus::ok);
  expect_.now = now + 65;
  EXPECT_EQ(cached_verdict(token), JwtStatus::expired);
}

TEST_F(VerifiedJwtCacheTest, NotBeforeIsCheckedOnEveryHit) {
  auto c = claims();
  c["nbf"] = now;
  auto token = sign_jwt(key_, c, "at+jwt");
  ASSERT_EQ(cached_verdict(token), JwtStatus::ok);
  expect_.now = now - 1;
  EXPECT_EQ(cached_verdict(token), JwtStatus::not_yet_valid);
}

TEST_F(VerifiedJwtCacheTest, AudienceIssuerAndTypeAreCheckedOnEveryHit) {
  auto token = cached_token();
  auto expect = expect_;
  expect_.audience = "https://api.example";
  EXPECT_EQ(cached_verdict(token), JwtStatus::wrong_audience);
  expect_ = expect;
  expect_.issuers = {"https://other-as.example"};
  EXPECT_EQ(cached_verdict(token), JwtStatus::wrong_issuer);
  expect_ = expect;
  expect_.type = "sso+jwt";
  EXPECT_EQ(cached_verdict(token), JwtStatus::wrong_type);
  expect_ = expect;
  EXPECT_EQ(cached_verdict(token), JwtStatus::ok);
}

TEST_F(VerifiedJwtCacheTest, ATokenWithOneByteChangedIsVerifiedAfresh) {
  auto token = cached_token();
  // The last character of the payload, then of the signature: each a different token text.
  auto in_payload = token;
  auto dot = in_payload.rfind('.') - 1;
  in_payload[dot] = in_payload[dot] == 'A' ? 'B' : 'A';
  EXPECT_NE(cached_verdict(in_payload), JwtStatus::ok);
  auto in_signature = token;
  in_signature[in_signature.size() - 2] = in_signature[in_signature.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(cached_verdict(in_signature), JwtStatus::bad_signature);
  EXPECT_EQ(cache_.size(), 1u);
  EXPECT_EQ(cached_verdict(token), JwtStatus::ok);
}

TEST_F(VerifiedJwtCacheTest, AKidThatLeftTheKeySetIsRefused) {
  auto token = cached_token();
  JwkSet rotated;
  auto next = EcSigningKey::generate("key-2");
  rotated.add("key-2", next.public_key());
  EXPECT_EQ(cached_verdict(token, rotated), JwtStatus::unknown_kid);
  EXPECT_EQ(cached_verdict(token, keys_), JwtStatus::ok);
}

TEST_F(VerifiedJwtCacheTest, AKidBoundToAnotherKeyIsRefused) {
  auto token = cached_token();
  JwkSet reused;
  reused.add("key-1", EcSigningKey::generate("key-1").public_key());
  EXPECT_EQ(cached_verdict(token, reused), JwtStatus::bad_signature);
  // The same key under a new object is still the same key.
  JwkSet reloaded;
  reloaded.add("key-1", key_.public_key());
  EXPECT_EQ(cached_verdict(token, reloaded), JwtStatus::ok);
}

TEST_F(VerifiedJwtCacheTest, AFailureIsNotRemembered) {
  auto token = sign_jwt(key_, claims(), "at+jwt");
  JwkSet none;
  EXPECT_EQ(cached_verdict(token, none), JwtStatus::unknown_kid);
  EXPECT_EQ(cache_.size(), 0u);
  EXPECT_EQ(cached_verdict(token, keys_), JwtStatus::ok);
  EXPECT_EQ(cache_.size(), 1u);

  // A good signature with a refused claim is not remembered either.
  auto elsewhere = claims();
  elsewhere["aud"] = "https://elsewhere.example";
  EXPECT_EQ(cached_verdict(sign_jwt(key_, elsewhere, "at+jwt")), JwtStatus::wrong_audience);
  EXPECT_EQ(cache_.size(), 1u);
}

TEST_F(VerifiedJwtCacheTest, TheBoundHoldsExpiredEntriesGoFirst) {
  auto short_lived = claims();
  short_lived["exp"] = now + 10;
  for (int i = 0; i < 4; ++i) {
    short_lived["jti"] = "short-" + std::to_string(i);
    ASSERT_EQ(cached_verdict(sign_jwt(key_, short_lived, "at+jwt")), JwtStatus::ok);
  }
  std::vector<std::string> long_lived;
  for (int i = 0; i < 4; ++i) {
    auto c = claims();
    c["jti"] = "long-" + std::to_string(i);
    long_lived.push_back(sign_jwt(key_, c, "at+jwt"));
    ASSERT_EQ(cached_verdict(long_lived.back()), JwtStatus::ok);
  }
  EXPECT_EQ(cache_.size(), 8u);

  // Full, and the four short-lived ones have expired: only they make room.
  expect_.now = now + 10;
  auto c = claims();
  c["jti"] = "ninth";
  ASSERT_EQ(cached_verdict(sign_jwt(key_, c, "at+jwt")), JwtStatus::ok);
  EXPECT_EQ(cache_.size(), 5u);

  // Full of live entries: it starts over.
  for (int i = 0; i < 10; ++i) {
    c["jti"] = "more-" + std::to_string(i);
    ASSERT_EQ(cached_verdict(sign_jwt(key_, c, "at+jwt")), JwtStatus::ok);
    EXPECT_LE(cache_.size(), 8u);
  }
  for (const auto& token : long_lived) EXPECT_EQ(cached_verdict(token), JwtStatus::ok);
  EXPECT_LE(cache_.size(), 8u);
}

TEST_F(VerifiedJwtCacheTest, ATokenItSignedIsRememberedAsVerifyJwtWouldSeeIt) {
  auto c = claims();
  c["scope"] = "finance:read \xff"; // invalid UTF-8: signed as U+FFFD, and remembered so
  auto token = cache_.sign(key_, c, "at+jwt", now);
  EXPECT_EQ(cache_.size(), 1u);
  auto fresh = verify_jwt(token, keys_, expect_);
  ASSERT_TRUE(fresh) << fresh.error().message();
  EXPECT_EQ((*fresh)["scope"], "finance:read \xef\xbf\xbd");
  auto hit = cache_.verify(token, keys_, expect_);
  ASSERT_TRUE(hit) << hit.error().message();
  EXPECT_EQ(*hit, *fresh);
  EXPECT_EQ(cache_.size(), 1u);

  expect_.audience = "https://api.example";
  EXPECT_EQ(cached_verdict(token), JwtStatus::wrong_audience);
  JwkSet reused;
  reused.add("key-1", EcSigningKey::generate("key-1").public_key());
  EXPECT_EQ(cached_verdict(token, reused), JwtStatus::bad_signature);
  EXPECT_EQ(cached_verdict(token, JwkSet{}), JwtStatus::unknown_kid);
}

TEST_F(VerifiedJwtCacheTest, ATokenItSignedWithoutExpiryIsNotRemembered) {
  auto c = claims();
  c.erase("exp");
  auto token = cache_.sign(key_, c, "at+jwt", now);
  EXPECT_EQ(cache_.size(), 0u);
  EXPECT_EQ(cached_verdict(token), JwtStatus::missing_claim);
}

TEST_F(VerifiedJwtCacheTest, ConcurrentVerificationsAgree) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 4; ++i) {
    auto c = claims();
    c["jti"] = "t-" + std::to_string(i);
    tokens.push_back(sign_jwt(key_, c, "at+jwt"));
  }
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 50; ++round)
        for (const auto& token : tokens)
          if (!cache_.verify(token, keys_, expect_)) ++refused;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(refused.load(), 0);
  EXPECT_EQ(cache_.size(), 4u);
}

} // namespace
} // namespace mcpcert
