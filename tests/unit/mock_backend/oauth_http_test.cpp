// The authorization server's rules and their failures, over real HTTP on
// loopback: two tenants in one backend (file-backed SQLite state), its
// io_context on four threads, time moved only through the virtual clock.
// Every refusal is checked for its exact status, its RFC error code and,
// where the RFCs ask for it, Cache-Control: no-store.
#include "mcpcert/mock_backend/backend.hpp"

#include <fstream>
#include <latch>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "loopback_http.hpp"
#include "mcpcert/crypto.hpp"
#include "mcpcert/jwt.hpp"
#include "mcpcert/pkce.hpp"
#include "tenant_world.hpp"

namespace mcpcert::backend {
namespace {

using namespace loopback;

constexpr std::string_view control_secret = "control-secret-for-oauth-tests";
constexpr std::string_view tenant_a = "emea-finance";
constexpr std::string_view tenant_b = "apac-finance";
constexpr std::string_view scripted = "mcpcert-scripted-client";
constexpr std::string_view connector = "mcpcert-connector";
constexpr std::string_view connector_secret = "connector-secret-for-tests";
constexpr std::string_view redirect_uri = "http://127.0.0.1:40000/callback";
constexpr std::string_view mcp_url = "http://127.0.0.1:45700/mcp";
constexpr std::int64_t access_ttl = 3600;
constexpr std::int64_t refresh_ttl = 2'592'000;
constexpr std::int64_t code_ttl = 60;

std::string basic(std::string_view id, std::string_view secret) {
  return "Basic " + base64_encode(std::string(id) + ":" + std::string(secret));
}

std::string connector_basic() { return basic(connector, connector_secret); }

std::string digest(std::string_view token) { return hex_encode(sha256(token)); }

/// The status, the `error` code and Cache-Control: no-store of an OAuth error answer.
void expect_oauth_error(const http::Response& response, unsigned status, std::string_view error) {
  EXPECT_EQ(response.result_int(), status) << response.body();
  EXPECT_EQ(json_of(response).value("error", ""), error) << response.body();
  EXPECT_EQ(response[bhttp::field::cache_control], "no-store");
}

/// A 302 back to the client carrying `error`, the state and the issuer (RFC 9207).
void expect_error_redirect(const http::Response& response, std::string_view error, const std::string& issuer) {
  ASSERT_EQ(response.result_int(), 302u) << response.body();
  std::string location(response[bhttp::field::location]);
  EXPECT_TRUE(location.starts_with(std::string(redirect_uri) + "?")) << location;
  EXPECT_EQ(query_param(location, "error"), error) << location;
  EXPECT_EQ(query_param(location, "state"), "st-42");
  EXPECT_EQ(query_param(location, "iss"), issuer);
  EXPECT_EQ(response[bhttp::field::cache_control], "no-store");
}

/// An error page: no redirect to a target that could not be trusted.
void expect_error_page(const http::Response& response) {
  EXPECT_EQ(response.result_int(), 400u);
  EXPECT_TRUE(response[bhttp::field::location].empty());
  EXPECT_TRUE(std::string(response[bhttp::field::content_type]).starts_with("text/html"));
  EXPECT_EQ(response[bhttp::field::cache_control], "no-store");
}

void expect_inactive(const http::Response& response) {
  EXPECT_EQ(response.result_int(), 200u) << response.body();
  EXPECT_EQ(json_of(response), nlohmann::json({{"active", false}})) << response.body();
  EXPECT_EQ(response[bhttp::field::cache_control], "no-store");
}

struct IssuedCode {
  std::string code;
  std::string verifier;
};

struct Tokens {
  std::string access;
  std::string refresh;
};

class OAuthOverHttp : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "mcpcert-oauth-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;

    BackendConfig config;
    config.simulation = true;
    // Filled in place: g++ 12 -O2 wrongly sees a copied temporary as uninitialized.
    auto& control = config.control.emplace();
    control.listen = {"127.0.0.1", 0};
    control.secret = std::string(control_secret);
    config.state_dir = dir_ / "state";
    for (auto [id, region] : {std::pair{tenant_a, "eu-central-1"}, std::pair{tenant_b, "ap-southeast-2"}}) {
      auto fixture = test_world::test_fixture();
      fixture["tenant"] = id;
      auto file = dir_ / (std::string(id) + ".json");
      std::ofstream(file) << fixture.dump();
      TenantConfig tenant;
      tenant.id = id;
      tenant.region = region;
      tenant.fixture = file;
      tenant.api_listen = {"127.0.0.1", 0};
      tenant.issuer_listen = {"127.0.0.1", 0};
      tenant.lifetimes.access = Seconds(access_ttl);
      tenant.lifetimes.refresh = Seconds(refresh_ttl);
      tenant.lifetimes.code = Seconds(code_ttl);
      tenant.resources = {{std::string(mcp_url), std::string(connector)}};
      config.tenants.push_back(tenant);
    }
    backend_ = std::make_unique<Backend>(io_.get_executor(), config);
    backend_->start();
    // Several threads, so concurrent requests really run concurrently.
    for (int i = 0; i < 4; ++i) threads_.emplace_back([this] { io_.run(); });

    auto ready = nlohmann::json::parse(backend_->ready_line().substr(6));
    control_ = ready["control"];
    issuer_ = ready["tenants"][std::string(tenant_a)]["issuer"];
    api_ = ready["tenants"][std::string(tenant_a)]["api"];
    issuer_b_ = ready["tenants"][std::string(tenant_b)]["issuer"];
    api_b_ = ready["tenants"][std::string(tenant_b)]["api"];
  }

  void TearDown() override {
    boost::asio::post(io_, [this] {
      backend_->stop();
      io_.stop();
    });
    for (auto& thread : threads_) thread.join();
    backend_.reset();
    std::filesystem::remove_all(dir_);
  }

  void advance(std::int64_t seconds) { backend_->virtual_clock()->advance(std::chrono::seconds(seconds)); }

  http::Response control(bhttp::verb verb, const std::string& target, const nlohmann::json& body = nullptr) {
    return send(control_, {verb, target, body.is_null() ? "" : body.dump(), body.is_null() ? "" : "application/json",
                           "Bearer " + std::string(control_secret)});
  }

  static FormFields authorization_query(const std::string& challenge) {
    return {{"response_type", "code"},
            {"client_id", std::string(scripted)},
            {"redirect_uri", std::string(redirect_uri)},
            {"code_challenge", challenge},
            {"code_challenge_method", "S256"},
            {"resource", std::string(mcp_url)},
            {"scope", "finance:read"},
            {"state", "st-42"}};
  }

  http::Response authorize(const FormFields& query, const std::string& issuer = {}) {
    return get(issuer.empty() ? issuer_ : issuer, "/authorize?" + encode_form(query));
  }

