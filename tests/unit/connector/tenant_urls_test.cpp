// Each tenant's own MCP URL: its metadata names that tenant's issuer alone,
// it takes only tokens minted for it, and its sessions stay on it.
#include "connector_under_test.hpp"

namespace mcpcert::connector {
namespace {

class TenantUrlTest : public ConnectorUnderTest {
protected:
  void SetUp() override {
    auto config = base_config();
    // A second tenant, listed first so that "the first issuer listed" is not emea-finance's.
    config.tenants.insert(config.tenants.begin(), TenantRoute{"us-planning", "us-east-1", "http://127.0.0.1:9/issuer",
                                                              "http://127.0.0.1:9/issuer/jwks", "http://127.0.0.1:9/issuer/token",
                                                              "http://127.0.0.1:9/api", "planning"});
    start(std::move(config));
    emea_url_ = connector_->tenant_mcp_urls().at("emea-finance");
    alice_at_emea_ = token_for("u-alice", 3600, emea_url_);
  }

  Reply get(const std::string& url) { return send_to(url, bhttp::verb::get, "", {}, ""); }

  Reply post_to(const std::string& url, const json& message, const std::string& token, const Headers& headers = {}) {
    return send_to(url, bhttp::verb::post, message.dump(), headers, token);
  }

  static json initialize() {
    return jsonrpc::make_request(
        0, "initialize", {{"protocolVersion", "2025-11-25"}, {"capabilities", json::object()}, {"clientInfo", {{"name", "t"}, {"version", "1"}}}});
  }

  std::string origin() const { return connector_->mcp_url().substr(0, connector_->mcp_url().rfind("/mcp")); }

  std::string emea_url_;
  std::string alice_at_emea_;
};

TEST_F(TenantUrlTest, EachTenantHasAUrlUnderTheSharedOne) {
  EXPECT_EQ(emea_url_, connector_->mcp_url() + "/emea-finance");
  EXPECT_EQ(connector_->tenant_mcp_urls().at("us-planning"), connector_->mcp_url() + "/us-planning");
  EXPECT_EQ(connector_->tenant_mcp_urls().size(), 2u);
  EXPECT_EQ(get(connector_->mcp_url() + "/no-such-tenant").status, 404);
  EXPECT_EQ(get(origin() + "/.well-known/oauth-protected-resource/mcp/no-such-tenant").status, 404);
}

TEST_F(TenantUrlTest, ItsMetadataNamesItselfAndItsTenantsIssuerAlone) {
  const auto tenant = get(origin() + "/.well-known/oauth-protected-resource/mcp/emea-finance");
  ASSERT_EQ(tenant.status, 200) << tenant.raw.body();
  EXPECT_EQ(tenant.body["resource"], emea_url_);
  EXPECT_EQ(tenant.body["authorization_servers"], json::array({tenant_->base_url()}));
  EXPECT_EQ(tenant.body["scopes_supported"], json::array({"finance:read"}));

  // The shared URL still lists every issuer, in the configuration's order.
  for (const auto& path : {"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"}) {
    const auto shared = get(origin() + path);
    ASSERT_EQ(shared.status, 200) << path;
    EXPECT_EQ(shared.body["resource"], connector_->mcp_url()) << path;
    EXPECT_EQ(shared.body["authorization_servers"], json::array({"http://127.0.0.1:9/issuer", tenant_->base_url()})) << path;
  }
}

TEST_F(TenantUrlTest, ItsChallengePointsAtItsOwnMetadata) {
  const auto refused = post_to(emea_url_, initialize(), "");
  ASSERT_EQ(refused.status, 401);
  EXPECT_THAT(std::string(refused.raw[bhttp::field::www_authenticate]),
              testing::HasSubstr("resource_metadata=\"" + origin() + "/.well-known/oauth-protected-resource/mcp/emea-finance\""));
  EXPECT_THAT(std::string(refused.raw[bhttp::field::www_authenticate]), testing::HasSubstr("scope=\"finance:read\""));
}

TEST_F(TenantUrlTest, ServesATokenMintedForItEndToEnd) {
  const auto opened = post_to(emea_url_, initialize(), alice_at_emea_);
  ASSERT_EQ(opened.status, 200) << opened.raw.body();
  const std::string session(opened.raw["Mcp-Session-Id"]);
  const Headers headers{{"Mcp-Session-Id", session}, {"MCP-Protocol-Version", "2025-11-25"}};
  const auto call = post_to(emea_url_, jsonrpc::make_request(1, "tools/call", {{"name", "get_kpis"}, {"arguments", json::object()}}),
                            alice_at_emea_, headers);
  ASSERT_EQ(call.status, 200) << call.raw.body();
  EXPECT_FALSE(call.body["result"].value("isError", true)) << call.raw.body();
  // Exchanged as any call is: the tenant saw the token the client presented, never its audience changed.
  ASSERT_EQ(exchanged_subjects_.size(), 1u);
  EXPECT_EQ(exchanged_subjects_.front(), alice_at_emea_);
}

TEST_F(TenantUrlTest, RefusesTokensMintedForAnotherUrl) {
  const auto shared_token_here = post_to(emea_url_, initialize(), alice_);
  EXPECT_EQ(shared_token_here.status, 401);
  EXPECT_THAT(std::string(shared_token_here.raw[bhttp::field::www_authenticate]), testing::HasSubstr("error=\"invalid_token\""));
  const auto tenant_token_there = post_to(connector_->mcp_url(), initialize(), alice_at_emea_);
  EXPECT_EQ(tenant_token_there.status, 401);
  // emea-finance's token at us-planning's URL, even one whose audience names that URL.
  const auto us_url = connector_->tenant_mcp_urls().at("us-planning");
  EXPECT_EQ(post_to(us_url, initialize(), alice_at_emea_).status, 401);
  EXPECT_EQ(post_to(us_url, initialize(), token_for("u-alice", 3600, us_url)).status, 401);
  EXPECT_TRUE(exchanged_subjects_.empty());
}

TEST_F(TenantUrlTest, ASessionStaysOnTheUrlThatOpenedIt) {
  const auto opened = post_to(emea_url_, initialize(), alice_at_emea_);
  ASSERT_EQ(opened.status, 200) << opened.raw.body();
  const std::string session(opened.raw["Mcp-Session-Id"]);
  const Headers headers{{"Mcp-Session-Id", session}, {"MCP-Protocol-Version", "2025-11-25"}};
  // Alice herself, with a good token for the shared URL: the session is not hers there.
  const auto elsewhere = post_to(connector_->mcp_url(), jsonrpc::make_request(1, "tools/list", json::object()), alice_, headers);
  EXPECT_EQ(elsewhere.status, 404) << elsewhere.raw.body();
  const auto here = post_to(emea_url_, jsonrpc::make_request(2, "tools/list", json::object()), alice_at_emea_, headers);
  EXPECT_EQ(here.status, 200) << here.raw.body();
}

} // namespace
} // namespace mcpcert::connector
