// The whole backend on loopback port 0, driven over real HTTP: the OAuth flow
// through the issuer, the API call with the exchanged token, and the control
// plane's admin switch taking effect on the next exchange.
#include "mcpcert/mock_backend/backend.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>

#include "mcpcert/http_client.hpp"
#include "mcpcert/pkce.hpp"
#include "state_directory.hpp"
#include "tenant_world.hpp"

namespace mcpcert::backend {
namespace {

namespace bhttp = boost::beast::http;
using boost::asio::ip::tcp;

const std::filesystem::path shipped_fixture =
    std::filesystem::path(MCPCERT_TEST_SOURCE_ROOT) / "mock_backend/fixtures/emea-finance.json";
constexpr std::string_view control_secret = "control-secret-for-tests";

/// One request on a fresh connection, synchronously.
http::Response send(const std::string& base_url, bhttp::verb verb, const std::string& target, std::string body = {},
                    std::string content_type = {}, std::string authorization = {}) {
  auto url = http::parse_url(base_url);
  EXPECT_TRUE(url.has_value());
  boost::asio::io_context io;
  tcp::socket socket(io);
  socket.connect({boost::asio::ip::make_address(url->host), url->port});
  http::Request request{verb, target, 11};
  request.set(bhttp::field::host, url->host + ":" + std::to_string(url->port));
  if (!content_type.empty()) request.set(bhttp::field::content_type, content_type);
  if (!authorization.empty()) request.set(bhttp::field::authorization, authorization);
  request.body() = std::move(body);
  request.prepare_payload();
  bhttp::write(socket, request);
  boost::beast::flat_buffer buffer;
  http::Response response;
  bhttp::read(socket, buffer, response);
  return response;
}

http::Response post_form(const std::string& base_url, const std::string& target, const FormFields& form,
                         std::string authorization = {}) {
  return send(base_url, bhttp::verb::post, target, encode_form(form), "application/x-www-form-urlencoded",
              std::move(authorization));
}

nlohmann::json json_of(const http::Response& response) { return nlohmann::json::parse(response.body(), nullptr, false); }

/// The value of the hidden `txn` input of a login or consent page.
std::string txn_of(const std::string& html) {
  constexpr std::string_view marker = "name=\"txn\" value=\"";
  auto start = html.find(marker);
  if (start == std::string::npos) return {};
  start += marker.size();
  return html.substr(start, html.find('"', start) - start);
}

std::string query_param(std::string_view location, std::string_view name) {
  auto parsed = parse_form(location.substr(location.find('?') + 1));
  auto it = parsed.fields.find(name);
  return it == parsed.fields.end() ? std::string{} : it->second;
}

/// A backend on its own thread, from start to stop.
class RunningBackend {
public:
  explicit RunningBackend(const BackendConfig& config) : backend_(std::make_unique<Backend>(io_.get_executor(), config)) {
    backend_->start();
    thread_ = std::thread([this] { io_.run(); });
    ready_ = nlohmann::json::parse(backend_->ready_line().substr(6));
    control_ = ready_["control"];
  }
  ~RunningBackend() {
    boost::asio::post(io_, [this] {
      backend_->stop();
      io_.stop();
    });
    thread_.join();
  }
  RunningBackend(const RunningBackend&) = delete;
  RunningBackend& operator=(const RunningBackend&) = delete;