  /// authorize -> login -> consent for `user`; the code and its verifier.
  IssuedCode obtain_code(const std::string& user, const std::string& password, const std::string& issuer = {},
                         FormFields query = {}) {
    const auto& base = issuer.empty() ? issuer_ : issuer;
    IssuedCode out;
    out.verifier = pkce_make_verifier();
    if (query.empty()) query = authorization_query(pkce_s256_challenge(out.verifier));
    auto login = authorize(query, base);
    EXPECT_EQ(login.result_int(), 200u) << login.body();
    auto consent = post_form(base, "/authorize/login",
                             {{"txn", txn_of(login.body())}, {"username", user}, {"password", password}});
    EXPECT_EQ(consent.result_int(), 200u) << consent.body();
    auto redirect = post_form(base, "/authorize/consent", {{"txn", txn_of(consent.body())}, {"decision", "approve"}});
    EXPECT_EQ(redirect.result_int(), 302u) << redirect.body();
    out.code = query_param(redirect[bhttp::field::location], "code");
    return out;
  }

  http::Response redeem(const IssuedCode& issued, const std::string& issuer = {},
                        std::string_view client = scripted) {
    return post_form(issuer.empty() ? issuer_ : issuer, "/token",
                     {{"grant_type", "authorization_code"},
                      {"client_id", std::string(client)},
                      {"code", issued.code},
                      {"redirect_uri", std::string(redirect_uri)},
                      {"code_verifier", issued.verifier}});
  }

  Tokens sign_in(const std::string& user = "alice", const std::string& password = "alice-pw",
                 const std::string& issuer = {}) {
    auto response = redeem(obtain_code(user, password, issuer), issuer);
    EXPECT_EQ(response.result_int(), 200u) << response.body();
    auto body = json_of(response);
    return {body.value("access_token", ""), body.value("refresh_token", "")};
  }

  http::Response refresh(const std::string& refresh_token, std::string_view client = scripted) {
    return post_form(issuer_, "/token",
                     {{"grant_type", "refresh_token"}, {"client_id", std::string(client)}, {"refresh_token", refresh_token}});
  }

  http::Response exchange(const std::string& subject_token, const std::string& issuer = {},
                          const std::string& audience = {}) {
    return post_form(issuer.empty() ? issuer_ : issuer, "/token",
                     {{"grant_type", std::string(grant_token_exchange)},
                      {"subject_token", subject_token},
                      {"subject_token_type", std::string(token_type_access_token)},
                      {"audience", audience.empty() ? (issuer.empty() || issuer == issuer_ ? api_ : api_b_) : audience}},
                     connector_basic());
  }

  http::Response introspect(const std::string& token, std::string authorization = connector_basic()) {
    return post_form(issuer_, "/introspect", {{"token", token}}, std::move(authorization));
  }

  http::Response revoke(const std::string& token, std::string_view hint = {}, std::string_view client = scripted) {
    FormFields form{{"token", token}, {"client_id", std::string(client)}};
    if (!hint.empty()) form["token_type_hint"] = std::string(hint);
    return post_form(issuer_, "/revoke", form);
  }

  nlohmann::json auth_events(std::uint64_t since_seq = 0) {
    return json_of(control(bhttp::verb::get, "/control/tenants/" + std::string(tenant_a) +
                                                 "/auth-events?since_seq=" + std::to_string(since_seq)));
  }

  static bool has_event(const nlohmann::json& events, std::string_view kind) {
    for (const auto& event : events["events"])
      if (event["event"] == kind) return true;
    return false;
  }

  std::filesystem::path dir_;
  boost::asio::io_context io_{4};
  std::unique_ptr<Backend> backend_;
  std::vector<std::thread> threads_;
  std::string control_;
  std::string issuer_;
  std::string api_;
  std::string issuer_b_;
  std::string api_b_;
};

// --- discovery ----------------------------------------------------------------

TEST_F(OAuthOverHttp, MetadataAdvertisesRevocationIntrospectionAndRegistration) {
  auto metadata = json_of(get(issuer_, "/.well-known/oauth-authorization-server"));
  EXPECT_EQ(metadata["revocation_endpoint"], issuer_ + "/revoke");
  EXPECT_EQ(metadata["introspection_endpoint"], issuer_ + "/introspect");
  EXPECT_EQ(metadata["registration_endpoint"], issuer_ + "/register");
  EXPECT_EQ(metadata["code_challenge_methods_supported"], nlohmann::json::array({"S256"}));
  EXPECT_EQ(json_of(get(issuer_, "/.well-known/openid-configuration")), metadata);
}

// --- /authorize ---------------------------------------------------------------

TEST_F(OAuthOverHttp, AuthorizeRefusalsRedirectWithTheRfcErrorStateAndIssuer) {
  auto challenge = pkce_s256_challenge(pkce_make_verifier());
  auto missing_challenge = authorization_query(challenge);
  missing_challenge.erase("code_challenge");
  expect_error_redirect(authorize(missing_challenge), "invalid_request", issuer_);

  auto plain = authorization_query(challenge);
  plain["code_challenge_method"] = "plain";
  expect_error_redirect(authorize(plain), "invalid_request", issuer_);

  auto token_response = authorization_query(challenge);
  token_response["response_type"] = "token";
  expect_error_redirect(authorize(token_response), "unsupported_response_type", issuer_);

  auto no_resource = authorization_query(challenge);
  no_resource.erase("resource");
  expect_error_redirect(authorize(no_resource), "invalid_target", issuer_);

  auto foreign_resource = authorization_query(challenge);
  foreign_resource["resource"] = "http://127.0.0.1:45701/someone-elses-mcp";
  expect_error_redirect(authorize(foreign_resource), "invalid_target", issuer_);

  auto unknown_scope = authorization_query(challenge);
  unknown_scope["scope"] = "finance:read admin:all";
  expect_error_redirect(authorize(unknown_scope), "invalid_scope", issuer_);
}

TEST_F(OAuthOverHttp, AuthorizeWithUntrustedRedirectShowsAPageNeverARedirect) {
  auto query = authorization_query(pkce_s256_challenge(pkce_make_verifier()));
  query["redirect_uri"] = "http://127.0.0.1:40000/elsewhere";
  expect_error_page(authorize(query));
  query["redirect_uri"] = "https://attacker.example/callback";
  expect_error_page(authorize(query));
  query["redirect_uri"] = std::string(redirect_uri);
  query["client_id"] = "no-such-client";
  expect_error_page(authorize(query));
  expect_error_page(get(issuer_, "/authorize?client_id=a&client_id=b"));
}

// --- authorization_code grant -----------------------------------------------------

