// The choices an issuer may make where OAuth leaves one (refresh grace window,
// PKCE plain, offline_access, scaled lifetimes), over real HTTP on loopback:
// one tenant per test, configured as the test needs, on the virtual clock.
// Every answer of /token is checked for its status, its RFC error code and
// Cache-Control: no-store.
#include "mcpcert/mock_backend/backend.hpp"

#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "loopback_http.hpp"
#include "mcpcert/config.hpp"
#include "mcpcert/mock_backend/backend_config.hpp"
#include "mcpcert/pkce.hpp"
#include "tenant_world.hpp"

namespace mcpcert::backend {
namespace {

using namespace loopback;

constexpr std::string_view control_secret = "control-secret-for-policy-tests";
constexpr std::string_view scripted = "mcpcert-scripted-client";
constexpr std::string_view redirect_uri = "http://127.0.0.1:40000/callback";
constexpr std::string_view mcp_url = "http://127.0.0.1:45700/mcp";

void expect_no_store(const http::Response& response) { EXPECT_EQ(response[bhttp::field::cache_control], "no-store"); }

void expect_oauth_error(const http::Response& response, unsigned status, std::string_view error) {
  EXPECT_EQ(response.result_int(), status) << response.body();
  EXPECT_EQ(json_of(response).value("error", ""), error) << response.body();
  expect_no_store(response);
}

class IssuerPolicyOverHttp : public ::testing::Test {
protected:
  /// Starts one tenant (emea-finance) with `policy`; `scale` as the config's lifetime_scale.
  void start(const IssuerPolicy& policy, double scale = 1.0) {
    std::string pattern = (std::filesystem::temp_directory_path() / "mcpcert-policy-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::ofstream(dir_ / "fixture.json") << test_world::test_fixture().dump();
    nlohmann::json tenant = {{"id", "emea-finance"},
                             {"region", "eu-central-1"},
                             {"fixture", "fixture.json"},
                             {"api_listen", "127.0.0.1:0"},
                             {"issuer_listen", "127.0.0.1:0"},
                             {"refresh_grace_seconds", policy.refresh_grace.count()},
                             {"pkce_plain_allowed", policy.allow_plain_pkce},
                             {"refresh_requires_offline_access", policy.refresh_requires_offline_access},
                             {"resources", {{{"resource", mcp_url}, {"client_id", "mcpcert-connector"}}}}};
    nlohmann::json document = {{"simulation", true},
                               {"control", {{"listen", "127.0.0.1:0"}, {"secret", control_secret}}},
                               {"state_dir", "state"},
                               {"tenants", {tenant}}};
    if (scale != 1.0) document["lifetime_scale"] = scale;
    auto config = parse_backend_config(document, dir_ / "backend.json");
    backend_ = std::make_unique<Backend>(io_.get_executor(), config);
    backend_->start();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
    auto ready = nlohmann::json::parse(backend_->ready_line().substr(6));
    control_ = ready["control"];
    issuer_ = ready["tenants"]["emea-finance"]["issuer"];
  }

  void TearDown() override {
    if (!backend_) return;
    boost::asio::post(io_, [this] {
      backend_->stop();
      io_.stop();
    });
    for (auto& thread : threads_) thread.join();
    backend_.reset();
    std::filesystem::remove_all(dir_);
  }

  void advance(std::int64_t seconds) { backend_->virtual_clock()->advance(std::chrono::seconds(seconds)); }

  /// authorize -> login -> consent; the authorization response's Location.
  std::string authorize(const std::string& challenge, const std::string& method, const std::string& scope = "finance:read") {
    auto login = get(issuer_, "/authorize?" + encode_form({{"response_type", "code"},
                                                            {"client_id", std::string(scripted)},
                                                            {"redirect_uri", std::string(redirect_uri)},
                                                            {"code_challenge", challenge},
                                                            {"code_challenge_method", method},
                                                            {"resource", std::string(mcp_url)},
                                                            {"scope", scope},
                                                            {"state", "st-1"}}));
    EXPECT_EQ(login.result_int(), 200u) << login[bhttp::field::location] << login.body();
    auto consent = post_form(issuer_, "/authorize/login",
                             {{"txn", txn_of(login.body())}, {"username", "alice"}, {"password", "alice-pw"}});
    EXPECT_EQ(consent.result_int(), 200u) << consent.body();
    auto redirect = post_form(issuer_, "/authorize/consent", {{"txn", txn_of(consent.body())}, {"decision", "approve"}});
    EXPECT_EQ(redirect.result_int(), 302u) << redirect.body();
    return std::string(redirect[bhttp::field::location]);
  }

  http::Response redeem(const std::string& location, const std::string& verifier) {
    return post_form(issuer_, "/token",
                     {{"grant_type", "authorization_code"},
                      {"client_id", std::string(scripted)},
                      {"code", query_param(location, "code")},
                      {"redirect_uri", std::string(redirect_uri)},
                      {"code_verifier", verifier}});
  }

  /// A token response for alice (S256), checked 200 and no-store.
  nlohmann::json sign_in(const std::string& scope = "finance:read") {
    auto verifier = pkce_make_verifier();
    auto response = redeem(authorize(pkce_s256_challenge(verifier), "S256", scope), verifier);
    EXPECT_EQ(response.result_int(), 200u) << response.body();
    expect_no_store(response);
    return json_of(response);
  }

  http::Response refresh(const std::string& token) {
    return post_form(issuer_, "/token",
                     {{"grant_type", "refresh_token"}, {"client_id", std::string(scripted)}, {"refresh_token", token}});
  }

  /// Signs alice in on an issuer with `grace` and refreshes once: the first refresh token and its successor.
  std::pair<std::string, std::string> rotated_once_with_grace(std::int64_t grace) {
    IssuerPolicy policy;
    policy.refresh_grace = Seconds(grace);
    start(policy);
    auto first = sign_in()["refresh_token"].get<std::string>();
    auto rotated = refresh(first);
    EXPECT_EQ(rotated.result_int(), 200u) << rotated.body();
    return {first, json_of(rotated).value("refresh_token", "")};
  }

  std::filesystem::path dir_;
  boost::asio::io_context io_{2};
  std::unique_ptr<Backend> backend_;
  std::vector<std::thread> threads_;
  std::string control_;
  std::string issuer_;
};

// --- refresh grace window -------------------------------------------------------

TEST_F(IssuerPolicyOverHttp, WithoutGraceARotatedRefreshTokenIsReuseAndKillsTheFamily) {
  auto [first, second] = rotated_once_with_grace(0);
  expect_oauth_error(refresh(first), 400, "invalid_grant");
  expect_oauth_error(refresh(second), 400, "invalid_grant");
}

TEST_F(IssuerPolicyOverHttp, WithinTheGraceWindowARotatedTokenRefreshesAndTheFamilyStands) {
  auto [first, second] = rotated_once_with_grace(30);
  advance(29);
  auto retried = refresh(first);
  ASSERT_EQ(retried.result_int(), 200u) << retried.body();
  expect_no_store(retried);
  const std::string third = json_of(retried)["refresh_token"];
  EXPECT_NE(third, second); // a new successor, never the same one twice
  EXPECT_NE(third, first);
  // Both successors belong to the standing family.
  auto with_second = refresh(second);
  EXPECT_EQ(with_second.result_int(), 200u) << with_second.body();
}

TEST_F(IssuerPolicyOverHttp, AfterTheGraceWindowARotatedTokenIsReuseAndKillsTheFamily) {
  auto [first, second] = rotated_once_with_grace(30);
  advance(31);
  expect_oauth_error(refresh(first), 400, "invalid_grant");
  expect_oauth_error(refresh(second), 400, "invalid_grant");
}

TEST_F(IssuerPolicyOverHttp, GraceWindowIsReadFromTheConfigAndBounded) {
  nlohmann::json tenant = {{"id", "t"}, {"region", "r"}, {"fixture", "f.json"}, {"api_listen", "127.0.0.1:0"},
                           {"issuer_listen", "127.0.0.1:0"}, {"refresh_grace_seconds", 10}};
  auto config = parse_backend_config({{"tenants", {tenant}}}, "/tmp/backend.json");
  EXPECT_EQ(config.tenants[0].policy.refresh_grace, Seconds(10));
  tenant["refresh_grace_seconds"] = -1;
  EXPECT_THROW(parse_backend_config({{"tenants", {tenant}}}, "/tmp/backend.json"), mcpcert::ConfigError);
  tenant.erase("refresh_grace_seconds");
  EXPECT_EQ(parse_backend_config({{"tenants", {tenant}}}, "/tmp/backend.json").tenants[0].policy.refresh_grace, Seconds(0));
}

// --- PKCE plain -------------------------------------------------------------------

TEST_F(IssuerPolicyOverHttp, PlainIsRefusedByDefault) {
  start({});
  auto metadata = json_of(get(issuer_, "/.well-known/oauth-authorization-server"));
  EXPECT_EQ(metadata["code_challenge_methods_supported"], nlohmann::json::array({"S256"}));
  auto verifier = pkce_make_verifier();
  auto refused = get(issuer_, "/authorize?" + encode_form({{"response_type", "code"},
                                                            {"client_id", std::string(scripted)},
                                                            {"redirect_uri", std::string(redirect_uri)},
                                                            {"code_challenge", verifier},
                                                            {"code_challenge_method", "plain"},
                                                            {"resource", std::string(mcp_url)},
                                                            {"state", "st-1"}}));
  ASSERT_EQ(refused.result_int(), 302u);
  EXPECT_EQ(query_param(refused[bhttp::field::location], "error"), "invalid_request");
  EXPECT_EQ(query_param(refused[bhttp::field::location], "state"), "st-1");
  EXPECT_EQ(query_param(refused[bhttp::field::location], "iss"), issuer_);
}

TEST_F(IssuerPolicyOverHttp, PlainWhenAllowedIsAdvertisedAndNeedsTheVerifierItself) {
  IssuerPolicy policy;
  policy.allow_plain_pkce = true;
  start(policy);
  auto metadata = json_of(get(issuer_, "/.well-known/oauth-authorization-server"));
  EXPECT_EQ(metadata["code_challenge_methods_supported"], nlohmann::json::array({"S256", "plain"}));

  auto verifier = pkce_make_verifier();
  // The S256 transform of the verifier is not the plain challenge.
  auto wrong = redeem(authorize(verifier, "plain"), pkce_s256_challenge(verifier) + "abc");
  expect_oauth_error(wrong, 400, "invalid_grant");
  auto granted = redeem(authorize(verifier, "plain"), verifier);
  EXPECT_EQ(granted.result_int(), 200u) << granted.body();
  expect_no_store(granted);
  // S256 still works beside it.
  EXPECT_TRUE(sign_in().contains("access_token"));
}

TEST_F(IssuerPolicyOverHttp, PlainChallengeMustBeAWellFormedVerifier) {
  IssuerPolicy policy;
  policy.allow_plain_pkce = true;
  start(policy);
  auto refused = get(issuer_, "/authorize?" + encode_form({{"response_type", "code"},
                                                            {"client_id", std::string(scripted)},
                                                            {"redirect_uri", std::string(redirect_uri)},
                                                            {"code_challenge", std::string(42, 'a')},
                                                            {"code_challenge_method", "plain"},
                                                            {"resource", std::string(mcp_url)},
                                                            {"state", "st-1"}}));
  ASSERT_EQ(refused.result_int(), 302u);
  EXPECT_EQ(query_param(refused[bhttp::field::location], "error"), "invalid_request");
}

// --- offline_access -----------------------------------------------------------------

TEST_F(IssuerPolicyOverHttp, ByDefaultEveryCodeRedemptionGetsARefreshToken) {
  start({});
  EXPECT_TRUE(sign_in().contains("refresh_token"));
  auto with_offline = sign_in("finance:read offline_access");
  EXPECT_TRUE(with_offline.contains("refresh_token"));
  EXPECT_EQ(with_offline["scope"], "finance:read offline_access");
}

TEST_F(IssuerPolicyOverHttp, OidcFlavouredIssuerGivesRefreshTokensOnlyForOfflineAccess) {
  IssuerPolicy policy;
  policy.refresh_requires_offline_access = true;
  start(policy);
  auto online = sign_in();
  EXPECT_TRUE(online.contains("access_token"));
  EXPECT_FALSE(online.contains("refresh_token")) << online.dump();
  auto offline = sign_in("finance:read offline_access");
  ASSERT_TRUE(offline.contains("refresh_token")) << offline.dump();
  auto refreshed = refresh(offline["refresh_token"]);
  EXPECT_EQ(refreshed.result_int(), 200u) << refreshed.body();
  EXPECT_TRUE(json_of(refreshed).contains("refresh_token"));
}

// --- scaled time -------------------------------------------------------------------

TEST_F(IssuerPolicyOverHttp, ScaledLifetimesShortenEveryExpiry) {
  IssuerPolicy policy;
  policy.refresh_grace = Seconds(100);
  start(policy, 0.001); // 1 h -> 4 s, 30 d -> 2592 s, 60 s code -> 1 s (never 0)
  const auto& lifetimes = backend_->find_tenant("emea-finance")->authorization_server().policy();
  EXPECT_EQ(lifetimes.refresh_grace, Seconds(1)); // 0.1 s rounds up to the 1 s minimum
  auto tokens = sign_in();
  EXPECT_EQ(tokens["expires_in"], 4);
  advance(2591);
  auto alive = refresh(tokens["refresh_token"]);
  ASSERT_EQ(alive.result_int(), 200u) << alive.body();
  advance(2593);
  expect_oauth_error(refresh(json_of(alive)["refresh_token"]), 400, "invalid_grant");

  // A code lives one scaled second.
  auto verifier = pkce_make_verifier();
  auto location = authorize(pkce_s256_challenge(verifier), "S256");
  advance(1);
  expect_oauth_error(redeem(location, verifier), 400, "invalid_grant");
}

TEST_F(IssuerPolicyOverHttp, LifetimeScaleMustBeAFractionOfOne) {
  nlohmann::json tenant = {{"id", "t"}, {"region", "r"}, {"fixture", "f.json"}, {"api_listen", "127.0.0.1:0"},
                           {"issuer_listen", "127.0.0.1:0"}};
  for (auto bad : {nlohmann::json(0), nlohmann::json(-0.5), nlohmann::json(2), nlohmann::json("fast")})
    EXPECT_THROW(parse_backend_config({{"lifetime_scale", bad}, {"tenants", {tenant}}}, "/tmp/backend.json"), mcpcert::ConfigError) << bad;
  auto config = parse_backend_config({{"lifetime_scale", 0.5}, {"tenants", {tenant}}}, "/tmp/backend.json");
  EXPECT_EQ(config.tenants[0].lifetimes.access, Seconds(1800));
  EXPECT_EQ(config.tenants[0].lifetimes.refresh, Seconds(1'296'000));
  EXPECT_EQ(config.tenants[0].lifetimes.code, Seconds(30));
}

} // namespace
} // namespace mcpcert::backend