  http::Response control(bhttp::verb verb, const std::string& target, const nlohmann::json& body = nullptr) {
    return send(control_, verb, target, body.is_null() ? "" : body.dump(), body.is_null() ? "" : "application/json",
                "Bearer " + std::string(control_secret));
  }
  /// The READY line's JSON: the control URL and each tenant's issuer and API.
  const nlohmann::json& ready() const { return ready_; }
  nlohmann::json user(const std::string& id, const std::string& tenant = "emea-finance") {
    const auto listed = json_of(control(bhttp::verb::get, "/control/tenants/" + tenant + "/users"));
    for (const auto& user : listed["users"])
      if (user["id"] == id) return user;
    return nullptr;
  }

private:
  boost::asio::io_context io_{1};
  std::unique_ptr<Backend> backend_;
  std::thread thread_;
  nlohmann::json ready_;
  std::string control_;
};

class BackendOverHttp : public ::testing::Test {
protected:
  void SetUp() override {
    // The shipped fixture, and an MCP resource none of these tests names (each registers its own).
    backend_ = std::make_unique<RunningBackend>(
        test_world::one_tenant_backend(shipped_fixture, control_secret, "http://127.0.0.1:45799/mcp"));
    control_ = backend_->ready()["control"];
    issuer_ = backend_->ready()["tenants"]["emea-finance"]["issuer"];
    api_ = backend_->ready()["tenants"]["emea-finance"]["api"];
  }

  void TearDown() override { backend_.reset(); }

  std::string control_auth() const { return "Bearer " + std::string(control_secret); }

  http::Response control(bhttp::verb verb, const std::string& target, const nlohmann::json& body = nullptr) {
    return backend_->control(verb, target, body);
  }

  /// authorize -> login -> consent -> token for the scripted client; returns the token response.
  nlohmann::json sign_in(const std::string& user, const std::string& password, const std::string& resource) {
    auto verifier = pkce_make_verifier();
    FormFields query{{"response_type", "code"},
                     {"client_id", "mcpcert-scripted-client"},
                     {"redirect_uri", "http://127.0.0.1:40000/callback"},
                     {"code_challenge", pkce_s256_challenge(verifier)},
                     {"code_challenge_method", "S256"},
                     {"resource", resource},
                     {"scope", "finance:read"},
                     {"state", "xyz"}};
    auto login_page = send(issuer_, bhttp::verb::get, "/authorize?" + encode_form(query));
    EXPECT_EQ(login_page.result_int(), 200u) << login_page.body();
    auto txn = txn_of(login_page.body());
    auto consent_page =
        post_form(issuer_, "/authorize/login", {{"txn", txn}, {"username", user}, {"password", password}});
    EXPECT_EQ(consent_page.result_int(), 200u) << consent_page.body();
    auto redirect = post_form(issuer_, "/authorize/consent", {{"txn", txn_of(consent_page.body())}, {"decision", "approve"}});
    EXPECT_EQ(redirect.result_int(), 302u);
    std::string location(redirect[bhttp::field::location]);
    EXPECT_EQ(query_param(location, "state"), "xyz");
    EXPECT_EQ(query_param(location, "iss"), issuer_);
    auto token = post_form(issuer_, "/token",
                           {{"grant_type", "authorization_code"},
                            {"client_id", "mcpcert-scripted-client"},
                            {"code", query_param(location, "code")},
                            {"redirect_uri", "http://127.0.0.1:40000/callback"},
                            {"code_verifier", verifier}});
    EXPECT_EQ(token.result_int(), 200u) << token.body();
    EXPECT_EQ(token[bhttp::field::cache_control], "no-store");
    EXPECT_EQ(token[bhttp::field::pragma], "no-cache");
    return json_of(token);
  }

