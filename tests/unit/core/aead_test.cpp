#include "mcpcert/aead.hpp"

#include <gtest/gtest.h>

#include "mcpcert/encoding.hpp"

namespace mcpcert {
namespace {

TEST(Aead, SealsAndOpens) {
  const auto key = AeadKey::generate();
  const auto sealed = key.seal("alice@example.com", "user");
  EXPECT_EQ(sealed.size(), 12 + 17 + 16u);
  EXPECT_EQ(sealed.find("alice"), std::string::npos);
  EXPECT_EQ(key.open(sealed, "user"), "alice@example.com");
  EXPECT_NE(key.seal("same", "user"), key.seal("same", "user")); // fresh nonce each time
}

TEST(Aead, RefusesTamperingWrongKeyAndWrongAssociatedData) {
  const auto key = AeadKey::generate();
  auto sealed = key.seal("10.0.0.7", "ip");
  EXPECT_FALSE(key.open(sealed, "user"));
  EXPECT_FALSE(AeadKey::generate().open(sealed, "ip"));
  sealed[14] = static_cast<char>(sealed[14] ^ 1);
  EXPECT_FALSE(key.open(sealed, "ip"));
  EXPECT_FALSE(key.open("short", "ip"));
}

TEST(Aead, KnownAnswerFromTheGcmSpecification) {
  // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 13:
  // zero key, zero nonce, empty plaintext: tag 530f8afbc74536b9a963b4f1c4cb738b.
  const auto key = AeadKey::from_bytes(std::string(32, '\0'));
  ASSERT_TRUE(key);
  const std::string sealed = std::string(12, '\0') + *[] {
    std::string tag;
    for (const char* hex = "530f8afbc74536b9a963b4f1c4cb738b"; *hex != '\0'; hex += 2) {
      tag.push_back(static_cast<char>(std::stoi(std::string(hex, 2), nullptr, 16)));
    }
    return std::optional<std::string>(tag);
  }();
  EXPECT_EQ(key->open(sealed), "");
}

TEST(Aead, KeysMustBe32Bytes) {
  EXPECT_FALSE(AeadKey::from_bytes("short"));
  EXPECT_FALSE(AeadKey::from_bytes(std::string(33, 'k')));
}

} // namespace
} // namespace mcpcert
