#include "mcpcert/http_client.hpp"

#include <gtest/gtest.h>

namespace mcpcert::http {
namespace {

TEST(ParseUrl, ReadsSchemeHostPortAndTarget) {
  auto url = parse_url("https://[::1]:8443/mcp?x=1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->target, "/mcp?x=1");
  EXPECT_EQ(url->origin(), "https://[::1]:8443");
}

TEST(ParseUrl, EmptyPathIsTheRoot) {
  auto url = parse_url("http://127.0.0.1");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->target, "/");
}

// Found by the url fuzz target: Boost.URL 1.81 matched an IPv4 address at the
// start of a longer host name and left the rest in the path, so these named
// one host and would have been sent to another.
TEST(ParseUrl, RefusesAHostNameThatStartsLikeAnIpv4Address) {
  EXPECT_FALSE(parse_url("https://10.0.0.1.nip.io/mcp"));
  EXPECT_FALSE(parse_url("http://127.0.0.1.0.1/cb"));
  EXPECT_FALSE(parse_url("http://127.0.0.1x/"));
  EXPECT_FALSE(parse_url("http://127.0.0.1.evil.example"));
  EXPECT_FALSE(parse_url("http://1.2.3.4:80.5/"));
}

TEST(ParseUrl, RefusesOtherSchemesAndRelativeReferences) {
  EXPECT_FALSE(parse_url("ftp://example.com/"));
  EXPECT_FALSE(parse_url("/mcp"));
  EXPECT_FALSE(parse_url("http:/r@127.0.0.1:1/cb"));
}

} // namespace
} // namespace mcpcert::http