  http::Response exchange(const std::string& subject_token) {
    return post_form(issuer_, "/token",
                     {{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                      {"subject_token", subject_token},
                      {"subject_token_type", "urn:ietf:params:oauth:token-type:access_token"},
                      {"audience", api_}},
                     // base64("mcpcert-connector:connector-secret-emea-finance-0001")
                     "Basic bWNwY2VydC1jb25uZWN0b3I6Y29ubmVjdG9yLXNlY3JldC1lbWVhLWZpbmFuY2UtMDAwMQ==");
  }

  std::unique_ptr<RunningBackend> backend_;
  std::string control_;
  std::string issuer_;
  std::string api_;
};

TEST_F(BackendOverHttp, ServesMetadataWithTheBoundIssuer) {
  auto response = send(issuer_, bhttp::verb::get, "/.well-known/oauth-authorization-server");
  ASSERT_EQ(response.result_int(), 200u);
  auto metadata = json_of(response);
  EXPECT_EQ(metadata["issuer"], issuer_);
  EXPECT_EQ(metadata["token_endpoint"], issuer_ + "/token");
  EXPECT_EQ(json_of(send(issuer_, bhttp::verb::get, "/jwks"))["keys"].size(), 1u);
}

TEST_F(BackendOverHttp, ControlNeedsTheSecret) {
  EXPECT_EQ(send(control_, bhttp::verb::get, "/control/health").result_int(), 401u);
  EXPECT_EQ(send(control_, bhttp::verb::get, "/control/health", "", "", "Bearer wrong-secret-wrong").result_int(), 401u);
  EXPECT_EQ(control(bhttp::verb::get, "/control/health").result_int(), 200u);
}

TEST_F(BackendOverHttp, FullFlowThenAdminRemovesMcpAccess) {
  const std::string mcp_url = "http://127.0.0.1:45678/mcp";
  auto registered = control(bhttp::verb::post, "/control/tenants/emea-finance/resources",
                            {{"resource", mcp_url}, {"client_id", "mcpcert-connector"}});
  ASSERT_EQ(registered.result_int(), 201u) << registered.body();

  auto tokens = sign_in("alice", "alice-finance-2025", mcp_url);
  auto subject_token = tokens["access_token"].get<std::string>();

  auto exchanged = exchange(subject_token);
  ASSERT_EQ(exchanged.result_int(), 200u) << exchanged.body();
  auto backend_token = json_of(exchanged)["access_token"].get<std::string>();
  auto kpis = send(api_, bhttp::verb::get, "/api/v1/entities/ent-brussels/kpis", "", "", "Bearer " + backend_token);
  ASSERT_EQ(kpis.result_int(), 200u) << kpis.body();
  EXPECT_EQ(json_of(kpis)["entity"], "ent-brussels");

  // The client's own token is not accepted upstream.
  EXPECT_EQ(send(api_, bhttp::verb::get, "/api/v1/entities/ent-brussels/kpis", "", "", "Bearer " + subject_token)
                .result_int(),
            401u);

  auto change = control(bhttp::verb::post, "/control/tenants/emea-finance/admin/mcp-access",
                        {{"user", "alice"}, {"entity", "ent-brussels"}, {"granted", false}});
  ASSERT_EQ(change.result_int(), 200u) << change.body();
  auto audit_seq = json_of(change)["audit_seq"].get<std::uint64_t>();

  auto refused = exchange(subject_token);
  EXPECT_EQ(refused.result_int(), 400u);
  EXPECT_EQ(json_of(refused)["error"], "invalid_grant");
  EXPECT_EQ(json_of(refused)["error_description"], "user has no MCP Access on entity ent-brussels");

  auto audit = json_of(control(bhttp::verb::get, "/control/tenants/emea-finance/audit?since_seq=" +
                                                     std::to_string(audit_seq) + "&listener=issuer&subject=alice"));
  ASSERT_EQ(audit["records"].size(), 1u) << audit.dump();
  EXPECT_EQ(audit["records"][0]["path"], "/token");
  EXPECT_EQ(audit["records"][0]["status"], 400);
  EXPECT_EQ(audit["records"][0]["client_id"], "mcpcert-connector");

  auto api_calls = json_of(control(bhttp::verb::get, "/control/tenants/emea-finance/audit?listener=api&subject=alice"));
  ASSERT_EQ(api_calls["records"].size(), 1u) << api_calls.dump();
  EXPECT_EQ(api_calls["records"][0]["actor"], "mcpcert-connector");
  EXPECT_EQ(api_calls["records"][0]["region"], "eu-central-1");

  auto grants = json_of(control(bhttp::verb::get, "/control/tenants/emea-finance/grants?user=alice"));
  ASSERT_EQ(grants["grants"].size(), 1u);
  EXPECT_EQ(grants["grants"][0]["resource"], mcp_url);
  EXPECT_FALSE(grants["grants"][0].contains("refresh_token"));
}

TEST_F(BackendOverHttp, ClockAdvanceExpiresTokens) {
  const std::string mcp_url = "http://127.0.0.1:45679/mcp";
  control(bhttp::verb::post, "/control/tenants/emea-finance/resources",
          {{"resource", mcp_url}, {"client_id", "mcpcert-connector"}});
  auto tokens = sign_in("bob", "bob-finance-2025", mcp_url);
  auto advanced = control(bhttp::verb::post, "/control/clock/advance", {{"seconds", 3601}});
  ASSERT_EQ(advanced.result_int(), 200u) << advanced.body();
  auto refused = exchange(tokens["access_token"]);
  EXPECT_EQ(json_of(refused)["error_description"], "subject token expired");
}

TEST_F(BackendOverHttp, ClockRewindStepsBackAndKeepsRevocations) {
  const std::string mcp_url = "http://127.0.0.1:45681/mcp";
  control(bhttp::verb::post, "/control/tenants/emea-finance/resources", {{"resource", mcp_url}, {"client_id", "mcpcert-connector"}});
  auto tokens = sign_in("bob", "bob-finance-2025", mcp_url);
  auto before = json_of(control(bhttp::verb::post, "/control/clock/advance", {{"seconds", 0}}))["unix"].get<std::int64_t>();
  auto rewound = control(bhttp::verb::post, "/control/clock/rewind", {{"seconds", 7200}});
  ASSERT_EQ(rewound.result_int(), 200u) << rewound.body();
  EXPECT_LE(json_of(rewound)["unix"].get<std::int64_t>(), before - 7199);
  auto backwards = control(bhttp::verb::post, "/control/clock/rewind", {{"seconds", -1}});
  EXPECT_EQ(backwards.result_int(), 400u);
  auto negative_advance = control(bhttp::verb::post, "/control/clock/advance", {{"seconds", -1}});
  EXPECT_EQ(negative_advance.result_int(), 400u);
  EXPECT_NE(json_of(negative_advance)["detail"].get<std::string>().find("rewind"), std::string::npos);
}

TEST_F(BackendOverHttp, WatchedTextsAreFoundInAnyPartOfARequest) {
  EXPECT_EQ(control(bhttp::verb::post, "/control/watch", {{"text", "short"}}).result_int(), 400u) << "too short to prove anything";
  ASSERT_EQ(control(bhttp::verb::post, "/control/watch", {{"text", "canary-watched-text"}}).result_int(), 201u);
  send(api_, bhttp::verb::get, "/api/v1/entities/ent-brussels/kpis?q=canary-watched-text-in-a-query");
  send(api_, bhttp::verb::get, "/api/v1/entities/ent-brussels/kpis", {}, {}, "Bearer canary-watched-text");
  send(issuer_, bhttp::verb::post, "/token", "grant_type=x&note=canary-watched-text", "application/x-www-form-urlencoded");
  send(api_, bhttp::verb::get, "/api/v1/entities/ent-brussels/kpis", {}, {}, "Bearer nothing-to-see");
  auto audit = json_of(control(bhttp::verb::get, "/control/tenants/emea-finance/audit"));
  std::vector<bool> held;
  for (const auto& record : audit["records"]) {
    if (record["path"] == "/control/watch") continue;
    held.push_back(record.contains("watched") && record["watched"] == nlohmann::json::array({"canary-watched-text"}));
  }
  EXPECT_EQ(held, (std::vector<bool>{true, true, true, false}));
}

TEST_F(BackendOverHttp, ControlErrorsAreProblemDetails) {
  auto unknown = control(bhttp::verb::get, "/control/tenants/nowhere/audit");
  EXPECT_EQ(unknown.result_int(), 404u);
  EXPECT_EQ(unknown[bhttp::field::content_type], "application/problem+json");
  auto missing = control(bhttp::verb::post, "/control/tenants/emea-finance/admin/mcp-access", {{"user", "alice"}});
  EXPECT_EQ(missing.result_int(), 400u);
  EXPECT_NE(json_of(missing)["detail"].get<std::string>().find("entity"), std::string::npos);
  auto bad_json = send(control_, bhttp::verb::post, "/control/clock/advance", "{", "application/json", control_auth());
  EXPECT_EQ(bad_json.result_int(), 400u);
  auto unknown_user = control(bhttp::verb::post, "/control/tenants/emea-finance/admin/mcp-access",
                              {{"user", "mallory"}, {"entity", "ent-brussels"}, {"granted", false}});
  EXPECT_EQ(unknown_user.result_int(), 404u);
}

TEST(BackendRestart, AnAdministratorsDirectoryChangesOutliveARestart) {
  test_world::StateDirectory state;
  auto config = test_world::one_tenant_backend(shipped_fixture, control_secret, "http://127.0.0.1:45799/mcp");
  config.state_dir = state.file("state");
  // One user per kind of change, so each change must have been saved itself.
  std::map<std::string, nlohmann::json> changed;
  {
    RunningBackend backend(config);
    std::map<std::string, nlohmann::json> before;
    for (const char* user : {"alice", "bob", "carol"}) before[user] = backend.user(user);
    ASSERT_EQ(backend.control(bhttp::verb::post, "/control/tenants/emea-finance/admin/mcp-access",
                              {{"user", "bob"}, {"entity", "ent-brussels"}, {"granted", false}})
                  .result_int(),
              200u);
    ASSERT_EQ(backend.control(bhttp::verb::post, "/control/tenants/emea-finance/admin/suspend", {{"user", "carol"}, {"suspended", true}})
                  .result_int(),
              200u);
    ASSERT_EQ(backend.control(bhttp::verb::post, "/control/tenants/emea-finance/admin/role",
                              {{"user", "alice"}, {"entity", "ent-lyon"}, {"role", "editor"}})
                  .result_int(),
              200u);
    for (const char* user : {"alice", "bob", "carol"}) {
      changed[user] = backend.user(user);
      EXPECT_NE(changed[user], before[user]) << user;
    }
  }
  RunningBackend restarted(config);
  // Everything the control plane shows of them, as the administrator left it.
  for (const char* user : {"alice", "bob", "carol"}) EXPECT_EQ(restarted.user(user), changed[user]) << user;
}

TEST(BackendRestart, DepartmentAndTeamChangesOutliveARestart) {
  test_world::StateDirectory state;
  auto config = test_world::one_tenant_backend(std::filesystem::path(MCPCERT_TEST_SOURCE_ROOT) / "mock_backend/fixtures/us-planning.json",
                                               control_secret, "http://127.0.0.1:45799/mcp");
  config.tenants[0].id = "us-planning";
  config.tenants[0].region = "us-east-1";
  config.state_dir = state.file("state");
  nlohmann::json changed;
  {
    RunningBackend backend(config);
    const auto before = backend.user("paul", "us-planning");
    ASSERT_EQ(backend.control(bhttp::verb::post, "/control/tenants/us-planning/admin/membership",
                              {{"user", "paul"}, {"department", "dep-sales"}})
                  .result_int(),
              200u);
    ASSERT_EQ(backend.control(bhttp::verb::post, "/control/tenants/us-planning/admin/membership",
                              {{"user", "paul"}, {"team", "team-forecast"}, {"member", false}})
                  .result_int(),
              200u);
    changed = backend.user("paul", "us-planning");
    EXPECT_EQ(changed["department"], "dep-sales");
    EXPECT_EQ(changed["teams"], nlohmann::json::array());
    EXPECT_NE(changed, before);
  }
  RunningBackend restarted(config);
  EXPECT_EQ(restarted.user("paul", "us-planning"), changed);
}

TEST(BackendRestart, RefusesToStartWhenASavedStandingNoLongerFitsTheFixture) {
  test_world::StateDirectory state;
  auto config = test_world::one_tenant_backend(shipped_fixture, control_secret, "http://127.0.0.1:45799/mcp");
  config.state_dir = state.file("state");
  {
    RunningBackend backend(config);
    ASSERT_EQ(backend.control(bhttp::verb::post, "/control/tenants/emea-finance/admin/suspend", {{"user", "alice"}, {"suspended", true}})
                  .result_int(),
              200u);
  }
  // The tenant's fixture changed since: alice is no longer in it.
  auto fixture = nlohmann::json::parse(std::ifstream(shipped_fixture), nullptr, true, /*ignore_comments=*/true);
  auto& users = fixture["users"];
  ASSERT_TRUE(users.is_array());
  users.erase(std::remove_if(users.begin(), users.end(), [](const nlohmann::json& user) { return user["id"] == "alice"; }), users.end());
  const auto edited = state.file("emea-finance-without-alice.json");
  std::ofstream(edited) << fixture.dump();
  config.tenants[0].fixture = edited;
  boost::asio::io_context io;
  try {
    Backend backend(io.get_executor(), config);
    FAIL() << "started over a saved standing of a user the fixture no longer has";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("user alice"), std::string::npos) << e.what();
  }
}

TEST_F(BackendOverHttp, ConnectorCanBeReKeyedForOneRun) {
  const std::string mcp_url = "http://127.0.0.1:45680/mcp";
  control(bhttp::verb::post, "/control/tenants/emea-finance/resources",
          {{"resource", mcp_url}, {"client_id", "mcpcert-connector"}});
  auto rekeyed = control(bhttp::verb::post, "/control/tenants/emea-finance/clients",
                         {{"client_id", "mcpcert-connector"},
                          {"type", "confidential"},
                          {"client_secret", "a-secret-for-this-run-only"}});
  ASSERT_EQ(rekeyed.result_int(), 200u) << rekeyed.body();
  EXPECT_EQ(json_of(rekeyed)["replaced"], true);
  EXPECT_FALSE(rekeyed.body().find("a-secret-for-this-run-only") != std::string::npos);

  auto tokens = sign_in("alice", "alice-finance-2025", mcp_url);
  // The fixture's secret no longer works; the new one does.
  EXPECT_EQ(exchange(tokens["access_token"]).result_int(), 401u);
  auto exchanged = post_form(issuer_, "/token",
                             {{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                              {"client_id", "mcpcert-connector"},
                              {"client_secret", "a-secret-for-this-run-only"},
                              {"subject_token", tokens["access_token"]},
                              {"subject_token_type", "urn:ietf:params:oauth:token-type:access_token"},
                              {"resource", api_}});
  EXPECT_EQ(exchanged.result_int(), 200u) << exchanged.body();

  auto bad = control(bhttp::verb::post, "/control/tenants/emea-finance/clients",
                     {{"client_id", "x"}, {"type", "confidential"}, {"client_secret", "short"}});
  EXPECT_EQ(bad.result_int(), 400u);
  EXPECT_NE(json_of(bad)["detail"].get<std::string>().find("client_secret"), std::string::npos);
}

TEST_F(BackendOverHttp, ListsFixtureUsersForTheHarness) {
  auto users = json_of(control(bhttp::verb::get, "/control/tenants/emea-finance/users"));
  ASSERT_TRUE(users["users"].is_array());
  bool found_alice = false;
  for (const auto& user : users["users"]) {
    if (user["id"] != "alice") continue;
    found_alice = true;
    EXPECT_EQ(user["username"], "alice");
    EXPECT_EQ(user["password"], "alice-finance-2025");
    EXPECT_EQ(user["default_entity"], "ent-brussels");
  }
  EXPECT_TRUE(found_alice) << users.dump();
}

TEST_F(BackendOverHttp, AuthorizeWithUnknownClientShowsAPage) {
  auto response = send(issuer_, bhttp::verb::get,
                       "/authorize?response_type=code&client_id=evil&redirect_uri=https%3A%2F%2Fevil.example%2F");
  EXPECT_EQ(response.result_int(), 400u);
  EXPECT_TRUE(response[bhttp::field::location].empty());
}

} // namespace
} // namespace mcpcert::backend
