#include "mcpcert/mock_backend/authorization_server.hpp"

#include <functional>

#include <gtest/gtest.h>

#include "mcpcert/jwt.hpp"
#include "tenant_world.hpp"

namespace mcpcert::backend {
namespace {

using namespace test_world;

nlohmann::json claims_of(const std::string& token) {
  auto decoded = decode_jwt(token);
  EXPECT_TRUE(decoded.has_value());
  return decoded ? decoded->claims : nlohmann::json{};
}

std::string header_typ(const std::string& token) {
  auto decoded = decode_jwt(token);
  return decoded ? decoded->header.value("typ", "") : "";
}

/// alice's tokens from an authorization request with `name` set to `value`.
TokenResponse sign_in_asking(AuthorizationServer& server, const std::string& name, const std::string& value) {
  auto verifier = pkce_make_verifier();
  auto query = authorization_query(pkce_s256_challenge(verifier));
  query[name] = value;
  auto txn = std::get<LoginForm>(server.authorize(query)).txn;
  server.login(txn, "alice", "alice-pw");
  auto code = location_param(std::get<Redirect>(server.consent(txn, "approve")).location, "code");
  return redeem(server, {code, verifier});
}

// --- authorization endpoint -------------------------------------------------

TEST(AuthorizationEndpoint, UnknownClientGetsAPageNotARedirect) {
  TenantWorld world;
  auto query = authorization_query(pkce_s256_challenge(pkce_make_verifier()));
  query["client_id"] = "evil-client";
  auto step = world.server().authorize(query);
  ASSERT_TRUE(std::holds_alternative<ErrorPage>(step));
  EXPECT_EQ(std::get<ErrorPage>(step).status, 400u);
}

TEST(AuthorizationEndpoint, UnregisteredRedirectGetsAPageNotARedirect) {
  TenantWorld world;
  auto query = authorization_query(pkce_s256_challenge(pkce_make_verifier()));
  query["redirect_uri"] = "http://127.0.0.1:53123/elsewhere";
  EXPECT_TRUE(std::holds_alternative<ErrorPage>(world.server().authorize(query)));
  query["redirect_uri"] = "https://attacker.example/callback";
  EXPECT_TRUE(std::holds_alternative<ErrorPage>(world.server().authorize(query)));
}

TEST(AuthorizationEndpoint, LoopbackRedirectMayUseAnyPort) {
  TenantWorld world;
  auto query = authorization_query(pkce_s256_challenge(pkce_make_verifier()));
  query["redirect_uri"] = "http://127.0.0.1:1/callback";
  EXPECT_TRUE(std::holds_alternative<LoginForm>(world.server().authorize(query)));
}

TEST(AuthorizationEndpoint, PkceIsMandatoryAndS256Only) {
  TenantWorld world;
  auto challenge = pkce_s256_challenge(pkce_make_verifier());

  auto missing_method = authorization_query(challenge);
  missing_method.erase("code_challenge_method");
  EXPECT_EQ(redirect_error(world.server().authorize(missing_method)), "invalid_request");

  auto plain = authorization_query(challenge);
  plain["code_challenge_method"] = "plain";
  EXPECT_EQ(redirect_error(world.server().authorize(plain)), "invalid_request");

  auto unknown = authorization_query(challenge);
  unknown["code_challenge_method"] = "S512";
  EXPECT_EQ(redirect_error(world.server().authorize(unknown)), "invalid_request");

  auto no_challenge = authorization_query(challenge);
  no_challenge.erase("code_challenge");
  EXPECT_EQ(redirect_error(world.server().authorize(no_challenge)), "invalid_request");
}

TEST(AuthorizationEndpoint, ErrorRedirectCarriesStateAndIssuer) {
  TenantWorld world;
  auto query = authorization_query(pkce_s256_challenge(pkce_make_verifier()));
  query["response_type"] = "token";
  auto step = world.server().authorize(query);
  ASSERT_TRUE(std::holds_alternative<Redirect>(step));
  const auto& location = std::get<Redirect>(step).location;
  EXPECT_TRUE(location.starts_with(std::string(client_redirect) + "?"));
  EXPECT_EQ(location_param(location, "error"), "unsupported_response_type");
  EXPECT_EQ(location_param(location, "state"), "st-123");
  EXPECT_EQ(location_param(location, "iss"), issuer_url);
}

TEST(AuthorizationEndpoint, ResourceMustBeRegistered) {
  TenantWorld world;
  auto query = authorization_query(pkce_s256_challenge(pkce_make_verifier()));
  query.erase("resource");
  EXPECT_EQ(redirect_error(world.server().authorize(query)), "invalid_target");
  query["resource"] = "http://127.0.0.1:9999/other";
  EXPECT_EQ(redirect_error(world.server().authorize(query)), "invalid_target");
}

TEST(AuthorizationEndpoint, UnknownScopeIsRefused) {
  TenantWorld world;
  auto query = authorization_query(pkce_s256_challenge(pkce_make_verifier()));
  query["scope"] = "finance:read admin:everything";
  EXPECT_EQ(redirect_error(world.server().authorize(query)), "invalid_scope");
}

TEST(AuthorizationEndpoint, BadPasswordShowsTheFormAgain) {
  TenantWorld world;
  auto step = world.server().authorize(authorization_query(pkce_s256_challenge(pkce_make_verifier())));
  auto txn = std::get<LoginForm>(step).txn;
  step = world.server().login(txn, "alice", "wrong");
  ASSERT_TRUE(std::holds_alternative<LoginForm>(step));
  EXPECT_FALSE(std::get<LoginForm>(step).error.empty());
  EXPECT_TRUE(std::holds_alternative<ConsentForm>(world.server().login(txn, "alice", "alice-pw")));
}

TEST(AuthorizationEndpoint, UserWithoutMcpAccessIsDenied) {
  TenantWorld world;
  auto step = world.server().authorize(authorization_query(pkce_s256_challenge(pkce_make_verifier())));
  step = world.server().login(std::get<LoginForm>(step).txn, "carol", "carol-pw");
  ASSERT_TRUE(std::holds_alternative<Redirect>(step));
  const auto& location = std::get<Redirect>(step).location;
  EXPECT_EQ(location_param(location, "error"), "access_denied");
  EXPECT_EQ(location_param(location, "error_description"), "user has no MCP Access on entity ent-lyon");
  EXPECT_TRUE(world.tenant.grants().grants(std::string_view("carol")).empty());
}

TEST(AuthorizationEndpoint, DenyRecordsNoGrant) {
  TenantWorld world;
  auto step = world.server().authorize(authorization_query(pkce_s256_challenge(pkce_make_verifier())));
  auto txn = std::get<LoginForm>(step).txn;
  world.server().login(txn, "alice", "alice-pw");
  EXPECT_EQ(redirect_error(world.server().consent(txn, "deny")), "access_denied");
  EXPECT_TRUE(world.tenant.grants().grants(std::nullopt).empty());
}

TEST(AuthorizationEndpoint, ConsentRecordsAGrantOnTheUsersAccount) {
  TenantWorld world;
  auto issued = obtain_code(world.server(), "alice", "alice-pw");
  EXPECT_FALSE(issued.code.empty());
  auto grants = world.tenant.grants().grants(std::string_view("alice"));
  ASSERT_EQ(grants.size(), 1u);
  EXPECT_EQ(grants[0].client_id, scripted_client);
  EXPECT_EQ(grants[0].entity, "ent-brussels");
  EXPECT_EQ(grants[0].resource, mcp_resource);
  EXPECT_EQ(grants[0].scope, "finance:read");
}

TEST(AuthorizationEndpoint, TransactionExpires) {
  TenantWorld world;
  auto step = world.server().authorize(authorization_query(pkce_s256_challenge(pkce_make_verifier())));
  auto txn = std::get<LoginForm>(step).txn;
  world.advance(601);
  EXPECT_TRUE(std::holds_alternative<ErrorPage>(world.server().login(txn, "alice", "alice-pw")));
}

// --- authorization_code grant ------------------------------------------------

TEST(CodeGrant, IssuesRfc9068AccessTokenAndRefreshToken) {
  TenantWorld world;
  auto response = sign_in(world.server());
  ASSERT_TRUE(response.ok()) << response.body.dump();
  EXPECT_EQ(response.body["token_type"], "Bearer");
  EXPECT_EQ(response.body["expires_in"], 3600);
  EXPECT_TRUE(response.body.contains("refresh_token"));
  auto token = response.body["access_token"].get<std::string>();
  EXPECT_EQ(header_typ(token), "at+jwt");
  auto claims = claims_of(token);
  EXPECT_EQ(claims["iss"], issuer_url);
  EXPECT_EQ(claims["aud"], mcp_resource);
  EXPECT_EQ(claims["sub"], "alice");
  EXPECT_EQ(claims["client_id"], scripted_client);
  EXPECT_EQ(claims["entity"], "ent-brussels");
  EXPECT_EQ(claims["tenant"], "emea-finance");
  EXPECT_EQ(claims["region"], "eu-central-1");
  auto lifetime = claims["exp"].get<std::int64_t>() - claims["iat"].get<std::int64_t>();
  EXPECT_TRUE(lifetime == 3600 || lifetime == 3601) << lifetime; // exp rounds up to the second
}

TEST(CodeGrant, SecondRedemptionFailsAndRevokesTheGrant) {
  TenantWorld world;
  auto issued = obtain_code(world.server(), "alice", "alice-pw");
  auto first = redeem(world.server(), issued);
  ASSERT_TRUE(first.ok());
  auto second = redeem(world.server(), issued);
  EXPECT_EQ(second.status, 400u);
  EXPECT_EQ(second.error(), "invalid_grant");
  auto grants = world.tenant.grants().grants(std::string_view("alice"));
  ASSERT_EQ(grants.size(), 1u);
  EXPECT_TRUE(grants[0].revoked());
  // The tokens of the first redemption die with the grant.
  EXPECT_EQ(refresh(world.server(), first.body["refresh_token"]).error(), "invalid_grant");
  EXPECT_EQ(exchange_token(world.server(), first.body["access_token"]).error(), "invalid_grant");
}

TEST(CodeGrant, WrongVerifierIsInvalidGrant) {
  TenantWorld world;
  auto issued = obtain_code(world.server(), "alice", "alice-pw");
  issued.verifier = pkce_make_verifier();
  auto response = redeem(world.server(), issued);
  EXPECT_EQ(response.error(), "invalid_grant");
}

TEST(CodeGrant, MalformedVerifierIsInvalidRequest) {
  TenantWorld world;
  auto issued = obtain_code(world.server(), "alice", "alice-pw");
  issued.verifier = "short";
  EXPECT_EQ(redeem(world.server(), issued).error(), "invalid_request");
}

TEST(CodeGrant, RedirectUriMustMatch) {
  TenantWorld world;
  auto issued = obtain_code(world.server(), "alice", "alice-pw");
  auto response = world.server().token({{"grant_type", "authorization_code"},
                                        {"client_id", std::string(scripted_client)},
                                        {"code", issued.code},
                                        {"redirect_uri", "http://127.0.0.1:1/callback"},
                                        {"code_verifier", issued.verifier}},
                                       std::nullopt);
  EXPECT_EQ(response.error(), "invalid_grant");
}

TEST(CodeGrant, ExpiredCodeIsRefused) {
  TenantWorld world;
  auto issued = obtain_code(world.server(), "alice", "alice-pw");
  world.advance(61);
  EXPECT_EQ(redeem(world.server(), issued).error(), "invalid_grant");
}

TEST(CodeGrant, ResourceMustEqualTheAuthorizedOne) {
  TenantWorld world;
  auto issued = obtain_code(world.server(), "alice", "alice-pw");
  auto response = world.server().token({{"grant_type", "authorization_code"},
                                        {"client_id", std::string(scripted_client)},
                                        {"code", issued.code},
                                        {"redirect_uri", std::string(client_redirect)},
                                        {"code_verifier", issued.verifier},
                                        {"resource", std::string(api_url)}},
                                       std::nullopt);
  EXPECT_EQ(response.error(), "invalid_target");
}

TEST(TokenEndpoint, UnsupportedGrantTypes) {
  TenantWorld world;
  auto password = world.server().token(
      {{"grant_type", "password"}, {"client_id", std::string(scripted_client)}, {"username", "alice"}}, std::nullopt);
  EXPECT_EQ(password.error(), "unsupported_grant_type");
  auto missing = world.server().token({{"client_id", std::string(scripted_client)}}, std::nullopt);
  EXPECT_EQ(missing.error(), "invalid_request");
}

TEST(TokenEndpoint, ClientAuthenticationFailuresAre401) {
  TenantWorld world;
  auto unknown = world.server().token({{"grant_type", "refresh_token"}, {"client_id", "nobody"}}, std::nullopt);
  EXPECT_EQ(unknown.status, 401u);
  EXPECT_EQ(unknown.error(), "invalid_client");
  EXPECT_FALSE(unknown.www_authenticate.empty());

  auto wrong_secret = world.server().token({{"grant_type", std::string(grant_token_exchange)}},
                                           ClientCredentials{std::string(connector_client), "not-the-secret"});
  EXPECT_EQ(wrong_secret.status, 401u);
  auto no_secret = world.server().token(
      {{"grant_type", std::string(grant_token_exchange)}, {"client_id", std::string(connector_client)}}, std::nullopt);
  EXPECT_EQ(no_secret.status, 401u);
}

TEST(TokenEndpoint, PublicClientMayNotExchange) {
  TenantWorld world;
  auto tokens = sign_in(world.server());
  auto response = world.server().token({{"grant_type", std::string(grant_token_exchange)},
                                        {"client_id", std::string(scripted_client)},
                                        {"subject_token", tokens.body["access_token"]},
                                        {"subject_token_type", std::string(token_type_access_token)},
                                        {"audience", std::string(api_url)}},
                                       std::nullopt);
  EXPECT_EQ(response.error(), "unauthorized_client");
}

// --- refresh_token grant -----------------------------------------------------

TEST(RefreshGrant, RotatesAndTheOldTokenIsThenRefused) {
  TenantWorld world;
  auto first = sign_in(world.server());
  auto old_refresh = first.body["refresh_token"].get<std::string>();
  auto second = refresh(world.server(), old_refresh);
  ASSERT_TRUE(second.ok()) << second.body.dump();
  auto new_refresh = second.body["refresh_token"].get<std::string>();
  EXPECT_NE(new_refresh, old_refresh);
  EXPECT_NE(second.body["access_token"], first.body["access_token"]);
  EXPECT_EQ(refresh(world.server(), old_refresh).error(), "invalid_grant");
}

TEST(RefreshGrant, ReuseRevokesTheWholeFamily) {
  TenantWorld world;
  auto first = sign_in(world.server());
  auto old_refresh = first.body["refresh_token"].get<std::string>();
  auto second = refresh(world.server(), old_refresh);
  ASSERT_TRUE(second.ok());
  // An attacker replays the old token: the legitimate newer one must die too.
  EXPECT_EQ(refresh(world.server(), old_refresh).error(), "invalid_grant");
  EXPECT_EQ(refresh(world.server(), second.body["refresh_token"]).error(), "invalid_grant");
  EXPECT_EQ(exchange_token(world.server(), second.body["access_token"]).error(), "invalid_grant");
  EXPECT_TRUE(world.tenant.grants().grants(std::string_view("alice"))[0].revoked());
}

TEST(RefreshGrant, ExpiresAfterItsTtl) {
  TokenLifetimes lifetimes;
  lifetimes.refresh = Seconds(1000);
  TenantWorld world(lifetimes);
  auto first = sign_in(world.server());
  world.advance(999);
  auto second = refresh(world.server(), first.body["refresh_token"]);
  ASSERT_TRUE(second.ok());
  world.advance(1001);
  EXPECT_EQ(refresh(world.server(), second.body["refresh_token"]).error(), "invalid_grant");
}

TEST(RefreshGrant, AbsoluteFamilyLifetimeCapsEveryRotation) {
  TokenLifetimes lifetimes;
  lifetimes.refresh = Seconds(1000);
  lifetimes.refresh_family = Seconds(1500);
  TenantWorld world(lifetimes);
  auto first = sign_in(world.server());
  world.advance(900);
  auto second = refresh(world.server(), first.body["refresh_token"]);
  ASSERT_TRUE(second.ok());
  world.advance(601); // within the second token's own 1000 s, past the family's 1500 s
  EXPECT_EQ(refresh(world.server(), second.body["refresh_token"]).error(), "invalid_grant");
}

TEST(RefreshGrant, LostMcpAccessStopsRefresh) {
  TenantWorld world;
  auto first = sign_in(world.server());
  world.tenant.directory().set_mcp_access("alice", "ent-brussels", false);
  auto response = refresh(world.server(), first.body["refresh_token"]);
  EXPECT_EQ(response.error(), "invalid_grant");
  EXPECT_EQ(response.body["error_description"], "user has no MCP Access on entity ent-brussels");
}

TEST(RefreshGrant, ScopeMayNarrowButNotWiden) {
  TenantWorld world;
  auto first = sign_in(world.server());
  auto response = world.server().token({{"grant_type", "refresh_token"},
                                        {"client_id", std::string(scripted_client)},
                                        {"refresh_token", first.body["refresh_token"]},
                                        {"scope", "finance:read finance:write"}},
                                       std::nullopt);
  EXPECT_EQ(response.error(), "invalid_scope");
}

// --- token exchange ----------------------------------------------------------

TEST(TokenExchange, IssuesABackendTokenForTheUserWithTheConnectorAsActor) {
  TenantWorld world;
  auto user_token = sign_in(world.server());
  auto response = exchange_token(world.server(), user_token.body["access_token"]);
  ASSERT_TRUE(response.ok()) << response.body.dump();
  EXPECT_EQ(response.body["issued_token_type"], token_type_access_token);
  EXPECT_EQ(response.body["token_type"], "Bearer");
  EXPECT_LE(response.body["expires_in"].get<int>(), 301);
  auto token = response.body["access_token"].get<std::string>();
  EXPECT_EQ(header_typ(token), "at+jwt");
  auto claims = claims_of(token);
  EXPECT_EQ(claims["sub"], "alice");
  EXPECT_EQ(claims["aud"], api_url);
  EXPECT_EQ(claims["act"]["sub"], connector_client);
  EXPECT_EQ(claims["client_id"], connector_client);
  EXPECT_EQ(claims["entity"], "ent-brussels");
  EXPECT_EQ(claims["scope"], "finance:read");

  auto verdict = world.server().verify_api_token(token);
  ASSERT_TRUE(verdict.claims) << verdict.problem;
  EXPECT_EQ(verdict.claims->actor, connector_client);
}

TEST(TokenExchange, NeverOutlivesTheSubjectToken) {
  TokenLifetimes lifetimes;
  lifetimes.access = Seconds(100);
  TenantWorld world(lifetimes);
  auto user_token = sign_in(world.server());
  world.advance(40);
  auto response = exchange_token(world.server(), user_token.body["access_token"]);
  ASSERT_TRUE(response.ok());
  auto expires_in = response.body["expires_in"].get<int>();
  EXPECT_TRUE(expires_in == 60 || expires_in == 61) << expires_in;
}

TEST(TokenExchange, RefusedOnceMcpAccessIsRemoved) {
  TenantWorld world;
  auto user_token = sign_in(world.server());
  ASSERT_TRUE(exchange_token(world.server(), user_token.body["access_token"]).ok());
  ASSERT_EQ(world.tenant.directory().set_mcp_access("alice", "ent-brussels", false), DirectoryChange::changed);
  auto response = exchange_token(world.server(), user_token.body["access_token"]);
  EXPECT_EQ(response.status, 400u);
  EXPECT_EQ(response.error(), "invalid_grant");
  EXPECT_EQ(response.body["error_description"], "user has no MCP Access on entity ent-brussels");
  EXPECT_EQ(response.subject, "alice");
}

TEST(TokenExchange, ExpiredSubjectTokenIsRefused) {
  TenantWorld world;
  auto user_token = sign_in(world.server());
  world.advance(3601);
  auto response = exchange_token(world.server(), user_token.body["access_token"]);
  EXPECT_EQ(response.error(), "invalid_grant");
  EXPECT_EQ(response.body["error_description"], "subject token expired");
}

TEST(TokenExchange, SubjectTokenLivesExactlyItsTtlToTheSecond) {
  TenantWorld world;
  auto user_token = sign_in(world.server());
  world.advance(3599);
  EXPECT_TRUE(exchange_token(world.server(), user_token.body["access_token"]).ok());
  world.advance(2);
  EXPECT_EQ(exchange_token(world.server(), user_token.body["access_token"]).body["error_description"],
            "subject token expired");
}

TEST(TokenExchange, RevokedGrantIsRefused) {
  TenantWorld world;
  auto user_token = sign_in(world.server());
  auto grant_id = world.tenant.grants().grants(std::string_view("alice"))[0].id;
  world.server().revoke_grant(grant_id, "test");
  EXPECT_EQ(exchange_token(world.server(), user_token.body["access_token"]).body["error_description"], "grant revoked");
}

// The issuer remembers verified tokens to skip their signature check; what
// it decides after verification still happens at every exchange.
TEST(TokenExchange, SubjectTokenRevokedAfterAnExchangeIsRefusedAtTheNext) {
  TenantWorld world;
  auto user_token = sign_in(world.server()).body["access_token"].get<std::string>();
  ASSERT_TRUE(exchange_token(world.server(), user_token).ok());
  ASSERT_TRUE(exchange_token(world.server(), user_token).ok());
  auto revoked = world.server().revoke({{"token", user_token}, {"client_id", std::string(scripted_client)}}, std::nullopt);
  ASSERT_EQ(revoked.status, 200u);
  EXPECT_EQ(exchange_token(world.server(), user_token).body["error_description"], "subject token revoked");
}

TEST(TokenExchange, SubjectTokenVerifiesAcrossAKeyRotation) {
  TenantWorld world;
  auto before = sign_in(world.server()).body["access_token"].get<std::string>();
  ASSERT_TRUE(exchange_token(world.server(), before).ok());
  ASSERT_TRUE(world.server().rotate_signing_key());
  EXPECT_TRUE(exchange_token(world.server(), before).ok());
  auto after = sign_in(world.server()).body["access_token"].get<std::string>();
  EXPECT_NE(decode_jwt(after)->header["kid"], decode_jwt(before)->header["kid"]);
  EXPECT_TRUE(exchange_token(world.server(), after).ok());
}

TEST(TokenExchange, AudienceMustBeThisTenantsApi) {
  TenantWorld world;
  auto user_token = sign_in(world.server());
  EXPECT_EQ(exchange_token(world.server(), user_token.body["access_token"], "http://127.0.0.1:7777").error(),
            "invalid_target");
}

TEST(TokenExchange, SubjectTokenFromAnotherIssuerIsRefused) {
  TenantWorld world;
  TenantWorld other_tenant;
  auto foreign = sign_in(other_tenant.server());
  EXPECT_EQ(exchange_token(world.server(), foreign.body["access_token"]).error(), "invalid_grant");
}

TEST(TokenExchange, SubjectAudienceMustBeAResourceOfTheConnector) {
  TenantWorld world;
  world.tenant.clients().register_resource("http://127.0.0.1:9200/other-mcp", "mcpcert-scripted-client");
  auto tokens = sign_in_asking(world.server(), "resource", "http://127.0.0.1:9200/other-mcp");
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(exchange_token(world.server(), tokens.body["access_token"]).error(), "invalid_grant");
}

TEST(TokenExchange, AnExchangedTokenCannotBeExchangedAgain) {
  TenantWorld world;
  auto backend_token = exchange_token(world.server(), sign_in(world.server()).body["access_token"]);
  ASSERT_TRUE(backend_token.ok());
  EXPECT_EQ(exchange_token(world.server(), backend_token.body["access_token"]).error(), "invalid_grant");
}

// --- a repeated exchange -------------------------------------------------------
// The issuer hands back the token it exchanged before, only after every check
// of the exchange passed and only while that token is still good
// (TokenExchange.RefusedOnceMcpAccessIsRemoved and
// SubjectTokenRevokedAfterAnExchangeIsRefusedAtTheNext exchange before the change too).

TokenResponse exchange_as(AuthorizationServer& server, const std::string& subject_token, std::string_view client,
                          std::string_view scope = {}) {
  FormFields form{{"grant_type", std::string(grant_token_exchange)},
                  {"subject_token", subject_token},
                  {"subject_token_type", std::string(token_type_access_token)},
                  {"audience", std::string(api_url)}};
  if (!scope.empty()) form["scope"] = std::string(scope);
  return server.token(form, ClientCredentials{std::string(client), std::string(connector_secret)});
}

std::string access_token_of(const TokenResponse& response) {
  EXPECT_TRUE(response.ok()) << response.body.dump();
  return response.body.value("access_token", "");
}

std::string exchanged(TenantWorld& world, const std::string& subject_token) {
  return access_token_of(exchange_token(world.server(), subject_token));
}

std::string user_token(TenantWorld& world) { return sign_in(world.server()).body["access_token"].get<std::string>(); }

TEST(ExchangeReuse, TheSameExchangeGetsTheSameTokenWithLessTimeLeft) {
  TenantWorld world;
  auto subject = user_token(world);
  auto first = exchange_token(world.server(), subject);
  world.advance(10);
  auto second = exchange_token(world.server(), subject);
  EXPECT_EQ(access_token_of(second), access_token_of(first));
  EXPECT_EQ(second.body["expires_in"].get<int>(), first.body["expires_in"].get<int>() - 10);
  EXPECT_EQ(second.body["scope"], "finance:read");
  EXPECT_TRUE(world.server().verify_api_token(access_token_of(second)).claims);
  // Still one log entry per exchange; the second says it handed a token back.
  std::vector<std::string> details;
  for (const auto& event : world.tenant.events().since(0, 1000))
    if (event.kind == AuthEventKind::token_issue && event.detail.starts_with("token exchange"))
      details.push_back(event.detail);
  ASSERT_EQ(details.size(), 2u);
  EXPECT_FALSE(details[0].ends_with("(reused)"));
  EXPECT_TRUE(details[1].ends_with("(reused)")) << details[1];
}

TEST(ExchangeReuse, AnotherScopeGetsItsOwnToken) {
  TenantWorld world;
  auto subject = access_token_of(sign_in_asking(world.server(), "scope", "finance:read finance:write"));

  auto read = access_token_of(exchange_as(world.server(), subject, connector_client, "finance:read"));
  auto write = access_token_of(exchange_as(world.server(), subject, connector_client, "finance:write"));
  EXPECT_NE(write, read);
  EXPECT_EQ(claims_of(write)["scope"], "finance:write");
  EXPECT_EQ(access_token_of(exchange_as(world.server(), subject, connector_client, "finance:read")), read);
}

TEST(ExchangeReuse, AnotherSubjectTokenGetsItsOwnToken) {
  TenantWorld world;
  auto first_subject = user_token(world);
  auto second_subject = user_token(world);
  auto first = exchanged(world, first_subject);
  EXPECT_NE(exchanged(world, second_subject), first);
  EXPECT_EQ(exchanged(world, first_subject), first);
}

TEST(ExchangeReuse, AnotherClientGetsItsOwnToken) {
  TenantWorld world;
  auto other = *world.tenant.clients().find(connector_client);
  other.id = "other-connector";
  world.tenant.clients().add_client(other);
  world.tenant.clients().register_resource(std::string(mcp_resource), other.id);
  auto subject = user_token(world);
  auto first = exchanged(world, subject);
  auto for_other = access_token_of(exchange_as(world.server(), subject, other.id));
  EXPECT_NE(for_other, first);
  EXPECT_EQ(claims_of(for_other)["act"]["sub"], other.id);
}

TEST(ExchangeReuse, PastHalfItsLifetimeANewTokenIsMinted) {
  TenantWorld world;
  auto subject = user_token(world);
  auto first = exchanged(world, subject);
  // 300 s (301 when issued within a second): 151 s left after 149 s, 149 s after 151 s.
  world.advance(149);
  EXPECT_EQ(exchanged(world, subject), first);
  world.advance(2);
  auto fresh = exchange_token(world.server(), subject);
  EXPECT_NE(access_token_of(fresh), first);
  EXPECT_GE(fresh.body["expires_in"].get<int>(), 300);
  world.advance(1);
  EXPECT_EQ(exchanged(world, subject), access_token_of(fresh));
}

TEST(ExchangeReuse, HalfOfTheTokensOwnLifetimeWhenTheSubjectTokenCapsIt) {
  TokenLifetimes lifetimes;
  lifetimes.access = Seconds(100);
  TenantWorld world(lifetimes);
  auto subject = user_token(world);
  world.advance(40);
  auto first = exchange_token(world.server(), subject); // 60 s (61), capped by the subject token
  ASSERT_LE(first.body["expires_in"].get<int>(), 61);
  world.advance(29);
  EXPECT_EQ(exchanged(world, subject), access_token_of(first));
  world.advance(2);
  EXPECT_NE(exchanged(world, subject), access_token_of(first));
}

TEST(ExchangeReuse, AClockSteppedBackBeforeItsIssueMintsAnew) {
  TenantWorld world;
  auto subject = user_token(world);
  world.advance(60);
  auto first = exchanged(world, subject);
  world.advance(-30);
  EXPECT_NE(exchanged(world, subject), first);
}

// Whatever revokes the grant after an exchange, the next one is refused, not answered from memory.
TEST(ExchangeReuse, RefusedOnceTheGrantIsRevokedWhicheverWay) {
  using Revocation = std::function<void(TenantWorld&, const TokenResponse&)>;
  const std::vector<std::pair<std::string, Revocation>> revocations{
      {"the grant revoked",
       [](TenantWorld& world, const TokenResponse&) {
         auto grant = world.tenant.grants().grants(std::nullopt)[0].id;
         ASSERT_EQ(world.server().revoke_grant(grant, "test"), StoreStatus::ok);
       }},
      {"credential rotation",
       [](TenantWorld& world, const TokenResponse&) {
         ASSERT_EQ(world.server().revoke_user_grants("alice", "credential rotation"), std::optional<std::size_t>(1));
       }},
      {"the refresh token revoked by its client (RFC 7009)",
       [](TenantWorld& world, const TokenResponse& tokens) {
         auto revoked = world.server().revoke(
             {{"token", tokens.body["refresh_token"]}, {"client_id", std::string(scripted_client)}}, std::nullopt);
         ASSERT_EQ(revoked.status, 200u);
       }},
      {"a rotated refresh token presented again",
       [](TenantWorld& world, const TokenResponse& tokens) {
         ASSERT_TRUE(refresh(world.server(), tokens.body["refresh_token"]).ok());
         ASSERT_EQ(refresh(world.server(), tokens.body["refresh_token"]).error(), "invalid_grant");
       }},
  };
  for (const auto& [name, revoke] : revocations) {
    SCOPED_TRACE(name);
    TenantWorld world;
    auto tokens = sign_in(world.server());
    auto subject = tokens.body["access_token"].get<std::string>();
    exchanged(world, subject);
    revoke(world, tokens);
    EXPECT_EQ(exchange_token(world.server(), subject).body["error_description"], "grant revoked");
  }
}

TEST(ExchangeReuse, ARevokedExchangedTokenIsNeverHandedBack) {
  TenantWorld world;
  auto subject = user_token(world);
  auto first = exchanged(world, subject);
  auto revoked = world.server().revoke({{"token", first}},
                                       ClientCredentials{std::string(connector_client), std::string(connector_secret)});
  ASSERT_EQ(revoked.status, 200u);
  ASSERT_FALSE(world.server().verify_api_token(first).claims);
  auto fresh = exchanged(world, subject);
  EXPECT_NE(fresh, first);
  EXPECT_TRUE(world.server().verify_api_token(fresh).claims);
  EXPECT_EQ(exchanged(world, subject), fresh);
}

TEST(ExchangeReuse, AfterAKeyRotationTheNewKeySigns) {
  TenantWorld world;
  auto subject = user_token(world);
  auto first = exchanged(world, subject);
  auto rotation = world.server().rotate_signing_key();
  ASSERT_TRUE(rotation);
  auto fresh = exchanged(world, subject);
  EXPECT_NE(fresh, first);
  EXPECT_EQ(decode_jwt(fresh)->header["kid"], rotation->kid);
}

// --- API token verification ---------------------------------------------------

TEST(ApiToken, ClientTokenIsNotAcceptedByTheApi) {
  TenantWorld world;
  auto user_token = sign_in(world.server());
  auto verdict = world.server().verify_api_token(user_token.body["access_token"].get<std::string>());
  EXPECT_FALSE(verdict.claims);
  EXPECT_EQ(verdict.problem, to_string(JwtStatus::wrong_audience));
}

TEST(ApiToken, RevokingTheGrantKillsExchangedTokens) {
  TenantWorld world;
  auto backend_token = exchange_token(world.server(), sign_in(world.server()).body["access_token"]);
  auto token = backend_token.body["access_token"].get<std::string>();
  ASSERT_TRUE(world.server().verify_api_token(token).claims);
  world.server().revoke_grant(world.tenant.grants().grants(std::nullopt)[0].id, "test");
  EXPECT_EQ(world.server().verify_api_token(token).problem, "grant revoked");
}

TEST(ApiToken, AnExchangedTokenStillExpiresOnceVerified) {
  TenantWorld world;
  auto exchanged = exchange_token(world.server(), sign_in(world.server()).body["access_token"]);
  ASSERT_TRUE(exchanged.ok());
  auto token = exchanged.body["access_token"].get<std::string>();
  auto lifetime = claims_of(token)["exp"].get<std::int64_t>() - world.clock.unix_seconds();
  ASSERT_TRUE(world.server().verify_api_token(token).claims);
  world.advance(lifetime - 1);
  ASSERT_TRUE(world.server().verify_api_token(token).claims);
  world.advance(1);
  auto verdict = world.server().verify_api_token(token);
  EXPECT_FALSE(verdict.claims);
  EXPECT_EQ(verdict.problem, to_string(JwtStatus::expired));
}

TEST(ApiToken, AVerifiedTokenIsStillCheckedForItsAudience) {
  TenantWorld world;
  auto user_token = sign_in(world.server()).body["access_token"].get<std::string>();
  // Verified (and remembered) at the exchange with the MCP resource as audience...
  ASSERT_TRUE(exchange_token(world.server(), user_token).ok());
  // ...it is still not a token for the API.
  EXPECT_EQ(world.server().verify_api_token(user_token).problem, to_string(JwtStatus::wrong_audience));
}

TEST(Metadata, AdvertisesWhatTheServerDoes) {
  TenantWorld world;
  auto metadata = world.server().metadata();
  EXPECT_EQ(metadata["issuer"], issuer_url);
  EXPECT_EQ(metadata["token_endpoint"], std::string(issuer_url) + "/token");
  EXPECT_EQ(metadata["code_challenge_methods_supported"], nlohmann::json::array({"S256"}));
  EXPECT_EQ(metadata["authorization_response_iss_parameter_supported"], true);
  auto jwks = world.server().jwks();
  ASSERT_EQ(jwks["keys"].size(), 1u);
  EXPECT_TRUE(jwks["keys"][0].contains("kid"));
  EXPECT_FALSE(jwks["keys"][0].contains("d"));
}

} // namespace
} // namespace mcpcert::backend
