#include "mcpcert/mock_client/token_forgery.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mcpcert/encoding.hpp"

namespace mcpcert::client {
namespace {

using nlohmann::json;

const std::string header = base64url_encode(R"({"alg":"ES256","typ":"at+jwt","kid":"k1"})");
const std::string payload = base64url_encode(R"({"sub":"alice","aud":"http://127.0.0.1:1/mcp","exp":10})");
const std::string token = header + "." + payload + ".AAAAsignature";

json part(const std::string& jwt, int index) {
  std::size_t start = 0;
  for (int i = 0; i < index; ++i) start = jwt.find('.', start) + 1;
  const auto end = jwt.find('.', start);
  return json::parse(*base64url_decode(jwt.substr(start, end - start)));
}

TEST(ForgeToken, AlgNoneDropsTheSignatureAndKeepsTheClaims) {
  const auto forged = forge_token(token, "alg_none", json());
  ASSERT_TRUE(forged);
  EXPECT_EQ(part(*forged, 0), (json{{"alg", "none"}, {"typ", "at+jwt"}}));
  EXPECT_EQ(part(*forged, 1)["sub"], "alice");
  EXPECT_EQ(forged->back(), '.');
}

TEST(ForgeToken, SignatureTamperChangesOnlyTheFirstSignatureCharacter) {
  const auto forged = forge_token(token, "signature", json());
  ASSERT_TRUE(forged);
  EXPECT_EQ(*forged, header + "." + payload + ".BAAAsignature");
}

TEST(ForgeToken, ClaimsAreReplacedOrRemovedUnderTheOriginalSignature) {
  const auto forged = forge_token(token, "none", json{{"aud", "http://elsewhere/mcp"}, {"exp", nullptr}, {"sub", "bob"}});
  ASSERT_TRUE(forged);
  const auto claims = part(*forged, 1);
  EXPECT_EQ(claims["aud"], "http://elsewhere/mcp");
  EXPECT_EQ(claims["sub"], "bob");
  EXPECT_FALSE(claims.contains("exp"));
  EXPECT_THAT(*forged, testing::StartsWith(header + "."));
  EXPECT_THAT(*forged, testing::EndsWith(".AAAAsignature"));
}

TEST(ForgeToken, RefusesWhatIsNotACompactJws) {
  EXPECT_FALSE(forge_token("opaque-token", "signature", json()));
  EXPECT_FALSE(forge_token("a.b.c.d", "signature", json()));
  EXPECT_FALSE(forge_token("a.%%%.c", "none", json{{"sub", "bob"}}));
}

} // namespace
} // namespace mcpcert::client
