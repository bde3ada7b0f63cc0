#pragma once
// A tenant built from an inline fixture on a virtual clock, plus the steps of
// the OAuth flows, so each test states only what it is about.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mcpcert/clock.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/pkce.hpp"
#include "mcpcert/totp.hpp"
#include "mcpcert/mock_backend/backend_config.hpp"
#include "mcpcert/mock_backend/tenant.hpp"

namespace mcpcert::backend::test_world {

inline constexpr std::string_view issuer_url = "http://127.0.0.1:9001";
inline constexpr std::string_view api_url = "http://127.0.0.1:9002";
inline constexpr std::string_view mcp_resource = "http://127.0.0.1:9100/mcp";
inline constexpr std::string_view scripted_client = "mcpcert-scripted-client";
inline constexpr std::string_view connector_client = "mcpcert-connector";
inline constexpr std::string_view connector_secret = "connector-secret-for-tests";
inline constexpr std::string_view client_redirect = "http://127.0.0.1:53123/callback";
/// erin's second factor: the fixture's base32 secret decodes to RFC 6238's SHA-1 test key.
inline constexpr std::string_view erin_totp_key = "12345678901234567890";

inline nlohmann::json test_fixture() {
  return nlohmann::json::parse(R"({
    "tenant": "emea-finance",
    "company": {"id": "co-test", "name": "Test Group"},
    "entities": [
      {"id": "ent-brussels", "name": "Brussels SA", "currency": "EUR"},
      {"id": "ent-lyon", "name": "Lyon SAS", "currency": "EUR"}
    ],
    "users": [
      {"id": "alice", "password": "alice-pw", "default_entity": "ent-brussels",
       "roles": [{"entity": "ent-brussels", "role": "editor", "mcp_access": true},
                 {"entity": "ent-lyon", "role": "viewer", "mcp_access": true}]},
      {"id": "bob", "password": "bob-pw", "default_entity": "ent-brussels",
       "roles": [{"entity": "ent-brussels", "role": "viewer", "mcp_access": true}]},
      {"id": "carol", "password": "carol-pw", "default_entity": "ent-lyon",
       "roles": [{"entity": "ent-lyon", "role": "admin", "mcp_access": false}]},
      {"id": "dave", "password": "dave-pw", "default_entity": "ent-lyon", "suspended": true,
       "roles": [{"entity": "ent-lyon", "role": "viewer", "mcp_access": true}]},
      {"id": "erin", "password": "erin-pw", "default_entity": "ent-brussels", "mfa_required": true,
       "totp_secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
       "roles": [{"entity": "ent-brussels", "role": "viewer", "mcp_access": true}]}
    ],
    "ledger": [
      {"entity": "ent-brussels", "kpis": [
        {"id": "revenue", "name": "Revenue", "period": "2025-Q1", "value": 100.5},
        {"id": "cash", "name": "Cash", "period": "2025-Q1", "value": 42}]},
      {"entity": "ent-lyon", "kpis": [
        {"id": "revenue", "name": "Revenue", "period": "2025-Q1", "value": 7}]}
    ],
    "clients": [
      {"client_id": "mcpcert-scripted-client", "type": "public", "redirect_uris": ["http://127.0.0.1/callback"]},
      {"client_id": "mcpcert-connector", "type": "confidential", "client_secret": "connector-secret-for-tests"}
    ]
  })");
}

/// test_fixture() with an identity provider ("Test ID") and two users linked
/// to it: gina, who signs in only through it, and alice, who may use either way.
/// hank@test-id.example is known to the provider and linked to nobody.
inline nlohmann::json single_sign_on_fixture() {
  auto fixture = test_fixture();
  fixture["identity_provider"] = {
      {"id", "test-id"},
      {"name", "Test ID"},
      {"users",
       {{{"id", "gina@test-id.example"}, {"display_name", "Gina Lopez"}, {"password", "gina-idp-pw"}},
        {{"id", "alice@test-id.example"}, {"password", "alice-idp-pw"}},
        {{"id", "hank@test-id.example"}, {"password", "hank-idp-pw"}}}}};
  for (auto& user : fixture["users"])
    if (user["id"] == "alice") user["sso_subject"] = "alice@test-id.example";
  fixture["users"].push_back({{"id", "gina"},
                              {"sso_subject", "gina@test-id.example"},
                              {"sso_only", true},
                              {"default_entity", "ent-brussels"},
                              {"roles", {{{"entity", "ent-brussels"}, {"role", "viewer"}, {"mcp_access", true}}}}});
  return fixture;
}

/// A simulation backend (virtual clock, control plane) of one tenant,
/// emea-finance, from `fixture`, every listener on a free loopback port.
inline BackendConfig one_tenant_backend(const std::filesystem::path& fixture, std::string_view control_secret,
                                        std::string_view mcp_resource_url) {
  BackendConfig config;
  config.simulation = true;
  // Filled in place: g++ 12 -O2 wrongly sees a copied temporary as uninitialized.
  auto& control = config.control.emplace();
  control.listen = {"127.0.0.1", 0};
  control.secret = std::string(control_secret);
  TenantConfig tenant;
  tenant.id = "emea-finance";
  tenant.region = "eu-central-1";
  tenant.fixture = fixture;
  tenant.api_listen = {"127.0.0.1", 0};
  tenant.issuer_listen = {"127.0.0.1", 0};
  tenant.resources = {{std::string(mcp_resource_url), std::string(connector_client)}};
  config.tenants.push_back(tenant);
  return config;
}

