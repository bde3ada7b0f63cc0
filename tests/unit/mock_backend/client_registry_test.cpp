#include "mcpcert/mock_backend/client_registry.hpp"

#include <gtest/gtest.h>

#include "mcpcert/crypto.hpp"

namespace mcpcert::backend {
namespace {

TEST(RedirectUri, ExactMatchAlwaysAccepted) {
  EXPECT_TRUE(redirect_uri_matches("https://app.example/cb", "https://app.example/cb"));
  EXPECT_FALSE(redirect_uri_matches("https://app.example/cb", "https://app.example/cb2"));
  EXPECT_FALSE(redirect_uri_matches("https://app.example/cb", "https://app.example:8443/cb"));
}

TEST(RedirectUri, LoopbackAcceptsAnyPort) {
  EXPECT_TRUE(redirect_uri_matches("http://127.0.0.1/callback", "http://127.0.0.1:53123/callback"));
  EXPECT_TRUE(redirect_uri_matches("http://127.0.0.1:8080/callback", "http://127.0.0.1:9/callback"));
  EXPECT_TRUE(redirect_uri_matches("http://[::1]/callback", "http://[::1]:4000/callback"));
  EXPECT_TRUE(redirect_uri_matches("http://localhost/callback", "http://localhost:4000/callback"));
  EXPECT_TRUE(redirect_uri_matches("http://127.0.0.1/callback?x=1", "http://127.0.0.1:5/callback?x=1"));
}

TEST(RedirectUri, LoopbackStillNeedsSameHostPathAndQuery) {
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1/callback", "http://127.0.0.1:53123/other"));
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1/callback", "http://localhost:53123/callback"));
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1/callback", "http://127.0.0.1:53123/callback?x=1"));
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1/callback", "http://127.0.0.1.evil.example:80/callback"));
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1/callback", "https://127.0.0.1:53123/callback"));
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1/callback", "http://127.0.0.1:99999/callback"));
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1/callback", "http://127.0.0.1:abc/callback"));
  EXPECT_FALSE(redirect_uri_matches("http://127.0.0.1/callback", "http://127.0.0.1:1/callback#frag"));
}

TEST(RedirectUri, OnlyLoopbackGetsThePortExemption) {
  EXPECT_FALSE(redirect_uri_matches("http://app.example/callback", "http://app.example:8080/callback"));
}

TEST(ClientRegistry, SecretsAreComparedByHash) {
  ClientRegistry registry;
  OAuthClient client;
  client.id = "conn";
  client.type = ClientType::confidential;
  client.secret_hash = sha256("s3cret-s3cret-s3cret");
  registry.add_client(client);
  auto found = registry.find("conn");
  ASSERT_TRUE(found);
  EXPECT_TRUE(registry.secret_matches(*found, "s3cret-s3cret-s3cret"));
  EXPECT_FALSE(registry.secret_matches(*found, "s3cret"));
  EXPECT_FALSE(registry.secret_matches(*found, ""));
}

TEST(ClientRegistry, ResourcesAreRegisteredPerClient) {
  ClientRegistry registry;
  registry.register_resource("http://127.0.0.1:1/mcp", "conn");
  EXPECT_TRUE(registry.is_registered("http://127.0.0.1:1/mcp"));
  EXPECT_TRUE(registry.may_exchange("http://127.0.0.1:1/mcp", "conn"));
  EXPECT_FALSE(registry.may_exchange("http://127.0.0.1:1/mcp", "other"));
  EXPECT_FALSE(registry.is_registered("http://127.0.0.1:2/mcp"));
}

TEST(ParseClient, DefaultsGrantTypesByClientType) {
  auto connector = parse_client({{"client_id", "conn"}, {"type", "confidential"}, {"client_secret", "0123456789abcdef"}});
  ASSERT_TRUE(connector.client) << connector.field << ": " << connector.problem;
  EXPECT_TRUE(connector.client->may_use(grant_token_exchange));
  EXPECT_FALSE(connector.client->may_use(grant_authorization_code));
  EXPECT_EQ(connector.client->secret_hash, sha256("0123456789abcdef"));

  auto app = parse_client({{"client_id", "app"}, {"type", "public"}, {"redirect_uris", {"http://127.0.0.1/cb"}}});
  ASSERT_TRUE(app.client);
  EXPECT_TRUE(app.client->may_use(grant_refresh_token));
  EXPECT_FALSE(app.client->may_use(grant_token_exchange));
}

TEST(ParseClient, RefusesNamingTheField) {
  EXPECT_EQ(parse_client({{"client_id", "c"}, {"type", "confidential"}, {"client_secret", "short"}}).field,
            "client_secret");
  EXPECT_EQ(parse_client({{"client_id", "c"}, {"type", "public"}, {"redirect_uris", {"http://127.0.0.1/cb"}},
                          {"client_secret", "0123456789abcdef"}})
                .field,
            "client_secret");
  EXPECT_EQ(parse_client({{"client_id", "c"}, {"type", "public"}}).field, "redirect_uris");
  EXPECT_EQ(parse_client({{"client_id", "c"}, {"type", "robot"}}).field, "type");
  EXPECT_EQ(parse_client({{"type", "public"}}).field, "client_id");
  EXPECT_EQ(parse_client({{"client_id", "c"}, {"type", "public"}, {"redirect_uris", {"http://x/cb"}}, {"secret", "x"}})
                .field,
            "secret");
  EXPECT_EQ(parse_client({{"client_id", "c"}, {"type", "confidential"}, {"client_secret", "0123456789abcdef"},
                          {"grant_types", {"password"}}})
                .field,
            "grant_types");
}

const std::set<std::string, std::less<>> test_scopes = {"finance:read", "finance:write"};

TEST(ClientMetadata, AppliesRfc7591Defaults) {
  auto parsed = parse_client_metadata({{"redirect_uris", {"https://app.example/cb"}}}, test_scopes);
  ASSERT_TRUE(parsed.metadata) << parsed.description;
  EXPECT_EQ(parsed.metadata->token_endpoint_auth_method, "client_secret_basic");
  EXPECT_EQ(parsed.metadata->grant_types, std::vector<std::string>{"authorization_code"});
  EXPECT_EQ(parsed.metadata->response_types, std::vector<std::string>{"code"});
  EXPECT_EQ(parsed.metadata->application_type, ApplicationType::web);
}

TEST(ClientMetadata, RedirectUrisByApplicationType) {
  auto error_for = [](const char* uri, const char* type) {
    auto parsed = parse_client_metadata({{"redirect_uris", {uri}}, {"application_type", type}}, test_scopes);
    return parsed.metadata ? std::string("accepted") : std::string(to_string(parsed.error));
  };
  EXPECT_EQ(error_for("http://127.0.0.1/cb", "native"), "accepted");
  EXPECT_EQ(error_for("http://127.0.0.1:8123/cb", "native"), "accepted");
  EXPECT_EQ(error_for("http://[::1]/cb", "native"), "accepted");
  EXPECT_EQ(error_for("http://localhost/cb", "native"), "accepted");
  EXPECT_EQ(error_for("com.example.app:/oauth", "native"), "accepted");
  EXPECT_EQ(error_for("https://app.example/cb", "native"), "accepted");
  EXPECT_EQ(error_for("https://app.example/cb", "web"), "accepted");
  EXPECT_EQ(error_for("http://localhost:3000/cb", "web"), "accepted");
  EXPECT_EQ(error_for("http://app.example/cb", "web"), "invalid_redirect_uri");
  EXPECT_EQ(error_for("http://127.0.0.1.evil.example/cb", "native"), "invalid_redirect_uri");
  EXPECT_EQ(error_for("http://127.0.0.1:0/cb", "native"), "invalid_redirect_uri");
  EXPECT_EQ(error_for("com.example.app:/oauth", "web"), "invalid_redirect_uri");
  EXPECT_EQ(error_for("myapp:/cb", "native"), "invalid_redirect_uri");
  EXPECT_EQ(error_for("https://app.example/cb#x", "web"), "invalid_redirect_uri");
  EXPECT_EQ(error_for("https:///cb", "web"), "invalid_redirect_uri");
  EXPECT_EQ(error_for("https://app.example/c b", "web"), "invalid_redirect_uri");
}

TEST(ClientMetadata, RefusesWhatItCannotHonour) {
  auto error_for = [](nlohmann::json body) {
    body["redirect_uris"] = {"https://app.example/cb"};
    auto parsed = parse_client_metadata(body, test_scopes);
    return parsed.metadata ? std::string("accepted") : std::string(to_string(parsed.error));
  };
  EXPECT_EQ(error_for({{"token_endpoint_auth_method", "none"}}), "accepted");
  EXPECT_EQ(error_for({{"scope", "finance:read"}}), "accepted");
  EXPECT_EQ(error_for({{"token_endpoint_auth_method", "tls_client_auth"}}), "invalid_client_metadata");
  EXPECT_EQ(error_for({{"grant_types", {"client_credentials"}}}), "invalid_client_metadata");
  EXPECT_EQ(error_for({{"response_types", {"code", "token"}}}), "invalid_client_metadata");
  EXPECT_EQ(error_for({{"scope", "root"}}), "invalid_client_metadata");
  EXPECT_EQ(error_for({{"application_type", 3}}), "invalid_client_metadata");
}

TEST(ClientRegistry, FindReturnsACopyThatOutlivesAReplacement) {
  ClientRegistry registry;
  OAuthClient client;
  client.id = "app";
  client.name = "first";
  registry.add_client(client);
  auto found = registry.find("app");
  client.name = "second";
  registry.add_client(client);
  EXPECT_EQ(found->name, "first");
  EXPECT_EQ(registry.find("app")->name, "second");
  EXPECT_EQ(registry.size(), 1u);
}

} // namespace
} // namespace mcpcert::backend