TEST_F(OAuthOverHttp, ReplayedCodeIsRefusedAndRevokesTheFirstIssuance) {
  auto issued = obtain_code("alice", "alice-pw");
  auto first = redeem(issued);
  ASSERT_EQ(first.result_int(), 200u) << first.body();
  EXPECT_EQ(first[bhttp::field::cache_control], "no-store");
  auto tokens = json_of(first);

  expect_oauth_error(redeem(issued), 400, "invalid_grant");
  expect_oauth_error(refresh(tokens["refresh_token"]), 400, "invalid_grant");
  expect_inactive(introspect(tokens["access_token"]));
  expect_oauth_error(exchange(tokens["access_token"]), 400, "invalid_grant");
  EXPECT_TRUE(has_event(auth_events(), "reuse_detected"));
}

TEST_F(OAuthOverHttp, VerifierRulesOfRfc7636) {
  auto wrong = obtain_code("alice", "alice-pw");
  wrong.verifier = pkce_make_verifier();
  expect_oauth_error(redeem(wrong), 400, "invalid_grant");

  auto short_verifier = obtain_code("alice", "alice-pw");
  short_verifier.verifier = std::string(42, 'a');
  expect_oauth_error(redeem(short_verifier), 400, "invalid_request");

  auto long_verifier = obtain_code("alice", "alice-pw");
  long_verifier.verifier = std::string(129, 'a');
  expect_oauth_error(redeem(long_verifier), 400, "invalid_request");

  auto bad_charset = obtain_code("alice", "alice-pw");
  bad_charset.verifier = std::string(42, 'a') + "+";
  expect_oauth_error(redeem(bad_charset), 400, "invalid_request");

  auto missing = obtain_code("alice", "alice-pw");
  missing.verifier.clear();
  expect_oauth_error(redeem(missing), 400, "invalid_request");

  // The limits themselves are fine: 43 and 128 characters of the full charset.
  for (auto length : {43u, 128u}) {
    std::string verifier;
    while (verifier.size() < length) verifier += "aZ09-._~";
    verifier.resize(length);
    auto query = authorization_query(pkce_s256_challenge(verifier));
    auto issued = obtain_code("alice", "alice-pw", {}, query);
    issued.verifier = verifier;
    EXPECT_EQ(redeem(issued).result_int(), 200u) << length;
  }
}

TEST_F(OAuthOverHttp, RedirectUriMismatchAtTokenIsInvalidGrant) {
  auto issued = obtain_code("alice", "alice-pw");
  expect_oauth_error(post_form(issuer_, "/token",
                               {{"grant_type", "authorization_code"},
                                {"client_id", std::string(scripted)},
                                {"code", issued.code},
                                {"redirect_uri", "http://127.0.0.1:40000/other"},
                                {"code_verifier", issued.verifier}}),
                     400, "invalid_grant");
}

TEST_F(OAuthOverHttp, CodeLivesItsTtlToTheSecond) {
  auto in_time = obtain_code("alice", "alice-pw");
  auto late = obtain_code("bob", "bob-pw");
  advance(code_ttl - 1);
  EXPECT_EQ(redeem(in_time).result_int(), 200u);
  advance(2);
  expect_oauth_error(redeem(late), 400, "invalid_grant");
}

TEST_F(OAuthOverHttp, CodeOfAnotherClientIsInvalidGrant) {
  ASSERT_EQ(control(bhttp::verb::post, "/control/tenants/emea-finance/clients",
                    {{"client_id", "second-app"}, {"type", "public"}, {"redirect_uris", {"http://127.0.0.1/callback"}}})
                .result_int(),
            201u);
  expect_oauth_error(redeem(obtain_code("alice", "alice-pw"), {}, "second-app"), 400, "invalid_grant");
}

// --- /token: requests refused before any grant logic --------------------------------

TEST_F(OAuthOverHttp, TokenEndpointRequestRefusals) {
  expect_oauth_error(post_form(issuer_, "/token", {{"grant_type", "refresh_token"}, {"client_id", "nobody"}}), 401,
                     "invalid_client");
  auto unknown = post_form(issuer_, "/token", {{"grant_type", "refresh_token"}, {"client_id", "nobody"}});
  EXPECT_TRUE(std::string(unknown[bhttp::field::www_authenticate]).starts_with("Basic"));

  expect_oauth_error(post_form(issuer_, "/token", {{"grant_type", "password"}, {"client_id", std::string(scripted)},
                                                   {"username", "alice"}, {"password", "alice-pw"}}),
                     400, "unsupported_grant_type");
  expect_oauth_error(post_form(issuer_, "/token", {{"grant_type", "implicit"}, {"client_id", std::string(scripted)}}),
                     400, "unsupported_grant_type");
  expect_oauth_error(post_form(issuer_, "/token", {{"client_id", std::string(scripted)}}), 400, "invalid_request");

  // Repeated parameters (RFC 6749 3.2).
  expect_oauth_error(send(issuer_, {bhttp::verb::post, "/token",
                                    "grant_type=refresh_token&refresh_token=a&refresh_token=b&client_id=mcpcert-scripted-client",
                                    "application/x-www-form-urlencoded", ""}),
                     400, "invalid_request");
  // Not a form.
  expect_oauth_error(send(issuer_, {bhttp::verb::post, "/token", R"({"grant_type":"refresh_token"})",
                                    "application/json", ""}),
                     400, "invalid_request");
  expect_oauth_error(send(issuer_, {bhttp::verb::post, "/token", "grant_type=refresh_token", "", ""}), 400,
                     "invalid_request");
  // Client authentication done wrong.
  expect_oauth_error(post_form(issuer_, "/token", {{"grant_type", std::string(grant_token_exchange)}}, "Basic !!!!"),
                     401, "invalid_client");
  expect_oauth_error(post_form(issuer_, "/token", {{"grant_type", std::string(grant_token_exchange)}},
                               basic(connector, "not-the-secret")),
                     401, "invalid_client");
  expect_oauth_error(post_form(issuer_, "/token",
                               {{"grant_type", "refresh_token"}, {"client_id", std::string(scripted)},
                                {"client_secret", "public-clients-have-none"}, {"refresh_token", "x"}}),
                     401, "invalid_client");
  expect_oauth_error(post_form(issuer_, "/token",
                               {{"grant_type", std::string(grant_token_exchange)}, {"client_id", std::string(connector)},
                                {"client_secret", std::string(connector_secret)}},
                               connector_basic()),
                     400, "invalid_request");
  expect_oauth_error(refresh("no-such-refresh-token"), 400, "invalid_grant");

  auto wrong_method = get(issuer_, "/token");
  EXPECT_EQ(wrong_method.result_int(), 405u);
  EXPECT_EQ(wrong_method[bhttp::field::allow], "POST");

  // Every /token error is an auth event, those refused before the form was read included.
  std::size_t errors = 0;
  auto events = auth_events();
  for (const auto& event : events["events"]) errors += event["event"] == "token_error" ? 1 : 0;
  EXPECT_EQ(errors, 13u) << events.dump();
}

