// The tenant API over loopback, as a connector meets it: every error status
// the OpenAPI document promises (400, 401, 403, 404, 409, 413, 429) comes as
// RFC 9457 problem details, and a refused write changes nothing.

#include <filesystem>
#include <thread>

#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include "loopback_http.hpp"
#include "mcpcert/mock_backend/backend.hpp"
#include "mcpcert/pkce.hpp"

namespace mcpcert::backend {
namespace {

using namespace loopback;

constexpr int rate_limit = 12;

class PlanningOverHttp : public ::testing::Test {
protected:
  void SetUp() override {
    BackendConfig config;
    TenantConfig tenant;
    tenant.id = "us-planning";
    tenant.region = "us-east-1";
    tenant.fixture = std::filesystem::path(MCPCERT_TEST_SOURCE_ROOT) / "mock_backend/fixtures/us-planning.json";
    tenant.api_listen = {"127.0.0.1", 0};
    tenant.issuer_listen = {"127.0.0.1", 0};
    tenant.api_rate_limit_per_minute = rate_limit;
    tenant.resources.push_back({"http://127.0.0.1:45679/mcp", "mcpcert-connector"});
    config.tenants.push_back(tenant);
    backend_ = std::make_unique<Backend>(io_.get_executor(), config);
    backend_->start();
    thread_ = std::thread([this] { io_.run(); });
    auto ready = nlohmann::json::parse(backend_->ready_line().substr(6));
    issuer_ = ready["tenants"]["us-planning"]["issuer"];
    api_ = ready["tenants"]["us-planning"]["api"];
    token_ = backend_token("paul", "paul-planning-2026");
  }

  void TearDown() override {
    boost::asio::post(io_, [this] {
      backend_->stop();
      io_.stop();
    });
    thread_.join();
  }

  /// Sign-in through the issuer's pages, then the connector's token exchange.
  std::string backend_token(const std::string& user, const std::string& password) {
    auto verifier = pkce_make_verifier();
    FormFields query{{"response_type", "code"}, {"client_id", "mcpcert-scripted-client"},
                     {"redirect_uri", "http://127.0.0.1:40000/callback"}, {"code_challenge", pkce_s256_challenge(verifier)},
                     {"code_challenge_method", "S256"}, {"resource", "http://127.0.0.1:45679/mcp"},
                     {"scope", "planning:read planning:write"}, {"state", "s"}};
    auto login = get(issuer_, "/authorize?" + encode_form(query));
    auto consent = post_form(issuer_, "/authorize/login", {{"txn", txn_of(login.body())}, {"username", user}, {"password", password}});
    auto redirect = post_form(issuer_, "/authorize/consent", {{"txn", txn_of(consent.body())}, {"decision", "approve"}});
    std::string location(redirect[bhttp::field::location]);
    auto tokens = json_of(post_form(issuer_, "/token",
                                    {{"grant_type", "authorization_code"}, {"client_id", "mcpcert-scripted-client"},
                                     {"code", query_param(location, "code")},
                                     {"redirect_uri", "http://127.0.0.1:40000/callback"}, {"code_verifier", verifier}}));
    auto exchanged = post_form(issuer_, "/token",
                               {{"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
                                {"subject_token", tokens.value("access_token", "")},
                                {"subject_token_type", "urn:ietf:params:oauth:token-type:access_token"},
                                {"audience", api_}},
                               // base64("mcpcert-connector:connector-secret-us-planning-0001")
                               "Basic bWNwY2VydC1jb25uZWN0b3I6Y29ubmVjdG9yLXNlY3JldC11cy1wbGFubmluZy0wMDAx");
    EXPECT_EQ(exchanged.result_int(), 200u) << exchanged.body();
    return json_of(exchanged).value("access_token", "");
  }

  http::Response api(bhttp::verb verb, const std::string& target, const std::string& body = {}, bool with_token = true) {
    return send(api_, {verb, target, body, body.empty() ? "" : "application/json", with_token ? "Bearer " + token_ : ""});
  }

  /// Announces a body over the limit and sends none of it: the server must
  /// answer 413 from the header alone, before reading or doing anything else.
  /// (Sending the body too would race the server's close of the connection.)
  http::Response oversized_post(const std::string& target, std::size_t bytes) {
    auto url = http::parse_url(api_);
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address(url->host), url->port});
    const std::string head = "POST " + target + " HTTP/1.1\r\nHost: " + url->host + "\r\nContent-Type: application/json\r\n" +
                             "Authorization: Bearer " + token_ + "\r\nContent-Length: " + std::to_string(bytes) + "\r\n\r\n";
    boost::asio::write(socket, boost::asio::buffer(head));
    boost::beast::flat_buffer buffer;
    http::Response response;
    boost::system::error_code read_error;
    bhttp::read(socket, buffer, response, read_error);
    EXPECT_FALSE(read_error) << read_error.message();
    return response;
  }

  std::size_t version_count() {
    return json_of(api(bhttp::verb::get, "/api/v1/apps/app-forecast/versions"))["versions"].size();
  }

  static void expect_problem(const http::Response& response, unsigned status) {
    EXPECT_EQ(response.result_int(), status) << response.body();
    EXPECT_EQ(response[bhttp::field::content_type], "application/problem+json");
    auto body = json_of(response);
    EXPECT_EQ(body.value("status", 0), static_cast<int>(status));
    EXPECT_FALSE(body.value("detail", "").empty());
  }

  boost::asio::io_context io_{1};
  std::unique_ptr<Backend> backend_;
  std::thread thread_;
  std::string issuer_;
  std::string api_;
  std::string token_;
};

TEST_F(PlanningOverHttp, EveryErrorStatusIsProblemDetailsAndChangesNothing) {
  ASSERT_FALSE(token_.empty());
  const auto before = version_count();
  expect_problem(api(bhttp::verb::get, "/api/v1/apps", {}, false), 401);
  expect_problem(api(bhttp::verb::post, "/api/v1/apps/app-forecast/versions", "{not json"), 400);
  expect_problem(api(bhttp::verb::post, "/api/v1/apps/app-forecast/versions", R"({"name": 42})"), 400);
  expect_problem(api(bhttp::verb::get, "/api/v1/apps/app-board"), 403);
  expect_problem(api(bhttp::verb::get, "/api/v1/apps/app-nowhere"), 404);
  expect_problem(api(bhttp::verb::post, "/api/v1/apps/app-forecast/versions", R"({"name": "Baseline"})"), 409);
  expect_problem(oversized_post("/api/v1/apps/app-forecast/versions", 2 * 1024 * 1024), 413);
  EXPECT_EQ(version_count(), before);
}

TEST_F(PlanningOverHttp, RateLimitAnswers429WithRetryAfter) {
  http::Response last;
  for (int i = 0; i <= rate_limit && last.result_int() != 429; ++i) last = api(bhttp::verb::get, "/api/v1/apps");
  expect_problem(last, 429);
  EXPECT_FALSE(std::string(last[bhttp::field::retry_after]).empty());
}

} // namespace
} // namespace mcpcert::backend
