// The planning REST API on the checked-in planning seed, driven without
// sockets: each route, each permission branch it enforces, each error status.

#include <filesystem>

#include <gtest/gtest.h>

#include <boost/beast/http/field.hpp>

#include "tenant_world.hpp"

namespace mcpcert::backend {
namespace {

using namespace test_world;
namespace bhttp = boost::beast::http;

constexpr std::string_view planning_secret = "connector-secret-us-planning-0001";

struct PlanningWorld {
  PlanningWorld()
      : tenant(IssuerIdentity{"us-planning", "us-east-1", std::string(issuer_url), std::string(api_url)}, {},
               load_tenant_fixture(std::filesystem::path(MCPCERT_TEST_SOURCE_ROOT) / "mock_backend/fixtures/us-planning.json"),
               clock, open_tenant_storage({}, "us-planning", clock)) {
    tenant.clients().register_resource(std::string(mcp_resource), std::string(connector_client));
  }

  /// A backend-audience token for `user`, as the connector would hold after an exchange.
  std::string token_for(std::string_view user, std::string_view scope = "planning:read planning:write") {
    auto& server = tenant.authorization_server();
    auto verifier = pkce_make_verifier();
    auto query = authorization_query(pkce_s256_challenge(verifier));
    query["scope"] = std::string(scope);
    auto step = server.authorize(query);
    auto txn = std::get<LoginForm>(step).txn;
    step = sign_in_as(tenant, clock, txn, user);
    if (!std::get_if<ConsentForm>(&step)) return {};
    step = server.consent(txn, "approve");
    IssuedCode code{location_param(std::get<Redirect>(step).location, "code"), verifier};
    auto client = redeem(server, code);
    auto exchanged = server.token({{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                                   {"subject_token", client.body["access_token"].get<std::string>()},
                                   {"subject_token_type", "urn:ietf:params:oauth:token-type:access_token"},
                                   {"audience", std::string(api_url)}},
                                  ClientCredentials{std::string(connector_client), std::string(planning_secret)});
    return exchanged.body.value("access_token", "");
  }

  http::Response call(bhttp::verb verb, std::string target, std::string_view token, std::string body = {}) {
    http::Request request{verb, target, 11};
    if (!token.empty()) request.set(bhttp::field::authorization, "Bearer " + std::string(token));
    if (!body.empty()) {
      request.set(bhttp::field::content_type, "application/json");
      request.body() = std::move(body);
      request.prepare_payload();
    }
    return tenant.handle_api(request).response;
  }

  VirtualClock clock;
  Tenant tenant;
};

nlohmann::json json_of(const http::Response& response) { return nlohmann::json::parse(response.body()); }

TEST(PlanningApi, ListsOnlyTheApplicationsTheUserSeesInTheUi) {
  PlanningWorld world;
  auto response = world.call(bhttp::verb::get, "/api/v1/apps", world.token_for("tina"));
  ASSERT_EQ(response.result_int(), 200u) << response.body();
  auto apps = json_of(response)["applications"];
  ASSERT_EQ(apps.size(), 2u);
  EXPECT_EQ(apps[0]["id"], "app-headcount");
  EXPECT_EQ(apps[1]["id"], "app-pipeline");
  EXPECT_EQ(apps[1]["access"], "view");
}

TEST(PlanningApi, ReadsMetadataAndNodeResultsOfAVisibleApplication) {
  PlanningWorld world;
  auto token = world.token_for("rita", "planning:read");
  auto meta = world.call(bhttp::verb::get, "/api/v1/apps/app-forecast", token);
  ASSERT_EQ(meta.result_int(), 200u) << meta.body();
  EXPECT_EQ(json_of(meta)["tools"][1]["exposed"], false);
  EXPECT_EQ(json_of(meta)["tools"][0]["long_running"], true);
  auto node = world.call(bhttp::verb::get, "/api/v1/apps/app-forecast/nodes/cube-sales", token);
  ASSERT_EQ(node.result_int(), 200u);
  EXPECT_EQ(json_of(node)["dimensions"], nlohmann::json({"region", "month"}));
}

TEST(PlanningApi, HiddenApplicationIs403AndUnknownOnesAre404) {
  PlanningWorld world;
  auto token = world.token_for("tina");
  auto hidden = world.call(bhttp::verb::get, "/api/v1/apps/app-board/nodes/ind-ebitda", token);
  EXPECT_EQ(hidden.result_int(), 403u);
  EXPECT_EQ(hidden[bhttp::field::content_type], "application/problem+json");
  EXPECT_EQ(world.call(bhttp::verb::get, "/api/v1/apps/app-nope", token).result_int(), 404u);
  EXPECT_EQ(world.call(bhttp::verb::get, "/api/v1/apps/app-forecast/nodes/nope", token).result_int(), 404u);
}

TEST(PlanningApi, ViewerCannotCreateVersionsAndNothingChanges) {
  PlanningWorld world;
  auto token = world.token_for("rita");
  auto response = world.call(bhttp::verb::post, "/api/v1/apps/app-forecast/versions", token, R"({"name":"Rita's"})");
  EXPECT_EQ(response.result_int(), 403u);
  EXPECT_EQ(world.tenant.planning().find_application("app-forecast")->versions.size(), 1u);
}

TEST(PlanningApi, EditorCreatesAndSavesVersionsAndDuplicateNamesConflict) {
  PlanningWorld world;
  auto token = world.token_for("paul");
  auto input = world.call(bhttp::verb::put, "/api/v1/apps/app-forecast/inputs/in-growth", token, R"({"value":0.02})");
  ASSERT_EQ(input.result_int(), 200u) << input.body();
  auto created = world.call(bhttp::verb::post, "/api/v1/apps/app-forecast/versions", token, R"({"name":"Upside"})");
  ASSERT_EQ(created.result_int(), 201u) << created.body();
  EXPECT_EQ(json_of(created)["inputs"]["in-growth"], 0.02);
  auto again = world.call(bhttp::verb::post, "/api/v1/apps/app-forecast/versions", token, R"({"name":"Upside"})");
  EXPECT_EQ(again.result_int(), 409u);
  auto id = json_of(created)["id"].get<std::string>();
  auto saved = world.call(bhttp::verb::put, "/api/v1/apps/app-forecast/versions/" + id, token);
  EXPECT_EQ(saved.result_int(), 200u);
  EXPECT_TRUE(json_of(saved).contains("saved_at"));
  auto list = world.call(bhttp::verb::get, "/api/v1/apps/app-forecast/versions", token);
  EXPECT_EQ(json_of(list)["versions"].size(), 2u);
}

TEST(PlanningApi, WritesNeedTheWriteScope) {
  PlanningWorld world;
  auto response = world.call(bhttp::verb::post, "/api/v1/apps/app-forecast/versions", world.token_for("paul", "planning:read"),
                             R"({"name":"x"})");
  EXPECT_EQ(response.result_int(), 403u);
  EXPECT_NE(std::string(response[bhttp::field::www_authenticate]).find("insufficient_scope"), std::string::npos);
}

TEST(PlanningApi, MalformedAndMistypedBodiesAre400AndChangeNothing) {
  PlanningWorld world;
  auto token = world.token_for("paul");
  for (std::string body : {"{not json", "[1]", R"({"name": 7})", R"({"name":"ok","extra":1})", R"({"name":""})"}) {
    auto response = world.call(bhttp::verb::post, "/api/v1/apps/app-forecast/versions", token, body);
    EXPECT_EQ(response.result_int(), 400u) << body;
    EXPECT_EQ(response[bhttp::field::content_type], "application/problem+json");
  }
  EXPECT_EQ(world.tenant.planning().find_application("app-forecast")->versions.size(), 1u);
}

TEST(PlanningApi, LongRunningToolProgressesOneStepPerReadAndIsTheStartersAlone) {
  PlanningWorld world;
  auto token = world.token_for("paul");
  auto started = world.call(bhttp::verb::post, "/api/v1/apps/app-forecast/tools/tool-simulate/runs", token,
                            R"({"parameters":{"growth":0.1}})");
  ASSERT_EQ(started.result_int(), 202u) << started.body();
  auto run = json_of(started)["id"].get<std::string>();
  EXPECT_EQ(world.call(bhttp::verb::get, "/api/v1/apps/app-forecast/runs/" + run, world.token_for("rita")).result_int(),
            404u);
  nlohmann::json status;
  for (int poll = 1; poll <= 4; ++poll) {
    status = json_of(world.call(bhttp::verb::get, "/api/v1/apps/app-forecast/runs/" + run, token));
    EXPECT_EQ(status["progress"], poll);
    if (poll < 4) {
      EXPECT_EQ(status["status"], "running");
    }
  }
  EXPECT_EQ(status["status"], "succeeded");
  EXPECT_EQ(status["progress"], 4);
  EXPECT_NEAR(status["result"]["indicators"]["ind-margin"].get<double>(), 0.231 * 1.1, 1e-9);
}

TEST(PlanningApi, ApplicationsOpenAndCloseAndTheWorkspaceComesFromTheToken) {
  PlanningWorld world;
  auto token = world.token_for("olivia");
  auto opened = world.call(bhttp::verb::post, "/api/v1/apps/app-board/instances", token);
  ASSERT_EQ(opened.result_int(), 201u);
  auto id = json_of(opened)["id"].get<std::string>();
  EXPECT_EQ(world.call(bhttp::verb::delete_, "/api/v1/apps/app-board/instances/" + id, token).result_int(), 200u);
  EXPECT_EQ(world.call(bhttp::verb::delete_, "/api/v1/apps/app-board/instances/" + id, token).result_int(), 404u);
  EXPECT_EQ(world.call(bhttp::verb::patch, "/api/v1/apps/app-board", token).result_int(), 405u);
  EXPECT_EQ(world.call(bhttp::verb::get, "/api/v1/apps", "").result_int(), 401u);
}

TEST(PlanningApi, AdminChangesApplyToTheNextRequest) {
  PlanningWorld world;
  auto token = world.token_for("quinn");
  EXPECT_EQ(world.call(bhttp::verb::get, "/api/v1/apps/app-forecast", token).result_int(), 403u);
  world.tenant.directory().set_team_membership("quinn", "team-forecast", true);
  EXPECT_EQ(world.call(bhttp::verb::get, "/api/v1/apps/app-forecast", token).result_int(), 200u);
}

} // namespace
} // namespace mcpcert::backend

namespace mcpcert::backend {
namespace {

TEST(PlanningApi, RateLimitIsPerUserWith429AndRetryAfter) {
  PlanningWorld world;
  world.tenant.limit_api_rate(2);
  auto paul = world.token_for("paul");
  auto tina = world.token_for("tina");
  EXPECT_EQ(world.call(bhttp::verb::get, "/api/v1/apps", paul).result_int(), 200u);
  EXPECT_EQ(world.call(bhttp::verb::get, "/api/v1/apps", paul).result_int(), 200u);
  auto limited = world.call(bhttp::verb::get, "/api/v1/apps", paul);
  EXPECT_EQ(limited.result_int(), 429u);
  EXPECT_EQ(limited[bhttp::field::content_type], "application/problem+json");
  auto retry_after = std::stoi(std::string(limited[bhttp::field::retry_after]));
  EXPECT_GE(retry_after, 1);
  EXPECT_LE(retry_after, 60);
  // Another user's budget is their own.
  EXPECT_EQ(world.call(bhttp::verb::get, "/api/v1/apps", tina).result_int(), 200u);
}

} // namespace
} // namespace mcpcert::backend