// --- refresh_token grant -----------------------------------------------------------

TEST_F(OAuthOverHttp, RefreshTokenLivesItsTtlToTheSecond) {
  auto in_time = sign_in("alice", "alice-pw");
  auto late = sign_in("bob", "bob-pw");
  advance(refresh_ttl - 1);
  auto refreshed = refresh(in_time.refresh);
  EXPECT_EQ(refreshed.result_int(), 200u) << refreshed.body();
  advance(2);
  expect_oauth_error(refresh(late.refresh), 400, "invalid_grant");
  // The rotated token got a lifetime of its own.
  EXPECT_EQ(refresh(json_of(refreshed)["refresh_token"]).result_int(), 200u);
}

TEST_F(OAuthOverHttp, RotatedTokenReuseRevokesTheFamily) {
  auto first = sign_in();
  auto second = refresh(first.refresh);
  ASSERT_EQ(second.result_int(), 200u);
  auto rotated = json_of(second);
  EXPECT_NE(rotated["refresh_token"], first.refresh);

  expect_oauth_error(refresh(first.refresh), 400, "invalid_grant");
  // The legitimate newest token and everything else of the family die with it.
  expect_oauth_error(refresh(rotated["refresh_token"]), 400, "invalid_grant");
  expect_inactive(introspect(rotated["access_token"]));
  expect_oauth_error(exchange(rotated["access_token"]), 400, "invalid_grant");
  auto grants = json_of(control(bhttp::verb::get, "/control/tenants/emea-finance/grants?user=alice"));
  ASSERT_EQ(grants["grants"].size(), 1u);
  EXPECT_EQ(grants["grants"][0]["revoked_reason"], "refresh token reused");
}

TEST_F(OAuthOverHttp, TenConcurrentRefreshesOfOneTokenExactlyOneSucceeds) {
  auto tokens = sign_in();
  std::latch start(10);
  std::vector<http::Response> responses(10);
  std::vector<std::thread> clients;
  for (std::size_t i = 0; i < 10; ++i) {
    clients.emplace_back([&, i] {
      start.arrive_and_wait();
      responses[i] = refresh(tokens.refresh);
    });
  }
  for (auto& thread : clients) thread.join();

  std::size_t won = 0;
  std::string winner_refresh;
  for (const auto& response : responses) {
    if (response.result_int() == 200u) {
      ++won;
      winner_refresh = json_of(response)["refresh_token"];
    } else {
      expect_oauth_error(response, 400, "invalid_grant");
    }
  }
  EXPECT_EQ(won, 1u);
  // The others were second presentations of one token: reuse, and with no
  // grace window the family (the winner's new token included) is revoked.
  expect_oauth_error(refresh(winner_refresh), 400, "invalid_grant");
  EXPECT_TRUE(has_event(auth_events(), "reuse_detected"));
}

TEST_F(OAuthOverHttp, RefreshRacingRevocationLeavesNoLiveToken) {
  for (int round = 0; round < 5; ++round) {
    auto tokens = sign_in();
    std::latch start(2);
    http::Response refreshed;
    http::Response revoked;
    std::thread refresher([&] {
      start.arrive_and_wait();
      refreshed = refresh(tokens.refresh);
    });
    std::thread revoker([&] {
      start.arrive_and_wait();
      revoked = revoke(tokens.refresh, "refresh_token");
    });
    refresher.join();
    revoker.join();

    EXPECT_EQ(revoked.result_int(), 200u) << revoked.body();
    expect_oauth_error(refresh(tokens.refresh), 400, "invalid_grant");
    expect_inactive(introspect(tokens.access));
    if (refreshed.result_int() == 200u) {
      // The refresh won the race: revocation then took its tokens along.
      auto body = json_of(refreshed);
      expect_oauth_error(refresh(body["refresh_token"]), 400, "invalid_grant");
      expect_inactive(introspect(body["access_token"]));
    } else {
      expect_oauth_error(refreshed, 400, "invalid_grant");
    }
  }
}

TEST_F(OAuthOverHttp, CrossClientRefreshIsRefusedWithoutBurningTheFamily) {
  ASSERT_EQ(control(bhttp::verb::post, "/control/tenants/emea-finance/clients",
                    {{"client_id", "second-app"}, {"type", "public"}, {"redirect_uris", {"http://127.0.0.1/callback"}}})
                .result_int(),
            201u);
  auto tokens = sign_in();
  expect_oauth_error(refresh(tokens.refresh, "second-app"), 400, "invalid_grant");
  EXPECT_EQ(refresh(tokens.refresh).result_int(), 200u);
}

TEST_F(OAuthOverHttp, ScopeMayNotWidenAtRefresh) {
  auto tokens = sign_in();
  expect_oauth_error(post_form(issuer_, "/token",
                               {{"grant_type", "refresh_token"},
                                {"client_id", std::string(scripted)},
                                {"refresh_token", tokens.refresh},
                                {"scope", "finance:read finance:write"}}),
                     400, "invalid_scope");
  expect_oauth_error(post_form(issuer_, "/token",
                               {{"grant_type", "refresh_token"},
                                {"client_id", std::string(scripted)},
                                {"refresh_token", tokens.refresh},
                                {"resource", "http://127.0.0.1:45701/other"}}),
                     400, "invalid_target");
}

TEST_F(OAuthOverHttp, LostMcpAccessStopsRefresh) {
  auto tokens = sign_in();
  ASSERT_EQ(control(bhttp::verb::post, "/control/tenants/emea-finance/admin/mcp-access",
                    {{"user", "alice"}, {"entity", "ent-brussels"}, {"granted", false}})
                .result_int(),
            200u);
  expect_oauth_error(refresh(tokens.refresh), 400, "invalid_grant");
}

// --- token exchange ----------------------------------------------------------------

TEST_F(OAuthOverHttp, CrossTenantExchangeIsRefused) {
  auto of_tenant_a = sign_in();
  auto refused = exchange(of_tenant_a.access, issuer_b_);
  expect_oauth_error(refused, 400, "invalid_grant");
  // The same token is fine at its own tenant, and tenant B's own tokens at B.
  EXPECT_EQ(exchange(of_tenant_a.access).result_int(), 200u);
  auto of_tenant_b = sign_in("alice", "alice-pw", issuer_b_);
  EXPECT_EQ(exchange(of_tenant_b.access, issuer_b_).result_int(), 200u);
  expect_oauth_error(exchange(of_tenant_b.access), 400, "invalid_grant");
}

