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

TEST(BasicCredentials, DecodesIdAndSecret) {
  // base64("mcpcert-connector:s3cret")
  auto credentials = parse_basic_credentials("Basic bWNwY2VydC1jb25uZWN0b3I6czNjcmV0");
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->id, "mcpcert-connector");
  EXPECT_EQ(credentials->secret, "s3cret");
  EXPECT_TRUE(parse_basic_credentials("basic bWNwY2VydC1jb25uZWN0b3I6czNjcmV0"));
  EXPECT_TRUE(parse_basic_credentials("BASIC  bWNwY2VydC1jb25uZWN0b3I6czNjcmV0 "));
}

TEST(BasicCredentials, FormDecodesBothPartsAsRfc6749Asks) {
  // base64("a%3Ab+c:p%40ss%3Aword+x") : the id holds an escaped colon, the secret a colon and a space.
  auto credentials = parse_basic_credentials("Basic YSUzQWIrYzpwJTQwc3MlM0F3b3JkK3g=");
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->id, "a:b c");
  EXPECT_EQ(credentials->secret, "p@ss:word x");
}

TEST(BasicCredentials, SplitsAtTheFirstColonAndAllowsAnEmptySecret) {
  // base64("id:a:b") and base64("id:")
  auto credentials = parse_basic_credentials("Basic aWQ6YTpi");
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->id, "id");
  EXPECT_EQ(credentials->secret, "a:b");
  credentials = parse_basic_credentials("Basic aWQ6");
  ASSERT_TRUE(credentials);
  EXPECT_EQ(credentials->secret, "");
}

TEST(BasicCredentials, RefusesOtherSchemesAndMalformedValues) {
  EXPECT_FALSE(parse_basic_credentials("Bearer aWQ6cw=="));
  EXPECT_FALSE(parse_basic_credentials("Basic"));
  EXPECT_FALSE(parse_basic_credentials("Basic "));
  EXPECT_FALSE(parse_basic_credentials("BasicaWQ6cw=="));
  EXPECT_FALSE(parse_basic_credentials("Basic aWQ6cw"));    // unpadded
  EXPECT_FALSE(parse_basic_credentials("Basic !!!!"));      // not base64
  EXPECT_FALSE(parse_basic_credentials("Basic aWRz"));      // base64("ids"): no colon
  EXPECT_FALSE(parse_basic_credentials("Basic OnNlY3JldA==")); // base64(":secret"): empty id
  EXPECT_FALSE(parse_basic_credentials("Basic aWQ6JXp6"));  // base64("id:%zz"): bad escape
  EXPECT_FALSE(parse_basic_credentials("Basic aWQ6YQpi"));  // base64("id:a\nb"): control character
}

} // namespace
} // namespace mcpcert

namespace mcpcert {
namespace {
TEST(ScopeIncludes, MatchesWholeSpaceDelimitedTokensOnly) {
  EXPECT_TRUE(scope_includes("planning:read planning:write", "planning:write"));
  EXPECT_TRUE(scope_includes("finance:read", "finance:read"));
  EXPECT_FALSE(scope_includes("planning:read planning:writer", "planning:write"));
  EXPECT_FALSE(scope_includes("planning:read", "planning"));
  EXPECT_FALSE(scope_includes("", "finance:read"));
}
} // namespace
} // namespace mcpcert
