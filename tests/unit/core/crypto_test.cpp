#include "mcpcert/crypto.hpp"

#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mcpcert/encoding.hpp"

namespace mcpcert {
namespace {

// RFC 7515 Appendix A.3 published P-256 test key.
const nlohmann::json rfc_jwk = {
    {"kty", "EC"},
    {"crv", "P-256"},
    {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
    {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
};

TEST(Sha256, Abc) {
  EXPECT_EQ(hex_encode(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex_encode(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HmacSha256, Rfc4231TestCase2) {
  EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, EmptyKeyAndData) { EXPECT_EQ(hmac_sha256("", "").size(), 32u); }

TEST(Random, LengthAndUniqueness) {
  EXPECT_EQ(random_bytes(0).size(), 0u);
  EXPECT_EQ(random_bytes(17).size(), 17u);
  EXPECT_EQ(random_token().size(), 43u);
  EXPECT_EQ(random_token(16).size(), 22u);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(random_token());
  EXPECT_EQ(seen.size(), 100u);
  for (const auto& token : seen) EXPECT_TRUE(base64url_decode(token));
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("secret", "secret"));
  EXPECT_FALSE(constant_time_equal("secret", "secreT"));
  EXPECT_FALSE(constant_time_equal("secret", "secret2"));
  EXPECT_FALSE(constant_time_equal("secret", ""));
  EXPECT_FALSE(constant_time_equal("", "x"));
  EXPECT_TRUE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(constant_time_equal(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST(EcKey, PublicJwkShape) {
  auto key = EcSigningKey::generate("k1");
  auto jwk = key.public_jwk();
  EXPECT_EQ(jwk.at("kty"), "EC");
  EXPECT_EQ(jwk.at("crv"), "P-256");
  EXPECT_EQ(jwk.at("kid"), "k1");
  EXPECT_EQ(jwk.at("alg"), "ES256");
  EXPECT_EQ(jwk.at("use"), "sig");
  EXPECT_FALSE(jwk.contains("d"));
  EXPECT_EQ(base64url_decode(jwk.at("x").get<std::string>())->size(), 32u);
  EXPECT_EQ(base64url_decode(jwk.at("y").get<std::string>())->size(), 32u);
}

TEST(EcKey, SignVerifyAndJwkRoundTrip) {
  auto key = EcSigningKey::generate("k1");
  auto signature = key.sign_es256("message");
  EXPECT_EQ(signature.size(), 64u);
  auto imported = EcPublicKey::from_jwk(key.public_jwk());
  ASSERT_TRUE(imported);
  EXPECT_TRUE(imported->verify_es256("message", signature));
  EXPECT_FALSE(imported->verify_es256("messagf", signature));
  EXPECT_TRUE(key.public_key().verify_es256("message", signature));

  auto other = EcSigningKey::generate("k2");
  EXPECT_FALSE(other.public_key().verify_es256("message", signature));
}

TEST(EcKey, PointIdentifiesTheKey) {
  auto key = EcSigningKey::generate("k1");
  auto imported = EcPublicKey::from_jwk(key.public_jwk());
  ASSERT_TRUE(imported);
  EXPECT_EQ(key.public_key().point().size(), 64u);
  EXPECT_EQ(imported->point(), key.public_key().point());
  EXPECT_EQ(key.point(), key.public_key().point());
  auto reloaded = EcSigningKey::from_private_jwk(key.private_jwk(), "k1");
  ASSERT_TRUE(reloaded);
  EXPECT_EQ(reloaded->point(), key.point());
  EXPECT_NE(EcSigningKey::generate("k1").public_key().point(), key.public_key().point());
}

TEST(EcKey, VerifyRefusesBadSignatureShapes) {
  auto key = EcSigningKey::generate("k1");
  auto signature = key.sign_es256("m");
  auto pub = key.public_key();
  EXPECT_FALSE(pub.verify_es256("m", ""));
  EXPECT_FALSE(pub.verify_es256("m", signature.substr(0, 63)));
  EXPECT_FALSE(pub.verify_es256("m", signature + "x"));
  EXPECT_FALSE(pub.verify_es256("m", std::string(64, '\0')));
  auto flipped = signature;
  flipped[40] = static_cast<char>(flipped[40] ^ 1);
  EXPECT_FALSE(pub.verify_es256("m", flipped));
}

TEST(EcKey, FromJwkRejectsWrongMembers) {
  EXPECT_TRUE(EcPublicKey::from_jwk(rfc_jwk));
  auto with = [](const char* name, nlohmann::json value) {
    auto jwk = rfc_jwk;
    jwk[name] = std::move(value);
    return EcPublicKey::from_jwk(jwk).has_value();
  };
  auto without = [](const char* name) {
    auto jwk = rfc_jwk;
    jwk.erase(name);
    return EcPublicKey::from_jwk(jwk).has_value();
  };
  EXPECT_FALSE(with("kty", "RSA"));
  EXPECT_FALSE(with("crv", "P-384"));
  EXPECT_FALSE(with("alg", "ES384"));
  EXPECT_FALSE(with("use", "enc"));
  EXPECT_TRUE(with("alg", "ES256"));
  EXPECT_FALSE(without("kty"));
  EXPECT_FALSE(without("crv"));
  EXPECT_FALSE(without("x"));
  EXPECT_FALSE(without("y"));
  EXPECT_FALSE(with("x", 5));
  EXPECT_FALSE(with("x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVE"));   // 31 bytes
  EXPECT_FALSE(with("y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0="));  // padded
  EXPECT_FALSE(EcPublicKey::from_jwk(nlohmann::json::array()));
  EXPECT_FALSE(EcPublicKey::from_jwk(nullptr));
}

TEST(EcKey, FromJwkRejectsPointOffCurve) {
  auto jwk = rfc_jwk;
  auto y = *base64url_decode(jwk["y"].get<std::string>());
  y[31] = static_cast<char>(y[31] ^ 1);
  jwk["y"] = base64url_encode(y);
  EXPECT_FALSE(EcPublicKey::from_jwk(jwk));
  jwk["x"] = base64url_encode(std::string(32, '\0'));
  jwk["y"] = base64url_encode(std::string(32, '\0'));
  EXPECT_FALSE(EcPublicKey::from_jwk(jwk));
}

TEST(EcKey, PrivateJwkMustMatchPublicPoint) {
  // RFC 7515 Appendix A.3 published private key.
  auto jwk = rfc_jwk;
  jwk["d"] = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
  auto key = EcSigningKey::from_private_jwk(jwk, "rfc");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->public_jwk().at("x"), rfc_jwk.at("x"));
  EXPECT_TRUE(EcPublicKey::from_jwk(rfc_jwk)->verify_es256("m", key->sign_es256("m")));

  jwk["d"] = base64url_encode(std::string(31, '\x11') + "\x12");
  EXPECT_FALSE(EcSigningKey::from_private_jwk(jwk, "rfc"));
  jwk.erase("d");
  EXPECT_FALSE(EcSigningKey::from_private_jwk(jwk, "rfc"));
}

} // namespace
} // namespace mcpcert
