#include <gtest/gtest.h>

#include "mcpcert/crypto.hpp"
#include "mcpcert/encoding.hpp"

namespace mcpcert {
namespace {

// RFC 8032 section 7.1, TEST 1 (the empty message), as the RFC prints it: a
// published test vector, not a secret of this project; keys in use are
// generated at run time.
constexpr const char* rfc_secret_key_hex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
constexpr const char* rfc_public_hex = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
constexpr const char* rfc_signature_hex =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

TEST(Ed25519, Rfc8032TestVector) {
  std::string secret;
  for (std::string_view hex = rfc_secret_key_hex; hex.size() >= 2; hex.remove_prefix(2))
    secret.push_back(static_cast<char>(std::stoi(std::string(hex.substr(0, 2)), nullptr, 16)));
  auto key = Ed25519SigningKey::from_secret_key(secret);
  ASSERT_TRUE(key);
  EXPECT_EQ(hex_encode(key->public_key()), rfc_public_hex);
  EXPECT_EQ(hex_encode(key->sign("")), rfc_signature_hex);
  EXPECT_TRUE(verify_ed25519(key->public_key(), "", key->sign("")));
  // The same key through its PKCS#8 PEM form, as reports' signing keys are kept.
  const auto again = Ed25519SigningKey::from_private_pem(key->private_pem());
  ASSERT_TRUE(again);
  EXPECT_EQ(hex_encode(again->sign("")), rfc_signature_hex);
}

TEST(Ed25519, SignsAndVerifiesAndRefusesAnyChange) {
  const auto key = Ed25519SigningKey::generate();
  const std::string message = R"({"summary":{"result":"CERTIFIED"}})";
  auto signature = key.sign(message);
  ASSERT_EQ(signature.size(), 64u);
  EXPECT_TRUE(verify_ed25519(key.public_key(), message, signature));
  EXPECT_FALSE(verify_ed25519(key.public_key(), R"({"summary":{"result":"CERTIFIED "}})", signature));
  signature[10] = static_cast<char>(signature[10] ^ 1);
  EXPECT_FALSE(verify_ed25519(key.public_key(), message, signature));
  EXPECT_FALSE(verify_ed25519(Ed25519SigningKey::generate().public_key(), message, key.sign(message)));
}

TEST(Ed25519, PemRoundTripKeepsTheKey) {
  const auto key = Ed25519SigningKey::generate();
  const auto again = Ed25519SigningKey::from_private_pem(key.private_pem());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_key(), key.public_key());
}

TEST(Ed25519, RefusesWhatIsNotAnEd25519Key) {
  EXPECT_FALSE(Ed25519SigningKey::from_private_pem("not a key"));
  EXPECT_FALSE(Ed25519SigningKey::from_private_pem(""));
  EXPECT_FALSE(Ed25519SigningKey::from_secret_key(std::string(31, 'k')));
  EXPECT_FALSE(Ed25519SigningKey::from_secret_key(std::string(33, 'k')));
  const auto key = Ed25519SigningKey::generate();
  EXPECT_FALSE(verify_ed25519(key.public_key().substr(1), "m", key.sign("m")));
  EXPECT_FALSE(verify_ed25519(key.public_key(), "m", key.sign("m").substr(1)));
}

} // namespace
} // namespace mcpcert
