// mock_backend/openapi.yaml and the routes the API listener serves agree:
// every documented path and method is routed (never "no such resource" or
// 405), and every other method on a documented path is 405.

#include <filesystem>
#include <set>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <boost/beast/http/field.hpp>

#include "mcpcert/crypto.hpp"
#include "tenant_world.hpp"

namespace mcpcert::backend {
namespace {

using namespace test_world;
namespace bhttp = boost::beast::http;

const std::filesystem::path source_root = std::filesystem::path(MCPCERT_TEST_SOURCE_ROOT);

/// A tenant from a checked-in fixture, with a backend token for `user` of scope `scope`.
struct SeededTenant {
  SeededTenant(const std::string& id, const std::string& user, const std::string& scope)
      : tenant(IssuerIdentity{id, "test-region", std::string(issuer_url), std::string(api_url)}, {},
               load_tenant_fixture(source_root / "mock_backend/fixtures" / (id + ".json")), clock,
               open_tenant_storage({}, id, clock)) {
    tenant.clients().register_resource(std::string(mcp_resource), std::string(connector_client));
    auto& server = tenant.authorization_server();
    auto verifier = pkce_make_verifier();
    auto query = authorization_query(pkce_s256_challenge(verifier));
    query["scope"] = scope;
    auto txn = std::get<LoginForm>(server.authorize(query)).txn;
    sign_in_as(tenant, clock, txn, user);
    auto step = server.consent(txn, "approve");
    auto client = redeem(server, {location_param(std::get<Redirect>(step).location, "code"), verifier});
    // The fixtures' connector secrets are per tenant; re-key the client for the test.
    auto connector = *tenant.clients().find(connector_client);
    connector.secret_hash = sha256(connector_secret);
    tenant.clients().add_client(connector);
    token = exchange_token(server, client.body["access_token"].get<std::string>()).body.value("access_token", "");
  }

  http::Response call(bhttp::verb verb, const std::string& target, const std::string& body) {
    http::Request request{verb, target, 11};
    request.set(bhttp::field::authorization, "Bearer " + token);
    if (!body.empty()) {
      request.set(bhttp::field::content_type, "application/json");
      request.body() = body;
      request.prepare_payload();
    }
    return tenant.handle_api(request).response;
  }

  VirtualClock clock;
  Tenant tenant;
  std::string token;
};

/// The path with its parameters replaced by ids of the seed.
std::string concrete(std::string path) {
  static const std::map<std::string, std::string> ids{
      {"{entity}", "ent-brussels"}, {"{kpi}", "revenue"},     {"{table}", "tbl-pnl"},   {"{app}", "app-headcount"},
      {"{node}", "ind-total"},      {"{input}", "in-hires"}, {"{version}", "v-none"}, {"{tool}", "tool-simulate"},
      {"{run}", "run-none"},        {"{instance}", "ins-none"}};
  for (const auto& [name, value] : ids) {
    for (auto at = path.find(name); at != std::string::npos; at = path.find(name)) path.replace(at, name.size(), value);
  }
  return path;
}

std::string body_for(const std::string& path, const std::string& method) {
  if (method == "get" || method == "delete") return {};
  if (path.find("/configuration/tables/") != std::string::npos) return R"({"name":"T","columns":["a"]})";
  if (path.find("/configuration/kpis/") != std::string::npos) return R"({"name":"K"})";
  if (path.find("/inputs/") != std::string::npos) return R"({"value":7})";
  if (path.ends_with("/versions")) return R"({"name":"from the OpenAPI test"})";
  return "{}";
}

bhttp::verb verb_of(const std::string& method) {
  if (method == "get") return bhttp::verb::get;
  if (method == "post") return bhttp::verb::post;
  if (method == "put") return bhttp::verb::put;
  if (method == "delete") return bhttp::verb::delete_;
  return bhttp::verb::patch;
}

TEST(OpenApiDocument, EveryDocumentedRouteIsServedAndNoOtherMethod) {
  auto document = YAML::LoadFile((source_root / "mock_backend/openapi.yaml").string());
  ASSERT_EQ(document["openapi"].as<std::string>(), "3.1.0");
  SeededTenant finance("emea-finance", "alice", "finance:read finance:write");
  SeededTenant planning("us-planning", "olivia", "planning:read planning:write");
  ASSERT_FALSE(finance.token.empty());
  ASSERT_FALSE(planning.token.empty());
  std::size_t routes = 0;
  for (const auto& entry : document["paths"]) {
    const auto path = entry.first.as<std::string>();
    if (!path.starts_with("/api/v1/")) continue; // the issuer's /token is covered by the OAuth tests
    auto& tenant = path.starts_with("/api/v1/apps") ? planning : finance;
    std::set<std::string> documented;
    for (const auto& operation : entry.second) {
      const auto method = operation.first.as<std::string>();
      if (method == "parameters" || method == "servers" || method == "summary") continue;
      documented.insert(method);
      auto response = tenant.call(verb_of(method), concrete(path), body_for(path, method));
      auto detail = nlohmann::json::parse(response.body(), nullptr, false).value("detail", "");
      EXPECT_NE(response.result_int(), 405u) << method << " " << path << ": " << response.body();
      EXPECT_FALSE(detail.starts_with("no such resource")) << method << " " << path << ": " << response.body();
      EXPECT_TRUE(operation.second["responses"][std::to_string(response.result_int())])
          << method << " " << path << " answered " << response.result_int() << ", which the document does not list";
      ++routes;
    }
    for (const char* method : {"get", "post", "put", "delete", "patch"}) {
      if (documented.contains(method)) continue;
      auto response = tenant.call(verb_of(method), concrete(path), body_for(path, "post"));
      EXPECT_EQ(response.result_int(), 405u) << method << " " << path << " is not documented but answered " << response.body();
    }
  }
  EXPECT_GE(routes, 21u);
}

} // namespace
} // namespace mcpcert::backend
