// Sign-in pages over real HTTP on loopback: the second-factor page, single
// sign-on through the identity provider's own listener, the session cookie
// and sign-out, and what the simulation control plane tells the harness.
#include "mcpcert/mock_backend/backend.hpp"

#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "loopback_http.hpp"
#include "mcpcert/jwt.hpp"
#include "mcpcert/pkce.hpp"
#include "mcpcert/totp.hpp"
#include "state_directory.hpp"
#include "tenant_world.hpp"

namespace mcpcert::backend {
namespace {

using namespace loopback;

constexpr std::string_view control_secret = "control-secret-for-sign-in-tests";
constexpr std::string_view mcp_url = "http://127.0.0.1:45701/mcp";
constexpr std::string_view redirect_uri = "http://127.0.0.1:40001/callback";

class SignInOverHttp : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "mcpcert-sign-in-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::ofstream(dir_ / "fixture.json") << test_world::single_sign_on_fixture().dump();

    auto config = test_world::one_tenant_backend(dir_ / "fixture.json", control_secret, mcp_url);
    config.state_dir = dir_ / "state"; // a file, so a test can make the store refuse
    backend_ = std::make_unique<Backend>(io_.get_executor(), config);
    backend_->start();
    thread_ = std::thread([this] { io_.run(); });
    auto ready = nlohmann::json::parse(backend_->ready_line().substr(6));
    control_ = ready["control"];
    issuer_ = ready["tenants"]["emea-finance"]["issuer"];
    idp_ = ready["tenants"]["emea-finance"].value("identity_provider", "");
  }

  void TearDown() override {
    boost::asio::post(io_, [this] {
      backend_->stop();
      io_.stop();
    });
    thread_.join();
    backend_.reset();
    std::filesystem::remove_all(dir_);
  }

  http::Response control(const std::string& target) {
    return send(control_, {bhttp::verb::get, target, "", "", "Bearer " + std::string(control_secret)});
  }

  /// GET /authorize for a fresh PKCE pair; the login page.
  http::Response authorize(const std::string& cookie = {}) {
    verifier_ = pkce_make_verifier();
    FormFields query{{"response_type", "code"},          {"client_id", "mcpcert-scripted-client"},
                     {"redirect_uri", std::string(redirect_uri)}, {"code_challenge", pkce_s256_challenge(verifier_)},
                     {"code_challenge_method", "S256"},  {"resource", std::string(mcp_url)},
                     {"scope", "finance:read"},          {"state", "st-7"}};
    return send(issuer_, {bhttp::verb::get, "/authorize?" + encode_form(query), "", "", "", cookie});
  }

  std::vector<std::string> event_kinds() {
    std::vector<std::string> kinds;
    auto answer = json_of(control("/control/tenants/emea-finance/auth-events"));
    for (const auto& event : answer["events"]) kinds.push_back(event["event"]);
    return kinds;
  }

  http::Response login(const std::string& page, const std::string& user, const std::string& password) {
    return post_form(issuer_, "/authorize/login", {{"txn", txn_of(page)}, {"username", user}, {"password", password}});
  }

  std::string erins_code(std::int64_t offset_seconds = 0) {
    return totp(test_world::erin_totp_key, backend_->virtual_clock()->now() + Seconds(offset_seconds));
  }

  boost::asio::io_context io_;
  std::unique_ptr<Backend> backend_;
  std::thread thread_;
  std::filesystem::path dir_;
  std::string control_, issuer_, idp_, verifier_;
};

TEST_F(SignInOverHttp, SecondFactorPageThenConsentThenCode) {
  auto page = login(authorize().body(), "erin", "erin-pw");
  ASSERT_EQ(page.result_int(), 200u) << page.body();
  EXPECT_NE(page.body().find("action=\"/authorize/mfa\""), std::string::npos) << page.body();
  EXPECT_NE(page.body().find("name=\"code\""), std::string::npos);
  EXPECT_EQ(page.body().find("name=\"password\""), std::string::npos);

  auto wrong = post_form(issuer_, "/authorize/mfa", {{"txn", txn_of(page.body())}, {"code", erins_code(3600)}});
  EXPECT_EQ(wrong.result_int(), 400u);
  EXPECT_NE(wrong.body().find("Wrong one-time code."), std::string::npos) << wrong.body();

  auto consent = post_form(issuer_, "/authorize/mfa", {{"txn", txn_of(wrong.body())}, {"code", erins_code()}});
  ASSERT_EQ(consent.result_int(), 200u) << consent.body();
  EXPECT_NE(consent.body().find("action=\"/authorize/consent\""), std::string::npos);
  auto redirect = post_form(issuer_, "/authorize/consent", {{"txn", txn_of(consent.body())}, {"decision", "approve"}});
  ASSERT_EQ(redirect.result_int(), 302u) << redirect.body();
  auto location = std::string(redirect[bhttp::field::location]);
  EXPECT_FALSE(query_param(location, "code").empty());
  EXPECT_EQ(query_param(location, "iss"), issuer_);

  auto events = json_of(control("/control/tenants/emea-finance/auth-events"))["events"];
  std::vector<std::string> kinds;
  for (const auto& event : events) kinds.push_back(event["event"]);
  EXPECT_EQ(kinds, (std::vector<std::string>{"sign_in_failure", "sign_in", "consent"}));
  EXPECT_EQ(events[0]["detail"], "wrong one-time code");
  EXPECT_EQ(events[0]["user"], "erin");
}

