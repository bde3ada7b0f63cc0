#include "mcpcert/mock_client/target.hpp"

#include <unistd.h>

#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mcpcert/mock_client/scenario.hpp"
#include "mcpcert/mock_client/world.hpp"

namespace mcpcert::client {
namespace {

using testing::AllOf;
using testing::EndsWith;
using testing::HasSubstr;

class TargetFile : public testing::Test {
protected:
  std::filesystem::path write(const std::string& text) {
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "target.yaml") << text;
    return dir_ / "target.yaml";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string error_of(const std::string& text) {
    try {
      load_target(write(text));
    } catch (const ScenarioError& e) {
      return e.what();
    }
    return "no error";
  }

  // Every tenant a world hosts, on ports of its own.
  const std::string backend = [] {
    std::string text = "backend:\n  control: 127.0.0.1:47100\n  key_refetch_seconds: 2\n  tenants:\n";
    int port = 47101;
    for (const auto& hosted : hosted_tenants()) {
      text += "    " + hosted.id + ": {api: 127.0.0.1:" + std::to_string(port) + ", issuer: 127.0.0.1:" + std::to_string(port + 1) + "}\n";
      port += 2;
    }
    return text;
  }();
  const std::string head = "target: vendor\nmcp_url: https://127.0.0.1:47200/mcp\n"
                           "registration: {client_id: vendor-connector, client_secret: 0123456789abcdef0123}\n";
  std::filesystem::path dir_ = std::filesystem::temp_directory_path() / ("target-test-" + std::to_string(::getpid()));
};

TEST_F(TargetFile, ReadsWhatTheConnectorOffersAndWithholds) {
  const auto target = load_target(write(head + "control: {url: 'http://127.0.0.1:47300', secret: control-secret-0123456}\n"
                                               "capabilities: {virtual_clock: true, log_export: false, storage_dir: state}\n" + backend));
  EXPECT_EQ(target.name, "vendor");
  EXPECT_EQ(target.client_id, "vendor-connector");
  EXPECT_EQ(target.backend.control_listen, "127.0.0.1:47100");
  EXPECT_EQ(target.backend.tenants.at("us-finance").issuer, "127.0.0.1:47104");
  EXPECT_EQ(target.backend.tenants.size(), hosted_tenants().size());
  EXPECT_EQ(target.backend.key_refetch_seconds, 2);
  EXPECT_TRUE(target.offers("virtual_clock"));
  EXPECT_FALSE(target.offers("log_export"));
  EXPECT_TRUE(target.offers("storage_dir"));
  EXPECT_EQ(target.storage_dir, (dir_ / "state").string()) << "relative to the target file";
  EXPECT_FALSE(target.offers("restart_command"));
  EXPECT_EQ(target.sha256.size(), 64u);
}

TEST_F(TargetFile, RefusesWhatTheWorldCannotUseNamingLineAndField) {
  EXPECT_THAT(error_of(head + "capabilities: {virtual_clock: true}\n" + backend),
              HasSubstr(":4: target.capabilities.virtual_clock: is offered through the connector's control plane"));
  EXPECT_THAT(error_of("target: v\nmcp_url: nowhere\nregistration: {client_id: c, client_secret: 0123456789abcdef0123}\n" + backend +
                       "capabilities: {}\n"),
              HasSubstr(":2: target.mcp_url: must be an absolute http(s) URL"));
  auto missing_tenant = backend;
  missing_tenant.erase(missing_tenant.find("    us-finance"), missing_tenant.find("    customer") - missing_tenant.find("    us-finance"));
  EXPECT_THAT(error_of(head + missing_tenant + "capabilities: {}\n"), HasSubstr("target.backend.tenants.us-finance: missing"));
  auto port_zero = backend;
  port_zero.replace(port_zero.find("47100"), 5, "0");
  EXPECT_THAT(error_of(head + "capabilities: {}\n" + port_zero), HasSubstr(":6: target.backend.control: needs a fixed port"));
  EXPECT_THAT(error_of(head + backend + "capabilities: {time_travel: true}\n"), HasSubstr("target.capabilities.time_travel: unknown field"));
}

TEST_F(TargetFile, ReadsAServerWithoutAuthorizationAndItsToolMapping) {
  const auto target = load_target(write("target: sdk-example\nmcp_url: http://127.0.0.1:47400/mcp\nauthorization: none\n"
                                        "tools:\n  get_kpis: {name: greet, arguments: {name: mcpcert}}\n  list_applications: {name: list-files}\n"
                                        "capabilities: {}\n"));
  EXPECT_EQ(target.authorization, Authorization::none);
  EXPECT_FALSE(target.offers("oauth"));
  EXPECT_TRUE(target.client_id.empty());
  EXPECT_TRUE(target.backend.tenants.empty());
  ASSERT_EQ(target.tools.size(), 2u);
  EXPECT_EQ(target.tools.at("get_kpis").name, "greet");
  EXPECT_EQ(target.tools.at("get_kpis").arguments, (nlohmann::json{{"name", "mcpcert"}}));
  EXPECT_FALSE(target.tools.at("list_applications").arguments.has_value()) << "no arguments given: the step's are sent";
  EXPECT_EQ(authorization_name(target.authorization), "none");
}

TEST_F(TargetFile, AnOAuthTargetIsTheDefaultAndOffersOAuth) {
  const auto target = load_target(write(head + backend + "capabilities: {}\n"));
  EXPECT_EQ(target.authorization, Authorization::oauth);
  EXPECT_TRUE(target.offers("oauth"));
  EXPECT_TRUE(target.tools.empty());
  EXPECT_EQ(load_target(write("authorization: oauth\n" + head + backend + "capabilities: {}\n")).authorization, Authorization::oauth);
}

TEST_F(TargetFile, RefusesAuthorizationAndToolMistakesNamingTheField) {
  const std::string none = "target: v\nmcp_url: http://127.0.0.1:47400/mcp\nauthorization: none\ncapabilities: {}\n";
  const std::string unregistered = "target: v\nmcp_url: http://127.0.0.1:47400/mcp\ncapabilities: {}\n";
  // file -> what the refusal says (line: field: problem)
  const std::vector<std::pair<std::string, std::string>> refusals{
      {none + "registration: {client_id: c, client_secret: 0123456789abcdef0123}\n",
       ":5: target.registration: a target with authorization: none has no client at the mock issuers"},
      {none + backend, ":5: target.backend: a target with authorization: none"},
      {"target: v\nmcp_url: http://127.0.0.1:47400/mcp\nauthorization: basic\ncapabilities: {}\n",
       ":3: target.authorization: 'basic' is not one of: oauth, none"},
      {unregistered + backend, "target.registration: required field is missing"},
      {head + "capabilities: {}\n", "target.backend: required field is missing"},
      {none + "tools: [greet]\n", ":5: target.tools: must map each tool"},
      {none + "tools: {get_kpis: greet}\n", ":5: target.tools.get_kpis: must be a mapping of fields"},
      {none + "tools: {get_kpis: {arguments: {}}}\n", "target.tools.get_kpis.name: required field is missing"},
      {none + "tools: {get_kpis: {name: greet, args: {}}}\n", "target.tools.get_kpis.args: unknown field"},
      {none + "tools: {get_kpis: {name: greet, arguments: [1]}}\n", "target.tools.get_kpis.arguments: must be a mapping"},
      {none + "tools: {get_kpis: {name: ''}}\n", "target.tools.get_kpis.name: must name one of the target's tools"},
  };
  for (const auto& [text, refusal] : refusals) EXPECT_THAT(error_of(text), HasSubstr(refusal)) << text;
}

TEST_F(TargetFile, ReadsTheConnectorsOwnUrlPerTenant) {
  EXPECT_FALSE(load_target(write(head + backend + "capabilities: {}\n")).offers("tenant_urls"));
  const auto target = load_target(write(head + "tenant_mcp_urls: {emea-finance: 'https://127.0.0.1:47200/t/emea'}\n" + backend +
                                        "capabilities: {}\n"));
  EXPECT_TRUE(target.offers("tenant_urls"));
  EXPECT_EQ(target.tenant_mcp_urls, (std::map<std::string, std::string>{{"emea-finance", "https://127.0.0.1:47200/t/emea"}}));

  EXPECT_THAT(error_of(head + "tenant_mcp_urls: {nowhere-finance: 'https://127.0.0.1:47200/t'}\n" + backend + "capabilities: {}\n"),
              HasSubstr(":4: target.tenant_mcp_urls.nowhere-finance: no world hosts a tenant of that id"));
  EXPECT_THAT(error_of(head + "tenant_mcp_urls: {emea-finance: 't/emea'}\n" + backend + "capabilities: {}\n"),
              HasSubstr(":4: target.tenant_mcp_urls.emea-finance: must be an absolute http(s) URL"));
  EXPECT_THAT(error_of(head + "tenant_mcp_urls: [emea-finance]\n" + backend + "capabilities: {}\n"),
              HasSubstr(":4: target.tenant_mcp_urls: must map tenant ids"));
  EXPECT_THAT(error_of("target: v\nmcp_url: http://127.0.0.1:47400/mcp\nauthorization: none\ncapabilities: {}\n"
                       "tenant_mcp_urls: {emea-finance: 'http://127.0.0.1:47400/t'}\n"),
              HasSubstr(":5: target.tenant_mcp_urls: a target with authorization: none"));
}

Scenario scenario_with(std::vector<ScenarioStep> steps, std::vector<std::string> declared = {}) {
  Scenario scenario;
  scenario.steps = std::move(steps);
  scenario.requires_capabilities = std::move(declared);
  return scenario;
}

TEST(CapabilitiesNeeded, AreInferredFromStepsAndDeclarations) {
  const auto needs = capabilities_needed(scenario_with({{"authorize", 3, {}},
                                                        {"advance_clock", 4, {}},
                                                        {"assert_log", 5, {}},
                                                        {"scan_storage", 6, {{"target", "backend_state"}}},
                                                        {"scan_storage", 7, {{"target", "connector_log"}}},
                                                        {"advance_clock", 8, {}}},
                                                       {"restart_command"}));
  ASSERT_EQ(needs.size(), 5u);
  EXPECT_EQ(needs[0].capability, "restart_command");
  EXPECT_EQ(needs[1].capability, "virtual_clock");
  EXPECT_EQ(needs[1].why, "advance_clock at line 4");
  EXPECT_EQ(needs[2].capability, "log_export");
  EXPECT_EQ(needs[3].capability, "oauth");
  EXPECT_EQ(needs[3].why, "scan_storage of the backend's state at line 6");
  EXPECT_EQ(needs[4].capability, "storage_dir");
  EXPECT_EQ(needs[4].why, "scan_storage at line 7");
  // The backend's state is only there when a backend is: a target without authorization has none.
  const auto backend_scan = capabilities_needed(scenario_with({{"scan_storage", 3, {{"target", "backend_state"}}}}));
  ASSERT_EQ(backend_scan.size(), 1u);
  EXPECT_EQ(backend_scan[0].capability, "oauth");
  EXPECT_TRUE(capabilities_needed(scenario_with({{"authorize", 3, {{"as", "alice"}, {"scope", "finance:read"}}}})).empty());
}

// The first reason a scenario gives for needing oauth, or empty.
std::string oauth_need(const std::vector<ScenarioStep>& steps) {
  for (const auto& need : capabilities_needed(scenario_with(steps)))
    if (need.capability == "oauth") return need.why;
  return {};
}

const nlohmann::json no_token = {{"kind", "none"}};
const nlohmann::json alice_token = {{"kind", "identity"}, {"of", "alice"}, {"tamper", "none"}};
const ScenarioStep sign_in{"authorize", 3, {{"as", "alice"}, {"scope", "finance:read"}, {"consent", "approve"}, {"client", "pre_registered"}}};

ScenarioStep raw(nlohmann::json args) {
  args["method"] = "POST";
  if (!args.contains("token")) args["token"] = alice_token;
  if (!args.contains("token_in")) args["token_in"] = "header";
  if (!args.contains("expect")) args["expect"] = {{"status", {200}}};
  return {"raw_request", 9, std::move(args)};
}

TEST(CapabilitiesNeeded, OAuthIsNeededByWhatOnlyAnIssuerOrTheBackendCanAnswer) {
  for (const char* kind : {"refresh", "admin", "plant_canary", "inject_fault", "assert_permission_matrix", "assert_grants",
                           "assert_audit", "mark_audit", "restart_backend"}) {
    EXPECT_EQ(oauth_need({sign_in, {kind, 7, {{"as", "alice"}}}}), std::string(kind) + " at line 7");
  }
  EXPECT_THAT(oauth_need({sign_in, raw({{"expect", {{"status", {401}}}}})}), HasSubstr("expecting a 401 challenge at line 9"));
  EXPECT_THAT(oauth_need({sign_in, raw({{"expect", {{"status", {403}}, {"www_authenticate", {{"error", "insufficient_scope"}}}}}})}),
              HasSubstr("expecting a 401 challenge"));
  EXPECT_THAT(oauth_need({sign_in, raw({{"token", {{"kind", "literal"}, {"value", "x"}}}})}), HasSubstr("a literal token"));
  EXPECT_THAT(oauth_need({sign_in, raw({{"token", {{"kind", "identity"}, {"of", "alice"}, {"tamper", "alg_none"}}}})}), HasSubstr("forged token"));
  EXPECT_THAT(oauth_need({sign_in, raw({{"token_in", "query"}})}), HasSubstr("token in the query"));
  EXPECT_THAT(oauth_need({sign_in, raw({{"url", "${issuer}/token"}})}), HasSubstr("naming ${issuer}"));
  EXPECT_THAT(oauth_need({sign_in, raw({{"json", {{"sub", "${sub:alice}"}}}})}), HasSubstr("naming ${sub:alice}"));
  EXPECT_THAT(oauth_need({sign_in, raw({{"path", "/.well-known/oauth-protected-resource/mcp"}, {"token", no_token}})}),
              HasSubstr("OAuth metadata"));
  EXPECT_THAT(oauth_need({sign_in, raw({{"headers", {{"authorization", "Bearer x"}}}})}), HasSubstr("its own Authorization header"));
  EXPECT_THAT(oauth_need({sign_in, {"call_tool", 9, {{"as", "alice"}, {"tool", "get_kpis"}, {"expect", {{"outcome", "permission_error"}}}}}}),
              HasSubstr("permission_error"));
  EXPECT_THAT(oauth_need({sign_in, {"advance_clock", 9, {{"token_age", 5}, {"of", "alice"}}}}), HasSubstr("a token's age"));
  EXPECT_THAT(oauth_need({sign_in, {"assert_log", 9, {{"kind", "auth_event"}, {"count", 1}}}}), HasSubstr("auth events"));
  EXPECT_THAT(oauth_need({{"authorize", 3, {{"as", "alice"}, {"scope", "planning:read"}}}}), HasSubstr("authorize with OAuth parameters"));
  EXPECT_THAT(oauth_need({{"authorize", 3, {{"as", "alice"}, {"consent", "deny"}}}}), HasSubstr("authorize with OAuth parameters"));
  EXPECT_THAT(oauth_need({{"authorize", 3, {{"as", "alice"}, {"expect", {{"outcome", "refused"}}}}}}), HasSubstr("authorize with OAuth"));
  EXPECT_THAT(oauth_need({sign_in, {"authorize", 4, {{"as", "bob"}}}}), AllOf(HasSubstr("a second user (bob)"), EndsWith("at line 4")));
  EXPECT_THAT(oauth_need({sign_in, {"concurrently", 9, {{"steps", {{{"kind", "refresh"}, {"line", 10}, {"args", {{"as", "alice"}}}}}}}}}),
              HasSubstr("refresh"));
}

TEST(CapabilitiesNeeded, APlainSessionNeedsNoOAuth) {
  EXPECT_EQ(oauth_need({sign_in,
                        {"authorize", 4, {{"as", "alice_again"}, {"user", "alice"}}},
                        {"connect", 5, {{"as", "alice"}, {"protocol_version", "2025-11-25"}}},
                        raw({{"session", "alice"}, {"headers", {{"Origin", "http://evil.example"}}}, {"expect", {{"status", {403}}}}}),
                        raw({{"body", "{not json"}, {"expect", {{"status", {400}}, {"jsonrpc_error", -32700}}}}),
                        {"call_tool", 8, {{"as", "alice"}, {"tool", "get_kpis"}, {"expect", {{"outcome", "success"}}}}},
                        {"advance_clock", 9, {{"seconds", 5}}}}),
            "");
}

TEST(CapabilitiesNeeded, TheProtocolScenariosRunOnATargetWithoutAuthorizationAndTheResourceServerOnesDoNot) {
  // What the official SDK's example server (interop.sdk_example_server) is run with.
  const auto transport = Installation::detect().scenarios_dir() / "transport";
  for (const char* file : {"content_negotiation", "malformed_jsonrpc", "method_errors", "notification", "origin", "protocol_version",
                           "session_lifecycle"}) {
    EXPECT_EQ(oauth_need(load_scenario(transport / (std::string(file) + ".yaml")).steps), "") << file;
  }
  for (const char* file : {"auth_rs", "auth_rs_audience", "auth_rs_scope"}) {
    EXPECT_NE(oauth_need(load_scenario(transport / (std::string(file) + ".yaml")).steps), "") << file;
  }
}

TEST(CapabilitiesNeeded, ATenantsOwnUrlIsNeededWhereTheScenarioSpeaksToOrNamesOne) {
  auto own = scenario_with({{"authorize", 3, {}}});
  own.tenant = "emea-finance";
  own.at_tenant_url = true;
  ASSERT_EQ(capabilities_needed(own).size(), 1u);
  EXPECT_EQ(capabilities_needed(own)[0].capability, "tenant_urls");
  EXPECT_EQ(capabilities_needed(own)[0].why, "mcp_url: tenant");
  EXPECT_EQ(tenant_urls_named(own), (std::set<std::string>{"emea-finance"}));

  auto named = scenario_with({raw({{"url", "${tenant_mcp_url:us-finance}"}})});
  named.tenant = "emea-finance";
  bool needed = false;
  for (const auto& need : capabilities_needed(named)) {
    if (need.capability != "tenant_urls") continue;
    needed = true;
    EXPECT_EQ(need.why, "raw_request naming ${tenant_mcp_url:us-finance} at line 9");
  }
  EXPECT_TRUE(needed);
  EXPECT_EQ(tenant_urls_named(named), (std::set<std::string>{"us-finance"}));
  EXPECT_TRUE(tenant_urls_named(scenario_with({raw({{"url", "${mcp_url}"}})})).empty());
}

} // namespace
} // namespace mcpcert::client
