#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>

#include "tenant_world.hpp"

namespace mcpcert::backend {
namespace {

using namespace test_world;
namespace bhttp = boost::beast::http;

http::Request get(std::string target, std::string_view bearer = {}) {
  http::Request request{bhttp::verb::get, target, 11};
  if (!bearer.empty()) request.set(bhttp::field::authorization, "Bearer " + std::string(bearer));
  return request;
}

std::string backend_token(TenantWorld& world, std::string_view user = "alice", std::string_view password = "alice-pw") {
  auto response = exchange_token(world.server(), sign_in(world.server(), user, password).body["access_token"]);
  EXPECT_TRUE(response.ok()) << response.body.dump();
  return response.body.value("access_token", "");
}

TEST(FinanceApi, ReturnsTheEntitysKpisAndRecordsUserAndActor) {
  TenantWorld world;
  auto handled = world.tenant.handle_api(get("/api/v1/entities/ent-brussels/kpis", backend_token(world)));
  ASSERT_EQ(handled.response.result_int(), 200u) << handled.response.body();
  auto body = nlohmann::json::parse(handled.response.body());
  EXPECT_EQ(body["entity"], "ent-brussels");
  ASSERT_EQ(body["kpis"].size(), 2u);
  EXPECT_EQ(body["kpis"][0]["id"], "revenue");
  EXPECT_EQ(body["kpis"][0]["currency"], "EUR");
  EXPECT_EQ(handled.facts.subject, "alice");
  EXPECT_EQ(handled.facts.actor, connector_client);
  EXPECT_FALSE(handled.facts.token_id.empty());
}

TEST(FinanceApi, MissingTokenIs401WithBearerChallenge) {
  TenantWorld world;
  auto handled = world.tenant.handle_api(get("/api/v1/entities/ent-brussels/kpis"));
  EXPECT_EQ(handled.response.result_int(), 401u);
  EXPECT_EQ(handled.response[bhttp::field::content_type], "application/problem+json");
  EXPECT_TRUE(std::string(handled.response[bhttp::field::www_authenticate]).starts_with("Bearer"));
}

TEST(FinanceApi, PassedThroughClientTokenIsInvalid) {
  TenantWorld world;
  auto client_token = sign_in(world.server()).body["access_token"].get<std::string>();
  auto handled = world.tenant.handle_api(get("/api/v1/entities/ent-brussels/kpis", client_token));
  EXPECT_EQ(handled.response.result_int(), 401u);
  EXPECT_NE(std::string(handled.response[bhttp::field::www_authenticate]).find("invalid_token"), std::string::npos);
}

TEST(FinanceApi, EntityComesFromTheTokenNotThePath) {
  TenantWorld world;
  // alice may read ent-lyon in the UI, but her session is bound to ent-brussels.
  ASSERT_TRUE(world.tenant.directory().allows("alice", "ent-lyon", Permission::read));
  auto handled = world.tenant.handle_api(get("/api/v1/entities/ent-lyon/kpis", backend_token(world)));
  EXPECT_EQ(handled.response.result_int(), 403u);
}

TEST(FinanceApi, ExpiredTokenIsRefused) {
  TenantWorld world;
  auto token = backend_token(world);
  world.advance(301);
  EXPECT_EQ(world.tenant.handle_api(get("/api/v1/entities/ent-brussels/kpis", token)).response.result_int(), 401u);
}

TEST(FinanceApi, McpAccessIsNotTheApisConcern) {
  TenantWorld world;
  auto token = backend_token(world);
  world.tenant.directory().set_mcp_access("alice", "ent-brussels", false);
  EXPECT_EQ(world.tenant.handle_api(get("/api/v1/entities/ent-brussels/kpis", token)).response.result_int(), 200u);
}

TEST(FinanceApi, UnknownPathAndWrongMethod) {
  TenantWorld world;
  auto token = backend_token(world);
  EXPECT_EQ(world.tenant.handle_api(get("/api/v1/nothing", token)).response.result_int(), 404u);
  auto post = get("/api/v1/entities/ent-brussels/kpis", token);
  post.method(bhttp::verb::post);
  auto handled = world.tenant.handle_api(post);
  EXPECT_EQ(handled.response.result_int(), 405u);
  EXPECT_EQ(handled.response[bhttp::field::allow], "GET");
}

TEST(IssuerRoutes, TokenEndpointDemandsAFormAndRefusesRepeatedParameters) {
  TenantWorld world;
  http::Request request{bhttp::verb::post, "/token", 11};
  request.set(bhttp::field::content_type, "application/json");
  request.body() = "{}";
  request.prepare_payload();
  auto handled = world.tenant.handle_issuer(request);
  EXPECT_EQ(handled.response.result_int(), 400u);
  EXPECT_EQ(handled.response[bhttp::field::cache_control], "no-store");

  request.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
  request.body() = "grant_type=refresh_token&grant_type=authorization_code&client_id=mcpcert-scripted-client";
  request.prepare_payload();
  handled = world.tenant.handle_issuer(request);
  EXPECT_EQ(handled.response.result_int(), 400u);
  EXPECT_EQ(nlohmann::json::parse(handled.response.body())["error"], "invalid_request");
}

TEST(IssuerRoutes, BasicClientAuthentication) {
  TenantWorld world;
  auto client_token = sign_in(world.server()).body["access_token"].get<std::string>();
  http::Request request{bhttp::verb::post, "/token", 11};
  request.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
  // base64("mcpcert-connector:connector-secret-for-tests")
  request.set(bhttp::field::authorization,
              "Basic bWNwY2VydC1jb25uZWN0b3I6Y29ubmVjdG9yLXNlY3JldC1mb3ItdGVzdHM=");
  request.body() = encode_form({{"grant_type", std::string(grant_token_exchange)},
                                {"subject_token", client_token},
                                {"subject_token_type", std::string(token_type_access_token)},
                                {"audience", std::string(api_url)}});
  request.prepare_payload();
  auto handled = world.tenant.handle_issuer(request);
  EXPECT_EQ(handled.response.result_int(), 200u) << handled.response.body();
  EXPECT_EQ(handled.facts.client_id, connector_client);
  EXPECT_EQ(handled.facts.subject, "alice");

  request.set(bhttp::field::authorization, "Basic bWNwY2VydC1jb25uZWN0b3I6d3Jvbmc="); // ...:wrong
  handled = world.tenant.handle_issuer(request);
  EXPECT_EQ(handled.response.result_int(), 401u);
  EXPECT_TRUE(std::string(handled.response[bhttp::field::www_authenticate]).starts_with("Basic"));
}

} // namespace
} // namespace mcpcert::backend