/// One tenant on its own virtual clock, with the MCP resource registered for
/// the connector; its state in `state_file`, or in memory when that is empty.
struct TenantWorld {
  explicit TenantWorld(TokenLifetimes lifetimes = {}, const std::filesystem::path& state_file = {},
                       const nlohmann::json& fixture = test_fixture())
      : tenant(IssuerIdentity{"emea-finance", "eu-central-1", std::string(issuer_url), std::string(api_url)},
               lifetimes, parse_tenant_fixture(fixture, "test-fixture"), clock,
               open_tenant_storage(state_file, "emea-finance", clock)) {
    tenant.clients().register_resource(std::string(mcp_resource), std::string(connector_client));
  }

  AuthorizationServer& server() { return tenant.authorization_server(); }
  void advance(std::int64_t seconds) { clock.advance(std::chrono::seconds(seconds)); }

  VirtualClock clock;
  Tenant tenant;
};

/// The query of a well-formed authorization request; tests then spoil one field.
inline FormFields authorization_query(std::string_view challenge) {
  return {{"response_type", "code"},
          {"client_id", std::string(scripted_client)},
          {"redirect_uri", std::string(client_redirect)},
          {"code_challenge", std::string(challenge)},
          {"code_challenge_method", "S256"},
          {"resource", std::string(mcp_resource)},
          {"scope", "finance:read"},
          {"state", "st-123"}};
}

/// The value of `name` in a redirect Location's query; empty when absent.
inline std::string location_param(std::string_view location, std::string_view name) {
  auto mark = location.find('?');
  if (mark == std::string_view::npos) return {};
  auto parsed = parse_form(location.substr(mark + 1));
  auto it = parsed.fields.find(name);
  return it == parsed.fields.end() ? std::string{} : it->second;
}

inline std::string redirect_error(const AuthorizationStep& step) {
  const auto* redirect = std::get_if<Redirect>(&step);
  return redirect ? location_param(redirect->location, "error") : "(no redirect)";
}

/// The fixture's password of `user`, then, when the issuer asks for it, the
/// current one-time code of the user's fixture TOTP secret: what a user with
/// an authenticator app does. Returns the step after the last form.
inline AuthorizationStep sign_in_as(Tenant& tenant, const Clock& clock, std::string_view txn, std::string_view user) {
  const FixtureCredential* credential = nullptr;
  for (const auto& candidate : tenant.fixture_credentials())
    if (candidate.user == user) credential = &candidate;
  EXPECT_NE(credential, nullptr) << "no fixture credential for " << user;
  if (!credential) return ErrorPage{};
  auto step = tenant.authorization_server().login(txn, user, credential->password);
  if (!std::holds_alternative<SecondFactorForm>(step)) return step;
  auto key = base32_decode(credential->totp_secret);
  EXPECT_TRUE(key) << "the issuer asked " << user << " for a one-time code, and the fixture has no secret";
  return tenant.authorization_server().second_factor(txn, key ? totp(*key, clock.now()) : std::string{});
}

struct IssuedCode {
  std::string code;
  std::string verifier;
};

/// authorize -> login -> consent(approve) for `user`; fails the test on any detour.
inline IssuedCode obtain_code(AuthorizationServer& server, std::string_view user, std::string_view password) {
  IssuedCode out;
  out.verifier = pkce_make_verifier();
  auto step = server.authorize(authorization_query(pkce_s256_challenge(out.verifier)));
  const auto* login = std::get_if<LoginForm>(&step);
  EXPECT_NE(login, nullptr) << "authorize did not show the login form";
  if (!login) return out;
  auto txn = login->txn;
  step = server.login(txn, user, password);
  EXPECT_NE(std::get_if<ConsentForm>(&step), nullptr) << "login did not lead to consent: " << redirect_error(step);
  step = server.consent(txn, "approve");
  const auto* redirect = std::get_if<Redirect>(&step);
  EXPECT_NE(redirect, nullptr);
  if (redirect) out.code = location_param(redirect->location, "code");
  return out;
}

inline TokenResponse redeem(AuthorizationServer& server, const IssuedCode& issued) {
  return server.token({{"grant_type", "authorization_code"},
                       {"client_id", std::string(scripted_client)},
                       {"code", issued.code},
                       {"redirect_uri", std::string(client_redirect)},
                       {"code_verifier", issued.verifier}},
                      std::nullopt);
}

inline TokenResponse refresh(AuthorizationServer& server, const std::string& refresh_token) {
  return server.token({{"grant_type", "refresh_token"},
                       {"client_id", std::string(scripted_client)},
                       {"refresh_token", refresh_token}},
                      std::nullopt);
}

inline TokenResponse exchange_token(AuthorizationServer& server, const std::string& subject_token,
                              std::string_view audience = api_url) {
  return server.token({{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                       {"subject_token", subject_token},
                       {"subject_token_type", "urn:ietf:params:oauth:token-type:access_token"},
                       {"audience", std::string(audience)}},
                      ClientCredentials{std::string(connector_client), std::string(connector_secret)});
}

/// alice's client access token (audience: the MCP resource).
inline TokenResponse sign_in(AuthorizationServer& server, std::string_view user = "alice",
                             std::string_view password = "alice-pw") {
  return redeem(server, obtain_code(server, user, password));
}

} // namespace mcpcert::backend::test_world
