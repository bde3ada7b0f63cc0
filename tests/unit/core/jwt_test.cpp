#include "mcpcert/jwt.hpp"

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

} // namespace
} // namespace mcpcert