TEST_F(OAuthOverHttp, ExchangeRefusesExpiredRevokedAndWithdrawnSubjects) {
  auto expiring = sign_in("alice", "alice-pw");
  auto revoked = sign_in("alice", "alice-pw");
  auto withdrawn = sign_in("bob", "bob-pw");

  ASSERT_EQ(revoke(revoked.access, "access_token").result_int(), 200u);
  auto refused = exchange(revoked.access);
  expect_oauth_error(refused, 400, "invalid_grant");
  EXPECT_EQ(json_of(refused)["error_description"], "subject token revoked");

  ASSERT_EQ(control(bhttp::verb::post, "/control/tenants/emea-finance/admin/mcp-access",
                    {{"user", "bob"}, {"entity", "ent-brussels"}, {"granted", false}})
                .result_int(),
            200u);
  refused = exchange(withdrawn.access);
  expect_oauth_error(refused, 400, "invalid_grant");
  EXPECT_EQ(json_of(refused)["error_description"], "user has no MCP Access on entity ent-brussels");

  advance(access_ttl - 1);
  EXPECT_EQ(exchange(expiring.access).result_int(), 200u);
  advance(2);
  refused = exchange(expiring.access);
  expect_oauth_error(refused, 400, "invalid_grant");
  EXPECT_EQ(json_of(refused)["error_description"], "subject token expired");
  EXPECT_TRUE(has_event(auth_events(), "token_exchange_refused"));
}

TEST_F(OAuthOverHttp, ExchangeRefusesPublicClientsForeignAudiencesAndRefreshTokens) {
  auto tokens = sign_in();
  expect_oauth_error(post_form(issuer_, "/token",
                               {{"grant_type", std::string(grant_token_exchange)},
                                {"client_id", std::string(scripted)},
                                {"subject_token", tokens.access},
                                {"subject_token_type", std::string(token_type_access_token)},
                                {"audience", api_}}),
                     400, "unauthorized_client");
  expect_oauth_error(exchange(tokens.access, {}, api_b_), 400, "invalid_target");
  expect_oauth_error(exchange(tokens.refresh), 400, "invalid_grant");
}

// --- /introspect ---------------------------------------------------------------------

TEST_F(OAuthOverHttp, IntrospectionNeedsAConfidentialClient) {
  auto tokens = sign_in();
  auto anonymous = introspect(tokens.access, "");
  expect_oauth_error(anonymous, 401, "invalid_client");
  EXPECT_TRUE(std::string(anonymous[bhttp::field::www_authenticate]).starts_with("Basic"));
  expect_oauth_error(introspect(tokens.access, basic(connector, "wrong-secret-wrong")), 401, "invalid_client");
  expect_oauth_error(post_form(issuer_, "/introspect", {{"token", tokens.access}, {"client_id", std::string(scripted)}}),
                     401, "invalid_client");
  expect_oauth_error(post_form(issuer_, "/introspect", {}, connector_basic()), 400, "invalid_request");
  expect_oauth_error(send(issuer_, {bhttp::verb::post, "/introspect", "token=a&token=b",
                                    "application/x-www-form-urlencoded", connector_basic()}),
                     400, "invalid_request");
}

TEST_F(OAuthOverHttp, IntrospectionOfAnActiveToken) {
  auto tokens = sign_in();
  auto response = introspect(tokens.access);
  ASSERT_EQ(response.result_int(), 200u) << response.body();
  EXPECT_EQ(response[bhttp::field::cache_control], "no-store");
  auto body = json_of(response);
  EXPECT_EQ(body["active"], true);
  EXPECT_EQ(body["scope"], "finance:read");
  EXPECT_EQ(body["client_id"], scripted);
  EXPECT_EQ(body["sub"], "alice");
  EXPECT_EQ(body["iss"], issuer_);
  EXPECT_EQ(body["aud"], mcp_url);
  EXPECT_EQ(body["token_type"], "Bearer");
  EXPECT_EQ(body["tenant"], tenant_a);
  EXPECT_EQ(body["entity"], "ent-brussels");
  EXPECT_FALSE(body["jti"].get<std::string>().empty());
  EXPECT_GT(body["exp"].get<std::int64_t>(), body["iat"].get<std::int64_t>());
}

TEST_F(OAuthOverHttp, IntrospectionSeesAccessTokenExpiryToTheSecond) {
  auto tokens = sign_in();
  advance(access_ttl - 1);
  EXPECT_EQ(json_of(introspect(tokens.access))["active"], true);
  advance(2);
  expect_inactive(introspect(tokens.access));
}

TEST_F(OAuthOverHttp, InactiveAndForeignTokensGiveOnlyActiveFalse) {
  auto tokens = sign_in();
  expect_inactive(introspect("not-a-token"));
  expect_inactive(introspect(sign_in("alice", "alice-pw", issuer_b_).access)); // another tenant's
  // A confidential client that is neither the token's client nor its resource server learns nothing.
  ASSERT_EQ(control(bhttp::verb::post, "/control/tenants/emea-finance/clients",
                    {{"client_id", "bystander"}, {"type", "confidential"}, {"client_secret", "bystander-secret-0001"}})
                .result_int(),
            201u);
  expect_inactive(introspect(tokens.access, basic("bystander", "bystander-secret-0001")));
  ASSERT_EQ(revoke(tokens.access, "access_token").result_int(), 200u);
  expect_inactive(introspect(tokens.access));
}

// --- /revoke -------------------------------------------------------------------------

TEST_F(OAuthOverHttp, RevokingTheRefreshTokenKillsTheGrant) {
  auto tokens = sign_in();
  auto exchanged = json_of(exchange(tokens.access))["access_token"].get<std::string>();
  auto response = revoke(tokens.refresh); // no hint: only a hint anyway
  ASSERT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response[bhttp::field::cache_control], "no-store");
  EXPECT_TRUE(response.body().empty());

  expect_oauth_error(refresh(tokens.refresh), 400, "invalid_grant");
  expect_inactive(introspect(tokens.access));
  expect_oauth_error(exchange(tokens.access), 400, "invalid_grant");
  auto api = get(api_, "/api/v1/entities/ent-brussels/kpis", "Bearer " + exchanged);
  EXPECT_EQ(api.result_int(), 401u);
  EXPECT_NE(std::string(api[bhttp::field::www_authenticate]).find("invalid_token"), std::string::npos);
  EXPECT_TRUE(has_event(auth_events(), "revocation"));
}

TEST_F(OAuthOverHttp, RevokingAnAccessTokenKillsThatTokenOnly) {
  auto tokens = sign_in();
  auto exchanged = json_of(exchange(tokens.access))["access_token"].get<std::string>();
  // A wrong hint is only a hint.
  ASSERT_EQ(revoke(tokens.access, "refresh_token").result_int(), 200u);
  expect_inactive(introspect(tokens.access));
  // What was exchanged from it goes too; the refresh token stays.
  EXPECT_EQ(get(api_, "/api/v1/entities/ent-brussels/kpis", "Bearer " + exchanged).result_int(), 401u);
  auto refreshed = refresh(tokens.refresh);
  ASSERT_EQ(refreshed.result_int(), 200u);
  EXPECT_EQ(exchange(json_of(refreshed)["access_token"]).result_int(), 200u);
}