TEST_F(SignInOverHttp, SecondFactorEndpointTakesPostFormsOnly) {
  auto page = login(authorize().body(), "erin", "erin-pw");
  EXPECT_EQ(get(issuer_, "/authorize/mfa").result_int(), 405u);
  auto json_body = post_json(issuer_, "/authorize/mfa", {{"txn", txn_of(page.body())}, {"code", erins_code()}});
  EXPECT_EQ(json_body.result_int(), 400u);
  // Unknown transaction: an error page, never a redirect.
  auto unknown = post_form(issuer_, "/authorize/mfa", {{"txn", "nope"}, {"code", erins_code()}});
  EXPECT_EQ(unknown.result_int(), 400u);
  EXPECT_TRUE(unknown[bhttp::field::location].empty());
}

// The attribute value that follows `marker` in `html`; empty when absent.
std::string quoted_after(const std::string& html, const std::string& marker) {
  auto start = html.find(marker);
  if (start == std::string::npos) return {};
  start += marker.size();
  return html.substr(start, html.find('"', start) - start);
}

std::string hidden_value(const std::string& html, const std::string& name) {
  return quoted_after(html, "name=\"" + name + "\" value=\"");
}

// The action of the form whose method is `method`.
std::string form_action(const std::string& html, const std::string& method) {
  return quoted_after(html, "<form method=\"" + method + "\" action=\"");
}

TEST_F(SignInOverHttp, SingleSignOnThroughTheProvidersOwnListener) {
  ASSERT_FALSE(idp_.empty());
  ASSERT_NE(idp_, issuer_);
  auto login = authorize();
  ASSERT_EQ(login.result_int(), 200u);
  EXPECT_NE(login.body().find("Sign in with Test ID"), std::string::npos) << login.body();
  ASSERT_EQ(form_action(login.body(), "get"), idp_ + "/login");

  FormFields hand_off{{"rp", hidden_value(login.body(), "rp")},
                      {"nonce", hidden_value(login.body(), "nonce")},
                      {"relay_state", hidden_value(login.body(), "relay_state")}};
  EXPECT_EQ(hand_off["rp"], issuer_);
  auto provider_page = get(idp_, "/login?" + encode_form(hand_off));
  ASSERT_EQ(provider_page.result_int(), 200u) << provider_page.body();
  EXPECT_EQ(form_action(provider_page.body(), "post"), "/login");

  auto credentials = hand_off;
  credentials["username"] = "gina@test-id.example";
  credentials["password"] = "wrong";
  EXPECT_EQ(post_form(idp_, "/login", credentials).result_int(), 400u);
  credentials["password"] = "gina-idp-pw";
  auto post_back = post_form(idp_, "/login", credentials);
  ASSERT_EQ(post_back.result_int(), 200u) << post_back.body();
  EXPECT_EQ(form_action(post_back.body(), "post"), issuer_ + "/authorize/sso");
  EXPECT_NE(post_back.body().find("document.forms[0].submit()"), std::string::npos);
  auto assertion = hidden_value(post_back.body(), "assertion");
  // The provider's key verifies it, as published on its listener.
  auto keys = JwkSet::from_json(json_of(get(idp_, "/jwks")));
  JwtExpectations expect;
  expect.type = "sso+jwt";
  expect.audience = issuer_;
  expect.now = backend_->clock().unix_seconds();
  EXPECT_TRUE(verify_jwt(assertion, keys, expect));

  auto consent = post_form(issuer_, "/authorize/sso", {{"assertion", assertion}, {"relay_state", hand_off["relay_state"]}});
  ASSERT_EQ(consent.result_int(), 200u) << consent.body();
  EXPECT_NE(consent.body().find("Signed in as gina."), std::string::npos) << consent.body();

  // Played back: an error page, never a redirect, and a sign_in_failure.
  auto replay = post_form(issuer_, "/authorize/sso", {{"assertion", assertion}, {"relay_state", hand_off["relay_state"]}});
  EXPECT_EQ(replay.result_int(), 400u);
  EXPECT_TRUE(replay[bhttp::field::location].empty());
  EXPECT_NE(replay.body().find("already used"), std::string::npos) << replay.body();

  auto redirect = post_form(issuer_, "/authorize/consent", {{"txn", txn_of(consent.body())}, {"decision", "approve"}});
  ASSERT_EQ(redirect.result_int(), 302u);
  EXPECT_FALSE(query_param(redirect[bhttp::field::location], "code").empty());
  EXPECT_EQ(event_kinds(), (std::vector<std::string>{"sign_in", "sign_in_failure", "consent"}));
}

