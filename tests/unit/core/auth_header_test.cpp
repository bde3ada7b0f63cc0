#include "mcpcert/auth_header.hpp"

#include <gtest/gtest.h>

namespace mcpcert {
namespace {

TEST(WwwAuthenticate, BearerWithResourceMetadataAndScope) {
  auto challenges = parse_www_authenticate(
      R"(Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read files:write")");
  ASSERT_TRUE(challenges);
  ASSERT_EQ(challenges->size(), 1u);
  EXPECT_EQ((*challenges)[0].scheme, "bearer");
  EXPECT_EQ((*challenges)[0].params.at("resource_metadata"), "https://mcp.example.com/.well-known/oauth-protected-resource/mcp");
  EXPECT_EQ((*challenges)[0].params.at("scope"), "files:read files:write");
}

TEST(WwwAuthenticate, SeveralChallengesQuotedEscapesAndTokens) {
  auto challenges = parse_www_authenticate(R"(Basic realm="a\"b", Bearer error=invalid_token, error_description="expired")");
  ASSERT_TRUE(challenges);
  ASSERT_EQ(challenges->size(), 2u);
  EXPECT_EQ((*challenges)[0].params.at("realm"), "a\"b");
  EXPECT_EQ((*challenges)[1].params.at("error"), "invalid_token");
  EXPECT_EQ((*challenges)[1].params.at("error_description"), "expired");
}

TEST(WwwAuthenticate, ParameterNamesAreCaseInsensitive) {
  auto challenges = parse_www_authenticate(R"(BEARER Resource_Metadata="x")");
  ASSERT_TRUE(challenges);
  EXPECT_EQ((*challenges)[0].scheme, "bearer");
  EXPECT_EQ((*challenges)[0].params.at("resource_metadata"), "x");
}

TEST(WwwAuthenticate, BrokenSyntaxIsRefused) {
  EXPECT_FALSE(parse_www_authenticate(""));
  EXPECT_FALSE(parse_www_authenticate(R"(Bearer realm="unterminated)"));
  EXPECT_FALSE(parse_www_authenticate("Bearer realm="));
  EXPECT_FALSE(parse_www_authenticate("=x"));
}

TEST(BearerCredentials, AcceptsToken68AnySchemeCase) {
  EXPECT_EQ(parse_bearer_credentials("Bearer abc.def-ghi_jkl~"), "abc.def-ghi_jkl~");
  EXPECT_EQ(parse_bearer_credentials("bearer abc=="), "abc==");
}

TEST(BearerCredentials, RefusesOtherSchemesAndMalformedTokens) {
  EXPECT_FALSE(parse_bearer_credentials("Basic dXNlcjpwYXNz"));
  EXPECT_FALSE(parse_bearer_credentials("Bearer"));
  EXPECT_FALSE(parse_bearer_credentials("Bearer "));
  EXPECT_FALSE(parse_bearer_credentials("Bearer a b"));
  EXPECT_FALSE(parse_bearer_credentials("Bearer a=b"));
  EXPECT_FALSE(parse_bearer_credentials("Bearertoken"));
}

} // namespace
} // namespace mcpcert