TEST_F(OAuthOverHttp, RevocationAnswersAndRefusals) {
  auto tokens = sign_in();
  // Unknown and already revoked tokens still give 200.
  EXPECT_EQ(revoke("no-such-token").result_int(), 200u);
  EXPECT_EQ(revoke(tokens.refresh).result_int(), 200u);
  EXPECT_EQ(revoke(tokens.refresh).result_int(), 200u);

  expect_oauth_error(post_form(issuer_, "/revoke", {{"token", tokens.access}}), 401, "invalid_client");
  expect_oauth_error(post_form(issuer_, "/revoke", {{"token", "x"}, {"client_id", "nobody"}}), 401, "invalid_client");
  expect_oauth_error(post_form(issuer_, "/revoke", {{"client_id", std::string(scripted)}}), 400, "invalid_request");
  expect_oauth_error(send(issuer_, {bhttp::verb::post, "/revoke", "token=a&token=b&client_id=mcpcert-scripted-client",
                                    "application/x-www-form-urlencoded", ""}),
                     400, "invalid_request");
  expect_oauth_error(send(issuer_, {bhttp::verb::post, "/revoke", R"({"token":"a"})", "application/json", ""}), 400,
                     "invalid_request");
  // A token of another client is not that client's to revoke.
  auto other = sign_in("bob", "bob-pw");
  expect_oauth_error(post_form(issuer_, "/revoke", {{"token", other.refresh}}, connector_basic()), 400,
                     "invalid_grant");
  EXPECT_EQ(refresh(other.refresh).result_int(), 200u);
  EXPECT_EQ(get(issuer_, "/revoke").result_int(), 405u);
}

// --- dynamic client registration ------------------------------------------------------

TEST_F(OAuthOverHttp, NativePublicClientWithLoopbackRedirectRegistersAndSignsIn) {
  auto response = post_json(issuer_, "/register",
                            {{"redirect_uris", {"http://127.0.0.1/cb", "http://[::1]/cb", "http://localhost/cb"}},
                             {"token_endpoint_auth_method", "none"},
                             {"application_type", "native"},
                             {"grant_types", {"authorization_code", "refresh_token"}},
                             {"client_name", "Some MCP client"},
                             {"unknown_metadata", "ignored"}});
  ASSERT_EQ(response.result_int(), 201u) << response.body();
  EXPECT_EQ(response[bhttp::field::cache_control], "no-store");
  auto client = json_of(response);
  EXPECT_FALSE(client.contains("client_secret"));
  EXPECT_FALSE(client.contains("unknown_metadata"));
  EXPECT_EQ(client["token_endpoint_auth_method"], "none");
  EXPECT_EQ(client["application_type"], "native");
  EXPECT_EQ(client["response_types"], nlohmann::json::array({"code"}));
  EXPECT_TRUE(client["client_id_issued_at"].is_number_integer());
  auto client_id = client["client_id"].get<std::string>();

  // Any port at use on the loopback redirect.
  auto verifier = pkce_make_verifier();
  auto query = authorization_query(pkce_s256_challenge(verifier));
  query["client_id"] = client_id;
  query["redirect_uri"] = "http://127.0.0.1:51234/cb";
  auto login = authorize(query);
  ASSERT_EQ(login.result_int(), 200u) << login.body();
  EXPECT_NE(login.body().find("Some MCP client"), std::string::npos);
  auto consent = post_form(issuer_, "/authorize/login",
                           {{"txn", txn_of(login.body())}, {"username", "alice"}, {"password", "alice-pw"}});
  auto redirect = post_form(issuer_, "/authorize/consent", {{"txn", txn_of(consent.body())}, {"decision", "approve"}});
  auto token = post_form(issuer_, "/token",
                         {{"grant_type", "authorization_code"},
                          {"client_id", client_id},
                          {"code", query_param(redirect[bhttp::field::location], "code")},
                          {"redirect_uri", "http://127.0.0.1:51234/cb"},
                          {"code_verifier", verifier}});
  EXPECT_EQ(token.result_int(), 200u) << token.body();
}

TEST_F(OAuthOverHttp, ConfidentialWebClientGetsASecretThatAuthenticates) {
  auto response = post_json(issuer_, "/register",
                            {{"redirect_uris", {"https://app.example/cb"}}, {"client_name", "Web app"}});
  ASSERT_EQ(response.result_int(), 201u) << response.body();
  auto client = json_of(response);
  EXPECT_EQ(client["token_endpoint_auth_method"], "client_secret_basic");
  EXPECT_EQ(client["application_type"], "web");
  EXPECT_EQ(client["grant_types"], nlohmann::json::array({"authorization_code"}));
  EXPECT_EQ(client["client_secret_expires_at"], 0);
  auto id = client["client_id"].get<std::string>();
  auto secret = client["client_secret"].get<std::string>();
  // Authenticated (unknown token: 200), then with the wrong secret (401).
  EXPECT_EQ(post_form(issuer_, "/revoke", {{"token", "x"}}, basic(id, secret)).result_int(), 200u);
  expect_oauth_error(post_form(issuer_, "/revoke", {{"token", "x"}}, basic(id, "wrong")), 401, "invalid_client");
  // It may not use the refresh grant it did not register.
  expect_oauth_error(post_form(issuer_, "/token", {{"grant_type", "refresh_token"}, {"refresh_token", "x"}},
                               basic(id, secret)),
                     400, "unauthorized_client");
}

TEST_F(OAuthOverHttp, RegistrationRefusesBadRedirectUris) {
  auto refused = [&](const nlohmann::json& redirect_uris, std::string_view application_type = "web") {
    nlohmann::json body = {{"token_endpoint_auth_method", "none"}, {"application_type", application_type}};
    if (!redirect_uris.is_null()) body["redirect_uris"] = redirect_uris;
    expect_oauth_error(post_json(issuer_, "/register", body), 400, "invalid_redirect_uri");
  };
  refused({"http://app.example/cb"});                  // web, http, not loopback
  refused({"http://app.example/cb"}, "native");        // native, http, not loopback
  refused({"https://app.example/cb#fragment"});
  refused({"/relative/cb"});
  refused({"javascript:alert(1)"});
  refused({"myapp:/cb"}, "native");                    // private-use scheme without a domain
  refused({"com.example.app:/cb"});                    // private-use scheme on a web client
  refused({"https://user@app.example/cb"});
  refused(nlohmann::json::array());
  refused(nullptr);
  refused({"https://app.example/cb", 42});
  // Loopback http, https and a reverse-domain scheme are all fine for a native client.
  auto accepted = post_json(issuer_, "/register",
                            {{"redirect_uris", {"http://localhost:8080/cb", "https://app.example/cb",
                                                "com.example.app:/cb"}},
                             {"token_endpoint_auth_method", "none"},
                             {"application_type", "native"}});
  EXPECT_EQ(accepted.result_int(), 201u) << accepted.body();
}