TEST_F(SignInOverHttp, TheProviderRefusesOtherRelyingParties) {
  auto page = get(idp_, "/login?" + encode_form({{"rp", "https://attacker.example"}, {"nonce", "n"}, {"relay_state", "r"}}));
  EXPECT_EQ(page.result_int(), 400u);
  EXPECT_NE(page.body().find("Unknown relying party"), std::string::npos);
  EXPECT_EQ(send(idp_, {bhttp::verb::put, "/login", "", "", ""}).result_int(), 405u);
  EXPECT_EQ(get(idp_, "/elsewhere").result_int(), 404u);
}

TEST_F(SignInOverHttp, SessionCookieSparesThePasswordUntilSignOut) {
  auto consent = login(authorize().body(), "alice", "alice-pw");
  ASSERT_EQ(consent.result_int(), 200u);
  std::string set_cookie(consent[bhttp::field::set_cookie]);
  ASSERT_TRUE(set_cookie.starts_with("mcpcert_session_emea-finance=")) << set_cookie;
  EXPECT_NE(set_cookie.find("; Path=/;"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; SameSite=Lax"), std::string::npos) << set_cookie;
  const auto cookie = set_cookie.substr(0, set_cookie.find(';'));

  // Among other cookies, as a browser sends them: straight to consent.
  auto again = authorize("other=1; " + cookie);
  ASSERT_EQ(again.result_int(), 200u);
  EXPECT_NE(again.body().find("action=\"/authorize/consent\""), std::string::npos) << again.body();
  EXPECT_TRUE(again[bhttp::field::set_cookie].empty());

  EXPECT_EQ(get(issuer_, "/sign-out").result_int(), 405u);
  auto signed_out = send(issuer_, {bhttp::verb::post, "/sign-out", "", "", "", cookie});
  ASSERT_EQ(signed_out.result_int(), 200u);
  std::string cleared(signed_out[bhttp::field::set_cookie]);
  EXPECT_TRUE(cleared.starts_with("mcpcert_session_emea-finance=;")) << cleared;
  EXPECT_NE(cleared.find("Max-Age=0"), std::string::npos);
  auto after = authorize(cookie);
  EXPECT_NE(after.body().find("name=\"password\""), std::string::npos);
  EXPECT_EQ(event_kinds(), (std::vector<std::string>{"sign_in", "sign_in", "sign_out"}));
}

TEST_F(SignInOverHttp, ASignOutTheStoreRefusesIsA500ThatKeepsTheSession) {
  auto consent = login(authorize().body(), "alice", "alice-pw");
  std::string set_cookie(consent[bhttp::field::set_cookie]);
  const auto cookie = set_cookie.substr(0, set_cookie.find(';'));
  ASSERT_FALSE(cookie.empty());
  ASSERT_TRUE(test_world::refuse_deletes_from(dir_ / "state" / "emea-finance.sqlite", "browser_sessions"));
  auto refused = send(issuer_, {bhttp::verb::post, "/sign-out", "", "", "", cookie});
  EXPECT_EQ(refused.result_int(), 500u);
  EXPECT_NE(refused.body().find("could not be ended"), std::string::npos) << refused.body();
  // The cookie is not cleared: the session stands, so the browser can try again.
  EXPECT_TRUE(refused[bhttp::field::set_cookie].empty());
  EXPECT_NE(authorize(cookie).body().find("action=\"/authorize/consent\""), std::string::npos);
}

TEST_F(SignInOverHttp, ControlPlaneListsTheSecondFactorForTheHarness) {
  auto users = json_of(control("/control/tenants/emea-finance/users"))["users"];
  int seen = 0;
  for (const auto& user : users) {
    if (user["id"] == "erin") {
      ++seen;
      EXPECT_EQ(user["mfa"], true);
      EXPECT_EQ(user["totp_secret"], "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    } else if (user["id"] == "alice") {
      ++seen;
      EXPECT_EQ(user["mfa"], false);
      EXPECT_FALSE(user.contains("totp_secret"));
    }
  }
  EXPECT_EQ(seen, 2) << users.dump();
}

TEST_F(SignInOverHttp, ControlPlaneListsSingleSignOnAccountsForTheHarness) {
  // Held in a variable: a range over a member of a temporary would outlive the temporary.
  const auto listed = json_of(control("/control/tenants/emea-finance/users"));
  for (const auto& user : listed["users"]) {
    if (user["id"] == "gina") {
      EXPECT_EQ(user["sso_only"], true);
      EXPECT_EQ(user["sso_subject"], "gina@test-id.example");
      EXPECT_EQ(user["sso_password"], "gina-idp-pw");
      EXPECT_FALSE(user.contains("password"));
    } else if (user["id"] == "bob") {
      EXPECT_EQ(user["sso_only"], false);
      EXPECT_FALSE(user.contains("sso_subject"));
    }
  }
}

} // namespace
} // namespace mcpcert::backend
