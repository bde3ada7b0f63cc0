// The issuer's sign-in pages in a real browser: headless Chromium, driven
// through the DevTools protocol by tests/browser/sign_in.mjs, types a
// password on the login page, a one-time code on the second-factor page and
// approves on the consent page, and ends at a loopback redirect URI with
// code, state and iss; the test then redeems the code with PKCE. A second
// authorization in the same browser goes straight to consent (the session
// cookie). Single sign-on runs through the identity provider's own page and
// its self-submitting post-back. Chromium is installed by tests/run; without
// it (or node) the test skips.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "loopback_http.hpp"
#include "mcpcert/jwt.hpp"
#include "mcpcert/mock_backend/backend.hpp"
#include "mcpcert/mock_client/child_process.hpp"
#include "mcpcert/pkce.hpp"
#include "mcpcert/totp.hpp"
#include "tenant_world.hpp"

namespace mcpcert::backend {
namespace {

using namespace loopback;

const std::filesystem::path source_dir = MCPCERT_SOURCE_DIR;
constexpr std::string_view control_secret = "control-secret-for-browser-tests";
constexpr std::string_view mcp_url = "http://127.0.0.1:45702/mcp";

std::string read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class BrowserSignIn : public ::testing::Test {
protected:
  void SetUp() override {
    chromium_ = mcpcert::client::find_on_path({"chromium", "chromium-browser"});
    if (chromium_.empty()) GTEST_SKIP() << "chromium is not installed (Debian package chromium; tests/run installs it)";
    node_ = mcpcert::client::find_on_path({"node"});
    if (node_.empty()) GTEST_SKIP() << "node is not installed";

    dir_ = std::filesystem::temp_directory_path() / ("mcpcert-browser-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "profile");
    std::ofstream(dir_ / "fixture.json") << test_world::single_sign_on_fixture().dump();

    backend_ = std::make_unique<Backend>(io_.get_executor(),
                                         test_world::one_tenant_backend(dir_ / "fixture.json", control_secret, mcp_url));
    // The client's loopback redirect URI (RFC 8252): where the browser ends.
    callback_ = std::make_unique<http::Server>(
        io_.get_executor(), "127.0.0.1", 0, http::make_async([this](http::Request& request, const http::RequestContext&) {
          std::lock_guard lock(callback_mutex_);
          // Browsers also ask for /favicon.ico.
          if (request.target().starts_with("/callback")) callback_targets_.emplace_back(request.target());
          return http::make_response(request, 200, "text/html; charset=utf-8",
                                     "<!doctype html><title>Signed in</title><p>You may close this window.</p>");
        }));
    backend_->start();
    callback_->start();
    thread_ = std::thread([this] { io_.run(); });
    auto ready = nlohmann::json::parse(backend_->ready_line().substr(6));
    control_ = ready["control"];
    issuer_ = ready["tenants"]["emea-finance"]["issuer"];
    redirect_uri_ = callback_->base_url() + "/callback";
  }

  void TearDown() override {
    if (!thread_.joinable()) return;
    boost::asio::post(io_, [this] {
      backend_->stop();
      callback_->stop();
      io_.stop();
    });
    thread_.join();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::string authorize_url(const std::string& verifier, const std::string& state) const {
    FormFields query{{"response_type", "code"},          {"client_id", "mcpcert-scripted-client"},
                     {"redirect_uri", redirect_uri_},    {"code_challenge", pkce_s256_challenge(verifier)},
                     {"code_challenge_method", "S256"},  {"resource", std::string(mcp_url)},
                     {"scope", "finance:read"},          {"state", state}};
    return issuer_ + "/authorize?" + encode_form(query);
  }

  /// Runs the DevTools driver on `runs`; its report, or null (test failed) when it did not finish.
  nlohmann::json drive(const nlohmann::json& runs) {
    const auto config_file = dir_ / "browser.json";
    std::ofstream(config_file) << nlohmann::json{{"chromium", chromium_.string()},
                                                 {"profile_dir", (dir_ / "profile").string()},
                                                 {"timeout_ms", 60000},
                                                 {"runs", runs}}
                                      .dump();
    // WebSocket is built into node from 22; 20 and 21 need the flag.
    auto child = client::ChildProcess::spawn(
        node_, {"--experimental-websocket", (source_dir / "tests/browser/sign_in.mjs").string(), config_file.string()},
        dir_ / "driver.log");
    EXPECT_TRUE(child) << "node could not be started";
    if (!child) return nullptr;
    auto out = child->read_all(std::chrono::seconds(90));
    const auto code = child->wait_exit(std::chrono::seconds(10));
    EXPECT_TRUE(out && code == 0) << "the browser driver failed:\n" << read_file(dir_ / "driver.log");
    auto report = nlohmann::json::parse(out.value_or(""), nullptr, false);
    EXPECT_TRUE(report.is_object()) << out.value_or("");
    return report.is_object() ? report : nlohmann::json(nullptr);
  }

  std::vector<std::string> callback_targets() {
    std::lock_guard lock(callback_mutex_);
    return callback_targets_;
  }

  std::filesystem::path chromium_, node_, dir_;
  boost::asio::io_context io_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<http::Server> callback_;
  std::thread thread_;
  std::mutex callback_mutex_;
  std::vector<std::string> callback_targets_;
  std::string control_, issuer_, redirect_uri_;
};

std::vector<std::string> titles(const nlohmann::json& run) {
  std::vector<std::string> out;
  for (const auto& page : run["pages"]) out.push_back(page["title"]);
  return out;
}

TEST_F(BrowserSignIn, PasswordOneTimeCodeAndConsentEndAtTheRedirectUriThenTheCodeRedeems) {
  const auto verifier = pkce_make_verifier();
  const auto second_verifier = pkce_make_verifier();
  // The issuer accepts the step before and after, so a code made now is good
  // for at least 30 s more of the backend's clock.
  const auto code = totp(test_world::erin_totp_key, backend_->clock().now());
  const nlohmann::json consent_step = {{"page", "Allow access?"}, {"click", "button[value=approve]"}};
  auto report = drive(nlohmann::json::array(
      {{{"authorize_url", authorize_url(verifier, "st-browser")},
        {"steps",
         {{{"page", "Sign in"},
           {"fill", {{"input[name=username]", "erin"}, {"input[name=password]", "erin-pw"}}},
           {"click", "form[action='/authorize/login'] button"}},
          {{"page", "Two-step verification"}, {"fill", {{"input[name=code]", code}}}, {"click", "form button"}},
          consent_step}}},
       // Same browser, same session cookie: no password, no code, consent again.
       {{"authorize_url", authorize_url(second_verifier, "st-again")}, {"steps", {consent_step}}}}));
  ASSERT_TRUE(report.is_object());
  ASSERT_EQ(report["runs"].size(), 2u);

  const auto& first = report["runs"][0];
  EXPECT_EQ(titles(first), (std::vector<std::string>{"Sign in", "Two-step verification", "Allow access?"}));
  EXPECT_EQ(first["final"]["title"], "Signed in");
  const std::string location = first["final"]["url"];
  ASSERT_TRUE(location.starts_with(redirect_uri_ + "?")) << location;
  EXPECT_EQ(query_param(location, "state"), "st-browser");
  EXPECT_EQ(query_param(location, "iss"), issuer_);
  const auto code_value = query_param(location, "code");
  ASSERT_FALSE(code_value.empty());
  // The redirect really reached the loopback listener.
  auto seen = callback_targets();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(query_param(seen[0], "code"), code_value);

  auto tokens = post_form(issuer_, "/token",
                          {{"grant_type", "authorization_code"}, {"client_id", "mcpcert-scripted-client"},
                           {"code", code_value}, {"redirect_uri", redirect_uri_}, {"code_verifier", verifier}});
  ASSERT_EQ(tokens.result_int(), 200u) << tokens.body();
  auto claims = decode_jwt(json_of(tokens)["access_token"].get<std::string>())->claims;
  EXPECT_EQ(claims["sub"], "erin");
  EXPECT_EQ(claims["aud"], mcp_url);

  const auto& second = report["runs"][1];
  EXPECT_EQ(titles(second), (std::vector<std::string>{"Allow access?"}));
  EXPECT_EQ(query_param(second["final"]["url"].get<std::string>(), "state"), "st-again");
  auto again = post_form(issuer_, "/token",
                         {{"grant_type", "authorization_code"}, {"client_id", "mcpcert-scripted-client"},
                          {"code", query_param(seen[1], "code")}, {"redirect_uri", redirect_uri_},
                          {"code_verifier", second_verifier}});
  EXPECT_EQ(again.result_int(), 200u) << again.body();

  auto events = json_of(send(control_, {bhttp::verb::get, "/control/tenants/emea-finance/auth-events", "", "",
                                        "Bearer " + std::string(control_secret)}));
  std::vector<std::string> sign_ins;
  for (const auto& event : events["events"])
    if (event["event"] == "sign_in") sign_ins.push_back(event["detail"]);
  EXPECT_EQ(sign_ins, (std::vector<std::string>{"entity ent-brussels, password and one-time code",
                                                "entity ent-brussels, browser session"}));
}

TEST_F(BrowserSignIn, SingleSignOnThroughTheIdentityProvidersPageEndsAtTheRedirectUri) {
  const auto verifier = pkce_make_verifier();
  auto report = drive(nlohmann::json::array(
      {{{"authorize_url", authorize_url(verifier, "st-sso")},
        {"steps",
         {{{"page", "Sign in"}, {"click", "form.sso button"}},
          // The provider's page posts the assertion back by script: no click, the consent page follows.
          {{"page", "Test ID"},
           {"fill", {{"input[name=username]", "gina@test-id.example"}, {"input[name=password]", "gina-idp-pw"}}},
           {"click", "form button"},
           {"settles_on", "Allow access?"}},
          {{"page", "Allow access?"}, {"click", "button[value=approve]"}}}}}}));
  ASSERT_TRUE(report.is_object());
  const auto& run = report["runs"][0];
  const auto pages = titles(run);
  ASSERT_GE(pages.size(), 3u);
  EXPECT_EQ(pages.front(), "Sign in");
  EXPECT_EQ(pages[1], "Test ID");
  EXPECT_EQ(pages.back(), "Allow access?");
  // The provider's page was served by its own listener, not the issuer's.
  EXPECT_FALSE(run["pages"][1]["url"].get<std::string>().starts_with(issuer_));
  const std::string location = run["final"]["url"];
  ASSERT_TRUE(location.starts_with(redirect_uri_ + "?")) << location;
  EXPECT_EQ(query_param(location, "state"), "st-sso");
  EXPECT_EQ(query_param(location, "iss"), issuer_);
  auto tokens = post_form(issuer_, "/token",
                          {{"grant_type", "authorization_code"}, {"client_id", "mcpcert-scripted-client"},
                           {"code", query_param(location, "code")}, {"redirect_uri", redirect_uri_},
                           {"code_verifier", verifier}});
  ASSERT_EQ(tokens.result_int(), 200u) << tokens.body();
  EXPECT_EQ(decode_jwt(json_of(tokens)["access_token"].get<std::string>())->claims["sub"], "gina");
}

} // namespace
} // namespace mcpcert::backend