TEST_F(OAuthOverHttp, RegistrationRefusesInvalidMetadata) {
  nlohmann::json good = {{"redirect_uris", {"https://app.example/cb"}}};
  auto refused = [&](nlohmann::json body) {
    expect_oauth_error(post_json(issuer_, "/register", body), 400, "invalid_client_metadata");
  };
  auto with = [&](const char* name, nlohmann::json value) {
    auto body = good;
    body[name] = std::move(value);
    return body;
  };
  refused(with("token_endpoint_auth_method", "private_key_jwt"));
  refused(with("grant_types", {"implicit"}));
  refused(with("grant_types", {"authorization_code", std::string(grant_token_exchange)}));
  refused(with("grant_types", {"refresh_token"}));
  refused(with("response_types", {"token"}));
  refused(with("application_type", "desktop"));
  refused(with("scope", "finance:read admin:all"));
  refused(with("client_name", 7));
  refused(nlohmann::json::array({good}));
  expect_oauth_error(send(issuer_, {bhttp::verb::post, "/register", "{not json", "application/json", ""}), 400,
                     "invalid_client_metadata");
  expect_oauth_error(send(issuer_, {bhttp::verb::post, "/register", good.dump(), "text/plain", ""}), 400,
                     "invalid_client_metadata");
}

// --- admin: credential rotation and suspension ------------------------------------------

TEST_F(OAuthOverHttp, CredentialRotationRevokesEveryGrantOfTheUser) {
  auto first = sign_in("alice", "alice-pw");
  auto second = sign_in("alice", "alice-pw");
  auto bobs = sign_in("bob", "bob-pw");
  auto rotated = control(bhttp::verb::post, "/control/tenants/emea-finance/admin/rotate-credentials", {{"user", "alice"}});
  ASSERT_EQ(rotated.result_int(), 200u) << rotated.body();
  auto answer = json_of(rotated);
  EXPECT_EQ(answer["revoked_grants"], 2);
  EXPECT_TRUE(answer["audit_seq"].is_number_unsigned());
  auto password = answer["password"].get<std::string>();

  for (const auto& tokens : {first, second}) {
    expect_oauth_error(refresh(tokens.refresh), 400, "invalid_grant");
    expect_oauth_error(exchange(tokens.access), 400, "invalid_grant");
  }
  EXPECT_EQ(refresh(bobs.refresh).result_int(), 200u);

  // The old password is gone, the new one works and /users shows it.
  auto login = authorize(authorization_query(pkce_s256_challenge(pkce_make_verifier())));
  auto retry = post_form(issuer_, "/authorize/login",
                         {{"txn", txn_of(login.body())}, {"username", "alice"}, {"password", "alice-pw"}});
  EXPECT_EQ(retry.result_int(), 400u);
  EXPECT_FALSE(sign_in("alice", password).access.empty());
  auto users = json_of(control(bhttp::verb::get, "/control/tenants/emea-finance/users"));
  for (const auto& user : users["users"]) {
    if (user["id"] == "alice") {
      EXPECT_EQ(user["password"], password);
    }
  }
  auto grants = json_of(control(bhttp::verb::get, "/control/tenants/emea-finance/grants?user=alice"));
  for (const auto& grant : grants["grants"]) {
    if (grant["revoked"] == true) {
      EXPECT_EQ(grant["revoked_reason"], "credentials rotated");
    }
  }

  EXPECT_EQ(control(bhttp::verb::post, "/control/tenants/emea-finance/admin/rotate-credentials", {{"user", "mallory"}})
                .result_int(),
            404u);
}

TEST_F(OAuthOverHttp, CredentialRotationEndsALockout) {
  // Someone guesses alice's password until her account locks.
  for (int i = 0; i < 10; ++i) {
    auto login = authorize(authorization_query(pkce_s256_challenge(pkce_make_verifier())));
    post_form(issuer_, "/authorize/login", {{"txn", txn_of(login.body())}, {"username", "alice"}, {"password", "guess"}});
  }
  auto login = authorize(authorization_query(pkce_s256_challenge(pkce_make_verifier())));
  auto locked = post_form(issuer_, "/authorize/login",
                          {{"txn", txn_of(login.body())}, {"username", "alice"}, {"password", "alice-pw"}});
  EXPECT_EQ(locked.result_int(), 400u);
  EXPECT_NE(locked.body().find("this account is locked"), std::string::npos) << locked.body();

  // Her administrator gives her a new password, as after a reported attack:
  // she can sign in with it at once.
  auto rotated = control(bhttp::verb::post, "/control/tenants/emea-finance/admin/rotate-credentials", {{"user", "alice"}});
  ASSERT_EQ(rotated.result_int(), 200u) << rotated.body();
  EXPECT_FALSE(sign_in("alice", json_of(rotated)["password"].get<std::string>()).access.empty());
}

TEST_F(OAuthOverHttp, SuspensionRevokesEveryGrantAndLiftingItRevivesNone) {
  auto tokens = sign_in("bob", "bob-pw");
  auto suspended =
      control(bhttp::verb::post, "/control/tenants/emea-finance/admin/suspend", {{"user", "bob"}, {"suspended", true}});
  ASSERT_EQ(suspended.result_int(), 200u) << suspended.body();
  EXPECT_EQ(json_of(suspended)["revoked_grants"], 1);
  EXPECT_TRUE(json_of(suspended).contains("audit_seq"));
  expect_oauth_error(refresh(tokens.refresh), 400, "invalid_grant");
  expect_oauth_error(exchange(tokens.access), 400, "invalid_grant");
  expect_inactive(introspect(tokens.access));

  // A suspended user can't sign in through MCP.
  auto login = authorize(authorization_query(pkce_s256_challenge(pkce_make_verifier())));
  auto refused = post_form(issuer_, "/authorize/login",
                           {{"txn", txn_of(login.body())}, {"username", "bob"}, {"password", "bob-pw"}});
  expect_error_redirect(refused, "access_denied", issuer_);

  ASSERT_EQ(control(bhttp::verb::post, "/control/tenants/emea-finance/admin/suspend",
                    {{"user", "bob"}, {"suspended", false}})
                .result_int(),
            200u);
  expect_oauth_error(refresh(tokens.refresh), 400, "invalid_grant");
  EXPECT_FALSE(sign_in("bob", "bob-pw").refresh.empty());
  EXPECT_EQ(control(bhttp::verb::post, "/control/tenants/emea-finance/admin/suspend", {{"user", "bob"}}).result_int(),
            400u);
}

