#include "mcpcert/mock_client/oauth_client.hpp"

#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/field.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mcpcert/auth_header.hpp"
#include "mcpcert/encoding.hpp"
#include "mcpcert/http_server.hpp"
#include "mcpcert/mock_client/mcp_client.hpp"

namespace mcpcert::client {
namespace {

using nlohmann::json;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::Not;

constexpr const char* redirect_uri = "http://127.0.0.1:47011/callback";

// One loopback HTTP server whose routes a test sets, recording every request.
class FakeServer {
public:
  using Route = std::function<http::Response(const http::Request&)>;

  FakeServer()
      : server_(io_.get_executor(), "127.0.0.1", 0, http::make_async([this](http::Request& request, const http::RequestContext&) {
                  return handle(request);
                })) {
    server_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FakeServer() {
    server_.stop();
    work_.reset();
    io_.stop();
    thread_.join();
  }

  std::string url() const { return server_.base_url(); }
  void on(const std::string& path, Route route) { routes_[path] = std::move(route); }

  struct Seen {
    std::string method;
    std::string target;
    std::string authorization;
    std::string body;
  };
  std::vector<Seen> seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  std::vector<std::string> targets() const {
    std::vector<std::string> out;
    for (const auto& request : seen()) out.push_back(request.target);
    return out;
  }
  std::vector<Seen> seen_at(const std::string& path) const {
    std::vector<Seen> out;
    for (const auto& request : seen()) {
      if (request.target.substr(0, request.target.find('?')) == path) out.push_back(request);
    }
    return out;
  }

private:
  http::Response handle(const http::Request& request) {
    const std::string target(request.target());
    {
      std::lock_guard lock(mutex_);
      seen_.push_back({std::string(request.method_string()), target,
                       std::string(request[boost::beast::http::field::authorization]), request.body()});
    }
    auto route = routes_.find(target.substr(0, target.find('?')));
    if (route == routes_.end()) return http::make_json_response(request, 404, R"({"error":"not_found"})");
    return route->second(request);
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  http::Server server_;
  std::thread thread_;
  std::map<std::string, Route> routes_;
  mutable std::mutex mutex_;
  std::vector<Seen> seen_;
};

http::Response json_reply(const http::Request& request, const json& body, unsigned status = 200) {
  return http::make_json_response(request, status, body.dump());
}

FormFields query_of(const std::string& target) {
  const auto start = target.find('?');
  return parse_form(start == std::string::npos ? "" : target.substr(start + 1)).fields;
}

FormFields form_of(const std::string& body) { return parse_form(body).fields; }

// An authorization server at `prefix` of `server` (an issuer with a path when
// prefix is not empty) that approves at once, as the conformance suite's does,
// and issues "tok-<n>" tokens carrying the scope asked for at /authorize.
class FakeIssuer {
public:
  FakeIssuer(FakeServer& server, std::string prefix, json extra_metadata = json::object(),
             std::string metadata_path = {})
      : server_(server), issuer_(server.url() + prefix) {
    json metadata = {{"issuer", issuer_},
                     {"authorization_endpoint", issuer_ + "/authorize"},
                     {"token_endpoint", issuer_ + "/token"},
                     {"revocation_endpoint", issuer_ + "/revoke"},
                     {"authorization_response_iss_parameter_supported", true}};
    metadata.update(extra_metadata);
    if (metadata_path.empty()) metadata_path = "/.well-known/oauth-authorization-server" + prefix;
    server.on(metadata_path, [metadata](const http::Request& request) { return json_reply(request, metadata); });
    server.on(prefix + "/authorize", [this](const http::Request& request) {
      auto query = query_of(std::string(request.target()));
      scopes_.push_back(query.count("scope") != 0 ? query["scope"] : "<none>");
      auto response = http::make_response(request, 302, "text/plain", "");
      response.set(boost::beast::http::field::location,
                   query["redirect_uri"] + "?" + encode_form({{"code", "code-1"}, {"state", query["state"]}, {"iss", issuer_}}));
      return response;
    });
    server.on(prefix + "/token", [this](const http::Request& request) {
      const auto scope = scopes_.empty() || scopes_.back() == "<none>" ? std::string{} : scopes_.back();
      json body = {{"access_token", "tok-" + std::to_string(++issued_)}, {"token_type", "Bearer"}, {"expires_in", 3600},
                   {"refresh_token", "refresh-" + std::to_string(issued_)}};
      if (!scope.empty()) body["scope"] = scope;
      token_scopes_["tok-" + std::to_string(issued_)] = scope;
      return json_reply(request, body);
    });
    server.on(prefix + "/revoke", [](const http::Request& request) { return http::make_response(request, 200, "text/plain", ""); });
  }

  const std::string& issuer() const { return issuer_; }
  /// The scope of each authorization request, in order ("<none>" when absent).
  const std::vector<std::string>& authorization_scopes() const { return scopes_; }
  std::string scope_of(const std::string& token) const {
    auto it = token_scopes_.find(token);
    return it == token_scopes_.end() ? std::string{} : it->second;
  }

private:
  FakeServer& server_;
  std::string issuer_;
  std::vector<std::string> scopes_;
  std::map<std::string, std::string> token_scopes_;
  int issued_ = 0;
};

// Protected resource metadata for `mcp_url` at `path` of `server`.
void serve_resource_metadata(FakeServer& server, const std::string& path, const std::string& resource, const std::string& issuer,
                             json extra = json::object()) {
  json metadata = {{"resource", resource}, {"authorization_servers", {issuer}}};
  metadata.update(extra);
  server.on(path, [metadata](const http::Request& request) { return json_reply(request, metadata); });
}

// A 401 as an MCP server sends it, naming its metadata (or not).
HttpReply unauthorized(const std::string& resource_metadata, const std::string& scope = {}) {
  HttpReply reply;
  reply.status = 401;
  std::string header = "Bearer error=\"invalid_token\"";
  if (!resource_metadata.empty()) header += ", resource_metadata=\"" + resource_metadata + "\"";
  if (!scope.empty()) header += ", scope=\"" + scope + "\"";
  reply.headers.emplace("www-authenticate", header);
  return reply;
}

TEST(OAuthDiscovery, AuthorizationServerMetadataLocationsFollowTheMcpSpecOrder) {
  EXPECT_THAT(authorization_server_metadata_urls("https://auth.example.com"),
              ElementsAre("https://auth.example.com/.well-known/oauth-authorization-server",
                          "https://auth.example.com/.well-known/openid-configuration"));
  EXPECT_THAT(authorization_server_metadata_urls("https://auth.example.com/tenant1/"),
              ElementsAre("https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                          "https://auth.example.com/.well-known/openid-configuration/tenant1",
                          "https://auth.example.com/tenant1/.well-known/openid-configuration"));
  EXPECT_TRUE(authorization_server_metadata_urls("not a url").empty());
}

TEST(OAuthDiscovery, ResourceMetadataLocationsArePathBasedThenRoot) {
  EXPECT_THAT(protected_resource_metadata_urls("https://mcp.example.com/public/mcp"),
              ElementsAre("https://mcp.example.com/.well-known/oauth-protected-resource/public/mcp",
                          "https://mcp.example.com/.well-known/oauth-protected-resource"));
  EXPECT_THAT(protected_resource_metadata_urls("https://mcp.example.com"),
              ElementsAre("https://mcp.example.com/.well-known/oauth-protected-resource"));
}

TEST(OAuthScopes, UnionKeepsOrderAndDropsDuplicates) {
  EXPECT_EQ(scope_union("mcp:basic files:read", "mcp:write mcp:basic"), "mcp:basic files:read mcp:write");
  EXPECT_EQ(scope_union("", "a"), "a");
  EXPECT_EQ(scope_union("a  b", ""), "a b");
}

TEST(OAuthChallenge, ReadsTheBearerChallengeOfA403) {
  HttpReply reply;
  reply.status = 403;
  reply.headers.emplace("www-authenticate",
                        R"(Bearer error="insufficient_scope", scope="mcp:write", resource_metadata="https://m/.well-known/oauth-protected-resource")");
  auto challenge = read_bearer_challenge(reply);
  ASSERT_TRUE(challenge);
  EXPECT_EQ(challenge->status, 403);
  EXPECT_EQ(challenge->error, "insufficient_scope");
  EXPECT_EQ(challenge->scope, "mcp:write");
  EXPECT_EQ(challenge->resource_metadata, "https://m/.well-known/oauth-protected-resource");
  EXPECT_FALSE(read_bearer_challenge(HttpReply{}));
}

// A loopback server and an agent whose exchanges are recorded.
class OAuthClientTest : public testing::Test {
protected:
  FakeServer server;
  Transcript transcript;
  HttpAgent agent{transcript};
};

TEST_F(OAuthClientTest, FindsAnIssuerWithAPathByOpenIdPathAppendingAfterTheOtherLocations) {
  FakeIssuer issuer(server, "/tenant1", json::object(), "/tenant1/.well-known/openid-configuration");
  const auto mcp_url = server.url() + "/mcp";
  serve_resource_metadata(server, "/custom/metadata.json", mcp_url, issuer.issuer());
  OAuthClient oauth(agent, ClientProfile{redirect_uri, {{"pre-registered", redirect_uri}}});

  auto outcome = oauth.authorize_on_challenge(mcp_url, unauthorized(server.url() + "/custom/metadata.json"), {});
  ASSERT_TRUE(outcome.tokens) << outcome.failed_step << ": " << outcome.failure;
  EXPECT_EQ(outcome.tokens->issuer, issuer.issuer());
  EXPECT_EQ(outcome.tokens->resource, mcp_url);
  EXPECT_THAT(server.targets(), testing::IsSupersetOf({"/.well-known/oauth-authorization-server/tenant1",
                                                       "/.well-known/openid-configuration/tenant1",
                                                       "/tenant1/.well-known/openid-configuration"}));
  // Never the issuer's origin: that would be another issuer's metadata.
  EXPECT_THAT(server.targets(), Not(testing::Contains("/.well-known/oauth-authorization-server")));
}

TEST_F(OAuthClientTest, UsesRfc8414PathInsertionFirst) {
  FakeIssuer issuer(server, "/tenant1", json::object(), "/.well-known/oauth-authorization-server/tenant1");
  AuthorizationOutcome outcome;
  OAuthClient oauth(agent, ClientProfile{redirect_uri});
  auto metadata = oauth.discover_authorization_server(issuer.issuer(), outcome);
  ASSERT_TRUE(metadata) << outcome.failure;
  EXPECT_EQ(metadata->metadata_url, server.url() + "/.well-known/oauth-authorization-server/tenant1");
  EXPECT_EQ(server.targets().size(), 1u);
}

TEST_F(OAuthClientTest, FallsBackToOpenIdDiscoveryForAnIssuerWithoutAPath) {
  FakeIssuer issuer(server, "", json::object(), "/.well-known/openid-configuration");
  AuthorizationOutcome outcome;
  OAuthClient oauth(agent, ClientProfile{redirect_uri});
  auto metadata = oauth.discover_authorization_server(issuer.issuer(), outcome);
  ASSERT_TRUE(metadata) << outcome.failure;
  EXPECT_THAT(server.targets(), ElementsAre("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"));
}

TEST_F(OAuthClientTest, RefusesMetadataThatNamesAnotherIssuer) {
  FakeIssuer issuer(server, "", {{"issuer", "https://evil.example.com"}});
  AuthorizationOutcome outcome;
  OAuthClient oauth(agent, ClientProfile{redirect_uri});
  EXPECT_FALSE(oauth.discover_authorization_server(issuer.issuer(), outcome));
  EXPECT_EQ(outcome.failed_step, "metadata");
  EXPECT_THAT(outcome.failure, HasSubstr("RFC 8414"));
}

TEST_F(OAuthClientTest, ResourceMetadataFallsBackToTheRootWhoseResourceIsTheOrigin) {
  FakeIssuer issuer(server, "");
  serve_resource_metadata(server, "/.well-known/oauth-protected-resource", server.url(), issuer.issuer());
  OAuthClient oauth(agent, ClientProfile{redirect_uri});
  AuthorizationOutcome outcome;
  auto resource = oauth.discover_resource(server.url() + "/mcp", "", outcome);
  ASSERT_TRUE(resource) << outcome.failure;
  EXPECT_EQ(resource->resource, server.url());
  EXPECT_THAT(server.targets(), ElementsAre("/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"));
}

TEST_F(OAuthClientTest, RefusesPathBasedMetadataForAnotherResource) {
  serve_resource_metadata(server, "/.well-known/oauth-protected-resource/mcp", "https://elsewhere.example.com/mcp", server.url());
  OAuthClient oauth(agent, ClientProfile{redirect_uri});
  AuthorizationOutcome outcome;
  EXPECT_FALSE(oauth.discover_resource(server.url() + "/mcp", "", outcome));
  EXPECT_EQ(outcome.failed_step, "discovery");
}

// One complete flow against an issuer whose token endpoint takes only `method`.
struct ConfidentialFlow {
  FakeServer server;
  std::optional<FakeIssuer> issuer;
  std::string mcp_url;

  explicit ConfidentialFlow(const std::string& method) {
    issuer.emplace(server, "", json{{"token_endpoint_auth_methods_supported", {method}}});
    mcp_url = server.url() + "/mcp";
    serve_resource_metadata(server, "/.well-known/oauth-protected-resource/mcp", mcp_url, issuer->issuer());
  }
  FakeServer::Seen token_request() const {
    auto requests = server.seen_at("/token");
    return requests.empty() ? FakeServer::Seen{} : requests.back();
  }
};

TEST(OAuthRegistration, PreRegisteredConfidentialClientUsesClientSecretBasic) {
  ConfidentialFlow flow("client_secret_basic");
  Transcript transcript;
  HttpAgent agent(transcript);
  OAuthClient oauth(agent, ClientProfile{redirect_uri, {{"my client", redirect_uri, "s3cret:x", std::nullopt, flow.issuer->issuer()}}, {}, false});
  auto outcome = oauth.authorize_on_challenge(flow.mcp_url, unauthorized(""), {});
  ASSERT_TRUE(outcome.tokens) << outcome.failed_step << ": " << outcome.failure;
  const auto request = flow.token_request();
  auto credentials = parse_basic_credentials(request.authorization);
  ASSERT_TRUE(credentials) << request.authorization;
  EXPECT_EQ(credentials->id, "my client");
  EXPECT_EQ(credentials->secret, "s3cret:x");
  EXPECT_EQ(form_of(request.body).count("client_secret"), 0u);
  EXPECT_EQ(form_of(request.body)["resource"], flow.mcp_url);
  // The secret never shows in the evidence.
  EXPECT_THAT(transcript.all().dump(), Not(HasSubstr("s3cret")));
}

TEST(OAuthRegistration, PreRegisteredConfidentialClientUsesClientSecretPostWhereOnlyThatIsOffered) {
  ConfidentialFlow flow("client_secret_post");
  Transcript transcript;
  HttpAgent agent(transcript);
  OAuthClient oauth(agent, ClientProfile{redirect_uri, {{"my-client", redirect_uri, "s3cret"}}, {}, false});
  auto outcome = oauth.authorize_on_challenge(flow.mcp_url, unauthorized(""), {});
  ASSERT_TRUE(outcome.tokens) << outcome.failed_step << ": " << outcome.failure;
  const auto request = flow.token_request();
  EXPECT_TRUE(request.authorization.empty());
  auto form = form_of(request.body);
  EXPECT_EQ(form["client_id"], "my-client");
  EXPECT_EQ(form["client_secret"], "s3cret");
}

TEST(OAuthRegistration, ARegistrationMadeWithOneIssuerIsNeverPresentedToAnother) {
  ConfidentialFlow flow("client_secret_basic");
  Transcript transcript;
  HttpAgent agent(transcript);
  OAuthClient oauth(agent, ClientProfile{redirect_uri, {{"my-client", redirect_uri, "s3cret", std::nullopt, "https://other.example.com"}}, {}, false});
  auto outcome = oauth.authorize_on_challenge(flow.mcp_url, unauthorized(""), {});
  EXPECT_FALSE(outcome.tokens);
  EXPECT_EQ(outcome.failed_step, "registration");
  EXPECT_TRUE(flow.server.seen_at("/authorize").empty());
  EXPECT_TRUE(flow.server.seen_at("/token").empty());
}

TEST_F(OAuthClientTest, UsesTheClientIdMetadataDocumentWhereTheServerSupportsIt) {
  FakeIssuer issuer(server, "", {{"client_id_metadata_document_supported", true}, {"registration_endpoint", server.url() + "/register"}});
  ClientProfile profile{redirect_uri};
  profile.metadata_document_url = "https://client.example.com/metadata.json";
  OAuthClient oauth(agent, profile);
  AuthorizationOutcome outcome;
  auto metadata = oauth.discover_authorization_server(issuer.issuer(), outcome);
  ASSERT_TRUE(metadata);
  auto registration = oauth.registration_for(*metadata, outcome);
  ASSERT_TRUE(registration) << outcome.failure;
  EXPECT_EQ(registration->client_id, "https://client.example.com/metadata.json");
  EXPECT_EQ(registration->issuer, issuer.issuer());
  EXPECT_TRUE(server.seen_at("/register").empty());
}

TEST_F(OAuthClientTest, RegistersDynamicallyAndAuthenticatesAsTheServerAssigned) {
  FakeIssuer issuer(server, "", {{"registration_endpoint", server.url() + "/register"}, {"token_endpoint_auth_methods_supported", {"client_secret_post"}}});
  server.on("/register", [](const http::Request& request) {
    return json_reply(request, {{"client_id", "dyn-1"}, {"client_secret", "dyn-secret"}, {"token_endpoint_auth_method", "client_secret_post"}}, 201);
  });
  const auto mcp_url = server.url() + "/mcp";
  serve_resource_metadata(server, "/.well-known/oauth-protected-resource/mcp", mcp_url, issuer.issuer());
  ClientProfile profile{redirect_uri};
  profile.metadata_document_url = "https://client.example.com/metadata.json"; // not advertised: unused
  OAuthClient oauth(agent, profile);
  auto outcome = oauth.authorize_on_challenge(mcp_url, unauthorized(""), {});
  ASSERT_TRUE(outcome.tokens) << outcome.failed_step << ": " << outcome.failure;
  auto registration = json::parse(server.seen_at("/register").at(0).body);
  EXPECT_EQ(registration["redirect_uris"], json::array({redirect_uri}));
  EXPECT_EQ(registration["token_endpoint_auth_method"], "client_secret_post");
  auto form = form_of(server.seen_at("/token").at(0).body);
  EXPECT_EQ(form["client_id"], "dyn-1");
  EXPECT_EQ(form["client_secret"], "dyn-secret");
  EXPECT_EQ(outcome.tokens->client_id, "dyn-1");

  // A second authorization at the same issuer reuses the registration.
  outcome = oauth.authorize_on_challenge(mcp_url, unauthorized(""), {});
  ASSERT_TRUE(outcome.tokens);
  EXPECT_EQ(server.seen_at("/register").size(), 1u);
}

TEST(OAuthTokens, RevocationAuthenticatesAtTheTokensIssuer) {
  ConfidentialFlow flow("client_secret_basic");
  Transcript transcript;
  HttpAgent agent(transcript);
  OAuthClient oauth(agent, ClientProfile{redirect_uri, {{"my-client", redirect_uri, "s3cret", std::nullopt, flow.issuer->issuer()}}, {}, false});
  auto outcome = oauth.authorize_on_challenge(flow.mcp_url, unauthorized(""), {});
  ASSERT_TRUE(outcome.tokens);
  auto revoked = oauth.revoke(*outcome.tokens, outcome.tokens->refresh_token, "refresh_token");
  EXPECT_TRUE(revoked.revoked) << revoked.failure;
  auto request = flow.server.seen_at("/revoke").at(0);
  auto form = form_of(request.body);
  EXPECT_EQ(form["token"], outcome.tokens->refresh_token);
  EXPECT_EQ(form["token_type_hint"], "refresh_token");
  ASSERT_TRUE(parse_basic_credentials(request.authorization));

  // Tokens of an issuer this client has no registration with get no credentials sent anywhere.
  auto foreign = *outcome.tokens;
  foreign.issuer = "https://other.example.com";
  EXPECT_FALSE(oauth.revoke(foreign, foreign.access_token).revoked);
  EXPECT_FALSE(oauth.refresh(foreign, foreign.refresh_token, flow.mcp_url).tokens);
  EXPECT_EQ(flow.server.seen_at("/revoke").size(), 1u);
  EXPECT_EQ(flow.server.seen_at("/token").size(), 1u);
}

// An MCP server like the conformance suite's step-up scenario: initialize is
// open, tools/list needs `basic`, tools/call needs `write`.
struct StepUpServer {
  FakeServer server;
  std::optional<FakeIssuer> issuer;
  std::string mcp_url;
  bool never_enough = false;

  StepUpServer() {
    issuer.emplace(server, "");
    mcp_url = server.url() + "/mcp";
    const auto metadata_url = server.url() + "/.well-known/oauth-protected-resource/mcp";
    serve_resource_metadata(server, "/.well-known/oauth-protected-resource/mcp", mcp_url, issuer->issuer());
    server.on("/mcp", [this, metadata_url](const http::Request& request) {
      auto message = json::parse(request.body(), nullptr, false);
      const std::string method = message.value("method", "");
      auto result = [&] { return json_reply(request, {{"jsonrpc", "2.0"}, {"id", message["id"]}, {"result", json::object()}}); };
      if (method == "initialize") return result();
      if (method.rfind("notifications/", 0) == 0) return http::make_response(request, 202, "text/plain", "");
      auto token = parse_bearer_credentials(std::string(request[boost::beast::http::field::authorization]));
      if (!token) {
        auto response = json_reply(request, {{"error", "invalid_token"}}, 401);
        response.set(boost::beast::http::field::www_authenticate, "Bearer scope=\"mcp:basic\", resource_metadata=\"" + metadata_url + "\"");
        return response;
      }
      const std::string needed = method == "tools/call" ? "mcp:write" : "mcp:basic";
      if (never_enough || !scope_includes(issuer->scope_of(*token), needed)) {
        auto response = json_reply(request, {{"error", "insufficient_scope"}}, 403);
        response.set(boost::beast::http::field::www_authenticate,
                     "Bearer error=\"insufficient_scope\", scope=\"" + needed + "\", resource_metadata=\"" + metadata_url + "\"");
        return response;
      }
      return result();
    });
  }
};

TEST(OAuthStepUp, ReauthorizesWithTheUnionOfHeldAndChallengedScopes) {
  StepUpServer world;
  Transcript transcript;
  HttpAgent agent(transcript);
  OAuthClient oauth(agent, ClientProfile{redirect_uri, {{"client", redirect_uri}}});
  ChallengeResponder responder(oauth, world.mcp_url, {});
  McpClient client(agent, world.mcp_url, "");
  client.set_reauthorizer([&](const HttpReply& reply) { return responder(reply); });

  EXPECT_TRUE(client.connect().has_result());
  EXPECT_TRUE(client.request("tools/list", json::object()).has_result());
  EXPECT_TRUE(client.call_tool("anything", json::object()).has_result());
  EXPECT_THAT(world.issuer->authorization_scopes(), ElementsAre("mcp:basic", "mcp:basic mcp:write"));
  ASSERT_TRUE(responder.tokens());
  EXPECT_EQ(responder.tokens()->scope, "mcp:basic mcp:write");
}

TEST(OAuthStepUp, GivesUpAfterTheRetryLimit) {
  StepUpServer world;
  world.never_enough = true;
  Transcript transcript;
  HttpAgent agent(transcript);
  OAuthClient oauth(agent, ClientProfile{redirect_uri, {{"client", redirect_uri}}});
  ChallengeResponder responder(oauth, world.mcp_url, {});
  McpClient client(agent, world.mcp_url, "");
  client.set_reauthorizer([&](const HttpReply& reply) { return responder(reply); }, 2);

  auto reply = client.request("tools/list", json::object());
  EXPECT_EQ(reply.http.status, 403);
  EXPECT_EQ(responder.authorizations(), 2);
  EXPECT_EQ(world.server.seen_at("/mcp").size(), 3u);
}

TEST(OAuthStepUp, AnyOther403IsNotAChallenge) {
  StepUpServer world;
  Transcript transcript;
  HttpAgent agent(transcript);
  OAuthClient oauth(agent, ClientProfile{redirect_uri, {{"client", redirect_uri}}});
  ChallengeResponder responder(oauth, world.mcp_url, {});
  HttpReply forbidden;
  forbidden.status = 403;
  forbidden.headers.emplace("www-authenticate", "Bearer error=\"invalid_token\"");
  EXPECT_FALSE(responder(forbidden));
  EXPECT_EQ(responder.authorizations(), 0);
}

} // namespace
} // namespace mcpcert::client