// --- signing keys ------------------------------------------------------------------------

TEST_F(OAuthOverHttp, KeyRotationKeepsTheOldKeyUntilItsTokensExpired) {
  auto before = sign_in();
  auto old_kid = decode_jwt(before.access)->header["kid"].get<std::string>();
  auto rotated = control(bhttp::verb::post, "/control/tenants/emea-finance/keys/rotate");
  ASSERT_EQ(rotated.result_int(), 200u) << rotated.body();
  auto rotation = json_of(rotated);
  EXPECT_EQ(rotation["previous_kid"], old_kid);
  auto new_kid = rotation["kid"].get<std::string>();
  EXPECT_NE(new_kid, old_kid);

  auto jwks = json_of(get(issuer_, "/jwks"));
  ASSERT_EQ(jwks["keys"].size(), 2u);
  EXPECT_EQ(jwks["keys"][0]["kid"], new_kid);
  EXPECT_EQ(jwks["keys"][1]["kid"], old_kid);

  auto after = sign_in();
  EXPECT_EQ(decode_jwt(after.access)->header["kid"], new_kid);
  EXPECT_EQ(exchange(before.access).result_int(), 200u);
  advance(access_ttl - 1);
  EXPECT_EQ(json_of(get(issuer_, "/jwks"))["keys"].size(), 2u);
  EXPECT_EQ(exchange(before.access).result_int(), 200u);
  advance(3);
  jwks = json_of(get(issuer_, "/jwks"));
  ASSERT_EQ(jwks["keys"].size(), 1u);
  EXPECT_EQ(jwks["keys"][0]["kid"], new_kid);
}

// --- audit and auth events ---------------------------------------------------------------

TEST_F(OAuthOverHttp, AuditHashesEveryPresentedBearerAndTheExchangedSubjectToken) {
  auto tokens = sign_in();
  auto exchanged = json_of(exchange(tokens.access))["access_token"].get<std::string>();
  ASSERT_EQ(get(api_, "/api/v1/entities/ent-brussels/kpis", "Bearer " + exchanged).result_int(), 200u);
  // A passed-through client token is refused, and its digest is still recorded.
  ASSERT_EQ(get(api_, "/api/v1/entities/ent-brussels/kpis", "Bearer " + tokens.access).result_int(), 401u);
  ASSERT_EQ(get(api_, "/api/v1/entities/ent-brussels/kpis", "Bearer not a token").result_int(), 401u);
  ASSERT_EQ(get(issuer_, "/jwks", "Bearer some-token").result_int(), 200u);

  auto api = json_of(control(bhttp::verb::get, "/control/tenants/emea-finance/audit?listener=api"))["records"];
  ASSERT_EQ(api.size(), 3u) << api.dump();
  EXPECT_EQ(api[0]["bearer_sha256"], digest(exchanged));
  EXPECT_EQ(api[1]["bearer_sha256"], digest(tokens.access));
  EXPECT_EQ(api[2]["bearer_sha256"], digest("not a token"));
  EXPECT_EQ(api[0]["subject"], "alice"); // the existing fields stay
  EXPECT_EQ(api[0]["actor"], connector);

  auto issuer = json_of(control(bhttp::verb::get, "/control/tenants/emea-finance/audit?listener=issuer"))["records"];
  std::size_t exchanges = 0;
  for (const auto& record : issuer) {
    if (record.contains("subject_token_sha256")) {
      ++exchanges;
      EXPECT_EQ(record["subject_token_sha256"], digest(tokens.access));
      EXPECT_FALSE(record.contains("bearer_sha256")); // the connector authenticated with Basic
    }
    if (record["path"] == "/jwks") {
      EXPECT_EQ(record["bearer_sha256"], digest("some-token"));
    }
    if (record["path"] == "/token" && !record.contains("subject_token_sha256")) {
      EXPECT_FALSE(record.contains("bearer_sha256"));
    }
  }
  EXPECT_EQ(exchanges, 1u);
  // The client's token never reached the API with a 200.
  for (const auto& record : api) {
    if (record["bearer_sha256"] == digest(tokens.access)) {
      EXPECT_NE(record["status"], 200);
    }
  }
}

TEST_F(OAuthOverHttp, AuthEventsRecordTheFlowInOrderAndPage) {
  auto login = authorize(authorization_query(pkce_s256_challenge(pkce_make_verifier())));
  post_form(issuer_, "/authorize/login", {{"txn", txn_of(login.body())}, {"username", "alice"}, {"password", "nope"}});
  auto tokens = sign_in();
  ASSERT_EQ(refresh(tokens.refresh).result_int(), 200u);
  expect_oauth_error(refresh(tokens.refresh), 400, "invalid_grant");

  auto events = auth_events();
  std::vector<std::string> kinds;
  for (const auto& event : events["events"]) {
    kinds.push_back(event["event"]);
    EXPECT_EQ(event["tenant"], tenant_a);
    EXPECT_TRUE(event.contains("time") && event.contains("user") && event.contains("client") && event.contains("detail"));
  }
  std::vector<std::string> expected = {"sign_in_failure", "sign_in",        "consent",    "token_issue", "refresh",
                                       "reuse_detected",  "revocation", "token_error"};
  EXPECT_EQ(kinds, expected);
  EXPECT_EQ(events["events"][1]["user"], "alice");
  EXPECT_EQ(events["events"][1]["client"], scripted);

  auto seq = events["events"][4]["seq"].get<std::uint64_t>();
  auto later = auth_events(seq);
  ASSERT_EQ(later["events"].size(), 3u);
  EXPECT_EQ(later["events"][0]["event"], "reuse_detected");
  EXPECT_EQ(later["last_seq"], events["last_seq"]);
  EXPECT_EQ(auth_events(events["last_seq"])["events"].size(), 0u);
  EXPECT_EQ(control(bhttp::verb::get, "/control/tenants/emea-finance/auth-events?since_seq=x").result_int(), 400u);
}

// --- durability ---------------------------------------------------------------------------

TEST_F(OAuthOverHttp, StateIsInTheTenantsSqliteFileWithHashesOnly) {
  auto tokens = sign_in();
  auto file = dir_ / "state" / "emea-finance.sqlite";
  ASSERT_TRUE(std::filesystem::exists(file));
  std::string contents;
  for (const auto& path : {file, std::filesystem::path(file.string() + "-wal")}) {
    std::ifstream in(path, std::ios::binary);
    contents.append(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_NE(contents.find(digest(tokens.refresh)), std::string::npos);
  EXPECT_EQ(contents.find(tokens.refresh), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "state" / "apac-finance.sqlite"));
}

} // namespace
} // namespace mcpcert::backend
